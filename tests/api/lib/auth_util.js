// Helpers for the account/security tests: accounts, TOTP codes (RFC 6238),
// JWT decoding and forging, sqlite3 access to a test server's database, and
// its signing keys, opened with its key-encryption key (XChaCha20-Poly1305).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { api } from './client.js';
import { token } from './util.js';

/** A distinctive, valid e-mail address (lower case). */
export function email(tag = 'u') {
  return `${tag}-${token()}-${crypto.randomBytes(3).toString('hex')}@example.com`;
}

/** A password that satisfies the rules (10-128 characters, not the address). */
export function password() {
  return `pw ${crypto.randomBytes(9).toString('base64url')} ok`;
}

/** POST /auth/register; asserts 201 and returns {email, password, tokens, user, access, refresh}. */
export async function register(srv, extra = {}, opts = {}) {
  const body = { email: email(), password: password(), ...extra };
  const r = await api(srv, 'POST', '/api/v1/auth/register', { body, headers: opts.headers });
  assert.equal(r.status, 201, `register ${body.email}: ${r.text}`);
  return { email: body.email, password: body.password, tokens: r.body, user: r.body.user, access: r.body.access_token, refresh: r.body.refresh_token };
}

/** POST /auth/login; returns the raw response. */
export function login(srv, emailAddr, pw, extra = {}, opts = {}) {
  return api(srv, 'POST', '/api/v1/auth/login', { body: { email: emailAddr, password: pw, ...extra }, headers: opts.headers });
}

/** login that must succeed; returns the token body. */
export async function loginOk(srv, emailAddr, pw, extra = {}, opts = {}) {
  const r = await login(srv, emailAddr, pw, extra, opts);
  assert.equal(r.status, 200, `login ${emailAddr}: ${r.text}`);
  return r.body;
}

/** GET /users/me with a credential; returns the response. */
export function me(srv, cred) {
  return api(srv, 'GET', '/api/v1/users/me', { key: cred });
}

// ---------------------------------------------------------------- base32 / TOTP

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(s) {
  const clean = s.replace(/=+$/, '').replace(/\s+/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${JSON.stringify(ch)} in ${s}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP: HMAC-SHA1, 30-second steps, 6 digits, base32 secret. */
export function totp(secret, timeMs = Date.now(), step = 30, digits = 6) {
  const key = base32Decode(secret);
  const counter = Math.floor(timeMs / 1000 / step);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = crypto.createHmac('sha1', key).update(msg).digest();
  const off = h[h.length - 1] & 0x0f;
  const bin = ((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3];
  return String(bin % 10 ** digits).padStart(digits, '0');
}

// ---------------------------------------------------------------- JWT

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const b64urlJson = (obj) => b64url(Buffer.from(JSON.stringify(obj)));

export function decodeJwt(jwt) {
  const parts = jwt.split('.');
  assert.equal(parts.length, 3, `a JWT has three parts: ${jwt}`);
  return {
    header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
    signature: Buffer.from(parts[2], 'base64url'),
    signingInput: `${parts[0]}.${parts[1]}`,
  };
}

/** Ed25519 KeyObject from libsodium's 64-byte secret key (seed || public). */
export function ed25519FromSodium(secretKey) {
  assert.equal(secretKey.length, 64, 'libsodium Ed25519 secret keys are 64 bytes');
  const seed = secretKey.subarray(0, 32);
  const pub = secretKey.subarray(32);
  const key = crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: b64url(pub) }, format: 'jwk' });
  return { key, pub: Buffer.from(pub) };
}

/** Signs header.payload with an Ed25519 private KeyObject. */
export function signEd25519(header, payload, key) {
  const input = `${b64urlJson(header)}.${b64urlJson(payload)}`;
  return `${input}.${b64url(crypto.sign(null, Buffer.from(input), key))}`;
}

// ---------------------------------------------------------------- sqlite3

/** Runs SQL on DB (sqlite3, or psql for a PostgreSQL test server); returns stdout (trimmed). */
import { sql as sqlite, hexOf, isPostgres } from './db.js';
export { sqlite };

// ---------------------------------------------------------------- signing keys at rest

const rotl = (v, c) => ((v << c) | (v >>> (32 - c))) >>> 0;
function quarter(s, a, b, c, d) {
  s[a] += s[b]; s[d] = rotl(s[d] ^ s[a], 16);
  s[c] += s[d]; s[b] = rotl(s[b] ^ s[c], 12);
  s[a] += s[b]; s[d] = rotl(s[d] ^ s[a], 8);
  s[c] += s[d]; s[b] = rotl(s[b] ^ s[c], 7);
}

/** HChaCha20 (draft-irtf-cfrg-xchacha §2.2): a 32-byte subkey from KEY and 16 bytes of nonce. */
function hchacha20(key, nonce16) {
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  for (let i = 0; i < 8; i++) s[4 + i] = key.readUInt32LE(4 * i);
  for (let i = 0; i < 4; i++) s[12 + i] = nonce16.readUInt32LE(4 * i);
  for (let i = 0; i < 10; i++) {
    quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13); quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15);
    quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12); quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14);
  }
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) { out.writeUInt32LE(s[i], 4 * i); out.writeUInt32LE(s[12 + i], 16 + 4 * i); }
  return out;
}

/** Opens an XChaCha20-Poly1305 box (24-byte nonce || ciphertext || 16-byte tag) with KEY and AAD; throws when it does not open. */
export function xchachaOpen(key, box, aad) {
  const nonce = box.subarray(0, 24);
  const ct = box.subarray(24, box.length - 16);
  const d = crypto.createDecipheriv('chacha20-poly1305', hchacha20(key, nonce.subarray(0, 16)),
    Buffer.concat([Buffer.alloc(4), nonce.subarray(16)]), { authTagLength: 16 });
  d.setAAD(aad, { plaintextLength: ct.length });
  d.setAuthTag(box.subarray(box.length - 16));
  return Buffer.concat([d.update(ct), d.final()]);
}

/** The key-encryption key of a test server: HEX if given, else its default key file DIR/souk.db.key
 * (on PostgreSQL, the SOUK_KEY_FILE the test server was given: DIR/key). */
export function serverKek(srv, hex) {
  const file = isPostgres(srv.dbPath) ? `${srv.dir}/key` : `${srv.dbPath}.key`;
  return Buffer.from((hex || readFileSync(file, 'utf8')).trim(), 'hex');
}

/** Every stored signing key: [{kid, pub, box, kekId, retired}] as the raw database holds them. */
export function storedSigningKeys(dbPath) {
  const out = sqlite(dbPath, `select kid, ${hexOf(dbPath, 'public_key')}, ${hexOf(dbPath, 'secret_key')}, kek_id, `
    + "coalesce(CAST(retired_at AS TEXT), '') from signing_keys order by created_at");
  return out.split('\n').filter(Boolean).map((l) => {
    const [kid, pub, box, kekId, retired] = l.split('|');
    return { kid, pub: Buffer.from(pub, 'hex'), box: Buffer.from(box, 'hex'), kekId, retired };
  });
}

/** The current signing key of a test server, opened with its KEK (serverKek): {kid, key (KeyObject), pub, secret}. */
export function currentSigningKey(srv, kekHex) {
  const live = storedSigningKeys(srv.dbPath).filter((k) => k.retired === '');
  assert.equal(live.length, 1, `exactly one unretired signing key: ${JSON.stringify(live.map((k) => k.kid))}`);
  const [{ kid, box }] = live;
  const secret = xchachaOpen(serverKek(srv, kekHex), box, Buffer.from(kid));
  return { kid, secret, ...ed25519FromSodium(secret) };
}

/** A unique random text for PII checks (letters and digits only). */
export function distinctive(tag) {
  return `${tag}${crypto.randomBytes(8).toString('hex')}`;
}
