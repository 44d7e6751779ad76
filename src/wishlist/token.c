/*
 * token.c — the unsubscribe link of wishlist alerts and the opt-outs.
 *
 * The token is "u<user id>.<MAC>": the MAC is BLAKE2b-128 keyed with a
 * 32-byte key kept in wishlist_keys (made once, on first use, by whichever
 * node gets there first: every node signs and checks with the same key). It
 * needs no row per mail, never expires (an old mail's link still works, as
 * the law expects of an unsubscribe link) and says nothing but which account.
 */
#include "wishlist/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/banned.h"

#define MAC_LEN 16

static void mac_of(const unsigned char key[32], int64_t user, unsigned char mac[MAC_LEN])
{
    char msg[64];
    int n = snprintf(msg, sizeof msg, "wishlist-unsub:%lld", (long long)user);
    crypto_generichash(mac, MAC_LEN, (const unsigned char *)msg, (size_t)n, key, 32);
}

void souk_wishlist_token_sign(const unsigned char key[32], int64_t user, char out[SOUK_WISHLIST_UNSUB_MAX])
{
    unsigned char mac[MAC_LEN];
    mac_of(key, user, mac);
    char b64[32];
    sodium_bin2base64(b64, sizeof b64, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, SOUK_WISHLIST_UNSUB_MAX, "u%lld.%s", (long long)user, b64);
}

int64_t souk_wishlist_token_verify(const unsigned char key[32], const char *token)
{
    size_t len = token ? strlen(token) : 0;
    if (len < 4 || len >= SOUK_WISHLIST_UNSUB_MAX || token[0] != 'u' || token[1] < '1' || token[1] > '9')
        return 0;
    int64_t user = 0;
    const char *p = token + 1;
    for (int digits = 0; *p >= '0' && *p <= '9'; digits++, p++) {
        if (digits == 18)
            return 0; /* ids are below 10^18 */
        user = user * 10 + (*p - '0');
    }
    if (*p != '.')
        return 0;
    /* the one spelling of USER's token, compared whole in constant time */
    char want[SOUK_WISHLIST_UNSUB_MAX];
    souk_wishlist_token_sign(key, user, want);
    if (strlen(want) != len)
        return 0;
    return sodium_memcmp(want, token, len) == 0 ? user : 0;
}

/* The signing key into KEY, made when there is none. 0 or an error class. */
static int key_get(souk_store *db, unsigned char key[32])
{
    return souk_store_secret(db, "wishlist_keys", key);
}

souk_err souk_wishlist_unsub_token(souk_store *db, int64_t user, char out[SOUK_WISHLIST_UNSUB_MAX])
{
    unsigned char key[32];
    int r = key_get(db, key);
    if (r < 0)
        return souk_store_dberr(r);
    souk_wishlist_token_sign(key, user, out);
    sodium_memzero(key, sizeof key);
    return SOUK_OK;
}

souk_err souk_wishlist_alerts_set_tx(souk_store *db, int64_t user, bool on)
{
    int r = on ? souk_store_exec(db, "DELETE FROM wishlist_optouts WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user)))
               : souk_store_exec(db,
                                 "INSERT INTO wishlist_optouts (user_id, created_at) VALUES ($1, $2) "
                                 "ON CONFLICT (user_id) DO NOTHING",
                                 SOUK_ARGS(SOUK_I64(user), SOUK_I64(souk_time_now_us())));
    return souk_store_dberr(r);
}

souk_err souk_wishlist_unsubscribe_tx(souk_store *db, const char *token, int64_t *user)
{
    unsigned char key[32];
    int r = key_get(db, key);
    if (r < 0)
        return souk_store_dberr(r);
    int64_t who = souk_wishlist_token_verify(key, token);
    sodium_memzero(key, sizeof key);
    if (!who)
        return SOUK_E_NOT_FOUND;
    int64_t exists = 0;
    r = souk_store_one(db, "SELECT user_id FROM wishlist_customers WHERE user_id = $1", SOUK_ARGS(SOUK_I64(who)),
                       SOUK_COLS(SOUK_COL_I64(&exists)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE)
        return SOUK_E_NOT_FOUND;
    if (user)
        *user = who;
    return souk_wishlist_alerts_set_tx(db, who, false);
}
