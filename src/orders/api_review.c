/*
 * api_review.c — POST /api/v1/orders/{id}/review: an admin's decision on an
 * order the fraud-risk score held (fraud_check.c): release it for
 * fulfilment, or cancel it with its money refunded. The decision, its
 * history row and the request's audit entry commit together.
 */
#include "orders/act.h"

#include <stdio.h>
#include <string.h>

#include "core/banned.h"

static const char *decision_check(const char *s, size_t len)
{
    (void)len;
    return strcmp(s, "release") == 0 || strcmp(s, "cancel") == 0 ? NULL : "must be \"release\" or \"cancel\"";
}

static const souk_json_field review_fields[] = {
    SOUK_JSON_F_STRING("decision", SOUK_JSON_REQUIRED, act_in, decision, 6, 7, decision_check),
    SOUK_JSON_F_STRING("reason", 0, act_in, reason, 0, 200, NULL),
};
static const souk_json_spec review_spec = SOUK_JSON_SPEC(act_in, review_fields);

static bool paid(const char *state)
{
    return strcmp(state, "paid") == 0;
}

static souk_err review_tx(souk_store *db, void *arg)
{
    act *x = arg;
    souk_err e = souk__act_reload(db, x, paid);
    if (e == SOUK_E_INVALID_STATE)
        souk_problems_add(x->pr, x->req->arena, "state", "the order is %s: only a paid order held for review is",
                          x->o.state);
    if (e)
        return e;
    bool release = strcmp(x->in->decision, "release") == 0;
    int64_t n = souk_store_update(db, "UPDATE orders SET fraud_hold = $2 WHERE id = $1 AND fraud_hold = 'held'",
                                  SOUK_ARGS(SOUK_I64(x->o.id), SOUK_TEXT(release ? "released" : "cancelled")));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n == 0) {
        souk_problems_add(x->pr, x->req->arena, "fraud_hold", "the order is not held for review");
        return SOUK_E_INVALID_STATE;
    }
    const char *why = x->in->reason && *x->in->reason ? x->in->reason : NULL;
    char note[256];
    if (release) {
        snprintf(note, sizeof note, "fraud review: released%s%s", why ? ": " : "", why ? why : "");
        return souk__order_history_tx(db, x->o.id, 0, "paid", "paid", note, x->actor);
    }
    snprintf(note, sizeof note, "fraud review: cancelled%s%s", why ? ": " : "", why ? why : "");
    return souk__order_cancel_paid_tx(db, &x->o, note, x->actor, &x->refund_id);
}

int souk_orders_api_review(souk_req *req, souk_res *res)
{
    return souk__act_handle(req, res, SOUK__SEE, &review_spec, false, review_tx, 200);
}
