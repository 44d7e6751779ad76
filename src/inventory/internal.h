/* internal.h — shared by the inventory's .c files only (souk__inventory_ prefix). */
#ifndef SOUK_INVENTORY_INTERNAL_H
#define SOUK_INVENTORY_INTERNAL_H

#include "inventory/inventory.h"

/* Transactions: souk_store_run with bodies answering a souk_err; database
 * statuses map with souk_store_dberr (store.h). */
#define souk__inventory_dberr souk_store_dberr
#define souk__inventory_run souk_store_run
typedef souk_store_body souk__inventory_body;

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

/* Appends one row to the adjustment history (*ID gets its id; optional). */
souk_err souk__inventory_record(souk_store *db, int64_t variant, int64_t warehouse, int64_t delta, int64_t on_hand_after,
                                const char *reason, const char *actor, int64_t reservation, int64_t now, int64_t *id);

/* 1 when the variant / warehouse exists, 0 when not, or a negative souk_db_status. */
int souk__inventory_variant_exists(souk_store *db, int64_t variant);
int souk__inventory_warehouse_exists(souk_store *db, int64_t warehouse);

/* json string of a typed id / of an RFC 3339 time */
json_t *souk__inventory_id(const char *prefix, int64_t id);
json_t *souk__inventory_time(int64_t us);

#endif
