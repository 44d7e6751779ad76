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
