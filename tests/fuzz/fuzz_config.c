/*
 * libFuzzer driver for configuration read from the environment: the SOUK_*
 * variables of souk_config_load (src/core/config.c), the password-hashing
 * and 2FA settings (souk_identity_configure, src/identity/password.c), the
 * webhook retry schedule (souk__webhooks_schedule_parse,
 * src/webhooks/config.c) and the mail sender (souk__mail_parse_from,
 * souk_mail_config_check, src/mail/config.c).
 *
 * The first byte picks one variable, the rest is its value (a C string: a
 * NUL ends it). Every other SOUK_* variable is unset. For each the oracle
 * here decides whether the value is acceptable, and the parser must agree:
 * - integers (threads, body and cache sizes, rate limits, thread counts,
 *   timeouts, switches): what strtol reads in full (blanks and a sign may
 *   lead), within the variable's range; the field then holds that number
 *   (the cache in MiB: bytes = n << 20). The Argon2 costs take digits only.
 * - SOUK_LISTEN: HOST:PORT split at the last ':', host 1..63 bytes, port
 *   0..65535; HOST:PORT printed back parses to the same.
 * - SOUK_DB 1..1023 bytes, SOUK_REDIS up to 511, kept byte for byte;
 *   SOUK_LOG_LEVEL one of four words; SOUK_CURRENCY three capitals.
 * - SOUK_CORS_ORIGINS: comma-separated, blanks around items dropped, empty
 *   items skipped, at most 16 of < 256 bytes; each one is then allowed, and
 *   the list joined again reads the same.
 * - SOUK_PUBLIC_URL: http(s)://host[:port] of [A-Za-z0-9.:[]-], < 256 bytes.
 * - the retry schedule: up to 20 delays of 0..30 days; accepted lists print
 *   back ("%.17g", commas) and parse to the same values; a refusal leaves
 *   the output untouched.
 * - the sender: accepted only without control bytes, at most 512 bytes,
 *   with the address inside the value (between its '<' and a final '>').
 * A refused variable always comes with a message.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/log.h"
#include "identity/identity.h"
#include "mail/internal.h"
#include "mail/mail.h"
#include "webhooks/webhooks.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

extern char **environ;

typedef enum kind {
    K_INT,
    K_LISTEN,
    K_DB,
    K_REDIS,
    K_LEVEL,
    K_CURRENCY,
    K_CORS,
    K_URL,
    K_ARGON,
    K_2FA,
    K_SCHEDULE,
    K_FROM
} kind;

static const struct var {
    const char *name;
    kind k;
    long min, max;
    size_t offset; /* of an int field of souk_config, or SIZE_MAX */
} vars[] = {
    {"SOUK_THREADS", K_INT, 1, 256, offsetof(souk_config, threads)},
    {"SOUK_MAX_BODY", K_INT, 64, 64L << 20, SIZE_MAX},
    {"SOUK_CACHE_MB", K_INT, 0, 65536, SIZE_MAX},
    {"SOUK_RATE_LIMIT_USER", K_INT, 0, 1000000, offsetof(souk_config, rate_user)},
    {"SOUK_RATE_LIMIT_IP", K_INT, 0, 1000000, offsetof(souk_config, rate_ip)},
    {"SOUK_RATE_LIMIT_AUTH", K_INT, 0, 1000000, offsetof(souk_config, rate_auth)},
    {"SOUK_BLOCKING_THREADS", K_INT, 1, 64, offsetof(souk_config, blocking_threads)},
    {"SOUK_GROUP_COMMIT", K_INT, 0, 1, offsetof(souk_config, group_commit)},
    {"SOUK_TRUST_PROXY", K_INT, 0, 1, offsetof(souk_config, trust_proxy)},
    {"SOUK_NETWORK_THREADS", K_INT, 1, 256, offsetof(souk_config, network_threads)},
    {"SOUK_REDIS_TIMEOUT_MS", K_INT, 1, 10000, offsetof(souk_config, redis_timeout_ms)},
    {"SOUK_WATCH_MS", K_INT, 100, 10000, offsetof(souk_config, watch_ms)},
    {"SOUK_LISTEN", K_LISTEN, 0, 0, 0},
    {"SOUK_DB", K_DB, 0, 0, 0},
    {"SOUK_REDIS", K_REDIS, 0, 0, 0},
    {"SOUK_LOG_LEVEL", K_LEVEL, 0, 0, 0},
    {"SOUK_CURRENCY", K_CURRENCY, 0, 0, 0},
    {"SOUK_CORS_ORIGINS", K_CORS, 0, 0, 0},
    {"SOUK_PUBLIC_URL", K_URL, 0, 0, 0},
    {"SOUK_ARGON2_OPSLIMIT", K_ARGON, 2, 20, 0},
    {"SOUK_ARGON2_MEMLIMIT_MB", K_ARGON, 19, 4096, 1},
    {"SOUK_ADMIN_REQUIRE_2FA", K_2FA, 0, 0, 0},
    {"SOUK_WEBHOOKS_RETRY_SCHEDULE", K_SCHEDULE, 0, 0, 0},
    {"SOUK_MAIL_FROM", K_FROM, 0, 0, 0},
};
#define NVARS (sizeof vars / sizeof vars[0])

static void clear_env(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    souk_log_set_level(SOUK_LOG_ERROR);
    for (;;) {
        char name[256] = "";
        for (char **e = environ; e && *e; e++)
            if (strncmp(*e, "SOUK_", 5) == 0) {
                size_t n = strcspn(*e, "=");
                snprintf(name, sizeof name, "%.*s", (int)n, *e);
                break;
            }
        if (!name[0])
            break;
        unsetenv(name);
    }
}

/* what strtol reads in full, within [MIN, MAX] */
static bool int_ok(const char *s, long min, long max, long *out)
{
    const char *p = s;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (*p < '0' || *p > '9')
        return false;
    long long v = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        if ((v = v * 10 + (*p - '0')) > (1LL << 40))
            return false;
    if (*p)
        return false;
    if (neg)
        v = -v;
    if (v < min || v > max)
        return false;
    *out = (long)v;
    return true;
}

static bool digits_ok(const char *s, long min, long max, long *out)
{
    if (*s < '0' || *s > '9')
        return false;
    return int_ok(s, min, max, out);
}

static void check_listen(const char *v, int r, const souk_config *c)
{
    const char *colon = strrchr(v, ':');
    long port;
    bool want =
        colon && colon != v && (size_t)(colon - v) < sizeof c->listen_host && int_ok(colon + 1, 0, 65535, &port);
    CHECK((r == 0) == want);
    if (!want)
        return;
    CHECK(strlen(c->listen_host) == (size_t)(colon - v) && memcmp(c->listen_host, v, (size_t)(colon - v)) == 0);
    CHECK(c->listen_port == port);
    char again[128], err[300];
    snprintf(again, sizeof again, "%s:%d", c->listen_host, c->listen_port);
    souk_config d;
    CHECK(souk_config_set_listen(&d, again, err, sizeof err) == 0);
    CHECK(strcmp(d.listen_host, c->listen_host) == 0 && d.listen_port == c->listen_port);
}

typedef struct origins {
    char items[SOUK_CORS_MAX + 1][256];
    size_t n;
    bool ok;
} origins;

static void cors_oracle(const char *v, origins *o)
{
    o->n = 0;
    o->ok = true;
    for (const char *p = v;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *s = p;
        while (n && *s == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        if (n) {
            if (o->n == SOUK_CORS_MAX || n >= 256) {
                o->ok = false;
                return;
            }
            memcpy(o->items[o->n], s, n);
            o->items[o->n++][n] = '\0';
        }
        if (!comma)
            return;
        p = comma + 1;
    }
}

static void check_cors(const char *v, int r, const souk_config *c)
{
    static origins o;
    cors_oracle(v, &o);
    CHECK((r == 0) == o.ok);
    if (!o.ok)
        return;
    CHECK(c->cors_count == o.n);
    static char joined[SOUK_CORS_MAX * 260];
    size_t off = 0;
    joined[0] = '\0';
    for (size_t i = 0; i < o.n; i++) {
        CHECK(strcmp(c->cors_origins[i], o.items[i]) == 0);
        CHECK(souk_config_origin_allowed(c, o.items[i], strlen(o.items[i])));
        off += (size_t)snprintf(joined + off, sizeof joined - off, "%s%s", i ? "," : "", o.items[i]);
    }
    static origins back;
    cors_oracle(joined, &back);
    CHECK(back.ok && back.n == o.n);
    for (size_t i = 0; i < o.n; i++)
        CHECK(strcmp(back.items[i], o.items[i]) == 0);
}

static bool url_ok(const char *v)
{
    const char *host = strncmp(v, "https://", 8) == 0 ? v + 8 : strncmp(v, "http://", 7) == 0 ? v + 7 : NULL;
    if (!host || !*host || strlen(v) >= 256)
        return false;
    for (const char *p = host; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr(".-:[]", *p)))
            return false;
    return true;
}

static void check_core(const struct var *x, const char *v)
{
    static souk_config c;
    char err[600] = "";
    int r = souk_config_load(&c, err, sizeof err);
    CHECK(r == 0 || r == -1);
    if (r < 0)
        CHECK(err[0]);
    long n = 0;
    switch (x->k) {
    case K_INT: {
        bool want = int_ok(v, x->min, x->max, &n);
        CHECK((r == 0) == want);
        if (!want)
            break;
        if (x->offset != SIZE_MAX)
            CHECK(*(const int *)((const char *)&c + x->offset) == n);
        else if (strcmp(x->name, "SOUK_MAX_BODY") == 0)
            CHECK(c.max_body == (size_t)n);
        else
            CHECK(c.cache_bytes == (size_t)n << 20);
        break;
    }
    case K_LISTEN: check_listen(v, r, &c); break;
    case K_DB:
        CHECK((r == 0) == (strlen(v) >= 1 && strlen(v) <= 1023));
        if (r == 0)
            CHECK(strcmp(c.db_dsn, v) == 0);
        break;
    case K_REDIS:
        CHECK((r == 0) == (strlen(v) <= 511));
        if (r == 0)
            CHECK(strcmp(c.redis, v) == 0);
        break;
    case K_LEVEL: {
        static const char *const words[] = {"debug", "info", "warn", "error"};
        int want = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(v, words[i]) == 0)
                want = i;
        CHECK((r == 0) == (want >= 0));
        if (r == 0)
            CHECK(c.log_level == want);
        break;
    }
    case K_CURRENCY:
        if (r == 0)
            CHECK(strlen(v) == 3 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z' && v[2] >= 'A' &&
                  v[2] <= 'Z' && strcmp(c.currency, v) == 0);
        break;
    case K_CORS: check_cors(v, r, &c); break;
    case K_URL:
        CHECK((r == 0) == url_ok(v));
        if (r == 0)
            CHECK(strcmp(c.public_url, v) == 0);
        break;
    default: CHECK(0);
    }
}

static void check_identity(const struct var *x, const char *v)
{
    souk_identity_config before = *souk_identity_config_get();
    char err[600] = "";
    int r = souk_identity_configure(err, sizeof err);
    const souk_identity_config *now = souk_identity_config_get();
    if (x->k == K_2FA) {
        CHECK(r == 0);
        CHECK(now->admin_require_2fa ==
              (strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0 || strcasecmp(v, "true") == 0));
        return;
    }
    long n = 0;
    bool want = digits_ok(v, x->min, x->max, &n);
    CHECK((r == 0) == want);
    if (!want) {
        CHECK(err[0] && now->argon2_opslimit == before.argon2_opslimit &&
              now->argon2_memlimit == before.argon2_memlimit);
        return;
    }
    if (x->offset == 0)
        CHECK(now->argon2_opslimit == (unsigned long long)n);
    else
        CHECK(now->argon2_memlimit == (size_t)n << 20);
}

static void check_schedule(const char *v)
{
    double out[SOUK_WEBHOOKS_SCHEDULE_MAX];
    for (size_t i = 0; i < SOUK_WEBHOOKS_SCHEDULE_MAX; i++)
        out[i] = -7;
    size_t n = 12345;
    int r = souk__webhooks_schedule_parse(v, out, &n);
    CHECK(r == 0 || r == -1);
    if (r < 0) {
        CHECK(n == 12345);
        for (size_t i = 0; i < SOUK_WEBHOOKS_SCHEDULE_MAX; i++)
            CHECK(out[i] == -7);
        return;
    }
    CHECK(n <= SOUK_WEBHOOKS_SCHEDULE_MAX);
    char text[SOUK_WEBHOOKS_SCHEDULE_MAX * 32] = "";
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(out[i] >= 0 && out[i] <= 30.0 * 24 * 3600);
        off += (size_t)snprintf(text + off, sizeof text - off, "%s%.17g", i ? "," : "", out[i]);
    }
    double again[SOUK_WEBHOOKS_SCHEDULE_MAX];
    size_t m = 0;
    CHECK(souk__webhooks_schedule_parse(text, again, &m) == 0 && m == n);
    for (size_t i = 0; i < n; i++)
        CHECK(again[i] == out[i]);
}

static void check_from(const char *v)
{
    const char *addr = NULL, *name = NULL;
    size_t al = 0, nl = 0, fl = strlen(v);
    int r = souk__mail_parse_from(v, &addr, &al, &name, &nl);
    souk_mail_config mc;
    souk_mail_config_from_env(&mc);
    const char *why = NULL;
    int rc = souk_mail_config_check(&mc, &why);
    if (!*v) { /* empty: the default sender */
        CHECK(rc == 0);
        return;
    }
    CHECK((rc == 0) == (r == 0));
    if (rc < 0)
        CHECK(why && why[0]);
    if (r < 0)
        return;
    CHECK(fl <= 512);
    for (size_t i = 0; i < fl; i++)
        CHECK((unsigned char)v[i] >= 0x20 && v[i] != 0x7f);
    CHECK(addr >= v && addr + al <= v + fl && name == v && nl <= fl);
    const char *lt = strchr(v, '<');
    if (lt)
        CHECK(addr == lt + 1 && addr[al] == '>' && addr[al + 1] == '\0' && nl <= (size_t)(lt - v));
    else
        CHECK(addr == v && al == fl && nl == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    clear_env();
    const struct var *x = &vars[data[0] % NVARS];
    char *v = malloc(size);
    CHECK(v != NULL);
    memcpy(v, data + 1, size - 1);
    v[size - 1] = '\0';
    /* putenv of a buffer of our own, not setenv: glibc keeps every value
     * setenv was ever given (1.9 GB after ten minutes of this driver) */
    static char env[NVARS][64 + 4096];
    char *e = env[x - vars];
    snprintf(e, sizeof env[0], "%s=%s", x->name, v);
    CHECK(putenv(e) == 0);
    switch (x->k) {
    case K_ARGON:
    case K_2FA: check_identity(x, v); break;
    case K_SCHEDULE: check_schedule(v); break;
    case K_FROM: check_from(v); break;
    default: check_core(x, v); break;
    }
    unsetenv(x->name);
    free(v);
    return 0;
}
