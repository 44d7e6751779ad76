/*
 * jobs.c — the job queue: registry, enqueue, claim/finish with leases,
 * backoff, the cron scheduler, queue gauges and the worker threads.
 *
 * Claiming is one short write transaction (souk_store_tx takes the write
 * lock at BEGIN, so two workers can never pick the same row): a running job
 * whose lease (locked_until) has passed is taken first — its worker died or
 * hung — then the oldest due queued job. The claim sets state = running,
 * attempts + 1, locked_by = the worker's token and locked_until = now + 5
 * min. The job function then runs outside any transaction, and the outcome
 * is written only while the row still carries that claim (locked_by and
 * attempts unchanged), so a worker that outlived its lease cannot overwrite
 * the outcome of the worker that took the job over. Counting the attempt at
 * claim time means a job that kills its worker every time still ends up dead
 * instead of being reclaimed forever.
 *
 * Thread model: THREADS workers and one scheduler, each with its own
 * connection, sleeping on one condition variable between polls;
 * souk_jobs_kick() bumps a generation counter and wakes them all.
 */
#include "jobs/jobs.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/id.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "core/banned.h"

#define SCHEDULER_TICK_MS 1000
#define PURGE_EVERY_US (INT64_C(3600) * 1000000)
#define PURGE_BATCH 1000
#define RECLAIM_DEAD_MAX 20 /* lease-expired jobs sent to dead within one claim */

typedef struct kind_entry {
    char kind[SOUK_JOB_KIND_MAX + 1];
    souk_job_fn fn;
    souk_job_tx_fn tx_fn; /* runs inside the claim's transaction (souk_job_register_tx) */
    int max_attempts;
} kind_entry;

typedef struct schedule_entry {
    char kind[SOUK_JOB_KIND_MAX + 1];
    char cron[129];
    souk_cron parsed;
} schedule_entry;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static kind_entry kinds[SOUK_JOB_KINDS_MAX];
static int nkinds;
static schedule_entry schedules[SOUK_JOB_KINDS_MAX];
static int nschedules;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool cv_ready, running, stop;
    uint64_t gen; /* bumped by kick */
    int nthreads;
    pthread_t threads[SOUK_JOB_THREADS_MAX];
    souk_store *dbs[SOUK_JOB_THREADS_MAX];
    int index[SOUK_JOB_THREADS_MAX];
    pthread_t sched;
    souk_store *sched_db;
    bool sched_started;
} J = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- registry ----------------------------------------------------------- */

static int kind_ok(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    if (n == 0 || n > SOUK_JOB_KIND_MAX || k[0] < 'a' || k[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static bool jobs_running(void)
{
    pthread_mutex_lock(&J.mu);
    bool r = J.running;
    pthread_mutex_unlock(&J.mu);
    return r;
}

static int register_kind(const char *kind, souk_job_fn fn, souk_job_tx_fn tx_fn, int max_attempts);

int souk_job_register(const char *kind, souk_job_fn fn, int max_attempts)
{
    return fn ? register_kind(kind, fn, NULL, max_attempts) : -1;
}

int souk_job_register_tx(const char *kind, souk_job_tx_fn fn, int max_attempts)
{
    return fn ? register_kind(kind, NULL, fn, max_attempts) : -1;
}

static int register_kind(const char *kind, souk_job_fn fn, souk_job_tx_fn tx_fn, int max_attempts)
{
    if (!kind_ok(kind) || max_attempts > 100 || jobs_running()) {
        souk_log_error("jobs: cannot register kind %s", kind_ok(kind) ? kind : "(invalid)");
        return -1;
    }
    pthread_mutex_lock(&reg_mu);
    int ret = -1;
    for (int i = 0; i < nkinds; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            goto out;
    if (nkinds == SOUK_JOB_KINDS_MAX)
        goto out;
    kind_entry *e = &kinds[nkinds++];
    memcpy(e->kind, kind, strlen(kind) + 1);
    e->fn = fn;
    e->tx_fn = tx_fn;
    e->max_attempts = max_attempts > 0 ? max_attempts : SOUK_JOB_DEFAULT_MAX_ATTEMPTS;
    ret = 0;
out:
    pthread_mutex_unlock(&reg_mu);
    if (ret < 0)
        souk_log_error("jobs: kind %s already registered or table full", kind);
    return ret;
}

/* FN (or TX_FN) and max_attempts of KIND; false when it is not registered here. */
static bool kind_lookup(const char *kind, souk_job_fn *fn, souk_job_tx_fn *tx_fn, int *max_attempts)
{
    bool found = false;
    pthread_mutex_lock(&reg_mu);
    for (int i = 0; i < nkinds && !found; i++)
        if (strcmp(kinds[i].kind, kind) == 0) {
            if (fn)
                *fn = kinds[i].fn;
            if (tx_fn)
                *tx_fn = kinds[i].tx_fn;
            if (max_attempts)
                *max_attempts = kinds[i].max_attempts;
            found = true;
        }
    pthread_mutex_unlock(&reg_mu);
    return found;
}

int souk_job_schedule(const char *kind, const char *cron)
{
    souk_cron c;
    const char *why = NULL;
    if (!kind_ok(kind) || souk_cron_parse(cron, &c, &why) < 0 || souk_cron_next(&c, souk_time_now_us()) < 0 ||
        strlen(cron) >= sizeof schedules[0].cron || jobs_running()) {
        souk_log_error("jobs: cannot schedule %s by '%s': %s", kind_ok(kind) ? kind : "(invalid kind)",
                       cron ? cron : "", why ? why : "never due, or workers running");
        return -1;
    }
    pthread_mutex_lock(&reg_mu);
    int ret = -1;
    schedule_entry *e = NULL;
    for (int i = 0; i < nschedules; i++)
        if (strcmp(schedules[i].kind, kind) == 0)
            e = &schedules[i]; /* scheduling again replaces the expression */
    if (!e && nschedules < SOUK_JOB_KINDS_MAX)
        e = &schedules[nschedules++];
    if (e) {
        memcpy(e->kind, kind, strlen(kind) + 1);
        memcpy(e->cron, cron, strlen(cron) + 1);
        e->parsed = c;
        ret = 0;
    }
    pthread_mutex_unlock(&reg_mu);
    return ret;
}

void souk__jobs_reset(void)
{
    if (jobs_running())
        return;
    pthread_mutex_lock(&reg_mu);
    nkinds = nschedules = 0;
    pthread_mutex_unlock(&reg_mu);
}

/* ---- metrics ------------------------------------------------------------ */

static void count_outcome(const char *kind, const char *outcome)
{
    char labels[160];
    snprintf(labels, sizeof labels, "kind=\"%s\",outcome=\"%s\"", kind_ok(kind) ? kind : "invalid", outcome);
    souk_metrics_series_add(souk_metrics_series("souk_job_runs_total", labels, SOUK_METRIC_COUNTER,
                                                "Job attempts by kind and outcome (failed = will be retried)."),
                            1);
}

static const char *const states[] = {"queued", "running", "done", "dead"};

int souk__jobs_update_gauges(souk_store *db)
{
    int64_t counts[4] = {0, 0, 0, 0};
    souk_stmt *st = souk_store_stmt(db, "SELECT state, count(*) FROM jobs GROUP BY state");
    if (!st)
        return SOUK_DB_HARD;
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        const char *s = souk_stmt_text(st, 0, NULL);
        for (int i = 0; i < 4; i++)
            if (s && strcmp(s, states[i]) == 0)
                counts[i] = souk_stmt_i64(st, 1);
    }
    if (r < 0)
        return r;
    for (int i = 0; i < 4; i++) {
        char labels[32];
        snprintf(labels, sizeof labels, "state=\"%s\"", states[i]);
        souk_metrics_series_set(souk_metrics_series("souk_jobs", labels, SOUK_METRIC_GAUGE,
                                                    "Jobs by state, as of the scheduler's last tick (1 s)."),
                                counts[i]);
    }
    return 0;
}

/* ---- enqueue ------------------------------------------------------------ */

int souk_job_enqueue_tx(souk_store *db, const char *kind, json_t *payload, int64_t run_at_us, const char *dedupe_key)
{
    const char *why = NULL;
    char *text = NULL;
    if (!payload)
        payload = json_object();
    if (!payload)
        why = "out of memory";
    else if (!kind_ok(kind))
        why = "bad kind";
    else if (!json_is_object(payload))
        why = "payload is not an object";
    else if (dedupe_key && (!*dedupe_key || strlen(dedupe_key) > SOUK_JOB_DEDUPE_MAX))
        why = "bad dedupe key";
    else if (run_at_us < 0)
        why = "negative run_at";
    else if (!(text = json_dumps(payload, JSON_COMPACT | JSON_ENSURE_ASCII)))
        why = "payload does not serialize";
    else if (strlen(text) > SOUK_JOB_PAYLOAD_MAX)
        why = "payload larger than 64 KiB";
    json_decref(payload);
    if (why) {
        souk_log_error("jobs: %s not queued: %s", kind_ok(kind) ? kind : "job", why);
        free(text);
        return SOUK_DB_HARD;
    }
    int r;
    souk_stmt *st;
    if (dedupe_key) {
        /* the same terms as the partial index jobs_dedupe, so it serves the lookup */
        st = souk_store_stmt(db, "SELECT 1 FROM jobs WHERE dedupe_key = $1 AND dedupe_key IS NOT NULL AND "
                                 "state IN ('queued', 'running')");
        if (!st) {
            free(text);
            return SOUK_DB_HARD;
        }
        souk_stmt_bind_text(st, 1, dedupe_key, SIZE_MAX);
        r = souk_stmt_step(st);
        souk_stmt_done(st);
        if (r != SOUK_DB_DONE) {
            free(text);
            return r == SOUK_DB_ROW ? 1 : r;
        }
    }
    int max_attempts = SOUK_JOB_DEFAULT_MAX_ATTEMPTS;
    kind_lookup(kind, NULL, NULL, &max_attempts);
    int64_t now = souk_time_now_us();
    st = souk_store_stmt(db, "INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, dedupe_key, "
                             "created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $7)");
    if (!st) {
        free(text);
        return SOUK_DB_HARD;
    }
    souk_stmt_bind_i64(st, 1, souk_id_next());
    souk_stmt_bind_text(st, 2, kind, SIZE_MAX);
    souk_stmt_bind_text(st, 3, text, SIZE_MAX);
    souk_stmt_bind_i64(st, 4, max_attempts);
    souk_stmt_bind_i64(st, 5, run_at_us ? run_at_us : now);
    if (dedupe_key)
        souk_stmt_bind_text(st, 6, dedupe_key, SIZE_MAX);
    else
        souk_stmt_bind_null(st, 6);
    souk_stmt_bind_i64(st, 7, now);
    r = souk_stmt_exec(st);
    free(text);
    return r < 0 ? r : 0;
}

/* ---- claim and finish --------------------------------------------------- */

void souk__job_release(souk__job *j)
{
    free(j->kind);
    free(j->payload);
    j->kind = j->payload = NULL;
}

typedef struct claim_ctx {
    int64_t now;
    const char *token;
    souk__job *job;
    int ndead;
    char dead_kinds[RECLAIM_DEAD_MAX][SOUK_JOB_KIND_MAX + 1];
    /* a kind registered with souk_job_register_tx ran inside the claim: */
    int rc;
    const char *outcome;
    char err[SOUK_JOB_ERROR_MAX + 1];
} claim_ctx;

static int run_in_claim(souk_store *db, claim_ctx *cx, souk_job_tx_fn fn);

static int claim_fn(souk_store *db, void *vctx)
{
    claim_ctx *cx = vctx;
    souk__job *j = cx->job;
    souk__job_release(j);
    cx->ndead = 0;
    for (;;) {
        bool reclaim = true;
        souk_stmt *st = souk_store_stmt(db, "SELECT id, kind, payload, attempts, max_attempts FROM jobs "
                                            "WHERE state = 'running' AND locked_until < $1 ORDER BY locked_until, id "
                                            "LIMIT 1");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, cx->now);
        int r = souk_stmt_step(st);
        if (r == SOUK_DB_DONE) {
            reclaim = false;
            st = souk_store_stmt(db, "SELECT id, kind, payload, attempts, max_attempts FROM jobs "
                                     "WHERE state = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT 1");
            if (!st)
                return SOUK_DB_HARD;
            souk_stmt_bind_i64(st, 1, cx->now);
            r = souk_stmt_step(st);
        }
        if (r != SOUK_DB_ROW)
            return r; /* DONE (0): nothing due, or an error */
        j->id = souk_stmt_i64(st, 0);
        j->kind = souk_stmt_strdup(st, 1);
        j->payload = souk_stmt_strdup(st, 2);
        j->attempts = souk_stmt_i64(st, 3);
        j->max_attempts = souk_stmt_i64(st, 4);
        souk_stmt_done(st);
        if (!j->kind || !j->payload) {
            souk__job_release(j);
            return SOUK_DB_HARD;
        }
        if (reclaim && j->attempts >= j->max_attempts) {
            if (cx->ndead == RECLAIM_DEAD_MAX) { /* enough for one transaction; the next claim goes on */
                souk__job_release(j);
                return 0;
            }
            st = souk_store_stmt(db, "UPDATE jobs SET state = 'dead', last_error = $2, locked_by = NULL, "
                                     "locked_until = NULL, updated_at = $3, finished_at = $3 WHERE id = $1");
            if (!st)
                return SOUK_DB_HARD;
            char msg[160];
            snprintf(msg, sizeof msg, "lease expired: the worker running attempt %lld did not finish (crashed?)",
                     (long long)j->attempts);
            souk_stmt_bind_i64(st, 1, j->id);
            souk_stmt_bind_text(st, 2, msg, SIZE_MAX);
            souk_stmt_bind_i64(st, 3, cx->now);
            r = souk_stmt_exec(st);
            if (r < 0)
                return r;
            snprintf(cx->dead_kinds[cx->ndead++], sizeof cx->dead_kinds[0], "%s", j->kind);
            souk__job_release(j);
            continue;
        }
        if (reclaim)
            souk_log_warn("jobs: job %lld (%s) reclaimed: its lease expired", (long long)j->id, j->kind);
        j->attempts++;
        snprintf(j->token, sizeof j->token, "%s", cx->token);
        st = souk_store_stmt(db, "UPDATE jobs SET state = 'running', attempts = $2, locked_by = $3, locked_until = $4, "
                                 "updated_at = $5 WHERE id = $1");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, j->id);
        souk_stmt_bind_i64(st, 2, j->attempts);
        souk_stmt_bind_text(st, 3, cx->token, SIZE_MAX);
        souk_stmt_bind_i64(st, 4, cx->now + SOUK_JOB_LEASE_US);
        souk_stmt_bind_i64(st, 5, cx->now);
        r = souk_stmt_exec(st);
        if (r < 0)
            return r;
        souk_job_tx_fn tx_fn = NULL;
        kind_lookup(j->kind, NULL, &tx_fn, NULL);
        return tx_fn ? run_in_claim(db, cx, tx_fn) : 1;
    }
}

int souk__job_claim(souk_store *db, int64_t now, const char *token, souk__job *j)
{
    memset(j, 0, sizeof *j);
    /* a plain read first, so an idle poll never takes the write lock */
    souk_stmt *st = souk_store_stmt(db, "SELECT 1 FROM jobs WHERE (state = 'queued' AND run_at <= $1) OR "
                                        "(state = 'running' AND locked_until < $1) LIMIT 1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, now);
    int r = souk_stmt_step(st);
    souk_stmt_done(st);
    if (r != SOUK_DB_ROW)
        return r;
    claim_ctx cx = {.now = now, .token = token, .job = j};
    r = souk_store_tx(db, claim_fn, &cx);
    if (r >= 0)
        for (int i = 0; i < cx.ndead; i++)
            count_outcome(cx.dead_kinds[i], "dead");
    if (r == 2) {
        count_outcome(j->kind, cx.outcome);
        if (cx.rc != 0)
            souk_log_warn("jobs: job %lld (%s) attempt %lld/%lld failed%s: %s", (long long)j->id, j->kind,
                          (long long)j->attempts, (long long)j->max_attempts,
                          strcmp(cx.outcome, "dead") == 0 ? ", now dead" : "", cx.err[0] ? cx.err : "-");
    }
    if (r != 1)
        souk__job_release(j);
    return r;
}

int64_t souk__job_backoff_us(int64_t attempts)
{
    int64_t d = 1000000;
    for (int64_t i = 0; i < attempts && d < SOUK_JOB_BACKOFF_CAP_US; i++)
        d *= 2;
    if (d > SOUK_JOB_BACKOFF_CAP_US)
        d = SOUK_JOB_BACKOFF_CAP_US;
    /* ±20 % jitter, so jobs that failed together do not retry together */
    uint32_t r = randombytes_uniform(40001); /* 0..40000 → factor 0.8..1.2 */
    return d / 100000 * (80000 + (int64_t)r) + (d % 100000) * (80000 + (int64_t)r) / 100000;
}

typedef struct finish_ctx {
    const souk__job *job;
    int rc;
    const char *err;
    int64_t now;
    const char *outcome;
} finish_ctx;

static int finish_fn(souk_store *db, void *vctx)
{
    finish_ctx *cx = vctx;
    const souk__job *j = cx->job;
    souk_stmt *st;
    if (cx->rc == 0) {
        cx->outcome = "done";
        st = souk_store_stmt(db, "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, "
                                 "updated_at = $4, finished_at = $4 "
                                 "WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempts = $3");
        if (!st)
            return SOUK_DB_HARD;
    } else {
        bool dead = j->attempts >= j->max_attempts;
        cx->outcome = dead ? "dead" : "failed";
        st = souk_store_stmt(db, "UPDATE jobs SET state = $5, last_error = $6, run_at = $7, locked_by = NULL, "
                                 "locked_until = NULL, updated_at = $4, finished_at = $8 "
                                 "WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempts = $3");
        if (!st)
            return SOUK_DB_HARD;
        const char *e = cx->err && *cx->err ? cx->err : "failed (no reason given)";
        size_t el = strlen(e);
        if (el > SOUK_JOB_ERROR_MAX) { /* cut at a character boundary */
            el = SOUK_JOB_ERROR_MAX;
            while (el > 0 && ((unsigned char)e[el] & 0xC0) == 0x80)
                el--;
        }
        souk_stmt_bind_text(st, 5, dead ? "dead" : "queued", SIZE_MAX);
        souk_stmt_bind_text(st, 6, e, el);
        souk_stmt_bind_i64(st, 7, dead ? cx->now : cx->now + souk__job_backoff_us(j->attempts));
        if (dead)
            souk_stmt_bind_i64(st, 8, cx->now);
        else
            souk_stmt_bind_null(st, 8);
    }
    souk_stmt_bind_i64(st, 1, j->id);
    souk_stmt_bind_text(st, 2, j->token, SIZE_MAX);
    souk_stmt_bind_i64(st, 3, j->attempts);
    souk_stmt_bind_i64(st, 4, cx->now);
    int r = souk_stmt_exec(st);
    if (r < 0)
        return r;
    return souk_store_changes(db) == 1 ? 0 : 1;
}

int souk__job_finish(souk_store *db, const souk__job *j, int rc, const char *err, int64_t now)
{
    finish_ctx cx = {j, rc, err, now, NULL};
    int r = souk_store_tx(db, finish_fn, &cx);
    if (r == 0) {
        count_outcome(j->kind, cx.outcome);
        if (rc != 0)
            souk_log_warn("jobs: job %lld (%s) attempt %lld/%lld failed%s: %s", (long long)j->id, j->kind,
                          (long long)j->attempts, (long long)j->max_attempts,
                          strcmp(cx.outcome, "dead") == 0 ? ", now dead" : "", err && *err ? err : "-");
    } else if (r == 1) {
        souk_log_warn("jobs: job %lld (%s) outcome dropped: its claim was lost (lease expired?)", (long long)j->id,
                      j->kind);
    }
    return r;
}

/* Runs one statement without parameters (savepoints). */
static int plain(souk_store *db, const char *sql)
{
    souk_stmt *st = souk_store_stmt(db, sql);
    return st ? souk_stmt_exec(st) : SOUK_DB_HARD;
}

/* Inside the claim's transaction, with the job just marked running: runs
 * FN under a savepoint and records the outcome, so a success commits with
 * its effects and a failure leaves none of them. Returns 2, or a negative
 * souk_db_status. */
static int run_in_claim(souk_store *db, claim_ctx *cx, souk_job_tx_fn fn)
{
    souk__job *j = cx->job;
    cx->err[0] = '\0';
    int r = plain(db, "SAVEPOINT souk_job");
    if (r < 0)
        return r;
    json_t *payload = json_loads(j->payload, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(payload)) {
        snprintf(cx->err, sizeof cx->err, "payload is not a JSON object");
        cx->rc = -1;
    } else {
        cx->rc = fn(db, payload, cx->err, sizeof cx->err) == 0 ? 0 : -1;
        cx->err[sizeof cx->err - 1] = '\0';
    }
    json_decref(payload);
    if (cx->rc != 0 && (r = plain(db, "ROLLBACK TO souk_job")) < 0)
        return r;
    if ((r = plain(db, "RELEASE souk_job")) < 0)
        return r;
    finish_ctx f = {j, cx->rc, cx->err, souk_time_now_us(), NULL};
    if ((r = finish_fn(db, &f)) < 0)
        return r;
    cx->outcome = f.outcome;
    return 2;
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
    souk_job_fn fn = NULL;
    int rc = -1;
    if (!kind_lookup(j.kind, &fn, NULL, NULL) || !fn) {
        snprintf(err, sizeof err, "no handler registered for kind '%s'", j.kind);
    } else {
        json_t *payload = json_loads(j.payload, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(payload)) {
            snprintf(err, sizeof err, "payload is not a JSON object");
        } else {
            rc = fn(db, payload, err, sizeof err) == 0 ? 0 : -1;
            err[sizeof err - 1] = '\0';
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

/* ---- schedules ---------------------------------------------------------- */

int souk__jobs_sync_schedules(souk_store *db, int64_t now)
{
    pthread_mutex_lock(&reg_mu);
    int n = nschedules, r = 0;
    schedule_entry copy[SOUK_JOB_KINDS_MAX];
    memcpy(copy, schedules, sizeof(schedule_entry) * (size_t)n);
    pthread_mutex_unlock(&reg_mu);
    for (int i = 0; i < n && r >= 0; i++) {
        souk_stmt *st = souk_store_stmt(db, "INSERT INTO job_schedules (kind, cron, next_run_at) VALUES ($1, $2, $3) "
                                            "ON CONFLICT (kind) DO UPDATE SET cron = excluded.cron, "
                                            "next_run_at = excluded.next_run_at WHERE job_schedules.cron <> excluded.cron");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_text(st, 1, copy[i].kind, SIZE_MAX);
        souk_stmt_bind_text(st, 2, copy[i].cron, SIZE_MAX);
        souk_stmt_bind_i64(st, 3, souk_cron_next(&copy[i].parsed, now));
        r = souk_stmt_exec(st);
    }
    return r < 0 ? r : 0;
}

typedef struct tick_ctx {
    const schedule_entry *s;
    int64_t now;
} tick_ctx;

static int tick_fn(souk_store *db, void *vctx)
{
    tick_ctx *cx = vctx;
    souk_stmt *st = souk_store_stmt(db, "SELECT next_run_at FROM job_schedules WHERE kind = $1 AND cron = $2");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_text(st, 1, cx->s->kind, SIZE_MAX);
    souk_stmt_bind_text(st, 2, cx->s->cron, SIZE_MAX);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r; /* no row (another process holds a different expression): not ours to run */
    int64_t due = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    if (due > cx->now)
        return 0;
    int64_t next = souk_cron_next(&cx->s->parsed, cx->now); /* missed due times fold into this run */
    if (next < 0)
        return SOUK_DB_HARD;
    /* compare-and-set: only the scheduler that moves next_run_at enqueues */
    st = souk_store_stmt(db, "UPDATE job_schedules SET next_run_at = $3 WHERE kind = $1 AND next_run_at = $2");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_text(st, 1, cx->s->kind, SIZE_MAX);
    souk_stmt_bind_i64(st, 2, due);
    souk_stmt_bind_i64(st, 3, next);
    r = souk_stmt_exec(st);
    if (r < 0)
        return r;
    if (souk_store_changes(db) != 1)
        return 0;
    char when[SOUK_RFC3339_LEN], key[SOUK_JOB_KIND_MAX + SOUK_RFC3339_LEN + 2];
    souk_time_format(due, when);
    snprintf(key, sizeof key, "%s@%s", cx->s->kind, when);
    r = souk_job_enqueue_tx(db, cx->s->kind, json_pack("{s:s}", "scheduled_for", when), 0, key);
    return r < 0 ? r : r == 0;
}

int souk__jobs_schedule_tick(souk_store *db, int64_t now)
{
    pthread_mutex_lock(&reg_mu);
    int n = nschedules;
    schedule_entry copy[SOUK_JOB_KINDS_MAX];
    memcpy(copy, schedules, sizeof(schedule_entry) * (size_t)n);
    pthread_mutex_unlock(&reg_mu);
    if (n == 0)
        return 0;
    /* a plain read first: nothing due, no write lock */
    souk_stmt *st = souk_store_stmt(db, "SELECT 1 FROM job_schedules WHERE next_run_at <= $1 LIMIT 1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, now);
    int r = souk_stmt_step(st);
    souk_stmt_done(st);
    if (r != SOUK_DB_ROW)
        return r;
    int enqueued = 0;
    for (int i = 0; i < n; i++) {
        tick_ctx cx = {&copy[i], now};
        r = souk_store_tx(db, tick_fn, &cx);
        if (r < 0)
            return r;
        enqueued += r;
    }
    return enqueued;
}

static int purge_fn(souk_store *db, void *vctx)
{
    int64_t before = *(int64_t *)vctx;
    souk_stmt *st = souk_store_stmt(db, "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'done' AND "
                                        "finished_at < $1 LIMIT $2)");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, before);
    souk_stmt_bind_i64(st, 2, PURGE_BATCH);
    int r = souk_stmt_exec(st);
    return r < 0 ? r : (int)souk_store_changes(db);
}

/* ---- threads ------------------------------------------------------------ */

/* Sleeps until kicked (GEN changed), stopped or MS passed. Called with J.mu held. */
static void wait_locked(uint64_t gen, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!J.stop && J.gen == gen)
        if (pthread_cond_timedwait(&J.cv, &J.mu, &until) == ETIMEDOUT)
            break;
}

static void *worker_main(void *arg)
{
    int idx = *(int *)arg;
    souk_store *db = J.dbs[idx];
    char host[64] = "localhost", token[96];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(token, sizeof token, "%s:%ld:w%d", host, (long)getpid(), idx);
    pthread_mutex_lock(&J.mu);
    while (!J.stop) {
        uint64_t gen = J.gen;
        pthread_mutex_unlock(&J.mu);
        int r = souk__jobs_run_one(db, souk_time_now_us(), token);
        if (r < 0)
            souk_log_error("jobs: worker %s: database error %d: %s", token, r, souk_store_errmsg(db));
        souk_store_idle(db);
        pthread_mutex_lock(&J.mu);
        if (r != 1) /* nothing due (or an error): sleep until kicked or the next poll */
            wait_locked(gen, SOUK_JOB_POLL_MS);
    }
    pthread_mutex_unlock(&J.mu);
    return NULL;
}

static void *scheduler_main(void *arg)
{
    (void)arg;
    souk_store *db = J.sched_db;
    int64_t last_purge = 0;
    pthread_mutex_lock(&J.mu);
    while (!J.stop) {
        uint64_t gen = J.gen;
        pthread_mutex_unlock(&J.mu);
        int64_t now = souk_time_now_us();
        int n = souk__jobs_schedule_tick(db, now);
        if (n < 0)
            souk_log_error("jobs: scheduler: database error %d: %s", n, souk_store_errmsg(db));
        if (last_purge == 0 || souk_time_mono_us() - last_purge >= PURGE_EVERY_US) {
            int64_t before = now - SOUK_JOB_DONE_RETENTION_US;
            int d;
            while ((d = souk_store_tx(db, purge_fn, &before)) == PURGE_BATCH)
                ;
            if (d < 0)
                souk_log_error("jobs: purge of done jobs failed: %s", souk_store_errmsg(db));
            last_purge = souk_time_mono_us();
        }
        if (souk__jobs_update_gauges(db) < 0)
            souk_log_error("jobs: cannot count jobs: %s", souk_store_errmsg(db));
        souk_store_idle(db);
        pthread_mutex_lock(&J.mu);
        if (n > 0) {
            J.gen++;
            pthread_cond_broadcast(&J.cv);
            gen = J.gen;
        }
        wait_locked(gen, SCHEDULER_TICK_MS);
    }
    pthread_mutex_unlock(&J.mu);
    return NULL;
}

/* Joins started threads and closes connections. Called without J.mu, with J.stop set. */
static void teardown_threads(void)
{
    for (int i = 0; i < J.nthreads; i++)
        pthread_join(J.threads[i], NULL);
    if (J.sched_started)
        pthread_join(J.sched, NULL);
    for (int i = 0; i < SOUK_JOB_THREADS_MAX; i++) {
        souk_store_close(J.dbs[i]);
        J.dbs[i] = NULL;
    }
    souk_store_close(J.sched_db);
    J.sched_db = NULL;
    J.nthreads = 0;
    J.sched_started = false;
}

int souk_jobs_start(const char *db_dsn, int threads)
{
    if (!db_dsn || threads < 1 || threads > SOUK_JOB_THREADS_MAX) {
        souk_log_error("jobs: not started: bad arguments");
        return -1;
    }
    pthread_mutex_lock(&J.mu);
    if (J.running) {
        pthread_mutex_unlock(&J.mu);
        return -1;
    }
    if (!J.cv_ready) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        int r = pthread_cond_init(&J.cv, &ca);
        pthread_condattr_destroy(&ca);
        if (r != 0) {
            pthread_mutex_unlock(&J.mu);
            return -1;
        }
        J.cv_ready = true;
    }
    J.running = true; /* registrations are closed from here on */
    J.stop = false;
    pthread_mutex_unlock(&J.mu);

    char err[256];
    bool ok = souk_store_open(&J.sched_db, db_dsn, err, sizeof err) == 0;
    for (int i = 0; ok && i < threads; i++)
        ok = souk_store_open(&J.dbs[i], db_dsn, err, sizeof err) == 0;
    if (!ok)
        souk_log_error("jobs: cannot open the database: %s", err);
    if (ok && souk__jobs_sync_schedules(J.sched_db, souk_time_now_us()) < 0) {
        souk_log_error("jobs: cannot write the schedules: %s", souk_store_errmsg(J.sched_db));
        ok = false;
    }
    souk_store_idle(J.sched_db);
    for (int i = 0; ok && i < threads; i++) {
        J.index[i] = i;
        if (pthread_create(&J.threads[i], NULL, worker_main, &J.index[i]) != 0)
            ok = false;
        else
            J.nthreads++;
    }
    if (ok) {
        if (pthread_create(&J.sched, NULL, scheduler_main, NULL) != 0)
            ok = false;
        else
            J.sched_started = true;
    }
    if (!ok) {
        pthread_mutex_lock(&J.mu);
        J.stop = true;
        pthread_cond_broadcast(&J.cv);
        pthread_mutex_unlock(&J.mu);
        teardown_threads();
        pthread_mutex_lock(&J.mu);
        J.running = J.stop = false;
        pthread_mutex_unlock(&J.mu);
        return -1;
    }
    souk_log_info("jobs: %d worker thread%s and the scheduler started", threads, threads == 1 ? "" : "s");
    return 0;
}

void souk_jobs_kick(void)
{
    pthread_mutex_lock(&J.mu);
    if (J.running) {
        J.gen++;
        pthread_cond_broadcast(&J.cv);
    }
    pthread_mutex_unlock(&J.mu);
}

void souk_jobs_stop(void)
{
    pthread_mutex_lock(&J.mu);
    if (!J.running || J.stop) {
        pthread_mutex_unlock(&J.mu);
        return;
    }
    J.stop = true;
    pthread_cond_broadcast(&J.cv);
    pthread_mutex_unlock(&J.mu);

    teardown_threads(); /* workers finish the job in hand, record it, then see stop */

    pthread_mutex_lock(&J.mu);
    J.running = J.stop = false;
    pthread_mutex_unlock(&J.mu);
}
