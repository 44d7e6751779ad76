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

/* After a write to sessions, keys, roles or passwords in DB's transaction:
 * drops this process's remembered verifications at once, and again on every
 * node once the transaction has committed (souk_identity_invalidate; a
 * broadcast sent before the commit could be answered from the old rows). */
void souk__identity_changed(souk_store *db);

/* ---- keybox.c: the key-encryption key (identity.h) ---- */
#define SOUK_KEK_ID_HEX 16 /* hex digits of a KEK's id */
#define SOUK_KEYBOX_LEN                                                                                                \
    (crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_sign_SECRETKEYBYTES +                                       \
     crypto_aead_xchacha20poly1305_ietf_ABYTES) /* nonce || ciphertext || tag */

typedef struct souk__kek {
    unsigned char key[32];
    char id[SOUK_KEK_ID_HEX + 1];
    char source[300]; /* where it came from, for messages: "SOUK_KEY_FILE /path", … */
} souk__kek;

/* Parses TEXT (64 hex digits or base64 of 32 bytes, blanks around it
 * ignored) into OUT (source left as it is): 0, or -1. */
int souk__kek_parse(const char *text, souk__kek *out);
/* Finds the configured KEK (identity.h) into OUT. ALLOW_CREATE: a missing
 * default key file may be made (with a new random KEK); *CREATED says
 * whether it was. 0, or -1 with the reason in ERR. */
int souk__kek_find(const char *default_file, bool allow_create, souk__kek *out, bool *created, char *err,
                   size_t errlen);
/* Seals secret key SK of key KID under K into BOX (SOUK_KEYBOX_LEN bytes). */
void souk__kek_seal(const souk__kek *k, const char *kid, const unsigned char *sk, unsigned char *box);
/* Opens BOX (LEN bytes) of key KID with K into SK (crypto_sign_SECRETKEYBYTES):
 * 0, or -1 when it does not open (another KEK, another kid, damaged). */
int souk__kek_open(const souk__kek *k, const char *kid, const void *box, size_t len, unsigned char *sk);
/* The process's KEK (set by souk_identity_keys_open), or NULL. */
const souk__kek *souk__kek_current(void);
void souk__kek_set_current(const souk__kek *k);

/* ---- token.c: the key ring ---- */
/* Inside a write transaction: retires the signing key and adds a new one,
 * sealed with the process's KEK (KID_OUT, 32 bytes, may be NULL). 0 or a
 * negative souk_db_status (SOUK_DB_HARD when no KEK is set: our bug). */
int souk__identity_key_insert_tx(souk_store *db, char *kid_out);

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
