// Accounts and sign-in (docs/auth.md): register, login, profile, refresh
// rotation and reuse detection, logout, sessions, password change and reset
// (outbox and SMTP), two-factor sign-in, API keys, and the JWKS / key rotation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, runSouk, ADMIN_EMAIL, ADMIN_PASSWORD } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { startSmtpStub } from './lib/smtp_stub.js';
import { sleep, token } from './lib/util.js';
import {
  email, password, register, login, loginOk, me, totp, decodeJwt, sqlite, storedSigningKeys, serverKek, xchachaOpen, b64url,
} from './lib/auth_util.js';
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { hexOf, ON_POSTGRES } from './lib/db.js';

const recent = (ts) => assert.ok(Math.abs(Date.parse(ts) - Date.now()) < 5 * 60_000, `${ts} is not about now`);
const unauthorized = async (srv, cred, what) => {
  const r = await me(srv, cred);
  assert.equal(r.status, 401, `${what}: expected 401, got ${r.status}: ${r.text.slice(0, 300)}`);
  expectError(r, 401, 'UNAUTHORIZED');
};
const works = async (srv, cred, userId, what) => {
  const r = await me(srv, cred);
  assert.equal(r.status, 200, `${what}: expected 200, got ${r.status}: ${r.text.slice(0, 300)}`);
  assert.equal(r.body.id, userId, `${what}: /users/me names the caller`);
  return r.body;
};

function checkTokens(body, user) {
  assert.match(body.access_token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'access token is a JWT');
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 900);
  assert.match(body.refresh_token, /^rt_[A-Za-z0-9_-]+$/);
  assert.equal(body.refresh_expires_in, 604800);
  const { header, payload } = decodeJwt(body.access_token);
  assert.equal(header.alg, 'EdDSA');
  assert.match(header.kid, /\S/, 'kid in the header');
  assert.equal(payload.sub, body.user.id, 'sub names the user');
  assert.match(payload.sid, /^ses_/, 'sid names the session');
  assert.equal(payload.exp - payload.iat, 900, 'valid 15 minutes');
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 300, 'iat is about now');
  if (user) assert.equal(body.user.id, user.id);
  return { header, payload };
}

/** The newest outbox message to ADDR (admin key). */
async function mailTo(srv, addr) {
  const r = await api(srv, 'GET', `/api/v1/admin/mail?to=${encodeURIComponent(addr)}`, { key: true });
  assert.equal(r.status, 200, r.text);
  return r.body.data;
}

/** Polls the outbox until N messages to ADDR are there (reset mail is written by a job); returns them. */
async function waitMail(srv, addr, n, ms = 5000) {
  const end = Date.now() + ms;
  let mails = await mailTo(srv, addr);
  while (mails.length < n && Date.now() < end) {
    await sleep(50);
    mails = await mailTo(srv, addr);
  }
  return mails;
}

const RESET_CODE_RE = /pr_[A-Za-z0-9_-]{20,}/;

/** souk serve that must refuse to start: resolves {code, stderr} (a server that starts is killed and fails the test). */
async function refusedServe(dbPath, env = {}) {
  const r = await runSouk(['serve', '--listen', '127.0.0.1:0', '--db', dbPath, '--threads', '1'], { env, timeoutMs: 10_000 })
    .catch((e) => assert.fail(`souk serve started although it should refuse: ${e.message}`));
  assert.notEqual(r.code, 0, 'refused to start');
  return r;
}

/** Every byte of the database and its write-ahead log. */
const rawDb = (dbPath) => Buffer.concat([dbPath, `${dbPath}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));

describe('accounts and sign-in', () => {
  let srv;

  before(async () => {
    srv = await startServer({});
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('register: tokens and a customer; duplicates and bad input are refused', async () => {
    const addr = email('reg');
    const pw = password();
    const name = `Reg ${token()}`;
    const phone = '+1 555 0100';
    const r = await api(srv, 'POST', '/api/v1/auth/register', { body: { email: addr, password: pw, name, phone } });
    assert.equal(r.status, 201, r.text);
    const u = r.body.user;
    checkTokens(r.body);
    assert.match(u.id, /^usr_/);
    assert.equal(u.email, addr);
    assert.equal(u.name, name);
    assert.equal(u.phone, phone);
    assert.equal(u.role, 'customer');
    assert.equal(u.status, 'active');
    assert.equal(u.two_factor_enabled, false);
    assert.equal(u.vendor_id, null);
    recent(u.created_at);
    await works(srv, r.body.access_token, u.id, 'fresh access token');

    // e-mail addresses are case-insensitive: the same address in capitals is taken too
    for (const dup of [addr, addr.toUpperCase()]) {
      expectError(await api(srv, 'POST', '/api/v1/auth/register', { body: { email: dup, password: password() } }), 409, 'CONFLICT', 'email');
    }
    // a mixed-case address is stored lower-cased
    const mixed = `MiXeD-${token()}@Example.COM`;
    const m = await api(srv, 'POST', '/api/v1/auth/register', { body: { email: mixed, password: password() } });
    assert.equal(m.status, 201, m.text);
    assert.equal(m.body.user.email, mixed.toLowerCase());
    assert.equal(m.body.user.name, '', 'name defaults to empty');

    for (const bad of ['not-an-email', 'a@b', '@example.com', 'user@', `no-dot-${token()}@localhost`, `two@@${token()}.example.com`, `sp ace${token()}@example.com`, 'x'.repeat(250) + '@example.com']) {
      expectError(await api(srv, 'POST', '/api/v1/auth/register', { body: { email: bad, password: password() } }), 422, 'VALIDATION_ERROR', 'email');
    }
    const goodAddr = email('pw');
    const local = goodAddr.split('@')[0];
    for (const [pwd, why] of [['short', 'too short'], ['123456789', '9 characters'], ['p'.repeat(129), '129 characters'], [goodAddr, 'equal to the address'],
      [goodAddr.toUpperCase(), 'the address in capitals'], [local, 'the name part of the address']]) {
      const rr = await api(srv, 'POST', '/api/v1/auth/register', { body: { email: goodAddr, password: pwd } });
      assert.equal(rr.status, 422, `password ${why}: ${rr.text}`);
      expectError(rr, 422, 'VALIDATION_ERROR', 'password');
    }
    expectError(await api(srv, 'POST', '/api/v1/auth/register', { body: { email: goodAddr } }), 422, 'VALIDATION_ERROR', 'password');
    expectError(await api(srv, 'POST', '/api/v1/auth/register', { body: { password: password() } }), 422, 'VALIDATION_ERROR', 'email');
    expectError(await api(srv, 'POST', '/api/v1/auth/register', { body: { email: goodAddr, password: 5 } }), 422, 'VALIDATION_ERROR', 'password');
    // nothing was created by the rejected attempts
    for (const a of [goodAddr]) {
      const l = await api(srv, 'GET', `/api/v1/admin/users?email=${encodeURIComponent(a)}`, { key: true });
      assert.equal(l.status, 200, l.text);
      assert.deepEqual(l.body.data, [], `${a} was not created`);
    }
    // boundaries: 10 and 128 characters are accepted
    for (const len of [10, 128]) {
      const rr = await api(srv, 'POST', '/api/v1/auth/register', { body: { email: email('len'), password: 'q'.repeat(len) } });
      assert.equal(rr.status, 201, `a ${len}-character password: ${rr.text}`);
    }
  });

  it('login: tokens; wrong password and unknown address look the same', async () => {
    const a = await register(srv, { name: 'Login User' });
    const r = await login(srv, a.email, a.password);
    assert.equal(r.status, 200, r.text);
    checkTokens(r.body, a.user);
    assert.equal(r.body.user.email, a.email);
    assert.equal(r.body.user.role, 'customer');
    assert.notEqual(r.body.refresh_token, a.refresh, 'a new session has a new refresh token');
    assert.notEqual(decodeJwt(r.body.access_token).payload.sid, decodeJwt(a.access).payload.sid, 'login opens a new session');
    await works(srv, r.body.access_token, a.user.id, 'login token');
    // the address is case-insensitive at sign-in too
    const up = await login(srv, a.email.toUpperCase(), a.password);
    assert.equal(up.status, 200, up.text);
    assert.equal(up.body.user.id, a.user.id);

    const wrong = await login(srv, a.email, a.password + 'x');
    expectError(wrong, 401, 'INVALID_CREDENTIALS');
    const unknown = await login(srv, email('nobody'), a.password);
    expectError(unknown, 401, 'INVALID_CREDENTIALS');
    assert.equal(unknown.body.error.message, wrong.body.error.message, 'same message for unknown address and wrong password');
    assert.deepEqual(Object.keys(unknown.body.error).sort(), Object.keys(wrong.body.error).sort());
    expectError(await login(srv, a.email, ''), 422, 'VALIDATION_ERROR', 'password');
    expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: a.email } }), 422, 'VALIDATION_ERROR', 'password');
  });

  it('GET and PATCH /users/me', async () => {
    const a = await register(srv, { name: 'Before', phone: '+44 20 7946 0000' });
    const g = await me(srv, a.access);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body, a.user, 'GET /users/me equals the user of the register answer');
    expectError(await me(srv, undefined), 401, 'UNAUTHORIZED');
    expectError(await me(srv, 'not.a.token'), 401, 'UNAUTHORIZED');

    await sleep(5);
    const p = await api(srv, 'PATCH', '/api/v1/users/me', { key: a.access, body: { name: 'After Name' } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.name, 'After Name');
    assert.equal(p.body.phone, '+44 20 7946 0000', 'phone unchanged when not sent');
    assert.equal(p.body.email, a.email);
    assert.ok(p.body.updated_at > a.user.updated_at, 'updated_at advances');
    const q = await api(srv, 'PATCH', '/api/v1/users/me', { key: a.access, body: { phone: '+1 202 555 0199' } });
    assert.equal(q.status, 200, q.text);
    assert.equal(q.body.name, 'After Name');
    assert.equal(q.body.phone, '+1 202 555 0199');
    const c = await api(srv, 'PATCH', '/api/v1/users/me', { key: a.access, body: { name: '', phone: '' } });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.name, '');
    assert.equal(c.body.phone, '');
    const g2 = await me(srv, a.access);
    assert.deepEqual(g2.body, c.body, 'GET shows what PATCH answered');

    const snapshot = g2.body;
    for (const [body, field] of [[{ name: 'n'.repeat(201) }, 'name'], [{ phone: '1'.repeat(41) }, 'phone'], [{ name: 5 }, 'name'],
      [{ email: email('steal') }, 'email'], [{ role: 'admin' }, 'role'], [{ status: 'disabled' }, 'status'], [{ id: 'usr_0000000000000' }, 'id']]) {
      expectError(await api(srv, 'PATCH', '/api/v1/users/me', { key: a.access, body }), 422, 'VALIDATION_ERROR', field);
    }
    expectError(await api(srv, 'PATCH', '/api/v1/users/me', { body: { name: 'anon' } }), 401, 'UNAUTHORIZED');
    assert.deepEqual((await me(srv, a.access)).body, snapshot, 'rejected PATCHes changed nothing');
  });

  it('refresh rotates; reuse of a used token revokes the whole session', async () => {
    const a = await register(srv);
    const s = await loginOk(srv, a.email, a.password);
    const sid = decodeJwt(s.access_token).payload.sid;

    const r1 = await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: s.refresh_token } });
    assert.equal(r1.status, 200, r1.text);
    checkTokens(r1.body, a.user);
    assert.notEqual(r1.body.refresh_token, s.refresh_token, 'a new refresh token');
    assert.notEqual(r1.body.access_token, s.access_token, 'a new access token');
    assert.equal(decodeJwt(r1.body.access_token).payload.sid, sid, 'same session');
    await works(srv, r1.body.access_token, a.user.id, 'refreshed access token');
    await works(srv, s.access_token, a.user.id, 'the earlier access token of the session (not yet expired)');

    const r2 = await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: r1.body.refresh_token } });
    assert.equal(r2.status, 200, r2.text);
    assert.notEqual(r2.body.refresh_token, r1.body.refresh_token);
    await works(srv, r2.body.access_token, a.user.id, 'second refresh');

    // the other session of the user is not involved
    await works(srv, a.access, a.user.id, 'registration session');

    // reuse of the first (used) refresh token
    const reuse = await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: s.refresh_token } });
    expectError(reuse, 401, 'UNAUTHORIZED');
    await unauthorized(srv, r2.body.access_token, 'newest access token of the reused session');
    await unauthorized(srv, r1.body.access_token, 'older access token of the reused session');
    await unauthorized(srv, s.access_token, 'first access token of the reused session');
    expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: r2.body.refresh_token } }), 401, 'UNAUTHORIZED');
    await works(srv, a.access, a.user.id, 'the other session survives');

    // the session shows as revoked, and a security event was audited
    const list = await api(srv, 'GET', '/api/v1/users/me/sessions', { key: a.access });
    assert.equal(list.status, 200, list.text);
    const ses = list.body.data.find((x) => x.id === sid);
    assert.ok(ses, 'the revoked session is listed');
    assert.notEqual(ses.revoked_at, null, 'revoked_at set');
    const audit = await api(srv, 'GET', `/api/v1/admin/audit?action=auth.refresh_token_reuse&subject=${a.user.id}`, { key: true });
    assert.equal(audit.status, 200, audit.text);
    assert.ok(audit.body.data.some((e) => e.action === 'auth.refresh_token_reuse' && e.subject_user_id === a.user.id),
      `security event auth.refresh_token_reuse audited: ${audit.text.slice(0, 500)}`);

    // unknown and malformed refresh tokens
    expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: 'rt_' + crypto.randomBytes(32).toString('base64url') } }), 401, 'UNAUTHORIZED');
    expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: 'rt_garbage' } }), 401, 'UNAUTHORIZED');
    expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.access } }), 422, 'VALIDATION_ERROR', 'refresh_token'); // longer than any refresh token
    expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: {} }), 422, 'VALIDATION_ERROR', 'refresh_token');
  });

  it('logout revokes the session', async () => {
    const a = await register(srv);
    const s = await loginOk(srv, a.email, a.password);
    const r = await api(srv, 'POST', '/api/v1/auth/logout', { key: s.access_token });
    assert.equal(r.status, 204, r.text);
    await unauthorized(srv, s.access_token, 'access token after logout');
    expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: s.refresh_token } }), 401, 'UNAUTHORIZED');
    expectError(await api(srv, 'POST', '/api/v1/auth/logout', { key: s.access_token }), 401, 'UNAUTHORIZED');
    expectError(await api(srv, 'POST', '/api/v1/auth/logout', {}), 401, 'UNAUTHORIZED');
    await works(srv, a.access, a.user.id, 'the other session is still open');
  });

  it('sessions: list and revoke', async () => {
    const a = await register(srv);
    const ua1 = `agent-one-${token()}`;
    const ua2 = `agent-two-${token()}`;
    const s1 = await loginOk(srv, a.email, a.password, {}, { headers: { 'User-Agent': ua1 } });
    const s2 = await loginOk(srv, a.email, a.password, {}, { headers: { 'User-Agent': ua2 } });
    const sid1 = decodeJwt(s1.access_token).payload.sid;
    const sid2 = decodeJwt(s2.access_token).payload.sid;

    const l = await api(srv, 'GET', '/api/v1/users/me/sessions', { key: s1.access_token });
    assert.equal(l.status, 200, l.text);
    const ids = l.body.data.map((x) => x.id);
    for (const id of [sid1, sid2, decodeJwt(a.access).payload.sid]) assert.ok(ids.includes(id), `${id} listed`);
    assert.equal(l.body.data.length, 3, 'three sessions: registration and two sign-ins');
    const e1 = l.body.data.find((x) => x.id === sid1);
    const e2 = l.body.data.find((x) => x.id === sid2);
    assert.equal(e1.current, true);
    assert.equal(e2.current, false);
    assert.equal(l.body.data.filter((x) => x.current).length, 1, 'exactly one current session');
    assert.equal(e1.user_agent, ua1);
    assert.equal(e2.user_agent, ua2);
    assert.equal(e1.revoked_at, null);
    recent(e1.created_at);
    assert.ok(e1.expires_at > e1.created_at);

    const d = await api(srv, 'DELETE', `/api/v1/users/me/sessions/${sid2}`, { key: s1.access_token });
    assert.equal(d.status, 204, d.text);
    await unauthorized(srv, s2.access_token, 'access token of the revoked session');
    expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: s2.refresh_token } }), 401, 'UNAUTHORIZED');
    await works(srv, s1.access_token, a.user.id, 'the revoking session');
    const l2 = await api(srv, 'GET', '/api/v1/users/me/sessions', { key: s1.access_token });
    assert.notEqual(l2.body.data.find((x) => x.id === sid2).revoked_at, null, 'revoked session shows revoked_at');
    assert.equal(l2.body.data.find((x) => x.id === sid1).revoked_at, null);

    expectError(await api(srv, 'DELETE', '/api/v1/users/me/sessions/ses_0000000000000', { key: s1.access_token }), 404, 'NOT_FOUND');
    expectError(await api(srv, 'DELETE', '/api/v1/users/me/sessions/not-a-session', { key: s1.access_token }), 404, 'NOT_FOUND');
    expectError(await api(srv, 'DELETE', `/api/v1/users/me/sessions/${sid1}`, {}), 401, 'UNAUTHORIZED');
    // revoking one's own current session works too
    const self = await api(srv, 'DELETE', `/api/v1/users/me/sessions/${sid1}`, { key: s1.access_token });
    assert.equal(self.status, 204, self.text);
    await unauthorized(srv, s1.access_token, 'self-revoked session');
  });

  it('password change revokes every session and answers new tokens', async () => {
    const a = await register(srv);
    const s = await loginOk(srv, a.email, a.password);
    const next = password();
    expectError(await api(srv, 'POST', '/api/v1/users/me/password', { key: s.access_token, body: { current_password: 'wrong password 123', new_password: next } }),
      422, 'VALIDATION_ERROR', 'current_password');
    expectError(await api(srv, 'POST', '/api/v1/users/me/password', { key: s.access_token, body: { current_password: a.password, new_password: 'short' } }),
      422, 'VALIDATION_ERROR', 'new_password');
    expectError(await api(srv, 'POST', '/api/v1/users/me/password', { key: s.access_token, body: { current_password: a.password, new_password: a.email } }),
      422, 'VALIDATION_ERROR', 'new_password');
    await works(srv, s.access_token, a.user.id, 'rejected changes revoke nothing');

    const r = await api(srv, 'POST', '/api/v1/users/me/password', { key: s.access_token, body: { current_password: a.password, new_password: next } });
    assert.equal(r.status, 200, r.text);
    checkTokens(r.body, a.user);
    await unauthorized(srv, s.access_token, 'the token that changed the password');
    await unauthorized(srv, a.access, 'the other session');
    for (const rt of [s.refresh_token, a.refresh]) {
      expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: rt } }), 401, 'UNAUTHORIZED');
    }
    await works(srv, r.body.access_token, a.user.id, 'the new access token');
    const rr = await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: r.body.refresh_token } });
    assert.equal(rr.status, 200, `the new refresh token works: ${rr.text}`);
    expectError(await login(srv, a.email, a.password), 401, 'INVALID_CREDENTIALS');
    await loginOk(srv, a.email, next);
  });

  it('password reset through the outbox', async () => {
    const a = await register(srv);
    const s = await loginOk(srv, a.email, a.password);
    const unknown = email('nobody');
    const r1 = await api(srv, 'POST', '/api/v1/auth/password-reset', { body: { email: a.email } });
    const r2 = await api(srv, 'POST', '/api/v1/auth/password-reset', { body: { email: unknown } });
    assert.equal(r1.status, 202, r1.text);
    assert.equal(r2.status, 202, r2.text);
    assert.equal(r1.text, r2.text, 'identical bodies for known and unknown addresses');

    const mails = await waitMail(srv, a.email, 1);
    assert.deepEqual(await mailTo(srv, unknown), [], 'no mail to an unknown address');
    assert.equal(mails.length, 1, 'one reset mail queued');
    const msg = mails[0];
    assert.equal(msg.to, a.email);
    assert.match(msg.subject, /reset/i);
    assert.equal(msg.status, 'pending', 'no relay configured: the mail stays pending');
    const code = (msg.body.match(RESET_CODE_RE) || [])[0];
    assert.ok(code, `the mail holds a pr_ code: ${msg.body}`);
    await works(srv, s.access_token, a.user.id, 'asking for a reset revokes nothing');

    const next = password();
    expectError(await api(srv, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token: 'pr_' + crypto.randomBytes(32).toString('base64url'), new_password: next } }),
      422, 'VALIDATION_ERROR', 'token');
    expectError(await api(srv, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token: code, new_password: 'short' } }), 422, 'VALIDATION_ERROR', 'new_password');
    await loginOk(srv, a.email, a.password); // the rejected confirmations changed nothing

    const ok = await api(srv, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token: code, new_password: next } });
    assert.equal(ok.status, 204, ok.text);
    const again = await api(srv, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token: code, new_password: password() } });
    expectError(again, 422, 'VALIDATION_ERROR', 'token');
    await unauthorized(srv, s.access_token, 'session from before the reset');
    await unauthorized(srv, a.access, 'registration session from before the reset');
    expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: s.refresh_token } }), 401, 'UNAUTHORIZED');
    expectError(await login(srv, a.email, a.password), 401, 'INVALID_CREDENTIALS');
    const fresh = await loginOk(srv, a.email, next);
    await works(srv, fresh.access_token, a.user.id, 'signed in with the new password');

    // a second reset request makes a second, different code; the first stays used
    const r3 = await api(srv, 'POST', '/api/v1/auth/password-reset', { body: { email: a.email.toUpperCase() } });
    assert.equal(r3.status, 202, r3.text);
    const mails2 = await waitMail(srv, a.email, 2);
    assert.equal(mails2.length, 2, 'a second mail for a second request (address matched case-insensitively)');
    const code2 = mails2[0].body.match(RESET_CODE_RE)[0];
    assert.notEqual(code2, code);
    expectError(await api(srv, 'POST', '/api/v1/auth/password-reset', { body: {} }), 422, 'VALIDATION_ERROR', 'email');
  });

  it('password reset: the same answer at once for known and unknown addresses; the code and the mail are a job', async (t) => {
    const a = await register(srv);
    const unknown = email('nobody');
    const jobs = async () => {
      const r = await api(srv, 'GET', '/api/v1/admin/jobs?kind=identity.password_reset&limit=200', { key: true });
      assert.equal(r.status, 200, r.text);
      return r.body.data;
    };
    const before = new Set((await jobs()).map((j) => j.id));
    const ask = async (addr) => {
      const t0 = process.hrtime.bigint();
      const r = await api(srv, 'POST', '/api/v1/auth/password-reset', { body: { email: addr } });
      return { r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
    };
    const VARYING = new Set(['x-request-id', 'traceparent', 'date']); // ids (the request's and its trace's) and the clock, nothing else
    const shape = (r) => JSON.stringify([r.status, r.text, [...r.headers.entries()].filter(([k]) => !VARYING.has(k)).sort()]);
    const ROUNDS = 6;
    const times = { known: [], unknown: [] };
    for (let i = 0; i < ROUNDS; i++) {
      const k = await ask(a.email);
      const u = await ask(unknown);
      assert.equal(k.r.status, 202, k.r.text);
      assert.equal(shape(k.r), shape(u.r), 'status, body and headers (but ids) are identical');
      times.known.push(k.ms);
      times.unknown.push(u.ms);
    }
    // both paths did the same on the request thread: each request queued one job
    const mine = (await jobs()).filter((j) => !before.has(j.id));
    assert.equal(mine.length, 2 * ROUNDS, `one job per request, known address or not: ${JSON.stringify(mine.map((j) => j.payload))}`);
    // and the work happens: the known address gets every code, the unknown one nothing
    const mails = await waitMail(srv, a.email, ROUNDS);
    assert.equal(mails.length, ROUNDS, 'a reset mail per request for the known address');
    assert.equal(new Set(mails.map((m) => m.body.match(RESET_CODE_RE)[0])).size, ROUNDS, 'each with its own code');
    let done = [];
    for (let i = 0; i < 100 && done.length < mine.length; i++) {
      done = (await jobs()).filter((j) => !before.has(j.id) && j.state === 'done');
      if (done.length < mine.length) await sleep(50);
    }
    assert.equal(done.length, mine.length, 'every job ran');
    assert.deepEqual(await mailTo(srv, unknown), [], 'no mail to an unknown address');
    const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
    t.diagnostic(`password-reset answer, median of ${ROUNDS}: known ${median(times.known).toFixed(2)} ms, unknown ${median(times.unknown).toFixed(2)} ms`);
    for (const ms of [...times.known, ...times.unknown]) assert.ok(ms < 2000, `answered at once (${ms} ms)`);
  });

  it('password reset mail is delivered over SMTP', async () => {
    const smtp = await startSmtpStub();
    const from = `souk-test-${token()}@example.com`;
    let srv2;
    try {
      srv2 = await startServer({ env: { SOUK_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SOUK_MAIL_FROM: `Souk Tests <${from}>` } });
      const a = await register(srv2);
      const r = await api(srv2, 'POST', '/api/v1/auth/password-reset', { body: { email: a.email } });
      assert.equal(r.status, 202, r.text);
      const t0 = Date.now();
      const [msg] = await smtp.waitForMessages(1, 5000);
      assert.ok(Date.now() - t0 < 5000, 'delivered within a few seconds');
      assert.deepEqual(msg.to, [a.email], 'envelope recipient');
      assert.match(msg.headers.to || '', new RegExp(a.email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'To header names the account');
      assert.equal(msg.from, from, 'envelope sender from SOUK_MAIL_FROM');
      assert.match(msg.subject, /reset/i);
      const code = (msg.body.match(RESET_CODE_RE) || [])[0];
      assert.ok(code, `the delivered body holds the code: ${msg.body}`);

      // the outbox marks it sent (poll: the worker updates the row after the SMTP exchange)
      let row;
      for (let i = 0; i < 50; i++) {
        row = (await mailTo(srv2, a.email))[0];
        if (row && row.status === 'sent') break;
        await sleep(100);
      }
      assert.equal(row.status, 'sent', `outbox row marked sent: ${JSON.stringify(row)}`);
      assert.notEqual(row.sent_at, null);
      assert.ok(row.attempts >= 1);
      assert.equal(row.body.match(RESET_CODE_RE)[0], code, 'the delivered code is the queued one');
      assert.equal(smtp.messages.length, 1, 'delivered once');

      const next = password();
      const ok = await api(srv2, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token: code, new_password: next } });
      assert.equal(ok.status, 204, ok.text);
      await loginOk(srv2, a.email, next);
    } finally {
      if (srv2) await srv2.stop();
      await smtp.stop();
    }
  });

  it('two-factor sign-in with TOTP and recovery codes', async () => {
    const a = await register(srv);
    const e = await api(srv, 'POST', '/api/v1/users/me/2fa/totp', { key: a.access });
    assert.equal(e.status, 200, e.text);
    const { secret, otpauth_uri: uri } = e.body;
    assert.match(secret, /^[A-Z2-7]{32}$/, 'a 160-bit base32 secret');
    const u = new URL(uri);
    assert.equal(u.protocol, 'otpauth:');
    assert.equal(u.searchParams.get('secret'), secret);
    assert.equal(u.searchParams.get('issuer'), 'souk');
    assert.ok(decodeURIComponent(uri).includes(a.email), 'the label names the account');
    assert.equal((await me(srv, a.access)).body.two_factor_enabled, false, 'not on before confirmation');
    await loginOk(srv, a.email, a.password); // no code needed yet

    const now = Date.now();
    const valid = new Set([-1, 0, 1].map((k) => totp(secret, now + k * 30_000)));
    let wrongCode = '000000';
    while (valid.has(wrongCode)) wrongCode = String((Number(wrongCode) + 111111) % 1_000_000).padStart(6, '0');
    expectError(await api(srv, 'POST', '/api/v1/users/me/2fa/totp/confirm', { key: a.access, body: { code: wrongCode } }), 422, 'VALIDATION_ERROR', 'code');
    assert.equal((await me(srv, a.access)).body.two_factor_enabled, false, 'a wrong code does not turn it on');

    // each time step is accepted once per account, so the steps used below go up:
    // the previous step to confirm, the current one to sign in, the next one to turn it off
    const c = await api(srv, 'POST', '/api/v1/users/me/2fa/totp/confirm', { key: a.access, body: { code: totp(secret, Date.now() - 30_000) } });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.two_factor_enabled, true);
    const codes = c.body.recovery_codes;
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10, 'recovery codes are distinct');
    assert.equal((await me(srv, a.access)).body.two_factor_enabled, true);
    expectError(await api(srv, 'POST', '/api/v1/users/me/2fa/totp', { key: a.access }), 409, 'CONFLICT');

    const mfa = await login(srv, a.email, a.password);
    expectError(mfa, 401, 'MFA_REQUIRED');
    assert.ok(!('access_token' in mfa.body), 'no tokens without the second factor');
    expectError(await login(srv, a.email, a.password, { totp_code: wrongCode }), 401, 'INVALID_CREDENTIALS');
    expectError(await login(srv, a.email, 'wrong password 12345', { totp_code: totp(secret) }), 401, 'INVALID_CREDENTIALS');
    const current = totp(secret);
    const withCode = await login(srv, a.email, a.password, { totp_code: current });
    assert.equal(withCode.status, 200, withCode.text);
    checkTokens(withCode.body, a.user);
    // a code seen by someone else (over a shoulder, a phishing page) cannot be replayed
    expectError(await login(srv, a.email, a.password, { totp_code: current }), 401, 'INVALID_CREDENTIALS');

    const rec = await login(srv, a.email, a.password, { recovery_code: codes[3] });
    assert.equal(rec.status, 200, `a recovery code signs in once: ${rec.text}`);
    expectError(await login(srv, a.email, a.password, { recovery_code: codes[3] }), 401, 'INVALID_CREDENTIALS');
    const rec2 = await login(srv, a.email, a.password, { recovery_code: codes[4] });
    assert.equal(rec2.status, 200, `another recovery code still works: ${rec2.text}`);

    // turning it off needs the password and a current code
    const t = withCode.body.access_token;
    expectError(await api(srv, 'DELETE', '/api/v1/users/me/2fa/totp', { key: t, body: { password: a.password } }), 401, 'INVALID_CREDENTIALS');
    expectError(await api(srv, 'DELETE', '/api/v1/users/me/2fa/totp', { key: t, body: { password: 'wrong password 12345', totp_code: totp(secret) } }), 401, 'INVALID_CREDENTIALS');
    expectError(await api(srv, 'DELETE', '/api/v1/users/me/2fa/totp', { key: t, body: { password: a.password, recovery_code: codes[3] } }), 401, 'INVALID_CREDENTIALS');
    assert.equal((await me(srv, t)).body.two_factor_enabled, true, 'still on after refused attempts');
    const off = await api(srv, 'DELETE', '/api/v1/users/me/2fa/totp', { key: t, body: { password: a.password, totp_code: totp(secret, Date.now() + 30_000) } });
    assert.equal(off.status, 204, off.text);
    assert.equal((await me(srv, t)).body.two_factor_enabled, false);
    const plain = await login(srv, a.email, a.password);
    assert.equal(plain.status, 200, `no code needed once off: ${plain.text}`);
    expectError(await api(srv, 'DELETE', '/api/v1/users/me/2fa/totp', { key: t, body: { password: a.password, totp_code: totp(secret) } }), 409, 'CONFLICT');
  });

  it('API keys: scoped, shown once, last use recorded, revocable, expiring', async () => {
    const adm = await loginOk(srv, ADMIN_EMAIL, ADMIN_PASSWORD);
    const at = adm.access_token;
    const name = `ci key ${token()}`;
    const c = await api(srv, 'POST', '/api/v1/api-keys', { key: at, body: { name, scopes: ['catalog:write'] } });
    assert.equal(c.status, 201, c.text);
    const k = c.body;
    assert.match(k.id, /^key_/);
    assert.match(k.key, /^sk_/);
    assert.equal(k.name, name);
    assert.deepEqual(k.scopes, ['catalog:write']);
    assert.equal(k.last_used_at, null);
    assert.equal(k.revoked_at, null);
    assert.equal(k.expires_at, null);
    assert.ok(k.key.startsWith(k.prefix), `prefix ${k.prefix} is the start of the key`);
    assert.match(c.headers.get('location') || '', new RegExp(`/api/v1/api-keys/${k.id}$`));

    let l = await api(srv, 'GET', '/api/v1/api-keys', { key: at });
    assert.equal(l.status, 200, l.text);
    const listed = l.body.data.find((x) => x.id === k.id);
    assert.ok(listed, 'the new key is listed');
    assert.ok(!('key' in listed), 'the list shows no secret');
    assert.ok(!l.text.includes(k.key), 'the secret appears nowhere in the list');
    assert.equal(listed.last_used_at, null);
    for (const f of ['name', 'prefix', 'scopes', 'created_at']) assert.deepEqual(listed[f], k[f], f);

    // using it: a catalog write works, anything outside its scope is refused
    const b = await api(srv, 'POST', '/api/v1/brands', { key: k.key, body: { name: `Key Brand ${token()}` } });
    assert.equal(b.status, 201, b.text);
    expectError(await api(srv, 'GET', '/api/v1/admin/users', { key: k.key }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'GET', '/api/v1/admin/mail', { key: k.key }), 403, 'FORBIDDEN');
    l = await api(srv, 'GET', '/api/v1/api-keys', { key: at });
    const used = l.body.data.find((x) => x.id === k.id);
    assert.notEqual(used.last_used_at, null, 'last_used_at set after use');
    recent(used.last_used_at);

    // a key never holds more than its owner
    const cust = await register(srv);
    const bad = await api(srv, 'POST', '/api/v1/api-keys', { key: cust.access, body: { name: 'escalate', scopes: ['catalog:write'] } });
    expectError(bad, 422, 'VALIDATION_ERROR', 'scopes');
    expectError(await api(srv, 'POST', '/api/v1/api-keys', { key: at, body: { name: 'unknown', scopes: ['no:such'] } }), 422, 'VALIDATION_ERROR', 'scopes');
    expectError(await api(srv, 'POST', '/api/v1/api-keys', { key: at, body: { name: 'none', scopes: [] } }), 422, 'VALIDATION_ERROR', 'scopes');
    expectError(await api(srv, 'POST', '/api/v1/api-keys', { key: at, body: { scopes: ['catalog:write'] } }), 422, 'VALIDATION_ERROR', 'name');
    expectError(await api(srv, 'POST', '/api/v1/api-keys', { key: cust.access, body: { name: 'mixed', scopes: ['*', 'users:manage'] } }), 422, 'VALIDATION_ERROR', 'scopes');
    let cl = await api(srv, 'GET', '/api/v1/api-keys', { key: cust.access });
    assert.deepEqual(cl.body.data, [], 'the refused requests made no key');
    // "*" is everything the owner may do: for a customer, only their own account
    const star = await api(srv, 'POST', '/api/v1/api-keys', { key: cust.access, body: { name: 'all mine', scopes: ['*'] } });
    assert.equal(star.status, 201, star.text);
    assert.deepEqual(star.body.scopes, ['*']);
    const sm = await me(srv, star.body.key);
    assert.equal(sm.status, 200, sm.text);
    assert.equal(sm.body.id, cust.user.id);
    assert.equal(sm.body.role, 'customer');
    expectError(await api(srv, 'POST', '/api/v1/brands', { key: star.body.key, body: { name: `Star ${token()}` } }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'POST', '/api/v1/products', { key: star.body.key, body: { title: `Star ${token()}` } }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'GET', '/api/v1/admin/users', { key: star.body.key }), 403, 'FORBIDDEN');
    cl = await api(srv, 'GET', '/api/v1/api-keys', { key: cust.access });
    assert.deepEqual(cl.body.data.map((x) => x.id), [star.body.id], 'the customer has exactly that key');

    // catalog:write includes catalog:write:own: the key writes products too
    const prod = await api(srv, 'POST', '/api/v1/products', { key: k.key, body: { title: `Key Product ${token()}` } });
    assert.equal(prod.status, 201, prod.text);

    // a key never manages its owner's account: that needs the owner's access token
    for (const [method, path, body] of [
      ['POST', '/api/v1/api-keys', { name: 'from key', scopes: ['catalog:write'] }],
      ['GET', '/api/v1/api-keys', undefined],
      ['DELETE', `/api/v1/api-keys/${k.id}`, undefined],
      ['PATCH', '/api/v1/users/me', { name: 'set by a key' }],
      ['POST', '/api/v1/users/me/password', { current_password: ADMIN_PASSWORD, new_password: password() }],
      ['GET', '/api/v1/users/me/sessions', undefined],
      ['POST', '/api/v1/users/me/2fa/totp', undefined],
      ['POST', '/api/v1/users/me/consents', { kind: 'marketing', granted: true }],
      ['GET', '/api/v1/users/me/export', undefined],
      ['DELETE', '/api/v1/users/me', { password: ADMIN_PASSWORD }],
      ['POST', '/api/v1/auth/logout', undefined],
    ]) {
      const r = await api(srv, method, path, { key: k.key, body });
      assert.equal(r.status, 403, `${method} ${path} with an API key: expected 403, got ${r.status}: ${r.text.slice(0, 300)}`);
      expectError(r, 403, 'FORBIDDEN');
    }
    for (const path of ['/api/v1/users/me', '/api/v1/users/me/consents']) {
      const r = await api(srv, 'GET', path, { key: k.key });
      assert.equal(r.status, 200, `GET ${path} answers any credential: ${r.text.slice(0, 300)}`);
    }
    await loginOk(srv, ADMIN_EMAIL, ADMIN_PASSWORD); // the refused password change changed nothing
    l = await api(srv, 'GET', '/api/v1/api-keys', { key: at });
    assert.equal(l.body.data.find((x) => x.id === k.id).revoked_at, null, 'the key did not revoke itself');

    // revoke
    const d = await api(srv, 'DELETE', `/api/v1/api-keys/${k.id}`, { key: at });
    assert.equal(d.status, 204, d.text);
    expectError(await api(srv, 'POST', '/api/v1/brands', { key: k.key, body: { name: `Revoked ${token()}` } }), 401, 'UNAUTHORIZED');
    expectError(await me(srv, k.key), 401, 'UNAUTHORIZED');
    l = await api(srv, 'GET', '/api/v1/api-keys', { key: at });
    assert.notEqual(l.body.data.find((x) => x.id === k.id).revoked_at, null, 'revoked_at shown');
    expectError(await api(srv, 'DELETE', '/api/v1/api-keys/key_0000000000000', { key: at }), 404, 'NOT_FOUND');

    // expiry
    expectError(await api(srv, 'POST', '/api/v1/api-keys', { key: at, body: { name: 'past', scopes: ['catalog:write'], expires_at: new Date(Date.now() - 60_000).toISOString() } }),
      422, 'VALIDATION_ERROR', 'expires_at');
    expectError(await api(srv, 'POST', '/api/v1/api-keys', { key: at, body: { name: 'garbage', scopes: ['catalog:write'], expires_at: 'tomorrow at noon please' } }),
      422, 'VALIDATION_ERROR', 'expires_at');
    const expiry = new Date(Date.now() + 3000);
    const e1 = await api(srv, 'POST', '/api/v1/api-keys', { key: at, body: { name: 'short lived, used', scopes: ['catalog:write'], expires_at: expiry.toISOString() } });
    assert.equal(e1.status, 201, e1.text);
    assert.ok(Math.abs(Date.parse(e1.body.expires_at) - expiry.getTime()) < 1000, `expires_at kept: ${e1.body.expires_at}`);
    const e2 = await api(srv, 'POST', '/api/v1/api-keys', { key: at, body: { name: 'short lived, unused', scopes: ['catalog:write'], expires_at: expiry.toISOString() } });
    assert.equal(e2.status, 201, e2.text);
    // used while still valid: once (that records last_used_at), then again a second later
    // (several times, so every server thread has verified it since the last write)
    const first = await api(srv, 'GET', '/api/v1/users/me', { key: e1.body.key });
    assert.equal(first.status, 200, `usable before it expires: ${first.text}`);
    await sleep(1000);
    for (let i = 0; i < 4; i++) {
      const again = await api(srv, 'GET', '/api/v1/users/me', { key: e1.body.key });
      assert.equal(again.status, 200, `usable before it expires: ${again.text}`);
    }
    await sleep(Math.max(0, expiry.getTime() - Date.now()) + 1500);
    for (const [kk, what] of [[e2.body.key, 'expired key never used'], [e1.body.key, 'expired key used before it expired']]) {
      for (let i = 0; i < 4; i++) {
        const r = await api(srv, 'GET', '/api/v1/users/me', { key: kk });
        assert.equal(r.status, 401, `${what} (request ${i + 1}): expected 401, got ${r.status}: ${r.text.slice(0, 300)}`);
      }
      const w = await api(srv, 'POST', '/api/v1/brands', { key: kk, body: { name: `Expired ${token()}` } });
      assert.equal(w.status, 401, `${what} (write): expected 401, got ${w.status}: ${w.text.slice(0, 300)}`);
    }
  });

  it('admin role changes cannot make impossible accounts (vendor without vendor, vendor of a non-vendor)', async () => {
    const vend = await api(srv, 'POST', '/api/v1/vendors', { key: true, body: { name: `Role Vendor ${token()}` } });
    assert.equal(vend.status, 201, vend.text);
    const vendorId = vend.body.id;
    const patch = (id, body) => api(srv, 'PATCH', `/api/v1/admin/users/${id}`, { key: true, body });
    const shape = async (id) => {
      const r = await api(srv, 'GET', `/api/v1/admin/users?limit=200`, { key: true });
      assert.equal(r.status, 200, r.text);
      const u = r.body.data.find((x) => x.id === id);
      return `${u.role}/${u.vendor_id}`;
    };
    const c = await register(srv);
    // a vendor needs a vendor
    expectError(await patch(c.user.id, { role: 'vendor' }), 422, 'VALIDATION_ERROR', 'vendor_id');
    expectError(await patch(c.user.id, { role: 'vendor', vendor_id: null }), 422, 'VALIDATION_ERROR', 'vendor_id');
    // a customer (or any role but vendor) belongs to no vendor
    expectError(await patch(c.user.id, { vendor_id: vendorId }), 422, 'VALIDATION_ERROR', 'vendor_id');
    for (const role of ['customer', 'inventory_manager', 'admin']) {
      expectError(await patch(c.user.id, { role, vendor_id: vendorId }), 422, 'VALIDATION_ERROR', 'vendor_id');
    }
    assert.equal(await shape(c.user.id), 'customer/null', 'the refusals changed nothing');
    // the possible changes work: vendor with its vendor, ...
    let r = await patch(c.user.id, { role: 'vendor', vendor_id: vendorId });
    assert.equal(r.status, 200, r.text);
    assert.equal(`${r.body.role}/${r.body.vendor_id}`, `vendor/${vendorId}`);
    // ... a vendor cannot lose its vendor, nor keep it under another role
    expectError(await patch(c.user.id, { vendor_id: null }), 422, 'VALIDATION_ERROR', 'vendor_id');
    expectError(await patch(c.user.id, { role: 'customer' }), 422, 'VALIDATION_ERROR', 'vendor_id');
    expectError(await patch(c.user.id, { role: 'inventory_manager' }), 422, 'VALIDATION_ERROR', 'vendor_id');
    assert.equal(await shape(c.user.id), `vendor/${vendorId}`);
    // status changes of a vendor leave it as it is
    r = await patch(c.user.id, { status: 'active' });
    assert.equal(r.status, 200, r.text);
    // back to customer, dropping the vendor in the same request
    r = await patch(c.user.id, { role: 'customer', vendor_id: null });
    assert.equal(r.status, 200, r.text);
    assert.equal(`${r.body.role}/${r.body.vendor_id}`, 'customer/null');
    // a vendor that does not exist is still named as such
    expectError(await patch(c.user.id, { role: 'vendor', vendor_id: 'vend_0000000000000' }), 422, 'VALIDATION_ERROR', 'vendor_id');
  });

  it('signing keys are encrypted at rest; a wrong or missing key refuses to start; rotate-encryption',
    { skip: ON_POSTGRES && 'the default key file lives beside a SQLite database file' }, async () => {
    const first = await startServer({ keepDir: true });
    const { dir, adminKey, dbPath } = first;
    const keyFile = `${dbPath}.key`;
    try {
      // zero configuration: a key file next to the database, for its owner only
      assert.ok(existsSync(keyFile), 'souk.db.key was made on first start');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      const kek = serverKek(first);
      const a = await register(first);
      await first.stop();

      // the raw database (sqlite3, and every byte of the file and its WAL) holds no private key in the clear
      const checkAtRest = (keyHex) => {
        const raw = rawDb(dbPath);
        for (const k of storedSigningKeys(dbPath)) {
          assert.match(k.kekId, /^[0-9a-f]{16}$/, `${k.kid} names the key that sealed it`);
          assert.equal(k.box.length, 24 + 64 + 16, `${k.kid}: nonce, sealed key, tag`);
          assert.equal(k.box.indexOf(k.pub), -1, `${k.kid}: not libsodium's seed || public key`);
          const secret = xchachaOpen(Buffer.from(keyHex, 'hex'), k.box, Buffer.from(k.kid));
          assert.ok(secret.subarray(32).equals(k.pub), `${k.kid} opens with the key to its own key pair`);
          assert.equal(raw.indexOf(secret.subarray(0, 32)), -1, `${k.kid}: its private seed appears nowhere in the database files`);
          assert.throws(() => xchachaOpen(Buffer.from(keyHex, 'hex'), k.box, Buffer.from('sig_other')), 'bound to its kid');
        }
      };
      checkAtRest(kek.toString('hex'));

      // a restart opens the keys again: tokens from before still verify, new ones are signed
      let s = await startServer({ dir, adminKey, keepDir: true });
      try {
        await works(s, a.access, a.user.id, 'a token signed before the restart');
        await loginOk(s, a.email, a.password);
      } finally {
        await s.stop();
      }

      // a wrong key, or none, refuses to start, and no new signing key replaces the old ones
      const before = sqlite(dbPath, `select kid || kek_id || ${hexOf(dbPath, 'secret_key')} from signing_keys order by kid`);
      const wrong = crypto.randomBytes(32).toString('hex');
      let r = await refusedServe(dbPath, { SOUK_KEY_ENCRYPTION_KEY: wrong });
      assert.match(r.stderr, /encrypted with key-encryption key kek_[0-9a-f]{16}, but the key given \(SOUK_KEY_ENCRYPTION_KEY\) is kek_/);
      r = await refusedServe(dbPath, { SOUK_KEY_ENCRYPTION_KEY: 'not a key' });
      assert.match(r.stderr, /SOUK_KEY_ENCRYPTION_KEY must be 64 hex digits/);
      renameSync(keyFile, `${keyFile}.away`);
      r = await refusedServe(dbPath);
      assert.match(r.stderr, /key file .*souk\.db\.key is missing/);
      assert.ok(!existsSync(keyFile), 'no new key file was made for a database whose keys are sealed');
      renameSync(`${keyFile}.away`, keyFile);
      assert.equal(sqlite(dbPath, `select kid || kek_id || ${hexOf(dbPath, 'secret_key')} from signing_keys order by kid`), before, 'the keys are untouched');

      // keys stored in the clear (by an older souk) are encrypted at the next start, and keep signing
      const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
      const jwk = privateKey.export({ format: 'jwk' });
      const seed = Buffer.from(jwk.d, 'base64url'), pub = Buffer.from(jwk.x, 'base64url');
      const legacy = 'sig_LEGACYKEY0001';
      sqlite(dbPath, `update signing_keys set retired_at = ${Date.now() * 1000} where retired_at is null;
        insert into signing_keys (kid, public_key, secret_key, created_at) values ('${legacy}', x'${pub.toString('hex')}', x'${Buffer.concat([seed, pub]).toString('hex')}', ${Date.now() * 1000});`);
      assert.ok(rawDb(dbPath).indexOf(seed) >= 0, 'control: the clear key is in the file before the start');
      s = await startServer({ dir, adminKey, keepDir: true });
      try {
        assert.ok(s.logs.some((l) => /encrypted 1 signing key/.test(l.message)), 'the start says it encrypted the clear key');
        const t = await loginOk(s, a.email, a.password);
        const d = decodeJwt(t.access_token);
        assert.equal(d.header.kid, legacy, 'the migrated key signs');
        assert.ok(crypto.verify(null, Buffer.from(d.signingInput), publicKey, d.signature), 'with the same key pair');
        await works(s, a.access, a.user.id, 'tokens of the earlier key still verify');
      } finally {
        await s.stop();
      }
      checkAtRest(kek.toString('hex'));
      assert.equal(rawDb(dbPath).indexOf(seed), -1, 'the clear seed is gone from the database files');

      // rotation: every key re-encrypted under a new key, given the old one once
      const fresh = await loginOk((s = await startServer({ dir, adminKey, keepDir: true })), a.email, a.password);
      await s.stop();
      const next = crypto.randomBytes(32).toString('hex');
      const n = storedSigningKeys(dbPath).length;
      r = await runSouk(['keys', 'rotate-encryption', '--db', dbPath, '--old-key-file', keyFile], { env: { SOUK_KEY_ENCRYPTION_KEY: next } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`re-encrypted ${n} signing keys .*\\(0 were under it already\\)`));
      r = await runSouk(['keys', 'rotate-encryption', '--db', dbPath], { env: { SOUK_KEY_ENCRYPTION_KEY: next, SOUK_OLD_KEY_ENCRYPTION_KEY: kek.toString('base64') } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`re-encrypted 0 signing keys .*\\(${n} were under it already\\)`), 'running it again is harmless');
      checkAtRest(next);
      // the old key no longer opens them: without the new one souk refuses to start
      r = await refusedServe(dbPath);
      assert.match(r.stderr, /a wrong key\?/);
      s = await startServer({ dir, adminKey, keepDir: true, env: { SOUK_KEY_ENCRYPTION_KEY: b64url(Buffer.from(next, 'hex')) } });
      try {
        await works(s, fresh.access_token, a.user.id, 'a token signed before the rotation of the encryption key');
        await loginOk(s, a.email, a.password);
      } finally {
        await s.stop();
      }
    } finally {
      await first.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('JWKS publishes the keys; rotation keeps old tokens valid', async () => {
    const a = await register(srv);
    const j = await api(srv, 'GET', '/.well-known/jwks.json');
    assert.equal(j.status, 200, j.text);
    assert.ok(Array.isArray(j.body.keys) && j.body.keys.length >= 1, 'keys listed');
    const { header } = decodeJwt(a.access);
    const oldKid = header.kid;
    const jwk = j.body.keys.find((k) => k.kid === oldKid);
    assert.ok(jwk, `the token's kid ${oldKid} is published`);
    assert.equal(jwk.kty, 'OKP');
    assert.equal(jwk.crv, 'Ed25519');
    assert.equal(jwk.alg, 'EdDSA');
    assert.ok(!('d' in jwk), 'no private part published');
    const verify = (jwt, k) => {
      const d = decodeJwt(jwt);
      return crypto.verify(null, Buffer.from(d.signingInput), crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.x }, format: 'jwk' }), d.signature);
    };
    assert.ok(verify(a.access, jwk), 'the published key verifies the access token');
    // the published key is the one in the database
    const pubHex = sqlite(srv.dbPath, `select ${hexOf(srv.dbPath, 'public_key')} from signing_keys where kid = '${oldKid.replace(/'/g, "''")}'`);
    assert.equal(Buffer.from(jwk.x, 'base64url').toString('hex').toUpperCase(), pubHex);

    const rot = await runSouk(['keys', 'rotate', '--db', srv.dbPath]);
    assert.equal(rot.code, 0, `souk keys rotate: ${rot.stderr}`);
    await sleep(1500); // the server notices writes by other processes within half a second

    await works(srv, a.access, a.user.id, 'a token signed before the rotation');
    const s = await loginOk(srv, a.email, a.password);
    const newKid = decodeJwt(s.access_token).header.kid;
    assert.notEqual(newKid, oldKid, 'new tokens carry the new kid');
    assert.ok(rot.stdout.includes(newKid), `souk keys rotate printed the new kid ${newKid}: ${rot.stdout}`);
    await works(srv, s.access_token, a.user.id, 'a token signed with the new key');
    const j2 = await api(srv, 'GET', '/.well-known/jwks.json');
    assert.equal(j2.status, 200, j2.text);
    const kids = j2.body.keys.map((k) => k.kid);
    assert.ok(kids.includes(oldKid), `old kid still published: ${kids}`);
    assert.ok(kids.includes(newKid), `new kid published: ${kids}`);
    assert.ok(verify(s.access_token, j2.body.keys.find((k) => k.kid === newKid)), 'the new published key verifies new tokens');
    // a refresh after the rotation signs with the new key too
    const r = await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } });
    assert.equal(r.status, 200, r.text);
    assert.equal(decodeJwt(r.body.access_token).header.kid, newKid);
  });
});
