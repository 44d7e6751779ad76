/*
 * stock.c — what the forecast means for stock: days of cover, the reorder
 * suggestion with safety stock from the forecast error, and the normal
 * quantile behind the service level.
 */
#include <math.h>

#include "forecast/forecast.h"
#include "core/banned.h"

double souk_forecast_days_of_cover(double stock, const double *fc, size_t h)
{
    if (!(stock > 0))
        return 0;
    if (!fc || h == 0)
        return INFINITY;
    double total = 0;
    for (size_t i = 0; i < h; i++) {
        double d = fc[i] > 0 ? fc[i] : 0;
        if (stock <= d)
            return (double)i + stock / d;
        stock -= d;
        total += d;
    }
    if (!(total > 0))
        return INFINITY;
    return (double)h + stock / (total / (double)h);
}

double souk_forecast_norm_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (!(p > 0) || !(p < 1))
        return NAN;
    const double plow = 0.02425;
    double x;
    if (p < plow) {
        double q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - plow) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        double q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    /* one step of Halley's method on the exact CDF */
    double e = 0.5 * erfc(-x / M_SQRT2) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

int souk_forecast_reorder(const souk_forecast_reorder_in *in, souk_forecast_reorder_out *out)
{
    if (!in || !out || !in->fc || in->lead_time < 1 || in->review < 0 || in->h > SOUK_FORECAST_H_MAX ||
        (size_t)in->lead_time + (size_t)in->review > in->h || !(in->service >= 0.5 && in->service < 1) ||
        !(in->sigma >= 0) || !isfinite(in->sigma) || !isfinite(in->on_hand) || !(in->on_order >= 0) ||
        !isfinite(in->on_order))
        return SOUK_FORECAST_E_INVAL;
    size_t span = (size_t)in->lead_time + (size_t)in->review;
    double demand = 0;
    for (size_t i = 0; i < span; i++) {
        if (!isfinite(in->fc[i]))
            return SOUK_FORECAST_E_INVAL;
        demand += in->fc[i] > 0 ? in->fc[i] : 0;
    }
    out->lead_demand = demand;
    out->safety_stock = souk_forecast_norm_quantile(in->service) * in->sigma * sqrt((double)span);
    out->reorder_point = demand + out->safety_stock;
    out->position = in->on_hand + in->on_order;
    out->reorder = out->position < out->reorder_point;
    out->quantity = out->reorder ? ceil(out->reorder_point - out->position - 1e-9) : 0;
    return 0;
}
