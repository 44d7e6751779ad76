// RBAC matrix: every route in `souk routes --json` x every principal, checked
// against tests/api/rbac_matrix.json. Adding a route without its matrix entry
// (and a request fixture below) fails the suite, and so does a matrix entry
// for a route that does not exist.
//
// Outcomes: "allow" = authorisation passed (any status but 401/403 and 5xx;
// on catalog:write:own and orders:fulfil:own routes also not 404, which there
// means "someone else's product / order"); 401 / 403 / 404 = refused with
// UNAUTHORIZED / FORBIDDEN / NOT_FOUND. Every response also goes through lib/client.js, so it is
// validated against the OpenAPI document.
//
// Destructive requests never hit what later requests need: objects that a
// request deletes or archives are made fresh for each principal, sign-out
// uses a fresh credential of the same principal, session and key revocation
// use spare ones, and erasure / password changes are sent with a wrong
// password (DELETE /users/me then answers 401 INVALID_CREDENTIALS, which is
// not an authorisation failure and counts as "allow"). Cart routes are public:
// users reach their own cart, anonymous callers and API keys a fresh guest cart
// through X-Cart-Token (a caller without a cart would get 404, also "allow").
// Orders: the customer principal places them (test card 4242…) from its own
// cart, holding only a product of the vendor principal's vendor; every request
// that changes an order gets a fresh one in the state it needs (made with the
// demo admin key), refunds take 1 cent of a shared order, returns come off a
// shared delivered order of 40 units. The webhook answers 404 NOT_FOUND here
// (test gateway), which on a public route is "allow".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, runSouk } from './lib/server.js';
import { api } from './lib/client.js';

const matrix = JSON.parse(readFileSync(new URL('./rbac_matrix.json', import.meta.url), 'utf8'));
const PRINCIPALS = matrix.principals;
const PASSWORD = 'rbac matrix password 1';
const WRONG_PASSWORD = 'not the right password 1';
const NEVER_A_CODE = '00000a'; // six characters, never a valid TOTP code
const KEY_PRINCIPALS = new Set(['admin_key', 'narrow_key']);
const TOKEN_PRINCIPALS = ['customer', 'vendor', 'inventory_manager', 'admin'];
const REFUSAL_CODE = { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

// known_issues: [{why, principal, routes}] -> Map("ROUTE|principal" -> why)
const knownIssues = new Map();
for (const k of matrix.known_issues || []) for (const r of k.routes) knownIssues.set(`${r}|${k.principal}`, k.why);

let counter = 0;
const uniq = (what) => `${what}-${process.pid}-${++counter}`;

describe('RBAC matrix', () => {
  let srv;
  let routes = [];           // souk routes --json, the API's (not the storefront pages)
  let allRoutes = [];
  const cred = {};           // principal -> bearer credential (null = anonymous)
  const users = {};          // token principal -> {id, email}
  const fx = {};             // shared fixtures
  const observed = {};       // "ROUTE" -> principal -> status (for the summary)

  // ---- helpers -------------------------------------------------------------
  const demo = (method, path, body) => api(srv, method, path, { key: true, body });
  async function must(r, status) {
    assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 400)}`);
    return r.body;
  }
  function expectNotFound(r) {
    assert.equal(r.status, 404, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 400)}`);
    assert.equal(r.body.error.code, 'NOT_FOUND');
  }
  async function login(email) {
    return must(await api(srv, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } }), 200);
  }
  const sidOf = (accessToken) => JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8')).sid;
  /** A user of ROLE (registered, promoted with the demo admin key, signed in). */
  async function makeUser(role, extra = {}) {
    const email = `${uniq(role)}@rbac.example`;
    const reg = await must(await api(srv, 'POST', '/api/v1/auth/register', { body: { email, password: PASSWORD, name: `RBAC ${role}` } }), 201);
    if (role !== 'customer') await must(await demo('PATCH', `/api/v1/admin/users/${reg.user.id}`, { role, ...extra }), 200);
    const t = await login(email);
    assert.equal(t.user.role, role);
    return { id: reg.user.id, email, token: t.access_token };
  }
  /** The user behind a principal (API keys: their owner, the admin). */
  const ownerOf = (p) => users[KEY_PRINCIPALS.has(p) ? 'admin' : p];
  async function makeKey(token, scopes) {
    return must(await api(srv, 'POST', '/api/v1/api-keys', { key: token, body: { name: uniq('rbac key'), scopes } }), 201);
  }
  /** A second credential of the same kind as P's, to spend on sign-out. */
  async function freshCredential(p) {
    if (p === 'anonymous') return null;
    if (p === 'admin_key') return (await makeKey(users.admin.token, ['*'])).key;
    if (p === 'narrow_key') return (await makeKey(users.admin.token, ['catalog:write'])).key;
    return (await login(users[p].email)).access_token;
  }
  async function productOf(vendorId, { variants = 1 } = {}) {
    return must(await demo('POST', '/api/v1/products', {
      title: uniq('RBAC product'),
      status: 'active',
      vendor_id: vendorId,
      variants: Array.from({ length: variants }, () => ({ sku: uniq('RBAC-SKU'), prices: [{ amount: 1000, currency: 'USD' }, { amount: 900, currency: 'EUR' }] })),
    }), 201);
  }
  async function variantOf(productId) {
    return must(await demo('POST', `/api/v1/products/${productId}/variants`, {
      sku: uniq('RBAC-SKU'), prices: [{ amount: 1000, currency: 'USD' }, { amount: 900, currency: 'EUR' }],
    }), 201);
  }

  /** The cart P reaches: a user's own cart (made if needed; their access token selects it), else a fresh guest
   *  cart whose X-Cart-Token goes along. Returns the headers to send. */
  async function cartFor(p) {
    if (!KEY_PRINCIPALS.has(p) && p !== 'anonymous') {
      const r = await api(srv, 'POST', '/api/v1/carts', { key: cred[p] });
      assert.ok(r.status === 200 || r.status === 201, `POST /api/v1/carts as ${p} -> ${r.status}: ${r.text.slice(0, 300)}`);
      return {};
    }
    return { 'X-Cart-Token': (await must(await api(srv, 'POST', '/api/v1/carts'), 201)).cart_token };
  }
  /** cartFor(P) holding one of fx.variantB. */
  async function cartWithLine(p) {
    const headers = await cartFor(p);
    await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: cred[p] ?? undefined, headers, body: { variant_id: fx.variantB.id, quantity: 1 } }), 200);
    return headers;
  }

  // ---- orders ----------------------------------------------------------------
  const ADDRESS = { name: 'RBAC Shopper', line1: '1 Matrix Street', city: 'London', postal_code: 'EC1A 1AA', country: 'GB' };
  const TEST_CARD = '4242424242424242'; // the test gateway's card that succeeds
  /** P's cart holding QUANTITY of each of VARIANTS (default fx.variantA: vendor A's, in stock) and nothing else: a
   *  user's own cart (emptied first: cart fixtures leave fx.variantB lines in it), else a fresh guest cart. Returns
   *  the headers to send. */
  async function orderCart(p, quantity = 1, variants = [fx.variantA]) {
    const key = cred[p] ?? undefined;
    const headers = await cartFor(p);
    if (TOKEN_PRINCIPALS.includes(p)) {
      const cart = await must(await api(srv, 'GET', '/api/v1/carts/current', { key }), 200);
      for (const l of cart.lines) await must(await api(srv, 'DELETE', `/api/v1/carts/current/lines/${l.variant_id}`, { key }), 200);
    }
    for (const v of variants) await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key, headers, body: { variant_id: v.id, quantity } }), 200);
    return headers;
  }
  /** Checkout body for P: guests (and API keys, which reach guest carts) give an e-mail address. */
  const checkoutBody = (p) => ({
    shipping_address: ADDRESS,
    payment_method: TEST_CARD,
    ...(TOKEN_PRINCIPALS.includes(p) ? {} : { email: `${uniq(p)}@rbac.example` }),
  });
  /** A paid order of P ('customer', or 'anonymous' for a guest order that carries its order_token). */
  async function placeOrder(p, quantity = 1, variants = undefined) {
    const headers = { ...(await orderCart(p, quantity, variants)), 'Idempotency-Key': uniq('rbac-order') };
    const o = await must(await api(srv, 'POST', '/api/v1/checkout', { key: cred[p] ?? undefined, headers, body: checkoutBody(p) }), 201);
    assert.equal(o.state, 'paid', `checkout as ${p}: ${JSON.stringify(o).slice(0, 300)}`);
    return o;
  }
  const orderAct = async (o, action, body) => must(await demo('POST', `/api/v1/orders/${o.id}/${action}`, body), 200);
  /** A fresh order of the customer in STATE (paid, fulfilled, shipped or delivered); the admin key moves it on. */
  async function customerOrderIn(state, quantity = 1) {
    const o = await placeOrder('customer', quantity);
    if (state === 'paid') return o;
    await orderAct(o, 'fulfil');
    if (state === 'fulfilled') return o;
    await orderAct(o, 'ship', { carrier: 'RBAC Post', tracking: uniq('TRK') });
    if (state === 'shipped') return o;
    await orderAct(o, 'deliver');
    return o;
  }
  /** Shared orders, made on first use: fx[name] holds the promise. */
  const shared = (name, make) => () => (fx[name] ??= make());
  const paidOrder = shared('paidOrder', () => placeOrder('customer'));
  const guestOrder = shared('guestOrder', () => placeOrder('anonymous'));
  const deliveredOrder = shared('deliveredOrder', () => customerOrderIn('delivered', 40));
  /** A new return of one unit on the shared delivered order, requested by the customer; approved when asked. */
  async function newReturn({ approved = false } = {}) {
    const o = await deliveredOrder();
    const seen = new Set((await must(await api(srv, 'GET', `/api/v1/orders/${o.id}`, { key: users.customer.token }), 200)).returns.map((r) => r.id));
    const after = await must(await api(srv, 'POST', `/api/v1/orders/${o.id}/returns`, {
      key: users.customer.token, body: { lines: [{ variant_id: fx.variantA.id, quantity: 1 }], reason: 'RBAC return' },
    }), 201);
    const ret = after.returns.find((r) => !seen.has(r.id));
    assert.ok(ret && ret.state === 'requested', `a new requested return: ${JSON.stringify(after.returns).slice(0, 300)}`);
    if (approved) await must(await demo('POST', `/api/v1/orders/${o.id}/returns/${ret.id}/approve`), 200);
    return { id: o.id, return_id: ret.id };
  }

  /** The customer's approved review of fx.productA (bought in the shared delivered order), made on first use. */
  const approvedReview = shared('approvedReview', async () => {
    await deliveredOrder();
    const r = await api(srv, 'POST', `/api/v1/products/${fx.productA.id}/reviews`, {
      key: users.customer.token, body: { rating: 4, title: 'RBAC review', body: 'Good enough for the matrix.' },
    });
    let id = r.status === 201 ? r.body.id : null;
    if (!id) { // the matrix's own POST came first: find it in the queue
      const q = await must(await demo('GET', `/api/v1/admin/reviews?product_id=${fx.productA.id}`), 200);
      id = q.data[0].id;
    }
    await must(await demo('POST', `/api/v1/admin/reviews/${id}/moderation`, { status: 'approved' }), 200);
    return id;
  });

  let regionSeq = 0;
  const region = () => `ZZ-${(++regionSeq).toString(36).toUpperCase()}`;

  // ---- one request per route: (principal) -> {params, query, body, cred, accept} ----
  // `cred` overrides the principal's credential (fresh one for sign-out);
  // `accept` lists error codes of a 401 that are not authorisation failures.
  const REQUESTS = {
    'GET /healthz': () => ({}),
    'GET /readyz': () => ({}),
    'GET /metrics': () => ({}),
    'GET /api/v1/openapi.json': () => ({}),
    'GET /.well-known/jwks.json': () => ({}),
    'GET /api/v1/products': () => ({ query: '?limit=5' }),
    'GET /api/v1/search': () => ({ query: '?q=shirt&limit=5&facets=brand' }),
    'GET /api/v1/search/suggest': () => ({ query: '?q=sh' }),
    'POST /api/v1/search/clicks': () => ({ body: { query: 'shirt', product_id: fx.productB.id, position: 1 } }),
    'GET /api/v1/admin/search/analytics': () => ({ query: '?limit=5' }),
    'GET /api/v1/admin/analytics/kpis': () => ({}),
    'GET /api/v1/admin/analytics/timeseries': () => ({}),
    'GET /api/v1/admin/analytics/funnel': () => ({}),
    'GET /api/v1/admin/analytics/cohorts': () => ({}),
    'GET /api/v1/admin/analytics/rfm': () => ({}),
    'GET /api/v1/admin/analytics/segments': () => ({}),
    'GET /api/v1/admin/analytics/churn': () => ({}),
    'GET /api/v1/admin/analytics/clv': () => ({}),
    'GET /api/v1/admin/analytics/forecasts': () => ({}),
    'GET /api/v1/admin/analytics/reorder': () => ({}),
    'GET /api/v1/admin/analytics/anomalies': () => ({}),
    'GET /api/v1/admin/analytics/fraud': () => ({}),
    'GET /api/v1/admin/search/synonyms': () => ({}),
    'PUT /api/v1/admin/search/synonyms': () => ({ body: { rules: ['sofa, couch'] } }),
    'GET /api/v1/admin/search/settings': () => ({}),
    'PUT /api/v1/admin/search/settings': () => ({ body: { weights: {} } }),
    'POST /api/v1/events': (p) => ({ body: { events: [{ id: uniq(`rbac-${p}`).replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 64), type: 'page_view', anonymous_id: 'rbac-anonymous-1' }] } }),
    'GET /api/v1/recommendations/for-you': () => ({ query: '?limit=3' }),
    'GET /api/v1/recommendations/trending': () => ({ query: '?limit=3' }),
    'GET /api/v1/products/{id}/similar': () => ({ params: { id: fx.productB.id } }),
    'GET /api/v1/products/{id}/bought-together': () => ({ params: { id: fx.productB.id } }),
    'GET /api/v1/admin/recommendations/models': () => ({}),
    // no data to train on: the job is queued and fails later, which is not this test's business
    'POST /api/v1/admin/recommendations/models': () => ({ body: { params: { iterations: 1 } } }),
    // versions and tests that do not exist: 404 once authorised
    'GET /api/v1/admin/recommendations/models/{version}': () => ({ params: { version: '999999' } }),
    'POST /api/v1/admin/recommendations/models/{version}/activate': () => ({ params: { version: '999999' } }),
    'POST /api/v1/admin/recommendations/rollback': () => ({}),
    'GET /api/v1/admin/recommendations/ab-tests': () => ({}),
    'POST /api/v1/admin/recommendations/ab-tests': () => ({ body: { name: 'rbac', version_a: 999998, version_b: 999999 } }),
    'GET /api/v1/admin/recommendations/ab-tests/{id}': () => ({ params: { id: '999999' } }),
    'POST /api/v1/admin/recommendations/ab-tests/{id}/stop': () => ({ params: { id: '999999' } }),
    'POST /api/v1/products': (p) => ({ body: { title: uniq(`RBAC new product ${p}`) } }),
    'GET /api/v1/products/{id}': () => ({ params: { id: fx.productB.id } }),
    'PATCH /api/v1/products/{id}': (p) => ({ params: { id: fx.productB.id }, body: { description: `touched by ${p}` } }),
    'DELETE /api/v1/products/{id}': async () => ({ params: { id: (await productOf(fx.vendorB.id)).id } }),
    'POST /api/v1/products/{id}/variants': () => ({ params: { id: fx.productB.id }, body: { sku: uniq('RBAC-SKU'), prices: [{ amount: 500, currency: 'USD' }] } }),
    'POST /api/v1/products/{id}/images': () => ({ params: { id: fx.productB.id }, body: { not: 'an image' } }), // 415 once authorised
    'DELETE /api/v1/products/{id}/images/{image_id}': () => ({ params: { id: fx.productB.id, image_id: 'img_0000000000000' } }),
    'PATCH /api/v1/variants/{id}': (p) => ({ params: { id: fx.variantB.id }, body: { title: `touched by ${p}` } }),
    'DELETE /api/v1/variants/{id}': async () => ({ params: { id: (await variantOf(fx.productB.id)).id } }),
    'PUT /api/v1/variants/{id}/prices/{currency}': () => ({ params: { id: fx.variantB.id, currency: 'GBP' }, body: { amount: 800 } }),
    'DELETE /api/v1/variants/{id}/prices/{currency}': async () => ({ params: { id: (await variantOf(fx.productB.id)).id, currency: 'EUR' } }),
    'GET /api/v1/categories': () => ({}),
    'POST /api/v1/categories': (p) => ({ body: { name: uniq(`RBAC category ${p}`) } }),
    'PATCH /api/v1/categories/{id}': (p) => ({ params: { id: fx.category.id }, body: { name: uniq(`RBAC category ${p}`) } }),
    'DELETE /api/v1/categories/{id}': async (p) => ({ params: { id: (await must(await demo('POST', '/api/v1/categories', { name: uniq(`RBAC doomed ${p}`) }), 201)).id } }),
    'GET /api/v1/brands': () => ({}),
    'POST /api/v1/brands': (p) => ({ body: { name: uniq(`RBAC brand ${p}`) } }),
    'PATCH /api/v1/brands/{id}': (p) => ({ params: { id: fx.brand.id }, body: { name: uniq(`RBAC brand ${p}`) } }),
    'GET /api/v1/vendors': () => ({}),
    'POST /api/v1/vendors': (p) => ({ body: { name: uniq(`RBAC vendor ${p}`) } }),
    'PATCH /api/v1/vendors/{id}': (p) => ({ params: { id: fx.vendorC.id }, body: { name: uniq(`RBAC vendor ${p}`) } }),
    'POST /api/v1/auth/register': (p) => ({ body: { email: `${uniq(p)}@rbac.example`, password: PASSWORD } }),
    'POST /api/v1/auth/login': () => ({ body: { email: fx.bystander.email, password: PASSWORD } }),
    'POST /api/v1/auth/refresh': async () => ({ body: { refresh_token: (await login(fx.bystander.email)).refresh_token } }),
    'POST /api/v1/auth/logout': async (p) => ({ cred: await freshCredential(p) }),
    'POST /api/v1/auth/password-reset': () => ({ body: { email: fx.bystander.email } }),
    'POST /api/v1/auth/password-reset/confirm': () => ({ body: { token: 'pr_not-a-code-anyone-was-sent', new_password: 'a brand new password 1' } }),
    'GET /api/v1/users/me': () => ({}),
    'PATCH /api/v1/users/me': (p) => ({ body: { name: `RBAC ${p}` } }),
    'DELETE /api/v1/users/me': () => ({ body: { password: WRONG_PASSWORD }, accept: ['INVALID_CREDENTIALS'] }),
    'POST /api/v1/users/me/password': () => ({ body: { current_password: WRONG_PASSWORD, new_password: 'another new password 1' } }),
    'GET /api/v1/users/me/sessions': () => ({}),
    'DELETE /api/v1/users/me/sessions/{id}': async (p) => ({
      params: { id: p === 'anonymous' ? 'ses_0000000000000' : sidOf((await login(ownerOf(p).email)).access_token) },
    }),
    'POST /api/v1/users/me/2fa/totp': () => ({}),
    'POST /api/v1/users/me/2fa/totp/confirm': () => ({ body: { code: NEVER_A_CODE } }),
    'DELETE /api/v1/users/me/2fa/totp': () => ({ body: { password: WRONG_PASSWORD, totp_code: NEVER_A_CODE }, accept: ['INVALID_CREDENTIALS'] }),
    'GET /api/v1/users/me/consents': () => ({}),
    'POST /api/v1/users/me/consents': () => ({ body: { kind: 'marketing', granted: false } }),
    'GET /api/v1/users/me/export': () => ({}),
    // wishlists: the caller's own list (an unknown item: 404 once authorised); a made-up share token (404, public)
    'GET /api/v1/users/me/wishlist': () => ({}),
    'POST /api/v1/users/me/wishlist/items': () => ({ body: { product_id: fx.productB.id } }),
    'DELETE /api/v1/users/me/wishlist/items/{id}': () => ({ params: { id: 'wli_0000000000001' } }),
    'POST /api/v1/users/me/wishlist/share': () => ({}),
    'DELETE /api/v1/users/me/wishlist/share': () => ({}),
    'PUT /api/v1/users/me/wishlist/alerts': () => ({ body: { enabled: true } }),
    'GET /api/v1/wishlists/shared/{token}': () => ({ params: { token: 'A'.repeat(32) } }),
    'POST /api/v1/wishlists/unsubscribe': () => ({ body: { token: 'u1.AAAAAAAAAAAAAAAAAAAAAA' } }),
    // campaigns: a filter audience without a bound (422 once authorised), unknown ids (404), a forged token (404)
    'GET /api/v1/admin/campaign-audiences': () => ({}),
    'POST /api/v1/admin/campaign-audiences': () => ({ body: { name: 'rbac', kind: 'filter', definition: {} } }),
    'GET /api/v1/admin/campaign-audiences/{id}': () => ({ params: { id: 'aud_0000000000001' } }),
    'POST /api/v1/admin/campaign-audiences/{id}/refresh': () => ({ params: { id: 'aud_0000000000001' } }),
    'GET /api/v1/admin/campaigns': () => ({}),
    'POST /api/v1/admin/campaigns': () => ({ body: { name: 'rbac', template: 'vip', audience_id: 'aud_0000000000001' } }),
    'GET /api/v1/admin/campaigns/{id}': () => ({ params: { id: 'camp_0000000000001' } }),
    'POST /api/v1/admin/campaigns/{id}/send': () => ({ params: { id: 'camp_0000000000001' } }),
    'POST /api/v1/campaigns/unsubscribe': () => ({ body: { token: 'c1u1.AAAAAAAAAAAAAAAAAAAAAA' } }),
    // the address book: the caller's own (an unknown id: authorisation passes, then 404)
    'GET /api/v1/users/me/addresses': () => ({}),
    'POST /api/v1/users/me/addresses': () => ({ body: { name: 'R Bac', line1: '1 Matrix Road', city: 'Leeds', postal_code: 'LS1 1AA', country: 'GB' } }),
    'GET /api/v1/users/me/addresses/{id}': () => ({ params: { id: 'adr_0000000000001' } }),
    'PATCH /api/v1/users/me/addresses/{id}': () => ({ params: { id: 'adr_0000000000001' }, body: { label: 'Home' } }),
    'DELETE /api/v1/users/me/addresses/{id}': () => ({ params: { id: 'adr_0000000000001' } }),
    'POST /api/v1/api-keys': () => ({ body: { name: uniq('rbac key'), scopes: ['catalog:write:own'] } }),
    'GET /api/v1/api-keys': () => ({}),
    'DELETE /api/v1/api-keys/{id}': async (p) => {
      // the principal's own spare key; customers cannot hold keys, so theirs is the admin's (-> 404)
      const scopes = { vendor: ['catalog:write:own'], inventory_manager: ['inventory:write'] }[p] || ['catalog:write'];
      const owner = p === 'vendor' || p === 'inventory_manager' ? users[p] : users.admin;
      return { params: { id: p === 'anonymous' ? 'key_0000000000000' : (await makeKey(owner.token, scopes)).id } };
    },
    'POST /api/v1/carts': () => ({ body: { currency: 'USD' } }),
    'GET /api/v1/carts/current': async (p) => ({ headers: await cartFor(p) }),
    'PATCH /api/v1/carts/current': async (p) => ({ headers: await cartFor(p), body: { region: 'GB' } }),
    'POST /api/v1/carts/current/lines': async (p) => ({ headers: await cartFor(p), body: { variant_id: fx.variantB.id, quantity: 1 } }),
    'PATCH /api/v1/carts/current/lines/{variant_id}': async (p) => ({ headers: await cartWithLine(p), params: { variant_id: fx.variantB.id }, body: { quantity: 2 } }),
    'DELETE /api/v1/carts/current/lines/{variant_id}': async (p) => ({ headers: await cartWithLine(p), params: { variant_id: fx.variantB.id } }),
    'PUT /api/v1/carts/current/coupon': async (p) => ({ headers: await cartFor(p), body: { code: fx.coupon.code } }),
    'DELETE /api/v1/carts/current/coupon': async (p) => ({ headers: await cartFor(p) }),
    // the signed-in users get a cart of their own first: merging into an account without a cart answers 500 today
    // (see cart.test.js), which is not what this matrix is about
    'POST /api/v1/carts/merge': async (p) => {
      if (TOKEN_PRINCIPALS.includes(p)) await cartFor(p);
      const guest = await must(await api(srv, 'POST', '/api/v1/carts'), 201);
      await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { headers: { 'X-Cart-Token': guest.cart_token }, body: { variant_id: fx.variantB.id, quantity: 1 } }), 200);
      return { body: { cart_token: guest.cart_token } };
    },
    'GET /api/v1/shipping-methods': () => ({}),
    'POST /api/v1/warehouses': (p) => ({ body: { code: uniq('rbac-wh'), name: `RBAC warehouse ${p}` } }),
    'GET /api/v1/warehouses': () => ({}),
    'PATCH /api/v1/warehouses/{id}': (p) => ({ params: { id: fx.warehouse.id }, body: { name: `touched by ${p}` } }),
    'GET /api/v1/variants/{id}/stock': () => ({ params: { id: fx.variantB.id } }),
    'PUT /api/v1/variants/{id}/stock/{warehouse_id}': (p) => ({ params: { id: fx.variantB.id, warehouse_id: fx.warehouse.id }, body: { on_hand: 100, reason: `RBAC count by ${p}` } }),
    'POST /api/v1/variants/{id}/stock/{warehouse_id}/adjustments': (p) => ({ params: { id: fx.variantB.id, warehouse_id: fx.warehouse.id }, body: { delta: 1, reason: `RBAC delivery for ${p}` } }),
    'GET /api/v1/variants/{id}/stock/{warehouse_id}/adjustments': () => ({ params: { id: fx.variantB.id, warehouse_id: fx.warehouse.id }, query: '?limit=5' }),
    // orders: see the note at the top and the $comment of rbac_matrix.json
    'POST /api/v1/checkout': async (p) => ({ headers: { ...(await orderCart(p)), 'Idempotency-Key': uniq('rbac-checkout') }, body: checkoutBody(p) }),
    'GET /api/v1/orders': () => ({ query: '?limit=5' }),
    'GET /api/v1/orders/{id}': async (p) => {
      if (p === 'anonymous' || p === 'narrow_key') {
        const g = await guestOrder();
        return { params: { id: g.id }, headers: { 'X-Order-Token': g.order_token } };
      }
      return { params: { id: (await paidOrder()).id } };
    },
    'POST /api/v1/orders/{id}/cancel': async (p) => ({ params: { id: (await customerOrderIn('paid')).id }, body: { reason: `RBAC cancel by ${p}` } }),
    'POST /api/v1/orders/{id}/fulfil': async () => ({ params: { id: (await customerOrderIn('paid')).id } }),
    'POST /api/v1/orders/{id}/ship': async (p) => ({ params: { id: (await customerOrderIn('fulfilled')).id }, body: { carrier: 'RBAC Post', tracking: uniq(`TRK-${p}`) } }),
    'POST /api/v1/orders/{id}/deliver': async () => ({ params: { id: (await customerOrderIn('shipped')).id } }),
    // not held (the suite's servers hold nothing): the allowed answer is 409 INVALID_STATE
    'POST /api/v1/orders/{id}/review': async () => ({ params: { id: (await customerOrderIn('paid')).id }, body: { decision: 'release' } }),
    'POST /api/v1/orders/{id}/refunds': async (p) => ({ params: { id: (await paidOrder()).id }, body: { amount: 1, reason: `RBAC refund by ${p}` } }),
    'POST /api/v1/orders/{id}/returns': async (p) => ({
      params: { id: (await deliveredOrder()).id }, body: { lines: [{ variant_id: fx.variantA.id, quantity: 1 }], reason: `RBAC return for ${p}` },
    }),
    'POST /api/v1/orders/{id}/returns/{return_id}/approve': async () => ({ params: await newReturn() }),
    // reviews: the customer received fx.productA in the shared delivered order (201, then 409 on a repeat: allow);
    // nobody else did (403); the helpful vote is on the customer's own approved review (403 for the customer)
    'GET /api/v1/products/{id}/reviews': () => ({ params: { id: fx.productA.id } }),
    'POST /api/v1/products/{id}/reviews': async () => {
      await deliveredOrder();
      return { params: { id: fx.productA.id }, body: { rating: 5, title: 'Matrix', body: 'Works as it should.' } };
    },
    'POST /api/v1/reviews/{id}/helpful': async () => ({ params: { id: await approvedReview() } }),
    'GET /api/v1/admin/reviews': () => ({ query: '?status=pending&limit=5' }),
    'POST /api/v1/admin/reviews/{id}/moderation': async () => ({ params: { id: await approvedReview() }, body: { status: 'approved' } }),
    'GET /api/v1/admin/reviews/sentiment': () => ({ query: '?limit=5' }),
    'GET /api/v1/admin/reviews/settings': () => ({}),
    'PUT /api/v1/admin/reviews/settings': () => ({ body: { erasure_keeps_text: false } }),
    'POST /api/v1/orders/{id}/returns/{return_id}/receive': async () => ({ params: await newReturn({ approved: true }) }),
    // with the test gateway (as here) webhooks are not configured: 404 NOT_FOUND, "allow" on a public route
    'POST /api/v1/payments/webhook': () => ({
      headers: { 'Stripe-Signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
      body: { id: uniq('evt_rbac'), type: 'payment_intent.succeeded', data: { object: { id: 'pi_rbac_unknown', amount: 1000, currency: 'usd' } } },
    }),
    'GET /api/v1/admin/jobs': () => ({ query: '?limit=5' }),
    // a job id that does not exist: 404 NOT_FOUND once authorised (retrying a real job is inventory.test.js's business)
    'POST /api/v1/admin/jobs/{id}/retry': () => ({ params: { id: 'job_0000000000000' } }),
    'GET /api/v1/admin/pricing/suggestions': () => ({ query: '?status=pending' }),
    'GET /api/v1/admin/pricing/suggestions/{id}': () => ({ params: { id: 'psug_0000000000000' } }), // 404 once authorised
    'POST /api/v1/admin/pricing/suggestions/{id}/approve': () => ({ params: { id: 'psug_0000000000000' }, body: {} }),
    'POST /api/v1/admin/pricing/suggestions/{id}/reject': () => ({ params: { id: 'psug_0000000000000' }, body: {} }),
    'POST /api/v1/admin/pricing/suggestions/{id}/rollback': () => ({ params: { id: 'psug_0000000000000' } }),
    'POST /api/v1/admin/pricing/recompute': () => ({}),
    'GET /api/v1/admin/pricing/bounds': () => ({}),
    'PUT /api/v1/admin/pricing/bounds/{id}': () => ({ params: { id: fx.productB.id }, body: { max_change_pct: 15 } }),
    'DELETE /api/v1/admin/pricing/bounds/{id}': () => ({ params: { id: fx.productB.id } }), // 404 when none: still authorised
    'GET /api/v1/currencies': () => ({}),
    'GET /api/v1/admin/currencies/rates': () => ({}),
    'PUT /api/v1/admin/currencies/{currency}/rates': () => ({ params: { currency: 'EUR' }, body: { rate: '0.92', effective_at: '2026-01-01T00:00:00Z' } }),
    'DELETE /api/v1/admin/currencies/rates/{id}': async () => {
      const at = new Date(Date.UTC(2020, 0, 1) + (++counter) * 1000).toISOString();
      const r = await must(await demo('PUT', '/api/v1/admin/currencies/GBP/rates', { rate: '0.79', effective_at: at }), 200);
      return { params: { id: r.id } };
    },
    'GET /api/v1/admin/currencies/settings': () => ({}),
    'PUT /api/v1/admin/currencies/settings': () => ({ body: { display_currencies: ['EUR', 'GBP'] } }),
    'GET /api/v1/admin/tax-rates': () => ({}),
    'PUT /api/v1/admin/tax-rates/{region}': (p) => ({ params: { region: 'FR' }, body: { name: `RBAC ${p}`, rate_bp: 2000, prices_include_tax: true } }),
    'DELETE /api/v1/admin/tax-rates/{region}': async () => {
      const r = region();
      await must(await demo('PUT', `/api/v1/admin/tax-rates/${r}`, { rate_bp: 500 }), 200);
      return { params: { region: r } };
    },
    'GET /api/v1/admin/shipping-methods': () => ({}),
    'POST /api/v1/admin/shipping-methods': () => ({ body: { code: uniq('rbac'), name: 'RBAC shipping', currency: 'USD', amount: 500 } }),
    'PATCH /api/v1/admin/shipping-methods/{id}': (p) => ({ params: { id: fx.shipping.id }, body: { name: `touched by ${p}` } }),
    'GET /api/v1/admin/coupons': () => ({}),
    'POST /api/v1/admin/coupons': () => ({ body: { code: uniq('rbac'), kind: 'percent', value: 500 } }),
    'PATCH /api/v1/admin/coupons/{id}': () => ({ params: { id: fx.coupon.id }, body: { active: true } }),
    'GET /api/v1/admin/promotions': () => ({}),
    'POST /api/v1/admin/promotions': () => ({ body: { name: uniq('rbac promo'), kind: 'percent', value: 100, active: false } }),
    'GET /api/v1/admin/promotions/{id}': () => ({ params: { id: fx.promotion.id } }),
    'PATCH /api/v1/admin/promotions/{id}': () => ({ params: { id: fx.promotion.id }, body: { active: false } }),
    'DELETE /api/v1/admin/promotions/{id}': async (p) => ({ params: { id: (await must(await demo('POST', '/api/v1/admin/promotions', { name: uniq(`rbac doomed ${p}`), kind: 'percent', value: 100, active: false }), 201)).id } }),
    'GET /api/v1/admin/promotions/{id}/codes': () => ({ params: { id: fx.promotion.id } }),
    'POST /api/v1/admin/promotions/{id}/codes': () => ({ params: { id: fx.promotion.id }, body: { count: 2, prefix: 'RBAC-' } }),
    'GET /api/v1/admin/users': () => ({ query: '?limit=5' }),
    'GET /api/v1/admin/users/{id}': () => ({ params: { id: fx.bystander.id } }),
    'PATCH /api/v1/admin/users/{id}': () => ({ params: { id: fx.bystander.id }, body: { status: 'active' } }),
    'POST /api/v1/admin/customers/{id}/export': () => ({ params: { id: fx.bystander.id } }),
    // a wrong address: authorisation passes, the erasure is refused (422) and the bystander stays
    'POST /api/v1/admin/customers/{id}/erase': () => ({ params: { id: fx.bystander.id }, body: { email: 'not-the-address@example.com' } }),
    'GET /api/v1/admin/audit': () => ({ query: '?limit=5' }),
    'GET /api/v1/admin/audit/verify': () => ({}),
    'GET /api/v1/admin/mail': () => ({ query: '?limit=5' }),
    // webhooks: an unknown subscription / delivery id (authorisation passes, then 404); a refused URL (422)
    'GET /api/v1/admin/webhooks': () => ({}),
    'POST /api/v1/admin/webhooks': () => ({ body: { url: 'http://127.0.0.1:9/rbac', event_types: ['order.paid'] } }),
    'GET /api/v1/admin/webhooks/{id}': () => ({ params: { id: 'wh_0000000000001' } }),
    'PATCH /api/v1/admin/webhooks/{id}': () => ({ params: { id: 'wh_0000000000001' }, body: { enabled: false } }),
    'DELETE /api/v1/admin/webhooks/{id}': () => ({ params: { id: 'wh_0000000000001' } }),
    'POST /api/v1/admin/webhooks/{id}/rotate-secret': () => ({ params: { id: 'wh_0000000000001' }, body: {} }),
    'GET /api/v1/admin/webhooks/{id}/deliveries': () => ({ params: { id: 'wh_0000000000001' } }),
    'GET /api/v1/admin/webhook-deliveries/{id}': () => ({ params: { id: 'whd_0000000000001' } }),
    'POST /api/v1/admin/webhook-deliveries/{id}/replay': () => ({ params: { id: 'whd_0000000000001' } }),
    // data in and out: a JSON body is refused (415) after authorisation, so no import job is queued; an unknown run (404)
    'POST /api/v1/admin/imports': () => ({ body: { csv: 'Handle,Title' } }),
    'GET /api/v1/admin/imports/{id}': () => ({ params: { id: 'imp_0000000000001' } }),
    'GET /api/v1/admin/exports/products': () => ({}),
    // loyalty points: the caller's own account; the programme's settings (a PUT that changes nothing) and a
    // customer's points for loyalty:manage (a credit to the bystander)
    'GET /api/v1/users/me/loyalty': () => ({}),
    'GET /api/v1/users/me/loyalty/quote': () => ({ query: '?points=1' }), // 404 (no cart) or 422 once authorised
    'GET /api/v1/locales': () => ({}),
    'GET /api/v1/admin/locales': () => ({}),
    'PUT /api/v1/admin/locales': () => ({ body: { locales: ['en', 'fr'] } }),
    'GET /api/v1/admin/translations/{kind}/{id}': () => ({ params: { kind: 'products', id: fx.productB.id } }),
    'PUT /api/v1/admin/translations/{kind}/{id}/{locale}': (p) => ({ params: { kind: 'products', id: fx.productB.id, locale: 'fr' }, body: { title: `Traduit par ${p}` } }),
    'DELETE /api/v1/admin/translations/{kind}/{id}/{locale}': () => ({ params: { kind: 'products', id: fx.productB.id, locale: 'fr' } }),
    'GET /api/v1/admin/loyalty/settings': () => ({}),
    'PUT /api/v1/admin/loyalty/settings': () => ({ body: { max_redeem_bp: 5000, return_window_days: 30, expiry_days: 365, currencies: [] } }),
    'GET /api/v1/admin/users/{id}/loyalty': () => ({ params: { id: fx.bystander.id } }),
    'POST /api/v1/admin/users/{id}/loyalty/adjustments': (p) => ({ params: { id: fx.bystander.id }, body: { points: 1, reason: `rbac ${p}` } }),
    // subscriptions: an unknown subscription (authorisation passes, then 404); an order that is nobody's (404);
    // the settings put back as they are by default
    'GET /api/v1/users/me/subscriptions': () => ({}),
    'POST /api/v1/users/me/subscriptions': () => ({ body: { order_id: 'ord_0000000000001', variant_id: 'var_0000000000001', interval: 'week' } }),
    'GET /api/v1/users/me/subscriptions/{id}': () => ({ params: { id: 'sub_0000000000001' } }),
    'PATCH /api/v1/users/me/subscriptions/{id}': () => ({ params: { id: 'sub_0000000000001' }, body: { quantity: 1 } }),
    'POST /api/v1/users/me/subscriptions/{id}/actions': () => ({ params: { id: 'sub_0000000000001' }, body: { action: 'skip' } }),
    'GET /api/v1/admin/subscriptions': () => ({ query: '?limit=5' }),
    'GET /api/v1/admin/subscriptions/{id}': () => ({ params: { id: 'sub_0000000000001' } }),
    'PATCH /api/v1/admin/subscriptions/{id}': () => ({ params: { id: 'sub_0000000000001' }, body: { quantity: 1 } }),
    'POST /api/v1/admin/subscriptions/{id}/actions': () => ({ params: { id: 'sub_0000000000001' }, body: { action: 'skip' } }),
    'GET /api/v1/admin/subscription-settings': () => ({}),
    'PUT /api/v1/admin/subscription-settings': () => ({ body: { discount_bp: 0, retry_hours: [24, 72, 168] } }),
  };

  before(async () => {
    srv = await startServer({ products: 30, seed: 5 });
    const r = await runSouk(['routes', '--json']);
    assert.equal(r.code, 0, `souk routes --json failed: ${r.stderr}`);
    // storefront pages (web: true) are HTML for browsers, not the JSON API: they are not in the matrix
    // (their rule — public, outside /api/ — is checked below and in tests/unit/test_openapi_routes.c)
    allRoutes = JSON.parse(r.stdout);
    routes = allRoutes.filter((x) => !x.web);

    const vendors = (await must(await api(srv, 'GET', '/api/v1/vendors'), 200)).data;
    assert.ok(vendors.length >= 2, 'the demo store needs two vendors');
    [fx.vendorA, fx.vendorB] = vendors;

    for (const role of TOKEN_PRINCIPALS) {
      users[role] = await makeUser(role, role === 'vendor' ? { vendor_id: fx.vendorA.id } : {});
    }
    fx.bystander = await makeUser('customer'); // signs in, gets reset mail, is PATCHed by admins
    cred.anonymous = null;
    for (const p of TOKEN_PRINCIPALS) cred[p] = users[p].token;
    cred.admin_key = (await makeKey(users.admin.token, ['*'])).key;
    cred.narrow_key = (await makeKey(users.admin.token, ['catalog:write'])).key;

    fx.productB = await productOf(fx.vendorB.id);
    fx.variantB = fx.productB.variants[0];
    fx.category = await must(await demo('POST', '/api/v1/categories', { name: uniq('RBAC category') }), 201);
    fx.brand = await must(await demo('POST', '/api/v1/brands', { name: uniq('RBAC brand') }), 201);
    fx.vendorC = await must(await demo('POST', '/api/v1/vendors', { name: uniq('RBAC vendor') }), 201);
    fx.shipping = await must(await demo('POST', '/api/v1/admin/shipping-methods', { code: uniq('rbac'), name: 'RBAC standard', currency: 'USD', amount: 500 }), 201);
    fx.coupon = await must(await demo('POST', '/api/v1/admin/coupons', { code: uniq('rbac'), kind: 'percent', value: 1000 }), 201);
    fx.promotion = await must(await demo('POST', '/api/v1/admin/promotions', { name: uniq('rbac promo'), kind: 'percent', value: 100, requires_code: true, active: false }), 201);
    fx.warehouse = await must(await demo('POST', '/api/v1/warehouses', { code: uniq('rbac-wh'), name: 'RBAC warehouse' }), 201);
    // what the order fixtures sell: a product of the vendor principal's vendor, well stocked
    fx.productA = await productOf(fx.vendorA.id);
    fx.variantA = fx.productA.variants[0];
    await must(await demo('PUT', `/api/v1/variants/${fx.variantA.id}/stock/${fx.warehouse.id}`, { on_hand: 10000, reason: 'RBAC order stock' }), 200);
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  it('the matrix names exactly the routes of `souk routes --json`, every principal, and a request for each', () => {
    const table = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const entries = new Set(Object.keys(matrix.routes));
    const missing = [...table].filter((k) => !entries.has(k));
    const stale = [...entries].filter((k) => !table.has(k));
    assert.deepEqual(missing, [], `routes without an entry in tests/api/rbac_matrix.json: ${missing.join(', ')}`);
    assert.deepEqual(stale, [], `rbac_matrix.json has entries for routes that do not exist: ${stale.join(', ')}`);
    for (const [k, row] of Object.entries(matrix.routes)) {
      assert.deepEqual(Object.keys(row).sort(), [...PRINCIPALS].sort(), `${k}: one outcome per principal`);
      for (const [p, v] of Object.entries(row)) assert.ok(['allow', 401, 403, 404].includes(v), `${k} ${p}: bad outcome ${JSON.stringify(v)}`);
    }
    const noRequest = [...table].filter((k) => !REQUESTS[k]);
    assert.deepEqual(noRequest, [], `routes without a request fixture in rbac.test.js: ${noRequest.join(', ')}`);
    for (const k of knownIssues.keys()) assert.ok(table.has(k.split('|')[0]), `known issue for unknown route ${k}`);
  });

  it('storefront pages (web) are public and outside /api/ and the platform paths; every other route is API', () => {
    const platform = (p) => p.startsWith('/api/') || ['/healthz', '/readyz', '/metrics'].includes(p) || p.startsWith('/.well-known/');
    const web = allRoutes.filter((x) => x.web);
    assert.ok(web.length > 0, 'the storefront has pages');
    for (const x of web) {
      assert.equal(x.permission, 'public', `${x.method} ${x.path}: a web page is public`);
      assert.ok(!platform(x.path), `${x.method} ${x.path}: a web page must not collide with the API`);
    }
    for (const x of routes) assert.ok(platform(x.path), `${x.method} ${x.path}: outside /api/ but not flagged web`);
  });

  it('the matrix agrees with the permission each route declares', () => {
    for (const r of routes) {
      const row = matrix.routes[`${r.method} ${r.path}`];
      if (!row) continue; // reported above
      const where = `${r.method} ${r.path} (${r.permission})`;
      if (r.permission === 'public') {
        assert.ok(PRINCIPALS.every((p) => row[p] === 'allow'), `${where}: a public route must allow everyone`);
      } else {
        assert.equal(row.anonymous, 401, `${where}: anonymous must get 401`);
      }
      if (r.permission === 'session') {
        // account management: the owner with an access token, never an API key
        assert.ok(['customer', 'vendor', 'inventory_manager', 'admin'].every((p) => row[p] !== 401 && row[p] !== 403),
          `${where}: every signed-in user manages their own account`);
        assert.equal(row.admin_key, 403, `${where}: API keys must get 403`);
        assert.equal(row.narrow_key, 403, `${where}: API keys must get 403`);
      } else if (r.permission !== 'public' && r.permission !== 'authenticated') {
        // only holders of the permission (or of "*") pass; vendors hold catalog:write:own only
        assert.equal(row.customer, 403, `${where}: customers hold no permission`);
        assert.equal(row.admin, 'allow', `${where}: admins hold every permission`);
      }
    }
  });

  it('the OpenAPI document declares the same permission and security as the route table', async () => {
    const doc = (await must(await api(srv, 'GET', '/api/v1/openapi.json'), 200));
    const norm = (p) => p.replace(/\{[^}]+\}/g, '{}');
    for (const r of routes) {
      const item = Object.entries(doc.paths).find(([p]) => norm(p) === norm(r.path))?.[1];
      const op = item?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${r.path} is not documented`);
      assert.equal(op['x-permission'], r.permission, `${r.method} ${r.path}: x-permission`);
      if (r.permission !== 'public') {
        assert.deepEqual(op.security, [{ bearer: [] }], `${r.method} ${r.path}: security`);
        assert.ok(op.responses['401'] && op.responses['403'], `${r.method} ${r.path}: 401 and 403 documented`);
      }
      if (r.rate !== 'none') assert.ok(op.responses['429'], `${r.method} ${r.path}: 429 documented`);
    }
  });

  /** Sends route K as principal P; returns null when the outcome matches, else why not. */
  async function check(k, p) {
    const [method, pattern] = k.split(' ');
    const permission = routes.find((r) => `${r.method} ${r.path}` === k)?.permission;
    const expected = matrix.routes[k][p];
    const req = await REQUESTS[k](p);
    const path = pattern.replace(/\{([^}]+)\}/g, (_, name) => {
      assert.ok(req.params?.[name], `${k}: no fixture for {${name}}`);
      return encodeURIComponent(req.params[name]);
    }) + (req.query || '');
    const credential = 'cred' in req ? req.cred : cred[p];
    let r;
    try {
      r = await api(srv, method, path, { key: credential ?? undefined, body: req.body, headers: req.headers });
    } catch (e) {
      return `${p}: ${e.message.split('\n').slice(0, 3).join(' ')}`;
    }
    (observed[k] ??= {})[p] = r.status;
    const code = r.status >= 400 ? r.body?.error?.code : undefined;
    const got = `${method} ${path} as ${p} -> ${r.status}${code ? ' ' + code : ''}: ${r.text.slice(0, 200)}`;
    if (expected === 'allow') {
      if (r.status === 403) return `expected allow, ${got}`;
      if (r.status === 401 && !(req.accept || []).includes(code)) return `expected allow, ${got}`;
      if (r.status === 404 && (permission === 'catalog:write:own' || permission === 'orders:fulfil:own')) {
        return `expected allow (404 here means "not your product / order"), ${got}`;
      }
      if (r.status >= 500) return `expected allow, server error ${got}`;
      return null;
    }
    if (r.status !== expected || code !== REFUSAL_CODE[expected]) return `expected ${expected} ${REFUSAL_CODE[expected]}, ${got}`;
    return null;
  }

  for (const k of Object.keys(matrix.routes)) {
    const known = PRINCIPALS.filter((p) => knownIssues.has(`${k}|${p}`));
    const rest = PRINCIPALS.filter((p) => !known.includes(p));
    it(`${k}`, async () => {
      assert.ok(REQUESTS[k], `no request fixture for ${k}`);
      const failures = [];
      for (const p of rest) {
        const f = await check(k, p);
        if (f) failures.push(f);
      }
      assert.deepEqual(failures, [], `${k}:\n  ${failures.join('\n  ')}`);
    });
    for (const p of known) {
      it(`${k} as ${p} (known issue)`, { todo: knownIssues.get(`${k}|${p}`) }, async () => {
        const f = await check(k, p);
        if (f) assert.fail(f);
      });
    }
  }

  it('vendors do write their own vendor\'s products (the other side of the 404 cells)', async () => {
    const t = users.vendor.token;
    const p = await must(await api(srv, 'POST', '/api/v1/products', { key: t, body: { title: uniq('vendor own product') } }), 201);
    assert.equal(p.vendor?.id, fx.vendorA.id, 'a vendor\'s new product belongs to its vendor');
    await must(await api(srv, 'PATCH', `/api/v1/products/${p.id}`, { key: t, body: { description: 'mine' } }), 200);
    const v = await must(await api(srv, 'POST', `/api/v1/products/${p.id}/variants`, { key: t, body: { sku: uniq('VEND-SKU') } }), 201);
    await must(await api(srv, 'PATCH', `/api/v1/variants/${v.id}`, { key: t, body: { title: 'mine' } }), 200);
    await must(await api(srv, 'PUT', `/api/v1/variants/${v.id}/prices/USD`, { key: t, body: { amount: 1234 } }), 200);
    await must(await api(srv, 'DELETE', `/api/v1/variants/${v.id}/prices/USD`, { key: t }), 200);
    await must(await api(srv, 'DELETE', `/api/v1/variants/${v.id}`, { key: t }), 200);
    await must(await api(srv, 'DELETE', `/api/v1/products/${p.id}`, { key: t }), 200);
    // and cannot hand a product to another vendor
    const r = await api(srv, 'POST', '/api/v1/products', { key: t, body: { title: uniq('not mine'), vendor_id: fx.vendorB.id } });
    assert.equal(r.status, 422, r.text);
    assert.ok(r.body.error.details.some((d) => d.field === 'vendor_id'), r.text);
    // the other vendor's product was left alone by the vendor's refused PATCH
    const b = await must(await api(srv, 'GET', `/api/v1/products/${fx.productB.id}`, { key: true }), 200);
    assert.notEqual(b.description, 'touched by vendor');
  });

  it('vendors see and act on only their own part of an order (the other side of the orders:fulfil:own cells)', async () => {
    const other = (await productOf(fx.vendorB.id)).variants[0];
    await must(await demo('PUT', `/api/v1/variants/${other.id}/stock/${fx.warehouse.id}`, { on_hand: 10, reason: 'RBAC other vendor' }), 200);
    const v = users.vendor.token;
    // an order of vendor B's goods only: not the vendor's business
    const theirs = await placeOrder('customer', 1, [other]);
    expectNotFound(await api(srv, 'GET', `/api/v1/orders/${theirs.id}`, { key: v }));
    expectNotFound(await api(srv, 'POST', `/api/v1/orders/${theirs.id}/fulfil`, { key: v }));
    expectNotFound(await api(srv, 'POST', `/api/v1/orders/${theirs.id}/cancel`, { key: fx.bystander.token }));
    expectNotFound(await api(srv, 'GET', `/api/v1/orders/${theirs.id}`, { key: fx.bystander.token }));
    expectNotFound(await api(srv, 'GET', `/api/v1/orders/${theirs.id}`)); // a guest without the order token
    const listed = await must(await api(srv, 'GET', `/api/v1/orders?q=${theirs.id}`, { key: v }), 200);
    assert.deepEqual(listed.data, [], 'a vendor does not list orders without their lines');
    // a mixed order: the vendor sees and fulfils only their own lines and sub-order
    const mixed = await placeOrder('customer', 1, [fx.variantA, other]);
    assert.equal(mixed.sub_orders.length, 2, JSON.stringify(mixed.sub_orders));
    const seen = await must(await api(srv, 'GET', `/api/v1/orders/${mixed.id}`, { key: v }), 200);
    assert.deepEqual(seen.lines.map((l) => l.variant_id), [fx.variantA.id]);
    assert.deepEqual(seen.sub_orders.map((s) => s.vendor_id), [fx.vendorA.id]);
    const done = await must(await api(srv, 'POST', `/api/v1/orders/${mixed.id}/fulfil`, { key: v }), 200);
    assert.equal(done.state, 'partially_fulfilled', 'vendor B\'s line is still to be fulfilled');
    const r = await api(srv, 'POST', `/api/v1/orders/${mixed.id}/fulfil`, { key: v, body: { lines: [{ variant_id: other.id, quantity: 1 }] } });
    assert.equal(r.status, 422, r.text);
    assert.ok(r.body.error.details.some((d) => d.field.startsWith('lines[')), r.text);
  });

  it('summary: every cell of the matrix was sent and answered', (t) => {
    const counts = {};
    for (const row of Object.values(matrix.routes)) for (const v of Object.values(row)) counts[v] = (counts[v] || 0) + 1;
    t.diagnostic(`${Object.keys(matrix.routes).length} routes x ${PRINCIPALS.length} principals; expected ${JSON.stringify(counts)}; known issues ${knownIssues.size}`);
    for (const [k, row] of Object.entries(observed)) t.diagnostic(`${k.padEnd(52)} ${PRINCIPALS.map((p) => `${p}=${row[p] ?? '-'}`).join(' ')}`);
    // a route test that stopped early (a fixture threw) must not pass its remaining cells off as checked
    const unsent = [];
    for (const k of Object.keys(matrix.routes)) {
      for (const p of PRINCIPALS) {
        if (!knownIssues.has(`${k}|${p}`) && typeof observed[k]?.[p] !== 'number') unsent.push(`${k} as ${p}`);
      }
    }
    assert.deepEqual(unsent, [], `cells never sent:\n  ${unsent.join('\n  ')}`);
    assert.equal(Object.keys(observed).length, Object.keys(matrix.routes).length, 'every route was requested');
  });
});
