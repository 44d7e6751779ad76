/*
 * sqlite.c — SQLite adapter of the storage port (store.h).
 *
 * Design: each connection keeps an open-addressing hash table of prepared
 * statements keyed by SQL text, so handlers write SQL inline and still pay
 * for preparation once per connection. $N parameters are mapped to SQLite's
 * indexes by name at prepare time, so "$2 ... $1 ... $2" binds correctly.
 * The connection runs in WAL mode with a busy timeout; write transactions
 * start with BEGIN IMMEDIATE so a writer never fails half-way on a lock, and
 * a busy BEGIN is retried with backoff.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/embed.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/banned.h"

#define MAX_PARAMS 64
#define CACHE_SLOTS 512 /* power of two; at most half used */
#define CACHE_MASK (CACHE_SLOTS - 1)

struct souk_stmt {
    sqlite3_stmt *st;
    souk_store *db;
    char *sql;
    uint64_t hash;
    uint64_t used;             /* the connection's tick when last handed out */
    souk_stmt *next_retired;
    int index[MAX_PARAMS + 1]; /* $N -> sqlite index, 0 = unused */
    bool bind_error;
};

struct souk_store {
    sqlite3 *db;
    souk_stmt *slots[CACHE_SLOTS]; /* open addressing, linear probing */
    size_t count;
    uint64_t tick;
    souk_stmt *retired; /* evicted, freed at souk_store_idle: a caller may still hold one */
    char errmsg[256];
};

static uint64_t hash_sql(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void set_err(souk_store *db, const char *what)
{
    snprintf(db->errmsg, sizeof db->errmsg, "%s: %s", what, sqlite3_errmsg(db->db));
}

static int classify(souk_store *db, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_ROW: return SOUK_DB_ROW;
    case SQLITE_DONE: case SQLITE_OK: return SOUK_DB_DONE;
    case SQLITE_BUSY: case SQLITE_LOCKED:
        set_err(db, what);
        return SOUK_DB_SOFT;
    case SQLITE_CONSTRAINT:
        set_err(db, what);
        return SOUK_DB_CONSTRAINT;
    default:
        set_err(db, what);
        souk_metrics_db_error();
        souk_log(SOUK_LOG_ERROR, NULL, NULL, json_pack("{s:i}", "sqlite_code", rc), "database error: %s",
                 db->errmsg);
        return SOUK_DB_HARD;
    }
}

static int exec_simple(souk_store *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(db->errmsg, sizeof db->errmsg, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
            return SOUK_DB_SOFT;
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            return SOUK_DB_CONSTRAINT;
        souk_metrics_db_error();
        return SOUK_DB_HARD;
    }
    return SOUK_DB_DONE;
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

int souk_store_open(souk_store **out, const char *path, char *err, size_t errlen)
{
    souk_store *db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path,
                 db->db ? sqlite3_errmsg(db->db) : sqlite3_errstr(rc));
        sqlite3_close(db->db);
        free(db);
        return -1;
    }
    sqlite3_busy_handler(db->db, busy_wait, NULL);
    sqlite3_extended_result_codes(db->db, 1);
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
    if (exec_simple(db, pragmas) != SOUK_DB_DONE) {
        snprintf(err, errlen, "cannot configure database %s: %s", path, db->errmsg);
        souk_store_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

static void stmt_free(souk_stmt *s)
{
    sqlite3_finalize(s->st);
    free(s->sql);
    free(s);
}

static void free_retired(souk_store *db)
{
    while (db->retired) {
        souk_stmt *s = db->retired;
        db->retired = s->next_retired;
        stmt_free(s);
    }
}

void souk_store_close(souk_store *db)
{
    if (!db)
        return;
    free_retired(db);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (db->slots[i])
            stmt_free(db->slots[i]);
    sqlite3_close(db->db);
    free(db);
}

static souk_stmt *prepare(souk_store *db, const char *sql, uint64_t h)
{
    souk_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL) != SQLITE_OK) {
        set_err(db, "prepare");
        souk_metrics_db_error();
        souk_log(SOUK_LOG_ERROR, NULL, NULL, json_pack("{s:s}", "sql", sql), "cannot prepare: %s", db->errmsg);
        free(s);
        return NULL;
    }
    int n = sqlite3_bind_parameter_count(s->st);
    for (int i = 1; i <= n; i++) {
        const char *name = sqlite3_bind_parameter_name(s->st, i);
        int k = name && name[0] == '$' ? atoi(name + 1) : 0;
        if (k < 1 || k > MAX_PARAMS) {
            snprintf(db->errmsg, sizeof db->errmsg, "bad parameter %s", name ? name : "?");
            souk_log(SOUK_LOG_ERROR, NULL, NULL, json_pack("{s:s}", "sql", sql), "cannot prepare: %s", db->errmsg);
            sqlite3_finalize(s->st);
            free(s);
            return NULL;
        }
        s->index[k] = i;
    }
    s->sql = strdup(sql);
    s->hash = h;
    s->db = db;
    if (!s->sql) {
        sqlite3_finalize(s->st);
        free(s);
        return NULL;
    }
    return s;
}

/* Removes the statement in slot V, keeping every probe chain unbroken
 * (backward-shift deletion), and retires it. */
static void cache_remove(souk_store *db, size_t v)
{
    souk_stmt *gone = db->slots[v];
    db->slots[v] = NULL;
    db->count--;
    for (size_t j = (v + 1) & CACHE_MASK; db->slots[j]; j = (j + 1) & CACHE_MASK) {
        size_t home = db->slots[j]->hash & CACHE_MASK;
        bool stays = v <= j ? (v < home && home <= j) : (v < home || home <= j);
        if (stays)
            continue;
        db->slots[v] = db->slots[j];
        db->slots[j] = NULL;
        v = j;
    }
    gone->next_retired = db->retired;
    db->retired = gone;
}

/* Makes room by retiring the least recently used statement that is not in
 * the middle of its rows. */
static void cache_evict(souk_store *db)
{
    size_t victim = CACHE_SLOTS;
    for (size_t k = 0; k < CACHE_SLOTS; k++) {
        souk_stmt *s = db->slots[k];
        if (s && !sqlite3_stmt_busy(s->st) && (victim == CACHE_SLOTS || s->used < db->slots[victim]->used))
            victim = k;
    }
    if (victim < CACHE_SLOTS)
        cache_remove(db, victim);
}

souk_stmt *souk_store_stmt(souk_store *db, const char *sql)
{
    uint64_t h = hash_sql(sql);
    for (size_t i = h & CACHE_MASK; db->slots[i]; i = (i + 1) & CACHE_MASK) {
        souk_stmt *s = db->slots[i];
        if (s->hash == h && strcmp(s->sql, sql) == 0) {
            sqlite3_reset(s->st);
            sqlite3_clear_bindings(s->st);
            s->bind_error = false;
            s->used = ++db->tick;
            return s;
        }
    }
    if (db->count >= CACHE_SLOTS / 2)
        cache_evict(db);
    if (db->count >= CACHE_SLOTS - 1) { /* every statement is mid-rows: a runaway caller */
        snprintf(db->errmsg, sizeof db->errmsg, "more than %d statements open at once", CACHE_SLOTS - 1);
        souk_metrics_db_error();
        souk_log(SOUK_LOG_ERROR, NULL, NULL, json_pack("{s:s}", "sql", sql), "cannot prepare: %s", db->errmsg);
        return NULL;
    }
    souk_stmt *s = prepare(db, sql, h);
    if (!s)
        return NULL;
    size_t i = h & CACHE_MASK;
    while (db->slots[i])
        i = (i + 1) & CACHE_MASK;
    s->used = ++db->tick;
    db->slots[i] = s;
    db->count++;
    return s;
}

static int param(souk_stmt *st, int idx)
{
    if (idx < 1 || idx > MAX_PARAMS || !st->index[idx]) {
        st->bind_error = true;
        return 0;
    }
    return st->index[idx];
}

void souk_stmt_bind_i64(souk_stmt *st, int idx, int64_t v)
{
    int i = param(st, idx);
    if (i && sqlite3_bind_int64(st->st, i, v) != SQLITE_OK)
        st->bind_error = true;
}

void souk_stmt_bind_text(souk_stmt *st, int idx, const char *text, size_t len)
{
    int i = param(st, idx);
    if (len == SIZE_MAX)
        len = strlen(text);
    if (i && sqlite3_bind_text64(st->st, i, text, len, SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK)
        st->bind_error = true;
}

void souk_stmt_bind_null(souk_stmt *st, int idx)
{
    int i = param(st, idx);
    if (i && sqlite3_bind_null(st->st, i) != SQLITE_OK)
        st->bind_error = true;
}

void souk_stmt_bind_blob(souk_stmt *st, int idx, const void *data, size_t len)
{
    int i = param(st, idx);
    if (i && sqlite3_bind_blob64(st->st, i, data, len, SQLITE_TRANSIENT) != SQLITE_OK)
        st->bind_error = true;
}

int souk_stmt_step(souk_stmt *st)
{
    if (st->bind_error) {
        snprintf(st->db->errmsg, sizeof st->db->errmsg, "bad parameter binding for: %.180s", st->sql);
        souk_metrics_db_error();
        souk_log(SOUK_LOG_ERROR, NULL, NULL, NULL, "%s", st->db->errmsg);
        sqlite3_reset(st->st);
        return SOUK_DB_HARD;
    }
    int rc = sqlite3_step(st->st);
    if (rc == SQLITE_ROW)
        return SOUK_DB_ROW;
    int r = classify(st->db, rc, "step");
    sqlite3_reset(st->st);
    return r;
}

int64_t souk_stmt_i64(souk_stmt *st, int col)
{
    return sqlite3_column_int64(st->st, col);
}

const char *souk_stmt_text(souk_stmt *st, int col, size_t *len)
{
    const char *t = (const char *)sqlite3_column_text(st->st, col);
    if (len)
        *len = t ? (size_t)sqlite3_column_bytes(st->st, col) : 0;
    return t;
}

char *souk_stmt_strdup(souk_stmt *st, int col)
{
    size_t n;
    const char *s = souk_stmt_text(st, col, &n);
    char *p = malloc(n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

const void *souk_stmt_blob(souk_stmt *st, int col, size_t *len)
{
    const void *b = sqlite3_column_blob(st->st, col);
    if (len)
        *len = b ? (size_t)sqlite3_column_bytes(st->st, col) : 0;
    return b;
}

int souk_stmt_is_null(souk_stmt *st, int col)
{
    return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

void souk_stmt_done(souk_stmt *st)
{
    sqlite3_reset(st->st);
}

int souk_stmt_exec(souk_stmt *st)
{
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW)
        ;
    return r;
}

int souk_store_exec1(souk_store *db, const char *sql, int64_t a)
{
    souk_stmt *st = souk_store_stmt(db, sql);
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, a);
    return souk_stmt_exec(st);
}

int souk_store_exec2(souk_store *db, const char *sql, int64_t a, int64_t b)
{
    souk_stmt *st = souk_store_stmt(db, sql);
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, a);
    souk_stmt_bind_i64(st, 2, b);
    return souk_stmt_exec(st);
}

int64_t souk_store_changes(souk_store *db)
{
    return sqlite3_changes64(db->db);
}

static void backoff(int attempt)
{
    struct timespec ts = {0, (long)(1000000L << (attempt < 6 ? attempt : 6))}; /* 1..64 ms */
    nanosleep(&ts, NULL);
}

int souk_store_tx(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx)
{
    for (int attempt = 0;; attempt++) {
        int r = exec_simple(db, "BEGIN IMMEDIATE");
        if (r == SOUK_DB_DONE) {
            r = fn(db, ctx);
            if (r >= 0) {
                int c = exec_simple(db, "COMMIT");
                if (c == SOUK_DB_DONE)
                    return r;
                r = c;
            }
            souk_store_idle(db);
            if (sqlite3_get_autocommit(db->db) == 0)
                exec_simple(db, "ROLLBACK");
        }
        if (r != SOUK_DB_SOFT || attempt >= 8)
            return r;
        backoff(attempt);
    }
}

int souk_store_read_begin(souk_store *db)
{
    souk_stmt *st = souk_store_stmt(db, "BEGIN");
    return st ? souk_stmt_exec(st) : SOUK_DB_HARD;
}

void souk_store_read_end(souk_store *db)
{
    souk_store_idle(db);
    if (sqlite3_get_autocommit(db->db) == 0) {
        souk_stmt *st = souk_store_stmt(db, "COMMIT");
        if (!st || souk_stmt_exec(st) < 0)
            exec_simple(db, "ROLLBACK");
    }
}

void souk_store_idle(souk_store *db)
{
    free_retired(db); /* no caller holds a statement between requests */
    for (sqlite3_stmt *s = sqlite3_next_stmt(db->db, NULL); s; s = sqlite3_next_stmt(db->db, s))
        if (sqlite3_stmt_busy(s))
            sqlite3_reset(s);
}

int souk_store_ping(souk_store *db)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT 1");
    if (!st)
        return -1;
    int r = souk_stmt_step(st);
    souk_stmt_done(st);
    return r == SOUK_DB_ROW ? 0 : -1;
}

int64_t souk_store_data_version(souk_store *db)
{
    souk_stmt *st = souk_store_stmt(db, "PRAGMA data_version");
    if (!st || souk_stmt_step(st) != SOUK_DB_ROW)
        return -1;
    int64_t v = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    return v;
}

int souk_store_touch(souk_store *db, const char *name)
{
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO meta (key, value) VALUES ($1, '1') ON CONFLICT (key) "
                                        "DO UPDATE SET value = CAST(value AS INTEGER) + 1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_text(st, 1, name, SIZE_MAX);
    return souk_stmt_exec(st);
}

int64_t souk_store_version(souk_store *db, const char *name)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = $1");
    if (!st)
        return -1;
    souk_stmt_bind_text(st, 1, name, SIZE_MAX);
    int r = souk_stmt_step(st);
    if (r < 0)
        return -1;
    int64_t v = r == SOUK_DB_ROW ? souk_stmt_i64(st, 0) : 0;
    if (r == SOUK_DB_ROW)
        souk_stmt_done(st);
    return v;
}

int souk_store_checkpoint(souk_store *db)
{
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(db->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    return rc == SQLITE_OK ? 0 : 1;
}

const char *souk_store_errmsg(souk_store *db)
{
    return db->errmsg;
}

int souk_store_schema_version(souk_store *db)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'");
    if (!st || souk_stmt_step(st) != SOUK_DB_ROW)
        return -1;
    int64_t exists = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    if (!exists)
        return 0;
    st = souk_store_stmt(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (!st || souk_stmt_step(st) != SOUK_DB_ROW)
        return -1;
    int v = (int)souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    return v;
}

struct migration_ctx {
    const souk_embedded_file *file;
    int version;
};

static int apply_migration(souk_store *db, void *arg)
{
    struct migration_ctx *m = arg;
    /* re-check inside the write lock: another process may have applied it */
    souk_stmt *st = souk_store_stmt(db, "SELECT count(*) FROM schema_migrations WHERE version = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, m->version);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r < 0 ? r : SOUK_DB_HARD;
    int64_t done = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    if (done)
        return 0;
    r = exec_simple(db, (const char *)m->file->data);
    if (r < 0)
        return r;
    st = souk_store_stmt(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, "
                             "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, m->version);
    souk_stmt_bind_text(st, 2, m->file->name, SIZE_MAX);
    r = souk_stmt_exec(st);
    return r < 0 ? r : 1;
}

int souk_store_migrate(souk_store *db, int *applied)
{
    int n = 0;
    int r = exec_simple(db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                            "name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    if (r < 0)
        return r;
    /* every migration not yet recorded is applied, in file order — also one
     * numbered below the highest applied (branches that landed out of order) */
    for (size_t i = 0; i < souk_migrations_sqlite_count; i++) {
        const souk_embedded_file *f = &souk_migrations_sqlite[i];
        int version = atoi(f->name);
        souk_stmt *st = souk_store_stmt(db, "SELECT 1 FROM schema_migrations WHERE version = $1");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, version);
        int known = souk_stmt_step(st);
        if (known < 0)
            return known;
        if (known == SOUK_DB_ROW) {
            souk_stmt_done(st);
            continue;
        }
        struct migration_ctx m = {f, version};
        r = souk_store_tx(db, apply_migration, &m);
        if (r < 0) {
            souk_log(SOUK_LOG_ERROR, NULL, NULL, json_pack("{s:s}", "migration", f->name), "migration failed: %s",
                     db->errmsg);
            return r;
        }
        if (r > 0) {
            n++;
            souk_log(SOUK_LOG_INFO, NULL, NULL, json_pack("{s:s}", "migration", f->name), "migration applied");
        }
    }
    if (applied)
        *applied = n;
    return 0;
}
