// Load shedding (issue 18, "overload is shed, not queued without bound"; docs/internals/http.md):
// write requests wait for the one committer in a bounded queue. With the bound made tiny
// (SOUK_WRITE_QUEUE_MAX) a burst of cart creations is partly refused at once with 503, Retry-After
// and the standard error body — never a 5xx of another kind, never a hang — while everything
// accepted is kept (every 201's cart exists), reads and health checks stay answerable meanwhile,
// and the refusals are counted by reason in /metrics. The wait bound (SOUK_WRITE_WAIT_MS) refuses
// the same way once the oldest queued write has waited that long.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, runSouk } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { metric } from './lib/util.js';

const BURST = 400;

/** BURST concurrent POST /api/v1/carts, each timed; and, while they run, health checks and reads. */
async function burst(srv) {
  const reads = [];
  let running = true;
  const reader = (async () => {
    while (running) {
      const t = Date.now();
      const [h, p] = await Promise.all([fetch(`${srv.url}/healthz`), fetch(`${srv.url}/api/v1/products?limit=1`)]);
      await Promise.all([h.arrayBuffer(), p.arrayBuffer()]);
      reads.push({ health: h.status, products: p.status, ms: Date.now() - t });
    }
  })();
  const writes = await Promise.all(Array.from({ length: BURST }, async () => {
    const t = Date.now();
    const r = await api(srv, 'POST', '/api/v1/carts', { body: {} });
    return { r, ms: Date.now() - t };
  }));
  running = false;
  await reader;
  return { writes, reads };
}

describe('load shedding at the committer', () => {
  let srv;
  after(async () => { if (srv) await srv.stop(); });

  async function shedUntilSeen(env, reason) {
    srv = await startServer({ env: { SOUK_RATE_LIMIT_IP: '0', SOUK_RATE_LIMIT_USER: '0', ...env } });
    let refused = [], accepted = [], reads = [];
    // a burst that finds the committer idle may fit: a few bursts at most
    for (let round = 0; round < 5 && refused.length === 0; round++) {
      const b = await burst(srv);
      refused = refused.concat(b.writes.filter((w) => w.r.status === 503));
      accepted = accepted.concat(b.writes.filter((w) => w.r.status === 201));
      reads = reads.concat(b.reads);
      for (const w of b.writes) assert.ok(w.r.status === 201 || w.r.status === 503, `only 201 or 503: ${w.r.status} ${w.r.text}`);
    }
    assert.ok(refused.length > 0, 'the tiny queue refused some of the burst');
    assert.ok(accepted.length > 0, 'and took some');
    for (const w of refused) {
      expectError(w.r, 503, 'UNAVAILABLE');
      assert.equal(w.r.headers.get('retry-after'), '1');
    }
    // nothing accepted was lost: each cart answers by its token
    for (const w of accepted) {
      const c = await api(srv, 'GET', '/api/v1/carts/current', { headers: { 'X-Cart-Token': w.r.body.cart_token } });
      assert.equal(c.status, 200, c.text);
    }
    // reads and health checks answered throughout (an upper bound only a stalled loop misses)
    assert.ok(reads.length > 0);
    for (const r of reads) {
      assert.equal(r.health, 200);
      assert.equal(r.products, 200);
      assert.ok(r.ms < 5000, `a read waited ${r.ms} ms`);
    }
    const counted = await metric(srv, `souk_store_group_refused_total{reason="${reason}"}`);
    assert.ok(counted >= refused.length, `${reason}: ${counted} counted, ${refused.length} seen`);
    await srv.stop();
    srv = null;
  }

  it('a full queue refuses new writes with 503 and Retry-After, keeps what it took, and reads go on', async () => {
    await shedUntilSeen({ SOUK_WRITE_QUEUE_MAX: '2', SOUK_WRITE_WAIT_MS: '0' }, 'queue_full');
  });

  it('so does a queue whose oldest write has waited too long', async () => {
    await shedUntilSeen({ SOUK_WRITE_QUEUE_MAX: '100000', SOUK_WRITE_WAIT_MS: '1' }, 'queue_wait');
  });

  it('a bad bound is refused at start', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'souk-overload-'));
    try {
      for (const [name, value] of [['SOUK_WRITE_QUEUE_MAX', '0'], ['SOUK_WRITE_WAIT_MS', '-1']]) {
        const r = await runSouk(['serve', '--db', path.join(dir, 'souk.db'), '--listen', '127.0.0.1:0'], { env: { [name]: value } });
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, new RegExp(`${name} must be an integer`));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
