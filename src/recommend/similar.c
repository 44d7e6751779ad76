/*
 * similar.c — the hybrid "similar items": collaborative (cosine of ALS item
 * factors) and content (TF-IDF cosine) blended linearly over the union of
 * both candidate lists. Both cosines live in [−1, 1] / [0, 1] already, so
 * no rescaling; an item without factors has only content neighbours and
 * an item without text only collaborative ones.
 */
#include <stdlib.h>
#include <string.h>

#include "recommend/internal.h"
#include "core/banned.h"

static int cmp_item(const void *a, const void *b)
{
    int64_t x = ((const souk_rec_scored *)a)->item, y = ((const souk_rec_scored *)b)->item;
    return (x > y) - (x < y);
}

static int cmp_score(const void *a, const void *b)
{
    const souk_rec_scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

long souk_rec_hybrid_similar(const souk_rec_model *m, const souk_rec_tfidf *t, double w, int64_t item,
                             souk_rec_keep_fn keep, void *keep_ctx, size_t k, souk_rec_scored *out)
{
    if (k < 1 || k > SOUK_REC_K_MAX || !out || !(w >= 0 && w <= 1))
        return SOUK_REC_E_INVAL;
    size_t want = 4 * k > SOUK_REC_K_MAX ? SOUK_REC_K_MAX : 4 * k;
    souk_rec_scored *c = malloc(2 * want * sizeof *c);
    if (!c)
        return SOUK_REC_E_NOMEM;
    long na = m ? souk_rec_model_similar(m, item, keep, keep_ctx, want, c) : 0;
    long nb = na >= 0 && t ? souk_rec_tfidf_similar(t, item, keep, keep_ctx, want, c + na) : 0;
    if (na < 0 || nb < 0) {
        free(c);
        return na < 0 ? na : nb;
    }
    /* the item's own sides: without factors the collaborative part is 0, so
     * its content weight takes the whole score (and vice versa) */
    int has_cf = m && souk__rec_find(m->item_ids, m->nitems, item) >= 0 && na > 0;
    int has_ct = nb > 0;
    double wa = has_cf ? (has_ct ? w : 1) : 0, wb = has_ct ? (has_cf ? 1 - w : 1) : 0;
    for (long j = 0; j < na; j++)
        c[j].score *= wa;
    for (long j = na; j < na + nb; j++)
        c[j].score *= wb;
    /* merge scores of the same item: a cosine missing from a top list
     * counts 0, a lower bound */
    size_t n = (size_t)(na + nb), m2 = 0;
    if (n > 1)
        qsort(c, n, sizeof *c, cmp_item);
    for (size_t j = 0; j < n; j++) {
        if (m2 && c[m2 - 1].item == c[j].item)
            c[m2 - 1].score += c[j].score;
        else
            c[m2++] = c[j];
    }
    if (m2 > 1)
        qsort(c, m2, sizeof *c, cmp_score);
    if (m2 > k)
        m2 = k;
    memcpy(out, c, m2 * sizeof *c);
    free(c);
    return (long)m2;
}
