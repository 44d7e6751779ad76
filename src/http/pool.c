/*
 * pool.c — the two pools of threads for handlers that must run neither on
 * an event loop nor on the group committer, each thread with its own
 * database connection:
 *   the CPU pool (SOUK_BLOCKING_THREADS, few: each Argon2 hash takes tens of
 *     milliseconds and 64 MiB) for routes marked `blocking`;
 *   the network pool (SOUK_NETWORK_THREADS, many: they mostly wait) for
 *     routes marked `network`, which call a payment gateway and wait for
 *     their transactions to be group-committed.
 *
 * The loop thread copies everything the handler may read into a heap
 * exchange with its own arena and queues it; a pool thread runs the handler
 * and posts the exchange back to its loop through an h2o multithread queue,
 * where souk__pool_on_done finishes and sends the response. A guard object in
 * the h2o request's pool notices when the client disconnects meanwhile: the
 * result is then dropped, but the after-request hook (audit) still runs,
 * since the handler's change happened.
 */
#include "http/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/banned.h"

#define POOL_QUEUE_PER_THREAD                                                                                          \
    256 /* beyond this, blocking requests are refused with 503 (a flash sale
                                    * of a few hundred simultaneous checkouts must queue, not fail) */

typedef struct souk__guard guard;

typedef struct pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    souk__exchange *head, *tail;
    bool stop;
    bool abandon; /* the loops are gone: answer nothing, change nothing */
    int nthreads, queued;
    pthread_t *threads;
} pool;

static pool pools[SOUK__POOLS] = {
    {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, false, false, 0, 0, NULL},
    {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, false, false, 0, 0, NULL},
};

/* Queues X on P; false when the queue is full (the caller answers 503). */
static bool pool_push(pool *p, souk__exchange *x)
{
    pool *pp = p;
    pthread_mutex_lock(&pp->lock);
    if (pp->queued >= POOL_QUEUE_PER_THREAD * (pp->nthreads ? pp->nthreads : 1)) {
        pthread_mutex_unlock(&pp->lock);
        return false;
    }
    pp->queued++;
    x->next = NULL;
    if (pp->tail)
        pp->tail->next = x;
    else
        pp->head = x;
    pp->tail = x;
    pthread_cond_signal(&pp->cond);
    pthread_mutex_unlock(&pp->lock);
    return true;
}

static void *pool_main(void *arg)
{
    pool *pp = arg;
    pthread_setname_np(pthread_self(), pp == &pools[SOUK__POOL_NETWORK] ? "souk-net" : "souk-cpu");
    souk_store *db = NULL;
    char err[512];
    if (souk_store_open(&db, souk__http_opts->config->db_dsn, err, sizeof err) < 0)
        souk_log_error("blocking pool: %s", err);
    for (;;) {
        pthread_mutex_lock(&pp->lock);
        while (!pp->head && !pp->stop)
            pthread_cond_wait(&pp->cond, &pp->lock);
        souk__exchange *x = pp->head;
        bool abandon = pp->abandon;
        if (x) {
            pp->head = x->next;
            if (!pp->head)
                pp->tail = NULL;
            pp->queued--;
        }
        pthread_mutex_unlock(&pp->lock);
        if (!x)
            break;
        if (abandon) { /* nobody would answer or audit it: do not run it */
            souk__http_detached_free(x);
            continue;
        }
        if (!db) {
            souk_res_error(&x->res, SOUK_E_UNAVAILABLE, NULL);
        } else {
            x->req.store = db;
            souk_trace_set_current(&x->req.trace);
            if (!x->audit_only && x->route->handler(&x->req, &x->res) != 0 && !x->res.err)
                souk_res_error(&x->res, SOUK_E_INTERNAL, NULL);
            souk__http_unreachable(x, db);
            souk_store_idle(db);
            souk__http_run_hook(x, db); /* its own transaction, after the handler's */
            souk_trace_set_current(NULL);
        }
        h2o_multithread_send_message(&x->w->done_receiver, &x->msg);
    }
    souk_store_close(db);
    return NULL;
}

int souk__pool_start(souk__pool_kind kind, int n)
{
    pool *p = &pools[kind];
    p->threads = calloc((size_t)(n > 0 ? n : 1), sizeof *p->threads);
    if (!p->threads)
        return 0;
    for (int i = 0; i < n; i++)
        if (pthread_create(&p->threads[p->nthreads], NULL, pool_main, p) == 0)
            p->nthreads++;
    return p->nthreads;
}

void souk__pool_stop(void)
{
    for (int k = 0; k < SOUK__POOLS; k++) {
        pool *p = &pools[k];
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        p->abandon = true; /* the loops have stopped: queued work can no longer be answered */
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        for (int i = 0; i < p->nthreads; i++)
            pthread_join(p->threads[i], NULL);
        free(p->threads);
        p->threads = NULL;
        p->nthreads = 0;
    }
}

static void on_guard_dispose(void *p)
{
    guard *g = p;
    if (g->x)
        g->x->orphaned = true;
}

void souk__pool_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        souk__exchange *x = (souk__exchange *)m;
        souk_trace_set_current(&x->req.trace);
        if (!x->orphaned) {
            x->guard->x = NULL;
            x->req.store = x->w->db;
            souk__http_finish(x);
        } /* else the client left; the hook ran where the handler did */
        souk__http_end(x);
        souk__http_detached_free(x);
        souk_trace_set_current(NULL);
    }
}

/* Deep copies into H's own arena of everything X's request points at in the
 * loop arena, which is reset as soon as the loop thread returns. */
static void copy_request(souk__exchange *h, const souk__exchange *x)
{
    souk_arena *a = &h->own_arena;
    h->req.arena = a;
    h->req.exchange = h;
    h->req.path = souk_arena_strdup(a, x->req.path);
    h->req.request_id = souk_arena_strdup(a, x->req.request_id);
    h->req.peer = souk_arena_strdup(a, x->req.peer);
    souk__http_copy_headers(h, a);
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
        h->req.query.items[i].value =
            souk_arena_strndup(a, x->req.query.items[i].value, x->req.query.items[i].value_len);
    }
    souk_principal *p = &h->req.principal;
    if (p->role)
        p->role = souk_arena_strdup(a, p->role);
    if (p->permissions)
        p->permissions = souk_arena_strdup(a, p->permissions);
    h->origin_allowed = x->origin_allowed ? souk_arena_strdup(a, x->origin_allowed) : NULL;
    h->req.locale = x->req.locale ? souk_arena_strdup(a, x->req.locale) : NULL;
    h->res.problems = x->res.problems; /* empty */
}

souk__exchange *souk__http_detach(souk__exchange *x)
{
    souk__exchange *h = malloc(sizeof *h);
    guard *g = h ? h2o_mem_alloc_shared(&x->h2o->pool, sizeof *g, on_guard_dispose) : NULL;
    if (!h || !g) {
        free(h);
        return NULL;
    }
    *h = *x;
    souk_arena_init(&h->own_arena, 16 * 1024, SOUK__ARENA_LIMIT);
    h->guard = g;
    g->x = h;
    copy_request(h, x);
    return h;
}

void souk__http_detached_free(souk__exchange *h)
{
    json_decref(h->req.body_json);
    json_decref(h->res.json); /* dropped unsent (souk__http_end took it when it ran) */
    souk_arena_release(&h->own_arena);
    free(h);
}

/* after the commit of a transaction the request's audit entry joined */
static void audited(void *arg)
{
    souk__exchange *x;
    memcpy(&x, arg, sizeof x);
    x->hook_ran = true;
}

int souk_req_audit_tx(souk_req *req, souk_res *res, souk_store *db, int status)
{
    souk__exchange *x = req->exchange;
    if (!x || x->hook_ran || x->hook_joins || !x->route || x->route->unaudited || !souk__http_opts->after_request)
        return 0;
    int shown = res->status;
    res->status = status;
    souk__http_opts->after_request(db, req, res, x->route);
    res->status = shown;
    return souk_store_after_commit(db, audited, &x, sizeof x);
}

void souk__http_run_hook(souk__exchange *x, souk_store *db)
{
    souk_method m = x->req.method;
    if (x->hook_ran || !x->route || x->route->unaudited || m == SOUK_GET || m == SOUK_HEAD || m == SOUK_OPTIONS ||
        !souk__http_opts->after_request)
        return;
    x->hook_ran = true;
    if (x->res.err) /* the hook records the status the client will see */
        x->res.status = souk_err_status(x->res.err);
    souk__http_opts->after_request(db, &x->req, &x->res, x->route);
}

souk__step souk__pool_dispatch(souk__exchange *x)
{
    souk__exchange *h = souk__http_detach(x);
    if (!h) {
        souk_res_error(&x->res, SOUK_E_UNAVAILABLE, NULL);
        return SOUK__STEP_ANSWERED;
    }
    pool *p = &pools[x->route && x->route->network && pools[SOUK__POOL_NETWORK].nthreads ? SOUK__POOL_NETWORK
                                                                                         : SOUK__POOL_CPU];
    if (!pool_push(p, h)) {
        h->guard->x = NULL; /* the request is still alive here */
        souk__http_detached_free(h);
        x->res.retry_after = "1";
        souk_res_error(&x->res, SOUK_E_UNAVAILABLE, "The server is busy; retry in a second.");
        return SOUK__STEP_ANSWERED;
    }
    return SOUK__STEP_DEFERRED;
}
