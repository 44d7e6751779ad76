/*
 * store.h — the storage port. Domain code talks SQL through this header
 * only; adapters (src/store/sqlite today, src/store/postgres later)
 * implement src/store/adapter.h and are chosen by the DSN at open time.
 *
 * Conventions
 * - One SQL text for every database: $1, $2 … parameters, INSERT …
 *   RETURNING, ON CONFLICT, CTEs; no dialect-only functions (see
 *   docs/internals/store.md for the portable forms).
 * - Parameters are typed lists (souk_param, SOUK_ARGS) and result columns
 *   typed specs (souk_col, SOUK_COLS), after GNU Taler's QueryParam and
 *   ResultSpec: no hand-written bind or column calls, and every parameter
 *   the SQL names must be given — no more, no fewer.
 * - souk_store_query() prepares a statement once per connection (cached by
 *   its SQL text) and binds it. When 256 are cached, the least recently
 *   used one that is not mid-rows is evicted; an evicted statement stays
 *   valid until the next souk_store_idle(), so a pointer a caller holds
 *   within one request never dangles.
 * - Results are three-way plus error classes (after Taler's QueryStatus):
 *   SOUK_DB_ROW, SOUK_DB_DONE, or a negative error class. A NULL statement
 *   (it did not prepare or bind; already logged) steps as SOUK_DB_HARD, so
 *   callers need not test for it.
 * - A statement must be stepped to DONE or finished with souk_stmt_done();
 *   souk_store_idle() resets any left open, and the HTTP layer calls it
 *   after every request so no read snapshot outlives its request.
 * - A connection is used by one thread at a time.
 */
#ifndef SOUK_STORE_H
#define SOUK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

typedef struct souk_store souk_store;
typedef struct souk_stmt souk_stmt;

enum souk_db_status {
    SOUK_DB_CONSTRAINT = -3, /* a UNIQUE/CHECK/FOREIGN KEY constraint failed */
    SOUK_DB_HARD = -2,       /* anything else: I/O, corruption, bad SQL (our bug) */
    SOUK_DB_SOFT = -1,       /* busy / serialization failure: retry the transaction */
    SOUK_DB_DONE = 0,        /* no (more) rows */
    SOUK_DB_ROW = 1,         /* a row is available */
};

/* ---- connections ---- */

/* Opens a connection for DSN and configures it:
 *   "souk.db", "/var/lib/souk/shop.db"  a SQLite file (created if missing)
 *   "sqlite:PATH", "sqlite://PATH"       the same, explicitly ("sqlite:///abs/path")
 * Another scheme ("postgres://…") names an adapter this binary may not have:
 * then -1 with a message saying so. Returns 0, or -1 with a message in ERR. */
int souk_store_open(souk_store **out, const char *dsn, char *err, size_t errlen); /* *OUT untouched on failure */

/* The same, for a database that must exist already (tools that inspect
 * one): a missing SQLite file is an error, not created. */
int souk_store_open_existing(souk_store **out, const char *dsn, char *err, size_t errlen);

/* 1 when table NAME exists, 0 when not, or a negative souk_db_status. */
int souk_store_table_exists(souk_store *db, const char *name);

/* Finalizes cached statements and closes. NULL is allowed. */
void souk_store_close(souk_store *db);

/* The adapter serving DB: "sqlite". */
const char *souk_store_backend(const souk_store *db);

/* Message of the last error on this connection. */
const char *souk_store_errmsg(souk_store *db);

/* Cheap liveness check: 0 when a trivial query succeeds. */
int souk_store_ping(souk_store *db);

/* True while DB's server cannot be reached: its session was lost (a restart,
 * a network failure) and has not been made again. An adapter reconnects by
 * itself outside transactions; what failed meanwhile is "unavailable" (503),
 * not a bug of ours (500). Always false on SQLite. */
bool souk_store_lost(const souk_store *db);

/* ---- migrations ---- */

/* Applies the adapter's pending forward-only migrations, each in its own
 * transaction, and records them in schema_migrations; a migration numbered
 * below an applied one is applied too. *APPLIED (optional) gets the number
 * applied. Returns 0 or a negative souk_db_status. */
int souk_store_migrate(souk_store *db, int *applied);

/* Highest applied migration version, 0 for an empty database, -1 on error. */
int souk_store_schema_version(souk_store *db);

/* ---- typed parameters ---- */

typedef enum souk_type {
    SOUK_TYPE_END = 0, /* ends a list */
    SOUK_TYPE_NULL,
    SOUK_TYPE_I64,
    SOUK_TYPE_BOOL,
    SOUK_TYPE_TEXT,
    SOUK_TYPE_BLOB,
    SOUK_TYPE_SKIP, /* a column that is not read */
} souk_type;

/* One query parameter. Text and blobs are copied when bound: they need only
 * live until souk_store_query (or souk_store_one/exec) returns. */
typedef struct souk_param {
    souk_type type;
    int64_t i64;     /* I64, BOOL (0/1) */
    const void *ptr; /* TEXT, BLOB */
    size_t len;      /* TEXT: SIZE_MAX = NUL-terminated */
} souk_param;

#define SOUK_I64(v) ((souk_param){.type = SOUK_TYPE_I64, .i64 = (int64_t)(v)})
#define SOUK_BOOL(v) ((souk_param){.type = SOUK_TYPE_BOOL, .i64 = (v) ? 1 : 0})
/* NUL-terminated text; a NULL pointer binds SQL NULL */
#define SOUK_TEXT(s) ((souk_param){.type = SOUK_TYPE_TEXT, .ptr = (s), .len = SIZE_MAX})
/* N bytes of text; a NULL pointer binds SQL NULL */
#define SOUK_TEXTN(s, n) ((souk_param){.type = SOUK_TYPE_TEXT, .ptr = (s), .len = (n)})
#define SOUK_BLOB(p, n) ((souk_param){.type = SOUK_TYPE_BLOB, .ptr = (p), .len = (n)})
#define SOUK_NULL ((souk_param){.type = SOUK_TYPE_NULL})
/* an id where 0 means "none": SQL NULL for 0 */
#define SOUK_REF(v) souk__param_ref((int64_t)(v))
/* the parameter list $1, $2 … of one statement */
#define SOUK_ARGS(...) ((const souk_param[]){__VA_ARGS__, {.type = SOUK_TYPE_END}})

static inline souk_param souk__param_ref(int64_t v)
{
    return v ? SOUK_I64(v) : SOUK_NULL;
}

/* ---- typed result columns ---- */

/* Where one result column goes. Columns are matched by position: the n-th
 * spec reads column n. */
typedef struct souk_col {
    souk_type type;    /* I64, BOOL, TEXT, SKIP */
    void *out;         /* int64_t *, bool *, char * buffer, or char ** (see below) */
    size_t cap;        /* TEXT into a buffer: its size; 0 = out is char ** */
    souk_arena *arena; /* TEXT as char **: copy into this arena; NULL = malloc (caller frees) */
    bool *is_null;     /* optional: set to whether the column was NULL */
} souk_col;

/* NULL reads as 0 / false / "" in every form; pass is_null to tell. */
#define SOUK_COL_I64(p) ((souk_col){.type = SOUK_TYPE_I64, .out = (p)})
#define SOUK_COL_BOOL(p) ((souk_col){.type = SOUK_TYPE_BOOL, .out = (p)})
/* text copied into the char array ARR (truncated at a character boundary) */
#define SOUK_COL_STR(arr) ((souk_col){.type = SOUK_TYPE_TEXT, .out = (arr), .cap = sizeof(arr)})
/* text copied into a new string *PP: malloc'd (caller frees), or in ARENA */
#define SOUK_COL_DUP(pp) ((souk_col){.type = SOUK_TYPE_TEXT, .out = (pp)})
#define SOUK_COL_ARENA(pp, a) ((souk_col){.type = SOUK_TYPE_TEXT, .out = (pp), .arena = (a)})
/* any of the above, also reporting NULL into *NULLP */
#define SOUK_COL_NULLABLE(col, nullp) souk__col_nullable(col, nullp)
#define SOUK_COL_SKIP ((souk_col){.type = SOUK_TYPE_SKIP})
#define SOUK_COLS(...) ((const souk_col[]){__VA_ARGS__, {.type = SOUK_TYPE_END}})

static inline souk_col souk__col_nullable(souk_col c, bool *nullp)
{
    c.is_null = nullp;
    return c;
}

/* ---- statements ---- */

/* The cached prepared statement for SQL, reset and bound to ARGS (NULL = no
 * parameters). NULL when SQL does not compile, or ARGS does not give
 * exactly the parameters SQL names (logged, counted as a DB error); a NULL
 * statement steps as SOUK_DB_HARD. */
souk_stmt *souk_store_query(souk_store *db, const char *sql, const souk_param *args);

/* Steps ST and, on a row, reads it into COLS (NULL = read nothing).
 * Returns SOUK_DB_ROW, SOUK_DB_DONE (the statement is reset) or an error
 * class (reset too; also when a column could not be read: out of memory, or
 * more specs than columns). */
int souk_stmt_next(souk_stmt *st, const souk_col *cols);

/* Steps: souk_stmt_next(st, NULL). */
int souk_stmt_step(souk_stmt *st);

/* Resets ST so it releases its read snapshot. NULL is allowed. */
void souk_stmt_done(souk_stmt *st);

/* Runs SQL with ARGS and reads its first row into COLS, then finishes the
 * statement. Returns SOUK_DB_ROW (COLS filled), SOUK_DB_DONE (no row; COLS
 * untouched) or an error class. */
int souk_store_one(souk_store *db, const char *sql, const souk_param *args, const souk_col *cols);

/* Runs SQL with ARGS to completion (INSERT/UPDATE/DELETE; returned rows are
 * ignored). Returns SOUK_DB_DONE or an error class. */
int souk_store_exec(souk_store *db, const char *sql, const souk_param *args);

/* Like souk_store_exec, but returns the number of rows changed (≥ 0), or
 * an error class. */
int64_t souk_store_update(souk_store *db, const char *sql, const souk_param *args);

/* Like souk_store_update, as a write transaction of its own (nested when
 * DB is in one already): for a lone write outside any transaction. Returns
 * rows changed, or an error class. */
int64_t souk_store_update_tx(souk_store *db, const char *sql, const souk_param *args);

/* Rows changed by the last INSERT/UPDATE/DELETE on this connection. */
int64_t souk_store_changes(souk_store *db);

/* Column accessors for the current row (0-based), for code that renders a
 * row as it reads it. Text stays valid until the next step/done; NULL
 * columns read as 0 / NULL. */
int64_t souk_stmt_i64(souk_stmt *st, int col);
const char *souk_stmt_text(souk_stmt *st, int col, size_t *len);
const void *souk_stmt_blob(souk_stmt *st, int col, size_t *len);
int souk_stmt_is_null(souk_stmt *st, int col);
/* A malloc'd, NUL-terminated copy of text column COL ("" for NULL) that
 * outlives the row; NULL when memory runs out. The caller frees it. */
char *souk_stmt_strdup(souk_stmt *st, int col);

/* ---- transactions ---- */

/* Runs FN(DB, CTX) inside a write transaction. FN returns >= 0 to commit,
 * SOUK_DB_SOFT to roll back and retry (with backoff, bounded), or any other
 * negative value to roll back and return it. Returns FN's value, or an error
 * class when BEGIN/COMMIT fail for good.
 * One write transaction at a time per database, on both adapters: SQLite's
 * BEGIN IMMEDIATE takes the file's write lock; PostgreSQL's takes one
 * advisory lock (the writer lock) in the round trip before BEGIN, so the
 * transaction's snapshot comes after it. So an append that reads a log's
 * head (the audit chain) or takes the next id of a log read in id order
 * (the outbox) sees every earlier writer's commit, from any process. */
int souk_store_tx(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx);

/* Like souk_store_tx, for a FN that leaves nothing behind when it fails
 * (its only write is one statement, which undoes itself, and it registers
 * no after-commit hook before that write): where DB is in a write
 * transaction already (a group's committer running a write request) FN
 * runs in it as it is, without a savepoint of its own; elsewhere it is
 * souk_store_tx. Returns FN's value, or what souk_store_tx returns. */
int souk_store_tx_join(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx);

/* A transaction body that answers SOUK_OK (commit), SOUK_E_UNAVAILABLE (a
 * transient database failure: roll back and run the body again) or any
 * other souk_err (roll back). */
typedef souk_err (*souk_store_body)(souk_store *db, void *ctx);

/* Runs BODY in one write transaction, again while it answers
 * SOUK_E_UNAVAILABLE; problems PR collected by a failed attempt are dropped
 * before the next one (PR may be NULL). Returns BODY's souk_err
 * (SOUK_OK = committed), or the mapped failure of BEGIN/COMMIT: an
 * exhausted retry is SOUK_E_UNAVAILABLE (503) everywhere. */
souk_err souk_store_run(souk_store *db, souk_store_body body, void *ctx, souk_problems *pr);

/* Maps a souk_db_status to a souk_err: SOFT → UNAVAILABLE (retry the
 * transaction), CONSTRAINT → CONFLICT, other negatives → INTERNAL, else OK. */
static inline souk_err souk_store_dberr(int r)
{
    if (r >= 0)
        return SOUK_OK;
    return r == SOUK_DB_SOFT ? SOUK_E_UNAVAILABLE : r == SOUK_DB_CONSTRAINT ? SOUK_E_CONFLICT : SOUK_E_INTERNAL;
}

/* Maps a souk_err to what a souk_store_tx function returns: 0 for SOUK_OK,
 * SOUK_DB_SOFT for SOUK_E_UNAVAILABLE (retry), else -1000 - E. */
static inline int souk_store_err_status(souk_err e)
{
    return e == SOUK_OK ? 0 : e == SOUK_E_UNAVAILABLE ? SOUK_DB_SOFT : -1000 - (int)e;
}

/* Starts a read transaction: every statement until souk_store_read_end
 * reads one snapshot, and locks are taken once instead of per statement.
 * Not for use inside souk_store_tx. Returns 0 or an error class. */
int souk_store_read_begin(souk_store *db);

/* Ends the read transaction (resetting open statements first). */
void souk_store_read_end(souk_store *db);

/* Resets every statement of this connection and frees evicted ones (end of
 * request or job). */
void souk_store_idle(souk_store *db);

/* Runs FN(ARG) once the write transaction DB is in has committed — at once
 * when DB is in none; never when it (or the savepoint FN was registered in)
 * rolls back. ARG (LEN ≤ 64 bytes) is copied. For in-memory state that must
 * follow what was committed (caches, read models); FN runs on the thread
 * that committed and must not block. 0, or -1 (LEN too large, or memory). */
int souk_store_after_commit(souk_store *db, void (*fn)(void *arg), const void *arg, size_t len);

/* Marks DB as an event loop's connection: it reads, and a write statement
 * or write transaction on it is our bug (SOUK_BUG: logged, counted, fatal
 * under SOUK_BUG_ABORT=1), because it would make the loop wait for the
 * write lock. */
void souk_store_forbid_writes(souk_store *db);

/* ---- the read replica (replica.c) ----
 * Optional (SOUK_DB_REPLICA): a PostgreSQL streaming replica of the
 * primary, for long reads that need not see the caller's own writes
 * (analytics builds, report queries). Never for a write, never for a read
 * that must see what this request or job just committed. */

/* Names the process's replica: REPLICA_DSN ("" or NULL: none) of the
 * primary PRIMARY_DSN, used while it lags at most MAX_LAG_MS. Refuses (-1,
 * a message for the operator in ERR) a SQLite primary or replica, and the
 * primary itself; 0 otherwise. Call once, before threads pick. */
int souk_store_replica_configure(const char *primary_dsn, const char *replica_dsn, int max_lag_ms, char *err,
                                 size_t errlen);

/* True when a replica is configured. */
bool souk_store_replica_enabled(void);

/* The connection a long read for PURPOSE (a short metric label such as
 * "analytics_build") should use: the caller's replica connection *SLOT
 * (opened on first use, kept for the next call, closed by the caller with
 * souk_store_close; write-forbidden) when the replica answers, is in
 * recovery and lags at most the bound; PRIMARY otherwise (and always when
 * none is configured) — the fallback logged and counted in
 * souk_db_replica_fallbacks_total{purpose,reason}. *LAG_MS (optional) gets
 * how far the replica was behind (0: it had all the primary had written),
 * 0 when PRIMARY is answered. Costs one short query on each. */
souk_store *souk_store_replica_pick(souk_store *primary, souk_store **slot, const char *purpose, int64_t *lag_ms);

/* souk_store_replica_pick with a replica connection kept per thread (the
 * HTTP handlers'). CURRENT: the replica only when it has replayed all the
 * primary had written when asked (reason "behind" otherwise) — so a read
 * there sees every write committed before it, the caller's own included
 * (an export an operator runs right after an edit). */
souk_store *souk_store_replica_here(souk_store *primary, const char *purpose, bool current);

/* A read on the replica failed part-way (its server went away): logs and
 * counts the fallback (reason "failed"); the caller reads the primary. */
void souk_store_replica_failed(const char *purpose, const char *detail);

/* ---- group commit (group.c) ----
 * A group is a committer thread with its own connection. Every connection
 * joined to it sends its write transactions (souk_store_tx, souk_store_run)
 * there; the committer runs whatever is queued in one database transaction,
 * each in a savepoint of its own (one that fails rolls back alone), commits
 * once, and only then answers: nothing is acknowledged before it is
 * durable. A transaction started inside another one (on the committer, or
 * anywhere) is a savepoint of it. Writes outside any transaction on a
 * joined connection are our bug (SOUK_BUG). */
typedef struct souk_store_group souk_store_group;

/* Starts a group for DSN. Returns 0 with *OUT, or -1 with a message in ERR. */
int souk_store_group_start(souk_store_group **out, const char *dsn, char *err, size_t errlen);

/* Runs what is queued, stops the committer and frees G. No connection may
 * submit to G afterwards (their transactions answer SOUK_DB_SOFT while it
 * stops). NULL is allowed. */
void souk_store_group_stop(souk_store_group *g);

/* Sends DB's write transactions to G from now on (DB: same database). */
void souk_store_group_join(souk_store *db, souk_store_group *g);

/* Makes G the process's group: every connection opened from now on for the
 * same DSN joins it (NULL: none again). Set it before other threads open
 * connections (souk serve does, first thing after migrating). */
void souk_store_group_set_default(souk_store_group *g);

/* The group DB is joined to, or NULL. */
souk_store_group *souk_store_group_of(const souk_store *db);

/* Bounds what souk_store_group_submit takes, to shed load instead of
 * queueing it without bound: at most MAX_QUEUED items waiting (default
 * 8192), and none while the oldest waiting item has waited MAX_WAIT_MS or
 * more (0, the default: no bound). Transactions (souk_store_tx) are never
 * refused by these bounds: they belong to jobs and the blocking pool, which
 * wait for them. Refusals are counted in souk_store_group_refused_total. */
void souk_store_group_limits(souk_store_group *g, int max_queued, int max_wait_ms);

/* Queues a unit of work that runs on the committer inside the group's
 * transaction: WORK(db, CTX) with the committer's connection (its writes
 * need no transaction of their own, and what it starts nests), then, on
 * the committer thread after the group is decided, DONE(CTX, STATUS):
 * STATUS 0 when everything WORK wrote committed, else a negative
 * souk_db_status (nothing of it is kept). Returns 0, or -1 when the queue
 * is full (souk_store_group_limits), the oldest queued item has waited too
 * long, or the group stops (the caller answers 503). */
int souk_store_group_submit(souk_store_group *g, void (*work)(souk_store *db, void *ctx),
                            void (*done)(void *ctx, int status), void *ctx);

/* Runs the write transaction FN(db, ARG) soon, without waiting for it: on
 * DB's group committer when DB is joined to one (ARG, LEN ≤ 256 bytes, is
 * copied), else at once on DB. Best effort, for bookkeeping a request must
 * not wait for (an API key's last use): dropped when the queue is full or
 * the group stops. Returns 0 when queued or done, -1 when dropped or failed. */
int souk_store_tx_later(souk_store *db, int (*fn)(souk_store *db, void *arg), const void *arg, size_t len);

/* ---- memos ----
 * Domain code may keep a memo on a connection: state derived from the
 * database that is costly to rebuild for every request (the catalog keeps
 * the rendered refs of brands, vendors and categories there). The store only
 * holds and frees it; its owner decides when it is stale (e.g. by
 * souk_store_version, read in the same snapshot as what it serves). A
 * connection holds up to SOUK_STORE_MEMOS memos, each found by its owner's
 * key (the address of one of its static objects). */
#define SOUK_STORE_MEMOS 4

/* DB's memo for KEY (not NULL), or NULL when none was set. */
void *souk_store_memo(souk_store *db, const void *key);

/* Keeps MEMO as DB's memo for KEY (not NULL), replacing (and freeing) one it had;
 * FREE_FN(MEMO) runs when it is replaced or DB closes. Returns 0, or -1 when
 * DB holds SOUK_STORE_MEMOS memos of other keys already: then MEMO is not
 * kept and the caller still owns it. */
int souk_store_memo_set(souk_store *db, const void *key, void *memo, void (*free_fn)(void *));

/* A 32-byte secret (a MAC key) kept in row id = 1 of TABLE (columns id and
 * mac_key, a blob; TABLE is the caller's constant, written into the SQL):
 * made with random bytes on first use by whichever connection or node gets
 * there first, read back otherwise, so every node uses the same one (secret.c).
 * 0, or an error class (SOUK_DB_HARD for a stored value that is not 32 bytes). */
int souk_store_secret(souk_store *db, const char *table, unsigned char key[32]);

/* ---- change detection and maintenance ---- */

/* Counts a change of NAME (e.g. "content": what public, cacheable answers
 * show) in the meta table, inside the caller's transaction. Readers compare
 * souk_store_version to notice changes by any connection or process.
 * Returns SOUK_DB_DONE or an error class. */
int souk_store_touch(souk_store *db, const char *name);

/* The change count of NAME (0 when never touched), or -1 on error. */
int64_t souk_store_version(souk_store *db, const char *name);

/* Has FN(NAME) called after each commit that touched NAME in this process
 * (on the committing thread, before anyone is answered), e.g. to drop
 * cached answers at once. One listener per process; set it at start. */
void souk_store_on_touch(void (*fn)(const char *name));

/* How many times G's committer has seen another process (or a connection
 * outside the group) commit; it looks before each group and twice a
 * second when idle. 0 for NULL. */
uint64_t souk_store_group_external(const souk_store_group *g);

/* A mark that differs after any other connection (thread or process) has
 * committed, so that a poller can notice outside writes cheaply; -1 on
 * error. Only changes of the mark mean anything, not its value. */
int64_t souk_store_change_mark(souk_store *db);

/* Waits up to TIMEOUT_MS (0: only looks) until another connection (thread
 * or process) commits a write: 1 when one did (the change mark moved), 0
 * when none did in time, or -1 when DB's database cannot say without being
 * polled (SQLite) or on an error. PostgreSQL: the connection LISTENs to the
 * NOTIFY every write transaction sends with its COMMIT, and sleeps on its
 * socket. Outside any transaction only. */
int souk_store_wait_change(souk_store *db, int timeout_ms);

/* Makes sure deleted or overwritten values no longer linger in the
 * database's logs (SQLite: checkpoint and truncate the write-ahead log).
 * 0 when done, non-zero when other readers hold old data (try again
 * shortly). */
int souk_store_scrub(souk_store *db);

/* ---- backup and restore (backup.c) ----
 * SQLite only: a PostgreSQL database is backed up with pg_dump and restored
 * with pg_restore (docs/deploy.md); there these answer -1 saying so. */

/* Called as a backup or restore goes on: DONE of TOTAL units (pages). */
typedef void (*souk_store_progress)(void *ctx, int64_t done, int64_t total);

/* The file path of DSN's SQLite database (pointing into DSN), or NULL when
 * DSN names another adapter or ":memory:". */
const char *souk_store_file(const char *dsn);

/* Writes a consistent snapshot of DB's database to PATH while other
 * connections and processes go on writing: SQLite's online backup API, a
 * few hundred pages per step, inside one read transaction of DB (so the
 * copy is the database as of the start, with every write committed
 * before it), into PATH.tmp, which is fsynced and renamed to PATH (and the
 * directory fsynced). Then the copy is opened and checked: PRAGMA
 * integrity_check, and *VERSION gets its schema version. PROGRESS (may be
 * NULL) is called after each step. Returns 0, or -1 with the reason in ERR
 * (PATH.tmp removed; PATH untouched unless the check of the renamed copy
 * failed, which ERR says). DB must not be in a transaction. */
int souk_store_backup(souk_store *db, const char *path, souk_store_progress progress, void *ctx, int *version,
                      char *err, size_t errlen);

/* Runs SQLite's PRAGMA integrity_check on DB: 0 when it says ok, 1 with
 * its first complaint in WHY, or a negative souk_db_status (the file is not
 * a database, or cannot be read). */
int souk_store_check(souk_store *db, char *why, size_t whylen);

/* Declares that this process serves DSN's database (souk serve, souk
 * worker), until it exits: a shared lock (flock) on the file PATH.lock
 * beside it, which souk_store_restore takes exclusively. 0 (also for a
 * DSN that names no file), or -1 with the reason in ERR when a restore
 * holds it. */
int souk_store_hold(const char *dsn, char *err, size_t errlen);

/* What souk_store_restore did. */
typedef struct souk_store_restore_info {
    int backup_version; /* the backup's schema version */
    int version;        /* the restored database's, after migrating */
    int migrated;       /* migrations applied to bring it forward */
    bool kept_previous; /* the replaced database was kept as PATH.before-restore */
} souk_store_restore_info;

/* Replaces DSN's SQLite database with the backup FILE: refused (-1) while
 * any process holds the database (souk_store_hold), when FILE is not an
 * intact SQLite database (integrity_check on a copy of it), or when its
 * schema version is newer than this binary's migrations. The current
 * database (checkpointed first) is renamed to PATH.before-restore (refused
 * when that exists: move it away first), the checked copy takes its place,
 * and pending migrations run. Returns 0 with INFO filled, or -1 with the
 * reason in ERR (nothing replaced). */
int souk_store_restore(const char *dsn, const char *file, souk_store_restore_info *info, char *err, size_t errlen);

/* The highest migration version this binary has for DB's adapter. */
int souk_store_migrations_latest(const souk_store *db);

#endif
