// Reads stay cached while the shop sells (issue 10): a purchase of a product with plenty of
// stock leaves its cached detail and its category list cached — the counts product detail
// shows are filled in at send time — while selling the last unit flips the availability in
// detail, in lists filtered by in_stock, within a second.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { sqlFromOutside } from './lib/db.js';
import { admin, checkout, checkoutBody, guestCart, must, pollUntil, warehouse } from './lib/checkout_util.js';
import { token } from './lib/util.js';

describe('response cache while the shop sells', () => {
  let srv;
  const fx = {};

  before(async () => {
    srv = await startServer();
    fx.wh = await warehouse(srv, 'sales');
    const slug = `sales-${token()}`.toLowerCase().replace(/[^a-z0-9-]/g, '');
    fx.cat = await must(await admin(srv, 'POST', '/api/v1/categories', { name: 'Sales', slug }), 201);
    const product = async (stock) => {
      const p = await must(await admin(srv, 'POST', '/api/v1/products', {
        title: `Sold ${token()}`, status: 'active', category_id: fx.cat.id,
        variants: [{ sku: `SL-${token()}`, prices: [{ amount: 700, currency: 'USD' }] }],
      }), 201);
      await must(await admin(srv, 'PUT', `/api/v1/variants/${p.variants[0].id}/stock/${fx.wh.id}`,
        { on_hand: stock, reason: 'initial count' }), 200);
      return p;
    };
    fx.plenty = await product(100);
    fx.last = await product(1);
    fx.list = `/api/v1/products?category=${fx.cat.slug}&limit=24`;
    fx.inStock = `/api/v1/products?category=${fx.cat.slug}&in_stock=true&limit=24`;
    fx.outOfStock = `/api/v1/products?category=${fx.cat.slug}&in_stock=false&limit=24`;
  });
  after(async () => { if (srv) await srv.stop(); });

  async function counters() {
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    const n = (r) => Number((text.match(new RegExp(`souk_cache_requests_total\\{result="${r}"\\} (\\d+)`)) || [])[1] || 0);
    return { hit: n('hit'), miss: n('miss') };
  }

  /** GETs PATH anonymously: {body, hit} where hit says whether the cache answered. */
  async function get(path) {
    const before = await counters();
    const r = await api(srv, 'GET', path);
    assert.equal(r.status, 200, r.text);
    const after = await counters();
    assert.equal(after.hit + after.miss, before.hit + before.miss + 1, 'one cache lookup per GET');
    return { body: r.body, hit: after.hit === before.hit + 1, etag: r.headers.get('etag') };
  }

  async function buy(variant, n = 1) {
    const tok = await guestCart(srv, [[variant, n]]);
    const r = await checkout(srv, tok, `sales-${token()}`, checkoutBody(`buyer-${token()}@example.com`));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.state, 'paid');
  }

  it('a purchase with plenty left leaves the detail and the category list cached, with the new count', async () => {
    const detail = `/api/v1/products/${fx.plenty.slug}`;
    await get(detail);
    await get(fx.list);
    const warm = await get(detail);
    assert.equal(warm.hit, true, 'the detail is cached');
    assert.equal(warm.body.variants[0].available, 100);
    assert.equal((await get(fx.list)).hit, true, 'the list is cached');

    await buy(fx.plenty.variants[0].id, 3);

    const after = await get(detail);
    assert.equal(after.hit, true, 'the sale left the cached detail alone');
    assert.equal(after.body.variants[0].available, 97, 'and the count it shows is the one after the sale');
    assert.notEqual(after.etag, warm.etag, 'the ETag is of the bytes sent');
    assert.equal((await get(fx.list)).hit, true, 'the sale left the cached list alone');
    // a conditional GET with the old ETag gets the new body, not a 304
    const r = await api(srv, 'GET', detail, { headers: { 'If-None-Match': warm.etag } });
    assert.equal(r.status, 200);
    const same = await api(srv, 'GET', detail, { headers: { 'If-None-Match': after.etag } });
    assert.equal(same.status, 304);
  });

  it('selling the last unit flips availability in detail and the in_stock lists within a second', async () => {
    const detail = `/api/v1/products/${fx.last.slug}`;
    const ids = (page) => page.body.data.map((p) => p.id);
    await get(detail);
    await get(fx.inStock);
    await get(fx.outOfStock);
    assert.equal((await get(detail)).body.variants[0].available, 1);
    const listed = await get(fx.inStock);
    assert.equal(listed.hit, true);
    assert.ok(ids(listed).includes(fx.last.id), 'in stock before the sale');
    assert.ok(!ids(await get(fx.outOfStock)).includes(fx.last.id));

    const sold = Date.now();
    await buy(fx.last.variants[0].id, 1);
    const flipped = await pollUntil(async () => {
      const d = await get(detail);
      const inStock = await get(fx.inStock);
      const out = await get(fx.outOfStock);
      return d.body.variants[0].available === 0 && !ids(inStock).includes(fx.last.id) && ids(out).includes(fx.last.id);
    }, { tries: 20, step: 50 });
    assert.ok(flipped, 'the sold-out product left the in_stock list and shows 0 available');
    assert.ok(Date.now() - sold < 1000 + 500, 'within a second of the sale (plus the polling step)');
    // the unfiltered list and the other product's detail were not affected by the flip
    assert.equal((await get(fx.list)).hit, true);
  });

  it('a stock change by another process is seen within a second', async () => {
    const detail = `/api/v1/products/${fx.plenty.slug}`;
    const before = (await get(detail)).body.variants[0].available;
    // another process (here: the sqlite3 or psql tool) sells straight in the database
    const vid = fx.plenty.variants[0].id;
    const detailAdmin = await must(await admin(srv, 'GET', `/api/v1/variants/${vid}/stock`), 200);
    assert.equal(detailAdmin.available, before);
    sqlFromOutside(srv.dbPath,
      `UPDATE variant_availability SET available = available - 5 WHERE variant_id = (SELECT variant_id FROM variant_availability ORDER BY available DESC LIMIT 1)`);
    const seen = await pollUntil(async () => (await get(detail)).body.variants[0].available === before - 5,
      { tries: 30, step: 100 });
    assert.ok(seen, 'the detail shows the other process\'s change');
  });
});
