/*
 * lifecycle.c — the state changes of an order inside a write transaction:
 * paid, cancelled while pending, and the states derived from fulfilment,
 * shipping and delivery; with their history rows, events and e-mails.
 * Every change is a conditional UPDATE on the state it starts from.
 */
#include "orders/internal.h"

#include <stdio.h>
#include <string.h>

#include "cart/cart.h"
#include "core/id.h"
#include "core/time.h"
#include "events/events.h"
#include "inventory/inventory.h"
#include "jobs/jobs.h"
#include "core/banned.h"

souk_err souk__order_history_tx(souk_store *db, int64_t order, int64_t sub, const char *from, const char *to,
                                const char *note, const char *actor)
{
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO order_history (id, order_id, sub_order_id, from_state, to_state, "
                                        "note, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, souk_id_next());
    souk_stmt_bind_i64(st, 2, order);
    if (sub)
        souk_stmt_bind_i64(st, 3, sub);
    else
        souk_stmt_bind_null(st, 3);
    if (from)
        souk_stmt_bind_text(st, 4, from, SIZE_MAX);
    else
        souk_stmt_bind_null(st, 4);
    souk_stmt_bind_text(st, 5, to, SIZE_MAX);
    souk_stmt_bind_text(st, 6, note ? note : "", SIZE_MAX);
    souk_stmt_bind_text(st, 7, actor ? actor : "system", SIZE_MAX);
    souk_stmt_bind_i64(st, 8, souk_time_now_us());
    return souk_store_dberr(souk_stmt_exec(st));
}

souk_err souk__order_event_tx(souk_store *db, const char *what, int64_t order, const char *state, json_t *extra)
{
    char type[SOUK_EVENT_TYPE_MAX + 1], ref[SOUK_ID_TEXT_MAX];
    snprintf(type, sizeof type, "order.%s", what);
    json_t *payload = json_pack("{s:s,s:s}", "order_id", souk__order_ref(order, ref), "state", state);
    if (extra) {
        json_object_update(payload, extra);
        json_decref(extra);
    }
    return souk_store_dberr(souk_event_emit_tx(db, type, ref, payload));
}

souk_err souk__order_email_tx(souk_store *db, int64_t order, const char *kind)
{
    int64_t now = souk_time_now_us();
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO order_notifications (order_id, kind, created_at) "
                                        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, order);
    souk_stmt_bind_text(st, 2, kind, SIZE_MAX);
    souk_stmt_bind_i64(st, 3, now);
    int r = souk_stmt_exec(st);
    if (r < 0 || souk_store_changes(db) == 0)
        return souk_store_dberr(r); /* asked for already: once is enough */
    /* one order.emails job per second writes all that came due in it */
    int64_t due = (now / SOUK_ORDERS_EMAIL_BATCH_US + 1) * SOUK_ORDERS_EMAIL_BATCH_US;
    char dedupe[48];
    snprintf(dedupe, sizeof dedupe, "order.emails@%lld", (long long)due);
    r = souk_job_enqueue_tx(db, "order.emails", NULL, due, dedupe);
    return souk_store_dberr(r);
}

/* Moves ORDER from one of FROM (SQL list) to TO; CONFLICT when it was not there. */
static souk_err move(souk_store *db, int64_t order, const char *sql)
{
    souk_stmt *st = souk_store_stmt(db, sql);
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, order);
    souk_stmt_bind_i64(st, 2, souk_time_now_us());
    int r = souk_stmt_exec(st);
    if (r < 0)
        return souk_store_dberr(r);
    return souk_store_changes(db) == 1 ? SOUK_OK : SOUK_E_CONFLICT;
}

souk_err souk__order_stock_lines(souk_store *db, int64_t order, souk__stock_part part, souk_reservation_line *out,
                                 size_t *n)
{
    /* the quantity of each line that PART names; lines with none are left out */
    souk_stmt *st = souk_store_stmt(db, "SELECT variant_id, quantity - CASE $2 WHEN 1 THEN returned WHEN 2 THEN "
                                        "fulfilled ELSE 0 END AS q FROM order_lines WHERE order_id = $1 AND q > 0 "
                                        "ORDER BY line_no");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, order);
    souk_stmt_bind_i64(st, 2, part);
    *n = 0;
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW)
        if (*n < SOUK_INVENTORY_LINES_MAX)
            out[(*n)++] = (souk_reservation_line){souk_stmt_i64(st, 0), souk_stmt_i64(st, 1)};
    return souk_store_dberr(r);
}

/* The reservation lapsed before the payment arrived: take the stock afresh
 * and sell it at once. OUT_OF_STOCK when it is gone. */
static souk_err resell(souk_store *db, int64_t order)
{
    souk_reservation_line lines[SOUK_INVENTORY_LINES_MAX];
    size_t n;
    souk_err e = souk__order_stock_lines(db, order, SOUK__LINES_ALL, lines, &n);
    if (e)
        return e;
    char ref[SOUK_ID_TEXT_MAX];
    souk_arena a;
    souk_arena_init(&a, 4096, 1 << 20);
    souk_problems pr;
    souk_problems_init(&pr);
    int64_t reservation = 0;
    e = souk_inventory_reserve_tx(db, souk__order_ref(order, ref), lines, n, 0, &reservation, &a, &pr);
    souk_arena_release(&a);
    if (e == SOUK_E_CONFLICT)
        return SOUK_E_OUT_OF_STOCK;
    if (!e)
        e = souk_inventory_consume_tx(db, reservation);
    if (!e && souk_store_exec2(db, "UPDATE orders SET reservation_id = $2 WHERE id = $1", order, reservation) < 0)
        e = SOUK_E_INTERNAL;
    return e;
}

souk_err souk__order_pay_tx(souk_store *db, int64_t order, const char *actor)
{
    souk__order o;
    souk_err e = souk__order_load(db, order, &o);
    if (e)
        return e;
    if (strcmp(o.state, "pending_payment") != 0)
        return SOUK_E_CONFLICT;
    e = souk_inventory_consume_tx(db, o.reservation_id);
    if (e == SOUK_E_CONFLICT || e == SOUK_E_NOT_FOUND)
        e = resell(db, order);
    if (e)
        return e;
    if ((e = move(db, order, "UPDATE orders SET state = 'paid', payment_status = 'succeeded', intent_status = "
                             "'succeeded', decline_code = NULL, paid_at = $2, updated_at = $2 "
                             "WHERE id = $1 AND state = 'pending_payment'")))
        return e;
    if (souk_store_exec2(db, "UPDATE sub_orders SET state = 'paid', updated_at = $2 WHERE order_id = $1", order,
                         souk_time_now_us()) < 0)
        return SOUK_E_INTERNAL;
    if (o.cart_id && (e = souk_cart_empty_tx(db, o.cart_id)))
        return e;
    char ref[SOUK_ID_TEXT_MAX];
    souk__order_ref(order, ref);
    json_t *totals = json_pack("{s:I,s:s}", "total", (json_int_t)o.total, "currency", o.currency);
    if ((e = souk__order_history_tx(db, order, 0, "pending_payment", "paid", "payment succeeded", actor)) ||
        (e = souk__order_event_tx(db, "placed", order, "paid", totals)) ||
        (e = souk__order_event_tx(db, "paid", order, "paid", NULL)))
        return e;
    return souk__order_email_tx(db, order, "confirmation");
}

souk_err souk__order_cancel_pending_tx(souk_store *db, int64_t order, const char *payment_status,
                                       const char *decline, const char *note, const char *actor)
{
    souk__order o;
    souk_err e = souk__order_load(db, order, &o);
    if (e)
        return e;
    if (strcmp(o.state, "pending_payment") != 0)
        return SOUK_E_CONFLICT;
    souk_stmt *st = souk_store_stmt(db, "UPDATE orders SET state = 'cancelled', payment_status = coalesce($3, "
                                        "payment_status), intent_status = coalesce($3, intent_status), "
                                        "decline_code = coalesce($4, decline_code), updated_at = $2 "
                                        "WHERE id = $1 AND state = 'pending_payment'");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, order);
    souk_stmt_bind_i64(st, 2, souk_time_now_us());
    if (payment_status)
        souk_stmt_bind_text(st, 3, payment_status, SIZE_MAX);
    else
        souk_stmt_bind_null(st, 3);
    if (decline && *decline)
        souk_stmt_bind_text(st, 4, decline, SIZE_MAX);
    else
        souk_stmt_bind_null(st, 4);
    int r = souk_stmt_exec(st);
    if (r < 0)
        return souk_store_dberr(r);
    if (souk_store_changes(db) != 1)
        return SOUK_E_CONFLICT;
    /* CONFLICT here would mean a consumed reservation on an unpaid order: a bug, not "not pending" */
    if (o.reservation_id && (e = souk_inventory_release_tx(db, o.reservation_id)) && e != SOUK_E_NOT_FOUND)
        return e == SOUK_E_CONFLICT ? SOUK_E_INTERNAL : e;
    if (o.coupon_id && (e = souk_cart_coupon_release_tx(db, o.coupon_id)))
        return e;
    if (souk_store_exec2(db, "UPDATE sub_orders SET state = 'cancelled', updated_at = $2 WHERE order_id = $1", order,
                         souk_time_now_us()) < 0)
        return SOUK_E_INTERNAL;
    if ((e = souk__order_history_tx(db, order, 0, "pending_payment", "cancelled", note, actor)))
        return e;
    return souk__order_event_tx(db, "cancelled", order, "cancelled",
                                json_pack("{s:s}", "reason", note ? note : ""));
}

/* ---- derived states ---- */

/* The state lines give a sub-order (or, SUB = 0, the order): paid,
 * partially_fulfilled or fulfilled. */
static souk_err fulfilment(souk_store *db, int64_t order, int64_t sub, const char **state)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT sum(fulfilled), sum(quantity) FROM order_lines WHERE order_id = $1 "
                                        "AND ($2 = 0 OR sub_order_id = $2)");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, order);
    souk_stmt_bind_i64(st, 2, sub);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return souk_store_dberr(r < 0 ? r : SOUK_DB_HARD);
    int64_t done = souk_stmt_i64(st, 0), all = souk_stmt_i64(st, 1);
    souk_stmt_done(st);
    *state = done == 0 ? "paid" : done < all ? "partially_fulfilled" : "fulfilled";
    return SOUK_OK;
}

static const char *const progress[] = {"paid", "partially_fulfilled", "fulfilled", "shipped", "delivered"};

static int rank(const char *state)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(progress[i], state) == 0)
            return i;
    return -1;
}

/* Sets sub-order states from their lines where they are not shipped yet. */
static souk_err derive_subs(souk_store *db, int64_t order, const char *actor)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT id, state FROM sub_orders WHERE order_id = $1 "
                                        "AND state IN ('paid', 'partially_fulfilled') ORDER BY id");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, order);
    struct { int64_t id; char state[24]; } subs[SOUK_CART_MAX_LINES]; /* one per vendor at most */
    int n = 0, r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW)
        if (n < SOUK_CART_MAX_LINES) {
            subs[n].id = souk_stmt_i64(st, 0);
            snprintf(subs[n].state, sizeof subs[n].state, "%s", souk_stmt_text(st, 1, NULL));
            n++;
        }
    if (r < 0)
        return souk_store_dberr(r);
    for (int i = 0; i < n; i++) {
        const char *now_state;
        souk_err e = fulfilment(db, order, subs[i].id, &now_state);
        if (e)
            return e;
        if (strcmp(now_state, subs[i].state) == 0)
            continue;
        st = souk_store_stmt(db, "UPDATE sub_orders SET state = $2, updated_at = $3 WHERE id = $1");
        if (!st)
            return SOUK_E_INTERNAL;
        souk_stmt_bind_i64(st, 1, subs[i].id);
        souk_stmt_bind_text(st, 2, now_state, SIZE_MAX);
        souk_stmt_bind_i64(st, 3, souk_time_now_us());
        if ((r = souk_stmt_exec(st)) < 0)
            return souk_store_dberr(r);
        if ((e = souk__order_history_tx(db, order, subs[i].id, subs[i].state, now_state, "", actor)))
            return e;
    }
    return SOUK_OK;
}

souk_err souk__order_derive_tx(souk_store *db, int64_t order, const char *actor)
{
    souk__order o;
    souk_err e = souk__order_load(db, order, &o);
    if (e || rank(o.state) < 0) /* pending, cancelled, refunded: nothing is derived */
        return e;
    if ((e = derive_subs(db, order, actor)))
        return e;
    /* shipped / delivered when every sub-order is; else what the lines say */
    souk_stmt *st = souk_store_stmt(db, "SELECT min(CASE state WHEN 'delivered' THEN 2 WHEN 'shipped' THEN 1 "
                                        "ELSE 0 END) FROM sub_orders WHERE order_id = $1 AND state <> 'cancelled'");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, order);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return souk_store_dberr(r < 0 ? r : SOUK_DB_HARD);
    int64_t least = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    const char *next;
    if (least == 2)
        next = "delivered";
    else if (least == 1)
        next = "shipped";
    else if ((e = fulfilment(db, order, 0, &next)))
        return e;
    if (strcmp(next, o.state) == 0)
        return SOUK_OK;
    st = souk_store_stmt(db, "UPDATE orders SET state = $2, updated_at = $3 WHERE id = $1 AND state = $4");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, order);
    souk_stmt_bind_text(st, 2, next, SIZE_MAX);
    souk_stmt_bind_i64(st, 3, souk_time_now_us());
    souk_stmt_bind_text(st, 4, o.state, SIZE_MAX);
    if ((r = souk_stmt_exec(st)) < 0)
        return souk_store_dberr(r);
    if (souk_store_changes(db) != 1)
        return SOUK_E_CONFLICT;
    const char *what = strcmp(next, "partially_fulfilled") == 0 ? "partially_fulfilled" : next;
    if ((e = souk__order_history_tx(db, order, 0, o.state, next, "", actor)) ||
        (e = souk__order_event_tx(db, what, order, next, NULL)))
        return e;
    if (strcmp(next, "shipped") == 0 || strcmp(next, "delivered") == 0)
        return souk__order_email_tx(db, order, next);
    return SOUK_OK;
}
