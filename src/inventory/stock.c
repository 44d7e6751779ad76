/*
 * stock.c — stock levels: set on_hand, adjust by a delta, low-stock
 * thresholds, and the bookkeeping after every change (the derived
 * variant_availability and the emission points for domain events).
 *
 * Every write is a conditional UPDATE that carries its own guard
 * ("... AND on_hand + $d >= reserved") and is checked by the number of rows
 * it changed: the guard is evaluated by the database against the row as it
 * is at that moment, so it holds under any interleaving, also on PostgreSQL
 * under READ COMMITTED. The CHECK constraints of stock_levels are the
 * backstop (a violation is a CONSTRAINT error, never a negative row).
 */
#include "inventory/internal.h"

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/time.h"
#include "events/events.h"
#include "core/banned.h"

int souk__inventory_variant_exists(souk_store *db, int64_t variant)
{
    int64_t product;
    souk_err e = souk_catalog_variant_product(db, variant, &product);
    return e == SOUK_OK ? 1 : e == SOUK_E_NOT_FOUND ? 0 : e == SOUK_E_UNAVAILABLE ? SOUK_DB_SOFT : SOUK_DB_HARD;
}

int souk__inventory_warehouse_exists(souk_store *db, int64_t warehouse)
{
    int r = souk_store_one(db, "SELECT 1 FROM warehouses WHERE id = $1", SOUK_ARGS(SOUK_I64(warehouse)), NULL);
    return r == SOUK_DB_ROW ? 1 : r;
}

souk_err souk__inventory_read_level(souk_store *db, int64_t variant, int64_t warehouse, souk_stock_level *out)
{
    int r = souk_store_one(db,
                           "SELECT on_hand, reserved, low_stock_threshold, updated_at FROM stock_levels "
                           "WHERE variant_id = $1 AND warehouse_id = $2",
                           SOUK_ARGS(SOUK_I64(variant), SOUK_I64(warehouse)),
                           SOUK_COLS(SOUK_COL_I64(&out->on_hand), SOUK_COL_I64(&out->reserved),
                                     SOUK_COL_I64(&out->low_stock_threshold), SOUK_COL_I64(&out->updated_at)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
    out->available = out->on_hand - out->reserved;
    return SOUK_OK;
}

int souk__inventory_refresh_availability(souk_store *db, int64_t variant, int64_t delta, bool follow)
{
    int64_t now = 0;
    /* written, then read (SQLite runs RETURNING through a temporary table:
     * twice the cost of the two statements) */
    int r = souk_store_exec(db,
                            "INSERT INTO variant_availability (variant_id, available) "
                            "SELECT $1, coalesce(sum(on_hand - reserved), 0) FROM stock_levels WHERE variant_id = $1 "
                            "ON CONFLICT (variant_id) DO UPDATE SET available = excluded.available",
                            SOUK_ARGS(SOUK_I64(variant)));
    if (r >= 0)
        r = souk_store_one(db, "SELECT available FROM variant_availability WHERE variant_id = $1",
                           SOUK_ARGS(SOUK_I64(variant)), SOUK_COLS(SOUK_COL_I64(&now)));
    if (r == SOUK_DB_DONE)
        r = SOUK_DB_HARD; /* just written */
    if (r < 0)
        return r;
    /* what product detail shows follows in memory once this commits; what
     * the in_stock filter shows changes only when the variant sells out or
     * comes back, and only then do cached lists filtered by it go */
    int64_t live[2] = {variant, now};
    if (follow && souk_store_after_commit(db, souk__inventory_live_set, live, sizeof live) < 0)
        return SOUK_DB_HARD;
    int64_t before = now - delta; /* the variant's total before this change of one of its levels */
    if ((before > 0) != (now > 0) && (r = souk_store_touch(db, SOUK_STOCK_STATE)) < 0)
        return r;
    return SOUK_DB_DONE;
}

/* ---- emission points ----------------------------------------------------
 * Each runs inside the transaction that changed the stock, so the event
 * and the change commit together (the outbox, src/events). */

/* stock.changed, aggregate "var_…": {"variant_id","warehouse_id","on_hand",
 * "reserved","available","reason"}. Returns 0 or a negative souk_db_status. */
static int emit_stock_changed(souk_store *db, int64_t variant, int64_t warehouse, const souk_stock_level *lv,
                              const char *reason)
{
    char vid[SOUK_ID_TEXT_MAX], wid[SOUK_ID_TEXT_MAX], text[256];
    souk_id_format(SOUK_PREFIX_VARIANT, variant, vid);
    souk_id_format(SOUK_PREFIX_WAREHOUSE, warehouse, wid);
    /* on every reservation and sale: printed, not built and serialized */
    int n = souk_event_plain(reason)
                ? snprintf(text, sizeof text,
                           "{\"variant_id\":\"%s\",\"warehouse_id\":\"%s\",\"on_hand\":%lld,\"reserved\":%lld,"
                           "\"available\":%lld,\"reason\":\"%s\"}",
                           vid, wid, (long long)lv->on_hand, (long long)lv->reserved, (long long)lv->available, reason)
                : -1;
    if (n > 0 && (size_t)n < sizeof text)
        return souk_event_emit_text_tx(db, "stock.changed", vid, text, (size_t)n);
    return souk_event_emit_tx(db, "stock.changed", vid,
                              json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "variant_id", vid, "warehouse_id",
                                        souk_id_format(SOUK_PREFIX_WAREHOUSE, warehouse, wid), "on_hand",
                                        (json_int_t)lv->on_hand, "reserved", (json_int_t)lv->reserved, "available",
                                        (json_int_t)lv->available, "reason", reason));
}

/* inventory.low_stock, aggregate "var_…": {"variant_id","warehouse_id",
 * "available","threshold"} — emitted once per crossing from at-or-above the
 * threshold to below it. Returns 0 or a negative souk_db_status. */
static int emit_low_stock(souk_store *db, int64_t variant, int64_t warehouse, const souk_stock_level *lv)
{
    char vid[SOUK_ID_TEXT_MAX], wid[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_VARIANT, variant, vid);
    return souk_event_emit_tx(db, "inventory.low_stock", vid,
                              json_pack("{s:s,s:s,s:I,s:I}", "variant_id", vid, "warehouse_id",
                                        souk_id_format(SOUK_PREFIX_WAREHOUSE, warehouse, wid), "available",
                                        (json_int_t)lv->available, "threshold", (json_int_t)lv->low_stock_threshold));
}

souk_err souk__inventory_changed_to(souk_store *db, int64_t variant, int64_t warehouse, const souk_stock_level *lv,
                                    int64_t avail_delta, const char *reason)
{
    if (avail_delta == 0) /* a sale of reserved stock: available, all the catalog shows, is unchanged */
        return souk_store_dberr(emit_stock_changed(db, variant, warehouse, lv, reason));
    int r = souk__inventory_refresh_availability(db, variant, avail_delta, true);
    if (r >= 0)
        r = emit_stock_changed(db, variant, warehouse, lv, reason);
    int64_t before = lv->available - avail_delta, threshold = lv->low_stock_threshold;
    if (r >= 0 && threshold > 0 && before >= threshold && lv->available < threshold)
        r = emit_low_stock(db, variant, warehouse, lv);
    return souk_store_dberr(r);
}

souk_err souk__inventory_changed(souk_store *db, int64_t variant, int64_t warehouse, int64_t avail_delta,
                                 const char *reason)
{
    souk_stock_level lv;
    souk_err e = souk__inventory_read_level(db, variant, warehouse, &lv);
    if (e)
        return e == SOUK_E_NOT_FOUND ? SOUK_E_INTERNAL : e;
    return souk__inventory_changed_to(db, variant, warehouse, &lv, avail_delta, reason);
}

/* ---- writes ---------------------------------------------------------------- */

/* Checks that VARIANT and WAREHOUSE exist (NOT_FOUND with the field). */
static souk_err check_refs(souk_store *db, int64_t variant, int64_t warehouse, souk_arena *a, souk_problems *pr)
{
    int r = souk__inventory_variant_exists(db, variant);
    if (r < 0)
        return souk_store_dberr(r);
    if (r == 0) {
        souk_problems_add(pr, a, "variant_id", "no such variant");
        return SOUK_E_NOT_FOUND;
    }
    if ((r = souk__inventory_warehouse_exists(db, warehouse)) < 0)
        return souk_store_dberr(r);
    if (r == 0) {
        souk_problems_add(pr, a, "warehouse_id", "no such warehouse");
        return SOUK_E_NOT_FOUND;
    }
    return SOUK_OK;
}

/* Checks both references and creates the level at zero when it does not
 * exist yet. */
static souk_err ensure_level(souk_store *db, int64_t variant, int64_t warehouse, int64_t now, souk_arena *a,
                             souk_problems *pr)
{
    souk_err e = check_refs(db, variant, warehouse, a, pr);
    if (e)
        return e;
    return souk_store_dberr(souk_store_exec(db,
                                            "INSERT INTO stock_levels (variant_id, warehouse_id, updated_at) "
                                            "VALUES ($1, $2, $3) ON CONFLICT (variant_id, warehouse_id) DO NOTHING",
                                            SOUK_ARGS(SOUK_I64(variant), SOUK_I64(warehouse), SOUK_I64(now))));
}

souk_err souk__inventory_record(souk_store *db, int64_t variant, int64_t warehouse, int64_t delta,
                                int64_t on_hand_after, const char *reason, const char *actor, int64_t reservation,
                                int64_t now, int64_t *id)
{
    int64_t adj = souk_id_next();
    int r = souk_store_exec(db,
                            "INSERT INTO stock_adjustments (id, variant_id, warehouse_id, delta, "
                            "on_hand_after, reason, actor, reservation_id, created_at) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                            SOUK_ARGS(SOUK_I64(adj), SOUK_I64(variant), SOUK_I64(warehouse), SOUK_I64(delta),
                                      SOUK_I64(on_hand_after), SOUK_TEXT(reason), SOUK_TEXT(actor ? actor : ""),
                                      SOUK_REF(reservation), SOUK_I64(now)));
    if (r < 0)
        return souk_store_dberr(r);
    if (id)
        *id = adj;
    return SOUK_OK;
}

typedef struct write_ctx {
    int64_t variant, warehouse, value, threshold;
    const char *reason, *actor;
    souk_arena *a;
    souk_problems *pr;
    int64_t adjustment; /* out: the history row */
} write_ctx;

/* Adds DELTA to on_hand under the guard on_hand + DELTA >= reserved. */
static souk_err apply_delta(souk_store *db, write_ctx *c, int64_t delta, int64_t now, const char *field)
{
    int64_t n =
        souk_store_update(db,
                          "UPDATE stock_levels SET on_hand = on_hand + $3, updated_at = $4 "
                          "WHERE variant_id = $1 AND warehouse_id = $2 AND on_hand + $3 >= reserved",
                          SOUK_ARGS(SOUK_I64(c->variant), SOUK_I64(c->warehouse), SOUK_I64(delta), SOUK_I64(now)));
    if (n < 0)
        return souk_store_dberr((int)n);
    souk_stock_level lv;
    souk_err e = souk__inventory_read_level(db, c->variant, c->warehouse, &lv);
    if (e)
        return e == SOUK_E_NOT_FOUND ? SOUK_E_INTERNAL : e;
    if (n != 1) {
        souk_problems_add(c->pr, c->a, field,
                          "on hand may not fall below the reserved quantity (%lld reserved, %lld on hand)",
                          (long long)lv.reserved, (long long)lv.on_hand);
        return SOUK_E_CONFLICT;
    }
    if ((e = souk__inventory_record(db, c->variant, c->warehouse, delta, lv.on_hand, c->reason, c->actor, 0, now,
                                    &c->adjustment)))
        return e;
    return souk__inventory_changed(db, c->variant, c->warehouse, delta, "adjustment");
}

static souk_err set_threshold(souk_store *db, const write_ctx *c, int64_t now)
{
    return souk_store_dberr(souk_store_exec(
        db,
        "UPDATE stock_levels SET low_stock_threshold = $3, updated_at = $4 "
        "WHERE variant_id = $1 AND warehouse_id = $2",
        SOUK_ARGS(SOUK_I64(c->variant), SOUK_I64(c->warehouse), SOUK_I64(c->threshold), SOUK_I64(now))));
}

static souk_err set_body(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    int64_t now = souk_time_now_us();
    souk_err e = ensure_level(db, c->variant, c->warehouse, now, c->a, c->pr);
    if (e || (c->threshold >= 0 && (e = set_threshold(db, c, now))))
        return e;
    souk_stock_level lv;
    if ((e = souk__inventory_read_level(db, c->variant, c->warehouse, &lv)))
        return e == SOUK_E_NOT_FOUND ? SOUK_E_INTERNAL : e;
    if (c->value < lv.reserved) {
        souk_problems_add(c->pr, c->a, "on_hand", "must be at least the reserved quantity (%lld)",
                          (long long)lv.reserved);
        return SOUK_E_CONFLICT;
    }
    if (c->value == lv.on_hand)
        return SOUK_OK;
    /* the difference, applied under the same guard as an adjustment */
    return apply_delta(db, c, c->value - lv.on_hand, now, "on_hand");
}

/* the checks of a set, before any transaction: SOUK_OK or VALIDATION */
static souk_err check_set(int64_t on_hand, int64_t threshold, const char *reason, souk_arena *a, souk_problems *pr)
{
    if (on_hand < 0 || on_hand > SOUK_INVENTORY_QTY_MAX) {
        souk_problems_add(pr, a, "on_hand", "must be an integer from 0 to %lld", (long long)SOUK_INVENTORY_QTY_MAX);
        return SOUK_E_VALIDATION;
    }
    if (threshold > SOUK_INVENTORY_QTY_MAX) {
        souk_problems_add(pr, a, "low_stock_threshold", "must be at most %lld", (long long)SOUK_INVENTORY_QTY_MAX);
        return SOUK_E_VALIDATION;
    }
    if (!reason || !*reason) {
        souk_problems_add(pr, a, "reason", "is required");
        return SOUK_E_VALIDATION;
    }
    return SOUK_OK;
}

souk_err souk_inventory_stock_set(souk_store *db, int64_t variant, int64_t warehouse, int64_t on_hand,
                                  int64_t threshold, const char *reason, const char *actor, souk_arena *a,
                                  souk_problems *pr)
{
    souk_err e = check_set(on_hand, threshold, reason, a, pr);
    if (e)
        return e;
    write_ctx c = {variant, warehouse, on_hand, threshold, reason, actor, a, pr, 0};
    return souk_store_run(db, set_body, &c, pr);
}

souk_err souk_inventory_stock_set_tx(souk_store *db, int64_t variant, int64_t warehouse, int64_t on_hand,
                                     int64_t threshold, const char *reason, const char *actor, souk_arena *a,
                                     souk_problems *pr)
{
    souk_err e = check_set(on_hand, threshold, reason, a, pr);
    if (e)
        return e;
    write_ctx c = {variant, warehouse, on_hand, threshold, reason, actor, a, pr, 0};
    return set_body(db, &c);
}

static souk_err adjust_body(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    int64_t now = souk_time_now_us();
    souk_err e = ensure_level(db, c->variant, c->warehouse, now, c->a, c->pr);
    if (e)
        return e;
    souk_stock_level lv;
    if ((e = souk__inventory_read_level(db, c->variant, c->warehouse, &lv)))
        return e == SOUK_E_NOT_FOUND ? SOUK_E_INTERNAL : e;
    if (lv.on_hand + c->value > SOUK_INVENTORY_QTY_MAX) {
        souk_problems_add(c->pr, c->a, "delta", "on hand may not exceed %lld", (long long)SOUK_INVENTORY_QTY_MAX);
        return SOUK_E_VALIDATION;
    }
    return apply_delta(db, c, c->value, now, "delta");
}

souk_err souk_inventory_stock_adjust(souk_store *db, int64_t variant, int64_t warehouse, int64_t delta,
                                     const char *reason, const char *actor, souk_arena *a, souk_problems *pr,
                                     int64_t *adjustment_id)
{
    if (delta == 0 || delta < -SOUK_INVENTORY_QTY_MAX || delta > SOUK_INVENTORY_QTY_MAX) {
        souk_problems_add(pr, a, "delta", "must be a non-zero integer from -%lld to %lld",
                          (long long)SOUK_INVENTORY_QTY_MAX, (long long)SOUK_INVENTORY_QTY_MAX);
        return SOUK_E_VALIDATION;
    }
    if (!reason || !*reason) {
        souk_problems_add(pr, a, "reason", "is required");
        return SOUK_E_VALIDATION;
    }
    write_ctx c = {variant, warehouse, delta, -1, reason, actor, a, pr, 0};
    souk_err e = souk_store_run(db, adjust_body, &c, pr);
    if (!e && adjustment_id)
        *adjustment_id = c.adjustment;
    return e;
}

static souk_err threshold_body(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    int64_t now = souk_time_now_us();
    souk_err e = ensure_level(db, c->variant, c->warehouse, now, c->a, c->pr);
    return e ? e : set_threshold(db, c, now);
}

souk_err souk_inventory_threshold_set(souk_store *db, int64_t variant, int64_t warehouse, int64_t threshold,
                                      souk_arena *a, souk_problems *pr)
{
    if (threshold < 0 || threshold > SOUK_INVENTORY_QTY_MAX) {
        souk_problems_add(pr, a, "low_stock_threshold", "must be an integer from 0 to %lld",
                          (long long)SOUK_INVENTORY_QTY_MAX);
        return SOUK_E_VALIDATION;
    }
    write_ctx c = {variant, warehouse, 0, threshold, NULL, NULL, a, pr, 0};
    return souk_store_run(db, threshold_body, &c, pr);
}

/* ---- reads ----------------------------------------------------------------- */

souk_err souk_inventory_level(souk_store *db, int64_t variant, int64_t warehouse, souk_stock_level *out)
{
    return souk__inventory_read_level(db, variant, warehouse, out);
}

souk_err souk_inventory_available(souk_store *db, int64_t variant, int64_t *available)
{
    *available = 0; /* no row: nothing available */
    int r = souk_store_one(db, "SELECT available FROM variant_availability WHERE variant_id = $1",
                           SOUK_ARGS(SOUK_I64(variant)), SOUK_COLS(SOUK_COL_I64(available)));
    return souk_store_dberr(r);
}
