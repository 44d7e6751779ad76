/* checkout_in.h — decoding the checkout request (checkout_in.c); internal to src/orders. */
#ifndef SOUK_ORDERS_CHECKOUT_IN_H
#define SOUK_ORDERS_CHECKOUT_IN_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

/* The total the storefront showed (expected_total): minor units of an ISO
 * currency. */
typedef struct souk__expected_total {
    int64_t amount;
    const char *currency;
    uint64_t present, nulls;
} souk__expected_total;

typedef struct souk__checkout_in {
    const char *email, *payment_method; /* NULL when absent */
    const char *billing_country;        /* ISO 3166 alpha-2 of the card's billing address; NULL when absent */
    int64_t loyalty_points;             /* points to redeem (signed-in customers); 0 when absent */
    bool save_payment_method;           /* keep the method for later charges (subscriptions; customers) */
    uint64_t present, nulls;
    bool has_expected; /* expected_total was sent */
    souk__expected_total expected;
} souk__checkout_in;

/* Decodes the body {email?, shipping_address, payment_method?,
 * billing_country?, expected_total?, loyalty_points?, save_payment_method?} into IN; on success *ADDRESS is the shipping address
 * serialized (keys sorted, arena). expected_total must be {amount: 0 …
 * 4·10^14, currency: a known ISO 4217 code}, nothing else (422 naming the
 * member). Returns 0, or the 400/415/422 set on RES. */
int souk__checkout_decode(souk_req *req, souk_res *res, souk__checkout_in *in, const char **address);

/* True for an Idempotency-Key of 1..SOUK_ORDERS_KEY_MAX characters of
 * [A-Za-z0-9_.:-]. */
bool souk__checkout_key_valid(const char *key);

/* Hex BLAKE2b-256 of DATA followed by DATA2 (may be NULL) into HEX; the raw
 * 32 bytes into RAW too when it is not NULL. */
void souk__checkout_hash(const void *data, size_t len, const void *data2, size_t len2, char hex[65],
                         unsigned char *raw);

/* The e-mail address of account USER into *EMAIL (arena; unchanged when the
 * account has none), asked of identity. Returns 0, or the error set on RES. */
int souk__checkout_account_email(souk_req *req, souk_res *res, int64_t user, const char **email);

#endif
