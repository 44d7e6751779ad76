// `souk search`: the index built from a demo database answers queries; bad input is refused.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { souk } from './lib/souk.js';

const here = dirname(fileURLToPath(import.meta.url));

let dir, db;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'souk-search-'));
  db = join(dir, 'demo.db');
  const r = souk(['demo', '--db', db, '--products', '300']);
  assert.equal(r.code, 0, r.err);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('souk search', () => {
  it('finds products by title words, with facet counts', () => {
    const r = souk(['search', '--db', db, '--facet', 'brand', '--limit', '5', 'shirt ']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^index: \d+ products in [\d.]+ s/m);
    const m = r.out.match(/^(\d+) results in [\d.]+ ms$/m);
    assert.ok(m, r.out);
    const total = Number(m[1]);
    assert.ok(total > 0);
    const hits = r.out.split('\n').filter((l) => /^\s+\d+\s+prod_/.test(l));
    assert.equal(hits.length, Math.min(5, total));
    for (const h of hits) assert.match(h, /shirt/i);
    const facet = r.out.match(/^facet brand:(.*)$/m);
    assert.ok(facet);
    const counts = [...facet[1].matchAll(/\((\d+)\)/g)].map((x) => Number(x[1]));
    assert.ok(counts.length > 0 && counts.every((c) => c >= 1 && c <= total));
    // brands are named by their typed ids, as the API names them
    assert.match(facet[1], /^( brand_[0-9A-Z]+ \(\d+\))+$/);
  });

  it('applies the synonyms admins stored, as the server does', () => {
    const word = 'zorblaxcli';
    assert.match(souk(['search', '--db', db, `${word} `]).out, /^0 results/m);
    const put = spawnSync('sqlite3', [db, `INSERT INTO search_settings (name, value, updated_at) VALUES ('synonyms', '["${word}, shirt"]', 1)`], { encoding: 'utf8' });
    assert.equal(put.status, 0, put.stderr);
    const r = souk(['search', '--db', db, `${word} `]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /^0 results/m);
    spawnSync('sqlite3', [db, "DELETE FROM search_settings"]);
  });

  it('refuses bad flags and hostile queries with exit 2, a missing database with 1', () => {
    assert.equal(souk(['search', '--db', db, '--sort', 'sideways', 'x']).code, 2);
    assert.equal(souk(['search', '--db', db]).code, 2);
    const long = souk(['search', '--db', db, 'a'.repeat(10241)]);
    assert.equal(long.code, 2);
    assert.match(long.err, /longer than 10240 bytes/);
    const many = souk(['search', '--db', db, Array.from({ length: 500 }, (_, i) => `w${i}x`).join(' ')]);
    assert.equal(many.code, 2);
    assert.match(many.err, /more than 32 words/);
    const odd = souk(['search', '--db', db, '"unbalanced -- ((a|b)*)+$ \u0001']);
    assert.equal(odd.code, 0, odd.err);
    assert.equal(souk(['search', '--db', join(dir, 'none.db'), 'x']).code, 1);
  });
});
