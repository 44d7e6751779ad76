// Platform behaviour: health, metrics, OpenAPI, request ids, errors, security
// headers, CORS, body limits, content types, graceful shutdown.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';

const ORIGIN = 'https://shop.example';
const here = path.dirname(fileURLToPath(import.meta.url));

// ---- Prometheus text format parser (enough for the checks below) ----
function parseLabels(s) {
  const labels = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  let m;
  let pos = 0;
  while (pos < s.length && (m = re.exec(s))) {
    labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    pos = re.lastIndex;
  }
  assert.equal(s.slice(pos).trim(), '', `unparsable label set {${s}}`);
  return labels;
}

function parseMetrics(text) {
  const types = new Map();
  const samples = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
      if (m && m[1] === 'TYPE') {
        assert.match(m[3], /^(counter|gauge|histogram|summary|untyped)$/, `line ${i + 1}: bad TYPE: ${line}`);
        assert.ok(!types.has(m[2]), `line ${i + 1}: duplicate TYPE for ${m[2]}`);
        types.set(m[2], m[3]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    assert.ok(m, `line ${i + 1} is not a valid Prometheus sample: ${JSON.stringify(line)}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    assert.ok(m[3] === 'NaN' || !Number.isNaN(value), `line ${i + 1}: bad value ${m[3]}`);
    samples.push({ name: m[1], labels: m[2] ? parseLabels(m[2]) : {}, value });
  }
  return { types, samples };
}

const hasLabelValue = (labels, v) => Object.values(labels).includes(v);

// Per counter family: the sum of its samples that carry the label value.
function counterTotals(metrics, labelValue) {
  const totals = new Map();
  for (const s of metrics.samples) {
    const family = metrics.types.has(s.name) ? s.name : s.name.replace(/_total$/, '');
    if (metrics.types.get(family) === 'counter' && hasLabelValue(s.labels, labelValue)) {
      totals.set(family, (totals.get(family) ?? 0) + s.value);
    }
  }
  return totals;
}

async function getMetrics(srv) {
  const r = await api(srv, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain;\s*version=0\.0\.4/);
  return { raw: r.text, ...parseMetrics(r.text) };
}

describe('platform', () => {
  let srv;
  before(async () => {
    srv = await startServer({ products: 5, seed: 3, env: { SOUK_CORS_ORIGINS: `${ORIGIN},https://admin.example`, SOUK_MAX_BODY: '1024' } });
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('GET /healthz', async () => {
    const r = await api(srv, 'GET', '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: 'ok' });
  });

  it('GET /readyz', async () => {
    const r = await api(srv, 'GET', '/readyz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: 'ready', checks: { database: 'ok' }, breakers: {} }, 'the test gateway has no breaker');
  });

  it('serves the OpenAPI 3.1 document (the same as src/app/openapi.json)', async () => {
    const r = await api(srv, 'GET', '/api/v1/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, '3.1.0');
    for (const p of ['/healthz', '/readyz', '/metrics', '/api/v1/openapi.json', '/api/v1/products', '/api/v1/products/{id_or_slug}',
      '/api/v1/products/{id}/variants', '/api/v1/variants/{id}', '/api/v1/variants/{id}/prices/{currency}', '/api/v1/categories',
      '/api/v1/categories/{id}', '/api/v1/brands', '/api/v1/brands/{id}', '/api/v1/vendors', '/api/v1/vendors/{id}']) {
      assert.ok(r.body.paths[p], `document lacks path ${p}`);
    }
    const file = path.resolve(here, '../../src/app/openapi.json');
    if (existsSync(file)) {
      assert.deepEqual(r.body, JSON.parse(readFileSync(file, 'utf8')), 'served document differs from src/app/openapi.json');
    }
  });

  it('metrics: valid Prometheus text with per-route counters and latency histograms', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await api(srv, 'GET', '/healthz')).status, 200);
    const list = await api(srv, 'GET', '/api/v1/products?limit=2');
    assert.equal(list.status, 200);
    const pid = list.body.data[0].id;
    assert.equal((await api(srv, 'GET', `/api/v1/products/${pid}`)).status, 200);

    const m1 = await getMetrics(srv);
    const before = counterTotals(m1, '/healthz');
    assert.ok(before.size > 0, `no counter sample with a label value "/healthz" in:\n${m1.raw.slice(0, 3000)}`);
    assert.ok([...before.values()].some((v) => v >= 3), `healthz counters ${JSON.stringify([...before])} < 3`);
    assert.ok(!m1.raw.includes(pid), 'metrics must be labelled by route pattern, not by concrete path (product id found)');

    for (let i = 0; i < 5; i++) await api(srv, 'GET', '/healthz');
    let deltas = [];
    for (let tries = 0; tries < 20; tries++) {
      const now = counterTotals(await getMetrics(srv), '/healthz');
      deltas = [...before].map(([f, v]) => [f, (now.get(f) ?? 0) - v]);
      if (deltas.some(([, d]) => d >= 5)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(deltas.some(([, d]) => d === 5), `a per-route request counter must grow by exactly 5 after 5 requests: ${JSON.stringify(deltas)}`);

    // histogram families
    const m = await getMetrics(srv);
    const hists = [...m.types].filter(([, t]) => t === 'histogram').map(([n]) => n);
    assert.ok(hists.length > 0, 'no histogram metric family');
    let sawRoute = false;
    for (const h of hists) {
      const series = new Map();
      for (const s of m.samples) {
        if (s.name !== `${h}_bucket`) continue;
        assert.ok('le' in s.labels, `${h}_bucket sample without le label`);
        const { le, ...rest } = s.labels;
        const k = JSON.stringify(Object.entries(rest).sort());
        if (!series.has(k)) series.set(k, { labels: rest, buckets: [] });
        series.get(k).buckets.push({ le: le === '+Inf' ? Infinity : Number(le), v: s.value });
      }
      assert.ok(series.size > 0, `histogram ${h} has no _bucket samples`);
      for (const { labels, buckets } of series.values()) {
        const sorted = [...buckets].sort((a, b) => a.le - b.le);
        assert.equal(sorted.at(-1).le, Infinity, `${h}${JSON.stringify(labels)} lacks le="+Inf"`);
        assert.ok(sorted.length >= 2, `${h} needs more than one bucket`);
        for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].v >= sorted[i - 1].v, `${h} buckets not cumulative`);
        const match = (name) => m.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
        const count = match(`${h}_count`);
        const sum = match(`${h}_sum`);
        assert.ok(count, `${h}${JSON.stringify(labels)} lacks _count`);
        assert.ok(sum, `${h}${JSON.stringify(labels)} lacks _sum`);
        assert.equal(count.value, sorted.at(-1).v, `${h}_count must equal the +Inf bucket`);
        assert.ok(sum.value >= 0);
        if (hasLabelValue(labels, '/healthz') && count.value >= 8) sawRoute = true;
      }
    }
    assert.ok(sawRoute, 'no latency histogram series labelled with route "/healthz" counting the requests made');
  });

  it('echoes a valid X-Request-Id and generates one otherwise', async () => {
    const mine = 'abc.DEF-123_xyz';
    let r = await api(srv, 'GET', '/healthz', { headers: { 'X-Request-Id': mine } });
    assert.equal(r.headers.get('x-request-id'), mine);
    r = await api(srv, 'GET', '/api/v1/nope', { headers: { 'X-Request-Id': mine } });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.request_id, mine);

    const long64 = 'a'.repeat(64);
    r = await api(srv, 'GET', '/healthz', { headers: { 'X-Request-Id': long64 } });
    assert.equal(r.headers.get('x-request-id'), long64);

    for (const bad of ['a'.repeat(65), 'has space', 'semi;colon', 'ünï']) {
      const enc = /^[\x20-\x7e]*$/.test(bad) ? bad : encodeURIComponent(bad);
      r = await api(srv, 'GET', '/healthz', { headers: { 'X-Request-Id': enc } });
      const got = r.headers.get('x-request-id');
      assert.notEqual(got, enc, `invalid request id ${JSON.stringify(bad)} must not be echoed`);
      assert.match(got, /^req_[A-Za-z0-9]+$/);
    }
    const a = await api(srv, 'GET', '/healthz');
    const b = await api(srv, 'GET', '/healthz');
    assert.match(a.headers.get('x-request-id'), /^req_[A-Za-z0-9]+$/);
    assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'), 'generated ids must be unique');
  });

  it('unknown routes → 404 NOT_FOUND error body', async () => {
    for (const p of ['/api/v1/nope', '/nope', '/api/v2/products', '/api/v1/products/prod_0000000000000/nope']) {
      const r = await api(srv, 'GET', p);
      expectError(r, 404, 'NOT_FOUND');
      assert.deepEqual(r.body.error.details, []);
      assert.equal(typeof r.body.error.message, 'string');
      assert.ok(r.body.error.message.length > 0);
      assert.ok(Math.abs(Date.parse(r.body.error.timestamp) - Date.now()) < 5 * 60_000, 'error timestamp is now');
    }
  });

  it('wrong method → 405 METHOD_NOT_ALLOWED with Allow', async () => {
    let r = await api(srv, 'DELETE', '/healthz');
    expectError(r, 405, 'METHOD_NOT_ALLOWED');
    assert.match(r.headers.get('allow'), /\bGET\b/);
    assert.doesNotMatch(r.headers.get('allow'), /\bDELETE\b/);

    r = await api(srv, 'PUT', '/api/v1/products', { key: true, body: {} });
    expectError(r, 405, 'METHOD_NOT_ALLOWED');
    const allow = r.headers.get('allow').split(',').map((s) => s.trim());
    assert.ok(allow.includes('GET') && allow.includes('POST'), `Allow: ${allow}`);
    assert.ok(!allow.includes('PUT'));

    r = await api(srv, 'POST', '/api/v1/variants/var_0000000000000', { key: true, body: {} });
    expectError(r, 405, 'METHOD_NOT_ALLOWED');
    const allow2 = r.headers.get('allow').split(',').map((s) => s.trim());
    assert.ok(allow2.includes('PATCH') && allow2.includes('DELETE'), `Allow: ${allow2}`);
  });

  it('security headers on success and error responses', async () => {
    for (const p of ['/api/v1/products', '/api/v1/nope', '/api/v1/openapi.json', '/healthz']) {
      const r = await api(srv, 'GET', p);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', p);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', p);
      if (p.startsWith('/api/')) {
        assert.equal(r.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'", p);
      }
    }
  });

  it('errors carry Cache-Control: no-store', async () => {
    const r = await api(srv, 'GET', '/api/v1/products/prod_0000000000000');
    expectError(r, 404, 'NOT_FOUND');
    assert.equal(r.headers.get('cache-control'), 'no-store');
  });

  it('CORS: allowed origin gets Access-Control-Allow-Origin and Vary: Origin', async () => {
    const r = await api(srv, 'GET', '/api/v1/products?limit=1', { headers: { Origin: ORIGIN } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(r.headers.get('vary') || '', /\bOrigin\b/i);

    const r2 = await api(srv, 'GET', '/api/v1/products?limit=1', { headers: { Origin: 'https://admin.example' } });
    assert.equal(r2.headers.get('access-control-allow-origin'), 'https://admin.example');
  });

  it('CORS: other origins get no CORS headers', async () => {
    for (const o of ['https://evil.example', 'https://shop.example.evil', 'http://shop.example', 'null']) {
      const r = await api(srv, 'GET', '/api/v1/products?limit=1', { headers: { Origin: o } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('access-control-allow-origin'), null, o);
      assert.equal(r.headers.get('access-control-allow-credentials'), null, o);
    }
  });

  it('CORS preflight: allowed origin → 204, other origin → 403', async () => {
    const r = await api(srv, 'OPTIONS', '/api/v1/products', {
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
    });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(r.headers.get('vary') || '', /\bOrigin\b/i);
    const methods = (r.headers.get('access-control-allow-methods') || '').split(',').map((s) => s.trim().toUpperCase());
    assert.ok(methods.includes('POST') && methods.includes('GET'), `Allow-Methods: ${methods}`);
    const hdrs = (r.headers.get('access-control-allow-headers') || '').split(',').map((s) => s.trim().toLowerCase());
    assert.ok(hdrs.includes('authorization') && hdrs.includes('content-type'), `Allow-Headers: ${hdrs}`);
    assert.match(r.headers.get('access-control-max-age') || '', /^[1-9][0-9]*$/);

    const bad = await api(srv, 'OPTIONS', '/api/v1/products', {
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expectError(bad, 403, 'FORBIDDEN');
    assert.equal(bad.headers.get('access-control-allow-origin'), null);
  });

  it('body larger than SOUK_MAX_BODY → 413 PAYLOAD_TOO_LARGE', async () => {
    const big = { title: 'Big', description: 'x'.repeat(2000) };
    const r = await api(srv, 'POST', '/api/v1/products', { key: true, body: big });
    expectError(r, 413, 'PAYLOAD_TOO_LARGE');
    const small = await api(srv, 'POST', '/api/v1/products', { key: true, body: { title: 'Small', description: 'x'.repeat(500) } });
    assert.equal(small.status, 201, small.text);
  });

  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    for (const raw of ['{"title": ', '{title: "x"}', '{"title":"x"} trailing', '', '{"title":"x",}', '\u00ff\u00fe']) {
      const r = await api(srv, 'POST', '/api/v1/products', { key: true, rawBody: raw, headers: { 'Content-Type': 'application/json' } });
      expectError(r, 400, 'MALFORMED_JSON');
    }
  });

  it('nesting depth > 32 → 400 MALFORMED_JSON', async () => {
    const deep = '{"title":"x","attributes":{"a":' + '['.repeat(40) + ']'.repeat(40) + '}}';
    const r = await api(srv, 'POST', '/api/v1/products', { key: true, rawBody: deep, headers: { 'Content-Type': 'application/json' } });
    expectError(r, 400, 'MALFORMED_JSON');
  });

  it('wrong Content-Type → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const json = JSON.stringify({ title: 'Typed' });
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const r = await api(srv, 'POST', '/api/v1/products', { key: true, rawBody: json, headers: { 'Content-Type': ct } });
      expectError(r, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    const ok = await api(srv, 'POST', '/api/v1/products', { key: true, rawBody: json, headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    assert.equal(ok.status, 201, ok.text);
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM → exit code 0', async () => {
    const srv = await startServer({});
    try {
      const r = await api(srv, 'GET', '/healthz');
      assert.equal(r.status, 200);
      assert.match(srv.adminKey, /^sk_/, 'first serve on a fresh database prints the admin key');
    } finally {
      const code = await srv.stop();
      assert.equal(code, 0, `exit code after SIGTERM:\n${srv.stderr.slice(-2000)}`);
    }
  });
});
