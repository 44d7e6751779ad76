// Converted analytics beyond the KPIs (docs/analytics.md, "Currencies"): cohorts (revenue), RFM
// (monetary), k-means segments (revenue), churn (its customers and monetary features) and
// lifetime value with convert=1, each
// order converted into the asked currency at the stored rate of its own day, beside the
// per-currency answers. Store currency USD. The fixture: four customers, orders on two days in
// two different months (40 days ago, through a server whose clock is moved back, and today),
// in USD and EUR; EUR is 0.5 per USD up to 10 days ago and 0.4 since. Every expected figure is
// worked out by hand below.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { loginOk } from './lib/auth_util.js';
import { ADDRESS, must, warehouse, customer, addLine, call, checkout, eventually } from './lib/orders_util.js';
import { token } from './lib/util.js';

const DAY = 86400 * 1000;
const iso = (t) => new Date(t).toISOString().slice(0, 10);
const month = (t) => iso(t).slice(0, 7);
const months = (a, b) => (+b.slice(0, 4) - +a.slice(0, 4)) * 12 + (+b.slice(5, 7) - +a.slice(5, 7));
const money = (amount, currency = 'USD') => ({ amount, currency });
const CARD = '4242424242424242';

describe('analytics: convert=1 in cohorts, rfm, segments, churn and clv', () => {
  let srv;
  const who = {};
  const t1 = Date.now() - 40 * DAY, t2 = Date.now();
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  const report = (p) => api(srv, 'GET', `/api/v1/admin/analytics/${p}`, { key: true });
  const buy = async (c, currency, variant) => {
    await must(await call(srv, c.who, 'POST', '/api/v1/carts', { currency }), 201);
    await addLine(srv, c.who, variant, 1);
    await must(await checkout(srv, c.who, { body: { shipping_address: ADDRESS, payment_method: CARD } }), 201);
  };

  before(async () => {
    // day 1, 40 days ago: A buys 10.00 USD, B and C 9.00 EUR each
    const first = await startServer({ keepDir: true, env: { SOUK_TEST_CLOCK_OFFSET_S: String(-40 * 86400) } });
    srv = first;
    const wh = await warehouse(srv);
    const mk = async (prices) => {
      const p = await must(await admin('POST', '/api/v1/products', {
        title: `Fx report ${token()}`, status: 'active', variants: [{ sku: `FXR-${token()}`, prices }],
      }), 201);
      await must(await admin('PUT', `/api/v1/variants/${p.variants[0].id}/stock/${wh.id}`, { on_hand: 20, reason: 'count' }), 200);
      return p.variants[0].id;
    };
    who.usd = await mk([money(1000)]);
    who.eur = await mk([money(1000), money(900, 'EUR')]);
    for (const k of ['A', 'B', 'C']) who[k] = await customer(srv);
    await buy(who.A, 'USD', who.usd);
    await buy(who.B, 'EUR', who.eur);
    await buy(who.C, 'EUR', who.eur);
    await first.stop();
    // day 2, today: B buys 9.00 EUR again, C 10.00 USD, D (new) 9.00 EUR
    srv = await startServer({ dir: first.dir, adminKey: first.adminKey });
    for (const k of ['B', 'C']) {
      const tok = await loginOk(srv, who[k].email, who[k].password);
      who[k].who = { key: tok.access_token };
    }
    who.D = await customer(srv);
    await buy(who.B, 'EUR', who.eur);
    await buy(who.C, 'USD', who.usd);
    await buy(who.D, 'EUR', who.eur);
    await must(await admin('PUT', '/api/v1/admin/currencies/EUR/rates', { rate: '0.5', effective_at: `${iso(t1 - 30 * DAY)}T00:00:00Z` }), 200);
    await must(await admin('PUT', '/api/v1/admin/currencies/EUR/rates', { rate: '0.4', effective_at: `${iso(t2 - 10 * DAY)}T00:00:00Z` }), 200);
    await eventually(async () => {
      const r = await report(`kpis?currency=EUR&from=${iso(t1)}&to=${iso(t2)}`);
      return r.status === 200 && r.body.current.orders === 4 ? r : null;
    }, 'the six orders in the facts');
  });
  after(async () => { await srv?.stop(); });

  const range = () => `from=${iso(t1)}&to=${iso(t2)}`;
  const byCustomer = (rows) => Object.fromEntries(rows.map((r) => [r.customer, r]));

  it('cohorts: revenue converted at each order\'s rate; per currency, each currency\'s own cohorts', async () => {
    const gap = months(month(t1), month(t2)); // 40 days: one or two months later
    const conv = must(await report(`cohorts?currency=USD&convert=1&${range()}`), 200);
    assert.equal(conv.currency, 'USD');
    assert.deepEqual(conv.converted, { rates: "in effect on each order's day (store time zone)", unconverted_orders: 0, unconverted_currencies: [] });
    const cell = (body, cohort, k) => body.rows.find((r) => r.cohort === cohort && r.months_since === k);
    // day-1 cohort A, B, C: 10.00 + 9.00 / 0.5 + 9.00 / 0.5 = 46.00 USD; today B (9.00 / 0.4 = 22.50) and C (10.00)
    assert.deepEqual(cell(conv, month(t1), 0), { cohort: month(t1), months_since: 0, cohort_size: 3, customers: 3, retention_rate: 1, revenue: 4600 });
    assert.deepEqual(cell(conv, month(t1), gap), { cohort: month(t1), months_since: gap, cohort_size: 3, customers: 2, retention_rate: 0.6667, revenue: 3250 });
    assert.deepEqual(cell(conv, month(t2), 0), { cohort: month(t2), months_since: 0, cohort_size: 1, customers: 1, retention_rate: 1, revenue: 2250 });
    // per currency: EUR's cohorts are B, C (18.00; B again 9.00) and D; USD's A (10.00) and C, whose first USD order is today
    const eur = must(await report(`cohorts?currency=EUR&${range()}`), 200);
    assert.equal(eur.converted, undefined);
    assert.equal(cell(eur, month(t1), 0).revenue, 1800);
    assert.equal(cell(eur, month(t1), 0).cohort_size, 2);
    assert.deepEqual([cell(eur, month(t1), gap).customers, cell(eur, month(t1), gap).revenue], [1, 900]);
    assert.equal(cell(eur, month(t2), 0).revenue, 900);
    const usd = must(await report(`cohorts?currency=USD&${range()}`), 200);
    assert.deepEqual([cell(usd, month(t1), 0).cohort_size, cell(usd, month(t1), 0).revenue], [1, 1000]);
    assert.deepEqual([cell(usd, month(t2), 0).cohort_size, cell(usd, month(t2), 0).revenue], [1, 1000]);
    // into EUR instead: 10.00 USD × 0.5 = 5.00 EUR on day 1, × 0.4 = 4.00 EUR today
    const inEur = must(await report(`cohorts?currency=EUR&convert=1&${range()}`), 200);
    assert.equal(cell(inEur, month(t1), 0).revenue, 500 + 900 + 900);
    assert.equal(cell(inEur, month(t1), gap).revenue, 900 + 400);
  });

  it('rfm: monetary converted; orders of both currencies count in frequency', async () => {
    const conv = must(await report(`rfm?currency=USD&convert=1&${range()}`), 200);
    assert.equal(conv.customers, 4);
    assert.equal(conv.converted.unconverted_orders, 0);
    const r = byCustomer(conv.rows);
    assert.deepEqual([r[who.A.id].frequency, r[who.A.id].monetary, r[who.A.id].recency_days], [1, 1000, 40]);
    assert.deepEqual([r[who.B.id].frequency, r[who.B.id].monetary, r[who.B.id].recency_days], [2, 1800 + 2250, 0]);
    assert.deepEqual([r[who.C.id].frequency, r[who.C.id].monetary], [2, 1800 + 1000]);
    assert.deepEqual([r[who.D.id].frequency, r[who.D.id].monetary], [1, 2250]);
    assert.equal(conv.segments.reduce((a, s) => a + s.revenue, 0), 1000 + 4050 + 2800 + 2250);
    const eur = byCustomer(must(await report(`rfm?currency=EUR&${range()}`), 200).rows);
    assert.deepEqual(Object.keys(eur).sort(), [who.B.id, who.C.id, who.D.id].sort());
    assert.deepEqual([eur[who.B.id].frequency, eur[who.B.id].monetary], [2, 1800]);
    assert.deepEqual([eur[who.C.id].frequency, eur[who.C.id].monetary, eur[who.C.id].recency_days], [1, 900, 40]);
  });

  it('churn: every customer of both currencies is scored, with their orders of both', async () => {
    const conv = must(await report(`churn?currency=USD&convert=1&to=${iso(t2)}&horizon=30`), 200);
    assert.equal(conv.customers, 4);
    assert.equal(conv.converted.unconverted_orders, 0);
    const r = byCustomer(conv.rows);
    assert.deepEqual([r[who.A.id].frequency, r[who.B.id].frequency, r[who.C.id].frequency, r[who.D.id].frequency], [1, 2, 2, 1]);
    assert.equal(r[who.A.id].recency_days, 40);
    const usd = must(await report(`churn?currency=USD&to=${iso(t2)}&horizon=30`), 200);
    assert.equal(usd.customers, 2); // A and C
    assert.equal(byCustomer(usd.rows)[who.C.id].frequency, 1);
    assert.equal(usd.converted, undefined);
  });

  it('segments: the customers\' revenue converted before they are clustered', async () => {
    const conv = must(await report(`segments?currency=USD&convert=1&k=2&${range()}`), 200);
    assert.equal(conv.converted.unconverted_orders, 0);
    const r = byCustomer(conv.rows);
    assert.deepEqual([r[who.A.id].monetary, r[who.B.id].monetary, r[who.C.id].monetary, r[who.D.id].monetary], [1000, 4050, 2800, 2250]);
    assert.deepEqual([r[who.B.id].frequency, r[who.C.id].frequency], [2, 2]);
    assert.equal(conv.clusters.reduce((a, c) => a + c.revenue, 0), 1000 + 4050 + 2800 + 2250);
    const eur = byCustomer(must(await report(`segments?currency=EUR&k=2&${range()}`), 200).rows);
    assert.deepEqual([eur[who.B.id].monetary, eur[who.C.id].monetary, eur[who.D.id].monetary], [1800, 900, 900]);
    assert.equal(eur[who.A.id], undefined);
  });

  it('clv: transaction values converted at each day\'s rate', async () => {
    const conv = must(await report(`clv?currency=USD&convert=1&to=${iso(t2)}`), 200);
    assert.equal(conv.customers, 4);
    assert.equal(conv.converted.unconverted_orders, 0);
    const r = byCustomer(conv.rows);
    // the repeat transaction (today's) of B is 9.00 EUR / 0.4 = 22.50 USD, of C 10.00 USD
    assert.deepEqual([r[who.B.id].frequency, r[who.B.id].mean_value], [1, 2250]);
    assert.deepEqual([r[who.C.id].frequency, r[who.C.id].mean_value], [1, 1000]);
    assert.equal(r[who.A.id].frequency, 0);
    const eur = must(await report(`clv?currency=EUR&to=${iso(t2)}`), 200);
    assert.equal(eur.customers, 3);
    const e = byCustomer(eur.rows);
    assert.deepEqual([e[who.B.id].frequency, e[who.B.id].mean_value], [1, 900]);
    assert.equal(e[who.C.id].frequency, 0);
  });

  it('convert=1 needs a known currency; the funnel does not take it; CSV has the converted rows', async () => {
    for (const p of ['cohorts', 'rfm', 'segments', 'churn', 'clv']) {
      expectError(await report(`${p}?convert=1`), 400, 'BAD_REQUEST', 'currency');
      expectError(await report(`${p}?currency=XXX&convert=1`), 400, 'BAD_REQUEST', 'currency');
      expectError(await report(`${p}?currency=USD&convert=yes`), 400, 'BAD_REQUEST', 'convert');
    }
    expectError(await report('funnel?currency=USD&convert=1'), 400, 'BAD_REQUEST', 'convert');
    // CSV of a converted report: the same rows
    const r = await api(srv, 'GET', `/api/v1/admin/analytics/rfm?currency=USD&convert=1&${range()}&format=csv`, { key: true });
    assert.equal(r.status, 200);
    assert.equal(r.text.trim().split('\r\n').length, 1 + 4);
  });
});
