/*
 * cart.c — carts, lines, and the cart as the shopper sees it (see cart.h).
 */
#include "cart/cart.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cart/totals.h"
#include "core/id.h"
#include "core/money.h"
#include "core/time.h"
#include "events/events.h"
#include "core/banned.h"

static void hash_token(const char *token, char hex[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

int souk_cart_find(souk_store *db, int64_t user, const char *token, int64_t *id)
{
    souk_stmt *st;
    if (user) {
        st = souk_store_stmt(db, "SELECT id FROM carts WHERE user_id = $1 AND expires_at > $2");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, user);
    } else {
        if (!token || strlen(token) < 4 || strlen(token) > 80 || strncmp(token, "ct_", 3) != 0)
            return 0;
        char hex[65];
        hash_token(token, hex);
        st = souk_store_stmt(db, "SELECT id FROM carts WHERE token_hash = $1 AND expires_at > $2");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_text(st, 1, hex, 64);
    }
    souk_stmt_bind_i64(st, 2, souk_time_now_us());
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r;
    *id = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    return 1;
}

souk_err souk_cart_create(souk_store *db, int64_t user, const char *currency, char *token, int64_t *id)
{
    char hex[65] = "";
    if (!user) {
        unsigned char raw[32];
        randombytes_buf(raw, sizeof raw);
        memcpy(token, "ct_", 3);
        sodium_bin2base64(token + 3, 61, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        hash_token(token, hex);
    } else {
        /* a user's expired cart makes way for the new one */
        souk_store_exec2(db, "DELETE FROM carts WHERE user_id = $1 AND expires_at <= $2", user, souk_time_now_us());
    }
    int64_t now = souk_time_now_us();
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO carts (id, token_hash, user_id, currency, created_at, updated_at, "
                                        "expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)");
    if (!st)
        return SOUK_E_INTERNAL;
    *id = souk_id_next();
    souk_stmt_bind_i64(st, 1, *id);
    if (user) {
        souk_stmt_bind_null(st, 2);
        souk_stmt_bind_i64(st, 3, user);
    } else {
        souk_stmt_bind_text(st, 2, hex, 64);
        souk_stmt_bind_null(st, 3);
    }
    souk_stmt_bind_text(st, 4, currency, 3);
    souk_stmt_bind_i64(st, 5, now);
    souk_stmt_bind_i64(st, 6, now + SOUK_CART_TTL_US);
    return souk_stmt_exec(st) < 0 ? SOUK_E_INTERNAL : SOUK_OK;
}

/* After a change of CART in the current transaction: its 7-day life starts
 * again and cart.updated {cart_id, reason} is emitted. */
static int touch(souk_store *db, int64_t cart, const char *reason)
{
    int64_t now = souk_time_now_us();
    souk_stmt *st = souk_store_stmt(db, "UPDATE carts SET updated_at = $2, expires_at = $3 WHERE id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, cart);
    souk_stmt_bind_i64(st, 2, now);
    souk_stmt_bind_i64(st, 3, now + SOUK_CART_TTL_US);
    int r = souk_stmt_exec(st);
    if (r < 0)
        return r;
    char ref[SOUK_ID_TEXT_MAX];
    souk_id_format("cart", cart, ref);
    return souk_event_emit_tx(db, "cart.updated", ref, json_pack("{s:s,s:s}", "cart_id", ref, "reason", reason));
}

int souk_cart_empty_tx(souk_store *db, int64_t cart)
{
    int r = souk_store_exec1(db, "DELETE FROM cart_lines WHERE cart_id = $1", cart);
    if (r >= 0)
        r = souk_store_exec1(db, "UPDATE carts SET coupon_id = NULL WHERE id = $1", cart);
    return r < 0 ? r : touch(db, cart, "ordered");
}

static json_t *money(int64_t amount, const char *currency)
{
    return json_pack("{s:I,s:s}", "amount", (json_int_t)amount, "currency", currency);
}

static json_t *id_json(const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    return json_string(souk_id_format(prefix, id, buf));
}

souk_err souk_cart_json(souk_store *db, int64_t id, json_t **out)
{
    souk_stmt *st = souk_store_stmt(
        db, "SELECT c.currency, coalesce(c.region, ''), c.updated_at, c.expires_at, coalesce(t.rate_bp, 0), "
            "coalesce(t.prices_include_tax, 0), s.code, s.amount, coalesce(s.free_above, -1), s.currency, "
            "k.code, k.kind, k.value, k.min_subtotal, s.id IS NOT NULL, "
            "k.active = 1 AND coalesce(k.starts_at, 0) <= $2 AND coalesce(k.expires_at, 9223372036854775807) > $2 "
            "AND (k.usage_limit IS NULL OR k.used_count < k.usage_limit) AND (k.kind = 'percent' OR k.currency = c.currency) "
            "FROM carts c "
            "LEFT JOIN tax_rates t ON t.region = c.region "
            "LEFT JOIN shipping_methods s ON s.id = c.shipping_method_id AND s.active = 1 "
            "LEFT JOIN coupons k ON k.id = c.coupon_id WHERE c.id = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_i64(st, 2, souk_time_now_us());
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : SOUK_E_INTERNAL;
    char currency[4], region[16], ship_code[64] = "", coupon_code[64] = "";
    snprintf(currency, sizeof currency, "%s", souk_stmt_text(st, 0, NULL));
    snprintf(region, sizeof region, "%s", souk_stmt_text(st, 1, NULL));
    int64_t updated = souk_stmt_i64(st, 2), expires = souk_stmt_i64(st, 3);
    souk_cart_pricing p = {.tax_rate_bp = souk_stmt_i64(st, 4), .prices_include_tax = souk_stmt_i64(st, 5) != 0,
                           .free_shipping_above = -1};
    if (souk_stmt_i64(st, 14) && strcmp(souk_stmt_text(st, 9, NULL), currency) == 0) {
        p.has_shipping = true;
        snprintf(ship_code, sizeof ship_code, "%s", souk_stmt_text(st, 6, NULL));
        p.shipping_amount = souk_stmt_i64(st, 7);
        p.free_shipping_above = souk_stmt_i64(st, 8);
    }
    if (!souk_stmt_is_null(st, 10))
        snprintf(coupon_code, sizeof coupon_code, "%s", souk_stmt_text(st, 10, NULL));
    /* the coupon's rules hold at every read, not only when it was applied:
     * deactivated, expired, used up or in another currency → no discount */
    if (!souk_stmt_is_null(st, 10) && souk_stmt_i64(st, 15)) {
        p.coupon = strcmp(souk_stmt_text(st, 11, NULL), "percent") == 0 ? SOUK_COUPON_PERCENT : SOUK_COUPON_FIXED;
        p.coupon_value = souk_stmt_i64(st, 12);
        p.coupon_min_subtotal = souk_stmt_i64(st, 13);
    }
    souk_stmt_done(st);

    /* lines, priced now */
    st = souk_store_stmt(db, "SELECT l.variant_id, v.product_id, v.sku, p.title, v.title, l.quantity, vp.amount, "
                             "v.status = 'active' AND p.status = 'active' FROM cart_lines l "
                             "JOIN variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id "
                             "LEFT JOIN variant_prices vp ON vp.variant_id = v.id AND vp.currency = $2 "
                             "WHERE l.cart_id = $1 ORDER BY l.added_at, l.variant_id");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_text(st, 2, currency, 3);
    json_t *lines = json_array();
    souk_cart_line_price priced[SOUK_CART_MAX_LINES];
    int n = 0;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        bool has_price = !souk_stmt_is_null(st, 6), buyable = souk_stmt_i64(st, 7) && has_price;
        int64_t qty = souk_stmt_i64(st, 5), unit = souk_stmt_i64(st, 6);
        const char *problem = !souk_stmt_i64(st, 7) ? "no longer for sale"
                              : !has_price          ? "has no price in the cart's currency"
                                                    : NULL;
        json_array_append_new(
            lines, json_pack("{s:o,s:o,s:s,s:s,s:s,s:I,s:o,s:o,s:b,s:o}", "variant_id",
                             id_json("var", souk_stmt_i64(st, 0)), "product_id", id_json("prod", souk_stmt_i64(st, 1)),
                             "sku", souk_stmt_text(st, 2, NULL), "product_title", souk_stmt_text(st, 3, NULL),
                             "variant_title", souk_stmt_text(st, 4, NULL), "quantity", (json_int_t)qty, "unit_price",
                             has_price ? money(unit, currency) : json_null(), "line_total",
                             buyable ? money(unit * qty, currency) : json_null(), "purchasable", buyable, "problem",
                             problem ? json_string(problem) : json_null()));
        if (buyable && n < SOUK_CART_MAX_LINES)
            priced[n++] = (souk_cart_line_price){unit, qty};
    }
    if (r < 0) {
        json_decref(lines);
        return SOUK_E_INTERNAL;
    }
    souk_cart_totals t;
    if (souk_cart_compute(priced, n, &p, &t) < 0) {
        json_decref(lines);
        return SOUK_E_VALIDATION; /* beyond the largest amount souk computes */
    }
    char up[SOUK_RFC3339_LEN], ex[SOUK_RFC3339_LEN];
    *out = json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:{s:o,s:o,s:o,s:o,s:o,s:b,s:b},s:s,s:s}", "id", id_json("cart", id),
                     "currency", currency, "region", region[0] ? json_string(region) : json_null(), "shipping_method",
                     ship_code[0] ? json_string(ship_code) : json_null(), "coupon",
                     coupon_code[0] ? json_string(coupon_code) : json_null(), "lines", lines, "totals", "subtotal",
                     money(t.subtotal, currency), "discount", money(t.discount, currency), "shipping",
                     money(t.shipping, currency), "tax", money(t.tax, currency), "total", money(t.total, currency),
                     "prices_include_tax", p.prices_include_tax, "coupon_applied", t.coupon_applied, "updated_at",
                     souk_time_format(updated, up), "expires_at", souk_time_format(expires, ex));
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

typedef struct line_ctx {
    int64_t cart_id, variant, quantity;
    bool set;
    souk_arena *a;
    souk_problems *pr;
    souk_err err;
    json_t *cart; /* the cart as this transaction leaves it */
} line_ctx;

static int line_tx(souk_store *db, void *arg)
{
    line_ctx *c = arg;
    souk_stmt *st = souk_store_stmt(db, "SELECT v.status = 'active' AND p.status = 'active' FROM variants v "
                                        "JOIN products p ON p.id = v.product_id WHERE v.id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, c->variant);
    int r = souk_stmt_step(st);
    if (r < 0)
        return r;
    bool ok = r == SOUK_DB_ROW && souk_stmt_i64(st, 0);
    if (r == SOUK_DB_ROW)
        souk_stmt_done(st);
    if (!ok && !(c->set && c->quantity == 0)) {
        souk_problems_add(c->pr, c->a, "variant_id", "is not a variant that is for sale");
        c->err = SOUK_E_VALIDATION;
        return -100;
    }
    st = souk_store_stmt(db, "SELECT quantity FROM cart_lines WHERE cart_id = $1 AND variant_id = $2");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, c->cart_id);
    souk_stmt_bind_i64(st, 2, c->variant);
    r = souk_stmt_step(st);
    if (r < 0)
        return r;
    int64_t have = r == SOUK_DB_ROW ? souk_stmt_i64(st, 0) : 0;
    if (r == SOUK_DB_ROW)
        souk_stmt_done(st);
    int64_t want = c->set ? c->quantity : have + c->quantity;
    if (want > SOUK_CART_MAX_QUANTITY) {
        souk_problems_add(c->pr, c->a, "quantity", "at most %d of one variant per cart", SOUK_CART_MAX_QUANTITY);
        c->err = SOUK_E_VALIDATION;
        return -100;
    }
    if (want == 0) {
        if (!have && c->set) {
            c->err = SOUK_E_NOT_FOUND;
            return -100;
        }
        r = souk_store_exec2(db, "DELETE FROM cart_lines WHERE cart_id = $1 AND variant_id = $2", c->cart_id, c->variant);
    } else if (have) {
        st = souk_store_stmt(db, "UPDATE cart_lines SET quantity = $3 WHERE cart_id = $1 AND variant_id = $2");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, c->cart_id);
        souk_stmt_bind_i64(st, 2, c->variant);
        souk_stmt_bind_i64(st, 3, want);
        r = souk_stmt_exec(st);
    } else {
        if (c->set) {
            c->err = SOUK_E_NOT_FOUND; /* PATCH of a line that is not there */
            return -100;
        }
        st = souk_store_stmt(db, "SELECT count(*) FROM cart_lines WHERE cart_id = $1");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, c->cart_id);
        if (souk_stmt_step(st) != SOUK_DB_ROW)
            return SOUK_DB_HARD;
        int64_t lines = souk_stmt_i64(st, 0);
        souk_stmt_done(st);
        if (lines >= SOUK_CART_MAX_LINES) {
            souk_problems_add(c->pr, c->a, "variant_id", "a cart holds at most %d lines", SOUK_CART_MAX_LINES);
            c->err = SOUK_E_VALIDATION;
            return -100;
        }
        st = souk_store_stmt(db, "INSERT INTO cart_lines (cart_id, variant_id, quantity, added_at) VALUES ($1, $2, $3, $4)");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, c->cart_id);
        souk_stmt_bind_i64(st, 2, c->variant);
        souk_stmt_bind_i64(st, 3, want);
        souk_stmt_bind_i64(st, 4, souk_time_now_us());
        r = souk_stmt_exec(st);
    }
    if (r < 0 || (r = touch(db, c->cart_id, "lines")) < 0)
        return r;
    /* rendered here, once: a larger cart must still have totals souk can
     * compute, and the caller answers with this JSON */
    json_decref(c->cart);
    c->cart = NULL;
    souk_err e = souk_cart_json(db, c->cart_id, &c->cart);
    if (e == SOUK_E_VALIDATION && want > have) {
        souk_problems_add(c->pr, c->a, "quantity", "the cart would exceed %s minor units in all", SOUK_CART_MAX_TOTAL_TEXT);
        c->err = SOUK_E_VALIDATION;
        return -100;
    }
    return e && e != SOUK_E_VALIDATION ? SOUK_DB_HARD : 0; /* a smaller cart still over the cap: no JSON */
}

static souk_err finish(int r, souk_err err)
{
    if (err)
        return err;
    return r < 0 ? SOUK_E_INTERNAL : SOUK_OK;
}

souk_err souk_cart_put_line(souk_store *db, int64_t cart, int64_t variant, int64_t quantity, bool set, souk_arena *a,
                            souk_problems *pr, json_t **out)
{
    line_ctx c = {cart, variant, quantity, set, a, pr, SOUK_OK, NULL};
    int r = souk_store_tx(db, line_tx, &c); /* before reading c.err: argument order is unspecified */
    souk_err e = finish(r, c.err);
    if (e) {
        json_decref(c.cart);
        c.cart = NULL;
    }
    *out = c.cart;
    return e;
}

typedef struct update_ctx {
    int64_t cart;
    const char *currency, *region, *shipping, *coupon;
    souk_arena *a;
    souk_problems *pr;
    souk_err err;
} update_ctx;

static int update_tx(souk_store *db, void *arg)
{
    update_ctx *c = arg;
    int r;
    if (c->currency) {
        souk_stmt *st = souk_store_stmt(db, "UPDATE carts SET currency = $2 WHERE id = $1");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, c->cart);
        souk_stmt_bind_text(st, 2, c->currency, 3);
        if ((r = souk_stmt_exec(st)) < 0)
            return r;
    }
    if (c->region) {
        souk_stmt *st = souk_store_stmt(db, "UPDATE carts SET region = nullif($2, '') WHERE id = $1");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, c->cart);
        souk_stmt_bind_text(st, 2, c->region, SIZE_MAX);
        if ((r = souk_stmt_exec(st)) < 0)
            return r;
    }
    if (c->shipping) {
        int64_t method = 0;
        if (*c->shipping) {
            souk_stmt *st = souk_store_stmt(db, "SELECT id FROM shipping_methods WHERE code = $1 AND active = 1");
            if (!st)
                return SOUK_DB_HARD;
            souk_stmt_bind_text(st, 1, c->shipping, SIZE_MAX);
            if ((r = souk_stmt_step(st)) < 0)
                return r;
            if (r == SOUK_DB_DONE) {
                souk_problems_add(c->pr, c->a, "shipping_method", "no such shipping method");
                c->err = SOUK_E_VALIDATION;
                return -100;
            }
            method = souk_stmt_i64(st, 0);
            souk_stmt_done(st);
        }
        souk_stmt *st = souk_store_stmt(db, "UPDATE carts SET shipping_method_id = nullif($2, 0) WHERE id = $1");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, c->cart);
        souk_stmt_bind_i64(st, 2, method);
        if ((r = souk_stmt_exec(st)) < 0)
            return r;
    }
    return touch(db, c->cart, "settings");
}

souk_err souk_cart_update(souk_store *db, int64_t cart, const char *currency, const char *region,
                          const char *shipping_code, souk_arena *a, souk_problems *pr)
{
    update_ctx c = {cart, currency, region, shipping_code, NULL, a, pr, SOUK_OK};
    int r = souk_store_tx(db, update_tx, &c);
    return finish(r, c.err);
}

static int coupon_tx(souk_store *db, void *arg)
{
    update_ctx *c = arg;
    int64_t coupon = 0;
    if (c->coupon) {
        souk_stmt *st = souk_store_stmt(
            db, "SELECT k.id, k.active, coalesce(k.starts_at, 0) <= $2 AND coalesce(k.expires_at, 9223372036854775807) > $2, "
                "k.usage_limit IS NULL OR k.used_count < k.usage_limit, k.kind = 'percent' OR k.currency = c.currency "
                "FROM coupons k, carts c WHERE k.code = upper($1) AND c.id = $3");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_text(st, 1, c->coupon, SIZE_MAX);
        souk_stmt_bind_i64(st, 2, souk_time_now_us());
        souk_stmt_bind_i64(st, 3, c->cart);
        int r = souk_stmt_step(st);
        if (r < 0)
            return r;
        const char *why = r == SOUK_DB_DONE          ? "no such coupon"
                          : !souk_stmt_i64(st, 1)    ? "this coupon is not active"
                          : !souk_stmt_i64(st, 2)    ? "this coupon is not valid now"
                          : !souk_stmt_i64(st, 3)    ? "this coupon has been used up"
                          : !souk_stmt_i64(st, 4)    ? "this coupon is for another currency"
                                                     : NULL;
        if (r == SOUK_DB_ROW) {
            coupon = souk_stmt_i64(st, 0);
            souk_stmt_done(st);
        }
        if (why) {
            souk_problems_add(c->pr, c->a, "code", "%s", why);
            c->err = SOUK_E_VALIDATION;
            return -100;
        }
    }
    int r = souk_store_exec2(db, "UPDATE carts SET coupon_id = nullif($2, 0) WHERE id = $1", c->cart, coupon);
    return r < 0 ? r : touch(db, c->cart, "coupon");
}

souk_err souk_cart_coupon(souk_store *db, int64_t cart, const char *code, souk_arena *a, souk_problems *pr)
{
    update_ctx c = {cart, NULL, NULL, NULL, code, a, pr, SOUK_OK};
    int r = souk_store_tx(db, coupon_tx, &c);
    return finish(r, c.err);
}

typedef struct merge_ctx {
    int64_t user, from, into;
    char currency[4];
    souk_arena *a;
    souk_problems *pr;
    bool too_many;
} merge_ctx;

static int merge_tx(souk_store *db, void *arg)
{
    merge_ctx *c = arg;
    int r = souk_cart_find(db, c->user, NULL, &c->into);
    if (r < 0)
        return r;
    if (r == 0) {
        souk_stmt *st = souk_store_stmt(db, "SELECT currency FROM carts WHERE id = $1");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, c->from);
        if (souk_stmt_step(st) != SOUK_DB_ROW)
            return SOUK_DB_HARD;
        snprintf(c->currency, sizeof c->currency, "%s", souk_stmt_text(st, 0, NULL));
        souk_stmt_done(st);
        char none[64];
        if (souk_cart_create(db, c->user, c->currency, none, &c->into) != SOUK_OK)
            return SOUK_DB_HARD;
    }
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO cart_lines (cart_id, variant_id, quantity, added_at) "
                                        "SELECT $2, variant_id, quantity, added_at FROM cart_lines WHERE cart_id = $1 "
                                        "ON CONFLICT (cart_id, variant_id) DO UPDATE SET "
                                        "quantity = min(cart_lines.quantity + excluded.quantity, 999)");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, c->from);
    souk_stmt_bind_i64(st, 2, c->into);
    if ((r = souk_stmt_exec(st)) < 0)
        return r;
    st = souk_store_stmt(db, "SELECT count(*) FROM cart_lines WHERE cart_id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, c->into);
    if (souk_stmt_step(st) != SOUK_DB_ROW)
        return SOUK_DB_HARD;
    int64_t lines = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    if (lines > SOUK_CART_MAX_LINES) {
        souk_problems_add(c->pr, c->a, "cart_token", "together the carts would hold %lld lines; a cart holds at most %d",
                          (long long)lines, SOUK_CART_MAX_LINES);
        c->too_many = true;
        return -100;
    }
    if ((r = souk_store_exec1(db, "DELETE FROM carts WHERE id = $1 AND user_id IS NULL", c->from)) < 0)
        return r;
    return touch(db, c->into, "merged");
}

souk_err souk_cart_merge(souk_store *db, int64_t user, int64_t from, souk_arena *a, souk_problems *pr, int64_t *id)
{
    merge_ctx c = {user, from, 0, "", a, pr, false};
    int r = souk_store_tx(db, merge_tx, &c);
    if (c.too_many)
        return SOUK_E_VALIDATION;
    if (r < 0)
        return SOUK_E_INTERNAL;
    *id = c.into;
    return SOUK_OK;
}

int souk_cart_purge(souk_store *db, int64_t now_us, int max)
{
    souk_stmt *st = souk_store_stmt(db, "DELETE FROM carts WHERE id IN (SELECT id FROM carts WHERE expires_at <= $1 LIMIT $2)");
    if (!st)
        return -1;
    souk_stmt_bind_i64(st, 1, now_us);
    souk_stmt_bind_i64(st, 2, max);
    int r = souk_stmt_exec(st);
    return r < 0 ? -1 : (int)souk_store_changes(db);
}
