// `souk analytics`: `timezone` shows and sets the reports' time zone (an unknown zone is a usage
// error) and a running server rebuilds its facts in the new zone within seconds; `rebuild`
// builds the facts with a progress bar, prints rows and memory, and makes servers rebuild.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../api/lib/server.js';
import { api } from '../api/lib/client.js';
import { eventually } from '../api/lib/orders_util.js';
import { souk } from './lib/souk.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('souk analytics', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => srv && (await srv.stop()));

  it('shows and sets the time zone; the server follows', async () => {
    let r = souk(['analytics', 'timezone', '--db', srv.dbPath]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), 'analytics time zone: UTC');
    r = souk(['analytics', 'timezone', '--db', srv.dbPath, 'Mars/Olympus']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown time zone 'Mars\/Olympus'/);
    r = souk(['analytics', 'timezone', '--db', srv.dbPath, 'Europe/Paris']);
    assert.equal(r.code, 0, r.err);
    assert.equal(souk(['analytics', 'timezone', '--db', srv.dbPath]).out.trim(), 'analytics time zone: Europe/Paris');
    await eventually(async () => {
      const k = await api(srv, 'GET', '/api/v1/admin/analytics/kpis', { key: true });
      return k.status === 200 && k.body.timezone === 'Europe/Paris';
    }, 'the server rebuilds in Paris time', 10_000);
  });

  it('rebuilds with a progress bar and prints what the facts hold', () => {
    const r = souk(['analytics', 'rebuild', '--db', srv.dbPath]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^analytics 100% done$/m);
    assert.match(r.out, /^analytics facts built in \d+ ms \(time zone Europe\/Paris\): \d+ orders, \d+ order lines, \d+ refunds, \d+ events$/m);
    assert.match(r.out, /^memory: [\d.]+ MiB/m);
    // then the stored predictions (an empty store: nothing to fit, but the run is recorded)
    assert.match(r.err, /^predictions 100% done$/m);
    assert.match(r.out, /^predictions up to \d{4}-\d{2}-\d{2} in \d+ ms: \d+ sales series \(daily and weekly, revenue in .+\), \d+ stock series, \d+ anomalous days$/m);
    assert.doesNotMatch(souk(['analytics', 'rebuild', '--no-predictions', '--db', srv.dbPath]).out, /^predictions/m);
    assert.equal(souk(['analytics', 'frobnicate', '--db', srv.dbPath]).code, 2);
    assert.equal(souk(['analytics']).code, 2);
  });

  it('shows and sets the reorder settings, refusing values out of range', async () => {
    let r = souk(['analytics', 'reorder', '--db', srv.dbPath]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), 'reorder settings: lead time 7 days, service level 0.95, review period 0 days');
    r = souk(['analytics', 'reorder', '--db', srv.dbPath, '--lead-time', '21', '--review', '7']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), 'reorder settings: lead time 21 days, service level 0.95, review period 7 days');
    for (const bad of [['--lead-time', '0'], ['--lead-time', '91'], ['--service-level', '1'], ['--service-level', 'high'], ['--review', '-1']]) {
      r = souk(['analytics', 'reorder', '--db', srv.dbPath, ...bad]);
      assert.equal(r.code, 2, bad.join(' '));
    }
    const h = await api(srv, 'GET', '/api/v1/admin/analytics/reorder', { key: true });
    assert.equal(h.status, 200, h.text);
    assert.equal(h.body.lead_time_days, 21);
    assert.equal(h.body.review_days, 7);
  });
});
