// Cart pricing and checkout with and without promotions, for bench/promotions.sh (node
// built-ins only).
//
//   BENCH_BASE=http://127.0.0.1:PORT BENCH_ADMIN_KEY=sk_… node bench/promotions_load.mjs
//
// Setup (not timed): a warehouse, a category under a parent, a brand, and a product with
// BENCH_VARIANTS variants in them, well stocked. Then the same phase twice — first with no
// promotion, then with 20 active promotions (alternating twice, after a warm-up) that all concern the bench product (percent
// and fixed off products, the parent category's subtree, the brand; buy-2-get-1; tiered
// spend; free shipping; a code-only one whose code is not on the carts; exclusive and
// combinable ones at several priorities) — and BENCH_BUYERS shoppers, each buying over and
// over for BENCH_DURATION: create a cart, add 3 lines (each a cart change, timed), check
// out with the test card.
//
// Prints per phase: purchases/s, p50/p99 per cart change (POST a line: the cart is priced
// in the answer) and per checkout; then the ratios with/without. Lines for scripts:
//   PHASE <name> purchases_per_s=<x> change_p50_ms=<y> change_p99_ms=<z> checkout_p50_ms=<w>
//   RATIO throughput=<with/without> change_p50=<with/without>
// Exit status: 0 ran, 1 setup failure, 2 unexpected answers (or promotions that did not apply).
import { client, fail, log, pct, seconds } from './lib/client.mjs';

const env = process.env;
const KEY = env.BENCH_ADMIN_KEY;
const DURATION_S = seconds(env.BENCH_DURATION || '10s');
const BUYERS = Number(env.BENCH_BUYERS || 16);
const VARIANTS = Number(env.BENCH_VARIANTS || 20);
const CARD = '4242424242424242';
if (!KEY) fail(1, 'BENCH_ADMIN_KEY is not set');
const { request, must } = client(env.BENCH_BASE || 'http://127.0.0.1:8080', KEY, BUYERS + 8);
const uniq = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const now = () => Number(process.hrtime.bigint()) / 1e6;
let seed = 0x2545f491;
const rnd = (n) => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed % n;
};

// ---------------------------------------------------------------- setup
const admin = (status, method, path, body) => must(status, method, path, { admin: true, body });
const wh = await admin(201, 'POST', '/api/v1/warehouses', { code: `pr-${uniq}`.slice(0, 32), name: 'Bench warehouse' });
const parent = await admin(201, 'POST', '/api/v1/categories', { name: `Bench parent ${uniq}` });
const child = await admin(201, 'POST', '/api/v1/categories', { name: `Bench child ${uniq}`, parent_id: parent.id });
const brand = await admin(201, 'POST', '/api/v1/brands', { name: `Bench brand ${uniq}` });
const product = await admin(201, 'POST', '/api/v1/products', {
  title: `Bench promo ${uniq}`, status: 'active', category_id: child.id, brand_id: brand.id,
  variants: Array.from({ length: VARIANTS }, (_, i) => ({ sku: `PR-${uniq}-${i}`, prices: [{ amount: 1500 + 37 * i, currency: 'USD' }] })),
});
const variants = product.variants.map((v) => v.id);
for (const v of variants) await admin(200, 'PUT', `/api/v1/variants/${v}/stock/${wh.id}`, { on_hand: 10_000_000, reason: 'bench stock' });
const other = await admin(201, 'POST', '/api/v1/products', { title: `Bench other ${uniq}`, status: 'active', variants: [{ sku: `PRO-${uniq}`, prices: [{ amount: 999, currency: 'USD' }] }] });

const P = { kind: 'products', ids: [product.id] };
// BENCH_PROMO_SET=dense (default): all 20 concern the bench product (12 or so apply to every
// cart: the worst case); spread: 20 promotions of the same kinds over 10 products, of which
// the carts hold one (so 2-4 apply, as in a shop with promotions on part of its range).
const SPREAD = (env.BENCH_PROMO_SET || 'dense') === 'spread';
const others = [];
if (SPREAD) for (let i = 0; i < 9; i++) others.push(await admin(201, 'POST', '/api/v1/products', { title: `Bench spread ${uniq} ${i}`, status: 'active', variants: [{ sku: `PRS-${uniq}-${i}`, prices: [{ amount: 1200, currency: 'USD' }] }] }));
const DENSE = [
  { name: 'p1 5% product', kind: 'percent', value: 500, target: P, priority: 5 },
  { name: 'p2 3% category subtree', kind: 'percent', value: 300, target: { kind: 'categories', ids: [parent.id] }, priority: 4 },
  { name: 'p3 2% brand', kind: 'percent', value: 200, target: { kind: 'brands', ids: [brand.id] }, priority: 3 },
  { name: 'p4 1% all', kind: 'percent', value: 100, priority: 2 },
  { name: 'p5 fixed 100', kind: 'fixed', value: 100, currency: 'USD', target: P, priority: 1 },
  { name: 'p6 fixed 50 over 3000', kind: 'fixed', value: 50, currency: 'USD', target: P, min_subtotal: 3000 },
  { name: 'p7 b2g1 half', kind: 'buy_x_get_y', value: 5000, buy_quantity: 2, get_quantity: 1, target: P, buy: P },
  { name: 'p8 b3g1 free (other set)', kind: 'buy_x_get_y', buy_quantity: 3, get_quantity: 1, target: { kind: 'products', ids: [other.id] }, buy: P },
  { name: 'p9 tiers', kind: 'tiered', target: P, tiers: [{ min: 2000, rate_bp: 100 }, { min: 5000, rate_bp: 200 }, { min: 10000, rate_bp: 300 }] },
  { name: 'p10 tiers all', kind: 'tiered', tiers: [{ min: 100000, rate_bp: 500 }] },
  { name: 'p11 free shipping over 1000', kind: 'free_shipping', min_subtotal: 1000, currency: 'USD' },
  { name: 'p12 free shipping over 1M', kind: 'free_shipping', min_subtotal: 1_000_000 },
  { name: 'p13 exclusive low', kind: 'percent', value: 1500, target: P, exclusive: true, priority: -5 },
  { name: 'p14 exclusive lower', kind: 'percent', value: 2500, target: P, exclusive: true, priority: -6 },
  { name: 'p15 code only', kind: 'percent', value: 4000, target: P, requires_code: true },
  { name: 'p16 euro', kind: 'fixed', value: 100, currency: 'EUR', target: P },
  { name: 'p17 next week', kind: 'percent', value: 700, target: P, starts_at: new Date(Date.now() + 7 * 86400e3).toISOString() },
  { name: 'p18 limited', kind: 'percent', value: 100, target: P, usage_limit: 1_000_000_000 },
  { name: 'p19 per customer', kind: 'percent', value: 100, target: P, per_customer_limit: 1000 },
  { name: 'p20 flash', kind: 'percent', value: 100, target: P, flash_sale: true, starts_at: new Date(Date.now() - 60e3).toISOString(), ends_at: new Date(Date.now() + 86400e3).toISOString() },
];
// spread: the same promotions, 18 of them moved to the other nine products (two each); the
// bench product keeps p1 (5 %) and p19 (per customer), and the 'all' ones stay
const PROMOTIONS = SPREAD
  ? DENSE.map((p, i) => (i === 0 || i === 18 || !p.target || p.target.kind !== 'products' || p.target.ids[0] !== product.id
    ? p : { ...p, target: { kind: 'products', ids: [others[i % 9].id] }, ...(p.buy ? { buy: { kind: 'products', ids: [others[i % 9].id] } } : {}) }))
  : DENSE;

// ---------------------------------------------------------------- phases
const unexpected = [];
let seq = 0;
const address = { name: 'Bench Buyer', line1: '1 Load Street', city: 'London', postal_code: 'E1 6AN', country: 'GB' };
let applied = 0;

async function purchase(stats, expectPromos) {
  const i = seq++;
  const t0 = now();
  const c = await request('POST', '/api/v1/carts', { body: {} });
  if (c.status !== 201) return void unexpected.push(`cart: ${c.status} ${c.text.slice(0, 200)}`);
  const tok = JSON.parse(c.text).cart_token;
  let last;
  for (let k = 0; k < 3; k++) {
    const t = now();
    const r = await request('POST', '/api/v1/carts/current/lines', { headers: { 'X-Cart-Token': tok }, body: { variant_id: variants[rnd(VARIANTS)], quantity: 1 + rnd(2) } });
    stats.change.push(now() - t);
    if (r.status !== 200) return void unexpected.push(`line: ${r.status} ${r.text.slice(0, 200)}`);
    last = r.text;
  }
  if (expectPromos) {
    const n = JSON.parse(last).promotions.applied.length;
    if (n === 0) unexpected.push('no promotion applied');
    applied += n;
  }
  const t2 = now();
  const r = await request('POST', '/api/v1/checkout', {
    headers: { 'X-Cart-Token': tok, 'Idempotency-Key': `pr-${uniq}-${i}` },
    body: { email: `pr-${uniq}-${i}@example.com`, shipping_address: address, payment_method: CARD },
  });
  const t3 = now();
  if (r.status !== 201) return void unexpected.push(`checkout: ${r.status} ${r.text.slice(0, 200)}`);
  stats.checkout.push(t3 - t2);
  stats.done++;
  if (t0 < 0) log('unreachable');
}

async function phase(name, expectPromos) {
  const stats = { change: [], checkout: [], done: 0 };
  const start = now(), end = start + DURATION_S * 1000;
  await Promise.all(Array.from({ length: BUYERS }, async () => {
    while (now() < end) {
      try {
        await purchase(stats, expectPromos);
      } catch (e) {
        if (unexpected.length < 50) unexpected.push(`network: ${e.message}`);
      }
    }
  }));
  const elapsed = (now() - start) / 1000;
  stats.change.sort((a, b) => a - b);
  stats.checkout.sort((a, b) => a - b);
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
  const out = { rate: stats.done / elapsed, p50: pct(stats.change, 50), p99: pct(stats.change, 99), c50: pct(stats.checkout, 50), c99: pct(stats.checkout, 99) };
  console.log(`${name.padEnd(14)} ${out.rate.toFixed(0).padStart(6)} purchases/s | per cart change p50 ${f(out.p50)} ms p99 ${f(out.p99)} ms | ` +
    `per checkout p50 ${f(out.c50)} ms p99 ${f(out.c99)} ms`);
  console.log(`PHASE ${name} purchases_per_s=${out.rate.toFixed(1)} change_p50_ms=${f(out.p50)} change_p99_ms=${f(out.p99)} checkout_p50_ms=${f(out.c50)}`);
  return out;
}

console.log(`promotion set: ${SPREAD ? 'spread' : 'dense'}; ${BUYERS} buyers, ${DURATION_S} s per phase; a purchase = new cart, 3 line adds, checkout with the test card`);
console.log('phases alternate without / with the 20 promotions (switched off and on between), after a warm-up');
await phase('warm-up', false);
const created = [];
for (const p of PROMOTIONS) created.push(await admin(201, 'POST', '/api/v1/admin/promotions', { ...p, active: false }));
const toggle = async (active) => { for (const p of created) await admin(200, 'PATCH', `/api/v1/admin/promotions/${p.id}`, { active }); };
const runs = { without: [], with: [] };
for (let round = 1; round <= 2; round++) {
  runs.without.push(await phase(`no-promotions-${round}`, false));
  await toggle(true);
  runs.with.push(await phase(`20-promotions-${round}`, true));
  await toggle(false);
}
const mean = (xs, k) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
const ratio = mean(runs.with, 'rate') / mean(runs.without, 'rate');
console.log(`promotions applied per priced cart (mean): ${(applied / Math.max(1, runs.with.reduce((a, x) => a + x.rate * DURATION_S, 0))).toFixed(1)}`);
console.log(`RATIO throughput=${ratio.toFixed(3)} change_p50=${(mean(runs.with, 'p50') / mean(runs.without, 'p50')).toFixed(3)} ` +
  `change_p99=${(mean(runs.with, 'p99') / mean(runs.without, 'p99')).toFixed(3)} checkout_p50=${(mean(runs.with, 'c50') / mean(runs.without, 'c50')).toFixed(3)}`);
console.log(`checkout throughput with 20 promotions is ${(ratio * 100).toFixed(0)} % of the runs without (goal: >= 80 %)`);
if (unexpected.length) {
  log(`${unexpected.length} unexpected answers, e.g.:`);
  for (const u of unexpected.slice(0, 5)) log(`  ${u}`);
  process.exit(2);
}
