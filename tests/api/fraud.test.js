// The fraud-risk score at checkout and the review hold (docs/fraud.md): an
// ordinary order is scored and not held; a risky one (declined attempts, a
// billing country that is not the shipping one; many e-mails to one
// address) is held, refused fulfilment and shipping with 409 until an admin
// releases it, or cancelled with its money back; every decision audited;
// GET /admin/analytics/fraud lists them in JSON and the same rows in CSV;
// who may do what. The server runs with the default threshold (the suite's
// other servers hold nothing: lib/server.js). Every response is checked
// against the OpenAPI document by lib/client.js.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token } from './lib/util.js';
import {
  ADMIN, must, call, checkout, warehouse, product, guestCart, customerWithCart, vendor, vendorUser, staffUser, orderOf,
  act,
} from './lib/orders_util.js';

const CARD_OK = '4242424242424242';
const CARD_DECLINED = '4000000000000002';

/** A shipping address nobody else in this server uses. */
const address = (country = 'GB') => ({ name: 'Test Buyer', line1: `${token()} Test Road`, city: 'London', postal_code: 'N1 1AA', country });

/** Parses CSV TEXT (CRLF, quoted fields without newlines) into objects of strings. */
function parseCsv(text) {
  const cells = (l) => {
    const out = [];
    for (let i = 0; i <= l.length;) {
      if (l[i] === '"') {
        let j = i + 1, s = '';
        for (; j < l.length; j++) {
          if (l[j] === '"' && l[j + 1] === '"') { s += '"'; j++; } else if (l[j] === '"') break; else s += l[j];
        }
        out.push(s);
        i = j + 2;
      } else {
        const j = l.indexOf(',', i) === -1 ? l.length : l.indexOf(',', i);
        out.push(l.slice(i, j));
        i = j + 1;
      }
    }
    return out;
  };
  const lines = text.split('\r\n').filter((l) => l.length);
  const head = cells(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(cells(l).map((c, i) => [head[i], c])));
}

describe('fraud-risk score and review holds', () => {
  let srv, wh, variant;

  before(async () => {
    // '' = unset: the documented default threshold (50) is what this server runs with
    srv = await startServer({ env: { SOUK_FRAUD_HOLD_THRESHOLD: '' } });
    wh = await warehouse(srv);
    variant = (await product(srv, { variants: [{ price: 2500, stock: 500 }], wh })).variants[0];
  });
  after(async () => { await srv?.stop(); });

  /** A guest checkout of one unit with CARD; extra body members in EXTRA. */
  async function guestCheckout(email, card, shipping, extra = {}) {
    const who = await guestCart(srv, [[variant.id, 1]]);
    return checkout(srv, who, { body: { email, shipping_address: shipping, payment_method: card, ...extra } });
  }

  /** A guest order held for review: two declined attempts of its e-mail, then a card billed in the US shipped to GB. */
  async function heldOrder() {
    const email = `risky-${token()}@example.com`;
    const ship = address('GB');
    for (let i = 0; i < 2; i++) assert.equal((await guestCheckout(email, CARD_DECLINED, ship)).status, 402);
    const o = must(await guestCheckout(email, CARD_OK, ship, { billing_country: 'US' }), 201);
    assert.equal(o.state, 'paid');
    assert.equal(o.fraud, undefined, 'the customer never sees the score');
    return o;
  }

  it('an ordinary order is scored, not held, and goes through fulfilment and shipping', async () => {
    const c = await customerWithCart(srv, [[variant.id, 1]]);
    const o = must(await checkout(srv, c.who, { body: { shipping_address: address(), payment_method: CARD_OK, billing_country: 'GB' } }), 201);
    assert.equal((await orderOf(srv, o.id, c.who)).fraud, undefined, 'the customer never sees the score');
    const staff = await orderOf(srv, o.id);
    assert.deepEqual(staff.fraud, { score: 0, reasons: [], hold: null, threshold: 50 });
    must(await act(srv, ADMIN, o.id, 'fulfil'), 200);
    const shipped = must(await act(srv, ADMIN, o.id, 'ship', { carrier: 'Post', tracking: `T-${token()}` }), 200);
    assert.equal(shipped.state, 'shipped');
  });

  it('a risky order is held: fulfil and ship answer 409 until an admin releases it, and the release is audited', async () => {
    const o = await heldOrder();
    const staff = await orderOf(srv, o.id);
    assert.equal(staff.fraud.hold, 'held');
    assert.ok(staff.fraud.score >= 50, JSON.stringify(staff.fraud));
    const reasons = Object.fromEntries(staff.fraud.reasons.map((r) => [r.reason, r.points]));
    assert.equal(reasons.declines, 35, 'two declined attempts of the e-mail');
    assert.equal(reasons.country_mismatch, 20, 'billed in the US, shipped to GB');
    assert.equal(staff.fraud.score, staff.fraud.reasons.reduce((s, r) => s + r.points, 0));

    expectError(await act(srv, ADMIN, o.id, 'fulfil'), 409, 'INVALID_STATE', 'fraud_hold');
    expectError(await act(srv, ADMIN, o.id, 'ship', { carrier: 'Post', tracking: 'T-1' }), 409, 'INVALID_STATE', 'fraud_hold');
    assert.equal((await orderOf(srv, o.id)).state, 'paid', 'nothing was fulfilled');

    const r = await act(srv, ADMIN, o.id, 'review', { decision: 'release', reason: 'called the customer' });
    const released = must(r, 200);
    assert.equal(released.fraud.hold, 'released');
    assert.ok(released.history.some((h) => /fraud review: released: called the customer/.test(h.note)), JSON.stringify(released.history));
    const audit = must(await api(srv, 'GET', `/api/v1/admin/audit?action=${encodeURIComponent('POST /api/v1/orders/{id}/review')}&limit=100`, { key: true }), 200);
    const entry = audit.data.find((e) => e.request_id === r.headers.get('x-request-id'));
    assert.ok(entry, 'the decision has its audit entry');
    assert.deepEqual([entry.result, entry.object_type, entry.object_id], [200, 'order', o.id]);

    expectError(await act(srv, ADMIN, o.id, 'review', { decision: 'release' }), 409, 'INVALID_STATE', 'fraud_hold');
    must(await act(srv, ADMIN, o.id, 'fulfil'), 200);
    assert.equal(must(await act(srv, ADMIN, o.id, 'ship', { carrier: 'Post', tracking: `T-${token()}` }), 200).state, 'shipped');
  });

  it('cancelling a held order refunds it and puts its stock back', async () => {
    const before = must(await api(srv, 'GET', `/api/v1/variants/${variant.id}/stock`, { key: true }), 200);
    const o = await heldOrder();
    const c = must(await act(srv, ADMIN, o.id, 'review', { decision: 'cancel', reason: 'stolen card' }), 200);
    assert.equal(c.state, 'cancelled');
    assert.equal(c.fraud.hold, 'cancelled');
    assert.equal(c.payment_status, 'refunded');
    assert.equal(c.totals.refunded.amount, c.totals.total.amount);
    const after = must(await api(srv, 'GET', `/api/v1/variants/${variant.id}/stock`, { key: true }), 200);
    assert.equal(after.on_hand, before.on_hand, 'the unit is back on hand');
    expectError(await act(srv, ADMIN, o.id, 'review', { decision: 'release' }), 409, 'INVALID_STATE', 'state');
  });

  it('many e-mails shipping to one address in a day are held', async () => {
    const drop = address('GB');
    const orders = [];
    for (let i = 0; i < 3; i++) orders.push(must(await guestCheckout(`drop-${i}-${token()}@example.com`, CARD_OK, drop), 201));
    const third = await orderOf(srv, orders[2].id);
    assert.ok(third.fraud.reasons.some((r) => r.reason === 'many_emails_one_address' && r.points === 40), JSON.stringify(third.fraud));
    assert.equal(third.fraud.hold, 'held');
    // the address is normalised: case, spaces and punctuation do not make another address
    const same = { ...drop, line1: drop.line1.toUpperCase().replace(' ', '  '), postal_code: 'n1-1aa' };
    const fourth = await orderOf(srv, must(await guestCheckout(`drop-3-${token()}@example.com`, CARD_OK, same), 201).id);
    assert.ok(fourth.fraud.reasons.some((r) => r.reason === 'many_emails_one_address'), JSON.stringify(fourth.fraud));
    assert.ok(fourth.fraud.reasons.some((r) => r.reason === 'address_velocity' && r.points === 20), 'its fourth order in a day');
  });

  it('GET /admin/analytics/fraud lists the held orders; its CSV has the rows of its JSON', async () => {
    const o = await heldOrder();
    const held = must(await api(srv, 'GET', '/api/v1/admin/analytics/fraud?status=held', { key: true }), 200);
    assert.equal(held.status, 'held');
    assert.ok(held.rows.length >= 1 && held.count === held.rows.length, JSON.stringify(held));
    assert.ok(held.rows.every((r) => r.hold === 'held' && r.state === 'paid' && r.score >= 50));
    const row = held.rows.find((r) => r.order_id === o.id);
    assert.ok(row, 'the new held order is listed');
    assert.match(row.reasons, /declines:35/);
    assert.match(row.reasons, /country_mismatch:20/);
    assert.equal(row.customer_id, '', 'a guest');
    assert.equal(row.total, o.totals.total.amount);

    const all = must(await api(srv, 'GET', '/api/v1/admin/analytics/fraud', { key: true }), 200);
    assert.ok(all.rows.some((r) => r.hold === 'released') && all.rows.some((r) => r.hold === 'cancelled') && all.rows.some((r) => r.hold === ''));
    assert.ok(all.rows.every((r, i) => i === 0 || r.placed_at <= all.rows[i - 1].placed_at), 'newest first');
    const min = must(await api(srv, 'GET', '/api/v1/admin/analytics/fraud?min_score=50', { key: true }), 200);
    assert.ok(min.rows.length > 0 && min.rows.length < all.rows.length && min.rows.every((r) => r.score >= 50));
    const page = must(await api(srv, 'GET', '/api/v1/admin/analytics/fraud?limit=2&offset=1', { key: true }), 200);
    assert.deepEqual(page.rows.map((r) => r.order_id), all.rows.slice(1, 3).map((r) => r.order_id));

    for (const q of ['status=all', 'status=held']) {
      const j = must(await api(srv, 'GET', `/api/v1/admin/analytics/fraud?${q}`, { key: true }), 200);
      const byParam = await api(srv, 'GET', `/api/v1/admin/analytics/fraud?${q}&format=csv`, { key: true });
      const byAccept = await api(srv, 'GET', `/api/v1/admin/analytics/fraud?${q}`, { key: true, headers: { Accept: 'text/csv' } });
      for (const r of [byParam, byAccept]) {
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type'), /^text\/csv/);
        assert.equal(r.text, byParam.text);
      }
      const rows = parseCsv(byParam.text);
      assert.equal(rows.length, j.rows.length, q);
      j.rows.forEach((jr, i) => {
        assert.deepEqual(Object.keys(rows[i]), Object.keys(jr), `${q} row ${i}: the columns`);
        for (const [k, v] of Object.entries(jr)) assert.equal(rows[i][k], String(v), `${q} row ${i} ${k}`);
      });
    }
  });

  it('who may review and read: admins; not inventory managers, vendors or customers; bad input is 4xx', async () => {
    const o = await heldOrder();
    const manager = await staffUser(srv, 'inventory_manager');
    expectError(await act(srv, manager.who, o.id, 'review', { decision: 'release' }), 403, 'FORBIDDEN');
    const v = await vendorUser(srv, (await vendor(srv)).id);
    expectError(await call(srv, v.who, 'GET', '/api/v1/admin/analytics/fraud'), 403, 'FORBIDDEN');
    const c = await customerWithCart(srv, [[variant.id, 1]]);
    expectError(await call(srv, c.who, 'GET', '/api/v1/admin/analytics/fraud'), 403, 'FORBIDDEN');
    expectError(await act(srv, c.who, o.id, 'review', { decision: 'release' }), 403, 'FORBIDDEN');
    must(await call(srv, manager.who, 'GET', '/api/v1/admin/analytics/fraud?status=held'), 200);

    expectError(await act(srv, ADMIN, o.id, 'review', { decision: 'approve' }), 422, 'VALIDATION_ERROR', 'decision');
    expectError(await act(srv, ADMIN, o.id, 'review', {}), 422, 'VALIDATION_ERROR', 'decision');
    expectError(await act(srv, ADMIN, 'ord_0000000000001', 'review', { decision: 'release' }), 404, 'NOT_FOUND');
    for (const [q, field] of [['status=maybe', 'status'], ['min_score=101', 'min_score'], ['limit=0', 'limit'], ['format=xml', 'format']])
      expectError(await api(srv, 'GET', `/api/v1/admin/analytics/fraud?${q}`, { key: true }), 400, 'BAD_REQUEST', field);
    const bad = await guestCheckout(`x-${token()}@example.com`, CARD_OK, address(), { billing_country: 'usa' });
    expectError(bad, 422, 'VALIDATION_ERROR', 'billing_country');
    assert.equal((await orderOf(srv, o.id)).fraud.hold, 'held', 'refused requests changed nothing');
  });
});
