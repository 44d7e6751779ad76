/*
 * service.c — the read model as a server runs it: one background thread
 * builds the facts from the views, then every second adds the new behaviour
 * events and looks at the settings (a new time zone, or a rebuild asked for
 * by `souk analytics rebuild`, builds new facts that are swapped in); the
 * outbox subscriber adds each paid or refunded order as it happens. Orders
 * that arrive while a build runs wait in a list the builder drains into
 * the new facts once they are swapped in, so none is lost between the two.
 * Old facts are freed when no report holds them any more. The cache keeps
 * recent report bodies with the facts' version they were computed at.
 */
#include "analytics/analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analytics/internal.h"
#include "core/grow.h"
#include "core/id.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "core/worker.h"
#include "events/events.h"
#include "core/banned.h"

#define POLL_MS 1000
#define RETIRED_MAX 8
#define CACHE_SLOTS 64
#define CACHE_KEY_MAX 512
#define CACHE_BODY_MAX (8u << 20)

typedef struct held {
    souk_analytics_facts *f;
    int refs;
} held;

static struct {
    pthread_mutex_t mu;
    held current;
    held retired[RETIRED_MAX];
    bool building;
    int64_t *pending;
    size_t npending, pending_cap;
    char tz[SOUK_ANALYTICS_TZ_NAME_MAX], rebuild_mark[64];
    char db_dsn[1024];
    souk_worker thread;
    bool running;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER, .thread = SOUK_WORKER_INIT};

static struct {
    pthread_mutex_t mu;
    struct slot {
        char key[CACHE_KEY_MAX];
        uint64_t version, used;
        char *body;
        size_t len;
    } slots[CACHE_SLOTS];
    uint64_t clock;
} C = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void cache_clear(void);

/* ---- holding facts ---- */

const souk_analytics_facts *souk_analytics_acquire(void)
{
    pthread_mutex_lock(&S.mu);
    souk_analytics_facts *f = S.current.f;
    if (f)
        S.current.refs++;
    pthread_mutex_unlock(&S.mu);
    return f;
}

void souk_analytics_release(const souk_analytics_facts *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&S.mu);
    if (S.current.f == f)
        S.current.refs--;
    else
        for (int i = 0; i < RETIRED_MAX; i++)
            if (S.retired[i].f == f)
                S.retired[i].refs--;
    pthread_mutex_unlock(&S.mu);
}

/* Frees the retired facts nobody holds (the thread's, between passes). */
static void free_retired(void)
{
    souk_analytics_facts *gone[RETIRED_MAX];
    int n = 0;
    pthread_mutex_lock(&S.mu);
    for (int i = 0; i < RETIRED_MAX; i++)
        if (S.retired[i].f && S.retired[i].refs == 0) {
            gone[n++] = S.retired[i].f;
            S.retired[i].f = NULL;
        }
    pthread_mutex_unlock(&S.mu);
    for (int i = 0; i < n; i++) {
        souk_analytics_facts_release(gone[i]);
        free(gone[i]);
    }
}

/* ---- metrics ---- */

void souk_analytics_metrics(const souk_analytics_facts *f, double build_ms)
{
    static int h[8] = {-2};
    if (h[0] == -2) {
        h[0] = souk_metrics_series("souk_analytics_ready", "", SOUK_METRIC_GAUGE,
                                   "1 when the analytics facts are built and served");
        h[1] = souk_metrics_series("souk_analytics_rows", "table=\"order_lines\"", SOUK_METRIC_GAUGE,
                                   "Rows of each analytics fact table");
        h[2] = souk_metrics_series("souk_analytics_rows", "table=\"orders\"", SOUK_METRIC_GAUGE,
                                   "Rows of each analytics fact table");
        h[3] = souk_metrics_series("souk_analytics_rows", "table=\"refunds\"", SOUK_METRIC_GAUGE,
                                   "Rows of each analytics fact table");
        h[4] = souk_metrics_series("souk_analytics_rows", "table=\"events\"", SOUK_METRIC_GAUGE,
                                   "Rows of each analytics fact table");
        h[5] = souk_metrics_series("souk_analytics_bytes", "", SOUK_METRIC_GAUGE, "Bytes held by the analytics facts");
        h[6] = souk_metrics_series("souk_analytics_bytes_per_million_lines", "", SOUK_METRIC_GAUGE,
                                   "Bytes of the order side of the analytics facts (orders, lines, refunds, their "
                                   "dictionaries) per million order lines");
        h[7] = souk_metrics_series("souk_analytics_build_seconds", "", SOUK_METRIC_GAUGE,
                                   "How long the last build of the analytics facts took");
    }
    if (!f) {
        souk_metrics_series_set(h[0], 0);
        return;
    }
    souk_analytics_snap s;
    souk__analytics_snap(f, &s);
    size_t bytes = souk_analytics_facts_bytes(f);
    souk_metrics_series_set(h[0], 1);
    souk_metrics_series_set(h[1], (int64_t)s.lines);
    souk_metrics_series_set(h[2], (int64_t)s.orders);
    souk_metrics_series_set(h[3], (int64_t)s.refunds);
    souk_metrics_series_set(h[4], (int64_t)s.events);
    souk_metrics_series_set(h[5], (int64_t)bytes);
    souk_metrics_series_set(
        h[6], s.lines ? (int64_t)((double)souk_analytics_facts_order_bytes(f) * 1e6 / (double)s.lines) : 0);
    if (build_ms >= 0)
        souk_metrics_series_set(h[7], (int64_t)build_ms);
}

/* ---- the settings ---- */

static int read_settings(souk_store *db, char *tz, char *mark)
{
    int r = souk_analytics_setting_timezone(db, tz);
    if (r < 0)
        return r;
    char m[64] = "";
    r = souk_store_one(db, "SELECT value FROM analytics_settings WHERE key = 'rebuild'", NULL,
                       SOUK_COLS(SOUK_COL_STR(m)));
    snprintf(mark, 64, "%s", m);
    return r < 0 ? r : 0;
}

static int request_tx(souk_store *db, void *ctx)
{
    (void)ctx;
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)souk_id_next());
    return souk_store_exec(db,
                           "INSERT INTO analytics_settings (key, value, updated_at) VALUES ('rebuild', $1, $2) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                           SOUK_ARGS(SOUK_TEXT(v), SOUK_I64(souk_time_now_us())));
}

int souk_analytics_request_rebuild(souk_store *db)
{
    int r = souk_store_tx(db, request_tx, NULL);
    return r < 0 ? r : 0;
}

/* ---- building ---- */

/* The analytics thread's connections: the primary's, and the replica's
 * (SOUK_DB_REPLICA; opened at the first build that uses it). */
typedef struct conns {
    souk_store *db, *replica;
} conns;

/* New empty facts in zone TZ (UTC, warned, when TZ is unknown), or NULL. */
static souk_analytics_facts *fresh(const char *tz)
{
    souk_analytics_facts *f = malloc(sizeof *f);
    if (f && souk_analytics_facts_init(f, tz) == 0)
        return f;
    if (f && souk_analytics_facts_init(f, NULL) == 0) {
        souk_log_warn("analytics: unknown time zone '%s': days are in UTC", tz);
        return f;
    }
    free(f);
    return NULL;
}

static void discard(souk_analytics_facts *f)
{
    if (f) {
        souk_analytics_facts_release(f);
        free(f);
    }
}

/* Builds new facts in zone TZ and swaps them in; the orders that came
 * meanwhile are added after. The build reads the replica when there is one
 * fit to, the primary otherwise or when the replica fails part-way
 * (souk_analytics_load_replica: after a build from the replica the last
 * minute's orders are read again from the primary, so none it had not
 * replayed yet is missing). 0, or -1 (logged; the old facts stay). */
static int build(conns *c, const char *tz)
{
    souk_store *db = c->db;
    souk_analytics_facts *f = fresh(tz);
    if (!f)
        return -1;
    pthread_mutex_lock(&S.mu);
    S.building = true;
    pthread_mutex_unlock(&S.mu);
    double t0 = souk_time_mono_s();
    bool replica = false;
    int r = souk_analytics_load_replica(db, &c->replica, "analytics_build", f, NULL, NULL, &replica);
    souk_store *src = replica ? c->replica : db;
    if (r < 0) {
        souk_log_error("analytics: cannot build the facts: %s", souk_store_errmsg(src));
        discard(f);
        pthread_mutex_lock(&S.mu);
        S.building = false;
        pthread_mutex_unlock(&S.mu);
        return -1;
    }
    double ms = (souk_time_mono_s() - t0) * 1000.0;
    pthread_mutex_lock(&S.mu);
    held old = S.current;
    S.current = (held){f, 0};
    if (old.f) {
        int i = 0;
        while (i < RETIRED_MAX && S.retired[i].f)
            i++;
        if (i < RETIRED_MAX)
            S.retired[i] = old;
        else
            souk_log_warn("analytics: too many retired facts held: one is kept until the process exits");
    }
    S.building = false;
    cache_clear(); /* versions start again with new facts */
    int64_t *pending = S.pending;
    size_t npending = S.npending;
    S.pending = NULL;
    S.npending = S.pending_cap = 0;
    pthread_mutex_unlock(&S.mu);
    for (size_t i = 0; i < npending; i++)
        if (souk_analytics_load_order(db, f, pending[i]) < 0)
            souk_log_warn("analytics: an order paid during the build could not be added");
    free(pending);
    souk_analytics_snap s;
    souk__analytics_snap(f, &s);
    souk_log_info("analytics: facts built in %.0f ms from the %s: %zu orders, %zu lines, %zu refunds, %zu events, "
                  "%zu bytes (time zone %s)",
                  ms, src != db ? "replica" : "primary", s.orders, s.lines, s.refunds, s.events,
                  souk_analytics_facts_bytes(f), f->tz.name);
    souk_analytics_metrics(f, ms);
    return 0;
}

static int thread_init(void *ctx, int index, void **state)
{
    (void)ctx;
    (void)index;
    conns *c = calloc(1, sizeof *c);
    char err[256];
    if (!c || souk_store_open_existing(&c->db, S.db_dsn, err, sizeof err) != 0) {
        souk_log_error("analytics: cannot open the database: %s", c ? err : "out of memory");
        free(c);
        return -1;
    }
    *state = c;
    return 0;
}

static int thread_pass(void *ctx, int index, void *state)
{
    (void)ctx;
    (void)index;
    conns *c = state;
    souk_store *db = c->db;
    char tz[SOUK_ANALYTICS_TZ_NAME_MAX], mark[64];
    if (read_settings(db, tz, mark) < 0)
        return 0;
    pthread_mutex_lock(&S.mu);
    bool have = S.current.f != NULL;
    bool changed = strcmp(tz, S.tz) != 0 || strcmp(mark, S.rebuild_mark) != 0;
    pthread_mutex_unlock(&S.mu);
    if (!have || changed) {
        snprintf(S.tz, sizeof S.tz, "%s", tz);
        snprintf(S.rebuild_mark, sizeof S.rebuild_mark, "%s", mark);
        build(c, tz);
    } else {
        const souk_analytics_facts *f = souk_analytics_acquire();
        if (f) {
            if (souk_analytics_load_events(db, (souk_analytics_facts *)f) < 0)
                souk_log_warn("analytics: cannot read new events: %s", souk_store_errmsg(db));
            souk_analytics_metrics(f, -1);
            souk_analytics_release(f);
        }
    }
    free_retired();
    return 0;
}

static void thread_release(void *ctx, int index, void *state)
{
    (void)ctx;
    (void)index;
    conns *c = state;
    souk_store_close(c->replica);
    souk_store_close(c->db);
    free(c);
}

int souk_analytics_start(const char *db_dsn)
{
    snprintf(S.db_dsn, sizeof S.db_dsn, "%s", db_dsn);
    S.tz[0] = S.rebuild_mark[0] = '\0';
    souk_analytics_metrics(NULL, -1);
    souk_worker_spec spec = {.name = "analytics",
                             .threads = 1,
                             .poll_ms = POLL_MS,
                             .init = thread_init,
                             .pass = thread_pass,
                             .release = thread_release};
    if (souk_worker_start(&S.thread, &spec) < 0)
        return -1;
    S.running = true;
    return 0;
}

void souk_analytics_stop(void)
{
    if (!S.running)
        return;
    souk_worker_stop(&S.thread);
    S.running = false;
    pthread_mutex_lock(&S.mu);
    held all[RETIRED_MAX + 1];
    all[0] = S.current;
    memcpy(all + 1, S.retired, sizeof S.retired);
    S.current = (held){0};
    memset(S.retired, 0, sizeof S.retired);
    free(S.pending);
    S.pending = NULL;
    S.npending = S.pending_cap = 0;
    pthread_mutex_unlock(&S.mu);
    for (int i = 0; i <= RETIRED_MAX; i++)
        if (all[i].f) {
            souk_analytics_facts_release(all[i].f);
            free(all[i].f);
        }
    cache_clear();
}

/* ---- the outbox ---- */

static int on_order_event(souk_store *db, const char *type, const char *aggregate_id, const json_t *payload,
                          int64_t event_id, void *ctx)
{
    (void)payload;
    (void)event_id;
    (void)ctx;
    if (strcmp(type, "order.paid") != 0 && strcmp(type, "order.refunded") != 0)
        return 0;
    int64_t order;
    if (!aggregate_id || souk_id_parse("ord", aggregate_id, strlen(aggregate_id), &order) < 0)
        return 0;
    pthread_mutex_lock(&S.mu);
    souk_analytics_facts *f = NULL;
    if (!S.current.f || S.building) { /* the builder adds it once its facts are in */
        int r = souk_grow(&S.pending, &S.pending_cap, S.npending + 1, sizeof *S.pending);
        if (r == 0)
            S.pending[S.npending++] = order;
        pthread_mutex_unlock(&S.mu);
        return r < 0 ? -1 : 0;
    }
    f = S.current.f;
    S.current.refs++;
    pthread_mutex_unlock(&S.mu);
    int r = souk_analytics_load_order(db, f, order);
    souk_analytics_metrics(f, -1);
    souk_analytics_release(f);
    return r < 0 ? -1 : 0;
}

void souk_analytics_register(int port)
{
    char host[64] = "localhost", name[SOUK_EVENT_SUBSCRIBER_MAX + 1];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    for (char *p = host; *p; p++) /* a subscriber name is [A-Za-z0-9_.:@-] */
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '-' || *p == '_'))
            *p = '_';
    /* one subscriber per node; an ephemeral port (0: tests) says nothing of the node, the pid does */
    if (port > 0)
        snprintf(name, sizeof name, "analytics@%.40s:%d", host, port);
    else
        snprintf(name, sizeof name, "analytics@%.40s:0.%ld", host, (long)getpid());
    if (souk_event_subscribe(name, "order.", on_order_event, NULL) < 0)
        souk_log_warn("analytics: cannot subscribe to the outbox as %s", name);
}

/* ---- the cache ---- */

static void cache_clear(void)
{
    pthread_mutex_lock(&C.mu);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        free(C.slots[i].body);
        C.slots[i].body = NULL;
        C.slots[i].key[0] = '\0';
    }
    pthread_mutex_unlock(&C.mu);
}

bool souk_analytics_cache_get(const char *key, uint64_t version, souk_buf *out)
{
    bool hit = false;
    pthread_mutex_lock(&C.mu);
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (C.slots[i].body && C.slots[i].version == version && strcmp(C.slots[i].key, key) == 0) {
            souk_buf_add(out, C.slots[i].body, C.slots[i].len);
            C.slots[i].used = ++C.clock;
            hit = true;
            break;
        }
    pthread_mutex_unlock(&C.mu);
    return hit;
}

void souk_analytics_cache_put(const char *key, uint64_t version, const char *body, size_t len)
{
    if (strlen(key) >= CACHE_KEY_MAX || len > CACHE_BODY_MAX)
        return;
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    if (len) /* an empty answer (a CSV page past the last row) may have no buffer at all */
        memcpy(copy, body, len);
    pthread_mutex_lock(&C.mu);
    int victim = 0;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (!C.slots[i].body || strcmp(C.slots[i].key, key) == 0) {
            victim = i;
            break;
        }
        if (C.slots[i].used < C.slots[victim].used)
            victim = i;
    }
    char *old = C.slots[victim].body;
    snprintf(C.slots[victim].key, CACHE_KEY_MAX, "%s", key);
    C.slots[victim].version = version;
    C.slots[victim].body = copy;
    C.slots[victim].len = len;
    C.slots[victim].used = ++C.clock;
    pthread_mutex_unlock(&C.mu);
    free(old);
}
