/*
 * jobs.h — the durable job queue: enqueue (optionally delayed, optionally
 * deduplicated), claim with a lease, run on worker threads, retry with
 * exponential backoff and jitter, dead-letter after max_attempts, and cron
 * schedules. Any process's workers may claim any job; a job whose worker
 * died is claimed again when its lease runs out. Design:
 * docs/internals/jobs.md.
 *
 * Files: registry.c (kinds and schedules), enqueue.c, claim.c (the one
 * per-dialect statement), finish.c (outcomes, backoff), run.c (one job),
 * schedule.c (cron ticks, retention), metrics.c, workers.c (the threads, on
 * core/worker.h), cron.c, api.c; internal.h is the module's shared header.
 *
 * Storage: jobs and job_schedules of migration 0003. Times are µs since the
 * Unix epoch (core/time.h); public ids are "job_…" (core/id.h).
 *
 * Job states: queued → running → done
 *                        ↓ (failure, attempts left: back to queued at now + backoff)
 *                        ↓ (failure, no attempts left) → dead ── admin retry → queued
 */
#ifndef SOUK_JOBS_H
#define SOUK_JOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"

/* the handler types of http/http.h, without pulling the HTTP layer into every user of jobs */
typedef struct souk_req souk_req;
typedef struct souk_res souk_res;

#define SOUK_PREFIX_JOB "job"

#define SOUK_JOB_KIND_MAX 64             /* bytes of a kind: [a-z0-9_.-], starts with a letter */
#define SOUK_JOB_PAYLOAD_MAX (64 * 1024) /* bytes of the serialized payload */
#define SOUK_JOB_DEDUPE_MAX 200          /* bytes of a dedupe key */
#define SOUK_JOB_ERROR_MAX 1000          /* bytes of last_error kept */
#define SOUK_JOB_KINDS_MAX 64
#define SOUK_JOB_THREADS_MAX 64
#define SOUK_JOB_DEFAULT_MAX_ATTEMPTS 10
#define SOUK_JOB_LEASE_US (INT64_C(300) * 1000000) /* 5 min, the default lease (SOUK_JOB_LEASE_S) */
#define SOUK_JOB_BACKOFF_CAP_US (INT64_C(3600) * 1000000)
#define SOUK_JOB_RETRY_US (INT64_C(2) * 1000000) /* default delay before the second attempt */
#define SOUK_JOB_POLL_MS 500                     /* idle workers look for due jobs at least this often */
#define SOUK_JOB_DONE_RETENTION_US (INT64_C(7) * 24 * 3600 * 1000000) /* done jobs are deleted after */
#define SOUK_JOB_LIST_MAX 200                                         /* largest ?limit= of the admin list */

/* The lease a claim (and each renewal, souk_job_keep_alive) gives a job:
 * SOUK_JOB_LEASE_US unless souk_jobs_set_lease_us changed it. A job must
 * finish, or renew, within it, or another worker runs it again. */
int64_t souk_job_lease_us(void);

/* Sets the lease to US (clamped to 1 s .. 1 day); SOUK_JOB_LEASE_S, for
 * tests that kill a node and want its jobs back soon. Call before the
 * workers start. */
void souk_jobs_set_lease_us(int64_t us);

/* Registers the test-only kind "test.hold" when SOUK_TEST_JOBS=1 (and
 * warns that it did): payload {"ms": 1..600000, "then_ms": 1..600000}; its
 * first attempt holds its worker MS long, later ones THEN_MS (default MS),
 * renewing the lease, then it succeeds. Counted per process in
 * souk_job_test_holds_total{phase="started"|"completed"}, so tests can see
 * which node runs it and that it ran to completion once (the cluster
 * test's SIGKILL case). Call before souk_jobs_start. */
void souk_jobs_register_test_kinds(void);

/* What a job function returns when it gave up because the workers are
 * stopping (souk_jobs_stopping()): the job goes back to queued, due at once,
 * and the attempt is not counted. Returned while the workers are not
 * stopping, it counts as a failure. */
#define SOUK_JOB_INTERRUPTED 1

/* What a job function returns when it did not try at all because what it
 * needs is known to be down (an open circuit breaker, core/breaker.h): the
 * job goes back to queued, due after the delay last given to
 * souk_job_defer on this thread (SOUK_JOB_DEFER_US when none), the attempt
 * is not counted — an outage longer than the retries never makes the job
 * dead — and the outcome hook sees it as interrupted (nothing attempted). */
#define SOUK_JOB_DEFERRED 3
#define SOUK_JOB_DEFER_US (INT64_C(5) * 1000000)

/* From inside a job function about to return SOUK_JOB_DEFERRED: run it
 * again after DELAY_US (clamped to 1 s .. SOUK_JOB_BACKOFF_CAP_US). */
void souk_job_defer(int64_t delay_us);

/* What souk_job_keep_alive returns when the running job is no longer this
 * worker's (its lease ran out and another worker claimed it). */
#define SOUK_JOB_LEASE_LOST 2

/* From inside a job function (souk_job_fn, on its worker thread): keeps the
 * job's lease. When more than a quarter of SOUK_JOB_LEASE_US has passed
 * since the claim or the last renewal, sets the job's lease to now +
 * SOUK_JOB_LEASE_US in a short write transaction of its own on DB (the
 * worker's connection, outside any transaction); otherwise does nothing.
 * A job that may run longer than its lease (an import, a training run)
 * calls it as it goes, e.g. with each progress report. Returns 0 (the job
 * is still this worker's), SOUK_JOB_LEASE_LOST (another worker has it: stop
 * at once, write nothing more, and return -1 with a reason), or a negative
 * souk_db_status (the renewal could not be written: carry on, it is asked
 * again at the next call). Outside a job function: 0, and nothing is done. */
int souk_job_keep_alive(souk_store *db);

/* From inside a job function: which attempt this is (1 for the first; a
 * job reclaimed after its worker died counts on). 0 outside a job. */
int64_t souk_job_attempt(void);

/* A job function, run on a worker thread with that worker's connection DB,
 * outside any transaction (it may run its own souk_store_tx). PAYLOAD is
 * borrowed. Returns 0 = done, -1 = failed: write a reason into ERR (ERRLEN
 * bytes, NUL-terminated; kept as last_error) and the job is retried after a
 * backoff, or dead once max_attempts attempts were made; or
 * SOUK_JOB_INTERRUPTED (with a reason in ERR) when it stopped for a
 * shutdown. A job may run more than once (a worker that dies mid-job, a
 * lease that runs out), so job functions must be idempotent. */
typedef int (*souk_job_fn)(souk_store *db, const json_t *payload, char *err, size_t errlen);

/* Registers FN for KIND with MAX_ATTEMPTS (≤ 0 = SOUK_JOB_DEFAULT_MAX_ATTEMPTS,
 * at most 100). Call before souk_jobs_start. Returns 0, or -1 when the workers
 * run, KIND is invalid or already registered, FN is NULL, or the table is full.
 * A claimed job of a kind no handler is registered for fails ("no handler
 * registered"), so every process that runs workers must register every kind. */
int souk_job_register(const char *kind, souk_job_fn fn, int max_attempts);

/* A job function that runs inside the worker's write transaction: its
 * writes commit together with the job's completion, so a job that succeeded
 * never runs again, and a failed attempt leaves nothing behind (it is rolled
 * back to a savepoint, then recorded like any failure). DB is in that
 * transaction: the function must not call souk_store_tx, must not wait on
 * the network, and should be quick — it holds the write lock. */
typedef int (*souk_job_tx_fn)(souk_store *db, const json_t *payload, char *err, size_t errlen);

/* As souk_job_register, for a function that runs inside the claim's
 * transaction: one write transaction per job instead of three (claim, the
 * function's own, outcome). For short database-only work such as rendering
 * an e-mail into the outbox. */
int souk_job_register_tx(const char *kind, souk_job_tx_fn fn, int max_attempts);

/* An outcome of one job as it is recorded, for the kind's outcome hook. */
typedef struct souk_job_outcome {
    int64_t job_id;
    const char *state; /* "done"; "queued": failed or interrupted, runs again at RUN_AT; "dead" */
    int64_t attempts;  /* attempts counted so far (an interrupted one is not) */
    bool interrupted;  /* put back by SOUK_JOB_INTERRUPTED: nothing was attempted */
    int64_t run_at;    /* "queued": when it runs again */
    int64_t at;        /* when the outcome is recorded (µs) */
    const char *error; /* the reason, NULL when done */
} souk_job_outcome;

/* Called inside the write transaction that records each outcome of a job of
 * its kind — done, failed (queued again), interrupted, dead (also a job
 * sent to dead because its lease ran out with no attempts left) — so a
 * context's own record of the work (e.g. mail_outbox) changes together
 * with the job's row. PAYLOAD and O are borrowed. Returns 0, or a negative
 * souk_db_status: then the outcome is not recorded either (rolled back).
 * Database work only, and quick: it holds the write lock. */
typedef int (*souk_job_outcome_fn)(souk_store *db, const json_t *payload, const souk_job_outcome *o);

/* A kind with every option, for souk_job_register_kind. */
typedef struct souk_job_kind {
    const char *kind;
    souk_job_fn fn; /* exactly one of FN and TX_FN */
    souk_job_tx_fn tx_fn;
    int max_attempts;               /* ≤ 0 = SOUK_JOB_DEFAULT_MAX_ATTEMPTS, at most 100 */
    int64_t retry_us;               /* delay before the second attempt, doubling after each further failure
                                     * up to SOUK_JOB_BACKOFF_CAP_US, ±20 % jitter; 0 = SOUK_JOB_RETRY_US */
    souk_job_outcome_fn on_outcome; /* optional */
} souk_job_kind;

/* Registers K (copied) as souk_job_register does, with its own backoff and
 * outcome hook. Returns 0, or -1 when the workers run, the kind is invalid
 * or taken, not exactly one function is given, retry_us is negative, or
 * the table is full. */
int souk_job_register_kind(const souk_job_kind *k);

/* Enqueues a job inside the caller's open write transaction (souk_store_tx).
 * PAYLOAD: a JSON object or NULL (= {}), always stolen; ≤ 64 KiB serialized.
 * RUN_AT_US: not before this time (0 = now). DEDUPE_KEY (NULL = none, ≤ 200
 * bytes): when a job with the same key is queued or running, nothing is
 * written and 1 is returned; once that job is done or dead the key is free.
 * max_attempts comes from the kind's registration in this process (the
 * default when it is not registered here).
 * Returns 0 (queued), 1 (deduplicated), or a negative souk_db_status; invalid
 * arguments are the caller's bug: logged, SOUK_DB_HARD. Workers notice the
 * job within SOUK_JOB_POLL_MS, or at once after souk_jobs_kick(). */
int souk_job_enqueue_tx(souk_store *db, const char *kind, json_t *payload, int64_t run_at_us, const char *dedupe_key);

/* Schedules KIND (which should be registered) by CRON, a 5-field expression
 * "min hour dom mon dow" in UTC (see souk_cron_parse). Recorded in memory
 * now and in job_schedules when the workers start (a changed expression
 * replaces the stored one and its next run). The scheduler of every process
 * running workers enqueues KIND once per due time — the row's next_run_at is
 * moved on with a compare-and-set and the job carries the dedupe key
 * "KIND@<due time>", so racing processes enqueue it once. Due times missed
 * while no scheduler ran are folded into one run. Call before
 * souk_jobs_start. Returns 0, or -1 for a bad expression or kind, a full
 * table, or running workers. */
int souk_job_schedule(const char *kind, const char *cron);

/* Starts THREADS (1..64) worker threads and one scheduler thread (two
 * core/worker.h groups), each with its own connection to DB_DSN, and writes
 * the schedules. The scheduler
 * also refreshes the souk_jobs{state} gauges every second and deletes done
 * jobs older than 7 days once an hour. Returns 0, or -1 when already
 * running, THREADS is out of range or the database cannot be opened. */
int souk_jobs_start(const char *db_dsn, int threads);

/* Graceful stop: no new claims; jobs being run finish and record their
 * outcome; threads are joined. No-op when not running. */
void souk_jobs_stop(void);

/* Wakes idle workers (after committing a transaction that enqueued jobs). */
void souk_jobs_kick(void);

/* True while souk_jobs_stop is stopping the workers: a long job function
 * (a network transfer) should give up and return SOUK_JOB_INTERRUPTED.
 * Lock-free, callable from any thread. */
bool souk_jobs_stopping(void);

/* GET /api/v1/admin/jobs (permission "jobs:manage"): jobs newest first, with
 * query state=queued|running|done|dead, kind (exact), limit 1..200 (default
 * 50), cursor (keyset on id). Unknown, repeated or bad parameters → 422 with
 * details. Response {"data":[job...],"next_cursor":string|null} with job =
 * {"id":"job_…","kind","state","attempts","max_attempts","payload" (object),
 *  "run_at","last_error" (string|null),"created_at","updated_at",
 *  "finished_at" (RFC 3339 or null)}. */
int souk_jobs_api_list(souk_req *req, souk_res *res);

/* POST /api/v1/admin/jobs/{id}/retry (permission "jobs:manage"): a dead job
 * goes back to queued with attempts 0 and run_at now (last_error is kept
 * until the next attempt). 404 for an unknown id, 409 CONFLICT when the job
 * is not dead (or another job with its dedupe key is queued). Answers 200
 * with the job object as in the list. */
int souk_jobs_api_retry(souk_req *req, souk_res *res);

/* ---- cron (cron.c) ---- */

typedef struct souk_cron {
    uint64_t minutes;           /* bit m: minute 0..59 */
    uint32_t hours;             /* bit h: 0..23 */
    uint32_t mdays;             /* bit d: 1..31 */
    uint16_t months;            /* bit m: 1..12 */
    uint8_t wdays;              /* bit w: 0..6, 0 = Sunday (7 is accepted as Sunday) */
    uint8_t mday_any, wday_any; /* field was "*" (or "*" with a step) */
} souk_cron;

/* Parses EXPR: five fields separated by blanks — minute (0-59), hour (0-23),
 * day of month (1-31), month (1-12), day of week (0-7, 0 and 7 = Sunday) —
 * each "*", a number, a range "a-b", a step "*" "/n", "a-b/n" or "a/n" (a to
 * the field's maximum), or a comma-separated list of those; or one of
 * @yearly @annually @monthly @weekly @daily @midnight @hourly. As in
 * Vixie cron, when both day fields are restricted a day matching either
 * matches. Names (JAN, MON) are not accepted. Returns 0, or -1 with a static
 * reason in *WHY (optional). */
int souk_cron_parse(const char *expr, souk_cron *out, const char **why);

/* The first minute strictly after AFTER_US (UTC) that C matches, in µs
 * (always a whole minute), or -1 when none within the next 5 years
 * (e.g. "0 0 30 2 *"). */
int64_t souk_cron_next(const souk_cron *c, int64_t after_us);

#endif
