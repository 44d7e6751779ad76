/* test_search_load.c — building a segment from the database through the catalog's
 * search views (src/search/load.c, migration 0080). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "search_fixture.h"

#include "core/time.h"

static void sql(souk_store *db, const char *q)
{
    int r = souk_store_exec(db, q, NULL);
    if (r != SOUK_DB_DONE)
        fail_msg("%s: %s", q, souk_store_errmsg(db));
}

static void seed(souk_store *db)
{
    sql(db, "INSERT INTO categories (id, parent_id, slug, name, created_at, updated_at) VALUES "
            "(1, NULL, 'home', 'Home', 0, 0), (2, 1, 'kitchen', 'Kitchen', 0, 0), (3, 2, 'mugs', 'Mugs', 0, 0), "
            "(4, NULL, 'garden', 'Garden', 0, 0)");
    sql(db, "INSERT INTO brands (id, slug, name, created_at, updated_at) VALUES (7, 'acme', 'Acme', 0, 0)");
    sql(db, "INSERT INTO vendors (id, slug, name, created_at, updated_at) VALUES (9, 'potters', 'The Potters', 0, 0)");
    sql(db, "INSERT INTO products (id, slug, title, description, status, brand_id, vendor_id, category_id, created_at, "
            "updated_at) VALUES "
            "(10, 'mug', 'Stoneware mug', 'Holds tea', 'active', 7, 9, 3, 100, 100), "
            "(11, 'pot', 'Flower pot', 'Terracotta', 'active', NULL, NULL, 4, 200, 200), "
            "(12, 'old', 'Stoneware mug, old model', '', 'archived', 7, 9, 3, 50, 50), "
            "(13, 'draft', 'Stoneware jug', '', 'draft', 7, NULL, 2, 60, 60)");
    sql(db, "INSERT INTO product_attributes (product_id, name, value) VALUES "
            "(10, 'color', 'Cobalt blue'), (10, 'material', 'stoneware'), (11, 'color', 'terracotta')");
    sql(db, "INSERT INTO variants (id, product_id, sku, status, created_at, updated_at) VALUES "
            "(100, 10, 'MUG-350', 'active', 0, 0), (101, 10, 'MUG-500', 'active', 0, 0), "
            "(102, 10, 'MUG-OLD', 'archived', 0, 0), (110, 11, 'POT-20', 'active', 0, 0), "
            "(120, 12, 'MUG-1', 'active', 0, 0)");
    sql(db, "INSERT INTO variant_prices (variant_id, currency, amount) VALUES (100, 'USD', 1200), (101, 'USD', 1500)");
    sql(db,
        "INSERT INTO product_prices (product_id, currency, min_amount) VALUES (10, 'USD', 1200), (10, 'EUR', 1100)");
    /* only the 500 ml mug can be sold; the pot has nothing available */
    sql(db, "INSERT INTO variant_availability (variant_id, available) VALUES (101, 3), (110, 0)");
}

static void test_build_from_the_catalog_views(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "search"), 0);
    seed(t.db);
    souk_search_segment *s;
    char err[256];
    assert_int_equal(souk_search_build(t.db, "USD", NULL, &s, err, sizeof err), 0);
    assert_int_equal(souk_search_segment_docs(s), 2); /* active products only */
    souk_search_text tx;
    assert_int_equal(souk_search_text_init(&tx, NULL), 0);
    souk_arena a;
    souk_arena_init(&a, 0, 0);
    souk_search_result r;
    const souk_search_request plain = {.flags = SOUK_SEARCH_Q_NO_PREFIX};
    assert_string_equal(fx_ids(s, &tx, plain, "stoneware", &r, &a), "10");    /* title and attribute */
    assert_string_equal(fx_ids(s, &tx, plain, "kitchen", &r, &a), "10");      /* an ancestor in the path */
    assert_string_equal(fx_ids(s, &tx, plain, "acme potters", &r, &a), "10"); /* brand and vendor names */
    assert_string_equal(fx_ids(s, &tx, plain, "cobalt", &r, &a), "10");
    assert_string_equal(fx_ids(s, &tx, plain, "mug-500", &r, &a), "10"); /* an active variant's SKU */
    assert_true(r.hits[0].score > 1e5);                                  /* ... matched exactly */
    assert_string_equal(fx_ids(s, &tx, plain, "mug-old", &r, &a), "");   /* not an archived one's */
    assert_string_equal(fx_ids(s, &tx, plain, "jug", &r, &a), "");       /* drafts are not indexed */
    /* facets: the category subtree, brand, attributes; stock and price */
    const char *home[] = {"1"}, *dims[] = {"category", "brand", "attr.color"};
    souk_search_filter f = {"category", home, 1};
    souk_search_request q = {.flags = SOUK_SEARCH_Q_NO_PREFIX,
                             .filters = &f,
                             .nfilters = 1,
                             .facets = dims,
                             .nfacets = 3,
                             .facet_limit = 20};
    assert_string_equal(fx_ids(s, &tx, q, "", &r, &a), "10");
    assert_int_equal(r.facets[0].nvalues, 3); /* 1, 2, 3: the mug's category and its ancestors */
    assert_int_equal(r.facets[1].nvalues, 1);
    assert_string_equal(r.facets[1].values[0].value, "7");
    assert_string_equal(r.facets[2].values[0].value, "Cobalt blue");
    souk_search_request stock = {.in_stock = true};
    assert_string_equal(fx_ids(s, &tx, stock, "", &r, &a), "10");
    souk_search_request cheap = {.has_price_max = true, .price_max = 1200};
    assert_string_equal(fx_ids(s, &tx, cheap, "", &r, &a), "10"); /* USD 12.00; the pot has no USD price */
    souk_search_request newest = {.sort = SOUK_SEARCH_SORT_NEWEST};
    assert_string_equal(fx_ids(s, &tx, newest, "", &r, &a), "11 10");
    souk_search_segment_unref(s);
    /* in EUR the mug costs 11.00 */
    assert_int_equal(souk_search_build(t.db, "EUR", NULL, &s, err, sizeof err), 0);
    souk_search_request eur = {.has_price_min = true, .price_min = 1100, .has_price_max = true, .price_max = 1100};
    assert_string_equal(fx_ids(s, &tx, eur, "", &r, &a), "10");
    souk_search_segment_unref(s);
    assert_int_equal(souk_search_build(t.db, "USD", "klingon", &s, err, sizeof err), -1);
    assert_string_equal(err, "no stemmer for the language 'klingon'");
    souk_arena_release(&a);
    souk_search_text_release(&tx);
    souk_test_db_close(&t);
}

/* Behaviour events make products popular: weighted by type, decayed by age,
 * read once and kept on the connection for a while. */
/* A delta: only the listed products that are active now, in full (SKUs,
 * facets, prices, stock); composed over a base, it replaces their old form. */
static void test_build_of_listed_products(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "search-ids"), 0);
    seed(t.db);
    char err[256];
    souk_search_segment *base, *delta, *both, *none;
    assert_int_equal(souk_search_build(t.db, "USD", NULL, &base, err, sizeof err), 0);
    sql(t.db, "UPDATE products SET title = 'Porcelain mug' WHERE id = 10");
    sql(t.db, "UPDATE products SET status = 'archived' WHERE id = 11");
    const int64_t ids[] = {12, 11, 10, 99}; /* archived, archived now, changed, unknown */
    assert_int_equal(souk_search_build_ids(t.db, "USD", NULL, ids, 4, &delta, err, sizeof err), 0);
    assert_int_equal(souk_search_segment_docs(delta), 1);
    assert_int_equal(souk_search_build_ids(t.db, "USD", NULL, ids, 0, &none, err, sizeof err), 0);
    assert_int_equal(souk_search_segment_docs(none), 0);
    souk_search_segment_unref(none);
    assert_int_equal(souk_search_segment_compose(base, delta, ids, 4, &both), 0);
    assert_int_equal(souk_search_segment_docs(both), 1);
    assert_int_equal(souk_search_segment_tombstones(both), 2);
    assert_int_equal(souk_search_segment_in_stock(both, 10), 1);
    assert_int_equal(souk_search_segment_in_stock(both, 11), -1);
    souk_search_text tx;
    assert_int_equal(souk_search_text_init(&tx, NULL), 0);
    souk_search_request req = {.limit = 10, .flags = SOUK_SEARCH_Q_NO_FALLBACK};
    souk_search_result r;
    souk_arena a;
    souk_arena_init(&a, 1 << 16, 1 << 24);
    assert_string_equal(fx_ids(both, &tx, req, "porcelain", &r, &a), "10");
    assert_string_equal(fx_ids(both, &tx, req, "terracotta", &r, &a), "");   /* archived since */
    assert_string_equal(fx_ids(both, &tx, req, "MUG-500", &r, &a), "10");    /* the delta's SKUs */
    assert_string_equal(fx_ids(base, &tx, req, "terracotta", &r, &a), "11"); /* the base is unchanged */
    souk_arena_release(&a);
    souk_search_text_release(&tx);
    souk_search_segment_unref(both);
    souk_search_segment_unref(delta);
    souk_search_segment_unref(base);
    souk_test_db_close(&t);
}

static void test_popularity_from_behaviour_events(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "searchpop"), 0);
    seed(t.db);
    char q[512];
    long long now = (long long)souk_time_now_us(), day = 86400LL * 1000000;
    /* the pot: 4 fresh views; the mug: one purchase (5) 60 days ago, decayed to about 5/16 */
    snprintf(q, sizeof q,
             "INSERT INTO behaviour_events (id, sender, client_key, type, at, product_id) VALUES "
             "(1, 1, 1, 2, %lld, 11), (2, 1, 2, 2, %lld, 11), (3, 1, 3, 2, %lld, 11), (4, 1, 4, 2, %lld, 11), "
             "(5, 2, 5, 20, %lld, 10), (6, 2, 6, 2, %lld, 10)",
             now, now, now, now, now - 60 * day, now - 200 * day); /* the last is past the 90-day window */
    sql(t.db, q);
    souk_search_segment *s;
    char err[256];
    assert_int_equal(souk_search_build(t.db, "USD", NULL, &s, err, sizeof err), 0);
    souk_search_text tx;
    assert_int_equal(souk_search_text_init(&tx, NULL), 0);
    souk_arena a;
    souk_arena_init(&a, 0, 0);
    souk_search_result r;
    souk_search_request popular = {.sort = SOUK_SEARCH_SORT_POPULARITY};
    assert_string_equal(fx_ids(s, &tx, popular, "", &r, &a), "11 10");
    souk_search_segment_unref(s);
    /* a burst of purchases of the mug now: the next build within the cache time still ranks as before */
    snprintf(q, sizeof q,
             "INSERT INTO behaviour_events (id, sender, client_key, type, at, product_id) VALUES "
             "(7, 3, 7, 20, %lld, 10), (8, 3, 8, 20, %lld, 10)",
             now, now);
    sql(t.db, q);
    assert_int_equal(souk_search_build(t.db, "USD", NULL, &s, err, sizeof err), 0);
    assert_string_equal(fx_ids(s, &tx, popular, "", &r, &a), "11 10");
    souk_search_segment_unref(s);
    /* a new connection reads them: 10 outranks 11 */
    souk_store *fresh;
    assert_int_equal(souk_store_open(&fresh, t.dsn, err, sizeof err), 0);
    assert_int_equal(souk_search_build(fresh, "USD", NULL, &s, err, sizeof err), 0);
    assert_string_equal(fx_ids(s, &tx, popular, "", &r, &a), "10 11");
    souk_search_segment_unref(s);
    souk_store_close(fresh);
    souk_arena_release(&a);
    souk_search_text_release(&tx);
    souk_test_db_close(&t);
}

/* Approved reviews' aggregates (the search_product_ratings view reviews publish,
 * migration 0100) become the rating column: the rating sort and rating_min. */
static void test_ratings_from_reviews(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "searchrating"), 0);
    seed(t.db);
    /* the pot: 3 approved reviews averaging 4.33; the mug: 2 averaging 3.5; an archived product's row is ignored;
     * a product whose approved reviews all went (approved 0) is unrated */
    sql(t.db, "INSERT INTO review_product_stats (product_id, approved, rating_sum, sentiment_sum, updated_at) VALUES "
              "(11, 3, 13, 0, 0), (10, 2, 7, 0, 0), (12, 5, 25, 0, 0)");
    souk_search_segment *s;
    char err[256];
    assert_int_equal(souk_search_build(t.db, "USD", NULL, &s, err, sizeof err), 0);
    souk_search_text tx;
    assert_int_equal(souk_search_text_init(&tx, NULL), 0);
    souk_arena a;
    souk_arena_init(&a, 0, 0);
    souk_search_result r;
    souk_search_request by_rating = {.sort = SOUK_SEARCH_SORT_RATING};
    assert_string_equal(fx_ids(s, &tx, by_rating, "", &r, &a), "11 10");
    souk_search_request four = {.rating_min = 4};
    assert_string_equal(fx_ids(s, &tx, four, "", &r, &a), "11");
    souk_search_request three = {.rating_min = 3, .sort = SOUK_SEARCH_SORT_RATING};
    assert_string_equal(fx_ids(s, &tx, three, "", &r, &a), "11 10");
    souk_search_segment_unref(s);
    sql(t.db, "UPDATE review_product_stats SET approved = 0, rating_sum = 0 WHERE product_id = 11");
    assert_int_equal(souk_search_build(t.db, "USD", NULL, &s, err, sizeof err), 0);
    assert_string_equal(fx_ids(s, &tx, by_rating, "", &r, &a), "10 11"); /* unrated last */
    assert_string_equal(fx_ids(s, &tx, four, "", &r, &a), "");
    souk_search_segment_unref(s);
    souk_arena_release(&a);
    souk_search_text_release(&tx);
    souk_test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_from_the_catalog_views),
        cmocka_unit_test(test_build_of_listed_products),
        cmocka_unit_test(test_popularity_from_behaviour_events),
        cmocka_unit_test(test_ratings_from_reviews),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
