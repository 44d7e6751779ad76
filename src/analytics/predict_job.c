/*
 * predict_job.c — the analytics.predict job (hourly; it recomputes once a
 * day has closed since the stored run), its enqueueing when a request finds
 * the stored run stale, the run's state and the reorder settings.
 */
#include "analytics/analytics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

int souk_analytics_predict_state(souk_store *db, int64_t *computed_at, int32_t *last_day)
{
    int64_t at = 0, day = 0;
    int r = souk_store_one(db, "SELECT computed_at, last_day FROM analytics_prediction_runs WHERE id = 1", NULL,
                           SOUK_COLS(SOUK_COL_I64(&at), SOUK_COL_I64(&day)));
    if (r < 0)
        return r;
    *computed_at = at;
    *last_day = (int32_t)day;
    return r == SOUK_DB_ROW ? 1 : 0;
}

static int predict_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    bool force = json_is_true(json_object_get(payload, "force"));
    const souk_analytics_facts *held = souk_analytics_acquire(); /* this process serves facts: read those */
    souk_analytics_facts *own = NULL;
    const souk_analytics_facts *f = held;
    if (!f) { /* a worker process: build its own, as the CLI does */
        char tz[SOUK_ANALYTICS_TZ_NAME_MAX];
        own = malloc(sizeof *own);
        if (!own || souk_analytics_setting_timezone(db, tz) < 0 || souk_analytics_facts_init(own, tz) < 0) {
            free(own);
            snprintf(err, errlen, "cannot set up the analytics facts");
            return -1;
        }
        souk_store *replica = NULL; /* SOUK_DB_REPLICA: the full read goes there when it is fit to */
        bool from_replica;
        int r = souk_analytics_load_replica(db, &replica, "analytics_predict", own, NULL, NULL, &from_replica);
        souk_store_close(replica);
        if (r < 0) {
            snprintf(err, errlen, "cannot read the facts: %s", souk_store_errmsg(db));
            souk_analytics_facts_release(own);
            free(own);
            return -1;
        }
        f = own;
    }
    int64_t at;
    int32_t last;
    int32_t today = souk_analytics_tz_day(&f->tz, souk_time_now_us());
    int st = souk_analytics_predict_state(db, &at, &last);
    int rc = 0;
    if (force || st != 1 || souk_analytics_tz_day(&f->tz, at) < today) { /* once a day has closed since */
        souk_analytics_predict_stats stats;
        rc = souk_analytics_predict_run(db, f, NULL, NULL, &stats);
        if (rc < 0)
            snprintf(err, errlen, "cannot compute the predictions: %s", souk_store_errmsg(db));
        else
            souk_log(SOUK_LOG_INFO, NULL, NULL,
                     json_pack("{s:i,s:i,s:i,s:f}", "series", stats.series, "stock_series", stats.stock_series,
                               "anomalies", stats.anomalies, "ms", stats.ms),
                     "analytics predictions computed");
    }
    if (held)
        souk_analytics_release(held);
    if (own) {
        souk_analytics_facts_release(own);
        free(own);
    }
    return rc < 0 ? -1 : 0;
}

void souk_analytics_register_jobs(void)
{
    souk_job_register(SOUK_ANALYTICS_PREDICT_JOB, predict_job, 3);
    souk_job_schedule(SOUK_ANALYTICS_PREDICT_JOB, "40 * * * *");
}

int souk_analytics_predict_enqueue_tx(souk_store *db, bool force)
{
    return souk_job_enqueue_tx(db, SOUK_ANALYTICS_PREDICT_JOB, force ? json_pack("{s:b}", "force", 1) : NULL, 0,
                               SOUK_ANALYTICS_PREDICT_JOB);
}

/* ---- reorder settings ---- */

static int setting(souk_store *db, const char *key, char *buf, size_t len)
{
    char v[64] = "";
    int r = souk_store_one(db, "SELECT value FROM analytics_settings WHERE key = $1", SOUK_ARGS(SOUK_TEXT(key)),
                           SOUK_COLS(SOUK_COL_STR(v)));
    snprintf(buf, len, "%s", v);
    return r < 0 ? r : r == SOUK_DB_ROW;
}

int souk_analytics_reorder_settings(souk_store *db, int *lead_time, double *service, int *review)
{
    char v[64];
    *lead_time = 7;
    *service = 0.95;
    *review = 0;
    int r;
    if ((r = setting(db, "reorder.lead_time_days", v, sizeof v)) < 0)
        return r;
    if (r == 1)
        *lead_time = atoi(v);
    if ((r = setting(db, "reorder.service_level", v, sizeof v)) < 0)
        return r;
    if (r == 1)
        *service = strtod(v, NULL);
    if ((r = setting(db, "reorder.review_days", v, sizeof v)) < 0)
        return r;
    if (r == 1)
        *review = atoi(v);
    if (*lead_time < 1 || *lead_time > 90)
        *lead_time = 7;
    if (!(*service >= 0.5 && *service <= 0.999))
        *service = 0.95;
    if (*review < 0 || *review > 30)
        *review = 0;
    return 0;
}

typedef struct set_ctx {
    char lead[16], service[16], review[16];
} set_ctx;

static int set_tx(souk_store *db, void *arg)
{
    set_ctx *c = arg;
    const char *keys[] = {"reorder.lead_time_days", "reorder.service_level", "reorder.review_days"};
    const char *vals[] = {c->lead, c->service, c->review};
    for (int i = 0; i < 3; i++) {
        int r =
            souk_store_exec(db,
                            "INSERT INTO analytics_settings (key, value, updated_at) VALUES ($1, $2, $3) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                            SOUK_ARGS(SOUK_TEXT(keys[i]), SOUK_TEXT(vals[i]), SOUK_I64(souk_time_now_us())));
        if (r < 0)
            return r;
    }
    return 0;
}

int souk_analytics_set_reorder_settings(souk_store *db, int lead_time, double service, int review)
{
    if (lead_time < 1 || lead_time > 90 || !(service >= 0.5 && service <= 0.999) || review < 0 || review > 30)
        return -1;
    set_ctx c;
    snprintf(c.lead, sizeof c.lead, "%d", lead_time);
    snprintf(c.service, sizeof c.service, "%.4g", service);
    snprintf(c.review, sizeof c.review, "%d", review);
    int r = souk_store_tx(db, set_tx, &c);
    return r < 0 ? r : 0;
}
