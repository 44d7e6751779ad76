/* totals.c — see totals.h. */
#include "cart/totals.h"

#include "core/banned.h"

/* 4·10^14 minor units: the largest amount whose products with basis points
 * (≤ 10^4, ×2 in the tax-inclusive formula) stay below INT64_MAX */
#define LIMIT INT64_C(400000000000000)

int64_t souk_cart_bp(int64_t x, int64_t bp)
{
    return (x * bp + 5000) / 10000;
}

int souk_cart_compute(const souk_cart_line_price *lines, int n, const souk_cart_pricing *p, souk_cart_totals *out)
{
    *out = (souk_cart_totals){0};
    int64_t subtotal = 0;
    for (int i = 0; i < n; i++) {
        if (lines[i].unit_amount < 0 || lines[i].quantity < 0 ||
            (lines[i].quantity && lines[i].unit_amount > LIMIT / lines[i].quantity))
            return -1;
        subtotal += lines[i].unit_amount * lines[i].quantity;
        if (subtotal > LIMIT)
            return -1;
    }
    int64_t promo = p->promo_discount < 0 ? 0 : p->promo_discount > subtotal ? subtotal : p->promo_discount;
    int64_t discount = promo;
    if (p->coupon != SOUK_COUPON_NONE && subtotal >= p->coupon_min_subtotal && subtotal > 0) {
        int64_t left = subtotal - promo;
        int64_t c = p->coupon == SOUK_COUPON_PERCENT ? souk_cart_bp(left, p->coupon_value) : p->coupon_value;
        discount += c > left ? left : c;
        out->coupon_applied = true;
    }
    int64_t goods = subtotal - discount;
    int64_t shipping = 0;
    if (p->has_shipping && n > 0 && !p->promo_free_shipping &&
        !(p->free_shipping_above >= 0 && goods >= p->free_shipping_above))
        shipping = p->shipping_amount;
    if (p->points_discount > 0) { /* points pay for goods, not for shipping, and do not lose free shipping */
        int64_t points = p->points_discount > goods ? goods : p->points_discount;
        discount += points;
        goods -= points;
    }
    int64_t tax;
    if (p->prices_include_tax)
        tax = (goods * p->tax_rate_bp * 2 + (10000 + p->tax_rate_bp)) / (2 * (10000 + p->tax_rate_bp));
    else
        tax = souk_cart_bp(goods, p->tax_rate_bp);
    out->subtotal = subtotal;
    out->discount = discount;
    out->shipping = shipping;
    out->tax = tax;
    out->total = goods + shipping + (p->prices_include_tax ? 0 : tax);
    return 0;
}

int64_t souk_cart_line_refund(int64_t paid, int64_t quantity, int64_t before, int64_t q)
{
    if (paid <= 0 || quantity <= 0 || before < 0 || q <= 0 || before + q > quantity)
        return 0;
    /* paid ≤ 4·10^14 and quantity ≤ 999 (SOUK_CART_MAX_QUANTITY): no overflow */
    return paid * (before + q) / quantity - paid * before / quantity;
}
