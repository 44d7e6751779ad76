/*
 * run.c — one job, start to end: claim it, run its function outside any
 * transaction with the worker's connection (renewing its lease when the
 * function asks: souk_job_keep_alive), record the outcome at the time the
 * function ended.
 */
#include "jobs/internal.h"

#include <stdio.h>

#include "core/log.h"
#include "core/time.h"
#include "core/trace.h"
#include "core/banned.h"

/* The job this thread is running (between claim and outcome), for
 * souk_job_keep_alive, and when its lease was last set. */
static _Thread_local struct {
    const souk__job *job;
    int64_t leased_at;
} running;

int64_t souk_job_attempt(void)
{
    return running.job ? running.job->attempts : 0;
}

int souk_job_keep_alive(souk_store *db)
{
    const souk__job *j = running.job;
    int64_t now = souk_time_now_us();
    if (!j || now - running.leased_at < souk_job_lease_us() / 4)
        return 0;
    int64_t n = souk_store_update_tx(db,
                                     "UPDATE jobs SET locked_until = $4, updated_at = $5 "
                                     "WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempts = $3",
                                     SOUK_ARGS(SOUK_I64(j->id), SOUK_TEXT(j->token), SOUK_I64(j->attempts),
                                               SOUK_I64(now + souk_job_lease_us()), SOUK_I64(now)));
    if (n < 0)
        return (int)n;
    if (n == 0)
        return SOUK_JOB_LEASE_LOST;
    running.leased_at = now;
    return 0;
}

int souk__jobs_run_one(souk_store *db, int64_t now, const char *token)
{
    souk__job j;
    int r = souk__job_claim(db, now, token, &j);
    if (r == 2)
        return 1; /* ran inside the claim */
    if (r != 1)
        return r;
    char err[SOUK_JOB_ERROR_MAX + 1] = "";
    souk__job_kind k;
    int rc = -1;
    if (!souk__jobs_kind_get(j.kind, &k) || !k.fn) {
        snprintf(err, sizeof err, "no handler registered for kind '%s'", j.kind);
    } else {
        json_t *payload = json_loads(j.payload, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(payload)) {
            snprintf(err, sizeof err, "payload is not a JSON object");
        } else {
            souk_trace trace; /* the trace that queued it, continued; else one of its own */
            souk_trace_resume(&trace, j.trace_id);
            souk_trace_set_current(&trace);
            running.job = &j;
            running.leased_at = now; /* the claim set locked_until = NOW + the lease */
            rc = k.fn(db, payload, err, sizeof err);
            running.job = NULL;
            err[sizeof err - 1] = '\0';
            /* an interruption counts as one only when the workers are really stopping */
            if (rc != 0 && rc != SOUK_JOB_DEFERRED && (rc != SOUK_JOB_INTERRUPTED || !souk_jobs_stopping()))
                rc = -1;
        }
        json_decref(payload);
        souk_store_idle(db); /* the job must not leave a snapshot open */
    }
    /* the outcome is recorded at the time the job ended */
    int64_t end = souk_time_now_us();
    r = souk__job_finish(db, &j, rc, err, end > now ? end : now);
    if (r < 0)
        souk_log_error("jobs: cannot record the outcome of job %lld: %s (it will run again after its lease)",
                       (long long)j.id, souk_store_errmsg(db));
    souk__job_release(&j);
    souk_trace_set_current(NULL);
    return r < 0 ? r : 1;
}
