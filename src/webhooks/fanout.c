/*
 * fanout.c — the outbox subscriber: every event of a type in
 * souk_webhooks_event_types becomes one delivery per enabled subscription
 * that names the type, with the body every attempt will send, and the job of
 * its first attempt. Delivery from the outbox is at least once; the unique
 * (event_id, subscription_id) makes a second pass over the same event add
 * nothing, so each subscription gets each event once.
 */
#include "webhooks/webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "events/events.h"
#include "jobs/jobs.h"
#include "webhooks/internal.h"
#include "core/banned.h"

int souk__webhooks_enqueue_attempt_tx(souk_store *db, int64_t delivery, int64_t attempt, int64_t run_at)
{
    char key[64];
    snprintf(key, sizeof key, "whd:%lld:%lld", (long long)delivery, (long long)attempt);
    int r = souk_job_enqueue_tx(
        db, SOUK_WEBHOOKS_JOB, json_pack("{s:I,s:I}", "delivery", (json_int_t)delivery, "attempt", (json_int_t)attempt),
        run_at, key);
    return r < 0 ? r : 0;
}

int souk__webhooks_fanout_tx(souk_store *db, const char *type, const char *payload_json, int64_t event_id,
                             int64_t now_us)
{
    int64_t subs[SOUK_WEBHOOKS_SUBSCRIPTIONS_MAX];
    int n = 0, r;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT s.id FROM webhooks_subscriptions s JOIN webhooks_subscription_types t "
                                     "ON t.subscription_id = s.id WHERE t.event_type = $1 AND s.enabled = 1 "
                                     "ORDER BY s.id",
                                     SOUK_ARGS(SOUK_TEXT(type)));
    int64_t id;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id)))) == SOUK_DB_ROW)
        if (n < SOUK_WEBHOOKS_SUBSCRIPTIONS_MAX)
            subs[n++] = id;
    if (r != SOUK_DB_DONE)
        return r;
    if (!n)
        return 0;
    char when[SOUK_RFC3339_LEN];
    souk_time_format(now_us, when);
    const char *data = payload_json && *payload_json ? payload_json : "{}";
    size_t cap = strlen(data) + strlen(type) + sizeof when + 64;
    char *body = malloc(cap);
    if (!body)
        return SOUK_DB_HARD;
    snprintf(body, cap, "{\"type\":\"%s\",\"timestamp\":\"%s\",\"data\":%s}", type, when, data);
    int created = 0;
    for (int i = 0; i < n; i++) {
        int64_t delivery = souk_id_next(), got = 0;
        r = souk_store_one(db,
                           "INSERT INTO webhooks_deliveries (id, subscription_id, event_id, event_type, body, status, "
                           "attempts, next_attempt_at, created_at, updated_at) "
                           "VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6) "
                           "ON CONFLICT (event_id, subscription_id) DO NOTHING RETURNING id",
                           SOUK_ARGS(SOUK_I64(delivery), SOUK_I64(subs[i]), SOUK_I64(event_id), SOUK_TEXT(type),
                                     SOUK_TEXT(body), SOUK_I64(now_us)),
                           SOUK_COLS(SOUK_COL_I64(&got)));
        if (r < 0)
            break;
        if (r == SOUK_DB_DONE) /* this event reached this subscription before */
            continue;
        if ((r = souk__webhooks_enqueue_attempt_tx(db, got, 1, 0)) < 0)
            break;
        created++;
    }
    free(body);
    return r < 0 ? r : created;
}

typedef struct fan_ctx {
    const char *type, *payload;
    int64_t event_id;
    int created;
} fan_ctx;

static int fan_tx(souk_store *db, void *arg)
{
    fan_ctx *c = arg;
    int r = souk__webhooks_fanout_tx(db, c->type, c->payload, c->event_id, souk_time_now_us());
    if (r >= 0)
        c->created = r;
    return r < 0 ? r : 0;
}

static int on_event(souk_store *db, const char *type, const char *aggregate_id, const json_t *payload, int64_t event_id,
                    void *ctx)
{
    (void)aggregate_id;
    (void)ctx;
    if (!souk_webhooks_event_type_known(type))
        return 0;
    /* a read first: most events match no subscription, and they must not cost a write
     * transaction each (a purchase emits about nine events) */
    int any = souk_store_one(db,
                             "SELECT 1 FROM webhooks_subscription_types t JOIN webhooks_subscriptions s "
                             "ON s.id = t.subscription_id WHERE t.event_type = $1 AND s.enabled = 1 LIMIT 1",
                             SOUK_ARGS(SOUK_TEXT(type)), NULL);
    if (any == SOUK_DB_DONE)
        return 0;
    if (any < 0) {
        souk_log_warn("webhooks: cannot look up subscriptions for event %lld: %s", (long long)event_id,
                      souk_store_errmsg(db));
        return -1;
    }
    char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    fan_ctx c = {type, text, event_id, 0};
    int r = souk_store_tx(db, fan_tx, &c);
    free(text);
    if (r < 0) {
        souk_log_warn("webhooks: cannot fan out event %lld (%s): %s", (long long)event_id, type, souk_store_errmsg(db));
        return -1;
    }
    if (c.created)
        souk_jobs_kick();
    return 0;
}

/* souk_event_redact_listener: the delivery log keeps each event's payload in the body it sends (for
 * replays); an erasure that empties a field of the event empties it there too. */
static int on_redact(souk_store *db, int64_t event_id, const char *payload)
{
    int64_t ids[64], after = 0;
    for (;;) {
        int n = 0, r;
        int64_t id;
        souk_stmt *st = souk_store_query(db,
                                         "SELECT id FROM webhooks_deliveries WHERE event_id = $1 AND id > $2 "
                                         "ORDER BY id LIMIT 64",
                                         SOUK_ARGS(SOUK_I64(event_id), SOUK_I64(after)));
        while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id)))) == SOUK_DB_ROW)
            ids[n++] = id;
        if (r != SOUK_DB_DONE)
            return r;
        for (int i = 0; i < n; i++) {
            char *body = NULL;
            r = souk_store_one(db, "SELECT body FROM webhooks_deliveries WHERE id = $1", SOUK_ARGS(SOUK_I64(ids[i])),
                               SOUK_COLS(SOUK_COL_DUP(&body)));
            if (r < 0)
                return r;
            json_t *b = body ? json_loads(body, 0, NULL) : NULL, *data = json_loads(payload, 0, NULL);
            free(body);
            char *text = NULL;
            if (json_is_object(b) && data && json_object_set_new(b, "data", data) == 0) {
                data = NULL;
                text = json_dumps(b, JSON_COMPACT);
            }
            json_decref(data);
            json_decref(b);
            if (!text) { /* a body we wrote ourselves always parses: out of memory */
                souk_log_error("webhooks: cannot redact delivery %lld", (long long)ids[i]);
                return SOUK_DB_HARD;
            }
            r = souk_store_exec(db, "UPDATE webhooks_deliveries SET body = $2 WHERE id = $1",
                                SOUK_ARGS(SOUK_I64(ids[i]), SOUK_TEXT(text)));
            free(text);
            if (r < 0)
                return r;
        }
        if (n < 64)
            return 0;
        after = ids[n - 1];
    }
}

int souk_webhooks_register(void)
{
    static bool redact_listening;
    if (!redact_listening && souk_event_on_redact(on_redact) < 0)
        return -1;
    redact_listening = true;
    int a = souk_event_subscribe("webhooks", "", on_event, NULL);
    int b = souk__webhooks_register_job();
    int c = souk__webhooks_register_purge();
    return a == 0 && b == 0 && c == 0 ? 0 : -1;
}
