/*
 * middleware.c — one request, as a chain of steps.
 *
 * Design: like h2o's own handler chain, a request passes an ordered table
 * of small steps (`chain[]` below). Each does one job and returns
 *   CONTINUE  the next step runs;
 *   ANSWERED  the exchange's souk_res holds the answer (an error, a
 *             preflight, a cached response, the handler's result);
 *   DEFERRED  the exchange went to the blocking pool (pool.c), which
 *             finishes it when the handler is done.
 * The runner (souk__http_handle) does nothing else: it sets the exchange
 * up, runs the steps until one does not continue, and hands an answer to
 * souk__http_finish (respond.c), the one place that renders error bodies,
 * ETags and 304s, stores cacheable answers, sets headers, logs and counts.
 * A step reads what earlier steps left in the exchange (the route, the
 * principal) and never sends anything itself. To add middleware, add a
 * function and a row; the order of the rows is the order of the checks.
 */
#include "http/internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/cidr.h"
#include "core/id.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "http/cache.h"
#include "http/ratelimit.h"
#include "http/wire.h"
#include "core/banned.h"

/* What the preflight allows a browser script on an allowed origin to send:
 * every request header souk reads that a storefront or admin page needs and
 * that is neither CORS-safelisted nor set by the browser itself (Origin,
 * User-Agent):
 *   Authorization     access tokens and API keys (identity/auth.c)
 *   Content-Type      application/json bodies are not safelisted
 *   If-None-Match     revalidation against an ETag (respond.c)
 *   X-Request-Id      the caller's own request id (step_request_id)
 *   traceparent       W3C trace context (step_request_id)
 *   Idempotency-Key   checkout retries (orders/checkout.c)
 *   X-Cart-Token      guest carts (cart/api.c, orders/checkout.c)
 *   X-Order-Token     guest orders (orders/api_read.c)
 * Stripe-Signature is read too, but only by the payment webhook, which the
 * provider calls server to server: no browser sends it, so it is not
 * offered. A header added to a souk_req_header call belongs here when a
 * browser client will send it (tests/api/cors.test.js checks the list). */
#define CORS_ALLOW_HEADERS                                                                                             \
    "Authorization, Content-Type, If-None-Match, X-Request-Id, traceparent, Idempotency-Key, X-Cart-Token, "           \
    "X-Order-Token"
#define CORS_MAX_AGE "600"

void souk__http_copy_headers(souk__exchange *x, souk_arena *a)
{
    h2o_req_t *r = x->h2o;
    souk_header *hs = souk_arena_alloc(a, (r->headers.size + 1) * sizeof *hs);
    size_t n = 0;
    for (size_t i = 0; hs && i < r->headers.size; i++) {
        const char *name = souk_arena_strndup(a, r->headers.entries[i].name->base, r->headers.entries[i].name->len);
        const char *value = souk_arena_strndup(a, r->headers.entries[i].value.base, r->headers.entries[i].value.len);
        if (name && value)
            hs[n++] = (souk_header){name, value};
    }
    x->req.headers = hs;
    x->req.nheaders = n;
}

static const char *peer_address(h2o_req_t *r, souk_arena *a)
{
    struct sockaddr_storage ss;
    char buf[INET6_ADDRSTRLEN] = "unknown";
    socklen_t len =
        r->conn->callbacks->get_peername ? r->conn->callbacks->get_peername(r->conn, (struct sockaddr *)&ss) : 0;
    if (len && ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, sizeof buf);
    else if (len && ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, sizeof buf);
    return souk_arena_strdup(a, buf);
}

bool souk__http_request_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return false;
    }
    return true;
}

/* ---- the steps, in chain order ---- */

/* Request id: a valid incoming X-Request-Id is kept, else req_<id>. */
static souk__step step_request_id(souk__exchange *x)
{
    souk_req *req = &x->req;
    const char *rid = souk_req_header(req, "x-request-id");
    if (!rid || !souk__http_request_id_valid(rid)) {
        char idbuf[SOUK_ID_TEXT_MAX];
        rid = souk_arena_strdup(req->arena, souk_id_format("req", souk_id_next(), idbuf));
    }
    req->request_id = rid ? rid : "req_unknown";
    /* W3C trace context: one valid traceparent is continued; a malformed
     * one, or several (the spec treats them as invalid), starts a new trace */
    const char *tp = NULL;
    size_t ntp = 0;
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcmp(req->headers[i].name, "traceparent") == 0) {
            tp = req->headers[i].value;
            ntp++;
        }
    souk_trace_begin(&req->trace, ntp == 1 ? tp : NULL, ntp == 1 ? strlen(tp) : 0);
    souk_trace_set_current(&req->trace);
    return SOUK__STEP_CONTINUE;
}

/* Framing of an HTTP/1.x request (wire.h): several Content-Length fields,
 * Content-Length with Transfer-Encoding, Transfer-Encoding in HTTP/1.0, a
 * folded line → 400, and the connection closes after it, since what follows
 * the body may belong to it; a missing, repeated or malformed Host → 400.
 * h2o drops these fields from the header list, so the raw head is read from
 * the connection's input buffer, where h2o 2.2 keeps it until the response
 * is done. HTTP/2 frames its own messages. */
static souk__step step_framing(souk__exchange *x)
{
    static atomic_bool warned;
    h2o_req_t *r = x->h2o;
    if (r->version >= 0x200)
        return SOUK__STEP_CONTINUE;
    h2o_socket_t *sock = r->conn->callbacks->get_socket ? r->conn->callbacks->get_socket(r->conn) : NULL;
    souk_wire_verdict v = SOUK_WIRE_UNSEEN;
    if (sock && sock->input)
        v = souk_wire_check_head(sock->input->bytes, sock->input->size, r->input.method.base, r->input.method.len,
                                 r->input.path.base, r->input.path.len, r->version & 0xff);
    if (v == SOUK_WIRE_OK)
        return SOUK__STEP_CONTINUE;
    if (v == SOUK_WIRE_UNSEEN) { /* not h2o 2.2's layout: checks off, and say so once */
        if (!atomic_exchange(&warned, true))
            souk_log(SOUK_LOG_WARN, x->req.request_id, NULL, NULL,
                     "cannot see the raw request head; Content-Length/Transfer-Encoding/Host checks are off");
        return SOUK__STEP_CONTINUE;
    }
    if (souk_wire_must_close(v))
        r->http1_is_persistent = 0;
    souk_res_error(&x->res, SOUK_E_BAD_REQUEST, souk_wire_message(v));
    return SOUK__STEP_ANSWERED;
}

/* The path the router sees: the raw path (up to '?') decoded strictly
 * (wire.h), since h2o's normalized path turns %2F into '/' and resolves dot
 * segments. A path that names nothing routable → 404. */
static souk__step step_target(souk__exchange *x)
{
    h2o_req_t *r = x->h2o;
    size_t len = r->query_at != SIZE_MAX ? r->query_at : r->path.len;
    char *path;
    const char *why;
    int rc = souk_wire_decode_path(r->path.base, len, x->req.arena, &path, &why);
    if (rc == -1) {
        souk_res_error(&x->res, SOUK_E_NOT_FOUND, why);
        return SOUK__STEP_ANSWERED;
    }
    x->req.path = path;
    if (rc < 0) {
        souk_res_error(&x->res, SOUK_E_INTERNAL, NULL);
        return SOUK__STEP_ANSWERED;
    }
    return SOUK__STEP_CONTINUE;
}

/* Route match: the route for the method and path, and the methods the path
 * allows. Answers nothing: the preflight needs the methods, and 404/405 come
 * after it. */
static souk__step step_route_match(souk__exchange *x)
{
    const souk_server_opts *o = souk__http_opts;
    souk_req *req = &x->req;
    x->route = souk_router_match(o->routes, o->nroutes, req->method ? req->method : SOUK_GET, req->path, req->params,
                                 &req->nparams, &x->allowed, req->arena);
    return SOUK__STEP_CONTINUE;
}

/* CORS, first half: an allow-listed Origin is noted, so that every answer
 * to it, refusals included, carries Access-Control-Allow-Origin and
 * -Expose-Headers (respond.c). */
static souk__step step_origin(souk__exchange *x)
{
    const char *origin = souk_req_header(&x->req, "origin");
    if (origin && souk_config_origin_allowed(souk__http_opts->config, origin, strlen(origin)))
        x->origin_allowed = origin;
    return SOUK__STEP_CONTINUE;
}

/* CORS, second half: OPTIONS on a known path is a preflight: 204 with the
 * path's methods and the headers a browser may send, or 403 for an origin
 * not on the list. */
static souk__step step_preflight(souk__exchange *x)
{
    if (x->req.method != SOUK_OPTIONS || !x->allowed)
        return SOUK__STEP_CONTINUE;
    x->route = NULL;
    if (!x->origin_allowed) {
        souk_res_error(&x->res, SOUK_E_FORBIDDEN, "Origin not allowed");
        return SOUK__STEP_ANSWERED;
    }
    const char *methods = souk_methods_list(x->allowed | SOUK_OPTIONS, x->req.arena);
    x->res.status = 204;
    x->res.allow = methods;
    souk__http_add_header(x->h2o, "access-control-allow-methods", methods ? methods : "");
    souk__http_add_header(x->h2o, "access-control-allow-headers", CORS_ALLOW_HEADERS);
    souk__http_add_header(x->h2o, "access-control-max-age", CORS_MAX_AGE);
    return SOUK__STEP_ANSWERED;
}

/* 404 for a path no route knows, 405 (with Allow) for a method it lacks.
 * GET routes answer HEAD too. */
static souk__step step_route_found(souk__exchange *x)
{
    if (x->route && x->req.method)
        return SOUK__STEP_CONTINUE;
    x->route = NULL;
    if (x->allowed) {
        x->res.allow = souk_methods_list(x->allowed, x->req.arena);
        souk_res_error(&x->res, SOUK_E_METHOD_NOT_ALLOWED, NULL);
    } else {
        souk_res_error(&x->res, SOUK_E_NOT_FOUND, "No such resource.");
    }
    return SOUK__STEP_ANSWERED;
}

/* Body limit: bodies over SOUK_MAX_BODY → 413. (h2o's own limit is 4× that;
 * h2o's 413 past it is rewritten into the standard error in server.c.) */
static souk__step step_body_limit(souk__exchange *x)
{
    size_t max = souk__http_opts->config->max_body;
    if (x->route && x->route->max_body > max)
        max = x->route->max_body;
    if (x->req.body_len <= max)
        return SOUK__STEP_CONTINUE;
    souk_res_error(&x->res, SOUK_E_PAYLOAD_TOO_LARGE,
                   souk_arena_printf(x->req.arena, "The request body exceeds %zu bytes.", max));
    return SOUK__STEP_ANSWERED;
}

/* Authentication: an Authorization header — or, without one, a browser
 * session our own dashboard page vouches for (session_credential) — is
 * verified and fills the principal. Bad credentials are refused only after
 * the rate limit, which they cost like any anonymous request
 * (step_permission answers 401). */
static souk__step step_authenticate(souk__exchange *x)
{
    souk_req *req = &x->req;
    const char *authz = souk_req_header(req, "authorization");
    if (!authz && souk__http_opts->session_credential)
        authz = souk__http_opts->session_credential(req);
    if (authz && souk__http_opts->authenticate(req, authz, strlen(authz)) < 0) {
        req->principal = (souk_principal){0};
        x->bad_credentials = true;
    }
    return SOUK__STEP_CONTINUE;
}

/* Rate limit: the route's class picks the bucket (per user, key, or
 * address); RateLimit-* headers on every limited route, 429 with
 * Retry-After when the bucket is empty. */
static souk__step step_rate_limit(souk__exchange *x)
{
    const souk_config *c = souk__http_opts->config;
    if (x->route->rate == SOUK_RATE_NONE)
        return SOUK__STEP_CONTINUE;
    char key[128];
    const souk_principal *p = &x->req.principal;
    int capacity = x->route->rate == SOUK_RATE_AUTH ? c->rate_auth : p->authenticated ? c->rate_user : c->rate_ip;
    if (capacity <= 0) /* this class is not limited: no bucket to name */
        return SOUK__STEP_CONTINUE;
    if (x->route->rate == SOUK_RATE_AUTH)
        snprintf(key, sizeof key, "auth:%s", x->req.peer);
    else if (p->authenticated && p->kind == SOUK_ACTOR_API_KEY)
        snprintf(key, sizeof key, "key:%lld", (long long)p->key_id);
    else if (p->authenticated)
        snprintf(key, sizeof key, "user:%lld", (long long)p->user_id);
    else
        snprintf(key, sizeof key, "ip:%s", x->req.peer);
    souk_rate rt = souk_ratelimit_take(key, capacity, 60, 1, souk_time_mono_us());
    char v[32];
    snprintf(v, sizeof v, "%d", rt.limit);
    souk__http_add_header(x->h2o, "ratelimit-limit", v);
    snprintf(v, sizeof v, "%d", rt.remaining);
    souk__http_add_header(x->h2o, "ratelimit-remaining", v);
    snprintf(v, sizeof v, "%d", rt.reset_s);
    souk__http_add_header(x->h2o, "ratelimit-reset", v);
    if (rt.allowed)
        return SOUK__STEP_CONTINUE;
    x->res.retry_after = souk_arena_printf(x->req.arena, "%d", rt.retry_after_s);
    souk_res_error(&x->res, SOUK_E_RATE_LIMITED,
                   souk_arena_printf(x->req.arena, "Too many requests; retry in %d s.", rt.retry_after_s));
    souk_log(SOUK_LOG_WARN, x->req.request_id, NULL, json_pack("{s:s,s:i}", "key", key, "limit", capacity),
             "rate limited");
    return SOUK__STEP_ANSWERED;
}

/* Permission: bad credentials → 401; then the route's permission (401 for
 * anonymous callers, 403 for those lacking it). */
static souk__step step_permission(souk__exchange *x)
{
    souk_req *req = &x->req;
    if (x->bad_credentials) {
        souk_res_error(&x->res, SOUK_E_UNAUTHORIZED, "The credentials are not valid.");
        return SOUK__STEP_ANSWERED;
    }
    if (souk_req_can(req, x->route->permission))
        return SOUK__STEP_CONTINUE;
    bool in = req->principal.authenticated;
    souk_res_error(&x->res, in ? SOUK_E_FORBIDDEN : SOUK_E_UNAUTHORIZED,
                   in ? "You lack the permission for this action."
                      : "This action needs you to sign in or send an API key.");
    return SOUK__STEP_ANSWERED;
}

/* The raw value of ?locale= in R's query (*LEN bytes), or NULL. */
static const char *raw_locale_param(h2o_req_t *r, size_t *len)
{
    if (r->query_at == SIZE_MAX)
        return NULL;
    const char *q = r->path.base + r->query_at + 1, *end = r->path.base + r->path.len;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *item_end = amp ? amp : end;
        if (item_end - q >= 7 && memcmp(q, "locale=", 7) == 0) {
            *len = (size_t)(item_end - q - 7);
            return q + 7;
        }
        q = item_end + 1;
    }
    return NULL;
}

/* Locale: on localized routes, the server's locale hook picks the answer's
 * language from ?locale= or Accept-Language (before the cache: the key holds
 * it); 400 when ?locale= names no store locale. */
static souk__step step_locale(souk__exchange *x)
{
    souk_req *req = &x->req;
    if (!x->route->localized || !souk__http_opts->locale)
        return SOUK__STEP_CONTINUE;
    size_t qlen = 0;
    const char *q = raw_locale_param(x->h2o, &qlen), *accept = souk_req_header(req, "accept-language"), *why = NULL;
    if (souk__http_opts->locale(req->store, x->stamp.all, q, qlen, accept, accept ? strlen(accept) : 0, req->arena,
                                &req->locale, &req->locale_default, &why) == 0)
        return SOUK__STEP_CONTINUE;
    req->locale = NULL;
    souk_res_error(&x->res, SOUK_E_BAD_REQUEST, why ? why : "locale: not one of the store's locales.");
    return SOUK__STEP_ANSWERED;
}

/* Response cache: for cacheable routes and callers who cannot see
 * unpublished data (their answers differ), a stored answer is the answer;
 * on routes whose answers are the shopper's own (cache_anonymous), only
 * for anonymous callers, and without a cart where it shows (cache_no_cart). The key is the raw path with its
 * query. */
static souk__step step_cache_lookup(souk__exchange *x)
{
    souk_req *req = &x->req;
    x->cacheable = x->route->cacheable && req->method != SOUK_HEAD && !souk_req_can(req, "catalog:read:unpublished");
    if (x->cacheable && x->route->cache_anonymous)
        x->cacheable = req->principal.kind == SOUK_ACTOR_ANONYMOUS &&
                       !(x->route->cache_no_cart && souk_req_header(req, "x-cart-token"));
    x->cache_key = x->h2o->path.base;
    x->cache_klen = x->h2o->path.len;
    if (x->cacheable && req->locale) { /* one entry per locale: path, a byte no path holds, the tag */
        char *key = souk_arena_printf(req->arena, "%.*s\n%s", (int)x->h2o->path.len, x->h2o->path.base, req->locale);
        if (!key)
            x->cacheable = false;
        else
            x->cache_key = key, x->cache_klen = strlen(key);
    }
    souk_cached c;
    if (!x->cacheable || !souk_cache_get(x->cache_key, x->cache_klen, &c, req->arena))
        return SOUK__STEP_CONTINUE;
    x->cache_hit = true;
    x->res.status = c.status;
    x->res.content_type = c.content_type;
    x->res.cache_control = c.cache_control;
    x->res.cache_tags = c.tags;
    x->res.live = c.live;
    x->etag = c.live ? NULL : c.etag; /* a live body's tag is of the bytes sent */
    souk_buf_add(&x->res.body, c.body, c.body_len);
    return SOUK__STEP_ANSWERED;
}

/* Query string: parsed and bounded (src/core/query.c); 400 when malformed. */
static souk__step step_query(souk__exchange *x)
{
    h2o_req_t *r = x->h2o;
    const char *qerr = NULL;
    if (r->query_at == SIZE_MAX || souk_query_parse(&x->req.query, r->path.base + r->query_at + 1,
                                                    r->path.len - r->query_at - 1, x->req.arena, &qerr) == 0) {
        if (x->route->localized) { /* ?locale= is the server's (step_locale), not the handler's */
            souk_query *q = &x->req.query;
            size_t k = 0;
            for (size_t i = 0; i < q->count; i++)
                if (strcmp(q->items[i].key, "locale") != 0)
                    q->items[k++] = q->items[i];
            q->count = k;
        }
        return SOUK__STEP_CONTINUE;
    }
    souk_res_error(&x->res, SOUK_E_BAD_REQUEST, qerr);
    return SOUK__STEP_ANSWERED;
}

void souk__http_unreachable(souk__exchange *x, souk_store *db)
{
    if (x->res.err != SOUK_E_INTERNAL || !souk_store_lost(db))
        return;
    json_decref(x->res.json);
    x->res.json = NULL;
    souk_buf_reset(&x->res.body);
    souk_problems_init(&x->res.problems);
    x->res.retry_after = "1";
    souk_res_error(&x->res, SOUK_E_UNAVAILABLE, "The database cannot be reached; retry in a moment.");
}

/* Dispatch: blocking routes go to the pool, other writes to the group
 * committer (writer.c); reads run here, inside one read snapshot, and no
 * statement keeps a snapshot afterwards. A loop never writes. */
static souk__step step_dispatch(souk__exchange *x)
{
    souk_req *req = &x->req;
    bool read = req->method == SOUK_GET || req->method == SOUK_HEAD;
    if (x->route->blocking || x->route->network)
        return souk__pool_dispatch(x);
    if (!read)
        return souk__writer_dispatch(x);
    souk_store *db = x->w->db;
    bool read_tx = souk_store_read_begin(db) == 0;
    int rc = x->route->handler(req, &x->res);
    if (read_tx)
        souk_store_read_end(db);
    else
        souk_store_idle(db);
    if (rc != 0 && !x->res.err)
        souk_res_error(&x->res, SOUK_E_INTERNAL, NULL);
    souk__http_unreachable(x, db);
    return SOUK__STEP_ANSWERED;
}

static const struct {
    const char *name;
    souk__step (*run)(souk__exchange *x);
} chain[] = {
    {"request id", step_request_id},     {"cors origin", step_origin},
    {"framing", step_framing},           {"target", step_target},
    {"route match", step_route_match},   {"cors preflight", step_preflight},
    {"route found", step_route_found},   {"body limit", step_body_limit},
    {"authenticate", step_authenticate}, {"rate limit", step_rate_limit},
    {"permission", step_permission},     {"locale", step_locale},
    {"cache lookup", step_cache_lookup}, {"query", step_query},
    {"dispatch", step_dispatch},
};

/* Sets up X for R: arenas, the response buffer, what every step may read
 * (headers, method, peer, body), the in-flight counts. */
static void begin(souk__exchange *x, souk__worker *w, h2o_req_t *r)
{
    souk_arena *a = &w->arena;
    *x = (souk__exchange){.w = w, .h2o = r};
    x->started = souk_time_mono_us();
    x->stamp = souk_cache_stamp_now();
    x->req = (souk_req){.arena = a, .store = w->db, .config = souk__http_opts->config, .exchange = x};
    x->res = (souk_res){.status = 200};
    souk_buf_init(&x->res.body, 32u << 20);
    souk_problems_init(&x->res.problems);
    w->inflight++;
    souk_metrics_inflight_add(1);
    souk__http_copy_headers(x, a);
    x->req.method = souk_method_parse(r->method.base, r->method.len);
    x->req.peer = peer_address(r, a);
    if (!x->req.peer)
        x->req.peer = "unknown";
    const souk_cidr_list *trusted = x->req.config ? &x->req.config->trusted_proxies : NULL;
    if (trusted && trusted->n) { /* behind trusted proxies: the client they name (core/cidr.h) */
        const char *xff = NULL;
        for (size_t i = 0; i < x->req.nheaders; i++) /* the last one: what the nearest proxy wrote */
            if (strcasecmp(x->req.headers[i].name, "x-forwarded-for") == 0)
                xff = x->req.headers[i].value;
        char client[SOUK_CIDR_TEXT_MAX];
        const char *c = souk_arena_strdup(a, souk_cidr_client(trusted, x->req.peer, xff, client, sizeof client));
        if (c)
            x->req.peer = c;
    }
    x->req.body = r->entity.base;
    x->req.body_len = r->entity.base ? r->entity.len : 0;
}

int souk__http_handle(souk__worker *w, h2o_req_t *r)
{
    souk__exchange x;
    begin(&x, w, r);
    souk__step done = SOUK__STEP_CONTINUE;
    size_t i = 0;
    while (done == SOUK__STEP_CONTINUE && i < sizeof chain / sizeof chain[0])
        done = chain[i++].run(&x);
    if (done == SOUK__STEP_CONTINUE) { /* BUG: the last step always answers or defers */
        souk_log(SOUK_LOG_ERROR, x.req.request_id, NULL, NULL, "middleware chain ended after \"%s\" without an answer",
                 chain[i - 1].name);
        souk_res_error(&x.res, SOUK_E_INTERNAL, NULL);
    }
    souk_method m = x.req.method;
    if (done == SOUK__STEP_ANSWERED && x.route && !x.route->unaudited && m != SOUK_GET && m != SOUK_HEAD &&
        m != SOUK_OPTIONS && souk__http_opts->after_request) {
        /* a write refused before its handler is still audited — off the loop */
        x.audit_only = true;
        if (souk__writer_dispatch(&x) == SOUK__STEP_DEFERRED)
            done = SOUK__STEP_DEFERRED;
        else
            souk_log(SOUK_LOG_WARN, x.req.request_id, NULL, NULL, "refused request not audited: the server is busy");
    }
    if (done != SOUK__STEP_DEFERRED) {
        souk__http_finish(&x);
        souk__http_end(&x);
    }
    souk_arena_reset(&w->arena);
    souk_trace_set_current(NULL);
    return 0;
}
