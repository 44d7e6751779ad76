// Circuit breakers (src/core/breaker.c) around the Stripe-style gateway, webhook
// receivers and the SMTP relay, against real loopback services that fail: the
// payment stub (lib/stripe_stub.js) taken down, an http receiver answering 503,
// the SMTP stub (lib/smtp_stub.js) answering 451.
// Settings for the test: 2 consecutive failures open a breaker (1 for SMTP),
// 5 s of cool-down (8 s for SMTP): long enough for the steps done while open.
// Contract: docs/orders.md ("Gateway outages"), docs/webhooks.md,
// docs/internals/breaker.md.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { token, sleep } from './lib/util.js';
import { startStripeStub } from './lib/stripe_stub.js';
import { ADMIN, ADDRESS, must, checkout, idemKey, warehouse, product, stockOf, guestCart, listOrders, eventually, mailTo } from './lib/orders_util.js';
import { startSmtpStub } from './lib/smtp_stub.js';
import { register } from './lib/auth_util.js';

const SECRET_KEY = 'sk_test_x';

/** The value of the sample NAME{breaker="WHICH"} in /metrics, or undefined. */
async function sample(srv, name, which) {
  const r = await api(srv, 'GET', '/metrics');
  assert.equal(r.status, 200);
  const want = `${name}{breaker="${which}"} `;
  const line = r.text.split('\n').find((l) => l.startsWith(want));
  return line === undefined ? undefined : Number(line.slice(want.length));
}

async function readyBreakers(srv) {
  const r = await api(srv, 'GET', '/readyz');
  assert.equal(r.status, 200, 'an open breaker leaves the node ready');
  assert.equal(r.body.status, 'ready');
  return r.body.breakers;
}

describe('circuit breakers', () => {
  let srv, stub, rx;
  let rxDown = true;
  const rxSeen = [];
  const fx = {};

  before(async () => {
    stub = await startStripeStub({ secretKey: SECRET_KEY });
    rx = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const status = rxDown ? 503 : 200;
        rxSeen.push({ id: req.headers['webhook-id'], status, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.end(String(status));
      });
    });
    await new Promise((r) => rx.listen(0, '127.0.0.1', r));
    srv = await startServer({
      env: {
        SOUK_PAYMENT_GATEWAY: 'stripe', SOUK_STRIPE_SECRET_KEY: SECRET_KEY,
        SOUK_STRIPE_API_BASE: stub.url, SOUK_STRIPE_WEBHOOK_SECRET: 'whsec_test',
        SOUK_BREAKER_FAILURES: '2', SOUK_BREAKER_COOLDOWN_S: '5',
        SOUK_WEBHOOKS_ALLOW_TARGETS: '127.0.0.1/32',
        SOUK_WEBHOOKS_RETRY_SCHEDULE: '0.1,0.1,0.1,0.1',
      },
    });
    const wh = await warehouse(srv);
    const p = await product(srv, { title: `Breaker goods ${token()}`, variants: [{ price: 1500, stock: 50 }], wh });
    fx.v = p.variants[0].id;
    fx.wh = wh.id;
  });

  after(async () => {
    if (srv) await srv.stop();
    if (stub) await stub.stop();
    if (rx) await new Promise((r) => rx.close(r));
  });

  it('a failing gateway opens the breaker: checkout answers 503 + Retry-After without calling it, then a probe closes it', async () => {
    assert.equal(await sample(srv, 'souk_breaker_state', 'payments'), 0, 'closed at start');
    const body = (tag) => ({ email: `${tag}-${token()}@example.com`, shipping_address: ADDRESS, payment_method: 'pm_card_visa' });
    // two checkouts while the provider is down: each is the existing "unreachable" 503 (order kept, resumable)
    const failed = [];
    await stub.down();
    try {
      for (let i = 0; i < 2; i++) {
        const g = await guestCart(srv, [[fx.v, 1]]);
        const key = idemKey('down');
        const b = body('down');
        expectError(await checkout(srv, g, { key, body: b }), 503, 'UNAVAILABLE');
        failed.push({ g, key, b });
      }
    } finally {
      await stub.up();
    }
    assert.equal(await sample(srv, 'souk_breaker_state', 'payments'), 2, 'open after 2 failures');
    assert.equal(await sample(srv, 'souk_breaker_opens_total', 'payments'), 1);
    assert.deepEqual((await readyBreakers(srv)).payments, { state: 'open', opens: 1 });

    // the provider is back, but the breaker is open: refused at once, nothing reaches the provider,
    // nothing is placed or reserved
    const calls = stub.requests.length;
    const before = await stockOf(srv, fx.v);
    const g = await guestCart(srv, [[fx.v, 2]]);
    const key = idemKey('open');
    const b = body('open');
    const r = await checkout(srv, g, { key, body: b });
    expectError(r, 503, 'UNAVAILABLE');
    const wait = Number(r.headers.get('retry-after'));
    assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 5, `Retry-After within the cool-down: ${r.headers.get('retry-after')}`);
    assert.equal(stub.requests.length, calls, 'the provider was not called');
    assert.deepEqual(await stockOf(srv, fx.v), before, 'nothing reserved');
    assert.deepEqual(await listOrders(srv, ADMIN, `q=${encodeURIComponent(b.email)}`), [], 'no order made');

    // after the cool-down the next checkout is the probe; it succeeds and closes the breaker
    await sleep(wait * 1000 + 100);
    const o = must(await checkout(srv, g, { key, body: b }), 201);
    assert.deepEqual([o.state, o.payment_status], ['paid', 'succeeded']);
    assert.equal(await sample(srv, 'souk_breaker_state', 'payments'), 0, 'closed by the probe');
    assert.deepEqual((await readyBreakers(srv)).payments, { state: 'closed', opens: 1 });
    // the checkouts refused while the provider was down resume their orders with their keys
    for (const f of failed) {
      const again = must(await checkout(srv, f.g, { key: f.key, body: f.b }), 201);
      assert.equal(again.state, 'paid');
      assert.equal((await listOrders(srv, ADMIN, `q=${encodeURIComponent(f.b.email)}`)).length, 1, 'one order per key');
    }
  });

  it('a failing webhook receiver opens its host\'s breaker; the deliveries arrive once it recovers', async () => {
    const host = 'webhook:127.0.0.1';
    const base = `http://127.0.0.1:${rx.address().port}`;
    const sub = must(await api(srv, 'POST', '/api/v1/admin/webhooks', { key: true, body: { url: `${base}/hook`, event_types: ['stock.changed'] } }), 201);
    const events = 4;
    for (let i = 1; i <= events; i++)
      must(await api(srv, 'PUT', `/api/v1/variants/${fx.v}/stock/${fx.wh}`, { key: true, body: { on_hand: 100 + i, reason: 'recount' } }), 200);
    await eventually(async () => (await sample(srv, 'souk_breaker_state', host)) === 2, 'the host breaker opens', 15_000);
    assert.ok((await sample(srv, 'souk_breaker_opens_total', host)) >= 1);
    assert.equal((await readyBreakers(srv))[host].state, 'open');
    rxDown = false; // the receiver recovers
    const deliveries = async () => must(await api(srv, 'GET', `/api/v1/admin/webhooks/${sub.id}/deliveries?limit=100`, { key: true }), 200).data;
    await eventually(async () => (await deliveries()).every((d) => d.status === 'succeeded'), 'every delivery succeeds', 30_000);
    const list = await deliveries();
    assert.ok(list.length >= events, `one delivery per event at least (${list.length})`);
    const arrived = new Set(rxSeen.filter((x) => x.status === 200).map((x) => x.id));
    for (const d of list) assert.ok(arrived.has(d.id), `delivery ${d.id} arrived`);
    assert.equal(await sample(srv, 'souk_breaker_state', host), 0, 'closed again');
    // while the breaker was open the attempts were deferred, not spent: none failed for good
    const failures = rxSeen.filter((x) => x.status === 503).length;
    assert.ok(failures >= 2, `the receiver saw the failures that opened the breaker (${failures})`);
  });
});

describe('circuit breaker of the SMTP relay', () => {
  let srv, smtp;
  before(async () => {
    smtp = await startSmtpStub({ fail: true });
    srv = await startServer({
      env: { SOUK_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SOUK_BREAKER_FAILURES: '1', SOUK_BREAKER_COOLDOWN_S: '8' },
    });
  });
  after(async () => {
    if (srv) await srv.stop();
    if (smtp) await smtp.stop();
  });

  it('a relay answering 451 opens it: deliveries are deferred without contacting the relay, and go out once it is back', async () => {
    const first = await register(srv);
    assert.equal((await api(srv, 'POST', '/api/v1/auth/password-reset', { body: { email: first.email } })).status, 202);
    await eventually(async () => (await sample(srv, 'souk_breaker_state', 'smtp')) === 2, 'the smtp breaker opens', 15_000);
    const tried = smtp.attempts;
    // more mail while it is open: deferred, the relay not contacted, the rows pending with the reason
    const later = [await register(srv), await register(srv)];
    for (const a of later)
      assert.equal((await api(srv, 'POST', '/api/v1/auth/password-reset', { body: { email: a.email } })).status, 202);
    await eventually(async () => {
      for (const a of later) {
        const rows = await mailTo(srv, a.email);
        if (!rows.some((m) => /circuit open/.test(m.last_error || ''))) return false;
      }
      return true;
    }, 'the later mails deferred by the open breaker', 15_000);
    assert.equal(smtp.attempts, tried, 'the relay was not contacted while the breaker was open');
    for (const a of later)
      for (const m of await mailTo(srv, a.email)) assert.equal(m.status, 'pending', 'deferred, not failed');
    // the relay recovers: after the cool-down one delivery probes it, and the others follow
    smtp.fail = false;
    await eventually(async () => {
      for (const a of later) if (!(await mailTo(srv, a.email)).some((m) => m.status === 'sent' && /reset/i.test(m.subject))) return false;
      return true;
    }, 'the deferred mails sent', 30_000);
    assert.equal(await sample(srv, 'souk_breaker_state', 'smtp'), 0, 'closed by the probe');
    assert.ok(smtp.messages.length >= later.length);
  });
});
