// `souk eval sentiment`: usage, the reader's errors, the report on a small set whose answers are
// known (accuracy, per-class precision/recall, the confusion matrix, the misclassified rows), and
// the halves of the shipped labelled set (docs/internals/reviews.md).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { souk, table } from './lib/souk.js';

const here = dirname(fileURLToPath(import.meta.url));
const SET = resolve(here, '../data/reviews_sentiment.csv');
const accuracyOf = (out) => +out.match(/^accuracy: ([0-9.]+)$/m)[1];

describe('souk eval sentiment', () => {
  let dir;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'souk-sentiment-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its usage and refuses bad options and files', () => {
    const help = souk(['eval', 'sentiment', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /--file FILE/);
    assert.equal(souk(['eval', 'sentiment']).code, 2);
    assert.equal(souk(['eval', 'sentiment', '--file', SET, '--half', 'third']).code, 2);
    const missing = souk(['eval', 'sentiment', '--file', join(dir, 'nope.csv')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read/);
    writeFileSync(join(dir, 'bad.csv'), 'text,label\n"fine",positive\n"hm",maybe\n');
    const bad = souk(['eval', 'sentiment', '--file', join(dir, 'bad.csv')]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /line 3: the label must be positive, neutral or negative/);
    writeFileSync(join(dir, 'nocol.csv'), 'review,stars\nx,1\n');
    assert.match(souk(['eval', 'sentiment', '--file', join(dir, 'nocol.csv')]).err, /columns text and label/);
  });

  it('reports accuracy, precision and recall per class, the confusion matrix and the errors', () => {
    // columns in another order, an extra column; the last row is labelled against its words
    writeFileSync(join(dir, 'small.csv'), [
      'id,label,text',
      '1,positive,"Excellent, I love it"',
      '2,negative,"Terrible, it broke in a day"',
      '3,neutral,"It is a box"',
      '4,positive,"Awful and useless"',
    ].join('\n') + '\n');
    const r = souk(['eval', 'sentiment', '--file', join(dir, 'small.csv'), '--errors']);
    assert.equal(r.code, 0, r.err);
    assert.equal(accuracyOf(r.out), 0.75);
    const classes = table(r.out, 'class ', ['precision', 'recall', 'f1', 'support']).rows;
    assert.deepEqual([classes.positive.recall, classes.positive.precision, classes.positive.support], [0.5, 1, 2]);
    assert.deepEqual([classes.negative.recall, classes.negative.precision], [1, 0.5]);
    const conf = table(r.out, '           ', ['negative', 'neutral', 'positive']).rows;
    assert.deepEqual([conf.positive.negative, conf.positive.neutral, conf.positive.positive], [1, 0, 1]);
    assert.match(r.out, /^4\tpositive\tnegative\t-[0-9.]+\tAwful and useless$/m);
  });

  it('scores the shipped set: the held-out half above the floor the unit test holds', () => {
    const all = souk(['eval', 'sentiment', '--file', SET]);
    assert.equal(all.code, 0, all.err);
    assert.match(all.out, /^reviews: 313 /m);
    const held = souk(['eval', 'sentiment', '--file', SET, '--half', 'second']);
    assert.match(held.out, /^reviews: 157 \(rows 157-313/m);
    assert.ok(accuracyOf(held.out) >= 0.78, held.out);
    const dev = souk(['eval', 'sentiment', '--file', SET, '--half', 'first']);
    assert.match(dev.out, /^reviews: 156 \(rows 1-156/m);
    assert.ok(accuracyOf(all.out) >= 0.82, all.out);
  });
});
