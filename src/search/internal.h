/*
 * internal.h — what the files of src/search share: the segment layout and
 * the string table used while building. Not for other directories.
 */
#ifndef SOUK_SEARCH_INTERNAL_H
#define SOUK_SEARCH_INTERNAL_H

#include <roaring/roaring.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "search/index.h"
#include "search/query.h"
#include "store/store.h"

/* A sorted list of strings in one blob: string i is blob + off[i], length
 * off[i + 1] - off[i] - 1 (each is NUL-terminated). */
typedef struct souk__search_strs {
    uint32_t n;
    char *blob;
    uint32_t *off; /* n + 1 entries */
} souk__search_strs;

/* Position entries pack the field and the position: field << 24 | pos. */
#define SOUK__SEARCH_POS_FIELD(p) ((p) >> 24)
#define SOUK__SEARCH_POS(p) ((p)&0xFFFFFFu)

struct souk_search_segment {
    atomic_uint refs;
    uint32_t ndocs;
    char language[32];

    /* columns, one entry per document */
    int64_t *ext_id;
    int64_t *price; /* < 0: none */
    int64_t *created;
    float *popularity;
    float *rating; /* < 0: none */
    uint8_t *in_stock;
    uint16_t *flen; /* ndocs * SOUK_SEARCH_NFIELDS field lengths (tokens' positions) */
    double avg_flen[SOUK_SEARCH_NFIELDS];
    float max_popularity;

    /* terms: sorted; postings of term t are post_doc[term_post[t] .. term_post[t + 1]) */
    souk__search_strs terms;
    uint32_t *term_post; /* terms.n + 1 */
    uint32_t npost;
    uint32_t *post_doc; /* npost, ascending within a term */
    uint8_t *post_tf;   /* npost * SOUK_SEARCH_NFIELDS, capped at 255 */
    uint32_t *post_pos; /* npost + 1: positions of posting i are pos[post_pos[i] .. post_pos[i + 1]) */
    uint32_t *pos;      /* field << 24 | position, ascending per posting */

    /* words: sorted folded surface forms, the term of each, length in code points */
    souk__search_strs words;
    uint32_t *word_term;
    uint8_t *word_chars;

    /* facets: dimension d has values dim_first[d] .. dim_first[d + 1] of fv, sorted */
    souk__search_strs dims;
    uint32_t *dim_first;  /* dims.n + 1 */
    souk__search_strs fv; /* the values (sorted within a dimension) */
    roaring_bitmap_t **fv_bm;
    uint32_t *doc_fv_off; /* ndocs + 1: document d has values doc_fv[doc_fv_off[d] .. doc_fv_off[d + 1]) */
    uint32_t *doc_fv;     /* facet value indices, ascending per document */
    roaring_bitmap_t *all;
    roaring_bitmap_t *in_stock_bm;

    /* exact SKUs: sorted folded SKUs and their documents */
    souk__search_strs skus;
    uint32_t *sku_doc;

    /* the settings searches on this segment use by default (segment.c) */
    souk_search_synonyms *synonyms; /* owned; NULL = none */
    souk_search_weights weights;
    bool has_weights;                /* false: souk_search_weights_default */
    struct souk_search_names *names; /* category and brand names for suggestions (names.c); owned, may be NULL */

    size_t bytes;

    /* a composite (delta.c): PART[0] the base, PART[1] the delta, each with
     * a reference; TOMB the base's documents replaced or removed since it
     * was built. A composite's own arrays above are empty; its synonyms,
     * weights and names are the base's, borrowed (BORROWED). */
    souk_search_segment *part[2];
    roaring_bitmap_t *tomb;
    bool borrowed;
};

/* The parts a query runs on: SEG itself (one, no tombstones), or a
 * composite's base and delta; *TOMB the base's tombstones (NULL = none).
 * Returns how many (1 or 2) into PARTS. */
size_t souk__search_parts(const souk_search_segment *seg, const souk_search_segment **parts,
                          const roaring_bitmap_t **tomb);

/* Frees SEG and everything it holds, whatever its reference count (the
 * builder's failure path, and the last unref). */
void souk__search_segment_free(souk_search_segment *seg);

/* String I of S and its length. */
static inline const char *souk__search_str(const souk__search_strs *s, uint32_t i, size_t *len)
{
    if (len)
        *len = s->off[i + 1] - s->off[i] - 1;
    return s->blob + s->off[i];
}

/* Index of string KEY (LEN bytes) in sorted S, or -1. */
long souk__search_strs_find(const souk__search_strs *s, const char *key, size_t len);

/* First index in sorted S whose string is >= KEY (LEN bytes), 0..n. */
uint32_t souk__search_strs_lower(const souk__search_strs *s, const char *key, size_t len);

/* Byte-wise comparison of A (ALEN) and B (BLEN), shorter first on a tie. */
int souk__search_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* Calls FN(i, distance, CTX) for every word i of sorted WORDS within K >= 1
 * edits (optimal string alignment, by code point) of Q (QLEN <= 64 bytes).
 * Walks the sorted list as a trie: words sharing a prefix share its rows of
 * the edit-distance table, and a prefix already more than K edits away
 * skips every word that starts with it (typo.c). */
void souk__search_typo_walk(const souk__search_strs *words, const char *q, size_t qlen, int k,
                            void (*fn)(uint32_t word, int dist, void *ctx), void *ctx);

/* ---- the popularity signal (popularity.c) ---- */

#define SOUK__SEARCH_POPULARITY_DAYS 90           /* events counted */
#define SOUK__SEARCH_POPULARITY_HALF_LIFE_DAYS 14 /* an event's weight halves every two weeks */
#define SOUK__SEARCH_POPULARITY_TTL_S 300         /* read again at most this often */

/* Decayed weighted event counts per product, ascending by id. */
typedef struct souk__search_popularity {
    int64_t *ids;
    double *scores;
    size_t n;
    int64_t at_us; /* when read */
} souk__search_popularity;

/* The popularity of DB's products (kept on DB's connection as a memo, read
 * again when older than SOUK__SEARCH_POPULARITY_TTL_S); NULL when there is
 * none (no events, or the first read failed: popularity then counts 0). */
const souk__search_popularity *souk__search_popularity_get(souk_store *db);

/* The score of product ID in P (0 when absent or P is NULL). */
double souk__search_popularity_of(const souk__search_popularity *p, int64_t id);

/* ---- interning while building (strtab.c) ---- */
typedef struct souk__search_strtab {
    char *blob;
    size_t blob_len, blob_cap;
    uint32_t *off; /* string i starts at blob + off[i]; its length is lens[i] */
    uint16_t *lens;
    uint32_t n, cap;
    uint64_t *slots; /* open addressing: (hash << 32) | (id + 1), 0 = empty */
    uint32_t nslots; /* a power of two */
} souk__search_strtab;

/* Id of S (LEN bytes, < 65536) in T, adding it when new (*ADDED = 1).
 * Returns the id, or -1 when memory runs out. */
long souk__search_strtab_intern(souk__search_strtab *t, const char *s, size_t len, int *added);

/* Frees what T holds. */
void souk__search_strtab_release(souk__search_strtab *t);

/* Makes the sorted list of T's strings into *OUT, and in RANK (T->n
 * entries, caller's) the sorted index of every id. Returns 0 or -1. */
int souk__search_strtab_sorted(const souk__search_strtab *t, souk__search_strs *out, uint32_t *rank);

/* Frees S's arrays. */
void souk__search_strs_release(souk__search_strs *s);

#endif
