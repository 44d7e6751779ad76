/*
 * read.c — stock and history in the API's JSON shape (docs/api-shapes.md).
 */
#include "inventory/internal.h"

#include <string.h>

#include "catalog/catalog.h"
#include "store/page.h"
#include "core/banned.h"

souk_err souk_inventory_stock_json(souk_store *db, int64_t variant, json_t **out)
{
    int r = souk__inventory_variant_exists(db, variant);
    if (r <= 0)
        return r < 0 ? SOUK_E_INTERNAL : SOUK_E_NOT_FOUND;
    souk_stmt *st = souk_store_stmt(db, "SELECT w.id, w.code, w.name, s.on_hand, s.reserved, s.low_stock_threshold, "
                                        "s.updated_at FROM stock_levels s JOIN warehouses w ON w.id = s.warehouse_id "
                                        "WHERE s.variant_id = $1 ORDER BY w.code, w.id");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, variant);
    json_t *arr = json_array();
    int64_t on_hand = 0, reserved = 0;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        int64_t oh = souk_stmt_i64(st, 3), rs = souk_stmt_i64(st, 4), th = souk_stmt_i64(st, 5);
        on_hand += oh;
        reserved += rs;
        json_array_append_new(
            arr, json_pack("{s:{s:o,s:s,s:s},s:I,s:I,s:I,s:I,s:b,s:o}", "warehouse", "id",
                           souk__inventory_id(SOUK_PREFIX_WAREHOUSE, souk_stmt_i64(st, 0)), "code",
                           souk_stmt_text(st, 1, NULL), "name", souk_stmt_text(st, 2, NULL), "on_hand", (json_int_t)oh,
                           "reserved", (json_int_t)rs, "available", (json_int_t)(oh - rs), "low_stock_threshold",
                           (json_int_t)th, "low_stock", th > 0 && oh - rs < th, "updated_at",
                           souk__inventory_time(souk_stmt_i64(st, 6))));
    }
    if (r < 0) {
        json_decref(arr);
        return SOUK_E_INTERNAL;
    }
    *out = json_pack("{s:o,s:I,s:I,s:I,s:o}", "variant_id", souk__inventory_id(SOUK_PREFIX_VARIANT, variant),
                     "on_hand", (json_int_t)on_hand, "reserved", (json_int_t)reserved, "available",
                     (json_int_t)(on_hand - reserved), "warehouses", arr);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

#define ADJ_COLS "id, variant_id, warehouse_id, delta, on_hand_after, reason, actor, reservation_id, created_at"

static json_t *adjustment_row(souk_stmt *st)
{
    return json_pack("{s:o,s:o,s:o,s:I,s:I,s:s,s:s,s:o,s:o}", "id",
                     souk__inventory_id(SOUK_PREFIX_ADJUSTMENT, souk_stmt_i64(st, 0)), "variant_id",
                     souk__inventory_id(SOUK_PREFIX_VARIANT, souk_stmt_i64(st, 1)), "warehouse_id",
                     souk__inventory_id(SOUK_PREFIX_WAREHOUSE, souk_stmt_i64(st, 2)), "delta",
                     (json_int_t)souk_stmt_i64(st, 3), "on_hand_after", (json_int_t)souk_stmt_i64(st, 4), "reason",
                     souk_stmt_text(st, 5, NULL), "actor", souk_stmt_text(st, 6, NULL), "reservation_id",
                     souk_stmt_is_null(st, 7) ? json_null()
                                              : souk__inventory_id(SOUK_PREFIX_RESERVATION, souk_stmt_i64(st, 7)),
                     "created_at", souk__inventory_time(souk_stmt_i64(st, 8)));
}

souk_err souk_inventory_adjustment_json(souk_store *db, int64_t id, json_t **out)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT " ADJ_COLS " FROM stock_adjustments WHERE id = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, id);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : SOUK_E_INTERNAL;
    *out = adjustment_row(st);
    souk_stmt_done(st);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

souk_err souk_inventory_adjustments_json(souk_store *db, int64_t variant, int64_t warehouse, int limit,
                                         int64_t before, json_t **out)
{
    if (limit < 1 || limit > SOUK_INVENTORY_HISTORY_MAX)
        limit = SOUK_INVENTORY_HISTORY_MAX;
    int r = souk__inventory_variant_exists(db, variant);
    if (r <= 0)
        return r < 0 ? SOUK_E_INTERNAL : SOUK_E_NOT_FOUND;
    if ((r = souk__inventory_warehouse_exists(db, warehouse)) <= 0)
        return r < 0 ? SOUK_E_INTERNAL : SOUK_E_NOT_FOUND;
    /* keyset on id (time-ordered), newest first */
    souk_stmt *st = souk_store_stmt(db, "SELECT " ADJ_COLS " FROM stock_adjustments "
                                        "WHERE variant_id = $1 AND warehouse_id = $2 AND ($3 = 0 OR id < $3) "
                                        "ORDER BY id DESC LIMIT $4");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, variant);
    souk_stmt_bind_i64(st, 2, warehouse);
    souk_stmt_bind_i64(st, 3, before);
    souk_stmt_bind_i64(st, 4, limit + 1);
    int64_t last;
    bool more;
    json_t *arr = souk_store_page(st, limit, adjustment_row, &last, &more, &r);
    if (!arr)
        return SOUK_E_INTERNAL;
    *out = json_pack("{s:o,s:o}", "data", arr, "next_cursor",
                     more ? souk__inventory_id(SOUK_PREFIX_ADJUSTMENT, last) : json_null());
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}
