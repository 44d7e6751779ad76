/*
 * account.h — shared by the identity module's HTTP handlers (api_*.c):
 * decoded request bodies, their specs, and account helpers. Internal to
 * src/identity (souk__identity_ prefix).
 */
#ifndef SOUK_IDENTITY_ACCOUNT_H
#define SOUK_IDENTITY_ACCOUNT_H

#include "core/json.h"
#include "identity/internal.h"

typedef struct souk_register_in {
    const char *email, *password, *name, *phone;
    bool marketing_opt_in;
    uint64_t present, nulls;
} souk_register_in;

typedef struct souk_login_in {
    const char *email, *password, *totp_code, *recovery_code;
    uint64_t present, nulls;
} souk_login_in;

typedef struct souk_token_in {
    const char *token;
    uint64_t present, nulls;
} souk_token_in;

typedef struct souk_password_in {
    const char *current, *next;
    uint64_t present, nulls;
} souk_password_in;

typedef struct souk_consent_in {
    const char *kind;
    bool granted;
    uint64_t present, nulls;
} souk_consent_in;

typedef struct souk_apikey_in {
    const char *name;
    souk_json_strlist scopes;
    const char *expires_at;
    uint64_t present, nulls;
} souk_apikey_in;

typedef struct souk_admin_user_in {
    int role, status;
    int64_t vendor_id;
    uint64_t present, nulls;
} souk_admin_user_in;

/* The roles and the statuses an admin may set, NULL-terminated, in the
 * order of souk_admin_user_in's role and status. */
extern const char *const souk__identity_roles[], *const souk__identity_statuses[];

extern const souk_json_spec souk__identity_register_spec, souk__identity_login_spec, souk__identity_refresh_spec,
    souk__identity_reset_request_spec, souk__identity_reset_confirm_spec, souk__identity_password_spec,
    souk__identity_profile_spec, souk__identity_reauth_spec, souk__identity_code_spec, souk__identity_consent_spec,
    souk__identity_apikey_spec, souk__identity_admin_user_spec;

/* NULL when S (LEN bytes) is a plausible e-mail address, else the reason. */
const char *souk__identity_check_email(const char *s, size_t len);

/* privacy.c: the registered steps of other contexts. Export sets each
 * step's part under its name in OUT: 0, or -1 when a step failed (OUT then
 * holds the parts made so far). Erase runs inside the erasure's transaction:
 * 0 or the first negative souk_db_status of a step. */
int souk__identity_privacy_export(souk_store *db, int64_t user, json_t *out);
int souk__identity_privacy_erase_tx(souk_store *db, int64_t user, const char *email);

/* addresses.c: USER's addresses as {"data": [...]} (the API's shape), or NULL on a failure. */
json_t *souk__identity_addresses_json(souk_store *db, int64_t user);

/* api_me.c: the GDPR export of account USER as a new object (identity's
 * tables, then every registered step's part), CURRENT_SESSION marked in its
 * sessions (0 = none); NULL on a failure. */
json_t *souk__identity_export_json(souk_store *db, int64_t user, int64_t current_session);

/* api_me.c: erases account USER (EMAIL its address, for the steps that key
 * on it) in one transaction — identity's rows, then every registered step —
 * and scrubs the erased values out of the WAL. 0, or -1 (nothing erased). */
int souk__identity_erase(souk_store *db, int64_t user, const char *email);

/* users.c: the row of a new account. */
typedef struct souk__identity_new_user {
    const char *email;        /* lower-case, checked */
    const char *hash;         /* Argon2id encoded password */
    const char *name, *phone; /* NULL = "" */
    const char *role;
    int64_t vendor_id; /* 0 = none */
} souk__identity_new_user;

/* Inside a write transaction: inserts account U unless its address has an
 * account already. 0 with *ID set, 1 when the address is taken, or a
 * negative souk_db_status. */
int souk__identity_user_insert_tx(souk_store *db, const souk__identity_new_user *u, int64_t *id);

/* What sign-in and re-authentication check of an active account. */
typedef struct souk__identity_secret {
    int64_t id;
    char email[256];
    char hash[crypto_pwhash_STRBYTES + 1]; /* Argon2id encoded string, "" when none */
    bool totp;                             /* two-factor sign-in is on */
    char totp_secret[64];                  /* base32, "" when none (set at enrolment) */
} souk__identity_secret;

/* The active account with EMAIL (lower-case) / with id USER into OUT:
 * SOUK_DB_ROW, SOUK_DB_DONE when there is none (OUT zeroed), or an error
 * class. */
int souk__identity_secret_by_email(souk_store *db, const char *email, souk__identity_secret *out);
int souk__identity_secret_by_id(souk_store *db, int64_t user, souk__identity_secret *out);

/* reset.c: inside a write transaction, queues the work of a password-reset
 * request for USER (0: the address had no account; the job then does
 * nothing). 0, or a negative souk_db_status. */
int souk__identity_reset_enqueue_tx(souk_store *db, int64_t user);

/* ---- totp.c ---- */
/* A new base32 secret (no padding) into OUT (≥ 40 bytes). 0 or -1. */
int souk__identity_totp_secret(char *out, size_t outlen);
/* Accepts CODE for USER once: 1 when it is a current (±1 step) code for the
 * base32 SECRET of a later time step than any code USER used before (the step
 * is recorded), 0 when not (wrong, stale or replayed), -1 on a store error. */
int souk__identity_totp_use(souk_store *db, int64_t user, const char *secret, const char *code);
/* Checks CODE of USER (address EMAIL, for the owner's warning) against the
 * per-account guess limit, then as souk__identity_totp_use does: 1 accepted
 * (the count of wrong codes starts again), 0 wrong (counted), 2 when the
 * account's TOTP checks are locked until *UNTIL_US — *LOCKED_NOW tells
 * whether this wrong code, the fifth within 15 minutes, locked them (for an
 * hour, mailing the owner in the same transaction) — or -1 on a store
 * error. A locked account's code is not looked at. */
int souk__identity_totp_check(souk_store *db, int64_t user, const char *email, const char *secret, const char *code,
                              int64_t *until_us, bool *locked_now);
/* The code for SECRET at TIME_S (seconds) into OUT (7 bytes): 0 or -1. */
int souk__identity_totp_code(const char *secret, int64_t time_s, char *out);
/* Inside a write transaction: replaces USER's recovery codes with COUNT new
 * ones ("xxxx-xxxx-xxxx", lower-case base32, into CODES[i]; stored hashed).
 * 0 or a negative souk_db_status. */
int souk__identity_recovery_codes_tx(souk_store *db, int64_t user, char codes[][16], int count);
/* Uses recovery CODE of USER once: 1 used, 0 unknown or used already,
 * negative on error. */
int souk__identity_recovery_use(souk_store *db, int64_t user, const char *code);

/* The failed-check throttle: 5 failures per account and 20 per address
 * refill over 15 minutes. KIND names the account budget: "account" for
 * sign-in, "reauth" for password checks of a signed-in user (password change,
 * 2FA off, erasure), so a stolen token cannot lock its owner out of signing
 * in; the address budget is shared. fail_throttled answers 0 while both
 * budgets last, else sets 429 RATE_LIMITED with Retry-After on RES and
 * returns its error; fail_count spends one failure of each. */
int souk__identity_fail_throttled(souk_req *req, souk_res *res, const char *kind, const char *email);
void souk__identity_fail_count(souk_req *req, const char *kind, const char *email);

/* Checks the second factor of account ACCT (TOTP code or recovery code;
 * either is accepted once; a TOTP code under the guess limit of
 * souk__identity_totp_check). 1 ok, 0 wrong, 2 when TOTP checks of the
 * account are locked: then RES holds 429 RATE_LIMITED with Retry-After, and
 * the lock was audited (security event auth.totp_locked) when this code set
 * it; negative on error. */
int souk__identity_second_factor(souk_req *req, souk_res *res, const souk__identity_secret *acct, const char *totp_code,
                                 const char *recovery_code);

#endif
