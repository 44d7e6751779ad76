/*
 * api_admin_users.c — the admin's view of accounts (permission
 * users:manage): list them, change role, vendor and status. A change of
 * role or vendor keeps souk_identity_role_vendor_rule (identity.h), the rule
 * `souk user create` keeps too.
 */
#include "identity/account.h"
#include "identity/api.h"

#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "core/banned.h"

/* GET /admin/users: ?role, status, email, limit, cursor (newest first) */
typedef struct users_query {
    int role, status;
    const char *email;
    int64_t limit, before;
    uint64_t present;
} users_query;

static const char *const list_statuses[] = {"active", "disabled", "deleted", NULL};

enum { Q_ROLE, Q_STATUS, Q_EMAIL, Q_LIMIT, Q_CURSOR };
static const souk_query_field users_fields[] = {
    [Q_ROLE] = SOUK_QUERY_F_ENUM("role", users_query, role, souk__identity_roles),
    [Q_STATUS] = SOUK_QUERY_F_ENUM("status", users_query, status, list_statuses),
    [Q_EMAIL] = SOUK_QUERY_F_TEXT("email", users_query, email, 1, 254),
    [Q_LIMIT] = SOUK_QUERY_F_INT("limit", users_query, limit, 1, 200),
    [Q_CURSOR] = SOUK_QUERY_F_ID("cursor", users_query, before, "usr"),
};
static const souk_query_spec users_spec = SOUK_QUERY_SPEC(users_query, users_fields);

int souk_identity_api_admin_users(souk_req *req, souk_res *res)
{
    users_query q = {.limit = 50, .before = INT64_MAX};
    if (souk_query_decode(&users_spec, &req->query, &q, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    const char *role = souk_query_present(&users_spec, &q, Q_ROLE) ? souk__identity_roles[q.role] : NULL;
    const char *status = souk_query_present(&users_spec, &q, Q_STATUS) ? list_statuses[q.status] : NULL;
    const char *email = q.email;
    int64_t limit = q.limit, before = q.before;
    souk_stmt *st = souk_store_query(req->store,
                                     "SELECT id FROM users WHERE ($1 = '' OR role = $1) AND "
                                     "($2 = '' OR status = $2) AND ($3 = '' OR email = lower($3)) AND id < $4 "
                                     "ORDER BY id DESC LIMIT $5",
                                     SOUK_ARGS(SOUK_TEXT(role ? role : ""), SOUK_TEXT(status ? status : ""),
                                               SOUK_TEXT(email ? email : ""), SOUK_I64(before), SOUK_I64(limit + 1)));
    int64_t ids[201];
    int n = 0;
    while (n <= limit && souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&ids[n]))) == SOUK_DB_ROW)
        n++;
    souk_stmt_done(st);
    json_t *data = json_array();
    int shown = n > limit ? (int)limit : n;
    for (int i = 0; i < shown; i++) {
        json_t *u = souk__identity_user_json(req->store, ids[i]);
        if (u)
            json_array_append_new(data, u);
    }
    char cur[SOUK_ID_TEXT_MAX];
    return souk_res_json(res, 200,
                         json_pack("{s:o,s:o}", "data", data, "next_cursor",
                                   n > limit ? json_string(souk_id_format("usr", ids[shown - 1], cur)) : json_null()));
}

/* One change of an account, checked against what the account is now inside
 * the write transaction, so two admins' changes cannot add up to an account
 * that neither request alone would have been allowed to make. */
typedef struct update_ctx {
    int64_t id;
    bool set_role, set_vendor, set_status;
    const char *role, *status;
    int64_t vendor; /* 0 = none */
    bool found;
    const char *why; /* set when the result would break the role/vendor rule */
} update_ctx;

static int update_tx(souk_store *db, void *arg)
{
    update_ctx *c = arg;
    char role[24];
    int64_t vendor = 0;
    int r = souk_store_one(db, "SELECT role, vendor_id FROM users WHERE id = $1 AND status <> 'deleted'",
                           SOUK_ARGS(SOUK_I64(c->id)), SOUK_COLS(SOUK_COL_STR(role), SOUK_COL_I64(&vendor)));
    if (r != SOUK_DB_ROW)
        return r;
    c->found = true;
    /* only a change of role or vendor is held to the rule: an account made
     * impossible before the rule existed can still be disabled */
    if (c->set_role || c->set_vendor) {
        c->why =
            souk_identity_role_vendor_rule(c->set_role ? c->role : role, c->set_vendor ? c->vendor != 0 : vendor != 0);
        if (c->why)
            return 0;
    }
    return souk_store_exec(
        db,
        "UPDATE users SET role = CASE WHEN $2 THEN $3 ELSE role END, vendor_id = CASE WHEN $4 THEN $5 ELSE vendor_id END, "
        "status = CASE WHEN $6 THEN $7 ELSE status END, updated_at = $8 WHERE id = $1",
        SOUK_ARGS(SOUK_I64(c->id), SOUK_BOOL(c->set_role), SOUK_TEXT(c->role), SOUK_BOOL(c->set_vendor),
                  SOUK_REF(c->vendor), SOUK_BOOL(c->set_status), SOUK_TEXT(c->status), SOUK_I64(souk_time_now_us())));
}

int souk_identity_api_admin_user_update(souk_req *req, souk_res *res)
{
    int64_t id;
    souk_admin_user_in in;
    if (souk_id_parse("usr", req->params[0], strlen(req->params[0]), &id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such user.");
    if (souk_req_decode(req, res, &souk__identity_admin_user_spec, &in))
        return res->err;
    const souk_json_spec *spec = &souk__identity_admin_user_spec;
    bool set_vendor = souk_json_present(spec, &in, 1);
    bool vendor_null = souk_json_is_null(spec, &in, 1);
    if (set_vendor && !vendor_null && souk_catalog_vendor_exists(req->store, in.vendor_id) != SOUK_OK) {
        souk_problems_add(&res->problems, req->arena, "vendor_id", "does not exist");
        return souk_res_invalid(res);
    }
    if (id == req->principal.user_id && souk_json_present(spec, &in, 0) && in.role != 3) {
        souk_problems_add(&res->problems, req->arena, "role", "you cannot take away your own admin role");
        return souk_res_invalid(res);
    }
    update_ctx c = {.id = id,
                    .set_role = souk_json_present(spec, &in, 0),
                    .set_vendor = set_vendor,
                    .set_status = souk_json_present(spec, &in, 2),
                    .role = souk__identity_roles[in.role],
                    .status = souk__identity_statuses[in.status],
                    .vendor = set_vendor && !vendor_null ? in.vendor_id : 0};
    if (souk_store_tx(req->store, update_tx, &c) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (!c.found)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such user.");
    if (c.why) {
        souk_problems_add(&res->problems, req->arena, "vendor_id", "%s", c.why);
        return souk_res_invalid(res);
    }
    souk__identity_changed(req->store);
    res->audit_subject_user = id;
    souk_res_audit(res, "user", req->params[0]);
    json_t *u = souk__identity_user_json(req->store, id);
    return u ? souk_res_json(res, 200, u) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}
