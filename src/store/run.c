/* run.c — write transactions whose bodies speak souk_err (see store.h). */
#include "store/store.h"

#include "core/banned.h"

typedef struct run_ctx {
    souk_store_body body;
    void *ctx;
    souk_problems *pr;
    size_t pr_start;
    souk_err err;
} run_ctx;

static int run_body(souk_store *db, void *arg)
{
    run_ctx *rc = arg;
    if (rc->pr) { /* a retried attempt starts without the previous one's problems */
        rc->pr->count = rc->pr_start;
        rc->pr->dropped = 0;
    }
    rc->err = rc->body(db, rc->ctx);
    return souk_store_err_status(rc->err);
}

souk_err souk_store_run(souk_store *db, souk_store_body body, void *ctx, souk_problems *pr)
{
    run_ctx rc = {body, ctx, pr, pr ? pr->count : 0, SOUK_OK};
    int r = souk_store_tx(db, run_body, &rc);
    if (rc.err)
        return rc.err;
    return souk_store_dberr(r);
}
