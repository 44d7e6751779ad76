// Staff and one customer (docs/web.md "customers", docs/auth.md): one account read by id, the
// customer's orders and their rows of the RFM, churn and CLV reports, and the GDPR export and
// erasure staff take for a customer who asked — permission customers:privacy, audited, erasure
// only of a customer account and only with the account's address repeated.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { login } from './lib/auth_util.js';
import { ADDRESS, must, warehouse, product, customerWithCart, checkout, eventually, staffUser, customer } from './lib/orders_util.js';

const CARD = '4242424242424242';

describe('staff and one customer', () => {
  let srv, buyer, other, manager, p;
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });

  before(async () => {
    srv = await startServer({ env: { SOUK_RATE_LIMIT_IP: '0', SOUK_RATE_LIMIT_USER: '0' } });
    const wh = await warehouse(srv);
    p = await product(srv, { title: 'Customer page kettle', variants: [{ price: 2000, stock: 50 }], wh });
    buyer = await customerWithCart(srv, [[p.variants[0].id, 1]]);
    must(await checkout(srv, buyer.who, { body: { shipping_address: ADDRESS, payment_method: CARD } }), 201);
    other = await customerWithCart(srv, [[p.variants[0].id, 2]]);
    must(await checkout(srv, other.who, { body: { shipping_address: ADDRESS, payment_method: CARD } }), 201);
    manager = await staffUser(srv, 'inventory_manager');
  });
  after(async () => { await srv?.stop(); });

  it('one account by id, for users:manage only', async () => {
    const u = must(await admin('GET', `/api/v1/admin/users/${buyer.id}`), 200);
    assert.equal(u.email, buyer.email);
    assert.equal(u.role, 'customer');
    expectError(await admin('GET', '/api/v1/admin/users/usr_0000000000000'), 404, 'NOT_FOUND');
    expectError(await admin('GET', '/api/v1/admin/users/nonsense'), 404, 'NOT_FOUND');
    expectError(await api(srv, 'GET', `/api/v1/admin/users/${buyer.id}`, { key: buyer.key }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'GET', `/api/v1/admin/users/${buyer.id}`, { key: manager.key }), 403, 'FORBIDDEN');
  });

  it("the customer's orders: ?customer= with orders:read:any", async () => {
    const mine = must(await admin('GET', `/api/v1/orders?customer=${buyer.id}`), 200);
    assert.equal(mine.data.length, 1);
    assert.equal(mine.data[0].email, buyer.email);
    const theirs = must(await api(srv, 'GET', `/api/v1/orders?customer=${other.id}`, { key: manager.key }), 200);
    assert.deepEqual(theirs.data.map((o) => o.email), [other.email]);
    expectError(await admin('GET', '/api/v1/orders?customer=vend_0000000000000'), 422, 'VALIDATION_ERROR', 'customer');
    // a customer may not look at someone else's orders through it
    expectError(await api(srv, 'GET', `/api/v1/orders?customer=${other.id}`, { key: buyer.key }), 422, 'VALIDATION_ERROR', 'customer');
  });

  it("the customer's rows of the RFM, churn and CLV reports", async () => {
    const rfm = await eventually(async () => {
      const r = await admin('GET', `/api/v1/admin/analytics/rfm?customer=${buyer.id}`);
      return r.status === 200 && r.body.rows.length === 1 && r.body.customers === 2 ? r.body : null;
    }, 'both orders in the facts', 10_000);
    assert.equal(rfm.rows[0].customer, buyer.id);
    assert.equal(rfm.rows[0].frequency, 1);
    assert.equal(rfm.rows[0].monetary, 2000);
    assert.equal(rfm.customers, 2, 'the rest of the report is the whole store');
    const all = must(await admin('GET', '/api/v1/admin/analytics/rfm'), 200);
    assert.deepEqual(all.rows.find((r) => r.customer === buyer.id), rfm.rows[0]);
    const clv = must(await admin('GET', `/api/v1/admin/analytics/clv?customer=${other.id}`), 200);
    assert.deepEqual(clv.rows.map((r) => r.customer), [other.id]);
    const churn = await admin('GET', `/api/v1/admin/analytics/churn?customer=${other.id}`);
    assert.equal(churn.status, 200, churn.text);
    assert.ok(churn.body.rows.every((r) => r.customer === other.id) && churn.body.rows.length <= 1);
    // someone who never bought: no row
    const none = await customer(srv);
    assert.equal(must(await admin('GET', `/api/v1/admin/analytics/rfm?customer=${none.id}`), 200).rows.length, 0);
    expectError(await admin('GET', '/api/v1/admin/analytics/rfm?customer=ord_0000000000000'), 400, 'BAD_REQUEST', 'customer');
    expectError(await admin('GET', '/api/v1/admin/analytics/kpis?customer=' + buyer.id), 400, 'BAD_REQUEST', 'customer');
  });

  it('the export for a customer: customers:privacy, audited', async () => {
    const ex = must(await admin('POST', `/api/v1/admin/customers/${buyer.id}/export`), 200);
    assert.equal(ex.profile.email, buyer.email);
    assert.equal(ex.orders.length, 1);
    assert.match(ex.exported_at, /^\d{4}-/);
    expectError(await api(srv, 'POST', `/api/v1/admin/customers/${buyer.id}/export`, { key: manager.key }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'POST', `/api/v1/admin/customers/${other.id}/export`, { key: buyer.key }), 403, 'FORBIDDEN');
    expectError(await admin('POST', '/api/v1/admin/customers/usr_0000000000000/export'), 404, 'NOT_FOUND');
    const audit = must(await admin('GET', `/api/v1/admin/audit?limit=50`), 200);
    const mine = audit.data.filter((x) => x.action === 'POST /api/v1/admin/customers/{id}/export' && x.object_id === buyer.id);
    assert.deepEqual(mine.map((x) => x.result).sort(), [200, 403], 'the export and the refused one are in the audit log');
  });

  it('erasure: a customer account, the address repeated; then it is gone', async () => {
    expectError(await admin('POST', `/api/v1/admin/customers/${buyer.id}/erase`, {}), 422, 'VALIDATION_ERROR', 'email');
    expectError(await admin('POST', `/api/v1/admin/customers/${buyer.id}/erase`, { email: other.email }), 422, 'VALIDATION_ERROR', 'email');
    expectError(await admin('POST', `/api/v1/admin/customers/${manager.id}/erase`, { email: manager.email }), 409, 'CONFLICT');
    expectError(await api(srv, 'POST', `/api/v1/admin/customers/${buyer.id}/erase`, { key: manager.key, body: { email: buyer.email } }), 403, 'FORBIDDEN');
    assert.equal((await login(srv, buyer.email, buyer.password)).status, 200, 'nothing erased yet');

    const r = await admin('POST', `/api/v1/admin/customers/${buyer.id}/erase`, { email: buyer.email.toUpperCase() });
    assert.equal(r.status, 204, r.text);
    expectError(await login(srv, buyer.email, buyer.password), 401, 'INVALID_CREDENTIALS');
    expectError(await api(srv, 'GET', '/api/v1/users/me', { key: buyer.key }), 401, 'UNAUTHORIZED');
    const u = must(await admin('GET', `/api/v1/admin/users/${buyer.id}`), 200);
    assert.equal(u.status, 'deleted');
    assert.equal(u.email, null);
    const o = must(await admin('GET', `/api/v1/orders?customer=${buyer.id}`), 200);
    assert.ok(o.data.every((x) => x.email !== buyer.email), 'the order kept, without the address');
    expectError(await admin('POST', `/api/v1/admin/customers/${buyer.id}/erase`, { email: buyer.email }), 404, 'NOT_FOUND');
    expectError(await admin('POST', `/api/v1/admin/customers/${buyer.id}/export`), 404, 'NOT_FOUND');
    const audit = must(await admin('GET', `/api/v1/admin/audit?limit=50`), 200);
    const e = audit.data.find((x) => x.action === 'POST /api/v1/admin/customers/{id}/erase' && x.result === 204);
    assert.ok(e, 'the erasure is in the audit log');
    assert.equal(e.object_id, buyer.id);
    // the other customer is untouched
    assert.equal((await login(srv, other.email, other.password)).status, 200);
  });
});
