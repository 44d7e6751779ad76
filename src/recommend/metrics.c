/*
 * metrics.c — offline ranking metrics against held-out items (definitions
 * in recommend.h and docs/internals/recommend.md). Relevance is binary.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/internal.h"
#include "core/banned.h"

static int relevant_has(const int64_t *rel, size_t n, int64_t id)
{
    return souk__rec_find(rel, n, id) >= 0;
}

/* hits in the first min(n, k) of RANKED */
static size_t hits(const int64_t *ranked, size_t n, const int64_t *rel, size_t nrel, size_t k)
{
    size_t h = 0;
    for (size_t r = 0; r < n && r < k; r++)
        h += (size_t)relevant_has(rel, nrel, ranked[r]);
    return h;
}

double souk_rec_precision_at(const int64_t *ranked, size_t n, const int64_t *relevant, size_t nrel, size_t k)
{
    if (!nrel || !k)
        return 0;
    return (double)hits(ranked, n, relevant, nrel, k) / (double)k;
}

double souk_rec_recall_at(const int64_t *ranked, size_t n, const int64_t *relevant, size_t nrel, size_t k)
{
    if (!nrel || !k)
        return 0;
    return (double)hits(ranked, n, relevant, nrel, k) / (double)nrel;
}

double souk_rec_ndcg_at(const int64_t *ranked, size_t n, const int64_t *relevant, size_t nrel, size_t k)
{
    if (!nrel || !k)
        return 0;
    double dcg = 0, idcg = 0;
    for (size_t r = 0; r < n && r < k; r++)
        if (relevant_has(relevant, nrel, ranked[r]))
            dcg += 1.0 / log2((double)r + 2.0);
    for (size_t r = 0; r < nrel && r < k; r++)
        idcg += 1.0 / log2((double)r + 2.0);
    return dcg / idcg;
}

double souk_rec_ap_at(const int64_t *ranked, size_t n, const int64_t *relevant, size_t nrel, size_t k)
{
    if (!nrel || !k)
        return 0;
    double sum = 0;
    size_t h = 0;
    for (size_t r = 0; r < n && r < k; r++)
        if (relevant_has(relevant, nrel, ranked[r])) {
            h++;
            sum += (double)h / (double)(r + 1);
        }
    return sum / (double)(nrel < k ? nrel : k);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

double souk_rec_coverage(const int64_t *recommended, size_t n, size_t catalog)
{
    if (!catalog)
        return 0;
    int64_t *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return -1.0;
    memcpy(v, recommended, n * sizeof *v);
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_i64);
    size_t d = 0;
    for (size_t j = 0; j < n; j++)
        if (j == 0 || v[j] != v[j - 1])
            d++;
    free(v);
    return (double)d / (double)catalog;
}
