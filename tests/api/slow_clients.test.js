// Slow clients on loopback: slowloris heads (a header byte a second), slow
// bodies (Content-Length 1000, a byte a second) and clients that never read
// their responses, about 300 sockets at once. The server must keep answering
// others meanwhile, and bound each kind by a timeout: h2o's request timeout
// (10 s for the whole request) for the first two, souk's send watch (no byte
// acknowledged for 10 s) for the last. Bounds are upper bounds only a stalled
// or unbounded server misses; the file runs in about 15 s.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { sleep } from './lib/util.js';

const SLOW_HEADS = 150;
const SLOW_BODIES = 140;
const NON_READERS = 10;
const TIMEOUT_S = 10;            // h2o's req_timeout and souk's send stall (src/http/server.c, respond.c)
const CLOSED_BY_S = TIMEOUT_S + 5; // generous: a server without the bound keeps them open for good
const PROMPT_MS = 2000;            // a normal request meanwhile

/** A socket that connects, writes HEAD, and is remembered with when it closed. */
function slowSocket(srv, head, { read = true } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1');
    const rec = { s, closedAt: null, bytesIn: 0, error: null };
    if (!read) s.pause();
    s.on('data', (d) => { rec.bytesIn += d.length; });
    s.on('error', (e) => { rec.error = e.code; });
    s.on('close', () => { rec.closedAt = Date.now(); });
    s.once('connect', () => { s.write(head); resolve(rec); });
    s.once('error', reject);
  });
}

describe('slow clients', () => {
  let srv;
  let openapiBytes;
  const socks = { heads: [], bodies: [], nonReaders: [] };
  let trickle = null;
  let t0;

  before(async () => {
    srv = await startServer({ env: { SOUK_ACCESS_LOG: 'off' } });
    openapiBytes = (await api(srv, 'GET', '/api/v1/openapi.json')).text.length;
  });
  after(async () => {
    clearInterval(trickle);
    for (const rec of [...socks.heads, ...socks.bodies, ...socks.nonReaders]) rec.s.destroy();
    if (srv) assert.equal(await srv.stop(), 0, 'a clean exit with slow clients around');
  });

  it('300 slow sockets are bounded by timeouts, and others are answered meanwhile', async () => {
    t0 = Date.now();
    // slowloris: a head that never ends, a byte a second
    for (let i = 0; i < SLOW_HEADS; i++) {
      socks.heads.push(await slowSocket(srv, `GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow-${i}: `));
    }
    // slow bodies: the head at once, then a byte a second of 1000
    for (let i = 0; i < SLOW_BODIES; i++) {
      socks.bodies.push(await slowSocket(srv,
        'POST /api/v1/carts HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n'));
    }
    // never reading: far more response than the socket buffers hold
    const pipeline = 'GET /api/v1/openapi.json HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(30);
    for (let i = 0; i < NON_READERS; i++) socks.nonReaders.push(await slowSocket(srv, pipeline, { read: false }));
    trickle = setInterval(() => {
      for (const rec of [...socks.heads, ...socks.bodies]) if (rec.closedAt === null) rec.s.write('b');
    }, 1000);

    // meanwhile: ordinary requests are answered promptly
    for (let i = 0; i < 20; i++) {
      const start = Date.now();
      const r = await api(srv, 'GET', '/healthz');
      const took = Date.now() - start;
      assert.equal(r.status, 200);
      assert.ok(took < PROMPT_MS, `GET /healthz #${i} took ${took} ms with 300 slow sockets open`);
      await sleep(100);
    }
    const write = await api(srv, 'POST', '/api/v1/carts');
    assert.equal(write.status, 201, 'writes too');

    // the server closes the slow ones; the others are cut off once they stall
    const cuts = () => srv.logs.filter((l) => l.message === 'cut off a client that stopped reading its response').length;
    const slow = [...socks.heads, ...socks.bodies];
    while (Date.now() - t0 < CLOSED_BY_S * 1000 && (slow.some((r) => r.closedAt === null) || cuts() < NON_READERS)) await sleep(200);
    const open = slow.filter((r) => r.closedAt === null).length;
    assert.equal(open, 0, `${open} slow sockets still open ${CLOSED_BY_S} s after they started`);
    for (const r of slow) assert.equal(r.bytesIn, 0, 'an incomplete request gets no answer, only the close');
    assert.equal(cuts(), NON_READERS, `every client that stopped reading is cut off (log lines: ${cuts()})`);

    // a cut-off client that reads again finds the end of the connection after what it had buffered
    for (const r of socks.nonReaders) r.s.resume();
    const until = Date.now() + 3000;
    while (Date.now() < until && socks.nonReaders.some((r) => r.closedAt === null)) await sleep(100);
    for (const r of socks.nonReaders) {
      assert.ok(r.closedAt !== null, 'the connection is gone');
      assert.ok(r.bytesIn < 30 * openapiBytes, `it was cut off before all 30 answers (${r.bytesIn} bytes)`);
    }

    // and the server is fine
    const after30 = await api(srv, 'GET', '/healthz');
    assert.equal(after30.status, 200);
  });
});
