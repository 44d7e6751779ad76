/*
 * api.c — the admin API of the job queue: GET /api/v1/admin/jobs and
 * POST /api/v1/admin/jobs/{id}/retry.
 *
 * The list checks its parameters in one pass in the style of the audit list
 * (src/audit/api.c): every unknown, repeated or malformed parameter is
 * reported. Pagination is keyset on id descending (ids are time-ordered, so
 * newest first); the cursor is base64url("j1|<id of the last job shown>").
 */
#include "jobs/jobs.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/query.h"
#include "core/time.h"
#include "http/http.h"
#include "store/page.h"
#include "core/cursor.h"
#include "core/banned.h"

#define DEFAULT_LIMIT 50

#define JOB_COLUMNS "id, kind, state, attempts, max_attempts, payload, run_at, last_error, created_at, updated_at, " \
                    "finished_at"

static const char *const state_names[] = {"queued", "running", "done", "dead", NULL};

typedef struct job_filter {
    const char *state, *kind;
    bool has_cursor;
    int64_t cursor;
    int limit;
} job_filter;

static int filter_parse(job_filter *f, const souk_query *q, souk_arena *a, souk_problems *pr)
{
    memset(f, 0, sizeof *f);
    f->limit = DEFAULT_LIMIT;
    int bad = 0;
    for (size_t i = 0; i < q->count; i++) {
        const char *k = q->items[i].key, *v = q->items[i].value;
        size_t vl = q->items[i].value_len;
        bool repeated = false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(q->items[j].key, k) == 0)
                repeated = true;
        if (repeated) {
            bad = souk_problems_add(pr, a, k, "must not be repeated");
            continue;
        }
        int64_t n;
        if (strcmp(k, "limit") == 0) {
            if (souk_query_int(v, 1, SOUK_JOB_LIST_MAX, &n) < 0)
                bad = souk_problems_add(pr, a, k, "must be an integer from 1 to %d", SOUK_JOB_LIST_MAX);
            else
                f->limit = (int)n;
        } else if (strcmp(k, "state") == 0) {
            for (int s = 0; state_names[s]; s++)
                if (strcmp(state_names[s], v) == 0)
                    f->state = state_names[s];
            if (!f->state)
                bad = souk_problems_add(pr, a, k, "must be one of queued, running, done, dead");
        } else if (strcmp(k, "kind") == 0) {
            if (vl == 0 || vl > SOUK_JOB_KIND_MAX)
                bad = souk_problems_add(pr, a, k, "must be 1 to %d bytes", SOUK_JOB_KIND_MAX);
            else
                f->kind = v;
        } else if (strcmp(k, "cursor") == 0) {
            if (souk_cursor_decode("j1", v, vl, &f->cursor) < 0)
                bad = souk_problems_add(pr, a, k, "is not a valid cursor");
            else
                f->has_cursor = true;
        } else {
            bad = souk_problems_add(pr, a, k, "unknown parameter");
        }
    }
    return bad ? -1 : 0;
}

/* A JSON string of S, or a marker when S (from a tampered row) is not UTF-8. */
static json_t *jtext(souk_stmt *st, int col)
{
    size_t n;
    const char *s = souk_stmt_text(st, col, &n);
    json_t *j = json_stringn(s ? s : "", s ? n : 0);
    return j ? j : json_string("(invalid UTF-8)");
}

static json_t *jtime(souk_stmt *st, int col)
{
    char buf[SOUK_RFC3339_LEN];
    return souk_stmt_is_null(st, col) ? json_null() : json_string(souk_time_format(souk_stmt_i64(st, col), buf));
}

/* One row of JOB_COLUMNS as the API's job object, NULL when out of memory. */
static json_t *render_job(souk_stmt *st)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    char idbuf[SOUK_ID_TEXT_MAX];
    size_t pl;
    const char *ptext = souk_stmt_text(st, 5, &pl);
    json_t *payload = ptext ? json_loadb(ptext, pl, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(payload)) {
        json_decref(payload);
        payload = json_object();
        json_object_set_new(payload, "_invalid_json", jtext(st, 5));
    }
    int bad = 0;
    bad |= json_object_set_new(o, "id", json_string(souk_id_format(SOUK_PREFIX_JOB, souk_stmt_i64(st, 0), idbuf)));
    bad |= json_object_set_new(o, "kind", jtext(st, 1));
    bad |= json_object_set_new(o, "state", jtext(st, 2));
    bad |= json_object_set_new(o, "attempts", json_integer(souk_stmt_i64(st, 3)));
    bad |= json_object_set_new(o, "max_attempts", json_integer(souk_stmt_i64(st, 4)));
    bad |= json_object_set_new(o, "payload", payload);
    bad |= json_object_set_new(o, "run_at", jtime(st, 6));
    bad |= json_object_set_new(o, "last_error", souk_stmt_is_null(st, 7) ? json_null() : jtext(st, 7));
    bad |= json_object_set_new(o, "created_at", jtime(st, 8));
    bad |= json_object_set_new(o, "updated_at", jtime(st, 9));
    bad |= json_object_set_new(o, "finished_at", jtime(st, 10));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int db_fail(souk_res *res, int r)
{
    return souk_res_error(res, r == SOUK_DB_SOFT ? SOUK_E_UNAVAILABLE : SOUK_E_INTERNAL, NULL);
}

int souk_jobs_api_list(souk_req *req, souk_res *res)
{
    job_filter f;
    if (filter_parse(&f, &req->query, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    /* one fixed text (prepared once): the filters in use are bound, the others are NULL */
    souk_stmt *st = souk_store_stmt(req->store, "SELECT " JOB_COLUMNS " FROM jobs "
                                                "WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR kind = $2) "
                                                "AND id < $3 ORDER BY id DESC LIMIT $4");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (f.state)
        souk_stmt_bind_text(st, 1, f.state, SIZE_MAX);
    else
        souk_stmt_bind_null(st, 1);
    if (f.kind)
        souk_stmt_bind_text(st, 2, f.kind, SIZE_MAX);
    else
        souk_stmt_bind_null(st, 2);
    souk_stmt_bind_i64(st, 3, f.has_cursor ? f.cursor : INT64_MAX);
    souk_stmt_bind_i64(st, 4, f.limit + 1); /* one more than shown tells whether there is a next page */

    int64_t last;
    bool more;
    int r;
    json_t *data = souk_store_page(st, f.limit, render_job, &last, &more, &r);
    if (!data)
        return r ? db_fail(res, r) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
    char cursor[SOUK_CURSOR_TEXT_MAX];
    json_t *root = json_object();
    if (!root || json_object_set_new(root, "data", data) < 0 ||
        json_object_set_new(root, "next_cursor",
                            more ? json_string(souk_cursor_encode("j1", last, cursor)) : json_null()) < 0) {
        json_decref(root);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    return souk_res_json(res, 200, root);
}

typedef struct retry_ctx {
    int64_t id;
    int64_t now;
    int outcome;  /* 0 retried, 1 not found, 2 not dead, 3 dedupe key taken */
    json_t *job;  /* the job as the retry left it, read inside the transaction */
} retry_ctx;

static int retry_fn(souk_store *db, void *vctx)
{
    retry_ctx *cx = vctx;
    souk_stmt *st = souk_store_stmt(db, "SELECT state FROM jobs WHERE id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, cx->id);
    int r = souk_stmt_step(st);
    if (r < 0)
        return r;
    if (r == SOUK_DB_DONE) {
        cx->outcome = 1;
        return 0;
    }
    const char *state = souk_stmt_text(st, 0, NULL);
    bool dead = state && strcmp(state, "dead") == 0;
    souk_stmt_done(st);
    if (!dead) {
        cx->outcome = 2;
        return 0;
    }
    st = souk_store_stmt(db, "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, locked_by = NULL, "
                             "locked_until = NULL, finished_at = NULL, updated_at = $2 WHERE id = $1 AND state = 'dead'");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, cx->id);
    souk_stmt_bind_i64(st, 2, cx->now);
    r = souk_stmt_exec(st);
    if (r == SOUK_DB_CONSTRAINT) { /* a queued/running job holds its dedupe key */
        cx->outcome = 3;
        return 0;
    }
    if (r < 0)
        return r;
    /* read back before committing: no worker can have claimed it yet */
    st = souk_store_stmt(db, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, cx->id);
    if ((r = souk_stmt_step(st)) != SOUK_DB_ROW)
        return r < 0 ? r : SOUK_DB_HARD;
    json_decref(cx->job); /* a retried transaction renders again */
    cx->job = render_job(st);
    souk_stmt_done(st);
    if (!cx->job)
        return SOUK_DB_HARD;
    cx->outcome = 0;
    return 0;
}

int souk_jobs_api_retry(souk_req *req, souk_res *res)
{
    int64_t id;
    const char *text = req->nparams > 0 ? req->params[0] : NULL;
    if (!text || souk_id_parse(SOUK_PREFIX_JOB, text, strlen(text), &id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "no such job");
    retry_ctx cx = {id, souk_time_now_us(), 0, NULL};
    int r = souk_store_tx(req->store, retry_fn, &cx);
    if (r < 0 || cx.outcome != 0) {
        json_decref(cx.job);
        cx.job = NULL;
    }
    if (r < 0)
        return db_fail(res, r);
    if (cx.outcome == 1)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "no such job");
    if (cx.outcome == 2)
        return souk_res_error(res, SOUK_E_INVALID_STATE, "only a dead job can be retried");
    if (cx.outcome == 3)
        return souk_res_error(res, SOUK_E_CONFLICT, "another job with the same dedupe key is queued or running");
    char idbuf[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "job", souk_arena_strdup(req->arena, souk_id_format(SOUK_PREFIX_JOB, id, idbuf)));
    souk_log(SOUK_LOG_INFO, req->request_id, NULL, NULL, "jobs: dead job %s queued again by an admin", idbuf);
    souk_jobs_kick();
    return souk_res_json(res, 200, cx.job);
}
