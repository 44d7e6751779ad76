// The security perimeter (docs/auth.md): forged and tampered JWTs, sign-in
// throttling and rate limits, access to other users' objects (IDOR),
// injection payloads, and oversized / malformed bodies.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, runSouk, ADMIN_EMAIL, ADMIN_PASSWORD } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { sleep, token } from './lib/util.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableNames } from './lib/db.js';
import {
  email, password, register, login, loginOk, me, decodeJwt, b64url, b64urlJson, signEd25519, currentSigningKey, sqlite, totp,
} from './lib/auth_util.js';

const MAX_BODY = 4096;
const nowS = () => Math.floor(Date.now() / 1000);

describe('security', () => {
  let srv;

  before(async () => {
    srv = await startServer({ env: { SOUK_MAX_BODY: String(MAX_BODY) } });
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  const rejectedToken = async (jwt, what) => {
    const r = await me(srv, jwt);
    assert.equal(r.status, 401, `${what}: expected 401, got ${r.status}: ${r.text.slice(0, 300)}`);
    expectError(r, 401, 'UNAUTHORIZED');
    assert.match(r.headers.get('www-authenticate') || '', /^Bearer/, `${what}: WWW-Authenticate`);
    // and on a write route too
    const w = await api(srv, 'PATCH', '/api/v1/users/me', { key: jwt, body: { name: 'forged' } });
    assert.equal(w.status, 401, `${what} (PATCH): expected 401, got ${w.status}: ${w.text.slice(0, 300)}`);
  };

  // ---------------------------------------------------------------- JWT
  it('JWT: forged, tampered, expired and foreign tokens are refused', async () => {
    const v = await register(srv, { name: 'Victim' });
    const o = await register(srv, { name: 'Other' });
    const { header: vh, payload: vp } = decodeJwt(v.access);
    const { payload: op } = decodeJwt(o.access);
    const sk = currentSigningKey(srv);
    assert.equal(vh.kid, sk.kid, 'the token was signed with the current key from the database');
    // our reading of the key is right: the real token verifies with it
    assert.ok(crypto.verify(null, Buffer.from(decodeJwt(v.access).signingInput), crypto.createPublicKey(sk.key), decodeJwt(v.access).signature));

    const claims = (over = {}) => ({ iss: 'souk', sub: vp.sub, sid: vp.sid, iat: nowS(), nbf: nowS(), exp: nowS() + 600, jti: crypto.randomBytes(12).toString('hex'), ...over });
    const hdr = (over = {}) => ({ alg: 'EdDSA', typ: 'JWT', kid: sk.kid, ...over });

    // control: a validly signed token with good claims works, so the refusals below mean something
    const good = signEd25519(hdr(), claims(), sk.key);
    const c = await me(srv, good);
    assert.equal(c.status, 200, `control token: ${c.text}`);
    assert.equal(c.body.id, v.user.id);
    const c2 = await me(srv, signEd25519(hdr(), claims({ sub: op.sub, sid: op.sid }), sk.key));
    assert.equal(c2.status, 200, c2.text);
    assert.equal(c2.body.id, o.user.id, 'control token for the other user names the other user');

    // alg none (unsigned)
    const body = b64urlJson(claims());
    await rejectedToken(`${b64urlJson({ alg: 'none', typ: 'JWT' })}.${body}.`, 'alg none');
    await rejectedToken(`${b64urlJson({ alg: 'none', typ: 'JWT', kid: sk.kid })}.${body}.`, 'alg none with kid');
    await rejectedToken(`${b64urlJson({ alg: 'None', typ: 'JWT', kid: sk.kid })}.${body}.`, 'alg None');
    await rejectedToken(`${b64urlJson(hdr())}.${body}.`, 'EdDSA header without a signature');
    await rejectedToken(`${b64urlJson({ alg: 'none', kid: sk.kid })}.${body}.${good.split('.')[2]}`, 'alg none with a copied signature');

    // HS256 with the public key as the HMAC secret (raw bytes, and the base64url text of the JWK)
    for (const [secret, what] of [[sk.pub, 'raw public key'], [Buffer.from(b64url(sk.pub)), 'JWK x text']]) {
      const h = b64urlJson({ alg: 'HS256', typ: 'JWT', kid: sk.kid });
      const input = `${h}.${body}`;
      const sig = b64url(crypto.createHmac('sha256', secret).update(input).digest());
      await rejectedToken(`${input}.${sig}`, `HS256 keyed with the ${what}`);
    }

    // a signature from a different Ed25519 key (same kid)
    const { privateKey: foreign } = crypto.generateKeyPairSync('ed25519');
    await rejectedToken(signEd25519(hdr(), claims(), foreign), 'different Ed25519 key');

    // tampered payload: sub (and sid) changed, signature kept
    const [h0, , s0] = v.access.split('.');
    await rejectedToken(`${h0}.${b64urlJson({ ...vp, sub: op.sub })}.${s0}`, 'sub changed');
    await rejectedToken(`${h0}.${b64urlJson({ ...vp, sub: op.sub, sid: op.sid })}.${s0}`, 'sub and sid changed');
    await rejectedToken(`${h0}.${b64urlJson({ ...vp, exp: vp.exp + 86400 })}.${s0}`, 'exp extended');

    // claims: expired, not yet valid, wrong issuer, missing claims
    await rejectedToken(signEd25519(hdr(), claims({ iat: nowS() - 3600, nbf: nowS() - 3600, exp: nowS() - 60 }), sk.key), 'expired');
    await rejectedToken(signEd25519(hdr(), claims({ nbf: nowS() + 3600, exp: nowS() + 7200 }), sk.key), 'not yet valid (nbf 1 h ahead)');
    await rejectedToken(signEd25519(hdr(), claims({ iss: 'evil' }), sk.key), 'wrong issuer');
    const { exp, ...noExp } = claims();
    assert.ok(exp);
    await rejectedToken(signEd25519(hdr(), noExp, sk.key), 'no exp');
    await rejectedToken(signEd25519(hdr(), claims({ sid: 'ses_0000000000000' }), sk.key), 'a session that does not exist');
    await rejectedToken(signEd25519(hdr(), claims({ sid: op.sid }), sk.key), "another user's session");

    // unknown kid (validly signed with the real key)
    await rejectedToken(signEd25519(hdr({ kid: 'sig_0000000000000' }), claims(), sk.key), 'unknown kid');
    await rejectedToken(signEd25519(hdr({ kid: undefined }), claims(), sk.key), 'no kid');

    // the control still works after all that
    assert.equal((await me(srv, good)).status, 200);
    assert.equal((await me(srv, v.access)).status, 200, 'the real token still works');
  });

  it("JWT: tokens of deleted and disabled users are refused", async () => {
    const sk = currentSigningKey(srv);
    // deleted
    const d = await register(srv);
    const dp = decodeJwt(d.access).payload;
    const forgedD = signEd25519({ alg: 'EdDSA', typ: 'JWT', kid: sk.kid }, { ...dp, iat: nowS(), nbf: nowS(), exp: nowS() + 600 }, sk.key);
    assert.equal((await me(srv, forgedD)).status, 200, 'control: forged token of the user works before the deletion');
    const del = await api(srv, 'DELETE', '/api/v1/users/me', { key: d.access, body: { password: d.password } });
    assert.equal(del.status, 204, del.text);
    await rejectedToken(d.access, 'token of a deleted user');
    await rejectedToken(forgedD, 'validly signed token of a deleted user');
    await rejectedToken(signEd25519({ alg: 'EdDSA', typ: 'JWT', kid: sk.kid }, { ...dp, sid: 'ses_0000000000001', iat: nowS(), nbf: nowS(), exp: nowS() + 600 }, sk.key),
      'deleted user with a made-up session');
    expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: d.refresh } }), 401, 'UNAUTHORIZED');

    // disabled
    const x = await register(srv);
    const s = await loginOk(srv, x.email, x.password);
    const dis = await api(srv, 'PATCH', `/api/v1/admin/users/${x.user.id}`, { key: true, body: { status: 'disabled' } });
    assert.equal(dis.status, 200, dis.text);
    assert.equal(dis.body.status, 'disabled');
    await rejectedToken(x.access, 'token of a disabled user');
    await rejectedToken(s.access_token, 'second token of a disabled user');
    expectError(await login(srv, x.email, x.password), 401, 'INVALID_CREDENTIALS');
    expectError(await api(srv, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: s.refresh_token } }), 401, 'UNAUTHORIZED');
    // enabled again, signing in works again
    const en = await api(srv, 'PATCH', `/api/v1/admin/users/${x.user.id}`, { key: true, body: { status: 'active' } });
    assert.equal(en.status, 200, en.text);
    await loginOk(srv, x.email, x.password);
  });

  // ---------------------------------------------------------------- time: expiry and key grace
  // SOUK_TEST_CLOCK_OFFSET_S moves a server's clock, so time-bound rules are tested on a
  // restarted server over the same database instead of by waiting.
  const TTL_S = 15 * 60;
  const LEEWAY_S = 5;
  /** Runs FN with a server over DIR whose clock is OFFSET seconds ahead. */
  const atOffset = async (dir, adminKey, offset, fn) => {
    const s = await startServer({ dir, adminKey, keepDir: true, env: { SOUK_TEST_CLOCK_OFFSET_S: String(offset) } });
    try {
      assert.ok(s.logs.some((l) => l.level === 'warn' && /SOUK_TEST_CLOCK_OFFSET_S/.test(l.message)),
        'a moved clock is announced as a warning at start');
      return await fn(s);
    } finally {
      await s.stop();
    }
  };

  it('JWT: an access token is refused once its 15 minutes (and the leeway) are over', async () => {
    const first = await startServer({ keepDir: true });
    const { dir, adminKey } = first;
    try {
      const a = await register(first);
      assert.equal((await me(first, a.access)).status, 200);
      await first.stop();
      await atOffset(dir, adminKey, TTL_S - 30, async (s) => {
        const r = await me(s, a.access);
        assert.equal(r.status, 200, `30 s before it expires the token works: ${r.text}`);
      });
      await atOffset(dir, adminKey, TTL_S + LEEWAY_S + 1, async (s) => {
        expectError(await me(s, a.access), 401, 'UNAUTHORIZED');
        // the session itself lives on: its refresh token (7 days) gives a fresh access token
        const rt = await api(s, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } });
        assert.equal(rt.status, 200, rt.text);
        assert.equal((await me(s, rt.body.access_token)).status, 200, 'the refreshed token works');
      });
    } finally {
      await first.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('JWT: a rotated-out key verifies tokens during its grace period, and not after', async () => {
    const first = await startServer({ keepDir: true });
    const { dir, adminKey } = first;
    try {
      const a = await register(first);
      const { payload } = decodeJwt(a.access);
      const old = currentSigningKey(first);
      const rot = await runSouk(['keys', 'rotate', '--db', first.dbPath]);
      assert.equal(rot.code, 0, rot.stderr);
      const fresh = currentSigningKey(first);
      assert.notEqual(fresh.kid, old.kid);
      // tokens that outlive the grace period (exp in an hour) isolate the key's own lifetime
      const claims = { ...payload, iat: nowS(), nbf: nowS(), exp: nowS() + 3600, jti: crypto.randomBytes(12).toString('hex') };
      const byOld = signEd25519({ alg: 'EdDSA', typ: 'JWT', kid: old.kid }, claims, old.key);
      const byNew = signEd25519({ alg: 'EdDSA', typ: 'JWT', kid: fresh.kid }, claims, fresh.key);
      await sleep(1500); // the server notices the other process's rotation within half a second
      assert.equal((await me(first, byOld)).status, 200, 'just retired: the old key still verifies');
      await first.stop();
      const kids = async (s) => (await api(s, 'GET', '/.well-known/jwks.json')).body.keys.map((k) => k.kid);
      await atOffset(dir, adminKey, TTL_S - 30, async (s) => {
        assert.equal((await me(s, byOld)).status, 200, 'within the grace period');
        assert.ok((await kids(s)).includes(old.kid), 'published within the grace period');
      });
      await atOffset(dir, adminKey, TTL_S + LEEWAY_S + 5, async (s) => {
        const r = await me(s, byOld);
        assert.equal(r.status, 401, `past the grace period the old key verifies nothing: ${r.text}`);
        assert.equal((await me(s, byNew)).status, 200, 'the same claims signed by the current key work');
        const k = await kids(s);
        assert.ok(!k.includes(old.kid) && k.includes(fresh.kid), `only the current key is published: ${k}`);
      });
    } finally {
      await first.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // ---------------------------------------------------------------- brute force and rate limits
  it('sign-in throttle: 5 failures per account, 20 per address', async () => {
    const bf = await startServer({}); // the throttle is per process: a fresh one
    try {
      const a = await register(bf);
      const b = await register(bf);
      for (let i = 1; i <= 5; i++) {
        const r = await login(bf, a.email, `wrong password ${i}xx`);
        expectError(r, 401, 'INVALID_CREDENTIALS');
      }
      const sixth = await login(bf, a.email, a.password);
      expectError(sixth, 429, 'RATE_LIMITED');
      const ra = sixth.headers.get('retry-after');
      assert.match(ra || '', /^[1-9][0-9]*$/, `Retry-After on the 6th attempt: ${ra}`);
      assert.ok(Number(ra) <= 15 * 60, 'Retry-After within the 15-minute window');
      assert.ok(!('access_token' in sixth.body));
      expectError(await login(bf, a.email.toUpperCase(), a.password), 429, 'RATE_LIMITED'); // same account in capitals

      // another account from the same address still signs in
      const okB = await login(bf, b.email, b.password);
      assert.equal(okB.status, 200, `another account is not locked: ${okB.text}`);

      // 15 more failures from this address (unknown accounts count too) use up the address budget
      for (let i = 0; i < 15; i++) {
        const r = await login(bf, email('spray'), 'some password 123');
        expectError(r, 401, 'INVALID_CREDENTIALS');
      }
      const blocked = await login(bf, b.email, b.password);
      expectError(blocked, 429, 'RATE_LIMITED');
      assert.match(blocked.headers.get('retry-after') || '', /^[1-9][0-9]*$/, 'Retry-After once the address budget is used');
      // the address throttle applies to unknown accounts as well, before any password check
      expectError(await login(bf, email('late'), 'some password 123'), 429, 'RATE_LIMITED');
    } finally {
      await bf.stop();
    }
  });

  it('TOTP guessing: 5 wrong codes lock two-factor sign-in of the account for an hour, across restarts', async () => {
    const first = await startServer({ keepDir: true });
    const { dir, adminKey } = first;
    try {
      const a = await register(first);
      const e = await api(first, 'POST', '/api/v1/users/me/2fa/totp', { key: a.access });
      assert.equal(e.status, 200, e.text);
      const { secret } = e.body;
      const c = await api(first, 'POST', '/api/v1/users/me/2fa/totp/confirm', { key: a.access, body: { code: totp(secret, Date.now() - 30_000) } });
      assert.equal(c.status, 200, c.text);
      const recovery = c.body.recovery_codes;
      const valid = new Set([-2, -1, 0, 1, 2].map((k) => totp(secret, Date.now() + k * 30_000)));
      const wrong = [];
      for (let n = 123457; wrong.length < 5; n = (n + 99991) % 1_000_000) {
        const code = String(n).padStart(6, '0');
        if (!valid.has(code)) wrong.push(code);
      }
      // the password is right, the codes are not: four refusals, and the fifth locks
      for (const code of wrong.slice(0, 4)) expectError(await login(first, a.email, a.password, { totp_code: code }), 401, 'INVALID_CREDENTIALS');
      const lock = expectError(await login(first, a.email, a.password, { totp_code: wrong[4] }), 429, 'RATE_LIMITED');
      assert.match(lock.body.error.message, /two-factor/i);
      const retry = Number(lock.headers.get('retry-after'));
      assert.ok(retry > 3500 && retry <= 3600, `Retry-After says about an hour: ${retry}`);
      // audited, and the owner is told that someone knows the password
      await sleep(300);
      const audit = await api(first, 'GET', '/api/v1/admin/audit?action=auth.totp_locked', { key: true });
      assert.equal(audit.status, 200, audit.text);
      assert.ok(audit.body.data.some((x) => x.subject_user_id === a.user.id), `a security event about the account: ${audit.text}`);
      const mail = await api(first, 'GET', `/api/v1/admin/mail?to=${encodeURIComponent(a.email)}`, { key: true });
      assert.ok(mail.body.data.some((m) => /two-factor/i.test(m.subject) && /password/i.test(m.body)), `the owner is warned: ${mail.text}`);
      await first.stop();

      // a fresh process has forgotten the general throttle (memory), not the lock (database)
      const again = await startServer({ dir, adminKey, keepDir: true });
      try {
        const r = expectError(await login(again, a.email, a.password, { totp_code: totp(secret) }), 429, 'RATE_LIMITED');
        assert.match(r.body.error.message, /two-factor/i, 'the lock, not the general throttle');
        assert.ok(Number(r.headers.get('retry-after')) > 3000);
        // other checks of a code are locked too
        const t = (await login(again, a.email, a.password, { recovery_code: recovery[0] }));
        assert.equal(t.status, 200, `a recovery code still signs the owner in: ${t.text}`);
        expectError(await api(again, 'DELETE', '/api/v1/users/me/2fa/totp', { key: t.body.access_token, body: { password: a.password, totp_code: totp(secret, Date.now() + 30_000) } }),
          429, 'RATE_LIMITED');
      } finally {
        await again.stop();
      }
      // an hour later codes work again
      const later = 3600 + 60;
      await atOffset(dir, adminKey, later, async (s) => {
        const r = await login(s, a.email, a.password, { totp_code: totp(secret, Date.now() + later * 1000) });
        assert.equal(r.status, 200, `after the lock: ${r.text}`);
      });
    } finally {
      await first.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('password checks of a signed-in user: 5 failures per account, apart from sign-in', async () => {
    const bf = await startServer({}); // the throttle is per process: a fresh one
    try {
      const a = await register(bf);
      const change = (current) => api(bf, 'POST', '/api/v1/users/me/password',
        { key: a.access, body: { current_password: current, new_password: `${password()} new` } });
      for (let i = 1; i <= 5; i++) expectError(await change(`wrong password ${i}xx`), 422, 'VALIDATION_ERROR', 'current_password');
      // a stolen access token cannot go on guessing, not even with the erase route
      const sixth = await change(a.password);
      expectError(sixth, 429, 'RATE_LIMITED');
      assert.match(sixth.headers.get('retry-after') || '', /^[1-9][0-9]*$/, 'Retry-After');
      expectError(await api(bf, 'DELETE', '/api/v1/users/me', { key: a.access, body: { password: a.password } }), 429, 'RATE_LIMITED');
      assert.equal(sqlite(bf.dbPath, `select count(*) from users where email = '${a.email}'`), '1', 'not erased');
      // ... but cannot lock the owner out of signing in
      await loginOk(bf, a.email, a.password);
    } finally {
      await bf.stop();
    }
  });

  it('SOUK_RATE_LIMIT_AUTH: the 6th sign-in request in a minute is refused', async () => {
    const rl = await startServer({ env: { SOUK_RATE_LIMIT_AUTH: '5' } });
    try {
      const a = await register(rl); // request 1 of 5
      const remaining = [];
      for (let i = 0; i < 4; i++) {
        const r = await login(rl, a.email, a.password); // requests 2..5, all correct
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('ratelimit-limit'), '5', 'RateLimit-Limit');
        assert.match(r.headers.get('ratelimit-reset') || '', /^[0-9]+$/, 'RateLimit-Reset');
        remaining.push(Number(r.headers.get('ratelimit-remaining')));
      }
      assert.deepEqual(remaining, [3, 2, 1, 0], 'RateLimit-Remaining counts down');
      const r = await login(rl, a.email, a.password);
      expectError(r, 429, 'RATE_LIMITED');
      assert.match(r.headers.get('retry-after') || '', /^[1-9][0-9]*$/, 'Retry-After');
      assert.equal(r.headers.get('ratelimit-limit'), '5');
      assert.equal(r.headers.get('ratelimit-remaining'), '0');
      assert.match(r.headers.get('ratelimit-reset') || '', /^[0-9]+$/);
      // the other auth routes share the budget
      expectError(await api(rl, 'POST', '/api/v1/auth/register', { body: { email: email(), password: password() } }), 429, 'RATE_LIMITED');
      expectError(await api(rl, 'POST', '/api/v1/auth/password-reset', { body: { email: a.email } }), 429, 'RATE_LIMITED');
      expectError(await api(rl, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } }), 429, 'RATE_LIMITED');
      // other routes are not affected
      const m = await me(rl, a.access);
      assert.equal(m.status, 200, m.text);
    } finally {
      await rl.stop();
    }
  });

  it('SOUK_RATE_LIMIT_USER: the 4th authenticated request in a minute is refused', async () => {
    const rl = await startServer({ env: { SOUK_RATE_LIMIT_USER: '3' } });
    try {
      const a = await register(rl);
      const b = await register(rl);
      const remaining = [];
      for (let i = 0; i < 3; i++) {
        const r = await me(rl, a.access);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('ratelimit-limit'), '3');
        remaining.push(Number(r.headers.get('ratelimit-remaining')));
      }
      assert.deepEqual(remaining, [2, 1, 0]);
      const r = await me(rl, a.access);
      expectError(r, 429, 'RATE_LIMITED');
      assert.match(r.headers.get('retry-after') || '', /^[1-9][0-9]*$/, 'Retry-After');
      assert.equal(r.headers.get('ratelimit-remaining'), '0');
      expectError(await api(rl, 'PATCH', '/api/v1/users/me', { key: a.access, body: { name: 'over the limit' } }), 429, 'RATE_LIMITED');
      // another signed-in user has a budget of their own; anonymous reads are not counted against users
      const rb = await me(rl, b.access);
      assert.equal(rb.status, 200, rb.text);
      assert.equal(rb.body.id, b.user.id);
      const anon = await api(rl, 'GET', '/api/v1/products');
      assert.equal(anon.status, 200, anon.text);
      // the refused PATCH changed nothing
      const after = await me(rl, b.access);
      assert.equal(after.status, 200);
      assert.equal(sqlite(rl.dbPath, `select count(*) from users where name = 'over the limit'`), '0');
    } finally {
      await rl.stop();
    }
  });

  it('SOUK_RATE_LIMIT_IP: guessing API keys spends the address budget', async () => {
    const rl = await startServer({ env: { SOUK_RATE_LIMIT_IP: '3' } });
    try {
      for (let i = 0; i < 3; i++) {
        expectError(await api(rl, 'GET', '/api/v1/users/me', { key: `sk_guess_${i}` }), 401, 'UNAUTHORIZED');
      }
      // the 4th bad key is refused for the rate, not checked at all
      const r = await api(rl, 'GET', '/api/v1/users/me', { key: 'sk_guess_4' });
      expectError(r, 429, 'RATE_LIMITED');
      assert.match(r.headers.get('retry-after') || '', /^[1-9][0-9]*$/, 'Retry-After');
      // anonymous reads from the same address share that budget
      expectError(await api(rl, 'GET', '/api/v1/products'), 429, 'RATE_LIMITED');
    } finally {
      await rl.stop();
    }
  });

  // ---------------------------------------------------------------- IDOR
  it("IDOR: another user's sessions and API keys are out of reach", async () => {
    const a = await register(srv);
    const b = await register(srv);
    const b2 = await loginOk(srv, b.email, b.password);
    const bSid = decodeJwt(b2.access_token).payload.sid;

    // /users/me is always the caller
    assert.equal((await me(srv, a.access)).body.id, a.user.id);
    assert.equal((await me(srv, b.access)).body.id, b.user.id);

    const la = await api(srv, 'GET', '/api/v1/users/me/sessions', { key: a.access });
    assert.equal(la.status, 200, la.text);
    assert.ok(!la.body.data.some((s) => s.id === bSid || s.id === decodeJwt(b.access).payload.sid), "A's list holds none of B's sessions");
    assert.equal(la.body.data.length, 1, 'A sees only their own session');
    expectError(await api(srv, 'DELETE', `/api/v1/users/me/sessions/${bSid}`, { key: a.access }), 404, 'NOT_FOUND');
    assert.equal((await me(srv, b2.access_token)).status, 200, "B's session survives A's attempt");
    const lb = await api(srv, 'GET', '/api/v1/users/me/sessions', { key: b.access });
    assert.equal(lb.body.data.find((s) => s.id === bSid).revoked_at, null);

    // B gets a role that may hold a key, and makes one
    const role = await api(srv, 'PATCH', `/api/v1/admin/users/${b.user.id}`, { key: true, body: { role: 'inventory_manager' } });
    assert.equal(role.status, 200, role.text);
    const k = await api(srv, 'POST', '/api/v1/api-keys', { key: b.access, body: { name: `b key ${token()}`, scopes: ['analytics:read'] } });
    assert.equal(k.status, 201, k.text);
    expectError(await api(srv, 'DELETE', `/api/v1/api-keys/${k.body.id}`, { key: a.access }), 404, 'NOT_FOUND');
    const ka = await api(srv, 'GET', '/api/v1/api-keys', { key: a.access });
    assert.equal(ka.status, 200, ka.text);
    assert.ok(!ka.body.data.some((x) => x.id === k.body.id), "A's key list holds none of B's keys");
    const kb = await me(srv, k.body.key);
    assert.equal(kb.status, 200, `B's key still works: ${kb.text}`);
    assert.equal(kb.body.id, b.user.id, '/users/me with B\'s key is B');
    const lk = await api(srv, 'GET', '/api/v1/api-keys', { key: b.access });
    assert.equal(lk.body.data.find((x) => x.id === k.body.id).revoked_at, null);
    // nor the admin's key
    const adm = await loginOk(srv, ADMIN_EMAIL, ADMIN_PASSWORD);
    const adminKeys = await api(srv, 'GET', '/api/v1/api-keys', { key: adm.access_token });
    assert.equal(adminKeys.status, 200, adminKeys.text);
    assert.equal(adminKeys.body.data.length, 1, 'the admin has one key (from souk user create)');
    const adminKeyId = adminKeys.body.data[0].id;
    expectError(await api(srv, 'DELETE', `/api/v1/api-keys/${adminKeyId}`, { key: a.access }), 404, 'NOT_FOUND');
    expectError(await api(srv, 'DELETE', `/api/v1/api-keys/${adminKeyId}`, { key: b.access }), 404, 'NOT_FOUND');
    // an API key cannot manage keys at all, its owner's or anyone else's
    expectError(await api(srv, 'DELETE', `/api/v1/api-keys/${adminKeyId}`, { key: k.body.key }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'DELETE', `/api/v1/api-keys/${k.body.id}`, { key: srv.adminKey }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'DELETE', `/api/v1/users/me/sessions/${bSid}`, { key: srv.adminKey }), 403, 'FORBIDDEN');
    assert.equal((await me(srv, k.body.key)).status, 200, "B's key survives");
    assert.equal((await api(srv, 'GET', '/api/v1/admin/users', { key: true })).status, 200, 'the admin key still works');
    // a customer is not an admin
    expectError(await api(srv, 'GET', '/api/v1/admin/users', { key: a.access }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'PATCH', `/api/v1/admin/users/${a.user.id}`, { key: a.access, body: { role: 'admin' } }), 403, 'FORBIDDEN');
    assert.equal((await me(srv, a.access)).body.role, 'customer');
  });

  it("IDOR: a vendor cannot touch another vendor's products", async () => {
    const mkVendor = async (n) => {
      const r = await api(srv, 'POST', '/api/v1/vendors', { key: true, body: { name: `Vendor ${n} ${token()}` } });
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    const v1 = await mkVendor(1);
    const v2 = await mkVendor(2);
    const u1 = await register(srv);
    const u2 = await register(srv);
    for (const [u, v] of [[u1, v1], [u2, v2]]) {
      const r = await api(srv, 'PATCH', `/api/v1/admin/users/${u.user.id}`, { key: true, body: { role: 'vendor', vendor_id: v.id } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.role, 'vendor');
      assert.equal(r.body.vendor_id, v.id);
    }
    const mkProduct = async (u, tag) => {
      const r = await api(srv, 'POST', '/api/v1/products', {
        key: u.access,
        body: { title: `Vendor product ${tag} ${token()}`, status: 'active', variants: [{ sku: `SKU-${tag}-${token()}`, prices: [{ amount: 1000, currency: 'USD' }] }] },
      });
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    const p1 = await mkProduct(u1, 'a');
    const p2 = await mkProduct(u2, 'b');
    assert.equal(p1.vendor.id, v1.id, "a vendor's product belongs to their vendor");
    assert.equal(p2.vendor.id, v2.id);
    const var2 = p2.variants[0].id;
    const read2 = async () => {
      const r = await api(srv, 'GET', `/api/v1/products/${p2.id}`, { key: true });
      assert.equal(r.status, 200, r.text);
      return r.body;
    };
    const before2 = await read2();

    for (const [method, path, body] of [
      ['PATCH', `/api/v1/products/${p2.id}`, { title: 'Hijacked' }],
      ['DELETE', `/api/v1/products/${p2.id}`, undefined],
      ['POST', `/api/v1/products/${p2.id}/variants`, { sku: `INTRUDER-${token()}` }],
      ['PATCH', `/api/v1/variants/${var2}`, { title: 'Hijacked variant' }],
      ['DELETE', `/api/v1/variants/${var2}`, undefined],
      ['PUT', `/api/v1/variants/${var2}/prices/USD`, { amount: 1 }],
      ['PUT', `/api/v1/variants/${var2}/prices/EUR`, { amount: 1 }],
      ['DELETE', `/api/v1/variants/${var2}/prices/USD`, undefined],
    ]) {
      const r = await api(srv, method, path, { key: u1.access, body });
      assert.equal(r.status, 404, `${method} ${path} by another vendor: expected 404, got ${r.status}: ${r.text.slice(0, 300)}`);
      expectError(r, 404, 'NOT_FOUND');
    }
    // nor move products between vendors
    expectError(await api(srv, 'POST', '/api/v1/products', { key: u1.access, body: { title: `Planted ${token()}`, vendor_id: v2.id } }), 422, 'VALIDATION_ERROR', 'vendor_id');
    expectError(await api(srv, 'PATCH', `/api/v1/products/${p1.id}`, { key: u1.access, body: { vendor_id: v2.id } }), 422, 'VALIDATION_ERROR', 'vendor_id');
    assert.deepEqual(await read2(), before2, "the other vendor's product is unchanged");
    // taxonomy needs catalog:write
    expectError(await api(srv, 'POST', '/api/v1/categories', { key: u1.access, body: { name: 'Vendor category' } }), 403, 'FORBIDDEN');
    // a customer cannot create products at all
    const cust = await register(srv);
    expectError(await api(srv, 'POST', '/api/v1/products', { key: cust.access, body: { title: 'Customer product' } }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'PATCH', `/api/v1/products/${p1.id}`, { key: cust.access, body: { title: 'Customer edit' } }), 403, 'FORBIDDEN');

    // but the vendor manages their own
    let r = await api(srv, 'PATCH', `/api/v1/products/${p1.id}`, { key: u1.access, body: { title: 'Renamed by owner' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.title, 'Renamed by owner');
    r = await api(srv, 'POST', `/api/v1/products/${p1.id}/variants`, { key: u1.access, body: { sku: `OWN-${token()}` } });
    assert.equal(r.status, 201, r.text);
    const ownVar = r.body.id;
    r = await api(srv, 'PATCH', `/api/v1/variants/${ownVar}`, { key: u1.access, body: { title: 'Own variant' } });
    assert.equal(r.status, 200, r.text);
    r = await api(srv, 'PUT', `/api/v1/variants/${ownVar}/prices/EUR`, { key: u1.access, body: { amount: 1234 } });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.prices.some((m) => m.currency === 'EUR' && m.amount === 1234));
    r = await api(srv, 'DELETE', `/api/v1/variants/${ownVar}/prices/EUR`, { key: u1.access });
    assert.equal(r.status, 200, r.text);
    r = await api(srv, 'DELETE', `/api/v1/variants/${ownVar}`, { key: u1.access });
    assert.equal(r.status, 200, r.text);
    r = await api(srv, 'DELETE', `/api/v1/products/${p1.id}`, { key: u1.access });
    assert.ok([200, 204].includes(r.status), `DELETE own product: ${r.status} ${r.text}`);
    // the other vendor's product is still there, untouched
    assert.deepEqual(await read2(), before2);
  });

  // ---------------------------------------------------------------- injection
  const PAYLOADS = [
    "'); DROP TABLE users;--",
    '<script>alert(1)</script>',
    '" OR 1=1 --',
    "' OR '1'='1",
    'Robert\'); DROP TABLE products;--',
    '{{7*7}} ${7*7} %s%n',
    '\\"; \\u0000 </script><b>',
    'ünï "cödé" \u2028\u2029 ok',
  ];

  const checkJson = (r, what) => {
    assert.match(r.headers.get('content-type') || '', /^application\/json\b/i, `${what}: Content-Type`);
    assert.equal((r.headers.get('x-content-type-options') || '').toLowerCase(), 'nosniff', `${what}: X-Content-Type-Options`);
  };
  // the raw body holds the value as a JSON string literal (quotes and backslashes escaped;
  // "/" and non-ASCII characters may or may not be escaped)
  const escapedIn = (text, s) => {
    const js = JSON.stringify(s).slice(1, -1);
    const ascii = (t, hex) => t.replace(/[\u0080-\uffff]/g, (c) => '\\u' + hex(c.charCodeAt(0).toString(16).padStart(4, '0')));
    const forms = [];
    for (const base of [js, js.replace(/\//g, '\\/')]) {
      forms.push(base, ascii(base, (h) => h), ascii(base, (h) => h.toUpperCase()));
    }
    return forms.some((f) => text.includes(f));
  };
  const tablesIntact = () => {
    const t = sqlite(srv.dbPath, tableNames(srv.dbPath)).split('\n');
    for (const name of ['users', 'products', 'product_attributes', 'variants', 'sessions', 'api_keys', 'audit_log', 'consents']) {
      assert.ok(t.includes(name), `table ${name} still exists: ${t.join(', ')}`);
    }
  };
  const sq = (s) => `'${s.replace(/'/g, "''")}'`;

  it('audit anchors: a scheduled job appends SEQ:HASH to SOUK_AUDIT_ANCHOR_FILE and mails it to the admins', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'souk-anchor-')); // somewhere else than the database
    const file = path.join(outside, 'anchors.log');
    const s = await startServer({ env: { SOUK_AUDIT_ANCHOR_FILE: file, SOUK_AUDIT_ANCHOR_MAIL: '1' } });
    try {
      assert.equal(sqlite(s.dbPath, "select cron from job_schedules where kind = 'audit.anchor'"), '0 * * * *', 'hourly');
      for (const name of ['Anchor A', 'Anchor B']) {
        assert.equal((await api(s, 'POST', '/api/v1/brands', { key: true, body: { name: `${name} ${token()}` } })).status, 201);
      }
      await sleep(300); // audit entries are appended after the response
      const lines = async (n) => {
        for (let i = 0; i < 100; i++) {
          const l = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
          if (l.length >= n) return l;
          await sleep(100);
        }
        assert.fail(`${file} did not get ${n} line(s)`);
      };
      sqlite(s.dbPath, "UPDATE job_schedules SET next_run_at = 0 WHERE kind = 'audit.anchor'");
      const [line] = await lines(1);
      const m = line.match(/^(\S+) ((\d+):([0-9a-f]{64}))$/);
      assert.ok(m, `a line "TIME SEQ:HASH": ${line}`);
      assert.ok(Math.abs(Date.parse(m[1]) - Date.now()) < 60_000, `the time of writing: ${m[1]}`);
      const head = await runSouk(['audit', 'head', '--db', s.dbPath]);
      assert.equal(head.code, 0, head.stderr);
      assert.ok(Number(m[3]) >= 2, 'it names a real entry');
      // the anchor is what `souk audit head` printed then, and `verify --anchor` accepts it
      assert.equal(sqlite(s.dbPath, `select hash from audit_log where seq = ${m[3]}`), m[4]);
      const v = await runSouk(['audit', 'verify', '--db', s.dbPath, '--anchor', m[2]]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /^audit log intact: \d+ entries$/m);
      // the admins get it by mail too
      let mail = [];
      for (let i = 0; i < 50 && !mail.length; i++) {
        mail = (await api(s, 'GET', `/api/v1/admin/mail?to=${encodeURIComponent(ADMIN_EMAIL)}`, { key: true })).body.data
          .filter((x) => x.body.includes(m[2]));
        if (!mail.length) await sleep(100);
      }
      assert.equal(mail.length, 1, 'one mail to the admin holds the anchor');
      assert.match(mail[0].subject, /audit/i);
      // the next run appends; lines already written stay as they are
      assert.equal((await api(s, 'POST', '/api/v1/brands', { key: true, body: { name: `Anchor C ${token()}` } })).status, 201);
      await sleep(300);
      sqlite(s.dbPath, "UPDATE job_schedules SET next_run_at = 0 WHERE kind = 'audit.anchor'");
      const two = await lines(2);
      assert.equal(two[0], line);
      assert.ok(Number(two[1].split(' ')[1].split(':')[0]) > Number(m[3]), 'a newer head');
    } finally {
      await s.stop();
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('injection payloads are stored and returned verbatim', async () => {
    const usersBefore = Number(sqlite(srv.dbPath, 'select count(*) from users'));
    let made = 0;
    for (const p of PAYLOADS) {
      const phone = p.slice(0, 40);
      const r = await api(srv, 'POST', '/api/v1/auth/register', { body: { email: email('inj'), password: password(), name: p, phone } });
      assert.equal(r.status, 201, `register with ${JSON.stringify(p)}: ${r.text}`);
      made++;
      checkJson(r, 'register');
      assert.equal(r.body.user.name, p);
      assert.equal(r.body.user.phone, phone);
      assert.ok(escapedIn(r.text, p), `JSON-escaped in the raw body: ${r.text.slice(0, 300)}`);
      const g = await me(srv, r.body.access_token);
      checkJson(g, 'GET /users/me');
      assert.equal(g.body.name, p);
      assert.equal(g.body.phone, phone);
      assert.equal(sqlite(srv.dbPath, `select count(*) from users where name = ${sq(p)} and phone = ${sq(phone)}`), '1', `stored verbatim: ${p}`);

      // profile PATCH with the payload swapped between the fields
      const q = await api(srv, 'PATCH', '/api/v1/users/me', { key: r.body.access_token, body: { name: `x${p}x`, phone: phone.slice(0, 38) + '--' } });
      assert.equal(q.status, 200, q.text);
      checkJson(q, 'PATCH /users/me');
      assert.equal(q.body.name, `x${p}x`);
      assert.equal(q.body.phone, phone.slice(0, 38) + '--');
      assert.equal((await me(srv, r.body.access_token)).body.name, `x${p}x`);

      // sign-in with payloads as address and password: just wrong credentials
      expectError(await login(srv, p, p.padEnd(10, '!')), 401, 'INVALID_CREDENTIALS');
    }
    tablesIntact();
    assert.equal(Number(sqlite(srv.dbPath, 'select count(*) from users')), usersBefore + made, 'one row per registration, nothing else');

    // product text fields (admin)
    for (const p of PAYLOADS) {
      const body = { title: `T ${p}`, description: `D ${p}\n${p}`, status: 'active', attributes: { color: p, note: `${p}${p}`.slice(0, 200) } };
      const r = await api(srv, 'POST', '/api/v1/products', { key: true, body });
      assert.equal(r.status, 201, `product with ${JSON.stringify(p)}: ${r.text}`);
      checkJson(r, 'POST /products');
      assert.equal(r.body.title, body.title);
      assert.equal(r.body.description, body.description);
      assert.deepEqual(r.body.attributes, body.attributes);
      assert.ok(escapedIn(r.text, body.title), `title JSON-escaped in the raw body: ${r.text.slice(0, 300)}`);
      assert.ok(escapedIn(r.text, body.description), 'description JSON-escaped in the raw body');
      const g = await api(srv, 'GET', `/api/v1/products/${r.body.id}`);
      assert.equal(g.status, 200, g.text);
      checkJson(g, 'GET /products/{id}');
      assert.equal(g.body.title, body.title);
      assert.equal(g.body.description, body.description);
      assert.deepEqual(g.body.attributes, body.attributes);
      // the attribute filter takes the payload as a plain value
      const f = await api(srv, 'GET', `/api/v1/products?attr.color=${encodeURIComponent(p)}&limit=100`);
      assert.equal(f.status, 200, f.text);
      assert.ok(f.body.data.some((x) => x.id === r.body.id), `filter by the payload finds the product (${p})`);
      assert.ok(f.body.data.every((x) => x.id === r.body.id || x.title.includes(p)), 'the filter matches nothing else');
    }
    tablesIntact();
    assert.ok(Number(sqlite(srv.dbPath, 'select count(*) from products')) >= PAYLOADS.length);
  });

  // ---------------------------------------------------------------- malformed bodies
  it('oversized and malformed bodies change nothing', async () => {
    const json = { 'Content-Type': 'application/json' };
    const userByEmail = async (addr) => {
      const r = await api(srv, 'GET', `/api/v1/admin/users?email=${encodeURIComponent(addr)}`, { key: true });
      assert.equal(r.status, 200, r.text);
      return r.body.data;
    };
    const deep = (n) => '['.repeat(n) + ']'.repeat(n);
    const cases = (base) => [
      ['oversized', 413, 'PAYLOAD_TOO_LARGE', { rawBody: JSON.stringify({ ...base, name: 'n'.repeat(MAX_BODY + 10) }), headers: json }],
      ['invalid JSON', 400, 'MALFORMED_JSON', { rawBody: JSON.stringify(base).slice(0, -1), headers: json }],
      ['trailing garbage', 400, 'MALFORMED_JSON', { rawBody: JSON.stringify(base) + 'x', headers: json }],
      ['deep nesting', 400, 'MALFORMED_JSON', { rawBody: JSON.stringify(base).slice(0, -1) + `,"extra":${deep(500)}}`, headers: json }],
      ['not an object', null, null, { rawBody: JSON.stringify([base]), headers: json }],
      ['text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE', { rawBody: JSON.stringify(base), headers: { 'Content-Type': 'text/plain' } }],
      ['form encoded', 415, 'UNSUPPORTED_MEDIA_TYPE', { rawBody: new URLSearchParams(base).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }],
      ['no content type', 415, 'UNSUPPORTED_MEDIA_TYPE', { rawBody: JSON.stringify(base), headers: {} }],
      ['empty body', 400, 'MALFORMED_JSON', { rawBody: '', headers: json }],
      ['duplicate keys', null, null, { rawBody: JSON.stringify(base).slice(0, -1) + `,"name":"dup1","name":"dup2"}`, headers: json }],
      ['invalid UTF-8', null, null, { rawBody: Buffer.concat([Buffer.from(JSON.stringify(base).slice(0, -1) + ',"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), headers: json }],
    ];
    const send = async (path, key, c) => {
      const [what, status, code, opts] = c;
      const r = await api(srv, path === '/api/v1/users/me' ? 'PATCH' : 'POST', path, { key, ...opts });
      assert.ok(r.status >= 400 && r.status < 500, `${path} ${what}: expected 4xx, got ${r.status}: ${r.text.slice(0, 300)}`);
      if (status) expectError(r, status, code);
      return r;
    };

    // register
    const addr = email('malformed');
    const base = { email: addr, password: password(), name: 'Malformed Test' };
    for (const c of cases(base)) {
      await send('/api/v1/auth/register', undefined, c);
      assert.deepEqual(await userByEmail(addr), [], `register ${c[0]}: no account was created`);
    }
    for (const [extra, field] of [[{ role: 'admin' }, 'role'], [{ status: 'active', role: 'admin' }, 'status'], [{ vendor_id: 'vend_0000000000000' }, 'vendor_id'], [{ is_admin: true }, 'is_admin']]) {
      expectError(await api(srv, 'POST', '/api/v1/auth/register', { body: { ...base, ...extra } }), 422, 'VALIDATION_ERROR', field);
      assert.deepEqual(await userByEmail(addr), [], `register with ${field}: no account was created`);
    }

    // login: an account exists; no malformed request signs in or counts against it
    const a = await register(srv, { name: 'Profile Owner', phone: '+1 555 0123' });
    for (const c of cases({ email: a.email, password: a.password })) {
      const r = await send('/api/v1/auth/login', undefined, c);
      assert.ok(!(r.body && r.body.access_token), `login ${c[0]}: no tokens`);
    }
    expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: a.email, password: a.password, remember_me: true } }), 422, 'VALIDATION_ERROR', 'remember_me');
    await loginOk(srv, a.email, a.password); // still signs in: nothing was throttled or changed

    // profile
    const snapshot = (await me(srv, a.access)).body;
    for (const c of cases({ name: 'Changed Name', phone: '+1 555 9999' })) {
      await send('/api/v1/users/me', a.access, c);
      assert.deepEqual((await me(srv, a.access)).body, snapshot, `profile ${c[0]}: unchanged`);
    }
    for (const [body, field] of [[{ role: 'admin' }, 'role'], [{ name: 'ok', email: email('x') }, 'email'], [{ name: 'ok', password_hash: 'x' }, 'password_hash'],
      [{ name: ['a'] }, 'name'], [{ phone: { n: 1 } }, 'phone'], [{ name: null }, 'name']]) {
      expectError(await api(srv, 'PATCH', '/api/v1/users/me', { key: a.access, body }), 422, 'VALIDATION_ERROR', field);
      assert.deepEqual((await me(srv, a.access)).body, snapshot, `profile with ${field}: unchanged`);
    }
    assert.equal(sqlite(srv.dbPath, `select role || '|' || name || '|' || phone from users where email = ${sq(a.email)}`), 'customer|Profile Owner|+1 555 0123');
  });
});
