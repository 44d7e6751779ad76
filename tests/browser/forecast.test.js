// The admin overview's forecast chart on a store with history: `souk demo --history 240`, the
// predictions computed by `souk analytics rebuild`, then the page in Chromium shows the revenue
// forecast with its intervals and the anomalous days marked, drawn and in its table, the customers
// screen, and one product's demand forecast on its screen.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchChromium, checkPage } from './lib/chromium.js';
import { startServer, runSouk } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { must } from '../api/lib/orders_util.js';

describe('the forecast on the admin overview', () => {
  let srv, chrome, password;
  const problems = [];

  before(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'souk-test-'));
    const db = path.join(dir, 'souk.db');
    const demo = await runSouk(['demo', '--db', db, '--products', '40', '--seed', '3', '--history', '240']);
    assert.equal(demo.code, 0, demo.stderr);
    password = /admin login: admin@demo\.example \/ (\S+)/.exec(demo.stdout)[1];
    const key = /admin api key: (sk_\S+)/.exec(demo.stdout)[1];
    const rebuild = await runSouk(['analytics', 'rebuild', '--db', db, '--no-signal']);
    assert.equal(rebuild.code, 0, rebuild.stderr);
    assert.match(rebuild.stdout + rebuild.stderr, /predictions up to/);
    srv = await startServer({ dir, adminKey: key });
    chrome = await launchChromium();
  });

  after(async () => {
    if (chrome) await chrome.close();
    if (srv) await srv.stop();
  });

  it('draws the next 28 days with their intervals beside the recent history', async () => {
    const page = await chrome.context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${srv.url}/admin`);
    await page.getByLabel('E-mail', { exact: true }).fill('admin@demo.example');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin$/);
    const fig = page.locator('figure', { hasText: 'Revenue forecast, next 28 days' });
    await fig.waitFor();
    assert.match(await fig.locator('figcaption').textContent(), /\d+ anomalous days marked/);
    const inked = await fig.locator('canvas').first().evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    assert.ok(inked > 2000, `the forecast is drawn (${inked} pixels)`);
    await fig.getByText('Show the numbers').click();
    const rows = await fig.locator('.chart-table tbody tr').count();
    assert.equal(rows, 56 + 28, 'eight weeks of history and four of forecast');
    // the last row is a forecast: its 80% interval lies inside the 95% one
    const last = (await fig.locator('.chart-table tbody tr').last().locator('td').allTextContents()).map((t) => Number(t.replace(/[$,]/g, '')));
    const [, forecast, lo95, hi95, lo80, hi80] = last;
    assert.ok(lo95 <= lo80 && lo80 <= forecast && forecast <= hi80 && hi80 <= hi95, `intervals nest: ${last}`);
    await checkPage(page, 'admin-forecast', []);

    // customers: the most valuable and the likeliest to churn of the demo's returning buyers
    await page.getByRole('link', { name: 'Customers' }).click();
    await page.waitForSelector('table.clv');
    const clv = await page.locator('table.clv tbody tr').count();
    assert.equal(clv, 20);
    const values = (await page.locator('table.clv tbody tr td:nth-child(5)').allTextContents()).map((t) => Number(t.replace(/[$,]/g, '')));
    assert.deepEqual(values, [...values].sort((a, b) => b - a), 'most valuable first');
    assert.match(await page.getByText(/AUC on its time split: 0\.\d{3}/).textContent(), /0\.\d{3}/);
    const risks = (await page.locator('table.churn tbody tr td:nth-child(2)').allTextContents()).map((t) => Number(t.replace('%', '')));
    assert.ok(risks.length > 0 && risks.every((r) => r >= 0 && r <= 100));
    assert.deepEqual(risks, [...risks].sort((a, b) => b - a), 'likeliest first');
    await checkPage(page, 'admin-customers', []);

    // one product's demand forecast on its screen: the best seller of the history
    const top = must(await api(srv, 'GET', '/api/v1/admin/analytics/forecasts?scope=product&granularity=day&horizon=28', { key: true }), 200);
    const fitted = top.series.filter((x) => x.measure === 'units');
    assert.ok(fitted.length > 0, 'some products have a stored forecast');
    await page.goto(`${srv.url}/admin#/products/${fitted[0].series}`);
    const pf = page.locator('figure', { hasText: 'Units a day, next 28 days' });
    await pf.waitFor();
    await pf.getByText('Show the numbers').click();
    assert.equal(await pf.locator('.chart-table tbody tr').count(), 28);
    const first = (await pf.locator('.chart-table tbody tr').first().locator('td').allTextContents()).map(Number);
    const [f, l95, h95, l80, h80] = first;
    assert.ok(l95 <= l80 && l80 <= f && f <= h80 && h80 <= h95, `intervals nest: ${first}`);
    await checkPage(page, 'admin-product-forecast', []);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
