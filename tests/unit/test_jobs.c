/*
 * Unit tests for src/jobs: enqueue/claim/run, delayed jobs, retries with
 * backoff until dead, dedupe keys, reclaiming a crashed worker's job, many
 * jobs over several worker threads (each run once), the cron parser and its
 * next-run computation, schedules racing in two schedulers, kinds with their
 * own backoff and outcome hook, jobs interrupted by a stop, the admin
 * list/retry handlers and the queue metrics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/time.h"
#include "http/http.h"
#include "jobs/internal.h"

#include "fixture.h"

static souk_store *open_db(const char *dsn)
{
    souk_store *db;
    char err[256];
    if (souk_store_open(&db, dsn, err, sizeof err) != 0)
        fail_msg("open: %s", err);
    return db;
}

static int setup(void **state)
{
    static souk_test_db f;
    if (souk_test_db_open(&f, "jobs") < 0)
        return -1;
    souk__jobs_reset();
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    souk_test_db *f = *state;
    souk_jobs_stop();
    souk__jobs_reset();
    souk_test_db_close(f);
    return 0;
}

static int64_t q64(souk_store *db, const char *sql)
{
    int64_t n = 0;
    int r = souk_store_one(db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&n)));
    if (r != SOUK_DB_ROW)
        fail_msg("%s -> %d", sql, r);
    return n;
}

static void qtext(souk_store *db, const char *sql, char *out, size_t outlen)
{
    bool null = false;
    char *text = NULL;
    assert_int_equal(souk_store_one(db, sql, NULL, SOUK_COLS(SOUK_COL_NULLABLE(SOUK_COL_DUP(&text), &null))),
                     SOUK_DB_ROW);
    snprintf(out, outlen, "%s", null ? "(null)" : text);
    free(text);
}

typedef struct enq_ctx {
    const char *kind;
    json_t *payload;
    int64_t run_at;
    const char *key;
} enq_ctx;

static int enq_fn(souk_store *db, void *vctx)
{
    enq_ctx *cx = vctx;
    return souk_job_enqueue_tx(db, cx->kind, cx->payload, cx->run_at, cx->key);
}

static int enqueue(souk_store *db, const char *kind, json_t *payload, int64_t run_at, const char *key)
{
    enq_ctx cx = {kind, payload, run_at, key};
    return souk_store_tx(db, enq_fn, &cx);
}

/* ---- job functions ---------------------------------------------------------- */

static _Atomic int ok_runs;

static int job_ok(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)db, (void)payload, (void)err, (void)errlen;
    atomic_fetch_add(&ok_runs, 1);
    return 0;
}

static _Atomic int fail_runs;

static int job_fail(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)db, (void)payload;
    int n = atomic_fetch_add(&fail_runs, 1) + 1;
    snprintf(err, errlen, "boom %d", n);
    return -1;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_enqueue_claim_run(void **state)
{
    souk_test_db *f = *state;
    atomic_store(&ok_runs, 0);
    assert_int_equal(souk_job_register("t.ok", job_ok, 3), 0);
    assert_int_equal(souk_job_register("t.ok", job_ok, 3), -1);
    assert_int_equal(souk_job_register("Bad Kind", job_ok, 3), -1);
    assert_int_equal(enqueue(f->db, "t.ok", json_pack("{s:i}", "n", 1), 0, NULL), 0);
    assert_int_equal(enqueue(f->db, "bad kind", NULL, 0, NULL), SOUK_DB_HARD);
    assert_int_equal(enqueue(f->db, "t.ok", json_array(), 0, NULL), SOUK_DB_HARD);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs"), 1);
    assert_int_equal(q64(f->db, "SELECT max_attempts FROM jobs"), 3);
    int64_t now = souk_time_now_us();
    assert_int_equal(souk__jobs_run_one(f->db, now, "t:1:w0"), 1);
    assert_int_equal(atomic_load(&ok_runs), 1);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 1 AND "
                                "finished_at IS NOT NULL AND locked_by IS NULL"),
                     1);
    assert_int_equal(souk__jobs_run_one(f->db, now, "t:1:w0"), 0);
    assert_int_equal(atomic_load(&ok_runs), 1);
}

static void test_delayed_run_at(void **state)
{
    souk_test_db *f = *state;
    atomic_store(&ok_runs, 0);
    assert_int_equal(souk_job_register("t.ok", job_ok, 0), 0);
    int64_t now = souk_time_now_us();
    assert_int_equal(enqueue(f->db, "t.ok", NULL, now + 10000000, NULL), 0);
    assert_int_equal(q64(f->db, "SELECT max_attempts FROM jobs"), SOUK_JOB_DEFAULT_MAX_ATTEMPTS);
    assert_int_equal(souk__jobs_run_one(f->db, now, "w"), 0);
    assert_int_equal(souk__jobs_run_one(f->db, now + 9000000, "w"), 0);
    assert_int_equal(souk__jobs_run_one(f->db, now + 10000000, "w"), 1);
    assert_int_equal(atomic_load(&ok_runs), 1);
}

static void test_backoff_bounds(void **state)
{
    (void)state;
    for (int64_t a = 0; a <= 20; a++) {
        int64_t d = (INT64_C(1) << (a < 12 ? a : 12)) * 1000000;
        if (d > SOUK_JOB_BACKOFF_CAP_US)
            d = SOUK_JOB_BACKOFF_CAP_US;
        for (int i = 0; i < 50; i++) {
            int64_t b = souk__job_backoff_us(0, a);
            assert_true(b >= d * 8 / 10 && b <= d * 12 / 10);
        }
    }
}

static void test_retries_then_dead(void **state)
{
    souk_test_db *f = *state;
    atomic_store(&fail_runs, 0);
    assert_int_equal(souk_job_register("t.fail", job_fail, 3), 0);
    assert_int_equal(enqueue(f->db, "t.fail", NULL, 0, NULL), 0);
    int64_t now = souk_time_now_us();
    char text[64];
    /* attempt 1 fails: queued again 2 s ± 20 % later */
    assert_int_equal(souk__jobs_run_one(f->db, now, "w"), 1);
    qtext(f->db, "SELECT state || ' ' || attempts || ' ' || last_error FROM jobs", text, sizeof text);
    assert_string_equal(text, "queued 1 boom 1");
    int64_t run_at = q64(f->db, "SELECT run_at FROM jobs");
    assert_true(run_at >= now + 1600000 && run_at <= now + 2400000 + 100000);
    assert_int_equal(souk__jobs_run_one(f->db, now + 1000000, "w"), 0); /* not yet */
    /* attempt 2: 4 s ± 20 % */
    int64_t t2 = run_at;
    assert_int_equal(souk__jobs_run_one(f->db, t2, "w"), 1);
    run_at = q64(f->db, "SELECT run_at FROM jobs");
    assert_true(run_at >= t2 + 3200000 && run_at <= t2 + 4800000 + 100000);
    qtext(f->db, "SELECT state || ' ' || attempts || ' ' || last_error FROM jobs", text, sizeof text);
    assert_string_equal(text, "queued 2 boom 2");
    /* attempt 3 of 3: dead, with the last error kept */
    assert_int_equal(souk__jobs_run_one(f->db, run_at, "w"), 1);
    qtext(f->db, "SELECT state || ' ' || attempts || ' ' || last_error FROM jobs", text, sizeof text);
    assert_string_equal(text, "dead 3 boom 3");
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE finished_at IS NOT NULL"), 1);
    assert_int_equal(souk__jobs_run_one(f->db, run_at + INT64_C(7200) * 1000000, "w"), 0);
    assert_int_equal(atomic_load(&fail_runs), 3);
    /* outcome counters */
    int dead = souk_metrics_series("souk_job_runs_total", "kind=\"t.fail\",outcome=\"dead\"", SOUK_METRIC_COUNTER, "");
    int failed =
        souk_metrics_series("souk_job_runs_total", "kind=\"t.fail\",outcome=\"failed\"", SOUK_METRIC_COUNTER, "");
    assert_true(souk_metrics_series_get(dead) >= 1);
    assert_true(souk_metrics_series_get(failed) >= 2);
}

/* writes an event row, then fails when the payload says so */
static int job_in_tx(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    if (souk_store_exec(db, "INSERT INTO events (type, payload, created_at) VALUES ('t.effect', '{}', 1)", NULL) < 0) {
        snprintf(err, errlen, "insert failed");
        return -1;
    }
    if (json_is_true(json_object_get(payload, "fail"))) {
        snprintf(err, errlen, "refused");
        return -1;
    }
    return 0;
}

static void test_job_in_claim_transaction(void **state)
{
    souk_test_db *f = *state;
    assert_int_equal(souk_job_register_tx("t.tx", NULL, 3), -1);
    assert_int_equal(souk_job_register_tx("t.tx", job_in_tx, 2), 0);
    assert_int_equal(souk_job_register("t.tx", job_ok, 2), -1); /* one kind, one function */
    /* success: the effect and "done" commit together, in one transaction */
    assert_int_equal(enqueue(f->db, "t.tx", NULL, 0, NULL), 0);
    int64_t now = souk_time_now_us();
    assert_int_equal(souk__jobs_run_one(f->db, now, "w"), 1);
    char text[64];
    qtext(f->db, "SELECT state || ' ' || attempts FROM jobs", text, sizeof text);
    assert_string_equal(text, "done 1");
    assert_int_equal(q64(f->db, "SELECT count(*) FROM events WHERE type = 't.effect'"), 1);
    assert_int_equal(souk__jobs_run_one(f->db, now, "w"), 0); /* it never runs again */
    /* failure: the effect is rolled back, the attempt recorded with its error */
    assert_int_equal(enqueue(f->db, "t.tx", json_pack("{s:b}", "fail", 1), 0, NULL), 0);
    now = souk_time_now_us();
    assert_int_equal(souk__jobs_run_one(f->db, now, "w"), 1);
    qtext(f->db, "SELECT state || ' ' || attempts || ' ' || last_error FROM jobs WHERE state <> 'done'", text,
          sizeof text);
    assert_string_equal(text, "queued 1 refused");
    assert_int_equal(q64(f->db, "SELECT count(*) FROM events WHERE type = 't.effect'"), 1);
    /* its last attempt: dead, still without the effect */
    int64_t later = q64(f->db, "SELECT run_at FROM jobs WHERE state = 'queued'");
    assert_int_equal(souk__jobs_run_one(f->db, later, "w"), 1);
    qtext(f->db, "SELECT state || ' ' || attempts FROM jobs WHERE state <> 'done'", text, sizeof text);
    assert_string_equal(text, "dead 2");
    assert_int_equal(q64(f->db, "SELECT count(*) FROM events WHERE type = 't.effect'"), 1);
}

/* ---- kinds with options: their own backoff, an outcome hook, interruptions ---- */

#define MAXSEEN 8
static struct {
    int n;
    char state[MAXSEEN][16];
    int64_t attempts[MAXSEEN], run_at[MAXSEEN];
    bool interrupted[MAXSEEN];
    char error[MAXSEEN][64];
    int64_t n_payload[MAXSEEN];
} seen;

/* records each outcome, and writes a row in the same transaction */
static int hook(souk_store *db, const json_t *payload, const souk_job_outcome *o)
{
    if (seen.n < MAXSEEN) {
        int i = seen.n++;
        snprintf(seen.state[i], sizeof seen.state[i], "%s", o->state);
        seen.attempts[i] = o->attempts;
        seen.run_at[i] = o->run_at;
        seen.interrupted[i] = o->interrupted;
        snprintf(seen.error[i], sizeof seen.error[i], "%s", o->error ? o->error : "(none)");
        seen.n_payload[i] = json_integer_value(json_object_get(payload, "n"));
    }
    return souk_store_exec(db, "INSERT INTO events (type, payload, created_at) VALUES ('t.outcome', '{}', $1)",
                           SOUK_ARGS(SOUK_I64(o->at)));
}

static void test_kind_options(void **state)
{
    souk_test_db *f = *state;
    memset(&seen, 0, sizeof seen);
    atomic_store(&fail_runs, 0);
    /* exactly one function; no negative backoff */
    assert_int_equal(souk_job_register_kind(&(souk_job_kind){.kind = "t.none"}), -1);
    assert_int_equal(souk_job_register_kind(&(souk_job_kind){.kind = "t.both", .fn = job_ok, .tx_fn = job_ok}), -1);
    assert_int_equal(souk_job_register_kind(&(souk_job_kind){.kind = "t.neg", .fn = job_ok, .retry_us = -1}), -1);
    assert_int_equal(souk_job_register_kind(&(souk_job_kind){.kind = "t.slow",
                                                             .fn = job_fail,
                                                             .max_attempts = 3,
                                                             .retry_us = INT64_C(30) * 1000000,
                                                             .on_outcome = hook}),
                     0);
    assert_int_equal(enqueue(f->db, "t.slow", json_pack("{s:i}", "n", 7), 0, NULL), 0);
    int64_t now = souk_time_now_us();
    /* attempt 1 fails: the kind's own backoff, 30 s ± 20 %; the hook sees exactly what was stored */
    assert_int_equal(souk__jobs_run_one(f->db, now, "w"), 1);
    int64_t run_at = q64(f->db, "SELECT run_at FROM jobs");
    assert_true(run_at >= now + INT64_C(24) * 1000000 && run_at <= now + INT64_C(36) * 1000000 + 100000);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.state[0], "queued");
    assert_int_equal(seen.attempts[0], 1);
    assert_int_equal(seen.run_at[0], run_at);
    assert_false(seen.interrupted[0]);
    assert_string_equal(seen.error[0], "boom 1");
    assert_int_equal(seen.n_payload[0], 7);
    /* attempt 2: 60 s ± 20 % */
    assert_int_equal(souk__jobs_run_one(f->db, run_at, "w"), 1);
    int64_t run_at2 = q64(f->db, "SELECT run_at FROM jobs");
    assert_true(run_at2 >= run_at + INT64_C(48) * 1000000 && run_at2 <= run_at + INT64_C(72) * 1000000 + 100000);
    /* attempt 3 of 3: dead, told too */
    assert_int_equal(souk__jobs_run_one(f->db, run_at2, "w"), 1);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.state[2], "dead");
    assert_int_equal(seen.attempts[2], 3);
    assert_string_equal(seen.error[2], "boom 3");
    /* each hook's write committed with its outcome */
    assert_int_equal(q64(f->db, "SELECT count(*) FROM events WHERE type = 't.outcome'"), 3);

    /* a job reclaimed with no attempts left goes to dead and its kind is told */
    assert_int_equal(souk_job_register_kind(
                         &(souk_job_kind){.kind = "t.crash", .fn = job_ok, .max_attempts = 1, .on_outcome = hook}),
                     0);
    assert_int_equal(enqueue(f->db, "t.crash", json_pack("{s:i}", "n", 8), 0, NULL), 0);
    souk__job j;
    now = souk_time_now_us();
    assert_int_equal(souk__job_claim(f->db, now, "host:1:w0", &j), 1);
    souk__job_release(&j);
    assert_int_equal(souk__jobs_run_one(f->db, now + SOUK_JOB_LEASE_US + 1, "host:2:w0"), 0);
    assert_int_equal(seen.n, 4);
    assert_string_equal(seen.state[3], "dead");
    assert_int_equal(seen.n_payload[3], 8);
    assert_non_null(strstr(seen.error[3], "lease expired"));
}

/* SOUK_JOB_LEASE_S: a claim holds the job for the lease set, and a job
 * reclaimed after it ran out is told it is in its second attempt */
static int64_t attempt_seen[2];

static int job_attempt(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)db, (void)payload, (void)err, (void)errlen;
    attempt_seen[attempt_seen[0] ? 1 : 0] = souk_job_attempt();
    return 0;
}

static void test_lease_setting(void **state)
{
    souk_test_db *f = *state;
    assert_int_equal(souk_job_lease_us(), SOUK_JOB_LEASE_US);
    souk_jobs_set_lease_us(INT64_C(4) * 1000000);
    assert_int_equal(souk_job_register("t.lease", job_attempt, 3), 0);
    assert_int_equal(enqueue(f->db, "t.lease", json_object(), 0, NULL), 0);
    int64_t now = souk_time_now_us();
    souk__job j;
    assert_int_equal(souk__job_claim(f->db, now, "host:1:w0", &j), 1); /* that worker dies */
    souk__job_release(&j);
    assert_int_equal(q64(f->db, "SELECT locked_until FROM jobs WHERE kind = 't.lease'"), now + INT64_C(4) * 1000000);
    assert_int_equal(souk__jobs_run_one(f->db, now + INT64_C(3) * 1000000, "host:2:w0"), 0); /* still leased */
    assert_int_equal(souk__jobs_run_one(f->db, now + INT64_C(4) * 1000000 + 1, "host:2:w0"), 1);
    assert_int_equal(attempt_seen[0], 2);
    assert_int_equal(q64(f->db, "SELECT attempts FROM jobs WHERE kind = 't.lease' AND state = 'done'"), 2);
    assert_int_equal(souk_job_attempt(), 0); /* outside a job */
    souk_jobs_set_lease_us(1);               /* clamped to a second */
    assert_int_equal(souk_job_lease_us(), 1000000);
    souk_jobs_set_lease_us(SOUK_JOB_LEASE_US);
}

/* a long job keeps its lease; once another worker has it, it is told so */
static int keep_alive_seen[3];

static int job_keeps_alive(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload, (void)err, (void)errlen;
    /* claimed (in the test) two minutes ago: more than a quarter of the lease has passed */
    keep_alive_seen[0] = souk_job_keep_alive(db);
    keep_alive_seen[2] = (int)(q64(db, "SELECT locked_until FROM jobs WHERE kind = 't.long'") / 1000000);
    /* just renewed: the next call writes nothing */
    keep_alive_seen[1] = souk_job_keep_alive(db);
    return 0;
}

static void test_keep_alive(void **state)
{
    souk_test_db *f = *state;
    assert_int_equal(souk_job_keep_alive(f->db), 0); /* outside a job: nothing */
    assert_int_equal(souk_job_register("t.long", job_keeps_alive, 3), 0);
    int64_t claimed = souk_time_now_us() - INT64_C(120) * 1000000;
    assert_int_equal(enqueue(f->db, "t.long", NULL, claimed, NULL), 0);
    int64_t before = souk_time_now_us();
    assert_int_equal(souk__jobs_run_one(f->db, claimed, "t:1:w0"), 1);
    assert_int_equal(keep_alive_seen[0], 0);
    assert_int_equal(keep_alive_seen[1], 0);
    /* the lease was moved from claim + lease to now + lease */
    assert_true((int64_t)keep_alive_seen[2] >= (before + SOUK_JOB_LEASE_US) / 1000000 - 1);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE state = 'done'"), 1);
}

static int job_lost_lease(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    souk_store_update_tx(db, "UPDATE jobs SET locked_by = 'other:1:w0', attempts = attempts + 1 WHERE kind = 't.lost'",
                         NULL);
    keep_alive_seen[2] = souk_job_keep_alive(db);
    snprintf(err, errlen, "lost its lease");
    return -1;
}

static void test_keep_alive_lost(void **state)
{
    souk_test_db *f = *state;
    assert_int_equal(souk_job_register("t.lost", job_lost_lease, 3), 0);
    int64_t claimed = souk_time_now_us() - INT64_C(120) * 1000000;
    assert_int_equal(enqueue(f->db, "t.lost", NULL, claimed, NULL), 0);
    keep_alive_seen[2] = -99;
    assert_int_equal(souk__jobs_run_one(f->db, claimed, "t:1:w0"), 1);
    assert_int_equal(keep_alive_seen[2], SOUK_JOB_LEASE_LOST);
    /* the other worker's claim stands: the lost worker's failure was not recorded over it */
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE state = 'running' AND locked_by = 'other:1:w0'"), 1);
}

/* refuses to finish until the workers stop, then says so */
static _Atomic int blocking, wait_for_stop;

static int job_until_stop(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)db, (void)payload;
    atomic_store(&blocking, 1);
    for (int i = 0; i < 500 && atomic_load(&wait_for_stop) && !souk_jobs_stopping(); i++)
        usleep(10000);
    snprintf(err, errlen, "interrupted by shutdown");
    return SOUK_JOB_INTERRUPTED;
}

static void test_interrupted_job_is_put_back(void **state)
{
    souk_test_db *f = *state;
    memset(&seen, 0, sizeof seen);
    atomic_store(&blocking, 0);
    atomic_store(&wait_for_stop, 0);
    assert_int_equal(souk_job_register_kind(&(souk_job_kind){
                         .kind = "t.long", .fn = job_until_stop, .max_attempts = 3, .on_outcome = hook}),
                     0);
    /* outside a stop an interruption is a failure like any other */
    assert_false(souk_jobs_stopping());
    assert_int_equal(enqueue(f->db, "t.long", NULL, 0, NULL), 0);
    assert_int_equal(souk__jobs_run_one(f->db, souk_time_now_us() + INT64_C(3600) * 1000000 * 24, "w"), 1);
    char text[128];
    qtext(f->db, "SELECT state || ' ' || attempts FROM jobs", text, sizeof text);
    assert_string_equal(text, "queued 1");
    assert_false(seen.interrupted[0]);
    assert_int_equal(souk_store_exec(f->db, "UPDATE jobs SET run_at = 0", NULL), SOUK_DB_DONE);
    atomic_store(&blocking, 0);
    atomic_store(&wait_for_stop, 1);

    /* a stop interrupts it: back to queued, due at once, the attempt not counted */
    assert_int_equal(souk_jobs_start(f->dsn, 1), 0);
    for (int i = 0; i < 500 && !atomic_load(&blocking); i++)
        usleep(10000);
    assert_true(atomic_load(&blocking));
    int64_t t0 = souk_time_mono_us();
    souk_jobs_stop();
    assert_true(souk_time_mono_us() - t0 < INT64_C(2) * 1000000);
    assert_false(souk_jobs_stopping());
    qtext(f->db, "SELECT state || ' ' || attempts || ' ' || last_error FROM jobs", text, sizeof text);
    assert_string_equal(text, "queued 1 interrupted by shutdown");
    assert_true(q64(f->db, "SELECT run_at FROM jobs") <= souk_time_now_us());
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE locked_by IS NULL"), 1);
    if (seen.n != 2)
        fail_msg("%d outcomes: %s, %s, %s", seen.n, seen.state[0], seen.state[1], seen.state[2]);
    assert_true(seen.interrupted[1]);
    assert_string_equal(seen.state[1], "queued");
    assert_int_equal(seen.attempts[1], 1);
    assert_string_equal(seen.error[1], "interrupted by shutdown");
}

static void test_unregistered_kind_fails(void **state)
{
    souk_test_db *f = *state;
    assert_int_equal(enqueue(f->db, "t.nobody", NULL, 0, NULL), 0);
    assert_int_equal(souk__jobs_run_one(f->db, souk_time_now_us(), "w"), 1);
    char text[128];
    qtext(f->db, "SELECT state || ' ' || last_error FROM jobs", text, sizeof text);
    assert_string_equal(text, "queued no handler registered for kind 't.nobody'");
}

static void test_dedupe(void **state)
{
    souk_test_db *f = *state;
    assert_int_equal(souk_job_register("t.ok", job_ok, 3), 0);
    assert_int_equal(enqueue(f->db, "t.ok", NULL, 0, "order-42"), 0);
    assert_int_equal(enqueue(f->db, "t.ok", NULL, 0, "order-42"), 1); /* no-op */
    assert_int_equal(enqueue(f->db, "t.ok", NULL, 0, "order-43"), 0);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs"), 2);
    /* still a no-op while running */
    souk__job j;
    int64_t now = souk_time_now_us();
    assert_int_equal(souk__job_claim(f->db, now, "w", &j), 1);
    assert_int_equal(enqueue(f->db, "t.ok", NULL, 0, "order-42"), 1);
    assert_int_equal(souk__job_finish(f->db, &j, 0, NULL, now), 0);
    souk__job_release(&j);
    assert_int_equal(souk__jobs_run_one(f->db, now, "w"), 1);
    /* both done: the keys are free again */
    assert_int_equal(enqueue(f->db, "t.ok", NULL, 0, "order-42"), 0);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE dedupe_key = 'order-42'"), 2);
    /* the partial unique index backs the check */
    assert_int_equal(souk_store_exec(f->db, "UPDATE jobs SET state = 'queued'", NULL), SOUK_DB_CONSTRAINT);
}

static void test_lease_expired_job_is_reclaimed(void **state)
{
    souk_test_db *f = *state;
    atomic_store(&ok_runs, 0);
    assert_int_equal(souk_job_register("t.ok", job_ok, 3), 0);
    assert_int_equal(enqueue(f->db, "t.ok", NULL, 0, NULL), 0);
    int64_t now = souk_time_now_us();
    /* a worker claims the job and dies */
    souk__job crashed;
    assert_int_equal(souk__job_claim(f->db, now, "host:1:w0", &crashed), 1);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE state = 'running' AND locked_by = 'host:1:w0'"), 1);
    /* within the lease nobody else takes it */
    assert_int_equal(souk__jobs_run_one(f->db, now + 60000000, "host:2:w0"), 0);
    /* after the lease it is claimed again and runs */
    int64_t later = now + SOUK_JOB_LEASE_US + 1000000;
    assert_int_equal(souk__jobs_run_one(f->db, later, "host:2:w0"), 1);
    assert_int_equal(atomic_load(&ok_runs), 1);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 2"), 1);
    /* the old worker waking up cannot overwrite the outcome */
    assert_int_equal(souk__job_finish(f->db, &crashed, -1, "late", later), 1);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE state = 'done'"), 1);
    souk__job_release(&crashed);

    /* a job that kills its worker on every attempt ends up dead */
    assert_int_equal(souk_job_register("t.once", job_ok, 1), 0);
    assert_int_equal(enqueue(f->db, "t.once", NULL, 0, NULL), 0);
    souk__job j;
    assert_int_equal(souk__job_claim(f->db, later, "host:3:w0", &j), 1);
    souk__job_release(&j);
    assert_int_equal(souk__jobs_run_one(f->db, later + SOUK_JOB_LEASE_US + 1, "host:4:w0"), 0);
    char text[160];
    qtext(f->db, "SELECT state || ' ' || last_error FROM jobs WHERE kind = 't.once'", text, sizeof text);
    assert_non_null(strstr(text, "dead lease expired"));
    assert_int_equal(atomic_load(&ok_runs), 1);
}

#define NJOBS 200
static _Atomic int runs_of[NJOBS];

static int job_count(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)db, (void)err, (void)errlen;
    json_int_t n = json_integer_value(json_object_get(payload, "n"));
    if (n >= 0 && n < NJOBS)
        atomic_fetch_add(&runs_of[n], 1);
    return 0;
}

static int enq_many_fn(souk_store *db, void *vctx)
{
    (void)vctx;
    for (int i = 0; i < NJOBS; i++) {
        int r = souk_job_enqueue_tx(db, "t.count", json_pack("{s:i}", "n", i), 0, NULL);
        if (r < 0)
            return r;
    }
    return 0;
}

static void test_worker_threads_run_each_job_once(void **state)
{
    souk_test_db *f = *state;
    for (int i = 0; i < NJOBS; i++)
        atomic_store(&runs_of[i], 0);
    assert_int_equal(souk_job_register("t.count", job_count, 3), 0);
    assert_int_equal(souk_jobs_start(f->dsn, 0), -1);
    assert_int_equal(souk_jobs_start(f->dsn, 4), 0);
    assert_int_equal(souk_jobs_start(f->dsn, 4), -1);
    assert_int_equal(souk_job_register("t.late", job_ok, 3), -1); /* registrations closed */
    assert_int_equal(souk_store_tx(f->db, enq_many_fn, NULL), 0);
    souk_jobs_kick();
    for (int i = 0; i < 1000 && q64(f->db, "SELECT count(*) FROM jobs WHERE state = 'done'") < NJOBS; i++)
        usleep(10000);
    souk_jobs_stop();
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 1"), NJOBS);
    for (int i = 0; i < NJOBS; i++)
        if (atomic_load(&runs_of[i]) != 1)
            fail_msg("job %d ran %d times", i, atomic_load(&runs_of[i]));
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs"), NJOBS);
}

/* ---- cron ---------------------------------------------------------------------- */

static void test_cron_parse(void **state)
{
    (void)state;
    souk_cron c;
    const char *why;
    const char *good[] = {"* * * * *",    "*/15 9-17 * * 1-5", "0 0 1,15 * *",
                          "5/20 * * * *", "0 12 * * 7",        "  1-5/2,30 0 * 1-12/3 0  ",
                          "@daily",       "@hourly",           "59 23 31 12 6"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (souk_cron_parse(good[i], &c, &why) != 0)
            fail_msg("'%s' rejected: %s", good[i], why);
    const char *bad[] = {"",
                         "* * * *",
                         "60 * * * *",
                         "* 24 * * *",
                         "* * 0 * *",
                         "* * * 13 *",
                         "* * * * 8",
                         "*/0 * * * *",
                         "5-1 * * * *",
                         "a * * * *",
                         "1,,2 * * * *",
                         "1, * * * *",
                         "* * * * * *",
                         "@never",
                         "-1 * * * *",
                         "1-* * * * *",
                         "*/61 * * * *",
                         NULL};
    for (size_t i = 0; bad[i]; i++)
        if (souk_cron_parse(bad[i], &c, &why) != -1 || !why)
            fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(souk_cron_parse(NULL, &c, &why), -1);

    assert_int_equal(souk_cron_parse("*/15 9-17 * * 1-5", &c, NULL), 0);
    assert_true(c.minutes == ((UINT64_C(1) << 0) | (UINT64_C(1) << 15) | (UINT64_C(1) << 30) | (UINT64_C(1) << 45)));
    assert_int_equal(c.hours, 0x3FE00);
    assert_int_equal(c.wdays, 0x3E);
    assert_true(c.mday_any && !c.wday_any);
    assert_int_equal(souk_cron_parse("5/20 * * * *", &c, NULL), 0);
    assert_true(c.minutes == ((UINT64_C(1) << 5) | (UINT64_C(1) << 25) | (UINT64_C(1) << 45)));
    assert_int_equal(souk_cron_parse("0 12 * * 7", &c, NULL), 0);
    assert_int_equal(c.wdays, 1);
    assert_int_equal(souk_cron_parse("0 0 1,15 * *", &c, NULL), 0);
    assert_int_equal(c.mdays, (1u << 1) | (1u << 15));
}

static int64_t at(const char *s)
{
    int64_t us;
    if (souk_time_parse(s, strlen(s), &us) != 0)
        fail_msg("bad time %s", s);
    return us;
}

static void assert_next(const char *expr, const char *after, const char *expect)
{
    souk_cron c;
    assert_int_equal(souk_cron_parse(expr, &c, NULL), 0);
    int64_t n = souk_cron_next(&c, at(after));
    if (!expect) {
        assert_int_equal(n, -1);
        return;
    }
    char buf[SOUK_RFC3339_LEN];
    if (n != at(expect))
        fail_msg("'%s' after %s: got %s, expected %s", expr, after, n < 0 ? "-1" : souk_time_format(n, buf), expect);
}

static void test_cron_next(void **state)
{
    (void)state;
    /* 2026-01-15 is a Thursday */
    assert_next("*/15 * * * *", "2026-01-15T10:30:00Z", "2026-01-15T10:45:00Z");
    assert_next("*/15 * * * *", "2026-01-15T10:30:59.5Z", "2026-01-15T10:45:00Z");
    assert_next("* * * * *", "2026-01-15T10:30:10Z", "2026-01-15T10:31:00Z");
    assert_next("0 9 * * 1-5", "2026-01-15T10:30:00Z", "2026-01-16T09:00:00Z");
    assert_next("0 9 * * 1-5", "2026-01-16T09:00:00Z", "2026-01-19T09:00:00Z"); /* strictly after; skips the weekend */
    assert_next("30 10 15 1 *", "2026-01-15T10:30:00Z", "2027-01-15T10:30:00Z");
    assert_next("0 0 29 2 *", "2026-01-15T10:30:00Z", "2028-02-29T00:00:00Z");
    assert_next("0 0 30 2 *", "2026-01-15T10:30:00Z", NULL);
    assert_next("0 0 31 * *", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z");
    assert_next("0 0 13 * 5", "2026-01-15T10:30:00Z", "2026-01-16T00:00:00Z"); /* day 13 OR Friday */
    assert_next("0 0 13 * *", "2026-01-15T10:30:00Z", "2026-02-13T00:00:00Z");
    assert_next("0 0 * * 0", "2026-01-15T10:30:00Z", "2026-01-18T00:00:00Z");
    assert_next("0 0 * * 7", "2026-01-15T10:30:00Z", "2026-01-18T00:00:00Z");
    assert_next("@yearly", "2026-12-31T23:59:00Z", "2027-01-01T00:00:00Z");
    assert_next("59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z");
    assert_next("0 */6 * * *", "2026-01-15T23:00:00Z", "2026-01-16T00:00:00Z");
}

/* ---- schedules ------------------------------------------------------------------- */

typedef struct racer {
    const char *path;
    int64_t *times;
    int ntimes;
    pthread_barrier_t *bar;
    int enqueued;
} racer;

static void *race_main(void *arg)
{
    racer *r = arg;
    souk_store *db = open_db(r->path);
    for (int i = 0; i < r->ntimes; i++) {
        pthread_barrier_wait(r->bar);
        int n = souk__jobs_schedule_tick(db, r->times[i]);
        if (n > 0)
            r->enqueued += n;
        else if (n < 0)
            r->enqueued = -1000;
    }
    souk_store_close(db);
    return NULL;
}

static void test_schedule_once_per_due_time(void **state)
{
    souk_test_db *f = *state;
    assert_int_equal(souk_job_schedule("t.cron", "*/5 * * * *"), 0);
    assert_int_equal(souk_job_schedule("t.cron", "61 * * * *"), -1);
    assert_int_equal(souk_job_schedule("t.never", "0 0 30 2 *"), -1);
    int64_t t0 = at("2026-01-15T10:31:00Z");
    assert_int_equal(souk__jobs_sync_schedules(f->db, t0), 0);
    assert_int_equal(souk__jobs_sync_schedules(f->db, t0 + 60000000), 0); /* unchanged cron keeps next_run_at */
    assert_int_equal(q64(f->db, "SELECT next_run_at FROM job_schedules WHERE kind = 't.cron'"),
                     at("2026-01-15T10:35:00Z"));
    assert_int_equal(souk__jobs_schedule_tick(f->db, at("2026-01-15T10:34:59Z")), 0);

    /* two schedulers (two connections) race over 12 due times */
    int64_t times[12];
    for (int i = 0; i < 12; i++)
        times[i] = at("2026-01-15T10:35:00Z") + (int64_t)i * 300000000 + 500000;
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 2);
    racer a = {f->dsn, times, 12, &bar, 0}, b = {f->dsn, times, 12, &bar, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, race_main, &a);
    pthread_create(&tb, NULL, race_main, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&bar);
    assert_true(a.enqueued >= 0 && b.enqueued >= 0);
    assert_int_equal(a.enqueued + b.enqueued, 12);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE kind = 't.cron'"), 12);
    assert_int_equal(q64(f->db, "SELECT count(DISTINCT dedupe_key) FROM jobs WHERE kind = 't.cron'"), 12);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE dedupe_key = 't.cron@2026-01-15T10:35:00.000000Z' "
                                "AND payload = '{\"scheduled_for\":\"2026-01-15T10:35:00.000000Z\"}'"),
                     1);
    /* the same time again: nothing */
    assert_int_equal(souk__jobs_schedule_tick(f->db, times[11]), 0);
    /* missed due times fold into one run */
    assert_int_equal(souk__jobs_schedule_tick(f->db, at("2026-01-15T13:02:00Z")), 1);
    assert_int_equal(q64(f->db, "SELECT next_run_at FROM job_schedules"), at("2026-01-15T13:05:00Z"));
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE kind = 't.cron'"), 13);
    /* a changed expression replaces the stored one */
    assert_int_equal(souk_job_schedule("t.cron", "0 0 * * *"), 0);
    assert_int_equal(souk__jobs_sync_schedules(f->db, at("2026-01-15T13:03:00Z")), 0);
    assert_int_equal(q64(f->db, "SELECT next_run_at FROM job_schedules"), at("2026-01-16T00:00:00Z"));
}

/* ---- admin API -------------------------------------------------------------------- */

typedef struct call {
    souk_arena arena;
    souk_req req;
    souk_res res;
    int rc;
    json_t *body;
} call;

static void call_api(call *c, souk_store *db, int retry, const char *arg)
{
    memset(c, 0, sizeof *c);
    souk_arena_init(&c->arena, 4096, 0);
    c->req.arena = &c->arena;
    c->req.store = db;
    c->req.request_id = "test";
    souk_buf_init(&c->res.body, 1 << 20);
    souk_problems_init(&c->res.problems);
    if (retry) {
        c->req.method = SOUK_POST;
        c->req.path = "/api/v1/admin/jobs/x/retry";
        c->req.params[0] = arg;
        c->req.nparams = 1;
        c->rc = souk_jobs_api_retry(&c->req, &c->res);
    } else {
        c->req.method = SOUK_GET;
        c->req.path = "/api/v1/admin/jobs";
        const char *err;
        if (souk_query_parse(&c->req.query, arg, strlen(arg), &c->arena, &err) != 0)
            fail_msg("query %s: %s", arg, err);
        c->rc = souk_jobs_api_list(&c->req, &c->res);
    }
    c->body = c->rc == 0 ? json_loadb(c->res.body.data, c->res.body.len, 0, NULL) : NULL;
    if (c->rc == 0 && !c->body)
        fail_msg("response is not JSON");
}

static void call_release(call *c)
{
    json_decref(c->body);
    souk_buf_release(&c->res.body);
    souk_arena_release(&c->arena);
}

static void assert_invalid(souk_store *db, const char *qs, const char *field)
{
    call c;
    call_api(&c, db, 0, qs);
    if (c.rc != SOUK_E_VALIDATION)
        fail_msg("%s -> %d, expected a validation error", qs, c.rc);
    int found = 0;
    for (size_t i = 0; i < c.res.problems.count; i++)
        if (strcmp(c.res.problems.items[i].field, field) == 0)
            found = 1;
    if (!found)
        fail_msg("%s: no problem reported for %s", qs, field);
    call_release(&c);
}

static void test_api_list_and_retry(void **state)
{
    souk_test_db *f = *state;
    atomic_store(&fail_runs, 0);
    assert_int_equal(souk_job_register("t.ok", job_ok, 3), 0);
    assert_int_equal(souk_job_register("t.fail", job_fail, 1), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(enqueue(f->db, "t.ok", json_pack("{s:i}", "n", i), 0, NULL), 0);
    assert_int_equal(enqueue(f->db, "t.fail", NULL, 0, "only-one"), 0);
    int64_t now = souk_time_now_us();
    while (souk__jobs_run_one(f->db, now, "w") == 1)
        ;
    /* add one more queued job */
    assert_int_equal(enqueue(f->db, "t.ok", NULL, now + 3600000000, NULL), 0);

    call c;
    call_api(&c, f->db, 0, "");
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.res.status, 200);
    json_t *data = json_object_get(c.body, "data");
    assert_int_equal(json_array_size(data), 6);
    assert_true(json_is_null(json_object_get(c.body, "next_cursor")));
    json_t *newest = json_array_get(data, 0);
    assert_string_equal(json_string_value(json_object_get(newest, "state")), "queued");
    assert_int_equal(strncmp(json_string_value(json_object_get(newest, "id")), "job_", 4), 0);
    const char *fields[] = {"id",     "kind",       "state",      "attempts",   "max_attempts", "payload",
                            "run_at", "last_error", "created_at", "updated_at", "finished_at"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        assert_non_null(json_object_get(newest, fields[i]));
    assert_true(json_is_null(json_object_get(newest, "finished_at")));
    call_release(&c);

    call_api(&c, f->db, 0, "state=dead");
    data = json_object_get(c.body, "data");
    assert_int_equal(json_array_size(data), 1);
    json_t *dead = json_array_get(data, 0);
    assert_string_equal(json_string_value(json_object_get(dead, "kind")), "t.fail");
    assert_string_equal(json_string_value(json_object_get(dead, "last_error")), "boom 1");
    assert_int_equal(json_integer_value(json_object_get(dead, "attempts")), 1);
    char dead_id[64];
    snprintf(dead_id, sizeof dead_id, "%s", json_string_value(json_object_get(dead, "id")));
    call_release(&c);

    call_api(&c, f->db, 0, "state=done&kind=t.ok");
    assert_int_equal(json_array_size(json_object_get(c.body, "data")), 4);
    call_release(&c);
    call_api(&c, f->db, 0, "kind=t.none");
    assert_int_equal(json_array_size(json_object_get(c.body, "data")), 0);
    call_release(&c);

    /* pages of 4: 4 + 2, no overlap */
    call_api(&c, f->db, 0, "limit=4");
    assert_int_equal(json_array_size(json_object_get(c.body, "data")), 4);
    const char *next = json_string_value(json_object_get(c.body, "next_cursor"));
    assert_non_null(next);
    char qs[128], last_id[64];
    snprintf(qs, sizeof qs, "limit=4&cursor=%s", next);
    snprintf(last_id, sizeof last_id, "%s",
             json_string_value(json_object_get(json_array_get(json_object_get(c.body, "data"), 3), "id")));
    call_release(&c);
    call_api(&c, f->db, 0, qs);
    assert_int_equal(c.rc, 0);
    assert_int_equal(json_array_size(json_object_get(c.body, "data")), 2);
    assert_true(strcmp(json_string_value(json_object_get(json_array_get(json_object_get(c.body, "data"), 0), "id")),
                       last_id) < 0);
    assert_true(json_is_null(json_object_get(c.body, "next_cursor")));
    call_release(&c);

    assert_invalid(f->db, "state=bogus", "state");
    assert_invalid(f->db, "limit=0", "limit");
    assert_invalid(f->db, "limit=201", "limit");
    assert_invalid(f->db, "cursor=abc", "cursor");
    assert_invalid(f->db, "kind=", "kind");
    assert_invalid(f->db, "foo=1", "foo");
    assert_invalid(f->db, "state=dead&state=done", "state");
    call_api(&c, f->db, 0, "limit=0&bogus=1&state=x");
    assert_int_equal(c.res.problems.count, 3);
    call_release(&c);

    /* retry: only a dead job */
    call_api(&c, f->db, 1, dead_id);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.res.status, 200);
    assert_string_equal(json_string_value(json_object_get(c.body, "state")), "queued");
    assert_int_equal(json_integer_value(json_object_get(c.body, "attempts")), 0);
    assert_true(json_is_null(json_object_get(c.body, "finished_at")));
    assert_string_equal(c.res.audit_object_type, "job");
    call_release(&c);
    call_api(&c, f->db, 1, dead_id); /* queued now: not a legal transition */
    assert_int_equal(c.rc, SOUK_E_INVALID_STATE);
    call_release(&c);
    call_api(&c, f->db, 1, "job_0000000000001");
    assert_int_equal(c.rc, SOUK_E_NOT_FOUND);
    call_release(&c);
    call_api(&c, f->db, 1, "nonsense");
    assert_int_equal(c.rc, SOUK_E_NOT_FOUND);
    call_release(&c);
    /* it runs (and dies) again */
    assert_int_equal(souk__jobs_run_one(f->db, souk_time_now_us(), "w"), 1);
    assert_int_equal(q64(f->db, "SELECT count(*) FROM jobs WHERE state = 'dead' AND attempts = 1"), 1);
    /* a dead job whose dedupe key was taken meanwhile cannot come back */
    assert_int_equal(enqueue(f->db, "t.ok", NULL, now + 3600000000, "only-one"), 0);
    call_api(&c, f->db, 1, dead_id);
    assert_int_equal(c.rc, SOUK_E_CONFLICT);
    call_release(&c);
}

static void test_metrics(void **state)
{
    souk_test_db *f = *state;
    assert_int_equal(enqueue(f->db, "t.ok", NULL, 0, NULL), 0);
    assert_int_equal(enqueue(f->db, "t.ok", NULL, 0, NULL), 0);
    assert_int_equal(souk__jobs_update_gauges(f->db), 0);
    souk_buf out;
    souk_buf_init(&out, 1 << 20);
    souk_metrics_render(&out);
    souk_buf_addc(&out, '\0');
    assert_non_null(strstr(out.data, "# TYPE souk_jobs gauge\n"));
    assert_non_null(strstr(out.data, "souk_jobs{state=\"queued\"} 2\n"));
    assert_non_null(strstr(out.data, "souk_jobs{state=\"dead\"} 0\n"));
    assert_non_null(strstr(out.data, "# TYPE souk_job_runs_total counter\n"));
    /* HELP/TYPE once per name */
    const char *p = strstr(out.data, "# TYPE souk_jobs gauge");
    assert_null(strstr(p + 1, "# TYPE souk_jobs gauge"));
    souk_buf_release(&out);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue_claim_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delayed_run_at, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_in_claim_transaction, setup, teardown),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test_setup_teardown(test_retries_then_dead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kind_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_job_is_put_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unregistered_kind_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedupe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_expired_job_is_reclaimed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_threads_run_each_job_once, setup, teardown),
        cmocka_unit_test(test_cron_parse),
        cmocka_unit_test(test_cron_next),
        cmocka_unit_test_setup_teardown(test_schedule_once_per_due_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_list_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_alive_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_setting, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
