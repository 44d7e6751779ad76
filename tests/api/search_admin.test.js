// Search analytics, synonyms and ranking settings against a real server on a
// fresh demo store: searches and clicks in, the admin report out per UTC day
// (JSON and CSV) with the right CTR and mean clicked position; zero-result
// queries listed; synonyms and weights stored in the database, validated,
// applied to searches within about a second and kept over a restart; bad
// input gets the standard error body; the admin routes refuse non-admins.
//
// "Yesterday" is made by a first server run with SOUK_TEST_CLOCK_OFFSET_S
// set one day back, on the database the second run serves.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { sleep } from './lib/util.js';

const DAY_MS = 86_400_000;
const FRESH_MS = 1500; // settings: the next rebuild (a poll of 250 ms + a build) — documented as "about a second"

const must = async (p, status) => {
  const r = await p;
  assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 400)}`);
  return r.body;
};
const enc = (params) => new URLSearchParams(params).toString();
const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** Polls FN until it returns a truthy value, at most LIMIT ms; returns [value, ms]. */
async function poll(what, limit, fn) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return [v, Date.now() - t0];
    assert.ok(Date.now() - t0 <= limit, `${what}: not seen within ${limit} ms`);
    await sleep(25);
  }
}

async function ready(srv) {
  await poll('the first index build', 10_000, async () => (await api(srv, 'GET', '/api/v1/search?q=')).status === 200);
}

describe('search analytics and settings over HTTP', () => {
  let srv;
  const yesterday = utcDay(Date.now() - DAY_MS);
  const today = utcDay(Date.now());
  const NOTHING = 'qqxzvvk'; // finds nothing in the demo store
  const search = (params) => api(srv, 'GET', `/api/v1/search?${enc(params)}`);
  const click = (body, opts = {}) => api(srv, 'POST', '/api/v1/search/clicks', { body, ...opts });
  const report = (params = {}) => api(srv, 'GET', `/api/v1/admin/search/analytics?${enc(params)}`, { key: true });
  let mugs; // ids of the products "mug" finds

  before(async () => {
    // day one, "yesterday": two searches for mug (one typed in capitals), one that finds nothing, one click at 3
    const first = await startServer({ products: 150, seed: 5, keepDir: true, env: { SOUK_TEST_CLOCK_OFFSET_S: String(-86400) } });
    srv = first;
    await ready(srv);
    const r = await must(search({ q: 'mug' }), 200);
    assert.ok(r.total >= 1, `the demo store has mugs: ${r.total}`);
    mugs = r.data.map((x) => x.id);
    await must(search({ q: '  MUG ' }), 200);
    assert.equal((await must(search({ q: NOTHING }), 200)).total, 0);
    assert.equal((await must(click({ query: 'Mug', product_id: mugs[0], position: 3 }), 202)).recorded, true);
    await first.stop(); // the flusher writes what is left at stop
    // day two, today: the same database
    srv = await startServer({ dir: first.dir, adminKey: first.adminKey, keepDir: true }); // the restart test serves it again
    await ready(srv);
  });
  after(async () => srv && (await srv.stop()));

  it('counts searches and clicks per day, with CTR and mean clicked position', async () => {
    await must(search({ q: 'mug' }), 200);
    await must(search({ q: 'mug', offset: '20' }), 200); // a further page is not another search
    await must(search({ q: '' }), 200); // browsing is not a search
    await must(click({ query: 'mug', product_id: mugs[0], position: 1 }), 202);
    await must(click({ query: 'mug', product_id: mugs.at(-1), position: 2 }), 202);
    const [rep, ms] = await poll('today\'s clicks in the report', 3000, async () => {
      const b = await must(report({ from: yesterday, to: today }), 200);
      return b.days.length === 2 && b.days[1].clicks === 2 ? b : null;
    });
    console.log(`    analytics flushed and reported after ${ms} ms`);
    assert.equal(rep.from, yesterday);
    assert.equal(rep.to, today);
    const [d1, d2] = rep.days;
    assert.deepEqual([d1.day, d1.searches, d1.zero_results, d1.clicks], [yesterday, 3, 1, 1]);
    assert.equal(d1.queries, 2);
    assert.equal(d1.ctr, 0.3333);
    assert.equal(d1.mean_click_position, 3);
    assert.deepEqual([d2.day, d2.searches, d2.zero_results, d2.clicks], [today, 1, 0, 2]);
    assert.equal(d2.ctr, 2, 'CTR is clicks per search: it may pass 1');
    assert.equal(d2.mean_click_position, 1.5);
    assert.deepEqual([rep.totals.days, rep.totals.searches, rep.totals.clicks], [2, 4, 3]);
    assert.equal(rep.totals.ctr, 0.75);
    assert.equal(rep.totals.mean_click_position, 2); // (3 + 1 + 2) / 3
    const mug = rep.top_queries.find((q) => q.query === 'mug');
    assert.deepEqual([mug.searches, mug.clicks, mug.ctr, mug.mean_click_position], [3, 3, 1, 2]);
    assert.equal(rep.top_queries[0].query, 'mug', 'most searched first');
    // one day only
    const only = await must(report({ from: yesterday, to: yesterday }), 200);
    assert.deepEqual(only.days.map((d) => d.day), [yesterday]);
    assert.equal(only.top_queries.find((q) => q.query === 'mug').ctr, 0.5);
    // the default range ends today
    const dflt = await must(report(), 200);
    assert.equal(dflt.to, today);
    assert.equal(dflt.days.length, 2);
  });

  it('lists the queries that found nothing', async () => {
    const rep = await must(report({ from: yesterday }), 200);
    assert.deepEqual(rep.zero_result_queries.map((q) => [q.query, q.zero_results, q.mean_results]), [[NOTHING, 1, 0]]);
    assert.equal(rep.zero_result_queries[0].mean_click_position, null);
    assert.equal((await must(report({ from: yesterday, limit: '1' }), 200)).top_queries.length, 1);
  });

  it('answers CSV with format=csv, formula-like queries defused', async () => {
    await must(search({ q: '=HYPERLINK("x")' }), 200);
    await poll('the formula query flushed', 3000, async () =>
      (await must(report(), 200)).top_queries.some((q) => q.query.startsWith('=hyperlink')));
    const r = await report({ from: yesterday, format: 'csv' });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    const lines = r.text.trim().split('\r\n');
    assert.equal(lines[0], 'day,query,searches,zero_results,clicks,ctr,mean_click_position,mean_results');
    assert.ok(lines.includes(`${yesterday},"mug",2,0,1,0.5000,3.0000,${lines.find((l) => l.startsWith(`${yesterday},"mug"`)).split(',').pop()}`));
    assert.ok(lines.includes(`${yesterday},"${NOTHING}",1,1,0,0.0000,,0.0000`), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith(`${today},"'=hyperlink(""x"")",1,`)), `defused and quoted: ${lines.join('\n')}`);
  });

  it('refuses bad input with the standard error body', async () => {
    const bad = async (p, status, code, field) => {
      const r = await p;
      assert.equal(r.status, status, `${r.path}: ${r.text.slice(0, 300)}`);
      assert.equal(r.body.error.code, code);
      assert.match(r.body.error.request_id, /\S/);
      if (field) assert.ok(r.body.error.details.some((d) => d.field === field), JSON.stringify(r.body.error.details));
    };
    await bad(click({ query: 'mug', product_id: mugs[0], position: 0 }), 422, 'VALIDATION_ERROR', 'position');
    await bad(click({ query: 'mug', product_id: mugs[0], position: 1001 }), 422, 'VALIDATION_ERROR', 'position');
    await bad(click({ query: 'mug', product_id: 'var_0000000000000', position: 1 }), 422, 'VALIDATION_ERROR', 'product_id');
    await bad(click({ query: '', product_id: mugs[0], position: 1 }), 422, 'VALIDATION_ERROR', 'query');
    await bad(click({ query: 'x'.repeat(1001), product_id: mugs[0], position: 1 }), 422, 'VALIDATION_ERROR', 'query');
    await bad(click({ product_id: mugs[0], position: 1 }), 422, 'VALIDATION_ERROR', 'query');
    await bad(click({ query: 'mug', product_id: mugs[0], position: 1, extra: true }), 422, 'VALIDATION_ERROR', 'extra');
    await bad(click(undefined, { rawBody: '{"query":', headers: { 'Content-Type': 'application/json' } }), 400, 'MALFORMED_JSON');
    await bad(report({ from: '2026-02-30' }), 422, 'VALIDATION_ERROR', 'from');
    await bad(report({ to: 'yesterday' }), 422, 'VALIDATION_ERROR', 'to');
    await bad(report({ from: today, to: yesterday }), 422, 'VALIDATION_ERROR', 'from');
    await bad(report({ limit: '0' }), 422, 'VALIDATION_ERROR', 'limit');
    await bad(report({ format: 'xml' }), 422, 'VALIDATION_ERROR', 'format');
    await bad(report({ nope: '1' }), 422, 'VALIDATION_ERROR', 'nope');
    const put = (path, body) => api(srv, 'PUT', path, { key: true, body });
    await bad(put('/api/v1/admin/search/synonyms', { rules: ['sofa, couch', 'two words, three'] }), 422, 'VALIDATION_ERROR', 'rules[1]');
    await bad(put('/api/v1/admin/search/synonyms', { rules: ['a\nb'] }), 422, 'VALIDATION_ERROR');
    await bad(put('/api/v1/admin/search/synonyms', { rules: 'tv, television' }), 422, 'VALIDATION_ERROR', 'rules');
    await bad(put('/api/v1/admin/search/synonyms', {}), 422, 'VALIDATION_ERROR', 'rules');
    await bad(put('/api/v1/admin/search/settings', { weights: { k1: 99 } }), 422, 'VALIDATION_ERROR', 'weights.k1');
    await bad(put('/api/v1/admin/search/settings', { weights: { field: { title: -1 } } }), 422, 'VALIDATION_ERROR', 'weights.field.title');
    await bad(put('/api/v1/admin/search/settings', { weights: { field: { colour: 1 } } }), 422, 'VALIDATION_ERROR', 'weights.field.colour');
    await bad(put('/api/v1/admin/search/settings', { weights: { typo1: '0.5' } }), 422, 'VALIDATION_ERROR', 'weights.typo1');
    await bad(put('/api/v1/admin/search/settings', { weights: { bogus: 1 } }), 422, 'VALIDATION_ERROR', 'weights.bogus');
    await bad(put('/api/v1/admin/search/settings', { k1: 1 }), 422, 'VALIDATION_ERROR', 'k1');
    await bad(api(srv, 'PUT', '/api/v1/admin/search/settings', { key: true, rawBody: '{"weights":{}', headers: { 'Content-Type': 'application/json' } }), 400, 'MALFORMED_JSON');
    await bad(api(srv, 'PUT', '/api/v1/admin/search/settings', { key: true, rawBody: 'weights', headers: { 'Content-Type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // nothing of that was stored
    assert.deepEqual((await must(api(srv, 'GET', '/api/v1/admin/search/synonyms', { key: true }), 200)).rules, []);
  });

  it('refuses the admin routes to anonymous callers and customers', async () => {
    const customer = (await register(srv)).access;
    for (const [method, path, body] of [
      ['GET', '/api/v1/admin/search/analytics'],
      ['GET', '/api/v1/admin/search/synonyms'],
      ['PUT', '/api/v1/admin/search/synonyms', { rules: [] }],
      ['GET', '/api/v1/admin/search/settings'],
      ['PUT', '/api/v1/admin/search/settings', { weights: {} }],
    ]) {
      const anon = await api(srv, method, path, { body });
      assert.equal(anon.status, 401, `${method} ${path} anonymous`);
      const cust = await api(srv, method, path, { body, key: customer });
      assert.equal(cust.status, 403, `${method} ${path} customer`);
      assert.equal(cust.body.error.code, 'FORBIDDEN');
    }
    // clicks are public
    await must(click({ query: 'mug', product_id: mugs[0], position: 1 }, { key: customer }), 202);
  });

  it('applies synonyms an admin puts within about a second, audited, and keeps them over a restart', async () => {
    assert.equal((await must(search({ q: 'zorblax ' }), 200)).total, 0);
    const t0 = Date.now();
    const put = await must(api(srv, 'PUT', '/api/v1/admin/search/synonyms', {
      key: true, body: { rules: ['zorblax, mug', 'teacup => mug', '# a comment'] },
    }), 200);
    assert.deepEqual(put.rules, ['zorblax, mug', 'teacup => mug', '# a comment']);
    const [found, ms] = await poll('a synonym applied', FRESH_MS, async () => {
      const r = await must(search({ q: 'zorblax ' }), 200);
      return r.total > 0 ? r : null;
    });
    console.log(`    synonyms applied ${Date.now() - t0} ms after the PUT (polled ${ms} ms)`);
    assert.ok(found.data.every((p) => /mug/i.test(p.title)), found.data.map((p) => p.title).join(' | '));
    assert.ok((await must(search({ q: 'teacup ' }), 200)).total > 0, 'one-way: teacup finds mugs');
    assert.deepEqual((await must(api(srv, 'GET', '/api/v1/admin/search/synonyms', { key: true }), 200)).rules, put.rules);
    const audit = await must(api(srv, 'GET', '/api/v1/admin/audit?object_type=search_settings', { key: true }), 200);
    assert.ok(audit.data.some((e) => e.action === 'PUT /api/v1/admin/search/synonyms' && e.object_id === 'synonyms'),
      JSON.stringify(audit.data).slice(0, 400));

    const dir = srv.dir, adminKey = srv.adminKey;
    await srv.stop();
    srv = await startServer({ dir, adminKey });
    await ready(srv);
    assert.ok((await must(search({ q: 'zorblax ' }), 200)).total > 0, 'the synonyms survive a restart');
    // an empty list takes them away again
    await must(api(srv, 'PUT', '/api/v1/admin/search/synonyms', { key: true, body: { rules: [] } }), 200);
    await poll('synonyms removed', FRESH_MS, async () => (await must(search({ q: 'zorblax ' }), 200)).total === 0);
  });

  it('marks matched words in the title and a description snippet, HTML-escaped (hostile titles stay text)', async () => {
    const title = '<script>alert("xss")</script> Zanzibar & <b>Mug</b>';
    const description = `${'Plain filler words. '.repeat(20)}A zanzibar mug <img src=x onerror=alert(1)> for tea. ${'More words. '.repeat(20)}`;
    const p = await must(api(srv, 'POST', '/api/v1/products', {
      key: true, body: { title, description, status: 'active', variants: [{ sku: 'HL-1', prices: [{ amount: 500, currency: 'USD' }] }] },
    }), 201);
    const [r] = await poll('the new product searchable', FRESH_MS, async () => {
      const b = await must(search({ q: 'zanzibar script' }), 200);
      return b.data.some((x) => x.id === p.id) ? b : null;
    });
    const hit = r.data.find((x) => x.id === p.id);
    assert.equal(hit.title, title, 'the summary keeps the title as it is');
    assert.equal(hit.highlight.title,
      '&lt;<mark>script</mark>&gt;alert(&quot;xss&quot;)&lt;/<mark>script</mark>&gt; <mark>Zanzibar</mark> &amp; &lt;b&gt;Mug&lt;/b&gt;');
    const sn = hit.highlight.snippet;
    assert.ok(sn.startsWith('\u2026') && sn.endsWith('\u2026'), sn);
    assert.ok(sn.includes('A <mark>zanzibar</mark> mug &lt;img src=x onerror=alert(1)&gt; for tea.'), sn);
    assert.ok([...sn].length <= 200, `about 160 characters: ${[...sn].length}`);
    for (const s of [hit.highlight.title, sn]) {
      assert.equal(s.replace(/<\/?mark>/g, '').match(/[<>"']/), null, `nothing but <mark> is markup: ${s}`);
    }
    // the raw JSON never carries a literal < either (safe inside a <script> block)
    const raw = await search({ q: 'zanzibar' });
    assert.ok(!raw.text.includes('<'), 'HTML-safe JSON');
    assert.equal((await must(search({ q: 'zanzibar', highlight: 'false' }), 200)).data[0].highlight, undefined);
    await must(api(srv, 'DELETE', `/api/v1/products/${p.id}`, { key: true }), 200);
  });

  it('offers "did you mean" when a query finds little, built from the index dictionary', async () => {
    // the index may publish a change of the test before between two searches: compare answers
    // given by one index (the total of "mug" the same before and after)
    let none, total;
    for (let attempt = 0; attempt < 10; attempt++) {
      const before = (await must(search({ q: 'mug ' }), 200)).total;
      none = await must(search({ q: 'mugg ' }), 200);
      total = (await must(search({ q: 'mug ' }), 200)).total;
      if (before === total) break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    assert.equal(none.total, 0);
    assert.deepEqual(none.did_you_mean, { q: 'mug', total });
    const typo = await must(search({ q: 'Lantren -xyzzy ' }), 200); // 7 letters: one edit, found as a typo anyway
    if (typo.total < 3) assert.equal(typo.did_you_mean?.q ?? 'lantern -xyzzy', 'lantern -xyzzy');
    assert.equal((await must(search({ q: 'mug ' }), 200)).did_you_mean, null, 'a query that finds enough gets none');
    assert.equal((await must(search({ q: 'mugg ', offset: '20' }), 200)).did_you_mean, null, 'first pages only');
    assert.equal((await must(search({ q: NOTHING }), 200)).did_you_mean, null, 'nothing near: none');
  });

  it('suggests popular queries, categories and brands beside product titles, each typed', async () => {
    const brands = (await must(api(srv, 'GET', '/api/v1/brands'), 200)).data;
    const cats = (await must(api(srv, 'GET', '/api/v1/categories'), 200)).data;
    const suggest = async (q) => (await must(api(srv, 'GET', `/api/v1/search/suggest?${enc({ q })}`), 200));
    // a query searched three times (and finding something) becomes a suggestion for others; twice does not
    const popular = mugs.length ? 'mug' : null;
    for (let i = 0; i < 3; i++) await must(search({ q: 'Mug ' }), 200);
    for (let i = 0; i < 2; i++) await must(search({ q: 'mug rare private words' }), 200);
    const [s] = await poll('the popular query suggested', 3000, async () => {
      const b = await suggest('mu');
      return b.suggestions.some((x) => x.type === 'query' && x.text === popular) ? b : null;
    });
    assert.equal(s.suggestions[0].type, 'query', 'queries first');
    assert.ok(s.suggestions.find((x) => x.text === popular).searches >= 3);
    assert.ok(!s.suggestions.some((x) => x.text === 'mug rare private words'), 'a query searched twice is not shown');
    const products = s.suggestions.filter((x) => x.type === 'product');
    assert.deepEqual(products.map((x) => x.id), s.data.map((x) => x.id), 'the products are data\'s, in order');
    assert.deepEqual(products.map((x) => x.text), s.data.map((x) => x.title));
    // a brand and a category by the start of their names
    const brand = brands.find((b) => b.name.length >= 4);
    const bs = await suggest(brand.name.slice(0, 3).toLowerCase());
    const bhit = bs.suggestions.find((x) => x.type === 'brand' && x.id === brand.id);
    assert.ok(bhit, `brand ${brand.name} suggested: ${JSON.stringify(bs.suggestions)}`);
    assert.equal(bhit.text, brand.name);
    assert.equal(bhit.products, (await must(search({ q: '', brand: brand.id, limit: '1' }), 200)).total);
    const leaf = cats.flatMap((c) => [c, ...(c.children ?? [])]).find((c) => c.name.length >= 5 && !/\s/.test(c.name));
    const cs = await suggest(leaf.name.slice(0, 4));
    const chit = cs.suggestions.find((x) => x.type === 'category' && x.id === leaf.id);
    if ((await must(search({ q: '', category: leaf.id, limit: '1' }), 200)).total > 0) {
      assert.ok(chit, `category ${leaf.name} suggested: ${JSON.stringify(cs.suggestions)}`);
      assert.equal(chit.text, leaf.name);
    } else assert.equal(chit, undefined, 'a category of no product is not suggested');
    assert.deepEqual((await suggest('   ')).suggestions, []);
  });

  it('applies ranking weights an admin puts within about a second; the ones left out are the defaults', async () => {
    const defaults = (await must(api(srv, 'GET', '/api/v1/admin/search/settings', { key: true }), 200)).weights;
    assert.equal(defaults.field.title, 3);
    assert.equal(defaults.k1, 1.2);
    const before = (await must(search({ q: 'mug', limit: '1' }), 200)).data[0];
    const put = await must(api(srv, 'PUT', '/api/v1/admin/search/settings', {
      key: true, body: { weights: { field: { title: 6 }, in_stock: 0 } },
    }), 200);
    assert.equal(put.weights.field.title, 6);
    assert.equal(put.weights.in_stock, 0);
    assert.equal(put.weights.field.brand, defaults.field.brand);
    assert.equal(put.weights.k1, defaults.k1);
    await poll('weights applied', FRESH_MS, async () => {
      const r = await must(search({ q: 'mug', limit: '5' }), 200);
      const same = r.data.find((x) => x.id === before.id);
      return same && same.score !== before.score;
    });
    assert.deepEqual((await must(api(srv, 'GET', '/api/v1/admin/search/settings', { key: true }), 200)).weights, put.weights);
    // back to the defaults
    const back = await must(api(srv, 'PUT', '/api/v1/admin/search/settings', { key: true, body: { weights: {} } }), 200);
    assert.deepEqual(back.weights, defaults);
  });
});

describe('click reporting is rate-limited like other public writes', () => {
  let rl;
  before(async () => { rl = await startServer({ env: { SOUK_RATE_LIMIT_IP: '3' } }); });
  after(async () => rl && (await rl.stop()));

  it('answers 429 with Retry-After once the address budget is spent', async () => {
    const body = { query: 'mug', product_id: 'prod_0000000000001', position: 1 };
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await api(rl, 'POST', '/api/v1/search/clicks', { body }));
    assert.deepEqual(got.slice(0, 3).map((r) => r.status), [202, 202, 202]);
    const refused = got.at(-1);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'RATE_LIMITED');
    assert.match(refused.headers.get('retry-after') ?? '', /^[0-9]+$/);
  });
});
