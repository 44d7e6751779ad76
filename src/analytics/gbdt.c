/*
 * gbdt.c — gradient-boosted decision trees for a binary label (log-loss),
 * written for the churn model (churn.c) and small enough to read.
 *
 * - Histograms: each feature's training values are cut at up to BINS − 1
 *   quantiles (distinct values only); every row becomes one byte per
 *   feature, and a node's split search is one pass over its rows filling
 *   (gradient, hessian, count) per feature and bin, then a scan of the bins.
 * - Boosting: the margin starts at the training set's log-odds; each tree
 *   is fitted to the log-loss gradient g = p − y and hessian h = p(1 − p)
 *   (Newton boosting): the split gain is GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ),
 *   a leaf's value −G/(H+λ) times the shrinkage. Trees grow depth-first to
 *   the depth limit; a split must leave min_leaf rows on each side.
 * - Deterministic: no sampling, fixed loop orders, and ties between splits
 *   go to the lower feature and bin (a strictly greater gain wins).
 * Prediction compares the raw value with the cut (x <= cut goes left), so
 * a model needs no bins at prediction time.
 */
#include "analytics/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/banned.h"

typedef struct hist {
    double g, h;
    size_t n;
} hist;

typedef struct grow {
    const souk__analytics_gbdt_params *p;
    souk__analytics_gbdt *m;
    int nf;
    const uint8_t *bins; /* n × nf */
    const double *cuts;  /* nf × (BINS_MAX − 1) */
    const int *ncuts;    /* per feature */
    const double *g, *h; /* per row */
    double *margin;      /* per row, updated at the leaves */
    size_t *idx;         /* the rows, partitioned in place */
    hist *hs;            /* nf × bins scratch */
} grow;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Appends a node to M; its index, or -1 out of memory. */
static int32_t node_new(souk__analytics_gbdt *m)
{
    if (m->nnodes >= INT32_MAX || souk_grow(&m->nodes, &m->cap, m->nnodes + 1, sizeof *m->nodes) < 0)
        return -1;
    m->nodes[m->nnodes] = (souk__analytics_gbdt_node){.feature = -1};
    return (int32_t)m->nnodes++;
}

/* Grows the subtree of rows idx[lo, hi) at DEPTH; its node, or -1. */
static int32_t grow_node(grow *w, size_t lo, size_t hi, int depth)
{
    const souk__analytics_gbdt_params *p = w->p;
    double G = 0, H = 0;
    for (size_t i = lo; i < hi; i++) {
        G += w->g[w->idx[i]];
        H += w->h[w->idx[i]];
    }
    size_t n = hi - lo;
    int bf = -1, bb = -1;
    double best = 1e-12, parent = G * G / (H + p->l2);
    if (depth < p->depth && n >= 2 * (size_t)p->min_leaf) {
        memset(w->hs, 0, (size_t)w->nf * (size_t)p->bins * sizeof *w->hs);
        for (size_t i = lo; i < hi; i++) {
            size_t r = w->idx[i];
            const uint8_t *b = w->bins + r * (size_t)w->nf;
            for (int f = 0; f < w->nf; f++) {
                hist *e = &w->hs[(size_t)f * (size_t)p->bins + b[f]];
                e->g += w->g[r];
                e->h += w->h[r];
                e->n++;
            }
        }
        for (int f = 0; f < w->nf; f++) {
            const hist *hf = &w->hs[(size_t)f * (size_t)p->bins];
            double gl = 0, hl = 0;
            size_t nl = 0;
            for (int b = 0; b < w->ncuts[f]; b++) { /* left: bins 0..b */
                gl += hf[b].g;
                hl += hf[b].h;
                nl += hf[b].n;
                if (nl < (size_t)p->min_leaf)
                    continue;
                if (n - nl < (size_t)p->min_leaf)
                    break;
                double gr = G - gl, hr = H - hl;
                double gain = gl * gl / (hl + p->l2) + gr * gr / (hr + p->l2) - parent;
                if (gain > best) {
                    best = gain;
                    bf = f;
                    bb = b;
                }
            }
        }
    }
    int32_t me = node_new(w->m);
    if (me < 0)
        return -1;
    if (bf < 0) { /* a leaf */
        double v = -p->shrinkage * G / (H + p->l2);
        w->m->nodes[me].value = v;
        for (size_t i = lo; i < hi; i++)
            w->margin[w->idx[i]] += v;
        return me;
    }
    size_t a = lo, z = hi; /* rows with bin <= bb first */
    while (a < z) {
        if (w->bins[w->idx[a] * (size_t)w->nf + (size_t)bf] <= bb) {
            a++;
        } else {
            size_t t = w->idx[a];
            w->idx[a] = w->idx[--z];
            w->idx[z] = t;
        }
    }
    int32_t l = grow_node(w, lo, a, depth + 1);
    if (l < 0)
        return -1;
    int32_t r = grow_node(w, a, hi, depth + 1);
    if (r < 0)
        return -1;
    souk__analytics_gbdt_node *d = &w->m->nodes[me]; /* after the children: the array may have moved */
    d->feature = bf;
    d->threshold = w->cuts[(size_t)bf * (SOUK_ANALYTICS_GBDT_BINS_MAX - 1) + (size_t)bb];
    d->left = l;
    d->right = r;
    return me;
}

int souk__analytics_gbdt_fit(souk__analytics_gbdt *m, const souk__analytics_gbdt_params *p, const double *x,
                             const uint8_t *y, size_t n, int nf)
{
    memset(m, 0, sizeof *m);
    if (!p || nf < 1 || nf > SOUK_ANALYTICS_GBDT_FEATURES_MAX || p->trees < 0 || p->depth < 1 || p->depth > 12 ||
        p->min_leaf < 1 || !(p->shrinkage > 0 && p->shrinkage <= 1) || !(p->l2 >= 0) || p->bins < 2 ||
        p->bins > SOUK_ANALYTICS_GBDT_BINS_MAX)
        return -1;
    m->nf = nf;
    double pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += y[i] != 0;
    double rate = n ? (pos + 0.5) / ((double)n + 1) : 0.5; /* smoothed: finite for one class */
    m->base = log(rate / (1 - rate));
    if (!n || !p->trees)
        return 0;
    int rc = -1;
    size_t nn = n; /* rows */
    uint8_t *bins = malloc(nn * (size_t)nf);
    double *cuts = malloc((size_t)nf * (SOUK_ANALYTICS_GBDT_BINS_MAX - 1) * sizeof *cuts);
    int *ncuts = calloc((size_t)nf, sizeof *ncuts);
    double *col = malloc(nn * sizeof *col), *g = malloc(nn * sizeof *g), *h = malloc(nn * sizeof *h);
    double *margin = malloc(nn * sizeof *margin);
    size_t *idx = malloc(nn * sizeof *idx);
    hist *hs = malloc((size_t)nf * (size_t)p->bins * sizeof *hs);
    m->roots = malloc((size_t)p->trees * sizeof *m->roots);
    if (!bins || !cuts || !ncuts || !col || !g || !h || !margin || !idx || !hs || !m->roots)
        goto done;
    for (int f = 0; f < nf; f++) { /* the cuts: distinct quantiles below the greatest value */
        for (size_t i = 0; i < nn; i++)
            col[i] = x[i * (size_t)nf + (size_t)f];
        qsort(col, nn, sizeof *col, cmp_double);
        double *cf = cuts + (size_t)f * (SOUK_ANALYTICS_GBDT_BINS_MAX - 1);
        for (int b = 1; b < p->bins; b++) {
            size_t at = (size_t)b * nn / (size_t)p->bins;
            double v = col[at ? at - 1 : 0];
            if (v < col[nn - 1] && (ncuts[f] == 0 || v > cf[ncuts[f] - 1]))
                cf[ncuts[f]++] = v;
        }
        for (size_t i = 0; i < nn; i++) { /* the first cut at or above the value */
            double v = x[i * (size_t)nf + (size_t)f];
            int lo = 0, hi = ncuts[f];
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (v <= cf[mid])
                    hi = mid;
                else
                    lo = mid + 1;
            }
            bins[i * (size_t)nf + (size_t)f] = (uint8_t)lo;
        }
    }
    for (size_t i = 0; i < nn; i++)
        margin[i] = m->base;
    grow w = {.p = p,
              .m = m,
              .nf = nf,
              .bins = bins,
              .cuts = cuts,
              .ncuts = ncuts,
              .g = g,
              .h = h,
              .margin = margin,
              .idx = idx,
              .hs = hs};
    for (int t = 0; t < p->trees; t++) {
        for (size_t i = 0; i < nn; i++) {
            double pr = 1.0 / (1.0 + exp(-margin[i]));
            g[i] = pr - (y[i] != 0);
            h[i] = fmax(pr * (1 - pr), 1e-6);
            idx[i] = i;
        }
        int32_t root = grow_node(&w, 0, nn, 0);
        if (root < 0)
            goto done;
        m->roots[m->ntrees++] = root;
    }
    rc = 0;
done:
    free(bins);
    free(cuts);
    free(ncuts);
    free(col);
    free(g);
    free(h);
    free(margin);
    free(idx);
    free(hs);
    if (rc < 0)
        souk__analytics_gbdt_release(m);
    return rc;
}

double souk__analytics_gbdt_tree(const souk__analytics_gbdt *m, int t, const double *x)
{
    const souk__analytics_gbdt_node *d = &m->nodes[m->roots[t]];
    while (d->feature >= 0)
        d = &m->nodes[x[d->feature] <= d->threshold ? d->left : d->right];
    return d->value;
}

double souk__analytics_gbdt_predict(const souk__analytics_gbdt *m, const double *x, int trees)
{
    double z = m->base;
    int k = trees < 0 || trees > m->ntrees ? m->ntrees : trees;
    for (int t = 0; t < k; t++)
        z += souk__analytics_gbdt_tree(m, t, x);
    return 1.0 / (1.0 + exp(-z));
}

void souk__analytics_gbdt_release(souk__analytics_gbdt *m)
{
    free(m->nodes);
    free(m->roots);
    memset(m, 0, sizeof *m);
}
