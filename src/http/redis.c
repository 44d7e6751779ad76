/*
 * redis.c — see redis.h: the URL, the shared state, connections, metrics.
 *
 * State: `up` says whether threads may call Redis; `epoch` moves each time
 * Redis comes back, so every thread drops the connection it had and makes a
 * new one (a connection from before an outage may be half dead). A failed
 * command on any thread marks Redis down; only the subscriber thread
 * (redis_bus.c), which watches its own connection, marks it up again.
 */
#include "http/redis_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "core/banned.h"

typedef struct target {
    char host[256];
    int port, db;
    char user[128], password[256];
} target;

static target where;
static struct timeval timeout;
static int timeout_ms;
static atomic_bool configured, up;
static _Atomic uint64_t epoch = 1;
static uint64_t node_id;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER; /* orders the log lines of changes */
static int known = -1; /* under state_lock: the state last logged, 1 up, 0 down, -1 none yet */
static int m_up = -1, m_errors = -1, m_changes = -1, m_sent = -1, m_received = -1;

static _Thread_local redisContext *thread_ctx;
static _Thread_local uint64_t thread_epoch;
static pthread_key_t ctx_key; /* frees a thread's connection when the thread ends */
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

/* ---- the URL ---- */

/* Copies [S, E) into OUT (size N) percent-decoded; -1 when too long or bad. */
static int decode(const char *s, const char *e, char *out, size_t n)
{
    size_t k = 0;
    for (; s < e; s++) {
        int c = (unsigned char)*s;
        if (c == '%') {
            if (e - s < 3)
                return -1;
            char hex[3] = {s[1], s[2], 0}, *end;
            long v = strtol(hex, &end, 16);
            if (*end || v <= 0)
                return -1;
            c = (int)v;
            s += 2;
        } else if (c < 0x21 || c > 0x7e) {
            return -1;
        }
        if (k + 1 >= n)
            return -1;
        out[k++] = (char)c;
    }
    out[k] = '\0';
    return 0;
}

static int parse_int(const char *s, const char *e, long lo, long hi, int *out)
{
    if (s == e || e - s > 6)
        return -1;
    long v = 0;
    for (const char *p = s; p < e; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_url(const char *url, target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->port = 6379;
    size_t len = strlen(url);
    if (len == 0 || len >= SOUK_REDIS_URL_MAX || strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen,
                 "Redis (SOUK_REDIS, --redis) must be redis://[[user]:password@]host[:port][/db], "
                 "at most %d bytes",
                 SOUK_REDIS_URL_MAX - 1);
        return -1;
    }
    const char *p = url + 8, *end = url + len;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *auth_end = memchr(p, '@', (size_t)((slash ? slash : end) - p));
    if (auth_end) {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        if (!colon || decode(p, colon, t->user, sizeof t->user) < 0 ||
            decode(colon + 1, auth_end, t->password, sizeof t->password) < 0 || !t->password[0]) {
            snprintf(err, errlen, "Redis URL: the credentials must be [user]:password (percent-encoded)");
            return -1;
        }
        p = auth_end + 1;
    }
    const char *host_end = slash ? slash : end;
    const char *colon = memchr(p, ':', (size_t)(host_end - p));
    const char *name_end = colon ? colon : host_end;
    size_t hn = (size_t)(name_end - p);
    if (hn == 0 || hn >= sizeof t->host) {
        snprintf(err, errlen, "Redis URL: a host name is needed");
        return -1;
    }
    for (const char *q = p; q < name_end; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '.' ||
              *q == '-' || *q == '_')) {
            snprintf(err, errlen, "Redis URL: the host may hold letters, digits, '.', '-' and '_' only");
            return -1;
        }
    memcpy(t->host, p, hn);
    t->host[hn] = '\0';
    if (colon && parse_int(colon + 1, host_end, 1, 65535, &t->port) < 0) {
        snprintf(err, errlen, "Redis URL: the port must be 1-65535");
        return -1;
    }
    if (slash && slash + 1 < end && parse_int(slash + 1, end, 0, 9999, &t->db) < 0) {
        snprintf(err, errlen, "Redis URL: the database must be a number 0-9999");
        return -1;
    }
    return 0;
}

int souk_redis_url_check(const char *url, char *err, size_t errlen)
{
    target t;
    return parse_url(url, &t, err, errlen);
}

/* ---- connecting ---- */

/* Runs a command whose answer must not be an error; 0 or -1 (reason in ERR). */
static int must(redisContext *c, const char *what, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r || r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "%s: %s", what, r ? r->str : c->errstr);
        if (r)
            freeReplyObject(r);
        return -1;
    }
    freeReplyObject(r);
    return 0;
}

redisContext *souk__redis_connect(char *err, size_t errlen)
{
    redisContext *c = redisConnectWithTimeout(where.host, where.port, timeout);
    if (!c) {
        snprintf(err, errlen, "connect: out of memory");
        return NULL;
    }
    if (c->err) {
        snprintf(err, errlen, "connect to %s:%d: %s", where.host, where.port, c->errstr);
        redisFree(c);
        return NULL;
    }
    if (redisSetTimeout(c, timeout) != REDIS_OK) {
        snprintf(err, errlen, "setting the timeout: %s", c->errstr);
        redisFree(c);
        return NULL;
    }
    if ((where.password[0] && (where.user[0] ? must(c, "AUTH", err, errlen, "AUTH %s %s", where.user, where.password)
                                             : must(c, "AUTH", err, errlen, "AUTH %s", where.password)) < 0) ||
        (where.db && must(c, "SELECT", err, errlen, "SELECT %d", where.db) < 0)) {
        redisFree(c);
        return NULL;
    }
    return c;
}

static void free_ctx(void *p)
{
    redisFree(p);
}

static void make_key(void)
{
    pthread_key_create(&ctx_key, free_ctx);
}

redisContext *souk__redis_thread_conn(void)
{
    if (!atomic_load_explicit(&up, memory_order_acquire))
        return NULL;
    uint64_t e = atomic_load_explicit(&epoch, memory_order_acquire);
    if (thread_ctx && thread_epoch == e)
        return thread_ctx;
    pthread_once(&ctx_once, make_key);
    if (thread_ctx) {
        redisFree(thread_ctx);
        thread_ctx = NULL;
        pthread_setspecific(ctx_key, NULL);
    }
    char err[300];
    redisContext *c = souk__redis_connect(err, sizeof err);
    if (!c) {
        souk__redis_count_error();
        souk__redis_mark_down(err);
        return NULL;
    }
    thread_ctx = c;
    thread_epoch = e;
    pthread_setspecific(ctx_key, c);
    return c;
}

void souk__redis_thread_failed(const char *what)
{
    char why[300];
    snprintf(why, sizeof why, "%s: %s", what, thread_ctx && thread_ctx->err ? thread_ctx->errstr : "no answer");
    if (thread_ctx) {
        redisFree(thread_ctx);
        thread_ctx = NULL;
        pthread_setspecific(ctx_key, NULL);
    }
    souk__redis_count_error();
    souk__redis_mark_down(why);
}

/* ---- state ---- */

void souk__redis_mark_up(void)
{
    pthread_mutex_lock(&state_lock);
    atomic_fetch_add_explicit(&epoch, 1, memory_order_acq_rel);
    atomic_store(&up, true);
    if (known != 1) {
        souk_metrics_series_set(m_up, 1);
        souk_metrics_series_add(m_changes, known == 0); /* the first connect is no change */
        known = 1;
        souk_log(SOUK_LOG_INFO, NULL, NULL,
                 json_pack("{s:s,s:i,s:i}", "host", where.host, "port", where.port, "db", where.db),
                 "redis connected: rate limits shared by every node, invalidations broadcast");
    }
    pthread_mutex_unlock(&state_lock);
}

void souk__redis_mark_down(const char *why)
{
    pthread_mutex_lock(&state_lock);
    atomic_store(&up, false);
    if (known != 0) { /* was up, or this is the first word since start */
        souk_metrics_series_set(m_up, 0);
        souk_metrics_series_add(m_changes, known == 1);
        known = 0;
        souk_log(SOUK_LOG_WARN, NULL, NULL,
                 json_pack("{s:s,s:i,s:s}", "host", where.host, "port", where.port, "reason", why),
                 "redis unavailable: degraded to this node's own rate limits; other nodes follow changes through "
                 "the database; reconnecting");
    }
    pthread_mutex_unlock(&state_lock);
}

void souk__redis_count_error(void)
{
    souk_metrics_series_add(m_errors, 1);
}

void souk__redis_count_message(bool sent)
{
    souk_metrics_series_add(sent ? m_sent : m_received, 1);
}

uint64_t souk__redis_node_id(void)
{
    return node_id;
}

bool souk_redis_configured(void)
{
    return atomic_load_explicit(&configured, memory_order_relaxed);
}

bool souk_redis_up(void)
{
    return atomic_load_explicit(&up, memory_order_acquire);
}

int souk_redis_start(const char *url, int tmo_ms, char *err, size_t errlen)
{
    if (tmo_ms < 1 || tmo_ms > 10000) {
        snprintf(err, errlen, "SOUK_REDIS_TIMEOUT_MS must be 1-10000, got %d", tmo_ms);
        return -1;
    }
    if (parse_url(url, &where, err, errlen) < 0)
        return -1;
    timeout_ms = tmo_ms;
    timeout = (struct timeval){.tv_sec = tmo_ms / 1000, .tv_usec = (tmo_ms % 1000) * 1000};
    if (getrandom(&node_id, sizeof node_id, 0) != (ssize_t)sizeof node_id)
        node_id = (uint64_t)souk_time_now_us() ^ ((uint64_t)getpid() << 32);
    m_up = souk_metrics_series("souk_redis_up", "", SOUK_METRIC_GAUGE,
                               "1 while Redis answers (shared rate limits, broadcasts); 0 while degraded");
    m_errors = souk_metrics_series("souk_redis_errors_total", "", SOUK_METRIC_COUNTER,
                                   "Redis connects and commands that failed or timed out");
    m_changes = souk_metrics_series("souk_redis_state_changes_total", "", SOUK_METRIC_COUNTER,
                                    "Times Redis went from answering to degraded or back");
    m_sent = souk_metrics_series("souk_redis_messages_total", "direction=\"sent\"", SOUK_METRIC_COUNTER,
                                 "Invalidation broadcasts sent to and received from other nodes");
    m_received = souk_metrics_series("souk_redis_messages_total", "direction=\"received\"", SOUK_METRIC_COUNTER,
                                     "Invalidation broadcasts sent to and received from other nodes");
    souk_log(SOUK_LOG_INFO, NULL, NULL,
             json_pack("{s:s,s:i,s:i,s:i}", "host", where.host, "port", where.port, "db", where.db, "timeout_ms",
                       timeout_ms),
             "redis configured");
    known = -1;
    atomic_store(&configured, true);
    if (souk__redis_bus_start() < 0) {
        atomic_store(&configured, false);
        snprintf(err, errlen, "cannot start the Redis threads: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void souk_redis_stop(void)
{
    if (!souk_redis_configured())
        return;
    souk__redis_bus_stop();
    atomic_store(&up, false);
    atomic_store(&configured, false);
}
