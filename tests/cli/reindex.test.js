// `souk reindex`: builds the search index with a progress bar (a bar redrawn
// in place on a terminal, a line per 10 % otherwise), prints docs/s, and a
// running server on the same database rebuilds its own index within about a
// second — here for a product written behind its back (no version touched).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { sqlite } from '../api/lib/auth_util.js';
import { sleep } from '../api/lib/util.js';
import { SOUK, souk } from './lib/souk.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('souk reindex', () => {
  let srv;
  before(async () => {
    srv = await startServer({ products: 600, seed: 3 });
  });
  after(async () => srv && (await srv.stop()));

  it('shows its progress and prints docs/s', () => {
    const r = souk(['reindex', '--db', srv.dbPath, '--no-signal']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    const bars = lines.filter((l) => /^reindex +\d+% \d+\/\d+ products$/.test(l));
    assert.ok(bars.length >= 2, `a line per 10 % or so off a terminal:\n${r.out}`);
    assert.match(bars.at(-1), /^reindex 100% (\d+)\/\1 products$/);
    const m = r.out.match(/^indexed (\d+) products in [\d.]+ s: (\d+) docs\/s/m);
    assert.ok(m, r.out);
    assert.ok(Number(m[1]) > 500 && Number(m[2]) > 0);
    assert.doesNotMatch(r.out, /running servers/, '--no-signal leaves servers alone');
  });

  it('draws a bar in place on a terminal', (t) => {
    const which = spawnSync('script', ['--version'], { encoding: 'utf8' });
    if (which.status !== 0) return t.skip('no script(1) to make a terminal');
    const r = spawnSync('script', ['-qec', `${SOUK} reindex --db ${srv.dbPath} --no-signal`, '/dev/null'], { encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\rreindex \[#+\.*\] +\d+% /, 'redrawn with a carriage return');
    assert.match(r.stdout, /\rreindex \[#{30}\] 100% \d+\/\d+ products/);
    assert.match(r.stdout, /docs\/s/);
  });

  it('makes a running server rebuild its index within about a second', async () => {
    const word = 'quuxreindexed';
    const find = async () => (await api(srv, 'GET', `/api/v1/search?q=${word}`)).body.total;
    await (async () => { for (let i = 0; i < 200 && (await api(srv, 'GET', '/api/v1/search?q=')).status !== 200; i++) await sleep(50); })();
    // written behind the server's back: no store version moves, so it does not rebuild by itself
    sqlite(srv.dbPath, `INSERT INTO products (id, slug, title, description, status, created_at, updated_at) VALUES (9000000000001, 'reindexed', 'Lamp ${word}', '', 'active', 1, 1)`);
    await sleep(600);
    assert.equal(await find(), 0, 'not searchable before the reindex');
    const r = souk(['reindex', '--db', srv.dbPath]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /running servers rebuild their index within a second/);
    const t0 = Date.now();
    while ((await find()) === 0) {
      assert.ok(Date.now() - t0 < 1500, 'the server rebuilt within about a second');
      await sleep(25);
    }
  });

  it('refuses bad flags with exit 2 and a missing database with 1', () => {
    assert.equal(souk(['reindex', '--bogus']).code, 2);
    assert.equal(souk(['reindex', 'extra']).code, 2);
    assert.equal(souk(['reindex', '--db', '/nonexistent/dir/x.db']).code, 1);
    const h = souk(['reindex', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /^usage: souk reindex/);
  });
});
