// The storefront's search page (docs/web.md) against a real server: category
// and brand facets that narrow and keep the other filters, the filter form
// (price range, in stock, rating, sort) giving the same products as the search
// API with the same filters, "did you mean" as a link, matched words marked
// in titles and snippets while hostile titles stay text, and bad filter
// values answered 400 with the page's explanation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { warehouse, must } from './lib/orders_util.js';
import { Browser, webProduct, decode, HOSTILE } from './lib/web_util.js';
import { token, sleep } from './lib/util.js';

describe('storefront search page', () => {
  let srv, wh, word, catA, catB, brand;
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  const b = () => new Browser(srv);
  /** The product slugs of a results page, in order. */
  const slugs = (html) => [...html.matchAll(/<li class="card"[^>]*><h3><a href="\/p\/([^"]+)"/g)].map((m) => m[1]);
  const hrefs = (html, re) => [...html.matchAll(/href="(\/search\?[^"]+)"/g)].map((m) => decode(m[1])).filter((h) => re.test(h));

  before(async () => {
    srv = await startServer({});
    wh = await warehouse(srv);
    word = `zq${token().replace(/[^a-z]/g, '')}abcdefgh`.slice(0, 8); // 8 letters: see the misspelling below
    catA = must(await admin('POST', '/api/v1/categories', { name: `Lamps ${token()}` }), 201);
    catB = must(await admin('POST', '/api/v1/categories', { name: `Lights ${token()}` }), 201);
    brand = must(await admin('POST', '/api/v1/brands', { name: `Glowco ${token()}` }), 201);
    const mk = (title, price, stock, extra) => webProduct(srv, wh, `${word} ${title}`, [{ price, stock }], extra);
    await mk('desk', 1500, 5, { category_id: catA.id, brand_id: brand.id, description: `A small ${word} for the desk.` });
    await mk('floor', 9000, 0, { category_id: catA.id });
    await mk('wall', 4000, 3, { category_id: catB.id, brand_id: brand.id });
    await mk(HOSTILE, 2500, 2, { category_id: catB.id });
    // the index follows the catalog within moments, and the stock set after each product too
    for (let i = 0; i < 100; i++) {
      const r = await api(srv, 'GET', `/api/v1/search?q=${word}`);
      const s = await api(srv, 'GET', `/api/v1/search?q=${word}&in_stock=true`);
      if (r.status === 200 && r.body.total === 4 && s.status === 200 && s.body.total === 3) break;
      await sleep(100);
    }
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('facets narrow by category and brand, keep each other, and widen again', async () => {
    const all = await b().get(`/search?q=${word}`);
    assert.equal(all.status, 200);
    assert.match(all.text, /role="status">4 products found\./);
    assert.match(all.text, /<nav class="facets" aria-label="Filter by category"><h2>Category<\/h2>/);
    const [toA] = hrefs(all.text, new RegExp(`category=${catA.id}`));
    assert.equal(toA, `/search?q=${word}&category=${catA.id}`);
    const inA = await b().get(toA);
    assert.match(inA.text, /role="status">2 products found\./);
    assert.match(inA.text, />All categories</);
    assert.match(inA.text, new RegExp(`href="/search\\?q=${word}&amp;category=${catA.id}" aria-current="true"`));
    // the brand link from there keeps the category
    const [both] = hrefs(inA.text, /brand=brand_/);
    assert.equal(both, `/search?q=${word}&category=${catA.id}&brand=${brand.id}`);
    const narrowed = await b().get(both);
    assert.deepEqual(slugs(narrowed.text).length, 1);
    assert.match(narrowed.text, /desk/);
    // the hidden fields of the filter form keep both facets too
    assert.match(narrowed.text, new RegExp(`<input type="hidden" name="category" value="${catA.id}">`));
    assert.match(narrowed.text, new RegExp(`<input type="hidden" name="brand" value="${brand.id}">`));
  });

  it('the filter form gives what the API gives with the same filters', async () => {
    const cases = [
      ['min=20&max=50', 'price_min=2000&price_max=5000'],
      ['in_stock=true&sort=price_desc', 'in_stock=true&sort=price_desc'],
      ['sort=price_asc', 'sort=price_asc'],
      [`category=${catB.id}&sort=newest`, `category=${catB.id}&sort=newest`],
    ];
    for (const [page, query] of cases) {
      const r = await b().get(`/search?q=${word}&${page}`);
      assert.equal(r.status, 200, page);
      const want = must(await api(srv, 'GET', `/api/v1/search?q=${word}&${query}`), 200).data.map((p) => p.slug);
      assert.deepEqual(slugs(r.text), want, page);
      assert.ok(want.length > 0, `${page} finds something`);
    }
    const stock = await b().get(`/search?q=${word}&in_stock=true`);
    assert.ok(!slugs(stock.text).some((s) => s.includes('floor')), 'the sold-out lamp is left out');
    assert.match(stock.text, /id="in_stock" name="in_stock" value="true" checked/);
    // a facet link from a filtered page keeps the filters
    const [link] = hrefs(stock.text, /category=/);
    assert.match(link, /&in_stock=true$/);
    // no rated product yet: the rating filter leaves nothing, and says so
    const rated = await b().get(`/search?q=${word}&rating=4`);
    assert.equal(rated.status, 200);
    assert.match(rated.text, /role="status">0 products found\./);
    assert.match(rated.text, /<option value="4" selected>4 stars and up<\/option>/);
  });

  it('matched words are marked, hostile titles stay text, and a misspelling offers a correction', async () => {
    const r = await b().get(`/search?q=${word}`);
    assert.match(r.text, new RegExp(`<a href="/p/[^"]+"><mark>${word}</mark> desk</a></h3><p class="snippet muted">A small <mark>${word}</mark> for the desk\\.</p>`));
    assert.ok(!r.text.includes('<script>window.__pwned'), 'no script from a title');
    assert.ok(!r.text.includes('<img src=x'), 'no element from a title');
    assert.ok(r.text.includes('&lt;script&gt;window.__pwned=1&lt;/script&gt;'), 'the hostile title shown as text');
    // two letters changed: too far for the typo rules (1 edit below 9 letters), near enough for "did you mean" (2 from 8)
    const typo = `${word.slice(0, 6)}${word[6] === 'y' ? 'w' : 'y'}${word[7] === 'y' ? 'w' : 'y'}`;
    const dym = await b().get(`/search?q=${typo}&in_stock=true`);
    assert.equal(dym.status, 200);
    const m = /<p class="did-you-mean">Did you mean <a href="([^"]+)">([^<]+)<\/a>\? <span class="muted">\((\d+) products?\)<\/span><\/p>/.exec(dym.text);
    assert.ok(m, dym.text.slice(dym.text.indexOf('<h1>'), dym.text.indexOf('<aside')));
    assert.equal(m[2], word);
    assert.equal(decode(m[1]), `/search?q=${word}&in_stock=true`, 'the correction keeps the filters');
    assert.equal(Number(m[3]), 3);
  });

  it('bad filter values are refused with 400 and a reason, never a 500', async () => {
    for (const [q, why] of [
      ['min=abc', /Prices are amounts/], ['max=-3', /Prices are amounts/], ['in_stock=yes', /In stock only/],
      ['rating=5', /Choose a rating/], ['rating=0', /Choose a rating/], ['sort=evil', /Choose a sort/],
      ['category=nope', /Choose a category/], ['brand=cat_x', /Choose a brand/], ['page=51', /Pages of results/],
      ['evil=1', /This page takes/], ['q=again', /given once/], ['sort=newest&sort=price_asc', /given once/],
    ]) {
      const r = await b().get(`/search?q=${word}&${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text.slice(r.text.indexOf('<h1>'), r.text.indexOf('<h1>') + 200)}`);
      assert.match(r.text, why, q);
      assert.equal(r.headers.get('cache-control'), 'no-store');
    }
    const long = await b().get(`/search?q=${'a'.repeat(201)}`);
    assert.equal(long.status, 400);
    assert.match(long.text, /at most 200 characters/);
  });
});
