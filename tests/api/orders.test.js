// Checkout and orders through the HTTP API (test payment gateway): the whole
// journey of a customer (browse, guest cart, sign-in, merge, checkout, paid),
// fulfilment, shipping, delivery, refunds, returns, cancellations, declined
// cards, illegal transitions, marketplace sub-orders with commissions and
// vendor visibility, who may see an order, idempotency keys, and the order
// e-mails in the mail outbox.
//
// Contract: docs/orders.md / docs/internals/orders.md. Every response is
// validated against the OpenAPI document by lib/client.js.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { sql } from './lib/db.js';
import { token, sleep } from './lib/util.js';
import {
  ADMIN, ADDRESS, ID, money, must, call, checkout, idemKey, warehouse, product, stockOf, guestCart, addLine,
  cartOf, cartLines, customer, customerWithCart, vendor, vendorUser, staffUser, orderOf, act, listOrders, assertTransitions,
  waitForMail, mailTo, eventually,
} from './lib/orders_util.js';

/** The table row id behind a public id (prefix_ + 13 Crockford base32 digits). */
function rowId(publicId) {
  const digits = publicId.split('_')[1];
  let v = 0n;
  for (const ch of digits) v = v * 32n + BigInt('0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(ch));
  return BigInt.asIntN(64, v).toString();
}


const CARD_OK = '4242424242424242';
const CARD_DECLINED = '4000000000000002';
const CARD_NO_FUNDS = '4000000000009995';
const CARD_ERROR = '4000000000000119';
/** x * bp / 10000, rounded half up */
const commission = (x, bp) => Math.floor((x * bp + 5000) / 10000);
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const TOTAL_KEYS = ['subtotal', 'discount', 'shipping', 'tax', 'total'];

describe('orders', () => {
  let srv;
  let wh;
  const fx = {};

  const pay = (who, extra = {}) => checkout(srv, who, { body: { shipping_address: ADDRESS, payment_method: CARD_OK, ...extra } });
  /** A customer whose cart holds LINES, checked out and paid; returns {customer, order}. */
  async function paidOrder(lines) {
    const c = await customerWithCart(srv, lines);
    const order = must(await pay(c.who), 201);
    assert.equal(order.state, 'paid');
    return { c, order };
  }
  /** A new variant with exactly STOCK units (price PRICE): its id. */
  async function fresh(price = 1250, stock = 10) {
    return (await product(srv, { title: 'Fresh', variants: [{ price, stock }], wh })).variants[0].id;
  }
  /** Admin: fulfil everything, ship, deliver. */
  async function deliverAll(id) {
    must(await act(srv, ADMIN, id, 'fulfil'), 200);
    must(await act(srv, ADMIN, id, 'ship', { carrier: 'UPS', tracking: `1Z${token()}` }), 200);
    const o = must(await act(srv, ADMIN, id, 'deliver'), 200);
    assert.equal(o.state, 'delivered');
    return o;
  }

  before(async () => {
    srv = await startServer();
    wh = await warehouse(srv);
    const p = await product(srv, { title: 'Teapot', variants: [{ price: 1250, stock: 10 }, { price: 799, stock: 5 }], wh });
    fx.product = p.product;
    [fx.v1, fx.v2] = p.variants.map((v) => v.id);
    // stock for the other tests, apart from the journey's
    const q = await product(srv, { title: 'Mug', variants: [{ price: 1250, stock: 1000 }, { price: 799, stock: 1000 }], wh });
    [fx.m1, fx.m2] = q.variants.map((v) => v.id);
    fx.ship = must(await api(srv, 'POST', '/api/v1/admin/shipping-methods',
      { key: true, body: { code: `std-${token()}`.slice(0, 32), name: 'Standard', currency: 'USD', amount: 499 } }), 201);
    fx.coupon = must(await api(srv, 'POST', '/api/v1/admin/coupons',
      { key: true, body: { code: `TEN${token()}`.slice(0, 32).toUpperCase(), kind: 'percent', value: 1000 } }), 201);
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  // ---------------------------------------------------------------- the journey
  describe('a customer\'s journey', () => {
    const j = {};

    it('browses, fills a guest cart, signs in and merges the cart', async () => {
      const reg = await customer(srv);
      const d = must(await api(srv, 'GET', `/api/v1/products/${fx.product.id}`), 200);
      assert.deepEqual(d.variants.map((v) => [v.id, v.available]), [[fx.v1, 10], [fx.v2, 5]]);
      const list = must(await api(srv, 'GET', '/api/v1/products?in_stock=true&limit=100'), 200);
      assert.ok(list.data.some((x) => x.id === fx.product.id), 'the teapot is listed as in stock');

      const guest = await guestCart(srv, [[fx.v1, 2], [fx.v2, 1]]);
      const login = must(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: reg.email, password: reg.password } }), 200);
      j.c = { ...reg, key: login.access_token, who: { key: login.access_token } };
      const merged = must(await call(srv, j.c.who, 'POST', '/api/v1/carts/merge', { cart_token: guest.cart }), 200);
      assert.deepEqual(merged.lines.map((l) => [l.variant_id, l.quantity]), [[fx.v1, 2], [fx.v2, 1]]);
      assert.equal(await cartOf(srv, guest), null, 'the guest cart is gone');

      must(await call(srv, j.c.who, 'PATCH', '/api/v1/carts/current', { shipping_method: fx.ship.code }), 200);
      j.cart = must(await call(srv, j.c.who, 'PUT', '/api/v1/carts/current/coupon', { code: fx.coupon.code }), 200);
      // 2 × 1250 + 799 = 3299; 10 % = 329.9 → 330; shipping 499
      assert.deepEqual(j.cart.totals.subtotal, money(3299));
      assert.deepEqual(j.cart.totals.discount, money(330));
      assert.deepEqual(j.cart.totals.shipping, money(499));
      assert.deepEqual(j.cart.totals.total, money(3299 - 330 + 499));
    });

    it('checks out with the test card: 201 paid, the cart emptied, the stock taken', async () => {
      assert.ok(j.cart, 'the cart of the previous step');
      const before1 = await stockOf(srv, fx.v1);
      const before2 = await stockOf(srv, fx.v2);
      assert.deepEqual([before1, before2], [{ on_hand: 10, reserved: 0, available: 10 }, { on_hand: 5, reserved: 0, available: 5 }]);
      j.key = idemKey('journey');
      j.body = { shipping_address: { ...ADDRESS, line2: 'Flat 3', region: 'Westminster' }, payment_method: CARD_OK };
      const r = await checkout(srv, j.c.who, { key: j.key, body: j.body });
      const o = must(r, 201);
      j.first = r;
      j.order = o;
      assert.match(o.id, ID('ord'));
      assert.equal(o.state, 'paid');
      assert.equal(o.payment_status, 'succeeded');
      assert.equal(o.email, j.c.email, 'the account e-mail by default');
      assert.equal(o.customer_id, j.c.id);
      assert.equal(o.currency, 'USD');
      assert.equal('order_token' in o, false, 'customers get no order token');
      for (const k of TOTAL_KEYS) assert.deepEqual(o.totals[k], j.cart.totals[k], `totals.${k} as the cart showed them`);
      assert.deepEqual(o.totals.refunded, money(0));
      assert.equal(o.prices_include_tax, j.cart.totals.prices_include_tax);
      assert.equal(o.shipping_method, fx.ship.code);
      assert.equal(o.coupon, fx.coupon.code);
      assert.deepEqual(o.shipping_address, j.body.shipping_address);
      assert.deepEqual(o.lines.map((l) => ({ ...l })), j.cart.lines.map((l) => ({
        variant_id: l.variant_id, product_id: l.product_id, vendor_id: null, sku: l.sku, product_title: l.product_title,
        variant_title: l.variant_title, quantity: l.quantity, unit_price: l.unit_price, line_total: l.line_total,
        discount: l.discount, fulfilled_quantity: 0, returned_quantity: 0,
      })));
      assert.equal(o.sub_orders.length, 1, 'the shop\'s own goods: one sub-order');
      const [s] = o.sub_orders;
      assert.match(s.id, ID('subo'));
      assert.deepEqual({ ...s, id: undefined }, {
        id: undefined, vendor_id: null, state: 'paid', subtotal: money(3299), commission_bp: 0, commission: money(0), carrier: null, tracking: null,
      });
      assert.equal(o.payment.gateway, 'test');
      assert.equal(o.payment.status, 'succeeded');
      assert.equal(o.payment.decline_code, null);
      assert.equal(typeof o.payment.intent_id, 'string');
      assert.deepEqual(o.refunds, []);
      assert.deepEqual(o.returns, []);
      assert.match(o.paid_at, RFC3339);
      assert.match(o.created_at, RFC3339);
      assertTransitions(o, [[null, 'pending_payment'], ['pending_payment', 'paid']]);

      assert.deepEqual(await cartLines(srv, j.c.who), [], 'the cart is emptied');
      assert.deepEqual(await stockOf(srv, fx.v1), { on_hand: 8, reserved: 0, available: 8 });
      assert.deepEqual(await stockOf(srv, fx.v2), { on_hand: 4, reserved: 0, available: 4 });
      const coupons = must(await api(srv, 'GET', '/api/v1/admin/coupons', { key: true }), 200).data;
      assert.equal(coupons.find((k) => k.id === fx.coupon.id).used_count, 1, 'the coupon\'s use is counted');

      // the customer reads it back, as it was answered
      assert.deepEqual(await orderOf(srv, o.id, j.c.who), o);
      const mine = await listOrders(srv, j.c.who);
      assert.deepEqual(mine.map((x) => x.id), [o.id]);
    });

    it('the same Idempotency-Key and body answers the stored response and does nothing again', async () => {
      assert.ok(j.order);
      const again = await checkout(srv, j.c.who, { key: j.key, body: j.body });
      assert.equal(again.status, 201);
      assert.equal(again.text, j.first.text, 'byte for byte the first answer');
      assert.equal((await listOrders(srv, j.c.who)).length, 1, 'one order');
      assert.deepEqual(await stockOf(srv, fx.v1), { on_hand: 8, reserved: 0, available: 8 }, 'no second sale');

      const other = { ...j.body, shipping_address: { ...j.body.shipping_address, name: 'Someone Else' } };
      expectError(await checkout(srv, j.c.who, { key: j.key, body: other }), 422, 'IDEMPOTENCY_MISMATCH');
      expectError(await checkout(srv, j.c.who, { key: null, body: j.body }), 422, 'VALIDATION_ERROR', 'Idempotency-Key');
      assert.equal((await listOrders(srv, j.c.who)).length, 1);
    });

    it('ship or deliver before fulfilment is 409 INVALID_STATE', async () => {
      const id = j.order.id;
      expectError(await act(srv, ADMIN, id, 'ship', { carrier: 'DHL', tracking: 'JD014600006281' }), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, id, 'deliver'), 409, 'INVALID_STATE');
      const o = await orderOf(srv, id);
      assert.equal(o.state, 'paid');
      assert.equal(o.sub_orders[0].carrier, null);
    });

    it('admin fulfils, ships and delivers', async () => {
      const id = j.order.id;
      let o = must(await act(srv, ADMIN, id, 'fulfil'), 200);
      assert.equal(o.state, 'fulfilled');
      assert.deepEqual(o.lines.map((l) => l.fulfilled_quantity), o.lines.map((l) => l.quantity));
      assert.equal(o.sub_orders[0].state, 'fulfilled');
      expectError(await act(srv, ADMIN, id, 'fulfil'), 409, 'INVALID_STATE');

      expectError(await act(srv, ADMIN, id, 'ship', {}), 422, 'VALIDATION_ERROR', 'carrier');
      o = must(await act(srv, ADMIN, id, 'ship', { carrier: 'DHL', tracking: 'JD014600006281' }), 200);
      assert.equal(o.state, 'shipped');
      assert.deepEqual([o.sub_orders[0].state, o.sub_orders[0].carrier, o.sub_orders[0].tracking], ['shipped', 'DHL', 'JD014600006281']);

      // a shipped order cannot be cancelled, by its owner or by the shop
      expectError(await act(srv, j.c.who, id, 'cancel'), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, id, 'cancel', { reason: 'too late' }), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, id, 'ship', { carrier: 'DHL', tracking: 'again' }), 409, 'INVALID_STATE');

      o = must(await act(srv, ADMIN, id, 'deliver'), 200);
      assert.equal(o.state, 'delivered');
      assert.equal(o.sub_orders[0].state, 'delivered');
      assert.equal(o.payment_status, 'succeeded');
      assertTransitions(o, [[null, 'pending_payment'], ['pending_payment', 'paid'], ['paid', 'fulfilled'],
        ['fulfilled', 'shipped'], ['shipped', 'delivered']]);
      for (const h of o.history) {
        assert.match(h.at, RFC3339);
        assert.equal(typeof h.actor, 'string');
        assert.equal(typeof h.note, 'string');
      }
      const ats = o.history.map((h) => h.at);
      assert.deepEqual(ats, [...ats].sort(), 'history in order');
      assert.deepEqual(await stockOf(srv, fx.v1), { on_hand: 8, reserved: 0, available: 8 }, 'shipping moves no stock');
      j.order = o;
    });

    it('a partial refund: payment_status partially_refunded, totals.refunded, the state kept', async () => {
      const id = j.order.id;
      const total = j.order.totals.total.amount;
      let o = must(await act(srv, ADMIN, id, 'refunds', { amount: 500, reason: 'dented lid' }), 201);
      assert.equal(o.state, 'delivered');
      assert.equal(o.payment_status, 'partially_refunded');
      assert.deepEqual(o.totals.refunded, money(500));
      assert.equal(o.refunds.length, 1);
      assert.match(o.refunds[0].id, ID('rfd'));
      assert.deepEqual([o.refunds[0].amount, o.refunds[0].reason], [money(500), 'dented lid']);
      assert.match(o.refunds[0].created_at, RFC3339);

      o = must(await act(srv, ADMIN, id, 'refunds', { amount: 250 }), 201);
      assert.deepEqual(o.totals.refunded, money(750));
      assert.deepEqual(o.refunds.map((x) => x.amount.amount).sort((a, b) => a - b), [250, 500]);
      expectError(await act(srv, ADMIN, id, 'refunds', { amount: total - 750 + 1 }), 422, 'VALIDATION_ERROR', 'amount');
      o = await orderOf(srv, id);
      assert.deepEqual([o.state, o.payment_status, o.totals.refunded.amount, o.refunds.length], ['delivered', 'partially_refunded', 750, 2]);
      assert.deepEqual(await stockOf(srv, fx.v1), { on_hand: 8, reserved: 0, available: 8 }, 'a refund alone puts nothing back');
      j.order = o;
    });

    it('e-mails: the confirmation, shipped and delivered messages reach the outbox, once each', async () => {
      await waitForMail(srv, j.c.email, j.order.id, {
        confirmation: /confirm/i, shipped: /shipped/i, delivered: /delivered/i,
      });
      await sleep(1000); // a second delivery of one job would show by now
      const msgs = (await mailTo(srv, j.c.email)).filter((m) => `${m.subject}\n${m.body}`.includes(j.order.id));
      for (const [kind, re] of Object.entries({ confirmation: /confirm/i, shipped: /shipped/i, delivered: /delivered/i })) {
        assert.equal(msgs.filter((m) => re.test(m.subject)).length, 1, `one ${kind} e-mail: ${JSON.stringify(msgs.map((m) => m.subject))}`);
      }
    });
  });

  // ---------------------------------------------------------------- declines
  describe('declined payments', () => {
    it('a declined card: 402 PAYMENT_DECLINED, the order cancelled, stock and cart as before', async () => {
      const v1 = await fresh(1250, 10);
      const v2 = await fresh(799, 10);
      const c = await customerWithCart(srv, [[v1, 3], [v2, 1]]);
      const key = idemKey('declined');
      const body = { shipping_address: ADDRESS, payment_method: CARD_DECLINED };
      const r = await checkout(srv, c.who, { key, body });
      expectError(r, 402, 'PAYMENT_DECLINED', 'payment_method');
      assert.deepEqual(r.body.error.details, [{ field: 'payment_method', message: 'card_declined' }]);

      const orders = await listOrders(srv, c.who);
      assert.equal(orders.length, 1);
      const [o] = orders;
      assert.equal(o.state, 'cancelled');
      assert.equal(o.payment_status, 'declined');
      assert.equal(o.payment.status, 'declined');
      assert.equal(o.payment.decline_code, 'card_declined');
      assert.equal(o.paid_at, null);
      assertTransitions(o, [[null, 'pending_payment'], ['pending_payment', 'cancelled']]);
      assert.deepEqual((await listOrders(srv, c.who, 'state=cancelled')).map((x) => x.id), [o.id]);
      assert.deepEqual(await listOrders(srv, c.who, 'state=paid'), []);

      assert.deepEqual(await stockOf(srv, v1), { on_hand: 10, reserved: 0, available: 10 }, 'the reservation was released');
      assert.deepEqual(await stockOf(srv, v2), { on_hand: 10, reserved: 0, available: 10 });
      assert.deepEqual(await cartLines(srv, c.who), [[v1, 3], [v2, 1]], 'the cart is kept');

      // the decline is a final answer: stored for the key
      const again = await checkout(srv, c.who, { key, body });
      assert.equal(again.status, 402);
      assert.equal(again.body.error.code, 'PAYMENT_DECLINED');
      assert.deepEqual(again.body.error.details, r.body.error.details, 'the stored answer');
      assert.equal((await listOrders(srv, c.who)).length, 1, 'no second attempt was made');
    });

    it('insufficient funds, processing errors and unknown numbers are refused too; then a good card pays', async () => {
      const v = await fresh(1250, 10);
      const c = await customerWithCart(srv, [[v, 3]]);
      const tried = [[CARD_NO_FUNDS, 'insufficient_funds', 'declined'], [CARD_ERROR, 'processing_error', 'failed'],
        ['4111111111111111', 'invalid_number', 'declined']];
      for (const [card, why] of tried) {
        const r = await checkout(srv, c.who, { body: { shipping_address: ADDRESS, payment_method: card } });
        expectError(r, 402, 'PAYMENT_DECLINED', 'payment_method');
        assert.deepEqual(r.body.error.details, [{ field: 'payment_method', message: why }]);
        assert.deepEqual(await stockOf(srv, v), { on_hand: 10, reserved: 0, available: 10 }, `${why}: released`);
      }
      const orders = await listOrders(srv, c.who);
      assert.equal(orders.length, 3);
      assert.ok(orders.every((o) => o.state === 'cancelled'));
      // newest first: the last card tried is the first listed
      assert.deepEqual(orders.map((o) => [o.payment.decline_code, o.payment.status, o.payment_status]),
        [...tried].reverse().map(([, why, status]) => [why, status, status]));

      const ok = must(await pay(c.who), 201);
      assert.equal(ok.state, 'paid');
      assert.deepEqual(await stockOf(srv, v), { on_hand: 7, reserved: 0, available: 7 });
      assert.deepEqual(await cartLines(srv, c.who), []);
      assert.equal((await listOrders(srv, c.who)).length, 4);
    });
  });

  // ---------------------------------------------------------------- state machine
  describe('illegal transitions and cancellations', () => {
    it('an order waiting for payment: no fulfil, ship, deliver, refund or return; the owner cancels it', async () => {
      const v = await fresh(799, 10);
      const c = await customerWithCart(srv, [[v, 2]]);
      const o = must(await checkout(srv, c.who), 201);
      assert.equal(o.state, 'pending_payment');
      assert.equal(o.payment_status, 'pending');
      assert.equal(o.payment.status, 'requires_confirmation');
      assert.equal(o.paid_at, null);
      assert.deepEqual(await stockOf(srv, v), { on_hand: 10, reserved: 2, available: 8 }, 'reserved');
      assert.deepEqual(await cartLines(srv, c.who), [[v, 2]], 'the cart waits for the payment');

      expectError(await act(srv, ADMIN, o.id, 'fulfil'), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, o.id, 'ship', { carrier: 'DHL', tracking: 'x1' }), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, o.id, 'deliver'), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, o.id, 'refunds', { amount: 1 }), 409, 'INVALID_STATE');
      expectError(await act(srv, c.who, o.id, 'returns', { lines: [{ variant_id: v, quantity: 1 }], reason: 'no' }), 409, 'INVALID_STATE');
      assert.equal((await orderOf(srv, o.id)).state, 'pending_payment');

      const x = must(await act(srv, c.who, o.id, 'cancel', { reason: 'changed my mind' }), 200);
      assert.equal(x.state, 'cancelled');
      assert.deepEqual(x.totals.refunded, money(0), 'nothing was paid, nothing refunded');
      assertTransitions(x, [[null, 'pending_payment'], ['pending_payment', 'cancelled']]);
      assert.deepEqual(await stockOf(srv, v), { on_hand: 10, reserved: 0, available: 10 }, 'the reservation is released');

      expectError(await act(srv, c.who, o.id, 'cancel'), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, o.id, 'refunds', { amount: 1 }), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, o.id, 'fulfil'), 409, 'INVALID_STATE');
      const after = await orderOf(srv, o.id);
      assert.deepEqual([after.state, after.totals.refunded.amount, after.refunds.length], ['cancelled', 0, 0]);
    });

    it('an order left unpaid past its due time is cancelled by orders.maintenance, its stock released', async () => {
      const v = await fresh(799, 10);
      const c = await customerWithCart(srv, [[v, 4]]);
      const o = must(await checkout(srv, c.who), 201);
      assert.equal(o.state, 'pending_payment');
      assert.deepEqual(await stockOf(srv, v), { on_hand: 10, reserved: 4, available: 6 });
      // the payment was due long ago; make the every-minute job due now
      const id = o.id;
      sql(srv.dbPath, `UPDATE orders SET payment_due_at = 1 WHERE id = ${rowId(id)}`);
      assert.equal(sql(srv.dbPath, 'SELECT count(*) FROM orders WHERE payment_due_at = 1'), '1');
      await eventually(() => sql(srv.dbPath, "SELECT count(*) FROM job_schedules WHERE kind = 'orders.maintenance'") === '1', 'the schedule');
      sql(srv.dbPath, "UPDATE job_schedules SET next_run_at = 0 WHERE kind = 'orders.maintenance'");
      const x = await eventually(async () => {
        const cur = await orderOf(srv, id, c.who);
        return cur.state === 'cancelled' ? cur : null;
      }, 'the abandoned order to be cancelled', 15_000);
      assertTransitions(x, [[null, 'pending_payment'], ['pending_payment', 'cancelled']]);
      assert.deepEqual(await stockOf(srv, v), { on_hand: 10, reserved: 0, available: 10 });
      assert.deepEqual(await cartLines(srv, c.who), [[v, 4]], 'the cart is kept');
      expectError(await act(srv, c.who, id, 'cancel'), 409, 'INVALID_STATE');
    });

    it('cancelling a paid order refunds it in full and puts the stock back', async () => {
      const v = await fresh(1250, 10);
      const { c, order } = await paidOrder([[v, 4]]);
      assert.deepEqual(await stockOf(srv, v), { on_hand: 6, reserved: 0, available: 6 });
      const o = must(await act(srv, ADMIN, order.id, 'cancel', { reason: 'out of gift wrap' }), 200);
      assert.equal(o.state, 'cancelled');
      assert.equal(o.payment_status, 'refunded');
      assert.deepEqual(o.totals.refunded, order.totals.total);
      assert.equal(o.refunds.reduce((a, x) => a + x.amount.amount, 0), order.totals.total.amount);
      assertTransitions(o, [['paid', 'cancelled']]);
      assert.deepEqual(await stockOf(srv, v), { on_hand: 10, reserved: 0, available: 10 }, 'the stock is back where it was');

      expectError(await act(srv, ADMIN, order.id, 'refunds', { amount: 1 }), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, order.id, 'cancel'), 409, 'INVALID_STATE');
      expectError(await act(srv, c.who, order.id, 'cancel'), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, order.id, 'fulfil'), 409, 'INVALID_STATE');
      await waitForMail(srv, c.email, order.id, { confirmation: /confirm/i, cancelled: /cancel/i });
    });

    it('the owner cancels a paid order too; a full refund makes the order refunded', async () => {
      const { c, order } = await paidOrder([[fx.m2, 1]]);
      const o = must(await act(srv, c.who, order.id, 'cancel'), 200);
      assert.deepEqual([o.state, o.payment_status, o.totals.refunded], ['cancelled', 'refunded', order.totals.total]);

      const { order: b } = await paidOrder([[fx.m2, 2]]);
      const total = b.totals.total.amount;
      let r = must(await act(srv, ADMIN, b.id, 'refunds', { amount: total - 1 }), 201);
      assert.deepEqual([r.state, r.payment_status], ['paid', 'partially_refunded']);
      r = must(await act(srv, ADMIN, b.id, 'refunds', { amount: 1, reason: 'the rest' }), 201);
      assert.deepEqual([r.state, r.payment_status, r.totals.refunded.amount], ['refunded', 'refunded', total]);
      assertTransitions(r, [['paid', 'refunded']]);
      expectError(await act(srv, ADMIN, b.id, 'refunds', { amount: 1 }), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, b.id, 'fulfil'), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, b.id, 'cancel'), 409, 'INVALID_STATE');
      assert.deepEqual(r.sub_orders.map((x) => x.state), ['cancelled'], 'nothing of it will ship');
    });

    it('refunding all of an order before all of it was fulfilled puts the rest back into stock', async () => {
      const v = await fresh(500, 10);
      const { order } = await paidOrder([[v, 4]]);
      assert.deepEqual(await stockOf(srv, v), { on_hand: 6, reserved: 0, available: 6 });
      must(await act(srv, ADMIN, order.id, 'fulfil', { lines: [{ variant_id: v, quantity: 1 }] }), 200);
      const r = must(await act(srv, ADMIN, order.id, 'refunds', { amount: order.totals.total.amount }), 201);
      assert.deepEqual([r.state, r.payment_status], ['refunded', 'refunded']);
      assert.deepEqual(await stockOf(srv, v), { on_hand: 9, reserved: 0, available: 9 }, 'the 3 not fulfilled are back');
    });

    it('a cancelled order\'s stock goes back to the warehouses it was sold from', async () => {
      const wh2 = await warehouse(srv);
      const v = await fresh(1000, 1); // 1 in wh
      must(await api(srv, 'PUT', `/api/v1/variants/${v}/stock/${wh2.id}`, { key: true, body: { on_hand: 5, reason: 'count' } }), 200);
      const levels = async () => Object.fromEntries(must(await api(srv, 'GET', `/api/v1/variants/${v}/stock`, { key: true }), 200)
        .warehouses.map((l) => [l.warehouse.id, [l.on_hand, l.reserved]]));
      const before = await levels();
      assert.deepEqual(before, { [wh.id]: [1, 0], [wh2.id]: [5, 0] });
      const { order } = await paidOrder([[v, 3]]);
      const sold = await levels();
      assert.equal(sold[wh.id][0] + sold[wh2.id][0], 3, `3 units left in all: ${JSON.stringify(sold)}`);
      assert.ok(sold[wh.id][0] >= 0 && sold[wh2.id][0] >= 0);
      must(await act(srv, ADMIN, order.id, 'cancel'), 200);
      assert.deepEqual(await levels(), before, 'each warehouse has what it had');
    });

    it('concurrent refunds never pass the total', async () => {
      const { order } = await paidOrder([[fx.m2, 3]]); // 2397
      const total = order.totals.total.amount;
      const part = Math.floor(total / 3);
      const rs = await Promise.all(Array.from({ length: 5 }, () => act(srv, ADMIN, order.id, 'refunds', { amount: part })));
      const ok = rs.filter((r) => r.status === 201);
      for (const r of rs) {
        if (r.status !== 201) expectError(r, r.status === 409 ? 409 : 422, r.status === 409 ? 'INVALID_STATE' : 'VALIDATION_ERROR');
      }
      assert.equal(ok.length, 3, `3 of 5 refunds of ${part} fit in ${total}: ${rs.map((r) => r.status)}`);
      const o = await orderOf(srv, order.id);
      assert.deepEqual(o.totals.refunded, money(3 * part));
      assert.equal(o.refunds.length, 3);
      assert.equal(o.payment_status, 3 * part === total ? 'refunded' : 'partially_refunded');
    });

    it('an inventory manager reads any order and manages it', async () => {
      const { order } = await paidOrder([[fx.m2, 1]]);
      const im = await staffUser(srv, 'inventory_manager');
      assert.equal((await orderOf(srv, order.id, im.who)).id, order.id);
      assert.ok((await listOrders(srv, im.who, `q=${order.id}`)).some((x) => x.id === order.id));
      const f = must(await act(srv, im.who, order.id, 'fulfil'), 200);
      assert.equal(f.state, 'fulfilled');
      const r = must(await act(srv, im.who, order.id, 'refunds', { amount: 1 }), 201);
      assert.deepEqual(r.totals.refunded, money(1));
    });

    it('only staff fulfil and refund; only the owner or staff cancel', async () => {
      const { c, order } = await paidOrder([[fx.m2, 1]]);
      const other = await customer(srv);
      expectError(await act(srv, c.who, order.id, 'fulfil'), 403, 'FORBIDDEN');
      expectError(await act(srv, c.who, order.id, 'ship', { carrier: 'x', tracking: 'y' }), 403, 'FORBIDDEN');
      expectError(await act(srv, c.who, order.id, 'refunds', { amount: 1 }), 403, 'FORBIDDEN');
      expectError(await act(srv, other.who, order.id, 'cancel'), 404, 'NOT_FOUND');
      expectError(await act(srv, {}, order.id, 'cancel'), 401, 'UNAUTHORIZED');
      const o = await orderOf(srv, order.id);
      assert.deepEqual([o.state, o.payment_status, o.lines[0].fulfilled_quantity], ['paid', 'succeeded', 0]);
    });
  });

  // ---------------------------------------------------------------- returns
  describe('returns', () => {
    it('request (customer) → approve → receive (admin): the stock back and the value refunded', async () => {
      const v = await fresh(1250, 10);
      const { c, order } = await paidOrder([[v, 3], [fx.m2, 1]]);
      await deliverAll(order.id);
      const s = await stockOf(srv, v);
      assert.deepEqual(s, { on_hand: 7, reserved: 0, available: 7 });
      const path = (r, what) => `returns/${r}/${what}`;

      expectError(await act(srv, c.who, order.id, 'returns', { lines: [{ variant_id: v, quantity: 4 }], reason: 'too many' }), 422, 'VALIDATION_ERROR');
      let o = must(await act(srv, c.who, order.id, 'returns', { lines: [{ variant_id: v, quantity: 2 }], reason: 'wrong colour' }), 201);
      assert.equal(o.returns.length, 1);
      const [ret] = o.returns;
      assert.match(ret.id, ID('ret'));
      assert.deepEqual([ret.state, ret.reason, ret.refund], ['requested', 'wrong colour', null]);
      assert.deepEqual(ret.lines, [{ variant_id: v, quantity: 2 }]);
      assert.equal(o.state, 'delivered');
      // only one more of m1 may be asked for
      expectError(await act(srv, c.who, order.id, 'returns', { lines: [{ variant_id: v, quantity: 2 }], reason: 'more' }), 422, 'VALIDATION_ERROR');

      expectError(await act(srv, c.who, order.id, path(ret.id, 'approve')), 403, 'FORBIDDEN');
      expectError(await act(srv, ADMIN, order.id, path(ret.id, 'receive')), 409, 'INVALID_STATE');
      expectError(await act(srv, ADMIN, order.id, path('ret_0000000000000', 'approve')), 404, 'NOT_FOUND');
      o = must(await act(srv, ADMIN, order.id, path(ret.id, 'approve')), 200);
      assert.equal(o.returns[0].state, 'approved');
      expectError(await act(srv, ADMIN, order.id, path(ret.id, 'approve')), 409, 'INVALID_STATE');
      assert.deepEqual(await stockOf(srv, v), s, 'nothing is back before it is received');

      o = must(await act(srv, ADMIN, order.id, path(ret.id, 'receive')), 200);
      assert.equal(o.returns[0].state, 'received');
      assert.deepEqual(o.returns[0].refund, money(2 * 1250));
      assert.deepEqual(o.totals.refunded, money(2500));
      assert.equal(o.payment_status, 'partially_refunded');
      assert.equal(o.lines.find((l) => l.variant_id === v).returned_quantity, 2);
      assert.equal(o.lines.find((l) => l.variant_id === fx.m2).returned_quantity, 0);
      assert.ok(o.refunds.some((x) => x.amount.amount === 2500), 'the refund is listed');
      assert.deepEqual(await stockOf(srv, v), { on_hand: s.on_hand + 2, reserved: s.reserved, available: s.available + 2 });
      expectError(await act(srv, ADMIN, order.id, path(ret.id, 'receive')), 409, 'INVALID_STATE');
      assert.deepEqual(await stockOf(srv, v), { on_hand: s.on_hand + 2, reserved: s.reserved, available: s.available + 2 }, 'once');
    });

    it('returns are for delivered orders (409), by their owner (404)', async () => {
      const { c, order } = await paidOrder([[fx.m2, 1]]);
      const body = { lines: [{ variant_id: fx.m2, quantity: 1 }], reason: 'meh' };
      expectError(await act(srv, c.who, order.id, 'returns', body), 409, 'INVALID_STATE');
      await deliverAll(order.id);
      const other = await customer(srv);
      expectError(await act(srv, other.who, order.id, 'returns', body), 404, 'NOT_FOUND');
      assert.deepEqual((await orderOf(srv, order.id)).returns, []);
    });
  });

  // ---------------------------------------------------------------- marketplace
  describe('marketplace: two vendors, two sub-orders', () => {
    const m = {};

    before(async () => {
      m.A = await vendor(srv, 1250);
      m.B = await vendor(srv, 333);
      m.C = await vendor(srv, 500);
      assert.deepEqual([m.A.commission_bp, m.B.commission_bp, m.C.commission_bp], [1250, 333, 500]);
      m.a = (await product(srv, { title: 'A goods', vendorId: m.A.id, variants: [{ price: 498, stock: 20 }], wh })).variants[0].id;
      m.b = (await product(srv, { title: 'B goods', vendorId: m.B.id, variants: [{ price: 1500, stock: 20 }], wh })).variants[0].id;
      m.ua = await vendorUser(srv, m.A.id);
      m.ub = await vendorUser(srv, m.B.id);
      m.uc = await vendorUser(srv, m.C.id);
    });

    it('the order has a sub-order per vendor with the commission rounded half up', async () => {
      const { c, order } = await paidOrder([[m.a, 2], [m.b, 1]]);
      m.c = c;
      m.order = order;
      assert.deepEqual(order.lines.map((l) => [l.variant_id, l.vendor_id]), [[m.a, m.A.id], [m.b, m.B.id]]);
      const subs = Object.fromEntries(order.sub_orders.map((s) => [s.vendor_id, s]));
      assert.equal(order.sub_orders.length, 2);
      // A: 2 × 498 = 996; 996 × 12.5 % = 124.5 → 125.  B: 1500 × 3.33 % = 49.95 → 50.
      assert.deepEqual([subs[m.A.id].subtotal, subs[m.A.id].commission_bp, subs[m.A.id].commission], [money(996), 1250, money(commission(996, 1250))]);
      assert.deepEqual(subs[m.A.id].commission, money(125));
      assert.deepEqual([subs[m.B.id].subtotal, subs[m.B.id].commission_bp, subs[m.B.id].commission], [money(1500), 333, money(50)]);
      assert.ok(order.sub_orders.every((s) => s.state === 'paid'));
      assert.notEqual(subs[m.A.id].id, subs[m.B.id].id);

      // a later change of rate does not touch the order
      const b2 = must(await api(srv, 'PATCH', `/api/v1/vendors/${m.B.id}`, { key: true, body: { commission_bp: 5000 } }), 200);
      assert.equal(b2.commission_bp, 5000);
      const again = await orderOf(srv, order.id);
      assert.deepEqual(again.sub_orders.find((s) => s.vendor_id === m.B.id).commission, money(50));
      expectError(await api(srv, 'PATCH', `/api/v1/vendors/${m.B.id}`, { key: true, body: { commission_bp: 10001 } }), 422, 'VALIDATION_ERROR', 'commission_bp');
      expectError(await api(srv, 'POST', '/api/v1/vendors', { key: true, body: { name: `V ${token()}`, commission_bp: -1 } }), 422, 'VALIDATION_ERROR', 'commission_bp');
    });

    it('a vendor sees only their own lines and sub-order; other vendors see nothing', async () => {
      assert.ok(m.order);
      for (const [u, v, variant] of [[m.ua, m.A, m.a], [m.ub, m.B, m.b]]) {
        const o = await orderOf(srv, m.order.id, u.who);
        assert.deepEqual(o.lines.map((l) => l.variant_id), [variant]);
        assert.deepEqual(o.sub_orders.map((s) => s.vendor_id), [v.id]);
        const listed = await listOrders(srv, u.who);
        const mine = listed.find((x) => x.id === m.order.id);
        assert.ok(mine, 'the vendor lists the order');
        assert.deepEqual(mine.lines.map((l) => l.variant_id), [variant]);
        for (const x of listed) {
          assert.ok(x.lines.every((l) => l.vendor_id === v.id), 'only their lines in any listed order');
          assert.ok(x.sub_orders.every((s) => s.vendor_id === v.id));
        }
      }
      expectError(await call(srv, m.uc.who, 'GET', `/api/v1/orders/${m.order.id}`), 404, 'NOT_FOUND');
      assert.ok(!(await listOrders(srv, m.uc.who)).some((x) => x.id === m.order.id));
      const byVendor = await listOrders(srv, ADMIN, `vendor=${m.A.id}`);
      assert.ok(byVendor.some((x) => x.id === m.order.id));
      assert.ok(!(await listOrders(srv, ADMIN, `vendor=${m.C.id}`)).some((x) => x.id === m.order.id));
    });

    it('vendors fulfil and ship only their own; the order goes partially_fulfilled, fulfilled, shipped, delivered', async () => {
      const id = m.order.id;
      const stateOf = async () => {
        const o = await orderOf(srv, id);
        return [o.state, o.sub_orders.find((s) => s.vendor_id === m.A.id).state, o.sub_orders.find((s) => s.vendor_id === m.B.id).state];
      };
      expectError(await act(srv, m.ua.who, id, 'fulfil', { lines: [{ variant_id: m.b, quantity: 1 }] }), 422, 'VALIDATION_ERROR', 'lines[0]');
      expectError(await act(srv, m.uc.who, id, 'fulfil'), 404, 'NOT_FOUND');
      expectError(await act(srv, m.ub.who, id, 'ship', { carrier: 'FedEx', tracking: 'B1' }), 409, 'INVALID_STATE');
      assert.deepEqual(await stateOf(), ['paid', 'paid', 'paid']);

      let o = must(await act(srv, m.ua.who, id, 'fulfil', { lines: [{ variant_id: m.a, quantity: 1 }] }), 200);
      assert.deepEqual(o.lines.map((l) => [l.variant_id, l.fulfilled_quantity]), [[m.a, 1]], 'the vendor\'s view');
      assert.deepEqual(await stateOf(), ['partially_fulfilled', 'partially_fulfilled', 'paid']);
      expectError(await act(srv, m.ua.who, id, 'ship', { carrier: 'FedEx', tracking: 'A1' }), 409, 'INVALID_STATE');
      o = must(await act(srv, m.ua.who, id, 'fulfil'), 200);
      assert.equal(o.lines[0].fulfilled_quantity, 2);
      assert.deepEqual(await stateOf(), ['partially_fulfilled', 'fulfilled', 'paid']);
      o = must(await act(srv, m.ua.who, id, 'ship', { carrier: 'FedEx', tracking: 'A1' }), 200);
      assert.deepEqual([o.sub_orders[0].carrier, o.sub_orders[0].tracking], ['FedEx', 'A1']);
      assert.deepEqual(await stateOf(), ['partially_fulfilled', 'shipped', 'paid']);
      expectError(await act(srv, m.ua.who, id, 'ship', { carrier: 'FedEx', tracking: 'A2' }), 409, 'INVALID_STATE');

      must(await act(srv, m.ub.who, id, 'fulfil'), 200);
      assert.deepEqual(await stateOf(), ['fulfilled', 'shipped', 'fulfilled']);
      must(await act(srv, m.ub.who, id, 'ship', { carrier: 'Royal Mail', tracking: 'B1' }), 200);
      assert.deepEqual(await stateOf(), ['shipped', 'shipped', 'shipped']);
      must(await act(srv, m.ua.who, id, 'deliver'), 200);
      assert.deepEqual(await stateOf(), ['shipped', 'delivered', 'shipped']);
      must(await act(srv, m.ub.who, id, 'deliver'), 200);
      assert.deepEqual(await stateOf(), ['delivered', 'delivered', 'delivered']);

      const full = await orderOf(srv, id);
      assertTransitions(full, [[null, 'pending_payment'], ['pending_payment', 'paid'], ['paid', 'partially_fulfilled'],
        ['partially_fulfilled', 'fulfilled'], ['fulfilled', 'shipped'], ['shipped', 'delivered']]);
      const subs = Object.fromEntries(full.sub_orders.map((s) => [s.vendor_id, s]));
      assert.deepEqual([subs[m.B.id].carrier, subs[m.B.id].tracking], ['Royal Mail', 'B1']);
      assert.deepEqual([subs[m.A.id].carrier, subs[m.A.id].tracking], ['FedEx', 'A1']);
    });

    it('two vendors fulfilling at the same moment leave the order fulfilled', async () => {
      const { order } = await paidOrder([[m.a, 1], [m.b, 2]]);
      const rs = await Promise.all([act(srv, m.ua.who, order.id, 'fulfil'), act(srv, m.ub.who, order.id, 'fulfil')]);
      for (const r of rs) must(r, 200);
      const o = await orderOf(srv, order.id);
      assert.equal(o.state, 'fulfilled');
      assert.deepEqual(o.sub_orders.map((s) => s.state), ['fulfilled', 'fulfilled']);
      assert.deepEqual(o.lines.map((l) => l.fulfilled_quantity), [1, 2]);
    });

    it('vendors may not refund, cancel or see the whole order', async () => {
      const { order } = await paidOrder([[m.a, 1], [m.b, 1]]);
      expectError(await act(srv, m.ua.who, order.id, 'refunds', { amount: 1 }), 403, 'FORBIDDEN');
      const r = await act(srv, m.ua.who, order.id, 'cancel');
      assert.ok(r.status === 403 || r.status === 404, `a vendor cancelling: ${r.status} ${r.text}`);
      expectError(r, r.status, r.status === 403 ? 'FORBIDDEN' : 'NOT_FOUND');
      const o = await orderOf(srv, order.id);
      assert.deepEqual([o.state, o.totals.refunded.amount], ['paid', 0]);
    });
  });

  // ---------------------------------------------------------------- visibility
  describe('who sees an order', () => {
    it('customer B cannot see or list customer A\'s order (404)', async () => {
      const { c, order } = await paidOrder([[fx.m2, 1]]);
      const b = await customer(srv);
      expectError(await call(srv, b.who, 'GET', `/api/v1/orders/${order.id}`), 404, 'NOT_FOUND');
      expectError(await call(srv, {}, 'GET', `/api/v1/orders/${order.id}`), 404, 'NOT_FOUND');
      assert.deepEqual(await listOrders(srv, b.who), []);
      assert.ok((await listOrders(srv, c.who)).some((x) => x.id === order.id));
      assert.ok((await listOrders(srv, ADMIN)).some((x) => x.id === order.id));
      expectError(await call(srv, {}, 'GET', '/api/v1/orders'), 401, 'UNAUTHORIZED');
      expectError(await call(srv, ADMIN, 'GET', '/api/v1/orders/ord_0000000000000'), 404, 'NOT_FOUND');
    });

    it('a guest sees their order only with its X-Order-Token', async () => {
      const g = await guestCart(srv, [[fx.m2, 1]]);
      const email = `guest-${token()}@example.com`;
      const o = must(await checkout(srv, g, { body: { email, shipping_address: ADDRESS, payment_method: CARD_OK } }), 201);
      assert.equal(o.state, 'paid');
      assert.equal(o.customer_id, null);
      assert.equal(o.email, email);
      assert.match(o.order_token, /^ot_/);
      assert.deepEqual(await cartLines(srv, g), []);

      const seen = await orderOf(srv, o.id, { order: o.order_token });
      assert.equal(seen.id, o.id);
      assert.equal('order_token' in seen, false, 'the token is shown once');
      const { order_token: _t, ...rest } = o;
      assert.deepEqual(seen, rest);

      const g2 = await guestCart(srv, [[fx.m2, 1]]);
      const o2 = must(await checkout(srv, g2, { body: { email, shipping_address: ADDRESS, payment_method: CARD_OK } }), 201);
      assert.notEqual(o2.order_token, o.order_token);
      const c = await customer(srv);
      const flipped = o.order_token.slice(0, -1) + (o.order_token.endsWith('A') ? 'B' : 'A');
      for (const who of [{}, { order: o2.order_token }, { order: flipped }, { order: 'ot_x' }, c.who, { cart: g.cart }]) {
        expectError(await call(srv, who, 'GET', `/api/v1/orders/${o.id}`), 404, 'NOT_FOUND');
      }
      expectError(await call(srv, { order: o.order_token }, 'GET', '/api/v1/orders'), 401, 'UNAUTHORIZED');
      // the shop finds it by e-mail
      const found = await listOrders(srv, ADMIN, `q=${encodeURIComponent(email)}`);
      assert.deepEqual(found.map((x) => x.id).sort(), [o.id, o2.id].sort());
      await waitForMail(srv, email, o.id, { confirmation: /confirm/i });
    });

    it('GET /orders: newest first, filtered by state and q, paged', async () => {
      const c = await customerWithCart(srv, [[fx.m1, 1]]);
      const ids = [];
      for (let i = 0; i < 3; i++) {
        if (i > 0) await addLine(srv, c.who, fx.m1, 1);
        ids.push(must(await pay(c.who), 201).id);
      }
      await addLine(srv, c.who, fx.m1, 1);
      const pending = must(await checkout(srv, c.who), 201);
      ids.push(pending.id);
      const all = await listOrders(srv, c.who);
      assert.deepEqual(all.map((x) => x.id), [...ids].reverse(), 'newest first');
      assert.deepEqual((await listOrders(srv, c.who, 'state=pending_payment')).map((x) => x.id), [pending.id]);
      assert.deepEqual((await listOrders(srv, c.who, 'state=paid')).map((x) => x.id), ids.slice(0, 3).reverse());
      assert.deepEqual((await listOrders(srv, c.who, `q=${ids[1]}`)).map((x) => x.id), [ids[1]]);
      assert.deepEqual((await listOrders(srv, ADMIN, `q=${ids[1]}`)).map((x) => x.id), [ids[1]]);
      const p1 = must(await call(srv, c.who, 'GET', '/api/v1/orders?limit=3'), 200);
      assert.deepEqual(p1.data.map((x) => x.id), [...ids].reverse().slice(0, 3));
      assert.equal(typeof p1.next_cursor, 'string');
      const p2 = must(await call(srv, c.who, 'GET', `/api/v1/orders?limit=3&cursor=${encodeURIComponent(p1.next_cursor)}`), 200);
      assert.deepEqual(p2.data.map((x) => x.id), [ids[0]]);
      assert.equal(p2.next_cursor, null);
      must(await act(srv, c.who, pending.id, 'cancel'), 200);
    });
  });

  // ---------------------------------------------------------------- idempotency
  describe('idempotency', () => {
    it('concurrent requests with one key: one order, one answer', async () => {
      const v = await fresh(1250, 10);
      const c = await customerWithCart(srv, [[v, 2]]);
      const key = idemKey('race');
      const body = { shipping_address: ADDRESS, payment_method: CARD_OK };
      const rs = await Promise.all(Array.from({ length: 5 }, () => checkout(srv, c.who, { key, body })));
      for (const r of rs) {
        assert.equal(r.status, 201, r.text);
        assert.equal(r.text, rs[0].text, 'the same answer to every request');
      }
      const orders = await listOrders(srv, c.who);
      assert.deepEqual(orders.map((o) => o.id), [rs[0].body.id]);
      assert.deepEqual(await stockOf(srv, v), { on_hand: 8, reserved: 0, available: 8 }, 'sold once');
    });

    it('keys belong to their caller: another customer\'s same key is a new checkout', async () => {
      const a = await customerWithCart(srv, [[fx.m2, 1]]);
      const b = await customerWithCart(srv, [[fx.m2, 1]]);
      const key = idemKey('shared');
      const body = { shipping_address: ADDRESS, payment_method: CARD_OK };
      const oa = must(await checkout(srv, a.who, { key, body }), 201);
      const ob = must(await checkout(srv, b.who, { key, body }), 201);
      assert.notEqual(ob.id, oa.id);
      assert.deepEqual([oa.customer_id, ob.customer_id], [a.id, b.id]);
      assert.deepEqual((await listOrders(srv, b.who)).map((x) => x.id), [ob.id]);
      assert.equal(ob.customer_id, b.id);
    });

    it('a refused checkout (out of stock) leaves the key free for the mended cart', async () => {
      const p = await product(srv, { title: 'Scarce', variants: [{ price: 2000, stock: 2 }], wh });
      const v = p.variants[0].id;
      const c = await customerWithCart(srv, [[v, 3]]);
      const key = idemKey('scarce');
      const body = { shipping_address: ADDRESS, payment_method: CARD_OK };
      const r = expectError(await checkout(srv, c.who, { key, body }), 409, 'OUT_OF_STOCK', 'lines[0]');
      assert.equal(r.body.error.details.length, 1);
      assert.match(r.body.error.details[0].message, /^only 2 available\b/);
      assert.deepEqual(await stockOf(srv, v), { on_hand: 2, reserved: 0, available: 2 }, 'nothing reserved');
      assert.deepEqual(await listOrders(srv, c.who), [], 'no order');
      must(await call(srv, c.who, 'PATCH', `/api/v1/carts/current/lines/${v}`, { quantity: 2 }), 200);
      const o = must(await checkout(srv, c.who, { key, body }), 201);
      assert.equal(o.state, 'paid');
      assert.deepEqual(await stockOf(srv, v), { on_hand: 0, reserved: 0, available: 0 });
    });
  });
});
