/* cursor.c — see cursor.h. */
#include "core/cursor.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/query.h"
#include "core/banned.h"

#define VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

char *souk_cursor_encode(const char *tag, int64_t key, char out[SOUK_CURSOR_TEXT_MAX])
{
    char raw[40];
    int n = snprintf(raw, sizeof raw, "%.8s|%" PRId64, tag, key);
    sodium_bin2base64(out, SOUK_CURSOR_TEXT_MAX, (const unsigned char *)raw, (size_t)n, VARIANT);
    return out;
}

int souk_cursor_decode(const char *tag, const char *text, size_t len, int64_t *key)
{
    if (len == 0 || len >= SOUK_CURSOR_TEXT_MAX)
        return -1;
    unsigned char raw[SOUK_CURSOR_TEXT_MAX];
    size_t n;
    if (sodium_base642bin(raw, sizeof raw - 1, text, len, NULL, &n, NULL, VARIANT) != 0)
        return -1;
    raw[n] = '\0';
    size_t tl = strlen(tag);
    if (memchr(raw, '\0', n) || n < tl + 2 || memcmp(raw, tag, tl) != 0 || raw[tl] != '|')
        return -1;
    return souk_query_int((const char *)raw + tl + 1, 1, INT64_MAX, key);
}
