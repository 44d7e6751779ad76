// customer.js — one customer for staff: the account (users:manage), their orders
// (orders:read:any), their RFM segment, churn risk and expected lifetime value (analytics:read,
// the reports' rows of this customer only), and the GDPR actions taken for them at their
// request (customers:privacy): download their data, and erase the account after a confirmation
// that repeats their e-mail address (the API checks it too). Both actions are audited.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, qs, can } from './api.js';
import { Notice } from './ui.js';
import { money, percent, dateTime } from './format.js';

const SEGMENT = (s) => s.replaceAll('_', ' ');

function Scores({ id }) {
  const [s, setS] = useState(null);
  useEffect(() => {
    const one = (r) => api(`/admin/analytics/${r}${qs({ customer: id })}`);
    Promise.all([one('rfm'), one('churn'), one('clv')])
      .then(([rfm, churn, clv]) => setS({ rfm: rfm.rows[0], churn: churn.rows[0], churnInfo: churn, clv: clv.rows[0], currency: clv.currency || rfm.currency }))
      .catch((e) => setS({ error: e.message }));
  }, [id]);
  if (!s) return html`<p role="status">Loading scores…</p>`;
  if (s.error) return html`<p role="alert" class="error">${s.error}</p>`;
  if (!s.rfm && !s.churn && !s.clv) return html`<p>No purchase in the analytics window yet: no segment, churn risk or lifetime value.</p>`;
  return html`<dl class="scores">
    <div><dt>RFM segment</dt><dd data-score="segment">${s.rfm ? html`${SEGMENT(s.rfm.segment)} <small>(R${s.rfm.r} F${s.rfm.f} M${s.rfm.m})</small>` : '–'}</dd></div>
    <div><dt>Orders, last 365 days</dt><dd>${s.rfm ? `${s.rfm.frequency}, ${money(s.rfm.monetary, s.currency)}` : '–'}</dd></div>
    <div><dt>Churn risk (${s.churnInfo.horizon_days ?? 90} days)</dt><dd data-score="churn">${s.churn ? percent(s.churn.churn_probability) : '–'}</dd></div>
    <div><dt>Expected value, next 365 days</dt><dd data-score="clv">${s.clv ? money(s.clv.expected_value, s.currency) : '–'}</dd></div>
    <div><dt>Still active</dt><dd>${s.clv ? percent(s.clv.p_alive) : '–'}</dd></div>
  </dl>`;
}

function Orders({ id }) {
  const [page, setPage] = useState(null);
  useEffect(() => {
    api(`/orders${qs({ customer: id, limit: 25 })}`).then(setPage).catch((e) => setPage({ error: e.message }));
  }, [id]);
  if (!page) return html`<p role="status">Loading orders…</p>`;
  if (page.error) return html`<p role="alert" class="error">${page.error}</p>`;
  if (!page.data.length) return html`<p>No order.</p>`;
  return html`<div class="table-scroll"><table class="orders">
    <thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col">State</th><th scope="col" class="num">Total</th></tr></thead>
    <tbody>${page.data.map((o) => html`<tr><td><a href=${`#/orders/${o.id}`}>${o.id}</a></td><td>${dateTime(o.created_at)}</td>
      <td><span class=${`state ${o.state}`}>${o.state.replaceAll('_', ' ')}</span></td><td class="num">${money(o.totals.total.amount, o.totals.total.currency)}</td></tr>`)}</tbody>
  </table></div>${page.next_cursor && html`<p class="muted">The 25 newest; <a href="#/orders">all orders</a> can be searched by e-mail.</p>`}`;
}

function Privacy({ id, user, onErased, onNotice }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const exportData = async () => {
    setBusy(true);
    try {
      const data = await api(`/admin/customers/${id}/export`, { method: 'POST' });
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `souk-customer-${id}.json`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      onNotice({ ok: `The data of ${id} was exported (souk-customer-${id}.json); the export is in the audit log.` });
    } catch (err) {
      onNotice({ error: `Export: ${err.message}` });
    }
    setBusy(false);
  };
  const erase = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api(`/admin/customers/${id}/erase`, { method: 'POST', body: { email: new FormData(e.currentTarget).get('email').trim() } });
      setConfirming(false);
      onErased();
    } catch (err) {
      onNotice({ error: `Erasure: ${err.message}` });
    }
    setBusy(false);
  };
  if (user && user.status === 'deleted') return html`<p>This account was erased.</p>`;
  return html`<div class="gdpr">
    <p class="muted">For a customer who asked the shop; each action is recorded in the audit log.</p>
    <div class="action"><button type="button" onClick=${exportData} disabled=${busy}>Download their data</button>
      ${!confirming && html`<button type="button" class="danger" onClick=${() => setConfirming(true)}>Erase this customer…</button>`}</div>
    ${confirming && html`<form class="confirm" onSubmit=${erase} aria-labelledby="erase-title">
      <h3 id="erase-title">Erase ${user?.email || id} for good?</h3>
      <p>Their name, address, phone, password and sessions go; their orders stay for the books without who placed them. This cannot be undone.</p>
      <label>Type their e-mail address to confirm <input name="email" type="email" required maxlength="254" autocomplete="off" /></label>
      <div class="action"><button type="submit" class="danger" disabled=${busy}>Erase the account</button>
        <button type="button" onClick=${() => setConfirming(false)}>Cancel</button></div>
    </form>`}
  </div>`;
}

export function CustomerDetail({ id }) {
  const [user, setUser] = useState(null);
  const [notice, setNotice] = useState(null);
  const load = () => (can('users:manage') ? api(`/admin/users/${encodeURIComponent(id)}`).then(setUser).catch((e) => setNotice({ error: e.message })) : null);
  useEffect(() => { setUser(null); load(); }, [id]);
  const erased = () => { setNotice({ ok: `${id} was erased.` }); load(); };
  return html`<section aria-labelledby="customer-title">
    <div class="page-head"><h1 id="customer-title">${user?.email || (user ? 'Erased customer' : `Customer ${id}`)}</h1><a href="#/customers">All customers</a></div>
    <${Notice} notice=${notice} />
    ${user && html`<dl class="profile"><div><dt>Id</dt><dd>${user.id}</dd></div><div><dt>Name</dt><dd>${user.name || '–'}</dd></div>
      <div><dt>Phone</dt><dd>${user.phone || '–'}</dd></div><div><dt>Role</dt><dd>${user.role}</dd></div><div><dt>Status</dt><dd>${user.status}</dd></div>
      <div><dt>Since</dt><dd>${dateTime(user.created_at)}</dd></div><div><dt>Two-factor sign-in</dt><dd>${user.two_factor_enabled ? 'on' : 'off'}</dd></div></dl>`}
    ${can('analytics:read') && html`<h2>Segment, churn risk and value</h2><${Scores} id=${id} />`}
    ${can('orders:read:any') && html`<h2>Orders</h2><${Orders} id=${id} />`}
    ${can('customers:privacy') && html`<h2>Data protection</h2><${Privacy} id=${id} user=${user} onErased=${erased} onNotice=${setNotice} />`}
  </section>`;
}
