/*
 * api.c — the HTTP handlers of wishlists: decode and bound the input, call
 * list.c and token.c. Writes run in the request's write transaction and are
 * audited by the server (souk_res_audit names the list's owner or item).
 */
#include "wishlist/api.h"

#include <string.h>

#include "core/id.h"
#include "core/json.h"
#include "wishlist/internal.h"
#include "core/banned.h"

typedef struct add_in {
    int64_t product, variant;
    bool enabled;
    const char *token;
    uint64_t present, nulls;
} add_in;

static const souk_json_field add_fields[] = {
    SOUK_JSON_F_ID("product_id", 0, add_in, product, "prod"),
    SOUK_JSON_F_ID("variant_id", 0, add_in, variant, "var"),
};
static const souk_json_field alerts_fields[] = {
    SOUK_JSON_F_BOOL("enabled", SOUK_JSON_REQUIRED, add_in, enabled),
};
static const souk_json_field unsub_fields[] = {
    SOUK_JSON_F_STRING("token", SOUK_JSON_REQUIRED, add_in, token, 1, SOUK_WISHLIST_UNSUB_MAX - 1, NULL),
};
static const souk_json_spec add_spec = SOUK_JSON_SPEC(add_in, add_fields),
                            alerts_spec = SOUK_JSON_SPEC(add_in, alerts_fields),
                            unsub_spec = SOUK_JSON_SPEC(add_in, unsub_fields);

/* The caller's account, or 0 after a 403 set on RES. */
static int64_t account_of(souk_req *req, souk_res *res)
{
    if (!req->principal.user_id) {
        souk_res_error(res, SOUK_E_FORBIDDEN, "A wishlist belongs to an account; this credential has none.");
        return 0;
    }
    return req->principal.user_id;
}

/* Answers STATUS with the list of USER. */
static int answer_list(souk_req *req, souk_res *res, int64_t user, int status)
{
    json_t *out;
    souk_err e = souk_wishlist_json(req->store, &(souk_wishlist_owner){.user_id = user}, req->config->currency, &out);
    if (e)
        return souk_res_error(res, e, NULL);
    return souk_res_json(res, status, out);
}

static void audit_user(souk_req *req, souk_res *res, int64_t user)
{
    char uid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "wishlist", souk_arena_strdup(req->arena, souk_id_format("usr", user, uid)));
}

int souk_wishlist_api_get(souk_req *req, souk_res *res)
{
    int64_t user = account_of(req, res);
    if (!user)
        return res->err;
    return answer_list(req, res, user, 200);
}

int souk_wishlist_api_add(souk_req *req, souk_res *res)
{
    int64_t user;
    add_in in;
    memset(&in, 0, sizeof in);
    if (!(user = account_of(req, res)) || souk_req_decode(req, res, &add_spec, &in))
        return res->err;
    if (!in.product && !in.variant) {
        souk_problems_add(&res->problems, req->arena, "product_id", "give product_id, variant_id or both");
        return souk_res_invalid(res);
    }
    int64_t item = 0;
    bool created = false;
    const char *why = NULL;
    souk_err e = souk_wishlist_add_tx(req->store, &(souk_wishlist_owner){.user_id = user}, in.product, in.variant,
                                      req->config->currency, &item, &created, &why);
    if (e)
        return souk_res_error(res, e, why);
    char iid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "wishlist_item",
                   souk_arena_strdup(req->arena, souk_id_format(SOUK_PREFIX_WISHLIST_ITEM, item, iid)));
    return answer_list(req, res, user, created ? 201 : 200);
}

int souk_wishlist_api_remove(souk_req *req, souk_res *res)
{
    int64_t user, item;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_WISHLIST_ITEM, &item) || !(user = account_of(req, res)))
        return res->err;
    souk_err e = souk_wishlist_remove_tx(req->store, &(souk_wishlist_owner){.user_id = user}, item);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such item on your wishlist." : NULL);
    souk_res_audit(res, "wishlist_item", req->params[0]);
    res->status = 204;
    return 0;
}

int souk_wishlist_api_share(souk_req *req, souk_res *res)
{
    int64_t user = account_of(req, res);
    if (!user)
        return res->err;
    char token[SOUK_WISHLIST_TOKEN_MAX];
    souk_err e = souk_wishlist_share_tx(req->store, user, token);
    if (e)
        return souk_res_error(res, e, NULL);
    audit_user(req, res, user);
    const char *url = souk_arena_printf(req->arena, "%s/wishlist/shared/%s",
                                        req->config->public_url[0] ? req->config->public_url : "", token);
    return souk_res_json(res, 201, json_pack("{s:s,s:s}", "share_token", token, "url", url ? url : ""));
}

int souk_wishlist_api_unshare(souk_req *req, souk_res *res)
{
    int64_t user = account_of(req, res);
    if (!user)
        return res->err;
    souk_err e = souk_wishlist_unshare_tx(req->store, user);
    if (e)
        return souk_res_error(res, e, NULL);
    audit_user(req, res, user);
    res->status = 204;
    return 0;
}

int souk_wishlist_api_alerts(souk_req *req, souk_res *res)
{
    int64_t user;
    add_in in;
    memset(&in, 0, sizeof in);
    if (!(user = account_of(req, res)) || souk_req_decode(req, res, &alerts_spec, &in))
        return res->err;
    souk_err e = souk_wishlist_alerts_set_tx(req->store, user, in.enabled);
    if (e)
        return souk_res_error(res, e, NULL);
    audit_user(req, res, user);
    return souk_res_json(res, 200, json_pack("{s:b}", "alerts", in.enabled));
}

int souk_wishlist_api_shared(souk_req *req, souk_res *res)
{
    const char *token = req->nparams ? req->params[0] : NULL;
    json_t *out;
    souk_err e = souk_wishlist_shared_json(req->store, token, req->config->currency, &out);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No wishlist is shared under this link." : NULL);
    res->cache_control = "no-store"; /* a revoked link must stop working at once */
    return souk_res_json(res, 200, out);
}

int souk_wishlist_api_unsubscribe(souk_req *req, souk_res *res)
{
    add_in in;
    memset(&in, 0, sizeof in);
    if (souk_req_decode(req, res, &unsub_spec, &in))
        return res->err;
    int64_t user = 0;
    souk_err e = souk_wishlist_unsubscribe_tx(req->store, in.token, &user);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "This unsubscribe link is not valid." : NULL);
    audit_user(req, res, user);
    res->audit_subject_user = user;
    return souk_res_json(res, 200, json_pack("{s:b}", "unsubscribed", 1));
}
