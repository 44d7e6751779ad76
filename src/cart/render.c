/*
 * render.c — the cart as the shopper sees it (souk_cart_json): its settings
 * and coupon as they hold now, its lines priced now from the catalog's
 * published views (catalog_offers, catalog_offer_prices: see catalog.h), and
 * the totals of cart/totals.h. Two queries, whatever the number of lines:
 * this is on the purchase path (every cart change and every checkout).
 */
#include "cart/cart.h"

#include <string.h>

#include "cart/totals.h"
#include "core/id.h"
#include "core/time.h"
#include "store/row.h"
#include "core/banned.h"

typedef struct cart_head {
    char currency[4], region[16], ship_code[64], coupon_code[64];
    int64_t updated, expires;
    souk_cart_pricing p;
} cart_head;

static json_t *money(int64_t amount, const char *currency)
{
    return json_pack("{s:I,s:s}", "amount", (json_int_t)amount, "currency", currency);
}

/* The cart's own row with its tax rate, shipping method and coupon. */
static souk_err read_head(souk_store *db, int64_t id, cart_head *h)
{
    bool has_shipping = false, coupon_ok = false, percent = false;
    int64_t ship_amount = 0, free_above = -1, coupon_value = 0, coupon_min = 0;
    memset(h, 0, sizeof *h);
    int r = souk_store_one(
        db, "SELECT c.currency, coalesce(c.region, ''), c.updated_at, c.expires_at, coalesce(t.rate_bp, 0), "
            "t.prices_include_tax = 1, s.id IS NOT NULL AND s.currency = c.currency, coalesce(s.code, ''), "
            "coalesce(s.amount, 0), coalesce(s.free_above, -1), coalesce(k.code, ''), k.kind = 'percent', "
            "coalesce(k.value, 0), coalesce(k.min_subtotal, 0), "
            "k.active = 1 AND coalesce(k.starts_at, 0) <= $2 AND coalesce(k.expires_at, 9223372036854775807) > $2 "
            "AND (k.usage_limit IS NULL OR k.used_count < k.usage_limit) AND (k.kind = 'percent' OR k.currency = c.currency) "
            "FROM carts c "
            "LEFT JOIN tax_rates t ON t.region = c.region "
            "LEFT JOIN shipping_methods s ON s.id = c.shipping_method_id AND s.active = 1 "
            "LEFT JOIN coupons k ON k.id = c.coupon_id WHERE c.id = $1",
        SOUK_ARGS(SOUK_I64(id), SOUK_I64(souk_time_now_us())),
        SOUK_COLS(SOUK_COL_STR(h->currency), SOUK_COL_STR(h->region), SOUK_COL_I64(&h->updated),
                  SOUK_COL_I64(&h->expires), SOUK_COL_I64(&h->p.tax_rate_bp), SOUK_COL_BOOL(&h->p.prices_include_tax),
                  SOUK_COL_BOOL(&has_shipping), SOUK_COL_STR(h->ship_code), SOUK_COL_I64(&ship_amount),
                  SOUK_COL_I64(&free_above), SOUK_COL_STR(h->coupon_code), SOUK_COL_BOOL(&percent),
                  SOUK_COL_I64(&coupon_value), SOUK_COL_I64(&coupon_min), SOUK_COL_BOOL(&coupon_ok)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
    h->p.free_shipping_above = -1;
    if (has_shipping) { /* a method in another currency than the cart's does not apply */
        h->p.has_shipping = true;
        h->p.shipping_amount = ship_amount;
        h->p.free_shipping_above = free_above;
    } else {
        h->ship_code[0] = '\0';
    }
    /* the coupon's rules hold at every read, not only when it was applied:
     * deactivated, expired, used up or in another currency → no discount */
    if (h->coupon_code[0] && coupon_ok) {
        h->p.coupon = percent ? SOUK_COUPON_PERCENT : SOUK_COUPON_FIXED;
        h->p.coupon_value = coupon_value;
        h->p.coupon_min_subtotal = coupon_min;
    }
    return SOUK_OK;
}

/* The lines of cart ID priced in H's currency into LINES; the purchasable
 * ones into PRICED (*N of them). */
static souk_err read_lines(souk_store *db, int64_t id, const cart_head *h, json_t *lines,
                           souk_cart_line_price *priced, int *n)
{
    souk_stmt *st = souk_store_query(db, "SELECT l.variant_id, o.product_id, o.sku, o.product_title, o.variant_title, "
                                         "l.quantity, pr.amount, o.purchasable = 1 FROM cart_lines l "
                                         "JOIN catalog_offers o ON o.variant_id = l.variant_id "
                                         "LEFT JOIN catalog_offer_prices pr ON pr.variant_id = l.variant_id "
                                         "AND pr.currency = $2 WHERE l.cart_id = $1 ORDER BY l.added_at, l.variant_id",
                                     SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(h->currency)));
    int64_t qty, unit;
    bool no_price, for_sale;
    int r;
    *n = 0;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_SKIP,
                                             SOUK_COL_I64(&qty), SOUK_COL_NULLABLE(SOUK_COL_I64(&unit), &no_price),
                                             SOUK_COL_BOOL(&for_sale)))) == SOUK_DB_ROW) {
        bool buyable = for_sale && !no_price;
        const char *problem = !for_sale ? "no longer for sale" : no_price ? "has no price in the cart's currency" : NULL;
        json_array_append_new(
            lines, json_pack("{s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:b,s:o}", "variant_id", souk_row_id(st, 0, "var"),
                             "product_id", souk_row_id(st, 1, "prod"), "sku", souk_row_text(st, 2), "product_title",
                             souk_row_text(st, 3), "variant_title", souk_row_text(st, 4), "quantity", (json_int_t)qty,
                             "unit_price", no_price ? json_null() : money(unit, h->currency), "line_total",
                             buyable ? money(unit * qty, h->currency) : json_null(), "purchasable", buyable, "problem",
                             problem ? json_string(problem) : json_null()));
        if (buyable && *n < SOUK_CART_MAX_LINES)
            priced[(*n)++] = (souk_cart_line_price){unit, qty};
    }
    return souk_store_dberr(r);
}

static json_t *text_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

souk_err souk_cart_json(souk_store *db, int64_t id, json_t **out)
{
    cart_head h;
    souk_err e = read_head(db, id, &h);
    if (e)
        return e;
    json_t *lines = json_array();
    souk_cart_line_price priced[SOUK_CART_MAX_LINES];
    int n = 0;
    if ((e = read_lines(db, id, &h, lines, priced, &n))) {
        json_decref(lines);
        return e;
    }
    souk_cart_totals t;
    if (souk_cart_compute(priced, n, &h.p, &t) < 0) {
        json_decref(lines);
        return SOUK_E_VALIDATION; /* beyond the largest amount souk computes */
    }
    const char *cur = h.currency;
    char ref[SOUK_ID_TEXT_MAX], up[SOUK_RFC3339_LEN], ex[SOUK_RFC3339_LEN];
    *out = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:{s:o,s:o,s:o,s:o,s:o,s:b,s:b},s:s,s:s}", "id",
                     souk_id_format("cart", id, ref), "currency", cur, "region", text_or_null(h.region),
                     "shipping_method", text_or_null(h.ship_code), "coupon", text_or_null(h.coupon_code), "lines",
                     lines, "totals", "subtotal", money(t.subtotal, cur), "discount", money(t.discount, cur),
                     "shipping", money(t.shipping, cur), "tax", money(t.tax, cur), "total", money(t.total, cur),
                     "prices_include_tax", h.p.prices_include_tax, "coupon_applied", t.coupon_applied, "updated_at",
                     souk_time_format(h.updated, up), "expires_at", souk_time_format(h.expires, ex));
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}
