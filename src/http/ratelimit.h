/*
 * ratelimit.h — token buckets keyed by strings ("ip:1.2.3.4", "user:…"),
 * in process memory: sixteen mutex-protected shards, each bounded; when a
 * shard is full, buckets that have refilled completely (indistinguishable
 * from new ones) are dropped first, then, keeping half the shard, the least
 * spent, so a flood of new keys cannot wash out a bucket that is refusing.
 * A bucket of capacity C refills C tokens per WINDOW seconds, continuously.
 *
 * With Redis (http/redis.h) configured and answering, the bucket is Redis's,
 * shared by every node (one budget, not one per node); while Redis is down
 * or absent, each node's own buckets here stand in (degraded: N nodes let
 * through up to N budgets).
 */
#ifndef SOUK_RATELIMIT_H
#define SOUK_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct souk_rate {
    bool allowed;
    int limit;         /* capacity */
    int remaining;     /* whole tokens left after this call */
    int reset_s;       /* seconds until the bucket is full again */
    int retry_after_s; /* when refused: seconds until one token is back */
} souk_rate;

/* Takes COST tokens (1 normally; 0 to only look) from bucket KEY of
 * CAPACITY tokens refilled per WINDOW_S seconds. CAPACITY 0 = unlimited
 * (always allowed). NOW_US is the caller's clock (souk_time_mono_us). */
souk_rate souk_ratelimit_take(const char *key, int capacity, int window_s, int cost, int64_t now_us);

/* Forgets every bucket (tests, shutdown). */
void souk_ratelimit_reset(void);

#endif
