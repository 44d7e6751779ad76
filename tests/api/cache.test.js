// The response cache is emptied only when what it shows changes: catalog and
// stock writes (by this server, a background job, or another process) empty it;
// other writes, such as a cart line, leave it warm.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sqlFromOutside } from './lib/db.js';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';

describe('response cache invalidation', () => {
  let srv;
  let slug;
  before(async () => {
    srv = await startServer({ products: 20, seed: 9 });
    slug = (await api(srv, 'GET', '/api/v1/products?limit=1')).body.data[0].slug;
  });
  after(async () => { if (srv) await srv.stop(); });

  async function counters() {
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    const n = (r) => Number((text.match(new RegExp(`souk_cache_requests_total\\{result="${r}"\\} (\\d+)`)) || [])[1] || 0);
    return { hit: n('hit'), miss: n('miss') };
  }
  /** GETs the product detail and tells whether it came from the cache. */
  async function cached() {
    const before = await counters();
    const r = await api(srv, 'GET', `/api/v1/products/${slug}`);
    assert.equal(r.status, 200);
    const after = await counters();
    assert.equal(after.hit + after.miss, before.hit + before.miss + 1);
    return after.hit === before.hit + 1;
  }

  it('a warm entry survives cart writes', async () => {
    await cached();
    assert.equal(await cached(), true);
    const cart = await api(srv, 'POST', '/api/v1/carts');
    assert.equal(cart.status, 201);
    const detail = (await api(srv, 'GET', `/api/v1/products/${slug}`)).body;
    const line = await api(srv, 'POST', '/api/v1/carts/current/lines', {
      headers: { 'X-Cart-Token': cart.body.cart_token }, body: { variant_id: detail.variants[0].id, quantity: 2 },
    });
    assert.equal(line.status, 200, line.text);
    assert.equal(await cached(), true, 'a cart line does not empty the catalog cache');
  });

  it('a catalog write empties it, and the new answer shows the change', async () => {
    await cached();
    const detail = (await api(srv, 'GET', `/api/v1/products/${slug}`)).body;
    const r = await api(srv, 'PATCH', `/api/v1/products/${detail.id}`, { key: true, body: { title: 'Freshly renamed' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(await cached(), false);
    assert.equal((await api(srv, 'GET', `/api/v1/products/${slug}`)).body.title, 'Freshly renamed');
  });

  it('a content change by another connection is noticed within a second', async () => {
    await cached();
    assert.equal(await cached(), true);
    sqlFromOutside(srv.dbPath, "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'content'");
    let emptied = false;
    for (let i = 0; i < 30 && !emptied; i++) {
      await new Promise((res) => setTimeout(res, 100));
      emptied = !(await cached());
    }
    assert.ok(emptied, 'the watcher emptied the cache');
  });
});
