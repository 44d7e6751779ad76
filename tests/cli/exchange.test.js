// `souk import shopify` and `souk export products|orders` (docs/import-export.md):
// the file in Shopify's sample layout imports with a progress bar (rows/s) and a
// report of its bad rows by line number; a second run changes nothing; the
// export imports back as a no-op and is stable (round trip); orders export as
// CSV with the documented columns. On a SQLite file (the HTTP test
// tests/api/exchange.test.js covers both adapters).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { souk } from './lib/souk.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SAMPLE = path.join(here, '..', 'data', 'shopify_products.csv');

describe('souk import shopify / souk export', () => {
  let dir, db;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'souk-exchange-'));
    db = path.join(dir, 'souk.db');
    const m = souk(['migrate', '--db', db]);
    assert.equal(m.code, 0, m.err);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('imports the sample with a progress bar and reports each bad row with its line', () => {
    const errors = path.join(dir, 'errors.csv');
    const r = souk(['import', 'shopify', '--db', db, '--errors', errors, SAMPLE]);
    assert.equal(r.code, 1, 'exit 1: some rows were refused');
    assert.match(r.out, /14 rows, 4 products; 4 created, 0 updated, 0 unchanged, 0 failed; 3 rows with errors; [\d.]+ s, \d+ rows\/s/);
    assert.match(r.err, /^importing 100% 14 rows, 4 products, \d+ rows\/s$/m);
    assert.deepEqual(readFileSync(errors, 'utf8').trim().split('\n'), [
      'line,handle,field,message',
      '6,classic-tee,Variant Price,is not an amount in USD',
      '8,classic-tee,Image Src,must be an http(s) URL or an absolute path of at most 2048 bytes',
      "13,broken-hat,Title,is required on a product's first row",
    ]);
    const again = souk(['import', 'shopify', '--db', db, SAMPLE]);
    assert.match(again.out, /0 created, 0 updated, 4 unchanged, 0 failed/);
    assert.match(again.err, /line 6 \(classic-tee\): Variant Price: is not an amount in USD/, 'without --errors: on stderr');
  });

  it('exports products that import back without a change (round trip)', () => {
    const out = path.join(dir, 'export.csv');
    const e = souk(['export', 'products', '--db', db, '--out', out]);
    assert.equal(e.code, 0, e.err);
    assert.match(e.err, /exported 4 products/);
    const csv = readFileSync(out, 'utf8');
    assert.ok(csv.startsWith('Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,Option1 Name,Option1 Value'));
    assert.match(csv, /\r\nceramic-mug,"Ceramic Mug, 350 ml",<p>Holds 350 ml\.<\/p><p>Dishwasher safe – of course\.<\/p>,Northwind,,Kitchen,kitchen,TRUE,Title,Default Title,/);
    assert.doesNotMatch(csv, /broken-hat|javascript:|TEE-XL-BLK/);
    const r = souk(['import', 'shopify', '--db', db, out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /10 rows, 4 products; 0 created, 0 updated, 4 unchanged, 0 failed; 0 rows with errors/);
    const stdout = souk(['export', 'products', '--db', db]);
    assert.equal(stdout.code, 0);
    assert.equal(stdout.out, csv, 'export → import → export is stable, to stdout too');
  });

  it('a changed price and stock update that product, a dropped variant is archived', () => {
    const changed = path.join(dir, 'changed.csv');
    writeFileSync(changed, readFileSync(SAMPLE, 'utf8').replace('MUG-350,400,shopify,12,deny,manual,12.50', 'MUG-350,400,shopify,9,deny,manual,11.00')
      .replace(/^classic-tee,,,,,,,,,M,,White,.*\n/m, ''));
    const r = souk(['import', 'shopify', '--db', db, changed]);
    assert.match(r.out, /0 created, 2 updated, 2 unchanged/);
    const e = souk(['export', 'products', '--db', db]);
    assert.match(e.out, /\r\nceramic-mug,[^\r]*,MUG-350,,shopify,9,deny,manual,11\.00,/);
    assert.doesNotMatch(e.out, /TEE-M-WHT/, 'a variant the file no longer lists is archived (exports skip it)');
    assert.match(e.out, /TEE-L-BLK/);
  });

  it('refuses a file without the Shopify columns, and bad usage', () => {
    const other = path.join(dir, 'other.csv');
    writeFileSync(other, 'InvoiceNo,StockCode\n1,2\n');
    const r = souk(['import', 'shopify', '--db', db, other]);
    assert.equal(r.code, 1);
    assert.match(r.err, /the header must have the columns Handle and Title/);
    assert.equal(souk(['import', 'shopify', '--db', db]).code, 2);
    assert.equal(souk(['export', 'customers', '--db', db]).code, 2);
    assert.equal(souk(['import', 'shopify', '--batch', '0', '--db', db, SAMPLE]).code, 2);
  });

  it('exports orders as CSV, one row per line', () => {
    const hdb = path.join(dir, 'history.db');
    const d = souk(['demo', '--db', hdb, '--products', '30', '--history', '3'], { timeout: 300000 });
    assert.equal(d.code, 0, d.err);
    const r = souk(['export', 'orders', '--db', hdb]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\r\n');
    assert.equal(lines[0], 'Order ID,Created At,Paid At,Email,State,Payment Status,Currency,Subtotal,Discount,Shipping,Tax,Total,'
      + 'Refunded,Shipping Method,Coupon Code,Line,SKU,Product Title,Variant Title,Quantity,Unit Price,Line Total,Fulfilled,Returned');
    assert.ok(lines.length > 1, 'the demo history has orders');
    const m = r.err.match(/exported (\d+) order lines/);
    assert.ok(m && Number(m[1]) === lines.length - 1, r.err);
    for (const l of lines.slice(1, 20)) {
      assert.match(l, /^ord_\w+,\d{4}-\d\d-\d\dT[\d:.]+Z,/);
      assert.match(l, /,(USD|EUR|GBP),\d+\.\d\d,\d+\.\d\d,\d+\.\d\d,\d+\.\d\d,\d+\.\d\d,\d+\.\d\d,/);
    }
  });
});
