/*
 * cache.h — in-process cache of rendered public GET responses.
 *
 * Keyed by path + query. Invalidation is by generation: any successful write
 * (or a write noticed from another process) bumps one global counter, and
 * entries of an older generation are misses. Coarse, but it can never serve
 * data older than the last write, which is what a catalog needs; hit rates
 * stay high because reads vastly outnumber writes.
 *
 * Sixteen shards, each behind its own mutex, each with a byte budget; a shard
 * over budget drops everything it holds.
 */
#ifndef SOUK_CACHE_H
#define SOUK_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

typedef struct souk_cached {
    int status;
    const char *body;           /* arena copy */
    size_t body_len;
    const char *etag;           /* arena copy, quoted */
    const char *content_type;   /* static string given at put */
    const char *cache_control;  /* static string given at put */
} souk_cached;

/* Sets the total byte budget (0 disables the cache). Call once before use. */
void souk_cache_init(size_t max_bytes);

/* Frees every entry (at shutdown). */
void souk_cache_release(void);

/* The current generation; capture it before computing a response. */
uint64_t souk_cache_generation(void);

/* Makes every cached entry stale. Safe from any thread. */
void souk_cache_invalidate(void);

/* Looks KEY up; on a fresh hit copies the entry into A and returns 1, else 0. */
int souk_cache_get(const char *key, size_t klen, souk_cached *out, souk_arena *a);

/* Stores a response computed during generation GEN (skipped if a write has
 * happened since). CONTENT_TYPE and CACHE_CONTROL must be static strings. */
void souk_cache_put(const char *key, size_t klen, uint64_t gen, const souk_cached *in);

#endif
