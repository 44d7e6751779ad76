/*
 * apikey.h — API keys: random secrets shown once, stored as a BLAKE2b hash,
 * owned by a user, limited to scopes (named permissions) and optionally to
 * an expiry. A key can never do more than its owner's role allows at the
 * time it is used. Keys made before accounts existed have no owner and the
 * scope "*"; they keep working until revoked with `souk keys revoke`.
 */
#ifndef SOUK_APIKEY_H
#define SOUK_APIKEY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "identity/identity.h"
#include "store/store.h"

/* Creates a key for USER (0 = no owner) named NAME with SCOPES (space-separated
 * permissions, "*" = all of the owner's) expiring at EXPIRES_US (0 = never), and
 * writes it into KEY (SOUK_APIKEY_LEN + 1 bytes); *ID gets its id. Returns 0 or a
 * negative souk_db_status. Runs in the caller's transaction if one is open. */
int souk_apikey_create(souk_store *db, int64_t user, const char *name, const char *scopes, int64_t expires_us,
                       char *key, int64_t *id);

typedef struct souk_apikey_info {
    int64_t id, user_id;
    int64_t expires_us; /* 0 = never */
    char scopes[512];
} souk_apikey_info;

/* Looks KEY (LEN bytes) up. Returns 1 and fills INFO when it exists, is not
 * revoked and not expired; 0 otherwise; negative on database errors. Records
 * last use (at most once a minute). */
int souk_apikey_verify(souk_store *db, const char *key, size_t len, souk_apikey_info *info);

/* Number of keys stored, or negative on error. */
int64_t souk_apikey_count(souk_store *db);

/* {"data":[{"id","name","prefix","scopes":[...],"created_at","last_used_at","expires_at","revoked_at"}]} of USER's keys. */
json_t *souk_apikey_list_json(souk_store *db, int64_t user);

/* One key of USER as JSON, or NULL. */
json_t *souk_apikey_json(souk_store *db, int64_t user, int64_t id);

/* Revokes key ID of USER (USER 0 = any owner). 1 revoked, 0 not found, negative on error. */
int souk_apikey_revoke(souk_store *db, int64_t user, int64_t id);

#endif
