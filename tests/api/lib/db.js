// SQL on a test server's database, as an operator's shell would run it:
// sqlite3 on the (live, WAL) SQLite file, waiting for its write lock, or psql
// when the server runs on PostgreSQL (SOUK_TEST_HTTP_PG: DB is then a DSN).
// Rows come back as sqlite3 prints them: columns joined by '|', one row per
// line, trimmed.
import { execFileSync } from 'node:child_process';

/** Runs TEXT on DB (a SQLite file path or a postgresql:// DSN); returns stdout trimmed. */
export function sql(db, text) {
  const opts = { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] };
  if (isPostgres(db)) {
    return execFileSync('psql', [db, '-X', '-q', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-c', text], opts).trim();
  }
  return execFileSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', db, text], opts).trim();
}

/** True when DB names a PostgreSQL database. */
export function isPostgres(db) {
  return /^postgres(ql)?:\/\//.test(db);
}

/** The statement that drops TRIGGER of TABLE, in DB's dialect (tests that tamper with the audit log). */
export function dropTrigger(db, trigger, table) {
  return isPostgres(db) ? `DROP TRIGGER ${trigger} ON ${table}` : `DROP TRIGGER ${trigger}`;
}

/** EXPR's bytes as upper-case hex, in DB's dialect (SQLite's hex()). */
export function hexOf(db, expr) {
  return isPostgres(db) ? `upper(encode(${expr}, 'hex'))` : `hex(${expr})`;
}

/** The HTTP suite runs its servers on PostgreSQL (SOUK_TEST_HTTP_PG): a test of a SQLite-only
 * property (a file beside the database, bytes in the file) is skipped, saying why. */
export const ON_POSTGRES = Boolean(process.env.SOUK_TEST_HTTP_PG);

/** The text of KEY in the JSON text column COL, in DB's dialect (SQLite's json_extract). */
export function jsonText(db, col, key) {
  return isPostgres(db) ? `(CAST(${col} AS json) ->> '${key}')` : `json_extract(${col}, '$.${key}')`;
}

/** A query for the names of DB's tables, in order, in its dialect. */
export function tableNames(db) {
  return isPostgres(db)
    ? 'SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename'
    : "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
}

/** TEXT as a write by another program than souk: on PostgreSQL it ends with NOTIFY souk_commit,
 * which is how souk's own processes tell running servers they committed (ADR 0006). */
export function sqlFromOutside(db, text) {
  return sql(db, isPostgres(db) ? `${text}; NOTIFY souk_commit` : text);
}
