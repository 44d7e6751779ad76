/*
 * Unit tests for src/core/time.c (RFC 3339 formatting and parsing of
 * microseconds since the Unix epoch, calendar math by hand).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/time.h"

#define US INT64_C(1000000)
#define DAY_US (INT64_C(86400) * US)
#define T_2026 INT64_C(1768473000123456) /* 2026-01-15T10:30:00.123456Z */

static int64_t parse_ok(const char *s)
{
    int64_t v = 0x7777;
    if (souk_time_parse(s, strlen(s), &v) != 0)
        fail_msg("souk_time_parse rejected \"%s\"", s);
    return v;
}

static void expect_bad(const char *s)
{
    int64_t v = 0x7777;
    if (souk_time_parse(s, strlen(s), &v) != -1)
        fail_msg("souk_time_parse accepted \"%s\" as %lld", s, (long long)v);
    assert_int_equal(v, 0x7777); /* untouched on failure */
}

static void expect_format(int64_t us, const char *want)
{
    char buf[SOUK_RFC3339_LEN];
    memset(buf, 'x', sizeof buf);
    char *r = souk_time_format(us, buf);
    assert_ptr_equal(r, buf);
    assert_int_equal(strlen(buf), SOUK_RFC3339_LEN - 1);
    assert_string_equal(buf, want);
}

static void test_format_known(void **state)
{
    (void)state;
    expect_format(0, "1970-01-01T00:00:00.000000Z");
    expect_format(1, "1970-01-01T00:00:00.000001Z");
    expect_format(T_2026, "2026-01-15T10:30:00.123456Z");
    expect_format(INT64_C(1709164800) * US, "2024-02-29T00:00:00.000000Z");
    expect_format(INT64_C(951825600) * US, "2000-02-29T12:00:00.000000Z");
    expect_format(INT64_C(253402300799) * US + 999999, "9999-12-31T23:59:59.999999Z");
}

static void test_format_negative_epoch(void **state)
{
    (void)state;
    expect_format(-1, "1969-12-31T23:59:59.999999Z");
    expect_format(-US, "1969-12-31T23:59:59.000000Z");
    expect_format(-US - 1, "1969-12-31T23:59:58.999999Z");
    expect_format(-US + 1, "1969-12-31T23:59:59.000001Z");
    expect_format(-DAY_US, "1969-12-31T00:00:00.000000Z");
    expect_format(-DAY_US - 1, "1969-12-30T23:59:59.999999Z");
    expect_format(INT64_C(-2208988800) * US, "1900-01-01T00:00:00.000000Z");
    expect_format(INT64_C(-2208988800) * US - 1, "1899-12-31T23:59:59.999999Z");
}

static void test_format_clamps_out_of_range(void **state)
{
    (void)state;
    /* year 10000 and beyond clamp to the last representable instant */
    expect_format(INT64_C(253402300800) * US, "9999-12-31T23:59:59.999999Z");
    expect_format(INT64_MAX, "9999-12-31T23:59:59.999999Z");
    /* negative years clamp to the first one */
    expect_format(INT64_C(-62167219200) * US, "0000-01-01T00:00:00.000000Z"); /* 0000-01-01 itself */
    expect_format(INT64_C(-62167219200) * US - 1, "0000-01-01T00:00:00.000000Z");
    expect_format(INT64_C(-100000000000) * US, "0000-01-01T00:00:00.000000Z");
}

static void test_round_trip(void **state)
{
    (void)state;
    const int64_t vals[] = {0,
                            1,
                            -1,
                            T_2026,
                            -T_2026,
                            999999,
                            -999999,
                            DAY_US - 1,
                            -DAY_US + 1,
                            INT64_C(951825600) * US + 5,
                            INT64_C(-2208988800) * US,
                            INT64_C(253402300799) * US + 999999,
                            INT64_C(-62167219200) * US};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char buf[SOUK_RFC3339_LEN];
        souk_time_format(vals[i], buf);
        int64_t back = parse_ok(buf);
        if (back != vals[i])
            fail_msg("%lld -> %s -> %lld", (long long)vals[i], buf, (long long)back);
    }
    /* a sweep over many days (leap years included) with odd offsets */
    for (int64_t us = INT64_C(-3000000000) * US; us < INT64_C(5000000000) * US; us += INT64_C(7777777) * US + 123457) {
        char buf[SOUK_RFC3339_LEN];
        souk_time_format(us, buf);
        int64_t back = parse_ok(buf);
        if (back != us)
            fail_msg("%lld -> %s -> %lld", (long long)us, buf, (long long)back);
    }
}

/* the digits written by hand agree with the C library's gmtime + snprintf */
static void test_format_matches_libc(void **state)
{
    (void)state;
    for (int64_t us = INT64_C(-2000000000) * US; us < INT64_C(4000000000) * US; us += INT64_C(3333331) * US + 98765) {
        time_t secs = (time_t)(us >= 0 ? us / US : -((-us + US - 1) / US));
        struct tm tm;
        gmtime_r(&secs, &tm);
        char want[64], got[SOUK_RFC3339_LEN];
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us - (int64_t)secs * US));
        assert_string_equal(souk_time_format(us, got), want);
    }
}

static void test_parse_offsets(void **state)
{
    (void)state;
    int64_t base = parse_ok("2026-01-15T10:30:00Z");
    assert_int_equal(base, T_2026 - 123456);
    assert_int_equal(parse_ok("2026-01-15T12:30:00+02:00"), base);
    assert_int_equal(parse_ok("2026-01-15T05:00:00-05:30"), base);
    assert_int_equal(parse_ok("2026-01-15T10:30:00+00:00"), base);
    assert_int_equal(parse_ok("2026-01-15T10:30:00-00:00"), base);
    assert_int_equal(parse_ok("2026-01-16T00:00:00+13:30"), base);
    /* crossing a day / year boundary through the offset */
    assert_int_equal(parse_ok("2025-12-31T23:00:00-01:00"), parse_ok("2026-01-01T00:00:00Z"));
    assert_int_equal(parse_ok("2026-01-01T01:00:00+01:00"), parse_ok("2026-01-01T00:00:00Z"));
    assert_int_equal(parse_ok("2026-01-15T12:30:00.123456+02:00"), T_2026);
    /* lower-case separators are accepted by RFC 3339 */
    assert_int_equal(parse_ok("2026-01-15t10:30:00z"), base);
}

static void test_parse_space_form_is_utc(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-01-15 10:30:00"), T_2026 - 123456);
    assert_int_equal(parse_ok("2026-01-15 10:30:00.123456"), T_2026);
    assert_int_equal(parse_ok("1970-01-01 00:00:00"), 0);
    /* the T form needs a zone */
    expect_bad("2026-01-15T10:30:00");
    expect_bad("2026-01-15T10:30:00.5");
}

static void test_parse_fraction(void **state)
{
    (void)state;
    int64_t base = parse_ok("2026-01-15T10:30:00Z");
    assert_int_equal(parse_ok("2026-01-15T10:30:00.5Z"), base + 500000);
    assert_int_equal(parse_ok("2026-01-15T10:30:00.05Z"), base + 50000);
    assert_int_equal(parse_ok("2026-01-15T10:30:00.000001Z"), base + 1);
    assert_int_equal(parse_ok("2026-01-15T10:30:00.123456Z"), base + 123456);
    /* digits beyond microseconds are truncated */
    assert_int_equal(parse_ok("2026-01-15T10:30:00.1234569Z"), base + 123456);
    assert_int_equal(parse_ok("2026-01-15T10:30:00.123456789123Z"), base + 123456);
    expect_bad("2026-01-15T10:30:00.Z");
    expect_bad("2026-01-15T10:30:00.");
    expect_bad("2026-01-15T10:30:00.12a4Z");
    expect_bad("2026-01-15T10:30:00,5Z");
}

static void test_parse_invalid_dates(void **state)
{
    (void)state;
    expect_bad("2026-02-30T00:00:00Z");
    expect_bad("2026-02-29T00:00:00Z"); /* not a leap year */
    expect_bad("2023-02-29T00:00:00Z");
    expect_bad("1900-02-29T00:00:00Z"); /* divisible by 100, not by 400 */
    expect_bad("2100-02-29T00:00:00Z");
    parse_ok("2024-02-29T00:00:00Z");
    parse_ok("2000-02-29T00:00:00Z"); /* divisible by 400 */
    expect_bad("2026-13-01T00:00:00Z");
    expect_bad("2026-00-01T00:00:00Z");
    expect_bad("2026-01-00T00:00:00Z");
    expect_bad("2026-01-32T00:00:00Z");
    expect_bad("2026-04-31T00:00:00Z");
    expect_bad("2026-06-31T00:00:00Z");
    expect_bad("2026-09-31T00:00:00Z");
    expect_bad("2026-11-31T00:00:00Z");
    parse_ok("2026-12-31T23:59:59Z");
    expect_bad("2026-01-15T24:00:00Z");
    expect_bad("2026-01-15T10:60:00Z");
    expect_bad("2026-01-15T10:30:61Z");
}

static void test_parse_malformed(void **state)
{
    (void)state;
    expect_bad("");
    expect_bad("2026-01-15");
    expect_bad("2026-01-15T10:30Z");
    expect_bad("2026/01/15T10:30:00Z");
    expect_bad("2026-01-15X10:30:00Z");
    expect_bad("26-01-15T10:30:00Z");
    expect_bad("2026-1-15T10:30:00Z");
    expect_bad("2026-01-15T1:30:00Z");
    expect_bad("+026-01-15T10:30:00Z");
    expect_bad("2026-01-15T10:30:00ZZ");
    expect_bad("2026-01-15T10:30:00Z ");
    expect_bad("2026-01-15T10:30:00 Z");
    expect_bad("2026-01-15T10:30:00+0200");
    expect_bad("2026-01-15T10:30:00+02");
    expect_bad("2026-01-15T10:30:00+02:00:00");
    expect_bad("2026-01-15T10:30:00+24:00");
    expect_bad("2026-01-15T10:30:00+02:60");
    expect_bad("2026-01-15T10:30:00+a2:00");
    expect_bad("2026-01-15T10:30:00UTC");
    expect_bad("2026-01-15 10:30:00 ");
    /* the length is honoured: a valid prefix of a longer buffer */
    int64_t v;
    const char *s = "2026-01-15 10:30:00garbage";
    assert_int_equal(souk_time_parse(s, 19, &v), 0);
    assert_int_equal(v, T_2026 - 123456);
    assert_int_equal(souk_time_parse(s, 18, &v), -1);
}

static void test_now(void **state)
{
    (void)state;
    int64_t a = souk_time_now_us();
    /* after 2024-01-01 and before 2100 */
    assert_true(a > INT64_C(1704067200) * US);
    assert_true(a < INT64_C(4102444800) * US);
    int64_t m1 = souk_time_mono_us(), m2 = souk_time_mono_us();
    assert_true(m2 >= m1);
    char buf[SOUK_RFC3339_LEN];
    souk_time_format(a, buf);
    int64_t back = parse_ok(buf);
    assert_int_equal(back, a);
}

/* The formatter's clamp promises a valid string for any int64. The most
 * negative values overflow on the way there. */
static void test_format_int64_min(void **state)
{
    (void)state;
    /* Regression: souk_time_format used to negate US before clamping, which
     * overflowed for values near INT64_MIN (UBSan: signed integer overflow)
     * and rendered the far past as "9999-12-31T23:59:59.999999Z". */
    expect_format(INT64_MIN + 999999, "0000-01-01T00:00:00.000000Z");
    expect_format(INT64_MIN, "0000-01-01T00:00:00.000000Z");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* keep the report if UBSan ends the process */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_format_negative_epoch),
        cmocka_unit_test(test_format_clamps_out_of_range),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_format_matches_libc),
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_parse_space_form_is_utc),
        cmocka_unit_test(test_parse_fraction),
        cmocka_unit_test(test_parse_invalid_dates),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_now),
        /* last: under UBSan with -fno-sanitize-recover it ends the process */
        cmocka_unit_test(test_format_int64_min),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
