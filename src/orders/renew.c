/*
 * renew.c — what subscriptions ask of orders: the paid order a subscription
 * starts from (with the payment method its checkout saved), a renewal placed
 * through the checkout's own placement (place.c) from a cart made for it,
 * and its charge with the saved method, the customer not present. The
 * gateway's idempotency keys are derived from the order id, as checkout's
 * are, so a renewal charged again after a crash is the same payment.
 */
#include "orders/place.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "core/banned.h"

souk_err souk_orders_subscribable_read(souk_store *db, int64_t order, int64_t user, int64_t variant,
                                       souk_orders_subscribable *out, souk_arena *a)
{
    memset(out, 0, sizeof *out);
    char state[24] = "", address[4096] = "";
    int64_t owner = 0;
    int r = souk_store_one(
        db,
        "SELECT o.user_id, o.state, o.currency, o.email, o.shipping_address, "
        "COALESCE(o.shipping_method, ''), COALESCE(o.paid_at, 0), COALESCE(o.cart_id, 0), COALESCE(m.gateway, ''), "
        "COALESCE(m.token, '') FROM orders o LEFT JOIN order_saved_methods m ON m.order_id = o.id "
        "WHERE o.id = $1",
        SOUK_ARGS(SOUK_I64(order)),
        SOUK_COLS(SOUK_COL_I64(&owner), SOUK_COL_STR(state), SOUK_COL_STR(out->currency), SOUK_COL_STR(out->email),
                  SOUK_COL_STR(address), SOUK_COL_STR(out->shipping_method), SOUK_COL_I64(&out->paid_at),
                  SOUK_COL_I64(&out->cart_id), SOUK_COL_STR(out->gateway), SOUK_COL_STR(out->token)));
    if (r == SOUK_DB_DONE || (r == SOUK_DB_ROW && owner != user))
        return SOUK_E_NOT_FOUND; /* someone else's order is not said to exist */
    if (r != SOUK_DB_ROW)
        return souk_store_dberr(r);
    r = variant ? souk_store_one(db,
                                 "SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE order_id = $1 "
                                 "AND variant_id = $2",
                                 SOUK_ARGS(SOUK_I64(order), SOUK_I64(variant)), SOUK_COLS(SOUK_COL_I64(&out->quantity)))
                : SOUK_DB_ROW;
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk_store_dberr(r);
    out->user_id = owner;
    out->variant_id = variant;
    if (!(out->address_json = souk_arena_strdup(a, address)))
        return SOUK_E_INTERNAL;
    if (variant && out->quantity <= 0)
        return SOUK_E_NOT_FOUND;
    if (!out->paid_at || strcmp(state, "cancelled") == 0 || strcmp(state, "refunded") == 0)
        return SOUK_E_INVALID_STATE;
    return SOUK_OK;
}

souk_err souk_orders_place_renewal_tx(souk_store *db, const souk_orders_renewal *in, int64_t *order_id, souk_arena *a,
                                      souk_problems *pr)
{
    souk__place_in p = {0};
    p.cart_id = in->cart_id;
    p.user_id = in->user_id;
    p.email = in->email;
    p.address_json = in->address_json;
    p.gateway = souk_orders_gateway()->name;
    p.actor = in->actor;
    p.channel = "subscription";
    p.discount_bp = in->discount_bp;
    return souk__order_place_tx(db, &p, order_id, NULL, a, pr);
}

typedef struct apply_ctx {
    int64_t order;
    const souk_payment_intent *pi;
    const char *actor;
    bool created;      /* the intent was created just now: record it */
    int64_t refund_id; /* a refund to send after the commit */
    bool mismatch;
} apply_ctx;

static souk_err record_intent_tx(souk_store *db, void *arg)
{
    const apply_ctx *x = arg;
    return souk_store_dberr(
        souk_store_exec(db, "UPDATE orders SET intent_id = $2, updated_at = $3 WHERE id = $1 AND intent_id IS NULL",
                        SOUK_ARGS(SOUK_I64(x->order), SOUK_TEXT(x->pi->id), SOUK_I64(souk_time_now_us()))));
}

/* The gateway's answer applied to the order, as checkout applies it. */
static souk_err apply_tx(souk_store *db, void *arg)
{
    apply_ctx *x = arg;
    souk__order o;
    souk_err e = souk__order_load(db, x->order, &o);
    if (e)
        return e;
    if (strcmp(o.state, "pending_payment") != 0)
        return SOUK_OK; /* a webhook or the maintenance job decided meanwhile */
    const souk_payment_intent *pi = x->pi;
    switch (pi->status) {
    case SOUK_PAY_SUCCEEDED: {
        souk__payment_report p = {pi->id, pi->amount, pi->amount_received, pi->currency, "checkout", NULL};
        return souk__payment_succeeded_tx(db, &o, &p, x->actor, &x->refund_id, &x->mismatch);
    }
    case SOUK_PAY_PROCESSING: return souk__order_processing_tx(db, x->order);
    case SOUK_PAY_REQUIRES_CONFIRMATION:
    case SOUK_PAY_FAILED:
    case SOUK_PAY_DECLINED: {
        /* off-session, a payment that needs the customer cannot be finished: declined */
        const char *status = pi->status == SOUK_PAY_FAILED ? "failed" : "declined";
        const char *code = pi->decline_code[0]                            ? pi->decline_code
                           : pi->status == SOUK_PAY_REQUIRES_CONFIRMATION ? "authentication_required"
                                                                          : "card_declined";
        char note[128];
        snprintf(note, sizeof note, "renewal payment %s: %s", status, code);
        e = souk__order_cancel_pending_tx(db, x->order, status, code, note, x->actor);
        return e == SOUK_E_CONFLICT ? SOUK_OK : e;
    }
    }
    return SOUK_OK;
}

/* What order ID now says about its payment, into OUT. */
static int report(souk_store *db, int64_t id, souk_orders_charge *out, char *err, size_t errlen)
{
    char state[24] = "", payment[24] = "", code[64] = "";
    int r = souk_store_one(db, "SELECT state, payment_status, COALESCE(decline_code, '') FROM orders WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(id)),
                           SOUK_COLS(SOUK_COL_STR(state), SOUK_COL_STR(payment), SOUK_COL_STR(code)));
    if (r != SOUK_DB_ROW) {
        snprintf(err, errlen, "cannot read order: %s", r == SOUK_DB_DONE ? "not found" : souk_store_errmsg(db));
        return -1;
    }
    snprintf(out->decline_code, sizeof out->decline_code, "%s", code);
    if (strcmp(state, "pending_payment") == 0)
        out->status = SOUK_ORDERS_CHARGE_WAIT;
    else if (strcmp(state, "cancelled") == 0)
        out->status = strcmp(payment, "declined") == 0 || strcmp(payment, "failed") == 0 ? SOUK_ORDERS_CHARGE_DECLINED
                                                                                         : SOUK_ORDERS_CHARGE_GONE;
    else
        out->status = SOUK_ORDERS_CHARGE_PAID;
    return 0;
}

int souk_orders_charge_saved(souk_store *db, int64_t id, const char *token, const char *actor, souk_orders_charge *out,
                             char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    souk__order o;
    souk_err e = souk__order_load(db, id, &o);
    if (e) {
        snprintf(err, errlen, "cannot load order: %s", souk_err_code(e));
        return -1;
    }
    if (strcmp(o.state, "pending_payment") != 0)
        return report(db, id, out, err, errlen); /* charged (or refused) before: nothing is asked again */
    const souk_payment_gateway *g = souk_orders_gateway();
    char ref[SOUK_ID_TEXT_MAX], idem[SOUK_ID_TEXT_MAX + 16];
    souk__order_ref(id, ref);
    souk_payment_intent pi;
    memset(&pi, 0, sizeof pi);
    apply_ctx x = {id, &pi, actor, false, 0, false};
    if (o.total == 0) { /* nothing to pay (a 100 % discount): no gateway */
        pi.status = SOUK_PAY_SUCCEEDED;
        snprintf(pi.currency, sizeof pi.currency, "%s", o.currency);
    } else {
        if (!g->confirm_saved) {
            snprintf(err, errlen, "the %s gateway cannot charge a saved payment method", g->name);
            return -1;
        }
        if (!o.intent_id[0]) {
            snprintf(idem, sizeof idem, "%s-create", ref);
            if (g->create_intent(g, o.total, o.currency, ref, idem, &pi, err, errlen) < 0)
                return -1;
            /* on record before it can be paid, so that its webhook finds the order */
            if ((e = souk_store_run(db, record_intent_tx, &x, NULL))) {
                snprintf(err, errlen, "cannot record the payment intent: %s", souk_err_code(e));
                return -1;
            }
            snprintf(o.intent_id, sizeof o.intent_id, "%s", pi.id);
        }
        souk_payment_intent confirmed;
        snprintf(idem, sizeof idem, "%s-renew", ref);
        if (g->confirm_saved(g, o.intent_id, token, idem, &confirmed, err, errlen) < 0)
            return -1;
        pi = confirmed;
        snprintf(pi.id, sizeof pi.id, "%s", o.intent_id);
    }
    if ((e = souk_store_run(db, apply_tx, &x, NULL))) {
        snprintf(err, errlen, "cannot record the renewal's payment: %s", souk_err_code(e));
        return -1;
    }
    if (x.mismatch)
        souk__payment_mismatch_count("checkout");
    char rerr[256];
    if (x.refund_id && souk__refund_execute(db, x.refund_id, rerr, sizeof rerr) < 0)
        souk_log(SOUK_LOG_WARN, NULL, NULL, NULL, "renewal refund left to the job queue: %s", rerr);
    return report(db, id, out, err, errlen);
}

souk_err souk_orders_cancel_renewal_tx(souk_store *db, int64_t id, const char *note, const char *actor)
{
    souk_err e = souk__order_cancel_pending_tx(db, id, NULL, NULL, note, actor);
    return e == SOUK_E_CONFLICT ? SOUK_OK : e;
}
