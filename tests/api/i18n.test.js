// Languages (docs/languages.md) against a real server: the store's locales, translations of a
// product, a category and a brand through the admin API, and the catalog read in two locales —
// chosen by ?locale= or by Accept-Language — with the fallback to the default locale field by
// field, Content-Language and Vary, a response cache that keeps one answer per locale and drops
// what a translation change changes, and bad input.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { must, warehouse, product, guestCart, checkout, ADDRESS } from './lib/orders_util.js';
import { sleep } from './lib/util.js';
import { Browser, inputValue } from './lib/web_util.js';

describe('languages', () => {
  let srv;
  let brand;
  let category;
  let prod;
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  const anon = (path, headers = {}) => api(srv, 'GET', path, { headers });
  const tr = (kind, id, locale, body) => admin('PUT', `/api/v1/admin/translations/${kind}/${id}/${locale}`, body);
  const uniq = (s) => `${s} ${Math.random().toString(36).slice(2, 8)}`;

  before(async () => {
    srv = await startServer({});
    brand = must(await admin('POST', '/api/v1/brands', { name: uniq('Northwind') }), 201);
    category = must(await admin('POST', '/api/v1/categories', { name: uniq('Shirts') }), 201);
    prod = must(await admin('POST', '/api/v1/products', {
      title: uniq('Linen shirt'), description: 'A shirt of linen.', status: 'active',
      brand_id: brand.id, category_id: category.id,
      attributes: { color: 'Red', material: 'Linen' },
      variants: [{ sku: uniq('I18N').replace(/ /g, '-'), prices: [{ amount: 2500, currency: 'USD' }] }],
    }), 201);
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('starts with one locale, and takes an ordered list of tags in canonical case', async () => {
    const first = must(await anon('/api/v1/locales'), 200);
    assert.deepEqual(first, { locales: ['en'], default: 'en' });
    const set = must(await admin('PUT', '/api/v1/admin/locales', { locales: ['en', 'FR', 'de-ch'] }), 200);
    assert.deepEqual(set, { locales: ['en', 'fr', 'de-CH'], default: 'en' });
    assert.deepEqual(must(await admin('GET', '/api/v1/admin/locales'), 200), set);
    assert.deepEqual(must(await anon('/api/v1/locales'), 200), set);
  });

  it('refuses bad locale lists', async () => {
    for (const body of [{ locales: [] }, { locales: ['en', 'en'] }, { locales: ['english'] }, { locales: ['en', 'x-klingon'] },
      { locales: 'en' }, { locales: ['en'], other: 1 }, { locales: Array.from({ length: 17 }, (_, i) => `a${String.fromCharCode(97 + i)}`) }]) {
      const r = await admin('PUT', '/api/v1/admin/locales', body);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.equal(r.body.error.code, 'VALIDATION_ERROR');
    }
    assert.deepEqual(must(await anon('/api/v1/locales'), 200).locales, ['en', 'fr', 'de-CH']);
  });

  it('stores translations and falls back to the default locale field by field', async () => {
    const t = must(await tr('products', prod.id, 'fr', { title: 'Chemise en lin', attributes: { color: 'Rouge' } }), 200);
    assert.deepEqual(t.translations, { fr: { title: 'Chemise en lin', attributes: { color: 'Rouge' } } });
    assert.equal(t.default, 'en');
    must(await tr('categories', category.id, 'fr', { name: 'Chemises' }), 200);
    must(await tr('brands', brand.id, 'fr', { name: 'Vent du Nord' }), 200);

    const fr = await anon(`/api/v1/products/${prod.id}?locale=fr`);
    must(fr, 200);
    assert.equal(fr.body.title, 'Chemise en lin');
    assert.equal(fr.body.description, 'A shirt of linen.', 'no French description: the English one');
    assert.deepEqual(fr.body.attributes, { color: 'Rouge', material: 'Linen' }, 'attribute by attribute');
    assert.equal(fr.body.brand.name, 'Vent du Nord');
    assert.equal(fr.body.category.name, 'Chemises');
    assert.equal(fr.body.slug, prod.slug, 'slugs are not translated');
    assert.equal(fr.headers.get('content-language'), 'fr');
    assert.match(fr.headers.get('vary') || '', /Accept-Language/);

    const en = await anon(`/api/v1/products/${prod.id}`);
    assert.equal(en.body.title, prod.title);
    assert.deepEqual(en.body.attributes, { color: 'Red', material: 'Linen' });
    assert.equal(en.body.brand.name, brand.name);
    assert.equal(en.headers.get('content-language'), 'en');

    const de = await anon(`/api/v1/products/${prod.slug}?locale=de-CH`);
    assert.equal(de.body.title, prod.title, 'nothing in German: every field falls back');
    assert.equal(de.headers.get('content-language'), 'de-CH');
  });

  it('chooses the locale by Accept-Language: q-values, lookup by truncation, wildcard and no match', async () => {
    const cases = [
      ['fr', 'fr'], ['fr-CA', 'fr'], ['de-CH-1996', 'de-CH'], ['de', 'en'], ['es, fr;q=0.5', 'fr'],
      ['en;q=0.2, fr;q=0.9', 'fr'], ['fr;q=0, en', 'en'], ['*', 'en'], ['es, *;q=0.1', 'en'],
      ['FR-be;q=1.000', 'fr'], ['garbage;;;, fr;q=2', 'en'], ['', 'en'], [`${'x,'.repeat(600)}fr`, 'en'],
    ];
    for (const [header, want] of cases) {
      const r = await anon(`/api/v1/products/${prod.id}`, { 'Accept-Language': header });
      must(r, 200);
      assert.equal(r.headers.get('content-language'), want, `Accept-Language: ${header.slice(0, 40)}`);
      assert.equal(r.body.title, want === 'fr' ? 'Chemise en lin' : prod.title, header.slice(0, 40));
    }
    const r = await anon(`/api/v1/products/${prod.id}?locale=en`, { 'Accept-Language': 'fr' });
    assert.equal(r.body.title, prod.title, '?locale= wins');
  });

  it('keeps one cached answer per locale and drops them when a translation changes', async () => {
    const path = `/api/v1/products?category=${category.id}&limit=5`;
    for (let round = 0; round < 2; round++) { // the second round is answered from the cache
      const fr = must(await anon(path, { 'Accept-Language': 'fr-FR, fr;q=0.9' }), 200);
      const en = must(await anon(path, { 'Accept-Language': 'en-US' }), 200);
      assert.equal(fr.data[0].title, 'Chemise en lin');
      assert.equal(fr.data[0].brand.name, 'Vent du Nord');
      assert.equal(fr.data[0].category.name, 'Chemises');
      assert.equal(en.data[0].title, prod.title);
      assert.equal(en.data[0].brand.name, brand.name);
    }
    must(await tr('products', prod.id, 'fr', { title: 'Chemise de lin' }), 200);
    const after1 = must(await anon(path, { 'Accept-Language': 'fr' }), 200);
    assert.equal(after1.data[0].title, 'Chemise de lin', 'the change is seen at once');
    const detail = must(await anon(`/api/v1/products/${prod.id}?locale=fr`), 200);
    assert.equal(detail.title, 'Chemise de lin');
    assert.equal(detail.attributes.color, 'Rouge', 'other fields kept');
  });

  it('translates the category tree and the brand list', async () => {
    const cats = must(await anon('/api/v1/categories?locale=fr'), 200);
    assert.ok(cats.data.some((c) => c.id === category.id && c.name === 'Chemises'));
    const catsEn = must(await anon('/api/v1/categories'), 200);
    assert.ok(catsEn.data.some((c) => c.id === category.id && c.name === category.name));
    const brands = await anon('/api/v1/brands', { 'Accept-Language': 'fr' });
    assert.ok(must(brands, 200).data.some((b) => b.id === brand.id && b.name === 'Vent du Nord'));
    assert.equal(brands.headers.get('content-language'), 'fr');
  });

  it('translates shipping method names in the public list', async () => {
    const code = `i18n-${Math.random().toString(36).slice(2, 8)}`;
    const m = must(await admin('POST', '/api/v1/admin/shipping-methods', { code, name: 'Express delivery', currency: 'USD', amount: 900 }), 201);
    must(await tr('shipping-methods', m.id, 'fr', { name: 'Livraison express' }), 200);
    const fr = await anon('/api/v1/shipping-methods', { 'Accept-Language': 'fr' });
    assert.equal(must(fr, 200).data.find((x) => x.id === m.id).name, 'Livraison express');
    assert.equal(fr.headers.get('content-language'), 'fr');
    const en = must(await anon('/api/v1/shipping-methods'), 200);
    assert.equal(en.data.find((x) => x.id === m.id).name, 'Express delivery');
    assert.equal((await tr('shipping-methods', 'ship_0000000000000', 'fr', { name: 'x' })).status, 404);
  });

  it('removes one field with null, and every field with DELETE', async () => {
    let t = must(await tr('products', prod.id, 'fr', { attributes: { color: null }, description: 'Une chemise.' }), 200);
    assert.deepEqual(t.translations.fr, { title: 'Chemise de lin', description: 'Une chemise.' });
    let fr = must(await anon(`/api/v1/products/${prod.id}?locale=fr`), 200);
    assert.equal(fr.attributes.color, 'Red');
    assert.equal(fr.description, 'Une chemise.');
    must(await admin('DELETE', `/api/v1/admin/translations/products/${prod.id}/fr`), 204);
    t = must(await admin('GET', `/api/v1/admin/translations/products/${prod.id}`), 200);
    assert.deepEqual(t.translations, {});
    fr = must(await anon(`/api/v1/products/${prod.id}?locale=fr`), 200);
    assert.equal(fr.title, prod.title);
    assert.equal(fr.brand.name, 'Vent du Nord', 'the brand keeps its own translation');
  });

  it('answers bad input with clear 4xx', async () => {
    let r = await anon(`/api/v1/products/${prod.id}?locale=es`);
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /en, fr, de-CH/);
    r = await anon('/api/v1/products?locale=%3Cscript%3E');
    assert.equal(r.status, 400);
    r = await tr('products', prod.id, 'en', { title: 'x' });
    assert.equal(r.status, 422, 'the default locale is the object itself');
    r = await tr('products', prod.id, 'es', { title: 'x' });
    assert.equal(r.status, 422, 'not an enabled locale');
    r = await tr('products', prod.id, 'fr', { colour: 'x' });
    assert.equal(r.status, 422);
    r = await tr('products', prod.id, 'fr', { title: '' });
    assert.equal(r.status, 422);
    r = await tr('products', prod.id, 'fr', { title: 'x'.repeat(201) });
    assert.equal(r.status, 422);
    r = await tr('categories', category.id, 'fr', { title: 'x' });
    assert.equal(r.status, 422, 'categories have a name, not a title');
    r = await tr('products', 'prod_0000000000000', 'fr', { title: 'x' });
    assert.equal(r.status, 404);
    r = await tr('widgets', prod.id, 'fr', { title: 'x' });
    assert.equal(r.status, 404);
    r = await tr('brands', category.id, 'fr', { name: 'x' });
    assert.ok([400, 404, 422].includes(r.status), `a category id as a brand: ${r.status}`);
  });

  it('serves a locale dropped from the list no more, and its translations again when it comes back', async () => {
    must(await tr('products', prod.id, 'fr', { title: 'Chemise' }), 200);
    must(await admin('PUT', '/api/v1/admin/locales', { locales: ['en'] }), 200);
    let r = await anon(`/api/v1/products/${prod.id}`, { 'Accept-Language': 'fr' });
    assert.equal(r.headers.get('content-language'), 'en');
    assert.equal(r.body.title, prod.title);
    must(await admin('PUT', '/api/v1/admin/locales', { locales: ['en', 'fr'] }), 200);
    r = await anon(`/api/v1/products/${prod.id}`, { 'Accept-Language': 'fr' });
    assert.equal(r.body.title, 'Chemise');
  });

  /** Posts CSV to the import and waits for its run; returns the finished run. */
  async function importCsv(csv) {
    const r = await api(srv, 'POST', '/api/v1/admin/imports', { key: true, rawBody: csv, headers: { 'Content-Type': 'text/csv' } });
    assert.equal(r.status, 202, r.text);
    for (let i = 0; i < 300; i++) {
      const g = must(await admin('GET', `/api/v1/admin/imports/${r.body.id}`), 200);
      if (g.state === 'done' || g.state === 'failed') return g;
      await sleep(100);
    }
    assert.fail('the import job did not finish in 30 s');
  }

  it('imports and exports translations as one CSV column per locale, and round-trips', async () => {
    must(await admin('PUT', '/api/v1/admin/locales', { locales: ['en', 'fr', 'de'] }), 200);
    const csv = 'Handle,Title,Body (HTML),Status,Variant SKU,Variant Price,Title (fr),Body (HTML) (FR),Title (de)\r\n' +
      'lin-tee,Linen tee,<p>A tee.</p>,active,LT-1,10.00,T-shirt en lin,<p>Un t-shirt.</p>,\r\n';
    const run = await importCsv(csv);
    assert.equal(run.state, 'done', JSON.stringify(run));
    let fr = must(await anon('/api/v1/products/lin-tee?locale=fr'), 200);
    assert.equal(fr.title, 'T-shirt en lin');
    assert.equal(fr.description, 'Un t-shirt.');
    const de = must(await anon('/api/v1/products/lin-tee?locale=de'), 200);
    assert.equal(de.title, 'Linen tee', 'an empty cell is no translation');

    const out = await admin('GET', '/api/v1/admin/exports/products');
    assert.equal(out.status, 200);
    const lines = out.text.split('\r\n');
    assert.ok(lines[0].endsWith(',Title (fr),Body (HTML) (fr),Title (de),Body (HTML) (de)'), lines[0]);
    const row = lines.find((l) => l.startsWith('lin-tee,'));
    assert.ok(row.endsWith(',T-shirt en lin,<p>Un t-shirt.</p>,,'), row);
    assert.ok(lines.find((l) => l.includes(',Chemise,')), 'the earlier product\'s French title');
    const back = await importCsv(out.text);
    assert.equal(back.state, 'done');
    assert.equal(back.stats.error_rows, 0);
    const again = await admin('GET', '/api/v1/admin/exports/products');
    assert.equal(again.text, out.text, 'export → import → export is stable');

    // a cell emptied removes that translation
    const cleared = await importCsv(csv.replace(',T-shirt en lin,', ',,'));
    assert.equal(cleared.state, 'done');
    fr = must(await anon('/api/v1/products/lin-tee?locale=fr'), 200);
    assert.equal(fr.title, 'Linen tee');
    assert.equal(fr.description, 'Un t-shirt.');
  });

  it('refuses translation columns of a locale the store does not have, or that is no tag', async () => {
    const run = await importCsv('Handle,Title,Title (es)\r\nx-tee,X tee,Camiseta\r\n');
    assert.equal(run.state, 'failed');
    assert.match(JSON.stringify(run), /es, which is not one of the store's locales/);
    const r = await api(srv, 'POST', '/api/v1/admin/imports', { key: true, rawBody: 'Handle,Title,Title (not a tag)\r\nx,X\r\n', headers: { 'Content-Type': 'text/csv' } });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.error.code, 'VALIDATION_ERROR');
  });

  it('shows the storefront product page in the locale chosen, marked with lang, with hreflang links', async () => {
    const page = async (path, headers = {}) => {
      const r = await fetch(srv.url + path, { headers });
      return { status: r.status, headers: r.headers, text: await r.text() };
    };
    for (let round = 0; round < 2; round++) { // the second round comes from the page cache
      const fr = await page(`/p/${prod.slug}`, { 'Accept-Language': 'fr-FR,fr;q=0.9' });
      assert.equal(fr.status, 200);
      assert.match(fr.text, /<h1 lang="fr">Chemise<\/h1>/);
      assert.match(fr.text, new RegExp(`<link rel="canonical" href="[^"]*/p/${prod.slug}\\?locale=fr">`));
      for (const tag of ['en', 'fr', 'de', 'x-default'])
        assert.match(fr.text, new RegExp(`<link rel="alternate" hreflang="${tag}" href="[^"]*/p/${prod.slug}${tag === 'fr' || tag === 'de' ? `\\?locale=${tag}` : ''}">`));
      const en = await page(`/p/${prod.slug}`);
      assert.match(en.text, new RegExp(`<h1>${prod.title}</h1>`), 'the default locale: as before');
      assert.match(en.text, new RegExp(`<link rel="canonical" href="[^"]*/p/${prod.slug}">`));
      const de = await page(`/p/${prod.slug}?locale=de`);
      assert.match(de.text, new RegExp(`<h1 lang="en">${prod.title}</h1>`), 'no German title: the English one, marked English');
      assert.match(fr.text, /<div class="description" lang="(en|fr)">/);
    }
    assert.equal((await page(`/p/${prod.slug}?locale=es`)).status, 400);
  });

  it('writes order e-mails in the language of the checkout: French for fr, English otherwise', async () => {
    const wh = await warehouse(srv);
    const p = await product(srv, { title: 'Mail test', variants: [{ price: 1500, stock: 10 }], wh });
    const buy = async (email, headers) => {
      const who = await guestCart(srv, [[p.variants[0].id, 1]]);
      return must(await checkout(srv, who, { body: { shipping_address: ADDRESS, payment_method: '4242424242424242', email }, headers }), 201);
    };
    const tag = Math.random().toString(36).slice(2, 8);
    const frMail = `fr-${tag}@example.com`, enMail = `en-${tag}@example.com`, deMail = `de-${tag}@example.com`;
    const frOrder = await buy(frMail, { 'Accept-Language': 'fr-CA, en;q=0.5' });
    const enOrder = await buy(enMail, {});
    await buy(deMail, { 'Accept-Language': 'de' });
    const mailOf = async (to) => {
      for (let i = 0; i < 150; i++) {
        const m = must(await admin('GET', `/api/v1/admin/mail?to=${encodeURIComponent(to)}`), 200).data;
        if (m.length) return m[0];
        await sleep(100);
      }
      assert.fail(`no mail to ${to}`);
    };
    const fr = await mailOf(frMail);
    assert.equal(fr.subject, `Votre commande ${frOrder.id} est confirmée`);
    const en = await mailOf(enMail);
    assert.equal(en.subject, `Your order ${enOrder.id} is confirmed`);
    const de = await mailOf(deMail);
    assert.match(de.subject, /^Your order .* is confirmed$/, 'German has no texts yet: English');

    // the storefront's checkout passes the browser's language on to the order
    const b = new Browser(srv);
    const pg = await b.get(`/p/${p.product.slug}`);
    assert.equal((await b.post('/cart/add', { csrf: inputValue(pg.text, 'csrf'), variant: p.variants[0].id, quantity: '1' })).status, 303);
    const co = await b.get('/checkout');
    const webMail = `web-${tag}@example.com`;
    const done = await b.post('/checkout', {
      csrf: inputValue(co.text, 'csrf'), idem: inputValue(co.text, 'idem'),
      expected_amount: inputValue(co.text, 'expected_amount'), expected_currency: inputValue(co.text, 'expected_currency'),
      email: webMail, name: 'Anne Martin', line1: '1 rue de la Paix', city: 'Paris', postal_code: '75002', country: 'FR',
      card: '4242424242424242',
    }, { 'Accept-Language': 'fr-FR,fr;q=0.9,en;q=0.5' });
    assert.equal(done.status, 303, done.text.slice(0, 500));
    assert.match((await mailOf(webMail)).subject, /^Votre commande .* est confirmée$/);
  });
});
