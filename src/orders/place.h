/* place.h — creating an order from a cart (place.c); internal to src/orders. */
#ifndef SOUK_ORDERS_PLACE_H
#define SOUK_ORDERS_PLACE_H

#include "orders/internal.h"

#define SOUK__ORDER_TOKEN_LEN 48 /* "ot_" + 43 base64url characters + NUL */

typedef struct souk__place_in {
    int64_t cart_id;
    int64_t user_id;                /* 0: a guest */
    const unsigned char *guest_key; /* guests: the 32-byte hash of their cart token */
    const char *email;
    const char *address_json;      /* the shipping address, serialized */
    const char *gateway;           /* its name */
    const char *actor;             /* "usr_…" or "guest" */
    bool has_expected;             /* the shopper's expected_total was sent: */
    int64_t expected_amount;       /*   its minor units */
    const char *expected_currency; /*   and currency */
    const char *payment_method;    /* what the checkout pays with (NULL: none yet): the card fingerprint */
    const char *bill_country;      /* the billing country the checkout gave (NULL: none) */
    const char *channel;           /* where it was placed: "api" (NULL) or "storefront" */
    int64_t redeem_points;         /* loyalty points to spend on it (customers only); 0: none */
    int64_t discount_bp;           /* a renewal's subscription discount off the goods (0: none); not with points */
    bool save_method;              /* checkout: save the payment method once paid (customers only) */
    const char *locale;            /* the customer's locale (the checkout's), for its e-mails; NULL: none */
} souk__place_in;

/* Inside the caller's write transaction: reads cart IN->cart_id at current
 * prices, reserves its lines (the configured lifetime), counts the coupon's
 * use and writes the order in pending_payment with its lines, sub-orders and
 * first history row. *ORDER_ID gets its id. NOT_FOUND (no cart), VALIDATION
 * (empty cart, a line that cannot be bought, a used-up coupon: problems in
 * PR), a refused redemption
 * of IN->redeem_points (problem "loyalty_points"), PRICE_CHANGED (IN->has_expected and the cart's total is not the
 * expected one: problems "expected_total", the lines and coupon that moved
 * it, "totals.*" the new totals), OUT_OF_STOCK (problems "lines[i]"), or a
 * database error. The order is scored for fraud risk (souk__order_fraud_tx)
 * and held at or above the threshold. On any error the caller rolls back: nothing is kept.
 * *PLACED (optional) gets what was written of the order (texts in A), so
 * that the rest of the transaction need not read it back. */
souk_err souk__order_place_tx(souk_store *db, const souk__place_in *in, int64_t *order_id, souk__placed *placed,
                              souk_arena *a, souk_problems *pr);

/* The guest order token of ORDER: "ot_" + base64url(BLAKE2b keyed with
 * GUEST_KEY over "ord_…"). Derived, so a retried checkout can show it again. */
void souk__order_token(const unsigned char guest_key[32], int64_t order, char token[SOUK__ORDER_TOKEN_LEN]);

/* Hex BLAKE2b-256 of TOKEN, as stored in orders.guest_token_hash. */
void souk__order_token_hash(const char *token, char hex[65]);

/* Sets the reservation lifetime of new orders (0 = the inventory default). */
void souk__place_set_ttl(int64_t ttl_us);

#endif
