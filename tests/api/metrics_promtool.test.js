// /metrics checked by Prometheus's own linter, `promtool check metrics` (Debian package
// `prometheus`, installed by scripts/deps.sh), after traffic that gives every family samples:
// catalog reads (cache misses and hits), search, a checkout with the Stripe-style gateway
// through a breaker, a 404, jobs. Any complaint fails the test. Skipped, with the reason, only
// when promtool is not installed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { token } from './lib/util.js';
import { startStripeStub } from './lib/stripe_stub.js';
import { ADDRESS, must, checkout, warehouse, product, guestCart } from './lib/orders_util.js';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const missing = promtool.error ? 'promtool is not installed (Debian package prometheus; run scripts/deps.sh)' : false;

describe('/metrics passes promtool check metrics', { skip: missing }, () => {
  let srv, stub;
  before(async () => {
    stub = await startStripeStub({ secretKey: 'sk_test_x' });
    srv = await startServer({
      products: 20,
      env: {
        SOUK_PAYMENT_GATEWAY: 'stripe', SOUK_STRIPE_SECRET_KEY: 'sk_test_x',
        SOUK_STRIPE_API_BASE: stub.url, SOUK_STRIPE_WEBHOOK_SECRET: 'whsec_test',
      },
    });
  });
  after(async () => {
    if (srv) await srv.stop();
    if (stub) await stub.stop();
  });

  it('has no complaint after traffic', async () => {
    const wh = await warehouse(srv);
    const p = await product(srv, { title: `Linted ${token()}`, variants: [{ price: 900, stock: 10 }], wh });
    for (let i = 0; i < 3; i++) {
      assert.equal((await api(srv, 'GET', '/api/v1/products')).status, 200);
      assert.equal((await api(srv, 'GET', `/api/v1/products/${p.product.id}`)).status, 200);
      assert.equal((await api(srv, 'GET', '/api/v1/search?q=linted')).status, 200);
    }
    assert.equal((await api(srv, 'GET', '/api/v1/products/prd_0000000000000')).status, 404);
    const g = await guestCart(srv, [[p.variants[0].id, 1]]);
    must(await checkout(srv, g, { body: { email: `m-${token()}@example.com`, shipping_address: ADDRESS, payment_method: 'pm_card_visa' } }), 201);
    assert.equal((await api(srv, 'GET', '/readyz')).status, 200);

    const r = await api(srv, 'GET', '/metrics');
    assert.equal(r.status, 200);
    for (const family of ['souk_http_requests_total', 'souk_breaker_state', 'souk_breaker_opens_total'])
      assert.match(r.text, new RegExp(`^# TYPE ${family} `, 'm'), `${family} is exported`);
    const out = spawnSync('promtool', ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
    assert.equal(out.error, undefined, String(out.error));
    const complaints = `${out.stdout}${out.stderr}`.trim();
    assert.equal(complaints, '', `promtool complained:\n${complaints}`);
    assert.equal(out.status, 0, `promtool exited ${out.status}`);
  });
});
