/*
 * schedule.c — what the scheduler thread does: write the schedules at
 * start, enqueue each due scheduled kind once per due time, and delete old
 * done jobs.
 *
 * Once per due time across processes: a tick moves next_run_at on with a
 * compare-and-set on the value it read, and only the scheduler whose update
 * changed the row enqueues, with the dedupe key "KIND@<due time>". Due times
 * missed while no scheduler ran fold into one run.
 */
#include "jobs/internal.h"

#include <stdio.h>

#include "core/time.h"
#include "core/banned.h"

#define PURGE_BATCH 1000

int souk__jobs_sync_schedules(souk_store *db, int64_t now)
{
    souk__job_schedule copy[SOUK_JOB_KINDS_MAX];
    int n = souk__jobs_schedules(copy), r = 0;
    for (int i = 0; i < n && r >= 0; i++)
        r = (int)souk_store_update_tx(db,
                                      "INSERT INTO job_schedules (kind, cron, next_run_at) VALUES ($1, $2, $3) "
                                      "ON CONFLICT (kind) DO UPDATE SET cron = excluded.cron, "
                                      "next_run_at = excluded.next_run_at WHERE job_schedules.cron <> excluded.cron",
                                      SOUK_ARGS(SOUK_TEXT(copy[i].kind), SOUK_TEXT(copy[i].cron),
                                                SOUK_I64(souk_cron_next(&copy[i].parsed, now))));
    return r < 0 ? r : 0;
}

typedef struct tick_ctx {
    const souk__job_schedule *s;
    int64_t now;
} tick_ctx;

static int tick_fn(souk_store *db, void *vctx)
{
    tick_ctx *cx = vctx;
    int64_t due;
    int r = souk_store_one(db, "SELECT next_run_at FROM job_schedules WHERE kind = $1 AND cron = $2",
                           SOUK_ARGS(SOUK_TEXT(cx->s->kind), SOUK_TEXT(cx->s->cron)), SOUK_COLS(SOUK_COL_I64(&due)));
    if (r != SOUK_DB_ROW)
        return r; /* no row (another process holds a different expression): not ours to run */
    if (due > cx->now)
        return 0;
    int64_t next = souk_cron_next(&cx->s->parsed, cx->now); /* missed due times fold into this run */
    if (next < 0)
        return SOUK_DB_HARD;
    /* compare-and-set: only the scheduler that moves next_run_at enqueues */
    int64_t moved =
        souk_store_update(db, "UPDATE job_schedules SET next_run_at = $3 WHERE kind = $1 AND next_run_at = $2",
                          SOUK_ARGS(SOUK_TEXT(cx->s->kind), SOUK_I64(due), SOUK_I64(next)));
    if (moved < 0)
        return (int)moved;
    if (moved != 1)
        return 0;
    char when[SOUK_RFC3339_LEN], key[SOUK_JOB_KIND_MAX + SOUK_RFC3339_LEN + 2];
    souk_time_format(due, when);
    snprintf(key, sizeof key, "%s@%s", cx->s->kind, when);
    r = souk_job_enqueue_tx(db, cx->s->kind, json_pack("{s:s}", "scheduled_for", when), 0, key);
    return r < 0 ? r : r == 0;
}

int souk__jobs_schedule_tick(souk_store *db, int64_t now)
{
    souk__job_schedule copy[SOUK_JOB_KINDS_MAX];
    int n = souk__jobs_schedules(copy);
    if (n == 0)
        return 0;
    /* a plain read first: nothing due, no write lock */
    int r = souk_store_one(db, "SELECT 1 FROM job_schedules WHERE next_run_at <= $1 LIMIT 1", SOUK_ARGS(SOUK_I64(now)),
                           NULL);
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
    int64_t n = souk_store_update(db,
                                  "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'done' AND "
                                  "finished_at < $1 LIMIT $2)",
                                  SOUK_ARGS(SOUK_I64(before), SOUK_I64(PURGE_BATCH)));
    return (int)n;
}

int64_t souk__jobs_purge_done(souk_store *db, int64_t before)
{
    int64_t total = 0;
    int d;
    while ((d = souk_store_tx(db, purge_fn, &before)) > 0) {
        total += d;
        if (d < PURGE_BATCH)
            break;
    }
    return d < 0 ? d : total;
}
