/*
 * deliver.c — the job of one delivery attempt (kind SOUK_WEBHOOKS_JOB,
 * payload {"delivery": id, "attempt": n}). Outside any transaction: read the
 * delivery and its subscription, check the target again (resolving the name
 * now, on this worker thread), sign with the current secret (and the
 * previous one during a rotation's grace period), POST. Then one write
 * transaction records the attempt and decides what follows: success; the
 * next attempt's job at the time the retry schedule gives; or, with the
 * schedule used up, the delivery failed — and the subscription disabled,
 * with a mail to the admins, when it has failed too long (webhooks.h).
 *
 * Each receiver host has a circuit breaker (core/breaker.h, "webhook:HOST"):
 * no answer, a 5xx or a 429 counts as a failure; while it is open, the job
 * is deferred (SOUK_JOB_DEFERRED) without sending or recording an attempt,
 * so a receiver that is down for a while uses none of its retry schedule
 * and gets its deliveries once it is back.
 *
 * The attempt number makes the job idempotent: a job whose attempt is not
 * the delivery's next one (a lease that ran out after the outcome was
 * written, a replay in between) does nothing.
 */
#include "webhooks/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/breaker.h"
#include "core/id.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "identity/identity.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "core/banned.h"

#define ADMINS_MAX 20
#define DAY_US (INT64_C(86400) * 1000000)

typedef struct delivery {
    int64_t id, attempt, subscription, attempts, previous_expires_at;
    char status[16];
    bool enabled;
    char *body, *url, *secret, *previous;
} delivery;

static void delivery_release(delivery *d)
{
    free(d->body);
    free(d->url);
    if (d->secret)
        sodium_memzero(d->secret, strlen(d->secret));
    if (d->previous)
        sodium_memzero(d->previous, strlen(d->previous));
    free(d->secret);
    free(d->previous);
}

/* 1 read, 0 no such delivery, or a negative souk_db_status */
static int load(souk_store *db, delivery *d)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT d.status, d.attempts, d.body, s.id, s.url, s.enabled, s.secret, "
                                     "s.previous_secret, s.previous_expires_at FROM webhooks_deliveries d "
                                     "JOIN webhooks_subscriptions s ON s.id = d.subscription_id WHERE d.id = $1",
                                     SOUK_ARGS(SOUK_I64(d->id)));
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW) {
        souk_stmt_done(st);
        return r == SOUK_DB_DONE ? 0 : r;
    }
    const char *status = souk_stmt_text(st, 0, NULL);
    snprintf(d->status, sizeof d->status, "%s", status ? status : "");
    d->attempts = souk_stmt_i64(st, 1);
    d->body = souk_stmt_strdup(st, 2);
    d->subscription = souk_stmt_i64(st, 3);
    d->url = souk_stmt_strdup(st, 4);
    d->enabled = souk_stmt_i64(st, 5) != 0;
    d->secret = souk_stmt_strdup(st, 6);
    d->previous = souk_stmt_is_null(st, 7) ? NULL : souk_stmt_strdup(st, 7);
    d->previous_expires_at = souk_stmt_i64(st, 8);
    souk_stmt_done(st);
    return d->body && d->url && d->secret ? 1 : SOUK_DB_HARD;
}

/* what one attempt came to, for the recording transaction */
typedef struct outcome {
    const delivery *d;
    const souk__webhooks_response *res; /* NULL: not attempted (subscription disabled) */
    bool ok;
    const char *error;
    int64_t now;
    double jitter;
    bool disabled_now; /* out: this outcome disabled the subscription */
    bool recorded;     /* out: the attempt was written (not a stale job) */
} outcome;

/* printable ASCII of S (what a receiver answered may be anything), into OUT */
static void printable(const char *s, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\n' || s[i] == '\t' ? s[i] : '?';
    out[len] = 0;
}

static int mail_admins_tx(souk_store *db, const delivery *d, const char *reason)
{
    int64_t ids[ADMINS_MAX];
    char emails[ADMINS_MAX][256];
    int n = souk_identity_admins(db, ids, emails, ADMINS_MAX);
    if (n < 0)
        return n;
    char sid[SOUK_ID_TEXT_MAX], subject[128], body[SOUK_WEBHOOKS_URL_MAX + 1024];
    souk_id_format(SOUK_PREFIX_WEBHOOK, d->subscription, sid);
    snprintf(subject, sizeof subject, "souk: webhook subscription %s was disabled", sid);
    snprintf(body, sizeof body,
             "The webhook subscription %s was disabled because %s.\n\n"
             "Target: %s\n\n"
             "Events are no longer sent to it. Look at its deliveries in the admin API\n"
             "(GET /api/v1/admin/webhooks/%s/deliveries), fix the receiver, then enable it again\n"
             "with PATCH /api/v1/admin/webhooks/%s {\"enabled\": true} and replay the failed\n"
             "deliveries you need (POST /api/v1/admin/webhook-deliveries/{id}/replay).\n",
             sid, reason, d->url, sid, sid);
    for (int i = 0; i < n; i++) {
        if (souk_mail_check(emails[i], subject, body, NULL) != 0)
            continue;
        int r = souk_mail_enqueue_tx(db, ids[i], emails[i], subject, body);
        if (r < 0)
            return SOUK_DB_HARD; /* -1 would read as SOFT (retry); the message was checked */
    }
    return 0;
}

static int disable_tx(souk_store *db, outcome *o, const char *reason)
{
    int64_t n = souk_store_update(db,
                                  "UPDATE webhooks_subscriptions SET enabled = 0, disabled_reason = $2, "
                                  "disabled_at = $3, updated_at = $3 WHERE id = $1 AND enabled = 1",
                                  SOUK_ARGS(SOUK_I64(o->d->subscription), SOUK_TEXT(reason), SOUK_I64(o->now)));
    if (n < 0)
        return (int)n;
    if (n == 0)
        return 0;
    o->disabled_now = true;
    souk_log_warn("webhooks: subscription %lld disabled: %s", (long long)o->d->subscription, reason);
    return mail_admins_tx(db, o->d, reason);
}

static int record_tx(souk_store *db, void *arg)
{
    outcome *o = arg;
    const delivery *d = o->d;
    o->disabled_now = o->recorded = false;
    /* only the delivery's next attempt is recorded (a stale job changes nothing) */
    int r = souk_store_one(db,
                           "SELECT 1 FROM webhooks_deliveries WHERE id = $1 AND status = 'pending' AND "
                           "attempts = $2",
                           SOUK_ARGS(SOUK_I64(d->id), SOUK_I64(d->attempt - 1)), NULL);
    if (r != SOUK_DB_ROW)
        return r < 0 ? r : 0;
    if (!o->res) { /* the subscription was disabled: the delivery ends here, unattempted */
        return souk_store_exec(db,
                               "UPDATE webhooks_deliveries SET status = 'failed', next_attempt_at = NULL, "
                               "last_error = $2, updated_at = $3 WHERE id = $1",
                               SOUK_ARGS(SOUK_I64(d->id), SOUK_TEXT(o->error), SOUK_I64(o->now)));
    }
    const souk__webhooks_response *res = o->res;
    char body[SOUK_WEBHOOKS_LOG_BODY_MAX + 1];
    printable(res->body, res->body_len, body);
    r = souk_store_exec(db,
                        "INSERT INTO webhooks_attempts (delivery_id, attempt, at, response_code, duration_ms, error, "
                        "response_body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        SOUK_ARGS(SOUK_I64(d->id), SOUK_I64(d->attempt), SOUK_I64(o->now),
                                  res->code ? SOUK_I64(res->code) : SOUK_NULL, SOUK_I64(res->duration_ms),
                                  o->ok ? SOUK_NULL : SOUK_TEXT(o->error), SOUK_TEXT(body)));
    if (r < 0)
        return r;
    o->recorded = true;
    const souk_webhooks_config *cfg = souk_webhooks_config_get();
    int64_t delay =
        o->ok ? -1 : souk_webhooks_retry_delay_us(cfg->schedule_s, cfg->schedule_len, (int)d->attempt, o->jitter);
    const char *status = o->ok ? "succeeded" : delay >= 0 ? "pending" : "failed";
    int64_t next = delay >= 0 ? o->now + delay : 0;
    r = souk_store_exec(db,
                        "UPDATE webhooks_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, "
                        "last_response_code = $5, last_error = $6, last_duration_ms = $7, updated_at = $8 "
                        "WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(d->id), SOUK_TEXT(status), SOUK_I64(d->attempt),
                                  next ? SOUK_I64(next) : SOUK_NULL, res->code ? SOUK_I64(res->code) : SOUK_NULL,
                                  o->ok ? SOUK_NULL : SOUK_TEXT(o->error), SOUK_I64(res->duration_ms),
                                  SOUK_I64(o->now)));
    if (r < 0)
        return r;
    if (o->ok)
        return souk_store_exec(db,
                               "UPDATE webhooks_subscriptions SET failing_since = NULL, failed_deliveries = 0 "
                               "WHERE id = $1",
                               SOUK_ARGS(SOUK_I64(d->subscription)));
    if (delay >= 0 && (r = souk__webhooks_enqueue_attempt_tx(db, d->id, d->attempt + 1, next)) < 0)
        return r;
    r = souk_store_exec(db,
                        "UPDATE webhooks_subscriptions SET failing_since = COALESCE(failing_since, $2), "
                        "failed_deliveries = failed_deliveries + $3 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(d->subscription), SOUK_I64(o->now), SOUK_I64(delay < 0 ? 1 : 0)));
    if (r < 0)
        return r;
    int64_t since = 0, failed = 0;
    r = souk_store_one(db, "SELECT failing_since, failed_deliveries FROM webhooks_subscriptions WHERE id = $1",
                       SOUK_ARGS(SOUK_I64(d->subscription)), SOUK_COLS(SOUK_COL_I64(&since), SOUK_COL_I64(&failed)));
    if (r < 0)
        return r;
    char reason[160];
    if (failed >= cfg->disable_after) {
        snprintf(reason, sizeof reason, "%lld deliveries in a row failed every attempt", (long long)failed);
        return disable_tx(db, o, reason);
    }
    if (since && o->now - since >= cfg->disable_days * DAY_US) {
        snprintf(reason, sizeof reason, "every attempt for %d days failed", cfg->disable_days);
        return disable_tx(db, o, reason);
    }
    return 0;
}

/* The circuit breaker of T's host ("webhook:HOST"); hosts beyond the
 * breaker table share "webhook:*". */
static souk_breaker *host_breaker(const souk_webhooks_target *t)
{
    char name[SOUK_BREAKER_NAME_MAX];
    souk_breaker *b = NULL;
    if ((size_t)snprintf(name, sizeof name, "webhook:%s", t->url.host) < sizeof name)
        b = souk_breaker_named(name);
    return b ? b : souk_breaker_named("webhook:*");
}

static int deliver_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    delivery d = {.id = json_integer_value(json_object_get(payload, "delivery")),
                  .attempt = json_integer_value(json_object_get(payload, "attempt"))};
    if (d.id <= 0 || d.attempt <= 0)
        return 0; /* not ours to make sense of */
    int r = load(db, &d);
    if (r <= 0 || strcmp(d.status, "pending") != 0 || d.attempts != d.attempt - 1) {
        delivery_release(&d);
        if (r < 0)
            snprintf(err, errlen, "cannot read delivery: %s", souk_store_errmsg(db));
        return r < 0 ? -1 : 0; /* gone, finished, or another attempt's: nothing to do */
    }
    outcome o = {.d = &d, .jitter = randombytes_uniform(1000000) / 1e6};
    souk__webhooks_response res;
    char why[SOUK_WEBHOOKS_ERROR_MAX];
    souk_breaker *b = NULL;
    int64_t wait_us = 0;
    if (!d.enabled) {
        o.error = "subscription disabled";
    } else {
        const souk_webhooks_config *cfg = souk_webhooks_config_get();
        souk_webhooks_target target;
        memset(&res, 0, sizeof res);
        o.res = &res;
        if (souk_webhooks_target_check(d.url, &cfg->allow, true, &target, why, sizeof why) != 0) {
            o.error = why;
        } else if ((b = host_breaker(&target)) && !souk_breaker_allow(b, souk_time_mono_us(), &wait_us)) {
            /* the receiver's host failed again and again: this attempt is not
             * made (nor counted); the job comes back after the cool-down */
            delivery_release(&d);
            souk_job_defer(wait_us);
            snprintf(err, errlen, "circuit open for %s after repeated failures; deferred", target.url.host);
            return SOUK_JOB_DEFERRED;
        } else {
            char msg_id[SOUK_ID_TEXT_MAX], sig[2 * SOUK_WEBHOOKS_SIGNATURE_MAX];
            souk_id_format(SOUK_PREFIX_WEBHOOK_DELIVERY, d.id, msg_id);
            int64_t now = souk_time_now_us();
            const char *previous = d.previous && d.previous_expires_at > now ? d.previous : NULL;
            if (souk_webhooks_signature_header(d.secret, previous, msg_id, now / 1000000, d.body, strlen(d.body),
                                               sig) != 0) {
                o.error = "the subscription's secret does not decode";
            } else {
                souk__webhooks_request rq = {.url = d.url,
                                             .target = &target,
                                             .msg_id = msg_id,
                                             .signature = sig,
                                             .timestamp = now / 1000000,
                                             .body = d.body,
                                             .len = strlen(d.body),
                                             .timeout_ms = cfg->timeout_ms};
                o.ok = souk__webhooks_send(&rq, &res) == 0;
                o.error = res.error;
                /* a 4xx is the receiver's answer: its host is up */
                if (b)
                    souk_breaker_record(b, !res.interrupted && res.code > 0 && res.code < 500 && res.code != 429,
                                        souk_time_mono_us());
                if (res.interrupted) {
                    delivery_release(&d);
                    snprintf(err, errlen, "interrupted by shutdown");
                    return SOUK_JOB_INTERRUPTED;
                }
            }
        }
    }
    o.now = souk_time_now_us();
    r = souk_store_tx(db, record_tx, &o);
    delivery_release(&d);
    if (r < 0) {
        snprintf(err, errlen, "cannot record the attempt: %s", souk_store_errmsg(db));
        return -1;
    }
    if (o.recorded)
        souk_metrics_series_add(souk_metrics_series("souk_webhook_attempts_total",
                                                    o.ok ? "outcome=\"succeeded\"" : "outcome=\"failed\"",
                                                    SOUK_METRIC_COUNTER, "Webhook delivery attempts by outcome"),
                                1);
    if (o.disabled_now) {
        souk_metrics_series_add(souk_metrics_series("souk_webhook_subscriptions_disabled_total", "",
                                                    SOUK_METRIC_COUNTER,
                                                    "Webhook subscriptions disabled after persistent failure"),
                                1);
        souk_mail_worker_kick();
    }
    souk_jobs_kick(); /* an immediate retry (a 0 s schedule) runs at once */
    return 0;
}

int souk__webhooks_register_job(void)
{
    souk_job_kind k = {.kind = SOUK_WEBHOOKS_JOB, .fn = deliver_job, .max_attempts = 5};
    return souk_job_register_kind(&k);
}
