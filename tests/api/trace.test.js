// W3C Trace Context (docs/internals/http.md "Trace context", core/trace.h):
//  - a valid incoming traceparent is continued: the answer's traceparent and the request's
//    log line carry its trace id, with a span id of the server's own;
//  - a malformed one (or several) is ignored and a new trace is started, logged and answered;
//  - a webhook delivery caused by a request carries a child traceparent of that request's
//    trace (the trace id travels with the event and the delivery job).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { token, sleep } from './lib/util.js';

const TP_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const hex = (n) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, '0')).join('');

async function until(what, fn, timeoutMs = 20000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('trace context', () => {
  let srv, rx;
  const got = [];

  before(async () => {
    rx = createServer((req, res) => {
      req.resume();
      req.on('end', () => { got.push(req.headers); res.writeHead(200); res.end('ok'); });
    });
    await new Promise((r) => rx.listen(0, '127.0.0.1', r));
    srv = await startServer({ env: { SOUK_WEBHOOKS_ALLOW_TARGETS: '127.0.0.1/32' } });
  });
  after(async () => {
    if (srv) await srv.stop();
    if (rx) await new Promise((r) => rx.close(r));
  });

  /** The "request" log line of request id RID (waits for it: logs are written after the answer). */
  const requestLog = (rid) => until(`the log line of ${rid}`, () => srv.logs.find((l) => l.request_id === rid && l.message === 'request'));

  it('continues a valid traceparent: in the answer and the log line', async () => {
    const trace = hex(16);
    const parent = hex(8);
    for (const [method, path, body] of [['GET', '/api/v1/products?limit=1'], ['POST', '/api/v1/carts', {}]]) {
      const rid = `trace-${token()}`;
      const r = await api(srv, method, path, { headers: { traceparent: `00-${trace}-${parent}-01`, 'X-Request-Id': rid }, body });
      assert.ok(r.status < 300, `${method} ${path}: ${r.status}`);
      const m = TP_RE.exec(r.headers.get('traceparent') || '');
      assert.ok(m, `answer's traceparent: ${r.headers.get('traceparent')}`);
      assert.equal(m[1], trace, 'the same trace');
      assert.notEqual(m[2], parent, "the server's own span, not the caller's");
      assert.equal(m[3], '01', 'sampled passed on');
      const line = await requestLog(rid);
      assert.equal(line.trace_id, trace);
      assert.equal(line.span_id, m[2]);
    }
  });

  it('replaces a malformed traceparent with a new trace', async () => {
    const parent = hex(8);
    const bad = [
      `00-${'0'.repeat(32)}-${parent}-01`, // all-zero trace id
      `00-${hex(16)}-${'0'.repeat(16)}-01`, // all-zero parent id
      `00-${hex(16).toUpperCase()}-${parent}-01`, // upper case
      `ff-${hex(16)}-${parent}-01`, // version ff
      `00-${hex(16)}-${parent}-01-extra`, // version 00 is exactly 55 characters
      `00-${hex(15)}-${parent}-01`, // short trace id
      'nonsense',
    ];
    const seen = new Set();
    for (const tp of bad) {
      const rid = `bad-${token()}`;
      const r = await api(srv, 'GET', '/api/v1/products?limit=1', { headers: { traceparent: tp, 'X-Request-Id': rid } });
      assert.equal(r.status, 200);
      const m = TP_RE.exec(r.headers.get('traceparent') || '');
      assert.ok(m, `a new traceparent for ${tp}`);
      assert.ok(!tp.includes(m[1]), `${tp}: not continued`);
      assert.notEqual(m[1], '0'.repeat(32));
      assert.ok(!seen.has(m[1]), 'each request its own trace');
      seen.add(m[1]);
      const line = await requestLog(rid);
      assert.equal(line.trace_id, m[1]);
    }
    // without one: a new trace too
    const r = await api(srv, 'GET', '/api/v1/products?limit=1');
    assert.match(r.headers.get('traceparent') || '', TP_RE);
  });

  it('a webhook delivery carries a child traceparent of the request that caused it', async () => {
    const admin = (method, path, body, headers = {}) => api(srv, method, path, { key: true, body, headers });
    const p = await admin('POST', '/api/v1/products', {
      title: `Traced ${token()}`, status: 'active', variants: [{ sku: `TR-${token()}`, prices: [{ amount: 1000, currency: 'USD' }] }],
    });
    assert.equal(p.status, 201, p.text);
    const wh = await admin('POST', '/api/v1/warehouses', { code: `tr${token()}`.slice(0, 30).replace(/[^A-Za-z0-9_-]/g, ''), name: 'Traced' });
    assert.equal(wh.status, 201, wh.text);
    const sub = await admin('POST', '/api/v1/admin/webhooks', { url: `http://127.0.0.1:${rx.address().port}/hook`, event_types: ['stock.changed'] });
    assert.equal(sub.status, 201, sub.text);
    const trace = hex(16);
    const parent = hex(8);
    const r = await admin('PUT', `/api/v1/variants/${p.body.variants[0].id}/stock/${wh.body.id}`, { on_hand: 5, reason: 'recount' },
      { traceparent: `00-${trace}-${parent}-01` });
    assert.equal(r.status, 200, r.text);
    const mine = TP_RE.exec(r.headers.get('traceparent'))[2];
    const h = await until('a delivery', () => got.find((x) => x.traceparent && x.traceparent.includes(trace)));
    const m = TP_RE.exec(h.traceparent);
    assert.ok(m, h.traceparent);
    assert.equal(m[1], trace, 'the same trace id');
    assert.notEqual(m[2], parent);
    assert.notEqual(m[2], mine, 'a child span of its own');
    // the delivery job's log lines (if any) are under the same trace; the request's certainly is
    assert.ok(srv.logs.some((l) => l.trace_id === trace && l.message === 'request'));
  });
});
