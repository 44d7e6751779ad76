/* internal.h — shared by the inventory's .c files only (souk__inventory_ prefix). */
#ifndef SOUK_INVENTORY_INTERNAL_H
#define SOUK_INVENTORY_INTERNAL_H

#include "inventory/inventory.h"

/* Maps a souk_db_status to a souk_err: SOFT → UNAVAILABLE (retry the
 * transaction), CONSTRAINT → CONFLICT, other negatives → INTERNAL, else OK. */
static inline souk_err souk__inventory_dberr(int r)
{
    if (r >= 0)
        return SOUK_OK;
    return r == SOUK_DB_SOFT ? SOUK_E_UNAVAILABLE : r == SOUK_DB_CONSTRAINT ? SOUK_E_CONFLICT : SOUK_E_INTERNAL;
}

/* The transaction body of souk__inventory_run: returns a souk_err. */
typedef souk_err (*souk__inventory_body)(souk_store *db, void *ctx);

/* Runs BODY in one write transaction, retried while it answers
 * SOUK_E_UNAVAILABLE; problems PR collected by a failed attempt are dropped
 * before the next one. Returns BODY's souk_err (SOUK_OK = committed). */
souk_err souk__inventory_run(souk_store *db, souk__inventory_body body, void *ctx, souk_problems *pr);

/* After a change of the level (VARIANT, WAREHOUSE) inside the current
 * transaction: rewrites variant_availability for VARIANT and passes the new
 * level to the emission points (stock.changed; inventory.low_stock when the
 * level's available fell below its threshold, i.e. before >= threshold >
 * after, where before = after - AVAIL_DELTA). REASON says why ("adjustment",
 * "reserved", "released", "expired", "sold"). Returns a souk_err. */
souk_err souk__inventory_changed(souk_store *db, int64_t variant, int64_t warehouse, int64_t avail_delta,
                                 const char *reason);

/* 1 when the variant / warehouse exists, 0 when not, or a negative souk_db_status. */
int souk__inventory_variant_exists(souk_store *db, int64_t variant);
int souk__inventory_warehouse_exists(souk_store *db, int64_t warehouse);

/* json string of a typed id / of an RFC 3339 time */
json_t *souk__inventory_id(const char *prefix, int64_t id);
json_t *souk__inventory_time(int64_t us);

#endif
