/* account.c — helpers shared by the account handlers: the user's JSON
 * shape, e-mail normalisation and checks, the JSON specs of the bodies. */
#include "identity/account.h"

#include <ctype.h>
#include <string.h>

#include "core/id.h"
#include "mail/mail.h"
#include "store/row.h"
#include "core/banned.h"

json_t *souk__identity_user_json(souk_store *db, int64_t user)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT email, name, phone, role, vendor_id, totp_enabled, created_at, "
                                     "updated_at, status FROM users WHERE id = $1",
                                     SOUK_ARGS(SOUK_I64(user)));
    if (souk_stmt_step(st) != SOUK_DB_ROW)
        return NULL;
    char id[SOUK_ID_TEXT_MAX];
    json_t *j = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o}", "id", souk_id_format("usr", user, id), "email",
                          souk_row_text_or_null(st, 0), "name", souk_row_text(st, 1), "phone", souk_row_text(st, 2),
                          "role", souk_row_text(st, 3), "vendor_id", souk_row_id(st, 4, "vend"), "two_factor_enabled",
                          souk_stmt_i64(st, 5) != 0, "status", souk_row_text(st, 8), "created_at", souk_row_time(st, 6),
                          "updated_at", souk_row_time(st, 7));
    souk_stmt_done(st);
    return j;
}

const char *souk__identity_check_email(const char *s, size_t len)
{
    if (len < 3 || len > 254)
        return "must be an e-mail address of at most 254 characters";
    const char *at = memchr(s, '@', len);
    if (!at || at == s || at == s + len - 1 || memchr(at + 1, '@', len - (size_t)(at + 1 - s)))
        return "must be an e-mail address such as name@example.com";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == '\\')
            return "must be an e-mail address such as name@example.com";
    }
    if (!memchr(at + 1, '.', len - (size_t)(at + 1 - s)))
        return "the domain of the e-mail address needs a dot";
    /* and mail must be deliverable to it (password resets) */
    const char *why = NULL;
    if (souk_mail_check(s, "x", "x", &why) != 0)
        return why ? why : "is not an address souk can send mail to";
    return NULL;
}

void souk_identity_email_normalize(char *email)
{
    for (; *email; email++)
        *email = (char)tolower((unsigned char)*email);
}

/* The columns souk__identity_secret holds, in its order. */
#define SECRET_SELECT "SELECT id, email, password_hash, totp_enabled <> 0, totp_secret FROM users "

static int read_secret(souk_store *db, const char *sql, souk_param key, souk__identity_secret *out)
{
    memset(out, 0, sizeof *out);
    return souk_store_one(db, sql, SOUK_ARGS(key),
                          SOUK_COLS(SOUK_COL_I64(&out->id), SOUK_COL_STR(out->email), SOUK_COL_STR(out->hash),
                                    SOUK_COL_BOOL(&out->totp), SOUK_COL_STR(out->totp_secret)));
}

int souk__identity_secret_by_email(souk_store *db, const char *email, souk__identity_secret *out)
{
    return read_secret(db, SECRET_SELECT "WHERE email = $1 AND status = 'active'", SOUK_TEXT(email), out);
}

int souk__identity_secret_by_id(souk_store *db, int64_t user, souk__identity_secret *out)
{
    return read_secret(db, SECRET_SELECT "WHERE id = $1 AND status = 'active'", SOUK_I64(user), out);
}

/* ---- request specs ---- */

const char *const souk__identity_roles[] = {"customer", "vendor", "inventory_manager", "admin", NULL};
const char *const souk__identity_statuses[] = {"active", "disabled", NULL};

static const souk_json_field register_fields[] = {
    SOUK_JSON_F_STRING("email", SOUK_JSON_REQUIRED, souk_register_in, email, 3, 254, souk__identity_check_email),
    SOUK_JSON_F_STRING("password", SOUK_JSON_REQUIRED, souk_register_in, password, 1, 1024, NULL),
    SOUK_JSON_F_STRING("name", 0, souk_register_in, name, 0, 200, NULL),
    SOUK_JSON_F_STRING("phone", 0, souk_register_in, phone, 0, 40, NULL),
    SOUK_JSON_F_BOOL("marketing_opt_in", 0, souk_register_in, marketing_opt_in),
};
const souk_json_spec souk__identity_register_spec = SOUK_JSON_SPEC(souk_register_in, register_fields);

/* sign-in; re-authentication (below) takes the same fields after "email" */
static const souk_json_field login_fields[] = {
    SOUK_JSON_F_STRING("email", SOUK_JSON_REQUIRED, souk_login_in, email, 1, 254, NULL),
    SOUK_JSON_F_STRING("password", SOUK_JSON_REQUIRED, souk_login_in, password, 1, 1024, NULL),
    SOUK_JSON_F_STRING("totp_code", 0, souk_login_in, totp_code, 1, 16, NULL),
    SOUK_JSON_F_STRING("recovery_code", 0, souk_login_in, recovery_code, 1, 32, NULL),
};
const souk_json_spec souk__identity_login_spec = SOUK_JSON_SPEC(souk_login_in, login_fields);

/* a signed-in user confirming who they are (turning 2FA off, erasure): the
 * sign-in fields without the e-mail, so field i here is login field i + 1 */
const souk_json_spec souk__identity_reauth_spec = {login_fields + 1, sizeof login_fields / sizeof login_fields[0] - 1,
                                                   sizeof(souk_login_in), offsetof(souk_login_in, present),
                                                   offsetof(souk_login_in, nulls)};

static const souk_json_field token_fields[] = {
    SOUK_JSON_F_STRING("refresh_token", SOUK_JSON_REQUIRED, souk_token_in, token, 1, 128, NULL),
};
const souk_json_spec souk__identity_refresh_spec = SOUK_JSON_SPEC(souk_token_in, token_fields);

static const souk_json_field reset_request_fields[] = {
    SOUK_JSON_F_STRING("email", SOUK_JSON_REQUIRED, souk_token_in, token, 1, 254, NULL),
};
const souk_json_spec souk__identity_reset_request_spec = SOUK_JSON_SPEC(souk_token_in, reset_request_fields);

static const souk_json_field reset_confirm_fields[] = {
    SOUK_JSON_F_STRING("token", SOUK_JSON_REQUIRED, souk_password_in, current, 1, 128, NULL),
    SOUK_JSON_F_STRING("new_password", SOUK_JSON_REQUIRED, souk_password_in, next, 1, 1024, NULL),
};
const souk_json_spec souk__identity_reset_confirm_spec = SOUK_JSON_SPEC(souk_password_in, reset_confirm_fields);

static const souk_json_field password_fields[] = {
    SOUK_JSON_F_STRING("current_password", SOUK_JSON_REQUIRED, souk_password_in, current, 1, 1024, NULL),
    SOUK_JSON_F_STRING("new_password", SOUK_JSON_REQUIRED, souk_password_in, next, 1, 1024, NULL),
};
const souk_json_spec souk__identity_password_spec = SOUK_JSON_SPEC(souk_password_in, password_fields);

static const souk_json_field profile_fields[] = {
    SOUK_JSON_F_STRING("name", 0, souk_register_in, name, 0, 200, NULL),
    SOUK_JSON_F_STRING("phone", 0, souk_register_in, phone, 0, 40, NULL),
};
const souk_json_spec souk__identity_profile_spec = SOUK_JSON_SPEC(souk_register_in, profile_fields);

static const souk_json_field code_fields[] = {
    SOUK_JSON_F_STRING("code", SOUK_JSON_REQUIRED, souk_token_in, token, 1, 32, NULL),
};
const souk_json_spec souk__identity_code_spec = SOUK_JSON_SPEC(souk_token_in, code_fields);

static const char *consent_kind_check(const char *s, size_t len)
{
    (void)len;
    return strcmp(s, "marketing") == 0 ? NULL : "must be marketing";
}
static const souk_json_field consent_fields[] = {
    SOUK_JSON_F_STRING("kind", SOUK_JSON_REQUIRED, souk_consent_in, kind, 1, 32, consent_kind_check),
    SOUK_JSON_F_BOOL("granted", SOUK_JSON_REQUIRED, souk_consent_in, granted),
};
const souk_json_spec souk__identity_consent_spec = SOUK_JSON_SPEC(souk_consent_in, consent_fields);

static const char *scope_check(const char *s, size_t len)
{
    (void)len;
    return souk_permission_known(s) || strcmp(s, "*") == 0 ? NULL : "is not a known permission";
}

static const souk_json_field apikey_fields[] = {
    SOUK_JSON_F_STRING("name", SOUK_JSON_REQUIRED, souk_apikey_in, name, 1, 100, NULL),
    SOUK_JSON_F_STRLIST("scopes", SOUK_JSON_REQUIRED, souk_apikey_in, scopes, 1, 16, 64, scope_check),
    SOUK_JSON_F_STRING("expires_at", SOUK_JSON_NULLABLE, souk_apikey_in, expires_at, 20, 40, NULL),
};
const souk_json_spec souk__identity_apikey_spec = SOUK_JSON_SPEC(souk_apikey_in, apikey_fields);

static const souk_json_field admin_user_fields[] = {
    SOUK_JSON_F_ENUM("role", 0, souk_admin_user_in, role, souk__identity_roles),
    SOUK_JSON_F_ID("vendor_id", SOUK_JSON_NULLABLE, souk_admin_user_in, vendor_id, "vend"),
    SOUK_JSON_F_ENUM("status", 0, souk_admin_user_in, status, souk__identity_statuses),
};
const souk_json_spec souk__identity_admin_user_spec = SOUK_JSON_SPEC(souk_admin_user_in, admin_user_fields);
