/*
 * optim.c — a Nelder–Mead simplex search (Nelder & Mead 1965, with the
 * usual coefficients: reflection 1, expansion 2, contraction 1/2, shrink
 * 1/2) for the ETS likelihood; bounds are handled by the caller mapping
 * R^d onto its parameter box. And the fixed-seed generator of the interval
 * simulation. Nothing here allocates.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "forecast/internal.h"
#include "core/banned.h"

double souk_forecast__nelder_mead(souk_forecast__objective f, void *ctx, double *x, const double *step, int d,
                                  double tol, int max_evals, int *evals)
{
    double p[SOUK_FORECAST__DIM_MAX + 1][SOUK_FORECAST__DIM_MAX];
    double fv[SOUK_FORECAST__DIM_MAX + 1];
    double c[SOUK_FORECAST__DIM_MAX], xr[SOUK_FORECAST__DIM_MAX], xe[SOUK_FORECAST__DIM_MAX];
    int n = 0;
    for (int i = 0; i <= d; i++) {
        memcpy(p[i], x, (size_t)d * sizeof *x);
        if (i > 0)
            p[i][i - 1] += step[i - 1];
        fv[i] = f(p[i], ctx);
        n++;
    }
    while (n < max_evals) {
        /* order: best at 0, worst at d (insertion sort; d is small) */
        for (int i = 1; i <= d; i++)
            for (int j = i; j > 0 && fv[j] < fv[j - 1]; j--) {
                double t = fv[j];
                fv[j] = fv[j - 1];
                fv[j - 1] = t;
                double tmp[SOUK_FORECAST__DIM_MAX];
                memcpy(tmp, p[j], (size_t)d * sizeof(double));
                memcpy(p[j], p[j - 1], (size_t)d * sizeof(double));
                memcpy(p[j - 1], tmp, (size_t)d * sizeof(double));
            }
        double spread = fabs(fv[d] - fv[0]), scale = fabs(fv[0]) > 1 ? fabs(fv[0]) : 1;
        if (isfinite(fv[d]) && spread <= tol * scale) {
            double size = 0;
            for (int i = 1; i <= d; i++)
                for (int j = 0; j < d; j++)
                    size = fmax(size, fabs(p[i][j] - p[0][j]));
            if (size < 1e-7)
                break;
        }
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int i = 0; i < d; i++)
                s += p[i][j];
            c[j] = s / d;
        }
        for (int j = 0; j < d; j++)
            xr[j] = c[j] + (c[j] - p[d][j]);
        double fr = f(xr, ctx);
        n++;
        if (fr < fv[0]) {
            for (int j = 0; j < d; j++)
                xe[j] = c[j] + 2 * (c[j] - p[d][j]);
            double fe = f(xe, ctx);
            n++;
            if (fe < fr) {
                memcpy(p[d], xe, (size_t)d * sizeof(double));
                fv[d] = fe;
            } else {
                memcpy(p[d], xr, (size_t)d * sizeof(double));
                fv[d] = fr;
            }
            continue;
        }
        if (fr < fv[d - 1]) {
            memcpy(p[d], xr, (size_t)d * sizeof(double));
            fv[d] = fr;
            continue;
        }
        /* contraction: outside when the reflection improved on the worst, else inside */
        bool outside = fr < fv[d];
        for (int j = 0; j < d; j++)
            xe[j] = outside ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (p[d][j] - c[j]);
        double fc = f(xe, ctx);
        n++;
        if (fc < (outside ? fr : fv[d])) {
            memcpy(p[d], xe, (size_t)d * sizeof(double));
            fv[d] = fc;
            continue;
        }
        for (int i = 1; i <= d; i++) {
            for (int j = 0; j < d; j++)
                p[i][j] = p[0][j] + 0.5 * (p[i][j] - p[0][j]);
            fv[i] = f(p[i], ctx);
            n++;
        }
    }
    int best = 0;
    for (int i = 1; i <= d; i++)
        if (fv[i] < fv[best])
            best = i;
    memcpy(x, p[best], (size_t)d * sizeof *x);
    if (evals)
        *evals = n;
    return fv[best];
}

void souk_forecast__rng_init(souk_forecast__rng *r, unsigned long long seed)
{
    r->s = seed;
    r->has_spare = 0;
    r->spare = 0;
}

static double uniform01(souk_forecast__rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
}

double souk_forecast__rng_normal(souk_forecast__rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u = uniform01(r), v = uniform01(r);
    double rad = sqrt(-2 * log(u)), th = 2 * M_PI * v;
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}

double souk_forecast_minimize(double (*f)(const double *x, void *ctx), void *ctx, double *x, const double *step, int d,
                              double tol, int max_evals, int *evals)
{
    int spent = 0;
    if (d < 1 || d > SOUK_FORECAST__DIM_MAX) {
        if (evals)
            *evals = 0;
        return NAN;
    }
    double best = souk_forecast__nelder_mead(f, ctx, x, step, d, tol, max_evals, &spent);
    if (evals)
        *evals = spent;
    return best;
}
