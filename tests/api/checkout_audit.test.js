// A checkout's audit entry commits in the transaction that places and pays
// the order (issue 10: audit appends join the transaction of the change they
// record), so a crash cannot leave an order without its record: there is
// exactly one entry per checkout request, it names the order, and its result
// is the status the client got — also for a declined card and for a replay.
// The same for order actions, whether they run on the network pool (cancel)
// or on the group committer (fulfil).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runSouk, startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { token } from './lib/util.js';
import { ADDRESS, CARD_OK, must, stockedProduct, warehouse } from './lib/checkout_util.js';

const CARD_DECLINED = '4000000000000002';

describe('checkout audit entries', () => {
  let srv;
  let variant;

  before(async () => {
    srv = await startServer();
    const wh = await warehouse(srv, 'caud');
    variant = (await stockedProduct(srv, wh, { n: 1, stock: 50, price: 700, title: 'Audited' })).variants[0].id;
  });
  after(async () => srv && (await srv.stop()));

  async function guestCheckout(card, key = `ca-${token()}`) {
    const cart = await must(await api(srv, 'POST', '/api/v1/carts', { body: {} }), 201);
    const headers = { 'X-Cart-Token': cart.cart_token };
    await must(await api(srv, 'POST', '/api/v1/carts/current/lines', { headers, body: { variant_id: variant, quantity: 1 } }), 200);
    const body = { email: `ca-${token()}@example.com`, shipping_address: { ...ADDRESS }, payment_method: card };
    const r = await api(srv, 'POST', '/api/v1/checkout', { headers: { ...headers, 'Idempotency-Key': key }, body });
    return { r, headers, body, key };
  }

  async function entriesOf(requestId, action = 'POST /api/v1/checkout') {
    const all = [];
    let cursor = '';
    for (;;) {
      const page = await must(await api(srv, 'GET', `/api/v1/admin/audit?action=${encodeURIComponent(action)}&limit=100${cursor}`, { key: true }), 200);
      all.push(...page.data.filter((e) => e.request_id === requestId));
      if (!page.next_cursor) return all;
      cursor = `&cursor=${encodeURIComponent(page.next_cursor)}`;
    }
  }

  it('a paid checkout has one entry, naming its order, with 201', async () => {
    const { r } = await guestCheckout(CARD_OK);
    const order = await must(r, 201);
    const entries = await entriesOf(r.headers.get('x-request-id'));
    assert.equal(entries.length, 1, `one entry per checkout: ${JSON.stringify(entries)}`);
    assert.equal(entries[0].result, 201);
    assert.equal(entries[0].object_type, 'order');
    assert.equal(entries[0].object_id, order.id);
  });

  it('a declined card has one entry, naming the order, with 402', async () => {
    const { r } = await guestCheckout(CARD_DECLINED);
    assert.equal(r.status, 402, r.text);
    const entries = await entriesOf(r.headers.get('x-request-id'));
    assert.equal(entries.length, 1, `one entry per checkout: ${JSON.stringify(entries)}`);
    assert.equal(entries[0].result, 402);
    assert.equal(entries[0].object_type, 'order');
    assert.match(entries[0].object_id, /^ord_/);
  });

  it('a replay of the same key is audited once more, as what it answered', async () => {
    const first = await guestCheckout(CARD_OK);
    const order = await must(first.r, 201);
    const again = await api(srv, 'POST', '/api/v1/checkout', { headers: { ...first.headers, 'Idempotency-Key': first.key }, body: first.body });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body.id, order.id);
    const entries = await entriesOf(again.headers.get('x-request-id'));
    assert.equal(entries.length, 1, `one entry for the replay: ${JSON.stringify(entries)}`);
    assert.equal(entries[0].result, 201);
  });

  it('order actions, on the network pool and on the committer, have one entry each', async () => {
    const fulfilled = await must((await guestCheckout(CARD_OK)).r, 201);
    const f = await api(srv, 'POST', `/api/v1/orders/${fulfilled.id}/fulfil`, { key: true, body: {} });
    assert.equal(f.status, 200, f.text);
    const fe = await entriesOf(f.headers.get('x-request-id'), 'POST /api/v1/orders/{id}/fulfil');
    assert.equal(fe.length, 1, `one entry for the fulfilment: ${JSON.stringify(fe)}`);
    assert.deepEqual([fe[0].result, fe[0].object_type, fe[0].object_id], [200, 'order', fulfilled.id]);

    const cancelled = await must((await guestCheckout(CARD_OK)).r, 201);
    const c = await api(srv, 'POST', `/api/v1/orders/${cancelled.id}/cancel`, { key: true, body: { reason: 'audit test' } });
    assert.equal(c.status, 200, c.text);
    const ce = await entriesOf(c.headers.get('x-request-id'), 'POST /api/v1/orders/{id}/cancel');
    assert.equal(ce.length, 1, `one entry for the cancellation: ${JSON.stringify(ce)}`);
    assert.deepEqual([ce[0].result, ce[0].object_type, ce[0].object_id], [200, 'order', cancelled.id]);

    const again = await api(srv, 'POST', `/api/v1/orders/${cancelled.id}/cancel`, { key: true, body: {} });
    assert.equal(again.status, 409, again.text);
    const ae = await entriesOf(again.headers.get('x-request-id'), 'POST /api/v1/orders/{id}/cancel');
    assert.equal(ae.length, 1, `a refused cancellation is audited once, as refused: ${JSON.stringify(ae)}`);
    assert.equal(ae[0].result, 409);
  });

  it('the audit chain still verifies', async () => {
    const v = await runSouk(['audit', 'verify', '--db', srv.dbPath]);
    assert.equal(v.code, 0, `${v.stdout}${v.stderr}`);
    assert.match(v.stdout, /audit log intact/);
  });
});
