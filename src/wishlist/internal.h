/* internal.h — what the files of src/wishlist share; not for other modules. */
#ifndef SOUK_WISHLIST_INTERNAL_H
#define SOUK_WISHLIST_INTERNAL_H

#include "wishlist/wishlist.h"

/* An item's price now, in the currency expression CUR, for an item row
 * aliased i (product_id, variant_id): the variant's price, or for a whole
 * product the lowest price of its purchasable variants. NULL when none. */
#define SOUK__WISHLIST_PRICE(CUR)                                                                                      \
    "(CASE WHEN i.variant_id = 0 THEN (SELECT MIN(pr.amount) FROM wishlist_catalog_variants cv "                       \
    "JOIN wishlist_variant_prices pr ON pr.variant_id = cv.variant_id WHERE cv.product_id = i.product_id "             \
    "AND cv.purchasable = 1 AND pr.currency = " CUR ") ELSE (SELECT pr.amount FROM wishlist_variant_prices pr "        \
    "WHERE pr.variant_id = i.variant_id AND pr.currency = " CUR ") END)"

/* How many units of an item can be had now (purchasable variants only). */
#define SOUK__WISHLIST_AVAILABLE                                                                                       \
    "(CASE WHEN i.variant_id = 0 THEN (SELECT COALESCE(SUM(s.available), 0) FROM wishlist_catalog_variants cv "        \
    "JOIN wishlist_variant_stock s ON s.variant_id = cv.variant_id WHERE cv.product_id = i.product_id "                \
    "AND cv.purchasable = 1) ELSE COALESCE((SELECT s.available FROM wishlist_variant_stock s "                         \
    "JOIN wishlist_catalog_variants cv ON cv.variant_id = s.variant_id WHERE s.variant_id = i.variant_id "             \
    "AND cv.purchasable = 1), 0) END)"

/* The hex BLAKE2b-256 of TOKEN into HEX (65 bytes), as guest lists are stored. */
void souk__wishlist_hash(const char *token, char hex[65]);

/* True when TOKEN looks like one of ours (SOUK_WISHLIST_TOKEN_LEN of base64url). */
bool souk__wishlist_token_ok(const char *token);

/* A new random token (24 bytes, base64url) into OUT. */
void souk__wishlist_token_new(char out[SOUK_WISHLIST_TOKEN_MAX]);

/* The shop's public origin for links in mail (SOUK_PUBLIC_URL, else http://localhost:8080). */
const char *souk__wishlist_origin(void);

#endif
