/*
 * store.h — the storage port. Domain code talks SQL through this header only;
 * adapters (sqlite/ today, postgres/ later) implement it.
 *
 * Conventions
 * - SQL uses $1, $2 ... parameters (one text for both dialects).
 * - souk_store_stmt() prepares a statement once per connection and caches it
 *   by its SQL text; it comes back reset with bindings cleared. When 256 are
 *   cached, the least recently used one that is not mid-rows is evicted; an
 *   evicted statement stays valid until the next souk_store_idle(), so a
 *   pointer a caller holds within one request never dangles.
 * - Step results are three-way plus error classes (after GNU Taler's
 *   QueryStatus): SOUK_DB_ROW, SOUK_DB_DONE, or a negative error class.
 * - A statement must be finished with souk_stmt_done() (or stepped to DONE);
 *   souk_store_idle() resets any left open, and the HTTP layer calls it after
 *   every request so no read snapshot outlives its request.
 * - A connection is used by one thread at a time.
 */
#ifndef SOUK_STORE_H
#define SOUK_STORE_H

#include <stddef.h>
#include <stdint.h>

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

/* Opens (creating if needed) the database at PATH and configures the
 * connection. Returns 0, or -1 with a message in ERR. */
int souk_store_open(souk_store **out, const char *path, char *err, size_t errlen);

/* Finalizes cached statements and closes. NULL is allowed. */
void souk_store_close(souk_store *db);

/* Applies pending forward-only migrations, each in its own transaction, and
 * records them in schema_migrations. *APPLIED (optional) gets the number
 * applied. Returns 0 or a negative souk_db_status. */
int souk_store_migrate(souk_store *db, int *applied);

/* Highest applied migration version, 0 for an empty database, -1 on error. */
int souk_store_schema_version(souk_store *db);

/* The cached prepared statement for SQL, reset. NULL when SQL does not
 * compile (logged, counted as a DB error). */
souk_stmt *souk_store_stmt(souk_store *db, const char *sql);

/* Bind parameter $IDX (1-based). Errors surface at souk_stmt_step. TEXT is
 * copied; LEN may be SIZE_MAX for NUL-terminated text. */
void souk_stmt_bind_i64(souk_stmt *st, int idx, int64_t v);
void souk_stmt_bind_text(souk_stmt *st, int idx, const char *text, size_t len);
void souk_stmt_bind_null(souk_stmt *st, int idx);
void souk_stmt_bind_blob(souk_stmt *st, int idx, const void *data, size_t len);

/* Steps: SOUK_DB_ROW, SOUK_DB_DONE, or an error class. On DONE or error the
 * statement is reset. */
int souk_stmt_step(souk_stmt *st);

/* Column accessors for the current row (0-based). Text stays valid until the
 * next step/done; NULL columns read as 0 / NULL. */
int64_t souk_stmt_i64(souk_stmt *st, int col);
const char *souk_stmt_text(souk_stmt *st, int col, size_t *len);
/* A malloc'd, NUL-terminated copy of text column COL ("" for NULL) that
 * outlives the row; NULL when memory runs out. The caller frees it. */
char *souk_stmt_strdup(souk_stmt *st, int col);
int souk_stmt_is_null(souk_stmt *st, int col);
const void *souk_stmt_blob(souk_stmt *st, int col, size_t *len);

/* Resets ST so it releases its read snapshot. */
void souk_stmt_done(souk_stmt *st);

/* Runs ST to completion (for INSERT/UPDATE/DELETE). Returns SOUK_DB_DONE or an
 * error class; a returned row counts as DONE. */
int souk_stmt_exec(souk_stmt *st);

/* Runs SQL, whose parameters are $1 = A and $2 = B, to completion (for the
 * many two-integer updates: "… WHERE id = $1", "SET … = $2"). Returns
 * SOUK_DB_DONE or an error class. */
int souk_store_exec2(souk_store *db, const char *sql, int64_t a, int64_t b);

/* The same for SQL with the one parameter $1 = A. */
int souk_store_exec1(souk_store *db, const char *sql, int64_t a);

/* Rows changed by the last INSERT/UPDATE/DELETE on this connection. */
int64_t souk_store_changes(souk_store *db);

/* Runs FN(DB, CTX) inside a write transaction. FN returns >= 0 to commit,
 * SOUK_DB_SOFT to roll back and retry (with backoff, bounded), or any other
 * negative value to roll back and return it. Returns FN's value, or an error
 * class when BEGIN/COMMIT fail for good. */
int souk_store_tx(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx);

/* ---- transactions whose bodies answer a souk_err (run.c) ---- */

/* A transaction body that answers SOUK_OK (commit), SOUK_E_UNAVAILABLE (a
 * transient database failure: roll back and run the body again) or any
 * other souk_err (roll back). */
typedef souk_err (*souk_store_body)(souk_store *db, void *ctx);

/* Runs BODY in one write transaction, again while it answers
 * SOUK_E_UNAVAILABLE; problems PR collected by a failed attempt are dropped
 * before the next one (PR may be NULL). Returns BODY's souk_err
 * (SOUK_OK = committed), or the mapped failure of BEGIN/COMMIT. */
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
 * reads one snapshot, and the file lock is taken once instead of per
 * statement. Not for use inside souk_store_tx. Returns 0 or an error class. */
int souk_store_read_begin(souk_store *db);

/* Ends the read transaction (resetting open statements first). */
void souk_store_read_end(souk_store *db);

/* Resets every statement of this connection (end of request). */
void souk_store_idle(souk_store *db);

/* Cheap liveness check: 0 when a trivial query succeeds. */
int souk_store_ping(souk_store *db);

/* A number that changes whenever another connection commits (SQLite's
 * data_version); used to notice writes by other processes. -1 on error. */
int64_t souk_store_data_version(souk_store *db);

/* Counts a change of NAME (e.g. "content": what public, cacheable answers
 * show) in the meta table, inside the caller's transaction. Readers compare
 * souk_store_version to notice changes by any connection or process.
 * Returns SOUK_DB_DONE or an error class. */
int souk_store_touch(souk_store *db, const char *name);

/* The change count of NAME (0 when never touched), or -1 on error. */
int64_t souk_store_version(souk_store *db, const char *name);

/* Copies the write-ahead log into the database and truncates it, so that
 * erased values do not linger in the log file. 0 when done, non-zero when
 * readers still hold old snapshots (try again shortly). */
int souk_store_checkpoint(souk_store *db);

/* Message of the last error on this connection. */
const char *souk_store_errmsg(souk_store *db);

#endif
