// The storefront's recommendations and behaviour events in Chromium: the home
// page's "Trending now" (rendered on the server) and "Picked for you" (drawn by
// site.js for this browser's anonymous id once a model knows it); a signed-in
// customer's product views and add-to-cart events go as the customer, which
// links the browser's anonymous id to the account. axe-core on the home page.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, checkPage, watchedPage } from './lib/chromium.js';
import { startServer } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { register } from '../api/lib/auth_util.js';
import { warehouse, product, must } from '../api/lib/orders_util.js';
import { sql } from '../api/lib/db.js';

const ME = 'v-home-test-visitor-0001';
const wait = (ms) => new Promise((r) => setTimeout(r, ms));

describe('recommendations and events on the storefront', () => {
  let srv, chrome, garden = [], kitchen = [];
  const problems = [];
  const axeSeen = [];

  before(async () => {
    srv = await startServer();
    const wh = await warehouse(srv);
    for (let i = 0; i < 8; i++) garden.push((await product(srv, { title: `Garden rake ${i}`, variants: [{ price: 1500 + i, stock: 30 }], wh })).product);
    for (let i = 0; i < 8; i++) kitchen.push((await product(srv, { title: `Kitchen pan ${i}`, variants: [{ price: 2500 + i, stock: 30 }], wh })).product);
    // planted tastes: even visitors (and this browser) look at the garden, odd ones at the kitchen
    const events = [];
    for (let v = 0; v < 60; v++) {
      const shelf = v % 2 === 0 ? garden : kitchen;
      const anon = v === 0 ? ME : `home-visitor-${String(v).padStart(4, '0')}`;
      for (let j = 0; j < 6; j++) events.push({ id: `h-${v}-${j}`, type: 'product_view', anonymous_id: anon, product_id: shelf[(v + j * 3) % shelf.length].id });
    }
    must(await api(srv, 'POST', '/api/v1/events', { body: { events } }), 202);
    must(await api(srv, 'POST', '/api/v1/admin/recommendations/models', { key: true, body: { params: { factors: 8, iterations: 10, test_days: 1 } } }), 202);
    let known = false;
    for (let i = 0; i < 150 && !known; i++) {
      const r = await api(srv, 'GET', `/api/v1/recommendations/for-you?anonymous_id=${ME}&limit=4`);
      known = r.status === 200 && r.body.strategy !== 'trending' && r.body.data.length > 0;
      if (!known) await wait(200);
    }
    assert.ok(known, 'the model knows this browser\'s visitor');
    chrome = await launchChromium();
    await chrome.context.addInitScript((id) => localStorage.setItem('souk_visitor', id), ME);
  });

  after(async () => {
    if (chrome) await chrome.close();
    if (srv) await srv.stop();
  });

  const newPage = () => watchedPage(chrome.context, problems);

  it('shows trending from the server and this shopper\'s own picks from the script', async () => {
    const page = await newPage();
    await page.goto(srv.url + '/');
    const trending = page.getByRole('region', { name: 'Trending now' });
    await trending.waitFor();
    assert.ok(await trending.locator('li.card').count() > 0, 'trending cards');
    const forYou = page.getByRole('region', { name: 'Picked for you' });
    await forYou.waitFor();
    const picks = await forYou.locator('li.card h3 a').allTextContents();
    assert.equal(picks.length, 4);
    assert.ok(picks.filter((t) => t.startsWith('Garden rake')).length >= 3, `garden picks for a garden visitor: ${picks}`);
    assert.match(await forYou.locator('li.card .price').first().textContent(), /^USD \d+\.\d\d$/);
    await checkPage(page, 'home-recs', axeSeen);
    await page.close();
  });

  it('sends a signed-in customer\'s views and add-to-cart as the customer, linking the anonymous id', async () => {
    const c = await register(srv);
    const page = await newPage();
    await page.goto(srv.url + '/account/signin');
    await page.getByLabel('E-mail', { exact: true }).fill(c.email);
    await page.getByLabel('Password', { exact: true }).fill(c.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/account$/);
    const item = kitchen[5];
    await page.goto(`${srv.url}/p/${item.slug}`);
    assert.equal(await page.locator('meta[name="souk-csrf"]').count(), 1, 'a signed-in page carries the token');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.waitForURL(/\/cart/);
    const user = BigInt(sql(srv.dbPath, `SELECT id FROM users WHERE email = '${c.email}'`));
    let rows = '';
    for (let i = 0; i < 50; i++) {
      rows = sql(srv.dbPath, `SELECT type FROM behaviour_events WHERE user_id = ${user} AND product_id = (SELECT id FROM products WHERE slug = '${item.slug}') ORDER BY type`);
      if (rows.split('\n').length >= 2) break;
      await wait(100);
    }
    assert.deepEqual(rows.split('\n'), ['2', '5'], 'product_view and add_to_cart as the customer');
    // the browser's earlier anonymous events now belong to the account too
    assert.ok(Number(sql(srv.dbPath, `SELECT count(*) FROM behaviour_events WHERE user_id = ${user} AND type = 2`)) > 6,
      'the visitor\'s planted views are linked to the account');
    await page.close();
    // a guest (another browser profile) gets no token, and its view stays anonymous
    const guest = await chrome.context.browser().newContext();
    const gp = await guest.newPage();
    const other = garden[6];
    const since = Date.now() * 1000 - 1e6;
    await gp.goto(`${srv.url}/p/${other.slug}`);
    assert.equal(await gp.locator('meta[name="souk-csrf"]').count(), 0);
    let anon = '';
    for (let i = 0; i < 50 && !anon; i++) {
      anon = sql(srv.dbPath, `SELECT coalesce(user_id, 'none') FROM behaviour_events WHERE type = 2 AND product_id = (SELECT id FROM products WHERE slug = '${other.slug}') AND at > ${since} ORDER BY at DESC LIMIT 1`);
      if (!anon) await wait(100);
    }
    assert.equal(anon, 'none', 'the guest\'s view is stored without an account');
    await guest.close();
  });

  it('met no console error', () => {
    assert.deepEqual(problems.filter((p) => !/status of 40[134]/.test(p)), []);
  });
});
