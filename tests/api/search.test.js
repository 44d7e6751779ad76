// GET /api/v1/search and /search/suggest against a real server and a demo
// store: words find products, the filters and facets agree with the product
// list's own filters, changes are searchable within a second (polled with a
// deadline, the bound asserted), hostile queries get a 400/422 or a normal
// answer quickly and never a 5xx, and SOUK_SEARCH=off turns search off.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { assertSameIds, mapLimit, sleep } from './lib/util.js';

const FRESH_MS = 1000; // the documented bound: a change is searchable within 1 s

const must = async (p, status) => {
  const r = await p;
  assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 300)}`);
  return r.body;
};

/** A random word of LEN lowercase letters (no digits: a plain WORD to the tokenizer). */
const word = (len = 10) => [...randomBytes(len)].map((b) => String.fromCharCode(97 + (b % 26))).join('');

const enc = (params) => new URLSearchParams(params).toString();

describe('search over HTTP', () => {
  let srv;
  const search = (params) => api(srv, 'GET', `/api/v1/search?${enc(params)}`);
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });

  /** Every id search finds for PARAMS (all pages). */
  async function searchIds(params) {
    const ids = [];
    let total = null;
    for (let offset = 0; ; offset += 100) {
      const r = await must(search({ ...params, limit: '100', offset: String(offset) }), 200);
      total ??= r.total;
      ids.push(...r.data.map((x) => x.id));
      if (r.data.length < 100 || offset + 200 > 1000) break;
    }
    assert.equal(ids.length, total, `search ${enc(params)}: every page together holds total (${total}) products`);
    return ids;
  }

  /** Every id the product list gives for PARAMS (all pages). */
  async function listIds(params) {
    const ids = [];
    let cursor = null;
    do {
      const q = { ...params, limit: '100', ...(cursor ? { cursor } : {}) };
      const r = await must(api(srv, 'GET', `/api/v1/products?${enc(q)}`), 200);
      ids.push(...r.data.map((x) => x.id));
      cursor = r.next_cursor;
    } while (cursor);
    return ids;
  }

  /** Polls FN (returning true when the change shows) until FRESH_MS after START; returns the ms it took. */
  async function within(start, what, fn) {
    for (;;) {
      if (await fn()) {
        const ms = Date.now() - start;
        assert.ok(ms <= FRESH_MS, `${what}: showed after ${ms} ms, over ${FRESH_MS} ms`);
        return ms;
      }
      assert.ok(Date.now() - start <= FRESH_MS, `${what}: not shown within ${FRESH_MS} ms`);
      await sleep(20);
    }
  }

  const found = async (params, id) => (await must(search(params), 200)).data.some((x) => x.id === id);

  let sample; // a few active demo products, as the list renders them
  before(async () => {
    srv = await startServer({ products: 300, seed: 11 });
    const deadline = Date.now() + 10_000; // the first build runs in the background: 503 until it is done
    for (;;) {
      const r = await search({ q: '' });
      if (r.status === 200) break;
      assert.equal(r.status, 503, `before the first build: ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(r.body.error.code, 'UNAVAILABLE');
      assert.match(r.headers.get('retry-after') ?? '', /^[0-9]+$/, 'a 503 while building says when to retry');
      assert.ok(Date.now() < deadline, 'the index was not built within 10 s');
      await sleep(50);
    }
    sample = (await must(api(srv, 'GET', '/api/v1/products?limit=40'), 200)).data;
  });
  after(async () => srv && (await srv.stop()));

  it('finds a product by the words of its title, with its summary as the list renders it', async () => {
    for (const p of sample.slice(0, 10)) {
      const r = await must(search({ q: p.title, limit: '5' }), 200);
      const hit = r.data.find((x) => x.id === p.id);
      assert.ok(hit, `"${p.title}" is in the first 5 hits: ${r.data.map((x) => x.title).join(' | ')}`);
      assert.equal(r.fell_back, false);
      assert.ok(r.total >= 1);
      const { score, highlight, ...summary } = hit;
      assert.equal(typeof highlight.title, 'string');
      assert.equal(typeof score, 'number');
      assert.ok(score > 0);
      assert.deepEqual(summary, p, 'the hit is the list summary plus a score');
      for (let i = 1; i < r.data.length; i++) assert.ok(r.data[i - 1].score >= r.data[i].score, 'best first');
    }
  });

  it('says when it fell back to fewer words, and answers no-store', async () => {
    const p = sample[0];
    const r = await search({ q: `${p.title.split(' ')[0]} ${word(12)}`, limit: '5' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.body.fell_back, true);
    assert.equal(r.body.terms, 2);
    assert.equal(r.body.terms_matched, 1);
    assert.ok(r.body.total > 0);
  });

  it('filters give the same products as the product list\'s filters', async () => {
    const brands = (await must(api(srv, 'GET', '/api/v1/brands'), 200)).data;
    const vendors = (await must(api(srv, 'GET', '/api/v1/vendors'), 200)).data;
    const cats = (await must(api(srv, 'GET', '/api/v1/categories'), 200)).data;
    const root = cats.find((c) => (c.children ?? []).length > 0) ?? cats[0];
    const prices = sample.filter((p) => p.price).map((p) => p.price.amount).sort((a, b) => a - b);
    const cases = [
      {},
      { brand: brands[0].id },
      { brand: brands[1].slug },
      { vendor: vendors[0].id },
      { category: root.slug }, // a subtree
      { category: root.children?.[0]?.id ?? root.id },
      { price_min: String(prices[5]), price_max: String(prices[prices.length - 5]) },
      { price_max: String(prices[10]) },
      { in_stock: 'true' },
      { 'attr.color': 'navy' },
      { 'attr.material': 'wool', brand: brands[0].id },
      { in_stock: 'true', category: root.id, price_min: String(prices[3]) },
    ];
    for (const c of cases) {
      const want = await listIds(c);
      const got = await searchIds({ q: '', ...c });
      assertSameIds(got, want, `filters ${enc(c)}`);
    }
    // with words: the result set is the list's products for the filter that match the words
    const w = sample[3].title.split(' ')[1].toLowerCase();
    const withWord = await searchIds({ q: `${w} `, brand: brands[0].id });
    const listed = new Set(await listIds({ brand: brands[0].id }));
    assert.ok(withWord.every((id) => listed.has(id)), 'a word never widens the filter');
  });

  it('facet counts equal the totals of the same search filtered by each value, and the list\'s counts', async () => {
    const r = await must(search({ q: '', facets: 'brand,category,vendor,attr.color', facet_limit: '100' }), 200);
    assert.deepEqual(Object.keys(r.facets).sort(), ['attr.color', 'brand', 'category', 'vendor']);
    const param = { brand: 'brand', vendor: 'vendor', category: 'category' };
    for (const [dim, values] of Object.entries(r.facets)) {
      assert.ok(values.length > 0, `${dim} has values`);
      for (let i = 1; i < values.length; i++) assert.ok(values[i - 1].count >= values[i].count, `${dim}: most first`);
      for (const { value, count } of values.slice(0, 4)) {
        const filter = param[dim] ? { [param[dim]]: value } : { [dim]: value };
        assert.equal((await listIds(filter)).length, count, `${dim}=${value}: the list's count`);
        assert.equal((await must(search({ q: '', ...filter, limit: '1' }), 200)).total, count, `${dim}=${value}: the filtered total`);
      }
    }
    // with a word the counts describe the result set of that word
    const w = sample[0].title.split(' ').at(-2).toLowerCase();
    const r2 = await must(search({ q: `${w} `, facets: 'brand', facet_limit: '100' }), 200);
    assert.equal(r2.facets.brand.reduce((s, v) => s + v.count, 0), r2.total, 'every product has one brand');
  });

  it('sorts by price and by newest as the list does', async () => {
    const asc = (await must(search({ q: '', sort: 'price_asc', limit: '100' }), 200)).data;
    const prices = asc.map((p) => (p.price ? p.price.amount : Infinity));
    for (let i = 1; i < prices.length; i++) assert.ok(prices[i - 1] <= prices[i], 'price_asc');
    const desc = (await must(search({ q: '', sort: 'price_desc', limit: '100' }), 200)).data.filter((p) => p.price);
    for (let i = 1; i < desc.length; i++) assert.ok(desc[i - 1].price.amount >= desc[i].price.amount, 'price_desc');
    const newest = (await must(search({ q: '', sort: 'newest', limit: '100' }), 200)).data.map((p) => p.created_at);
    for (let i = 1; i < newest.length; i++) assert.ok(newest[i - 1] >= newest[i], 'newest');
  });

  it('a product created, renamed, repriced, sold out and archived is found / filtered / gone within 1 s', async (t) => {
    const wh = await must(admin('POST', '/api/v1/warehouses', { code: `wh${word(6)}`, name: 'Search warehouse' }), 201);
    const a = word(), b = word();
    const took = {};
    let start = Date.now();
    const p = await must(admin('POST', '/api/v1/products', {
      title: `Lantern ${a}`, status: 'active',
      variants: [{ sku: `SR-${word(8)}`, prices: [{ amount: 123457, currency: 'USD' }] }],
    }), 201);
    took.created = await within(start, 'created', () => found({ q: a }, p.id));

    start = Date.now();
    await must(admin('PATCH', `/api/v1/products/${p.id}`, { title: `Lantern ${b}` }), 200);
    took.renamed = await within(start, 'renamed', async () => (await found({ q: b }, p.id)) && !(await found({ q: a }, p.id)));

    start = Date.now();
    await must(admin('PUT', `/api/v1/variants/${p.variants[0].id}/prices/USD`, { amount: 98761 }), 200);
    took.repriced = await within(start, 'repriced', async () => {
      const r = await must(search({ q: b, price_min: '98761', price_max: '98761' }), 200);
      const hit = r.data.find((x) => x.id === p.id);
      return hit?.price?.amount === 98761 && !(await found({ q: b, price_min: '123457' }, p.id));
    });

    start = Date.now();
    await must(admin('PUT', `/api/v1/variants/${p.variants[0].id}/stock/${wh.id}`, { on_hand: 3, reason: 'count' }), 200);
    took.restocked = await within(start, 'in stock', () => found({ q: b, in_stock: 'true' }, p.id));

    start = Date.now();
    await must(admin('PUT', `/api/v1/variants/${p.variants[0].id}/stock/${wh.id}`, { on_hand: 0, reason: 'sold out' }), 200);
    took.sold_out = await within(start, 'sold out', async () => !(await found({ q: b, in_stock: 'true' }, p.id)) && (await found({ q: b }, p.id)));

    start = Date.now();
    await must(admin('DELETE', `/api/v1/products/${p.id}`), 200);
    took.archived = await within(start, 'archived', async () => !(await found({ q: b }, p.id)));
    t.diagnostic(`freshness (ms): ${JSON.stringify(took)}`);
  });

  it('searches answer 200 while writes keep swapping the index under them', async () => {
    const p = sample[5];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 40; i++) {
        await must(admin('PATCH', `/api/v1/products/${p.id}`, { title: `${p.title} ${word(6)}` }), 200);
        await sleep(15);
      }
    })();
    const metric = async (name) => Number((await api(srv, 'GET', '/metrics')).text.match(new RegExp(`^${name} (\\d+)$`, 'm'))[1]);
    const before = await metric('souk_search_rebuilds_total');
    const deltasBefore = await metric('souk_search_delta_builds_total');
    const statuses = await mapLimit(Array.from({ length: 300 }, (_, i) => i), 8, async (i) =>
      (await search({ q: i % 2 ? p.title.split(' ')[0] : '', facets: 'brand', limit: '10' })).status);
    writing = false;
    await writer;
    await must(admin('PATCH', `/api/v1/products/${p.id}`, { title: p.title }), 200);
    assert.deepEqual([...new Set(statuses)], [200]);
    const rebuilds = await metric('souk_search_rebuilds_total');
    assert.ok(rebuilds > before, `the index was swapped meanwhile (${before} -> ${rebuilds})`);
    /* a title change is a delta over the base, not a full build */
    assert.ok((await metric('souk_search_delta_builds_total')) > deltasBefore, 'delta builds');
  });

  it('refuses bad parameters with 422 in the standard error body', async () => {
    const cases = [
      [{}, 'q'],
      [{ q: 'mug', limit: '0' }, 'limit'],
      [{ q: 'mug', limit: '101' }, 'limit'],
      [{ q: 'mug', offset: '990', limit: '20' }, 'offset'],
      [{ q: 'mug', offset: '-1' }, 'offset'],
      [{ q: 'mug', sort: 'name' }, 'sort'],
      [{ q: 'mug', currency: 'EUR' }, 'currency'],
      [{ q: 'mug', currency: 'usd!' }, 'currency'],
      [{ q: 'mug', in_stock: 'false' }, 'in_stock'],
      [{ q: 'mug', in_stock: 'yes' }, 'in_stock'],
      [{ q: 'mug', price_min: '10', price_max: '5' }, 'price_min'],
      [{ q: 'mug', price_min: '-5' }, 'price_min'],
      [{ q: 'mug', brand: 'no-such-brand' }, 'brand'],
      [{ q: 'mug', category: 'cat_0000000000000' }, 'category'],
      [{ q: 'mug', facets: 'color' }, 'facets'],
      [{ q: 'mug', facets: 'brand,brand' }, 'facets'],
      [{ q: 'mug', facets: Array.from({ length: 17 }, (_, i) => `attr.a${i}`).join(',') }, 'facets'],
      [{ q: 'mug', 'attr.Bad Name': 'x' }, 'attr.Bad Name'],
      [{ q: 'mug', facet_limit: '101' }, 'facet_limit'],
      [{ q: 'mug', colour: 'red' }, 'colour'],
    ];
    for (const [params, field] of cases) {
      const r = await search(params);
      assert.equal(r.status, 422, `${enc(params)} -> ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(r.body.error.code, 'VALIDATION_ERROR');
      assert.ok(r.body.error.details.some((d) => d.field === field), `${enc(params)}: a problem on ${field}: ${r.text}`);
    }
  });

  it('hostile queries get a 400/422 or a normal answer, quickly, never a 5xx', async () => {
    const terms = Array.from({ length: 500 }, (_, i) => `w${i}`).join(' ');
    const raw = [
      ['x'.repeat(10 * 1024), [400]], // over the 4096-byte query string
      ['ab '.repeat(1400), [400]], // 4200 bytes
      ['ab '.repeat(1300), [422]], // 3900 bytes: through the parser, over 32 words
      [terms, [422]], // over 32 words
      [Array.from({ length: 33 }, () => word(4)).join(' '), [422]],
      ['\u0001\u0002mug\u007f\u001b[31m', [200]],
      ['"mug', [200]], ['mug"', [200]], ['"""', [200]], ['"a "b "c', [200]],
      ['.*(a|b)+[^x]$\\d{1,3}', [200]], ['(((((((((', [200]], ['*', [200]], ['%', [200]],
      ['-', [200]], ['--mug', [200]], ['- - -', [200]], ['mug -mug', [200]],
      ['\u202e\u200bmug\ufeff', [200]], ['東京タワー', [200]], ['😀😀😀', [200]],
      ['WX-200 3/4in 1,000.5', [200]], ['a'.repeat(64) + 'b', [200]], ['é'.repeat(600), [200]], ['é'.repeat(1000), [400]],
    ];
    for (const [q, ok] of raw) {
      const t0 = Date.now();
      const r = await search({ q, facets: 'brand,category' });
      const ms = Date.now() - t0;
      assert.ok(ok.includes(r.status), `q of ${q.length} chars "${q.slice(0, 30)}" -> ${r.status} ${r.text.slice(0, 200)}`);
      assert.ok(ms < 1000, `q "${q.slice(0, 30)}" took ${ms} ms`);
      if (r.status !== 200) assert.ok(r.body.error.code, 'the standard error body');
    }
    // bytes the query-string parser refuses (NUL, broken UTF-8, bad escapes): 400
    for (const rawq of ['q=%00mug', 'q=%FF%FE', 'q=%E2%82', 'q=%zz']) {
      const r = await api(srv, 'GET', `/api/v1/search?${rawq}`);
      assert.equal(r.status, 400, `${rawq} -> ${r.status}`);
      assert.equal(r.body.error.code, 'BAD_REQUEST');
    }
  });

  it('suggest completes the word being typed from product titles', async () => {
    const title = sample[0].title;
    const first = title.split(' ')[0];
    const typed = first.slice(0, Math.max(3, first.length - 2)).toLowerCase();
    const r = await must(api(srv, 'GET', `/api/v1/search/suggest?${enc({ q: typed })}`), 200);
    assert.ok(r.data.length >= 1 && r.data.length <= 5, `1..5 suggestions for "${typed}": ${r.data.length}`);
    const prefix = new RegExp(`(^|\\W)${typed}`, 'i');
    for (const s of r.data) assert.match(s.title, prefix, `"${s.title}" has a word starting "${typed}"`);
    for (let i = 1; i < r.data.length; i++) assert.ok(r.data[i - 1].score >= r.data[i].score, 'best first');
    // two words: the first whole, the last a prefix
    const words = title.split(' ');
    const two = `${words[0]} ${words[1].slice(0, 3)}`;
    const r2 = await must(api(srv, 'GET', `/api/v1/search/suggest?${enc({ q: two, limit: '10' })}`), 200);
    assert.ok(r2.data.some((x) => x.id === sample[0].id), `"${two}" suggests "${title}"`);
    assert.ok(r2.data.length <= 10);
    // nothing for a word found nowhere, nor for one found only outside titles (a brand's name)
    const none = await must(api(srv, 'GET', `/api/v1/search/suggest?${enc({ q: word(12) })}`), 200);
    assert.deepEqual(none.data, []);
    const brands = (await must(api(srv, 'GET', '/api/v1/brands'), 200)).data;
    let checked = 0;
    for (const b of brands) {
      const name = b.name.toLowerCase();
      if (!/^[a-z]+$/.test(name)) continue;
      const hits = await must(search({ q: `${name} `, limit: '100' }), 200);
      if (hits.total === 0 || hits.data.some((x) => x.title.toLowerCase().includes(name))) continue;
      const s2 = await must(api(srv, 'GET', `/api/v1/search/suggest?${enc({ q: `${name} ` })}`), 200);
      assert.deepEqual(s2.data, [], `"${name}" is a brand in no title: no suggestion`);
      checked++;
    }
    assert.ok(checked > 0, 'some brand name is in no title');
    for (const bad of [{}, { q: '' }, { q: 'x'.repeat(201) }, { q: 'mug', limit: '11' }, { q: 'mug', sort: 'x' }]) {
      const e = await api(srv, 'GET', `/api/v1/search/suggest?${enc(bad)}`);
      assert.equal(e.status, 422, `${enc(bad)} -> ${e.status}`);
      assert.equal(e.body.error.code, 'VALIDATION_ERROR');
    }
  });

  it('reports the index in /metrics', async () => {
    const text = (await api(srv, 'GET', '/metrics')).text;
    const val = (name) => Number(text.match(new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, 'm'))?.[1]);
    const total = (await must(search({ q: '' }), 200)).total;
    assert.equal(val('souk_search_index_ready'), 1);
    assert.equal(val('souk_search_index_products'), total);
    assert.ok(val('souk_search_index_bytes') > total * 100, 'bytes');
    assert.ok(val('souk_search_rebuilds_total') >= 1);
    assert.ok(val('souk_search_build_seconds_total') >= val('souk_search_build_seconds'));
  });
});

describe('SOUK_SEARCH=off', () => {
  let srv;
  after(async () => srv && (await srv.stop()));
  it('answers 503 UNAVAILABLE without Retry-After', async () => {
    srv = await startServer({ env: { SOUK_SEARCH: 'off' } });
    await sleep(300);
    for (const path of ['/api/v1/search?q=mug', '/api/v1/search/suggest?q=mu']) {
      const r = await api(srv, 'GET', path);
      assert.equal(r.status, 503, `${path} -> ${r.status}`);
      assert.equal(r.body.error.code, 'UNAVAILABLE');
      assert.match(r.body.error.message, /SOUK_SEARCH=off/);
      assert.equal(r.headers.get('retry-after'), null);
    }
  });
});
