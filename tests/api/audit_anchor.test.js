// `souk audit head` and `verify --anchor`: entries cut off the end of the log pass
// a plain verify (the chain that is left is intact) but not an anchored one.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, SOUK_BIN } from './lib/server.js';
import { api } from './lib/client.js';
import { sql, dropTrigger } from './lib/db.js';

const souk = (args) => spawnSync(SOUK_BIN, args, { encoding: 'utf8' });

describe('audit log anchoring', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { if (srv) await srv.stop(); });

  it('head names the newest entry; an anchored verify catches truncation and rewrites', async () => {
    for (const name of ['Anchor One', 'Anchor Two', 'Anchor Three']) {
      const r = await api(srv, 'POST', '/api/v1/brands', { key: true, body: { name } });
      assert.equal(r.status, 201, r.text);
    }
    let head = souk(['audit', 'head', '--db', srv.dbPath]);
    assert.equal(head.status, 0, head.stderr);
    const m = head.stdout.trim().match(/^(\d+):([0-9a-f]{64})$/);
    assert.ok(m, head.stdout);
    const [anchor, seq] = [m[0], Number(m[1])];
    assert.equal(String(seq), sql(srv.dbPath, 'SELECT max(seq) FROM audit_log'));
    assert.equal(m[2], sql(srv.dbPath, `SELECT hash FROM audit_log WHERE seq = ${seq}`));

    let v = souk(['audit', 'verify', '--db', srv.dbPath, '--anchor', anchor]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^audit log intact: \d+ entries$/m);

    // cut the newest entry off behind souk's back
    sql(srv.dbPath, `${dropTrigger(srv.dbPath, 'audit_log_no_delete', 'audit_log')}; DELETE FROM audit_log WHERE seq = ${seq};`);
    v = souk(['audit', 'verify', '--db', srv.dbPath]);
    assert.equal(v.status, 0, 'without an anchor, a cut log still verifies');
    v = souk(['audit', 'verify', '--db', srv.dbPath, '--anchor', anchor]);
    assert.equal(v.status, 1);
    assert.match(v.stdout, new RegExp(`^audit log broken at entry ${seq}: the anchored entry is gone`, 'm'));

    // a wrong hash for an entry that exists is a rewrite
    head = souk(['audit', 'head', '--db', srv.dbPath]).stdout.trim();
    const forged = head.replace(/:[0-9a-f]{64}$/, ':' + '0'.repeat(64));
    v = souk(['audit', 'verify', '--db', srv.dbPath, '--anchor', forged]);
    assert.equal(v.status, 1);
    assert.match(v.stdout, /hash differs/);
    // bad anchors are usage errors
    for (const bad of ['7', 'x:y', `0:${'a'.repeat(64)}`, `3:${'A'.repeat(64)}`]) {
      assert.equal(souk(['audit', 'verify', '--db', srv.dbPath, '--anchor', bad]).status, 2, bad);
    }
  });
});

describe('GET /api/v1/admin/audit/verify', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { if (srv) await srv.stop(); });

  it('answers the chain intact with its head, then names the first rewritten entry', async () => {
    for (const name of ['Verify One', 'Verify Two', 'Verify Three']) {
      const r = await api(srv, 'POST', '/api/v1/brands', { key: true, body: { name } });
      assert.equal(r.status, 201, r.text);
    }
    let r = await api(srv, 'GET', '/api/v1/admin/audit/verify', { key: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.intact, true);
    assert.equal(r.body.first_bad, null);
    const max = Number(sql(srv.dbPath, 'SELECT max(seq) FROM audit_log'));
    assert.ok(r.body.checked >= 3 && r.body.checked <= max, `checked ${r.body.checked} of ${max}`);
    assert.ok(r.body.head.seq >= 3);
    assert.equal(r.body.head.hash, sql(srv.dbPath, `SELECT hash FROM audit_log WHERE seq = ${r.body.head.seq}`));

    // rewrite the second entry's action behind souk's back
    sql(srv.dbPath, `${dropTrigger(srv.dbPath, 'audit_log_no_update', 'audit_log')}; UPDATE audit_log SET action = 'forged' WHERE seq = 2;`);
    r = await api(srv, 'GET', '/api/v1/admin/audit/verify', { key: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.intact, false);
    assert.equal(r.body.first_bad, 2);
    assert.ok(r.body.why.length > 0);

    r = await api(srv, 'GET', '/api/v1/admin/audit/verify?full=1', { key: true });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.details[0].field, 'full');
  });
});
