// The storefront's reviews and sale prices (docs/web.md) against a real server:
// the product page shows the approved reviews with the average (stars, JSON-LD
// aggregateRating) and a review form; a post from a signed-in customer who
// received the product is taken (pending moderation), anyone else is told why
// (sign in first, 403 not a buyer, 409 twice, 422 a bad field with the form
// kept); a hostile review renders as text; while a flash sale runs, the product
// page, the category page's cards and the JSON-LD offer show the sale price
// beside the regular one struck through.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { warehouse, deliveredOrder, must } from './lib/orders_util.js';
import { Browser, inputValue, jsonLd, webProduct, HOSTILE } from './lib/web_util.js';
import { token } from './lib/util.js';

describe('storefront reviews and sale prices', () => {
  let srv, wh, prod, other;
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });

  /** A browser signed in as WHO through the sign-in form. */
  async function signedIn(who) {
    const b = new Browser(srv);
    const page = await b.get('/account/signin');
    const r = await b.post('/account/signin', { csrf: inputValue(page.text, 'csrf'), next: '/account', email: who.email, password: who.password });
    assert.equal(r.status, 303, r.text.slice(0, 500));
    return b;
  }

  /** Posts the product page's review form in browser B with FIELDS. */
  async function postReview(b, fields) {
    const page = await b.get(`/p/${prod.slug}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(`action="/p/${prod.slug}/review"`), 'the page has the review form');
    return b.post(`/p/${prod.slug}/review`, { csrf: inputValue(page.text, 'csrf'), ...fields });
  }

  before(async () => {
    srv = await startServer({});
    wh = await warehouse(srv);
    const cat = must(await admin('POST', '/api/v1/categories', { name: `Reviewed things ${token()}` }), 201);
    prod = await webProduct(srv, wh, `Reviewed kettle ${token()}`, [{ price: 2500, stock: 50 }], { category_id: cat.id });
    prod.category = cat;
    other = await webProduct(srv, wh, `Unreviewed toaster ${token()}`, [{ price: 3000, stock: 5 }], { category_id: cat.id });
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('a product without reviews says so, and carries the form', async () => {
    const r = await new Browser(srv).get(`/p/${other.slug}`);
    assert.equal(r.status, 200);
    assert.match(r.text, /<h2 id="reviews-h">Reviews<\/h2>\n<p class="rating muted">No reviews yet\.<\/p>/);
    assert.match(r.text, /<form class="review-form" method="post" action="\/p\/[^"]+\/review">/);
    assert.equal(jsonLd(r.text)[0].aggregateRating, undefined, 'no rating claimed without reviews');
  });

  it('only a signed-in customer who received the product may review it, once', async () => {
    // anonymous: to the sign-in page, and back to the form
    const anon = new Browser(srv);
    let r = await postReview(anon, { rating: '5', title: 'x', body: 'y' });
    assert.equal(r.status, 303);
    assert.match(r.location, /^\/account\/signin\?next=/);
    assert.equal(decodeURIComponent(r.location.split('next=')[1]), `/p/${prod.slug}#write-h`);

    const stranger = await register(srv, { name: 'Never Bought' });
    r = await postReview(await signedIn(stranger), { rating: '4', title: 'Looks nice', body: 'Never had one.' });
    assert.equal(r.status, 403, r.text.slice(0, 400));
    assert.match(r.text, /Only a customer who received this product in a delivered order may review it\./);

    const buyer = await register(srv, { name: 'Buyer One' });
    await deliveredOrder(srv, buyer, prod.variants[0].id);
    const b = await signedIn(buyer);
    // a bad field: 422 with the form again, keeping what was typed (as text)
    r = await postReview(b, { rating: '7', title: HOSTILE.slice(0, 140), body: 'Fine kettle.' });
    assert.equal(r.status, 422);
    assert.match(r.text, /Choose a rating from 1 to 5 stars\./);
    assert.ok(!r.text.includes('<script>window.__pwned'), 'the kept title is escaped');
    assert.ok(r.text.includes('&lt;script&gt;window.__pwned=1&lt;/script&gt;'));
    assert.match(r.text, /<textarea id="review-body" name="body"[^>]*>Fine kettle\.<\/textarea>/);

    r = await postReview(b, { rating: '4', title: HOSTILE.slice(0, 140), body: `Boils fast.\n${HOSTILE}` });
    assert.equal(r.status, 201, r.text.slice(0, 400));
    assert.match(r.text, /<h1>Thank you for your review<\/h1>/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    r = await postReview(b, { rating: '5', title: 'Again', body: 'Second thoughts.' });
    assert.equal(r.status, 409);
    assert.match(r.text, /You have reviewed this product already/);

    // pending reviews are not public
    r = await new Browser(srv).get(`/p/${prod.slug}`);
    assert.match(r.text, /No reviews yet\./);

    // approved: on the page (escaped), with stars, count and the JSON-LD rating
    const queue = must(await admin('GET', `/api/v1/admin/reviews?status=pending&product_id=${prod.id}`), 200);
    assert.equal(queue.data.length, 1);
    must(await admin('POST', `/api/v1/admin/reviews/${queue.data[0].id}/moderation`, { status: 'approved' }), 200);
    const second = await register(srv, { name: 'Buyer Two' });
    await deliveredOrder(srv, second, prod.variants[0].id);
    r = await postReview(await signedIn(second), { rating: '5', title: 'Perfect', body: 'Best kettle I have owned.' });
    assert.equal(r.status, 201);
    const q2 = must(await admin('GET', `/api/v1/admin/reviews?status=pending&product_id=${prod.id}`), 200);
    must(await admin('POST', `/api/v1/admin/reviews/${q2.data[0].id}/moderation`, { status: 'approved' }), 200);

    r = await new Browser(srv).get(`/p/${prod.slug}`);
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes('<script>window.__pwned'), 'a hostile review renders as text');
    assert.ok(!r.text.includes('<img src=x'), 'no element from the review');
    assert.match(r.text, /<h3>Perfect<\/h3><p class="review-body">Best kettle I have owned\.<\/p>/);
    assert.match(r.text, /Rated <\/span>4\.5<span class="visually-hidden"> out of 5<\/span> \(2 reviews\)/);
    assert.equal((r.text.match(/<li class="review">/g) || []).length, 2);
    assert.match(r.text, /<span class="stars" aria-hidden="true">★★★★☆<\/span> <span class="visually-hidden">4 out of 5 stars/);
    const ld = jsonLd(r.text)[0];
    assert.deepEqual(ld.aggregateRating, { '@type': 'AggregateRating', ratingValue: 4.5, reviewCount: 2, bestRating: 5, worstRating: 1 });
    // the category page's card shows the rating too
    r = await new Browser(srv).get(`/c/${prod.category.slug}`);
    assert.equal(r.status, 200);
    assert.match(r.text, new RegExp(`/p/${prod.slug}">[^<]+</a></h3><p class="price">USD 25\\.00</p><p class="rating">`));
  });

  it('a running flash sale shows its price beside the struck-through regular one', async () => {
    const iso = (ms) => new Date(ms).toISOString();
    const sale = must(await admin('POST', '/api/v1/admin/promotions', {
      name: 'web flash', kind: 'percent', value: 2000, target: { kind: 'products', ids: [other.id] },
      flash_sale: true, starts_at: iso(Date.now() - 60_000), ends_at: iso(Date.now() + 3_600_000),
    }), 201);
    const b = new Browser(srv);
    let r = await b.get(`/p/${other.slug}`);
    assert.equal(r.status, 200);
    const was = '<del><span class="visually-hidden">was </span>USD 30.00</del>';
    const now = '<span class="sale"><span class="visually-hidden">Sale price </span>USD 24.00</span>';
    assert.ok(r.text.includes(`<span class="vprice">${now} ${was}</span>`), r.text.slice(r.text.indexOf('<fieldset'), r.text.indexOf('</fieldset>')));
    assert.ok(r.text.includes(`<span class="price" id="variant-price">${now} ${was}</span>`));
    const offer = jsonLd(r.text)[0].offers[0];
    assert.equal(offer.price, '24.00', 'structured data gives the price paid now');
    r = await b.get(`/c/${prod.category.slug}`);
    assert.ok(r.text.includes(`<p class="price">${now} ${was}</p>`), 'the card shows the sale');
    // the sale ends: the regular price alone again
    must(await admin('DELETE', `/api/v1/admin/promotions/${sale.id}`), 204);
    r = await b.get(`/p/${other.slug}`);
    assert.ok(r.text.includes('<span class="price" id="variant-price">USD 30.00</span>'), 'no sale price after the sale');
  });

  it('a cached category page does not outlive a flash sale\'s start or end', async () => {
    const iso = (ms) => new Date(ms).toISOString();
    const b = new Browser(srv);
    const card = async (path) => {
      const r = await b.get(path);
      assert.equal(r.status, 200);
      const at = r.text.indexOf(`/p/${other.slug}"`);
      assert.ok(at > 0, `${path} lists the product`);
      return r.text.slice(at, r.text.indexOf('</li>', at));
    };
    const path = `/c/${prod.category.slug}`;
    const start = Date.now() + 2000, end = start + 2000;
    must(await admin('POST', '/api/v1/admin/promotions', {
      name: 'web flash later', kind: 'percent', value: 5000, target: { kind: 'products', ids: [other.id] },
      flash_sale: true, starts_at: iso(start), ends_at: iso(end),
    }), 201);
    const early = await card(path); // cached from here on, until the sale's start
    if (Date.now() < start) assert.ok(!early.includes('class="sale"'), 'no sale price before the start');
    let during = '';
    for (let i = 0; i < 60 && !during.includes('USD 15.00'); i++) {
      during = await card(path);
      if (!during.includes('USD 15.00')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(during.includes('<span class="visually-hidden">Sale price </span>USD 15.00'), `the sale shows once it started: ${during}`);
    let after = during;
    for (let i = 0; i < 80 && after.includes('class="sale"'); i++) {
      after = await card(path);
      if (after.includes('class="sale"')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(!after.includes('class="sale"'), 'the sale price is gone after the end');
    assert.ok(after.includes('<p class="price">USD 30.00</p>'));
  });
});
