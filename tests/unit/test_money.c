/*
 * Unit tests for src/core/money.c (exact decimal parsing/formatting of
 * amounts in minor units, ISO 4217 currency table).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/money.h"

/* ---- helpers ------------------------------------------------------------ */

static void expect_parse(const char *text, const char *cur, int64_t want)
{
    souk_money m;
    memset(&m, 0x5a, sizeof m);
    int rc = souk_money_parse(&m, text, strlen(text), cur);
    if (rc != 0)
        fail_msg("souk_money_parse(\"%s\", %s) rejected, expected %lld", text, cur, (long long)want);
    assert_int_equal(m.amount, want);
    assert_string_equal(m.currency, cur);
}

static void expect_reject(const char *text, const char *cur)
{
    souk_money m = {4242, "EUR"};
    int rc = souk_money_parse(&m, text, strlen(text), cur);
    if (rc != -1)
        fail_msg("souk_money_parse(\"%s\", %s) accepted (amount %lld)", text, cur, (long long)m.amount);
    /* a rejected parse leaves the output alone */
    assert_int_equal(m.amount, 4242);
    assert_string_equal(m.currency, "EUR");
}

static void expect_format(int64_t amount, const char *cur, const char *want)
{
    souk_money m = {amount, ""};
    memcpy(m.currency, cur, 4);
    char buf[64];
    int n = souk_money_format(&m, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

/* ---- currencies --------------------------------------------------------- */

static void test_currency_valid(void **state)
{
    (void)state;
    assert_true(souk_currency_valid("USD"));
    assert_true(souk_currency_valid("EUR"));
    assert_true(souk_currency_valid("JPY"));
    assert_true(souk_currency_valid("KWD"));
    assert_true(souk_currency_valid("AED")); /* first in the table */
    assert_true(souk_currency_valid("ZWL")); /* last in the table */
    assert_false(souk_currency_valid("XXX"));
    assert_false(souk_currency_valid("usd"));
    assert_false(souk_currency_valid("Usd"));
    assert_false(souk_currency_valid("US"));
    assert_false(souk_currency_valid("USDD"));
    assert_false(souk_currency_valid(""));
    assert_false(souk_currency_valid(NULL));
    assert_false(souk_currency_valid("US "));
}

static void test_currency_exponent(void **state)
{
    (void)state;
    assert_int_equal(souk_currency_exponent("USD"), 2);
    assert_int_equal(souk_currency_exponent("EUR"), 2);
    assert_int_equal(souk_currency_exponent("JPY"), 0);
    assert_int_equal(souk_currency_exponent("KRW"), 0);
    assert_int_equal(souk_currency_exponent("KWD"), 3);
    assert_int_equal(souk_currency_exponent("BHD"), 3);
    assert_int_equal(souk_currency_exponent("XXX"), -1);
    assert_int_equal(souk_currency_exponent("jpy"), -1);
    assert_int_equal(souk_currency_exponent(NULL), -1);
}

/* ---- parsing ------------------------------------------------------------ */

static void test_parse_usd(void **state)
{
    (void)state;
    expect_parse("12.5", "USD", 1250);
    expect_parse("12.50", "USD", 1250);
    expect_parse("12.05", "USD", 1205);
    expect_parse("-0.99", "USD", -99);
    expect_parse("3", "USD", 300);
    expect_parse("0", "USD", 0);
    expect_parse("-0", "USD", 0);
    expect_parse("0.01", "USD", 1);
    expect_parse("007.10", "USD", 710);
    /* extra fraction digits are fine when they are zeros */
    expect_parse("1.500", "USD", 150);
    expect_parse("1.50000000", "USD", 150);
    /* ...but not when they carry precision the currency does not have */
    expect_reject("1.005", "USD");
    expect_reject("1.001", "USD");
    expect_reject("0.0001", "USD");
}

static void test_parse_jpy(void **state)
{
    (void)state;
    expect_parse("3", "JPY", 3);
    expect_parse("1500", "JPY", 1500);
    expect_parse("-42", "JPY", -42);
    expect_parse("3.0", "JPY", 3);
    expect_parse("3.000", "JPY", 3);
    expect_reject("3.5", "JPY");
    expect_reject("0.1", "JPY");
}

static void test_parse_kwd(void **state)
{
    (void)state;
    expect_parse("1.005", "KWD", 1005);
    expect_parse("12.5", "KWD", 12500);
    expect_parse("3", "KWD", 3000);
    expect_parse("-0.001", "KWD", -1);
    expect_parse("1.0050", "KWD", 1005);
    expect_reject("1.0005", "KWD");
}

static void test_parse_rejects_garbage(void **state)
{
    (void)state;
    const char *bad[] = {"",   "abc",  "1e5", "1E5", "+1",    " 1",  "1 ",  "1,5", "1.2.3", "-",   "--1", "- 1",
                         "1-", "0x10", "12a", "$12", "1_000", "\t1", "NaN", "inf", "1..2",  "-+1", "１"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_reject(bad[i], "USD");
    expect_reject(".", "USD");
    expect_reject("-.", "USD");
}

static void test_parse_unknown_currency(void **state)
{
    (void)state;
    expect_reject("1", "XXX");
    expect_reject("1", "usd");
    expect_reject("1", "US");
    souk_money m;
    assert_int_equal(souk_money_parse(&m, "1", 1, NULL), -1);
}

static void test_parse_respects_len(void **state)
{
    (void)state;
    souk_money m;
    /* only the first LEN bytes count; the rest of the buffer is not read */
    assert_int_equal(souk_money_parse(&m, "12.345", 4, "USD"), 0);
    assert_int_equal(m.amount, 1230);
    assert_int_equal(souk_money_parse(&m, "7xyz", 1, "JPY"), 0);
    assert_int_equal(m.amount, 7);
    /* a NUL inside the length is a bad character, not an end marker */
    assert_int_equal(souk_money_parse(&m,
                                      "1\0"
                                      "5",
                                      3, "JPY"),
                     -1);
    /* zero length is empty */
    assert_int_equal(souk_money_parse(&m, "12", 0, "USD"), -1);
}

static void test_parse_max_boundary(void **state)
{
    (void)state;
    /* SOUK_MONEY_MAX minor units is accepted, one more is not */
    expect_parse("10000000000", "USD", SOUK_MONEY_MAX);
    expect_parse("10000000000.00", "USD", SOUK_MONEY_MAX);
    expect_parse("-10000000000.00", "USD", -SOUK_MONEY_MAX);
    expect_parse("9999999999.99", "USD", SOUK_MONEY_MAX - 1);
    expect_reject("10000000000.01", "USD");
    expect_reject("-10000000000.01", "USD");
    expect_reject("10000000001", "USD");
    expect_parse("1000000000000", "JPY", SOUK_MONEY_MAX);
    expect_reject("1000000000001", "JPY");
    expect_parse("1000000000", "KWD", SOUK_MONEY_MAX);
    expect_reject("1000000000.001", "KWD");
    /* values that would overflow int64 are rejected, not wrapped */
    expect_reject("99999999999999999999", "USD");
    expect_reject("9223372036854775807", "JPY");
    expect_reject("92233720368547758.08", "USD");
    expect_reject("-9223372036854775808", "JPY");
}

static void test_parse_long_zeros(void **state)
{
    (void)state;
    /* exactly 40 bytes is inside the limit */
    char s[64];
    memset(s, '0', 39);
    s[39] = '1';
    s[40] = '\0';
    souk_money m;
    assert_int_equal(souk_money_parse(&m, s, 40, "JPY"), 0);
    assert_int_equal(m.amount, 1);
    s[40] = '1';
    s[41] = '\0';
    assert_int_equal(souk_money_parse(&m, s, 41, "JPY"), -1);
}

/* ---- formatting --------------------------------------------------------- */

static void test_format(void **state)
{
    (void)state;
    expect_format(1250, "USD", "12.50");
    expect_format(-99, "USD", "-0.99");
    expect_format(-5, "USD", "-0.05");
    expect_format(0, "USD", "0.00");
    expect_format(300, "USD", "3.00");
    expect_format(3, "JPY", "3");
    expect_format(-42, "JPY", "-42");
    expect_format(1005, "KWD", "1.005");
    expect_format(1, "KWD", "0.001");
    expect_format(SOUK_MONEY_MAX, "USD", "10000000000.00");
    expect_format(INT64_MAX, "USD", "92233720368547758.07");
    expect_format(INT64_MIN, "USD", "-92233720368547758.08");
    expect_format(INT64_MIN, "JPY", "-9223372036854775808");
}

static void test_format_errors(void **state)
{
    (void)state;
    souk_money m = {1250, "USD"};
    char buf[16];
    /* "12.50" needs 6 bytes with the terminator */
    assert_int_equal(souk_money_format(&m, buf, 6), 5);
    assert_string_equal(buf, "12.50");
    assert_int_equal(souk_money_format(&m, buf, 5), -1);
    assert_int_equal(souk_money_format(&m, buf, 1), -1);
    souk_money bad = {1, "XXX"};
    assert_int_equal(souk_money_format(&bad, buf, sizeof buf), -1);
}

static void test_round_trip(void **state)
{
    (void)state;
    const char *curs[] = {"USD", "JPY", "KWD", "EUR", "BHD", "CLP"};
    const int64_t amounts[] = {0,
                               1,
                               -1,
                               9,
                               10,
                               99,
                               100,
                               101,
                               -101,
                               1234567,
                               -7654321,
                               999999999999,
                               SOUK_MONEY_MAX,
                               -SOUK_MONEY_MAX,
                               500000000000,
                               1000};
    for (size_t c = 0; c < sizeof curs / sizeof curs[0]; c++) {
        for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
            souk_money m = {amounts[i], ""};
            memcpy(m.currency, curs[c], 4);
            char buf[64];
            int n = souk_money_format(&m, buf, sizeof buf);
            assert_true(n > 0);
            souk_money back;
            if (souk_money_parse(&back, buf, (size_t)n, curs[c]) != 0)
                fail_msg("formatted \"%s\" (%s) does not parse back", buf, curs[c]);
            assert_int_equal(back.amount, amounts[i]);
            assert_string_equal(back.currency, curs[c]);
        }
    }
    /* and the other way: canonical strings survive parse + format */
    const struct {
        const char *text, *cur;
    } canon[] = {
        {"12.50", "USD"}, {"-0.99", "USD"}, {"3", "JPY"}, {"1.005", "KWD"}, {"0.000", "KWD"},
    };
    for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++) {
        souk_money m;
        assert_int_equal(souk_money_parse(&m, canon[i].text, strlen(canon[i].text), canon[i].cur), 0);
        char buf[64];
        assert_true(souk_money_format(&m, buf, sizeof buf) > 0);
        assert_string_equal(buf, canon[i].text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_currency_valid),
        cmocka_unit_test(test_currency_exponent),
        cmocka_unit_test(test_parse_usd),
        cmocka_unit_test(test_parse_jpy),
        cmocka_unit_test(test_parse_kwd),
        cmocka_unit_test(test_parse_rejects_garbage),
        cmocka_unit_test(test_parse_unknown_currency),
        cmocka_unit_test(test_parse_respects_len),
        cmocka_unit_test(test_parse_max_boundary),
        cmocka_unit_test(test_parse_long_zeros),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
