// Malformed JSON bodies: every refusal is a 400 MALFORMED_JSON with one stable
// message, and the position a client can use in details ({field: "body"}); no
// parser internals (jansson's flags, "line -1 column -1", "near '…'") and
// never a snippet of the body. On an inline route, a route on the blocking
// pool, a guest route and the signed payment webhook.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import crypto from 'node:crypto';

const STABLE = 'The request body is not valid JSON.';
const MARK = 'SECRETZ'; // in every body: must never come back
const JANSSON = /JSON_[A-Z_]+|jansson|line -?\d+|column -?\d+|near '|end of file|invalid token|\btoken\b|without JSON|<buffer>/i;
const WEBHOOK_SECRET = 'whsec_json_errors';

const deep = `{"title":"${MARK}","attributes":{"a":${'['.repeat(40)}${']'.repeat(40)}}}`;

// [what, body (string or Buffer), what details[0].message must say]
const CASES = [
  ['truncated JSON', `{"title": "${MARK}`, /^the body ends before the JSON value is complete \(at byte \d+\)$/],
  ['truncated after a key', `{"${MARK}":`, /^the body ends before the JSON value is complete \(at byte 11\)$/],
  ['a NUL byte in a string', `{"title":"${MARK}\u0000x"}`, /^a NUL byte at byte 17$/],
  ['an escaped NUL in a string', `{"title":"${MARK}\\u0000x"}`, /^NUL characters \(\\u0000\) are not allowed, near byte \d+$/],
  ['trailing garbage', `{"title":"x"} ${MARK}`, /^unexpected data after the JSON value at byte 14$/],
  ['a second value', '{"title":"x"}{}', /^unexpected data after the JSON value at byte 13$/],
  ['an array at the top', `["${MARK}"]`, /^the body must be a JSON object, not an array$/],
  ['a string at the top', `"${MARK}"`, /^the body must be a JSON object, not a string$/],
  ['a number at the top', '42', /^the body must be a JSON object, not a number$/],
  ['null at the top', 'null', /^the body must be a JSON object, not null$/],
  ['nesting deeper than 32', deep, /^nesting deeper than 32 levels at byte \d+$/],
  ['a bare word', `{"title": ${MARK}}`, /^unexpected character near byte \d+$/],
  ['invalid UTF-8', Buffer.concat([Buffer.from(`{"title":"${MARK}`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), /^invalid UTF-8 at byte 17$/],
  ['a duplicate key', `{"${MARK}":1,"${MARK}":2}`, /^duplicate object key near byte \d+$/],
  ['an empty body', '', /^the body is empty$/],
];

/** Asserts R is the stable MALFORMED_JSON answer and its detail matches DETAIL. */
function assertMalformed(r, what, detail) {
  expectError(r, 400, 'MALFORMED_JSON');
  const e = r.body.error;
  assert.equal(e.message, STABLE, `${what}: the message is the stable one`);
  assert.equal(e.details.length, 1, `${what}: one detail: ${JSON.stringify(e.details)}`);
  assert.equal(e.details[0].field, 'body', what);
  assert.match(e.details[0].message, detail, `${what}: detail ${JSON.stringify(e.details[0].message)}`);
  assert.doesNotMatch(r.text, JANSSON, `${what}: parser vocabulary in ${r.text}`);
  assert.ok(!r.text.includes(MARK), `${what}: the body is echoed: ${r.text}`);
}

describe('malformed JSON bodies', () => {
  let srv;
  let cart;
  before(async () => {
    srv = await startServer({
      env: {
        SOUK_PAYMENT_GATEWAY: 'stripe', SOUK_STRIPE_SECRET_KEY: 'sk_test_json_errors',
        SOUK_STRIPE_API_BASE: 'http://127.0.0.1:9', SOUK_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
    });
    cart = (await api(srv, 'POST', '/api/v1/carts')).body.cart_token;
    assert.match(cart, /^ct_/);
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  const json = { 'Content-Type': 'application/json' };
  const routes = [
    ['POST /products (inline, admin)', () => ({ path: '/api/v1/products', opts: { key: true, headers: json } })],
    ['POST /auth/login (blocking pool)', () => ({ path: '/api/v1/auth/login', opts: { headers: json } })],
    ['POST /carts/current/lines (guest)', () => ({ path: '/api/v1/carts/current/lines', opts: { headers: { ...json, 'X-Cart-Token': cart } } })],
  ];
  for (const [route, target] of routes) {
    it(`${route}: every malformed body → 400 with the stable message`, async () => {
      for (const [what, body, detail] of CASES) {
        const { path, opts } = target();
        assertMalformed(await api(srv, 'POST', path, { ...opts, rawBody: body }), `${route}, ${what}`, detail);
      }
    });
  }

  /** A Stripe-Signature for the exact bytes RAW (lib/stripe_stub.js signs text). */
  const sign = (raw, t = Math.floor(Date.now() / 1000)) =>
    `t=${t},v1=${crypto.createHmac('sha256', WEBHOOK_SECRET).update(`${t}.`).update(raw).digest('hex')}`;

  it('the signed payment webhook: the same answer once the signature holds', async () => {
    for (const [what, body, detail] of CASES) {
      const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
      const r = await api(srv, 'POST', '/api/v1/payments/webhook', { rawBody: raw, headers: { ...json, 'Stripe-Signature': sign(raw) } });
      assertMalformed(r, `webhook, ${what}`, detail);
    }
  });

  it('a well-formed body still works on the same routes', async () => {
    const r = await api(srv, 'POST', '/api/v1/products', { key: true, body: { title: 'JSON errors control' } });
    assert.equal(r.status, 201, r.text);
  });
});
