/* The stored predictions of the analytics (src/analytics/predict*.c) and
 * the one-step forecasts behind the anomalies (src/forecast): a store with
 * a planted weekly pattern, a planted spike and a steady seller in one
 * warehouse; the run must store forecasts that follow the pattern, flag
 * the spike and nothing in the quiet weeks, and a stock forecast at the
 * seller's rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"

#include <math.h>

#include "analytics/analytics.h"
#include "core/time.h"
#include "forecast/forecast.h"

#define DAY_US (INT64_C(86400) * 1000000)

static void exec(souk_store *db, const char *sql)
{
    if (souk_store_exec(db, sql, NULL) < 0)
        fail_msg("%s: %s", sql, souk_store_errmsg(db));
}

/* A weekly pattern: Monday–Friday 100, weekends 20 (day 0 is 1970-01-01, a Thursday). */
static double pattern(int32_t day)
{
    int wd = (int)(((day + 3) % 7 + 7) % 7); /* 0 = Monday */
    return wd < 5 ? 100 : 20;
}

static void onestep_agrees_with_the_anomaly_flags(void **state)
{
    (void)state;
    double y[140];
    for (int t = 0; t < 140; t++)
        y[t] = pattern(t) + (t % 3) - 1; /* a little noise */
    y[100] = 400;                        /* the spike */
    souk_forecast_ets m;
    assert_int_equal(souk_forecast_ets_select(y, 140, 7, &m), 0);
    double yhat[140], lo[140], hi[140];
    uint8_t flags[140];
    long judged = souk_forecast_ets_onestep(&m, y, 140, yhat, lo, hi);
    assert_true(judged >= 130);
    long flagged = souk_forecast_ets_anomalies(&m, y, 140, flags);
    assert_true(flagged >= 1);
    assert_int_equal(flags[100], 1);
    for (int t = 0; t < 140; t++) {
        if (isnan(yhat[t])) {
            assert_int_equal(flags[t], 0);
            continue;
        }
        bool out = y[t] < lo[t] || y[t] > hi[t];
        assert_int_equal(out, flags[t]);
        assert_true(lo[t] <= yhat[t] && yhat[t] <= hi[t]);
    }
    assert_int_equal(souk_forecast_ets_onestep(&m, y, 0, yhat, NULL, NULL), SOUK_FORECAST_E_INVAL);
}

static void add(souk_analytics_facts *f, int64_t id, int64_t paid_at, int64_t product, int64_t qty, int64_t amount)
{
    souk_analytics_line_in l = {product, 0, product == 2 ? 21 : 0, qty, amount};
    souk_analytics_order_in o = {
        .order_id = id, .user_id = 100 + id % 7, .paid_at = paid_at, .currency = "EUR", .lines = &l, .nlines = 1};
    pthread_mutex_lock(&f->write_mu);
    assert_int_equal(souk_analytics_add_order(f, &o), 1);
    pthread_mutex_unlock(&f->write_mu);
}

static json_t *stored(souk_store *db, const char *sql)
{
    char *body = NULL;
    int r = souk_store_one(db, sql, NULL, SOUK_COLS(SOUK_COL_DUP(&body)));
    if (r != SOUK_DB_ROW)
        fail_msg("%s: no row (%d)", sql, r);
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    assert_non_null(j);
    return j;
}

static void run_stores_forecasts_stock_and_anomalies(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "analytics_predict"), 0);
    souk_analytics_facts *f = malloc(sizeof *f);
    assert_int_equal(souk_analytics_facts_init(f, NULL), 0);
    int64_t now = souk_time_now_us();
    int32_t today = (int32_t)(now / DAY_US);
    int64_t id = 1;
    int32_t spike = today - 30;
    for (int32_t d = today - 210; d < today; d++) { /* 30 weeks up to yesterday, at noon UTC */
        int64_t noon = (int64_t)d * DAY_US + DAY_US / 2;
        double units = pattern(d) / 10; /* 10 or 2 units of product 1 at 10.00 */
        add(f, id++, noon, 1, (int64_t)units, (int64_t)units * 1000);
        int64_t noise = ((int64_t)d * 37 % 11 + 11) % 11 * 20 - 100;                          /* -100..100 */
        add(f, id++, noon + 3600 * INT64_C(1000000), 2, 1, d == spike ? 90000 : 500 + noise); /* vendor 21's */
    }
    /* a steady seller in one warehouse: 3 units a day for the last 60 days */
    exec(t.db, "PRAGMA foreign_keys = OFF");
    exec(t.db, "INSERT INTO warehouses (id, code, name, created_at, updated_at) VALUES (9, 'ams-1', 'A', 0, 0)");
    exec(t.db,
         "INSERT INTO stock_levels (variant_id, warehouse_id, on_hand, reserved, updated_at) VALUES (5, 9, 40, 4, 0)");
    for (int32_t d = today - 60; d < today; d++) {
        char sql[300];
        snprintf(sql, sizeof sql,
                 "INSERT INTO stock_adjustments (variant_id, warehouse_id, delta, on_hand_after, reason, created_at) "
                 "VALUES (5, 9, -3, 40, 'sold', %lld)",
                 (long long)((int64_t)d * DAY_US + DAY_US / 3));
        exec(t.db, sql);
    }
    souk_analytics_predict_stats st;
    assert_int_equal(souk_analytics_predict_run(t.db, f, NULL, NULL, &st), 0);
    assert_int_equal(st.last_day, today - 1);
    assert_string_equal(st.currency, "EUR");
    assert_int_equal(st.series, 8); /* store, vendor 21, products 1 and 2: daily and weekly */
    assert_int_equal(st.stock_series, 1);
    int64_t at;
    int32_t last;
    assert_int_equal(souk_analytics_predict_state(t.db, &at, &last), 1);
    assert_int_equal(last, today - 1);

    /* product 1's daily units follow the weekly pattern */
    json_t *p1 = stored(t.db, "SELECT body FROM analytics_forecasts WHERE granularity = 'day' AND scope = 'product' "
                              "AND series_id = 1");
    assert_string_equal(json_string_value(json_object_get(p1, "measure")), "units");
    json_t *pts = json_object_get(p1, "points");
    assert_int_equal(json_array_size(pts), SOUK_ANALYTICS_FC_H_DAY);
    for (int h = 0; h < 14; h++) {
        json_t *pt = json_array_get(pts, (size_t)h);
        double mean = json_number_value(json_array_get(pt, 0)), want = pattern(today + h) / 10;
        assert_true(fabs(mean - want) < 0.05 * want + 0.01);
        double lo95 = json_number_value(json_array_get(pt, 3)), lo80 = json_number_value(json_array_get(pt, 1));
        double hi80 = json_number_value(json_array_get(pt, 2)), hi95 = json_number_value(json_array_get(pt, 4));
        assert_true(lo95 <= lo80 && lo80 <= mean + 1e-9 && mean <= hi80 + 1e-9 && hi80 <= hi95);
    }
    json_decref(p1);
    /* the store's weekly revenue: 5 × 10,000 + 2 × 2,000 of product 1 plus 7 × 500 of product 2 per week */
    json_t *wk = stored(t.db, "SELECT body FROM analytics_forecasts WHERE granularity = 'week' AND scope = 'store'");
    double w1 = json_number_value(json_array_get(json_array_get(json_object_get(wk, "points"), 0), 0));
    assert_true(fabs(w1 - 57500) < 0.05 * 57500);
    json_decref(wk);
    /* the vendor's series is stored under its vendor; so is its product */
    int64_t n = 0;
    assert_int_equal(souk_store_one(t.db, "SELECT COUNT(*) FROM analytics_forecasts WHERE vendor_id = 21", NULL,
                                    SOUK_COLS(SOUK_COL_I64(&n))),
                     SOUK_DB_ROW);
    assert_int_equal(n, 4);

    /* the spike is an anomaly of revenue, above; no other revenue day in the last 20 days is */
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT body FROM analytics_anomalies WHERE metric = 'revenue' AND day = %d", spike);
    json_t *an = stored(t.db, sql);
    assert_string_equal(json_string_value(json_object_get(an, "direction")), "above");
    assert_true(json_number_value(json_object_get(an, "actual")) > json_number_value(json_object_get(an, "upper")));
    json_decref(an);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM analytics_anomalies WHERE metric = 'revenue' AND day > %d",
             spike + 10);
    assert_int_equal(souk_store_one(t.db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&n))), SOUK_DB_ROW);
    assert_int_equal(n, 0);

    /* the steady seller's demand forecast is its rate */
    json_t *sf = stored(t.db, "SELECT body FROM analytics_stock_forecasts WHERE variant_id = 5 AND warehouse_id = 9");
    assert_int_equal(json_integer_value(json_object_get(sf, "units")), 180);
    double d1 = json_number_value(json_array_get(json_object_get(sf, "points"), 0));
    assert_true(fabs(d1 - 3) < 0.15);
    json_decref(sf);

    /* a second run replaces the first */
    assert_int_equal(souk_analytics_predict_run(t.db, f, NULL, NULL, &st), 0);
    assert_int_equal(
        souk_store_one(t.db, "SELECT COUNT(*) FROM analytics_forecasts", NULL, SOUK_COLS(SOUK_COL_I64(&n))),
        SOUK_DB_ROW);
    assert_int_equal(n, 8);
    souk_analytics_facts_release(f);
    free(f);
    souk_test_db_close(&t);
}

static void reorder_settings_are_bounded(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "analytics_reorder"), 0);
    int lead, review;
    double service;
    assert_int_equal(souk_analytics_reorder_settings(t.db, &lead, &service, &review), 0);
    assert_int_equal(lead, 7);
    assert_true(service == 0.95);
    assert_int_equal(review, 0);
    assert_int_equal(souk_analytics_set_reorder_settings(t.db, 0, 0.9, 0), -1);
    assert_int_equal(souk_analytics_set_reorder_settings(t.db, 5, 1.0, 0), -1);
    assert_int_equal(souk_analytics_set_reorder_settings(t.db, 5, 0.9, 31), -1);
    assert_int_equal(souk_analytics_set_reorder_settings(t.db, 14, 0.99, 7), 0);
    assert_int_equal(souk_analytics_reorder_settings(t.db, &lead, &service, &review), 0);
    assert_int_equal(lead, 14);
    assert_true(fabs(service - 0.99) < 1e-12);
    assert_int_equal(review, 7);
    souk_test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(onestep_agrees_with_the_anomaly_flags),
        cmocka_unit_test(run_stores_forecasts_stock_and_anomalies),
        cmocka_unit_test(reorder_settings_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
