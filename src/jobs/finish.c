/*
 * finish.c — recording what an attempt came to: done, failed (queued again
 * after a backoff), interrupted (put back, not counted) or dead, and the
 * kind's outcome hook in the same transaction.
 *
 * The outcome is written only while the row still carries the claim
 * (locked_by and attempts unchanged), so a worker that outlived its lease
 * cannot overwrite the outcome of the worker that took the job over.
 */
#include "jobs/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "core/banned.h"

int64_t souk__job_backoff_us(int64_t retry_us, int64_t attempts)
{
    int64_t d = (retry_us > 0 ? retry_us : SOUK_JOB_RETRY_US) / 2; /* ·2 for the first failure */
    for (int64_t i = 0; i < attempts && d < SOUK_JOB_BACKOFF_CAP_US; i++)
        d *= 2;
    if (d > SOUK_JOB_BACKOFF_CAP_US)
        d = SOUK_JOB_BACKOFF_CAP_US;
    /* ±20 % jitter, so jobs that failed together do not retry together */
    uint32_t r = randombytes_uniform(40001); /* 0..40000 → factor 0.8..1.2 */
    return d / 100000 * (80000 + (int64_t)r) + (d % 100000) * (80000 + (int64_t)r) / 100000;
}

/* the delay souk_job_defer asked for on this thread; 0 = the default */
static _Thread_local int64_t defer_us;

void souk_job_defer(int64_t delay_us)
{
    defer_us = delay_us < 1000000 ? 1000000 : delay_us > SOUK_JOB_BACKOFF_CAP_US ? SOUK_JOB_BACKOFF_CAP_US : delay_us;
}

int souk__job_tell(souk_store *db, const char *kind, const char *payload, const souk_job_outcome *o)
{
    souk__job_kind k;
    if (!souk__jobs_kind_get(kind, &k) || !k.on_outcome)
        return 0;
    json_t *p = json_loads(payload ? payload : "{}", JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        p = json_object();
    }
    int r = p ? k.on_outcome(db, p, o) : SOUK_DB_HARD;
    json_decref(p);
    return r;
}

/* Copies ERR as last_error keeps it into OUT: a placeholder for none, cut
 * to SOUK_JOB_ERROR_MAX bytes at a character boundary. Returns OUT. */
static const char *error_text(const char *err, char out[SOUK_JOB_ERROR_MAX + 1])
{
    const char *e = err && *err ? err : "failed (no reason given)";
    size_t el = strlen(e);
    if (el > SOUK_JOB_ERROR_MAX) {
        el = SOUK_JOB_ERROR_MAX;
        while (el > 0 && ((unsigned char)e[el] & 0xC0) == 0x80)
            el--;
    }
    memcpy(out, e, el);
    out[el] = '\0';
    return out;
}

int souk__job_finish_tx(souk_store *db, const souk__job *j, int rc, const char *err, int64_t now, const char **outcome)
{
    souk__job_kind k = {.retry_us = SOUK_JOB_RETRY_US};
    souk__jobs_kind_get(j->kind, &k);
    souk_job_outcome o = {.job_id = j->id, .attempts = j->attempts, .at = now};
    char stored[SOUK_JOB_ERROR_MAX + 1];
    const char *name;
    int64_t changed;
    if (rc == 0) {
        name = o.state = "done";
        changed =
            souk_store_update(db,
                              "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, "
                              "updated_at = $4, finished_at = $4 "
                              "WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempts = $3",
                              SOUK_ARGS(SOUK_I64(j->id), SOUK_TEXT(j->token), SOUK_I64(j->attempts), SOUK_I64(now)));
    } else if (rc == SOUK_JOB_INTERRUPTED || rc == SOUK_JOB_DEFERRED) {
        name = rc == SOUK_JOB_DEFERRED ? "deferred" : "interrupted";
        o.state = "queued", o.interrupted = true, o.attempts = j->attempts - 1, o.run_at = now;
        if (rc == SOUK_JOB_DEFERRED)
            o.run_at = now + (defer_us > 0 ? defer_us : SOUK_JOB_DEFER_US);
        defer_us = 0;
        o.error = error_text(err, stored);
        changed = souk_store_update(db,
                                    "UPDATE jobs SET state = 'queued', attempts = attempts - 1, last_error = $5, "
                                    "run_at = $6, locked_by = NULL, locked_until = NULL, updated_at = $4 "
                                    "WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempts = $3",
                                    SOUK_ARGS(SOUK_I64(j->id), SOUK_TEXT(j->token), SOUK_I64(j->attempts),
                                              SOUK_I64(now), SOUK_TEXT(o.error), SOUK_I64(o.run_at)));
    } else {
        bool dead = j->attempts >= j->max_attempts;
        name = dead ? "dead" : "failed";
        o.state = dead ? "dead" : "queued";
        o.run_at = dead ? now : now + souk__job_backoff_us(k.retry_us, j->attempts);
        o.error = error_text(err, stored);
        changed = souk_store_update(db,
                                    "UPDATE jobs SET state = $5, last_error = $6, run_at = $7, locked_by = NULL, "
                                    "locked_until = NULL, updated_at = $4, finished_at = $8 "
                                    "WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempts = $3",
                                    SOUK_ARGS(SOUK_I64(j->id), SOUK_TEXT(j->token), SOUK_I64(j->attempts),
                                              SOUK_I64(now), SOUK_TEXT(o.state), SOUK_TEXT(o.error), SOUK_I64(o.run_at),
                                              dead ? SOUK_I64(now) : SOUK_NULL));
    }
    if (changed < 0)
        return (int)changed;
    if (changed != 1)
        return 1;
    if (outcome)
        *outcome = name;
    int r = souk__job_tell(db, j->kind, j->payload, &o);
    return r < 0 ? r : 0;
}

typedef struct finish_ctx {
    const souk__job *job;
    int rc;
    const char *err;
    int64_t now;
    const char *outcome;
} finish_ctx;

static int finish_body(souk_store *db, void *vctx)
{
    finish_ctx *cx = vctx;
    return souk__job_finish_tx(db, cx->job, cx->rc, cx->err, cx->now, &cx->outcome);
}

int souk__job_finish(souk_store *db, const souk__job *j, int rc, const char *err, int64_t now)
{
    finish_ctx cx = {j, rc, err, now, NULL};
    int r = souk_store_tx(db, finish_body, &cx);
    if (r == 0) {
        souk__jobs_count_outcome(j->kind, cx.outcome);
        if (rc != 0)
            souk_log_warn("jobs: job %lld (%s) attempt %lld/%lld %s%s: %s", (long long)j->id, j->kind,
                          (long long)j->attempts, (long long)j->max_attempts,
                          rc == SOUK_JOB_INTERRUPTED ? "interrupted"
                          : rc == SOUK_JOB_DEFERRED  ? "deferred"
                                                     : "failed",
                          strcmp(cx.outcome, "dead") == 0 ? ", now dead" : "", err && *err ? err : "-");
    } else if (r == 1) {
        souk_log_warn("jobs: job %lld (%s) outcome dropped: its claim was lost (lease expired?)", (long long)j->id,
                      j->kind);
    }
    return r;
}
