/* Analytics (src/analytics): every report against a fixture computed by
 * hand — a dozen orders in two currencies with refunds and a guest, events
 * of four visitors — including the comparison with the previous period
 * across the February/March boundary and the same store in Europe/Paris,
 * where a late-evening order moves to the next day. The loader reads the
 * published views of a real database (a cancelled order is in no number,
 * a pending refund neither). The arithmetic is in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"

#include <math.h>

#include "analytics/analytics.h"
#include "core/id.h"
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

/* products: 1 (category 11, the shop's own), 2 (category 12, vendor 21), 3 (category 11, vendor 21) */
static souk_analytics_line_in line(int product, int64_t qty, int64_t amount)
{
    static const int64_t category[] = {0, 11, 12, 11}, vendor[] = {0, 0, 21, 21};
    return (souk_analytics_line_in){product, category[product], vendor[product], qty, amount};
}

static void order(souk_analytics_facts *f, int64_t id, int64_t user, const char *when, const char *cur,
                  souk_analytics_line_in a, souk_analytics_line_in b)
{
    souk_analytics_line_in ls[2] = {a, b};
    souk_analytics_order_in o = {.order_id = id,
                                 .user_id = user,
                                 .paid_at = at(when),
                                 .currency = cur,
                                 .lines = ls,
                                 .nlines = b.product_id ? 2 : 1};
    pthread_mutex_lock(&f->write_mu);
    assert_int_equal(souk_analytics_add_order(f, &o), 1);
    assert_int_equal(souk_analytics_add_order(f, &o), 0); /* the same order again: kept once */
    pthread_mutex_unlock(&f->write_mu);
}

static void event(souk_analytics_facts *f, int64_t visitor, int type, const char *when)
{
    assert_int_equal(souk_analytics_add_event(f, visitor, type, at(when)), 1);
}

#define NONE ((souk_analytics_line_in){0})

static void fill(souk_analytics_facts *f, const char *tz)
{
    assert_int_equal(souk_analytics_facts_init(f, tz), 0);
    order(f, 1, 101, "2026-02-10T10:00:00Z", "EUR", line(1, 2, 2000), NONE);
    order(f, 2, 101, "2026-02-23T12:00:00Z", "EUR", line(1, 1, 1000), line(2, 1, 500));
    order(f, 3, 102, "2026-02-25T09:00:00Z", "EUR", line(2, 3, 1500), NONE);
    order(f, 4, 0, "2026-02-28T23:30:00Z", "EUR", line(3, 1, 700), NONE); /* a guest; 1 March in Paris */
    order(f, 5, 101, "2026-03-01T08:00:00Z", "EUR", line(1, 1, 1000), NONE);
    order(f, 6, 103, "2026-03-02T15:00:00Z", "EUR", line(1, 2, 2000), line(3, 1, 700));
    order(f, 7, 102, "2026-03-03T11:00:00Z", "EUR", line(2, 2, 1000), NONE);
    order(f, 8, 104, "2026-03-05T18:00:00Z", "EUR", line(3, 4, 2800), NONE);
    order(f, 9, 0, "2026-03-06T10:00:00Z", "EUR", line(1, 1, 1000), NONE);
    order(f, 10, 103, "2026-03-07T23:30:00Z", "EUR", line(2, 1, 500), NONE); /* 8 March in Paris */
    order(f, 11, 101, "2026-03-04T10:00:00Z", "USD", line(1, 1, 1100), NONE);
    order(f, 12, 104, "2026-03-06T10:00:00Z", "USD", line(2, 2, 1200), NONE);
    pthread_mutex_lock(&f->write_mu);
    assert_int_equal(souk_analytics_add_refund(f, 901, 6, at("2026-03-04T12:00:00Z"), 700), 1);
    assert_int_equal(souk_analytics_add_refund(f, 902, 3, at("2026-03-02T12:00:00Z"), 500), 1);
    assert_int_equal(souk_analytics_add_refund(f, 903, 2, at("2026-02-24T12:00:00Z"), 300), 1);
    assert_int_equal(souk_analytics_add_refund(f, 903, 2, at("2026-02-24T12:00:00Z"), 300), 0);   /* again: once */
    assert_int_equal(souk_analytics_add_refund(f, 904, 999, at("2026-02-24T12:00:00Z"), 300), 0); /* no such order */
    /* events: visitors 101, 102 (accounts), -5 and -6 (anonymous) */
    event(f, -5, SOUK_ANALYTICS_EV_PRODUCT_VIEW, "2026-02-25T10:00:00Z");
    event(f, -5, SOUK_ANALYTICS_EV_PRODUCT_VIEW, "2026-03-01T10:00:00Z");
    event(f, -5, SOUK_ANALYTICS_EV_ADD_TO_CART, "2026-03-01T10:05:00Z"); /* and leaves: the cart is abandoned */
    event(f, 101, SOUK_ANALYTICS_EV_PRODUCT_VIEW, "2026-03-01T07:50:00Z");
    event(f, 101, SOUK_ANALYTICS_EV_ADD_TO_CART, "2026-03-01T07:55:00Z");
    event(f, 101, SOUK_ANALYTICS_EV_CHECKOUT_STARTED, "2026-03-01T07:58:00Z");
    event(f, 101, SOUK_ANALYTICS_EV_PURCHASE, "2026-03-01T08:00:00Z");
    event(f, 102, SOUK_ANALYTICS_EV_PRODUCT_VIEW, "2026-03-03T10:00:00Z");
    event(f, 102, SOUK_ANALYTICS_EV_ADD_TO_CART, "2026-03-03T10:50:00Z"); /* 50 min later: another session */
    event(f, 102, SOUK_ANALYTICS_EV_CHECKOUT_STARTED, "2026-03-03T10:55:00Z");
    event(f, 102, SOUK_ANALYTICS_EV_PURCHASE, "2026-03-03T11:00:00Z");
    event(f, -6, SOUK_ANALYTICS_EV_PAGE_VIEW, "2026-03-02T09:00:00Z");
    event(f, -6, SOUK_ANALYTICS_EV_PAGE_VIEW, "2026-03-06T09:00:00Z");
    assert_int_equal(souk_analytics_add_event(f, -6, 99, at("2026-03-06T09:00:00Z")), 0); /* a type no report reads */
    pthread_mutex_unlock(&f->write_mu);
}

static souk_analytics_query query(const souk_analytics_facts *f, const char *from, const char *to, const char *cur)
{
    souk_analytics_query q = {.from = day(from),
                              .to = day(to),
                              .currency = souk_analytics_currency_find(f, cur),
                              .channel = -1,
                              .limit = 100,
                              .threads = 2};
    return q;
}

static const json_t *metric(const json_t *report, const char *period, const char *name)
{
    const json_t *v = json_object_get(json_object_get(report, period), name);
    assert_non_null(v);
    return v;
}

static void expect_int(const json_t *report, const char *period, const char *name, json_int_t want)
{
    const json_t *v = metric(report, period, name);
    if (!json_is_integer(v) || json_integer_value(v) != want)
        fail_msg("%s.%s: want %lld, got %s", period, name, (long long)want, json_dumps(v, JSON_ENCODE_ANY));
}

static void expect_real(const json_t *report, const char *period, const char *name, double want)
{
    const json_t *v = metric(report, period, name);
    if (!json_is_number(v) || fabs(json_number_value(v) - want) > 1e-9)
        fail_msg("%s.%s: want %.4f, got %s", period, name, want, json_dumps(v, JSON_ENCODE_ANY));
}

static void expect_null(const json_t *report, const char *period, const char *name)
{
    assert_true(json_is_null(metric(report, period, name)));
}

static const json_t *row_of(const json_t *report, const char *key, const char *value)
{
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(report, "rows"), i,
                       row) if (strcmp(json_string_value(json_object_get(row, key)) ?: "", value) == 0) return row;
    fail_msg("no row %s=%s", key, value);
    return NULL;
}

static void kpis_in_euros_beside_the_previous_period(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    fill(f, NULL);
    souk_analytics_query q = query(f, "2026-03-01", "2026-03-07", "EUR");
    json_t *r = souk_analytics_kpis(f, &q);
    assert_string_equal(json_string_value(json_object_get(r, "currency")), "EUR");
    assert_string_equal(json_string_value(json_object_get(r, "previous_from")), "2026-02-22");
    assert_string_equal(json_string_value(json_object_get(r, "previous_to")), "2026-02-28");
    /* orders 5..10: 1000 + 2700 + 1000 + 2800 + 1000 + 500 */
    expect_int(r, "current", "gross_revenue", 9000);
    expect_int(r, "current", "refunds", 1200); /* 700 of order 6 and 500 of order 3, by the refunds' days */
    expect_int(r, "current", "net_revenue", 7800);
    expect_int(r, "current", "orders", 6);
    expect_int(r, "current", "aov", 1500);
    expect_int(r, "current", "units", 12);
    expect_int(r, "current", "customers", 4);     /* 101, 102, 103, 104 */
    expect_int(r, "current", "new_customers", 2); /* 103 and 104 bought first in March */
    expect_int(r, "current", "returning_customers", 2);
    expect_int(r, "current", "guest_orders", 1);
    /* orders 2, 3, 4 */
    expect_int(r, "previous", "gross_revenue", 3700);
    expect_int(r, "previous", "refunds", 300);
    expect_int(r, "previous", "net_revenue", 3400);
    expect_int(r, "previous", "orders", 3);
    expect_int(r, "previous", "aov", 1233);
    expect_int(r, "previous", "units", 6);
    expect_int(r, "previous", "customers", 2);
    expect_int(r, "previous", "new_customers", 1); /* 102; 101 first bought on 10 February */
    expect_int(r, "previous", "guest_orders", 1);
    /* traffic: -5, 101, 102, -6 active; 101 and 102 bought; -5, 101, 102 carted, -5 left */
    expect_int(r, "current", "visitors", 4);
    expect_real(r, "current", "conversion_rate", 0.5);
    expect_real(r, "current", "cart_abandonment_rate", 0.3333);
    expect_real(r, "current", "dau", 0.7143); /* 5 visitor-days / 7 */
    expect_int(r, "current", "wau", 4);
    expect_int(r, "current", "mau", 4); /* -5 also on 25 February: once */
    expect_int(r, "previous", "visitors", 1);
    expect_real(r, "previous", "conversion_rate", 0);
    expect_null(r, "previous", "cart_abandonment_rate");
    /* rows carry the change: (9000 - 3700) / 3700 */
    const json_t *g = row_of(r, "metric", "gross_revenue");
    assert_true(fabs(json_real_value(json_object_get(g, "change")) - 1.4324) < 1e-9);
    assert_int_equal(json_integer_value(json_object_get(g, "previous")), 3700);
    json_decref(r);

    q = query(f, "2026-03-01", "2026-03-07", "USD"); /* orders 11 and 12 */
    r = souk_analytics_kpis(f, &q);
    expect_int(r, "current", "gross_revenue", 2300);
    expect_int(r, "current", "orders", 2);
    expect_int(r, "current", "units", 3);
    expect_int(r, "current", "new_customers", 2); /* their first purchases in dollars */
    expect_int(r, "previous", "orders", 0);
    expect_null(r, "previous", "aov");
    json_decref(r);

    q = query(f, "2026-03-01", "2026-03-07", "EUR");
    q.currency = -1; /* the currency with the most revenue */
    r = souk_analytics_kpis(f, &q);
    assert_string_equal(json_string_value(json_object_get(r, "currency")), "EUR");
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

static void kpis_of_a_vendor_and_a_category(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    fill(f, NULL);
    souk_analytics_query q = query(f, "2026-03-01", "2026-03-07", "EUR");
    q.vendor_id = 21; /* lines of products 2 and 3: orders 6 (700), 7 (1000), 8 (2800), 10 (500) */
    json_t *r = souk_analytics_kpis(f, &q);
    expect_int(r, "current", "gross_revenue", 5000);
    expect_int(r, "current", "orders", 4);
    expect_int(r, "current", "units", 8);
    /* refunds shared by the slice's part of the order: 700 * 700 / 2700 = 181 of order 6, all 500 of order 3 */
    expect_int(r, "current", "refunds", 681);
    expect_int(r, "current", "net_revenue", 4319);
    expect_int(r, "current", "customers", 3);     /* 102, 103, 104 */
    expect_int(r, "current", "new_customers", 2); /* 103, 104; 102 bought from the vendor in February */
    expect_null(r, "current", "visitors");        /* traffic is the whole store's */
    expect_null(r, "current", "wau");
    json_decref(r);

    q.vendor_id = 0;
    q.category_id = 12; /* product 2: orders 7 and 10 */
    r = souk_analytics_kpis(f, &q);
    expect_int(r, "current", "gross_revenue", 1500);
    expect_int(r, "current", "orders", 2);
    json_decref(r);

    q.category_id = 0;
    q.vendor_id = 77; /* a vendor without sales */
    r = souk_analytics_kpis(f, &q);
    expect_int(r, "current", "gross_revenue", 0);
    expect_int(r, "current", "orders", 0);
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

static void days_follow_the_store_time_zone(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    fill(f, "Europe/Paris"); /* UTC+1 until 29 March */
    souk_analytics_query q = query(f, "2026-03-01", "2026-03-07", "EUR");
    json_t *r = souk_analytics_kpis(f, &q);
    assert_string_equal(json_string_value(json_object_get(r, "timezone")), "Europe/Paris");
    /* order 4 (00:30 on 1 March) comes in, order 10 (00:30 on 8 March) goes out */
    expect_int(r, "current", "gross_revenue", 9200);
    expect_int(r, "current", "orders", 6);
    expect_int(r, "current", "guest_orders", 2);
    expect_int(r, "previous", "gross_revenue", 3000);
    expect_int(r, "previous", "orders", 2);
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);

    souk_analytics_tz tz;
    assert_int_equal(souk_analytics_tz_load(&tz, "+05:30"), 0);
    assert_int_equal(souk_analytics_tz_day(&tz, at("2026-03-01T18:29:00Z")), day("2026-03-01"));
    assert_int_equal(souk_analytics_tz_day(&tz, at("2026-03-01T18:31:00Z")), day("2026-03-02"));
    souk_analytics_tz_release(&tz);
    assert_int_equal(souk_analytics_tz_load(&tz, "America/New_York"), 0); /* summer time from 8 March 2026 */
    assert_int_equal(souk_analytics_tz_day(&tz, at("2026-03-02T04:30:00Z")), day("2026-03-01"));
    assert_int_equal(souk_analytics_tz_day(&tz, at("2026-07-02T03:30:00Z")), day("2026-07-01"));
    assert_int_equal(souk_analytics_tz_day(&tz, at("2026-07-02T04:30:00Z")), day("2026-07-02"));
    souk_analytics_tz_release(&tz);
    assert_int_equal(souk_analytics_tz_load(&tz, "../etc/passwd"), -1);
    assert_int_equal(souk_analytics_tz_load(&tz, "Mars/Olympus"), -1);
    assert_int_equal(souk_analytics_tz_load(&tz, "+15:00"), -1);
}

static void timeseries_by_day_week_and_month(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    fill(f, NULL);
    souk_analytics_query q = query(f, "2026-02-22", "2026-03-07", "EUR");
    json_t *r = souk_analytics_timeseries(f, &q);
    assert_int_equal(json_array_size(json_object_get(r, "rows")), 14);
    const json_t *d = row_of(r, "period", "2026-03-02"); /* order 6 and the refund of order 3 */
    assert_int_equal(json_integer_value(json_object_get(d, "gross_revenue")), 2700);
    assert_int_equal(json_integer_value(json_object_get(d, "refunds")), 500);
    assert_int_equal(json_integer_value(json_object_get(d, "new_customers")), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "visitors")), 1); /* -6 */
    json_decref(r);

    q.granularity = 1; /* ISO weeks: 16-22 Feb (cut to the 22nd), 23 Feb-1 Mar, 2-8 Mar (cut to the 7th) */
    r = souk_analytics_timeseries(f, &q);
    assert_int_equal(json_array_size(json_object_get(r, "rows")), 3);
    const json_t *w = row_of(r, "period", "2026-02-23"); /* orders 2, 3, 4, 5 */
    assert_int_equal(json_integer_value(json_object_get(w, "gross_revenue")), 4700);
    assert_int_equal(json_integer_value(json_object_get(w, "orders")), 4);
    assert_int_equal(json_integer_value(json_object_get(w, "customers")), 2); /* 101 twice, 102 */
    json_decref(r);

    q.granularity = 2;
    r = souk_analytics_timeseries(f, &q);
    assert_int_equal(json_array_size(json_object_get(r, "rows")), 2);
    const json_t *m = row_of(r, "period", "2026-03-01");
    assert_int_equal(json_integer_value(json_object_get(m, "gross_revenue")), 9000);
    m = row_of(r, "period", "2026-02-22"); /* February, from the 22nd */
    assert_int_equal(json_integer_value(json_object_get(m, "gross_revenue")), 3700);
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

static void funnel_per_visitor_and_per_session(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    fill(f, NULL);
    souk_analytics_query q = query(f, "2026-03-01", "2026-03-07", "EUR");
    q.steps[0] = SOUK_ANALYTICS_EV_PRODUCT_VIEW;
    q.steps[1] = SOUK_ANALYTICS_EV_ADD_TO_CART;
    q.steps[2] = SOUK_ANALYTICS_EV_CHECKOUT_STARTED;
    q.steps[3] = SOUK_ANALYTICS_EV_PURCHASE;
    q.nsteps = 4;
    json_t *r = souk_analytics_funnel(f, &q);
    static const json_int_t visitors[] = {3, 3, 2, 2}, sessions[] = {3, 2, 1, 1};
    for (size_t k = 0; k < 4; k++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r, "rows"), k), "count")),
                         visitors[k]);
    const json_t *s3 = json_array_get(json_object_get(r, "rows"), 2);
    assert_int_equal(json_integer_value(json_object_get(s3, "drop_off")), 1);
    assert_true(fabs(json_real_value(json_object_get(s3, "conversion_from_start")) - 0.6667) < 1e-9);
    json_decref(r);
    q.per_session = true; /* 102's view is a session of its own; the second starts at the cart */
    r = souk_analytics_funnel(f, &q);
    for (size_t k = 0; k < 4; k++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r, "rows"), k), "count")),
                         sessions[k]);
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

static void cohorts_by_first_purchase_month(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    fill(f, NULL);
    souk_analytics_query q = query(f, "2026-02-01", "2026-03-31", "EUR");
    json_t *r = souk_analytics_cohorts(f, &q);
    const json_t *rows = json_object_get(r, "rows");
    assert_int_equal(json_array_size(rows), 3); /* Feb: months 0 and 1; Mar: month 0 */
    const json_t *feb0 = json_array_get(rows, 0), *feb1 = json_array_get(rows, 1), *mar0 = json_array_get(rows, 2);
    assert_string_equal(json_string_value(json_object_get(feb0, "cohort")), "2026-02");
    assert_int_equal(json_integer_value(json_object_get(feb0, "cohort_size")), 2); /* 101, 102; the guest is none */
    assert_int_equal(json_integer_value(json_object_get(feb0, "revenue")), 5000);  /* orders 1, 2, 3 */
    assert_int_equal(json_integer_value(json_object_get(feb1, "months_since")), 1);
    assert_int_equal(json_integer_value(json_object_get(feb1, "customers")), 2); /* orders 5 and 7 */
    assert_int_equal(json_integer_value(json_object_get(feb1, "revenue")), 2000);
    assert_true(fabs(json_real_value(json_object_get(feb1, "retention_rate")) - 1.0) < 1e-9);
    assert_string_equal(json_string_value(json_object_get(mar0, "cohort")), "2026-03");
    assert_int_equal(json_integer_value(json_object_get(mar0, "customers")), 2); /* 103, 104 */
    assert_int_equal(json_integer_value(json_object_get(mar0, "revenue")), 6000);
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

static void rfm_quintiles_and_segments(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    fill(f, NULL);
    souk_analytics_query q = query(f, "2026-02-01", "2026-03-07", "EUR");
    json_t *r = souk_analytics_rfm(f, &q);
    /* 101: last 1 Mar, 3 orders, 4500 → R1 F4 M4, at risk
     * 102: last 3 Mar, 2 orders, 2500 → R2 F2 M1, hibernating
     * 103: last 7 Mar, 2 orders, 3200 → R4 F2 M3, potential loyalist
     * 104: last 5 Mar, 1 order, 2800  → R3 F1 M2, promising
     * (score = 1 + 5 · rank / 4, ties at the lower rank; rows by score) */
    static const char *const codes[] = {"423", "312", "221", "144"};
    static const char *const segments[] = {"potential_loyalists", "promising", "hibernating", "at_risk"};
    static const int recency[] = {0, 2, 4, 6};
    const json_t *rows = json_object_get(r, "rows");
    assert_int_equal(json_array_size(rows), 4);
    for (size_t i = 0; i < 4; i++) {
        const json_t *row = json_array_get(rows, i);
        char want[SOUK_ID_TEXT_MAX];
        souk_id_format("usr", (int64_t[]){103, 104, 102, 101}[i], want);
        assert_string_equal(json_string_value(json_object_get(row, "customer")), want);
        assert_string_equal(json_string_value(json_object_get(row, "rfm")), codes[i]);
        assert_string_equal(json_string_value(json_object_get(row, "segment")), segments[i]);
        assert_int_equal(json_integer_value(json_object_get(row, "recency_days")), recency[i]);
    }
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 3), "monetary")), 4500);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 3), "frequency")), 3);
    assert_string_equal(souk_analytics_rfm_segment(5, 5), "champions");
    assert_string_equal(souk_analytics_rfm_segment(1, 1), "lost");
    json_decref(r);
    q.limit = 1;
    q.offset = 1;
    r = souk_analytics_rfm(f, &q);
    assert_int_equal(json_array_size(json_object_get(r, "rows")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "rows"), 0), "rfm")),
                        "312");
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

static void csv_is_the_rows(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    fill(f, NULL);
    souk_analytics_query q = query(f, "2026-03-01", "2026-03-07", "EUR");
    json_t *r = souk_analytics_kpis(f, &q);
    souk_buf b;
    souk_buf_init(&b, 1 << 20);
    assert_int_equal(souk_analytics_csv(r, &b), 0);
    assert_non_null(strstr(b.data, "metric,current,previous,change\r\n"));
    assert_non_null(strstr(b.data, "\"gross_revenue\",9000,3700,1.4324\r\n"));
    assert_non_null(strstr(b.data, "\"cart_abandonment_rate\",0.3333,,\r\n"));
    souk_buf_release(&b);
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

/* k-means on planted structure: three kinds of customers (frequent recent big spenders of
 * category 11, one-off buyers of category 12 long ago, occasional mid-size buyers) are found
 * as three segments, each kind in one. */
static void segments_find_planted_groups(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    assert_int_equal(souk_analytics_facts_init(f, NULL), 0);
    int32_t to = day("2025-12-31");
    int64_t end = at("2025-12-31T12:00:00Z"), d = 86400000000LL, id = 1;
    pthread_mutex_lock(&f->write_mu);
    for (int g = 0; g < 3; g++)
        for (int c = 0; c < 60; c++) {
            int orders = g == 0 ? 10 + c % 3 : g == 1 ? 1 : 3;
            for (int o = 0; o < orders; o++) {
                int64_t ago = g == 0 ? (c % 5) + 2 * o : g == 1 ? 280 + c % 20 : 100 + c % 10 + 7 * o;
                souk_analytics_line_in l = g == 0   ? line(1, 2, 5000 + 37 * c)
                                           : g == 1 ? line(2, 1, 400 + 5 * c)
                                                    : line(3, 1, 1500 + 11 * c);
                souk_analytics_order_in in = {.order_id = id++,
                                              .user_id = 1000 * (g + 1) + c,
                                              .paid_at = end - ago * d,
                                              .currency = "EUR",
                                              .lines = &l,
                                              .nlines = 1};
                assert_int_equal(souk_analytics_add_order(f, &in), 1);
            }
        }
    pthread_mutex_unlock(&f->write_mu);
    souk_analytics_query q = query(f, "2025-01-01", "2025-12-31", "EUR");
    assert_int_equal(q.to, to);
    q.limit = 1000;
    json_t *r = souk_analytics_segments(f, &q);
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "k")), 3);
    assert_int_equal(json_integer_value(json_object_get(r, "customers")), 180);
    assert_int_equal(json_array_size(json_object_get(r, "silhouettes")), 7); /* k = 2..8 */
    assert_true(json_real_value(json_object_get(r, "silhouette")) > 0.5);
    int label_of[3] = {0, 0, 0};
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(r, "rows"), i, row)
    {
        int64_t user;
        const char *cu = json_string_value(json_object_get(row, "customer"));
        assert_int_equal(souk_id_parse("usr", cu, strlen(cu), &user), 0);
        int g = (int)(user / 1000) - 1, l = (int)json_integer_value(json_object_get(row, "cluster"));
        if (!label_of[g])
            label_of[g] = l;
        assert_int_equal(l, label_of[g]); /* one kind, one segment */
    }
    assert_int_equal(json_array_size(json_object_get(r, "rows")), 180);
    assert_true(label_of[0] != label_of[1] && label_of[1] != label_of[2] && label_of[0] != label_of[2]);
    const json_t *big = json_array_get(json_object_get(r, "clusters"), (size_t)label_of[0] - 1);
    assert_int_equal(json_integer_value(json_object_get(big, "customers")), 60);
    assert_true(json_real_value(json_object_get(big, "mean_frequency")) > 10);
    json_decref(r);
    q.k = 2; /* fixed by the caller */
    r = souk_analytics_segments(f, &q);
    assert_int_equal(json_integer_value(json_object_get(r, "k")), 2);
    assert_int_equal(json_array_size(json_object_get(r, "clusters")), 2);
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

/* The control: every customer buys on any day with the same chance (1 in 200), independently
 * of everything before, so nothing in a history tells who buys in the next 90 days. A model
 * that read its label (a leak of the window after the cutoff) or a test that passed whatever
 * the model learned would show an AUC far from chance here; the planted test below must
 * therefore fail for a model that learned nothing. */
static void churn_model_finds_nothing_where_there_is_nothing(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    assert_int_equal(souk_analytics_facts_init(f, NULL), 0);
    int64_t start = at("2024-01-01T12:00:00Z"), d = 86400000000LL, id = 1;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    pthread_mutex_lock(&f->write_mu);
    for (int c = 0; c < 1200; c++)
        for (int64_t day0 = 0; day0 < 730; day0++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (x % 200)
                continue;
            souk_analytics_line_in l = line(1 + c % 3, 1, 1000 + (int64_t)(x >> 40) % 500);
            souk_analytics_order_in in = {.order_id = id++,
                                          .user_id = 9000 + c,
                                          .paid_at = start + day0 * d,
                                          .currency = "EUR",
                                          .lines = &l,
                                          .nlines = 1};
            assert_int_equal(souk_analytics_add_order(f, &in), 1);
        }
    pthread_mutex_unlock(&f->write_mu);
    souk_analytics_query q = query(f, "2024-01-01", "2025-12-30", "EUR");
    json_t *r = souk_analytics_churn(f, &q);
    assert_non_null(r);
    assert_true(json_integer_value(json_object_get(r, "test_customers")) > 1000);
    const json_t *models = json_object_get(r, "models");
    static const char *const names[3] = {"logistic_regression", "gradient_boosted_trees", "average"};
    for (int k = 0; k < 3; k++) {
        double a = json_real_value(json_object_get(json_object_get(models, names[k]), "test_auc"));
        if (a < 0.44 || a > 0.56)
            fail_msg("%s: test AUC %.4f where nothing can be predicted", names[k], a);
    }
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

/* Churn on planted structure: each customer buys every 5..14 days from their start until they
 * stop at a random day of two years (some never stop); who stopped long ago has not bought
 * for a long time, so the model that reads recency must rank churners first (AUC well above
 * chance on the later window), and today's scores put the long-gone above the active. */
static void churn_model_ranks_the_planted_churners(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    assert_int_equal(souk_analytics_facts_init(f, NULL), 0);
    int64_t start = at("2024-01-01T12:00:00Z"), d = 86400000000LL, id = 1;
    uint64_t x = 0x2545F4914F6CDD1DULL;
    pthread_mutex_lock(&f->write_mu);
    for (int c = 0; c < 400; c++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t from = (int64_t)(x % 200), stop = c % 4 == 0 ? 800 : 150 + (int64_t)((x >> 20) % 580);
        int64_t gap = 5 + (int64_t)((x >> 40) % 10);
        for (int64_t day0 = from; day0 < stop && day0 < 730; day0 += gap) {
            souk_analytics_line_in l = line(1 + c % 3, 1, 1000 + c);
            souk_analytics_order_in in = {.order_id = id++,
                                          .user_id = 5000 + c,
                                          .paid_at = start + day0 * d,
                                          .currency = "EUR",
                                          .lines = &l,
                                          .nlines = 1};
            assert_int_equal(souk_analytics_add_order(f, &in), 1);
        }
    }
    pthread_mutex_unlock(&f->write_mu);
    souk_analytics_query q = query(f, "2024-01-01", "2025-12-30", "EUR");
    q.limit = 400;
    json_t *r = souk_analytics_churn(f, &q);
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "horizon_days")), 90);
    assert_string_equal(json_string_value(json_object_get(r, "test_cutoff")), "2025-10-01");
    assert_true(json_integer_value(json_object_get(r, "train_customers")) > 100);
    double auc = json_real_value(json_object_get(r, "auc"));
    if (auc < 0.85)
        fail_msg("AUC %.4f on the planted churn", auc);
    assert_true(json_real_value(json_object_get(json_object_get(r, "coefficients"), "log_recency_days")) > 0);
    /* both models and their average measured on the same test window; the best on validation
     * (before it) serves, a tie going to the simpler */
    const json_t *models = json_object_get(r, "models"), *lr = json_object_get(models, "logistic_regression"),
                 *gb = json_object_get(models, "gradient_boosted_trees"), *av = json_object_get(models, "average");
    assert_true(json_real_value(json_object_get(gb, "test_auc")) > 0.85);
    assert_true(json_real_value(json_object_get(lr, "test_auc")) > 0.85);
    assert_true(json_real_value(json_object_get(av, "test_auc")) > 0.85);
    assert_true(json_integer_value(json_object_get(gb, "trees")) >= 10);
    double l2 = json_real_value(json_object_get(lr, "l2"));
    assert_true(l2 >= 1e-3 && l2 <= 10.0);
    /* the trees' share in the average is chosen on validation from 1/4, 1/2, 3/4 */
    double wt = json_real_value(json_object_get(av, "trees_weight"));
    assert_true(wt == 0.25 || wt == 0.5 || wt == 0.75);
    const json_t *all[3] = {lr, gb, av};
    static const char *const names[3] = {"logistic_regression", "gradient_boosted_trees", "average"};
    int best = 0;
    for (int k = 1; k < 3; k++)
        if (json_real_value(json_object_get(all[k], "validation_auc")) >
            json_real_value(json_object_get(all[best], "validation_auc")) + 1e-4)
            best = k;
    assert_string_equal(json_string_value(json_object_get(r, "model")), names[best]);
    assert_true(json_real_value(json_object_get(all[best], "test_auc")) == auc);
    assert_string_equal(json_string_value(json_object_get(r, "validation_cutoff")), "2025-04-04");
    const json_t *rows = json_object_get(r, "rows");
    assert_int_equal(json_array_size(rows), (size_t)json_integer_value(json_object_get(r, "customers")));
    /* the likeliest churner has been gone long; the least likely bought lately */
    const json_t *top = json_array_get(rows, 0), *bottom = json_array_get(rows, json_array_size(rows) - 1);
    assert_true(json_integer_value(json_object_get(top, "recency_days")) > 90);
    assert_true(json_integer_value(json_object_get(bottom, "recency_days")) < 30);
    assert_true(json_real_value(json_object_get(top, "churn_probability")) >
                json_real_value(json_object_get(bottom, "churn_probability")));
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

/* A store of several chunks: the parallel scans answer what one thread does. */
static void parallel_scans_agree_with_one_thread(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    assert_int_equal(souk_analytics_facts_init(f, NULL), 0);
    uint64_t x = 88172645463325252ULL;
    int64_t t0 = at("2025-01-01T00:00:00Z");
    pthread_mutex_lock(&f->write_mu);
    for (int64_t o = 1; o <= 60000; o++) { /* 180,000 lines: three chunks */
        souk_analytics_line_in ls[3];
        for (int k = 0; k < 3; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ls[k] = line(1 + (int)(x % 3), 1 + (int64_t)(x >> 8) % 4, 100 + (int64_t)(x >> 16) % 5000);
        }
        souk_analytics_order_in in = {.order_id = o,
                                      .user_id = o % 7 ? 1 + (int64_t)(x >> 24) % 5000 : 0,
                                      .paid_at = t0 + o * 500000000LL,
                                      .currency = o % 5 ? "USD" : "EUR",
                                      .lines = ls,
                                      .nlines = 3};
        assert_int_equal(souk_analytics_add_order(f, &in), 1);
        if (o % 17 == 0)
            assert_int_equal(souk_analytics_add_refund(f, o, o, in.paid_at + 86400000000LL, 50), 1);
    }
    pthread_mutex_unlock(&f->write_mu);
    souk_analytics_query q = query(f, "2025-03-01", "2025-05-31", "USD");
    q.vendor_id = 21;
    for (int g = 0; g < 2; g++) {
        q.threads = 1;
        json_t *one = g ? souk_analytics_timeseries(f, &q) : souk_analytics_kpis(f, &q);
        q.threads = 3;
        json_t *three = g ? souk_analytics_timeseries(f, &q) : souk_analytics_kpis(f, &q);
        assert_true(json_equal(one, three));
        assert_true(json_integer_value(json_object_get(json_object_get(one, "current"), "orders")) > 0 || g);
        json_decref(one);
        json_decref(three);
    }
    souk_analytics_facts_release(f);
    free(f);
}

static void exec(souk_store *db, const char *sql)
{
    if (souk_store_exec(db, sql, NULL) < 0)
        fail_msg("%s: %s", sql, souk_store_errmsg(db));
}

static void loads_the_published_views(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "analytics"), 0);
    exec(t.db, "PRAGMA foreign_keys = OFF");
    static const char *const rows[] = {
        /* 1: paid, 2 lines; 2: cancelled before payment; 3: a paid guest order */
        "INSERT INTO orders (id, user_id, email, state, currency, subtotal, discount, shipping, tax, total, "
        "shipping_address, gateway, payment_due_at, created_at, updated_at, paid_at) VALUES "
        "(1, 7, 'a@example.com', 'paid', 'EUR', 3000, 0, 0, 0, 3000, '{}', 'builtin', 0, 0, 0, 1772352000000000),"
        "(2, 7, 'a@example.com', 'cancelled', 'EUR', 900, 0, 0, 0, 900, '{}', 'builtin', 0, 0, 0, NULL),"
        "(3, NULL, 'g@example.com', 'paid', 'USD', 500, 0, 0, 0, 500, '{}', 'builtin', 0, 0, 0, 1772352000000000)",
        "INSERT INTO order_lines (order_id, line_no, sub_order_id, variant_id, product_id, vendor_id, sku, "
        "product_title, variant_title, quantity, unit_amount, line_total) VALUES "
        "(1, 1, 1, 1, 1, NULL, 'a', 'A', 'A', 2, 1000, 2000), (1, 2, 1, 2, 2, NULL, 'b', 'B', 'B', 1, 1000, 1000),"
        "(2, 1, 2, 1, 1, NULL, 'a', 'A', 'A', 1, 900, 900), (3, 1, 3, 1, 1, NULL, 'a', 'A', 'A', 1, 500, 500)",
        ("INSERT INTO refunds (id, order_id, amount, state, created_at) VALUES "
         "(1, 1, 400, 'succeeded', 1772352000000000), (2, 1, 100, 'pending', 1772352000000000)"),
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        exec(t.db, rows[i]);
    souk_analytics_facts *f = malloc(sizeof *f);
    assert_int_equal(souk_analytics_facts_init(f, NULL), 0);
    assert_int_equal(souk_analytics_load(t.db, f, NULL, NULL), 0);
    assert_int_equal(atomic_load(&f->orders.n), 2);
    assert_int_equal(atomic_load(&f->lines.n), 3);
    assert_int_equal(atomic_load(&f->refunds.n), 1);
    assert_int_equal(souk_analytics_load(t.db, f, NULL, NULL), 0); /* again: nothing twice */
    assert_int_equal(atomic_load(&f->orders.n), 2);
    assert_int_equal(atomic_load(&f->refunds.n), 1);
    souk_analytics_query q = query(f, "2026-03-01", "2026-03-01", "EUR"); /* 1772352000 s = 2026-03-01T08:00:00Z */
    json_t *r = souk_analytics_kpis(f, &q);
    expect_int(r, "current", "gross_revenue", 3000);
    expect_int(r, "current", "refunds", 400);
    expect_int(r, "current", "orders", 1);
    json_decref(r);
    /* an order paid later comes in through souk_analytics_load_order (the outbox path) */
    exec(t.db, "UPDATE orders SET state = 'paid', paid_at = 1772352000000000 WHERE id = 2");
    assert_int_equal(souk_analytics_load_order(t.db, f, 2), 0);
    assert_int_equal(souk_analytics_load_order(t.db, f, 2), 0);
    assert_int_equal(atomic_load(&f->orders.n), 3);
    /* the settings */
    char tz[SOUK_ANALYTICS_TZ_NAME_MAX];
    assert_int_equal(souk_analytics_setting_timezone(t.db, tz), 0);
    assert_string_equal(tz, "UTC");
    assert_int_equal(souk_analytics_set_timezone(t.db, "Nowhere/Atlantis"), -1);
    assert_int_equal(souk_analytics_set_timezone(t.db, "Europe/Paris"), 0);
    assert_int_equal(souk_analytics_setting_timezone(t.db, tz), 0);
    assert_string_equal(tz, "Europe/Paris");
    souk_analytics_facts_release(f);
    free(f);
    souk_test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kpis_in_euros_beside_the_previous_period),
        cmocka_unit_test(kpis_of_a_vendor_and_a_category),
        cmocka_unit_test(days_follow_the_store_time_zone),
        cmocka_unit_test(timeseries_by_day_week_and_month),
        cmocka_unit_test(funnel_per_visitor_and_per_session),
        cmocka_unit_test(cohorts_by_first_purchase_month),
        cmocka_unit_test(rfm_quintiles_and_segments),
        cmocka_unit_test(csv_is_the_rows),
        cmocka_unit_test(parallel_scans_agree_with_one_thread),
        cmocka_unit_test(segments_find_planted_groups),
        cmocka_unit_test(churn_model_ranks_the_planted_churners),
        cmocka_unit_test(churn_model_finds_nothing_where_there_is_nothing),
        cmocka_unit_test(loads_the_published_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
