/*
 * compute.c — one recompute: every explicit price of an active variant, its
 * sales history (pricing_sales, by UTC day), its outlook (the analytics
 * stock forecasts and days of cover, souk_analytics_outlooks) and its
 * product's bounds, through the elasticity estimate and the rule; the
 * pending suggestions replaced by the new ones in one transaction.
 */
#include "pricing/pricing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/analytics.h"
#include "core/grow.h"
#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

#define DAY_US INT64_C(86400000000)

typedef struct sale {
    int64_t variant, day, units, amount;
    char currency[4];
} sale;

typedef struct bound {
    int64_t product, min, max;
    int max_change_bp;
    bool frozen;
    char currency[4];
} bound;

typedef struct open_key {
    int64_t variant;
    char currency[4];
} open_key;

typedef struct out_row {
    int64_t id, variant, product, current, suggested;
    char currency[4];
    char *reasons, *basis;
} out_row;

typedef struct outlooks {
    souk_analytics_outlook *v;
    size_t n, cap;
} outlooks;

static int collect(void *ctx, const souk_analytics_outlook *o)
{
    outlooks *l = ctx;
    if (souk_grow(&l->v, &l->cap, l->n + 1, sizeof *l->v) < 0)
        return -1;
    l->v[l->n++] = *o;
    return 0;
}

static int by_variant(const void *k, const void *e)
{
    int64_t a = *(const int64_t *)k, b = ((const souk_analytics_outlook *)e)->variant_id;
    return (a > b) - (a < b);
}

static int by_product(const void *k, const void *e)
{
    int64_t a = *(const int64_t *)k, b = ((const bound *)e)->product;
    return (a > b) - (a < b);
}

/* open keys in (variant, currency) order, as the query returns them */
static int by_open(const void *k, const void *e)
{
    const open_key *a = k, *b = e;
    if (a->variant != b->variant)
        return a->variant < b->variant ? -1 : 1;
    return strcmp(a->currency, b->currency);
}

static double r2(double v)
{
    return isfinite(v) ? round(v * 100) / 100 : v;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(r2(v)) : json_null();
}

typedef struct write_ctx {
    out_row *rows;
    size_t n;
    int64_t now, prediction_at, variants;
    int64_t written; /* suggestions stored (rows whose variant was approved or repriced meanwhile are not) */
} write_ctx;

static int write_tx(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    /* superseded suggestions are kept a week (to be looked at), then dropped: a daily
     * recompute over every variant would otherwise grow the table without end */
    int r = souk_store_exec(db, "DELETE FROM pricing_suggestions WHERE status = 'superseded' AND computed_at < $1",
                            SOUK_ARGS(SOUK_I64(c->now - SOUK_PRICING_SUPERSEDED_KEEP_US)));
    if (r >= 0)
        r = souk_store_exec(db, "UPDATE pricing_suggestions SET status = 'superseded' WHERE status = 'pending'", NULL);
    int64_t written = 0;
    for (size_t i = 0; r >= 0 && i < c->n; i++) {
        out_row *o = &c->rows[i];
        /* the computation read outside this transaction: a variant approved since, or whose price
         * moved since, gets no suggestion from it (the next recompute looks again) */
        int64_t n = souk_store_update(
            db,
            "INSERT INTO pricing_suggestions (id, variant_id, product_id, currency, current_amount, "
            "suggested_amount, reasons, basis, status, computed_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9 "
            "WHERE NOT EXISTS (SELECT 1 FROM pricing_suggestions WHERE variant_id = $2 AND currency = $4 AND "
            "status = 'approved') AND EXISTS (SELECT 1 FROM pricing_catalog_prices WHERE variant_id = $2 AND "
            "currency = $4 AND amount = $5)",
            SOUK_ARGS(SOUK_I64(o->id), SOUK_I64(o->variant), SOUK_I64(o->product), SOUK_TEXT(o->currency),
                      SOUK_I64(o->current), SOUK_I64(o->suggested), SOUK_TEXT(o->reasons), SOUK_TEXT(o->basis),
                      SOUK_I64(c->now)));
        if (n < 0)
            r = (int)n;
        else
            written += n;
    }
    if (r >= 0)
        r = souk_store_exec(
            db,
            "INSERT INTO pricing_runs (id, computed_at, prediction_at, variants, suggestions) VALUES "
            "(1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET computed_at = excluded.computed_at, "
            "prediction_at = excluded.prediction_at, variants = excluded.variants, "
            "suggestions = excluded.suggestions",
            SOUK_ARGS(SOUK_I64(c->now), SOUK_I64(c->prediction_at), SOUK_I64(c->variants), SOUK_I64(written)));
    c->written = written;
    return r < 0 ? r : 0;
}

/* the sales rows [*lo, *hi) of VARIANT (all currencies), SALES sorted by variant */
static void sales_range(const sale *s, size_t n, int64_t variant, size_t *lo, size_t *hi)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (s[mid].variant < variant)
            a = mid + 1;
        else
            b = mid;
    }
    *lo = a;
    while (a < n && s[a].variant == variant)
        a++;
    *hi = a;
}

int souk_pricing_recompute(souk_store *db, souk_pricing_run_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    int64_t now = souk_time_now_us(), today = now / DAY_US;
    int rc = SOUK_DB_HARD, r; /* until it is done: out of memory */
    outlooks ol = {0};
    sale *sales = NULL;
    bound *bounds = NULL;
    open_key *open = NULL;
    out_row *rows = NULL;
    souk_pricing_obs *obs = NULL;
    size_t nsales = 0, csales = 0, nbounds = 0, cbounds = 0, nopen = 0, copen = 0, nrows = 0, crows = 0, cobs = 0;
    write_ctx wc = {0};
    int32_t last_day;
    if (souk_analytics_predict_state(db, &wc.prediction_at, &last_day) < 0)
        goto done;
    if ((r = souk_analytics_outlooks(db, collect, &ol)) != 0) {
        rc = r;
        goto done;
    }
    souk_stmt *st =
        souk_store_query(db,
                         "SELECT variant_id, currency, paid_at / 86400000000, CAST(SUM(quantity) AS BIGINT), "
                         "CAST(SUM(line_total) AS BIGINT) FROM pricing_sales WHERE paid_at >= $1 "
                         "GROUP BY variant_id, currency, paid_at / 86400000000 ORDER BY 1, 2, 3",
                         SOUK_ARGS(SOUK_I64((today - SOUK_PRICING_HISTORY_DAYS) * DAY_US)));
    sale s;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&s.variant), SOUK_COL_STR(s.currency), SOUK_COL_I64(&s.day),
                                             SOUK_COL_I64(&s.units), SOUK_COL_I64(&s.amount)))) == SOUK_DB_ROW) {
        if (souk_grow(&sales, &csales, nsales + 1, sizeof *sales) < 0) {
            souk_stmt_done(st);
            goto done;
        }
        sales[nsales++] = s;
    }
    if (r < 0) {
        rc = r;
        goto done;
    }
    st = souk_store_query(db,
                          "SELECT product_id, COALESCE(currency, ''), COALESCE(min_amount, -1), "
                          "COALESCE(max_amount, -1), COALESCE(max_change_bp, 0), frozen FROM pricing_bounds "
                          "ORDER BY product_id",
                          NULL);
    bound b;
    int64_t bp, frozen;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&b.product), SOUK_COL_STR(b.currency), SOUK_COL_I64(&b.min),
                                             SOUK_COL_I64(&b.max), SOUK_COL_I64(&bp), SOUK_COL_I64(&frozen)))) ==
           SOUK_DB_ROW) {
        b.max_change_bp = (int)bp;
        b.frozen = frozen != 0;
        if (souk_grow(&bounds, &cbounds, nbounds + 1, sizeof *bounds) < 0) {
            souk_stmt_done(st);
            goto done;
        }
        bounds[nbounds++] = b;
    }
    if (r < 0) {
        rc = r;
        goto done;
    }
    st = souk_store_query(db,
                          "SELECT variant_id, currency FROM pricing_suggestions WHERE status = 'approved' "
                          "ORDER BY variant_id, currency",
                          NULL);
    open_key k;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&k.variant), SOUK_COL_STR(k.currency)))) == SOUK_DB_ROW) {
        if (souk_grow(&open, &copen, nopen + 1, sizeof *open) < 0) {
            souk_stmt_done(st);
            goto done;
        }
        open[nopen++] = k;
    }
    if (r < 0) {
        rc = r;
        goto done;
    }
    st = souk_store_query(db,
                          "SELECT variant_id, product_id, currency, amount FROM pricing_catalog_prices "
                          "ORDER BY variant_id, currency",
                          NULL);
    int64_t variant, product, amount;
    char cur[4];
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&variant), SOUK_COL_I64(&product), SOUK_COL_STR(cur),
                                             SOUK_COL_I64(&amount)))) == SOUK_DB_ROW) {
        stats->variants++;
        open_key want = {variant, ""};
        memcpy(want.currency, cur, sizeof want.currency);
        if (nopen && bsearch(&want, open, nopen, sizeof *open, by_open)) {
            stats->kept++;
            continue;
        }
        const bound *bd = nbounds ? bsearch(&product, bounds, nbounds, sizeof *bounds, by_product) : NULL;
        if (bd && bd->frozen)
            continue;
        size_t lo, hi, nobs = 0;
        sales_range(sales, nsales, variant, &lo, &hi);
        double recent = 0;
        for (size_t i = lo; i < hi; i++) {
            if (sales[i].day > today - SOUK_PRICING_RECENT_DAYS)
                recent += (double)sales[i].units;
            if (strcmp(sales[i].currency, cur) != 0 || sales[i].units <= 0)
                continue;
            if (souk_grow(&obs, &cobs, nobs + 1, sizeof *obs) < 0) {
                souk_stmt_done(st);
                goto done;
            }
            obs[nobs++] = (souk_pricing_obs){(double)sales[i].amount / (double)sales[i].units, (double)sales[i].units};
        }
        recent /= SOUK_PRICING_RECENT_DAYS;
        souk_pricing_elasticity el;
        souk_pricing_elasticity_estimate(obs, nobs, &el);
        const souk_analytics_outlook *o = ol.n ? bsearch(&variant, ol.v, ol.n, sizeof *ol.v, by_variant) : NULL;
        bool bounds_here = bd && (!bd->currency[0] || strcmp(bd->currency, cur) == 0);
        souk_pricing_rule_in in = {
            .current = amount,
            .elasticity = el.value,
            .available = o ? o->available : 0,
            .forecast = o && o->forecast,
            .daily_demand = o ? o->daily_demand : 0,
            .days_of_cover = o ? o->days_of_cover : INFINITY,
            .recent_daily = recent,
            .min_amount = bounds_here ? bd->min : -1,
            .max_amount = bounds_here ? bd->max : -1,
            .max_change_bp = bd ? bd->max_change_bp : 0,
        };
        souk_pricing_rule_out out;
        if (souk_pricing_rule(&in, &el, &out) < 0) {
            souk_stmt_done(st);
            goto done;
        }
        if (out.suggested == amount) {
            json_decref(out.reasons);
            continue;
        }
        json_t *basis =
            json_pack("{s:{s:f,s:o,s:o,s:f,s:i,s:i,s:b},s:I,s:b,s:s,s:o,s:o,s:o,s:{s:o,s:o,s:f},s:f}", "elasticity",
                      "value", r2(el.value), "ols", num_or_null(el.ols), "standard_error", num_or_null(el.se), "weight",
                      r2(el.weight), "observations", el.observations, "price_points", el.price_points, "prior_only",
                      el.prior_only, "available", (json_int_t)in.available, "forecast", in.forecast, "forecast_model",
                      o ? o->model : "", "forecast_daily_units", num_or_null(in.daily_demand), "recent_daily_units",
                      num_or_null(recent), "days_of_cover", num_or_null(in.days_of_cover), "bounds", "min_amount",
                      in.min_amount >= 0 ? json_integer(in.min_amount) : json_null(), "max_amount",
                      in.max_amount >= 0 ? json_integer(in.max_amount) : json_null(), "max_change_pct",
                      (in.max_change_bp > 0 ? in.max_change_bp : SOUK_PRICING_DEFAULT_MAX_CHANGE_BP) / 100.0,
                      "change_pct", r2(((double)out.suggested / (double)amount - 1) * 100));
        char *rtext = json_dumps(out.reasons, JSON_COMPACT | JSON_REAL_PRECISION(10));
        char *btext = basis ? json_dumps(basis, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
        json_decref(out.reasons);
        json_decref(basis);
        if (!rtext || !btext || souk_grow(&rows, &crows, nrows + 1, sizeof *rows) < 0) {
            free(rtext);
            free(btext);
            souk_stmt_done(st);
            goto done;
        }
        out_row *w = &rows[nrows++];
        *w = (out_row){souk_id_next(), variant, product, amount, out.suggested, "", rtext, btext};
        memcpy(w->currency, cur, sizeof w->currency);
    }
    if (r < 0) {
        rc = r;
        goto done;
    }
    wc.rows = rows;
    wc.n = nrows;
    wc.now = now;
    wc.variants = stats->variants;
    r = souk_store_tx(db, write_tx, &wc);
    if (r < 0) {
        rc = r;
        goto done;
    }
    stats->suggestions = wc.written;
    rc = 0;
done:
    for (size_t i = 0; i < nrows; i++) {
        free(rows[i].reasons);
        free(rows[i].basis);
    }
    free(rows);
    free(obs);
    free(open);
    free(bounds);
    free(sales);
    free(ol.v);
    return rc;
}
