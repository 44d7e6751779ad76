/*
 * reserve.c — reservations: stock held for a checkout until it is consumed
 * (the order is placed), released (the checkout is abandoned), or expires.
 *
 * Life cycle: active → consumed | released | expired; the last three are
 * final. While active, each line's quantity is counted in stock_levels.reserved
 * of the warehouse it was taken from, so available = on_hand - reserved
 * already excludes it.
 *
 * Allocation: for each line, repeatedly take min(remaining, available) from
 * the warehouse with the most available (ties: lower warehouse id) until the
 * line is covered or nothing is left. Each take is one conditional update
 *     UPDATE stock_levels SET reserved = reserved + $q
 *      WHERE variant_id = $v AND warehouse_id = $w AND on_hand - reserved >= $q
 * checked with changes() == 1. A take that loses a race (PostgreSQL under
 * READ COMMITTED: another transaction took the stock between our SELECT
 * and UPDATE) changes nothing and the loop looks again; on SQLite the write
 * lock taken at BEGIN IMMEDIATE means it cannot happen.
 *
 * All or nothing: the takes of one call run under a SAVEPOINT; when a line
 * cannot be covered the call rolls back to it, so nothing stays reserved
 * even if the caller went on to commit.
 */
#include "inventory/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bug.h"
#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

static souk_err exec_sql(souk_store *db, const char *sql)
{
    return souk_store_dberr(souk_store_exec(db, sql, NULL));
}

/* Adds Q of VARIANT from WAREHOUSE to RESERVATION's lines. */
static souk_err add_line(souk_store *db, int64_t reservation, int64_t variant, int64_t warehouse, int64_t q)
{
    return souk_store_dberr(
        souk_store_exec(db,
                        "INSERT INTO reservation_lines (reservation_id, variant_id, warehouse_id, "
                        "quantity) VALUES ($1, $2, $3, $4) "
                        "ON CONFLICT (reservation_id, variant_id, warehouse_id) "
                        "DO UPDATE SET quantity = reservation_lines.quantity + excluded.quantity",
                        SOUK_ARGS(SOUK_I64(reservation), SOUK_I64(variant), SOUK_I64(warehouse), SOUK_I64(q))));
}

/* Takes up to Q of VARIANT for RESERVATION; *TAKEN gets how much it got. */
static souk_err take_line(souk_store *db, int64_t reservation, int64_t variant, int64_t q, int64_t now, int64_t *taken)
{
    *taken = 0;
    /* each pass either covers the line, empties one warehouse, or loses a
     * race; the bound only guards against a broken invariant */
    for (int pass = 0; *taken < q && pass < 2 * SOUK_INVENTORY_WAREHOUSES_MAX + 8; pass++) {
        int64_t warehouse, avail;
        int r = souk_store_one(db,
                               "SELECT warehouse_id, on_hand - reserved FROM stock_levels "
                               "WHERE variant_id = $1 AND on_hand - reserved > 0 "
                               "ORDER BY on_hand - reserved DESC, warehouse_id LIMIT 1",
                               SOUK_ARGS(SOUK_I64(variant)), SOUK_COLS(SOUK_COL_I64(&warehouse), SOUK_COL_I64(&avail)));
        if (r != SOUK_DB_ROW)
            return souk_store_dberr(r); /* DONE: nothing left anywhere */
        int64_t want = q - *taken, n = avail < want ? avail : want;
        int64_t changed =
            souk_store_update(db,
                              "UPDATE stock_levels SET reserved = reserved + $3, updated_at = $4 "
                              "WHERE variant_id = $1 AND warehouse_id = $2 AND on_hand - reserved >= $3",
                              SOUK_ARGS(SOUK_I64(variant), SOUK_I64(warehouse), SOUK_I64(n), SOUK_I64(now)));
        if (changed < 0)
            return souk_store_dberr((int)changed);
        if (changed != 1)
            continue; /* lost a race: look again */
        souk_err e = add_line(db, reservation, variant, warehouse, n);
        if (e || (e = souk__inventory_changed(db, variant, warehouse, -n, "reserved")))
            return e;
        *taken += n;
    }
    return SOUK_OK;
}

#define SAVEPOINT_NAME "souk_inventory_reserve"

souk_err souk_inventory_reserve_tx(souk_store *db, const char *reference, const souk_reservation_line *lines, size_t n,
                                   int64_t ttl_us, int64_t *reservation_id, int64_t *expires_at, souk_arena *a,
                                   souk_problems *pr)
{
    size_t reflen = reference ? strlen(reference) : 0;
    if (reflen == 0 || reflen > SOUK_INVENTORY_REFERENCE_MAX)
        souk_problems_add(pr, a, "reference", "must be 1-%d bytes", SOUK_INVENTORY_REFERENCE_MAX);
    if (n == 0 || n > SOUK_INVENTORY_LINES_MAX || !lines)
        souk_problems_add(pr, a, "lines", "must hold 1 to %d lines", SOUK_INVENTORY_LINES_MAX);
    if (ttl_us > SOUK_INVENTORY_TTL_MAX_US)
        souk_problems_add(pr, a, "ttl", "must be at most 24 hours");
    for (size_t i = 0; lines && i < n && i < SOUK_INVENTORY_LINES_MAX; i++) {
        if (lines[i].variant_id <= 0)
            souk_problems_add(pr, a, souk_arena_printf(a, "lines[%zu].variant_id", i), "must be a variant id");
        if (lines[i].quantity < 1 || lines[i].quantity > SOUK_INVENTORY_QTY_MAX)
            souk_problems_add(pr, a, souk_arena_printf(a, "lines[%zu].quantity", i),
                              "must be an integer from 1 to %lld", (long long)SOUK_INVENTORY_QTY_MAX);
    }
    if (pr->count)
        return SOUK_E_VALIDATION;
    if (ttl_us <= 0)
        ttl_us = SOUK_INVENTORY_TTL_DEFAULT_US;

    souk_err e = exec_sql(db, "SAVEPOINT " SAVEPOINT_NAME);
    if (e)
        return e;
    int64_t now = souk_time_now_us(), id = souk_id_next();
    e = souk_store_dberr(
        souk_store_exec(db,
                        "INSERT INTO reservations (id, reference, state, expires_at, created_at, "
                        "updated_at) VALUES ($1, $2, 'active', $3, $4, $4)",
                        SOUK_ARGS(SOUK_I64(id), SOUK_TEXTN(reference, reflen), SOUK_I64(now + ttl_us), SOUK_I64(now))));
    bool short_line = false;
    for (size_t i = 0; !e && i < n; i++) {
        int64_t taken;
        if ((e = take_line(db, id, lines[i].variant_id, lines[i].quantity, now, &taken)))
            break;
        if (taken < lines[i].quantity) {
            /* keep checking the other lines so that every short one is named */
            short_line = true;
            souk_problems_add(pr, a, souk_arena_printf(a, "lines[%zu]", i), "only %lld available, %lld requested",
                              (long long)taken, (long long)lines[i].quantity);
        }
    }
    if (!e && short_line)
        e = SOUK_E_CONFLICT;
    if (!e) {
        if ((e = exec_sql(db, "RELEASE SAVEPOINT " SAVEPOINT_NAME)))
            return e;
        *reservation_id = id;
        if (expires_at)
            *expires_at = now + ttl_us;
        return SOUK_OK;
    }
    /* undo this call's takes; on a transient error the caller retries the
     * whole transaction anyway */
    if (exec_sql(db, "ROLLBACK TO SAVEPOINT " SAVEPOINT_NAME) || exec_sql(db, "RELEASE SAVEPOINT " SAVEPOINT_NAME))
        return e == SOUK_E_CONFLICT ? SOUK_E_INTERNAL : e;
    return e;
}

/* ---- release, consume, expire ------------------------------------------------ */

typedef struct line {
    int64_t variant, warehouse, quantity;
} line;

/* The lines of RESERVATION into a malloc'd array (*OUT, caller frees). */
static souk_err load_lines(souk_store *db, int64_t reservation, line **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT variant_id, warehouse_id, quantity FROM reservation_lines "
                                     "WHERE reservation_id = $1 ORDER BY variant_id, warehouse_id",
                                     SOUK_ARGS(SOUK_I64(reservation)));
    size_t cap = 0;
    line l;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&l.variant), SOUK_COL_I64(&l.warehouse),
                                             SOUK_COL_I64(&l.quantity)))) == SOUK_DB_ROW) {
        if (*count == cap) {
            line *bigger = realloc(*out, (cap = cap ? 2 * cap : 8) * sizeof *bigger);
            if (!bigger) {
                souk_stmt_done(st);
                r = SOUK_DB_HARD;
                break;
            }
            *out = bigger;
        }
        (*out)[(*count)++] = l;
    }
    if (r < 0) {
        free(*out);
        *out = NULL;
        *count = 0;
        return souk_store_dberr(r);
    }
    return SOUK_OK;
}

/* The state of RESERVATION into STATE and *EXPIRES (optional): SOUK_OK,
 * NOT_FOUND, or a database error. */
static souk_err read_state(souk_store *db, int64_t reservation, char *state, size_t statelen, int64_t *expires)
{
    char s[16] = "";
    int64_t due = 0;
    int r = souk_store_one(db, "SELECT state, expires_at FROM reservations WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(reservation)), SOUK_COLS(SOUK_COL_STR(s), SOUK_COL_I64(&due)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
    snprintf(state, statelen, "%s", s);
    if (expires)
        *expires = due;
    return SOUK_OK;
}

souk_err souk_inventory_reservation_state(souk_store *db, int64_t reservation_id, char *state, size_t statelen,
                                          int64_t *expires_at)
{
    return read_state(db, reservation_id, state, statelen, expires_at);
}

/* Moves an active RESERVATION to STATE. UNAVAILABLE with *MISSED when it
 * is not active (or not there): the caller says why, or — having seen it
 * active, e.g. another transaction finished it meanwhile (PostgreSQL) —
 * must not go on. */
static souk_err claim(souk_store *db, int64_t reservation, const char *state, int64_t now, bool *missed)
{
    *missed = false;
    int64_t n = souk_store_update(db,
                                  "UPDATE reservations SET state = $2, updated_at = $3 "
                                  "WHERE id = $1 AND state = 'active'",
                                  SOUK_ARGS(SOUK_I64(reservation), SOUK_TEXT(state), SOUK_I64(now)));
    if (n < 0)
        return souk_store_dberr((int)n);
    *missed = n != 1;
    return n == 1 ? SOUK_OK : SOUK_E_UNAVAILABLE;
}

/* Settles an active RESERVATION: claims it for STATE first (the conditional
 * state change makes sure only one transaction settles it; *MISSED: it
 * was not active), then per line gives the stock back ("released",
 * "expired": reserved -= q) or sells it ("consumed": on_hand -= q as well,
 * with the history row "sold"). Each level is read back from its own
 * update, and passed on as it was left. */
static souk_err settle(souk_store *db, int64_t reservation, const char *state, bool *missed)
{
    bool sell = strcmp(state, "consumed") == 0;
    int64_t now = souk_time_now_us();
    souk_err e = claim(db, reservation, state, now, missed);
    line *lines;
    size_t n;
    if (e || (e = load_lines(db, reservation, &lines, &n)))
        return e;
    for (size_t i = 0; i < n && !e; i++) {
        const line *l = &lines[i];
        int64_t changed = souk_store_update(
            db,
            sell ? "UPDATE stock_levels SET on_hand = on_hand - $3, reserved = reserved - $3, "
                   "updated_at = $4 WHERE variant_id = $1 AND warehouse_id = $2 AND reserved >= $3"
                 : "UPDATE stock_levels SET reserved = reserved - $3, updated_at = $4 "
                   "WHERE variant_id = $1 AND warehouse_id = $2 AND reserved >= $3",
            SOUK_ARGS(SOUK_I64(l->variant), SOUK_I64(l->warehouse), SOUK_I64(l->quantity), SOUK_I64(now)));
        souk_stock_level lv;
        if (changed < 0) {
            e = souk_store_dberr((int)changed);
        } else if (changed != 1) {
            /* reserved is always >= the active lines that point at it */
            SOUK_BUG("reservation %lld holds more than is reserved", (long long)reservation);
            e = SOUK_E_INTERNAL;
        } else if ((e = souk__inventory_read_level(db, l->variant, l->warehouse, &lv))) {
            e = e == SOUK_E_NOT_FOUND ? SOUK_E_INTERNAL : e;
        } else {
            /* a sale: the history row, then the bookkeeping (available did
             * not change: the stock was reserved already), from one read */
            if (sell)
                e = souk__inventory_record(db, l->variant, l->warehouse, -l->quantity, lv.on_hand, "sold", "system",
                                           reservation, now, NULL);
            if (!e)
                e = souk__inventory_changed_to(db, l->variant, l->warehouse, &lv, sell ? 0 : l->quantity,
                                               sell ? "sold" : state);
        }
    }
    free(lines);
    return e;
}

/* Why RESERVATION was not there to claim: NOT_FOUND, CONFLICT when it was
 * consumed, SOUK_OK (nothing to do) when it was released or expired —
 * WHEN_SETTLED is what a settled one that is not consumed answers — or
 * UNAVAILABLE when it is active after all (another transaction settled and
 * rolled back meanwhile: PostgreSQL; retry). */
static souk_err not_claimed(souk_store *db, int64_t reservation, souk_err when_settled)
{
    char state[16];
    souk_err e = read_state(db, reservation, state, sizeof state, NULL);
    if (e)
        return e;
    if (strcmp(state, "active") == 0)
        return SOUK_E_UNAVAILABLE;
    return strcmp(state, "consumed") == 0 ? SOUK_E_CONFLICT : when_settled;
}

/* The claim comes first (one conditional update); only a reservation it
 * did not find active is read, to answer why. */
souk_err souk_inventory_release_tx(souk_store *db, int64_t reservation_id)
{
    bool missed;
    souk_err e = settle(db, reservation_id, "released", &missed);
    return missed ? not_claimed(db, reservation_id, SOUK_OK) : e;
}

souk_err souk_inventory_consume_tx(souk_store *db, int64_t reservation_id)
{
    bool missed;
    souk_err e = settle(db, reservation_id, "consumed", &missed);
    return missed ? not_claimed(db, reservation_id, SOUK_E_CONFLICT) : e;
}

typedef struct expire_ctx {
    int64_t now;
    int released; /* out */
} expire_ctx;

static souk_err expire_one_body(souk_store *db, void *arg)
{
    expire_ctx *c = arg;
    c->released = 0;
    int64_t id;
    int r = souk_store_one(db,
                           "SELECT id FROM reservations WHERE state = 'active' AND expires_at <= $1 "
                           "ORDER BY expires_at, id LIMIT 1",
                           SOUK_ARGS(SOUK_I64(c->now)), SOUK_COLS(SOUK_COL_I64(&id)));
    if (r != SOUK_DB_ROW)
        return souk_store_dberr(r);
    bool missed; /* another transaction settled it first: UNAVAILABLE, so run again */
    souk_err e = settle(db, id, "expired", &missed);
    if (!e)
        c->released = 1;
    return e;
}

int souk_inventory_expire_due(souk_store *db, int64_t now_us, int max)
{
    int count = 0;
    while (count < max) {
        expire_ctx c = {now_us, 0};
        souk_err e = souk_store_run(db, expire_one_body, &c, NULL);
        if (e)
            return e == SOUK_E_UNAVAILABLE ? SOUK_DB_SOFT : SOUK_DB_HARD;
        if (!c.released)
            break;
        count++;
    }
    return count;
}

souk_err souk_inventory_restock_tx(souk_store *db, int64_t reservation_id, int64_t variant, int64_t quantity,
                                   const char *reason, const char *actor)
{
    if (quantity <= 0 || quantity > SOUK_INVENTORY_QTY_MAX)
        return SOUK_E_VALIDATION;
    int64_t warehouse, now = souk_time_now_us();
    int r = souk_store_one(db,
                           "SELECT l.warehouse_id FROM reservation_lines l JOIN reservations r "
                           "ON r.id = l.reservation_id WHERE l.reservation_id = $1 AND l.variant_id = $2 "
                           "AND r.state = 'consumed' ORDER BY l.warehouse_id LIMIT 1",
                           SOUK_ARGS(SOUK_I64(reservation_id), SOUK_I64(variant)), SOUK_COLS(SOUK_COL_I64(&warehouse)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
    int64_t n = souk_store_update(db,
                                  "UPDATE stock_levels SET on_hand = on_hand + $3, updated_at = $4 "
                                  "WHERE variant_id = $1 AND warehouse_id = $2",
                                  SOUK_ARGS(SOUK_I64(variant), SOUK_I64(warehouse), SOUK_I64(quantity), SOUK_I64(now)));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n != 1)
        return SOUK_E_NOT_FOUND;
    souk_stock_level lv;
    souk_err e = souk__inventory_read_level(db, variant, warehouse, &lv);
    if (!e)
        e = souk__inventory_record(db, variant, warehouse, quantity, lv.on_hand, reason, actor, reservation_id, now,
                                   NULL);
    return e ? e : souk__inventory_changed_to(db, variant, warehouse, &lv, quantity, "restocked");
}
