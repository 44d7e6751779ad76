/*
 * http.h — what a request handler sees. No h2o type leaks through here: the
 * adapter (src/http/middleware.c) fills a souk_req, calls the route's
 * handler, and respond.c turns the souk_res into an HTTP response with the
 * middleware's headers.
 *
 * A handler returns 0 after filling RES (souk_res_json...), or a souk_err
 * code (usually via souk_res_error / souk_res_invalid), which the adapter
 * renders as the standard error body. Everything a handler allocates for the
 * response comes from req->arena.
 */
#ifndef SOUK_HTTP_H
#define SOUK_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "core/query.h"
#include "core/trace.h"
#include "store/store.h"

typedef enum souk_method {
    SOUK_GET = 1,
    SOUK_HEAD = 2,
    SOUK_POST = 4,
    SOUK_PUT = 8,
    SOUK_PATCH = 16,
    SOUK_DELETE = 32,
    SOUK_OPTIONS = 64,
} souk_method;

#define SOUK_ROUTE_MAX_PARAMS 4

typedef enum souk_actor { SOUK_ACTOR_ANONYMOUS, SOUK_ACTOR_USER, SOUK_ACTOR_API_KEY } souk_actor;

/* Who is calling (filled by the identity module from the Authorization header). */
typedef struct souk_principal {
    bool authenticated;
    souk_actor kind;
    int64_t user_id;         /* the user, or the key's owner (0 for a legacy ownerless key) */
    int64_t key_id;          /* api_keys.id when authenticated by key */
    int64_t session_id;      /* sessions.id when authenticated by access token */
    int64_t vendor_id;       /* the user's vendor, for vendor-scoped writes (0 = none) */
    const char *role;        /* "customer", "vendor", "inventory_manager", "admin" (NULL for ownerless keys) */
    const char *permissions; /* space-separated, "*" = all */
} souk_principal;

typedef struct souk_header {
    const char *name; /* lower case */
    const char *value;
} souk_header;

typedef struct souk_req {
    souk_arena *arena; /* freed after the response is sent */
    souk_store *store; /* this thread's connection */
    const souk_config *config;
    souk_method method;
    const char *path; /* decoded path, NUL-terminated */
    souk_query query; /* parsed query string */
    const char *body; /* request body (may contain NULs) */
    size_t body_len;
    const char *params[SOUK_ROUTE_MAX_PARAMS]; /* {name} segments of the route, in order */
    size_t nparams;
    const char *request_id;
    souk_trace trace; /* W3C trace context: the caller's traceparent continued, or a new trace */
    const char *peer; /* client address, e.g. "127.0.0.1" */
    souk_principal principal;
    const souk_header *headers; /* copied request headers */
    json_t *body_json;          /* the body already parsed off the committer (writer.c), or NULL */
    size_t nheaders;
    struct souk__exchange *exchange; /* the HTTP layer's own, or NULL (a request made up by a test) */
    /* on routes marked .localized: the locale chosen for the answer (?locale=, else Accept-Language; the
     * server's locale hook), and whether it is the store's default (then no translation applies). NULL
     * elsewhere, or when the server has no hook. */
    const char *locale;
    bool locale_default;
} souk_req;

/* The locale to translate into for REQ: NULL when the answer is in the
 * default locale (no translations to join), else the tag. */
static inline const char *souk_req_translation(const souk_req *req)
{
    return req->locale && !req->locale_default ? req->locale : NULL;
}

/* A cached answer that shows whether products are in stock (the in_stock
 * filter) goes when any variant sells out or comes back; every other
 * cached answer only when the catalog changes. */
#define SOUK_CACHE_TAG_STOCK 1u
/* A recommendation list goes when the recommendation service publishes a
 * new snapshot (another model version or A/B test, a product out of stock
 * or archived, the periodic refresh): souk_server_cache_invalidate_recs. */
#define SOUK_CACHE_TAG_RECS 2u
/* A page drawn from the search index (the storefront's category pages) goes
 * when the search engine publishes a new segment, which follows the catalog
 * a moment later: souk_server_cache_invalidate_search. */
#define SOUK_CACHE_TAG_SEARCH 4u

#define SOUK_RES_COOKIES_MAX 4

typedef struct souk_res {
    int status; /* 200 unless set */
    souk_buf body;
    const char *content_type;  /* default application/json */
    const char *cache_control; /* default: the route's, or no-store */
    const char *location;
    const char *allow;
    const char *retry_after; /* seconds, for 429 */
    /* Set-Cookie values (the storefront's cart and form cookies; arena strings) */
    const char *cookies[SOUK_RES_COOKIES_MAX];
    size_t ncookies;
    souk_err err; /* set by souk_res_error */
    const char *err_message;
    souk_problems problems;
    /* for the response cache: what else than the catalog the answer shows */
    unsigned cache_tags;    /* SOUK_CACHE_TAG_* */
    bool live;              /* the body holds core/live.h markers, filled in at every send */
    int64_t cache_until_us; /* wall-clock µs a cached copy must not outlive (a flash sale's edge); 0 = no bound */
    /* for the audit entry the server appends after data-changing requests */
    const char *audit_object_type;
    const char *audit_object_id;
    int64_t audit_subject_user; /* the account the request was about (0 = the caller's) */
    /* a body souk_res_json left for the thread that sends the answer to
     * serialize (json_later: the group committer ran the handler; its time
     * is the one the whole process waits for) */
    json_t *json;
    bool json_later;
} souk_res;

/* A route's handler. It reads REQ (everything in it lives until the
 * response is sent; allocate from req->arena, never free it) and fills RES:
 * on success the body (souk_res_json, or res->body directly) and, when not
 * 200, res->status, then returns 0; on failure it sets an error with
 * souk_res_error / souk_res_invalid and returns that code (non-zero). A
 * non-zero return with no error set answers 500. It runs on an event-loop
 * thread (or the blocking pool for routes marked blocking) with req->store
 * as that thread's connection: a GET inside one read snapshot, other
 * methods with their own write transactions; it must not keep statements
 * or transactions open past its return. */
typedef int (*souk_handler)(souk_req *req, souk_res *res);

/* Value of request header NAME (case-insensitive), NUL-terminated, or NULL. */
const char *souk_req_header(souk_req *req, const char *name);

/* True when the caller holds PERMISSION: "public" always, "authenticated"
 * for any signed-in user or key, "session" only for a user signed in with an
 * access token (account management: an API key must never manage its
 * owner's account), otherwise when it is in the principal's permissions
 * (where "catalog:write" includes "catalog:write:own"). */
bool souk_req_can(const souk_req *req, const char *permission);

/* True when the space-separated list HAVE (or "*") contains PERMISSION. */
bool souk_permissions_contain(const char *have, const char *permission);

/* Names the object a data-changing request acted on, for its audit entry. */
void souk_res_audit(souk_res *res, const char *object_type, const char *object_id);

/* Appends this request's audit entry — the one the server appends after a
 * data-changing request, with STATUS as its result — inside the write
 * transaction open on DB, so that the change and its record commit
 * together; once that transaction has committed, the server appends none
 * of its own (a rolled-back attempt leaves the server's append in place).
 * For handlers that run their own transactions (routes on a pool) and know
 * their answer's status in the last one. Does nothing for a request the
 * HTTP layer did not make. 0, or -1 (out of memory: the server appends it
 * afterwards, as without this call). */
int souk_req_audit_tx(souk_req *req, souk_res *res, souk_store *db, int status);

/* Sets an error response; MESSAGE may be NULL for the registry default.
 * Returns E so handlers can `return souk_res_error(...)`. */
int souk_res_error(souk_res *res, souk_err e, const char *message);

/* A 422 VALIDATION_ERROR whose details are RES->problems (already filled). */
int souk_res_invalid(souk_res *res);

/* Serializes J (consumed) as the body with STATUS. Returns 0, or
 * SOUK_E_INTERNAL when serialization fails. With RES->json_later (set by
 * the HTTP layer for write requests on the group committer) J is kept in
 * RES->json and serialized by the loop that sends the answer (a failure
 * there — out of memory, a body over its limit — answers 500 as it would
 * have here; the audit entry, written with the change, has the status the
 * handler set). */
int souk_res_json(souk_res *res, int status, json_t *j);

/* Checks Content-Type and parses the body as a JSON object (souk_req_body_json).
 * Returns the object (caller decrefs) or NULL after setting a 400/415 error on RES. */
json_t *souk_req_json(souk_req *req, souk_res *res);

/* Parses the body as a JSON object, whatever its Content-Type. Returns the
 * object (caller decrefs), or NULL after setting on RES a 400 MALFORMED_JSON
 * with the registry's stable message and one problem {"field":"body",
 * "message": where and what, e.g. "unexpected character near byte 17"}. */
json_t *souk_req_body_json(souk_req *req, souk_res *res);

/* Parses the body (souk_req_json) and decodes it against SPEC into OUT.
 * Returns 0, or the error set on RES (400/415, or 422 with the problems). */
int souk_req_decode(souk_req *req, souk_res *res, const souk_json_spec *spec, void *out);

/* Parses path parameter I as an id with PREFIX into *ID. Returns 0, or a
 * 404 NOT_FOUND set on RES when it is absent or malformed. */
int souk_req_path_id(souk_req *req, souk_res *res, size_t i, const char *prefix, int64_t *id);

#endif
