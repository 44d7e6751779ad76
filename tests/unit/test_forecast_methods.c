/*
 * Unit tests for src/forecast (methods, accuracy, stock): Croston and SBA
 * on an intermittent series against values computed by hand, seasonal
 * naive, sMAPE and MASE by hand, the automatic choice on intermittent and
 * on seasonal data, days of cover and the reorder suggestion by hand, and
 * the normal quantile.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "forecast/forecast.h"

static void croston_and_sba_by_hand(void **state)
{
    (void)state;
    /* demands 3 (t=2), 2 (t=6), 4 (t=8); alpha 0.1:
     *   start  z = 3, p = 3 (first demand, periods up to it)
     *   t=6    z = 3 + 0.1 (2 - 3) = 2.9,     p = 3 + 0.1 (4 - 3) = 3.1
     *   t=8    z = 2.9 + 0.1 (4 - 2.9) = 3.01, p = 3.1 + 0.1 (2 - 3.1) = 2.99
     * forecast 3.01 / 2.99 = 1.006688963; SBA 0.95 of that = 0.956354515 */
    const double y[] = {0, 0, 3, 0, 0, 0, 2, 0, 4, 0};
    souk_forecast_model f;
    double fc[5], lo[5], hi[5];
    assert_int_equal(souk_forecast_fit(SOUK_FORECAST_CROSTON, y, 10, 1, &f), 0);
    assert_true(fabs(f.demand - 3.01) < 1e-12 && fabs(f.interval - 2.99) < 1e-12);
    assert_int_equal(souk_forecast_predict(&f, 5, fc, NULL, NULL, lo, hi), 0);
    for (int i = 0; i < 5; i++) {
        assert_true(fabs(fc[i] - 3.01 / 2.99) < 1e-12);
        assert_true(lo[i] >= 0 && hi[i] > fc[i]); /* non-negative data: the lower bound is clipped at 0 */
    }
    assert_int_equal(souk_forecast_fit(SOUK_FORECAST_SBA, y, 10, 1, &f), 0);
    assert_int_equal(souk_forecast_predict(&f, 1, fc, NULL, NULL, NULL, NULL), 0);
    assert_true(fabs(fc[0] - 0.95 * 3.01 / 2.99) < 1e-12);
    /* no demand at all, or a negative value: not Croston's business */
    const double zeros[] = {0, 0, 0, 0}, neg[] = {1, -1, 0, 2};
    assert_int_equal(souk_forecast_fit(SOUK_FORECAST_CROSTON, zeros, 4, 1, &f), SOUK_FORECAST_E_NOFIT);
    assert_int_equal(souk_forecast_fit(SOUK_FORECAST_CROSTON, neg, 4, 1, &f), SOUK_FORECAST_E_NOFIT);
}

static void seasonal_naive_repeats_the_last_season(void **state)
{
    (void)state;
    const double y[] = {1, 2, 3, 4, 2, 3, 4, 5};
    souk_forecast_model f;
    double fc[6], lo[6], hi[6];
    assert_int_equal(souk_forecast_fit(SOUK_FORECAST_SNAIVE, y, 8, 4, &f), 0);
    assert_int_equal(souk_forecast_predict(&f, 6, fc, lo, hi, NULL, NULL), 0);
    const double want[] = {2, 3, 4, 5, 2, 3};
    for (int i = 0; i < 6; i++)
        assert_true(fc[i] == want[i]);
    /* every seasonal difference is 1: sigma 1, the second season's interval sqrt(2) wider */
    assert_true(fabs(hi[0] - fc[0] - 1.2815515655446004) < 1e-9);
    assert_true(fabs(hi[4] - fc[4] - 1.2815515655446004 * sqrt(2)) < 1e-9);
    /* shorter than a season: the naive method */
    assert_int_equal(souk_forecast_fit(SOUK_FORECAST_SNAIVE, y, 3, 7, &f), 0);
    assert_int_equal(souk_forecast_predict(&f, 2, fc, NULL, NULL, NULL, NULL), 0);
    assert_true(fc[0] == 3 && fc[1] == 3);
}

static void accuracy_by_hand(void **state)
{
    (void)state;
    const double a[] = {10, 0, 5, 0}, f[] = {8, 0, 5, 2};
    /* 200*2/18, 0 (0/0), 0, 200*2/2 -> (22.2222 + 200) / 4 */
    assert_true(fabs(souk_forecast_smape(a, f, 4) - (400.0 / 18 + 200) / 4) < 1e-9);
    assert_true(isnan(souk_forecast_smape(a, f, 0)));
    const double train[] = {1, 3, 2, 4, 3, 5}; /* lag-2 differences 1,1,1,1: scale 1; lag 1: 2,1,2,1,2 -> 1.6 */
    const double act[] = {6, 6}, fc[] = {5, 8};
    assert_true(fabs(souk_forecast_mase(act, fc, 2, train, 6, 2) - 1.5) < 1e-12);
    assert_true(fabs(souk_forecast_mase(act, fc, 2, train, 6, 1) - 1.5 / 1.6) < 1e-12);
    const double flat[] = {2, 2, 2};
    assert_true(isnan(souk_forecast_mase(act, fc, 2, flat, 3, 1)));
}

static void automatic_choice(void **state)
{
    (void)state;
    double y[200];
    souk_forecast_model f;
    souk_forecast_auto_report rep;
    /* intermittent: a demand of about 4 every 5 periods, otherwise 0 */
    for (int t = 0; t < 200; t++)
        y[t] = t % 5 == 3 ? 3 + (t % 3) : 0;
    assert_int_equal(souk_forecast_auto(y, 200, 1, 10, &f, &rep), 0);
    assert_int_equal(rep.holdout, 10);
    assert_false(isnan(rep.mase[SOUK_FORECAST_CROSTON]));
    assert_int_not_equal(f.method, SOUK_FORECAST_ETS);
    assert_int_equal(f.n, 200); /* refitted on everything */
    /* a strong weekly pattern on a trend: ETS beats seasonal naive on its holdout */
    static const double pat[7] = {10, 12, 15, 14, 20, 30, 5};
    for (int t = 0; t < 140; t++)
        y[t] = 100 + 0.5 * t + pat[t % 7] + 0.3 * sin(t * 1.7);
    assert_int_equal(souk_forecast_auto(y, 140, 7, 14, &f, &rep), 0);
    assert_true(isnan(rep.mase[SOUK_FORECAST_CROSTON])); /* no zeros: no Croston */
    assert_int_equal(f.method, SOUK_FORECAST_ETS);
    assert_true(rep.mase[SOUK_FORECAST_ETS] < rep.mase[SOUK_FORECAST_SNAIVE]);
    /* bad arguments */
    assert_int_equal(souk_forecast_auto(y, 140, 7, 0, &f, NULL), SOUK_FORECAST_E_INVAL);
    assert_int_equal(souk_forecast_auto(y, 140, 0, 7, &f, NULL), SOUK_FORECAST_E_INVAL);
}

static void days_of_cover_by_hand(void **state)
{
    (void)state;
    const double fc[] = {2, 4, 4, 0, 2};
    assert_true(souk_forecast_days_of_cover(0, fc, 5) == 0);
    assert_true(fabs(souk_forecast_days_of_cover(1, fc, 5) - 0.5) < 1e-12);  /* half of day 1 */
    assert_true(fabs(souk_forecast_days_of_cover(4, fc, 5) - 1.5) < 1e-12);  /* 2 + half of 4 */
    assert_true(fabs(souk_forecast_days_of_cover(11, fc, 5) - 4.5) < 1e-12); /* 10 by day 3, day 4 none, half of 2 */
    /* past the horizon at the mean rate 12/5 = 2.4 per day: 12 more units are 5 days */
    assert_true(fabs(souk_forecast_days_of_cover(24, fc, 5) - 10) < 1e-12);
    const double none[] = {0, 0, -1};
    assert_true(isinf(souk_forecast_days_of_cover(5, none, 3)));
}

static void reorder_by_hand(void **state)
{
    (void)state;
    const double fc[] = {10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
    souk_forecast_reorder_in in = {
        .fc = fc, .h = 10, .sigma = 3, .on_hand = 25, .on_order = 10, .lead_time = 4, .review = 0, .service = 0.95};
    souk_forecast_reorder_out out;
    assert_int_equal(souk_forecast_reorder(&in, &out), 0);
    /* lead demand 40; safety 1.644853627 * 3 * sqrt(4) = 9.869121762; reorder point 49.869; position 35 */
    assert_true(fabs(out.lead_demand - 40) < 1e-12);
    assert_true(fabs(out.safety_stock - 1.6448536269514722 * 6) < 1e-9);
    assert_true(fabs(out.reorder_point - 49.869121761708833) < 1e-9);
    assert_true(out.position == 35 && out.reorder && out.quantity == 15);
    /* with a review period of 2: six periods, 60 + 1.6449*3*sqrt(6) = 72.087; order 38 */
    in.review = 2;
    assert_int_equal(souk_forecast_reorder(&in, &out), 0);
    assert_true(fabs(out.reorder_point - (60 + 1.6448536269514722 * 3 * sqrt(6))) < 1e-9);
    assert_true(out.quantity == 38);
    /* enough stock: nothing to order */
    in.on_hand = 100;
    assert_int_equal(souk_forecast_reorder(&in, &out), 0);
    assert_false(out.reorder);
    assert_true(out.quantity == 0);
    /* out of range */
    in.service = 1;
    assert_int_equal(souk_forecast_reorder(&in, &out), SOUK_FORECAST_E_INVAL);
    in.service = 0.9;
    in.lead_time = 9; /* 9 + 2 > 10 */
    assert_int_equal(souk_forecast_reorder(&in, &out), SOUK_FORECAST_E_INVAL);
    in.lead_time = 0;
    assert_int_equal(souk_forecast_reorder(&in, &out), SOUK_FORECAST_E_INVAL);
}

static void normal_quantile(void **state)
{
    (void)state;
    assert_true(fabs(souk_forecast_norm_quantile(0.5)) < 1e-12);
    assert_true(fabs(souk_forecast_norm_quantile(0.975) - 1.959963984540054) < 1e-12);
    assert_true(fabs(souk_forecast_norm_quantile(0.9) - 1.2815515655446004) < 1e-12);
    assert_true(fabs(souk_forecast_norm_quantile(0.001) + 3.090232306167814) < 1e-10);
    assert_true(isnan(souk_forecast_norm_quantile(1)) && isnan(souk_forecast_norm_quantile(0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(croston_and_sba_by_hand), cmocka_unit_test(seasonal_naive_repeats_the_last_season),
        cmocka_unit_test(accuracy_by_hand),        cmocka_unit_test(automatic_choice),
        cmocka_unit_test(days_of_cover_by_hand),   cmocka_unit_test(reorder_by_hand),
        cmocka_unit_test(normal_quantile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
