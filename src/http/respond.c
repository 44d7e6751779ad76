/*
 * respond.c — the one place where an exchange's souk_res becomes an HTTP
 * response, whichever step of the chain (or the blocking pool) answered:
 *
 *   settle      a body over its limit becomes a 500; Cache-Control defaults
 *   validators  ETag on 200 GETs, If-None-Match → 304, response-cache store
 *   invalidate  writes that succeeded may empty the response cache
 *   error body  errors are rendered as the standard body
 *   hook        the after-request hook (audit) for data-changing requests
 *   send        headers (security, CORS, caching, Location, Allow, ...) and body
 *   observe     metrics and the access log
 *
 * And a watch on the send: h2o 2.2 bounds reading a request (req_timeout)
 * but not writing the response, so a client that never reads would hold
 * its connection, and the response h2o could not hand to the kernel,
 * forever. Every HTTP/1 response is watched until h2o is done with it; when
 * the client has acknowledged no byte for SEND_STALL_S, the connection is
 * cut (see watch_send).
 */
#include "http/internal.h"

#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_acked (glibc's lacks it) */
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "core/live.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "core/hash.h"
#include "http/cache.h"
#include "http/redis.h"
#include "core/banned.h"

/* Response headers a browser script on an allowed origin may read, beyond
 * the CORS-safelisted ones (Content-Type, Cache-Control, Content-Length, ...):
 * every other header souk sets that a client acts on. Cart and order tokens
 * travel in response bodies (cart_token, order_token), never in headers.
 * Allow and WWW-Authenticate are left out: the status says as much. */
#define CORS_EXPOSE_HEADERS                                                                                            \
    "ETag, Location, X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"

#define SEND_TICK_MS 1000
#define SEND_STALL_S 10 /* as long as h2o gives a client to send its request */

static _Atomic int64_t seen_content = -1, seen_stock = -1;

void souk__http_check_content(souk_store *db)
{
    const char *version = souk__http_opts->content_version, *stock = souk__http_opts->stock_version;
    if (!version) {
        souk_cache_invalidate();
        return;
    }
    int64_t v = souk_store_version(db, version);
    if (v < 0 || atomic_exchange(&seen_content, v) != v)
        souk_cache_invalidate();
    if (stock && ((v = souk_store_version(db, stock)) < 0 || atomic_exchange(&seen_stock, v) != v))
        souk_cache_invalidate_stock();
}

void souk__http_on_touch(const char *name)
{
    const souk_server_opts *o = souk__http_opts;
    if (o->content_version && strcmp(name, o->content_version) == 0) {
        souk_cache_invalidate();
        souk_redis_publish(SOUK_REDIS_CACHE); /* other nodes drop theirs now, not at their next poll */
    } else if (o->stock_version && strcmp(name, o->stock_version) == 0) {
        souk_cache_invalidate_stock();
        souk_redis_publish(SOUK_REDIS_STOCK);
    }
}

void souk__http_add_header(h2o_req_t *r, const char *name, const char *value)
{
    size_t vl = strlen(value);
    h2o_iovec_t v = h2o_strdup(&r->pool, value, vl);
    h2o_add_header_by_str(&r->pool, &r->res.headers, name, strlen(name), 1, NULL, v.base, v.len);
}

/* Adds NAME: VALUE where VALUE is a string literal (it outlives the
 * response), so nothing is copied: the headers every answer carries. */
static void add_static_header(h2o_req_t *r, const char *name, size_t name_len, const char *value, size_t value_len)
{
    h2o_add_header_by_str(&r->pool, &r->res.headers, name, name_len, 1, NULL, value, value_len);
}
#define ADD_STATIC_HEADER(r, name, value) add_static_header((r), name, sizeof(name) - 1, "" value, sizeof(value) - 1)

static bool is_read(souk_method m)
{
    return m == SOUK_GET || m == SOUK_HEAD;
}

/* Renders the standard error body into RES->body. */
static void render_error(const souk_req *req, souk_res *res)
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

/* A strong ETag: a 64-bit hash of the body (core/hash.h). */
static void make_etag(const char *body, size_t len, char out[24])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t h = souk_hash64(body, len);
    out[0] = '"';
    for (int d = 0; d < 16; d++)
        out[1 + d] = hex[(h >> (60 - 4 * d)) & 15];
    out[17] = '"';
    out[18] = '\0';
}

bool souk__http_etag_matches(const char *inm, const char *etag)
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

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 303: return "See Other";
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

/* A body that overflowed its buffer is our failure; Cache-Control defaults
 * to the route's for cacheable answers, else no-store. */
static void settle(souk__exchange *x)
{
    souk_res *res = &x->res;
    if (res->err)
        return;
    if (souk_buf_failed(&res->body)) {
        souk_res_error(res, SOUK_E_INTERNAL, "response too large");
        return;
    }
    if (!res->cache_control)
        res->cache_control = x->cacheable && x->route && x->route->cache_control ? x->route->cache_control : "no-store";
}

/* Replaces the live markers of X's body by the values as they are now
 * (core/live.h); the cache keeps the body with its markers. */
static void fill_live(souk__exchange *x)
{
    souk_res *res = &x->res;
    souk_buf filled;
    souk_buf_init(&filled, 32u << 20);
    if (souk_live_fill(res->body.data ? res->body.data : "", res->body.len, &filled, x->w->db) < 0) {
        souk_buf_release(&filled);
        souk_res_error(res, SOUK_E_INTERNAL, "response too large");
        return;
    }
    souk_buf_release(&res->body);
    res->body = filled;
}

/* 200 answers to reads get an ETag (kept from the cache on a hit, unless
 * live values are filled in), are stored in the response cache when
 * cacheable, and become 304 when the client's If-None-Match lists the ETag. */
static void validators(souk__exchange *x)
{
    souk_res *res = &x->res;
    if (res->err || !x->route || !is_read(x->req.method) || res->status != 200)
        return;
    int ttl = x->route->cache_ttl_s;
    bool keep = x->cacheable && !x->cache_hit;
    if (keep && res->cache_until_us) { /* the answer changes by itself then: never cached past it */
        int64_t left_s = (res->cache_until_us - souk_time_now_us()) / 1000000;
        keep = left_s >= 1;
        if (keep && (ttl == 0 || left_s < ttl))
            ttl = left_s > INT_MAX ? INT_MAX : (int)left_s;
    }
    if (keep) {
        if (!res->live) {
            make_etag(res->body.data ? res->body.data : "", res->body.len, x->etag_buf);
            x->etag = x->etag_buf;
        }
        souk_cache_put(
            x->cache_key, x->cache_klen, x->stamp,
            &(souk_cached){200, res->cache_tags, res->live, res->body.data, res->body.len, x->etag ? x->etag : "",
                           res->content_type ? res->content_type : "application/json", res->cache_control, ttl});
    }
    if (res->live)
        fill_live(x);
    if (res->err)
        return;
    if (!x->etag) {
        make_etag(res->body.data ? res->body.data : "", res->body.len, x->etag_buf);
        x->etag = x->etag_buf;
    }
    if (souk__http_etag_matches(souk_req_header(&x->req, "if-none-match"), x->etag))
        res->status = 304;
}

/* Without a content version, a write that reached its route and succeeded
 * may have changed anything cached answers show. (With one, the commit that
 * touched it has emptied the cache already: souk__http_on_touch.) */
static void invalidate(souk__exchange *x)
{
    if (!souk__http_opts->content_version && !x->res.err && x->route && !is_read(x->req.method) &&
        x->res.status < 400) {
        souk_cache_invalidate();
        souk_redis_publish(SOUK_REDIS_CACHE);
    }
}

/* The storefront's pages (src/web): scripts, styles and images from this
 * origin only, no inline script or eval, forms post here only, never framed. */
#define HTML_CSP                                                                                                       \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; "       \
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

static void send_response(souk__exchange *x)
{
    h2o_req_t *r = x->h2o;
    const souk_res *res = &x->res;
    r->res.status = res->status;
    r->res.reason = reason_phrase(res->status);
    souk__http_add_header(r, "x-request-id", x->req.request_id);
    char tp[SOUK_TRACEPARENT_LEN + 1]; /* the trace this answer belongs to, naming the server's span */
    souk__http_add_header(r, "traceparent", souk_trace_format(&x->req.trace, tp));
    ADD_STATIC_HEADER(r, "x-content-type-options", "nosniff");
    ADD_STATIC_HEADER(r, "referrer-policy", "no-referrer");
    ADD_STATIC_HEADER(r, "x-frame-options", "DENY");
    if (res->content_type && strncmp(res->content_type, "text/html", 9) == 0)
        ADD_STATIC_HEADER(r, "content-security-policy", HTML_CSP);
    else
        ADD_STATIC_HEADER(r, "content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    for (size_t i = 0; i < res->ncookies; i++)
        souk__http_add_header(r, "set-cookie", res->cookies[i]);
    if (x->origin_allowed) {
        souk__http_add_header(r, "access-control-allow-origin", x->origin_allowed);
        ADD_STATIC_HEADER(r, "access-control-expose-headers", CORS_EXPOSE_HEADERS);
    }
    if (souk__http_opts->config->cors_count)
        ADD_STATIC_HEADER(r, "vary", "Origin");
    if (x->req.locale) { /* a localized route: the answer's language, and that Accept-Language chose it */
        ADD_STATIC_HEADER(r, "vary", "Accept-Language");
        if (res->status < 300)
            souk__http_add_header(r, "content-language", x->req.locale);
    }
    if (res->status != 304 && res->status != 204)
        souk__http_add_header(r, "content-type", res->content_type ? res->content_type : "application/json");
    souk__http_add_header(r, "cache-control", res->cache_control ? res->cache_control : "no-store");
    if (x->etag)
        souk__http_add_header(r, "etag", x->etag);
    if (res->location)
        souk__http_add_header(r, "location", res->location);
    if (res->allow)
        souk__http_add_header(r, "allow", res->allow);
    if (res->retry_after)
        souk__http_add_header(r, "retry-after", res->retry_after);
    if (res->status == 401)
        ADD_STATIC_HEADER(r, "www-authenticate", "Bearer");
    if (res->status == 304 || res->status == 204) {
        h2o_send_inline(r, "", 0);
        return;
    }
    /* h2o_send_inline leaves the length unset, and h2o 2.2 then delimits any
     * answer but a 200 by closing the connection */
    r->res.content_length = res->body.len;
    h2o_send_inline(r, res->body.data ? res->body.data : "", res->body.len);
}

/* ---- the send watch ---- */

/* lives in the h2o request's pool: disposed when h2o is done sending */
typedef struct send_watch {
    h2o_timeout_entry_t tick;
    souk__worker *w;
    int fd;
    uint64_t acked;         /* bytes the client had acknowledged at the last progress */
    int64_t progress_at;    /* souk_time_mono_us of the last progress */
    const char *request_id; /* a copy in the request's pool */
} send_watch;

/* What the client has acknowledged of everything sent on FD (TCP_INFO);
 * false when the kernel does not say. */
static bool bytes_acked(int fd, uint64_t *out)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof ti.tcpi_bytes_acked)
        return false;
    *out = ti.tcpi_bytes_acked;
    return true;
}

static void on_send_tick(h2o_timeout_entry_t *tick)
{
    send_watch *s = H2O_STRUCT_FROM_MEMBER(send_watch, tick, tick);
    int64_t now = souk_time_mono_us();
    uint64_t acked;
    if (bytes_acked(s->fd, &acked) && acked != s->acked) {
        s->acked = acked;
        s->progress_at = now;
    }
    if (now - s->progress_at < SEND_STALL_S * 1000000LL) {
        h2o_timeout_link(s->w->loop, &s->w->send_tick, &s->tick);
        return;
    }
    /* The client stopped reading. Shutting the socket down makes h2o's
     * pending write fail, so h2o closes the connection itself (closing the
     * fd under it would not be safe); no linger drops what the kernel still
     * holds for the client at once. */
    struct linger off = {1, 0};
    setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
    shutdown(s->fd, SHUT_RDWR);
    souk_log(SOUK_LOG_WARN, s->request_id, NULL, json_pack("{s:i}", "stalled_s", SEND_STALL_S),
             "cut off a client that stopped reading its response");
}

static void on_send_done(void *p)
{
    send_watch *s = p;
    if (h2o_timeout_is_linked(&s->tick))
        h2o_timeout_unlink(&s->tick);
}

void souk__http_send_watch_init(souk__worker *w)
{
    h2o_timeout_init(w->loop, &w->send_tick, SEND_TICK_MS);
}

/* Watches X's response until h2o has handed all of it to the kernel (the
 * request's pool is then disposed): a tick a second, nothing more for the
 * answers that leave at once. HTTP/1 only: an HTTP/2 connection carries
 * other streams, and its flow control may hold a stream back rightly. */
static void watch_send(souk__exchange *x)
{
    h2o_req_t *r = x->h2o;
    if (r->version >= 0x200 || !r->conn->callbacks->get_socket)
        return;
    h2o_socket_t *sock = r->conn->callbacks->get_socket(r->conn);
    int fd = sock ? h2o_socket_get_fd(sock) : -1;
    if (fd < 0)
        return;
    send_watch *s = h2o_mem_alloc_shared(&r->pool, sizeof *s, on_send_done);
    *s = (send_watch){.w = x->w, .fd = fd, .progress_at = souk_time_mono_us()};
    s->request_id = h2o_strdup(&r->pool, x->req.request_id, SIZE_MAX).base;
    s->tick.cb = on_send_tick;
    h2o_timeout_link(x->w->loop, &x->w->send_tick, &s->tick);
}

/* Metrics for every answer; the access-log line (always for 5xx). */
static void observe(souk__exchange *x)
{
    const souk_res *res = &x->res;
    int64_t took = souk_time_mono_us() - x->started;
    souk_metrics_observe(x->route ? x->route->metrics : -1, res->status, took);
    if (!souk__http_opts->access_log && res->status < 500)
        return;
    h2o_iovec_t path = x->h2o->path; /* refused paths are logged raw, without the query */
    if (x->req.path)
        path = h2o_iovec_init(x->req.path, strlen(x->req.path));
    else if (x->h2o->query_at != SIZE_MAX)
        path.len = x->h2o->query_at;
    json_t *ctx = json_pack("{s:s%,s:s%,s:i,s:f}", "method", x->h2o->method.base, x->h2o->method.len, "path", path.base,
                            path.len, "status", res->status, "duration_ms", (double)took / 1000.0);
    if (ctx && x->cache_hit)
        json_object_set_new(ctx, "cache", json_true());
    if (ctx && x->req.peer) /* the shopper's address, behind trusted proxies too (core/cidr.h) */
        json_object_set_new(ctx, "client", json_string(x->req.peer));
    souk_log(res->status >= 500 ? SOUK_LOG_ERROR : SOUK_LOG_INFO, x->req.request_id, NULL, ctx, "request");
}

void souk__http_finish(souk__exchange *x)
{
    souk__res_json_dump(&x->res); /* a body the committer left to this loop */
    settle(x);
    validators(x);
    invalidate(x);
    if (x->res.err)
        render_error(&x->req, &x->res);
    watch_send(x);
    send_response(x);
    observe(x);
}

void souk__http_end(souk__exchange *x)
{
    json_decref(x->res.json);
    x->res.json = NULL;
    souk_buf_release(&x->res.body);
    souk_metrics_inflight_add(-1);
    x->w->inflight--;
}
