/*
 * run.c — one job, start to end: claim it, run its function outside any
 * transaction with the worker's connection, record the outcome at the time
 * the function ended.
 */
#include "jobs/internal.h"

#include <stdio.h>

#include "core/log.h"
#include "core/time.h"
#include "core/banned.h"

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
            rc = k.fn(db, payload, err, sizeof err);
            err[sizeof err - 1] = '\0';
            /* an interruption counts as one only when the workers are really stopping */
            if (rc != 0 && (rc != SOUK_JOB_INTERRUPTED || !souk_jobs_stopping()))
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
    return r < 0 ? r : 1;
}
