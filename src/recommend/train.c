/*
 * train.c — one training run: a version row, the interactions of the
 * window with their weights, the offline metrics on a time split, the ALS
 * model on the whole window, and the outcome in the row. Also the job kind
 * that runs it and the validation of its parameters.
 */
#include "recommend/service.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "behaviour/behaviour.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

#define READ_MAX ((size_t)20000000) /* interactions one run reads, at most */

double souk_rec_event_weight(int type)
{
    switch (type) {
    case SOUK_BEHAVIOUR_PRODUCT_VIEW:
    case SOUK_BEHAVIOUR_SEARCH_CLICK:
    case SOUK_BEHAVIOUR_REC_CLICK: return 1.0;
    case SOUK_BEHAVIOUR_ADD_TO_CART: return 3.0;
    case SOUK_BEHAVIOUR_PURCHASE: return 5.0;
    default: return 0.0;
    }
}

const char *souk_rec_train_opts_from_json(const json_t *params, souk_rec_train_opts *o)
{
    memset(o, 0, sizeof *o);
    if (!params || json_is_null(params))
        return NULL;
    if (!json_is_object(params))
        return "params must be an object";
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)params, key, v)
    {
        if (strcmp(key, "activate") == 0) {
            if (!json_is_boolean(v))
                return "params.activate must be a boolean";
            o->activate = json_is_true(v);
            continue;
        }
        if (!json_is_number(v))
            return strcmp(key, "factors") == 0 || strcmp(key, "iterations") == 0 || strcmp(key, "alpha") == 0 ||
                           strcmp(key, "lambda") == 0 || strcmp(key, "window_days") == 0 ||
                           strcmp(key, "test_days") == 0
                       ? "params values must be numbers"
                       : "params has an unknown field (factors, iterations, alpha, lambda, window_days, test_days, "
                         "activate)";
        double d = json_number_value(v);
        bool whole = json_is_integer(v);
        if (strcmp(key, "factors") == 0) {
            if (!whole || d < 1 || d > SOUK_REC_FACTORS_MAX)
                return "params.factors must be an integer from 1 to 512";
            o->factors = (unsigned)d;
        } else if (strcmp(key, "iterations") == 0) {
            if (!whole || d < 1 || d > 100)
                return "params.iterations must be an integer from 1 to 100";
            o->iterations = (unsigned)d;
        } else if (strcmp(key, "alpha") == 0) {
            if (!(d >= 0 && d <= 10000))
                return "params.alpha must be from 0 to 10000";
            o->alpha = d;
        } else if (strcmp(key, "lambda") == 0) {
            if (!(d > 0 && d <= 10000))
                return "params.lambda must be above 0 and at most 10000";
            o->lambda = d;
        } else if (strcmp(key, "window_days") == 0) {
            if (!whole || d < 1 || d > 36500)
                return "params.window_days must be an integer from 1 to 36500";
            o->window_days = (int)d;
        } else if (strcmp(key, "test_days") == 0) {
            if (!whole || d < 1 || d > 365)
                return "params.test_days must be an integer from 1 to 365";
            o->test_days = (int)d;
        } else
            return "params has an unknown field (factors, iterations, alpha, lambda, window_days, test_days, activate)";
    }
    return NULL;
}

typedef struct run {
    const souk_rec_train_opts *o;
    souk_rec_als_params als;
    int64_t version, from_us, to_us;
    souk_rec_interaction *in;
    size_t n;
} run;

/* The interactions of the window (times in seconds, as recommend.h takes them). */
static int read_window(souk_store *db, run *r, char *err, size_t errlen)
{
    size_t cap = 1 << 16;
    r->in = malloc(cap * sizeof *r->in);
    if (!r->in) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    souk_stmt *st = souk_store_query(db,
                                     "SELECT user_key, product_id, type, at FROM recommend_interactions "
                                     "WHERE at >= $1 AND at <= $2",
                                     SOUK_ARGS(SOUK_I64(r->from_us), SOUK_I64(r->to_us)));
    int64_t user, item, type, at;
    int rc;
    while ((rc = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&user), SOUK_COL_I64(&item), SOUK_COL_I64(&type),
                                              SOUK_COL_I64(&at)))) == SOUK_DB_ROW) {
        double w = souk_rec_event_weight((int)type);
        if (w <= 0 || !user || !item)
            continue;
        if (r->n == READ_MAX)
            break;
        if (r->n == cap) {
            souk_rec_interaction *bigger = realloc(r->in, 2 * cap * sizeof *bigger);
            if (!bigger) {
                souk_stmt_done(st);
                snprintf(err, errlen, "out of memory reading interactions");
                return -1;
            }
            r->in = bigger;
            cap *= 2;
        }
        r->in[r->n++] = (souk_rec_interaction){.user = user, .item = item, .time = at / 1000000, .weight = w};
    }
    souk_stmt_done(st);
    if (rc != SOUK_DB_DONE && rc != SOUK_DB_ROW) {
        snprintf(err, errlen, "cannot read interactions: %s", souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

static json_t *metrics_row(const souk_rec_metrics *m)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "precision", m->precision, "recall", m->recall, "ndcg", m->ndcg,
                     "map", m->map, "coverage", m->coverage, "train_seconds", m->train_s);
}

/* The offline metrics as JSON, or a note why there are none. */
static json_t *measure(const run *r, size_t k)
{
    souk_rec_eval_params ep;
    souk_rec_eval_params_default(&ep);
    ep.k = k;
    ep.test_seconds = (int64_t)(r->o->test_days ? r->o->test_days : SOUK_REC_TEST_DAYS) * 86400;
    ep.als = r->als;
    ep.als.progress = NULL;
    souk_rec_eval_report rep;
    int rc = souk_rec_eval_run(r->in, r->n, &ep, &rep);
    if (rc < 0)
        return json_pack("{s:s}", "note",
                         rc == SOUK_REC_E_INVAL ? "not enough data on both sides of the time split to measure"
                                                : souk_rec_strerror(rc));
    static const char *const names[SOUK_REC_EVAL_N] = {"popular", "als", "item_cosine", "bought_together", "hybrid"};
    json_t *rows = json_object();
    for (int i = 0; i < SOUK_REC_EVAL_N; i++)
        json_object_set_new(rows, names[i], metrics_row(&rep.row[i]));
    char cut[SOUK_RFC3339_LEN];
    return json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:o}", "k", (json_int_t)k, "split_at",
                     souk_time_format(rep.cut * 1000000, cut), "train_interactions", (json_int_t)rep.ntrain,
                     "test_interactions", (json_int_t)rep.ntest, "evaluated_users", (json_int_t)rep.eval_users,
                     "cold_users", (json_int_t)rep.cold_users, "recommenders", rows);
}

static int record_start(souk_store *db, void *arg)
{
    run *r = arg;
    int64_t last = 0;
    int rc =
        souk_store_one(db, "SELECT COALESCE(MAX(version), 0) FROM rec_models", NULL, SOUK_COLS(SOUK_COL_I64(&last)));
    if (rc < 0)
        return rc;
    r->version = last + 1;
    json_t *p = json_pack("{s:i,s:i,s:f,s:f,s:b,s:i,s:i}", "factors", (int)r->als.factors, "iterations",
                          (int)r->als.iterations, "alpha", r->als.alpha, "lambda", r->als.lambda, "log_scale",
                          r->als.log_scale, "window_days", r->o->window_days ? r->o->window_days : SOUK_REC_WINDOW_DAYS,
                          "test_days", r->o->test_days ? r->o->test_days : SOUK_REC_TEST_DAYS);
    char *text = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(p);
    if (!text)
        return SOUK_DB_HARD;
    rc = souk_store_exec(db,
                         "INSERT INTO rec_models (version, status, params, data_from, data_to, created_at) "
                         "VALUES ($1, 'training', $2, $3, $4, $5)",
                         SOUK_ARGS(SOUK_I64(r->version), SOUK_TEXT(text), SOUK_I64(r->from_us), SOUK_I64(r->to_us),
                                   SOUK_I64(souk_time_now_us())));
    free(text);
    return rc < 0 ? rc : 0;
}

typedef struct outcome {
    const run *r;
    const char *error;
    const char *metrics;
    const unsigned char *blob;
    size_t blob_len;
    int64_t users, items, duration_ms;
    double loss;
    bool activate;
    const char *actor;
} outcome;

static int record_end(souk_store *db, void *arg)
{
    outcome *o = arg;
    int rc;
    if (o->error)
        rc = souk_store_exec(db,
                             "UPDATE rec_models SET status = 'failed', error = $2, interactions = $3, finished_at = $4 "
                             "WHERE version = $1",
                             SOUK_ARGS(SOUK_I64(o->r->version), SOUK_TEXT(o->error), SOUK_I64((int64_t)o->r->n),
                                       SOUK_I64(souk_time_now_us())));
    else
        rc = souk_store_exec(
            db,
            "UPDATE rec_models SET status = 'ready', interactions = $2, users = $3, items = $4, "
            "duration_ms = $5, loss = CAST($6 AS REAL) / 1000000, metrics = $7, model = $8, "
            "finished_at = $9 WHERE version = $1",
            SOUK_ARGS(SOUK_I64(o->r->version), SOUK_I64((int64_t)o->r->n), SOUK_I64(o->users), SOUK_I64(o->items),
                      SOUK_I64(o->duration_ms), SOUK_I64((int64_t)llround(o->loss * 1e6)), /* parameters are integers */
                      SOUK_TEXT(o->metrics), SOUK_BLOB(o->blob, o->blob_len), SOUK_I64(souk_time_now_us())));
    if (rc < 0 || o->error)
        return rc < 0 ? rc : 0;
    int64_t active = souk_rec_active_version(db);
    if (active < 0)
        return (int)active;
    if (o->activate || active == 0) {
        souk_err e =
            souk_rec_activate_tx(db, o->r->version, o->actor, active ? "activated after training" : "the first model");
        if (e)
            return e == SOUK_E_UNAVAILABLE ? SOUK_DB_SOFT : SOUK_DB_HARD;
    }
    return 0;
}

int souk_rec_train_run(souk_store *db, const souk_rec_train_opts *o, int64_t *version, char *err, size_t errlen)
{
    *version = 0;
    run r = {.o = o};
    souk_rec_als_params_default(&r.als);
    /* the platform's defaults, chosen on a validation window of Online Retail before its test window
     * (docs/internals/recommend.md): log-scaled confidence with a low alpha and strong regularisation;
     * the paper's alpha 40 on raw counts reached 1.8x popularity there, these 2.9x */
    r.als.log_scale = true;
    r.als.alpha = SOUK_REC_DEFAULT_ALPHA;
    r.als.lambda = SOUK_REC_DEFAULT_LAMBDA;
    if (o->factors)
        r.als.factors = o->factors;
    if (o->iterations)
        r.als.iterations = o->iterations;
    if (o->alpha > 0)
        r.als.alpha = o->alpha;
    if (o->lambda > 0)
        r.als.lambda = o->lambda;
    r.als.threads = o->threads;
    r.to_us = souk_time_now_us();
    r.from_us = r.to_us - (int64_t)(o->window_days ? o->window_days : SOUK_REC_WINDOW_DAYS) * 86400 * 1000000;
    if (souk_store_tx(db, record_start, &r) < 0) {
        snprintf(err, errlen, "cannot record the training run: %s", souk_store_errmsg(db));
        return -1;
    }
    *version = r.version;
    int64_t t0 = souk_time_mono_us();
    outcome out = {.r = &r, .activate = o->activate, .actor = o->actor ? o->actor : "system"};
    char why[256] = "";
    json_t *metrics = NULL;
    souk_rec_data d = {0};
    souk_rec_model *m = NULL;
    unsigned char *blob = NULL;
    if (read_window(db, &r, why, sizeof why) == 0) {
        if (r.n == 0)
            snprintf(why, sizeof why, "no interactions in the data window: send behaviour events first");
        else {
            metrics = measure(&r, 10);
            r.als.progress = o->progress;
            r.als.progress_ctx = o->progress_ctx;
            int rc = souk_rec_data_build(&d, r.in, r.n);
            if (rc == 0)
                rc = souk_rec_als_train(&d, &r.als, &m);
            if (rc == 0)
                rc = souk_rec_model_save(m, &blob, &out.blob_len);
            if (rc < 0)
                snprintf(why, sizeof why, "training failed: %s", souk_rec_strerror(rc));
        }
    }
    char *metrics_text = metrics ? json_dumps(metrics, JSON_COMPACT) : NULL;
    json_decref(metrics);
    if (*why)
        out.error = why;
    else {
        out.metrics = metrics_text;
        out.blob = blob;
        out.users = (int64_t)souk_rec_model_users(m);
        out.items = (int64_t)souk_rec_model_items(m);
        out.loss = souk_rec_model_loss(m);
    }
    out.duration_ms = (souk_time_mono_us() - t0) / 1000;
    int rc = souk_store_tx(db, record_end, &out);
    free(metrics_text);
    free(blob);
    souk_rec_model_free(m);
    souk_rec_data_release(&d);
    free(r.in);
    if (rc < 0) {
        snprintf(err, errlen, "cannot record the outcome of version %lld: %s", (long long)r.version,
                 souk_store_errmsg(db));
        return -1;
    }
    if (*why) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    return 0;
}

/* After each ALS iteration of a training job: keeps the job's lease (a run
 * may outlast it); stops the run when another worker has taken the job. */
static int job_keep_alive(void *ctx, unsigned iteration, unsigned total, double loss)
{
    (void)iteration, (void)total, (void)loss;
    return souk_job_keep_alive(ctx) == SOUK_JOB_LEASE_LOST ? -1 : 0;
}

static int train_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    souk_rec_train_opts o;
    const char *bad = souk_rec_train_opts_from_json(json_object_get(payload, "params"), &o);
    if (bad) {
        snprintf(err, errlen, "%s", bad);
        return -1;
    }
    o.threads = 1; /* beside a serving process: leave it a core */
    o.actor = "job";
    o.progress = job_keep_alive;
    o.progress_ctx = db;
    /* a store without behaviour events yet: nothing to learn, and no failed version every night */
    int64_t since =
        souk_time_now_us() - (int64_t)(o.window_days ? o.window_days : SOUK_REC_WINDOW_DAYS) * 86400 * 1000000;
    int any = souk_store_one(db, "SELECT 1 FROM recommend_interactions WHERE at >= $1 LIMIT 1",
                             SOUK_ARGS(SOUK_I64(since)), NULL);
    if (any == SOUK_DB_DONE)
        return 0;
    int64_t version;
    int rc = souk_rec_train_run(db, &o, &version, err, errlen);
    if (rc == 0)
        souk_log(SOUK_LOG_INFO, NULL, NULL, json_pack("{s:I}", "version", (json_int_t)version),
                 "recommendation model trained");
    /* a run without data is done, not worth retrying: its version says why */
    return rc == 0 || version ? 0 : -1;
}

void souk_rec_register_jobs(void)
{
    souk_job_register("recommend.train", train_job, 3);
    souk_job_schedule("recommend.train", "30 3 * * *");
}

souk_err souk_rec_train_enqueue_tx(souk_store *db, const json_t *params, souk_arena *a, souk_problems *pr)
{
    souk_rec_train_opts o;
    const char *bad = souk_rec_train_opts_from_json(params, &o);
    if (bad) {
        souk_problems_add(pr, a, "params", "%s", bad);
        return SOUK_E_VALIDATION;
    }
    json_t *payload = json_pack("{s:O?}", "params", params);
    char dedupe[64];
    snprintf(dedupe, sizeof dedupe, "recommend.train+%lld", (long long)souk_time_now_us());
    return souk_store_dberr(souk_job_enqueue_tx(db, "recommend.train", payload, 0, dedupe));
}
