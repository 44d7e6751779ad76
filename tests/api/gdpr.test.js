// GDPR / CCPA (docs/auth.md): the export holds what was stored; erasure needs
// the password, ends every way in, and leaves no personal data in the
// database files; the audit log's hash chain detects tampering.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { startServer, runSouk } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { sleep } from './lib/util.js';
import { password, login, loginOk, me, decodeJwt, sqlite, distinctive } from './lib/auth_util.js';
import { warehouse, product, addLine, checkout, must } from './lib/orders_util.js';
import { dropTrigger, isPostgres } from './lib/db.js';

describe('GDPR export and erasure, audit chain', () => {
  let srv;
  // the subject of the export and erasure tests
  const subject = {};

  before(async () => {
    srv = await startServer({});
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('export holds the profile, consents with history, sessions, keys without secrets, audit entries', async () => {
    subject.email = `${distinctive('gdpr')}@${distinctive('dom')}.example.org`;
    subject.name = distinctive('Zelda');
    subject.phone = `+49 ${distinctive('').replace(/[a-f]/g, (c) => String(c.charCodeAt(0) % 10))}`;
    subject.password = password();
    subject.ua1 = distinctive('UaFirst');
    subject.ua2 = distinctive('UaSecond');
    subject.keyName = distinctive('KeyName');

    const reg = await api(srv, 'POST', '/api/v1/auth/register', {
      body: { email: subject.email, password: subject.password, name: subject.name, phone: subject.phone, marketing_opt_in: true },
      headers: { 'User-Agent': subject.ua1 },
    });
    assert.equal(reg.status, 201, reg.text);
    subject.id = reg.body.user.id;
    subject.access = reg.body.access_token;
    subject.refresh = reg.body.refresh_token;
    const s2 = await loginOk(srv, subject.email, subject.password, {}, { headers: { 'User-Agent': subject.ua2 } });
    subject.access2 = s2.access_token;
    subject.refresh2 = s2.refresh_token;

    // consents: opted in at registration, then out, then in again
    let c = await api(srv, 'GET', '/api/v1/users/me/consents', { key: subject.access });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.current.marketing, true);
    assert.equal(c.body.history.length, 1);
    c = await api(srv, 'POST', '/api/v1/users/me/consents', { key: subject.access, body: { kind: 'marketing', granted: false } });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.current.marketing, false);
    await sleep(5);
    c = await api(srv, 'POST', '/api/v1/users/me/consents', { key: subject.access, body: { kind: 'marketing', granted: true } });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.current.marketing, true);
    expectError(await api(srv, 'POST', '/api/v1/users/me/consents', { key: subject.access, body: { kind: 'telepathy', granted: true } }), 422, 'VALIDATION_ERROR', 'kind');
    expectError(await api(srv, 'POST', '/api/v1/users/me/consents', { key: subject.access, body: { kind: 'marketing' } }), 422, 'VALIDATION_ERROR', 'granted');
    const consents = c.body;
    assert.deepEqual(consents.history.map((h) => [h.kind, h.granted, h.method]),
      [['marketing', true, 'registration'], ['marketing', false, 'api'], ['marketing', true, 'api']], 'history in order, never edited');

    // a profile change, an API key (needs a role with a permission), a reset mail in the outbox
    const p = await api(srv, 'PATCH', '/api/v1/users/me', { key: subject.access, body: { name: subject.name, phone: subject.phone } });
    assert.equal(p.status, 200, p.text);
    const role = await api(srv, 'PATCH', `/api/v1/admin/users/${subject.id}`, { key: true, body: { role: 'inventory_manager' } });
    assert.equal(role.status, 200, role.text);
    const k = await api(srv, 'POST', '/api/v1/api-keys', { key: subject.access, body: { name: subject.keyName, scopes: ['analytics:read'] } });
    assert.equal(k.status, 201, k.text);
    subject.key = k.body.key;
    subject.keyId = k.body.id;
    assert.equal((await me(srv, subject.key)).status, 200);
    const pr = await api(srv, 'POST', '/api/v1/auth/password-reset', { body: { email: subject.email } });
    assert.equal(pr.status, 202, pr.text);
    let mail; // written by a job (docs/auth.md): poll
    for (let i = 0; i < 100 && !(mail && mail.body.data.length); i++) {
      if (mail) await sleep(50);
      mail = await api(srv, 'GET', `/api/v1/admin/mail?to=${encodeURIComponent(subject.email)}`, { key: true });
    }
    assert.equal(mail.body.data.length, 1, 'the reset mail (personal data) is in the outbox');

    // an order, with an address only this subject has
    subject.street = distinctive('Lovelace Lane');
    const wh = await warehouse(srv);
    const { variants } = await product(srv, { variants: [{ price: 1500, stock: 5 }], wh });
    const cart = await api(srv, 'POST', '/api/v1/carts', { key: subject.access, body: { currency: 'USD' } });
    assert.ok(cart.status === 201 || cart.status === 200, cart.text);
    await addLine(srv, { key: subject.access }, variants[0].id, 1);
    const placed = must(await checkout(srv, { key: subject.access }, {
      body: { shipping_address: { name: subject.name, line1: subject.street, city: 'Berlin', postal_code: '10115', country: 'DE' },
        payment_method: '4242424242424242' },
    }), 201);
    subject.order = placed.id;
    assert.equal(placed.email, subject.email, 'a customer checks out with the account address');
    // what the customer writes about orders is personal data too: a return reason, a cancellation note
    subject.returnWhy = distinctive('Too itchy for me');
    subject.cancelWhy = distinctive('Moving to Lisbon');
    for (const step of ['fulfil', 'deliver']) {
      if (step === 'deliver') must(await api(srv, 'POST', `/api/v1/orders/${placed.id}/ship`, { key: true, body: { carrier: 'DHL', tracking: 'T1' } }), 200);
      must(await api(srv, 'POST', `/api/v1/orders/${placed.id}/${step}`, { key: true }), 200);
    }
    must(await api(srv, 'POST', `/api/v1/orders/${placed.id}/returns`, { key: subject.access,
      body: { lines: [{ variant_id: variants[0].id, quantity: 1 }], reason: subject.returnWhy } }), 201);
    await addLine(srv, { key: subject.access }, variants[0].id, 1);
    const second = must(await checkout(srv, { key: subject.access }, {
      body: { shipping_address: { name: subject.name, line1: subject.street, city: 'Berlin', postal_code: '10115', country: 'DE' },
        payment_method: '4242424242424242' },
    }), 201);
    must(await api(srv, 'POST', `/api/v1/orders/${second.id}/cancel`, { key: subject.access, body: { reason: subject.cancelWhy } }), 200);
    expectError(await api(srv, 'GET', '/api/v1/users/me/export', { key: subject.key }), 403, 'FORBIDDEN'); // needs the access token
    const x = await api(srv, 'GET', '/api/v1/users/me/export', { key: subject.access });
    assert.equal(x.status, 200, x.text);
    assert.match(x.headers.get('content-type') || '', /^application\/json\b/);
    assert.match(x.headers.get('cache-control') || '', /no-store/, 'the export is not cached');
    const e = x.body;
    assert.ok(Math.abs(Date.parse(e.exported_at) - Date.now()) < 60_000, 'exported_at is now');
    // profile
    assert.equal(e.profile.id, subject.id);
    assert.equal(e.profile.email, subject.email);
    assert.equal(e.profile.name, subject.name);
    assert.equal(e.profile.phone, subject.phone);
    assert.equal(e.profile.role, 'inventory_manager');
    assert.equal(e.profile.status, 'active');
    // consents: current choice and the full history
    assert.deepEqual(e.consents, consents, 'consents as GET /users/me/consents shows them');
    assert.equal(e.consents.history.length, 3);
    // sessions with addresses and user agents
    const sids = [decodeJwt(subject.access).payload.sid, decodeJwt(subject.access2).payload.sid];
    assert.deepEqual(e.sessions.map((s) => s.id).sort(), [...sids].sort(), 'both sessions');
    assert.equal(e.sessions.find((s) => s.id === sids[0]).user_agent, subject.ua1);
    assert.equal(e.sessions.find((s) => s.id === sids[1]).user_agent, subject.ua2);
    assert.equal(e.sessions.find((s) => s.id === sids[0]).current, true);
    for (const s of e.sessions) assert.match(s.ip, /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/, 'the address of the session');
    // API keys without secrets
    assert.equal(e.api_keys.length, 1);
    assert.equal(e.api_keys[0].id, subject.keyId);
    assert.equal(e.api_keys[0].name, subject.keyName);
    assert.deepEqual(e.api_keys[0].scopes, ['analytics:read']);
    assert.ok(!('key' in e.api_keys[0]), 'no key secret');
    assert.ok(!x.text.includes(subject.key), 'the key secret appears nowhere in the export');
    assert.ok(!x.text.includes(subject.refresh), 'no refresh token in the export');
    assert.ok(!/\$argon2/.test(x.text), 'no password hash in the export');
    // audit entries about the user
    const actions = e.audit_entries.map((a) => a.action);
    for (const want of ['POST /api/v1/auth/register', 'POST /api/v1/auth/login', 'POST /api/v1/users/me/consents', 'PATCH /api/v1/users/me',
      'POST /api/v1/api-keys', 'PATCH /api/v1/admin/users/{id}', 'POST /api/v1/auth/password-reset']) {
      assert.ok(actions.includes(want), `audit entry ${want} in the export: ${JSON.stringify(actions)}`);
    }
    for (const a of e.audit_entries) {
      assert.ok(a.subject_user_id === subject.id || (a.actor_type === 'user' && a.actor_id === subject.id), `entry ${a.seq} is about the user`);
    }
    const failedConsent = e.audit_entries.filter((a) => a.action === 'POST /api/v1/users/me/consents' && a.result === 422);
    assert.equal(failedConsent.length, 2, 'failed requests are audited too');
    const auditText = JSON.stringify(e.audit_entries);
    for (const pii of [subject.email, subject.name, subject.phone, subject.ua1, subject.keyName]) {
      assert.ok(!auditText.includes(pii), `audit entries hold no personal data (${pii})`);
    }
    assert.deepEqual(e.addresses, []);
    assert.deepEqual(e.orders.map((o) => [o.state, o.shipping_address.line1]), [['cancelled', subject.street], ['delivered', subject.street]]);
    assert.equal(e.orders[1].id, subject.order);
    assert.equal(e.orders[1].returns[0].reason, subject.returnWhy);
    subject.exported = true;
  });

  it('erasure needs the password, ends every way in and leaves no personal data', async () => {
    assert.ok(subject.exported, 'runs after the export test');
    // wrong password, no password, an API key: refused, nothing erased
    expectError(await api(srv, 'DELETE', '/api/v1/users/me', { key: subject.access, body: { password: 'not the password 1' } }), 401, 'INVALID_CREDENTIALS');
    expectError(await api(srv, 'DELETE', '/api/v1/users/me', { key: subject.access, body: {} }), 422, 'VALIDATION_ERROR', 'password');
    expectError(await api(srv, 'DELETE', '/api/v1/users/me', { key: subject.key, body: { password: subject.password } }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'DELETE', '/api/v1/users/me', { body: { password: subject.password } }), 401, 'UNAUTHORIZED');
    const still = await me(srv, subject.access);
    assert.equal(still.status, 200, still.text);
    assert.equal(still.body.email, subject.email, 'refused erasures changed nothing');

    // control: before the erasure the search below finds the values in the files (a SQLite
    // file: PostgreSQL's files are the server's, and it leaves dead rows to VACUUM, ADR 0006)
    const onFile = !isPostgres(srv.dbPath);
    const filesNow = onFile ? [srv.dbPath, `${srv.dbPath}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)) : [];
    if (onFile) for (const value of [subject.email, subject.name, subject.phone, subject.ua1, subject.street, subject.returnWhy, subject.cancelWhy]) {
      assert.ok(filesNow.some((b) => b.indexOf(Buffer.from(value, 'utf8')) >= 0), `control: ${value} is in the database files before the erasure`);
    }

    const d = await api(srv, 'DELETE', '/api/v1/users/me', { key: subject.access, body: { password: subject.password } });
    assert.equal(d.status, 204, d.text);

    // no way back in
    expectError(await login(srv, subject.email, subject.password), 401, 'INVALID_CREDENTIALS');
    for (const [cred, what] of [[subject.access, 'access token'], [subject.access2, 'second access token'], [subject.key, 'API key']]) {
      const r = await me(srv, cred);
      assert.equal(r.status, 401, `${what} after erasure: ${r.status} ${r.text.slice(0, 200)}`);
    }
    for (const rt of [subject.refresh, subject.refresh2]) {
      expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: rt } }), 401, 'UNAUTHORIZED');
    }
    const reset = await api(srv, 'POST', '/api/v1/auth/password-reset', { body: { email: subject.email } });
    assert.equal(reset.status, 202, reset.text);

    // the admin sees the account as deleted, without personal data
    const del = await api(srv, 'GET', '/api/v1/admin/users?status=deleted', { key: true });
    assert.equal(del.status, 200, del.text);
    const u = del.body.data.find((x) => x.id === subject.id);
    assert.ok(u, 'the erased account is listed as deleted');
    assert.equal(u.status, 'deleted');
    assert.equal(u.email, null);
    assert.equal(u.name, '');
    assert.equal(u.phone, '');
    assert.equal(u.role, 'inventory_manager', 'the role is kept');
    const mail = await api(srv, 'GET', `/api/v1/admin/mail?to=${encodeURIComponent(subject.email)}`, { key: true });
    assert.deepEqual(mail.body.data, [], 'no outbox message to the erased address (none queued after the erasure either)');
    // the consent history is kept (as proof), without personal data
    assert.equal(sqlite(srv.dbPath, `select count(*) from consents c join users u on u.id = c.user_id where u.status = 'deleted'`), '3');

    // no personal data in the database file or its write-ahead log
    await sleep(300); // let the audit entry of the DELETE land
    const files = onFile ? [srv.dbPath, `${srv.dbPath}-wal`].filter((f) => existsSync(f)) : [];
    assert.ok(!onFile || files.includes(srv.dbPath));
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const [label, value] of [['e-mail', subject.email], ['name', subject.name], ['phone', subject.phone], ['user agent', subject.ua1],
        ['user agent', subject.ua2], ['API key name', subject.keyName], ['e-mail local part', subject.email.split('@')[0]],
        ['order address', subject.street], ['return reason', subject.returnWhy], ['cancellation note', subject.cancelWhy]]) {
        assert.equal(bytes.indexOf(Buffer.from(value, 'utf8')), -1, `${label} ${value} remains in ${f.split('/').pop()} (${bytes.length} bytes)`);
      }
    }

    // the order stays for the books, without the e-mail and the address
    const kept = must(await api(srv, 'GET', `/api/v1/orders/${subject.order}`, { key: true }), 200);
    assert.equal(kept.state, 'delivered');
    assert.equal(kept.returns[0].reason, '');
    assert.equal(kept.email, '');
    assert.deepEqual(kept.shipping_address, {});
    assert.equal(kept.totals.total.amount, 1500);
    // its fraud score stays; the fingerprints of its card and address go with the personal data
    assert.equal(typeof kept.fraud.score, 'number');
    assert.equal(sqlite(srv.dbPath, `select count(*) from orders where email = '' and (card_fp is not null or address_fp is not null or bill_country is not null)`), '0');
    assert.notEqual(sqlite(srv.dbPath, `select count(*) from orders where email = ''`), '0');

    // the address can be registered again, as a new account
    const again = await api(srv, 'POST', '/api/v1/auth/register', { body: { email: subject.email, password: password() } });
    assert.equal(again.status, 201, again.text);
    assert.notEqual(again.body.user.id, subject.id);
    assert.equal(again.body.user.role, 'customer');
    // and that does not revive the erased account
    expectError(await login(srv, subject.email, subject.password), 401, 'INVALID_CREDENTIALS');
  });

  it('audit chain: intact after requests, tampering is named', async () => {
    // a series of data-changing requests, successful and failed
    for (let i = 0; i < 3; i++) {
      const r = await api(srv, 'POST', '/api/v1/brands', { key: true, body: { name: `Audit Brand ${i} ${distinctive('b')}` } });
      assert.equal(r.status, 201, r.text);
    }
    expectError(await api(srv, 'POST', '/api/v1/brands', { key: true, body: {} }), 422, 'VALIDATION_ERROR');
    expectError(await api(srv, 'POST', '/api/v1/brands', { body: { name: 'anon' } }), 401, 'UNAUTHORIZED');
    expectError(await login(srv, `${distinctive('nobody')}@example.com`, 'some password 1'), 401, 'INVALID_CREDENTIALS');
    // a hostile path segment (too long, or with control bytes) is still audited, without the segment
    const before = Number(sqlite(srv.dbPath, `select count(*) from audit_log where action = 'DELETE /api/v1/products/{id}'`));
    for (const seg of ['x'.repeat(400), 'bad%01id']) {
      const r = await api(srv, 'DELETE', `/api/v1/products/${seg}`, { key: true });
      assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${r.text}`);
    }
    await sleep(300); // audit entries are appended after the response
    const hostile = sqlite(srv.dbPath, `select object_id || '|' || result from audit_log where action = 'DELETE /api/v1/products/{id}' order by seq desc limit 2`);
    assert.equal(Number(sqlite(srv.dbPath, `select count(*) from audit_log where action = 'DELETE /api/v1/products/{id}'`)), before + 2, hostile);
    for (const line of hostile.split('\n')) assert.match(line, /^\|4\d\d$/, 'no object id recorded');

    const v = await runSouk(['audit', 'verify', '--db', srv.dbPath]);
    assert.equal(v.code, 0, `audit verify: ${v.stdout} ${v.stderr}`);
    const m = /audit log intact: (\d+) entries/.exec(v.stdout);
    assert.ok(m, `prints "intact": ${v.stdout}`);
    const n = Number(m[1]);
    const rows = Number(sqlite(srv.dbPath, 'select count(*) from audit_log'));
    assert.equal(n, rows, 'every entry checked');
    assert.ok(n >= 20, `a good number of entries from this file's requests (${n})`);

    // the admin API shows the latest entries, newest first
    const a = await api(srv, 'GET', '/api/v1/admin/audit?limit=5', { key: true });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.data[0].seq, n, 'newest first');
    assert.ok(a.body.data.some((x) => x.action === 'POST /api/v1/auth/login' && x.result === 401), 'the failed sign-in is audited');

    // the log refuses updates and deletes
    const target = Math.max(2, Math.floor(n / 2));
    for (const sql of [`update audit_log set details = '{"x":1}' where seq = ${target}`, `delete from audit_log where seq = ${target}`]) {
      assert.throws(() => sqlite(srv.dbPath, sql), /append-only/, `refused: ${sql}`);
    }
    assert.equal(sqlite(srv.dbPath, `select details from audit_log where seq = ${target}`), '{}');

    // modified behind souk's back
    sqlite(srv.dbPath, `${dropTrigger(srv.dbPath, 'audit_log_no_update', 'audit_log')}; update audit_log set details = '{"tampered":true}' where seq = ${target}`);
    const t = await runSouk(['audit', 'verify', '--db', srv.dbPath]);
    assert.equal(t.code, 1, `verify exits 1 after tampering: ${t.stdout} ${t.stderr}`);
    assert.match(t.stdout + t.stderr, new RegExp(`entry ${target}\\b`), `names entry ${target}: ${t.stdout}`);
    assert.ok(!/intact/.test(t.stdout), 'does not claim intact');
  });
});
