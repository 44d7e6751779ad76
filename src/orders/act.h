/* act.h — the plumbing of the order action handlers (api_act.c, api_money.c);
 * internal to src/orders. */
#ifndef SOUK_ORDERS_ACT_H
#define SOUK_ORDERS_ACT_H

#include "core/json.h"
#include "orders/api.h"
#include "orders/internal.h"

typedef struct line_in {
    int64_t variant_id, quantity;
    uint64_t present, nulls;
} line_in;

/* Every field any action takes; each handler's spec names its own. */
typedef struct act_in {
    souk_json_array lines; /* of line_in */
    const char *reason, *carrier, *tracking;
    const char *decision; /* review: "release" or "cancel" */
    int64_t amount;
    uint64_t present, nulls;
} act_in;

/* {"variant_id": "var_…", "quantity": 1..1000000} */
extern const souk_json_spec souk__order_line_spec;

/* One action on one order, handed to its transaction body. */
typedef struct act {
    souk_req *req;
    souk__order o;  /* reloaded by the body inside its transaction */
    int64_t vendor; /* the caller's part (0 = all of it) */
    const act_in *in;
    const char *actor; /* "usr_…", "key_…" or "guest" */
    int64_t refund_id; /* a refund the body began: sent after the commit */
    int64_t object_id; /* e.g. the return acted on */
    souk_problems *pr;
    /* for souk__act_run: the body, the answer's status and the response,
     * whose audit entry joins the body's transaction */
    souk_store_body body;
    int status;
    souk_res *res;
} act;

/* Finds order path parameter 0, checks access HOW (souk__order_access) and
 * decodes the optional body by SPEC (NULL = none) into IN. 0 or the error. */
int souk__act_prepare(souk_req *req, souk_res *res, int how, const souk_json_spec *spec, act_in *in, act *x);

/* Decodes an optional body by SPEC into IN (no body = nothing present). */
int souk__act_decode_optional(souk_req *req, souk_res *res, const souk_json_spec *spec, act_in *in);

/* Runs BODY in a write transaction, sends a refund it began, and answers
 * the order with STATUS; INVALID_STATE/CONFLICT → 409 INVALID_STATE,
 * VALIDATION → 422 with the problems. */
int souk__act_run(souk_req *req, souk_res *res, act *x, souk_store_body body, int status);

/* A whole action handler: souk__act_prepare for HOW, the body decoded by
 * SPEC (NULL = none; OPTIONAL: it may be absent), then souk__act_run of
 * BODY answering STATUS. */
int souk__act_handle(souk_req *req, souk_res *res, int how, const souk_json_spec *spec, bool optional,
                     souk_store_body body, int status);

/* Inside BODY's transaction: reloads X->o (the state as this transaction
 * sees it). INVALID_STATE when ALLOWED (NULL = any state) refuses it;
 * NOT_FOUND or the database error. */
souk_err souk__act_reload(souk_store *db, act *x, bool (*allowed)(const char *state));

/* The actor name of the caller, for history rows (arena). */
const char *souk__order_actor(souk_req *req);

#endif
