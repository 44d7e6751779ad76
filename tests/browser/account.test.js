// A signed-in customer in a real Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): sign up, sign out, fill a cart as a guest, sign in (the
// cart merges), choose the delivery, check out, find the order in the history,
// request a return once it is delivered, download the data export, delete the
// account; the address book (add, a field corrected, make default, edit) and a saved address
// chosen at checkout; two-factor enrolment from its QR code and the sign-in that asks
// for the code; the session renewal with and without JavaScript; axe-core on
// every account page (no serious or critical violation), screenshots at 320
// and 1280 px in tests/browser/out/ (git-ignored), and no console error or
// CSP refusal anywhere.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launchChromium, launchBrowser, checkPage } from './lib/chromium.js';
import { startServer } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { warehouse } from '../api/lib/checkout_util.js';
import { webProduct, HOSTILE } from '../api/lib/web_util.js';
import { email as newEmail, password as newPassword, totp } from '../api/lib/auth_util.js';


describe('a signed-in customer in Chromium', () => {
  let srv, chrome, context, teapot;
  const problems = [];
  const axeSeen = [];

  before(async () => {
    srv = await startServer({ products: 10, seed: 8 });
    const wh = await warehouse(srv, 'browser-acct');
    teapot = await webProduct(srv, wh, 'Browser Teapot', [{ title: 'Blue', price: 1800, stock: 50 }], { description: 'A teapot for the account journey.' });
    chrome = await launchChromium({ acceptDownloads: true });
    context = chrome.context;
  });

  after(async () => {
    if (chrome) await chrome.close();
    if (srv) await srv.stop();
  });

  async function newPage(ctx = context) {
    const page = await ctx.newPage();
    // a form answered 4xx on purpose (a wrong password, a field to correct) is not a problem
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (401|409|422)/.test(m.text()) && !(/\/track$/.test(page.url()) && /status of 404/.test(m.text())))
        problems.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
    return page;
  }

  const check = (page, name) => checkPage(page, name, axeSeen);

  async function signInForm(page, who) {
    await page.getByLabel('E-mail', { exact: true }).fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('signs up, fills a cart as a guest, signs in (the cart merges), checks out, returns an item, exports and deletes the account', async () => {
    const who = { email: newEmail('journey'), password: newPassword() };
    const page = await newPage();
    await page.goto(srv.url + '/');
    await page.getByRole('link', { name: 'Account' }).click();
    await page.waitForURL(/\/account\/signin\?next=%2Faccount$/);
    await check(page, 'signin');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.waitForURL(/\/account\/signup/);
    await check(page, 'signup');
    // a password the rules refuse: said next to the field
    await page.getByLabel('E-mail', { exact: true }).fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForSelector('#e-password');
    await check(page, 'signup-errors');
    await page.getByLabel('Your name (optional)').fill(HOSTILE);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/account$/);
    assert.equal(await page.locator('#account-email').textContent(), who.email);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'the hostile name never runs');
    const cookies = await context.cookies(srv.url);
    const session = cookies.find((c) => c.name === 'souk_session');
    assert.ok(session.httpOnly, 'HttpOnly');
    assert.equal(session.sameSite, 'Lax');
    assert.equal(await page.evaluate(() => document.cookie.includes('souk_session') || Object.keys(localStorage).some((k) => /token|session/i.test(k))), false,
      'no token readable by scripts, none in localStorage');
    await check(page, 'account');

    // the address book: two addresses (one corrected first), the second made the default, one edited
    await page.getByRole('link', { name: 'Addresses' }).click();
    await page.waitForURL(/\/account\/addresses$/);
    await check(page, 'addresses-empty');
    const addAddress = async (a) => {
      const add = page.getByRole('form', { name: 'Add an address' });
      await add.getByLabel('Label (optional, e.g. Home)').fill(a.label);
      await add.getByLabel('Full name').fill(a.name);
      await add.getByLabel('Address', { exact: true }).fill(a.line1);
      await add.getByLabel('City').fill(a.city);
      await add.getByLabel('Postal code').fill(a.postal);
      await add.getByLabel(/Country code/).fill(a.country);
      await add.getByRole('button', { name: 'Save the address' }).click();
    };
    await addAddress({ label: 'Home', name: 'Jo Journey', line1: '12 St James Square', city: 'London', postal: 'SW1Y 4JH', country: 'GB' });
    await page.waitForURL(/\/account\/addresses\?m=saved$/);
    await addAddress({ label: 'Work', name: 'Jo at Work', line1: '1 Analytical Row', city: 'Manchester', postal: 'M1 1AA', country: 'X1' });
    await page.waitForSelector('#e-country');
    assert.equal(await page.getByLabel('City').inputValue(), 'Manchester', 'what was typed is kept');
    await check(page, 'addresses-errors');
    await page.getByLabel(/Country code/).fill('GB');
    await page.getByRole('button', { name: 'Save the address' }).click();
    await page.waitForURL(/\/account\/addresses\?m=saved$/);
    await page.getByRole('button', { name: 'Make default Work' }).click();
    await page.waitForURL(/\/account\/addresses\?m=default$/);
    assert.match(await page.locator('li.address', { hasText: 'Work' }).textContent(), /Default shipping address/);
    await check(page, 'addresses');
    await page.getByRole('link', { name: 'Edit Home' }).click();
    await page.waitForURL(/\/account\/addresses\/adr_[0-9A-Z]+$/);
    assert.equal(await page.getByLabel('Address', { exact: true }).inputValue(), '12 St James Square');
    await check(page, 'address-edit');
    await page.getByLabel('City').fill('Westminster');
    await page.getByRole('button', { name: 'Save the address' }).click();
    await page.waitForURL(/\/account\/addresses\?m=saved$/);
    assert.match(await page.locator('li.address', { hasText: 'Home' }).textContent(), /Westminster/);
    await page.goto(`${srv.url}/account`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/account\/signin\?m=signedout/);
    assert.match(await page.getByRole('status').first().textContent(), /You are signed out/);

    // a guest cart, then sign in from the cart's way to checkout
    await page.goto(`${srv.url}/p/${teapot.slug}`);
    await page.getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.waitForURL(/\/cart\?m=added/);
    await page.goto(`${srv.url}/account/signin?next=/cart`);
    await signInForm(page, who);
    await page.waitForURL(/\/cart$/);
    assert.match(await page.locator('tbody').textContent(), /Browser Teapot/);
    assert.match(await page.locator('tfoot').textContent(), /USD 36\.00/);
    assert.equal((await context.cookies(srv.url)).some((c) => c.name === 'souk_cart'), false, 'the guest cart merged into the account');
    // the delivery method, with its cost in the totals
    await page.getByLabel(/Standard/).check();
    await page.getByRole('button', { name: 'Update the delivery' }).click();
    await page.waitForURL(/\/cart\?m=shipping/);
    assert.match(await page.locator('tfoot').textContent(), /Shipping\s*USD 4\.99/);
    await check(page, 'cart-options');
    await page.getByRole('link', { name: 'Check out' }).click();
    await page.waitForURL(/\/checkout$/);
    assert.equal(await page.getByLabel('E-mail', { exact: true }).inputValue(), who.email, 'the account\'s address, filled in');
    assert.equal(await page.getByLabel('Address', { exact: true }).inputValue(), '1 Analytical Row', 'the default saved address');
    await page.getByLabel('Ship to a saved address').selectOption({ label: 'Home: 12 St James Square, Westminster' });
    await page.getByRole('button', { name: 'Use this address' }).click();
    await page.waitForURL(/\/checkout\?address=adr_[0-9A-Z]+$/);
    assert.equal(await page.getByLabel('Address', { exact: true }).inputValue(), '12 St James Square');
    assert.equal(await page.getByLabel('City').inputValue(), 'Westminster');
    await page.getByLabel('Full name').fill('Jo Journey');
    await page.getByLabel('Address', { exact: true }).fill('5 Account Lane');
    await page.getByLabel('City').fill('Hull');
    await page.getByLabel('Postal code').fill('HU1 1AA');
    await page.getByLabel(/Country code/).fill('GB');
    await page.getByLabel('Card number').fill('4242424242424242');
    await check(page, 'checkout-signed-in');
    await page.getByRole('button', { name: 'Place order and pay' }).dblclick();
    const placed = /\/account\/orders\/ord_[0-9A-Z]+\?m=placed/; // the second submit may abort the first navigation
    await page.waitForURL(placed).catch(() => page.waitForURL(placed));
    const id = /ord_[0-9A-Z]+/.exec(page.url())[0];
    assert.match(await page.getByRole('status').first().textContent(), /Thank you for your order/);
    await check(page, 'order');
    await page.getByRole('link', { name: 'All your orders' }).click();
    await page.waitForURL(/\/account\/orders$/);
    assert.equal(await page.getByRole('link', { name: id }).count(), 1, 'the order is in the history, once');
    await check(page, 'orders');

    // delivered (the shop's staff, through the API), then a return from the order page
    for (const [action, body] of [['fulfil'], ['ship', { carrier: 'DHL', tracking: 'JD01' }], ['deliver']]) {
      const r = await api(srv, 'POST', `/api/v1/orders/${id}/${action}`, { key: true, body });
      assert.equal(r.status, 200, r.text);
    }
    await page.getByRole('link', { name: id }).click();
    await page.waitForURL(new RegExp(`/account/orders/${id}$`));
    assert.equal(await page.locator('#order-state').textContent(), 'delivered');
    await page.getByLabel(/How many of Browser Teapot/).fill('1');
    await page.getByLabel(/Why are you returning/).fill('Chipped spout');
    await check(page, 'order-return');
    await page.getByRole('button', { name: 'Request a return' }).click();
    await page.waitForURL(/\?m=return/);
    assert.match(await page.locator('ul.returns').textContent(), /requested.*Chipped spout/);
    const o = (await api(srv, 'GET', `/api/v1/orders/${id}`, { key: true })).body;
    assert.equal(o.returns.length, 1);

    // profile, then privacy: the export as a download, and the deletion
    await page.goto(srv.url + '/account/profile');
    await check(page, 'profile');
    await page.goto(srv.url + '/account/privacy');
    await check(page, 'privacy');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download my data' }).click()]);
    assert.equal(download.suggestedFilename(), 'souk-my-data.json');
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(exported.profile.email, who.email);
    assert.ok(JSON.stringify(exported.orders).includes(id), 'the export holds the order');
    await page.getByLabel('Your password').fill(who.password);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.waitForSelector('#e-confirm'); // not ticked: nothing happens
    await page.getByLabel('Your password').fill(who.password);
    await page.getByLabel(/I want my account deleted/).check();
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.waitForURL(/\/account\/signin\?m=deleted/);
    assert.match(await page.getByRole('status').first().textContent(), /Your account was deleted/);
    assert.equal((await context.cookies(srv.url)).some((c) => c.name === 'souk_session'), false);
    await signInForm(page, who);
    await page.waitForSelector('.notice.bad');
    assert.match(await page.locator('.notice.bad').textContent(), /not right/);
    await page.close();
  });

  it('enrols in two-factor sign-in from the QR code and signs in with a code', async () => {
    const who = { email: newEmail('twofa'), password: newPassword() };
    const page = await newPage();
    await page.goto(srv.url + '/account/signup');
    await page.getByLabel('E-mail', { exact: true }).fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/account$/);
    await page.getByRole('link', { name: 'Two-factor sign-in' }).click();
    await check(page, 'twofa');
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    const qr = page.getByRole('img', { name: 'QR code of your two-factor secret' });
    await qr.waitFor();
    const box = await qr.boundingBox();
    assert.ok(box.width >= 100 && Math.abs(box.width - box.height) < 1, `a square QR code (${box.width}×${box.height})`);
    await check(page, 'twofa-enrol');
    const secret = (await page.locator('#totp-secret').textContent()).replace(/ /g, '');
    await page.getByLabel('The 6-digit code the app shows now').fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await page.waitForSelector('ul.codes');
    const codes = await page.locator('ul.codes code').allTextContents();
    assert.equal(codes.length, 10);
    await check(page, 'twofa-codes');
    // sign out, sign in: the password, then the code step
    await page.goto(srv.url + '/account');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/signedout/);
    await signInForm(page, who);
    await page.getByLabel('Code').waitFor();
    await check(page, 'signin-code');
    await page.getByLabel('Code').fill(codes[0]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/account$/);
    assert.equal(await page.locator('#account-email').textContent(), who.email);
    await page.close();
  });

  it('the other account pages pass axe: reset, reset code, tracking', async () => {
    const page = await newPage();
    await page.goto(srv.url + '/account/reset');
    await check(page, 'reset');
    await page.getByLabel('E-mail', { exact: true }).fill(newEmail('reset'));
    await page.getByRole('button', { name: 'Send the code' }).click();
    await page.waitForURL(/\/account\/reset\/confirm\?m=sent/);
    await check(page, 'reset-confirm');
    await page.goto(srv.url + '/track');
    await check(page, 'track');
    await page.getByLabel('Order number').fill('ord_0000000000000');
    await page.getByLabel('Tracking code').fill('ot_nothing');
    await page.getByRole('button', { name: 'Show the order' }).click();
    await page.waitForSelector('.notice.bad');
    await check(page, 'track-none');
    await page.close();
  });

  it('an expired session renews by itself with JavaScript, and with one click without it', async () => {
    const who = { email: newEmail('renew'), password: newPassword() };
    const r = await api(srv, 'POST', '/api/v1/auth/register', { body: { email: who.email, password: who.password } });
    assert.equal(r.status, 201, r.text);
    // with JavaScript (the shared context, signed out first)
    await context.clearCookies();
    const page = await newPage();
    await page.goto(srv.url + '/account/signin');
    await signInForm(page, who);
    await page.waitForURL(/\/account$/);
    await context.clearCookies({ name: 'souk_session' }); // as the browser does after its 15 minutes
    await page.goto(srv.url + '/account/orders');
    await page.waitForURL(/\/account\/orders$/); // renew → its form sent by the script → back
    assert.equal(await page.locator('h1').textContent(), 'Your orders');
    await page.close();
    // the renewal page itself, for axe: the script stubbed out so that it stays on the page
    const still = await newPage();
    await still.route(/\/assets\/site\.[0-9a-f]+\.js$/, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: '' }));
    await context.clearCookies({ name: 'souk_session' });
    await still.goto(srv.url + '/account/orders');
    await still.waitForURL(/\/account\/renew\?next=/);
    await check(still, 'renew');
    await still.close();
    // without JavaScript (axe needs scripts, so it ran above): the same pages work by their forms
    const nojs = await launchBrowser();
    try {
      const ctx = await nojs.newContext({ javaScriptEnabled: false });
      const p = await newPage(ctx);
      await p.goto(srv.url + '/account/signin');
      await signInForm(p, who);
      await p.waitForURL(/\/account$/);
      await ctx.clearCookies({ name: 'souk_session' });
      await p.goto(srv.url + '/account/orders');
      await p.waitForURL(/\/account\/renew\?next=/);
      await p.getByRole('button', { name: 'Continue' }).click();
      await p.waitForURL(/\/account\/orders$/);
      assert.equal(await p.locator('h1').textContent(), 'Your orders');
      await ctx.close();
    } finally {
      await nojs.close();
    }
  });

  it('keeps a wishlist as a guest, merges it at sign-in, shares it read-only and stops sharing', async () => {
    const who = { email: newEmail('wish'), password: newPassword() };
    const r = await api(srv, 'POST', '/api/v1/auth/register', { body: { email: who.email, password: who.password, marketing_opt_in: true } });
    assert.equal(r.status, 201, r.text);
    await context.clearCookies();
    const page = await newPage();
    await page.goto(srv.url + `/p/${teapot.slug}`);
    await page.getByRole('button', { name: 'Add to wishlist' }).click();
    await page.waitForURL(/\/account\/wishlist\?m=added$/);
    assert.match(await page.locator('#wishlist-items').textContent(), /Browser Teapot/);
    await check(page, 'wishlist-guest');
    await page.getByRole('link', { name: 'Sign in' }).first().click();
    await signInForm(page, who);
    await page.waitForURL(/\/account\/wishlist$/);
    assert.match(await page.locator('#wishlist-items').textContent(), /Browser Teapot/, 'merged into the account');
    await page.getByRole('button', { name: 'Make a share link' }).click();
    await page.waitForURL(/m=shared$/);
    await check(page, 'wishlist-account');
    const link = await page.locator('#share-link').getAttribute('href');
    // the shared page in another browser: the products, nothing of the owner, nothing to change
    const other = await launchChromium();
    try {
      const shared = await newPage(other.context);
      await shared.goto(srv.url + link);
      assert.match(await shared.locator('main').textContent(), /Browser Teapot/);
      assert.ok(!(await shared.content()).includes(who.email));
      assert.equal(await shared.locator('main form').count(), 0);
      await check(shared, 'wishlist-shared');
      await page.getByRole('button', { name: 'Stop sharing' }).click();
      await page.waitForURL(/m=unshared$/);
      const raw = await other.context.newPage(); // a 404 on purpose: not watched for console errors
      const gone = await raw.goto(srv.url + link);
      assert.equal(gone.status(), 404);
    } finally {
      await other.close();
    }
    await page.getByRole('button', { name: /^Remove Browser Teapot/ }).click();
    await page.waitForURL(/m=removed$/);
    await page.locator('#wishlist-empty').waitFor();
    // the page of an alert's unsubscribe link (its token is checked by the button's POST)
    await page.goto(srv.url + '/wishlist/unsubscribe?t=u1.AAAAAAAAAAAAAAAAAAAAAA');
    await page.getByRole('button', { name: 'Unsubscribe' }).waitFor();
    await check(page, 'wishlist-unsubscribe');
    // and the page of a campaign mail's unsubscribe link (docs/campaigns.md), the same way
    await page.goto(srv.url + '/campaigns/unsubscribe?t=c1u1.AAAAAAAAAAAAAAAAAAAAAA');
    await page.getByRole('button', { name: 'Unsubscribe' }).waitFor();
    await check(page, 'campaigns-unsubscribe');
    await page.close();
  });

  it('no console errors or CSP refusals on any page, and axe ran on each', () => {
    assert.deepEqual(problems, []);
    assert.ok(axeSeen.length >= 20, `axe ran on ${axeSeen.join(', ')}`);
  });
});
