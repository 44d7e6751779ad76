// The PostgreSQL backup procedure of docs/deploy.md ("Backup and restore"), run as written:
// pg_dump -Fc of a souk database while souk serves it, pg_restore into a fresh database, and
// souk serving the restored one (same key file): every order is there, the audit chain
// verifies, and new orders can be placed. Skipped, saying why, when pg_dump / pg_restore are
// not installed or no PostgreSQL server can be started (scripts/pg-test.sh, as tests/run.sh
// does; SOUK_TEST_PG_DSN or SOUK_TEST_HTTP_PG names a running one instead).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { souk } from './lib/souk.js';

const here = dirname(fileURLToPath(import.meta.url));
const PG_TEST = resolve(here, '../../scripts/pg-test.sh');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

let pgDir = null;
let base = process.env.SOUK_TEST_PG_DSN || process.env.SOUK_TEST_HTTP_PG || '';
let skip = !has('pg_dump') || !has('pg_restore') ? 'pg_dump / pg_restore are not installed (Debian postgresql-client)' : false;
if (!skip && !base) {
  pgDir = join(tmpdir(), `souk-pgbk-${process.pid}`); // made by pg-test.sh (owned by the server's user when root)
  const r = spawnSync(PG_TEST, ['start', pgDir], { encoding: 'utf8' });
  if (r.status === 0) base = r.stdout.trim();
  else {
    spawnSync(PG_TEST, ['stop', pgDir]);
    pgDir = null;
    skip = `no PostgreSQL server could be started (scripts/pg-test.sh: ${r.stderr.trim().split('\n').pop()})`;
  }
}

function psql(db, sql) {
  const r = spawnSync('psql', [db, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('PostgreSQL: pg_dump -Fc / pg_restore, then souk serves the restored database', { skip }, () => {
  let srv, again, lib;
  const tag = `pgbk${Date.now().toString(36)}`;
  const work = mkdtempSync(join(tmpdir(), 'souk-pgbk-work-'));
  const restored = `souk_restored_${process.pid}`;

  before(async () => {
    process.env.SOUK_TEST_HTTP_PG = base; // the test servers run on PostgreSQL (read when server.js loads)
    lib = {
      ...(await import('../api/lib/server.js')),
      ...(await import('../api/lib/checkout_util.js')),
    };
    srv = await lib.startServer({ keepDir: true });
  });
  after(async () => {
    if (again && !again.exited) await again.stop();
    if (srv && !srv.exited) await srv.stop();
    try { psql(`${base}/postgres`, `DROP DATABASE IF EXISTS ${restored} WITH (FORCE)`); } catch { /* ignore */ }
    rmSync(work, { recursive: true, force: true });
    if (pgDir) {
      spawnSync(PG_TEST, ['stop', pgDir]);
    }
  });

  async function order(s, i) {
    const tok = await lib.guestCart(s, [[lib.fx.variant, 1]]);
    return lib.must(await lib.checkout(s, tok, `${tag}-${i}`, lib.checkoutBody(`${tag}-${i}@buyers.example`)), 201);
  }

  it('dumps while serving, restores into a fresh database, and serves it', async () => {
    const wh = await lib.warehouse(srv, 'pgbk');
    const p = await lib.stockedProduct(srv, wh, { n: 1, stock: 1000, price: 900 });
    lib.fx = { variant: p.variants[0].id };
    const placed = [];
    for (let i = 0; i < 10; i++) placed.push((await order(srv, i)).id);

    // the procedure of docs/deploy.md, while the server is up
    const dump = join(work, 'souk.dump');
    let r = spawnSync('pg_dump', ['-Fc', '--no-owner', '-d', srv.dbPath, '-f', dump], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    await order(srv, 99); // the server goes on meanwhile
    await srv.stop();
    psql(`${base}/postgres`, `CREATE DATABASE ${restored} TEMPLATE template0`);
    const target = `${base}/${restored}`;
    r = spawnSync('pg_restore', ['--no-owner', '--exit-on-error', '-d', target, dump], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);

    const v = souk(['audit', 'verify', '--db', target]);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, /audit log intact: \d+ entries/);

    // serve the restored database: the same directory (its key file), the new DSN
    writeFileSync(join(srv.dir, 'pg_dsn'), target);
    again = await lib.startServer({ dir: srv.dir, adminKey: srv.adminKey });
    const orders = (await lib.allOrders(again)).filter((o) => o.email && o.email.startsWith(`${tag}-`));
    assert.deepEqual(orders.map((o) => o.id).sort(), [...placed].sort(), 'exactly the orders of the dump');
    await order(again, 100); // and it takes new ones
    assert.equal(Number(psql(target, `SELECT count(*) FROM orders WHERE email LIKE '${tag}-%'`)), 11);
  });
});
