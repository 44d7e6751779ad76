/*
 * changes.c — why a cart costs what it costs now, for a checkout refused
 * because the shopper expected another total (cart.h, souk_cart_explain_tx):
 * the lines whose unit price is not the one the cart's last change showed
 * (cart_lines.quoted_*, kept by souk__cart_touch), and a coupon on the cart
 * that no longer applies, with the reason.
 */
#include "cart/cart.h"

#include <stdio.h>
#include <string.h>

#include "cart/internal.h"
#include "core/id.h"
#include "core/banned.h"

typedef struct quote {
    int64_t variant, amount;
    bool known;
    char currency[4];
} quote;

/* The quoted price of each line of cart ID into Q (*N of them). */
static souk_err quotes(souk_store *db, int64_t id, quote *q, size_t *n)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT variant_id, coalesce(quoted_amount, -1), "
                                     "coalesce(quoted_currency, '') FROM cart_lines WHERE cart_id = $1",
                                     SOUK_ARGS(SOUK_I64(id)));
    quote one;
    int r;
    *n = 0;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&one.variant), SOUK_COL_I64(&one.amount),
                                             SOUK_COL_STR(one.currency)))) == SOUK_DB_ROW) {
        one.known = one.amount >= 0 && one.currency[0];
        if (*n < SOUK_CART_MAX_LINES)
            q[(*n)++] = one;
    }
    return souk_store_dberr(r);
}

/* Adds a problem for each line of CART (its JSON) priced otherwise than Q says it was shown. */
static void explain_lines(const json_t *cart, const quote *q, size_t nq, souk_arena *a, souk_problems *pr)
{
    const json_t *lines = json_object_get(cart, "lines");
    for (size_t i = 0; i < json_array_size(lines); i++) {
        const json_t *l = json_array_get(lines, i);
        const char *ref = json_string_value(json_object_get(l, "variant_id"));
        const json_t *price = json_object_get(l, "unit_price");
        int64_t variant = 0;
        if (!ref || !json_is_object(price) || souk_id_parse("var", ref, strlen(ref), &variant) < 0)
            continue;
        int64_t now = json_integer_value(json_object_get(price, "amount"));
        const char *cur = json_string_value(json_object_get(price, "currency"));
        for (size_t k = 0; k < nq; k++) {
            if (q[k].variant != variant || !q[k].known || !cur)
                continue;
            if (q[k].amount != now || strcmp(q[k].currency, cur) != 0) {
                char field[40];
                snprintf(field, sizeof field, "lines[%zu].unit_price", i);
                souk_problems_add(pr, a, field, "%s costs %lld %s now, %lld %s when the cart last changed", ref,
                                  (long long)now, cur, (long long)q[k].amount, q[k].currency);
            }
            break;
        }
    }
}

souk_err souk_cart_explain_tx(souk_store *db, int64_t id, const json_t *cart, souk_arena *a, souk_problems *pr)
{
    quote q[SOUK_CART_MAX_LINES];
    size_t nq = 0;
    souk_err e = quotes(db, id, q, &nq);
    if (e)
        return e;
    explain_lines(cart, q, nq, a, pr);
    const char *code = json_string_value(json_object_get(cart, "coupon"));
    if (!code || json_is_true(json_object_get(json_object_get(cart, "totals"), "coupon_applied")))
        return SOUK_OK;
    const char *why = souk__cart_coupon_refusal(db, id, code, &e);
    if (e)
        return e;
    if (why && strcmp(why, "no such coupon") == 0) /* a promotion's code: the cart says why */
        souk_problems_add(pr, a, "coupon", "%s does not apply: see promotions.not_applied", code);
    else if (why)
        souk_problems_add(pr, a, "coupon", "%s no longer applies: %s", code, why);
    else /* the coupon's rules hold, so its minimum is what is missing */
        souk_problems_add(pr, a, "coupon", "%s does not apply: the subtotal is below the coupon's minimum", code);
    return SOUK_OK;
}
