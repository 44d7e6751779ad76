/*
 * workers.c — the threads of the job queue, on core/worker.h: THREADS
 * workers, each with its own connection, running one job per pass and
 * sleeping SOUK_JOB_POLL_MS when nothing is due (souk_jobs_kick wakes them),
 * and one scheduler with its own connection that ticks every second:
 * schedules, the hourly purge of old done jobs, the queue gauges. When a
 * tick enqueued something it wakes the workers.
 */
#include "jobs/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "core/worker.h"
#include "core/banned.h"

#define SCHEDULER_TICK_MS 1000
#define PURGE_EVERY_US (INT64_C(3600) * 1000000)

static souk_worker workers = SOUK_WORKER_INIT, scheduler = SOUK_WORKER_INIT;

/* A thread's state: its connection, and what the thread keeps between passes. */
typedef struct thread_state {
    souk_store *db;
    char token[96];     /* workers: locked_by, "host:pid:wN" */
    int64_t last_purge; /* scheduler: monotonic µs of the last purge, 0 = never */
} thread_state;

/* CTX: the DSN (init runs during souk_worker_start, while the caller's string lives). */
static int thread_open(void *ctx, int index, void **state)
{
    thread_state *t = calloc(1, sizeof *t);
    char err[256];
    if (!t)
        return -1;
    if (souk_store_open(&t->db, ctx, err, sizeof err) != 0) {
        souk_log_error("jobs: cannot open the database: %s", err);
        free(t);
        return -1;
    }
    char host[64] = "localhost";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(t->token, sizeof t->token, "%s:%ld:w%d", host, (long)getpid(), index);
    *state = t;
    return 0;
}

static void thread_close(void *ctx, int index, void *state)
{
    (void)ctx, (void)index;
    thread_state *t = state;
    souk_store_close(t->db);
    free(t);
}

/* One job; > 0 when one ran (look for the next at once). */
static int worker_pass(void *ctx, int index, void *state)
{
    (void)ctx, (void)index;
    thread_state *t = state;
    int r = souk__jobs_run_one(t->db, souk_time_now_us(), t->token);
    if (r < 0)
        souk_log_error("jobs: worker %s: database error %d: %s", t->token, r, souk_store_errmsg(t->db));
    souk_store_idle(t->db);
    return r == 1;
}

/* The scheduler's connection also writes the schedules before any thread runs. */
static int scheduler_open(void *ctx, int index, void **state)
{
    if (thread_open(ctx, index, state) < 0)
        return -1;
    thread_state *t = *state;
    int r = souk__jobs_sync_schedules(t->db, souk_time_now_us());
    souk_store_idle(t->db);
    if (r < 0) {
        souk_log_error("jobs: cannot write the schedules: %s", souk_store_errmsg(t->db));
        thread_close(ctx, index, t);
        *state = NULL;
        return -1;
    }
    return 0;
}

static int scheduler_pass(void *ctx, int index, void *state)
{
    (void)ctx, (void)index;
    thread_state *t = state;
    int64_t now = souk_time_now_us();
    int n = souk__jobs_schedule_tick(t->db, now);
    if (n < 0)
        souk_log_error("jobs: scheduler: database error %d: %s", n, souk_store_errmsg(t->db));
    if (t->last_purge == 0 || souk_time_mono_us() - t->last_purge >= PURGE_EVERY_US) {
        if (souk__jobs_purge_done(t->db, now - SOUK_JOB_DONE_RETENTION_US) < 0)
            souk_log_error("jobs: purge of done jobs failed: %s", souk_store_errmsg(t->db));
        t->last_purge = souk_time_mono_us();
    }
    if (souk__jobs_update_gauges(t->db) < 0)
        souk_log_error("jobs: cannot count jobs: %s", souk_store_errmsg(t->db));
    souk_store_idle(t->db);
    if (n > 0)
        souk_worker_kick(&workers);
    return 0; /* tick again in a second */
}

bool souk__jobs_running(void)
{
    return souk_worker_running(&workers) || souk_worker_running(&scheduler);
}

int souk_jobs_start(const char *db_dsn, int threads)
{
    if (!db_dsn || threads < 1 || threads > SOUK_JOB_THREADS_MAX) {
        souk_log_error("jobs: not started: bad arguments");
        return -1;
    }
    if (souk__jobs_running())
        return -1;
    souk_worker_spec sched = {.name = "jobs scheduler",
                              .threads = 1,
                              .poll_ms = SCHEDULER_TICK_MS,
                              .ctx = (void *)db_dsn,
                              .init = scheduler_open,
                              .pass = scheduler_pass,
                              .release = thread_close};
    souk_worker_spec work = {.name = "jobs",
                             .threads = threads,
                             .poll_ms = SOUK_JOB_POLL_MS,
                             .ctx = (void *)db_dsn,
                             .init = thread_open,
                             .pass = worker_pass,
                             .release = thread_close};
    if (souk_worker_start(&scheduler, &sched) < 0)
        return -1;
    if (souk_worker_start(&workers, &work) < 0) {
        souk_worker_stop(&scheduler);
        return -1;
    }
    souk_log_info("jobs: %d worker thread%s and the scheduler started", threads, threads == 1 ? "" : "s");
    return 0;
}

void souk_jobs_kick(void)
{
    souk_worker_kick(&workers);
}

bool souk_jobs_stopping(void)
{
    return souk_worker_stopping(&workers);
}

void souk_jobs_stop(void)
{
    souk_worker_stop(&workers); /* each finishes the job in hand and records it */
    souk_worker_stop(&scheduler);
}
