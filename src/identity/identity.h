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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "http/http.h"
#include "store/store.h"

#define SOUK_PERM_AUTHENTICATED "authenticated"

/* Permissions of ROLE ("customer", "vendor", "inventory_manager", "admin"),
 * or NULL for an unknown role. */
const char *souk_role_permissions(const char *role);

/* True when ROLE is one of the four roles. */
bool souk_role_valid(const char *role);

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
 * password change, user deletion, or a write by another process). */
void souk_identity_invalidate(void);

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

/* ---- lookups for other contexts (lookup.c) ---- */

/* The e-mail address of account USER into *EMAIL (a copy in arena A).
 * SOUK_OK; NOT_FOUND when there is no such account or it has no address
 * (erased), *EMAIL untouched; INTERNAL / UNAVAILABLE on database errors. */
souk_err souk_identity_user_email(souk_store *db, int64_t user, souk_arena *a, const char **email);

#endif
