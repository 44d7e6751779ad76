/* test_search_analytics.c — search analytics (src/search/analytics.c): the
 * normalised query, the in-memory aggregate per day and query, its flush
 * into search_query_stats (added to what is there), the cap on distinct
 * queries, and the UTC day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fixture.h"
#include "search/analytics.h"
#include "core/time.h"
#include "search/service.h"

#define DAY INT64_C(86400000000)
#define T0 (INT64_C(1764547200) * 1000000) /* 2025-12-01T00:00:00Z */

static const char *norm(const char *q)
{
    static char out[SOUK_SEARCH_ANALYTICS_QUERY_MAX + 1];
    souk_search_text t;
    assert_int_equal(souk_search_text_init(&t, NULL), 0);
    long n = souk_search_analytics_normalise(&t, q, strlen(q), out);
    souk_search_text_release(&t);
    assert_true(n >= 0);
    assert_int_equal((size_t)n, strlen(out));
    return out;
}

static void test_normalise(void **state)
{
    (void)state;
    assert_string_equal(norm("  Wool   SCARF\t"), "wool scarf");
    assert_string_equal(norm("Crème Brûlée"), "creme brulee");
    assert_string_equal(norm("WX-200 \"red mug\" -leather"), "wx-200 \"red mug\" -leather");
    assert_string_equal(norm(" \t\r\n "), "");
    assert_string_equal(norm("a\x01"
                             "b"),
                        "a b"); /* control characters are spaces */
    /* cut at 200 bytes, never inside a character, no trailing space */
    char long_q[600];
    memset(long_q, 'a', 199);
    memcpy(long_q + 199, "\xd0\xb6xyz", 6); /* ж straddles the 200th byte */
    const char *n = norm(long_q);
    assert_int_equal(strlen(n), 199);
    memset(long_q, 0, sizeof long_q);
    for (int i = 0; i < 150; i++)
        memcpy(long_q + 2 * i, "b ", 2);
    n = norm(long_q);
    assert_true(strlen(n) <= SOUK_SEARCH_ANALYTICS_QUERY_MAX);
    assert_true(n[strlen(n) - 1] == 'b');
    /* 3-byte characters: the cut drops the whole last one */
    char cjk[700] = "";
    for (int i = 0; i < 100; i++)
        strcat(cjk, "東");
    n = norm(cjk);
    assert_int_equal(strlen(n), 198); /* 66 characters */
}

static void test_day(void **state)
{
    (void)state;
    char d[SOUK_SEARCH_ANALYTICS_DAY_LEN];
    assert_string_equal(souk_search_analytics_day(T0, d), "2025-12-01");
    assert_string_equal(souk_search_analytics_day(T0 + DAY - 1, d), "2025-12-01");
    assert_string_equal(souk_search_analytics_day(T0 - 1, d), "2025-11-30");
    assert_string_equal(souk_search_analytics_day(0, d), "1970-01-01");
}

static int64_t one(souk_store *db, const char *sql, const char *day, const char *q)
{
    int64_t v = -1;
    int r = souk_store_one(db, sql, SOUK_ARGS(SOUK_TEXT(day), SOUK_TEXT(q)), SOUK_COLS(SOUK_COL_I64(&v)));
    assert_true(r >= 0);
    return v;
}

#define COL(c) "SELECT " c " FROM search_query_stats WHERE day = $1 AND query = $2"

static void test_aggregate_and_flush(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "search-analytics"), 0);
    assert_int_equal(souk_search_analytics_flush(t.db), 0); /* nothing yet */

    /* day 1: "Wool Scarf" three times (one found nothing), two clicks */
    assert_int_equal(souk_search_analytics_record_at(0, "Wool Scarf", 10, 12, 0, T0 + 10), 0);
    assert_int_equal(souk_search_analytics_record_at(0, " wool  scarf ", 13, 3, 0, T0 + 20), 0);
    assert_int_equal(souk_search_analytics_record_at(0, "WOOL SCARF", 10, 0, 0, T0 + 30), 0);
    assert_int_equal(souk_search_analytics_record_at(1, "wool scarf", 10, 0, 1, T0 + 40), 0);
    assert_int_equal(souk_search_analytics_record_at(1, "wool scarf", 10, 0, 4, T0 + 50), 0);
    /* day 2: the same query, once, no click */
    assert_int_equal(souk_search_analytics_record_at(0, "wool scarf", 10, 7, 0, T0 + DAY + 5), 0);
    /* not kept: an empty query; refused: a position out of range */
    assert_int_equal(souk_search_analytics_record_at(0, "   ", 3, 7, 0, T0), 1);
    assert_int_equal(souk_search_analytics_record_at(1, "x", 1, 0, 0, T0), -2);
    assert_int_equal(souk_search_analytics_click("x", 1, 5, SOUK_SEARCH_ANALYTICS_POSITION_MAX + 1), -2);
    assert_int_equal(souk_search_analytics_click("x", 1, 0, 1), -2);

    assert_int_equal(souk_search_analytics_flush(t.db), 2); /* two (day, query) rows */
    assert_int_equal(one(t.db, COL("searches"), "2025-12-01", "wool scarf"), 3);
    assert_int_equal(one(t.db, COL("results_sum"), "2025-12-01", "wool scarf"), 15);
    assert_int_equal(one(t.db, COL("zero_results"), "2025-12-01", "wool scarf"), 1);
    assert_int_equal(one(t.db, COL("clicks"), "2025-12-01", "wool scarf"), 2);
    assert_int_equal(one(t.db, COL("click_position_sum"), "2025-12-01", "wool scarf"), 5);
    assert_int_equal(one(t.db, COL("searches"), "2025-12-02", "wool scarf"), 1);
    assert_int_equal(one(t.db, COL("clicks"), "2025-12-02", "wool scarf"), 0);

    /* a second flush adds to the rows; an empty one writes nothing */
    assert_int_equal(souk_search_analytics_flush(t.db), 0);
    assert_int_equal(souk_search_analytics_record_at(0, "wool scarf", 10, 5, 0, T0 + 99), 0);
    assert_int_equal(souk_search_analytics_record_at(1, "wool scarf", 10, 0, 3, T0 + 99), 0);
    assert_int_equal(souk_search_analytics_flush(t.db), 1);
    assert_int_equal(one(t.db, COL("searches"), "2025-12-01", "wool scarf"), 4);
    assert_int_equal(one(t.db, COL("results_sum"), "2025-12-01", "wool scarf"), 20);
    assert_int_equal(one(t.db, COL("click_position_sum"), "2025-12-01", "wool scarf"), 8);
    souk_test_db_close(&t);
}

static void test_distinct_queries_are_capped(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "search-analytics-cap"), 0);
    char q[32];
    for (int i = 0; i < SOUK_SEARCH_ANALYTICS_KEYS_MAX; i++) {
        int n = snprintf(q, sizeof q, "query %d", i);
        assert_int_equal(souk_search_analytics_record_at(0, q, (size_t)n, 1, 0, T0), 0);
    }
    assert_int_equal(souk_search_analytics_record_at(0, "one too many", 12, 1, 0, T0), 1);
    assert_int_equal(souk_search_analytics_record_at(0, "query 7", 7, 1, 0, T0), 0); /* a known one still counts */
    assert_int_equal(souk_search_analytics_flush(t.db), SOUK_SEARCH_ANALYTICS_KEYS_MAX);
    assert_int_equal(one(t.db, COL("searches"), "2025-12-01", "query 7"), 2);
    assert_int_equal(
        one(t.db, "SELECT COUNT(*) FROM search_query_stats WHERE day = $1 AND query <> $2", "2025-12-01", "-"),
        SOUK_SEARCH_ANALYTICS_KEYS_MAX);
    /* after a flush the table takes new queries again */
    assert_int_equal(souk_search_analytics_record_at(0, "one too many", 12, 1, 0, T0), 0);
    assert_int_equal(souk_search_analytics_flush(t.db), 1);
    souk_test_db_close(&t);
}

static void test_flusher_thread_writes_within_a_second(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "search-analytics-thread"), 0);
    assert_int_equal(souk_search_analytics_start(t.dsn), 0);
    assert_int_equal(souk_search_analytics_search("red mug", 7, 4), 0);
    char today[SOUK_SEARCH_ANALYTICS_DAY_LEN];
    souk_search_analytics_day(souk_time_now_us(), today);
    int64_t n = 0;
    for (int i = 0; i < 30 && n <= 0; i++) { /* 3 s at most */
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        n = one(t.db, COL("searches"), today, "red mug");
    }
    assert_int_equal(n, 1);
    /* what is left at stop is flushed */
    assert_int_equal(souk_search_analytics_click("Red Mug", 7, 42, 2), 0);
    souk_search_analytics_stop();
    assert_int_equal(one(t.db, COL("clicks"), today, "red mug"), 1);
    souk_test_db_close(&t);
    souk_search_service_stop(); /* frees the analysers lent for normalising */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_day),
        cmocka_unit_test(test_aggregate_and_flush),
        cmocka_unit_test(test_distinct_queries_are_capped),
        cmocka_unit_test(test_flusher_thread_writes_within_a_second),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
