/*
 * server.c — the h2o adapter's threads: N loop workers, each with an h2o
 * event loop, its own listening socket (SO_REUSEPORT, so the kernel spreads
 * connections), its own database connection and request arena; the blocking
 * pool (pool.c); and a watcher that notices commits by other processes.
 *
 * A request is handled on its loop thread by the middleware chain
 * (middleware.c) and answered by respond.c; internal.h has the map.
 *
 * Shutdown: the main thread waits for SIGTERM/SIGINT, sets `stopping`; each
 * loop closes its listener, asks h2o to close idle connections, keeps
 * running until its in-flight requests (including those on the pool) are
 * done (at most 5 s), then exits; the pool stops last. The process exits 0.
 */
#include "http/internal.h"

#include <h2o/socket/evloop.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "http/cache.h"
#include "http/redis.h"
#include "core/banned.h"

#define REQUEST_TIMEOUT_MS 10000

const souk_server_opts *souk__http_opts;
static h2o_globalconf_t globalconf;
static atomic_bool stopping;

static int on_req(h2o_handler_t *self, h2o_req_t *r)
{
    (void)self;
    return souk__http_handle((souk__worker *)r->conn->ctx, r);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err)
        return;
    souk__worker *w = listener->data;
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
    pthread_setname_np(pthread_self(), "souk-loop");
    souk__worker *w = arg;
    w->loop = h2o_evloop_create();
    h2o_context_init(&w->ctx, w->loop, &globalconf);
    souk__http_send_watch_init(w);
    w->queue = h2o_multithread_create_queue(w->loop);
    h2o_multithread_register_receiver(w->queue, &w->done_receiver, souk__pool_on_done);
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

/* Notices commits made by other processes (`souk import` or `souk worker`
 * on a live database, other nodes) within SOUK_WATCH_MS (default half a
 * second), with or without Redis's broadcasts: the response cache is emptied
 * when the content or stock version moved, and on_external_change runs.
 * Commits in this process drop cached answers themselves (the store's touch
 * listener, souk__http_on_touch). */
static int64_t outside_mark(souk_store *db)
{
    souk_store_group *g = souk_store_group_of(db);
    /* with a group, the committer tells commits from outside it apart from its own */
    return g ? (int64_t)souk_store_group_external(g) : souk_store_change_mark(db);
}

static void *watch_main(void *arg)
{
    pthread_setname_np(pthread_self(), "souk-watch");
    souk_store *db = arg;
    int64_t last = outside_mark(db);
    int tick = 0, every = souk__http_opts->config->watch_ms / 100; /* SOUK_WATCH_MS in ticks of 0.1 s */
    while (!atomic_load(&stopping)) {
        usleep(100000);
        if (++tick % (every > 0 ? every : 1))
            continue;
        int64_t v = outside_mark(db);
        if (v != last) {
            last = v;
            souk__http_check_content(db);
            if (souk__http_opts->on_external_change)
                souk__http_opts->on_external_change();
        }
    }
    return NULL;
}

void souk_server_cache_invalidate_recs(void)
{
    souk_cache_invalidate_recs();
}

void souk_server_cache_invalidate_search(void)
{
    souk_cache_invalidate_search();
}

/* ---- h2o's own error answers ----
 *
 * A few requests are refused by h2o before any handler runs, chiefly a body over its entity limit
 * (4x SOUK_MAX_BODY, at least twice the largest route limit): h2o 2.2 answers them itself, in
 * text/plain, through the host's fallback path. That path serves nothing else (every request is
 * routed to "/"), so this filter on it rewrites those answers into the standard error: the JSON
 * Error body, an X-Request-Id (the client's, when valid), Cache-Control: no-store and the security
 * headers, as every other answer has (found by the HTTP fuzzer: a 40 MB body got a bare 413). */

typedef struct h2o_error_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
    bool sent;
} h2o_error_ostream;

static void h2o_error_send(h2o_ostream_t *self_, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                           h2o_send_state_t state)
{
    (void)bufs;
    (void)bufcnt;
    h2o_error_ostream *self = (h2o_error_ostream *)self_;
    if (!self->sent) {
        self->sent = true;
        h2o_ostream_send_next(&self->super, req, &self->body, 1, state);
    } else {
        h2o_ostream_send_next(&self->super, req, NULL, 0, state);
    }
}

static void h2o_error_setup(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    int status = req->res.status;
    if (status < 400) {
        h2o_setup_next_ostream(req, slot);
        return;
    }
    souk_err e = status == 413 ? SOUK_E_PAYLOAD_TOO_LARGE : status >= 500 ? SOUK_E_INTERNAL : SOUK_E_BAD_REQUEST;
    /* fixed texts: written into the JSON as they are */
    const char *msg = status == 413   ? "The request body is too large."
                      : status >= 500 ? "The server could not answer this request."
                                      : "The request is malformed.";
    char idbuf[SOUK_ID_TEXT_MAX], rid[80];
    ssize_t hi = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (hi >= 0 && req->headers.entries[hi].value.len < sizeof rid) {
        memcpy(rid, req->headers.entries[hi].value.base, req->headers.entries[hi].value.len);
        rid[req->headers.entries[hi].value.len] = '\0';
    } else {
        rid[0] = '\0';
    }
    if (!rid[0] || !souk__http_request_id_valid(rid))
        snprintf(rid, sizeof rid, "%s", souk_id_format("req", souk_id_next(), idbuf));
    char ts[SOUK_RFC3339_LEN];
    size_t cap = 256 + strlen(msg) + strlen(rid);
    char *body = h2o_mem_alloc_pool(&req->pool, cap);
    int n = snprintf(body, cap,
                     "{\"error\":{\"code\":\"%s\",\"message\":\"%s\",\"details\":[],\"request_id\":\"%s\","
                     "\"timestamp\":\"%s\"}}",
                     souk_err_code(e), msg, rid, souk_time_format(souk_time_now_us(), ts));
    memset(&req->res.headers, 0, sizeof req->res.headers);
    req->res.status = souk_err_status(e);
    souk__http_add_header(req, "x-request-id", rid);
    souk__http_add_header(req, "content-type", "application/json");
    souk__http_add_header(req, "cache-control", "no-store");
    souk__http_add_header(req, "x-content-type-options", "nosniff");
    souk__http_add_header(req, "referrer-policy", "no-referrer");
    souk__http_add_header(req, "x-frame-options", "DENY");
    souk__http_add_header(req, "content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    req->res.content_length = (size_t)n;
    h2o_error_ostream *o = (h2o_error_ostream *)h2o_add_ostream(req, sizeof *o, slot);
    o->super.do_send = h2o_error_send;
    o->body = h2o_iovec_init(body, (size_t)n);
    o->sent = false;
    h2o_setup_next_ostream(req, &o->super.next);
}

int souk_server_run(const souk_server_opts *o)
{
    souk__http_opts = o;
    const souk_config *cfg = o->config;
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* inherited by every thread */
    signal(SIGPIPE, SIG_IGN);

    h2o_config_init(&globalconf);
    globalconf.server_name = h2o_iovec_init(H2O_STRLIT("souk"));
    size_t entity_max = cfg->max_body * 4;
    for (size_t i = 0; i < o->nroutes; i++) /* a route's larger limit (image uploads) */
        if (o->routes[i].max_body * 2 > entity_max)
            entity_max = o->routes[i].max_body * 2;
    globalconf.max_request_entity_size = entity_max + 4096; /* ours answers 413 first */
    /* Slow clients: h2o closes a connection whose request (head and body
     * together, or the next request on a keep-alive connection) has not
     * fully arrived within this time; respond.c cuts off clients that stop
     * reading their response for as long. h2o's defaults, set here so they
     * are ours: docs/internals/http.md. */
    globalconf.http1.req_timeout = REQUEST_TIMEOUT_MS;
    globalconf.http2.idle_timeout = REQUEST_TIMEOUT_MS;
    h2o_hostconf_t *host = h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(path, sizeof *handler);
    handler->on_req = on_req;
    h2o_filter_t *errors = h2o_create_filter(&host->fallback_path, sizeof *errors);
    errors->on_setup_ostream = h2o_error_setup;
    souk_cache_init(cfg->cache_bytes);
    souk_store_on_touch(souk__http_on_touch);
    souk_redis_on(SOUK_REDIS_CACHE, souk_cache_invalidate); /* another node's catalog change */
    souk_redis_on(SOUK_REDIS_STOCK, souk_cache_invalidate_stock);

    int nthreads = cfg->threads;
    souk__worker *workers = calloc((size_t)nthreads, sizeof *workers);
    if (!workers)
        return -1;
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
        souk_store_forbid_writes(workers[i].db); /* writes go to the writer or the pool */
        souk_arena_init(&workers[i].arena, 64 * 1024, SOUK__ARENA_LIMIT);
    }
    if (souk_store_open(&watch_db, cfg->db_dsn, err, sizeof err) < 0) {
        souk_log_error("%s", err);
        goto out;
    }
    souk_store_forbid_writes(watch_db);
    int pooled = souk__pool_start(SOUK__POOL_CPU, cfg->blocking_threads);
    int networked = souk__pool_start(SOUK__POOL_NETWORK, cfg->network_threads);
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
            break;
        started++;
    }
    pthread_t watcher;
    bool have_watcher = pthread_create(&watcher, NULL, watch_main, watch_db) == 0;
    souk_log(SOUK_LOG_INFO, NULL, NULL,
             json_pack("{s:s,s:i,s:i,s:i,s:i,s:s}", "host", cfg->listen_host, "port", port, "threads", started,
                       "blocking_threads", pooled, "network_threads", networked, "db", cfg->db_dsn),
             "listening");
    if (started == nthreads && pooled > 0) {
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
    souk__writer_abandon();
    souk__pool_stop();
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
