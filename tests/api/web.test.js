// The storefront's pages (src/web, docs/web.md) over HTTP, as a browser
// without JavaScript uses them: content types and security headers, hostile
// titles and queries escaped, JSON-LD that parses, CSRF refusals, a guest who
// buys through the forms alone, a declined card, a double-submitted checkout,
// robots.txt and a well-formed sitemap.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { warehouse } from './lib/checkout_util.js';
import { Browser, inputValue, jsonLd, webProduct, HOSTILE, decode } from './lib/web_util.js';

const CSP = /default-src 'none'; script-src 'self'; style-src 'self'.*form-action 'self'.*frame-ancestors 'none'/;

function assertPage(r, status = 200) {
  assert.equal(r.status, status, r.text.slice(0, 500));
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(r.headers.get('content-security-policy'), CSP);
  assert.doesNotMatch(r.headers.get('content-security-policy'), /unsafe-inline|unsafe-eval/);
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(r.headers.get('referrer-policy'));
  assert.match(r.text, /^<!doctype html>\n<html lang="en">/);
  assert.match(r.text, /<a class="skip" href="#main">/);
  assert.match(r.text, /<main id="main"/);
}

/** every tag of HTML whose name is script: only ours (src=/assets/…) and JSON-LD */
function scripts(html) {
  return [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
}

const checkoutFields = (page, card, extra = {}) => ({
  csrf: inputValue(page, 'csrf'),
  idem: inputValue(page, 'idem'),
  expected_amount: inputValue(page, 'expected_amount'),
  expected_currency: inputValue(page, 'expected_currency'),
  email: 'ann@example.com', name: 'Ann Smith', line1: '1 High Street', city: 'London', postal_code: 'N1 9GU',
  country: 'GB', card, ...extra,
});

describe('storefront cookies behind a trusted TLS proxy', () => {
  let srv;
  before(async () => { srv = await startServer({ env: { SOUK_TRUST_PROXY: '1' } }); });
  after(async () => { if (srv) await srv.stop(); });

  it('get Secure only when the trusted proxy says https', async () => {
    const b = new Browser(srv);
    const tls = await b.get('/cart', { 'x-forwarded-proto': 'https' });
    assert.equal(tls.status, 200);
    assert.match(tls.headers.getSetCookie().find((c) => c.startsWith('souk_csrf=')), /; HttpOnly; SameSite=Lax; Secure$/);
    const plain = await new Browser(srv).get('/cart', { 'x-forwarded-proto': 'http' });
    assert.doesNotMatch(plain.headers.getSetCookie().find((c) => c.startsWith('souk_csrf=')), /Secure/);
  });
});

describe('storefront pages', () => {
  let srv, wh, plain, hostile;

  before(async () => {
    srv = await startServer({ products: 30, seed: 11, env: { SOUK_PUBLIC_URL: 'https://shop.example.com' } });
    wh = await warehouse(srv, 'web');
    plain = await webProduct(srv, wh, 'Web Lantern', [{ title: 'Small', price: 1250, stock: 50 }, { title: 'Large', price: 2500, stock: 0 }],
      { description: 'A lantern for the web test.' });
    hostile = await webProduct(srv, wh, HOSTILE, [{ title: '</script><b>x</b>', price: 999, stock: 5 }],
      { description: `</script><script>window.__pwned=3</script> & "quoted"` });
  });

  after(async () => { if (srv) await srv.stop(); });

  it('the home page lists categories and products, cacheable, with canonical and OpenGraph', async () => {
    const b = new Browser(srv);
    const r = await b.get('/');
    assertPage(r);
    assert.match(r.headers.get('cache-control'), /^public/);
    assert.match(r.text, /<link rel="canonical" href="https:\/\/shop\.example\.com\/">/);
    assert.match(r.text, /<meta property="og:title" content="Shop">/);
    assert.match(r.text, /href="\/c\/[a-z0-9-]+"/);
    assert.match(r.text, /href="\/p\/[a-z0-9-]+"/);
    assert.equal(r.headers.getSetCookie().length, 0, 'a cacheable page sets no cookie');
    for (const s of scripts(r.text)) assert.match(s, /^<script (src="\/assets\/site\.[0-9a-f]{16}\.js" defer|type="application\/ld\+json")>$/);
  });

  it('assets are served by hashed name, cached immutable; another name is 404', async () => {
    const b = new Browser(srv);
    const home = (await b.get('/')).text;
    for (const [re, type] of [[/href="(\/assets\/site\.[0-9a-f]{16}\.css)"/, 'text/css'], [/src="(\/assets\/site\.[0-9a-f]{16}\.js)"/, 'text/javascript']]) {
      const path = re.exec(home)[1];
      const r = await b.get(path);
      assert.equal(r.status, 200);
      assert.ok(r.headers.get('content-type').startsWith(type));
      assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.ok(r.headers.get('etag'));
    }
    assert.equal((await b.get('/assets/site.0000000000000000.css')).status, 404);
  });

  it('a category page filters by price, sorts, pages, and refuses bad filters with 400', async () => {
    const b = new Browser(srv);
    const home = (await b.get('/')).text;
    const slug = /href="\/c\/([a-z0-9-]+)"/.exec(home)[1];
    const r = await b.get(`/c/${slug}?sort=price_asc&min=0&max=100000`);
    assertPage(r);
    assert.match(r.text, /<option value="price_asc" selected>/);
    assert.match(r.text, /<meta name="robots" content="noindex">/, 'filtered views are not indexed');
    assertPage(await b.get(`/c/${slug}?min=abc`), 400);
    assertPage(await b.get(`/c/${slug}?bogus=1`), 400);
    assertPage(await b.get('/c/no-such-category'), 404);
  });

  it('a product page shows variants as radio buttons, stock, and JSON-LD that parses', async () => {
    const b = new Browser(srv);
    const r = await b.get(`/p/${plain.slug}`);
    assertPage(r);
    assert.equal(r.headers.get('cache-control'), 'no-store', 'the form carries the visitor\'s CSRF token');
    assert.match(r.text, /<input type="radio" name="variant"[^>]*value="var_[^"]+"[^>]*checked>/);
    assert.match(r.text, /Sold out/);
    assert.match(r.text, /<form method="post" action="\/cart\/add">/);
    const [product, crumbs] = jsonLd(r.text);
    assert.equal(product['@type'], 'Product');
    assert.equal(product.name, 'Web Lantern');
    assert.deepEqual(product.offers.map((o) => [o.price, o.priceCurrency, o.availability.replace('https://schema.org/', '')]),
      [['12.50', 'USD', 'InStock'], ['25.00', 'USD', 'OutOfStock']]);
    assert.equal(crumbs['@type'], 'BreadcrumbList');
    assert.equal(crumbs.itemListElement.at(-1).item, `https://shop.example.com/p/${plain.slug}`);
    assert.match(r.text, /<meta property="og:type" content="product">/);
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith('souk_csrf='));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /; Secure$/, 'the shop\'s public origin is https: Secure');
    assertPage(await b.get('/p/no-such-product'), 404);
  });

  it('a product page rendered once for everyone still carries each visitor\'s own token, and follows the catalog and the stock', async () => {
    const item = await webProduct(srv, wh, 'Web Cached Kettle', [{ title: 'Steel', price: 4000, stock: 3 }], { description: 'Kept rendered.' });
    const [a, b] = [new Browser(srv), new Browser(srv)];
    const ra = await a.get(`/p/${item.slug}`);
    const rb = await b.get(`/p/${item.slug}`);
    assertPage(ra);
    assertPage(rb);
    const [ta, tb] = [inputValue(ra.text, 'csrf'), inputValue(rb.text, 'csrf')];
    assert.match(ta, /^[0-9a-f]{32}$/);
    assert.match(tb, /^[0-9a-f]{32}$/);
    assert.notEqual(ta, tb, 'each browser its own token');
    assert.doesNotMatch(ra.text, /souk:/, 'no slot left unfilled');
    assert.doesNotMatch(ra.text, /name="souk-csrf"/, 'a guest gets no session meta');
    // the same page otherwise (the recommendation lists may have been republished between the two)
    const norecs = (t) => t.replace(/<section class="recs"[\s\S]*?<\/section>\n/g, '');
    assert.equal(norecs(ra.text.replaceAll(ta, 'T')), norecs(rb.text.replaceAll(tb, 'T')), 'the same page otherwise');
    // each token works for its own browser's form
    const variant = /name="variant"[^>]*value="(var_[^"]+)"/.exec(ra.text)[1];
    assert.equal((await a.post('/cart/add', { csrf: ta, variant, quantity: '1' })).status, 303);
    assert.equal((await b.post('/cart/add', { csrf: ta, variant, quantity: '1' })).status, 403);
    // a catalog change shows at once, and so does selling out
    const pid = /data-product="(prod_[^"]+)"/.exec(ra.text)[1];
    assert.equal((await api(srv, 'PATCH', `/api/v1/products/${pid}`, { key: true, body: { title: 'Web Cached Kettle Two' } })).status, 200);
    assert.match((await a.get(`/p/${item.slug}`)).text, /<h1>Web Cached Kettle Two<\/h1>/);
    assert.equal((await api(srv, 'PUT', `/api/v1/variants/${variant}/stock/${wh.id}`, { key: true, body: { on_hand: 0, reason: 'gone' } })).status, 200);
    let sold = '';
    for (let i = 0; i < 40 && !/Sold out/.test(sold); i++) {
      sold = (await b.get(`/p/${item.slug}`)).text;
      if (!/Sold out/.test(sold)) await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(sold, /Sold out/);
  });

  it('a product page shows similar products once recommendations are served, with the list for click events', async () => {
    const sibling = await webProduct(srv, wh, 'Web Lantern Deluxe', [{ title: 'One', price: 3000, stock: 5 }],
      { description: 'A lantern for the web test, larger.' });
    const b = new Browser(srv);
    let r;
    const deadline = Date.now() + 10_000;
    do { // the recommendation snapshot is built in the background, within a second or two of a catalog change
      r = await b.get(`/p/${plain.slug}`);
      if (r.text.includes(`/p/${sibling.slug}"`) || Date.now() > deadline) break;
      await new Promise((ok) => setTimeout(ok, 200));
    } while (true);
    assertPage(r);
    assert.match(r.text, /<article class="product" data-product="prod_[0-9A-Z]{13}">/);
    const sec = r.text.match(/<section class="recs" aria-labelledby="similar-h" data-list="similar"[^>]*>[\s\S]*?<\/section>/);
    assert.ok(sec, 'a "Similar products" section (content similarity: no model is trained here)');
    const cards = [...sec[0].matchAll(/<li class="card" data-product="(prod_[0-9A-Z]{13})"><h3><a href="\/p\/([^"]+)">/g)];
    assert.ok(cards.length >= 1 && cards.length <= 4, `${cards.length} cards`);
    assert.ok(!cards.some((c) => c[2] === plain.slug), 'never the product itself');
    assert.ok(cards.some((c) => c[2] === sibling.slug), 'the product with the same words is among them');
  });

  it('hostile titles, descriptions and queries render as text, and JSON-LD cannot close its script', async () => {
    const b = new Browser(srv);
    const r = await b.get(`/p/${hostile.slug}`);
    assertPage(r);
    assert.ok(!r.text.includes('<script>window.__pwned'), 'no live script from the title or description');
    assert.ok(!r.text.includes('<img src=x'), 'no live element from the title');
    assert.ok(!r.text.includes('<b>x</b>'), 'no live element from a variant title');
    assert.ok(r.text.includes('&lt;script&gt;window.__pwned=1&lt;/script&gt;'));
    for (const s of scripts(r.text)) assert.match(s, /^<script (src="\/assets\/site\.[0-9a-f]{16}\.js" defer|type="application\/ld\+json")>$/);
    const [product] = jsonLd(r.text);
    assert.equal(product.name, HOSTILE, 'JSON-LD keeps the title exactly, escaped as \\u003c…');
    const title = /<title>([^<]*)<\/title>/.exec(r.text)[1];
    assert.equal(decode(title), `${HOSTILE} — souk`);
    const q = '"><script>window.__pwned=4</script>';
    const s = await b.get(`/search?q=${encodeURIComponent(q)}`);
    assertPage(s);
    assert.ok(!s.text.includes('<script>window.__pwned=4'));
    assert.equal(inputValue(s.text, 'q'), q, 'the search box shows the query as typed');
  });

  it('search forgives a typo and pages through results', async () => {
    const b = new Browser(srv);
    let r;
    for (let i = 0; i < 50; i++) { // the index catches up with new products within moments
      r = await b.get('/search?q=lantren');
      if (r.status === 200 && r.text.replace(/<\/?mark>/g, '').includes('Web Lantern')) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assertPage(r);
    assert.ok(r.text.replace(/<\/?mark>/g, '').includes('Web Lantern'), 'lantren finds the lantern');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    // the brand facet narrows the results and says which brand is chosen
    let demo;
    for (let i = 0; i < 50; i++) {
      demo = await b.get('/search?q=a');
      if (/brand=brand_/.test(demo.text)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const link = /href="(\/search\?q=a&amp;brand=brand_[0-9A-Z]+)"/.exec(demo.text);
    assert.ok(link, 'a brand facet link');
    const narrowed = await b.get(decode(link[1]));
    assertPage(narrowed);
    assert.match(narrowed.text, /aria-current="true"/);
    assert.match(narrowed.text, />All brands</);
    const count = (t) => Number(/role="status">(\d+) product/.exec(t)[1]);
    assert.ok(count(narrowed.text) <= count(demo.text));
    assertPage(await b.get('/search?q=a&brand=nope'), 400);
    assertPage(await b.get('/search?q=a&evil=1'), 400);
    const empty = await b.get('/search');
    assertPage(empty);
    assertPage(await b.get('/search?q=a&page=99'), 400);
  });

  it('form POSTs without the CSRF token, with a wrong one or another browser\'s are refused with 403', async () => {
    const b = new Browser(srv);
    const page = (await b.get(`/p/${plain.slug}`)).text;
    const variant = plain.variants[0].id;
    const good = inputValue(page, 'csrf');
    assertPage(await b.post('/cart/add', { variant, quantity: '1' }), 403);
    assertPage(await b.post('/cart/add', { csrf: '0'.repeat(32), variant, quantity: '1' }), 403);
    const other = new Browser(srv);
    await other.get(`/p/${plain.slug}`);
    assertPage(await other.post('/cart/add', { csrf: good, variant, quantity: '1' }), 403);
    assertPage(await b.post('/checkout', { idem: 'k'.repeat(20), expected_amount: '0', expected_currency: 'USD' }), 403);
    assertPage(await b.post('/cart/update', { variant, quantity: '0' }), 403);
    const ok = await b.post('/cart/add', { csrf: good, variant, quantity: '1' });
    assert.equal(ok.status, 303, ok.text);
    // not a form at all
    const raw = await fetch(srv.url + '/cart/add', { method: 'POST', headers: { 'content-type': 'application/json', cookie: b.cookieHeader() }, body: '{}' });
    assert.equal(raw.status, 400);
  });

  it('a guest buys through the forms alone and sees the confirmation; a double submit pays once', async () => {
    const b = new Browser(srv);
    const page = (await b.get(`/p/${plain.slug}`)).text;
    const add = await b.post('/cart/add', { csrf: inputValue(page, 'csrf'), variant: plain.variants[0].id, quantity: '2' });
    assert.equal(add.status, 303);
    assert.equal(add.location, '/cart?m=added');
    const cartCookie = add.headers.getSetCookie().find((c) => c.startsWith('souk_cart='));
    assert.match(cartCookie, /^souk_cart=ct_[^;]+; Path=\/; Max-Age=604800; HttpOnly; SameSite=Lax; Secure$/);
    const cart = await b.get(add.location);
    assertPage(cart);
    assert.equal(cart.headers.get('cache-control'), 'no-store');
    assert.match(cart.text, /role="status" aria-live="polite"><p class="notice">Added to your cart\./);
    assert.match(cart.text, /USD 25\.00/);
    // crawlable (ADR 0009): no noindex, one canonical URL whatever the query, and described
    assert.doesNotMatch(cart.text, /<meta name="robots"/);
    assert.match(cart.text, /<link rel="canonical" href="https:\/\/shop\.example\.com\/cart">/);
    assert.match(cart.text, /<meta name="description" content="Your cart: change quantities, apply a coupon, choose the delivery and check out\.">/);
    // change the quantity, then back
    const upd = await b.post('/cart/update', { csrf: inputValue(cart.text, 'csrf'), variant: plain.variants[0].id, quantity: '3' });
    assert.equal(upd.location, '/cart?m=updated');
    assert.match((await b.get('/cart')).text, /USD 37\.50/);
    const co = await b.get('/checkout');
    assertPage(co);
    assert.equal(co.headers.get('cache-control'), 'no-store');
    assert.match(inputValue(co.text, 'idem'), /^web-[0-9a-f]{32}$/);
    assert.equal(inputValue(co.text, 'expected_amount'), '3750');
    for (const id of ['f-email', 'f-name', 'f-line1', 'f-city', 'f-postal_code', 'f-country', 'f-card'])
      assert.match(co.text, new RegExp(`<label for="${id}">`), `${id} has a label`);
    // server-side validation, inline
    const bad = await b.post('/checkout', checkoutFields(co.text, '4242', { email: 'not-an-address', country: 'gb' }));
    assertPage(bad, 422);
    assert.match(bad.text, /<span class="error" id="e-email">/);
    assert.match(bad.text, /<span class="error" id="e-country">/);
    assert.match(bad.text, /<span class="error" id="e-card">/);
    assert.match(bad.text, /aria-invalid="true" aria-describedby="e-email"/);
    assert.equal(inputValue(bad.text, 'line1'), '1 High Street', 'what was typed stays');
    // pay, twice with the same form (a double click)
    const fields = checkoutFields(co.text, '4242424242424242');
    const [one, two] = await Promise.all([b.post('/checkout', fields), b.post('/checkout', fields)]);
    assert.equal(one.status, 303, one.text.slice(0, 800));
    assert.equal(two.status, 303, two.text.slice(0, 800));
    assert.equal(one.location, two.location, 'the same order both times');
    assert.match(one.location, /^\/order\/ord_[0-9A-Z]+$/);
    const orderCookie = one.headers.getSetCookie().find((c) => c.startsWith('souk_order='));
    assert.match(orderCookie, /Path=\/order\/; Max-Age=86400; HttpOnly; SameSite=Lax/);
    const done = await b.get(one.location);
    assertPage(done);
    assert.match(done.text, /Thank you for your order/);
    assert.match(done.text, /Status: paid/);
    assert.equal(done.headers.get('cache-control'), 'no-store');
    // one order: the API agrees
    const id = one.location.split('/').pop();
    const orders = await fetch(`${srv.url}/api/v1/orders?q=ann@example.com&limit=100`, { headers: { authorization: `Bearer ${srv.adminKey}` } }).then((r) => r.json());
    assert.equal(orders.data.filter((o) => o.id === id).length, 1);
    assert.equal(orders.data.filter((o) => o.total?.amount === 3750 || o.totals?.total?.amount === 3750).length, 1, 'paid once');
    // the cart is empty now, and another browser cannot open the order
    assert.match((await b.get('/cart')).text, /Your cart is empty/);
    assertPage(await new Browser(srv).get(one.location), 404);
  });

  it('a declined card is explained, nothing is charged, and the next attempt uses a new key', async () => {
    const b = new Browser(srv);
    const page = (await b.get(`/p/${plain.slug}`)).text;
    await b.post('/cart/add', { csrf: inputValue(page, 'csrf'), variant: plain.variants[0].id, quantity: '1' });
    const co = await b.get('/checkout');
    const r = await b.post('/checkout', checkoutFields(co.text, '4000000000000002'));
    assertPage(r, 402);
    assert.match(r.text, /Your card was declined\. Nothing was charged/);
    assert.notEqual(inputValue(r.text, 'idem'), inputValue(co.text, 'idem'));
    const again = await b.post('/checkout', checkoutFields(r.text, '4242424242424242'));
    assert.equal(again.status, 303, again.text.slice(0, 800));
  });

  it('a checkout past the stock is explained as 409', async () => {
    const b = new Browser(srv);
    const scarce = await webProduct(srv, wh, 'Scarce Web Item', [{ title: 'Only', price: 500, stock: 1 }]);
    const page = (await b.get(`/p/${scarce.slug}`)).text;
    await b.post('/cart/add', { csrf: inputValue(page, 'csrf'), variant: scarce.variants[0].id, quantity: '3' });
    const co = await b.get('/checkout');
    const r = await b.post('/checkout', checkoutFields(co.text, '4242424242424242'));
    assertPage(r, 409);
    assert.match(r.text, /no longer available in the quantity you asked for/);
  });

  it('robots.txt and a well-formed, paged sitemap', async () => {
    const b = new Browser(srv);
    const robots = await b.get('/robots.txt');
    assert.equal(robots.status, 200);
    assert.match(robots.text, /Disallow: \/checkout/);
    assert.match(robots.text, /Disallow: \/cart\/\n/); // the cart's form targets, not the cart page (ADR 0009)
    assert.doesNotMatch(robots.text, /Disallow: \/cart\n/);
    assert.match(robots.text, /Disallow: \/account\n/);
    assert.match(robots.text, /Disallow: \/track\n/);
    assert.match(robots.text, /Sitemap: https:\/\/shop\.example\.com\/sitemap\.xml/);
    const idx = await b.get('/sitemap.xml');
    assert.equal(idx.status, 200);
    assert.equal(idx.headers.get('content-type'), 'application/xml; charset=utf-8');
    assert.match(idx.text, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<sitemapindex xmlns="http:\/\/www\.sitemaps\.org\/schemas\/sitemap\/0\.9">/);
    const locs = [...idx.text.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => decode(m[1]));
    assert.ok(locs.length >= 2);
    const urls = [];
    for (const loc of locs) {
      assert.ok(loc.startsWith('https://shop.example.com/'));
      const page = await b.get(loc.replace('https://shop.example.com', ''));
      assert.equal(page.status, 200, loc);
      assert.match(page.text, /^<\?xml [^>]+>\n<urlset xmlns="http:\/\/www\.sitemaps\.org\/schemas\/sitemap\/0\.9">\n/);
      assert.match(page.text, /<\/urlset>\n$/);
      // well-formed: balanced url/loc elements, no raw & or <
      const body = page.text.replace(/^<\?xml[^>]*>\n/, '');
      assert.equal((body.match(/<url>/g) || []).length, (body.match(/<\/url>/g) || []).length);
      assert.doesNotMatch(body.replace(/<\/?(urlset[^>]*|url|loc)>/g, ''), /[<>]|&(?!amp;|lt;|gt;|quot;|#39;)/);
      urls.push(...[...page.text.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]));
    }
    assert.ok(urls.includes(`https://shop.example.com/p/${plain.slug}`));
    assert.ok(urls.some((u) => u.includes('/c/')));
  });

  it('the API and platform routes are untouched by the storefront', async () => {
    const r = await fetch(srv.url + '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
    const nf = await fetch(srv.url + '/api/v1/nothing');
    assert.equal(nf.status, 404);
    assert.match(nf.headers.get('content-type'), /application\/json/);
  });
});
