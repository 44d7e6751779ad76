/* test_ratelimit.c — token buckets (src/http/ratelimit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "http/ratelimit.h"

#define SEC INT64_C(1000000)

static void test_capacity_then_refuse(void **state)
{
    (void)state;
    souk_ratelimit_reset();
    int64_t t = 1000 * SEC;
    for (int i = 0; i < 5; i++) {
        souk_rate r = souk_ratelimit_take("a", 5, 60, 1, t);
        assert_true(r.allowed);
        assert_int_equal(r.limit, 5);
        assert_int_equal(r.remaining, 4 - i);
    }
    souk_rate r = souk_ratelimit_take("a", 5, 60, 1, t);
    assert_false(r.allowed);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.retry_after_s, 13); /* one token per 12 s, rounded up */
    assert_true(r.reset_s >= 59 && r.reset_s <= 60);
}

static void test_refills_continuously(void **state)
{
    (void)state;
    souk_ratelimit_reset();
    int64_t t = 5000 * SEC;
    for (int i = 0; i < 3; i++)
        souk_ratelimit_take("b", 3, 30, 1, t);
    assert_false(souk_ratelimit_take("b", 3, 30, 1, t).allowed);
    assert_false(souk_ratelimit_take("b", 3, 30, 1, t + 9 * SEC).allowed); /* 10 s per token */
    assert_true(souk_ratelimit_take("b", 3, 30, 1, t + 10 * SEC + 1).allowed);
    assert_false(souk_ratelimit_take("b", 3, 30, 1, t + 10 * SEC + 2).allowed);
    /* never above capacity after a long pause */
    souk_rate r = souk_ratelimit_take("b", 3, 30, 0, t + 3600 * SEC);
    assert_int_equal(r.remaining, 3);
}

static void test_keys_are_independent_and_peek_costs_nothing(void **state)
{
    (void)state;
    souk_ratelimit_reset();
    int64_t t = 9000 * SEC;
    souk_ratelimit_take("x", 1, 60, 1, t);
    assert_false(souk_ratelimit_take("x", 1, 60, 1, t).allowed);
    assert_true(souk_ratelimit_take("y", 1, 60, 1, t).allowed);
    for (int i = 0; i < 10; i++)
        assert_int_equal(souk_ratelimit_take("z", 2, 60, 0, t).remaining, 2);
}

static void test_zero_capacity_is_unlimited(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++)
        assert_true(souk_ratelimit_take("u", 0, 60, 1, 0).allowed);
}

static void test_many_keys_stay_bounded(void **state)
{
    (void)state;
    souk_ratelimit_reset();
    char key[32];
    int64_t t = 20000 * SEC;
    /* far more keys than the table holds: must keep working (compaction) */
    for (int i = 0; i < 300000; i++) {
        snprintf(key, sizeof key, "ip:%d", i);
        assert_true(souk_ratelimit_take(key, 10, 60, 1, t).allowed);
    }
    /* a fresh key still gets its full budget */
    assert_int_equal(souk_ratelimit_take("fresh", 10, 60, 1, t).remaining, 9);
}

static void test_flood_keeps_refusals(void **state)
{
    (void)state;
    souk_ratelimit_reset();
    int64_t t = 30000 * SEC;
    for (int i = 0; i < 5; i++)
        assert_true(souk_ratelimit_take("loginfail:account:victim", 5, 900, 1, t).allowed);
    assert_false(souk_ratelimit_take("loginfail:account:victim", 5, 900, 1, t).allowed);
    /* an attacker spends one token on each of many fresh keys to force compactions */
    char key[32];
    for (int i = 0; i < 400000; i++) {
        snprintf(key, sizeof key, "loginfail:account:x%d", i);
        souk_ratelimit_take(key, 5, 900, 1, t);
    }
    /* the exhausted bucket was kept, and is still found */
    assert_false(souk_ratelimit_take("loginfail:account:victim", 5, 900, 1, t).allowed);
    /* keys taken after the last compaction are found again too */
    souk_rate again = souk_ratelimit_take("loginfail:account:x399999", 5, 900, 1, t);
    assert_int_equal(again.remaining, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_then_refuse),
        cmocka_unit_test(test_refills_continuously),
        cmocka_unit_test(test_keys_are_independent_and_peek_costs_nothing),
        cmocka_unit_test(test_zero_capacity_is_unlimited),
        cmocka_unit_test(test_many_keys_stay_bounded),
        cmocka_unit_test(test_flood_keeps_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
