// Several nodes on one PostgreSQL database (issue 14; docs/deploy.md "Several nodes",
// docs/adr/0007-several-nodes.md). PostgreSQL only: a SQLite file is one machine's.
//
//  - the audit chain under concurrent appends from two processes, with group commit off (every
//    request its own transactions) and on: no request fails, `souk audit verify` passes;
//  - a change written through node A shows on node B within a second: product detail (its
//    cached answer) and search;
//  - a checkout race across both nodes: 120 guests for 30 units, exactly 30 orders, nothing
//    oversold or left reserved, and each node's analytics facts count all 30 within a second;
//  - one Idempotency-Key retried 40 times, alternately on each node: one order.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runSouk } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token, sleep, within } from './lib/util.js';
import { must, admin, warehouse, stockedProduct, stockOf, guestCart, checkoutBody, checkout, allOrders } from './lib/checkout_util.js';

const PG = process.env.SOUK_TEST_HTTP_PG || '';
const SKIP = PG ? false : 'PostgreSQL only (SOUK_TEST_HTTP_PG): several nodes share a database server, not a SQLite file';

const countBy = (xs, f) => xs.reduce((m, x) => { const k = f(x); m[k] = (m[k] || 0) + 1; return m; }, {});
const tally = (rs) => countBy(rs, (r) => (r.status >= 400 ? `${r.status} ${r.body?.error?.code}` : String(r.status)));

/** Node A on a fresh database, node B serving the same one. */
async function twoNodes(env = {}) {
  const a = await startServer({ env });
  let b;
  try {
    b = await startServer({ env, dir: a.dir, adminKey: a.adminKey, keepDir: true });
  } catch (e) {
    await a.stop();
    throw e;
  }
  return { a, b, stop: async () => { await b.stop(); await a.stop(); } };
}

async function auditVerify(srv) {
  const r = await runSouk(['audit', 'verify', '--db', srv.dbPath]);
  assert.equal(r.code, 0, `souk audit verify: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}


for (const groupCommit of ['0', '1']) {
  describe(`two nodes, SOUK_GROUP_COMMIT=${groupCommit}: concurrent writers on the audit chain`, { skip: SKIP }, () => {
    let n;
    before(async () => { n = await twoNodes({ SOUK_GROUP_COMMIT: groupCommit }); });
    after(async () => { if (n) await n.stop(); });

    it('160 guest carts made at once through both nodes: every request answered 201/200, the chain verifies', async () => {
      const wh = await warehouse(n.a, 'chain');
      const p = await stockedProduct(n.a, wh, { stock: 1000 });
      const v = p.variants[0].id;
      const one = async (srv) => {
        const c = await api(srv, 'POST', '/api/v1/carts', {});
        if (c.status !== 201) return c;
        return api(srv, 'POST', '/api/v1/carts/current/lines', { headers: { 'X-Cart-Token': c.body.cart_token }, body: { variant_id: v, quantity: 1 } });
      };
      const rs = await Promise.all(Array.from({ length: 160 }, (_, i) => one(i % 2 ? n.b : n.a)));
      assert.deepEqual(tally(rs), { 200: 160 }, 'no request failed');
      const out = await auditVerify(n.a);
      const m = /(\d+) entries/.exec(out);
      if (m) assert.ok(Number(m[1]) >= 320, `at least the 320 writes are in the chain: ${out}`);
    });
  });
}

describe('two nodes: a change through A shows on B within a second', { skip: SKIP }, () => {
  let n;
  before(async () => { n = await twoNodes(); });
  after(async () => { if (n) await n.stop(); });

  it('product detail (a cached answer on B) and search follow a title change made on A', async () => {
    const wh = await warehouse(n.a, 'follow');
    const p = await stockedProduct(n.a, wh, { stock: 5, title: 'Follower lamp' });
    // B answers (and caches) the old detail first
    const before = await must(await api(n.b, 'GET', `/api/v1/products/${p.id}`), 200);
    assert.equal(before.title, p.title);
    await must(await api(n.b, 'GET', `/api/v1/products/${p.id}`), 200);
    const word = `zq${token().toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 16);
    const title = `Renamed ${word}`;
    await must(await admin(n.a, 'PATCH', `/api/v1/products/${p.id}`, { title }), 200);
    const detailMs = await within(1000, async () => (await api(n.b, 'GET', `/api/v1/products/${p.id}`)).body?.title === title);
    assert.notEqual(detailMs, null, 'B serves the new title within 1 s');
    const searchMs = await within(1000, async () => {
      const r = await api(n.b, 'GET', `/api/v1/search?q=${word}`);
      return r.status === 200 && (r.body.data || []).some((hit) => (hit.id || hit.product?.id) === p.id);
    });
    assert.notEqual(searchMs, null, 'B finds the product by its new word within 1 s');
    console.log(`node B followed node A: product detail after ${detailMs} ms, search after ${searchMs} ms`);
  });
});

describe('two nodes: a checkout race and an idempotency key across both', { skip: SKIP }, () => {
  let n;
  before(async () => { n = await twoNodes(); });
  after(async () => { if (n) await n.stop(); });

  it('120 guests for 30 units, half on each node: exactly 30 orders, nothing oversold, nothing left reserved', async () => {
    const wh = await warehouse(n.a, 'race2');
    const p = await stockedProduct(n.a, wh, { stock: 30, price: 1999 });
    const v = p.variants[0].id;
    const tag = `race2${token()}`;
    const carts = [];
    for (let i = 0; i < 120; i += 20) {
      carts.push(...await Promise.all(Array.from({ length: 20 }, (_, k) => guestCart((i + k) % 2 ? n.b : n.a, [[v, 1]]))));
    }
    const rs = await Promise.all(carts.map((tok, i) =>
      checkout(i % 2 ? n.a : n.b, tok, `${tag}-${i}`, checkoutBody(`${tag}-${i}@example.com`))));
    assert.deepEqual(tally(rs), { 201: 30, '409 OUT_OF_STOCK': 90 });
    for (const r of rs) if (r.status !== 201) expectError(r, 409, 'OUT_OF_STOCK', 'lines[0]');
    const s = await stockOf(n.b, v);
    assert.deepEqual([s.on_hand, s.reserved, s.available], [0, 0, 0], JSON.stringify(s));
    const mine = (await allOrders(n.b, { q: tag })).filter((o) => o.lines.some((l) => l.variant_id === v));
    assert.equal(mine.length, 30);
    assert.deepEqual(new Set(mine.map((o) => o.id)), new Set(rs.filter((r) => r.status === 201).map((r) => r.body.id)));
    // each node's analytics facts follow the outbox with a subscriber of its own: both count all 30
    for (const [name, srv] of [['A', n.a], ['B', n.b]]) {
      const ms = await within(1000, async () => {
        const r = await admin(srv, 'GET', '/api/v1/admin/analytics/kpis?currency=USD');
        return r.status === 200 && r.body.current.orders === 30;
      });
      assert.notEqual(ms, null, `node ${name}'s KPIs count the 30 orders within 1 s`);
    }
  });

  it('one Idempotency-Key, 40 checkouts alternating between the nodes: one order, every 201 the same', async () => {
    const wh = await warehouse(n.a, 'storm2');
    const p = await stockedProduct(n.a, wh, { stock: 10, price: 1250 });
    const v = p.variants[0].id;
    const tok = await guestCart(n.a, [[v, 2]]);
    const email = `storm2-${token()}@example.com`;
    const key = `storm2-${token()}`;
    const body = checkoutBody(email);
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => checkout(i % 2 ? n.b : n.a, tok, key, body)));
    const ok = rs.filter((r) => r.status === 201);
    assert.ok(ok.length >= 1, JSON.stringify(tally(rs)));
    for (const r of rs) if (r.status !== 201) expectError(r, 409, 'CONFLICT');
    for (const r of ok) assert.equal(r.text, ok[0].text, 'every 201 is the same answer, byte for byte');
    const again = await must(await checkout(n.b, tok, key, body), 201);
    assert.equal(again.id, ok[0].body.id);
    const mine = (await allOrders(n.a)).filter((o) => o.email === email);
    assert.deepEqual(mine.map((o) => o.id), [ok[0].body.id]);
    const s = await stockOf(n.a, v);
    assert.deepEqual([s.on_hand, s.reserved], [8, 0], JSON.stringify(s));
    await auditVerify(n.a);
  });
});
