/*
 * api_money.c — refunds and returns: POST /api/v1/orders/{id}/refunds,
 * /returns, /returns/{return_id}/approve and /returns/{return_id}/receive.
 */
#include "orders/act.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cart/cart.h"
#include "core/id.h"
#include "core/time.h"
#include "inventory/inventory.h"
#include "core/banned.h"

static const souk_json_field refund_fields[] = {
    SOUK_JSON_F_INT("amount", SOUK_JSON_REQUIRED, act_in, amount, 1, INT64_C(400000000000000)),
    SOUK_JSON_F_STRING("reason", 0, act_in, reason, 0, 200, NULL),
};
static const souk_json_field return_fields[] = {
    SOUK_JSON_F_ARRAY("lines", SOUK_JSON_REQUIRED, act_in, lines, 1, 100, &souk__order_line_spec),
    SOUK_JSON_F_STRING("reason", 0, act_in, reason, 0, 200, NULL),
};
static const souk_json_spec refund_spec = SOUK_JSON_SPEC(act_in, refund_fields),
                            return_spec = SOUK_JSON_SPEC(act_in, return_fields);

static bool refundable(const char *state)
{
    static const char *const ok[] = {"paid", "partially_fulfilled", "fulfilled", "shipped", "delivered"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(ok[i], state) == 0)
            return true;
    return false;
}

/* ---- refunds ---- */

static souk_err refund_tx(souk_store *db, void *arg)
{
    act *x = arg;
    souk_err e = souk__act_reload(db, x, refundable);
    if (e)
        return e;
    e = souk__refund_begin_tx(db, &x->o, x->in->amount, x->in->reason ? x->in->reason : "", 0, x->actor, &x->refund_id);
    if (e == SOUK_E_VALIDATION)
        souk_problems_add(x->pr, x->req->arena, "amount", "at most %lld is left to refund",
                          (long long)(x->o.total - x->o.refunded));
    return e;
}

int souk_orders_api_refund(souk_req *req, souk_res *res)
{
    return souk__act_handle(req, res, SOUK__FULFIL, &refund_spec, false, refund_tx, 201);
}

/* ---- returns ---- */

static bool delivered(const char *state)
{
    return strcmp(state, "delivered") == 0;
}

static souk_err return_request_tx(souk_store *db, void *arg)
{
    act *x = arg;
    souk_err e = souk__act_reload(db, x, delivered);
    if (e)
        return e;
    const line_in *lines = x->in->lines.items;
    json_t *saved = json_array();
    for (size_t i = 0; i < x->in->lines.count; i++) {
        int64_t n =
            souk_store_update(db,
                              "UPDATE order_lines SET returned = returned + $3 WHERE order_id = $1 "
                              "AND variant_id = $2 AND returned + $3 <= fulfilled",
                              SOUK_ARGS(SOUK_I64(x->o.id), SOUK_I64(lines[i].variant_id), SOUK_I64(lines[i].quantity)));
        if (n < 0) {
            json_decref(saved);
            return souk_store_dberr((int)n);
        }
        char field[32], var[SOUK_ID_TEXT_MAX];
        snprintf(field, sizeof field, "lines[%zu]", i);
        if (n == 0)
            souk_problems_add(x->pr, x->req->arena, field, "is not a delivered line with that many left to return");
        json_array_append_new(saved,
                              json_pack("{s:s,s:I}", "variant_id", souk_id_format("var", lines[i].variant_id, var),
                                        "quantity", (json_int_t)lines[i].quantity));
    }
    if (x->pr->count) {
        json_decref(saved);
        return SOUK_E_VALIDATION;
    }
    char *text = json_dumps(saved, JSON_COMPACT);
    json_decref(saved);
    if (!text)
        return SOUK_E_INTERNAL;
    x->object_id = souk_id_next();
    int r = souk_store_exec(db,
                            "INSERT INTO order_returns (id, order_id, state, reason, lines, created_at, "
                            "updated_at) VALUES ($1, $2, 'requested', $3, $4, $5, $5)",
                            SOUK_ARGS(SOUK_I64(x->object_id), SOUK_I64(x->o.id),
                                      SOUK_TEXT(x->in->reason ? x->in->reason : ""), SOUK_TEXT(text),
                                      SOUK_I64(souk_time_now_us())));
    free(text);
    if (r < 0)
        return souk_store_dberr(r);
    char ref[SOUK_ID_TEXT_MAX];
    return souk__order_event_tx(db, "return_requested", x->o.id, x->o.state,
                                json_pack("{s:s}", "return_id", souk_id_format(SOUK_PREFIX_RETURN, x->object_id, ref)));
}

int souk_orders_api_return_request(souk_req *req, souk_res *res)
{
    return souk__act_handle(req, res, SOUK__OWNER, &return_spec, false, return_request_tx, 201);
}

/* Return path parameter 1 of order X into X->object_id; 404 when it is not one of the order's. */
static int return_param(souk_req *req, souk_res *res, act *x)
{
    if (souk_req_path_id(req, res, 1, SOUK_PREFIX_RETURN, &x->object_id))
        return res->err;
    int r = souk_store_one(req->store, "SELECT 1 FROM order_returns WHERE id = $1 AND order_id = $2",
                           SOUK_ARGS(SOUK_I64(x->object_id), SOUK_I64(x->o.id)), NULL);
    if (r == SOUK_DB_DONE)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such return on this order.");
    return r < 0 ? souk_res_error(res, souk_store_dberr(r), NULL) : 0;
}

/* Moves return X->object_id from FROM to TO; INVALID_STATE when it was not in FROM. */
static souk_err move_return(souk_store *db, act *x, const char *from, const char *to)
{
    int64_t n = souk_store_update(
        db,
        "UPDATE order_returns SET state = $3, updated_at = $4 WHERE id = $1 "
        "AND state = $2",
        SOUK_ARGS(SOUK_I64(x->object_id), SOUK_TEXT(from), SOUK_TEXT(to), SOUK_I64(souk_time_now_us())));
    return n < 0 ? souk_store_dberr((int)n) : n == 1 ? SOUK_OK : SOUK_E_INVALID_STATE;
}

static souk_err approve_tx(souk_store *db, void *arg)
{
    act *x = arg;
    souk_err e = move_return(db, x, "requested", "approved");
    char ref[SOUK_ID_TEXT_MAX];
    return e ? e
             : souk__order_history_tx(db, x->o.id, 0, x->o.state, x->o.state,
                                      souk_id_format(SOUK_PREFIX_RETURN, x->object_id, ref), x->actor);
}

/* Restocks the return's lines and sums their value. */
static souk_err restock_return(souk_store *db, act *x, int64_t *value)
{
    char *text = NULL;
    *value = 0;
    int r = souk_store_one(db, "SELECT lines FROM order_returns WHERE id = $1", SOUK_ARGS(SOUK_I64(x->object_id)),
                           SOUK_COLS(SOUK_COL_DUP(&text)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk_store_dberr(r); /* moved above, in this transaction */
    json_t *lines = json_loads(text, 0, NULL);
    free(text);
    souk_err e = lines ? SOUK_OK : SOUK_E_INTERNAL;
    for (size_t i = 0; !e && i < json_array_size(lines); i++) {
        const json_t *l = json_array_get(lines, i);
        const char *var = json_string_value(json_object_get(l, "variant_id"));
        int64_t variant = 0, q = json_integer_value(json_object_get(l, "quantity"));
        if (!var || souk_id_parse("var", var, strlen(var), &variant) < 0) {
            e = SOUK_E_INTERNAL;
            break;
        }
        e = souk_inventory_restock_tx(db, x->o.reservation_id, variant, q, "returned", x->actor);
        /* what the units cost after the line's share of the discount: each
         * unit given back once, the line's refunds summing to what it paid */
        int64_t paid = 0, quantity = 0, before = 0;
        if (!e &&
            (r = souk_store_one(db,
                                "UPDATE order_lines SET refunded_qty = refunded_qty + $3 WHERE order_id = $1 AND "
                                "variant_id = $2 AND refunded_qty + $3 <= quantity "
                                "RETURNING line_total - discount, quantity, refunded_qty - $3",
                                SOUK_ARGS(SOUK_I64(x->o.id), SOUK_I64(variant), SOUK_I64(q)),
                                SOUK_COLS(SOUK_COL_I64(&paid), SOUK_COL_I64(&quantity), SOUK_COL_I64(&before)))) < 0)
            e = souk_store_dberr(r);
        *value += souk_cart_line_refund(paid, quantity, before, q);
    }
    json_decref(lines);
    return e;
}

static souk_err receive_tx(souk_store *db, void *arg)
{
    act *x = arg;
    souk_err e = souk__act_reload(db, x, NULL);
    if (e || (e = move_return(db, x, "approved", "received")))
        return e;
    int64_t value;
    if ((e = restock_return(db, x, &value)))
        return e;
    int64_t left = x->o.total - x->o.refunded, amount = value < left ? value : left;
    int r = souk_store_exec(db, "UPDATE order_returns SET refund = $2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(x->object_id), SOUK_I64(amount)));
    if (r < 0)
        return souk_store_dberr(r);
    char ref[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_RETURN, x->object_id, ref);
    if ((e = souk__order_event_tx(db, "return_received", x->o.id, x->o.state,
                                  json_pack("{s:s,s:I}", "return_id", ref, "refund", (json_int_t)amount))))
        return e;
    if (amount <= 0)
        return souk__order_history_tx(db, x->o.id, 0, x->o.state, x->o.state, ref, x->actor);
    return souk__refund_begin_tx(db, &x->o, amount, "return received", x->object_id, x->actor, &x->refund_id);
}

static int return_action(souk_req *req, souk_res *res, souk_store_body body)
{
    act x;
    act_in in;
    memset(&in, 0, sizeof in);
    if (souk__act_prepare(req, res, SOUK__FULFIL, NULL, &in, &x) || return_param(req, res, &x))
        return res->err;
    if (x.vendor) /* returns are the shop's business, not one vendor's */
        return souk_res_error(res, SOUK_E_FORBIDDEN, "Returns are handled by the shop (permission orders:manage).");
    return souk__act_run(req, res, &x, body, 200);
}

int souk_orders_api_return_approve(souk_req *req, souk_res *res)
{
    return return_action(req, res, approve_tx);
}

int souk_orders_api_return_receive(souk_req *req, souk_res *res)
{
    return return_action(req, res, receive_tx);
}
