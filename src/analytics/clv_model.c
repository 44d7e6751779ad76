/*
 * clv_model.c — BG/NBD and Gamma-Gamma: log-likelihoods, maximum
 * likelihood by Nelder–Mead over log parameters, and the customer-level
 * expectations. Formulas: Fader, Hardie and Lee, "Counting your customers
 * the easy way" (2005), equations (6), (10) and the P(alive) of its
 * appendix; Fader and Hardie, "The Gamma-Gamma model of monetary value"
 * (2013). Time is in days.
 */
#include "analytics/analytics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/forecast.h"
#include "core/banned.h"

#define RUNS 4
#define EVALS 4000
#define TOL 1e-11

static double lbeta(double a, double b)
{
    return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/* The parts of a customer's log-likelihood that depend on X alone (and the
 * parameters): the first term of FHL's (6) and the two Beta ratios. */
typedef struct ll_terms {
    double a1, b2, b3;
} ll_terms;

static ll_terms terms_of(const souk_analytics_bgnbd *m, double x)
{
    double r = m->r, al = m->alpha, a = m->a, b = m->b;
    ll_terms t = {lgamma(r + x) - lgamma(r) + r * log(al), lbeta(a, b + x) - lbeta(a, b), 0};
    if (x > 0)
        t.b3 = lbeta(a + 1, b + x - 1) - lbeta(a, b);
    return t;
}

static double ll_with(const souk_analytics_bgnbd *m, const ll_terms *t, double x, double tx, double T)
{
    double r = m->r, al = m->alpha;
    double a2 = t->b2 - (r + x) * log(al + T);
    if (x <= 0)
        return t->a1 + a2;
    double a3 = t->b3 - (r + x) * log(al + tx);
    double hi = a2 > a3 ? a2 : a3;
    return t->a1 + hi + log(exp(a2 - hi) + exp(a3 - hi));
}

double souk_analytics_bgnbd_ll(const souk_analytics_bgnbd *m, double x, double tx, double T)
{
    ll_terms t = terms_of(m, x);
    return ll_with(m, &t, x, tx, T);
}

/* What the objectives read: the customers and, for BG/NBD when memory
 * allowed, their distinct X values (XS, NX of them), each customer's index
 * among them (XI) and room for those values' terms (TERMS): the lgamma work
 * done once per distinct X instead of once per customer. */
typedef struct fit_ctx {
    const souk_analytics_clv_customer *c;
    size_t n;
    double *xs;
    size_t nx;
    size_t *xi;
    ll_terms *terms;
} fit_ctx;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sets up FC's distinct X values; without memory FC is left without them. */
static void distinct_x(fit_ctx *fc)
{
    size_t n = fc->n ? fc->n : 1;
    fc->xs = malloc(n * sizeof *fc->xs);
    fc->xi = malloc(n * sizeof *fc->xi);
    fc->terms = malloc(n * sizeof *fc->terms);
    fc->nx = 0;
    if (!fc->xs || !fc->xi || !fc->terms) {
        free(fc->xs);
        free(fc->xi);
        free(fc->terms);
        fc->xs = NULL;
        fc->xi = NULL;
        fc->terms = NULL;
        return;
    }
    for (size_t i = 0; i < fc->n; i++)
        fc->xs[i] = fc->c[i].x;
    qsort(fc->xs, fc->n, sizeof *fc->xs, cmp_double);
    for (size_t i = 0; i < fc->n; i++)
        if (fc->nx == 0 || fc->xs[i] != fc->xs[fc->nx - 1])
            fc->xs[fc->nx++] = fc->xs[i];
    for (size_t i = 0; i < fc->n; i++) {
        size_t lo = 0, hi = fc->nx; /* the first distinct value >= x: x itself */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (fc->xs[mid] < fc->c[i].x)
                lo = mid + 1;
            else
                hi = mid;
        }
        fc->xi[i] = lo;
    }
}

static double bgnbd_obj(const double *th, void *arg)
{
    const fit_ctx *fc = arg;
    for (int i = 0; i < 4; i++)
        if (!(th[i] > -20 && th[i] < 20))
            return INFINITY;
    souk_analytics_bgnbd m = {exp(th[0]), exp(th[1]), exp(th[2]), exp(th[3]), 0, 0};
    double ll = 0;
    if (fc->terms) {
        for (size_t j = 0; j < fc->nx; j++)
            fc->terms[j] = terms_of(&m, fc->xs[j]);
        for (size_t i = 0; i < fc->n; i++)
            ll += ll_with(&m, &fc->terms[fc->xi[i]], fc->c[i].x, fc->c[i].tx, fc->c[i].T);
    } else {
        for (size_t i = 0; i < fc->n; i++)
            ll += souk_analytics_bgnbd_ll(&m, fc->c[i].x, fc->c[i].tx, fc->c[i].T);
    }
    return isfinite(ll) ? -ll / (double)fc->n : INFINITY;
}

/* Nelder–Mead from TH (D dims), restarted from its result while it improves. */
static double minimise(double (*obj)(const double *, void *), fit_ctx *fc, double *th, int d, int *evals)
{
    double step[4] = {0.5, 0.5, 0.5, 0.5}, best = obj(th, fc);
    *evals = 1;
    for (int run = 0; run < RUNS; run++) {
        int e = 0;
        double v = souk_forecast_minimize(obj, fc, th, step, d, TOL, EVALS, &e);
        *evals += e;
        bool better = v < best - 1e-12 * fabs(best);
        if (v < best)
            best = v;
        if (!better && run > 0)
            break;
        for (int i = 0; i < d; i++)
            step[i] *= 0.5;
    }
    return best;
}

int souk_analytics_bgnbd_fit(const souk_analytics_clv_customer *c, size_t n, souk_analytics_bgnbd *out)
{
    memset(out, 0, sizeof *out);
    if (!n)
        return -1;
    double mx = 0, mT = 0;
    for (size_t i = 0; i < n; i++) {
        mx += c[i].x;
        mT += c[i].T;
    }
    mx /= (double)n;
    mT /= (double)n;
    double th[4] = {0, log(fmax(mT, 1) / (mx + 1)), 0, 0};
    fit_ctx fc = {.c = c, .n = n};
    distinct_x(&fc);
    double v = minimise(bgnbd_obj, &fc, th, 4, &out->evals);
    free(fc.xs);
    free(fc.xi);
    free(fc.terms);
    if (!isfinite(v))
        return -1;
    out->r = exp(th[0]);
    out->alpha = exp(th[1]);
    out->a = exp(th[2]);
    out->b = exp(th[3]);
    out->loglik = -v * (double)n;
    return 0;
}

/* Gauss's hypergeometric series 2F1(a, b; c; z), 0 <= z < 1. */
static double hyp2f1(double a, double b, double c, double z)
{
    double term = 1, sum = 1;
    for (int k = 0; k < 200000; k++) {
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
        sum += term;
        if (fabs(term) < 1e-14 * fabs(sum))
            break;
    }
    return sum;
}

double souk_analytics_bgnbd_alive(const souk_analytics_bgnbd *m, double x, double tx, double T)
{
    if (x <= 0)
        return 1;
    double d = (m->a / (m->b + x - 1)) * pow((m->alpha + T) / (m->alpha + tx), m->r + x);
    return 1 / (1 + d);
}

double souk_analytics_bgnbd_expected(const souk_analytics_bgnbd *m, double x, double tx, double T, double t)
{
    double r = m->r, al = m->alpha, a = m->a, b = m->b;
    if (fabs(a - 1) < 1e-9)
        a = 1 + 1e-9; /* the formula's removable singularity */
    double z = t / (al + T + t);
    double head = (a + b + x - 1) / (a - 1);
    double body = 1 - pow((al + T) / (al + T + t), r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z);
    double tail = x > 0 ? 1 + (a / (b + x - 1)) * pow((al + T) / (al + tx), r + x) : 1;
    return head * body / tail;
}

static double gg_obj(const double *th, void *arg)
{
    const fit_ctx *fc = arg;
    for (int i = 0; i < 3; i++)
        if (!(th[i] > -20 && th[i] < 20))
            return INFINITY;
    double p = exp(th[0]), q = exp(th[1]), g = exp(th[2]), ll = 0;
    size_t k = 0;
    for (size_t i = 0; i < fc->n; i++) {
        double x = fc->c[i].x, mx = fc->c[i].m;
        if (x < 1 || !(mx > 0))
            continue;
        ll += lgamma(p * x + q) - lgamma(p * x) - lgamma(q) + q * log(g) + (p * x - 1) * log(mx) + p * x * log(x) -
              (p * x + q) * log(g + mx * x);
        k++;
    }
    return k && isfinite(ll) ? -ll / (double)k : INFINITY;
}

int souk_analytics_gg_fit(const souk_analytics_clv_customer *c, size_t n, souk_analytics_gg *out)
{
    memset(out, 0, sizeof *out);
    double mean = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].x >= 1 && c[i].m > 0) {
            mean += c[i].m;
            k++;
        }
    if (!k)
        return -1;
    mean /= (double)k;
    double th[3] = {log(2.0), log(3.0), log(fmax(mean, 1e-6))}; /* p = 2, q = 3: p gamma / (q - 1) = the mean */
    fit_ctx fc = {.c = c, .n = n};
    double v = minimise(gg_obj, &fc, th, 3, &out->evals);
    if (!isfinite(v))
        return -1;
    out->p = exp(th[0]);
    out->q = exp(th[1]);
    out->gamma = exp(th[2]);
    out->loglik = -v * (double)k;
    return 0;
}

double souk_analytics_gg_mean(const souk_analytics_gg *g, double x, double m)
{
    if (!(g->q > 1))
        return NAN;
    if (x <= 0 || !(m > 0))
        return g->p * g->gamma / (g->q - 1);
    return g->p * (g->gamma + x * m) / (g->p * x + g->q - 1);
}
