/* internal.h — shared by the identity module's files (souk__identity_ prefix
 * for non-static names). */
#ifndef SOUK_IDENTITY_INTERNAL_H
#define SOUK_IDENTITY_INTERNAL_H

#include <jansson.h>
#include <sodium.h>

#include "core/err.h"
#include "identity/identity.h"

#define SOUK_REFRESH_TTL_S (7 * 24 * 3600)
#define SOUK_JWT_LEEWAY_S 5
#define SOUK_TOKEN_MAX 2048
#define SOUK_PASSWORD_MIN 10
#define SOUK_PASSWORD_MAX 128

/* ---- password.c ---- */
/* Argon2id hash of PASSWORD with the configured cost into OUT
 * (crypto_pwhash_STRBYTES). 0 or -1 (out of memory). */
int souk__identity_password_hash(const char *password, char *out);
/* 1 when PASSWORD matches HASH, 0 otherwise (NULL/empty HASH never matches). */
int souk__identity_password_verify(const char *hash, const char *password);
/* True when HASH was made with other parameters than the configured ones. */
bool souk__identity_password_needs_rehash(const char *hash);
/* Spends about the time of one verification (for unknown accounts). */
void souk__identity_password_dummy(const char *password);
/* NULL when PASSWORD is acceptable for EMAIL, else the reason. */
const char *souk__identity_password_rules(const char *password, const char *email);

/* ---- token.c ---- */
/* Signs an access token for USER and SESSION into OUT (SOUK_TOKEN_MAX).
 * Returns 0, or a negative souk_db_status when no key can be loaded/made. */
int souk__identity_token_sign(souk_store *db, int64_t user, int64_t session, char *out);
/* Verifies TOKEN (LEN bytes): algorithm, key id, signature, iss, exp, nbf.
 * Returns 0 with *USER, *SESSION and *EXP (seconds) filled, or -1. */
int souk__identity_token_verify(souk_store *db, const char *token, size_t len, int64_t *user, int64_t *session,
                                int64_t *exp);
/* {"keys":[JWK...]} of the keys that may still verify tokens. */
json_t *souk__identity_jwks(souk_store *db);
/* Drops the in-memory keys so the next use reloads them. */
void souk__identity_keys_stale(void);

/* ---- session.c ---- */
typedef struct souk__tokens {
    char access[SOUK_TOKEN_MAX];
    char refresh[64];
    int64_t session;
} souk__tokens;
/* Inside a write transaction: a new session for USER and its first tokens. */
int souk__identity_session_create_tx(souk_store *db, int64_t user, const char *ip, const char *user_agent,
                                     souk__tokens *out);
/* Revokes every session of USER (REASON recorded). Inside a transaction. */
int souk__identity_sessions_revoke_all_tx(souk_store *db, int64_t user, const char *reason);
/* Inside a write transaction: sets USER's password HASH (Argon2id) and
 * revokes every session of USER with REASON, so no old sign-in outlives a
 * password change or reset. 0 or a negative souk_db_status. */
int souk__identity_password_set_tx(souk_store *db, int64_t user, const char *hash, const char *reason);
/* The JSON body answered by login/register/refresh. */
json_t *souk__identity_token_response(const souk__tokens *t, json_t *user);
/* Rotates refresh TOKEN in its own transaction. Returns 0 with OUT filled,
 * 1 when the token is not valid, 2 when it had been used before (its session
 * is now revoked; *USER and *SESSION name it), or a negative souk_db_status. */
int souk__identity_refresh(souk_store *db, const char *token, souk__tokens *out, int64_t *user, int64_t *session);
/* Revokes session SESSION of USER (REASON recorded unless it was revoked
 * already): 1 revoked, 0 not found (or not USER's), negative on error. */
int souk__identity_session_revoke(souk_store *db, int64_t user, int64_t session, const char *reason);
/* {"data":[{"id","created_at","last_used_at","expires_at","revoked_at","ip",
 * "user_agent","current"}]} of USER's newest 200 sessions, CURRENT marked;
 * NULL on a database error. */
json_t *souk__identity_sessions_json(souk_store *db, int64_t user, int64_t current);

/* ---- account.c ---- */
/* {"id","email","name","phone","role","vendor_id","two_factor_enabled","status","created_at","updated_at"}
 * of USER, or NULL when there is no such user or the database failed. */
json_t *souk__identity_user_json(souk_store *db, int64_t user);

/* ---- session.c: secrets ---- */
/* hex BLAKE2b-256 of a secret token (refresh tokens, reset tokens, recovery codes) */
void souk__identity_hash_secret(const char *secret, size_t len, char hex[65]);
/* A random token PREFIX + base64url(32 bytes) into OUT (≥ 64 bytes). */
void souk__identity_random_token(const char *prefix, char *out, size_t outlen);

#endif
