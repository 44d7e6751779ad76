/*
 * sqlite.c — the SQLite adapter of the storage port (adapter.h).
 *
 * Design: $N parameters are mapped to SQLite's indexes by name at prepare
 * time, so "$2 ... $1 ... $2" binds correctly. The connection runs in WAL
 * mode with a busy handler tuned for short write transactions; write
 * transactions start with BEGIN IMMEDIATE so a writer never fails half-way
 * on a lock. The statement cache, binding by type, the transaction runner
 * and migrations are the port's (cache.c, store.c, tx.c, migrate.c).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/metrics.h"
#include "store/adapter.h"
#include "store/sqlite/internal.h"
#include "core/banned.h"

typedef struct sq_stmt {
    souk_stmt base; /* first */
    sqlite3_stmt *st;
    int index[SOUK_STORE_MAX_PARAMS + 1]; /* $N -> sqlite index, 0 = unused */
} sq_stmt;

typedef struct sq_conn {
    souk_store base; /* first */
    sqlite3 *db;
    void (*on_log)(void *ctx, int64_t pages); /* sq_defer_checkpoints */
    void *on_log_ctx;
} sq_conn;

#define CONN(d) ((sq_conn *)(d))
#define STMT(s) ((sq_stmt *)(s))

static void set_err(souk_store *db, const char *what)
{
    souk__store_set_err(db, "%s: %s", what, sqlite3_errmsg(CONN(db)->db));
}

/* Maps a SQLite result code to a souk_db_status (errmsg set on errors). */
static int classify(souk_store *db, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_ROW: return SOUK_DB_ROW;
    case SQLITE_DONE:
    case SQLITE_OK: return SOUK_DB_DONE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: set_err(db, what); return SOUK_DB_SOFT;
    case SQLITE_CONSTRAINT: set_err(db, what); return SOUK_DB_CONSTRAINT;
    default: set_err(db, what); return SOUK_DB_HARD;
    }
}

static int exec_script(souk_store *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(CONN(db)->db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return SOUK_DB_DONE;
    souk__store_set_err(db, "%s", msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    int r = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? SOUK_DB_SOFT
            : (rc & 0xff) == SQLITE_CONSTRAINT                         ? SOUK_DB_CONSTRAINT
                                                                       : SOUK_DB_HARD;
    if (r == SOUK_DB_HARD)
        souk_metrics_db_error();
    return r;
}

/* Waiting for the write lock: SQLite's own busy_timeout sleeps 1, 2, 5,
 * 10 … 100 ms between tries, long next to write transactions of a fraction
 * of a millisecond, so under many writers the lock sat free while they
 * slept. This waits 50 µs, then up to 1 ms, between tries, and gives up
 * after 5 s as before (about 5,100 tries). */
#define BUSY_GIVE_UP_TRIES 5100
static int busy_wait(void *ctx, int tries)
{
    (void)ctx;
    if (tries >= BUSY_GIVE_UP_TRIES)
        return 0;
    long us = tries < 20 ? 50 : tries < 100 ? 200 : 1000;
    nanosleep(&(struct timespec){0, us * 1000}, NULL);
    return 1;
}

static souk_store *sq_open(const char *path, bool create, char *err, size_t errlen)
{
    sq_conn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->base.ops = &souk__store_sqlite;
    int rc = sqlite3_open_v2(path, &c->db,
                             SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    sqlite3_busy_handler(c->db, busy_wait, NULL);
    sqlite3_extended_result_codes(c->db, 1);
    /* WAL: readers never block the writer. synchronous=NORMAL is durable
     * against process crashes (kill -9); only an OS crash or power loss may
     * roll back the last transactions, never corrupt the file. */
    /* secure_delete: deleted or overwritten content is zeroed in the file,
     * so erased personal data does not survive in free pages */
    /* wal_autocheckpoint 8000 pages (32 MiB of WAL): hot pages written many
     * times between checkpoints are copied to the file once; with the
     * default 1000 checkpoints (and their fsyncs) came eight times as often
     * under the checkout benchmark, which ran about 8 % slower */
    static const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                                 "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384; PRAGMA secure_delete=ON;"
                                 "PRAGMA wal_autocheckpoint=8000;";
    if (exec_script(&c->base, pragmas) != SOUK_DB_DONE) {
        snprintf(err, errlen, "cannot configure database %s: %s", path, c->base.errmsg);
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    return &c->base;
}

sqlite3 *souk__sqlite_handle(souk_store *db)
{
    return CONN(db)->db;
}

static void sq_close(souk_store *db)
{
    sqlite3_close(CONN(db)->db);
    free(db);
}

static souk_stmt *sq_prepare(souk_store *db, const char *sql)
{
    sq_stmt *s = calloc(1, sizeof *s);
    if (!s) {
        souk__store_set_err(db, "out of memory");
        return NULL;
    }
    if (sqlite3_prepare_v3(CONN(db)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL) != SQLITE_OK) {
        set_err(db, "prepare");
        free(s);
        return NULL;
    }
    int n = sqlite3_bind_parameter_count(s->st);
    for (int i = 1; i <= n; i++) {
        const char *name = sqlite3_bind_parameter_name(s->st, i);
        int k = name && name[0] == '$' ? atoi(name + 1) : 0;
        if (k < 1 || k > SOUK_STORE_MAX_PARAMS) {
            souk__store_set_err(db, "bad parameter %s (use $1 … $%d)", name ? name : "?", SOUK_STORE_MAX_PARAMS);
            sqlite3_finalize(s->st);
            free(s);
            return NULL;
        }
        s->index[k] = i;
        if (k > s->base.nparams)
            s->base.nparams = k;
    }
    return &s->base;
}

static void sq_finalize(souk_stmt *st)
{
    sqlite3_finalize(STMT(st)->st);
    free(st);
}

static void sq_reset(souk_stmt *st)
{
    sqlite3_reset(STMT(st)->st);
    sqlite3_clear_bindings(STMT(st)->st);
}

static bool sq_busy(souk_stmt *st)
{
    return sqlite3_stmt_busy(STMT(st)->st) != 0;
}

static int sq_bind(souk_stmt *st, int idx, const souk_param *p, bool copy)
{
    sqlite3_destructor_type keep = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
    sqlite3_stmt *s = STMT(st)->st;
    int i = idx >= 1 && idx <= SOUK_STORE_MAX_PARAMS ? STMT(st)->index[idx] : 0;
    if (!i)
        return -1;
    int rc;
    switch (p->type) {
    case SOUK_TYPE_NULL: rc = sqlite3_bind_null(s, i); break;
    case SOUK_TYPE_I64:
    case SOUK_TYPE_BOOL: rc = sqlite3_bind_int64(s, i, p->i64); break;
    case SOUK_TYPE_TEXT:
        if (!p->ptr)
            rc = sqlite3_bind_null(s, i);
        else
            rc = sqlite3_bind_text64(s, i, p->ptr, p->len == SIZE_MAX ? strlen(p->ptr) : p->len, keep, SQLITE_UTF8);
        break;
    case SOUK_TYPE_BLOB: rc = sqlite3_bind_blob64(s, i, p->ptr ? p->ptr : "", p->len, keep); break;
    default: return -1;
    }
    return rc == SQLITE_OK ? 0 : -1;
}

static int sq_step(souk_stmt *st)
{
    return classify(st->db, sqlite3_step(STMT(st)->st), "step");
}

static int sq_column_count(souk_stmt *st)
{
    return sqlite3_data_count(STMT(st)->st);
}

static bool sq_column_null(souk_stmt *st, int col)
{
    return sqlite3_column_type(STMT(st)->st, col) == SQLITE_NULL;
}

static int64_t sq_column_i64(souk_stmt *st, int col)
{
    return sqlite3_column_int64(STMT(st)->st, col);
}

static const char *sq_column_text(souk_stmt *st, int col, size_t *len)
{
    const char *t = (const char *)sqlite3_column_text(STMT(st)->st, col);
    if (len)
        *len = t ? (size_t)sqlite3_column_bytes(STMT(st)->st, col) : 0;
    return t;
}

static const void *sq_column_blob(souk_stmt *st, int col, size_t *len)
{
    const void *b = sqlite3_column_blob(STMT(st)->st, col);
    if (len)
        *len = b ? (size_t)sqlite3_column_bytes(STMT(st)->st, col) : 0;
    return b;
}

static bool sq_stmt_readonly(souk_stmt *st)
{
    return sqlite3_stmt_readonly(STMT(st)->st) != 0;
}

static int64_t sq_changes(souk_store *db)
{
    return sqlite3_changes64(CONN(db)->db);
}

static int sq_begin(souk_store *db, bool write)
{
    /* read transactions are cached statements: BEGIN is on every GET */
    if (!write) {
        souk_stmt *st = souk_store_query(db, "BEGIN", NULL);
        return st ? souk_stmt_step(st) : SOUK_DB_HARD;
    }
    return exec_script(db, "BEGIN IMMEDIATE");
}

static int sq_commit(souk_store *db)
{
    souk_stmt *st = souk_store_query(db, "COMMIT", NULL);
    return st ? souk_stmt_step(st) : exec_script(db, "COMMIT");
}

static void sq_rollback(souk_store *db)
{
    exec_script(db, "ROLLBACK");
}

static bool sq_in_tx(souk_store *db)
{
    return sqlite3_get_autocommit(CONN(db)->db) == 0;
}

static int sq_table_exists(souk_store *db, const char *name)
{
    int r = souk_store_one(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1",
                           SOUK_ARGS(SOUK_TEXT(name)), NULL);
    return r < 0 ? r : r == SOUK_DB_ROW;
}

/* data_version changes whenever another connection commits */
static int64_t sq_change_mark(souk_store *db)
{
    int64_t v = -1;
    return souk_store_one(db, "PRAGMA data_version", NULL, SOUK_COLS(SOUK_COL_I64(&v))) == SOUK_DB_ROW ? v : -1;
}

/* copies the write-ahead log into the database and truncates it, so that
 * erased values do not linger in the log file (secure_delete zeroes them in
 * the database itself) */
static int sq_scrub(souk_store *db)
{
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(CONN(db)->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    return rc == SQLITE_OK ? 0 : 1;
}

/* after each commit on a connection that leaves checkpoints to another */
static int log_grew(void *ctx, sqlite3 *db, const char *name, int pages)
{
    (void)db, (void)name;
    sq_conn *c = ctx;
    c->on_log(c->on_log_ctx, pages);
    return SQLITE_OK;
}

/* The committer's commits no longer copy the log into the database when it
 * reaches wal_autocheckpoint pages (a hook of SQLite's run in the thread
 * that commits, fsyncs included): FN hears the log's size after each
 * commit instead, and whoever it tells checkpoints on a connection of its
 * own (sq_checkpoint). Installing a WAL hook replaces the automatic one. */
static void sq_defer_checkpoints(souk_store *db, void (*fn)(void *ctx, int64_t pages), void *ctx)
{
    sq_conn *c = CONN(db);
    c->on_log = fn;
    c->on_log_ctx = ctx;
    sqlite3_wal_hook(c->db, log_grew, c);
}

/* copies what it can of the log into the database without waiting for
 * readers or the writer (PASSIVE, as the automatic checkpoint does) */
static int sq_checkpoint(souk_store *db)
{
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(CONN(db)->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    return rc == SQLITE_OK ? 0 : -1;
}

const souk_store_ops souk__store_sqlite = {
    .name = "sqlite",
    .migrations = souk_migrations_sqlite,
    .migration_count = &souk_migrations_sqlite_count,
    .open = sq_open,
    .close = sq_close,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .busy = sq_busy,
    .bind = sq_bind,
    .step = sq_step,
    .column_count = sq_column_count,
    .column_null = sq_column_null,
    .column_i64 = sq_column_i64,
    .column_text = sq_column_text,
    .column_blob = sq_column_blob,
    .changes = sq_changes,
    .stmt_readonly = sq_stmt_readonly,
    .exec_script = exec_script,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .in_tx = sq_in_tx,
    .table_exists = sq_table_exists,
    .change_mark = sq_change_mark,
    .scrub = sq_scrub,
    .defer_checkpoints = sq_defer_checkpoints,
    .checkpoint = sq_checkpoint,
    .backup = souk__sqlite_backup,
    .check = souk__sqlite_check,
};
