/*
 * events.c — the outbox writer and the dispatcher thread.
 *
 * The writer is one INSERT in the caller's transaction. The dispatcher owns
 * a connection and, every SOUK_EVENT_POLL_MS or when kicked, makes a pass:
 * for each subscriber (not in backoff) it reads its cursor, reads up to
 * SOUK_EVENT_BATCH events after it in id order (copied out, so no statement
 * stays open while handlers run on the same connection), calls the handler
 * for those whose type matches, and saves the cursor past the last event
 * handled (events of other types are passed over). A handler returning -1
 * stops that subscriber at that event until its backoff expires; the cursor
 * write is a compare-and-set that only moves forward, so two processes
 * sharing a subscriber name never move it back.
 *
 * The thread's life cycle (its own connection, sleep between passes, kick,
 * graceful stop) is core/worker.h's; this file only says what a pass does.
 *
 * Why ids give a total order: a later id always commits later, so a reader
 * never sees id N+1 before N. SQLite has one writer at a time and the
 * AUTOINCREMENT id is taken under the write lock; PostgreSQL's write
 * transactions take one advisory lock before they begin (souk_store_tx),
 * so there too ids commit in order.
 */
#include "events/events.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "core/worker.h"
#include "core/trace.h"
#include "core/banned.h"

#define BACKOFF_BASE_US (INT64_C(250) * 1000)
#define BACKOFF_CAP_US (INT64_C(60) * 1000000)
#define BATCHES_PER_PASS 10 /* then let the other subscribers (and stop) have a turn */

typedef struct subscriber {
    char name[SOUK_EVENT_SUBSCRIBER_MAX + 1];
    char prefix[SOUK_EVENT_TYPE_MAX + 1];
    size_t prefix_len;
    souk_event_handler fn;
    void *ctx;
    int failures;              /* consecutive failures of the current event */
    int64_t retry_at;          /* µs; 0 = not in backoff */
    int m_delivered, m_failed; /* metric handles */
} subscriber;

static struct {
    pthread_mutex_t mu; /* guards the subscriber table while it is written */
    subscriber subs[SOUK_EVENT_SUBSCRIBERS_MAX];
    int nsubs;
    souk_worker thread; /* the dispatcher */
    souk_worker listen; /* wakes it when another process commits (PostgreSQL) */
} D = {.mu = PTHREAD_MUTEX_INITIALIZER, .thread = SOUK_WORKER_INIT, .listen = SOUK_WORKER_INIT};

static bool stopping(void)
{
    return souk_worker_stopping(&D.thread);
}

/* ---- writing ------------------------------------------------------------ */

static int type_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > SOUK_EVENT_TYPE_MAX || t[0] < 'a' || t[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

int souk_event_emit_tx(souk_store *db, const char *type, const char *aggregate_id, json_t *payload)
{
    const char *why = NULL;
    char *text = NULL;
    if (!payload)
        payload = json_object();
    if (!payload)
        why = "out of memory";
    else if (!type_ok(type))
        why = "bad type";
    else if (aggregate_id && strlen(aggregate_id) > SOUK_EVENT_AGGREGATE_MAX)
        why = "aggregate id too long";
    else
        why = souk_json_payload_text(payload, SOUK_EVENT_PAYLOAD_MAX, &text);
    json_decref(payload);
    if (why) {
        souk_log_error("events: %s not written: %s", type_ok(type) ? type : "event", why);
        free(text);
        return SOUK_DB_HARD;
    }
    int r = souk_event_emit_text_tx(db, type, aggregate_id, text, strlen(text));
    free(text);
    return r;
}

int souk_event_emit_text_tx(souk_store *db, const char *type, const char *aggregate_id, const char *payload, size_t len)
{
    const char *why = !type_ok(type)                                                    ? "bad type"
                      : aggregate_id && strlen(aggregate_id) > SOUK_EVENT_AGGREGATE_MAX ? "aggregate id too long"
                      : len > SOUK_EVENT_PAYLOAD_MAX                                    ? "payload larger than 64 KiB"
                      : len < 2 || payload[0] != '{' || payload[len - 1] != '}'         ? "payload is not an object"
                                                                                        : NULL;
    if (why) {
        souk_log_error("events: %s not written: %s", type_ok(type) ? type : "event", why);
        return SOUK_DB_HARD;
    }
    char trace_id[SOUK_TRACE_ID_HEX + 1]; /* the trace of the request or job writing it */
    const souk_trace *trace = souk_trace_current();
    if (trace)
        souk_trace_hex(trace, trace_id, NULL);
    int r = souk_store_exec(
        db, "INSERT INTO events (type, aggregate_id, payload, created_at, trace_id) VALUES ($1, $2, $3, $4, $5)",
        SOUK_ARGS(SOUK_TEXT(type), SOUK_TEXT(aggregate_id ? aggregate_id : ""), SOUK_TEXTN(payload, len),
                  SOUK_I64(souk_time_now_us()), SOUK_TEXT(trace ? trace_id : NULL)));
    return r < 0 ? r : 0;
}

bool souk_event_plain(const char *s)
{
    for (; s && *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
            return false;
    return s != NULL;
}

/* ---- subscriptions ------------------------------------------------------ */

static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > SOUK_EVENT_SUBSCRIBER_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@-", s[i]))
            return 0;
    return 1;
}

int souk_event_subscribe(const char *name, const char *type_prefix, souk_event_handler fn, void *ctx)
{
    if (!type_prefix)
        type_prefix = "";
    if (!name_ok(name) || !fn || strlen(type_prefix) > SOUK_EVENT_TYPE_MAX) {
        souk_log_error("events: bad subscription %s", name ? name : "(null)");
        return -1;
    }
    pthread_mutex_lock(&D.mu);
    int ret = -1;
    if (souk_worker_running(&D.thread) || D.nsubs == SOUK_EVENT_SUBSCRIBERS_MAX)
        goto out;
    for (int i = 0; i < D.nsubs; i++)
        if (strcmp(D.subs[i].name, name) == 0)
            goto out;
    subscriber *s = &D.subs[D.nsubs];
    memset(s, 0, sizeof *s);
    memcpy(s->name, name, strlen(name) + 1);
    memcpy(s->prefix, type_prefix, strlen(type_prefix) + 1);
    s->prefix_len = strlen(type_prefix);
    s->fn = fn;
    s->ctx = ctx;
    char labels[96];
    snprintf(labels, sizeof labels, "subscriber=\"%s\"", name);
    s->m_delivered = souk_metrics_series("souk_events_handled_total", labels, SOUK_METRIC_COUNTER,
                                         "Events handled by each subscriber.");
    s->m_failed = souk_metrics_series("souk_event_handler_failures_total", labels, SOUK_METRIC_COUNTER,
                                      "Event handler calls that failed (and will be retried).");
    D.nsubs++;
    ret = 0;
out:
    pthread_mutex_unlock(&D.mu);
    if (ret < 0)
        souk_log_error("events: cannot subscribe %s (running, duplicate name or table full)", name);
    return ret;
}

void souk__events_reset(void)
{
    pthread_mutex_lock(&D.mu);
    if (!souk_worker_running(&D.thread))
        D.nsubs = 0;
    pthread_mutex_unlock(&D.mu);
}

/* ---- dispatching -------------------------------------------------------- */

typedef struct event_row {
    int64_t id;
    char *type, *aggregate, *payload;
    char trace_id[33]; /* of the request or job that wrote it, or "" */
} event_row;

static void rows_release(event_row *rows, int n)
{
    for (int i = 0; i < n; i++) {
        free(rows[i].type);
        free(rows[i].aggregate);
        free(rows[i].payload);
    }
}

/* The subscriber's saved position: 0 (none yet) or an event id; negative on error. */
static int64_t cursor_read(souk_store *db, const char *name)
{
    int64_t v = 0;
    int r = souk_store_one(db, "SELECT last_event_id FROM event_cursors WHERE subscriber = $1",
                           SOUK_ARGS(SOUK_TEXT(name)), SOUK_COLS(SOUK_COL_I64(&v)));
    return r < 0 ? r : v;
}

typedef struct cursor_ctx {
    const char *name;
    int64_t id;
} cursor_ctx;

static int cursor_write_fn(souk_store *db, void *vctx)
{
    cursor_ctx *cx = vctx;
    int r = souk_store_exec(db,
                            "INSERT INTO event_cursors (subscriber, last_event_id, updated_at) "
                            "VALUES ($1, $2, $3) ON CONFLICT (subscriber) DO UPDATE SET "
                            "last_event_id = excluded.last_event_id, updated_at = excluded.updated_at "
                            "WHERE excluded.last_event_id > event_cursors.last_event_id",
                            SOUK_ARGS(SOUK_TEXT(cx->name), SOUK_I64(cx->id), SOUK_I64(souk_time_now_us())));
    return r < 0 ? r : 0;
}

static int64_t backoff_us(int failures)
{
    int64_t d = BACKOFF_BASE_US;
    for (int i = 1; i < failures && d < BACKOFF_CAP_US; i++)
        d *= 2;
    return d < BACKOFF_CAP_US ? d : BACKOFF_CAP_US;
}

/* One batch for S. Returns handled count (≥ 0) and sets *MORE when the batch
 * was full and fully handled; negative souk_db_status on error. */
static int dispatch_batch(souk_store *db, subscriber *s, int64_t now, bool *more)
{
    *more = false;
    int64_t cursor = cursor_read(db, s->name);
    if (cursor < 0)
        return (int)cursor;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, type, aggregate_id, payload, trace_id FROM events WHERE id > $1 "
                                     "ORDER BY id LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(cursor), SOUK_I64(SOUK_EVENT_BATCH)));
    event_row rows[SOUK_EVENT_BATCH];
    int n = 0, r = SOUK_DB_DONE;
    while (n < SOUK_EVENT_BATCH) {
        event_row *e = &rows[n];
        memset(e, 0, sizeof *e);
        r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&e->id), SOUK_COL_DUP(&e->type), SOUK_COL_DUP(&e->aggregate),
                                         SOUK_COL_DUP(&e->payload), SOUK_COL_STR(e->trace_id)));
        if (r != SOUK_DB_ROW)
            break;
        n++;
    }
    if (r < 0) {
        rows_release(rows, n + 1); /* with what a failed row had copied already */
        return r;
    }
    if (n == SOUK_EVENT_BATCH)
        souk_stmt_done(st);
    souk_store_idle(db);

    int64_t acked = cursor;
    int handled = 0;
    bool failed = false;
    for (int i = 0; i < n && !stopping(); i++) {
        event_row *e = &rows[i];
        if (strncmp(e->type, s->prefix, s->prefix_len) == 0) {
            json_error_t jerr;
            json_t *payload = json_loads(e->payload, JSON_REJECT_DUPLICATES, &jerr);
            if (!json_is_object(payload)) {
                souk_log_warn("events: event %lld has an invalid payload; handing {} to %s", (long long)e->id, s->name);
                json_decref(payload);
                payload = json_object();
            }
            souk_trace trace; /* the subscriber works for the trace that wrote the event */
            souk_trace_resume(&trace, e->trace_id);
            souk_trace_set_current(&trace);
            int rc = s->fn(db, e->type, e->aggregate, payload, e->id, s->ctx);
            souk_trace_set_current(NULL);
            json_decref(payload);
            souk_store_idle(db); /* a handler must not leave a snapshot open */
            if (rc != 0) {
                s->failures++;
                s->retry_at = now + backoff_us(s->failures);
                souk_metrics_series_add(s->m_failed, 1);
                souk_log_warn("events: subscriber %s failed on event %lld (%s), attempt %d; retrying in %lld ms",
                              s->name, (long long)e->id, e->type, s->failures, (long long)((s->retry_at - now) / 1000));
                failed = true;
                break;
            }
            s->failures = 0;
            s->retry_at = 0;
            handled++;
            souk_metrics_series_add(s->m_delivered, 1);
        }
        acked = e->id;
    }
    bool all = !failed && !stopping();
    rows_release(rows, n);
    if (acked > cursor) {
        cursor_ctx cx = {s->name, acked};
        r = souk_store_tx(db, cursor_write_fn, &cx);
        if (r < 0)
            return r;
    }
    *more = all && n == SOUK_EVENT_BATCH;
    return handled;
}

int souk__events_dispatch(souk_store *db, int64_t now)
{
    int total = 0;
    for (int i = 0; i < D.nsubs && !stopping(); i++) {
        subscriber *s = &D.subs[i];
        if (s->retry_at > now)
            continue;
        bool more = true;
        for (int b = 0; b < BATCHES_PER_PASS && more; b++) {
            int r = dispatch_batch(db, s, now, &more);
            if (r < 0) {
                souk_log_error("events: database error %d for subscriber %s: %s", r, s->name, souk_store_errmsg(db));
                souk_store_idle(db);
                return r;
            }
            total += r;
        }
    }
    return total;
}

/* ---- the thread --------------------------------------------------------- */

/* CTX: the DSN (init runs during souk_worker_start, while the caller's string lives) */
static int dispatcher_open(void *ctx, int index, void **state)
{
    (void)index;
    souk_store *db = NULL;
    char err[256];
    if (souk_store_open(&db, ctx, err, sizeof err) != 0) {
        souk_log_error("events: dispatcher cannot open the database: %s", err);
        return -1;
    }
    *state = db;
    return 0;
}

/* One pass, then sleep until kicked or SOUK_EVENT_POLL_MS (errors are logged by the dispatch). */
static int dispatcher_pass(void *ctx, int index, void *state)
{
    (void)ctx, (void)index;
    souk__events_dispatch(state, souk_time_now_us());
    souk_store_idle(state);
    return 0;
}

static void dispatcher_close(void *ctx, int index, void *state)
{
    (void)ctx, (void)index;
    souk_store_close(state);
}

/* The listener: where the database tells of other connections' commits
 * (souk_store_wait_change; PostgreSQL's LISTEN/NOTIFY), an event written on
 * another node is dispatched at once instead of at the next poll. Its init
 * fails quietly where the database cannot tell (SQLite: the poll stays). */
static int listener_open(void *ctx, int index, void **state)
{
    if (dispatcher_open(ctx, index, state) < 0)
        return -1;
    if (souk_store_wait_change(*state, 0) < 0) {
        souk_store_close(*state);
        *state = NULL;
        return -1;
    }
    return 0;
}

static int listener_pass(void *ctx, int index, void *state)
{
    (void)ctx, (void)index;
    int r = souk_store_wait_change(state, SOUK_EVENT_LISTEN_MS);
    if (r > 0)
        souk_events_kick();
    return r >= 0; /* waiting is the pass: at once again; after an error, poll_ms first */
}

int souk_events_start(const char *db_dsn)
{
    if (!db_dsn || souk_worker_running(&D.thread))
        return -1;
    pthread_mutex_lock(&D.mu);
    for (int i = 0; i < D.nsubs; i++)
        D.subs[i].failures = 0, D.subs[i].retry_at = 0;
    pthread_mutex_unlock(&D.mu);
    souk_worker_spec spec = {.name = "events",
                             .threads = 1,
                             .poll_ms = SOUK_EVENT_POLL_MS,
                             .ctx = (void *)db_dsn,
                             .init = dispatcher_open,
                             .pass = dispatcher_pass,
                             .release = dispatcher_close};
    if (souk_worker_start(&D.thread, &spec) < 0)
        return -1;
    souk_worker_spec listen = {.name = "events-listen",
                               .threads = 1,
                               .poll_ms = 1000,
                               .ctx = (void *)db_dsn,
                               .init = listener_open,
                               .pass = listener_pass,
                               .release = dispatcher_close};
    souk_worker_start(&D.listen, &listen); /* fails where there is nothing to listen to */
    return 0;
}

void souk_events_kick(void)
{
    souk_worker_kick(&D.thread);
}

void souk_events_stop(void)
{
    souk_worker_stop(&D.listen);
    souk_worker_stop(&D.thread);
}
