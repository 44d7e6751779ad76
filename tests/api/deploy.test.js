// The files of deploy/ (docs/deploy.md): the nginx site passes `nginx -t` and the systemd units
// `systemd-analyze verify` (scripts/check-deploy.sh), and the Grafana dashboard asks only for
// metrics souk exports: every family it names is in a live node's /metrics, or (those that
// appear only once something happened: breakers, Redis, webhooks, job runs) registered in src/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, SOUK_BIN } from './lib/server.js';
import { api } from './lib/client.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nginx = spawnSync('nginx', ['-v'], { encoding: 'utf8' });

function sources(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.c')) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}

describe('deploy/', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { if (srv) await srv.stop(); });

  it('nginx -t accepts the site and the systemd units verify', { skip: nginx.error ? 'nginx is not installed (scripts/deps.sh)' : false }, () => {
    const r = spawnSync(path.join(root, 'scripts/check-deploy.sh'), [SOUK_BIN], { encoding: 'utf8' });
    assert.equal(r.status, 0, `check-deploy failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /nginx -t: deploy\/nginx-souk\.conf ok/);
  });

  it('the Grafana dashboard names only exported metrics', async () => {
    const dash = JSON.parse(readFileSync(path.join(root, 'deploy/grafana-souk.json'), 'utf8'));
    const exprs = dash.panels.flatMap((p) => (p.targets || []).map((t) => t.expr));
    assert.ok(exprs.length >= 20, `${exprs.length} queries`);
    const wanted = new Set(exprs.flatMap((e) => e.match(/souk_[a-z0-9_]+/g) || []).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    const live = new Set((await api(srv, 'GET', '/metrics')).text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
    const src = sources(path.join(root, 'src')).join('\n');
    const missing = [...wanted].filter((n) => !live.has(n) && !src.includes(`"${n}"`));
    assert.deepEqual(missing, [], 'families the dashboard asks for that souk does not export');
    for (const family of ['souk_http_requests_total', 'souk_http_request_duration_seconds', 'souk_cache_requests_total', 'souk_jobs', 'souk_store_group_commits_total', 'souk_search_index_products'])
      assert.ok(wanted.has(family) && live.has(family), `${family} on the dashboard and exported`);
    for (const family of ['souk_breaker_state', 'souk_breaker_opens_total']) assert.ok(wanted.has(family), `${family} on the dashboard`);
  });
});
