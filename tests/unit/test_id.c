/*
 * Unit tests for src/core/id.c (time-ordered 64-bit ids and their typed
 * Crockford base32 text form).
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

#include "core/id.h"
#include "core/time.h"

#define PER_THREAD 100000

static int parse(const char *prefix, const char *text, int64_t *id)
{
    return souk_id_parse(prefix, text, strlen(text), id);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_next_strictly_increasing(void **state)
{
    (void)state;
    int64_t prev = souk_id_next();
    assert_true(prev > 0);
    for (int i = 0; i < 200000; i++) {
        int64_t id = souk_id_next();
        if (id <= prev)
            fail_msg("id %lld after %lld (step %d)", (long long)id, (long long)prev, i);
        prev = id;
    }
}

static void *gen_ids(void *arg)
{
    int64_t *out = arg;
    for (int i = 0; i < PER_THREAD; i++)
        out[i] = souk_id_next();
    return NULL;
}

static void test_next_two_threads(void **state)
{
    (void)state;
    int64_t *ids = malloc(sizeof(int64_t) * PER_THREAD * 2);
    assert_non_null(ids);
    pthread_t t[2];
    assert_int_equal(pthread_create(&t[0], NULL, gen_ids, ids), 0);
    assert_int_equal(pthread_create(&t[1], NULL, gen_ids, ids + PER_THREAD), 0);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    /* each thread saw a strictly increasing sequence */
    for (int k = 0; k < 2; k++)
        for (int i = 1; i < PER_THREAD; i++)
            if (ids[k * PER_THREAD + i] <= ids[k * PER_THREAD + i - 1])
                fail_msg("thread %d: id %d not increasing", k, i);
    /* and no id was handed out twice */
    qsort(ids, PER_THREAD * 2, sizeof(int64_t), cmp_i64);
    for (int i = 1; i < PER_THREAD * 2; i++)
        if (ids[i] == ids[i - 1])
            fail_msg("duplicate id %lld", (long long)ids[i]);
    /* ids handed out afterwards are larger than all of them */
    assert_true(souk_id_next() > ids[PER_THREAD * 2 - 1]);
    free(ids);
}

static void test_format_known(void **state)
{
    (void)state;
    char buf[SOUK_ID_TEXT_MAX];
    assert_ptr_equal(souk_id_format("prod", 1, buf), buf);
    assert_string_equal(buf, "prod_0000000000001");
    assert_string_equal(souk_id_format("var", 31, buf), "var_000000000000Z");
    assert_string_equal(souk_id_format("var", 32, buf), "var_0000000000010");
    assert_string_equal(souk_id_format("cat", INT64_MAX, buf), "cat_7ZZZZZZZZZZZZ");
    /* the alphabet skips I, L, O and U */
    assert_string_equal(souk_id_format("x", 18, buf), "x_000000000000J");
    assert_string_equal(souk_id_format("x", 21, buf), "x_000000000000N");
    assert_string_equal(souk_id_format("x", 27, buf), "x_000000000000V");
    assert_int_equal(strlen(souk_id_format("brand", souk_id_next(), buf)), 5 + 1 + 13);
}

static void test_round_trip(void **state)
{
    (void)state;
    const char *prefixes[] = {"prod", "var", "cat", "brand", "vend", "img", "req"};
    int64_t vals[] = {1, 2, 31, 32, 1023, 1024, INT64_C(0x123456789abcdef), INT64_MAX, INT64_MAX - 1, 0};
    vals[9] = souk_id_next();
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
            char buf[SOUK_ID_TEXT_MAX];
            souk_id_format(prefixes[p], vals[i], buf);
            int64_t back = 0;
            if (parse(prefixes[p], buf, &back) != 0)
                fail_msg("%s does not parse", buf);
            assert_int_equal(back, vals[i]);
        }
    }
}

static void test_parse_rejects(void **state)
{
    (void)state;
    int64_t id = 77;
    char good[SOUK_ID_TEXT_MAX];
    souk_id_format("prod", INT64_C(123456789012345), good);
    assert_int_equal(parse("prod", good, &id), 0);
    assert_int_equal(id, INT64_C(123456789012345));

    id = 77;
    /* wrong prefix */
    assert_int_equal(parse("var", good, &id), -1);
    assert_int_equal(parse("pro", good, &id), -1);
    assert_int_equal(parse("prodx", good, &id), -1);
    assert_int_equal(parse("prod", "PROD_00000000000AB", &id), -1);
    assert_int_equal(parse("prod", "prod-00000000000AB", &id), -1);
    assert_int_equal(parse("prod", "prod00000000000AB1", &id), -1);
    /* wrong length */
    assert_int_equal(parse("prod", "prod_00000000000A", &id), -1);   /* 12 chars */
    assert_int_equal(parse("prod", "prod_00000000000ABC", &id), -1); /* 14 chars */
    assert_int_equal(parse("prod", "prod_", &id), -1);
    assert_int_equal(parse("prod", "", &id), -1);
    /* characters outside the alphabet */
    assert_int_equal(parse("prod", "prod_00000000000AI", &id), -1);
    assert_int_equal(parse("prod", "prod_00000000000AL", &id), -1);
    assert_int_equal(parse("prod", "prod_00000000000AO", &id), -1);
    assert_int_equal(parse("prod", "prod_00000000000AU", &id), -1);
    assert_int_equal(parse("prod", "prod_00000000000A-", &id), -1);
    assert_int_equal(parse("prod", "prod_00000000000A ", &id), -1);
    assert_int_equal(parse("prod", "prod_00000000000A\x80", &id), -1);
    /* an embedded NUL inside the length is a bad character */
    assert_int_equal(souk_id_parse("prod", "prod_00000000000A\0", 18, &id), -1);
    /* zero is not an id */
    assert_int_equal(parse("prod", "prod_0000000000000", &id), -1);
    /* more than 63 bits */
    assert_int_equal(parse("prod", "prod_8000000000000", &id), -1);
    assert_int_equal(parse("prod", "prod_F000000000000", &id), -1);
    assert_int_equal(parse("prod", "prod_G000000000000", &id), -1);
    assert_int_equal(parse("prod", "prod_ZZZZZZZZZZZZZ", &id), -1);
    assert_int_equal(id, 77); /* never written on failure */
}

static void test_parse_lowercase(void **state)
{
    (void)state;
    /* id.c folds lower-case letters to upper case, so lower-case bodies parse
     * to the same id (the prefix stays case-sensitive) */
    char buf[SOUK_ID_TEXT_MAX];
    int64_t want = INT64_C(0x0123456789abcdef), a = 0, b = 0;
    souk_id_format("prod", want, buf);
    assert_int_equal(parse("prod", buf, &a), 0);
    for (char *p = buf + 5; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    assert_int_equal(parse("prod", buf, &b), 0);
    assert_int_equal(a, want);
    assert_int_equal(b, want);
    /* lower-case letters outside the alphabet are still rejected */
    assert_int_equal(parse("prod", "prod_00000000000ai", &a), -1);
    assert_int_equal(parse("prod", "prod_00000000000au", &a), -1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_text_order_is_numeric_order(void **state)
{
    (void)state;
    enum { N = 2000 };
    static int64_t nums[N];
    static char texts[N][SOUK_ID_TEXT_MAX];
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* mix widths so some ids have many leading zeros */
        int64_t v = (int64_t)((x >> 1) >> (unsigned)(i % 60));
        nums[i] = v ? v : 1;
    }
    nums[0] = 1;
    nums[1] = INT64_MAX;
    nums[2] = souk_id_next();
    for (int i = 0; i < N; i++)
        souk_id_format("prod", nums[i], texts[i]);
    qsort(nums, N, sizeof nums[0], cmp_i64);
    qsort(texts, N, sizeof texts[0], cmp_str);
    for (int i = 0; i < N; i++) {
        int64_t back;
        assert_int_equal(parse("prod", texts[i], &back), 0);
        if (back != nums[i])
            fail_msg("position %d: text %s is %lld, numeric order has %lld", i, texts[i], (long long)back,
                     (long long)nums[i]);
    }
    /* consecutive fresh ids compare the same way as text */
    char a[SOUK_ID_TEXT_MAX], b[SOUK_ID_TEXT_MAX];
    souk_id_format("var", souk_id_next(), a);
    souk_id_format("var", souk_id_next(), b);
    assert_true(strcmp(a, b) < 0);
}

static void test_time_ms(void **state)
{
    (void)state;
    int64_t before = souk_time_now_us() / 1000;
    int64_t id = souk_id_next();
    int64_t after = souk_time_now_us() / 1000;
    int64_t t = souk_id_time_ms(id);
    /* ids may run slightly ahead of the clock when the sequence overflowed a
     * millisecond; allow a little either way */
    if (t < before - 5 || t > after + 1000)
        fail_msg("id time %lld not within [%lld, %lld]", (long long)t, (long long)before, (long long)after);
    /* an id built from a known millisecond decodes back to it */
    int64_t epoch_2020 = INT64_C(1577836800000);
    assert_int_equal(souk_id_time_ms(INT64_C(0)), epoch_2020);
    assert_int_equal(souk_id_time_ms((INT64_C(1000) << 20) | 12345), epoch_2020 + 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_strictly_increasing),
        cmocka_unit_test(test_next_two_threads),
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_lowercase),
        cmocka_unit_test(test_text_order_is_numeric_order),
        cmocka_unit_test(test_time_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
