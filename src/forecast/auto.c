/*
 * auto.c — accuracy measures (sMAPE, MASE) and the automatic choice of a
 * method per series by its error on a holdout of the training data.
 */
#include <math.h>
#include <string.h>

#include "forecast/internal.h"
#include "core/banned.h"

double souk_forecast_smape(const double *actual, const double *fc, size_t n)
{
    if (n == 0)
        return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double den = fabs(actual[i]) + fabs(fc[i]);
        if (den > 0)
            s += 200 * fabs(actual[i] - fc[i]) / den;
    }
    return s / (double)n;
}

double souk_forecast_mase(const double *actual, const double *fc, size_t n, const double *train, size_t ntrain, int m)
{
    if (n == 0 || ntrain < 2)
        return NAN;
    size_t lag = m > 1 && ntrain > (size_t)m ? (size_t)m : 1;
    double scale = 0, err = 0;
    for (size_t t = lag; t < ntrain; t++)
        scale += fabs(train[t] - train[t - lag]);
    scale /= (double)(ntrain - lag);
    if (!(scale > 0))
        return NAN;
    for (size_t i = 0; i < n; i++)
        err += fabs(actual[i] - fc[i]);
    return err / (double)n / scale;
}

/* is A a better holdout score than B (MASE first, sMAPE on ties or when MASE is undefined) */
static bool better(double mase_a, double smape_a, double mase_b, double smape_b)
{
    if (isnan(smape_b))
        return !isnan(smape_a);
    if (isnan(smape_a))
        return false;
    if (!isnan(mase_a) && !isnan(mase_b) && fabs(mase_a - mase_b) > 1e-12)
        return mase_a < mase_b;
    return smape_a < smape_b;
}

int souk_forecast_auto(const double *y, size_t n, int m, size_t h, souk_forecast_model *out,
                       souk_forecast_auto_report *report)
{
    if (!y || !out || h < 1 || h > SOUK_FORECAST_H_MAX || n > SOUK_FORECAST_N_MAX || m < 1 || m > SOUK_FORECAST_M_MAX)
        return SOUK_FORECAST_E_INVAL;
    souk_forecast_auto_report rep;
    for (int i = 0; i < SOUK_FORECAST_METHODS; i++)
        rep.mase[i] = rep.smape[i] = NAN;
    size_t zeros = 0;
    bool neg = false;
    for (size_t t = 0; t < n; t++) {
        if (!isfinite(y[t]) || fabs(y[t]) > SOUK_FORECAST_VALUE_MAX)
            return SOUK_FORECAST_E_INVAL;
        zeros += y[t] == 0;
        neg |= y[t] < 0;
    }
    bool intermittent = !neg && zeros * 4 >= n;
    size_t hold = h < n / 4 ? h : n / 4;
    size_t ntrain = n - hold;
    size_t need = m > 1 ? 2 * (size_t)m + 2 : 8;
    souk_forecast_method pick = SOUK_FORECAST_ETS;
    if (hold >= 1 && ntrain >= need) {
        /* two forecast origins when the series is long enough: the last HOLD points and the HOLD before */
        int origins = n >= 2 * hold + need ? 2 : 1;
        double fc[SOUK_FORECAST_H_MAX];
        souk_forecast_model cand;
        bool any = false;
        for (int k = 0; k < SOUK_FORECAST_METHODS; k++) {
            if ((k == SOUK_FORECAST_CROSTON || k == SOUK_FORECAST_SBA) && !intermittent)
                continue;
            double sm = 0, ma = 0;
            int nma = 0, ok = 0;
            for (int o = 1; o <= origins; o++) {
                size_t end = n - (size_t)(o - 1) * hold, tr = end - hold;
                if (souk_forecast_fit((souk_forecast_method)k, y, tr, m, &cand) < 0 ||
                    souk_forecast_predict(&cand, hold, fc, NULL, NULL, NULL, NULL) < 0)
                    break;
                double q = souk_forecast_mase(y + tr, fc, hold, y, tr, m);
                sm += souk_forecast_smape(y + tr, fc, hold);
                if (!isnan(q)) {
                    ma += q;
                    nma++;
                }
                ok++;
            }
            if (ok < origins)
                continue;
            rep.mase[k] = nma == origins ? ma / nma : NAN;
            rep.smape[k] = sm / origins;
            if (!any || better(rep.mase[k], rep.smape[k], rep.mase[pick], rep.smape[pick]))
                pick = (souk_forecast_method)k;
            any = true;
        }
        rep.holdout = hold;
    } else {
        rep.holdout = 0;
    }
    if (report)
        *report = rep;
    int rc = souk_forecast_fit(pick, y, n, m, out);
    if (rc < 0 && pick != SOUK_FORECAST_SNAIVE)
        rc = souk_forecast_fit(SOUK_FORECAST_SNAIVE, y, n, m, out);
    return rc;
}
