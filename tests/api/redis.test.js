// Two nodes sharing Redis (SOUK_REDIS; docs/deploy.md, docs/internals/redis.md): on the
// PostgreSQL database of SOUK_TEST_HTTP_PG when it is set, else on one SQLite file both
// processes open. A private redis-server (scripts/redis-test.sh) on a loopback port, no
// persistence; the lane is skipped when redis-server is not installed.
//
// The nodes look for each other's commits only every 10 s (SOUK_WATCH_MS=10000), so what
// reaches node B within a second came through Redis, not through the database watcher.
//
//  - a session signed out on A is refused on B within 1 s (B had its verification cached);
//  - a product renamed through A: B's cached detail shows the new title within 1 s;
//  - a rate limit holds across the nodes: 40 anonymous requests, alternately on A and B,
//    against a budget of 20 a minute: about 20 let through in all, not 20 on each (after
//    the anonymous requests above: this spends the budget);
//  - Redis stopped mid-run: both nodes keep answering (their own buckets, souk_redis_up 0,
//    errors counted in /metrics), and when Redis is back they use it again (souk_redis_up 1,
//    shared budget and broadcasts again).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { sleep, within, metric } from './lib/util.js';
import { register } from './lib/auth_util.js';
import { must, admin, warehouse, stockedProduct } from './lib/checkout_util.js';

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/redis-test.sh');
const HAVE_REDIS = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).status === 0;
const SKIP = HAVE_REDIS ? false : 'redis-server is not installed (apt-get install redis-server; scripts/deps.sh does)';

function redis(cmd, dir, port) {
  const r = spawnSync('bash', [SCRIPT, cmd, dir, ...(port ? [String(port)] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`redis-test.sh ${cmd}: ${r.stderr}`);
  return r.stdout.trim();
}



/** 40 anonymous product lists, alternately on A and B, one at a time: how many were let through. */
async function spend(n, count = 40) {
  let ok = 0;
  let refused = 0;
  let left = null; // what the first answer says was left of the budget before it
  for (let i = 0; i < count; i++) {
    const r = await fetch(`${(i % 2 ? n.b : n.a).url}/api/v1/products?limit=1`);
    await r.arrayBuffer();
    if (left === null) left = Number(r.headers.get('ratelimit-remaining')) + (r.status === 200 ? 1 : 0);
    if (r.status === 200) ok++;
    else if (r.status === 429) refused++;
    else assert.fail(`unexpected ${r.status}`);
  }
  return { ok, refused, left };
}

describe('two nodes with Redis', { skip: SKIP }, () => {
  let dir;
  let url;
  let port;
  let n;
  const env = () => ({
    SOUK_REDIS: url,
    SOUK_REDIS_TIMEOUT_MS: '500',
    SOUK_WATCH_MS: '10000',
    SOUK_RATE_LIMIT_IP: '20',
  });

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'souk-redis-'));
    url = redis('start', dir);
    port = Number(url.slice(url.lastIndexOf(':') + 1));
    const a = await startServer({ env: env() });
    let b;
    try {
      b = await startServer({ env: env(), dir: a.dir, adminKey: a.adminKey, keepDir: true });
    } catch (e) {
      await a.stop();
      throw e;
    }
    n = { a, b };
    for (const srv of [a, b]) {
      const ms = await within(5000, async () => (await metric(srv, 'souk_redis_up')) === 1);
      assert.notEqual(ms, null, 'each node reports Redis up');
    }
  });
  after(async () => {
    let codes = [];
    if (n) codes = [await n.b.stop(), await n.a.stop()];
    if (dir) redis('stop', dir);
    // a clean exit: the Redis threads stopped, nothing leaked (under the sanitizers, a leak is exit 23)
    assert.deepEqual(codes, [0, 0], `exit codes\nA: ${n?.a.stderr.slice(-3000)}\nB: ${n?.b.stderr.slice(-3000)}`);
  });

  it('a session signed out on node A is refused on node B within 1 s', async () => {
    const u = await register(n.a);
    for (let i = 0; i < 4; i++) await must(await api(n.b, 'GET', '/api/v1/users/me', { key: u.access }), 200); // remembered by B now
    const received = await metric(n.b, 'souk_redis_messages_total{direction="received"}');
    const out = await api(n.a, 'POST', '/api/v1/auth/logout', { key: u.access });
    assert.equal(out.status, 204, out.text);
    const ms = await within(1000, async () => (await api(n.b, 'GET', '/api/v1/users/me', { key: u.access })).status === 401);
    assert.notEqual(ms, null, 'B refuses the signed-out session within 1 s');
    assert.ok((await metric(n.b, 'souk_redis_messages_total{direction="received"}')) > received, 'through a broadcast');
    console.log(`node B refused the revoked session after ${ms} ms`);
  });

  it('a product renamed through node A: node B\'s cached detail follows within 1 s', async () => {
    const wh = await warehouse(n.a, 'redis');
    const p = await stockedProduct(n.a, wh, { stock: 3, title: 'Broadcast lamp' });
    const path1 = `/api/v1/products/${p.id}`;
    assert.equal((await must(await api(n.b, 'GET', path1), 200)).title, p.title);
    const hits = await metric(n.b, 'souk_cache_requests_total{result="hit"}');
    const cached = await api(n.b, 'GET', path1); // B answers from its response cache now
    assert.equal(cached.body.title, p.title);
    assert.equal(await metric(n.b, 'souk_cache_requests_total{result="hit"}'), hits + 1, 'a cache hit on B');
    const received = await metric(n.b, 'souk_redis_messages_total{direction="received"}');
    await must(await admin(n.a, 'PATCH', path1, { title: 'Broadcast lamp, renamed' }), 200);
    const ms = await within(1000, async () => (await api(n.b, 'GET', path1)).body?.title === 'Broadcast lamp, renamed');
    assert.notEqual(ms, null, 'B serves the new title within 1 s');
    assert.ok((await metric(n.b, 'souk_redis_messages_total{direction="received"}')) > received, 'through a broadcast');
    console.log(`node B served the new title after ${ms} ms`);
  });

  it('a rate limit holds across both nodes: one budget of 20, not 20 on each', async () => {
    const { ok, refused, left } = await spend(n);
    // what was left of the one budget (the tests above spent a little of it) and no more;
    // the bucket refills 20 a minute: the second or two this takes may add one
    assert.ok(left >= 10 && left <= 20, `left of the budget at first: ${left}`);
    assert.ok(ok >= left && ok <= left + 2, `let through ${ok} of 40 with ${left} left (refused ${refused})`);
    assert.equal(ok + refused, 40);
  });

  it('Redis stopped mid-run: both nodes keep answering, degraded and counted; they use it again once it is back', async () => {
    const errorsBefore = await metric(n.a, 'souk_redis_errors_total');
    redis('halt', dir);
    // every request is answered; the limit falls back to each node's own bucket
    for (let i = 0; i < 10; i++) {
      for (const srv of [n.a, n.b]) {
        const r = await api(srv, 'GET', '/api/v1/products?limit=1', { key: true });
        assert.equal(r.status, 200, r.text);
      }
    }
    for (const srv of [n.a, n.b]) {
      const ms = await within(3000, async () => (await metric(srv, 'souk_redis_up')) === 0);
      assert.notEqual(ms, null, 'the node reports Redis down');
    }
    assert.ok((await metric(n.a, 'souk_redis_errors_total')) > errorsBefore, 'the failures are counted');
    // the shared budget was spent above; each node's own bucket stands in for it now
    for (const srv of [n.a, n.b]) {
      const anon = await fetch(`${srv.url}/api/v1/products?limit=1`);
      await anon.arrayBuffer();
      assert.equal(anon.status, 200, 'an anonymous request is let through by the node\'s own bucket');
    }
    const r = await fetch(`${n.a.url}/readyz`);
    assert.equal(r.status, 200, 'still ready: Redis is optional');

    redis('start', dir, port); // an empty Redis again on the same port
    for (const srv of [n.a, n.b]) {
      const ms = await within(8000, async () => (await metric(srv, 'souk_redis_up')) === 1);
      assert.notEqual(ms, null, 'the node reconnects');
    }
    // broadcasting again: a sign-out on A reaches B within a second (checked before the
    // anonymous budget is spent: a refused credential counts as anonymous, and would be 429)
    const u = await register(n.a);
    await must(await api(n.b, 'GET', '/api/v1/users/me', { key: u.access }), 200);
    assert.equal((await api(n.a, 'POST', '/api/v1/auth/logout', { key: u.access })).status, 204);
    const ms = await within(1000, async () => (await api(n.b, 'GET', '/api/v1/users/me', { key: u.access })).status === 401);
    const dump = async (srv) => (await (await fetch(`${srv.url}/metrics`)).text()).split('\n').filter((l) => /^souk_redis/.test(l)).join(' ');
    assert.notEqual(ms, null, `B refuses the signed-out session within 1 s after Redis came back\nA: ${await dump(n.a)}\nB: ${await dump(n.b)}`);
    // and the limit is shared again: a fresh budget of 20 across both
    const { ok, left } = await spend(n);
    assert.ok(left >= 15, `an empty Redis: a fresh budget (less the refused sign-out's tries): ${left}`);
    assert.ok(ok >= left && ok <= left + 2, `let through ${ok} of 40 with ${left} left after Redis came back`);
  });
});

describe('Redis configured but not there at start', () => {
  let srv;
  before(async () => {
    // a loopback port nothing listens on: connecting is refused at once
    srv = await startServer({ env: { SOUK_REDIS: 'redis://127.0.0.1:1/0', SOUK_RATE_LIMIT_IP: '5' } });
  });
  after(async () => {
    const code = srv ? await srv.stop() : 0;
    assert.equal(code, 0, `a clean exit while still reconnecting\n${srv?.stderr.slice(-3000)}`);
  });

  it('serves, degraded: its own rate limit, souk_redis_up 0, the failures counted, logged once', async () => {
    const codes = [];
    for (let i = 0; i < 7; i++) {
      const r = await fetch(`${srv.url}/api/v1/products?limit=1`);
      await r.arrayBuffer();
      codes.push(r.status);
    }
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429], 'the in-process bucket of 5 holds');
    assert.equal(await metric(srv, 'souk_redis_up'), 0);
    const ms = await within(3000, async () => (await metric(srv, 'souk_redis_errors_total')) >= 3);
    assert.notEqual(ms, null, 'every reconnect attempt that fails is counted');
    assert.equal(await metric(srv, 'souk_redis_state_changes_total'), 0, 'never up: no change of state');
    const lines = srv.stderr.split('\n').filter((l) => l.includes('redis unavailable'));
    assert.equal(lines.length, 1, `one warning, however many attempts:\n${lines.join('\n')}`);
    assert.match(lines[0], /Connection refused/);
    assert.equal((await fetch(`${srv.url}/readyz`)).status, 200);
  });
});
