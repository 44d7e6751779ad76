/*
 * api_keys.c — scoped API keys: create, list and revoke your own. A key
 * never holds more than its owner may do (see apikey.h).
 */
#include "identity/account.h"
#include "identity/api.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "identity/apikey.h"
#include "core/banned.h"

int souk_identity_api_keys_create(souk_req *req, souk_res *res)
{
    souk_apikey_in in;
    if (req->principal.kind != SOUK_ACTOR_USER)
        return souk_res_error(res, SOUK_E_FORBIDDEN, "API keys are created with a user's access token.");
    if (souk_req_decode(req, res, &souk__identity_apikey_spec, &in))
        return res->err;
    /* a key never holds more than its owner */
    char scopes[600] = "";
    size_t off = 0;
    for (size_t i = 0; i < in.scopes.count; i++) {
        const char *s = in.scopes.items[i];
        /* "*" = everything the owner may do, now and as their role changes */
        if (strcmp(s, "*") != 0 && !souk_permissions_contain(req->principal.permissions, s))
            souk_problems_add(&res->problems, req->arena, souk_arena_printf(req->arena, "scopes[%zu]", i),
                              "your account does not have this permission");
        else if (off + strlen(s) + 2 < sizeof scopes)
            off += (size_t)snprintf(scopes + off, sizeof scopes - off, "%s%s", off ? " " : "", s);
    }
    int64_t expires = 0;
    if (in.expires_at) {
        if (souk_time_parse(in.expires_at, strlen(in.expires_at), &expires) < 0 || expires <= souk_time_now_us())
            souk_problems_add(&res->problems, req->arena, "expires_at", "must be an RFC 3339 time in the future");
    }
    if (res->problems.count)
        return souk_res_invalid(res);
    char key[SOUK_APIKEY_LEN + 1];
    int64_t id;
    if (souk_apikey_create(req->store, req->principal.user_id, in.name, scopes, expires, key, &id) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    json_t *j = souk_apikey_json(req->store, req->principal.user_id, id);
    if (!j)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    json_object_set_new(j, "key", json_string(key)); /* shown once */
    char kid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "api_key", souk_arena_strdup(req->arena, souk_id_format("key", id, kid)));
    res->location = souk_arena_printf(req->arena, "/api/v1/api-keys/%s", kid);
    return souk_res_json(res, 201, j);
}

int souk_identity_api_keys_list(souk_req *req, souk_res *res)
{
    if (!req->principal.user_id)
        return souk_res_error(res, SOUK_E_FORBIDDEN, "This key has no owner.");
    json_t *j = souk_apikey_list_json(req->store, req->principal.user_id);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_identity_api_keys_revoke(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_id_parse("key", req->params[0], strlen(req->params[0]), &id) < 0 || !req->principal.user_id)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such API key.");
    int r = souk_apikey_revoke(req->store, req->principal.user_id, id);
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (r == 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such API key.");
    souk__identity_changed(req->store);
    souk_res_audit(res, "api_key", req->params[0]);
    res->status = 204;
    return 0;
}
