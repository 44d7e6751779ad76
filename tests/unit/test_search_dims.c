/* test_search_dims.c — the attribute dimensions worth a facet (src/search/dims.c,
 * souk_search_attr_dims, behind facets=attr.*): only attr.NAME dimensions, only
 * those whose values two documents share on average, most documents first and
 * then by name, bounded by MAX; in a composite the documents add up over base
 * and delta and a value in both counts once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "search/index.h"

typedef struct {
    int64_t id;
    const char *color, *size, *serial, *brand;
} attr_doc;

static souk_search_segment *build(const attr_doc *docs, size_t n)
{
    souk_search_builder *b;
    assert_int_equal(souk_search_builder_new(&b, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        souk_search_facet_value fv[4];
        size_t nfv = 0;
        if (docs[i].color)
            fv[nfv++] = (souk_search_facet_value){"attr.color", docs[i].color};
        if (docs[i].size)
            fv[nfv++] = (souk_search_facet_value){"attr.size", docs[i].size};
        if (docs[i].serial)
            fv[nfv++] = (souk_search_facet_value){"attr.serial", docs[i].serial};
        if (docs[i].brand)
            fv[nfv++] = (souk_search_facet_value){"brand", docs[i].brand};
        souk_search_doc d = {.id = docs[i].id, .price = -1, .rating = -1, .facets = fv, .nfacets = nfv};
        d.field[SOUK_SEARCH_F_TITLE] = "lamp";
        assert_int_equal(souk_search_builder_add(b, &d), 0);
    }
    souk_search_segment *s;
    assert_int_equal(souk_search_builder_finish(b, &s), 0);
    return s;
}

static void test_shared_attributes_only_most_documents_first(void **state)
{
    (void)state;
    const attr_doc docs[] = {
        {1, "black", "s", "A1", "7"}, {2, "black", "m", "A2", "7"}, {3, "white", NULL, "A3", "7"},
        {4, "black", "s", "A4", "8"}, {5, NULL, "m", "A5", "8"},
    };
    souk_search_segment *seg = build(docs, 5);
    const char *out[4];
    /* color: 4 documents over 2 values; size: 4 over 2 — a tie, by name; serial: 5 over 5, no facet; brand: no attribute */
    assert_int_equal(souk_search_attr_dims(seg, out, 4), 2);
    assert_string_equal(out[0], "attr.color");
    assert_string_equal(out[1], "attr.size");
    assert_int_equal(souk_search_attr_dims(seg, out, 1), 1); /* bounded */
    assert_string_equal(out[0], "attr.color");
    souk_search_segment_unref(seg);
}

static void test_composite_adds_documents_and_merges_values(void **state)
{
    (void)state;
    /* base: color black ×1, white ×1 (2 over 2: alone, no facet); size s ×2 */
    const attr_doc base_docs[] = {{1, "black", "s", NULL, NULL}, {2, "white", "s", NULL, NULL}};
    /* delta: black ×2 more: color is then 4 documents over 2 distinct values (black counted once) */
    const attr_doc delta_docs[] = {{3, "black", NULL, NULL, NULL}, {4, "black", NULL, NULL, NULL}};
    souk_search_segment *base = build(base_docs, 2), *delta = build(delta_docs, 2);
    const char *out[4];
    assert_int_equal(souk_search_attr_dims(base, out, 4), 1);
    assert_string_equal(out[0], "attr.size");
    const int64_t ids[] = {3, 4};
    souk_search_segment *seg;
    assert_int_equal(souk_search_segment_compose(base, delta, ids, 2, &seg), 0);
    assert_int_equal(souk_search_attr_dims(seg, out, 4), 2);
    assert_string_equal(out[0], "attr.color"); /* 4 documents */
    assert_string_equal(out[1], "attr.size");  /* 2 */
    souk_search_segment_unref(seg);
    souk_search_segment_unref(base);
    souk_search_segment_unref(delta);
}

static void test_composite_counts_live_documents_only(void **state)
{
    (void)state;
    /* products 1 and 2 changed since the base (in both parts, tombstoned in the base), product 3
     * removed since (tombstoned, in no delta) */
    const attr_doc base_docs[] = {
        {1, "black", NULL, "A1", NULL}, {2, "black", NULL, "A2", NULL}, {3, "red", NULL, NULL, NULL}};
    const attr_doc delta_docs[] = {{1, "black", NULL, "A1", NULL}, {2, "black", NULL, "A2", NULL}};
    souk_search_segment *base = build(base_docs, 3), *delta = build(delta_docs, 2);
    const int64_t ids[] = {1, 2, 3};
    souk_search_segment *seg;
    assert_int_equal(souk_search_segment_compose(base, delta, ids, 3, &seg), 0);
    const char *out[4];
    /* serial: 2 live documents over 2 values, no facet (with the tombstoned copies it would look
     * like 4 over 2); color: 2 over 1 (black; red has no live document): kept */
    assert_int_equal(souk_search_attr_dims(seg, out, 4), 1);
    assert_string_equal(out[0], "attr.color");
    souk_search_segment_unref(seg);
    souk_search_segment_unref(base);
    souk_search_segment_unref(delta);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_attributes_only_most_documents_first),
        cmocka_unit_test(test_composite_adds_documents_and_merges_values),
        cmocka_unit_test(test_composite_counts_live_documents_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
