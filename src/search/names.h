/*
 * names.h — the category and brand names a segment suggests while a
 * shopper types (GET /api/v1/search/suggest): collected by the loader
 * (load.c) beside the documents, folded as search folds text, counted by
 * the segment's own facet bitmaps (a category counts its subtree) and
 * attached to the segment, so suggestions of names are as fresh as the
 * index and cost no database read.
 */
#ifndef SOUK_SEARCH_NAMES_H
#define SOUK_SEARCH_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "search/index.h"
#include "search/text.h"

#define SOUK_SEARCH_NAMES_MAX 100000   /* names a segment keeps (the rest are not suggested) */
#define SOUK_SEARCH_NAME_BYTES_MAX 200 /* bytes of a name kept */

typedef enum souk_search_name_kind { SOUK_SEARCH_NAME_CATEGORY = 0, SOUK_SEARCH_NAME_BRAND } souk_search_name_kind;

/* A list of names being collected (caller-owned; zero it to start). */
typedef struct souk_search_names souk_search_names;

/* A new, empty list; NULL when memory runs out. */
souk_search_names *souk_search_names_new(void);

/* Frees NAMES. NULL is allowed. */
void souk_search_names_free(souk_search_names *names);

/* Adds NAME (LEN bytes, UTF-8; cut to SOUK_SEARCH_NAME_BYTES_MAX) of KIND
 * and ID to NAMES, folded with T, unless (KIND, ID) is there already.
 * 0, 1 (not kept: a duplicate, empty, or the list is full), -1 (memory). */
int souk_search_names_add(souk_search_names *names, souk_search_text *t, souk_search_name_kind kind, int64_t id,
                          const char *name, size_t len);

/* Gives NAMES to SEG (before it is published; SEG owns and frees them):
 * each is counted by SEG's facet bitmaps (dimension "category" or "brand",
 * value the decimal id), and names of no product are dropped. 0, or -1
 * when memory runs out (SEG then has none; NAMES is freed either way). */
int souk_search_segment_set_names(souk_search_segment *seg, souk_search_names *names);

typedef struct souk_search_name_hit {
    souk_search_name_kind kind;
    int64_t id;
    const char *name;  /* as the catalog spells it; lives as long as the segment */
    uint64_t products; /* products in the segment under it */
} souk_search_name_hit;

/* The names of SEG of KIND whose folded words start with every word of
 * what was typed, Q (LEN bytes, folded with T; the last word may be
 * partial), most products first, then by name: at most MAX into OUT.
 * Returns how many (0 for white space), or -1 when memory runs out. */
long souk_search_names_suggest(const souk_search_segment *seg, souk_search_text *t, souk_search_name_kind kind,
                               const char *q, size_t len, souk_search_name_hit *out, size_t max);

#endif
