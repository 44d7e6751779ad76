// promotions.js — promotions for staff (pricing:manage; docs/promotions.md): every promotion by
// priority with its use count, a new percent, fixed or free-shipping promotion over the whole shop
// or named categories, brands or products, switching one on or off, and its codes.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { Notice } from './ui.js';
import { money, minorDigits, dateTime } from './format.js';

const STORE_CURRENCY = 'USD'; // the demo's; a fixed amount names its own currency in the form

function describe(p) {
  if (p.kind === 'percent') return `${p.value / 100}% off`;
  if (p.kind === 'fixed') return `${money(p.value, p.currency)} off`;
  if (p.kind === 'free_shipping') return `free shipping${p.min_subtotal ? ` from ${money(p.min_subtotal, p.currency)}` : ''}`;
  if (p.kind === 'tiered') return `tiers ${p.tiers.map((t) => `${t.rate_bp / 100}% over ${t.min}`).join(', ')}`;
  return p.kind.replaceAll('_', ' ');
}

const setText = (s) => (s.kind === 'all' ? 'everything' : `${s.kind} ${s.ids.join(', ')}`);

function Codes({ promo, onNotice }) {
  const [codes, setCodes] = useState(null);
  const load = () => api(`/admin/promotions/${promo.id}/codes`).then((r) => setCodes(r.data)).catch((e) => onNotice({ error: e.message }));
  useEffect(() => { load(); }, [promo.id]);
  const add = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const limit = f.get('usage_limit') ? Number(f.get('usage_limit')) : undefined;
    try {
      await api(`/admin/promotions/${promo.id}/codes`, { method: 'POST', body: { code: f.get('code').trim(), usage_limit: limit } });
      onNotice({ ok: `Code ${f.get('code').trim()} added.` });
      load();
    } catch (err) {
      onNotice({ error: `Code: ${err.message}` });
    }
  };
  return html`<div class="codes">
    <form class="action" onSubmit=${add} aria-label=${`New code for ${promo.name}`}>
      <label>Code <input name="code" required maxlength="32" /></label>
      <label>Uses at most <input name="usage_limit" type="number" min="1" step="1" /></label>
      <button type="submit">Add code</button>
    </form>
    ${codes === null ? html`<p role="status">Loading codes…</p>` : codes.length === 0 ? html`<p>No code yet.</p>` : html`
      <ul>${codes.map((c) => html`<li><code>${c.code}</code> — used ${c.used_count}${c.usage_limit ? ` of ${c.usage_limit}` : ''}</li>`)}</ul>`}
  </div>`;
}

export function Promotions() {
  const [list, setList] = useState(null);
  const [open, setOpen] = useState(null);
  const [notice, setNotice] = useState(null);
  const load = () => api('/admin/promotions').then((r) => setList(r.data)).catch((e) => setNotice({ error: e.message }));
  useEffect(() => { load(); }, []);

  const create = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const kind = f.get('kind');
    const currency = f.get('currency').trim().toUpperCase() || STORE_CURRENCY;
    const ids = f.get('ids').split(',').map((s) => s.trim()).filter(Boolean);
    const body = { name: f.get('name').trim(), kind, target: f.get('set') === 'all' ? { kind: 'all' } : { kind: f.get('set'), ids },
      priority: Number(f.get('priority') || 0), exclusive: f.get('exclusive') === 'on', requires_code: f.get('requires_code') === 'on' };
    const amount = Number(f.get('value') || 0);
    if (kind === 'percent') body.value = Math.round(amount * 100);
    if (kind === 'fixed') { body.value = Math.round(amount * 10 ** minorDigits(currency)); body.currency = currency; }
    const min = Number(f.get('min_subtotal') || 0);
    if (min > 0) { body.min_subtotal = Math.round(min * 10 ** minorDigits(currency)); body.currency = currency; }
    if (f.get('starts_at')) body.starts_at = new Date(f.get('starts_at')).toISOString();
    if (f.get('ends_at')) body.ends_at = new Date(f.get('ends_at')).toISOString();
    try {
      await api('/admin/promotions', { method: 'POST', body });
      setNotice({ ok: `Promotion ${body.name} created.` });
      e.currentTarget?.reset?.();
      load();
    } catch (err) {
      setNotice({ error: err.message + (err.details.length ? ` (${err.details.map((d) => `${d.field}: ${d.message}`).join('; ')})` : '') });
    }
  };
  const toggle = async (p) => {
    try {
      await api(`/admin/promotions/${p.id}`, { method: 'PATCH', body: { active: !p.active } });
      setNotice({ ok: `${p.name}: ${p.active ? 'switched off' : 'switched on'}.` });
      load();
    } catch (err) {
      setNotice({ error: `${p.name}: ${err.message}` });
    }
  };

  return html`<section aria-labelledby="promotions-title">
    <div class="page-head"><h1 id="promotions-title">Promotions</h1></div>
    <${Notice} notice=${notice} />
    <form class="webhook-new" onSubmit=${create}>
      <h2>New promotion</h2>
      <div class="filters">
        <label>Name <input name="name" required maxlength="100" /></label>
        <label>Kind <select name="kind"><option value="percent">percent off</option><option value="fixed">amount off</option><option value="free_shipping">free shipping</option></select></label>
        <label>Percent or amount <input name="value" type="number" min="0" step="0.01" /></label>
        <label>Currency <input name="currency" maxlength="3" placeholder=${STORE_CURRENCY} /></label>
        <label>Minimum subtotal <input name="min_subtotal" type="number" min="0" step="0.01" /></label>
      </div>
      <div class="filters">
        <label>On <select name="set"><option value="all">everything</option><option value="categories">categories</option><option value="brands">brands</option><option value="vendors">vendors</option><option value="products">products</option></select></label>
        <label>Ids (comma-separated) <input name="ids" maxlength="2000" placeholder="cat_…, cat_…" /></label>
        <label>Priority <input name="priority" type="number" min="-1000" max="1000" step="1" value="0" /></label>
        <label>Starts <input name="starts_at" type="datetime-local" /></label>
        <label>Ends <input name="ends_at" type="datetime-local" /></label>
      </div>
      <div class="filters">
        <label class="check"><input type="checkbox" name="exclusive" /> not combinable with others</label>
        <label class="check"><input type="checkbox" name="requires_code" /> needs a code</label>
      </div>
      <button type="submit">Create promotion</button>
    </form>
    <h2>All promotions</h2>
    ${list === null ? html`<p role="status">Loading promotions…</p>` : list.length === 0 ? html`<p>No promotion yet.</p>` : html`
      <div class="table-scroll"><table class="promotions">
        <thead><tr><th scope="col">Promotion</th><th scope="col">What</th><th scope="col">On</th><th scope="col">When</th><th scope="col">Used</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${list.map((p) => html`<tr data-promotion=${p.id}><td>${p.name}${p.requires_code ? html` <small>(code)</small>` : ''}</td>
          <td>${describe(p)}${p.exclusive ? ' · exclusive' : ''}</td><td>${setText(p.target)}</td>
          <td>${p.starts_at || p.ends_at ? `${dateTime(p.starts_at)} – ${dateTime(p.ends_at)}` : 'always'}</td>
          <td>${p.used_count}${p.usage_limit ? ` of ${p.usage_limit}` : ''}</td><td>${p.active ? 'on' : 'off'}</td>
          <td><button type="button" onClick=${() => toggle(p)}>${p.active ? 'Switch off' : 'Switch on'}</button>
            ${p.requires_code && html` <button type="button" aria-expanded=${open === p.id} onClick=${() => setOpen(open === p.id ? null : p.id)}>Codes</button>`}</td></tr>`)}</tbody>
      </table></div>`}
    ${open && list?.find((p) => p.id === open) && html`<h2>Codes of ${list.find((p) => p.id === open).name}</h2>
      <${Codes} promo=${list.find((p) => p.id === open)} onNotice=${setNotice} />`}
  </section>`;
}
