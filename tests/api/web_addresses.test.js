// The storefront's address book (src/web/addresses.c; docs/web.md "Your account") over HTTP, as a
// browser without JavaScript uses it: add (errors beside the fields, what was typed kept), edit,
// make default, delete; each form refused without its CSRF token; another account's address is a
// 404; hostile text rendered as text; checkout starts from the default address and a GET form
// fills in another saved one.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { warehouse } from './lib/checkout_util.js';
import { email as newEmail, password as newPassword } from './lib/auth_util.js';
import { Browser, inputValue, webProduct, HOSTILE } from './lib/web_util.js';

const HOME = { label: 'Home', name: 'Ada Lovelace', line1: '12 St James Square', line2: '', city: 'London', postal_code: 'SW1Y 4JH', region: '', country: 'gb' };
const WORK = { label: 'Work', name: 'Ada at Work', line1: '1 Analytical Row', line2: 'Floor 2', city: 'Manchester', postal_code: 'M1 1AA', region: '', country: 'GB' };

async function signUp(b) {
  const who = { email: newEmail('addr'), password: newPassword() };
  const page = await b.get('/account/signup');
  const r = await b.post('/account/signup', { csrf: inputValue(page.text, 'csrf'), email: who.email, password: who.password, name: 'Ada' });
  assert.equal(r.status, 303, r.text.slice(0, 500));
  return who;
}

/** The address ids on the list page, in order, with whether each is the default. */
const listed = (html) => [...html.matchAll(/<li class="address" id="(adr_[0-9A-Z]+)"><h2>([^<]*?)( <span class="badge">Default shipping address<\/span>)?<\/h2>/g)]
  .map((m) => [m[2], Boolean(m[3])]);

describe('storefront address book', () => {
  let srv, kettle;

  before(async () => {
    srv = await startServer({ products: 5, seed: 3 });
    const wh = await warehouse(srv, 'webaddr');
    kettle = await webProduct(srv, wh, 'Address Kettle', [{ title: 'One', price: 3000, stock: 100 }]);
  });
  after(async () => { if (srv) await srv.stop(); });

  it('a guest is sent to sign in', async () => {
    const r = await new Browser(srv).get('/account/addresses');
    assert.equal(r.status, 303);
    assert.match(r.location, /^\/account\/signin\?next=%2Faccount%2Faddresses/);
  });

  it('adds, edits, makes default and deletes addresses with plain forms', async () => {
    const b = new Browser(srv);
    await signUp(b);
    const account = await b.get('/account');
    assert.ok(account.text.includes('href="/account/addresses"'));
    let page = await b.get('/account/addresses');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(page.text, /No saved address yet/);
    const csrf = inputValue(page.text, 'csrf');

    // a wrong field: 422, the error beside it, what was typed kept
    let r = await b.post('/account/addresses', { csrf, ...HOME, country: 'g1' });
    assert.equal(r.status, 422, r.text.slice(0, 500));
    assert.match(r.text, /<span class="error" id="e-country">Must be an ISO 3166 country code such as GB\.<\/span>/);
    assert.match(r.text, /aria-invalid="true" aria-describedby="e-country"/);
    assert.equal(inputValue(r.text, 'line1'), HOME.line1);
    r = await b.post('/account/addresses', { csrf, ...HOME, city: '  ' });
    assert.equal(r.status, 422);
    assert.match(r.text, /id="e-city">Must not be blank\./);

    // saved: the first is the default (a lower-case country is taken as meant)
    r = await b.post('/account/addresses', { csrf, ...HOME });
    assert.equal(r.status, 303, r.text.slice(0, 500));
    assert.equal(r.location, '/account/addresses?m=saved');
    r = await b.post('/account/addresses', { csrf, ...WORK });
    assert.equal(r.status, 303);
    page = await b.get('/account/addresses?m=saved');
    assert.match(page.text, /The address was saved\./);
    assert.deepEqual(listed(page.text), [['Home', true], ['Work', false]]);
    assert.match(page.text, /12 St James Square<br>London<br>SW1Y 4JH<br>GB/);
    const [homeId, workId] = [...page.text.matchAll(/<li class="address" id="(adr_[0-9A-Z]+)"/g)].map((m) => m[1]);

    // make Work the default
    r = await b.post(`/account/addresses/${workId}/default`, { csrf });
    assert.equal(r.status, 303);
    page = await b.get(r.location);
    assert.match(page.text, /Your default shipping address was changed\./);
    assert.deepEqual(listed(page.text), [['Work', true], ['Home', false]]);

    // edit Home: the form is filled in; a bad value is refused and kept; then saved
    const edit = await b.get(`/account/addresses/${homeId}`);
    assert.equal(edit.status, 200);
    assert.equal(inputValue(edit.text, 'line1'), HOME.line1);
    assert.equal(inputValue(edit.text, 'country'), 'GB');
    r = await b.post(`/account/addresses/${homeId}`, { csrf, ...HOME, postal_code: '' });
    assert.equal(r.status, 422);
    assert.match(r.text, /id="e-postal_code"/);
    r = await b.post(`/account/addresses/${homeId}`, { csrf, ...HOME, line1: '13 St James Square' });
    assert.equal(r.status, 303);
    page = await b.get('/account/addresses');
    assert.match(page.text, /13 St James Square/);
    assert.deepEqual(listed(page.text), [['Work', true], ['Home', false]], 'an edit without the tick leaves the default');

    // the API sees the same book
    const api_ = await api(srv, 'GET', '/api/v1/users/me/addresses', { key: b.jar.get('souk_session') });
    assert.deepEqual(api_.body.data.map((a) => a.id), [workId, homeId]);

    // delete Work
    r = await b.post(`/account/addresses/${workId}/delete`, { csrf });
    assert.equal(r.status, 303);
    page = await b.get(r.location);
    assert.match(page.text, /The address was deleted\./);
    assert.deepEqual(listed(page.text), [['Home', false]]);
    assert.equal((await b.post(`/account/addresses/${workId}/delete`, { csrf })).status, 404);
    assert.equal((await b.get(`/account/addresses/${workId}`)).status, 404);
  });

  it('refuses forms without the CSRF token, and another account\'s address is not found', async () => {
    const a = new Browser(srv);
    await signUp(a);
    const page = await a.get('/account/addresses');
    const csrf = inputValue(page.text, 'csrf');
    assert.equal((await a.post('/account/addresses', { csrf, ...HOME })).status, 303);
    const id = /<li class="address" id="(adr_[0-9A-Z]+)"/.exec((await a.get('/account/addresses')).text)[1];
    assert.equal((await a.post('/account/addresses', { ...HOME })).status, 403);
    assert.equal((await a.post('/account/addresses', { csrf: 'x'.repeat(32), ...HOME })).status, 403);
    assert.equal((await a.post(`/account/addresses/${id}/delete`, {})).status, 403);
    const b = new Browser(srv);
    await signUp(b);
    const bcsrf = inputValue((await b.get('/account/addresses')).text, 'csrf');
    assert.equal((await b.get(`/account/addresses/${id}`)).status, 404);
    assert.equal((await b.post(`/account/addresses/${id}`, { csrf: bcsrf, ...WORK })).status, 404);
    assert.equal((await b.post(`/account/addresses/${id}/delete`, { csrf: bcsrf })).status, 404);
    assert.equal((await b.post(`/account/addresses/${id}/default`, { csrf: bcsrf })).status, 404);
    assert.deepEqual(listed((await a.get('/account/addresses')).text), [['Home', true]], 'untouched');
  });

  it('renders hostile text as text', async () => {
    const b = new Browser(srv);
    await signUp(b);
    const csrf = inputValue((await b.get('/account/addresses')).text, 'csrf');
    const r = await b.post('/account/addresses', { csrf, ...HOME, label: HOSTILE.slice(0, 50), line1: HOSTILE });
    assert.equal(r.status, 303, r.text.slice(0, 300));
    const page = await b.get('/account/addresses');
    assert.ok(!page.text.includes('<script>window.__pwned'), 'no script from the address');
    assert.ok(!page.text.includes('<img src=x'), 'no markup from the address');
    assert.match(page.text, /&lt;script&gt;window\.__pwned=1&lt;\/script&gt;/);
  });

  it('checkout starts from the default address and fills in another saved one by a GET form', async () => {
    const b = new Browser(srv);
    const who = await signUp(b);
    const csrf = inputValue((await b.get('/account/addresses')).text, 'csrf');
    await b.post('/account/addresses', { csrf, ...HOME });
    await b.post('/account/addresses', { csrf, ...WORK, default_shipping: '1' });
    const prod = await b.get(`/p/${kettle.slug}`);
    assert.equal((await b.post('/cart/add', { csrf: inputValue(prod.text, 'csrf'), variant: kettle.variants[0].id, quantity: '1' })).status, 303);
    let co = await b.get('/checkout');
    assert.equal(co.status, 200);
    assert.equal(inputValue(co.text, 'email'), who.email);
    assert.equal(inputValue(co.text, 'name'), 'Ada at Work', 'the default address, ticked when saved');
    assert.equal(inputValue(co.text, 'line1'), WORK.line1);
    assert.equal(inputValue(co.text, 'line2'), WORK.line2);
    assert.match(co.text, /<form method="get" action="\/checkout" class="saved-address">/);
    const home = /<option value="(adr_[0-9A-Z]+)">Home: 12 St James Square, London<\/option>/.exec(co.text);
    assert.ok(home, co.text.slice(co.text.indexOf('saved-address'), co.text.indexOf('saved-address') + 600));
    co = await b.get(`/checkout?address=${home[1]}`);
    assert.equal(inputValue(co.text, 'line1'), HOME.line1);
    assert.equal(inputValue(co.text, 'country'), 'GB');
    assert.match(co.text, new RegExp(`<option value="${home[1]}" selected>`));
    // and it pays with the address shown
    const fields = { csrf: inputValue(co.text, 'csrf'), idem: inputValue(co.text, 'idem'), expected_amount: inputValue(co.text, 'expected_amount'),
      expected_currency: inputValue(co.text, 'expected_currency'), email: who.email, name: inputValue(co.text, 'name'), line1: inputValue(co.text, 'line1'),
      line2: inputValue(co.text, 'line2') || '', city: inputValue(co.text, 'city'), postal_code: inputValue(co.text, 'postal_code'), region: '',
      country: inputValue(co.text, 'country'), card: '4242424242424242' };
    const r = await b.post('/checkout', fields);
    assert.equal(r.status, 303, r.text.slice(0, 500));
    const id = /(ord_[0-9A-Z]+)/.exec(r.location)[1];
    const o = (await api(srv, 'GET', `/api/v1/orders/${id}`, { key: true })).body;
    assert.equal(o.shipping_address.line1, HOME.line1);
    assert.equal(o.shipping_address.city, 'London');
  });
});
