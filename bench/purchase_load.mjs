// Whole-purchase load generator for bench/checkout.sh and bench/mixed.sh (node built-ins only).
//
//   BENCH_BASE=http://127.0.0.1:PORT BENCH_ADMIN_KEY=sk_… node bench/purchase_load.mjs
//
// Several nodes on one database: BENCH_BASES=http://…:P1,http://…:P2 spreads the requests
// with no stickiness — a purchase's k-th request goes to node (purchase + k) mod N, so its
// cart is made on one node and checked out on another. Setup and the integrity checks use
// the first.
//
// A purchase is what a shopper's browser does: POST /api/v1/carts, POST a line 1–3 times
// (random variants, quantity 1–2), POST /api/v1/checkout with the test card and a fresh
// Idempotency-Key. Its latency is from the first request to the checkout's answer.
//
// 1. Setup (not timed): a warehouse, BENCH_VARIANTS variants with BENCH_STOCK units each and
//    one "scarce" variant with BENCH_SCARCE units that sells out during the run (about one
//    purchase in ten wants it).
// 2. Phases, from BENCH_PHASES (comma-separated): "buyers:N" runs N shoppers, each starting
//    its next purchase as soon as the last one is answered, for BENCH_DURATION; "rate:R"
//    starts R purchases a second (up to BENCH_MAX_INFLIGHT at once) for BENCH_DURATION.
//    Each phase prints purchases/s, p50/p99 per purchase and per step.
// 3. Integrity, over every order of the run: each 201 answered is listed once, nothing
//    listed that no 201 announced, no Idempotency-Key with two orders, units sold per
//    variant == its on_hand drop, nothing left reserved, the scarce variant never oversold,
//    and OUT_OF_STOCK only once the scarce variant is gone.
//
// Prints "PHASE <name> purchases_per_s=<x> p50_ms=<y> p99_ms=<z>" lines for scripts.
// Exit status: 0 ran, 1 setup failure, 2 integrity failure or unexpected answers.
import { client, fail, log, pct, seconds } from './lib/client.mjs';

const env = process.env;
const KEY = env.BENCH_ADMIN_KEY;
const DURATION_S = seconds(env.BENCH_DURATION || '10s');
const PHASES = (env.BENCH_PHASES || 'buyers:16,buyers:64').split(',').map((p) => {
  const [kind, n] = p.split(':');
  if (!['buyers', 'rate'].includes(kind) || !(Number(n) > 0)) throw new Error(`bad phase ${p}`);
  return { kind, n: Number(n), name: p };
});
const VARIANTS = Number(env.BENCH_VARIANTS || 20);
const STOCK = Number(env.BENCH_STOCK || 10_000_000);
const SCARCE = Number(env.BENCH_SCARCE || 200);
const MAX_INFLIGHT = Number(env.BENCH_MAX_INFLIGHT || 256);
const CARD = '4242424242424242';

if (!KEY) fail(1, 'BENCH_ADMIN_KEY is not set');
const nodes = (env.BENCH_BASES || env.BENCH_BASE || 'http://127.0.0.1:8080').split(',').map((b) => client(b.trim(), KEY, MAX_INFLIGHT + 8));
const { request, must } = nodes[0];
const close = () => nodes.forEach((n) => n.close());
/** The request function for step K of purchase I. */
const on = (i, k) => nodes[(i + k) % nodes.length].request;
const uniq = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const now = () => Number(process.hrtime.bigint()) / 1e6;

let seed = 0x9e3779b9; // xorshift32: runs make the same carts
const rnd = (n) => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed % n;
};

// ---------------------------------------------------------------- 1. setup
const wh = await must(201, 'POST', '/api/v1/warehouses', { admin: true, body: { code: `bp-${uniq}`.slice(0, 32), name: 'Bench warehouse' } });
const product = await must(201, 'POST', '/api/v1/products', {
  admin: true,
  body: {
    title: `Bench purchase ${uniq}`, status: 'active',
    variants: Array.from({ length: VARIANTS + 1 }, (_, i) => ({ sku: `BP-${uniq}-${i}`, prices: [{ amount: 1000 + i, currency: 'USD' }] })),
  },
});
const variants = product.variants.map((v) => v.id);
const scarce = variants[VARIANTS];
const initial = new Map(variants.map((v) => [v, v === scarce ? SCARCE : STOCK]));
for (const v of variants)
  await must(200, 'PUT', `/api/v1/variants/${v}/stock/${wh.id}`, { admin: true, body: { on_hand: initial.get(v), reason: 'bench stock' } });

// ---------------------------------------------------------------- 2. purchases
const answered = []; // order ids of 201s
const statuses = {};
const unexpected = [];
let seq = 0;
const address = { name: 'Bench Buyer', line1: '1 Load Street', city: 'London', postal_code: 'E1 6AN', country: 'GB' };

/** One whole purchase; returns {ms, steps: {cart, lines, checkout}} or null when it failed. */
async function purchase(stats) {
  const i = seq++;
  const t0 = now();
  let step = 0;
  const c = await on(i, step++)('POST', '/api/v1/carts', { body: {} });
  if (c.status !== 201) {
    unexpected.push(`cart: ${c.status} ${c.text.slice(0, 200)}`);
    return;
  }
  const tok = JSON.parse(c.text).cart_token;
  const t1 = now();
  const a = rnd(VARIANTS);
  const lines = [[variants[a], 1 + rnd(2)]];
  for (let k = rnd(3); k > 0; k--) lines.push([variants[(a + k) % VARIANTS], 1]);
  if (rnd(10) === 0) lines[lines.length - 1] = [scarce, 1];
  for (const [variant_id, quantity] of lines) {
    const r = await on(i, step++)('POST', '/api/v1/carts/current/lines', { headers: { 'X-Cart-Token': tok }, body: { variant_id, quantity } });
    if (r.status !== 200) {
      unexpected.push(`line: ${r.status} ${r.text.slice(0, 200)}`);
      return;
    }
  }
  const t2 = now();
  const r = await on(i, step++)('POST', '/api/v1/checkout', {
    headers: { 'X-Cart-Token': tok, 'Idempotency-Key': `bp-${uniq}-${i}` },
    body: { email: `bp-${uniq}-${i}@example.com`, shipping_address: address, payment_method: CARD },
  });
  const t3 = now();
  let code = '';
  if (r.status >= 400) {
    try { code = ` ${JSON.parse(r.text).error.code}`; } catch { code = ' ?'; }
  }
  statuses[`${r.status}${code}`] = (statuses[`${r.status}${code}`] || 0) + 1;
  if (r.status === 201) {
    const o = JSON.parse(r.text);
    answered.push(o.id);
    if (o.state !== 'paid') unexpected.push(`order ${o.id} is ${o.state}`);
    stats.ms.push(t3 - t0);
    stats.cart.push(t1 - t0);
    stats.lines.push((t2 - t1) / lines.length);
    stats.checkout.push(t3 - t2);
  } else if (!(r.status === 409 && code === ' OUT_OF_STOCK')) {
    unexpected.push(`checkout: ${r.status} ${r.text.slice(0, 200)}`);
  }
}

async function phase(p) {
  const stats = { ms: [], cart: [], lines: [], checkout: [] };
  const start = now();
  const end = start + DURATION_S * 1000;
  let net = 0;
  const guarded = async () => {
    try {
      await purchase(stats);
    } catch (e) {
      net++;
      if (unexpected.length < 50) unexpected.push(`network: ${e.message}`);
    }
  };
  if (p.kind === 'buyers') {
    await Promise.all(Array.from({ length: p.n }, async () => {
      while (now() < end) await guarded();
    }));
  } else {
    const inflight = new Set();
    let started = 0, skipped = 0;
    while (now() < end) {
      const due = Math.floor(((now() - start) / 1000) * p.n);
      while (started < due) {
        started++;
        if (inflight.size >= MAX_INFLIGHT) { skipped++; continue; }
        const t = guarded().finally(() => inflight.delete(t));
        inflight.add(t);
      }
      await new Promise((res) => setTimeout(res, 1));
    }
    await Promise.all(inflight);
    if (skipped) log(`${p.name}: ${skipped} purchases not started (${MAX_INFLIGHT} already in flight)`);
  }
  const elapsed = (now() - start) / 1000;
  for (const k of Object.keys(stats)) stats[k].sort((a, b) => a - b);
  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
  const rate = stats.ms.length / elapsed;
  console.log(`${p.name.padEnd(11)} ${rate.toFixed(0).padStart(6)} purchases/s  per purchase p50 ${f(pct(stats.ms, 50))} ms  ` +
    `p99 ${f(pct(stats.ms, 99))} ms  | p99 per step: cart ${f(pct(stats.cart, 99))}, line ${f(pct(stats.lines, 99))}, ` +
    `checkout ${f(pct(stats.checkout, 99))} ms${net ? `  network errors ${net}` : ''}`);
  console.log(`PHASE ${p.name} purchases_per_s=${rate.toFixed(1)} p50_ms=${f(pct(stats.ms, 50))} p99_ms=${f(pct(stats.ms, 99))}`);
}

console.log(`Whole purchases (create cart, 1-3 lines, checkout with the test card), ${DURATION_S} s per phase:`);
for (const p of PHASES) await phase(p);

// ---------------------------------------------------------------- 3. integrity
const problems = [];
const orders = [];
for (let cursor = null; ;) {
  const q = new URLSearchParams({ limit: '100', q: `bp-${uniq}` });
  if (cursor) q.set('cursor', cursor);
  const b = await must(200, 'GET', `/api/v1/orders?${q}`, { admin: true });
  orders.push(...b.data);
  cursor = b.next_cursor;
  if (!cursor) break;
}
const ids = new Set(orders.map((o) => o.id));
const announced = new Set(answered);
if (ids.size !== orders.length) problems.push(`${orders.length - ids.size} orders listed twice`);
if (announced.size !== answered.length) problems.push(`${answered.length - announced.size} duplicate ids among the 201s`);
const lost = [...announced].filter((id) => !ids.has(id));
const extra = [...ids].filter((id) => !announced.has(id));
if (lost.length) problems.push(`${lost.length} orders answered 201 but not listed (lost)`);
if (extra.length) problems.push(`${extra.length} orders listed that no 201 announced`);
const perEmail = {};
for (const o of orders) perEmail[o.email] = (perEmail[o.email] || 0) + 1;
if (Object.values(perEmail).some((n) => n > 1)) problems.push('an Idempotency-Key has two orders');
const sold = new Map(variants.map((v) => [v, 0]));
for (const o of orders) if (o.state === 'paid') for (const l of o.lines) if (sold.has(l.variant_id)) sold.set(l.variant_id, sold.get(l.variant_id) + l.quantity);
let scarceLeft = null;
for (const v of variants) {
  const s = await must(200, 'GET', `/api/v1/variants/${v}/stock`, { admin: true });
  if (initial.get(v) - s.on_hand !== sold.get(v)) problems.push(`${v}: on_hand fell by ${initial.get(v) - s.on_hand}, paid orders hold ${sold.get(v)}`);
  if (s.reserved !== 0) problems.push(`${v}: ${s.reserved} still reserved`);
  if (v === scarce) scarceLeft = s.available;
}
if (sold.get(scarce) > SCARCE) problems.push(`scarce variant OVERSOLD: ${sold.get(scarce)} of ${SCARCE}`);
const oos = statuses['409 OUT_OF_STOCK'] || 0;
if (oos > 0 && scarceLeft !== 0) problems.push(`${oos} OUT_OF_STOCK while the scarce variant still had ${scarceLeft}`);
console.log(`Integrity: ${orders.length} orders listed, ${answered.length} 201s, lost ${lost.length}, unannounced ${extra.length}; ` +
  `scarce ${sold.get(scarce)} sold of ${SCARCE} (${oos} OUT_OF_STOCK), oversold ${Math.max(0, sold.get(scarce) - SCARCE)}: ` +
  `${problems.length ? 'FAIL' : 'PASS'}`);
for (const u of unexpected.slice(0, 20)) log(`unexpected: ${u}`);
for (const p of problems) log(`INTEGRITY: ${p}`);
close();
process.exit(problems.length || unexpected.length ? 2 : 0);
