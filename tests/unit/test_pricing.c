/*
 * Unit tests for src/pricing's pure parts: the elasticity estimate on
 * planted sales (a known elasticity recovered within tolerance; shrinkage
 * toward the prior on a short history; the prior alone, with the reason,
 * without sales or price variation) and the suggestion rule (overstock, low
 * stock, no demand, rising demand, out of stock; the largest change, the
 * min/max price and the minor unit respected; the reasons it gives).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "pricing/pricing.h"

/* a fixed-seed standard normal (Box–Muller over a 64-bit LCG) */
static uint64_t seed = 42;
static double unif(void)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(seed >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(void)
{
    return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

/* LEVELS prices from 700 by 50, DAYS days each, units = round(A p^E e^(noise·N(0,1))) */
static size_t plant(souk_pricing_obs *o, int levels, int days, double e, double noise)
{
    double a = 40 / pow(1000, e);
    size_t n = 0;
    for (int l = 0; l < levels; l++)
        for (int d = 0; d < days; d++) {
            double p = 700 + 50 * l;
            double u = round(a * pow(p, e) * exp(noise * normal()));
            o[n++] = (souk_pricing_obs){p, u};
        }
    return n;
}

static void known_elasticity_recovered(void **state)
{
    (void)state;
    souk_pricing_obs o[14 * 6];
    seed = 42;
    size_t n = plant(o, 14, 6, -1.8, 0.1);
    souk_pricing_elasticity e;
    souk_pricing_elasticity_estimate(o, n, &e);
    assert_false(e.prior_only);
    assert_int_equal(e.observations, 84);
    assert_int_equal(e.price_points, 14);
    assert_true(fabs(e.ols - -1.8) < 0.15);
    assert_true(fabs(e.value - -1.8) < 0.15);
    assert_true(e.weight > 0.9 && e.weight < 1);
    assert_true(e.se > 0 && e.se < 0.2);
    /* another elasticity, another seed */
    seed = 7;
    n = plant(o, 14, 6, -0.9, 0.1);
    souk_pricing_elasticity_estimate(o, n, &e);
    assert_true(fabs(e.value - -0.9) < 0.15);
}

static void short_history_shrinks_toward_the_prior(void **state)
{
    (void)state;
    souk_pricing_obs o[16];
    seed = 3;
    size_t n = plant(o, 2, 3, -4.0, 0.4); /* 6 noisy days at two prices */
    souk_pricing_elasticity e;
    souk_pricing_elasticity_estimate(o, n, &e);
    assert_false(e.prior_only);
    assert_int_equal(e.observations, 6);
    assert_int_equal(e.price_points, 2);
    assert_true(e.weight > 0 && e.weight < 0.9);
    /* the estimate lies strictly between the least-squares slope and the prior */
    double lo = fmin(e.ols, SOUK_PRICING_PRIOR_ELASTICITY), hi = fmax(e.ols, SOUK_PRICING_PRIOR_ELASTICITY);
    assert_true(e.value > lo && e.value < hi);
}

static void no_history_or_no_variation_gives_the_prior(void **state)
{
    (void)state;
    souk_pricing_elasticity e;
    souk_pricing_elasticity_estimate(NULL, 0, &e);
    assert_true(e.prior_only);
    assert_string_equal(e.why, "no_sales");
    assert_int_equal(e.observations, 0);
    assert_true(e.value == SOUK_PRICING_PRIOR_ELASTICITY);
    assert_true(isnan(e.ols));
    souk_pricing_obs flat[30];
    for (int i = 0; i < 30; i++)
        flat[i] = (souk_pricing_obs){1000, 3 + i % 4};
    souk_pricing_elasticity_estimate(flat, 30, &e);
    assert_true(e.prior_only);
    assert_string_equal(e.why, "no_price_variation");
    assert_int_equal(e.price_points, 1);
    assert_int_equal(e.observations, 30);
    souk_pricing_obs few[3] = {{900, 5}, {1000, 4}, {1100, 3}};
    souk_pricing_elasticity_estimate(few, 3, &e);
    assert_true(e.prior_only);
    assert_string_equal(e.why, "too_few_observations");
    /* zero units and non-positive prices are not observations */
    souk_pricing_obs junk[4] = {{0, 5}, {1000, 0}, {-5, 3}, {NAN, 2}};
    souk_pricing_elasticity_estimate(junk, 4, &e);
    assert_int_equal(e.observations, 0);
    assert_string_equal(e.why, "no_sales");
}

static const json_t *reason(const souk_pricing_rule_out *o, const char *code)
{
    size_t i;
    json_t *r;
    json_array_foreach(o->reasons, i, r) if (strcmp(json_string_value(json_object_get(r, "code")), code) == 0) return r;
    return NULL;
}

static souk_pricing_rule_in base(void)
{
    return (souk_pricing_rule_in){.current = 1000,
                                  .elasticity = -1.8,
                                  .available = 1400,
                                  .forecast = true,
                                  .daily_demand = 10,
                                  .days_of_cover = 140,
                                  .recent_daily = 10,
                                  .min_amount = -1,
                                  .max_amount = -1,
                                  .max_change_bp = 5000};
}

static void overstock_lowers_through_the_elasticity(void **state)
{
    (void)state;
    souk_pricing_rule_in in = base();
    souk_pricing_rule_out o;
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    /* demand × 140/90 needs price × (140/90)^(1/-1.8) */
    assert_int_equal(o.suggested, (int64_t)llround(1000 * pow(140.0 / 90, 1 / -1.8)));
    assert_int_equal(o.suggested, 782);
    const json_t *r = reason(&o, "overstock");
    assert_non_null(r);
    assert_true(json_real_value(json_object_get(r, "days_of_cover")) == 140);
    assert_string_equal(json_string_value(json_object_get(r, "message")),
                        "overstock: 140 days of cover (target at most 90)");
    assert_null(reason(&o, "max_change"));
    json_decref(o.reasons);
    /* the default cap, 10 % */
    in.max_change_bp = 0;
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    assert_int_equal(o.suggested, 900);
    assert_non_null(reason(&o, "max_change"));
    json_decref(o.reasons);
    /* and the minimum price wins over the rule */
    in.min_amount = 950;
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    assert_int_equal(o.suggested, 950);
    assert_non_null(reason(&o, "min_price"));
    json_decref(o.reasons);
}

static void low_stock_raises_within_bounds(void **state)
{
    (void)state;
    souk_pricing_rule_in in = base();
    in.available = 70;
    in.days_of_cover = 7; /* half the target: demand × 0.5 */
    souk_pricing_rule_out o;
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    assert_int_equal(o.suggested, (int64_t)llround(1000 * pow(0.5, 1 / -1.8)));
    assert_non_null(reason(&o, "low_stock"));
    json_decref(o.reasons);
    in.max_amount = 1050;
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    assert_int_equal(o.suggested, 1050);
    assert_non_null(reason(&o, "max_price"));
    json_decref(o.reasons);
    in.max_amount = -1;
    in.max_change_bp = 1000;
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    assert_int_equal(o.suggested, 1100);
    json_decref(o.reasons);
}

static void rounding_demand_and_stock_cases(void **state)
{
    (void)state;
    souk_pricing_rule_in in = base();
    souk_pricing_rule_out o;
    /* no demand at all: the largest allowed cut, rounded to the minor unit */
    in.current = 999;
    in.daily_demand = 0;
    in.recent_daily = 0;
    in.forecast = false;
    in.days_of_cover = INFINITY;
    in.max_change_bp = 1000;
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    assert_int_equal(o.suggested, 899); /* 899.1 */
    assert_non_null(reason(&o, "no_demand"));
    json_decref(o.reasons);
    /* out of stock: no change */
    in = base();
    in.available = 0;
    in.days_of_cover = 0;
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    assert_int_equal(o.suggested, 1000);
    assert_non_null(reason(&o, "out_of_stock"));
    json_decref(o.reasons);
    /* balanced: no change */
    in = base();
    in.days_of_cover = 40;
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    assert_int_equal(o.suggested, 1000);
    assert_non_null(reason(&o, "balanced"));
    json_decref(o.reasons);
    /* demand rising 1.5×: lean against half of it */
    in.daily_demand = 15;
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    assert_int_equal(o.suggested, (int64_t)llround(1000 * pow(1 / sqrt(1.5), 1 / -1.8)));
    assert_true(o.suggested > 1000);
    assert_non_null(reason(&o, "demand_rising"));
    json_decref(o.reasons);
    /* sold lately but no forecast yet: cover from the recent sales */
    in = base();
    in.forecast = false;
    in.daily_demand = 0;
    in.days_of_cover = INFINITY;
    in.recent_daily = 2;
    in.available = 400; /* 200 days */
    assert_int_equal(souk_pricing_rule(&in, NULL, &o), 0);
    assert_non_null(reason(&o, "no_forecast"));
    assert_non_null(reason(&o, "overstock"));
    assert_true(o.suggested < 1000);
    json_decref(o.reasons);
}

static void the_elasticity_reason_says_where_it_came_from(void **state)
{
    (void)state;
    souk_pricing_obs obs[14 * 6];
    seed = 42;
    size_t n = plant(obs, 14, 6, -1.8, 0.1);
    souk_pricing_elasticity e;
    souk_pricing_elasticity_estimate(obs, n, &e);
    souk_pricing_rule_in in = base();
    in.elasticity = e.value;
    souk_pricing_rule_out o;
    assert_int_equal(souk_pricing_rule(&in, &e, &o), 0);
    const json_t *r = reason(&o, "elasticity_estimated");
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "price_points")), 14);
    assert_int_equal(json_integer_value(json_object_get(r, "observations")), 84);
    assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "from 14 price points"));
    json_decref(o.reasons);
    souk_pricing_elasticity_estimate(NULL, 0, &e);
    assert_int_equal(souk_pricing_rule(&in, &e, &o), 0);
    r = reason(&o, "elasticity_prior");
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "why")), "no_sales");
    json_decref(o.reasons);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_elasticity_recovered),
        cmocka_unit_test(short_history_shrinks_toward_the_prior),
        cmocka_unit_test(no_history_or_no_variation_gives_the_prior),
        cmocka_unit_test(overstock_lowers_through_the_elasticity),
        cmocka_unit_test(low_stock_raises_within_bounds),
        cmocka_unit_test(rounding_demand_and_stock_cases),
        cmocka_unit_test(the_elasticity_reason_says_where_it_came_from),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
