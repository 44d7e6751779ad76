/*
 * cart.h — shopping carts.
 *
 * A guest cart is reached with its cart token (`ct_…`, shown once, stored
 * hashed, sent as the X-Cart-Token header); a customer's cart belongs to the
 * account (one per user). Lines name variants and quantities: prices are
 * read afresh every time the cart is shown or changed, so a cart never
 * carries a stale price into checkout (the price a line was last shown at
 * is kept only to explain a changed total: souk_cart_explain_tx). A cart
 * lives 7 days after its last change. Totals follow cart/totals.h.
 *
 * Files: cart.c (carts and their settings), lines.c, coupons.c, render.c
 * (the cart's JSON), changes.c (why a cart's total moved), totals.c (the
 * arithmetic), api.c (cart handlers), api_admin.c (tax rates, shipping
 * methods and coupons, for admins). Tables: carts, cart_lines, tax_rates,
 * shipping_methods, coupons (migration 0005; 0061 adds the price each line
 * was last shown at), promotions and their codes, uses and redemptions
 * (0097; promo.h, promo_*.c). Lines are priced from the catalog's published views
 * catalog_offers and catalog_offer_prices (catalog.h), never its tables.
 */
#ifndef SOUK_CART_H
#define SOUK_CART_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "cart/totals.h" /* the arithmetic is part of the public face */
#include "core/err.h"
#include "store/store.h"

#define SOUK_CART_TTL_US (INT64_C(7) * 24 * 3600 * 1000000)
#define SOUK_CART_MAX_LINES 100
#define SOUK_CART_MAX_QUANTITY 999
#define SOUK_CART_MAX_TOTAL_TEXT "400000000000000" /* the cap of souk_cart_compute, for messages */

/* Finds the cart of USER (when USER ≠ 0) or of guest TOKEN into *ID.
 * SOUK_OK, NOT_FOUND when there is none (or it expired, or TOKEN is not a
 * cart token), or INTERNAL / UNAVAILABLE (a transient database failure). */
souk_err souk_cart_find(souk_store *db, int64_t user, const char *token, int64_t *id);

/* Creates a cart in CURRENCY: for USER (≠ 0; an expired cart of theirs is
 * deleted first), or a guest cart whose token is written into TOKEN (64
 * bytes). *ID gets its id and, when OUT is not NULL, *OUT its JSON as
 * souk_cart_json would read it back (caller decrefs; NULL on an error).
 * SOUK_OK, CONFLICT (the user has a live cart), or INTERNAL / UNAVAILABLE.
 * May run inside the caller's transaction. */
souk_err souk_cart_create(souk_store *db, int64_t user, const char *currency, char *token, int64_t *id, json_t **out);

/* The distinct products of cart ID's lines into IDS (at most MAX; *N of
 * them), without pricing or rendering the cart: for leaving what a shopper
 * already has out of what they are shown (recommendations). SOUK_OK (also
 * for an empty or unknown cart: *N = 0) or INTERNAL / UNAVAILABLE. */
souk_err souk_cart_product_ids(souk_store *db, int64_t id, int64_t *ids, size_t max, size_t *n);

/* The cart as JSON (lines at current prices, totals; caller decrefs *OUT).
 * NOT_FOUND, VALIDATION when the subtotal exceeds SOUK_CART_MAX_TOTAL_TEXT
 * minor units, INTERNAL / UNAVAILABLE, or SOUK_OK. */
souk_err souk_cart_json(souk_store *db, int64_t id, json_t **out);

/* The shop's active shipping methods, as the data array of GET
 * /api/v1/shipping-methods (cheapest first; caller decrefs, and must not
 * change it: the connection keeps it until the content version moves).
 * NULL on a database error or when memory ran out. */
json_t *souk_cart_shipping_active(souk_store *db);

/* As souk_cart_json, priced for the customer who checks out: USER (0: a
 * guest) or, for a guest cart, EMAIL — promotions whose per-customer limit
 * they have reached do not apply. For the checkout's transaction: its
 * promotions.not_applied is left empty (what applied is all it reads). */
souk_err souk_cart_json_as(souk_store *db, int64_t id, int64_t user, const char *email, json_t **out);

/* As souk_cart_json_as, with POINTS_DISCOUNT minor units of loyalty points
 * redeemed (the checkout's loyalty_points, priced by loyalty.h): taken
 * after the promotions and the coupon, before tax, at most the goods left;
 * the free-shipping threshold is judged without it. totals.discount and
 * the lines' discount shares include it. */
souk_err souk_cart_json_redeem(souk_store *db, int64_t id, int64_t user, const char *email, int64_t points_discount,
                               json_t **out);

/* Adds QUANTITY of VARIANT (merging with an existing line), or sets the
 * line's quantity when SET (0 removes it), in one transaction. VALIDATION
 * for unknown or unbuyable variants, bad quantities and a cart that would
 * pass the total cap (problems in PR); NOT_FOUND when SET names a line that
 * is not there. On SOUK_OK, *OUT is the cart's JSON as committed (caller
 * decrefs), or NULL when the cart is still over the cap. */
souk_err souk_cart_put_line(souk_store *db, int64_t cart, int64_t variant, int64_t quantity, bool set, souk_arena *a,
                            souk_problems *pr, json_t **out);

/* Sets the cart's currency (ISO code; NULL = keep), tax region (NULL =
 * keep, "" = none) and shipping method code (NULL = keep, "" = none), in
 * one transaction. VALIDATION (problem "shipping_method") for a code that
 * names no active method; INTERNAL / UNAVAILABLE; SOUK_OK. */
souk_err souk_cart_update(souk_store *db, int64_t cart, const char *currency, const char *region,
                          const char *shipping_code, souk_arena *a, souk_problems *pr);

/* Applies coupon CODE (any case; NULL removes the coupon). VALIDATION
 * (problem "code") when the code is unknown, inactive, outside its dates,
 * used up, or in another currency; INTERNAL / UNAVAILABLE; SOUK_OK. */
souk_err souk_cart_coupon(souk_store *db, int64_t cart, const char *code, souk_arena *a, souk_problems *pr);

/* Moves the lines of guest cart FROM into USER's cart (created if needed;
 * quantities add, capped at SOUK_CART_MAX_QUANTITY) and deletes FROM, in one
 * transaction. *ID gets the user's cart and *OUT its JSON as committed
 * (caller decrefs). VALIDATION (problem "cart_token"; nothing merged, both
 * carts as they were) when the result would exceed SOUK_CART_MAX_LINES lines
 * or its subtotal SOUK_CART_MAX_TOTAL_TEXT minor units; NOT_FOUND when FROM is
 * gone. On an error *OUT is NULL. */
souk_err souk_cart_merge(souk_store *db, int64_t user, int64_t from, souk_arena *a, souk_problems *pr, int64_t *id,
                         json_t **out);

/* The tax region of cart ID ("GB", "US-CA") into REGION (REGION_LEN bytes;
 * "" when it has none). SOUK_OK, NOT_FOUND (no such cart: expired), or the
 * database error. */
souk_err souk_cart_region(souk_store *db, int64_t id, char *region, size_t region_len);

/* ---- inside the caller's write transaction (checkout and orders) ---- */

/* Once the order is paid: removes every line and the coupon of CART.
 * SOUK_OK or the database error (UNAVAILABLE: retry the transaction). Every
 * change of a cart emits cart.updated {cart_id, reason: "lines" | "settings"
 * | "coupon" | "merged" | "ordered"}. */
souk_err souk_cart_empty_tx(souk_store *db, int64_t cart);

/* Counts one use of the coupon on CART, unless that would pass its usage
 * limit; *COUPON gets its id (0 when none was counted). A conditional update
 * inside the caller's transaction, so concurrent checkouts of a one-use
 * coupon count it once: the others find it used up. SOUK_OK; CONFLICT when
 * the cart has no coupon or it is used up (nothing counted); or the
 * database error. */
souk_err souk_cart_coupon_use_tx(souk_store *db, int64_t cart, int64_t *coupon);

/* Claims the usage limits of every promotion CART_JSON (the cart's JSON as
 * rendered in this transaction) says applied, for ORDER of USER (0: a guest,
 * known by EMAIL): the promotion's global count, the customer's count and
 * the count of the cart's promotion code, each a conditional update, and
 * records the redemptions. VALIDATION (problem "promotions": "NAME:
 * usage_limit_reached" or "customer_limit_reached") when a limit was
 * reached meanwhile: the caller rolls its transaction back. SOUK_OK or the
 * database error. */
souk_err souk_cart_promo_claim_tx(souk_store *db, int64_t cart, const json_t *cart_json, int64_t order, int64_t user,
                                  const char *email, souk_arena *a, souk_problems *pr);

/* Gives back what ORDER claimed (an order that failed: cancelled before or
 * after payment); a second call finds nothing. SOUK_OK or the database error. */
souk_err souk_cart_promo_release_tx(souk_store *db, int64_t order);

/* Gives one use of COUPON back (an order that counted it was cancelled);
 * never below zero. SOUK_OK or the database error. */
souk_err souk_cart_coupon_release_tx(souk_store *db, int64_t coupon);

/* Why cart ID costs what it does now, for a checkout refused because the
 * shopper expected another total: adds to PR a problem "lines[i].unit_price"
 * for each line of CART (its JSON, as souk_cart_json rendered it in this
 * transaction) whose unit price is not the one the cart's last change
 * showed ("var_… costs 3000 USD now, 2500 USD when the cart last changed"),
 * and "coupon" for a coupon on the cart that does not apply, with the
 * reason ("SAVE50 no longer applies: this coupon has been used up", or "…
 * does not apply: the subtotal is below the coupon's minimum").
 * SOUK_OK or the database error. */
souk_err souk_cart_explain_tx(souk_store *db, int64_t id, const json_t *cart, souk_arena *a, souk_problems *pr);

/* ---- maintenance ---- */

/* Deletes carts that expired before NOW_US (at most MAX). Returns how many,
 * or -1 on a database error. */
int souk_cart_purge(souk_store *db, int64_t now_us, int max);

/* ---- setting a shop up (shipping_setup.c) ---- */

/* Adds an active shipping method CODE named NAME costing AMOUNT minor units
 * of CURRENCY (ISO code, checked by the caller), free from an order of
 * FREE_ABOVE (-1 = never): the demo store's delivery. SOUK_OK;
 * SOUK_E_CONFLICT when CODE exists already; or the mapped database failure. */
souk_err souk_cart_shipping_method_add(souk_store *db, const char *code, const char *name, const char *currency,
                                       int64_t amount, int64_t free_above);

/* Whether shipping method ID exists (active or not): SOUK_OK, NOT_FOUND, or
 * the mapped database failure. */
souk_err souk_cart_shipping_method_exists(souk_store *db, int64_t id);

#endif
