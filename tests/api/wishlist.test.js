// Wishlists (docs/wishlist.md) against a real server: add, remove and list with the price and
// availability of now; a guest's list (storefront cookie) merged into the customer's at sign-in;
// a share link that is read-only, shows nobody's data and stops working when revoked; back-in-stock
// and price-drop e-mails through the outbox (one per item per customer per week, only with the
// marketing consent, never after the unsubscribe link); RBAC and bad input.
//
// Mail is read from the outbox (GET /api/v1/admin/mail): no relay is configured, so messages stay
// pending there. An absence is never waited for: each "no mail" check first waits for a later
// mail that the same subscriber handles after the event in question (the dispatcher hands one
// subscriber its events in order), so by then the event that must not mail has been handled.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { register, sqlite } from './lib/auth_util.js';
import { warehouse, product, must } from './lib/orders_util.js';
import { Browser, inputValue } from './lib/web_util.js';
import { sleep } from './lib/util.js';

describe('wishlists', () => {
  let srv;
  let wh;
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  const as = (who, method, path, body) => api(srv, method, path, { key: who.access, body });
  const list = async (who) => must(await as(who, 'GET', '/api/v1/users/me/wishlist'), 200);
  const add = (who, body) => as(who, 'POST', '/api/v1/users/me/wishlist/items', body);
  const setStock = async (variant, onHand) =>
    must(await admin('PUT', `/api/v1/variants/${variant.id}/stock/${wh.id}`, { on_hand: onHand, reason: 'wishlist test' }), 200);
  const setPrice = async (variant, amount) => must(await admin('PUT', `/api/v1/variants/${variant.id}/prices/USD`, { amount }), 200);
  const mailsTo = async (email) => must(await admin('GET', `/api/v1/admin/mail?to=${encodeURIComponent(email)}&limit=50`), 200).data;
  /** Waits until EMAIL has N mails (at most ~15 s) and returns them, newest first. */
  async function mailsEventually(email, n, what) {
    for (let i = 0; i < 150; i++) {
      const m = await mailsTo(email);
      if (m.length >= n) return m;
      await sleep(100);
    }
    assert.fail(`not seen in time: ${what}`);
  }
  const customer = (marketing = true) => register(srv, { name: 'Wish Ful', marketing_opt_in: marketing });
  /** A barrier for the stock.changed subscriber: a new customer's wished-for variant comes back and
   * its mail is awaited, so every stock event committed before has been handled. */
  async function stockSettled() {
    const who = await customer();
    const p = await product(srv, { title: 'Wish barrier', variants: [{ price: 100, stock: 0 }], wh });
    must(await add(who, { variant_id: p.variants[0].id }), 201);
    await setStock(p.variants[0], 1);
    await mailsEventually(who.email, 1, 'the barrier mail');
  }

  before(async () => {
    srv = await startServer({});
    wh = await warehouse(srv);
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('adds, lists with the price and availability of now, and removes; a repeat add is 200', async () => {
    const who = await customer();
    const p = await product(srv, { title: 'Wish lamp', variants: [{ price: 2500, stock: 3 }, { price: 2700, stock: 0 }], wh });
    const empty = await list(who);
    assert.deepEqual(empty.items, []);
    assert.equal(empty.shared, false);
    const a = await add(who, { variant_id: p.variants[1].id });
    assert.equal(a.status, 201, a.text);
    assert.equal(a.body.count, 1);
    const item = a.body.items[0];
    assert.equal(item.product_id, p.product.id);
    assert.equal(item.variant_id, p.variants[1].id);
    assert.deepEqual(item.price, { amount: 2700, currency: 'USD' });
    assert.equal(item.available, false);
    const again = await add(who, { product_id: p.product.id, variant_id: p.variants[1].id });
    assert.equal(again.status, 200);
    assert.equal(again.body.count, 1);
    const whole = must(await add(who, { product_id: p.product.id }), 201);
    assert.equal(whole.count, 2);
    const w = whole.items.find((x) => x.variant_id === null);
    assert.deepEqual(w.price, { amount: 2500, currency: 'USD' }, 'a whole product shows its lowest price');
    assert.equal(w.available, true);
    await setPrice(p.variants[1], 2600); // what the list shows follows the catalog
    const now = await list(who);
    assert.equal(now.items.find((x) => x.variant_id === p.variants[1].id).price.amount, 2600);
    const del = await as(who, 'DELETE', `/api/v1/users/me/wishlist/items/${w.id}`);
    assert.equal(del.status, 204);
    assert.equal((await list(who)).count, 1);
    expectError(await as(who, 'DELETE', `/api/v1/users/me/wishlist/items/${w.id}`), 404, 'NOT_FOUND');
  });

  it('refuses bad input and other people\'s items, and anonymous callers', async () => {
    const who = await customer();
    const other = await customer();
    const p = await product(srv, { title: 'Wish mug', variants: [{ price: 900, stock: 1 }], wh });
    const q = await product(srv, { title: 'Wish jug', variants: [{ price: 900, stock: 1 }], wh });
    expectError(await add(who, {}), 422, 'VALIDATION_ERROR');
    expectError(await add(who, { product_id: 'nonsense' }), 422, 'VALIDATION_ERROR');
    expectError(await add(who, { product_id: p.product.id, colour: 'red' }), 422, 'VALIDATION_ERROR');
    expectError(await add(who, { product_id: 'prod_0000000000001' }), 404, 'NOT_FOUND');
    expectError(await add(who, { product_id: q.product.id, variant_id: p.variants[0].id }), 404, 'NOT_FOUND');
    must(await admin('PATCH', `/api/v1/products/${q.product.id}`, { status: 'draft' }), 200);
    expectError(await add(who, { product_id: q.product.id }), 404, 'NOT_FOUND');
    const mine = must(await add(other, { product_id: p.product.id }), 201).items[0];
    expectError(await as(who, 'DELETE', `/api/v1/users/me/wishlist/items/${mine.id}`), 404, 'NOT_FOUND');
    expectError(await as(who, 'DELETE', '/api/v1/users/me/wishlist/items/nonsense'), 404, 'NOT_FOUND');
    assert.equal((await list(other)).count, 1);
    expectError(await api(srv, 'GET', '/api/v1/users/me/wishlist'), 401, 'UNAUTHORIZED');
    expectError(await api(srv, 'POST', '/api/v1/users/me/wishlist/items', { body: { product_id: p.product.id } }), 401, 'UNAUTHORIZED');
    expectError(await as(who, 'PUT', '/api/v1/users/me/wishlist/alerts', { enabled: 'yes' }), 422, 'VALIDATION_ERROR');
    expectError(await api(srv, 'POST', '/api/v1/wishlists/unsubscribe', { body: {} }), 422, 'VALIDATION_ERROR');
    expectError(await api(srv, 'POST', '/api/v1/wishlists/unsubscribe', { body: { token: 'u1.forged' } }), 404, 'NOT_FOUND');
  });

  it('a share link is read-only, shows nobody\'s data and stops working when revoked', async () => {
    const who = await customer();
    const p = await product(srv, { title: 'Wish vase', variants: [{ price: 1500, stock: 2 }], wh });
    must(await add(who, { product_id: p.product.id }), 201);
    const s = must(await as(who, 'POST', '/api/v1/users/me/wishlist/share'), 201);
    assert.match(s.share_token, /^[A-Za-z0-9_-]{32}$/);
    assert.ok(s.url.endsWith(`/wishlist/shared/${s.share_token}`));
    const l = await list(who);
    assert.equal(l.shared, true);
    assert.equal(l.share_token, s.share_token);
    const pub = must(await api(srv, 'GET', `/api/v1/wishlists/shared/${s.share_token}`), 200);
    assert.equal(pub.count, 1);
    assert.equal(pub.items[0].title, p.product.title);
    assert.equal(pub.items[0].id, undefined, 'no item ids of the owner');
    assert.ok(!JSON.stringify(pub).includes(who.email) && !JSON.stringify(pub).includes(who.user.id));
    // the page too: the products, nothing of the owner, no form to change anything
    const page = await new Browser(srv).get(`/wishlist/shared/${s.share_token}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(p.product.title));
    assert.ok(!page.text.includes(who.email) && !page.text.includes('Wish Ful'));
    assert.ok(!/<form[^>]*method="post"/.test(page.text), 'read-only');
    // nothing writes through the shared path
    const write = await api(srv, 'POST', `/api/v1/wishlists/shared/${s.share_token}`, { body: {} });
    assert.equal(write.status, 405);
    // a new link replaces the old one; revoking ends it
    const s2 = must(await as(who, 'POST', '/api/v1/users/me/wishlist/share'), 201);
    assert.notEqual(s2.share_token, s.share_token);
    expectError(await api(srv, 'GET', `/api/v1/wishlists/shared/${s.share_token}`), 404, 'NOT_FOUND');
    assert.equal((await as(who, 'DELETE', '/api/v1/users/me/wishlist/share')).status, 204);
    expectError(await api(srv, 'GET', `/api/v1/wishlists/shared/${s2.share_token}`), 404, 'NOT_FOUND');
    assert.equal((await new Browser(srv).get(`/wishlist/shared/${s2.share_token}`)).status, 404);
    assert.equal((await list(who)).shared, false);
  });

  it('a guest\'s list moves into the customer\'s list at sign-in', async () => {
    const who = await customer();
    const p = await product(srv, { title: 'Wish rug', variants: [{ price: 4000, stock: 0 }], wh });
    const q = await product(srv, { title: 'Wish mat', variants: [{ price: 1000, stock: 4 }], wh });
    must(await add(who, { product_id: q.product.id }), 201); // already there: kept once
    const b = new Browser(srv);
    const page = await b.get(`/p/${p.product.slug}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('action="/account/wishlist/add"'));
    const csrf = inputValue(page.text, 'csrf');
    let r = await b.post('/account/wishlist/add', { csrf, product: p.product.id });
    assert.equal(r.status, 303, r.text);
    assert.equal(r.location, '/account/wishlist?m=added');
    assert.ok(b.jar.has('souk_wishlist'), 'the guest list cookie');
    r = await b.post('/account/wishlist/add', { csrf, product: q.product.id });
    assert.equal(r.status, 303);
    const guestPage = await b.get('/account/wishlist');
    assert.ok(guestPage.text.includes('Wish rug') && guestPage.text.includes('Wish mat'));
    // a forged token is refused before anything is written
    assert.equal((await b.post('/account/wishlist/add', { csrf: '0'.repeat(32), product: p.product.id })).status, 403);
    const signin = await b.get('/account/signin');
    r = await b.post('/account/signin', { csrf: inputValue(signin.text, 'csrf'), next: '/account/wishlist', email: who.email, password: who.password });
    assert.equal(r.status, 303, r.text);
    assert.ok(!b.jar.has('souk_wishlist'), 'the guest cookie is gone');
    const l = await list(who);
    assert.deepEqual(l.items.map((x) => x.product_id).sort(), [p.product.id, q.product.id].sort());
    const mine = await b.get('/account/wishlist');
    assert.ok(mine.text.includes('Wish rug') && mine.text.includes('Make a share link'));
  });

  it('a restock sends one mail; a second restock within the week sends none', async () => {
    const who = await customer();
    const sentinel = await customer();
    const p = await product(srv, { title: 'Wish chair', variants: [{ price: 5000, stock: 0 }], wh });
    const s = await product(srv, { title: 'Wish stool', variants: [{ price: 3000, stock: 0 }], wh });
    must(await add(who, { variant_id: p.variants[0].id }), 201);
    must(await add(sentinel, { variant_id: s.variants[0].id }), 201);
    await setStock(p.variants[0], 5);
    const first = await mailsEventually(who.email, 1, 'the back-in-stock mail');
    assert.equal(first.length, 1);
    assert.match(first[0].subject, /^Back in stock: Wish chair/);
    assert.ok(first[0].body.includes(`/p/${p.product.slug}`));
    assert.match(first[0].body, /\/wishlist\/unsubscribe\?t=u\d+\.[A-Za-z0-9_-]+/);
    assert.equal((await list(who)).items[0].available, true);
    // sold out (and seen so) and back again within the week: no second mail
    await setStock(p.variants[0], 0);
    await stockSettled();
    await setStock(p.variants[0], 2);
    await setStock(s.variants[0], 1); // handled after the restock above
    await mailsEventually(sentinel.email, 1, 'the sentinel mail');
    assert.equal((await mailsTo(who.email)).length, 1, 'one alert per item per week');
    // another customer wishing for the same variant has a week of their own
    const late = await customer();
    must(await add(late, { variant_id: p.variants[0].id }), 201);
    await setStock(p.variants[0], 0);
    await stockSettled();
    await setStock(p.variants[0], 3);
    await mailsEventually(late.email, 1, 'the other customer\'s mail');
    await stockSettled();
    assert.equal((await mailsTo(who.email)).length, 1, 'still one for the first customer');
  });

  it('a long title of many-byte characters is cut on a character, and the mail still goes', async () => {
    const who = await customer();
    const title = 'A' + 'é'.repeat(140); // 281 bytes: byte 150 of the name falls inside an é
    const p = await product(srv, { title, variants: [{ price: 900, stock: 0 }], wh });
    must(await add(who, { variant_id: p.variants[0].id }), 201);
    await setStock(p.variants[0], 2);
    const m = await mailsEventually(who.email, 1, 'the mail of the long title');
    assert.match(m[0].subject, /^Back in stock: Aé+$/u);
    assert.ok(Buffer.byteLength(m[0].subject.slice('Back in stock: '.length)) <= 150, m[0].subject);
    assert.ok(!m[0].subject.includes('\uFFFD'), 'no broken character');
  });

  it('a price drop sends a mail with the old and new price; a rise does not', async () => {
    const who = await customer();
    const p = await product(srv, { title: 'Wish desk', variants: [{ price: 20000, stock: 3 }], wh });
    must(await add(who, { product_id: p.product.id }), 201);
    await setPrice(p.variants[0], 21000); // dearer: nothing
    await setPrice(p.variants[0], 20500); // still dearer than when added: nothing
    await setPrice(p.variants[0], 17500);
    const m = await mailsEventually(who.email, 1, 'the price-drop mail');
    assert.equal(m.length, 1);
    assert.match(m[0].subject, /^Price drop: Wish desk/);
    assert.ok(m[0].body.includes('175.00 USD') && m[0].body.includes('200.00 USD'), m[0].body);
  });

  it('no mail without the marketing consent, none after unsubscribing, and the link works once signed', async () => {
    const noConsent = await customer(false);
    const who = await customer();
    const sentinel = await customer();
    const p = await product(srv, { title: 'Wish shelf', variants: [{ price: 8000, stock: 0 }], wh });
    const q = await product(srv, { title: 'Wish hook', variants: [{ price: 800, stock: 0 }], wh });
    const s = await product(srv, { title: 'Wish peg', variants: [{ price: 300, stock: 0 }], wh });
    must(await add(noConsent, { variant_id: p.variants[0].id }), 201);
    must(await add(who, { variant_id: p.variants[0].id }), 201);
    must(await add(who, { variant_id: q.variants[0].id }), 201);
    must(await add(sentinel, { variant_id: s.variants[0].id }), 201);
    await setStock(p.variants[0], 1);
    const m = await mailsEventually(who.email, 1, 'the mail of the consenting customer');
    const token = /\/wishlist\/unsubscribe\?t=([A-Za-z0-9_.-]+)/.exec(m[0].body)[1];
    // the page of the link is one button (a GET never writes), which unsubscribes
    const b = new Browser(srv);
    const page = await b.get(`/wishlist/unsubscribe?t=${encodeURIComponent(token)}`);
    assert.equal(page.status, 200);
    assert.equal(inputValue(page.text, 't'), token);
    const done = await b.post('/wishlist/unsubscribe', { csrf: inputValue(page.text, 'csrf'), t: token });
    assert.equal(done.status, 200);
    assert.ok(done.text.includes('You are unsubscribed'));
    assert.equal((await list(who)).alerts, false);
    // a tampered token is not ours
    const forged = token.replace(/^u\d+/, `u${BigInt(/^u(\d+)/.exec(token)[1]) + 1n}`); // ids pass 2^53: BigInt, or +1 may round back to the same id
    expectError(await api(srv, 'POST', '/api/v1/wishlists/unsubscribe', { body: { token: forged } }), 404, 'NOT_FOUND');
    must(await api(srv, 'POST', '/api/v1/wishlists/unsubscribe', { body: { token } }), 200); // again: harmless
    await setStock(q.variants[0], 1); // would alert `who`, who unsubscribed
    await stockSettled();
    await setStock(s.variants[0], 1);
    await mailsEventually(sentinel.email, 1, 'the sentinel mail');
    assert.equal((await mailsTo(who.email)).length, 1, 'nothing after unsubscribing');
    assert.equal((await mailsTo(noConsent.email)).length, 0, 'nothing without the marketing consent');
    // alerts on again through the API
    must(await as(who, 'PUT', '/api/v1/users/me/wishlist/alerts', { enabled: true }), 200);
    assert.equal((await list(who)).alerts, true);
  });

  it('the export holds the list; erasure deletes it with its alerts', async () => {
    const who = await customer();
    const p = await product(srv, { title: 'Wish lamp shade', variants: [{ price: 1200, stock: 0 }], wh });
    must(await add(who, { variant_id: p.variants[0].id }), 201);
    must(await as(who, 'POST', '/api/v1/users/me/wishlist/share'), 201);
    await setStock(p.variants[0], 1);
    await mailsEventually(who.email, 1, 'the alert');
    const exp = must(await as(who, 'GET', '/api/v1/users/me/export'), 200);
    assert.equal(exp.wishlist.count, 1);
    assert.equal(exp.wishlist.items[0].variant_id, p.variants[0].id);
    const before = `select (select count(*) from wishlists w join users u on u.id = w.user_id where u.email = '${who.email}')`;
    assert.equal(sqlite(srv.dbPath, before), '1');
    must(await api(srv, 'DELETE', '/api/v1/users/me', { key: who.access, body: { password: who.password } }), 204);
    const left = sqlite(srv.dbPath, `select (select count(*) from wishlists w join users u on u.id = w.user_id where u.status = 'deleted') + (select count(*) from wishlist_alerts a join users u on u.id = a.user_id where u.status = 'deleted')`);
    assert.equal(left, '0');
  });
});
