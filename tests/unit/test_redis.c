/* test_redis.c — the Redis adapter (src/http/redis*.c): URL checking, the
 * no-op when not configured, and, when SOUK_TEST_REDIS names a throw-away
 * server (tests/run.sh starts one with scripts/redis-test.sh), the shared
 * token bucket against the in-process one's arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <unistd.h>

#include "core/time.h"
#include "http/ratelimit.h"
#include "http/redis.h"

static void test_url_check(void **state)
{
    (void)state;
    char err[256];
    static const char *good[] = {
        "redis://127.0.0.1",           "redis://localhost:6379",       "redis://cache.internal:7000/3",
        "redis://:s3cret@10.0.0.5/1",  "redis://souk:p%40ss@host:1/0", "redis://host/",
        "redis://h-1.example_x:65535", "redis://host:6379/9999",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_int_equal(souk_redis_url_check(good[i], err, sizeof err), 0);
    static const char *bad[] = {
        "",
        "127.0.0.1:6379",
        "http://host:6379",
        "redis://",
        "redis://:6379",
        "redis://host:0",
        "redis://host:65536",
        "redis://host:12ab",
        "redis://host/10000",
        "redis://host/x",
        "redis://ho st",
        "redis://user@host",     /* credentials need a colon */
        "redis://user:@host",    /* and a password */
        "redis://:p%4@host",     /* a broken escape */
        "redis://:p%00@host",    /* no NUL */
        "redis://host;rm -rf /", /* the host is a name */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(souk_redis_url_check(bad[i], err, sizeof err), -1);
        assert_true(err[0] != '\0');
    }
    char longer[600];
    snprintf(longer, sizeof longer, "redis://%0550d", 1);
    assert_int_equal(souk_redis_url_check(longer, err, sizeof err), -1);
}

static void test_not_configured_is_a_no_op(void **state)
{
    (void)state;
    assert_false(souk_redis_configured());
    assert_false(souk_redis_up());
    bool allowed = true;
    double tokens = -1;
    assert_int_equal(souk_redis_take("x", 5, 60, 1, &allowed, &tokens), 0);
    assert_true(allowed && tokens == -1); /* untouched */
    souk_redis_publish(SOUK_REDIS_ALL);   /* nothing to send it to: returns at once */
    souk_redis_stop();                    /* harmless */
    char err[256];
    assert_int_equal(souk_redis_start("redis://127.0.0.1", 0, err, sizeof err), -1);
    assert_int_equal(souk_redis_start("nope", 100, err, sizeof err), -1);
    assert_false(souk_redis_configured());
}

/* The shared bucket refuses as the in-process one does: capacity, then refusal with the same
 * headers' values. Needs SOUK_TEST_REDIS. */
static void test_shared_bucket(void **state)
{
    (void)state;
    const char *url = getenv("SOUK_TEST_REDIS");
    if (!url || !*url) {
        printf("skipped: SOUK_TEST_REDIS is not set (tests/run.sh starts a redis-server when it is installed)\n");
        skip();
    }
    char err[256];
    assert_int_equal(souk_redis_start(url, 1000, err, sizeof err), 0);
    for (int i = 0; i < 300 && !souk_redis_up(); i++)
        usleep(10000);
    assert_true(souk_redis_up());
    char key[64];
    snprintf(key, sizeof key, "unit:%lld", (long long)souk_time_now_us());
    for (int i = 0; i < 5; i++) {
        souk_rate r = souk_ratelimit_take(key, 5, 60, 1, souk_time_mono_us());
        assert_true(r.allowed);
        assert_int_equal(r.limit, 5);
        assert_int_equal(r.remaining, 4 - i);
    }
    souk_rate r = souk_ratelimit_take(key, 5, 60, 1, souk_time_mono_us());
    assert_false(r.allowed);
    assert_int_equal(r.remaining, 0);
    assert_true(r.retry_after_s >= 12 && r.retry_after_s <= 13); /* one token per 12 s */
    assert_true(r.reset_s >= 59 && r.reset_s <= 60);
    /* a look (cost 0) takes nothing and is allowed */
    bool allowed = false;
    double tokens = 9;
    assert_int_equal(souk_redis_take(key, 5, 60, 0, &allowed, &tokens), 1);
    assert_true(allowed);
    assert_true(tokens >= 0 && tokens < 0.5);
    /* the in-process buckets were not used: the same key there is full */
    souk_redis_stop();
    assert_false(souk_redis_configured());
    assert_true(souk_ratelimit_take(key, 5, 60, 1, souk_time_mono_us()).allowed);
    assert_int_equal(souk_ratelimit_take(key, 5, 60, 0, souk_time_mono_us()).remaining, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_check),
        cmocka_unit_test(test_not_configured_is_a_no_op),
        cmocka_unit_test(test_shared_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
