/*
 * predict_anomaly.c — anomalous days of the store's daily revenue, orders
 * and visitors: an additive-error ETS model (lowest AICc, weekly season)
 * fitted to the last year up to yesterday, re-run one step at a time; a
 * day whose value lies outside its one-step 95% interval is an anomaly.
 *
 * Robust: the model is fitted to, and run over, a cleaned copy of the
 * series — a seasonal Hampel filter replaces each day that lies more than
 * 4 robust standard deviations (1.4826 × the median absolute deviation of
 * the days from their baselines) from its baseline, the median of the same
 * weekday in the four weeks either side, by that baseline — and the days
 * as they were are judged against that run's intervals. So one spike
 * neither inflates sigma (hiding smaller anomalies), nor drags the states
 * (flagging the normal days after it), nor bends its weekday's seasonal
 * state. Additive errors only: under multiplicative errors the likelihood
 * would rather bend a whole weekday's seasonal factor than explain one
 * spike's large relative error.
 */
#include "analytics/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/forecast.h"
#include "core/banned.h"

#define DAYS SOUK_ANALYTICS_ANOMALY_DAYS
#define MIN_DAYS 28 /* four weeks before anything is judged */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The additive-error class of lowest AICc on Y[0..N) with a weekly season. */
static int fit_additive(const double *y, size_t n, souk_forecast_ets *best)
{
    static const souk_forecast_ets_class classes[] = {
        {SOUK_FORECAST_ERR_ADD, SOUK_FORECAST_TREND_NONE, SOUK_FORECAST_SEASON_NONE},
        {SOUK_FORECAST_ERR_ADD, SOUK_FORECAST_TREND_NONE, SOUK_FORECAST_SEASON_ADD},
        {SOUK_FORECAST_ERR_ADD, SOUK_FORECAST_TREND_ADD, SOUK_FORECAST_SEASON_NONE},
        {SOUK_FORECAST_ERR_ADD, SOUK_FORECAST_TREND_ADD, SOUK_FORECAST_SEASON_ADD},
        {SOUK_FORECAST_ERR_ADD, SOUK_FORECAST_TREND_DAMPED, SOUK_FORECAST_SEASON_NONE},
        {SOUK_FORECAST_ERR_ADD, SOUK_FORECAST_TREND_DAMPED, SOUK_FORECAST_SEASON_ADD},
    };
    int got = 0;
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        souk_forecast_ets m;
        if (souk_forecast_ets_fit(y, n, 7, classes[i], &m) == 0 && (!got || m.aicc < best->aicc)) {
            *best = m;
            got = 1;
        }
    }
    return got ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Distinct visitors per day of [W0, W0 + DAYS) into Y. -1 memory. */
static int visitors(const souk_analytics_facts *f, const souk_analytics_snap *s, int32_t w0, double *y)
{
    size_t n = 0;
    for (size_t i = 0; i < s->events; i++) {
        const souk_analytics_event_chunk *c = SOUK_ANALYTICS_EC(f, i);
        int32_t d = c->day[SOUK_ANALYTICS_ROW_OF(i)];
        n += d >= w0 && d < w0 + DAYS;
    }
    uint64_t *k = malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < s->events && m < n; i++) {
        const souk_analytics_event_chunk *c = SOUK_ANALYTICS_EC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t d = c->day[r];
        if (d >= w0 && d < w0 + DAYS)
            k[m++] = (uint64_t)(d - w0) << 32 | (uint32_t)c->visitor[r];
    }
    qsort(k, m, sizeof *k, cmp_u64);
    for (size_t i = 0; i < m; i++)
        if (i == 0 || k[i] != k[i - 1])
            y[k[i] >> 32] += 1;
    free(k);
    return 0;
}

/* Judges Y[0..DAYS) of METRIC and appends its anomalies. -1 memory. */
static int judge(const char *metric, const double *y, int32_t w0, souk__analytics_anomaly **out, size_t *nout,
                 size_t *cap)
{
    size_t first = 0;
    while (first < DAYS && y[first] == 0)
        first++;
    size_t n = DAYS - first;
    if (n < MIN_DAYS)
        return 0;
    souk_forecast_ets m;
    double yhat[DAYS], lo[DAYS], hi[DAYS], clean[DAYS], base[DAYS], dev[DAYS];
    const double *x = y + first;
    for (size_t t = 0; t < n; t++) { /* the baseline: the same weekday's median within four weeks */
        double w[9];
        int k = 0;
        for (int j = -4; j <= 4; j++) {
            long u = (long)t + 7L * j;
            if (u >= 0 && u < (long)n)
                w[k++] = x[u];
        }
        qsort(w, (size_t)k, sizeof *w, cmp_dbl);
        base[t] = k % 2 ? w[k / 2] : (w[k / 2 - 1] + w[k / 2]) / 2;
        dev[t] = fabs(x[t] - base[t]);
    }
    qsort(dev, n, sizeof *dev, cmp_dbl);
    double cut = 4 * 1.4826 * dev[n / 2];
    for (size_t t = 0; t < n; t++)
        clean[t] = fabs(x[t] - base[t]) > cut ? base[t] : x[t];
    if (fit_additive(clean, n, &m) < 0 || souk_forecast_ets_onestep(&m, clean, n, yhat, lo, hi) < 0)
        return 0;
    char model[16];
    souk_forecast_ets_name(m.cls, model);
    for (size_t t = 0; t < n; t++) {
        if (!isfinite(yhat[t]))
            continue;
        /* counts and revenue are never negative: neither are their expectations and bounds */
        yhat[t] = fmax(yhat[t], 0);
        lo[t] = fmax(lo[t], 0);
        hi[t] = fmax(hi[t], 0);
        if (x[t] >= lo[t] && x[t] <= hi[t])
            continue;
        if (*nout == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            souk__analytics_anomaly *g = realloc(*out, nc * sizeof *g);
            if (!g)
                return -1;
            *out = g;
            *cap = nc;
        }
        double a = y[first + t], e = yhat[t];
        json_t *b = json_pack("{s:s,s:I,s:f,s:f,s:f,s:f,s:f,s:s,s:s}", "metric", metric, "day",
                              (json_int_t)(w0 + (int32_t)(first + t)), "actual", a, "expected", round(e * 100) / 100,
                              "lower", round(lo[t] * 100) / 100, "upper", round(hi[t] * 100) / 100, "residual",
                              round((a - e) * 100) / 100, "direction", a > hi[t] ? "above" : "below", "model", model);
        char *text = b ? json_dumps(b, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
        json_decref(b);
        if (!text)
            return -1;
        (*out)[(*nout)++] = (souk__analytics_anomaly){metric, w0 + (int32_t)(first + t), text};
    }
    return 0;
}

int souk__analytics_anomalies(const souk_analytics_facts *f, const souk_analytics_snap *s, int cur, int32_t end,
                              souk__analytics_anomaly **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    size_t cap = 0;
    int32_t w0 = end - DAYS + 1;
    double *rev = calloc(3 * DAYS, sizeof *rev), *ord = rev + DAYS, *vis = rev + 2 * DAYS;
    if (!rev)
        return -1;
    for (size_t i = 0; i < s->orders; i++) {
        const souk_analytics_order_chunk *c = SOUK_ANALYTICS_OC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t d = c->day[r];
        if (d < w0 || d > end)
            continue;
        ord[d - w0] += 1;
        if (c->currency[r] == cur)
            rev[d - w0] += (double)c->amount[r];
    }
    int rc = visitors(f, s, w0, vis);
    if (rc == 0)
        rc = judge("revenue", rev, w0, out, nout, &cap);
    if (rc == 0)
        rc = judge("orders", ord, w0, out, nout, &cap);
    if (rc == 0)
        rc = judge("visitors", vis, w0, out, nout, &cap);
    free(rev);
    if (rc < 0) {
        for (size_t i = 0; i < *nout; i++)
            free((*out)[i].body);
        free(*out);
        *out = NULL;
        *nout = 0;
    }
    return rc;
}
