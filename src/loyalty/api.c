/*
 * api.c — the HTTP handlers of loyalty points: the customer's own account,
 * the settings, and an admin's read and adjustments of a customer's points.
 * Writes run in the request's write transaction and are audited by the
 * server (souk_res_audit names what changed).
 */
#include "loyalty/api.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cart/cart.h"
#include "core/id.h"
#include "core/json.h"
#include "core/money.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "identity/identity.h"
#include "loyalty/internal.h"
#include "core/banned.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200
#define REASON_MAX 500

typedef struct page_in {
    int64_t limit, before;
    uint64_t present;
} page_in;

enum { P_LIMIT, P_BEFORE };
static const souk_query_field page_fields[] = {
    [P_LIMIT] = SOUK_QUERY_F_INT("limit", page_in, limit, 1, PAGE_MAX),
    [P_BEFORE] = SOUK_QUERY_F_ID("before", page_in, before, SOUK_PREFIX_LOYALTY_ENTRY),
};
static const souk_query_spec page_spec = SOUK_QUERY_SPEC(page_in, page_fields);

/* The account USER as the answer (STATUS), page from REQ's query. */
static int answer_account(souk_req *req, souk_res *res, int64_t user, int status)
{
    page_in in = {0};
    if (souk_query_decode(&page_spec, &req->query, &in, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    if (!souk_query_present(&page_spec, &in, P_LIMIT))
        in.limit = PAGE_DEFAULT;
    souk_err e;
    json_t *out = souk_loyalty_account_json(req->store, user, (int)in.limit, in.before, &e);
    return out ? souk_res_json(res, status, out) : souk_res_error(res, e, NULL);
}

int souk_loyalty_api_me(souk_req *req, souk_res *res)
{
    if (req->principal.kind != SOUK_ACTOR_USER || !req->principal.user_id)
        return souk_res_error(res, SOUK_E_FORBIDDEN, "Points belong to a signed-in customer's account.");
    return answer_account(req, res, req->principal.user_id, 200);
}

typedef struct quote_in {
    int64_t points;
    uint64_t present;
} quote_in;

static const souk_query_field quote_fields[] = {
    SOUK_QUERY_F_INT("points", quote_in, points, 1, SOUK_LOYALTY_POINTS_MAX),
};
static const souk_query_spec quote_spec = SOUK_QUERY_SPEC(quote_in, quote_fields);

static int64_t amount_of(const json_t *money)
{
    return json_integer_value(json_object_get(money, "amount"));
}

int souk_loyalty_api_quote(souk_req *req, souk_res *res)
{
    if (req->principal.kind != SOUK_ACTOR_USER || !req->principal.user_id)
        return souk_res_error(res, SOUK_E_FORBIDDEN, "Points belong to a signed-in customer's account.");
    int64_t user = req->principal.user_id, cart = 0;
    quote_in in = {0};
    if (souk_query_decode(&quote_spec, &req->query, &in, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    if (!souk_query_present(&quote_spec, &in, 0)) {
        souk_problems_add(&res->problems, req->arena, "points", "is required");
        return souk_res_invalid(res);
    }
    souk_err e = souk_cart_find(req->store, user, NULL, &cart);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No cart: create one with POST /api/v1/carts." : NULL);
    json_t *plain = NULL, *priced = NULL;
    if ((e = souk_cart_json_as(req->store, cart, user, NULL, &plain)))
        return souk_res_error(res, e, NULL);
    const json_t *t = json_object_get(plain, "totals");
    const char *currency = json_string_value(json_object_get(plain, "currency"));
    int64_t goods = amount_of(json_object_get(t, "subtotal")) - amount_of(json_object_get(t, "discount"));
    int64_t amount = 0, max = 0;
    e = souk_loyalty_quote(req->store, user, currency, goods, in.points, &amount, req->arena, &res->problems);
    if (!e || e == SOUK_E_VALIDATION) {
        souk_err m = souk_loyalty_max_points(req->store, user, currency, goods, &max);
        e = e ? e : m;
    }
    if (!e)
        e = souk_cart_json_redeem(req->store, cart, user, NULL, amount, &priced);
    json_t *out = e ? NULL
                    : json_pack("{s:I,s:{s:I,s:s},s:I,s:O}", "points", (json_int_t)in.points, "amount", "amount",
                                (json_int_t)amount, "currency", currency, "max_points", (json_int_t)max, "totals",
                                json_object_get(priced, "totals"));
    json_decref(plain);
    json_decref(priced);
    if (e == SOUK_E_VALIDATION)
        return souk_res_invalid(res);
    if (e)
        return souk_res_error(res, e, NULL);
    return out ? souk_res_json(res, 200, out) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_loyalty_api_settings_get(souk_req *req, souk_res *res)
{
    souk_loyalty_settings s;
    souk_err e = souk_loyalty_settings_read(req->store, &s);
    if (e)
        return souk_res_error(res, e, NULL);
    json_t *j = souk_loyalty_settings_json(&s);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

static souk_err settings_tx(souk_store *db, void *arg)
{
    return souk_loyalty_settings_write_tx(db, arg, souk_time_now_us());
}

int souk_loyalty_api_settings_put(souk_req *req, souk_res *res)
{
    json_t *body = souk_req_json(req, res);
    if (!body)
        return res->err;
    souk_loyalty_settings s;
    int rc = souk_loyalty_settings_decode(body, &s, req->arena, &res->problems);
    json_decref(body);
    if (rc < 0)
        return souk_res_invalid(res);
    souk_err e = souk_store_run(req->store, settings_tx, &s, NULL);
    if (e)
        return souk_res_error(res, e, NULL);
    souk_res_audit(res, "loyalty_settings", "settings");
    json_t *j = souk_loyalty_settings_json(&s);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

/* ---- a customer's points, for admins ---- */

/* The account of path parameter 0 into *USER; 0, or the 404 set on RES. */
static int customer_of(souk_req *req, souk_res *res, int64_t *user)
{
    if (souk_req_path_id(req, res, 0, "usr", user))
        return res->err;
    const char *email = NULL;
    souk_err e = souk_identity_user_email(req->store, *user, req->arena, &email);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such account." : NULL);
    return 0;
}

int souk_loyalty_api_admin_get(souk_req *req, souk_res *res)
{
    int64_t user;
    if (customer_of(req, res, &user))
        return res->err;
    return answer_account(req, res, user, 200);
}

typedef struct adjust_in {
    int64_t points;
    const char *reason;
    uint64_t present, nulls;
} adjust_in;

static const char *reason_check(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return NULL;
    return "must say why";
}

static const souk_json_field adjust_fields[] = {
    SOUK_JSON_F_INT("points", SOUK_JSON_REQUIRED, adjust_in, points, -SOUK_LOYALTY_POINTS_MAX, SOUK_LOYALTY_POINTS_MAX),
    SOUK_JSON_F_STRING("reason", SOUK_JSON_REQUIRED, adjust_in, reason, 1, REASON_MAX, reason_check),
};
static const souk_json_spec adjust_spec = SOUK_JSON_SPEC(adjust_in, adjust_fields);

typedef struct adjust_ctx {
    int64_t user, points;
    const char *reason, *actor;
    int64_t entry;
    souk_arena *a;
    souk_problems *pr;
} adjust_ctx;

static souk_err adjust_tx(souk_store *db, void *arg)
{
    adjust_ctx *x = arg;
    return souk_loyalty_adjust_tx(db, x->user, x->points, x->reason, x->actor, souk_time_now_us(), &x->entry, x->a,
                                  x->pr);
}

int souk_loyalty_api_admin_adjust(souk_req *req, souk_res *res)
{
    int64_t user, entry = 0;
    adjust_in in;
    if (customer_of(req, res, &user) || souk_req_decode(req, res, &adjust_spec, &in))
        return res->err;
    if (in.points == 0) {
        souk_problems_add(&res->problems, req->arena, "points", "must not be 0");
        return souk_res_invalid(res);
    }
    adjust_ctx x = {user, in.points, in.reason, "api_key", 0, req->arena, &res->problems};
    char actor[SOUK_ID_TEXT_MAX];
    if (req->principal.user_id)
        x.actor = souk_id_format("usr", req->principal.user_id, actor);
    /* a savepoint of the request's transaction: a refused debit leaves no entry behind */
    souk_err e = souk_store_run(req->store, adjust_tx, &x, &res->problems);
    entry = x.entry;
    if (e == SOUK_E_VALIDATION)
        return souk_res_invalid(res);
    if (e)
        return souk_res_error(res, e, NULL);
    char ref[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "loyalty_entry",
                   souk_arena_strdup(req->arena, souk_id_format(SOUK_PREFIX_LOYALTY_ENTRY, entry, ref)));
    res->audit_subject_user = user;
    return answer_account(req, res, user, 201);
}
