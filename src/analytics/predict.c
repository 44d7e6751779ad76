/*
 * predict.c — the stored predictions: the sales series of the whole store,
 * vendors, categories and products cut from the facts, each fitted daily
 * and weekly; the stock forecasts and anomalies beside them; all written in
 * one transaction with the run's record. Heavy: run by the analytics.predict
 * job and `souk analytics rebuild`, never by a request.
 */
#include "analytics/analytics.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/internal.h"
#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

#define SPAN_DAYS 1100 /* days of history cut (156 weeks and a bit); the daily fits use the last DAY_FIT */
#define DAY_FIT 730
#define WEEK_FIT 156
#define H_DAY SOUK_ANALYTICS_FC_H_DAY
#define H_WEEK SOUK_ANALYTICS_FC_H_WEEK
#define CHOOSE_DAY 28 /* holdout of the automatic choice: four weeks */
#define CHOOSE_WEEK 8

enum { SC_STORE, SC_VENDOR, SC_CATEGORY, SC_PRODUCT };
static const char *const scope_names[] = {"store", "vendor", "category", "product"};
static const char *const scope_prefix[] = {"", "vend", "cat", "prod"};

typedef struct series {
    int scope;
    int64_t id, vendor;
    const char *currency; /* of a revenue series: the store's main one, or the vendor's or category's own */
    double *y;            /* SPAN_DAYS values, day W0 + i */
} series;

typedef struct ranked {
    int32_t idx;
    int64_t total;
} ranked;

static int by_total(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return x->total != y->total ? (x->total < y->total ? 1 : -1) : (x->idx > y->idx) - (x->idx < y->idx);
}

/* The top LIMIT indexes of TOTALS[0..N) with a positive total into SLOT (slot numbers from *NEXT). */
static void pick(const int64_t *totals, size_t n, size_t limit, int32_t *slot, int *next, ranked *tmp)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        slot[i] = -1;
        if (totals[i] > 0)
            tmp[k++] = (ranked){(int32_t)i, totals[i]};
    }
    qsort(tmp, k, sizeof *tmp, by_total);
    for (size_t i = 0; i < k && i < limit; i++)
        slot[tmp[i].idx] = (*next)++;
}

typedef struct stored {
    const char *granularity;
    int scope;
    int64_t id, vendor;
    char *body;
} stored;

typedef struct run_ctx {
    stored *rows;
    size_t nrows;
    souk__analytics_stock_fit *stock;
    size_t nstock;
    souk__analytics_anomaly *anom;
    size_t nanom;
    int64_t now;
    int32_t end;
    const char *currency;
    int64_t ms;
} run_ctx;

static int write_tx(souk_store *db, void *arg)
{
    run_ctx *c = arg;
    int r;
    if ((r = souk_store_exec(db, "DELETE FROM analytics_forecasts", NULL)) < 0 ||
        (r = souk_store_exec(db, "DELETE FROM analytics_stock_forecasts", NULL)) < 0 ||
        (r = souk_store_exec(db, "DELETE FROM analytics_anomalies", NULL)) < 0 ||
        (r = souk_store_exec(db, "DELETE FROM analytics_prediction_runs", NULL)) < 0)
        return r;
    for (size_t i = 0; i < c->nrows; i++)
        if ((r = souk_store_exec(db,
                                 "INSERT INTO analytics_forecasts (granularity, scope, series_id, vendor_id, body, "
                                 "computed_at) VALUES ($1, $2, $3, $4, $5, $6)",
                                 SOUK_ARGS(SOUK_TEXT(c->rows[i].granularity), SOUK_TEXT(scope_names[c->rows[i].scope]),
                                           SOUK_I64(c->rows[i].id), SOUK_I64(c->rows[i].vendor),
                                           SOUK_TEXT(c->rows[i].body), SOUK_I64(c->now)))) < 0)
            return r;
    for (size_t i = 0; i < c->nstock; i++)
        if ((r = souk_store_exec(db,
                                 "INSERT INTO analytics_stock_forecasts (variant_id, warehouse_id, body, computed_at) "
                                 "VALUES ($1, $2, $3, $4)",
                                 SOUK_ARGS(SOUK_I64(c->stock[i].variant), SOUK_I64(c->stock[i].warehouse),
                                           SOUK_TEXT(c->stock[i].body), SOUK_I64(c->now)))) < 0)
            return r;
    for (size_t i = 0; i < c->nanom; i++)
        if ((r = souk_store_exec(db,
                                 "INSERT INTO analytics_anomalies (metric, day, body, computed_at) VALUES ($1, $2, $3, "
                                 "$4)",
                                 SOUK_ARGS(SOUK_TEXT(c->anom[i].metric), SOUK_I64(c->anom[i].day),
                                           SOUK_TEXT(c->anom[i].body), SOUK_I64(c->now)))) < 0)
            return r;
    return souk_store_exec(db,
                           "INSERT INTO analytics_prediction_runs (id, computed_at, last_day, currency, series, "
                           "duration_ms) VALUES (1, $1, $2, $3, $4, $5)",
                           SOUK_ARGS(SOUK_I64(c->now), SOUK_I64(c->end), SOUK_TEXT(c->currency),
                                     SOUK_I64((int64_t)(c->nrows + c->nstock)), SOUK_I64(c->ms)));
}

/* Fits S daily and weekly into ROWS. -1 when memory runs out. */
static int fit_both(const series *s, int32_t w0, int32_t end, stored *rows, size_t *nrows)
{
    size_t n = SPAN_DAYS, first = 0;
    while (first < n && s->y[first] == 0)
        first++;
    if (first == n)
        return 0;
    char idtext[40] = "";
    if (s->scope != SC_STORE)
        souk_id_format(scope_prefix[s->scope], s->id, idtext);
    /* daily: the last DAY_FIT days from the first sale */
    size_t d0 = first > SPAN_DAYS - DAY_FIT ? first : SPAN_DAYS - DAY_FIT;
    json_t *day = souk__analytics_fit_series(s->y + d0, n - d0, 7, CHOOSE_DAY, H_DAY, true);
    if (!day)
        return -1;
    json_object_set_new(day, "first_period", json_integer(w0 + (json_int_t)d0));
    json_object_set_new(day, "last_period", json_integer(end));
    /* weekly: whole ISO weeks up to the last complete one */
    int32_t lastw = souk__analytics_bucket(end + 1, 1) - 7;
    double wk[WEEK_FIT];
    size_t nw = 0;
    int32_t firstw = lastw;
    for (int32_t w = lastw; nw < WEEK_FIT && w >= w0 + (int32_t)first - 6 && w >= w0; w -= 7) {
        double sum = 0;
        for (int32_t d = w; d < w + 7; d++)
            sum += s->y[d - w0];
        wk[WEEK_FIT - 1 - nw++] = sum;
        firstw = w;
    }
    json_t *week = NULL;
    if (nw) {
        week = souk__analytics_fit_series(wk + WEEK_FIT - nw, nw, 52, CHOOSE_WEEK, H_WEEK, true);
        if (!week) {
            json_decref(day);
            return -1;
        }
        json_object_set_new(week, "first_period", json_integer(firstw));
        json_object_set_new(week, "last_period", json_integer(lastw));
    }
    json_t *both[2] = {day, week};
    for (int g = 0; g < 2; g++) {
        if (!both[g])
            continue;
        json_object_set_new(both[g], "measure", json_string(s->scope == SC_PRODUCT ? "units" : "revenue"));
        json_object_set_new(both[g], "currency", s->scope == SC_PRODUCT ? json_null() : json_string(s->currency));
        char *text = json_dumps(both[g], JSON_COMPACT | JSON_REAL_PRECISION(15));
        json_decref(both[g]);
        if (!text) {
            if (g == 0)
                json_decref(week);
            return -1;
        }
        rows[(*nrows)++] = (stored){g ? "week" : "day", s->scope, s->id, s->vendor, text};
    }
    return 0;
}

int souk_analytics_predict_run(souk_store *db, const souk_analytics_facts *f, souk_analytics_progress progress,
                               void *pctx, souk_analytics_predict_stats *out)
{
    int64_t t0 = souk_time_mono_us();
    memset(out, 0, sizeof *out);
    souk_analytics_snap s;
    souk__analytics_snap(f, &s);
    souk_analytics_query q = {.currency = -1, .channel = -1};
    souk_analytics_match mt;
    souk__analytics_match(f, &s, &q, &mt);
    /* history up to yesterday, or the last day with a sale when that is earlier (imported history) */
    int32_t end = souk_analytics_tz_day(&f->tz, souk_time_now_us()) - 1, lastsale = INT32_MIN;
    for (size_t i = 0; i < s.orders; i++) {
        int32_t d = SOUK_ANALYTICS_OC(f, i)->day[SOUK_ANALYTICS_ROW_OF(i)];
        lastsale = d > lastsale && d <= end ? d : lastsale;
    }
    if (lastsale != INT32_MIN)
        end = lastsale;
    int32_t w0 = end - SPAN_DAYS + 1;
    int rc = -1;
    int64_t *tot = calloc(s.products + s.categories + s.vendors + 1, sizeof *tot);
    int32_t *slot = malloc((s.products + s.categories + s.vendors + 1) * sizeof *slot);
    ranked *tmp = malloc((s.products + s.categories + s.vendors + 1) * sizeof *tmp);
    series *ser = NULL;
    double *ys = NULL;
    int64_t *bycur = NULL;
    uint8_t *curof = NULL;
    run_ctx c = {.now = souk_time_now_us(), .end = end};
    /* a vendor's or a category's revenue series is in its own main currency */
    size_t nc = s.ncurrencies > 0 ? (size_t)s.ncurrencies : 1;
    bycur = calloc((s.categories + s.vendors) * nc + 1, sizeof *bycur);
    curof = calloc(s.categories + s.vendors + 1, 1);
    if (!tot || !slot || !tmp || !bycur || !curof)
        goto done;
    int64_t *tp = tot, *tc = tot + s.products, *tv = tc + s.categories;
    int64_t *cc = bycur, *vc = bycur + s.categories * nc;
    uint8_t *ccur = curof, *vcur = curof + s.categories;
    for (size_t i = 0; i < s.lines; i++) {
        const souk_analytics_line_chunk *ch = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        if (ch->day[r] < w0 || ch->day[r] > end)
            continue;
        tp[ch->product[r]] += ch->quantity[r];
        if (ch->category[r] >= 0)
            cc[(size_t)ch->category[r] * nc + ch->currency[r]] += ch->amount[r];
        if (ch->vendor[r] >= 0)
            vc[(size_t)ch->vendor[r] * nc + ch->currency[r]] += ch->amount[r];
    }
    for (size_t i = 0; i < s.categories + s.vendors; i++) {
        const int64_t *row = bycur + i * nc;
        for (size_t k = 1; k < nc; k++)
            curof[i] = row[k] > row[curof[i]] ? (uint8_t)k : curof[i];
        tot[s.products + i] = row[curof[i]];
    }
    int nser = 1;
    int32_t *sp = slot, *sc = slot + s.products, *sv = sc + s.categories;
    pick(tv, s.vendors, SOUK_ANALYTICS_FC_VENDORS, sv, &nser, tmp);
    pick(tc, s.categories, SOUK_ANALYTICS_FC_CATEGORIES, sc, &nser, tmp);
    pick(tp, s.products, SOUK_ANALYTICS_FC_PRODUCTS, sp, &nser, tmp);
    ser = calloc((size_t)nser, sizeof *ser);
    ys = calloc((size_t)nser * SPAN_DAYS, sizeof *ys);
    c.rows = calloc((size_t)nser * 2, sizeof *c.rows);
    if (!ser || !ys || !c.rows)
        goto done;
    for (int i = 0; i < nser; i++)
        ser[i].y = ys + (size_t)i * SPAN_DAYS;
    ser[0].scope = SC_STORE;
    ser[0].currency = f->currencies[mt.currency];
    for (size_t i = 0; i < s.vendors; i++)
        if (sv[i] >= 0)
            ser[sv[i]] = (series){SC_VENDOR, souk_analytics_dict_id(&f->vendors, (int32_t)i), 0, f->currencies[vcur[i]],
                                  ser[sv[i]].y};
    for (size_t i = 0; i < s.categories; i++)
        if (sc[i] >= 0)
            ser[sc[i]] = (series){SC_CATEGORY, souk_analytics_dict_id(&f->categories, (int32_t)i), 0,
                                  f->currencies[ccur[i]], ser[sc[i]].y};
    for (size_t i = 0; i < s.products; i++)
        if (sp[i] >= 0)
            ser[sp[i]] = (series){SC_PRODUCT, souk_analytics_dict_id(&f->products, (int32_t)i), 0, NULL, ser[sp[i]].y};
    for (int i = 0; i < nser; i++)
        if (ser[i].scope == SC_VENDOR)
            ser[i].vendor = ser[i].id;
    for (size_t i = 0; i < s.lines; i++) {
        const souk_analytics_line_chunk *ch = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t d = ch->day[r];
        if (d < w0 || d > end)
            continue;
        size_t at = (size_t)(d - w0);
        int32_t p = sp[ch->product[r]];
        if (p >= 0) {
            ser[p].y[at] += (double)ch->quantity[r];
            if (ch->vendor[r] >= 0 && !ser[p].vendor)
                ser[p].vendor = souk_analytics_dict_id(&f->vendors, ch->vendor[r]);
        }
        if (ch->currency[r] == mt.currency)
            ser[0].y[at] += (double)ch->amount[r];
        if (ch->category[r] >= 0 && sc[ch->category[r]] >= 0 && ch->currency[r] == ccur[ch->category[r]])
            ser[sc[ch->category[r]]].y[at] += (double)ch->amount[r];
        if (ch->vendor[r] >= 0 && sv[ch->vendor[r]] >= 0 && ch->currency[r] == vcur[ch->vendor[r]])
            ser[sv[ch->vendor[r]]].y[at] += (double)ch->amount[r];
    }
    for (int i = 0; i < nser; i++) {
        if (fit_both(&ser[i], w0, end, c.rows, &c.nrows) < 0)
            goto done;
        if (progress)
            progress(pctx, "forecasts", (uint64_t)i + 1, (uint64_t)nser);
    }
    if (souk__analytics_stock_fits(db, &f->tz, end, &c.stock, &c.nstock) < 0)
        goto done;
    if (progress)
        progress(pctx, "stock", c.nstock, c.nstock);
    if (souk__analytics_anomalies(f, &s, mt.currency, end, &c.anom, &c.nanom) < 0)
        goto done;
    c.currency = s.ncurrencies ? f->currencies[mt.currency] : "";
    c.ms = (souk_time_mono_us() - t0) / 1000;
    rc = souk_store_tx(db, write_tx, &c);
    if (rc >= 0) {
        rc = 0;
        out->series = (int)c.nrows;
        out->stock_series = (int)c.nstock;
        out->anomalies = (int)c.nanom;
        out->last_day = end;
        out->ms = (double)c.ms;
        snprintf(out->currency, sizeof out->currency, "%s", c.currency);
    }
done:
    for (size_t i = 0; i < c.nrows; i++)
        free(c.rows[i].body);
    for (size_t i = 0; i < c.nstock; i++)
        free(c.stock[i].body);
    for (size_t i = 0; i < c.nanom; i++)
        free(c.anom[i].body);
    free(c.rows);
    free(c.stock);
    free(c.anom);
    free(ser);
    free(ys);
    free(tot);
    free(bycur);
    free(curof);
    free(slot);
    free(tmp);
    return rc;
}
