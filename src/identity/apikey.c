/* apikey.c — see apikey.h. Keys carry 256 random bits, so a fast
 * cryptographic hash (not a password hash) is the right way to store them. */
#include "identity/apikey.h"

#include <sodium.h>
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

int souk_apikey_create(souk_store *db, const char *scopes, char *key)
{
    unsigned char secret[32];
    randombytes_buf(secret, sizeof secret);
    memcpy(key, "sk_", 3);
    sodium_bin2base64(key + 3, SOUK_APIKEY_LEN - 3 + 1, secret, sizeof secret,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char hex[65];
    hash_key(key, strlen(key), hex);
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO api_keys (id, prefix, hash, scopes, created_at) "
                                        "VALUES ($1, $2, $3, $4, $5)");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, souk_id_next());
    souk_stmt_bind_text(st, 2, key, 7);
    souk_stmt_bind_text(st, 3, hex, 64);
    souk_stmt_bind_text(st, 4, scopes, SIZE_MAX);
    souk_stmt_bind_i64(st, 5, souk_time_now_us());
    int r = souk_stmt_exec(st);
    return r < 0 ? r : 0;
}

int souk_apikey_verify(souk_store *db, const char *key, size_t len, int64_t *id, char *scopes, size_t scopes_len)
{
    if (len != SOUK_APIKEY_LEN || memcmp(key, "sk_", 3) != 0)
        return 0;
    char hex[65];
    hash_key(key, len, hex);
    souk_stmt *st = souk_store_stmt(db, "SELECT id, scopes FROM api_keys WHERE hash = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_text(st, 1, hex, 64);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r;
    *id = souk_stmt_i64(st, 0);
    size_t n;
    const char *s = souk_stmt_text(st, 1, &n);
    if (n >= scopes_len)
        n = scopes_len - 1;
    memcpy(scopes, s ? s : "", n);
    scopes[n] = '\0';
    souk_stmt_done(st);
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
