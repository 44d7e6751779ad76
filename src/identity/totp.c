/*
 * totp.c — optional two-factor sign-in with time-based one-time passwords
 * (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, ±1 step accepted, each
 * time step at most once per account) via liboath, and single-use recovery codes stored as hashes.
 */
#include "identity/internal.h"
#include "identity/account.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time.h"
#include "core/banned.h"

#define SECRET_BYTES 20

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init(void)
{
    oath_init();
}

int souk__identity_totp_secret(char *out, size_t outlen)
{
    pthread_once(&once, init);
    char raw[SECRET_BYTES];
    randombytes_buf(raw, sizeof raw);
    char *b32 = NULL;
    size_t n = 0;
    if (oath_base32_encode(raw, sizeof raw, &b32, &n) != OATH_OK || n + 1 > outlen) {
        free(b32);
        return -1;
    }
    /* drop '=' padding: authenticator apps take the bare alphabet */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (b32[i] != '=')
            out[k++] = b32[i];
    out[k] = '\0';
    free(b32);
    sodium_memzero(raw, sizeof raw);
    return 0;
}

/* The RFC 6238 time step CODE belongs to (now ±1 step) for the base32
 * SECRET, or 0 when it is not a current code. */
static int64_t totp_step(const char *secret, const char *code)
{
    pthread_once(&once, init);
    if (!secret || !code || strlen(code) != 6)
        return 0;
    for (const char *p = code; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    char *raw = NULL;
    size_t n = 0;
    if (oath_base32_decode(secret, strlen(secret), &raw, &n) != OATH_OK)
        return 0;
    time_t now = time(NULL);
    int pos = 0;
    int r = oath_totp_validate2(raw, n, now, OATH_TOTP_DEFAULT_TIME_STEP_SIZE, 0, 1, &pos, code);
    sodium_memzero(raw, n);
    free(raw);
    return r >= 0 ? (int64_t)now / OATH_TOTP_DEFAULT_TIME_STEP_SIZE + pos : 0;
}

int souk__identity_totp_use(souk_store *db, int64_t user, const char *secret, const char *code)
{
    int64_t step = totp_step(secret, code);
    if (!step)
        return 0;
    /* one statement: of two requests racing with the same code, one wins */
    int64_t n = souk_store_update_tx(db, "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
                                     SOUK_ARGS(SOUK_I64(user), SOUK_I64(step)));
    return n < 0 ? -1 : n == 1;
}

int souk__identity_totp_code(const char *secret, int64_t time_s, char *out)
{
    pthread_once(&once, init);
    char *raw = NULL;
    size_t n = 0;
    if (oath_base32_decode(secret, strlen(secret), &raw, &n) != OATH_OK)
        return -1;
    int r = oath_totp_generate(raw, n, (time_t)time_s, OATH_TOTP_DEFAULT_TIME_STEP_SIZE, 0, 6, out);
    free(raw);
    return r == OATH_OK ? 0 : -1;
}

int souk__identity_recovery_codes_tx(souk_store *db, int64_t user, char codes[][16], int count)
{
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
    int r = souk_store_exec(db, "DELETE FROM recovery_codes WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user)));
    for (int i = 0; r >= 0 && i < count; i++) {
        for (int j = 0; j < 14; j++)
            codes[i][j] = (j == 4 || j == 9) ? '-' : alphabet[randombytes_uniform(sizeof alphabet - 1)];
        codes[i][14] = '\0';
        char hex[65];
        souk__identity_hash_secret(codes[i], 14, hex);
        r = souk_store_exec(db, "INSERT INTO recovery_codes (user_id, hash) VALUES ($1, $2)",
                            SOUK_ARGS(SOUK_I64(user), SOUK_TEXT(hex)));
    }
    return r;
}

int souk__identity_recovery_use(souk_store *db, int64_t user, const char *code)
{
    char hex[65];
    souk__identity_hash_secret(code, strlen(code), hex);
    int64_t n = souk_store_update_tx(db, "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND hash = $2 "
                                         "AND used_at IS NULL",
                                     SOUK_ARGS(SOUK_I64(user), SOUK_TEXT(hex), SOUK_I64(souk_time_now_us())));
    return n < 0 ? (int)n : n > 0;
}
