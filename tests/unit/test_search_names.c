/* test_search_names.c — category and brand names for suggestions
 * (src/search/names.c): kept once per (kind, id), counted by the segment's
 * facet bitmaps (none: dropped), found by the start of their words,
 * folded, most products first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "search_fixture.h"
#include "search/names.h"

static void test_names_suggested_by_word_starts(void **state)
{
    (void)state;
    const fx_doc docs[] = {
        {.title = "a", .brand = "7"},
        {.title = "b", .brand = "7"},
        {.title = "c", .brand = "8"},
        {.title = "d", .brand = "9"},
    };
    souk_search_segment *seg = fx_build(docs, 4);
    souk_search_text t;
    assert_int_equal(souk_search_text_init(&t, NULL), 0);
    souk_search_names *ns = souk_search_names_new();
    assert_non_null(ns);
    assert_int_equal(souk_search_names_add(ns, &t, SOUK_SEARCH_NAME_BRAND, 7, "Quill Works", 11), 0);
    assert_int_equal(souk_search_names_add(ns, &t, SOUK_SEARCH_NAME_BRAND, 7, "Quill Works", 11), 1); /* once */
    assert_int_equal(souk_search_names_add(ns, &t, SOUK_SEARCH_NAME_BRAND, 8, "Crème Quilts", 13), 0);
    assert_int_equal(souk_search_names_add(ns, &t, SOUK_SEARCH_NAME_BRAND, 9, "Acme", 4), 0);
    assert_int_equal(souk_search_names_add(ns, &t, SOUK_SEARCH_NAME_BRAND, 10, "Quiet (no products)", 19), 0);
    assert_int_equal(souk_search_names_add(ns, &t, SOUK_SEARCH_NAME_BRAND, 11, "", 0), 1);
    assert_int_equal(souk_search_names_add(ns, &t, SOUK_SEARCH_NAME_CATEGORY, 7, "Quills", 6), 0);
    assert_int_equal(souk_search_segment_set_names(seg, ns), 0);

    souk_search_name_hit h[5];
    long n = souk_search_names_suggest(seg, &t, SOUK_SEARCH_NAME_BRAND, "qui", 3, h, 5);
    assert_int_equal(n, 2); /* "Quiet" has no product; the category is another kind (and no product either) */
    assert_string_equal(h[0].name, "Quill Works");
    assert_int_equal(h[0].products, 2);
    assert_int_equal(h[0].id, 7);
    assert_string_equal(h[1].name, "Crème Quilts");
    assert_int_equal(souk_search_names_suggest(seg, &t, SOUK_SEARCH_NAME_BRAND, "CREME q", 7, h, 5), 1);
    assert_string_equal(h[0].name, "Crème Quilts");
    assert_int_equal(souk_search_names_suggest(seg, &t, SOUK_SEARCH_NAME_BRAND, "works quill", 11, h, 5), 1);
    assert_int_equal(souk_search_names_suggest(seg, &t, SOUK_SEARCH_NAME_BRAND, "uill", 4, h, 5), 0); /* starts only */
    assert_int_equal(souk_search_names_suggest(seg, &t, SOUK_SEARCH_NAME_BRAND, "  ", 2, h, 5), 0);
    assert_int_equal(souk_search_names_suggest(seg, &t, SOUK_SEARCH_NAME_BRAND, "qui", 3, h, 1), 1);
    assert_string_equal(h[0].name, "Quill Works");
    assert_int_equal(souk_search_names_suggest(seg, &t, SOUK_SEARCH_NAME_CATEGORY, "qui", 3, h, 5), 0);
    souk_search_text_release(&t);
    souk_search_segment_unref(seg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_suggested_by_word_starts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
