/*
 * eval.c — nDCG, reciprocal rank and recall of one ranked list (eval.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/eval.h"
#include "core/grow.h"
#include "core/banned.h"

/* the highest grade of ID among the judgments, 0 when unjudged */
static double grade_of(int64_t id, const int64_t *ids, const double *grades, size_t n)
{
    double g = 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id && grades[i] > g)
            g = grades[i];
    return g;
}

static int by_grade_desc(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? 1 : a > b ? -1 : 0;
}

void souk_search_eval_query(const int64_t *ranked, size_t nranked, const int64_t *ids, const double *grades,
                            size_t njudged, size_t k, souk_search_eval_q *out)
{
    memset(out, 0, sizeof *out);
    /* the judgments, one grade per id (the highest) */
    double *best = malloc(sizeof *best * (njudged ? njudged : 1));
    if (!best)
        return;
    size_t nbest = 0, relevant = 0;
    for (size_t i = 0; i < njudged; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = ids[j] == ids[i];
        if (seen)
            continue;
        best[nbest] = grade_of(ids[i], ids, grades, njudged);
        relevant += best[nbest] > 0;
        nbest++;
    }
    if (relevant == 0) {
        free(best);
        return;
    }
    out->has_relevant = true;
    souk_sort(best, nbest, sizeof *best, by_grade_desc);
    double idcg = 0;
    for (size_t i = 0; i < k && i < nbest; i++)
        idcg += (pow(2, best[i]) - 1) / log2((double)i + 2);
    free(best);
    double dcg = 0;
    size_t found = 0;
    for (size_t i = 0; i < k && i < nranked; i++) {
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = ranked[j] == ranked[i];
        if (dup)
            continue; /* a document counts once */
        double g = grade_of(ranked[i], ids, grades, njudged);
        dcg += (pow(2, g) - 1) / log2((double)i + 2);
        if (g > 0) {
            if (out->rr == 0)
                out->rr = 1.0 / (double)(i + 1);
            found++;
        }
    }
    out->ndcg = idcg > 0 ? dcg / idcg : 0;
    out->recall = (double)found / (double)relevant;
}
