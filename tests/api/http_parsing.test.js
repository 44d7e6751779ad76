// HTTP/1.1 message parsing per RFC 9112 at the socket level: hand-written
// request bytes for what fetch would never send. Framing (§6.3): several
// Content-Length fields, Content-Length with Transfer-Encoding → 400 and the
// connection closed, so nothing after the body can be read as a request.
// Host (§3.2): required in HTTP/1.1, once. The target: an encoded slash (%2F)
// is no path separator, and dot segments never reach another route than the
// literal path names. No 5xx, no crash, and ordinary requests keep working.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { rawExchange } from './lib/raw.js';

const CRLF = '\r\n';
/** A request head: LINES are the request line and field lines. */
const head = (...lines) => lines.join(CRLF) + CRLF + CRLF;

/** Asserts the standard error body with STATUS and CODE; returns the message. */
function assertError(res, status, code, what) {
  assert.ok(res, `${what}: no response`);
  assert.equal(res.status, status, `${what}: status ${res.status}: ${res.body.slice(0, 300)}`);
  assert.ok(res.json && res.json.error, `${what}: not the standard error body: ${res.body.slice(0, 300)}`);
  const e = res.json.error;
  assert.equal(e.code, code, `${what}: error code`);
  assert.equal(typeof e.message, 'string');
  assert.ok(Array.isArray(e.details));
  assert.equal(e.request_id, res.headers.get('x-request-id'), `${what}: request_id is the X-Request-Id`);
  assert.match(res.headers.get('cache-control') || '', /no-store/, `${what}: no-store`);
  return e.message;
}

/** Asserts that X got exactly one answer, a 400, and the server closed the connection after it. */
function assertRefusedAndClosed(x, what, { ours = true } = {}) {
  assert.equal(x.error, null, `${what}: socket error ${x.error}`);
  assert.equal(x.responses.length, 1, `${what}: expected one response, got ${x.responses.length}:\n${x.raw.slice(0, 1500)}`);
  const res = x.responses[0];
  assert.equal(res.status, 400, `${what}: ${res.status} ${res.body.slice(0, 300)}`);
  if (ours) assertError(res, 400, 'BAD_REQUEST', what);
  assert.match(res.headers.get('connection') || '', /close/i, `${what}: Connection: close`);
  assert.ok(x.closed, `${what}: the server must close the connection`);
  return res;
}

describe('HTTP/1.1 parsing (raw sockets)', () => {
  let srv;
  before(async () => {
    srv = await startServer({ products: 3, seed: 5 });
  });
  after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'clean exit after all of this');
  });

  const smuggled = head('GET /healthz HTTP/1.1', 'Host: a');

  it('control: pipelined requests on one keep-alive connection are all answered', async () => {
    const body = '{}';
    const x = await rawExchange(srv, head('GET /healthz HTTP/1.1', 'Host: a')
      + head('POST /api/v1/carts HTTP/1.1', 'Host: a', 'Content-Type: application/json', `Content-Length: ${body.length}`) + body
      + head('HEAD /api/v1/products?limit=1 HTTP/1.1', 'Host: a')
      + head('GET /api/v1/nope HTTP/1.1', 'Host: a')
      + head('GET /api/v1/products?limit=1 HTTP/1.1', 'Host: a'), { responses: 5, methods: ['GET', 'POST', 'HEAD', 'GET', 'GET'] });
    assert.deepEqual(x.responses.map((r) => r.status), [200, 201, 200, 404, 200], x.raw.slice(0, 2000));
    for (const r of x.responses) {
      assert.match(r.headers.get('connection') || '', /keep-alive/i, `${r.status}: errors and 201s keep the connection too`);
      assert.ok(r.headers.has('content-length'), `${r.status}: a known length`);
    }
    assert.equal(x.responses[2].headers.get('content-length'), String(Buffer.byteLength(x.responses[4].body)), 'HEAD: the length of the GET');
    assert.equal(x.closed, false, 'the connection stays open');
    const chunked = await rawExchange(srv, head('POST /api/v1/carts HTTP/1.1', 'Host: a', 'Content-Type: application/json',
      'Transfer-Encoding: chunked') + `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`, { responses: 1 });
    assert.equal(chunked.responses[0]?.status, 201, chunked.raw.slice(0, 800));
  });

  it('two differing Content-Length fields → 400, closed; nothing after is read as a request', async () => {
    for (const [a, b] of [[3, 5], [5, 3], [0, smuggled.length]]) {
      const bodyLen = Math.max(a, b);
      const body = bodyLen === smuggled.length ? smuggled : 'x'.repeat(bodyLen);
      const x = await rawExchange(srv, head('POST /api/v1/carts HTTP/1.1', 'Host: a', 'Content-Type: application/json',
        `Content-Length: ${a}`, `Content-Length: ${b}`) + body + smuggled);
      const res = assertRefusedAndClosed(x, `Content-Length ${a} then ${b}`);
      assert.match(res.json.error.message, /Content-Length/);
    }
  });

  it('identical duplicate Content-Length fields are refused too (documented choice)', async () => {
    const x = await rawExchange(srv, head('POST /api/v1/carts HTTP/1.1', 'Host: a', 'Content-Type: application/json',
      'Content-Length: 2', 'content-length: 2') + '{}' + smuggled);
    assertRefusedAndClosed(x, 'Content-Length 2 twice');
  });

  it('Content-Length with Transfer-Encoding → 400, closed (either order)', async () => {
    const chunks = `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`;
    for (const fields of [['Content-Length: 4', 'Transfer-Encoding: chunked'], ['Transfer-Encoding: chunked', 'Content-Length: 40']]) {
      const x = await rawExchange(srv, head('POST /api/v1/carts HTTP/1.1', 'Host: a', 'Content-Type: application/json', ...fields)
        + chunks + smuggled);
      const res = assertRefusedAndClosed(x, fields.join(' + '));
      assert.match(res.json.error.message, /Transfer-Encoding/);
    }
  });

  it('Transfer-Encoding twice, or in HTTP/1.0 → 400, closed', async () => {
    const chunks = `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`;
    let x = await rawExchange(srv, head('POST /api/v1/carts HTTP/1.1', 'Host: a', 'Content-Type: application/json',
      'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked') + chunks + smuggled);
    assertRefusedAndClosed(x, 'Transfer-Encoding twice');
    x = await rawExchange(srv, head('POST /api/v1/carts HTTP/1.0', 'Content-Type: application/json',
      'Transfer-Encoding: chunked') + chunks + smuggled);
    assertRefusedAndClosed(x, 'Transfer-Encoding in HTTP/1.0');
  });

  it('a body over h2o\'s own entity limit gets the standard 413, not h2o\'s plain text (found by the HTTP fuzzer)', async () => {
    /* h2o refuses a Content-Length over its limit (4x SOUK_MAX_BODY, at least twice the largest route
     * limit) before souk sees the request; it must still be the standard error, with our request id */
    for (const [what, rid] of [['its own X-Request-Id', 'fz-mine-1'], ['no X-Request-Id', null]]) {
      const x = await rawExchange(srv, head('POST /api/v1/products HTTP/1.1', 'Host: a', 'Content-Type: application/json',
        'Content-Length: 1000000000', ...(rid ? [`X-Request-Id: ${rid}`] : [])) + '{"title":', { responses: 1 });
      assert.equal(x.responses.length, 1, `${what}: ${x.raw.slice(0, 500)}`);
      const res = x.responses[0];
      assertError(res, 413, 'PAYLOAD_TOO_LARGE', what);
      if (rid) assert.equal(res.headers.get('x-request-id'), rid, `${what}: the client's request id`);
      else assert.match(res.headers.get('x-request-id') || '', /^req_[0-9A-Z]{13}$/, what);
      assert.match(res.headers.get('content-type') || '', /^application\/json/, what);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
      assert.ok(x.closed, `${what}: the connection is closed (the body is not read)`);
    }
    const ok = await rawExchange(srv, head('GET /healthz HTTP/1.1', 'Host: a'), { responses: 1 });
    assert.equal(ok.responses[0].status, 200, 'the server answers afterwards');
  });

  it('framing h2o refuses itself is a 400 that closes the connection too', async () => {
    /* the standard error body too (h2o's answers are rewritten, src/http/server.c), but for a head
     * its parser cannot read at all ('Content-Length : 2'): h2o writes that 400 straight to the socket */
    for (const [fields, ours] of [[['Content-Length: 2, 2'], true], [['Content-Length: -1'], true], [['Content-Length: +2'], true],
      [['Content-Length : 2'], false], [['Transfer-Encoding: gzip, chunked'], true]]) {
      const x = await rawExchange(srv, head('POST /api/v1/carts HTTP/1.1', 'Host: a', 'Content-Type: application/json', ...fields)
        + '{}' + smuggled);
      assertRefusedAndClosed(x, fields.join(' + '), { ours });
    }
  });

  it('an obsolete line folding → 400, closed', async () => {
    const x = await rawExchange(srv, head('POST /api/v1/carts HTTP/1.1', 'Host: a', 'Content-Type: application/json',
      'Content-Length: 2', ' 0') + '{}' + smuggled);
    assertRefusedAndClosed(x, 'a folded Content-Length');
  });

  it('HTTP/1.1 without Host → 400; twice or malformed → 400; HTTP/1.0 needs none', async () => {
    for (const [fields, what] of [[[], 'no Host'], [['Host: a', 'Host: b'], 'two Hosts'], [['Host: a b'], 'Host with a space'],
      [['Host: a/b'], 'Host with a slash'], [['Host: u@a'], 'Host with userinfo']]) {
      const x = await rawExchange(srv, head('GET /healthz HTTP/1.1', ...fields), { responses: 1 });
      assert.equal(x.responses.length, 1, `${what}: ${x.raw.slice(0, 500)}`);
      const msg = assertError(x.responses[0], 400, 'BAD_REQUEST', what);
      assert.match(msg, /Host/);
    }
    const ok = await rawExchange(srv, head('GET /healthz HTTP/1.0'), { responses: 1 });
    assert.equal(ok.responses[0]?.status, 200, ok.raw.slice(0, 500));
    const port = await rawExchange(srv, head('GET /healthz HTTP/1.1', `Host: 127.0.0.1:${srv.port}`), { responses: 1 });
    assert.equal(port.responses[0]?.status, 200, port.raw.slice(0, 500));
  });

  /** GET PATH with the admin key (raw); the one response. */
  async function adminGet(path) {
    const x = await rawExchange(srv, head(`GET ${path} HTTP/1.1`, 'Host: a', `Authorization: Bearer ${srv.adminKey}`), { responses: 1 });
    assert.equal(x.responses.length, 1, `${path}: ${x.raw.slice(0, 500)}`);
    return x.responses[0];
  }

  it('an encoded slash (%2F, %2f) is not a path separator: 404, never the other route', async () => {
    const control = await adminGet('/api/v1/admin/users');
    assert.equal(control.status, 200, `control: ${control.body.slice(0, 300)}`);
    for (const p of ['/api/v1/admin%2fusers', '/api/v1/admin%2Fusers', '/api/v1%2Fadmin%2Fusers', '/api/v1/admin%2fusers?limit=5',
      '/api/v1/products/a%2Fb', '/healthz%2f']) {
      const res = await adminGet(p);
      const msg = assertError(res, 404, 'NOT_FOUND', p);
      assert.match(msg, /%2F/, `${p}: the message names the reason`);
    }
  });

  it('dot segments, literal or encoded, never reach a route: 404', async () => {
    const control = await adminGet('/api/v1/products');
    assert.equal(control.status, 200);
    for (const p of ['/api/v1/./products', '/api/v1/x/../admin/users', '/api/v1/x/%2e%2e/admin/users', '/api/v1/x/%2E%2E/admin/users',
      '/api/v1/%2e/products', '/api/v1/x/.%2e/admin/users', '/api/v1/products/..', '/api/v1/admin/users/.', '/./healthz', '/..']) {
      const res = await adminGet(p);
      const msg = assertError(res, 404, 'NOT_FOUND', p);
      assert.match(msg, /dot segment/, p);
    }
  });

  it('NUL and malformed escapes in the path, and targets that are no path: 404, not 5xx', async () => {
    for (const p of ['/api/v1/products%00', '/api/v1/products%00/x', '/api/v1/products/%zz', '/api/v1/products/%', '*',
      'http://a/api/v1/products']) {
      const res = await adminGet(p);
      assertError(res, 404, 'NOT_FOUND', p);
    }
    // ordinary escapes still decode as before
    const ok = await adminGet('/api/v1/%70roducts?limit=1');
    assert.equal(ok.status, 200, ok.body.slice(0, 300));
  });

  it('the server is unharmed: every answer above was below 500, and it still answers', async () => {
    const x = await rawExchange(srv, head('GET /healthz HTTP/1.1', 'Host: a'), { responses: 1 });
    assert.equal(x.responses[0]?.status, 200);
    const errors = srv.logs.filter((l) => l.level === 'error');
    assert.deepEqual(errors, [], 'no error was logged (a 5xx is logged as an error)');
  });
});
