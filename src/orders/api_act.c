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
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "orders/internal.h"
#include "store/page.h"
#include "core/banned.h"


static const souk_json_field line_fields[] = {
    {"variant_id", SOUK_JSON_ID, SOUK_JSON_REQUIRED, offsetof(line_in, variant_id), 0, 0, 0, "var", NULL, NULL, NULL},
    {"quantity", SOUK_JSON_INT, SOUK_JSON_REQUIRED, offsetof(line_in, quantity), 1, 1000000, 0, NULL, NULL, NULL,
     NULL},
};
const souk_json_spec souk__order_line_spec = {line_fields, 2, sizeof(line_in), offsetof(line_in, present),
                                              offsetof(line_in, nulls)};

#define S(name, flags, field, min, max) \
    {name, SOUK_JSON_STRING, flags, offsetof(act_in, field), min, max, 0, NULL, NULL, NULL, NULL}
#define LINES(flags) {"lines", SOUK_JSON_ARRAY, flags, offsetof(act_in, lines), 1, 100, 0, NULL, NULL, NULL, \
                      &souk__order_line_spec}
#define SPEC(f) {f, sizeof f / sizeof f[0], sizeof(act_in), offsetof(act_in, present), offsetof(act_in, nulls)}
static const souk_json_field cancel_fields[] = {S("reason", 0, reason, 0, 200)};
static const souk_json_field fulfil_fields[] = {LINES(0)};
static const souk_json_field ship_fields[] = {S("carrier", SOUK_JSON_REQUIRED, carrier, 1, 100),
                                              S("tracking", SOUK_JSON_REQUIRED, tracking, 1, 100)};
static const souk_json_spec cancel_spec = SPEC(cancel_fields), fulfil_spec = SPEC(fulfil_fields),
                            ship_spec = SPEC(ship_fields);

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

int souk__act_run(souk_req *req, souk_res *res, act *x, souk_store_body body, int status)
{
    souk_err e = souk_store_run(req->store, body, x, &res->problems);
    if (e == SOUK_E_VALIDATION)
        return souk_res_invalid(res);
    if (e == SOUK_E_INVALID_STATE || e == SOUK_E_CONFLICT)
        return souk_res_error(res, SOUK_E_INVALID_STATE, res->problems.count ? NULL :
                              "This is not possible in the order's current state.");
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
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_ORDER, &id) || souk__order_access(req, res, id, how, &x->o,
                                                                                    &x->vendor))
        return res->err;
    return spec ? souk__act_decode_optional(req, res, spec, in) : 0;
}

/* ---- cancel ---- */

static souk_err cancel_tx(souk_store *db, void *arg)
{
    act *x = arg;
    souk_err e = souk__order_load(db, x->o.id, &x->o); /* the state as this transaction sees it */
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
    act x;
    act_in in;
    if (souk__act_prepare(req, res, SOUK__OWNER_OR_MANAGER, &cancel_spec, &in, &x))
        return res->err;
    return souk__act_run(req, res, &x, cancel_tx, 200);
}

/* ---- fulfil ---- */

static bool fulfillable(const char *state)
{
    return strcmp(state, "paid") == 0 || strcmp(state, "partially_fulfilled") == 0;
}

/* Why line I of the request cannot be fulfilled: a VALIDATION problem. */
static souk_err line_problem(souk_store *db, act *x, size_t i, const line_in *l)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT quantity - fulfilled FROM order_lines WHERE order_id = $1 "
                                        "AND variant_id = $2 AND ($3 = 0 OR vendor_id = $3)");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, x->o.id);
    souk_stmt_bind_i64(st, 2, l->variant_id);
    souk_stmt_bind_i64(st, 3, x->vendor);
    int r = souk_stmt_step(st);
    if (r < 0)
        return souk_store_dberr(r);
    char field[32];
    snprintf(field, sizeof field, "lines[%zu]", i);
    if (r == SOUK_DB_ROW) {
        souk_problems_add(x->pr, x->req->arena, field, "only %lld left to fulfil", (long long)souk_stmt_i64(st, 0));
        souk_stmt_done(st);
    } else {
        souk_problems_add(x->pr, x->req->arena, field, "is not a line of this order that you fulfil");
    }
    return SOUK_E_VALIDATION;
}

static souk_err fulfil_tx(souk_store *db, void *arg)
{
    act *x = arg;
    souk_err e = souk__order_load(db, x->o.id, &x->o);
    if (e)
        return e;
    if (!fulfillable(x->o.state))
        return SOUK_E_INVALID_STATE;
    if (!x->in->lines.count) { /* everything the caller may fulfil */
        if (souk_store_exec2(db, "UPDATE order_lines SET fulfilled = quantity WHERE order_id = $1 "
                                 "AND ($2 = 0 OR vendor_id = $2) AND fulfilled < quantity", x->o.id, x->vendor) < 0)
            return SOUK_E_INTERNAL;
        if (souk_store_changes(db) == 0)
            return SOUK_E_INVALID_STATE; /* nothing left */
    }
    const line_in *lines = x->in->lines.items;
    bool bad = false;
    for (size_t i = 0; i < x->in->lines.count; i++) {
        souk_stmt *st = souk_store_stmt(db, "UPDATE order_lines SET fulfilled = fulfilled + $3 WHERE order_id = $1 "
                                            "AND variant_id = $2 AND ($4 = 0 OR vendor_id = $4) "
                                            "AND fulfilled + $3 <= quantity");
        if (!st)
            return SOUK_E_INTERNAL;
        souk_stmt_bind_i64(st, 1, x->o.id);
        souk_stmt_bind_i64(st, 2, lines[i].variant_id);
        souk_stmt_bind_i64(st, 3, lines[i].quantity);
        souk_stmt_bind_i64(st, 4, x->vendor);
        int r = souk_stmt_exec(st);
        if (r < 0)
            return souk_store_dberr(r);
        if (souk_store_changes(db) == 0) {
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
    act x;
    act_in in;
    if (souk__act_prepare(req, res, SOUK__FULFIL, &fulfil_spec, &in, &x))
        return res->err;
    return souk__act_run(req, res, &x, fulfil_tx, 200);
}

/* ---- ship and deliver: the caller's sub-orders in FROM move to TO ---- */

static souk_err move_subs(souk_store *db, act *x, const char *from, const char *to)
{
    souk__order o;
    souk_err e = souk__order_load(db, x->o.id, &o);
    if (e)
        return e;
    if (!strcmp(o.state, "pending_payment") || !strcmp(o.state, "cancelled") || !strcmp(o.state, "refunded"))
        return SOUK_E_INVALID_STATE;
    souk_stmt *st = souk_store_stmt(db, "UPDATE sub_orders SET state = $3, carrier = coalesce($4, carrier), "
                                        "tracking = coalesce($5, tracking), updated_at = $6 WHERE order_id = $1 "
                                        "AND ($2 = 0 OR vendor_id = $2) AND state = $7 RETURNING id");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, x->o.id);
    souk_stmt_bind_i64(st, 2, x->vendor);
    souk_stmt_bind_text(st, 3, to, SIZE_MAX);
    if (x->in->carrier) souk_stmt_bind_text(st, 4, x->in->carrier, SIZE_MAX); else souk_stmt_bind_null(st, 4);
    if (x->in->tracking) souk_stmt_bind_text(st, 5, x->in->tracking, SIZE_MAX); else souk_stmt_bind_null(st, 5);
    souk_stmt_bind_i64(st, 6, souk_time_now_us());
    souk_stmt_bind_text(st, 7, from, SIZE_MAX);
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
    act x;
    act_in in;
    if (souk__act_prepare(req, res, SOUK__FULFIL, NULL, &in, &x) || souk_req_decode(req, res, &ship_spec, &in))
        return res->err;
    return souk__act_run(req, res, &x, ship_tx, 200);
}

int souk_orders_api_deliver(souk_req *req, souk_res *res)
{
    act x;
    act_in in;
    memset(&in, 0, sizeof in);
    if (souk__act_prepare(req, res, SOUK__FULFIL, NULL, &in, &x))
        return res->err;
    return souk__act_run(req, res, &x, deliver_tx, 200);
}
