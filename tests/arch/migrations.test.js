// PostgreSQL's migration set is SQLite's translated by src/store/migrations/postgres.sed
// (INTEGER -> BIGINT, BLOB -> BYTEA, no WITHOUT ROWID), except where
// src/store/migrations/postgres/ holds a hand-written twin of the same name (ADR 0006).
// What the translation cannot do needs a twin: SQLite's trigger bodies do not parse on
// PostgreSQL. A twin without its SQLite file would never run, and a twin must itself be
// PostgreSQL's DDL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = (d) => path.join(root, 'src/store/migrations', d);
const UNTRANSLATED = [/CREATE\s+TRIGGER/i]; /* what postgres.sed leaves as it is */

describe('PostgreSQL migrations', () => {
  it('every SQLite migration the translation cannot carry has a PostgreSQL twin', () => {
    const missing = [];
    for (const name of readdirSync(dir('sqlite')).filter((f) => f.endsWith('.sql')).sort()) {
      const text = readFileSync(path.join(dir('sqlite'), name), 'utf8').replace(/--[^\n]*/g, '');
      const hit = UNTRANSLATED.find((re) => re.test(text));
      if (hit && !existsSync(path.join(dir('postgres'), name))) missing.push(`${name} (${hit.source})`);
    }
    assert.deepEqual(missing, [], 'write src/store/migrations/postgres/<same name> for these');
  });

  it('every PostgreSQL twin has its SQLite migration, and none of SQLite-only DDL itself', () => {
    for (const name of readdirSync(dir('postgres')).filter((f) => f.endsWith('.sql'))) {
      assert.ok(existsSync(path.join(dir('sqlite'), name)), `${name} has no SQLite migration of that name`);
      const text = readFileSync(path.join(dir('postgres'), name), 'utf8').replace(/--[^\n]*/g, '');
      for (const re of [/\bINTEGER\b/i, /\bBLOB\b/i, /WITHOUT\s+ROWID/i, /\bAUTOINCREMENT\b/i]) {
        assert.ok(!re.test(text), `${name} uses ${re.source}`);
      }
    }
  });
});
