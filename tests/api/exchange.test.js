// Data in and out through the admin API (docs/import-export.md): a Shopify
// product CSV posted to /api/v1/admin/imports is checked at once, then
// imported by a job whose progress and error report GET shows; the file in
// Shopify's sample layout (tests/data/shopify_products.csv) becomes products
// with variants, options, images and stock; the same file again changes
// nothing, a changed price updates one product; the export reads back as a
// no-op (round trip).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { sleep } from './lib/util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SAMPLE = readFileSync(path.join(here, '..', 'data', 'shopify_products.csv'), 'utf8');

describe('Shopify CSV import and export (admin API)', () => {
  let srv;
  const admin = (method, p, body) => api(srv, method, p, { key: true, body });
  const postCsv = (csv, contentType = 'text/csv') =>
    api(srv, 'POST', '/api/v1/admin/imports', { key: true, rawBody: csv, headers: { 'Content-Type': contentType } });

  /** Posts CSV and waits for its run to finish; returns the finished run. */
  async function importCsv(csv) {
    const r = await postCsv(csv);
    assert.equal(r.status, 202, r.text);
    assert.match(r.body.id, /^imp_/);
    assert.equal(r.headers.get('location'), `/api/v1/admin/imports/${r.body.id}`);
    for (let i = 0; i < 300; i++) {
      const g = await admin('GET', `/api/v1/admin/imports/${r.body.id}`);
      assert.equal(g.status, 200, g.text);
      if (g.body.state === 'done' || g.body.state === 'failed') return g.body;
      await sleep(100);
    }
    assert.fail('the import job did not finish in 30 s');
  }

  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('refuses what is no Shopify CSV before queueing anything', async () => {
    expectError(await admin('POST', '/api/v1/admin/imports', { csv: 'Handle,Title' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const empty = await postCsv('');
    expectError(empty, 422, 'VALIDATION_ERROR');
    const other = await postCsv('InvoiceNo,StockCode\n1,2\n');
    expectError(other, 422, 'VALIDATION_ERROR');
    assert.equal(other.body.error.details[0].field, 'body');
    assert.match(other.body.error.details[0].message, /Handle and Title/);
    expectError(await admin('GET', '/api/v1/admin/imports/imp_0000000000001'), 404, 'NOT_FOUND');
    expectError(await api(srv, 'POST', '/api/v1/admin/imports', { rawBody: SAMPLE, headers: { 'Content-Type': 'text/csv' } }), 401, 'UNAUTHORIZED');
  });

  it('imports the sample file: products, variants, options, images, stock; bad rows reported by line', async () => {
    const run = await importCsv(SAMPLE);
    assert.equal(run.state, 'done', JSON.stringify(run));
    assert.equal(run.progress, 1);
    assert.equal(run.stats.rows, 14);
    assert.equal(run.stats.created, 4);
    assert.equal(run.stats.failed, 0);
    assert.deepEqual(run.problems.map((p) => [p.line, p.handle, p.field]), [
      [6, 'classic-tee', 'Variant Price'],
      [8, 'classic-tee', 'Image Src'],
      [13, 'broken-hat', 'Title'],
    ]);
    assert.equal(run.problem_count, 3);
    assert.equal(run.stats.error_rows, 3);

    const tee = (await admin('GET', '/api/v1/products/classic-tee')).body;
    assert.equal(tee.title, 'Classic Tee');
    assert.equal(tee.status, 'active');
    assert.equal(tee.description, 'Our classic tee, soft & breathable.\n100% cotton\nMade in Portugal');
    assert.equal(tee.brand.name, 'Northwind');
    assert.equal(tee.category.name, 'T-Shirts');
    assert.equal(tee.attributes.tags, 'cotton, summer, basics');
    assert.deepEqual(tee.variants.map((v) => [v.sku, v.title, v.options, v.prices.find((p) => p.currency === 'USD').amount]), [
      ['TEE-S-BLK', 'S / Black', { Color: 'Black', Size: 'S' }, 1999],
      ['TEE-M-BLK', 'M / Black', { Color: 'Black', Size: 'M' }, 1999],
      ['TEE-L-BLK', 'L / Black', { Color: 'Black', Size: 'L' }, 2199],
      ['TEE-M-WHT', 'M / White', { Color: 'White', Size: 'M' }, 1999],
    ]);
    assert.deepEqual(tee.images.map((i) => [i.url, i.alt]), [
      ['https://cdn.example.com/tee-black.jpg', 'Classic Tee in black'],
      ['https://cdn.example.com/tee-white.jpg', 'Classic Tee in white'],
    ]);
    assert.deepEqual(tee.variants.map((v) => v.available), [10, 7, 0, 5]);

    const mug = (await admin('GET', '/api/v1/products/ceramic-mug')).body;
    assert.equal(mug.description, 'Holds 350 ml.\nDishwasher safe \u2013 of course.', 'script dropped, entities decoded');
    assert.equal(mug.variants.length, 1);
    assert.deepEqual(mug.variants[0].options, {});
    const gift = (await admin('GET', '/api/v1/products/gift-card')).body;
    assert.equal(gift.status, 'draft');
    assert.equal(gift.category.name, 'Gift Cards', 'the last part of Product Category when Type is empty');
    assert.deepEqual(gift.variants.map((v) => v.sku), ['gift-card-10', 'gift-card-25', 'gift-card-50']);
    const apron = (await admin('GET', '/api/v1/products/linen-apron')).body;
    assert.deepEqual(apron.images.map((i) => i.url), ['https://cdn.example.com/apron-1.jpg', 'https://cdn.example.com/apron-2.jpg'],
      'images ordered by Image Position');
    assert.deepEqual(apron.variants[0].options, { Color: 'Natural', Size: 'Regular', Strap: 'Cross-back' });
    expectError(await admin('GET', '/api/v1/products/broken-hat'), 404, 'NOT_FOUND');
  });

  it('the same file again changes nothing; a changed price updates that product only', async () => {
    const before = (await admin('GET', '/api/v1/products/classic-tee')).body;
    const again = await importCsv(SAMPLE);
    assert.deepEqual([again.stats.created, again.stats.updated, again.stats.unchanged], [0, 0, 4]);
    const same = (await admin('GET', '/api/v1/products/classic-tee')).body;
    assert.equal(same.updated_at, before.updated_at);

    const changed = SAMPLE.replace('TEE-M-BLK,210,shopify,7,deny,manual,19.99', 'TEE-M-BLK,210,shopify,7,deny,manual,17.49');
    assert.notEqual(changed, SAMPLE);
    const run = await importCsv(changed);
    assert.deepEqual([run.stats.created, run.stats.updated, run.stats.unchanged], [0, 1, 3]);
    const tee = (await admin('GET', '/api/v1/products/classic-tee')).body;
    assert.equal(tee.variants[1].prices.find((p) => p.currency === 'USD').amount, 1749);
    const list = (await api(srv, 'GET', '/api/v1/products?limit=10&sort=price_asc')).body;
    assert.ok(list.data.some((p) => p.slug === 'classic-tee' && p.price.amount === 1749), 'the lowest price follows');
  });

  it('adopts a product made in souk whose slug is the Handle instead of duplicating it', async () => {
    const made = await admin('POST', '/api/v1/products', { title: 'Desk Lamp', slug: 'desk-lamp', status: 'active',
      variants: [{ sku: 'LAMP-1', prices: [{ amount: 4500, currency: 'USD' }] }] });
    assert.equal(made.status, 201, made.text);
    const csv = 'Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price\ndesk-lamp,Desk Lamp,Title,Default Title,LAMP-1,39.00\n';
    const run = await importCsv(csv);
    assert.deepEqual([run.stats.created, run.stats.updated], [0, 1]);
    const lamp = (await admin('GET', '/api/v1/products/desk-lamp')).body;
    assert.equal(lamp.id, made.body.id);
    assert.equal(lamp.variants[0].prices.find((p) => p.currency === 'USD').amount, 3900);
    const again = await importCsv(csv);
    assert.deepEqual([again.stats.created, again.stats.updated, again.stats.unchanged], [0, 0, 1]);
  });

  it('exports the catalog as Shopify CSV, which imports back without a change', async () => {
    const r = await admin('GET', '/api/v1/admin/exports/products');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    const lines = r.text.split('\r\n');
    assert.ok(lines[0].startsWith('Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,Option1 Name'));
    assert.ok(r.text.includes('classic-tee,Classic Tee,"<p>Our classic tee, soft &amp; breathable.</p><p>100% cotton</p>'));
    const run = await importCsv(r.text);
    assert.equal(run.state, 'done');
    assert.deepEqual([run.stats.created, run.stats.updated, run.stats.unchanged, run.stats.error_rows], [0, 0, 5, 0]);
    const again = await admin('GET', '/api/v1/admin/exports/products');
    assert.equal(again.text, r.text, 'export → import → export is stable');
  });
});
