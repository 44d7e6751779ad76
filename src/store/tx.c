/*
 * tx.c — transactions on any adapter: the write-transaction runner with
 * bounded retries, nested transactions as savepoints, after-commit hooks,
 * read snapshots, and the end-of-request reset (store.h).
 *
 * A connection joined to a group (group.c) sends its write transactions to
 * the group's committer; the committer's own connection runs them, and any
 * transaction started inside one, as savepoints of the group's transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bug.h"
#include "store/adapter.h"
#include "store/cache.h"
#include "core/banned.h"

#define TX_ATTEMPTS 9
#define SAVEPOINT_DEPTH_MAX 16

static void backoff(int attempt)
{
    struct timespec ts = {0, (long)(1000000L << (attempt < 6 ? attempt : 6))}; /* 1..64 ms */
    nanosleep(&ts, NULL);
}

void souk__store_run_hooks(souk_store *db)
{
    /* a hook may start a transaction of its own: take the list first */
    size_t n = db->nhooks;
    struct souk__after_commit *h = db->hooks;
    db->hooks = NULL;
    db->nhooks = db->hooks_cap = 0;
    for (size_t i = 0; i < n; i++)
        h[i].fn(h[i].arg);
    free(h);
}

void souk__store_drop_hooks(souk_store *db, size_t from)
{
    if (from < db->nhooks)
        db->nhooks = from;
}

int souk_store_after_commit(souk_store *db, void (*fn)(void *arg), const void *arg, size_t len)
{
    if (len > sizeof db->hooks->arg)
        return -1;
    if (db->tx_depth == 0) {
        unsigned char copy[sizeof db->hooks->arg];
        if (len)
            memcpy(copy, arg, len);
        fn(copy);
        return 0;
    }
    if (db->nhooks == db->hooks_cap) {
        size_t cap = db->hooks_cap ? 2 * db->hooks_cap : 8;
        struct souk__after_commit *h = realloc(db->hooks, cap * sizeof *h);
        if (!h)
            return -1;
        db->hooks = h;
        db->hooks_cap = cap;
    }
    db->hooks[db->nhooks].fn = fn;
    if (len)
        memcpy(db->hooks[db->nhooks].arg, arg, len);
    db->nhooks++;
    return 0;
}

/* Runs "VERB souk_spN" for the savepoint of depth N. */
static int savepoint_sql(souk_store *db, const char *verb, int depth)
{
    char sql[48];
    snprintf(sql, sizeof sql, "%s souk_sp%d", verb, depth);
    return souk_store_exec(db, sql, NULL);
}

int souk__store_savepoint_tx(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx)
{
    if (db->tx_depth >= SAVEPOINT_DEPTH_MAX) {
        souk__store_set_err(db, "transactions nested more than %d deep", SAVEPOINT_DEPTH_MAX);
        souk__store_hard(db, NULL);
        return SOUK_DB_HARD;
    }
    int depth = db->tx_depth;
    int r = savepoint_sql(db, "SAVEPOINT", depth);
    if (r < 0)
        return r;
    size_t hooks = db->nhooks;
    db->tx_depth = depth + 1;
    r = fn(db, ctx);
    db->tx_depth = depth;
    if (!db->ops->in_tx(db)) /* the database ended the whole transaction (I/O, full disk) */
        return r >= 0 ? SOUK_DB_HARD : r;
    if (r >= 0) {
        int c = savepoint_sql(db, "RELEASE", depth);
        return c < 0 ? c : r;
    }
    /* SOUK_DB_SOFT too: whoever runs the outermost transaction retries it */
    savepoint_sql(db, "ROLLBACK TO", depth);
    savepoint_sql(db, "RELEASE", depth);
    souk__store_drop_hooks(db, hooks);
    return r;
}

int souk_store_tx(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx)
{
    if (db->tx_depth > 0)
        return souk__store_savepoint_tx(db, fn, ctx);
    if (db->no_writes)
        SOUK_BUG("a write transaction on an event-loop connection (it would wait for the write lock)");
    if (db->group && !db->committer)
        return souk__store_group_tx(db, fn, ctx, false);
    for (int attempt = 0;; attempt++) {
        int r = db->ops->begin(db, true);
        if (r == SOUK_DB_DONE) {
            db->tx_depth = 1;
            r = fn(db, ctx);
            if (r >= 0) {
                int c = db->ops->commit(db);
                if (c == SOUK_DB_DONE) {
                    db->tx_depth = 0;
                    souk__store_run_hooks(db);
                    return r;
                }
                r = c;
            }
            souk_store_idle(db);
            if (db->ops->in_tx(db))
                db->ops->rollback(db);
            db->tx_depth = 0;
            souk__store_drop_hooks(db, 0);
        }
        if (r != SOUK_DB_SOFT || attempt >= TX_ATTEMPTS - 1)
            return r;
        backoff(attempt);
    }
}

int souk_store_tx_join(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx)
{
    if (db->tx_depth > 0) /* FN fails whole or not at all: no savepoint needed */
        return fn(db, ctx);
    if (db->group && !db->committer && !db->no_writes) /* the same, in the group's transaction */
        return souk__store_group_tx(db, fn, ctx, true);
    return souk_store_tx(db, fn, ctx);
}

int souk_store_read_begin(souk_store *db)
{
    int r = db->ops->begin(db, false);
    db->read_tx = r == SOUK_DB_DONE;
    return r;
}

void souk_store_read_end(souk_store *db)
{
    souk_store_idle(db);
    if (db->ops->in_tx(db) && db->ops->commit(db) < 0)
        db->ops->rollback(db);
    db->read_tx = false;
}

void souk_store_idle(souk_store *db)
{
    souk__store_cache_idle(db);
}

void souk_store_forbid_writes(souk_store *db)
{
    db->no_writes = true;
}
