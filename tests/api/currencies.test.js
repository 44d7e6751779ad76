// Currencies (docs/currencies.md) against a real server: stored exchange rates
// (admin API, permission currencies:manage, audited, exact decimal strings,
// effective times), the display currencies setting, and display conversion of
// prices on product detail, the product list and search (explicit price lists
// win; the answer says the price was converted and at which rate; rounding to
// the currency's minor unit, half to even), through the response cache; carts
// keep the currency they were priced in. Store currency: USD.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { ADDRESS, must, warehouse, customer, addLine, call, checkout, eventually } from './lib/orders_util.js';
import { token } from './lib/util.js';

const money = (amount, currency = 'USD') => ({ amount, currency });

describe('currencies', () => {
  let srv;
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  const fx = {};

  before(async () => {
    srv = await startServer();
    const mk = async (title, prices) => must(await admin('POST', '/api/v1/products', {
      title: `${title} ${token()}`, status: 'active', variants: [{ sku: `FX-${token()}`, prices }],
    }), 201);
    // usd only: converted everywhere; both: an explicit EUR price that must win
    fx.usd = await mk('Lamp fxword', [money(1999)]);
    fx.both = await mk('Chair fxword', [money(5000), money(4100, 'EUR')]);
    fx.tie = await mk('Mug fxword', [money(25)]); // 0.25 USD × 0.5 = 0.125 → 0.12 (half to even)
  });
  after(async () => { await srv?.stop(); });

  it('rates: set, list, replace at the same time, delete; audited', async () => {
    let r = await must(await admin('PUT', '/api/v1/admin/currencies/EUR/rates', { rate: '0.920', effective_at: '2026-01-01T00:00:00Z' }), 200);
    assert.equal(r.currency, 'EUR');
    assert.equal(r.base, 'USD');
    assert.equal(r.rate, '0.92', 'stored exactly, trailing zeros dropped');
    assert.equal(r.effective_at, '2026-01-01T00:00:00.000000Z');
    assert.equal(r.in_effect, true);
    const first = r.id;
    // a later rate takes over; the same time again replaces the stored one
    r = await must(await admin('PUT', '/api/v1/admin/currencies/EUR/rates', { rate: '0.95', effective_at: '2026-02-01T00:00:00Z' }), 200);
    const second = r.id;
    r = await must(await admin('PUT', '/api/v1/admin/currencies/EUR/rates', { rate: '0.5', effective_at: '2026-02-01T00:00:00Z' }), 200);
    assert.equal(r.id, second, 'same pair and time: replaced, not added');
    assert.equal(r.rate, '0.5');
    // a rate in the future is stored but not in effect
    const future = await must(await admin('PUT', '/api/v1/admin/currencies/EUR/rates', { rate: '2', effective_at: '2100-01-01T00:00:00Z' }), 200);
    assert.equal(future.in_effect, false);
    let list = await must(await admin('GET', '/api/v1/admin/currencies/rates?currency=EUR'), 200);
    assert.deepEqual(list.data.map((x) => [x.rate, x.in_effect]), [['2', false], ['0.5', true], ['0.92', false]]);
    await must(await admin('DELETE', `/api/v1/admin/currencies/rates/${future.id}`), 204);
    expectError(await admin('DELETE', `/api/v1/admin/currencies/rates/${future.id}`), 404, 'NOT_FOUND');
    await must(await admin('PUT', '/api/v1/admin/currencies/JPY/rates', { rate: '151.5', effective_at: '2026-01-01T00:00:00Z' }), 200);
    await must(await admin('PUT', '/api/v1/admin/currencies/KWD/rates', { rate: '0.3075', effective_at: '2026-01-01T00:00:00Z' }), 200);
    list = await must(await admin('GET', '/api/v1/admin/currencies/rates'), 200);
    assert.deepEqual(list.data.map((x) => x.currency), ['EUR', 'EUR', 'JPY', 'KWD']);
    assert.ok(list.data.some((x) => x.id === first));
    const audit = await must(await admin('GET', '/api/v1/admin/audit?object_type=fx_rate&limit=50'), 200);
    assert.ok(audit.data.some((e) => e.object_id === future.id && e.action.startsWith('DELETE')), JSON.stringify(audit.data.slice(0, 2)));
    assert.ok(audit.data.some((e) => e.object_id === second), 'the replacement is audited');
  });

  it('bad input: rates as exact decimal strings within bounds, known codes, not the store currency', async () => {
    const put = (cur, body) => admin('PUT', `/api/v1/admin/currencies/${cur}/rates`, body);
    for (const rate of ['0', '-1', '1e3', '.5', 'abc', '0.0000000000001', '10000000000', '1234.5678912', ''])
      expectError(await put('EUR', { rate }), 422, 'VALIDATION_ERROR', 'rate');
    expectError(await put('EUR', { rate: 0.92 }), 422, 'VALIDATION_ERROR', 'rate'); // a JSON number would be a float
    expectError(await put('EUR', {}), 422, 'VALIDATION_ERROR', 'rate');
    expectError(await put('EUR', { rate: '1', effective_at: 'yesterday' }), 422, 'VALIDATION_ERROR', 'effective_at');
    expectError(await put('EUR', { rate: '1', extra: 1 }), 422, 'VALIDATION_ERROR');
    expectError(await put('XXX', { rate: '1' }), 422, 'VALIDATION_ERROR', 'currency');
    expectError(await put('eur', { rate: '1' }), 422, 'VALIDATION_ERROR', 'currency');
    expectError(await put('USD', { rate: '1' }), 422, 'VALIDATION_ERROR', 'currency');
    expectError(await admin('GET', '/api/v1/admin/currencies/rates?currency=usd'), 422, 'VALIDATION_ERROR', 'currency');
    expectError(await admin('GET', '/api/v1/admin/currencies/rates?nope=1'), 422, 'VALIDATION_ERROR');
    expectError(await admin('DELETE', '/api/v1/admin/currencies/rates/nope'), 404, 'NOT_FOUND');
    const set = (body) => admin('PUT', '/api/v1/admin/currencies/settings', body);
    expectError(await set({ display_currencies: ['EUR', 'EUR'] }), 422, 'VALIDATION_ERROR', 'display_currencies');
    expectError(await set({ display_currencies: ['ABC'] }), 422, 'VALIDATION_ERROR');
    expectError(await set({ display_currencies: 'EUR' }), 422, 'VALIDATION_ERROR', 'display_currencies');
    expectError(await set({ display_currencies: Array.from({ length: 33 }, () => 'EUR') }), 422, 'VALIDATION_ERROR', 'display_currencies');
  });

  it('permission currencies:manage: customers and vendors are refused, anonymous 401', async () => {
    const c = await register(srv);
    const as = (method, path, body) => api(srv, method, path, { key: c.access, body });
    expectError(await as('GET', '/api/v1/admin/currencies/rates'), 403, 'FORBIDDEN');
    expectError(await as('PUT', '/api/v1/admin/currencies/EUR/rates', { rate: '9' }), 403, 'FORBIDDEN');
    expectError(await as('PUT', '/api/v1/admin/currencies/settings', { display_currencies: [] }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'GET', '/api/v1/admin/currencies/settings'), 401, 'UNAUTHORIZED');
  });

  it('nothing is converted until a currency is enabled for display', async () => {
    const d = await must(await api(srv, 'GET', `/api/v1/products/${fx.usd.id}`), 200);
    assert.deepEqual(d.variants[0].prices, [money(1999)]);
    expectError(await api(srv, 'GET', `/api/v1/products/${fx.usd.id}?currency=EUR`), 422, 'VALIDATION_ERROR', 'currency');
    const l = await must(await api(srv, 'GET', `/api/v1/products?currency=EUR&limit=100`), 200);
    assert.equal(l.data.find((p) => p.id === fx.usd.id).price, null, 'the list shows explicit prices only');
    const s = await must(await admin('PUT', '/api/v1/admin/currencies/settings', { display_currencies: ['EUR', 'JPY', 'KWD', 'GBP'] }), 200);
    assert.deepEqual(s, { base: 'USD', display_currencies: ['EUR', 'JPY', 'KWD', 'GBP'] });
    const pub = await must(await api(srv, 'GET', '/api/v1/currencies'), 200);
    assert.deepEqual(pub.base, { code: 'USD', minor_units: 2 });
    assert.deepEqual(pub.display_currencies.map((c) => [c.code, c.minor_units, c.rate]),
      [['EUR', 2, '0.5'], ['JPY', 0, '151.5'], ['KWD', 3, '0.3075'], ['GBP', 2, null]]);
  });

  it('product detail: converted per minor-unit class, marked with the rate; an explicit price wins', async () => {
    const conv = async (id, cur) => {
      const d = await must(await api(srv, 'GET', `/api/v1/products/${id}?currency=${cur}`), 200);
      return d.variants[0].prices;
    };
    const eur = await conv(fx.usd.id, 'EUR');
    assert.equal(eur.length, 2);
    assert.deepEqual(eur[0], money(1999));
    const c = eur[1];
    assert.equal(c.amount, 1000, '19.99 × 0.5 = 9.995 → 10.00 (half to even)');
    assert.equal(c.currency, 'EUR');
    assert.deepEqual(c.converted.from, money(1999));
    assert.equal(c.converted.rate, '0.5');
    assert.match(c.converted.rate_id, /^fxr_/);
    assert.equal(c.converted.effective_at, '2026-02-01T00:00:00.000000Z');
    assert.deepEqual((await conv(fx.tie.id, 'EUR'))[1].amount, 12, '0.125 → 0.12');
    assert.equal((await conv(fx.usd.id, 'JPY'))[1].amount, 3028, '19.99 × 151.5 = 3028.485 → 3028 yen');
    assert.equal((await conv(fx.usd.id, 'KWD'))[1].amount, 6147, '19.99 × 0.3075 = 6.146925 → 6.147 KWD');
    // an explicit EUR price wins: shown as stored, nothing converted
    const both = await conv(fx.both.id, 'EUR');
    assert.deepEqual(both, [money(4100, 'EUR'), money(5000)]);
    // enabled but no rate yet (GBP): nothing converted; the store currency: nothing to convert
    assert.deepEqual(await conv(fx.usd.id, 'GBP'), [money(1999)]);
    assert.deepEqual(await conv(fx.usd.id, 'USD'), [money(1999)]);
    expectError(await api(srv, 'GET', `/api/v1/products/${fx.usd.id}?currency=eur`), 422, 'VALIDATION_ERROR', 'currency');
    expectError(await api(srv, 'GET', `/api/v1/products/${fx.usd.id}?currency=CHF`), 422, 'VALIDATION_ERROR', 'currency');
  });

  it('product list and search: rows without an explicit price show it converted', async () => {
    const l = await must(await api(srv, 'GET', '/api/v1/products?currency=JPY&limit=100'), 200);
    const row = l.data.find((p) => p.id === fx.usd.id);
    assert.equal(row.price.amount, 3028);
    assert.equal(row.price.currency, 'JPY');
    assert.equal(row.price.converted.rate, '151.5');
    assert.deepEqual(row.price.converted.from, money(1999));
    const e = await must(await api(srv, 'GET', '/api/v1/products?currency=EUR&limit=100'), 200);
    const b = e.data.find((p) => p.id === fx.both.id);
    assert.deepEqual(b.price, money(4100, 'EUR'), 'the explicit EUR price wins, unmarked');
    assert.equal(e.data.find((p) => p.id === fx.usd.id).price.amount, 1000);
    // search: the hits in EUR (explicit or converted); its filters stay in the store currency
    let s;
    for (let i = 0; i < 50; i++) { // the index follows the catalog within a moment
      s = await must(await api(srv, 'GET', '/api/v1/search?q=fxword&currency=EUR'), 200);
      if (s.data.length === 3) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(s.data.length, 3);
    assert.deepEqual(s.data.find((p) => p.id === fx.both.id).price, money(4100, 'EUR'));
    const hit = s.data.find((p) => p.id === fx.usd.id);
    assert.equal(hit.price.amount, 1000);
    assert.equal(hit.price.converted.rate, '0.5');
    const plain = await must(await api(srv, 'GET', '/api/v1/search?q=fxword'), 200);
    assert.deepEqual(plain.data.find((p) => p.id === fx.usd.id).price, money(1999));
    expectError(await api(srv, 'GET', '/api/v1/search?q=fxword&currency=CHF'), 422, 'VALIDATION_ERROR', 'currency');
    expectError(await api(srv, 'GET', '/api/v1/search?q=fxword&currency=EUR&price_min=100'), 422, 'VALIDATION_ERROR', 'currency');
  });

  it('the response cache keys on the currency and drops converted answers when a rate changes', async () => {
    const get = async (cur) => (await must(await api(srv, 'GET', `/api/v1/products/${fx.usd.id}?currency=${cur}`), 200)).variants[0].prices;
    assert.equal((await get('JPY'))[1].amount, 3028);
    assert.equal((await get('EUR'))[1].amount, 1000); // not the cached JPY answer
    await must(await admin('PUT', '/api/v1/admin/currencies/JPY/rates', { rate: '100', effective_at: '2026-03-01T00:00:00Z' }), 200);
    assert.equal((await get('JPY'))[1].amount, 1999, 'the new rate shows at once');
    const l = await must(await api(srv, 'GET', '/api/v1/products?currency=JPY&limit=100'), 200);
    assert.equal(l.data.find((p) => p.id === fx.usd.id).price.amount, 1999);
  });

  it('carts keep the currency they were priced in and are never converted', async () => {
    const c = await must(await api(srv, 'POST', '/api/v1/carts', { body: { currency: 'EUR' } }), 201);
    const g = (method, path, body) => api(srv, method, path, { headers: { 'X-Cart-Token': c.cart_token }, body });
    let cart = await must(await g('POST', '/api/v1/carts/current/lines', { variant_id: fx.usd.variants[0].id, quantity: 1 }), 200);
    assert.equal(cart.currency, 'EUR');
    const line = cart.lines[0];
    assert.equal(line.purchasable, false, 'no explicit EUR price: not converted into a cart');
    assert.equal(line.unit_price, null);
    cart = await must(await g('POST', '/api/v1/carts/current/lines', { variant_id: fx.both.variants[0].id, quantity: 1 }), 200);
    assert.deepEqual(cart.totals.subtotal, money(4100, 'EUR'));
    expectError(await g('PATCH', '/api/v1/carts/current', { currency: 'USD' }), 409, 'CONFLICT', 'currency');
    cart = await must(await g('GET', '/api/v1/carts/current'), 200);
    assert.equal(cart.currency, 'EUR');
  });

  it('analytics: convert=1 converts every order into the currency at the stored rate of its day', async () => {
    const wh = await warehouse(srv);
    const mk = async (prices) => {
      const p = await must(await admin('POST', '/api/v1/products', {
        title: `Analytics fx ${token()}`, status: 'active', variants: [{ sku: `FXA-${token()}`, prices }],
      }), 201);
      await must(await admin('PUT', `/api/v1/variants/${p.variants[0].id}/stock/${wh.id}`, { on_hand: 10, reason: 'count' }), 200);
      return p.variants[0].id;
    };
    const usd = await mk([money(1000)]), eur = await mk([money(1000), money(900, 'EUR')]);
    const buy = async (currency, variant) => {
      const c = await customer(srv);
      await must(await call(srv, c.who, 'POST', '/api/v1/carts', { currency }), 201);
      await addLine(srv, c.who, variant, 1);
      await must(await checkout(srv, c.who, { body: { shipping_address: ADDRESS, payment_method: '4242424242424242' } }), 201);
    };
    await buy('USD', usd);
    await buy('EUR', eur);
    const kpis = (q) => api(srv, 'GET', `/api/v1/admin/analytics/kpis?${q}`, { key: true });
    // per currency (as before): the USD orders only
    const per = await eventually(async () => {
      const r = await kpis('currency=EUR');
      return r.status === 200 && r.body.current.orders === 1 ? r.body : null;
    }, 'the EUR order in the facts');
    assert.equal(per.current.gross_revenue, 900);
    assert.equal(per.converted, undefined);
    // converted into USD: 10.00 + 9.00 EUR / 0.5 = 28.00; into JPY (1 USD = 100 JPY since 2026-03-01): 2800 yen
    const inUsd = await must(await kpis('currency=USD&convert=1'), 200);
    assert.equal(inUsd.currency, 'USD');
    assert.equal(inUsd.current.orders, 2);
    assert.equal(inUsd.current.gross_revenue, 2800);
    assert.equal(inUsd.converted.unconverted_orders, 0);
    const inJpy = await must(await kpis('currency=JPY&convert=1'), 200);
    assert.equal(inJpy.current.gross_revenue, 2800);
    const ts = await must(await api(srv, 'GET', '/api/v1/admin/analytics/timeseries?currency=USD&convert=1&granularity=month', { key: true }), 200);
    assert.equal(ts.rows.reduce((a, r) => a + r.gross_revenue, 0), 2800);
    // a rate change moves the converted answer (the cache keys on the rates)
    const today = new Date().toISOString().slice(0, 10);
    await must(await admin('PUT', '/api/v1/admin/currencies/EUR/rates', { rate: '0.9', effective_at: `${today}T00:00:00Z` }), 200);
    assert.equal((await must(await kpis('currency=USD&convert=1'), 200)).current.gross_revenue, 2000); // 1000 + 900 / 0.9
    for (const [q, field] of [['convert=1', 'currency'], ['currency=XXX&convert=1', 'currency'], ['currency=USD&convert=2', 'convert']])
      expectError(await kpis(q), 400, 'BAD_REQUEST', field);
    expectError(await api(srv, 'GET', '/api/v1/admin/analytics/funnel?convert=1', { key: true }), 400, 'BAD_REQUEST', 'convert');
  });
});
