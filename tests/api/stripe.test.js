// Checkout with the Stripe-style gateway against a loopback stub of the
// Stripe API (lib/stripe_stub.js): intents created with the order's
// idempotency keys, client secrets for browser confirmation, signed webhooks
// (succeeded, payment_failed, duplicates, bad and stale signatures),
// synchronous confirmation with a payment method, declines, refunds through
// the provider, and a provider that is down or loses its answers (503, then a
// retry with the same Idempotency-Key makes one order and one intent).
//
// Contract: docs/orders.md / docs/internals/orders.md; adapter:
// src/payments/stripe.c. Every response is validated against the OpenAPI
// document by lib/client.js.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token } from './lib/util.js';
import { startStripeStub, signature } from './lib/stripe_stub.js';
import {
  ADMIN, ADDRESS, ID, must, call, checkout, idemKey, warehouse, product, stockOf, guestCart, cartLines,
  act, listOrders, transitions, eventually, orderOf,
} from './lib/orders_util.js';

const SECRET_KEY = 'sk_test_x';
const WEBHOOK_SECRET = 'whsec_test';

describe('checkout with the Stripe-style gateway', () => {
  let srv;
  let stub;
  let wh;
  const fx = {};

  const email = (tag) => `${tag}-${token()}@example.com`;
  /** POST /payments/webhook with EVENT as the exact body; SIG: a header value, null for none, or {t, secret, raw}. */
  function webhook(event, sig = {}) {
    const raw = typeof event === 'string' ? event : JSON.stringify(event);
    const headers = { 'Content-Type': 'application/json' };
    if (typeof sig === 'string') headers['Stripe-Signature'] = sig;
    else if (sig !== null) headers['Stripe-Signature'] = signature(sig.raw ?? raw, sig.secret ?? WEBHOOK_SECRET, sig.t);
    return api(srv, 'POST', '/api/v1/payments/webhook', { rawBody: raw, headers });
  }
  const now = () => Math.floor(Date.now() / 1000);
  function event(type, pi, extra = {}) {
    return {
      id: `evt_${token()}`, object: 'event', type, created: now(), livemode: false,
      data: { object: { id: pi.id, object: 'payment_intent', amount: pi.amount, currency: pi.currency, status: pi.status, ...extra } },
    };
  }
  /** The single order of ADDRESS (admin search by e-mail). */
  async function onlyOrderOf(addr) {
    const found = await listOrders(srv, ADMIN, `q=${encodeURIComponent(addr)}`);
    assert.equal(found.length, 1, `one order for ${addr}: ${JSON.stringify(found.map((o) => [o.id, o.state]))}`);
    return found[0];
  }
  /** A pending order of a guest: {g, email, order, pi, before (stock before checkout)}. */
  async function pendingOrder(qty = 1) {
    const g = await guestCart(srv, [[fx.v, qty]]);
    const before = await stockOf(srv, fx.v);
    const addr = email('pending');
    const order = must(await checkout(srv, g, { body: { email: addr, shipping_address: ADDRESS } }), 201);
    assert.equal(order.state, 'pending_payment');
    const [pi] = stub.intentsFor(order.id);
    assert.ok(pi, `the stub made an intent for ${order.id}`);
    return { g, email: addr, order, pi, before };
  }

  before(async () => {
    stub = await startStripeStub({ secretKey: SECRET_KEY });
    srv = await startServer({
      env: {
        SOUK_PAYMENT_GATEWAY: 'stripe', SOUK_STRIPE_SECRET_KEY: SECRET_KEY,
        SOUK_STRIPE_API_BASE: stub.url, SOUK_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
    });
    wh = await warehouse(srv);
    const p = await product(srv, { title: 'Stripe goods', variants: [{ price: 2500, stock: 100 }], wh });
    fx.v = p.variants[0].id;
  });

  after(async () => {
    if (srv) await srv.stop();
    if (stub) await stub.stop();
  });

  it('calls the gateway with a child traceparent of the checkout request (W3C trace context)', async () => {
    const g = await guestCart(srv, [[fx.v, 1]]);
    const trace = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const parent = '1122334455667788';
    const calls = stub.requests.length;
    const r = await checkout(srv, g, { body: { email: email('traced'), shipping_address: ADDRESS }, headers: { traceparent: `00-${trace}-${parent}-01` } });
    must(r, 201);
    const mine = /^00-[0-9a-f]{32}-([0-9a-f]{16})-01$/.exec(r.headers.get('traceparent'))[1];
    const made = stub.requests.slice(calls);
    assert.ok(made.length >= 1);
    const spans = new Set();
    for (const req of made) {
      const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(req.headers.traceparent || '');
      assert.ok(m, `${req.path}: traceparent ${req.headers.traceparent}`);
      assert.equal(m[1], trace, 'the checkout request\'s trace');
      assert.ok(m[2] !== parent && m[2] !== mine, 'a span of its own');
      spans.add(m[2]);
    }
    assert.equal(spans.size, made.length, 'each call its own span');
  });

  it('checkout without a payment method: 201 pending_payment with the intent and its client secret', async () => {
    const g = await guestCart(srv, [[fx.v, 2]]);
    const before = await stockOf(srv, fx.v);
    const addr = email('first');
    const calls = stub.requests.length;
    const o = must(await checkout(srv, g, { body: { email: addr, shipping_address: ADDRESS } }), 201);
    assert.match(o.id, ID('ord'));
    assert.equal(o.state, 'pending_payment');
    assert.equal(o.payment_status, 'pending');
    assert.match(o.order_token, /^ot_/);
    assert.deepEqual(o.totals.total, { amount: 5000, currency: 'USD' });

    const made = stub.requests.slice(calls);
    assert.deepEqual(made.map((r) => `${r.method} ${r.path}`), ['POST /v1/payment_intents'], 'one call: create, no confirm');
    const [req] = made;
    assert.equal(req.headers.authorization, `Bearer ${SECRET_KEY}`);
    assert.match(req.headers['content-type'], /^application\/x-www-form-urlencoded/);
    assert.equal(req.headers['idempotency-key'], `${o.id}-create`);
    assert.equal(req.form.amount, '5000');
    assert.equal(req.form.currency, 'usd');
    assert.ok((req.form['metadata[reference]'] || '').includes(o.id), `the intent names the order: ${JSON.stringify(req.form)}`);
    const intents = stub.intentsFor(req.form['metadata[reference]']);
    assert.equal(intents.length, 1);
    const [pi] = intents;
    assert.deepEqual(o.payment, { gateway: 'stripe', intent_id: pi.id, client_secret: pi.client_secret, status: 'requires_confirmation', decline_code: null });
    // the client secret is for the customer: the guest with the order token sees it, staff do not
    const guestView = must(await api(srv, 'GET', `/api/v1/orders/${o.id}`, { headers: { 'X-Order-Token': o.order_token } }), 200);
    assert.equal(guestView.payment.client_secret, pi.client_secret);
    const staffView = must(await api(srv, 'GET', `/api/v1/orders/${o.id}`, { key: true }), 200);
    assert.equal(staffView.payment.client_secret, null);

    assert.deepEqual(await stockOf(srv, fx.v), { on_hand: before.on_hand, reserved: before.reserved + 2, available: before.available - 2 }, 'reserved');
    assert.deepEqual(await cartLines(srv, g), [[fx.v, 2]], 'the cart waits for the payment');
    fx.first = { g, o, pi, before, email: addr };
  });

  it('a signed payment_intent.succeeded webhook: the order is paid, the stock consumed, the cart emptied', async () => {
    const { g, o, pi, before } = fx.first;
    pi.status = 'succeeded'; // the customer confirmed in the browser
    const ev = event('payment_intent.succeeded', pi);
    const r = await webhook(ev);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { received: true });
    const paid = await call(srv, { order: o.order_token }, 'GET', `/api/v1/orders/${o.id}`);
    const p = must(paid, 200);
    assert.deepEqual([p.state, p.payment_status, p.payment.status], ['paid', 'succeeded', 'succeeded']);
    assert.notEqual(p.paid_at, null);
    assert.deepEqual(transitions(p), [[null, 'pending_payment'], ['pending_payment', 'paid']]);
    assert.deepEqual(await stockOf(srv, fx.v), { on_hand: before.on_hand - 2, reserved: before.reserved, available: before.available - 2 });
    assert.deepEqual(await cartLines(srv, g), [], 'the cart is emptied once paid');
    fx.first.event = ev;
    fx.first.paid = p;
  });

  it('the same event again: 200 duplicate, nothing changes', async () => {
    assert.ok(fx.first.event);
    const stock = await stockOf(srv, fx.v);
    const r = await webhook(fx.first.event);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { received: true, duplicate: true });
    const o = must(await call(srv, { order: fx.first.o.order_token }, 'GET', `/api/v1/orders/${fx.first.o.id}`), 200);
    assert.deepEqual(o, fx.first.paid);
    assert.deepEqual(await stockOf(srv, fx.v), stock);
  });

  it('bad signatures and stale timestamps are 400 and change nothing', async () => {
    const p = await pendingOrder(3);
    fx.second = p;
    const held = await stockOf(srv, fx.v);
    const ev = event('payment_intent.payment_failed', { ...p.pi, status: 'requires_payment_method' },
      { last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' } });
    const raw = JSON.stringify(ev);
    const t = now();
    const good = signature(raw, WEBHOOK_SECRET, t);
    const v1 = good.split('v1=')[1];
    const flip = (h) => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0');
    const bad = [
      null,                                                          // no header
      '',                                                            // empty
      signature(raw, 'whsec_wrong', t),                              // another secret
      signature(JSON.stringify({ ...ev, id: 'evt_other' }), WEBHOOK_SECRET, t), // another body
      `t=${t},v1=${flip(v1)}`,                                       // one hex digit off
      `t=${t},v1=${'0'.repeat(64)}`,
      `t=${t}`,                                                      // no v1
      `v1=${v1}`,                                                    // no t
      `t=${t + 1},v1=${v1}`,                                         // the time is signed too
      `t=abc,v1=${v1}`,
      `t=${t},v0=${v1}`,                                             // only v1 counts
      `t=${t},v1=${v1.slice(0, 63)}`,
    ];
    for (const h of bad) {
      const r = await webhook(raw, h);
      expectError(r, 400, 'BAD_REQUEST');
    }
    const o = must(await call(srv, { order: p.order.order_token }, 'GET', `/api/v1/orders/${p.order.id}`), 200);
    assert.deepEqual([o.state, o.payment_status], ['pending_payment', 'pending'], 'no change');
    assert.deepEqual(await stockOf(srv, fx.v), held, 'the reservation is still held');
    fx.second.event = ev;
  });

  it('a correctly signed event with a stale (or future) timestamp is 400 and changes nothing', async () => {
    const p = fx.second;
    assert.ok(p?.event);
    const held = await stockOf(srv, fx.v);
    const raw = JSON.stringify(p.event);
    for (const t of [now() - 360, now() - 3600, now() + 360, 0]) {
      expectError(await webhook(raw, signature(raw, WEBHOOK_SECRET, t)), 400, 'BAD_REQUEST');
    }
    const o = must(await call(srv, { order: p.order.order_token }, 'GET', `/api/v1/orders/${p.order.id}`), 200);
    assert.deepEqual([o.state, o.payment_status], ['pending_payment', 'pending'], 'no change');
    assert.deepEqual(await stockOf(srv, fx.v), held);
  });

  it('payment_intent.payment_failed: the order is cancelled, the stock released, the cart kept', async () => {
    const p = fx.second;
    assert.ok(p?.event);
    // the same event id as the refused deliveries above: they recorded nothing
    const r = await webhook(p.event);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { received: true });
    const o = must(await call(srv, { order: p.order.order_token }, 'GET', `/api/v1/orders/${p.order.id}`), 200);
    assert.equal(o.state, 'cancelled');
    assert.ok(['declined', 'failed'].includes(o.payment_status), o.payment_status);
    assert.equal(o.payment.decline_code, 'insufficient_funds');
    assert.equal(o.paid_at, null);
    assert.deepEqual(transitions(o), [[null, 'pending_payment'], ['pending_payment', 'cancelled']]);
    assert.deepEqual(await stockOf(srv, fx.v), p.before, 'the reservation is released');
    assert.deepEqual(await cartLines(srv, p.g), [[fx.v, 3]], 'the cart is kept');
    const dup = await webhook(p.event);
    assert.deepEqual(dup.body, { received: true, duplicate: true });
  });

  it('webhooks for unknown intents and other event types are acknowledged and ignored', async () => {
    const p = await pendingOrder(1);
    const held = await stockOf(srv, fx.v);
    for (const ev of [
      event('payment_intent.succeeded', { id: 'pi_nobody_knows', amount: 2500, currency: 'usd', status: 'succeeded' }),
      event('charge.refunded', p.pi),
      event('payment_intent.created', p.pi),
    ]) {
      const r = await webhook(ev);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, { received: true });
    }
    const o = must(await call(srv, { order: p.order.order_token }, 'GET', `/api/v1/orders/${p.order.id}`), 200);
    assert.equal(o.state, 'pending_payment');
    assert.deepEqual(await stockOf(srv, fx.v), held);
    // payment_intent.canceled cancels, like payment_failed
    const c = await webhook(event('payment_intent.canceled', { ...p.pi, status: 'canceled' }));
    assert.deepEqual(c.body, { received: true });
    assert.equal(must(await call(srv, { order: p.order.order_token }, 'GET', `/api/v1/orders/${p.order.id}`), 200).state, 'cancelled');
    assert.deepEqual(await stockOf(srv, fx.v), p.before);
  });

  it('payment_method pm_card_visa: confirmed at once, 201 paid', async () => {
    const g = await guestCart(srv, [[fx.v, 1]]);
    const before = await stockOf(srv, fx.v);
    const calls = stub.requests.length;
    const o = must(await checkout(srv, g, { body: { email: email('visa'), shipping_address: ADDRESS, payment_method: 'pm_card_visa' } }), 201);
    assert.deepEqual([o.state, o.payment_status, o.payment.status, o.payment.gateway], ['paid', 'succeeded', 'succeeded', 'stripe']);
    const made = stub.requests.slice(calls);
    const [pi] = stub.intentsFor(made[0]?.form['metadata[reference]']);
    assert.ok(pi);
    assert.equal(o.payment.intent_id, pi.id);
    assert.deepEqual(made.map((r) => `${r.path} ${r.headers['idempotency-key']}`),
      [`/v1/payment_intents ${o.id}-create`, `/v1/payment_intents/${pi.id}/confirm ${o.id}-confirm`]);
    assert.deepEqual(made[1].form, { payment_method: 'pm_card_visa' });
    assert.equal(pi.status, 'succeeded');
    assert.deepEqual(await stockOf(srv, fx.v), { on_hand: before.on_hand - 1, reserved: before.reserved, available: before.available - 1 });
    assert.deepEqual(await cartLines(srv, g), []);

    // Stripe sends payment_intent.succeeded as well: nothing more happens
    const r = await webhook(event('payment_intent.succeeded', pi));
    assert.equal(r.status, 200, r.text);
    const again = must(await call(srv, { order: o.order_token }, 'GET', `/api/v1/orders/${o.id}`), 200);
    assert.deepEqual([again.state, again.paid_at], ['paid', o.paid_at]);
    assert.deepEqual(await stockOf(srv, fx.v), { on_hand: before.on_hand - 1, reserved: before.reserved, available: before.available - 1 });
    fx.visa = { o, pi };
  });

  it('a confirmation still processing: 201 pending_payment, then the webhook marks it paid', async () => {
    const g = await guestCart(srv, [[fx.v, 1]]);
    const before = await stockOf(srv, fx.v);
    const o = must(await checkout(srv, g, { body: { email: email('processing'), shipping_address: ADDRESS, payment_method: 'pm_card_processing' } }), 201);
    assert.deepEqual([o.state, o.payment_status, o.payment.status], ['pending_payment', 'pending', 'processing']);
    assert.deepEqual(await stockOf(srv, fx.v), { on_hand: before.on_hand, reserved: before.reserved + 1, available: before.available - 1 });
    const pi = stub.intents.get(o.payment.intent_id);
    assert.equal(pi.status, 'processing');
    pi.status = 'succeeded';
    assert.deepEqual((await webhook(event('payment_intent.succeeded', pi))).body, { received: true });
    const p = must(await call(srv, { order: o.order_token }, 'GET', `/api/v1/orders/${o.id}`), 200);
    assert.deepEqual([p.state, p.payment_status, p.payment.status], ['paid', 'succeeded', 'succeeded']);
    assert.deepEqual(await stockOf(srv, fx.v), { on_hand: before.on_hand - 1, reserved: before.reserved, available: before.available - 1 });
    assert.deepEqual(await cartLines(srv, g), []);
  });

  it('a payment that succeeds after its order was cancelled is refunded in full', async () => {
    const p = await pendingOrder(1);
    const c = must(await call(srv, ADMIN, 'POST', `/api/v1/orders/${p.order.id}/cancel`, { reason: 'abandoned' }), 200);
    assert.equal(c.state, 'cancelled');
    assert.deepEqual(await stockOf(srv, fx.v), p.before, 'released');
    p.pi.status = 'succeeded'; // the customer paid anyway, late
    const r = await webhook(event('payment_intent.succeeded', p.pi));
    assert.equal(r.status, 200, r.text);
    const refund = await eventually(() => stub.refunds.find((x) => x.payment_intent === p.pi.id), 'a refund of the orphan payment', 15_000);
    assert.equal(refund.amount, p.order.totals.total.amount, 'in full');
    const o = must(await call(srv, { order: p.order.order_token }, 'GET', `/api/v1/orders/${p.order.id}`), 200);
    assert.equal(o.state, 'cancelled', 'the order stays cancelled');
    assert.deepEqual(await stockOf(srv, fx.v), p.before, 'no stock taken for a cancelled order');
  });

  it('a card declined by the provider: 402 PAYMENT_DECLINED, the order cancelled, stock and cart kept', async () => {
    const g = await guestCart(srv, [[fx.v, 2]]);
    const before = await stockOf(srv, fx.v);
    const addr = email('declined');
    const r = await checkout(srv, g, { body: { email: addr, shipping_address: ADDRESS, payment_method: 'pm_card_chargeDeclinedInsufficientFunds' } });
    expectError(r, 402, 'PAYMENT_DECLINED', 'payment_method');
    assert.deepEqual(r.body.error.details, [{ field: 'payment_method', message: 'insufficient_funds' }]);
    const o = await onlyOrderOf(addr);
    assert.deepEqual([o.state, o.payment_status, o.payment.decline_code], ['cancelled', 'declined', 'insufficient_funds']);
    assert.deepEqual(await stockOf(srv, fx.v), before);
    assert.deepEqual(await cartLines(srv, g), [[fx.v, 2]]);
  });

  it('refunds and cancellations of paid orders go through the provider', async () => {
    const { o, pi } = fx.visa;
    const before = stub.refunds.length;
    const part = must(await act(srv, ADMIN, o.id, 'refunds', { amount: 700, reason: 'scratched' }), 201);
    assert.deepEqual([part.payment_status, part.totals.refunded.amount], ['partially_refunded', 700]);
    await eventually(() => stub.refunds.length > before, 'the partial refund at the provider');
    const rq = stub.requestsTo(/^\/v1\/refunds$/).at(-1);
    assert.deepEqual(rq.form, { payment_intent: pi.id, amount: '700' });
    assert.match(rq.headers['idempotency-key'], /^rfd_/);
    assert.equal(rq.headers['idempotency-key'], part.refunds[0].id);

    const stock = await stockOf(srv, fx.v);
    const c = must(await act(srv, ADMIN, o.id, 'cancel', { reason: 'lost in the post' }), 200);
    assert.deepEqual([c.state, c.payment_status, c.totals.refunded], ['cancelled', 'refunded', o.totals.total]);
    await eventually(() => stub.refunds.length > before + 1, 'the refund of the rest at the provider');
    const mine = stub.refunds.filter((x) => x.payment_intent === pi.id);
    assert.deepEqual(mine.map((x) => x.amount), [700, o.totals.total.amount - 700]);
    assert.deepEqual(await stockOf(srv, fx.v), { on_hand: stock.on_hand + 1, reserved: stock.reserved, available: stock.available + 1 });
  });

  it('provider down: 503 with Retry-After; the same key once it is back gives one order and one intent', async () => {
    const g = await guestCart(srv, [[fx.v, 2]]);
    const before = await stockOf(srv, fx.v);
    const addr = email('down');
    const key = idemKey('down');
    const body = { email: addr, shipping_address: ADDRESS, payment_method: 'pm_card_visa' };
    await stub.down();
    let r;
    try {
      r = await checkout(srv, g, { key, body });
    } finally {
      await stub.up();
    }
    expectError(r, 503, 'UNAVAILABLE');
    assert.match(r.headers.get('retry-after') || '', /^\d+$/, 'Retry-After seconds');
    const waiting = await onlyOrderOf(addr);
    assert.equal(waiting.state, 'pending_payment');
    assert.deepEqual(stub.intentsFor(waiting.id), [], 'nothing reached the provider');
    assert.deepEqual(await stockOf(srv, fx.v), { on_hand: before.on_hand, reserved: before.reserved + 2, available: before.available - 2 }, 'held for the retry');
    assert.deepEqual(await cartLines(srv, g), [[fx.v, 2]]);

    const o = must(await checkout(srv, g, { key, body }), 201);
    assert.equal(o.id, waiting.id, 'the retry resumes the same order');
    assert.deepEqual([o.state, o.payment_status], ['paid', 'succeeded']);
    assert.equal((await onlyOrderOf(addr)).id, o.id);
    assert.equal(stub.intentsFor(stub.intents.get(o.payment.intent_id).metadata.reference).length, 1, 'exactly one intent');
    assert.deepEqual(await stockOf(srv, fx.v), { on_hand: before.on_hand - 2, reserved: before.reserved, available: before.available - 2 });
    // and the answer is now stored for the key
    const again = await checkout(srv, g, { key, body });
    assert.equal(again.status, 201);
    assert.equal(again.body.id, o.id);
  });

  it('a webhook for an intent souk never heard back about finds its order by the reference', async () => {
    // create's answer was lost (the provider down for souk), yet the intent exists and is paid:
    // the webhook names the order in metadata.reference and pays it
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
    const waiting = await onlyOrderOf(addr);
    assert.equal(waiting.payment.intent_id, null);
    const pi = { id: `pi_${token()}`, amount: waiting.totals.total.amount, currency: 'usd', status: 'succeeded' };
    const hook = await webhook(event('payment_intent.succeeded', pi, { metadata: { reference: waiting.id } }));
    assert.equal(hook.status, 200, hook.text);
    const paid = await orderOf(srv, waiting.id);
    assert.deepEqual([paid.state, paid.payment.intent_id], ['paid', pi.id]);
    assert.deepEqual(await stockOf(srv, fx.v), { on_hand: before.on_hand - 1, reserved: before.reserved, available: before.available - 1 });
    // a reference to an order that has its own intent is not taken over
    const other = await webhook(event('payment_intent.succeeded', { ...pi, id: `pi_${token()}` }, { metadata: { reference: waiting.id } }));
    assert.equal(other.status, 200);
    assert.equal((await orderOf(srv, waiting.id)).payment.intent_id, pi.id);
  });

  it('answers lost after the provider acted: retries reuse the intent and the confirmation', async () => {
    for (const op of ['create', 'confirm']) {
      const g = await guestCart(srv, [[fx.v, 1]]);
      const before = await stockOf(srv, fx.v);
      const addr = email(`lost-${op}`);
      const key = idemKey(`lost-${op}`);
      const body = { email: addr, shipping_address: ADDRESS, payment_method: 'pm_card_visa' };
      const made = stub.created.length;
      stub.fault(op, 'drop-after');
      expectError(await checkout(srv, g, { key, body }), 503, 'UNAVAILABLE');
      assert.equal(stub.created.length, made + 1, `${op}: the intent was made before the answer was lost`);
      const pending = await onlyOrderOf(addr);
      assert.equal(pending.state, 'pending_payment', `${op}: waiting`);

      const o = must(await checkout(srv, g, { key, body }), 201);
      assert.equal(o.id, pending.id);
      assert.deepEqual([o.state, o.payment_status], ['paid', 'succeeded'], op);
      assert.equal(stub.created.length, made + 1, `${op}: no second intent`);
      const pi = stub.intents.get(o.payment.intent_id);
      assert.equal(pi.status, 'succeeded');
      const confirms = stub.requestsTo(new RegExp(`^/v1/payment_intents/${pi.id}/confirm$`));
      assert.ok(confirms.every((c) => c.headers['idempotency-key'] === `${o.id}-confirm`), `${op}: confirmations carry the order's key`);
      assert.equal(confirms.filter((c) => !c.replayed).length, 1, `${op}: confirmed once at the provider`);
      assert.deepEqual(await stockOf(srv, fx.v), { on_hand: before.on_hand - 1, reserved: before.reserved, available: before.available - 1 }, `${op}: sold once`);
    }
  });

  it('a provider error (HTTP 500) is 503 too, and the retry succeeds', async () => {
    const g = await guestCart(srv, [[fx.v, 1]]);
    const addr = email('five-hundred');
    const key = idemKey('500');
    const body = { email: addr, shipping_address: ADDRESS, payment_method: 'pm_card_visa' };
    stub.fault('create', '500');
    expectError(await checkout(srv, g, { key, body }), 503, 'UNAVAILABLE');
    const o = must(await checkout(srv, g, { key, body }), 201);
    assert.equal(o.state, 'paid');
    assert.equal((await onlyOrderOf(addr)).id, o.id);
    assert.equal(stub.intentsFor(stub.intents.get(o.payment.intent_id).metadata.reference).length, 1);
  });

  it('every call to the provider carried the secret key, a form body and the order\'s idempotency key', () => {
    assert.ok(stub.requests.length >= 10);
    for (const r of stub.requests) {
      const where = `${r.method} ${r.path}`;
      assert.equal(r.method, 'POST', where);
      assert.equal(r.headers.authorization, `Bearer ${SECRET_KEY}`, where);
      assert.match(r.headers['content-type'] || '', /^application\/x-www-form-urlencoded/, where);
      const key = r.headers['idempotency-key'] || '';
      if (r.path === '/v1/refunds') assert.match(key, /^rfd_[0-9A-HJKMNP-TV-Z]{13}$/, where);
      else if (r.path === '/v1/payment_intents') assert.match(key, /^ord_[0-9A-HJKMNP-TV-Z]{13}-create$/, where);
      else assert.match(key, /^ord_[0-9A-HJKMNP-TV-Z]{13}-confirm$/, where);
    }
  });
});
