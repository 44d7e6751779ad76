/*
 * config.h — runtime configuration: defaults, then SOUK_* environment
 * variables, then command-line flags (each command applies its own flags on
 * top of souk_config_load's result).
 */
#ifndef SOUK_CONFIG_H
#define SOUK_CONFIG_H

#include <stddef.h>

#include "core/cidr.h"
#include "core/err.h"

#define SOUK_CORS_MAX 16

typedef struct souk_config {
    char listen_host[64];                  /* SOUK_LISTEN host part, default 127.0.0.1 */
    int listen_port;                       /* SOUK_LISTEN port part, default 8080; 0 = any free port */
    char db_dsn[1024];                     /* SOUK_DB: a SQLite file path or sqlite:PATH, default souk.db */
    int threads;                           /* SOUK_THREADS, default: number of cores */
    int log_level;                         /* SOUK_LOG_LEVEL: debug|info|warn|error */
    size_t max_body;                       /* SOUK_MAX_BODY bytes, default 1 MiB, max 64 MiB */
    char currency[4];                      /* SOUK_CURRENCY, store default currency, default USD */
    size_t cache_bytes;                    /* SOUK_CACHE_MB (MiB), response cache size, default 64; 0 disables */
    char cors_origins[SOUK_CORS_MAX][256]; /* SOUK_CORS_ORIGINS, comma separated exact origins */
    size_t cors_count;
    int rate_user;             /* SOUK_RATE_LIMIT_USER requests/min per user or key, default 100; 0 = off */
    int rate_ip;               /* SOUK_RATE_LIMIT_IP requests/min per IP for anonymous callers, default 300; 0 = off */
    int rate_auth;             /* SOUK_RATE_LIMIT_AUTH login/register/reset requests/min per IP, default 10; 0 = off */
    int blocking_threads;      /* SOUK_BLOCKING_THREADS, threads for password hashing etc., default 2 */
    int network_threads;       /* SOUK_NETWORK_THREADS, threads for handlers that call a payment gateway, default 32 */
    int group_commit;          /* SOUK_GROUP_COMMIT, 1 (default): writes share commits on one committer thread */
    char public_url[256];      /* SOUK_PUBLIC_URL, the storefront's origin for canonical links and the sitemap
                             (default: http://LISTEN_HOST:LISTEN_PORT) */
    int trust_proxy;           /* SOUK_TRUST_PROXY, 0 (default); 1: a TLS proxy in front sets X-Forwarded-Proto, and the
                             storefront's cookies get Secure when it says https */
    char db_replica[1024];     /* SOUK_DB_REPLICA: a postgresql://… streaming replica of SOUK_DB for reports and
                                 analytics builds; "" (default): none */
    int db_replica_max_lag_ms; /* SOUK_DB_REPLICA_MAX_LAG_MS, 0-3600000, default 30000: a replica further behind
                                  is passed over for the primary */
    int job_lease_s;           /* SOUK_JOB_LEASE_S, 1-86400, default 300: how long a claimed job is a worker's
                                  before another may run it again (jobs/jobs.h) */
    char redis[512];      /* SOUK_REDIS (--redis), redis://[[user]:password@]host[:port][/db]; "" (default): none */
    int redis_timeout_ms; /* SOUK_REDIS_TIMEOUT_MS, 1-10000, default 100: the longest one Redis call waits */
    int watch_ms;         /* SOUK_WATCH_MS, 100-10000, default 500: how often a node looks for other processes'
                             commits (what keeps its caches right when no broadcast reaches it) */
    int write_queue_max;  /* SOUK_WRITE_QUEUE_MAX, 1-100000, default 4096: write requests waiting for the committer;
                             beyond, new ones are refused with 503 and Retry-After (load shedding) */
    int write_wait_ms;    /* SOUK_WRITE_WAIT_MS, 0-60000, default 5000: new write requests are refused while the
                             oldest waiting one has waited this long (0: no bound) */
    souk_cidr_list trusted_proxies; /* SOUK_TRUSTED_PROXIES, CIDRs of the reverse proxies whose X-Forwarded-For
                                       names the client (core/cidr.h); empty (default): the TCP peer is the client */
} souk_config;

/* Fills C with defaults and applies SOUK_* variables from the environment.
 * Returns 0, or -1 with a message in ERRBUF when a variable is invalid. */
int souk_config_load(souk_config *c, char *errbuf, size_t errlen);

/* Parses "HOST:PORT" into C. 0 or -1 (message in ERRBUF). */
int souk_config_set_listen(souk_config *c, const char *value, char *errbuf, size_t errlen);

/* Parses a thread count 1..256. 0 or -1. */
int souk_config_set_threads(souk_config *c, const char *value, char *errbuf, size_t errlen);

/* Sets the database DSN (≤1023 bytes; see souk_store_open). 0 or -1. */
int souk_config_set_db(souk_config *c, const char *value, char *errbuf, size_t errlen);

/* Sets the Redis URL (≤511 bytes; "" = none; checked in full when serving
 * starts). 0 or -1. */
int souk_config_set_redis(souk_config *c, const char *value, char *errbuf, size_t errlen);

/* True when ORIGIN (LEN bytes) is in the CORS allow-list. */
int souk_config_origin_allowed(const souk_config *c, const char *origin, size_t len);

#endif
