// Checkout charges what the shopper was shown, or nothing (issue 9, item 4).
//
// POST /api/v1/checkout takes an optional expected_total (Money): the total the
// storefront showed. When the cart, priced in the checkout's transaction, totals
// anything else — a price rose, a coupon was used up by another shopper a
// moment earlier, the cart switched currency — the answer is 409 PRICE_CHANGED
// with the new totals and the reasons in details, and nothing is reserved,
// charged or stored: the same Idempotency-Key may be sent again with the new
// total. A matching expected_total checks out as before.
//
// Contract: docs/orders.md "Checkout" (expected_total) and docs/cart.md.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token } from './lib/util.js';
import {
  ADMIN, ADDRESS, money, must, call, checkout, idemKey, warehouse, product, stockOf, guestCart, cartOf, listOrders,
} from './lib/orders_util.js';

const CARD = '4242424242424242';

describe('checkout with expected_total', () => {
  let srv;
  let wh;

  const email = (tag) => `${tag}-${token()}@example.com`;
  const body = (addr, expected, extra = {}) => ({ email: addr, shipping_address: ADDRESS, payment_method: CARD, expected_total: expected, ...extra });
  const detail = (r, field) => (r.body.error.details || []).find((d) => d.field === field);
  async function ordersOf(addr) {
    return listOrders(srv, ADMIN, `q=${encodeURIComponent(addr)}`);
  }
  async function coupon(bp, limit) {
    const code = `HALF${token()}`.slice(0, 24).toUpperCase().replace(/[^A-Z0-9]/g, '');
    return must(await api(srv, 'POST', '/api/v1/admin/coupons', { key: true, body: { code, kind: 'percent', value: bp, usage_limit: limit } }), 201);
  }
  const usedCount = async (id) => must(await api(srv, 'GET', '/api/v1/admin/coupons', { key: true }), 200).data.find((k) => k.id === id).used_count;

  before(async () => {
    srv = await startServer();
    wh = await warehouse(srv);
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  it('a matching expected_total checks out as before: 201, paid, charged that total', async () => {
    const { variants: [v] } = await product(srv, { variants: [{ price: 1250, stock: 10 }], wh });
    const g = await guestCart(srv, [[v.id, 2]]);
    const shown = (await cartOf(srv, g)).totals.total;
    assert.deepEqual(shown, money(2500));
    const o = must(await checkout(srv, g, { body: body(email('match'), shown) }), 201);
    assert.deepEqual([o.state, o.totals.total], ['paid', money(2500)]);
  });

  it('a price raised between reading the cart and checking out: 409 PRICE_CHANGED with the line and the new totals; nothing done', async () => {
    const { variants: [v] } = await product(srv, { variants: [{ price: 2500, stock: 10 }], wh });
    const g = await guestCart(srv, [[v.id, 1]]);
    const shown = (await cartOf(srv, g)).totals.total;
    assert.deepEqual(shown, money(2500));
    must(await api(srv, 'PUT', `/api/v1/variants/${v.id}/prices/USD`, { key: true, body: { amount: 3000 } }), 200);
    const before = await stockOf(srv, v.id);
    const addr = email('raised');
    const key = idemKey('raised');
    const r = await checkout(srv, g, { key, body: body(addr, shown) });
    expectError(r, 409, 'PRICE_CHANGED', 'expected_total');
    assert.match(detail(r, 'expected_total').message, /3000 USD/);
    assert.match(detail(r, 'expected_total').message, /2500 USD/);
    const line = detail(r, 'lines[0].unit_price');
    assert.ok(line, `the line is named: ${JSON.stringify(r.body.error.details)}`);
    assert.match(line.message, new RegExp(v.id));
    assert.match(line.message, /3000 USD.*2500 USD/);
    assert.equal(detail(r, 'totals.total').message, '3000 USD');
    assert.equal(detail(r, 'totals.subtotal').message, '3000 USD');
    // nothing reserved, nothing charged, no order, the cart as it was
    assert.deepEqual(await stockOf(srv, v.id), before);
    assert.deepEqual(await ordersOf(addr), []);
    assert.deepEqual((await cartOf(srv, g)).lines.map((l) => [l.variant_id, l.quantity]), [[v.id, 1]]);
    // the same stale body again: re-priced, not replayed from a stored answer
    expectError(await checkout(srv, g, { key, body: body(addr, shown) }), 409, 'PRICE_CHANGED', 'expected_total');
    // the same key, after reading the cart again, with the new total: the purchase goes through
    const fresh = (await cartOf(srv, g)).totals.total;
    const o = must(await checkout(srv, g, { key, body: body(addr, fresh) }), 201);
    assert.deepEqual([o.state, o.totals.total], ['paid', money(3000)]);
    assert.equal((await ordersOf(addr)).length, 1);
  });

  it('a coupon used up by another checkout: 409 naming the coupon', async () => {
    const { variants: [v] } = await product(srv, { variants: [{ price: 2000, stock: 10 }], wh });
    const k = await coupon(5000, 1);
    const a = await guestCart(srv, [[v.id, 1]]);
    const b = await guestCart(srv, [[v.id, 1]]);
    for (const g of [a, b]) must(await call(srv, g, 'PUT', '/api/v1/carts/current/coupon', { code: k.code }), 200);
    const shownA = (await cartOf(srv, a)).totals.total;
    const shownB = (await cartOf(srv, b)).totals.total;
    assert.deepEqual([shownA, shownB], [money(1000), money(1000)]);
    const first = must(await checkout(srv, a, { body: body(email('first'), shownA) }), 201);
    assert.deepEqual(first.totals.total, money(1000));
    const addr = email('second');
    const r = await checkout(srv, b, { body: body(addr, shownB) });
    expectError(r, 409, 'PRICE_CHANGED', 'coupon');
    assert.match(detail(r, 'coupon').message, new RegExp(k.code));
    assert.match(detail(r, 'coupon').message, /used up/);
    assert.equal(detail(r, 'totals.total').message, '2000 USD');
    assert.equal(detail(r, 'totals.discount').message, '0 USD');
    assert.deepEqual(await ordersOf(addr), []);
    assert.equal(await usedCount(k.id), 1);
  });

  it('expected_total in another currency than the cart\'s: 409 PRICE_CHANGED', async () => {
    const { variants: [v] } = await product(srv, { variants: [{ price: 1500, stock: 10 }], wh });
    const g = await guestCart(srv, [[v.id, 1]]);
    const addr = email('currency');
    const r = await checkout(srv, g, { body: body(addr, money(1500, 'EUR')) });
    expectError(r, 409, 'PRICE_CHANGED', 'expected_total');
    assert.match(detail(r, 'expected_total').message, /USD/);
    assert.equal(detail(r, 'totals.total').message, '1500 USD');
    assert.deepEqual(await ordersOf(addr), []);
  });

  it('a malformed expected_total is 422 and changes nothing', async () => {
    const { variants: [v] } = await product(srv, { variants: [{ price: 1500, stock: 10 }], wh });
    const g = await guestCart(srv, [[v.id, 1]]);
    const before = await stockOf(srv, v.id);
    const addr = email('bad');
    for (const [bad, field] of [
      [1500, 'expected_total'],
      [{ amount: 1500 }, 'expected_total.currency'],
      [{ currency: 'USD' }, 'expected_total.amount'],
      [{ amount: -1, currency: 'USD' }, 'expected_total.amount'],
      [{ amount: '1500', currency: 'USD' }, 'expected_total.amount'],
      [{ amount: 1.5, currency: 'USD' }, 'expected_total.amount'],
      [{ amount: 1500, currency: 'usd' }, 'expected_total.currency'],
      [{ amount: 1500, currency: 'XYZ' }, 'expected_total.currency'],
      [{ amount: 1500, currency: 'USD', note: 'x' }, 'expected_total.note'],
    ]) {
      expectError(await checkout(srv, g, { body: body(addr, bad) }), 422, 'VALIDATION_ERROR', field);
    }
    assert.deepEqual(await stockOf(srv, v.id), before);
    assert.deepEqual(await ordersOf(addr), []);
  });

  it('20 shoppers shown a 50 % one-use coupon check out at once: one pays the discounted total, 19 get 409, none pays another total', async () => {
    const n = 20;
    const { variants: [v] } = await product(srv, { variants: [{ price: 4000, stock: 100 }], wh });
    const k = await coupon(5000, 1);
    const carts = [];
    for (let i = 0; i < n; i++) {
      const g = await guestCart(srv, [[v.id, 1]]);
      must(await call(srv, g, 'PUT', '/api/v1/carts/current/coupon', { code: k.code }), 200);
      carts.push({ g, shown: (await cartOf(srv, g)).totals.total, addr: email(`race${i}`) });
    }
    assert.ok(carts.every((c) => c.shown.amount === 2000), 'every cart showed the discount');
    const rs = await Promise.all(carts.map((c) => checkout(srv, c.g, { body: body(c.addr, c.shown) })));
    const tally = {};
    for (const r of rs) {
      const k2 = r.status === 201 ? '201' : `${r.status} ${r.body?.error?.code}`;
      tally[k2] = (tally[k2] || 0) + 1;
    }
    assert.deepEqual(tally, { 201: 1, '409 PRICE_CHANGED': n - 1 }, JSON.stringify(tally));
    for (const r of rs) {
      if (r.status === 201) {
        assert.deepEqual([r.body.state, r.body.totals.total], ['paid', money(2000)]);
      } else {
        expectError(r, 409, 'PRICE_CHANGED', 'coupon');
      }
    }
    // no order was made at any other total
    const orders = (await Promise.all(carts.map((c) => ordersOf(c.addr)))).flat();
    assert.equal(orders.length, 1);
    assert.deepEqual(orders[0].totals.total, money(2000));
    assert.equal(await usedCount(k.id), 1);
    assert.deepEqual(await stockOf(srv, v.id), { on_hand: 99, reserved: 0, available: 99 });
  });
});
