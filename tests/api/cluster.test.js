// Three nodes behind nginx on PostgreSQL + Redis (issue 14, docs/deploy.md "Checking a deployment").
// PostgreSQL only, like multinode.test.js; skipped, saying why, without nginx or redis-server.
//
// The cluster: a private PostgreSQL (scripts/pg-test.sh in this file's temporary directory, not
// the SOUK_TEST_HTTP_PG server the other files share: this file restarts it), a private Redis
// (scripts/redis-test.sh), three `souk serve` on loopback ports, and a private nginx (`nginx -p
// DIR -c DIR/nginx.conf`, `daemon off`, its own pid file and logs) in front: one upstream of the
// three ports, round robin, nothing sticky, the proxy headers of deploy/nginx-souk.conf. The nodes
// run SOUK_TRUSTED_PROXIES=127.0.0.1/32, so the rate limits see the client's address from
// X-Forwarded-For (nginx appends to what the client sent: each simulated shopper here sends its
// own address, and the test itself, reading nodes directly, does too).
//
// nginx's proxy_next_upstream is left at "error timeout" without `non_idempotent`: a POST that
// reached a node is never sent to a second one (nginx answers 502 instead), so a node killed
// mid-checkout cannot make nginx place an order twice; the client retries with its Idempotency-Key.
//
// Cases, in order (the last three change the cluster for what follows):
//  - 200 guests race for 50 units through nginx: exactly 50 orders, nothing oversold or reserved;
//  - 50 retries of one Idempotency-Key through nginx: one order, every 201 the same bytes;
//  - a rate limit holds across the nodes: 40 requests from one address over the three nodes
//    against a budget of 20 a minute let about 20 through, not 60;
//  - a session signed out on node A is refused on B and C within 1 s (the nodes addressed directly);
//  - a price changed through node A shows in search and product detail on B and C within 1 s;
//  - SIGKILL of node C under a checkout load through nginx: every acknowledged (201) order exists
//    exactly once, a checkout re-sent with its key never makes a second order, nothing oversold;
//    a job C had claimed (the test-only kind test.hold, SOUK_TEST_JOBS=1) is run again by A or B
//    once its lease (SOUK_JOB_LEASE_S=4 here) ran out, exactly once, to completion;
//  - Redis stopped: the service goes on through nginx (degraded: souk_redis_up 0, /readyz 200);
//  - PostgreSQL restarted: meanwhile requests get 503 with the standard error body within a bound
//    (never a 500, never a hang), and afterwards succeed again without restarting souk.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, expectError } from './lib/client.js';
import { token, sleep, within, metric } from './lib/util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCRIPTS = path.resolve(here, '../../scripts');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
const SKIP = !process.env.SOUK_TEST_HTTP_PG
  ? 'PostgreSQL only (SOUK_TEST_HTTP_PG): several nodes share a database server, not a SQLite file'
  : !have('nginx') ? 'nginx is not installed (apt-get install nginx-light; scripts/deps.sh does)'
    : !have('redis-server') ? 'redis-server is not installed (apt-get install redis-server; scripts/deps.sh does)'
      : false;

const dir = SKIP ? null : mkdtempSync(path.join(tmpdir(), 'souk-cluster-'));
if (dir) chmodSync(dir, 0o755); // nginx's workers run as nobody when the test runs as root

function script(name, args) {
  const r = spawnSync('bash', [path.join(SCRIPTS, name), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

// The private PostgreSQL first: lib/server.js reads SOUK_TEST_HTTP_PG when it is imported.
let pgDsn = null;
if (!SKIP) {
  pgDsn = script('pg-test.sh', ['start', path.join(dir, 'pg')]);
  process.env.SOUK_TEST_HTTP_PG = pgDsn;
}
const { startServer } = await import('./lib/server.js');
const { must, admin, warehouse, stockedProduct, stockOf, allOrders, allJobs } = await import('./lib/checkout_util.js');

const countBy = (xs, f) => xs.reduce((m, x) => { const k = f(x); m[k] = (m[k] || 0) + 1; return m; }, {});
const tally = (rs) => countBy(rs, (r) => (r.status >= 400 ? `${r.status} ${r.body?.error?.code ?? ''}`.trim() : String(r.status)));

let addr = 0;
/** A fresh client address (TEST-NET-2/3 and 10/8), as X-Forwarded-For: a shopper of its own. */
const shopper = () => { addr++; return { 'X-Forwarded-For': `10.${(addr >> 16) & 255}.${(addr >> 8) & 255}.${addr & 255}` }; };



function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** nginx in DIR/nginx in front of PORTS; resolves {url, stop(), log()} once it answers. */
async function startNginx(ports) {
  const prefix = path.join(dir, 'nginx');
  for (const d of ['', 'logs', 'tmp']) mkdirSync(path.join(prefix, d), { recursive: true });
  chmodSync(path.join(prefix, 'tmp'), 0o777);
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const conf = path.join(prefix, 'nginx.conf');
    writeFileSync(conf, `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
    log_format upstream '$http_x_forwarded_for $upstream_addr $status';
    access_log ${prefix}/logs/access.log upstream;
    client_body_temp_path ${prefix}/tmp/body;
    proxy_temp_path ${prefix}/tmp/proxy;
    fastcgi_temp_path ${prefix}/tmp/fastcgi;
    uwsgi_temp_path ${prefix}/tmp/uwsgi;
    scgi_temp_path ${prefix}/tmp/scgi;
    upstream souk_nodes {
${ports.map((p) => `        server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`).join('\n')}
        keepalive 32;
    }
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_pass http://souk_nodes;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # the default, said out loud: only a request that never reached a node goes to
            # another; a POST that did is answered 502, never placed twice (no non_idempotent)
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_read_timeout 30s;
        }
    }
}
`);
    const proc = spawn('nginx', ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'logs/error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    const url = `http://127.0.0.1:${port}`;
    const up = await within(5000, async () => {
      if (proc.exitCode !== null) return true;
      try { return (await fetch(`${url}/healthz`)).status === 200; } catch { return false; }
    });
    if (proc.exitCode === null && up !== null) {
      return {
        url,
        log: () => readFileSync(path.join(prefix, 'logs/access.log'), 'utf8'),
        stop: async () => { if (proc.exitCode === null) { proc.kill('SIGQUIT'); await exited; } },
      };
    }
    proc.kill('SIGKILL');
    await exited;
    if (!/Address already in use/.test(stderr + readFileSync(path.join(prefix, 'logs/error.log'), 'utf8'))) throw new Error(`nginx did not start: ${stderr}`);
  }
  throw new Error('nginx: no free port in 5 attempts');
}

/** A new guest cart through SRV holding QTY of VARIANT, as shopper H; its token, or null (the answer in .last). */
async function cartOf(srv, variant, qty, h) {
  const c = await api(srv, 'POST', '/api/v1/carts', { headers: h, body: {} });
  if (c.status !== 201) return { tok: null, last: c };
  const l = await api(srv, 'POST', '/api/v1/carts/current/lines', { headers: { ...h, 'X-Cart-Token': c.body.cart_token }, body: { variant_id: variant, quantity: qty } });
  return l.status === 200 ? { tok: c.body.cart_token } : { tok: null, last: l };
}

const ADDRESS = { name: 'Ada Buyer', line1: '1 Test Street', city: 'London', postal_code: 'N1 1AA', country: 'GB' };
const checkoutBody = (email) => ({ email, shipping_address: ADDRESS, payment_method: '4242424242424242' });
const checkout = (srv, tok, key, email, h) => api(srv, 'POST', '/api/v1/checkout', {
  headers: { ...h, 'X-Cart-Token': tok, 'Idempotency-Key': key }, body: checkoutBody(email),
});

/** A request not validated by lib/client.js: nginx's own 502 (no X-Request-Id) and a 503 while
 * PostgreSQL is down are answers the API document does not promise on every route. Bounded in time. */
async function raw(srv, method, p, { headers = {}, body } = {}) {
  const t0 = Date.now();
  const r = await fetch(srv.url + p, {
    method, headers: { ...headers, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { /* nginx's HTML */ }
  return { status: r.status, text, body: parsed, ms: Date.now() - t0 };
}

/** A new guest cart through SRV with one unit of VARIANT, unvalidated: its token or null. */
async function rawCart(srv, variant, h) {
  const c = await raw(srv, 'POST', '/api/v1/carts', { headers: h, body: {} });
  if (c.status !== 201) return null;
  const l = await raw(srv, 'POST', '/api/v1/carts/current/lines', { headers: { ...h, 'X-Cart-Token': c.body.cart_token }, body: { variant_id: variant, quantity: 1 } });
  return l.status === 200 ? c.body.cart_token : null;
}
const rawCheckout = (srv, tok, key, email, h) => raw(srv, 'POST', '/api/v1/checkout', { headers: { ...h, 'X-Cart-Token': tok, 'Idempotency-Key': key }, body: checkoutBody(email) });

const LEASE_S = 4; // SOUK_JOB_LEASE_S of the nodes (the default is 5 min)
const HOLDS = (phase) => `souk_job_test_holds_total{phase="${phase}"}`;
const holds = async (srv, phase) => (await metric(srv, HOLDS(phase))) ?? 0;

/** Queues a test.hold job (SOUK_TEST_JOBS=1: its first attempt holds its worker HOLD_MS, a later
 * one AGAIN_MS) so that NODE claims it: the OTHERS are paused (SIGSTOP) until NODE's workers have
 * started it, then resumed. The job is written into the queue directly, as souk_job_enqueue would. */
async function holdJobOn(node, others, holdMs, againMs) {
  const before = await holds(node, 'started');
  const now = BigInt(Date.now());
  const id = ((now - 1577836800000n) << 20n) | BigInt(Math.floor(Math.random() * 2 ** 20)); // core/id.h's layout
  const us = now * 1000n;
  // due an hour ago: claimed before whatever the earlier cases left queued (claims go by run_at)
  // A node stopped inside a write transaction keeps the cluster's writer lock (an advisory lock,
  // ADR 0007), and no node could claim anything: stop the others at a moment neither holds it.
  const advisoryHolders = () => spawnSync('psql', [node.dbPath, '-Atc', "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted ORDER BY pid"], { encoding: 'utf8' }).stdout.trim();
  for (let attempt = 0; ; attempt++) {
    for (const o of others) o.proc.kill('SIGSTOP');
    // a signal is delivered when the kernel gets to it: wait until each is stopped
    for (const o of others) {
      await within(5_000, async () => / T /.test(readFileSync(`/proc/${o.proc.pid}/stat`, 'utf8').replace(/^.*\)/, ')')));
    }
    const first = advisoryHolders();
    await sleep(300);
    const second = advisoryHolders();
    const stuck = first && first.split('\n').some((pid) => second.split('\n').includes(pid)); // held 300 ms: a stopped node's
    if (!stuck) break;
    for (const o of others) o.proc.kill('SIGCONT');
    assert.ok(attempt < 30, `a stopped node kept the writer lock every time (${second})`);
    await sleep(100 + Math.floor(Math.random() * 200));
  }
  let took;
  try {
    const r = spawnSync('psql', [node.dbPath, '-q', '-v', 'ON_ERROR_STOP=1', '-c',
      `INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, created_at, updated_at) VALUES (${id}, 'test.hold', '{"ms":${holdMs},"then_ms":${againMs}}', 'queued', 0, 3, ${us - 3600n * 1000000n}, ${us}, ${us})`],
    { encoding: 'utf8' });
    assert.equal(r.status, 0, `psql: ${r.stderr}`);
    took = await within(10_000, async () => (await holds(node, 'started')) > before);
  } finally {
    for (const o of others) o.proc.kill('SIGCONT');
  }
  const state = spawnSync('psql', [node.dbPath, '-Atc', `SELECT state, attempts, locked_by, last_error FROM jobs WHERE id = ${id}`], { encoding: 'utf8' }).stdout;
  assert.notEqual(took, null, `the node (pid ${node.proc.pid}; others ${others.map((o) => o.proc.pid).join(",")}) claimed the held job (${state}): ${node.logs.filter((l) => l.message !== "request").slice(-25).map((l) => `${l.timestamp} ${l.level} ${l.message}`).join("\n")}`);
}

describe('three nodes behind nginx on PostgreSQL + Redis', { skip: SKIP }, () => {
  let redisUrl;
  let nodes = [];
  let a;
  let b;
  let c;
  let lb; // nginx, as a server for lib/client.js
  let nginx;
  const env = () => ({
    SOUK_REDIS: redisUrl,
    SOUK_REDIS_TIMEOUT_MS: '500',
    SOUK_TRUSTED_PROXIES: '127.0.0.1/32',
    SOUK_TRUST_PROXY: '1',
    SOUK_RATE_LIMIT_IP: '20',
    // the SIGKILL case: a job held by the killed node comes back after a short lease
    SOUK_TEST_JOBS: '1',
    SOUK_JOB_LEASE_S: String(LEASE_S),
  });

  before(async () => {
    redisUrl = script('redis-test.sh', ['start', path.join(dir, 'redis')]);
    a = await startServer({ env: env(), keepDir: true });
    nodes = [a];
    b = await startServer({ env: env(), dir: a.dir, adminKey: a.adminKey, keepDir: true });
    nodes.push(b);
    c = await startServer({ env: env(), dir: a.dir, adminKey: a.adminKey, keepDir: true });
    nodes.push(c);
    for (const srv of nodes) {
      assert.notEqual(await within(5000, async () => (await metric(srv, 'souk_redis_up')) === 1), null, 'each node reports Redis up');
    }
    nginx = await startNginx(nodes.map((n) => n.port));
    lb = { url: nginx.url, adminKey: a.adminKey };
  });

  after(async () => {
    if (nginx) await nginx.stop();
    for (const n of nodes) await n.stop().catch(() => {});
    if (a) { try { spawnSync('psql', [`${pgDsn}/postgres`, '-q', '-c', `DROP DATABASE IF EXISTS ${a.dbPath.slice(a.dbPath.lastIndexOf('/') + 1)} WITH (FORCE)`]); } catch { /* the server goes anyway */ } }
    if (dir) {
      try { script('redis-test.sh', ['stop', path.join(dir, 'redis')]); } catch { /* gone */ }
      try { script('pg-test.sh', ['stop', path.join(dir, 'pg')]); } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('200 guests race for 50 units through nginx: exactly 50 orders, nothing oversold or left reserved', async () => {
    const wh = await warehouse(a, 'race3');
    const p = await stockedProduct(a, wh, { stock: 50, price: 1999 });
    const v = p.variants[0].id;
    const tag = `race3${token()}`.replace(/[^A-Za-z0-9]/g, '');
    const buyers = Array.from({ length: 200 }, shopper);
    const carts = [];
    for (let i = 0; i < 200; i += 25) {
      carts.push(...await Promise.all(buyers.slice(i, i + 25).map(async (h) => {
        const r = await cartOf(lb, v, 1, h);
        assert.ok(r.tok, `cart: ${r.last?.status} ${r.last?.text}`);
        return r.tok;
      })));
    }
    const rs = await Promise.all(carts.map((tok, i) => checkout(lb, tok, `${tag}-${i}`, `${tag}-${i}@example.com`, buyers[i])));
    assert.deepEqual(tally(rs), { 201: 50, '409 OUT_OF_STOCK': 150 });
    for (const r of rs) if (r.status !== 201) expectError(r, 409, 'OUT_OF_STOCK', 'lines[0]');
    const s = await stockOf(b, v);
    assert.deepEqual([s.on_hand, s.reserved, s.available], [0, 0, 0], JSON.stringify(s));
    const mine = (await allOrders(c, { q: tag })).filter((o) => o.lines.some((l) => l.variant_id === v));
    assert.equal(mine.length, 50);
    assert.deepEqual(new Set(mine.map((o) => o.id)), new Set(rs.filter((r) => r.status === 201).map((r) => r.body.id)));
    const upstreams = new Set(nginx.log().split('\n').filter((l) => /^10\./.test(l)).map((l) => l.split(' ')[1]));
    assert.equal(upstreams.size, 3, `nginx spread the shoppers over the three nodes: ${[...upstreams]}`);
  });

  it('50 retries of one Idempotency-Key through nginx: one order, every 201 the same', async () => {
    const wh = await warehouse(a, 'storm3');
    const p = await stockedProduct(a, wh, { stock: 10, price: 1250 });
    const v = p.variants[0].id;
    const h = shopper();
    const { tok } = await cartOf(lb, v, 2, h);
    assert.ok(tok);
    const email = `storm3-${token()}@example.com`;
    const key = `storm3-${token()}`;
    const rs = await Promise.all(Array.from({ length: 50 }, () => checkout(lb, tok, key, email, shopper())));
    const ok = rs.filter((r) => r.status === 201);
    assert.ok(ok.length >= 1, JSON.stringify(tally(rs)));
    for (const r of rs) if (r.status !== 201) expectError(r, 409, 'CONFLICT');
    for (const r of ok) assert.equal(r.text, ok[0].text, 'every 201 is the same answer, byte for byte');
    for (const srv of [a, b, c]) {
      const again = await must(await checkout(srv, tok, key, email, h), 201);
      assert.equal(again.id, ok[0].body.id, 'a later retry on any node gets the same order');
    }
    const mine = (await allOrders(a)).filter((o) => o.email === email);
    assert.deepEqual(mine.map((o) => o.id), [ok[0].body.id]);
    const s = await stockOf(b, v);
    assert.deepEqual([s.on_hand, s.reserved], [8, 0], JSON.stringify(s));
  });

  it('a rate limit holds across the three nodes: one budget of 20, not 20 on each', async () => {
    const h = { 'X-Forwarded-For': '198.51.100.9' };
    let ok = 0;
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      const r = await fetch(`${lb.url}/api/v1/products?limit=1`, { headers: h });
      await r.arrayBuffer();
      if (r.status === 200) ok++;
      else if (r.status === 429) refused++;
      else assert.fail(`unexpected ${r.status}`);
    }
    // the bucket refills 20 a minute: the second or two this takes may add one or two
    assert.ok(ok >= 20 && ok <= 22, `let through ${ok} of 40 (refused ${refused})`);
    assert.equal(ok + refused, 40);
    const upstreams = new Set(nginx.log().split('\n').filter((l) => l.startsWith('198.51.100.9 ')).map((l) => l.split(' ')[1]));
    assert.equal(upstreams.size, 3, `the 40 requests went to all three nodes: ${[...upstreams]}`);
  });

  it('a session signed out on node A is refused on nodes B and C within 1 s', async () => {
    const r = await api(a, 'POST', '/api/v1/auth/register', { headers: shopper(), body: { email: `rev-${token()}@example.com`.toLowerCase(), password: 'a long enough password 1' } });
    assert.equal(r.status, 201, r.text);
    const access = r.body.access_token;
    for (const srv of [b, c]) for (let i = 0; i < 3; i++) await must(await api(srv, 'GET', '/api/v1/users/me', { key: access, headers: shopper() }), 200);
    assert.equal((await api(a, 'POST', '/api/v1/auth/logout', { key: access, headers: shopper() })).status, 204);
    for (const [name, srv] of [['B', b], ['C', c]]) {
      const ms = await within(1000, async () => (await api(srv, 'GET', '/api/v1/users/me', { key: access, headers: shopper() })).status === 401);
      assert.notEqual(ms, null, `node ${name} refuses the signed-out session within 1 s`);
    }
  });

  it('a price changed through node A shows in search and product detail on nodes B and C within 1 s', async () => {
    const wh = await warehouse(a, 'price3');
    const word = `zq${token().toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 16);
    const p = await stockedProduct(a, wh, { stock: 5, price: 4000, title: `Priced ${word}` });
    const v = p.variants[0].id;
    const detailPrice = async (srv) => (await api(srv, 'GET', `/api/v1/products/${p.id}`, { headers: shopper() })).body?.variants?.[0]?.prices?.find((x) => x.currency === 'USD')?.amount;
    const searchPrice = async (srv) => {
      const r = await api(srv, 'GET', `/api/v1/search?q=${word}`, { headers: shopper() });
      return r.status === 200 ? (r.body.data || []).find((hit) => hit.id === p.id)?.price?.amount : undefined;
    };
    for (const srv of [b, c]) {
      assert.notEqual(await within(3000, async () => (await searchPrice(srv)) === 4000), null, 'the product is found at first');
      assert.equal(await detailPrice(srv), 4000);
      assert.equal(await detailPrice(srv), 4000); // a cached answer on B and C now
    }
    await must(await admin(a, 'PUT', `/api/v1/variants/${v}/prices/USD`, { amount: 3500 }), 200);
    for (const [name, srv] of [['B', b], ['C', c]]) {
      const detailMs = await within(1000, async () => (await detailPrice(srv)) === 3500);
      assert.notEqual(detailMs, null, `node ${name} shows the new price in product detail within 1 s`);
      const searchMs = await within(1000, async () => (await searchPrice(srv)) === 3500);
      assert.notEqual(searchMs, null, `node ${name} shows the new price in search within 1 s`);
    }
  });

  it('SIGKILL of node C under a checkout load through nginx: every acknowledged order exists once, nothing oversold, its claimed job re-run once after the lease', async () => {
    const INITIAL = 2000;
    const wh = await warehouse(a, 'kill3');
    const p = await stockedProduct(a, wh, { stock: INITIAL, price: 500 });
    const v = p.variants[0].id;
    const tag = `kill3${token()}`.replace(/[^A-Za-z0-9]/g, '');
    const acked = new Map(); // email -> order id of its 201
    const lost = []; // checkouts without an answer from a node: [tok, key, email, h]
    let n = 0;
    let stop = false;
    const statuses = {};
    const failures = [];
    const client = async () => {
      while (!stop) {
        const h = shopper();
        const tok = await rawCart(lb, v, h);
        if (!tok) continue; // a cart lost with the node (nginx's 502): a new one
        const i = n++;
        const key = `${tag}-${i}`;
        const email = `${tag}-${i}@example.com`;
        const r = await rawCheckout(lb, tok, key, email, h);
        statuses[r.status] = (statuses[r.status] || 0) + 1;
        if (r.status === 201) acked.set(email, r.body.id);
        else if (r.status === 502 || r.status === 504) lost.push([tok, key, email, h]); // no answer from a node
        else { failures.push(`checkout: ${r.status} ${r.text}`); stop = true; }
      }
    };
    // a job claimed by C before it dies: held far longer than this case runs, so only C's death ends it
    await holdJobOn(c, [a, b], 120_000, 500);
    const clients = Array.from({ length: 8 }, client);
    await within(10_000, async () => acked.size >= 40);
    assert.deepEqual([await holds(a, 'started'), await holds(b, 'started')], [0, 0], 'no other node took the job C holds and renews');
    const killed = await c.kill('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    const at = acked.size;
    await within(10_000, async () => acked.size >= at + 40);
    stop = true;
    await Promise.all(clients);
    assert.deepEqual(failures, [], 'every checkout answered 201, or 502 by nginx for the killed node');
    // a checkout that got no answer is re-sent with its key, through nginx (to A or B now)
    for (const [tok, key, email, h] of lost) {
      const r = await rawCheckout(lb, tok, key, email, h);
      assert.equal(r.status, 201, `re-sent checkout: ${r.text}`);
      acked.set(email, r.body.id);
    }
    const mine = (await allOrders(a, { q: tag })).filter((o) => o.lines.some((l) => l.variant_id === v));
    const byEmail = countBy(mine, (o) => o.email);
    for (const [email, id] of acked) {
      assert.equal(byEmail[email], 1, `${email}: one order`);
      assert.equal(mine.find((o) => o.email === email).id, id, `${email}: the acknowledged order`);
    }
    assert.equal(mine.length, acked.size, 'no order without an acknowledgement');
    const paid = mine.filter((o) => o.state === 'paid').length;
    const held = mine.filter((o) => o.state === 'pending_payment').length;
    const s = await stockOf(b, v);
    assert.deepEqual([s.on_hand, s.reserved], [INITIAL - paid, held], `stock after ${mine.length} orders (${JSON.stringify(statuses)}): ${JSON.stringify(s)}`);
    nodes = nodes.filter((x) => x !== c);
    // C's claimed job: run again by A or B once its lease ran out, exactly once, to completion
    const done = await within(LEASE_S * 1000 + 15_000, async () => {
      const jobs = (await allJobs(a, 'test.hold'));
      return jobs.length === 1 && jobs[0].state === 'done';
    });
    const [job] = await allJobs(a, 'test.hold');
    assert.notEqual(done, null, `the held job after C died: ${JSON.stringify(job)}`);
    assert.equal(job.attempts, 2, 'C\'s attempt, then one other node\'s');
    const runs = { started: 0, completed: 0 };
    for (const n of [a, b]) for (const phase of ['started', 'completed']) runs[phase] += await holds(n, phase);
    assert.deepEqual(runs, { started: 1, completed: 1 }, 'one node ran it again, to completion, once');
    console.log(`SIGKILL under load: ${acked.size} orders acknowledged, ${lost.length} re-sent after no answer; answers ${JSON.stringify(statuses)}; C's job re-run after its lease`);
  });

  it('Redis stopped mid-run: the service goes on through nginx, degraded', async () => {
    script('redis-test.sh', ['halt', path.join(dir, 'redis')]);
    const wh = await warehouse(a, 'noredis');
    const p = await stockedProduct(a, wh, { stock: 5, price: 700 });
    for (let i = 0; i < 10; i++) {
      await must(await api(lb, 'GET', '/api/v1/products?limit=1', { headers: shopper() }), 200);
      await must(await api(lb, 'GET', `/api/v1/products/${p.id}`, { headers: shopper() }), 200);
    }
    const h = shopper();
    const { tok } = await cartOf(lb, p.variants[0].id, 1, h);
    assert.ok(tok);
    await must(await checkout(lb, tok, `noredis-${token()}`, `noredis-${token()}@example.com`.toLowerCase(), h), 201);
    for (const srv of [a, b]) {
      assert.notEqual(await within(3000, async () => (await metric(srv, 'souk_redis_up')) === 0), null, 'the node reports Redis down');
      assert.equal((await fetch(`${srv.url}/readyz`)).status, 200, 'still ready: Redis is optional');
    }
  });

  it('PostgreSQL restarted mid-run: 503 with the standard error body meanwhile, then served again without restarting souk', async () => {
    const pgDir = path.join(dir, 'pg');
    const bin = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], { encoding: 'utf8' }).stdout.trim();
    const asOwner = (args) => (process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0], args.slice(1)]);
    const pgctl = (...args) => {
      const [cmd, argv] = asOwner([`${bin}/pg_ctl`, '-D', `${pgDir}/data`, ...args]);
      const r = spawnSync(cmd, argv, { encoding: 'utf8' });
      assert.equal(r.status, 0, `pg_ctl ${args.join(' ')}: ${r.stderr}`);
    };
    const port = pgDsn.slice(pgDsn.lastIndexOf(':') + 1);
    const wh = await warehouse(a, 'pgdown');
    const p = await stockedProduct(a, wh, { stock: 5, price: 700 });
    const hDown = shopper();
    const { tok: tokDown } = await cartOf(lb, p.variants[0].id, 1, hDown);
    assert.ok(tokDown);
    const keyDown = `pgdown-${token()}`;
    const emailDown = `pgdown-${token()}@example.com`.toLowerCase();
    pgctl('-m', 'fast', '-w', 'stop');
    // every answer within a bound, and a clean one: 503 and the standard error body; a write
    // (a new cart), a read (the product list) and a checkout, through nginx and on each node
    const tries = [
      ['POST /carts', (t) => raw(t, 'POST', '/api/v1/carts', { headers: shopper(), body: {} })],
      ['GET /products', (t) => raw(t, 'GET', '/api/v1/products?limit=3', { headers: shopper() })],
      ['POST /checkout', (t) => rawCheckout(t, tokDown, keyDown, emailDown, hDown)],
    ];
    for (let i = 0; i < 3; i++) {
      for (const [target, name] of [[lb, 'nginx'], [a, 'A'], [b, 'B']]) {
        for (const [what, go] of tries) {
          const r = await go(target);
          assert.equal(r.status, 503, `${what} on ${name} while PostgreSQL is down: ${r.status} ${r.text}`);
          assert.equal(typeof r.body?.error?.code, 'string', r.text);
          assert.equal(typeof r.body?.error?.message, 'string', r.text);
          assert.ok(r.ms < 5000, `${what} on ${name} answered within 5 s (${r.ms} ms)`);
        }
      }
    }
    pgctl('-w', '-t', '30', '-l', `${pgDir}/server.log`, '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${pgDir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`, 'start');
    for (const [target, name] of [[lb, 'nginx'], [a, 'A'], [b, 'B']]) {
      const ms = await within(10_000, async () => (await raw(target, 'POST', '/api/v1/carts', { headers: shopper(), body: {} })).status === 201);
      assert.notEqual(ms, null, `${name} serves writes again after PostgreSQL came back`);
    }
    // the checkout refused meanwhile goes through now, once, with its key
    const done = await must(await checkout(lb, tokDown, keyDown, emailDown, hDown), 201);
    assert.equal((await must(await checkout(a, tokDown, keyDown, emailDown, hDown), 201)).id, done.id);
    assert.deepEqual((await allOrders(b)).filter((o) => o.email === emailDown).map((o) => o.id), [done.id]);
    await must(await api(b, 'GET', `/api/v1/products/${p.id}`, { headers: shopper() }), 200);
  });
});
