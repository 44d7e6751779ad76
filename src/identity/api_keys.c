/*
 * api_keys.c — scoped API keys (create, list, revoke your own) and the
 * admin's view of accounts (list, change role / vendor / status).
 */
#include "identity/account.h"
#include "identity/api.h"

#include <stdio.h>
#include <stdlib.h>
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
    souk_identity_invalidate();
    souk_res_audit(res, "api_key", req->params[0]);
    res->status = 204;
    return 0;
}

/* ---- admin: accounts ---- */

int souk_identity_api_admin_users(souk_req *req, souk_res *res)
{
    const char *role = NULL, *status = NULL, *email = NULL;
    int64_t limit = 50, before = INT64_MAX;
    for (size_t i = 0; i < req->query.count; i++) {
        const char *k = req->query.items[i].key, *v = req->query.items[i].value;
        if (strcmp(k, "role") == 0 && souk_role_valid(v))
            role = v;
        else if (strcmp(k, "status") == 0 && (!strcmp(v, "active") || !strcmp(v, "disabled") || !strcmp(v, "deleted")))
            status = v;
        else if (strcmp(k, "email") == 0 && *v && strlen(v) <= 254)
            email = v;
        else if (strcmp(k, "limit") == 0 && (limit = atoll(v)) >= 1 && limit <= 200 && strspn(v, "0123456789") == strlen(v))
            ;
        else if (strcmp(k, "cursor") == 0 && souk_id_parse("usr", v, strlen(v), &before) == 0)
            ;
        else
            souk_problems_add(&res->problems, req->arena, k, "is not a valid parameter here");
    }
    if (res->problems.count)
        return souk_res_invalid(res);
    souk_stmt *st = souk_store_stmt(req->store, "SELECT id FROM users WHERE ($1 = '' OR role = $1) AND "
                                                "($2 = '' OR status = $2) AND ($3 = '' OR email = lower($3)) AND id < $4 "
                                                "ORDER BY id DESC LIMIT $5");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_text(st, 1, role ? role : "", SIZE_MAX);
    souk_stmt_bind_text(st, 2, status ? status : "", SIZE_MAX);
    souk_stmt_bind_text(st, 3, email ? email : "", SIZE_MAX);
    souk_stmt_bind_i64(st, 4, before);
    souk_stmt_bind_i64(st, 5, limit + 1);
    int64_t ids[201];
    int n = 0;
    while (n <= limit && souk_stmt_step(st) == SOUK_DB_ROW)
        ids[n++] = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    json_t *data = json_array();
    int shown = n > limit ? (int)limit : n;
    for (int i = 0; i < shown; i++) {
        json_t *u = souk__identity_user_json(req->store, ids[i]);
        if (u)
            json_array_append_new(data, u);
    }
    char cur[SOUK_ID_TEXT_MAX];
    return souk_res_json(res, 200, json_pack("{s:o,s:o}", "data", data, "next_cursor",
                                             n > limit ? json_string(souk_id_format("usr", ids[shown - 1], cur))
                                                       : json_null()));
}

int souk_identity_api_admin_user_update(souk_req *req, souk_res *res)
{
    static const char *const roles[] = {"customer", "vendor", "inventory_manager", "admin"};
    static const char *const statuses[] = {"active", "disabled"};
    int64_t id;
    souk_admin_user_in in;
    if (souk_id_parse("usr", req->params[0], strlen(req->params[0]), &id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such user.");
    if (souk_req_decode(req, res, &souk__identity_admin_user_spec, &in))
        return res->err;
    const souk_json_spec *spec = &souk__identity_admin_user_spec;
    bool set_vendor = souk_json_present(spec, &in, 1);
    if (set_vendor && !souk_json_is_null(spec, &in, 1)) {
        souk_stmt *st = souk_store_stmt(req->store, "SELECT 1 FROM vendors WHERE id = $1");
        if (!st)
            return souk_res_error(res, SOUK_E_INTERNAL, NULL);
        souk_stmt_bind_i64(st, 1, in.vendor_id);
        int r = souk_stmt_step(st);
        if (r == SOUK_DB_ROW)
            souk_stmt_done(st);
        else {
            souk_problems_add(&res->problems, req->arena, "vendor_id", "does not exist");
            return souk_res_invalid(res);
        }
    }
    if (id == req->principal.user_id && souk_json_present(spec, &in, 0) && in.role != 3) {
        souk_problems_add(&res->problems, req->arena, "role", "you cannot take away your own admin role");
        return souk_res_invalid(res);
    }
    souk_stmt *st = souk_store_stmt(
        req->store, "UPDATE users SET role = CASE WHEN $2 THEN $3 ELSE role END, "
                    "vendor_id = CASE WHEN $4 THEN $5 ELSE vendor_id END, status = CASE WHEN $6 THEN $7 ELSE status END, "
                    "updated_at = $8 WHERE id = $1 AND status <> 'deleted'");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_i64(st, 2, souk_json_present(spec, &in, 0));
    souk_stmt_bind_text(st, 3, roles[in.role], SIZE_MAX);
    souk_stmt_bind_i64(st, 4, set_vendor);
    if (set_vendor && !souk_json_is_null(spec, &in, 1))
        souk_stmt_bind_i64(st, 5, in.vendor_id);
    else
        souk_stmt_bind_null(st, 5);
    souk_stmt_bind_i64(st, 6, souk_json_present(spec, &in, 2));
    souk_stmt_bind_text(st, 7, statuses[in.status], SIZE_MAX);
    souk_stmt_bind_i64(st, 8, souk_time_now_us());
    if (souk_stmt_exec(st) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (souk_store_changes(req->store) == 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such user.");
    souk_identity_invalidate();
    res->audit_subject_user = id;
    souk_res_audit(res, "user", req->params[0]);
    json_t *u = souk__identity_user_json(req->store, id);
    return u ? souk_res_json(res, 200, u) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}
