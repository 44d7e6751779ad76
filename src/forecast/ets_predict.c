/*
 * ets_predict.c — forecasts of a fitted ETS model: point forecasts, the
 * prediction intervals (analytic variance for the linear classes,
 * Hyndman et al. 2008 section 6.3 class 1; simulated sample paths for the
 * rest).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/internal.h"
#include "core/banned.h"

#define Z80 1.2815515655446004
#define Z95 1.959963984540054
#define NSIM 2000
#define SEED 0x50756b466f726563ULL

/* sum_{k=1..i} phi^k for damped, i for an undamped trend, 0 without */
static double trend_mult(const souk_forecast_ets *m, size_t i)
{
    if (m->cls.trend == SOUK_FORECAST_TREND_NONE)
        return 0;
    if (m->cls.trend == SOUK_FORECAST_TREND_ADD)
        return (double)i;
    double s = 0, p = 1;
    for (size_t k = 1; k <= i; k++) {
        p *= m->phi;
        s += p;
    }
    return s;
}

static double point(const souk_forecast_ets *m, size_t i)
{
    double lb = m->level + trend_mult(m, i) * m->slope;
    int j = m->m > 1 ? (int)((m->n - 1 + i) % (size_t)m->m) : 0;
    switch (m->cls.season) {
    case SOUK_FORECAST_SEASON_MUL: return lb * m->season[j];
    case SOUK_FORECAST_SEASON_ADD: return lb + m->season[j];
    default: return lb;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the P-quantile of sorted V[0..N) by linear interpolation */
static double quantile(const double *v, size_t n, double p)
{
    double pos = p * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return v[n - 1];
    double f = pos - (double)i;
    return v[i] + f * (v[i + 1] - v[i]);
}

static int simulate(const souk_forecast_ets *m, size_t h, double *lo80, double *hi80, double *lo95, double *hi95)
{
    int ms = m->m > 1 ? m->m : 1, w = ms + 2;
    double *state = malloc(sizeof(double) * (size_t)NSIM * (size_t)w);
    double *col = malloc(sizeof(double) * NSIM);
    if (!state || !col) {
        free(state);
        free(col);
        return SOUK_FORECAST_E_NOMEM;
    }
    for (size_t p = 0; p < NSIM; p++) {
        double *s = state + p * (size_t)w;
        s[0] = m->level;
        s[1] = m->slope;
        memcpy(s + 2, m->season, sizeof(double) * (size_t)ms);
    }
    souk_forecast__rng rng;
    souk_forecast__rng_init(&rng, SEED);
    double sd = sqrt(m->sigma2), phi = m->cls.trend == SOUK_FORECAST_TREND_DAMPED ? m->phi : 1;
    bool has_trend = m->cls.trend != SOUK_FORECAST_TREND_NONE;
    for (size_t i = 1; i <= h; i++) {
        int j = ms > 1 ? (int)((m->n - 1 + i) % (size_t)ms) : 0;
        for (size_t p = 0; p < NSIM; p++) {
            double *s = state + p * (size_t)w;
            double lb = s[0] + (has_trend ? phi * s[1] : 0), mu, y, r;
            double e = sd * souk_forecast__rng_normal(&rng);
            switch (m->cls.season) {
            case SOUK_FORECAST_SEASON_MUL: mu = lb * s[2 + j]; break;
            case SOUK_FORECAST_SEASON_ADD: mu = lb + s[2 + j]; break;
            default: mu = lb;
            }
            y = m->cls.error == SOUK_FORECAST_ERR_MUL ? mu * (1 + e) : mu + e;
            r = y - mu;
            if (m->cls.season == SOUK_FORECAST_SEASON_MUL) {
                double sj = s[2 + j];
                s[0] = lb + m->alpha * r / sj;
                s[1] = has_trend ? phi * s[1] + m->beta * r / sj : 0;
                if (lb > 1e-300)
                    s[2 + j] = sj + m->gamma * r / lb;
            } else {
                s[0] = lb + m->alpha * r;
                s[1] = has_trend ? phi * s[1] + m->beta * r : 0;
                if (m->cls.season == SOUK_FORECAST_SEASON_ADD)
                    s[2 + j] += m->gamma * r;
            }
            col[p] = isfinite(y) ? y : (y > 0 ? SOUK_FORECAST_VALUE_MAX * 1e3 : -SOUK_FORECAST_VALUE_MAX * 1e3);
        }
        qsort(col, NSIM, sizeof *col, cmp_double);
        if (lo80)
            lo80[i - 1] = quantile(col, NSIM, 0.10);
        if (hi80)
            hi80[i - 1] = quantile(col, NSIM, 0.90);
        if (lo95)
            lo95[i - 1] = quantile(col, NSIM, 0.025);
        if (hi95)
            hi95[i - 1] = quantile(col, NSIM, 0.975);
    }
    free(state);
    free(col);
    return 0;
}

int souk_forecast_ets_predict(const souk_forecast_ets *m, size_t h, double *mean, double *lo80, double *hi80,
                              double *lo95, double *hi95)
{
    if (!m || !mean || h < 1 || h > SOUK_FORECAST_H_MAX || m->n == 0)
        return SOUK_FORECAST_E_INVAL;
    for (size_t i = 1; i <= h; i++)
        mean[i - 1] = point(m, i);
    if (!lo80 && !hi80 && !lo95 && !hi95)
        return 0;
    bool linear = m->cls.error == SOUK_FORECAST_ERR_ADD && m->cls.season != SOUK_FORECAST_SEASON_MUL;
    if (!linear)
        return simulate(m, h, lo80, hi80, lo95, hi95);
    /* Var(y_{n+i} | n) = sigma^2 (1 + sum_{j<i} c_j^2), c_j = alpha + beta phi_j + gamma [j mod m = 0] */
    double acc = 0;
    for (size_t i = 1; i <= h; i++) {
        if (i > 1) {
            size_t j = i - 1;
            double cj = m->alpha + m->beta * trend_mult(m, j);
            if (m->cls.season == SOUK_FORECAST_SEASON_ADD && j % (size_t)m->m == 0)
                cj += m->gamma;
            acc += cj * cj;
        }
        double sd = sqrt(m->sigma2 * (1 + acc));
        if (lo80)
            lo80[i - 1] = mean[i - 1] - Z80 * sd;
        if (hi80)
            hi80[i - 1] = mean[i - 1] + Z80 * sd;
        if (lo95)
            lo95[i - 1] = mean[i - 1] - Z95 * sd;
        if (hi95)
            hi95[i - 1] = mean[i - 1] + Z95 * sd;
    }
    return 0;
}
