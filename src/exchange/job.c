/*
 * job.c — the job "exchange.import": runs one import_runs row (a CSV sent to
 * POST /api/v1/admin/imports) through souk_exchange_shopify_import on a
 * worker thread, writing its progress into the row after every batch and
 * its report at the end. A run that is done or failed is not run again (a
 * job may be delivered twice); a run left "running" by a worker that died
 * is run again from the start, which the import's idempotence makes safe.
 */
#include "exchange/internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

#define JOB_KIND "exchange.import"

typedef struct run_ctx {
    souk_store *db;
    int64_t id;
    json_t *problems;
    int64_t problem_count;
    int64_t last_write_us;
    bool lease_lost; /* another worker took the job over: stop, write nothing more */
} run_ctx;

static json_t *stats_json(const souk_exchange_stats *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "rows", (json_int_t)s->rows, "error_rows",
                     (json_int_t)s->error_rows, "products", (json_int_t)s->products, "created", (json_int_t)s->created,
                     "updated", (json_int_t)s->updated, "unchanged", (json_int_t)s->unchanged, "failed",
                     (json_int_t)s->failed, "variants", (json_int_t)s->variants);
}

static void job_problem(void *ctx, uint64_t line, const char *handle, const char *field, const char *message)
{
    run_ctx *c = ctx;
    c->problem_count++;
    if (json_array_size(c->problems) < SOUK_EXCHANGE_PROBLEMS_MAX)
        json_array_append_new(c->problems, json_pack("{s:I,s:s,s:s,s:s}", "line", (json_int_t)line, "handle", handle,
                                                     "field", field, "message", message));
}

static bool job_progress(void *ctx, const souk_exchange_stats *s, uint64_t bytes, uint64_t total, bool final)
{
    run_ctx *c = ctx;
    /* an import may outlast the job's lease: renew it as the batches commit */
    if (souk_job_keep_alive(c->db) == SOUK_JOB_LEASE_LOST) {
        c->lease_lost = true;
        return false;
    }
    int64_t now = souk_time_now_us();
    if (final || now - c->last_write_us < 250000)
        return true; /* the last one is written with the report; otherwise at most 4 a second */
    c->last_write_us = now;
    json_t *j = stats_json(s);
    char *stats = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!stats)
        return true;
    (void)total;
    souk_store_update_tx(c->db,
                         "UPDATE import_runs SET bytes_done = $2, stats = $3, problem_count = $4, updated_at = $5 "
                         "WHERE id = $1",
                         SOUK_ARGS(SOUK_I64(c->id), SOUK_I64((int64_t)bytes), SOUK_TEXT(stats),
                                   SOUK_I64(c->problem_count), SOUK_I64(now)));
    free(stats);
    return true;
}

static int import_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    run_ctx c = {db, json_integer_value(json_object_get(payload, "run")), NULL, 0, 0};
    const char *currency = json_string_value(json_object_get(payload, "currency"));
    char state[16] = "";
    char *body = NULL;
    int r = souk_store_one(db, "SELECT state, body FROM import_runs WHERE id = $1", SOUK_ARGS(SOUK_I64(c.id)),
                           SOUK_COLS(SOUK_COL_STR(state), SOUK_COL_DUP(&body)));
    if (r < 0) {
        snprintf(err, errlen, "cannot read import run %lld", (long long)c.id);
        return -1;
    }
    if (r == SOUK_DB_DONE || strcmp(state, "done") == 0 || strcmp(state, "failed") == 0 || !currency) {
        free(body);
        return 0; /* gone, or run already */
    }
    if (souk_store_update_tx(db, "UPDATE import_runs SET state = 'running', updated_at = $2 WHERE id = $1",
                             SOUK_ARGS(SOUK_I64(c.id), SOUK_I64(souk_time_now_us()))) < 0) {
        free(body);
        snprintf(err, errlen, "cannot mark import run %lld running", (long long)c.id);
        return -1;
    }
    c.problems = json_array();
    souk_csv *csv = NULL;
    souk_exchange_stats s = {0};
    char why[300] = "";
    int rc = souk_csv_open_mem(&csv, body, strlen(body), NULL);
    if (rc != SOUK_CSV_OK)
        snprintf(why, sizeof why, "cannot read the CSV: %s", souk_csv_strerror(rc));
    else {
        souk_exchange_import_opts o = {.currency = currency,
                                       .report = job_problem,
                                       .report_ctx = &c,
                                       .progress = job_progress,
                                       .progress_ctx = &c};
        rc = souk_exchange_shopify_import(db, csv, &o, &s, why, sizeof why);
    }
    if (c.lease_lost) { /* the worker that has the job now records the run's outcome */
        souk_csv_free(csv);
        free(body);
        json_decref(c.problems);
        snprintf(err, errlen, "import run %lld: the job's lease ran out and another worker took it over",
                 (long long)c.id);
        return -1;
    }
    bool failed = rc != 0;
    uint64_t total = csv ? souk_csv_total_bytes(csv) : 0;
    souk_csv_free(csv);
    free(body);
    json_t *st = stats_json(&s);
    char *stats = json_dumps(st, JSON_COMPACT), *problems = json_dumps(c.problems, JSON_COMPACT);
    json_decref(st);
    json_decref(c.problems);
    int64_t now = souk_time_now_us();
    int64_t n = stats && problems
                    ? souk_store_update_tx(
                          db,
                          "UPDATE import_runs SET state = $2, body = '', bytes_done = $3, stats = $4, problems = $5, "
                          "problem_count = $6, error = $7, updated_at = $8, finished_at = $8 WHERE id = $1",
                          SOUK_ARGS(SOUK_I64(c.id), SOUK_TEXT(failed ? "failed" : "done"),
                                    SOUK_I64(failed ? 0 : (int64_t)total), SOUK_TEXT(stats), SOUK_TEXT(problems),
                                    SOUK_I64(c.problem_count), SOUK_TEXT(failed ? why : NULL), SOUK_I64(now)))
                    : -1;
    free(stats);
    free(problems);
    if (n < 0) {
        snprintf(err, errlen, "cannot record the outcome of import run %lld", (long long)c.id);
        return -1;
    }
    souk_log_info("import run %lld %s: %llu rows, %llu created, %llu updated, %lld problems", (long long)c.id,
                  failed ? "failed" : "done", (unsigned long long)s.rows, (unsigned long long)s.created,
                  (unsigned long long)s.updated, (long long)c.problem_count);
    return 0;
}

void souk_exchange_register_jobs(void)
{
    souk_job_register(JOB_KIND, import_job, 3);
}
