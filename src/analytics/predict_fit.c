/*
 * predict_fit.c — one series fitted for storage: the automatic choice of
 * src/forecast on its history, its forecasts and intervals as a JSON body.
 */
#include "analytics/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "forecast/forecast.h"
#include "core/banned.h"

static json_t *num(double v, double scale)
{
    return isfinite(v) ? json_real(round(v * scale) / scale) : json_null();
}

json_t *souk__analytics_fit_series(const double *y, size_t n, int m, size_t hchoose, size_t hmax, bool intervals)
{
    if (n == 0 || hmax == 0 || hmax > SOUK_FORECAST_H_MAX)
        return NULL;
    if (m > 1 && n < (size_t)m * 2 + 2)
        m = 1;
    souk_forecast_model *mdl = malloc(sizeof *mdl);
    double *buf = malloc(5 * hmax * sizeof *buf);
    if (!mdl || !buf) {
        free(mdl);
        free(buf);
        return NULL;
    }
    souk_forecast_auto_report rep;
    int rc = souk_forecast_auto(y, n, m, hchoose, mdl, &rep);
    if (rc < 0) {
        rep.holdout = 0;
        rc = souk_forecast_fit(SOUK_FORECAST_SNAIVE, y, n, m, mdl);
    }
    double *mean = buf, *lo80 = buf + hmax, *hi80 = buf + 2 * hmax, *lo95 = buf + 3 * hmax, *hi95 = buf + 4 * hmax;
    if (rc == 0)
        rc = intervals ? souk_forecast_predict(mdl, hmax, mean, lo80, hi80, lo95, hi95)
                       : souk_forecast_predict(mdl, hmax, mean, NULL, NULL, NULL, NULL);
    json_t *out = NULL;
    if (rc == 0) {
        char name[16];
        const char *model = mdl->method == SOUK_FORECAST_ETS ? souk_forecast_ets_name(mdl->ets.cls, name)
                                                             : souk_forecast_method_name(mdl->method);
        double mase = rep.holdout ? rep.mase[mdl->method] : NAN;
        json_t *pts = json_array();
        for (size_t i = 0; pts && i < hmax; i++) {
            double lo = mean[i] < 0 && mdl->nonneg ? 0 : mean[i];
            json_array_append_new(pts, intervals ? json_pack("[o,o,o,o,o]", num(lo, 100), num(lo80[i], 100),
                                                             num(hi80[i], 100), num(lo95[i], 100), num(hi95[i], 100))
                                                 : num(lo, 10000));
        }
        out = json_pack("{s:s,s:s,s:i,s:I,s:o,s:I,s:o,s:o}", "method", souk_forecast_method_name(mdl->method), "model",
                        model, "period", mdl->m, "history", (json_int_t)n, "sigma", num(mdl->sigma, 10000), "holdout",
                        (json_int_t)rep.holdout, "holdout_mase", num(mase, 10000), "points", pts);
    }
    free(mdl);
    free(buf);
    return out;
}
