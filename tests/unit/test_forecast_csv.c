/*
 * Unit tests for src/forecast/csv.c: series from series_id,date,value
 * rows in any order and column order, and every kind of bad input refused
 * with the line it is on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "forecast/forecast.h"

static int parse(const char *text, souk_forecast_series_set *set, char *err)
{
    return souk_forecast_csv_read(text, strlen(text), set, err, 200);
}

static void reads_series_in_any_order(void **state)
{
    (void)state;
    souk_forecast_series_set set;
    char err[200] = "";
    const char *csv = "value,series_id,date,note\n"
                      "3,b,2024-01-02,x\n"
                      "1.5,a,2024-01-01,\n"
                      "2,b,2024-01-01T00:00:00Z,\n"
                      "-4e2,a,2024-01-03,\n"
                      "2.5,a,2024-01-02 12:00:00,\n";
    assert_int_equal(parse(csv, &set, err), 0);
    assert_int_equal(set.nseries, 2);
    assert_int_equal(set.nrows, 5);
    assert_string_equal(set.series[0].id, "a");
    assert_int_equal(set.series[0].n, 3);
    assert_true(set.series[0].y[0] == 1.5 && set.series[0].y[1] == 2.5 && set.series[0].y[2] == -400);
    assert_int_equal(set.series[0].first_day, 19723); /* 2024-01-01 */
    assert_int_equal(set.series[0].day[2], 19725);
    assert_string_equal(set.series[1].id, "b");
    assert_true(set.series[1].y[0] == 2 && set.series[1].y[1] == 3);
    souk_forecast_series_set_release(&set);
}

static void refuses_bad_input_with_its_line(void **state)
{
    (void)state;
    static const struct {
        const char *csv, *err;
    } cases[] = {
        {"", "line 1: empty file"},
        {"series,date,value\na,2024-01-01,1\n", "line 1: no 'series_id' column"},
        {"series_id,date,value,value\n", "line 1: the header names 'value' twice"},
        {"series_id,date,value\n", "line 1: no rows after the header"},
        {"series_id,date,value\na,2024-01-01,1\na,2024-02-30,1\n", "line 3: date '2024-02-30' is not a date"},
        {"series_id,date,value\na,2023-02-29,1\n", "line 2: date '2023-02-29' is not a date"},
        {"series_id,date,value\na,01/02/2024,1\n", "line 2: date '01/02/2024'"},
        {"series_id,date,value\na,2024-01-01,abc\n", "line 2: value 'abc' is not a finite number"},
        {"series_id,date,value\na,2024-01-01,\n", "line 2: value '' is not a finite number"},
        {"series_id,date,value\na,2024-01-01,nan\n", "line 2: value 'nan'"},
        {"series_id,date,value\na,2024-01-01,1e13\n", "line 2: value '1e13'"},
        {"series_id,date,value\na,2024-01-01,1e999\n", "line 2: value '1e999'"},
        {"series_id,date,value\n,2024-01-01,1\n", "line 2: series_id must be 1 to 64 bytes"},
        {"series_id,date,value\na,2024-01-01\n", "line 2: 2 fields"},
        {"series_id,date,value\na,2024-01-01,1\nb,2024-01-01,2\n\na,2024-01-01,3\n",
         "line 5: series 'a' has the date of line 2 again"},
        {"series_id,date,value\na,\"2024-01-01,1\n", "line 2:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        souk_forecast_series_set set;
        char err[200] = "";
        assert_int_equal(parse(cases[i].csv, &set, err), SOUK_FORECAST_E_INVAL);
        if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
            fail_msg("case %zu: '%s' does not start with '%s'", i, err, cases[i].err);
        assert_int_equal(set.nseries, 0);
    }
}

static void refuses_a_series_too_long(void **state)
{
    (void)state;
    size_t n = SOUK_FORECAST_N_MAX + 1, cap = 32 + n * 20, len = 0;
    char *buf = test_malloc(cap);
    len += (size_t)snprintf(buf, cap, "series_id,date,value\n");
    for (size_t i = 0; i < n; i++) {
        int y = 1950 + (int)(i / 336), d = (int)(i % 336); /* 12 months of 28 days: every date distinct */
        len += (size_t)snprintf(buf + len, cap - len, "s,%04d-%02d-%02d,1\n", y, 1 + d / 28, 1 + d % 28);
    }
    souk_forecast_series_set set;
    char err[200];
    int rc = souk_forecast_csv_read(buf, len, &set, err, sizeof err);
    test_free(buf);
    assert_int_equal(rc, SOUK_FORECAST_E_INVAL);
    assert_non_null(strstr(err, "more than 20000 points"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_series_in_any_order),
        cmocka_unit_test(refuses_bad_input_with_its_line),
        cmocka_unit_test(refuses_a_series_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
