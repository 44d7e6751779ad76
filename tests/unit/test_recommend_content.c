/*
 * Unit tests for the non-ALS recommenders of src/recommend: TF-IDF content
 * similarity and frequently-bought-together lift on corpora small enough
 * to work out by hand, item-cosine co-occurrence, the hybrid blend, and
 * trending (half-life decay) / popular per category.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/recommend.h"

#define near(a, b, eps)                                                                                                \
    do {                                                                                                               \
        double a_ = (a), b_ = (b);                                                                                     \
        if (!(fabs(a_ - b_) <= (eps)))                                                                                 \
            fail_msg("%s = %.9g, expected %.9g (±%g)", #a, a_, b_, (double)(eps));                                     \
    } while (0)

/* A "red apple", B "red car", C "blue car car" (descriptions). N = 3;
 * df: red 2, car 2, apple 1, blue 1, so with idf = ln((1 + N)/(1 + df)) + 1
 *   i1 = idf(red) = idf(car) = 1 + ln(4/3) = 1.287682
 *   i2 = idf(apple) = idf(blue) = 1 + ln 2 = 1.693147
 * A = (red i1, apple i2), B = (red i1, car i1), C = (blue i2, car 2·i1):
 *   cos(A, B) = i1² / (|A|·|B|) = i1 / (√2·√(i1² + i2²))   = 0.428046
 *   cos(B, C) = 2·i1² / (|B|·|C|) = 2·i1 / (√2·√(i2² + 4·i1²)) = 0.590852
 *   cos(A, C) = 0 (no shared term). */
static void tfidf_by_hand(void **state)
{
    (void)state;
    souk_rec_doc docs[] = {
        {.item = 3, .description = "blue car CAR"},
        {.item = 1, .description = "Red-Apple, x"}, /* "x" is one byte: not a token */
        {.item = 2, .description = "red car"},
        {.item = 1, .description = "ignored: the first text of an item wins"},
    };
    souk_rec_tfidf *t;
    assert_int_equal(souk_rec_tfidf_build(docs, 4, &t), 0);
    double i1 = 1 + log(4.0 / 3), i2 = 1 + log(2.0);
    near(souk_rec_tfidf_cosine(t, 1, 2), i1 / (sqrt(2) * sqrt(i1 * i1 + i2 * i2)), 1e-12);
    near(souk_rec_tfidf_cosine(t, 1, 2), 0.428046, 1e-6);
    near(souk_rec_tfidf_cosine(t, 2, 3), 0.590852, 1e-6);
    near(souk_rec_tfidf_cosine(t, 1, 3), 0, 0);
    near(souk_rec_tfidf_cosine(t, 2, 2), 1, 1e-12);
    near(souk_rec_tfidf_cosine(t, 2, 99), 0, 0);
    souk_rec_scored out[4];
    assert_int_equal(souk_rec_tfidf_similar(t, 2, NULL, NULL, 4, out), 2);
    assert_int_equal(out[0].item, 3);
    near(out[0].score, 0.590852, 1e-6);
    assert_int_equal(out[1].item, 1);
    assert_int_equal(souk_rec_tfidf_similar(t, 1, NULL, NULL, 4, out), 1); /* C shares nothing with A */
    assert_int_equal(souk_rec_tfidf_similar(t, 42, NULL, NULL, 4, out), 0);
    souk_rec_tfidf_free(t);
}

/* The title counts twice: "car" in the title of B weighs 2·i1. */
static void tfidf_title_counts_twice(void **state)
{
    (void)state;
    souk_rec_doc docs[] = {
        {.item = 1, .title = "car", .category = "red"},
        {.item = 2, .description = "car red"},
        {.item = 3, .attributes = "blue"},
    };
    souk_rec_tfidf *t;
    assert_int_equal(souk_rec_tfidf_build(docs, 3, &t), 0);
    /* both terms have df 2: idf equal, so A = (2, 1)·i, B = (1, 1)·i: cos = 3 / (√5·√2) */
    near(souk_rec_tfidf_cosine(t, 1, 2), 3 / (sqrt(5) * sqrt(2)), 1e-12);
    souk_rec_tfidf_free(t);
}

/* Baskets: b1 {1,2,3}, b2 {1,2}, b3 {1,2}, b4 {2,3}, b5 {4}, b6 {1,4}: B = 6,
 * n1 = 4, n2 = 4, n3 = 2, n4 = 2; n12 = 3, n23 = 2, n13 = 1, n14 = 1.
 *   lift(1,2) = 3·6/(4·4) = 1.125   lift(2,3) = 2·6/(4·2) = 1.5
 *   lift(1,3) = 1·6/(4·2) = 0.75    lift(1,4) = 1·6/(4·2) = 0.75 */
static const souk_rec_basket_item baskets[] = {
    {1, 1}, {1, 2}, {1, 3}, {1, 1}, /* item 1 twice in b1: counts once */
    {2, 1}, {2, 2}, {3, 2}, {3, 1}, {4, 2}, {4, 3}, {5, 4}, {6, 4}, {6, 1},
};

static void fbt_lift_by_hand(void **state)
{
    (void)state;
    size_t n = sizeof baskets / sizeof *baskets;
    souk_rec_fbt *f;
    souk_rec_scored out[4];
    uint32_t sup[4];
    assert_int_equal(souk_rec_fbt_build(baskets, n, 2, 10, 0, &f), 0);
    assert_int_equal(souk_rec_fbt_baskets(f), 6);
    assert_int_equal(souk_rec_fbt_for(f, 2, 4, out, sup), 2);
    assert_int_equal(out[0].item, 3);
    near(out[0].score, 1.5, 1e-12);
    assert_int_equal(sup[0], 2);
    assert_int_equal(out[1].item, 1);
    near(out[1].score, 1.125, 1e-12);
    assert_int_equal(sup[1], 3);
    assert_int_equal(souk_rec_fbt_for(f, 1, 4, out, NULL), 1); /* 3 and 4 lack the support */
    assert_int_equal(out[0].item, 2);
    assert_int_equal(souk_rec_fbt_for(f, 4, 4, out, NULL), 0);
    assert_int_equal(souk_rec_fbt_for(f, 99, 4, out, NULL), 0);
    souk_rec_fbt_free(f);
    /* support 1: the 0.75 tie between 3 and 4 goes to the lower id */
    assert_int_equal(souk_rec_fbt_build(baskets, n, 1, 10, 0, &f), 0);
    assert_int_equal(souk_rec_fbt_for(f, 1, 4, out, sup), 3);
    assert_int_equal(out[0].item, 2);
    assert_int_equal(out[1].item, 3);
    near(out[1].score, 0.75, 1e-12);
    assert_int_equal(out[2].item, 4);
    near(out[2].score, 0.75, 1e-12);
    souk_rec_fbt_free(f);
    /* baskets of more than 2 items skipped: b1 goes, B = 5, n1 = n2 = 3, n12 = 2: lift 10/9 */
    assert_int_equal(souk_rec_fbt_build(baskets, n, 1, 10, 2, &f), 0);
    assert_int_equal(souk_rec_fbt_baskets(f), 5);
    assert_true(souk_rec_fbt_for(f, 1, 4, out, sup) >= 1);
    assert_int_equal(out[0].item, 2);
    near(out[0].score, 10.0 / 9, 1e-12);
    assert_int_equal(sup[0], 2);
    souk_rec_fbt_free(f);
    assert_int_equal(souk_rec_fbt_build(baskets, n, 0, 10, 0, &f), SOUK_REC_E_INVAL);
}

/* Users as groups: item-cosine is |U_i ∩ U_j| / √(|U_i|·|U_j|). */
static void item_cosine_by_hand(void **state)
{
    (void)state;
    /* item 1: users a b c; item 2: users a b; item 3: user c */
    souk_rec_interaction in[] = {{1, 1, 0, 1}, {2, 1, 0, 1}, {3, 1, 0, 1}, {1, 2, 0, 1}, {2, 2, 0, 5}, {3, 3, 0, 1}};
    souk_rec_data d;
    assert_int_equal(souk_rec_data_build(&d, in, 6), 0);
    souk_rec_cooc *c;
    assert_int_equal(souk_rec_cooc_build(&d, 10, 0, &c), 0);
    souk_rec_scored out[3];
    assert_int_equal(souk_rec_cooc_similar(c, 1, 3, out), 2);
    assert_int_equal(out[0].item, 2);
    near(out[0].score, 2 / sqrt(6), 1e-6);
    assert_int_equal(out[1].item, 3);
    near(out[1].score, 1 / sqrt(3), 1e-6);
    assert_int_equal(souk_rec_cooc_similar(c, 3, 3, out), 1);
    souk_rec_cooc_free(c);
    /* rows over one item left out: every user has two, so nothing counts */
    assert_int_equal(souk_rec_cooc_build(&d, 10, 1, &c), 0);
    assert_int_equal(souk_rec_cooc_similar(c, 1, 3, out), 0);
    souk_rec_cooc_free(c);
    souk_rec_data_release(&d);
}

static void hybrid_gives_new_items_content_neighbours(void **state)
{
    (void)state;
    /* items 1 and 2 bought together; item 3 is new (no history) but reads like item 1 */
    souk_rec_interaction in[] = {{1, 1, 0, 1}, {1, 2, 0, 1}, {2, 1, 0, 1}, {2, 2, 0, 1}, {3, 4, 0, 1}};
    souk_rec_data d;
    assert_int_equal(souk_rec_data_build(&d, in, 5), 0);
    souk_rec_als_params p;
    souk_rec_als_params_default(&p);
    p.factors = 2;
    souk_rec_model *m;
    assert_int_equal(souk_rec_als_train(&d, &p, &m), 0);
    souk_rec_doc docs[] = {{.item = 1, .title = "walnut desk lamp"},
                           {.item = 2, .title = "lamp bulb"},
                           {.item = 3, .title = "walnut desk"},
                           {.item = 4, .title = "garden hose"}};
    souk_rec_tfidf *t;
    assert_int_equal(souk_rec_tfidf_build(docs, 4, &t), 0);
    souk_rec_scored out[3];
    long n = souk_rec_hybrid_similar(m, t, 0.7, 3, NULL, NULL, 3, out);
    assert_int_equal(n, 1); /* content alone: item 1 shares "walnut desk" */
    assert_int_equal(out[0].item, 1);
    near(out[0].score, souk_rec_tfidf_cosine(t, 3, 1), 1e-12);
    /* an item with both: w = 1 is ALS alone, w = 0 content alone */
    souk_rec_scored cf[3];
    long ncf = souk_rec_model_similar(m, 1, NULL, NULL, 3, cf);
    n = souk_rec_hybrid_similar(m, t, 1.0, 1, NULL, NULL, 3, out);
    assert_true(n >= 1 && ncf >= 1);
    assert_int_equal(out[0].item, cf[0].item);
    near(out[0].score, cf[0].score, 1e-12);
    n = souk_rec_hybrid_similar(m, t, 0.0, 1, NULL, NULL, 3, out);
    assert_int_equal(out[0].item, 3); /* "walnut desk" */
    assert_int_equal(souk_rec_hybrid_similar(m, t, 1.5, 1, NULL, NULL, 3, out), SOUK_REC_E_INVAL);
    assert_int_equal(souk_rec_hybrid_similar(NULL, t, 0.5, 3, NULL, NULL, 3, out), 1);
    souk_rec_tfidf_free(t);
    souk_rec_model_free(m);
    souk_rec_data_release(&d);
}

static bool in_category_a(void *ctx, int64_t item)
{
    (void)ctx;
    return item < 100; /* the caller's item → category map: ids under 100 are category A */
}

static void trending_decays_by_half_life(void **state)
{
    (void)state;
    const int64_t now = 1000000, day = 86400;
    souk_rec_interaction in[] = {
        {1, 7, now, 1.0},           /* 1 now */
        {2, 8, now - day, 1.5},     /* 1.5 one half-life ago: 0.75 */
        {3, 8, now - 3 * day, 0.5}, /* three half-lives: 0.0625 */
        {4, 200, now - day, 3.0},   /* another category: 1.5 */
        {5, 9, now + 10, 100.0},    /* the future: ignored */
    };
    souk_rec_scored out[4];
    assert_int_equal(souk_rec_popular(in, 5, now, (double)day, NULL, NULL, 4, out), 3);
    assert_int_equal(out[0].item, 200);
    near(out[0].score, 1.5, 1e-12);
    assert_int_equal(out[1].item, 7);
    near(out[1].score, 1.0, 1e-12);
    assert_int_equal(out[2].item, 8);
    near(out[2].score, 0.75 + 0.0625, 1e-12);
    /* no decay: plain sums of weights */
    assert_int_equal(souk_rec_popular(in, 5, now, 0, NULL, NULL, 4, out), 3);
    assert_int_equal(out[0].item, 200);
    assert_int_equal(out[1].item, 8);
    near(out[1].score, 2.0, 1e-12);
    /* popular per category for cold start: the caller's filter */
    assert_int_equal(souk_rec_popular(in, 5, now, 0, in_category_a, NULL, 4, out), 2);
    assert_int_equal(out[0].item, 8);
    assert_int_equal(out[1].item, 7);
    assert_int_equal(souk_rec_popular(in, 5, now, -1, NULL, NULL, 4, out), SOUK_REC_E_INVAL);
    assert_int_equal(souk_rec_popular(NULL, 0, now, 0, NULL, NULL, 4, out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tfidf_by_hand),
        cmocka_unit_test(tfidf_title_counts_twice),
        cmocka_unit_test(fbt_lift_by_hand),
        cmocka_unit_test(item_cosine_by_hand),
        cmocka_unit_test(hybrid_gives_new_items_content_neighbours),
        cmocka_unit_test(trending_decays_by_half_life),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
