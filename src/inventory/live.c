/*
 * live.c — the availability read model in memory (inventory.h).
 *
 * Design: variant id → available, in 64 shards, each an open-addressing
 * table behind its own mutex (a lookup is a hash and a few probes). A value
 * comes in two ways: a commit that changed variant_availability in this
 * process sets it (an after-commit hook registered by stock.c, so a rolled
 * back change never shows), and a reader that missed loads it from the
 * database. The second could race with the first — a reader reads the old
 * value, a sale commits and sets the new one, the reader then stores the
 * old one — so every change bumps a counter, and a reader stores what it
 * read only when no change came between its read and its store. Another
 * process's commits are not seen here: the server's watcher (within half a
 * second) forgets everything, and values are loaded again as asked. The
 * table is bounded; when a shard is full, values are read and not kept.
 */
#include "inventory/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

#define SHARDS 64
#define SLOTS 8192 /* per shard, a power of two: up to 0.5 M variants remembered */
#define FULL (SLOTS * 3 / 4)

typedef struct slot {
    int64_t variant; /* 0 = empty */
    int64_t available;
} slot;

typedef struct shard {
    pthread_mutex_t lock;
    int used;
    slot slots[SLOTS];
} shard;

static shard shards[SHARDS];
static atomic_uint_fast64_t changes; /* bumped by every set and forget */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&shards[i].lock, NULL);
}

static uint64_t mix(int64_t v)
{
    uint64_t x = (uint64_t)v;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* The slot of VARIANT in S (its own, or the empty one where it would go). */
static slot *find(shard *s, int64_t variant, uint64_t h)
{
    for (size_t i = (h >> 6) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1))
        if (s->slots[i].variant == variant || s->slots[i].variant == 0)
            return &s->slots[i];
}

static void store(int64_t variant, int64_t available, bool only_if_unchanged, uint_fast64_t seen)
{
    uint64_t h = mix(variant);
    shard *s = &shards[h & (SHARDS - 1)];
    pthread_mutex_lock(&s->lock);
    if (!only_if_unchanged || atomic_load(&changes) == seen) {
        slot *sl = find(s, variant, h);
        if (sl->variant == variant || s->used < FULL) {
            if (sl->variant == 0)
                s->used++;
            sl->variant = variant;
            sl->available = available;
        }
    }
    pthread_mutex_unlock(&s->lock);
}

static bool lookup(int64_t variant, int64_t *available)
{
    uint64_t h = mix(variant);
    shard *s = &shards[h & (SHARDS - 1)];
    pthread_mutex_lock(&s->lock);
    slot *sl = find(s, variant, h);
    bool hit = sl->variant == variant;
    if (hit)
        *available = sl->available;
    pthread_mutex_unlock(&s->lock);
    return hit;
}

void souk__inventory_live_set(void *arg)
{
    pthread_once(&once, init);
    const int64_t *v = arg; /* {variant, available} */
    atomic_fetch_add(&changes, 1);
    store(v[0], v[1], false, 0);
}

void souk_inventory_live_forget(void)
{
    pthread_once(&once, init);
    atomic_fetch_add(&changes, 1);
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_lock(&shards[i].lock);
        memset(shards[i].slots, 0, sizeof shards[i].slots);
        shards[i].used = 0;
        pthread_mutex_unlock(&shards[i].lock);
    }
}

void souk__inventory_live_forget_hook(void *arg)
{
    (void)arg;
    souk_inventory_live_forget();
}

int64_t souk_inventory_available_now(souk_store *db, int64_t variant)
{
    pthread_once(&once, init);
    int64_t available;
    if (lookup(variant, &available))
        return available;
    uint_fast64_t seen = atomic_load(&changes);
    if (souk_inventory_available(db, variant, &available) != SOUK_OK)
        return -1;
    store(variant, available, true, seen);
    return available;
}

int souk_inventory_live_available(void *ctx, int64_t key, char *out, size_t cap)
{
    int64_t available = souk_inventory_available_now(ctx, key);
    if (available < 0)
        return -1;
    int n = snprintf(out, cap, "%lld", (long long)available);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}
