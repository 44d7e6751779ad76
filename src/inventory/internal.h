/*
 * internal.h — shared by the inventory's .c files only (souk__inventory_
 * prefix). Transactions run with souk_store_run and bodies answering a
 * souk_err; database statuses map to a souk_err with souk_store_dberr
 * (store.h).
 */
#ifndef SOUK_INVENTORY_INTERNAL_H
#define SOUK_INVENTORY_INTERNAL_H

#include "inventory/inventory.h"

/* The level (VARIANT, WAREHOUSE) into *OUT (available computed). SOUK_OK,
 * NOT_FOUND when there is none, or a database error. */
souk_err souk__inventory_read_level(souk_store *db, int64_t variant, int64_t warehouse, souk_stock_level *out);

/* Rewrites variant_availability for VARIANT from its levels after one of
 * them changed its available count by DELTA, has the in-memory read model
 * follow after the commit when FOLLOW (live.c; bulk writers forget it once
 * instead) and bumps SOUK_STOCK_STATE when the variant sells out or comes
 * back. SOUK_DB_DONE or a negative souk_db_status. */
int souk__inventory_refresh_availability(souk_store *db, int64_t variant, int64_t delta, bool follow);

/* live.c: an after-commit hook that forgets the whole read model (ARG unused). */
void souk__inventory_live_forget_hook(void *arg);

/* live.c: an after-commit hook; ARG is {variant, available} (int64_t[2]). */
void souk__inventory_live_set(void *arg);

/* After a change of the level (VARIANT, WAREHOUSE) inside the current
 * transaction: rewrites variant_availability for VARIANT and passes the new
 * level to the emission points (stock.changed; inventory.low_stock when the
 * level's available fell below its threshold, i.e. before >= threshold >
 * after, where before = after - AVAIL_DELTA; with AVAIL_DELTA 0 — a sale of
 * reserved stock — only stock.changed is emitted: what the catalog reads did
 * not change). REASON says why ("adjustment",
 * "reserved", "released", "expired", "sold"). Returns a souk_err. */
souk_err souk__inventory_changed(souk_store *db, int64_t variant, int64_t warehouse, int64_t avail_delta,
                                 const char *reason);

/* The same, with the level as the change left it in *LV, read by the
 * caller (a sale needs it for its history row too), so that it is read
 * once. (Not UPDATE … RETURNING: SQLite runs RETURNING through a
 * temporary table, which costs twice the UPDATE and a read together.) */
souk_err souk__inventory_changed_to(souk_store *db, int64_t variant, int64_t warehouse, const souk_stock_level *lv,
                                    int64_t avail_delta, const char *reason);

/* Appends one row to the adjustment history (*ID gets its id; optional). */
souk_err souk__inventory_record(souk_store *db, int64_t variant, int64_t warehouse, int64_t delta,
                                int64_t on_hand_after, const char *reason, const char *actor, int64_t reservation,
                                int64_t now, int64_t *id);

/* 1 when the variant (asked of the catalog) / warehouse exists, 0 when
 * not, or a negative souk_db_status. */
int souk__inventory_variant_exists(souk_store *db, int64_t variant);
int souk__inventory_warehouse_exists(souk_store *db, int64_t warehouse);

/* Runs SQL with $1 = ID and renders its row with RENDER into *OUT (caller
 * decrefs). SOUK_OK, NOT_FOUND when there is no row, INTERNAL when memory
 * ran out, or a database error. */
souk_err souk__inventory_row_json(souk_store *db, const char *sql, int64_t id, json_t *(*render)(souk_stmt *st),
                                  json_t **out);

#endif
