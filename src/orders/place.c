/*
 * place.c — turning a cart into an order waiting for payment, inside the
 * checkout's claim transaction: lines at current prices, totals as the cart
 * shows them (and as the shopper expects them, when they say), stock
 * reserved, coupon use counted, one sub-order per vendor.
 */
#include "orders/place.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cart/cart.h"
#include "catalog/catalog.h"
#include "core/id.h"
#include "core/time.h"
#include "inventory/inventory.h"
#include "loyalty/loyalty.h"
#include "store/page.h"
#include "core/banned.h"

static int64_t reservation_ttl_us; /* set once by souk_orders_configure */

void souk__place_set_ttl(int64_t ttl_us)
{
    reservation_ttl_us = ttl_us;
}

void souk__order_token(const unsigned char guest_key[32], int64_t order, char token[SOUK__ORDER_TOKEN_LEN])
{
    char ref[SOUK_ID_TEXT_MAX];
    souk__order_ref(order, ref);
    unsigned char mac[32];
    crypto_generichash(mac, sizeof mac, (const unsigned char *)ref, strlen(ref), guest_key, 32);
    memcpy(token, "ot_", 3);
    sodium_bin2base64(token + 3, SOUK__ORDER_TOKEN_LEN - 3, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void souk__order_token_hash(const char *token, char hex[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

static int64_t amount_of(const json_t *money)
{
    return json_integer_value(json_object_get(money, "amount"));
}

static int64_t id_of(const json_t *v, const char *prefix)
{
    int64_t id = 0;
    const char *s = json_string_value(v);
    if (s)
        souk_id_parse(prefix, s, strlen(s), &id);
    return id;
}

typedef struct group {
    int64_t vendor, commission_bp, subtotal, sub_id;
} group;

/* Checks every line can be bought; fills LINES for the reservation. */
static souk_err check_lines(const json_t *lines, souk_reservation_line *out, souk_arena *a, souk_problems *pr)
{
    size_t n = json_array_size(lines);
    if (n == 0) {
        souk_problems_add(pr, a, "cart", "the cart is empty");
        return SOUK_E_VALIDATION;
    }
    for (size_t i = 0; i < n && i < SOUK_CART_MAX_LINES; i++) {
        const json_t *l = json_array_get(lines, i);
        if (!json_is_true(json_object_get(l, "purchasable"))) {
            const char *why = json_string_value(json_object_get(l, "problem"));
            char field[32];
            snprintf(field, sizeof field, "lines[%zu]", i);
            souk_problems_add(pr, a, field, "%s", why ? why : "cannot be bought");
        }
        out[i] = (souk_reservation_line){id_of(json_object_get(l, "variant_id"), "var"),
                                         json_integer_value(json_object_get(l, "quantity"))};
    }
    return pr->count ? SOUK_E_VALIDATION : SOUK_OK;
}

/* PRICE_CHANGED, with the new totals and what moved them in PR, when IN
 * expects another total than CART (its JSON) has; else SOUK_OK. */
static souk_err check_expected(souk_store *db, const souk__place_in *in, const json_t *cart, souk_arena *a,
                               souk_problems *pr)
{
    const json_t *t = json_object_get(cart, "totals");
    const char *cur = json_string_value(json_object_get(cart, "currency"));
    int64_t total = amount_of(json_object_get(t, "total"));
    if (!in->has_expected || (cur && strcmp(cur, in->expected_currency) == 0 && total == in->expected_amount))
        return SOUK_OK;
    souk_problems_add(pr, a, "expected_total", "the cart now totals %lld %s, not %lld %s: read it again and confirm",
                      (long long)total, cur ? cur : "", (long long)in->expected_amount, in->expected_currency);
    souk_err e = souk_cart_explain_tx(db, in->cart_id, cart, a, pr);
    if (e)
        return e;
    static const char *const parts[] = {"subtotal", "discount", "shipping", "tax", "total"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char field[24];
        snprintf(field, sizeof field, "totals.%s", parts[i]);
        souk_problems_add(pr, a, field, "%lld %s", (long long)amount_of(json_object_get(t, parts[i])), cur ? cur : "");
    }
    return SOUK_E_PRICE_CHANGED;
}

/* Counts one use of the cart's coupon when it applies; VALIDATION when it
 * was used up meanwhile. *COUPON gets its id (0 = none). */
static souk_err take_coupon(souk_store *db, int64_t cart_id, const json_t *cart, int64_t *coupon, souk_arena *a,
                            souk_problems *pr)
{
    *coupon = 0;
    if (!json_is_true(json_object_get(json_object_get(cart, "totals"), "coupon_applied")) ||
        !json_is_string(json_object_get(cart, "coupon")))
        return SOUK_OK;
    souk_err e = souk_cart_coupon_use_tx(db, cart_id, coupon);
    if (e == SOUK_E_CONFLICT) {
        souk_problems_add(pr, a, "coupon", "has been used up; remove it from the cart");
        return SOUK_E_VALIDATION;
    }
    return e;
}

static souk_err insert_order(souk_store *db, const souk__place_in *in, const json_t *cart, int64_t id,
                             int64_t reservation, int64_t coupon, int64_t due, int64_t now)
{
    const json_t *t = json_object_get(cart, "totals");
    char token[SOUK__ORDER_TOKEN_LEN], hex[65] = "";
    if (!in->user_id) {
        souk__order_token(in->guest_key, id, token);
        souk__order_token_hash(token, hex);
    }
    return souk_store_dberr(souk_store_exec(
        db,
        "INSERT INTO orders (id, user_id, guest_token_hash, email, state, currency, subtotal, discount, shipping, "
        "tax, total, prices_include_tax, shipping_method, coupon_code, coupon_id, shipping_address, cart_id, "
        "reservation_id, gateway, payment_due_at, created_at, updated_at, channel, locale) VALUES ($1, $2, $3, $4, "
        "'pending_payment', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $21, $22)",
        SOUK_ARGS(SOUK_I64(id), SOUK_REF(in->user_id), SOUK_TEXT(in->user_id ? NULL : hex), SOUK_TEXT(in->email),
                  SOUK_TEXT(json_string_value(json_object_get(cart, "currency"))),
                  SOUK_I64(amount_of(json_object_get(t, "subtotal"))),
                  SOUK_I64(amount_of(json_object_get(t, "discount"))),
                  SOUK_I64(amount_of(json_object_get(t, "shipping"))), SOUK_I64(amount_of(json_object_get(t, "tax"))),
                  SOUK_I64(amount_of(json_object_get(t, "total"))),
                  SOUK_I64(json_is_true(json_object_get(t, "prices_include_tax")) ? 1 : 0),
                  SOUK_TEXT(json_string_value(json_object_get(cart, "shipping_method"))),
                  SOUK_TEXT(coupon ? json_string_value(json_object_get(cart, "coupon")) : NULL), SOUK_REF(coupon),
                  SOUK_TEXT(in->address_json), SOUK_I64(in->cart_id), SOUK_I64(reservation), SOUK_TEXT(in->gateway),
                  SOUK_I64(due), SOUK_I64(now), SOUK_TEXT(in->channel ? in->channel : "api"), SOUK_TEXT(in->locale))));
}

/* Groups the lines by vendor into G (one per vendor, in first-seen order).
 * The vendor terms are asked of the catalog once per product. */
static souk_err group_lines(souk_store *db, const json_t *lines, group *g, size_t *ng, int64_t *vendors)
{
    *ng = 0;
    int64_t products[SOUK_CART_MAX_LINES], commission[SOUK_CART_MAX_LINES];
    for (size_t i = 0; i < json_array_size(lines) && i < SOUK_CART_MAX_LINES; i++) {
        const json_t *l = json_array_get(lines, i);
        int64_t product = id_of(json_object_get(l, "product_id"), "prod"), vendor = 0, bp = 0;
        size_t seen = 0;
        while (seen < i && products[seen] != product)
            seen++;
        if (seen < i) {
            vendor = vendors[seen];
            bp = commission[seen];
        } else {
            souk_err e = souk_catalog_product_terms(db, product, &vendor, &bp);
            if (e)
                return e;
        }
        products[i] = product;
        commission[i] = bp;
        vendors[i] = vendor;
        size_t k = 0;
        while (k < *ng && g[k].vendor != vendor)
            k++;
        if (k == *ng)
            g[(*ng)++] = (group){vendor, bp, 0, souk_id_next()};
        g[k].subtotal += amount_of(json_object_get(l, "line_total"));
    }
    return SOUK_OK;
}

static souk_err insert_subs(souk_store *db, int64_t order, const group *g, size_t ng)
{
    int r = SOUK_DB_DONE;
    for (size_t k = 0; k < ng && r >= 0; k++)
        r = souk_store_exec(db,
                            "INSERT INTO sub_orders (id, order_id, vendor_id, state, subtotal, commission_bp, "
                            "commission, created_at, updated_at) "
                            "VALUES ($1, $2, $3, 'pending_payment', $4, $5, $6, $7, $7)",
                            SOUK_ARGS(SOUK_I64(g[k].sub_id), SOUK_I64(order), SOUK_REF(g[k].vendor),
                                      SOUK_I64(g[k].subtotal), SOUK_I64(g[k].commission_bp),
                                      SOUK_I64(souk_cart_bp(g[k].subtotal, g[k].commission_bp)),
                                      SOUK_I64(souk_time_now_us())));
    return souk_store_dberr(r);
}

static souk_err insert_lines(souk_store *db, int64_t order, const json_t *lines, const int64_t *vendors, const group *g,
                             size_t ng)
{
    int r = SOUK_DB_DONE;
    for (size_t i = 0; i < json_array_size(lines) && r >= 0; i++) {
        const json_t *l = json_array_get(lines, i);
        size_t k = 0;
        while (k + 1 < ng && g[k].vendor != vendors[i])
            k++;
        r = souk_store_exec(db,
                            "INSERT INTO order_lines (order_id, line_no, sub_order_id, variant_id, product_id, "
                            "vendor_id, sku, product_title, variant_title, quantity, unit_amount, line_total, "
                            "discount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                            SOUK_ARGS(SOUK_I64(order), SOUK_I64((int64_t)i + 1), SOUK_I64(g[k].sub_id),
                                      SOUK_I64(id_of(json_object_get(l, "variant_id"), "var")),
                                      SOUK_I64(id_of(json_object_get(l, "product_id"), "prod")), SOUK_REF(vendors[i]),
                                      SOUK_TEXT(json_string_value(json_object_get(l, "sku"))),
                                      SOUK_TEXT(json_string_value(json_object_get(l, "product_title"))),
                                      SOUK_TEXT(json_string_value(json_object_get(l, "variant_title"))),
                                      SOUK_I64(json_integer_value(json_object_get(l, "quantity"))),
                                      SOUK_I64(amount_of(json_object_get(l, "unit_price"))),
                                      SOUK_I64(amount_of(json_object_get(l, "line_total"))),
                                      SOUK_I64(amount_of(json_object_get(l, "discount")))));
    }
    return souk_store_dberr(r);
}

/* One order per cart waits for payment: a new checkout of the cart (another
 * Idempotency-Key) cancels the earlier one and gives its stock back, so a
 * cart cannot hold stock many times over. (Should the earlier one be paid
 * after all, its money is refunded: souk__order_payment_succeeded_tx.) */
static souk_err replace_pending(souk_store *db, int64_t cart, const char *actor)
{
    souk_stmt *st = souk_store_query(db, "SELECT id FROM orders WHERE cart_id = $1 AND state = 'pending_payment'",
                                     SOUK_ARGS(SOUK_I64(cart)));
    int64_t ids[8]; /* one at most, since carts replace their pending order */
    int n = souk_store_ids(st, ids, 8);
    if (n < 0)
        return souk_store_dberr(n);
    for (int i = 0; i < n; i++) {
        souk_err e =
            souk__order_cancel_pending_tx(db, ids[i], NULL, NULL, "replaced by a new checkout of its cart", actor);
        if (e && e != SOUK_E_CONFLICT)
            return e;
    }
    return SOUK_OK;
}

/* S (NULL stays NULL) copied into A; *OOM is set when memory ran out. */
static const char *copy_or_null(souk_arena *a, const char *s, bool *oom)
{
    const char *c = s ? souk_arena_strdup(a, s) : NULL;
    if (s && !c)
        *oom = true;
    return c;
}

/* What place wrote of order ID (the JSON CART at its prices, lines grouped
 * as G says), into P: texts copied into A. INTERNAL when memory ran out. */
static souk_err placed(const souk__place_in *in, const json_t *cart, int64_t id, int64_t reservation, int64_t coupon,
                       const group *g, size_t ng, const int64_t *vendors, int64_t now, souk_arena *a, souk__placed *p)
{
    const json_t *t = json_object_get(cart, "totals"), *lines = json_object_get(cart, "lines");
    bool oom = false;
    memset(p, 0, sizeof *p);
    souk__order *o = &p->o;
    o->id = id;
    o->user_id = in->user_id;
    o->total = amount_of(json_object_get(t, "total"));
    o->reservation_id = reservation;
    o->cart_id = in->cart_id;
    o->coupon_id = coupon;
    snprintf(o->state, sizeof o->state, "pending_payment");
    snprintf(o->payment_status, sizeof o->payment_status, "pending"); /* the column's default */
    snprintf(o->currency, sizeof o->currency, "%s", json_string_value(json_object_get(cart, "currency")));
    snprintf(o->email, sizeof o->email, "%s", in->email ? in->email : "");
    p->subtotal = amount_of(json_object_get(t, "subtotal"));
    p->discount = amount_of(json_object_get(t, "discount"));
    p->shipping = amount_of(json_object_get(t, "shipping"));
    p->tax = amount_of(json_object_get(t, "tax"));
    p->created_at = now;
    p->prices_include_tax = json_is_true(json_object_get(t, "prices_include_tax"));
    p->shipping_method = copy_or_null(a, json_string_value(json_object_get(cart, "shipping_method")), &oom);
    p->coupon = copy_or_null(a, coupon ? json_string_value(json_object_get(cart, "coupon")) : NULL, &oom);
    p->address_json = copy_or_null(a, in->address_json, &oom);
    p->gateway = copy_or_null(a, in->gateway, &oom);
    p->actor = copy_or_null(a, in->actor, &oom);
    size_t n = json_array_size(lines);
    souk__placed_line *pl = souk_arena_calloc(a, (n ? n : 1) * sizeof *pl);
    souk__placed_sub *ps = souk_arena_calloc(a, (ng ? ng : 1) * sizeof *ps);
    if (!pl || !ps)
        return SOUK_E_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        const json_t *l = json_array_get(lines, i);
        pl[i] = (souk__placed_line){id_of(json_object_get(l, "variant_id"), "var"),
                                    id_of(json_object_get(l, "product_id"), "prod"),
                                    vendors[i],
                                    json_integer_value(json_object_get(l, "quantity")),
                                    amount_of(json_object_get(l, "unit_price")),
                                    amount_of(json_object_get(l, "line_total")),
                                    copy_or_null(a, json_string_value(json_object_get(l, "sku")), &oom),
                                    copy_or_null(a, json_string_value(json_object_get(l, "product_title")), &oom),
                                    copy_or_null(a, json_string_value(json_object_get(l, "variant_title")), &oom),
                                    amount_of(json_object_get(l, "discount"))};
    }
    for (size_t k = 0; k < ng; k++) { /* by id, as they are read */
        size_t at = k;
        souk__placed_sub sub = {g[k].sub_id, g[k].vendor, g[k].subtotal, g[k].commission_bp,
                                souk_cart_bp(g[k].subtotal, g[k].commission_bp)};
        while (at > 0 && ps[at - 1].id > sub.id) {
            ps[at] = ps[at - 1];
            at--;
        }
        ps[at] = sub;
    }
    p->lines = pl;
    p->nlines = n;
    p->subs = ps;
    p->nsubs = ng;
    return oom ? SOUK_E_INTERNAL : SOUK_OK;
}

/* Prices IN->redeem_points on *CART (its JSON, replaced by the cart priced
 * with them: loyalty.h decides what they are worth and whether they may be
 * spent) into *AMOUNT. VALIDATION (problem "loyalty_points") when they may
 * not. */
static souk_err price_points(souk_store *db, const souk__place_in *in, json_t **cart, int64_t *amount, souk_arena *a,
                             souk_problems *pr)
{
    *amount = 0;
    if (!in->user_id) {
        souk_problems_add(pr, a, "loyalty_points", "only signed-in customers redeem points");
        return SOUK_E_VALIDATION;
    }
    /* points that expired since the last hourly run are gone before they are
     * priced: expired in this transaction, so the debit below cannot spend them */
    int64_t expired = 0;
    souk_err e = souk_loyalty_expire_user_tx(db, in->user_id, souk_time_now_us(), &expired);
    if (e)
        return e;
    const json_t *t = json_object_get(*cart, "totals");
    int64_t goods = amount_of(json_object_get(t, "subtotal")) - amount_of(json_object_get(t, "discount"));
    e = souk_loyalty_quote(db, in->user_id, json_string_value(json_object_get(*cart, "currency")), goods,
                           in->redeem_points, amount, a, pr);
    if (e)
        return e;
    json_t *priced = NULL;
    e = souk_cart_json_redeem(db, in->cart_id, in->user_id, in->email, *amount, &priced);
    if (e)
        return e;
    json_decref(*cart);
    *cart = priced;
    return SOUK_OK;
}

/* A renewal's subscription discount: IN->discount_bp of the goods left after
 * promotions and the coupon, taken where loyalty points would be (the cart
 * priced again with it: before tax, shared over the lines). */
static souk_err price_discount(souk_store *db, const souk__place_in *in, json_t **cart)
{
    const json_t *t = json_object_get(*cart, "totals");
    int64_t goods = amount_of(json_object_get(t, "subtotal")) - amount_of(json_object_get(t, "discount"));
    if (goods <= 0)
        return SOUK_OK;
    int64_t off = souk_cart_bp(goods, in->discount_bp);
    if (off <= 0)
        return SOUK_OK;
    json_t *priced = NULL;
    souk_err e = souk_cart_json_redeem(db, in->cart_id, in->user_id, in->email, off, &priced);
    if (e)
        return e;
    json_decref(*cart);
    *cart = priced;
    return SOUK_OK;
}

souk_err souk__order_place_tx(souk_store *db, const souk__place_in *in, int64_t *order_id, souk__placed *out,
                              souk_arena *a, souk_problems *pr)
{
    json_t *cart = NULL;
    souk_err e = in->cart_id ? replace_pending(db, in->cart_id, in->actor) : SOUK_OK;
    if (!e)
        e = souk_cart_json_as(db, in->cart_id, in->user_id, in->email, &cart);
    if (e == SOUK_E_VALIDATION)
        souk_problems_add(pr, a, "cart", "the total exceeds %s minor units", SOUK_CART_MAX_TOTAL_TEXT);
    int64_t points_amount = 0;
    if (!e && in->redeem_points && json_array_size(json_object_get(cart, "lines")))
        e = price_points(db, in, &cart, &points_amount, a, pr);
    else if (!e && in->discount_bp > 0 && json_array_size(json_object_get(cart, "lines")))
        e = price_discount(db, in, &cart);
    if (e) {
        json_decref(cart);
        return e;
    }
    const json_t *lines = json_object_get(cart, "lines");
    size_t n = json_array_size(lines);
    souk_reservation_line res_lines[SOUK_CART_MAX_LINES];
    int64_t vendors[SOUK_CART_MAX_LINES], id = souk_id_next(), reservation = 0, coupon = 0, due = 0;
    group g[SOUK_CART_MAX_LINES];
    size_t ng = 0;
    char ref[SOUK_ID_TEXT_MAX];
    if (n > SOUK_CART_MAX_LINES)
        e = SOUK_E_INTERNAL;
    if (!e)
        e = check_lines(lines, res_lines, a, pr);
    if (!e)
        e = check_expected(db, in, cart, a, pr); /* before anything is reserved or counted */
    if (!e) {
        e = souk_inventory_reserve_tx(db, souk__order_ref(id, ref), res_lines, n, reservation_ttl_us, &reservation,
                                      &due, a, pr);
        if (e == SOUK_E_CONFLICT)
            e = SOUK_E_OUT_OF_STOCK;
    }
    if (!e)
        e = take_coupon(db, in->cart_id, cart, &coupon, a, pr);
    if (!e)
        e = souk_cart_promo_claim_tx(db, in->cart_id, cart, id, in->user_id, in->email, a, pr);
    if (!e)
        e = group_lines(db, lines, g, &ng, vendors);
    int64_t now = souk_time_now_us();
    if (!e)
        e = insert_order(db, in, cart, id, reservation, coupon, due, now);
    if (!e && in->redeem_points) /* in this transaction: a replay of the key never spends again */
        e = souk_loyalty_redeem_tx(db, in->user_id, id, in->redeem_points, points_amount,
                                   json_string_value(json_object_get(cart, "currency")), now, a, pr);
    if (!e) {
        bool held = false;
        souk__fraud_in f = {id,
                            in->user_id,
                            in->email,
                            in->address_json,
                            json_string_value(json_object_get(cart, "currency")),
                            in->payment_method,
                            in->bill_country,
                            amount_of(json_object_get(json_object_get(cart, "totals"), "total")),
                            now};
        e = souk__order_fraud_tx(db, &f, &held);
    }
    if (!e)
        e = insert_subs(db, id, g, ng);
    if (!e)
        e = insert_lines(db, id, lines, vendors, g, ng);
    if (!e)
        e = souk__order_history_at_tx(db, id, 0, NULL, "pending_payment", "checkout", in->actor, now);
    if (!e && out)
        e = placed(in, cart, id, reservation, coupon, g, ng, vendors, now, a, out);
    json_decref(cart);
    if (!e)
        *order_id = id;
    return e;
}
