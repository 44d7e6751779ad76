// The customers of the admin dashboard in a real Chromium: the list of accounts, one
// customer's page with their orders, RFM segment, churn risk and lifetime value, their data
// downloaded, and the erasure — refused until the address is typed, then done after the
// confirmation; axe-core on every screen and no console error or CSP refusal.
import { describe, it, before, after } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { launchChromium, checkPage, watchedPage } from './lib/chromium.js';
import { startServer, ADMIN_EMAIL, ADMIN_PASSWORD } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { ADDRESS, warehouse, product, must, customerWithCart, checkout, eventually } from '../api/lib/orders_util.js';

describe('the customers screens in Chromium', () => {
  let srv, chrome, buyer, order;
  const problems = [];
  const axeSeen = [];
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });

  before(async () => {
    srv = await startServer({});
    const wh = await warehouse(srv);
    const p = await product(srv, { title: 'Customers screen teapot', variants: [{ price: 3200, stock: 20 }], wh });
    buyer = await customerWithCart(srv, [[p.variants[0].id, 1]]);
    must(await api(srv, 'PATCH', '/api/v1/users/me', { key: buyer.key, body: { name: 'Tessa Teapot' } }), 200);
    order = must(await checkout(srv, buyer.who, { body: { shipping_address: ADDRESS, payment_method: '4242424242424242' } }), 201);
    await eventually(async () => {
      const r = await admin('GET', `/api/v1/admin/analytics/rfm?customer=${buyer.id}`);
      return r.status === 200 && r.body.rows.length === 1;
    }, 'the order in the analytics facts', 10_000);
    chrome = await launchChromium();
  });

  after(async () => {
    if (chrome) await chrome.close();
    if (srv) await srv.stop();
  });

  it("an admin finds a customer, reads their page, downloads their data and erases them", async () => {
    const page = await watchedPage(chrome.context, problems);
    await page.goto(`${srv.url}/admin#/customers`);
    await page.waitForURL(/\/account\/signin/);
    await page.getByLabel('E-mail', { exact: true }).fill(ADMIN_EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin/);
    await page.goto(`${srv.url}/admin#/customers`);
    await page.getByRole('heading', { name: 'Most valuable' }).waitFor();
    await page.locator('table.customers').waitFor();
    await checkPage(page, 'admin-customers', axeSeen);
    // find them by e-mail and open their page
    await page.getByRole('search', { name: 'Find a customer' }).getByLabel('E-mail').fill(buyer.email);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.locator('table.customers tbody tr').filter({ hasText: 'Tessa Teapot' }).waitFor();
    assert.equal(await page.locator('table.customers tbody tr').count(), 1);
    await page.getByRole('link', { name: buyer.email }).click();
    await page.waitForURL(new RegExp(`#/customers/${buyer.id}$`));
    await page.getByRole('heading', { name: buyer.email, level: 1 }).waitFor();
    await page.getByRole('link', { name: order.id }).waitFor();
    await page.locator('[data-score="segment"]').waitFor();
    assert.match(await page.locator('[data-score="segment"]').textContent(), /R\d F\d M\d/);
    assert.match(await page.locator('dl.scores').textContent(), /Orders, last 365 days1, \$32\.00/);
    await checkPage(page, 'admin-customer', axeSeen);

    // their data, as a file
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download their data' }).click()]);
    assert.equal(file.suggestedFilename(), `souk-customer-${buyer.id}.json`);
    const data = JSON.parse(readFileSync(await file.path(), 'utf8'));
    assert.equal(data.profile.email, buyer.email);
    assert.deepEqual(data.orders.map((o) => o.id), [order.id]);

    // erasure: a confirmation first; a wrong address is refused and nothing happens
    await page.getByRole('button', { name: 'Erase this customer…' }).click();
    const confirm = page.getByRole('form', { name: `Erase ${buyer.email} for good?` });
    await confirm.waitFor();
    await checkPage(page, 'admin-customer-erase', axeSeen);
    await confirm.getByLabel('Type their e-mail address to confirm').fill('someone-else@example.com');
    await confirm.getByRole('button', { name: 'Erase the account' }).click();
    await page.getByRole('alert').filter({ hasText: /Erasure: .*not valid|Erasure:/ }).waitFor();
    assert.equal(must(await admin('GET', `/api/v1/admin/users/${buyer.id}`), 200).status, 'active');
    await confirm.getByLabel('Type their e-mail address to confirm').fill(buyer.email);
    await confirm.getByRole('button', { name: 'Erase the account' }).click();
    await page.getByText(`${buyer.id} was erased.`).waitFor();
    await page.getByText('This account was erased.').waitFor();
    await page.getByRole('heading', { name: 'Erased customer', level: 1 }).waitFor();
    const u = must(await admin('GET', `/api/v1/admin/users/${buyer.id}`), 200);
    assert.equal(u.status, 'deleted');
    assert.equal((await api(srv, 'POST', '/api/v1/auth/login', { body: { email: buyer.email, password: buyer.password } })).status, 401);
    await checkPage(page, 'admin-customer-erased', axeSeen);
    await page.close();
  });

  it('met no console error, no CSP refusal and no axe violation on any page', () => {
    assert.deepEqual(problems.filter((p) => !/status of (401|403|404|422|409)/.test(p)), []);
    assert.ok(axeSeen.length >= 4, `pages checked: ${axeSeen.join(', ')}`);
  });
});
