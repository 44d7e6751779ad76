/*
 * Unit tests for src/core/query.c (bounded x-www-form-urlencoded parsing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/query.h"

static souk_arena arena;

static int setup(void **state)
{
    (void)state;
    souk_arena_init(&arena, 4096, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    souk_arena_release(&arena);
    return 0;
}

static void parse_ok(souk_query *q, const char *raw)
{
    const char *err = NULL;
    if (souk_query_parse(q, raw, strlen(raw), &arena, &err) != 0)
        fail_msg("rejected \"%s\": %s", raw, err ? err : "(no reason)");
}

static void expect_bad(const char *raw, size_t len, const char *reason_part)
{
    souk_query q;
    const char *err = NULL;
    if (souk_query_parse(&q, raw, len, &arena, &err) != -1)
        fail_msg("accepted \"%.60s\"", raw);
    assert_non_null(err);
    if (reason_part && !strstr(err, reason_part))
        fail_msg("reason \"%s\" does not mention \"%s\"", err, reason_part);
}

static void expect_param(const souk_query *q, size_t i, const char *key, const char *value, size_t vlen)
{
    assert_true(i < q->count);
    assert_string_equal(q->items[i].key, key);
    assert_int_equal(q->items[i].value_len, vlen);
    assert_memory_equal(q->items[i].value, value, vlen);
    assert_int_equal(q->items[i].value[vlen], '\0');
}

static void test_basic(void **state)
{
    (void)state;
    souk_query q;
    parse_ok(&q, "a=1&b=two&c=");
    assert_int_equal(q.count, 3);
    expect_param(&q, 0, "a", "1", 1);
    expect_param(&q, 1, "b", "two", 3);
    expect_param(&q, 2, "c", "", 0);
    parse_ok(&q, "");
    assert_int_equal(q.count, 0);
    /* a second parse starts over */
    parse_ok(&q, "x=y");
    assert_int_equal(q.count, 1);
}

static void test_decoding(void **state)
{
    (void)state;
    souk_query q;
    parse_ok(&q, "q=hello+world&p=a%20b&plus=%2B&pct=100%25&amp=%26%3D&Up=%4a%4A");
    assert_int_equal(q.count, 6);
    expect_param(&q, 0, "q", "hello world", 11);
    expect_param(&q, 1, "p", "a b", 3);
    expect_param(&q, 2, "plus", "+", 1);
    expect_param(&q, 3, "pct", "100%", 4);
    expect_param(&q, 4, "amp", "&=", 2);
    expect_param(&q, 5, "Up", "JJ", 2);
    /* keys are decoded too */
    parse_ok(&q, "attr.colo%72=red&a+b=1&%61=2");
    expect_param(&q, 0, "attr.color", "red", 3);
    expect_param(&q, 1, "a b", "1", 1);
    expect_param(&q, 2, "a", "2", 1);
    /* UTF-8, raw or escaped */
    parse_ok(&q, "n=caf%C3%A9&m=\xe2\x82\xac&e=%F0%9F%98%80");
    expect_param(&q, 0, "n", "caf\xc3\xa9", 5);
    expect_param(&q, 1, "m", "\xe2\x82\xac", 3);
    expect_param(&q, 2, "e", "\xf0\x9f\x98\x80", 4);
    /* only the first '=' separates key and value */
    parse_ok(&q, "a=b=c");
    expect_param(&q, 0, "a", "b=c", 3);
}

static void test_empty_pairs_and_bare_keys(void **state)
{
    (void)state;
    souk_query q;
    parse_ok(&q, "&&a=1&&&b=2&");
    assert_int_equal(q.count, 2);
    expect_param(&q, 0, "a", "1", 1);
    expect_param(&q, 1, "b", "2", 1);
    parse_ok(&q, "&&&");
    assert_int_equal(q.count, 0);
    parse_ok(&q, "flag&x=1&other");
    assert_int_equal(q.count, 3);
    expect_param(&q, 0, "flag", "", 0);
    expect_param(&q, 2, "other", "", 0);
    assert_string_equal(souk_query_get(&q, "flag"), "");
    /* "=v" is a pair with an empty key */
    parse_ok(&q, "=v");
    assert_int_equal(q.count, 1);
    expect_param(&q, 0, "", "v", 1);
}

static void test_limits(void **state)
{
    (void)state;
    souk_query q;
    char raw[SOUK_QUERY_MAX_LEN + 64];
    size_t n = 0;
    for (int i = 0; i < SOUK_QUERY_MAX_PARAMS; i++)
        n += (size_t)snprintf(raw + n, sizeof raw - n, "%sk%d=%d", i ? "&" : "", i, i);
    parse_ok(&q, raw);
    assert_int_equal(q.count, SOUK_QUERY_MAX_PARAMS);
    expect_param(&q, SOUK_QUERY_MAX_PARAMS - 1, "k31", "31", 2);
    /* empty pairs do not count against the limit */
    snprintf(raw + n, sizeof raw - n, "&&&");
    parse_ok(&q, raw);
    snprintf(raw + n, sizeof raw - n, "&one=more");
    expect_bad(raw, strlen(raw), "too many");
    snprintf(raw + n, sizeof raw - n, "&bare");
    expect_bad(raw, strlen(raw), "too many");

    /* length: exactly the maximum is fine, one more byte is not */
    memset(raw, 'a', SOUK_QUERY_MAX_LEN);
    raw[0] = 'k';
    raw[1] = '=';
    raw[SOUK_QUERY_MAX_LEN] = '\0';
    parse_ok(&q, raw);
    assert_int_equal(q.items[0].value_len, SOUK_QUERY_MAX_LEN - 2);
    raw[SOUK_QUERY_MAX_LEN] = 'a';
    raw[SOUK_QUERY_MAX_LEN + 1] = '\0';
    expect_bad(raw, SOUK_QUERY_MAX_LEN + 1, "too long");
}

static void test_bad_escapes(void **state)
{
    (void)state;
    const char *bad[] = {"a=%",  "a=%4", "a=%zz", "a=%4g",  "a=%g4",  "a=%%41",
                         "a=x%", "%=1",  "%4=1",  "a=% 41", "a=1&b=%"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad(bad[i], strlen(bad[i]), "percent");
    /* an escape cut by the length is incomplete even if the buffer goes on */
    expect_bad("a=%41", 4, "percent");
}

static void test_nul_rejected(void **state)
{
    (void)state;
    expect_bad("a=%00", 5, "NUL");
    expect_bad("%00=1", 5, "NUL");
    expect_bad("a=x%00y", 7, "NUL");
    /* a raw NUL byte inside the length is refused as well */
    expect_bad("a=x\0y", 5, "NUL");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    const char *bad[] = {
        "a=%FF",       "a=%C3",       "a=%C3%28",       "a=%C0%AF",
        "a=%E0%80%AF", "a=%ED%A0%80", "a=%F4%90%80%80", "a=%F8%88%80%80%80",
        "a=%80",       "a=%E2%82",    "%FF=1",          "a=\xff",
        "a=\xc3",      "a=caf%C3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad(bad[i], strlen(bad[i]), "UTF-8");
    /* boundaries that are valid */
    souk_query q;
    parse_ok(&q, "a=%7F&b=%C2%80&c=%EF%BF%BF&d=%F4%8F%BF%BF&e=%ED%9F%BF");
    assert_int_equal(q.count, 5);
    expect_param(&q, 3, "d", "\xf4\x8f\xbf\xbf", 4);
}

static void test_get(void **state)
{
    (void)state;
    souk_query q;
    parse_ok(&q, "sort=name&limit=5&sort=price_asc&empty=&Sort=x");
    assert_string_equal(souk_query_get(&q, "sort"), "name"); /* first wins */
    assert_string_equal(souk_query_get(&q, "limit"), "5");
    assert_string_equal(souk_query_get(&q, "empty"), "");
    assert_string_equal(souk_query_get(&q, "Sort"), "x"); /* case-sensitive */
    assert_null(souk_query_get(&q, "missing"));
    assert_null(souk_query_get(&q, "sor"));
    assert_null(souk_query_get(&q, ""));
    parse_ok(&q, "");
    assert_null(souk_query_get(&q, "sort"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_decoding),
        cmocka_unit_test(test_empty_pairs_and_bare_keys),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad_escapes),
        cmocka_unit_test(test_nul_rejected),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_get),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
