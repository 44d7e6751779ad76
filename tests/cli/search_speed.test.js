// `souk eval speed` (bench/search.sh's in-process part): on a tiny corpus each class of the query
// log gets a line of timings for souk and FTS5, facet classes count facets, and bad input is
// refused with the usage exit code or a failure, never a crash.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SOUK = resolve(here, '..', process.env.SOUK_BIN || '../build/souk');
const souk = (args) => {
  const r = spawnSync(SOUK, args, { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('souk eval speed', () => {
  let dir;
  let corpus;
  let queries;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'souk-speed-'));
    corpus = join(dir, 'corpus.csv');
    const rows = ['id,title,description,brand,category'];
    const colours = ['red', 'blue', 'green', 'black'];
    const things = ['mug', 'lamp', 'candle', 'teapot', 'lantern'];
    for (let i = 0; i < 200; i++) {
      rows.push(`p${i},"${colours[i % 4]} ${things[i % 5]} ${i}","A ${things[i % 5]} for the home",Brand${i % 3},Cat${i % 7}`);
    }
    writeFileSync(corpus, rows.join('\n') + '\n');
    queries = join(dir, 'q.tsv');
    writeFileSync(queries, ['# a comment', 'one\tmug', 'two\tred mug', 'prefix\tblue lan', 'two+facets\tgreen candle',
      'typo\tlantren', 'one\tnothingmatches'].join('\n') + '\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints build figures and one SPEED line per class', () => {
    const r = souk(['eval', 'speed', '--corpus', corpus, '--queries', queries, '--repeat', '2']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^BUILD souk_s=[\d.]+ souk_mb=[\d.]+ fts5_s=[\d.]+ fts5_rss_mb=-?[\d.]+ docs=200$/m);
    const classes = [...r.out.matchAll(/^SPEED class=(\S+) souk_qps=(\d+) .*fts5_qps=(\d+) /gm)].map((m) => m[1]);
    assert.deepEqual(classes, ['one', 'two', 'prefix', 'two+facets', 'typo']);
    // the table's "results" column: souk matched red mugs (every 20th document is one)
    const two = r.out.split('\n').find((l) => /^two\s+1 \|/.test(l));
    assert.ok(two, r.out);
    assert.match(two, /\|\s+\d+\s+[\d.]+\s+[\d.]+\s+10 \|/, 'souk finds the 10 red mugs');
  });

  it('refuses what it cannot run', () => {
    assert.equal(souk(['eval', 'speed', '--corpus', corpus]).code, 2);
    assert.equal(souk(['eval', 'speed', '--corpus', corpus, '--queries', queries, '--repeat', '0']).code, 2);
    assert.equal(souk(['eval', 'speed', '--corpus', corpus, '--queries', join(dir, 'missing.tsv')]).code, 1);
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, 'no tab here\n');
    const r = souk(['eval', 'speed', '--corpus', corpus, '--queries', bad]);
    assert.equal(r.code, 1);
    assert.match(r.err, /expected CLASS<TAB>QUERY/);
    const long = join(dir, 'long.tsv');
    writeFileSync(long, `two\t${'word '.repeat(400)}\n`);
    const l = souk(['eval', 'speed', '--corpus', corpus, '--queries', long]);
    assert.equal(l.code, 1);
    assert.match(l.err, /longer than/);
  });
});
