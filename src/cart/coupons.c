/*
 * coupons.c — a coupon on a cart: applied (checked against its rules), its
 * use counted when an order is placed and given back when that order is
 * cancelled. The admin side (creating coupons) is api_admin.c.
 */
#include "cart/cart.h"

#include "cart/internal.h"
#include "core/time.h"
#include "core/banned.h"

typedef struct apply_ctx {
    int64_t cart;
    const char *code;
    souk_arena *a;
    souk_problems *pr;
} apply_ctx;

/* Why coupon CODE cannot go on the cart of C (NULL: it can; *COUPON its id),
 * or a database error in *E. */
static const char *refusal(souk_store *db, const apply_ctx *c, int64_t *coupon, souk_err *e)
{
    *coupon = 0;
    bool active = false, in_time = false, left = false, currency = false;
    int r = souk_store_one(db,
                           "SELECT k.id, k.active = 1, coalesce(k.starts_at, 0) <= $2 "
                           "AND coalesce(k.expires_at, 9223372036854775807) > $2, "
                           "k.usage_limit IS NULL OR k.used_count < k.usage_limit, "
                           "k.kind = 'percent' OR k.currency = c.currency "
                           "FROM coupons k, carts c WHERE k.code = upper($1) AND c.id = $3",
                           SOUK_ARGS(SOUK_TEXT(c->code), SOUK_I64(souk_time_now_us()), SOUK_I64(c->cart)),
                           SOUK_COLS(SOUK_COL_I64(coupon), SOUK_COL_BOOL(&active), SOUK_COL_BOOL(&in_time),
                                     SOUK_COL_BOOL(&left), SOUK_COL_BOOL(&currency)));
    *e = souk_store_dberr(r);
    return r < 0               ? NULL
           : r == SOUK_DB_DONE ? "no such coupon"
           : !active           ? "this coupon is not active"
           : !in_time          ? "this coupon is not valid now"
           : !left             ? "this coupon has been used up"
           : !currency         ? "this coupon is for another currency"
                               : NULL;
}

const char *souk__cart_coupon_refusal(souk_store *db, int64_t cart, const char *code, souk_err *e)
{
    apply_ctx c = {cart, code, NULL, NULL};
    int64_t coupon;
    return refusal(db, &c, &coupon, e);
}

/* The code of an active promotion named CODE into *ID (0: none). Whether
 * it applies is the cart's answer to say (promotions.not_applied). */
static souk_err promo_code(souk_store *db, const char *code, int64_t *id)
{
    *id = 0;
    int r = souk_store_one(db,
                           "SELECT pc.id FROM promotion_codes pc JOIN promotions p ON p.id = pc.promotion_id "
                           "WHERE pc.code = upper($1) AND p.active = 1",
                           SOUK_ARGS(SOUK_TEXT(code)), SOUK_COLS(SOUK_COL_I64(id)));
    return r == SOUK_DB_DONE ? SOUK_OK : souk_store_dberr(r);
}

static souk_err apply_body(souk_store *db, void *arg)
{
    const apply_ctx *c = arg;
    int64_t coupon = 0, promo = 0;
    if (c->code) {
        souk_err e = SOUK_OK;
        const char *why = refusal(db, c, &coupon, &e);
        if (!e && coupon == 0 && why) /* not a coupon: perhaps a promotion's code */
            e = promo_code(db, c->code, &promo);
        if (e)
            return e;
        if (why && !promo) {
            souk_problems_add(c->pr, c->a, "code", "%s", why);
            return SOUK_E_VALIDATION;
        }
        if (promo)
            coupon = 0;
    }
    int r = souk_store_exec(db, "UPDATE carts SET coupon_id = $2, promo_code_id = $3 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(c->cart), SOUK_REF(coupon), SOUK_REF(promo)));
    return r < 0 ? souk_store_dberr(r) : souk__cart_touch(db, c->cart, "coupon");
}

souk_err souk_cart_coupon(souk_store *db, int64_t cart, const char *code, souk_arena *a, souk_problems *pr)
{
    apply_ctx c = {cart, code, a, pr};
    return souk_store_run(db, apply_body, &c, pr);
}

souk_err souk_cart_coupon_use_tx(souk_store *db, int64_t cart, int64_t *coupon)
{
    *coupon = 0;
    int r = souk_store_one(db,
                           "UPDATE coupons SET used_count = used_count + 1 WHERE id = "
                           "(SELECT coupon_id FROM carts WHERE id = $1) AND (usage_limit IS NULL "
                           "OR used_count < usage_limit) RETURNING id",
                           SOUK_ARGS(SOUK_I64(cart)), SOUK_COLS(SOUK_COL_I64(coupon)));
    if (r == SOUK_DB_DONE) { /* a promotion's code is counted by souk_cart_promo_claim_tx */
        r = souk_store_one(db, "SELECT 1 FROM carts WHERE id = $1 AND coupon_id IS NULL AND promo_code_id IS NOT NULL",
                           SOUK_ARGS(SOUK_I64(cart)), NULL);
        return r == SOUK_DB_ROW ? SOUK_OK : r == SOUK_DB_DONE ? SOUK_E_CONFLICT : souk_store_dberr(r);
    }
    return souk_store_dberr(r);
}

souk_err souk_cart_coupon_release_tx(souk_store *db, int64_t coupon)
{
    return souk_store_dberr(souk_store_exec(db,
                                            "UPDATE coupons SET used_count = used_count - 1 WHERE id = $1 "
                                            "AND used_count > 0",
                                            SOUK_ARGS(SOUK_I64(coupon))));
}
