/*
 * rule.c — the suggestion rule: what demand change the stock and the
 * forecast call for, turned into a price through the elasticity, then the
 * admins' bounds and the minor unit. Pure: no database, no clock.
 *
 *   overstock     days of cover > COVER_HIGH: demand × cover/COVER_HIGH, so
 *                 the stock lasts COVER_HIGH days
 *   low_stock     days of cover < COVER_LOW: demand × cover/COVER_LOW
 *   no_demand     stock but no forecast demand and no recent sales: the
 *                 largest allowed cut
 *   demand_rising / demand_falling   forecast/recent beyond TREND_UP/DOWN:
 *                 lean against half of that change
 *   units ∝ priceᵉ, so a demand multiplier m needs price × m^(1/e).
 */
#include "pricing/pricing.h"

#include <math.h>
#include <stdio.h>

#include "core/banned.h"

static double round2(double v)
{
    return isfinite(v) ? round(v * 100) / 100 : v;
}

static int add(json_t *reasons, json_t *r)
{
    return r ? json_array_append_new(reasons, r) : -1;
}

static int elasticity_reason(json_t *reasons, const souk_pricing_elasticity *e)
{
    char msg[160];
    if (e->prior_only) {
        snprintf(msg, sizeof msg, "elasticity %.2f: the prior (%s, %d observations)", e->value,
                 e->why ? e->why : "no_sales", e->observations);
        return add(reasons, json_pack("{s:s,s:s,s:f,s:i,s:i,s:s}", "code", "elasticity_prior", "message", msg,
                                      "elasticity", round2(e->value), "observations", e->observations, "price_points",
                                      e->price_points, "why", e->why ? e->why : "no_sales"));
    }
    snprintf(msg, sizeof msg, "elasticity %.2f from %d price points (%d days; least squares %.2f ± %.2f, weight %.2f)",
             e->value, e->price_points, e->observations, e->ols, e->se, e->weight);
    return add(reasons, json_pack("{s:s,s:s,s:f,s:i,s:i,s:f,s:f,s:f}", "code", "elasticity_estimated", "message", msg,
                                  "elasticity", round2(e->value), "observations", e->observations, "price_points",
                                  e->price_points, "ols", round2(e->ols), "standard_error", round2(e->se), "weight",
                                  round2(e->weight)));
}

int souk_pricing_rule(const souk_pricing_rule_in *in, const souk_pricing_elasticity *elasticity,
                      souk_pricing_rule_out *out)
{
    out->suggested = in->current;
    out->factor = 1;
    out->reasons = json_array();
    if (!out->reasons)
        return -1;
    json_t *rs = out->reasons;
    int r = 0;
    char msg[160];
    double e = in->elasticity < 0 ? in->elasticity : SOUK_PRICING_PRIOR_ELASTICITY;
    double cap = (in->max_change_bp > 0 ? in->max_change_bp : SOUK_PRICING_DEFAULT_MAX_CHANGE_BP) / 10000.0;
    double factor = 1, cover = in->days_of_cover;
    if (in->current <= 0) {
        r = add(rs, json_pack("{s:s,s:s}", "code", "no_price", "message", "no positive price to start from"));
        goto end;
    }
    if (in->available <= 0) {
        r = add(rs, json_pack("{s:s,s:s,s:I}", "code", "out_of_stock", "message", "out of stock: no change",
                              "available", (json_int_t)in->available));
        goto elastic;
    }
    if (!(in->daily_demand > 0) && !(in->recent_daily > 0)) {
        factor = 1 - cap;
        snprintf(msg, sizeof msg, "no demand: %lld units in stock, none forecast or sold in %d days",
                 (long long)in->available, SOUK_PRICING_RECENT_DAYS);
        r = add(rs, json_pack("{s:s,s:s,s:I,s:b}", "code", "no_demand", "message", msg, "available",
                              (json_int_t)in->available, "forecast", in->forecast));
    } else if (!(in->daily_demand > 0)) { /* sold lately but nothing forecast (no stored run yet) */
        cover = (double)in->available / in->recent_daily;
        r = add(rs, json_pack("{s:s,s:s,s:f}", "code", "no_forecast", "message",
                              "no stored demand forecast: days of cover from the recent sales", "recent_daily_units",
                              round2(in->recent_daily)));
    }
    if (r == 0 && factor == 1 && isfinite(cover)) {
        if (cover > SOUK_PRICING_COVER_HIGH) {
            double m = cover / SOUK_PRICING_COVER_HIGH;
            factor = pow(m, 1 / e);
            snprintf(msg, sizeof msg, "overstock: %.0f days of cover (target at most %.0f)", cover,
                     SOUK_PRICING_COVER_HIGH);
            r = add(rs,
                    json_pack("{s:s,s:s,s:f,s:f,s:f}", "code", "overstock", "message", msg, "days_of_cover",
                              round2(cover), "target_days", SOUK_PRICING_COVER_HIGH, "demand_multiplier", round2(m)));
        } else if (cover < SOUK_PRICING_COVER_LOW) {
            double m = cover / SOUK_PRICING_COVER_LOW;
            if (m < 0.25)
                m = 0.25;
            factor = pow(m, 1 / e);
            snprintf(msg, sizeof msg, "low stock: %.1f days of cover (target at least %.0f)", cover,
                     SOUK_PRICING_COVER_LOW);
            r = add(rs,
                    json_pack("{s:s,s:s,s:f,s:f,s:f}", "code", "low_stock", "message", msg, "days_of_cover",
                              round2(cover), "target_days", SOUK_PRICING_COVER_LOW, "demand_multiplier", round2(m)));
        } else if (in->daily_demand > 0 && in->recent_daily > 0) {
            double trend = in->daily_demand / in->recent_daily;
            if (trend > SOUK_PRICING_TREND_UP || trend < SOUK_PRICING_TREND_DOWN) {
                double m = 1 / sqrt(trend); /* lean against half the change (in logs) */
                factor = pow(m, 1 / e);
                bool up = trend > 1;
                snprintf(msg, sizeof msg, "demand %s: %.2f units a day forecast against %.2f sold lately",
                         up ? "rising" : "falling", in->daily_demand, in->recent_daily);
                r = add(rs, json_pack("{s:s,s:s,s:f,s:f,s:f,s:f}", "code", up ? "demand_rising" : "demand_falling",
                                      "message", msg, "forecast_daily_units", round2(in->daily_demand),
                                      "recent_daily_units", round2(in->recent_daily), "trend", round2(trend),
                                      "days_of_cover", round2(cover)));
            } else {
                snprintf(msg, sizeof msg, "balanced: %.0f days of cover, demand steady", cover);
                r = add(rs, json_pack("{s:s,s:s,s:f,s:f}", "code", "balanced", "message", msg, "days_of_cover",
                                      round2(cover), "trend", round2(trend)));
            }
        } else {
            snprintf(msg, sizeof msg, "balanced: %.0f days of cover", cover);
            r = add(rs, json_pack("{s:s,s:s,s:f}", "code", "balanced", "message", msg, "days_of_cover", round2(cover)));
        }
    }
    if (r < 0)
        goto end;
    if (factor > 1 + cap || factor < 1 - cap) {
        double want = factor;
        factor = factor > 1 ? 1 + cap : 1 - cap;
        snprintf(msg, sizeof msg, "change capped at %.1f %% (the rule asked for %+.1f %%)", cap * 100,
                 (want - 1) * 100);
        r = add(rs, json_pack("{s:s,s:s,s:f,s:f}", "code", "max_change", "message", msg, "max_change_pct",
                              round2(cap * 100), "wanted_change_pct", round2((want - 1) * 100)));
    }
    double amount = (double)in->current * factor;
    if (r == 0 && in->max_amount >= 0 && amount > (double)in->max_amount) {
        amount = (double)in->max_amount;
        snprintf(msg, sizeof msg, "kept at the maximum price %lld", (long long)in->max_amount);
        r = add(rs, json_pack("{s:s,s:s,s:I}", "code", "max_price", "message", msg, "max_amount",
                              (json_int_t)in->max_amount));
    }
    if (r == 0 && in->min_amount >= 0 && amount < (double)in->min_amount) {
        amount = (double)in->min_amount;
        snprintf(msg, sizeof msg, "kept at the minimum price %lld", (long long)in->min_amount);
        r = add(rs, json_pack("{s:s,s:s,s:I}", "code", "min_price", "message", msg, "min_amount",
                              (json_int_t)in->min_amount));
    }
    if (r < 0)
        goto end;
    out->suggested = (int64_t)llround(amount);
    if (out->suggested < 1)
        out->suggested = 1;
    out->factor = amount / (double)in->current;
elastic:
    if (r == 0 && elasticity)
        r = elasticity_reason(rs, elasticity);
end:
    if (r < 0) {
        json_decref(out->reasons);
        out->reasons = NULL;
        return -1;
    }
    return 0;
}
