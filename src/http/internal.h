/*
 * internal.h — what the files of the h2o adapter share; nothing outside
 * src/http includes it (handlers see http.h only).
 *
 *   server.c      threads, listeners, event loops, the watcher, shutdown
 *   middleware.c  one request: the chain of steps from request id to dispatch
 *   pool.c        the blocking pool: routes that must not run on a loop
 *   respond.c     finishing and sending a response, and watching the send
 *   wire.c        checks on the request as it came over the wire (wire.h)
 *
 * A request is an exchange. The chain (middleware.c) fills it step by step;
 * each step continues, answers (the exchange's souk_res holds the answer) or
 * defers (the exchange left for the blocking pool and comes back later).
 * Whatever answered, souk__http_finish turns the souk_res into the HTTP
 * response, in one place.
 */
#ifndef SOUK_HTTP_INTERNAL_H
#define SOUK_HTTP_INTERNAL_H

#include <h2o.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/cache.h"
#include "http/server.h"

#define SOUK__ARENA_LIMIT (64u << 20)

typedef struct souk__worker {
    h2o_context_t ctx; /* first: handlers find their worker from req->conn->ctx */
    h2o_accept_ctx_t accept_ctx;
    h2o_evloop_t *loop;
    h2o_socket_t *listener;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t done_receiver; /* blocking-pool results */
    h2o_timeout_t send_tick;                  /* respond.c: watches responses being sent */
    int fd;
    souk_store *db;
    souk_arena arena;
    int inflight;
    pthread_t thread;
} souk__worker;

/* one request in flight */
typedef struct souk__exchange {
    h2o_multithread_message_t msg; /* first: the pool posts it back to the loop */
    souk__worker *w;
    h2o_req_t *h2o;
    struct souk__guard *guard; /* NULL when the request runs inline */
    bool orphaned;             /* the client went away while on the pool */
    souk_arena own_arena;      /* blocking requests carry their own arena */
    souk_req req;
    souk_res res;
    const souk_route *route; /* the matched route; NULL for answers before a route is known */
    unsigned allowed;        /* methods the path allows (404 when 0) */
    int64_t started;
    souk_cache_stamp stamp;     /* cache generations at the start */
    const char *origin_allowed; /* the request's Origin when it is allow-listed */
    bool bad_credentials;       /* an Authorization header that did not verify */
    bool cacheable;
    bool cache_hit;  /* the answer came from the response cache */
    bool hook_ran;   /* the after-request hook (audit) has run for it */
    bool audit_only; /* a refused write, sent off the loop only to be audited */
    bool hook_joins; /* the hook runs in the handler's own group item (writer.c) */
    const char *cache_key;
    size_t cache_klen;
    const char *etag;
    char etag_buf[24];
    struct souk__exchange *next; /* pool queue */
} souk__exchange;

/* Lives in the h2o request's pool; its dispose callback runs when h2o frees
 * the request — possibly before a detached exchange has come back. */
typedef struct souk__guard {
    souk__exchange *x;
} souk__guard;

/* What a step of the chain did. */
typedef enum souk__step {
    SOUK__STEP_CONTINUE, /* go on with the next step */
    SOUK__STEP_ANSWERED, /* the exchange's souk_res holds the answer: finish it now */
    SOUK__STEP_DEFERRED, /* the exchange went to the blocking pool, which finishes it */
} souk__step;

/* The options souk_server_run was given (set before any thread starts). */
extern const souk_server_opts *souk__http_opts;

/* ---- middleware.c ---- */

/* Runs the chain for R on worker W's loop; always returns 0 (h2o's "handled"). */
int souk__http_handle(souk__worker *w, h2o_req_t *r);

/* Copies X's request headers (lower-case names) into A as x->req.headers. */
void souk__http_copy_headers(souk__exchange *x, souk_arena *a);

/* ---- pool.c ---- */

typedef enum souk__pool_kind {
    SOUK__POOL_CPU,     /* `blocking` routes: password hashing (SOUK_BLOCKING_THREADS) */
    SOUK__POOL_NETWORK, /* `network` routes: payment gateways (SOUK_NETWORK_THREADS) */
    SOUK__POOLS
} souk__pool_kind;

/* Starts N threads of pool KIND; returns how many started. */
int souk__pool_start(souk__pool_kind kind, int n);

/* Stops both pools: queued work is dropped, running handlers finish; joins the threads. */
void souk__pool_stop(void);

/* Moves X onto its route's pool (a heap copy with its own arena): the
 * network pool for `network` routes, else the CPU pool. Returns DEFERRED,
 * or ANSWERED with a 503 in X's souk_res when the pool is full or memory
 * ran out. */
souk__step souk__pool_dispatch(souk__exchange *x);

/* h2o receiver callback: pool and writer results arriving on a loop thread. */
void souk__pool_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

/* A heap copy of X with its own arena holding everything the handler may
 * read, guarded against the client going away (x->orphaned); NULL when
 * memory ran out. It comes back to its loop through souk__pool_on_done. */
souk__exchange *souk__http_detach(souk__exchange *x);

/* Frees a detached exchange that will not come back to its loop (the
 * caller clears its guard first while the h2o request is alive). */
void souk__http_detached_free(souk__exchange *h);

/* Runs the after-request hook (audit) for X on DB, once. */
void souk__http_run_hook(souk__exchange *x, souk_store *db);

/* After X's handler ran on DB: an internal error while the database server
 * could not be reached (souk_store_lost) becomes 503 UNAVAILABLE with
 * Retry-After, the standard error body and nothing of what the handler wrote. */
void souk__http_unreachable(souk__exchange *x, souk_store *db);

/* ---- writer.c ---- */

/* Sends write request X to the group committer (store.h "group commit"):
 * its handler and its audit entry run there, in the group's transaction,
 * and the answer goes back to the loop after the commit. Without a group
 * (SOUK_GROUP_COMMIT=0), to the blocking pool. Returns DEFERRED, or
 * ANSWERED with a 503 when the queue is full. */
souk__step souk__writer_dispatch(souk__exchange *x);

/* Answers nothing more from the writer: items decided from now on are
 * dropped (the loops have stopped). */
void souk__writer_abandon(void);

/* ---- respond.c ---- */

/* Turns X's souk_res into the HTTP response and sends it: error body,
 * Cache-Control, ETag / 304, response-cache store, cache invalidation after
 * writes, the after-request hook, headers, access log and metrics. On the
 * loop thread; frees nothing (see souk__http_end). */
void souk__http_finish(souk__exchange *x);

/* Releases what X holds of the worker (response buffer, in-flight counts). */
void souk__http_end(souk__exchange *x);

/* request.c: serializes a body souk_res_json left in RES->json (see
 * json_later) into RES->body, unless RES holds an error (then it is only
 * dropped). 0, or the souk_err it set (500) when serialization failed. */
int souk__res_json_dump(souk_res *res);

/* True when the If-None-Match value INM (NULL: none) lists ETAG, weak
 * ("W/") or strong, or is "*"; items are separated by commas and blanks
 * (respond.c; tests/fuzz/fuzz_headers.c). */
bool souk__http_etag_matches(const char *inm, const char *etag);

/* True when an incoming X-Request-Id S may be kept (and echoed in our
 * answer's header): 1..64 bytes of [A-Za-z0-9._-] (middleware.c). */
bool souk__http_request_id_valid(const char *s);

/* Adds response header NAME (a string literal) : VALUE (copied into R's pool). */
void souk__http_add_header(h2o_req_t *r, const char *name, const char *value);

/* Sets up W's timer that cuts off clients that stop reading responses
 * (on W's loop thread, once its loop exists). */
void souk__http_send_watch_init(souk__worker *w);

/* Empties the response cache when the content version moved (or always
 * without a content version), and what is tagged with stock when the stock
 * version did. DB is the caller's connection. */
void souk__http_check_content(souk_store *db);

/* The store's touch listener (souk_store_on_touch): a commit in this
 * process touched version NAME. */
void souk__http_on_touch(const char *name);

#endif
