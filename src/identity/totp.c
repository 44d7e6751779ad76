/*
 * totp.c — optional two-factor sign-in with time-based one-time passwords
 * (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, ±1 step accepted, each
 * time step at most once per account) via liboath, and single-use recovery codes stored as hashes.
 *
 * Guessing: a wrong code sent with the right password is counted on the
 * account's row (users.totp_failures, from totp_failures_since); the fifth
 * within 15 minutes locks the account's TOTP checks for an hour
 * (totp_locked_until) and mails the owner, whose password is evidently
 * known. With one chance in about 330,000 per guess (3 codes of a million
 * accepted), that leaves an attacker some 120 guesses a day, whatever the
 * number of processes or restarts, where the general sign-in throttle
 * (per process, in memory) alone allows 480 per process. Recovery codes are
 * not locked: they cannot be guessed, and they are the owner's way in.
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
#include "mail/mail.h"
#include "core/banned.h"

#define SECRET_BYTES 20
#define GUESS_WINDOW_US (INT64_C(15) * 60 * 1000000)
#define GUESS_LIMIT 5
#define LOCK_US (INT64_C(3600) * 1000000)

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
    time_t now = (time_t)(souk_time_now_us() / 1000000); /* the souk clock: tests may move it */
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
    int64_t n = souk_store_update_tx(db,
                                     "UPDATE users SET totp_last_step = $2, totp_failures = 0 "
                                     "WHERE id = $1 AND totp_last_step < $2",
                                     SOUK_ARGS(SOUK_I64(user), SOUK_I64(step)));
    return n < 0 ? -1 : n == 1;
}

typedef struct failure_ctx {
    int64_t user, now, until;
    const char *email;
    bool locked;
} failure_ctx;

/* counts one wrong code; the one that reaches the limit locks and mails the owner */
static int failure_tx(souk_store *db, void *arg)
{
    failure_ctx *c = arg;
    c->locked = false;
    int64_t failures = 0;
    int r =
        souk_store_one(db,
                       "UPDATE users SET "
                       "totp_failures = CASE WHEN totp_failures_since > $2 THEN totp_failures + 1 ELSE 1 END, "
                       "totp_failures_since = CASE WHEN totp_failures_since > $2 THEN totp_failures_since ELSE $3 END "
                       "WHERE id = $1 RETURNING totp_failures",
                       SOUK_ARGS(SOUK_I64(c->user), SOUK_I64(c->now - GUESS_WINDOW_US), SOUK_I64(c->now)),
                       SOUK_COLS(SOUK_COL_I64(&failures)));
    if (r != SOUK_DB_ROW || failures < GUESS_LIMIT)
        return r < 0 ? r : 0;
    c->until = c->now + LOCK_US;
    r = souk_store_exec(db,
                        "UPDATE users SET totp_failures = 0, totp_failures_since = 0, totp_locked_until = $2 "
                        "WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(c->user), SOUK_I64(c->until)));
    if (r < 0)
        return r;
    c->locked = true;
    char until[SOUK_RFC3339_LEN];
    char body[1024];
    snprintf(body, sizeof body,
             "Someone signed in to your souk account with its password, then entered %d wrong two-factor codes.\n\n"
             "Two-factor sign-in is locked until %s; your recovery codes still work.\n\n"
             "If it was not you, whoever it was knows your password: change it now "
             "(POST /api/v1/users/me/password), which also signs out every session.\n",
             GUESS_LIMIT, souk_time_format(c->until, until));
    static const char subject[] = "Your souk two-factor sign-in is locked";
    if (!c->email || souk_mail_check(c->email, subject, body, NULL) != 0)
        return 0; /* no address to tell (never for an active account): the lock alone */
    r = souk_mail_enqueue_tx(db, c->user, c->email, subject, body);
    return r == -1 ? SOUK_DB_HARD : r; /* checked above: -1 here is not "busy, retry" */
}

int souk__identity_totp_check(souk_store *db, int64_t user, const char *email, const char *secret, const char *code,
                              int64_t *until_us, bool *locked_now)
{
    *locked_now = false;
    int64_t now = souk_time_now_us(), until = 0;
    int r = souk_store_one(db, "SELECT totp_locked_until FROM users WHERE id = $1", SOUK_ARGS(SOUK_I64(user)),
                           SOUK_COLS(SOUK_COL_I64(&until)));
    if (r < 0)
        return -1;
    if (until > now) {
        *until_us = until;
        return 2;
    }
    int ok = souk__identity_totp_use(db, user, secret, code);
    if (ok != 0)
        return ok;
    failure_ctx c = {user, now, 0, email, false};
    if (souk_store_tx(db, failure_tx, &c) < 0)
        return -1;
    if (!c.locked)
        return 0;
    *until_us = c.until;
    *locked_now = true;
    return 2;
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
    int64_t n = souk_store_update_tx(db,
                                     "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND hash = $2 "
                                     "AND used_at IS NULL",
                                     SOUK_ARGS(SOUK_I64(user), SOUK_TEXT(hex), SOUK_I64(souk_time_now_us())));
    return n < 0 ? (int)n : n > 0;
}
