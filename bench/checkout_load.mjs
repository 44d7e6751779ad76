// Checkout load generator for bench/checkout.sh (node built-ins only).
//
//   BENCH_BASE=http://127.0.0.1:PORT BENCH_ADMIN_KEY=sk_… node bench/checkout_load.mjs
//
// 1. Setup (not timed): a warehouse; BENCH_VARIANTS variants with BENCH_STOCK units each, plus
//    one "scarce" variant with exactly BENCH_SCARCE units that sells out during the run; then
//    BENCH_CARTS guest carts with 1–2 lines each (about 10 % of them also want the scarce one).
// 2. Checkouts: BENCH_CONNECTIONS clients, each taking carts no one else uses, POST
//    /api/v1/checkout with the test card and a unique Idempotency-Key, for BENCH_DURATION
//    (or until the carts run out) -> completed checkouts/s, p50/p99 latency.
// 3. Reference, same server, same concurrency and duration: POST /api/v1/carts (one small
//    write transaction per request) -> carts/s and the ratio checkouts/carts.
// 4. Integrity: every order (admin GET /api/v1/orders, all pages) against the 201s received:
//    no duplicates, none lost, none extra; per variant units sold (Σ paid quantities) ==
//    initial on_hand − final on_hand, reserved == 0; the scarce variant never oversold.
//
// Exit status: 0 ran (goals reported; BENCH_STRICT=1 makes a missed goal exit 1), 1 setup
// failure, 2 integrity failure or unexpected answers (anything but 201 and 409 OUT_OF_STOCK).
import { client, fail, log, pct, seconds } from './lib/client.mjs';

const env = process.env;
const KEY = env.BENCH_ADMIN_KEY;
const DURATION_S = seconds(env.BENCH_DURATION || '10s');
const CONNECTIONS = Number(env.BENCH_CONNECTIONS || 64);
const VARIANTS = Number(env.BENCH_VARIANTS || 20);
const STOCK = Number(env.BENCH_STOCK || 1_000_000);
const SCARCE = Number(env.BENCH_SCARCE || 200);
const CARTS = Number(env.BENCH_CARTS || Math.max(5000, Math.ceil(2500 * DURATION_S)));
const STRICT = env.BENCH_STRICT === '1';
const GOAL_RPS = 1000;
const CARD = '4242424242424242';

if (!KEY) fail(1, 'BENCH_ADMIN_KEY is not set');
const { request, must, close } = client(env.BENCH_BASE || 'http://127.0.0.1:8080', KEY, CONNECTIONS + 4);


/** Runs fn(i) for i in [0, n) with LIMIT in flight. */
async function forEachLimit(n, limit, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) await fn(next++);
  }));
}

const uniq = `${Date.now().toString(36)}${process.pid.toString(36)}`;

// Deterministic pseudo-random numbers (xorshift32), so runs build the same carts.
let seed = 0x9e3779b9;
const rnd = (n) => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed % n;
};

// ---------------------------------------------------------------- 1. setup
const t0 = Date.now();
const wh = await must(201, 'POST', '/api/v1/warehouses', { admin: true, body: { code: `bench-${uniq}`.slice(0, 32), name: 'Bench warehouse' } });
const product = await must(201, 'POST', '/api/v1/products', {
  admin: true,
  body: {
    title: `Bench product ${uniq}`, status: 'active',
    variants: Array.from({ length: VARIANTS + 1 }, (_, i) => ({ sku: `BENCH-${uniq}-${i}`, prices: [{ amount: 1000 + i, currency: 'USD' }] })),
  },
});
const variants = product.variants.map((v) => v.id);
const scarce = variants[VARIANTS];
const initial = new Map(variants.map((v) => [v, v === scarce ? SCARCE : STOCK]));
for (const v of variants) {
  await must(200, 'PUT', `/api/v1/variants/${v}/stock/${wh.id}`, { admin: true, body: { on_hand: initial.get(v), reason: 'bench stock' } });
}
const carts = new Array(CARTS);
await forEachLimit(CARTS, CONNECTIONS, async (i) => {
  const c = await must(201, 'POST', '/api/v1/carts', { body: {} });
  const tok = c.cart_token;
  const a = rnd(VARIANTS);
  const lines = [[variants[a], 1 + rnd(2)]];
  if (rnd(2)) lines.push([variants[(a + 1 + rnd(VARIANTS - 1)) % VARIANTS], 1]);
  if (rnd(10) === 0) lines.push([scarce, 1]);
  for (const [variant_id, quantity] of lines) {
    await must(200, 'POST', '/api/v1/carts/current/lines', { headers: { 'X-Cart-Token': tok }, body: { variant_id, quantity } });
  }
  carts[i] = { tok, lines };
});
const scarceDemand = carts.filter((c) => c.lines.some(([v]) => v === scarce)).length;
console.log(`setup: ${VARIANTS} variants x ${STOCK} units + 1 scarce variant x ${SCARCE} units; ${CARTS} guest carts ` +
  `(${scarceDemand} want the scarce one) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// ---------------------------------------------------------------- 2. checkouts
const statuses = {};
const unexpected = [];
const latOk = [];
const latAll = [];
const paidIds = [];
let nextCart = 0;
let exhausted = false;
const body = (i) => ({
  email: `bench-${uniq}-${i}@example.com`,
  shipping_address: { name: 'Bench Buyer', line1: '1 Load Street', city: 'London', postal_code: 'E1 6AN', country: 'GB' },
  payment_method: CARD,
});
const start = process.hrtime.bigint();
const deadline = start + BigInt(Math.round(DURATION_S * 1e9));
await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
  while (process.hrtime.bigint() < deadline) {
    const i = nextCart++;
    if (i >= CARTS) { exhausted = true; return; }
    let r;
    try {
      r = await request('POST', '/api/v1/checkout', { headers: { 'X-Cart-Token': carts[i].tok, 'Idempotency-Key': `bench-${uniq}-${i}` }, body: body(i) });
    } catch (e) {
      unexpected.push(`cart ${i}: ${e.message}`);
      statuses.network = (statuses.network || 0) + 1;
      continue;
    }
    latAll.push(r.ms);
    let code = '';
    if (r.status >= 400) {
      try { code = ` ${JSON.parse(r.text).error.code}`; } catch { code = ' ?'; }
    }
    const k = `${r.status}${code}`;
    statuses[k] = (statuses[k] || 0) + 1;
    if (r.status === 201) {
      latOk.push(r.ms);
      const o = JSON.parse(r.text);
      paidIds.push(o.id);
      carts[i].order = o;
      if (o.state !== 'paid') unexpected.push(`cart ${i}: order ${o.id} is ${o.state}`);
    } else if (!(r.status === 409 && code === ' OUT_OF_STOCK')) {
      if (unexpected.length < 20) unexpected.push(`cart ${i}: ${r.status} ${r.text.slice(0, 200)}`);
      else unexpected.push('…');
    }
  }
}));
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
latOk.sort((a, b) => a - b);
latAll.sort((a, b) => a - b);
const rps = paidIds.length / elapsed;

// ---------------------------------------------------------------- 3. reference: POST /carts
let cartsMade = 0;
const latCarts = [];
const cartErrors = {};
const cstart = process.hrtime.bigint();
const cdeadline = cstart + BigInt(Math.round(DURATION_S * 1e9));
await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
  while (process.hrtime.bigint() < cdeadline) {
    try {
      const r = await request('POST', '/api/v1/carts', { body: {} });
      if (r.status === 201) { cartsMade++; latCarts.push(r.ms); } else cartErrors[r.status] = (cartErrors[r.status] || 0) + 1;
    } catch (e) {
      cartErrors[e.code || 'network'] = (cartErrors[e.code || 'network'] || 0) + 1;
    }
  }
}));
const celapsed = Number(process.hrtime.bigint() - cstart) / 1e9;
latCarts.sort((a, b) => a - b);
const crps = cartsMade / celapsed;

// ---------------------------------------------------------------- 4. integrity
const problems = [];
const orders = [];
for (let cursor = null, page = 0; ; page++) {
  const q = new URLSearchParams({ limit: '100', q: `bench-${uniq}` }); // this run's orders only
  if (cursor) q.set('cursor', cursor);
  const b = await must(200, 'GET', `/api/v1/orders?${q}`, { admin: true });
  orders.push(...b.data);
  cursor = b.next_cursor;
  if (!cursor) break;
  if (page > 1_000_000) fail(1, 'order pages do not end');
}
const ids = new Set(orders.map((o) => o.id));
if (ids.size !== orders.length) problems.push(`${orders.length - ids.size} orders listed twice`);
const answered = new Set(paidIds);
if (answered.size !== paidIds.length) problems.push(`${paidIds.length - answered.size} duplicate order ids among the 201s`);
const missing = [...answered].filter((id) => !ids.has(id));
const extra = [...ids].filter((id) => !answered.has(id));
if (missing.length) problems.push(`${missing.length} orders answered 201 but not listed (lost): ${missing.slice(0, 3)}`);
if (extra.length) problems.push(`${extra.length} orders listed that no 201 announced (duplicates?): ${extra.slice(0, 3)}`);
const byEmail = {};
for (const o of orders) byEmail[o.email] = (byEmail[o.email] || 0) + 1;
const twice = Object.entries(byEmail).filter(([, n]) => n > 1);
if (twice.length) problems.push(`${twice.length} Idempotency-Keys with more than one order`);
const notPaid = orders.filter((o) => o.state !== 'paid');
if (notPaid.length) problems.push(`${notPaid.length} orders not paid: ${notPaid.slice(0, 3).map((o) => `${o.id} ${o.state}`)}`);

const sold = new Map(variants.map((v) => [v, 0]));
for (const o of orders) if (o.state === 'paid') for (const l of o.lines) if (sold.has(l.variant_id)) sold.set(l.variant_id, sold.get(l.variant_id) + l.quantity);
let unitsSold = 0;
let stockDrop = 0;
let reservedLeft = 0;
let scarceLeft = null;
for (const v of variants) {
  const s = await must(200, 'GET', `/api/v1/variants/${v}/stock`, { admin: true });
  const drop = initial.get(v) - s.on_hand;
  unitsSold += sold.get(v);
  stockDrop += drop;
  reservedLeft += s.reserved;
  if (drop !== sold.get(v)) problems.push(`${v}: on_hand fell by ${drop} but paid orders hold ${sold.get(v)}`);
  if (s.reserved !== 0) problems.push(`${v}: ${s.reserved} still reserved`);
  if (v === scarce) scarceLeft = s.available;
}
const scarceSold = sold.get(scarce);
if (scarceSold > SCARCE) problems.push(`scarce variant OVERSOLD: ${scarceSold} of ${SCARCE}`);
const oos = statuses['409 OUT_OF_STOCK'] || 0;
if (oos > 0 && scarceLeft !== 0) problems.push(`${oos} checkouts refused OUT_OF_STOCK while the scarce variant still had ${scarceLeft} available`);

// ---------------------------------------------------------------- report
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
console.log();
console.log(`Checkout (test card, ${CONNECTIONS} concurrent clients, ${elapsed.toFixed(1)} s${exhausted ? ', STOPPED EARLY: carts ran out — raise BENCH_CARTS' : ''}):`);
console.log(`  completed checkouts   ${rps.toFixed(0).padStart(8)} /s  (${paidIds.length} paid orders)  p50 ${f2(pct(latOk, 50))} ms  p99 ${f2(pct(latOk, 99))} ms`);
console.log(`  all checkout answers  ${(latAll.length / elapsed).toFixed(0).padStart(8)} /s  ${JSON.stringify(statuses)}  p50 ${f2(pct(latAll, 50))} ms  p99 ${f2(pct(latAll, 99))} ms`);
console.log(`Reference, POST /api/v1/carts (${CONNECTIONS} concurrent clients, ${celapsed.toFixed(1)} s):`);
console.log(`  carts created         ${crps.toFixed(0).padStart(8)} /s  p50 ${f2(pct(latCarts, 50))} ms  p99 ${f2(pct(latCarts, 99))} ms${Object.keys(cartErrors).length ? `  errors ${JSON.stringify(cartErrors)}` : ''}`);
console.log(`  ratio checkouts/carts ${(crps > 0 ? rps / crps : 0).toFixed(2).padStart(8)}`);
console.log('Integrity:');
console.log(`  orders listed ${orders.length}, 201s received ${paidIds.length}, lost ${missing.length}, unannounced ${extra.length}`);
console.log(`  units sold (sum of paid order lines) ${unitsSold}, on_hand drop ${stockDrop}, reserved left ${reservedLeft}`);
console.log(`  scarce variant: ${scarceSold} sold of ${SCARCE} (demand ${scarceDemand} carts), ${oos} OUT_OF_STOCK answers, oversold ${Math.max(0, scarceSold - SCARCE)}`);
const goal = rps >= GOAL_RPS;
console.log(`Goal: >= ${GOAL_RPS} checkouts/s, zero oversold, zero lost or duplicated orders: ` +
  `${goal ? 'PASS' : 'MISS'} throughput, ${problems.length ? 'FAIL' : 'PASS'} integrity`);
if (unexpected.length) {
  log(`unexpected answers (${unexpected.length}):`);
  for (const u of unexpected.slice(0, 20)) log(`  ${u}`);
}
for (const p of problems) log(`INTEGRITY: ${p}`);
close();
if (problems.length || unexpected.length || Object.keys(cartErrors).length) process.exit(2);
if (!goal && STRICT) process.exit(1);
process.exit(0);
