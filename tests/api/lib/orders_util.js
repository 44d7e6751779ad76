// Helpers for the checkout / orders tests (orders, checkout_input, stripe):
// products with stock, guest and customer carts, checkout calls, stock reads,
// vendor accounts and the mail outbox.
//
// A "who" names the caller of a request:
//   ADMIN                       the admin API key
//   { key: accessToken }        a signed-in customer / vendor
//   { cart: 'ct_…' }            a guest with a cart token
//   { order: 'ot_…' }           a guest with an order token
//   {}                          nobody
import assert from 'node:assert/strict';
import { api } from './client.js';
import { register } from './auth_util.js';
import { token, sleep } from './util.js';

export const ADMIN = Object.freeze({ key: true });
export const money = (amount, currency = 'USD') => ({ amount, currency });
export const ID = (prefix) => new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{13}$`);

export const ADDRESS = Object.freeze({
  name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postal_code: 'SW1Y 4JH', country: 'GB',
});

/** Asserts R's status and returns its body. */
export function must(r, status) {
  assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 600)}`);
  return r.body;
}

/** The request options for WHO (plus extra headers). */
export function as(who = {}, headers = {}) {
  const h = { ...headers };
  if (who.cart) h['X-Cart-Token'] = who.cart;
  if (who.order) h['X-Order-Token'] = who.order;
  return { key: who.key, headers: h };
}

/** A request by WHO. */
export function call(srv, who, method, path, body, headers = {}) {
  return api(srv, method, path, { ...as(who, headers), body });
}

let keySeq = 0;
/** A fresh Idempotency-Key. */
export const idemKey = (tag = 'k') => `${tag}-${token()}-${++keySeq}`;

/** POST /api/v1/checkout by WHO with BODY (default: the address) and KEY (null = no header). */
export function checkout(srv, who, { key = idemKey(), body = { shipping_address: ADDRESS }, rawBody, headers = {} } = {}) {
  const h = { ...as(who, headers).headers };
  if (key !== null) h['Idempotency-Key'] = key;
  const opts = { key: who.key, headers: h };
  if (rawBody !== undefined) opts.rawBody = rawBody; else opts.body = body;
  return api(srv, 'POST', '/api/v1/checkout', opts);
}

/** A delivered order of WHO (a registered customer: {access}) for one unit of VARIANTID, moved on by the admin key. */
export async function deliveredOrder(srv, who, variantId) {
  const cart = await api(srv, 'POST', '/api/v1/carts', { key: who.access, body: { currency: 'USD' } });
  assert.ok(cart.status === 201 || cart.status === 200, cart.text);
  await addLine(srv, { key: who.access }, variantId, 1);
  const o = must(await checkout(srv, { key: who.access }, { body: { shipping_address: ADDRESS, payment_method: '4242424242424242' } }), 201);
  must(await api(srv, 'POST', `/api/v1/orders/${o.id}/fulfil`, { key: true }), 200);
  must(await api(srv, 'POST', `/api/v1/orders/${o.id}/ship`, { key: true, body: { carrier: 'DHL', tracking: 'DL1' } }), 200);
  must(await api(srv, 'POST', `/api/v1/orders/${o.id}/deliver`, { key: true }), 200);
  return o;
}

export async function warehouse(srv) {
  const code = `wh-${token()}`.slice(0, 32);
  return must(await api(srv, 'POST', '/api/v1/warehouses', { key: true, body: { code, name: `Warehouse ${code}` } }), 201);
}

/**
 * An active product; VARIANTS = [{price, stock}] (stock put in warehouse WH when given).
 * Returns {product, variants: [variant objects]}.
 */
export async function product(srv, { title = 'Orders product', vendorId, variants = [{ price: 1000, stock: 10 }], wh } = {}) {
  const body = {
    title: `${title} ${token()}`, status: 'active',
    variants: variants.map((v) => ({ sku: `ORD-${token()}`, prices: [money(v.price)] })),
  };
  if (vendorId) body.vendor_id = vendorId;
  const p = must(await api(srv, 'POST', '/api/v1/products', { key: true, body }), 201);
  for (let i = 0; i < variants.length; i++) {
    if (variants[i].stock !== undefined) {
      assert.ok(wh, 'a warehouse for the stock');
      must(await api(srv, 'PUT', `/api/v1/variants/${p.variants[i].id}/stock/${wh.id}`,
        { key: true, body: { on_hand: variants[i].stock, reason: 'initial count' } }), 200);
    }
  }
  return { product: p, variants: p.variants };
}

/** {on_hand, reserved, available} of a variant (admin). */
export async function stockOf(srv, variantId) {
  const s = must(await api(srv, 'GET', `/api/v1/variants/${variantId}/stock`, { key: true }), 200);
  return { on_hand: s.on_hand, reserved: s.reserved, available: s.available };
}

/** A new guest cart holding LINES ([[variantId, qty]]); returns the who {cart}. */
export async function guestCart(srv, lines = []) {
  const c = must(await api(srv, 'POST', '/api/v1/carts'), 201);
  const who = { cart: c.cart_token };
  for (const [v, q] of lines) await addLine(srv, who, v, q);
  return who;
}

export async function addLine(srv, who, variantId, quantity) {
  return must(await call(srv, who, 'POST', '/api/v1/carts/current/lines', { variant_id: variantId, quantity }), 200);
}

/** The cart of WHO (200 body), or null when there is none (404). */
export async function cartOf(srv, who) {
  const r = await call(srv, who, 'GET', '/api/v1/carts/current');
  if (r.status === 404) return null;
  return must(r, 200);
}

/** [[variant_id, quantity]] of WHO's cart ([] when none). */
export async function cartLines(srv, who) {
  const c = await cartOf(srv, who);
  return c ? c.lines.map((l) => [l.variant_id, l.quantity]) : null;
}

/** A registered customer: {id, email, password, key, who}. */
export async function customer(srv) {
  const c = await register(srv);
  return { id: c.user.id, email: c.email, password: c.password, key: c.access, who: { key: c.access } };
}

/** A customer with a cart holding LINES; returns the customer. */
export async function customerWithCart(srv, lines) {
  const c = await customer(srv);
  const r = await call(srv, c.who, 'POST', '/api/v1/carts');
  assert.ok(r.status === 201 || r.status === 200, `POST /api/v1/carts -> ${r.status}: ${r.text}`);
  for (const [v, q] of lines) await addLine(srv, c.who, v, q);
  return c;
}

/** A vendor (POST /vendors as admin) with COMMISSION_BP. */
export async function vendor(srv, commissionBp) {
  const body = { name: `Vendor ${token()}` };
  if (commissionBp !== undefined) body.commission_bp = commissionBp;
  return must(await api(srv, 'POST', '/api/v1/vendors', { key: true, body }), 201);
}

/** A user account of VENDOR (role vendor), signed in: {id, email, key, who}. */
export async function vendorUser(srv, vendorId) {
  const c = await register(srv);
  must(await api(srv, 'PATCH', `/api/v1/admin/users/${c.user.id}`, { key: true, body: { role: 'vendor', vendor_id: vendorId } }), 200);
  const t = must(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: c.email, password: c.password } }), 200);
  assert.equal(t.user.role, 'vendor');
  return { id: c.user.id, email: c.email, key: t.access_token, who: { key: t.access_token } };
}

/** A user account with ROLE (e.g. inventory_manager), signed in. */
export async function staffUser(srv, role) {
  const c = await register(srv);
  must(await api(srv, 'PATCH', `/api/v1/admin/users/${c.user.id}`, { key: true, body: { role } }), 200);
  const t = must(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: c.email, password: c.password } }), 200);
  return { id: c.user.id, email: c.email, key: t.access_token, who: { key: t.access_token } };
}

/** GET /orders/{id} as WHO (admin by default); asserts 200. */
export async function orderOf(srv, id, who = ADMIN) {
  return must(await call(srv, who, 'GET', `/api/v1/orders/${id}`), 200);
}

/** POST /orders/{id}/<action> as WHO. */
export function act(srv, who, id, action, body) {
  return call(srv, who, 'POST', `/api/v1/orders/${id}/${action}`, body);
}

/** Every order WHO can list (all pages of GET /api/v1/orders?QUERY). */
export async function listOrders(srv, who, query = '') {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 100; i++) {
    const q = new URLSearchParams(query);
    q.set('limit', '100');
    if (cursor) q.set('cursor', cursor);
    const page = must(await call(srv, who, 'GET', `/api/v1/orders?${q}`), 200);
    out.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) return out;
  }
  assert.fail('GET /api/v1/orders did not stop paging');
}

/** [from, to] pairs of an order's history that change the state. */
export const transitions = (order) => order.history.filter((h) => h.from !== h.to).map((h) => [h.from, h.to]);

/**
 * Asserts that the state changes EXPECTED ([[from, to]]) appear in ORDER's history in that order.
 * (The history also holds sub-order rows, which use the same state names; they may come in between.)
 */
export function assertTransitions(order, expected) {
  const got = transitions(order);
  let i = 0;
  for (const [from, to] of got) if (i < expected.length && from === expected[i][0] && to === expected[i][1]) i++;
  assert.equal(i, expected.length, `order ${order.id}: history ${JSON.stringify(got)} lacks ${JSON.stringify(expected.slice(i))} (in order)`);
  assert.equal(order.history[0].from, null, 'the history starts at the checkout');
}

/** The outbox messages to ADDRESS (admin; newest first). */
export async function mailTo(srv, address) {
  return must(await api(srv, 'GET', `/api/v1/admin/mail?to=${encodeURIComponent(address)}&limit=200`, { key: true }), 200).data;
}

/**
 * Polls the outbox until every pattern of WANT ({name: RegExp over "subject\nbody"}) matches a message to
 * ADDRESS that names ORDER_ID (in its subject or body); at most TIMEOUT_MS. Returns {name: [messages]}.
 */
export async function waitForMail(srv, address, orderId, want, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let found;
  for (;;) {
    const msgs = (await mailTo(srv, address)).filter((m) => `${m.subject}\n${m.body}`.includes(orderId));
    found = {};
    for (const [name, re] of Object.entries(want)) found[name] = msgs.filter((m) => re.test(m.subject));
    if (Object.values(found).every((l) => l.length > 0)) return { found, all: msgs };
    if (Date.now() > deadline) {
      assert.fail(`mail to ${address} about ${orderId}: missing ${Object.keys(found).filter((k) => found[k].length === 0).join(', ')}; ` +
        `have subjects ${JSON.stringify(msgs.map((m) => m.subject))}`);
    }
    await sleep(200);
  }
}

/** Polls FN until it returns a truthy value (at most TIMEOUT_MS); returns it. */
export async function eventually(fn, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(150);
  }
}
