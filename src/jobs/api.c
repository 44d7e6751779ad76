/*
 * api.c — the admin API of the job queue: GET /api/v1/admin/jobs and
 * POST /api/v1/admin/jobs/{id}/retry.
 *
 * The list decodes its parameters with a declarative spec
 * (core/query_spec.h): every unknown, repeated or malformed parameter is
 * reported. Pagination is keyset on id descending (ids are time-ordered, so
 * newest first); the cursor is base64url("j1|<id of the last job shown>").
 * Rows are rendered with store/row.h.
 */
#include "jobs/jobs.h"

#include <stdbool.h>
#include <string.h>

#include "core/cursor.h"
#include "core/id.h"
#include "core/log.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "http/http.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

#define DEFAULT_LIMIT 50

#define JOB_COLUMNS                                                                                                    \
    "id, kind, state, attempts, max_attempts, payload, run_at, last_error, created_at, updated_at, "                   \
    "finished_at"

static const char *const state_names[] = {"queued", "running", "done", "dead", NULL};

typedef struct job_filter {
    int state; /* index in state_names, -1 = any */
    const char *kind;
    int64_t cursor; /* 0 = the first page */
    int64_t limit;
    uint64_t present;
} job_filter;

static const souk_query_field filter_fields[] = {
    SOUK_QUERY_F_ENUM("state", job_filter, state, state_names, .message = "must be one of queued, running, done, dead"),
    SOUK_QUERY_F_TEXT("kind", job_filter, kind, 1, SOUK_JOB_KIND_MAX),
    SOUK_QUERY_F_INT("limit", job_filter, limit, 1, SOUK_JOB_LIST_MAX),
    SOUK_QUERY_F_CURSOR("cursor", job_filter, cursor, "j1"),
};
static const souk_query_spec filter_spec = SOUK_QUERY_SPEC(job_filter, filter_fields);

/* One row of JOB_COLUMNS as the API's job object, NULL when out of memory. */
static json_t *render_job(souk_stmt *st)
{
    size_t pl;
    const char *ptext = souk_stmt_text(st, 5, &pl);
    json_t *payload = ptext ? json_loadb(ptext, pl, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(payload)) {
        json_decref(payload);
        payload = json_pack("{s:o}", "_invalid_json", souk_row_text(st, 5));
    }
    return json_pack("{s:o,s:o,s:o,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_JOB), "kind",
                     souk_row_text(st, 1), "state", souk_row_text(st, 2), "attempts", (json_int_t)souk_stmt_i64(st, 3),
                     "max_attempts", (json_int_t)souk_stmt_i64(st, 4), "payload", payload, "run_at",
                     souk_row_time(st, 6), "last_error", souk_row_text_or_null(st, 7), "created_at",
                     souk_row_time(st, 8), "updated_at", souk_row_time(st, 9), "finished_at", souk_row_time(st, 10));
}

int souk_jobs_api_list(souk_req *req, souk_res *res)
{
    job_filter f = {.state = -1, .limit = DEFAULT_LIMIT};
    if (souk_query_decode(&filter_spec, &req->query, &f, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    /* one fixed text (prepared once): the filters in use are bound, the others are NULL */
    souk_stmt *st = souk_store_query(req->store,
                                     "SELECT " JOB_COLUMNS " FROM jobs "
                                     "WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR kind = $2) "
                                     "AND id < $3 ORDER BY id DESC LIMIT $4",
                                     SOUK_ARGS(SOUK_TEXT(f.state >= 0 ? state_names[f.state] : NULL), SOUK_TEXT(f.kind),
                                               SOUK_I64(f.cursor ? f.cursor : INT64_MAX),
                                               /* one more than shown tells whether there is a next page */
                                               SOUK_I64(f.limit + 1)));
    int64_t last;
    bool more;
    int r;
    json_t *data = souk_store_page(st, (int)f.limit, render_job, &last, &more, &r);
    if (!data)
        return souk_res_error(res, r ? souk_store_dberr(r) : SOUK_E_INTERNAL, NULL);
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
    int outcome; /* 0 retried, 1 not found, 2 not dead, 3 dedupe key taken */
    json_t *job; /* the job as the retry left it, read inside the transaction */
} retry_ctx;

static int retry_fn(souk_store *db, void *vctx)
{
    retry_ctx *cx = vctx;
    bool dead;
    int r = souk_store_one(db, "SELECT state = 'dead' FROM jobs WHERE id = $1", SOUK_ARGS(SOUK_I64(cx->id)),
                           SOUK_COLS(SOUK_COL_BOOL(&dead)));
    if (r < 0)
        return r;
    if (r == SOUK_DB_DONE) {
        cx->outcome = 1;
        return 0;
    }
    if (!dead) {
        cx->outcome = 2;
        return 0;
    }
    r = souk_store_exec(db,
                        "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, locked_by = NULL, "
                        "locked_until = NULL, finished_at = NULL, updated_at = $2 WHERE id = $1 AND state = 'dead'",
                        SOUK_ARGS(SOUK_I64(cx->id), SOUK_I64(cx->now)));
    if (r == SOUK_DB_CONSTRAINT) { /* a queued/running job holds its dedupe key */
        cx->outcome = 3;
        return 0;
    }
    if (r < 0)
        return r;
    /* read back before committing: no worker can have claimed it yet */
    souk_stmt *st = souk_store_query(db, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = $1", SOUK_ARGS(SOUK_I64(cx->id)));
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
        return souk_res_error(res, souk_store_dberr(r), NULL);
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
