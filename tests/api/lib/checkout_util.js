// Shop fixtures and list walks for the checkout load tests (checkout_race,
// checkout_crash; bench/checkout_load.mjs is standalone): warehouses, stocked
// products, guest carts, checkouts, full walks of the admin lists of orders,
// jobs and mail, and sqlite3 on a test server's database.
import assert from 'node:assert/strict';
import { api } from './client.js';
import { token, sleep } from './util.js';

export const CARD_OK = '4242424242424242';

import { sql } from './db.js';
export { sql };

export async function must(r, status) {
  assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 500)}`);
  return r.body;
}

export const admin = (srv, method, path, body) => api(srv, method, path, { key: true, body });

/** A warehouse with a fresh code. */
export async function warehouse(srv, tag = 'wh') {
  const code = `${tag}-${token()}`.slice(0, 32).replace(/[^A-Za-z0-9_-]/g, '');
  return must(await admin(srv, 'POST', '/api/v1/warehouses', { code, name: `Warehouse ${code}` }), 201);
}

/** An active product with N variants priced PRICE USD; each variant gets STOCK units in WH. */
export async function stockedProduct(srv, wh, { n = 1, stock = 0, price = 1000, title = 'Checkout product' } = {}) {
  const p = await must(await admin(srv, 'POST', '/api/v1/products', {
    title: `${title} ${token()}`, status: 'active',
    variants: Array.from({ length: n }, () => ({ sku: `CO-${token()}`, prices: [{ amount: price, currency: 'USD' }] })),
  }), 201);
  for (const v of p.variants) {
    if (stock > 0) await must(await admin(srv, 'PUT', `/api/v1/variants/${v.id}/stock/${wh.id}`, { on_hand: stock, reason: 'initial count' }), 200);
  }
  return p;
}

/** GET /variants/{id}/stock as admin: {on_hand, reserved, available, warehouses}. */
export async function stockOf(srv, variantId) {
  return must(await admin(srv, 'GET', `/api/v1/variants/${variantId}/stock`), 200);
}

/** A new guest cart holding LINES [[variantId, quantity], …]; returns its token. */
export async function guestCart(srv, lines) {
  const cart = await must(await api(srv, 'POST', '/api/v1/carts', {}), 201);
  const tok = cart.cart_token;
  for (const [variant, quantity] of lines) {
    await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { headers: { 'X-Cart-Token': tok }, body: { variant_id: variant, quantity } }), 200);
  }
  return tok;
}

export const ADDRESS = Object.freeze({ name: 'Ada Buyer', line1: '1 Test Street', city: 'London', postal_code: 'N1 1AA', country: 'GB' });

/** A checkout body; payment_method omitted when CARD is null. */
export function checkoutBody(email, card = CARD_OK) {
  const body = { email, shipping_address: { ...ADDRESS } };
  if (card !== null) body.payment_method = card;
  return body;
}

/** POST /checkout as the guest of cart token TOK with Idempotency-Key KEY. */
export function checkout(srv, tok, key, body) {
  return api(srv, 'POST', '/api/v1/checkout', { headers: { 'X-Cart-Token': tok, 'Idempotency-Key': key }, body });
}

/** Walks GET PATH (a list with data/next_cursor) as admin; QUERY without limit/cursor. */
export async function walkList(srv, path, query = {}, limit = 100) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 100_000; i++) {
    const q = new URLSearchParams({ ...query, limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    const body = await must(await admin(srv, 'GET', `${path}?${q}`), 200);
    items.push(...body.data);
    cursor = body.next_cursor;
    if (cursor === null || cursor === undefined) return items;
  }
  assert.fail(`${path}: pagination did not end`);
}

/** Every order (admin, orders:read:any), newest first; QUERY e.g. {q: 'tag'} or {state: 'paid'}. */
export const allOrders = (srv, query = {}) => walkList(srv, '/api/v1/orders', query, 100);
/** Every job of KIND (admin, jobs:manage). */
export const allJobs = (srv, kind) => walkList(srv, '/api/v1/admin/jobs', { kind }, 200);
/** Every outbox message (admin, mail:read); QUERY e.g. {to: addr}. */
export const allMail = (srv, query = {}) => walkList(srv, '/api/v1/admin/mail', query, 200);

/** Quantity of VARIANT in ORDER (all its lines). */
export const qtyOf = (order, variantId) => order.lines.filter((l) => l.variant_id === variantId).reduce((a, l) => a + l.quantity, 0);

/** Polls FN (async, truthy when done) every STEP ms, at most TRIES times; returns the last value. */
export async function pollUntil(fn, { tries = 60, step = 250 } = {}) {
  let v;
  for (let i = 0; i < tries; i++) {
    v = await fn();
    if (v) return v;
    await sleep(step);
  }
  return v;
}

/** Makes every schedule due now, so the scheduler enqueues (reservations.expire, orders.maintenance, …) within a second. */
export function makeSchedulesDue(srv) {
  sql(srv.dbPath, 'UPDATE job_schedules SET next_run_at = 0');
}
