/*
 * api_me.c — what a signed-in user does with their own account: profile,
 * password, sessions, two-factor sign-in, consents, and the GDPR/CCPA
 * export and erasure. Every route here acts on the caller only, so another
 * user's data is unreachable by construction (ids in paths are checked
 * against the caller and answered 404 otherwise).
 *
 * Erasure (DELETE /users/me) needs the password (and the second factor when
 * enabled). It keeps the user row — orders and audit entries refer to it —
 * but clears e-mail, name, phone, password hash and TOTP secret, revokes
 * sessions and API keys, wipes session addresses and user agents, removes
 * the user's recovery codes and reset tokens, and marks the account deleted
 * so nobody can sign in to it. In the same transaction, every context that
 * keeps personal data erases its part through the step it registered
 * (identity.h; orders and mail today), and the export gathers their parts
 * the same way (audit entries, orders). The connection runs with
 * secure_delete, and the WAL is checkpointed and truncated afterwards, so
 * the old values do not linger in the database files.
 */
#include "identity/account.h"
#include "identity/api.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/id.h"
#include "core/time.h"
#include "identity/apikey.h"
#include "core/banned.h"

static int need_user(souk_req *req, souk_res *res)
{
    if (req->principal.kind == SOUK_ACTOR_USER || (req->principal.kind == SOUK_ACTOR_API_KEY && req->principal.user_id))
        return 0;
    return souk_res_error(res, SOUK_E_FORBIDDEN, "This needs a user account.");
}

int souk_identity_api_me(souk_req *req, souk_res *res)
{
    if (need_user(req, res))
        return res->err;
    json_t *u = souk__identity_user_json(req->store, req->principal.user_id);
    return u ? souk_res_json(res, 200, u) : souk_res_error(res, SOUK_E_NOT_FOUND, NULL);
}

int souk_identity_api_me_update(souk_req *req, souk_res *res)
{
    souk_register_in in;
    if (need_user(req, res) || souk_req_decode(req, res, &souk__identity_profile_spec, &in))
        return res->err;
    const souk_json_spec *spec = &souk__identity_profile_spec;
    int r = souk_store_exec(req->store,
                            "UPDATE users SET name = CASE WHEN $2 THEN $3 ELSE name END, "
                            "phone = CASE WHEN $4 THEN $5 ELSE phone END, updated_at = $6 "
                            "WHERE id = $1 AND status = 'active'",
                            SOUK_ARGS(SOUK_I64(req->principal.user_id), SOUK_BOOL(souk_json_present(spec, &in, 0)),
                                      SOUK_TEXT(in.name ? in.name : ""), SOUK_BOOL(souk_json_present(spec, &in, 1)),
                                      SOUK_TEXT(in.phone ? in.phone : ""), SOUK_I64(souk_time_now_us())));
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    return souk_identity_api_me(req, res);
}

/* ---- password change ---- */

typedef struct password_ctx {
    int64_t user;
    const char *hash, *peer, *ua;
    souk__tokens tokens;
} password_ctx;

static int password_tx(souk_store *db, void *arg)
{
    password_ctx *c = arg;
    int r = souk__identity_password_set_tx(db, c->user, c->hash, "password_changed");
    if (r < 0)
        return r;
    return souk__identity_session_create_tx(db, c->user, c->peer, c->ua, &c->tokens);
}

int souk_identity_api_password(souk_req *req, souk_res *res)
{
    souk_password_in in;
    if (need_user(req, res) || souk_req_decode(req, res, &souk__identity_password_spec, &in))
        return res->err;
    souk__identity_secret acct;
    if (souk__identity_secret_by_id(req->store, req->principal.user_id, &acct) != SOUK_DB_ROW)
        return souk_res_error(res, SOUK_E_UNAUTHORIZED, NULL);
    const char *email = acct.email;
    if (souk__identity_fail_throttled(req, res, "reauth", email))
        return res->err;
    if (!souk__identity_password_verify(acct.hash, in.current)) {
        souk__identity_fail_count(req, "reauth", email);
        souk_problems_add(&res->problems, req->arena, "current_password", "is wrong");
        return souk_res_invalid(res);
    }
    const char *why = souk__identity_password_rules(in.next, email);
    if (why) {
        souk_problems_add(&res->problems, req->arena, "new_password", "%s", why);
        return souk_res_invalid(res);
    }
    char fresh[crypto_pwhash_STRBYTES];
    if (souk__identity_password_hash(in.next, fresh) < 0)
        return souk_res_error(res, SOUK_E_UNAVAILABLE, NULL);
    password_ctx c = {req->principal.user_id, fresh, req->peer, souk_req_header(req, "user-agent"), {{0}}};
    if (souk_store_tx(req->store, password_tx, &c) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk__identity_changed(req->store);
    /* every session is gone, including the caller's: hand it a new one */
    return souk_res_json(res, 200,
                         souk__identity_token_response(&c.tokens, souk__identity_user_json(req->store, c.user)));
}

/* ---- sessions ---- */

int souk_identity_api_sessions(souk_req *req, souk_res *res)
{
    if (need_user(req, res))
        return res->err;
    json_t *j = souk__identity_sessions_json(req->store, req->principal.user_id, req->principal.session_id);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_identity_api_session_revoke(souk_req *req, souk_res *res)
{
    int64_t sid;
    if (need_user(req, res))
        return res->err;
    if (souk_id_parse("ses", req->params[0], strlen(req->params[0]), &sid) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such session.");
    int r = souk__identity_session_revoke(req->store, req->principal.user_id, sid, "revoked_by_user");
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (r == 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such session.");
    souk__identity_changed(req->store);
    souk_res_audit(res, "session", req->params[0]);
    res->status = 204;
    return 0;
}

/* ---- two-factor ---- */

int souk_identity_api_totp_enrol(souk_req *req, souk_res *res)
{
    if (need_user(req, res))
        return res->err;
    souk__identity_secret acct;
    char secret[64];
    if (souk__identity_secret_by_id(req->store, req->principal.user_id, &acct) != SOUK_DB_ROW)
        return souk_res_error(res, SOUK_E_UNAUTHORIZED, NULL);
    if (acct.totp)
        return souk_res_error(res, SOUK_E_CONFLICT, "Two-factor sign-in is already on; turn it off first.");
    if (souk__identity_totp_secret(secret, sizeof secret) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    int r =
        souk_store_exec(req->store, "UPDATE users SET totp_secret = $2, updated_at = $3 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(req->principal.user_id), SOUK_TEXT(secret), SOUK_I64(souk_time_now_us())));
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    const char *email = acct.email;
    /* otpauth://totp/souk:<email>?secret=…&issuer=souk — the e-mail percent-encoded */
    char label[800];
    size_t n = 0;
    for (const char *p = email; *p && n + 4 < sizeof label; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
            c == '_')
            label[n++] = (char)c;
        else
            n += (size_t)snprintf(label + n, sizeof label - n, "%%%02X", c);
    }
    label[n] = '\0';
    char uri[1024];
    snprintf(uri, sizeof uri, "otpauth://totp/souk:%s?secret=%s&issuer=souk&algorithm=SHA1&digits=6&period=30", label,
             secret);
    return souk_res_json(res, 200,
                         json_pack("{s:s,s:s,s:s}", "secret", secret, "otpauth_uri", uri, "next",
                                   "confirm with POST /api/v1/users/me/2fa/totp/confirm {\"code\"}"));
}

typedef struct totp_ctx {
    int64_t user;
    char codes[10][16];
} totp_ctx;

static int totp_enable_tx(souk_store *db, void *arg)
{
    totp_ctx *c = arg;
    int r = souk_store_exec(db, "UPDATE users SET totp_enabled = 1, updated_at = $2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(c->user), SOUK_I64(souk_time_now_us())));
    return r < 0 ? r : souk__identity_recovery_codes_tx(db, c->user, c->codes, 10);
}

int souk_identity_api_totp_confirm(souk_req *req, souk_res *res)
{
    souk_token_in in;
    if (need_user(req, res) || souk_req_decode(req, res, &souk__identity_code_spec, &in))
        return res->err;
    souk__identity_secret acct;
    if (souk__identity_secret_by_id(req->store, req->principal.user_id, &acct) != SOUK_DB_ROW)
        return souk_res_error(res, SOUK_E_UNAUTHORIZED, NULL);
    if (acct.totp)
        return souk_res_error(res, SOUK_E_CONFLICT, "Two-factor sign-in is already on.");
    if (!acct.totp_secret[0])
        return souk_res_error(res, SOUK_E_CONFLICT, "Start with POST /api/v1/users/me/2fa/totp.");
    int used = souk__identity_totp_use(req->store, req->principal.user_id, acct.totp_secret, in.token);
    if (used < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (!used) {
        souk_problems_add(&res->problems, req->arena, "code", "is not the current code, or was used already");
        return souk_res_invalid(res);
    }
    totp_ctx c = {.user = req->principal.user_id};
    if (souk_store_tx(req->store, totp_enable_tx, &c) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk__identity_changed(req->store);
    json_t *codes = json_array();
    for (int i = 0; i < 10; i++)
        json_array_append_new(codes, json_string(c.codes[i]));
    return souk_res_json(res, 200, json_pack("{s:b,s:o}", "two_factor_enabled", 1, "recovery_codes", codes));
}

static int totp_disable_tx(souk_store *db, void *arg)
{
    int64_t user = *(int64_t *)arg;
    int r = souk_store_exec(db, "UPDATE users SET totp_enabled = 0, totp_secret = NULL, updated_at = $2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(user), SOUK_I64(souk_time_now_us())));
    return r < 0 ? r : souk_store_exec(db, "DELETE FROM recovery_codes WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user)));
}

int souk_identity_api_totp_disable(souk_req *req, souk_res *res)
{
    souk_login_in in;
    if (need_user(req, res) || souk_req_decode(req, res, &souk__identity_reauth_spec, &in))
        return res->err;
    souk__identity_secret acct;
    int64_t user = req->principal.user_id;
    if (souk__identity_secret_by_id(req->store, user, &acct) != SOUK_DB_ROW)
        return souk_res_error(res, SOUK_E_UNAUTHORIZED, NULL);
    if (!acct.totp)
        return souk_res_error(res, SOUK_E_CONFLICT, "Two-factor sign-in is not on.");
    if (souk__identity_fail_throttled(req, res, "reauth", acct.email))
        return res->err;
    int ok = souk__identity_password_verify(acct.hash, in.password)
                 ? souk__identity_second_factor(req, res, &acct, in.totp_code, in.recovery_code)
                 : 0;
    if (ok < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (ok != 1)
        souk__identity_fail_count(req, "reauth", acct.email);
    if (ok == 2)
        return res->err;
    if (ok != 1) {
        souk_problems_add(&res->problems, req->arena, "password", "password and a current code are required");
        return souk_res_error(res, SOUK_E_INVALID_CREDENTIALS, NULL);
    }
    if (souk_store_tx(req->store, totp_disable_tx, &user) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk__identity_changed(req->store);
    res->status = 204;
    return 0;
}

/* ---- consents ---- */

static json_t *consents_json(souk_store *db, int64_t user)
{
    souk_stmt *st =
        souk_store_query(db,
                         "SELECT id, kind, granted <> 0, method, created_at FROM consents WHERE user_id = $1 "
                         "ORDER BY created_at, id",
                         SOUK_ARGS(SOUK_I64(user)));
    json_t *history = json_array(), *current = json_object();
    int64_t id, at;
    char kind[64], method[64];
    bool granted;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id), SOUK_COL_STR(kind), SOUK_COL_BOOL(&granted),
                                             SOUK_COL_STR(method), SOUK_COL_I64(&at)))) == SOUK_DB_ROW) {
        char tid[SOUK_ID_TEXT_MAX], tat[SOUK_RFC3339_LEN];
        json_array_append_new(history,
                              json_pack("{s:s,s:s,s:b,s:s,s:s}", "id", souk_id_format("cns", id, tid), "kind", kind,
                                        "granted", granted, "method", method, "at", souk_time_format(at, tat)));
        json_object_set_new(current, kind, json_boolean(granted));
    }
    if (r < 0) {
        json_decref(history);
        json_decref(current);
        return NULL;
    }
    if (!json_object_get(current, "marketing"))
        json_object_set_new(current, "marketing", json_null());
    return json_pack("{s:o,s:o}", "current", current, "history", history);
}

int souk_identity_api_consents(souk_req *req, souk_res *res)
{
    if (need_user(req, res))
        return res->err;
    json_t *j = consents_json(req->store, req->principal.user_id);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_identity_api_consent_record(souk_req *req, souk_res *res)
{
    souk_consent_in in;
    if (need_user(req, res) || souk_req_decode(req, res, &souk__identity_consent_spec, &in))
        return res->err;
    int r = souk_store_exec(req->store,
                            "INSERT INTO consents (id, user_id, kind, granted, method, created_at) "
                            "VALUES ($1, $2, $3, $4, 'api', $5)",
                            SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_I64(req->principal.user_id), SOUK_TEXT(in.kind),
                                      SOUK_I64(in.granted ? 1 : 0), SOUK_I64(souk_time_now_us())));
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    json_t *j = consents_json(req->store, req->principal.user_id);
    return j ? souk_res_json(res, 201, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

/* ---- export ---- */

json_t *souk__identity_export_json(souk_store *db, int64_t user, int64_t current_session)
{
    char at[SOUK_RFC3339_LEN];
    json_t *profile = souk__identity_user_json(db, user);
    json_t *consents = consents_json(db, user);
    json_t *sessions = souk__identity_sessions_json(db, user, current_session);
    json_t *keys = souk_apikey_list_json(db, user);
    json_t *addresses = souk__identity_addresses_json(db, user);
    json_t *out = NULL;
    if (profile && consents && sessions && keys && addresses)
        out = json_pack("{s:s,s:o,s:o,s:O,s:O,s:O}", "exported_at", souk_time_format(souk_time_now_us(), at), "profile",
                        profile, "consents", consents, "sessions", json_object_get(sessions, "data"), "api_keys",
                        json_object_get(keys, "data"), "addresses", json_object_get(addresses, "data"));
    else {
        json_decref(profile);
        json_decref(consents);
    }
    json_decref(sessions);
    json_decref(keys);
    json_decref(addresses);
    /* then what the other contexts keep: audit entries, orders (privacy.c) */
    if (!out || souk__identity_privacy_export(db, user, out) < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int souk_identity_api_export(souk_req *req, souk_res *res)
{
    if (need_user(req, res))
        return res->err;
    json_t *out = souk__identity_export_json(req->store, req->principal.user_id, req->principal.session_id);
    if (!out)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    res->content_type = "application/json";
    res->cache_control = "no-store";
    return souk_res_json(res, 200, out);
}

/* ---- erasure ---- */

typedef struct erase_ctx {
    int64_t user;
    const char *email;
} erase_ctx;

static int erase_tx(souk_store *db, void *arg)
{
    erase_ctx *c = arg;
    const souk_param *user = SOUK_ARGS(SOUK_I64(c->user)),
                     *user_now = SOUK_ARGS(SOUK_I64(c->user), SOUK_I64(souk_time_now_us()));
    static const struct {
        const char *sql;
        bool with_now; /* $2 is the time of erasure */
    } steps[] = {
        {"UPDATE users SET email = NULL, password_hash = NULL, name = '', phone = '', totp_secret = NULL, "
         "totp_enabled = 0, status = 'deleted', deleted_at = $2, updated_at = $2 WHERE id = $1",
         true},
        {"UPDATE sessions SET revoked_at = coalesce(revoked_at, $2), revoke_reason = coalesce(revoke_reason, "
         "'account_deleted'), ip = '', user_agent = '' WHERE user_id = $1",
         true},
        {"DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)", false},
        {"UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2), name = '' WHERE user_id = $1", true},
        {"DELETE FROM recovery_codes WHERE user_id = $1", false},
        {"DELETE FROM password_resets WHERE user_id = $1", false},
        {"DELETE FROM addresses WHERE user_id = $1", false},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int r = souk_store_exec(db, steps[i].sql, steps[i].with_now ? user_now : user);
        if (r < 0)
            return r;
    }
    /* then what the other contexts keep: orders, mail (privacy.c) */
    return souk__identity_privacy_erase_tx(db, c->user, c->email);
}
int souk__identity_erase(souk_store *db, int64_t user, const char *email)
{
    erase_ctx c = {user, email};
    if (souk_store_tx(db, erase_tx, &c) < 0)
        return -1;
    souk__identity_changed(db);
    /* push the erased values out of the WAL too (retry while readers finish) */
    for (int i = 0; i < 20 && souk_store_scrub(db) != 0; i++)
        usleep(50000);
    return 0;
}

int souk_identity_api_erase(souk_req *req, souk_res *res)
{
    souk_login_in in;
    if (req->principal.kind != SOUK_ACTOR_USER)
        return souk_res_error(res, SOUK_E_FORBIDDEN, "Deleting an account needs its owner's access token.");
    if (souk_req_decode(req, res, &souk__identity_reauth_spec, &in))
        return res->err;
    int64_t user = req->principal.user_id;
    souk__identity_secret acct;
    if (souk__identity_secret_by_id(req->store, user, &acct) != SOUK_DB_ROW)
        return souk_res_error(res, SOUK_E_UNAUTHORIZED, NULL);
    const char *email = acct.email;
    if (souk__identity_fail_throttled(req, res, "reauth", email))
        return res->err;
    if (!souk__identity_password_verify(acct.hash, in.password)) {
        souk__identity_fail_count(req, "reauth", email);
        return souk_res_error(res, SOUK_E_INVALID_CREDENTIALS, "Confirm with your current password.");
    }
    if (acct.totp) {
        if (!in.totp_code && !in.recovery_code)
            return souk_res_error(res, SOUK_E_MFA_REQUIRED, NULL);
        int ok = souk__identity_second_factor(req, res, &acct, in.totp_code, in.recovery_code);
        if (ok < 0)
            return souk_res_error(res, SOUK_E_INTERNAL, NULL);
        if (ok != 1) {
            souk__identity_fail_count(req, "reauth", email);
            if (ok == 2)
                return res->err;
            return souk_res_error(res, SOUK_E_INVALID_CREDENTIALS, NULL);
        }
    }
    if (souk__identity_erase(req->store, user, email) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    res->audit_subject_user = user;
    res->status = 204;
    return 0;
}
