/*
 * rank.h — internal to src/search: the resolved form of a query (groups of
 * words, each with weighted alternative terms) shared by exec.c, which
 * matches, and rank.c, which scores and pages.
 */
#ifndef SOUK_SEARCH_RANK_H
#define SOUK_SEARCH_RANK_H

#include "search/internal.h"
#include "search/query.h"

/* exact + joined + synonyms + typo neighbours + completions */
#define SOUK__SEARCH_ALTS_MAX (2 + 8 + 2 * SOUK_SEARCH_EXPANSIONS_MAX)

typedef struct souk__search_alt {
    uint32_t term;
    double weight; /* 1 exact; prefix, typo, synonym weights otherwise */
    double idf;    /* set by rank.c: the word's idf (see souk__search_word.df) */
} souk__search_alt;

typedef struct souk__search_word {
    souk__search_alt alts[SOUK__SEARCH_ALTS_MAX];
    size_t nalts;
    uint32_t qpos;
    uint32_t df; /* documents any alternative matches: the word's idf, shared by its alternatives */
} souk__search_word;

typedef struct souk__search_group {
    souk__search_word *w; /* nw words: 1 for a word clause */
    size_t nw;
    bool negated;
    roaring_bitmap_t *docs;
} souk__search_group;

/* What scores share across the parts of a composite (delta.c): live
 * documents, average field lengths, the highest popularity. */
typedef struct souk__search_stats {
    double ndocs;
    double avg_flen[SOUK_SEARCH_NFIELDS];
    float max_popularity;
} souk__search_stats;

/* One part's documents to page: the segment, its groups (resolved against
 * its own terms), the documents R and their group counts (NULL = NPOS). */
typedef struct souk__search_part {
    const souk_search_segment *s;
    souk__search_group *g;
    size_t ng;
    const roaring_bitmap_t *r;
    const uint8_t *counts;
} souk__search_part;

/* Index of DOC in TERM's postings searching from *CUR on (ascending
 * documents make it a merge), or -1; *CUR moves to where it stopped. */
long souk__search_posting(const souk_search_segment *s, uint32_t term, uint32_t doc, uint32_t *cur);

/* The BM25F text score of document DOC of S for the positive groups G
 * (NG; every alternative's idf set), or 1 when there are none; ST the
 * average field lengths; CURS (one per alternative, in group/word/alt
 * order) carry merge positions for ascending DOCs. */
double souk__search_bm25f(const souk_search_segment *s, const souk__search_stats *st, const souk__search_group *g,
                          size_t ng, const souk_search_weights *w, uint32_t doc, uint32_t *curs);

/* Fills OUT's hits: the page REQ asks for of the documents of every part
 * (NPARTS), in REQ's sort after the number of groups each matches; ties
 * go to the lower document number within a part, the lower id across
 * parts. */
souk_search_status souk__search_page(const souk__search_part *parts, size_t nparts, const souk_search_query *q,
                                     const souk_search_request *req, const souk_search_weights *w,
                                     const souk__search_stats *st, size_t npos, souk_arena *a, souk_search_result *out);

#endif
