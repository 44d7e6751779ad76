/*
 * server.c — h2o adapter and middleware.
 *
 * Threads: N loop workers, each with an h2o event loop, its own listening
 * socket (SO_REUSEPORT, so the kernel spreads connections), its own database
 * connection and request arena; plus a blocking pool (SOUK_BLOCKING_THREADS)
 * for routes marked `blocking` (Argon2 password hashing takes tens of
 * milliseconds and must never stall a loop). Everything else runs
 * synchronously on the loop thread.
 *
 * One request is an `exchange`, handled in three phases:
 *   prepare  — request id, headers copied, CORS/preflight, route match
 *              (404/405), body limit (413), authentication (401/403), rate
 *              limit (429), response cache, query parsing (400);
 *   handle   — the route's handler, inline, or on the blocking pool, whose
 *              result comes back to the loop through an h2o multithread
 *              queue (a guard in the request's pool tells whether the client
 *              went away meanwhile);
 *   finish   — error body, ETag / 304, cache store, cache invalidation on
 *              writes, the after-request hook (audit), headers, access log,
 *              metrics.
 *
 * Shutdown: the main thread waits for SIGTERM/SIGINT, sets `stopping`; each
 * loop closes its listener, asks h2o to close idle connections, keeps
 * running until its in-flight requests (including those on the pool) are
 * done (at most 5 s), then exits; the pool stops last. The process exits 0.
 */
#define H2O_USE_LIBUV 0
#include "http/server.h"

#include <h2o.h>
#include <h2o/socket/evloop.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/id.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "http/cache.h"
#include "http/ratelimit.h"
#include "core/banned.h"

#define ARENA_LIMIT (64u << 20)

typedef struct worker {
    h2o_context_t ctx; /* first: handlers find their worker from req->conn->ctx */
    h2o_accept_ctx_t accept_ctx;
    h2o_evloop_t *loop;
    h2o_socket_t *listener;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t done_receiver; /* blocking-pool results */
    int fd;
    souk_store *db;
    souk_arena arena;
    int inflight;
    pthread_t thread;
} worker;

/* one request in flight */
typedef struct exchange {
    h2o_multithread_message_t msg; /* first: the pool posts it back to the loop */
    worker *w;
    h2o_req_t *h2o;
    struct guard *guard;           /* NULL when the request runs inline */
    bool orphaned;                 /* the client went away while on the pool */
    souk_arena own_arena;          /* blocking requests carry their own arena */
    souk_req req;
    souk_res res;
    const souk_route *route;
    int64_t started;
    uint64_t gen;
    const char *origin_allowed;
    bool cacheable;
    const char *cache_key;
    size_t cache_klen;
    const char *etag;
    char etag_buf[24];
    struct exchange *next;         /* pool queue */
} exchange;

/* lives in the h2o request's pool; its dispose callback runs when h2o frees
 * the request — possibly before a blocking job has finished */
typedef struct guard {
    exchange *x;
} guard;

static const souk_server_opts *opts;
static h2o_globalconf_t globalconf;
static atomic_bool stopping;
static _Atomic int64_t seen_content = -1;

/* Empties the response cache when the content version moved. */
static void check_content(souk_store *db)
{
    if (!opts->content_version) {
        souk_cache_invalidate();
        return;
    }
    int64_t v = souk_store_version(db, opts->content_version);
    if (v < 0 || atomic_exchange(&seen_content, v) != v)
        souk_cache_invalidate();
}

/* ---- the blocking pool ---- */

#define POOL_QUEUE_PER_THREAD 256 /* beyond this, blocking requests are refused with 503 (a flash sale
                                    * of a few hundred simultaneous checkouts must queue, not fail) */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    exchange *head, *tail;
    bool stop;
    bool abandon; /* the loops are gone: answer nothing, change nothing */
    int nthreads, queued;
    pthread_t *threads;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, false, false, 0, 0, NULL};

/* Queues X; false when the queue is full (the caller answers 503). */
static bool pool_push(exchange *x)
{
    pthread_mutex_lock(&pool.lock);
    if (pool.queued >= POOL_QUEUE_PER_THREAD * (pool.nthreads ? pool.nthreads : 1)) {
        pthread_mutex_unlock(&pool.lock);
        return false;
    }
    pool.queued++;
    x->next = NULL;
    if (pool.tail)
        pool.tail->next = x;
    else
        pool.head = x;
    pool.tail = x;
    pthread_cond_signal(&pool.cond);
    pthread_mutex_unlock(&pool.lock);
    return true;
}

static void *pool_main(void *arg)
{
    (void)arg;
    souk_store *db = NULL;
    char err[512];
    if (souk_store_open(&db, opts->config->db_dsn, err, sizeof err) < 0)
        souk_log_error("blocking pool: %s", err);
    for (;;) {
        pthread_mutex_lock(&pool.lock);
        while (!pool.head && !pool.stop)
            pthread_cond_wait(&pool.cond, &pool.lock);
        exchange *x = pool.head;
        bool abandon = pool.abandon;
        if (x) {
            pool.head = x->next;
            if (!pool.head)
                pool.tail = NULL;
            pool.queued--;
        }
        pthread_mutex_unlock(&pool.lock);
        if (!x)
            break;
        if (abandon) { /* nobody would answer or audit it: do not run it */
            souk_arena_release(&x->own_arena);
            free(x);
            continue;
        }
        if (!db) {
            souk_res_error(&x->res, SOUK_E_UNAVAILABLE, NULL);
        } else {
            x->req.store = db;
            if (x->route->handler(&x->req, &x->res) != 0 && !x->res.err)
                souk_res_error(&x->res, SOUK_E_INTERNAL, NULL);
            souk_store_idle(db);
        }
        h2o_multithread_send_message(&x->w->done_receiver, &x->msg);
    }
    souk_store_close(db);
    return NULL;
}

/* ---- helpers ---- */

static void add_header(h2o_req_t *r, const char *name, const char *value)
{
    size_t vl = strlen(value);
    h2o_iovec_t v = h2o_strdup(&r->pool, value, vl);
    h2o_add_header_by_str(&r->pool, &r->res.headers, name, strlen(name), 1, NULL, v.base, v.len);
}

/* Renders the standard error body into RES->body. */
static void render_error(souk_req *req, souk_res *res)
{
    char ts[SOUK_RFC3339_LEN];
    souk_buf *b = &res->body;
    souk_buf_reset(b);
    const char *msg = res->err_message ? res->err_message : souk_err_message(res->err);
    souk_buf_adds(b, "{\"error\":{\"code\":\"");
    souk_buf_adds(b, souk_err_code(res->err));
    souk_buf_adds(b, "\",\"message\":");
    souk_buf_add_json_string(b, msg, strlen(msg));
    souk_buf_adds(b, ",\"details\":[");
    for (size_t i = 0; i < res->problems.count; i++) {
        souk_buf_adds(b, i ? ",{\"field\":" : "{\"field\":");
        souk_buf_add_json_string(b, res->problems.items[i].field, strlen(res->problems.items[i].field));
        souk_buf_adds(b, ",\"message\":");
        souk_buf_add_json_string(b, res->problems.items[i].message, strlen(res->problems.items[i].message));
        souk_buf_addc(b, '}');
    }
    souk_buf_adds(b, "],\"request_id\":");
    souk_buf_add_json_string(b, req->request_id, strlen(req->request_id));
    souk_buf_printf(b, ",\"timestamp\":\"%s\"}}", souk_time_format(souk_time_now_us(), ts));
    res->status = souk_err_status(res->err);
    res->content_type = "application/json";
    res->cache_control = "no-store";
}

static void make_etag(const char *body, size_t len, char out[24])
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)body[i]) * 1099511628211ULL;
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

/* true when If-None-Match lists ETAG (or is "*") */
static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    size_t el = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p == '*')
            return true;
        if (strncmp(p, etag, el) == 0 && (p[el] == '\0' || p[el] == ',' || p[el] == ' '))
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

static bool valid_request_id(const char *s)
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

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "";
    }
}

/* Copies the request headers (lower-case names) into the arena. */
static void copy_headers(exchange *x, souk_arena *a)
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
    socklen_t len = r->conn->callbacks->get_peername ? r->conn->callbacks->get_peername(r->conn, (struct sockaddr *)&ss) : 0;
    if (len && ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, sizeof buf);
    else if (len && ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, sizeof buf);
    return souk_arena_strdup(a, buf);
}

/* Applies the route's rate-limit class; false (and a 429 in RES) when refused. */
static bool rate_limit(exchange *x)
{
    const souk_config *c = opts->config;
    if (x->route->rate == SOUK_RATE_NONE)
        return true;
    char key[128];
    int capacity;
    const souk_principal *p = &x->req.principal;
    if (x->route->rate == SOUK_RATE_AUTH) {
        snprintf(key, sizeof key, "auth:%s", x->req.peer);
        capacity = c->rate_auth;
    } else if (p->authenticated) {
        if (p->kind == SOUK_ACTOR_API_KEY)
            snprintf(key, sizeof key, "key:%lld", (long long)p->key_id);
        else
            snprintf(key, sizeof key, "user:%lld", (long long)p->user_id);
        capacity = c->rate_user;
    } else {
        snprintf(key, sizeof key, "ip:%s", x->req.peer);
        capacity = c->rate_ip;
    }
    if (capacity <= 0)
        return true;
    souk_rate rt = souk_ratelimit_take(key, capacity, 60, 1, souk_time_mono_us());
    h2o_req_t *r = x->h2o;
    char v[32];
    snprintf(v, sizeof v, "%d", rt.limit);
    add_header(r, "ratelimit-limit", v);
    snprintf(v, sizeof v, "%d", rt.remaining);
    add_header(r, "ratelimit-remaining", v);
    snprintf(v, sizeof v, "%d", rt.reset_s);
    add_header(r, "ratelimit-reset", v);
    if (rt.allowed)
        return true;
    x->res.retry_after = souk_arena_printf(x->req.arena, "%d", rt.retry_after_s);
    souk_res_error(&x->res, SOUK_E_RATE_LIMITED,
                   souk_arena_printf(x->req.arena, "Too many requests; retry in %d s.", rt.retry_after_s));
    souk_log(SOUK_LOG_WARN, x->req.request_id, NULL, json_pack("{s:s,s:i}", "key", key, "limit", capacity),
             "rate limited");
    return false;
}

/* ---- phases ---- */

static void finish(exchange *x);

static void send_response(exchange *x)
{
    h2o_req_t *r = x->h2o;
    souk_req *req = &x->req;
    souk_res *res = &x->res;
    r->res.status = res->status;
    r->res.reason = reason_phrase(res->status);
    add_header(r, "x-request-id", req->request_id);
    add_header(r, "x-content-type-options", "nosniff");
    add_header(r, "referrer-policy", "no-referrer");
    add_header(r, "x-frame-options", "DENY");
    add_header(r, "content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    if (x->origin_allowed) {
        add_header(r, "access-control-allow-origin", x->origin_allowed);
        add_header(r, "access-control-expose-headers",
                   "ETag, Location, X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset");
    }
    if (opts->config->cors_count)
        add_header(r, "vary", "Origin");
    if (res->status != 304 && res->status != 204)
        add_header(r, "content-type", res->content_type ? res->content_type : "application/json");
    add_header(r, "cache-control", res->cache_control ? res->cache_control : "no-store");
    if (x->etag)
        add_header(r, "etag", x->etag);
    if (res->location)
        add_header(r, "location", res->location);
    if (res->allow)
        add_header(r, "allow", res->allow);
    if (res->retry_after)
        add_header(r, "retry-after", res->retry_after);
    if (res->status == 401)
        add_header(r, "www-authenticate", "Bearer");
    if (res->status == 304 || res->status == 204)
        h2o_send_inline(r, "", 0);
    else
        h2o_send_inline(r, res->body.data ? res->body.data : "", res->body.len);
}

/* Everything after the handler; on the loop thread. Frees nothing. */
static void finish(exchange *x)
{
    souk_req *req = &x->req;
    souk_res *res = &x->res;
    const souk_route *route = x->route;
    if (res->err)
        goto out;
    if (souk_buf_failed(&res->body)) {
        souk_res_error(res, SOUK_E_INTERNAL, "response too large");
        goto out;
    }
    if (!res->cache_control)
        res->cache_control = x->cacheable && route && route->cache_control ? route->cache_control : "no-store";
    if (route && (req->method == SOUK_GET || req->method == SOUK_HEAD) && res->status == 200) {
        make_etag(res->body.data ? res->body.data : "", res->body.len, x->etag_buf);
        x->etag = x->etag_buf;
        if (x->cacheable)
            souk_cache_put(x->cache_key, x->cache_klen, x->gen,
                           &(souk_cached){200, res->body.data, res->body.len, x->etag,
                                          res->content_type ? res->content_type : "application/json",
                                          res->cache_control});
        if (etag_matches(souk_req_header(req, "if-none-match"), x->etag))
            res->status = 304;
    }
    if (route && req->method != SOUK_GET && req->method != SOUK_HEAD && res->status < 400)
        check_content(x->w->db);
out:
    if (res->err)
        render_error(req, res);
    if (route && req->method != SOUK_GET && req->method != SOUK_HEAD && req->method != SOUK_OPTIONS &&
        opts->after_request)
        opts->after_request(x->w->db, req, res, route);
    send_response(x);

    int64_t took = souk_time_mono_us() - x->started;
    souk_metrics_observe(route ? route->metrics : -1, res->status, took);
    if (opts->access_log || res->status >= 500)
        souk_log(res->status >= 500 ? SOUK_LOG_ERROR : SOUK_LOG_INFO, req->request_id, NULL,
                 json_pack("{s:s%,s:s,s:i,s:f}", "method", x->h2o->method.base, x->h2o->method.len, "path",
                           req->path ? req->path : "", "status", res->status, "duration_ms", (double)took / 1000.0),
                 "request");
}

static void end_exchange(exchange *x)
{
    souk_buf_release(&x->res.body);
    souk_metrics_inflight_add(-1);
    x->w->inflight--;
}

static void on_guard_dispose(void *p)
{
    guard *g = p;
    if (g->x)
        g->x->orphaned = true;
}

/* results from the blocking pool, on the loop thread */
static void on_blocking_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        exchange *x = (exchange *)m;
        if (!x->orphaned) {
            x->guard->x = NULL;
            x->req.store = x->w->db;
            finish(x);
        } else if (opts->after_request) {
            /* the client left, but what the handler changed is still audited */
            if (x->res.err)
                x->res.status = souk_err_status(x->res.err);
            opts->after_request(x->w->db, &x->req, &x->res, x->route);
        }
        end_exchange(x);
        souk_arena_release(&x->own_arena);
        free(x);
    }
}

/* Runs a blocking route on the pool: the exchange moves to the heap with
 * its own arena holding copies of everything the handler may read. */
static void dispatch_blocking(exchange *x)
{
    exchange *h = malloc(sizeof *h);
    guard *g = h ? h2o_mem_alloc_shared(&x->h2o->pool, sizeof *g, on_guard_dispose) : NULL;
    if (!h || !g) {
        free(h);
        souk_res_error(&x->res, SOUK_E_UNAVAILABLE, NULL);
        finish(x);
        end_exchange(x);
        return;
    }
    *h = *x;
    souk_arena_init(&h->own_arena, 16 * 1024, ARENA_LIMIT);
    souk_arena *a = &h->own_arena;
    h->req.arena = a;
    h->guard = g;
    g->x = h;
    /* deep copies: the loop arena is reset as soon as we return */
    h->req.path = souk_arena_strdup(a, x->req.path);
    h->req.request_id = souk_arena_strdup(a, x->req.request_id);
    h->req.peer = souk_arena_strdup(a, x->req.peer);
    copy_headers(h, a);
    char *body = x->req.body_len ? souk_arena_alloc(a, x->req.body_len + 1) : NULL;
    if (body) {
        memcpy(body, x->req.body, x->req.body_len);
        body[x->req.body_len] = '\0';
    }
    h->req.body = body;
    h->req.body_len = body ? x->req.body_len : 0;
    for (size_t i = 0; i < x->req.nparams; i++)
        h->req.params[i] = souk_arena_strdup(a, x->req.params[i]);
    for (size_t i = 0; i < x->req.query.count; i++) {
        h->req.query.items[i].key = souk_arena_strdup(a, x->req.query.items[i].key);
        h->req.query.items[i].value = souk_arena_strndup(a, x->req.query.items[i].value, x->req.query.items[i].value_len);
    }
    souk_principal *p = &h->req.principal;
    if (p->role)
        p->role = souk_arena_strdup(a, p->role);
    if (p->permissions)
        p->permissions = souk_arena_strdup(a, p->permissions);
    h->origin_allowed = x->origin_allowed ? souk_arena_strdup(a, x->origin_allowed) : NULL;
    h->res.problems = x->res.problems; /* empty */
    if (!pool_push(h)) {
        g->x = NULL;
        souk_arena_release(&h->own_arena);
        free(h);
        x->res.retry_after = "1";
        souk_res_error(&x->res, SOUK_E_UNAVAILABLE, "The server is busy; retry in a second.");
        finish(x);
        end_exchange(x);
    }
}

static int handle(worker *w, h2o_req_t *r)
{
    exchange ex = {.w = w, .h2o = r};
    exchange *x = &ex;
    souk_arena *a = &w->arena;
    x->started = souk_time_mono_us();
    x->gen = souk_cache_generation();
    x->req = (souk_req){.arena = a, .store = w->db, .config = opts->config};
    x->res = (souk_res){.status = 200};
    souk_buf_init(&x->res.body, 32u << 20);
    souk_problems_init(&x->res.problems);
    w->inflight++;
    souk_metrics_inflight_add(1);

    souk_req *req = &x->req;
    souk_res *res = &x->res;
    copy_headers(x, a);
    const char *rid = souk_req_header(req, "x-request-id");
    if (!rid || !valid_request_id(rid)) {
        char idbuf[SOUK_ID_TEXT_MAX];
        rid = souk_arena_strdup(a, souk_id_format("req", souk_id_next(), idbuf));
    }
    req->request_id = rid ? rid : "req_unknown";
    req->method = souk_method_parse(r->method.base, r->method.len);
    req->path = souk_arena_strndup(a, r->path_normalized.base, r->path_normalized.len);
    req->peer = peer_address(r, a);
    req->body = r->entity.base;
    req->body_len = r->entity.base ? r->entity.len : 0;

    const char *origin = souk_req_header(req, "origin");
    x->origin_allowed = origin && souk_config_origin_allowed(opts->config, origin, strlen(origin)) ? origin : NULL;

    unsigned allowed = 0;
    const souk_route *route = NULL;
    if (!req->path || !req->peer) {
        souk_res_error(res, SOUK_E_INTERNAL, NULL);
        goto done;
    }
    route = souk_router_match(opts->routes, opts->nroutes, req->method ? req->method : SOUK_GET, req->path,
                              req->params, &req->nparams, &allowed, a);
    if (req->method == SOUK_OPTIONS && allowed) {
        route = NULL;
        if (!x->origin_allowed) {
            souk_res_error(res, SOUK_E_FORBIDDEN, "Origin not allowed");
            goto done;
        }
        res->status = 204;
        add_header(r, "access-control-allow-methods", souk_methods_list(allowed | SOUK_OPTIONS, a));
        add_header(r, "access-control-allow-headers",
                   "Authorization, Content-Type, If-None-Match, X-Request-Id, Idempotency-Key");
        add_header(r, "access-control-max-age", "600");
        res->allow = souk_methods_list(allowed | SOUK_OPTIONS, a);
        goto done;
    }
    if (!route || !req->method) {
        route = NULL;
        if (allowed) {
            res->allow = souk_methods_list(allowed, a);
            souk_res_error(res, SOUK_E_METHOD_NOT_ALLOWED, NULL);
        } else {
            souk_res_error(res, SOUK_E_NOT_FOUND, "No such resource.");
        }
        goto done;
    }
    x->route = route;
    if (req->body_len > opts->config->max_body) {
        souk_res_error(res, SOUK_E_PAYLOAD_TOO_LARGE,
                       souk_arena_printf(a, "The request body exceeds %zu bytes.", opts->config->max_body));
        goto done;
    }

    /* authentication and permission */
    const char *authz = souk_req_header(req, "authorization");
    if (authz && opts->authenticate(req, authz, strlen(authz)) < 0) {
        /* bad credentials cost the address's budget like any anonymous request */
        req->principal = (souk_principal){0};
        if (rate_limit(x))
            souk_res_error(res, SOUK_E_UNAUTHORIZED, "The credentials are not valid.");
        goto done;
    }
    if (!rate_limit(x))
        goto done;
    if (!souk_req_can(req, route->permission)) {
        souk_res_error(res, req->principal.authenticated ? SOUK_E_FORBIDDEN : SOUK_E_UNAUTHORIZED,
                       req->principal.authenticated ? "You lack the permission for this action."
                                                    : "This action needs you to sign in or send an API key.");
        goto done;
    }

    /* response cache: responses only differ for callers who see unpublished data */
    x->cacheable = route->cacheable && req->method != SOUK_HEAD && !souk_req_can(req, "catalog:read:unpublished");
    x->cache_key = r->path.base;
    x->cache_klen = r->path.len;
    if (x->cacheable) {
        souk_cached c;
        if (souk_cache_get(x->cache_key, x->cache_klen, &c, a)) {
            res->status = c.status;
            res->content_type = c.content_type;
            res->cache_control = c.cache_control;
            x->etag = c.etag;
            if (etag_matches(souk_req_header(req, "if-none-match"), x->etag))
                res->status = 304;
            else
                souk_buf_add(&res->body, c.body, c.body_len);
            send_response(x);
            souk_metrics_observe(route->metrics, res->status, souk_time_mono_us() - x->started);
            if (opts->access_log)
                souk_log(SOUK_LOG_INFO, req->request_id, NULL,
                         json_pack("{s:s,s:s,s:i,s:b}", "method", souk_method_name(req->method), "path", req->path,
                                   "status", res->status, "cache", 1),
                         "request");
            goto release;
        }
    }

    const char *qerr = NULL;
    if (r->query_at != SIZE_MAX &&
        souk_query_parse(&req->query, r->path.base + r->query_at + 1, r->path.len - r->query_at - 1, a, &qerr) < 0) {
        souk_res_error(res, SOUK_E_BAD_REQUEST, qerr);
        goto done;
    }

    if (route->blocking) {
        dispatch_blocking(x);
        souk_arena_reset(a);
        return 0;
    }
    /* reads see one snapshot; writes open their own write transactions */
    bool read_tx = (req->method == SOUK_GET || req->method == SOUK_HEAD) && souk_store_read_begin(w->db) == 0;
    int rc = route->handler(req, res);
    if (read_tx)
        souk_store_read_end(w->db);
    else
        souk_store_idle(w->db);
    if (rc != 0 && !res->err)
        souk_res_error(res, SOUK_E_INTERNAL, NULL);

done:
    x->route = route;
    finish(x);
release:
    end_exchange(x);
    souk_arena_reset(a);
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *r)
{
    (void)self;
    return handle((worker *)r->conn->ctx, r);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err)
        return;
    worker *w = listener->data;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock)
        h2o_accept(&w->accept_ctx, sock);
}

static int open_listener(const char *host, int port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        if (strcmp(host, "localhost") == 0)
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        else
            return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, SOMAXCONN) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    w->loop = h2o_evloop_create();
    h2o_context_init(&w->ctx, w->loop, &globalconf);
    w->queue = h2o_multithread_create_queue(w->loop);
    h2o_multithread_register_receiver(w->queue, &w->done_receiver, on_blocking_done);
    w->accept_ctx.ctx = &w->ctx;
    w->accept_ctx.hosts = globalconf.hosts;
    w->listener = h2o_evloop_socket_create(w->loop, w->fd, H2O_SOCKET_FLAG_DONT_READ);
    w->listener->data = w;
    h2o_socket_read_start(w->listener, on_accept);

    while (!atomic_load(&stopping))
        h2o_evloop_run(w->loop, 100);

    /* drain: stop accepting, close idle connections, finish what is in flight */
    h2o_socket_read_stop(w->listener);
    h2o_socket_close(w->listener);
    w->listener = NULL;
    h2o_context_request_shutdown(&w->ctx);
    int64_t deadline = souk_time_mono_us() + 5000000;
    int64_t quiet_until = souk_time_mono_us() + 200000; /* let responses flush */
    while (souk_time_mono_us() < deadline && (w->inflight > 0 || souk_time_mono_us() < quiet_until))
        h2o_evloop_run(w->loop, 10);
    /* The context and loop are not disposed: h2o 2.2's h2o_context_dispose
     * asserts that no connection timer is pending, and connections a client
     * keeps open would trip it. The process exits right after; the memory is
     * h2o's own (see tests/lsan.supp). */
    return NULL;
}

/* Notices commits made by other connections — other processes (`souk
 * import` into a live database), background jobs — within half a second:
 * the response cache is emptied when the content version moved, and
 * on_external_change runs after any commit. */
static void *watch_main(void *arg)
{
    souk_store *db = arg;
    int64_t last = souk_store_change_mark(db);
    int tick = 0;
    while (!atomic_load(&stopping)) {
        usleep(100000);
        if (++tick % 5)
            continue;
        int64_t v = souk_store_change_mark(db);
        if (v != last) {
            last = v;
            check_content(db);
            if (opts->on_external_change)
                opts->on_external_change();
        }
    }
    return NULL;
}

int souk_server_run(const souk_server_opts *o)
{
    opts = o;
    const souk_config *cfg = o->config;
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* inherited by every thread */
    signal(SIGPIPE, SIG_IGN);

    h2o_config_init(&globalconf);
    globalconf.server_name = h2o_iovec_init(H2O_STRLIT("souk"));
    globalconf.max_request_entity_size = cfg->max_body * 4 + 4096; /* ours answers 413 first */
    h2o_hostconf_t *host = h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(path, sizeof *handler);
    handler->on_req = on_req;
    souk_cache_init(cfg->cache_bytes);

    int nthreads = cfg->threads;
    worker *workers = calloc((size_t)nthreads, sizeof *workers);
    pool.threads = calloc((size_t)cfg->blocking_threads, sizeof *pool.threads);
    if (!workers || !pool.threads) {
        free(workers);
        free(pool.threads);
        return -1;
    }
    int port = cfg->listen_port, rc = -1, started = 0;
    souk_store *watch_db = NULL;
    char err[512];
    for (int i = 0; i < nthreads; i++) {
        workers[i].fd = open_listener(cfg->listen_host, port);
        if (workers[i].fd < 0) {
            souk_log(SOUK_LOG_ERROR, NULL, NULL, json_pack("{s:s,s:i}", "host", cfg->listen_host, "port", port),
                     "cannot listen: %s", strerror(errno));
            goto out;
        }
        if (port == 0) { /* all threads share the port the kernel picked for the first */
            struct sockaddr_in sa;
            socklen_t sl = sizeof sa;
            getsockname(workers[i].fd, (struct sockaddr *)&sa, &sl);
            port = ntohs(sa.sin_port);
        }
        if (souk_store_open(&workers[i].db, cfg->db_dsn, err, sizeof err) < 0) {
            souk_log_error("%s", err);
            goto out;
        }
        souk_arena_init(&workers[i].arena, 64 * 1024, ARENA_LIMIT);
    }
    if (souk_store_open(&watch_db, cfg->db_dsn, err, sizeof err) < 0) {
        souk_log_error("%s", err);
        goto out;
    }
    for (int i = 0; i < cfg->blocking_threads; i++)
        if (pthread_create(&pool.threads[i], NULL, pool_main, NULL) == 0)
            pool.nthreads++;
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
            break;
        started++;
    }
    pthread_t watcher;
    bool have_watcher = pthread_create(&watcher, NULL, watch_main, watch_db) == 0;
    souk_log(SOUK_LOG_INFO, NULL, NULL,
             json_pack("{s:s,s:i,s:i,s:i,s:s}", "host", cfg->listen_host, "port", port, "threads", started,
                       "blocking_threads", pool.nthreads, "db", cfg->db_dsn),
             "listening");
    if (started == nthreads && pool.nthreads > 0) {
        int sig = 0;
        sigwait(&sigs, &sig);
        souk_log(SOUK_LOG_INFO, NULL, NULL,
                 json_pack("{s:i,s:I}", "signal", sig, "in_flight", (json_int_t)souk_metrics_inflight()),
                 "shutting down, draining in-flight requests");
        rc = 0;
    }
    atomic_store(&stopping, true);
    for (int i = 0; i < started; i++)
        pthread_join(workers[i].thread, NULL);
    pthread_mutex_lock(&pool.lock);
    pool.stop = true;
    pool.abandon = true; /* the loops have stopped: queued work can no longer be answered */
    pthread_cond_broadcast(&pool.cond);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < pool.nthreads; i++)
        pthread_join(pool.threads[i], NULL);
    if (have_watcher)
        pthread_join(watcher, NULL);
    if (rc == 0)
        souk_log_info("stopped");
out:
    for (int i = 0; i < nthreads; i++) {
        if (workers[i].fd > 0 && !workers[i].loop)
            close(workers[i].fd);
        souk_store_close(workers[i].db);
        souk_arena_release(&workers[i].arena);
    }
    souk_store_close(watch_db);
    souk_cache_release();
    free(workers);
    free(pool.threads);
    return rc;
}
