/*
 * totals.h — cart arithmetic in integer minor units: subtotal, discount,
 * shipping, tax, total. Pure functions, no I/O.
 *
 * Rules (documented for shoppers in docs/cart.md):
 * - subtotal = Σ unit price × quantity of the lines that can be bought;
 * - discount: the promotions' discount (promo.h) first, then the coupon:
 *   percent coupons take rate_bp/10000 of what the promotions left of the
 *   subtotal rounded half up; fixed coupons take their amount; never more
 *   than the subtotal in all; then points redeemed at checkout (loyalty),
 *   never more than what is left;
 * - shipping: the method's amount, or 0 when subtotal − discount reaches
 *   the method's free-above threshold or a free-shipping promotion applies;
 * - tax applies to the goods after discount (shipping is not taxed):
 *   with tax-exclusive prices tax = (subtotal − discount) × rate, added to
 *   the total; with tax-inclusive prices the tax is the part of
 *   (subtotal − discount) that is tax, (x × rate)/(1 + rate), shown but not
 *   added. Every rounding is half up, once, on the final figure.
 */
#ifndef SOUK_CART_TOTALS_H
#define SOUK_CART_TOTALS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct souk_cart_line_price {
    int64_t unit_amount; /* minor units */
    int64_t quantity;
} souk_cart_line_price;

typedef enum { SOUK_COUPON_NONE, SOUK_COUPON_PERCENT, SOUK_COUPON_FIXED } souk_coupon_kind;

typedef struct souk_cart_pricing {
    souk_coupon_kind coupon;
    int64_t coupon_value;        /* basis points (percent) or minor units (fixed) */
    int64_t coupon_min_subtotal; /* the coupon applies from this subtotal on */
    bool has_shipping;
    int64_t shipping_amount;
    int64_t free_shipping_above; /* < 0: never free */
    int64_t tax_rate_bp;         /* 2000 = 20 % */
    bool prices_include_tax;
    int64_t promo_discount;   /* the promotions' discount, taken before the coupon (≤ subtotal) */
    bool promo_free_shipping; /* a free-shipping promotion applies */
    int64_t points_discount;  /* loyalty points redeemed at checkout: taken after the coupon, before tax; the
                               * free-shipping threshold is judged without it */
} souk_cart_pricing;

typedef struct souk_cart_totals {
    int64_t subtotal, discount, shipping, tax, total;
    bool coupon_applied; /* false when the coupon's minimum is not reached */
} souk_cart_totals;

/* Computes the totals of N lines under P. Returns 0, or -1 when the subtotal
 * would exceed 4·10^14 minor units (beyond that, rates could overflow). */
int souk_cart_compute(const souk_cart_line_price *lines, int n, const souk_cart_pricing *p, souk_cart_totals *out);

/* What giving back Q more units of an order line pays back, when PAID is
 * what the line cost after its discount share (line_total − discount) for
 * QUANTITY units and BEFORE units were given back already: the units' share
 * of PAID rounded down, the last unit taking what is left, so that refunds
 * of a line in any steps sum to exactly PAID and never more. 0 for bad
 * arguments (Q ≤ 0, BEFORE + Q > QUANTITY). */
int64_t souk_cart_line_refund(int64_t paid, int64_t quantity, int64_t before, int64_t q);

/* X × BP / 10000 rounded half up (X, BP ≥ 0). */
int64_t souk_cart_bp(int64_t x, int64_t bp);

#endif
