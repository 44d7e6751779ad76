/* internal.h — shared by the cart module's .c files only (souk__cart_ prefix). */
#ifndef SOUK_CART_INTERNAL_H
#define SOUK_CART_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

/* Inside the caller's write transaction, after a change of CART: its 7-day
 * life starts again, each line's quoted price becomes its price now (what
 * the change's answer shows), and cart.updated {cart_id, reason} is
 * emitted. SOUK_OK or the database error (UNAVAILABLE: retry the
 * transaction). */
souk_err souk__cart_touch(souk_store *db, int64_t cart, const char *reason);

/* Why coupon CODE cannot go on (or stay on) CART now — "no such coupon",
 * "this coupon is not active", "… not valid now", "… has been used up",
 * "… is for another currency" — or NULL when it can; *E gets a database
 * error (then NULL is returned). */
const char *souk__cart_coupon_refusal(souk_store *db, int64_t cart, const char *code, souk_err *e);

/* The JSON spec check of a currency code: NULL for a known ISO 4217 code,
 * else the message. */
const char *souk__cart_check_currency(const char *s, size_t len);

#endif
