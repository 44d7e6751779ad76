/*
 * api_admin_privacy.c — staff acting on one customer's account: read it
 * (users:manage), and the GDPR rights exercised for the customer who asked
 * the shop (permission customers:privacy): the same export and erasure the
 * customer gets from /users/me/export and DELETE /users/me.
 *
 * Both are POSTs so that each is audited (GET requests are not): who took
 * a copy of someone's personal data is itself worth recording. Erasure is
 * held to two rules the customer's own route does not need: only a
 * customer account (staff and vendor accounts are disabled or re-roled
 * first, never erased from here), and the body must repeat the account's
 * e-mail address — a typed confirmation a stray click or a wrong id in a
 * script cannot supply.
 */
#include "identity/account.h"
#include "identity/api.h"

#include <string.h>
#include <strings.h>

#include "core/id.h"
#include "core/banned.h"

typedef struct target {
    int64_t id;
    char email[256];
    char role[24];
} target;

/* The account of path parameter 0, not yet erased, into T; 0, or the 404 answered. */
static int find_target(souk_req *req, souk_res *res, target *t)
{
    memset(t, 0, sizeof *t);
    if (souk_id_parse("usr", req->params[0], strlen(req->params[0]), &t->id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such user.");
    int r =
        souk_store_one(req->store, "SELECT coalesce(email, ''), role FROM users WHERE id = $1 AND status <> 'deleted'",
                       SOUK_ARGS(SOUK_I64(t->id)), SOUK_COLS(SOUK_COL_STR(t->email), SOUK_COL_STR(t->role)));
    if (r == SOUK_DB_DONE)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such user.");
    if (r != SOUK_DB_ROW)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    return 0;
}

int souk_identity_api_admin_user_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_id_parse("usr", req->params[0], strlen(req->params[0]), &id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such user.");
    json_t *u = souk__identity_user_json(req->store, id);
    return u ? souk_res_json(res, 200, u) : souk_res_error(res, SOUK_E_NOT_FOUND, "No such user.");
}

int souk_identity_api_admin_customer_export(souk_req *req, souk_res *res)
{
    target t;
    if (find_target(req, res, &t))
        return res->err;
    json_t *out = souk__identity_export_json(req->store, t.id, 0);
    if (!out)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    res->audit_subject_user = t.id;
    souk_res_audit(res, "user", req->params[0]);
    res->cache_control = "no-store";
    return souk_res_json(res, 200, out);
}

typedef struct erase_in {
    const char *email;
    uint64_t present, nulls;
} erase_in;

static const souk_json_field erase_fields[] = {
    SOUK_JSON_F_STRING("email", SOUK_JSON_REQUIRED, erase_in, email, 1, 254, NULL),
};
static const souk_json_spec erase_spec = SOUK_JSON_SPEC(erase_in, erase_fields);

int souk_identity_api_admin_customer_erase(souk_req *req, souk_res *res)
{
    erase_in in;
    target t;
    if (souk_req_decode(req, res, &erase_spec, &in) || find_target(req, res, &t))
        return res->err;
    if (strcmp(t.role, "customer") != 0)
        return souk_res_error(res, SOUK_E_CONFLICT,
                              "Only a customer account is erased here; a staff or vendor account is disabled instead.");
    if (strcasecmp(in.email, t.email) != 0) {
        souk_problems_add(&res->problems, req->arena, "email", "must be the account's e-mail address, to confirm");
        return souk_res_invalid(res);
    }
    if (souk__identity_erase(req->store, t.id, t.email) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    res->audit_subject_user = t.id;
    souk_res_audit(res, "user", req->params[0]);
    res->status = 204;
    return 0;
}
