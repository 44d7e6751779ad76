/*
 * api.c — the exchange's admin routes (see api.h). The import's heavy work
 * runs in the job (job.c); the handler only checks the body's header row,
 * stores the CSV and queues the job in one transaction. The export route is
 * blocking (the CPU pool): it reads the whole catalog.
 */
#include "exchange/api.h"
#include "exchange/internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/id.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

/* true when the request's Content-Type is text/csv (parameters allowed) */
static bool is_csv(souk_req *req)
{
    const char *ct = NULL;
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcmp(req->headers[i].name, "content-type") == 0)
            ct = req->headers[i].value;
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    return strncasecmp(ct, "text/csv", 8) == 0 && (ct[8] == '\0' || ct[8] == ';' || ct[8] == ' ');
}

/* NULL when the body's first record is a Shopify header, else the problem */
static const char *check_header(souk_req *req)
{
    souk_csv *r = NULL;
    if (souk_csv_open_mem(&r, req->body, req->body_len, NULL) != SOUK_CSV_OK)
        return "cannot be read";
    const char *why = NULL;
    int rc = souk_csv_next(r);
    if (rc != SOUK_CSV_RECORD)
        why = rc == SOUK_CSV_END ? "is empty" : "has an unreadable header row";
    else {
        const char *fields[SOUK_CSV_DEFAULT_MAX_FIELDS];
        size_t n = souk_csv_field_count(r);
        for (size_t i = 0; i < n && i < SOUK_CSV_DEFAULT_MAX_FIELDS; i++)
            fields[i] = souk_csv_field(r, i, NULL);
        souk__xc_cols cols;
        why = souk__xc_header(&cols, fields, n < SOUK_CSV_DEFAULT_MAX_FIELDS ? n : SOUK_CSV_DEFAULT_MAX_FIELDS);
        if (why)
            why = souk_arena_strdup(req->arena, why);
    }
    souk_csv_free(r);
    return why;
}

typedef struct create_ctx {
    souk_req *req;
    int64_t id;
} create_ctx;

static souk_err create_body(souk_store *db, void *arg)
{
    create_ctx *c = arg;
    souk_req *req = c->req;
    char actor[40] = "system";
    if (req->principal.kind == SOUK_ACTOR_API_KEY)
        souk_id_format("key", req->principal.key_id, actor);
    else if (req->principal.user_id)
        souk_id_format("usr", req->principal.user_id, actor);
    c->id = souk_id_next();
    int64_t now = souk_time_now_us();
    int r = souk_store_exec(db,
                            "INSERT INTO import_runs (id, kind, state, body, bytes_total, created_by, created_at, "
                            "updated_at) VALUES ($1, 'shopify_products', 'queued', $2, $3, $4, $5, $5)",
                            SOUK_ARGS(SOUK_I64(c->id), SOUK_TEXTN(req->body, req->body_len),
                                      SOUK_I64((int64_t)req->body_len), SOUK_TEXT(actor), SOUK_I64(now)));
    if (r < 0)
        return souk_store_dberr(r);
    json_t *payload = json_pack("{s:I,s:s}", "run", (json_int_t)c->id, "currency", req->config->currency);
    return souk_store_dberr(souk_job_enqueue_tx(db, "exchange.import", payload, 0, NULL));
}

/* the ImportRun document of run ID into *OUT; SOUK_OK, NOT_FOUND or a database error */
static souk_err run_json(souk_store *db, int64_t id, json_t **out)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT kind, state, bytes_total, bytes_done, stats, problems, problem_count, "
                                     "error, created_by, created_at, updated_at, finished_at FROM import_runs "
                                     "WHERE id = $1",
                                     SOUK_ARGS(SOUK_I64(id)));
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW) {
        souk_stmt_done(st);
        return r < 0 ? souk_store_dberr(r) : SOUK_E_NOT_FOUND;
    }
    char idbuf[40], t1[SOUK_RFC3339_LEN], t2[SOUK_RFC3339_LEN], t3[SOUK_RFC3339_LEN];
    int64_t total = souk_stmt_i64(st, 2), done = souk_stmt_i64(st, 3);
    const char *state = souk_stmt_text(st, 1, NULL);
    json_t *stats = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "rows", 0, "error_rows", 0, "products", 0, "created",
                              0, "updated", 0, "unchanged", 0, "failed", 0, "variants", 0);
    json_t *stored = json_loads(souk_stmt_text(st, 4, NULL), 0, NULL);
    if (stats && json_is_object(stored))
        json_object_update(stats, stored);
    json_decref(stored);
    json_t *problems = json_loads(souk_stmt_text(st, 5, NULL), 0, NULL);
    bool finished = !souk_stmt_is_null(st, 11);
    json_t *j =
        json_pack("{s:s,s:s,s:s,s:I,s:I,s:f,s:o,s:o,s:I,s:o,s:s,s:s,s:s,s:o}", "id",
                  souk_id_format(SOUK_PREFIX_IMPORT, id, idbuf), "format", "shopify", "state", state ? state : "",
                  "bytes_total", (json_int_t)total, "bytes_done", (json_int_t)done, "progress",
                  state && strcmp(state, "done") == 0 ? 1.0
                  : total > 0                         ? (double)done / (double)total
                                                      : 0.0,
                  "stats", stats ? stats : json_object(), "problems", problems ? problems : json_array(),
                  "problem_count", (json_int_t)souk_stmt_i64(st, 6), "error",
                  souk_stmt_is_null(st, 7) ? json_null() : json_string(souk_stmt_text(st, 7, NULL)), "created_by",
                  souk_stmt_text(st, 8, NULL), "created_at", souk_time_format(souk_stmt_i64(st, 9), t1), "updated_at",
                  souk_time_format(souk_stmt_i64(st, 10), t2), "finished_at",
                  finished ? json_string(souk_time_format(souk_stmt_i64(st, 11), t3)) : json_null());
    souk_stmt_done(st);
    if (!j)
        return SOUK_E_INTERNAL;
    *out = j;
    return SOUK_OK;
}

int souk_exchange_api_import(souk_req *req, souk_res *res)
{
    if (!is_csv(req))
        return souk_res_error(res, SOUK_E_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be text/csv");
    const char *why = NULL;
    if (req->body_len == 0)
        why = "is empty";
    else if (req->body_len > SOUK_EXCHANGE_BODY_MAX)
        return souk_res_error(res, SOUK_E_PAYLOAD_TOO_LARGE, "The CSV exceeds 64 MiB.");
    else if (memchr(req->body, '\0', req->body_len))
        why = "contains a NUL byte";
    else
        why = check_header(req);
    if (why) {
        souk_problems_add(&res->problems, req->arena, "body", "%s", why);
        return souk_res_invalid(res);
    }
    create_ctx c = {req, 0};
    souk_err e = souk_store_run(req->store, create_body, &c, &res->problems);
    if (e)
        return souk_res_error(res, e, NULL);
    souk_jobs_kick();
    json_t *doc = NULL;
    if ((e = run_json(req->store, c.id, &doc)))
        return souk_res_error(res, e, NULL);
    const char *id = json_string_value(json_object_get(doc, "id"));
    res->location = souk_arena_printf(req->arena, "/api/v1/admin/imports/%s", id);
    souk_res_audit(res, "import_run", souk_arena_strdup(req->arena, id));
    return souk_res_json(res, 202, doc);
}

int souk_exchange_api_import_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_IMPORT, &id))
        return res->err;
    json_t *doc = NULL;
    souk_err e = run_json(req->store, id, &doc);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such import." : NULL);
    return souk_res_json(res, 200, doc);
}

static int to_body(void *ctx, const char *data, size_t len)
{
    return souk_buf_add(ctx, data, len);
}

int souk_exchange_api_export_products(souk_req *req, souk_res *res)
{
    char err[300];
    /* a pure read, but one an operator runs right after an edit: the replica only when it has
     * replayed everything the primary had written (and so that edit) */
    souk_store *db = souk_store_replica_here(req->store, "products_export", true);
    int r = souk_exchange_shopify_export(db, req->config->currency, to_body, &res->body, NULL, err, sizeof err);
    if (r < 0 && db != req->store && souk_store_lost(db)) { /* the replica went away part-way: the primary, again */
        souk_store_replica_failed("products_export", err);
        souk_buf_reset(&res->body);
        r = souk_exchange_shopify_export(req->store, req->config->currency, to_body, &res->body, NULL, err, sizeof err);
    }
    if (r < 0) {
        souk_buf_reset(&res->body);
        return souk_res_error(res, SOUK_E_INTERNAL,
                              souk_arena_printf(req->arena,
                                                "The export failed (%s); for catalogs over %zu MiB use "
                                                "`souk export products`.",
                                                err, res->body.max >> 20));
    }
    res->content_type = "text/csv; charset=utf-8";
    return 0;
}
