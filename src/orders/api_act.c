/*
 * api_act.c — acting on orders: cancel, fulfil, ship, deliver; and the
 * request plumbing the refund and return handlers share (act.h).
 * Vendors reach only their own lines and sub-orders (souk__order_access).
 */
#include "orders/act.h"

#include <stdio.h>
#include <string.h>

#include "cart/cart.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "store/page.h"
#include "core/banned.h"

static const souk_json_field line_fields[] = {
    SOUK_JSON_F_ID("variant_id", SOUK_JSON_REQUIRED, line_in, variant_id, "var"),
    SOUK_JSON_F_INT("quantity", SOUK_JSON_REQUIRED, line_in, quantity, 1, 1000000),
};
const souk_json_spec souk__order_line_spec = SOUK_JSON_SPEC(line_in, line_fields);

static const souk_json_field cancel_fields[] = {SOUK_JSON_F_STRING("reason", 0, act_in, reason, 0, 200, NULL)};
static const souk_json_field fulfil_fields[] = {
    SOUK_JSON_F_ARRAY("lines", 0, act_in, lines, 1, 100, &souk__order_line_spec),
};
static const souk_json_field ship_fields[] = {
    SOUK_JSON_F_STRING("carrier", SOUK_JSON_REQUIRED, act_in, carrier, 1, 100, NULL),
    SOUK_JSON_F_STRING("tracking", SOUK_JSON_REQUIRED, act_in, tracking, 1, 100, NULL),
};
static const souk_json_spec cancel_spec = SOUK_JSON_SPEC(act_in, cancel_fields),
                            fulfil_spec = SOUK_JSON_SPEC(act_in, fulfil_fields),
                            ship_spec = SOUK_JSON_SPEC(act_in, ship_fields);

/* Decodes an optional body (none = all fields absent). */
int souk__act_decode_optional(souk_req *req, souk_res *res, const souk_json_spec *spec, act_in *in)
{
    memset(in, 0, sizeof *in);
    return req->body_len == 0 ? 0 : souk_req_decode(req, res, spec, in);
}

const char *souk__order_actor(souk_req *req)
{
    char buf[SOUK_ID_TEXT_MAX];
    if (req->principal.kind == SOUK_ACTOR_API_KEY)
        return souk_arena_strdup(req->arena, souk_id_format("key", req->principal.key_id, buf));
    if (req->principal.user_id)
        return souk_arena_strdup(req->arena, souk_id_format("usr", req->principal.user_id, buf));
    return "guest";
}

/* X's body, then — once it has made its change — the request's audit entry,
 * in the same transaction (souk_req_audit_tx) */
static souk_err body_audited_tx(souk_store *db, void *arg)
{
    act *x = arg;
    souk_err e = x->body(db, x);
    if (e)
        return e;
    char ref[SOUK_ID_TEXT_MAX];
    souk_res_audit(x->res, "order", souk_arena_strdup(x->req->arena, souk__order_ref(x->o.id, ref)));
    souk_req_audit_tx(x->req, x->res, db, x->status);
    return SOUK_OK;
}

int souk__act_run(souk_req *req, souk_res *res, act *x, souk_store_body body, int status)
{
    x->body = body;
    x->status = status;
    x->res = res;
    souk_err e = souk_store_run(req->store, body_audited_tx, x, &res->problems);
    if (e == SOUK_E_VALIDATION)
        return souk_res_invalid(res);
    if (e == SOUK_E_INVALID_STATE || e == SOUK_E_CONFLICT)
        return souk_res_error(res, SOUK_E_INVALID_STATE,
                              res->problems.count ? NULL : "This is not possible in the order's current state.");
    if (e)
        return souk_res_error(res, e, NULL);
    char err[256];
    if (x->refund_id && souk__refund_execute(req->store, x->refund_id, err, sizeof err) < 0)
        souk_log(SOUK_LOG_WARN, req->request_id, NULL, NULL, "refund left to the job queue: %s", err);
    return souk__order_answer(req, res, x->o.id, x->vendor, status);
}

int souk__act_prepare(souk_req *req, souk_res *res, int how, const souk_json_spec *spec, act_in *in, act *x)
{
    int64_t id;
    memset(x, 0, sizeof *x);
    x->req = req;
    x->in = in;
    x->pr = &res->problems;
    x->actor = souk__order_actor(req);
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_ORDER, &id) ||
        souk__order_access(req, res, id, how, &x->o, &x->vendor))
        return res->err;
    return spec ? souk__act_decode_optional(req, res, spec, in) : 0;
}

int souk__act_handle(souk_req *req, souk_res *res, int how, const souk_json_spec *spec, bool optional,
                     souk_store_body body, int status)
{
    act x;
    act_in in;
    memset(&in, 0, sizeof in);
    if (souk__act_prepare(req, res, how, optional ? spec : NULL, &in, &x) ||
        (!optional && spec && souk_req_decode(req, res, spec, &in)))
        return res->err;
    return souk__act_run(req, res, &x, body, status);
}

souk_err souk__act_reload(souk_store *db, act *x, bool (*allowed)(const char *state))
{
    souk_err e = souk__order_load(db, x->o.id, &x->o);
    return e ? e : allowed && !allowed(x->o.state) ? SOUK_E_INVALID_STATE : SOUK_OK;
}

/* ---- cancel ---- */

static souk_err cancel_tx(souk_store *db, void *arg)
{
    act *x = arg;
    souk_err e = souk__act_reload(db, x, NULL);
    if (e)
        return e;
    const char *reason = x->in->reason && *x->in->reason ? x->in->reason : "cancelled on request";
    if (strcmp(x->o.state, "pending_payment") == 0)
        return souk__order_cancel_pending_tx(db, x->o.id, NULL, NULL, reason, x->actor);
    if (strcmp(x->o.state, "paid") == 0)
        return souk__order_cancel_paid_tx(db, &x->o, reason, x->actor, &x->refund_id);
    return SOUK_E_INVALID_STATE;
}

int souk_orders_api_cancel(souk_req *req, souk_res *res)
{
    return souk__act_handle(req, res, SOUK__OWNER_OR_MANAGER, &cancel_spec, true, cancel_tx, 200);
}

/* ---- fulfil ---- */

static bool fulfillable(const char *state)
{
    return strcmp(state, "paid") == 0 || strcmp(state, "partially_fulfilled") == 0;
}

/* Why line I of the request cannot be fulfilled: a VALIDATION problem. */
static souk_err line_problem(souk_store *db, act *x, size_t i, const line_in *l)
{
    int64_t left = 0;
    int r = souk_store_one(db,
                           "SELECT quantity - fulfilled FROM order_lines WHERE order_id = $1 "
                           "AND variant_id = $2 AND ($3 = 0 OR vendor_id = $3)",
                           SOUK_ARGS(SOUK_I64(x->o.id), SOUK_I64(l->variant_id), SOUK_I64(x->vendor)),
                           SOUK_COLS(SOUK_COL_I64(&left)));
    if (r < 0)
        return souk_store_dberr(r);
    char field[32];
    snprintf(field, sizeof field, "lines[%zu]", i);
    if (r == SOUK_DB_ROW) {
        souk_problems_add(x->pr, x->req->arena, field, "only %lld left to fulfil", (long long)left);
    } else {
        souk_problems_add(x->pr, x->req->arena, field, "is not a line of this order that you fulfil");
    }
    return SOUK_E_VALIDATION;
}

static souk_err fulfil_tx(souk_store *db, void *arg)
{
    act *x = arg;
    souk_err e = souk__act_reload(db, x, fulfillable);
    if (!e)
        e = souk__order_hold_check_tx(db, x->o.id, x->pr, x->req->arena);
    if (e)
        return e;
    if (!x->in->lines.count) { /* everything the caller may fulfil */
        int64_t n = souk_store_update(db,
                                      "UPDATE order_lines SET fulfilled = quantity WHERE order_id = $1 "
                                      "AND ($2 = 0 OR vendor_id = $2) AND fulfilled < quantity",
                                      SOUK_ARGS(SOUK_I64(x->o.id), SOUK_I64(x->vendor)));
        if (n <= 0)
            return n < 0 ? souk_store_dberr((int)n) : SOUK_E_INVALID_STATE; /* nothing left */
    }
    const line_in *lines = x->in->lines.items;
    bool bad = false;
    for (size_t i = 0; i < x->in->lines.count; i++) {
        int64_t n = souk_store_update(db,
                                      "UPDATE order_lines SET fulfilled = fulfilled + $3 WHERE order_id = $1 "
                                      "AND variant_id = $2 AND ($4 = 0 OR vendor_id = $4) "
                                      "AND fulfilled + $3 <= quantity",
                                      SOUK_ARGS(SOUK_I64(x->o.id), SOUK_I64(lines[i].variant_id),
                                                SOUK_I64(lines[i].quantity), SOUK_I64(x->vendor)));
        if (n < 0)
            return souk_store_dberr((int)n);
        if (n == 0) {
            if ((e = line_problem(db, x, i, &lines[i])) != SOUK_E_VALIDATION)
                return e;
            bad = true;
        }
    }
    if (bad)
        return SOUK_E_VALIDATION;
    return souk__order_derive_tx(db, x->o.id, x->actor);
}

int souk_orders_api_fulfil(souk_req *req, souk_res *res)
{
    return souk__act_handle(req, res, SOUK__FULFIL, &fulfil_spec, true, fulfil_tx, 200);
}

/* ---- ship and deliver: the caller's sub-orders in FROM move to TO ---- */

static bool shippable(const char *state)
{
    return strcmp(state, "pending_payment") != 0 && strcmp(state, "cancelled") != 0 && strcmp(state, "refunded") != 0;
}

static souk_err move_subs(souk_store *db, act *x, const char *from, const char *to)
{
    souk_err e = souk__act_reload(db, x, shippable);
    if (!e)
        e = souk__order_hold_check_tx(db, x->o.id, x->pr, x->req->arena);
    if (e)
        return e;
    souk_stmt *st =
        souk_store_query(db,
                         "UPDATE sub_orders SET state = $3, carrier = coalesce($4, carrier), "
                         "tracking = coalesce($5, tracking), updated_at = $6 WHERE order_id = $1 "
                         "AND ($2 = 0 OR vendor_id = $2) AND state = $7 RETURNING id",
                         SOUK_ARGS(SOUK_I64(x->o.id), SOUK_I64(x->vendor), SOUK_TEXT(to), SOUK_TEXT(x->in->carrier),
                                   SOUK_TEXT(x->in->tracking), SOUK_I64(souk_time_now_us()), SOUK_TEXT(from)));
    int64_t moved[SOUK_CART_MAX_LINES]; /* one sub-order per vendor at most */
    int n = souk_store_ids(st, moved, SOUK_CART_MAX_LINES);
    if (n < 0)
        return souk_store_dberr(n);
    if (n == 0)
        return SOUK_E_INVALID_STATE;
    for (int i = 0; i < n; i++)
        if ((e = souk__order_history_tx(db, x->o.id, moved[i], from, to, x->in->tracking ? x->in->tracking : "",
                                        x->actor)))
            return e;
    return souk__order_derive_tx(db, x->o.id, x->actor);
}

static souk_err ship_tx(souk_store *db, void *arg)
{
    return move_subs(db, arg, "fulfilled", "shipped");
}

static souk_err deliver_tx(souk_store *db, void *arg)
{
    return move_subs(db, arg, "shipped", "delivered");
}

int souk_orders_api_ship(souk_req *req, souk_res *res)
{
    return souk__act_handle(req, res, SOUK__FULFIL, &ship_spec, false, ship_tx, 200);
}

int souk_orders_api_deliver(souk_req *req, souk_res *res)
{
    return souk__act_handle(req, res, SOUK__FULFIL, NULL, true, deliver_tx, 200);
}
