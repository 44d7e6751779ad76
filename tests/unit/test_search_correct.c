/* test_search_correct.c — "did you mean" (src/search/correct.c): a
 * misspelt word becomes the nearest dictionary word, the one in most
 * documents among equally near ones; known words, numbers, codes, phrases
 * and exclusions are left alone; nothing to correct gives NULL. Also the
 * settings a segment carries (segment.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "search_fixture.h"

static const fx_doc docs[] = {
    {.title = "Ceramic mug", .description = "a blue ceramic mug"},
    {.title = "Ceramic mug large"},
    {.title = "Steel mug"},
    {.title = "Lantern brass"},
    {.title = "Lantern iron"},
    {.title = "Mud kitchen toy"}, /* "mud": one edit from "mug" too, in fewer documents */
    {.title = "Drill WX-200"},
    {.title = "Television stand"},
};

static souk_search_segment *seg;
static souk_search_text t;
static souk_arena arena;

static int setup(void **state)
{
    (void)state;
    seg = fx_build(docs, sizeof docs / sizeof docs[0]);
    assert_int_equal(souk_search_text_init(&t, NULL), 0);
    souk_arena_init(&arena, 1 << 16, 1 << 24);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    souk_arena_release(&arena);
    souk_search_text_release(&t);
    souk_search_segment_unref(seg);
    return 0;
}

static const char *fix(const char *q)
{
    return souk_search_correct(seg, &t, q, strlen(q), &arena);
}

static void test_corrects_misspelt_words(void **state)
{
    (void)state;
    assert_string_equal(fix("mugg"), "mug");
    assert_string_equal(fix("mux"), "mug"); /* mud and mug are both one edit: mug is in more documents */
    assert_string_equal(fix("ceramik mugg"), "ceramic mug");
    assert_string_equal(fix("Lantren"), "lantern"); /* a transposition is one edit */
    assert_string_equal(fix("televisoin stand"), "television stand");
    assert_string_equal(fix("the lantren"), "lantern"); /* read as the index reads it: no stop words */
    assert_string_equal(fix("mugg -steel"), "mug -steel");
    assert_string_equal(fix("mugg \"iron lantren\""), "mug \"iron lantren\""); /* phrases as typed */
}

static void test_leaves_alone_what_it_cannot_improve(void **state)
{
    (void)state;
    assert_null(fix("mug"));             /* known */
    assert_null(fix("ceramic lantern")); /* known words, however few documents hold both */
    assert_null(fix("ab"));              /* too short to guess */
    assert_null(fix("zzzzzz"));          /* nothing near */
    assert_null(fix("wx-201"));          /* codes are not corrected */
    assert_null(fix("201"));
    assert_null(fix("-mugg")); /* exclusions are not */
    assert_null(fix(""));
    assert_null(fix("\"lantren\""));
}

/* Over a base and a delta, a word's documents are counted in both
 * dictionaries, and a word only the delta has is offered. */
static void test_corrects_over_base_and_delta(void **state)
{
    (void)state;
    static const fx_doc fresh[] = {
        {.title = "Mud pie"}, {.title = "Mud boots"}, {.title = "Mud guard"}, {.title = "Copper kettle"}};
    souk_search_segment *delta = fx_build(fresh, 4), *both;
    /* ids 1..4 of the delta replace the base's first four documents (tombstoned) */
    const int64_t ids[] = {1, 2, 3, 4};
    assert_int_equal(souk_search_segment_compose(seg, delta, ids, 4, &both), 0);
    souk_search_segment_unref(delta);
    const char *q = "mux";
    /* base: mug in 3 (all tombstoned but still in its dictionary), mud in 1; delta: mud in 3 */
    assert_string_equal(souk_search_correct(both, &t, q, strlen(q), &arena), "mud");
    q = "ketle";
    assert_string_equal(souk_search_correct(both, &t, q, strlen(q), &arena), "kettle");
    assert_null(fix("ketle")); /* the base alone does not know it */
    q = "lantren";
    assert_string_equal(souk_search_correct(both, &t, q, strlen(q), &arena), "lantern");
    souk_search_segment_unref(both);
}

static void test_segment_settings(void **state)
{
    (void)state;
    souk_search_segment *s = fx_build(docs, 3);
    assert_ptr_equal(souk_search_segment_weights(s), &souk_search_weights_default);
    assert_null(souk_search_segment_synonyms(s));
    souk_search_synonyms *syn;
    char err[64];
    assert_int_equal(souk_search_synonyms_parse(&syn, "cup, mug", 8, &t, err, sizeof err), 0);
    souk_search_weights w = souk_search_weights_default;
    w.k1 = 2;
    souk_search_segment_set_settings(s, syn, &w);
    assert_true(souk_search_segment_weights(s)->k1 == 2);
    assert_ptr_equal(souk_search_segment_synonyms(s), syn);
    souk_search_result r;
    souk_search_request req = {.synonyms = souk_search_segment_synonyms(s)};
    fx_ids(s, &t, req, "cup ", &r, &arena);
    assert_int_equal(r.total, 3); /* every mug, through the synonym */
    souk_search_segment_unref(s); /* frees the synonyms too (ASan/LSan would tell) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corrects_misspelt_words),
        cmocka_unit_test(test_leaves_alone_what_it_cannot_improve),
        cmocka_unit_test(test_corrects_over_base_and_delta),
        cmocka_unit_test(test_segment_settings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
