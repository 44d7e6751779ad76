/* test_cart_totals.c — cart arithmetic (src/cart/totals.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cart/totals.h"

static souk_cart_totals run(const souk_cart_line_price *l, int n, souk_cart_pricing p)
{
    souk_cart_totals t;
    assert_int_equal(souk_cart_compute(l, n, &p, &t), 0);
    assert_int_equal(t.total, t.subtotal - t.discount + t.shipping + (p.prices_include_tax ? 0 : t.tax));
    return t;
}

static void test_plain(void **state)
{
    (void)state;
    souk_cart_line_price l[] = {{1299, 2}, {500, 1}};
    souk_cart_totals t = run(l, 2, (souk_cart_pricing){.free_shipping_above = -1});
    assert_int_equal(t.subtotal, 3098);
    assert_int_equal(t.discount, 0);
    assert_int_equal(t.tax, 0);
    assert_int_equal(t.total, 3098);
}

static void test_tax_exclusive_and_inclusive(void **state)
{
    (void)state;
    souk_cart_line_price l[] = {{1000, 3}};
    souk_cart_totals t = run(l, 1, (souk_cart_pricing){.tax_rate_bp = 825, .free_shipping_above = -1});
    assert_int_equal(t.tax, 248); /* 3000 × 8.25 % = 247.5 → 248 */
    assert_int_equal(t.total, 3248);
    t = run(l, 1, (souk_cart_pricing){.tax_rate_bp = 2000, .prices_include_tax = true, .free_shipping_above = -1});
    assert_int_equal(t.tax, 500); /* 3000 includes 20 %: 3000 / 1.2 = 2500 net */
    assert_int_equal(t.total, 3000);
    souk_cart_line_price odd[] = {{999, 1}};
    t = run(odd, 1, (souk_cart_pricing){.tax_rate_bp = 2000, .prices_include_tax = true, .free_shipping_above = -1});
    assert_int_equal(t.tax, 167); /* 999 / 6 = 166.5 → 167 */
}

static void test_coupons(void **state)
{
    (void)state;
    souk_cart_line_price l[] = {{2500, 2}};
    souk_cart_totals t = run(l, 1, (souk_cart_pricing){SOUK_COUPON_PERCENT, 1500, 0, .free_shipping_above = -1});
    assert_int_equal(t.discount, 750);
    assert_true(t.coupon_applied);
    t = run(l, 1, (souk_cart_pricing){SOUK_COUPON_FIXED, 9999, 0, .free_shipping_above = -1});
    assert_int_equal(t.discount, 5000); /* never more than the subtotal */
    assert_int_equal(t.total, 0);
    t = run(l, 1, (souk_cart_pricing){SOUK_COUPON_FIXED, 500, 6000, .free_shipping_above = -1});
    assert_false(t.coupon_applied); /* minimum not reached */
    assert_int_equal(t.discount, 0);
    /* tax on the discounted goods */
    t = run(l, 1, (souk_cart_pricing){SOUK_COUPON_PERCENT, 1000, 0, .tax_rate_bp = 1000, .free_shipping_above = -1});
    assert_int_equal(t.discount, 500);
    assert_int_equal(t.tax, 450);
    assert_int_equal(t.total, 4950);
}

static void test_shipping(void **state)
{
    (void)state;
    souk_cart_line_price l[] = {{4000, 1}};
    souk_cart_pricing p = {.has_shipping = true, .shipping_amount = 495, .free_shipping_above = 5000};
    assert_int_equal(run(l, 1, p).shipping, 495);
    souk_cart_line_price big[] = {{5000, 1}};
    assert_int_equal(run(big, 1, p).shipping, 0); /* threshold reached */
    /* the threshold looks at goods after discount */
    p.coupon = SOUK_COUPON_FIXED;
    p.coupon_value = 100;
    assert_int_equal(run(big, 1, p).shipping, 495);
    /* an empty cart ships nothing */
    assert_int_equal(run(NULL, 0, p).shipping, 0);
}

static void test_overflow(void **state)
{
    (void)state;
    souk_cart_line_price l[] = {{INT64_C(1000000000000), 100000}};
    souk_cart_pricing p = {.free_shipping_above = -1};
    souk_cart_totals t;
    assert_int_equal(souk_cart_compute(l, 1, &p, &t), -1);
    souk_cart_line_price neg[] = {{-1, 1}};
    assert_int_equal(souk_cart_compute(neg, 1, &p, &t), -1);
    /* the largest cart allowed, under the highest rates, stays exact */
    souk_cart_line_price top[] = {{INT64_C(400000000000000), 1}};
    souk_cart_pricing all = {.coupon = SOUK_COUPON_PERCENT,
                             .coupon_value = 10000,
                             .free_shipping_above = -1,
                             .tax_rate_bp = 10000,
                             .prices_include_tax = true};
    assert_int_equal(souk_cart_compute(top, 1, &all, &t), 0);
    assert_int_equal(t.discount, INT64_C(400000000000000));
    all.coupon = SOUK_COUPON_NONE;
    assert_int_equal(souk_cart_compute(top, 1, &all, &t), 0);
    assert_int_equal(t.tax, INT64_C(200000000000000));
    all.prices_include_tax = false;
    assert_int_equal(souk_cart_compute(top, 1, &all, &t), 0);
    assert_int_equal(t.total, INT64_C(800000000000000));
    top[0].quantity = 2;
    assert_int_equal(souk_cart_compute(top, 1, &all, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),    cmocka_unit_test(test_tax_exclusive_and_inclusive),
        cmocka_unit_test(test_coupons),  cmocka_unit_test(test_shipping),
        cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
