// The storefront's category pages with the search page's facets and filters (src/web/refine.c,
// shared by both; docs/web.md): the brand facet and the sub-category facet with their counts,
// links that narrow and keep the other filters, the filter form (price range, in stock, rating,
// sort) giving what the search API gives for the category, pages, the canonical URL and noindex,
// bad filters answered 400, and the cached page following the index after a catalog change.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { warehouse, must, eventually } from './lib/orders_util.js';
import { Browser, webProduct, decode } from './lib/web_util.js';
import { token } from './lib/util.js';

describe('storefront category facets', () => {
  let srv, wh, top, sub, other, brand, brand2;
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  const b = () => new Browser(srv);
  const slugs = (html) => [...html.matchAll(/<li class="card"[^>]*><h3><a href="\/p\/([^"]+)"/g)].map((m) => m[1]);
  const hrefs = (html, re) => [...html.matchAll(/href="(\/c\/[^"]+)"/g)].map((m) => decode(m[1])).filter((h) => re.test(h));

  before(async () => {
    srv = await startServer({});
    wh = await warehouse(srv);
    top = must(await admin('POST', '/api/v1/categories', { name: `Kitchen ${token()}` }), 201);
    sub = must(await admin('POST', '/api/v1/categories', { name: `Kettles ${token()}`, parent_id: top.id }), 201);
    other = must(await admin('POST', '/api/v1/categories', { name: `Garden ${token()}` }), 201);
    brand = must(await admin('POST', '/api/v1/brands', { name: `Boilco ${token()}` }), 201);
    brand2 = must(await admin('POST', '/api/v1/brands', { name: `Steamly ${token()}` }), 201);
    const mk = (title, price, stock, extra) => webProduct(srv, wh, title, [{ price, stock }], extra);
    await mk('Copper kettle', 4500, 5, { category_id: sub.id, brand_id: brand.id });
    await mk('Glass kettle', 3000, 0, { category_id: sub.id, brand_id: brand2.id });
    await mk('Chef knife', 2500, 4, { category_id: top.id, brand_id: brand.id });
    await mk('Cutting board', 1500, 9, { category_id: top.id });
    await mk('Garden hose', 2000, 3, { category_id: other.id, brand_id: brand.id });
    await eventually(async () => {
      const r = await api(srv, 'GET', `/api/v1/search?q=&category=${top.id}`);
      return r.status === 200 && r.body.total === 4;
    }, 'the index has the products', 10_000);
  });
  after(async () => { if (srv) await srv.stop(); });

  it('shows its subtree with the brand and sub-category facets, as the search page draws them', async () => {
    const r = await b().get(`/c/${top.slug}`);
    assert.equal(r.status, 200, r.text.slice(0, 500));
    assert.match(r.text, /<p role="status">4 products\.<\/p>/);
    assert.match(r.text, new RegExp(`<link rel="canonical" href="[^"]*/c/${top.slug}">`));
    assert.doesNotMatch(r.text, /content="noindex"/, 'the plain category page is indexed');
    assert.deepEqual(slugs(r.text).length, 4);
    assert.ok(!r.text.includes('Garden hose'), 'only the subtree');
    // the brand facet with counts, as on the search page
    assert.match(r.text, /<nav class="facets" aria-label="Filter by brand"><h2>Brand<\/h2>/);
    assert.match(r.text, new RegExp(`<a href="/c/${top.slug}\\?brand=${brand.id}">Boilco [^<]+ <span class="muted">\\(2\\)</span>`));
    assert.match(r.text, new RegExp(`<a href="/c/${top.slug}\\?brand=${brand2.id}">Steamly [^<]+ <span class="muted">\\(1\\)</span>`));
    // the sub-category facet: the child's own page; never the category itself or another tree
    assert.match(r.text, /<nav class="facets" aria-label="Filter by category"><h2>Sub-category<\/h2>/);
    assert.match(r.text, new RegExp(`<a href="/c/${sub.slug}">Kettles [^<]+ <span class="muted">\\(2\\)</span>`));
    assert.ok(!hrefs(r.text, new RegExp(`^/c/${other.slug}`)).length);
    // the filter form: the search page's, aimed at this page
    assert.match(r.text, new RegExp(`<form class="filters" method="get" action="/c/${top.slug}" aria-label="Refine the results">`));
    for (const field of ['id="sort"', 'id="min"', 'id="max"', 'id="rating"', 'id="in_stock"']) assert.ok(r.text.includes(field), field);
    assert.match(r.text, /<option value="newest" selected>Newest<\/option>/);
    assert.ok(!r.text.includes('value="relevance"'), 'no words, no best match');
    // the search page's facets come from the same code
    const s = await b().get(`/search?q=kettle`);
    assert.match(s.text, /<aside class="refine">\n<nav class="facets" aria-label="Filter by category"><h2>Category<\/h2>/);
  });

  it('a brand narrows, the sub-category link keeps it, and the form keeps both', async () => {
    const all = await b().get(`/c/${top.slug}`);
    const [toBrand] = hrefs(all.text, new RegExp(`brand=${brand.id}`));
    const narrowed = await b().get(toBrand);
    assert.match(narrowed.text, /<p role="status">2 products\.<\/p>/);
    assert.match(narrowed.text, /content="noindex"/, 'a filtered view is not indexed');
    assert.match(narrowed.text, new RegExp(`href="/c/${top.slug}\\?brand=${brand.id}" aria-current="true"`));
    assert.match(narrowed.text, />All brands</);
    assert.match(narrowed.text, new RegExp(`<input type="hidden" name="brand" value="${brand.id}">`));
    const [toSub] = hrefs(narrowed.text, new RegExp(`^/c/${sub.slug}`));
    assert.equal(toSub, `/c/${sub.slug}?brand=${brand.id}`);
    const inSub = await b().get(toSub);
    assert.match(inSub.text, /<p role="status">1 product\.<\/p>/);
    assert.match(inSub.text, /Copper kettle/);
  });

  it('the filter form gives what the search API gives for the category', async () => {
    const cases = [
      ['min=20&max=40', 'price_min=2000&price_max=4000'],
      ['in_stock=true&sort=price_desc', 'in_stock=true&sort=price_desc'],
      ['sort=price_asc', 'sort=price_asc'],
      [`brand=${brand.id}&sort=newest`, `brand=${brand.id}&sort=newest`],
      ['', 'sort=newest'],
    ];
    for (const [page, query] of cases) {
      const r = await b().get(`/c/${top.slug}${page ? `?${page}` : ''}`);
      assert.equal(r.status, 200, page);
      const want = must(await api(srv, 'GET', `/api/v1/search?q=&category=${top.id}&${query}`), 200).data.map((p) => p.slug);
      assert.deepEqual(slugs(r.text), want, page);
      assert.ok(want.length > 0, `${page} finds something`);
    }
    const stock = await b().get(`/c/${top.slug}?in_stock=true`);
    assert.ok(!stock.text.includes('Glass kettle'), 'the sold-out kettle is left out');
    assert.match(stock.text, /id="in_stock" name="in_stock" value="true" checked/);
    const rated = await b().get(`/c/${top.slug}?rating=4`);
    assert.match(rated.text, /<p role="status">0 products\.<\/p>/);
    assert.match(rated.text, /No product here matches these filters\./);
    assert.match(rated.text, /<option value="4" selected>4 stars and up<\/option>/);
  });

  it('pages through the results, keeping the filters', async () => {
    for (let i = 0; i < 21; i++) await webProduct(srv, wh, `Spoon ${i}`, [{ price: 500 + i, stock: 1 }], { category_id: sub.id });
    await eventually(async () => (await api(srv, 'GET', `/api/v1/search?q=&category=${top.id}`)).body.total === 25, 'indexed', 10_000);
    // the cached first page followed the index
    const first = await eventually(async () => {
      const r = await b().get(`/c/${top.slug}?sort=price_asc`);
      return /25 products\./.test(r.text) ? r : null;
    }, 'the cached page follows the index', 10_000);
    assert.equal(slugs(first.text).length, 20);
    const [next] = [...first.text.matchAll(/<a href="([^"]+)" rel="next">Next page<\/a>/g)].map((m) => decode(m[1]));
    assert.equal(next, `/c/${top.slug}?sort=price_asc&page=2`);
    const second = await b().get(next);
    assert.equal(slugs(second.text).length, 5);
    assert.match(second.text, /rel="prev">Previous page</);
    assert.match(second.text, /content="noindex"/);
  });

  it('a marketplace category shows its sellers and shared attributes as facets that narrow and keep each other', async () => {
    const cat = must(await admin('POST', '/api/v1/categories', { name: `Lamps ${token()}` }), 201);
    const v1 = must(await admin('POST', '/api/v1/vendors', { name: `Lampworks ${token()}` }), 201);
    const v2 = must(await admin('POST', '/api/v1/vendors', { name: `Glowhaus ${token()}` }), 201);
    const mk = (title, vendor, attributes) => webProduct(srv, wh, title, [{ price: 2000, stock: 3 }], { category_id: cat.id, vendor_id: vendor.id, attributes });
    await mk('Desk lamp', v1, { color: 'black', finish_type: 'matte', serial: 'A1' });
    await mk('Floor lamp', v1, { color: 'black', finish_type: 'gloss', serial: 'A2' });
    await mk('Wall lamp', v2, { color: 'white', finish_type: 'matte', serial: 'A3' });
    await mk('Reading lamp', v2, { color: 'black', finish_type: 'matte', serial: 'A4' });
    await eventually(async () => (await api(srv, 'GET', `/api/v1/search?q=&category=${cat.id}`)).body.total === 4, 'indexed', 10_000);
    // the API: attr.* adds the attributes with shared values, most common first; a value per product is no facet
    const a = must(await api(srv, 'GET', `/api/v1/search?q=&category=${cat.id}&facets=vendor,attr.*`), 200);
    assert.deepEqual(Object.keys(a.facets).filter((k) => k.startsWith('attr.')).sort(), ['attr.color', 'attr.finish_type']);
    assert.ok(!('attr.serial' in a.facets), 'one product per value: not a facet');
    assert.deepEqual(a.facets['attr.color'], [{ value: 'black', count: 3 }, { value: 'white', count: 1 }]);
    expectError(await api(srv, 'GET', `/api/v1/search?q=&facets=attr.*,attr.*`), 422, 'VALIDATION_ERROR');
    // the page: seller and attribute facets
    const r = await eventually(async () => {
      const p = await b().get(`/c/${cat.slug}`);
      return /4 products\./.test(p.text) ? p : null;
    }, 'the page lists the four', 10_000);
    assert.match(r.text, /<nav class="facets" aria-label="Filter by seller"><h2>Seller<\/h2>/);
    assert.match(r.text, new RegExp(`<a href="/c/${cat.slug}\\?vendor=${v1.id}">Lampworks [^<]+ <span class="muted">\\(2\\)</span>`));
    assert.match(r.text, /<nav class="facets" aria-label="Filter by finish type"><h2>Finish type<\/h2>/);
    assert.match(r.text, new RegExp(`<a href="/c/${cat.slug}\\?attr\\.color=black">black <span class="muted">\\(3\\)</span>`));
    assert.ok(!r.text.includes('Filter by serial'));
    // narrow by colour, then by seller: both kept, each with its widening link
    const black = await b().get(`/c/${cat.slug}?attr.color=black`);
    assert.match(black.text, /<p role="status">3 products\.<\/p>/);
    assert.match(black.text, /content="noindex"/);
    assert.match(black.text, /<input type="hidden" name="attr.color" value="black">/);
    const [toSeller] = hrefs(black.text, new RegExp(`vendor=${v2.id}`));
    assert.equal(toSeller, `/c/${cat.slug}?vendor=${v2.id}&attr.color=black`);
    const both = await b().get(toSeller);
    assert.match(both.text, /<p role="status">1 product\.<\/p>/);
    assert.match(both.text, /Reading lamp/);
    assert.ok(both.text.includes('>Any color</a>') && both.text.includes('>All sellers</a>'));
    const [anyColor] = [...both.text.matchAll(/<a href="([^"]+)">Any color<\/a>/g)].map((m) => decode(m[1]));
    assert.equal(anyColor, `/c/${cat.slug}?vendor=${v2.id}`);
    // the page gives what the API gives
    const want = must(await api(srv, 'GET', `/api/v1/search?q=&category=${cat.id}&vendor=${v2.id}&attr.color=black&sort=newest`), 200);
    assert.deepEqual(slugs(both.text), want.data.map((p) => p.slug));
    for (const q of ['attr.color=', 'attr.Color=black', 'attr.color=black&attr.color=white', 'vendor=nope']) {
      const bad = await b().get(`/c/${cat.slug}?${q}`);
      assert.equal(bad.status, q === 'attr.color=' ? 200 : 400, `${q}: ${bad.text.slice(0, 200)}`);
    }
  });

  it('refuses bad filters with 400, and an unknown category with 404', async () => {
    for (const q of ['min=abc', 'bogus=1', 'category=cat_0000000000000', 'q=kettle', 'rating=5', 'sort=relevance', 'sort=name', 'page=51', 'in_stock=yes', 'brand=nope', 'sort=newest&sort=newest']) {
      const r = await b().get(`/c/${top.slug}?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text.slice(0, 200)}`);
    }
    assert.equal((await b().get('/c/no-such-category')).status, 404);
  });
});

describe('a category page without the search index', () => {
  let srv;
  after(async () => { if (srv) await srv.stop(); });

  it('lists the catalog\'s newest products, with the filters the catalog knows', async () => {
    srv = await startServer({ env: { SOUK_SEARCH: 'off' } });
    const wh = await warehouse(srv);
    const cat = must(await api(srv, 'POST', '/api/v1/categories', { key: true, body: { name: `Offline ${token()}` } }), 201);
    await webProduct(srv, wh, 'Offline teapot', [{ price: 1200, stock: 2 }], { category_id: cat.id });
    await webProduct(srv, wh, 'Offline cup', [{ price: 400, stock: 0 }], { category_id: cat.id });
    const r = await new Browser(srv).get(`/c/${cat.slug}`);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.match(r.text, /the other filters and pages are back in a moment/);
    assert.match(r.text, /Offline teapot/);
    assert.match(r.text, /Offline cup/);
    const stocked = await new Browser(srv).get(`/c/${cat.slug}?in_stock=true&sort=price_asc`);
    assert.match(stocked.text, /Offline teapot/);
    assert.ok(!stocked.text.includes('Offline cup'));
    assert.equal((await new Browser(srv).get(`/c/${cat.slug}?bogus=1`)).status, 400);
  });
});
