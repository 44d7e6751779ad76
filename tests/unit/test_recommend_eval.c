/*
 * Unit tests for the offline evaluation of src/recommend: each metric
 * against values worked out by hand, coverage, the time split, the
 * interactions CSV reader's answers to bad input, and a whole evaluation
 * on planted data where ALS must beat popularity.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/recommend.h"

#define near(a, b, eps)                                                                                                \
    do {                                                                                                               \
        double a_ = (a), b_ = (b);                                                                                     \
        if (!(fabs(a_ - b_) <= (eps)))                                                                                 \
            fail_msg("%s = %.9g, expected %.9g (±%g)", #a, a_, b_, (double)(eps));                                     \
    } while (0)

/* ranked 5 3 9 1 7, relevant {1, 3, 4}: hits at ranks 2 and 4.
 *   k = 5: P = 2/5, R = 2/3,
 *          DCG = 1/log2 3 + 1/log2 5 = 0.630930 + 0.430677 = 1.061606,
 *          IDCG = 1 + 1/log2 3 + 1/log2 4 = 2.130930, NDCG = 0.498189,
 *          AP = (1/2 + 2/4) / min(5, 3) = 1/3
 *   k = 3: one hit at rank 2: P = 1/3, R = 1/3, NDCG = 0.630930/2.130930 = 0.296082, AP = (1/2)/3 */
static void metrics_by_hand(void **state)
{
    (void)state;
    const int64_t ranked[] = {5, 3, 9, 1, 7}, rel[] = {1, 3, 4};
    near(souk_rec_precision_at(ranked, 5, rel, 3, 5), 0.4, 1e-12);
    near(souk_rec_recall_at(ranked, 5, rel, 3, 5), 2.0 / 3, 1e-12);
    near(souk_rec_ndcg_at(ranked, 5, rel, 3, 5), 0.498189257, 1e-9);
    near(souk_rec_ap_at(ranked, 5, rel, 3, 5), 1.0 / 3, 1e-12);
    near(souk_rec_precision_at(ranked, 5, rel, 3, 3), 1.0 / 3, 1e-12);
    near(souk_rec_recall_at(ranked, 5, rel, 3, 3), 1.0 / 3, 1e-12);
    near(souk_rec_ndcg_at(ranked, 5, rel, 3, 3), 0.296081911, 1e-9);
    near(souk_rec_ap_at(ranked, 5, rel, 3, 3), 1.0 / 6, 1e-12);
    /* k = 1: a miss */
    near(souk_rec_ndcg_at(ranked, 5, rel, 3, 1), 0, 0);
    near(souk_rec_ap_at(ranked, 5, rel, 3, 1), 0, 0);
    /* a perfect list scores 1 everywhere but precision (k beyond the relevant) */
    const int64_t perfect[] = {3, 1, 4};
    near(souk_rec_ndcg_at(perfect, 3, rel, 3, 10), 1, 1e-12);
    near(souk_rec_ap_at(perfect, 3, rel, 3, 10), 1, 1e-12);
    near(souk_rec_recall_at(perfect, 3, rel, 3, 10), 1, 1e-12);
    near(souk_rec_precision_at(perfect, 3, rel, 3, 10), 0.3, 1e-12);
    /* a list shorter than k counts its misses as misses */
    near(souk_rec_precision_at(ranked, 2, rel, 3, 5), 0.2, 1e-12);
    /* nothing relevant: 0, not NaN */
    near(souk_rec_ndcg_at(ranked, 5, rel, 0, 5), 0, 0);
    near(souk_rec_recall_at(ranked, 5, rel, 0, 5), 0, 0);
    const int64_t recs[] = {4, 2, 2, 9, 4};
    near(souk_rec_coverage(recs, 5, 10), 0.3, 1e-12);
    near(souk_rec_coverage(recs, 0, 10), 0, 0);
    near(souk_rec_coverage(recs, 5, 0), 0, 0);
}

static void split_keeps_the_last_days_for_test(void **state)
{
    (void)state;
    const int64_t day = 86400;
    souk_rec_interaction in[] = {{1, 1, 10 * day, 1}, {1, 2, 2 * day, 1}, {2, 1, 8 * day, 1}, {2, 3, 7 * day, 1}};
    souk_rec_split s;
    assert_int_equal(souk_rec_split_time(in, 4, 3 * day, &s), 0);
    assert_int_equal(s.cut, 7 * day); /* later than the cut is test; the cut itself trains */
    assert_int_equal(s.ntest, 2);
    assert_int_equal(s.ntrain, 2);
    assert_int_equal(s.test[0].time, 10 * day);
    assert_int_equal(s.test[1].time, 8 * day);
    assert_int_equal(s.train[1].item, 3);
    souk_rec_split_release(&s);
    assert_int_equal(souk_rec_split_time(in, 4, 0, &s), SOUK_REC_E_INVAL);
}

/* Reads TEXT; expects RC and, for an error, MESSAGE in the text. */
static size_t read_text(const char *text, int rc, const char *message, souk_rec_interaction **out)
{
    char err[256] = "";
    size_t n = 99;
    *out = NULL;
    int got = souk_rec_read_csv_mem(text, strlen(text), 0, out, &n, err, sizeof err);
    if (got != rc)
        fail_msg("'%s': rc %d (%s), expected %d", text, got, err, rc);
    if (message && !strstr(err, message))
        fail_msg("'%s': error '%s' lacks '%s'", text, err, message);
    return n;
}

static void csv_reader_takes_both_time_forms(void **state)
{
    (void)state;
    souk_rec_interaction *v;
    size_t n = read_text("item,user,timestamp,weight,extra\n"
                         "7,1,1700000000,2.5,x\n"
                         "8,-2,2011-12-09T12:50:00Z,1,y\n"
                         "9,3,2011-12-09 12:50:00,0.5,z\n"
                         "9,3,2011-12-09,1e2,\n"
                         "9,3,1970-01-01T00:00:01+01:00,1,\n",
                         0, NULL, &v);
    assert_int_equal(n, 5);
    assert_int_equal(v[0].user, 1);
    assert_int_equal(v[0].item, 7);
    assert_int_equal(v[0].time, 1700000000);
    near(v[0].weight, 2.5, 0);
    assert_int_equal(v[1].user, -2);
    assert_int_equal(v[1].time, 1323435000);
    assert_int_equal(v[2].time, 1323435000);
    assert_int_equal(v[3].time, 1323388800);
    near(v[3].weight, 100, 0);
    assert_int_equal(v[4].time, 1 - 3600); /* before the epoch: floor, not truncation */
    free(v);
    n = read_text("user,item,timestamp\n5,6,0\n", 0, NULL, &v);
    assert_int_equal(n, 1);
    near(v[0].weight, 1, 0);
    free(v);
}

static void csv_reader_names_the_bad_line(void **state)
{
    (void)state;
    souk_rec_interaction *v;
    read_text("", SOUK_REC_E_INVAL, "empty file", &v);
    read_text("user,item\n1,2\n", SOUK_REC_E_INVAL, "no 'timestamp' column", &v);
    read_text("user,item,timestamp,user\n", SOUK_REC_E_INVAL, "'user' appears twice", &v);
    read_text("user,item,timestamp\n1,2,3\n1,x,3\n", SOUK_REC_E_INVAL, "line 3: item 'x' is not an integer", &v);
    read_text("user,item,timestamp\n99999999999999999999,2,3\n", SOUK_REC_E_INVAL, "line 2: user", &v);
    read_text("user,item,timestamp\n1,2,yesterday\n", SOUK_REC_E_INVAL,
              "line 2: timestamp 'yesterday' is neither Unix seconds nor ISO-8601", &v);
    read_text("user,item,timestamp\n1,2,2011-02-30\n", SOUK_REC_E_INVAL, "line 2: timestamp", &v);
    read_text("user,item,timestamp\n1,2,2011-12-09T12:50:00\n", SOUK_REC_E_INVAL, "line 2: timestamp", &v);
    read_text("user,item,timestamp,weight\n1,2,3,0\n", SOUK_REC_E_INVAL, "line 2: weight '0'", &v);
    read_text("user,item,timestamp,weight\n1,2,3,nan\n", SOUK_REC_E_INVAL, "line 2: weight", &v);
    read_text("user,item,timestamp,weight\n1,2,3,\n", SOUK_REC_E_INVAL, "line 2: weight", &v);
    read_text("user,item,timestamp\n1,2,3\n\n1,2\n", SOUK_REC_E_INVAL, "line 4: 2 fields where the header has 3", &v);
    read_text("user,item,timestamp\n1,\"2,3\n", SOUK_REC_E_INVAL, "line 2", &v);
    /* a line longer than SOUK_REC_CSV_LINE_MAX */
    size_t big = SOUK_REC_CSV_LINE_MAX + 100;
    char *text = malloc(big + 64);
    int off = snprintf(text, 64, "user,item,timestamp\n1,2,");
    memset(text + off, '1', big);
    text[off + big] = '\0';
    read_text(text, SOUK_REC_E_INVAL, "line 2", &v);
    free(text);
    /* the cap on records */
    char err[128];
    size_t n;
    const char *three = "user,item,timestamp\n1,2,3\n1,2,3\n1,2,3\n";
    assert_int_equal(souk_rec_read_csv_mem(three, strlen(three), 2, &v, &n, err, sizeof err), SOUK_REC_E_LIMIT);
    assert_non_null(strstr(err, "line 4: more than 2 interactions"));
    assert_int_equal(souk_rec_read_csv_file("/nonexistent/x.csv", 0, &v, &n, err, sizeof err), SOUK_REC_E_INVAL);
    assert_non_null(strstr(err, "cannot read /nonexistent/x.csv"));
}

/* Four groups of users each buying from their own eight items, through a
 * year; the last 30 days are the test. Popularity cannot tell the groups
 * apart, ALS (and the co-occurrence recommenders) can. */
static void evaluation_on_planted_groups(void **state)
{
    (void)state;
    const int64_t day = 86400;
    size_t n = 0, cap = 40 * 10 * 4;
    souk_rec_interaction *in = malloc(cap * sizeof *in);
    uint64_t s = 7;
    for (int u = 0; u < 40; u++)
        for (int j = 0; j < 10; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            int g = u % 4, item = (int)((s >> 33) % 8);
            int64_t t = (int64_t)((s >> 17) % 365) * day;
            in[n++] = (souk_rec_interaction){u + 1, 100 * (g + 1) + item, t, 1};
        }
    souk_rec_eval_params p;
    souk_rec_eval_params_default(&p);
    p.k = 5;
    p.als.factors = 8;
    p.als.threads = 1;
    souk_rec_eval_report r;
    assert_int_equal(souk_rec_eval_run(in, n, &p, &r), 0);
    assert_int_equal(r.ntrain + r.ntest, n);
    assert_true(r.eval_users > 5);
    assert_int_equal(r.train_items, 32);
    const souk_rec_metrics *pop = &r.row[SOUK_REC_EVAL_POPULAR], *als = &r.row[SOUK_REC_EVAL_ALS];
    if (!(als->ndcg > 1.5 * pop->ndcg))
        fail_msg("ALS NDCG %.4f is not 1.5× popularity's %.4f", als->ndcg, pop->ndcg);
    assert_true(r.row[SOUK_REC_EVAL_COSINE].ndcg > pop->ndcg);
    assert_true(r.row[SOUK_REC_EVAL_HYBRID].ndcg > pop->ndcg);
    for (int m = 0; m < SOUK_REC_EVAL_N; m++) {
        const souk_rec_metrics *x = &r.row[m];
        assert_true(x->precision >= 0 && x->precision <= 1 && x->recall >= 0 && x->recall <= 1);
        assert_true(x->ndcg >= 0 && x->ndcg <= 1 && x->map >= 0 && x->map <= 1);
        assert_true(x->coverage > 0 && x->coverage <= 1);
    }
    /* an empty test side is refused */
    p.test_seconds = 400 * day;
    assert_int_equal(souk_rec_eval_run(in, n, &p, &r), SOUK_REC_E_INVAL);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_by_hand),
        cmocka_unit_test(split_keeps_the_last_days_for_test),
        cmocka_unit_test(csv_reader_takes_both_time_forms),
        cmocka_unit_test(csv_reader_names_the_bad_line),
        cmocka_unit_test(evaluation_on_planted_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
