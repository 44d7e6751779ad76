// Promotions (docs/promotions.md): the cart's answer says which applied and,
// for the others, why not; a one-use code raced by 200 carts is redeemed by
// exactly one order; a claim is given back when its order fails; a flash sale
// that starts and ends while a cart is open reprices it; the admin API checks
// its input and generates unique codes.
//
// Every promotion here targets products of its own test, so that the tests do
// not price each other's carts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token } from './lib/util.js';
import { must, admin, warehouse, stockedProduct, guestCart, checkoutBody, checkout, pollUntil } from './lib/checkout_util.js';
import * as ou from './lib/orders_util.js';

const iso = (ms) => new Date(ms).toISOString();
const cartOf = async (srv, tok) => must(await api(srv, 'GET', '/api/v1/carts/current', { headers: { 'X-Cart-Token': tok } }), 200);
const setCode = (srv, tok, code) => api(srv, 'PUT', '/api/v1/carts/current/coupon', { headers: { 'X-Cart-Token': tok }, body: { code } });

describe('promotions', () => {
  let srv;
  const fx = {};
  const promo = async (body) => must(await admin(srv, 'POST', '/api/v1/admin/promotions', body), 201);
  const only = (p) => ({ kind: 'products', ids: [p.id] });

  before(async () => {
    srv = await startServer({});
    fx.wh = await warehouse(srv, 'promo');
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  it('the cart says which promotions applied and why the others did not', async () => {
    const p = await stockedProduct(srv, fx.wh, { stock: 10, price: 1000, title: 'Why not' });
    const applied = await promo({ name: 'five off', kind: 'percent', value: 500, target: only(p), priority: 10 });
    const minimum = await promo({ name: 'big spender', kind: 'percent', value: 1000, target: only(p), min_subtotal: 5000 });
    const later = await promo({ name: 'next week', kind: 'fixed', value: 100, currency: 'USD', target: only(p), starts_at: iso(Date.now() + 7 * 86400e3) });
    const alone = await promo({ name: 'alone', kind: 'percent', value: 2000, target: only(p), exclusive: true, priority: 1 });
    const euro = await promo({ name: 'euro', kind: 'fixed', value: 100, currency: 'EUR', target: only(p) });
    const buy3 = await promo({ name: 'three for two', kind: 'buy_x_get_y', buy_quantity: 2, get_quantity: 1, target: only(p), buy: only(p) });
    const tok = await guestCart(srv, [[p.variants[0].id, 1]]);
    const cart = await cartOf(srv, tok);
    assert.deepEqual(cart.promotions.applied.map((a) => [a.id, a.amount.amount]), [[applied.id, 50]]);
    const why = Object.fromEntries(cart.promotions.not_applied.map((n) => [n.id, n.reason]));
    assert.deepEqual(why, {
      [minimum.id]: 'below_minimum', [later.id]: 'not_started', [alone.id]: 'not_combinable',
      [euro.id]: 'other_currency', [buy3.id]: 'not_enough_items',
    });
    assert.equal(cart.totals.discount.amount, 50);
    assert.equal(cart.lines[0].discount.amount, 50);
    // three units: the buy-2-get-1 gives the cheapest free, on what the 5 % left
    await must(await api(srv, 'PATCH', `/api/v1/carts/current/lines/${p.variants[0].id}`, { headers: { 'X-Cart-Token': tok }, body: { quantity: 3 } }), 200);
    const three = await cartOf(srv, tok);
    assert.deepEqual(three.promotions.applied.map((a) => [a.id, a.amount.amount]), [[applied.id, 150], [buy3.id, 1000]]);
    assert.equal(three.totals.discount.amount, 1150);
    assert.equal(three.totals.subtotal.amount - three.totals.discount.amount, 1850);
    // switched off: no longer considered (the snapshot reloads on the change)
    for (const x of [applied, minimum, later, alone, euro, buy3]) await must(await admin(srv, 'PATCH', `/api/v1/admin/promotions/${x.id}`, { active: false }), 200);
    const off = await cartOf(srv, tok);
    assert.deepEqual(off.promotions, { applied: [], not_applied: [] });
    assert.equal(off.totals.discount.amount, 0);
  });

  it('200 carts race for a one-use code: exactly one order gets the discount', async () => {
    const p = await stockedProduct(srv, fx.wh, { stock: 400, price: 2000, title: 'Race' });
    const half = await promo({ name: 'half price once', kind: 'percent', value: 5000, target: only(p), requires_code: true });
    const code = `ONCE${token()}`.replace(/[^A-Za-z0-9]/g, '').slice(0, 20).toUpperCase();
    const made = await must(await admin(srv, 'POST', `/api/v1/admin/promotions/${half.id}/codes`, { code, usage_limit: 1 }), 201);
    assert.deepEqual(made.codes, [code]);
    const carts = [];
    for (let i = 0; i < 200; i += 20) {
      carts.push(...await Promise.all(Array.from({ length: 20 }, async () => {
        const tok = await guestCart(srv, [[p.variants[0].id, 1]]);
        await must(await setCode(srv, tok, code.toLowerCase()), 200);
        return tok;
      })));
    }
    const before = await cartOf(srv, carts[0]);
    assert.equal(before.totals.discount.amount, 1000, 'every cart shows the code applying before the race');
    const tag = `race${token()}`;
    const rs = await Promise.all(carts.map((tok, i) => checkout(srv, tok, `${tag}-${i}`, checkoutBody(`${tag}-${i}@example.com`))));
    const placed = rs.filter((r) => r.status === 201).map((r) => r.body);
    for (const r of rs.filter((x) => x.status !== 201)) expectError(r, 422, 'VALIDATION_ERROR', 'promotions');
    const discounted = placed.filter((o) => o.totals.discount.amount > 0);
    assert.equal(discounted.length, 1, `orders with the discount: ${discounted.length} of ${placed.length} placed`);
    assert.equal(discounted[0].totals.discount.amount, 1000);
    for (const o of placed.filter((x) => x.totals.discount.amount === 0)) assert.equal(o.totals.subtotal.amount, 2000);
    const codes = await must(await admin(srv, 'GET', `/api/v1/admin/promotions/${half.id}/codes`), 200);
    assert.equal(codes.data[0].used_count, 1);
    const after = await cartOf(srv, await (async () => {
      const tok = await guestCart(srv, [[p.variants[0].id, 1]]);
      await must(await setCode(srv, tok, code), 200);
      return tok;
    })());
    assert.deepEqual(after.promotions.not_applied.map((n) => [n.id, n.reason]), [[half.id, 'usage_limit_reached']]);
  });

  it('a claim is given back when its order fails (declined payment)', async () => {
    const p = await stockedProduct(srv, fx.wh, { stock: 10, price: 1500, title: 'Decline' });
    const once = await promo({ name: 'first order only', kind: 'fixed', value: 500, currency: 'USD', target: only(p), usage_limit: 1 });
    const tok = await guestCart(srv, [[p.variants[0].id, 1]]);
    const r = await checkout(srv, tok, `decl-${token()}`, checkoutBody(`decl${token()}@example.com`, '4000000000000002'));
    expectError(r, 402, 'PAYMENT_DECLINED', 'payment_method');
    const back = await must(await admin(srv, 'GET', `/api/v1/admin/promotions/${once.id}`), 200);
    assert.equal(back.used_count, 0, 'the failed order gave its use back');
    const ok = await checkout(srv, tok, `ok-${token()}`, checkoutBody(`ok${token()}@example.com`));
    assert.equal(ok.status, 201, ok.text.slice(0, 300));
    assert.equal(ok.body.totals.discount.amount, 500);
    const used = await must(await admin(srv, 'GET', `/api/v1/admin/promotions/${once.id}`), 200);
    assert.equal(used.used_count, 1);
    const next = await cartOf(srv, await guestCart(srv, [[p.variants[0].id, 1]]));
    assert.deepEqual(next.promotions.not_applied.map((n) => [n.id, n.reason]), [[once.id, 'usage_limit_reached']]);
  });

  it('a category promotion covers its whole subtree, however wide and deep, and follows the tree when it changes', async () => {
    const cat = async (name, parent_id) => must(await admin(srv, 'POST', '/api/v1/categories', { name: `${name} ${token()}`, ...(parent_id ? { parent_id } : {}) }), 201);
    const root = await cat('Wide root');
    const kids = [];
    for (let i = 0; i < 120; i++) kids.push(await cat(`Wide child ${i}`, root.id)); // more than a set's 100 ids
    const deep = [kids[119]];
    for (let i = 0; i < 20; i++) deep.push(await cat(`Deep ${i}`, deep[deep.length - 1].id)); // deeper than 16 levels
    const other = await cat('Elsewhere');
    const p = await stockedProduct(srv, fx.wh, { stock: 10, price: 1000, title: 'Deep in the tree' });
    await must(await admin(srv, 'PATCH', `/api/v1/products/${p.id}`, { category_id: deep[20].id }), 200);
    const wide = await promo({ name: 'whole subtree', kind: 'percent', value: 1000, target: { kind: 'categories', ids: [root.id] } });
    const tok = await guestCart(srv, [[p.variants[0].id, 1]]);
    let cart = await cartOf(srv, tok);
    assert.deepEqual(cart.promotions.applied.map((a) => [a.id, a.amount.amount]), [[wide.id, 100]]);
    // the 120th child moves under another root: its subtree (the product's category) leaves the promotion
    await must(await admin(srv, 'PATCH', `/api/v1/categories/${kids[119].id}`, { parent_id: other.id }), 200);
    cart = await cartOf(srv, tok);
    assert.deepEqual(cart.promotions.applied, []);
    assert.equal(cart.totals.discount.amount, 0);
    // and back
    await must(await admin(srv, 'PATCH', `/api/v1/categories/${kids[119].id}`, { parent_id: root.id }), 200);
    cart = await cartOf(srv, tok);
    assert.deepEqual(cart.promotions.applied.map((a) => a.id), [wide.id]);
    await must(await admin(srv, 'PATCH', `/api/v1/admin/promotions/${wide.id}`, { active: false }), 200);
  });

  it('a per-customer limit: the second order of the same guest e-mail is placed without the promotion', async () => {
    const p = await stockedProduct(srv, fx.wh, { stock: 10, price: 1000, title: 'Per customer' });
    const once = await promo({ name: 'once per customer', kind: 'percent', value: 1000, target: only(p), per_customer_limit: 1 });
    const email = `once${token()}@example.com`.toLowerCase();
    const first = await checkout(srv, await guestCart(srv, [[p.variants[0].id, 1]]), `pc1-${token()}`, checkoutBody(email));
    assert.equal(first.status, 201, first.text.slice(0, 300));
    assert.equal(first.body.totals.discount.amount, 100);
    // the same customer (the address in another case): their share is used, the order goes through at full price
    const second = await checkout(srv, await guestCart(srv, [[p.variants[0].id, 1]]), `pc2-${token()}`, checkoutBody(email.toUpperCase()));
    assert.equal(second.status, 201, second.text.slice(0, 300));
    assert.equal(second.body.totals.discount.amount, 0);
    const other = await checkout(srv, await guestCart(srv, [[p.variants[0].id, 1]]), `pc3-${token()}`, checkoutBody(`other${token()}@example.com`));
    assert.equal(other.body.totals.discount.amount, 100, 'another customer still gets it');
    const now = await must(await admin(srv, 'GET', `/api/v1/admin/promotions/${once.id}`), 200);
    assert.equal(now.used_count, 2);
  });

  it('returns give back what the returned units paid after their share of the discount', async () => {
    const p = await stockedProduct(srv, fx.wh, { n: 2, stock: 20, price: 999, title: 'Returns' });
    const [v1, v2] = p.variants.map((v) => v.id);
    // 333 off the cart: shares by largest remainder over 3 × 999 and 1 × 999 (a 3 : 1 split of 333)
    await promo({ name: 'returns fixed', kind: 'fixed', value: 333, currency: 'USD', target: only(p) });
    const c = await ou.customerWithCart(srv, [[v1, 3], [v2, 1]]);
    const order = ou.must(await ou.checkout(srv, c.who, { body: { shipping_address: ou.ADDRESS, payment_method: '4242424242424242' } }), 201);
    assert.equal(order.totals.discount.amount, 333);
    assert.equal(order.totals.subtotal.amount, 4 * 999);
    ou.must(await ou.act(srv, ou.ADMIN, order.id, 'fulfil'), 200);
    ou.must(await ou.act(srv, ou.ADMIN, order.id, 'ship', { carrier: 'UPS', tracking: `1Z${token()}` }), 200);
    ou.must(await ou.act(srv, ou.ADMIN, order.id, 'deliver'), 200);
    // v1 paid 2997 - 250 = 2747 for 3 units (floor shares 249.75 → 250 by largest remainder); v2 paid 999 - 83 = 916
    const back = [];
    for (const [variant_id, quantity] of [[v1, 1], [v1, 2], [v2, 1]]) {
      const o = ou.must(await ou.act(srv, c.who, order.id, 'returns', { lines: [{ variant_id, quantity }], reason: 'test' }), 201);
      const ret = o.returns[o.returns.length - 1];
      ou.must(await ou.act(srv, ou.ADMIN, order.id, `returns/${ret.id}/approve`), 200);
      const got = ou.must(await ou.act(srv, ou.ADMIN, order.id, `returns/${ret.id}/receive`), 200);
      back.push(got.returns.find((x) => x.id === ret.id).refund.amount);
    }
    assert.deepEqual(back, [Math.floor(2747 / 3), Math.floor((2747 * 3) / 3) - Math.floor(2747 / 3), 916]);
    assert.equal(back.reduce((a, x) => a + x, 0), order.totals.subtotal.amount - order.totals.discount.amount, 'everything returned: exactly what the goods were paid');
  });

  it('a flash sale starting and ending while a cart is open reprices it', async () => {
    // a product in a child category; the sale is on the parent (its subtree)
    const parent = await must(await admin(srv, 'POST', '/api/v1/categories', { name: `Flash parent ${token()}` }), 201);
    const child = await must(await admin(srv, 'POST', '/api/v1/categories', { name: `Flash child ${token()}`, parent_id: parent.id }), 201);
    const word = `flashword${token()}`.replace(/[^a-z0-9]/g, '');
    const p = await must(await admin(srv, 'POST', '/api/v1/products', {
      title: `Flash ${word}`, status: 'active', category_id: child.id, variants: [{ sku: `FL-${token()}`, prices: [{ amount: 1000, currency: 'USD' }] }],
    }), 201);
    await must(await admin(srv, 'PUT', `/api/v1/variants/${p.variants[0].id}/stock/${fx.wh.id}`, { on_hand: 10, reason: 'initial count' }), 200);
    // the public answers that show prices, all cacheable: detail, list, search
    const detail = async () => (await must(await api(srv, 'GET', `/api/v1/products/${p.id}`), 200)).variants[0].prices[0];
    const listed = async () => (await must(await api(srv, 'GET', `/api/v1/products?category=${child.slug}`), 200)).data.find((x) => x.id === p.id).price;
    const hit = async () => (await must(await api(srv, 'GET', `/api/v1/search?q=${word}`), 200)).data.find((x) => x.id === p.id)?.price;
    await pollUntil(async () => (await hit()) !== undefined, { tries: 100, step: 50 });
    const start = Date.now() + 3000, end = start + 3000;
    const sale = await promo({ name: 'flash', kind: 'percent', value: 2000, target: { kind: 'categories', ids: [parent.id] }, flash_sale: true, starts_at: iso(start), ends_at: iso(end) });
    const tok = await guestCart(srv, [[p.variants[0].id, 2]]);
    const regular = { amount: 1000, currency: 'USD' };
    const before = [await detail(), await listed(), await hit()];
    const early = await cartOf(srv, tok);
    if (Date.now() < start) { // (on a very loaded machine the window may have opened already)
      assert.deepEqual(before, [regular, regular, regular], 'no sale price before the start');
      assert.deepEqual(early.promotions.not_applied.map((n) => [n.id, n.reason]), [[sale.id, 'not_started']]);
      assert.equal(early.totals.discount.amount, 0);
    }
    const during = await pollUntil(async () => {
      const c = await cartOf(srv, tok);
      return c.promotions.applied.length ? c : null;
    }, { tries: 80, step: 100 });
    assert.ok(Date.now() >= start);
    assert.equal(during.totals.discount.amount, 400);
    assert.equal(during.lines[0].discount.amount, 400);
    // the copies cached before the start did not outlive it
    const shown = [await detail(), await listed(), await hit()];
    const onSale = { ...regular, sale: { amount: 800, ends_at: sale.ends_at } };
    if (Date.now() < end) assert.deepEqual(shown, [onSale, onSale, onSale]);
    const later = await pollUntil(async () => {
      const c = await cartOf(srv, tok);
      return c.totals.discount.amount === 0 ? c : null;
    }, { tries: 80, step: 100 });
    assert.ok(Date.now() >= end);
    assert.deepEqual(later.promotions, { applied: [], not_applied: [] }, 'an ended automatic promotion is not mentioned');
    assert.deepEqual([await detail(), await listed(), await hit()], [regular, regular, regular], 'the sale price went with the window');
  });

  it('tiered spend and free shipping over a threshold', async () => {
    const p = await stockedProduct(srv, fx.wh, { stock: 50, price: 5000, title: 'Tiers' });
    const tiers = await promo({ name: 'spend more', kind: 'tiered', target: only(p), tiers: [{ min: 10000, rate_bp: 1000 }, { min: 20000, rate_bp: 1500 }] });
    const tok = await guestCart(srv, [[p.variants[0].id, 1]]);
    let c = await cartOf(srv, tok);
    assert.deepEqual(c.promotions.not_applied.map((n) => [n.id, n.reason]), [[tiers.id, 'below_minimum']]);
    await must(await api(srv, 'PATCH', `/api/v1/carts/current/lines/${p.variants[0].id}`, { headers: { 'X-Cart-Token': tok }, body: { quantity: 4 } }), 200);
    c = await cartOf(srv, tok);
    assert.deepEqual(c.promotions.applied.map((a) => [a.id, a.amount.amount]), [[tiers.id, 3000]]);
    // free shipping once the goods after discounts reach 15000 (17000 here; 20000 before the 15 %)
    const ship = await must(await admin(srv, 'POST', '/api/v1/admin/shipping-methods', { code: `promo${token()}`.replace(/[^A-Za-z0-9]/g, '').slice(0, 30), name: 'Promo post', currency: 'USD', amount: 700 }), 201);
    await must(await api(srv, 'PATCH', '/api/v1/carts/current', { headers: { 'X-Cart-Token': tok }, body: { shipping_method: ship.code } }), 200);
    assert.equal((await cartOf(srv, tok)).totals.shipping.amount, 700);
    const free = await promo({ name: 'free post', kind: 'free_shipping', min_subtotal: 17001, currency: 'USD', target: only(p) });
    c = await cartOf(srv, tok);
    assert.deepEqual(c.promotions.not_applied.map((n) => [n.id, n.reason]), [[free.id, 'below_minimum']]);
    assert.equal(c.totals.shipping.amount, 700);
    await must(await admin(srv, 'PATCH', `/api/v1/admin/promotions/${free.id}`, { min_subtotal: 17000 }), 200);
    c = await cartOf(srv, tok);
    assert.deepEqual(c.promotions.applied.map((a) => [a.id, a.amount.amount]), [[tiers.id, 3000], [free.id, 0]]);
    assert.equal(c.totals.shipping.amount, 0);
    assert.equal(c.totals.total.amount, 20000 - 3000);
    for (const x of [tiers, free]) await must(await admin(srv, 'PATCH', `/api/v1/admin/promotions/${x.id}`, { active: false }), 200);
  });

  it('the admin API checks promotions whole and makes unique code batches', async () => {
    let r = await admin(srv, 'POST', '/api/v1/admin/promotions', { name: 'bad', kind: 'fixed', value: 100, starts_at: iso(Date.now()), ends_at: iso(Date.now() - 1000), surprise: 1 });
    assert.equal(r.status, 422);
    const fields = r.body.error.details.map((d) => d.field).sort();
    assert.deepEqual(fields, ['currency', 'ends_at', 'surprise']);
    r = await admin(srv, 'POST', '/api/v1/admin/promotions', { name: 'flash without window', kind: 'percent', value: 100, flash_sale: true });
    expectError(r, 422, 'VALIDATION_ERROR', 'flash_sale');
    const p = await promo({ name: 'batch', kind: 'percent', value: 100, requires_code: true, active: false });
    const batch = await must(await admin(srv, 'POST', `/api/v1/admin/promotions/${p.id}/codes`, { count: 500, prefix: 'spring-', usage_limit: 1 }), 201);
    assert.match(batch.batch_id, /^pcb_/);
    assert.equal(batch.codes.length, 500);
    assert.equal(new Set(batch.codes).size, 500);
    for (const c of batch.codes) assert.match(c, /^SPRING-[0-9A-HJKMNP-TV-Z]{10}$/);
    r = await admin(srv, 'POST', `/api/v1/admin/promotions/${p.id}/codes`, { code: batch.codes[0] });
    expectError(r, 409, 'CONFLICT', 'code');
    const auto = await promo({ name: 'automatic', kind: 'percent', value: 100, active: false });
    r = await admin(srv, 'POST', `/api/v1/admin/promotions/${auto.id}/codes`, { count: 1 });
    expectError(r, 422, 'VALIDATION_ERROR', 'code');
    // PATCH merges, then checks the whole promotion
    r = await admin(srv, 'PATCH', `/api/v1/admin/promotions/${p.id}`, { kind: 'tiered' });
    expectError(r, 422, 'VALIDATION_ERROR', 'tiers');
    const changed = await must(await admin(srv, 'PATCH', `/api/v1/admin/promotions/${p.id}`, { priority: 7, name: 'batch 2' }), 200);
    assert.equal(changed.priority, 7);
    assert.equal(changed.requires_code, true);
    // delete: a never-used promotion goes
    await must(await admin(srv, 'DELETE', `/api/v1/admin/promotions/${auto.id}`), 204);
    r = await admin(srv, 'GET', `/api/v1/admin/promotions/${auto.id}`);
    expectError(r, 404, 'NOT_FOUND');
    // every change is in the audit log, naming the promotion
    const audited = async (action) => (await must(await admin(srv, 'GET', `/api/v1/admin/audit?action=${encodeURIComponent(action)}&limit=100`), 200)).data;
    const patched = (await audited('PATCH /api/v1/admin/promotions/{id}')).filter((e) => e.object_id === p.id);
    assert.ok(patched.some((e) => e.result === 200 && e.object_type === 'promotion'), `the PATCH of ${p.id} is audited: ${JSON.stringify(patched)}`);
    assert.ok(patched.some((e) => e.result === 422), 'so is the refused one');
    assert.ok((await audited('DELETE /api/v1/admin/promotions/{id}')).some((e) => e.object_id === auto.id), 'the delete is audited');
    assert.ok((await audited('POST /api/v1/admin/promotions/{id}/codes')).some((e) => e.object_id === p.id), 'the code batch is audited');
  });
});
