/*
 * Unit tests for src/forecast (ETS): exact forecasts on series with a
 * known answer (a pure linear trend, pure additive and multiplicative
 * seasonal patterns), the AICc choice of class on clearly simulated data,
 * the coverage of the 80% / 95% intervals on data simulated from the
 * model (analytic and simulated intervals; fixed seeds, so deterministic,
 * with bounds a wrong variance formula fails), and anomaly flags on
 * planted spikes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "forecast/forecast.h"

/* a test-local generator: splitmix64 and Box–Muller */
static uint64_t rng_state;
static double unif(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void)
{
    return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
}

static void linear_trend_is_forecast_exactly(void **state)
{
    (void)state;
    double y[60], f[12];
    for (int t = 0; t < 60; t++)
        y[t] = 10 + 2.5 * t;
    souk_forecast_ets m;
    assert_int_equal(souk_forecast_ets_select(y, 60, 1, &m), 0);
    assert_int_equal(m.cls.trend, SOUK_FORECAST_TREND_ADD);
    assert_int_equal(souk_forecast_ets_predict(&m, 12, f, NULL, NULL, NULL, NULL), 0);
    for (int i = 0; i < 12; i++)
        assert_true(fabs(f[i] - (10 + 2.5 * (60 + i))) < 1e-4);
    /* the same with the class given, additive error */
    souk_forecast_ets_class aan = {SOUK_FORECAST_ERR_ADD, SOUK_FORECAST_TREND_ADD, SOUK_FORECAST_SEASON_NONE};
    assert_int_equal(souk_forecast_ets_fit(y, 60, 1, aan, &m), 0);
    assert_int_equal(souk_forecast_ets_predict(&m, 12, f, NULL, NULL, NULL, NULL), 0);
    for (int i = 0; i < 12; i++)
        assert_true(fabs(f[i] - (10 + 2.5 * (60 + i))) < 1e-4);
}

static void seasonal_patterns_are_forecast_exactly(void **state)
{
    (void)state;
    static const double pat[7] = {5, 8, 9, 7, 12, 20, 3};
    double y[70], f[16];
    for (int t = 0; t < 70; t++)
        y[t] = 100 + pat[t % 7];
    souk_forecast_ets m;
    assert_int_equal(souk_forecast_ets_select(y, 70, 7, &m), 0);
    assert_int_not_equal(m.cls.season, SOUK_FORECAST_SEASON_NONE);
    assert_int_equal(souk_forecast_ets_predict(&m, 16, f, NULL, NULL, NULL, NULL), 0);
    for (int i = 0; i < 16; i++)
        assert_true(fabs(f[i] - (100 + pat[(70 + i) % 7])) < 1e-4);
    /* multiplicative: a level of 50 times seasonal factors */
    static const double fac[4] = {0.5, 1.5, 1.2, 0.8};
    for (int t = 0; t < 48; t++)
        y[t] = 50 * fac[t % 4];
    souk_forecast_ets_class mnm = {SOUK_FORECAST_ERR_MUL, SOUK_FORECAST_TREND_NONE, SOUK_FORECAST_SEASON_MUL};
    assert_int_equal(souk_forecast_ets_fit(y, 48, 4, mnm, &m), 0);
    assert_int_equal(souk_forecast_ets_predict(&m, 8, f, NULL, NULL, NULL, NULL), 0);
    for (int i = 0; i < 8; i++)
        assert_true(fabs(f[i] - 50 * fac[(48 + i) % 4]) < 1e-4);
}

static void aicc_picks_the_simulated_class(void **state)
{
    (void)state;
    double y[200];
    souk_forecast_ets m;
    char name[16];
    /* a level that wanders (ANN, alpha 0.3) */
    rng_state = 11;
    double l = 100;
    for (int t = 0; t < 200; t++) {
        double e = 2 * gauss();
        y[t] = l + e;
        l += 0.3 * e;
    }
    assert_int_equal(souk_forecast_ets_select(y, 200, 7, &m), 0);
    print_message("wandering level: %s\n", souk_forecast_ets_name(m.cls, name));
    assert_int_equal(m.cls.trend, SOUK_FORECAST_TREND_NONE);
    assert_int_equal(m.cls.season, SOUK_FORECAST_SEASON_NONE);
    /* a steep trend with noise */
    for (int t = 0; t < 120; t++)
        y[t] = 20 + 3 * t + 2 * gauss();
    assert_int_equal(souk_forecast_ets_select(y, 120, 7, &m), 0);
    print_message("trend: %s\n", souk_forecast_ets_name(m.cls, name));
    assert_int_not_equal(m.cls.trend, SOUK_FORECAST_TREND_NONE);
    assert_int_equal(m.cls.season, SOUK_FORECAST_SEASON_NONE);
    /* a weekly additive pattern on a flat level */
    static const double pat[7] = {-10, -4, 0, 3, 6, 12, -7};
    for (int t = 0; t < 140; t++)
        y[t] = 200 + pat[t % 7] + 1.5 * gauss();
    assert_int_equal(souk_forecast_ets_select(y, 140, 7, &m), 0);
    print_message("weekly: %s\n", souk_forecast_ets_name(m.cls, name));
    assert_int_not_equal(m.cls.season, SOUK_FORECAST_SEASON_NONE); /* a trend may tie on 140 noisy points */
    double f[7];
    assert_int_equal(souk_forecast_ets_predict(&m, 7, f, NULL, NULL, NULL, NULL), 0);
    for (int i = 0; i < 7; i++)
        assert_true(fabs(f[i] - (200 + pat[(140 + i) % 7])) < 2);
    /* a season whose swing grows with a rising level, relative noise: multiplicative */
    static const double fac[4] = {0.6, 1.4, 1.2, 0.8};
    for (int t = 0; t < 160; t++)
        y[t] = (50 + 4 * t) * fac[t % 4] * (1 + 0.02 * gauss());
    assert_int_equal(souk_forecast_ets_select(y, 160, 4, &m), 0);
    print_message("growing season: %s\n", souk_forecast_ets_name(m.cls, name));
    assert_int_equal(m.cls.season, SOUK_FORECAST_SEASON_MUL);
    assert_int_not_equal(m.cls.trend, SOUK_FORECAST_TREND_NONE);
}

/* fits CLS to REPS series simulated from it and counts how often the next H values fall in the intervals */
static void coverage(souk_forecast_ets_class cls, int reps, double *c80, double *c95)
{
    enum { N = 120, H = 8, M = 4 };
    static const double fac[M] = {0.7, 1.3, 1.1, 0.9};
    double y[N + H], f[H], lo80[H], hi80[H], lo95[H], hi95[H];
    size_t in80 = 0, in95 = 0, total = 0;
    for (int r = 0; r < reps; r++) {
        double l = 100, s[M];
        for (int j = 0; j < M; j++)
            s[j] = cls.season == SOUK_FORECAST_SEASON_MUL
                       ? fac[j]
                       : (cls.season == SOUK_FORECAST_SEASON_ADD ? 20 * (fac[j] - 1) : 0);
        for (int t = 0; t < N + H; t++) {
            double sd = cls.error == SOUK_FORECAST_ERR_MUL ? 0.05 : 4;
            double e = sd * gauss();
            double mu = cls.season == SOUK_FORECAST_SEASON_MUL ? l * s[t % M] : l + s[t % M];
            y[t] = cls.error == SOUK_FORECAST_ERR_MUL ? mu * (1 + e) : mu + e;
            double rr = y[t] - mu;
            if (cls.season == SOUK_FORECAST_SEASON_MUL) {
                double sj = s[t % M];
                s[t % M] = sj + 0.1 * rr / l;
                l += 0.2 * rr / sj;
            } else {
                s[t % M] += 0.1 * rr;
                l += 0.2 * rr;
            }
        }
        souk_forecast_ets m;
        assert_int_equal(souk_forecast_ets_fit(y, N, M, cls, &m), 0);
        assert_int_equal(souk_forecast_ets_predict(&m, H, f, lo80, hi80, lo95, hi95), 0);
        for (int i = 0; i < H; i++) {
            assert_true(lo95[i] <= lo80[i] && lo80[i] <= f[i] + 1e-9 * fabs(f[i]) + 1e-9 &&
                        f[i] <= hi80[i] + 1e-9 * fabs(f[i]) + 1e-9 && hi80[i] <= hi95[i]);
            double a = y[N + i];
            in80 += a >= lo80[i] && a <= hi80[i];
            in95 += a >= lo95[i] && a <= hi95[i];
            total++;
        }
    }
    *c80 = (double)in80 / (double)total;
    *c95 = (double)in95 / (double)total;
}

static void intervals_cover_as_stated(void **state)
{
    (void)state;
    double c80, c95;
    rng_state = 2026;
    souk_forecast_ets_class ana = {SOUK_FORECAST_ERR_ADD, SOUK_FORECAST_TREND_NONE, SOUK_FORECAST_SEASON_ADD};
    coverage(ana, 150, &c80, &c95); /* analytic variance */
    print_message("ETS(A,N,A) coverage: 80%% -> %.3f, 95%% -> %.3f\n", c80, c95);
    assert_true(c80 > 0.75 && c80 < 0.85);
    assert_true(c95 > 0.92 && c95 < 0.98);
    souk_forecast_ets_class mnm = {SOUK_FORECAST_ERR_MUL, SOUK_FORECAST_TREND_NONE, SOUK_FORECAST_SEASON_MUL};
    coverage(mnm, 100, &c80, &c95); /* simulated sample paths */
    print_message("ETS(M,N,M) coverage: 80%% -> %.3f, 95%% -> %.3f\n", c80, c95);
    assert_true(c80 > 0.75 && c80 < 0.85);
    assert_true(c95 > 0.92 && c95 < 0.98);
}

static void intervals_are_deterministic(void **state)
{
    (void)state;
    double y[80], a[6], b[6], f[6];
    rng_state = 5;
    for (int t = 0; t < 80; t++)
        y[t] = 30 * (1 + 0.1 * gauss()) * (t % 2 ? 1.2 : 0.8);
    souk_forecast_ets_class mnm = {SOUK_FORECAST_ERR_MUL, SOUK_FORECAST_TREND_NONE, SOUK_FORECAST_SEASON_MUL};
    souk_forecast_ets m;
    assert_int_equal(souk_forecast_ets_fit(y, 80, 2, mnm, &m), 0);
    assert_int_equal(souk_forecast_ets_predict(&m, 6, f, NULL, NULL, a, NULL), 0);
    assert_int_equal(souk_forecast_ets_predict(&m, 6, f, NULL, NULL, b, NULL), 0);
    assert_memory_equal(a, b, sizeof a);
}

static void anomalies_flag_planted_spikes(void **state)
{
    (void)state;
    static const double pat[7] = {-10, -4, 0, 3, 6, 12, -7};
    double y[210];
    uint8_t flags[210];
    rng_state = 99;
    for (int t = 0; t < 210; t++)
        y[t] = 300 + pat[t % 7] + 2 * gauss();
    y[100] += 40;
    y[150] -= 40;
    souk_forecast_ets m;
    assert_int_equal(souk_forecast_ets_select(y, 210, 7, &m), 0);
    long n = souk_forecast_ets_anomalies(&m, y, 210, flags);
    assert_true(flags[100] && flags[150]);
    assert_true(n >= 2 && n <= 2 + 210 / 20); /* about 5% of normal points may cross a 95% interval */
    for (int t = 0; t < 7; t++)
        assert_int_equal(flags[t], 0);
}

/* a long series is fitted on its last SOUK_FORECAST_ETS_WINDOW points; forecasts and flags line up */
static void long_series_are_fitted_on_a_window(void **state)
{
    (void)state;
    enum { N = SOUK_FORECAST_ETS_WINDOW + 500 };
    static double y[N];
    static uint8_t flags[N];
    static const double pat[7] = {5, 8, 9, 7, 12, 20, 3};
    rng_state = 17;
    for (int t = 0; t < N; t++)
        y[t] = 100 + pat[t % 7] + 0.5 * gauss();
    y[N - 100] += 20;
    souk_forecast_ets m;
    double f[7];
    assert_int_equal(souk_forecast_ets_select(y, N, 7, &m), 0);
    assert_int_equal(m.start, 500);
    assert_int_equal(m.n, SOUK_FORECAST_ETS_WINDOW);
    assert_int_equal(souk_forecast_ets_predict(&m, 7, f, NULL, NULL, NULL, NULL), 0);
    for (int i = 0; i < 7; i++)
        assert_true(fabs(f[i] - (100 + pat[(N + i) % 7])) < 1);
    long n = souk_forecast_ets_anomalies(&m, y, N, flags);
    assert_true(n >= 1 && flags[N - 100]);
    for (int t = 0; t < 507; t++)
        assert_int_equal(flags[t], 0);
}

static void bad_input_is_refused(void **state)
{
    (void)state;
    double y[40], f[4];
    for (int t = 0; t < 40; t++)
        y[t] = t % 3 ? 5 : 0;
    souk_forecast_ets m;
    souk_forecast_ets_class mnn = {SOUK_FORECAST_ERR_MUL, SOUK_FORECAST_TREND_NONE, SOUK_FORECAST_SEASON_NONE};
    assert_int_equal(souk_forecast_ets_fit(y, 40, 1, mnn, &m), SOUK_FORECAST_E_NOFIT); /* zeros */
    assert_int_equal(souk_forecast_ets_fit(y, 4, 1, mnn, &m), SOUK_FORECAST_E_SHORT);
    souk_forecast_ets_class ana = {SOUK_FORECAST_ERR_ADD, SOUK_FORECAST_TREND_NONE, SOUK_FORECAST_SEASON_ADD};
    assert_int_equal(souk_forecast_ets_fit(y, 40, 30, ana, &m), SOUK_FORECAST_E_INVAL); /* m > 24 */
    y[3] = NAN;
    assert_int_equal(souk_forecast_ets_select(y, 40, 1, &m), SOUK_FORECAST_E_INVAL);
    y[3] = 1;
    assert_int_equal(souk_forecast_ets_select(y, 40, 1, &m), 0);
    assert_int_equal(souk_forecast_ets_predict(&m, 0, f, NULL, NULL, NULL, NULL), SOUK_FORECAST_E_INVAL);
    assert_int_equal(souk_forecast_ets_predict(&m, SOUK_FORECAST_H_MAX + 1, f, NULL, NULL, NULL, NULL),
                     SOUK_FORECAST_E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linear_trend_is_forecast_exactly),   cmocka_unit_test(seasonal_patterns_are_forecast_exactly),
        cmocka_unit_test(aicc_picks_the_simulated_class),     cmocka_unit_test(intervals_cover_as_stated),
        cmocka_unit_test(intervals_are_deterministic),        cmocka_unit_test(anomalies_flag_planted_spikes),
        cmocka_unit_test(long_series_are_fitted_on_a_window), cmocka_unit_test(bad_input_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
