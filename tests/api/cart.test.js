// Carts: guest and customer carts, lines, prices read afresh, currency,
// tax (inclusive / exclusive), shipping, coupons, merge after sign-in, and the
// admin pricing configuration (tax rates, shipping methods, coupons).
//
// Totals follow src/cart/totals.h (docs/cart.md): integer minor units,
// every rounding half up, once, on the final figure.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { register, sqlite } from './lib/auth_util.js';
import { token } from './lib/util.js';
import { jsonText } from './lib/db.js';

// ---- the documented arithmetic (totals.h), for the cases computed below ----
/** x * bp / 10000, rounded half up */
const bp = (x, rate) => Math.floor((x * rate + 5000) / 10000);
/** the part of x that is tax when x includes tax at RATE: x * rate / (10000 + rate), rounded half up */
const inclusiveTax = (x, rate) => Math.floor((2 * x * rate + 10000 + rate) / (2 * (10000 + rate)));

const money = (amount, currency = 'USD') => ({ amount, currency });

describe('carts', () => {
  let srv;
  const fx = {};

  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  async function must(r, status) {
    assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 500)}`);
    return r.body;
  }
  /** A request on the guest cart of TOKEN (X-Cart-Token). */
  const guest = (tok, method, path, body) => api(srv, method, path, { headers: tok === undefined ? {} : { 'X-Cart-Token': tok }, body });
  /** A new guest cart: {cart, token}. */
  async function newGuest(body) {
    const r = await api(srv, 'POST', '/api/v1/carts', { body });
    const cart = await must(r, 201);
    assert.match(cart.cart_token, /^ct_[A-Za-z0-9_-]{43}$/);
    return { cart, token: cart.cart_token };
  }
  async function addLine(tok, variant, quantity) {
    return must(await guest(tok, 'POST', '/api/v1/carts/current/lines', { variant_id: variant, quantity }), 200);
  }
  const setCart = async (tok, body) => must(await guest(tok, 'PATCH', '/api/v1/carts/current', body), 200);
  const lineOf = (cart, variant) => cart.lines.find((l) => l.variant_id === variant);
  // Refusals that souk decides inside its write transaction (unknown or unbuyable
  // variant, quantity over 999 in all, absent line, unknown shipping method, a
  // refused coupon) are collected and their statuses checked together at the end
  // (regression: they once answered 500 because c.err was read before the
  // transaction ran).
  const txRefusals = [];
  const refusedInTx = (r, status, errCode, field) => { txRefusals.push({ r, status, errCode, field }); return r; };
  const code = (tag) => `${tag}${token()}`.slice(0, 32).toUpperCase().replace(/[^A-Z0-9_-]/g, '');

  async function product(title, status, variants) {
    return must(await admin('POST', '/api/v1/products', {
      title: `${title} ${token()}`, status, variants: variants.map((prices) => ({ sku: `CART-${token()}`, prices })),
    }), 201);
  }

  before(async () => {
    srv = await startServer();
    // v1: USD 1000 / EUR 900; v2: USD 2500 only; v3: USD 333
    const p = await product('Cart product', 'active', [[money(1000), money(900, 'EUR')], [money(2500)], [money(333)]]);
    [fx.v1, fx.v2, fx.v3] = p.variants.map((v) => v.id);
    fx.product = p;
    const d = await product('Draft product', 'draft', [[money(500)]]);
    fx.draftVariant = d.variants[0].id;
    fx.many = await product('Many variants', 'active', Array.from({ length: 100 }, (_, i) => [money(100 + i)]));
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  it('a guest cart is created with its token shown once (201)', async () => {
    const { cart, token: tok } = await newGuest();
    assert.match(cart.id, /^cart_/);
    assert.equal(cart.currency, 'USD', 'the store currency by default');
    assert.deepEqual(cart.lines, []);
    assert.equal(cart.region, null);
    assert.equal(cart.shipping_method, null);
    assert.equal(cart.coupon, null);
    for (const k of ['subtotal', 'discount', 'shipping', 'tax', 'total']) assert.deepEqual(cart.totals[k], money(0), k);
    assert.equal(cart.totals.coupon_applied, false);
    assert.equal(Date.parse(cart.expires_at) - Date.parse(cart.updated_at), 7 * 24 * 3600 * 1000, 'expires 7 days after the last change');

    const again = await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200);
    assert.equal(again.id, cart.id);
    assert.equal('cart_token' in again, false, 'the token is never shown again');
    assert.match(( await guest(tok, 'GET', '/api/v1/carts/current')).headers.get('cache-control') || '', /no-store/);

    const eur = await must(await api(srv, 'POST', '/api/v1/carts', { body: { currency: 'EUR' } }), 201);
    assert.equal(eur.currency, 'EUR');
    assert.notEqual(eur.cart_token, tok);
    expectError(await api(srv, 'POST', '/api/v1/carts', { body: { currency: 'ABC' } }), 422, 'VALIDATION_ERROR', 'currency');
    expectError(await api(srv, 'POST', '/api/v1/carts', { body: { colour: 'red' } }), 422, 'VALIDATION_ERROR', 'colour');
    expectError(await api(srv, 'POST', '/api/v1/carts', { rawBody: 'currency=EUR', headers: { 'Content-Type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('lines: quantities add up; bad variants and quantities are 422', async () => {
    const { token: tok } = await newGuest();
    let cart = await addLine(tok, fx.v1, 2);
    assert.equal(cart.lines.length, 1);
    assert.deepEqual(lineOf(cart, fx.v1), {
      variant_id: fx.v1, product_id: fx.product.id, sku: fx.product.variants[0].sku, product_title: fx.product.title,
      variant_title: fx.product.variants[0].title, quantity: 2, unit_price: money(1000), line_total: money(2000), discount: money(0),
      purchasable: true, problem: null,
    });
    cart = await addLine(tok, fx.v1, 3);
    assert.equal(cart.lines.length, 1);
    assert.equal(lineOf(cart, fx.v1).quantity, 5);
    cart = await addLine(tok, fx.v3, 1);
    assert.deepEqual(cart.lines.map((l) => l.variant_id), [fx.v1, fx.v3], 'oldest line first');
    assert.deepEqual(cart.totals.subtotal, money(5333));
    assert.deepEqual(cart.totals.total, money(5333));

    const bad = (body, field) => guest(tok, 'POST', '/api/v1/carts/current/lines', body).then((r) => expectError(r, 422, 'VALIDATION_ERROR', field));
    const badTx = (body, field) => guest(tok, 'POST', '/api/v1/carts/current/lines', body).then((r) => refusedInTx(r, 422, 'VALIDATION_ERROR', field));
    await badTx({ variant_id: 'var_0000000000000', quantity: 1 }, 'variant_id');
    await bad({ variant_id: 'not-a-variant', quantity: 1 }, 'variant_id');
    await badTx({ variant_id: fx.draftVariant, quantity: 1 }, 'variant_id');
    await bad({ variant_id: fx.v2, quantity: 0 }, 'quantity');
    await bad({ variant_id: fx.v2, quantity: 1000 }, 'quantity');
    await bad({ variant_id: fx.v2, quantity: -1 }, 'quantity');
    await bad({ variant_id: fx.v2, quantity: '2' }, 'quantity');
    await bad({ variant_id: fx.v2 }, 'quantity');
    await badTx({ variant_id: fx.v1, quantity: 995 }, 'quantity'); // 5 + 995 > 999
    cart = await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200);
    assert.deepEqual(cart.lines.map((l) => [l.variant_id, l.quantity]), [[fx.v1, 5], [fx.v3, 1]], 'refused requests changed nothing');
    cart = await addLine(tok, fx.v1, 994);
    assert.equal(lineOf(cart, fx.v1).quantity, 999, 'up to 999 of one variant');
    // every change wrote its cart.updated event in its transaction; refusals wrote none
    const events = sqlite(srv.dbPath, `SELECT count(*) FROM events WHERE type = 'cart.updated' AND aggregate_id = '${cart.id}' `
      + `AND ${jsonText(srv.dbPath, 'payload', 'reason')} = 'lines'`);
    assert.equal(events, '4', 'four accepted line changes, four events');
  });

  // Server bug: line_tx counts the cart's lines with "SELECT count(*) FROM
  // cart_lines WHERE cart_id = $1" without binding $1, so the count is always 0
  // and the 101st line is added.
  it('a cart holds at most 100 lines', async () => {
    const many = fx.many;
    const extra = await product('One more', 'active', [[money(7)]]);
    const { token: tok } = await newGuest();
    let cart;
    for (const v of many.variants) cart = await addLine(tok, v.id, 1);
    assert.equal(cart.lines.length, 100);
    assert.deepEqual(cart.totals.subtotal, money(Array.from({ length: 100 }, (_, i) => 100 + i).reduce((a, b) => a + b)));
    expectError(await guest(tok, 'POST', '/api/v1/carts/current/lines', { variant_id: extra.variants[0].id, quantity: 1 }), 422, 'VALIDATION_ERROR', 'variant_id');
    cart = await addLine(tok, many.variants[0].id, 1); // an existing line still grows
    assert.equal(cart.lines[0].quantity, 2);
  });

  it('a cart total is capped at 4·10^14 minor units: the line that would pass it is 422', async () => {
    const big = await product('Costly product', 'active', [[money(1e12)]]); // the highest price souk takes
    const vb = big.variants[0].id;
    const tok = (await newGuest()).token;
    const cart = await addLine(tok, vb, 400);
    assert.deepEqual(cart.totals.subtotal, money(4e14), 'exactly at the cap');
    const over = await guest(tok, 'POST', '/api/v1/carts/current/lines', { variant_id: vb, quantity: 1 });
    expectError(over, 422, 'VALIDATION_ERROR', 'quantity');
    const r = await guest(tok, 'GET', '/api/v1/carts/current');
    assert.equal(r.status, 200, r.text);
    assert.equal(lineOf(r.body, vb).quantity, 400, 'the refused line changed nothing');
    // a price rise past the cap: the cart answers a clear 422, and lowering the quantity mends it
    await must(await admin('PUT', `/api/v1/variants/${vb}/prices/USD`, { amount: 9e11 }), 200);
    const below = await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${vb}`, { quantity: 444 }), 200);
    assert.deepEqual(below.totals.subtotal, money(3.996e14));
    await must(await admin('PUT', `/api/v1/variants/${vb}/prices/USD`, { amount: 1e12 }), 200);
    expectError(await guest(tok, 'GET', '/api/v1/carts/current'), 422, 'VALIDATION_ERROR');
    const mended = await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${vb}`, { quantity: 1 }), 200);
    assert.deepEqual(mended.totals.subtotal, money(1e12));
  });

  it('PATCH sets a quantity (0 removes), DELETE removes a line, absent lines are 404', async () => {
    const { token: tok } = await newGuest();
    await addLine(tok, fx.v1, 2);
    await addLine(tok, fx.v3, 1);
    let cart = await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity: 7 }), 200);
    assert.equal(lineOf(cart, fx.v1).quantity, 7);
    assert.deepEqual(cart.totals.subtotal, money(7333));
    expectError(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity: 1000 }), 422, 'VALIDATION_ERROR', 'quantity');
    expectError(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity: -1 }), 422, 'VALIDATION_ERROR', 'quantity');
    expectError(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, {}), 422, 'VALIDATION_ERROR', 'quantity');
    cart = await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity: 0 }), 200);
    assert.equal(lineOf(cart, fx.v1), undefined, 'quantity 0 removes the line');
    refusedInTx(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity: 3 }), 404, 'NOT_FOUND');
    refusedInTx(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v2}`, { quantity: 0 }), 404, 'NOT_FOUND');
    expectError(await guest(tok, 'PATCH', '/api/v1/carts/current/lines/nope', { quantity: 1 }), 404, 'NOT_FOUND');
    cart = await must(await guest(tok, 'DELETE', `/api/v1/carts/current/lines/${fx.v3}`), 200);
    assert.deepEqual(cart.lines, []);
    assert.deepEqual(cart.totals.total, money(0));
    refusedInTx(await guest(tok, 'DELETE', `/api/v1/carts/current/lines/${fx.v3}`), 404, 'NOT_FOUND');
    assert.deepEqual((await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200)).lines, []);
  });

  it('the cart token is the only key: absent, wrong or someone else\'s tokens find nothing (404)', async () => {
    const a = await newGuest();
    const b = await newGuest();
    await addLine(a.token, fx.v1, 1);
    expectError(await guest(undefined, 'GET', '/api/v1/carts/current'), 404, 'NOT_FOUND');
    expectError(await guest('', 'GET', '/api/v1/carts/current'), 404, 'NOT_FOUND');
    const flipped = a.token.slice(0, -1) + (a.token.endsWith('A') ? 'B' : 'A');
    for (const t of [flipped, 'ct_x', 'nonsense', a.cart.id, `${a.token}x`]) {
      expectError(await guest(t, 'GET', '/api/v1/carts/current'), 404, 'NOT_FOUND');
      expectError(await guest(t, 'POST', '/api/v1/carts/current/lines', { variant_id: fx.v1, quantity: 1 }), 404, 'NOT_FOUND');
      expectError(await guest(t, 'DELETE', `/api/v1/carts/current/lines/${fx.v1}`), 404, 'NOT_FOUND');
    }
    // B's token reaches B's cart only
    const cb = await must(await guest(b.token, 'GET', '/api/v1/carts/current'), 200);
    assert.equal(cb.id, b.cart.id);
    assert.deepEqual(cb.lines, []);
    refusedInTx(await guest(b.token, 'DELETE', `/api/v1/carts/current/lines/${fx.v1}`), 404, 'NOT_FOUND');
    assert.equal((await must(await guest(a.token, 'GET', '/api/v1/carts/current'), 200)).lines.length, 1, "A's line is untouched");
    // a signed-in customer reaches their own cart, never a guest cart named by X-Cart-Token
    const c = await register(srv);
    expectError(await api(srv, 'GET', '/api/v1/carts/current', { key: c.access, headers: { 'X-Cart-Token': a.token } }), 404, 'NOT_FOUND');
    expectError(await api(srv, 'GET', '/api/v1/carts/current', { key: 'sk_not-a-key' }), 401, 'UNAUTHORIZED');
  });

  it('prices are read afresh: price changes, archived variants and unpublished products show at once', async () => {
    const p = await product('Repriced', 'active', [[money(1200)], [money(800)]]);
    const [va, vb] = p.variants.map((v) => v.id);
    const { token: tok } = await newGuest();
    await addLine(tok, va, 2);
    let cart = await addLine(tok, vb, 1);
    assert.deepEqual(cart.totals.subtotal, money(3200));
    await must(await admin('PUT', `/api/v1/variants/${va}/prices/USD`, { amount: 1500 }), 200);
    cart = await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200);
    assert.deepEqual(lineOf(cart, va).unit_price, money(1500));
    assert.deepEqual(lineOf(cart, va).line_total, money(3000));
    assert.deepEqual(cart.totals.subtotal, money(3800));

    await must(await admin('DELETE', `/api/v1/variants/${vb}`), 200);
    cart = await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200);
    assert.equal(lineOf(cart, vb).purchasable, false);
    assert.equal(lineOf(cart, vb).problem, 'no longer for sale');
    assert.equal(lineOf(cart, vb).line_total, null);
    assert.deepEqual(cart.totals.subtotal, money(3000), 'unbuyable lines are left out of the totals');
    refusedInTx(await guest(tok, 'POST', '/api/v1/carts/current/lines', { variant_id: vb, quantity: 1 }), 422, 'VALIDATION_ERROR', 'variant_id');
    refusedInTx(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${vb}`, { quantity: 2 }), 422, 'VALIDATION_ERROR', 'variant_id');
    assert.equal(lineOf(await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200), vb).quantity, 1);
    cart = await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${vb}`, { quantity: 0 }), 200);
    assert.equal(lineOf(cart, vb), undefined, 'an unbuyable line can still be removed');

    await must(await admin('PATCH', `/api/v1/products/${p.id}`, { status: 'draft' }), 200);
    cart = await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200);
    assert.equal(lineOf(cart, va).purchasable, false);
    assert.deepEqual(cart.totals.total, money(0));
    await must(await admin('PATCH', `/api/v1/products/${p.id}`, { status: 'active' }), 200);
    cart = await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200);
    assert.deepEqual(cart.totals.subtotal, money(3000));
  });

  it('a cart keeps its currency: another only while empty; lines without a price in it are not purchasable', async () => {
    const { token: tok } = await newGuest();
    await addLine(tok, fx.v1, 2);
    await addLine(tok, fx.v2, 1);
    // priced in USD with lines: a switch is refused (docs/currencies.md), nothing changes
    const refused = await guest(tok, 'PATCH', '/api/v1/carts/current', { currency: 'EUR' });
    expectError(refused, 409, 'CONFLICT', 'currency');
    let cart = await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200);
    assert.equal(cart.currency, 'USD');
    assert.deepEqual(cart.totals.subtotal, money(4500));
    // emptied, it may change; then it is priced from the EUR list only (never converted)
    await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity: 0 }), 200);
    await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v2}`, { quantity: 0 }), 200);
    cart = await setCart(tok, { currency: 'EUR' });
    await addLine(tok, fx.v1, 2);
    cart = await addLine(tok, fx.v2, 1);
    assert.equal(cart.currency, 'EUR');
    assert.deepEqual(lineOf(cart, fx.v1).unit_price, money(900, 'EUR'));
    assert.deepEqual(lineOf(cart, fx.v1).line_total, money(1800, 'EUR'));
    const l2 = lineOf(cart, fx.v2);
    assert.equal(l2.unit_price, null);
    assert.equal(l2.line_total, null);
    assert.equal(l2.purchasable, false);
    assert.equal(l2.problem, "has no price in the cart's currency");
    assert.equal(l2.quantity, 1, 'the line stays in the cart');
    assert.deepEqual(cart.totals.subtotal, money(1800, 'EUR'));
    assert.deepEqual(cart.totals.total, money(1800, 'EUR'));
    cart = await setCart(tok, { currency: 'EUR' }); // the same currency again is no change
    assert.deepEqual(cart.totals.subtotal, money(1800, 'EUR'));
    expectError(await guest(tok, 'PATCH', '/api/v1/carts/current', { currency: 'usd' }), 422, 'VALIDATION_ERROR', 'currency');
  });

  it('tax: inclusive and exclusive rates per region, rounded half up', async () => {
    await must(await admin('PUT', '/api/v1/admin/tax-rates/GB', { name: 'UK VAT', rate_bp: 2000, prices_include_tax: true }), 200);
    const list = await must(await admin('PUT', '/api/v1/admin/tax-rates/US-CA', { name: 'California', rate_bp: 825 }), 200);
    const byRegion = Object.fromEntries(list.data.map((t) => [t.region, t]));
    assert.deepEqual({ ...byRegion.GB, updated_at: undefined }, { region: 'GB', name: 'UK VAT', rate_bp: 2000, prices_include_tax: true, updated_at: undefined });
    assert.equal(byRegion['US-CA'].prices_include_tax, false, 'exclusive by default');
    assert.equal(byRegion['US-CA'].rate_bp, 825);

    const { token: tok } = await newGuest();
    await addLine(tok, fx.v1, 3);
    let cart = await addLine(tok, fx.v3, 1); // 3000 + 333 = 3333
    assert.deepEqual(cart.totals.tax, money(0), 'no region, no tax');

    cart = await setCart(tok, { region: 'US-CA' });
    assert.equal(cart.region, 'US-CA');
    // 3333 × 8.25 % = 274.9725 → 275, added to the total
    assert.equal(bp(3333, 825), 275);
    assert.deepEqual(cart.totals, { subtotal: money(3333), discount: money(0), shipping: money(0), tax: money(275), total: money(3608), prices_include_tax: false, coupon_applied: false });

    cart = await setCart(tok, { region: 'GB' });
    // inclusive: 3333 × 2000 / 12000 = 555.5 → 556 (half up), shown but not added
    assert.equal(inclusiveTax(3333, 2000), 556);
    assert.deepEqual(cart.totals, { subtotal: money(3333), discount: money(0), shipping: money(0), tax: money(556), total: money(3333), prices_include_tax: true, coupon_applied: false });

    // exact halves round up: 1000 × 8.25 % = 82.5 → 83
    await must(await guest(tok, 'DELETE', `/api/v1/carts/current/lines/${fx.v3}`), 200);
    await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity: 1 }), 200);
    cart = await setCart(tok, { region: 'US-CA' });
    assert.deepEqual(cart.totals.tax, money(83));
    assert.deepEqual(cart.totals.total, money(1083));
    cart = await setCart(tok, { region: 'GB' }); // 1000 / 6 = 166.67 → 167
    assert.deepEqual(cart.totals.tax, money(167));
    assert.deepEqual(cart.totals.total, money(1000));

    cart = await setCart(tok, { region: 'DE' });
    assert.equal(cart.region, 'DE');
    assert.deepEqual(cart.totals.tax, money(0), 'a region without a rate pays no tax');
    cart = await setCart(tok, { region: '' });
    assert.equal(cart.region, null, '"" clears the region');
    for (const region of ['gb', 'G', 'GBR', 'GB-', 'US_CA', 'US-ca', 'US-CALI']) {
      expectError(await guest(tok, 'PATCH', '/api/v1/carts/current', { region }), 422, 'VALIDATION_ERROR', 'region');
    }

    // a rate change applies at once
    cart = await setCart(tok, { region: 'US-CA' });
    await must(await admin('PUT', '/api/v1/admin/tax-rates/US-CA', { rate_bp: 1000 }), 200);
    cart = await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200);
    assert.deepEqual(cart.totals.tax, money(100));
    await must(await admin('PUT', '/api/v1/admin/tax-rates/US-CA', { name: 'California', rate_bp: 825 }), 200);
  });

  it('shipping: flat, free from a threshold, only in its currency, never taxed', async () => {
    const flat = await must(await admin('POST', '/api/v1/admin/shipping-methods', { code: 'flat', name: 'Flat rate', currency: 'USD', amount: 500 }), 201);
    assert.deepEqual({ ...flat, id: undefined, created_at: undefined, updated_at: undefined },
      { id: undefined, code: 'flat', name: 'Flat rate', price: money(500), free_above: null, active: true, created_at: undefined, updated_at: undefined });
    const free = await must(await admin('POST', '/api/v1/admin/shipping-methods', { code: 'free-over-50', name: 'Free over 50', currency: 'USD', amount: 700, free_above: 5000 }), 201);
    assert.deepEqual(free.free_above, money(5000));
    await must(await admin('POST', '/api/v1/admin/shipping-methods', { code: 'eu', name: 'EU', currency: 'EUR', amount: 400 }), 201);
    const pub = await must(await api(srv, 'GET', '/api/v1/shipping-methods'), 200);
    assert.ok(['flat', 'free-over-50', 'eu'].every((c) => pub.data.some((m) => m.code === c)), JSON.stringify(pub));

    const { token: tok } = await newGuest();
    let cart = await setCart(tok, { shipping_method: 'flat' });
    assert.equal(cart.shipping_method, 'flat');
    assert.deepEqual(cart.totals.shipping, money(0), 'an empty cart ships nothing');
    await addLine(tok, fx.v1, 3);
    cart = await addLine(tok, fx.v3, 1); // 3333
    assert.deepEqual(cart.totals.shipping, money(500));
    assert.deepEqual(cart.totals.total, money(3833));

    cart = await setCart(tok, { shipping_method: 'free-over-50' });
    assert.deepEqual(cart.totals.shipping, money(700), 'below the threshold');
    cart = await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v3}`, { quantity: 0 }), 200);
    cart = await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity: 5 }), 200); // exactly 5000
    assert.deepEqual(cart.totals.shipping, money(0), 'free once the goods reach free_above');
    assert.deepEqual(cart.totals.total, money(5000));

    // shipping is not taxed
    cart = await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity: 3 }), 200);
    cart = await setCart(tok, { region: 'US-CA', shipping_method: 'flat' });
    assert.deepEqual(cart.totals, { subtotal: money(3000), discount: money(0), shipping: money(500), tax: money(bp(3000, 825)), total: money(3000 + 500 + 248), prices_include_tax: false, coupon_applied: false });
    assert.equal(bp(3000, 825), 248); // 247.5 → 248

    // a method in another currency does not apply
    cart = await setCart(tok, { region: '', shipping_method: 'eu' });
    assert.equal(cart.shipping_method, null);
    assert.deepEqual(cart.totals.shipping, money(0));
    const { token: eurTok } = await newGuest({ currency: 'EUR' }); // a cart keeps its currency: a new one in EUR
    await setCart(eurTok, { shipping_method: 'eu' });
    const eurCart = await addLine(eurTok, fx.v1, 1);
    assert.equal(eurCart.shipping_method, 'eu');
    assert.deepEqual(eurCart.totals.shipping, money(400, 'EUR'));
    cart = await setCart(tok, { shipping_method: 'flat' });

    // deactivated methods are no longer offered nor charged
    const off = await must(await admin('PATCH', `/api/v1/admin/shipping-methods/${flat.id}`, { active: false }), 200);
    assert.equal(off.active, false);
    cart = await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200);
    assert.equal(cart.shipping_method, null);
    assert.deepEqual(cart.totals.shipping, money(0));
    assert.ok(!(await must(await api(srv, 'GET', '/api/v1/shipping-methods'), 200)).data.some((m) => m.code === 'flat'));
    assert.ok((await must(await admin('GET', '/api/v1/admin/shipping-methods'), 200)).data.some((m) => m.code === 'flat' && !m.active));
    refusedInTx(await guest(tok, 'PATCH', '/api/v1/carts/current', { shipping_method: 'flat' }), 422, 'VALIDATION_ERROR', 'shipping_method');
    refusedInTx(await guest(tok, 'PATCH', '/api/v1/carts/current', { shipping_method: 'no-such-method' }), 422, 'VALIDATION_ERROR', 'shipping_method');
    assert.equal((await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200)).shipping_method, null);
    await must(await admin('PATCH', `/api/v1/admin/shipping-methods/${flat.id}`, { active: true, amount: 600 }), 200);
    cart = await setCart(tok, { shipping_method: 'flat' });
    assert.deepEqual(cart.totals.shipping, money(600), 'the current amount');
    cart = await setCart(tok, { shipping_method: '' });
    assert.equal(cart.shipping_method, null);
    assert.deepEqual(cart.totals.shipping, money(0));
  });

  it('coupons: percent and fixed, minimum subtotal, and the ways a code is refused', async () => {
    const mk = async (body) => must(await admin('POST', '/api/v1/admin/coupons', body), 201);
    const half = await mk({ code: code('half'), kind: 'percent', value: 5000 });
    assert.equal(half.code, half.code.toUpperCase());
    assert.equal(half.currency, null);
    assert.equal(half.used_count, 0);
    const five = await mk({ code: code('five'), kind: 'fixed', value: 500, currency: 'USD' });
    const huge = await mk({ code: code('huge'), kind: 'fixed', value: 100000, currency: 'USD' });
    const big = await mk({ code: code('big'), kind: 'percent', value: 1000, min_subtotal: 5000 });
    const expired = await mk({ code: code('old'), kind: 'percent', value: 1000, expires_at: '2020-01-01T00:00:00Z' });
    const later = await mk({ code: code('later'), kind: 'percent', value: 1000, starts_at: '2099-01-01T00:00:00Z' });
    const inactive = await mk({ code: code('off'), kind: 'percent', value: 1000, active: false });
    const once = await mk({ code: code('once'), kind: 'percent', value: 1000, usage_limit: 1 });
    const euro = await mk({ code: code('euro'), kind: 'fixed', value: 300, currency: 'EUR' });

    const { token: tok } = await newGuest();
    await addLine(tok, fx.v1, 3);
    await addLine(tok, fx.v3, 1); // 3333
    const apply = (c) => guest(tok, 'PUT', '/api/v1/carts/current/coupon', { code: c });

    // percent: 3333 × 50 % = 1666.5 → 1667; typed in lower case
    let cart = await must(await apply(half.code.toLowerCase()), 200);
    assert.equal(cart.coupon, half.code);
    assert.deepEqual(cart.totals, { subtotal: money(3333), discount: money(1667), shipping: money(0), tax: money(0), total: money(1666), prices_include_tax: false, coupon_applied: true });
    // tax applies after the discount: (3333 − 1667) × 8.25 % = 137.445 → 137
    cart = await setCart(tok, { region: 'US-CA' });
    assert.deepEqual(cart.totals.tax, money(137));
    assert.deepEqual(cart.totals.total, money(1666 + 137));
    cart = await setCart(tok, { region: 'GB' }); // 1666 / 6 = 277.67 → 278
    assert.deepEqual(cart.totals.tax, money(inclusiveTax(1666, 2000)));
    assert.deepEqual(cart.totals.tax, money(278));
    assert.deepEqual(cart.totals.total, money(1666));
    cart = await setCart(tok, { region: '' });

    // fixed, in the cart's currency only; never more than the subtotal
    cart = await must(await apply(five.code), 200);
    assert.deepEqual(cart.totals.discount, money(500));
    assert.deepEqual(cart.totals.total, money(2833));
    cart = await must(await apply(huge.code), 200);
    assert.deepEqual(cart.totals.discount, money(3333));
    assert.deepEqual(cart.totals.total, money(0));
    refusedInTx(await apply(euro.code), 422, 'VALIDATION_ERROR', 'code');
    assert.equal((await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200)).coupon, huge.code);

    // the discount decides free shipping: goods = subtotal − discount
    await must(await admin('POST', '/api/v1/admin/shipping-methods', { code: 'cpn-free-30', name: 'Free over 30', currency: 'USD', amount: 450, free_above: 3000 }), 201);
    cart = await setCart(tok, { shipping_method: 'cpn-free-30' });
    assert.deepEqual(cart.totals.shipping, money(450), 'goods 0 after the discount');
    cart = await must(await guest(tok, 'DELETE', '/api/v1/carts/current/coupon'), 200);
    assert.equal(cart.coupon, null);
    assert.deepEqual(cart.totals.discount, money(0));
    assert.deepEqual(cart.totals.shipping, money(0), 'goods 3333 ≥ 3000');
    cart = await setCart(tok, { shipping_method: '' });

    // min_subtotal: the coupon stays but does not apply below it
    cart = await must(await apply(big.code), 200);
    assert.equal(cart.coupon, big.code);
    assert.equal(cart.totals.coupon_applied, false);
    assert.deepEqual(cart.totals.discount, money(0));
    cart = await addLine(tok, fx.v2, 1); // 5833
    assert.equal(cart.totals.coupon_applied, true);
    assert.deepEqual(cart.totals.discount, money(583)); // 583.3
    assert.deepEqual(cart.totals.total, money(5250));

    // refused codes leave the current coupon alone
    const why = {};
    for (const c of [expired.code, later.code, inactive.code, 'NO-SUCH-CODE']) why[c] = refusedInTx(await apply(c), 422, 'VALIDATION_ERROR', 'code');
    sqlite(srv.dbPath, `UPDATE coupons SET used_count = 1 WHERE code = '${once.code}'`);
    why[once.code] = refusedInTx(await apply(once.code), 422, 'VALIDATION_ERROR', 'code');
    const reason = (c) => why[c].body.error.details.find((d) => d.field === 'code')?.message;
    assert.equal(reason(expired.code), 'this coupon is not valid now');
    assert.equal(reason(later.code), 'this coupon is not valid now');
    assert.equal(reason(inactive.code), 'this coupon is not active');
    assert.equal(reason('NO-SUCH-CODE'), 'no such coupon');
    assert.equal(reason(once.code), 'this coupon has been used up');
    expectError(await guest(tok, 'PUT', '/api/v1/carts/current/coupon', {}), 422, 'VALIDATION_ERROR', 'code');
    expectError(await guest(tok, 'PUT', '/api/v1/carts/current/coupon', { code: '' }), 422, 'VALIDATION_ERROR', 'code');
    cart = await must(await guest(tok, 'GET', '/api/v1/carts/current'), 200);
    assert.equal(cart.coupon, big.code);

    // an admin can lift the limit or reactivate
    await must(await admin('PATCH', `/api/v1/admin/coupons/${once.id}`, { usage_limit: null }), 200);
    cart = await must(await apply(once.code), 200);
    assert.equal(cart.coupon, once.code);
    const on = await must(await admin('PATCH', `/api/v1/admin/coupons/${inactive.id}`, { active: true }), 200);
    assert.equal(on.active, true);
    cart = await must(await apply(inactive.code), 200);
    assert.equal(cart.coupon, inactive.code);
    const listed = await must(await admin('GET', '/api/v1/admin/coupons'), 200);
    assert.ok(listed.data.some((k) => k.id === once.id && k.usage_limit === null && k.used_count === 1));
  });

  it('customers have one cart, reached with their access token (no cart token)', async () => {
    const c = await register(srv);
    expectError(await api(srv, 'GET', '/api/v1/carts/current', { key: c.access }), 404, 'NOT_FOUND');
    const first = await must(await api(srv, 'POST', '/api/v1/carts', { key: c.access }), 201);
    assert.equal('cart_token' in first, false);
    const again = await must(await api(srv, 'POST', '/api/v1/carts', { key: c.access, body: { currency: 'EUR' } }), 200);
    assert.equal(again.id, first.id, 'the same cart');
    let cart = await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: c.access, body: { variant_id: fx.v1, quantity: 2 } }), 200);
    assert.equal(cart.id, first.id);
    cart = await must(await api(srv, 'GET', '/api/v1/carts/current', { key: c.access }), 200);
    assert.deepEqual(cart.totals.subtotal, money(2000));
    // a new sign-in reaches the same cart
    const t2 = await must(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: c.email, password: c.password } }), 200);
    assert.equal((await must(await api(srv, 'GET', '/api/v1/carts/current', { key: t2.access_token }), 200)).id, first.id);

    // a cart expires 7 days after its last change; then a new one is started
    sqlite(srv.dbPath, `UPDATE carts SET expires_at = 1 WHERE user_id = (SELECT id FROM users WHERE email = '${c.email}')`);
    expectError(await api(srv, 'GET', '/api/v1/carts/current', { key: c.access }), 404, 'NOT_FOUND');
    const fresh = await must(await api(srv, 'POST', '/api/v1/carts', { key: c.access }), 201);
    assert.notEqual(fresh.id, first.id);
    assert.deepEqual(fresh.lines, []);
  });

  it('merge: a guest cart moves into the customer\'s cart; quantities add, capped at 999', async () => {
    const c = await register(srv);
    await must(await api(srv, 'POST', '/api/v1/carts', { key: c.access }), 201);
    await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: c.access, body: { variant_id: fx.v1, quantity: 1 } }), 200);
    await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: c.access, body: { variant_id: fx.v3, quantity: 5 } }), 200);
    const g = await newGuest();
    await addLine(g.token, fx.v1, 2);
    await addLine(g.token, fx.v3, 998);
    await addLine(g.token, fx.v2, 1);

    // an API key cannot merge, nor can anyone without a credential
    expectError(await api(srv, 'POST', '/api/v1/carts/merge', { key: true, body: { cart_token: g.token } }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'POST', '/api/v1/carts/merge', { body: { cart_token: g.token } }), 401, 'UNAUTHORIZED');
    expectError(await api(srv, 'POST', '/api/v1/carts/merge', { key: c.access, body: {} }), 422, 'VALIDATION_ERROR', 'cart_token');
    expectError(await api(srv, 'POST', '/api/v1/carts/merge', { key: c.access, body: { cart_token: 'ct_no-such-cart-token' } }), 404, 'NOT_FOUND');

    const cart = await must(await api(srv, 'POST', '/api/v1/carts/merge', { key: c.access, body: { cart_token: g.token } }), 200);
    assert.equal('cart_token' in cart, false);
    assert.equal(lineOf(cart, fx.v1).quantity, 3);
    assert.equal(lineOf(cart, fx.v3).quantity, 999, 'capped at 999');
    assert.equal(lineOf(cart, fx.v2).quantity, 1);
    assert.deepEqual(cart.totals.subtotal, money(3 * 1000 + 999 * 333 + 2500));
    expectError(await guest(g.token, 'GET', '/api/v1/carts/current'), 404, 'NOT_FOUND');
    expectError(await api(srv, 'POST', '/api/v1/carts/merge', { key: c.access, body: { cart_token: g.token } }), 404, 'NOT_FOUND');
    assert.equal((await must(await api(srv, 'GET', '/api/v1/carts/current', { key: c.access }), 200)).id, cart.id);
  });

  // Server bug: merge_tx (src/cart/cart.c) reads the guest cart's currency with
  // "SELECT currency FROM carts WHERE id = $1" without binding $1, so merging
  // into an account that has no cart yet fails with 500 INTERNAL.
  it('merge into an account without a cart makes the customer\'s cart', async () => {
    const c = await register(srv);
    const g = await newGuest({ currency: 'EUR' });
    await addLine(g.token, fx.v1, 2);
    const cart = await must(await api(srv, 'POST', '/api/v1/carts/merge', { key: c.access, body: { cart_token: g.token } }), 200);
    assert.equal(cart.currency, 'EUR');
    assert.equal(lineOf(cart, fx.v1).quantity, 2);
    expectError(await guest(g.token, 'GET', '/api/v1/carts/current'), 404, 'NOT_FOUND');
  });

  // Merge respects the 100-line cap (refused with 422, nothing merged).
  it('merge keeps a cart within 100 lines', async () => {
    const c = await register(srv);
    await must(await api(srv, 'POST', '/api/v1/carts', { key: c.access }), 201);
    for (const v of fx.many.variants.slice(0, 60)) {
      await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: c.access, body: { variant_id: v.id, quantity: 1 } }), 200);
    }
    const g = await newGuest();
    for (const v of fx.many.variants.slice(60)) await addLine(g.token, v.id, 1);
    await addLine(g.token, fx.v1, 1);
    await addLine(g.token, fx.v2, 1);
    const r = await api(srv, 'POST', '/api/v1/carts/merge', { key: c.access, body: { cart_token: g.token } });
    if (r.status === 200) {
      assert.ok(r.body.lines.length <= 100, `the merged cart holds ${r.body.lines.length} lines`);
    } else {
      expectError(r, 422, 'VALIDATION_ERROR');
    }
  });

  // A merge that would pass the subtotal cap is refused before anything moves
  // (issue 9, item 2: it used to move the lines and delete the guest cart, then answer 422).
  it('a merge past the subtotal cap is 422 and changes nothing: the guest cart and its token stay', async () => {
    const big = await product('Merge cap product', 'active', [[money(1e12)], [money(1e12)]]);
    const [va, vb] = big.variants.map((v) => v.id);
    const c = await register(srv);
    await must(await api(srv, 'POST', '/api/v1/carts', { key: c.access }), 201);
    await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: c.access, body: { variant_id: va, quantity: 300 } }), 200);
    const mine = await must(await api(srv, 'GET', '/api/v1/carts/current', { key: c.access }), 200);
    const g = await newGuest();
    await addLine(g.token, va, 50);
    const guestBefore = await addLine(g.token, vb, 150);
    assert.deepEqual(guestBefore.totals.subtotal, money(2e14));

    const r = await api(srv, 'POST', '/api/v1/carts/merge', { key: c.access, body: { cart_token: g.token } });
    expectError(r, 422, 'VALIDATION_ERROR', 'cart_token');

    const guestAfter = await must(await guest(g.token, 'GET', '/api/v1/carts/current'), 200);
    assert.deepEqual(guestAfter.lines.map((l) => [l.variant_id, l.quantity]), [[va, 50], [vb, 150]], 'the guest cart keeps its lines');
    assert.equal(guestAfter.id, guestBefore.id);
    const mineAfter = await must(await api(srv, 'GET', '/api/v1/carts/current', { key: c.access }), 200);
    assert.deepEqual(mineAfter, mine, 'the customer\'s cart is unchanged');
    // and once the customer's cart is small enough, the same token merges
    await must(await api(srv, 'PATCH', `/api/v1/carts/current/lines/${va}`, { key: c.access, body: { quantity: 100 } }), 200);
    const merged = await must(await api(srv, 'POST', '/api/v1/carts/merge', { key: c.access, body: { cart_token: g.token } }), 200);
    assert.deepEqual(merged.totals.subtotal, money(3e14));
    expectError(await guest(g.token, 'GET', '/api/v1/carts/current'), 404, 'NOT_FOUND');
  });

  // A fixed coupon's currency is checked at every read, not only when applied.
  it('a fixed coupon stops applying when the cart changes currency', async () => {
    const five = await must(await admin('POST', '/api/v1/admin/coupons', { code: code('fx'), kind: 'fixed', value: 500, currency: 'USD' }), 201);
    const { token: tok } = await newGuest();
    await addLine(tok, fx.v1, 2);
    await must(await guest(tok, 'PUT', '/api/v1/carts/current/coupon', { code: five.code }), 200);
    // a cart with lines keeps its currency; emptied, it may change, and the coupon is checked again at the next read
    await must(await guest(tok, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity: 0 }), 200);
    await setCart(tok, { currency: 'EUR' });
    const cart = await addLine(tok, fx.v1, 2);
    assert.equal(cart.currency, 'EUR');
    assert.deepEqual(cart.totals.discount, money(0, 'EUR'), JSON.stringify(cart.totals));
  });

  it('refusals decided inside the cart transaction answer 422 / 404, not 500', () => {
    assert.ok(txRefusals.length > 0, 'the tests above made refused requests');
    const wrong = [];
    for (const { r, status, errCode, field } of txRefusals) {
      try { expectError(r, status, errCode, field); } catch (e) { wrong.push(e.message.split('\n')[0]); }
    }
    assert.deepEqual(wrong, []);
  });

  it('admin validation: regions, rates, coupon rules, duplicate codes, unknown ids', async () => {
    for (const region of ['gb', 'GBR', 'G', 'US_CA', 'US-CALI', 'us-ca']) {
      expectError(await admin('PUT', `/api/v1/admin/tax-rates/${region}`, { rate_bp: 100 }), 422, 'VALIDATION_ERROR', 'region');
      expectError(await admin('DELETE', `/api/v1/admin/tax-rates/${region}`), 422, 'VALIDATION_ERROR', 'region');
    }
    expectError(await admin('PUT', '/api/v1/admin/tax-rates/FR', { rate_bp: 10001 }), 422, 'VALIDATION_ERROR', 'rate_bp');
    expectError(await admin('PUT', '/api/v1/admin/tax-rates/FR', { rate_bp: -1 }), 422, 'VALIDATION_ERROR', 'rate_bp');
    expectError(await admin('PUT', '/api/v1/admin/tax-rates/FR', { name: 'no rate' }), 422, 'VALIDATION_ERROR', 'rate_bp');
    expectError(await admin('DELETE', '/api/v1/admin/tax-rates/QQ'), 404, 'NOT_FOUND');
    await must(await admin('PUT', '/api/v1/admin/tax-rates/FR', { rate_bp: 2000, prices_include_tax: true }), 200);
    const del = await admin('DELETE', '/api/v1/admin/tax-rates/FR');
    assert.equal(del.status, 204, del.text);
    assert.ok(!(await must(await admin('GET', '/api/v1/admin/tax-rates'), 200)).data.some((t) => t.region === 'FR'));

    const coupon = (body) => admin('POST', '/api/v1/admin/coupons', { code: code('v'), ...body });
    expectError(await coupon({ kind: 'percent', value: 10001 }), 422, 'VALIDATION_ERROR', 'value');
    expectError(await coupon({ kind: 'percent', value: 0 }), 422, 'VALIDATION_ERROR', 'value');
    expectError(await coupon({ kind: 'fixed', value: 500 }), 422, 'VALIDATION_ERROR', 'currency');
    expectError(await coupon({ kind: 'percent', value: 500, currency: 'USD' }), 422, 'VALIDATION_ERROR', 'currency');
    expectError(await coupon({ kind: 'bogo', value: 500 }), 422, 'VALIDATION_ERROR', 'kind');
    expectError(await coupon({ kind: 'percent', value: 500, starts_at: '2030-01-02T00:00:00Z', expires_at: '2030-01-01T00:00:00Z' }), 422, 'VALIDATION_ERROR', 'expires_at');
    expectError(await coupon({ kind: 'percent', value: 500, expires_at: 'tomorrow' }), 422, 'VALIDATION_ERROR', 'expires_at');
    expectError(await admin('POST', '/api/v1/admin/coupons', { code: 'has space', kind: 'percent', value: 500 }), 422, 'VALIDATION_ERROR', 'code');
    const c = await must(await coupon({ kind: 'percent', value: 10000 }), 201);
    expectError(await admin('POST', '/api/v1/admin/coupons', { code: c.code.toLowerCase(), kind: 'fixed', value: 5, currency: 'USD' }), 409, 'CONFLICT', 'code');
    expectError(await admin('PATCH', '/api/v1/admin/coupons/cpn_0000000000000', { active: false }), 404, 'NOT_FOUND');
    expectError(await admin('PATCH', '/api/v1/admin/coupons/nope', { active: false }), 404, 'NOT_FOUND');
    expectError(await admin('PATCH', `/api/v1/admin/coupons/${c.id}`, { value: 5 }), 422, 'VALIDATION_ERROR', 'value');
    const exp = await must(await admin('PATCH', `/api/v1/admin/coupons/${c.id}`, { expires_at: '2031-05-06T07:08:09Z', usage_limit: 10 }), 200);
    assert.equal(exp.expires_at, '2031-05-06T07:08:09.000000Z');
    assert.equal(exp.usage_limit, 10);

    const ship = (body) => admin('POST', '/api/v1/admin/shipping-methods', { code: `s${token()}`.slice(0, 32), name: 'S', currency: 'USD', amount: 100, ...body });
    expectError(await ship({ currency: 'usd' }), 422, 'VALIDATION_ERROR', 'currency');
    expectError(await ship({ amount: -1 }), 422, 'VALIDATION_ERROR', 'amount');
    expectError(await ship({ code: 'x' }), 422, 'VALIDATION_ERROR', 'code');
    expectError(await ship({ name: undefined, code: 'nameless' }), 422, 'VALIDATION_ERROR', 'name');
    const s1 = await must(await ship({}), 201);
    const s2 = await must(await ship({ free_above: 0 }), 201);
    assert.deepEqual(s2.free_above, money(0));
    expectError(await ship({ code: s1.code }), 409, 'CONFLICT', 'code');
    expectError(await admin('PATCH', `/api/v1/admin/shipping-methods/${s2.id}`, { code: s1.code }), 409, 'CONFLICT', 'code');
    expectError(await admin('PATCH', '/api/v1/admin/shipping-methods/ship_0000000000000', { name: 'x' }), 404, 'NOT_FOUND');
    const s2b = await must(await admin('PATCH', `/api/v1/admin/shipping-methods/${s2.id}`, { free_above: null, name: 'Renamed' }), 200);
    assert.equal(s2b.free_above, null);
    assert.equal(s2b.name, 'Renamed');
    assert.equal(s2b.code, s2.code);

    // pricing:manage only
    const customer = await register(srv);
    expectError(await api(srv, 'GET', '/api/v1/admin/coupons', { key: customer.access }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'GET', '/api/v1/admin/tax-rates'), 401, 'UNAUTHORIZED');
  });
});
