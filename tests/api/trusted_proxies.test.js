// SOUK_TRUSTED_PROXIES (src/core/cidr.c, src/http/middleware.c): only a peer inside the list
// may name the client with X-Forwarded-For, and then the right-most address that is not a
// trusted proxy is the client. Observed through the per-address rate limit
// (SOUK_RATE_LIMIT_IP = 3 requests/min): whose budget does a request spend?
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runSouk } from './lib/server.js';
import { api, expectError } from './lib/client.js';

const get = (srv, xff) => api(srv, 'GET', '/api/v1/products', xff === undefined ? {} : { headers: { 'X-Forwarded-For': xff } });

describe('client address behind trusted proxies', () => {
  it('from an untrusted peer a spoofed X-Forwarded-For is ignored: every request spends the peer\'s budget', async () => {
    const srv = await startServer({ env: { SOUK_RATE_LIMIT_IP: '3' } }); // no trusted proxies
    try {
      for (let i = 0; i < 3; i++) assert.equal((await get(srv, `198.51.100.${i + 1}`)).status, 200);
      expectError(await get(srv, '198.51.100.99'), 429, 'RATE_LIMITED');
      expectError(await get(srv), 429, 'RATE_LIMITED');
    } finally {
      await srv.stop();
    }
  });

  it('a peer outside SOUK_TRUSTED_PROXIES is not trusted either', async () => {
    const srv = await startServer({ env: { SOUK_RATE_LIMIT_IP: '3', SOUK_TRUSTED_PROXIES: '10.0.0.0/8' } });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await get(srv, `198.51.100.${i + 1}`)).status, 200);
      expectError(await get(srv, '198.51.100.99'), 429, 'RATE_LIMITED');
    } finally {
      await srv.stop();
    }
  });

  it('behind a trusted proxy each shopper has a budget, and a spoofed left part does not move it', async () => {
    const srv = await startServer({ env: { SOUK_RATE_LIMIT_IP: '3', SOUK_TRUSTED_PROXIES: '127.0.0.1/32, ::1' } });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await get(srv, '203.0.113.5')).status, 200);
      expectError(await get(srv, '203.0.113.5'), 429, 'RATE_LIMITED');
      // the shopper writes its own X-Forwarded-For; nginx appends the real address on the right
      expectError(await get(srv, '192.0.2.77, 203.0.113.5'), 429, 'RATE_LIMITED');
      expectError(await get(srv, '127.0.0.1, 203.0.113.5, 127.0.0.1'), 429, 'RATE_LIMITED');
      // another shopper through the same proxy is not limited by the first one
      for (let i = 0; i < 3; i++) assert.equal((await get(srv, '203.0.113.6')).status, 200);
      // no header from the proxy: the proxy itself
      for (let i = 0; i < 3; i++) assert.equal((await get(srv)).status, 200);
      expectError(await get(srv, 'not-an-address'), 429, 'RATE_LIMITED');
    } finally {
      await srv.stop();
    }
  });

  it('a bad SOUK_TRUSTED_PROXIES stops the server at start with a clear message', async () => {
    const r = await runSouk(['serve', '--listen', '127.0.0.1:0', '--db', '/nonexistent/never-opened.db'], { env: { SOUK_TRUSTED_PROXIES: '10.0.0.1/8' }, timeoutMs: 10_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /SOUK_TRUSTED_PROXIES: '10\.0\.0\.1\/8' has host bits set/);
  });
});
