/*
 * cache.h — in-process cache of rendered public GET responses.
 *
 * Keyed by path + query. Invalidation is by generation, three of them: a
 * change of the catalog (noticed from the database's content version, also
 * when another process wrote) bumps the general one and every entry of an
 * older generation is a miss; a variant selling out or coming back bumps
 * the stock one, which only entries tagged SOUK_CACHE_TAG_STOCK (lists
 * filtered by in_stock) depend on; the recommendation service publishing a
 * new snapshot bumps the recs one, which only entries tagged
 * SOUK_CACHE_TAG_RECS (recommendation lists) depend on; the search engine
 * publishing a new segment bumps the search one, for entries tagged
 * SOUK_CACHE_TAG_SEARCH (pages drawn from the index). An entry may also
 * carry a time to live (the route's), after which it is a miss. A sale that changes no such state
 * evicts nothing: the counts product detail shows are live values
 * (core/live.h) filled in at every send, so the cached bytes hold markers.
 *
 * Sixteen shards, each behind its own mutex, each with a byte budget; a shard
 * over budget drops everything it holds. Entries tagged SOUK_CACHE_TAG_RECS
 * (one per shopper and URL: many) may use half of a shard's budget;
 * past it, only they are dropped.
 */
#ifndef SOUK_CACHE_H
#define SOUK_CACHE_H

#define SOUK_CACHE_TAG_STOCK 1u  /* as in http.h */
#define SOUK_CACHE_TAG_RECS 2u   /* as in http.h */
#define SOUK_CACHE_TAG_SEARCH 4u /* as in http.h */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

/* The generations an answer was computed under (taken before computing). */
typedef struct souk_cache_stamp {
    uint64_t all;
    uint64_t stock;
    uint64_t recs;
    uint64_t search;
} souk_cache_stamp;

typedef struct souk_cached {
    int status;
    unsigned tags;    /* SOUK_CACHE_TAG_* the answer depends on */
    bool live;        /* the body holds live markers (fill before sending) */
    const char *body; /* arena copy */
    size_t body_len;
    const char *etag;          /* arena copy, quoted */
    const char *content_type;  /* static string given at put */
    const char *cache_control; /* static string given at put */
    int ttl_s;                 /* at put: seconds the entry lives at most; 0 = until invalidated */
} souk_cached;

/* Sets the total byte budget (0 disables the cache). Call once before use. */
void souk_cache_init(size_t max_bytes);

/* Frees every entry (at shutdown). */
void souk_cache_release(void);

/* The current generations; capture them before computing a response. */
souk_cache_stamp souk_cache_stamp_now(void);

/* Makes every cached entry stale. Safe from any thread. */
void souk_cache_invalidate(void);

/* Makes the entries tagged SOUK_CACHE_TAG_STOCK stale. */
void souk_cache_invalidate_stock(void);

/* Makes the entries tagged SOUK_CACHE_TAG_RECS stale (a new recommendation
 * snapshot is served). Safe from any thread. */
void souk_cache_invalidate_recs(void);

/* Makes the entries tagged SOUK_CACHE_TAG_SEARCH stale (the search engine
 * published a new segment). Safe from any thread. */
void souk_cache_invalidate_search(void);

/* What the cache holds now: bytes (entries with their keys and bodies, as
 * counted against the budget) and entries. Also in /metrics. */
void souk_cache_usage(size_t *bytes, size_t *entries);

/* Looks KEY up; on a fresh hit copies the entry into A and returns 1, else 0. */
int souk_cache_get(const char *key, size_t klen, souk_cached *out, souk_arena *a);

/* Stores a response computed under STAMP (skipped if what it depends on
 * has changed since). CONTENT_TYPE and CACHE_CONTROL must be static strings. */
void souk_cache_put(const char *key, size_t klen, souk_cache_stamp stamp, const souk_cached *in);

#endif
