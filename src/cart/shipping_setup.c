/* shipping_setup.c — shipping methods made outside the admin API (the demo
 * store), so that no other context writes cart's shipping_methods table. */
#include "cart/cart.h"

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

souk_err souk_cart_shipping_method_add(souk_store *db, const char *code, const char *name, const char *currency,
                                       int64_t amount, int64_t free_above)
{
    int64_t now = souk_time_now_us();
    int r =
        souk_store_exec(db,
                        "INSERT INTO shipping_methods (id, code, name, currency, amount, free_above, active, "
                        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
                        SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_TEXT(code), SOUK_TEXT(name), SOUK_TEXT(currency),
                                  SOUK_I64(amount), free_above < 0 ? SOUK_NULL : SOUK_I64(free_above), SOUK_I64(now)));
    return souk_store_dberr(r);
}

souk_err souk_cart_shipping_method_exists(souk_store *db, int64_t id)
{
    int64_t one = 0;
    int r = souk_store_one(db, "SELECT 1 FROM shipping_methods WHERE id = $1", SOUK_ARGS(SOUK_I64(id)),
                           SOUK_COLS(SOUK_COL_I64(&one)));
    return r == SOUK_DB_ROW ? SOUK_OK : r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
}
