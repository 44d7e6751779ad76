/*
 * apikey.h — API keys: random secrets shown once, stored as a BLAKE2b hash.
 *
 * Until accounts exist (see the accounts issue) one admin key with scope "*"
 * is created by `souk demo` or at the first `souk serve`, and the route
 * table's permission check accepts it.
 */
#ifndef SOUK_APIKEY_H
#define SOUK_APIKEY_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define SOUK_APIKEY_LEN 46 /* "sk_" + 43 base64url characters */

/* Creates a key with SCOPES (space-separated permissions, "*" = all) and
 * writes it into KEY (SOUK_APIKEY_LEN + 1 bytes). Returns 0 or a negative
 * souk_db_status. The key is not recoverable afterwards. */
int souk_apikey_create(souk_store *db, const char *scopes, char *key);

/* Looks KEY (LEN bytes) up. Returns 1 and fills *ID and SCOPES (SCOPES_LEN
 * bytes) when valid, 0 when unknown, negative on database errors. */
int souk_apikey_verify(souk_store *db, const char *key, size_t len, int64_t *id, char *scopes, size_t scopes_len);

/* Number of keys stored, or negative on error. */
int64_t souk_apikey_count(souk_store *db);

#endif
