/* ratelimit.c — see ratelimit.h. */
#include "http/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/redis.h"
#include "core/banned.h"

#define NSHARDS 16
#define SHARD_CAP 8192 /* buckets per shard */
#define KEY_MAX 120
#define SLOTS (SHARD_CAP * 2)

typedef struct bucket {
    char key[KEY_MAX];
    double tokens;
    int64_t stamp_us; /* last refill */
    int capacity, window_s;
    bool used;
} bucket;

typedef struct shard {
    pthread_mutex_t lock;
    bucket *slots; /* open addressing, SHARD_CAP * 2 slots */
    size_t count;
} shard;

static shard shards[NSHARDS];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_init(&shards[i].lock, NULL);
        shards[i].slots = calloc(SLOTS, sizeof(bucket));
    }
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* A key's first slot in its shard (the low bits of H chose the shard). */
static size_t home(uint64_t h)
{
    return (h / NSHARDS) % SLOTS;
}

static void refill(bucket *b, int64_t now)
{
    if (now > b->stamp_us) {
        b->tokens += (double)(now - b->stamp_us) * b->capacity / ((double)b->window_s * 1e6);
        if (b->tokens > b->capacity)
            b->tokens = b->capacity;
        b->stamp_us = now;
    }
}

static double fill(const bucket *b)
{
    return b->tokens / b->capacity;
}

static int most_spent_first(const void *a, const void *b)
{
    double x = fill(*(bucket *const *)a), y = fill(*(bucket *const *)b);
    return x < y ? -1 : x > y;
}

/* Makes room: drops full buckets (they carry no information), and if more
 * than half the capacity remains, keeps the most spent ones, so a flood of
 * new keys cannot wash out the buckets that are refusing someone. */
static void compact(shard *s, int64_t now)
{
    bucket *old = s->slots;
    bucket *fresh = calloc(SLOTS, sizeof(bucket));
    bucket **spent = malloc(SHARD_CAP * sizeof *spent);
    if (!fresh || !spent) {
        free(fresh);
        free(spent);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < SLOTS; i++) {
        if (!old[i].used)
            continue;
        refill(&old[i], now);
        if (old[i].tokens < old[i].capacity && n < SHARD_CAP)
            spent[n++] = &old[i];
    }
    qsort(spent, n, sizeof *spent, most_spent_first);
    if (n > SHARD_CAP / 2)
        n = SHARD_CAP / 2;
    for (size_t k = 0; k < n; k++) {
        size_t j = home(hash(spent[k]->key));
        while (fresh[j].used)
            j = (j + 1) % SLOTS;
        fresh[j] = *spent[k];
    }
    free(spent);
    free(old);
    s->slots = fresh;
    s->count = n;
}

souk_rate souk_ratelimit_take(const char *key, int capacity, int window_s, int cost, int64_t now_us)
{
    souk_rate r = {true, capacity, capacity, 0, 0};
    if (capacity <= 0 || window_s <= 0)
        return r;
    bool shared_ok;
    double left;
    if (souk_redis_take(key, capacity, window_s, cost, &shared_ok, &left)) { /* the bucket every node shares */
        r.allowed = shared_ok;
        if (!shared_ok)
            r.retry_after_s = (int)((cost - left) * window_s / capacity) + 1;
        r.remaining = (int)left;
        r.reset_s = (int)((capacity - left) * window_s / capacity + 0.999);
        return r;
    }
    pthread_once(&once, init);
    char k[KEY_MAX];
    size_t n = strlen(key);
    if (n >= KEY_MAX)
        n = KEY_MAX - 1;
    memcpy(k, key, n);
    k[n] = '\0';
    uint64_t h = hash(k);
    shard *s = &shards[h % NSHARDS];
    pthread_mutex_lock(&s->lock);
    if (!s->slots) {
        pthread_mutex_unlock(&s->lock);
        return r; /* out of memory at start: fail open, the request is still authenticated */
    }
    size_t i = home(h);
    while (s->slots[i].used && strcmp(s->slots[i].key, k) != 0)
        i = (i + 1) % SLOTS;
    if (!s->slots[i].used) {
        if (s->count >= SHARD_CAP) {
            compact(s, now_us);
            if (s->count >= SLOTS - 1) { /* compaction found no memory: fail open rather than spin */
                pthread_mutex_unlock(&s->lock);
                return r;
            }
            i = home(h);
            while (s->slots[i].used)
                i = (i + 1) % SLOTS;
        }
        bucket *b = &s->slots[i];
        memcpy(b->key, k, n + 1);
        b->tokens = capacity;
        b->stamp_us = now_us;
        b->used = true;
        s->count++;
    }
    bucket *b = &s->slots[i];
    b->capacity = capacity;
    b->window_s = window_s;
    refill(b, now_us);
    if (b->tokens + 1e-9 >= cost) {
        b->tokens -= cost;
    } else {
        r.allowed = false;
        double missing = cost - b->tokens;
        r.retry_after_s = (int)(missing * window_s / capacity) + 1;
    }
    r.remaining = (int)b->tokens;
    r.reset_s = (int)((capacity - b->tokens) * window_s / capacity + 0.999);
    pthread_mutex_unlock(&s->lock);
    return r;
}

void souk_ratelimit_reset(void)
{
    pthread_once(&once, init);
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_lock(&shards[i].lock);
        if (shards[i].slots)
            memset(shards[i].slots, 0, SLOTS * sizeof(bucket));
        shards[i].count = 0;
        pthread_mutex_unlock(&shards[i].lock);
    }
}
