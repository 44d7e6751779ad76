/*
 * fill.c — the demo store's stock (souk demo): every active variant without
 * a level in a warehouse gets one, with "initial count" history and its
 * availability, in one transaction. The variants come from the catalog's
 * public souk_catalog_active_variants, page by page: the inventory does not
 * read the catalog's tables.
 */
#include "inventory/internal.h"

#include "catalog/catalog.h"
#include "core/time.h"
#include "core/banned.h"

#define FILL_PAGE 500

typedef struct fill_ctx {
    int64_t warehouse, each;
} fill_ctx;

/* VARIANT's level in the warehouse, unless it has one: EACH units (none for
 * every tenth variant by id, so that the demo has things out of stock). */
static souk_err fill_one(souk_store *db, const fill_ctx *c, int64_t variant, int64_t now)
{
    int64_t on_hand = variant % 10 == 9 ? 0 : c->each;
    int64_t n =
        souk_store_update(db,
                          "INSERT INTO stock_levels (variant_id, warehouse_id, on_hand, updated_at) "
                          "VALUES ($1, $2, $3, $4) ON CONFLICT (variant_id, warehouse_id) DO NOTHING",
                          SOUK_ARGS(SOUK_I64(variant), SOUK_I64(c->warehouse), SOUK_I64(on_hand), SOUK_I64(now)));
    if (n <= 0)
        return souk_store_dberr((int)n); /* an error, or it had a level */
    souk_err e = on_hand > 0 ? souk__inventory_record(db, variant, c->warehouse, on_hand, on_hand, "initial count",
                                                      "system", 0, now, NULL)
                             : SOUK_OK;
    return e ? e : souk_store_dberr(souk__inventory_refresh_availability(db, variant, on_hand, false));
}

static souk_err fill_body(souk_store *db, void *arg)
{
    const fill_ctx *c = arg;
    int64_t now = souk_time_now_us(), ids[FILL_PAGE], after = 0;
    int n;
    souk_err e;
    while (!(e = souk_catalog_active_variants(db, after, ids, FILL_PAGE, &n)) && n > 0) {
        for (int i = 0; !e && i < n; i++)
            e = fill_one(db, c, ids[i], now);
        if (e)
            return e;
        after = ids[n - 1];
    }
    if (!e && souk_store_after_commit(db, souk__inventory_live_forget_hook, NULL, 0) < 0)
        e = SOUK_E_INTERNAL;
    return e ? e : souk_store_dberr(souk_store_touch(db, SOUK_CONTENT));
}

souk_err souk_inventory_fill(souk_store *db, int64_t warehouse, int64_t each)
{
    if (each < 0 || each > SOUK_INVENTORY_QTY_MAX)
        return SOUK_E_VALIDATION;
    fill_ctx c = {warehouse, each};
    return souk_store_run(db, fill_body, &c, NULL);
}
