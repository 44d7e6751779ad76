/*
 * background.c — the module's configuration and its jobs: order e-mails,
 * gateway refunds retried, abandoned payments and old idempotency keys.
 */
#include "orders/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/money.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "orders/place.h"
#include "store/page.h"
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
        souk_payments_builtin_gateway(&gateway);
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

/* Writes the e-mail KIND of ORDER into the mail outbox. An order that is
 * gone or was erased (no address) gets none. */
static souk_err render_mail(souk_store *db, int64_t order, const char *kind)
{
    souk__order o;
    souk_err e = souk__order_load(db, order, &o);
    if (e)
        return e == SOUK_E_NOT_FOUND ? SOUK_OK : e;
    size_t i = 0, n = sizeof mails / sizeof mails[0];
    while (i < n && strncmp(kind, mails[i].kind, strlen(mails[i].kind)) != 0)
        i++;
    if (i == n || !o.email[0]) {
        if (i == n)
            souk_log_error("orders: no e-mail text for kind '%s'", kind);
        return SOUK_OK;
    }
    char ref[SOUK_ID_TEXT_MAX], total[64], subject[160], body[600], amount[48] = "?";
    souk__order_ref(o.id, ref);
    souk_money money = {o.total, ""};
    snprintf(money.currency, sizeof money.currency, "%s", o.currency);
    souk_money_format(&money, amount, sizeof amount);
    snprintf(total, sizeof total, "%s %s", amount, o.currency);
    snprintf(subject, sizeof subject, mails[i].subject, ref);
    snprintf(body, sizeof body, mails[i].text, ref, total);
    const char *why = NULL;
    if (souk_mail_check(o.email, subject, body, &why) != 0) { /* checkout checks, but say so and go on */
        souk_log_warn("orders: e-mail %s of %s not queued: %s", kind, ref, why ? why : "refused");
        return SOUK_OK;
    }
    return souk_store_dberr(souk_mail_enqueue_tx(db, o.user_id, o.email, subject, body));
}

typedef struct due_mail {
    int64_t order;
    char kind[48];
} due_mail;

int souk_orders_send_emails_tx(souk_store *db, int max)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT order_id, kind FROM order_notifications WHERE sent_at IS NULL "
                                        "ORDER BY created_at LIMIT $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, max);
    due_mail *due = calloc((size_t)(max > 0 ? max : 1), sizeof *due);
    int n = 0, r;
    while (due && (r = souk_stmt_step(st)) == SOUK_DB_ROW)
        if (n < max) {
            due[n].order = souk_stmt_i64(st, 0);
            snprintf(due[n].kind, sizeof due[n].kind, "%s", souk_stmt_text(st, 1, NULL));
            n++;
        }
    if (!due) {
        souk_stmt_done(st);
        return SOUK_DB_HARD;
    }
    int64_t now = souk_time_now_us();
    for (int i = 0; i < n && r >= 0; i++) {
        if (render_mail(db, due[i].order, due[i].kind)) {
            r = SOUK_DB_HARD;
            break;
        }
        souk_stmt *up = souk_store_stmt(db, "UPDATE order_notifications SET sent_at = $3 WHERE order_id = $1 "
                                            "AND kind = $2");
        if (!up) {
            r = SOUK_DB_HARD;
            break;
        }
        souk_stmt_bind_i64(up, 1, due[i].order);
        souk_stmt_bind_text(up, 2, due[i].kind, SIZE_MAX);
        souk_stmt_bind_i64(up, 3, now);
        r = souk_stmt_exec(up);
    }
    free(due);
    return r < 0 ? r : n;
}

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
    int n = souk_store_ids(st, ids, 1000);
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
    int w = k < 0 ? k : souk_store_exec1(db, "DELETE FROM webhook_events WHERE received_at < $1",
                                         now - WEBHOOK_RETENTION_US);
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

/* ---- erasure ---- */

int souk_orders_erase_tx(souk_store *db, int64_t user)
{
    char actor[SOUK_ID_TEXT_MAX];
    souk_id_format("usr", user, actor);
    int r = souk_store_exec1(db, "DELETE FROM idempotency_keys WHERE order_id IN (SELECT id FROM orders "
                                 "WHERE user_id = $1)", user);
    if (r >= 0)
        r = souk_store_exec2(db, "UPDATE orders SET email = '', shipping_address = '{}', updated_at = $2 "
                                 "WHERE user_id = $1", user, souk_time_now_us());
    if (r >= 0)
        r = souk_store_exec1(db, "UPDATE order_returns SET reason = '' WHERE order_id IN (SELECT id FROM orders "
                                 "WHERE user_id = $1)", user);
    souk_stmt *st;
    if (r >= 0) { /* what the customer wrote when cancelling */
        st = souk_store_stmt(db, "UPDATE order_history SET note = '' WHERE order_id IN (SELECT id FROM orders "
                                 "WHERE user_id = $1) AND actor = $2");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, user);
        souk_stmt_bind_text(st, 2, actor, SIZE_MAX);
        r = souk_stmt_exec(st);
    }
    if (r < 0)
        return r;
    /* the events of the customer's own cancellations carry their reason too
     * (aggregate ids are "ord_…" text: a page of orders at a time) */
    int64_t ids[256], after = 0;
    int n;
    do {
        st = souk_store_stmt(db, "SELECT DISTINCT h.order_id FROM order_history h JOIN orders o ON o.id = h.order_id "
                                 "WHERE o.user_id = $1 AND h.actor = $2 AND h.to_state = 'cancelled' "
                                 "AND h.order_id > $3 ORDER BY h.order_id");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, user);
        souk_stmt_bind_text(st, 2, actor, SIZE_MAX);
        souk_stmt_bind_i64(st, 3, after);
        if ((n = souk_store_ids(st, ids, 256)) < 0)
            return n;
        for (int i = 0; i < n && r >= 0; i++) {
            char ref[SOUK_ID_TEXT_MAX];
            st = souk_store_stmt(db, "UPDATE events SET payload = json_set(payload, '$.reason', '') "
                                     "WHERE type = 'order.cancelled' AND aggregate_id = $1");
            if (!st)
                return SOUK_DB_HARD;
            souk_stmt_bind_text(st, 1, souk__order_ref(ids[i], ref), SIZE_MAX);
            r = souk_stmt_exec(st);
        }
        after = n ? ids[n - 1] : after;
    } while (n == 256 && r >= 0);
    return r < 0 ? r : 0;
}
