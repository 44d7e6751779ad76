// The admin and vendor dashboards in a real Chromium: an admin with two-factor
// sign-in sees the KPI tiles and the revenue chart drawn with data, fulfils,
// ships and refunds an order from the order page; a vendor sees their own
// orders and not another's; axe-core on every dashboard page, screenshots at
// 320 and 1280 px, and no console error or CSP refusal anywhere.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, checkPage, watchedPage } from './lib/chromium.js';
import { startServer, ADMIN_EMAIL, ADMIN_PASSWORD } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { register, totp } from '../api/lib/auth_util.js';
import { warehouse, product, vendor, must, ADDRESS, idemKey } from '../api/lib/orders_util.js';
import { guestCart, checkout, CARD_OK } from '../api/lib/checkout_util.js';
import { createServer } from 'node:http';

describe('the dashboards in Chromium', () => {
  let srv, chrome, vendorWho, vendorOrder, shopOrder, secret, mug, shopper, receiver;
  const received = [];
  const problems = [];
  const axeSeen = [];

  before(async () => {
    // a webhook receiver on loopback, allowed as a target for this server only
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { received.push({ id: req.headers['webhook-id'], body }); res.end('ok'); });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    srv = await startServer({ env: { SOUK_WEBHOOKS_ALLOW_TARGETS: '127.0.0.1/32' } });
    const wh = await warehouse(srv);
    const vend = await vendor(srv);
    const lamp = await product(srv, { title: 'Dashboard lamp', vendorId: vend.id, variants: [{ price: 2500, stock: 20 }], wh });
    mug = await product(srv, { title: 'Dashboard mug', variants: [{ price: 1200, stock: 20 }], wh });
    const order = async (variant, n) => {
      const tok = await guestCart(srv, [[variant.id, n]]);
      return must(await checkout(srv, tok, idemKey('dash'), { email: 'dash@example.com', shipping_address: { ...ADDRESS }, payment_method: CARD_OK }), 201);
    };
    vendorOrder = await order(lamp.variants[0], 1);
    // behaviour events and a first recommendation model (activated by itself), for the models screen
    const shelf = [lamp, mug];
    for (let i = 0; i < 6; i++) shelf.push(await product(srv, { title: `Dashboard shelf item ${i}`, variants: [{ price: 900 + i, stock: 5 }], wh }));
    const events = [];
    for (let v = 0; v < 40; v++) {
      for (let j = 0; j < 6; j++) {
        events.push({ id: `dash-${v}-${j}`, type: 'product_view', anonymous_id: `dash-visitor-${v}`, product_id: shelf[(v + j * (v % 2 ? 1 : 3)) % shelf.length].product.id });
      }
    }
    must(await api(srv, 'POST', '/api/v1/events', { body: { events } }), 202);
    must(await api(srv, 'POST', '/api/v1/admin/recommendations/models', { key: true, body: { params: { factors: 4, iterations: 5 } } }), 202);
    for (let i = 0; i < 100; i++) {
      const list = must(await api(srv, 'GET', '/api/v1/admin/recommendations/models', { key: true }), 200);
      if (list.active_version === 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    shopOrder = await order(mug.variants[0], 2);
    // the admin turns on two-factor sign-in (through the API; the storefront's own page is tested in account.test.js)
    const t = must(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } }), 200);
    const start = must(await api(srv, 'POST', '/api/v1/users/me/2fa/totp', { key: t.access_token }), 200);
    secret = start.secret;
    must(await api(srv, 'POST', '/api/v1/users/me/2fa/totp/confirm', { key: t.access_token, body: { code: totp(secret) } }), 200);
    const c = await register(srv);
    must(await api(srv, 'PATCH', `/api/v1/admin/users/${c.user.id}`, { key: true, body: { role: 'vendor', vendor_id: vend.id } }), 200);
    vendorWho = { email: c.email, password: c.password };
    shopper = await register(srv);
    chrome = await launchChromium();
  });

  after(async () => {
    if (receiver) receiver.close();
    if (chrome) await chrome.close();
    if (srv) await srv.stop();
  });

  const newPage = (context) => watchedPage(context, problems);

  const check = (page, name) => checkPage(page, name, axeSeen);

  async function signIn(page, who, next, code) {
    await page.goto(`${srv.url}${next}`);
    await page.waitForURL(/\/account\/signin/);
    await page.getByLabel('E-mail', { exact: true }).fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const there = new RegExp(`${next}(#.*)?$`);
    // a TOTP step is accepted once: when enrolment used this step's code, sign in with the next one
    for (let attempt = 0; code && attempt < 3; attempt++) {
      await page.getByLabel('Code').fill(code());
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState();
      if (there.test(page.url()) || !(await page.getByText(/was used already/).count())) break;
      await page.waitForTimeout(30_000 - (Date.now() % 30_000) + 200);
    }
    await page.waitForURL(there);
  }

  it('an admin signs in with two-factor, reads the figures and chart, fulfils, ships and refunds an order', async () => {
    const page = await newPage(chrome.context);
    await signIn(page, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, '/admin', () => totp(secret));
    // the overview: the tiles count both orders (the facts follow the outbox within a second or so)
    await page.waitForSelector('.tile[data-metric="orders"]');
    let orders = '';
    for (let i = 0; i < 40; i++) {
      orders = await page.locator('.tile[data-metric="orders"] .tile-value').textContent();
      if (orders === '2') break;
      await page.waitForTimeout(250);
      await page.reload();
      await page.waitForSelector('.tile[data-metric="orders"]');
    }
    assert.equal(orders, '2');
    assert.match(await page.locator('.tile[data-metric="gross_revenue"] .tile-value').textContent(), /\$49\.00/);
    // the chart is drawn: uPlot's canvas with pixels, and the same numbers in its table
    const canvas = page.locator('.chart-canvas canvas').first();
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    assert.ok(box.width > 200 && box.height > 100, `a drawn chart (${box.width}×${box.height})`);
    const inked = await canvas.evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    assert.ok(inked > 500, `the canvas has ink (${inked} pixels)`);
    // the forecast: this store's history is one day, so the page says why there is none yet
    await page.getByText(/No forecast yet/).waitFor();
    await page.getByText('Show the numbers').first().click();
    assert.match(await page.locator('.chart-table tbody').first().textContent(), /\$49\.00/);
    await check(page, 'admin-overview');

    // orders: the list, then the shop's order
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await page.waitForSelector('table.orders');
    await check(page, 'admin-orders');
    await page.getByRole('link', { name: shopOrder.id }).click();
    await page.waitForSelector('#order-title');
    await page.getByRole('button', { name: 'Fulfil everything left' }).click();
    await page.getByText('Fulfil: done.').waitFor();
    await page.getByLabel('Carrier').fill('Royal Mail');
    await page.getByLabel('Tracking number').fill('RM123456789GB');
    await page.getByRole('button', { name: 'Ship' }).click();
    await page.getByText('Ship: done.').waitFor();
    await page.getByLabel('Amount').fill('5.00');
    await page.getByLabel('Reason').fill('scratched');
    await page.getByRole('button', { name: 'Refund' }).click();
    await page.getByText('Refund: done.').waitFor();
    await check(page, 'admin-order');
    // what the page did is what the API says
    const o = must(await api(srv, 'GET', `/api/v1/orders/${shopOrder.id}`, { key: true }), 200);
    assert.equal(o.state, 'shipped');
    assert.equal(o.totals.refunded.amount, 500);
    assert.equal(o.sub_orders[0].tracking, 'RM123456789GB');
    // a refused action (a shipped order cannot be cancelled) shows the server's reason, and changes nothing
    await page.getByRole('button', { name: 'Cancel the order' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').textContent(), /^Cancel: /);
    assert.equal(must(await api(srv, 'GET', `/api/v1/orders/${shopOrder.id}`, { key: true }), 200).state, 'shipped');

    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.waitForSelector('#jobs-title');
    await check(page, 'admin-jobs');

    // the audit log: the chain verifies
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForSelector('table.audit');
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/The chain is intact: \d+ entries/).waitFor();
    await check(page, 'admin-audit');

    // recommendation models: train a second version from the page, then activate it
    await page.getByRole('link', { name: 'Models' }).click();
    await page.waitForSelector('tr[data-version="1"]');
    assert.match(await page.locator('tr[data-version="1"]').textContent(), /active/);
    await page.getByRole('button', { name: 'Train a new version' }).click();
    await page.locator('tr[data-version="2"]', { hasText: 'ready' }).waitFor({ timeout: 30_000 });
    await page.locator('tr[data-version="2"]').getByRole('button', { name: 'Activate' }).click();
    await page.getByText('Activate version 2: done.').waitFor();
    await page.locator('tr[data-version="2"]', { hasText: 'active' }).waitFor();
    await page.locator('tr[data-version="2"]').getByRole('button', { name: 'Metrics' }).click();
    await page.getByRole('heading', { name: 'Version 2' }).waitFor();
    await check(page, 'admin-models');
    assert.equal(must(await api(srv, 'GET', '/api/v1/admin/recommendations/models', { key: true }), 200).active_version, 2);
    // an A/B test of the two versions: started, its results (no impressions yet), stopped
    await page.locator('.ab-start').getByLabel('Name').fill('one against two');
    await page.locator('.ab-start').getByLabel('Version A').selectOption('1');
    await page.locator('.ab-start').getByLabel('Version B').selectOption('2');
    await page.getByRole('button', { name: 'Start the A/B test' }).click();
    await page.getByText('A/B test “one against two” started.').waitFor();
    await page.getByRole('table', { name: /Test “one against two”: version 1 against 2/ }).waitFor();
    assert.match(await page.locator('.ab-results').locator('..').locator('..').textContent(), /Not enough impressions/);
    const tests = must(await api(srv, 'GET', '/api/v1/admin/recommendations/ab-tests', { key: true }), 200).data;
    assert.deepEqual(tests.map((t) => [t.name, t.version_a, t.version_b, t.status]), [['one against two', 1, 2, 'running']]);
    await check(page, 'admin-ab-test');
    await page.locator(`tr[data-test="${tests[0].id}"]`).getByRole('button', { name: 'Stop' }).click();
    await page.getByText(/stopped; the active version serves everyone/).waitFor();
    assert.equal(must(await api(srv, 'GET', `/api/v1/admin/recommendations/ab-tests/${tests[0].id}`, { key: true }), 200).status, 'stopped');

    // products: a price and a stock count changed from the page
    await page.getByRole('link', { name: 'Products' }).click();
    await page.waitForSelector('table.products');
    await check(page, 'admin-products');
    await page.getByRole('link', { name: mug.product.title }).click();
    await page.waitForSelector('#product-title');
    const variant = page.getByRole('article', { name: `Variant ${mug.variants[0].sku}` });
    await variant.getByLabel('Price in USD').fill('13.50');
    await variant.getByRole('button', { name: 'Save price' }).click();
    await page.getByText(`Price of ${mug.variants[0].sku} in USD: saved.`).waitFor();
    await variant.getByLabel('On hand').fill('33');
    await variant.getByLabel('Reason').fill('recount');
    await variant.getByRole('button', { name: 'Save stock' }).click();
    await page.getByText(/: saved\.$/).last().waitFor();
    await check(page, 'admin-product');
    const pv = must(await api(srv, 'GET', `/api/v1/products/${mug.product.id}`, { key: true }), 200).variants[0];
    assert.deepEqual(pv.prices.find((m) => m.currency === 'USD'), { amount: 1350, currency: 'USD' });
    const st = must(await api(srv, 'GET', `/api/v1/variants/${mug.variants[0].id}/stock`, { key: true }), 200);
    assert.equal(st.warehouses[0].on_hand, 33);

    // users: a customer's account disabled from the page
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('E-mail').fill(shopper.email);
    await page.getByRole('button', { name: 'Filter' }).click();
    const row = page.getByRole('form', { name: `Account ${shopper.email}` });
    // the unfiltered list shows the row too: wait for the filtered answer, whose render would reset a choice made before it
    await page.waitForFunction(() => document.querySelectorAll('form[aria-label^="Account "]').length === 1);
    await row.waitFor();
    await row.getByLabel('Status').selectOption('disabled');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`${shopper.email}: saved.`).waitFor();
    await check(page, 'admin-users');
    const users = must(await api(srv, 'GET', `/api/v1/admin/users?email=${encodeURIComponent(shopper.email)}`, { key: true }), 200);
    assert.equal(users.data[0].status, 'disabled');

    // promotions: 10% off everything, needing a code; a code added; then switched off
    await page.getByRole('link', { name: 'Promotions' }).click();
    await page.getByLabel('Name').fill('Spring ten');
    await page.getByLabel('Percent or amount').fill('10');
    await page.getByLabel('needs a code').check();
    await page.getByRole('button', { name: 'Create promotion' }).click();
    await page.getByText('Promotion Spring ten created.').waitFor();
    const promo = page.locator('tr[data-promotion]', { hasText: 'Spring ten' });
    assert.match(await promo.textContent(), /10% off/);
    await promo.getByRole('button', { name: 'Codes' }).click();
    await page.getByLabel('Code', { exact: true }).fill('SPRING10');
    await page.getByRole('button', { name: 'Add code' }).click();
    await page.getByText('Code SPRING10 added.').waitFor();
    await page.getByText(/SPRING10 — used 0/).waitFor();
    await check(page, 'admin-promotions');
    await promo.getByRole('button', { name: 'Switch off' }).click();
    await page.getByText('Spring ten: switched off.').waitFor();
    const promos = must(await api(srv, 'GET', '/api/v1/admin/promotions', { key: true }), 200).data;
    const made = promos.find((p) => p.name === 'Spring ten');
    assert.deepEqual([made.kind, made.value, made.requires_code, made.active], ['percent', 1000, true, false]);

    // webhooks: a subscription made on the page (its secret shown once), a delivery seen and replayed
    await page.getByRole('link', { name: 'Webhooks' }).click();
    const hook = `http://127.0.0.1:${receiver.address().port}/hook`;
    await page.getByLabel('URL').fill(hook);
    await page.getByLabel('order.delivered').check();
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await page.getByRole('note').waitFor();
    assert.match(await page.getByRole('note').textContent(), /whsec_[A-Za-z0-9+/=]+/);
    must(await api(srv, 'POST', `/api/v1/orders/${shopOrder.id}/deliver`, { key: true }), 200);
    await page.locator(`tr[data-webhook]`).getByRole('button', { name: 'Deliveries' }).click();
    let ok = false;
    for (let i = 0; i < 60 && !ok; i++) {
      ok = await page.locator('table.deliveries tr', { hasText: 'succeeded' }).count() > 0;
      if (!ok) {
        await page.waitForTimeout(250);
        await page.locator(`tr[data-webhook]`).getByRole('button', { name: 'Deliveries' }).click();
        await page.locator(`tr[data-webhook]`).getByRole('button', { name: 'Deliveries' }).click();
      }
    }
    assert.ok(ok, 'the delivery succeeded');
    assert.equal(received.length, 1);
    await page.locator('table.deliveries').getByRole('button', { name: 'Replay' }).click();
    await page.getByText(/will be sent again/).waitFor();
    await check(page, 'admin-webhooks');
    for (let i = 0; i < 60 && received.length < 2; i++) await page.waitForTimeout(100);
    assert.equal(received.length, 2);
    assert.equal(received[1].id, received[0].id, 'a replay keeps the webhook-id');
    await page.close();
  });

  it('a vendor sees their own orders and not the shop\'s', async () => {
    const page = await newPage(chrome.context);
    // a fresh session: sign the admin out first (the same browser profile)
    await page.goto(`${srv.url}/account`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/signedout/);
    await signIn(page, vendorWho, '/vendor');
    await page.waitForSelector('#overview-title');
    assert.equal(await page.locator('#overview-title').textContent(), 'Your sales');
    await check(page, 'vendor-overview');
    await page.getByRole('link', { name: 'Your orders' }).click();
    await page.waitForSelector('table.orders');
    const listed = await page.locator('table.orders tbody a').allTextContents();
    assert.deepEqual(listed, [vendorOrder.id]);
    await check(page, 'vendor-orders');
    await page.goto(`${srv.url}/vendor#/orders/${shopOrder.id}`);
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Refund' }).count(), 0, 'no refunds on the vendor face');
    await page.goto(`${srv.url}/admin`);
    assert.match(await page.locator('h1').textContent(), /Not for this account/);
    await page.close();
  });

  it('met no console error, no CSP refusal and no axe violation on any page', () => {
    assert.deepEqual(problems.filter((p) => !/status of (401|403|404|422|409)/.test(p)), []);
    assert.ok(axeSeen.length >= 13, `pages checked: ${axeSeen.join(', ')}`);
  });
});
