// Outgoing webhooks (docs/webhooks.md) against a real receiver: a node http server on loopback,
// allowed as a target by SOUK_WEBHOOKS_ALLOW_TARGETS for this server only. Every delivery the
// receiver takes is checked with a reference implementation of the Standard Webhooks signature
// written here with node:crypto. Events come from stock changes (stock.changed).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startServer, ADMIN_EMAIL } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token, sleep } from './lib/util.js';
import { warehouse as newWarehouse, product as newProduct, customerWithCart, checkout } from './lib/orders_util.js';

/** The Standard Webhooks check: every "v1,<sig>" of the header against HMAC-SHA256(base64-decoded
 *  secret, `${id}.${timestamp}.${body}`); true when one matches. */
export function verifySignature(secret, headers, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest();
  return String(headers['webhook-signature'] || '').split(' ').some((s) => {
    const [v, sig] = s.split(',');
    if (v !== 'v1' || !sig) return false;
    const got = Buffer.from(sig, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/** A receiver: every request is recorded per path; a path's behaviour is set by the test. */
async function receiver() {
  const requests = [];
  const behaviour = new Map(); // path -> (n) => status, n = how many requests that path had before
  const counts = new Map();
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const n = counts.get(req.url) ?? 0;
      counts.set(req.url, n + 1);
      const status = (behaviour.get(req.url) ?? (() => 200))(n);
      requests.push({ path: req.url, method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      if (status >= 300 && status < 400) res.setHeader('Location', '/redirect-target');
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status < 300 ? 'ok' : `no (${status})`);
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${srv.address().port}`;
  return { base, requests, behaviour, on: (p) => requests.filter((r) => r.path === p), close: () => new Promise((r) => srv.close(r)) };
}

async function until(what, fn, timeoutMs = 20000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('webhooks', () => {
  let srv, rx;
  const fx = {};
  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  async function must(r, status) {
    assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 500)}`);
    return r.body;
  }
  let onHand = 0;
  /** One stock.changed event: the variant's stock in the warehouse moves to a new count. */
  async function stockEvent() {
    onHand += 1;
    await must(await admin('PUT', `/api/v1/variants/${fx.variant}/stock/${fx.warehouse}`, { on_hand: onHand, reason: 'recount' }), 200);
    return onHand;
  }
  const subscribe = async (path, extra = {}) =>
    must(await admin('POST', '/api/v1/admin/webhooks', { url: rx.base + path, event_types: ['stock.changed'], ...extra }), 201);
  const deliveries = async (sub, q = '') => (await must(await admin('GET', `/api/v1/admin/webhooks/${sub.id}/deliveries${q}`), 200)).data;
  /** The requests on PATH that verify with SECRET, deduplicated by webhook-id (as a receiver should). */
  function accepted(path, secret) {
    const seen = new Map();
    for (const r of rx.on(path)) {
      assert.ok(verifySignature(secret, r.headers, r.body), `signature of ${r.headers['webhook-id']} verifies`);
      if (r.status < 300 && !seen.has(r.headers['webhook-id'])) seen.set(r.headers['webhook-id'], JSON.parse(r.body));
    }
    return seen;
  }

  before(async () => {
    rx = await receiver();
    srv = await startServer({
      env: {
        SOUK_WEBHOOKS_ALLOW_TARGETS: '127.0.0.1/32',
        SOUK_WEBHOOKS_RETRY_SCHEDULE: '0.1,0.2,0.2',
        SOUK_WEBHOOKS_DISABLE_AFTER: '2',
        // every receiver here is one loopback host: its circuit breaker would defer the other
        // subscriptions' deliveries while one path fails (that is breakers.test.js's subject)
        SOUK_BREAKER_FAILURES: '1000',
      },
    });
    const p = await must(await admin('POST', '/api/v1/products', {
      title: `Hooked ${token()}`, status: 'active', variants: [{ sku: `WH-${token()}`, prices: [{ amount: 1000, currency: 'USD' }] }],
    }), 201);
    fx.variant = p.variants[0].id;
    fx.warehouse = (await must(await admin('POST', '/api/v1/warehouses', { code: `wh-${token()}`.slice(0, 32).replace(/[^A-Za-z0-9_-]/g, ''), name: 'Webhooks' }), 201)).id;
  });

  after(async () => {
    if (srv) await srv.stop();
    if (rx) await rx.close();
  });

  it('signs every delivery as the Standard Webhooks specification says, once per event', async () => {
    const sub = await subscribe('/ok', { description: 'stock feed' });
    assert.match(sub.id, /^wh_/);
    assert.match(sub.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(sub.event_types, ['stock.changed']);
    assert.equal(sub.enabled, true);
    const listed = await must(await admin('GET', '/api/v1/admin/webhooks'), 200);
    assert.ok(listed.data.some((s) => s.id === sub.id && !('secret' in s)), 'listed, without its secret');
    const counts = [await stockEvent(), await stockEvent(), await stockEvent()];
    const got = await until('three deliveries', () => { const a = accepted('/ok', sub.secret); return a.size >= 3 && a; });
    assert.equal(got.size, 3);
    for (const r of rx.on('/ok')) {
      assert.equal(r.method, 'POST');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.match(r.headers['webhook-id'], /^whd_[0-9A-HJKMNP-TV-Z]{13}$/);
      assert.match(r.headers['webhook-timestamp'], /^[0-9]{10}$/);
      assert.ok(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000) < 300, 'timestamp is now');
      assert.match(r.headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/, 'one signature (no rotation)');
      // a wrong secret or a changed body must not verify: the check above can fail
      assert.equal(verifySignature('whsec_' + Buffer.alloc(32, 7).toString('base64'), r.headers, r.body), false);
      assert.equal(verifySignature(sub.secret, r.headers, r.body + ' '), false);
    }
    const bodies = [...got.values()];
    assert.ok(bodies.every((b) => b.type === 'stock.changed' && typeof b.timestamp === 'string' && b.data.variant_id === fx.variant));
    assert.deepEqual(bodies.map((b) => b.data.on_hand).sort((a, b) => a - b), counts);
    const log = await until('the log to show them succeeded', async () => {
      const d = await deliveries(sub);
      return d.length === 3 && d.every((x) => x.status === 'succeeded') && d;
    });
    assert.deepEqual(new Set(log.map((d) => d.id)), new Set(got.keys()), 'webhook-id is the delivery id');
    for (const d of log) {
      assert.equal(d.attempts, 1);
      assert.equal(d.last_response_code, 200);
      assert.equal(d.event_type, 'stock.changed');
    }
    const detail = await must(await admin('GET', `/api/v1/admin/webhook-deliveries/${log[0].id}`), 200);
    assert.equal(detail.attempts_log.length, 1);
    assert.equal(detail.attempts_log[0].response_code, 200);
    assert.equal(detail.attempts_log[0].response_body, 'ok');
    assert.equal(detail.payload.type, 'stock.changed');
    await must(await admin('DELETE', `/api/v1/admin/webhooks/${sub.id}`), 204);
    expectError(await admin('GET', `/api/v1/admin/webhooks/${sub.id}`), 404, 'NOT_FOUND');
    expectError(await admin('GET', `/api/v1/admin/webhook-deliveries/${log[0].id}`), 404, 'NOT_FOUND');
  });

  it('a receiver that fails, then recovers, gets every event exactly once (deduplicated by webhook-id)', async () => {
    rx.behaviour.set('/flaky', (n) => (n < 5 ? 503 : 200));
    const sub = await subscribe('/flaky');
    const counts = [await stockEvent(), await stockEvent(), await stockEvent()];
    const got = await until('three events accepted', () => { const a = accepted('/flaky', sub.secret); return a.size >= 3 && a; });
    assert.deepEqual([...got.values()].map((b) => b.data.on_hand).sort((a, b) => a - b), counts, 'each event, none twice, none lost');
    assert.ok(rx.on('/flaky').length > 3, 'failures were retried');
    const log = await until('every delivery succeeded', async () => {
      const d = await deliveries(sub);
      return d.length === 3 && d.every((x) => x.status === 'succeeded') && d;
    });
    assert.ok(log.some((d) => d.attempts > 1), 'some needed more than one attempt');
    const retried = log.find((d) => d.attempts > 1);
    const detail = await must(await admin('GET', `/api/v1/admin/webhook-deliveries/${retried.id}`), 200);
    assert.equal(detail.attempts_log.length, retried.attempts);
    assert.equal(detail.attempts_log[0].response_code, 503);
    assert.equal(detail.attempts_log[0].error, 'HTTP 503');
    assert.equal(detail.attempts_log[0].response_body, 'no (503)');
    assert.equal(detail.attempts_log.at(-1).response_code, 200);
    // the same webhook-id on every attempt of one delivery
    assert.ok(rx.on('/flaky').filter((r) => r.headers['webhook-id'] === retried.id).length === retried.attempts);
    const sub2 = await must(await admin('GET', `/api/v1/admin/webhooks/${sub.id}`), 200);
    assert.equal(sub2.failed_deliveries, 0);
    assert.equal(sub2.failing_since, null, 'a success clears the failure record');

    // replay: the same id and body again, a fresh signature, as the next attempt
    const before = rx.on('/flaky').length;
    const r = await must(await admin('POST', `/api/v1/admin/webhook-deliveries/${retried.id}/replay`), 202);
    assert.equal(r.id, retried.id);
    const again = await until('the replay', () => rx.on('/flaky').slice(before).find((x) => x.headers['webhook-id'] === retried.id));
    assert.ok(verifySignature(sub.secret, again.headers, again.body));
    assert.equal(again.body, rx.on('/flaky').find((x) => x.headers['webhook-id'] === retried.id).body, 'the same body');
    const replayed = await until('the replay in the log', async () => {
      const d = await must(await admin('GET', `/api/v1/admin/webhook-deliveries/${retried.id}`), 200);
      return d.status === 'succeeded' && d.attempts === retried.attempts + 1 && d;
    });
    assert.equal(replayed.attempts_log.length, retried.attempts + 1);
    expectError(await admin('POST', '/api/v1/admin/webhook-deliveries/whd_0000000000001/replay'), 404, 'NOT_FOUND');
    await must(await admin('DELETE', `/api/v1/admin/webhooks/${sub.id}`), 204);
  });

  it('a rotated secret signs beside the new one during its grace period', async () => {
    const sub = await subscribe('/rotate');
    const rot = await must(await admin('POST', `/api/v1/admin/webhooks/${sub.id}/rotate-secret`, { grace_seconds: 3600 }), 200);
    assert.notEqual(rot.secret, sub.secret);
    assert.ok(rot.previous_secret_expires_at);
    await stockEvent();
    const r = await until('a delivery', () => rx.on('/rotate')[0]);
    const sigs = r.headers['webhook-signature'].split(' ');
    assert.equal(sigs.length, 2, 'both signatures, space-separated');
    assert.ok(verifySignature(rot.secret, { ...r.headers, 'webhook-signature': sigs[0] }, r.body), 'the new secret signs first');
    assert.ok(verifySignature(sub.secret, { ...r.headers, 'webhook-signature': sigs[1] }, r.body), 'the old one still signs');
    const rot2 = await must(await admin('POST', `/api/v1/admin/webhooks/${sub.id}/rotate-secret`, { grace_seconds: 0 }), 200);
    assert.equal(rot2.previous_secret_expires_at, null);
    await stockEvent();
    const r2 = await until('a second delivery', () => rx.on('/rotate')[1]);
    assert.equal(r2.headers['webhook-signature'].split(' ').length, 1, 'no grace: one signature');
    assert.ok(verifySignature(rot2.secret, r2.headers, r2.body));
    assert.equal(verifySignature(rot.secret, r2.headers, r2.body), false);
    await must(await admin('DELETE', `/api/v1/admin/webhooks/${sub.id}`), 204);
  });

  it('redirects are not followed', async () => {
    rx.behaviour.set('/redirect', () => 302);
    const sub = await subscribe('/redirect');
    await stockEvent();
    const [d] = await until('the delivery to fail', async () => {
      const x = await deliveries(sub);
      return x.length === 1 && x[0].status === 'failed' && x;
    });
    assert.equal(d.last_response_code, 302);
    assert.match(d.last_error, /redirects are not followed/);
    assert.equal(rx.on('/redirect-target').length, 0);
    await must(await admin('DELETE', `/api/v1/admin/webhooks/${sub.id}`), 204);
  });

  it('a subscription that keeps failing is disabled, and the admins are told by mail', async () => {
    let down = true;
    rx.behaviour.set('/down', () => (down ? 500 : 200));
    const sub = await subscribe('/down');
    await stockEvent();
    await stockEvent();
    const off = await until('the subscription to be disabled', async () => {
      const s = await must(await admin('GET', `/api/v1/admin/webhooks/${sub.id}`), 200);
      return !s.enabled && s;
    });
    assert.match(off.disabled_reason, /2 deliveries in a row failed every attempt/);
    assert.ok(off.disabled_at);
    const log = await deliveries(sub, '?status=failed');
    assert.equal(log.length, 2);
    assert.ok(log.every((d) => d.attempts === 4 && d.last_response_code === 500), 'the whole schedule was tried: 1 + 3 retries');
    const mail = await must(await admin('GET', `/api/v1/admin/mail?to=${encodeURIComponent(ADMIN_EMAIL)}`), 200);
    const note = mail.data.find((m) => m.subject.includes(sub.id));
    assert.ok(note, 'a mail to the admin names the subscription');
    assert.match(note.subject, /disabled/);
    assert.ok(note.body.includes(rx.base + '/down'));
    // disabled: new events make no deliveries, and a replay is refused
    const before = rx.on('/down').length;
    await stockEvent();
    await sleep(500);
    assert.equal((await deliveries(sub)).length, 2);
    expectError(await admin('POST', `/api/v1/admin/webhook-deliveries/${log[0].id}/replay`), 409, 'CONFLICT');
    // enabled again, the receiver fixed: a replay goes through, the record is clean
    down = false;
    const on = await must(await admin('PATCH', `/api/v1/admin/webhooks/${sub.id}`, { enabled: true }), 200);
    assert.equal(on.enabled, true);
    assert.equal(on.disabled_reason, null);
    assert.equal(on.failed_deliveries, 0);
    await must(await admin('POST', `/api/v1/admin/webhook-deliveries/${log[0].id}/replay`), 202);
    await until('the replay to succeed', async () =>
      (await must(await admin('GET', `/api/v1/admin/webhook-deliveries/${log[0].id}`), 200)).status === 'succeeded');
    assert.ok(rx.on('/down').length > before);
    await must(await admin('DELETE', `/api/v1/admin/webhooks/${sub.id}`), 204);
  });

  it('an account\'s erasure empties what the customer wrote in the delivery log too', async () => {
    const sub = await must(await admin('POST', '/api/v1/admin/webhooks', { url: rx.base + '/cancelled', event_types: ['order.cancelled'] }), 201);
    const wh = await newWarehouse(srv);
    const { variants } = await newProduct(srv, { title: 'Webhook erasure', variants: [{ price: 1200, stock: 5 }], wh });
    const c = await customerWithCart(srv, [[variants[0].id, 1]]);
    const order = await must(await checkout(srv, c.who, { body: { shipping_address: { name: 'Erin Erased', line1: '1 Gone St', city: 'Oslo', postal_code: '0150', country: 'NO' }, payment_method: '4242424242424242' } }), 201);
    const why = `Moving away ${token()}`;
    await must(await api(srv, 'POST', `/api/v1/orders/${order.id}/cancel`, { key: c.key, body: { reason: why } }), 200);
    const [d] = await until('the cancellation delivered', async () => { const l = await deliveries(sub); return l.length && l[0].status === 'succeeded' && l; });
    let one = await must(await admin('GET', `/api/v1/admin/webhook-deliveries/${d.id}`), 200);
    assert.equal(one.payload.data.reason, why, 'the log keeps what was sent');
    await must(await api(srv, 'DELETE', '/api/v1/users/me', { key: c.key, body: { password: c.password } }), 204);
    one = await must(await admin('GET', `/api/v1/admin/webhook-deliveries/${d.id}`), 200);
    assert.equal(one.payload.data.reason, '', 'the reason is gone from the log');
    assert.equal(one.payload.type, 'order.cancelled', 'the rest of the body stays');
    // a replay sends the redacted body
    await must(await admin('POST', `/api/v1/admin/webhook-deliveries/${d.id}/replay`), 202);
    const sent = await until('the replay', () => { const r = rx.on('/cancelled').filter((x) => x.status < 300); return r.length >= 2 && r; });
    assert.ok(!sent.at(-1).body.includes(why));
  });

  it('validates subscriptions with clear 4xx answers', async () => {
    const bad = [
      [{ url: rx.base + '/x', event_types: ['order.exploded'] }, 'event_types'],
      [{ url: rx.base + '/x', event_types: [] }, 'event_types'],
      [{ url: 'ftp://example.com/', event_types: ['order.paid'] }, 'url'],
      [{ url: 'http://user:pw@' + rx.base.slice(7) + '/', event_types: ['order.paid'] }, 'url'],
      [{ url: rx.base + '/x#frag', event_types: ['order.paid'] }, 'url'],
      [{ url: 'http://10.1.2.3/hook', event_types: ['order.paid'] }, 'url'], // private, not on this server's allow-list
      [{ url: 'http://[::1]:8080/', event_types: ['order.paid'] }, 'url'],
      [{ event_types: ['order.paid'] }, 'url'],
      [{ url: rx.base + '/x', event_types: ['order.paid'], colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of bad) expectError(await admin('POST', '/api/v1/admin/webhooks', body), 422, 'VALIDATION_ERROR', field);
    const sub = await subscribe('/v');
    expectError(await admin('PATCH', `/api/v1/admin/webhooks/${sub.id}`, { url: 'http://169.254.169.254/latest/meta-data' }), 422, 'VALIDATION_ERROR', 'url');
    const upd = await must(await admin('PATCH', `/api/v1/admin/webhooks/${sub.id}`, { event_types: ['order.paid', 'order.placed', 'order.paid'] }), 200);
    assert.deepEqual(upd.event_types, ['order.placed', 'order.paid'], 'stored once each, in the documented order');
    expectError(await admin('POST', `/api/v1/admin/webhooks/${sub.id}/rotate-secret`, { grace_seconds: 10 ** 9 }), 422, 'VALIDATION_ERROR', 'grace_seconds');
    expectError(await admin('GET', `/api/v1/admin/webhooks/${sub.id}/deliveries?status=lost`), 422, 'VALIDATION_ERROR', 'status');
    expectError(await admin('GET', '/api/v1/admin/webhooks/wh_bad'), 404, 'NOT_FOUND');
    await must(await admin('DELETE', `/api/v1/admin/webhooks/${sub.id}`), 204);
    expectError(await admin('DELETE', `/api/v1/admin/webhooks/${sub.id}`), 404, 'NOT_FOUND');
    // audited: the create, the refused and the accepted update, the rotation, the delete
    const audit = await must(await admin('GET', `/api/v1/admin/audit?object_type=webhook_subscription&object_id=${sub.id}&limit=100`), 200);
    const results = audit.data.map((e) => e.result).sort();
    for (const status of [200, 201, 204]) assert.ok(results.includes(status), `an entry with ${status}: ${JSON.stringify(results)}`);
  });
});

describe('webhooks without an allow-list', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { if (srv) await srv.stop(); });

  it('refuses loopback, private, link-local, multicast, unspecified, CGNAT and reserved targets', async () => {
    const targets = [
      ['http://127.0.0.1:8080/hook', 'loopback'],
      ['http://127.1/hook', 'neither a dotted IPv4 address nor a name'],
      ['http://2130706433/hook', 'neither a dotted IPv4 address nor a name'],
      ['http://0x7f.0.0.1/hook', 'neither a dotted IPv4 address nor a name'],
      ['http://localhost:8080/hook', 'loopback'],
      ['http://[::1]/hook', 'loopback'],
      ['http://[::ffff:127.0.0.1]/hook', 'loopback'],
      ['http://[::ffff:10.0.0.1]/hook', 'private'],
      ['http://10.0.0.1/hook', 'private'],
      ['http://172.16.5.4/hook', 'private'],
      ['http://192.168.1.1/hook', 'private'],
      ['http://[fd00::1]/hook', 'private'],
      ['http://169.254.169.254/latest/meta-data', 'link-local'],
      ['http://[fe80::1]/hook', 'link-local'],
      ['http://224.0.0.1/hook', 'multicast'],
      ['http://[ff02::1]/hook', 'multicast'],
      ['http://0.0.0.0/hook', 'unspecified'],
      ['http://[::]/hook', 'unspecified'],
      ['http://100.64.0.1/hook', 'CGNAT'],
      ['http://255.255.255.255/hook', 'reserved'],
    ];
    for (const [url, why] of targets) {
      const r = await api(srv, 'POST', '/api/v1/admin/webhooks', { key: true, body: { url, event_types: ['order.paid'] } });
      expectError(r, 422, 'VALIDATION_ERROR', 'url');
      const msg = r.body.error.details.find((d) => d.field === 'url').message;
      assert.ok(msg.includes(why), `${url}: ${msg}`);
    }
    const list = await api(srv, 'GET', '/api/v1/admin/webhooks', { key: true });
    assert.deepEqual(list.body.data, []);
  });
});
