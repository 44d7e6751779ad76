/* live.c — markers for fast-changing values in slow-changing documents (see live.h). */
#include "core/live.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

/* In the serialized document a marker reads "\u0001<secret>:<kind><key>\u0001",
 * quotes included: jansson escapes U+0001 as \u0001. */
#define ESC "\\u0001"
#define SECRET_LEN 16

static souk_live_resolver resolvers[26];
static char secret[SECRET_LEN + 1];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_secret(void)
{
    unsigned char raw[SECRET_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(secret, sizeof secret, raw, sizeof raw);
}

int souk_live_register(char kind, souk_live_resolver resolver)
{
    if (kind < 'a' || kind > 'z')
        return -1;
    pthread_once(&once, make_secret);
    resolvers[kind - 'a'] = resolver;
    return 0;
}

json_t *souk_live_marker(char kind, int64_t key)
{
    pthread_once(&once, make_secret);
    char text[64];
    snprintf(text, sizeof text, "\001%s:%c%lld\001", secret, kind, (long long)key);
    return json_string(text);
}

int souk_live_marker_write(souk_buf *out, char kind, int64_t key)
{
    pthread_once(&once, make_secret);
    char text[96], digits[24];
    size_t n = 0, nd = 0;
    uint64_t v = key < 0 ? 0 - (uint64_t)key : (uint64_t)key;
    do
        digits[nd++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    memcpy(text, "\"" ESC, sizeof ESC); /* the quote and the escape, without the NUL */
    n += sizeof ESC;
    memcpy(text + n, secret, SECRET_LEN);
    n += SECRET_LEN;
    text[n++] = ':';
    text[n++] = kind;
    if (key < 0)
        text[n++] = '-';
    while (nd)
        text[n++] = digits[--nd];
    memcpy(text + n, ESC "\"", sizeof ESC); /* the escape and the quote */
    n += sizeof ESC;
    return souk_buf_add(out, text, n);
}

int souk_live_fill(const char *body, size_t len, souk_buf *out, void *ctx)
{
    pthread_once(&once, make_secret);
    char open[32];
    int ol = snprintf(open, sizeof open, "\"" ESC "%s:", secret);
    int n = 0;
    const char *p = body, *end = body + len;
    for (;;) {
        const char *m = memmem(p, (size_t)(end - p), open, (size_t)ol);
        if (!m) {
            souk_buf_add(out, p, (size_t)(end - p));
            break;
        }
        souk_buf_add(out, p, (size_t)(m - p));
        const char *q = m + ol; /* <kind><key>\u0001" */
        char kind = q < end ? *q++ : 0;
        long long key = 0;
        bool digits = false;
        while (q < end && *q >= '0' && *q <= '9') {
            key = key * 10 + (*q++ - '0');
            digits = true;
        }
        size_t tail = sizeof ESC; /* the escape and the closing quote */
        if (!digits || (size_t)(end - q) < tail || memcmp(q, ESC "\"", tail) != 0) {
            souk_buf_add(out, m, (size_t)ol); /* not a marker after all */
            p = m + ol;
            continue;
        }
        char value[64];
        souk_live_resolver r = kind >= 'a' && kind <= 'z' ? resolvers[kind - 'a'] : NULL;
        int vl = r ? r(ctx, key, value, sizeof value) : -1;
        if (vl < 0 || (size_t)vl >= sizeof value)
            souk_buf_adds(out, "null");
        else
            souk_buf_add(out, value, (size_t)vl);
        n++;
        p = q + tail;
    }
    return souk_buf_failed(out) ? -1 : n;
}
