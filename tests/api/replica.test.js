// The read replica (SOUK_DB_REPLICA, issue 14; docs/deploy.md "A read replica").
//
// PostgreSQL only: a private primary with a real streaming replica (scripts/pg-replica-test.sh
// in this file's temporary directory: pg_basebackup -R of the primary, a hot standby on another
// port), not the SOUK_TEST_HTTP_PG server the other files share, because this file stops the
// replica. One server on the primary with SOUK_DB_REPLICA naming the same database on the
// replica. What it shows:
//  - the analytics facts are built from the replica (souk_db_replica_reads_total{purpose=
//    "analytics_build"} counts it, and the log says so), and so is `souk analytics rebuild`;
//  - a paid order shows in the KPIs (the outbox adds it on the primary, as without a replica);
//  - the search analytics report is read from the replica, and the product export too, but only
//    while the replica has replayed all the primary had written (so it has the caller's edit);
//  - the replica stopped mid-run: a rebuild, the KPIs and the search report still answer, from
//    the primary, the fallbacks counted; checkouts (writes) go on, no 5xx anywhere;
//  - with a SQLite primary, SOUK_DB_REPLICA is refused at start with a message saying why
//    (this case needs no PostgreSQL).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, chmodSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { api } from './lib/client.js';
import { token, within, metric } from './lib/util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCRIPTS = path.resolve(here, '../../scripts');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
const haveServer = spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/pg_basebackup'], { encoding: 'utf8' }).status === 0;
const SKIP = !process.env.SOUK_TEST_HTTP_PG
  ? 'PostgreSQL only (SOUK_TEST_HTTP_PG): a read replica streams from a PostgreSQL primary'
  : !haveServer || !have('psql') ? 'no PostgreSQL server binaries (apt-get install postgresql)' : false;

const dir = SKIP ? null : mkdtempSync(path.join(tmpdir(), 'souk-replica-'));
if (dir) chmodSync(dir, 0o755); // the server runs as postgres when the test runs as root

function script(args) {
  const r = spawnSync('bash', [path.join(SCRIPTS, 'pg-replica-test.sh'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pg-replica-test.sh ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

// The private primary and replica first: lib/server.js reads SOUK_TEST_HTTP_PG when imported.
let primary = null;
let replica = null;
if (!SKIP) {
  [primary, replica] = script(['start', path.join(dir, 'pg')]).split('\n');
  process.env.SOUK_TEST_HTTP_PG = primary;
}
const { startServer, runSouk } = await import('./lib/server.js');
const { must, admin, warehouse, stockedProduct, guestCart, checkout, checkoutBody } = await import('./lib/checkout_util.js');

const kpis = async (srv) => must(await admin(srv, 'GET', '/api/v1/admin/analytics/kpis?currency=USD'), 200);
const series = (purpose, reason) => reason
  ? `souk_db_replica_fallbacks_total{purpose="${purpose}",reason="${reason}"}`
  : `souk_db_replica_reads_total{purpose="${purpose}"}`;
const count = async (srv, name) => (await metric(srv, name)) ?? 0;
/** Every fallback of PURPOSE, whatever the reason. */
async function fallbacks(srv, purpose) {
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  const re = new RegExp(`^souk_db_replica_fallbacks_total\\{purpose="${purpose}",reason="[a-z_]+"\\} (\\S+)$`, 'gm');
  let n = 0;
  for (const m of text.matchAll(re)) n += Number(m[1]);
  return n;
}

describe('SOUK_DB_REPLICA with a SQLite primary', () => {
  it('is refused at start, saying why', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'souk-replica-sqlite-'));
    try {
      const r = await runSouk(['serve', '--listen', '127.0.0.1:0', '--db', path.join(d, 'souk.db')],
        { env: { SOUK_DB_REPLICA: 'postgresql://souk@127.0.0.1:1/shop' }, timeoutMs: 20_000 });
      assert.notEqual(r.code, 0, 'souk serve must not start');
      assert.match(r.stderr, /SOUK_DB_REPLICA needs a PostgreSQL primary/);
      assert.match(r.stderr, /SQLite database has no streaming replica/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('a read replica for reports and analytics builds', { skip: SKIP }, () => {
  let srv;
  let variant;
  let replicaDsn;
  let orders = 0;

  /** A paid guest order of one unit, through the primary (a write); answers 201. */
  async function order() {
    const tok = await guestCart(srv, [[variant, 1]]);
    const r = await checkout(srv, tok, `replica-${token()}`, checkoutBody(`replica-${token()}@example.com`));
    assert.equal(r.status, 201, `checkout: ${JSON.stringify(r.body)}`);
    orders++;
  }

  before(async () => {
    // made on the primary first, then served again with the replica named: its database name is
    // the one lib/server.js chose (the replica has every database of the primary's cluster)
    const first = await startServer({ keepDir: true });
    await first.stop();
    const dsn = readFileSync(path.join(first.dir, 'pg_dsn'), 'utf8');
    replicaDsn = `${replica}/${dsn.slice(dsn.lastIndexOf('/') + 1)}`;
    srv = await startServer({
      dir: first.dir, adminKey: first.adminKey,
      env: { SOUK_DB_REPLICA: replicaDsn, SOUK_DB_REPLICA_MAX_LAG_MS: '30000' },
    });
    const wh = await warehouse(srv, 'replica');
    const p = await stockedProduct(srv, wh, { stock: 100, price: 1200 });
    variant = p.variants[0].id;
  });
  after(async () => {
    await srv?.stop();
    if (dir) {
      script(['stop', path.join(dir, 'pg')]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds the analytics facts from the replica', async () => {
    assert.ok(await within(20_000, async () => (await count(srv, series('analytics_build'))) >= 1),
      `no build read the replica:\n${srv.stderr.slice(-2000)}`);
    assert.equal(await metric(srv, 'souk_analytics_ready'), 1);
    assert.match(srv.stderr, /analytics: facts built in \d+ ms from the replica/);
    assert.equal(await fallbacks(srv, 'analytics_build'), 0);
    assert.ok((await metric(srv, 'souk_db_replica_lag_seconds')) >= 0);
  });

  it('a paid order shows in the KPIs, and a rebuild from the replica keeps it', async () => {
    const before0 = (await kpis(srv)).current.orders;
    await order();
    assert.ok(await within(5000, async () => (await kpis(srv)).current.orders === before0 + 1), 'the order in the KPIs');
    // `souk analytics rebuild` reads the replica too, and makes the server rebuild (from it again)
    const reads = await count(srv, series('analytics_build'));
    const r = await runSouk(['analytics', 'rebuild', '--db', srv.dbPath, '--no-predictions'], { env: { SOUK_DB_REPLICA: replicaDsn } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /read from the replica/);
    assert.match(r.stdout, new RegExp(`: ${orders} orders`));
    assert.ok(await within(10_000, async () => (await count(srv, series('analytics_build'))) > reads), 'the server rebuilt from the replica');
    assert.ok(await within(5000, async () => (await kpis(srv)).current.orders === before0 + 1), 'the order still in the KPIs');
  });

  it('reads the search analytics report from the replica', async () => {
    const reads = await count(srv, series('search_report'));
    must(await admin(srv, 'GET', '/api/v1/admin/search/analytics'), 200);
    const csv = await api(srv, 'GET', '/api/v1/admin/search/analytics?format=csv', { key: true });
    assert.equal(csv.status, 200);
    assert.equal(await count(srv, series('search_report')), reads + 2);
  });

  it('the product export reads the replica only when it has every write, the caller\'s own included', async () => {
    // a product made just now through the primary: the export shows it, from wherever it was read
    const title = `Replica lamp ${token()}`;
    const wh = await warehouse(srv, 'replica-export');
    await stockedProduct(srv, wh, { stock: 3, price: 900, title });
    const reads = await count(srv, series('products_export'));
    const behind = await count(srv, series('products_export', 'behind'));
    const r = await api(srv, 'GET', '/api/v1/admin/exports/products', { key: true });
    assert.equal(r.status, 200);
    assert.ok(r.text.includes(title), 'the export has the product made just before it');
    assert.equal((await count(srv, series('products_export'))) + (await count(srv, series('products_export', 'behind'))),
      reads + behind + 1, 'the replica served it, or it was behind and the primary did');
    // once the replica has replayed everything (at once, on loopback), it serves the export
    assert.ok(await within(10_000, async () => {
      const x = await api(srv, 'GET', '/api/v1/admin/exports/products', { key: true });
      return x.status === 200 && x.text.includes(title) && (await count(srv, series('products_export'))) > reads;
    }), 'an export served by the replica');
  });

  it('the replica stopped mid-run: reports answer from the primary (counted), writes go on', async () => {
    script(['halt', path.join(dir, 'pg')]);
    const base = (await kpis(srv)).current.orders;
    await order(); // a write: the primary's, replica or not
    assert.ok(await within(5000, async () => (await kpis(srv)).current.orders === base + 1), 'the order in the KPIs');
    // the search report falls back at once
    const before1 = await fallbacks(srv, 'search_report');
    must(await admin(srv, 'GET', '/api/v1/admin/search/analytics'), 200);
    assert.ok((await fallbacks(srv, 'search_report')) > before1, 'the search report fell back to the primary');
    const ex = await fallbacks(srv, 'products_export');
    assert.equal((await api(srv, 'GET', '/api/v1/admin/exports/products', { key: true })).status, 200);
    assert.ok((await fallbacks(srv, 'products_export')) > ex, 'the export fell back to the primary');
    // a rebuild asked for now reads the primary
    const fb = await fallbacks(srv, 'analytics_build');
    const r = await runSouk(['analytics', 'rebuild', '--db', srv.dbPath, '--no-predictions'], { env: { SOUK_DB_REPLICA: replicaDsn } });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /read from the replica/);
    assert.match(r.stdout, new RegExp(`: ${orders} orders`));
    assert.ok(await within(10_000, async () => (await fallbacks(srv, 'analytics_build')) > fb), 'the server rebuilt from the primary');
    assert.ok(await within(5000, async () => (await kpis(srv)).current.orders === base + 1), 'every order after the rebuild');
    await order();
    assert.ok(await within(5000, async () => (await kpis(srv)).current.orders === base + 2), 'orders go on being added');
    assert.match(srv.stderr, /db replica: analytics_build reads the primary instead/);
    // the replica's series pass Prometheus's linter, when it is installed
    if (!spawnSync('promtool', ['--version']).error) {
      const text = await (await fetch(`${srv.url}/metrics`)).text();
      assert.match(text, /^souk_db_replica_fallbacks_total\{/m);
      const out = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(`${out.stdout}${out.stderr}`.split('\n').filter((l) => /replica/.test(l)).join('\n'), '', 'promtool on the replica series');
    }
    // nothing answered 5xx: the access log of this server
    assert.ok(srv.logs.some((l) => Number(l.context?.status) === 200), 'the access log is there to look at');
    const fives = srv.logs.filter((l) => Number(l.context?.status) >= 500);
    assert.deepEqual(fives, [], 'no 5xx answer');
  });
});
