/*
 * lease.c — how long a claim holds a job (SOUK_JOB_LEASE_S, default 5 min),
 * and the test-only kind "test.hold" (SOUK_TEST_JOBS=1) that holds its
 * worker for a while, renewing its lease, so a test can kill the node
 * running it and watch another node run it again once the lease is out.
 */
#include "jobs/internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "core/banned.h"

#define LEASE_MIN_US INT64_C(1000000)
#define LEASE_MAX_US (INT64_C(86400) * 1000000)
#define HOLD_MAX_MS 600000
#define HOLD_STEP_MS 50

static _Atomic int64_t lease_us = SOUK_JOB_LEASE_US;

int64_t souk_job_lease_us(void)
{
    return atomic_load_explicit(&lease_us, memory_order_relaxed);
}

void souk_jobs_set_lease_us(int64_t us)
{
    atomic_store(&lease_us, us < LEASE_MIN_US ? LEASE_MIN_US : us > LEASE_MAX_US ? LEASE_MAX_US : us);
}

static void count_hold(const char *phase)
{
    char labels[32];
    snprintf(labels, sizeof labels, "phase=\"%s\"", phase);
    souk_metrics_series_add(souk_metrics_series("souk_job_test_holds_total", labels, SOUK_METRIC_COUNTER,
                                                "Runs of the test-only job test.hold (SOUK_TEST_JOBS=1) started "
                                                "and completed in this process"),
                            1);
}

static int hold_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    const json_t *first = json_object_get(payload, "ms"), *then = json_object_get(payload, "then_ms");
    json_int_t ms = json_integer_value(first), later = then ? json_integer_value(then) : ms;
    if (!json_is_integer(first) || ms < 1 || ms > HOLD_MAX_MS || (then && !json_is_integer(then)) || later < 1 ||
        later > HOLD_MAX_MS) {
        snprintf(err, errlen, "test.hold: payload.ms (and then_ms) must be 1-%d", HOLD_MAX_MS);
        return -1;
    }
    if (souk_job_attempt() > 1)
        ms = later;
    count_hold("started");
    souk_log_info("jobs: test.hold (attempt %lld) holds this worker for %lld ms", (long long)souk_job_attempt(),
                  (long long)ms);
    int64_t end = souk_time_mono_us() + (int64_t)ms * 1000;
    while (souk_time_mono_us() < end) {
        if (souk_jobs_stopping()) {
            snprintf(err, errlen, "test.hold: the workers stop");
            return SOUK_JOB_INTERRUPTED;
        }
        if (souk_job_keep_alive(db) == SOUK_JOB_LEASE_LOST) {
            snprintf(err, errlen, "test.hold: its lease was lost to another worker");
            return -1;
        }
        nanosleep(&(struct timespec){.tv_nsec = HOLD_STEP_MS * 1000000L}, NULL);
    }
    count_hold("completed");
    return 0;
}

void souk_jobs_register_test_kinds(void)
{
    const char *on = getenv("SOUK_TEST_JOBS");
    if (!on || strcmp(on, "1") != 0)
        return;
    if (souk_job_register("test.hold", hold_job, 3) == 0)
        souk_log_warn("SOUK_TEST_JOBS=1: the test-only job kind test.hold is registered (never set this in "
                      "production)");
}
