// Public catalog reads against a demo store (300 products, seed 7).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError, walk } from './lib/client.js';
import { mapLimit, uniqueIds, assertSameIds, assertSorted } from './lib/util.js';

const N = 300;
const SORTS = ['newest', 'price_asc', 'price_desc', 'name'];

describe('products: public reads', () => {
  let srv;
  let all; // every product, status=any (admin)
  let active; // active summaries (admin walk, filtered)
  let details; // id -> public Product detail of every active product
  let categories; // tree
  let brands;
  let vendors;
  let draft; // a draft product created by the test

  const lowest = (p, cur) => {
    const amounts = p.variants.filter((v) => v.status === 'active')
      .flatMap((v) => v.prices).filter((m) => m.currency === cur).map((m) => m.amount);
    return amounts.length ? Math.min(...amounts) : null;
  };
  const ids = (xs) => xs.map((x) => x.id);
  const flatten = (nodes) => nodes.flatMap((c) => [c, ...flatten(c.children)]);
  const subtreeIds = (c) => new Set(flatten([c]).map((x) => x.id));

  before(async () => {
    srv = await startServer({ products: N, seed: 7 });
    all = (await walk(srv, { status: 'any', limit: 100 }, { key: true })).items;
    active = all.filter((p) => p.status === 'active');
    const ds = await mapLimit(active, 8, async (p) => {
      const r = await api(srv, 'GET', `/api/v1/products/${p.id}`);
      assert.equal(r.status, 200, `detail ${p.id}: ${r.text.slice(0, 300)}`);
      return r.body;
    });
    details = new Map(ds.map((d) => [d.id, d]));
    categories = (await api(srv, 'GET', '/api/v1/categories')).body.data;
    brands = (await api(srv, 'GET', '/api/v1/brands')).body.data;
    vendors = (await api(srv, 'GET', '/api/v1/vendors')).body.data;
    const r = await api(srv, 'POST', '/api/v1/products', { key: true, body: { title: 'Secret Draft Widget', slug: 'secret-draft-widget-t1',
      variants: [{ sku: 'SECRET-DRAFT-1', prices: [{ amount: 4242, currency: 'USD' }] }] } });
    assert.equal(r.status, 201, r.text);
    draft = r.body;
    assert.equal(draft.status, 'draft');
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it(`demo store has ${N} products, most of them active`, () => {
    uniqueIds(all, 'status=any walk');
    assert.equal(all.length, N);
    assert.ok(active.length > 48, `only ${active.length} active products`);
    assert.ok(categories.length > 0 && brands.length > 0 && vendors.length > 0, 'demo has categories, brands and vendors');
    const slugs = new Set(all.map((p) => p.slug));
    assert.equal(slugs.size, all.length, 'slugs are unique');
  });

  it('list defaults: 24 active items, next_cursor, public caching', async () => {
    const r = await api(srv, 'GET', '/api/v1/products');
    assert.equal(r.status, 200);
    assert.equal(r.body.data.length, 24);
    assert.equal(typeof r.body.next_cursor, 'string');
    assert.ok(r.body.data.every((p) => p.status === 'active'));
    assert.equal(r.headers.get('cache-control'), 'public, max-age=300');
    assert.match(r.headers.get('etag') || '', /^"[^"]+"$/, 'strong quoted ETag');
    assertSorted(r.body.data, 'newest', 'default sort');
    // default sort is newest: equals the first 24 of the explicit newest walk
    const explicit = await api(srv, 'GET', '/api/v1/products?sort=newest&limit=24');
    assert.deepEqual(ids(r.body.data), ids(explicit.body.data));
  });

  for (const sort of SORTS) {
    it(`walking every page (limit 50, sort=${sort}) yields every active product once, in order`, async () => {
      const { items, pages } = await walk(srv, { sort, limit: 50 });
      uniqueIds(items, `sort=${sort}`);
      assertSameIds(ids(items), ids(active), `sort=${sort}`);
      pages.slice(0, -1).forEach((p, i) => assert.equal(p.data.length, 50, `page ${i} is not full`));
      assert.ok(pages.at(-1).data.length <= 50);
      assert.equal(pages.at(-1).next_cursor, null);
      assertSorted(items, sort);
      if (sort === 'price_asc' || sort === 'price_desc') {
        // the price shown is the lowest active-variant price
        for (const p of items) {
          const exp = lowest(details.get(p.id), 'USD');
          assert.deepEqual(p.price, exp === null ? null : { amount: exp, currency: 'USD' }, `price of ${p.id}`);
        }
      }
    });
  }

  it('summaries agree with details; public details list only active variants', () => {
    for (const s of active) {
      const d = details.get(s.id);
      for (const f of ['id', 'slug', 'title', 'status', 'brand', 'vendor', 'category', 'created_at', 'updated_at']) {
        assert.deepEqual(s[f], d[f], `${s.id}.${f}`);
      }
      const firstImage = [...d.images].sort((a, b) => a.position - b.position)[0] ?? null;
      assert.deepEqual(s.image, firstImage, `${s.id}.image is the first image`);
      const low = lowest(d, 'USD');
      assert.deepEqual(s.price, low === null ? null : { amount: low, currency: 'USD' }, `${s.id}.price`);
      assert.ok(d.variants.every((v) => v.status === 'active'), `${s.id}: public detail lists a non-active variant`);
      assert.ok(d.created_at <= d.updated_at, `${s.id}: created_at after updated_at`);
      const positions = d.images.map((i) => i.position);
      assert.equal(new Set(positions).size, positions.length, `${s.id}: duplicate image positions`);
    }
  });

  it('category tree is consistent and product_count counts active products in the subtree', () => {
    const flat = flatten(categories);
    uniqueIds(flat, 'categories');
    for (const root of categories) assert.equal(root.parent_id, null, `root ${root.id} has a parent`);
    for (const c of flat) {
      for (const ch of c.children) assert.equal(ch.parent_id, c.id, `${ch.id}.parent_id`);
      const sub = subtreeIds(c);
      const n = active.filter((p) => p.category && sub.has(p.category.id)).length;
      assert.equal(c.product_count, n, `${c.slug}.product_count`);
    }
  });

  it('filter: category (id or slug) includes the subtree', async () => {
    const flat = flatten(categories);
    const parent = flat.find((c) => c.children.length > 0 && c.product_count > 0);
    assert.ok(parent, 'demo has a category with children and products');
    const sub = subtreeIds(parent);
    const expected = active.filter((p) => p.category && sub.has(p.category.id));
    for (const v of [parent.id, parent.slug]) {
      const { items } = await walk(srv, { category: v, limit: 100 });
      assertSameIds(ids(items), ids(expected), `category=${v}`);
    }
    assert.ok(expected.some((p) => p.category.id !== parent.id) || parent.children.every((c) => c.product_count === 0),
      'subtree products are included');
    const leaf = flat.find((c) => c.children.length === 0 && c.product_count > 0);
    assert.ok(leaf, 'demo has a leaf category with products');
    const { items } = await walk(srv, { category: leaf.slug, limit: 100 });
    assertSameIds(ids(items), ids(active.filter((p) => p.category?.id === leaf.id)), `category=${leaf.slug}`);
  });

  for (const [kind, list] of [['brand', () => brands], ['vendor', () => vendors]]) {
    it(`filter: ${kind} (id or slug) and ${kind} product_count`, async () => {
      for (const b of list()) {
        const n = active.filter((p) => p[kind]?.id === b.id).length;
        assert.equal(b.product_count, n, `${kind} ${b.slug}.product_count`);
      }
      const b = list().find((x) => x.product_count > 0);
      assert.ok(b, `demo has a ${kind} with products`);
      const expected = active.filter((p) => p[kind]?.id === b.id);
      for (const v of [b.id, b.slug]) {
        const { items } = await walk(srv, { [kind]: v, limit: 100 });
        assertSameIds(ids(items), ids(expected), `${kind}=${v}`);
        assert.ok(items.every((p) => p[kind].id === b.id && p[kind].slug === b.slug && p[kind].name === b.name));
      }
    });
  }

  it('filter: category + brand combine (AND)', async () => {
    const p0 = active.find((p) => p.category && p.brand);
    assert.ok(p0, 'demo has a product with a category and a brand');
    const cat = flatten(categories).find((c) => c.id === p0.category.id);
    const sub = subtreeIds(cat);
    const expected = active.filter((p) => p.brand?.id === p0.brand.id && p.category && sub.has(p.category.id));
    const { items } = await walk(srv, { category: cat.id, brand: p0.brand.id, limit: 100 });
    assertSameIds(ids(items), ids(expected), 'category+brand');
  });

  const currencies = () => [...new Set([...details.values()].flatMap((d) => d.variants.flatMap((v) => v.prices.map((m) => m.currency))))].sort();

  it('filter: price range', async () => {
    for (const cur of currencies().slice(0, 3)) {
      const prices = active.map((p) => lowest(details.get(p.id), cur)).filter((x) => x !== null).sort((a, b) => a - b);
      if (prices.length < 4) continue;
      const lo = prices[Math.floor(prices.length * 0.25)];
      const hi = prices[Math.floor(prices.length * 0.6)];
      const { items } = await walk(srv, { price_min: lo, price_max: hi, currency: cur, limit: 100 });
      uniqueIds(items, 'price range');
      const got = new Set(ids(items));
      // every product whose (lowest) price is in range is listed ...
      for (const p of active) {
        const l = lowest(details.get(p.id), cur);
        if (l !== null && l >= lo && l <= hi) assert.ok(got.has(p.id), `${p.id} (${l} ${cur}) missing from [${lo}, ${hi}]`);
      }
      // ... and every listed product has an active variant priced in range
      for (const p of items) {
        const amounts = details.get(p.id).variants.flatMap((v) => v.prices).filter((m) => m.currency === cur).map((m) => m.amount);
        assert.ok(amounts.some((a) => a >= lo && a <= hi), `${p.id} ${JSON.stringify(amounts)} listed outside [${lo}, ${hi}] ${cur}`);
      }
      assert.ok(items.length > 0 && items.length < active.length);
      // only a minimum
      const { items: above } = await walk(srv, { price_min: hi + 1, currency: cur, limit: 100 });
      for (const p of above) assert.ok(details.get(p.id).variants.flatMap((v) => v.prices).some((m) => m.currency === cur && m.amount > hi));
      for (const p of active) {
        const l = lowest(details.get(p.id), cur);
        if (l !== null && l > hi) assert.ok(above.some((x) => x.id === p.id), `${p.id} missing from price_min=${hi + 1}`);
      }
      // empty range
      const none = await api(srv, 'GET', `/api/v1/products?price_min=${prices.at(-1) + 1}&currency=${cur}`);
      assert.equal(none.status, 200);
      assert.deepEqual(none.body, { data: [], next_cursor: null });
    }
    assert.ok(currencies().includes('USD'), 'demo prices in USD');
  });

  it('filter: attr.NAME=VALUE (one and two attributes)', async () => {
    const withAttrs = [...details.values()].filter((d) => Object.keys(d.attributes).length >= 2);
    assert.ok(withAttrs.length > 0, 'demo products have attributes');
    const d0 = withAttrs[0];
    const [[n1, v1], [n2, v2]] = Object.entries(d0.attributes);
    const match1 = [...details.values()].filter((d) => d.attributes[n1] === v1);
    let r = await walk(srv, { [`attr.${n1}`]: v1, limit: 100 });
    assertSameIds(ids(r.items), ids(match1), `attr.${n1}=${v1}`);
    assert.ok(r.items.length < active.length, 'the attribute filter filters');
    const match2 = match1.filter((d) => d.attributes[n2] === v2);
    r = await walk(srv, { [`attr.${n1}`]: v1, [`attr.${n2}`]: v2, limit: 100 });
    assertSameIds(ids(r.items), ids(match2), `attr.${n1}=${v1}&attr.${n2}=${v2}`);
    r = await walk(srv, { [`attr.${n1}`]: 'no-such-value-xyz' });
    assert.equal(r.items.length, 0);
  });

  it('currency: prices shown in the requested currency (null when none)', async () => {
    const curs = [...new Set([...currencies(), 'EUR', 'GBP'])];
    for (const cur of curs) {
      const { items } = await walk(srv, { currency: cur, limit: 100 });
      assertSameIds(ids(items), ids(active), `currency=${cur} lists the same products`);
      for (const p of items) {
        const l = lowest(details.get(p.id), cur);
        assert.deepEqual(p.price, l === null ? null : { amount: l, currency: cur }, `${p.id} price in ${cur}`);
      }
    }
  });

  it('status filters need the admin key', async () => {
    for (const st of ['draft', 'archived', 'any']) {
      const r = await api(srv, 'GET', `/api/v1/products?status=${st}`);
      expectError(r, 401, 'UNAUTHORIZED');
      assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
      const bad = await api(srv, 'GET', `/api/v1/products?status=${st}`, { key: 'sk_wrong' });
      expectError(bad, 401, 'UNAUTHORIZED');
    }
    const { items: drafts } = await walk(srv, { status: 'draft', limit: 100 }, { key: true });
    assert.ok(drafts.every((p) => p.status === 'draft'));
    assert.ok(drafts.some((p) => p.id === draft.id), 'created draft is listed');
    assertSameIds(ids(drafts), [...ids(all.filter((p) => p.status === 'draft')), draft.id], 'status=draft');
    const { items: archived } = await walk(srv, { status: 'archived', limit: 100 }, { key: true });
    assertSameIds(ids(archived), ids(all.filter((p) => p.status === 'archived')), 'status=archived');
    const r = await api(srv, 'GET', '/api/v1/products?status=active&limit=5', { key: true });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store', 'authenticated GET is not cacheable');
    const pub = await api(srv, 'GET', '/api/v1/products?status=active&limit=5');
    assert.deepEqual(ids(pub.body.data), ids(r.body.data));
  });

  it('detail by id and by slug', async () => {
    const p = active[7];
    const a = await api(srv, 'GET', `/api/v1/products/${p.id}`);
    const b = await api(srv, 'GET', `/api/v1/products/${p.slug}`);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.deepEqual(a.body, b.body);
    assert.equal(a.body.id, p.id);
    assert.equal(a.body.slug, p.slug);
    assert.equal(a.headers.get('cache-control'), 'public, max-age=900');
    assert.match(a.headers.get('etag') || '', /^"[^"]+"$/);
    assert.equal(a.headers.get('etag'), b.headers.get('etag'));
    const k = await api(srv, 'GET', `/api/v1/products/${p.id}`, { key: true });
    assert.equal(k.status, 200);
    assert.equal(k.headers.get('cache-control'), 'no-store');
  });

  it('draft and unknown products are 404 for the public, drafts visible with the key', async () => {
    for (const v of [draft.id, draft.slug]) {
      expectError(await api(srv, 'GET', `/api/v1/products/${v}`), 404, 'NOT_FOUND');
      const r = await api(srv, 'GET', `/api/v1/products/${v}`, { key: true });
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'draft');
      assert.equal(r.body.id, draft.id);
    }
    const arch = all.find((p) => p.status === 'archived');
    if (arch) expectError(await api(srv, 'GET', `/api/v1/products/${arch.id}`), 404, 'NOT_FOUND');
    for (const v of ['prod_0000000000000', 'no-such-product', 'prod_invalid']) {
      expectError(await api(srv, 'GET', `/api/v1/products/${v}`), 404, 'NOT_FOUND');
    }
  });

  it('ETag + If-None-Match → 304 with empty body', async () => {
    const p = active[3];
    for (const [path, cc] of [['/api/v1/products?limit=10', 'public, max-age=300'], [`/api/v1/products/${p.id}`, 'public, max-age=900'],
      ['/api/v1/categories', 'public, max-age=300'], ['/api/v1/brands', 'public, max-age=300'], ['/api/v1/vendors', 'public, max-age=300']]) {
      const r1 = await api(srv, 'GET', path);
      assert.equal(r1.status, 200, path);
      assert.equal(r1.headers.get('cache-control'), cc, `${path} Cache-Control`);
      const etag = r1.headers.get('etag');
      assert.match(etag || '', /^"[^"]+"$/, `${path} strong ETag`);
      const r2 = await api(srv, 'GET', path);
      assert.equal(r2.headers.get('etag'), etag, `${path}: ETag is stable`);
      const r3 = await api(srv, 'GET', path, { headers: { 'If-None-Match': etag } });
      assert.equal(r3.status, 304, path);
      assert.equal(r3.text, '');
      assert.equal(r3.headers.get('etag'), etag);
      const r4 = await api(srv, 'GET', path, { headers: { 'If-None-Match': '"something-else"' } });
      assert.equal(r4.status, 200, `${path} with a non-matching If-None-Match`);
      const r5 = await api(srv, 'GET', path, { headers: { 'If-None-Match': `"x", ${etag}` } });
      assert.equal(r5.status, 304, `${path} with a list containing the ETag`);
    }
    const other = await api(srv, 'GET', '/api/v1/products?limit=11');
    const ten = await api(srv, 'GET', '/api/v1/products?limit=10');
    assert.notEqual(other.headers.get('etag'), ten.headers.get('etag'), 'different lists, different ETags');
  });

  it('bad query parameters → 422 VALIDATION_ERROR naming the parameter', async () => {
    const cases = [
      ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=abc', 'limit'], ['limit=1.5', 'limit'], ['limit=-3', 'limit'],
      ['sort=bogus', 'sort'], ['sort=', 'sort'],
      ['price_min=-1', 'price_min'], ['price_max=-1', 'price_max'], ['price_max=abc', 'price_max'], ['price_min=1.5', 'price_min'],
      ['foo=1', 'foo'], ['page=2', 'page'],
      ['cursor=garbage', 'cursor'], ['cursor=not%20a%20cursor!', 'cursor'],
      ['currency=XXX', 'currency'], ['currency=ZZZ', 'currency'], ['currency=US', 'currency'], ['currency=USDD', 'currency'],
      ['status=bogus', 'status'], ['status=deleted', 'status'],
    ];
    for (const [qs, field] of cases) {
      const r = await api(srv, 'GET', `/api/v1/products?${qs}`);
      expectError(r, 422, 'VALIDATION_ERROR', field);
    }
    const r = await api(srv, 'GET', '/api/v1/products?attr.Bad-Name=x');
    expectError(r, 422, 'VALIDATION_ERROR');
    assert.ok(r.body.error.details.some((d) => d.field.startsWith('attr')), JSON.stringify(r.body.error.details));
    const long = await api(srv, 'GET', `/api/v1/products?attr.${'a'.repeat(65)}=x`);
    expectError(long, 422, 'VALIDATION_ERROR');
    const limits = await api(srv, 'GET', '/api/v1/products?limit=100');
    assert.equal(limits.status, 200);
    assert.equal(limits.body.data.length, 100);
    const one = await api(srv, 'GET', '/api/v1/products?limit=1');
    assert.equal(one.body.data.length, 1);
  });
});
