// Admin catalog writes: products, variants, prices, categories, brands,
// vendors. Every rejected request must leave the object unchanged.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError, walk } from './lib/client.js';
import { sleep } from './lib/util.js';

const SLUG_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const ZERO = { prod: 'prod_0000000000000', var: 'var_0000000000000', cat: 'cat_0000000000000', brand: 'brand_0000000000000', vend: 'vend_0000000000000' };

describe('catalog writes', () => {
  let srv;
  const st = {}; // shared objects created along the way

  const get = async (path, key = true) => {
    const r = await api(srv, 'GET', path, { key });
    return r;
  };
  const adminProduct = async (id) => {
    const r = await get(`/api/v1/products/${id}`);
    assert.equal(r.status, 200, r.text);
    return r.body;
  };
  const adminVariant = async (productId, variantId) => (await adminProduct(productId)).variants.find((v) => v.id === variantId);
  const allProducts = async () => (await walk(srv, { status: 'any', limit: 100 }, { key: true })).items;
  const tree = async () => (await get('/api/v1/categories')).body.data;
  const flatten = (nodes) => nodes.flatMap((c) => [c, ...flatten(c.children)]);
  const findCat = async (id) => flatten(await tree()).find((c) => c.id === id);
  const byCurrency = (prices) => [...prices].sort((a, b) => a.currency.localeCompare(b.currency));
  const recent = (ts) => assert.ok(Math.abs(Date.parse(ts) - Date.now()) < 5 * 60_000, `${ts} is not about now`);

  /** Send a request that must be rejected, and check `read()` is unchanged. */
  async function rejected(method, path, body, status, code, field, read, opts = {}) {
    const before = read ? await read() : undefined;
    const r = await api(srv, method, path, { key: true, body, ...opts });
    expectError(r, status, code, field);
    if (read) assert.deepEqual(await read(), before, `${method} ${path} ${JSON.stringify(body)?.slice(0, 200)} changed state although rejected`);
    return r;
  }

  before(async () => {
    srv = await startServer({}); // empty store: exercises the key printed by the first `serve`
    assert.match(srv.adminKey, /^sk_/);
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  // ---------------------------------------------------------------- brands & vendors
  for (const [kind, plural, prefix] of [['brand', 'brands', 'brand'], ['vendor', 'vendors', 'vend']]) {
    it(`${plural}: create, list, update, conflicts, validation`, async () => {
      const base = `/api/v1/${plural}`;
      const list = async () => (await get(base)).body.data;

      const a = await api(srv, 'POST', base, { key: true, body: { name: `Acme ${kind}` } });
      assert.equal(a.status, 201, a.text);
      assert.match(a.body.id, new RegExp(`^${prefix}_`));
      assert.equal(a.body.name, `Acme ${kind}`);
      assert.match(a.body.slug, SLUG_RE);
      assert.equal(a.body.product_count, 0);
      recent(a.body.created_at);
      assert.ok(a.body.updated_at >= a.body.created_at);

      const b = await api(srv, 'POST', base, { key: true, body: { name: `Beta ${kind}`, slug: `beta-${kind}` } });
      assert.equal(b.status, 201, b.text);
      assert.equal(b.body.slug, `beta-${kind}`);
      st[kind] = b.body;
      st[`${kind}A`] = a.body;

      const l = await list();
      assert.deepEqual(l.find((x) => x.id === a.body.id), a.body);
      assert.deepEqual(l.find((x) => x.id === b.body.id), b.body);

      // duplicate slug
      await rejected('POST', base, { name: 'Other', slug: `beta-${kind}` }, 409, 'CONFLICT', 'slug', list);
      await rejected('PATCH', `${base}/${a.body.id}`, { slug: `beta-${kind}` }, 409, 'CONFLICT', 'slug', list);

      // update
      const etag1 = (await api(srv, 'GET', base)).headers.get('etag');
      await sleep(5);
      const u = await api(srv, 'PATCH', `${base}/${a.body.id}`, { key: true, body: { name: `Acme ${kind} Renamed` } });
      assert.equal(u.status, 200, u.text);
      assert.equal(u.body.name, `Acme ${kind} Renamed`);
      assert.equal(u.body.slug, a.body.slug, 'slug unchanged when not patched');
      assert.equal(u.body.created_at, a.body.created_at);
      assert.ok(u.body.updated_at > a.body.updated_at, 'updated_at advances');
      st[`${kind}A`] = u.body;
      const etag2 = (await api(srv, 'GET', base)).headers.get('etag');
      assert.notEqual(etag2, etag1, 'list ETag changes after an update');
      const s = await api(srv, 'PATCH', `${base}/${a.body.id}`, { key: true, body: { slug: `acme-${kind}-x` } });
      assert.equal(s.status, 200, s.text);
      assert.equal(s.body.slug, `acme-${kind}-x`);
      st[`${kind}A`] = s.body;

      // boundaries accepted
      const long = await api(srv, 'POST', base, { key: true, body: { name: 'N'.repeat(200), slug: 's'.repeat(100) } });
      assert.equal(long.status, 201, long.text);
      assert.equal(long.body.name.length, 200);

      // validation
      for (const [body, field] of [
        [{}, 'name'], [{ name: 5 }, 'name'], [{ name: null }, 'name'], [{ name: '' }, 'name'], [{ name: 'N'.repeat(201) }, 'name'],
        [{ name: 'ok', slug: 'Bad Slug' }, 'slug'], [{ name: 'ok', slug: '-bad' }, 'slug'], [{ name: 'ok', slug: 'bad--slug' }, 'slug'],
        [{ name: 'ok', slug: 's'.repeat(101) }, 'slug'], [{ name: 'ok', slug: 7 }, 'slug'], [{ name: 'ok', website: 'x' }, 'website'],
      ]) {
        await rejected('POST', base, body, 422, 'VALIDATION_ERROR', field, list);
      }
      for (const [body, field] of [[{ name: 5 }, 'name'], [{ name: '' }, 'name'], [{ slug: 'UPPER' }, 'slug'], [{ id: ZERO[prefix] }, 'id'], [{ product_count: 3 }, 'product_count']]) {
        await rejected('PATCH', `${base}/${a.body.id}`, body, 422, 'VALIDATION_ERROR', field, list);
      }
      expectError(await api(srv, 'PATCH', `${base}/${ZERO[prefix]}`, { key: true, body: { name: 'x' } }), 404, 'NOT_FOUND');
      // auth
      for (const key of [undefined, 'sk_wrong']) {
        const r = await api(srv, 'POST', base, { key, body: { name: 'Nope' } });
        expectError(r, 401, 'UNAUTHORIZED');
        assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
        expectError(await api(srv, 'PATCH', `${base}/${a.body.id}`, { key, body: { name: 'Nope' } }), 401, 'UNAUTHORIZED');
      }
      assert.ok(!(await list()).some((x) => x.name === 'Nope'));
    });
  }

  it('vendors: commission_bp (basis points, vendors only)', async () => {
    const vendors = async () => (await get('/api/v1/vendors')).body.data;
    const brands = async () => (await get('/api/v1/brands')).body.data;

    // default 0; explicit values at both bounds
    const d = await api(srv, 'POST', '/api/v1/vendors', { key: true, body: { name: 'Commission Default' } });
    assert.equal(d.status, 201, d.text);
    assert.equal(d.body.commission_bp, 0);
    const v = await api(srv, 'POST', '/api/v1/vendors', { key: true, body: { name: 'Commission Vendor', commission_bp: 1250 } });
    assert.equal(v.status, 201, v.text);
    assert.equal(v.body.commission_bp, 1250);
    assert.deepEqual((await vendors()).find((x) => x.id === v.body.id), v.body);
    const max = await api(srv, 'POST', '/api/v1/vendors', { key: true, body: { name: 'Commission Max', commission_bp: 10000 } });
    assert.equal(max.status, 201, max.text);
    assert.equal(max.body.commission_bp, 10000);

    // PATCH: changes it alone; other patches leave it as is
    const p = await api(srv, 'PATCH', `/api/v1/vendors/${v.body.id}`, { key: true, body: { commission_bp: 0 } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.commission_bp, 0);
    assert.equal(p.body.name, 'Commission Vendor');
    const p2 = await api(srv, 'PATCH', `/api/v1/vendors/${v.body.id}`, { key: true, body: { commission_bp: 800, name: 'Commission Vendor 2' } });
    assert.equal(p2.status, 200, p2.text);
    assert.deepEqual([p2.body.commission_bp, p2.body.name], [800, 'Commission Vendor 2']);
    const p3 = await api(srv, 'PATCH', `/api/v1/vendors/${v.body.id}`, { key: true, body: { name: 'Commission Vendor 3' } });
    assert.equal(p3.status, 200, p3.text);
    assert.equal(p3.body.commission_bp, 800, 'commission_bp unchanged when not patched');
    assert.deepEqual((await vendors()).find((x) => x.id === v.body.id), p3.body);

    // invalid values are rejected and change nothing
    for (const bad of [10001, -1, 12.5, '100', null, true]) {
      await rejected('POST', '/api/v1/vendors', { name: 'Bad Commission', commission_bp: bad }, 422, 'VALIDATION_ERROR', 'commission_bp', vendors);
      await rejected('PATCH', `/api/v1/vendors/${v.body.id}`, { commission_bp: bad }, 422, 'VALIDATION_ERROR', 'commission_bp', vendors);
    }

    // brands (and categories) have no commission: an unknown field
    await rejected('POST', '/api/v1/brands', { name: 'Commission Brand', commission_bp: 100 }, 422, 'VALIDATION_ERROR', 'commission_bp', brands);
    await rejected('PATCH', `/api/v1/brands/${st.brand.id}`, { commission_bp: 100 }, 422, 'VALIDATION_ERROR', 'commission_bp', brands);
    await rejected('POST', '/api/v1/categories', { name: 'Commission Cat', commission_bp: 100 }, 422, 'VALIDATION_ERROR', 'commission_bp', tree);
    assert.ok((await brands()).every((b) => !('commission_bp' in b)));

    // product refs to the vendor stay {id, slug, name}
    const prod = await api(srv, 'POST', '/api/v1/products', { key: true, body: { title: 'Commission Product', vendor_id: v.body.id } });
    assert.equal(prod.status, 201, prod.text);
    assert.deepEqual(prod.body.vendor, { id: v.body.id, slug: p3.body.slug, name: 'Commission Vendor 3' });
  });

  // ---------------------------------------------------------------- categories
  it('categories: tree, move, cycles, delete, validation', async () => {
    const post = async (body) => {
      const r = await api(srv, 'POST', '/api/v1/categories', { key: true, body });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(r.body.children, []);
      assert.equal(r.body.product_count, 0);
      assert.equal(r.body.name, body.name);
      assert.equal(r.body.parent_id, body.parent_id ?? null);
      assert.match(r.body.slug, SLUG_RE);
      return r.body;
    };
    const A = await post({ name: 'Apparel', slug: 'apparel', position: 1 });
    const B = await post({ name: 'Shoes', slug: 'shoes', parent_id: A.id, position: 2 });
    const B2 = await post({ name: 'Hats', slug: 'hats', parent_id: A.id, position: 1 });
    const C = await post({ name: 'Running shoes', parent_id: B.id });
    const D = await post({ name: 'Outdoor', slug: 'outdoor', position: 0 });
    st.cat = { A, B, B2, C, D };

    let t = await tree();
    const tA = t.find((c) => c.id === A.id);
    assert.ok(tA, 'root A listed');
    assert.ok(t.find((c) => c.id === D.id), 'root D listed');
    assert.ok(!t.some((c) => c.id === B.id), 'B is not a root');
    assert.deepEqual(tA.children.map((c) => c.id), [B2.id, B.id], 'children ordered by position');
    assert.deepEqual(tA.children.find((c) => c.id === B.id).children.map((c) => c.id), [C.id]);
    const roots = t.map((c) => c.id);
    assert.ok(roots.indexOf(D.id) < roots.indexOf(A.id), 'roots ordered by position');

    // cycles and bad parents: 422 parent_id, tree unchanged
    await rejected('PATCH', `/api/v1/categories/${A.id}`, { parent_id: C.id }, 422, 'VALIDATION_ERROR', 'parent_id', tree);
    await rejected('PATCH', `/api/v1/categories/${A.id}`, { parent_id: B.id }, 422, 'VALIDATION_ERROR', 'parent_id', tree);
    await rejected('PATCH', `/api/v1/categories/${A.id}`, { parent_id: A.id }, 422, 'VALIDATION_ERROR', 'parent_id', tree);
    await rejected('PATCH', `/api/v1/categories/${B.id}`, { parent_id: C.id }, 422, 'VALIDATION_ERROR', 'parent_id', tree);
    await rejected('PATCH', `/api/v1/categories/${B.id}`, { parent_id: ZERO.cat }, 422, 'VALIDATION_ERROR', 'parent_id', tree);
    await rejected('POST', '/api/v1/categories', { name: 'Orphan', parent_id: ZERO.cat }, 422, 'VALIDATION_ERROR', 'parent_id', tree);
    await rejected('POST', '/api/v1/categories', { name: 'Orphan', parent_id: 'not-an-id' }, 422, 'VALIDATION_ERROR', 'parent_id', tree);
    // other validation
    for (const [body, field] of [[{}, 'name'], [{ name: 3 }, 'name'], [{ name: 'x'.repeat(201) }, 'name'], [{ name: 'ok', slug: 'No' }, 'slug'],
      [{ name: 'ok', position: '1' }, 'position'], [{ name: 'ok', position: 1.5 }, 'position'], [{ name: 'ok', children: [] }, 'children']]) {
      await rejected('POST', '/api/v1/categories', body, 422, 'VALIDATION_ERROR', field, tree);
    }
    await rejected('POST', '/api/v1/categories', { name: 'Dup', slug: 'shoes' }, 409, 'CONFLICT', 'slug', tree);
    await rejected('PATCH', `/api/v1/categories/${D.id}`, { slug: 'apparel' }, 409, 'CONFLICT', 'slug', tree);
    await rejected('PATCH', `/api/v1/categories/${D.id}`, { name: '' }, 422, 'VALIDATION_ERROR', 'name', tree);
    expectError(await api(srv, 'PATCH', `/api/v1/categories/${ZERO.cat}`, { key: true, body: { name: 'x' } }), 404, 'NOT_FOUND');

    // move C under D, then to the root, then back under B
    const etag1 = (await api(srv, 'GET', '/api/v1/categories')).headers.get('etag');
    let r = await api(srv, 'PATCH', `/api/v1/categories/${C.id}`, { key: true, body: { parent_id: D.id } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.parent_id, D.id);
    t = await tree();
    assert.deepEqual(t.find((c) => c.id === D.id).children.map((c) => c.id), [C.id]);
    assert.notEqual((await api(srv, 'GET', '/api/v1/categories')).headers.get('etag'), etag1, 'tree ETag changes');
    r = await api(srv, 'PATCH', `/api/v1/categories/${C.id}`, { key: true, body: { parent_id: null } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.parent_id, null);
    assert.ok((await tree()).some((c) => c.id === C.id), 'C is a root now');
    r = await api(srv, 'PATCH', `/api/v1/categories/${C.id}`, { key: true, body: { parent_id: B.id, name: 'Running', position: 4 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'Running');
    assert.equal(r.body.position, 4);
    assert.equal((await findCat(C.id)).parent_id, B.id);
    st.cat.C = r.body;

    // delete: with children → 409; leaf → 204
    await rejected('DELETE', `/api/v1/categories/${A.id}`, undefined, 409, 'CONFLICT', undefined, tree);
    await rejected('DELETE', `/api/v1/categories/${B.id}`, undefined, 409, 'CONFLICT', undefined, tree);
    const E = await post({ name: 'Temporary', parent_id: D.id });
    r = await api(srv, 'DELETE', `/api/v1/categories/${E.id}`, { key: true });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal(await findCat(E.id), undefined, 'deleted category gone');
    expectError(await api(srv, 'DELETE', `/api/v1/categories/${E.id}`, { key: true }), 404, 'NOT_FOUND');
    expectError(await api(srv, 'PATCH', `/api/v1/categories/${E.id}`, { key: true, body: { name: 'x' } }), 404, 'NOT_FOUND');
    // auth
    for (const key of [undefined, 'sk_wrong']) {
      expectError(await api(srv, 'POST', '/api/v1/categories', { key, body: { name: 'Nope' } }), 401, 'UNAUTHORIZED');
      expectError(await api(srv, 'PATCH', `/api/v1/categories/${D.id}`, { key, body: { name: 'Nope' } }), 401, 'UNAUTHORIZED');
      expectError(await api(srv, 'DELETE', `/api/v1/categories/${D.id}`, { key }), 401, 'UNAUTHORIZED');
    }
    assert.ok(await findCat(D.id), 'D survived unauthenticated DELETE');
  });

  // ---------------------------------------------------------------- products
  it('products: create with everything', async () => {
    const { brand, vendor, cat } = st;
    const body = {
      title: 'Trail Runner 2',
      slug: 'trail-runner-2',
      description: 'A light trail shoe.\nWith "quotes" and ünïcödé.',
      status: 'active',
      brand_id: brand.id,
      vendor_id: vendor.id,
      category_id: cat.C.id,
      attributes: { color: 'red', size_system: 'eu' },
      images: [{ url: 'https://cdn.example/a.jpg', alt: 'front', width: 800, height: 600 }, { url: '/img/b.png' }],
      variants: [
        { sku: 'TR2-42', title: 'EU 42', options: { size: '42', color: 'red' }, prices: [{ amount: 12999, currency: 'USD' }, { amount: 11999, currency: 'EUR' }] },
        { sku: 'TR2-43', options: { size: '43' }, prices: [{ amount: 13999, currency: 'USD' }] },
      ],
    };
    const r = await api(srv, 'POST', '/api/v1/products', { key: true, body });
    assert.equal(r.status, 201, r.text);
    const p = r.body;
    assert.match(r.headers.get('location'), new RegExp(`/api/v1/products/${p.id}$`));
    for (const f of ['title', 'slug', 'description', 'status']) assert.equal(p[f], body[f], f);
    assert.deepEqual(p.brand, { id: brand.id, slug: brand.slug, name: brand.name });
    assert.deepEqual(p.vendor, { id: vendor.id, slug: vendor.slug, name: vendor.name });
    assert.deepEqual(p.category, { id: cat.C.id, slug: cat.C.slug, name: cat.C.name });
    assert.deepEqual(p.attributes, body.attributes);
    assert.equal(p.images.length, 2);
    assert.deepEqual({ ...p.images[0], id: undefined, position: undefined }, { ...body.images[0], id: undefined, position: undefined });
    assert.equal(p.images[1].url, '/img/b.png');
    assert.ok(p.images[1].alt === null || p.images[1].alt === '', 'alt defaults to null or ""');
    assert.equal(p.images[1].width, null);
    assert.equal(p.images[1].height, null);
    assert.ok(p.images[0].position < p.images[1].position, 'image positions follow input order');
    assert.equal(p.variants.length, 2);
    for (const [i, v] of p.variants.entries()) {
      assert.equal(v.sku, body.variants[i].sku);
      assert.deepEqual(v.options, body.variants[i].options);
      assert.deepEqual(byCurrency(v.prices), byCurrency(body.variants[i].prices));
      assert.equal(v.status, 'active');
    }
    assert.equal(p.variants[0].title, 'EU 42');
    assert.ok(p.variants[0].position < p.variants[1].position);
    recent(p.created_at);

    assert.deepEqual(await adminProduct(p.id), p, 'admin GET equals the 201 body');
    const pub = await api(srv, 'GET', `/api/v1/products/${p.slug}`);
    assert.equal(pub.status, 200);
    assert.deepEqual(pub.body, p, 'public GET equals the 201 body');
    // summary and counts
    const list = await api(srv, 'GET', '/api/v1/products');
    const s = list.body.data.find((x) => x.id === p.id);
    assert.ok(s, 'listed publicly');
    assert.deepEqual(s.price, { amount: 12999, currency: 'USD' });
    assert.deepEqual(s.image, p.images[0]);
    const eur = (await api(srv, 'GET', '/api/v1/products?currency=EUR')).body.data.find((x) => x.id === p.id);
    assert.deepEqual(eur.price, { amount: 11999, currency: 'EUR' });
    assert.equal((await get('/api/v1/brands', undefined)).body.data.find((b) => b.id === brand.id).product_count, 1);
    assert.equal((await get('/api/v1/vendors', undefined)).body.data.find((b) => b.id === vendor.id).product_count, 1);
    for (const c of [cat.C, cat.B, cat.A]) assert.equal((await findCat(c.id)).product_count, 1, `${c.name} subtree count`);
    assert.equal((await findCat(cat.B2.id)).product_count, 0);
    st.product = p;
  });

  it('products: minimal create defaults to draft and is hidden from the public', async () => {
    const r = await api(srv, 'POST', '/api/v1/products', { key: true, body: { title: 'Minimal Thing' } });
    assert.equal(r.status, 201, r.text);
    const p = r.body;
    assert.equal(p.status, 'draft');
    assert.match(p.slug, SLUG_RE);
    assert.ok(p.description === null || p.description === '');
    assert.deepEqual([p.attributes, p.images, p.variants, p.brand, p.vendor, p.category], [{}, [], [], null, null, null]);
    expectError(await api(srv, 'GET', `/api/v1/products/${p.id}`), 404, 'NOT_FOUND');
    assert.ok(!(await walk(srv, { limit: 100 })).items.some((x) => x.id === p.id));
    const again = await api(srv, 'POST', '/api/v1/products', { key: true, body: { title: 'Minimal Thing' } });
    // the doc does not say how a derived slug resolves a clash: accept a distinct slug or 409 slug
    if (again.status === 201) assert.notEqual(again.body.slug, p.slug, 'derived slugs stay unique');
    else expectError(again, 409, 'CONFLICT', 'slug');
    st.draft = p;
  });

  it('products: boundary values are accepted', async () => {
    const attrs = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`a${i}`, 'v'.repeat(200)]));
    attrs['n'.repeat(64)] = 'x';
    delete attrs.a49;
    let r = await api(srv, 'POST', '/api/v1/products', { key: true, body: {
      title: 'T'.repeat(200), slug: 'b'.repeat(100), description: 'd'.repeat(20000), attributes: attrs,
      images: Array.from({ length: 20 }, (_, i) => ({ url: `/img/${i}.png` })),
    } });
    assert.equal(r.status, 201, r.text.slice(0, 500));
    assert.equal(r.body.title.length, 200);
    assert.equal(r.body.description.length, 20000);
    assert.equal(Object.keys(r.body.attributes).length, 50);
    assert.equal(r.body.images.length, 20);
    r = await api(srv, 'POST', '/api/v1/products', { key: true, body: {
      title: 'Many variants', slug: 'many-variants',
      variants: Array.from({ length: 100 }, (_, i) => ({ sku: `MV-${i}`, options: i === 0 ? Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`o${k}`, 'x'])) : {},
        prices: [{ amount: i === 0 ? 0 : i === 1 ? 1_000_000_000_000 : 100 + i, currency: 'USD' }] })),
    } });
    assert.equal(r.status, 201, r.text.slice(0, 500));
    assert.equal(r.body.variants.length, 100);
    assert.equal(r.body.variants.find((v) => v.sku === 'MV-1').prices[0].amount, 1_000_000_000_000);
    r = await api(srv, 'POST', '/api/v1/products', { key: true, body: { title: 'Long sku', variants: [{ sku: 'S'.repeat(64) }, { sku: 'a.b_c-D9' }] } });
    assert.equal(r.status, 201, r.text.slice(0, 500));
  });

  it('products: every kind of bad input is rejected and creates nothing', async () => {
    const count = async () => (await allProducts()).length;
    const n0 = await count();
    const t = (extra) => ({ title: 'Rejected', ...extra });
    const many = (k, f) => Array.from({ length: k }, (_, i) => f(i));
    const cases = [
      [{}, 'title'], [{ title: 5 }, 'title'], [{ title: null }, 'title'], [{ title: '' }, 'title'], [{ title: 'x'.repeat(201) }, 'title'],
      [{ title: ['a'] }, 'title'],
      [t({ slug: 'Not A Slug' }), 'slug'], [t({ slug: 's'.repeat(101) }), 'slug'], [t({ slug: 'trailing-' }), 'slug'], [t({ slug: 5 }), 'slug'],
      [t({ description: 'd'.repeat(20001) }), 'description'], [t({ description: 5 }), 'description'],
      [t({ status: 'published' }), 'status'], [t({ status: 'ACTIVE' }), 'status'],
      [t({ foo: 1 }), 'foo'], [t({ id: ZERO.prod }), 'id'], [t({ created_at: '2026-01-15T10:30:00.000000Z' }), 'created_at'],
      [t({ brand_id: ZERO.brand }), 'brand_id'], [t({ vendor_id: ZERO.vend }), 'vendor_id'], [t({ category_id: ZERO.cat }), 'category_id'],
      [t({ brand_id: 'nope' }), 'brand_id'], [t({ brand_id: st.vendor.id }), 'brand_id'], [t({ category_id: 42 }), 'category_id'],
      [t({ attributes: { 'Bad-Name': 'x' } }), 'attributes'], [t({ attributes: { color: 5 } }), 'attributes'],
      [t({ attributes: { color: 'x'.repeat(201) } }), 'attributes'], [t({ attributes: { ['a'.repeat(65)]: 'x' } }), 'attributes'],
      [t({ attributes: Object.fromEntries(many(51, (i) => [`a${i}`, 'x'])) }), 'attributes'], [t({ attributes: ['x'] }), 'attributes'],
      [t({ attributes: { color: null } }), 'attributes'],
      [t({ images: many(21, (i) => ({ url: `/i/${i}.png` })) }), 'images'], [t({ images: [{ alt: 'no url' }] }), 'images'],
      [t({ images: [{ url: '/a.png', foo: 1 }] }), 'images'], [t({ images: [{ url: '/a.png', width: 'wide' }] }), 'images'], [t({ images: {} }), 'images'],
      [t({ variants: many(101, (i) => ({ sku: `V-${i}` })) }), 'variants'], [t({ variants: [{ title: 'no sku' }] }), 'variants'],
      [t({ variants: [{ sku: 'bad sku!' }] }), 'variants'], [t({ variants: [{ sku: 'S'.repeat(65) }] }), 'variants'],
      [t({ variants: [{ sku: 'OPT', options: Object.fromEntries(many(11, (i) => [`o${i}`, 'x'])) }] }), 'variants'],
      [t({ variants: [{ sku: 'OPT', options: { size: 42 } }] }), 'variants'], [t({ variants: [{ sku: 'OPT', foo: 1 }] }), 'variants'],
      [t({ variants: [{ sku: 'PR', prices: [{ amount: -1, currency: 'USD' }] }] }), 'variants'],
      [t({ variants: [{ sku: 'PR', prices: [{ amount: 1_000_000_000_001, currency: 'USD' }] }] }), 'variants'],
      [t({ variants: [{ sku: 'PR', prices: [{ amount: 12.5, currency: 'USD' }] }] }), 'variants'],
      [t({ variants: [{ sku: 'PR', prices: [{ amount: '100', currency: 'USD' }] }] }), 'variants'],
      [t({ variants: [{ sku: 'PR', prices: [{ amount: 100, currency: 'ZZZ' }] }] }), 'variants'],
      [t({ variants: [{ sku: 'PR', prices: [{ amount: 100 }] }] }), 'variants'],
      [t({ variants: [{ sku: 'PR', prices: [{ currency: 'USD' }] }] }), 'variants'],
      [t({ variants: [{ sku: 'PR', prices: [{ amount: 100, currency: 'USD', note: 'x' }] }] }), 'variants'],
    ];
    for (const [body, field] of cases) {
      await rejected('POST', '/api/v1/products', body, 422, 'VALIDATION_ERROR', field);
    }
    // conflicts
    const dupSlug = await rejected('POST', '/api/v1/products', t({ slug: 'trail-runner-2' }), 409, 'CONFLICT', 'slug');
    assert.ok(dupSlug.body.error.details.length > 0);
    const dupSku = await rejected('POST', '/api/v1/products', t({ variants: [{ sku: 'TR2-42' }] }), 409, 'CONFLICT');
    assert.ok(dupSku.body.error.details.some((d) => d.field.endsWith('sku')), JSON.stringify(dupSku.body.error.details));
    // transport-level rejections
    await rejected('POST', '/api/v1/products', undefined, 400, 'MALFORMED_JSON', undefined, undefined, { rawBody: '{"title":', headers: { 'Content-Type': 'application/json' } });
    await rejected('POST', '/api/v1/products', undefined, 415, 'UNSUPPORTED_MEDIA_TYPE', undefined, undefined, { rawBody: '{"title":"x"}', headers: { 'Content-Type': 'text/plain' } });
    // auth
    for (const key of [undefined, 'sk_wrong', '']) {
      const r = await api(srv, 'POST', '/api/v1/products', { key, body: t({}) });
      expectError(r, 401, 'UNAUTHORIZED');
      assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
    }
    const basic = await api(srv, 'POST', '/api/v1/products', { body: t({}), headers: { Authorization: `Basic ${Buffer.from(`admin:${srv.adminKey}`).toString('base64')}` } });
    expectError(basic, 401, 'UNAUTHORIZED');
    const raw = await api(srv, 'POST', '/api/v1/products', { body: t({}), headers: { Authorization: srv.adminKey } });
    expectError(raw, 401, 'UNAUTHORIZED');
    assert.equal(await count(), n0, 'no product was created by rejected requests');
  });

  it('products: PATCH updates fields, updated_at and ETag', async () => {
    const p = st.product;
    const before = await adminProduct(p.id);
    const etag0 = (await api(srv, 'GET', `/api/v1/products/${p.id}`)).headers.get('etag');
    await sleep(5);
    let r = await api(srv, 'PATCH', `/api/v1/products/${p.id}`, { key: true, body: { title: 'Trail Runner 2 Pro' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.title, 'Trail Runner 2 Pro');
    assert.ok(r.body.updated_at > before.updated_at, 'updated_at advances');
    assert.deepEqual({ ...r.body, title: before.title, updated_at: before.updated_at }, before, 'only title and updated_at change');
    const pub = await api(srv, 'GET', `/api/v1/products/${p.id}`);
    assert.notEqual(pub.headers.get('etag'), etag0, 'ETag changes after an update');
    assert.equal((await api(srv, 'GET', `/api/v1/products/${p.id}`, { headers: { 'If-None-Match': etag0 } })).status, 200, 'old ETag no longer matches');

    r = await api(srv, 'PATCH', `/api/v1/products/${p.id}`, { key: true, body: { attributes: { material: 'mesh' }, images: [{ url: '/img/c.png', alt: 'c' }] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.attributes, { material: 'mesh' }, 'attributes replaced');
    assert.equal(r.body.images.length, 1, 'images replaced');
    assert.equal(r.body.images[0].url, '/img/c.png');
    assert.equal(r.body.images[0].alt, 'c');

    r = await api(srv, 'PATCH', `/api/v1/products/${p.id}`, { key: true, body: { brand_id: null, category_id: st.cat.B2.id, description: 'New description', slug: 'trail-runner-2-pro' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.brand, null);
    assert.equal(r.body.category.id, st.cat.B2.id);
    assert.equal(r.body.description, 'New description');
    assert.equal(r.body.slug, 'trail-runner-2-pro');
    assert.equal((await api(srv, 'GET', '/api/v1/products/trail-runner-2-pro')).status, 200);
    expectError(await api(srv, 'GET', '/api/v1/products/trail-runner-2'), 404, 'NOT_FOUND');
    assert.equal((await get('/api/v1/brands', undefined)).body.data.find((b) => b.id === st.brand.id).product_count, 0);
    assert.equal((await findCat(st.cat.B2.id)).product_count, 1);
    assert.equal((await findCat(st.cat.C.id)).product_count, 0);
    assert.equal((await findCat(st.cat.A.id)).product_count, 1);
    r = await api(srv, 'PATCH', `/api/v1/products/${p.id}`, { key: true, body: { brand_id: st.brand.id } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.brand.id, st.brand.id);

    // status round trip
    r = await api(srv, 'PATCH', `/api/v1/products/${p.id}`, { key: true, body: { status: 'draft' } });
    assert.equal(r.body.status, 'draft');
    expectError(await api(srv, 'GET', `/api/v1/products/${p.id}`), 404, 'NOT_FOUND');
    r = await api(srv, 'PATCH', `/api/v1/products/${p.id}`, { key: true, body: { status: 'active' } });
    assert.equal(r.body.status, 'active');
    assert.equal((await api(srv, 'GET', `/api/v1/products/${p.id}`)).status, 200);
    st.product = r.body;
  });

  it('products: rejected PATCHes leave the product unchanged', async () => {
    const p = st.product;
    const read = () => adminProduct(p.id);
    const path = `/api/v1/products/${p.id}`;
    for (const [body, field] of [
      [{ title: null }, 'title'], [{ title: '' }, 'title'], [{ title: 5 }, 'title'], [{ title: 'x'.repeat(201) }, 'title'],
      [{ slug: 'Bad Slug' }, 'slug'], [{ slug: null }, 'slug'], [{ status: 'gone' }, 'status'], [{ description: 'd'.repeat(20001) }, 'description'],
      [{ foo: 1 }, 'foo'], [{ variants: [] }, 'variants'], [{ id: ZERO.prod }, 'id'], [{ updated_at: '2026-01-15T10:30:00.000000Z' }, 'updated_at'],
      [{ brand_id: ZERO.brand }, 'brand_id'], [{ vendor_id: ZERO.vend }, 'vendor_id'], [{ category_id: ZERO.cat }, 'category_id'],
      [{ attributes: { 'Bad-Name': 'x' } }, 'attributes'], [{ attributes: null }, 'attributes'], [{ images: [{}] }, 'images'],
      [{ title: 'Valid title', status: 'gone' }, 'status'],
    ]) {
      await rejected('PATCH', path, body, 422, 'VALIDATION_ERROR', field, read);
    }
    await rejected('PATCH', path, { slug: st.draft.slug }, 409, 'CONFLICT', 'slug', read);
    await rejected('PATCH', path, undefined, 400, 'MALFORMED_JSON', undefined, read, { rawBody: '{"title": "x"', headers: { 'Content-Type': 'application/json' } });
    await rejected('PATCH', path, undefined, 415, 'UNSUPPORTED_MEDIA_TYPE', undefined, read, { rawBody: '{"title":"x"}', headers: { 'Content-Type': 'text/plain' } });
    for (const key of [undefined, 'sk_wrong']) {
      const before = await read();
      expectError(await api(srv, 'PATCH', path, { key, body: { title: 'Hijacked' } }), 401, 'UNAUTHORIZED');
      expectError(await api(srv, 'DELETE', path, { key }), 401, 'UNAUTHORIZED');
      assert.deepEqual(await read(), before);
    }
    expectError(await api(srv, 'PATCH', `/api/v1/products/${ZERO.prod}`, { key: true, body: { title: 'x' } }), 404, 'NOT_FOUND');
    expectError(await api(srv, 'DELETE', `/api/v1/products/${ZERO.prod}`, { key: true }), 404, 'NOT_FOUND');
  });

  // ---------------------------------------------------------------- variants & prices
  it('variants: create, update, conflicts, archive', async () => {
    const p = st.product;
    const read = () => adminProduct(p.id);
    const etag0 = (await api(srv, 'GET', `/api/v1/products/${p.id}`)).headers.get('etag');
    let r = await api(srv, 'POST', `/api/v1/products/${p.id}/variants`, { key: true, body: { sku: 'TR2-44', title: 'EU 44', options: { size: '44' }, prices: [{ amount: 9999, currency: 'USD' }] } });
    assert.equal(r.status, 201, r.text);
    const v = r.body;
    assert.equal(v.sku, 'TR2-44');
    assert.equal(v.title, 'EU 44');
    assert.deepEqual(v.options, { size: '44' });
    assert.deepEqual(v.prices, [{ amount: 9999, currency: 'USD' }]);
    assert.equal(v.status, 'active');
    assert.ok(p.variants.every((x) => x.position < v.position), 'new variant goes last');
    let d = await read();
    assert.deepEqual(d.variants.find((x) => x.id === v.id), v);
    assert.notEqual((await api(srv, 'GET', `/api/v1/products/${p.id}`)).headers.get('etag'), etag0, 'product ETag changes');
    const priceOf = async () => (await walk(srv, { limit: 100 })).items.find((x) => x.id === p.id).price;
    assert.deepEqual(await priceOf(), { amount: 9999, currency: 'USD' }, 'summary shows the new lowest price');

    // bad variants
    for (const [body, field] of [[{}, 'sku'], [{ sku: 'bad sku' }, 'sku'], [{ sku: 'S'.repeat(65) }, 'sku'], [{ sku: 5 }, 'sku'],
      [{ sku: 'OK-1', options: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`o${i}`, 'x'])) }, 'options'],
      [{ sku: 'OK-1', prices: [{ amount: -5, currency: 'USD' }] }, 'prices'], [{ sku: 'OK-1', prices: [{ amount: 5, currency: 'ZZZ' }] }, 'prices'],
      [{ sku: 'OK-1', foo: 1 }, 'foo'], [{ sku: 'OK-1', status: 'active' }, 'status']]) {
      await rejected('POST', `/api/v1/products/${p.id}/variants`, body, 422, 'VALIDATION_ERROR', field, read);
    }
    await rejected('POST', `/api/v1/products/${p.id}/variants`, { sku: 'TR2-42' }, 409, 'CONFLICT', 'sku', read);
    await rejected('POST', `/api/v1/products/${p.id}/variants`, { sku: 'MV-3' }, 409, 'CONFLICT', 'sku', read);
    expectError(await api(srv, 'POST', `/api/v1/products/${ZERO.prod}/variants`, { key: true, body: { sku: 'NEW-1' } }), 404, 'NOT_FOUND');
    expectError(await api(srv, 'POST', `/api/v1/products/${p.id}/variants`, { body: { sku: 'NEW-1' } }), 401, 'UNAUTHORIZED');

    // update
    await sleep(5);
    r = await api(srv, 'PATCH', `/api/v1/variants/${v.id}`, { key: true, body: { title: 'EU 44 wide', options: { size: '44', width: 'wide' }, position: 7, sku: 'TR2-44W' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.title, 'EU 44 wide');
    assert.deepEqual(r.body.options, { size: '44', width: 'wide' });
    assert.equal(r.body.position, 7);
    assert.equal(r.body.sku, 'TR2-44W');
    assert.ok(r.body.updated_at > v.updated_at);
    assert.equal(r.body.created_at, v.created_at);
    const vr = () => adminVariant(p.id, v.id);
    for (const [body, field] of [[{ status: 'draft' }, 'status'], [{ position: -1 }, 'position'], [{ position: '1' }, 'position'],
      [{ sku: 'bad sku' }, 'sku'], [{ prices: [] }, 'prices'], [{ options: { a: 1 } }, 'options'], [{ title: 'x'.repeat(201) }, 'title']]) {
      await rejected('PATCH', `/api/v1/variants/${v.id}`, body, 422, 'VALIDATION_ERROR', field, vr);
    }
    await rejected('PATCH', `/api/v1/variants/${v.id}`, { sku: 'TR2-42' }, 409, 'CONFLICT', 'sku', vr);
    expectError(await api(srv, 'PATCH', `/api/v1/variants/${ZERO.var}`, { key: true, body: { title: 'x' } }), 404, 'NOT_FOUND');
    expectError(await api(srv, 'PATCH', `/api/v1/variants/${v.id}`, { body: { title: 'x' } }), 401, 'UNAUTHORIZED');
    expectError(await api(srv, 'DELETE', `/api/v1/variants/${v.id}`, {}), 401, 'UNAUTHORIZED');
    assert.equal((await vr()).status, 'active');

    // archive: hidden from the public, price recomputed; restore
    r = await api(srv, 'DELETE', `/api/v1/variants/${v.id}`, { key: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'archived');
    assert.equal(r.body.id, v.id);
    const pub = (await api(srv, 'GET', `/api/v1/products/${p.id}`)).body;
    assert.ok(!pub.variants.some((x) => x.id === v.id), 'archived variant hidden from the public');
    d = await read();
    assert.equal(d.variants.find((x) => x.id === v.id)?.status, 'archived', 'admin detail lists the archived variant');
    assert.deepEqual(await priceOf(), { amount: 12999, currency: 'USD' }, 'lowest price ignores archived variants');
    expectError(await api(srv, 'DELETE', `/api/v1/variants/${ZERO.var}`, { key: true }), 404, 'NOT_FOUND');
    r = await api(srv, 'PATCH', `/api/v1/variants/${v.id}`, { key: true, body: { status: 'active' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'active');
    assert.ok((await api(srv, 'GET', `/api/v1/products/${p.id}`)).body.variants.some((x) => x.id === v.id));
    st.variant = r.body;
  });

  it('prices: put, replace, delete, validation', async () => {
    const p = st.product;
    const v = st.variant;
    const vr = () => adminVariant(p.id, v.id);
    const base = `/api/v1/variants/${v.id}/prices`;
    const etag0 = (await api(srv, 'GET', `/api/v1/products/${p.id}`)).headers.get('etag');
    let r = await api(srv, 'PUT', `${base}/EUR`, { key: true, body: { amount: 1500 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(byCurrency(r.body.prices), [{ amount: 1500, currency: 'EUR' }, { amount: 9999, currency: 'USD' }]);
    assert.notEqual((await api(srv, 'GET', `/api/v1/products/${p.id}`)).headers.get('etag'), etag0, 'product ETag changes with a price');
    r = await api(srv, 'PUT', `${base}/USD`, { key: true, body: { amount: 777 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(byCurrency(r.body.prices), [{ amount: 1500, currency: 'EUR' }, { amount: 777, currency: 'USD' }], 'PUT replaces, no duplicate currency');
    assert.deepEqual(byCurrency((await vr()).prices), byCurrency(r.body.prices));
    const eurList = (await walk(srv, { currency: 'EUR', limit: 100 })).items.find((x) => x.id === p.id);
    assert.deepEqual(eurList.price, { amount: 1500, currency: 'EUR' });
    r = await api(srv, 'PUT', `${base}/JPY`, { key: true, body: { amount: 0 } });
    assert.equal(r.status, 200, r.text);
    r = await api(srv, 'PUT', `${base}/JPY`, { key: true, body: { amount: 1_000_000_000_000 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.prices.find((m) => m.currency === 'JPY').amount, 1_000_000_000_000);

    for (const [body, field] of [[{ amount: -1 }, 'amount'], [{ amount: 1_000_000_000_001 }, 'amount'], [{ amount: 1.5 }, 'amount'],
      [{ amount: '5' }, 'amount'], [{ amount: null }, 'amount'], [{}, 'amount'], [{ amount: 5, currency: 'USD' }, 'currency']]) {
      await rejected('PUT', `${base}/USD`, body, 422, 'VALIDATION_ERROR', field, vr);
    }
    await rejected('PUT', `${base}/ZZZ`, { amount: 5 }, 422, 'VALIDATION_ERROR', 'currency', vr);
    await rejected('PUT', `${base}/USD`, undefined, 415, 'UNSUPPORTED_MEDIA_TYPE', undefined, vr, { rawBody: '{"amount":5}', headers: { 'Content-Type': 'text/plain' } });
    await rejected('PUT', `${base}/USD`, undefined, 400, 'MALFORMED_JSON', undefined, vr, { rawBody: '{"amount":', headers: { 'Content-Type': 'application/json' } });
    expectError(await api(srv, 'PUT', `/api/v1/variants/${ZERO.var}/prices/USD`, { key: true, body: { amount: 5 } }), 404, 'NOT_FOUND');
    const before = await vr();
    expectError(await api(srv, 'PUT', `${base}/USD`, { body: { amount: 1 } }), 401, 'UNAUTHORIZED');
    expectError(await api(srv, 'DELETE', `${base}/USD`, {}), 401, 'UNAUTHORIZED');
    assert.deepEqual(await vr(), before);

    r = await api(srv, 'DELETE', `${base}/EUR`, { key: true });
    assert.equal(r.status, 200, r.text);
    assert.ok(!r.body.prices.some((m) => m.currency === 'EUR'), 'EUR price removed');
    assert.ok(r.body.prices.some((m) => m.currency === 'USD'), 'USD price kept');
    await rejected('DELETE', `${base}/EUR`, undefined, 404, 'NOT_FOUND', undefined, vr);
    await rejected('DELETE', `${base}/ZZZ`, undefined, 422, 'VALIDATION_ERROR', 'currency', vr);
    expectError(await api(srv, 'DELETE', `/api/v1/variants/${ZERO.var}/prices/USD`, { key: true }), 404, 'NOT_FOUND');
  });

  it('categories with products cannot be deleted', async () => {
    const read = tree;
    await rejected('DELETE', `/api/v1/categories/${st.cat.B2.id}`, undefined, 409, 'CONFLICT', undefined, read);
    // a category holding only a draft product is also protected
    const F = (await api(srv, 'POST', '/api/v1/categories', { key: true, body: { name: 'Draft holder' } })).body;
    const r = await api(srv, 'PATCH', `/api/v1/products/${st.draft.id}`, { key: true, body: { category_id: F.id } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await findCat(F.id)).product_count, 0, 'drafts are not counted');
    await rejected('DELETE', `/api/v1/categories/${F.id}`, undefined, 409, 'CONFLICT', undefined, read);
  });

  it('products: DELETE archives', async () => {
    const p = st.product;
    const r = await api(srv, 'DELETE', `/api/v1/products/${p.id}`, { key: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'archived');
    assert.equal(r.body.id, p.id);
    expectError(await api(srv, 'GET', `/api/v1/products/${p.id}`), 404, 'NOT_FOUND');
    assert.equal((await adminProduct(p.id)).status, 'archived');
    assert.ok(!(await walk(srv, { limit: 100 })).items.some((x) => x.id === p.id), 'archived product not listed');
    assert.ok((await walk(srv, { status: 'archived', limit: 100 }, { key: true })).items.some((x) => x.id === p.id));
    assert.equal((await findCat(st.cat.B2.id)).product_count, 0, 'archived products are not counted');
    assert.equal((await get('/api/v1/vendors', undefined)).body.data.find((x) => x.id === st.vendor.id).product_count, 0);
  });

  // The list keeps the refs it rendered on its database connection while the
  // catalog's content version stays (src/catalog/refs.c): a renamed taxon
  // must show in the very next list, public and admin, however often the old
  // name was served before.
  it('lists show a renamed brand, vendor and category at once', async () => {
    const made = {};
    for (const [kind, plural] of [['brand', 'brands'], ['vendor', 'vendors'], ['category', 'categories']]) {
      const r = await api(srv, 'POST', `/api/v1/${plural}`, { key: true, body: { name: `Before ${kind}` } });
      assert.equal(r.status, 201, r.text);
      made[kind] = r.body;
    }
    const p = await api(srv, 'POST', '/api/v1/products', { key: true, body: {
      title: 'Renamed refs', status: 'active', brand_id: made.brand.id, vendor_id: made.vendor.id, category_id: made.category.id,
      variants: [{ sku: 'REFS-RENAME-1', prices: [{ amount: 100, currency: 'USD' }] }] } });
    assert.equal(p.status, 201, p.text);
    const shown = async (key) => {
      const r = await api(srv, 'GET', `/api/v1/products?category=${made.category.id}&limit=10`, { key });
      assert.equal(r.status, 200, r.text);
      const item = r.body.data.find((x) => x.id === p.body.id);
      assert.ok(item, 'the product is listed');
      return [item.brand.name, item.vendor.name, item.category.name];
    };
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await shown(undefined), ['Before brand', 'Before vendor', 'Before category']);
      assert.deepEqual(await shown(true), ['Before brand', 'Before vendor', 'Before category']);
    }
    for (const [kind, plural] of [['brand', 'brands'], ['vendor', 'vendors'], ['category', 'categories']]) {
      const r = await api(srv, 'PATCH', `/api/v1/${plural}/${made[kind].id}`, { key: true, body: { name: `After ${kind}` } });
      assert.equal(r.status, 200, r.text);
      const names = await shown(undefined);
      assert.equal(names[['brand', 'vendor', 'category'].indexOf(kind)], `After ${kind}`, `public list after renaming the ${kind}`);
      assert.deepEqual(await shown(true), names, `admin list after renaming the ${kind}`);
    }
    assert.deepEqual(await shown(undefined), ['After brand', 'After vendor', 'After category']);
  });

  // Price sorts filter on product_prices' copies of status and category_id
  // (migration 0071), which every write of either must keep.
  it('price-sorted category lists follow a product moved, unpublished or archived', async () => {
    const cats = {};
    for (const name of ['Price A', 'Price B']) {
      const r = await api(srv, 'POST', '/api/v1/categories', { key: true, body: { name } });
      assert.equal(r.status, 201, r.text);
      cats[name] = r.body;
    }
    const p = await api(srv, 'POST', '/api/v1/products', { key: true, body: {
      title: 'Moving price', status: 'active', category_id: cats['Price A'].id,
      variants: [{ sku: 'MOVE-PRICE-1', prices: [{ amount: 777, currency: 'USD' }] }] } });
    assert.equal(p.status, 201, p.text);
    const listed = async (cat, sort, key) => {
      const q = { category: cat.id, sort, limit: 100 };
      if (key) q.status = 'any';
      return (await walk(srv, q, key ? { key: true } : {})).items.some((x) => x.id === p.body.id);
    };
    const where = async () => {
      const out = [];
      for (const name of ['Price A', 'Price B'])
        for (const sort of ['price_asc', 'price_desc', 'newest']) out.push(`${name}/${sort}:${await listed(cats[name], sort)}`);
      return out;
    };
    const inA = ['Price A/price_asc:true', 'Price A/price_desc:true', 'Price A/newest:true',
      'Price B/price_asc:false', 'Price B/price_desc:false', 'Price B/newest:false'];
    assert.deepEqual(await where(), inA);
    let r = await api(srv, 'PATCH', `/api/v1/products/${p.body.id}`, { key: true, body: { category_id: cats['Price B'].id } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await where(), ['Price A/price_asc:false', 'Price A/price_desc:false', 'Price A/newest:false',
      'Price B/price_asc:true', 'Price B/price_desc:true', 'Price B/newest:true']);
    r = await api(srv, 'PATCH', `/api/v1/products/${p.body.id}`, { key: true, body: { status: 'draft' } });
    assert.equal(r.status, 200, r.text);
    assert.ok(!(await where()).some((x) => x.endsWith(':true')), 'a draft is not listed');
    assert.ok(await listed(cats['Price B'], 'price_asc', true), 'admin status=any lists the draft by price');
    r = await api(srv, 'PATCH', `/api/v1/products/${p.body.id}`, { key: true, body: { status: 'active', category_id: cats['Price A'].id } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await where(), inA);
    r = await api(srv, 'DELETE', `/api/v1/products/${p.body.id}`, { key: true });
    assert.equal(r.status, 200, r.text);
    assert.ok(!(await where()).some((x) => x.endsWith(':true')), 'an archived product is not listed');
    const archived = (await walk(srv, { category: cats['Price A'].id, sort: 'price_asc', status: 'archived', limit: 100 }, { key: true })).items;
    assert.ok(archived.some((x) => x.id === p.body.id), 'status=archived lists it by price');
  });
});
