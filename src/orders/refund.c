/*
 * refund.c — money going back: refunds taken in a transaction and sent to
 * the gateway after it commits (retried by the orders.refund job), paid
 * orders cancelled with their stock put back, and payments that arrive for
 * orders that can no longer be paid.
 */
#include "orders/internal.h"

#include <stdio.h>
#include <string.h>

#include "cart/cart.h"
#include "core/id.h"
#include "core/time.h"
#include "inventory/inventory.h"
#include "jobs/jobs.h"
#include "loyalty/loyalty.h"
#include "core/banned.h"

#define REFUND_RETRY_AFTER_US (INT64_C(30) * 1000000) /* the job's first try, if the request's own failed */

/* Puts back into stock what left no warehouse: every line's quantity less
 * what was returned (UNFULFILLED_ONLY: less what was fulfilled). */
static souk_err restock(souk_store *db, const souk__order *o, bool unfulfilled_only, const char *reason,
                        const char *actor)
{
    souk_reservation_line lines[SOUK_INVENTORY_LINES_MAX];
    size_t n;
    souk_err e = souk__order_stock_lines(db, o->id, unfulfilled_only ? SOUK__LINES_UNFULFILLED : SOUK__LINES_UNRETURNED,
                                         lines, &n);
    for (size_t i = 0; i < n && !e; i++)
        e = souk_inventory_restock_tx(db, o->reservation_id, lines[i].variant_id, lines[i].quantity, reason, actor);
    return e;
}

/* Writes a pending refund of AMOUNT for ORDER (to INTENT in CURRENCY; NULL:
 * the order's own intent and currency) into *ID, with the orders.refund job
 * that sends it should the caller's own call after the commit fail. */
static souk_err record_refund(souk_store *db, int64_t order, int64_t amount, const char *reason, int64_t return_id,
                              const char *intent, const char *currency, const char *actor, int64_t *id)
{
    int64_t now = souk_time_now_us();
    *id = souk_id_next();
    int r = souk_store_exec(db,
                            "INSERT INTO refunds (id, order_id, amount, reason, state, return_id, actor, "
                            "created_at, intent_id, currency) "
                            "VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9)",
                            SOUK_ARGS(SOUK_I64(*id), SOUK_I64(order), SOUK_I64(amount), SOUK_TEXT(reason ? reason : ""),
                                      SOUK_REF(return_id), SOUK_TEXT(actor ? actor : "system"), SOUK_I64(now),
                                      SOUK_TEXT(intent), SOUK_TEXT(currency)));
    if (r < 0)
        return souk_store_dberr(r);
    char ref[SOUK_ID_TEXT_MAX], dedupe[SOUK_ID_TEXT_MAX + 20];
    souk_id_format(SOUK_PREFIX_REFUND, *id, ref);
    snprintf(dedupe, sizeof dedupe, "orders.refund:%s", ref);
    return souk_store_dberr(souk_job_enqueue_tx(db, "orders.refund", json_pack("{s:s}", "refund_id", ref),
                                                now + REFUND_RETRY_AFTER_US, dedupe));
}

souk_err souk__refund_stray_tx(souk_store *db, const souk__order *o, const char *intent, int64_t amount,
                               const char *currency, const char *reason, const char *actor, int64_t *refund_id)
{
    *refund_id = 0;
    int r = souk_store_one(db, "SELECT 1 FROM refunds WHERE intent_id = $1", SOUK_ARGS(SOUK_TEXT(intent)), NULL);
    if (r != SOUK_DB_DONE)
        return souk_store_dberr(r); /* given back already (or a database error) */
    int64_t id;
    souk_err e = record_refund(db, o->id, amount, reason, 0, intent, currency, actor, &id);
    char ref[SOUK_ID_TEXT_MAX], kind[SOUK_ID_TEXT_MAX + 12];
    snprintf(kind, sizeof kind, "refunded:%s", souk_id_format(SOUK_PREFIX_REFUND, id, ref));
    if (!e)
        e = souk__order_email_tx(db, o->id, kind);
    if (!e)
        *refund_id = id;
    return e;
}

souk_err souk__refund_begin_tx(souk_store *db, const souk__order *o, int64_t amount, const char *reason,
                               int64_t return_id, const char *actor, int64_t *refund_id)
{
    int64_t now = souk_time_now_us();
    char state[24];
    int64_t refunded = 0, total = 0;
    int r = souk_store_one(
        db,
        "UPDATE orders SET refunded = refunded + $2, payment_status = CASE WHEN refunded + $2 >= total "
        "THEN 'refunded' ELSE 'partially_refunded' END, state = CASE WHEN refunded + $2 >= total AND state "
        "NOT IN ('cancelled', 'pending_payment') THEN 'refunded' ELSE state END, updated_at = $3 "
        "WHERE id = $1 AND $2 > 0 AND refunded + $2 <= total RETURNING state, refunded, total",
        SOUK_ARGS(SOUK_I64(o->id), SOUK_I64(amount), SOUK_I64(now)),
        SOUK_COLS(SOUK_COL_STR(state), SOUK_COL_I64(&refunded), SOUK_COL_I64(&total)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_VALIDATION : souk_store_dberr(r);
    int64_t id;
    char ref[SOUK_ID_TEXT_MAX], kind[SOUK_ID_TEXT_MAX + 12];
    souk_err e = record_refund(db, o->id, amount, reason, return_id, NULL, NULL, actor, &id);
    if (e)
        return e;
    souk_id_format(SOUK_PREFIX_REFUND, id, ref);
    snprintf(kind, sizeof kind, "refunded:%s", ref);
    /* the points the order earned go back in proportion to the goods
     * refunded: a return's refund is its lines' value, another refund pays
     * shipping and tax back first (loyalty.h) */
    int64_t returned = 0, other = 0;
    r = souk_store_one(db,
                       "SELECT coalesce(sum(CASE WHEN return_id IS NOT NULL THEN amount ELSE 0 END), 0), "
                       "coalesce(sum(CASE WHEN return_id IS NULL THEN amount ELSE 0 END), 0) "
                       "FROM refunds WHERE order_id = $1 AND intent_id IS NULL",
                       SOUK_ARGS(SOUK_I64(o->id)), SOUK_COLS(SOUK_COL_I64(&returned), SOUK_COL_I64(&other)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk_store_dberr(r);
    if ((e = souk_loyalty_clawback_tx(db, o->id, returned, other, total, ref, actor, now)))
        return e;
    /* the goods all refunded (the money, or every unit through returns):
     * the points spent on them come back, once (unredeem:<order>) */
    bool all_goods = refunded >= total;
    if (!all_goods) {
        r = souk_store_one(db, "SELECT 1 FROM order_lines WHERE order_id = $1 AND refunded_qty < quantity LIMIT 1",
                           SOUK_ARGS(SOUK_I64(o->id)), NULL);
        if (r < 0)
            return souk_store_dberr(r);
        all_goods = r == SOUK_DB_DONE;
    }
    if (all_goods && (e = souk_loyalty_unredeem_tx(db, o->id, "order refunded", actor, now)))
        return e;
    if (strcmp(state, o->state) != 0)
        e = souk__order_history_tx(db, o->id, 0, o->state, state, reason, actor);
    /* all the money back before all the goods left: what was not fulfilled
     * goes back into stock, and the sub-orders not shipped are done with */
    bool unshipped =
        !strcmp(o->state, "paid") || !strcmp(o->state, "partially_fulfilled") || !strcmp(o->state, "fulfilled");
    if (!e && unshipped && strcmp(state, "refunded") == 0) {
        e = restock(db, o, true, "order refunded", actor);
        if (!e)
            e = souk_store_dberr(souk_store_exec(db,
                                                 "UPDATE sub_orders SET state = 'cancelled', updated_at = $2 "
                                                 "WHERE order_id = $1 AND state IN ('paid', 'partially_fulfilled', "
                                                 "'fulfilled')",
                                                 SOUK_ARGS(SOUK_I64(o->id), SOUK_I64(now))));
    }
    if (!e)
        e = souk__order_event_tx(
            db, "refunded", o->id, state,
            json_pack("{s:s,s:I,s:s}", "refund_id", ref, "amount", (json_int_t)amount, "currency", o->currency));
    if (!e)
        e = souk__order_email_tx(db, o->id, kind);
    if (!e)
        *refund_id = id;
    return e;
}

int souk__refund_execute(souk_store *db, int64_t refund_id, char *err, size_t errlen)
{
    int64_t amount = 0;
    bool done = false;
    char intent[80], paid_through[16];
    int r = souk_store_one(
        db,
        "SELECT r.amount, r.state = 'succeeded', coalesce(r.intent_id, o.intent_id, ''), "
        "o.gateway "
        "FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1",
        SOUK_ARGS(SOUK_I64(refund_id)),
        SOUK_COLS(SOUK_COL_I64(&amount), SOUK_COL_BOOL(&done), SOUK_COL_STR(intent), SOUK_COL_STR(paid_through)));
    if (r != SOUK_DB_ROW) {
        if (r == SOUK_DB_DONE)
            snprintf(err, errlen, "no refund %lld", (long long)refund_id);
        else
            snprintf(err, errlen, "database: %s", souk_store_errmsg(db));
        return -1;
    }
    if (done)
        return 0;
    char ref[SOUK_ID_TEXT_MAX], gateway_id[128] = "";
    souk_id_format(SOUK_PREFIX_REFUND, refund_id, ref);
    const souk_payment_gateway *g = souk_orders_gateway();
    if (intent[0] && strcmp(paid_through, g->name) != 0) { /* never send one provider's intent to another */
        snprintf(err, errlen, "paid through the %s gateway, but %s is configured: refund it there", paid_through,
                 g->name);
        return -1;
    }
    if (intent[0] && g->refund(g, intent, amount, ref, gateway_id, sizeof gateway_id, err, errlen) < 0)
        return -1;
    if (souk_store_update_tx(db,
                             "UPDATE refunds SET state = 'succeeded', gateway_refund_id = $2 "
                             "WHERE id = $1 AND state = 'pending'",
                             SOUK_ARGS(SOUK_I64(refund_id), SOUK_TEXT(gateway_id))) < 0) {
        snprintf(err, errlen, "database: %s", souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

souk_err souk__order_cancel_paid_tx(souk_store *db, const souk__order *o, const char *reason, const char *actor,
                                    int64_t *refund_id)
{
    int64_t now = souk_time_now_us();
    int64_t n = souk_store_update(db,
                                  "UPDATE orders SET state = 'cancelled', updated_at = $2 WHERE id = $1 "
                                  "AND state = 'paid'",
                                  SOUK_ARGS(SOUK_I64(o->id), SOUK_I64(now)));
    if (n != 1)
        return n < 0 ? souk_store_dberr((int)n) : SOUK_E_INVALID_STATE;
    souk_err e = restock(db, o, false, "order cancelled", actor);
    if (!e && o->coupon_id)
        e = souk_cart_coupon_release_tx(db, o->coupon_id);
    if (!e)
        e = souk_cart_promo_release_tx(db, o->id);
    if (!e) /* the points it spent come back */
        e = souk_loyalty_unredeem_tx(db, o->id, reason, actor, now);
    if (!e)
        e = souk_store_dberr(souk_store_exec(db,
                                             "UPDATE sub_orders SET state = 'cancelled', updated_at = $2 "
                                             "WHERE order_id = $1",
                                             SOUK_ARGS(SOUK_I64(o->id), SOUK_I64(now))));
    if (!e)
        e = souk__order_history_tx(db, o->id, 0, "paid", "cancelled", reason, actor);
    if (!e)
        e = souk__order_event_tx(db, "cancelled", o->id, "cancelled", json_pack("{s:s}", "reason", reason));
    if (!e)
        e = souk__order_email_tx(db, o->id, "cancelled");
    souk__order after = *o;
    snprintf(after.state, sizeof after.state, "cancelled");
    *refund_id = 0;
    if (!e && o->total > o->refunded)
        e = souk__refund_begin_tx(db, &after, o->total - o->refunded, "order cancelled", 0, actor, refund_id);
    return e;
}

souk_err souk__order_payment_succeeded_tx(souk_store *db, souk__order *o, const char *actor, int64_t *refund_id)
{
    *refund_id = 0;
    int64_t order = o->id;
    souk_err e = souk__order_pay_tx(db, o, actor);
    if (e != SOUK_E_CONFLICT && e != SOUK_E_OUT_OF_STOCK)
        return e;
    if ((e == SOUK_E_OUT_OF_STOCK &&
         (e = souk__order_cancel_pending_tx(db, order, NULL, NULL, "paid after its stock was sold", actor))) ||
        (e = souk__order_load(db, order, o)))
        return e;
    if (strcmp(o->state, "cancelled") != 0 || o->refunded >= o->total)
        return SOUK_OK; /* paid already (a webhook and a confirmation both said so) */
    /* the money arrived for an order that can no longer be delivered: give it back */
    e = souk__refund_begin_tx(db, o, o->total - o->refunded, "payment arrived after cancellation", 0, actor, refund_id);
    return e ? e : souk__order_load(db, order, o); /* as the refund left it */
}
