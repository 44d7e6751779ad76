/*
 * Unit tests for the exchange-rate half of src/core/money.c: rate parsing
 * and its bounds, the half-to-even rounding, and conversion into and out of
 * each minor-unit class (JPY 0 digits, USD/EUR 2, KWD 3), checked against
 * figures worked out by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/money.h"

static souk_rate rate(const char *text)
{
    souk_rate r = {0, 0};
    if (souk_rate_parse(&r, text, strlen(text)) != 0)
        fail_msg("souk_rate_parse(\"%s\") rejected", text);
    return r;
}

static void expect_rate(const char *text, int64_t units, int scale, const char *canon)
{
    souk_rate r = rate(text);
    assert_int_equal(r.units, units);
    assert_int_equal(r.scale, scale);
    char buf[SOUK_RATE_TEXT_MAX];
    assert_true(souk_rate_format(&r, buf, sizeof buf) > 0);
    assert_string_equal(buf, canon);
}

static void test_rate_parse(void **state)
{
    (void)state;
    expect_rate("0.92", 92, 2, "0.92");
    expect_rate("151.5", 1515, 1, "151.5");
    expect_rate("3", 3, 0, "3");
    expect_rate("1.000", 1, 0, "1");
    expect_rate("0.307500", 3075, 4, "0.3075");
    expect_rate("0.000000000001", 1, 12, "0.000000000001");          /* the smallest: 12 fraction digits */
    expect_rate("9999999999", INT64_C(9999999999), 0, "9999999999"); /* the largest: 10 digits */
    expect_rate("00042105.5", 421055, 1, "42105.5");
    expect_rate("1234.567891", INT64_C(1234567891), 6, "1234.567891"); /* 10 significant digits */
}

static void test_rate_parse_bounds(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "0",
        "0.000",
        "-1",
        "+1",
        "1e3",
        " 1",
        "1 ",
        ".5",
        "5.",
        "1.2.3",
        "abc",
        "1,5",
        "0.0000000000001", /* 13 fraction digits */
        "10000000000",     /* 10^10: too large */
        "1234.5678912",    /* 11 significant digits */
        "0.00000000000000000000001",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        souk_rate r = {7, 7};
        if (souk_rate_parse(&r, bad[i], strlen(bad[i])) == 0)
            fail_msg("souk_rate_parse(\"%s\") accepted", bad[i]);
        assert_int_equal(r.units, 7); /* untouched */
    }
    /* LEN is respected: "0.92" of "0.925" */
    souk_rate r;
    assert_int_equal(souk_rate_parse(&r, "0.925", 4), 0);
    assert_int_equal(r.units, 92);
    char small[4];
    assert_int_equal(souk_rate_format(&(souk_rate){92, 2}, small, sizeof small), -1); /* "0.92" needs 5 bytes */
    assert_int_equal(souk_rate_format(&(souk_rate){0, 0}, small, sizeof small), -1);
}

static void test_half_even(void **state)
{
    (void)state;
    assert_int_equal((int64_t)souk_money_div_half_even(5, 2), 2); /* 2.5 → 2 */
    assert_int_equal((int64_t)souk_money_div_half_even(7, 2), 4); /* 3.5 → 4 */
    assert_int_equal((int64_t)souk_money_div_half_even(-5, 2), -2);
    assert_int_equal((int64_t)souk_money_div_half_even(-7, 2), -4);
    assert_int_equal((int64_t)souk_money_div_half_even(26, 10), 3); /* 2.6 → 3 */
    assert_int_equal((int64_t)souk_money_div_half_even(24, 10), 2); /* 2.4 → 2 */
    assert_int_equal((int64_t)souk_money_div_half_even(0, 3), 0);
    assert_int_equal((int64_t)souk_money_div_half_even(10, 5), 2);
}

static int64_t conv(int64_t amount, const char *from, const char *to, const char *rf, const char *rt)
{
    souk_rate a = rf ? rate(rf) : SOUK_RATE_ONE, b = rt ? rate(rt) : SOUK_RATE_ONE;
    int64_t out = -12345;
    if (souk_money_convert(amount, from, to, &a, &b, &out) != 0)
        fail_msg("convert %lld %s → %s refused", (long long)amount, from, to);
    return out;
}

/* base USD: 1 USD = 0.92 EUR = 151.5 JPY = 0.3075 KWD */
static void test_convert_classes(void **state)
{
    (void)state;
    /* USD (2) → EUR (2): 19.99 × 0.92 = 18.3908 → 18.39 */
    assert_int_equal(conv(1999, "USD", "EUR", NULL, "0.92"), 1839);
    /* USD → JPY (0): 19.99 × 151.5 = 3028.485 → 3028 */
    assert_int_equal(conv(1999, "USD", "JPY", NULL, "151.5"), 3028);
    /* USD → KWD (3): 19.99 × 0.3075 = 6.146925 → 6.147 */
    assert_int_equal(conv(1999, "USD", "KWD", NULL, "0.3075"), 6147);
    /* JPY → USD: 3000 / 151.5 = 19.80198… → 19.80 */
    assert_int_equal(conv(3000, "JPY", "USD", "151.5", NULL), 1980);
    /* KWD → JPY through USD: 1.000 KWD / 0.3075 × 151.5 = 492.6829… → 493 */
    assert_int_equal(conv(1000, "KWD", "JPY", "0.3075", "151.5"), 493);
    /* EUR → KWD: 10.00 / 0.92 × 0.3075 = 3.342391… → 3.342 */
    assert_int_equal(conv(1000, "EUR", "KWD", "0.92", "0.3075"), 3342);
    /* same currency, identity rates: unchanged */
    assert_int_equal(conv(1234, "USD", "USD", NULL, NULL), 1234);
    assert_int_equal(conv(0, "USD", "EUR", NULL, "0.92"), 0);
}

static void test_convert_ties_to_even(void **state)
{
    (void)state;
    /* 0.25 USD × 0.5 = 0.125 EUR → 0.12 (tie, 2 even); 0.35 × 0.5 = 0.175 → 0.18 */
    assert_int_equal(conv(25, "USD", "EUR", NULL, "0.5"), 12);
    assert_int_equal(conv(35, "USD", "EUR", NULL, "0.5"), 18);
    /* JPY: 1.00 USD × 150.5 = 150.5 → 150; 3.00 × 150.5 = 451.5 → 452 */
    assert_int_equal(conv(100, "USD", "JPY", NULL, "150.5"), 150);
    assert_int_equal(conv(300, "USD", "JPY", NULL, "150.5"), 452);
    /* KWD: 0.05 USD × 0.3 = 0.015 KWD exactly (3 digits: no rounding) */
    assert_int_equal(conv(5, "USD", "KWD", NULL, "0.3"), 15);
    /* KWD → USD: 0.001 KWD / 0.2 = 0.005 USD → 0.00 (tie, 0 even); 0.003 / 0.2 = 0.015 → 0.02 */
    assert_int_equal(conv(1, "KWD", "USD", "0.2", NULL), 0);
    assert_int_equal(conv(3, "KWD", "USD", "0.2", NULL), 2);
    /* negative amounts round symmetrically */
    assert_int_equal(conv(-25, "USD", "EUR", NULL, "0.5"), -12);
}

static void test_convert_no_float_drift(void **state)
{
    (void)state;
    /* 0.1 + 0.2 style: 1000 conversions of 0.10 USD at 0.3 → exactly 0.03 each */
    int64_t sum = 0;
    for (int i = 0; i < 1000; i++)
        sum += conv(10, "USD", "EUR", NULL, "0.3");
    assert_int_equal(sum, 3000);
    /* the largest amount at the extreme rates does not overflow and is exact */
    assert_int_equal(conv(SOUK_MONEY_MAX / 1000, "USD", "USD", "0.000000000001", "0.000000000001"),
                     SOUK_MONEY_MAX / 1000);
    int64_t out;
    souk_rate tiny = {1, 12}, huge = {INT64_C(9999999999), 0};
    /* 10^12 minor units × 10^10 overflows the money bound: refused, not wrapped */
    assert_int_equal(souk_money_convert(SOUK_MONEY_MAX, "KWD", "JPY", &tiny, &huge, &out), -1);
    /* 10^12 KWD minor / 10^-12 × 10^10 / ... the other way: 0 after rounding, fine */
    assert_int_equal(souk_money_convert(SOUK_MONEY_MAX, "JPY", "KWD", &huge, &tiny, &out), 0);
    assert_int_equal(out, 0);
}

static void test_convert_refuses(void **state)
{
    (void)state;
    int64_t out = 77;
    souk_rate ok = {92, 2}, zero = {0, 0}, deep = {1, 13};
    assert_int_equal(souk_money_convert(100, "USD", "XXX", &ok, &ok, &out), -1);
    assert_int_equal(souk_money_convert(100, "usd", "EUR", &ok, &ok, &out), -1);
    assert_int_equal(souk_money_convert(100, "USD", "EUR", &zero, &ok, &out), -1);
    assert_int_equal(souk_money_convert(100, "USD", "EUR", &ok, &deep, &out), -1);
    assert_int_equal(souk_money_convert(SOUK_MONEY_MAX + 1, "USD", "EUR", &ok, &ok, &out), -1);
    assert_int_equal(out, 77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_parse),
        cmocka_unit_test(test_rate_parse_bounds),
        cmocka_unit_test(test_half_even),
        cmocka_unit_test(test_convert_classes),
        cmocka_unit_test(test_convert_ties_to_even),
        cmocka_unit_test(test_convert_no_float_drift),
        cmocka_unit_test(test_convert_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
