// The dynamic-pricing screen of the admin dashboard in a real Chromium: suggestions with
// their reasons, approve now (the price changes), roll back (it is restored), schedule one
// for later and reject it; an inventory manager sees the list without the buttons; axe-core
// on the screen and no console error or CSP refusal.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, checkPage, watchedPage } from './lib/chromium.js';
import { startServer, ADMIN_EMAIL, ADMIN_PASSWORD } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { register } from '../api/lib/auth_util.js';
import { warehouse, product, must } from '../api/lib/orders_util.js';

describe('dynamic pricing screen in Chromium', () => {
  let srv, chrome, lamp, rug, staff;
  const problems = [];
  const axeSeen = [];
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  const priceOf = async (p) => must(await admin('GET', `/api/v1/products/${p.product.id}`), 200).variants[0].prices[0].amount;

  before(async () => {
    srv = await startServer({});
    const wh = await warehouse(srv);
    lamp = await product(srv, { title: 'Pricing screen lamp', variants: [{ price: 2500, stock: 300 }], wh });
    rug = await product(srv, { title: 'Pricing screen rug', variants: [{ price: 4000, stock: 300 }], wh });
    must(await admin('POST', '/api/v1/admin/pricing/recompute'), 200);
    const c = await register(srv);
    must(await admin('PATCH', `/api/v1/admin/users/${c.user.id}`, { role: 'inventory_manager' }), 200);
    staff = { email: c.email, password: c.password };
    chrome = await launchChromium();
  });

  after(async () => {
    if (chrome) await chrome.close();
    if (srv) await srv.stop();
  });

  async function signIn(page, who, next) {
    await page.goto(`${srv.url}${next}`);
    await page.waitForURL(/\/account\/signin/);
    await page.getByLabel('E-mail', { exact: true }).fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(new RegExp(`${next}(#.*)?$`));
  }
  const row = (page, title) => page.locator('table.pricing tbody tr').filter({ hasText: title });

  it('an admin approves, rolls back, schedules and rejects', async () => {
    const page = await watchedPage(chrome.context, problems);
    await signIn(page, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, '/admin');
    await page.getByRole('link', { name: 'Pricing' }).click();
    await row(page, 'Pricing screen lamp').waitFor();
    const text = await row(page, 'Pricing screen lamp').textContent();
    assert.match(text, /\$25\.00/);
    assert.match(text, /\$22\.50/);
    assert.match(text, /no_demand/);
    assert.match(text, /elasticity_prior/);
    await checkPage(page, 'admin-pricing', axeSeen);
    // approve now: applied through the catalog
    await row(page, 'Pricing screen lamp').getByRole('button', { name: 'Approve now' }).click();
    await page.getByText(/Pricing screen lamp .*: approved and applied \(applied\)/).waitFor();
    assert.equal(await priceOf(lamp), 2250);
    // roll it back from the applied list
    await page.getByLabel('State').selectOption('applied');
    await row(page, 'Pricing screen lamp').getByRole('button', { name: 'Roll back' }).click();
    await page.getByText(/: rolled back \(rolled_back\)/).waitFor();
    assert.equal(await priceOf(lamp), 2500);
    // schedule the rug a day ahead, then reject it before its time
    await page.getByLabel('State').selectOption('pending');
    await row(page, 'Pricing screen rug').waitFor();
    const at = new Date(Date.now() + 86_400_000);
    const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await row(page, 'Pricing screen rug').getByLabel('Apply at').fill(local);
    await row(page, 'Pricing screen rug').getByRole('button', { name: 'Schedule' }).click();
    await page.getByText(/Pricing screen rug .*: approved for later \(approved\)/).waitFor();
    await page.getByLabel('State').selectOption('approved');
    await row(page, 'Pricing screen rug').waitFor();
    assert.match(await row(page, 'Pricing screen rug').textContent(), /applies/);
    await checkPage(page, 'admin-pricing-approved', axeSeen);
    await row(page, 'Pricing screen rug').getByRole('button', { name: 'Reject' }).click();
    await page.getByText(/Pricing screen rug .*: rejected \(rejected\)/).waitFor();
    assert.equal(await priceOf(rug), 4000);
    const audit = must(await admin('GET', '/api/v1/admin/audit?object_type=price_suggestion&limit=100'), 200);
    const actions = audit.data.map((e) => e.action);
    for (const a of ['pricing.approved', 'pricing.applied', 'pricing.rolled_back', 'pricing.rejected']) assert.ok(actions.includes(a), a);
    await page.goto(`${srv.url}/account`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/signedout/);
    await page.close();
  });

  it('an inventory manager reads the suggestions but gets no buttons', async () => {
    const page = await watchedPage(chrome.context, problems);
    await signIn(page, staff, '/admin');
    await page.getByRole('link', { name: 'Pricing' }).click();
    await page.getByRole('heading', { name: 'Dynamic pricing' }).waitFor();
    await page.getByLabel('State').selectOption('rejected');
    await row(page, 'Pricing screen rug').waitFor();
    assert.equal(await page.getByRole('button', { name: /Approve|Reject|Roll back|Recompute/ }).count(), 0);
    await checkPage(page, 'admin-pricing-readonly', axeSeen);
    await page.close();
  });

  it('met no console error, no CSP refusal and no axe violation on any page', () => {
    assert.deepEqual(problems.filter((p) => !/status of (401|403|404|422|409)/.test(p)), []);
    assert.ok(axeSeen.length >= 3, `pages checked: ${axeSeen.join(', ')}`);
  });
});
