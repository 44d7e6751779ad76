/*
 * stock.c — stock levels: set on_hand, adjust by a delta, low-stock
 * thresholds, and the bookkeeping after every change (the derived
 * variant_availability and the emission points for domain events).
 *
 * Every write is a conditional UPDATE that carries its own guard
 * ("... AND on_hand + $d >= reserved") and is checked with
 * souk_store_changes() == 1: the guard is evaluated by the database against
 * the row as it is at that moment, so it holds under any interleaving, also
 * on PostgreSQL under READ COMMITTED. The CHECK constraints of stock_levels
 * are the backstop (a violation is a CONSTRAINT error, never a negative row).
 */
#include "inventory/internal.h"

#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "events/events.h"
#include "core/banned.h"

json_t *souk__inventory_id(const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    return json_string(souk_id_format(prefix, id, buf));
}

json_t *souk__inventory_time(int64_t us)
{
    char buf[SOUK_RFC3339_LEN];
    return json_string(souk_time_format(us, buf));
}

int souk__inventory_variant_exists(souk_store *db, int64_t variant)
{
    int64_t product;
    souk_err e = souk_catalog_variant_product(db, variant, &product);
    return e == SOUK_OK ? 1 : e == SOUK_E_NOT_FOUND ? 0 : SOUK_DB_HARD;
}

int souk__inventory_warehouse_exists(souk_store *db, int64_t warehouse)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT 1 FROM warehouses WHERE id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, warehouse);
    int r = souk_stmt_step(st);
    if (r == SOUK_DB_ROW) {
        souk_stmt_done(st);
        return 1;
    }
    return r;
}

/* ---- emission points ----------------------------------------------------
 * Each runs inside the transaction that changed the stock, so the event
 * and the change commit together (the outbox, src/events). */

/* stock.changed, aggregate "var_…": {"variant_id","warehouse_id","on_hand",
 * "reserved","available","reason"}. Returns 0 or a negative souk_db_status. */
static int emit_stock_changed(souk_store *db, int64_t variant, int64_t warehouse, int64_t on_hand, int64_t reserved,
                              const char *reason)
{
    char vid[SOUK_ID_TEXT_MAX], wid[SOUK_ID_TEXT_MAX];
    souk_id_format("var", variant, vid);
    return souk_event_emit_tx(db, "stock.changed", vid,
                              json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "variant_id", vid, "warehouse_id",
                                        souk_id_format("wh", warehouse, wid), "on_hand", (json_int_t)on_hand, "reserved",
                                        (json_int_t)reserved, "available", (json_int_t)(on_hand - reserved), "reason",
                                        reason));
}

/* inventory.low_stock, aggregate "var_…": {"variant_id","warehouse_id",
 * "available","threshold"} — emitted once per crossing from at-or-above the
 * threshold to below it. Returns 0 or a negative souk_db_status. */
static int emit_low_stock(souk_store *db, int64_t variant, int64_t warehouse, int64_t available, int64_t threshold)
{
    char vid[SOUK_ID_TEXT_MAX], wid[SOUK_ID_TEXT_MAX];
    souk_id_format("var", variant, vid);
    return souk_event_emit_tx(db, "inventory.low_stock", vid,
                              json_pack("{s:s,s:s,s:I,s:I}", "variant_id", vid, "warehouse_id",
                                        souk_id_format("wh", warehouse, wid), "available", (json_int_t)available,
                                        "threshold", (json_int_t)threshold));
}

souk_err souk__inventory_changed(souk_store *db, int64_t variant, int64_t warehouse, int64_t avail_delta,
                                 const char *reason)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT on_hand, reserved, low_stock_threshold FROM stock_levels "
                                        "WHERE variant_id = $1 AND warehouse_id = $2");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, variant);
    souk_stmt_bind_i64(st, 2, warehouse);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk__inventory_dberr(r);
    int64_t on_hand = souk_stmt_i64(st, 0), reserved = souk_stmt_i64(st, 1), threshold = souk_stmt_i64(st, 2);
    souk_stmt_done(st);

    if (avail_delta == 0) /* a sale of reserved stock: available, all the catalog shows, is unchanged */
        return souk__inventory_dberr(emit_stock_changed(db, variant, warehouse, on_hand, reserved, reason));
    st = souk_store_stmt(db, "INSERT INTO variant_availability (variant_id, available) "
                             "SELECT $1, coalesce(sum(on_hand - reserved), 0) FROM stock_levels WHERE variant_id = $1 "
                             "ON CONFLICT (variant_id) DO UPDATE SET available = excluded.available");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, variant);
    if ((r = souk_stmt_exec(st)) < 0)
        return souk__inventory_dberr(r);

    if ((r = emit_stock_changed(db, variant, warehouse, on_hand, reserved, reason)) < 0)
        return souk__inventory_dberr(r);
    /* availability shows in product detail and the in_stock filter */
    if ((r = souk_store_touch(db, SOUK_CONTENT)) < 0)
        return souk__inventory_dberr(r);
    int64_t after = on_hand - reserved, before = after - avail_delta;
    if (threshold > 0 && before >= threshold && after < threshold &&
        (r = emit_low_stock(db, variant, warehouse, after, threshold)) < 0)
        return souk__inventory_dberr(r);
    return SOUK_OK;
}

/* ---- writes ---------------------------------------------------------------- */

/* Checks that VARIANT and WAREHOUSE exist (NOT_FOUND with the field). */
static souk_err check_refs(souk_store *db, int64_t variant, int64_t warehouse, souk_arena *a, souk_problems *pr)
{
    int r = souk__inventory_variant_exists(db, variant);
    if (r < 0)
        return souk__inventory_dberr(r);
    if (r == 0) {
        souk_problems_add(pr, a, "variant_id", "no such variant");
        return SOUK_E_NOT_FOUND;
    }
    if ((r = souk__inventory_warehouse_exists(db, warehouse)) < 0)
        return souk__inventory_dberr(r);
    if (r == 0) {
        souk_problems_add(pr, a, "warehouse_id", "no such warehouse");
        return SOUK_E_NOT_FOUND;
    }
    return SOUK_OK;
}

/* Creates the level at zero when it does not exist yet. */
static souk_err ensure_level(souk_store *db, int64_t variant, int64_t warehouse, int64_t now)
{
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO stock_levels (variant_id, warehouse_id, updated_at) "
                                        "VALUES ($1, $2, $3) ON CONFLICT (variant_id, warehouse_id) DO NOTHING");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, variant);
    souk_stmt_bind_i64(st, 2, warehouse);
    souk_stmt_bind_i64(st, 3, now);
    return souk__inventory_dberr(souk_stmt_exec(st));
}

souk_err souk__inventory_record(souk_store *db, int64_t variant, int64_t warehouse, int64_t delta, int64_t on_hand_after,
                       const char *reason, const char *actor, int64_t reservation, int64_t now, int64_t *id)
{
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO stock_adjustments (id, variant_id, warehouse_id, delta, "
                                        "on_hand_after, reason, actor, reservation_id, created_at) "
                                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
    if (!st)
        return SOUK_E_INTERNAL;
    int64_t adj = souk_id_next();
    souk_stmt_bind_i64(st, 1, adj);
    souk_stmt_bind_i64(st, 2, variant);
    souk_stmt_bind_i64(st, 3, warehouse);
    souk_stmt_bind_i64(st, 4, delta);
    souk_stmt_bind_i64(st, 5, on_hand_after);
    souk_stmt_bind_text(st, 6, reason, SIZE_MAX);
    souk_stmt_bind_text(st, 7, actor ? actor : "", SIZE_MAX);
    if (reservation)
        souk_stmt_bind_i64(st, 8, reservation);
    else
        souk_stmt_bind_null(st, 8);
    souk_stmt_bind_i64(st, 9, now);
    int r = souk_stmt_exec(st);
    if (r < 0)
        return souk__inventory_dberr(r);
    if (id)
        *id = adj;
    return SOUK_OK;
}

static souk_err read_level(souk_store *db, int64_t variant, int64_t warehouse, souk_stock_level *out)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT on_hand, reserved, low_stock_threshold, updated_at FROM stock_levels "
                                        "WHERE variant_id = $1 AND warehouse_id = $2");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, variant);
    souk_stmt_bind_i64(st, 2, warehouse);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk__inventory_dberr(r);
    out->on_hand = souk_stmt_i64(st, 0);
    out->reserved = souk_stmt_i64(st, 1);
    out->available = out->on_hand - out->reserved;
    out->low_stock_threshold = souk_stmt_i64(st, 2);
    out->updated_at = souk_stmt_i64(st, 3);
    souk_stmt_done(st);
    return SOUK_OK;
}

typedef struct write_ctx {
    int64_t variant, warehouse, value, threshold;
    const char *reason, *actor;
    souk_arena *a;
    souk_problems *pr;
    int64_t adjustment;
} write_ctx;

/* Adds DELTA to on_hand under the guard on_hand + DELTA >= reserved. */
static souk_err apply_delta(souk_store *db, write_ctx *c, int64_t delta, int64_t now, const char *field)
{
    souk_stmt *st = souk_store_stmt(db, "UPDATE stock_levels SET on_hand = on_hand + $3, updated_at = $4 "
                                        "WHERE variant_id = $1 AND warehouse_id = $2 AND on_hand + $3 >= reserved");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, c->variant);
    souk_stmt_bind_i64(st, 2, c->warehouse);
    souk_stmt_bind_i64(st, 3, delta);
    souk_stmt_bind_i64(st, 4, now);
    int r = souk_stmt_exec(st);
    if (r < 0)
        return souk__inventory_dberr(r);
    bool applied = souk_store_changes(db) == 1;
    souk_stock_level lv;
    souk_err e = read_level(db, c->variant, c->warehouse, &lv);
    if (e)
        return e == SOUK_E_NOT_FOUND ? SOUK_E_INTERNAL : e;
    if (!applied) {
        souk_problems_add(c->pr, c->a, field, "on hand may not fall below the reserved quantity (%lld reserved, %lld on hand)",
                          (long long)lv.reserved, (long long)lv.on_hand);
        return SOUK_E_CONFLICT;
    }
    if ((e = souk__inventory_record(db, c->variant, c->warehouse, delta, lv.on_hand, c->reason, c->actor, 0, now, &c->adjustment)))
        return e;
    return souk__inventory_changed(db, c->variant, c->warehouse, delta, "adjustment");
}

static souk_err set_threshold(souk_store *db, write_ctx *c, int64_t now)
{
    souk_stmt *st = souk_store_stmt(db, "UPDATE stock_levels SET low_stock_threshold = $3, updated_at = $4 "
                                        "WHERE variant_id = $1 AND warehouse_id = $2");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, c->variant);
    souk_stmt_bind_i64(st, 2, c->warehouse);
    souk_stmt_bind_i64(st, 3, c->threshold);
    souk_stmt_bind_i64(st, 4, now);
    return souk__inventory_dberr(souk_stmt_exec(st));
}

static souk_err set_tx(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    int64_t now = souk_time_now_us();
    souk_err e = check_refs(db, c->variant, c->warehouse, c->a, c->pr);
    if (e || (e = ensure_level(db, c->variant, c->warehouse, now)))
        return e;
    if (c->threshold >= 0 && (e = set_threshold(db, c, now)))
        return e;
    souk_stock_level lv;
    if ((e = read_level(db, c->variant, c->warehouse, &lv)))
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

souk_err souk_inventory_stock_set(souk_store *db, int64_t variant, int64_t warehouse, int64_t on_hand,
                                  int64_t threshold, const char *reason, const char *actor, souk_arena *a,
                                  souk_problems *pr)
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
    write_ctx c = {variant, warehouse, on_hand, threshold, reason, actor, a, pr, 0};
    return souk__inventory_run(db, set_tx, &c, pr);
}

static souk_err adjust_tx(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    int64_t now = souk_time_now_us();
    souk_err e = check_refs(db, c->variant, c->warehouse, c->a, c->pr);
    if (e || (e = ensure_level(db, c->variant, c->warehouse, now)))
        return e;
    souk_stock_level lv;
    if ((e = read_level(db, c->variant, c->warehouse, &lv)))
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
    souk_err e = souk__inventory_run(db, adjust_tx, &c, pr);
    if (!e && adjustment_id)
        *adjustment_id = c.adjustment;
    return e;
}

static souk_err threshold_tx(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    int64_t now = souk_time_now_us();
    souk_err e = check_refs(db, c->variant, c->warehouse, c->a, c->pr);
    if (e || (e = ensure_level(db, c->variant, c->warehouse, now)))
        return e;
    return set_threshold(db, c, now);
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
    return souk__inventory_run(db, threshold_tx, &c, pr);
}

/* ---- reads ----------------------------------------------------------------- */

souk_err souk_inventory_level(souk_store *db, int64_t variant, int64_t warehouse, souk_stock_level *out)
{
    souk_err e = read_level(db, variant, warehouse, out);
    return e == SOUK_E_UNAVAILABLE ? SOUK_E_INTERNAL : e;
}

souk_err souk_inventory_available(souk_store *db, int64_t variant, int64_t *available)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT available FROM variant_availability WHERE variant_id = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, variant);
    int r = souk_stmt_step(st);
    if (r < 0)
        return SOUK_E_INTERNAL;
    *available = r == SOUK_DB_ROW ? souk_stmt_i64(st, 0) : 0;
    if (r == SOUK_DB_ROW)
        souk_stmt_done(st);
    return SOUK_OK;
}

/* the demo's stock: EACH units, none for every tenth variant (by id). The
 * history rows take small ids from SQLite (max + 1): fine on the demo's
 * empty history, which is why this is not for live stores */
static souk_err fill_tx(souk_store *db, void *arg)
{
    const int64_t *p = arg; /* {warehouse, each} */
    int64_t now = souk_time_now_us();
    static const char *const steps[] = {
        "INSERT INTO stock_levels (variant_id, warehouse_id, on_hand, updated_at) "
        "SELECT v.id, $1, CASE WHEN v.id % 10 = 9 THEN 0 ELSE $2 END, $3 FROM variants v "
        "WHERE v.status = 'active' AND NOT EXISTS (SELECT 1 FROM stock_levels l WHERE l.variant_id = v.id "
        "AND l.warehouse_id = $1)",
        "INSERT INTO stock_adjustments (id, variant_id, warehouse_id, delta, on_hand_after, reason, actor, created_at) "
        "SELECT NULL, l.variant_id, l.warehouse_id, l.on_hand, l.on_hand, 'initial count', 'system', $3 "
        "FROM stock_levels l WHERE l.warehouse_id = $1 AND l.updated_at = $3 AND l.on_hand > 0 AND $2 = $2",
        "INSERT INTO variant_availability (variant_id, available) SELECT variant_id, sum(on_hand - reserved) "
        "FROM stock_levels WHERE variant_id IN (SELECT variant_id FROM stock_levels WHERE warehouse_id = $1 "
        "AND updated_at = $3) AND $2 = $2 GROUP BY variant_id "
        "ON CONFLICT (variant_id) DO UPDATE SET available = excluded.available",
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        souk_stmt *st = souk_store_stmt(db, steps[i]);
        if (!st)
            return SOUK_E_INTERNAL;
        souk_stmt_bind_i64(st, 1, p[0]);
        souk_stmt_bind_i64(st, 2, p[1]);
        souk_stmt_bind_i64(st, 3, now);
        int r = souk_stmt_exec(st);
        if (r < 0)
            return souk__inventory_dberr(r);
    }
    return souk_store_touch(db, SOUK_CONTENT) < 0 ? SOUK_E_INTERNAL : SOUK_OK;
}

souk_err souk_inventory_fill(souk_store *db, int64_t warehouse, int64_t each)
{
    if (each < 0 || each > SOUK_INVENTORY_QTY_MAX)
        return SOUK_E_VALIDATION;
    int64_t p[2] = {warehouse, each};
    return souk__inventory_run(db, fill_tx, p, NULL);
}
