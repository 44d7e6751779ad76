/*
 * renew.c — the renewal jobs. subscriptions.due (every minute, inside its
 * claim's transaction) enqueues one subscriptions.renew job per due
 * subscription, deduplicated by (subscription, period, attempt). A renewal
 * runs in three steps, each safe to run again (docs/internals/subscriptions.md):
 *   1. prepare (one transaction): the subscription still active, due, at
 *      that period and attempt; a renewal row made with its order, placed
 *      through orders' placement from a cart made for it (priced now, stock
 *      reserved) — or, when it cannot be placed, the attempt recorded failed;
 *   2. charge: the order paid with the saved method (souk_orders_charge_saved,
 *      idempotency keys from the order id), only while the subscription is
 *      still active at that period and attempt — otherwise the order is
 *      cancelled and nothing is charged;
 *   3. the outcome recorded: the next period scheduled, or dunning (a retry
 *      on the settings' schedule with an e-mail; after the last, paused).
 * With an in-process gateway (the test gateway) steps 2 and 3 are one
 * transaction, so the check and the charge cannot be told apart by a
 * concurrent pause or cancel. A crash after step 1 leaves the renewal row
 * 'charging' with its order: the job, run again, charges that same order.
 */
#include "subscriptions/internal.h"

#include <stdio.h>
#include <string.h>

#include "cart/cart.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "orders/orders.h"
#include "core/banned.h"

#define DUE_BATCH 500
#define HOUR_US (INT64_C(3600) * 1000000)

/* ---- subscriptions.due ---- */

static int due_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, period, attempt FROM subscriptions WHERE state = 'active' "
                                     "AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(souk_time_now_us()), SOUK_I64(DUE_BATCH)));
    int64_t ids[DUE_BATCH][3];
    int n = 0, r;
    while (n < DUE_BATCH && (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&ids[n][0]), SOUK_COL_I64(&ids[n][1]),
                                                              SOUK_COL_I64(&ids[n][2])))) == SOUK_DB_ROW)
        n++;
    souk_stmt_done(st);
    for (int i = 0; i < n; i++) {
        char key[SOUK_JOB_DEDUPE_MAX];
        snprintf(key, sizeof key, "subs.renew:%lld:%lld:%lld", (long long)ids[i][0], (long long)ids[i][1],
                 (long long)ids[i][2]);
        r = souk_job_enqueue_tx(db, SOUK_SUBS_RENEW_JOB,
                                json_pack("{s:I,s:I,s:I}", "subscription_id", (json_int_t)ids[i][0], "period",
                                          (json_int_t)ids[i][1], "attempt", (json_int_t)ids[i][2]),
                                0, key);
        if (r < 0) {
            snprintf(err, errlen, "cannot enqueue a renewal: %s", souk_store_errmsg(db));
            return -1;
        }
    }
    return 0;
}

/* ---- subscriptions.renew ---- */

typedef struct renew_ctx {
    int64_t sub, period, attempt;
    souk__subs s;
    souk_arena *a;
    bool stop;           /* nothing (more) to do */
    int64_t order;       /* the renewal's order */
    int64_t renewal;     /* its row */
    const char *failure; /* prepare: why it could not be placed */
    souk_orders_charge charge;
    bool charged;
    char err[256];
} renew_ctx;

static bool still_due(const renew_ctx *x)
{
    return strcmp(x->s.state, "active") == 0 && x->s.period == x->period && x->s.attempt == x->attempt;
}

static void mail(souk_store *db, const souk__subs *s, const char *subject, const char *body)
{
    if (souk_mail_check(s->email, subject, body, NULL) != 0)
        return; /* an erased or unusable address: no mail */
    if (souk_mail_enqueue_tx(db, s->user_id, s->email, subject, body) < 0)
        souk_log(SOUK_LOG_WARN, NULL, NULL, NULL, "subscription mail not queued: %s", souk_store_errmsg(db));
}

/* A failed attempt (declined, or could not be placed): the next retry on the
 * settings' schedule with an e-mail, or, after the last, paused. */
static souk_err dunning_tx(souk_store *db, renew_ctx *x, const char *code)
{
    souk__subs_settings set;
    souk_err e = souk__subs_settings_read(db, &set);
    if (e)
        return e;
    souk__subs *s = &x->s;
    int64_t now = souk_time_now_us();
    char id[SOUK_ID_TEXT_MAX], body[1024], subject[200];
    souk_id_format(SOUK_PREFIX_SUBSCRIPTION, s->id, id);
    int r;
    if ((size_t)s->failures >= set.nretry) {
        r = souk_store_exec(db,
                            "UPDATE subscriptions SET state = 'paused', pause_reason = 'payment_failed', "
                            "attempt = attempt + 1, failures = failures + 1, updated_at = $2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(s->id), SOUK_I64(now)));
        snprintf(subject, sizeof subject, "Your subscription is paused: the payment failed");
        snprintf(body, sizeof body,
                 "We could not take the payment for your subscription %s (%s) after %lld attempts.\n"
                 "It is paused: nothing more will be charged. Resume it from your account once your\n"
                 "payment method is in order.\n",
                 id, code, (long long)s->failures + 1);
    } else {
        int64_t at = now + set.retry_hours[s->failures] * HOUR_US;
        r = souk_store_exec(
            db,
            "UPDATE subscriptions SET attempt = attempt + 1, failures = failures + 1, next_run_at = $2, updated_at = $3 "
            "WHERE id = $1",
            SOUK_ARGS(SOUK_I64(s->id), SOUK_I64(at), SOUK_I64(now)));
        char when[40];
        snprintf(subject, sizeof subject, "Your subscription's payment failed");
        snprintf(body, sizeof body,
                 "We could not take the payment for your subscription %s (%s).\n"
                 "We will try again at %s. Nothing was charged.\n",
                 id, code, souk_time_format(at, when));
    }
    if (r < 0)
        return souk_store_dberr(r);
    mail(db, s, subject, body);
    return SOUK_OK;
}

typedef struct place_ctx {
    renew_ctx *x;
    int64_t discount_bp;
    souk_problems pr;
} place_ctx;

/* A savepoint of prepare's transaction: the cart made for the renewal and
 * its order placed; a failure rolls back only this. */
static souk_err place_tx(souk_store *db, void *arg)
{
    place_ctx *p = arg;
    renew_ctx *x = p->x;
    char token[64];
    int64_t cart = 0;
    souk_err e = souk_cart_create(db, 0, x->s.currency, token, &cart, NULL);
    json_t *j = NULL;
    if (!e)
        e = souk_cart_put_line(db, cart, x->s.variant_id, x->s.quantity, false, x->a, &p->pr, &j);
    json_decref(j);
    if (!e && (x->s.shipping_method[0] || x->s.tax_region[0]))
        e = souk_cart_update(db, cart, NULL, x->s.tax_region[0] ? x->s.tax_region : NULL,
                             x->s.shipping_method[0] ? x->s.shipping_method : NULL, x->a, &p->pr);
    char actor[SOUK_ID_TEXT_MAX];
    souk_orders_renewal in = {cart,       x->s.user_id,      p->discount_bp,
                              x->s.email, x->s.address_json, souk_id_format(SOUK_PREFIX_SUBSCRIPTION, x->s.id, actor)};
    if (!e)
        e = souk_orders_place_renewal_tx(db, &in, &x->order, x->a, &p->pr);
    return e;
}

/* The subscription changed since its renewal was placed (paused, cancelled,
 * skipped, renewed): the order is cancelled unpaid, nothing is charged. */
static souk_err withdraw_tx(souk_store *db, renew_ctx *x)
{
    char actor[SOUK_ID_TEXT_MAX];
    souk_err e = souk_orders_cancel_renewal_tx(db, x->order, "subscription changed before its renewal was charged",
                                               souk_id_format(SOUK_PREFIX_SUBSCRIPTION, x->sub, actor));
    if (e)
        return e;
    return souk_store_dberr(souk_store_exec(
        db,
        "UPDATE subscription_renewals SET state = 'failed', decline_code = 'withdrawn', updated_at = $2 "
        "WHERE id = $1 AND state = 'charging'",
        SOUK_ARGS(SOUK_I64(x->renewal), SOUK_I64(souk_time_now_us()))));
}

static souk_err prepare_tx(souk_store *db, void *arg)
{
    renew_ctx *x = arg;
    x->stop = false;
    x->order = x->renewal = 0;
    x->failure = NULL;
    souk_err e = souk__subs_load(db, x->sub, &x->s, x->a);
    if (e == SOUK_E_NOT_FOUND) {
        x->stop = true;
        return SOUK_OK;
    }
    if (e)
        return e;
    char state[16] = "";
    int r = souk_store_one(db,
                           "SELECT id, COALESCE(order_id, 0), state FROM subscription_renewals "
                           "WHERE subscription_id = $1 AND period = $2 AND attempt = $3",
                           SOUK_ARGS(SOUK_I64(x->sub), SOUK_I64(x->period), SOUK_I64(x->attempt)),
                           SOUK_COLS(SOUK_COL_I64(&x->renewal), SOUK_COL_I64(&x->order), SOUK_COL_STR(state)));
    if (r < 0)
        return souk_store_dberr(r);
    bool charging = r == SOUK_DB_ROW && strcmp(state, "charging") == 0;
    if (!still_due(x)) {
        /* skipped, paused, cancelled or renewed since: nothing to do — but an order this
         * attempt placed before (its charge failed and was to be retried) is withdrawn */
        x->stop = true;
        return charging ? withdraw_tx(db, x) : SOUK_OK;
    }
    if (r == SOUK_DB_ROW) { /* begun before (a crash, a lost lease, a failed charge): resume its order */
        x->stop = !charging;
        return SOUK_OK;
    }
    if (x->s.next_run_at > souk_time_now_us()) {
        x->stop = true; /* not due (yet) */
        return SOUK_OK;
    }
    souk__subs_settings set;
    if ((e = souk__subs_settings_read(db, &set)))
        return e;
    place_ctx p = {.x = x, .discount_bp = set.discount_bp};
    e = souk_store_run(db, place_tx, &p, &p.pr);
    int64_t now = souk_time_now_us();
    x->renewal = souk_id_next();
    if (e == SOUK_E_VALIDATION || e == SOUK_E_OUT_OF_STOCK || e == SOUK_E_NOT_FOUND) {
        x->failure = e == SOUK_E_OUT_OF_STOCK ? "out_of_stock" : "not_for_sale";
        r = souk_store_exec(db,
                            "INSERT INTO subscription_renewals (id, subscription_id, period, attempt, state, "
                            "decline_code, created_at, updated_at) VALUES ($1, $2, $3, $4, 'failed', $5, $6, $6)",
                            SOUK_ARGS(SOUK_I64(x->renewal), SOUK_I64(x->sub), SOUK_I64(x->period), SOUK_I64(x->attempt),
                                      SOUK_TEXT(x->failure), SOUK_I64(now)));
        if (r < 0)
            return souk_store_dberr(r);
        x->stop = true;
        return dunning_tx(db, x, x->failure);
    }
    if (e)
        return e;
    r = souk_store_exec(db,
                        "INSERT INTO subscription_renewals (id, subscription_id, period, attempt, order_id, state, "
                        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'charging', $6, $6)",
                        SOUK_ARGS(SOUK_I64(x->renewal), SOUK_I64(x->sub), SOUK_I64(x->period), SOUK_I64(x->attempt),
                                  SOUK_I64(x->order), SOUK_I64(now)));
    return souk_store_dberr(r);
}

/* Step 3: the outcome in x->charge recorded (the renewal row still
 * 'charging': a second run records nothing). */
static souk_err record_tx(souk_store *db, renew_ctx *x)
{
    const char *to = x->charge.status == SOUK_ORDERS_CHARGE_PAID ? "paid" : "declined";
    const char *code = x->charge.decline_code[0] ? x->charge.decline_code : "cancelled";
    int64_t now = souk_time_now_us();
    int64_t n = souk_store_update(db,
                                  "UPDATE subscription_renewals SET state = $2, decline_code = $3, updated_at = $4 "
                                  "WHERE id = $1 AND state = 'charging'",
                                  SOUK_ARGS(SOUK_I64(x->renewal), SOUK_TEXT(to),
                                            SOUK_TEXT(strcmp(to, "paid") == 0 ? NULL : code), SOUK_I64(now)));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n == 0)
        return SOUK_OK;
    if (x->charge.status != SOUK_ORDERS_CHARGE_PAID)
        return dunning_tx(db, x, code);
    souk__subs *s = &x->s;
    int64_t next = souk__subs_add(now, s->interval_unit, s->interval_count);
    return souk_store_dberr(
        souk_store_exec(db,
                        "UPDATE subscriptions SET period = period + 1, attempt = 0, failures = 0, anchor_at = $2, "
                        "next_run_at = $3, updated_at = $2 WHERE id = $1 AND period = $4",
                        SOUK_ARGS(SOUK_I64(s->id), SOUK_I64(now), SOUK_I64(next), SOUK_I64(x->period))));
}

/* Steps 2 and 3 in one transaction (an in-process gateway). */
static souk_err charge_tx(souk_store *db, void *arg)
{
    renew_ctx *x = arg;
    x->charged = false;
    souk_err e = souk__subs_load(db, x->sub, &x->s, x->a);
    if (e)
        return e;
    if (!still_due(x))
        return withdraw_tx(db, x);
    char actor[SOUK_ID_TEXT_MAX];
    if (souk_orders_charge_saved(db, x->order, x->s.token, souk_id_format(SOUK_PREFIX_SUBSCRIPTION, x->sub, actor),
                                 &x->charge, x->err, sizeof x->err) < 0)
        return SOUK_E_INTERNAL; /* rolled back; the job is retried (not the transaction: it would fail alike) */
    x->charged = true;
    if (x->charge.status == SOUK_ORDERS_CHARGE_WAIT)
        return SOUK_OK;
    return record_tx(db, x);
}

static souk_err check_tx(souk_store *db, void *arg)
{
    renew_ctx *x = arg;
    souk_err e = souk__subs_load(db, x->sub, &x->s, x->a);
    if (e)
        return e;
    if (!still_due(x)) {
        x->stop = true;
        return withdraw_tx(db, x);
    }
    return SOUK_OK;
}

static souk_err record_body(souk_store *db, void *arg)
{
    renew_ctx *x = arg;
    souk_err e = souk__subs_load(db, x->sub, &x->s, x->a);
    return e ? e : record_tx(db, x);
}

static int renew_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    souk_arena a;
    souk_arena_init(&a, 8192, 1 << 20);
    renew_ctx x = {0};
    x.a = &a;
    x.sub = json_integer_value(json_object_get(payload, "subscription_id"));
    x.period = json_integer_value(json_object_get(payload, "period"));
    x.attempt = json_integer_value(json_object_get(payload, "attempt"));
    int rc = 0;
    souk_err e = souk_store_run(db, prepare_tx, &x, NULL);
    if (e) {
        snprintf(err, errlen, "cannot place the renewal: %s", souk_err_code(e));
        rc = -1;
    } else if (!x.stop && souk_orders_gateway()->in_process) {
        e = souk_store_run(db, charge_tx, &x, NULL);
        if (e || (x.charged && x.charge.status == SOUK_ORDERS_CHARGE_WAIT)) {
            snprintf(err, errlen, "renewal not charged yet: %s", x.err[0] ? x.err : souk_err_code(e));
            rc = -1;
        }
    } else if (!x.stop) {
        /* a gateway over the network: checked, charged outside any transaction, recorded */
        char actor[SOUK_ID_TEXT_MAX];
        e = souk_store_run(db, check_tx, &x, NULL);
        if (e) {
            snprintf(err, errlen, "cannot check the subscription: %s", souk_err_code(e));
            rc = -1;
        } else if (!x.stop && souk_orders_charge_saved(db, x.order, x.s.token,
                                                       souk_id_format(SOUK_PREFIX_SUBSCRIPTION, x.sub, actor),
                                                       &x.charge, err, errlen) < 0) {
            rc = -1;
        } else if (!x.stop && x.charge.status == SOUK_ORDERS_CHARGE_WAIT) {
            snprintf(err, errlen, "the payment is being processed");
            rc = -1;
        } else if (!x.stop && (e = souk_store_run(db, record_body, &x, NULL))) {
            snprintf(err, errlen, "cannot record the renewal: %s", souk_err_code(e));
            rc = -1;
        }
    }
    souk_arena_release(&a);
    if (rc == 0)
        souk_jobs_kick(); /* e-mails queued */
    return rc;
}

void souk_subs_register_jobs(void)
{
    souk_job_register_tx(SOUK_SUBS_DUE_JOB, due_job, 5);
    souk_job_schedule(SOUK_SUBS_DUE_JOB, "* * * * *");
    souk_job_register_kind(&(souk_job_kind){
        .kind = SOUK_SUBS_RENEW_JOB, .fn = renew_job, .max_attempts = 20, .retry_us = INT64_C(5) * 1000000});
}
