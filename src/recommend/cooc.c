/*
 * cooc.c — item-item co-occurrence: the shared counting loop (also used by
 * fbt.c) and the item-cosine neighbours over the interactions.
 *
 * For each item i, walk its groups and their items, counting n_ij in a
 * dense array indexed by item and remembering which entries were touched
 * (reset after the item): O(Σ_groups |g|²) time, O(nitems) scratch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/internal.h"
#include "core/banned.h"

int souk__rec_cooccur(const souk__rec_incidence *inc, souk__rec_pair_fn fn, void *ctx)
{
    uint32_t *count = calloc(inc->nitems ? inc->nitems : 1, sizeof *count);
    uint32_t *touched = malloc((inc->nitems ? inc->nitems : 1) * sizeof *touched);
    int rc = 0;
    if (!count || !touched) {
        rc = SOUK_REC_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < inc->nitems && rc == 0; i++) {
        size_t nt = 0;
        for (size_t e = inc->i_ptr[i]; e < inc->i_ptr[i + 1]; e++) {
            uint32_t g = inc->i_group[e];
            if (inc->skip && inc->skip[g])
                continue;
            for (size_t f = inc->g_ptr[g]; f < inc->g_ptr[g + 1]; f++) {
                uint32_t j = inc->g_item[f];
                if (j == i)
                    continue;
                if (count[j]++ == 0)
                    touched[nt++] = j;
            }
        }
        rc = fn(ctx, (uint32_t)i, touched, nt, count);
        for (size_t t = 0; t < nt; t++)
            count[touched[t]] = 0;
    }
done:
    free(count);
    free(touched);
    return rc;
}

typedef struct {
    struct souk_rec_cooc *c;
    const uint32_t *n; /* users per item (counted users only) */
    unsigned neighbours;
    souk__rec_top top;
    size_t cap;
} cosine_ctx;

static int cosine_item(void *ctxp, uint32_t i, const uint32_t *js, size_t n, const uint32_t *count)
{
    cosine_ctx *x = ctxp;
    x->top.n = 0;
    for (size_t t = 0; t < n; t++) {
        uint32_t j = js[t];
        souk__rec_top_push(&x->top, count[j] / sqrt((double)x->n[i] * x->n[j]), j);
    }
    size_t m = souk__rec_top_sort(&x->top);
    struct souk_rec_cooc *c = x->c;
    size_t at = c->ptr[i];
    if (at + m > x->cap) {
        size_t cap = x->cap * 2 > at + m ? x->cap * 2 : at + m;
        uint32_t *nb = realloc(c->nb, cap * sizeof *nb);
        if (nb)
            c->nb = nb;
        float *sc = realloc(c->score, cap * sizeof *sc);
        if (sc)
            c->score = sc;
        if (!nb || !sc)
            return SOUK_REC_E_NOMEM;
        x->cap = cap;
    }
    for (size_t t = 0; t < m; t++) {
        c->nb[at + t] = x->top.idx[t];
        c->score[at + t] = (float)x->top.score[t];
    }
    c->ptr[i + 1] = at + m;
    return 0;
}

void souk_rec_cooc_free(souk_rec_cooc *c)
{
    if (!c)
        return;
    free(c->item_ids);
    free(c->ptr);
    free(c->nb);
    free(c->score);
    free(c);
}

int souk_rec_cooc_build(const souk_rec_data *d, unsigned neighbours, size_t max_row, souk_rec_cooc **out)
{
    *out = NULL;
    if (!d || neighbours < 1 || neighbours > 1000)
        return SOUK_REC_E_INVAL;
    struct souk_rec_cooc *c = calloc(1, sizeof *c);
    unsigned char *skip = calloc(d->nusers ? d->nusers : 1, 1);
    uint32_t *n = calloc(d->nitems ? d->nitems : 1, sizeof *n);
    cosine_ctx x = {.c = c, .n = n, .neighbours = neighbours};
    int rc = SOUK_REC_E_NOMEM;
    if (!c || !skip || !n || souk__rec_top_init(&x.top, neighbours) < 0)
        goto done;
    c->nitems = d->nitems;
    c->item_ids = malloc((d->nitems ? d->nitems : 1) * sizeof *c->item_ids);
    c->ptr = calloc(d->nitems + 1, sizeof *c->ptr);
    if (!c->item_ids || !c->ptr)
        goto done;
    memcpy(c->item_ids, d->item_ids, d->nitems * sizeof *c->item_ids);
    for (size_t u = 0; u < d->nusers; u++) {
        skip[u] = max_row && d->u_ptr[u + 1] - d->u_ptr[u] > max_row;
        if (!skip[u])
            for (size_t e = d->u_ptr[u]; e < d->u_ptr[u + 1]; e++)
                n[d->u_item[e]]++;
    }
    souk__rec_incidence inc = {d->nusers, d->nitems, d->u_ptr, d->u_item, d->i_ptr, d->i_user, skip};
    rc = souk__rec_cooccur(&inc, cosine_item, &x);
done:
    souk__rec_top_release(&x.top);
    free(skip);
    free(n);
    if (rc < 0) {
        souk_rec_cooc_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

long souk_rec_cooc_similar(const souk_rec_cooc *c, int64_t item, size_t k, souk_rec_scored *out)
{
    long i = souk__rec_find(c->item_ids, c->nitems, item);
    if (i < 0)
        return 0;
    size_t n = 0;
    for (size_t e = c->ptr[i]; e < c->ptr[i + 1] && n < k; e++, n++)
        out[n] = (souk_rec_scored){c->item_ids[c->nb[e]], c->score[e]};
    return (long)n;
}
