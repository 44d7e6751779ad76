/*
 * users.c — account rows: the one insert that sign-up (api_auth.c) and
 * accounts made outside it (`souk user create`, the demo's admin) share, and
 * the questions the command line asks about accounts (identity.h).
 */
#include "identity/account.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/time.h"
#include "identity/apikey.h"
#include "core/banned.h"

int souk__identity_user_insert_tx(souk_store *db, const souk__identity_new_user *u, int64_t *id)
{
    int r = souk_store_one(db, "SELECT 1 FROM users WHERE email = $1", SOUK_ARGS(SOUK_TEXT(u->email)), NULL);
    if (r != SOUK_DB_DONE)
        return r == SOUK_DB_ROW ? 1 : r;
    int64_t now = souk_time_now_us();
    *id = souk_id_next();
    r = souk_store_exec(db,
                        "INSERT INTO users (id, email, password_hash, name, phone, role, vendor_id, created_at, "
                        "updated_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8)",
                        SOUK_ARGS(SOUK_I64(*id), SOUK_TEXT(u->email), SOUK_TEXT(u->hash),
                                  SOUK_TEXT(u->name ? u->name : ""), SOUK_TEXT(u->phone ? u->phone : ""),
                                  SOUK_TEXT(u->role), SOUK_REF(u->vendor_id), SOUK_I64(now)));
    return r < 0 ? r : 0;
}

souk_err souk_identity_customer_import_tx(souk_store *db, const char *email, int64_t *user, bool *created)
{
    *created = false;
    char addr[256];
    size_t n = email ? strlen(email) : 0;
    if (n < 3 || n > 254 || !strchr(email, '@'))
        return SOUK_E_VALIDATION;
    memcpy(addr, email, n + 1);
    souk_identity_email_normalize(addr);
    int r = souk_store_one(db, "SELECT id FROM users WHERE email = $1", SOUK_ARGS(SOUK_TEXT(addr)),
                           SOUK_COLS(SOUK_COL_I64(user)));
    if (r != SOUK_DB_DONE)
        return r == SOUK_DB_ROW ? SOUK_OK : souk_store_dberr(r);
    souk__identity_new_user u = {.email = addr, .hash = NULL, .role = "customer"};
    if ((r = souk__identity_user_insert_tx(db, &u, user)) < 0)
        return souk_store_dberr(r);
    *created = true;
    return SOUK_OK;
}

/* ---- accounts made outside sign-up ---- */

typedef struct create_ctx {
    souk__identity_new_user row;
    bool api_key, taken;
    int64_t user;
    char *key;
} create_ctx;

static int create_tx(souk_store *db, void *arg)
{
    create_ctx *c = arg;
    int r = souk__identity_user_insert_tx(db, &c->row, &c->user);
    if (r == 1) {
        c->taken = true;
        return -100; /* roll back, do not retry */
    }
    if (r < 0 || !c->api_key)
        return r;
    return souk_apikey_create(db, c->user, "created with souk user create", "*", 0, c->key, NULL);
}

static souk_err refuse(souk_problem *problem, const char *field, const char *why)
{
    problem->field = field;
    problem->message = why;
    return SOUK_E_VALIDATION;
}

souk_err souk_identity_user_create(souk_store *db, const souk_identity_user_in *in, souk_problem *problem,
                                   int64_t *user, char *key)
{
    char email[256];
    snprintf(email, sizeof email, "%s", in->email);
    souk_identity_email_normalize(email);
    const char *why = souk__identity_check_email(email, strlen(email));
    if (why)
        return refuse(problem, "email", why);
    if (!souk_role_valid(in->role))
        return refuse(problem, "role", "must be customer, vendor, inventory_manager or admin");
    if ((why = souk_identity_role_vendor_rule(in->role, in->vendor_id != 0)))
        return refuse(problem, "vendor_id", why);
    if (in->vendor_id) {
        souk_err e = souk_catalog_vendor_exists(db, in->vendor_id);
        if (e == SOUK_E_NOT_FOUND)
            return refuse(problem, "vendor_id", "does not exist");
        if (e)
            return e;
    }
    if ((why = souk__identity_password_rules(in->password, email)))
        return refuse(problem, "password", why);
    char hash[crypto_pwhash_STRBYTES];
    if (souk__identity_password_hash(in->password, hash) < 0)
        return SOUK_E_UNAVAILABLE;
    create_ctx c = {{email, hash, in->name, NULL, in->role, in->vendor_id}, in->api_key, false, 0, key};
    int r = souk_store_tx(db, create_tx, &c);
    sodium_memzero(hash, sizeof hash);
    if (c.taken)
        return SOUK_E_CONFLICT;
    if (r < 0)
        return SOUK_E_INTERNAL;
    *user = c.user;
    return SOUK_OK;
}

int souk_identity_admin_exists(souk_store *db)
{
    return souk_store_one(db, "SELECT 1 FROM users WHERE role = 'admin' AND status = 'active'", NULL, NULL);
}

int souk_identity_admins(souk_store *db, int64_t *ids, char (*emails)[256], int max)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, email FROM users WHERE role = 'admin' AND status = 'active' "
                                     "AND email IS NOT NULL ORDER BY id LIMIT $1",
                                     SOUK_ARGS(SOUK_I64(max)));
    int n = 0, r = SOUK_DB_DONE;
    while (n < max &&
           (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&ids[n]), SOUK_COL_STR(emails[n])))) == SOUK_DB_ROW)
        n++;
    souk_stmt_done(st);
    return n < max && r < 0 ? r : n;
}

int souk_identity_any_credential(souk_store *db)
{
    int r = souk_store_one(db, "SELECT 1 FROM users LIMIT 1", NULL, NULL);
    return r == SOUK_DB_DONE ? souk_store_one(db, "SELECT 1 FROM api_keys LIMIT 1", NULL, NULL) : r;
}
