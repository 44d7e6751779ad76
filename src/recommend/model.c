/*
 * model.c — serving from a trained model: "for you" scores x_uᵀy_i with
 * exclusions and the caller's filter, similar items by cosine of item
 * factors, popularity for users the model does not know; and the top-k
 * selector the other recommenders share. A full scan of the items per call:
 * O(nitems·k) for a user, which is what a catalogue of 10⁵ items affords.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/internal.h"
#include "core/banned.h"

void souk_rec_model_free(souk_rec_model *m)
{
    if (!m)
        return;
    free(m->user_ids);
    free(m->item_ids);
    free(m->x);
    free(m->y);
    free(m->y_norm);
    free(m->popularity);
    free(m->by_popularity);
    free(m);
}

size_t souk_rec_model_users(const souk_rec_model *m)
{
    return m->nusers;
}

size_t souk_rec_model_items(const souk_rec_model *m)
{
    return m->nitems;
}

unsigned souk_rec_model_factors(const souk_rec_model *m)
{
    return m->k;
}

double souk_rec_model_loss(const souk_rec_model *m)
{
    return m->loss;
}

/* ---- top k ---- */

int souk__rec_top_init(souk__rec_top *t, size_t k)
{
    t->k = k ? k : 1;
    t->n = 0;
    t->score = malloc(t->k * sizeof *t->score);
    t->idx = malloc(t->k * sizeof *t->idx);
    if (!t->score || !t->idx) {
        souk__rec_top_release(t);
        return SOUK_REC_E_NOMEM;
    }
    return 0;
}

void souk__rec_top_release(souk__rec_top *t)
{
    free(t->score);
    free(t->idx);
    t->score = NULL;
    t->idx = NULL;
    t->n = 0;
}

/* a is worse than b: lower score, or equal score and higher index */
static inline int worse(double sa, uint32_t ia, double sb, uint32_t ib)
{
    return sa < sb || (sa == sb && ia > ib);
}

static void sift_down(souk__rec_top *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && worse(t->score[l], t->idx[l], t->score[m], t->idx[m]))
            m = l;
        if (r < t->n && worse(t->score[r], t->idx[r], t->score[m], t->idx[m]))
            m = r;
        if (m == i)
            return;
        double s = t->score[i];
        uint32_t x = t->idx[i];
        t->score[i] = t->score[m];
        t->idx[i] = t->idx[m];
        t->score[m] = s;
        t->idx[m] = x;
        i = m;
    }
}

void souk__rec_top_push(souk__rec_top *t, double score, uint32_t idx)
{
    if (t->n < t->k) {
        size_t i = t->n++;
        t->score[i] = score;
        t->idx[i] = idx;
        while (i > 0) {
            size_t up = (i - 1) / 2;
            if (!worse(t->score[i], t->idx[i], t->score[up], t->idx[up]))
                break;
            double s = t->score[i];
            uint32_t x = t->idx[i];
            t->score[i] = t->score[up];
            t->idx[i] = t->idx[up];
            t->score[up] = s;
            t->idx[up] = x;
            i = up;
        }
        return;
    }
    if (worse(score, idx, t->score[0], t->idx[0]) || (score == t->score[0] && idx == t->idx[0]))
        return;
    t->score[0] = score;
    t->idx[0] = idx;
    sift_down(t, 0);
}

size_t souk__rec_top_sort(souk__rec_top *t)
{
    /* heap sort: pop the worst to the end */
    size_t n = t->n;
    while (t->n > 1) {
        size_t last = --t->n;
        double s = t->score[0];
        uint32_t x = t->idx[0];
        t->score[0] = t->score[last];
        t->idx[0] = t->idx[last];
        t->score[last] = s;
        t->idx[last] = x;
        sift_down(t, 0);
    }
    t->n = n;
    return n;
}

/* ---- the model ---- */

int souk__rec_model_finish(struct souk_rec_model *m)
{
    for (size_t i = 0; i < m->nitems; i++) {
        const double *y = m->y + i * m->k;
        double s = 0;
        for (unsigned j = 0; j < m->k; j++)
            s += y[j] * y[j];
        m->y_norm[i] = sqrt(s);
    }
    souk__rec_top t;
    if (m->nitems == 0)
        return 0;
    if (souk__rec_top_init(&t, m->nitems) < 0)
        return SOUK_REC_E_NOMEM;
    for (size_t i = 0; i < m->nitems; i++)
        souk__rec_top_push(&t, m->popularity[i], (uint32_t)i);
    souk__rec_top_sort(&t);
    memcpy(m->by_popularity, t.idx, m->nitems * sizeof *t.idx);
    souk__rec_top_release(&t);
    return 0;
}

void souk__rec_model_scores(const struct souk_rec_model *m, size_t u, double *out)
{
    const double *x = m->x + u * m->k;
    for (size_t i = 0; i < m->nitems; i++) {
        const double *y = m->y + i * m->k;
        double s = 0;
        for (unsigned j = 0; j < m->k; j++)
            s += x[j] * y[j];
        out[i] = s;
    }
}

/* A bitmap of the excluded item indices. NULL when memory runs out. */
static unsigned char *excluded(const struct souk_rec_model *m, const int64_t *exclude, size_t n)
{
    unsigned char *bits = calloc(m->nitems / 8 + 1, 1);
    if (!bits)
        return NULL;
    for (size_t j = 0; j < n; j++) {
        long i = souk__rec_find(m->item_ids, m->nitems, exclude[j]);
        if (i >= 0)
            bits[i / 8] |= (unsigned char)(1u << (i % 8));
    }
    return bits;
}

static long emit(const struct souk_rec_model *m, souk__rec_top *t, souk_rec_scored *out)
{
    size_t n = souk__rec_top_sort(t);
    for (size_t j = 0; j < n; j++)
        out[j] = (souk_rec_scored){m->item_ids[t->idx[j]], t->score[j]};
    souk__rec_top_release(t);
    return (long)n;
}

long souk_rec_model_recommend(const souk_rec_model *m, int64_t user, const int64_t *exclude, size_t nexclude,
                              souk_rec_keep_fn keep, void *keep_ctx, size_t k, souk_rec_scored *out)
{
    if (!m || k < 1 || k > SOUK_REC_K_MAX || !out || (nexclude && !exclude))
        return SOUK_REC_E_INVAL;
    unsigned char *bits = excluded(m, exclude, nexclude);
    if (!bits)
        return SOUK_REC_E_NOMEM;
    long u = souk__rec_find(m->user_ids, m->nusers, user);
    souk__rec_top t;
    if (souk__rec_top_init(&t, k) < 0) {
        free(bits);
        return SOUK_REC_E_NOMEM;
    }
    if (u < 0) {
        /* unknown user: popularity, in order, until K are kept */
        for (size_t j = 0; j < m->nitems && t.n < k; j++) {
            uint32_t i = m->by_popularity[j];
            if (bits[i / 8] & (1u << (i % 8)) || (keep && !keep(keep_ctx, m->item_ids[i])))
                continue;
            souk__rec_top_push(&t, m->popularity[i], i);
        }
    } else {
        const double *x = m->x + (size_t)u * m->k;
        for (size_t i = 0; i < m->nitems; i++) {
            if (bits[i / 8] & (1u << (i % 8)))
                continue;
            const double *y = m->y + i * m->k;
            double s = 0;
            for (unsigned j = 0; j < m->k; j++)
                s += x[j] * y[j];
            if (t.n == t.k && s < t.score[0])
                continue; /* cannot enter: skip the filter call */
            if (keep && !keep(keep_ctx, m->item_ids[i]))
                continue;
            souk__rec_top_push(&t, s, (uint32_t)i);
        }
    }
    free(bits);
    return emit(m, &t, out);
}

long souk_rec_model_similar(const souk_rec_model *m, int64_t item, souk_rec_keep_fn keep, void *keep_ctx, size_t k,
                            souk_rec_scored *out)
{
    if (!m || k < 1 || k > SOUK_REC_K_MAX || !out)
        return SOUK_REC_E_INVAL;
    long q = souk__rec_find(m->item_ids, m->nitems, item);
    if (q < 0 || m->y_norm[q] == 0)
        return 0;
    souk__rec_top t;
    if (souk__rec_top_init(&t, k) < 0)
        return SOUK_REC_E_NOMEM;
    const double *yq = m->y + (size_t)q * m->k;
    for (size_t i = 0; i < m->nitems; i++) {
        if ((long)i == q || m->y_norm[i] == 0)
            continue;
        const double *y = m->y + i * m->k;
        double s = 0;
        for (unsigned j = 0; j < m->k; j++)
            s += yq[j] * y[j];
        s /= m->y_norm[q] * m->y_norm[i];
        if (t.n == t.k && s < t.score[0])
            continue;
        if (keep && !keep(keep_ctx, m->item_ids[i]))
            continue;
        souk__rec_top_push(&t, s, (uint32_t)i);
    }
    return emit(m, &t, out);
}
