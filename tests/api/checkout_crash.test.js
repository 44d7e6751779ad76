// A server killed (SIGKILL) under checkout load, then started again on the same database
// (contract: POST /api/v1/checkout; docs/internals/orders.md, docs/internals/jobs.md):
//  - every order whose 201 a client received exists, once; no two orders share an
//    Idempotency-Key (each request carries its own e-mail address, so key ↔ e-mail);
//  - per variant: on_hand = initial − Σ paid quantities, reserved = Σ pending_payment quantities;
//  - a lost response re-sent with the same key answers the stored response, resumes the
//    order it had started, or (never committed) makes the order — never a second one;
//  - the job queue resumes: every paid order has its e-mail asked for (order_notifications,
//    written with the payment), the order.emails jobs queued before the kill run after it,
//    and each paid order gets exactly one confirmation e-mail;
//  - abandoned pending_payment orders are cancelled once due and their stock is released;
//  - cart writers running beside the checkouts (group commit: many requests, one commit) lose
//    nothing they were answered: each cart holds its last acknowledged quantity, or the one
//    whose answer the kill cut off.
//
// Time passing is simulated with sqlite3 on the database (as inventory.test.js does for
// schedules) where waiting would take minutes: the 30 s idempotency lease of checkouts cut
// short by the kill, the 5 min lease of jobs running at the kill, and payment due times.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token, sleep, mapLimit } from './lib/util.js';
import {
  must, admin, warehouse, stockedProduct, stockOf, guestCart, checkoutBody, checkout, allOrders, allJobs, allMail,
  qtyOf, pollUntil, makeSchedulesDue, sql,
} from './lib/checkout_util.js';

const ENV = { SOUK_BLOCKING_THREADS: '4' };
const CLIENTS = 16;
const CART_WRITERS = 4;
const VARIANTS = 4;
const INITIAL = 100_000;
const KILL_AFTER_MS = 1500;
const UNPAID_EVERY = 8; // every 8th checkout carries no payment method (stays pending_payment); staggered
// by client, so that clients 0 and 8 leave one waiting at once, however slowly the machine runs

const countBy = (xs, f) => xs.reduce((m, x) => { const k = f(x); m[k] = (m[k] || 0) + 1; return m; }, {});

describe('checkout: SIGKILL under load, restart on the same database', () => {
  let first;
  let srv;
  let dir;
  const fx = { requests: [] };

  before(async () => {
    first = await startServer({ env: ENV, keepDir: true });
    dir = first.dir;
    fx.wh = await warehouse(first, 'crash');
    fx.p = await stockedProduct(first, fx.wh, { n: VARIANTS, stock: INITIAL, price: 500 });
    fx.variants = fx.p.variants.map((v) => v.id);
    fx.tag = `crash${token()}`;
  });

  after(async () => {
    if (first && !first.exited) await first.kill();
    if (srv) await srv.stop();
    else if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One client: new cart, one unit, checkout with a fresh key, until the server is gone. */
  async function client(c) {
    for (let n = 0; ; n++) {
      const variant = fx.variants[(c + n) % VARIANTS];
      let tok;
      try {
        tok = await guestCart(first, [[variant, 1]]);
      } catch {
        return; // the server went away while the cart was made: no checkout was sent
      }
      const key = `${fx.tag}-${c}-${n}`;
      const body = checkoutBody(`${key}@example.com`, (c + n) % UNPAID_EVERY === 0 ? null : undefined);
      const req = { key, tok, body, variant, email: body.email, paid: 'payment_method' in body, status: null, order: null, error: null };
      fx.requests.push(req);
      try {
        const r = await checkout(first, tok, key, body);
        req.status = r.status;
        if (r.status === 201) req.order = r.body;
        else req.error = r.text.slice(0, 300);
      } catch (e) {
        req.error = e.message.slice(0, 300); // the answer was lost
        return;
      }
      if (first.exited) return;
    }
  }

  /** One cart writer: its own guest cart, one line set to 1, 2, 3 … until the server is gone. */
  async function cartWriter(c) {
    let tok;
    try {
      tok = await guestCart(first, [[fx.variants[c % VARIANTS], 1]]);
    } catch {
      return;
    }
    const w = { tok, variant: fx.variants[c % VARIANTS], acked: 1, sent: 1 };
    fx.cartWriters.push(w);
    for (let q = 2; ; q++) {
      w.sent = q;
      try {
        const r = await api(first, 'PATCH', `/api/v1/carts/current/lines/${w.variant}`, {
          headers: { 'X-Cart-Token': tok }, body: { quantity: q } });
        if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
        w.acked = q;
      } catch {
        return; // the kill
      }
      if (first.exited) return;
    }
  }

  it('load, SIGKILL after ~1.5 s and 20 checkouts, restart', async () => {
    fx.cartWriters = [];
    const clients = [...Array.from({ length: CLIENTS }, (_, c) => client(c)),
      ...Array.from({ length: CART_WRITERS }, (_, c) => cartWriter(c))];
    // at least ~1.5 s of load and 20 checkouts answered (a loaded machine answers fewer per second)
    await sleep(KILL_AFTER_MS);
    for (const until = Date.now() + 60_000; Date.now() < until && fx.requests.filter((r) => r.status !== null).length < 20;) await sleep(100);
    const killed = await first.kill('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    fx.oldPid = first.proc.pid;
    await Promise.all(clients);
    const answered = fx.requests.filter((r) => r.status !== null);
    const answers = countBy(answered, (r) => r.status);
    fx.lost = fx.requests.filter((r) => r.status === null);
    console.log(`checkouts sent ${fx.requests.length}, answered ${JSON.stringify(answers)}, lost at the kill ${fx.lost.length}`);
    assert.deepEqual(Object.keys(answers), ['201'], `before the kill every checkout is 201: ${JSON.stringify(answered.filter((r) => r.status !== 201).slice(0, 3))}`);
    assert.ok(answered.length >= 20, `a steady load ran (${answered.length} checkouts answered)`);
    srv = await startServer({ dir, adminKey: first.adminKey, env: ENV });
  });

  /** Every order of this test, with the invariants that hold at any time. */
  async function ordersChecked() {
    const all = await allOrders(srv, { q: fx.tag });
    const ids = all.map((o) => o.id);
    assert.equal(new Set(ids).size, ids.length, 'no order is listed twice');
    const perKey = countBy(all, (o) => o.email);
    const dup = Object.entries(perKey).filter(([, n]) => n > 1);
    assert.deepEqual(dup, [], 'no two orders for one Idempotency-Key');
    const keys = new Set(fx.requests.map((r) => r.email));
    assert.deepEqual(all.filter((o) => !keys.has(o.email)).map((o) => o.email), [], 'every order comes from a request sent');
    return all;
  }

  async function stockChecked(all, what) {
    for (const v of fx.variants) {
      const sold = all.filter((o) => o.state === 'paid').reduce((a, o) => a + qtyOf(o, v), 0);
      const held = all.filter((o) => o.state === 'pending_payment').reduce((a, o) => a + qtyOf(o, v), 0);
      const s = await stockOf(srv, v);
      assert.deepEqual({ on_hand: s.on_hand, reserved: s.reserved, available: s.available },
        { on_hand: INITIAL - sold, reserved: held, available: INITIAL - sold - held }, `${what}: stock of ${v}`);
    }
  }

  it('every order answered 201 exists exactly once, as answered; no duplicates; stock adds up', async () => {
    assert.ok(srv, 'restarted');
    const all = await ordersChecked();
    const byId = new Map(all.map((o) => [o.id, o]));
    for (const r of fx.requests.filter((x) => x.status === 201)) {
      const o = byId.get(r.order.id);
      assert.ok(o, `order ${r.order.id} (key ${r.key}) is listed`);
      assert.equal(o.state, r.order.state, `${r.order.id} state`);
      assert.equal(o.email, r.email);
      assert.deepEqual(o.lines.map((l) => [l.variant_id, l.quantity]), [[r.variant, 1]]);
      assert.equal(r.order.state, r.paid ? 'paid' : 'pending_payment');
    }
    await mapLimit(fx.requests.filter((x) => x.status === 201), 8, async (r) => {
      const o = await must(await admin(srv, 'GET', `/api/v1/orders/${r.order.id}`), 200);
      assert.equal(o.id, r.order.id);
    });
    console.log(`after restart: ${all.length} orders ${JSON.stringify(countBy(all, (o) => o.state))}`);
    await stockChecked(all, 'after the restart');
  });

  it('cart writes answered before the kill are all there', async () => {
    assert.ok(srv, 'restarted');
    assert.ok(fx.cartWriters.length > 0 && fx.cartWriters.some((w) => w.acked > 5), 'the cart writers ran');
    for (const w of fx.cartWriters) {
      const cart = await must(await api(srv, 'GET', '/api/v1/carts/current', { headers: { 'X-Cart-Token': w.tok } }), 200);
      const q = cart.lines.find((l) => l.variant_id === w.variant)?.quantity;
      assert.ok(q === w.acked || q === w.sent, `cart ${w.tok.slice(0, 8)}…: ${q}, acknowledged ${w.acked}, sent ${w.sent}`);
    }
    console.log(`cart writers: ${fx.cartWriters.map((w) => w.acked).join(', ')} acknowledged quantities kept`);
  });

  it('order e-mails: asked for with every payment, none lost; the queued batches run', async () => {
    assert.ok(srv, 'restarted');
    const paid = (await allOrders(srv, { q: fx.tag, state: 'paid' })).map((o) => o.id);
    const asked = new Set(sql(srv.dbPath, "SELECT CAST(order_id AS TEXT) FROM order_notifications WHERE kind = 'confirmation'")
      .split('\n').filter(Boolean));
    assert.equal(sql(srv.dbPath, "SELECT count(*) FROM order_notifications n JOIN orders o ON o.id = n.order_id "
      + "WHERE n.kind = 'confirmation' AND o.state = 'paid'"), String(paid.length), 'each paid order asked for its confirmation');
    assert.equal(asked.size, paid.length, 'and no order that is not paid');
    // order.emails jobs run inside their claim's transaction: a kill leaves none of them running
    assert.equal(sql(srv.dbPath, "SELECT count(*) FROM jobs WHERE kind = 'order.emails' AND state IN ('running', 'dead')"), '0');
    const sent = await pollUntil(async () =>
      sql(srv.dbPath, 'SELECT count(*) FROM order_notifications WHERE sent_at IS NULL') === '0', { tries: 80, step: 250 });
    assert.ok(sent, `e-mails still unwritten: ${sql(srv.dbPath, 'SELECT count(*) FROM order_notifications WHERE sent_at IS NULL')}`);
  });

  it('lost answers re-sent with their key: the stored answer or the one order, never a second', async () => {
    assert.ok(srv, 'restarted');
    const before = new Map((await ordersChecked()).map((o) => [o.email, o]));
    // the checkouts cut short hold their key for 30 s from their start: let that time pass
    sql(srv.dbPath, 'UPDATE idempotency_keys SET lease_until = 0 WHERE status IS NULL');
    await mapLimit(fx.lost, 4, async (r) => {
      let res;
      for (let attempt = 0; attempt < 3; attempt++) {
        res = await checkout(srv, r.tok, r.key, r.body);
        if (!(res.status === 409 && res.body.error.code === 'CONFLICT')) break;
      }
      assert.equal(res.status, 201, `re-sent ${r.key}: ${res.text.slice(0, 300)}`);
      const had = before.get(r.email);
      if (had) assert.equal(res.body.id, had.id, `${r.key} already had order ${had.id}`);
      assert.equal(res.body.state, r.paid ? 'paid' : 'pending_payment', `${r.key}: ${res.body.state}`);
      r.resent = res.body;
      // and once more: now it is stored
      const again = await checkout(srv, r.tok, r.key, r.body);
      assert.equal(again.status, 201);
      assert.deepEqual(again.body, res.body, `${r.key}: the stored answer`);
    });
    const all = await ordersChecked();
    const byEmail = new Map(all.map((o) => [o.email, o]));
    for (const r of fx.lost) assert.equal(byEmail.get(r.email)?.id, r.resent.id, `${r.key}: its one order`);
    for (const r of fx.requests.filter((x) => x.status === 201)) assert.equal(byEmail.get(r.email)?.id, r.order.id);
    const made = fx.lost.filter((r) => !before.has(r.email)).length;
    const had = countBy(fx.lost.filter((r) => before.has(r.email)), (r) => before.get(r.email).state);
    console.log(`re-sent ${fx.lost.length}: ${made} made now, ${fx.lost.length - made} had an order before (its state then: ${JSON.stringify(had)})`);
    assert.equal(all.length, fx.requests.length, 'one order per checkout sent');
    await stockChecked(all, 'after the re-sends');
    fx.all = all;
  });

  it('one confirmation e-mail per paid order, also for orders paid by the re-sends', async () => {
    assert.ok(fx.all, 'the re-sends ran');
    const paid = fx.all.filter((o) => o.state === 'paid');
    let perAddr = {};
    const done = await pollUntil(async () => {
      const mail = await allMail(srv);
      perAddr = countBy(mail.filter((m) => m.to.startsWith(fx.tag)), (m) => m.to.toLowerCase());
      return paid.every((o) => perAddr[o.email.toLowerCase()] >= 1);
    }, { tries: 80, step: 250 });
    assert.ok(done, 'every paid order has its e-mail');
    const wrong = paid.filter((o) => perAddr[o.email.toLowerCase()] !== 1).map((o) => [o.id, perAddr[o.email.toLowerCase()] || 0]);
    assert.deepEqual(wrong, [], 'paid orders without exactly one e-mail');
    const unpaid = fx.all.filter((o) => o.state !== 'paid' && perAddr[o.email.toLowerCase()]).map((o) => o.id);
    assert.deepEqual(unpaid, [], 'no e-mail for orders not paid');
  });

  it('abandoned pending_payment orders are cancelled once due; their stock comes back', async () => {
    assert.ok(fx.all, 'the re-sends ran');
    const pending = fx.all.filter((o) => o.state === 'pending_payment');
    assert.ok(pending.length > 0, 'checkouts without a payment method left orders waiting');
    // their payment due time (15 min): let it pass
    sql(srv.dbPath, "UPDATE reservations SET expires_at = 0 WHERE state = 'active'; " +
      "UPDATE orders SET payment_due_at = 0 WHERE state = 'pending_payment'");
    const settled = await pollUntil(async () => {
      makeSchedulesDue(srv);
      return (await allOrders(srv, { q: fx.tag, state: 'pending_payment' })).length === 0;
    }, { tries: 60, step: 500 });
    const all = await ordersChecked();
    assert.ok(settled, `pending_payment orders left: ${JSON.stringify(countBy(all, (o) => o.state))}`);
    const byId = new Map(all.map((o) => [o.id, o]));
    for (const o of pending) assert.equal(byId.get(o.id).state, 'cancelled', o.id);
    assert.equal(all.filter((o) => o.state === 'paid').length, fx.all.filter((o) => o.state === 'paid').length, 'paid orders untouched');
    await stockChecked(all, 'after the abandoned orders were cancelled');
    for (const v of fx.variants) assert.equal((await stockOf(srv, v)).reserved, 0);
    // the cancelled guests may check out again with a new key; the old key answers the old order
    const o = pending[0];
    const r = fx.requests.find((x) => x.email === o.email);
    const again = await checkout(srv, r.tok, r.key, r.body);
    assert.equal(again.status, 201);
    assert.equal(again.body.id, o.id);
    expectError(await checkout(srv, r.tok, r.key, { ...r.body, email: `x${r.email}` }), 422, 'IDEMPOTENCY_MISMATCH');
  });
});
