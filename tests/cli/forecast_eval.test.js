// `souk eval forecast`: usage, the reader's errors with line numbers, and the accuracy table on
// generated series with a known structure (a trend with a weekly pattern, where ETS and the
// automatic choice must beat seasonal naive, and an intermittent one).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { souk, table } from './lib/souk.js';

const here = dirname(fileURLToPath(import.meta.url));

// rows of the accuracy table: method -> { sMAPE, MASE, relS, relM, ms, fallback }
const rowsOf = (out) => table(out, 'method ', ['sMAPE', 'MASE', 'relS', 'relM', 'ms', 'fallback']);

function series() {
  let s = 7n;
  const rnd = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
  const day = (i) => new Date(Date.UTC(2024, 0, 1) + i * 86400000).toISOString().slice(0, 10);
  const week = [10, 14, 16, 15, 22, 35, 6];
  const rows = ['series_id,date,value'];
  for (let i = 0; i < 140; i++) rows.push(`shop,${day(i)},${(100 + 0.8 * i + week[i % 7] + 3 * (rnd() - 0.5)).toFixed(2)}`);
  for (let i = 0; i < 140; i++) rows.push(`mugs,${day(i)},${(50 + 0.3 * i) * (week[i % 7] / 16) * (1 + 0.04 * (rnd() - 0.5))}`);
  for (let i = 0; i < 140; i++) rows.push(`rare,${day(i)},${rnd() < 0.2 ? 1 + Math.floor(rnd() * 4) : 0}`);
  rows.push(`short,${day(0)},1`, `short,${day(1)},2`);
  return rows.join('\n') + '\n';
}

describe('souk eval forecast', () => {
  let dir;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'souk-forecast-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its usage and refuses bad options', () => {
    const help = souk(['eval', 'forecast', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /--series FILE/);
    assert.equal(souk(['eval', 'forecast']).code, 2);
    assert.equal(souk(['eval', 'forecast', '--series', 'a.csv']).code, 2);
    const h = souk(['eval', 'forecast', '--series', 'a.csv', '--horizon', '0']);
    assert.equal(h.code, 2);
    assert.match(h.err, /--horizon takes a whole number from 1 to 366/);
    assert.match(souk(['eval', 'forecast', '--series', 'a.csv', '--horizon', '7', '--period', '53']).err,
      /--period takes a whole number from 1 to 52/);
    assert.equal(souk(['eval', 'forecast', '--series', 'a.csv', '--horizon', '2.5']).code, 2);
  });

  it('names the line of a bad record', () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'series_id,date,value\na,2024-01-01,1\na,2024-01-02,lots\n');
    const r = souk(['eval', 'forecast', '--series', f, '--horizon', '1']);
    assert.equal(r.code, 1);
    assert.match(r.err, /line 3: value 'lots' is not a finite number/);
    writeFileSync(f, 'id,date,value\n');
    assert.match(souk(['eval', 'forecast', '--series', f, '--horizon', '1']).err, /line 1: no 'series_id' column/);
    assert.match(souk(['eval', 'forecast', '--series', join(dir, 'none.csv'), '--horizon', '1']).err, /cannot open/);
  });

  it('prints the accuracy table, and ETS beats seasonal naive on a trend with a weekly pattern', () => {
    const f = join(dir, 'series.csv');
    writeFileSync(f, series());
    const r = souk(['eval', 'forecast', '--series', f, '--horizon', '14', '--period', '7', '--per-series']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^series: 3 evaluated, 1 skipped \(fewer than 28 points\); horizon 14, period 7; 422 rows$/m);
    const { head, rows } = rowsOf(r.out);
    assert.deepEqual(head, ['method', 'sMAPE', 'MASE', 'sMAPE/snaive', 'MASE/snaive', 'fit_ms/series', 'fallback']);
    assert.deepEqual(Object.keys(rows), ['snaive', 'ets', 'croston', 'sba', 'auto']);
    for (const [name, row] of Object.entries(rows)) {
      assert.equal(row.cols, 7, name);
      assert.ok(row.sMAPE >= 0 && row.sMAPE <= 200, `${name} sMAPE ${row.sMAPE}`);
    }
    assert.equal(rows.snaive.relS, 1);
    assert.equal(rows.croston.fallback, 0); // every series here is non-negative with a demand
    const shop = r.out.split('\n').find((l) => l.startsWith('shop '));
    const [, , , cls, smapeAuto, smapeSnaive] = shop.trim().split(/\s+/);
    assert.match(cls, /^ETS\([AM],(A|Ad),[AM]\)$/);
    assert.ok(+smapeAuto < +smapeSnaive, shop);
    assert.ok(rows.ets.relM < 1, `ETS MASE/snaive ${rows.ets.relM}`);
    assert.match(r.out, /^auto chose: snaive \d+ ets \d+ croston \d+ sba \d+$/m);
    assert.match(r.out, /^fitting time per series \(auto, all candidates and the refit\): mean [\d.]+ ms, max [\d.]+ ms$/m);
  });
});
