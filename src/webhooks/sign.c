/*
 * sign.c — webhook secrets and signatures as the Standard Webhooks
 * specification defines them: a secret is "whsec_" and the base64 of the
 * key; a signature is "v1," and the base64 of HMAC-SHA256(key,
 * "<webhook-id>.<webhook-timestamp>.<body>"). libsodium does the random
 * bytes, the HMAC and the base64.
 */
#include "webhooks/webhooks.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

#define PREFIX "whsec_"
#define KEY_MAX 64 /* bytes of a decoded key we accept */

void souk_webhooks_secret_new(char out[SOUK_WEBHOOKS_SECRET_MAX])
{
    unsigned char key[SOUK_WEBHOOKS_SECRET_BYTES];
    randombytes_buf(key, sizeof key);
    memcpy(out, PREFIX, sizeof PREFIX - 1);
    sodium_bin2base64(out + sizeof PREFIX - 1, SOUK_WEBHOOKS_SECRET_MAX - (sizeof PREFIX - 1), key, sizeof key,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(key, sizeof key);
}

int souk_webhooks_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body, size_t len,
                       char out[SOUK_WEBHOOKS_SIGNATURE_MAX])
{
    if (!secret || !msg_id || (!body && len))
        return -1;
    if (strncmp(secret, PREFIX, sizeof PREFIX - 1) == 0)
        secret += sizeof PREFIX - 1;
    unsigned char key[KEY_MAX];
    size_t klen = 0;
    if (sodium_base642bin(key, sizeof key, secret, strlen(secret), NULL, &klen, NULL, sodium_base64_VARIANT_ORIGINAL) !=
            0 ||
        klen == 0)
        return -1;
    char ts[24];
    int tl = snprintf(ts, sizeof ts, ".%lld.", (long long)timestamp);
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg_id, strlen(msg_id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)tl);
    if (len)
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(key, sizeof key);
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, SOUK_WEBHOOKS_SIGNATURE_MAX - 3, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

int souk_webhooks_signature_header(const char *secret, const char *previous, const char *msg_id, int64_t timestamp,
                                   const char *body, size_t len, char out[2 * SOUK_WEBHOOKS_SIGNATURE_MAX])
{
    if (souk_webhooks_sign(secret, msg_id, timestamp, body, len, out) != 0)
        return -1;
    if (!previous)
        return 0;
    size_t n = strlen(out);
    out[n] = ' ';
    return souk_webhooks_sign(previous, msg_id, timestamp, body, len, out + n + 1);
}
