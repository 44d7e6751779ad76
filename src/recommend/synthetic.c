/*
 * synthetic.c — deterministic synthetic interactions for benchmarks.
 *
 * Users and items are drawn from a power law with density ∝ 1/(x + 10) on
 * [0, N) (inverse-CDF sampling), so a few heavy users and best-sellers
 * carry much of the traffic, as in shops. Items belong to one of CLUSTERS
 * latent groups (item mod CLUSTERS), users prefer their own group
 * (user mod CLUSTERS) with probability AFFINITY: there is structure for a
 * recommender to find.
 */
#include <math.h>
#include <stdlib.h>

#include "recommend/internal.h"
#include "core/banned.h"

#define CLUSTERS 32
#define AFFINITY 0.8
#define OFFSET 10.0
#define EPOCH_END 1767225600 /* 2026-01-01T00:00:00Z */

static size_t power_law(uint64_t *s, size_t n)
{
    double u = souk__rec_uniform(s);
    double x = OFFSET * pow((n + OFFSET) / OFFSET, u) - OFFSET;
    size_t r = (size_t)x;
    return r < n ? r : n - 1;
}

int souk_rec_synthetic(size_t n, size_t nusers, size_t nitems, uint64_t seed, souk_rec_interaction **out)
{
    *out = NULL;
    if (n > SOUK_REC_INTERACTIONS_MAX || nusers < 1 || nitems < CLUSTERS || nusers > SOUK_REC_ROWS_MAX ||
        nitems > SOUK_REC_ROWS_MAX)
        return SOUK_REC_E_INVAL;
    souk_rec_interaction *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return SOUK_REC_E_NOMEM;
    uint64_t s = seed;
    const size_t per_cluster = nitems / CLUSTERS;
    for (size_t j = 0; j < n; j++) {
        size_t u = power_law(&s, nusers), item;
        if (souk__rec_uniform(&s) < AFFINITY)
            item = power_law(&s, per_cluster) * CLUSTERS + u % CLUSTERS;
        else
            item = power_law(&s, nitems);
        int64_t t = EPOCH_END - (int64_t)(souk__rec_uniform(&s) * 365 * 86400);
        v[j] = (souk_rec_interaction){(int64_t)u + 1, (int64_t)item + 1, t, 1.0};
    }
    *out = v;
    return 0;
}
