// Subscriptions (docs/subscriptions.md, docs/internals/subscriptions.md), over HTTP as a shop uses them:
//  - a checkout with save_payment_method starts a subscription; a renewal (made due by moving
//    next_run_at, then the schedules) is an order placed and paid through the job queue, priced
//    anew with the subscription discount, stock taken;
//  - a declined renewal goes through dunning: a retry per the settings' schedule with an e-mail
//    each time, then the subscription is paused (payment_failed) and nothing is charged;
//  - skip, pause and cancel are respected by the next run: a renewal job of the period they passed
//    over runs and places no order;
//  - customers reach only their own subscriptions; admins any, with subscriptions:manage; bad
//    bodies are 422 naming the field.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { token } from './lib/util.js';
import { sql } from './lib/db.js';
import { pollUntil, makeSchedulesDue, stockOf as stockOfVariant } from './lib/checkout_util.js';

const ADDRESS = { name: 'Ada Buyer', line1: '1 Test Street', city: 'London', postal_code: 'N1 1AA', country: 'GB' };
const CARD_OK = '4242424242424242';
const DECLINED_TOKEN = 'tok_test_4000000000000002';

function must(r, status) {
  assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 600)}`);
  return r.body;
}
const admin = (srv, method, path, body) => api(srv, method, path, { key: true, body });

describe('subscriptions', () => {
  let srv, wh, variant;

  const stockOf = async (v) => (await stockOfVariant(srv, v)).on_hand;
  /** A customer whose first order (QUANTITY of the variant) saved the card; their subscription. */
  async function subscriber(quantity = 2, interval = 'week', region = null) {
    const who = await register(srv);
    const c = await api(srv, 'POST', '/api/v1/carts', { key: who.access });
    assert.ok(c.status === 200 || c.status === 201, c.text);
    must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: who.access, body: { variant_id: variant, quantity } }), 200);
    if (region) must(await api(srv, 'PATCH', '/api/v1/carts/current', { key: who.access, body: { region } }), 200);
    const order = must(await api(srv, 'POST', '/api/v1/checkout', {
      key: who.access, headers: { 'Idempotency-Key': `sub-${token()}` },
      body: { shipping_address: ADDRESS, payment_method: CARD_OK, save_payment_method: true },
    }), 201);
    assert.equal(order.state, 'paid');
    const sub = must(await api(srv, 'POST', '/api/v1/users/me/subscriptions', {
      key: who.access, body: { order_id: order.id, variant_id: variant, interval, interval_count: 1 } }), 201);
    who.uid = sql(srv.dbPath, `SELECT id FROM users WHERE email = '${who.email}'`).trim();
    return { who, order, sub };
  }
  /** A checkout of one unit by WHO (signed in) with EXTRA in the body; the order. */
  async function checkoutAs(who, extra) {
    await api(srv, 'POST', '/api/v1/carts', { key: who.access });
    must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: who.access, body: { variant_id: variant, quantity: 1 } }), 200);
    return must(await api(srv, 'POST', '/api/v1/checkout', { key: who.access, headers: { 'Idempotency-Key': `sub-${token()}` },
      body: { shipping_address: ADDRESS, ...extra } }), 201);
  }
  const mine = async (who, id) => must(await api(srv, 'GET', `/api/v1/users/me/subscriptions/${id}`, { key: who.access }), 200);
  /** Makes WHO's subscription due now and lets the scheduler enqueue its renewal. */
  function due(who) {
    sql(srv.dbPath, `UPDATE subscriptions SET next_run_at = 0 WHERE user_id = ${who.uid}`);
    makeSchedulesDue(srv);
  }
  const ordersOf = (who) => sql(srv.dbPath, `SELECT count(*) FROM orders WHERE user_id = ${who.uid}`);
  const mailTo = (who, like) => Number(sql(srv.dbPath, `SELECT count(*) FROM mail_outbox WHERE to_addr = '${who.email}' AND subject LIKE '${like}'`));
  /** A renewal job for WHO's subscription at PERIOD/ATTEMPT, run now; resolves once it is done. */
  async function staleJob(who, period, attempt) {
    const sid = sql(srv.dbPath, `SELECT id FROM subscriptions WHERE user_id = ${who.uid}`);
    const job = Math.floor(Math.random() * 1e12) + 1, at = Date.now() * 1000;
    sql(srv.dbPath, 'INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, created_at, updated_at) ' +
      `VALUES (${job}, 'subscriptions.renew', '{"subscription_id":${sid},"period":${period},"attempt":${attempt}}', 'queued', 0, 5, 0, ${at}, ${at})`);
    const st = await pollUntil(async () => { const s = sql(srv.dbPath, `SELECT state FROM jobs WHERE id = ${job}`); return s === 'done' || s === 'dead' ? s : undefined; }, { tries: 200, step: 100 });
    assert.equal(st, 'done');
  }

  before(async () => {
    srv = await startServer({ env: { SOUK_RATE_LIMIT_USER: '0', SOUK_RATE_LIMIT_IP: '0' } });
    wh = must(await admin(srv, 'POST', '/api/v1/warehouses', { code: `sb-${token()}`.slice(0, 30), name: 'Subs' }), 201);
    const p = must(await admin(srv, 'POST', '/api/v1/products', { title: `Coffee ${token()}`, status: 'active',
      variants: [{ sku: `SB-${token()}`, prices: [{ amount: 1000, currency: 'USD' }] }] }), 201);
    variant = p.variants[0].id;
    must(await admin(srv, 'PUT', `/api/v1/variants/${variant}/stock/${wh.id}`, { on_hand: 1000, reason: 'subs test' }), 200);
  });
  after(async () => { if (srv) await srv.stop(); });

  it('settings: read back; bad values are 422 naming the field', async () => {
    assert.deepEqual(must(await admin(srv, 'GET', '/api/v1/admin/subscription-settings'), 200), { discount_bp: 0, retry_hours: [24, 72, 168] });
    expectError(await admin(srv, 'PUT', '/api/v1/admin/subscription-settings', { discount_bp: 9001, retry_hours: [] }), 422, 'VALIDATION_ERROR', 'discount_bp');
    expectError(await admin(srv, 'PUT', '/api/v1/admin/subscription-settings', { discount_bp: 0, retry_hours: [0] }), 422, 'VALIDATION_ERROR', 'retry_hours');
    expectError(await admin(srv, 'PUT', '/api/v1/admin/subscription-settings', { discount_bp: 0 }), 422, 'VALIDATION_ERROR', 'retry_hours');
    expectError(await admin(srv, 'PUT', '/api/v1/admin/subscription-settings', { discount_bp: 0, retry_hours: [1], x: 1 }), 422, 'VALIDATION_ERROR');
    assert.deepEqual(must(await admin(srv, 'PUT', '/api/v1/admin/subscription-settings', { discount_bp: 1000, retry_hours: [1, 2] }), 200),
      { discount_bp: 1000, retry_hours: [1, 2] });
  });

  it('creation: only from a paid order of the caller that saved its payment method', async () => {
    const { who, order, sub } = await subscriber(2);
    assert.equal(sub.state, 'active');
    assert.equal(sub.quantity, 2);
    assert.equal(sub.interval, 'week');
    assert.equal(sub.period, 1);
    assert.equal(sub.first_order_id, order.id);
    assert.equal(Date.parse(sub.next_renewal_at) - Date.parse(order.paid_at), 7 * 86400e3);
    assert.equal(JSON.stringify(sub).includes('tok_test'), false, 'the saved method is never shown');
    expectError(await api(srv, 'POST', '/api/v1/users/me/subscriptions', { key: who.access, body: { order_id: order.id, variant_id: variant, interval: 'week' } }), 409, 'CONFLICT');
    const other = await register(srv);
    expectError(await api(srv, 'POST', '/api/v1/users/me/subscriptions', { key: other.access, body: { order_id: order.id, variant_id: variant, interval: 'week' } }), 404, 'NOT_FOUND');
    expectError(await api(srv, 'GET', `/api/v1/users/me/subscriptions/${sub.id}`, { key: other.access }), 404, 'NOT_FOUND');
    expectError(await api(srv, 'POST', '/api/v1/users/me/subscriptions', { key: who.access, body: { order_id: order.id, variant_id: variant, interval: 'year' } }), 422, 'VALIDATION_ERROR', 'interval');
    expectError(await api(srv, 'POST', '/api/v1/users/me/subscriptions', { key: who.access, body: { order_id: order.id, variant_id: variant, interval: 'day', interval_count: 0 } }), 422, 'VALIDATION_ERROR', 'interval_count');
  });

  it('a renewal: priced anew with the discount, taxed as the first order, stock taken, paid through the job queue', async () => {
    must(await admin(srv, 'PUT', '/api/v1/admin/tax-rates/US-CA', { name: 'California', rate_bp: 825 }), 200);
    const { who, sub, order } = await subscriber(3, 'week', 'US-CA');
    assert.deepEqual(order.totals.tax, { amount: 248, currency: 'USD' }, 'the first order: 8.25 % of 3000');
    const before = await stockOf(variant);
    due(who);
    const s = await pollUntil(async () => { const x = await mine(who, sub.id); return x.period === 2 ? x : undefined; }, { tries: 120, step: 250 });
    assert.ok(s, 'renewed');
    assert.equal(s.failed_attempts, 0);
    assert.equal(s.renewals[0].state, 'paid');
    const o = must(await api(srv, 'GET', `/api/v1/orders/${s.renewals[0].order_id}`, { key: who.access }), 200);
    assert.equal(o.state, 'paid');
    assert.deepEqual(o.lines.map((l) => [l.variant_id, l.quantity]), [[variant, 3]]);
    assert.deepEqual(o.totals.subtotal, { amount: 3000, currency: 'USD' });
    assert.deepEqual(o.totals.discount, { amount: 300, currency: 'USD' }, 'the 10 % subscription discount');
    assert.deepEqual(o.totals.tax, { amount: 223, currency: 'USD' }, '8.25 % of the discounted goods (2700), half up');
    assert.deepEqual(o.totals.total, { amount: 2923, currency: 'USD' });
    assert.equal(await stockOf(variant), before - 3);
    assert.ok(Date.parse(s.next_renewal_at) > Date.now() + 6 * 86400e3, 'next one a week on');
  });

  it('a declined renewal goes through dunning (a retry, an e-mail each time) and pauses', async () => {
    const { who, sub } = await subscriber(1);
    sql(srv.dbPath, `UPDATE subscriptions SET payment_token = '${DECLINED_TOKEN}' WHERE user_id = ${who.uid}`);
    const stock = await stockOf(variant);
    for (let attempt = 1; attempt <= 2; attempt++) {
      due(who);
      const s = await pollUntil(async () => { const x = await mine(who, sub.id); return x.failed_attempts === attempt ? x : undefined; }, { tries: 120, step: 250 });
      assert.ok(s, `attempt ${attempt} recorded`);
      assert.equal(s.state, 'active');
      assert.equal(s.renewals[0].state, 'declined');
      assert.equal(s.renewals[0].decline_code, 'card_declined');
      const wait = Date.parse(s.next_renewal_at) - Date.now();
      assert.ok(wait > (attempt * 3600e3) - 120e3 && wait <= attempt * 3600e3 + 5e3, `retry after ${attempt} h (${wait} ms)`);
      assert.equal(mailTo(who, '%payment failed%'), attempt);
    }
    due(who);
    const s = await pollUntil(async () => { const x = await mine(who, sub.id); return x.state === 'paused' ? x : undefined; }, { tries: 120, step: 250 });
    assert.ok(s, 'paused after the last retry');
    assert.equal(s.pause_reason, 'payment_failed');
    assert.equal(s.renewals.length, 3);
    assert.ok(s.renewals.every((r) => r.state === 'declined'));
    assert.equal(mailTo(who, '%paused%'), 1);
    assert.equal(sql(srv.dbPath, `SELECT count(*) FROM orders WHERE user_id = ${who.uid} AND state = 'paid'`), '1', 'only the first order is paid');
    assert.equal(await stockOf(variant), stock, 'declined renewals keep no stock');
    // paused: a due run charges nothing
    sql(srv.dbPath, `UPDATE subscriptions SET next_run_at = 0 WHERE user_id = ${who.uid}`);
    await staleJob(who, 1, 3);
    assert.equal((await mine(who, sub.id)).renewals.length, 3);
    // a new card: an order that saved it gives the subscription its method; resumed, it renews
    const plain = await checkoutAs(who, { payment_method: CARD_OK });
    expectError(await api(srv, 'PATCH', `/api/v1/users/me/subscriptions/${sub.id}`, { key: who.access, body: { payment_order_id: plain.id } }),
      422, 'VALIDATION_ERROR', 'payment_order_id');
    const other = await subscriber(1);
    expectError(await api(srv, 'PATCH', `/api/v1/users/me/subscriptions/${sub.id}`, { key: who.access, body: { payment_order_id: other.order.id } }),
      422, 'VALIDATION_ERROR', 'payment_order_id'); // someone else's order
    const fresh = await checkoutAs(who, { payment_method: CARD_OK, save_payment_method: true });
    must(await api(srv, 'PATCH', `/api/v1/users/me/subscriptions/${sub.id}`, { key: who.access, body: { payment_order_id: fresh.id } }), 200);
    assert.equal(sql(srv.dbPath, `SELECT payment_token FROM subscriptions WHERE user_id = ${who.uid}`), `tok_test_${CARD_OK}`);
    must(await api(srv, 'POST', `/api/v1/users/me/subscriptions/${sub.id}/actions`, { key: who.access, body: { action: 'resume' } }), 200);
    due(who);
    const renewed = await pollUntil(async () => { const x = await mine(who, sub.id); return x.period === 2 ? x : undefined; }, { tries: 120, step: 250 });
    assert.ok(renewed, `renewed with the new card: ${JSON.stringify(await mine(who, sub.id))} ${sql(srv.dbPath, "SELECT state, attempts, payload, last_error FROM jobs WHERE kind = 'subscriptions.renew' ORDER BY id DESC LIMIT 3")}`);
    assert.equal(renewed.renewals[0].state, 'paid');
    assert.equal(renewed.failed_attempts, 0);
  });

  it('skip, pause and cancel are respected at the next run', async () => {
    for (const action of ['skip', 'pause', 'cancel']) {
      const { who, sub } = await subscriber(1);
      const n = ordersOf(who);
      const after = must(await api(srv, 'POST', `/api/v1/users/me/subscriptions/${sub.id}/actions`, { key: who.access, body: { action } }), 200);
      if (action === 'skip') {
        assert.equal(after.period, 2);
        assert.equal(after.renewals[0].state, 'skipped');
        assert.equal(Date.parse(after.next_renewal_at) - Date.parse(sub.next_renewal_at), 7 * 86400e3);
      } else {
        assert.equal(after.state, action === 'pause' ? 'paused' : 'cancelled');
        assert.equal(after.next_renewal_at, null);
        sql(srv.dbPath, `UPDATE subscriptions SET next_run_at = 0 WHERE user_id = ${who.uid}`);
      }
      await staleJob(who, 1, 0); // the renewal of the period the action passed over
      assert.equal(ordersOf(who), n, `${action}: no order placed`);
      assert.equal((await mine(who, sub.id)).renewals.filter((r) => r.order_id).length, 0, `${action}: nothing charged`);
    }
  });

  it('resume, interval and quantity changes; refusals name the state', async () => {
    const { who, sub } = await subscriber(1, 'month');
    const p = must(await api(srv, 'PATCH', `/api/v1/users/me/subscriptions/${sub.id}`, { key: who.access, body: { interval: 'day', interval_count: 3, quantity: 4 } }), 200);
    assert.deepEqual([p.interval, p.interval_count, p.quantity], ['day', 3, 4]);
    assert.equal(Date.parse(p.next_renewal_at) - Date.parse(sub.next_renewal_at) < 0, true, 'sooner');
    expectError(await api(srv, 'PATCH', `/api/v1/users/me/subscriptions/${sub.id}`, { key: who.access, body: {} }), 422, 'VALIDATION_ERROR');
    expectError(await api(srv, 'PATCH', `/api/v1/users/me/subscriptions/${sub.id}`, { key: who.access, body: { quantity: 1000 } }), 422, 'VALIDATION_ERROR', 'quantity');
    expectError(await api(srv, 'POST', `/api/v1/users/me/subscriptions/${sub.id}/actions`, { key: who.access, body: { action: 'resume' } }), 409, 'INVALID_STATE');
    expectError(await api(srv, 'POST', `/api/v1/users/me/subscriptions/${sub.id}/actions`, { key: who.access, body: { action: 'explode' } }), 422, 'VALIDATION_ERROR', 'action');
    must(await api(srv, 'POST', `/api/v1/users/me/subscriptions/${sub.id}/actions`, { key: who.access, body: { action: 'pause' } }), 200);
    const r = must(await api(srv, 'POST', `/api/v1/users/me/subscriptions/${sub.id}/actions`, { key: who.access, body: { action: 'resume' } }), 200);
    assert.equal(r.state, 'active');
    // an admin: any subscription, audited
    const list = must(await admin(srv, 'GET', `/api/v1/admin/subscriptions?user=${who.user.id}`), 200);
    assert.deepEqual(list.data.map((s) => s.id), [sub.id]);
    assert.equal(list.data[0].user_id, who.user.id);
    const c = must(await admin(srv, 'POST', `/api/v1/admin/subscriptions/${sub.id}/actions`, { action: 'cancel' }), 200);
    assert.equal(c.state, 'cancelled');
    expectError(await api(srv, 'PATCH', `/api/v1/users/me/subscriptions/${sub.id}`, { key: who.access, body: { quantity: 2 } }), 409, 'INVALID_STATE');
    expectError(await admin(srv, 'GET', '/api/v1/admin/subscriptions?state=nope'), 422, 'VALIDATION_ERROR', 'state');
    expectError(await api(srv, 'GET', '/api/v1/admin/subscriptions', { key: who.access }), 403, 'FORBIDDEN');
    const mineList = must(await api(srv, 'GET', '/api/v1/users/me/subscriptions', { key: who.access }), 200);
    assert.deepEqual(mineList.data.map((s) => s.id), [sub.id]);
  });

  it('save_payment_method: customers only, with a payment method', async () => {
    const who = await register(srv);
    await api(srv, 'POST', '/api/v1/carts', { key: who.access });
    must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: who.access, body: { variant_id: variant, quantity: 1 } }), 200);
    expectError(await api(srv, 'POST', '/api/v1/checkout', { key: who.access, headers: { 'Idempotency-Key': `s-${token()}` },
      body: { shipping_address: ADDRESS, save_payment_method: true } }), 422, 'VALIDATION_ERROR', 'save_payment_method');
    const o = must(await api(srv, 'POST', '/api/v1/checkout', { key: who.access, headers: { 'Idempotency-Key': `s-${token()}` },
      body: { shipping_address: ADDRESS, payment_method: CARD_OK } }), 201);
    expectError(await api(srv, 'POST', '/api/v1/users/me/subscriptions', { key: who.access, body: { order_id: o.id, variant_id: variant, interval: 'week' } }), 409, 'INVALID_STATE');
  });
});
