/*
 * internal.h — what the files of src/jobs share with each other and with
 * their unit test (tests/unit/test_jobs.c). Not for other contexts: they use
 * jobs/jobs.h.
 */
#ifndef SOUK_JOBS_INTERNAL_H
#define SOUK_JOBS_INTERNAL_H

#include "jobs/jobs.h"

/* ---- registry (registry.c) ---- */

/* One registered kind, as the registry keeps it. */
typedef struct souk__job_kind {
    char kind[SOUK_JOB_KIND_MAX + 1];
    souk_job_fn fn;
    souk_job_tx_fn tx_fn; /* runs inside the claim's transaction */
    int max_attempts;
    int64_t retry_us;
    souk_job_outcome_fn on_outcome;
} souk__job_kind;

/* One schedule, as the registry keeps it. */
typedef struct souk__job_schedule {
    char kind[SOUK_JOB_KIND_MAX + 1];
    char cron[129];
    souk_cron parsed;
} souk__job_schedule;

/* True when K is a valid kind: 1..64 bytes of [a-z0-9_.-], starting with a letter. */
bool souk__jobs_kind_ok(const char *k);

/* Copies the registration of KIND into *OUT; false when KIND is not
 * registered in this process (*OUT untouched). */
bool souk__jobs_kind_get(const char *kind, souk__job_kind *out);

/* Copies the schedules into OUT (room for SOUK_JOB_KINDS_MAX); returns how many. */
int souk__jobs_schedules(souk__job_schedule *out);

/* Forgets every registration and schedule (only while stopped). */
void souk__jobs_reset(void);

/* ---- claiming, outcomes, one run (claim.c, finish.c, run.c) ---- */

/* A claimed job (malloc'd strings; souk__job_release frees them). */
typedef struct souk__job {
    int64_t id;
    int64_t attempts; /* including the one just claimed */
    int64_t max_attempts;
    char *kind, *payload;
    char token[96];    /* locked_by written by the claim */
    char trace_id[33]; /* the W3C trace id of whoever queued it, or "" */
} souk__job;

void souk__job_release(souk__job *j);

/* Claims the next job at time NOW for worker TOKEN (a short write
 * transaction): first a running job whose lease ran out (its worker died),
 * else the oldest due queued job. state → running, attempts + 1,
 * locked_by = TOKEN, locked_until = NOW + lease. A reclaimed job that has
 * already used all its attempts goes to dead instead ("lease expired ...")
 * and the claim looks again. 1 = claimed into J, 2 = a kind registered
 * with souk_job_register_tx was claimed and run in the same transaction
 * (its outcome recorded; J released), 0 = nothing due, negative
 * souk_db_status on error. */
int souk__job_claim(souk_store *db, int64_t now, const char *token, souk__job *j);

/* Records the outcome of J at NOW inside the caller's write transaction,
 * only while the job still carries J's claim (same locked_by and attempts):
 * RC 0 → done; SOUK_JOB_INTERRUPTED → queued again, due at NOW, the attempt
 * not counted; else last_error = ERR and queued at NOW + the kind's
 * backoff, or dead when attempts are used up. The kind's outcome hook runs
 * in the same transaction. *OUTCOME (optional) gets "done", "failed",
 * "interrupted" or "dead". Returns 0 (recorded), 1 (the claim was lost:
 * nothing written) or a negative souk_db_status. */
int souk__job_finish_tx(souk_store *db, const souk__job *j, int rc, const char *err, int64_t now, const char **outcome);

/* The same in its own short write transaction, counting
 * souk_job_runs_total and logging failures. */
int souk__job_finish(souk_store *db, const souk__job *j, int rc, const char *err, int64_t now);

/* Hands O to the outcome hook of KIND (when it has one), with PAYLOAD (the
 * job's JSON text) parsed; inside the caller's transaction. 0 when there is
 * no hook, else the hook's answer. */
int souk__job_tell(souk_store *db, const char *kind, const char *payload, const souk_job_outcome *o);

/* Claims, runs and records one job at NOW. 1 = a job ran, 0 = nothing due,
 * negative souk_db_status on error. */
int souk__jobs_run_one(souk_store *db, int64_t now, const char *token);

/* The delay before the next attempt after ATTEMPTS attempts failed, for a
 * kind whose second attempt comes RETRY_US after the first (0 = the default
 * SOUK_JOB_RETRY_US): RETRY_US · 2^(ATTEMPTS-1), capped at 1 h, times a
 * random factor in [0.8, 1.2]. */
int64_t souk__job_backoff_us(int64_t retry_us, int64_t attempts);

/* ---- schedules, retention, metrics (schedule.c, metrics.c) ---- */

/* Writes the in-memory schedules to job_schedules (at start). Returns 0 or a
 * negative souk_db_status. */
int souk__jobs_sync_schedules(souk_store *db, int64_t now);

/* One scheduler pass at NOW: enqueues every due scheduled kind once and moves
 * its next_run_at on. Returns the number of jobs enqueued, or a negative
 * souk_db_status. */
int souk__jobs_schedule_tick(souk_store *db, int64_t now);

/* Deletes done jobs finished before BEFORE, in batches of 1000, each its
 * own transaction. Returns the number deleted or a negative souk_db_status. */
int64_t souk__jobs_purge_done(souk_store *db, int64_t before);

/* Refreshes the souk_jobs{state} gauges from the table. 0 or negative status. */
int souk__jobs_update_gauges(souk_store *db);

/* Counts one outcome ("done", "failed", "interrupted", "dead") of KIND in
 * souk_job_runs_total. */
void souk__jobs_count_outcome(const char *kind, const char *outcome);

/* ---- threads (workers.c) ---- */

/* True while the workers or the scheduler run (or are starting): registrations are closed. */
bool souk__jobs_running(void);

#endif
