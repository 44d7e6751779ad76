/*
 * typo.c — the typo rules: how many edits a word may have, and the
 * optimal-string-alignment distance, by code point.
 */
#include <string.h>
#include <utf8proc.h>

#include "search/query.h"
#include "core/banned.h"

int souk_search_typo_budget(size_t chars)
{
    return chars >= 9 ? 2 : chars >= 5 ? 1 : 0;
}

/* Decodes S into CP (at most SOUK_SEARCH_TOKEN_MAX code points); -1 when invalid. */
static int decode(const char *s, size_t len, int32_t *cp)
{
    int n = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &c);
        if (l <= 0)
            c = (unsigned char)s[i], l = 1; /* a stray byte counts as one character */
        cp[n++] = c;
        i += (size_t)l;
    }
    return n;
}

int souk_search_edit_distance(const char *a, size_t alen, const char *b, size_t blen, int max)
{
    if (alen > SOUK_SEARCH_TOKEN_MAX || blen > SOUK_SEARCH_TOKEN_MAX || max < 0)
        return max + 1;
    int32_t x[SOUK_SEARCH_TOKEN_MAX], y[SOUK_SEARCH_TOKEN_MAX];
    int n = decode(a, alen, x), m = decode(b, blen, y);
    if (n - m > max || m - n > max)
        return max + 1;
    /* three rows of the dynamic programme: i - 2, i - 1, i */
    int rows[3][SOUK_SEARCH_TOKEN_MAX + 1];
    int *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (int j = 0; j <= m; j++)
        prev[j] = j;
    for (int i = 1; i <= n; i++) {
        cur[0] = i;
        int best = cur[0];
        for (int j = 1; j <= m; j++) {
            int cost = x[i - 1] != y[j - 1];
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1; /* adjacent transposition */
            cur[j] = v;
            if (v < best)
                best = v;
        }
        if (best > max)
            return max + 1; /* every later row is at least this */
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[m] > max ? max + 1 : prev[m];
}
