/*
 * redis.h — the optional shared state of several nodes (SOUK_REDIS,
 * hiredis): rate-limit buckets every node draws from, and a broadcast of
 * invalidations (sessions and keys revoked, catalog and stock changed) so
 * that what a node keeps in memory follows a change made on another one
 * within milliseconds.
 *
 * Redis is never required. Absent (not configured) every function here is a
 * cheap no-op and souk runs as one node does. Configured but unreachable or
 * failing, souk is degraded, not down: rate limits fall back to this node's
 * own buckets (http/ratelimit.h), broadcasts are not sent and other nodes
 * follow through the database watcher (within about a second, as without
 * Redis); the change of state is logged once each way and shown in /metrics
 * (souk_redis_up, souk_redis_errors_total). A background thread reconnects
 * with backoff (0.1 s doubling to 2 s).
 *
 * No call here waits longer than the configured timeout (SOUK_REDIS_TIMEOUT_MS,
 * default 100 ms), and after one failure no thread calls Redis again until
 * the background thread has seen it answer: a dead Redis costs each thread
 * at most one timeout. docs/internals/redis.md has the design.
 */
#ifndef SOUK_REDIS_H
#define SOUK_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a broadcast says changed (bits; one message may carry several). */
#define SOUK_REDIS_IDENTITY 1u /* a session, key, role or password changed: drop verifications */
#define SOUK_REDIS_CACHE 2u    /* the catalog changed: every cached response is stale */
#define SOUK_REDIS_STOCK 4u    /* something sold out or came back: stock-tagged responses are stale */
#define SOUK_REDIS_ALL (SOUK_REDIS_IDENTITY | SOUK_REDIS_CACHE | SOUK_REDIS_STOCK)

#define SOUK_REDIS_URL_MAX 512
#define SOUK_REDIS_TIMEOUT_DEFAULT_MS 100

/* Checks URL — redis://[[user]:password@]host[:port][/db], port 1-65535
 * (default 6379), db 0-9999 (default 0) — without connecting. 0, or -1 with
 * the reason in ERR. */
int souk_redis_url_check(const char *url, char *err, size_t errlen);

/* Starts using the Redis at URL (checked as above) with TIMEOUT_MS (1-10000)
 * for every connect and command: registers the metrics, starts the
 * subscriber and publisher threads, and returns at once (the first connect
 * happens in the background; until it succeeds souk is degraded). 0, or -1
 * with the reason in ERR. Call once, before serving. */
int souk_redis_start(const char *url, int timeout_ms, char *err, size_t errlen);

/* Stops the background threads and closes the connections (at shutdown,
 * after the loops have stopped). Harmless when not started. */
void souk_redis_stop(void);

/* True when Redis is configured (souk_redis_start succeeded). */
bool souk_redis_configured(void);

/* True when Redis is configured and answering (the shared paths are used). */
bool souk_redis_up(void);

/* Has FN run when another node broadcasts any of TOPICS (SOUK_REDIS_* bits),
 * and also whenever the subscription is (re)established, since what was
 * broadcast while it was not may be lost. FN runs on the subscriber thread:
 * it must be quick and must not publish. At most 8 (more are ignored); safe
 * from any thread, before or after souk_redis_start. */
void souk_redis_on(unsigned topics, void (*fn)(void));

/* Tells every other node that TOPICS changed. Never blocks: the bits are
 * merged into what the publisher thread sends next (a burst of changes is
 * one message); while Redis is down they wait for it to come back. Safe from
 * any thread; a no-op when Redis is not configured. */
void souk_redis_publish(unsigned topics);

/* The shared token bucket KEY (CAPACITY tokens refilled per WINDOW_S
 * seconds, COST taken; see souk_ratelimit_take): 1 and *ALLOWED, *TOKENS
 * (tokens left after this call, fractional) on success, using Redis's clock;
 * 0 when Redis is not configured or is down (the caller falls back to its own
 * bucket). Waits at most the timeout; a failure marks Redis down. */
int souk_redis_take(const char *key, int capacity, int window_s, int cost, bool *allowed, double *tokens);

#endif
