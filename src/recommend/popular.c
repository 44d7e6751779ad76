/*
 * popular.c — trending (time-decayed popularity) and plain popularity, the
 * cold-start answers: score_i = Σ weight·2^(−age / half_life) over the
 * item's interactions not after NOW. One pass and a sort of the distinct
 * items: O(n log n).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/internal.h"
#include "core/banned.h"

static int cmp_scored_item(const void *a, const void *b)
{
    int64_t x = ((const souk_rec_scored *)a)->item, y = ((const souk_rec_scored *)b)->item;
    return (x > y) - (x < y);
}

static int cmp_scored(const void *a, const void *b)
{
    const souk_rec_scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

long souk_rec_popular(const souk_rec_interaction *in, size_t n, int64_t now, double half_life_s, souk_rec_keep_fn keep,
                      void *keep_ctx, size_t k, souk_rec_scored *out)
{
    if ((n && !in) || k < 1 || k > SOUK_REC_K_MAX || !out || !(half_life_s >= 0) || !isfinite(half_life_s))
        return SOUK_REC_E_INVAL;
    if (n > SOUK_REC_INTERACTIONS_MAX)
        return SOUK_REC_E_LIMIT;
    souk_rec_scored *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return SOUK_REC_E_NOMEM;
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
        if (in[j].time > now || !(in[j].weight > 0) || !isfinite(in[j].weight))
            continue;
        double w = in[j].weight;
        if (half_life_s > 0)
            w *= exp2(-(double)(now - in[j].time) / half_life_s);
        v[m++] = (souk_rec_scored){in[j].item, w};
    }
    if (m > 1)
        qsort(v, m, sizeof *v, cmp_scored_item);
    size_t d = 0;
    for (size_t j = 0; j < m; j++) {
        if (d && v[d - 1].item == v[j].item)
            v[d - 1].score += v[j].score;
        else
            v[d++] = v[j];
    }
    if (d > 1)
        qsort(v, d, sizeof *v, cmp_scored);
    size_t got = 0;
    for (size_t j = 0; j < d && got < k; j++)
        if (!keep || keep(keep_ctx, v[j].item))
            out[got++] = v[j];
    free(v);
    return (long)got;
}
