// Checkout under contention (contract: POST /api/v1/checkout, docs/internals/orders.md):
//  - 200 guests race for 50 units: exactly 50 paid orders, 150 × 409 OUT_OF_STOCK,
//    nothing oversold, nothing left reserved, losers keep their carts;
//  - checkouts without a payment method hold their reservation until it lapses; then the
//    expiry jobs give the stock back and the abandoned orders are cancelled;
//  - a retry storm: 50 identical checkouts with one Idempotency-Key make one order, one
//    sale and one confirmation e-mail; every answer is that order (201) or 409 CONFLICT.
//
// The servers run with the default settings: 200 checkouts in flight must all be queued by
// the blocking pool (256 per thread before it answers 503, src/http/server.c).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token } from './lib/util.js';
import {
  must, admin, warehouse, stockedProduct, stockOf, guestCart, checkoutBody, checkout, allOrders, allJobs,
  allMail, qtyOf, pollUntil, makeSchedulesDue, sql,
} from './lib/checkout_util.js';

const ORDER_ID = /^ord_[0-9A-HJKMNP-TV-Z]{13}$/;
const ENV = {};
// The checkout reservation lifetime in seconds, when the server lets it be set; null: it
// cannot be, and the test moves the due times into the past instead (as if time had passed).
const TTL_ENV = 'SOUK_RESERVATION_TTL_S';

const countBy = (xs, f) => xs.reduce((m, x) => { const k = f(x); m[k] = (m[k] || 0) + 1; return m; }, {});
/** {"201": n, "409 OUT_OF_STOCK": m, …} */
const tally = (rs) => countBy(rs, (r) => (r.status >= 400 ? `${r.status} ${r.body?.error?.code}` : String(r.status)));

describe('checkout: 200 guests, 50 units', () => {
  let srv;
  const fx = {};

  before(async () => {
    srv = await startServer({ env: ENV });
    fx.wh = await warehouse(srv, 'race');
    fx.p = await stockedProduct(srv, fx.wh, { stock: 50, price: 1999 });
    fx.v = fx.p.variants[0].id;
    fx.tag = `race${token()}`;
    const idx = Array.from({ length: 200 }, (_, i) => i);
    fx.carts = [];
    // carts are set up 20 at a time; only the checkouts are fired together
    for (let i = 0; i < 200; i += 20) {
      fx.carts.push(...await Promise.all(idx.slice(i, i + 20).map(() => guestCart(srv, [[fx.v, 1]]))));
    }
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  it('exactly 50 checkouts are paid, 150 are 409 OUT_OF_STOCK, nothing else', async () => {
    const rs = await Promise.all(fx.carts.map((tok, i) =>
      checkout(srv, tok, `race-${fx.tag}-${i}`, checkoutBody(`${fx.tag}-${i}@example.com`))));
    const counts = tally(rs);
    assert.deepEqual(counts, { 201: 50, '409 OUT_OF_STOCK': 150 }, `answers: ${JSON.stringify(counts)}`);
    fx.winners = [];
    fx.losers = [];
    rs.forEach((r, i) => {
      if (r.status === 201) {
        const o = r.body;
        assert.match(o.id, ORDER_ID);
        assert.equal(o.state, 'paid', JSON.stringify(o).slice(0, 300));
        assert.equal(o.payment_status, 'succeeded');
        assert.equal(o.payment.status, 'succeeded');
        assert.equal(o.email, `${fx.tag}-${i}@example.com`);
        assert.deepEqual(o.lines.map((l) => [l.variant_id, l.quantity]), [[fx.v, 1]]);
        assert.deepEqual(o.totals.subtotal, { amount: 1999, currency: 'USD' });
        assert.match(o.order_token, /^ot_/, 'a guest gets its order token');
        fx.winners.push({ i, order: o });
      } else {
        expectError(r, 409, 'OUT_OF_STOCK', 'lines[0]');
        fx.losers.push(i);
      }
    });
    assert.equal(new Set(fx.winners.map((w) => w.order.id)).size, 50, 'fifty distinct orders');
  });

  it('stock: on_hand 0, reserved 0, available 0', async () => {
    const s = await stockOf(srv, fx.v);
    assert.deepEqual([s.on_hand, s.reserved, s.available], [0, 0, 0], JSON.stringify(s));
    assert.deepEqual(s.warehouses.map((l) => [l.warehouse.id, l.on_hand, l.reserved, l.available]), [[fx.wh.id, 0, 0, 0]]);
  });

  it('the admin list holds exactly the 50 paid orders for the variant', async () => {
    assert.ok(fx.winners, 'the race ran');
    const all = await allOrders(srv);
    const mine = all.filter((o) => o.lines.some((l) => l.variant_id === fx.v));
    assert.equal(new Set(all.map((o) => o.id)).size, all.length, 'no order listed twice');
    assert.equal(mine.length, 50, `orders for the variant: ${JSON.stringify(countBy(mine, (o) => o.state))}`);
    assert.ok(mine.every((o) => o.state === 'paid'), `states: ${[...new Set(mine.map((o) => o.state))]}`);
    assert.deepEqual(new Set(mine.map((o) => o.id)), new Set(fx.winners.map((w) => w.order.id)));
    assert.equal(mine.reduce((a, o) => a + qtyOf(o, fx.v), 0), 50, 'fifty units sold');
    // the filters agree: q (e-mail substring) and state
    const byQ = await allOrders(srv, { q: fx.tag });
    assert.equal(byQ.length, 50);
    assert.equal((await allOrders(srv, { q: fx.tag, state: 'pending_payment' })).length, 0, 'nothing left waiting for payment');
    // each order as the admin sees it
    for (const { order } of fx.winners.slice(0, 10)) {
      const o = await must(await admin(srv, 'GET', `/api/v1/orders/${order.id}`), 200);
      assert.equal(o.state, 'paid');
      assert.equal(o.id, order.id);
    }
  });

  it('winners\' carts are emptied, losers\' carts keep their line', async () => {
    assert.ok(fx.winners, 'the race ran');
    const cartOf = async (i) => must(await api(srv, 'GET', '/api/v1/carts/current', { headers: { 'X-Cart-Token': fx.carts[i] } }), 200);
    for (const { i } of fx.winners.slice(0, 10)) assert.deepEqual((await cartOf(i)).lines, [], `cart ${i} emptied`);
    for (const i of fx.losers.slice(0, 10)) {
      const c = await cartOf(i);
      assert.deepEqual(c.lines.map((l) => [l.variant_id, l.quantity]), [[fx.v, 1]], `cart ${i} kept`);
    }
  });

  it('a loser checking out again is still 409 OUT_OF_STOCK (the failed attempt stored nothing)', async () => {
    assert.ok(fx.losers?.length, 'the race ran');
    const i = fx.losers[0];
    const r = await checkout(srv, fx.carts[i], `race-${fx.tag}-${i}`, checkoutBody(`${fx.tag}-${i}@example.com`));
    expectError(r, 409, 'OUT_OF_STOCK', 'lines[0]');
    assert.match(r.body.error.details[0].message, /only 0 available/);
  });
});

describe('checkout without payment: reservations are held, then lapse', () => {
  let srv;
  const fx = {};
  const ttlS = 3;

  before(async () => {
    srv = await startServer({ env: TTL_ENV ? { ...ENV, [TTL_ENV]: String(ttlS) } : ENV });
    fx.wh = await warehouse(srv, 'hold');
    fx.p = await stockedProduct(srv, fx.wh, { stock: 20 });
    fx.v = fx.p.variants[0].id;
    fx.tag = `hold${token()}`;
    fx.carts = await Promise.all(Array.from({ length: 30 }, () => guestCart(srv, [[fx.v, 1]])));
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  it('30 checkouts without payment_method for 20 units: 20 pending_payment, 10 OUT_OF_STOCK, 20 reserved', async () => {
    const rs = await Promise.all(fx.carts.map((tok, i) =>
      checkout(srv, tok, `hold-${i}`, checkoutBody(`${fx.tag}-${i}@example.com`, null))));
    assert.deepEqual(tally(rs), { 201: 20, '409 OUT_OF_STOCK': 10 });
    fx.pending = [];
    rs.forEach((r, i) => {
      if (r.status !== 201) return expectError(r, 409, 'OUT_OF_STOCK', 'lines[0]');
      assert.equal(r.body.state, 'pending_payment');
      assert.equal(r.body.payment_status, 'pending');
      assert.equal(r.body.payment.status, 'requires_confirmation');
      assert.equal(r.body.paid_at, null);
      fx.pending.push({ i, order: r.body });
    });
    const s = await stockOf(srv, fx.v);
    assert.deepEqual([s.on_hand, s.reserved, s.available], [20, 20, 0], JSON.stringify(s));
    const listed = await allOrders(srv, { q: fx.tag, state: 'pending_payment' });
    assert.deepEqual(new Set(listed.map((o) => o.id)), new Set(fx.pending.map((p) => p.order.id)));
    // the same key again answers the stored response and holds nothing more
    const { i, order } = fx.pending[0];
    const again = await must(await checkout(srv, fx.carts[i], `hold-${i}`, checkoutBody(`${fx.tag}-${i}@example.com`, null)), 201);
    assert.deepEqual(again, order);
    assert.deepEqual(await stockOf(srv, fx.v), s);
  });

  it('when the reservations lapse, the expiry jobs release the stock and cancel the abandoned orders', async () => {
    assert.ok(fx.pending, 'the checkouts ran');
    if (!TTL_ENV) {
      // No settable lifetime (default 15 min): time passing is simulated by moving the
      // reservations' and orders' due times into the past.
      sql(srv.dbPath, "UPDATE reservations SET expires_at = 0 WHERE state = 'active'; " +
        "UPDATE orders SET payment_due_at = 0 WHERE state = 'pending_payment'");
    }
    // the jobs run every minute; the schedules are made due at every poll (inventory.test.js does the same)
    const released = await pollUntil(async () => {
      makeSchedulesDue(srv);
      const s = await stockOf(srv, fx.v);
      const waiting = await allOrders(srv, { q: fx.tag, state: 'pending_payment' });
      return s.reserved === 0 && waiting.length === 0 ? s : null;
    }, { tries: 40 + 2 * ttlS, step: 500 });
    const s = await stockOf(srv, fx.v);
    const states = (await allOrders(srv, { q: fx.tag })).map((o) => o.state);
    assert.ok(released, `after the due time: stock ${JSON.stringify([s.on_hand, s.reserved, s.available])}, order states ${JSON.stringify(countBy(states, (x) => x))}; ` +
      `jobs ${JSON.stringify((await allJobs(srv, 'orders.maintenance')).concat(await allJobs(srv, 'reservations.expire')).map((j) => [j.kind, j.state, j.last_error]))}`);
    assert.deepEqual([s.on_hand, s.reserved, s.available], [20, 0, 20]);
    assert.ok(states.every((st) => st === 'cancelled'), `states ${states}`);
    const o = await must(await admin(srv, 'GET', `/api/v1/orders/${fx.pending[0].order.id}`), 200);
    assert.equal(o.state, 'cancelled');
    assert.equal(o.history.at(-1).from, 'pending_payment');
    assert.equal(o.history.at(-1).to, 'cancelled');
    // the stock is for sale again
    const tok = await guestCart(srv, [[fx.v, 20]]);
    const paid = await must(await checkout(srv, tok, 'after-expiry', checkoutBody(`${fx.tag}-all@example.com`)), 201);
    assert.equal(paid.state, 'paid');
    const after = await stockOf(srv, fx.v);
    assert.deepEqual([after.on_hand, after.reserved, after.available], [0, 0, 0]);
  });
});

describe('checkout: a retry storm with one Idempotency-Key', () => {
  let srv;
  const fx = {};

  before(async () => {
    srv = await startServer({ env: ENV });
    fx.wh = await warehouse(srv, 'storm');
    fx.p = await stockedProduct(srv, fx.wh, { n: 2, stock: 100, price: 1250 });
    [fx.v1, fx.v2] = fx.p.variants.map((v) => v.id);
    fx.qty = { [fx.v1]: 3, [fx.v2]: 2 };
    fx.tok = await guestCart(srv, [[fx.v1, 3], [fx.v2, 2]]);
    fx.email = `storm-${token()}@example.com`;
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  it('50 identical checkouts: one order; every answer is its 201 (identical) or 409 CONFLICT', async () => {
    const key = `storm-${token()}`;
    const body = checkoutBody(fx.email);
    const rs = await Promise.all(Array.from({ length: 50 }, () => checkout(srv, fx.tok, key, body)));
    const counts = tally(rs);
    const ok = rs.filter((r) => r.status === 201);
    assert.ok(ok.length >= 1, `at least one 201: ${JSON.stringify(counts)}`);
    for (const r of rs) if (r.status !== 201) expectError(r, 409, 'CONFLICT');
    for (const r of ok) assert.deepEqual(r.body, ok[0].body, 'every 201 is the same response');
    assert.ok(ok.every((r) => r.text === ok[0].text), 'byte for byte');
    fx.order = ok[0].body;
    assert.equal(fx.order.state, 'paid');
    assert.equal(fx.order.email, fx.email);
    // and once more afterwards: the stored answer
    const again = await must(await checkout(srv, fx.tok, key, body), 201);
    assert.deepEqual(again, fx.order);
    // the same key with another body is 422 IDEMPOTENCY_MISMATCH
    expectError(await checkout(srv, fx.tok, key, checkoutBody(`other-${fx.email}`)), 422, 'IDEMPOTENCY_MISMATCH');
    console.log(`retry storm answers: ${JSON.stringify(counts)}`);
  });

  it('exactly one order exists and the stock fell by the cart quantity once', async () => {
    assert.ok(fx.order, 'the storm ran');
    const mine = (await allOrders(srv)).filter((o) => o.email === fx.email);
    assert.deepEqual(mine.map((o) => o.id), [fx.order.id]);
    for (const v of [fx.v1, fx.v2]) {
      const s = await stockOf(srv, v);
      assert.deepEqual([s.on_hand, s.reserved, s.available], [100 - fx.qty[v], 0, 100 - fx.qty[v]], `${v}: ${JSON.stringify(s)}`);
      assert.equal(qtyOf(mine[0], v), fx.qty[v]);
    }
  });

  it('one confirmation e-mail after the jobs ran', async () => {
    assert.ok(fx.order, 'the storm ran');
    const mail = await pollUntil(async () => {
      const m = await allMail(srv, { to: fx.email });
      return m.length > 0 ? m : null;
    }, { tries: 60, step: 250 });
    assert.ok(mail, `an e-mail to ${fx.email}`);
    await new Promise((r) => setTimeout(r, 1500)); // a second batch, had the e-mail been asked for twice
    const all = await allMail(srv, { to: fx.email });
    assert.equal(all.length, 1, `mail to ${fx.email}: ${JSON.stringify(all.map((m) => m.subject))}`);
  });
});

