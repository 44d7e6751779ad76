/*
 * api.c — the HTTP handlers of subscriptions: the customer's own (an access
 * token) and the admins' (subscriptions:manage). Writes run in the
 * request's write transaction (souk_store_run) and name what they changed
 * for the audit (souk_res_audit).
 */
#include "subscriptions/api.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/json.h"
#include "core/query_spec.h"
#include "subscriptions/internal.h"
#include "core/banned.h"

static int64_t customer(souk_req *req)
{
    return req->principal.kind == SOUK_ACTOR_USER ? req->principal.user_id : 0;
}

static int need_customer(souk_req *req, souk_res *res)
{
    if (!customer(req))
        return souk_res_error(res, SOUK_E_FORBIDDEN, "Subscriptions belong to a signed-in customer's account.");
    return 0;
}

static int answer(souk_req *req, souk_res *res, int64_t id, int status, bool staff)
{
    souk_err e;
    json_t *j = souk__subs_json(req->store, id, true, staff, &e);
    return j ? souk_res_json(res, status, j)
             : souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such subscription." : NULL);
}

static void audit(souk_req *req, souk_res *res, int64_t id)
{
    char ref[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "subscription",
                   souk_arena_strdup(req->arena, souk_id_format(SOUK_PREFIX_SUBSCRIPTION, id, ref)));
}

/* Decodes the body with DECODE; 0, or the 4xx set on RES. */
static json_t *body_of(souk_req *req, souk_res *res)
{
    return souk_req_json(req, res);
}

int souk_subs_api_me_list(souk_req *req, souk_res *res)
{
    if (need_customer(req, res))
        return res->err;
    souk_err e;
    json_t *j = souk__subs_list_json(req->store, customer(req), NULL, 100, false, &e);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, e, NULL);
}

typedef struct create_ctx {
    int64_t user;
    souk__subs_create_in in;
    int64_t id;
    souk_arena *a;
    souk_problems *pr;
} create_ctx;

static souk_err create_tx(souk_store *db, void *arg)
{
    create_ctx *x = arg;
    return souk__subs_create_tx(db, x->user, &x->in, &x->id, x->a, x->pr);
}

int souk_subs_api_me_create(souk_req *req, souk_res *res)
{
    if (need_customer(req, res))
        return res->err;
    json_t *body = body_of(req, res);
    if (!body)
        return res->err;
    create_ctx x = {customer(req), {0}, 0, req->arena, &res->problems};
    int rc = souk__subs_decode_create(body, &x.in, req->arena, &res->problems);
    json_decref(body);
    if (rc < 0)
        return souk_res_invalid(res);
    souk_err e = souk_store_run(req->store, create_tx, &x, &res->problems);
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No such order of yours holding that variant.");
    if (e == SOUK_E_INVALID_STATE || e == SOUK_E_CONFLICT) {
        const char *why = res->problems.count ? res->problems.items[0].message : NULL;
        return souk_res_error(res, e, why);
    }
    if (e)
        return souk_res_error(res, e, NULL);
    audit(req, res, x.id);
    return answer(req, res, x.id, 201, false);
}

/* Path parameter 0 as a subscription of the caller (USER ≠ 0) or any (0). */
static int path_sub(souk_req *req, souk_res *res, int64_t user, int64_t *id)
{
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_SUBSCRIPTION, id))
        return res->err;
    if (!user)
        return 0;
    souk_arena a;
    souk_arena_init(&a, 4096, 1 << 20);
    souk__subs s;
    souk_err e = souk__subs_load(req->store, *id, &s, &a);
    souk_arena_release(&a);
    if (!e && s.user_id != user)
        e = SOUK_E_NOT_FOUND; /* someone else's is not said to exist */
    return e ? souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such subscription." : NULL) : 0;
}

int souk_subs_api_me_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (need_customer(req, res) || path_sub(req, res, customer(req), &id))
        return res->err;
    return answer(req, res, id, 200, false);
}

typedef struct update_ctx {
    int64_t id, user;
    souk__subs_update_in in;
    int action;
    const char *who;
    souk_arena *a;
    souk_problems *pr;
} update_ctx;

static souk_err update_tx(souk_store *db, void *arg)
{
    update_ctx *x = arg;
    return souk__subs_update_tx(db, x->id, x->user, &x->in, x->a, x->pr);
}

static souk_err action_tx(souk_store *db, void *arg)
{
    update_ctx *x = arg;
    return souk__subs_action_tx(db, x->id, x->user, x->action, x->who, x->a, x->pr);
}

static int update(souk_req *req, souk_res *res, int64_t user, bool staff)
{
    int64_t id;
    if (path_sub(req, res, user, &id))
        return res->err;
    json_t *body = body_of(req, res);
    if (!body)
        return res->err;
    update_ctx x = {id, user, {0}, 0, NULL, req->arena, &res->problems};
    int rc = souk__subs_decode_update(body, &x.in, req->arena, &res->problems);
    json_decref(body);
    if (rc < 0)
        return souk_res_invalid(res);
    souk_err e = souk_store_run(req->store, update_tx, &x, &res->problems);
    if (e == SOUK_E_VALIDATION)
        return souk_res_invalid(res);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_INVALID_STATE ? "The subscription is cancelled." : NULL);
    audit(req, res, id);
    return answer(req, res, id, 200, staff);
}

static int action(souk_req *req, souk_res *res, int64_t user, bool staff)
{
    int64_t id;
    if (path_sub(req, res, user, &id))
        return res->err;
    json_t *body = body_of(req, res);
    if (!body)
        return res->err;
    update_ctx x = {id, user, {0}, 0, staff ? "admin" : "customer", req->arena, &res->problems};
    int rc = souk__subs_decode_action(body, &x.action, req->arena, &res->problems);
    json_decref(body);
    if (rc < 0)
        return souk_res_invalid(res);
    souk_err e = souk_store_run(req->store, action_tx, &x, &res->problems);
    if (e == SOUK_E_INVALID_STATE)
        return souk_res_error(res, e, res->problems.count ? res->problems.items[0].message : NULL);
    if (e)
        return souk_res_error(res, e, NULL);
    audit(req, res, id);
    return answer(req, res, id, 200, staff);
}

int souk_subs_api_me_update(souk_req *req, souk_res *res)
{
    if (need_customer(req, res))
        return res->err;
    return update(req, res, customer(req), false);
}

int souk_subs_api_me_action(souk_req *req, souk_res *res)
{
    if (need_customer(req, res))
        return res->err;
    return action(req, res, customer(req), false);
}

/* ---- admins ---- */

static const char *const states[] = {"active", "paused", "cancelled", NULL};

typedef struct list_in {
    int state;
    int64_t user, limit;
    uint64_t present;
} list_in;

static const souk_query_field list_fields[] = {
    SOUK_QUERY_F_ENUM("state", list_in, state, states),
    SOUK_QUERY_F_ID("user", list_in, user, "usr"),
    SOUK_QUERY_F_INT("limit", list_in, limit, 1, 200),
};
static const souk_query_spec list_spec = SOUK_QUERY_SPEC(list_in, list_fields);

int souk_subs_api_admin_list(souk_req *req, souk_res *res)
{
    list_in in = {0};
    if (souk_query_decode(&list_spec, &req->query, &in, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    souk_err e;
    json_t *j = souk__subs_list_json(req->store, souk_query_present(&list_spec, &in, 1) ? in.user : 0,
                                     souk_query_present(&list_spec, &in, 0) ? states[in.state] : NULL,
                                     souk_query_present(&list_spec, &in, 2) ? (int)in.limit : 50, true, &e);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, e, NULL);
}

int souk_subs_api_admin_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (path_sub(req, res, 0, &id))
        return res->err;
    return answer(req, res, id, 200, true);
}

int souk_subs_api_admin_update(souk_req *req, souk_res *res)
{
    return update(req, res, 0, true);
}

int souk_subs_api_admin_action(souk_req *req, souk_res *res)
{
    return action(req, res, 0, true);
}

int souk_subs_api_settings_get(souk_req *req, souk_res *res)
{
    souk__subs_settings s;
    souk_err e = souk__subs_settings_read(req->store, &s);
    if (e)
        return souk_res_error(res, e, NULL);
    json_t *j = souk__subs_settings_json(&s);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

static souk_err settings_tx(souk_store *db, void *arg)
{
    return souk__subs_settings_write_tx(db, arg);
}

int souk_subs_api_settings_put(souk_req *req, souk_res *res)
{
    json_t *body = body_of(req, res);
    if (!body)
        return res->err;
    souk__subs_settings s;
    int rc = souk__subs_decode_settings(body, &s, req->arena, &res->problems);
    json_decref(body);
    if (rc < 0)
        return souk_res_invalid(res);
    souk_err e = souk_store_run(req->store, settings_tx, &s, NULL);
    if (e)
        return souk_res_error(res, e, NULL);
    souk_res_audit(res, "subscription_settings", "settings");
    json_t *j = souk__subs_settings_json(&s);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}
