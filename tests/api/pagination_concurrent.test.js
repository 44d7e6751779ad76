// Keyset pagination stays correct while products are being inserted:
// every product that existed when the walk started is seen exactly once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, walk } from './lib/client.js';
import { uniqueIds, assertSorted, token } from './lib/util.js';

const SORTS = ['newest', 'name', 'price_asc', 'price_desc'];
const TITLE_PREFIXES = ['AAA', 'Mmm', 'zzz', '000', 'Lmn'];
const PRICES = [1, 999_999_999, 5_000, 250];

describe('pagination under concurrent inserts', () => {
  let srv;
  const created = new Set();
  let n = 0;

  async function insert() {
    const i = n++;
    const t = token();
    const r = await api(srv, 'POST', '/api/v1/products', {
      key: true,
      body: {
        title: `${TITLE_PREFIXES[i % TITLE_PREFIXES.length]} inserted ${i}`,
        slug: `inserted-${t}`,
        status: 'active',
        variants: [{ sku: `INS-${t}`, prices: [{ amount: PRICES[i % PRICES.length], currency: 'USD' }] }],
      },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.status, 'active');
    created.add(r.body.id);
    return r.body;
  }

  before(async () => {
    srv = await startServer({ products: 150, seed: 11 });
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  for (const sort of SORTS) {
    it(`sort=${sort}: inserts between page fetches`, async () => {
      const initial = (await walk(srv, { sort, limit: 100 })).items;
      uniqueIds(initial, 'initial walk');
      assert.ok(initial.length > 50, `only ${initial.length} active products`);
      const createdBefore = created.size;

      const { items, pages } = await walk(srv, { sort, limit: 9 }, {
        between: async () => { await insert(); await insert(); },
      });
      assert.ok(pages.length >= Math.ceil(initial.length / 9), 'walked all pages');
      assert.ok(created.size - createdBefore >= 2 * (pages.length - 1), 'products were inserted during the walk');

      uniqueIds(items, `sort=${sort} walk with inserts`);
      const seen = new Set(items.map((p) => p.id));
      const missing = initial.filter((p) => !seen.has(p.id));
      assert.equal(missing.length, 0, `products present at the start but never seen: ${JSON.stringify(missing.slice(0, 5).map((p) => [p.id, p.title, p.price]))}`);
      for (const p of items) {
        assert.ok(initial.some((x) => x.id === p.id) || created.has(p.id), `${p.id} is neither initial nor inserted`);
      }
      assertSorted(items, sort, `sort=${sort} (concatenated pages)`);
    });
  }

  it('name-sort cursors survive the longest titles (200 four-byte characters)', async () => {
    const titles = ['\u{1F600}'.repeat(200), '\u{1F601}'.repeat(200), '\u{1F602}'.repeat(199) + 'x'];
    const ids = [];
    for (const title of titles) {
      const t = token();
      const r = await api(srv, 'POST', '/api/v1/products', {
        key: true, body: { title, slug: `emoji-${t}`, status: 'active', variants: [{ sku: `EMO-${t}` }] },
      });
      assert.equal(r.status, 201, r.text);
      ids.push(r.body.id);
      created.add(r.body.id);
    }
    // pages of one item each: every cursor in the walk carries a 200-character title
    const { items } = await walk(srv, { sort: 'name', limit: 1 });
    const seen = new Set(items.map((p) => p.id));
    for (const id of ids) assert.ok(seen.has(id), `${id} reached through name-sort cursors`);
    uniqueIds(items, 'name walk with long titles');
  });

  it('inserts racing with page fetches (not awaited between pages)', async () => {
    const initial = (await walk(srv, { sort: 'price_asc', limit: 100 })).items;
    const pending = [];
    const { items } = await walk(srv, { sort: 'price_asc', limit: 13 }, {
      between: async () => { pending.push(insert(), insert(), insert()); },
    });
    await Promise.all(pending);
    uniqueIds(items, 'racing walk');
    const seen = new Set(items.map((p) => p.id));
    const missing = initial.filter((p) => !seen.has(p.id));
    assert.equal(missing.length, 0, `missed ${missing.length} initial products`);
    assertSorted(items, 'price_asc', 'racing walk');
    // afterwards a fresh walk sees everything, including all inserted products
    const final = (await walk(srv, { sort: 'price_asc', limit: 100 })).items;
    uniqueIds(final, 'final walk');
    const afterIds = new Set(final.map((p) => p.id));
    for (const id of created) assert.ok(afterIds.has(id), `inserted ${id} missing from a fresh walk`);
    assert.equal(final.length, initial.length + pending.length);
  });
});
