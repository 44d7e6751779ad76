// stock.js — reorder advice: every variant and warehouse with stock, the fewest
// days of cover first, with the forecast demand, safety stock and the suggested
// order (docs/analytics.md "GET /api/v1/admin/analytics/reorder"); vendors see
// their own variants.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, qs, face } from './api.js';
import { dateTime, number } from './format.js';

const PER_PAGE = 50;

export function Stock() {
  const [offset, setOffset] = useState(0);
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { setReport(null); api(`/admin/analytics/reorder${qs({ limit: PER_PAGE, offset })}`).then(setReport).catch((e) => setError(e.message)); }, [offset]);
  const r = report;
  return html`<section aria-labelledby="stock-title">
    <div class="page-head"><h1 id="stock-title">${face === 'vendor' ? 'Your stock' : 'Stock and reorder'}</h1></div>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${!r ? !error && html`<p role="status">Loading the reorder advice…</p>` : html`
      <p class="muted">Lead time ${r.lead_time_days} days, service level ${(r.service_level * 100).toFixed(0)}%, review every ${r.review_days} days.
        ${r.computed_at ? ` Forecasts of ${dateTime(r.computed_at)}${r.stale ? ' (being refitted)' : ''}.` : ' No forecast yet: the daily predictions job has not run.'}</p>
      ${r.rows.length === 0 ? html`<p>No variant has stock.</p>` : html`<div class="table-scroll"><table>
        <thead><tr><th scope="col">SKU</th><th scope="col">Warehouse</th><th scope="col" class="num">Available</th><th scope="col" class="num">Demand a day</th>
          <th scope="col" class="num">Days of cover</th><th scope="col" class="num">Safety stock</th><th scope="col" class="num">Reorder point</th><th scope="col" class="num">Order</th></tr></thead>
        <tbody>${r.rows.map((v) => html`<tr class=${v.reorder ? 'reorder' : ''}><td>${face === 'admin' ? html`<a href=${`#/products/${v.product}`}>${v.sku}</a>` : v.sku}</td><td>${v.warehouse}</td>
          <td class="num">${number(v.available)}</td><td class="num">${number(v.mean_daily_demand)}</td><td class="num">${v.days_of_cover === null ? '–' : number(v.days_of_cover)}</td>
          <td class="num">${number(v.safety_stock)}</td><td class="num">${number(v.reorder_point)}</td>
          <td class="num">${v.reorder ? html`<strong>${number(v.suggested_quantity)}</strong>` : '–'}</td></tr>`)}</tbody>
      </table></div>
      <p class="muted">${offset + 1}–${offset + r.rows.length} of ${number(r.variants)}.</p>
      <nav class="pager" aria-label="Pages">
        ${offset > 0 && html`<button type="button" onClick=${() => setOffset(Math.max(0, offset - PER_PAGE))}>Previous</button>`}
        ${offset + PER_PAGE < r.variants && html`<button type="button" onClick=${() => setOffset(offset + PER_PAGE)}>Next</button>`}
      </nav>`}`}
  </section>`;
}
