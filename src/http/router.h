/*
 * router.h — the declarative route table and its matcher.
 *
 * A pattern is a path whose segments are literals or {name} placeholders,
 * e.g. "/api/v1/products/{id}". A placeholder matches one non-empty segment.
 * Literal segments win over placeholders when two routes could match.
 */
#ifndef SOUK_ROUTER_H
#define SOUK_ROUTER_H

#include "http/http.h"

#define SOUK_PERM_PUBLIC "public"

/* Rate-limit classes (see docs/internals/http.md). */
typedef enum souk_rate_class {
    SOUK_RATE_DEFAULT = 0, /* per user/key, or per IP for anonymous callers */
    SOUK_RATE_AUTH,        /* login, register, password reset: strict, per IP */
    SOUK_RATE_NONE,        /* health checks and metrics */
} souk_rate_class;

typedef struct souk_route {
    souk_method method;
    const char *pattern;
    const char *permission; /* "public", "authenticated" or a named permission; never NULL */
    souk_handler handler;
    const char *cache_control; /* Cache-Control for anonymous 200s; NULL = no-store */
    bool cacheable;            /* 200 responses to callers without catalog:read:unpublished may be cached */
    bool cache_anonymous;      /* with cacheable: only for anonymous callers (signed-in answers are the
                                * shopper's own and never shared) */
    bool cache_no_cart;        /* with cache_anonymous: and only without X-Cart-Token (the answer leaves the
                                * cart's products out) */
    int cache_ttl_s;           /* with cacheable: a cached answer lives at most this long (0 = until invalidated) */
    bool blocking;             /* runs on the CPU pool, never on a loop or the committer (password hashing) */
    bool network;              /* runs on the network pool: it waits on another service (payment gateways) */
    bool unaudited;            /* a write that changes no business state (behaviour events, search clicks):
                                * no audit entry, not even when refused */
    souk_rate_class rate;
    size_t max_body; /* a larger body limit than the configured one for this route (image uploads); 0 = the
                        configured SOUK_MAX_BODY. The server lets h2o take bodies up to the largest one. */
    bool localized;  /* the answer is in the request's locale (req->locale): ?locale= is taken off the query, the
                        cache key holds the locale, and the answer says Content-Language and Vary: Accept-Language */
    bool web;        /* a storefront page (HTML, src/web), not the JSON API: outside /api/, public, and neither in the
                 OpenAPI document nor the RBAC matrix (docs/internals/web.md) */
    int metrics;     /* set by souk_router_init */
    int segments;    /* set by souk_router_init: the pattern's '/'s (0 = not counted) */
} souk_route;

/* Checks the table (every route has a permission, a handler, a valid
 * pattern) and registers per-route metrics. Returns 0, or -1 with a message
 * in ERR naming the bad route. */
int souk_router_init(souk_route *routes, size_t n, char *err, size_t errlen);

/* Finds the route for METHOD and PATH. Captured {params} are stored into
 * PARAMS (NUL-terminated copies in A). Returns the route, or NULL; then
 * *ALLOWED has the methods that would match PATH (0 → 404, else 405). */
const souk_route *souk_router_match(const souk_route *routes, size_t n, souk_method method, const char *path,
                                    const char **params, size_t *nparams, unsigned *allowed, souk_arena *a);

/* "GET", "POST"... for one method bit. */
const char *souk_method_name(souk_method m);

/* The method bit for NAME (LEN bytes), or 0 when unknown. */
souk_method souk_method_parse(const char *name, size_t len);

/* Writes "GET, HEAD, POST" for the bits in ALLOWED into the arena. */
const char *souk_methods_list(unsigned allowed, souk_arena *a);

#endif
