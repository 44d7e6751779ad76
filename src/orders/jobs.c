/*
 * jobs.c — the orders module's job kinds (orders.h): order.emails (the due
 * order e-mails into the mail outbox, emails.c), orders.refund (gateway
 * refunds retried, refund.c) and orders.maintenance (abandoned payments,
 * old idempotency keys and webhook ids).
 */
#include "orders/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "store/page.h"
#include "core/banned.h"

#define WEBHOOK_RETENTION_US (INT64_C(30) * 24 * 3600 * 1000000)
#define ABANDON_MAX 1000

/* order.emails runs inside the job's own transaction (souk_job_register_tx):
 * the e-mails and their "sent" marks commit together, once. */
static int emails_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    int n = souk_orders_send_emails_tx(db, SOUK_ORDERS_EMAIL_BATCH_MAX);
    if (n < 0) {
        snprintf(err, errlen, "cannot write order e-mails: %s", souk_store_errmsg(db));
        return -1;
    }
    if (n == SOUK_ORDERS_EMAIL_BATCH_MAX) { /* more are due: another run at once */
        char dedupe[48];
        snprintf(dedupe, sizeof dedupe, "order.emails+%lld", (long long)souk_time_now_us());
        if (souk_job_enqueue_tx(db, "order.emails", NULL, 0, dedupe) < 0) {
            snprintf(err, errlen, "cannot queue the next batch");
            return -1;
        }
    }
    return 0;
}

static int refund_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    const char *s = json_string_value(json_object_get(payload, "refund_id"));
    int64_t id;
    if (!s || souk_id_parse(SOUK_PREFIX_REFUND, s, strlen(s), &id) < 0) {
        snprintf(err, errlen, "payload needs refund_id");
        return -1;
    }
    int wait_s = 0;
    if (souk_payments_refusing(souk_orders_gateway(), &wait_s)) { /* the gateway's breaker is open */
        souk_job_defer((int64_t)wait_s * 1000000);
        snprintf(err, errlen, "payment provider circuit open; refund deferred for %d s", wait_s);
        return SOUK_JOB_DEFERRED;
    }
    return souk__refund_execute(db, id, err, errlen);
}

static souk_err abandon_tx(souk_store *db, void *arg)
{
    souk_err e =
        souk__order_cancel_pending_tx(db, *(int64_t *)arg, NULL, NULL, "payment not completed in time", "system");
    return e == SOUK_E_CONFLICT ? SOUK_OK : e; /* paid or cancelled meanwhile */
}

int souk_orders_abandon_due(souk_store *db, int64_t now_us, int max)
{
    /* a payment the provider is processing (bank transfers take days) is left to its webhook */
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id FROM orders WHERE state = 'pending_payment' "
                                     "AND payment_due_at <= $1 AND intent_status <> 'processing' "
                                     "ORDER BY payment_due_at LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(now_us), SOUK_I64(max > ABANDON_MAX ? ABANDON_MAX : max)));
    int64_t ids[ABANDON_MAX];
    int n = souk_store_ids(st, ids, ABANDON_MAX);
    for (int i = 0; i < n; i++)
        if (souk_store_run(db, abandon_tx, &ids[i], NULL))
            return SOUK_DB_HARD;
    return n;
}

int souk_orders_forget_keys(souk_store *db, int64_t now_us, int max)
{
    int64_t n = souk_store_update_tx(db,
                                     "DELETE FROM idempotency_keys WHERE (scope, key) IN (SELECT scope, key "
                                     "FROM idempotency_keys WHERE created_at < $1 LIMIT $2)",
                                     SOUK_ARGS(SOUK_I64(now_us - SOUK_ORDERS_IDEMPOTENCY_TTL_US), SOUK_I64(max)));
    return (int)n;
}

static int maintenance_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    int64_t now = souk_time_now_us();
    int a = souk_orders_abandon_due(db, now, 500), k = a < 0 ? a : souk_orders_forget_keys(db, now, 10000);
    /* processed webhook ids: the provider retries for days, not months */
    int w = k < 0 ? k
                  : (int)souk_store_update_tx(db, "DELETE FROM webhook_events WHERE received_at < $1",
                                              SOUK_ARGS(SOUK_I64(now - WEBHOOK_RETENTION_US)));
    if (a < 0 || k < 0 || w < 0) {
        snprintf(err, errlen, "database: %s", souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

void souk_orders_register_jobs(void)
{
    souk_job_register_tx("order.emails", emails_job, 10);
    souk_job_schedule("order.emails", "* * * * *"); /* a safety net: each batch also queues its own run */
    souk_job_register("orders.refund", refund_job, 20);
    souk_job_register("orders.maintenance", maintenance_job, 5);
    souk_job_schedule("orders.maintenance", "* * * * *");
}
