// returns.js — an order's return requests on the order screen: what was asked
// back and why, and the staff's two steps (approve, then receive: stock back
// and the units' value refunded; docs/orders.md "Returns").
import { html } from 'htm/preact';
import { api, can, face } from './api.js';
import { dateTime, money } from './format.js';

// ORDER: the order JSON; ON_ORDER(order) takes the fresh order after an action; ON_NOTICE the outcome.
export function OrderReturns({ order, onOrder, onNotice }) {
  const returns = order.returns || [];
  if (!returns.length) return null;
  const staff = face === 'admin' && can('orders:manage');
  const titles = new Map(order.lines.map((l) => [l.variant_id, `${l.product_title} — ${l.variant_title}`]));
  const step = (ret, action, what) => async () => {
    try {
      await api(`/orders/${encodeURIComponent(order.id)}/returns/${encodeURIComponent(ret.id)}/${action}`, { method: 'POST' });
      onOrder(await api(`/orders/${encodeURIComponent(order.id)}`));
      onNotice({ ok: `Return ${ret.id}: ${what}.` });
    } catch (e) {
      onNotice({ error: `Return ${ret.id}: ${e.message}` });
    }
  };
  return html`<h2>Returns</h2>
    <div class="table-scroll"><table class="returns">
      <thead><tr><th scope="col">Return</th><th scope="col">State</th><th scope="col">Items</th><th scope="col">Reason</th>
        <th scope="col" class="num">Refunded</th><th scope="col">Asked</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
      <tbody>${returns.map((r) => html`<tr><td>${r.id}</td><td><span class=${`state ${r.state}`}>${r.state}</span></td>
        <td>${r.lines.map((l) => html`<div>${l.quantity} × ${titles.get(l.variant_id) || l.variant_id}</div>`)}</td>
        <td>${r.reason || ''}</td><td class="num">${r.refund ? money(r.refund.amount, r.refund.currency) : '–'}</td><td>${dateTime(r.created_at)}</td>
        <td>${staff && r.state === 'requested' && html`<button type="button" onClick=${step(r, 'approve', 'approved')}>Approve</button>`}
          ${staff && r.state === 'approved' && html`<button type="button" onClick=${step(r, 'receive', 'received, stock back and refunded')}>Goods received</button>`}</td></tr>`)}</tbody>
    </table></div>`;
}
