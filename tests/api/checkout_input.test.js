// Bad input to the cart, checkout and order routes. Every refusal is
// followed by a check that nothing changed: the stock of the variants, every
// order in the store (state, payment, refunds, fulfilment, updated_at) and
// the carts involved.
//
// Contract: docs/orders.md / docs/internals/orders.md; the error body and
// codes of docs/api-shapes.md. Every response is validated against the
// OpenAPI document by lib/client.js.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token } from './lib/util.js';
import {
  ADMIN, ADDRESS, must, call, checkout, idemKey, warehouse, product, stockOf, guestCart, cartLines,
  customer, customerWithCart, act, listOrders,
} from './lib/orders_util.js';

const CARD_OK = '4242424242424242';

describe('checkout and orders: bad input changes nothing', () => {
  let srv;
  let wh;
  const fx = {};

  /** What must not change: stock of every fixture variant, every order, and the given carts. */
  async function snapshot(carts = []) {
    const stock = {};
    for (const v of fx.variants) stock[v] = await stockOf(srv, v);
    const orders = (await listOrders(srv, ADMIN)).map((o) => ({
      id: o.id, state: o.state, payment_status: o.payment_status, refunded: o.totals.refunded.amount,
      refunds: o.refunds.length, returns: o.returns.map((r) => `${r.id}:${r.state}`),
      lines: o.lines.map((l) => `${l.variant_id}:${l.quantity}:${l.fulfilled_quantity}:${l.returned_quantity}`),
      subs: o.sub_orders.map((s) => `${s.state}:${s.carrier}:${s.tracking}`), updated_at: o.updated_at,
    }));
    const cartState = [];
    for (const who of carts) cartState.push(await cartLines(srv, who));
    return { stock, orders, carts: cartState, whos: carts };
  }
  async function unchanged(snap, what) {
    const now = await snapshot(snap.whos);
    assert.deepEqual(now.stock, snap.stock, `${what}: stock changed`);
    assert.deepEqual(now.orders, snap.orders, `${what}: orders changed`);
    assert.deepEqual(now.carts, snap.carts, `${what}: a cart changed`);
  }
  /** A paid order of a new customer: {c, order}. */
  async function paidOrder(lines) {
    const c = await customerWithCart(srv, lines);
    const order = must(await checkout(srv, c.who, { body: { shipping_address: ADDRESS, payment_method: CARD_OK } }), 201);
    assert.equal(order.state, 'paid');
    return { c, order };
  }

  before(async () => {
    srv = await startServer();
    wh = await warehouse(srv);
    const p = await product(srv, { title: 'Kettle', variants: [{ price: 1999, stock: 50 }, { price: 500, stock: 50 }], wh });
    [fx.v1, fx.v2] = p.variants.map((v) => v.id);
    const d = must(await api(srv, 'POST', '/api/v1/products', {
      key: true, body: { title: `Draft ${token()}`, status: 'draft', variants: [{ sku: `DRAFT-${token()}`, prices: [{ amount: 100, currency: 'USD' }] }] },
    }), 201);
    fx.draft = d.variants[0].id;
    fx.variants = [fx.v1, fx.v2];
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  it('cart lines: negative, zero, huge or non-integer quantities and unknown or unbuyable variants are 422', async () => {
    const g = await guestCart(srv, [[fx.v1, 1]]);
    const snap = await snapshot([g]);
    const add = (body) => call(srv, g, 'POST', '/api/v1/carts/current/lines', body);
    for (const quantity of [-1, 0, 1e12, 1000, 1.5, '2', null]) {
      expectError(await add({ variant_id: fx.v2, quantity }), 422, 'VALIDATION_ERROR', 'quantity');
    }
    for (const quantity of [-3, 1e12]) {
      expectError(await call(srv, g, 'PATCH', `/api/v1/carts/current/lines/${fx.v1}`, { quantity }), 422, 'VALIDATION_ERROR', 'quantity');
    }
    for (const variant_id of ['var_0000000000000', 'nope', fx.draft, 42]) {
      expectError(await add({ variant_id, quantity: 1 }), 422, 'VALIDATION_ERROR', 'variant_id');
    }
    await unchanged(snap, 'bad cart lines');
  });

  it('checkout with no cart, someone else\'s cart token or an empty cart', async () => {
    const other = await guestCart(srv, [[fx.v1, 2]]);
    const c = await customer(srv);
    const empty = await guestCart(srv);
    const snap = await snapshot([other, empty]);
    const key = idemKey('nocart');
    // a customer without a cart, sending a guest's token: the token is ignored for signed-in callers
    expectError(await checkout(srv, { ...c.who, cart: other.cart }, { key }), 404, 'NOT_FOUND');
    expectError(await checkout(srv, {}, { key, body: { email: 'a@b.example', shipping_address: ADDRESS } }), 404, 'NOT_FOUND');
    const flipped = other.cart.slice(0, -1) + (other.cart.endsWith('A') ? 'B' : 'A');
    expectError(await checkout(srv, { cart: flipped }, { key, body: { email: 'a@b.example', shipping_address: ADDRESS } }), 404, 'NOT_FOUND');
    expectError(await checkout(srv, empty, { key, body: { email: 'a@b.example', shipping_address: ADDRESS } }), 422, 'VALIDATION_ERROR', 'cart');
    await unchanged(snap, 'no cart');
  });

  it('checkout of a cart whose line can no longer be bought is 422 lines[i]', async () => {
    const p = await product(srv, { title: 'Withdrawn', variants: [{ price: 700, stock: 5 }], wh });
    const v = p.variants[0].id;
    const g = await guestCart(srv, [[fx.v2, 1], [v, 1]]);
    must(await api(srv, 'PATCH', `/api/v1/products/${p.product.id}`, { key: true, body: { status: 'archived' } }), 200);
    const snap = await snapshot([g]);
    const s = await stockOf(srv, v);
    expectError(await checkout(srv, g, { body: { email: 'w@b.example', shipping_address: ADDRESS, payment_method: CARD_OK } }), 422, 'VALIDATION_ERROR', 'lines[1]');
    await unchanged(snap, 'unbuyable line');
    assert.deepEqual(await stockOf(srv, v), s);
  });

  it('stock short: 409 OUT_OF_STOCK naming the line, nothing reserved', async () => {
    const p = await product(srv, { title: 'Few', variants: [{ price: 300, stock: 1 }], wh });
    const v = p.variants[0].id;
    const g = await guestCart(srv, [[fx.v1, 1], [v, 2]]);
    const snap = await snapshot([g]);
    const r = expectError(await checkout(srv, g, { body: { email: 'f@b.example', shipping_address: ADDRESS, payment_method: CARD_OK } }), 409, 'OUT_OF_STOCK', 'lines[1]');
    assert.equal(r.body.error.details.length, 1, 'one detail: the short line');
    assert.match(r.body.error.details[0].message, /^only 1 available\b/);
    await unchanged(snap, 'out of stock');
    assert.deepEqual(await stockOf(srv, v), { on_hand: 1, reserved: 0, available: 1 });
  });

  it('the body: addresses, country, e-mail, sizes, unknown fields, JSON and content type', async () => {
    const g = await guestCart(srv, [[fx.v1, 2]]);
    const snap = await snapshot([g]);
    // one key for every refused request: a refusal stores nothing, so the key is still free at the end
    const key = idemKey('body');
    const email = `body-${token()}@example.com`;
    const send = (body) => checkout(srv, g, { key, body });
    const bad = async (body, field, status = 422, code = 'VALIDATION_ERROR') => expectError(await send(body), status, code, field);
    const base = { email, shipping_address: ADDRESS, payment_method: CARD_OK };

    await bad({ ...base, shipping_address: undefined }, 'shipping_address');
    await bad({ ...base, shipping_address: 'London' }, 'shipping_address');
    for (const f of ['name', 'line1', 'city', 'postal_code', 'country']) {
      const { [f]: _gone, ...addr } = ADDRESS;
      await bad({ ...base, shipping_address: addr }, `shipping_address.${f}`);
      await bad({ ...base, shipping_address: { ...ADDRESS, [f]: 'x'.repeat(201) } }, `shipping_address.${f}`);
      await bad({ ...base, shipping_address: { ...ADDRESS, [f]: 7 } }, `shipping_address.${f}`);
    }
    for (const f of ['line2', 'region']) await bad({ ...base, shipping_address: { ...ADDRESS, [f]: 'y'.repeat(201) } }, `shipping_address.${f}`);
    for (const country of ['gb', 'GBR', 'G', 'G1', '', '🇬🇧']) await bad({ ...base, shipping_address: { ...ADDRESS, country } }, 'shipping_address.country');
    await bad({ ...base, email: undefined }, 'email'); // a guest must give one
    for (const e of ['not-an-email', 'a@', '@b.example', 'a b@c.example', `${'x'.repeat(250)}@b.example`, 12]) await bad({ ...base, email: e }, 'email');
    await bad({ ...base, payment_method: 4242424242424242 }, 'payment_method');
    await bad({ ...base, colour: 'red' }, 'colour');
    await bad({ ...base, coupon: 'FREE' }, 'coupon');

    const raw = (rawBody, ct) => checkout(srv, g, { key, rawBody, headers: { 'Content-Type': ct } });
    expectError(await raw('{"email":', 'application/json'), 400, 'MALFORMED_JSON');
    expectError(await raw('not json at all', 'application/json'), 400, 'MALFORMED_JSON');
    expectError(await raw(JSON.stringify(base), 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await raw(new URLSearchParams({ email }).toString(), 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const arr = await raw('[1,2]', 'application/json');
    assert.ok(arr.status === 400 || arr.status === 422, `a JSON array for a body: ${arr.status} ${arr.text}`);
    await unchanged(snap, 'bad bodies');

    // with the same key: the key was never taken
    const o = must(await send(base), 201);
    assert.equal(o.state, 'paid');
    assert.deepEqual(o.shipping_address, ADDRESS);
    assert.equal(o.email, email);
  });

  it('address strings of 200 characters are taken (the documented limit)', async () => {
    const g = await guestCart(srv, [[fx.v2, 1]]);
    const long = { name: 'n'.repeat(200), line1: 'l'.repeat(200), line2: 'm'.repeat(200), city: 'c'.repeat(200),
      postal_code: 'p'.repeat(200), region: 'r'.repeat(200), country: 'FR' };
    const o = must(await checkout(srv, g, { body: { email: `long-${token()}@example.com`, shipping_address: long, payment_method: CARD_OK } }), 201);
    assert.equal(o.state, 'paid');
    assert.deepEqual(o.shipping_address, long);
  });

  it('Idempotency-Key: missing, empty, too long or with bad characters is 422', async () => {
    const g = await guestCart(srv, [[fx.v2, 1]]);
    const snap = await snapshot([g]);
    const body = { email: `k-${token()}@example.com`, shipping_address: ADDRESS, payment_method: CARD_OK };
    expectError(await checkout(srv, g, { key: null, body }), 422, 'VALIDATION_ERROR', 'Idempotency-Key');
    for (const key of ['', ' ', 'k'.repeat(101), 'has space', 'a/b', 'a,b', 'semi;colon', 'qu"ote', 'caf\u00e9', 'a+b', 'a=b']) {
      expectError(await checkout(srv, g, { key, body }), 422, 'VALIDATION_ERROR', 'Idempotency-Key');
    }
    await unchanged(snap, 'bad keys');
    const longest = ('Aa0_.:-'.repeat(15)).slice(0, 100);
    assert.equal(longest.length, 100);
    const o = must(await checkout(srv, g, { key: longest, body }), 201);
    const again = await checkout(srv, g, { key: longest, body });
    assert.equal(again.status, 201);
    assert.equal(again.body.id, o.id);
  });

  it('GET /orders: bad or unknown parameters are 422', async () => {
    const c = await customer(srv);
    for (const [q, field] of [['state=bogus', 'state'], ['state=', 'state'], ['limit=0', 'limit'], ['limit=101', 'limit'],
      ['limit=ten', 'limit'], ['cursor=!!!', 'cursor'], [`q=${'x'.repeat(101)}`, 'q'], ['vendor=nope', 'vendor'],
      ['state=paid&state=cancelled', 'state'], ['sort=oldest', 'sort']]) {
      expectError(await call(srv, ADMIN, 'GET', `/api/v1/orders?${q}`), 422, 'VALIDATION_ERROR', field);
    }
    expectError(await call(srv, c.who, 'GET', '/api/v1/orders?limit=0'), 422, 'VALIDATION_ERROR', 'limit');
    must(await call(srv, ADMIN, 'GET', '/api/v1/orders?limit=100'), 200);
    must(await call(srv, ADMIN, 'GET', '/api/v1/orders?limit=1'), 200);
  });

  it('refunds: more than is left, zero, negative or non-integer amounts are 422', async () => {
    const { order } = await paidOrder([[fx.v1, 1]]);
    const total = order.totals.total.amount;
    const snap = await snapshot();
    const refund = (body) => act(srv, ADMIN, order.id, 'refunds', body);
    for (const amount of [total + 1, 0, -1, -total, 1.5, '100', null, 1e16]) {
      expectError(await refund({ amount }), 422, 'VALIDATION_ERROR', 'amount');
    }
    expectError(await refund({}), 422, 'VALIDATION_ERROR', 'amount');
    expectError(await refund({ amount: 1, reason: 'r'.repeat(201) }), 422, 'VALIDATION_ERROR', 'reason');
    expectError(await refund({ amount: 1, extra: true }), 422, 'VALIDATION_ERROR', 'extra');
    expectError(await act(srv, ADMIN, 'ord_0000000000000', 'refunds', { amount: 1 }), 404, 'NOT_FOUND');
    await unchanged(snap, 'bad refunds');

    // after a refund, "left" is smaller
    must(await refund({ amount: total - 100 }), 201);
    const snap2 = await snapshot();
    expectError(await refund({ amount: 101 }), 422, 'VALIDATION_ERROR', 'amount');
    await unchanged(snap2, 'refund beyond what is left');
    const o = must(await refund({ amount: 100 }), 201);
    assert.deepEqual([o.state, o.payment_status, o.totals.refunded.amount], ['refunded', 'refunded', total]);
  });

  it('fulfil: beyond what is left, zero, negative, unknown or foreign lines are 422', async () => {
    const { order } = await paidOrder([[fx.v1, 3], [fx.v2, 1]]);
    const other = await product(srv, { title: 'Not in the order', variants: [{ price: 10, stock: 1 }], wh });
    let snap = await snapshot();
    const fulfil = (lines) => act(srv, ADMIN, order.id, 'fulfil', { lines });
    for (const quantity of [4, 0, -1, 1.5, '1', 1e12]) {
      expectError(await fulfil([{ variant_id: fx.v1, quantity }]), 422, 'VALIDATION_ERROR', 'lines[0]');
    }
    expectError(await fulfil([{ variant_id: fx.v2, quantity: 1 }, { variant_id: fx.v1, quantity: 4 }]), 422, 'VALIDATION_ERROR', 'lines[1]');
    for (const variant_id of [other.variants[0].id, 'var_0000000000000', 'nope']) {
      expectError(await fulfil([{ variant_id, quantity: 1 }]), 422, 'VALIDATION_ERROR', 'lines[0]');
    }
    expectError(await fulfil('all'), 422, 'VALIDATION_ERROR', 'lines');
    await unchanged(snap, 'bad fulfilment');

    let o = must(await fulfil([{ variant_id: fx.v1, quantity: 2 }]), 200);
    assert.equal(o.state, 'partially_fulfilled');
    snap = await snapshot();
    expectError(await fulfil([{ variant_id: fx.v1, quantity: 2 }]), 422, 'VALIDATION_ERROR', 'lines[0]');
    await unchanged(snap, 'fulfilling beyond what is left');
    o = must(await fulfil([{ variant_id: fx.v1, quantity: 1 }, { variant_id: fx.v2, quantity: 1 }]), 200);
    assert.equal(o.state, 'fulfilled');

    // ship: carrier and tracking 1..100 characters
    snap = await snapshot();
    for (const [body, field] of [[{}, 'carrier'], [{ tracking: 'T1' }, 'carrier'], [{ carrier: 'DHL' }, 'tracking'],
      [{ carrier: '', tracking: 'T1' }, 'carrier'], [{ carrier: 'DHL', tracking: '' }, 'tracking'],
      [{ carrier: 'c'.repeat(101), tracking: 'T1' }, 'carrier'], [{ carrier: 'DHL', tracking: 't'.repeat(101) }, 'tracking'],
      [{ carrier: 5, tracking: 'T1' }, 'carrier'], [{ carrier: 'DHL', tracking: 'T1', eta: 'soon' }, 'eta']]) {
      expectError(await act(srv, ADMIN, order.id, 'ship', body), 422, 'VALIDATION_ERROR', field);
    }
    await unchanged(snap, 'bad shipping');
    const s = must(await act(srv, ADMIN, order.id, 'ship', { carrier: 'c'.repeat(100), tracking: 't'.repeat(100) }), 200);
    assert.equal(s.state, 'shipped');
  });

  it('returns and cancellations: bad bodies are 422', async () => {
    const { c, order } = await paidOrder([[fx.v2, 2]]);
    let snap = await snapshot();
    expectError(await act(srv, c.who, order.id, 'cancel', { reason: 'r'.repeat(201) }), 422, 'VALIDATION_ERROR', 'reason');
    expectError(await act(srv, c.who, order.id, 'cancel', { reason: 'ok', colour: 'red' }), 422, 'VALIDATION_ERROR', 'colour');
    await unchanged(snap, 'bad cancellations');
    must(await act(srv, ADMIN, order.id, 'fulfil'), 200);
    must(await act(srv, ADMIN, order.id, 'ship', { carrier: 'DHL', tracking: 'T' }), 200);
    must(await act(srv, ADMIN, order.id, 'deliver'), 200);
    snap = await snapshot();
    const ret = (body) => act(srv, c.who, order.id, 'returns', body);
    for (const quantity of [0, -1, 3, 1.5, 1e12]) {
      expectError(await ret({ lines: [{ variant_id: fx.v2, quantity }], reason: 'x' }), 422, 'VALIDATION_ERROR', 'lines[0]');
    }
    expectError(await ret({ lines: [{ variant_id: fx.v1, quantity: 1 }], reason: 'not in the order' }), 422, 'VALIDATION_ERROR', 'lines[0]');
    expectError(await ret({ lines: [], reason: 'nothing' }), 422, 'VALIDATION_ERROR', 'lines');
    expectError(await ret({ reason: 'no lines' }), 422, 'VALIDATION_ERROR', 'lines');
    expectError(await ret({ lines: [{ variant_id: fx.v2, quantity: 1 }], reason: 'r'.repeat(201) }), 422, 'VALIDATION_ERROR', 'reason');
    await unchanged(snap, 'bad returns');
  });

  it('the payment webhook does not exist with the test gateway (404)', async () => {
    const snap = await snapshot();
    const body = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', data: { object: { id: 'pi_test_x', amount: 1, currency: 'usd' } } });
    const t = Math.floor(Date.now() / 1000);
    const r = await api(srv, 'POST', '/api/v1/payments/webhook', {
      rawBody: body, headers: { 'Content-Type': 'application/json', 'Stripe-Signature': `t=${t},v1=${'0'.repeat(64)}` },
    });
    expectError(r, 404, 'NOT_FOUND');
    await unchanged(snap, 'webhook');
  });
});
