/*
 * identity.h — roles, permissions and the resolution of credentials into a
 * principal (who is calling, with which permissions).
 *
 * Roles map to named permissions in one table (roles.c). Routes declare the
 * permission they need; "public" needs nothing and "authenticated" needs any
 * signed-in user or API key. A principal's permissions are a space-separated
 * list, "*" meaning all (admins).
 *
 * Credentials, both sent as "Authorization: Bearer …":
 * - access tokens: EdDSA-signed JWTs (token.c) naming a user and a session;
 * - API keys "sk_…" (apikey.c), owned by a user, limited to their scopes and
 *   to what the owner's role still allows.
 */
#ifndef SOUK_IDENTITY_H
#define SOUK_IDENTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/http.h"
#include "store/store.h"

#define SOUK_PERM_AUTHENTICATED "authenticated"
#define SOUK_ACCESS_TTL_S (15 * 60) /* lifetime of an access token, and of a retired key after rotation */
#define SOUK_APIKEY_LEN 46          /* "sk_" + 43 base64url characters */

/* Permissions of ROLE ("customer", "vendor", "inventory_manager", "admin"),
 * or NULL for an unknown role. */
const char *souk_role_permissions(const char *role);

/* True when ROLE is one of the four roles. */
bool souk_role_valid(const char *role);

/* The rule every account keeps, whoever makes or changes it (`souk user
 * create`, PATCH /api/v1/admin/users/{id}): a vendor account belongs to a
 * vendor, and no other account does. NULL when role ROLE with HAS_VENDOR is
 * a possible account, else why not: static text about the field
 * "vendor_id" (SOUK_IDENTITY_VENDOR_NEEDED or SOUK_IDENTITY_VENDOR_ONLY). */
const char *souk_identity_role_vendor_rule(const char *role, bool has_vendor);

#define SOUK_IDENTITY_VENDOR_NEEDED "a vendor account needs a vendor"
#define SOUK_IDENTITY_VENDOR_ONLY "only vendor accounts belong to a vendor"

/* True when PERMISSION is a named permission souk knows (API key scopes must be). */
bool souk_permission_known(const char *permission);

/* Every known permission, NULL-terminated (for docs and validation). */
extern const char *const souk_permissions[];

/* Resolves an Authorization header value into REQ->principal (JWT or API
 * key). Returns 0 when valid, -1 when the credential is missing, malformed,
 * expired, revoked, or belongs to a disabled/deleted user. Cheap on repeat:
 * verified tokens are remembered per thread until the identity generation
 * changes. */
int souk_identity_authenticate(souk_req *req, const char *authorization, size_t len);

/* Makes every remembered verification stale (after a revocation, role or
 * password change, user deletion), here and, through Redis when it is
 * configured, on every other node. */
void souk_identity_invalidate(void);

/* The same in this process only: another node broadcast a change, or
 * another process wrote to the database. */
void souk_identity_invalidate_here(void);

/* Configuration read once at start (from SOUK_* variables):
 * SOUK_ARGON2_OPSLIMIT / SOUK_ARGON2_MEMLIMIT_MB (password hashing cost),
 * SOUK_ADMIN_REQUIRE_2FA (admins get no admin permissions until they enrol). */
typedef struct souk_identity_config {
    unsigned long long argon2_opslimit;
    size_t argon2_memlimit;
    bool admin_require_2fa;
} souk_identity_config;

/* Loads the configuration from the environment; -1 (message in ERR) when invalid. */
int souk_identity_configure(char *err, size_t errlen);

/* The configuration in force. */
const souk_identity_config *souk_identity_config_get(void);

/* ---- background work ---- */

#define SOUK_IDENTITY_RESET_JOB "identity.password_reset"

/* Registers identity's job kinds with src/jobs: SOUK_IDENTITY_RESET_JOB, the
 * work of a password-reset request (a single-use code valid one hour in
 * password_resets and the mail that carries it, in the job's transaction;
 * nothing for a request whose address had no account, or whose account is
 * no longer active). Call before the workers start (src/app's
 * souk_background_register). 0, or -1 when a kind could not be registered. */
int souk_identity_register_jobs(void);

/* ---- signing keys, encrypted at rest (keys.c, keybox.c) ---- */

/* The private halves of the token-signing keys (table signing_keys) are
 * stored encrypted with XChaCha20-Poly1305 (libsodium), the key id as
 * associated data, under a 32-byte key-encryption key (KEK) kept outside
 * the database. The KEK comes from, in this order:
 *   SOUK_KEY_ENCRYPTION_KEY   64 hex digits, or the base64 of 32 bytes;
 *   SOUK_KEY_FILE             a file holding that text, readable by its
 *                             owner only (or by root's group: 0640 root);
 *   the default key file      DEFAULT_KEY_FILE, i.e. next to the database
 *                             (souk.db.key), created with mode 0600 when the
 *                             database holds no encrypted key yet.
 * Each stored key records the id of the KEK that sealed it (16 hex digits of
 * a keyed BLAKE2b of the KEK, shown as kek_…), so a wrong KEK is named. */

/* At the start of every command that opens the database for work (serve,
 * worker, user, keys rotate, demo, import, migrate): finds the KEK as above
 * (DEFAULT_KEY_FILE NULL = the database is no file: one of the variables
 * must be set), checks that every stored key opens with it, encrypts keys
 * stored in the clear by an older souk (then scrubs the database's logs),
 * makes the first signing key when there is none, and keeps the KEK for
 * this process. Returns 0, or -1 with the reason in ERR — the KEK is
 * missing, malformed, unreadable or too widely readable, or not the one
 * the stored keys were sealed with — and nothing changed: souk never makes
 * new signing keys in place of ones it cannot open (that would sign
 * everyone out). */
int souk_identity_keys_open(souk_store *db, const char *default_key_file, char *err, size_t errlen);

/* `souk keys rotate-encryption`: re-encrypts every stored signing key under
 * the KEK configured as for souk_identity_keys_open (the default key file
 * is created when missing), accepting keys sealed with OLD_KEY_TEXT (the
 * previous KEK, as SOUK_KEY_ENCRYPTION_KEY takes it) or in the clear, in
 * one transaction; keys already under the new KEK are checked and left as
 * they are, so running it twice is harmless. *REENCRYPTED and *CURRENT get
 * the counts. Returns 0, or -1 with the reason in ERR and nothing changed
 * (a malformed or identical old key, a key that neither opens, a database
 * error). Running processes keep the keys they loaded; restart them with
 * the new KEK. */
int souk_identity_keys_reencrypt(souk_store *db, const char *default_key_file, const char *old_key_text,
                                 int *reencrypted, int *current, char *err, size_t errlen);

/* Makes a new signing key and retires the current one (`souk keys rotate`);
 * retired keys verify tokens for SOUK_ACCESS_TTL_S more. KID (32 bytes)
 * gets the new key id. 0 or a negative souk_db_status. */
int souk_identity_keys_rotate(souk_store *db, char *kid);

/* ---- personal data other contexts keep (GDPR export and erasure) ---- */

/* One context's part of an account's personal data. Identity exports and
 * erases its own tables itself; every other context that keeps personal data
 * registers a step at start (src/app/privacy.c), so identity depends on none
 * of them. */
typedef struct souk_identity_privacy_step {
    /* Its key in the export object (GET /users/me/export), e.g. "orders";
     * static text, unique, not one of identity's own keys. */
    const char *name;
    /* What the context keeps about USER as a new JSON value (the caller
     * owns it), or NULL on a database error: the export then fails with 500.
     * NULL = nothing to export. */
    json_t *(*export_json)(souk_store *db, int64_t user);
    /* Inside the erasure's write transaction (DELETE /users/me), after
     * identity has cleared its own rows: erases what the context keeps about
     * USER, whose address was EMAIL. Returns 0 or a negative souk_db_status
     * (SOUK_DB_SOFT retries the whole erasure, any other rolls it back).
     * NULL = nothing to erase. */
    int (*erase_tx)(souk_store *db, int64_t user, const char *email);
} souk_identity_privacy_step;

/* Registers STEP (copied); exports and erasures run the steps in the order
 * registered. Call at start, before requests are served (the list is not
 * locked). Returns 0, or -1 (our bug: SOUK_BUG) when STEP has no name, the
 * name is taken, or SOUK_IDENTITY_PRIVACY_STEPS are registered already. */
int souk_identity_register_privacy_step(const souk_identity_privacy_step *step);

#define SOUK_IDENTITY_PRIVACY_STEPS 16

/* ---- accounts, for the command line ---- */

/* Lower-cases the ASCII letters of EMAIL in place: the form addresses are
 * stored and looked up in. */
void souk_identity_email_normalize(char *email);

/* An account made outside sign-up (`souk user create`, the demo's admin). */
typedef struct souk_identity_user_in {
    const char *email;    /* lower-cased before it is checked and stored */
    const char *role;     /* customer | vendor | inventory_manager | admin */
    const char *password; /* plain text, checked against the password rules */
    const char *name;     /* NULL = "" */
    int64_t vendor_id;    /* the account's vendor (catalog), 0 = none */
    bool api_key;         /* also make an API key with every permission of the role */
} souk_identity_user_in;

/* Creates account IN with an Argon2id hash of its password, and its API key
 * when asked (written to KEY, SOUK_APIKEY_LEN + 1 bytes), in one transaction.
 * Returns SOUK_OK with *USER set; SOUK_E_VALIDATION with *PROBLEM naming
 * the field ("email", "role", "vendor_id" — the vendor does not exist, or
 * the role and the vendor break souk_identity_role_vendor_rule — or
 * "password") and why (static text, e.g. "must be at least 10 characters");
 * SOUK_E_CONFLICT when an account has the address already; SOUK_E_UNAVAILABLE
 * when hashing ran out of memory; SOUK_E_INTERNAL on database errors
 * (souk_store_errmsg says which). */
souk_err souk_identity_user_create(souk_store *db, const souk_identity_user_in *in, souk_problem *problem,
                                   int64_t *user, char *key);

/* Inside the caller's write transaction: the customer account of EMAIL
 * (lower-cased first; at most 254 bytes with an '@'), made without a
 * password when there is none (an importer's customers of the past: they
 * cannot sign in until they reset their password). *USER gets its id,
 * *CREATED whether it was made now. SOUK_OK, SOUK_E_VALIDATION (a bad
 * address), or the mapped database failure. */
souk_err souk_identity_customer_import_tx(souk_store *db, const char *email, int64_t *user, bool *created);

/* 1 when an active admin account exists, 0 when none, or a negative
 * souk_db_status. */
int souk_identity_admin_exists(souk_store *db);

/* The active admin accounts that have an address, oldest first, at most
 * MAX: their ids into IDS and addresses into EMAILS. Returns how many, or a
 * negative souk_db_status. (For mail to the admins, e.g. audit anchors.) */
int souk_identity_admins(souk_store *db, int64_t *ids, char (*emails)[256], int max);

/* 1 when any account or API key exists (whether anyone can sign in), 0 when
 * none, or a negative souk_db_status. */
int souk_identity_any_credential(souk_store *db);

/* ---- lookups for other contexts (lookup.c) ---- */

/* The e-mail address of account USER into *EMAIL (a copy in arena A).
 * SOUK_OK; NOT_FOUND when there is no such account or it has no address
 * (erased), *EMAIL untouched; INTERNAL / UNAVAILABLE on database errors. */
souk_err souk_identity_user_email(souk_store *db, int64_t user, souk_arena *a, const char **email);

#endif
