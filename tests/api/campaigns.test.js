// Campaigns (docs/campaigns.md) against a real server: an audience computed from the analytics read
// model limits a promotion to its members (a member gets the price, a customer outside it and a
// guest do not); campaign mail goes only to members with current marketing consent, the signed
// unsubscribe link stops the next campaign's mail, results count the recipients' orders, revenue and
// redemptions; erasure removes the person from every list; bad input and RBAC.
//
// Every test buys at a price of its own and selects its audience by exactly that revenue
// (filter {min_revenue = max_revenue}), so its members are exactly the customers it made. Mail is
// read from the outbox (no relay configured). An absence of mail is only asserted once the campaign
// is "sent": the send job writes the last batch's mails and the status in one transaction.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { warehouse, product, must, ADDRESS, idemKey } from './lib/orders_util.js';
import { sql } from './lib/db.js';
import { sleep } from './lib/util.js';
import { Browser, inputValue } from './lib/web_util.js';

describe('campaigns', () => {
  let srv;
  let wh;
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  const as = (who, method, path, body, headers) => api(srv, method, path, { key: who.access, body, headers });
  const customer = (marketing = true) => register(srv, { name: 'Camp Aign', marketing_opt_in: marketing });
  /** The campaign mails to EMAIL (order confirmations left out), newest first. */
  const mailsTo = async (email) => must(await admin('GET', `/api/v1/admin/mail?to=${encodeURIComponent(email)}&limit=50`), 200)
    .data.filter((m) => m.body.includes('/campaigns/unsubscribe?t='));

  /** A paid order of WHO for one unit of VARIANT (test card), optionally with a promotion CODE. */
  async function buy(who, variant, code) {
    const c = await as(who, 'POST', '/api/v1/carts', { currency: 'USD' });
    assert.ok(c.status === 201 || c.status === 200, c.text);
    const cart = must(await as(who, 'GET', '/api/v1/carts/current'), 200);
    for (const l of cart.lines) must(await as(who, 'DELETE', `/api/v1/carts/current/lines/${l.variant_id}`), 200);
    must(await as(who, 'POST', '/api/v1/carts/current/lines', { variant_id: variant.id, quantity: 1 }), 200);
    if (code) must(await as(who, 'PUT', '/api/v1/carts/current/coupon', { code }), 200);
    const o = await api(srv, 'POST', '/api/v1/checkout', {
      key: who.access, headers: { 'Idempotency-Key': idemKey('camp') },
      body: { shipping_address: ADDRESS, payment_method: '4242424242424242' },
    });
    assert.equal(o.status, 201, o.text);
    return o.body;
  }
  /** Waits until the analytics read model has WHO's orders (the RFM row shows N of them). */
  async function analyticsHas(who, n) {
    for (let i = 0; i < 150; i++) {
      const r = must(await admin('GET', `/api/v1/admin/analytics/rfm?customer=${who.user.id}`), 200);
      if (r.rows.length && r.rows[0].frequency >= n) return;
      await sleep(100);
    }
    assert.fail(`the analytics never saw ${n} orders of ${who.email}`);
  }
  /** An audience of the customers whose revenue is exactly AMOUNT, computed (refreshed) after WHO's orders are seen. */
  async function audienceOf(amount, name = `spent ${amount}`) {
    const a = must(await admin('POST', '/api/v1/admin/campaign-audiences',
      { name, kind: 'filter', definition: { min_revenue: amount, max_revenue: amount } }), 201);
    assert.match(a.id, /^aud_/);
    assert.equal(a.refreshed_at, null);
    return refreshed(a);
  }
  /** Refreshes audience A and waits for the refresh to finish; returns the audience. */
  async function refreshed(a, before = null) {
    const last = before ?? a.refreshed_at;
    if (a.refreshed_at !== null && a.refreshed_at === last) must(await admin('POST', `/api/v1/admin/campaign-audiences/${a.id}/refresh`), 202);
    for (let i = 0; i < 200; i++) {
      const now = must(await admin('GET', `/api/v1/admin/campaign-audiences/${a.id}`), 200);
      if (now.refreshed_at !== null && now.refreshed_at !== last) return now;
      await sleep(100);
    }
    const jobs = must(await admin('GET', '/api/v1/admin/jobs?kind=campaigns.audiences'), 200);
    assert.fail(`audience ${a.id} was never refreshed; the jobs: ${JSON.stringify(jobs).slice(0, 1500)}`);
  }
  /** Sends campaign C and waits until it is sent; returns it with its results. */
  async function sent(c) {
    const s = must(await admin('POST', `/api/v1/admin/campaigns/${c.id}/send`), 202);
    assert.equal(s.status, 'sending');
    for (let i = 0; i < 200; i++) {
      const now = must(await admin('GET', `/api/v1/admin/campaigns/${c.id}`), 200);
      if (now.status === 'sent') return now;
      await sleep(100);
    }
    assert.fail(`campaign ${c.id} was never sent`);
  }
  const variantAt = async (price) => (await product(srv, { title: `Campaign ${price}`, variants: [{ price, stock: 100 }], wh })).variants[0];

  before(async () => {
    srv = await startServer({});
    wh = await warehouse(srv);
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('only the segment gets the price: a member does, a customer outside it and a guest do not', async () => {
    const inside = await customer();
    const outside = await customer();
    const v = await variantAt(31_700);
    await buy(inside, v);
    await buy(outside, await variantAt(31_800)); // a customer too, of another revenue: outside the audience
    await analyticsHas(inside, 1);
    await analyticsHas(outside, 1);
    const aud = await audienceOf(31_700);
    assert.equal(aud.members, 1);
    const promo = must(await admin('POST', '/api/v1/admin/promotions',
      { name: 'Segment 20%', kind: 'percent', value: 2000, audience_id: aud.id }), 201);
    assert.equal(promo.audience_id, aud.id);
    const shopper = await product(srv, { title: 'Segment item', variants: [{ price: 5_000, stock: 100 }], wh });
    const priced = async (who) => {
      const headers = {};
      let key;
      if (who) { key = who.access; await api(srv, 'POST', '/api/v1/carts', { key, body: { currency: 'USD' } }); }
      else headers['X-Cart-Token'] = must(await api(srv, 'POST', '/api/v1/carts', { body: { currency: 'USD' } }), 201).cart_token;
      const cart = must(await api(srv, 'GET', '/api/v1/carts/current', { key, headers }), 200);
      for (const l of cart.lines) must(await api(srv, 'DELETE', `/api/v1/carts/current/lines/${l.variant_id}`, { key, headers }), 200);
      return must(await api(srv, 'POST', '/api/v1/carts/current/lines', { key, headers, body: { variant_id: shopper.variants[0].id, quantity: 1 } }), 200);
    };
    const mine = await priced(inside);
    assert.deepEqual(mine.promotions.applied.map((p) => [p.id, p.amount.amount]), [[promo.id, 1_000]], 'the member gets 20% off');
    for (const [who, what] of [[outside, 'a customer outside the audience'], [null, 'a guest']]) {
      const cart = await priced(who);
      assert.deepEqual(cart.promotions.applied, [], `${what} gets no segment price`);
      assert.ok(!cart.promotions.not_applied.some((p) => p.id === promo.id), `${what} is not told of it`);
    }
    // the member's checkout keeps the price
    const order = await buy(inside, shopper.variants[0]);
    assert.equal(order.totals.discount.amount, 1_000, JSON.stringify(order.totals));
    // a code of an audience promotion, on the cart of someone outside it: not applied, and why
    const coded = must(await admin('POST', '/api/v1/admin/promotions',
      { name: 'Segment code', kind: 'percent', value: 1000, requires_code: true, audience_id: aud.id }), 201);
    const code = `SEG${Date.now()}`;
    must(await admin('POST', `/api/v1/admin/promotions/${coded.id}/codes`, { code }), 201);
    await priced(outside);
    const withCode = must(await as(outside, 'PUT', '/api/v1/carts/current/coupon', { code }), 200);
    const why = withCode.promotions.not_applied.find((p) => p.id === coded.id);
    assert.equal(why?.reason, 'not_in_audience', JSON.stringify(withCode.promotions));
    must(await admin('DELETE', `/api/v1/admin/promotions/${promo.id}`), 204);
    must(await admin('DELETE', `/api/v1/admin/promotions/${coded.id}`), 204);
  });

  it('mails only with consent, the unsubscribe link stops the next campaign, results are counted', async () => {
    const yes = await customer(true);
    const no = await customer(false);
    const v = await variantAt(42_100);
    await buy(yes, v);
    await buy(no, v);
    await analyticsHas(yes, 1);
    await analyticsHas(no, 1);
    const aud = await audienceOf(42_100);
    assert.equal(aud.members, 2);
    const offer = must(await admin('POST', '/api/v1/admin/promotions',
      { name: 'Win-back 5%', kind: 'percent', value: 500, requires_code: true, audience_id: aud.id }), 201);
    const code = `BACK${Date.now()}`;
    must(await admin('POST', `/api/v1/admin/promotions/${offer.id}/codes`, { code }), 201);
    const c = must(await admin('POST', '/api/v1/admin/campaigns',
      { name: 'Come back', template: 'win_back', audience_id: aud.id, promotion_id: offer.id, code: code.toLowerCase() }), 201);
    assert.equal(c.status, 'draft');
    assert.equal(c.code, code, 'codes are kept in upper case');
    assert.equal(c.results.recipients, 0);
    const done = await sent(c);
    assert.equal(done.results.recipients, 1);
    assert.equal(done.results.skipped, 1, 'the member without consent was skipped');
    assert.deepEqual(await mailsTo(no.email), [], 'no e-mail without marketing consent');
    const [mail] = await mailsTo(yes.email);
    assert.ok(mail, 'the consenting member got the mail');
    assert.equal(mail.subject, 'We miss you');
    assert.ok(mail.body.includes(code), 'the mail names the code');
    const token = /\/campaigns\/unsubscribe\?t=(\S+)/.exec(mail.body)?.[1];
    assert.ok(token, mail.body);
    expectError(await admin('POST', `/api/v1/admin/campaigns/${c.id}/send`), 409, 'CONFLICT');

    // results: the recipient buys with the code within the window; the one who got no mail buys too (not counted)
    const order = await buy(yes, v, code);
    await buy(no, v);
    const r = must(await admin('GET', `/api/v1/admin/campaigns/${c.id}`), 200).results;
    assert.equal(r.buyers, 1, JSON.stringify(r));
    assert.deepEqual(r.orders, [{ currency: 'USD', orders: 1, revenue: order.totals.total.amount }]);
    assert.equal(r.redemptions, 1);
    assert.deepEqual(r.redemptions_by_currency, [{ currency: 'USD', count: 1, discount: order.totals.discount.amount }]);

    // the link unsubscribes (a forged one does not), and the next campaign mails nobody
    const forged = token.replace(/u(\d+)\./, (_, id) => `u${BigInt(id) + 1n}.`); // ids pass 2^53: BigInt
    expectError(await api(srv, 'POST', '/api/v1/campaigns/unsubscribe', { body: { token: forged } }), 404, 'NOT_FOUND');
    // the page of the link is one button (a GET never writes), which unsubscribes
    const b = new Browser(srv);
    const page = await b.get(`/campaigns/unsubscribe?t=${encodeURIComponent(token)}`);
    assert.equal(page.status, 200);
    assert.equal(inputValue(page.text, 't'), token);
    const unsubbed = await b.post('/campaigns/unsubscribe', { csrf: inputValue(page.text, 'csrf'), t: token });
    assert.equal(unsubbed.status, 200);
    assert.ok(unsubbed.text.includes('You are unsubscribed'));
    assert.equal((await b.get(`/campaigns/unsubscribe?t=${encodeURIComponent(forged)}`)).status, 200, 'the GET checks only the shape');
    must(await api(srv, 'POST', '/api/v1/campaigns/unsubscribe', { body: { token } }), 200); // again: the same
    assert.equal(must(await admin('GET', `/api/v1/admin/campaigns/${c.id}`), 200).results.unsubscribed, 1);
    const vip = must(await admin('POST', '/api/v1/admin/campaigns', { name: 'VIP', template: 'vip', audience_id: aud.id }), 201);
    const vipDone = await sent(vip);
    assert.equal(vipDone.results.recipients, 0);
    assert.equal(vipDone.results.skipped, 2);
    assert.equal((await mailsTo(yes.email)).length, 1, 'no campaign mail after the unsubscribe');
    const list = must(await admin('GET', '/api/v1/admin/campaigns'), 200).data;
    assert.deepEqual(list.slice(0, 2).map((x) => x.id), [vip.id, c.id], 'newest first');
    // the admin writes and the unsubscribe are audited, naming what they acted on
    const audited = async (action) => must(await admin('GET', `/api/v1/admin/audit?action=${encodeURIComponent(action)}&limit=100`), 200).data;
    assert.ok((await audited('POST /api/v1/admin/campaign-audiences')).some((e) => e.object_type === 'campaign_audience' && e.object_id === aud.id && e.result === 201));
    assert.ok((await audited('POST /api/v1/admin/campaigns')).some((e) => e.object_type === 'campaign' && e.object_id === c.id && e.result === 201));
    assert.ok((await audited('POST /api/v1/admin/campaigns/{id}/send')).some((e) => e.object_id === c.id && e.result === 202));
    assert.ok((await audited('POST /api/v1/admin/campaigns/{id}/send')).some((e) => e.result === 409), 'the refused second send too');
    assert.ok((await audited('POST /api/v1/campaigns/unsubscribe')).some((e) => e.object_type === 'campaign_optout' && e.object_id === yes.user.id));
  });

  it('erasure removes the person from every list', async () => {
    const who = await customer(true);
    const v = await variantAt(53_300);
    await buy(who, v);
    await analyticsHas(who, 1);
    const aud = await audienceOf(53_300);
    assert.equal(aud.members, 1);
    const c = must(await admin('POST', '/api/v1/admin/campaigns', { name: 'Erase me', template: 'vip', audience_id: aud.id }), 201);
    assert.equal((await sent(c)).results.recipients, 1);
    const [mail] = await mailsTo(who.email);
    const token = /\/campaigns\/unsubscribe\?t=(\S+)/.exec(mail.body)[1];
    must(await api(srv, 'POST', '/api/v1/campaigns/unsubscribe', { body: { token } }), 200);
    const exp = must(await as(who, 'GET', '/api/v1/users/me/export'), 200);
    assert.deepEqual(exp.campaigns.audiences, ['spent 53300']);
    assert.equal(exp.campaigns.campaigns.length, 1);
    assert.equal(exp.campaigns.unsubscribed, true);
    const id = sql(srv.dbPath, `SELECT id FROM users WHERE email = '${who.email}'`);
    const count = (table) => Number(sql(srv.dbPath, `SELECT COUNT(*) FROM ${table} WHERE user_id = ${id}`));
    for (const t of ['campaign_audience_members', 'campaign_recipients', 'campaign_optouts']) assert.equal(count(t), 1, t);
    const d = await as(who, 'DELETE', '/api/v1/users/me', { password: who.password });
    assert.equal(d.status, 204, d.text);
    for (const t of ['campaign_audience_members', 'campaign_recipients', 'campaign_optouts']) assert.equal(count(t), 0, `${t} after erasure`);
    const again = await refreshed(must(await admin('GET', `/api/v1/admin/campaign-audiences/${aud.id}`), 200));
    assert.equal(again.members, 0, 'a refresh does not bring the erased account back');
  });

  it('refuses bad input', async () => {
    const bad = (body) => admin('POST', '/api/v1/admin/campaign-audiences', body);
    expectError(await bad({ name: 'x', kind: 'nope', definition: {} }), 422, 'VALIDATION_ERROR', 'kind');
    expectError(await bad({ name: 'x', kind: 'filter', definition: {} }), 422, 'VALIDATION_ERROR', 'definition');
    expectError(await bad({ name: 'x', kind: 'rfm', definition: { segments: ['kings'] } }), 422, 'VALIDATION_ERROR', 'definition.segments');
    expectError(await bad({ name: 'x', kind: 'rfm', definition: { segments: ['champions'], colour: 1 } }), 422, 'VALIDATION_ERROR', 'definition.colour');
    expectError(await bad({ name: 'x', kind: 'kmeans', definition: { k: 3, cluster: 4 } }), 422, 'VALIDATION_ERROR', 'definition.cluster');
    expectError(await bad({ name: 'x', kind: 'churn', definition: { band: 'hot' } }), 422, 'VALIDATION_ERROR', 'definition.band');
    expectError(await bad({ name: '', kind: 'churn', definition: { band: 'high' } }), 422, 'VALIDATION_ERROR', 'name');
    expectError(await bad({ name: 'x', kind: 'churn', definition: { band: 'high' }, extra: 1 }), 422, 'VALIDATION_ERROR', 'extra');
    const ok = must(await bad({ name: 'champions', kind: 'rfm', definition: { segments: ['champions', 'loyal'], days: 180 } }), 201);
    assert.deepEqual(ok.definition, { days: 180, segments: ['champions', 'loyal'] });
    const camp = (body) => admin('POST', '/api/v1/admin/campaigns', body);
    expectError(await camp({ name: 'x', template: 'spam', audience_id: ok.id }), 422, 'VALIDATION_ERROR', 'template');
    expectError(await camp({ name: 'x', template: 'vip', audience_id: ok.id, code: 'ABC' }), 422, 'VALIDATION_ERROR', 'code');
    expectError(await camp({ name: 'x', template: 'vip', audience_id: ok.id, subject: 'two\nlines' }), 422, 'VALIDATION_ERROR', 'subject');
    expectError(await camp({ name: 'x', template: 'vip', audience_id: 'aud_0000000000001' }), 404, 'NOT_FOUND');
    expectError(await camp({ name: 'x', template: 'vip', audience_id: ok.id, promotion_id: 'promo_0000000000001' }), 404, 'NOT_FOUND');
    expectError(await admin('POST', '/api/v1/admin/promotions', { name: 'x', kind: 'percent', value: 100, audience_id: 'aud_0000000000001' }), 422, 'VALIDATION_ERROR', 'audience_id');
    expectError(await api(srv, 'POST', '/api/v1/campaigns/unsubscribe', { body: {} }), 422, 'VALIDATION_ERROR');
    expectError(await api(srv, 'POST', '/api/v1/campaigns/unsubscribe', { body: { token: 'c1u1.forged' } }), 404, 'NOT_FOUND');
    const who = await customer();
    expectError(await as(who, 'GET', '/api/v1/admin/campaigns'), 403, 'FORBIDDEN');
    expectError(await api(srv, 'GET', '/api/v1/admin/campaign-audiences'), 401, 'UNAUTHORIZED');
  });
});
