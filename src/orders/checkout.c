/*
 * checkout.c — POST /api/v1/checkout: the Idempotency-Key claimed (with the
 * order placed in pending_payment: checkout_claim.c, place.c), the gateway
 * called outside any transaction, and the outcome with its stored answer.
 * See docs/internals/orders.md.
 */
#include "orders/api.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cart/cart.h"
#include "core/id.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "mail/mail.h"
#include "orders/checkout_claim.h"
#include "orders/checkout_in.h"
#include "core/banned.h"

/* ---- the outcome ---- */

typedef struct finish_ctx {
    const souk__checkout_claim *c;
    souk__order *order;                /* the order as this transaction has it; NULL: read it */
    const souk__placed *placed;        /* what this transaction wrote of it, when it placed it */
    const souk_payment_intent *intent; /* NULL: no gateway news */
    bool created;                      /* the intent was just created */
    bool confirmed;                    /* a confirmation was asked for */
    int64_t refund_id;                 /* a refund to send after the commit */
    bool mismatch;                     /* the gateway took another amount than the total (payment_check.c) */
    const char *request_id;
    int status;
    char *body;    /* malloc'd */
    souk_req *req; /* the request, whose audit entry joins the transaction that answers it */
    souk_res *res;
    char saved[256]; /* the payment method saved for later charges (save_payment_method); "" none */
} finish_ctx;

/* Keeps the method a paid checkout saved (subscriptions charge it later):
 * once per order. */
static souk_err save_method_tx(souk_store *db, int64_t order, int64_t user, const char *token)
{
    return souk_store_dberr(
        souk_store_exec(db,
                        "INSERT INTO order_saved_methods (order_id, user_id, gateway, token, "
                        "created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO NOTHING",
                        SOUK_ARGS(SOUK_I64(order), SOUK_I64(user), SOUK_TEXT(souk_orders_gateway()->name),
                                  SOUK_TEXT(token), SOUK_I64(souk_time_now_us()))));
}

/* Applies the gateway's news to the order (in the transaction). */
static souk_err apply(souk_store *db, finish_ctx *f, const char *actor)
{
    const souk_payment_intent *pi = f->intent;
    int64_t order = f->c->order_id;
    if (f->created) {
        int r = souk_store_exec(db,
                                "UPDATE orders SET intent_id = $2, client_secret = $3, updated_at = $4 "
                                "WHERE id = $1 AND intent_id IS NULL",
                                SOUK_ARGS(SOUK_I64(order), SOUK_TEXT(pi->id),
                                          SOUK_TEXT(pi->client_secret[0] ? pi->client_secret : NULL),
                                          SOUK_I64(souk_time_now_us())));
        if (r < 0)
            return souk_store_dberr(r);
    }
    f->mismatch = false;
    if (!f->confirmed)
        return SOUK_OK;
    souk_err e;
    switch (pi->status) {
    case SOUK_PAY_SUCCEEDED: {
        /* what the gateway says it charged, never what was asked of it */
        souk__payment_report p = {pi->id, pi->amount, pi->amount_received, pi->currency, "checkout", f->request_id};
        souk__order read, *o = f->order ? f->order : &read;
        if (!f->order && (e = souk__order_load(db, order, &read)))
            return e;
        e = souk__payment_succeeded_tx(db, o, &p, actor, &f->refund_id, &f->mismatch);
        if (!e && f->saved[0] && f->c->place.user_id && strcmp(o->state, "paid") == 0)
            e = save_method_tx(db, order, f->c->place.user_id, f->saved);
        return e;
    }
    case SOUK_PAY_PROCESSING: return souk__order_processing_tx(db, order);
    case SOUK_PAY_REQUIRES_CONFIRMATION:
        return SOUK_OK; /* e.g. 3-D Secure: the client finishes with the client secret; the webhook tells */
    case SOUK_PAY_FAILED:
    case SOUK_PAY_DECLINED: {
        const char *status = pi->status == SOUK_PAY_FAILED ? "failed" : "declined";
        const char *code = pi->decline_code[0] ? pi->decline_code : "card_declined";
        char note[128];
        snprintf(note, sizeof note, "payment %s: %s", status, code);
        e = souk__order_cancel_pending_tx(db, order, status, code, note, actor);
        return e == SOUK_E_CONFLICT ? SOUK_OK : e;
    }
    }
    return SOUK_OK;
}

/* Records a created intent alone (its confirmation could not be sent). */
static souk_err record_intent_tx(souk_store *db, void *arg)
{
    finish_ctx *f = arg;
    return apply(db, f, f->c->place.actor);
}

/* Between creating and confirming an intent: writes it down at once, so a
 * webhook about it finds its order even if this request dies next. */
static void record_intent(finish_ctx *f, void *db)
{
    if (souk_store_run(db, record_intent_tx, f, NULL) == SOUK_OK)
        f->created = false; /* recorded: finish_tx need not */
}

/* Renders the answer from the order as it now is: from what this
 * transaction wrote when it placed the order and paid it (the common
 * case: nothing to read back), else from the database. */
/* an order's answer is a few KiB; the response body's own limit is 32 MiB */
#define SOUK__CHECKOUT_BODY_MAX (4u << 20)

static souk_err render(souk_store *db, finish_ctx *f)
{
    const souk__checkout_claim *c = f->c;
    char token[SOUK__ORDER_TOKEN_LEN];
    if (!c->place.user_id)
        souk__order_token(c->place.guest_key, c->order_id, token);
    const char *order_token = c->place.user_id ? NULL : token;
    bool paid_here = f->placed && f->order && strcmp(f->order->state, "paid") == 0 && f->order->paid_at &&
                     !f->mismatch && !f->refund_id;
    if (paid_here) { /* written from memory, straight into the body */
        souk_buf b;
        souk_buf_init(&b, SOUK__CHECKOUT_BODY_MAX);
        if (souk__order_paid_write(f->placed, f->order, order_token, &b) == SOUK_OK && b.data) {
            free(f->body);
            f->body = b.data; /* malloc'd, NUL-terminated: the body owns it now */
            f->status = 201;
            return SOUK_OK;
        }
        souk_buf_release(&b); /* not from memory after all: read back below, as the contract says */
    }
    json_t *j = NULL;
    souk_err e = souk__order_json(db, c->order_id, 0, &j);
    if (e)
        return e;
    const char *state = json_string_value(json_object_get(j, "state"));
    if (state && strcmp(state, "cancelled") == 0) {
        const char *paid = json_string_value(json_object_get(j, "payment_status"));
        bool declined = paid && (strcmp(paid, "declined") == 0 || strcmp(paid, "failed") == 0);
        json_decref(j);
        char code[64];
        int r = souk_store_one(db, "SELECT decline_code FROM orders WHERE id = $1", SOUK_ARGS(SOUK_I64(c->order_id)),
                               SOUK_COLS(SOUK_COL_STR(code)));
        if (r != SOUK_DB_ROW)
            return r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk_store_dberr(r); /* loaded above, in this transaction */
        j = json_pack("{s:s,s:s}", "error_code", declined ? "PAYMENT_DECLINED" : "INVALID_STATE", "detail",
                      declined ? code : "cancelled");
        f->status = declined ? 402 : 409;
    } else {
        if (order_token)
            json_object_set_new(j, "order_token", json_string(order_token));
        f->status = 201;
    }
    free(f->body);
    f->body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return f->body ? SOUK_OK : SOUK_E_INTERNAL;
}

static souk_err finish_tx(souk_store *db, void *arg)
{
    finish_ctx *f = arg;
    souk_err e = f->intent ? apply(db, f, f->c->place.actor) : SOUK_OK;
    if (!e)
        e = render(db, f);
    if (e)
        return e;
    e = souk__checkout_claim_answer_tx(db, f->c, f->status, f->body);
    if (e)
        return e;
    /* the answer is decided: the request's audit entry commits with it */
    char ref[SOUK_ID_TEXT_MAX];
    souk_res_audit(f->res, "order", souk_arena_strdup(f->req->arena, souk__order_ref(f->c->order_id, ref)));
    souk_req_audit_tx(f->req, f->res, db, f->status);
    return SOUK_OK;
}

/* The gateway could not be reached: the next retry with this key resumes. */
static int unreachable(souk_req *req, souk_res *res, const souk__checkout_claim *c, const char *why)
{
    souk__checkout_claim_release(req->store, c);
    souk_log(SOUK_LOG_WARN, req->request_id, NULL, NULL, "checkout: %s", why);
    res->retry_after = "5";
    return souk_res_error(res, SOUK_E_UNAVAILABLE,
                          "The payment provider cannot be reached; retry with the same Idempotency-Key.");
}

/* The gateway's part: creates the intent of order O unless it has one, and
 * confirms it with PAYMENT_METHOD (NULL = the client will). F and its
 * intents PI/CONFIRMED are filled. Returns 0, or -1 with ERR when the gateway
 * cannot be reached (F->created tells whether an intent was made before). */
static int gateway_steps(souk__order *o, const char *payment_method, finish_ctx *f, souk_payment_intent *pi, char *err,
                         size_t errlen, void (*created)(finish_ctx *f, void *ctx), void *ctx)
{
    const souk_payment_gateway *g = souk_orders_gateway();
    char ref[SOUK_ID_TEXT_MAX], idem[SOUK_ID_TEXT_MAX + 16];
    souk__order_ref(o->id, ref);
    if (strcmp(o->state, "pending_payment") != 0)
        return 0;        /* paid by a webhook, or cancelled, meanwhile: answer what is */
    if (o->total == 0) { /* nothing to pay (a 100 % coupon, free shipping): no gateway */
        memset(pi, 0, sizeof *pi);
        pi->status = SOUK_PAY_SUCCEEDED;
        snprintf(pi->currency, sizeof pi->currency, "%s", o->currency); /* 0 of it, taken by nobody */
        f->intent = pi;
        f->confirmed = true;
        return 0;
    }
    if (!o->intent_id[0]) {
        snprintf(idem, sizeof idem, "%s-create", ref);
        if (g->create_intent(g, o->total, o->currency, ref, idem, pi, err, errlen) < 0)
            return -1;
        f->intent = pi;
        f->created = true;
        snprintf(o->intent_id, sizeof o->intent_id, "%s", pi->id);
        if (created) /* the intent is on record before it can be paid */
            created(f, ctx);
    }
    if (!payment_method)
        return 0;
    if (f->c->place.save_method && g->save_method && !f->saved[0]) {
        /* made reusable before it pays, as providers require */
        snprintf(idem, sizeof idem, "%s-save", ref);
        if (g->save_method(g, o->intent_id, payment_method, idem, f->saved, sizeof f->saved, err, errlen) < 0)
            return -1;
    }
    souk_payment_intent confirmed;
    snprintf(idem, sizeof idem, "%s-confirm", ref);
    if (g->confirm(g, o->intent_id, payment_method, idem, &confirmed, err, errlen) < 0)
        return -1;
    if (f->created)
        snprintf(confirmed.client_secret, sizeof confirmed.client_secret, "%s", pi->client_secret);
    *pi = confirmed;
    snprintf(pi->id, sizeof pi->id, "%s", o->intent_id);
    f->intent = pi;
    f->confirmed = true;
    return 0;
}

/* Answers with what F stored, after sending a refund it began. */
static int answer_finished(souk_req *req, souk_res *res, finish_ctx *f)
{
    char err[256];
    if (f->mismatch)
        souk__payment_mismatch_count("checkout");
    if (f->refund_id && souk__refund_execute(req->store, f->refund_id, err, sizeof err) < 0)
        souk_log(SOUK_LOG_WARN, req->request_id, NULL, NULL, "refund left to the job queue: %s", err);
    int rc = souk__checkout_replay(req, res, f->status, f->body);
    free(f->body);
    return rc;
}

/* Steps 2 and 3 of docs/internals/orders.md for the claimed order, with the
 * gateway called outside any transaction. */
static int pay(souk_req *req, souk_res *res, const souk__checkout_claim *c, const char *payment_method)
{
    souk__order o;
    souk_err e = souk__order_load(req->store, c->order_id, &o);
    if (e)
        return souk_res_error(res, e, NULL);
    finish_ctx f = {c, NULL, NULL, NULL, false, false, 0, false, req->request_id, 0, NULL, req, res, ""};
    souk_payment_intent pi;
    char err[256] = "";
    if (gateway_steps(&o, payment_method, &f, &pi, err, sizeof err, record_intent, req->store) < 0)
        return unreachable(req, res, c, err);
    e = souk_store_run(req->store, finish_tx, &f, NULL);
    if (e) {
        souk__checkout_claim_release(req->store, c); /* a retry resumes the order */
        free(f.body);
        return souk_res_error(res, e, NULL);
    }
    return answer_finished(req, res, &f);
}

/* With a gateway inside the process (the test gateway: no I/O), the claim,
 * the payment and the answer are one transaction: all or nothing. */
typedef struct inline_ctx {
    souk__checkout_claim *c;
    const char *payment_method, *request_id;
    souk_req *req;
    souk_res *res;
    finish_ctx f;
    souk_payment_intent pi;
    souk__order o; /* the order, as the transaction has it */
} inline_ctx;

static souk_err claim_and_pay_tx(souk_store *db, void *arg)
{
    inline_ctx *x = arg;
    souk_err e = souk__checkout_claim_tx(db, x->c);
    if (e || (x->c->outcome != SOUK__CLAIM_NEW && x->c->outcome != SOUK__CLAIM_RESUME))
        return e;
    char err[256];
    free(x->f.body);
    bool placed = x->c->outcome == SOUK__CLAIM_NEW;
    x->f = (finish_ctx){
        x->c,   &x->o, placed ? &x->c->placed : NULL, NULL, false, false, 0, false, x->request_id, 0, NULL, x->req,
        x->res, ""};
    if (placed) /* written just now: nothing to read back */
        x->o = x->c->placed.o;
    else if ((e = souk__order_load(db, x->c->order_id, &x->o)))
        return e;
    if (gateway_steps(&x->o, x->payment_method, &x->f, &x->pi, err, sizeof err, NULL, NULL) < 0) {
        souk_log(SOUK_LOG_ERROR, NULL, NULL, NULL, "checkout: in-process gateway failed: %s", err);
        return SOUK_E_INTERNAL;
    }
    return finish_tx(db, &x->f);
}

/* POST /api/v1/checkout, placing orders of CHANNEL ("api", "storefront"). */
static int checkout(souk_req *req, souk_res *res, const char *channel)
{
    const char *key = souk_req_header(req, "idempotency-key");
    if (!souk__checkout_key_valid(key)) {
        souk_problems_add(&res->problems, req->arena, "Idempotency-Key",
                          "send a unique key of 1-%d characters [A-Za-z0-9_.:-] with every checkout",
                          SOUK_ORDERS_KEY_MAX);
        return souk_res_invalid(res);
    }
    souk__checkout_in in;
    const char *address = NULL;
    if (souk__checkout_decode(req, res, &in, &address))
        return res->err;
    int64_t user = req->principal.kind == SOUK_ACTOR_USER ? req->principal.user_id : 0;
    const char *token = souk_req_header(req, "x-cart-token");
    bool in_process = souk_orders_gateway()->in_process;
    souk__checkout_claim c = {.key = key, .a = req->arena, .pr = &res->problems, .answer_with_claim = in_process};
    unsigned char lease_raw[16];
    randombytes_buf(lease_raw, sizeof lease_raw);
    sodium_bin2hex(c.lease, sizeof c.lease, lease_raw, sizeof lease_raw);
    char scope[80], hash[65], uref[SOUK_ID_TEXT_MAX];
    unsigned char guest_key[32];
    static const char tag[] = "POST /api/v1/checkout\n";
    souk__checkout_hash(tag, sizeof tag - 1, req->body, req->body_len, hash, NULL);
    if (user) {
        snprintf(scope, sizeof scope, "%s", souk_id_format("usr", user, uref));
    } else {
        if (!token)
            return souk_res_error(res, SOUK_E_NOT_FOUND,
                                  "No cart: guests send their cart's X-Cart-Token, customers sign in.");
        char th[65];
        souk__checkout_hash(token, strlen(token), NULL, 0, th, guest_key);
        snprintf(scope, sizeof scope, "cart:%s", th);
    }
    c.scope = scope;
    c.hash = hash;
    int64_t cart = 0;
    souk_err e = souk_cart_find(req->store, user, token, &cart);
    if (e == SOUK_E_NOT_FOUND)
        cart = 0; /* a replay needs no cart; a new checkout answers 404 */
    else if (e)
        return souk_res_error(res, e, NULL);
    c.place = (souk__place_in){cart,
                               user,
                               user ? NULL : guest_key,
                               in.email,
                               address,
                               souk_orders_gateway()->name,
                               user ? uref : "guest",
                               in.has_expected,
                               in.expected.amount,
                               in.expected.currency,
                               in.payment_method,
                               in.billing_country,
                               channel};
    c.place.redeem_points = in.loyalty_points;
    if (in.save_payment_method && (!user || !in.payment_method)) {
        souk_problems_add(&res->problems, req->arena, "save_payment_method",
                          user ? "needs a payment_method to save" : "only signed-in customers save a payment method");
        return souk_res_invalid(res);
    }
    c.place.save_method = in.save_payment_method;
    c.place.locale = req->locale; /* the route is .localized: ?locale= or Accept-Language */
    if (!in.email && user && souk__checkout_account_email(req, res, user, &c.place.email))
        return res->err;
    if (!c.place.email) {
        souk_problems_add(&res->problems, req->arena, "email", "is required for guest checkouts");
        return souk_res_invalid(res);
    }
    int retry_s = 0;
    if (!in_process && souk_payments_refusing(souk_orders_gateway(), &retry_s)) {
        /* the gateway's breaker is open: refuse before anything is claimed,
         * placed or reserved, so the key stays unused and the retry starts
         * afresh (docs/orders.md, "Gateway outages") */
        char *ra = souk_arena_alloc(req->arena, 16);
        if (ra)
            snprintf(ra, 16, "%d", retry_s);
        res->retry_after = ra ? ra : "5";
        return souk_res_error(res, SOUK_E_UNAVAILABLE,
                              "The payment provider is failing; checkout is paused. Retry after the time given.");
    }
    int64_t deadline = souk_time_now_us() + SOUK_ORDERS_WAIT_US;
    inline_ctx x = {
        .c = &c, .payment_method = in.payment_method, .request_id = req->request_id, .req = req, .res = res};
    for (;;) {
        e = in_process ? souk_store_run(req->store, claim_and_pay_tx, &x, &res->problems)
                       : souk_store_run(req->store, souk__checkout_claim_tx, &c, &res->problems);
        if (e || (c.outcome != SOUK__CLAIM_NEW && c.outcome != SOUK__CLAIM_RESUME)) { /* no answer was stored */
            free(x.f.body);
            x.f.body = NULL;
        }
        if (e == SOUK_E_NOT_FOUND)
            return souk_res_error(res, e, "No cart: create one with POST /api/v1/carts.");
        if (e == SOUK_E_VALIDATION)
            return souk_res_invalid(res);
        if (e)
            return souk_res_error(res, e, NULL);
        if (c.outcome == SOUK__CLAIM_REPLAY) {
            int rc = souk__checkout_replay(req, res, c.status, c.response);
            free(c.response);
            return rc;
        }
        if (c.outcome != SOUK__CLAIM_BUSY)
            break;
        if (souk_time_now_us() > deadline)
            return souk_res_error(res, SOUK_E_CONFLICT,
                                  "A checkout with this Idempotency-Key is still in progress; retry shortly.");
        souk__checkout_claim_wait(req->store, &c, deadline);
    }
    souk_res_audit(res, "order", souk_arena_strdup(req->arena, souk__order_ref(c.order_id, uref)));
    if (in_process)
        return answer_finished(req, res, &x.f);
    return pay(req, res, &c, in.payment_method);
}

int souk_orders_api_checkout(souk_req *req, souk_res *res)
{
    return checkout(req, res, "api");
}

int souk_orders_api_checkout_storefront(souk_req *req, souk_res *res)
{
    return checkout(req, res, "storefront");
}
