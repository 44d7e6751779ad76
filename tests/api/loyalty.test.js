// Loyalty points (docs/loyalty.md, docs/internals/loyalty.md), over HTTP as a shop would use them:
//  - earning on a paid order (rate per currency unit, a category's own rate), pending until the
//    return window ends, then available (the loyalty.release job, made due by moving its run_at);
//  - redemption at checkout as a discount before tax, up to the share; guests, too many points,
//    more than the share and bad values refused with 422 naming loyalty_points; a declined card
//    gives the points back;
//  - refunds take back what the order earned in proportion (pending first, then available, then
//    a debt that later points pay off); admin adjustments with a reason, audited; never below zero;
//  - 100 concurrent checkouts by one customer spending the same points spend them once, and a
//    retry storm with one Idempotency-Key spends them once;
//  - the balances always equal the sums of the ledger's entries.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { token } from './lib/util.js';
import { sql, isPostgres } from './lib/db.js';
import { pollUntil } from './lib/checkout_util.js';
import { Browser, inputValue } from './lib/web_util.js';

const ADDRESS = { name: 'Ada Buyer', line1: '1 Test Street', city: 'London', postal_code: 'N1 1AA', country: 'GB' };
const CARD_OK = '4242424242424242';
const CARD_DECLINED = '4000000000000002';
const SETTINGS = { max_redeem_bp: 5000, return_window_days: 30, expiry_days: 365, currencies: [{ currency: 'USD', earn_per_unit: 1, point_value: 1 }] };

function must(r, status) {
  assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 600)}`);
  return r.body;
}
const admin = (srv, method, path, body) => api(srv, method, path, { key: true, body });
let seq = 0;
const key = (tag) => `${tag}-${token()}-${++seq}`;

describe('loyalty points', () => {
  let srv, wh;
  const fx = {};

  /** An active product priced PRICE USD (in CATEGORY when given) with plenty of stock; its variant id. */
  async function variant(price, category) {
    const body = { title: `Loyalty product ${token()}`, status: 'active', variants: [{ sku: `LY-${token()}`, prices: [{ amount: price, currency: 'USD' }] }] };
    if (category) body.category_id = category;
    const p = must(await admin(srv, 'POST', '/api/v1/products', body), 201);
    must(await admin(srv, 'PUT', `/api/v1/variants/${p.variants[0].id}/stock/${wh.id}`, { on_hand: 100000, reason: 'loyalty test' }), 200);
    return p.variants[0].id;
  }
  /** The customer WHO's cart holding QUANTITY of VARIANT only. */
  async function fill(who, v, quantity = 1) {
    const c = await api(srv, 'POST', '/api/v1/carts', { key: who.access });
    assert.ok(c.status === 200 || c.status === 201, c.text);
    for (const l of c.body.lines) must(await api(srv, 'DELETE', `/api/v1/carts/current/lines/${l.variant_id}`, { key: who.access }), 200);
    must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key: who.access, body: { variant_id: v, quantity } }), 200);
  }
  const pay = (who, extra = {}, k = key('ly')) => api(srv, 'POST', '/api/v1/checkout', {
    key: who.access, headers: { 'Idempotency-Key': k }, body: { shipping_address: ADDRESS, payment_method: CARD_OK, ...extra },
  });
  /** WHO's whole account: every page of the ledger, newest first. */
  async function mine(who) {
    let acct = must(await api(srv, 'GET', '/api/v1/users/me/loyalty?limit=200', { key: who.access }), 200);
    for (let next = acct.next_before; next;) {
      const page = must(await api(srv, 'GET', `/api/v1/users/me/loyalty?limit=200&before=${next}`, { key: who.access }), 200);
      acct = { ...acct, entries: [...acct.entries, ...page.entries] };
      next = page.next_before;
    }
    return { ...acct, next_before: null };
  }
  /** Releases every pending earning now: the loyalty.release jobs made due, then waited for. */
  async function releaseAll(who) {
    sql(srv.dbPath, "UPDATE jobs SET run_at = 0 WHERE kind = 'loyalty.release' AND state = 'queued'");
    await pollUntil(async () => (await mine(who)).pending === 0 || undefined, { tries: 300, step: 100 });
  }
  /** The balances are the sums of the ledger, and never negative. */
  function consistent(acct) {
    const sum = (k) => acct.entries.reduce((a, e) => a + e[k], 0);
    assert.deepEqual([acct.available, acct.pending, acct.debt], [sum('points'), sum('pending'), sum('debt')], JSON.stringify(acct));
    assert.ok(acct.available >= 0 && acct.pending >= 0 && acct.debt >= 0);
    return acct;
  }

  before(async () => {
    srv = await startServer({ env: { SOUK_RATE_LIMIT_USER: '0', SOUK_RATE_LIMIT_IP: '0' } });
    wh = must(await admin(srv, 'POST', '/api/v1/warehouses', { code: `ly-${token()}`.slice(0, 30), name: 'Loyalty' }), 201);
    fx.category = must(await admin(srv, 'POST', '/api/v1/categories', { name: `Double points ${token()}` }), 201);
    // a subcategory without a rate of its own earns its parent's; one below it with its own 0 earns none
    fx.sub = must(await admin(srv, 'POST', '/api/v1/categories', { name: `Double too ${token()}`, parent_id: fx.category.id }), 201);
    fx.subNone = must(await admin(srv, 'POST', '/api/v1/categories', { name: `No points ${token()}`, parent_id: fx.sub.id }), 201);
    fx.rates = [{ category_id: fx.category.id, rate_bp: 20000 }, { category_id: fx.subNone.id, rate_bp: 0 }];
    must(await admin(srv, 'PUT', '/api/v1/admin/loyalty/settings', { ...SETTINGS, categories: fx.rates }), 200);
    fx.v100 = await variant(10000);
    fx.v50 = await variant(5000);
    fx.vDouble = await variant(1234, fx.category.id);
    fx.vSub = await variant(1234, fx.sub.id);
    fx.vSubNone = await variant(1234, fx.subNone.id);
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  it('settings: read back; bad values are 422 naming the field', async () => {
    const s = must(await admin(srv, 'GET', '/api/v1/admin/loyalty/settings'), 200);
    assert.deepEqual(s.currencies, SETTINGS.currencies);
    assert.deepEqual(s.categories, fx.rates);
    expectError(await admin(srv, 'PUT', '/api/v1/admin/loyalty/settings', { ...SETTINGS, max_redeem_bp: 10001 }), 422, 'VALIDATION_ERROR', 'max_redeem_bp');
    expectError(await admin(srv, 'PUT', '/api/v1/admin/loyalty/settings', { ...SETTINGS, currencies: [{ currency: 'usd', earn_per_unit: 1, point_value: 1 }] }), 422, 'VALIDATION_ERROR', 'currencies[0]');
    expectError(await admin(srv, 'PUT', '/api/v1/admin/loyalty/settings', { ...SETTINGS, currencies: [{ currency: 'USD', earn_per_unit: 1, point_value: 0 }] }), 422, 'VALIDATION_ERROR', 'currencies[0]');
    expectError(await admin(srv, 'PUT', '/api/v1/admin/loyalty/settings', { ...SETTINGS, categories: [{ category_id: 'nope', rate_bp: 1 }] }), 422, 'VALIDATION_ERROR', 'categories[0]');
    expectError(await admin(srv, 'PUT', '/api/v1/admin/loyalty/settings', { max_redeem_bp: 1, return_window_days: 1, expiry_days: 1 }), 422, 'VALIDATION_ERROR', 'currencies');
    expectError(await admin(srv, 'PUT', '/api/v1/admin/loyalty/settings', { ...SETTINGS, bonus: 1 }), 422, 'VALIDATION_ERROR');
    // unchanged by the refusals
    assert.deepEqual(must(await admin(srv, 'GET', '/api/v1/admin/loyalty/settings'), 200).currencies, SETTINGS.currencies);
  });

  it('a category\'s rate covers its subtree; a subcategory\'s own rate wins', async () => {
    const bo = await register(srv);
    await fill(bo, fx.vSub); // no rate of its own: its parent's double points, floor(12.34 × 2)
    must(await pay(bo), 201);
    assert.equal(consistent(await mine(bo)).pending, 24);
    await fill(bo, fx.vSubNone); // its own rate 0 wins over the double points above it
    must(await pay(bo), 201);
    const acct = consistent(await mine(bo));
    assert.equal(acct.pending, 24);
    assert.equal(acct.entries.filter((e) => e.kind === 'earn').length, 1, 'nothing earned, no entry');
  });

  it('earning: pending until the return window ends, then available; a category earns its own rate', async () => {
    const ann = await register(srv);
    fx.ann = ann;
    assert.deepEqual(await mine(ann), { available: 0, pending: 0, debt: 0, entries: [], next_before: null });
    await fill(ann, fx.v100);
    const a = must(await pay(ann), 201);
    fx.orderA = a;
    let acct = consistent(await mine(ann));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [0, 100, 0], 'USD 100.00 at a point a dollar, pending');
    assert.equal(acct.entries[0].kind, 'earn');
    assert.equal(acct.entries[0].order_id, a.id);
    assert.deepEqual(acct.entries[0].amount, { amount: 10000, currency: 'USD' });
    const windowEnd = Date.parse(acct.entries[0].available_at) - Date.parse(acct.entries[0].created_at);
    assert.ok(Math.abs(windowEnd - 30 * 86400e3) < 1000, `available 30 days on: ${windowEnd} ms`);
    // 12.34 in the double-points category: floor(12.34 × 2) = 24
    await fill(ann, fx.vDouble);
    must(await pay(ann), 201);
    acct = consistent(await mine(ann));
    assert.equal(acct.pending, 124);
    // a replayed checkout earns nothing more
    await releaseAll(ann);
    acct = consistent(await mine(ann));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [124, 0, 0]);
    const releases = acct.entries.filter((e) => e.kind === 'release');
    assert.equal(releases.length, 2, 'one release per order');
    for (const r of releases) assert.ok(r.expires_at, 'released points expire');
    // the admin reads the same account
    const seen = must(await admin(srv, 'GET', `/api/v1/admin/users/${ann.user.id}/loyalty?limit=200`), 200);
    assert.deepEqual(seen, acct);
    // paging: two at a time, older pages by before=
    const p1 = must(await admin(srv, 'GET', `/api/v1/admin/users/${ann.user.id}/loyalty?limit=2`), 200);
    assert.equal(p1.entries.length, 2);
    const p2 = must(await admin(srv, 'GET', `/api/v1/admin/users/${ann.user.id}/loyalty?limit=2&before=${p1.next_before}`), 200);
    assert.deepEqual([...p1.entries, ...p2.entries].map((e) => e.id), acct.entries.slice(0, 4).map((e) => e.id));
  });

  it('redemption: a discount before tax, up to the share; refusals are 422 naming loyalty_points', async () => {
    const ann = fx.ann;
    await fill(ann, fx.v50);
    const bad = [0, -1, '5', 1.5, 1e10, null];
    for (const v of bad) expectError(await pay(ann, { loyalty_points: v }), 422, 'VALIDATION_ERROR', 'loyalty_points');
    expectError(await pay(ann, { loyalty_points: 125 }), 422, 'VALIDATION_ERROR', 'loyalty_points'); // only 124
    // a guest cannot redeem
    const g = must(await api(srv, 'POST', '/api/v1/carts', {}), 201);
    must(await api(srv, 'POST', '/api/v1/carts/current/lines', { headers: { 'X-Cart-Token': g.cart_token }, body: { variant_id: fx.v50, quantity: 1 } }), 200);
    expectError(await api(srv, 'POST', '/api/v1/checkout', {
      headers: { 'X-Cart-Token': g.cart_token, 'Idempotency-Key': key('guest') },
      body: { email: 'guest@example.com', shipping_address: ADDRESS, payment_method: CARD_OK, loyalty_points: 1 },
    }), 422, 'VALIDATION_ERROR', 'loyalty_points');
    // a declined card gives the points back
    const d = await pay(ann, { loyalty_points: 100, payment_method: CARD_DECLINED });
    expectError(d, 402, 'PAYMENT_DECLINED');
    let acct = consistent(await mine(ann));
    assert.equal(acct.available, 124);
    assert.deepEqual(acct.entries.slice(0, 2).map((e) => [e.kind, e.points]), [['redeem_reversal', 100], ['redeem', -100]]);
    // 100 points = USD 1.00 off USD 50.00, taxed after the discount
    must(await admin(srv, 'PUT', '/api/v1/admin/tax-rates/US-NY', { rate_bp: 1000 }), 200);
    must(await api(srv, 'PATCH', '/api/v1/carts/current', { key: ann.access, body: { region: 'US-NY' } }), 200);
    // the quote says what checkout will charge
    const q = must(await api(srv, 'GET', '/api/v1/users/me/loyalty/quote?points=100', { key: ann.access }), 200);
    assert.deepEqual([q.points, q.amount, q.max_points, q.totals.discount.amount, q.totals.tax.amount, q.totals.total],
      [100, { amount: 100, currency: 'USD' }, 124, 100, 490, { amount: 5390, currency: 'USD' }]);
    expectError(await api(srv, 'GET', '/api/v1/users/me/loyalty/quote?points=125', { key: ann.access }), 422, 'VALIDATION_ERROR', 'loyalty_points');
    expectError(await api(srv, 'GET', '/api/v1/users/me/loyalty/quote', { key: ann.access }), 422, 'VALIDATION_ERROR', 'points');
    expectError(await api(srv, 'GET', '/api/v1/users/me/loyalty/quote?points=x', { key: ann.access }), 422, 'VALIDATION_ERROR', 'points');
    expectError(await api(srv, 'GET', '/api/v1/users/me/loyalty/quote?points=1', { key: (await register(srv)).access }), 404, 'NOT_FOUND');
    const k = key('redeem');
    const b = must(await pay(ann, { loyalty_points: 100, expected_total: q.totals.total }, k), 201);
    assert.deepEqual([b.totals.subtotal.amount, b.totals.discount.amount, b.totals.tax.amount, b.totals.total.amount], [5000, 100, 490, 5390]);
    assert.equal(b.lines[0].discount.amount, 100);
    fx.orderB = b;
    // the same key again: the same answer, nothing spent again
    const again = await pay(ann, { loyalty_points: 100, expected_total: { amount: 5390, currency: 'USD' } }, k);
    assert.equal(again.status, 201);
    assert.equal(again.text.length > 0 && again.body.id, b.id);
    // the same key with other points is another request
    expectError(await pay(ann, { loyalty_points: 99, expected_total: q.totals.total }, k), 422, 'IDEMPOTENCY_MISMATCH');
    acct = consistent(await mine(ann));
    assert.equal(acct.available, 24, '124 − 100, once');
    assert.equal(acct.pending, 49, 'B earns on what was paid for the goods: floor(49.00)');
    // more than the share: 50 % of USD 12.34 is 617 cents = 617 points; ann has 24, so credit her first
    must(await admin(srv, 'POST', `/api/v1/admin/users/${ann.user.id}/loyalty/adjustments`, { points: 1000, reason: 'share test' }), 201);
    await fill(ann, fx.vDouble);
    must(await api(srv, 'PATCH', '/api/v1/carts/current', { key: ann.access, body: { region: '' } }), 200);
    const r = await pay(ann, { loyalty_points: 618 });
    expectError(r, 422, 'VALIDATION_ERROR', 'loyalty_points');
    assert.match(r.body.error.details[0].message, /at most 617 points/);
    must(await admin(srv, 'POST', `/api/v1/admin/users/${ann.user.id}/loyalty/adjustments`, { points: -1000, reason: 'share test over' }), 201);
  });

  it('refunds take back what the order earned, pending first, then available, then as a debt paid by later points', async () => {
    const ann = fx.ann;
    // A (released, 100 points) refunded in full: ann holds 24, so 76 become a debt
    must(await admin(srv, 'POST', `/api/v1/orders/${fx.orderA.id}/refunds`, { amount: 10000, reason: 'loyalty test' }), 201);
    let acct = consistent(await mine(ann));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [0, 49, 76]);
    assert.deepEqual(acct.entries[0].kind, 'clawback');
    // B (pending 49, earned on goods 49.00 of 53.90 with tax) refunded by half: the refund pays the
    // 4.90 tax back first, so 22.05 of goods: floor(49 × 26.95/49.00) = 26 kept, 23 taken from pending
    must(await admin(srv, 'POST', `/api/v1/orders/${fx.orderB.id}/refunds`, { amount: 2695, reason: 'half' }), 201);
    acct = consistent(await mine(ann));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [0, 26, 76]);
    // B's release pays the debt first
    await releaseAll(ann);
    acct = consistent(await mine(ann));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [0, 0, 50]);
    assert.equal(acct.entries[0].kind, 'debt_payment');
    // an admin credit pays the rest of it; a debit past the balance is refused
    must(await admin(srv, 'POST', `/api/v1/admin/users/${ann.user.id}/loyalty/adjustments`, { points: 60, reason: 'goodwill' }), 201);
    acct = consistent(await mine(ann));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [10, 0, 0]);
    expectError(await admin(srv, 'POST', `/api/v1/admin/users/${ann.user.id}/loyalty/adjustments`, { points: -11, reason: 'too much' }), 422, 'VALIDATION_ERROR', 'points');
    const after = must(await admin(srv, 'POST', `/api/v1/admin/users/${ann.user.id}/loyalty/adjustments`, { points: -10, reason: 'correction' }), 201);
    assert.deepEqual([after.available, after.debt], [0, 0]);
    assert.deepEqual([after.entries[0].kind, after.entries[0].points, after.entries[0].reason], ['adjust', -10, 'correction']);
    consistent(await mine(ann));
  });

  it('refunds count the goods only: a shipping refund takes nothing, returning every line takes all', async () => {
    const cy = await register(srv);
    const ship = must(await admin(srv, 'POST', '/api/v1/admin/shipping-methods',
      { code: `ly-${token()}`.slice(0, 32), name: 'Loyalty post', currency: 'USD', amount: 1000 }), 201);
    await fill(cy, fx.v100);
    must(await api(srv, 'PATCH', '/api/v1/carts/current', { key: cy.access, body: { shipping_method: ship.code, region: 'US-NY' } }), 200);
    must(await admin(srv, 'POST', `/api/v1/admin/users/${cy.user.id}/loyalty/adjustments`, { points: 30, reason: 'welcome' }), 201);
    const o = must(await pay(cy, { loyalty_points: 30 }), 201);
    assert.ok(o.totals.total.amount > 11000, JSON.stringify(o.totals)); // goods 99.70, shipping 10.00, tax
    let acct = consistent(await mine(cy));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [0, 99, 0]);
    // the shipping refunded alone: no goods came back, and the points spent stay spent
    must(await admin(srv, 'POST', `/api/v1/orders/${o.id}/refunds`, { amount: 1000, reason: 'late delivery' }), 201);
    acct = consistent(await mine(cy));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [0, 99, 0], 'a shipping refund takes no points');
    // every line returned and refunded: nothing is kept
    for (const step of ['fulfil', 'ship', 'deliver'])
      must(await admin(srv, 'POST', `/api/v1/orders/${o.id}/${step}`, step === 'ship' ? { carrier: 'UPS', tracking: `1Z${token()}` } : undefined), 200);
    const r = must(await api(srv, 'POST', `/api/v1/orders/${o.id}/returns`, { key: cy.access, body: { lines: [{ variant_id: fx.v100, quantity: 1 }], reason: 'no' } }), 201);
    const ret = r.returns[0].id;
    must(await admin(srv, 'POST', `/api/v1/orders/${o.id}/returns/${ret}/approve`), 200);
    const got = must(await admin(srv, 'POST', `/api/v1/orders/${o.id}/returns/${ret}/receive`), 200);
    assert.deepEqual(got.returns[0].refund, { amount: 9970, currency: 'USD' });
    acct = consistent(await mine(cy));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [30, 0, 0], 'a full return keeps no points and gives the 30 spent back');
    assert.deepEqual(acct.entries.filter((e) => e.kind === 'redeem_reversal').map((e) => e.points), [30]);
  });

  it('a full refund gives the redeemed points back, once', async () => {
    const dee = await register(srv);
    must(await admin(srv, 'POST', `/api/v1/admin/users/${dee.user.id}/loyalty/adjustments`, { points: 40, reason: 'welcome' }), 201);
    await fill(dee, fx.v50);
    must(await api(srv, 'PATCH', '/api/v1/carts/current', { key: dee.access, body: { region: '' } }), 200);
    const o = must(await pay(dee, { loyalty_points: 40 }), 201);
    let acct = consistent(await mine(dee));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [0, 49, 0]);
    // a partial refund gives nothing back; the rest of the money does
    must(await admin(srv, 'POST', `/api/v1/orders/${o.id}/refunds`, { amount: 1000, reason: 'part' }), 201);
    acct = consistent(await mine(dee));
    assert.equal(acct.available, 0);
    must(await admin(srv, 'POST', `/api/v1/orders/${o.id}/refunds`, { amount: o.totals.total.amount - 1000, reason: 'rest' }), 201);
    acct = consistent(await mine(dee));
    assert.deepEqual([acct.available, acct.pending, acct.debt], [40, 0, 0]);
    assert.deepEqual(acct.entries.filter((e) => e.kind === 'redeem_reversal').map((e) => e.points), [40]);
  });

  it('points that expired before the hourly run cannot be quoted or spent', async () => {
    const eve = await register(srv);
    must(await admin(srv, 'POST', `/api/v1/admin/users/${eve.user.id}/loyalty/adjustments`, { points: 70, reason: 'fresh' }), 201);
    // a credit of 30 that expired an hour ago, the hourly job not run yet (written as the ledger would)
    const uid = sql(srv.dbPath, `SELECT id FROM users WHERE email = '${eve.email}'`).trim();
    const at = Date.now() * 1000;
    sql(srv.dbPath, `INSERT INTO loyalty_ledger (id, user_id, kind, points, reason, actor, dedupe, expires_at, created_at)
      VALUES (${Math.floor(Math.random() * 1e12) + 1}, ${uid}, 'adjust', 30, 'old', 'test', NULL, ${at - 3600e6}, ${at - 400 * 86400e6})`);
    sql(srv.dbPath, `UPDATE loyalty_accounts SET available = available + 30 WHERE user_id = ${uid}`);
    assert.equal(consistent(await mine(eve)).available, 100);
    await fill(eve, fx.v100);
    must(await api(srv, 'PATCH', '/api/v1/carts/current', { key: eve.access, body: { region: '' } }), 200);
    const q = await api(srv, 'GET', '/api/v1/users/me/loyalty/quote?points=71', { key: eve.access });
    expectError(q, 422, 'VALIDATION_ERROR', 'loyalty_points');
    assert.match(q.body.error.details[0].message, /only 70 points/);
    assert.equal(must(await api(srv, 'GET', '/api/v1/users/me/loyalty/quote?points=70', { key: eve.access }), 200).max_points, 70);
    expectError(await pay(eve, { loyalty_points: 71 }), 422, 'VALIDATION_ERROR', 'loyalty_points');
    must(await pay(eve, { loyalty_points: 70 }), 201);
    const acct = consistent(await mine(eve));
    assert.equal(acct.available, 0);
    assert.deepEqual(acct.entries.filter((e) => e.kind !== 'earn').slice(0, 2).map((e) => [e.kind, e.points]), [['redeem', -70], ['expire', -30]]);
  });

  it('the hourly loyalty.maintenance job expires what fell due, in its own batches', async () => {
    const fay = await register(srv);
    must(await admin(srv, 'POST', `/api/v1/admin/users/${fay.user.id}/loyalty/adjustments`, { points: 20, reason: 'fresh' }), 201);
    const uid = sql(srv.dbPath, `SELECT id FROM users WHERE email = '${fay.email}'`).trim();
    const at = Date.now() * 1000;
    sql(srv.dbPath, `INSERT INTO loyalty_ledger (id, user_id, kind, points, reason, actor, dedupe, expires_at, created_at)
      VALUES (${Math.floor(Math.random() * 1e12) + 1}, ${uid}, 'adjust', 25, 'old', 'test', NULL, ${at - 3600e6}, ${at - 400 * 86400e6})`);
    sql(srv.dbPath, `UPDATE loyalty_accounts SET available = available + 25 WHERE user_id = ${uid}`);
    const job = Math.floor(Math.random() * 1e12) + 1;
    sql(srv.dbPath, 'INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, created_at, updated_at) ' +
      `VALUES (${job}, 'loyalty.maintenance', '{}', 'queued', 0, 5, 0, ${at}, ${at})`);
    await pollUntil(async () => sql(srv.dbPath, `SELECT state FROM jobs WHERE id = ${job}`) === 'done' || undefined, { tries: 300, step: 100 });
    const acct = consistent(await mine(fay));
    assert.equal(acct.available, 20);
    assert.deepEqual([acct.entries[0].kind, acct.entries[0].points], ['expire', -25]);
  });

  it('the ledger is append-only from outside too: UPDATE, DELETE and (PostgreSQL) TRUNCATE refused', () => {
    const count = () => sql(srv.dbPath, 'SELECT count(*) FROM loyalty_ledger');
    const before = count();
    assert.ok(Number(before) > 0);
    assert.throws(() => sql(srv.dbPath, 'UPDATE loyalty_ledger SET points = 0'), /append-only/);
    assert.throws(() => sql(srv.dbPath, 'DELETE FROM loyalty_ledger'), /append-only/);
    if (isPostgres(srv.dbPath)) assert.throws(() => sql(srv.dbPath, 'TRUNCATE loyalty_ledger'), /append-only/);
    assert.equal(count(), before);
  });

  it('adjustments: bad input 4xx, unknown customer 404, each one in the audit log', async () => {
    const id = fx.ann.user.id;
    const path = `/api/v1/admin/users/${id}/loyalty/adjustments`;
    for (const body of [{ points: 0, reason: 'x' }, { points: 5 }, { points: 5, reason: '   ' }, { points: '5', reason: 'x' }, { points: 5, reason: 'x'.repeat(501) }, { points: 5, reason: 'x', extra: 1 }])
      expectError(await admin(srv, 'POST', path, body), 422, 'VALIDATION_ERROR');
    expectError(await admin(srv, 'POST', '/api/v1/admin/users/usr_0000000000001/loyalty/adjustments', { points: 5, reason: 'x' }), 404, 'NOT_FOUND');
    expectError(await admin(srv, 'GET', '/api/v1/admin/users/nope/loyalty'), 404, 'NOT_FOUND');
    expectError(await admin(srv, 'GET', `/api/v1/admin/users/${id}/loyalty?limit=0`), 422, 'VALIDATION_ERROR', 'limit');
    const audit = must(await admin(srv, 'GET', '/api/v1/admin/audit?limit=100'), 200);
    const entries = audit.data.filter((e) => e.object_type === 'loyalty_entry');
    assert.ok(entries.length >= 4, `audited adjustments: ${entries.length}`);
    assert.ok(audit.data.some((e) => e.object_type === 'loyalty_settings') || (await must(await admin(srv, 'GET', '/api/v1/admin/audit?limit=500'), 200)).data.some((e) => e.object_type === 'loyalty_settings'), 'settings changes are audited');
    must(await admin(srv, 'GET', '/api/v1/admin/audit/verify'), 200);
  });

  it('RBAC: a customer reads only their own points, and neither settings nor adjustments', async () => {
    const bob = await register(srv);
    expectError(await api(srv, 'GET', '/api/v1/users/me/loyalty'), 401, 'UNAUTHORIZED');
    expectError(await api(srv, 'GET', `/api/v1/admin/users/${fx.ann.user.id}/loyalty`, { key: bob.access }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'POST', `/api/v1/admin/users/${bob.user.id}/loyalty/adjustments`, { key: bob.access, body: { points: 1000, reason: 'me' } }), 403, 'FORBIDDEN');
    expectError(await api(srv, 'PUT', '/api/v1/admin/loyalty/settings', { key: bob.access, body: SETTINGS }), 403, 'FORBIDDEN');
    assert.equal((await mine(bob)).available, 0);
  });

  it('100 concurrent checkouts by one customer spending the same points spend them exactly once', async () => {
    const cara = await register(srv);
    must(await admin(srv, 'POST', `/api/v1/admin/users/${cara.user.id}/loyalty/adjustments`, { points: 1000, reason: 'race' }), 201);
    await fill(cara, fx.v50, 1);
    const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => pay(cara, { loyalty_points: 1000 }, `race-${i}-${token()}`)));
    const won = rs.filter((r) => r.status === 201);
    assert.equal(won.length, 1, `answers: ${JSON.stringify(rs.map((r) => r.status))}`);
    for (const r of rs.filter((x) => x.status !== 201)) expectError(r, 422, 'VALIDATION_ERROR');
    assert.equal(won[0].body.totals.discount.amount, 1000);
    const acct = consistent(await mine(cara));
    assert.equal(acct.available, 0);
    assert.equal(acct.entries.filter((e) => e.kind === 'redeem').length, 1, 'one redemption');
    // the same again without paying: each checkout replaces the cart's waiting order, whose points come back
    must(await admin(srv, 'POST', `/api/v1/admin/users/${cara.user.id}/loyalty/adjustments`, { points: 1000, reason: 'race 2' }), 201);
    await fill(cara, fx.v50, 1);
    const waiting = await Promise.all(Array.from({ length: 100 }, (_, i) => api(srv, 'POST', '/api/v1/checkout', {
      key: cara.access, headers: { 'Idempotency-Key': `wait-${i}-${token()}` }, body: { shipping_address: ADDRESS, loyalty_points: 1000 },
    })));
    assert.ok(waiting.every((r) => r.status === 201 || r.status === 422), JSON.stringify(waiting.map((r) => r.status)));
    const acct2 = consistent(await mine(cara));
    assert.equal(acct2.available, 0, 'the 1000 points are held by one waiting order');
    const redeems = acct2.entries.filter((e) => e.kind === 'redeem').length - 1;
    const reversals = acct2.entries.filter((e) => e.kind === 'redeem_reversal').length;
    assert.equal(redeems - reversals, 1, `redemptions ${redeems}, reversals ${reversals}`);
    const held = new Set(acct2.entries.filter((e) => e.kind === 'redeem').map((e) => e.order_id));
    const orders = must(await api(srv, 'GET', '/api/v1/orders?state=pending_payment&limit=100', { key: cara.access }), 200).data;
    assert.equal(orders.length, 1, 'one order waits');
    assert.ok(held.has(orders[0].id));
  });

  it('the storefront account page shows the balances and the latest changes', async () => {
    const eve = await register(srv);
    must(await admin(srv, 'POST', `/api/v1/admin/users/${eve.user.id}/loyalty/adjustments`, { points: 321, reason: 'welcome <b>' }), 201);
    await fill(eve, fx.v100);
    must(await pay(eve), 201);
    const b = new Browser(srv);
    const page = await b.get('/account/signin');
    const r = await b.post('/account/signin', { csrf: inputValue(page.text, 'csrf'), next: '/account', email: eve.email, password: eve.password });
    assert.equal(r.status, 303, r.text.slice(0, 300));
    const acct = await b.get('/account');
    assert.equal(acct.status, 200);
    assert.match(acct.text, /<p id="loyalty-balance"><strong>321<\/strong> points to spend at checkout; 100 pending/);
    assert.match(acct.text, /<table id="loyalty-history">[\s\S]*Earned \(pending\)[\s\S]*Adjusted by the shop/);
    assert.doesNotMatch(acct.text, /welcome <b>/, 'reasons are not shown, and nothing unescaped');
    // a customer without points in a shop without a programme sees no section
    const s = must(await admin(srv, 'GET', '/api/v1/admin/loyalty/settings'), 200);
    must(await admin(srv, 'PUT', '/api/v1/admin/loyalty/settings', { ...s, currencies: [] }), 200);
    const fay = await register(srv);
    const b2 = new Browser(srv);
    const p2 = await b2.get('/account/signin');
    await b2.post('/account/signin', { csrf: inputValue(p2.text, 'csrf'), next: '/account', email: fay.email, password: fay.password });
    assert.doesNotMatch((await b2.get('/account')).text, /loyalty-balance/);
    assert.match((await b.get('/account')).text, /loyalty-balance/, 'one with points still sees them');
    must(await admin(srv, 'PUT', '/api/v1/admin/loyalty/settings', s), 200);
    // and the GDPR export holds the whole ledger
    const x = must(await api(srv, 'GET', '/api/v1/users/me/export', { key: eve.access }), 200);
    assert.deepEqual([x.loyalty.available, x.loyalty.pending, x.loyalty.entries.length], [321, 100, 2]);
  });

  it('a retry storm with one Idempotency-Key spends the points once', async () => {
    const dan = await register(srv);
    must(await admin(srv, 'POST', `/api/v1/admin/users/${dan.user.id}/loyalty/adjustments`, { points: 500, reason: 'storm' }), 201);
    await fill(dan, fx.v50, 1);
    const k = key('storm');
    const rs = await Promise.all(Array.from({ length: 50 }, () => pay(dan, { loyalty_points: 300 }, k)));
    const ok = rs.filter((r) => r.status === 201);
    assert.ok(ok.length >= 1 && rs.every((r) => r.status === 201 || r.status === 409), JSON.stringify(rs.map((r) => r.status)));
    assert.equal(new Set(ok.map((r) => r.body.id)).size, 1, 'one order');
    const acct = consistent(await mine(dan));
    assert.equal(acct.available, 200);
    assert.equal(acct.entries.filter((e) => e.kind === 'redeem').length, 1);
  });
});
