// `souk eval search`: usage, hand-computed metrics on a tiny corpus, and the judged
// Online Retail sample (tests/cli/search_eval/README.md), built here from ../shared/data.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { souk } from './lib/souk.js';

const here = dirname(fileURLToPath(import.meta.url));
// the data set lives beside the repository (../shared/data); SOUK_RETAIL_CSV names it elsewhere
const RETAIL = process.env.SOUK_RETAIL_CSV || resolve(here, '../../../shared/data/online-retail/online_retail.csv.gz');
const QRELS = join(here, 'search_eval', 'online_retail_qrels.csv');

// metric name -> [souk, fts5]
function metrics(out) {
  const m = {};
  for (const line of out.split('\n')) {
    const x = line.match(/^(nDCG|MRR|recall)@(\d+)\s+([\d.]+)\s+([\d.]+)$/);
    if (x) m[x[1]] = [Number(x[3]), Number(x[4])];
  }
  return m;
}

// RFC 4180 records of TEXT
function* records(text) {
  let i = 0;
  const n = text.length;
  while (i < n) {
    const rec = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) { field += text.slice(i); i = n; break; }
          field += text.slice(i, q);
          i = q + 1;
          if (text[i] === '"') { field += '"'; i++; } else break;
        }
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
        field = text.slice(i, j);
        i = j;
      }
      rec.push(field);
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      break;
    }
    yield rec;
  }
}

const q = (s) => `"${String(s).replace(/"/g, '""')}"`;

let dir;
before(() => { dir = mkdtempSync(join(tmpdir(), 'souk-eval-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('souk eval search', () => {
  it('refuses missing files and flags with exit 2, unreadable files with exit 1', () => {
    let r = souk(['eval', 'search', '--corpus', 'x.csv']);
    assert.equal(r.code, 2);
    assert.match(r.err, /needs --corpus and --judgments/);
    r = souk(['eval', 'frobnicate', '--corpus', 'a', '--judgments', 'b']);
    assert.equal(r.code, 2);
    r = souk(['eval', 'search', '--corpus', 'a', '--judgments', 'b', '--k', '0']);
    assert.equal(r.code, 2);
    r = souk(['eval', 'search', '--corpus', join(dir, 'none.csv'), '--judgments', join(dir, 'none.csv')]);
    assert.equal(r.code, 1);
    const h = souk(['eval', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /^usage: souk eval search/);
  });

  it('prints metrics that match a hand computation', () => {
    // "blue mug": d2 (grade 3) and d3 (grade 1) are judged; d1 has neither word, d4 only "mug".
    // souk ranks d2 first (both words in the title), then d3 (both words: "blue" in the
    // description) — d4 has one word only and is no result. Both relevant documents are in
    // the top 2: DCG@2 = (2^3 - 1)/log2(2) + (2^1 - 1)/log2(3) = 7 + 0.6309 = IDCG@2, so
    // nDCG@2 = 1, RR = 1, recall@2 = 1. "teapot" has one relevant judgment, for an id the
    // corpus lacks: it counts (nothing can find it), so that query scores 0 on every metric
    // and each mean is (1 + 0) / 2 = 0.5, for FTS5 as well (it ranks d2, d3 too).
    const corpus = join(dir, 'tiny.csv');
    const qrels = join(dir, 'tiny_qrels.csv');
    writeFileSync(corpus, 'id,title,description\n' +
      'd1,Red teapot,"A teapot, red"\nd2,Blue mug,Large blue mug\nd3,Coffee mug,Glazed in blue\nd4,Mug tree,Holds six cups\n');
    writeFileSync(qrels, 'query,id,grade\nblue mug,d2,3\nblue mug,d3,1\nblue mug,d1,0\nteapot,dX,2\n');
    const r = souk(['eval', 'search', '--corpus', corpus, '--judgments', qrels, '--k', '2']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /corpus: 4 documents/);
    assert.match(r.out, /2 queries, 2 with a relevant document; 4 judgments \(1 name ids not in the corpus\)/);
    const m = metrics(r.out);
    assert.deepEqual(m, { nDCG: [0.5, 0.5], MRR: [0.5, 0.5], recall: [0.5, 0.5] });
  });

  it('on the judged Online Retail sample, souk ranks at least as well as FTS5 BM25', (t) => {
    if (!existsSync(RETAIL)) { t.skip(`${RETAIL} is not there`); return; }
    // one product per StockCode, titled by its most frequent Description (first seen on a tie)
    const text = gunzipSync(readFileSync(RETAIL)).toString('utf8');
    const it = records(text);
    const header = it.next().value;
    const code = header.indexOf('StockCode'), desc = header.indexOf('Description');
    const counts = new Map();
    for (const rec of it) {
      const d = (rec[desc] ?? '').trim();
      if (!d) continue;
      if (!counts.has(rec[code])) counts.set(rec[code], new Map());
      const m = counts.get(rec[code]);
      m.set(d, (m.get(d) ?? 0) + 1);
    }
    let csv = 'id,title,description\n';
    for (const c of [...counts.keys()].sort()) {
      let best = null, n = -1;
      for (const [d, k] of counts.get(c)) if (k > n) { best = d; n = k; }
      csv += `${q(c)},${q(best)},""\n`;
    }
    const corpus = join(dir, 'retail_corpus.csv');
    writeFileSync(corpus, csv);
    const r = souk(['eval', 'search', '--corpus', corpus, '--judgments', QRELS]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /corpus: 3958 documents/);
    assert.match(r.out, /26 queries, 26 with a relevant document/);
    const m = metrics(r.out);
    for (const k of ['nDCG', 'MRR', 'recall']) {
      assert.ok(m[k], `${k} printed`);
      for (const v of m[k]) assert.ok(v >= 0 && v <= 1, `${k} ${v} within 0..1`);
    }
    // a guard against ranking regressions, not a claim about real traffic (see the README)
    assert.ok(m.nDCG[0] >= m.nDCG[1], `souk nDCG@10 ${m.nDCG[0]} below FTS5 ${m.nDCG[1]}`);
  });
});
