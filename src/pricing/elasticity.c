/*
 * elasticity.c — the own-price elasticity of a variant from its sales
 * history: ln(units) = a + e·ln(price) by least squares over the days it
 * sold, shrunk toward a prior by precision weighting. Pure arithmetic.
 *
 * Days without sales are not observations (the price a variant was offered
 * at on a day nobody bought is not in the order history), so the estimate
 * is of the slope among selling days; the prior keeps a short or flat
 * history from producing a wild number. The standard error has a floor so
 * that a few nearly collinear points cannot claim certainty.
 */
#include "pricing/pricing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define SE_FLOOR 0.05

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double clamp(double v)
{
    return v < SOUK_PRICING_ELASTICITY_LO   ? SOUK_PRICING_ELASTICITY_LO
           : v > SOUK_PRICING_ELASTICITY_HI ? SOUK_PRICING_ELASTICITY_HI
                                            : v;
}

/* distinct levels of the sorted ln prices X[0..N): a new level starts 1 % above the last one's start */
static int levels(double *x, size_t n)
{
    qsort(x, n, sizeof *x, by_value);
    int k = 0;
    double start = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (x[i] - start > 0.00995) { /* ln(1.01) */
            k++;
            start = x[i];
        }
    return k;
}

void souk_pricing_elasticity_estimate(const souk_pricing_obs *obs, size_t n, souk_pricing_elasticity *out)
{
    memset(out, 0, sizeof *out);
    out->value = SOUK_PRICING_PRIOR_ELASTICITY;
    out->ols = out->se = NAN;
    out->prior_only = true;
    double sx = 0, sy = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (obs[i].price > 0 && obs[i].units > 0 && isfinite(obs[i].price) && isfinite(obs[i].units)) {
            sx += log(obs[i].price);
            sy += log(obs[i].units);
            m++;
        }
    out->observations = (int)m;
    if (m == 0) {
        out->why = "no_sales";
        return;
    }
    double mx = sx / (double)m, my = sy / (double)m, sxx = 0, sxy = 0, syy = 0;
    double *xs = malloc(m * sizeof *xs);
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (obs[i].price > 0 && obs[i].units > 0 && isfinite(obs[i].price) && isfinite(obs[i].units)) {
            double dx = log(obs[i].price) - mx, dy = log(obs[i].units) - my;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
            if (xs)
                xs[j++] = log(obs[i].price);
        }
    out->price_points = xs ? levels(xs, m) : 0;
    free(xs);
    if (m < SOUK_PRICING_MIN_OBS) {
        out->why = "too_few_observations";
        return;
    }
    if (out->price_points < SOUK_PRICING_MIN_LEVELS || sqrt(sxx / (double)m) < SOUK_PRICING_MIN_LOG_SD) {
        out->why = "no_price_variation";
        return;
    }
    double b = sxy / sxx;
    double sse = syy - b * sxy;
    if (sse < 0)
        sse = 0;
    double se = sqrt(sse / (double)(m - 2) / sxx);
    if (!(se >= SE_FLOOR))
        se = SE_FLOOR;
    double pd = 1 / (se * se), pp = 1 / (SOUK_PRICING_PRIOR_SD * SOUK_PRICING_PRIOR_SD);
    out->ols = b;
    out->se = se;
    out->weight = pd / (pd + pp);
    out->value = clamp((b * pd + SOUK_PRICING_PRIOR_ELASTICITY * pp) / (pd + pp));
    out->prior_only = false;
    out->why = NULL;
}
