/* test_cart_promo.c — the promotions engine (src/cart/promo_engine.c):
 * examples of each kind, the why-not reasons, and property tests over
 * seeded random carts × promotion sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cart/promo.h"
#include "cart/totals.h"

static souk_promo promo(int64_t id, souk_promo_kind kind, int64_t value)
{
    souk_promo p;
    memset(&p, 0, sizeof p);
    p.id = id;
    p.kind = kind;
    p.value = value;
    snprintf(p.name, sizeof p.name, "promo %lld", (long long)id);
    return p;
}

static souk_promo_line line(int64_t product, int64_t unit, int64_t qty)
{
    souk_promo_line l;
    memset(&l, 0, sizeof l);
    l.product = product;
    l.unit = unit;
    l.quantity = qty;
    return l;
}

static const souk_promo_outcome *outcome(const souk_promo_result *r, int promo)
{
    for (int i = 0; i < r->n; i++)
        if (r->out[i].promo == promo)
            return &r->out[i];
    return NULL;
}

static void test_percent_on_a_category_and_fixed(void **state)
{
    (void)state;
    souk_promo_line l[2] = {line(1, 1000, 2), line(2, 500, 1)};
    l[0].ncats = 1;
    l[0].cats[0] = 7;
    souk_promo p[2] = {promo(1, SOUK_PROMO_PERCENT, 1000), promo(2, SOUK_PROMO_FIXED, 100)};
    p[0].target.kind = SOUK_PROMO_SET_CATEGORIES;
    p[0].target.n = 1;
    p[0].target.ids[0] = 7;
    souk_promo_result r;
    souk_promo_evaluate(l, 2, "EUR", 0, p, 2, NULL, &r);
    assert_int_equal(r.line_discount[0], 200 + 78); /* 10 % of 2000, then 100 split 1800 : 500 = 78.3 : 21.7 */
    assert_int_equal(r.line_discount[1], 22);
    assert_int_equal(r.discount, 300);
}

/* A resolved category set (the snapshot's subtree list, ascending): a line
 * is in it when one of its categories is, named in IDS or not. */
static void test_resolved_category_set(void **state)
{
    (void)state;
    int64_t sub[] = {3, 7, 9, 150, 4000};
    souk_promo_set s = {.kind = SOUK_PROMO_SET_CATEGORIES, .n = 1, .ids = {3}, .sub = sub, .nsub = 5};
    souk_promo_line l = line(1, 100, 1);
    l.ncats = 1;
    int64_t in[] = {3, 7, 9, 150, 4000}, out[] = {0, 1, 4, 8, 10, 151, 3999, 4001};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        l.cats[0] = in[i];
        assert_true(souk_promo_in_set(&s, &l));
    }
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        l.cats[0] = out[i];
        assert_false(souk_promo_in_set(&s, &l));
    }
    l.ncats = 0; /* no category at all */
    assert_false(souk_promo_in_set(&s, &l));
    s.nsub = 0; /* a resolved set of nothing holds nothing */
    l.ncats = 1;
    l.cats[0] = 3;
    assert_false(souk_promo_in_set(&s, &l));
    s.sub = NULL; /* unresolved: the line's own categories against IDS */
    assert_true(souk_promo_in_set(&s, &l));
}

static void test_buy_two_get_one_cheapest_free(void **state)
{
    (void)state;
    souk_promo_line l[2] = {line(1, 1000, 2), line(2, 300, 1)};
    souk_promo p = promo(1, SOUK_PROMO_BXGY, 10000);
    p.buy_qty = 2;
    p.get_qty = 1;
    souk_promo_result r;
    souk_promo_evaluate(l, 2, "EUR", 0, &p, 1, NULL, &r);
    assert_int_equal(r.discount, 300);
    assert_int_equal(r.line_discount[1], 300);
    l[0].quantity = 1; /* two units: no complete group */
    souk_promo_evaluate(l, 2, "EUR", 0, &p, 1, NULL, &r);
    assert_string_equal(r.out[0].reason, "not_enough_items");
}

static void test_tiers_and_free_shipping(void **state)
{
    (void)state;
    souk_promo p[2] = {promo(1, SOUK_PROMO_TIERED, 0), promo(2, SOUK_PROMO_FREE_SHIPPING, 0)};
    p[0].ntiers = 2;
    p[0].tier_min[0] = 10000, p[0].tier_bp[0] = 1000;
    p[0].tier_min[1] = 20000, p[0].tier_bp[1] = 1500;
    p[1].min_subtotal = 15000;
    souk_promo_line l = line(1, 25000, 1);
    souk_promo_result r;
    souk_promo_evaluate(&l, 1, "EUR", 0, p, 2, NULL, &r);
    assert_int_equal(r.discount, 3750);
    assert_true(r.free_shipping); /* 21250 left ≥ 15000 */
    l.unit = 12000;
    souk_promo_evaluate(&l, 1, "EUR", 0, p, 2, NULL, &r);
    assert_int_equal(r.discount, 1200);
    assert_false(r.free_shipping);
    assert_string_equal(outcome(&r, 1)->reason, "below_minimum");
    l.unit = 5000;
    souk_promo_evaluate(&l, 1, "EUR", 0, p, 2, NULL, &r);
    assert_string_equal(outcome(&r, 0)->reason, "below_minimum");
}

static void test_reasons(void **state)
{
    (void)state;
    souk_promo p[6] = {promo(1, SOUK_PROMO_PERCENT, 1000), promo(2, SOUK_PROMO_PERCENT, 500),
                       promo(3, SOUK_PROMO_FIXED, 100),    promo(4, SOUK_PROMO_PERCENT, 500),
                       promo(5, SOUK_PROMO_PERCENT, 500),  promo(6, SOUK_PROMO_PERCENT, 500)};
    p[0].priority = 10;
    p[1].exclusive = true; /* lower priority than an applied one */
    p[2].currency[0] = 'U', p[2].currency[1] = 'S', p[2].currency[2] = 'D';
    p[3].starts_at = 2000;
    p[4].used_up = true;
    p[5].needs_code = true; /* no code on the cart: not mentioned */
    souk_promo_line l = line(1, 1000, 1);
    souk_promo_result r;
    souk_promo_evaluate(&l, 1, "EUR", 1000, p, 6, NULL, &r);
    assert_int_equal(r.n, 5);
    assert_true(outcome(&r, 0)->applied);
    assert_string_equal(outcome(&r, 1)->reason, "not_combinable");
    assert_string_equal(outcome(&r, 2)->reason, "other_currency");
    assert_string_equal(outcome(&r, 3)->reason, "not_started");
    assert_string_equal(outcome(&r, 4)->reason, "usage_limit_reached");
    assert_null(outcome(&r, 5));
    uint8_t code[6] = {0, 0, 0, 0, 0, SOUK_PROMO_CODE_USED_UP};
    souk_promo_evaluate(&l, 1, "EUR", 1000, p, 6, code, &r);
    assert_string_equal(outcome(&r, 5)->reason, "usage_limit_reached");
    uint8_t spent[6] = {SOUK_PROMO_SPENT}; /* the customer has had their share of promotion 1 */
    souk_promo_evaluate(&l, 1, "EUR", 1000, p, 6, spent, &r);
    assert_string_equal(outcome(&r, 0)->reason, "customer_limit_reached");
    assert_true(outcome(&r, 1)->applied); /* so the exclusive one is not blocked by it */
    p[0].ends_at = 1000;                  /* an automatic promotion that ended is not mentioned */
    souk_promo_evaluate(&l, 1, "EUR", 1000, p, 6, NULL, &r);
    assert_null(outcome(&r, 0));
    assert_true(outcome(&r, 1)->applied); /* the exclusive one now goes first among those left */
}

/* ---- properties ---- */

static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int64_t pick(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1));
}

static void random_set(souk_promo_set *s)
{
    s->kind = (souk_promo_set_kind)pick(0, 4);
    s->n = (int)pick(1, 3);
    for (int i = 0; i < s->n; i++)
        s->ids[i] = pick(1, 5);
}

static souk_promo random_promo(int64_t id)
{
    souk_promo p = promo(id, (souk_promo_kind)pick(0, 4), 0);
    random_set(&p.target);
    if (pick(0, 2) == 0)
        p.target.kind = SOUK_PROMO_SET_ALL;
    p.buy = pick(0, 1) ? p.target : p.target;
    if (pick(0, 1))
        random_set(&p.buy);
    p.value = p.kind == SOUK_PROMO_FIXED ? pick(0, 50000) : pick(0, 10000);
    p.buy_qty = pick(1, 3);
    p.get_qty = pick(1, 2);
    p.ntiers = (int)pick(0, 3);
    for (int i = 0; i < p.ntiers; i++) {
        p.tier_min[i] = (i + 1) * pick(1000, 20000);
        p.tier_bp[i] = pick(0, 10000);
    }
    p.min_subtotal = pick(0, 3) == 0 ? pick(0, 50000) : 0;
    p.exclusive = pick(0, 3) == 0;
    p.priority = (int)pick(0, 3);
    p.starts_at = pick(0, 5) == 0 ? 2000 : 0;
    p.used_up = pick(0, 9) == 0;
    return p;
}

static void check_one_cart(void)
{
    souk_promo_line l[8];
    int n = (int)pick(1, 8);
    int64_t amount[8];
    for (int i = 0; i < n; i++) {
        l[i] = line(pick(1, 5), pick(0, 100000), pick(1, 5));
        l[i].brand = pick(1, 5);
        l[i].vendor = pick(1, 5);
        l[i].ncats = (int)pick(0, 2);
        for (int c = 0; c < l[i].ncats; c++)
            l[i].cats[c] = pick(1, 5);
        amount[i] = l[i].unit * l[i].quantity;
    }
    souk_promo p[8];
    int np = (int)pick(1, 8);
    for (int i = 0; i < np; i++)
        p[i] = random_promo(i + 1);
    souk_promo_result r;
    souk_promo_evaluate(l, n, "EUR", 1000, p, np, NULL, &r);

    /* allocations: each within its line, summing exactly to the discount */
    int64_t sum = 0, outcomes = 0;
    for (int i = 0; i < n; i++) {
        assert_true(r.line_discount[i] >= 0 && r.line_discount[i] <= amount[i]);
        sum += r.line_discount[i];
    }
    assert_int_equal(sum, r.discount);
    int applied = 0, exclusive_applied = 0;
    for (int i = 0; i < r.n; i++) {
        const souk_promo_outcome *o = &r.out[i];
        outcomes += o->amount;
        assert_true(o->applied == (o->reason == NULL));
        if (o->applied) {
            applied++;
            exclusive_applied += p[o->promo].exclusive;
            assert_true(p[o->promo].starts_at <= 1000 && !p[o->promo].used_up);
        }
        /* not_combinable only once something applied, before it in order */
        if (o->reason && strcmp(o->reason, "not_combinable") == 0) {
            bool earlier = false;
            for (int j = 0; j < i; j++)
                earlier = earlier || r.out[j].applied;
            assert_true(earlier);
        }
        if (i > 0) { /* considered by priority, then id */
            const souk_promo *a = &p[r.out[i - 1].promo], *b = &p[o->promo];
            assert_true(a->priority > b->priority || (a->priority == b->priority && a->id < b->id));
        }
    }
    assert_int_equal(outcomes, r.discount);
    if (exclusive_applied)
        assert_int_equal(applied, 1); /* an exclusive promotion applies alone */

    /* totals: never negative, the coupon on top never below zero either */
    souk_cart_line_price priced[8];
    for (int i = 0; i < n; i++)
        priced[i] = (souk_cart_line_price){l[i].unit, l[i].quantity};
    souk_cart_pricing pr = {.promo_discount = r.discount,
                            .promo_free_shipping = r.free_shipping,
                            .coupon = (souk_coupon_kind)pick(0, 2),
                            .coupon_value = pick(0, 200000),
                            .has_shipping = true,
                            .shipping_amount = pick(0, 1000),
                            .free_shipping_above = -1,
                            .tax_rate_bp = pick(0, 2500),
                            .prices_include_tax = pick(0, 1)};
    if (pr.coupon == SOUK_COUPON_PERCENT)
        pr.coupon_value %= 10001;
    souk_cart_totals t;
    assert_int_equal(souk_cart_compute(priced, n, &pr, &t), 0);
    assert_true(t.total >= 0 && t.discount >= r.discount && t.discount <= t.subtotal);
    if (r.free_shipping)
        assert_int_equal(t.shipping, 0);

    /* the coupon's part allocated on top, as the cart does: lines paid ≥ 0 */
    int64_t left[8], share[8], paid[8], paid_total = 0;
    for (int i = 0; i < n; i++)
        left[i] = amount[i] - r.line_discount[i];
    souk_promo_allocate(t.discount - r.discount, left, n, share);
    for (int i = 0; i < n; i++) {
        assert_true(share[i] >= 0 && share[i] <= left[i]);
        paid[i] = left[i] - share[i];
        paid_total += paid[i];
    }
    assert_int_equal(paid_total, t.subtotal - t.discount);

    /* refunds of every subset of lines, in random unit steps, never exceed
     * what was paid; returning everything gives back exactly that */
    for (unsigned mask = 1; mask < (1u << n); mask++) {
        int64_t back = 0, paid_subset = 0;
        for (int i = 0; i < n; i++) {
            if (!(mask & (1u << i)))
                continue;
            paid_subset += paid[i];
            int64_t before = 0;
            while (before < l[i].quantity) {
                int64_t q = pick(1, l[i].quantity - before);
                back += souk_cart_line_refund(paid[i], l[i].quantity, before, q);
                before += q;
            }
        }
        assert_int_equal(back, paid_subset);
        assert_true(back <= paid_total);
    }
}

static void test_properties(void **state)
{
    (void)state;
    const char *seed = getenv("SOUK_PROMO_SEED");
    rng = seed ? strtoull(seed, NULL, 10) : 0x9E3779B97F4A7C15u;
    if (!rng)
        rng = 1;
    for (int i = 0; i < 5000; i++)
        check_one_cart();
}

static void test_allocate_properties(void **state)
{
    (void)state;
    rng = 12345;
    for (int k = 0; k < 5000; k++) {
        int n = (int)pick(1, 20);
        int64_t w[20], out[20], sum = 0;
        for (int i = 0; i < n; i++)
            sum += w[i] = pick(0, 3) == 0 ? 0 : pick(0, INT64_C(20000000000000));
        int64_t total = sum ? pick(0, sum) : 0, got = 0;
        souk_promo_allocate(total, w, n, out);
        for (int i = 0; i < n; i++) {
            assert_true(out[i] >= 0 && out[i] <= w[i]);
            got += out[i];
        }
        assert_int_equal(got, total);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_on_a_category_and_fixed),
        cmocka_unit_test(test_resolved_category_set),
        cmocka_unit_test(test_buy_two_get_one_cheapest_free),
        cmocka_unit_test(test_tiers_and_free_shipping),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_allocate_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
