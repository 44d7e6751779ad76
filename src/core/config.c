/* config.c — see config.h. */
#include "core/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/money.h"
#include "core/banned.h"

static int parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int souk_config_set_listen(souk_config *c, const char *value, char *errbuf, size_t errlen)
{
    const char *colon = strrchr(value, ':');
    long port;
    if (!colon || colon == value || (size_t)(colon - value) >= sizeof c->listen_host ||
        parse_long(colon + 1, 0, 65535, &port) < 0) {
        snprintf(errbuf, errlen, "listen address must be HOST:PORT (port 0-65535), got '%s'", value);
        return -1;
    }
    memcpy(c->listen_host, value, (size_t)(colon - value));
    c->listen_host[colon - value] = '\0';
    c->listen_port = (int)port;
    return 0;
}

int souk_config_set_threads(souk_config *c, const char *value, char *errbuf, size_t errlen)
{
    long n;
    if (parse_long(value, 1, 256, &n) < 0) {
        snprintf(errbuf, errlen, "threads must be an integer 1-256, got '%s'", value);
        return -1;
    }
    c->threads = (int)n;
    return 0;
}

int souk_config_set_db(souk_config *c, const char *value, char *errbuf, size_t errlen)
{
    size_t n = strlen(value);
    if (n == 0 || n >= sizeof c->db_dsn) {
        snprintf(errbuf, errlen, "database (SOUK_DB, --db) must be 1-%zu bytes", sizeof c->db_dsn - 1);
        return -1;
    }
    memcpy(c->db_dsn, value, n + 1);
    return 0;
}

int souk_config_set_redis(souk_config *c, const char *value, char *errbuf, size_t errlen)
{
    size_t n = strlen(value);
    if (n >= sizeof c->redis) {
        snprintf(errbuf, errlen, "Redis (SOUK_REDIS, --redis) must be at most %zu bytes", sizeof c->redis - 1);
        return -1;
    }
    memcpy(c->redis, value, n + 1);
    return 0;
}

/* http(s)://host[:port], no path, no trailing slash, printable ASCII */
static int set_public_url(souk_config *c, const char *v, char *errbuf, size_t errlen)
{
    size_t n = strlen(v);
    const char *host = strncmp(v, "https://", 8) == 0 ? v + 8 : strncmp(v, "http://", 7) == 0 ? v + 7 : NULL;
    bool ok = host && host[0] && n < sizeof c->public_url;
    for (const char *p = host; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
             *p == '-' || *p == ':' || *p == '[' || *p == ']';
    if (!ok) {
        snprintf(errbuf, errlen, "SOUK_PUBLIC_URL must be an origin such as https://shop.example.com, got '%s'", v);
        return -1;
    }
    memcpy(c->public_url, v, n + 1);
    return 0;
}

static int set_cors(souk_config *c, const char *value, char *errbuf, size_t errlen)
{
    c->cors_count = 0;
    const char *p = value;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && (*p == ' ')) {
            p++;
            n--;
        }
        while (n && p[n - 1] == ' ')
            n--;
        if (n) {
            if (c->cors_count >= SOUK_CORS_MAX || n >= sizeof c->cors_origins[0]) {
                snprintf(errbuf, errlen, "SOUK_CORS_ORIGINS: at most %d origins of < 256 bytes", SOUK_CORS_MAX);
                return -1;
            }
            memcpy(c->cors_origins[c->cors_count], p, n);
            c->cors_origins[c->cors_count][n] = '\0';
            c->cors_count++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

int souk_config_load(souk_config *c, char *errbuf, size_t errlen)
{
    memset(c, 0, sizeof *c);
    memcpy(c->listen_host, "127.0.0.1", 10);
    c->listen_port = 8080;
    memcpy(c->db_dsn, "souk.db", 8);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c->threads = cores > 0 && cores <= 256 ? (int)cores : 1;
    c->log_level = SOUK_LOG_INFO;
    c->max_body = 1024 * 1024;
    memcpy(c->currency, "USD", 4);
    c->cache_bytes = (size_t)64 << 20;
    c->rate_user = 100;
    c->rate_ip = 300;
    c->rate_auth = 10;
    c->blocking_threads = 2;
    c->group_commit = 1;
    c->network_threads = 32;
    c->redis_timeout_ms = 100;
    c->watch_ms = 500;
    c->write_queue_max = 4096;
    c->write_wait_ms = 5000;
    c->db_replica_max_lag_ms = 30000;
    c->job_lease_s = 300;

    const char *v;
    long n;
    if ((v = getenv("SOUK_LISTEN")) && souk_config_set_listen(c, v, errbuf, errlen) < 0)
        return -1;
    if ((v = getenv("SOUK_DB")) && souk_config_set_db(c, v, errbuf, errlen) < 0)
        return -1;
    if ((v = getenv("SOUK_THREADS")) && souk_config_set_threads(c, v, errbuf, errlen) < 0)
        return -1;
    if ((v = getenv("SOUK_LOG_LEVEL"))) {
        int lvl = souk_log_level_parse(v);
        if (lvl < 0) {
            snprintf(errbuf, errlen, "SOUK_LOG_LEVEL must be debug|info|warn|error, got '%s'", v);
            return -1;
        }
        c->log_level = lvl;
    }
    if ((v = getenv("SOUK_MAX_BODY"))) {
        if (parse_long(v, 64, 64L << 20, &n) < 0) {
            snprintf(errbuf, errlen, "SOUK_MAX_BODY must be bytes between 64 and 67108864, got '%s'", v);
            return -1;
        }
        c->max_body = (size_t)n;
    }
    if ((v = getenv("SOUK_CURRENCY"))) {
        if (!souk_currency_valid(v)) {
            snprintf(errbuf, errlen, "SOUK_CURRENCY must be an ISO 4217 code such as USD, got '%s'", v);
            return -1;
        }
        memcpy(c->currency, v, 4);
    }
    if ((v = getenv("SOUK_CACHE_MB"))) {
        if (parse_long(v, 0, 65536, &n) < 0) {
            snprintf(errbuf, errlen, "SOUK_CACHE_MB must be 0-65536, got '%s'", v);
            return -1;
        }
        c->cache_bytes = (size_t)n << 20;
    }
    if ((v = getenv("SOUK_CORS_ORIGINS")) && set_cors(c, v, errbuf, errlen) < 0)
        return -1;
    if ((v = getenv("SOUK_PUBLIC_URL")) && set_public_url(c, v, errbuf, errlen) < 0)
        return -1;
    if ((v = getenv("SOUK_TRUSTED_PROXIES"))) {
        char why[160];
        if (strlen(v) > 4096 || souk_cidr_parse_list(v, &c->trusted_proxies, why, sizeof why) < 0) {
            snprintf(errbuf, errlen, "SOUK_TRUSTED_PROXIES: %s", strlen(v) > 4096 ? "longer than 4096 bytes" : why);
            return -1;
        }
    }
    if ((v = getenv("SOUK_REDIS")) && souk_config_set_redis(c, v, errbuf, errlen) < 0)
        return -1;
    if ((v = getenv("SOUK_DB_REPLICA"))) {
        if (strlen(v) >= sizeof c->db_replica) {
            snprintf(errbuf, errlen, "SOUK_DB_REPLICA must be at most %zu bytes", sizeof c->db_replica - 1);
            return -1;
        }
        snprintf(c->db_replica, sizeof c->db_replica, "%s", v);
    }
    static const struct {
        const char *name;
        size_t offset;
        long min, max;
    } ints[] = {
        {"SOUK_RATE_LIMIT_USER", offsetof(souk_config, rate_user), 0, 1000000},
        {"SOUK_RATE_LIMIT_IP", offsetof(souk_config, rate_ip), 0, 1000000},
        {"SOUK_RATE_LIMIT_AUTH", offsetof(souk_config, rate_auth), 0, 1000000},
        {"SOUK_BLOCKING_THREADS", offsetof(souk_config, blocking_threads), 1, 64},
        {"SOUK_GROUP_COMMIT", offsetof(souk_config, group_commit), 0, 1},
        {"SOUK_TRUST_PROXY", offsetof(souk_config, trust_proxy), 0, 1},
        {"SOUK_NETWORK_THREADS", offsetof(souk_config, network_threads), 1, 256},
        {"SOUK_REDIS_TIMEOUT_MS", offsetof(souk_config, redis_timeout_ms), 1, 10000},
        {"SOUK_WATCH_MS", offsetof(souk_config, watch_ms), 100, 10000},
        {"SOUK_WRITE_QUEUE_MAX", offsetof(souk_config, write_queue_max), 1, 100000},
        {"SOUK_WRITE_WAIT_MS", offsetof(souk_config, write_wait_ms), 0, 60000},
        {"SOUK_DB_REPLICA_MAX_LAG_MS", offsetof(souk_config, db_replica_max_lag_ms), 0, 3600000},
        {"SOUK_JOB_LEASE_S", offsetof(souk_config, job_lease_s), 1, 86400},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (!(v = getenv(ints[i].name)))
            continue;
        if (parse_long(v, ints[i].min, ints[i].max, &n) < 0) {
            snprintf(errbuf, errlen, "%s must be an integer %ld-%ld, got '%s'", ints[i].name, ints[i].min, ints[i].max,
                     v);
            return -1;
        }
        *(int *)((char *)c + ints[i].offset) = (int)n;
    }
    return 0;
}

int souk_config_origin_allowed(const souk_config *c, const char *origin, size_t len)
{
    for (size_t i = 0; i < c->cors_count; i++)
        if (strlen(c->cors_origins[i]) == len && memcmp(c->cors_origins[i], origin, len) == 0)
            return 1;
    return 0;
}
