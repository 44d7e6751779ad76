// `souk eval recs`: usage, the reader's errors with line numbers, and the metrics table on a
// generated interactions file with planted structure (groups of users buying from their own
// items), where ALS must beat the popularity baseline.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { souk, table } from './lib/souk.js';

const here = dirname(fileURLToPath(import.meta.url));

// rows of the metrics table: name -> { P, R, NDCG, MAP, cov, rel, train }
const rowsOf = (out) => table(out, 'recommender ', ['P', 'R', 'NDCG', 'MAP', 'cov', 'rel', 'train']);

// 200 users in 5 groups, each group buying from its own 20 items, 12 purchases each over a year
function planted() {
  let s = 12345n;
  const rnd = (n) => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number((s >> 33n) % BigInt(n));
  };
  const start = Date.UTC(2025, 0, 1) / 1000;
  const rows = ['user,item,timestamp,weight'];
  for (let u = 1; u <= 200; u++)
    for (let j = 0; j < 12; j++) {
      const g = u % 5;
      const item = 1000 + g * 20 + rnd(20);
      const t = start + rnd(365 * 86400);
      // half the rows as ISO-8601, half as Unix seconds
      const ts = j % 2 ? new Date(t * 1000).toISOString().replace('.000Z', 'Z') : String(t);
      rows.push(`${u},${item},${ts},${1 + rnd(3)}`);
    }
  return rows.join('\n') + '\n';
}

describe('souk eval recs', () => {
  let dir;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'souk-recs-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its usage and refuses bad options', () => {
    const help = souk(['eval', 'recs', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /--interactions FILE/);
    assert.equal(souk(['eval', 'recs']).code, 2);
    assert.equal(souk(['eval', 'recs', '--interactions', 'a.csv', '--synthetic', '10']).code, 2);
    const k = souk(['eval', 'recs', '--interactions', 'a.csv', '--k', '0']);
    assert.equal(k.code, 2);
    assert.match(k.err, /--k takes a whole number from 1 to 1000/);
    assert.equal(souk(['eval', 'recs', '--interactions', 'a.csv', '--k', '2.5']).code, 2);
  });

  it('names the line of a bad record', () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'user,item,timestamp\n1,2,1700000000\n1,3,last tuesday\n');
    const r = souk(['eval', 'recs', '--interactions', f]);
    assert.equal(r.code, 1);
    assert.match(r.err, /line 3: timestamp 'last tuesday' is neither Unix seconds nor ISO-8601/);
    writeFileSync(f, 'user,item\n1,2\n');
    assert.match(souk(['eval', 'recs', '--interactions', f]).err, /no 'timestamp' column/);
  });

  it('prints the metrics table, and ALS beats popularity on planted structure', () => {
    const f = join(dir, 'planted.csv');
    writeFileSync(f, planted());
    const r = souk(['eval', 'recs', '--interactions', f, '--k', '5', '--test-days', '60', '--factors', '16',
      '--iterations', '10', '--threads', '1']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^interactions: 2400 \(train \d+ before .*Z, test \d+ after\)$/m);
    assert.match(r.out, /^test: \d+ users \(\d+ unknown in training, \d+ with nothing new: not evaluated\); \d+ evaluated/m);
    const { head, rows } = rowsOf(r.out);
    assert.deepEqual(head, ['recommender', 'P@5', 'R@5', 'NDCG@5', 'MAP@5', 'cov@5', 'NDCG/pop', 'train_s']);
    assert.deepEqual(Object.keys(rows), ['popularity', 'als', 'item-cosine', 'fbt', 'hybrid']);
    for (const [name, row] of Object.entries(rows)) {
      assert.equal(row.cols, 8, name);
      for (const m of ['P', 'R', 'NDCG', 'MAP', 'cov']) assert.ok(row[m] >= 0 && row[m] <= 1, `${name} ${m} ${row[m]}`);
    }
    assert.equal(rows.popularity.rel, 1);
    assert.ok(rows.als.NDCG > 1.5 * rows.popularity.NDCG, `ALS ${rows.als.NDCG} vs popularity ${rows.popularity.NDCG}`);
    assert.ok(rows.hybrid.NDCG > rows.popularity.NDCG);
    assert.ok(rows.als.cov > rows.popularity.cov);
  });

  it('times ALS alone with --train-only on synthetic data', () => {
    const r = souk(['eval', 'recs', '--synthetic', '20000', '--users', '2000', '--items', '500', '--factors', '8',
      '--iterations', '3', '--train-only']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /ALS \(8 factors, 3 iterations, \d+ threads\) trained in [\d.]+ s \([\d.]+ s of CPU\); final loss/);
    assert.match(r.err, /ALS .*loss/);
  });
});
