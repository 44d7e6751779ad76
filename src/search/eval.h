/*
 * eval.h — relevance metrics for judged queries (`souk eval search`).
 *
 * For one query: a ranked list of document ids and the graded judgments
 * (id, grade >= 0; grade 0 = judged not relevant, unjudged = 0).
 *   nDCG@k   = DCG@k / IDCG@k, DCG@k = Σ_{i<k} (2^grade(d_i) − 1) / log2(i + 2),
 *              IDCG@k the DCG of the judgments sorted by grade
 *   RR@k     = 1 / rank of the first document with grade > 0 in the top k, else 0
 *   recall@k = relevant documents (grade > 0) in the top k / all relevant judged
 * A query without any relevant judgment has no metrics (has_relevant false)
 * and is left out of the means.
 */
#ifndef SOUK_SEARCH_EVAL_H
#define SOUK_SEARCH_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct souk_search_eval_q {
    double ndcg, rr, recall;
    bool has_relevant;
} souk_search_eval_q;

/* Metrics at K of RANKED (NRANKED ids, best first; only the first K count)
 * against the judgments IDS/GRADES (NJUDGED; an id judged twice counts with
 * its highest grade). */
void souk_search_eval_query(const int64_t *ranked, size_t nranked, const int64_t *ids, const double *grades,
                            size_t njudged, size_t k, souk_search_eval_q *out);

#endif
