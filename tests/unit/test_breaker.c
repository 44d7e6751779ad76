/*
 * Unit tests for src/core/breaker.c: the circuit-breaker state machine on an
 * injected clock, its settings, and the named breakers' /metrics series.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/breaker.h"
#include "core/buf.h"
#include "core/metrics.h"

#define S INT64_C(1000000)

static void fail_n(souk_breaker *b, int n, int64_t now)
{
    for (int i = 0; i < n; i++) {
        assert_true(souk_breaker_allow(b, now, NULL));
        souk_breaker_record(b, false, now);
    }
}

static void test_opens_after_consecutive_failures(void **state)
{
    (void)state;
    souk_breaker b;
    souk_breaker_init(&b, "t", &(souk_breaker_config){.failures = 3, .cooldown_us = 10 * S});
    fail_n(&b, 2, 0);
    assert_int_equal(souk_breaker_state_of(&b, NULL), SOUK_BREAKER_CLOSED);
    /* a success in between starts the count again */
    assert_true(souk_breaker_allow(&b, 0, NULL));
    souk_breaker_record(&b, true, 0);
    fail_n(&b, 2, 1);
    assert_int_equal(souk_breaker_state_of(&b, NULL), SOUK_BREAKER_CLOSED);
    fail_n(&b, 1, 2 * S);
    int64_t opens = 0;
    assert_int_equal(souk_breaker_state_of(&b, &opens), SOUK_BREAKER_OPEN);
    assert_int_equal(opens, 1);
    int64_t wait = 0;
    assert_false(souk_breaker_allow(&b, 2 * S, &wait));
    assert_int_equal(wait, 10 * S);
    assert_false(souk_breaker_allow(&b, 11 * S + 1, &wait)); /* 0.999999 s left: rounded up */
    assert_int_equal(wait, 1 * S);
    souk_breaker_destroy(&b);
}

static void test_half_open_lets_one_probe(void **state)
{
    (void)state;
    souk_breaker b;
    souk_breaker_init(&b, "t", &(souk_breaker_config){.failures = 1, .cooldown_us = 5 * S});
    fail_n(&b, 1, 100 * S);
    assert_true(souk_breaker_refusing(&b, 104 * S, NULL));
    assert_false(souk_breaker_refusing(&b, 105 * S, NULL)); /* looking takes no probe */
    assert_int_equal(souk_breaker_state_of(&b, NULL), SOUK_BREAKER_OPEN);
    assert_true(souk_breaker_allow(&b, 105 * S, NULL)); /* the probe */
    assert_int_equal(souk_breaker_state_of(&b, NULL), SOUK_BREAKER_HALF_OPEN);
    int64_t wait = 0;
    assert_false(souk_breaker_allow(&b, 105 * S, &wait)); /* everybody else waits */
    assert_true(souk_breaker_refusing(&b, 106 * S, NULL));
    souk_breaker_record(&b, true, 106 * S);
    assert_int_equal(souk_breaker_state_of(&b, NULL), SOUK_BREAKER_CLOSED);
    assert_true(souk_breaker_allow(&b, 106 * S, NULL));
    assert_true(souk_breaker_allow(&b, 106 * S, NULL));
    souk_breaker_destroy(&b);
}

static void test_failed_probe_reopens(void **state)
{
    (void)state;
    souk_breaker b;
    souk_breaker_init(&b, "t", &(souk_breaker_config){.failures = 2, .cooldown_us = 5 * S});
    fail_n(&b, 2, 0);
    assert_true(souk_breaker_allow(&b, 5 * S, NULL));
    souk_breaker_record(&b, false, 6 * S);
    int64_t opens = 0, wait = 0;
    assert_int_equal(souk_breaker_state_of(&b, &opens), SOUK_BREAKER_OPEN);
    assert_int_equal(opens, 2);
    assert_false(souk_breaker_allow(&b, 10 * S, &wait)); /* a new cool-down from the probe's failure */
    assert_int_equal(wait, 1 * S);
    assert_true(souk_breaker_allow(&b, 11 * S, NULL));
    souk_breaker_destroy(&b);
}

static void test_lost_probe_is_replaced(void **state)
{
    (void)state;
    souk_breaker b;
    souk_breaker_init(&b, "t", &(souk_breaker_config){.failures = 1, .cooldown_us = 5 * S});
    fail_n(&b, 1, 0);
    assert_true(souk_breaker_allow(&b, 5 * S, NULL)); /* the probe, which never reports */
    assert_false(souk_breaker_allow(&b, 9 * S, NULL));
    assert_true(souk_breaker_allow(&b, 10 * S, NULL)); /* a second probe */
    assert_false(souk_breaker_allow(&b, 10 * S, NULL));
    souk_breaker_record(&b, true, 10 * S);
    assert_int_equal(souk_breaker_state_of(&b, NULL), SOUK_BREAKER_CLOSED);
    souk_breaker_destroy(&b);
}

static void test_late_outcomes_while_open_are_ignored(void **state)
{
    (void)state;
    souk_breaker b;
    souk_breaker_init(&b, "t", &(souk_breaker_config){.failures = 1, .cooldown_us = 5 * S});
    assert_true(souk_breaker_allow(&b, 0, NULL)); /* two calls in flight */
    assert_true(souk_breaker_allow(&b, 0, NULL));
    souk_breaker_record(&b, false, 1 * S);
    souk_breaker_record(&b, true, 1 * S); /* the slow one succeeds: still open */
    assert_int_equal(souk_breaker_state_of(&b, NULL), SOUK_BREAKER_OPEN);
    assert_false(souk_breaker_allow(&b, 2 * S, NULL));
    souk_breaker_destroy(&b);
}

static void test_config_defaults_and_env(void **state)
{
    (void)state;
    souk_breaker b;
    souk_breaker_init(&b, "t", &(souk_breaker_config){.failures = 0, .cooldown_us = -1});
    assert_int_equal(b.cfg.failures, SOUK_BREAKER_DEFAULT_FAILURES);
    assert_int_equal(b.cfg.cooldown_us, SOUK_BREAKER_DEFAULT_COOLDOWN_US);
    souk_breaker_destroy(&b);
    souk_breaker_config c;
    setenv("SOUK_BREAKER_FAILURES", "7", 1);
    setenv("SOUK_BREAKER_COOLDOWN_S", "2", 1);
    souk_breaker_config_env(&c);
    assert_int_equal(c.failures, 7);
    assert_int_equal(c.cooldown_us, 2 * S);
    const char *bad[] = {"0", "-3", "4000", "5x", "", "99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("SOUK_BREAKER_FAILURES", bad[i], 1);
        setenv("SOUK_BREAKER_COOLDOWN_S", bad[i], 1);
        souk_breaker_config_env(&c);
        assert_int_equal(c.failures, SOUK_BREAKER_DEFAULT_FAILURES);
        assert_int_equal(c.cooldown_us, SOUK_BREAKER_DEFAULT_COOLDOWN_US);
    }
    unsetenv("SOUK_BREAKER_FAILURES");
    unsetenv("SOUK_BREAKER_COOLDOWN_S");
}

static void count(souk_breaker *b, void *arg)
{
    (void)b;
    (*(int *)arg)++;
}

static void test_named_breakers_in_metrics(void **state)
{
    (void)state;
    setenv("SOUK_BREAKER_FAILURES", "2", 1);
    souk_breaker *a = souk_breaker_named("payments");
    assert_non_null(a);
    assert_ptr_equal(souk_breaker_named("payments"), a);
    assert_int_equal(a->cfg.failures, 2);
    souk_breaker *w = souk_breaker_named("webhook:h\"x");
    assert_non_null(w);
    assert_null(souk_breaker_named(""));
    char big[SOUK_BREAKER_NAME_MAX + 1];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_null(souk_breaker_named(big));
    fail_n(a, 2, 0);
    souk_buf out;
    souk_buf_init(&out, 1 << 20);
    souk_metrics_render(&out);
    souk_buf_add(&out, "", 1);
    assert_non_null(strstr(out.data, "souk_breaker_state{breaker=\"payments\"} 2\n"));
    assert_non_null(strstr(out.data, "souk_breaker_opens_total{breaker=\"payments\"} 1\n"));
    assert_non_null(strstr(out.data, "souk_breaker_state{breaker=\"webhook:h\\\"x\"} 0\n"));
    assert_non_null(strstr(out.data, "# TYPE souk_breaker_state gauge"));
    souk_buf_release(&out);
    int n = 0;
    souk_breaker_each(count, &n);
    assert_int_equal(n, 2);
    /* the table is bounded */
    char name[32];
    int made = 2;
    for (int i = 0; i < SOUK_BREAKER_MAX + 5; i++) {
        snprintf(name, sizeof name, "n%d", i);
        if (souk_breaker_named(name))
            made++;
    }
    assert_int_equal(made, SOUK_BREAKER_MAX);
    unsetenv("SOUK_BREAKER_FAILURES");
}

/* many threads failing and succeeding at once: the counts stay consistent */
static souk_breaker shared;
static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++)
        if (souk_breaker_allow(&shared, i, NULL))
            souk_breaker_record(&shared, false, i);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    souk_breaker_init(&shared, "t", &(souk_breaker_config){.failures = 3, .cooldown_us = 1000});
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    int64_t opens = 0;
    assert_int_equal(souk_breaker_state_of(&shared, &opens), SOUK_BREAKER_OPEN);
    assert_true(opens >= 1);
    souk_breaker_destroy(&shared);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opens_after_consecutive_failures),
        cmocka_unit_test(test_half_open_lets_one_probe),
        cmocka_unit_test(test_failed_probe_reopens),
        cmocka_unit_test(test_lost_probe_is_replaced),
        cmocka_unit_test(test_late_outcomes_while_open_are_ignored),
        cmocka_unit_test(test_config_defaults_and_env),
        cmocka_unit_test(test_named_breakers_in_metrics),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
