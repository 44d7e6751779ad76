/*
 * tx.c — transactions on any adapter: the write-transaction runner with
 * bounded retries, read snapshots, and the end-of-request reset (store.h).
 */
#include <time.h>

#include "store/adapter.h"
#include "store/cache.h"
#include "core/banned.h"

#define TX_ATTEMPTS 9

static void backoff(int attempt)
{
    struct timespec ts = {0, (long)(1000000L << (attempt < 6 ? attempt : 6))}; /* 1..64 ms */
    nanosleep(&ts, NULL);
}

int souk_store_tx(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx)
{
    for (int attempt = 0;; attempt++) {
        int r = db->ops->begin(db, true);
        if (r == SOUK_DB_DONE) {
            r = fn(db, ctx);
            if (r >= 0) {
                int c = db->ops->commit(db);
                if (c == SOUK_DB_DONE)
                    return r;
                r = c;
            }
            souk_store_idle(db);
            if (db->ops->in_tx(db))
                db->ops->rollback(db);
        }
        if (r != SOUK_DB_SOFT || attempt >= TX_ATTEMPTS - 1)
            return r;
        backoff(attempt);
    }
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
