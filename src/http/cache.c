/* cache.c — see cache.h. */
#include "http/cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/time.h"
#include "core/banned.h"

#define NSHARDS 16
#define NBUCKETS 1024
#define RECS_SHARE 2 /* recommendation lists (one per shopper and URL) hold at most half of a shard */

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    souk_cache_stamp stamp;
    int64_t expires_us; /* souk_time_mono_us; 0 = never */
    unsigned tags;
    bool live;
    int status;
    const char *content_type, *cache_control;
    size_t klen, body_len, size;
    char etag[24];
    char *key, *body; /* both point into the same allocation as the entry */
} entry;

typedef struct shard {
    pthread_mutex_t lock;
    entry *buckets[NBUCKETS];
    size_t bytes, recs_bytes; /* all entries; those tagged SOUK_CACHE_TAG_RECS */
} shard;

static shard shards[NSHARDS];
static size_t shard_budget;
static _Atomic uint64_t generation = 1, stock_generation = 1, recs_generation = 1, search_generation = 1;
static _Atomic int64_t total_bytes, total_entries;
static int m_bytes = -1, m_entries = -1; /* /metrics gauges */

void souk_cache_init(size_t max_bytes)
{
    shard_budget = max_bytes / NSHARDS;
    for (int i = 0; i < NSHARDS; i++)
        pthread_mutex_init(&shards[i].lock, NULL);
    m_bytes = souk_metrics_series("souk_cache_bytes", "", SOUK_METRIC_GAUGE,
                                  "bytes the response cache holds (entries, keys and bodies; budget SOUK_CACHE_MB)");
    m_entries = souk_metrics_series("souk_cache_entries", "", SOUK_METRIC_GAUGE, "answers the response cache holds");
    int m_budget = souk_metrics_series("souk_cache_budget_bytes", "", SOUK_METRIC_GAUGE,
                                       "the response cache's byte budget (SOUK_CACHE_MB; 0 = off)");
    souk_metrics_series_set(m_budget, (int64_t)(shard_budget * NSHARDS));
}

/* Counts ENTRIES entries of BYTES bytes in (positive) or out (negative). */
static void account(int64_t bytes, int64_t entries)
{
    atomic_fetch_add_explicit(&total_bytes, bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&total_entries, entries, memory_order_relaxed);
    souk_metrics_series_add(m_bytes, bytes);
    souk_metrics_series_add(m_entries, entries);
}

/* Unlinks nothing: frees E and counts it out of S. */
static void drop(shard *s, entry *e)
{
    s->bytes -= e->size;
    if (e->tags & SOUK_CACHE_TAG_RECS)
        s->recs_bytes -= e->size;
    account(-(int64_t)e->size, -1);
    free(e);
}

/* Drops the entries of S tagged SOUK_CACHE_TAG_RECS: their share of the
 * budget is spent, and the catalog's answers stay. */
static void clear_recs(shard *s)
{
    for (int b = 0; b < NBUCKETS; b++)
        for (entry **pp = &s->buckets[b], *e; (e = *pp);) {
            if (e->tags & SOUK_CACHE_TAG_RECS) {
                *pp = e->next;
                drop(s, e);
            } else
                pp = &e->next;
        }
}

static void clear_shard(shard *s)
{
    for (int b = 0; b < NBUCKETS; b++) {
        entry *e = s->buckets[b];
        while (e) {
            entry *next = e->next;
            drop(s, e);
            e = next;
        }
        s->buckets[b] = NULL;
    }
    s->bytes = s->recs_bytes = 0;
}

void souk_cache_usage(size_t *bytes, size_t *entries)
{
    int64_t b = atomic_load_explicit(&total_bytes, memory_order_relaxed);
    int64_t n = atomic_load_explicit(&total_entries, memory_order_relaxed);
    *bytes = b > 0 ? (size_t)b : 0;
    *entries = n > 0 ? (size_t)n : 0;
}

void souk_cache_release(void)
{
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_lock(&shards[i].lock);
        clear_shard(&shards[i]);
        pthread_mutex_unlock(&shards[i].lock);
    }
}

souk_cache_stamp souk_cache_stamp_now(void)
{
    return (souk_cache_stamp){atomic_load_explicit(&generation, memory_order_acquire),
                              atomic_load_explicit(&stock_generation, memory_order_acquire),
                              atomic_load_explicit(&recs_generation, memory_order_acquire),
                              atomic_load_explicit(&search_generation, memory_order_acquire)};
}

void souk_cache_invalidate(void)
{
    atomic_fetch_add_explicit(&generation, 1, memory_order_acq_rel);
}

void souk_cache_invalidate_stock(void)
{
    atomic_fetch_add_explicit(&stock_generation, 1, memory_order_acq_rel);
}

void souk_cache_invalidate_recs(void)
{
    atomic_fetch_add_explicit(&recs_generation, 1, memory_order_acq_rel);
}

void souk_cache_invalidate_search(void)
{
    atomic_fetch_add_explicit(&search_generation, 1, memory_order_acq_rel);
}

/* Whether an answer stamped STAMP depending on TAGS is still what NOW shows. */
static bool fresh(souk_cache_stamp stamp, unsigned tags, souk_cache_stamp now)
{
    return stamp.all == now.all && (!(tags & SOUK_CACHE_TAG_STOCK) || stamp.stock == now.stock) &&
           (!(tags & SOUK_CACHE_TAG_RECS) || stamp.recs == now.recs) &&
           (!(tags & SOUK_CACHE_TAG_SEARCH) || stamp.search == now.search);
}

static uint64_t hash_key(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
    return h;
}

int souk_cache_get(const char *key, size_t klen, souk_cached *out, souk_arena *a)
{
    if (!shard_budget)
        return 0;
    uint64_t h = hash_key(key, klen);
    souk_cache_stamp now = souk_cache_stamp_now();
    shard *s = &shards[h % NSHARDS];
    int hit = 0;
    pthread_mutex_lock(&s->lock);
    entry **pp = &s->buckets[(h / NSHARDS) % NBUCKETS];
    for (entry *e; (e = *pp); pp = &e->next) {
        if (e->hash != h || e->klen != klen || memcmp(e->key, key, klen) != 0)
            continue;
        if (!fresh(e->stamp, e->tags, now) || (e->expires_us && souk_time_mono_us() >= e->expires_us)) {
            *pp = e->next; /* stale or expired: drop it */
            drop(s, e);
            break;
        }
        char *body = souk_arena_alloc(a, e->body_len + 1);
        char *etag = souk_arena_strdup(a, e->etag);
        if (body && etag) {
            memcpy(body, e->body, e->body_len);
            body[e->body_len] = '\0';
            *out =
                (souk_cached){e->status, e->tags, e->live, body, e->body_len, etag, e->content_type, e->cache_control};
            hit = 1;
        }
        break;
    }
    pthread_mutex_unlock(&s->lock);
    souk_metrics_cache(hit);
    return hit;
}

void souk_cache_put(const char *key, size_t klen, souk_cache_stamp stamp, const souk_cached *in)
{
    size_t size = sizeof(entry) + klen + in->body_len + 2;
    bool recs = in->tags & SOUK_CACHE_TAG_RECS;
    if (!shard_budget || !fresh(stamp, in->tags, souk_cache_stamp_now()) || size > shard_budget / 4 ||
        (recs && size > shard_budget / RECS_SHARE))
        return;
    entry *e = malloc(size);
    if (!e)
        return;
    uint64_t h = hash_key(key, klen);
    e->hash = h;
    e->stamp = stamp;
    e->expires_us = in->ttl_s > 0 ? souk_time_mono_us() + (int64_t)in->ttl_s * 1000000 : 0;
    e->tags = in->tags;
    e->live = in->live;
    e->status = in->status;
    e->content_type = in->content_type;
    e->cache_control = in->cache_control;
    e->klen = klen;
    e->body_len = in->body_len;
    e->size = size;
    size_t el = strlen(in->etag);
    if (el >= sizeof e->etag)
        el = sizeof e->etag - 1;
    memcpy(e->etag, in->etag, el);
    e->etag[el] = '\0';
    e->key = (char *)(e + 1);
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    e->body = e->key + klen + 1;
    memcpy(e->body, in->body, in->body_len);
    e->body[in->body_len] = '\0';

    shard *s = &shards[h % NSHARDS];
    pthread_mutex_lock(&s->lock);
    if (recs && s->recs_bytes + size > shard_budget / RECS_SHARE)
        clear_recs(s);
    if (s->bytes + size > shard_budget)
        clear_shard(s);
    entry **pp = &s->buckets[(h / NSHARDS) % NBUCKETS];
    for (entry *old; (old = *pp); pp = &old->next) { /* replace an existing entry */
        if (old->hash == h && old->klen == klen && memcmp(old->key, key, klen) == 0) {
            *pp = old->next;
            drop(s, old);
            break;
        }
    }
    e->next = s->buckets[(h / NSHARDS) % NBUCKETS];
    s->buckets[(h / NSHARDS) % NBUCKETS] = e;
    s->bytes += size;
    if (recs)
        s->recs_bytes += size;
    account((int64_t)size, 1);
    pthread_mutex_unlock(&s->lock);
}
