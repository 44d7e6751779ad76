// Product reviews (docs/reviews.md) against a real server: only verified buyers
// (a delivered order holding the product) may review, once per product; reviews
// wait for moderation and only approved ones are public; the average rating and
// count show in product detail, the product list and search (sort and filter)
// as soon as a moderator decides, through the response cache; helpful votes
// count once per account; erasure anonymises the author's reviews (text kept
// only when the shop's setting says so) and the export holds them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { warehouse, product, addLine, checkout, must } from './lib/orders_util.js';
import { sleep } from './lib/util.js';

describe('reviews and ratings', () => {
  let srv;
  let wh;
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  const as = (who, method, path, body) => api(srv, method, path, { key: who.access, body });

  /** A paid order of WHO for one unit of VARIANT; moved on to STATE (paid, shipped, delivered) by the admin key. */
  async function order(who, variant, state) {
    const cart = await api(srv, 'POST', '/api/v1/carts', { key: who.access, body: { currency: 'USD' } });
    assert.ok(cart.status === 201 || cart.status === 200, cart.text);
    await addLine(srv, { key: who.access }, variant.id, 1);
    const o = must(await checkout(srv, { key: who.access }, {
      body: { shipping_address: { name: 'Rita Reviewer', line1: '1 Review Road', city: 'Leeds', postal_code: 'LS1 1AA', country: 'GB' },
        payment_method: '4242424242424242' },
    }), 201);
    if (state === 'paid') return o;
    must(await admin('POST', `/api/v1/orders/${o.id}/fulfil`), 200);
    must(await admin('POST', `/api/v1/orders/${o.id}/ship`, { carrier: 'DHL', tracking: 'RV1' }), 200);
    if (state === 'shipped') return o;
    must(await admin('POST', `/api/v1/orders/${o.id}/deliver`), 200);
    return o;
  }
  const review = (who, productId, body) => as(who, 'POST', `/api/v1/products/${productId}/reviews`, body);
  const moderate = (id, status, note) => admin('POST', `/api/v1/admin/reviews/${id}/moderation`, note ? { status, note } : { status });
  const detail = async (id) => must(await api(srv, 'GET', `/api/v1/products/${id}`), 200);
  /** Product ID's row in the product list (newest first: the test's products are the newest). */
  const listRow = async (id) => {
    const r = must(await api(srv, 'GET', '/api/v1/products?sort=newest&limit=20'), 200);
    const row = r.data.find((x) => x.id === id);
    assert.ok(row, `product ${id} in the newest products`);
    return row;
  };
  /** Polls FN until it returns a truthy value (the search index rebuilds after a commit), at most ~10 s. */
  async function eventually(fn, what) {
    for (let i = 0; i < 100; i++) {
      const v = await fn();
      if (v) return v;
      await sleep(100);
    }
    assert.fail(`not seen in time: ${what}`);
  }

  const fx = {};
  before(async () => {
    srv = await startServer({});
    wh = await warehouse(srv);
    const tag = `Reviewable${Date.now().toString(36)}`;
    fx.tag = tag;
    fx.a = await product(srv, { title: `${tag} kettle`, variants: [{ price: 2500, stock: 50 }], wh });
    fx.b = await product(srv, { title: `${tag} toaster`, variants: [{ price: 3000, stock: 50 }], wh });
    fx.buyer = await register(srv, { name: 'Buyer One' });
    fx.buyer2 = await register(srv, { name: 'Buyer Two' });
    fx.waiting = await register(srv, { name: 'Still Waiting' });
    fx.stranger = await register(srv, { name: 'Never Bought' });
    await order(fx.buyer, fx.a.variants[0], 'delivered');
    await order(fx.buyer, fx.b.variants[0], 'delivered');
    await order(fx.buyer2, fx.a.variants[0], 'delivered');
    await order(fx.waiting, fx.a.variants[0], 'shipped');
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('only a verified buyer may review: 401 anonymous, 403 non-buyer, 403 undelivered order, 403 API key', async () => {
    const body = { rating: 5, title: 'Great', body: 'Boils quickly.' };
    expectError(await api(srv, 'POST', `/api/v1/products/${fx.a.product.id}/reviews`, { body }), 401, 'UNAUTHORIZED');
    expectError(await review(fx.stranger, fx.a.product.id, body), 403, 'FORBIDDEN');
    expectError(await review(fx.waiting, fx.a.product.id, body), 403, 'FORBIDDEN');
    expectError(await admin('POST', `/api/v1/products/${fx.a.product.id}/reviews`, body), 403, 'FORBIDDEN');
    // a buyer of product b is not a buyer of a product they did not get
    const other = await product(srv, { title: `${fx.tag} spare`, variants: [{ price: 100, stock: 5 }], wh });
    expectError(await review(fx.buyer, other.product.id, body), 403, 'FORBIDDEN');
    expectError(await review(fx.buyer, 'prod_0000000000000', body), 404, 'NOT_FOUND');
  });

  it('validates rating, title and text', async () => {
    const id = fx.a.product.id;
    expectError(await review(fx.buyer, id, { rating: 6, title: 'x', body: 'y' }), 422, 'VALIDATION_ERROR', 'rating');
    expectError(await review(fx.buyer, id, { rating: 0, title: 'x', body: 'y' }), 422, 'VALIDATION_ERROR', 'rating');
    expectError(await review(fx.buyer, id, { rating: 3, body: 'y' }), 422, 'VALIDATION_ERROR', 'title');
    expectError(await review(fx.buyer, id, { rating: 3, title: 'a\u0007b', body: 'y' }), 422, 'VALIDATION_ERROR', 'title');
    expectError(await review(fx.buyer, id, { rating: 3, title: 'two\nlines', body: 'y' }), 422, 'VALIDATION_ERROR', 'title');
    expectError(await review(fx.buyer, id, { rating: 3, title: 'x'.repeat(151), body: 'y' }), 422, 'VALIDATION_ERROR', 'title');
    expectError(await review(fx.buyer, id, { rating: 3, title: 'ok', body: 'é'.repeat(5001) }), 422, 'VALIDATION_ERROR', 'body');
    expectError(await review(fx.buyer, id, { rating: 3, title: 'ok', body: '   ' }), 422, 'VALIDATION_ERROR', 'body');
    expectError(await review(fx.buyer, id, { rating: 3, title: 'ok', body: 'y', extra: 1 }), 422, 'VALIDATION_ERROR', 'extra');
    const bad = Buffer.concat([Buffer.from('{"rating":3,"title":"ok","body":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const r = await api(srv, 'POST', `/api/v1/products/${id}/reviews`, { key: fx.buyer.access, rawBody: bad, headers: { 'Content-Type': 'application/json' } });
    expectError(r, 400, 'MALFORMED_JSON');
    // 5000 characters of two bytes each are fine
    fx.longBody = 'é'.repeat(5000);
  });

  it('one review per product per customer, pending until moderated, scored for sentiment', async () => {
    const r = must(await review(fx.buyer, fx.a.product.id, { rating: 4, title: 'Really good kettle', body: 'Boils fast and it is not noisy at all.\nVery happy with it; would buy again!' }), 201);
    assert.equal(r.status, 'pending');
    assert.equal(r.rating, 4);
    assert.equal(r.product_id, fx.a.product.id);
    assert.equal(r.user_id, fx.buyer.user.id);
    assert.equal(r.sentiment.label, 'positive');
    assert.ok(r.sentiment.score > 0.2 && r.sentiment.score <= 1);
    fx.r1 = r.id;
    expectError(await review(fx.buyer, fx.a.product.id, { rating: 1, title: 'Changed my mind', body: 'Meh.' }), 409, 'CONFLICT');
    // the same customer may review another product they received
    const b = must(await review(fx.buyer, fx.b.product.id, { rating: 2, title: 'Not good', body: fx.longBody }), 201);
    fx.rb = b.id;
    // nothing is public yet
    const pub = must(await api(srv, 'GET', `/api/v1/products/${fx.a.product.id}/reviews`), 200);
    assert.deepEqual(pub.data, []);
    assert.deepEqual(pub.rating, { average: null, count: 0 });
    const q = must(await admin('GET', `/api/v1/admin/reviews?status=pending&product_id=${fx.a.product.id}`), 200);
    assert.deepEqual(q.data.map((x) => x.id), [fx.r1]);
    assert.equal(q.total, 1);
  });

  it('approval puts the average and count into product detail, the list and search, through the cache', async () => {
    const id = fx.a.product.id;
    // warm the response cache with the unrated answers
    assert.deepEqual((await detail(id)).rating, { average: null, count: 0 });
    assert.deepEqual((await detail(id)).rating, { average: null, count: 0 });
    assert.deepEqual((await listRow(id)).rating, { average: null, count: 0 });
    const m = must(await moderate(fx.r1, 'approved', 'fine'), 200);
    assert.equal(m.status, 'approved');
    assert.equal(m.moderation.note, 'fine');
    assert.ok(m.moderation.by === null || /^usr_/.test(m.moderation.by));
    assert.deepEqual((await detail(id)).rating, { average: 4, count: 1 }, 'the cached detail went');
    assert.deepEqual((await listRow(id)).rating, { average: 4, count: 1 }, 'the cached list went');
    // a second buyer's review, approved: the average moves
    const r2 = must(await review(fx.buyer2, id, { rating: 1, title: 'Broke after a week', body: 'Terrible, it stopped working and leaks.' }), 201);
    assert.equal(r2.sentiment.label, 'negative');
    fx.r2 = r2.id;
    must(await moderate(r2.id, 'approved'), 200);
    assert.deepEqual((await detail(id)).rating, { average: 2.5, count: 2 });
    // rejecting takes it out again; moderating twice changes nothing
    must(await moderate(r2.id, 'rejected', 'abusive'), 200);
    must(await moderate(r2.id, 'rejected'), 200);
    assert.deepEqual((await detail(id)).rating, { average: 4, count: 1 });
    must(await moderate(fx.rb, 'approved'), 200);
    assert.deepEqual((await detail(fx.b.product.id)).rating, { average: 2, count: 1 });
    // search: the rating sort puts a (4) before b (2); rating_min=2 keeps both (so the index has b's rating),
    // rating_min=3 keeps a only (so it has a's latest); polled until the index has caught up with the decisions
    await eventually(async () => {
      const both = must(await api(srv, 'GET', `/api/v1/search?q=${fx.tag}&sort=rating&rating_min=2&limit=10`), 200);
      const one = must(await api(srv, 'GET', `/api/v1/search?q=${fx.tag}&rating_min=3`), 200);
      return JSON.stringify(both.data.map((x) => x.id)) === JSON.stringify([id, fx.b.product.id]) &&
        JSON.stringify(one.data.map((x) => x.id)) === JSON.stringify([id]);
    }, 'search sorted and filtered by rating');
    const f = must(await api(srv, 'GET', `/api/v1/search?q=${fx.tag}&sort=rating`), 200);
    assert.deepEqual(f.data.slice(0, 2).map((x) => x.id), [id, fx.b.product.id], 'rated first, highest first');
    assert.deepEqual(f.data[0].rating, { average: 4, count: 1 });
    assert.ok(f.data.slice(2).every((x) => x.rating.count === 0), 'unrated last');
    expectError(await api(srv, 'GET', `/api/v1/search?q=${fx.tag}&rating_min=6`), 422, 'VALIDATION_ERROR', 'rating_min');
    // the public list shows the approved review only, without its author
    const pub = must(await api(srv, 'GET', `/api/v1/products/${id}/reviews`), 200);
    assert.deepEqual(pub.data.map((x) => x.id), [fx.r1]);
    assert.equal(pub.data[0].user_id, undefined);
    assert.deepEqual(pub.rating, { average: 4, count: 1 });
    expectError(await moderate(fx.r1, 'published'), 422, 'VALIDATION_ERROR', 'status');
    expectError(await moderate('rev_0000000000000', 'approved'), 404, 'NOT_FOUND');
    // the moderation is in the audit log
    const audit = must(await admin('GET', `/api/v1/admin/audit?limit=200`), 200);
    assert.ok(audit.data.some((e) => e.object_id === fx.r2 || JSON.stringify(e).includes(fx.r2)), 'moderation audited');
  });

  it('helpful votes count once per account, never for one\'s own review or a pending one', async () => {
    const v = must(await as(fx.buyer2, 'POST', `/api/v1/reviews/${fx.r1}/helpful`), 200);
    assert.deepEqual(v, { id: fx.r1, helpful: 1 });
    expectError(await as(fx.buyer2, 'POST', `/api/v1/reviews/${fx.r1}/helpful`), 409, 'CONFLICT');
    expectError(await as(fx.buyer, 'POST', `/api/v1/reviews/${fx.r1}/helpful`), 403, 'FORBIDDEN');
    expectError(await as(fx.stranger, 'POST', `/api/v1/reviews/${fx.r2}/helpful`), 404, 'NOT_FOUND'); // rejected
    expectError(await api(srv, 'POST', `/api/v1/reviews/${fx.r1}/helpful`), 401, 'UNAUTHORIZED');
    must(await as(fx.stranger, 'POST', `/api/v1/reviews/${fx.r1}/helpful`), 200);
    const pub = must(await api(srv, 'GET', `/api/v1/products/${fx.a.product.id}/reviews?sort=helpful`), 200);
    assert.equal(pub.data[0].helpful, 2);
  });

  it('sorts and pages the public list, and bounds its parameters', async () => {
    const id = fx.a.product.id;
    must(await moderate(fx.r2, 'approved'), 200);
    const byRating = must(await api(srv, 'GET', `/api/v1/products/${id}/reviews?sort=rating`), 200);
    assert.deepEqual(byRating.data.map((x) => x.rating), [4, 1]);
    const asc = must(await api(srv, 'GET', `/api/v1/products/${id}/reviews?sort=rating_asc`), 200);
    assert.deepEqual(asc.data.map((x) => x.rating), [1, 4]);
    const newest = must(await api(srv, 'GET', `/api/v1/products/${id}/reviews?sort=newest&limit=1`), 200);
    assert.deepEqual(newest.data.map((x) => x.id), [fx.r2]);
    assert.equal(newest.total, 2);
    const page2 = must(await api(srv, 'GET', `/api/v1/products/${id}/reviews?sort=newest&limit=1&offset=1`), 200);
    assert.deepEqual(page2.data.map((x) => x.id), [fx.r1]);
    expectError(await api(srv, 'GET', `/api/v1/products/${id}/reviews?limit=1000`), 422, 'VALIDATION_ERROR', 'limit');
    expectError(await api(srv, 'GET', `/api/v1/products/${id}/reviews?sort=best`), 422, 'VALIDATION_ERROR', 'sort');
    expectError(await api(srv, 'GET', '/api/v1/products/prod_0000000000000/reviews'), 404, 'NOT_FOUND');
    assert.deepEqual((await detail(id)).rating, { average: 2.5, count: 2 });
  });

  it('reports sentiment per product to admins', async () => {
    const s = must(await admin('GET', `/api/v1/admin/reviews/sentiment?product_id=${fx.a.product.id}`), 200);
    assert.equal(s.data.length, 1);
    const row = s.data[0];
    assert.equal(row.reviews, 2);
    assert.deepEqual(row.status, { pending: 0, approved: 2, rejected: 0 });
    assert.equal(row.labels.positive, 1);
    assert.equal(row.labels.negative, 1);
    assert.ok(row.mean_sentiment > -1 && row.mean_sentiment < 1);
    assert.deepEqual(row.approved_rating, { average: 2.5, count: 2 });
    expectError(await as(fx.buyer, 'GET', '/api/v1/admin/reviews/sentiment'), 403, 'FORBIDDEN');
  });

  it('export holds the person\'s reviews; erasure anonymises them and keeps the rating', async () => {
    const x = must(await as(fx.buyer, 'GET', '/api/v1/users/me/export'), 200);
    assert.deepEqual(x.reviews.map((r) => r.id).sort(), [fx.r1, fx.rb].sort());
    assert.ok(x.reviews.find((r) => r.id === fx.r1).body.includes('Boils fast'));
    assert.deepEqual(must(await admin('GET', '/api/v1/admin/reviews/settings'), 200), { erasure_keeps_text: false });
    must(await as(fx.buyer, 'DELETE', '/api/v1/users/me', { password: fx.buyer.password }), 204);
    const pub = must(await api(srv, 'GET', `/api/v1/products/${fx.a.product.id}/reviews?sort=rating`), 200);
    const mine = pub.data.find((r) => r.id === fx.r1);
    assert.equal(mine.title, null);
    assert.equal(mine.body, null);
    assert.equal(mine.rating, 4);
    assert.equal(mine.helpful, 2, 'the votes stay counted');
    const q = must(await admin('GET', `/api/v1/admin/reviews?product_id=${fx.a.product.id}`), 200);
    assert.equal(q.data.find((r) => r.id === fx.r1).user_id, null);
    assert.deepEqual((await detail(fx.a.product.id)).rating, { average: 2.5, count: 2 }, 'the aggregate does not move');
    // with the shop's setting on, the text is kept (anonymised)
    assert.deepEqual(must(await admin('PUT', '/api/v1/admin/reviews/settings', { erasure_keeps_text: true }), 200), { erasure_keeps_text: true });
    expectError(await admin('PUT', '/api/v1/admin/reviews/settings', { erasure_keeps_text: 'yes' }), 422, 'VALIDATION_ERROR', 'erasure_keeps_text');
    must(await as(fx.buyer2, 'DELETE', '/api/v1/users/me', { password: fx.buyer2.password }), 204);
    const kept = must(await admin('GET', `/api/v1/admin/reviews?product_id=${fx.a.product.id}`), 200).data.find((r) => r.id === fx.r2);
    assert.equal(kept.user_id, null);
    assert.equal(kept.title, 'Broke after a week');
    assert.equal(kept.moderation.note, null, 'notes about the person go');
    must(await admin('PUT', '/api/v1/admin/reviews/settings', { erasure_keeps_text: false }), 200);
  });
});
