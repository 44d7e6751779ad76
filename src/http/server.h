/*
 * server.h — the HTTP server: h2o event loops, one per thread, each with its
 * own database connection, all sharing the route table, plus a small pool of
 * threads for blocking handlers (password hashing).
 */
#ifndef SOUK_SERVER_H
#define SOUK_SERVER_H

#include <stdbool.h>

#include "http/router.h"

typedef struct souk_server_opts {
    const souk_config *config;
    souk_route *routes; /* checked by souk_router_init */
    size_t nroutes;
    /* Verifies an Authorization header value (LEN bytes) and fills
     * req->principal. Returns 0 when valid, -1 when the credential is bad. */
    int (*authenticate)(souk_req *req, const char *authorization, size_t len);
    /* For a request without an Authorization header: the credential a
     * browser session stands for ("Bearer …", arena string) when the request
     * proves it came from our own page (see souk_web_api_credential), else
     * NULL. It is then verified by authenticate like the header. May be NULL. */
    const char *(*session_credential)(souk_req *req);
    /* Called after every data-changing request (not GET/HEAD/OPTIONS) that
     * reached a route, with its final response (the audit log), where the
     * handler ran: on the group committer inside the group's transaction
     * (DB is the committer's connection: what it writes commits with the
     * request's change), or on a blocking-pool thread after the handler
     * (DB is that thread's connection; write in a transaction). Never on a
     * loop thread. */
    void (*after_request)(souk_store *db, const souk_req *req, const souk_res *res, const souk_route *route);
    /* Called when another process committed to the database. */
    void (*on_external_change)(void);
    /* The souk_store_version name that changes with what cached answers
     * show; the response cache is emptied only when it moves (at the commit
     * in this process, or within half a second of a write by another
     * process). NULL: every successful write request empties it. */
    const char *content_version;
    /* The version name that changes when products sell out or come back:
     * only cached answers tagged SOUK_CACHE_TAG_STOCK go (NULL: none). */
    const char *stock_version;
    bool access_log; /* one JSON log line per request */
    /* Picks the locale of a request to a .localized route (i18n.h souk_i18n_http_locale): from QUERY_LOCALE
     * (?locale=, NULL when absent) or ACCEPT (Accept-Language, NULL when absent), with GENERATION the
     * response cache's content generation (the store's locales change with it). 0 with *LOCALE (arena
     * string) and *IS_DEFAULT; -1 with *WHY when ?locale= names no store locale (400). May be NULL. */
    int (*locale)(souk_store *db, uint64_t generation, const char *query_locale, size_t qlen, const char *accept,
                  size_t alen, souk_arena *a, const char **locale, bool *is_default, const char **why);
} souk_server_opts;

/* Binds, serves until SIGTERM or SIGINT, drains in-flight requests and
 * returns 0; -1 when it cannot start (logged). Blocks those signals in the
 * calling thread. */
int souk_server_run(const souk_server_opts *opts);

/* Makes the cached answers tagged SOUK_CACHE_TAG_RECS stale: call it after
 * the recommendation lists served have changed (a new snapshot is
 * published). Safe from any thread, also before the server runs. */
void souk_server_cache_invalidate_recs(void);

/* Makes the cached answers tagged SOUK_CACHE_TAG_SEARCH stale: call it after
 * the search engine published a new segment. Safe from any thread. */
void souk_server_cache_invalidate_search(void);

#endif
