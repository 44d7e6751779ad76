/*
 * cart.c — carts themselves: found by owner or guest token, created,
 * touched on every change, their settings (currency, tax region, shipping
 * method), emptied once ordered, purged when expired (see cart.h). Lines
 * are lines.c, coupons coupons.c, the cart as the shopper sees it render.c.
 */
#include "cart/cart.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cart/internal.h"
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

const char *souk__cart_check_currency(const char *s, size_t len)
{
    return len == 3 && souk_currency_valid(s) ? NULL : "must be an ISO 4217 currency code such as USD";
}

souk_err souk_cart_find(souk_store *db, int64_t user, const char *token, int64_t *id)
{
    int64_t now = souk_time_now_us();
    int r;
    if (user) {
        r = souk_store_one(db, "SELECT id FROM carts WHERE user_id = $1 AND expires_at > $2",
                           SOUK_ARGS(SOUK_I64(user), SOUK_I64(now)), SOUK_COLS(SOUK_COL_I64(id)));
    } else {
        if (!token || strlen(token) < 4 || strlen(token) > 80 || strncmp(token, "ct_", 3) != 0)
            return SOUK_E_NOT_FOUND;
        char hex[65];
        hash_token(token, hex);
        r = souk_store_one(db, "SELECT id FROM carts WHERE token_hash = $1 AND expires_at > $2",
                           SOUK_ARGS(SOUK_TEXT(hex), SOUK_I64(now)), SOUK_COLS(SOUK_COL_I64(id)));
    }
    return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
}

souk_err souk_cart_product_ids(souk_store *db, int64_t id, int64_t *ids, size_t max, size_t *n)
{
    *n = 0;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT DISTINCT o.product_id FROM cart_lines l "
                                     "JOIN catalog_offers o ON o.variant_id = l.variant_id "
                                     "WHERE l.cart_id = $1 ORDER BY o.product_id LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(id), SOUK_I64((int64_t)max)));
    int r = SOUK_DB_DONE;
    while (*n < max && (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&ids[*n])))) == SOUK_DB_ROW)
        (*n)++;
    if (*n == max)
        r = SOUK_DB_DONE;
    souk_stmt_done(st);
    return r == SOUK_DB_DONE ? SOUK_OK : souk_store_dberr(r);
}

souk_err souk_cart_create(souk_store *db, int64_t user, const char *currency, char *token, int64_t *id, json_t **out)
{
    char hex[65] = "";
    int64_t now = souk_time_now_us();
    int r = SOUK_DB_DONE;
    if (out)
        *out = NULL;
    if (!user) {
        unsigned char raw[32];
        randombytes_buf(raw, sizeof raw);
        memcpy(token, "ct_", 3);
        sodium_bin2base64(token + 3, 61, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        hash_token(token, hex);
    } else { /* a user's expired cart makes way for the new one */
        r = souk_store_exec(db, "DELETE FROM carts WHERE user_id = $1 AND expires_at <= $2",
                            SOUK_ARGS(SOUK_I64(user), SOUK_I64(now)));
    }
    *id = souk_id_next();
    if (r >= 0)
        r = souk_store_exec(db,
                            "INSERT INTO carts (id, token_hash, user_id, currency, created_at, updated_at, "
                            "expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)",
                            SOUK_ARGS(SOUK_I64(*id), SOUK_TEXT(user ? NULL : hex), SOUK_REF(user), SOUK_TEXT(currency),
                                      SOUK_I64(now), SOUK_I64(now + SOUK_CART_TTL_US)));
    if (r < 0 || !out)
        return souk_store_dberr(r);
    /* what souk_cart_json would read back: no lines, no region, method or coupon */
    souk__cart_view v = {.id = *id};
    snprintf(v.h.currency, sizeof v.h.currency, "%s", currency);
    v.h.updated = now;
    v.h.expires = now + SOUK_CART_TTL_US;
    v.h.p.free_shipping_above = -1;
    return souk__cart_render(&v, out);
}

souk_err souk__cart_updated(souk_store *db, int64_t cart, const char *reason)
{
    char ref[SOUK_ID_TEXT_MAX], text[160];
    souk_id_format("cart", cart, ref);
    int n = souk_event_plain(reason)
                ? snprintf(text, sizeof text, "{\"cart_id\":\"%s\",\"reason\":\"%s\"}", ref, reason)
                : -1;
    if (n > 0 && (size_t)n < sizeof text) /* a reason code: no JSON to build and serialize */
        return souk_store_dberr(souk_event_emit_text_tx(db, "cart.updated", ref, text, (size_t)n));
    return souk_store_dberr(
        souk_event_emit_tx(db, "cart.updated", ref, json_pack("{s:s,s:s}", "cart_id", ref, "reason", reason)));
}

souk_err souk__cart_quote_lines(souk_store *db, int64_t cart)
{
    return souk_store_dberr(
        souk_store_exec(db,
                        "UPDATE cart_lines SET quoted_currency = (SELECT currency FROM carts WHERE id = $1), "
                        "quoted_amount = (SELECT p.amount FROM catalog_offer_prices p "
                        "WHERE p.variant_id = cart_lines.variant_id "
                        "AND p.currency = (SELECT currency FROM carts WHERE id = $1)) WHERE cart_id = $1",
                        SOUK_ARGS(SOUK_I64(cart))));
}

souk_err souk__cart_touch(souk_store *db, int64_t cart, const char *reason)
{
    int64_t now = souk_time_now_us();
    int r = souk_store_exec(db, "UPDATE carts SET updated_at = $2, expires_at = $3 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(cart), SOUK_I64(now), SOUK_I64(now + SOUK_CART_TTL_US)));
    if (r < 0)
        return souk_store_dberr(r);
    /* the prices this change's answer shows, for a later PRICE_CHANGED to compare with */
    souk_err e = souk__cart_quote_lines(db, cart);
    return e ? e : souk__cart_updated(db, cart, reason);
}

souk_err souk_cart_empty_tx(souk_store *db, int64_t cart)
{
    /* no line is left to quote: the cart's row is all a touch has to change */
    int64_t now = souk_time_now_us();
    int r = souk_store_exec(db, "DELETE FROM cart_lines WHERE cart_id = $1", SOUK_ARGS(SOUK_I64(cart)));
    if (r >= 0)
        r = souk_store_exec(db,
                            "UPDATE carts SET coupon_id = NULL, promo_code_id = NULL, updated_at = $2, expires_at = $3 "
                            "WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(cart), SOUK_I64(now), SOUK_I64(now + SOUK_CART_TTL_US)));
    return r < 0 ? souk_store_dberr(r) : souk__cart_updated(db, cart, "ordered");
}

/* ---- settings ---- */

typedef struct settings {
    int64_t cart;
    const char *currency, *region, *shipping;
    souk_arena *a;
    souk_problems *pr;
} settings;

/* The id of the active shipping method CODE into *METHOD; VALIDATION when there is none. */
static souk_err shipping_method(souk_store *db, const settings *c, int64_t *method)
{
    int r = souk_store_one(db, "SELECT id FROM shipping_methods WHERE code = $1 AND active = 1",
                           SOUK_ARGS(SOUK_TEXT(c->shipping)), SOUK_COLS(SOUK_COL_I64(method)));
    if (r != SOUK_DB_DONE)
        return souk_store_dberr(r);
    souk_problems_add(c->pr, c->a, "shipping_method", "no such shipping method");
    return SOUK_E_VALIDATION;
}

static souk_err update_body(souk_store *db, void *arg)
{
    const settings *c = arg;
    int r = SOUK_DB_DONE;
    if (c->currency) {
        /* a cart keeps the currency it was priced in: another only while it is empty (docs/currencies.md) */
        char now[4] = "";
        int64_t lines = 0;
        r = souk_store_one(db,
                           "SELECT c.currency, (SELECT count(*) FROM cart_lines l WHERE l.cart_id = c.id) "
                           "FROM carts c WHERE c.id = $1",
                           SOUK_ARGS(SOUK_I64(c->cart)), SOUK_COLS(SOUK_COL_STR(now), SOUK_COL_I64(&lines)));
        if (r < 0)
            return souk_store_dberr(r);
        if (lines > 0 && strcmp(now, c->currency) != 0) {
            souk_problems_add(c->pr, c->a, "currency",
                              "the cart is priced in %s; empty it (or start a new cart) to shop in %s", now,
                              c->currency);
            return SOUK_E_CONFLICT;
        }
        r = souk_store_exec(db, "UPDATE carts SET currency = $2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(c->cart), SOUK_TEXT(c->currency)));
    }
    if (r >= 0 && c->region) /* "" clears it */
        r = souk_store_exec(db, "UPDATE carts SET region = $2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(c->cart), SOUK_TEXT(*c->region ? c->region : NULL)));
    if (r < 0)
        return souk_store_dberr(r);
    if (c->shipping) {
        int64_t method = 0;
        souk_err e = *c->shipping ? shipping_method(db, c, &method) : SOUK_OK;
        if (e)
            return e;
        r = souk_store_exec(db, "UPDATE carts SET shipping_method_id = $2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(c->cart), SOUK_REF(method)));
        if (r < 0)
            return souk_store_dberr(r);
    }
    return souk__cart_touch(db, c->cart, "settings");
}

souk_err souk_cart_update(souk_store *db, int64_t cart, const char *currency, const char *region,
                          const char *shipping_code, souk_arena *a, souk_problems *pr)
{
    settings c = {cart, currency, region, shipping_code, a, pr};
    return souk_store_run(db, update_body, &c, pr);
}

souk_err souk_cart_region(souk_store *db, int64_t id, char *region, size_t region_len)
{
    char r_[16] = "";
    int r = souk_store_one(db, "SELECT COALESCE(region, '') FROM carts WHERE id = $1", SOUK_ARGS(SOUK_I64(id)),
                           SOUK_COLS(SOUK_COL_STR(r_)));
    if (r == SOUK_DB_DONE)
        return SOUK_E_NOT_FOUND;
    if (r != SOUK_DB_ROW)
        return souk_store_dberr(r);
    snprintf(region, region_len, "%s", r_);
    return SOUK_OK;
}

int souk_cart_purge(souk_store *db, int64_t now_us, int max)
{
    int64_t n = souk_store_update_tx(db,
                                     "DELETE FROM carts WHERE id IN (SELECT id FROM carts WHERE expires_at <= $1 "
                                     "LIMIT $2)",
                                     SOUK_ARGS(SOUK_I64(now_us), SOUK_I64(max)));
    return n < 0 ? -1 : (int)n;
}
