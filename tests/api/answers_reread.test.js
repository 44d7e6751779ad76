// The answer of a write is what a read shows next. Cart changes and checkout
// render their answers from what their own transaction read and wrote,
// without reading the cart or the order again (issue 10: a purchase costs the
// single writer as few statements as it can), so this holds them to the bytes
// of a fresh GET: same keys in the same order, same values.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { token } from './lib/util.js';
import { ADDRESS, CARD_OK, must, stockedProduct, warehouse } from './lib/checkout_util.js';

/** JSON text of BODY without the keys DROP (parsed and written again: the key order stays). */
const text = (body, drop = []) => {
  const copy = { ...body };
  for (const k of drop) delete copy[k];
  return JSON.stringify(copy);
};

describe('write answers equal the next read', () => {
  let srv;
  let variants;
  let wh;
  let shipping;
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });

  before(async () => {
    srv = await startServer();
    wh = await warehouse(srv, 'reread');
    variants = (await stockedProduct(srv, wh, { n: 3, stock: 50, price: 1250, title: 'Reread' })).variants.map((v) => v.id);
    await must(await admin('PUT', '/api/v1/admin/tax-rates/GB', { name: 'UK VAT', rate_bp: 2000, prices_include_tax: true }), 200);
    shipping = `rr${token()}`.slice(0, 20).toLowerCase().replace(/[^a-z0-9_-]/g, '');
    await must(await admin('POST', '/api/v1/admin/shipping-methods', { code: shipping, name: 'Post', currency: 'USD', amount: 499 }), 201);
  });
  after(async () => srv && (await srv.stop()));

  /** Asserts that R (a 200/201 cart answer) is byte for byte GET /carts/current of the same caller. */
  async function sameAsRead(r, status, who) {
    const written = await must(r, status);
    const read = await must(await api(srv, 'GET', '/api/v1/carts/current', who), 200);
    assert.equal(text(written, ['cart_token']), text(read), `${r.method} ${r.path}: the answer is not what a read shows`);
    return written;
  }

  it('cart creation and every line change, for a guest', async () => {
    const created = await must(await api(srv, 'POST', '/api/v1/carts', { body: {} }), 201);
    const who = { headers: { 'X-Cart-Token': created.cart_token } };
    assert.equal(text(created, ['cart_token']), text(await must(await api(srv, 'GET', '/api/v1/carts/current', who), 200)));
    const line = (method, path, body) => api(srv, method, path, { ...who, body });
    await sameAsRead(await line('POST', '/api/v1/carts/current/lines', { variant_id: variants[0], quantity: 2 }), 200, who);
    await sameAsRead(await line('POST', '/api/v1/carts/current/lines', { variant_id: variants[1], quantity: 1 }), 200, who);
    await sameAsRead(await line('POST', '/api/v1/carts/current/lines', { variant_id: variants[0], quantity: 3 }), 200, who);
    // a region with inclusive tax and a shipping method: the totals change shape
    await must(await line('PATCH', '/api/v1/carts/current', { region: 'GB', shipping_method: shipping }), 200);
    await sameAsRead(await line('PATCH', `/api/v1/carts/current/lines/${variants[1]}`, { quantity: 4 }), 200, who);
    await sameAsRead(await line('POST', '/api/v1/carts/current/lines', { variant_id: variants[2], quantity: 1 }), 200, who);
    // a price that moved since the line was added: the line is quoted anew
    await must(await admin('PUT', `/api/v1/variants/${variants[0]}/prices/USD`, { amount: 1300 }), 200);
    await sameAsRead(await line('PATCH', `/api/v1/carts/current/lines/${variants[2]}`, { quantity: 2 }), 200, who);
    await sameAsRead(await line('DELETE', `/api/v1/carts/current/lines/${variants[1]}`), 200, who);
    await sameAsRead(await line('PATCH', `/api/v1/carts/current/lines/${variants[2]}`, { quantity: 0 }), 200, who);
  });

  it('a customer cart', async () => {
    const user = await register(srv);
    const who = { key: user.access };
    await sameAsRead(await api(srv, 'POST', '/api/v1/carts', { ...who, body: { currency: 'USD' } }), 201, who);
    await sameAsRead(await api(srv, 'POST', '/api/v1/carts/current/lines', { ...who, body: { variant_id: variants[1], quantity: 1 } }), 200, who);
  });

  /** Checks out the cart of WHO; asserts the 201 is byte for byte GET /orders/{id} by the same customer
   * (the raw bytes, escaping included; a guest's answer ends with its order_token member). */
  async function checkoutSameAsRead(who, orderHeaders, address = ADDRESS) {
    const body = { email: `rr-${token()}@example.com`, shipping_address: { ...address }, payment_method: CARD_OK };
    const r = await api(srv, 'POST', '/api/v1/checkout', { ...who, headers: { ...who.headers, 'Idempotency-Key': `rr-${token()}` }, body });
    const order = await must(r, 201);
    assert.equal(order.state, 'paid');
    const read = await api(srv, 'GET', `/api/v1/orders/${order.id}`, { key: who.key, headers: orderHeaders(order) });
    await must(read, 200);
    assert.equal(text(order, ['order_token']), text(read.body), 'the checkout answer is not what a read of the order shows');
    const tail = order.order_token === undefined ? '' : `,"order_token":${JSON.stringify(order.order_token)}`;
    assert.equal(r.text, read.text.slice(0, -1) + tail + '}', 'the checkout answer is not byte for byte the read');
    return order;
  }

  it('a checkout, guest and customer', async () => {
    const created = await must(await api(srv, 'POST', '/api/v1/carts', { body: {} }), 201);
    const guest = { headers: { 'X-Cart-Token': created.cart_token } };
    for (const [v, q] of [[variants[0], 1], [variants[1], 2], [variants[2], 1]])
      await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { ...guest, body: { variant_id: v, quantity: q } }), 200);
    const order = await checkoutSameAsRead(guest, (o) => ({ 'X-Order-Token': o.order_token }));
    assert.equal(order.lines.length, 3);

    const user = await register(srv);
    const who = { key: user.access, headers: {} };
    await must(await api(srv, 'POST', '/api/v1/carts', { key: user.access, body: {} }), 201);
    await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: user.access, body: { variant_id: variants[2], quantity: 2 } }), 200);
    await checkoutSameAsRead(who, () => ({}));
  });

  it('a checkout with vendors, tax, shipping and a coupon', async () => {
    const vend = await must(await admin('POST', '/api/v1/vendors', { name: `Vendor ${token()}`, commission_bp: 1250 }), 201);
    const p = await must(await admin('POST', '/api/v1/products', {
      title: `Reread vendor ${token()}`, status: 'active', vendor_id: vend.id,
      variants: [{ sku: `RRV-${token()}`, prices: [{ amount: 3333, currency: 'USD' }] }],
    }), 201);
    const sold = p.variants[0].id;
    await must(await admin('PUT', `/api/v1/variants/${sold}/stock/${wh.id}`, { on_hand: 10, reason: 'initial count' }), 200);
    const coupon = `RR${token()}`.slice(0, 32).toUpperCase().replace(/[^A-Z0-9_-]/g, '');
    await must(await admin('POST', '/api/v1/admin/coupons', { code: coupon, kind: 'percent', value: 1000 }), 201);
    const created = await must(await api(srv, 'POST', '/api/v1/carts', { body: {} }), 201);
    const guest = { headers: { 'X-Cart-Token': created.cart_token } };
    for (const [v, q] of [[sold, 2], [variants[1], 1], [variants[2], 3]])
      await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { ...guest, body: { variant_id: v, quantity: q } }), 200);
    await must(await api(srv, 'PATCH', '/api/v1/carts/current', { ...guest, body: { region: 'GB', shipping_method: shipping } }), 200);
    const cart = await must(await api(srv, 'PUT', '/api/v1/carts/current/coupon', { ...guest, body: { code: coupon } }), 200);
    assert.equal(cart.totals.coupon_applied, true);
    const order = await checkoutSameAsRead(guest, (o) => ({ 'X-Order-Token': o.order_token }));
    assert.equal(order.sub_orders.length, 2, 'the vendor and the shop');
    assert.equal(order.coupon, coupon);
  });

  it('a checkout whose texts need escaping', async () => {
    const p = await must(await admin('POST', '/api/v1/products', {
      title: `Caf\u00e9 "Zoë" \\ <b>&</b> / 日本 ${token()}`, status: 'active',
      variants: [{ sku: `RRE-${token()}`, title: 'Größe "L" \u2014 ½', prices: [{ amount: 999, currency: 'USD' }] }],
    }), 201);
    const v = p.variants[0].id;
    await must(await admin('PUT', `/api/v1/variants/${v}/stock/${wh.id}`, { on_hand: 5, reason: 'initial count' }), 200);
    const created = await must(await api(srv, 'POST', '/api/v1/carts', { body: {} }), 201);
    const guest = { headers: { 'X-Cart-Token': created.cart_token } };
    await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { ...guest, body: { variant_id: v, quantity: 1 } }), 200);
    const address = { ...ADDRESS, name: 'Zoë "Q" O\'Brien \\ 田中', line1: '1/2 Rue de l\'Église <&>' };
    const order = await checkoutSameAsRead(guest, (o) => ({ 'X-Order-Token': o.order_token }), address);
    assert.equal(order.shipping_address.name, address.name);
  });
});
