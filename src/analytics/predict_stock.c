/*
 * predict_stock.c — the daily demand forecast of each variant in each
 * warehouse, from the units checkouts took from it (inventory's
 * analytics_stock_sales), for the reorder report.
 */
#include "analytics/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "forecast/forecast.h"
#include "core/banned.h"

typedef struct sale {
    int64_t variant, warehouse;
    int32_t day;
    int64_t qty;
} sale;

static int by_pair_day(const void *a, const void *b)
{
    const sale *x = a, *y = b;
    if (x->variant != y->variant)
        return x->variant < y->variant ? -1 : 1;
    if (x->warehouse != y->warehouse)
        return x->warehouse < y->warehouse ? -1 : 1;
    return (x->day > y->day) - (x->day < y->day);
}

typedef struct group {
    size_t lo, hi;
    int64_t units;
} group;

static int by_units(const void *a, const void *b)
{
    const group *x = a, *y = b;
    return x->units != y->units ? (x->units < y->units ? 1 : -1) : (x->lo > y->lo) - (x->lo < y->lo);
}

/* The body of one pair: SBA (cheap) beyond the automatic choice's budget. */
static char *fit_pair(const sale *v, size_t lo, size_t hi, int32_t end, bool full, double *y)
{
    int32_t first = v[lo].day;
    size_t n = (size_t)(end - first + 1);
    memset(y, 0, n * sizeof *y);
    int64_t units = 0;
    for (size_t i = lo; i < hi; i++) {
        y[v[i].day - first] += (double)v[i].qty;
        units += v[i].qty;
    }
    json_t *body = NULL;
    if (full) {
        body = souk__analytics_fit_series(y, n, 7, 28, SOUK_ANALYTICS_STOCK_H, false);
    } else {
        souk_forecast_model m;
        double fc[SOUK_ANALYTICS_STOCK_H];
        souk_forecast_method how = n >= 2 ? SOUK_FORECAST_SBA : SOUK_FORECAST_SNAIVE;
        if (souk_forecast_fit(how, y, n, 1, &m) == 0 &&
            souk_forecast_predict(&m, SOUK_ANALYTICS_STOCK_H, fc, NULL, NULL, NULL, NULL) == 0) {
            json_t *pts = json_array();
            for (size_t i = 0; pts && i < SOUK_ANALYTICS_STOCK_H; i++)
                json_array_append_new(pts, json_real((double)(int64_t)(fc[i] * 10000 + 0.5) / 10000));
            body = json_pack("{s:s,s:s,s:i,s:I,s:f,s:I,s:n,s:o}", "method", souk_forecast_method_name(how), "model",
                             souk_forecast_method_name(how), "period", 1, "history", (json_int_t)n, "sigma",
                             (double)(int64_t)(m.sigma * 10000 + 0.5) / 10000, "holdout", (json_int_t)0, "holdout_mase",
                             "points", pts);
        }
    }
    if (!body)
        return NULL;
    json_object_set_new(body, "first_period", json_integer(first));
    json_object_set_new(body, "last_period", json_integer(end));
    json_object_set_new(body, "units", json_integer(units));
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(body);
    return text;
}

int souk__analytics_stock_fits(souk_store *db, const souk_analytics_tz *tz, int32_t end,
                               souk__analytics_stock_fit **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    /* a day before the window's first in UTC: the zone's offset is under a day */
    int64_t since = ((int64_t)(end - SOUK_ANALYTICS_STOCK_DAYS) * 86400 - 86400) * 1000000;
    souk_stmt *st =
        souk_store_query(db, "SELECT variant_id, warehouse_id, quantity, at FROM analytics_stock_sales WHERE at >= $1",
                         SOUK_ARGS(SOUK_I64(since)));
    sale *v = NULL, row;
    size_t n = 0, cap = 0;
    int64_t at;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&row.variant), SOUK_COL_I64(&row.warehouse),
                                             SOUK_COL_I64(&row.qty), SOUK_COL_I64(&at)))) == SOUK_DB_ROW) {
        row.day = souk_analytics_tz_day(tz, at);
        if (row.day > end || row.day <= end - SOUK_ANALYTICS_STOCK_DAYS || row.qty <= 0)
            continue;
        if (souk_grow(&v, &cap, n + 1, sizeof *v) < 0) {
            souk_stmt_done(st);
            free(v);
            return -1;
        }
        v[n++] = row;
    }
    if (r < 0) {
        free(v);
        return r;
    }
    if (n)
        qsort(v, n, sizeof *v, by_pair_day);
    group *g = NULL;
    size_t ng = 0, gcap = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int64_t units = 0;
        while (j < n && v[j].variant == v[i].variant && v[j].warehouse == v[i].warehouse)
            units += v[j++].qty;
        if (souk_grow(&g, &gcap, ng + 1, sizeof *g) < 0)
            goto oom;
        g[ng++] = (group){i, j, units};
        i = j;
    }
    if (ng)
        qsort(g, ng, sizeof *g, by_units);
    double *y = malloc(SOUK_ANALYTICS_STOCK_DAYS * sizeof *y);
    *out = ng ? calloc(ng, sizeof **out) : NULL;
    if (!y || (ng && !*out)) {
        free(y);
        goto oom;
    }
    for (size_t k = 0; k < ng; k++) {
        char *body = fit_pair(v, g[k].lo, g[k].hi, end, k < SOUK_ANALYTICS_STOCK_AUTO, y);
        if (!body) {
            free(y);
            goto oom;
        }
        (*out)[(*nout)++] = (souk__analytics_stock_fit){v[g[k].lo].variant, v[g[k].lo].warehouse, body};
    }
    free(y);
    free(g);
    free(v);
    return 0;
oom:
    for (size_t k = 0; k < *nout; k++)
        free((*out)[k].body);
    free(*out);
    *out = NULL;
    *nout = 0;
    free(g);
    free(v);
    return -1;
}
