/* metrics.c — see metrics.h. Status codes are kept per route in a small
 * fixed set of slots; anything else counts under its class ("2xx"...). */
#include "core/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

static const int tracked_status[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503};
#define NSTATUS (sizeof tracked_status / sizeof tracked_status[0])
#define NOTHER 5 /* 1xx..5xx classes for untracked codes */
static const double bucket_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBUCKET (sizeof bucket_le / sizeof bucket_le[0])

struct route_metrics {
    char label[160];
    _Atomic uint64_t by_status[NSTATUS];
    _Atomic uint64_t by_class[NOTHER];
    _Atomic uint64_t buckets[NBUCKET]; /* non-cumulative; summed when rendered */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
};

/* slot 0 is "unmatched" */
static struct route_metrics routes[SOUK_METRICS_MAX_ROUTES + 1] = {{.label = "method=\"\",route=\"unmatched\""}};
static int nroutes = 1;
static _Atomic int64_t inflight;
static _Atomic uint64_t db_errors, cache_hits, cache_misses;

struct series {
    char name[64];
    char labels[192];
    const char *help;
    souk_metric_type type;
    _Atomic int64_t value;
};
static struct series series[SOUK_METRICS_MAX_SERIES];
static _Atomic int nseries; /* slots below are fully written (release/acquire) */
static pthread_mutex_t series_mu = PTHREAD_MUTEX_INITIALIZER;

int souk_metrics_series(const char *name, const char *labels, souk_metric_type type, const char *help)
{
    if (!labels)
        labels = "";
    if (!name || strlen(name) >= sizeof series[0].name || strlen(labels) >= sizeof series[0].labels)
        return -1;
    pthread_mutex_lock(&series_mu);
    int n = atomic_load_explicit(&nseries, memory_order_relaxed), h = -1;
    for (int i = 0; i < n && h < 0; i++)
        if (strcmp(series[i].name, name) == 0 && strcmp(series[i].labels, labels) == 0)
            h = i;
    if (h < 0 && n < SOUK_METRICS_MAX_SERIES) {
        struct series *s = &series[n];
        memcpy(s->name, name, strlen(name) + 1);
        memcpy(s->labels, labels, strlen(labels) + 1);
        s->help = help ? help : "";
        s->type = type;
        atomic_store_explicit(&s->value, 0, memory_order_relaxed);
        atomic_store_explicit(&nseries, n + 1, memory_order_release);
        h = n;
    }
    pthread_mutex_unlock(&series_mu);
    return h;
}

void souk_metrics_series_add(int h, int64_t delta)
{
    if (h >= 0 && h < SOUK_METRICS_MAX_SERIES)
        atomic_fetch_add_explicit(&series[h].value, delta, memory_order_relaxed);
}

void souk_metrics_series_set(int h, int64_t v)
{
    if (h >= 0 && h < SOUK_METRICS_MAX_SERIES)
        atomic_store_explicit(&series[h].value, v, memory_order_relaxed);
}

int64_t souk_metrics_series_get(int h)
{
    return h >= 0 && h < SOUK_METRICS_MAX_SERIES ? atomic_load_explicit(&series[h].value, memory_order_relaxed) : 0;
}

/* Does series NAME hold milliseconds rendered as seconds (metrics.h)? */
static bool in_seconds(const char *name)
{
    size_t n = strlen(name);
    return (n > 8 && strcmp(name + n - 8, "_seconds") == 0) || (n > 14 && strcmp(name + n - 14, "_seconds_total") == 0);
}

/* The generic series, grouped by name in order of first registration. */
static void render_series(souk_buf *out)
{
    int n = atomic_load_explicit(&nseries, memory_order_acquire);
    for (int i = 0; i < n; i++) {
        int first = 1;
        for (int j = 0; j < i && first; j++)
            if (strcmp(series[j].name, series[i].name) == 0)
                first = 0;
        if (!first)
            continue;
        souk_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", series[i].name, series[i].help, series[i].name,
                        series[i].type == SOUK_METRIC_COUNTER ? "counter" : "gauge");
        for (int j = i; j < n; j++) {
            if (strcmp(series[j].name, series[i].name) != 0)
                continue;
            long long v = (long long)atomic_load_explicit(&series[j].value, memory_order_relaxed);
            char text[32];
            if (in_seconds(series[j].name)) /* milliseconds kept, seconds shown */
                snprintf(text, sizeof text, "%s%lld.%03lld", v < 0 ? "-" : "", llabs(v) / 1000, llabs(v) % 1000);
            else
                snprintf(text, sizeof text, "%lld", v);
            if (series[j].labels[0])
                souk_buf_printf(out, "%s{%s} %s\n", series[j].name, series[j].labels, text);
            else
                souk_buf_printf(out, "%s %s\n", series[j].name, text);
        }
    }
}

int souk_metrics_route(const char *method, const char *pattern)
{
    char label[160];
    snprintf(label, sizeof label, "method=\"%s\",route=\"%s\"", method, pattern);
    if (nroutes > SOUK_METRICS_MAX_ROUTES)
        return -1;
    size_t n = strlen(label);
    if (n >= sizeof routes[0].label)
        n = sizeof routes[0].label - 1;
    memcpy(routes[nroutes].label, label, n);
    routes[nroutes].label[n] = '\0';
    return nroutes++ - 1;
}

void souk_metrics_observe(int route, int status, int64_t duration_us)
{
    struct route_metrics *r = &routes[route >= 0 && route + 1 < nroutes ? route + 1 : 0];
    size_t i;
    for (i = 0; i < NSTATUS; i++)
        if (tracked_status[i] == status)
            break;
    if (i < NSTATUS)
        atomic_fetch_add_explicit(&r->by_status[i], 1, memory_order_relaxed);
    else if (status >= 100 && status < 600)
        atomic_fetch_add_explicit(&r->by_class[status / 100 - 1], 1, memory_order_relaxed);
    double secs = (double)duration_us / 1e6;
    for (i = 0; i < NBUCKET && secs > bucket_le[i]; i++)
        ;
    if (i < NBUCKET)
        atomic_fetch_add_explicit(&r->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->sum_us, duration_us > 0 ? (uint64_t)duration_us : 0, memory_order_relaxed);
}

void souk_metrics_inflight_add(int delta)
{
    atomic_fetch_add_explicit(&inflight, delta, memory_order_relaxed);
}

int64_t souk_metrics_inflight(void)
{
    return atomic_load_explicit(&inflight, memory_order_relaxed);
}

void souk_metrics_db_error(void)
{
    atomic_fetch_add_explicit(&db_errors, 1, memory_order_relaxed);
}

void souk_metrics_cache(int hit)
{
    atomic_fetch_add_explicit(hit ? &cache_hits : &cache_misses, 1, memory_order_relaxed);
}

void souk_metrics_render(souk_buf *out)
{
    souk_buf_adds(out, "# HELP souk_http_requests_total HTTP requests by route and status.\n"
                       "# TYPE souk_http_requests_total counter\n");
    for (int r = 0; r < nroutes; r++) {
        struct route_metrics *m = &routes[r];
        for (size_t i = 0; i < NSTATUS; i++) {
            uint64_t v = atomic_load_explicit(&m->by_status[i], memory_order_relaxed);
            if (v)
                souk_buf_printf(out, "souk_http_requests_total{%s,status=\"%d\"} %llu\n", m->label, tracked_status[i],
                                (unsigned long long)v);
        }
        for (size_t i = 0; i < NOTHER; i++) {
            uint64_t v = atomic_load_explicit(&m->by_class[i], memory_order_relaxed);
            if (v)
                souk_buf_printf(out, "souk_http_requests_total{%s,status=\"%zuxx\"} %llu\n", m->label, i + 1,
                                (unsigned long long)v);
        }
    }
    souk_buf_adds(out, "# HELP souk_http_request_duration_seconds HTTP request latency by route.\n"
                       "# TYPE souk_http_request_duration_seconds histogram\n");
    for (int r = 0; r < nroutes; r++) {
        struct route_metrics *m = &routes[r];
        uint64_t count = atomic_load_explicit(&m->count, memory_order_relaxed);
        if (!count)
            continue;
        uint64_t cum = 0;
        for (size_t i = 0; i < NBUCKET; i++) {
            cum += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
            souk_buf_printf(out, "souk_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", m->label,
                            bucket_le[i], (unsigned long long)cum);
        }
        souk_buf_printf(out, "souk_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", m->label,
                        (unsigned long long)count);
        souk_buf_printf(out, "souk_http_request_duration_seconds_sum{%s} %.6f\n", m->label,
                        (double)atomic_load_explicit(&m->sum_us, memory_order_relaxed) / 1e6);
        souk_buf_printf(out, "souk_http_request_duration_seconds_count{%s} %llu\n", m->label,
                        (unsigned long long)count);
    }
    souk_buf_printf(out,
                    "# HELP souk_http_requests_in_flight Requests being handled now.\n"
                    "# TYPE souk_http_requests_in_flight gauge\n"
                    "souk_http_requests_in_flight %lld\n"
                    "# HELP souk_db_errors_total Database errors (not counting constraint violations).\n"
                    "# TYPE souk_db_errors_total counter\n"
                    "souk_db_errors_total %llu\n"
                    "# HELP souk_cache_requests_total Response cache lookups by result.\n"
                    "# TYPE souk_cache_requests_total counter\n"
                    "souk_cache_requests_total{result=\"hit\"} %llu\n"
                    "souk_cache_requests_total{result=\"miss\"} %llu\n",
                    (long long)souk_metrics_inflight(), (unsigned long long)atomic_load(&db_errors),
                    (unsigned long long)atomic_load(&cache_hits), (unsigned long long)atomic_load(&cache_misses));
    render_series(out);
}
