// souk backup / souk restore on SQLite (docs/deploy.md "Backup and restore"; store.h):
//  - a backup taken while a server serves and takes orders is consistent: integrity_check
//    ok, every order acknowledged before the backup began is in it, the audit chain
//    verifies on the copy (souk audit verify), and its schema version is printed;
//  - restore is refused while a server serves the database, and for a truncated, a corrupt
//    or a newer backup (nothing replaced); into a stopped database it keeps the replaced one
//    as DATABASE.before-restore, and a server started on the result serves the backup's orders.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../api/lib/server.js';
import { token } from '../api/lib/util.js';
import { must, warehouse, stockedProduct, guestCart, checkoutBody, checkout, allOrders, sql } from '../api/lib/checkout_util.js';
import { souk, SOUK } from './lib/souk.js';

/** Runs souk without blocking the event loop (the writers go on meanwhile). */
function soukAsync(args) {
  return new Promise((resolve) => {
    const p = spawn(SOUK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    p.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('souk backup and restore (SQLite)', { skip: process.env.SOUK_TEST_HTTP_PG ? 'SQLite files only' : false }, () => {
  let srv;
  const fx = {};
  const acked = []; // e-mail addresses of orders whose 201 was received
  const tag = `bk${token()}`;

  async function order(i) {
    const tok = await guestCart(srv, [[fx.variant, 1]]);
    const email = `${tag}-${i}@buyers.example`;
    const r = await checkout(srv, tok, `${tag}-${i}`, checkoutBody(email));
    await must(r, 201);
    return email;
  }

  before(async () => {
    srv = await startServer({ keepDir: true });
    fx.wh = await warehouse(srv, 'bk');
    fx.p = await stockedProduct(srv, fx.wh, { n: 1, stock: 100000, price: 700 });
    fx.variant = fx.p.variants[0].id;
    for (let i = 0; i < 20; i++) acked.push(await order(i));
  });
  after(async () => {
    if (srv && !srv.exited) await srv.stop();
    if (srv) rmSync(srv.dir, { recursive: true, force: true });
  });

  it('backs up while the server serves and takes orders: a consistent, verified copy', async () => {
    const copy = join(srv.dir, 'backup.db');
    let writing = true;
    let n = 1000;
    const during = [];
    const writer = async () => {
      while (writing) during.push(await order(n++));
    };
    const writers = [writer(), writer(), writer()];
    await new Promise((r) => setTimeout(r, 300)); // the writers are under way
    const before = [...acked];
    const r = await soukAsync(['backup', '--db', srv.dbPath, copy]);
    const after = during.length;
    writing = false;
    await Promise.all(writers);
    assert.equal(r.code, 0, r.err);
    assert.ok(after > 0, 'orders were taken during the backup');
    const m = /backup written to .*: integrity ok, schema version (\d+)/.exec(r.out);
    assert.ok(m, r.out);
    assert.equal(Number(m[1]), Number(sql(srv.dbPath, 'SELECT max(version) FROM schema_migrations')));
    assert.match(r.err, /backup +100%/, 'a progress bar on stderr');
    assert.ok(!existsSync(`${copy}.tmp`), 'the temporary file was renamed');
    assert.equal(sql(copy, 'PRAGMA integrity_check'), 'ok');
    const emails = new Set(sql(copy, `SELECT email FROM orders WHERE email LIKE '${tag}-%'`).split('\n'));
    for (const e of before) assert.ok(emails.has(e), `order of ${e}, acknowledged before the backup, is in it`);
    const v = souk(['audit', 'verify', '--db', copy]);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, /audit log intact: \d+ entries/);
    fx.copy = copy;
    const self = souk(['backup', '--db', srv.dbPath, srv.dbPath]);
    assert.equal(self.code, 2, 'a backup over the live database is refused');
    assert.match(self.err, /is the database itself/);
    fx.copyOrders = Number(sql(copy, `SELECT count(*) FROM orders WHERE email LIKE '${tag}-%'`));
  });

  it('refuses to restore while a server serves the database', () => {
    const r = souk(['restore', '--db', srv.dbPath, fx.copy]);
    assert.equal(r.code, 1);
    assert.match(r.err, /refused: a souk process serves/);
    assert.ok(!existsSync(`${srv.dbPath}.before-restore`));
  });

  it('refuses a truncated, a corrupt or a newer backup, and replaces nothing', async () => {
    await srv.stop(); // keepDir: the database stays
    const size = statSync(fx.copy).size;
    const truncated = join(srv.dir, 'truncated.db');
    writeFileSync(truncated, readFileSync(fx.copy).subarray(0, Math.floor(size / 3)));
    const corrupt = join(srv.dir, 'corrupt.db');
    const bytes = Buffer.from(readFileSync(fx.copy));
    for (let off = 8192; off < bytes.length; off += 4096) bytes.fill(0xa5, off + 100, off + 400); // every page's body
    writeFileSync(corrupt, bytes);
    const garbage = join(srv.dir, 'garbage.db');
    writeFileSync(garbage, 'this is not a database at all\n'.repeat(200));
    const before = readFileSync(srv.dbPath);
    for (const bad of [truncated, corrupt, garbage]) {
      const r = souk(['restore', '--db', srv.dbPath, bad]);
      assert.equal(r.code, 1, `${bad}: ${r.out}`);
      assert.match(r.err, /refused: the backup .* does not verify/, bad);
    }
    const newer = join(srv.dir, 'newer.db');
    copyFileSync(fx.copy, newer);
    sql(newer, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99999, '99999_future.sql', 0)");
    const r = souk(['restore', '--db', srv.dbPath, newer]);
    assert.equal(r.code, 1);
    assert.match(r.err, /schema version 99999 is newer than this souk's/);
    assert.ok(readFileSync(srv.dbPath).equals(before), 'the database is untouched');
    assert.ok(!existsSync(`${srv.dbPath}.before-restore`));
  });

  it('restores into the stopped database, keeps the replaced one, and serves the backup', async () => {
    const ordersNow = Number(sql(srv.dbPath, `SELECT count(*) FROM orders WHERE email LIKE '${tag}-%'`));
    assert.ok(ordersNow > fx.copyOrders, 'orders came after the backup');
    const r = souk(['restore', '--db', srv.dbPath, fx.copy]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /restored .* schema version \d+, now \d+/);
    assert.match(r.out, /kept as .*before-restore/);
    assert.equal(Number(sql(`${srv.dbPath}.before-restore`, `SELECT count(*) FROM orders WHERE email LIKE '${tag}-%'`)), ordersNow);
    assert.equal(Number(sql(srv.dbPath, `SELECT count(*) FROM orders WHERE email LIKE '${tag}-%'`)), fx.copyOrders);
    // a second restore would overwrite the kept database: refused until it is moved away
    const again = souk(['restore', '--db', srv.dbPath, fx.copy]);
    assert.equal(again.code, 1);
    assert.match(again.err, /before-restore exists/);
    srv = await startServer({ dir: srv.dir, adminKey: srv.adminKey, keepDir: true });
    const served = (await allOrders(srv)).filter((o) => o.email && o.email.startsWith(`${tag}-`));
    assert.equal(served.length, fx.copyOrders);
    await order(5000); // and takes new ones
  });

  it('migrates a backup that lacks a migration forward', async () => {
    await srv.stop();
    // a backup without migration 0160 (what it added, dropped again): an older souk's, seen from
    // the migration's side; migrate applies every migration not recorded, also one below the
    // highest (docs/internals/store.md), so the restore brings it up to date either way
    const older = join(srv.dir, 'older.db');
    copyFileSync(fx.copy, older);
    sql(older, 'ALTER TABLE events DROP COLUMN trace_id; ALTER TABLE jobs DROP COLUMN trace_id; DELETE FROM schema_migrations WHERE version = 160');
    const latest = Number(sql(srv.dbPath, 'SELECT max(version) FROM schema_migrations'));
    const olderVersion = Number(sql(older, 'SELECT max(version) FROM schema_migrations'));
    const applied = (db) => Number(sql(db, 'SELECT count(*) FROM schema_migrations'));
    assert.equal(applied(older), applied(srv.dbPath) - 1);
    const target = join(srv.dir, 'fresh.db'); // nothing there yet: nothing to keep
    const r = souk(['restore', '--db', target, older]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`backup schema version ${olderVersion}, now ${latest} \\(1 migrations applied\\)`));
    assert.doesNotMatch(r.out, /before-restore/);
    assert.match(r.err, /no key file at .*fresh\.db\.key/, 'says the signing keys need the old key file');
    assert.equal(sql(target, "SELECT count(*) FROM pragma_table_info('jobs') WHERE name = 'trace_id'"), '1');
    assert.equal(Number(sql(target, `SELECT count(*) FROM orders WHERE email LIKE '${tag}-%'`)), fx.copyOrders);
  });

  it('on a PostgreSQL DSN, points to pg_dump / pg_restore', () => {
    for (const cmd of ['backup', 'restore']) {
      const r = souk([cmd, '--db', 'postgresql://nobody@127.0.0.1:1/none', join(srv.dir, 'x.dump')]);
      assert.equal(r.code, 1);
      assert.match(r.err, /pg_dump -Fc/);
      assert.match(r.err, /pg_restore/);
    }
  });
});
