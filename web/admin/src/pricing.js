// pricing.js — dynamic-pricing suggestions (docs/pricing.md): each with its current and
// suggested price and the reasons behind it (machine codes with their numbers, shown as
// their messages); approve now or at a time, reject, roll back an applied one; recompute
// on demand. Nothing changes a price until an admin approves.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice } from './ui.js';
import { api, can, qs } from './api.js';
import { dateTime, money } from './format.js';

const STATES = ['pending', 'approved', 'applied', 'rejected', 'rolled_back', 'failed', 'superseded'];

function Reasons({ reasons }) {
  return html`<ul class="reasons">${(reasons || []).map((r) => html`<li data-code=${r.code}><code>${r.code}</code> ${r.message}</li>`)}</ul>`;
}

export function Pricing() {
  const [status, setStatus] = useState('pending');
  const [page, setPage] = useState(null);
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);
  const write = can('dynamic_pricing:approve');
  const load = () => api(`/admin/pricing/suggestions${qs({ status, limit: 200 })}`).then(setPage).catch((e) => setNotice({ error: e.message }));
  useEffect(() => { setPage(null); load(); }, [status]);
  const act = (s, action, what) => async (e) => {
    e.preventDefault();
    const form = e.currentTarget.form || e.currentTarget;
    const data = new FormData(form);
    const body = {};
    const note = data.get('note')?.trim();
    if (note && action !== 'rollback') body.note = note;
    if (action === 'schedule') {
      const at = data.get('apply_at');
      if (!at) { setNotice({ error: `Suggestion ${s.id}: choose when to apply it.` }); return; }
      body.apply_at = new Date(at).toISOString();
    }
    try {
      const path = `/admin/pricing/suggestions/${encodeURIComponent(s.id)}/${action === 'schedule' ? 'approve' : action}`;
      const r = await api(path, action === 'rollback' ? { method: 'POST' } : { method: 'POST', body });
      setNotice({ ok: `${s.product_title || s.variant}: ${what} (${r.status}).` });
      load();
    } catch (err) {
      setNotice({ error: `Suggestion ${s.id}: ${err.message}` });
    }
  };
  const recompute = async () => {
    setBusy(true);
    try {
      const r = await api('/admin/pricing/recompute', { method: 'POST' });
      setNotice({ ok: `Recomputed: ${r.suggestions} suggestion${r.suggestions === 1 ? '' : 's'} for ${r.variants} prices.` });
      load();
    } catch (err) {
      setNotice({ error: `Recompute: ${err.message}` });
    } finally {
      setBusy(false);
    }
  };
  return html`<section aria-labelledby="pricing-title">
    <div class="page-head"><h1 id="pricing-title">Dynamic pricing</h1>
      <label>State <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        ${STATES.map((s) => html`<option value=${s}>${s.replace('_', ' ')}</option>`)}</select></label>
      ${write && html`<button type="button" onClick=${recompute} disabled=${busy}>Recompute now</button>`}</div>
    <${Notice} notice=${notice} />
    ${page?.run && html`<p class="muted">Last computed ${dateTime(page.run.computed_at)} from the forecasts of ${dateTime(page.run.predictions_at)}.</p>`}
    ${page === null ? html`<p role="status">Loading suggestions…</p>` : page.data.length === 0 ? html`<p>No ${status.replace('_', ' ')} suggestions.</p>` : html`
      <div class="table-scroll"><table class="pricing">
        <thead><tr><th scope="col">Product</th><th scope="col" class="num">Price now</th><th scope="col" class="num">Suggested</th>
          <th scope="col">Reasons</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${page.data.map((s) => html`<tr data-id=${s.id}>
          <td><a href=${`#/products/${s.product}`}>${s.product_title || s.product}</a><div class="muted">${s.sku || s.variant}</div></td>
          <td class="num">${money(s.price_now ?? s.current_amount, s.currency)}</td>
          <td class="num"><strong>${money(s.suggested_amount, s.currency)}</strong> <span class=${s.change_pct < 0 ? 'down' : 'up'}>${s.change_pct > 0 ? '+' : ''}${s.change_pct}%</span></td>
          <td><${Reasons} reasons=${s.reasons} /></td>
          <td><span class=${`state ${s.status}`}>${s.status.replace('_', ' ')}</span>
            ${s.status === 'approved' && html`<div class="muted">applies ${dateTime(s.apply_at)}</div>`}
            ${s.status === 'applied' && html`<div class="muted">applied ${dateTime(s.applied_at)}, was ${money(s.previous_amount, s.currency)}</div>`}</td>
          <td>${write && html`<form class="inline" onSubmit=${act(s, 'approve', 'approved and applied')}>
            ${(s.status === 'pending' || s.status === 'approved') && html`<label>Note <input name="note" maxlength="500" /></label>`}
            ${s.status === 'pending' && html`<button type="submit">Approve now</button>
              <label>Apply at <input type="datetime-local" name="apply_at" /></label>
              <button type="button" onClick=${act(s, 'schedule', 'approved for later')}>Schedule</button>`}
            ${(s.status === 'pending' || s.status === 'approved') && html`<button type="button" class="danger" onClick=${act(s, 'reject', 'rejected')}>Reject</button>`}
            ${s.status === 'applied' && html`<button type="button" onClick=${act(s, 'rollback', 'rolled back')}>Roll back</button>`}
          </form>`}</td></tr>`)}</tbody>
      </table></div>`}
  </section>`;
}
