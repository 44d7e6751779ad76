// vendors.js — the marketplace's vendors: their products, commission rate and sales
// over the last 30 days (gross revenue and the commission it earns the shop at
// today's rate, an estimate: each order keeps the rate of its own day —
// docs/orders.md "Marketplace"); create a vendor, change a rate (catalog:write).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice } from './ui.js';
import { api, qs, can } from './api.js';
import { daysAgo, money, number } from './format.js';

const pct = (bp) => `${(bp / 100).toFixed(2)}%`;

export function Vendors() {
  const [rows, setRows] = useState(null);
  const [notice, setNotice] = useState(null);
  const load = async () => {
    try {
      const list = (await api('/vendors')).data;
      const range = { from: daysAgo(29), to: daysAgo(0) };
      const sales = await Promise.all(list.map((v) => api(`/admin/analytics/kpis${qs({ ...range, vendor: v.id })}`).catch(() => null)));
      setRows(list.map((v, i) => ({ ...v, kpis: sales[i] })));
    } catch (e) {
      setNotice({ error: e.message });
    }
  };
  useEffect(() => { load(); }, []);
  const rate = (v) => async (e) => {
    e.preventDefault();
    const bp = Math.round(Number(new FormData(e.currentTarget).get('rate')) * 100);
    try {
      await api(`/vendors/${encodeURIComponent(v.id)}`, { method: 'PATCH', body: { commission_bp: bp } });
      setNotice({ ok: `${v.name}: commission ${pct(bp)} on new orders.` });
      load();
    } catch (err) {
      setNotice({ error: `${v.name}: ${err.message}` });
    }
  };
  const create = async (e) => {
    e.preventDefault();
    const form = e.currentTarget; // gone from the event once it is handled
    const f = new FormData(form);
    try {
      const v = await api('/vendors', { method: 'POST', body: { name: f.get('name').trim(), commission_bp: Math.round(Number(f.get('rate') || 0) * 100) } });
      setNotice({ ok: `Vendor ${v.name} created.` });
      form.reset();
      load();
    } catch (err) {
      setNotice({ error: err.message });
    }
  };
  const write = can('catalog:write');
  return html`<section aria-labelledby="vendors-title">
    <div class="page-head"><h1 id="vendors-title">Vendors</h1></div>
    <${Notice} notice=${notice} />
    ${rows === null ? !notice?.error && html`<p role="status">Loading vendors…</p>` : rows.length === 0 ? html`<p>No vendors yet.</p>` : html`
      <div class="table-scroll"><table class="vendors">
        <caption>Sales over the last 30 days</caption>
        <thead><tr><th scope="col">Vendor</th><th scope="col" class="num">Products</th><th scope="col" class="num">Orders</th>
          <th scope="col" class="num">Gross revenue</th><th scope="col" class="num">Commission (at this rate)</th><th scope="col">Commission rate</th></tr></thead>
        <tbody>${rows.map((v) => {
          const c = v.kpis?.current;
          return html`<tr data-vendor=${v.id}><td>${v.name}</td><td class="num">${number(v.product_count)}</td><td class="num">${c ? number(c.orders) : '–'}</td>
            <td class="num">${c ? money(c.gross_revenue, v.kpis.currency) : '–'}</td>
            <td class="num">${c ? money(Math.round((c.gross_revenue * v.commission_bp) / 10000), v.kpis.currency) : '–'}</td>
            <td>${write ? html`<form class="inline" onSubmit=${rate(v)}><label><span class="visually-hidden">Commission rate of ${v.name} in percent</span>
              <input name="rate" type="number" min="0" max="100" step="0.01" value=${(v.commission_bp / 100).toFixed(2)} required />%</label>
              <button type="submit" class="secondary">Save</button></form>` : pct(v.commission_bp)}</td></tr>`;
        })}</tbody>
      </table></div>`}
    ${write && html`<h2>New vendor</h2>
      <form class="inline" onSubmit=${create}>
        <label>Name <input name="name" required maxlength="200" /></label>
        <label>Commission rate (%) <input name="rate" type="number" min="0" max="100" step="0.01" value="0" /></label>
        <button type="submit">Create the vendor</button>
      </form>`}
  </section>`;
}
