/*
 * store.c — the storage port: opening by DSN, typed parameters and result
 * columns, and the calls every adapter shares (see store.h, adapter.h).
 */
#include "store/store.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bug.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/adapter.h"
#include "store/cache.h"
#include "core/banned.h"

/* ---- opening ---- */

typedef struct adapter_entry {
    const char *scheme;
    const souk_store_ops *ops; /* NULL: known, but not in this binary */
} adapter_entry;

static const adapter_entry adapters[] = {
    {"sqlite", &souk__store_sqlite},
    {"postgres", &souk__store_postgres},
    {"postgresql", &souk__store_postgres},
};

/* Splits DSN into its adapter and target. Returns the entry, or NULL for an
 * unknown scheme; *TARGET points into DSN. */
static const adapter_entry *choose(const char *dsn, const char **target)
{
    const char *colon = strchr(dsn, ':');
    const char *slash = strchr(dsn, '/');
    /* no scheme: a plain path ("souk.db", "/var/lib/souk.db", "./a:b.db") */
    if (!colon || (slash && slash < colon)) {
        *target = dsn;
        return &adapters[0];
    }
    size_t n = (size_t)(colon - dsn);
    for (size_t i = 0; i < sizeof adapters / sizeof *adapters; i++)
        if (strlen(adapters[i].scheme) == n && strncmp(dsn, adapters[i].scheme, n) == 0) {
            const char *t = colon + 1;
            /* sqlite://x.db and sqlite:///abs/x.db as well as sqlite:x.db */
            if (adapters[i].ops == &souk__store_sqlite && strncmp(t, "//", 2) == 0)
                t += 2;
            *target = t;
            return &adapters[i];
        }
    return NULL;
}

const char *souk_store_file(const char *dsn)
{
    const char *target = NULL;
    const adapter_entry *a = choose(dsn, &target);
    if (!a || a->ops != &souk__store_sqlite || !*target || strcmp(target, ":memory:") == 0)
        return NULL;
    return target;
}

static int open_dsn(souk_store **out, const char *dsn, bool create, char *err, size_t errlen)
{
    const char *target = NULL;
    const adapter_entry *a = dsn && *dsn ? choose(dsn, &target) : NULL;
    if (!a) {
        snprintf(err, errlen, "unknown database '%s': give a SQLite file path, sqlite:PATH or postgres://…",
                 dsn ? dsn : "");
        return -1;
    }
    if (!a->ops) {
        snprintf(err, errlen, "this souk binary has no %s adapter; use a SQLite file path", a->scheme);
        return -1;
    }
    if (!*target) {
        snprintf(err, errlen, "database '%s' names no file", dsn);
        return -1;
    }
    souk_store *db = a->ops->open(target, create, err, errlen);
    if (!db)
        return -1;
    db->ops = a->ops;
    souk__store_group_adopt(db, dsn);
    *out = db;
    return 0;
}

int souk_store_open(souk_store **out, const char *dsn, char *err, size_t errlen)
{
    return open_dsn(out, dsn, true, err, errlen);
}

int souk_store_open_existing(souk_store **out, const char *dsn, char *err, size_t errlen)
{
    return open_dsn(out, dsn, false, err, errlen);
}

int souk_store_table_exists(souk_store *db, const char *name)
{
    return db->ops->table_exists(db, name);
}

void souk_store_close(souk_store *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < SOUK_STORE_MEMOS; i++)
        if (db->memos[i].key && db->memos[i].free_fn)
            db->memos[i].free_fn(db->memos[i].memo);
    souk__store_cache_release(db);
    free(db->hooks);
    db->ops->close(db);
}

void *souk_store_memo(souk_store *db, const void *key)
{
    if (!key)
        return NULL;
    for (size_t i = 0; i < SOUK_STORE_MEMOS; i++)
        if (db->memos[i].key == key)
            return db->memos[i].memo;
    return NULL;
}

int souk_store_memo_set(souk_store *db, const void *key, void *memo, void (*free_fn)(void *))
{
    size_t free_slot = SOUK_STORE_MEMOS;
    if (!key)
        return -1;
    for (size_t i = 0; i < SOUK_STORE_MEMOS; i++) {
        if (db->memos[i].key == key) {
            if (db->memos[i].free_fn && db->memos[i].memo != memo)
                db->memos[i].free_fn(db->memos[i].memo);
            db->memos[i].memo = memo;
            db->memos[i].free_fn = free_fn;
            return 0;
        }
        if (!db->memos[i].key && free_slot == SOUK_STORE_MEMOS)
            free_slot = i;
    }
    if (free_slot == SOUK_STORE_MEMOS)
        return -1;
    db->memos[free_slot].key = key;
    db->memos[free_slot].memo = memo;
    db->memos[free_slot].free_fn = free_fn;
    return 0;
}

const char *souk_store_backend(const souk_store *db)
{
    return db->ops->name;
}

const char *souk_store_errmsg(souk_store *db)
{
    return db->errmsg;
}

void souk__store_set_err(souk_store *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
    va_end(ap);
}

void souk__store_hard(souk_store *db, const char *sql)
{
    souk_metrics_db_error();
    souk_log(SOUK_LOG_ERROR, NULL, NULL, sql ? json_pack("{s:s}", "sql", sql) : NULL, "database error: %s", db->errmsg);
}

bool souk_store_lost(const souk_store *db)
{
    return db && db->lost;
}

int souk_store_ping(souk_store *db)
{
    int64_t one = 0;
    return souk_store_one(db, "SELECT 1", NULL, SOUK_COLS(SOUK_COL_I64(&one))) == SOUK_DB_ROW && one == 1 ? 0 : -1;
}

/* ---- statements ---- */

/* souk_store_query, binding text and blobs where they are unless COPY */
static souk_stmt *query(souk_store *db, const char *sql, const souk_param *args, bool copy)
{
    souk_stmt *st = souk__store_cached(db, sql);
    if (!st)
        return NULL;
    int n = 0;
    for (; args && args[n].type != SOUK_TYPE_END; n++) {
        if (n >= st->nparams) {
            souk__store_set_err(db, "more parameters given than the %d the SQL names", st->nparams);
            goto bad;
        }
        if (db->ops->bind(st, n + 1, &args[n], copy) < 0) {
            souk__store_set_err(db, "cannot bind parameter $%d", n + 1);
            goto bad;
        }
    }
    if (n == st->nparams)
        return st;
    souk__store_set_err(db, "%d parameters given, the SQL names %d", n, st->nparams);
bad:
    souk__store_hard(db, sql);
    db->ops->reset(st);
    return NULL;
}

souk_stmt *souk_store_query(souk_store *db, const char *sql, const souk_param *args)
{
    return query(db, sql, args, true); /* the caller steps it later: its arguments may be gone */
}

/* Copies LEN bytes of S into BUF of CAP bytes, cutting at a UTF-8
 * character boundary when it must truncate. */
static void copy_text(char *buf, size_t cap, const char *s, size_t len)
{
    if (len >= cap) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    if (len) /* memmove: a column may be the very text bound into BUF (souk_store_one binds it in place) */
        memmove(buf, s, len);
    buf[len] = '\0';
}

/* Reads the current row into COLS. 0, or -1 (errmsg set). */
static int read_cols(souk_stmt *st, const souk_col *cols)
{
    const souk_store_ops *ops = st->db->ops;
    int ncols = ops->column_count(st);
    for (int i = 0; cols[i].type != SOUK_TYPE_END; i++) {
        const souk_col *c = &cols[i];
        if (i >= ncols) {
            souk__store_set_err(st->db, "column %d read, the statement has %d", i, ncols);
            return -1;
        }
        bool null = ops->column_null(st, i);
        if (c->is_null)
            *c->is_null = null;
        switch (c->type) {
        case SOUK_TYPE_I64: *(int64_t *)c->out = null ? 0 : ops->column_i64(st, i); break;
        case SOUK_TYPE_BOOL: *(bool *)c->out = !null && ops->column_i64(st, i) != 0; break;
        case SOUK_TYPE_TEXT: {
            size_t len = 0;
            const char *s = null ? NULL : ops->column_text(st, i, &len);
            if (!s)
                s = "", len = 0;
            if (c->cap) {
                copy_text(c->out, c->cap, s, len);
                break;
            }
            char *p = c->arena ? souk_arena_alloc(c->arena, len + 1) : malloc(len + 1);
            if (!p) {
                souk__store_set_err(st->db, "out of memory reading column %d", i);
                return -1;
            }
            if (len)
                memcpy(p, s, len);
            p[len] = '\0';
            *(char **)c->out = p;
            break;
        }
        case SOUK_TYPE_SKIP: break;
        default: souk__store_set_err(st->db, "column %d has no readable type", i); return -1;
        }
    }
    return 0;
}

int souk_stmt_next(souk_stmt *st, const souk_col *cols)
{
    if (!st)
        return SOUK_DB_HARD;
    souk_store *db = st->db;
    if ((db->no_writes || (db->group && !db->committer && db->tx_depth == 0)) && !db->ops->stmt_readonly(st))
        SOUK_BUG("a write outside a write transaction on a %s connection: %.200s",
                 db->no_writes ? "read-only (event loop)" : "grouped", st->sql);
    int r = db->ops->step(st);
    if (r != SOUK_DB_ROW) {
        if (r == SOUK_DB_HARD)
            souk__store_hard(db, st->sql);
        db->ops->reset(st);
        return r;
    }
    if (cols && read_cols(st, cols) < 0) {
        souk__store_hard(db, st->sql);
        db->ops->reset(st);
        return SOUK_DB_HARD;
    }
    return SOUK_DB_ROW;
}

int souk_stmt_step(souk_stmt *st)
{
    return souk_stmt_next(st, NULL);
}

void souk_stmt_done(souk_stmt *st)
{
    if (st)
        st->db->ops->reset(st);
}

/* souk_store_one and souk_store_exec step their statement to its end (or
 * reset it) before they return, while the arguments are still there: no
 * copy of text and blobs is needed. */
int souk_store_one(souk_store *db, const char *sql, const souk_param *args, const souk_col *cols)
{
    souk_stmt *st = query(db, sql, args, false);
    int r = souk_stmt_next(st, cols);
    if (r == SOUK_DB_ROW)
        souk_stmt_done(st);
    return r;
}

int souk_store_exec(souk_store *db, const char *sql, const souk_param *args)
{
    souk_stmt *st = query(db, sql, args, false);
    int r;
    while ((r = souk_stmt_next(st, NULL)) == SOUK_DB_ROW)
        ;
    return r;
}

int64_t souk_store_update(souk_store *db, const char *sql, const souk_param *args)
{
    int r = souk_store_exec(db, sql, args);
    return r < 0 ? r : db->ops->changes(db);
}

typedef struct update_ctx {
    const char *sql;
    const souk_param *args;
    int64_t changed;
} update_ctx;

static int update_body(souk_store *db, void *arg)
{
    update_ctx *u = arg;
    u->changed = souk_store_update(db, u->sql, u->args);
    return u->changed < 0 ? (int)u->changed : 0;
}

int64_t souk_store_update_tx(souk_store *db, const char *sql, const souk_param *args)
{
    update_ctx u = {sql, args, 0};
    int r = souk_store_tx(db, update_body, &u);
    return r < 0 ? r : u.changed;
}

int64_t souk_store_changes(souk_store *db)
{
    return db->ops->changes(db);
}

int64_t souk_stmt_i64(souk_stmt *st, int col)
{
    return st->db->ops->column_i64(st, col);
}

const char *souk_stmt_text(souk_stmt *st, int col, size_t *len)
{
    return st->db->ops->column_text(st, col, len);
}

const void *souk_stmt_blob(souk_stmt *st, int col, size_t *len)
{
    return st->db->ops->column_blob(st, col, len);
}

int souk_stmt_is_null(souk_stmt *st, int col)
{
    return st->db->ops->column_null(st, col);
}

char *souk_stmt_strdup(souk_stmt *st, int col)
{
    size_t n = 0;
    const char *s = souk_stmt_text(st, col, &n);
    char *p = malloc(n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- change detection and maintenance ---- */

static void (*touch_listener)(const char *name);

void souk_store_on_touch(void (*fn)(const char *name))
{
    touch_listener = fn;
}

static void touched(void *arg)
{
    if (touch_listener)
        touch_listener(arg);
}

int souk_store_touch(souk_store *db, const char *name)
{
    char copy[64];
    size_t n = strlen(name);
    if (n >= sizeof copy) {
        souk__store_set_err(db, "version name too long: %s", name);
        return SOUK_DB_HARD;
    }
    memcpy(copy, name, n + 1);
    if (souk_store_after_commit(db, touched, copy, n + 1) < 0)
        return SOUK_DB_HARD;
    return souk_store_exec(db,
                           "INSERT INTO meta (key, value) VALUES ($1, '1') ON CONFLICT (key) "
                           "DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
                           SOUK_ARGS(SOUK_TEXT(name)));
}

int64_t souk_store_version(souk_store *db, const char *name)
{
    int64_t v = 0;
    int r = souk_store_one(db, "SELECT CAST(value AS BIGINT) FROM meta WHERE key = $1", SOUK_ARGS(SOUK_TEXT(name)),
                           SOUK_COLS(SOUK_COL_I64(&v)));
    return r < 0 ? -1 : v;
}

int64_t souk_store_change_mark(souk_store *db)
{
    return db->ops->change_mark(db);
}

int souk_store_wait_change(souk_store *db, int timeout_ms)
{
    if (!db->ops->wait_change || db->tx_depth > 0 || db->read_tx)
        return -1;
    return db->ops->wait_change(db, timeout_ms < 0 ? 0 : timeout_ms);
}

int souk_store_scrub(souk_store *db)
{
    return db->ops->scrub(db);
}
