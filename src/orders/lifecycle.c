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
#include "core/bug.h"
#include "core/id.h"
#include "core/time.h"
#include "events/events.h"
#include "inventory/inventory.h"
#include "loyalty/loyalty.h"
#include "core/banned.h"

souk_err souk__order_history_at_tx(souk_store *db, int64_t order, int64_t sub, const char *from, const char *to,
                                   const char *note, const char *actor, int64_t at)
{
    return souk_store_dberr(souk_store_exec(
        db,
        "INSERT INTO order_history (id, order_id, sub_order_id, from_state, to_state, note, actor, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_I64(order), SOUK_REF(sub), SOUK_TEXT(from), SOUK_TEXT(to),
                  SOUK_TEXT(note ? note : ""), SOUK_TEXT(actor ? actor : "system"), SOUK_I64(at))));
}

souk_err souk__order_history_tx(souk_store *db, int64_t order, int64_t sub, const char *from, const char *to,
                                const char *note, const char *actor)
{
    return souk__order_history_at_tx(db, order, sub, from, to, note, actor, souk_time_now_us());
}

/* order.placed when ORDER is paid: {order_id, state, total, currency},
 * printed (it is on every purchase). */
static souk_err placed_event_tx(souk_store *db, const souk__order *o, const char *state)
{
    char ref[SOUK_ID_TEXT_MAX], text[200];
    souk__order_ref(o->id, ref);
    int n =
        souk_event_plain(state) && souk_event_plain(o->currency)
            ? snprintf(text, sizeof text, "{\"order_id\":\"%s\",\"state\":\"%s\",\"total\":%lld,\"currency\":\"%s\"}",
                       ref, state, (long long)o->total, o->currency)
            : -1;
    if (n > 0 && (size_t)n < sizeof text)
        return souk_store_dberr(souk_event_emit_text_tx(db, "order.placed", ref, text, (size_t)n));
    return souk__order_event_tx(db, "placed", o->id, state,
                                json_pack("{s:I,s:s}", "total", (json_int_t)o->total, "currency", o->currency));
}

souk_err souk__order_event_tx(souk_store *db, const char *what, int64_t order, const char *state, json_t *extra)
{
    char type[SOUK_EVENT_TYPE_MAX + 1], ref[SOUK_ID_TEXT_MAX];
    snprintf(type, sizeof type, "order.%s", what);
    if (!extra && souk_event_plain(state)) { /* {order_id, state}: printed */
        char text[160];
        int n =
            snprintf(text, sizeof text, "{\"order_id\":\"%s\",\"state\":\"%s\"}", souk__order_ref(order, ref), state);
        if (n > 0 && (size_t)n < sizeof text)
            return souk_store_dberr(souk_event_emit_text_tx(db, type, ref, text, (size_t)n));
    }
    json_t *payload = json_pack("{s:s,s:s}", "order_id", souk__order_ref(order, ref), "state", state);
    if (extra) {
        json_object_update(payload, extra);
        json_decref(extra);
    }
    return souk_store_dberr(souk_event_emit_tx(db, type, ref, payload));
}

/* Runs SQL, a conditional UPDATE of ORDER ($1) from the state it starts in
 * (the time, NOW, is $2); CONFLICT when the order was not in it. */
static souk_err move(souk_store *db, int64_t order, const char *sql, int64_t now)
{
    int64_t n = souk_store_update(db, sql, SOUK_ARGS(SOUK_I64(order), SOUK_I64(now)));
    return n < 0 ? souk_store_dberr((int)n) : n == 1 ? SOUK_OK : SOUK_E_CONFLICT;
}

/* Moves every sub-order of ORDER to STATE. */
static souk_err subs_to(souk_store *db, int64_t order, const char *state)
{
    int64_t now = souk_time_now_us();
    return souk_store_dberr(souk_store_exec(db, "UPDATE sub_orders SET state = $3, updated_at = $2 WHERE order_id = $1",
                                            SOUK_ARGS(SOUK_I64(order), SOUK_I64(now), SOUK_TEXT(state))));
}

souk_err souk__order_stock_lines(souk_store *db, int64_t order, souk__stock_part part, souk_reservation_line *out,
                                 size_t *n)
{
    /* the quantity of each line that PART names; lines with none are left out */
    souk_stmt *st = souk_store_query(db,
                                     "SELECT variant_id, q FROM (SELECT variant_id, line_no, quantity - "
                                     "CASE $2 WHEN 1 THEN returned WHEN 2 THEN fulfilled ELSE 0 END AS q "
                                     "FROM order_lines WHERE order_id = $1) parts WHERE q > 0 ORDER BY line_no",
                                     SOUK_ARGS(SOUK_I64(order), SOUK_I64(part)));
    souk_reservation_line l;
    int r;
    *n = 0;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&l.variant_id), SOUK_COL_I64(&l.quantity)))) == SOUK_DB_ROW)
        if (*n < SOUK_INVENTORY_LINES_MAX)
            out[(*n)++] = l;
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
    e = souk_inventory_reserve_tx(db, souk__order_ref(order, ref), lines, n, 0, &reservation, NULL, &a, &pr);
    souk_arena_release(&a);
    if (e == SOUK_E_CONFLICT)
        return SOUK_E_OUT_OF_STOCK;
    if (!e)
        e = souk_inventory_consume_tx(db, reservation);
    if (!e)
        e = souk_store_dberr(souk_store_exec(db, "UPDATE orders SET reservation_id = $2 WHERE id = $1",
                                             SOUK_ARGS(SOUK_I64(order), SOUK_I64(reservation))));
    return e;
}

/* ORDER into O when it waits for payment; CONFLICT when it does not. */
static souk_err load_pending(souk_store *db, int64_t order, souk__order *o)
{
    souk_err e = souk__order_load(db, order, o);
    return e ? e : strcmp(o->state, "pending_payment") != 0 ? SOUK_E_CONFLICT : SOUK_OK;
}

/* The points a customer's paid ORDER earns (loyalty.h): each line's price
 * after its share of every discount, points redeemed included. */
static souk_err earn_points(souk_store *db, const souk__order *o, int64_t now)
{
    bool runs = false;
    souk_err e = o->user_id ? souk_loyalty_runs_in(db, o->currency, &runs) : SOUK_OK;
    if (e || !runs)
        return e;
    souk_loyalty_line lines[SOUK_LOYALTY_LINES_MAX];
    size_t n = 0;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT product_id, line_total - discount FROM order_lines WHERE order_id = $1 "
                                     "ORDER BY line_no",
                                     SOUK_ARGS(SOUK_I64(o->id)));
    int r;
    souk_loyalty_line l;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&l.product_id), SOUK_COL_I64(&l.paid)))) == SOUK_DB_ROW)
        if (n < SOUK_LOYALTY_LINES_MAX)
            lines[n++] = l;
    if (r != SOUK_DB_DONE)
        return souk_store_dberr(r);
    return souk_loyalty_earn_tx(db, o->user_id, o->id, o->currency, lines, n, now);
}

souk_err souk__order_pay_tx(souk_store *db, souk__order *o, const char *actor)
{
    if (strcmp(o->state, "pending_payment") != 0)
        return SOUK_E_CONFLICT;
    int64_t order = o->id;
    souk_err e = souk_inventory_consume_tx(db, o->reservation_id);
    if (e == SOUK_E_CONFLICT || e == SOUK_E_NOT_FOUND)
        e = resell(db, order);
    if (e)
        return e;
    int64_t now = souk_time_now_us();
    if ((e = move(db, order,
                  "UPDATE orders SET state = 'paid', payment_status = 'succeeded', intent_status = "
                  "'succeeded', decline_code = NULL, paid_at = $2, updated_at = $2 "
                  "WHERE id = $1 AND state = 'pending_payment'",
                  now)))
        return e;
    if ((e = subs_to(db, order, "paid")) || (o->cart_id && (e = souk_cart_empty_tx(db, o->cart_id))))
        return e;
    if ((e = souk__order_history_at_tx(db, order, 0, "pending_payment", "paid", "payment succeeded", actor, now)) ||
        (e = placed_event_tx(db, o, "paid")) || (e = souk__order_event_tx(db, "paid", order, "paid", NULL)) ||
        (e = souk__order_email_tx(db, order, "confirmation")) || (e = earn_points(db, o, now)))
        return e;
    snprintf(o->state, sizeof o->state, "paid");
    snprintf(o->payment_status, sizeof o->payment_status, "succeeded");
    o->paid_at = now;
    return SOUK_OK;
}

souk_err souk__order_processing_tx(souk_store *db, int64_t order)
{
    return souk_store_dberr(souk_store_exec(db,
                                            "UPDATE orders SET intent_status = 'processing' WHERE id = $1 "
                                            "AND state = 'pending_payment'",
                                            SOUK_ARGS(SOUK_I64(order))));
}

souk_err souk__order_cancel_pending_tx(souk_store *db, int64_t order, const char *payment_status, const char *decline,
                                       const char *note, const char *actor)
{
    souk__order o;
    souk_err e = load_pending(db, order, &o);
    if (e)
        return e;
    int64_t n = souk_store_update(db,
                                  "UPDATE orders SET state = 'cancelled', payment_status = coalesce($3, "
                                  "payment_status), intent_status = coalesce($3, intent_status), "
                                  "decline_code = coalesce($4, decline_code), updated_at = $2 "
                                  "WHERE id = $1 AND state = 'pending_payment'",
                                  SOUK_ARGS(SOUK_I64(order), SOUK_I64(souk_time_now_us()), SOUK_TEXT(payment_status),
                                            SOUK_TEXT(decline && *decline ? decline : NULL)));
    if (n != 1)
        return n < 0 ? souk_store_dberr((int)n) : SOUK_E_CONFLICT;
    if (o.reservation_id && (e = souk_inventory_release_tx(db, o.reservation_id)) && e != SOUK_E_NOT_FOUND) {
        if (e != SOUK_E_CONFLICT)
            return e;
        SOUK_BUG("orders: the reservation of unpaid order %lld was consumed", (long long)order);
        return SOUK_E_INTERNAL;
    }
    if ((o.coupon_id && (e = souk_cart_coupon_release_tx(db, o.coupon_id))) ||
        (e = souk_cart_promo_release_tx(db, order)) || (e = subs_to(db, order, "cancelled")) ||
        (e = souk__order_history_tx(db, order, 0, "pending_payment", "cancelled", note, actor)) ||
        (e = souk_loyalty_unredeem_tx(db, order, note ? note : "order cancelled", actor, souk_time_now_us())))
        return e;
    return souk__order_event_tx(db, "cancelled", order, "cancelled", json_pack("{s:s}", "reason", note ? note : ""));
}

/* ---- derived states ---- */

/* The state lines give a sub-order (or, SUB = 0, the order): paid,
 * partially_fulfilled or fulfilled. */
static souk_err fulfilment(souk_store *db, int64_t order, int64_t sub, const char **state)
{
    int64_t done = 0, all = 0;
    int r =
        souk_store_one(db,
                       "SELECT CAST(coalesce(sum(fulfilled), 0) AS BIGINT), "
                       "CAST(coalesce(sum(quantity), 0) AS BIGINT) FROM order_lines "
                       "WHERE order_id = $1 AND ($2 = 0 OR sub_order_id = $2)",
                       SOUK_ARGS(SOUK_I64(order), SOUK_I64(sub)), SOUK_COLS(SOUK_COL_I64(&done), SOUK_COL_I64(&all)));
    if (r != SOUK_DB_ROW)
        return souk_store_dberr(r < 0 ? r : SOUK_DB_HARD);
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
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, state FROM sub_orders WHERE order_id = $1 "
                                     "AND state IN ('paid', 'partially_fulfilled') ORDER BY id",
                                     SOUK_ARGS(SOUK_I64(order)));
    struct {
        int64_t id;
        char state[24];
    } subs[SOUK_CART_MAX_LINES], sub; /* one per vendor at most */
    int n = 0, r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&sub.id), SOUK_COL_STR(sub.state)))) == SOUK_DB_ROW)
        if (n < SOUK_CART_MAX_LINES)
            subs[n++] = sub;
    if (r < 0)
        return souk_store_dberr(r);
    for (int i = 0; i < n; i++) {
        const char *now_state;
        souk_err e = fulfilment(db, order, subs[i].id, &now_state);
        if (e)
            return e;
        if (strcmp(now_state, subs[i].state) == 0)
            continue;
        r = souk_store_exec(db, "UPDATE sub_orders SET state = $2, updated_at = $3 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(subs[i].id), SOUK_TEXT(now_state), SOUK_I64(souk_time_now_us())));
        if (r < 0)
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
    int64_t least = 0;
    int r = souk_store_one(db,
                           "SELECT min(CASE state WHEN 'delivered' THEN 2 WHEN 'shipped' THEN 1 ELSE 0 END) "
                           "FROM sub_orders WHERE order_id = $1 AND state <> 'cancelled'",
                           SOUK_ARGS(SOUK_I64(order)), SOUK_COLS(SOUK_COL_I64(&least)));
    if (r != SOUK_DB_ROW)
        return souk_store_dberr(r < 0 ? r : SOUK_DB_HARD);
    const char *next;
    if (least == 2)
        next = "delivered";
    else if (least == 1)
        next = "shipped";
    else if ((e = fulfilment(db, order, 0, &next)))
        return e;
    if (strcmp(next, o.state) == 0)
        return SOUK_OK;
    int64_t n = souk_store_update(
        db, "UPDATE orders SET state = $2, updated_at = $3 WHERE id = $1 AND state = $4",
        SOUK_ARGS(SOUK_I64(order), SOUK_TEXT(next), SOUK_I64(souk_time_now_us()), SOUK_TEXT(o.state)));
    if (n != 1)
        return n < 0 ? souk_store_dberr((int)n) : SOUK_E_CONFLICT;
    const char *what = strcmp(next, "partially_fulfilled") == 0 ? "partially_fulfilled" : next;
    if ((e = souk__order_history_tx(db, order, 0, o.state, next, "", actor)) ||
        (e = souk__order_event_tx(db, what, order, next, NULL)))
        return e;
    if (strcmp(next, "shipped") == 0 || strcmp(next, "delivered") == 0)
        return souk__order_email_tx(db, order, next);
    return SOUK_OK;
}
