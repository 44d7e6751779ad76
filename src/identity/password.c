/*
 * password.c — Argon2id password hashes (libsodium crypto_pwhash_str) and
 * the password rules. The cost comes from the configuration and is never
 * below OWASP's minimum for Argon2id (19 MiB, 2 iterations); a hash made
 * with other parameters is replaced at the next successful login.
 */
#include "identity/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "core/banned.h"

static souk_identity_config config = {
    .argon2_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE, /* 2 */
    .argon2_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE, /* 64 MiB */
    .admin_require_2fa = false,
};

const souk_identity_config *souk_identity_config_get(void)
{
    return &config;
}

/* true when V starts with a digit: strtoull also takes blanks and a sign,
 * and wraps a negative number around ("-18446744073709551596" reads 20) */
static bool digits(const char *v)
{
    return *v >= '0' && *v <= '9';
}

int souk_identity_configure(char *err, size_t errlen)
{
    const char *v;
    char *end;
    if ((v = getenv("SOUK_ARGON2_OPSLIMIT"))) {
        unsigned long long n = strtoull(v, &end, 10);
        if (!digits(v) || *end || n < 2 || n > 20) {
            snprintf(err, errlen, "SOUK_ARGON2_OPSLIMIT must be 2-20 (OWASP minimum is 2), got '%s'", v);
            return -1;
        }
        config.argon2_opslimit = n;
    }
    if ((v = getenv("SOUK_ARGON2_MEMLIMIT_MB"))) {
        unsigned long long n = strtoull(v, &end, 10);
        if (!digits(v) || *end || n < 19 || n > 4096) {
            snprintf(err, errlen, "SOUK_ARGON2_MEMLIMIT_MB must be 19-4096 (OWASP minimum is 19 MiB), got '%s'", v);
            return -1;
        }
        config.argon2_memlimit = (size_t)n << 20;
    }
    if ((v = getenv("SOUK_ADMIN_REQUIRE_2FA")))
        config.admin_require_2fa = strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0 || strcasecmp(v, "true") == 0;
    return 0;
}

int souk__identity_password_hash(const char *password, char *out)
{
    return crypto_pwhash_str(out, password, strlen(password), config.argon2_opslimit, config.argon2_memlimit) == 0 ? 0
                                                                                                                   : -1;
}

int souk__identity_password_verify(const char *hash, const char *password)
{
    if (!hash || !*hash)
        return 0;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool souk__identity_password_needs_rehash(const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, config.argon2_opslimit, config.argon2_memlimit) != 0;
}

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    if (souk__identity_password_hash("souk-dummy-password", dummy_hash) < 0)
        dummy_hash[0] = '\0';
}

void souk__identity_password_dummy(const char *password)
{
    pthread_once(&dummy_once, make_dummy);
    if (dummy_hash[0]) {
        volatile int ignored = crypto_pwhash_str_verify(dummy_hash, password, strlen(password));
        (void)ignored;
    }
}

const char *souk__identity_password_rules(const char *password, const char *email)
{
    size_t len = strlen(password), chars = souk_utf8_len(password, len);
    if (chars < SOUK_PASSWORD_MIN)
        return "must be at least 10 characters";
    if (chars > SOUK_PASSWORD_MAX)
        return "must be at most 128 characters";
    if (email && *email) {
        if (strcasecmp(password, email) == 0)
            return "must not be your e-mail address";
        const char *at = strchr(email, '@');
        size_t local = at ? (size_t)(at - email) : strlen(email);
        if (local >= 4 && len == local && strncasecmp(password, email, local) == 0)
            return "must not be the name part of your e-mail address";
    }
    return NULL;
}
