// A server killed (SIGKILL) while renewals run, then started again on the same database, with the
// Stripe-style gateway against the loopback stub (tests/api/lib/stripe_stub.js), which outlives the
// kill and so sees every charge (contract: docs/internals/subscriptions.md, "Exactly once"):
//  - the first order is a checkout that saves its payment method (a customer made at the provider,
//    the intent given it and setup_future_usage=off_session) and starts a subscription;
//  - hundreds of subscriptions fall due at once; the server is SIGKILLed while their renewals are
//    placed and charged off-session, restarted, and the renewals resume;
//  - every subscription is renewed once: one paid renewal order per subscription and period, one
//    succeeded intent per subscription at the provider (nobody is charged twice, nobody is missed),
//    each confirmed off-session with the saved customer's method, under the order's idempotency key;
//  - no renewal order is left waiting, and the stock adds up: on_hand = initial − Σ paid quantities,
//    nothing reserved;
//  - a pause that lands after a renewal's order was placed and before it was charged (the provider
//    unreachable for the first confirmation) withdraws it: the order is cancelled, nothing charged.
// Time passing is simulated with SQL where waiting would take minutes: next_run_at (the renewals'
// due time), the schedules' next run, and the 5 min lease of jobs running at the kill.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { token } from './lib/util.js';
import { sql } from './lib/db.js';
import { startStripeStub } from './lib/stripe_stub.js';
import { must, admin, warehouse, stockedProduct, stockOf, pollUntil, makeSchedulesDue, ADDRESS } from './lib/checkout_util.js';

const SECRET_KEY = 'sk_test_subs_crash';
const CLONES = 450; // subscriptions beside the real one, all due at once (one due batch takes 500)
const INITIAL = 100_000;
const countBy = (xs, f) => xs.reduce((m, x) => { const k = f(x); m[k] = (m[k] || 0) + 1; return m; }, {});

describe('subscriptions: SIGKILL during renewals, restart on the same database', () => {
  let stub, first, srv, dir, env;
  const fx = {};
  const paidRenewals = (s) => Number(sql(s.dbPath, "SELECT count(*) FROM subscription_renewals WHERE state = 'paid'"));

  before(async () => {
    stub = await startStripeStub({ secretKey: SECRET_KEY });
    env = { SOUK_PAYMENT_GATEWAY: 'stripe', SOUK_STRIPE_SECRET_KEY: SECRET_KEY, SOUK_STRIPE_API_BASE: stub.url,
      SOUK_STRIPE_WEBHOOK_SECRET: 'whsec_subs_crash', SOUK_RATE_LIMIT_USER: '0', SOUK_RATE_LIMIT_IP: '0',
      SOUK_FRAUD_HOLD_THRESHOLD: 'off' };
    first = await startServer({ env, keepDir: true });
    dir = first.dir;
    const wh = await warehouse(first, 'subcrash');
    fx.p = await stockedProduct(first, wh, { n: 1, stock: INITIAL, price: 700 });
    fx.variant = fx.p.variants[0].id;
  });

  after(async () => {
    if (first && !first.exited) await first.kill();
    if (srv) await srv.stop();
    else if (dir) rmSync(dir, { recursive: true, force: true });
    if (stub) await stub.stop();
  });

  it('the first order saves the payment method at the provider and starts a subscription', async () => {
    const who = await register(first);
    await api(first, 'POST', '/api/v1/carts', { key: who.access });
    await must(await api(first, 'POST', '/api/v1/carts/current/lines', { key: who.access, body: { variant_id: fx.variant, quantity: 1 } }), 200);
    const o = await must(await api(first, 'POST', '/api/v1/checkout', { key: who.access, headers: { 'Idempotency-Key': `sc-${token()}` },
      body: { shipping_address: ADDRESS, payment_method: 'pm_card_visa', save_payment_method: true } }), 201);
    assert.equal(o.state, 'paid');
    const pi = stub.intentsFor(o.id)[0];
    assert.ok(pi.customer && stub.customers.get(pi.customer).payment_method === 'pm_card_visa', 'a customer with the method attached');
    assert.equal(pi.setup_future_usage, 'off_session');
    const sub = await must(await api(first, 'POST', '/api/v1/users/me/subscriptions', { key: who.access,
      body: { order_id: o.id, variant_id: fx.variant, interval: 'month' } }), 201);
    assert.equal(sub.payment_method.gateway, 'stripe');
    fx.who = who;
    fx.sub = sub;
    fx.firstOrder = o.id;
    fx.customer = pi.customer;
    // many more subscriptions of the same account, as if many first orders had started them
    const d = first.dbPath;
    sql(d, `INSERT INTO subscriptions (id, user_id, first_order_id, variant_id, quantity, interval_unit, interval_count, state,
        period, attempt, anchor_at, next_run_at, gateway, payment_token, currency, email, shipping_address, shipping_method,
        created_at, updated_at)
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${CLONES})
      SELECT s.id + n.i, s.user_id, -n.i, s.variant_id, 1 + (n.i % 3), s.interval_unit, s.interval_count, s.state, s.period,
        s.attempt, s.anchor_at, s.next_run_at, s.gateway, s.payment_token, s.currency, s.email, s.shipping_address,
        s.shipping_method, s.created_at, s.updated_at FROM subscriptions s, n`);
    assert.equal(sql(d, 'SELECT count(*) FROM subscriptions'), String(CLONES + 1));
  });

  it('renewals under way, SIGKILL, restart', async () => {
    assert.ok(fx.who, 'set up');
    sql(first.dbPath, 'UPDATE subscriptions SET next_run_at = 0');
    makeSchedulesDue(first);
    const started = await pollUntil(async () => paidRenewals(first) >= 30 || undefined, { tries: 400, step: 25 });
    assert.ok(started, 'renewals were being charged');
    const killed = await first.kill('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    fx.atKill = countBy(sql(first.dbPath, 'SELECT state FROM subscription_renewals').split('\n').filter(Boolean), (x) => x);
    console.log(`at the kill: renewals ${JSON.stringify(fx.atKill)} of ${CLONES + 1}; provider calls ${stub.requests.length}`);
    assert.ok((fx.atKill.paid ?? 0) < CLONES + 1, 'the kill came before every renewal was done');
    // the kill cut the running jobs' leases short: let their 5 minutes pass
    sql(first.dbPath, "UPDATE jobs SET locked_until = 0 WHERE state = 'running'");
    srv = await startServer({ dir, adminKey: first.adminKey, env });
  });

  it('every subscription renewed once; nobody charged twice at the provider', async () => {
    assert.ok(srv, 'restarted');
    const d = srv.dbPath;
    const done = await pollUntil(async () => {
      makeSchedulesDue(srv);
      return sql(d, "SELECT count(*) FROM subscriptions WHERE period = 2 AND state = 'active'") === String(CLONES + 1) || undefined;
    }, { tries: 240, step: 500 });
    const states = countBy(sql(d, 'SELECT state FROM subscription_renewals').split('\n').filter(Boolean), (x) => x);
    assert.ok(done, `not all renewed: ${sql(d, 'SELECT period, state, count(*) FROM subscriptions GROUP BY period, state')}; renewals ${JSON.stringify(states)}`);
    console.log(`after the restart: renewals ${JSON.stringify(states)}`);
    // one paid renewal per subscription and period, each with its own paid order
    assert.equal(sql(d, "SELECT count(*) FROM (SELECT subscription_id, period FROM subscription_renewals WHERE state = 'paid' " +
      'GROUP BY subscription_id, period HAVING count(*) > 1) x'), '0', 'no period renewed twice');
    assert.equal(paidRenewals(srv), CLONES + 1, 'one paid renewal per subscription');
    assert.equal(sql(d, "SELECT count(*) FROM subscription_renewals WHERE state = 'charging'"), '0');
    const rows = sql(d, "SELECT r.subscription_id, r.order_id, o.state, o.intent_id FROM subscription_renewals r JOIN orders o ON o.id = r.order_id " +
      "WHERE r.state = 'paid'").split('\n').filter(Boolean).map((l) => l.split('|'));
    assert.equal(rows.length, CLONES + 1);
    assert.ok(rows.every((r) => r[2] === 'paid'), 'their orders are paid');
    assert.equal(new Set(rows.map((r) => r[3])).size, rows.length, 'each with its own intent');
    // at the provider: one succeeded intent per renewal order, none for anything else
    const renewalOrders = new Set(sql(d, "SELECT o.intent_id FROM subscription_renewals r JOIN orders o ON o.id = r.order_id WHERE r.state = 'paid'")
      .split('\n').filter(Boolean));
    const succeeded = stub.created.filter((pi) => pi.status === 'succeeded' && pi.metadata.reference !== fx.firstOrder);
    assert.equal(succeeded.length, CLONES + 1, `succeeded renewal charges at the provider: ${succeeded.length}`);
    assert.deepEqual(succeeded.filter((pi) => !renewalOrders.has(pi.id)).map((pi) => pi.id), [], 'every charge is a paid renewal\'s');
    const perRef = countBy(succeeded, (pi) => pi.metadata.reference);
    assert.deepEqual(Object.entries(perRef).filter(([, n]) => n > 1), [], 'no order charged twice');
    assert.ok(succeeded.every((pi) => pi.off_session && pi.customer === fx.customer), 'off-session, with the saved customer');
    const confirms = stub.requests.filter((r) => /\/confirm$/.test(r.path) && r.form.off_session === 'true');
    assert.ok(confirms.every((r) => /^ord_[0-9A-Z]+-renew$/.test(r.headers['idempotency-key'])), 'the order\'s idempotency key');
    assert.equal(stub.refunds.length, 0, 'nothing had to be refunded');
    // stock: the first order and every renewal, nothing held
    const qty = Number(sql(d, "SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.state = 'paid'"));
    const s = await stockOf(srv, fx.variant);
    assert.deepEqual({ on_hand: s.on_hand, reserved: s.reserved }, { on_hand: INITIAL - qty, reserved: 0 });
    assert.equal(sql(d, "SELECT count(*) FROM orders WHERE state = 'pending_payment'"), '0', 'no renewal left waiting');
  });

  it('a pause between placing a renewal and charging it withdraws it: nothing is charged', async () => {
    assert.ok(srv, 'restarted');
    const d = srv.dbPath;
    sql(d, 'UPDATE subscriptions SET next_run_at = 0 WHERE first_order_id > 0');
    stub.fault('confirm', 'drop-before'); // the next confirmation never reaches the provider
    const confirmsBefore = stub.requestsTo(/\/confirm$/).length;
    makeSchedulesDue(srv);
    const dropped = await pollUntil(async () => stub.requestsTo(/\/confirm$/).slice(confirmsBefore).some((r) => r.status === 'dropped') || undefined,
      { tries: 200, step: 50 });
    assert.ok(dropped, 'the renewal was placed and its charge attempted');
    const row = sql(d, 'SELECT r.state, r.order_id FROM subscription_renewals r JOIN subscriptions s ON s.id = r.subscription_id ' +
      'WHERE s.first_order_id > 0 AND r.period = 2').split('|');
    assert.equal(row[0], 'charging', 'placed, not charged');
    const paused = await must(await api(srv, 'POST', `/api/v1/users/me/subscriptions/${fx.sub.id}/actions`,
      { key: fx.who.access, body: { action: 'pause' } }), 200);
    assert.equal(paused.state, 'paused');
    // the job runs again after its backoff (5 s): it finds the subscription paused
    const settled = await pollUntil(async () => sql(d, `SELECT state FROM subscription_renewals WHERE order_id = ${row[1]}`) !== 'charging' || undefined,
      { tries: 120, step: 250 });
    assert.ok(settled, `the renewal job ran again: ${sql(d, "SELECT state, attempts, run_at, last_error FROM jobs WHERE kind = 'subscriptions.renew' ORDER BY id DESC LIMIT 3")} now ${Date.now() * 1000}`);
    assert.equal(sql(d, `SELECT state || ':' || decline_code FROM subscription_renewals WHERE order_id = ${row[1]}`), 'failed:withdrawn');
    assert.equal(sql(d, `SELECT state FROM orders WHERE id = ${row[1]}`), 'cancelled');
    const ref = sql(d, `SELECT intent_id FROM orders WHERE id = ${row[1]}`);
    assert.ok(!stub.intents.get(ref) || stub.intents.get(ref).status !== 'succeeded', 'never charged');
    assert.equal(stub.requestsTo(/\/confirm$/).slice(confirmsBefore).filter((r) => r.status !== 'dropped').length, 0, 'no other confirmation sent');
    const s = await stockOf(srv, fx.variant);
    assert.equal(s.reserved, 0, 'its stock released');
  });
});

// The same kill with the built-in test gateway (the default), whose charge, check and record are
// one transaction with the renewal's outcome: every subscription renewed once, one paid order per
// renewal, each with its own intent, the stock exact.
describe('subscriptions: SIGKILL during renewals with the test gateway', () => {
  let first, srv, dir;
  const env = { SOUK_RATE_LIMIT_USER: '0', SOUK_RATE_LIMIT_IP: '0', SOUK_FRAUD_HOLD_THRESHOLD: 'off' };
  const fx = {};
  const paidRenewals = (s) => Number(sql(s.dbPath, "SELECT count(*) FROM subscription_renewals WHERE state = 'paid'"));

  before(async () => {
    first = await startServer({ env, keepDir: true });
    dir = first.dir;
    const wh = await warehouse(first, 'subcrash2');
    fx.variant = (await stockedProduct(first, wh, { n: 1, stock: INITIAL, price: 900 })).variants[0].id;
  });
  after(async () => {
    if (first && !first.exited) await first.kill();
    if (srv) await srv.stop();
    else if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renewals under way, SIGKILL, restart: each renewed once, stock exact', async () => {
    const who = await register(first);
    await api(first, 'POST', '/api/v1/carts', { key: who.access });
    await must(await api(first, 'POST', '/api/v1/carts/current/lines', { key: who.access, body: { variant_id: fx.variant, quantity: 1 } }), 200);
    const o = await must(await api(first, 'POST', '/api/v1/checkout', { key: who.access, headers: { 'Idempotency-Key': `sc2-${token()}` },
      body: { shipping_address: ADDRESS, payment_method: '4242424242424242', save_payment_method: true } }), 201);
    await must(await api(first, 'POST', '/api/v1/users/me/subscriptions', { key: who.access, body: { order_id: o.id, variant_id: fx.variant, interval: 'day' } }), 201);
    sql(first.dbPath, `INSERT INTO subscriptions (id, user_id, first_order_id, variant_id, quantity, interval_unit, interval_count, state,
        period, attempt, anchor_at, next_run_at, gateway, payment_token, currency, email, shipping_address, shipping_method,
        created_at, updated_at)
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${CLONES})
      SELECT s.id + n.i, s.user_id, -n.i, s.variant_id, 1 + (n.i % 3), s.interval_unit, s.interval_count, s.state, s.period,
        s.attempt, s.anchor_at, 0, s.gateway, s.payment_token, s.currency, s.email, s.shipping_address,
        s.shipping_method, s.created_at, s.updated_at FROM subscriptions s, n`);
    sql(first.dbPath, 'UPDATE subscriptions SET next_run_at = 0');
    makeSchedulesDue(first);
    assert.ok(await pollUntil(async () => paidRenewals(first) >= 30 || undefined, { tries: 400, step: 25 }), 'renewals were being charged');
    assert.equal((await first.kill('SIGKILL')).signal, 'SIGKILL');
    const atKill = paidRenewals(first);
    console.log(`test gateway, at the kill: ${atKill} of ${CLONES + 1} renewed`);
    assert.ok(atKill < CLONES + 1, 'the kill came before every renewal was done');
    sql(first.dbPath, "UPDATE jobs SET locked_until = 0 WHERE state = 'running'");
    srv = await startServer({ dir, adminKey: first.adminKey, env });
    const d = srv.dbPath;
    const done = await pollUntil(async () => {
      makeSchedulesDue(srv);
      return sql(d, "SELECT count(*) FROM subscriptions WHERE period = 2 AND state = 'active'") === String(CLONES + 1) || undefined;
    }, { tries: 240, step: 500 });
    assert.ok(done, `not all renewed: ${sql(d, 'SELECT state, count(*) FROM subscription_renewals GROUP BY state')}`);
    assert.equal(paidRenewals(srv), CLONES + 1, 'one paid renewal per subscription');
    assert.equal(sql(d, "SELECT count(*) FROM subscription_renewals WHERE state <> 'paid'"), '0', 'no other attempt was needed or left');
    assert.equal(sql(d, "SELECT count(*) FROM orders WHERE state = 'paid'"), String(CLONES + 2), 'the first order and one per renewal');
    assert.equal(sql(d, "SELECT count(DISTINCT intent_id) FROM orders WHERE state = 'paid'"), String(CLONES + 2), 'each with its own payment');
    assert.equal(sql(d, "SELECT count(*) FROM orders WHERE state <> 'paid'"), '0', 'no order placed in vain');
    const qty = Number(sql(d, "SELECT SUM(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.state = 'paid'"));
    const s = await stockOf(srv, fx.variant);
    assert.deepEqual({ on_hand: s.on_hand, reserved: s.reserved }, { on_hand: INITIAL - qty, reserved: 0 });
  });
});
