// Start a souk server on a fresh database in a temporary directory.
//
//   const srv = await startServer({ products: 300, seed: 7, env: { SOUK_MAX_BODY: '1024' } });
//   srv.url       -> 'http://127.0.0.1:PORT'
//   srv.adminKey  -> 'sk_...'
//   await srv.stop() -> exit code (SIGTERM)
//
// Crash tests: startServer({ keepDir: true }) keeps the directory when the
// server stops or is killed; `await srv.kill()` sends SIGKILL (or the signal
// given) and resolves {code, signal} once it is gone; then
// startServer({ dir: srv.dir, adminKey: srv.adminKey }) serves the same
// database again (no setup; the directory is removed at its stop() unless
// keepDir is set again).
//
// The binary is $SOUK_BIN, else ../../../build/souk relative to this file.
//
// SOUK_TEST_HTTP_PG=postgresql://user@host:port runs every server on a fresh
// PostgreSQL database of that server instead of a SQLite file (dropped at
// stop), with its signing-key key in DIR/key (and its product images in DIR/media, not in the
// working directory): the HTTP suite against the
// PostgreSQL adapter (tests that open the SQLite file themselves cannot).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync, writeFileSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOUK_BIN = process.env.SOUK_BIN
  ? path.resolve(process.env.SOUK_BIN)
  : path.resolve(here, '../../../build/souk');

const START_TIMEOUT_MS = 10_000;
const SETUP_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;
const KEY_RE = /admin api key: (sk_[A-Za-z0-9._~+/=-]+)/;
const PG = process.env.SOUK_TEST_HTTP_PG || '';
const pgKeyFiles = new Map(); /* a PostgreSQL test database's DSN -> the key file its servers are given */
const ERROR_LOG = process.env.SOUK_TEST_ERROR_LOG || '';
let pgCount = 0;

/* psql against the PostgreSQL server's maintenance database */
function pgAdmin(sql) {
  const r = spawnSync('psql', [`${PG}/postgres`, '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr}`);
}

/* DIR's database: a SQLite file, or (SOUK_TEST_HTTP_PG) a PostgreSQL database
 * made for it, named in DIR/pg_dsn so that a restart finds it again */
function databaseOf(dir, create) {
  if (!PG) return { dbPath: path.join(dir, 'souk.db'), pgEnv: {}, drop: () => {} };
  const dsnFile = path.join(dir, 'pg_dsn');
  let dsn;
  if (create) {
    const name = `souk_http_${process.pid}_${++pgCount}_${randomBytes(3).toString('hex')}`;
    pgAdmin(`CREATE DATABASE ${name}`);
    dsn = `${PG}/${name}`;
    writeFileSync(dsnFile, dsn);
    writeFileSync(path.join(dir, 'key'), randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  } else {
    dsn = readFileSync(dsnFile, 'utf8');
  }
  pgKeyFiles.set(dsn, path.join(dir, 'key'));
  const drop = () => pgAdmin(`DROP DATABASE IF EXISTS ${dsn.slice(dsn.lastIndexOf('/') + 1)} WITH (FORCE)`);
  return { dbPath: dsn, pgEnv: { SOUK_KEY_FILE: path.join(dir, 'key'), SOUK_MEDIA_DIR: path.join(dir, 'media') }, drop };
}

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/* Defaults for test servers: no rate limits (each test file hammers one
 * server from one address; the rate-limit tests set their own limits) and
 * the cheapest password hashing OWASP allows (Argon2id, 19 MiB, t=2). */
export const TEST_ENV = {
  SOUK_RATE_LIMIT_IP: '0',
  SOUK_RATE_LIMIT_USER: '0',
  SOUK_RATE_LIMIT_AUTH: '0',
  SOUK_ARGON2_MEMLIMIT_MB: '19',
  SOUK_BUG_ABORT: '1', // a broken invariant (SOUK_BUG) fails the test instead of only logging
  // Every order is still scored, but none held: the fixtures give every customer one card and one
  // address, the reshipper's signature (docs/fraud.md). fraud.test.js sets its own threshold.
  SOUK_FRAUD_HOLD_THRESHOLD: 'off',
};
export const ADMIN_EMAIL = 'admin@test.example';
export const ADMIN_PASSWORD = 'test admin password 1';

function tail(s, n = 4000) {
  return s.length > n ? '...' + s.slice(-n) : s;
}

/** Run a one-shot souk command; resolves {code, signal, stdout, stderr}. */
export function runSouk(args, { env = {}, timeoutMs = SETUP_TIMEOUT_MS, input } = {}) {
  /* a command on a PostgreSQL test database gets that database's key file, as its server does */
  const db = args[args.indexOf('--db') + 1];
  if (args.includes('--db') && pgKeyFiles.has(db)) env = { SOUK_KEY_FILE: pgKeyFiles.get(db), SOUK_MEDIA_DIR: path.join(path.dirname(pgKeyFiles.get(db)), 'media'), ...env };
  return new Promise((resolve, reject) => {
    const proc = spawn(SOUK_BIN, args, { env: { ...TEST_ENV, ...process.env, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) proc.stdin.end(input);
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    proc.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`souk ${args.join(' ')} timed out after ${timeoutMs} ms\nstderr:\n${tail(stderr)}`));
    }, timeoutMs);
    proc.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot run ${SOUK_BIN}: ${e.message}`)); });
    proc.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/**
 * @param {{products?: number, seed?: number, env?: Record<string,string>,
 *          dir?: string, adminKey?: string, keepDir?: boolean}} opts
 *   dir + adminKey: serve the database DIR/souk.db left by an earlier server (no setup);
 *   keepDir: do not remove the directory when the server stops, is killed or fails to start.
 */
export async function startServer({ products, seed = 1, env = {}, dir: reuseDir, adminKey: reuseKey, keepDir = false } = {}) {
  if (!existsSync(SOUK_BIN)) {
    throw new Error(`souk binary not found at ${SOUK_BIN} (build it, or set SOUK_BIN)`);
  }
  if (reuseDir !== undefined && !reuseKey) throw new Error('startServer: dir needs the adminKey of that database');
  const dir = reuseDir !== undefined ? reuseDir : mkdtempSync(path.join(tmpdir(), 'souk-test-'));
  const { dbPath, pgEnv, drop } = databaseOf(dir, reuseDir === undefined);
  env = { ...pgEnv, ...env };
  if (reuseDir !== undefined && !PG && !existsSync(dbPath)) throw new Error(`startServer: no database at ${dbPath}`);
  const cleanup = () => {
    if (keepDir) return;
    try { drop(); } catch { /* ignore */ }
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* ignore */ }
  };

  let adminKey = reuseDir !== undefined ? reuseKey : null;
  if (reuseDir === undefined) try {
    const setupArgs = products !== undefined && products !== null
      ? ['demo', '--db', dbPath, '--products', String(products), '--seed', String(seed)]
      : ['migrate', '--db', dbPath];
    const r = await runSouk(setupArgs, { env });
    if (r.code !== 0) {
      throw new Error(`souk ${setupArgs.join(' ')} exited with ${r.code ?? r.signal}\nstdout:\n${tail(r.stdout)}\nstderr:\n${tail(r.stderr)}`);
    }
    let out = r.stdout;
    if (setupArgs[0] === 'migrate') {
      /* an admin account and its key, as an operator would make them */
      const u = await runSouk(['user', 'create', '--db', dbPath, '--email', ADMIN_EMAIL, '--role', 'admin', '--api-key'],
        { env, input: ADMIN_PASSWORD + '\n' });
      if (u.code !== 0) throw new Error(`souk user create failed (${u.code})\nstderr:\n${tail(u.stderr)}`);
      out = u.stdout;
    }
    const m = KEY_RE.exec(out);
    if (m) adminKey = m[1];
    if (!adminKey) {
      throw new Error(`souk ${setupArgs[0]} did not print "admin api key: sk_..." on stdout\nstdout:\n${tail(out)}`);
    }
  } catch (e) {
    cleanup();
    throw e;
  }

  const proc = spawn(SOUK_BIN, ['serve', '--listen', '127.0.0.1:0', '--db', dbPath, '--threads', '2'], {
    env: { ...TEST_ENV, ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  const server = {
    url: null, port: null, adminKey, proc, dbPath, dir,
    stdout: '', stderr: '', logs: [],
    exited: null,
    stop: null,
    kill: null,
  };
  const exitPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      server.exited = { code, signal };
      resolve({ code, signal });
    });
  });

  let stopped = false;
  server.stop = async () => {
    if (stopped) return server.exited ? server.exited.code : null;
    stopped = true;
    try {
      if (!server.exited) proc.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS); });
      const res = await Promise.race([exitPromise, timeout]);
      clearTimeout(timer);
      if (res === 'timeout') {
        proc.kill('SIGKILL');
        await exitPromise;
        throw new Error(`souk serve did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\nstderr:\n${tail(server.stderr)}`);
      }
      return res.code;
    } finally {
      cleanup();
    }
  };

  /* An abrupt end (SIGKILL by default): resolves {code, signal} once the process is gone.
   * The directory is removed unless keepDir; stop() afterwards only returns. */
  server.kill = async (signal = 'SIGKILL') => {
    if (!stopped) {
      stopped = true;
      if (!server.exited) proc.kill(signal);
    }
    const res = await exitPromise;
    cleanup();
    return res;
  };

  await new Promise((resolve, reject) => {
    let done = false;
    let stderrBuf = '';
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err); else resolve();
    };
    const ready = () => server.port !== null && server.adminKey !== null;
    const timer = setTimeout(() => {
      const what = server.port === null ? 'no {"message":"listening"} log line on stderr' : 'no "admin api key: sk_..." line on stdout';
      proc.kill('SIGKILL');
      cleanup();
      finish(new Error(`souk serve did not come up within ${START_TIMEOUT_MS / 1000} s (${what})\nstdout:\n${tail(server.stdout)}\nstderr:\n${tail(server.stderr)}`));
    }, START_TIMEOUT_MS);

    proc.stdout.setEncoding('utf8').on('data', (d) => {
      server.stdout += d;
      if (server.adminKey === null) {
        const m = KEY_RE.exec(server.stdout);
        if (m) server.adminKey = m[1];
      }
      if (ready()) finish();
    });
    proc.stderr.setEncoding('utf8').on('data', (d) => {
      server.stderr += d;
      stderrBuf += d;
      if (ERROR_LOG) { /* SOUK_TEST_ERROR_LOG=FILE: every server's error lines, to read after a run */
        for (const l of d.split('\n')) if (l.includes('"level":"error"')) appendFileSync(ERROR_LOG, l + '\n');
      }
      let nl;
      while ((nl = stderrBuf.indexOf('\n')) >= 0) {
        const line = stderrBuf.slice(0, nl).trim();
        stderrBuf = stderrBuf.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        let rec;
        try { rec = JSON.parse(line); } catch { continue; }
        server.logs.push(rec);
        if (server.port === null && rec.message === 'listening' && rec.context && Number.isInteger(rec.context.port)) {
          server.port = rec.context.port;
          server.url = `http://127.0.0.1:${server.port}`;
        }
      }
      if (ready()) finish();
    });
    proc.on('error', (e) => { cleanup(); finish(new Error(`cannot run ${SOUK_BIN}: ${e.message}`)); });
    exitPromise.then(({ code, signal }) => {
      if (!done) {
        cleanup();
        finish(new Error(`souk serve exited early (${code ?? signal})\nstdout:\n${tail(server.stdout)}\nstderr:\n${tail(server.stderr)}`));
      }
    });
  });

  return server;
}
