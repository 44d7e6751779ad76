/*
 * internal.h — what the files of src/recommend share and nobody else sees:
 * the model's layout, the top-k selector, the id index, a small PRNG.
 */
#ifndef SOUK_RECOMMEND_INTERNAL_H
#define SOUK_RECOMMEND_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "recommend/recommend.h"

struct souk_rec_model {
    size_t nusers, nitems;
    unsigned k;
    int64_t *user_ids, *item_ids; /* ascending */
    double *x;                    /* nusers × k, row-major */
    double *y;                    /* nitems × k */
    double *y_norm;               /* nitems: |y_i| (for cosine) */
    uint32_t *popularity;         /* nitems: users with the item in training */
    uint32_t *by_popularity;      /* nitems: item indices, most popular first (ties: lower index) */
    double alpha, lambda, loss;
    unsigned iterations, log_scale;
};

/* Allocates M's arrays for NUSERS × NITEMS × K (zeroed); 0 or SOUK_REC_E_NOMEM. */
int souk__rec_model_alloc(struct souk_rec_model *m, size_t nusers, size_t nitems, unsigned k);

/* Computes y_norm and by_popularity from y and popularity; 0 or SOUK_REC_E_NOMEM. */
int souk__rec_model_finish(struct souk_rec_model *m);

/* Index of ID in the N ascending IDS, or -1. */
long souk__rec_find(const int64_t *ids, size_t n, int64_t id);

/* The top-K selector: a min-heap of (score, index) keeping the K best;
 * ties go to the lower index. */
typedef struct souk__rec_top {
    size_t k, n;
    double *score;
    uint32_t *idx;
} souk__rec_top;

/* Sets up T for K (>= 1) entries; 0 or SOUK_REC_E_NOMEM. */
int souk__rec_top_init(souk__rec_top *t, size_t k);
void souk__rec_top_release(souk__rec_top *t);
/* Offers (SCORE, IDX). */
void souk__rec_top_push(souk__rec_top *t, double score, uint32_t idx);
/* Sorts T best first (in place); returns T->n. */
size_t souk__rec_top_sort(souk__rec_top *t);

/* ALS scores of dense user U against every item: OUT[nitems]. */
void souk__rec_model_scores(const struct souk_rec_model *m, size_t u, double *out);

/* A group×item incidence (groups: users or baskets), CSR both ways; groups
 * with SKIP[g] set are left out (SKIP may be NULL). */
typedef struct souk__rec_incidence {
    size_t ngroups, nitems;
    const size_t *g_ptr;
    const uint32_t *g_item;
    const size_t *i_ptr;
    const uint32_t *i_group;
    const unsigned char *skip;
} souk__rec_incidence;

/* Called once per item I with the N items J[] that share a group with it
 * (I itself left out, in no order) and COUNT[j] = the groups holding both,
 * indexed by item. */
typedef int (*souk__rec_pair_fn)(void *ctx, uint32_t i, const uint32_t *j, size_t n, const uint32_t *count);

/* Runs FN over every item of INC: O(Σ_groups |g|²). 0, SOUK_REC_E_NOMEM,
 * or FN's first negative return. */
int souk__rec_cooccur(const souk__rec_incidence *inc, souk__rec_pair_fn fn, void *ctx);

/* Item-cosine neighbours (cooc.c): item i's are nb[ptr[i]..ptr[i+1]), best first. */
struct souk_rec_cooc {
    size_t nitems;
    int64_t *item_ids;
    size_t *ptr; /* nitems + 1 */
    uint32_t *nb;
    float *score;
};

/* Frequently bought together (fbt.c): item i's partners are
 * nb[ptr[i]..ptr[i+1]), best lift first, with their n_ij. */
struct souk_rec_fbt {
    size_t nitems, nbaskets;
    int64_t *item_ids;
    size_t *ptr;
    uint32_t *nb, *support;
    double *lift;
};

/* TF-IDF vectors (tfidf.c): document d's terms d_term[d_ptr[d]..d_ptr[d+1])
 * with L2-normalised weights d_w; postings t_doc/t_w per term. */
struct souk_rec_tfidf {
    size_t ndocs, nterms;
    int64_t *item_ids; /* ascending; doc index = rank */
    size_t *d_ptr;     /* ndocs + 1: the document's terms */
    uint32_t *d_term;
    double *d_w;
    size_t *t_ptr; /* nterms + 1: the term's documents (postings) */
    uint32_t *t_doc;
    double *t_w;
};

/* Adds the dot products of document Q with every document sharing a term
 * to SCORE (dense, ndocs, zero where untouched by the caller) and lists
 * each newly touched document once in TOUCHED (*NT of them). */
void souk__rec_tfidf_dots(const struct souk_rec_tfidf *t, size_t q, double *score, uint32_t *touched, size_t *nt);

/* splitmix64: the next value of the state *S. */
static inline uint64_t souk__rec_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double souk__rec_uniform(uint64_t *s)
{
    return (double)(souk__rec_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
