/* test_http_cache.c — the response cache (src/http/cache.c): generations and
 * their tags (catalog, stock, recommendations, search), time to live, the byte budget
 * and what it reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "http/cache.h"

#define BUDGET (16 * 4096) /* 4 KiB per shard: an entry over 1 KiB is not kept */

static souk_arena arena;

static void put(const char *key, unsigned tags, int ttl_s, const char *body)
{
    souk_cached c = {200, tags, false, body, strlen(body), "\"e\"", "application/json", "no-store", ttl_s};
    souk_cache_put(key, strlen(key), souk_cache_stamp_now(), &c);
}

/* The body cached under KEY, or NULL on a miss (arena memory). */
static const char *get(const char *key)
{
    souk_cached c;
    return souk_cache_get(key, strlen(key), &c, &arena) ? c.body : NULL;
}

static void test_tags_decide_what_goes(void **state)
{
    (void)state;
    put("/plain", 0, 0, "plain");
    put("/stock", SOUK_CACHE_TAG_STOCK, 0, "stock");
    put("/recs", SOUK_CACHE_TAG_STOCK | SOUK_CACHE_TAG_RECS, 3600, "recs");
    assert_string_equal(get("/plain"), "plain");
    assert_string_equal(get("/recs"), "recs");

    souk_cache_invalidate_recs(); /* a new recommendation snapshot: only the lists go */
    assert_null(get("/recs"));
    assert_string_equal(get("/plain"), "plain");
    assert_string_equal(get("/stock"), "stock");

    put("/recs", SOUK_CACHE_TAG_STOCK | SOUK_CACHE_TAG_RECS, 3600, "recs");
    souk_cache_invalidate_stock(); /* a product sold out: stock lists and recommendation lists go */
    assert_null(get("/recs"));
    assert_null(get("/stock"));
    assert_string_equal(get("/plain"), "plain");

    put("/recs", SOUK_CACHE_TAG_RECS, 3600, "recs");
    souk_cache_invalidate(); /* the catalog moved: everything goes */
    assert_null(get("/recs"));
    assert_null(get("/plain"));
}

static void test_search_tag_goes_with_a_new_segment(void **state)
{
    (void)state;
    put("/c/lamps", SOUK_CACHE_TAG_SEARCH, 0, "category");
    put("/recs", SOUK_CACHE_TAG_RECS, 0, "recs");
    put("/plain", 0, 0, "plain");
    souk_cache_stamp before = souk_cache_stamp_now();
    souk_cache_invalidate_search(); /* the index published a segment: only the pages drawn from it go */
    assert_null(get("/c/lamps"));
    assert_string_equal(get("/recs"), "recs");
    assert_string_equal(get("/plain"), "plain");
    /* a page computed from the old segment is not kept */
    souk_cached c = {200, SOUK_CACHE_TAG_SEARCH, false, "old", 3, "\"e\"", "text/html", "no-store", 0};
    souk_cache_put("/c/old", 6, before, &c);
    assert_null(get("/c/old"));
    put("/c/lamps", SOUK_CACHE_TAG_SEARCH, 0, "category");
    souk_cache_invalidate_recs();
    assert_string_equal(get("/c/lamps"), "category");
}

static void test_answer_begun_before_a_new_snapshot_is_not_kept(void **state)
{
    (void)state;
    souk_cache_stamp before = souk_cache_stamp_now();
    souk_cache_invalidate_recs(); /* the snapshot was swapped while the answer was computed */
    souk_cached c = {200, SOUK_CACHE_TAG_RECS, false, "old", 3, "\"e\"", "application/json", "no-store", 3600};
    souk_cache_put("/late", 5, before, &c);
    assert_null(get("/late"));
    /* an untagged answer of the same moment is kept: it does not show the lists */
    c.tags = 0;
    souk_cache_put("/late-plain", 11, before, &c);
    assert_string_equal(get("/late-plain"), "old");
}

static void test_time_to_live(void **state)
{
    (void)state;
    put("/short", SOUK_CACHE_TAG_RECS, 1, "short");
    put("/forever", 0, 0, "forever");
    put("/hour", SOUK_CACHE_TAG_RECS, 3600, "hour");
    assert_string_equal(get("/short"), "short");
    nanosleep(&(struct timespec){1, 200000000L}, NULL); /* past the 1 s the entry may live */
    assert_null(get("/short"));
    assert_string_equal(get("/forever"), "forever");
    assert_string_equal(get("/hour"), "hour");
}

static void test_bounded_in_bytes_and_reported(void **state)
{
    (void)state;
    souk_cache_invalidate(); /* start from a cache holding nothing fresh */
    souk_cache_release();
    size_t bytes, entries;
    souk_cache_usage(&bytes, &entries);
    assert_int_equal(bytes, 0);
    assert_int_equal(entries, 0);

    char body[600], key[32];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    size_t most = 0;
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "/p/%d", i);
        put(key, 0, 0, body);
        souk_cache_usage(&bytes, &entries);
        assert_true(bytes <= BUDGET);
        assert_true(entries > 0);
        assert_true(entries * sizeof body <= bytes); /* every entry is counted with its body */
        if (bytes > most)
            most = bytes;
    }
    assert_true(most > BUDGET / 4); /* it does hold answers, up to its budget */

    /* an answer over a quarter of a shard's budget is never kept */
    char big[1500];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put("/big", 0, 0, big);
    assert_null(get("/big"));

    souk_cache_release();
    souk_cache_usage(&bytes, &entries);
    assert_int_equal(bytes, 0);
    assert_int_equal(entries, 0);
}

static void test_lists_keep_to_their_share(void **state)
{
    (void)state;
    souk_cache_release();
    char key[64], body[100];
    memset(body, 'c', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    for (int i = 0; i < 16; i++) { /* the catalog's answers */
        snprintf(key, sizeof key, "/products/%d", i);
        put(key, 0, 0, body);
    }
    size_t catalog, entries;
    souk_cache_usage(&catalog, &entries);
    assert_int_equal(entries, 16);
    memset(body, 'r', sizeof body - 1);
    for (int i = 0; i < 5000; i++) { /* a flood of shoppers' lists */
        snprintf(key, sizeof key, "/for-you?anonymous_id=v%d", i);
        put(key, SOUK_CACHE_TAG_RECS, 3600, body);
        size_t bytes;
        souk_cache_usage(&bytes, &entries);
        assert_true(bytes - catalog <= BUDGET / 2);
    }
    for (int i = 0; i < 16; i++) { /* every catalog answer is still there */
        snprintf(key, sizeof key, "/products/%d", i);
        assert_non_null(get(key));
    }
    assert_non_null(get("/for-you?anonymous_id=v4999")); /* and the newest list */
}

static void test_stale_entries_are_freed_and_counted_out(void **state)
{
    (void)state;
    souk_cache_release();
    put("/a", SOUK_CACHE_TAG_RECS, 3600, "a");
    put("/a", SOUK_CACHE_TAG_RECS, 3600, "a2"); /* replaced, not doubled */
    size_t bytes, entries;
    souk_cache_usage(&bytes, &entries);
    assert_int_equal(entries, 1);
    souk_cache_invalidate_recs();
    assert_null(get("/a")); /* seen stale: freed */
    souk_cache_usage(&bytes, &entries);
    assert_int_equal(entries, 0);
    assert_int_equal(bytes, 0);
}

static int setup(void **state)
{
    (void)state;
    souk_arena_init(&arena, 4096, (size_t)1 << 24);
    souk_cache_init(BUDGET);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    souk_cache_release();
    souk_arena_release(&arena);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tags_decide_what_goes),
        cmocka_unit_test(test_answer_begun_before_a_new_snapshot_is_not_kept),
        cmocka_unit_test(test_search_tag_goes_with_a_new_segment),
        cmocka_unit_test(test_time_to_live),
        cmocka_unit_test(test_bounded_in_bytes_and_reported),
        cmocka_unit_test(test_lists_keep_to_their_share),
        cmocka_unit_test(test_stale_entries_are_freed_and_counted_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
