/*
 * redis_limit.c — the token bucket every node shares: one Lua script, run
 * atomically by Redis, does the refill, the take and the expiry, on Redis's
 * clock (TIME), so nodes with skewed clocks still share one budget. The
 * bucket is a hash souk:rl:KEY {t: tokens, s: last refill in ms} that expires
 * one window after its last use (by then it would be full again anyway).
 *
 * EVALSHA first; NOSCRIPT (Redis restarted or its scripts flushed) sends the
 * script itself with EVAL, which caches it again.
 */
#include "http/redis_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

#define KEY_MAX 160

static const char script[] =
    "local cap = tonumber(ARGV[1]) local win = tonumber(ARGV[2]) local cost = tonumber(ARGV[3]) "
    "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "local h = redis.call('HMGET', KEYS[1], 't', 's') "
    "local tok = tonumber(h[1]) local ts = tonumber(h[2]) "
    "if not tok or not ts then tok = cap ts = now end "
    "if now > ts then tok = math.min(cap, tok + (now - ts) * cap / win) ts = now end "
    "local ok = 0 "
    "if tok + 1e-9 >= cost then tok = tok - cost ok = 1 end "
    "redis.call('HSET', KEYS[1], 't', string.format('%.6f', tok), 's', ts) "
    "redis.call('PEXPIRE', KEYS[1], win) "
    "return {ok, math.floor(tok * 1000)}";

/* SHA-1 of the script, as Redis names it: filled by the first SCRIPT LOAD. */
static char sha[41];
static pthread_mutex_t sha_lock = PTHREAD_MUTEX_INITIALIZER;

static redisReply *run(redisContext *c, const char *key, int capacity, int window_ms, int cost)
{
    char s[41];
    pthread_mutex_lock(&sha_lock);
    memcpy(s, sha, sizeof s);
    pthread_mutex_unlock(&sha_lock);
    if (s[0]) {
        redisReply *r = redisCommand(c, "EVALSHA %s 1 %s %d %d %d", s, key, capacity, window_ms, cost);
        if (!r || r->type != REDIS_REPLY_ERROR || strncmp(r->str, "NOSCRIPT", 8) != 0)
            return r;
        freeReplyObject(r);
    }
    redisReply *r = redisCommand(c, "EVAL %s 1 %s %d %d %d", script, key, capacity, window_ms, cost);
    if (r && r->type == REDIS_REPLY_ARRAY) { /* now cached by Redis: learn its name */
        redisReply *l = redisCommand(c, "SCRIPT LOAD %s", script);
        if (l && l->type == REDIS_REPLY_STRING && l->len == 40) {
            pthread_mutex_lock(&sha_lock);
            memcpy(sha, l->str, 41);
            pthread_mutex_unlock(&sha_lock);
        }
        if (l) /* (a failure here shows again at the next command) */
            freeReplyObject(l);
    }
    return r;
}

int souk_redis_take(const char *key, int capacity, int window_s, int cost, bool *allowed, double *tokens)
{
    if (capacity <= 0 || window_s <= 0 || cost < 0)
        return 0;
    redisContext *c = souk__redis_thread_conn();
    if (!c)
        return 0;
    char k[KEY_MAX];
    snprintf(k, sizeof k, "souk:rl:%s", key);
    redisReply *r = run(c, k, capacity, window_s * 1000, cost);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_INTEGER ||
        r->element[1]->type != REDIS_REPLY_INTEGER) {
        if (r && r->type == REDIS_REPLY_ERROR) { /* Redis answered: the connection is fine, the script is not */
            souk__redis_count_error();
            freeReplyObject(r);
            return 0;
        }
        if (r)
            freeReplyObject(r);
        souk__redis_thread_failed("rate-limit script");
        return 0;
    }
    *allowed = r->element[0]->integer == 1;
    *tokens = (double)r->element[1]->integer / 1000.0;
    freeReplyObject(r);
    return 1;
}
