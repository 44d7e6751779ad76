/*
 * Unit tests for src/recommend: the interaction matrix and implicit ALS —
 * a 1×1 problem solved by hand, the loss falling every iteration, a planted
 * two-block structure recovered, thread counts giving the same model, and
 * the serving calls (exclusions, filters, unknown users, similar items).
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
#include "recommend/internal.h"

#define near(a, b, eps)                                                                                                \
    do {                                                                                                               \
        double a_ = (a), b_ = (b);                                                                                     \
        if (!(fabs(a_ - b_) <= (eps)))                                                                                 \
            fail_msg("%s = %.9g, expected %.9g (±%g)", #a, a_, b_, (double)(eps));                                     \
    } while (0)

static void matrix_sums_repeats_and_drops_bad_weights(void **state)
{
    (void)state;
    souk_rec_interaction in[] = {
        {20, 7, 0, 1.0}, {10, 7, 0, 2.0}, {20, 7, 5, 3.0}, {10, 9, 0, 1.0}, {30, 9, 0, 0.0}, {30, 5, 0, NAN},
    };
    souk_rec_data d;
    assert_int_equal(souk_rec_data_build(&d, in, 6), 0);
    assert_int_equal(d.nusers, 2); /* user 30 has only refused tuples */
    assert_int_equal(d.nitems, 2);
    assert_int_equal(d.dropped, 2);
    assert_int_equal(d.nnz, 3);
    assert_int_equal(souk_rec_data_user(&d, 10), 0);
    assert_int_equal(souk_rec_data_user(&d, 20), 1);
    assert_int_equal(souk_rec_data_user(&d, 30), -1);
    assert_int_equal(souk_rec_data_item(&d, 9), 1);
    /* user 10: items 7 (2) and 9 (1); user 20: item 7 (1 + 3) */
    assert_int_equal(d.u_ptr[1] - d.u_ptr[0], 2);
    assert_int_equal(d.u_item[0], 0);
    near(d.u_val[0], 2.0, 0);
    assert_int_equal(d.u_item[1], 1);
    near(d.u_val[2], 4.0, 0);
    /* item-major: item 7 has users 10 (2) and 20 (4), ascending */
    assert_int_equal(d.i_ptr[1], 2);
    assert_int_equal(d.i_user[0], 0);
    assert_int_equal(d.i_user[1], 1);
    near(d.i_val[1], 4.0, 0);
    assert_int_equal(d.i_user[2], 0);
    souk_rec_data_release(&d);
    assert_int_equal(souk_rec_data_build(&d, NULL, 0), 0);
    assert_int_equal(d.nusers, 0);
    souk_rec_data_release(&d);
}

/* One user, one item, r = 1, alpha = 1 (c = 2), k = 1, lambda = 0.1. The
 * row equations x(2y² + λ) = 2y and y(2x² + λ) = 2x force x² = y², so the
 * fixed point has xy = 1 − λ/2 = 0.95. */
static void one_by_one_converges_to_the_hand_solution(void **state)
{
    (void)state;
    souk_rec_interaction in[] = {{1, 1, 0, 1.0}};
    souk_rec_data d;
    assert_int_equal(souk_rec_data_build(&d, in, 1), 0);
    souk_rec_als_params p;
    souk_rec_als_params_default(&p);
    p.factors = 1;
    p.cg_steps = 1; /* exact for k = 1 */
    p.alpha = 1;
    p.iterations = 200;
    p.threads = 1;
    souk_rec_model *m;
    assert_int_equal(souk_rec_als_train(&d, &p, &m), 0);
    near(m->x[0] * m->y[0], 0.95, 1e-6);
    /* the loss there: 2(1 − 0.95)² + 0.1·(0.95 + 0.95) */
    near(souk_rec_model_loss(m), 2 * 0.05 * 0.05 + 0.1 * 1.9, 1e-6);
    souk_rec_model_free(m);
    souk_rec_data_release(&d);
}

/* Two blocks: users 1..4 bought from items 101..104, users 5..8 from
 * 201..204, each user missing one item of the block. */
static size_t planted(souk_rec_interaction *in)
{
    size_t n = 0;
    for (int b = 0; b < 2; b++)
        for (int u = 0; u < 4; u++)
            for (int i = 0; i < 4; i++)
                if (i != u) /* user u of the block misses item u */
                    in[n++] = (souk_rec_interaction){1 + b * 4 + u, 101 + b * 100 + i, 0, 1.0 + (i % 2)};
    return n;
}

typedef struct {
    double loss[64];
    unsigned n;
} losses;

static int record(void *ctx, unsigned it, unsigned total, double loss)
{
    losses *l = ctx;
    assert_true(it == l->n + 1 && total >= it);
    l->loss[l->n++] = loss;
    return 0;
}

static souk_rec_model *train_planted(unsigned threads, losses *l)
{
    souk_rec_interaction in[32];
    size_t n = planted(in);
    souk_rec_data d;
    assert_int_equal(souk_rec_data_build(&d, in, n), 0);
    souk_rec_als_params p;
    souk_rec_als_params_default(&p);
    p.factors = 4;
    p.cg_steps = 4;
    p.alpha = 10;
    p.iterations = 30;
    p.threads = threads;
    p.progress = record;
    p.progress_ctx = l;
    souk_rec_model *m;
    assert_int_equal(souk_rec_als_train(&d, &p, &m), 0);
    souk_rec_data_release(&d);
    return m;
}

static void loss_falls_every_iteration_and_settles(void **state)
{
    (void)state;
    losses l = {{0}, 0};
    souk_rec_model *m = train_planted(1, &l);
    assert_int_equal(l.n, 30);
    for (unsigned i = 1; i < l.n; i++)
        if (!(l.loss[i] <= l.loss[i - 1] * (1 + 1e-12)))
            fail_msg("loss rose at iteration %u: %.12g → %.12g", i + 1, l.loss[i - 1], l.loss[i]);
    assert_true(l.loss[l.n - 1] < 0.5 * l.loss[0]);
    /* settling: the last step is under 1 % of the first (ALS creeps at the end) */
    assert_true(l.loss[l.n - 2] - l.loss[l.n - 1] < 0.01 * (l.loss[0] - l.loss[1]));
    near(souk_rec_model_loss(m), l.loss[l.n - 1], 0);
    souk_rec_model_free(m);
}

static void planted_blocks_rank_first(void **state)
{
    (void)state;
    losses l = {{0}, 0};
    souk_rec_model *m = train_planted(2, &l);
    souk_rec_scored out[8];
    for (int b = 0; b < 2; b++)
        for (int u = 0; u < 4; u++) {
            int64_t user = 1 + b * 4 + u;
            /* everything: the user's block fills the top four */
            long n = souk_rec_model_recommend(m, user, NULL, 0, NULL, NULL, 8, out);
            assert_int_equal(n, 8);
            for (int r = 0; r < 4; r++)
                if (out[r].item / 100 != b + 1)
                    fail_msg("user %lld: rank %d is item %lld, not of block %d", (long long)user, r + 1,
                             (long long)out[r].item, b + 1);
            for (int r = 1; r < 8; r++)
                assert_true(out[r].score <= out[r - 1].score);
            /* excluding what the user bought: the missing block item comes first */
            int64_t bought[3];
            int nb = 0;
            for (int i = 0; i < 4; i++)
                if (i != u)
                    bought[nb++] = 101 + b * 100 + i;
            n = souk_rec_model_recommend(m, user, bought, 3, NULL, NULL, 3, out);
            assert_int_equal(n, 3);
            assert_int_equal(out[0].item, 101 + b * 100 + u);
        }
    /* similar items stay in their block */
    long n = souk_rec_model_similar(m, 101, NULL, NULL, 3, out);
    assert_int_equal(n, 3);
    for (int r = 0; r < 3; r++) {
        assert_int_equal(out[r].item / 100, 1);
        assert_true(out[r].item != 101);
        assert_true(out[r].score <= 1 + 1e-12 && out[r].score > 0.5);
    }
    assert_int_equal(souk_rec_model_similar(m, 999, NULL, NULL, 3, out), 0);
    souk_rec_model_free(m);
}

static void threads_do_not_change_the_model(void **state)
{
    (void)state;
    losses a = {{0}, 0}, b = {{0}, 0};
    souk_rec_model *m1 = train_planted(1, &a), *m2 = train_planted(3, &b);
    assert_memory_equal(m1->x, m2->x, m1->nusers * m1->k * sizeof(double));
    assert_memory_equal(m1->y, m2->y, m1->nitems * m1->k * sizeof(double));
    souk_rec_model_free(m1);
    souk_rec_model_free(m2);
}

static bool only_odd(void *ctx, int64_t item)
{
    (void)ctx;
    return item % 2 == 1;
}

static void unknown_users_get_popularity_and_filters_apply(void **state)
{
    (void)state;
    /* item 3 has three users, item 2 two, item 1 one */
    souk_rec_interaction in[] = {{1, 3, 0, 1}, {2, 3, 0, 1}, {3, 3, 0, 1}, {1, 2, 0, 1}, {2, 2, 0, 1}, {3, 1, 0, 1}};
    souk_rec_data d;
    assert_int_equal(souk_rec_data_build(&d, in, 6), 0);
    souk_rec_als_params p;
    souk_rec_als_params_default(&p);
    p.factors = 2;
    p.iterations = 3;
    souk_rec_model *m;
    assert_int_equal(souk_rec_als_train(&d, &p, &m), 0);
    souk_rec_scored out[3];
    assert_int_equal(souk_rec_model_recommend(m, 42, NULL, 0, NULL, NULL, 3, out), 3);
    assert_int_equal(out[0].item, 3);
    near(out[0].score, 3, 0);
    assert_int_equal(out[1].item, 2);
    assert_int_equal(out[2].item, 1);
    int64_t ex[] = {3, 77};
    assert_int_equal(souk_rec_model_recommend(m, 42, ex, 2, only_odd, NULL, 3, out), 1);
    assert_int_equal(out[0].item, 1);
    assert_int_equal(souk_rec_model_recommend(m, 1, NULL, 0, only_odd, NULL, 3, out), 2);
    assert_true(out[0].item % 2 == 1 && out[1].item % 2 == 1);
    assert_int_equal(souk_rec_model_recommend(m, 1, NULL, 0, NULL, NULL, 0, out), SOUK_REC_E_INVAL);
    assert_int_equal(souk_rec_model_users(m), 3);
    assert_int_equal(souk_rec_model_items(m), 3);
    assert_int_equal(souk_rec_model_factors(m), 2);
    souk_rec_model_free(m);
    p.factors = 0;
    assert_int_equal(souk_rec_als_train(&d, &p, &m), SOUK_REC_E_INVAL);
    assert_null(m);
    p.factors = 4;
    p.lambda = 0;
    assert_int_equal(souk_rec_als_train(&d, &p, &m), SOUK_REC_E_INVAL);
    souk_rec_data_release(&d);
}

static int stop_at_two(void *ctx, unsigned it, unsigned total, double loss)
{
    (void)ctx;
    (void)total;
    (void)loss;
    return it == 2;
}

static void progress_can_stop_training(void **state)
{
    (void)state;
    souk_rec_interaction in[32];
    size_t n = planted(in);
    souk_rec_data d;
    assert_int_equal(souk_rec_data_build(&d, in, n), 0);
    souk_rec_als_params p;
    souk_rec_als_params_default(&p);
    p.factors = 4;
    p.progress = stop_at_two;
    souk_rec_model *m;
    assert_int_equal(souk_rec_als_train(&d, &p, &m), SOUK_REC_E_ABORT);
    assert_null(m);
    souk_rec_data_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matrix_sums_repeats_and_drops_bad_weights),
        cmocka_unit_test(one_by_one_converges_to_the_hand_solution),
        cmocka_unit_test(loss_falls_every_iteration_and_settles),
        cmocka_unit_test(planted_blocks_rank_first),
        cmocka_unit_test(threads_do_not_change_the_model),
        cmocka_unit_test(unknown_users_get_popularity_and_filters_apply),
        cmocka_unit_test(progress_can_stop_training),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
