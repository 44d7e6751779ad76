// PostgreSQL's migration set is SQLite's except where src/store/migrations/postgres/
// holds a twin of the same name (ADR 0006). A SQLite migration whose DDL does not
// mean the same on PostgreSQL must have one: INTEGER is 32-bit there (souk's ids
// and times are 64-bit), BLOB does not exist, WITHOUT ROWID and SQLite's trigger
// bodies do not parse. And a twin without its SQLite file would never run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = (d) => path.join(root, 'src/store/migrations', d);
const SQLITE_ONLY = [/\bINTEGER\b/i, /\bBLOB\b/i, /WITHOUT\s+ROWID/i, /\bAUTOINCREMENT\b/i, /CREATE\s+TRIGGER/i];

describe('PostgreSQL migrations', () => {
  it('every SQLite migration with SQLite-only DDL has a PostgreSQL twin', () => {
    const missing = [];
    for (const name of readdirSync(dir('sqlite')).filter((f) => f.endsWith('.sql')).sort()) {
      const text = readFileSync(path.join(dir('sqlite'), name), 'utf8').replace(/--[^\n]*/g, '');
      const hit = SQLITE_ONLY.find((re) => re.test(text));
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
