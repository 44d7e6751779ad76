/*
 * als.c — implicit-feedback ALS (Hu, Koren & Volinsky, "Collaborative
 * Filtering for Implicit Feedback Datasets", ICDM 2008) with the
 * conjugate-gradient row solves of Takács, Pilászy & Tikk ("Applications of
 * the conjugate gradient method for implicit feedback collaborative
 * filtering", RecSys 2011).
 *
 * Every observed entry r_ui > 0 has preference p_ui = 1 and confidence
 * c_ui = 1 + alpha·s(r_ui); every other pair p = 0, c = 1. The loss
 *     L = Σ_ui c_ui (p_ui − x_uᵀy_i)² + λ (Σ_u |x_u|² + Σ_i |y_i|²)
 * is minimised by alternating: with Y fixed each user row solves
 *     (YᵀY + λI + Σ_{i∈u} (c_ui − 1) y_i y_iᵀ) x_u = Σ_{i∈u} c_ui y_i
 * and then the same for items with X fixed. YᵀY is one dsyrk per half
 * iteration; the k×k system of a row is never formed: a few CG steps from
 * the current x_u each need A·p = (YᵀY + λI)·p + Σ (c − 1)(y_iᵀp) y_i, the
 * dense part done for a block of rows at once by one dgemm, the sparse part
 * by a dot and an axpy per entry. Each CG step from the current x lowers the
 * row's quadratic, so L falls every iteration. Cost per half iteration
 * ≈ (cg_steps + 1)·(2·rows·k² + 4·nnz·k) flops.
 *
 * Rows are handed out in blocks of ROWS_PER_BLOCK to the worker threads
 * from one atomic counter (the power law makes static halves unequal).
 * OpenBLAS runs on one thread inside the workers (openblas_set_num_threads
 * is process-wide; the caller's setting is restored at the end).
 */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recommend/internal.h"
#include "core/banned.h"

#define ROWS_PER_BLOCK 64
#define INIT_SCALE 0.01

void souk_rec_als_params_default(souk_rec_als_params *p)
{
    memset(p, 0, sizeof *p);
    p->factors = 64;
    p->iterations = 15;
    p->alpha = 40;
    p->lambda = 0.1;
    p->cg_steps = 3;
    p->seed = 42;
}

/* dot and axpy on pairs of doubles (GCC/Clang vector extensions, SSE2 in the
 * default build): the per-entry loops are most of the training time. */
typedef double v2d __attribute__((vector_size(16)));

static inline v2d load2(const double *p)
{
    v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline double dot(const double *restrict a, const double *restrict b, unsigned k)
{
    v2d s0 = {0, 0}, s1 = {0, 0};
    unsigned j = 0;
    for (; j + 4 <= k; j += 4) {
        s0 += load2(a + j) * load2(b + j);
        s1 += load2(a + j + 2) * load2(b + j + 2);
    }
    v2d s = s0 + s1;
    double r = s[0] + s[1];
    for (; j < k; j++)
        r += a[j] * b[j];
    return r;
}

static inline void axpy(double a, const double *restrict x, double *restrict y, unsigned k)
{
    v2d va = {a, a};
    unsigned j = 0;
    for (; j + 2 <= k; j += 2) {
        v2d v = load2(y + j) + va * load2(x + j);
        memcpy(y + j, &v, sizeof v);
    }
    for (; j < k; j++)
        y[j] += a * x[j];
}

/* One half iteration: the rows of one side against the
 * fixed factors of the other. */
typedef struct {
    const size_t *ptr;
    const uint32_t *idx;
    const double *cm1; /* c − 1 per entry */
    size_t nrows;
    double *x;       /* rows × k: solved in place */
    const double *y; /* the other side */
    const double *g; /* k × k, full: YᵀY + λI */
    unsigned k, cg;
    int with_loss;      /* 1: also sum Σ_obs [c(1 − s)² − s²] over the solved rows */
    atomic_size_t next; /* the next block's first row */
    double partial[SOUK_REC_THREADS_MAX];
    atomic_int failed;
} half;

typedef struct {
    half *h;
    unsigned id;
} worker_arg;

/* Asks for the factor row of entry E (when it exists) ahead of its use:
 * the rows are gathered at random and their latency bounds the solves. */
static inline void prefetch_row(const half *h, size_t e, size_t end)
{
    if (e < end) {
        const char *row = (const char *)(h->y + (size_t)h->idx[e] * h->k);
        for (size_t off = 0; off < h->k * sizeof(double); off += 64)
            __builtin_prefetch(row + off);
    }
}

static void solve_block(half *h, size_t r0, size_t nb, double *R, double *P, double *AP, double *rs, char *active)
{
    const unsigned k = h->k;
    double *X = h->x + r0 * k;
    /* AP = X·G: the dense part of A·x for the whole block */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)k, (int)k, 1.0, X, (int)k, h->g, (int)k, 0.0,
                AP, (int)k);
    for (size_t b = 0; b < nb; b++) {
        size_t u = r0 + b;
        double *x = X + b * k, *r = R + b * k, *p = P + b * k;
        const double *ax = AP + b * k;
        active[b] = h->ptr[u + 1] > h->ptr[u];
        if (!active[b]) {
            memset(x, 0, k * sizeof *x); /* no data: the solution is 0 */
            memset(p, 0, k * sizeof *p);
            continue;
        }
        /* r = b − A·x = Σ (c − (c − 1)·yᵀx) y − (G·x) */
        for (unsigned j = 0; j < k; j++)
            r[j] = -ax[j];
        for (size_t e = h->ptr[u]; e < h->ptr[u + 1]; e++) {
            const double *yi = h->y + (size_t)h->idx[e] * k;
            prefetch_row(h, e + 4, h->ptr[u + 1]);
            double c1 = h->cm1[e];
            axpy(1.0 + c1 - c1 * dot(yi, x, k), yi, r, k);
        }
        memcpy(p, r, k * sizeof *p);
        rs[b] = dot(r, r, k);
        if (rs[b] < 1e-20) {
            active[b] = 0;
            memset(p, 0, k * sizeof *p);
        }
    }
    for (unsigned step = 0; step < h->cg; step++) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)k, (int)k, 1.0, P, (int)k, h->g, (int)k,
                    0.0, AP, (int)k);
        int any = 0;
        for (size_t b = 0; b < nb; b++) {
            if (!active[b])
                continue;
            size_t u = r0 + b;
            double *x = X + b * k, *r = R + b * k, *p = P + b * k, *ap = AP + b * k;
            for (size_t e = h->ptr[u]; e < h->ptr[u + 1]; e++) {
                const double *yi = h->y + (size_t)h->idx[e] * k;
                prefetch_row(h, e + 4, h->ptr[u + 1]);
                axpy(h->cm1[e] * dot(yi, p, k), yi, ap, k);
            }
            double pap = dot(p, ap, k);
            if (!(pap > 0)) {
                active[b] = 0;
                memset(p, 0, k * sizeof *p);
                continue;
            }
            double a = rs[b] / pap;
            axpy(a, p, x, k);
            axpy(-a, ap, r, k);
            double rsnew = dot(r, r, k);
            if (rsnew < 1e-20) {
                active[b] = 0;
                memset(p, 0, k * sizeof *p);
                continue;
            }
            double beta = rsnew / rs[b];
            for (unsigned j = 0; j < k; j++)
                p[j] = r[j] + beta * p[j];
            rs[b] = rsnew;
            any = 1;
        }
        if (!any)
            break;
    }
}

static double loss_block(const half *h, size_t r0, size_t nb)
{
    const unsigned k = h->k;
    double sum = 0;
    for (size_t u = r0; u < r0 + nb; u++) {
        const double *x = h->x + u * k;
        for (size_t e = h->ptr[u]; e < h->ptr[u + 1]; e++) {
            double s = dot(h->y + (size_t)h->idx[e] * k, x, k);
            double c = 1.0 + h->cm1[e];
            sum += c * (1 - s) * (1 - s) - s * s;
        }
    }
    return sum;
}

static void *worker(void *arg)
{
    worker_arg *w = arg;
    half *h = w->h;
    const unsigned k = h->k;
    double *buf = NULL;
    char *active = NULL;
    buf = malloc(((size_t)3 * ROWS_PER_BLOCK * k + ROWS_PER_BLOCK) * sizeof *buf);
    active = malloc(ROWS_PER_BLOCK);
    if (!buf || !active) {
        atomic_store(&h->failed, 1);
        free(buf);
        free(active);
        return NULL;
    }
    double sum = 0;
    for (;;) {
        size_t r0 = atomic_fetch_add(&h->next, ROWS_PER_BLOCK);
        if (r0 >= h->nrows)
            break;
        size_t nb = h->nrows - r0 < ROWS_PER_BLOCK ? h->nrows - r0 : ROWS_PER_BLOCK;
        solve_block(h, r0, nb, buf, buf + (size_t)ROWS_PER_BLOCK * k, buf + (size_t)2 * ROWS_PER_BLOCK * k,
                    buf + (size_t)3 * ROWS_PER_BLOCK * k, active);
        /* the block's rows are final and their entries' factor rows still in
         * cache: their share of the loss costs one more dot per entry here,
         * instead of a pass of its own */
        if (h->with_loss)
            sum += loss_block(h, r0, nb);
    }
    h->partial[w->id] = sum;
    free(buf);
    free(active);
    return NULL;
}

/* Runs H over its rows on NT threads (the calling one among them); 0 or
 * SOUK_REC_E_NOMEM. */
static int run(half *h, unsigned nt)
{
    pthread_t tid[SOUK_REC_THREADS_MAX];
    worker_arg args[SOUK_REC_THREADS_MAX];
    atomic_store(&h->next, 0);
    atomic_store(&h->failed, 0);
    unsigned started = 1;
    for (unsigned t = 0; t < nt; t++) {
        args[t] = (worker_arg){h, t};
        h->partial[t] = 0;
    }
    for (unsigned t = 1; t < nt; t++) {
        if (pthread_create(&tid[t], NULL, worker, &args[t]) != 0)
            break; /* fewer threads: the others take the rows */
        started++;
    }
    worker(&args[0]);
    for (unsigned t = 1; t < started; t++)
        pthread_join(tid[t], NULL);
    return atomic_load(&h->failed) ? SOUK_REC_E_NOMEM : 0;
}

/* G = FᵀF (+ λI when LAMBDA > 0) for the N × K factors F, both triangles. */
static void gram(const double *f, size_t n, unsigned k, double lambda, double *g)
{
    if (n == 0)
        memset(g, 0, (size_t)k * k * sizeof *g);
    else
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)k, (int)n, 1.0, f, (int)k, 0.0, g, (int)k);
    for (unsigned a = 0; a < k; a++) {
        for (unsigned b = 0; b < a; b++)
            g[(size_t)a * k + b] = g[(size_t)b * k + a];
        g[(size_t)a * k + a] += lambda;
    }
}

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > SOUK_REC_THREADS_MAX ? SOUK_REC_THREADS_MAX : (unsigned)n;
}

int souk__rec_model_alloc(struct souk_rec_model *m, size_t nusers, size_t nitems, unsigned k)
{
    memset(m, 0, sizeof *m);
    m->nusers = nusers;
    m->nitems = nitems;
    m->k = k;
    m->user_ids = calloc(nusers ? nusers : 1, sizeof *m->user_ids);
    m->item_ids = calloc(nitems ? nitems : 1, sizeof *m->item_ids);
    m->x = calloc(nusers ? nusers * k : 1, sizeof *m->x);
    m->y = calloc(nitems ? nitems * k : 1, sizeof *m->y);
    m->y_norm = calloc(nitems ? nitems : 1, sizeof *m->y_norm);
    m->popularity = calloc(nitems ? nitems : 1, sizeof *m->popularity);
    m->by_popularity = calloc(nitems ? nitems : 1, sizeof *m->by_popularity);
    if (!m->user_ids || !m->item_ids || !m->x || !m->y || !m->y_norm || !m->popularity || !m->by_popularity)
        return SOUK_REC_E_NOMEM;
    return 0;
}

int souk_rec_als_train(const souk_rec_data *d, const souk_rec_als_params *pin, souk_rec_model **out)
{
    *out = NULL;
    souk_rec_als_params p;
    if (pin)
        p = *pin;
    else
        souk_rec_als_params_default(&p);
    if (!d || p.factors < 1 || p.factors > SOUK_REC_FACTORS_MAX || p.iterations < 1 ||
        p.iterations > SOUK_REC_ITERATIONS_MAX || !(p.alpha >= 0) || !isfinite(p.alpha) || !(p.lambda > 0) ||
        !isfinite(p.lambda) || p.cg_steps < 1 || p.cg_steps > SOUK_REC_FACTORS_MAX || p.threads > SOUK_REC_THREADS_MAX)
        return SOUK_REC_E_INVAL;
    if (d->nusers > SOUK_REC_ROWS_MAX || d->nitems > SOUK_REC_ROWS_MAX)
        return SOUK_REC_E_LIMIT;
    const unsigned k = p.factors, nt = p.threads ? p.threads : default_threads();
    struct souk_rec_model *m = malloc(sizeof *m);
    double *ucm1 = malloc((d->nnz ? d->nnz : 1) * sizeof *ucm1);
    double *icm1 = malloc((d->nnz ? d->nnz : 1) * sizeof *icm1);
    double *g = malloc((size_t)k * k * sizeof *g), *g2 = malloc((size_t)k * k * sizeof *g2);
    half *h = malloc(sizeof *h);
    int rc = SOUK_REC_E_NOMEM;
    if (!m || !ucm1 || !icm1 || !g || !g2 || !h) {
        free(m);
        m = NULL;
        goto done;
    }
    if ((rc = souk__rec_model_alloc(m, d->nusers, d->nitems, k)) < 0)
        goto done;
    memcpy(m->user_ids, d->user_ids, d->nusers * sizeof *m->user_ids);
    memcpy(m->item_ids, d->item_ids, d->nitems * sizeof *m->item_ids);
    m->alpha = p.alpha;
    m->lambda = p.lambda;
    m->iterations = p.iterations;
    m->log_scale = p.log_scale;
    for (size_t e = 0; e < d->nnz; e++) {
        ucm1[e] = p.alpha * (p.log_scale ? log1p(d->u_val[e]) : d->u_val[e]);
        icm1[e] = p.alpha * (p.log_scale ? log1p(d->i_val[e]) : d->i_val[e]);
    }
    for (size_t i = 0; i < d->nitems; i++) {
        size_t c = d->i_ptr[i + 1] - d->i_ptr[i];
        m->popularity[i] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    }
    uint64_t seed = p.seed;
    for (size_t j = 0; j < d->nusers * k; j++)
        m->x[j] = souk__rec_uniform(&seed) * INIT_SCALE;
    for (size_t j = 0; j < d->nitems * k; j++)
        m->y[j] = souk__rec_uniform(&seed) * INIT_SCALE;

    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    for (unsigned it = 1; it <= p.iterations; it++) {
        /* users given items, then items given users */
        gram(m->y, d->nitems, k, p.lambda, g);
        memset(h, 0, sizeof *h);
        *h = (half){.ptr = d->u_ptr,
                    .idx = d->u_item,
                    .cm1 = ucm1,
                    .nrows = d->nusers,
                    .x = m->x,
                    .y = m->y,
                    .g = g,
                    .k = k,
                    .cg = p.cg_steps};
        if ((rc = run(h, nt)) < 0)
            break;
        gram(m->x, d->nusers, k, p.lambda, g);
        *h = (half){.ptr = d->i_ptr,
                    .idx = d->i_user,
                    .cm1 = icm1,
                    .nrows = d->nitems,
                    .x = m->y,
                    .y = m->x,
                    .g = g,
                    .k = k,
                    .cg = p.cg_steps,
                    .with_loss = 1};
        if ((rc = run(h, nt)) < 0)
            break;
        /* L = tr(XᵀX·YᵀY) + Σ_obs [c(1 − s)² − s²] + λ(|X|² + |Y|²) */
        gram(m->x, d->nusers, k, 0, g);
        gram(m->y, d->nitems, k, 0, g2);
        double loss = 0;
        for (size_t j = 0; j < (size_t)k * k; j++)
            loss += g[j] * g2[j];
        for (unsigned a = 0; a < k; a++)
            loss += p.lambda * (g[(size_t)a * k + a] + g2[(size_t)a * k + a]);
        for (unsigned t = 0; t < nt; t++)
            loss += h->partial[t];
        m->loss = loss;
        if (p.progress && p.progress(p.progress_ctx, it, p.iterations, loss)) {
            rc = SOUK_REC_E_ABORT;
            break;
        }
    }
    openblas_set_num_threads(blas_threads);
    if (rc == 0)
        rc = souk__rec_model_finish(m);
done:
    free(ucm1);
    free(icm1);
    free(g);
    free(g2);
    free(h);
    if (rc < 0) {
        souk_rec_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
