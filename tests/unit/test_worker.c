/*
 * Unit tests for src/core/worker.c: threads get their state from init and
 * give it back through release, passes repeat at once while they find work,
 * a kick wakes sleeping threads (also one that arrives during a pass), stop
 * waits for the pass in hand, a failed init leaves nothing running.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "core/worker.h"

typedef struct counters {
    atomic_int inits, releases, passes, work_left, fail_init_at;
    atomic_int in_pass, slow_ms;
} counters;

static int init_cb(void *ctx, int index, void **state)
{
    counters *c = ctx;
    if (atomic_load(&c->fail_init_at) == index + 1)
        return -1;
    atomic_fetch_add(&c->inits, 1);
    int *s = malloc(sizeof *s);
    *s = index;
    *state = s;
    return 0;
}

static int pass_cb(void *ctx, int index, void *state)
{
    counters *c = ctx;
    assert_int_equal(*(int *)state, index);
    atomic_store(&c->in_pass, 1);
    atomic_fetch_add(&c->passes, 1);
    int ms = atomic_load(&c->slow_ms);
    if (ms)
        usleep((useconds_t)ms * 1000);
    atomic_store(&c->in_pass, 0);
    return atomic_fetch_sub(&c->work_left, 1) > 0; /* > 0: there was work, go on */
}

static void release_cb(void *ctx, int index, void *state)
{
    counters *c = ctx;
    assert_int_equal(*(int *)state, index);
    free(state);
    atomic_fetch_add(&c->releases, 1);
}

static void wait_passes(counters *c, int n)
{
    for (int i = 0; i < 300 && atomic_load(&c->passes) < n; i++)
        usleep(10000);
}

static souk_worker_spec spec_for(counters *c, int threads, int poll_ms)
{
    return (souk_worker_spec){.name = "test",
                              .threads = threads,
                              .poll_ms = poll_ms,
                              .ctx = c,
                              .init = init_cb,
                              .pass = pass_cb,
                              .release = release_cb};
}

static void test_start_kick_stop(void **state)
{
    (void)state;
    static souk_worker w = SOUK_WORKER_INIT;
    counters c = {0};
    souk_worker_spec spec = spec_for(&c, 3, 60000); /* a long poll: only kicks wake it */
    souk_worker_kick(&w);                           /* not running: a no-op */
    souk_worker_stop(&w);
    assert_false(souk_worker_running(&w));
    spec.threads = 0;
    assert_int_equal(souk_worker_start(&w, &spec), -1);
    spec.threads = 3;
    atomic_store(&c.work_left, 10);
    assert_int_equal(souk_worker_start(&w, &spec), 0);
    assert_int_equal(souk_worker_start(&w, &spec), -1); /* already running */
    assert_true(souk_worker_running(&w));
    assert_int_equal(atomic_load(&c.inits), 3);
    /* the threads go on while passes find work: 10 with work, then one idle pass each */
    wait_passes(&c, 13);
    usleep(50000);
    assert_int_equal(atomic_load(&c.passes), 13);
    /* a kick: one more pass per thread */
    souk_worker_kick(&w);
    wait_passes(&c, 16);
    usleep(50000);
    assert_int_equal(atomic_load(&c.passes), 16);
    assert_false(souk_worker_stopping(&w));
    souk_worker_stop(&w);
    souk_worker_stop(&w); /* twice is fine */
    assert_false(souk_worker_running(&w));
    assert_int_equal(atomic_load(&c.releases), 3);
    /* and it starts again */
    assert_int_equal(souk_worker_start(&w, &spec), 0);
    wait_passes(&c, 19);
    souk_worker_stop(&w);
    assert_int_equal(atomic_load(&c.releases), 6);
}

static void test_kick_during_pass_is_kept(void **state)
{
    (void)state;
    static souk_worker w = SOUK_WORKER_INIT;
    counters c = {0};
    atomic_store(&c.slow_ms, 100);
    souk_worker_spec spec = spec_for(&c, 1, 60000);
    assert_int_equal(souk_worker_start(&w, &spec), 0);
    for (int i = 0; i < 300 && !atomic_load(&c.in_pass); i++)
        usleep(1000);
    souk_worker_kick(&w); /* while the first pass runs */
    wait_passes(&c, 2);
    assert_int_equal(atomic_load(&c.passes), 2);
    /* stop waits for the pass in hand */
    wait_passes(&c, 2);
    souk_worker_kick(&w);
    for (int i = 0; i < 300 && !atomic_load(&c.in_pass); i++)
        usleep(1000);
    souk_worker_stop(&w);
    assert_int_equal(atomic_load(&c.in_pass), 0);
    assert_int_equal(atomic_load(&c.releases), 1);
}

static void test_failed_init_leaves_nothing(void **state)
{
    (void)state;
    static souk_worker w = SOUK_WORKER_INIT;
    counters c = {0};
    atomic_store(&c.fail_init_at, 3); /* the third thread's init fails */
    souk_worker_spec spec = spec_for(&c, 4, 1000);
    assert_int_equal(souk_worker_start(&w, &spec), -1);
    assert_false(souk_worker_running(&w));
    assert_int_equal(atomic_load(&c.inits), 2);
    assert_int_equal(atomic_load(&c.releases), 2);
    assert_int_equal(atomic_load(&c.passes), 0);
}

static void test_poll_without_kick(void **state)
{
    (void)state;
    static souk_worker w = SOUK_WORKER_INIT;
    counters c = {0};
    souk_worker_spec spec = spec_for(&c, 1, 50);
    int64_t t0 = souk_time_mono_us();
    assert_int_equal(souk_worker_start(&w, &spec), 0);
    wait_passes(&c, 3); /* idle passes 50 ms apart */
    int64_t took = souk_time_mono_us() - t0;
    souk_worker_stop(&w);
    assert_true(atomic_load(&c.passes) >= 3);
    assert_true(took >= 90000);
}

int main(void)
{
    souk_log_set_level(SOUK_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_kick_stop),
        cmocka_unit_test(test_kick_during_pass_is_kept),
        cmocka_unit_test(test_failed_init_leaves_nothing),
        cmocka_unit_test(test_poll_without_kick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
