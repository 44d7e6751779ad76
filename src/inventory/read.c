/*
 * read.c — stock and history in the API's JSON shape (docs/api-shapes.md),
 * and the one-row-as-JSON reader the inventory's reads share.
 */
#include "inventory/internal.h"

#include "catalog/catalog.h"
#include "core/id.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

/* json string of a typed id */
static json_t *id_json(const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    return json_string(souk_id_format(prefix, id, buf));
}

souk_err souk__inventory_row_json(souk_store *db, const char *sql, int64_t id, json_t *(*render)(souk_stmt *st),
                                  json_t **out)
{
    souk_stmt *st = souk_store_query(db, sql, SOUK_ARGS(SOUK_I64(id)));
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
    *out = render(st);
    souk_stmt_done(st);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

/* NOT_FOUND unless the variant and (WAREHOUSE ≠ 0) the warehouse exist */
static souk_err must_exist(souk_store *db, int64_t variant, int64_t warehouse)
{
    int r = souk__inventory_variant_exists(db, variant);
    if (r > 0 && warehouse)
        r = souk__inventory_warehouse_exists(db, warehouse);
    return r < 0 ? souk_store_dberr(r) : r ? SOUK_OK : SOUK_E_NOT_FOUND;
}

souk_err souk_inventory_stock_json(souk_store *db, int64_t variant, json_t **out)
{
    souk_err e = must_exist(db, variant, 0);
    if (e)
        return e;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT w.id, w.code, w.name, s.on_hand, s.reserved, s.low_stock_threshold, "
                                     "s.updated_at FROM stock_levels s JOIN warehouses w ON w.id = s.warehouse_id "
                                     "WHERE s.variant_id = $1 ORDER BY w.code, w.id",
                                     SOUK_ARGS(SOUK_I64(variant)));
    json_t *arr = json_array();
    int64_t on_hand = 0, reserved = 0;
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        int64_t oh = souk_stmt_i64(st, 3), rs = souk_stmt_i64(st, 4), th = souk_stmt_i64(st, 5);
        on_hand += oh;
        reserved += rs;
        json_array_append_new(arr,
                              json_pack("{s:{s:o,s:o,s:o},s:I,s:I,s:I,s:I,s:b,s:o}", "warehouse", "id",
                                        souk_row_id(st, 0, SOUK_PREFIX_WAREHOUSE), "code", souk_row_text(st, 1), "name",
                                        souk_row_text(st, 2), "on_hand", (json_int_t)oh, "reserved", (json_int_t)rs,
                                        "available", (json_int_t)(oh - rs), "low_stock_threshold", (json_int_t)th,
                                        "low_stock", th > 0 && oh - rs < th, "updated_at", souk_row_time(st, 6)));
    }
    if (r < 0) {
        json_decref(arr);
        return souk_store_dberr(r);
    }
    *out = json_pack("{s:o,s:I,s:I,s:I,s:o}", "variant_id", id_json(SOUK_PREFIX_VARIANT, variant), "on_hand",
                     (json_int_t)on_hand, "reserved", (json_int_t)reserved, "available",
                     (json_int_t)(on_hand - reserved), "warehouses", arr);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

#define ADJ_COLS "id, variant_id, warehouse_id, delta, on_hand_after, reason, actor, reservation_id, created_at"

static json_t *adjustment_row(souk_stmt *st)
{
    return json_pack("{s:o,s:o,s:o,s:I,s:I,s:o,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_ADJUSTMENT),
                     "variant_id", souk_row_id(st, 1, SOUK_PREFIX_VARIANT), "warehouse_id",
                     souk_row_id(st, 2, SOUK_PREFIX_WAREHOUSE), "delta", (json_int_t)souk_stmt_i64(st, 3),
                     "on_hand_after", (json_int_t)souk_stmt_i64(st, 4), "reason", souk_row_text(st, 5), "actor",
                     souk_row_text(st, 6), "reservation_id", souk_row_id(st, 7, SOUK_PREFIX_RESERVATION), "created_at",
                     souk_row_time(st, 8));
}

souk_err souk_inventory_adjustment_json(souk_store *db, int64_t id, json_t **out)
{
    return souk__inventory_row_json(db, "SELECT " ADJ_COLS " FROM stock_adjustments WHERE id = $1", id, adjustment_row,
                                    out);
}

souk_err souk_inventory_adjustments_json(souk_store *db, int64_t variant, int64_t warehouse, int limit, int64_t before,
                                         json_t **out)
{
    if (limit < 1 || limit > SOUK_INVENTORY_HISTORY_MAX)
        limit = SOUK_INVENTORY_HISTORY_MAX;
    souk_err e = must_exist(db, variant, warehouse);
    if (e)
        return e;
    /* keyset on id (time-ordered), newest first */
    souk_stmt *st =
        souk_store_query(db,
                         "SELECT " ADJ_COLS " FROM stock_adjustments "
                         "WHERE variant_id = $1 AND warehouse_id = $2 AND ($3 = 0 OR id < $3) "
                         "ORDER BY id DESC LIMIT $4",
                         SOUK_ARGS(SOUK_I64(variant), SOUK_I64(warehouse), SOUK_I64(before), SOUK_I64(limit + 1)));
    int64_t last;
    bool more;
    int r;
    json_t *arr = souk_store_page(st, limit, adjustment_row, &last, &more, &r);
    if (!arr)
        return r < 0 ? souk_store_dberr(r) : SOUK_E_INTERNAL;
    *out =
        json_pack("{s:o,s:o}", "data", arr, "next_cursor", more ? id_json(SOUK_PREFIX_ADJUSTMENT, last) : json_null());
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}
