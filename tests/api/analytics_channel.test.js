// The KPI report's channel filter (docs/analytics.md): an order bought through
// the storefront's own pages counts as channel=storefront, one placed through
// the JSON API as channel=api, an imported one as channel=import; each filter
// sees its own orders only, and the unfiltered report all of them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { warehouse } from './lib/checkout_util.js';
import { ADDRESS, must, customerWithCart, checkout, eventually } from './lib/orders_util.js';
import { Browser, inputValue, webProduct } from './lib/web_util.js';

const kpi = (body, name) => body.current[name];

describe('the KPI channel filter', () => {
  let srv, prod;
  const admin = (path) => api(srv, 'GET', path, { key: true });
  const orders = async (q) => kpi(must(await admin(`/api/v1/admin/analytics/kpis?currency=USD${q}`), 200), 'orders');

  before(async () => {
    srv = await startServer({ keepDir: true });
    const wh = await warehouse(srv);
    prod = await webProduct(srv, wh, `Channel lamp`, [{ price: 1500, stock: 50 }]);
    await eventually(async () => (await admin('/api/v1/admin/analytics/kpis')).status === 200, 'the first build', 10_000);
  });
  after(async () => { await srv?.stop(); });

  it('storefront and API orders are told apart', async () => {
    // one bought through the storefront's forms
    const b = new Browser(srv);
    const page = (await b.get(`/p/${prod.slug}`)).text;
    assert.equal((await b.post('/cart/add', { csrf: inputValue(page, 'csrf'), variant: prod.variants[0].id, quantity: '2' })).status, 303);
    const co = await b.get('/checkout');
    const done = await b.post('/checkout', {
      csrf: inputValue(co.text, 'csrf'), idem: inputValue(co.text, 'idem'),
      expected_amount: inputValue(co.text, 'expected_amount'), expected_currency: inputValue(co.text, 'expected_currency'),
      email: 'shop@example.com', name: 'Ann Smith', line1: '1 High Street', city: 'London', postal_code: 'N1 9GU',
      country: 'GB', card: '4242424242424242',
    });
    assert.equal(done.status, 303, done.text.slice(0, 500));
    // two placed through the API
    for (let i = 0; i < 2; i++) {
      const c = await customerWithCart(srv, [[prod.variants[0].id, 1]]);
      must(await checkout(srv, c.who, { body: { shipping_address: ADDRESS, payment_method: '4242424242424242' } }), 201);
    }
    await eventually(async () => (await orders('')) === 3, 'the three orders in the KPIs', 5000);
    assert.equal(await orders('&channel=storefront'), 1);
    assert.equal(await orders('&channel=api'), 2);
    assert.equal(await orders('&channel=import'), 0);
    const sf = must(await admin('/api/v1/admin/analytics/kpis?currency=USD&channel=storefront'), 200);
    assert.equal(kpi(sf, 'gross_revenue'), 3000);
    expectError(await admin('/api/v1/admin/analytics/kpis?channel=shop'), 400, 'BAD_REQUEST', 'channel');
  });

  it('the channels are read back from the database when the read model is built at start', async () => {
    await srv.stop();
    srv = await startServer({ dir: srv.dir, adminKey: srv.adminKey });
    await eventually(async () => (await admin('/api/v1/admin/analytics/kpis')).status === 200, 'the build at start', 10_000);
    assert.equal(await orders(''), 3);
    assert.equal(await orders('&channel=storefront'), 1);
    assert.equal(await orders('&channel=api'), 2);
  });
});
