/*
 * fbt.c — frequently bought together: co-purchase counts over baskets,
 * ranked by lift with a minimum support.
 *
 * lift(i, j) = n_ij·B / (n_i·n_j) is how much more often i and j share a
 * basket than if they were bought independently; a pair seen in only one
 * or two baskets can have a huge lift by chance, hence MIN_SUPPORT.
 * Baskets are deduplicated (an item counts once per basket), sorted into a
 * basket×item incidence, and counted by souk__rec_cooccur.
 */
#include <stdlib.h>
#include <string.h>

#include "recommend/internal.h"
#include "core/banned.h"

static int cmp_pair(const void *a, const void *b)
{
    const souk_rec_basket_item *x = a, *y = b;
    if (x->basket != y->basket)
        return x->basket < y->basket ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    uint32_t j, nij;
    double lift;
} cand;

/* best lift first; then more support; then lower index */
static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->lift != y->lift)
        return x->lift > y->lift ? -1 : 1;
    if (x->nij != y->nij)
        return x->nij > y->nij ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

typedef struct {
    struct souk_rec_fbt *f;
    const uint32_t *n;
    unsigned min_support, max_per_item;
    cand *c;
    size_t cap;
} fbt_ctx;

static int fbt_item(void *ctxp, uint32_t i, const uint32_t *js, size_t n, const uint32_t *count)
{
    fbt_ctx *x = ctxp;
    struct souk_rec_fbt *f = x->f;
    size_t m = 0;
    for (size_t t = 0; t < n; t++) {
        uint32_t j = js[t];
        if (count[j] < x->min_support)
            continue;
        x->c[m++] = (cand){j, count[j], (double)count[j] * (double)f->nbaskets / ((double)x->n[i] * x->n[j])};
    }
    if (m > 1)
        qsort(x->c, m, sizeof *x->c, cmp_cand);
    if (m > x->max_per_item)
        m = x->max_per_item;
    size_t at = f->ptr[i];
    if (at + m > x->cap) {
        size_t cap = x->cap * 2 > at + m ? x->cap * 2 : at + m;
        uint32_t *nb = realloc(f->nb, cap * sizeof *nb);
        if (nb)
            f->nb = nb;
        uint32_t *sup = realloc(f->support, cap * sizeof *sup);
        if (sup)
            f->support = sup;
        double *lift = realloc(f->lift, cap * sizeof *lift);
        if (lift)
            f->lift = lift;
        if (!nb || !sup || !lift)
            return SOUK_REC_E_NOMEM;
        x->cap = cap;
    }
    for (size_t t = 0; t < m; t++) {
        f->nb[at + t] = x->c[t].j;
        f->support[at + t] = x->c[t].nij;
        f->lift[at + t] = x->c[t].lift;
    }
    f->ptr[i + 1] = at + m;
    return 0;
}

void souk_rec_fbt_free(souk_rec_fbt *f)
{
    if (!f)
        return;
    free(f->item_ids);
    free(f->ptr);
    free(f->nb);
    free(f->support);
    free(f->lift);
    free(f);
}

int souk_rec_fbt_build(const souk_rec_basket_item *pairs, size_t n, unsigned min_support, unsigned max_per_item,
                       size_t max_basket, souk_rec_fbt **out)
{
    *out = NULL;
    if ((n && !pairs) || min_support < 1 || max_per_item < 1 || max_per_item > 1000)
        return SOUK_REC_E_INVAL;
    if (n > SOUK_REC_INTERACTIONS_MAX)
        return SOUK_REC_E_LIMIT;
    int rc = SOUK_REC_E_NOMEM;
    struct souk_rec_fbt *f = calloc(1, sizeof *f);
    souk_rec_basket_item *v = malloc((n ? n : 1) * sizeof *v);
    size_t *g_ptr = NULL, *i_ptr = NULL, *fill = NULL;
    uint32_t *g_item = NULL, *i_group = NULL, *cnt = NULL;
    unsigned char *skip = NULL;
    fbt_ctx x = {.f = f, .min_support = min_support, .max_per_item = max_per_item};
    if (!f || !v)
        goto done;
    memcpy(v, pairs, n * sizeof *v);
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_pair);
    size_t m = 0, ngroups = 0;
    for (size_t e = 0; e < n; e++) {
        if (m && v[m - 1].basket == v[e].basket && v[m - 1].item == v[e].item)
            continue;
        if (!m || v[m - 1].basket != v[e].basket)
            ngroups++;
        v[m++] = v[e];
    }
    f->item_ids = malloc((m ? m : 1) * sizeof *f->item_ids);
    if (!f->item_ids)
        goto done;
    for (size_t e = 0; e < m; e++)
        f->item_ids[e] = v[e].item;
    size_t ni = 0;
    if (m > 1)
        qsort(f->item_ids, m, sizeof *f->item_ids, cmp_i64);
    for (size_t e = 0; e < m; e++)
        if (!ni || f->item_ids[ni - 1] != f->item_ids[e])
            f->item_ids[ni++] = f->item_ids[e];
    rc = SOUK_REC_E_LIMIT;
    if (ni > SOUK_REC_ROWS_MAX || ngroups > UINT32_MAX)
        goto done;
    rc = SOUK_REC_E_NOMEM;
    f->nitems = ni;
    g_ptr = calloc(ngroups + 1, sizeof *g_ptr);
    g_item = malloc((m ? m : 1) * sizeof *g_item);
    i_ptr = calloc(ni + 1, sizeof *i_ptr);
    i_group = malloc((m ? m : 1) * sizeof *i_group);
    fill = malloc((ni + 1) * sizeof *fill);
    cnt = calloc(ni ? ni : 1, sizeof *cnt);
    skip = calloc(ngroups ? ngroups : 1, 1);
    f->ptr = calloc(ni + 1, sizeof *f->ptr);
    x.c = malloc((ni ? ni : 1) * sizeof *x.c);
    if (!g_ptr || !g_item || !i_ptr || !i_group || !fill || !cnt || !skip || !f->ptr || !x.c)
        goto done;
    size_t g = 0;
    for (size_t e = 0; e < m; e++) {
        if (e && v[e - 1].basket != v[e].basket)
            g++;
        g_item[e] = (uint32_t)souk__rec_find(f->item_ids, ni, v[e].item);
        g_ptr[g + 1] = e + 1;
        i_ptr[g_item[e] + 1]++;
    }
    for (size_t i = 0; i < ni; i++)
        i_ptr[i + 1] += i_ptr[i];
    memcpy(fill, i_ptr, (ni + 1) * sizeof *fill);
    for (size_t b = 0; b < ngroups; b++) {
        skip[b] = max_basket && g_ptr[b + 1] - g_ptr[b] > max_basket;
        if (!skip[b])
            f->nbaskets++;
        for (size_t e = g_ptr[b]; e < g_ptr[b + 1]; e++) {
            i_group[fill[g_item[e]]++] = (uint32_t)b;
            if (!skip[b])
                cnt[g_item[e]]++;
        }
    }
    x.n = cnt;
    souk__rec_incidence inc = {ngroups, ni, g_ptr, g_item, i_ptr, i_group, skip};
    rc = souk__rec_cooccur(&inc, fbt_item, &x);
done:
    free(v);
    free(g_ptr);
    free(g_item);
    free(i_ptr);
    free(i_group);
    free(fill);
    free(cnt);
    free(skip);
    free(x.c);
    if (rc < 0) {
        souk_rec_fbt_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

long souk_rec_fbt_for(const souk_rec_fbt *f, int64_t item, size_t k, souk_rec_scored *out, uint32_t *support)
{
    long i = souk__rec_find(f->item_ids, f->nitems, item);
    if (i < 0)
        return 0;
    size_t n = 0;
    for (size_t e = f->ptr[i]; e < f->ptr[i + 1] && n < k; e++, n++) {
        out[n] = (souk_rec_scored){f->item_ids[f->nb[e]], f->lift[e]};
        if (support)
            support[n] = f->support[e];
    }
    return (long)n;
}

size_t souk_rec_fbt_baskets(const souk_rec_fbt *f)
{
    return f->nbaskets;
}
