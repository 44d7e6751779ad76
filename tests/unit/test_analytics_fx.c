/* Converted analytics reports (src/analytics/fx.c, kpis.c with query.fx):
 * a fixture in two currencies plus one without a stored rate, store
 * currency USD, computed by hand. Every order is converted at the rate in
 * effect on its day (the last that took effect on or before that local day;
 * before a currency's first rate, that first rate), rounded once per line,
 * half to even; refunds at their order's day's rate.
 *
 *   rates (1 USD = x EUR): 0.8 from 2026-03-01T00:00Z, 0.5 from 2026-03-03T12:00Z
 *   order 1  2026-02-27  EUR 10.00  → before the first rate: 0.8 → 12.50 USD
 *   order 2  2026-03-02  EUR 20.00  → 0.8 → 25.00 USD   (refund 4.00 EUR on 03-05 → 5.00 USD)
 *   order 3  2026-03-03  EUR 10.01  → 0.5 (took effect that day) → 20.02 USD
 *   order 4  2026-03-04  USD  9.99  → 9.99 USD
 *   order 5  2026-03-04  JPY 500    → no JPY rate: left out, counted
 *   order 6  2026-03-02  EUR  0.02  → 0.025 USD, a tie → 0.02 (even)
 *
 * KPIs 03-01..03-05 in USD: gross 2500 + 2002 + 999 + 2 = 5503, orders 4,
 * refunds 500, net 5003; previous period (02-24..02-28): gross 1250, 1 order.
 * In EUR: 2000 + 1001 + 2 + (9.99 × 0.5 = 4.995 → 5.00, a tie → 500) = 3503,
 * refunds 400. Per currency (no conversion), EUR: 3003 from 3 orders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "analytics/internal.h"
#include "core/rng.h"
#include "core/time.h"

static int64_t at(const char *rfc3339)
{
    int64_t us = 0;
    assert_int_equal(souk_time_parse(rfc3339, strlen(rfc3339), &us), 0);
    return us;
}

static int32_t day(const char *s)
{
    int32_t d;
    assert_int_equal(souk_analytics_parse_day(s, &d), 0);
    return d;
}

static void order(souk_analytics_facts *f, int64_t id, int64_t user, const char *when, const char *cur, int64_t amount)
{
    souk_analytics_line_in l = {1, 11, 0, 1, amount};
    souk_analytics_order_in o = {
        .order_id = id, .user_id = user, .paid_at = at(when), .currency = cur, .lines = &l, .nlines = 1};
    pthread_mutex_lock(&f->write_mu);
    assert_int_equal(souk_analytics_add_order(f, &o), 1);
    pthread_mutex_unlock(&f->write_mu);
}

static souk_fx_point points[2];
static souk_fx_history rates;

static int setup(void **state)
{
    static souk_analytics_facts f;
    assert_int_equal(souk_analytics_facts_init(&f, NULL), 0);
    order(&f, 1, 101, "2026-02-27T10:00:00Z", "EUR", 1000);
    order(&f, 2, 102, "2026-03-02T10:00:00Z", "EUR", 2000);
    order(&f, 3, 103, "2026-03-03T08:00:00Z", "EUR", 1001);
    order(&f, 4, 104, "2026-03-04T10:00:00Z", "USD", 999);
    order(&f, 5, 105, "2026-03-04T11:00:00Z", "JPY", 500);
    order(&f, 6, 106, "2026-03-02T11:00:00Z", "EUR", 2);
    pthread_mutex_lock(&f.write_mu);
    assert_int_equal(souk_analytics_add_refund(&f, 901, 2, at("2026-03-05T12:00:00Z"), 400), 1);
    pthread_mutex_unlock(&f.write_mu);
    points[0] = (souk_fx_point){"EUR", at("2026-03-01T00:00:00Z"), {8, 1}};
    points[1] = (souk_fx_point){"EUR", at("2026-03-03T12:00:00Z"), {5, 1}};
    rates = (souk_fx_history){"USD", points, 2, 1};
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    souk_analytics_facts_release(*state);
    return 0;
}

static souk_analytics_query query(const souk_analytics_facts *f, const char *cur, bool convert)
{
    souk_analytics_query q = {.from = day("2026-03-01"),
                              .to = day("2026-03-05"),
                              .currency = souk_analytics_currency_find(f, cur),
                              .currency_code = cur,
                              .channel = -1,
                              .threads = 2,
                              .fx = convert ? &rates : NULL};
    if (q.currency < 0)
        q.currency = -2;
    return q;
}

static json_int_t get(const json_t *r, const char *period, const char *name)
{
    const json_t *v = json_object_get(json_object_get(r, period), name);
    if (!json_is_integer(v))
        fail_msg("%s.%s is not an integer", period, name);
    return json_integer_value(v);
}

static void test_kpis_converted_into_usd(void **state)
{
    const souk_analytics_facts *f = *state;
    souk_analytics_query q = query(f, "USD", true);
    json_t *r = souk_analytics_kpis(f, &q);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "currency")), "USD");
    assert_int_equal(get(r, "current", "gross_revenue"), 5503);
    assert_int_equal(get(r, "current", "orders"), 4);
    assert_int_equal(get(r, "current", "refunds"), 500);
    assert_int_equal(get(r, "current", "net_revenue"), 5003);
    assert_int_equal(get(r, "current", "aov"), 1376); /* 5503 / 4 = 1375.75 */
    assert_int_equal(get(r, "previous", "gross_revenue"), 1250);
    assert_int_equal(get(r, "previous", "orders"), 1);
    const json_t *c = json_object_get(r, "converted");
    assert_int_equal(json_integer_value(json_object_get(c, "unconverted_orders")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "unconverted_currencies"), 0)), "JPY");
    json_decref(r);
}

static void test_kpis_converted_into_eur(void **state)
{
    const souk_analytics_facts *f = *state;
    souk_analytics_query q = query(f, "EUR", true);
    json_t *r = souk_analytics_kpis(f, &q);
    assert_non_null(r);
    assert_int_equal(get(r, "current", "gross_revenue"), 3503);
    assert_int_equal(get(r, "current", "refunds"), 400);
    assert_int_equal(get(r, "current", "orders"), 4);
    json_decref(r);
}

static void test_per_currency_unchanged(void **state)
{
    const souk_analytics_facts *f = *state;
    souk_analytics_query q = query(f, "EUR", false);
    json_t *r = souk_analytics_kpis(f, &q);
    assert_non_null(r);
    assert_int_equal(get(r, "current", "gross_revenue"), 3003);
    assert_int_equal(get(r, "current", "orders"), 3);
    assert_int_equal(get(r, "current", "refunds"), 400);
    assert_null(json_object_get(r, "converted"));
    json_decref(r);
    q = query(f, "USD", false);
    r = souk_analytics_kpis(f, &q);
    assert_int_equal(get(r, "current", "gross_revenue"), 999);
    json_decref(r);
}

static void test_timeseries_converted(void **state)
{
    const souk_analytics_facts *f = *state;
    souk_analytics_query q = query(f, "USD", true);
    json_t *r = souk_analytics_timeseries(f, &q);
    assert_non_null(r);
    const json_t *rows = json_object_get(r, "rows");
    assert_int_equal(json_array_size(rows), 5);
    static const json_int_t gross[5] = {0, 2502, 2002, 999, 0}, refunds[5] = {0, 0, 0, 0, 500};
    for (size_t i = 0; i < 5; i++) {
        const json_t *row = json_array_get(rows, i);
        assert_int_equal(json_integer_value(json_object_get(row, "gross_revenue")), gross[i]);
        assert_int_equal(json_integer_value(json_object_get(row, "refunds")), refunds[i]);
    }
    json_decref(r);
}

static void test_no_rate_for_the_target(void **state)
{
    /* into GBP, which has no stored rate: only GBP orders (none) could count; every order of the range and
     * of the previous period (all six) is left out */
    const souk_analytics_facts *f = *state;
    souk_analytics_query q = query(f, "GBP", true);
    json_t *r = souk_analytics_kpis(f, &q);
    assert_non_null(r);
    assert_int_equal(get(r, "current", "gross_revenue"), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "converted"), "unconverted_orders")), 6);
    json_decref(r);
}

/* The scan's 64-bit fast path gives the same minor units as the exact 128-bit conversion, for
 * random amounts (ties included) and rates of every size, in and out of each minor-unit class. */
static void test_memo_matches_exact(void **state)
{
    (void)state;
    static souk_analytics_facts f;
    assert_int_equal(souk_analytics_facts_init(&f, NULL), 0);
    static const char *const codes[] = {"EUR", "JPY", "KWD", "USD"};
    for (int i = 0; i < 4; i++)
        order(&f, 100 + i, 0, "2026-03-01T10:00:00Z", codes[i], 100);
    souk_rng seed = {42};
    for (int round = 0; round < 200; round++) {
        souk_fx_point p[3];
        for (int k = 0; k < 3; k++) { /* EUR, JPY, KWD against USD */
            int64_t units = (int64_t)(souk_rng_next(&seed) % UINT64_C(9999999999)) + 1;
            int scale = (int)(souk_rng_next(&seed) % 13);
            p[k] = (souk_fx_point){"", at("2026-01-01T00:00:00Z"), {units, scale}};
            memcpy(p[k].currency, codes[k], 4);
        }
        souk_fx_history h = {"USD", p, 3, 7};
        for (int target = 0; target < 4; target++) {
            souk__analytics_conv c;
            assert_int_equal(souk__analytics_conv_init(&c, &f, 4, &h, codes[target]), 0);
            souk__analytics_conv_memo m = {.cur = -1};
            for (int n = 0; n < 50; n++) {
                int cur = (int)(souk_rng_next(&seed) % 4);
                int64_t amount = (int64_t)(souk_rng_next(&seed) % (n % 5 == 0 ? UINT64_C(1000000000000) : 100000));
                int64_t a = -1, b = -1;
                int ra = souk__analytics_conv_amount(&c, cur, day("2026-03-01"), amount, &a);
                int rb = souk__analytics_conv_amount_memo(&c, &m, cur, day("2026-03-01"), amount, &b);
                if (ra != rb || (ra == 0 && a != b))
                    fail_msg("%lld %s → %s: exact %d/%lld, memo %d/%lld", (long long)amount, codes[cur], codes[target],
                             ra, (long long)a, rb, (long long)b);
            }
            souk__analytics_conv_release(&c);
        }
    }
    souk_analytics_facts_release(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kpis_converted_into_usd), cmocka_unit_test(test_kpis_converted_into_eur),
        cmocka_unit_test(test_per_currency_unchanged),  cmocka_unit_test(test_timeseries_converted),
        cmocka_unit_test(test_no_rate_for_the_target),  cmocka_unit_test(test_memo_matches_exact),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
