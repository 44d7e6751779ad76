// `souk eval churn` and `souk eval clv`: usage, a cutoff the file cannot label, the AUC on a
// generated order history with planted churners (customers who stop buying at a random day)
// beside steady ones (every one to three weeks) — the model must rank them far better than
// chance — and the lifetime-value models' holdout purchases on the same history, which must come
// closer to what happened than the naive rate does (it ignores that churners stopped).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { souk } from './lib/souk.js';

function history() {
  let s = 11n;
  const rnd = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
  const start = Date.UTC(2023, 0, 2), days = 540;
  const rows = ['InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country'];
  const orders = [];
  for (let c = 0; c < 300; c++) {
    const steady = c % 2 === 0;
    const stop = steady ? days : 60 + Math.floor(rnd() * (days - 60)); // a churner's last active day
    const every = steady ? 7 + Math.floor(rnd() * 14) : 5 + Math.floor(rnd() * 10);
    for (let d = Math.floor(rnd() * every); d < stop; d += every + Math.floor(rnd() * 5)) orders.push([d, 12000 + c]);
  }
  orders.sort((a, b) => a[0] - b[0]);
  orders.forEach(([d, cust], i) => {
    const when = new Date(start + d * 86400000 + 36000000).toISOString().replace('T', ' ').slice(0, 19);
    rows.push(`${500000 + i},85123A,HEART,${1 + (i % 4)},${when},2.55,${cust}.0,United Kingdom`);
    if (i % 3 === 0) rows.push(`C${500000 + i},85123A,HEART,-1,${when},2.55,${cust}.0,United Kingdom`); // a cancellation
  });
  return rows.join('\n') + '\n';
}

describe('souk eval churn', () => {
  let dir, file;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'souk-churn-'));
    file = join(dir, 'orders.csv');
    writeFileSync(file, history());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its usage and refuses bad options', () => {
    const help = souk(['eval', 'churn', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /usage: souk eval churn --orders FILE --cutoff YYYY-MM-DD/);
    assert.equal(souk(['eval', 'churn', '--orders', file]).code, 2);
    assert.equal(souk(['eval', 'churn', '--orders', file, '--cutoff', '2023-02-30']).code, 2);
    assert.equal(souk(['eval', 'churn', '--orders', file, '--cutoff', '2024-01-01', '--horizon', '3']).code, 2);
    const late = souk(['eval', 'churn', '--orders', file, '--cutoff', '2024-06-01']);
    assert.equal(late.code, 2);
    assert.match(late.err, /the file ends on 2024-06-2\d: a cutoff of 2024-06-01 needs 90 days after it/);
    assert.equal(souk(['eval', 'churn', '--orders', join(dir, 'missing.csv'), '--cutoff', '2024-01-01']).code, 1);
  });

  it('ranks the planted churners above the steady customers', () => {
    const r = souk(['eval', 'churn', '--orders', file, '--cutoff', '2024-01-15']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^train cutoff 2023-10-17 \(\d+ customers\), test cutoff 2024-01-15 \(\d+ customers, churn rate [\d.]+\), horizon 90 days$/m);
    assert.match(r.out, /^validation: fitted at 2023-07-19, judged at 2023-10-17 \(labels up to 2024-01-15, before the test window\)$/m);
    const model = (name) => {
      const m = new RegExp(`^${name}: +validation AUC ([\\d.]+), test AUC ([\\d.]+)`, 'm').exec(r.out);
      assert.ok(m, `${name} in\n${r.out}`);
      return { validation: Number(m[1]), test: Number(m[2]) };
    };
    const lr = model('logistic regression'), gb = model('gradient-boosted trees'), av = model('their average');
    assert.match(r.out, /^gradient-boosted trees: .*\(\d+ trees, depth [2-4], min leaf \d+, shrinkage 0\.10, 64 bins\)$/m);
    assert.ok(lr.test > 0.8, `logistic regression AUC ${lr.test}`);
    assert.ok(gb.test > 0.8, `boosted trees AUC ${gb.test}`);
    // the model that serves is the best of the three on validation (a tie to the regression, then the
    // trees), and the AUC printed is its test AUC
    const all = [['logistic_regression', lr], ['gradient_boosted_trees', gb], ['average', av]];
    let best = 0;
    for (let k = 1; k < 3; k++) if (all[k][1].validation > all[best][1].validation) best = k;
    assert.match(r.out, new RegExp(`^model \\(the best on validation\\): ${all[best][0]}$`, 'm'));
    const auc = Number(/^AUC ([\d.]+)$/m.exec(r.out)[1]);
    assert.equal(auc, all[best][1].test);
    assert.equal(souk(['eval', 'churn', '--orders', file, '--cutoff', '2024-01-15']).out.replace(/scored in [\d.]+ s/, ''),
      r.out.replace(/scored in [\d.]+ s/, ''), 'the same file gives the same models');
    assert.match(r.out, /^weights \(standardised features\): intercept -?[\d.]+ log_recency_days/m);
  });
});

describe('souk eval clv', () => {
  let dir, file;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'souk-clv-'));
    file = join(dir, 'orders.csv');
    writeFileSync(file, history());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its usage and refuses bad options', () => {
    const help = souk(['eval', 'clv', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /usage: souk eval clv --orders FILE --cutoff YYYY-MM-DD/);
    assert.equal(souk(['eval', 'clv', '--orders', file]).code, 2);
    assert.equal(souk(['eval', 'clv', '--orders', file, '--cutoff', '2030-01-01']).code, 2);
  });

  it('predicts the holdout purchases better than the naive rate', () => {
    const r = souk(['eval', 'clv', '--orders', file, '--cutoff', '2024-01-15']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^BG\/NBD r [\d.]+ alpha [\d.]+ a [\d.]+ b [\d.]+ \(log-likelihood -[\d.]+, \d+ evaluations\); Gamma-Gamma p/m);
    const row = (name) => {
      const m = new RegExp(`^${name.replace(/[()+/]/g, '\\$&')} +([\\d.]+) +([\\d.]+) +([+-][\\d.]+)% +([\\d.]+)$`, 'm').exec(r.out);
      assert.ok(m, `${name} in\n${r.out}`);
      return { predicted: Number(m[1]), actual: Number(m[2]), error: Number(m[3]), mae: Number(m[4]) };
    };
    const bg = row('purchases (BG/NBD)'), naive = row('purchases (naive)');
    assert.ok(Math.abs(bg.error) < 25, `BG/NBD holdout error ${bg.error}%`);
    assert.ok(bg.mae < naive.mae, `MAE ${bg.mae} vs naive ${naive.mae}`);
    row('spend (BG/NBD+GG)');
  });
});

describe('souk eval fraud', () => {
  it('prints its usage and refuses bad options', () => {
    const help = souk(['eval', 'fraud', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /usage: souk eval fraud/);
    assert.equal(souk(['eval', 'fraud', '--orders', '10']).code, 2);
    assert.equal(souk(['eval', 'fraud', '--fraud-share', '0.9']).code, 2);
    assert.equal(souk(['eval', 'fraud', '--threshold', '0']).code, 2);
  });

  it('measures precision and recall on the labelled synthetic orders, the same for the same seed', () => {
    const r = souk(['eval', 'fraud', '--orders', '50000', '--seed', '4']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^synthetic orders: 50000 \(seed 4\), 1000 fraudulent \(2\.00%\)$/m);
    const m = /^50 +(\d+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)% +<- the threshold$/m.exec(r.out);
    assert.ok(m, r.out);
    assert.ok(Number(m[2]) > 0.6, `precision ${m[2]}`);
    assert.ok(Number(m[3]) > 0.4, `recall ${m[3]}`);
    assert.match(r.out, /^recall per pattern at 50: card_testing [\d.]+ \(\d+\) stolen_card/m);
    assert.equal(souk(['eval', 'fraud', '--orders', '50000', '--seed', '4']).out, r.out);
  });
});
