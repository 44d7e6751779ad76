/*
 * metrics.c — the queue's metrics: souk_jobs{state} gauges refreshed by the
 * scheduler, souk_job_runs_total{kind,outcome} counted as outcomes are
 * recorded. Both use core/metrics.h's generic series.
 */
#include "jobs/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/metrics.h"
#include "core/banned.h"

static const char *const states[] = {"queued", "running", "done", "dead"};

void souk__jobs_count_outcome(const char *kind, const char *outcome)
{
    char labels[160];
    snprintf(labels, sizeof labels, "kind=\"%s\",outcome=\"%s\"", souk__jobs_kind_ok(kind) ? kind : "invalid",
             outcome ? outcome : "unknown");
    souk_metrics_series_add(souk_metrics_series("souk_job_runs_total", labels, SOUK_METRIC_COUNTER,
                                                "Job attempts by kind and outcome (failed = will be retried)."),
                            1);
}

int souk__jobs_update_gauges(souk_store *db)
{
    int64_t counts[4] = {0, 0, 0, 0};
    souk_stmt *st = souk_store_query(db, "SELECT state, count(*) FROM jobs GROUP BY state", NULL);
    char state[16];
    int64_t n;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_STR(state), SOUK_COL_I64(&n)))) == SOUK_DB_ROW)
        for (int i = 0; i < 4; i++)
            if (strcmp(state, states[i]) == 0)
                counts[i] = n;
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
