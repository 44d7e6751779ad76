/*
 * internal.h — what the files of src/forecast share and nobody else uses.
 */
#ifndef SOUK_FORECAST_INTERNAL_H
#define SOUK_FORECAST_INTERNAL_H

#include <stddef.h>

#include "forecast/forecast.h"

/* dimensions the optimiser handles: 4 smoothing parameters, level, slope, m - 1 seasonal states */
#define SOUK_FORECAST__DIM_MAX (6 + SOUK_FORECAST_ETS_M_MAX)

typedef double (*souk_forecast__objective)(const double *x, void *ctx);

/* Minimises F over R^D (D <= SOUK_FORECAST__DIM_MAX) from X (overwritten
 * with the best point found) by Nelder–Mead with initial steps STEP[0..D);
 * stops when the simplex's values agree within TOL (relative, absolute
 * below 1) or after MAX_EVALS evaluations. Returns the best value; *EVALS
 * the evaluations spent. Allocates nothing. */
double souk_forecast__nelder_mead(souk_forecast__objective f, void *ctx, double *x, const double *step, int d,
                                  double tol, int max_evals, int *evals);

/* A deterministic generator: splitmix64 state and standard normal draws (Box–Muller). */
typedef struct {
    unsigned long long s;
    double spare;
    int has_spare;
} souk_forecast__rng;

void souk_forecast__rng_init(souk_forecast__rng *r, unsigned long long seed);
double souk_forecast__rng_normal(souk_forecast__rng *r);

#endif
