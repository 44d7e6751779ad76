/*
 * logit.c — the logistic regression of the churn model and the AUC both
 * churn models are judged by.
 *
 * The features are standardised by the training set's means and deviations
 * (a constant feature gets weight 0), then Newton's method (IRLS) with a
 * small L2 penalty on the weights, not the intercept: a (nf+1)² solve per
 * iteration, converged in a handful. The AUC is the rank-sum (Mann–Whitney)
 * statistic with ties counted a half.
 */
#include "analytics/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define NP_MAX (SOUK_ANALYTICS_LOGIT_FEATURES_MAX + 1)
#define L2 1e-3       /* the default penalty on the coefficients, per row */
#define NEWTON_MAX 25 /* iterations */

static double zval(const souk__analytics_logit *md, const double *x, int j)
{
    return md->sd[j] > 1e-12 ? (x[j] - md->mean[j]) / md->sd[j] : 0;
}

double souk__analytics_logit_predict(const souk__analytics_logit *md, const double *x)
{
    double z = md->w[0];
    for (int j = 0; j < md->nf; j++)
        z += md->w[1 + j] * zval(md, x, j);
    return 1.0 / (1.0 + exp(-z));
}

/* Solves A (NP × NP, destroyed) x = B in place by Gaussian elimination
 * with partial pivoting. 0, or -1 when singular. */
static int solve(int np, double a[NP_MAX][NP_MAX], double *b)
{
    for (int col = 0; col < np; col++) {
        int piv = col;
        for (int r = col + 1; r < np; r++)
            if (fabs(a[r][col]) > fabs(a[piv][col]))
                piv = r;
        if (fabs(a[piv][col]) < 1e-12)
            return -1;
        for (int k = 0; k < np; k++) {
            double t = a[col][k];
            a[col][k] = a[piv][k];
            a[piv][k] = t;
        }
        double t = b[col];
        b[col] = b[piv];
        b[piv] = t;
        for (int r = col + 1; r < np; r++) {
            double fct = a[r][col] / a[col][col];
            for (int k = col; k < np; k++)
                a[r][k] -= fct * a[col][k];
            b[r] -= fct * b[col];
        }
    }
    for (int r = np - 1; r >= 0; r--) {
        for (int k = r + 1; k < np; k++)
            b[r] -= a[r][k] * b[k];
        b[r] /= a[r][r];
    }
    return 0;
}

int souk__analytics_logit_fit(souk__analytics_logit *md, const double *x, const uint8_t *y, size_t n, int nf)
{
    return souk__analytics_logit_fit_l2(md, x, y, n, nf, L2);
}

int souk__analytics_logit_fit_l2(souk__analytics_logit *md, const double *x, const uint8_t *y, size_t n, int nf,
                                 double l2)
{
    memset(md, 0, sizeof *md);
    if (nf < 1 || nf > SOUK_ANALYTICS_LOGIT_FEATURES_MAX)
        return -1;
    md->nf = nf;
    int np = nf + 1;
    for (int j = 0; j < nf; j++) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++)
            mean += x[i * (size_t)nf + (size_t)j];
        mean = n ? mean / (double)n : 0;
        for (size_t i = 0; i < n; i++) {
            double d = x[i * (size_t)nf + (size_t)j] - mean;
            var += d * d;
        }
        md->mean[j] = mean;
        md->sd[j] = n ? sqrt(var / (double)n) : 0;
    }
    for (int it = 0; it < NEWTON_MAX; it++) {
        double h[NP_MAX][NP_MAX] = {{0}}, g[NP_MAX] = {0};
        for (size_t i = 0; i < n; i++) {
            const double *xi = x + i * (size_t)nf;
            double z[NP_MAX] = {1};
            for (int j = 0; j < nf; j++)
                z[1 + j] = zval(md, xi, j);
            double pr = souk__analytics_logit_predict(md, xi), wgt = pr * (1 - pr);
            for (int a = 0; a < np; a++) {
                g[a] += (pr - (y[i] != 0)) * z[a];
                for (int b = 0; b < np; b++)
                    h[a][b] += wgt * z[a] * z[b];
            }
        }
        for (int a = 1; a < np; a++) {
            g[a] += l2 * (double)n * md->w[a];
            h[a][a] += l2 * (double)n;
        }
        h[0][0] += 1e-9;
        if (solve(np, h, g) < 0)
            break;
        double step = 0;
        for (int a = 0; a < np; a++) {
            md->w[a] -= g[a];
            step += fabs(g[a]);
        }
        if (step < 1e-8)
            break;
    }
    return 0;
}

typedef struct ranked {
    double score;
    uint8_t label;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const ranked *)a)->score, y = ((const ranked *)b)->score;
    return x < y ? -1 : x > y;
}

double souk__analytics_auc(const double *score, const uint8_t *label, size_t n)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    if (!r)
        return -2;
    for (size_t i = 0; i < n; i++)
        r[i] = (ranked){score[i], label[i] != 0};
    qsort(r, n, sizeof *r, cmp_ranked);
    double pos = 0, ranks = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && r[j].score == r[i].score)
            j++;
        double avg = ((double)i + (double)j + 1) / 2.0; /* ranks i+1..j */
        for (size_t k = i; k < j; k++)
            if (r[k].label) {
                pos++;
                ranks += avg;
            }
        i = j;
    }
    free(r);
    double neg = (double)n - pos;
    if (pos == 0 || neg == 0)
        return -1;
    return (ranks - pos * (pos + 1) / 2) / (pos * neg);
}
