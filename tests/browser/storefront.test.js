// The storefront in a real Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): a category page narrowed by its brand facet and filter form; a shopper's journey from a misspelt search and a brand
// facet to the confirmation, a keyboard-only checkout, the decline path, axe-core on every page (no serious or
// critical violation), a hostile title that never executes, autocomplete,
// a flash sale's prices in the variant picker, an approved review and the
// review form, and screenshots at 320 and 1280 px in tests/browser/out/ (git-ignored).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, checkPage } from './lib/chromium.js';
import { startServer } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { warehouse, sql } from '../api/lib/checkout_util.js';
import { deliveredOrder } from '../api/lib/orders_util.js';
import { register } from '../api/lib/auth_util.js';
import { webProduct, HOSTILE } from '../api/lib/web_util.js';


describe('storefront in Chromium', () => {
  let srv, chrome, context, lantern, hostile, lighting;
  const problems = []; // console errors and CSP refusals, page by page
  const axeSeen = [];

  before(async () => {
    srv = await startServer({ products: 20, seed: 4 });
    const wh = await warehouse(srv, 'browser');
    const brand = await api(srv, 'POST', '/api/v1/brands', { key: true, body: { name: 'Lumen Works' } });
    assert.equal(brand.status, 201, brand.text);
    lighting = (await api(srv, 'POST', '/api/v1/categories', { key: true, body: { name: 'Browser Lighting' } })).body;
    lantern = await webProduct(srv, wh, 'Browser Lantern', [{ title: 'Small', price: 1250, stock: 40 }, { title: 'Large', price: 2500, stock: 40 }],
      { description: 'A lantern for the browser test.', brand_id: brand.body.id, category_id: lighting.id });
    await webProduct(srv, wh, 'Browser Candle', [{ title: 'Only', price: 300, stock: 0 }], { category_id: lighting.id });
    hostile = await webProduct(srv, wh, HOSTILE, [{ title: 'Only', price: 700, stock: 3 }], { description: '<script>window.__pwned=9</script>' });
    chrome = await launchChromium();
    context = chrome.context;
  });

  after(async () => {
    if (chrome) await chrome.close();
    if (srv) await srv.stop();
  });

  async function pollFor(fn, what, ms = 5000) {
    const end = Date.now() + ms;
    while (!fn()) {
      assert.ok(Date.now() < end, `timed out waiting for ${what}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }

  async function newPage() {
    const page = await context.newPage();
    // a form answered 402/409/422 on purpose is not a problem; anything else the console reports is
    page.on('console', (m) => {
      if (m.type() === 'error' && !(/\/checkout$/.test(page.url()) && /status of (402|409|422)/.test(m.text())))
        problems.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
    return page;
  }

  const check = (page, name) => checkPage(page, name, axeSeen);

  it('a shopper searches with a typo, picks a variant, adds to cart and checks out as a guest', async () => {
    const page = await newPage();
    await page.goto(srv.url + '/');
    await check(page, 'home');
    // the category page
    await page.locator('.cats a').first().click();
    await page.waitForSelector('h1');
    await check(page, 'category');
    // a category page's facets and filters (the search page's): the brand, then in stock by price
    await page.goto(`${srv.url}/c/${lighting.slug}`);
    const brandFacet = page.getByRole('navigation', { name: 'Filter by brand' }).getByRole('link', { name: /Lumen Works \(1\)/ });
    for (let i = 0; i < 40 && await brandFacet.count() === 0; i++) { await page.waitForTimeout(150); await page.reload(); }
    await brandFacet.click();
    await page.waitForURL(/\/c\/[a-z0-9-]+\?brand=brand_/);
    assert.equal(await page.getByRole('link', { name: 'Browser Candle' }).count(), 0, 'the brand narrows');
    await page.getByRole('link', { name: 'All brands' }).click();
    await page.getByLabel('In stock only').check();
    await page.getByLabel('Sort by').selectOption('price_desc');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/in_stock=true/);
    assert.equal(await page.getByRole('link', { name: 'Browser Lantern' }).count(), 1);
    assert.equal(await page.getByRole('link', { name: 'Browser Candle' }).count(), 0, 'the sold-out candle is left out');
    await check(page, 'category-facets');
    // search with a typo, submitted with Enter (no script needed)
    await page.getByLabel('Search products').fill('lantren');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/search\?q=lantren/);
    let found = false;
    for (let i = 0; i < 40 && !found; i++) {
      found = await page.getByRole('link', { name: 'Browser Lantern' }).count() > 0;
      if (!found) { await page.waitForTimeout(150); await page.reload(); }
    }
    assert.ok(found, 'the misspelt search finds the lantern');
    await check(page, 'search');
    // narrow by the brand facet
    await page.getByRole('navigation', { name: 'Filter by brand' }).getByRole('link', { name: /Lumen Works/ }).click();
    await page.waitForURL(/brand=brand_/);
    assert.equal(await page.getByRole('link', { name: 'All brands' }).count(), 1);
    await check(page, 'search-facet');
    await page.getByRole('link', { name: 'Browser Lantern' }).click();
    await page.waitForURL(/\/p\//);
    await check(page, 'product');
    // pick the second variant: the enhancement script shows its price
    await page.getByLabel(/Large/).check();
    assert.equal(await page.locator('#variant-price').textContent(), 'USD 25.00');
    await page.getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.waitForURL(/\/cart\?m=added/);
    assert.match(await page.getByRole('status').first().textContent(), /Added to your cart/);
    assert.match(await page.locator('tfoot').textContent(), /USD 50\.00/);
    await check(page, 'cart');
    await page.getByRole('link', { name: 'Check out' }).click();
    await page.waitForURL(/\/checkout$/);
    await check(page, 'checkout');
    // submit empty first: errors inline, next to the fields
    await page.getByRole('button', { name: 'Place order and pay' }).click();
    await page.waitForSelector('#e-email');
    await check(page, 'checkout-errors');
    await page.getByLabel('E-mail').fill('browser@example.com');
    await page.getByLabel('Full name').fill('Bea Browser');
    await page.getByLabel('Address', { exact: true }).fill('2 Test Road');
    await page.getByLabel('City').fill('Leeds');
    await page.getByLabel('Postal code').fill('LS1 1AA');
    await page.getByLabel(/Country code/).fill('GB');
    await page.getByLabel('Card number').fill('4242424242424242');
    await page.getByRole('button', { name: 'Place order and pay' }).dblclick();
    // the second click's submit may abort the first one's navigation (what a double click does):
    // wait again then — the page must end on the one order either way
    await page.waitForURL(/\/order\/ord_/).catch(() => page.waitForURL(/\/order\/ord_/));
    assert.equal(await page.locator('h1').textContent(), 'Thank you for your order');
    await check(page, 'confirmation');
    await page.close();
  });

  it('the decline path explains the refusal and keeps the cart', async () => {
    const page = await newPage();
    await page.goto(`${srv.url}/p/${lantern.slug}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.waitForURL(/\/cart/);
    await page.goto(srv.url + '/checkout');
    await page.getByLabel('E-mail').fill('decline@example.com');
    await page.getByLabel('Full name').fill('Dee Cline');
    await page.getByLabel('Address', { exact: true }).fill('3 Test Road');
    await page.getByLabel('City').fill('York');
    await page.getByLabel('Postal code').fill('YO1 1AA');
    await page.getByLabel(/Country code/).fill('GB');
    await page.getByLabel('Card number').fill('4000000000000002');
    await page.getByRole('button', { name: 'Place order and pay' }).click();
    await page.waitForSelector('.notice.bad');
    assert.match(await page.locator('.notice.bad').textContent(), /Your card was declined\. Nothing was charged/);
    await check(page, 'declined');
    await page.goto(srv.url + '/cart');
    assert.match(await page.locator('tbody').textContent(), /Browser Lantern/);
    await page.close();
  });

  it('a keyboard alone reaches the content, adds to cart and checks out', async () => {
    const page = await newPage();
    await page.goto(`${srv.url}/p/${lantern.slug}`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused link is visibly outlined');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    /** Tab until the focused element matches PRED (at most 40 presses). */
    const tabTo = async (pred, what) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(pred)) return;
      }
      assert.fail(`Tab never reached ${what}`);
    };
    await tabTo(() => document.activeElement.textContent === 'Add to cart', 'Add to cart');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/cart\?m=added/);
    await tabTo(() => document.activeElement.textContent === 'Check out', 'Check out');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/checkout$/);
    const typeInto = async (id, text) => {
      await tabTo(new Function(`return document.activeElement.id === ${JSON.stringify(id)}`), id);
      await page.keyboard.type(text);
    };
    await typeInto('f-email', 'keys@example.com');
    await typeInto('f-name', 'Kay Board');
    await typeInto('f-line1', '4 Tab Street');
    await typeInto('f-city', 'Bath');
    await typeInto('f-postal_code', 'BA1 1AA');
    await typeInto('f-country', 'GB');
    await typeInto('f-card', '4242424242424242');
    await page.keyboard.press('Enter'); // submits the form
    await page.waitForURL(/\/order\/ord_/);
    assert.equal(await page.locator('h1').textContent(), 'Thank you for your order');
    await page.close();
  });

  it('a hostile title and query never execute', async () => {
    const page = await newPage();
    await page.goto(`${srv.url}/p/${hostile.slug}`);
    assert.equal(await page.locator('h1').textContent(), HOSTILE);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await page.goto(`${srv.url}/search?q=${encodeURIComponent('<script>window.__pwned=5</script>')}`);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    // autocomplete lists the hostile title as text
    await page.goto(srv.url + '/');
    await page.getByLabel('Search products').pressSequentially('Evil', { delay: 30 });
    await page.waitForSelector('#suggest li a', { timeout: 5000 }).catch(() => {});
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await page.close();
  });

  it('autocomplete suggests products while typing', async () => {
    const page = await newPage();
    await page.goto(srv.url + '/');
    await page.getByLabel('Search products').pressSequentially('Browser Lan', { delay: 30 });
    await page.waitForSelector('#suggest li a');
    assert.match(await page.locator('#suggest').textContent(), /Browser Lantern/);
    await page.close();
  });

  it('a product page reports a product_view, and a click on a recommendation a rec_click', async () => {
    const page = await newPage();
    const count = (type) => Number(sql(srv.dbPath, `SELECT count(*) FROM behaviour_events WHERE type = ${type}`));
    const views = count(2);
    await page.goto(`${srv.url}/p/${lantern.slug}`);
    await pollFor(() => count(2) > views, 'the product_view event');
    const visitor = await page.evaluate(() => localStorage.getItem('souk_visitor'));
    assert.match(visitor, /^v-[0-9a-f]{24}$/);
    const link = page.locator('section.recs[data-list="similar"] a').first();
    if (await link.count()) { // the demo store has content neighbours for the lantern's words; if not, no section
      const clicks = count(9);
      await link.click();
      await page.waitForLoadState('load');
      await pollFor(() => count(9) > clicks, 'the rec_click event');
      assert.equal(sql(srv.dbPath, "SELECT list || ' ' || position FROM behaviour_events WHERE type = 9 ORDER BY id DESC LIMIT 1"), 'similar 1');
    }
    await page.close();
  });

  it('the cart page reports quantity changes and removals, and the checkout page a checkout_started', async () => {
    const page = await newPage();
    const count = (type) => Number(sql(srv.dbPath, `SELECT count(*) FROM behaviour_events WHERE type = ${type}`));
    const last = (type) => sql(srv.dbPath, `SELECT quantity FROM behaviour_events WHERE type = ${type} ORDER BY id DESC LIMIT 1`);
    await page.goto(`${srv.url}/p/${lantern.slug}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.waitForURL(/\/cart\?m=added/);
    const [adds, removes, starts] = [count(5), count(6), count(7)];
    // the first line's form (earlier tests of this browser may have left lines in its cart)
    const row = () => page.locator('form[action="/cart/update"]').first();
    const was = Number(await row().locator('input[name="quantity"]').inputValue());
    await page.evaluate(() => { window.__samePage = true; }); // a full page load would lose it
    await row().locator('input[name="quantity"]').fill(String(was + 3));
    await row().getByRole('button', { name: 'Update' }).click();
    await page.waitForURL(/\/cart\?m=updated/);
    await page.getByRole('status').filter({ hasText: 'Your cart was updated.' }).waitFor();
    assert.equal(await page.evaluate(() => window.__samePage), true, 'the cart changed without a page load');
    assert.equal(await row().locator('input[name="quantity"]').inputValue(), String(was + 3), 'the new quantity is shown');
    await pollFor(() => count(5) > adds, 'the add_to_cart of the raised quantity');
    assert.equal(last(5), '3', 'three more');
    await row().locator('input[name="quantity"]').fill(String(was + 1));
    await row().getByRole('button', { name: 'Update' }).click();
    await page.waitForURL(/\/cart\?m=updated/);
    await pollFor(() => count(6) > removes, 'the remove_from_cart of the lowered quantity');
    assert.equal(last(6), '2', 'two fewer');
    await page.getByRole('link', { name: 'Check out' }).click();
    await page.waitForURL(/\/checkout$/);
    await pollFor(() => count(7) > starts, 'the checkout_started event');
    await page.goto(`${srv.url}/cart`);
    await row().getByRole('button', { name: 'Remove' }).click();
    await page.waitForURL(/\/cart\?m=removed/);
    await pollFor(() => count(6) > removes + 1, 'the remove_from_cart of the removed line');
    assert.equal(last(6), String(was + 1), 'every unit of the line went');
    await page.close();
  });

  it('a search reports a search event, and a click on a result a search_click with its position', async () => {
    const page = await newPage();
    const count = (type) => Number(sql(srv.dbPath, `SELECT count(*) FROM behaviour_events WHERE type = ${type}`));
    const [searches, clicks] = [count(3), count(4)];
    await page.goto(`${srv.url}/search?q=lantern`);
    await pollFor(() => count(3) > searches, 'the search event');
    await page.locator('ul.grid[data-query] a').first().click();
    await page.waitForLoadState('load');
    await pollFor(() => count(4) > clicks, 'the search_click event');
    assert.equal(sql(srv.dbPath, "SELECT query || ' ' || position FROM behaviour_events WHERE type = 4 ORDER BY id DESC LIMIT 1"), 'lantern 1');
    await page.close();
  });

  it('a product on a flash sale with a review: sale prices in the picker, the review, a review form that explains who may write', async () => {
    const admin = (method, path, body) => api(srv, method, path, { key: true, body });
    const wh = await warehouse(srv, 'browser-sale');
    const item = await webProduct(srv, wh, 'Browser Sale Kettle', [{ title: 'Steel', price: 4000, stock: 9 }, { title: 'Copper', price: 6000, stock: 9 }]);
    const buyer = await register(srv, { name: 'Kettle Buyer' });
    await deliveredOrder(srv, buyer, item.variants[0].id);
    const rv = await api(srv, 'POST', `/api/v1/products/${item.id}/reviews`, { key: buyer.access, body: { rating: 4, title: 'Quick to boil', body: 'Heavy, but it boils fast.' } });
    assert.equal(rv.status, 201, rv.text);
    assert.equal((await admin('POST', `/api/v1/admin/reviews/${rv.body.id}/moderation`, { status: 'approved' })).status, 200);
    const sale = await admin('POST', '/api/v1/admin/promotions', { name: 'browser flash', kind: 'percent', value: 2500, target: { kind: 'products', ids: [item.id] },
      flash_sale: true, starts_at: new Date(Date.now() - 60_000).toISOString(), ends_at: new Date(Date.now() + 3_600_000).toISOString() });
    assert.equal(sale.status, 201, sale.text);
    const page = await newPage();
    await page.goto(`${srv.url}/p/${item.slug}`);
    await check(page, 'product-sale-review');
    assert.equal(await page.locator('#variant-price').textContent(), 'Sale price USD 30.00 was USD 40.00');
    await page.getByLabel(/Copper/).check();
    assert.equal(await page.locator('#variant-price .sale').textContent(), 'Sale price USD 45.00');
    assert.equal(await page.locator('#variant-price del').textContent(), 'was USD 60.00');
    assert.equal(await page.getByRole('heading', { name: 'Quick to boil' }).count(), 1);
    assert.match(await page.locator('section.reviews').textContent(), /Rated 4\.0 out of 5 \(1 review\)/);
    // a guest who writes one is sent to sign in, and comes back to the form
    await page.getByRole('radio', { name: '5 stars' }).check();
    await page.getByLabel('Title').fill('Love it');
    await page.getByLabel('Your review').fill('Lovely kettle.');
    await page.getByRole('button', { name: 'Send the review' }).click();
    await page.waitForURL(/\/account\/signin\?next=/);
    await page.close();
  });

  it('no console errors or CSP refusals on any page, and axe ran on each', () => {
    assert.deepEqual(problems, []);
    assert.ok(axeSeen.length >= 8, `axe ran on ${axeSeen.join(', ')}`);
  });
});
