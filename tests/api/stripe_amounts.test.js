// A payment pays an order only when it is for the order's total (issue 9, item 1).
//
// With the Stripe-style gateway against lib/stripe_stub.js: signed
// payment_intent.succeeded webhooks reporting another amount, another
// amount_received or another currency than the order's; the metadata.reference
// fallback for an order that has no intent on record, with a wrong amount; and
// the synchronous confirmation at checkout when the provider charged another
// amount (stub.alter). Each mismatch leaves the order unpaid (its stock still
// only reserved, its cart kept), flags it for review (admin view only:
// `review`), appends an audit entry, counts souk_payment_mismatches_total in
// /metrics, and — since the money was taken — refunds what was taken through
// the provider, once per intent.
//
// Contract: docs/orders.md "Webhooks" and "Payments that do not match".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token } from './lib/util.js';
import { startStripeStub, signature } from './lib/stripe_stub.js';
import {
  ADMIN, ADDRESS, must, call, checkout, warehouse, product, stockOf, guestCart, cartLines, orderOf, eventually,
} from './lib/orders_util.js';

const SECRET_KEY = 'sk_test_amounts';
const WEBHOOK_SECRET = 'whsec_amounts';

describe('payments that do not match their order', () => {
  let srv;
  let stub;
  const fx = {};

  const email = (tag) => `${tag}-${token()}@example.com`;
  const now = () => Math.floor(Date.now() / 1000);
  function webhook(ev) {
    const raw = JSON.stringify(ev);
    return api(srv, 'POST', '/api/v1/payments/webhook', {
      rawBody: raw, headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signature(raw, WEBHOOK_SECRET) },
    });
  }
  function event(type, object) {
    return { id: `evt_${token()}`, object: 'event', type, created: now(), livemode: false, data: { object: { object: 'payment_intent', ...object } } };
  }
  /** The intent as the provider shows it after it succeeded (amount_received = what was taken). */
  const succeeded = (pi, changes = {}) => {
    Object.assign(pi, { status: 'succeeded', ...changes });
    pi.amount_received = changes.amount_received ?? pi.amount;
    return { id: pi.id, amount: pi.amount, amount_received: pi.amount_received, currency: pi.currency, status: 'succeeded', metadata: pi.metadata };
  };
  /** A pending order of a guest with its intent at the stub: {g, order, pi, before}. */
  async function pendingOrder(qty = 1) {
    const g = await guestCart(srv, [[fx.v, qty]]);
    const before = await stockOf(srv, fx.v);
    const order = must(await checkout(srv, g, { body: { email: email('amounts'), shipping_address: ADDRESS } }), 201);
    assert.equal(order.state, 'pending_payment');
    const [pi] = stub.intentsFor(order.id);
    assert.ok(pi, `the stub made an intent for ${order.id}`);
    return { g, order, pi, before };
  }
  async function mismatches() {
    const r = await api(srv, 'GET', '/metrics');
    assert.equal(r.status, 200);
    let n = 0;
    for (const line of r.text.split('\n')) {
      const m = /^souk_payment_mismatches_total(?:\{[^}]*\})?\s+(\d+)/.exec(line);
      if (m) n += Number(m[1]);
    }
    return n;
  }
  async function auditOf(orderId) {
    const r = must(await api(srv, 'GET', `/api/v1/admin/audit?action=order.payment_mismatch&object_id=${orderId}`, { key: true }), 200);
    return r.data;
  }
  const refundsOf = (piId) => stub.refunds.filter((x) => x.payment_intent === piId);

  /** The order is still waiting: not paid, stock held, cart kept; staff see the review, the customer does not. */
  async function assertFlagged(p, { reason, reported, currency, source }) {
    const o = await orderOf(srv, p.order.id);
    assert.deepEqual([o.state, o.payment_status, o.paid_at], ['pending_payment', 'pending', null], 'not paid');
    assert.ok(o.review, `staff see the review: ${JSON.stringify(o)}`);
    assert.equal(o.review.reason, reason);
    assert.equal(o.review.reported_amount, reported);
    assert.equal(o.review.reported_currency, currency);
    assert.equal(o.review.source, source);
    assert.match(o.review.at, /^\d{4}-\d\d-\d\dT/);
    if (p.order.order_token) {
      const guestView = must(await call(srv, { order: p.order.order_token }, 'GET', `/api/v1/orders/${p.order.id}`), 200);
      assert.equal('review' in guestView, false, 'the customer does not see the review');
    }
    assert.deepEqual(await stockOf(srv, fx.v), { ...p.before, reserved: p.before.reserved + p.qty, available: p.before.available - p.qty },
      'the stock is still only reserved');
    assert.deepEqual(await cartLines(srv, p.g), [[fx.v, p.qty]], 'the cart is kept');
    const entries = await auditOf(p.order.id);
    assert.ok(entries.length >= 1, 'audited');
    assert.equal(entries[0].object_type, 'order');
    assert.equal(entries[0].actor_type, 'system');
    assert.equal(entries[0].details.reported_amount, reported);
    return o;
  }

  before(async () => {
    stub = await startStripeStub({ secretKey: SECRET_KEY });
    srv = await startServer({
      env: {
        SOUK_PAYMENT_GATEWAY: 'stripe', SOUK_STRIPE_SECRET_KEY: SECRET_KEY,
        SOUK_STRIPE_API_BASE: stub.url, SOUK_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
    });
    const wh = await warehouse(srv);
    const p = await product(srv, { title: 'Amount goods', variants: [{ price: 2500, stock: 100 }], wh });
    fx.v = p.variants[0].id;
  });

  after(async () => {
    if (srv) await srv.stop();
    if (stub) await stub.stop();
  });

  it('a signed succeeded webhook for less than the total: unpaid, flagged, audited, counted, refunded', async () => {
    const p = { ...(await pendingOrder(2)), qty: 2 };
    assert.equal(p.order.totals.total.amount, 5000);
    const counted = await mismatches();
    // the intent was changed at the provider to 1 cent and paid
    const r = await webhook(event('payment_intent.succeeded', succeeded(p.pi, { amount: 1 })));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { received: true });
    await assertFlagged(p, { reason: 'amount_mismatch', reported: 1, currency: 'USD', source: 'webhook' });
    assert.equal(await mismatches(), counted + 1, 'souk_payment_mismatches_total');
    const refund = await eventually(() => refundsOf(p.pi.id)[0], 'the refund of what was taken');
    assert.equal(refund.amount, 1, 'what was taken goes back, not the order total');
    // the same event again changes nothing, and refunds nothing more
    fx.first = p;
  });

  it('more than the total, or amount_received other than the total: the same', async () => {
    for (const changes of [{ amount: 9999 }, { amount_received: 2500 }]) {
      const p = { ...(await pendingOrder(2)), qty: 2 };
      const r = await webhook(event('payment_intent.succeeded', succeeded(p.pi, changes)));
      assert.equal(r.status, 200, r.text);
      const taken = changes.amount_received ?? changes.amount;
      await assertFlagged(p, { reason: 'amount_mismatch', reported: taken, currency: 'USD', source: 'webhook' });
      const refund = await eventually(() => refundsOf(p.pi.id)[0], `the refund of ${taken}`);
      assert.equal(refund.amount, taken);
    }
  });

  it('another currency: unpaid and flagged as currency_mismatch', async () => {
    const p = { ...(await pendingOrder(1)), qty: 1 };
    const r = await webhook(event('payment_intent.succeeded', succeeded(p.pi, { currency: 'eur' })));
    assert.equal(r.status, 200, r.text);
    await assertFlagged(p, { reason: 'currency_mismatch', reported: 2500, currency: 'EUR', source: 'webhook' });
    await eventually(() => refundsOf(p.pi.id)[0], 'the refund in the other currency');
  });

  it('a succeeded event without an amount pays nothing', async () => {
    const p = { ...(await pendingOrder(1)), qty: 1 };
    const { amount, amount_received: received, ...rest } = succeeded(p.pi);
    assert.ok(amount && received);
    const r = await webhook(event('payment_intent.succeeded', rest));
    assert.equal(r.status, 200, r.text);
    const o = await orderOf(srv, p.order.id);
    assert.equal(o.state, 'pending_payment');
    assert.equal(o.review.reason, 'amount_mismatch');
    assert.equal(o.review.reported_amount, null);
  });

  it('a redelivered mismatch, or a second event about the same intent, refunds once', async () => {
    const p = fx.first;
    assert.ok(p);
    const again = await webhook(event('payment_intent.succeeded', succeeded(p.pi)));
    assert.equal(again.status, 200, again.text);
    await new Promise((res) => { setTimeout(res, 300); });
    assert.equal(refundsOf(p.pi.id).length, 1, 'one refund per intent');
    assert.equal((await orderOf(srv, p.order.id)).state, 'pending_payment');
  });

  it('the reference fallback binds and pays only an intent whose amount and currency match', async () => {
    // create's answer was lost: the order has no intent on record
    const g = await guestCart(srv, [[fx.v, 1]]);
    const before = await stockOf(srv, fx.v);
    const addr = email('orphan');
    await stub.down();
    let r;
    try {
      r = await checkout(srv, g, { body: { email: addr, shipping_address: ADDRESS } });
    } finally {
      await stub.up();
    }
    expectError(r, 503, 'UNAVAILABLE');
    const [waiting] = must(await call(srv, ADMIN, 'GET', `/api/v1/orders?q=${encodeURIComponent(addr)}`), 200).data;
    assert.equal(waiting.payment.intent_id, null);
    const p = { g, order: waiting, before, qty: 1 };
    // an intent naming the order, for 1 cent, paid
    const cheap = { id: `pi_${token()}`, object: 'payment_intent', amount: 1, amount_received: 1, currency: 'usd', status: 'succeeded', metadata: { reference: waiting.id } };
    stub.intents.set(cheap.id, cheap);
    const counted = await mismatches();
    assert.equal((await webhook(event('payment_intent.succeeded', cheap))).status, 200);
    const o = await assertFlagged(p, { reason: 'amount_mismatch', reported: 1, currency: 'USD', source: 'webhook' });
    assert.equal(o.payment.intent_id, null, 'the wrong intent is not bound to the order');
    assert.equal(o.review.intent_id, cheap.id);
    assert.equal(await mismatches(), counted + 1);
    const refund = await eventually(() => refundsOf(cheap.id)[0], 'the refund of the unbound intent');
    assert.equal(refund.amount, 1);
    // a failed event with a wrong amount does not bind either
    const other = { id: `pi_${token()}`, amount: 7, currency: 'usd', status: 'requires_payment_method', metadata: { reference: waiting.id } };
    assert.equal((await webhook(event('payment_intent.payment_failed', other))).status, 200);
    assert.deepEqual([(await orderOf(srv, waiting.id)).state, (await orderOf(srv, waiting.id)).payment.intent_id], ['pending_payment', null]);
    // the right intent still pays it
    const right = { id: `pi_${token()}`, amount: 2500, amount_received: 2500, currency: 'usd', status: 'succeeded', metadata: { reference: waiting.id } };
    assert.equal((await webhook(event('payment_intent.succeeded', right))).status, 200);
    const paid = await orderOf(srv, waiting.id);
    assert.deepEqual([paid.state, paid.payment.intent_id], ['paid', right.id]);
  });

  it('the synchronous confirmation at checkout: a charge of another amount leaves the order unpaid and is refunded', async () => {
    const g = await guestCart(srv, [[fx.v, 1]]);
    const before = await stockOf(srv, fx.v);
    const counted = await mismatches();
    stub.alter('confirm', { amount: 2600 }); // the intent was changed at the provider before it was confirmed
    const o = must(await checkout(srv, g, { body: { email: email('sync'), shipping_address: ADDRESS, payment_method: 'pm_card_visa' } }), 201);
    assert.deepEqual([o.state, o.payment_status], ['pending_payment', 'pending'], 'not paid');
    assert.equal('review' in o, false, 'the customer does not see the review');
    const pi = stub.intents.get(o.payment.intent_id);
    assert.equal(pi.status, 'succeeded');
    const p = { g, order: o, pi, before, qty: 1 };
    await assertFlagged(p, { reason: 'amount_mismatch', reported: 2600, currency: 'USD', source: 'checkout' });
    assert.equal(await mismatches(), counted + 1);
    const refund = await eventually(() => refundsOf(pi.id)[0], 'the refund of the wrong charge');
    assert.equal(refund.amount, 2600);
    // the provider's webhook about the same intent changes nothing more
    assert.equal((await webhook(event('payment_intent.succeeded', succeeded(pi)))).status, 200);
    await new Promise((res) => { setTimeout(res, 300); });
    assert.equal(refundsOf(pi.id).length, 1);
    assert.equal((await orderOf(srv, o.id)).state, 'pending_payment');
  });

  it('an intent created for another amount than asked: the confirmation does not pay the order', async () => {
    const g = await guestCart(srv, [[fx.v, 1]]);
    stub.alter('create', { amount: 100 });
    const o = must(await checkout(srv, g, { body: { email: email('created'), shipping_address: ADDRESS, payment_method: 'pm_card_visa' } }), 201);
    assert.equal(o.state, 'pending_payment');
    const review = (await orderOf(srv, o.id)).review;
    assert.deepEqual([review.reason, review.reported_amount], ['amount_mismatch', 100]);
    await eventually(() => refundsOf(o.payment.intent_id)[0], 'the refund');
  });

  it('a matching payment still pays, by webhook and at checkout', async () => {
    const p = await pendingOrder(1);
    assert.equal((await webhook(event('payment_intent.succeeded', succeeded(p.pi)))).status, 200);
    const o = await orderOf(srv, p.order.id);
    assert.equal(o.state, 'paid');
    assert.equal('review' in o, false);
    const g = await guestCart(srv, [[fx.v, 1]]);
    const sync = must(await checkout(srv, g, { body: { email: email('ok'), shipping_address: ADDRESS, payment_method: 'pm_card_visa' } }), 201);
    assert.equal(sync.state, 'paid');
  });
});
