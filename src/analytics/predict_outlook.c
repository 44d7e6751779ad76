/*
 * predict_outlook.c — each variant's stock and stored demand forecast summed
 * over its warehouses, for dynamic pricing (src/pricing): the same stored
 * forecasts and days-of-cover arithmetic as the reorder report
 * (predict_api.c), walked once in variant order. Nothing is fitted here.
 */
#include "analytics/analytics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/forecast.h"
#include "core/banned.h"

typedef struct acc {
    souk_analytics_outlook o;
    double fc[SOUK_ANALYTICS_STOCK_H];
    double best; /* the largest warehouse forecast's total: its model names the outlook's */
} acc;

static int flush(acc *a, int (*fn)(void *ctx, const souk_analytics_outlook *o), void *ctx)
{
    if (!a->o.variant_id)
        return 0;
    double sum = 0;
    for (size_t i = 0; i < SOUK_ANALYTICS_OUTLOOK_DAYS; i++)
        sum += a->fc[i];
    a->o.daily_demand = sum / SOUK_ANALYTICS_OUTLOOK_DAYS;
    a->o.days_of_cover = souk_forecast_days_of_cover((double)a->o.available, a->fc, SOUK_ANALYTICS_STOCK_H);
    return fn(ctx, &a->o);
}

int souk_analytics_outlooks(souk_store *db, int (*fn)(void *ctx, const souk_analytics_outlook *o), void *ctx)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT l.variant_id, l.on_hand, l.reserved, f.body FROM analytics_stock_levels l "
                                     "LEFT JOIN analytics_stock_forecasts f ON f.variant_id = l.variant_id AND "
                                     "f.warehouse_id = l.warehouse_id ORDER BY l.variant_id, l.warehouse_id",
                                     NULL);
    acc a;
    memset(&a, 0, sizeof a);
    int64_t variant, on_hand, reserved;
    char *body;
    int r, stop = 0;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&variant), SOUK_COL_I64(&on_hand), SOUK_COL_I64(&reserved),
                                             SOUK_COL_DUP(&body)))) == SOUK_DB_ROW) {
        if (variant != a.o.variant_id) {
            if ((stop = flush(&a, fn, ctx)) != 0) {
                free(body);
                souk_stmt_done(st);
                return stop;
            }
            memset(&a, 0, sizeof a);
            a.o.variant_id = variant;
        }
        a.o.available += on_hand - reserved > 0 ? on_hand - reserved : 0;
        json_t *b = body && body[0] ? json_loads(body, 0, NULL) : NULL;
        free(body);
        if (!b)
            continue;
        json_t *pts = json_object_get(b, "points");
        double total = 0;
        for (size_t i = 0; i < SOUK_ANALYTICS_STOCK_H && i < json_array_size(pts); i++) {
            double v = json_number_value(json_array_get(pts, i));
            if (isfinite(v) && v > 0) {
                a.fc[i] += v;
                total += v;
            }
        }
        a.o.forecast = true;
        if (total >= a.best) {
            a.best = total;
            const char *m = json_string_value(json_object_get(b, "model"));
            snprintf(a.o.model, sizeof a.o.model, "%s", m ? m : "");
        }
        json_decref(b);
    }
    if (r < 0)
        return r;
    return flush(&a, fn, ctx);
}
