/*
 * api_admin_users.c — the admin's view of accounts (permission
 * users:manage): list them, change role, vendor and status.
 */
#include "identity/account.h"
#include "identity/api.h"

#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

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
