// More of the admin dashboard in a real Chromium: an order's return approved and
// received (stock back, refunded), a pending review approved from the queue (and
// then public), the search analytics of a search just made and the synonym rules
// saved (a bad rule explained), the mail outbox with the order confirmation, and
// the reorder advice, the vendors and their rates, a Shopify CSV import followed to the end and the
// product export downloaded, a product created with its variant, price and stock (and another
// variant added); the vendor's stock screen shows only their variants;
// axe-core on every screen and no console error or CSP refusal.
import { describe, it, before, after } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { launchChromium, checkPage, watchedPage } from './lib/chromium.js';
import { startServer, ADMIN_EMAIL, ADMIN_PASSWORD } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { register } from '../api/lib/auth_util.js';
import { warehouse, product, vendor, must, deliveredOrder } from '../api/lib/orders_util.js';

const SAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data', 'shopify_products.csv');

describe('more dashboard screens in Chromium', () => {
  let srv, chrome, lamp, mug, buyer, order, ret, review, vendorWho, word, vend;
  const problems = [];
  const axeSeen = [];
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });

  before(async () => {
    srv = await startServer({});
    const wh = await warehouse(srv);
    // a warehouse with a long name: the new-product form's select must still fit a 320 px screen
    must(await admin('POST', '/api/v1/warehouses', { code: `wh-long-${Date.now().toString(36)}`,
      name: 'Northern Distribution Centre, Building Seven, Loading Bay West' }), 201);
    vend = await vendor(srv);
    word = `screenlamp${Date.now().toString(36)}`.replace(/[^a-z]/g, '');
    lamp = await product(srv, { title: `${word} vendor`, vendorId: vend.id, variants: [{ price: 2500, stock: 20 }], wh });
    mug = await product(srv, { title: 'Screens mug', variants: [{ price: 1200, stock: 20 }], wh });
    buyer = await register(srv, { name: 'Screen Buyer' });
    order = await deliveredOrder(srv, buyer, mug.variants[0].id);
    ret = must(await api(srv, 'POST', `/api/v1/orders/${order.id}/returns`, { key: buyer.access,
      body: { lines: [{ variant_id: mug.variants[0].id, quantity: 1 }], reason: 'chipped rim' } }), 201).returns[0]; // the answer is the order
    review = must(await api(srv, 'POST', `/api/v1/products/${mug.product.id}/reviews`, { key: buyer.access,
      body: { rating: 2, title: 'Chipped on arrival', body: 'The rim was chipped. Otherwise it is a fine mug.' } }), 201);
    // a search a shopper made (counted in the search analytics)
    for (let i = 0; i < 50; i++) {
      const r = await api(srv, 'GET', `/api/v1/search?q=${word}`);
      if (r.status === 200 && r.body.total > 0) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const c = await register(srv);
    must(await admin('PATCH', `/api/v1/admin/users/${c.user.id}`, { role: 'vendor', vendor_id: vend.id }), 200);
    vendorWho = { email: c.email, password: c.password };
    chrome = await launchChromium();
  });

  after(async () => {
    if (chrome) await chrome.close();
    if (srv) await srv.stop();
  });

  const newPage = () => watchedPage(chrome.context, problems);
  const check = (page, name) => checkPage(page, name, axeSeen);

  async function signIn(page, who, next) {
    await page.goto(`${srv.url}${next}`);
    await page.waitForURL(/\/account\/signin/);
    await page.getByLabel('E-mail', { exact: true }).fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(new RegExp(`${next}(#.*)?$`));
  }

  it('an admin approves and receives a return, moderates a review, reads search, mail and stock', async () => {
    const page = await newPage();
    await signIn(page, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, '/admin');
    // the return: approve, then receive — stock back and the unit's value refunded
    const before = must(await admin('GET', `/api/v1/variants/${mug.variants[0].id}/stock`), 200);
    await page.goto(`${srv.url}/admin#/orders/${order.id}`);
    await page.locator('table.returns').waitFor();
    assert.match(await page.locator('table.returns tbody').textContent(), /requested.*1 × .*chipped rim/s);
    await check(page, 'admin-order-return');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(`Return ${ret.id}: approved.`).waitFor();
    await page.getByRole('button', { name: 'Goods received' }).click();
    await page.getByText(/received, stock back and refunded/).waitFor();
    assert.match(await page.locator('table.returns tbody').textContent(), /received.*\$12\.00/s);
    const after = must(await admin('GET', `/api/v1/variants/${mug.variants[0].id}/stock`), 200);
    const onHand = (s) => s.on_hand;
    assert.equal(onHand(after), onHand(before) + 1, 'the returned unit is back in stock');
    // the review queue: approve with a note, and the review is public
    await page.getByRole('link', { name: 'Reviews' }).click();
    await page.locator('.review-item').first().waitFor();
    assert.match(await page.locator('.review-queue').textContent(), /Chipped on arrival/);
    await check(page, 'admin-reviews');
    await page.locator('.review-item').filter({ hasText: 'Chipped on arrival' }).getByLabel('Note').fill('checked the order');
    await page.locator('.review-item').filter({ hasText: 'Chipped on arrival' }).getByRole('button', { name: 'Approve' }).click();
    await page.getByText(`Review ${review.id}: approved.`).waitFor();
    const pub = must(await api(srv, 'GET', `/api/v1/products/${mug.product.id}/reviews`), 200);
    assert.deepEqual(pub.data.map((r) => r.id), [review.id]);
    // search analytics: the search made in before(), and the synonym rules
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByRole('table', { name: 'Most searched' }).waitFor();
    assert.match(await page.getByRole('table', { name: 'Most searched' }).textContent(), new RegExp(word));
    await page.getByLabel(/Synonym rules/).fill('lamp, lantern\nsofa bed, couch');
    await page.getByRole('button', { name: 'Save the rules' }).click();
    await page.getByRole('alert').filter({ hasText: /rules\[1\]/ }).waitFor();
    await page.getByLabel(/Synonym rules/).fill('lamp, lantern\nhoodie => sweatshirt');
    await page.getByRole('button', { name: 'Save the rules' }).click();
    await page.getByText('2 rules saved; searches use them within a second.').waitFor();
    assert.deepEqual(must(await admin('GET', '/api/v1/admin/search/synonyms'), 200).rules, ['lamp, lantern', 'hoodie => sweatshirt']);
    await check(page, 'admin-search');
    // the mail outbox holds the order confirmation
    await page.getByRole('link', { name: 'Mail' }).click();
    let mails = '';
    for (let i = 0; i < 40 && !mails.includes(buyer.email); i++) {
      await page.waitForTimeout(150);
      await page.reload();
      await page.locator('#mail-title').waitFor();
      mails = await page.locator('main').textContent();
    }
    assert.ok(mails.includes(buyer.email), 'a mail to the buyer');
    await page.getByRole('button', { name: 'Show the text' }).first().click();
    await page.locator('pre.mail-body').waitFor();
    await check(page, 'admin-mail');
    // the reorder advice lists both variants with stock
    await page.getByRole('link', { name: 'Stock' }).click();
    await page.locator('#stock-title').waitFor();
    await page.locator('main table').waitFor();
    const skus = await page.locator('main table tbody tr td:first-child').allTextContents();
    assert.ok(skus.includes(mug.variants[0].sku) && skus.includes(lamp.variants[0].sku), skus.join(', '));
    await check(page, 'admin-stock');
    // vendors: the vendor's rate changed, and a new vendor
    await page.getByRole('link', { name: 'Vendors' }).click();
    await page.locator('table.vendors').waitFor();
    const row = page.locator(`tr[data-vendor="${vend.id}"]`);
    await row.getByLabel(/Commission rate of/).fill('12.5');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/commission 12\.50% on new orders/).waitFor();
    const vendors = must(await api(srv, 'GET', '/api/v1/vendors'), 200).data;
    assert.equal(vendors.find((v) => v.id === vend.id).commission_bp, 1250);
    await page.getByLabel('Name').fill('Screens Vendor Two');
    await page.getByRole('button', { name: 'Create the vendor' }).click();
    await page.getByText('Vendor Screens Vendor Two created.').waitFor();
    await check(page, 'admin-vendors');
    // the Shopify CSV import: the file posted, the progress bar followed to the end, the bad rows by line
    await page.goto(`${srv.url}/admin#/products`);
    await page.getByRole('link', { name: 'Import and export (CSV)' }).click();
    await page.getByLabel('CSV file').setInputFiles(SAMPLE);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('.import-run[data-state="done"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#import-progress').evaluate((p) => p.value), 1);
    assert.match(await page.locator('.import-run [role="status"]').textContent(), /Finished: 14 rows, 4 products \(4 new, 0 changed, 0 unchanged\), \d+ variants, 3 rows with problems\./);
    const lines = await page.locator('table.problems tbody tr td:first-child').allTextContents();
    assert.deepEqual(lines, ['6', '8', '13']);
    assert.equal((await admin('GET', '/api/v1/products/classic-tee')).status, 200, 'the imported product exists');
    await check(page, 'admin-import');
    // and the export as a download
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Download every product/ }).click()]);
    assert.equal(file.suggestedFilename(), 'products.csv');
    const text = readFileSync(await file.path(), 'utf8');
    assert.ok(text.startsWith('Handle,Title,Body (HTML)'), text.slice(0, 80));
    assert.match(text, /classic-tee/);
    await page.close();
  });

  it('an admin creates a product with a variant, its price and stock, then adds a variant', async () => {
    const page = await newPage();
    await page.goto(`${srv.url}/admin#/products`);
    await page.getByRole('button', { name: 'New product' }).click();
    const form = page.getByRole('form', { name: 'New product' });
    await form.getByLabel('Warehouse').waitFor();
    await check(page, 'admin-product-new');
    await form.getByLabel('Title').fill('Screens teapot');
    await form.getByLabel('Status').selectOption('active');
    await form.getByLabel('SKU').fill(mug.variants[0].sku); // taken: the API refuses it, the form says why
    await form.getByLabel(/^Price in USD/).fill('19.99');
    await form.getByLabel('Stock on hand').fill('7');
    await form.getByRole('button', { name: 'Create the product' }).click();
    await form.getByRole('alert').waitFor();
    assert.match(await form.getByRole('alert').textContent(), /sku|SKU/);
    const sku = `TEAPOT-${Date.now().toString(36)}`.toUpperCase();
    await form.getByLabel('SKU').fill(sku);
    await form.getByRole('button', { name: 'Create the product' }).click();
    await page.waitForURL(/#\/products\/prod_[0-9A-Z]+$/);
    await page.getByText('Screens teapot was created.').waitFor();
    await page.getByRole('heading', { name: 'Screens teapot', level: 1 }).waitFor();
    await page.getByText(/7 available/).waitFor();
    const id = /prod_[0-9A-Z]+/.exec(page.url())[0];
    // another variant
    const add = page.getByRole('form', { name: 'Add a variant' });
    await add.getByLabel('SKU').fill(`${sku}-L`);
    await add.getByLabel('Variant name').fill('Large');
    await add.getByLabel(/^Price in USD/).fill('24.50');
    await add.getByRole('button', { name: 'Add the variant' }).click();
    await page.getByText(`Variant ${sku}-L added.`).waitFor();
    await page.getByRole('article', { name: `Variant ${sku}-L` }).waitFor();
    await check(page, 'admin-product-created');
    const p = must(await admin('GET', `/api/v1/products/${id}`), 200);
    assert.equal(p.status, 'active');
    assert.deepEqual(p.variants.map((v) => [v.sku, v.prices[0].amount, v.prices[0].currency]), [[sku, 1999, 'USD'], [`${sku}-L`, 2450, 'USD']]);
    const stock = must(await admin('GET', `/api/v1/variants/${p.variants[0].id}/stock`), 200);
    assert.equal(stock.warehouses.reduce((n, w) => n + w.on_hand, 0), 7);
    await page.close();
  });

  it('a vendor\'s stock screen shows their variants only', async () => {
    const page = await newPage();
    await page.goto(`${srv.url}/account`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/signedout/);
    await signIn(page, vendorWho, '/vendor');
    await page.getByRole('link', { name: 'Your stock' }).click();
    await page.locator('main table').waitFor();
    const skus = await page.locator('main table tbody tr td:first-child').allTextContents();
    assert.deepEqual(skus, [lamp.variants[0].sku]);
    assert.equal(await page.getByRole('link', { name: 'Reviews' }).count(), 0, 'no admin screens on the vendor face');
    await check(page, 'vendor-stock');
    await page.close();
  });

  it('met no console error, no CSP refusal and no axe violation on any page', () => {
    assert.deepEqual(problems.filter((p) => !/status of (401|403|404|422|409)/.test(p)), []);
    assert.ok(axeSeen.length >= 6, `pages checked: ${axeSeen.join(', ')}`);
  });
});
