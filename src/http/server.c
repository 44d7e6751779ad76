/*
 * server.c — h2o adapter and middleware.
 *
 * Threads: N workers, each with an h2o event loop, its own listening socket
 * (SO_REUSEPORT, so the kernel spreads connections), its own database
 * connection and its own request arena. Handlers run synchronously on the
 * loop thread; anything slow belongs in the job queue.
 *
 * Middleware order for one request (see handle()):
 *   request id → CORS/preflight → route match (404/405) → body limit (413)
 *   → authentication (401/403) → response cache → query parsing (400)
 *   → handler → error body / ETag / 304 → cache store → invalidation on
 *   writes → headers → access log + metrics.
 *
 * Shutdown: the main thread waits for SIGTERM/SIGINT, sets `stopping`; each
 * worker closes its listener, asks h2o to close idle connections, keeps its
 * loop running until its in-flight requests are done (at most a few
 * seconds), then exits. The process exits 0.
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
#include "core/banned.h"

#define ARENA_LIMIT (64u << 20)

typedef struct worker {
    h2o_context_t ctx; /* first: handlers find their worker from req->conn->ctx */
    h2o_accept_ctx_t accept_ctx;
    h2o_evloop_t *loop;
    h2o_socket_t *listener;
    int fd;
    souk_store *db;
    souk_arena arena;
    int inflight;
    pthread_t thread;
} worker;

static const souk_server_opts *opts;
static h2o_globalconf_t globalconf;
static atomic_bool stopping;

typedef struct adapter_req {
    h2o_req_t *h2o;
} adapter_req;

const char *souk_req_header(souk_req *req, const char *name)
{
    h2o_req_t *r = ((adapter_req *)req->adapter)->h2o;
    char lower[64];
    size_t n = strlen(name);
    if (n >= sizeof lower)
        return NULL;
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
    ssize_t i = h2o_find_header_by_str(&r->headers, lower, n, -1);
    if (i < 0)
        return NULL;
    return souk_arena_strndup(req->arena, r->headers.entries[i].value.base, r->headers.entries[i].value.len);
}

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

static void set_common_headers(h2o_req_t *r, souk_req *req, const char *origin_allowed)
{
    add_header(r, "x-request-id", req->request_id);
    add_header(r, "x-content-type-options", "nosniff");
    add_header(r, "referrer-policy", "no-referrer");
    add_header(r, "x-frame-options", "DENY");
    add_header(r, "content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    if (origin_allowed) {
        add_header(r, "access-control-allow-origin", origin_allowed);
        add_header(r, "access-control-expose-headers", "ETag, Location, X-Request-Id");
    }
    if (opts->config->cors_count)
        add_header(r, "vary", "Origin");
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
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

static void send_response(h2o_req_t *r, souk_req *req, souk_res *res, const char *origin_allowed, const char *etag)
{
    r->res.status = res->status;
    r->res.reason = reason_phrase(res->status);
    set_common_headers(r, req, origin_allowed);
    if (res->status != 304 && res->status != 204)
        add_header(r, "content-type", res->content_type ? res->content_type : "application/json");
    add_header(r, "cache-control", res->cache_control ? res->cache_control : "no-store");
    if (etag)
        add_header(r, "etag", etag);
    if (res->location)
        add_header(r, "location", res->location);
    if (res->allow)
        add_header(r, "allow", res->allow);
    if (res->status == 401)
        add_header(r, "www-authenticate", "Bearer");
    if (res->status == 304 || res->status == 204)
        h2o_send_inline(r, "", 0);
    else
        h2o_send_inline(r, res->body.data ? res->body.data : "", res->body.len);
}

static int handle(worker *w, h2o_req_t *r)
{
    int64_t started = souk_time_mono_us();
    uint64_t gen = souk_cache_generation();
    souk_arena *a = &w->arena;
    adapter_req ar = {r};
    souk_req req = {.arena = a, .store = w->db, .config = opts->config, .adapter = &ar};
    souk_res res = {.status = 200};
    souk_buf_init(&res.body, 32u << 20);
    souk_problems_init(&res.problems);
    const souk_route *route = NULL;
    const char *etag = NULL;
    char etag_buf[24];

    w->inflight++;
    souk_metrics_inflight_add(1);

    /* request id */
    const char *rid = souk_req_header(&req, "x-request-id");
    if (!rid || !valid_request_id(rid)) {
        char idbuf[SOUK_ID_TEXT_MAX];
        rid = souk_arena_strdup(a, souk_id_format("req", souk_id_next(), idbuf));
    }
    req.request_id = rid ? rid : "req_unknown";

    req.method = souk_method_parse(r->method.base, r->method.len);
    req.path = souk_arena_strndup(a, r->path_normalized.base, r->path_normalized.len);
    req.body = r->entity.base;
    req.body_len = r->entity.base ? r->entity.len : 0;

    /* CORS */
    const char *origin = souk_req_header(&req, "origin");
    const char *origin_allowed =
        origin && souk_config_origin_allowed(opts->config, origin, strlen(origin)) ? origin : NULL;

    unsigned allowed = 0;
    if (!req.path || !req.request_id) {
        souk_res_error(&res, SOUK_E_INTERNAL, NULL);
        goto done;
    }
    route = souk_router_match(opts->routes, opts->nroutes, req.method ? req.method : SOUK_GET, req.path,
                              req.params, &req.nparams, &allowed, a);
    if (req.method == SOUK_OPTIONS && allowed) {
        if (!origin_allowed) {
            souk_res_error(&res, SOUK_E_FORBIDDEN, "Origin not allowed");
            goto done;
        }
        res.status = 204;
        add_header(r, "access-control-allow-methods", souk_methods_list(allowed | SOUK_OPTIONS, a));
        add_header(r, "access-control-allow-headers", "Authorization, Content-Type, If-None-Match, X-Request-Id, "
                                                      "Idempotency-Key");
        add_header(r, "access-control-max-age", "600");
        res.allow = souk_methods_list(allowed | SOUK_OPTIONS, a);
        goto done;
    }
    if (!route || !req.method) {
        if (allowed) {
            res.allow = souk_methods_list(allowed, a);
            souk_res_error(&res, SOUK_E_METHOD_NOT_ALLOWED, NULL);
        } else {
            souk_res_error(&res, SOUK_E_NOT_FOUND, "No such resource.");
        }
        route = NULL;
        goto done;
    }
    if (req.body_len > opts->config->max_body) {
        souk_res_error(&res, SOUK_E_PAYLOAD_TOO_LARGE,
                       souk_arena_printf(a, "The request body exceeds %zu bytes.", opts->config->max_body));
        goto done;
    }

    /* authentication and permission */
    const char *authz = souk_req_header(&req, "authorization");
    if (authz && opts->authenticate(&req, authz, strlen(authz)) < 0) {
        souk_res_error(&res, SOUK_E_UNAUTHORIZED, "The credentials are not valid.");
        goto done;
    }
    if (!souk_req_can(&req, route->permission)) {
        souk_res_error(&res, req.principal.authenticated ? SOUK_E_FORBIDDEN : SOUK_E_UNAUTHORIZED,
                       req.principal.authenticated ? "This key lacks the permission for this action."
                                                   : "This action needs an API key.");
        goto done;
    }

    /* response cache (anonymous GETs only) */
    bool cacheable = route->cacheable && !req.principal.authenticated && req.method != SOUK_HEAD;
    const char *cache_key = r->path.base;
    size_t cache_klen = r->path.len;
    if (cacheable) {
        souk_cached c;
        if (souk_cache_get(cache_key, cache_klen, &c, a)) {
            res.status = c.status;
            res.content_type = c.content_type;
            res.cache_control = c.cache_control;
            etag = c.etag;
            if (etag_matches(souk_req_header(&req, "if-none-match"), etag))
                res.status = 304;
            else
                souk_buf_add(&res.body, c.body, c.body_len);
            goto done;
        }
    }

    const char *qerr = NULL;
    if (r->query_at != SIZE_MAX &&
        souk_query_parse(&req.query, r->path.base + r->query_at + 1, r->path.len - r->query_at - 1, a, &qerr) < 0) {
        souk_res_error(&res, SOUK_E_BAD_REQUEST, qerr);
        goto done;
    }

    /* reads see one snapshot; writes open their own write transactions */
    bool read_tx = (req.method == SOUK_GET || req.method == SOUK_HEAD) && souk_store_read_begin(w->db) == 0;
    int rc = route->handler(&req, &res);
    if (read_tx)
        souk_store_read_end(w->db);
    else
        souk_store_idle(w->db);
    if (rc != 0 && !res.err)
        souk_res_error(&res, SOUK_E_INTERNAL, NULL);
    if (res.err)
        goto done;
    if (souk_buf_failed(&res.body)) {
        souk_res_error(&res, SOUK_E_INTERNAL, "response too large");
        goto done;
    }
    if (!res.cache_control)
        res.cache_control = req.principal.authenticated || !route->cache_control ? "no-store" : route->cache_control;
    if ((req.method == SOUK_GET || req.method == SOUK_HEAD) && res.status == 200) {
        make_etag(res.body.data ? res.body.data : "", res.body.len, etag_buf);
        etag = etag_buf;
        if (cacheable)
            souk_cache_put(cache_key, cache_klen, gen,
                           &(souk_cached){200, res.body.data, res.body.len, etag,
                                          res.content_type ? res.content_type : "application/json",
                                          res.cache_control});
        if (etag_matches(souk_req_header(&req, "if-none-match"), etag))
            res.status = 304;
    }
    if (req.method != SOUK_GET && req.method != SOUK_HEAD && res.status < 400)
        souk_cache_invalidate();

done:
    if (res.err)
        render_error(&req, &res);
    send_response(r, &req, &res, origin_allowed, etag);

    int64_t took = souk_time_mono_us() - started;
    souk_metrics_observe(route ? route->metrics : -1, res.status, took);
    if (opts->access_log || res.status >= 500)
        souk_log(res.status >= 500 ? SOUK_LOG_ERROR : SOUK_LOG_INFO, req.request_id, NULL,
                 json_pack("{s:s%,s:s,s:i,s:f}", "method", r->method.base, r->method.len, "path",
                           req.path ? req.path : "", "status", res.status, "duration_ms", (double)took / 1000.0),
                 "request");
    souk_buf_release(&res.body);
    souk_arena_reset(a);
    souk_metrics_inflight_add(-1);
    w->inflight--;
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

/* Notices commits made by other processes (e.g. `souk import` into a live
 * database) and invalidates the response cache within half a second. */
static void *watch_main(void *arg)
{
    souk_store *db = arg;
    int64_t last = souk_store_data_version(db);
    while (!atomic_load(&stopping)) {
        usleep(100000);
        static int tick;
        if (++tick % 5)
            continue;
        int64_t v = souk_store_data_version(db);
        if (v != last) {
            last = v;
            souk_cache_invalidate();
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
    if (!workers)
        return -1;
    int port = cfg->listen_port, rc = -1, started = 0;
    souk_store *watch_db = NULL;
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
        char err[512];
        if (souk_store_open(&workers[i].db, cfg->db_path, err, sizeof err) < 0) {
            souk_log_error("%s", err);
            goto out;
        }
        souk_arena_init(&workers[i].arena, 64 * 1024, ARENA_LIMIT);
    }
    char err[512];
    if (souk_store_open(&watch_db, cfg->db_path, err, sizeof err) < 0) {
        souk_log_error("%s", err);
        goto out;
    }
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
            break;
        started++;
    }
    pthread_t watcher;
    bool have_watcher = pthread_create(&watcher, NULL, watch_main, watch_db) == 0;
    souk_log(SOUK_LOG_INFO, NULL, NULL,
             json_pack("{s:s,s:i,s:i,s:s}", "host", cfg->listen_host, "port", port, "threads", started, "db",
                       cfg->db_path),
             "listening");
    if (started == nthreads) {
        int sig = 0;
        sigwait(&sigs, &sig);
        souk_log(SOUK_LOG_INFO, NULL, NULL, json_pack("{s:i,s:I}", "signal", sig, "in_flight",
                                                      (json_int_t)souk_metrics_inflight()),
                 "shutting down, draining in-flight requests");
        rc = 0;
    }
    atomic_store(&stopping, true);
    for (int i = 0; i < started; i++)
        pthread_join(workers[i].thread, NULL);
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
    return rc;
}
