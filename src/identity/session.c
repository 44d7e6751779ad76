/*
 * session.c — sessions and refresh tokens.
 *
 * A session is one sign-in on one device: a family of refresh tokens, each
 * used once. Refreshing marks the presented token used and issues the next
 * one in the same session. Presenting an already-used token means someone
 * kept a copy: the whole session is revoked (and the caller logs a security
 * event). Tokens are stored as BLAKE2b hashes only.
 */
#include "identity/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "store/row.h"
#include "core/banned.h"

void souk__identity_hash_secret(const char *secret, size_t len, char hex[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)secret, len, NULL, 0);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

void souk__identity_random_token(const char *prefix, char *out, size_t outlen)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    size_t pl = strlen(prefix);
    memcpy(out, prefix, pl);
    sodium_bin2base64(out + pl, outlen - pl, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int insert_refresh(souk_store *db, int64_t session, char *token_out)
{
    char hex[65];
    souk__identity_random_token("rt_", token_out, 64);
    souk__identity_hash_secret(token_out, strlen(token_out), hex);
    int64_t now = souk_time_now_us();
    return souk_store_exec(db,
                           "INSERT INTO refresh_tokens (id, session_id, hash, created_at, expires_at) "
                           "VALUES ($1, $2, $3, $4, $5)",
                           SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_I64(session), SOUK_TEXT(hex), SOUK_I64(now),
                                     SOUK_I64(now + (int64_t)SOUK_REFRESH_TTL_S * 1000000)));
}

int souk__identity_session_create_tx(souk_store *db, int64_t user, const char *ip, const char *user_agent,
                                     souk__tokens *out)
{
    int64_t now = souk_time_now_us(), session = souk_id_next();
    char ua[256];
    snprintf(ua, sizeof ua, "%s", user_agent ? user_agent : "");
    int r = souk_store_exec(db,
                            "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, ip, "
                            "user_agent) VALUES ($1, $2, $3, $3, $4, $5, $6)",
                            SOUK_ARGS(SOUK_I64(session), SOUK_I64(user), SOUK_I64(now),
                                      SOUK_I64(now + (int64_t)SOUK_REFRESH_TTL_S * 1000000), SOUK_TEXT(ip ? ip : ""),
                                      SOUK_TEXT(ua)));
    if (r < 0)
        return r;
    if ((r = insert_refresh(db, session, out->refresh)) < 0)
        return r;
    out->session = session;
    return souk__identity_token_sign(db, user, session, out->access);
}

int souk__identity_sessions_revoke_all_tx(souk_store *db, int64_t user, const char *reason)
{
    return souk_store_exec(db,
                           "UPDATE sessions SET revoked_at = $2, revoke_reason = $3 "
                           "WHERE user_id = $1 AND revoked_at IS NULL",
                           SOUK_ARGS(SOUK_I64(user), SOUK_I64(souk_time_now_us()), SOUK_TEXT(reason)));
}

int souk__identity_password_set_tx(souk_store *db, int64_t user, const char *hash, const char *reason)
{
    int r = souk_store_exec(
        db, "UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1",
        SOUK_ARGS(SOUK_I64(user), SOUK_TEXT(hash), SOUK_I64(souk_time_now_us())));
    return r < 0 ? r : souk__identity_sessions_revoke_all_tx(db, user, reason);
}

json_t *souk__identity_token_response(const souk__tokens *t, json_t *user)
{
    return json_pack("{s:s,s:s,s:i,s:s,s:i,s:o}", "access_token", t->access, "token_type", "Bearer", "expires_in",
                     SOUK_ACCESS_TTL_S, "refresh_token", t->refresh, "refresh_expires_in", SOUK_REFRESH_TTL_S, "user",
                     user ? user : json_null());
}

/* ---- refresh ---- */

typedef struct refresh_ctx {
    const char *token;
    souk__tokens out;
    int64_t user, session;
    int outcome; /* 0 ok, 1 invalid, 2 reuse (session revoked) */
} refresh_ctx;

static int refresh_tx(souk_store *db, void *arg)
{
    refresh_ctx *c = arg;
    char hex[65];
    souk__identity_hash_secret(c->token, strlen(c->token), hex);
    int64_t rt_id = 0, rt_exp = 0, s_exp = 0;
    bool used = false, revoked = false, active = false;
    int r = souk_store_one(
        db,
        "SELECT rt.id, rt.session_id, rt.used_at IS NOT NULL, rt.expires_at, s.user_id, "
        "s.revoked_at IS NOT NULL, s.expires_at, u.status = 'active' FROM refresh_tokens rt "
        "JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id WHERE rt.hash = $1",
        SOUK_ARGS(SOUK_TEXT(hex)),
        SOUK_COLS(SOUK_COL_I64(&rt_id), SOUK_COL_I64(&c->session), SOUK_COL_BOOL(&used), SOUK_COL_I64(&rt_exp),
                  SOUK_COL_I64(&c->user), SOUK_COL_BOOL(&revoked), SOUK_COL_I64(&s_exp), SOUK_COL_BOOL(&active)));
    if (r < 0)
        return r;
    c->outcome = 1;
    if (r == SOUK_DB_DONE)
        return 0;
    int64_t now = souk_time_now_us();
    if (used) {
        if (!revoked) {
            c->outcome = 2;
            return souk_store_exec(db,
                                   "UPDATE sessions SET revoked_at = $2, revoke_reason = 'refresh_token_reuse' "
                                   "WHERE id = $1",
                                   SOUK_ARGS(SOUK_I64(c->session), SOUK_I64(now)));
        }
        return 0;
    }
    if (revoked || !active || now >= rt_exp || now >= s_exp)
        return 0;
    r = souk_store_exec(db, "UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
                        SOUK_ARGS(SOUK_I64(rt_id), SOUK_I64(now)));
    if (r < 0)
        return r;
    r = souk_store_exec(db, "UPDATE sessions SET last_used_at = $2 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(c->session), SOUK_I64(now)));
    if (r < 0 || (r = insert_refresh(db, c->session, c->out.refresh)) < 0)
        return r;
    c->out.session = c->session;
    if ((r = souk__identity_token_sign(db, c->user, c->session, c->out.access)) < 0)
        return r;
    c->outcome = 0;
    return 0;
}

int souk__identity_refresh(souk_store *db, const char *token, souk__tokens *out, int64_t *user, int64_t *session)
{
    refresh_ctx c = {.token = token};
    int r = souk_store_tx(db, refresh_tx, &c);
    if (r < 0)
        return r;
    *user = c.user;
    *session = c.session;
    if (c.outcome == 0)
        *out = c.out;
    return c.outcome;
}

int souk__identity_session_revoke(souk_store *db, int64_t user, int64_t session, const char *reason)
{
    int64_t n = souk_store_update(
        db,
        "UPDATE sessions SET revoked_at = coalesce(revoked_at, $3), "
        "revoke_reason = coalesce(revoke_reason, $4) WHERE id = $1 AND user_id = $2",
        SOUK_ARGS(SOUK_I64(session), SOUK_I64(user), SOUK_I64(souk_time_now_us()), SOUK_TEXT(reason)));
    return n < 0 ? (int)n : n > 0;
}

json_t *souk__identity_sessions_json(souk_store *db, int64_t user, int64_t current)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, created_at, last_used_at, expires_at, revoked_at, ip, user_agent "
                                     "FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 200",
                                     SOUK_ARGS(SOUK_I64(user)));
    json_t *arr = json_array();
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW)
        json_array_append_new(arr, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "id", souk_row_id(st, 0, "ses"),
                                             "created_at", souk_row_time(st, 1), "last_used_at", souk_row_time(st, 2),
                                             "expires_at", souk_row_time(st, 3), "revoked_at", souk_row_time(st, 4),
                                             "ip", souk_row_text(st, 5), "user_agent", souk_row_text(st, 6), "current",
                                             souk_stmt_i64(st, 0) == current));
    if (r < 0) {
        json_decref(arr);
        return NULL;
    }
    return json_pack("{s:o}", "data", arr);
}
