// CORS for a browser storefront on another origin (SOUK_CORS_ORIGINS): real
// preflights for every request header souk reads from browsers, and a guest's
// cart → checkout → order flow made the way a browser makes it, checking that
// what the script needs to read is exposed to it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { ADDRESS, idemKey, must, product, warehouse } from './lib/orders_util.js';
import { token } from './lib/util.js';

const ORIGIN = 'https://storefront.example';
const CARD_OK = '4242424242424242';
const list = (v) => (v || '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);

// Response headers a script may always read (the Fetch standard's CORS-safelisted response header names).
const SAFELISTED = ['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma'];
// What a client of souk acts on, and so must be exposed.
const MUST_EXPOSE = ['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'etag', 'location'];

/** OPTIONS PATH as a browser's preflight for METHOD with the request HEADERS (names). */
function preflight(srv, path, method, headers, origin = ORIGIN) {
  const h = { Origin: origin, 'Access-Control-Request-Method': method };
  if (headers.length) h['Access-Control-Request-Headers'] = headers.map((s) => s.toLowerCase()).join(',');
  return api(srv, 'OPTIONS', path, { headers: h });
}

/** Asserts that a browser would send METHOD with HEADERS after preflight R. */
function assertPreflightAllows(r, method, headers, what) {
  assert.equal(r.status, 204, `${what}: preflight status: ${r.text}`);
  assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN, `${what}: Access-Control-Allow-Origin`);
  assert.ok(list(r.headers.get('access-control-allow-methods')).includes(method.toLowerCase()),
    `${what}: Allow-Methods ${r.headers.get('access-control-allow-methods')} lacks ${method}`);
  const allowed = list(r.headers.get('access-control-allow-headers'));
  for (const h of headers) assert.ok(allowed.includes(h.toLowerCase()), `${what}: Allow-Headers ${JSON.stringify(allowed)} lacks ${h}`);
  assert.match(r.headers.get('access-control-max-age') || '', /^[1-9][0-9]*$/, `${what}: Max-Age`);
}

/** The response headers of R a cross-origin script can read, per the Fetch standard. */
function readable(r) {
  const exposed = list(r.headers.get('access-control-expose-headers'));
  const out = new Map();
  for (const [name, value] of r.headers) if (SAFELISTED.includes(name) || exposed.includes(name)) out.set(name, value);
  return out;
}

/** Checks a cross-origin response R: allowed origin, and every header a client needs readable. */
function assertReadable(r, what) {
  assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN, `${what}: Access-Control-Allow-Origin`);
  const exposed = list(r.headers.get('access-control-expose-headers'));
  for (const h of MUST_EXPOSE) assert.ok(exposed.includes(h), `${what}: Access-Control-Expose-Headers ${JSON.stringify(exposed)} lacks ${h}`);
  const seen = readable(r);
  for (const [name] of r.headers) {
    if (MUST_EXPOSE.includes(name)) assert.ok(seen.has(name), `${what}: the script cannot read ${name}`);
  }
  return seen;
}

describe('CORS for a storefront on another origin', () => {
  let srv;
  let variant;
  before(async () => {
    // a rate limit high enough never to refuse, so the RateLimit-* headers are there to be exposed
    srv = await startServer({ env: { SOUK_CORS_ORIGINS: `${ORIGIN},https://admin.example`, SOUK_RATE_LIMIT_IP: '100000' } });
    const wh = await warehouse(srv);
    variant = (await product(srv, { title: 'CORS product', variants: [{ price: 1500, stock: 5 }], wh })).variants[0].id;
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  // Each custom request header souk reads from browsers, on a route that reads it.
  const CASES = [
    ['Authorization', 'GET', '/api/v1/users/me'],
    ['Content-Type', 'POST', '/api/v1/carts/current/lines'],
    ['If-None-Match', 'GET', '/api/v1/products'],
    ['X-Request-Id', 'GET', '/api/v1/products'],
    ['Idempotency-Key', 'POST', '/api/v1/checkout'],
    ['X-Cart-Token', 'POST', '/api/v1/carts/current/lines'],
    ['X-Cart-Token', 'GET', '/api/v1/carts/current'],
    ['X-Cart-Token', 'POST', '/api/v1/checkout'],
    ['X-Order-Token', 'GET', '/api/v1/orders/ord_0000000000000'],
  ];
  for (const [header, method, path] of CASES) {
    it(`preflight allows ${header} on ${method} ${path.replace(/ord_\w+/, '{id}')}`, async () => {
      assertPreflightAllows(await preflight(srv, path, method, [header]), method, [header], `${header} ${method} ${path}`);
    });
  }

  it('preflight allows everything a guest checkout sends at once', async () => {
    const hs = ['Content-Type', 'X-Cart-Token', 'Idempotency-Key', 'X-Request-Id'];
    assertPreflightAllows(await preflight(srv, '/api/v1/checkout', 'POST', hs), 'POST', hs, 'checkout');
  });

  it('preflight from an origin not on the list is refused and allows nothing', async () => {
    const r = await preflight(srv, '/api/v1/carts/current/lines', 'POST', ['X-Cart-Token'], 'https://evil.example');
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
    assert.equal(r.headers.get('access-control-allow-headers'), null);
  });

  it('a guest cart, checkout and order, cross-origin: the script reads what it needs', async () => {
    const from = { Origin: ORIGIN };
    // a new guest cart: the token is in the body (a header would need exposing)
    const made = await api(srv, 'POST', '/api/v1/carts', { headers: from });
    must(made, 201);
    let seen = assertReadable(made, 'POST /carts');
    assert.match(made.body.cart_token, /^ct_/);
    assert.ok(seen.has('x-request-id'), 'the request id is readable');
    assert.ok(seen.has('ratelimit-remaining'), 'the rate-limit headers are there and readable');
    const cart = { ...from, 'X-Cart-Token': made.body.cart_token };

    const line = await api(srv, 'POST', '/api/v1/carts/current/lines', { headers: cart, body: { variant_id: variant, quantity: 2 } });
    must(line, 200);
    assertReadable(line, 'POST /carts/current/lines');
    const current = await api(srv, 'GET', '/api/v1/carts/current', { headers: cart });
    assert.equal(must(current, 200).lines[0].quantity, 2);
    assertReadable(current, 'GET /carts/current');

    const rid = `cors-${token()}`.slice(0, 64);
    const placed = await api(srv, 'POST', '/api/v1/checkout', {
      headers: { ...cart, 'Idempotency-Key': idemKey('cors'), 'X-Request-Id': rid },
      body: { email: `cors-${token()}@example.com`, shipping_address: ADDRESS, payment_method: CARD_OK },
    });
    const order = must(placed, 201);
    seen = assertReadable(placed, 'POST /checkout');
    assert.equal(seen.get('x-request-id'), rid, 'the script reads back its own request id');
    assert.match(order.order_token, /^ot_/, 'the order token is in the body');

    const got = await api(srv, 'GET', `/api/v1/orders/${order.id}`, { headers: { ...from, 'X-Order-Token': order.order_token } });
    assert.equal(must(got, 200).id, order.id);
    assertReadable(got, 'GET /orders/{id}');

    // the catalog: ETag readable, and revalidation with If-None-Match works cross-origin
    const products = await api(srv, 'GET', '/api/v1/products?limit=1', { headers: from });
    must(products, 200);
    const etag = assertReadable(products, 'GET /products').get('etag');
    assert.ok(etag, 'the ETag is readable');
    const again = await api(srv, 'GET', '/api/v1/products?limit=1', { headers: { ...from, 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assertReadable(again, 'GET /products (304)');
  });

  it('errors are readable cross-origin too (the request id of the error body)', async () => {
    const r = await api(srv, 'GET', '/api/v1/carts/current', { headers: { Origin: ORIGIN, 'X-Cart-Token': 'ct_nope' } });
    assert.ok(r.status >= 400 && r.status < 500, `${r.status}: ${r.text}`);
    assert.equal(assertReadable(r, 'an error').get('x-request-id'), r.body.error.request_id);
    // answers that come before any route is known carry the CORS headers too
    for (const path of ['/api/v1/nope', '/api/v1/admin%2Fusers']) {
      const e = await api(srv, 'GET', path, { headers: { Origin: ORIGIN } });
      assert.equal(e.status, 404, `${path}: ${e.text}`);
      assert.equal(assertReadable(e, path).get('x-request-id'), e.body.error.request_id);
    }
  });

  it('an admin page on another allowed origin reads Location after a create', async () => {
    const r = await api(srv, 'POST', '/api/v1/products', {
      key: true, headers: { Origin: 'https://admin.example' }, body: { title: `CORS create ${token()}` },
    });
    must(r, 201);
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://admin.example');
    assert.ok(list(r.headers.get('access-control-expose-headers')).includes('location'));
    assert.equal(r.headers.get('location'), `/api/v1/products/${r.body.id}`);
  });
});
