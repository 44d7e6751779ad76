/* query.c — see query.h. */
#include "core/query.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

int souk_query_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t extra;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            cp = c & 0x07;
        } else
            return false;
        if (extra >= n - i)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += extra + 1;
    }
    return true;
}

/* decodes S[0..n) into a fresh arena string; NULL on bad input */
static char *decode(const char *s, size_t n, size_t *out_len, souk_arena *a, const char **err)
{
    char *out = souk_arena_alloc(a, n + 1);
    if (!out) {
        *err = "query string too large";
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < n ? souk_query_hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < n ? souk_query_hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *err = "bad percent-encoding in the query string";
                return NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') {
            *err = "NUL byte in the query string";
            return NULL;
        }
        out[j++] = c;
    }
    out[j] = '\0';
    if (!utf8_valid((const unsigned char *)out, j)) {
        *err = "the query string is not valid UTF-8";
        return NULL;
    }
    *out_len = j;
    return out;
}

int souk_query_parse(souk_query *q, const char *raw, size_t len, souk_arena *a, const char **err)
{
    q->count = 0;
    if (len > SOUK_QUERY_MAX_LEN) {
        *err = "query string too long";
        return -1;
    }
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && raw[end] != '&')
            end++;
        if (end > i) {
            if (q->count >= SOUK_QUERY_MAX_PARAMS) {
                *err = "too many query parameters";
                return -1;
            }
            const char *eq = memchr(raw + i, '=', end - i);
            size_t klen = eq ? (size_t)(eq - (raw + i)) : end - i;
            size_t dummy, vlen = 0;
            char *k = decode(raw + i, klen, &dummy, a, err);
            if (!k)
                return -1;
            char *v = eq ? decode(eq + 1, (size_t)(raw + end - eq - 1), &vlen, a, err) : souk_arena_strdup(a, "");
            if (!v)
                return -1;
            q->items[q->count++] = (souk_query_param){k, v, vlen};
        }
        i = end + 1;
    }
    return 0;
}

const char *souk_query_get(const souk_query *q, const char *key)
{
    for (size_t i = 0; i < q->count; i++)
        if (strcmp(q->items[i].key, key) == 0)
            return q->items[i].value;
    return NULL;
}

int souk_query_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!*s || strlen(s) > 20)
        return -1;
    for (const char *p = s; *p; p++)
        if ((*p < '0' || *p > '9') && !(p == s && *p == '-' && p[1]))
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}
