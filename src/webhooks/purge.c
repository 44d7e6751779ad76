/*
 * purge.c — retention of the delivery log: finished deliveries (succeeded or
 * failed) whose last change is older than SOUK_WEBHOOKS_RETENTION_DAYS are
 * deleted with their attempts, 1000 per transaction, by the hourly job
 * "webhooks.purge". Pending deliveries are never purged.
 */
#include "webhooks/internal.h"

#include <stdio.h>

#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

#define BATCH 1000
#define OLD_SET                                                                                                        \
    "(SELECT id FROM webhooks_deliveries WHERE status <> 'pending' AND updated_at < $1 ORDER BY id LIMIT 1000)"

typedef struct purge_ctx {
    int64_t before;
    int64_t deleted;
} purge_ctx;

static int purge_tx(souk_store *db, void *arg)
{
    purge_ctx *c = arg;
    int r = souk_store_exec(db, "DELETE FROM webhooks_attempts WHERE delivery_id IN " OLD_SET,
                            SOUK_ARGS(SOUK_I64(c->before)));
    if (r < 0)
        return r;
    int64_t n =
        souk_store_update(db, "DELETE FROM webhooks_deliveries WHERE id IN " OLD_SET, SOUK_ARGS(SOUK_I64(c->before)));
    if (n < 0)
        return (int)n;
    c->deleted = n;
    return 0;
}

int64_t souk__webhooks_purge(souk_store *db, int64_t before_us)
{
    int64_t total = 0;
    for (int round = 0; round < 100; round++) {
        purge_ctx c = {before_us, 0};
        int r = souk_store_tx(db, purge_tx, &c);
        if (r < 0)
            return r;
        total += c.deleted;
        if (c.deleted < BATCH)
            break;
    }
    return total;
}

static int purge_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    int64_t r = souk__webhooks_purge(db, souk_time_now_us() - SOUK_WEBHOOKS_RETENTION_DAYS * INT64_C(86400000000));
    if (r < 0) {
        snprintf(err, errlen, "cannot purge the delivery log: %s", souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

int souk__webhooks_register_purge(void)
{
    if (souk_job_register("webhooks.purge", purge_job, 3) != 0)
        return -1;
    return souk_job_schedule("webhooks.purge", "41 * * * *");
}
