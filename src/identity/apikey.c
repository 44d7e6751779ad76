/* apikey.c — see apikey.h. Keys carry 256 random bits, so a fast
 * cryptographic hash (not a password hash) is the right way to store them. */
#include "identity/apikey.h"

#include <sodium.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "store/row.h"
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
    int64_t kid = souk_id_next();
    int r = souk_store_exec(db,
                            "INSERT INTO api_keys (id, prefix, hash, scopes, created_at, user_id, name, expires_at) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                            SOUK_ARGS(SOUK_I64(kid), SOUK_TEXTN(key, 7), SOUK_TEXT(hex), SOUK_TEXT(scopes),
                                      SOUK_I64(souk_time_now_us()), SOUK_REF(user), SOUK_TEXT(name ? name : ""),
                                      expires_us ? SOUK_I64(expires_us) : SOUK_NULL));
    if (r >= 0 && id)
        *id = kid;
    return r < 0 ? r : 0;
}

/* Records a key's use (ARG: its id and the time). */
static int note_use_tx(souk_store *db, void *arg)
{
    const int64_t *use = arg;
    return souk_store_exec(db, "UPDATE api_keys SET last_used_at = $2 WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(use[0]), SOUK_I64(use[1])));
}

int souk_apikey_verify(souk_store *db, const char *key, size_t len, souk_apikey_info *info)
{
    if (len != SOUK_APIKEY_LEN || memcmp(key, "sk_", 3) != 0)
        return 0;
    char hex[65];
    hash_key(key, len, hex);
    int64_t now = souk_time_now_us(), last = 0;
    /* NULL user_id, last_used_at and expires_at read as 0 */
    int r = souk_store_one(db,
                           "SELECT id, user_id, scopes, last_used_at, expires_at FROM api_keys "
                           "WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
                           SOUK_ARGS(SOUK_TEXT(hex), SOUK_I64(now)),
                           SOUK_COLS(SOUK_COL_I64(&info->id), SOUK_COL_I64(&info->user_id), SOUK_COL_STR(info->scopes),
                                     SOUK_COL_I64(&last), SOUK_COL_I64(&info->expires_us)));
    if (r != SOUK_DB_ROW)
        return r;
    if (now - last > 60 * INT64_C(1000000)) { /* best effort, and never waited for: a loop thread is here */
        int64_t use[2] = {info->id, now};
        souk_store_tx_later(db, note_use_tx, use, sizeof use);
    }
    return 1;
}

int64_t souk_apikey_count(souk_store *db)
{
    int64_t n = 0;
    return souk_store_one(db, "SELECT count(*) FROM api_keys", NULL, SOUK_COLS(SOUK_COL_I64(&n))) == SOUK_DB_ROW ? n
                                                                                                                 : -1;
}

static json_t *row_json(souk_stmt *st)
{
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
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", souk_row_id(st, 0, "key"), "name", souk_row_text(st, 1),
                     "prefix", souk_row_text(st, 2), "scopes", scopes, "created_at", souk_row_time(st, 4),
                     "last_used_at", souk_row_time(st, 5), "expires_at", souk_row_time(st, 6), "revoked_at",
                     souk_row_time(st, 7));
}

#define KEY_COLS "id, name, prefix, scopes, created_at, last_used_at, expires_at, revoked_at"

json_t *souk_apikey_list_json(souk_store *db, int64_t user)
{
    souk_stmt *st =
        souk_store_query(db, "SELECT " KEY_COLS " FROM api_keys WHERE user_id = $1 ORDER BY id DESC LIMIT 500",
                         SOUK_ARGS(SOUK_I64(user)));
    json_t *arr = json_array();
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW)
        json_array_append_new(arr, row_json(st));
    if (r < 0) {
        json_decref(arr);
        return NULL;
    }
    return json_pack("{s:o}", "data", arr);
}

json_t *souk_apikey_json(souk_store *db, int64_t user, int64_t id)
{
    souk_stmt *st = souk_store_query(db, "SELECT " KEY_COLS " FROM api_keys WHERE id = $1 AND user_id = $2",
                                     SOUK_ARGS(SOUK_I64(id), SOUK_I64(user)));
    if (souk_stmt_step(st) != SOUK_DB_ROW)
        return NULL;
    json_t *j = row_json(st);
    souk_stmt_done(st);
    return j;
}

int souk_apikey_revoke(souk_store *db, int64_t user, int64_t id)
{
    int64_t n = souk_store_update(db,
                                  "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $3) "
                                  "WHERE id = $1 AND ($2 = 0 OR user_id = $2)",
                                  SOUK_ARGS(SOUK_I64(id), SOUK_I64(user), SOUK_I64(souk_time_now_us())));
    return n < 0 ? (int)n : n > 0;
}
