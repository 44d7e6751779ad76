/*
 * methods.c — every forecasting method behind one fit/predict pair: ETS
 * (ets.c), the seasonal naive method, and Croston's method with the
 * Syntetos–Boylan approximation for intermittent demand.
 */
#include <math.h>
#include <string.h>

#include "forecast/internal.h"
#include "core/banned.h"

#define Z80 1.2815515655446004
#define Z95 1.959963984540054
#define CROSTON_ALPHA 0.1

const char *souk_forecast_method_name(souk_forecast_method method)
{
    static const char *names[] = {"snaive", "ets", "croston", "sba"};
    return (unsigned)method < SOUK_FORECAST_METHODS ? names[method] : "?";
}

static int fit_snaive(const double *y, size_t n, int m, souk_forecast_model *out)
{
    if (n < 1)
        return SOUK_FORECAST_E_SHORT;
    if ((size_t)m >= n) /* not one full season and a point: the naive method */
        m = 1;
    out->m = m;
    memcpy(out->last, y + n - (size_t)m, sizeof(double) * (size_t)m);
    double ss = 0;
    size_t k = 0;
    for (size_t t = (size_t)m; t < n; t++, k++)
        ss += (y[t] - y[t - (size_t)m]) * (y[t] - y[t - (size_t)m]);
    out->snaive_sigma = k ? sqrt(ss / (double)k) : 0;
    out->sigma = out->snaive_sigma;
    return 0;
}

static int fit_croston(const double *y, size_t n, souk_forecast_model *out)
{
    if (n < 2)
        return SOUK_FORECAST_E_SHORT;
    for (size_t t = 0; t < n; t++)
        if (y[t] < 0)
            return SOUK_FORECAST_E_NOFIT;
    size_t t0 = 0;
    while (t0 < n && y[t0] == 0)
        t0++;
    if (t0 == n)
        return SOUK_FORECAST_E_NOFIT;
    /* first demand and first interval start the two smoothed series */
    double z = y[t0], p = (double)(t0 + 1), ss = 0;
    size_t last = t0, k = 0;
    double shrink = out->method == SOUK_FORECAST_SBA ? 1 - CROSTON_ALPHA / 2 : 1;
    for (size_t t = t0 + 1; t < n; t++) {
        double f = shrink * z / p;
        ss += (y[t] - f) * (y[t] - f);
        k++;
        if (y[t] != 0) {
            z += CROSTON_ALPHA * (y[t] - z);
            p += CROSTON_ALPHA * ((double)(t - last) - p);
            last = t;
        }
    }
    out->demand = z;
    out->interval = p;
    out->rate = shrink * z / p;
    out->sigma = k ? sqrt(ss / (double)k) : 0;
    return 0;
}

int souk_forecast_fit(souk_forecast_method method, const double *y, size_t n, int m, souk_forecast_model *out)
{
    if (!y || !out || (unsigned)method >= SOUK_FORECAST_METHODS || n > SOUK_FORECAST_N_MAX || m < 1 ||
        m > SOUK_FORECAST_M_MAX)
        return SOUK_FORECAST_E_INVAL;
    bool nonneg = true;
    for (size_t t = 0; t < n; t++) {
        if (!isfinite(y[t]) || fabs(y[t]) > SOUK_FORECAST_VALUE_MAX)
            return SOUK_FORECAST_E_INVAL;
        nonneg &= y[t] >= 0;
    }
    memset(out, 0, sizeof *out);
    out->method = method;
    out->m = m;
    out->n = n;
    out->nonneg = nonneg;
    switch (method) {
    case SOUK_FORECAST_SNAIVE: return fit_snaive(y, n, m, out);
    case SOUK_FORECAST_ETS: {
        int rc = souk_forecast_ets_select(y, n, m, &out->ets);
        if (rc < 0)
            return rc;
        out->m = out->ets.m;
        out->sigma = sqrt(out->ets.mse);
        return 0;
    }
    default: out->m = 1; return fit_croston(y, n, out);
    }
}

int souk_forecast_predict(const souk_forecast_model *f, size_t h, double *mean, double *lo80, double *hi80,
                          double *lo95, double *hi95)
{
    if (!f || !mean || h < 1 || h > SOUK_FORECAST_H_MAX || f->n == 0)
        return SOUK_FORECAST_E_INVAL;
    if (f->method == SOUK_FORECAST_ETS) {
        int rc = souk_forecast_ets_predict(&f->ets, h, mean, lo80, hi80, lo95, hi95);
        if (rc < 0)
            return rc;
    } else {
        for (size_t i = 0; i < h; i++) {
            double mu, sd;
            if (f->method == SOUK_FORECAST_SNAIVE) {
                mu = f->last[i % (size_t)f->m];
                sd = f->snaive_sigma * sqrt((double)(i / (size_t)f->m) + 1);
            } else {
                mu = f->rate;
                sd = f->sigma;
            }
            mean[i] = mu;
            if (lo80)
                lo80[i] = mu - Z80 * sd;
            if (hi80)
                hi80[i] = mu + Z80 * sd;
            if (lo95)
                lo95[i] = mu - Z95 * sd;
            if (hi95)
                hi95[i] = mu + Z95 * sd;
        }
    }
    if (f->nonneg)
        for (size_t i = 0; i < h; i++) {
            if (lo80 && lo80[i] < 0)
                lo80[i] = 0;
            if (lo95 && lo95[i] < 0)
                lo95[i] = 0;
        }
    return 0;
}
