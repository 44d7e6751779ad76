// orders.js — orders: a filtered, paged list and one order with the actions the
// signed-in role may take (fulfil, ship, deliver; admins also refund and cancel).
// The server decides what each role may do; a refused action shows its message.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice, Pager } from './ui.js';
import { api, qs, face, can } from './api.js';
import { money, dateTime, minorDigits } from './format.js';
import { OrderReturns } from './returns.js';

const STATES = ['', 'pending_payment', 'paid', 'partially_fulfilled', 'fulfilled', 'shipped', 'delivered', 'cancelled', 'refunded'];

export function OrderList() {
  const [filter, setFilter] = useState({ state: '', q: '' });
  const [page, setPage] = useState({ data: [], next_cursor: null, loading: true });
  const [cursor, setCursor] = useState(null);

  useEffect(() => {
    let live = true;
    setPage((p) => ({ ...p, loading: true }));
    api(`/orders${qs({ ...filter, limit: 25, cursor })}`)
      .then((r) => live && setPage({ ...r, loading: false }))
      .catch((e) => live && setPage({ data: [], next_cursor: null, error: e.message }));
    return () => { live = false; };
  }, [filter, cursor]);

  const submit = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setCursor(null);
    setFilter({ state: f.get('state'), q: f.get('q').trim() });
  };

  return html`<section aria-labelledby="orders-title">
    <div class="page-head"><h1 id="orders-title">Orders</h1></div>
    <form class="filters" onSubmit=${submit}>
      <label>State <select name="state">${STATES.map((s) => html`<option value=${s}>${s ? s.replaceAll('_', ' ') : 'any'}</option>`)}</select></label>
      <label>Order or e-mail <input name="q" type="search" maxlength="100" /></label>
      <button type="submit">Filter</button>
    </form>
    ${page.error && html`<p role="alert" class="error">${page.error}</p>`}
    ${page.loading && html`<p role="status">Loading orders…</p>`}
    ${!page.loading && !page.error && page.data.length === 0 && html`<p>No order matches.</p>`}
    ${page.data.length > 0 && html`<div class="table-scroll"><table class="orders">
      <thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col">Customer</th><th scope="col">State</th><th scope="col">Payment</th><th scope="col" class="num">Total</th></tr></thead>
      <tbody>${page.data.map((o) => html`<tr>
        <td><a href=${`#/orders/${o.id}`}>${o.id}</a></td><td>${dateTime(o.created_at)}</td><td>${o.email || 'erased'}</td>
        <td><span class=${`state ${o.state}`}>${o.state.replaceAll('_', ' ')}</span></td><td>${o.payment_status}</td>
        <td class="num">${money(o.totals.total.amount, o.totals.total.currency)}</td></tr>`)}</tbody>
    </table></div>`}
    <${Pager} cursor=${cursor} next=${page.next_cursor} onPage=${setCursor} />
  </section>`;
}

function Action({ label, run, children, danger }) {
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try { await run(new FormData(e.currentTarget)); } finally { setBusy(false); }
  };
  return html`<form class=${`action${danger ? ' danger' : ''}`} onSubmit=${submit}>
    ${children}<button type="submit" disabled=${busy}>${busy ? 'Working…' : label}</button>
  </form>`;
}

export function OrderDetail({ id }) {
  const [order, setOrder] = useState(null);
  const [notice, setNotice] = useState(null);
  const load = () => api(`/orders/${encodeURIComponent(id)}`).then(setOrder).catch((e) => setNotice({ error: e.message }));
  useEffect(() => { setOrder(null); load(); }, [id]);

  const act = (what, path, body) => async () => {
    try {
      const o = await api(`/orders/${encodeURIComponent(id)}/${path}`, { method: 'POST', body });
      setOrder(o);
      setNotice({ ok: `${what}: done.` });
    } catch (e) {
      setNotice({ error: `${what}: ${e.message}` });
    }
  };

  if (!order) return html`<section><h1>Order ${id}</h1>${notice?.error ? html`<p role="alert" class="error">${notice.error}</p>` : html`<p role="status">Loading…</p>`}</section>`;
  const cur = order.currency;
  const left = order.totals.total.amount - order.totals.refunded.amount;
  return html`<section aria-labelledby="order-title">
    <div class="page-head"><h1 id="order-title">Order ${order.id}</h1><a href="#/orders">All orders</a></div>
    <${Notice} notice=${notice} />
    <dl class="facts">
      <dt>State</dt><dd><span class=${`state ${order.state}`}>${order.state.replaceAll('_', ' ')}</span></dd>
      <dt>Payment</dt><dd>${order.payment_status}</dd>
      <dt>Customer</dt><dd>${order.email || 'erased'}</dd>
      <dt>Placed</dt><dd>${dateTime(order.created_at)}</dd>
      <dt>Total</dt><dd>${money(order.totals.total.amount, cur)} (refunded ${money(order.totals.refunded.amount, cur)})</dd>
      ${order.fraud && html`<dt>Fraud risk</dt><dd>${order.fraud.score}</dd>`}
    </dl>
    <h2>Lines</h2>
    <div class="table-scroll"><table>
      <thead><tr><th scope="col">Product</th><th scope="col">SKU</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Fulfilled</th><th scope="col" class="num">Line total</th></tr></thead>
      <tbody>${order.lines.map((l) => html`<tr><td>${l.product_title} — ${l.variant_title}</td><td>${l.sku}</td>
        <td class="num">${l.quantity}</td><td class="num">${l.fulfilled_quantity}</td><td class="num">${money(l.line_total.amount, cur)}</td></tr>`)}</tbody>
    </table></div>
    <${OrderReturns} order=${order} onOrder=${setOrder} onNotice=${setNotice} />
    <h2>Actions</h2>
    <div class="actions">
      <${Action} label="Fulfil everything left" run=${act('Fulfil', 'fulfil')} />
      <${Action} label="Ship" run=${(f) => act('Ship', 'ship', { carrier: f.get('carrier'), tracking: f.get('tracking') })()}>
        <label>Carrier <input name="carrier" required maxlength="100" /></label>
        <label>Tracking number <input name="tracking" required maxlength="100" /></label>
      <//>
      <${Action} label="Mark delivered" run=${act('Deliver', 'deliver')} />
      ${face === 'admin' && can('orders:manage') && html`
        <${Action} label="Refund" danger run=${(f) => act('Refund', 'refunds', { amount: Math.round(Number(f.get('amount')) * 10 ** minorDigits(cur)), reason: f.get('reason') || undefined })()}>
          <label>Amount <input name="amount" type="number" min=${10 ** -minorDigits(cur)} step=${10 ** -minorDigits(cur)} max=${(left / 10 ** minorDigits(cur)).toFixed(minorDigits(cur))} required /></label>
          <label>Reason <input name="reason" maxlength="200" /></label>
        <//>
        <${Action} label="Cancel the order" danger run=${act('Cancel', 'cancel')} />`}
    </div>
    <h2>History</h2>
    <ol class="history">${order.history.map((h) => html`<li><time>${dateTime(h.at)}</time> ${h.from ? `${h.from} → ` : ''}${h.to}${h.note ? ` (${h.note})` : ''} <small>${h.actor}</small></li>`)}</ol>
  </section>`;
}
