/*
 * pool.c — the blocking pool: a few threads (SOUK_BLOCKING_THREADS) with
 * their own database connections for routes marked `blocking` (Argon2
 * password hashing takes tens of milliseconds and must never stall a loop).
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

#define POOL_QUEUE_PER_THREAD 256 /* beyond this, blocking requests are refused with 503 (a flash sale
                                    * of a few hundred simultaneous checkouts must queue, not fail) */

typedef struct souk__guard guard;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    souk__exchange *head, *tail;
    bool stop;
    bool abandon; /* the loops are gone: answer nothing, change nothing */
    int nthreads, queued;
    pthread_t *threads;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, false, false, 0, 0, NULL};

/* Queues X; false when the queue is full (the caller answers 503). */
static bool pool_push(souk__exchange *x)
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
    if (souk_store_open(&db, souk__http_opts->config->db_dsn, err, sizeof err) < 0)
        souk_log_error("blocking pool: %s", err);
    for (;;) {
        pthread_mutex_lock(&pool.lock);
        while (!pool.head && !pool.stop)
            pthread_cond_wait(&pool.cond, &pool.lock);
        souk__exchange *x = pool.head;
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
            souk__http_detached_free(x);
            continue;
        }
        if (!db) {
            souk_res_error(&x->res, SOUK_E_UNAVAILABLE, NULL);
        } else {
            x->req.store = db;
            if (!x->audit_only && x->route->handler(&x->req, &x->res) != 0 && !x->res.err)
                souk_res_error(&x->res, SOUK_E_INTERNAL, NULL);
            souk_store_idle(db);
            souk__http_run_hook(x, db); /* its own transaction, after the handler's */
        }
        h2o_multithread_send_message(&x->w->done_receiver, &x->msg);
    }
    souk_store_close(db);
    return NULL;
}

int souk__pool_start(int n)
{
    pool.threads = calloc((size_t)(n > 0 ? n : 1), sizeof *pool.threads);
    if (!pool.threads)
        return 0;
    for (int i = 0; i < n; i++)
        if (pthread_create(&pool.threads[pool.nthreads], NULL, pool_main, NULL) == 0)
            pool.nthreads++;
    return pool.nthreads;
}

void souk__pool_stop(void)
{
    pthread_mutex_lock(&pool.lock);
    pool.stop = true;
    pool.abandon = true; /* the loops have stopped: queued work can no longer be answered */
    pthread_cond_broadcast(&pool.cond);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < pool.nthreads; i++)
        pthread_join(pool.threads[i], NULL);
    free(pool.threads);
    pool.threads = NULL;
    pool.nthreads = 0;
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
        if (!x->orphaned) {
            x->guard->x = NULL;
            x->req.store = x->w->db;
            souk__http_finish(x);
        } /* else the client left; the hook ran where the handler did */
        souk__http_end(x);
        souk__http_detached_free(x);
    }
}

/* Deep copies into H's own arena of everything X's request points at in the
 * loop arena, which is reset as soon as the loop thread returns. */
static void copy_request(souk__exchange *h, const souk__exchange *x)
{
    souk_arena *a = &h->own_arena;
    h->req.arena = a;
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
        h->req.query.items[i].value = souk_arena_strndup(a, x->req.query.items[i].value, x->req.query.items[i].value_len);
    }
    souk_principal *p = &h->req.principal;
    if (p->role)
        p->role = souk_arena_strdup(a, p->role);
    if (p->permissions)
        p->permissions = souk_arena_strdup(a, p->permissions);
    h->origin_allowed = x->origin_allowed ? souk_arena_strdup(a, x->origin_allowed) : NULL;
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
    souk_arena_release(&h->own_arena);
    free(h);
}

void souk__http_run_hook(souk__exchange *x, souk_store *db)
{
    souk_method m = x->req.method;
    if (x->hook_ran || !x->route || m == SOUK_GET || m == SOUK_HEAD || m == SOUK_OPTIONS ||
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
    if (!pool_push(h)) {
        h->guard->x = NULL; /* the request is still alive here */
        souk__http_detached_free(h);
        x->res.retry_after = "1";
        souk_res_error(&x->res, SOUK_E_UNAVAILABLE, "The server is busy; retry in a second.");
        return SOUK__STEP_ANSWERED;
    }
    return SOUK__STEP_DEFERRED;
}
