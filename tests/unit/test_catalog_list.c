/*
 * Unit tests for src/catalog/filter.c and list.c on a fresh temporary
 * database: list query parameters, filters and keyset pagination (both the
 * jansson and the buffer-writer forms of the list).
 */
#include "catalog_fixture.h"

static int parse_filter(fixture *f, souk_catalog_filter *flt, const char *qs)
{
    souk_query q;
    const char *err = NULL;
    if (souk_query_parse(&q, qs, strlen(qs), &f->a, &err) != 0)
        fail_msg("query %s: %s", qs, err);
    souk_problems_init(&f->pr);
    return souk_catalog_filter_parse(flt, &q, "USD", &f->a, &f->pr);
}

/* ---- filters ------------------------------------------------------------ */

static void test_filter_parse(void **state)
{
    fixture *f = *state;
    souk_catalog_filter flt;
    assert_int_equal(parse_filter(f, &flt, ""), 0);
    assert_int_equal(flt.limit, 24);
    assert_int_equal(flt.sort, SOUK_SORT_NEWEST);
    assert_int_equal(flt.status, SOUK_STATUS_ACTIVE);
    assert_string_equal(flt.currency, "USD");
    assert_int_equal(parse_filter(f, &flt,
                                  "limit=2&sort=price_desc&status=any&price_min=100&price_max=100"
                                  "&currency=EUR&category=mugs&brand=acme&vendor=v&attr.color=red"),
                     0);
    assert_int_equal(flt.limit, 2);
    assert_int_equal(flt.sort, SOUK_SORT_PRICE_DESC);
    assert_int_equal(flt.status, SOUK_STATUS_ANY);
    assert_true(flt.has_price_min && flt.has_price_max);
    assert_int_equal(flt.price_min, 100);
    assert_string_equal(flt.currency, "EUR");
    assert_string_equal(flt.category, "mugs");
    assert_string_equal(flt.brand, "acme");
    assert_string_equal(flt.vendor, "v");
    assert_int_equal(flt.nattrs, 1);
    assert_string_equal(flt.attrs[0].name, "color");
    assert_string_equal(flt.attrs[0].value, "red");

    const struct {
        const char *qs, *field;
    } bad[] = {
        {"limit=0", "limit"},
        {"limit=101", "limit"},
        {"limit=abc", "limit"},
        {"limit=", "limit"},
        {"limit=1&limit=2", "limit"},
        {"sort=cheapest", "sort"},
        {"status=deleted", "status"},
        {"price_min=-1", "price_min"},
        {"price_max=1.5", "price_max"},
        {"price_min=1000000000001", "price_min"},
        {"price_min=5&price_max=4", "price_min"},
        {"currency=usd", "currency"},
        {"currency=XXX", "currency"}, /* ISO 4217 "no currency": no price is in it */
        {"attr.Color=red", "attr.Color"},
        {"attr.=x", "attr."},
        {"category=", "category"},
        {"colour=red", "colour"},
        {"cursor=!!!", "cursor"},
        {"cursor=YWJj", "cursor"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse_filter(f, &flt, bad[i].qs) != -1)
            fail_msg("accepted %s", bad[i].qs);
        expect_field(&f->pr, bad[i].field);
    }
    /* one problem per bad parameter */
    assert_int_equal(parse_filter(f, &flt, "limit=0&sort=x&bogus=1"), -1);
    assert_int_equal(f->pr.count, 3);
}

/* ---- listing ------------------------------------------------------------ */

#define NACTIVE 9

static void seed_list(fixture *f, int64_t ids[NACTIVE])
{
    /* duplicate titles and prices exercise the id tie-breaker; two have no price */
    static const char *titles[NACTIVE] = {"Bowl", "apple",    "Cup",   "Bowl", "Zebra mug",
                                          "Cup",  "Mug|pipe", "Plate", "Bowl"};
    static const int64_t prices[NACTIVE] = {500, 1500, 500, -1, 250, 999, 500, -1, 10000};
    for (int i = 0; i < NACTIVE; i++) {
        char sku[32];
        snprintf(sku, sizeof sku, "SKU-%d", i);
        assert_int_equal(product(f, titles[i], NULL, SOUK_STATUS_ACTIVE, 0, 0, sku, prices[i], &ids[i]), SOUK_OK);
    }
    assert_int_equal(product(f, "Hidden draft", NULL, SOUK_STATUS_DRAFT, 0, 0, "D-1", 1, NULL), SOUK_OK);
    assert_int_equal(product(f, "Old archived", NULL, SOUK_STATUS_ARCHIVED, 0, 0, "A-1", 2, NULL), SOUK_OK);
}

/* walks every page of QS (limit 2) and returns the concatenated items */
static json_t *walk(fixture *f, const char *qs, int *pages)
{
    json_t *all = json_array();
    char cursor[1200] = "";
    *pages = 0;
    for (;;) {
        char full[1400];
        snprintf(full, sizeof full, "%s%s%s", qs, cursor[0] ? "&cursor=" : "", cursor);
        souk_catalog_filter flt;
        if (parse_filter(f, &flt, full) != 0)
            fail_msg("filter %s rejected", full);
        json_t *page = NULL;
        assert_int_equal(souk_catalog_list(f->db, &flt, &f->a, &f->pr, &page), SOUK_OK);
        /* the buffer writer is what the API serves: same page */
        souk_buf b;
        souk_buf_init(&b, 1 << 20);
        assert_int_equal(souk_catalog_list_write(f->db, &flt, &f->a, &f->pr, &b), SOUK_OK);
        json_t *again = json_loadb(b.data, b.len, 0, NULL);
        assert_non_null(again);
        assert_true(json_equal(page, again));
        json_decref(again);
        souk_buf_release(&b);
        json_t *data = json_object_get(page, "data");
        assert_true(json_array_size(data) <= 2);
        json_array_extend(all, data);
        (*pages)++;
        json_t *next = json_object_get(page, "next_cursor");
        if (json_is_null(next)) {
            json_decref(page);
            break;
        }
        assert_true(json_array_size(data) == 2);
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        json_decref(page);
        if (*pages > 50)
            fail_msg("pagination does not end");
    }
    return all;
}

static int64_t item_price(json_t *item, int64_t none)
{
    json_t *p = json_object_get(item, "price");
    return json_is_null(p) ? none : (int64_t)json_integer_value(json_object_get(p, "amount"));
}

static void test_list_pagination(void **state)
{
    fixture *f = *state;
    int64_t ids[NACTIVE];
    seed_list(f, ids);
    const char *sorts[] = {"newest", "price_asc", "price_desc", "name"};
    for (size_t s = 0; s < 4; s++) {
        char qs[64];
        snprintf(qs, sizeof qs, "limit=2&sort=%s", sorts[s]);
        int pages;
        json_t *all = walk(f, qs, &pages);
        if (json_array_size(all) != NACTIVE)
            fail_msg("sort %s: %zu items, expected %d", sorts[s], json_array_size(all), NACTIVE);
        assert_int_equal(pages, (NACTIVE + 1) / 2);
        /* each active product exactly once */
        for (int i = 0; i < NACTIVE; i++) {
            char want[SOUK_ID_TEXT_MAX];
            souk_id_format(SOUK_PREFIX_PRODUCT, ids[i], want);
            int seen = 0;
            size_t k;
            json_t *it;
            json_array_foreach(all, k, it)
            {
                seen += strcmp(json_string_value(json_object_get(it, "id")), want) == 0;
                assert_string_equal(json_string_value(json_object_get(it, "status")), "active");
            }
            if (seen != 1)
                fail_msg("sort %s: product %d seen %d times", sorts[s], i, seen);
        }
        /* in order */
        for (size_t k = 1; k < json_array_size(all); k++) {
            json_t *a = json_array_get(all, k - 1), *b = json_array_get(all, k);
            const char *ia = json_string_value(json_object_get(a, "id")),
                       *ib = json_string_value(json_object_get(b, "id"));
            int idc = strcmp(ia, ib); /* text order = id order */
            if (s == 0)
                assert_true(idc > 0);
            else if (s == 1) {
                int64_t pa = item_price(a, INT64_MAX), pb = item_price(b, INT64_MAX);
                assert_true(pa < pb || (pa == pb && idc < 0));
            } else if (s == 2) {
                int64_t pa = item_price(a, -1), pb = item_price(b, -1);
                assert_true(pa > pb || (pa == pb && idc > 0));
            } else {
                int tc = strcmp(json_string_value(json_object_get(a, "title")),
                                json_string_value(json_object_get(b, "title")));
                assert_true(tc < 0 || (tc == 0 && idc < 0));
            }
        }
        json_decref(all);
    }
    /* status=any includes the draft and the archived product */
    int pages;
    json_t *all = walk(f, "limit=2&status=any&sort=name", &pages);
    assert_int_equal(json_array_size(all), NACTIVE + 2);
    json_decref(all);
}

static void test_list_price_filter_and_cursor_sort(void **state)
{
    fixture *f = *state;
    int64_t ids[NACTIVE];
    seed_list(f, ids);
    int pages;
    json_t *all = walk(f, "limit=2&sort=price_asc&price_min=500&price_max=999", &pages);
    assert_int_equal(json_array_size(all), 4); /* 500, 500, 500, 999 */
    size_t k;
    json_t *it;
    json_array_foreach(all, k, it)
    {
        int64_t p = item_price(it, -1);
        assert_true(p >= 500 && p <= 999);
    }
    json_decref(all);
    all = walk(f, "limit=2&price_min=10000", &pages);
    assert_int_equal(json_array_size(all), 1);
    json_decref(all);
    all = walk(f, "limit=2&price_max=0", &pages);
    assert_int_equal(json_array_size(all), 0);
    json_decref(all);

    /* a cursor minted for one sort is refused by another */
    souk_catalog_filter flt;
    assert_int_equal(parse_filter(f, &flt, "limit=2&sort=newest"), 0);
    json_t *page = NULL;
    assert_int_equal(souk_catalog_list(f->db, &flt, &f->a, &f->pr, &page), SOUK_OK);
    const char *c = souk_arena_strdup(&f->a, json_string_value(json_object_get(page, "next_cursor")));
    json_decref(page);
    assert_non_null(c);
    char qs[1200];
    snprintf(qs, sizeof qs, "sort=name&cursor=%s", c);
    assert_int_equal(parse_filter(f, &flt, qs), -1);
    expect_field(&f->pr, "cursor");
    snprintf(qs, sizeof qs, "sort=newest&cursor=%s", c);
    assert_int_equal(parse_filter(f, &flt, qs), 0);
    assert_true(flt.has_cursor);

    /* unknown category / brand are reported by the list itself */
    assert_int_equal(parse_filter(f, &flt, "category=nope&brand=brand_0000000000001"), 0);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_list(f->db, &flt, &f->a, &f->pr, &page), SOUK_E_VALIDATION);
    expect_field(&f->pr, "category");
    expect_field(&f->pr, "brand");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filter_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_pagination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_price_filter_and_cursor_sort, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
