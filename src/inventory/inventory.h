/*
 * inventory.h — warehouses, stock per variant per warehouse, the adjustment
 * history, low-stock thresholds, and the reservations checkout takes.
 * Design: docs/internals/inventory.md. Tables: migration 0004.
 *
 * Every change of stock is a conditional UPDATE whose WHERE clause carries
 * the condition (enough available, never below reserved) and must change
 * exactly one row; the CHECK constraints of stock_levels (on_hand >= 0,
 * 0 <= reserved <= on_hand) back it up. No interleaving of writers on either
 * database can make available stock negative.
 *
 * Return convention: souk_err — SOUK_OK, VALIDATION (field problems in PR),
 * NOT_FOUND, CONFLICT (the current state forbids it; problems in PR),
 * UNAVAILABLE (the database reported a transient failure: busy /
 * serialization), or INTERNAL. Problem strings are copied into the arena A.
 *
 * Functions ending in _tx run inside the caller's write transaction. When
 * they return SOUK_E_UNAVAILABLE the caller's transaction must be run again:
 * a souk_store_run body returns the error as it is, a souk_store_tx body
 * returns SOUK_DB_SOFT (souk_inventory_tx_status does that mapping). Any
 * other error means: roll back. The functions without _tx run their own
 * transaction (souk_store_run: retried while the failure is transient) and
 * must not be called inside one.
 *
 * Published read model: the table variant_availability (variant_id,
 * available) — the total available of a variant over all warehouses,
 * rewritten in the same transaction as every stock change; a variant without
 * a row has nothing available. Other contexts may read it in their SQL (the
 * catalog's in_stock filter and product detail join it on their hot paths);
 * it is the only inventory table anyone else names, and nobody else writes
 * it. The inventory in turn knows variants only through catalog/catalog.h
 * (existence, the active-variant pages of souk_inventory_fill) and names no
 * catalog table.
 */
#ifndef SOUK_INVENTORY_H
#define SOUK_INVENTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "store/store.h"

/* ---- limits (also in the OpenAPI document) ---- */
#define SOUK_INVENTORY_CODE_MAX 32                 /* warehouse code: [A-Za-z0-9_-], 1..32 characters */
#define SOUK_INVENTORY_NAME_MAX 200                /* warehouse name, characters */
#define SOUK_INVENTORY_REASON_MAX 200              /* adjustment reason, characters */
#define SOUK_INVENTORY_REFERENCE_MAX 200           /* reservation reference, bytes */
#define SOUK_INVENTORY_QTY_MAX INT64_C(1000000000) /* on_hand, |delta|, threshold, line quantity */
#define SOUK_INVENTORY_LINES_MAX 100               /* lines per reservation */
#define SOUK_INVENTORY_WAREHOUSES_MAX 1000         /* warehouses that may exist (the list is one page) */
#define SOUK_INVENTORY_HISTORY_MAX 100             /* largest page of adjustments */
#define SOUK_INVENTORY_TTL_DEFAULT_US (INT64_C(15) * 60 * 1000000) /* reservation lifetime */
#define SOUK_INVENTORY_TTL_MAX_US (INT64_C(24) * 3600 * 1000000)

/* Id prefixes in the API. */
#define SOUK_PREFIX_WAREHOUSE "wh"
#define SOUK_PREFIX_RESERVATION "res"
#define SOUK_PREFIX_ADJUSTMENT "adj"

/* ---- decoded inputs (specs shared by the HTTP layer and importers) ---- */
enum { SOUK_WF_CODE, SOUK_WF_NAME };
typedef struct souk_warehouse_in {
    const char *code, *name;
    uint64_t present, nulls;
} souk_warehouse_in;

enum { SOUK_SF_ON_HAND, SOUK_SF_THRESHOLD, SOUK_SF_REASON };
typedef struct souk_stock_set_in {
    int64_t on_hand;
    int64_t low_stock_threshold; /* optional: unchanged when absent */
    const char *reason;
    uint64_t present, nulls;
} souk_stock_set_in;

enum { SOUK_AF_DELTA, SOUK_AF_REASON };
typedef struct souk_stock_adjust_in {
    int64_t delta; /* non-zero */
    const char *reason;
    uint64_t present, nulls;
} souk_stock_adjust_in;

extern const souk_json_spec souk_inventory_warehouse_create_spec, souk_inventory_warehouse_update_spec;
extern const souk_json_spec souk_inventory_stock_set_spec, souk_inventory_stock_adjust_spec;

/* Validators used by the specs; NULL when fine, else the message. */
const char *souk_inventory_check_code(const char *s, size_t len);
const char *souk_inventory_check_reason(const char *s, size_t len);

/* ---- warehouses ---- */
/* Creates a warehouse; *ID gets its id. CONFLICT (field "code") when the code
 * is taken, VALIDATION when SOUK_INVENTORY_WAREHOUSES_MAX exist already. */
souk_err souk_inventory_warehouse_create(souk_store *db, const souk_warehouse_in *in, souk_arena *a, souk_problems *pr,
                                         int64_t *id);

/* Applies the fields present in IN. NOT_FOUND, CONFLICT (code taken). */
souk_err souk_inventory_warehouse_update(souk_store *db, int64_t id, const souk_warehouse_in *in, souk_arena *a,
                                         souk_problems *pr);

/* {"id":"wh_…","code","name","created_at","updated_at"} (caller decrefs). */
souk_err souk_inventory_warehouse_get(souk_store *db, int64_t id, json_t **out);

/* {"data":[warehouse...]} ordered by code. */
souk_err souk_inventory_warehouses(souk_store *db, json_t **out);

/* ---- stock levels ---- */
typedef struct souk_stock_level {
    int64_t on_hand, reserved, available, low_stock_threshold, updated_at;
} souk_stock_level;

/* Sets on_hand of VARIANT in WAREHOUSE (creating the level at 0 first when
 * absent) and, when THRESHOLD >= 0, its low-stock threshold. The change
 * (new - old, when non-zero) is recorded in the history with REASON and
 * ACTOR ("usr_…", "key_…", "system"). NOT_FOUND (field "variant_id" or
 * "warehouse_id"), CONFLICT (field "on_hand") when ON_HAND is below the
 * reserved quantity. */
souk_err souk_inventory_stock_set(souk_store *db, int64_t variant, int64_t warehouse, int64_t on_hand,
                                  int64_t threshold, const char *reason, const char *actor, souk_arena *a,
                                  souk_problems *pr);

/* The same inside the caller's write transaction (bulk importers): errors as
 * above, and UNAVAILABLE when the caller must run its transaction again. An
 * ON_HAND equal to the stored one writes nothing but a missing level. */
souk_err souk_inventory_stock_set_tx(souk_store *db, int64_t variant, int64_t warehouse, int64_t on_hand,
                                     int64_t threshold, const char *reason, const char *actor, souk_arena *a,
                                     souk_problems *pr);

/* Adds DELTA (non-zero) to on_hand by a conditional update that keeps
 * on_hand >= reserved; records the adjustment (*ADJUSTMENT_ID, optional).
 * NOT_FOUND as above; CONFLICT (field "delta") when the result would fall
 * below the reserved quantity (or below zero). */
souk_err souk_inventory_stock_adjust(souk_store *db, int64_t variant, int64_t warehouse, int64_t delta,
                                     const char *reason, const char *actor, souk_arena *a, souk_problems *pr,
                                     int64_t *adjustment_id);

/* Gives every active variant (souk_catalog_active_variants) without a level
 * in WAREHOUSE one with EACH units on hand (every tenth variant, by id, none:
 * a store with some things out of stock), with "initial count" history and
 * availability, in one transaction. For `souk demo`; NOT for live stores (no
 * events are emitted per variant). VALIDATION for a bad EACH. */
souk_err souk_inventory_fill(souk_store *db, int64_t warehouse, int64_t each);

/* Sets the low-stock threshold (0 = none) of an existing or new level. */
souk_err souk_inventory_threshold_set(souk_store *db, int64_t variant, int64_t warehouse, int64_t threshold,
                                      souk_arena *a, souk_problems *pr);

/* The level of VARIANT in WAREHOUSE into *OUT. NOT_FOUND when there is none;
 * may be called inside a transaction. */
souk_err souk_inventory_level(souk_store *db, int64_t variant, int64_t warehouse, souk_stock_level *out);

/* Total available of VARIANT over all warehouses (0 when it has no stock),
 * from the derived variant_availability, into *AVAILABLE. SOUK_OK or a
 * database error (*AVAILABLE is then 0). */
souk_err souk_inventory_available(souk_store *db, int64_t variant, int64_t *available);

/* ---- the availability read model in memory (live.c) ----
 * What variant_availability holds, kept in memory for answers that show it
 * at every request (product detail fills it in at send time: core/live.h),
 * updated after each commit that changes it in this process and forgotten
 * when another process commits. */

/* Available of VARIANT now: from memory, else read on DB and remembered
 * (unless a change raced with the read). -1 on a database error. */
int64_t souk_inventory_available_now(souk_store *db, int64_t variant);

/* A core/live.h resolver for kind 'a' (CTX: the caller's souk_store *):
 * writes the available count of variant KEY. */
int souk_inventory_live_available(void *ctx, int64_t key, char *out, size_t cap);

/* Forgets every remembered value (another process committed). */
void souk_inventory_live_forget(void);

/* The souk_store_version name bumped whenever some variant's available
 * goes from zero to more or back (what the in_stock filter shows). */
#define SOUK_STOCK_STATE "stock_state"

/* Stock of VARIANT: {"variant_id","on_hand","reserved","available",
 * "warehouses":[{"warehouse":{"id","code","name"},"on_hand","reserved",
 * "available","low_stock_threshold","low_stock","updated_at"}]}.
 * NOT_FOUND when the variant does not exist. */
souk_err souk_inventory_stock_json(souk_store *db, int64_t variant, json_t **out);

/* One adjustment: {"id":"adj_…","variant_id","warehouse_id","delta",
 * "on_hand_after","reason","actor","reservation_id"|null,"created_at"}. */
souk_err souk_inventory_adjustment_json(souk_store *db, int64_t id, json_t **out);

/* History of VARIANT in WAREHOUSE, newest first: {"data":[adjustment...],
 * "next_cursor": string|null}. LIMIT 1..SOUK_INVENTORY_HISTORY_MAX; BEFORE
 * is the id after which the page starts (0 = from the newest). NOT_FOUND
 * when the variant or the warehouse does not exist. */
souk_err souk_inventory_adjustments_json(souk_store *db, int64_t variant, int64_t warehouse, int limit, int64_t before,
                                         json_t **out);

/* ---- reservations (checkout) ---- */
typedef struct souk_reservation_line {
    int64_t variant_id;
    int64_t quantity; /* 1..SOUK_INVENTORY_QTY_MAX */
} souk_reservation_line;

/* Reserves LINES[0..N) for REFERENCE (1..SOUK_INVENTORY_REFERENCE_MAX bytes,
 * e.g. a checkout id) until now + TTL_US (<= 0: the 15-minute default; at
 * most SOUK_INVENTORY_TTL_MAX_US), inside the caller's write transaction.
 * All or nothing: each line takes from the warehouse with the most available
 * first (ties: lower warehouse id), splitting across warehouses when one is
 * not enough, each take a conditional update. When any line cannot be
 * satisfied, everything this call reserved is undone (a savepoint) and
 * CONFLICT is returned with one problem per failing line ("lines[i]", with
 * the quantity that was available) — the caller maps it to 409 OUT_OF_STOCK.
 * VALIDATION for bad input (N outside 1..SOUK_INVENTORY_LINES_MAX, bad
 * quantity, reference). *RESERVATION_ID gets the new "res" id and
 * *EXPIRES_AT (optional) the time it lapses (µs, as stored). */
souk_err souk_inventory_reserve_tx(souk_store *db, const char *reference, const souk_reservation_line *lines, size_t n,
                                   int64_t ttl_us, int64_t *reservation_id, int64_t *expires_at, souk_arena *a,
                                   souk_problems *pr);

/* Gives an active reservation's stock back (reserved -= quantity per line)
 * and marks it released. Releasing a released or expired reservation is a
 * no-op (SOUK_OK); a consumed one is CONFLICT; an unknown one NOT_FOUND. */
souk_err souk_inventory_release_tx(souk_store *db, int64_t reservation_id);

/* Turns an active reservation into a sale: on_hand -= q and reserved -= q
 * per line, history reason "sold" (actor "system", reservation_id set), and
 * marks it consumed. A reservation whose deadline passed but which the
 * expiry job has not released yet is still active and may be consumed (its
 * stock is still held). CONFLICT when not active (consumed, released,
 * expired), NOT_FOUND when unknown. */
souk_err souk_inventory_consume_tx(souk_store *db, int64_t reservation_id);

/* Puts QUANTITY (1..SOUK_INVENTORY_QTY_MAX) of VARIANT back on hand after
 * a cancelled sale or a received return: into the warehouse the consumed
 * reservation RESERVATION_ID sold it from (the lowest warehouse id when it
 * took from several), recorded in the history with REASON and ACTOR.
 * NOT_FOUND when the reservation is not consumed or has no line for
 * VARIANT; VALIDATION for a bad quantity. */
souk_err souk_inventory_restock_tx(souk_store *db, int64_t reservation_id, int64_t variant, int64_t quantity,
                                   const char *reason, const char *actor);

/* State of a reservation into STATE ("active", "consumed", "released",
 * "expired"; STATELEN >= 9) and *EXPIRES_AT (optional). SOUK_OK, NOT_FOUND,
 * or a database error (UNAVAILABLE inside a transaction: retry it). */
souk_err souk_inventory_reservation_state(souk_store *db, int64_t reservation_id, char *state, size_t statelen,
                                          int64_t *expires_at);

/* Releases up to MAX active reservations whose expires_at <= NOW_US, oldest
 * deadline first, each in its own transaction (state "expired"). Returns how
 * many it released, or a negative souk_db_status when the database failed
 * (those already released stay released). This is the body of the
 * scheduled expiry job. Not for use inside a transaction. */
int souk_inventory_expire_due(souk_store *db, int64_t now_us, int max);

/* Maps a souk_err from a _tx function to what a souk_store_tx body returns:
 * 0 for SOUK_OK, SOUK_DB_SOFT for SOUK_E_UNAVAILABLE (retry), else -1000 - E. */
static inline int souk_inventory_tx_status(souk_err e)
{
    return souk_store_err_status(e);
}

#endif
