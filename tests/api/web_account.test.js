// The storefront's account pages (src/web/account.c, reset.c, account_orders.c,
// privacy.c, twofa.c; docs/web.md "Your account") over HTTP, as a browser
// without JavaScript uses them: sign up, sign in (wrong password, the
// two-factor step), the session cookies, renewal, sign out, password reset,
// the guest cart merged at sign-in, signed-in checkout, order history and
// detail, a return request, tracking a guest order, profile, consents, the
// data export, two-factor enrolment with its QR code, account deletion; every
// form refused without its CSRF token; hostile input rendered as text.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { warehouse } from './lib/checkout_util.js';
import { must } from './lib/orders_util.js';
import { email as newEmail, password as newPassword, totp, base32Decode } from './lib/auth_util.js';
import { Browser, inputValue, webProduct, HOSTILE, decode } from './lib/web_util.js';
import { sleep } from './lib/util.js';

const CSP = /default-src 'none'; script-src 'self'; style-src 'self'.*form-action 'self'.*frame-ancestors 'none'/;

function assertPage(r, status = 200) {
  assert.equal(r.status, status, r.text.slice(0, 800));
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(r.headers.get('content-security-policy'), CSP);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.match(r.text, /^<!doctype html>\n<html lang="en">/);
}

/** GET PATH, then POST its form (the one whose action is ACTION) with FIELDS and its csrf. */
async function submit(b, path, action, fields) {
  const page = await b.get(path);
  assert.equal(page.status, 200, `${path}: ${page.text.slice(0, 500)}`);
  assert.ok(page.text.includes(`action="${action}"`), `${path} has a form to ${action}`);
  return b.post(action, { csrf: inputValue(page.text, 'csrf'), ...fields });
}

async function signUp(b, extra = {}) {
  const who = { email: newEmail('web'), password: newPassword(), ...extra };
  const r = await submit(b, '/account/signup', '/account/signup', { email: who.email, password: who.password, name: who.name || '' });
  assert.equal(r.status, 303, r.text.slice(0, 800));
  return who;
}

async function signIn(b, who, next) {
  const page = await b.get(`/account/signin${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  return b.post('/account/signin', { csrf: inputValue(page.text, 'csrf'), next: inputValue(page.text, 'next'), email: who.email, password: who.password });
}

const cookieOf = (r, name) => r.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));

async function mailsTo(srv, addr) {
  const r = await api(srv, 'GET', `/api/v1/admin/mail?to=${encodeURIComponent(addr)}`, { key: true });
  assert.equal(r.status, 200, r.text);
  return r.body.data;
}

describe('storefront accounts', () => {
  let srv, wh, lamp;

  before(async () => {
    srv = await startServer({ products: 10, seed: 5 });
    wh = await warehouse(srv, 'webacct');
    lamp = await webProduct(srv, wh, 'Account Lamp', [{ title: 'One', price: 2000, stock: 100 }]);
  });
  after(async () => { if (srv) await srv.stop(); });

  it('sign up sets the session cookies (HttpOnly, SameSite=Lax, the refresh token only for /account/) and shows the account', async () => {
    const b = new Browser(srv);
    const page = await b.get('/account/signup');
    assertPage(page);
    for (const id of ['f-email', 'f-name', 'f-password']) assert.match(page.text, new RegExp(`<label for="${id}">`));
    const who = { email: newEmail('web'), password: newPassword() };
    const r = await b.post('/account/signup', { csrf: inputValue(page.text, 'csrf'), next: '/account', email: who.email, password: who.password, name: 'Ann' });
    assert.equal(r.status, 303, r.text);
    assert.equal(r.location, '/account');
    assert.match(cookieOf(r, 'souk_session'), /^souk_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Path=\/; Max-Age=900; HttpOnly; SameSite=Lax$/);
    assert.match(cookieOf(r, 'souk_refresh'), /^souk_refresh=rt_[A-Za-z0-9_-]+; Path=\/account\/; Max-Age=604800; HttpOnly; SameSite=Lax$/);
    assert.ok(!r.location.includes('rt_') && !r.location.includes('ey'), 'no token in the URL');
    assert.doesNotMatch(cookieOf(r, 'souk_session'), /Secure/, 'plain http, no https public origin, no trusted proxy: no Secure');
    const acct = await b.get('/account');
    assertPage(acct);
    assert.match(acct.text, new RegExp(`<strong id="account-email">${who.email}</strong> \\(Ann\\)`));
    assert.ok(!acct.text.includes(b.jar.get('souk_session')), 'the access token never appears in a page');
    // the same address again is refused, and said so next to the field
    const again = await submit(new Browser(srv), '/account/signup', '/account/signup', { email: who.email, password: newPassword() });
    assertPage(again, 409);
    assert.match(again.text, /<span class="error" id="e-email">This address has an account already/);
    // a weak password: identity's rule, next to the field
    const weak = await submit(new Browser(srv), '/account/signup', '/account/signup', { email: newEmail('weak'), password: 'short' });
    assertPage(weak, 422);
    assert.match(weak.text, /<span class="error" id="e-password">This /);
  });

  it('pages that need an account send a guest to sign in, and come back after it', async () => {
    const b = new Browser(srv);
    const r = await b.get('/account/orders');
    assert.equal(r.status, 303);
    assert.equal(r.location, '/account/signin?next=%2Faccount%2Forders');
    const who = await signUp(new Browser(srv));
    const s = await signIn(b, who, '/account/orders');
    assert.equal(s.status, 303, s.text.slice(0, 500));
    assert.equal(s.location, '/account/orders');
    // a next that leaves the site is ignored
    const evil = await signIn(new Browser(srv), who, '//evil.example/x');
    assert.equal(evil.location, '/account');
    const evil2 = await signIn(new Browser(srv), who, 'https://evil.example/');
    assert.equal(evil2.location, '/account');
  });

  it('a wrong password is refused with 401 and the address kept; an unknown address reads the same', async () => {
    const who = await signUp(new Browser(srv));
    const b = new Browser(srv);
    const r = await signIn(b, { email: who.email, password: 'not the password 1' });
    assertPage(r, 401);
    assert.match(r.text, /The e-mail address or the password is not right\./);
    assert.equal(inputValue(r.text, 'email'), who.email);
    assert.equal(inputValue(r.text, 'password'), '', 'the password is never sent back');
    assert.equal(cookieOf(r, 'souk_session'), undefined);
    const u = await signIn(new Browser(srv), { email: newEmail('nobody'), password: 'whatever it is 1' });
    assertPage(u, 401);
    assert.match(u.text, /The e-mail address or the password is not right\./);
  });

  it('every account form is refused without its CSRF token, with a wrong one or another browser\'s', async () => {
    const who = await signUp(new Browser(srv));
    const b = new Browser(srv);
    const page = await b.get('/account/signin');
    const good = inputValue(page.text, 'csrf');
    const other = new Browser(srv);
    await other.get('/account/signin');
    const forms = [
      ['/account/signin', { email: who.email, password: who.password }],
      ['/account/signup', { email: newEmail('x'), password: newPassword() }],
      ['/account/signout', {}],
      ['/account/renew', {}],
      ['/account/reset', { email: who.email }],
      ['/account/reset/confirm', { token: 'pr_x', password: newPassword() }],
      ['/account/profile', { name: 'x' }],
      ['/account/consents', { marketing: '1' }],
      ['/account/2fa/start', {}],
      ['/account/2fa/confirm', { code: '123456' }],
      ['/account/delete', { password: who.password }],
      ['/track', { order: 'ord_0000000000000', token: 'ot_x' }],
      ['/cart/coupon', { code: 'X' }],
      ['/cart/shipping', { method: 'standard' }],
    ];
    for (const [path, fields] of forms) {
      assertPage(await b.post(path, fields), 403);
      assertPage(await b.post(path, { csrf: '0'.repeat(32), ...fields }), 403);
      assertPage(await other.post(path, { csrf: good, ...fields }), 403);
    }
    assert.equal(b.jar.get('souk_session'), undefined, 'no sign-in went through');
  });

  it('two-factor sign-in: enrol with a QR code, then sign in with the code; a wrong code is refused', async () => {
    const b = new Browser(srv);
    const who = await signUp(b);
    const page = await b.get('/account/2fa');
    assertPage(page);
    assert.match(page.text, /Two-factor sign-in is off/);
    const start = await b.post('/account/2fa/start', { csrf: inputValue(page.text, 'csrf') });
    assertPage(start);
    const svg = /<svg [^>]*role="img"[^>]*>[\s\S]*?<\/svg>/.exec(start.text);
    assert.ok(svg, 'an inline SVG QR code');
    assert.match(svg[0], /<path d="M[0-9 hvHVMz.]+"/);
    assert.ok(!/<script/i.test(svg[0]));
    const secret = /<code id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(start.text)[1].replace(/ /g, '');
    assert.ok(base32Decode(secret).length >= 10);
    // a wrong code first
    const wrong = await b.post('/account/2fa/confirm', { csrf: inputValue(start.text, 'csrf'), code: '000000' === totp(secret) ? '111111' : '000000' });
    assertPage(wrong, 422);
    const ok = await b.post('/account/2fa/confirm', { csrf: inputValue(start.text, 'csrf'), code: totp(secret) });
    assertPage(ok);
    const codes = [...ok.text.matchAll(/<li><code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})<\/code><\/li>/g)].map((m) => m[1]);
    assert.equal(codes.length, 10, 'ten recovery codes shown once');
    // sign in again: the password, then the code
    const c = new Browser(srv);
    const first = await signIn(c, who);
    assertPage(first);
    assert.match(first.text, /<h1>Two-factor sign-in<\/h1>/);
    assert.equal(cookieOf(first, 'souk_session'), undefined, 'no session before the code');
    const pending = inputValue(first.text, 'pending');
    assert.ok(pending && !pending.includes(who.password) && !first.text.includes(who.password), 'the password is sealed, not in the page');
    const bad = await c.post('/account/signin', { csrf: inputValue(first.text, 'csrf'), pending, next: '/account', code: '12345x' });
    assertPage(bad, 401);
    assert.match(bad.text, /That code is not right/);
    // a sealed step from another browser does not open
    const d = new Browser(srv);
    const dp = await d.get('/account/signin');
    assertPage(await d.post('/account/signin', { csrf: inputValue(dp.text, 'csrf'), pending, next: '/account', code: codes[0] }), 400);
    // the recovery code signs in (a TOTP code of this step was used by the enrolment)
    const good = await c.post('/account/signin', { csrf: inputValue(bad.text, 'csrf'), pending: inputValue(bad.text, 'pending'), next: '/account', code: codes[0] });
    assert.equal(good.status, 303, good.text.slice(0, 600));
    assert.ok(cookieOf(good, 'souk_session'));
    assertPage(await c.get('/account'));
  });

  it('sign out ends the session: the old access token no longer opens the account', async () => {
    const b = new Browser(srv);
    await signUp(b);
    const access = b.jar.get('souk_session');
    const page = await b.get('/account');
    assert.match(page.text, /action="\/account\/signout"/);
    const out = await b.post('/account/signout', { csrf: inputValue(page.text, 'csrf') });
    assert.equal(out.status, 303);
    assert.equal(out.location, '/account/signin?m=signedout');
    assert.match(cookieOf(out, 'souk_session'), /Max-Age=0/);
    assert.match(cookieOf(out, 'souk_refresh'), /Max-Age=0/);
    assert.equal((await b.get('/account')).status, 303);
    const replay = await fetch(srv.url + '/account', { redirect: 'manual', headers: { cookie: `souk_session=${access}` } });
    assert.equal(replay.status, 303, 'the session was revoked, not only the cookie dropped');
    const api1 = await api(srv, 'GET', '/api/v1/users/me', { key: access });
    assert.equal(api1.status, 401);
  });

  it('an expired access token sends the browser to a renewal form, which rotates the refresh token', async () => {
    const b = new Browser(srv);
    await signUp(b);
    const oldRefresh = b.jar.get('souk_refresh');
    b.jar.delete('souk_session'); // what the browser does after Max-Age=900
    const r = await b.get('/account/orders');
    assert.equal(r.status, 303);
    assert.equal(r.location, '/account/renew?next=%2Faccount%2Forders');
    const renew = await b.get(r.location);
    assertPage(renew);
    assert.match(renew.text, /<form method="post" action="\/account\/renew" data-autosubmit>/);
    const done = await b.post('/account/renew', { csrf: inputValue(renew.text, 'csrf'), next: inputValue(renew.text, 'next') });
    assert.equal(done.status, 303, done.text);
    assert.equal(done.location, '/account/orders');
    assert.notEqual(b.jar.get('souk_refresh'), oldRefresh, 'rotated');
    assertPage(await b.get('/account/orders'));
    // the old refresh token was used: presenting it again revokes the session (identity's reuse detection)
    const thief = new Browser(srv);
    thief.jar.set('souk_refresh', oldRefresh);
    const tp = await thief.get('/account/renew?next=/account');
    const stolen = await thief.post('/account/renew', { csrf: inputValue(tp.text, 'csrf'), next: '/account' });
    assert.equal(stolen.location, '/account/signin?m=expired');
  });

  it('password reset: the request page says the same for any address; the e-mailed code sets a new password', async () => {
    const who = await signUp(new Browser(srv));
    const b = new Browser(srv);
    const known = await submit(b, '/account/reset', '/account/reset', { email: who.email });
    const unknown = await submit(new Browser(srv), '/account/reset', '/account/reset', { email: newEmail('nobody') });
    assert.equal(known.status, 303);
    assert.equal(known.location, unknown.location);
    assert.equal(known.location, '/account/reset/confirm?m=sent');
    let mails = [];
    for (let i = 0; i < 100 && !mails.length; i++) { mails = await mailsTo(srv, who.email); if (!mails.length) await sleep(100); }
    const code = /pr_[A-Za-z0-9_-]{20,}/.exec(mails[0].body)[0];
    const form = await b.get(known.location);
    assertPage(form);
    assert.match(form.text, /a reset code is on its way/);
    const bad = await b.post('/account/reset/confirm', { csrf: inputValue(form.text, 'csrf'), token: 'pr_' + 'x'.repeat(43), password: newPassword() });
    assertPage(bad, 422);
    assert.match(bad.text, /<span class="error" id="e-token">/);
    const next = newPassword();
    const ok = await b.post('/account/reset/confirm', { csrf: inputValue(form.text, 'csrf'), token: code, password: next });
    assert.equal(ok.status, 303, ok.text.slice(0, 600));
    assert.equal(ok.location, '/account/signin?m=reset');
    assert.equal((await signIn(new Browser(srv), who)).status, 401, 'the old password is gone');
    assert.equal((await signIn(new Browser(srv), { email: who.email, password: next })).status, 303);
  });

  it('a guest cart merges into the account at sign-in', async () => {
    const b = new Browser(srv);
    const who = await signUp(new Browser(srv));
    const page = await b.get(`/p/${lamp.slug}`);
    const add = await b.post('/cart/add', { csrf: inputValue(page.text, 'csrf'), variant: lamp.variants[0].id, quantity: '2' });
    assert.equal(add.status, 303);
    assert.ok(b.jar.get('souk_cart'));
    const s = await signIn(b, who, '/cart');
    assert.equal(s.status, 303);
    assert.equal(s.location, '/cart');
    assert.match(cookieOf(s, 'souk_cart'), /Max-Age=0/, 'the guest cart cookie goes: its lines moved');
    const cart = await b.get('/cart');
    assert.match(cart.text, /Account Lamp/);
    assert.match(cart.text, /USD 40\.00/);
    // the account's cart, also through the API
    const { access_token: access } = (await api(srv, 'POST', '/api/v1/auth/login', { body: { email: who.email, password: who.password } })).body;
    const apiCart = await api(srv, 'GET', '/api/v1/carts/current', { key: access });
    assert.equal(apiCart.status, 200);
    assert.equal(apiCart.body.lines[0].quantity, 2);
  });

  it('hostile names and inputs render as text on the account pages', async () => {
    const b = new Browser(srv);
    await signUp(b, { name: HOSTILE });
    const acct = await b.get('/account');
    assertPage(acct);
    assert.ok(!acct.text.includes('<script>window.__pwned'));
    assert.ok(acct.text.includes('&lt;script&gt;window.__pwned=1&lt;/script&gt;'));
    const bad = await signIn(new Browser(srv), { email: '"><script>window.__pwned=5</script>', password: 'x' });
    assertPage(bad, 401);
    assert.ok(!bad.text.includes('<script>window.__pwned=5'));
    assert.equal(inputValue(bad.text, 'email'), '"><script>window.__pwned=5</script>');
    const next = await new Browser(srv).get('/account/signin?next=%22%3E%3Cscript%3Ex%3C%2Fscript%3E');
    assertPage(next);
    assert.ok(!next.text.includes('<script>x'));
    assert.equal(inputValue(next.text, 'next'), '/account');
  });
});

describe('storefront: signed-in orders, returns, tracking, privacy and the cart options', () => {
  let srv, wh, kettle;

  before(async () => {
    srv = await startServer({ products: 10, seed: 6 });
    wh = await warehouse(srv, 'webord');
    kettle = await webProduct(srv, wh, 'Order Kettle', [{ title: 'Steel', price: 3000, stock: 100 }]);
  });
  after(async () => { if (srv) await srv.stop(); });

  const adminAct = async (id, action, body) => {
    const r = await api(srv, 'POST', `/api/v1/orders/${id}/${action}`, { key: true, body });
    assert.equal(r.status, 200, `${action}: ${r.text}`);
  };

  async function addKettle(b, quantity = '1') {
    const page = await b.get(`/p/${kettle.slug}`);
    const r = await b.post('/cart/add', { csrf: inputValue(page.text, 'csrf'), variant: kettle.variants[0].id, quantity });
    assert.equal(r.status, 303, r.text);
  }

  const payFields = (page, extra = {}) => ({
    csrf: inputValue(page, 'csrf'), idem: inputValue(page, 'idem'),
    expected_amount: inputValue(page, 'expected_amount'), expected_currency: inputValue(page, 'expected_currency'),
    email: inputValue(page, 'email'), name: inputValue(page, 'name') || 'Bo Buyer', line1: inputValue(page, 'line1') || '2 Low Road',
    line2: '', city: inputValue(page, 'city') || 'Leeds', postal_code: inputValue(page, 'postal_code') || 'LS1 1AA',
    region: '', country: inputValue(page, 'country') || 'GB', card: '4242424242424242', ...extra,
  });

  it('a signed-in checkout uses the account, lands in the order history, and fills the next form from the last order', async () => {
    const b = new Browser(srv);
    const who = await signUp(b, { name: 'Bo Buyer' });
    await addKettle(b, '2');
    assert.equal(b.jar.get('souk_cart'), undefined, 'a customer\'s cart is the account\'s: no cart cookie');
    const co = await b.get('/checkout');
    assertPage(co);
    assert.equal(inputValue(co.text, 'email'), who.email, 'the e-mail comes from the account');
    assert.equal(inputValue(co.text, 'name'), 'Bo Buyer');
    const r = await b.post('/checkout', payFields(co.text));
    assert.equal(r.status, 303, r.text.slice(0, 800));
    const m = /^\/account\/orders\/(ord_[0-9A-Z]+)\?m=placed$/.exec(r.location);
    assert.ok(m, r.location);
    const id = m[1];
    const page = await b.get(r.location);
    assertPage(page);
    assert.match(page.text, /Thank you for your order/);
    assert.match(page.text, /<strong id="order-state">paid<\/strong>/);
    assert.match(page.text, /USD 60\.00/);
    const list = await b.get('/account/orders');
    assertPage(list);
    assert.ok(list.text.includes(`href="/account/orders/${id}"`));
    // the API agrees: the order is the account's
    const o = (await api(srv, 'GET', `/api/v1/orders/${id}`, { key: true })).body;
    assert.equal(o.customer_id, (await api(srv, 'GET', '/api/v1/users/me', { key: b.jar.get('souk_session') })).body.id);
    // the next checkout starts with the address of this one
    await addKettle(b);
    const again = await b.get('/checkout');
    assert.equal(inputValue(again.text, 'line1'), '2 Low Road');
    assert.equal(inputValue(again.text, 'city'), 'Leeds');
    // another customer cannot open it
    const other = new Browser(srv);
    await signUp(other);
    assertPage(await other.get(`/account/orders/${id}`), 404);
    assertPage(await other.get('/account/orders/not-an-id'), 404);
  });

  it('loyalty points: the checkout page offers them, prices the page with the chosen ones, and the order spends them', async () => {
    const admin = (method, path, body) => api(srv, method, path, { key: true, body });
    must(await admin('PUT', '/api/v1/admin/loyalty/settings', { max_redeem_bp: 5000, return_window_days: 30, expiry_days: 0,
      currencies: [{ currency: 'USD', earn_per_unit: 1, point_value: 1 }], categories: [] }), 200);
    try {
      const b = new Browser(srv);
      await signUp(b);
      const session = b.jar.get('souk_session');
      const me = must(await api(srv, 'GET', '/api/v1/users/me', { key: session }), 200);
      await addKettle(b);
      const plain = await b.get('/checkout');
      assertPage(plain);
      assert.ok(!plain.text.includes('id="points-h"'), 'no points, no offer');
      must(await admin('POST', `/api/v1/admin/users/${me.id}/loyalty/adjustments`, { points: 500, reason: 'web test' }), 201);
      const offer = await b.get('/checkout');
      assert.match(offer.text, /<h2 id="points-h">Loyalty points<\/h2>\n<p>You have 500 points; up to 500 can pay for this order\.<\/p>/);
      assert.equal(inputValue(offer.text, 'loyalty_points'), null, 'none chosen yet');
      const full = Number(inputValue(offer.text, 'expected_amount'));
      // 200 points at a cent each: the page's total, and so the expected total, is 2.00 less
      const some = await b.get('/checkout?points=200');
      assertPage(some);
      assert.equal(Number(inputValue(some.text, 'expected_amount')), full - 200);
      assert.equal(inputValue(some.text, 'loyalty_points'), '200');
      assert.match(some.text, /Using 200, worth USD 2\.00/);
      // more than the balance: said by the field, the page priced without points
      const many = await b.get('/checkout?points=9999');
      assert.match(many.text, /<span class="error" id="e-points">Only 500 points are available\.<\/span>/);
      assert.match(many.text, /id="f-points"[^>]* aria-invalid="true"/);
      assert.equal(Number(inputValue(many.text, 'expected_amount')), full);
      assert.equal((await b.get('/checkout?points=abc')).status, 200);
      // the order spends them, once, whatever the double-click
      const fields = { ...payFields(some.text), loyalty_points: '200' };
      const placed = await b.post('/checkout', fields);
      assert.equal(placed.status, 303, placed.text.slice(0, 800));
      assert.equal((await b.post('/checkout', fields)).status, 303, 'the same key: the same answer');
      const acct = must(await api(srv, 'GET', '/api/v1/users/me/loyalty', { key: session }), 200);
      assert.equal(acct.available, 300);
      assert.equal(acct.entries.filter((e) => e.kind === 'redeem').length, 1);
      const oid = /\/account\/orders\/(ord_[0-9A-Z]+)/.exec(placed.location)[1];
      const order = must(await admin('GET', `/api/v1/orders/${oid}`), 200);
      assert.equal(order.totals.total.amount, full - 200);
      // a guest's form cannot spend anyone's points
      const g = new Browser(srv);
      const gp = await g.get(`/p/${kettle.slug}`);
      assert.equal((await g.post('/cart/add', { csrf: inputValue(gp.text, 'csrf'), variant: kettle.variants[0].id, quantity: '1' })).status, 303);
      const gco = await g.get('/checkout');
      assert.ok(!gco.text.includes('id="points-h"'));
      const gplaced = await g.post('/checkout', { ...payFields(gco.text, { email: 'points-guest@example.com' }), loyalty_points: '100' });
      assert.equal(gplaced.status, 303, 'a guest\'s loyalty_points are ignored');
    } finally {
      must(await admin('PUT', '/api/v1/admin/loyalty/settings', { max_redeem_bp: 5000, return_window_days: 30, expiry_days: 0, currencies: [], categories: [] }), 200);
    }
  });

  it('a delivered order offers a return; the request shows on the order; too many is refused', async () => {
    const b = new Browser(srv);
    await signUp(b);
    await addKettle(b, '2');
    const co = await b.get('/checkout');
    const placed = await b.post('/checkout', payFields(co.text));
    const id = /ord_[0-9A-Z]+/.exec(placed.location)[0];
    const before = await b.get(`/account/orders/${id}`);
    assert.doesNotMatch(before.text, /action="\/account\/orders\/[^"]+\/return"/, 'no return form before delivery');
    assert.match(before.text, /Items can be returned once the order is delivered/);
    await adminAct(id, 'fulfil');
    await adminAct(id, 'ship', { carrier: 'UPS', tracking: '1ZWEB' });
    await adminAct(id, 'deliver');
    const page = await b.get(`/account/orders/${id}`);
    assertPage(page);
    assert.match(page.text, new RegExp(`<form method="post" action="/account/orders/${id}/return">`));
    assert.match(page.text, /<label for="f-q_0">How many of Order Kettle to return \(up to 2\)<\/label>/);
    const csrf = inputValue(page.text, 'csrf');
    const v = inputValue(page.text, 'v_0');
    assertPage(await b.post(`/account/orders/${id}/return`, { csrf, v_0: v, q_0: '5' }), 422);
    assertPage(await b.post(`/account/orders/${id}/return`, { csrf, v_0: v, q_0: '0' }), 422);
    const r = await b.post(`/account/orders/${id}/return`, { csrf, v_0: v, q_0: '1', reason: '<b>too loud</b>' });
    assert.equal(r.status, 303, r.text.slice(0, 600));
    assert.equal(r.location, `/account/orders/${id}?m=return`);
    const after2 = await b.get(r.location);
    assert.match(after2.text, /Your return request was sent/);
    assert.match(after2.text, /ret_[0-9A-Z]+: requested, asked on \d{4}-\d\d-\d\d \(&lt;b&gt;too loud&lt;\/b&gt;\)/);
    assert.match(after2.text, /up to 1\)/, 'one left to return');
    const o = (await api(srv, 'GET', `/api/v1/orders/${id}`, { key: true })).body;
    assert.equal(o.returns.length, 1);
    assert.equal(o.returns[0].state, 'requested');
    // another customer cannot ask for a return of it
    const other = new Browser(srv);
    await signUp(other);
    const op = await other.get('/account');
    assertPage(await other.post(`/account/orders/${id}/return`, { csrf: inputValue(op.text, 'csrf'), v_0: v, q_0: '1' }), 404);
  });

  it('a guest tracks an order by its number and tracking code from another browser; a wrong code shows nothing', async () => {
    const g = new Browser(srv);
    await addKettle(g);
    const co = await g.get('/checkout');
    const placed = await g.post('/checkout', payFields(co.text, { email: 'guest@example.com' }));
    assert.equal(placed.status, 303, placed.text.slice(0, 600));
    const conf = await g.get(placed.location);
    const code = /<code id="tracking-code">(ot_[A-Za-z0-9_-]+)<\/code>/.exec(conf.text)[1];
    const id = placed.location.split('/').pop();
    const b = new Browser(srv);
    const form = await b.get('/track');
    assertPage(form);
    assert.match(form.text, /<label for="f-order">/);
    const bad = await b.post('/track', { csrf: inputValue(form.text, 'csrf'), order: id, token: 'ot_wrong' });
    assertPage(bad, 404);
    assert.match(bad.text, /No order matches/);
    assert.equal(bad.headers.getSetCookie().find((c) => c.startsWith('souk_order=')), undefined);
    const hostile = await b.post('/track', { csrf: inputValue(form.text, 'csrf'), order: '"><script>window.__pwned=7</script>', token: 'x' });
    assertPage(hostile, 404);
    assert.ok(!hostile.text.includes('<script>window.__pwned=7'));
    const ok = await b.post('/track', { csrf: inputValue(form.text, 'csrf'), order: id, token: code });
    assert.equal(ok.status, 303);
    assert.equal(ok.location, `/order/${id}`, 'the code goes into a cookie, never the URL');
    const shown = await b.get(ok.location);
    assertPage(shown);
    assert.match(shown.text, new RegExp(`<strong id="order-id">${id}</strong>`));
  });

  it('profile and marketing consent are saved; hostile names render as text', async () => {
    const b = new Browser(srv);
    await signUp(b);
    const pr = await submit(b, '/account/profile', '/account/profile', { name: HOSTILE, phone: '+44 20 7946 0000' });
    assert.equal(pr.status, 303);
    const page = await b.get(pr.location);
    assertPage(page);
    assert.match(page.text, /Your profile was saved\./);
    assert.equal(inputValue(page.text, 'name'), HOSTILE);
    assert.ok(!page.text.includes('<script>window.__pwned'));
    const priv = await b.get('/account/privacy');
    assertPage(priv);
    assert.match(priv.text, /<p id="consent-state">You do not receive offers/);
    const on = await b.post('/account/consents', { csrf: inputValue(priv.text, 'csrf'), marketing: '1' });
    assert.equal(on.location, '/account/privacy?m=saved');
    assert.match((await b.get('/account/privacy')).text, /<p id="consent-state">You receive offers/);
    await b.post('/account/consents', { csrf: inputValue(priv.text, 'csrf') });
    assert.match((await b.get('/account/privacy')).text, /<p id="consent-state">You do not receive offers/);
    const c = (await api(srv, 'GET', '/api/v1/users/me/consents', { key: b.jar.get('souk_session') })).body;
    assert.deepEqual(c.history.map((h) => h.granted), [false, true, false], 'the sign-up form records the unticked box, then each choice');
  });

  it('the data export downloads as JSON with the account\'s orders; deletion needs the password and the tick, then signs out', async () => {
    const b = new Browser(srv);
    const who = await signUp(b);
    await addKettle(b);
    const co = await b.get('/checkout');
    const placed = await b.post('/checkout', payFields(co.text));
    const id = /ord_[0-9A-Z]+/.exec(placed.location)[0];
    const priv = await b.get('/account/privacy');
    assert.match(priv.text, /<a class="button" href="\/account\/export\.json" download="souk-my-data\.json">/);
    const ex = await b.get('/account/export.json');
    assert.equal(ex.status, 200);
    assert.match(ex.headers.get('content-type'), /^application\/json/);
    assert.equal(ex.headers.get('cache-control'), 'no-store');
    const data = JSON.parse(ex.text);
    assert.equal(data.profile.email, who.email);
    assert.ok(JSON.stringify(data.orders).includes(id), 'the export holds the order');
    assert.equal((await new Browser(srv).get('/account/export.json')).status, 303, 'signed out: sign in first');
    const csrf = inputValue(priv.text, 'csrf');
    const unticked = await b.post('/account/delete', { csrf, password: who.password });
    assertPage(unticked, 422);
    assert.match(unticked.text, /<span class="error" id="e-confirm">Tick this to confirm\.<\/span>/);
    const wrong = await b.post('/account/delete', { csrf, password: 'not my password 1', confirm: '1' });
    assertPage(wrong, 401);
    assert.match(wrong.text, /Nothing was deleted/);
    const gone = await b.post('/account/delete', { csrf, password: who.password, confirm: '1' });
    assert.equal(gone.status, 303, gone.text.slice(0, 600));
    assert.equal(gone.location, '/account/signin?m=deleted');
    assert.match(cookieOf(gone, 'souk_session'), /Max-Age=0/);
    assert.match((await b.get(gone.location)).text, /Your account was deleted\./);
    assertPage(await signIn(new Browser(srv), who), 401);
    const o = (await api(srv, 'GET', `/api/v1/orders/${id}`, { key: true })).body;
    assert.notEqual(o.email, who.email, 'the order no longer holds the address');
  });

  it('the cart page applies a coupon and a delivery method and shows the totals; a bad coupon is explained', async () => {
    const code = `WEB${Date.now() % 100000}`;
    const k = await api(srv, 'POST', '/api/v1/admin/coupons', { key: true, body: { code, kind: 'fixed', value: 500, currency: 'USD' } });
    assert.equal(k.status, 201, k.text);
    const b = new Browser(srv);
    await addKettle(b);
    const cart = await b.get('/cart');
    assertPage(cart);
    assert.match(cart.text, /<label for="f-code">Coupon code<\/label>/);
    assert.match(cart.text, /<legend>Delivery<\/legend>/);
    assert.match(cart.text, /<input type="radio" name="method" id="ship-\d+" value="standard">/);
    const csrf = inputValue(cart.text, 'csrf');
    const bad = await b.post('/cart/coupon', { csrf, code: '<NOPE>' });
    assert.equal(bad.location, '/cart?e=coupon');
    const badPage = await b.get(bad.location);
    assert.match(badPage.text, /<span class="error" id="e-code">That coupon code is not valid/);
    assert.ok(!badPage.text.includes('<NOPE>'));
    const good = await b.post('/cart/coupon', { csrf, code: code.toLowerCase() });
    assert.equal(good.location, '/cart?m=coupon');
    const ship = await b.post('/cart/shipping', { csrf, method: 'standard' });
    assert.equal(ship.location, '/cart?m=shipping');
    const page = await b.get('/cart');
    assert.match(page.text, new RegExp(`<strong id="coupon-code">${code}</strong>`));
    assert.match(page.text, /value="standard" checked>/);
    assert.match(page.text, /Discount<\/th><td class="num">USD 5\.00/);
    assert.match(page.text, /Shipping<\/th><td class="num">USD 4\.99/);
    assert.match(page.text, /Total<\/th><td class="num">USD 29\.99/);
    assert.equal((await b.post('/cart/shipping', { csrf, method: 'teleport' })).location, '/cart?e=shipping');
    const off = await b.post('/cart/coupon', { csrf, remove: '1' });
    assert.equal(off.location, '/cart?m=nocoupon');
    assert.match((await b.get('/cart')).text, /Total<\/th><td class="num">USD 34\.99/);
    // the checkout's total is the cart's
    const co = await b.get('/checkout');
    assert.equal(inputValue(co.text, 'expected_amount'), '3499');
  });
});
