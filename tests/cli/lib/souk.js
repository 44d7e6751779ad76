// Running the souk binary for CLI tests, and reading the tables its commands print.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The binary: $SOUK_BIN (relative to tests/), else build/souk. */
export const SOUK = resolve(here, '../..', process.env.SOUK_BIN || '../build/souk');

/** Runs souk with ARGS (spawnSync OPTS added); {code, out, err}. */
export function souk(args, opts = {}) {
  const r = spawnSync(SOUK, args, { encoding: 'utf8', timeout: 120000, ...opts });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The table OUT prints under the header line starting with FIRST: rows by their first column,
 * each {cols, NAMES[i]: the (i+1)th column as a number}; and the header's words. */
export function table(out, first, names) {
  const lines = out.split('\n');
  const h = lines.findIndex((l) => l.startsWith(first));
  assert.ok(h >= 0, `no table header in:\n${out}`);
  const head = lines[h].trim().split(/\s+/);
  const rows = {};
  for (const line of lines.slice(h + 1)) {
    if (!line.trim()) break;
    const f = line.trim().split(/\s+/);
    rows[f[0]] = { cols: f.length };
    names.forEach((n, i) => { rows[f[0]][n] = +f[i + 1]; });
  }
  return { head, rows };
}
