/*
 * writer.c — write requests run on the group committer (store.h "group
 * commit"), never on an event loop.
 *
 * Design: a loop thread only parses, reads and answers; it never waits for
 * the database's write lock. A request that may write (any method but GET,
 * HEAD and OPTIONS) and is not `blocking` is detached from the loop (a heap
 * copy, as for the blocking pool) and queued on the process's group as a
 * work item: on the committer thread, inside the group's one transaction,
 * its handler runs with the committer's connection and then its audit entry
 * is appended — so the change and the entry that records it commit
 * together, and many requests share one commit. After the commit the
 * exchange goes back to its loop (souk__pool_on_done), which sends the
 * answer: nothing is acknowledged before it is durable. If the group
 * fails, the answer becomes a 503 with Retry-After, and nothing of it was
 * kept. A write that was refused before its handler (401, 403, 429 …) still
 * goes this way, to have its audit entry written off the loop.
 *
 * Blocking routes (password hashing, payment gateways) run on the pool
 * instead: they must not hold the group's transaction while they compute or
 * wait on the network; their own transactions are still group-committed.
 */
#include "http/internal.h"

#include <stdatomic.h>

#include "core/json.h"
#include "core/log.h"
#include "core/banned.h"

static atomic_bool abandoned;

static void run_write(souk_store *db, void *arg)
{
    souk__exchange *x = arg;
    if (atomic_load(&abandoned))
        return;
    x->req.store = db;
    souk_trace_set_current(&x->req.trace);
    if (!x->audit_only && x->route->handler(&x->req, &x->res) != 0 && !x->res.err)
        souk_res_error(&x->res, SOUK_E_INTERNAL, NULL);
    souk__http_unreachable(x, db);
    souk_store_idle(db);
    souk__http_run_hook(x, db);
    souk_trace_set_current(NULL);
}

static void write_done(void *arg, int status)
{
    souk__exchange *x = arg;
    if (atomic_load(&abandoned)) { /* the loops are gone: nobody to answer */
        souk__http_detached_free(x);
        return;
    }
    if (status < 0) { /* nothing of it was kept: the client may retry */
        souk_trace_set_current(&x->req.trace);
        souk_log(SOUK_LOG_WARN, x->req.request_id, NULL, NULL, "write request not committed (group failed)");
        json_decref(x->res.json);
        x->res.json = NULL;
        souk_buf_reset(&x->res.body);
        souk_problems_init(&x->res.problems);
        x->res.retry_after = "1";
        souk_res_error(&x->res, SOUK_E_UNAVAILABLE, "The change could not be saved; retry in a second.");
        souk_trace_set_current(NULL);
    }
    h2o_multithread_send_message(&x->w->done_receiver, &x->msg);
}

souk__step souk__writer_dispatch(souk__exchange *x)
{
    souk_store_group *g = souk_store_group_of(x->w->db);
    if (!g)
        return souk__pool_dispatch(x);
    souk__exchange *h = souk__http_detach(x);
    if (!h) {
        souk_res_error(&x->res, SOUK_E_UNAVAILABLE, NULL);
        return SOUK__STEP_ANSWERED;
    }
    /* a JSON body is parsed here, on the loop; one that does not parse is
     * left for the handler, which answers why */
    if (!h->audit_only && h->req.body_len) {
        char err[16];
        h->req.body_json = souk_json_parse_object(h->req.body, h->req.body_len, err, sizeof err);
    }
    h->hook_joins = true;     /* its audit entry is in its transaction anyway */
    h->res.json_later = true; /* the loop serializes the answer: the committer's time is everyone's */
    if (souk_store_group_submit(g, run_write, write_done, h) < 0) {
        h->guard->x = NULL; /* the request is still alive here */
        souk__http_detached_free(h);
        x->res.retry_after = "1";
        souk_res_error(&x->res, SOUK_E_UNAVAILABLE, "The server is busy; retry in a second.");
        return SOUK__STEP_ANSWERED;
    }
    return SOUK__STEP_DEFERRED;
}

void souk__writer_abandon(void)
{
    atomic_store(&abandoned, true);
}
