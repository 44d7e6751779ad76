/*
 * libFuzzer driver for souk_forecast_csv_read (src/forecast/csv.c), the
 * reader of `souk eval forecast`'s series, and the engine behind it on
 * whatever it accepts. Beyond "no crash / no sanitizer report": a refusal
 * names its line and leaves the set empty; an accepted set has its series
 * sorted by id, dates strictly increasing, values finite and bounded, and
 * as many points as rows; seasonal naive and Croston fit or refuse
 * cleanly on every series, and ETS on a short first one, with finite
 * forecasts and ordered intervals.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "forecast/forecast.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            __builtin_trap();                                                                                          \
    } while (0)

static void check_forecast(const souk_forecast_model *f)
{
    double mean[8], lo80[8], hi80[8], lo95[8], hi95[8];
    CHECK(souk_forecast_predict(f, 8, mean, lo80, hi80, lo95, hi95) == 0);
    for (int i = 0; i < 8; i++) {
        CHECK(isfinite(mean[i]));
        CHECK(!(lo95[i] > lo80[i]) && !(hi80[i] > hi95[i]));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    souk_forecast_series_set set;
    char err[256] = "";
    int rc = souk_forecast_csv_read(data, size, &set, err, sizeof err);
    if (rc < 0) {
        CHECK(rc == SOUK_FORECAST_E_INVAL || rc == SOUK_FORECAST_E_NOMEM);
        CHECK(strncmp(err, "line ", 5) == 0 || strcmp(err, "out of memory") == 0);
        CHECK(set.nseries == 0 && set.series == NULL);
        return 0;
    }
    size_t rows = 0;
    for (size_t i = 0; i < set.nseries; i++) {
        const souk_forecast_series *s = &set.series[i];
        CHECK(s->n >= 1 && s->n <= SOUK_FORECAST_N_MAX);
        CHECK(strlen(s->id) >= 1 && strlen(s->id) <= SOUK_FORECAST_ID_MAX);
        CHECK(i == 0 || strcmp(set.series[i - 1].id, s->id) < 0);
        CHECK(s->first_day == s->day[0]);
        for (size_t t = 0; t < s->n; t++) {
            CHECK(isfinite(s->y[t]) && fabs(s->y[t]) <= SOUK_FORECAST_VALUE_MAX);
            CHECK(t == 0 || s->day[t] > s->day[t - 1]);
        }
        rows += s->n;
        souk_forecast_model f;
        CHECK(souk_forecast_fit(SOUK_FORECAST_SNAIVE, s->y, s->n, 7, &f) == 0);
        check_forecast(&f);
        rc = souk_forecast_fit(SOUK_FORECAST_CROSTON, s->y, s->n, 1, &f);
        CHECK(rc == 0 || rc == SOUK_FORECAST_E_NOFIT || rc == SOUK_FORECAST_E_SHORT);
        if (rc == 0)
            check_forecast(&f);
        if (i == 0 && s->n <= 40) {
            rc = souk_forecast_fit(SOUK_FORECAST_ETS, s->y, s->n, 2, &f);
            CHECK(rc == 0 || rc == SOUK_FORECAST_E_SHORT || rc == SOUK_FORECAST_E_NOFIT);
            if (rc == 0)
                check_forecast(&f);
        }
    }
    CHECK(rows == set.nrows);
    souk_forecast_series_set_release(&set);
    CHECK(set.nseries == 0 && set.series == NULL);
    return 0;
}
