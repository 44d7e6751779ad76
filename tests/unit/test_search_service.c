/* test_search_service.c — the served index (src/search/service.c): the first
 * segment is built in the background, a change of the watched version is
 * searchable within a second, failures of the options are refused at start,
 * and analysers are lent and given back. */
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
#include "core/time.h"
#include "search/api.h"
#include "search/service.h"

static void sql(souk_store *db, const char *q)
{
    int r = souk_store_exec(db, q, NULL);
    if (r != SOUK_DB_DONE)
        fail_msg("%s: %s", q, souk_store_errmsg(db));
}

/* Waits until the served segment has WANT documents, at most LIMIT_MS;
 * returns the milliseconds it took, or -1. */
static int64_t wait_docs(uint32_t want, int64_t limit_ms)
{
    int64_t t0 = souk_time_mono_us();
    for (;;) {
        souk_search_segment *s = souk_search_service_acquire();
        uint32_t n = s ? souk_search_segment_docs(s) : UINT32_MAX;
        souk_search_segment_unref(s);
        int64_t ms = (souk_time_mono_us() - t0) / 1000;
        if (n == want)
            return ms;
        if (ms > limit_ms)
            return -1;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void test_builds_then_follows_the_version(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "search-svc"), 0);
    sql(t.db, "INSERT INTO products (id, slug, title, description, status, created_at, updated_at) VALUES "
              "(10, 'mug', 'Stoneware mug', '', 'active', 1, 1), (11, 'pot', 'Flower pot', '', 'draft', 2, 2), "
              "(12, 'vase', 'Glass vase', '', 'draft', 3, 3)");
    assert_false(souk_search_service_enabled());
    assert_null(souk_search_service_acquire());
    souk_search_service_opts o = {.db_dsn = t.dsn, .currency = "USD", .content_version = "content"};
    assert_int_equal(souk_search_service_start(&o), 0);
    assert_true(souk_search_service_enabled());
    assert_string_equal(souk_search_service_currency(), "USD");
    assert_true(wait_docs(1, 5000) >= 0); /* the first build, in the background */

    /* a write the version does not announce is not picked up ... (catalog
     * writes move updated_at: the delta reads which products changed by it) */
    char q[256];
    snprintf(q, sizeof q, "UPDATE products SET status = 'active', updated_at = %lld WHERE id = 11",
             (long long)souk_time_now_us());
    sql(t.db, q);
    assert_int_equal(wait_docs(2, 3 * SOUK_SEARCH_POLL_MS), -1);
    /* ... once it is, within a second */
    assert_int_equal(souk_store_touch(t.db, "content"), SOUK_DB_DONE);
    int64_t ms = wait_docs(2, 1000);
    assert_true(ms >= 0);
    print_message("    change served after %lld ms\n", (long long)ms);

    /* a reference taken before a swap stays valid after it */
    souk_search_segment *old = souk_search_service_acquire();
    assert_non_null(old);
    snprintf(q, sizeof q, "UPDATE products SET status = 'archived', updated_at = %lld WHERE id = 10",
             (long long)souk_time_now_us());
    sql(t.db, q);
    assert_int_equal(souk_store_touch(t.db, "content"), SOUK_DB_DONE);
    assert_true(wait_docs(1, 1000) >= 0);
    assert_int_equal(souk_search_segment_docs(old), 2);
    souk_search_segment_unref(old);
    /* that was a delta: the base still holds the archived product, tombstoned */
    souk_search_segment *cur = souk_search_service_acquire();
    assert_int_equal(souk_search_segment_tombstones(cur), 1);
    assert_int_equal(souk_search_segment_delta_docs(cur), 1);
    souk_search_segment_unref(cur);

    /* a write no timestamp announces (raw SQL, an old updated_at) is caught by
     * a reindex, which builds a new base in the background */
    sql(t.db, "UPDATE products SET status = 'active' WHERE id = 12");
    assert_int_equal(souk_store_touch(t.db, "content"), SOUK_DB_DONE);
    assert_int_equal(wait_docs(2, 3 * SOUK_SEARCH_POLL_MS), -1);
    assert_int_equal(souk_store_touch(t.db, SOUK_SEARCH_REINDEX_VERSION), SOUK_DB_DONE);
    assert_true(wait_docs(2, 5000) >= 0);

    souk_search_service_stop();
    assert_false(souk_search_service_enabled());
    assert_null(souk_search_service_acquire());
    souk_test_db_close(&t);
}

static void test_refuses_bad_options(void **state)
{
    (void)state;
    souk_search_service_opts o = {.db_dsn = "sqlite::memory:", .currency = "USD", .language = "klingon"};
    assert_int_equal(souk_search_service_start(&o), -1);
    assert_false(souk_search_service_enabled());
    o.language = NULL;
    o.currency = "TOOLONG";
    assert_int_equal(souk_search_service_start(&o), -1);
    assert_false(souk_search_service_enabled());
}

static void test_lends_analysers(void **state)
{
    (void)state;
    souk_search_text *a = souk_search_service_text(NULL), *b = souk_search_service_text("english");
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b); /* one borrower each */
    souk_search_service_text_put(a);
    souk_search_text *c = souk_search_service_text(NULL);
    assert_ptr_equal(c, a); /* given back, lent again */
    souk_search_text *g = souk_search_service_text("german");
    assert_non_null(g);
    assert_string_equal(g->language, "german");
    souk_search_service_text_put(b);
    souk_search_service_text_put(c);
    souk_search_service_text_put(g);
    souk_search_service_text_put(NULL);
    souk_search_service_stop(); /* frees the kept analysers, also when never started */
}

/* GET /api/v1/search?QS by the handler itself; returns its souk_err, RES filled. */
static int call_search(const char *qs, souk_res *res, souk_arena *a)
{
    static souk_config cfg = {.currency = "USD"};
    souk_req req = {.arena = a, .config = &cfg, .method = SOUK_GET, .path = "/api/v1/search", .request_id = "t"};
    const char *err;
    if (souk_query_parse(&req.query, qs, strlen(qs), a, &err) != 0)
        fail_msg("query %s: %s", qs, err);
    memset(res, 0, sizeof *res);
    souk_buf_init(&res->body, 1 << 20);
    souk_problems_init(&res->problems);
    return souk_search_api_search(&req, res);
}

static void test_unavailable_until_built_and_when_off(void **state)
{
    (void)state;
    souk_arena a;
    souk_arena_init(&a, 4096, 0);
    souk_res res;
    /* off: 503 without Retry-After */
    assert_int_equal(call_search("q=mug", &res, &a), SOUK_E_UNAVAILABLE);
    assert_null(res.retry_after);
    assert_non_null(strstr(res.err_message, "SOUK_SEARCH=off"));
    souk_buf_release(&res.body);
    /* bad input is refused before the index is asked for */
    assert_int_equal(call_search("limit=5", &res, &a), SOUK_E_VALIDATION);
    assert_string_equal(res.problems.items[0].field, "q");
    souk_buf_release(&res.body);
    /* started on a database that cannot be opened: no segment ever, 503 with Retry-After */
    souk_search_service_opts o = {.db_dsn = "sqlite:/nonexistent-souk-dir/x.db", .currency = "USD"};
    assert_int_equal(souk_search_service_start(&o), 0);
    assert_int_equal(call_search("q=mug", &res, &a), SOUK_E_UNAVAILABLE);
    assert_string_equal(res.retry_after, "1");
    souk_buf_release(&res.body);
    souk_search_service_stop();
    souk_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builds_then_follows_the_version),
        cmocka_unit_test(test_refuses_bad_options),
        cmocka_unit_test(test_lends_analysers),
        cmocka_unit_test(test_unavailable_until_built_and_when_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
