/*
 * metrics.h — process-wide counters rendered in the Prometheus text format.
 *
 * Routes are registered once at start (souk_metrics_route); afterwards every
 * update is a relaxed atomic add, safe from any thread without locks.
 */
#ifndef SOUK_METRICS_H
#define SOUK_METRICS_H

#include <stdint.h>

#include "core/buf.h"

#define SOUK_METRICS_MAX_ROUTES 128

/* Registers a route (METHOD "GET", PATTERN "/api/v1/products/{id}"; its
 * samples carry the labels method and route) and returns its index, or -1
 * when the table is full. Call before serving; not thread-safe. */
int souk_metrics_route(const char *method, const char *pattern);

/* Records one finished request of ROUTE (index, or -1 for "unmatched"). */
void souk_metrics_observe(int route, int status, int64_t duration_us);

/* In-flight requests gauge. */
void souk_metrics_inflight_add(int delta);
int64_t souk_metrics_inflight(void);

/* Counters of other subsystems. */
void souk_metrics_db_error(void);
void souk_metrics_cache(int hit);

/* ---- generic named series (jobs, events, ...) ----
 * A series is NAME{LABELS} ("souk_jobs", "state=\"queued\""); LABELS may be
 * "" and must already be valid Prometheus label text (the caller escapes).
 * Series of one NAME share one TYPE and HELP line (the first registration's).
 * Durations are in seconds, Prometheus's base unit: a series whose NAME ends
 * in "_seconds" or "_seconds_total" holds MILLISECONDS (add and set them in
 * ms) and is rendered in seconds with three decimals. */
#define SOUK_METRICS_MAX_SERIES 256

typedef enum souk_metric_type { SOUK_METRIC_COUNTER, SOUK_METRIC_GAUGE } souk_metric_type;

/* The handle of series NAME{LABELS}, registering it on first use (starting at
 * 0). Idempotent and thread-safe (a mutex; cache the handle on hot paths).
 * Returns -1 when the table is full or NAME/LABELS are too long. */
int souk_metrics_series(const char *name, const char *labels, souk_metric_type type, const char *help);

/* Adds DELTA to / sets series H (a handle; -1 is ignored). Lock-free. */
void souk_metrics_series_add(int h, int64_t delta);
void souk_metrics_series_set(int h, int64_t v);

/* Current value of series H (0 for -1). */
int64_t souk_metrics_series_get(int h);

/* Appends the whole exposition text to OUT. */
void souk_metrics_render(souk_buf *out);

#endif
