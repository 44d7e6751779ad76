// Subscription renewals through the job queue (bench/subscriptions.sh). One customer's first order
// saves the test card and starts a subscription; BENCH_SUBSCRIPTIONS - 1 more are copied from it in
// the database (sqlite3), all made due at once, and the scheduler's subscriptions.due run is made
// due again every 200 ms (it enqueues at most 500 renewals a run; in production it runs every
// minute). Prints renewals/s from the moment they fell due to the moment the last was recorded
// paid, and checks every subscription was renewed exactly once.
import { execFileSync } from 'node:child_process';
import { client, fail, log } from './lib/client.mjs';

const N = Number(process.env.BENCH_SUBSCRIPTIONS || 2000);
const DB = process.env.BENCH_DB;
const souk = client(process.env.BENCH_BASE, process.env.BENCH_ADMIN_KEY, 4);
const sql = (text) => execFileSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', DB, text], { encoding: 'utf8' }).trim();
const ADDRESS = { name: 'Bench Buyer', line1: '1 Bench Street', city: 'London', postal_code: 'N1 1AA', country: 'GB' };

const wh = await souk.must(201, 'POST', '/api/v1/warehouses', { admin: true, body: { code: `sb${Date.now()}`, name: 'Bench' } });
const p = await souk.must(201, 'POST', '/api/v1/products', { admin: true, body: {
  title: 'Subscription bench', status: 'active', variants: [{ sku: `SBB-${Date.now()}`, prices: [{ amount: 1200, currency: 'USD' }] }] } });
const variant = p.variants[0].id;
await souk.must(200, 'PUT', `/api/v1/variants/${variant}/stock/${wh.id}`, { admin: true, body: { on_hand: 10_000_000, reason: 'bench' } });
await souk.must(200, 'PUT', '/api/v1/admin/subscription-settings', { admin: true, body: { discount_bp: 1000, retry_hours: [24, 72] } });
const reg = await souk.must(201, 'POST', '/api/v1/auth/register', { body: { email: `bench${Date.now()}@example.com`, password: 'bench password 12345' } });
const auth = { Authorization: `Bearer ${reg.access_token}` };
await souk.request('POST', '/api/v1/carts', { headers: auth });
await souk.must(200, 'POST', '/api/v1/carts/current/lines', { headers: auth, body: { variant_id: variant, quantity: 1 } });
const o = await souk.must(201, 'POST', '/api/v1/checkout', { headers: { ...auth, 'Idempotency-Key': `bench-${Date.now()}` },
  body: { shipping_address: ADDRESS, payment_method: '4242424242424242', save_payment_method: true } });
await souk.must(201, 'POST', '/api/v1/users/me/subscriptions', { headers: auth, body: { order_id: o.id, variant_id: variant, interval: 'month' } });
sql(`INSERT INTO subscriptions (id, user_id, first_order_id, variant_id, quantity, interval_unit, interval_count, state, period,
    attempt, anchor_at, next_run_at, gateway, payment_token, currency, email, shipping_address, shipping_method, created_at, updated_at)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N - 1})
  SELECT s.id + n.i, s.user_id, -n.i, s.variant_id, s.quantity, s.interval_unit, s.interval_count, s.state, s.period, s.attempt,
    s.anchor_at, s.next_run_at, s.gateway, s.payment_token, s.currency, s.email, s.shipping_address, s.shipping_method,
    s.created_at, s.updated_at FROM subscriptions s, n`);
log(`${sql('SELECT count(*) FROM subscriptions')} subscriptions; all due now`);

const t0 = performance.now();
sql('UPDATE subscriptions SET next_run_at = 0; UPDATE job_schedules SET next_run_at = 0');
let done = 0, last = -1, stale = 0;
for (;;) {
  await new Promise((r) => setTimeout(r, 200));
  done = Number(sql("SELECT count(*) FROM subscription_renewals WHERE state = 'paid'"));
  if (done >= N) break;
  stale = done === last ? stale + 1 : 0;
  last = done;
  if (stale > 150) fail(1, `stuck at ${done} of ${N} renewals: ${sql('SELECT state, count(*) FROM subscription_renewals GROUP BY state')}`);
  sql("UPDATE job_schedules SET next_run_at = 0 WHERE kind = 'subscriptions.due'");
}
const endUs = Number(sql("SELECT max(updated_at) FROM subscription_renewals WHERE state = 'paid'"));
const startUs = Number(sql("SELECT min(created_at) FROM subscription_renewals"));
const s = (performance.now() - t0) / 1000;
const twice = sql("SELECT count(*) FROM (SELECT subscription_id FROM subscription_renewals WHERE state = 'paid' GROUP BY subscription_id HAVING count(*) > 1) x");
if (twice !== '0' || sql("SELECT count(*) FROM subscriptions WHERE period = 2") !== String(N)) fail(1, 'not every subscription renewed exactly once');
console.log(`renewals: ${N} in ${s.toFixed(2)} s as the client saw it (200 ms polls) = ${(N / s).toFixed(1)} renewals/s`);
console.log(`          first renewal row to last paid: ${((endUs - startUs) / 1e6).toFixed(2)} s = ${(N / ((endUs - startUs) / 1e6)).toFixed(1)} renewals/s`);
console.log(`orders paid: ${sql("SELECT count(*) FROM orders WHERE state = 'paid'")} (the first order and ${N} renewals)`);
souk.close();
