// No event loop waits for the write lock (issue 10): while many clients change carts, reads on
// the same server keep being answered at once. The bound is one only a stalled loop misses —
// a loop that waited for SQLite's write lock queued every read behind the writes — not a
// benchmark (bench/mixed.sh measures).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { ON_POSTGRES } from './lib/db.js';

// The writers run in a worker thread of their own: on the reader's event loop their answers
// would queue ahead of the reads, and the test would measure itself.
const WRITER_CODE = `
const { workerData, parentPort } = require('node:worker_threads');
const { url, variants, writers, until } = workerData;
async function call(method, path, headers, body) {
  const r = await fetch(url + path, { method, headers: { 'content-type': 'application/json', ...headers },
    body: body ? JSON.stringify(body) : undefined });
  await r.arrayBuffer();
  return r.status;
}
async function writer(w) {
  const r = await fetch(url + '/api/v1/carts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const cart = await r.json();
  const headers = { 'x-cart-token': cart.cart_token };
  let n = 0, bad = 0;
  while (Date.now() < until) {
    const variant = variants[(w * 7 + n) % variants.length];
    const s = n % 3 === 2 ? await call('DELETE', '/api/v1/carts/current/lines/' + variant, headers)
                          : await call('POST', '/api/v1/carts/current/lines', headers, { variant_id: variant, quantity: 1 + (n % 4) });
    if (s !== 200 && s !== 404) bad++;
    n++;
  }
  return { n, bad };
}
Promise.all(Array.from({ length: writers }, (_, w) => writer(w))).then((r) => parentPort.postMessage(r));
`;

const WRITERS = 24;
const RUN_MS = 4000;
// A sanitizer build (make san sets ASAN_OPTIONS) runs everything several times slower: the bound
// grows with it, still far below the stalls of a loop that waits for the write lock.
const BOUND_MS = process.env.ASAN_OPTIONS ? 250 : 50;

describe('reads under a load of cart writes', () => {
  let srv;
  let variants;
  before(async () => {
    srv = await startServer({ products: 40, seed: 3, env: { SOUK_THREADS: '2' } });
    const page = (await api(srv, 'GET', '/api/v1/products?limit=40')).body.data;
    variants = [];
    for (const p of page.slice(0, 20)) {
      const d = (await api(srv, 'GET', `/api/v1/products/${p.slug}`)).body;
      for (const v of d.variants) variants.push(v.id);
    }
    assert.ok(variants.length >= 10);
  });
  after(async () => { if (srv) await srv.stop(); });

  // On PostgreSQL a loop's read is a network round trip to the database server: this bound is
  // SQLite's (loops never wait for its write lock); PostgreSQL's latency belongs to bench/.
  it(`an uncached read is answered within ${BOUND_MS} ms while ${WRITERS} clients write`,
    { skip: ON_POSTGRES && 'the bound is for reads from the SQLite file' }, async () => {
    const until = Date.now() + RUN_MS;
    const worker = new Worker(WRITER_CODE, { eval: true, workerData: { url: srv.url, variants, writers: WRITERS, until } });
    const writes = new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    const times = [];
    let i = 0;
    while (Date.now() < until) {
      // a filter value no other request used: never in the response cache, so the loop reads the database
      const t0 = performance.now();
      const r = await fetch(`${srv.url}/api/v1/products?limit=5&price_min=${i++}`);
      await r.arrayBuffer();
      times.push(performance.now() - t0);
      assert.equal(r.status, 200);
      await new Promise((res) => setTimeout(res, 5));
    }
    const done = await writes;
    await worker.terminate();
    times.sort((a, b) => a - b);
    const p95 = times[Math.floor(times.length * 0.95)], p99 = times[Math.floor(times.length * 0.99)];
    const total = done.reduce((a, b) => a + b.n, 0);
    assert.equal(done.reduce((a, b) => a + b.bad, 0), 0, 'every cart write was answered 200 (or 404 for a line already gone)');
    console.log(`# ${total} cart writes, ${times.length} reads: median ${times[times.length >> 1].toFixed(1)} ms, ` +
      `p95 ${p95.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms`);
    assert.ok(total > WRITERS * 5, 'the writers kept the server busy');
    assert.ok(p99 < BOUND_MS, `99 % of the reads within ${BOUND_MS} ms (p99 ${p99.toFixed(1)} ms)`);
  });
});
