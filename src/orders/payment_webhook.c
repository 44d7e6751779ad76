/*
 * payment_webhook.c — POST /api/v1/payments/webhook: the Stripe-style
 * gateway's payment news. The signature is checked before the body is parsed; the
 * event id is recorded in the same transaction as the change it causes, so
 * a redelivered event changes nothing. A payment pays its order only when
 * it is for the order's total (payment_check.c); an intent found by the
 * order reference alone is bound to the order only then.
 */
#include "orders/api.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "orders/internal.h"
#include "core/banned.h"

#define TOLERANCE_S 300

typedef struct hook {
    souk__payment_event ev; /* the event as souk__payment_event_read read it */
    bool duplicate, mismatch;
    int64_t refund_id;
    souk_req *req; /* the request, whose audit entry joins hook_tx's transaction */
    souk_res *res;
} hook;

/* The order the intent of H is about into *ORDER (0 = none) and whether the
 * intent is the one on record for it (*BOUND): found by its intent id, else
 * by the reference souk gave the intent ("ord_…", its metadata) for an
 * order that has no intent on record yet. Returns 0 or a souk_db_status. */
static int order_of_intent(souk_store *db, const hook *h, int64_t *order, bool *bound)
{
    *bound = false;
    int r = souk_store_one(db, "SELECT id FROM orders WHERE intent_id = $1", SOUK_ARGS(SOUK_TEXT(h->ev.intent)),
                           SOUK_COLS(SOUK_COL_I64(order)));
    if (r == SOUK_DB_ROW)
        *bound = true;
    int64_t id;
    if (r != SOUK_DB_DONE || !h->ev.reference ||
        souk_id_parse(SOUK_PREFIX_ORDER, h->ev.reference, strlen(h->ev.reference), &id) < 0)
        return r < 0 ? r : 0;
    r = souk_store_one(db, "SELECT id FROM orders WHERE id = $1 AND intent_id IS NULL", SOUK_ARGS(SOUK_I64(id)),
                       SOUK_COLS(SOUK_COL_I64(order)));
    return r < 0 ? r : 0;
}

/* The reference fallback: binds the intent of H to ORDER, which has none on
 * record, when the intent is for the order's total in its currency (TAKEN:
 * and took it). *BOUND says whether it was. */
static souk_err bind_by_reference(souk_store *db, const hook *h, int64_t order, bool taken, bool *bound)
{
    souk__order o;
    souk_err e = souk__order_load(db, order, &o);
    if (e || souk__payment_mismatch(&o, &h->ev.report, taken))
        return e;
    int64_t n = souk_store_update(db, "UPDATE orders SET intent_id = $2 WHERE id = $1 AND intent_id IS NULL",
                                  SOUK_ARGS(SOUK_I64(order), SOUK_TEXT(h->ev.intent)));
    if (n < 0)
        return souk_store_dberr((int)n);
    *bound = n == 1;
    return SOUK_OK;
}

static souk_err hook_tx(souk_store *db, void *arg)
{
    hook *h = arg;
    int64_t n =
        souk_store_update(db,
                          "INSERT INTO webhook_events (id, type, received_at) VALUES ($1, $2, $3) "
                          "ON CONFLICT (id) DO NOTHING",
                          SOUK_ARGS(SOUK_TEXT(h->ev.event_id), SOUK_TEXT(h->ev.type), SOUK_I64(souk_time_now_us())));
    if (n < 0)
        return souk_store_dberr((int)n);
    h->duplicate = n == 0;
    h->refund_id = 0;
    h->mismatch = false;
    if (h->duplicate || !h->ev.intent)
        return SOUK_OK;
    int64_t order = 0;
    bool bound;
    int r;
    if ((r = order_of_intent(db, h, &order, &bound)) < 0)
        return souk_store_dberr(r);
    if (!order)
        return SOUK_OK; /* not one of ours: recorded, ignored */
    bool succeeded = strcmp(h->ev.type, "payment_intent.succeeded") == 0;
    souk_err e = SOUK_OK;
    /* an intent found by its reference only is bound when it is for the
     * order's total; a succeeded one that is not is the order's review */
    if (!bound && (e = bind_by_reference(db, h, order, succeeded, &bound)))
        return e;
    if (succeeded) {
        souk__order o;
        if ((e = souk__order_load(db, order, &o)))
            return e;
        return souk__payment_succeeded_tx(db, &o, &h->ev.report, "gateway", &h->refund_id, &h->mismatch);
    }
    if (!bound)
        return SOUK_OK; /* another amount than the order's, and no money taken: ignored */
    if (strcmp(h->ev.type, "payment_intent.payment_failed") == 0 ||
        strcmp(h->ev.type, "payment_intent.canceled") == 0) {
        bool cancelled = strcmp(h->ev.type, "payment_intent.canceled") == 0;
        const char *code = h->ev.decline ? h->ev.decline : cancelled ? "canceled" : "card_declined";
        char note[128];
        snprintf(note, sizeof note, "payment %s: %s", cancelled ? "cancelled" : "failed", code);
        e = souk__order_cancel_pending_tx(db, order, cancelled ? "failed" : "declined", code, note, "gateway");
        if (e == SOUK_E_CONFLICT) /* paid or cancelled already: news that comes too late changes nothing */
            e = SOUK_OK;
    } else if (strcmp(h->ev.type, "payment_intent.processing") == 0) {
        e = souk__order_processing_tx(db, order);
    }
    return e;
}

/* hook_tx, then the request's audit entry in the same transaction
 * (souk_req_audit_tx): the webhook's news and its record commit together */
static souk_err hook_audited_tx(souk_store *db, void *arg)
{
    hook *h = arg;
    souk_err e = hook_tx(db, h);
    if (!e)
        souk_req_audit_tx(h->req, h->res, db, 200);
    return e;
}

/* An integer member NAME of OBJECT, -1 when it is absent or not an integer. */
static int64_t amount_member(const json_t *object, const char *name)
{
    const json_t *v = json_object_get(object, name);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static bool too_long(const char *s, size_t max)
{
    return s && strlen(s) > max;
}

int souk__payment_event_read(const json_t *j, const char *request_id, souk__payment_event *ev)
{
    const json_t *object = json_object_get(json_object_get(j, "data"), "object");
    souk__payment_event e = {
        json_string_value(json_object_get(j, "id")),
        json_string_value(json_object_get(j, "type")),
        json_string_value(json_object_get(object, "id")),
        json_string_value(json_object_get(json_object_get(object, "last_payment_error"), "decline_code")),
        json_string_value(json_object_get(json_object_get(object, "metadata"), "reference")),
        {NULL, amount_member(object, "amount"), amount_member(object, "amount_received"),
         json_string_value(json_object_get(object, "currency")), "webhook", request_id},
    };
    e.report.intent = e.intent;
    if (!e.event_id || !e.type || too_long(e.event_id, 200) || too_long(e.type, 100) || too_long(e.intent, 79) ||
        too_long(e.decline, 60) || too_long(e.reference, 40) || too_long(e.report.currency, 16)) {
        *ev = (souk__payment_event){NULL, NULL, NULL, NULL, NULL, {NULL, -1, -1, NULL, "webhook", request_id}};
        return -1;
    }
    *ev = e;
    return 0;
}

int souk_orders_api_webhook(souk_req *req, souk_res *res)
{
    const souk_payment_gateway *g = souk_orders_gateway();
    if (strcmp(g->name, "stripe") != 0 || !g->webhook_secret[0])
        return souk_res_error(res, SOUK_E_NOT_FOUND,
                              "Payment webhooks are not configured on this server "
                              "(SOUK_PAYMENT_GATEWAY=stripe and SOUK_STRIPE_WEBHOOK_SECRET).");
    const char *sig = souk_req_header(req, "stripe-signature");
    if (!sig || !souk_payments_verify_signature(sig, req->body ? req->body : "", req->body_len, g->webhook_secret,
                                                souk_time_now_us() / 1000000, TOLERANCE_S))
        return souk_res_error(res, SOUK_E_BAD_REQUEST, "Missing, invalid or stale Stripe-Signature.");
    json_t *j = souk_req_body_json(req, res);
    if (!j)
        return res->err;
    hook h = {0};
    if (souk__payment_event_read(j, req->request_id, &h.ev) < 0) {
        json_decref(j);
        souk_problems_add(&res->problems, req->arena, "id", "an event needs an id and a type");
        return souk_res_invalid(res);
    }
    h.req = req;
    h.res = res;
    souk_err e = souk_store_run(req->store, hook_audited_tx, &h, NULL);
    json_decref(j);
    if (e)
        return souk_res_error(res, e, NULL);
    char err[256];
    if (h.mismatch)
        souk__payment_mismatch_count("webhook");
    if (h.refund_id && souk__refund_execute(req->store, h.refund_id, err, sizeof err) < 0)
        souk_log(SOUK_LOG_WARN, req->request_id, NULL, NULL, "refund left to the job queue: %s", err);
    json_t *out = json_pack("{s:b}", "received", 1);
    if (h.duplicate)
        json_object_set_new(out, "duplicate", json_true());
    return souk_res_json(res, 200, out);
}
