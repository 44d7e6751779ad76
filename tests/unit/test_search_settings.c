/* test_search_settings.c — search settings in the database
 * (src/search/settings.c): the weights codec (defaults for what is left
 * out, ranges, unknown names), rows written and read back, the settings
 * version touched, and what the served index loads (synonyms parsed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "search/settings.h"

static json_t *js(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_weights_codec(void **state)
{
    (void)state;
    souk_arena a;
    souk_arena_init(&a, 4096, 1 << 20);
    souk_problems pr;
    souk_problems_init(&pr);
    souk_search_weights w;
    json_t *j = js("{}");
    assert_int_equal(souk_search_weights_decode(j, "weights", &w, &a, &pr), 0);
    assert_memory_equal(&w, &souk_search_weights_default, sizeof w);
    json_decref(j);
    j = js("{\"field\":{\"title\":6,\"sku\":0},\"b\":{\"description\":0.2},\"k1\":2,\"typo2\":0}");
    assert_int_equal(souk_search_weights_decode(j, "weights", &w, &a, &pr), 0);
    json_decref(j);
    assert_true(w.field[SOUK_SEARCH_F_TITLE] == 6 && w.field[SOUK_SEARCH_F_SKU] == 0);
    assert_true(w.b[SOUK_SEARCH_F_DESCRIPTION] == 0.2 && w.k1 == 2 && w.typo2 == 0);
    assert_true(w.field[SOUK_SEARCH_F_BRAND] == souk_search_weights_default.field[SOUK_SEARCH_F_BRAND]);
    /* encode → decode gives the same weights */
    json_t *e = souk_search_weights_encode(&w);
    souk_search_weights back;
    assert_int_equal(souk_search_weights_decode(e, "weights", &back, &a, &pr), 0);
    assert_memory_equal(&w, &back, sizeof w);
    json_decref(e);
    assert_int_equal(pr.count, 0);
    /* out of range, wrong types, unknown names: one problem each, by name */
    j = js("{\"k1\":0,\"in_stock\":11,\"typo1\":\"0.5\",\"field\":{\"colour\":1,\"title\":101},\"b\":[],\"nope\":1}");
    assert_int_equal(souk_search_weights_decode(j, "weights", &w, &a, &pr), -1);
    json_decref(j);
    const char *want[] = {"weights.k1",          "weights.in_stock", "weights.typo1", "weights.field.colour",
                          "weights.field.title", "weights.b",        "weights.nope"};
    assert_int_equal(pr.count, 7);
    for (size_t i = 0; i < 7; i++) {
        bool seen = false;
        for (size_t k = 0; k < pr.count; k++)
            seen |= strcmp(pr.items[k].field, want[i]) == 0;
        if (!seen)
            fail_msg("no problem for %s", want[i]);
    }
    assert_int_equal(souk_search_weights_decode(NULL, "weights", &w, &a, NULL), -1);
    souk_arena_release(&a);
}

static int put_fn(souk_store *db, void *ctx)
{
    json_t **v = ctx;
    int r = souk_search_settings_put(db, "synonyms", v[0]);
    return r < 0 ? r : souk_search_settings_put(db, "weights", v[1]);
}

static void test_stored_and_loaded(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "search-settings"), 0);
    souk_search_text text;
    assert_int_equal(souk_search_text_init(&text, NULL), 0);
    souk_search_weights w;
    bool has_w;
    souk_search_synonyms *syn;
    char err[256];
    /* nothing stored: the defaults, no synonyms */
    assert_int_equal(souk_search_settings_load(t.db, &text, &w, &has_w, &syn, err, sizeof err), 0);
    assert_false(has_w);
    assert_null(syn);
    int64_t v0 = souk_store_version(t.db, SOUK_SEARCH_SETTINGS_VERSION);

    souk_search_weights mine = souk_search_weights_default;
    mine.k1 = 3;
    json_t *vals[2] = {js("[\"tv, television\", \"hoodie => sweatshirt\"]"), souk_search_weights_encode(&mine)};
    assert_true(souk_store_tx(t.db, put_fn, vals) >= 0);
    assert_true(souk_store_version(t.db, SOUK_SEARCH_SETTINGS_VERSION) > v0);
    json_t *got;
    assert_int_equal(souk_search_settings_get(t.db, "synonyms", &got), SOUK_DB_ROW);
    assert_true(json_equal(got, vals[0]));
    json_decref(got);
    assert_int_equal(souk_search_settings_load(t.db, &text, &w, &has_w, &syn, err, sizeof err), 0);
    assert_true(has_w && w.k1 == 3);
    assert_non_null(syn);
    const char *alts[4];
    assert_int_equal(souk_search_synonyms_lookup(syn, "tv", alts, 4), 1);
    assert_string_equal(alts[0], "televis"); /* stemmed as the index stems */
    souk_search_synonyms_free(syn);
    json_decref(vals[0]);
    json_decref(vals[1]);

    /* a stored value that no longer parses: an error, and nothing returned */
    assert_int_equal(
        souk_store_exec(t.db, "UPDATE search_settings SET value = '[\"two words, x\"]' WHERE name = 'synonyms'", NULL),
        SOUK_DB_DONE);
    assert_int_equal(souk_search_settings_load(t.db, &text, &w, &has_w, &syn, err, sizeof err), -1);
    assert_non_null(strstr(err, "synonyms"));
    assert_null(syn);
    assert_false(has_w);
    souk_search_text_release(&text);
    souk_test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_codec),
        cmocka_unit_test(test_stored_and_loaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
