/*
 * background.c — the module's configuration and its jobs: order e-mails,
 * gateway refunds retried, abandoned payments and old idempotency keys.
 */
#include "orders/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/money.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "orders/place.h"
#include "core/banned.h"

#define WEBHOOK_RETENTION_US (INT64_C(30) * 24 * 3600 * 1000000)

static souk_payment_gateway gateway;
static bool configured;

void souk_orders_configure(const souk_payment_gateway *g, int64_t reservation_ttl_us)
{
    gateway = *g;
    configured = true;
    souk__place_set_ttl(reservation_ttl_us);
}

const souk_payment_gateway *souk_orders_gateway(void)
{
    if (!configured) {
        souk_payments_test_gateway(&gateway);
        configured = true;
    }
    return &gateway;
}

/* ---- e-mails ---- */

static const struct {
    const char *kind, *subject, *text;
} mails[] = {
    {"confirmation", "Your order %s is confirmed", "Thank you for your order %s.\n\nWe received your payment of %s "
                                                   "and will let you know when it ships.\n"},
    {"shipped", "Your order %s has shipped", "Your order %s (total %s) is on its way.\n"},
    {"delivered", "Your order %s was delivered", "Your order %s (total %s) was delivered. Enjoy!\n"},
    {"cancelled", "Your order %s was cancelled", "Your order %s (total %s) was cancelled. Any payment is refunded.\n"},
    {"refunded", "A refund for your order %s", "We refunded money for your order %s (order total %s).\n"},
};

typedef struct mail_ctx {
    int64_t order;
    const char *kind;
} mail_ctx;

static souk_err mail_tx(souk_store *db, void *arg)
{
    mail_ctx *m = arg;
    souk__order o;
    souk_err e = souk__order_load(db, m->order, &o);
    if (e)
        return e == SOUK_E_NOT_FOUND ? SOUK_OK : e; /* erased meanwhile: nothing to send */
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO order_notifications (order_id, kind, created_at) "
                                        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, m->order);
    souk_stmt_bind_text(st, 2, m->kind, SIZE_MAX);
    souk_stmt_bind_i64(st, 3, souk_time_now_us());
    int r = souk_stmt_exec(st);
    if (r < 0)
        return souk_store_dberr(r);
    if (souk_store_changes(db) == 0 || !o.email[0])
        return SOUK_OK; /* sent already (the job ran twice) */
    size_t i = 0, n = sizeof mails / sizeof mails[0];
    while (i < n && strncmp(m->kind, mails[i].kind, strlen(mails[i].kind)) != 0)
        i++;
    if (i == n)
        return SOUK_E_VALIDATION;
    char ref[SOUK_ID_TEXT_MAX], total[64], subject[160], body[600];
    souk__order_ref(o.id, ref);
    souk_money money = {o.total, ""};
    snprintf(money.currency, sizeof money.currency, "%s", o.currency);
    char amount[48] = "?";
    souk_money_format(&money, amount, sizeof amount);
    snprintf(total, sizeof total, "%s %s", amount, o.currency);
    snprintf(subject, sizeof subject, mails[i].subject, ref);
    snprintf(body, sizeof body, mails[i].text, ref, total);
    return souk_store_dberr(souk_mail_enqueue_tx(db, o.user_id, o.email, subject, body));
}

static int64_t order_of(const json_t *payload)
{
    const char *s = json_string_value(json_object_get(payload, "order_id"));
    int64_t id = 0;
    return s && souk_id_parse(SOUK_PREFIX_ORDER, s, strlen(s), &id) == 0 ? id : 0;
}

/* order.email runs inside the job's own transaction (souk_job_register_tx). */
static int email_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    mail_ctx m = {order_of(payload), json_string_value(json_object_get(payload, "kind"))};
    if (!m.order || !m.kind) {
        snprintf(err, errlen, "payload needs order_id and kind");
        return -1;
    }
    souk_err e = mail_tx(db, &m);
    if (e)
        snprintf(err, errlen, "cannot write the e-mail: %s", souk_err_code(e));
    return e ? -1 : 0;
}

/* ---- refunds, abandoned payments, old keys ---- */

static int refund_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    const char *s = json_string_value(json_object_get(payload, "refund_id"));
    int64_t id;
    if (!s || souk_id_parse(SOUK_PREFIX_REFUND, s, strlen(s), &id) < 0) {
        snprintf(err, errlen, "payload needs refund_id");
        return -1;
    }
    return souk__refund_execute(db, id, err, errlen);
}

static souk_err abandon_tx(souk_store *db, void *arg)
{
    souk_err e = souk__order_cancel_pending_tx(db, *(int64_t *)arg, NULL, NULL, "payment not completed in time",
                                               "system");
    return e == SOUK_E_CONFLICT ? SOUK_OK : e; /* paid or cancelled meanwhile */
}

int souk_orders_abandon_due(souk_store *db, int64_t now_us, int max)
{
    /* a payment the provider is processing (bank transfers take days) is left to its webhook */
    souk_stmt *st = souk_store_stmt(db, "SELECT id FROM orders WHERE state = 'pending_payment' "
                                        "AND payment_due_at <= $1 AND intent_status <> 'processing' "
                                        "ORDER BY payment_due_at LIMIT $2");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, now_us);
    souk_stmt_bind_i64(st, 2, max > 1000 ? 1000 : max);
    int64_t ids[1000];
    int n = 0, r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW)
        if (n < 1000)
            ids[n++] = souk_stmt_i64(st, 0);
    if (r < 0)
        return r;
    for (int i = 0; i < n; i++)
        if (souk_store_run(db, abandon_tx, &ids[i], NULL))
            return SOUK_DB_HARD;
    return n;
}

int souk_orders_forget_keys(souk_store *db, int64_t now_us, int max)
{
    int r = souk_store_exec2(db, "DELETE FROM idempotency_keys WHERE (scope, key) IN (SELECT scope, key FROM idempotency_keys "
                                 "WHERE created_at < $1 LIMIT $2)", now_us - SOUK_ORDERS_IDEMPOTENCY_TTL_US, max);
    return r < 0 ? r : (int)souk_store_changes(db);
}

static int maintenance_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    int64_t now = souk_time_now_us();
    int a = souk_orders_abandon_due(db, now, 500), k = a < 0 ? a : souk_orders_forget_keys(db, now, 10000);
    /* processed webhook ids: the provider retries for days, not months */
    int w = k < 0 ? k : souk_store_exec2(db, "DELETE FROM webhook_events WHERE received_at < $1 AND $2 = 0",
                                         now - WEBHOOK_RETENTION_US, 0);
    if (a < 0 || k < 0 || w < 0) {
        snprintf(err, errlen, "database: %s", souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

void souk_orders_register_jobs(void)
{
    souk_job_register_tx("order.email", email_job, 10);
    souk_job_register("orders.refund", refund_job, 20);
    souk_job_register("orders.maintenance", maintenance_job, 5);
    souk_job_schedule("orders.maintenance", "* * * * *");
}
