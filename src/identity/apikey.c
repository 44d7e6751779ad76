/* apikey.c — see apikey.h. Keys carry 256 random bits, so a fast
 * cryptographic hash (not a password hash) is the right way to store them. */
#include "identity/apikey.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

static void hash_key(const char *key, size_t len, char hex[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)key, len, NULL, 0);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

int souk_apikey_create(souk_store *db, int64_t user, const char *name, const char *scopes, int64_t expires_us,
                       char *key, int64_t *id)
{
    unsigned char secret[32];
    randombytes_buf(secret, sizeof secret);
    memcpy(key, "sk_", 3);
    sodium_bin2base64(key + 3, SOUK_APIKEY_LEN - 3 + 1, secret, sizeof secret,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char hex[65];
    hash_key(key, strlen(key), hex);
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO api_keys (id, prefix, hash, scopes, created_at, user_id, name, "
                                        "expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    if (!st)
        return SOUK_DB_HARD;
    int64_t kid = souk_id_next();
    souk_stmt_bind_i64(st, 1, kid);
    souk_stmt_bind_text(st, 2, key, 7);
    souk_stmt_bind_text(st, 3, hex, 64);
    souk_stmt_bind_text(st, 4, scopes, SIZE_MAX);
    souk_stmt_bind_i64(st, 5, souk_time_now_us());
    if (user)
        souk_stmt_bind_i64(st, 6, user);
    else
        souk_stmt_bind_null(st, 6);
    souk_stmt_bind_text(st, 7, name ? name : "", SIZE_MAX);
    if (expires_us)
        souk_stmt_bind_i64(st, 8, expires_us);
    else
        souk_stmt_bind_null(st, 8);
    int r = souk_stmt_exec(st);
    if (r >= 0 && id)
        *id = kid;
    return r < 0 ? r : 0;
}

int souk_apikey_verify(souk_store *db, const char *key, size_t len, souk_apikey_info *info)
{
    if (len != SOUK_APIKEY_LEN || memcmp(key, "sk_", 3) != 0)
        return 0;
    char hex[65];
    hash_key(key, len, hex);
    int64_t now = souk_time_now_us();
    souk_stmt *st = souk_store_stmt(db, "SELECT id, coalesce(user_id, 0), scopes, coalesce(last_used_at, 0), coalesce(expires_at, 0) FROM api_keys "
                                        "WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_text(st, 1, hex, 64);
    souk_stmt_bind_i64(st, 2, now);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r;
    info->id = souk_stmt_i64(st, 0);
    info->user_id = souk_stmt_i64(st, 1);
    snprintf(info->scopes, sizeof info->scopes, "%s", souk_stmt_text(st, 2, NULL));
    int64_t last = souk_stmt_i64(st, 3);
    info->expires_us = souk_stmt_i64(st, 4);
    souk_stmt_done(st);
    if (now - last > 60 * INT64_C(1000000)) {
        st = souk_store_stmt(db, "UPDATE api_keys SET last_used_at = $2 WHERE id = $1");
        if (st) {
            souk_stmt_bind_i64(st, 1, info->id);
            souk_stmt_bind_i64(st, 2, now);
            souk_stmt_exec(st); /* best effort: a busy database must not fail the request */
        }
    }
    return 1;
}

int64_t souk_apikey_count(souk_store *db)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT count(*) FROM api_keys");
    if (!st || souk_stmt_step(st) != SOUK_DB_ROW)
        return -1;
    int64_t n = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    return n;
}

static json_t *time_or_null(souk_stmt *st, int col)
{
    char buf[SOUK_RFC3339_LEN];
    return souk_stmt_is_null(st, col) ? json_null() : json_string(souk_time_format(souk_stmt_i64(st, col), buf));
}

static json_t *row_json(souk_stmt *st)
{
    char id[SOUK_ID_TEXT_MAX], created[SOUK_RFC3339_LEN];
    json_t *scopes = json_array();
    const char *s = souk_stmt_text(st, 3, NULL);
    while (s && *s) {
        while (*s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        if (e > s)
            json_array_append_new(scopes, json_stringn(s, (size_t)(e - s)));
        s = e;
    }
    return json_pack("{s:s,s:s,s:s,s:o,s:s,s:o,s:o,s:o}", "id", souk_id_format("key", souk_stmt_i64(st, 0), id), "name",
                     souk_stmt_text(st, 1, NULL), "prefix", souk_stmt_text(st, 2, NULL), "scopes", scopes, "created_at",
                     souk_time_format(souk_stmt_i64(st, 4), created), "last_used_at", time_or_null(st, 5),
                     "expires_at", time_or_null(st, 6), "revoked_at", time_or_null(st, 7));
}

#define KEY_COLS "id, name, prefix, scopes, created_at, last_used_at, expires_at, revoked_at"

json_t *souk_apikey_list_json(souk_store *db, int64_t user)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT " KEY_COLS " FROM api_keys WHERE user_id = $1 ORDER BY id DESC LIMIT 500");
    if (!st)
        return NULL;
    souk_stmt_bind_i64(st, 1, user);
    json_t *arr = json_array();
    while (souk_stmt_step(st) == SOUK_DB_ROW)
        json_array_append_new(arr, row_json(st));
    return json_pack("{s:o}", "data", arr);
}

json_t *souk_apikey_json(souk_store *db, int64_t user, int64_t id)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT " KEY_COLS " FROM api_keys WHERE id = $1 AND user_id = $2");
    if (!st)
        return NULL;
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_i64(st, 2, user);
    if (souk_stmt_step(st) != SOUK_DB_ROW)
        return NULL;
    json_t *j = row_json(st);
    souk_stmt_done(st);
    return j;
}

int souk_apikey_revoke(souk_store *db, int64_t user, int64_t id)
{
    souk_stmt *st = souk_store_stmt(db, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $3) "
                                        "WHERE id = $1 AND ($2 = 0 OR user_id = $2)");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_i64(st, 2, user);
    souk_stmt_bind_i64(st, 3, souk_time_now_us());
    int r = souk_stmt_exec(st);
    return r < 0 ? r : souk_store_changes(db) > 0;
}
