/* internal.h — shared by the cart module's .c files only (souk__cart_ prefix). */
#ifndef SOUK_CART_INTERNAL_H
#define SOUK_CART_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* Inside the caller's write transaction, after a change of CART: its 7-day
 * life starts again and cart.updated {cart_id, reason} is emitted. SOUK_OK
 * or the database error (UNAVAILABLE: retry the transaction). */
souk_err souk__cart_touch(souk_store *db, int64_t cart, const char *reason);

/* The JSON spec check of a currency code: NULL for a known ISO 4217 code,
 * else the message. */
const char *souk__cart_check_currency(const char *s, size_t len);

#endif
