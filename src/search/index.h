/*
 * index.h — the search index: immutable in-memory segments, built from
 * documents, shared by readers through reference counts and replaced by an
 * atomic pointer swap.
 *
 * A segment holds, for N documents numbered 0..N-1 in the order they were
 * added (see docs/internals/search.md for the layout):
 *   - a sorted term dictionary with postings (document, term frequency per
 *     field, positions) and the token length of every field of every
 *     document, for BM25F and phrases;
 *   - a sorted dictionary of the folded, unstemmed words, each pointing to
 *     its term, for prefix and typo look-ups;
 *   - numeric columns: price (minor units), created time, popularity,
 *     rating, in stock;
 *   - a Roaring bitmap per facet value (dimension + value, e.g. brand
 *     "acme", category "12" — the caller lists every ancestor category),
 *     one of the documents in stock, one of all documents;
 *   - the folded SKUs, for the exact-SKU rule.
 *
 * Building is single-threaded; a finished segment is read-only and may be
 * read by any number of threads at once.
 */
#ifndef SOUK_SEARCH_INDEX_H
#define SOUK_SEARCH_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The fields of a document, in the order of souk_search_doc.field. */
typedef enum souk_search_field {
    SOUK_SEARCH_F_SKU = 0,
    SOUK_SEARCH_F_TITLE,
    SOUK_SEARCH_F_BRAND,
    SOUK_SEARCH_F_CATEGORY, /* the category path, e.g. "Home > Kitchen > Mugs" */
    SOUK_SEARCH_F_ATTRS,    /* attribute values, e.g. "red cotton XL" */
    SOUK_SEARCH_F_VENDOR,
    SOUK_SEARCH_F_DESCRIPTION,
    SOUK_SEARCH_NFIELDS
} souk_search_field;

/* Limits of one segment. */
#define SOUK_SEARCH_DOCS_MAX 16000000u    /* documents */
#define SOUK_SEARCH_FACETS_PER_DOC_MAX 64 /* facet values of one document */
#define SOUK_SEARCH_DIMS_MAX 64           /* distinct facet dimensions */
#define SOUK_SEARCH_FACET_TEXT_MAX 200    /* bytes of a dimension name or value */

/* One facet value of a document. */
typedef struct souk_search_facet_value {
    const char *dim;   /* dimension: "category", "brand", "vendor", "color", … */
    const char *value; /* its value, compared byte for byte */
} souk_search_facet_value;

/* A document to index. Nothing is kept: the builder copies what it needs. */
typedef struct souk_search_doc {
    int64_t id;                             /* the caller's id (> 0), returned in hits */
    const char *field[SOUK_SEARCH_NFIELDS]; /* UTF-8 text, or NULL */
    int64_t price;                          /* minor units; < 0 = no price */
    int64_t created;                        /* epoch microseconds */
    double popularity;                      /* >= 0 (e.g. decayed sales and views) */
    double rating;                          /* 0..5; < 0 = not rated */
    bool in_stock;
    const souk_search_facet_value *facets;
    size_t nfacets;          /* <= SOUK_SEARCH_FACETS_PER_DOC_MAX */
    const char *const *skus; /* SKUs for the exact-SKU rule (variants); */
    size_t nskus;            /* none: the SKU field is one SKU */
} souk_search_doc;

typedef struct souk_search_segment souk_search_segment;
typedef struct souk_search_builder souk_search_builder;

/* Status codes of the builder. */
enum {
    SOUK_SEARCH_BUILD_OK = 0,
    SOUK_SEARCH_BUILD_INVALID = -1, /* a document breaks a limit above, or LANGUAGE is unknown */
    SOUK_SEARCH_BUILD_NOMEM = -2,
    SOUK_SEARCH_BUILD_FULL = -3, /* SOUK_SEARCH_DOCS_MAX documents already */
};

/* A new, empty builder whose text is analysed for LANGUAGE (see
 * souk_search_text_init; NULL = English) into *OUT. Returns 0, or
 * SOUK_SEARCH_BUILD_INVALID / _NOMEM with *OUT NULL. */
int souk_search_builder_new(souk_search_builder **out, const char *language);

/* Adds DOC. Returns 0, SOUK_SEARCH_BUILD_INVALID (id <= 0, too many facet
 * values, a dimension or value empty or too long, too many dimensions,
 * popularity < 0 or not finite; nothing of DOC is added), _FULL, or _NOMEM
 * (the builder is then unusable but for souk_search_builder_free). Ids are
 * not checked for uniqueness. */
int souk_search_builder_add(souk_search_builder *b, const souk_search_doc *doc);

/* Documents added so far. */
uint32_t souk_search_builder_count(const souk_search_builder *b);

/* Turns B into a segment with one reference, held by the caller, in *OUT,
 * and frees B (also on failure). Returns 0 or SOUK_SEARCH_BUILD_NOMEM. */
int souk_search_builder_finish(souk_search_builder *b, souk_search_segment **out);

/* Frees B without making a segment. NULL is allowed. */
void souk_search_builder_free(souk_search_builder *b);

/* Builds a segment of DB's active products from the views the catalog
 * publishes for search (migration 0080; docs/internals/ownership.md), all
 * read in one snapshot: title, description, brand and vendor names, the
 * category path ("Home > Kitchen > Mugs"), attribute values and the active
 * variants' SKUs as text; facets "category" (the category id and every
 * ancestor's, in decimal), "brand" and "vendor" (ids), "attr.NAME"
 * (values); the lowest price in CURRENCY (none when the product has no
 * price in it); in stock when any active variant can be sold; created
 * time. Popularity and rating are 0 and none until events feed them.
 * LANGUAGE as for souk_search_builder_new. On success *OUT holds a
 * segment with one reference (souk_search_segment_docs counts the
 * products) and 0 is returned; else -1 with a message in ERR. Runs on the
 * caller's thread, outside any transaction of DB's. */
int souk_search_build(souk_store *db, const char *currency, const char *language, souk_search_segment **out, char *err,
                      size_t errlen);

/* souk_search_build of only the products among IDS (NIDS, at most a few
 * thousand: they go into the SQL text as a list; 0 = an empty segment)
 * that are active now: the delta of a composite (souk_search_segment_compose).
 * Its documents carry no names for suggestions. Returns as souk_search_build. */
int souk_search_build_ids(souk_store *db, const char *currency, const char *language, const int64_t *ids, size_t nids,
                          souk_search_segment **out, char *err, size_t errlen);

/* Told how far a build got: DONE of TOTAL products read and indexed (TOTAL
 * counted first, in the same snapshot); called every
 * SOUK_SEARCH_PROGRESS_EVERY products and once at the end. */
typedef void (*souk_search_progress_fn)(uint64_t done, uint64_t total, void *ctx);
#define SOUK_SEARCH_PROGRESS_EVERY 256

/* souk_search_build, telling PROGRESS(…, CTX) how far it got (NULL = do not). */
int souk_search_build_progress(souk_store *db, const char *currency, const char *language,
                               souk_search_progress_fn progress, void *ctx, souk_search_segment **out, char *err,
                               size_t errlen);

/* Takes one more reference to SEG and returns it. */
souk_search_segment *souk_search_segment_ref(souk_search_segment *seg);

/* Drops a reference; the last one frees SEG. NULL is allowed. */
void souk_search_segment_unref(souk_search_segment *seg);

/* Documents in SEG. */
uint32_t souk_search_segment_docs(const souk_search_segment *seg);

/* Distinct terms in SEG. */
uint32_t souk_search_segment_terms(const souk_search_segment *seg);

/* Bytes SEG holds (its arrays and bitmaps), for the metrics. */
size_t souk_search_segment_bytes(const souk_search_segment *seg);

/* The language SEG's text was analysed for (queries must use the same). */
const char *souk_search_segment_language(const souk_search_segment *seg);

/* The attribute dimensions ("attr.NAME") of SEG worth a facet (dims.c): those
 * whose values at least two documents share on average, the ones most
 * documents have a value of first, ties by name. At most MAX into OUT; the
 * names are NUL-terminated and live as long as SEG. Returns how many. */
size_t souk_search_attr_dims(const souk_search_segment *seg, const char **out, size_t max);

/* ---- composites: a base, tombstones and a delta (delta.c) ---- */

/* Makes in *OUT (one reference, the caller's) a segment that searches as
 * BASE without its documents whose ids are among IDS (NIDS, any order;
 * the tombstones) plus DELTA (NULL = none): the current form of those of
 * IDS that still exist. Both stay shared (each takes a reference). Both
 * must be plain segments (not composites) of one language. The composite
 * has BASE's synonyms, weights and names. Returns 0,
 * SOUK_SEARCH_BUILD_INVALID or _NOMEM. */
int souk_search_segment_compose(souk_search_segment *base, souk_search_segment *delta, const int64_t *ids, size_t nids,
                                souk_search_segment **out);

/* SEG's base (SEG itself when it is not a composite); no reference taken. */
souk_search_segment *souk_search_segment_base(souk_search_segment *seg);

/* Documents in SEG's delta, and base documents it tombstones (0 for a plain segment). */
uint32_t souk_search_segment_delta_docs(const souk_search_segment *seg);
uint32_t souk_search_segment_tombstones(const souk_search_segment *seg);

/* Whether product ID is in stock in SEG (1 or 0), or -1 when SEG lacks it.
 * Assumes documents were added in ascending id order, as
 * souk_search_build adds them. */
int souk_search_segment_in_stock(const souk_search_segment *seg, int64_t id);

/* ---- the current segment: readers never block, writers swap ----
 * A reader acquires the current segment (a reference) and releases it when
 * done; a writer publishes a new segment, which later readers get at once,
 * while readers of the old one finish undisturbed: the old one is freed by
 * its last release. Publishing waits (spinning, briefly) until no reader is
 * between loading the pointer and taking its reference, so a reference is
 * never taken on a freed segment; readers never wait. */
typedef struct souk_search_engine {
    _Atomic(souk_search_segment *) current;
    atomic_uint entering; /* readers between loading current and their ref */
    atomic_flag publishing;
} souk_search_engine;

/* Sets up caller-owned E with no segment. */
void souk_search_engine_init(souk_search_engine *e);

/* Drops E's reference to its segment. No reader may use E afterwards. */
void souk_search_engine_release(souk_search_engine *e);

/* The current segment with a reference for the caller (release it with
 * souk_search_segment_unref), or NULL when none was published. */
souk_search_segment *souk_search_engine_acquire(souk_search_engine *e);

/* Makes SEG (whose reference the caller hands over; NULL = none) current
 * and drops E's reference to the one it replaces. Publishers are serialised. */
void souk_search_engine_publish(souk_search_engine *e, souk_search_segment *seg);

#endif
