/*
 * query.h — search queries: parsing, matching, BM25F ranking, filters,
 * facets, sorts and pages over one segment (see docs/internals/search.md).
 *
 * Query syntax: words; "quoted phrases" (an unclosed quote runs to the
 * end); a '-' at the start of a word or phrase excludes it ("-leather",
 * -"gift card"). Words are analysed as the index analysed the documents
 * (text.h). Every positive word must match (synonyms, typos and, on the
 * last word, completions count as matches); when no document matches them
 * all, the documents matching the most of them are returned and the result
 * says so (fell_back, terms_matched). Exclusions always apply. Two
 * adjacent words also match their concatenation ("door mat" finds
 * "doormat") when the index has it.
 *
 * Under the relevance sort, a page that the result set does not fill is
 * topped up with documents matching fewer of the words (most words first,
 * then score): hits whose `words` is below `terms_matched`. They are not
 * part of `total` or of the facet counts, which describe the result set.
 */
#ifndef SOUK_SEARCH_QUERY_H
#define SOUK_SEARCH_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "search/index.h"
#include "search/text.h"

#define SOUK_SEARCH_QUERY_BYTES_MAX 10240 /* a longer query is refused */
#define SOUK_SEARCH_QUERY_TERMS_MAX 32    /* words (after analysis) in a query */
#define SOUK_SEARCH_LIMIT_MAX 100         /* hits per page */
#define SOUK_SEARCH_WINDOW_MAX 1000       /* offset + limit: deep pages are refused */
#define SOUK_SEARCH_FILTERS_MAX 16        /* facet filters (dimensions) per request */
#define SOUK_SEARCH_FILTER_VALUES_MAX 64  /* values of one facet filter */
#define SOUK_SEARCH_FACET_DIMS_MAX 16     /* facet dimensions counted per request */
#define SOUK_SEARCH_FACET_LIMIT_MAX 100   /* values per counted dimension */
#define SOUK_SEARCH_EXPANSIONS_MAX 32     /* terms a prefix or a typo may stand for */

/* Status codes; every one but OK is the caller's input but NOMEM. */
typedef enum souk_search_status {
    SOUK_SEARCH_OK = 0,
    SOUK_SEARCH_E_TOO_LONG = -1,       /* query longer than SOUK_SEARCH_QUERY_BYTES_MAX */
    SOUK_SEARCH_E_TOO_MANY_TERMS = -2, /* more than SOUK_SEARCH_QUERY_TERMS_MAX words */
    SOUK_SEARCH_E_UTF8 = -3,           /* query is not valid UTF-8, or has a NUL byte */
    SOUK_SEARCH_E_PAGE = -4,           /* limit 0 or over the maximum, or offset + limit over the window */
    SOUK_SEARCH_E_INVALID = -5,        /* a filter, facet or range breaks a limit above */
    SOUK_SEARCH_E_LANGUAGE = -6,       /* the analyser's language is not the segment's */
    SOUK_SEARCH_E_NOMEM = -7,
} souk_search_status;

/* A static description of STATUS ("query longer than 10240 bytes"). */
const char *souk_search_strerror(souk_search_status status);

/* ---- parsed queries ---- */

typedef struct souk_search_qword {
    const char *text;    /* the term (stemmed where the index stems) */
    const char *alt;     /* another form of the same word (a code's joined form), or NULL */
    const char *surface; /* folded, unstemmed: for prefix and typo look-ups */
    uint32_t qpos;       /* position in the query, for phrase distances */
    uint8_t kind;        /* souk_search_tok_kind */
    uint8_t notypo;      /* a number, code or CJK: matched exactly */
} souk_search_qword;

typedef enum { SOUK_SEARCH_CLAUSE_WORD = 0, SOUK_SEARCH_CLAUSE_PHRASE } souk_search_clause_type;

typedef struct souk_search_clause {
    uint8_t type;   /* souk_search_clause_type */
    bool negated;   /* an exclusion */
    bool prefix;    /* the last positive word, completed by prefix */
    uint16_t first; /* its words: words[first .. first + n) */
    uint16_t n;
} souk_search_clause;

typedef struct souk_search_query {
    souk_search_qword words[SOUK_SEARCH_QUERY_TERMS_MAX];
    size_t nwords;
    souk_search_clause clauses[SOUK_SEARCH_QUERY_TERMS_MAX];
    size_t nclauses;
    const char *sku; /* the whole query folded and trimmed, for the exact-SKU rule */
} souk_search_query;

/* Query flags. */
enum {
    SOUK_SEARCH_Q_NO_PREFIX = 1u << 0,    /* the last word is not completed */
    SOUK_SEARCH_Q_NO_TYPO = 1u << 1,      /* no typo tolerance */
    SOUK_SEARCH_Q_NO_FALLBACK = 1u << 2,  /* all words or nothing */
    SOUK_SEARCH_Q_NO_STOPWORDS = 1u << 3, /* keep stop words */
    SOUK_SEARCH_Q_NO_SYNONYMS = 1u << 4,
};

/* Parses LEN bytes at S into Q with analyser T (its language must be the
 * index's) and FLAGS (SOUK_SEARCH_Q_*). Strings live in arena A. The last
 * positive word is a prefix unless S ends in white space or a closing quote,
 * or SOUK_SEARCH_Q_NO_PREFIX. Stop words are dropped from unquoted words
 * unless every positive word is one. Returns SOUK_SEARCH_OK, _E_TOO_LONG,
 * _E_UTF8, _E_TOO_MANY_TERMS or _E_NOMEM. An empty query (no positive
 * word) is valid: it matches every document. */
souk_search_status souk_search_query_parse(souk_search_query *q, const char *s, size_t len, souk_search_text *t,
                                           unsigned flags, souk_arena *a);

/* ---- synonyms ---- */

typedef struct souk_search_synonyms souk_search_synonyms;

/* Builds a synonym table from TEXT (LEN bytes), one rule a line:
 *   "tv, television, telly"      multi-way: each finds the others
 *   "hoodie => sweatshirt, top"  one-way: the left finds the right ones
 * Blank lines and lines starting with '#' are ignored. Each entry is one
 * word, analysed with T as queries are. Returns 0 with *OUT, or -1 with a
 * message ("line 3: ...") in ERR (an entry of several words, an empty
 * entry, over 10000 rules, 64 entries a rule), -2 when memory runs out. */
int souk_search_synonyms_parse(souk_search_synonyms **out, const char *text, size_t len, souk_search_text *t, char *err,
                               size_t errlen);

/* Frees S. NULL is allowed. */
void souk_search_synonyms_free(souk_search_synonyms *s);

/* The terms TERM (analysed) expands to, into OUT (at most MAX), without
 * TERM itself; returns how many. */
size_t souk_search_synonyms_lookup(const souk_search_synonyms *s, const char *term, const char **out, size_t max);

/* ---- typo rules ---- */

/* Edits allowed for a word of CHARS code points under the defaults: 0 below
 * 5, 1 from 5, 2 from 9. */
int souk_search_typo_budget(size_t chars);

/* Optimal-string-alignment distance (Damerau–Levenshtein with adjacent
 * transpositions, no substring edited twice) between A and B (UTF-8, by
 * code point), or MAX + 1 when it exceeds MAX. Inputs over
 * SOUK_SEARCH_TOKEN_MAX bytes count as MAX + 1. */
int souk_search_edit_distance(const char *a, size_t alen, const char *b, size_t blen, int max);

/* ---- ranking settings ---- */

typedef struct souk_search_weights {
    double field[SOUK_SEARCH_NFIELDS];            /* BM25F field weights */
    double b[SOUK_SEARCH_NFIELDS];                /* BM25F length normalisation per field */
    double k1;                                    /* BM25 saturation */
    double popularity;                            /* score × (1 + popularity × log1p(pop) / log1p(max pop)) */
    double in_stock;                              /* score × (1 + in_stock) for documents in stock */
    double prefix, typo1, typo2, synonym, concat; /* weight of a match of each kind (exact = 1) */
    double sku_exact;                             /* added when the whole query is the document's SKU */
} souk_search_weights;

/* The documented defaults (docs/internals/search.md). */
extern const souk_search_weights souk_search_weights_default;

/* ---- did you mean (correct.c) ---- */

/* A corrected form of the query Q (LEN bytes) for SEG, built from its word
 * dictionary: every unquoted positive word of letters whose best
 * neighbour (1 edit from 3 characters, 2 from 8; nearest first, then most
 * documents) is in more documents than the word itself is replaced by
 * it. The text is the query as the index reads it (folded, stop words
 * left out; phrases, exclusions, numbers and codes as they were). Returns
 * it in arena A, or NULL when no word was corrected (or Q does not parse).
 * T: an analyser of SEG's language. */
const char *souk_search_correct(const souk_search_segment *seg, souk_search_text *t, const char *q, size_t len,
                                souk_arena *a);

/* ---- settings a segment carries ---- */

/* Gives SEG, before it is published (segments are immutable once shared),
 * the synonym table SYNONYMS (SEG owns it from now on and frees it; NULL =
 * none) and the ranking weights WEIGHTS (copied; NULL = the defaults) that
 * the served index applies to searches on it (service.h, api.c). */
void souk_search_segment_set_settings(souk_search_segment *seg, souk_search_synonyms *synonyms,
                                      const souk_search_weights *weights);

/* SEG's synonym table (NULL = none); it lives as long as SEG. */
const souk_search_synonyms *souk_search_segment_synonyms(const souk_search_segment *seg);

/* SEG's ranking weights (souk_search_weights_default unless set); they live
 * as long as SEG. */
const souk_search_weights *souk_search_segment_weights(const souk_search_segment *seg);

/* ---- requests and results ---- */

typedef enum souk_search_sort {
    SOUK_SEARCH_SORT_RELEVANCE = 0,
    SOUK_SEARCH_SORT_PRICE_ASC,  /* documents without a price last */
    SOUK_SEARCH_SORT_PRICE_DESC, /* documents without a price last */
    SOUK_SEARCH_SORT_NEWEST,
    SOUK_SEARCH_SORT_POPULARITY,
    SOUK_SEARCH_SORT_RATING, /* unrated last */
} souk_search_sort;

/* A facet filter: documents with any of VALUES in dimension DIM. Filters
 * of different dimensions all apply. */
typedef struct souk_search_filter {
    const char *dim;
    const char *const *values;
    size_t nvalues; /* 1..SOUK_SEARCH_FILTER_VALUES_MAX */
} souk_search_filter;

typedef struct souk_search_request {
    const char *q; /* the query text (NULL = empty) */
    size_t qlen;
    unsigned flags; /* SOUK_SEARCH_Q_* */
    const souk_search_filter *filters;
    size_t nfilters;
    bool has_price_min, has_price_max; /* price range, minor units, inclusive */
    int64_t price_min, price_max;
    double rating_min;         /* > 0: only documents rated at least this */
    bool in_stock;             /* only documents in stock */
    const char *const *facets; /* dimensions to count */
    size_t nfacets;
    size_t facet_limit; /* values per dimension, 0 = 10 */
    souk_search_sort sort;
    size_t offset, limit;                 /* the page */
    const souk_search_synonyms *synonyms; /* NULL = none */
    const souk_search_weights *weights;   /* NULL = the defaults */
} souk_search_request;

typedef struct souk_search_hit {
    int64_t id;   /* the document's id */
    double score; /* the relevance score (also for other sorts) */
    size_t words; /* positive words and phrases it matches: < terms_matched for a top-up hit */
} souk_search_hit;

typedef struct souk_search_facet_count {
    const char *value;
    uint64_t count;
} souk_search_facet_count;

typedef struct souk_search_facet {
    const char *dim;
    souk_search_facet_count *values; /* count descending, then value ascending */
    size_t nvalues;
} souk_search_facet;

typedef struct souk_search_result {
    uint64_t total;        /* documents in the result set */
    souk_search_hit *hits; /* the page (top-up hits after the result set's, see above) */
    size_t nhits;
    souk_search_facet *facets; /* one per requested dimension, counted over the whole result set */
    size_t nfacets;
    size_t terms;         /* positive words and phrases of the query */
    size_t terms_matched; /* how many of them every result matches */
    bool fell_back;       /* terms_matched < terms */
} souk_search_result;

/* Runs REQ on SEG with analyser T (of SEG's language). The result's arrays
 * and strings live in arena A (or point into SEG, which must outlive the
 * result). Returns SOUK_SEARCH_OK or a status above; on error OUT is
 * zeroed. */
souk_search_status souk_search_run(const souk_search_segment *seg, souk_search_text *t, const souk_search_request *req,
                                   souk_arena *a, souk_search_result *out);

#endif
