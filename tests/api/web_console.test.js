// The admin and vendor dashboards' server side (src/web/console.c): who gets the
// shell pages, and the one way their script reaches the API — the session cookie
// counts as a credential only together with X-CSRF-Token matching the browser's
// CSRF cookie (tests/browser/admin.test.js drives the script itself).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ADMIN_EMAIL, ADMIN_PASSWORD } from './lib/server.js';
import { api } from './lib/client.js';
import { Browser, inputValue } from './lib/web_util.js';
import { register } from './lib/auth_util.js';
import { warehouse, product, vendor, must, ADDRESS, idemKey } from './lib/orders_util.js';
import { guestCart, checkout, CARD_OK } from './lib/checkout_util.js';

async function signIn(b, who, next) {
  const page = await b.get(`/account/signin${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  return b.post('/account/signin', { csrf: inputValue(page.text, 'csrf'), next: inputValue(page.text, 'next'), email: who.email, password: who.password });
}

const meta = (html, name) => new RegExp(`<meta name="${name}" content="([^"]*)"`).exec(html)?.[1];

/** GET or POST PATH of the API from browser B, with the cookies and HEADERS. */
async function fromPage(b, method, path, headers = {}, body) {
  const res = await fetch(b.srv.url + path, {
    method, headers: { cookie: b.cookieHeader(), accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : null };
}

describe('admin and vendor dashboards: pages and the cookie credential', () => {
  let srv, vend, vendorWho, mine, theirs;

  before(async () => {
    srv = await startServer();
    const wh = await warehouse(srv);
    vend = await vendor(srv);
    const ours = await product(srv, { title: 'Vendor lamp', vendorId: vend.id, variants: [{ price: 1500, stock: 20 }], wh });
    const shop = await product(srv, { title: 'Shop mug', variants: [{ price: 700, stock: 20 }], wh });
    const order = async (variant) => {
      const tok = await guestCart(srv, [[variant.id, 1]]);
      const r = await checkout(srv, tok, idemKey('console'), { email: 'buyer@example.com', shipping_address: { ...ADDRESS }, payment_method: CARD_OK });
      return must(r, 201);
    };
    mine = await order(ours.variants[0]);
    theirs = await order(shop.variants[0]);
    const c = await register(srv);
    must(await api(srv, 'PATCH', `/api/v1/admin/users/${c.user.id}`, { key: true, body: { role: 'vendor', vendor_id: vend.id } }), 200);
    vendorWho = { email: c.email, password: c.password };
  });

  after(async () => { if (srv) await srv.stop(); });

  it('sends a visitor without a session to sign in, and back', async () => {
    const b = new Browser(srv);
    for (const [path, next] of [['/admin', '%2Fadmin'], ['/vendor', '%2Fvendor']]) {
      const r = await b.get(path);
      assert.equal(r.status, 303);
      assert.equal(r.location, `/account/signin?next=${next}`);
    }
    const r = await signIn(b, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, '/admin');
    assert.equal(r.status, 303);
    assert.equal(r.location, '/admin');
  });

  it('serves the admin shell to staff: no-store, strict CSP, the embedded bundle and the CSRF token', async () => {
    const b = new Browser(srv);
    await signIn(b, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const r = await b.get('/admin');
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.match(r.headers.get('content-type'), /^text\/html/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.match(r.headers.get('content-security-policy'), /script-src 'self'/);
    assert.doesNotMatch(r.headers.get('content-security-policy'), /unsafe/);
    assert.equal(meta(r.text, 'souk-face'), 'admin');
    assert.match(meta(r.text, 'souk-csrf'), /^[0-9a-f]{32}$/);
    assert.equal(meta(r.text, 'souk-permissions'), '*');
    const js = /<script src="(\/assets\/admin\.[0-9a-f]{16}\.js)"/.exec(r.text)?.[1];
    const css = /<link rel="stylesheet" href="(\/assets\/admin\.[0-9a-f]{16}\.css)"/.exec(r.text)?.[1];
    assert.ok(js && css, 'the page links the bundle');
    const s = await b.get(js);
    assert.equal(s.status, 200);
    assert.match(s.headers.get('content-type'), /^text\/javascript/);
    assert.match(s.headers.get('cache-control'), /immutable/);
    assert.ok(s.text.length > 10000 && s.text.includes('X-CSRF-Token'), 'the bundled dashboard script');
    assert.equal((await b.get(css)).status, 200);
    assert.equal((await b.get('/vendor')).status, 403, 'an admin has no vendor of their own');
  });

  it('refuses both faces to a customer with a 403 page', async () => {
    const c = await register(srv);
    const b = new Browser(srv);
    await signIn(b, { email: c.email, password: c.password });
    for (const path of ['/admin', '/vendor']) {
      const r = await b.get(path);
      assert.equal(r.status, 403);
      assert.match(r.text, /Not for this account/);
    }
  });

  it('lets the session cookie call the API only with the matching X-CSRF-Token', async () => {
    const b = new Browser(srv);
    await signIn(b, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const page = await b.get('/admin');
    const csrf = meta(page.text, 'souk-csrf');
    const kpis = '/api/v1/admin/analytics/kpis';

    assert.equal((await fromPage(b, 'GET', kpis, { 'x-csrf-token': csrf })).status, 200);
    assert.equal((await fromPage(b, 'GET', kpis)).status, 401, 'a cookie alone is no credential');
    assert.equal((await fromPage(b, 'GET', kpis, { 'x-csrf-token': '0'.repeat(32) })).status, 401, 'a made-up token');
    assert.equal((await fromPage(b, 'GET', kpis, { 'x-csrf-token': csrf.toUpperCase() })).status, 401);
    // another browser's token does not fit this browser's cookie
    const other = new Browser(srv);
    await signIn(other, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const otherCsrf = meta((await other.get('/admin')).text, 'souk-csrf');
    assert.notEqual(otherCsrf, csrf);
    assert.equal((await fromPage(b, 'GET', kpis, { 'x-csrf-token': otherCsrf })).status, 401);
    // the token without the session cookie is nobody
    const noSession = new Browser(srv);
    noSession.jar.set('souk_csrf', b.jar.get('souk_csrf'));
    assert.equal((await fromPage(noSession, 'GET', kpis, { 'x-csrf-token': csrf })).status, 401);
    // an Authorization header wins over the cookie
    const r = await fromPage(b, 'GET', kpis, { 'x-csrf-token': csrf, authorization: 'Bearer sk_not_a_key' });
    assert.equal(r.status, 401);
    // writes work the same way: the admin fulfils an order from the page
    const f = await fromPage(b, 'POST', `/api/v1/orders/${theirs.id}/fulfil`, { 'x-csrf-token': csrf });
    assert.equal(f.status, 200, f.text);
    assert.equal(f.body.state, 'fulfilled');
    assert.equal((await fromPage(b, 'POST', `/api/v1/orders/${mine.id}/fulfil`)).status, 401);
    // after sign-out the cookie is gone and so is the credential
    const out = await b.post('/account/signout', { csrf: inputValue((await b.get('/account')).text, 'csrf') });
    assert.equal(out.status, 303);
    assert.equal((await fromPage(b, 'GET', kpis, { 'x-csrf-token': csrf })).status, 401);
  });

  it('gives a vendor their dashboard and only their orders through it', async () => {
    const b = new Browser(srv);
    await signIn(b, vendorWho);
    const page = await b.get('/vendor');
    assert.equal(page.status, 200, page.text.slice(0, 300));
    assert.equal(meta(page.text, 'souk-face'), 'vendor');
    assert.equal((await b.get('/admin')).status, 403);
    const csrf = meta(page.text, 'souk-csrf');
    const list = await fromPage(b, 'GET', '/api/v1/orders?limit=100', { 'x-csrf-token': csrf });
    assert.equal(list.status, 200, list.text);
    const ids = list.body.data.map((o) => o.id);
    assert.ok(ids.includes(mine.id), 'the order with their line');
    assert.ok(!ids.includes(theirs.id), 'not the shop\'s own order');
    assert.equal((await fromPage(b, 'GET', `/api/v1/orders/${theirs.id}`, { 'x-csrf-token': csrf })).status, 404);
    assert.equal((await fromPage(b, 'GET', '/api/v1/admin/analytics/funnel', { 'x-csrf-token': csrf })).status, 403);
  });
});
