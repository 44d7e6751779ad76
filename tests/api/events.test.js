// POST /api/v1/events against a real server (docs/events.md): good events are
// kept and bad ones reported by index, duplicates are ignored, an anonymous
// id is linked to the account that sends it signed in, purchases are recorded
// by the server from paid orders (never from clients), and the GDPR export
// and erasure cover the events.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { sql } from './lib/checkout_util.js';
import { ADDRESS, must, customer, customerWithCart, checkout, warehouse, product, eventually } from './lib/orders_util.js';

const anon = () => `anon-${randomBytes(8).toString('hex')}`;
const eid = () => `e-${randomBytes(6).toString('hex')}`;
const send = (srv, events, opts = {}) => api(srv, 'POST', '/api/v1/events', { ...opts, body: { events } });

describe('behaviour events over HTTP', () => {
  let srv, prod, variant;
  const count = (where) => Number(sql(srv.dbPath, `SELECT count(*) FROM behaviour_events WHERE ${where}`));

  before(async () => {
    srv = await startServer({ env: { SOUK_RATE_LIMIT_IP: '0' } });
    const wh = await warehouse(srv);
    const p = await product(srv, { title: 'Events product', variants: [{ price: 1500, stock: 50 }], wh });
    prod = p.product;
    variant = p.variants[0];
  });
  after(async () => srv && srv.stop());

  it('keeps the good events of a batch and reports the bad ones by index', async () => {
    const a = anon();
    const future = new Date(Date.now() + 3600_000).toISOString();
    const r = await send(srv, [
      { id: eid(), type: 'page_view', anonymous_id: a, properties: { path: '/home' } },
      { id: eid(), type: 'product_view', anonymous_id: a, product_id: prod.id, list: 'home', position: 2 },
      { id: eid(), type: 'teleport', anonymous_id: a },                                   // 2: unknown type
      { id: eid(), type: 'product_view', anonymous_id: a },                               // 3: no product
      { id: eid(), type: 'search', anonymous_id: a, query: 'lamp', time: future },          // 4: future
      { id: eid(), type: 'purchase', anonymous_id: a, product_id: prod.id },              // 5: server-only
      { id: eid(), type: 'add_to_cart', anonymous_id: a, variant_id: variant.id, quantity: 2 },
      { id: eid(), type: 'product_view', anonymous_id: a, product_id: 'prod_0000000000000' }, // 7: unknown product
      { id: eid(), type: 'page_view' },                                                   // 8: nobody
      { id: eid(), type: 'search', anonymous_id: a, query: 'lamp', extra: 1 },            // 9: unknown field
    ]);
    const b = must(r, 202);
    assert.equal(b.accepted, 3, JSON.stringify(b));
    assert.equal(b.duplicates, 0);
    assert.equal(b.rejected, 7);
    const byIndex = new Map();
    for (const p of b.problems) byIndex.set(p.index, [...(byIndex.get(p.index) ?? []), p.field]);
    assert.deepEqual([...byIndex.keys()], [2, 3, 4, 5, 7, 8, 9], 'problems in batch order, one entry per bad event');
    assert.deepEqual(byIndex.get(2), ['events[2].type']);
    assert.deepEqual(byIndex.get(3), ['events[3].product_id']);
    assert.deepEqual(byIndex.get(4), ['events[4].time']);
    assert.deepEqual(byIndex.get(5), ['events[5].type']);
    assert.deepEqual(byIndex.get(7), ['events[7].product_id']);
    assert.deepEqual(byIndex.get(8), ['events[8].anonymous_id']);
    assert.deepEqual(byIndex.get(9), ['events[9].extra']);
    // the add_to_cart of a variant is stored with its product, as integers
    const row = sql(srv.dbPath, `SELECT type, quantity, CASE WHEN product_id IS NOT NULL THEN 1 ELSE 0 END, CASE WHEN list IS NULL THEN 1 ELSE 0 END FROM behaviour_events
      WHERE variant_id IS NOT NULL ORDER BY id DESC LIMIT 1`);
    assert.equal(row, '5|2|1|1');
  });

  it('ignores a batch sent twice, and answers 422 when no event is valid', async () => {
    const a = anon();
    const batch = [1, 2, 3].map(() => ({ id: eid(), type: 'product_view', anonymous_id: a, product_id: prod.id }));
    assert.equal(must(await send(srv, batch), 202).accepted, 3);
    const again = must(await send(srv, batch), 202);
    assert.deepEqual([again.accepted, again.duplicates], [0, 3]);
    // the same client id from another browser is another event
    const other = batch.map((e) => ({ ...e, anonymous_id: anon() }));
    assert.equal(must(await send(srv, other), 202).accepted, 3);
    const bad = expectError(await send(srv, [{ id: eid(), type: 'nope', anonymous_id: a }]), 422, 'VALIDATION_ERROR').body;
    assert.equal(bad.error.details[0].field, 'events[0].type');
  });

  it('refuses batches it cannot read, or too large, with a clear error', async () => {
    expectError(await api(srv, 'POST', '/api/v1/events', { rawBody: '{"events": [', headers: { 'Content-Type': 'application/json' } }), 400, 'MALFORMED_JSON');
    expectError(await api(srv, 'POST', '/api/v1/events', { body: {} }), 422, 'VALIDATION_ERROR', 'events');
    expectError(await api(srv, 'POST', '/api/v1/events', { body: { events: [] } }), 422, 'VALIDATION_ERROR', 'events');
    const a = anon();
    const many = Array.from({ length: 501 }, () => ({ id: eid(), type: 'page_view', anonymous_id: a }));
    expectError(await send(srv, many), 422, 'VALIDATION_ERROR', 'events');
    const huge = Array.from({ length: 10_000 }, () => ({ id: eid(), type: 'page_view', anonymous_id: a }));
    const r = await send(srv, huge);
    assert.ok(r.status === 413 || r.status === 422, `10,000 events -> ${r.status}`);
    assert.equal(count(`visitor_id IN (SELECT id FROM behaviour_visitors WHERE anonymous_id = '${a}')`), 0, 'nothing kept');
    // hostile strings: control bytes in a query, a long list name
    const h = await send(srv, [
      { id: eid(), type: 'search', anonymous_id: a, query: 'a\u0001b' },
      { id: eid(), type: 'rec_click', anonymous_id: a, product_id: prod.id, list: 'x'.repeat(65) },
      { id: 'bad id!', type: 'page_view', anonymous_id: a },
    ]);
    const hb = expectError(h, 422, "VALIDATION_ERROR").body;
    assert.deepEqual(hb.error.details.map((d) => d.field).sort(), ['events[0].query', 'events[1].list', 'events[2].id']);
  });

  it('links an anonymous id to the account that sends it signed in, with its earlier events', async () => {
    const a = anon();
    must(await send(srv, [{ id: eid(), type: 'product_view', anonymous_id: a, product_id: prod.id }]), 202);
    const c = await customer(srv);
    must(await send(srv, [{ id: eid(), type: 'search', anonymous_id: a, query: 'lamp' }], { key: c.key }), 202);
    const uid = sql(srv.dbPath, `SELECT user_id FROM behaviour_visitors WHERE anonymous_id = '${a}'`);
    assert.ok(Number(uid) > 0, 'the visitor is linked');
    assert.equal(count(`user_id = ${uid}`), 2, 'the earlier anonymous event belongs to the account too');
    // a signed-in caller needs no anonymous id
    must(await send(srv, [{ id: eid(), type: 'page_view' }], { key: c.key }), 202);
    assert.equal(count(`user_id = ${uid}`), 3);
  });

  it('records purchases from paid orders, once per line, and the export and erasure cover the events', async () => {
    const c = await customerWithCart(srv, [[variant.id, 2]]);
    must(await send(srv, [{ id: eid(), type: 'checkout_started' }], { key: c.key }), 202);
    const o = must(await checkout(srv, c.who, { body: { shipping_address: ADDRESS, payment_method: '4242424242424242' } }), 201);
    assert.equal(o.state, 'paid', JSON.stringify(o).slice(0, 300));
    const uid = sql(srv.dbPath, `SELECT user_id FROM behaviour_events WHERE type = 7 ORDER BY id DESC LIMIT 1`);
    await eventually(async () => count(`type = 20 AND user_id = ${uid}`) === 1, 'the purchase event');
    assert.equal(sql(srv.dbPath, `SELECT quantity FROM behaviour_events WHERE type = 20 AND user_id = ${uid}`), '2');

    const x = must(await api(srv, 'GET', '/api/v1/users/me/export', { key: c.key }), 200);
    const types = x.behaviour_events.map((e) => e.type).sort();
    assert.deepEqual(types, ['checkout_started', 'purchase']);
    const p = x.behaviour_events.find((e) => e.type === 'purchase');
    assert.equal(p.product_id, prod.id);
    assert.equal(p.quantity, 2);

    must(await api(srv, 'DELETE', '/api/v1/users/me', { key: c.key, body: { password: c.password } }), 204);
    assert.equal(count(`user_id = ${uid}`), 0, 'no event names the erased account');
    assert.ok(count(`type = 20 AND product_id IS NOT NULL`) >= 1, 'the events stay, unlinked, for the aggregates');
  });

  it('counts a search_click event in the search analytics, once', async () => {
    const q = `lamp${randomBytes(3).toString('hex')}`;
    const day = new Date().toISOString().slice(0, 10);
    const ev = { id: eid(), type: 'search_click', anonymous_id: anon(), query: q, product_id: prod.id, position: 2 };
    must(await send(srv, [ev]), 202);
    must(await send(srv, [ev]), 202); // a duplicate: not counted again
    const mine = async () => {
      const r = must(await api(srv, 'GET', `/api/v1/admin/search/analytics?from=${day}&to=${day}&limit=100`, { key: true }), 200);
      return r.top_queries.find((x) => x.query === q);
    };
    await eventually(async () => (await mine())?.clicks === 1, 'the click in the analytics', 5000);
    await new Promise((ok) => setTimeout(ok, 1500)); // a second flush adds nothing
    assert.equal((await mine()).clicks, 1);
    assert.equal((await mine()).mean_click_position, 2);
  });

  it('is not audited: telemetry writes leave the audit log alone', async () => {
    const before = Number(sql(srv.dbPath, 'SELECT count(*) FROM audit_log'));
    const a = anon();
    must(await send(srv, [{ id: eid(), type: 'page_view', anonymous_id: a }]), 202);
    expectError(await send(srv, [{ id: eid(), type: 'nope', anonymous_id: a }]), 422, 'VALIDATION_ERROR');
    assert.equal(Number(sql(srv.dbPath, 'SELECT count(*) FROM audit_log')), before);
  });
});
