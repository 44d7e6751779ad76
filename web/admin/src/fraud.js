// fraud.js — Fraud holds: the paid orders checkout held for review because their
// fraud-risk score reached the threshold (GET /admin/analytics/fraud?status=held),
// each with its score and reasons, released (it may then be fulfilled) or cancelled
// (stock back, the total refunded) with POST /orders/{id}/review. docs/fraud.md.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice } from './ui.js';
import { api, can } from './api.js';
import { money, dateTime } from './format.js';

const PAGE = 50;

// "declines:35 country_mismatch:20" as "declines (35), country mismatch (20)".
export const reasonsText = (s) => (s ? s.split(' ').map((r) => {
  const [name, points] = r.split(':');
  return `${name.replaceAll('_', ' ')} (${points})`;
}).join(', ') : 'none');

export function FraudHolds() {
  const [list, setList] = useState({ rows: [], count: 0, loading: true });
  const [offset, setOffset] = useState(0);
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState('');

  const load = () => api(`/admin/analytics/fraud?status=held&limit=${PAGE}&offset=${offset}`)
    .then((r) => setList({ ...r, loading: false }))
    .catch((e) => setList({ rows: [], count: 0, error: e.message }));
  useEffect(() => { load(); }, [offset]);

  const decide = async (row, decision) => {
    setBusy(row.order_id);
    try {
      await api(`/orders/${encodeURIComponent(row.order_id)}/review`, { method: 'POST', body: { decision } });
      setNotice({ ok: `${row.order_id}: ${decision === 'release' ? 'released for fulfilment' : 'cancelled and refunded'}.` });
      await load();
    } catch (e) {
      setNotice({ error: `${row.order_id}: ${e.message}` });
    } finally {
      setBusy('');
    }
  };

  const review = can('orders:review');
  return html`<section aria-labelledby="fraud-title">
    <div class="page-head"><h1 id="fraud-title">Fraud holds</h1></div>
    <p>Paid orders whose fraud-risk score reached the hold threshold: they are not fulfilled or shipped until someone releases them.</p>
    <${Notice} notice=${notice} />
    ${list.error && html`<p role="alert" class="error">${list.error}</p>`}
    ${list.loading && html`<p role="status">Loading held orders…</p>`}
    ${!list.loading && !list.error && list.rows.length === 0 && html`<p>No order is held for review.</p>`}
    ${list.rows.length > 0 && html`<p>${list.count} held.</p><div class="table-scroll"><table class="fraud-holds">
      <thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col">Customer</th><th scope="col" class="num">Score</th>
        <th scope="col">Reasons</th><th scope="col" class="num">Total</th>${review && html`<th scope="col">Decision</th>`}</tr></thead>
      <tbody>${list.rows.map((r) => html`<tr>
        <td><a href=${`#/orders/${r.order_id}`}>${r.order_id}</a></td><td>${dateTime(r.placed_at)}</td>
        <td>${r.email || 'erased'}${r.customer_id ? '' : ' (guest)'}</td><td class="num">${r.score}</td><td>${reasonsText(r.reasons)}</td>
        <td class="num">${money(r.total, r.currency)}</td>
        ${review && html`<td class="decide">
          <button type="button" disabled=${busy === r.order_id} onClick=${() => decide(r, 'release')} aria-label=${`Release ${r.order_id}`}>Release</button>
          <button type="button" class="danger" disabled=${busy === r.order_id} onClick=${() => decide(r, 'cancel')} aria-label=${`Cancel and refund ${r.order_id}`}>Cancel and refund</button>
        </td>`}</tr>`)}</tbody>
    </table></div>`}
    <nav class="pager" aria-label="Pages">
      ${offset > 0 && html`<button type="button" onClick=${() => setOffset(Math.max(0, offset - PAGE))}>Previous page</button>`}
      ${offset + PAGE < list.count && html`<button type="button" onClick=${() => setOffset(offset + PAGE)}>Next page</button>`}
    </nav>
  </section>`;
}
