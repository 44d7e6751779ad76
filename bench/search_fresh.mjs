// Search freshness under a stream of product updates, for bench/search_fresh.sh (node
// built-ins only).
//
//   BENCH_BASE=http://127.0.0.1:PORT BENCH_ADMIN_KEY=sk_… BENCH_IDS=ids.txt node bench/search_fresh.mjs
//
// BENCH_IDS: one numeric product id a line (active products of the served catalog). For
// BENCH_DURATION, BENCH_RATE updates a second (open loop) each rename a random product of them
// (PATCH /api/v1/products/{id}: its title gains a word never seen before); every
// BENCH_TRACK_EVERY-th update is tracked: GET /api/v1/search?q=<that word> every BENCH_POLL_MS
// from the PATCH's answer until the product is found. Freshness = the time from the answer to
// the first search that finds it.
//
// Prints:
//   FRESH updates=<n> rate=<updates/s> tracked=<n> p50_ms=<x> p99_ms=<y> max_ms=<z> lost=<n>
//   WRITE p50_ms=<x> p99_ms=<y>
// Exit status: 0 ran, 1 setup failure or an unexpected answer.
import { readFileSync } from 'node:fs';
import { client, fail, log, pct, seconds } from './lib/client.mjs';

const env = process.env;
const KEY = env.BENCH_ADMIN_KEY;
const DURATION_S = seconds(env.BENCH_DURATION || '30s');
const RATE = Number(env.BENCH_RATE || 100);
const TRACK = Number(env.BENCH_TRACK_EVERY || 5);
const POLL_MS = Number(env.BENCH_POLL_MS || 20);
const GIVE_UP_MS = 10000;
if (!KEY) fail(1, 'BENCH_ADMIN_KEY is not set');
const ids = readFileSync(env.BENCH_IDS, 'utf8').split('\n').filter(Boolean);
if (!ids.length) fail(1, 'no product ids');
const { request } = client(env.BENCH_BASE || 'http://127.0.0.1:8080', KEY, 64);

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const prodId = (n) => {
  let v = BigInt(n), s = ''; // ids pass 2^53: BigInt
  for (let i = 0; i < 13; i++, v >>= 5n) s = ALPHABET[Number(v & 31n)] + s;
  return `prod_${s}`;
};
let seed = 0x9e3779b9;
const rnd = (n) => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed % n;
};
const letters = 'bcdfghjklmnpqrstvwxz';
const word = () => 'zq' + Array.from({ length: 7 }, () => letters[rnd(letters.length)]).join('');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const fresh = [], writes = [];
let updates = 0, lost = 0, inflight = 0;
const titles = new Map();

async function track(id, w, t0) {
  const pid = prodId(id);
  for (;;) {
    const r = await request('GET', `/api/v1/search?q=${w}&limit=5`);
    if (r.status !== 200) fail(1, `search ${w} -> ${r.status}: ${r.text.slice(0, 200)}`);
    if (JSON.parse(r.text).data.some((p) => p.id === pid)) {
      fresh.push(now() - t0);
      return;
    }
    if (now() - t0 > GIVE_UP_MS) {
      lost++;
      return;
    }
    await sleep(POLL_MS);
  }
}

const busy = new Set(); // a product is renamed again only once its last rename is done (and found)
async function update(k) {
  let id = ids[rnd(ids.length)];
  for (let tries = 0; busy.has(id) && tries < 100; tries++) id = ids[rnd(ids.length)];
  if (busy.has(id)) return;
  busy.add(id);
  const w = word();
  const base = titles.get(id) || 'Bench product';
  inflight++;
  const r = await request('PATCH', `/api/v1/products/${prodId(id)}`, { body: { title: `${base} ${w}` }, admin: true });
  inflight--;
  if (r.status !== 200) fail(1, `PATCH ${prodId(id)} -> ${r.status}: ${r.text.slice(0, 200)}`);
  writes.push(r.ms);
  updates++;
  if (!titles.has(id)) titles.set(id, JSON.parse(r.text).title.replace(/ zq[a-z]+$/, ''));
  if (k % TRACK === 0) await track(id, w, now());
  busy.delete(id);
}

const pending = [];
const start = now();
for (let k = 0; now() - start < DURATION_S * 1000; k++) {
  const due = start + (k * 1000) / RATE;
  if (due > now()) await sleep(due - now());
  if (inflight > 256) { log('the server falls behind: over 256 writes in flight'); break; }
  pending.push(update(k));
}
await Promise.all(pending);
const elapsed = (now() - start) / 1000;
fresh.sort((a, b) => a - b);
writes.sort((a, b) => a - b);
console.log(`FRESH updates=${updates} rate=${(updates / elapsed).toFixed(1)} tracked=${fresh.length + lost} ` +
  `p50_ms=${pct(fresh, 50).toFixed(0)} p99_ms=${pct(fresh, 99).toFixed(0)} max_ms=${(fresh.at(-1) ?? NaN).toFixed(0)} lost=${lost}`);
console.log(`WRITE p50_ms=${pct(writes, 50).toFixed(1)} p99_ms=${pct(writes, 99).toFixed(1)}`);
process.exit(lost ? 1 : 0);
