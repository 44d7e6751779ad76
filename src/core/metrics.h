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

/* Appends the whole exposition text to OUT. */
void souk_metrics_render(souk_buf *out);

#endif
