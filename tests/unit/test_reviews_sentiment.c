/* test_reviews_sentiment.c — the review sentiment analyser (src/reviews/sentiment.c):
 * polarity, negation, intensifiers and diminishers, but-clauses, bounds, and the
 * accuracy on the labelled set tests/data/reviews_sentiment.csv; and the text rules
 * of a review (souk_reviews_text_problem). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reviews/reviews.h"

static souk_reviews_analyser *A;

static int setup(void **state)
{
    (void)state;
    A = souk_reviews_analyser_new();
    return A ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    souk_reviews_analyser_free(A);
    return 0;
}

static souk_reviews_sentiment score(const char *s)
{
    souk_reviews_sentiment r;
    assert_int_equal(souk_reviews_sentiment_score(A, s, strlen(s), &r), 0);
    assert_true(r.score >= -1.0 && r.score <= 1.0);
    return r;
}

static void polarity(void **state)
{
    (void)state;
    assert_int_equal(score("Excellent kettle, I love it.").label, SOUK_REVIEWS_POSITIVE);
    assert_int_equal(score("Terrible. It broke on the first day.").label, SOUK_REVIEWS_NEGATIVE);
    assert_int_equal(score("It is a phone case.").label, SOUK_REVIEWS_NEUTRAL);
    assert_int_equal(score("").label, SOUK_REVIEWS_NEUTRAL);
    assert_true(score("").score == 0.0);
    /* inflections of a base form count (stems), other derived forms only as written */
    assert_int_equal(score("She adores it").label, SOUK_REVIEWS_POSITIVE);
    assert_int_equal(score("I used it twice").label, SOUK_REVIEWS_NEUTRAL); /* not "useful" */
}

static void negation(void **state)
{
    (void)state;
    souk_reviews_sentiment good = score("good"), not_good = score("not good"), bad = score("bad");
    assert_true(good.score > 0);
    assert_true(not_good.score < 0);
    assert_true(not_good.score > bad.score); /* "not good" is milder than "bad" */
    assert_true(score("not bad").score > 0);
    assert_true(score("It doesn't work").score < 0);
    assert_true(score("No complaints at all").score > 0);
    assert_true(score("I never had a problem with it").score > 0);
    /* the negation ends at the clause */
    assert_true(score("Not cheap, but excellent").score > 0);
    /* and does not reach past three words */
    assert_true(score("not that I expected it to be this good").score > 0);
}

static void intensity(void **state)
{
    (void)state;
    double good = score("good").score, very = score("very good").score, extremely = score("extremely good").score,
           slightly = score("slightly good").score;
    assert_true(very > good);
    assert_true(extremely > very);
    assert_true(slightly < good && slightly > 0);
    assert_true(score("very bad").score < score("bad").score);
    assert_true(score("slightly disappointing").score > score("disappointing").score);
    assert_true(score("Great!!!").score > score("Great.").score);
    /* many strong words approach but never pass the bounds */
    double many = score("excellent amazing perfect wonderful superb fantastic brilliant outstanding").score;
    assert_true(many > 0.9 && many <= 1.0);
}

static void contrast(void **state)
{
    (void)state;
    /* what follows "but" weighs more than what came before */
    assert_true(score("The screen is nice but the battery is terrible").score < 0);
    assert_true(score("The battery is poor but the screen is excellent").score > 0);
    assert_true(score("Looks great, however it broke after two uses").score < 0);
    assert_true(score("Although the delivery was slow, the product is excellent").score > 0);
    assert_true(score("Although it looks nice, it is useless").score < 0);
}

static void phrases(void **state)
{
    (void)state;
    assert_int_equal(score("Complete waste of money").label, SOUK_REVIEWS_NEGATIVE);
    assert_int_equal(score("It stopped working after a week").label, SOUK_REVIEWS_NEGATIVE);
    assert_int_equal(score("Not worth it").label, SOUK_REVIEWS_NEGATIVE);
    assert_int_equal(score("Does the job").label, SOUK_REVIEWS_POSITIVE);
    assert_int_equal(score("Five stars, worth every penny").label, SOUK_REVIEWS_POSITIVE);
    assert_true(score("Could be better").score < 0);
}

static void hostile_text(void **state)
{
    (void)state;
    /* invalid UTF-8, NULs, huge input: bounded, no crash */
    const char bad[] = "good \xff\xfe bad \xc3";
    souk_reviews_sentiment r;
    assert_int_equal(souk_reviews_sentiment_score(A, bad, sizeof bad - 1, &r), 0);
    size_t n = 200000;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = "not very good, but!. "[i % 21];
    assert_int_equal(souk_reviews_sentiment_score(A, big, n, &r), 0);
    assert_true(r.score >= -1 && r.score <= 1);
    free(big);
    /* every sentence end, alone and in runs, at the start, the end and back to back (a ';' or a line
     * break once made the clause loop step back onto itself: found by fuzz_reviews_text) */
    static const char *const ends[] = {"a;b",         "good;", ";",           "\n",     "good\nbad",
                                       "bad!\n\n?;.", "!!!",   "great.;!?\n", "x;;;;y", "2.5 stars; ok"};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
        assert_int_equal(souk_reviews_sentiment_score(A, ends[i], strlen(ends[i]), &r), 0);
    assert_true(score("Terrible.\nIt broke; I want a refund!").score < 0);
    assert_true(score("Love it!\nGreat value; five stars").score > 0);
}

/* The accuracy floor on the labelled set (313 reviews, docs/internals/reviews.md):
 * measured 0.942 on the development half (rows 1-156) and 0.822 on the held-out half
 * (rows 157-313), against 0.40 for always answering the most frequent class. The floors
 * sit below the measurements with room for lexicon edits, and far above what a broken
 * negation or contrast rule gives (without the check round the held-out half was 0.72). */
#define FLOOR_ALL 0.82
#define FLOOR_HELD_OUT 0.78

static void accuracy_floor(void **state)
{
    (void)state;
    souk_reviews_labelled set;
    char err[512];
    const char *path = "tests/data/reviews_sentiment.csv";
    FILE *probe = fopen(path, "r");
    if (!probe)
        path = "../tests/data/reviews_sentiment.csv";
    else
        fclose(probe);
    int rc = souk_reviews_labelled_load(path, &set, err, sizeof err);
    if (rc < 0)
        fail_msg("%s", err);
    assert_true(set.n >= 300);
    souk_reviews_eval all, held;
    assert_int_equal(souk_reviews_evaluate(A, (const char *const *)set.texts, set.lens, set.labels, 0, set.n, &all), 0);
    assert_int_equal(
        souk_reviews_evaluate(A, (const char *const *)set.texts, set.lens, set.labels, set.n / 2, set.n, &held), 0);
    printf("sentiment accuracy: all %.3f (%zu reviews), held-out half %.3f (%zu)\n", all.accuracy, all.n, held.accuracy,
           held.n);
    assert_true(all.accuracy >= FLOOR_ALL);
    assert_true(held.accuracy >= FLOOR_HELD_OUT);
    /* every class is found, not only the frequent ones */
    for (int c = 0; c < 3; c++)
        assert_true(all.recall[c] >= 0.5);
    souk_reviews_labelled_release(&set);
}

static void labelled_file_errors(void **state)
{
    (void)state;
    souk_reviews_labelled set;
    char err[512];
    const char *path = "/tmp/souk_reviews_labelled_test.csv";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("text,label\n\"fine\",positive\n\"hm\",maybe\n", f);
    fclose(f);
    assert_int_equal(souk_reviews_labelled_load(path, &set, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 3"));
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("review,stars\nx,1\n", f);
    fclose(f);
    assert_int_equal(souk_reviews_labelled_load(path, &set, err, sizeof err), -1);
    assert_non_null(strstr(err, "header"));
    remove(path);
}

static void text_rules(void **state)
{
    (void)state;
    assert_null(souk_reviews_text_problem("Great", 5, 1, 150, false));
    assert_null(souk_reviews_text_problem("Gr\xc3\xa4t \xe2\x82\xac", 9, 1, 6, false)); /* 6 characters, 9 bytes */
    assert_non_null(souk_reviews_text_problem("Gr\xc3\xa4t \xe2\x82\xac", 9, 1, 5, false));
    assert_non_null(souk_reviews_text_problem("", 0, 1, 150, false));
    assert_non_null(souk_reviews_text_problem("   ", 3, 1, 150, false));
    assert_non_null(souk_reviews_text_problem("a\xff", 2, 1, 150, false));
    assert_non_null(souk_reviews_text_problem("\xc0\xaf", 2, 1, 150, false));     /* overlong */
    assert_non_null(souk_reviews_text_problem("\xed\xa0\x80", 3, 1, 150, false)); /* a surrogate */
    assert_non_null(souk_reviews_text_problem("\xe2\x82", 2, 1, 150, false));     /* cut short */
    assert_non_null(souk_reviews_text_problem("line\nbreak", 10, 1, 150, false)); /* a title is one line */
    assert_null(souk_reviews_text_problem("line\nbreak", 10, 1, 150, true));      /* a text may have lines */
    assert_non_null(souk_reviews_text_problem("bell\x07", 5, 1, 150, true));
    assert_non_null(souk_reviews_text_problem("esc\xc2\x9b", 5, 1, 150, true)); /* C1 control */
}

static void labels(void **state)
{
    (void)state;
    assert_string_equal(souk_reviews_label_name(SOUK_REVIEWS_POSITIVE), "positive");
    assert_null(souk_reviews_label_name(7));
    assert_int_equal(souk_reviews_label_parse("neg", 3), SOUK_REVIEWS_NEGATIVE);
    assert_int_equal(souk_reviews_label_parse("neutral", 7), SOUK_REVIEWS_NEUTRAL);
    assert_int_equal(souk_reviews_label_parse("good", 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(polarity),       cmocka_unit_test(negation),
        cmocka_unit_test(intensity),      cmocka_unit_test(contrast),
        cmocka_unit_test(phrases),        cmocka_unit_test(hostile_text),
        cmocka_unit_test(accuracy_floor), cmocka_unit_test(labelled_file_errors),
        cmocka_unit_test(text_rules),     cmocka_unit_test(labels),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
