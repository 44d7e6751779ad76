// The Fraud holds screen of the admin dashboard in a real Chromium: two
// orders held by the fraud-risk score (declined attempts of their e-mail, a
// card billed in another country) are listed with score and reasons; the
// admin releases one (it leaves the list and its page shows it released, so
// it can be fulfilled), cancels the other with its refund; the order page
// shows the score; axe-core on the screen, screenshots at 320 and 1280 px,
// and no console error anywhere.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, checkPage } from './lib/chromium.js';
import { startServer, ADMIN_EMAIL, ADMIN_PASSWORD } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { token } from '../api/lib/util.js';
import { warehouse, product, must, idemKey } from '../api/lib/orders_util.js';
import { guestCart, checkout, CARD_OK } from '../api/lib/checkout_util.js';

const CARD_DECLINED = '4000000000000002';

describe('the Fraud holds screen in Chromium', () => {
  let srv, chrome;
  const held = [];
  const problems = [];
  const axeSeen = [];

  before(async () => {
    srv = await startServer({ env: { SOUK_FRAUD_HOLD_THRESHOLD: '' } }); // the default threshold, 50
    const wh = await warehouse(srv);
    const lamp = await product(srv, { title: 'Held lamp', variants: [{ price: 4200, stock: 20 }], wh });
    for (let i = 0; i < 2; i++) {
      const email = `held-${i}-${token()}@example.com`;
      const shipping = { name: 'Risky Buyer', line1: `${i} Drop Lane ${token()}`, city: 'London', postal_code: 'E1 6AN', country: 'GB' };
      for (let d = 0; d < 2; d++) {
        const r = await checkout(srv, await guestCart(srv, [[lamp.variants[0].id, 1]]), idemKey('decl'), { email, shipping_address: shipping, payment_method: CARD_DECLINED });
        assert.equal(r.status, 402);
      }
      held.push(must(await checkout(srv, await guestCart(srv, [[lamp.variants[0].id, 1]]), idemKey('held'),
        { email, shipping_address: shipping, payment_method: CARD_OK, billing_country: 'US' }), 201));
    }
    chrome = await launchChromium();
  });

  after(async () => {
    if (chrome) await chrome.close();
    if (srv) await srv.stop();
  });

  it('lists the held orders with their reasons; release and cancel decide them', async () => {
    const page = await chrome.context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${page.url()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    await page.goto(`${srv.url}/admin#/fraud`);
    await page.waitForURL(/\/account\/signin/);
    await page.getByLabel('E-mail', { exact: true }).fill(ADMIN_EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin/);
    await page.goto(`${srv.url}/admin#/fraud`);
    await page.getByRole('heading', { name: 'Fraud holds' }).waitFor();
    await page.getByRole('link', { name: 'Fraud holds' }).waitFor();
    const rows = page.locator('table.fraud-holds tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    for (const o of held) {
      const row = rows.filter({ hasText: o.id });
      assert.match(await row.textContent(), /declines \(35\), country mismatch \(20\)/);
      assert.match(await row.textContent(), /55/);
      assert.match(await row.textContent(), /\$42\.00/);
    }
    await checkPage(page, 'admin-fraud-holds', axeSeen);

    await page.getByRole('button', { name: `Release ${held[0].id}` }).click();
    await page.getByText(`${held[0].id}: released for fulfilment.`).waitFor();
    await page.waitForFunction((id) => !document.querySelector('table.fraud-holds')?.textContent.includes(id), held[0].id);
    assert.equal(await rows.count(), 1);
    await page.getByRole('button', { name: `Cancel and refund ${held[1].id}` }).click();
    await page.getByText(`${held[1].id}: cancelled and refunded.`).waitFor();
    await page.getByText('No order is held for review.').waitFor();

    // the order page shows the score, reasons and decision; the released order can be fulfilled
    await page.goto(`${srv.url}/admin#/orders/${held[0].id}`);
    await page.locator('.fraud-risk').waitFor();
    assert.match(await page.locator('.fraud-risk').textContent(), /55 of 100 \(hold at 50\) — released/);
    await page.getByRole('button', { name: 'Fulfil everything left' }).click();
    await page.getByText('Fulfil: done.').waitFor();
    const fulfilled = must(await api(srv, 'GET', `/api/v1/orders/${held[0].id}`, { key: true }), 200);
    assert.equal(fulfilled.state, 'fulfilled');
    const cancelled = must(await api(srv, 'GET', `/api/v1/orders/${held[1].id}`, { key: true }), 200);
    assert.deepEqual([cancelled.state, cancelled.payment_status, cancelled.fraud.hold], ['cancelled', 'refunded', 'cancelled']);
    await page.close();
    assert.deepEqual(problems, []);
  });
});
