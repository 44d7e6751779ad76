// The product list keeps the brand, vendor and category refs it renders in a
// memo on each connection (src/catalog/refs.c), checked against the catalog's
// version in the same snapshot. A rename, a new slug or a product moved to
// another brand must show in the very next list on every event-loop thread,
// with the response cache on and with it off (then only the memo could be
// stale).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { token } from './lib/util.js';

const must = async (p, status) => {
  const r = await p;
  assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 300)}`);
  return r.body;
};

for (const cacheMb of ['64', '0']) {
  describe(`list refs follow renames (SOUK_CACHE_MB=${cacheMb})`, () => {
    let srv;
    after(async () => srv && (await srv.stop()));

    it('a renamed brand, vendor and category show in the next list, on every loop', async () => {
      srv = await startServer({ env: { SOUK_CACHE_MB: cacheMb } });
      const admin = (method, path, body) => api(srv, method, path, { key: true, body });
      const t = token().toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 10);
      const brand = await must(admin('POST', '/api/v1/brands', { name: `Brand ${t}` }), 201);
      const other = await must(admin('POST', '/api/v1/brands', { name: `Other ${t}` }), 201);
      const vendor = await must(admin('POST', '/api/v1/vendors', { name: `Vendor ${t}` }), 201);
      const cat = await must(admin('POST', '/api/v1/categories', { name: `Cat ${t}` }), 201);
      const p = await must(admin('POST', '/api/v1/products', {
        title: `Fresh ${t}`, status: 'active', brand_id: brand.id, vendor_id: vendor.id, category_id: cat.id,
        variants: [{ sku: `FR-${t}`, prices: [{ amount: 100, currency: 'USD' }] }],
      }), 201);
      const firstOf = async (query) => {
        const list = await must(api(srv, 'GET', `/api/v1/products?limit=100${query}`), 200);
        return list.data.find((x) => x.id === p.id);
      };
      // many reads, so that both event-loop threads hold the refs in their memo
      for (let i = 0; i < 12; i++) assert.equal((await firstOf('')).brand.name, `Brand ${t}`);

      await must(admin('PATCH', `/api/v1/brands/${brand.id}`, { name: `Brand ${t} renamed` }), 200);
      await must(admin('PATCH', `/api/v1/vendors/${vendor.id}`, { name: `Vendor ${t} renamed` }), 200);
      await must(admin('PATCH', `/api/v1/categories/${cat.id}`, { name: `Cat ${t} renamed` }), 200);
      for (let i = 0; i < 12; i++) {
        const s = await firstOf('');
        assert.equal(s.brand.name, `Brand ${t} renamed`, `read ${i}: the brand's new name`);
        assert.equal(s.vendor.name, `Vendor ${t} renamed`, `read ${i}: the vendor's new name`);
        assert.equal(s.category.name, `Cat ${t} renamed`, `read ${i}: the category's new name`);
      }

      await must(admin('PATCH', `/api/v1/products/${p.id}`, { brand_id: other.id }), 200);
      for (let i = 0; i < 12; i++) assert.equal((await firstOf('')).brand.id, other.id, `read ${i}: the new brand`);
    });
  });
}
