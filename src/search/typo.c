/*
 * typo.c — the typo rules: how many edits a word may have, and the
 * optimal-string-alignment distance, by code point.
 */
#include <stdbool.h>
#include <string.h>
#include <utf8proc.h>

#include "search/internal.h"
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

/* Decodes valid UTF-8 S (LEN bytes) into at most MAX code points, with the
 * byte offset after each in END; returns how many. */
static int decode_ends(const char *s, size_t len, int32_t *cp, uint32_t *end, int max)
{
    int n = 0;
    for (size_t i = 0; i < len && n < max;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t l;
        if ((unsigned char)s[i] < 0x80)
            c = (unsigned char)s[i], l = 1;
        else if ((l = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &c)) <= 0)
            c = (unsigned char)s[i], l = 1;
        i += (size_t)l;
        cp[n] = c;
        end[n++] = (uint32_t)i;
    }
    return n;
}

void souk__search_typo_walk(const souk__search_strs *words, const char *q, size_t qlen, int k,
                            void (*fn)(uint32_t word, int dist, void *ctx), void *ctx)
{
    enum { D = SOUK_SEARCH_TOKEN_MAX };
    int32_t qc[D], wc[D], nc[D];
    uint32_t nend[D];
    if (qlen > D || k < 1)
        return;
    int m = decode(q, qlen, qc);
    static _Thread_local int rows[D + 1][D + 1];
    for (int j = 0; j <= m; j++)
        rows[0][j] = j;
    int valid = 0; /* rows[0..valid] hold the prefix wc[0..valid) */
    for (uint32_t i = 0; i < words->n;) {
        size_t l;
        const char *w = souk__search_str(words, i, &l);
        int nw = decode_ends(w, l, nc, nend, D);
        int lcp = 0;
        while (lcp < valid && lcp < nw && wc[lcp] == nc[lcp])
            lcp++;
        memcpy(wc + lcp, nc + lcp, sizeof *wc * (size_t)(nw - lcp));
        int d = lcp + 1;
        bool pruned = false;
        for (; d <= nw; d++) {
            int *cur = rows[d], *prev = rows[d - 1];
            cur[0] = d;
            int best = d;
            for (int j = 1; j <= m; j++) {
                int v = prev[j - 1] + (wc[d - 1] != qc[j - 1]);
                if (prev[j] + 1 < v)
                    v = prev[j] + 1;
                if (cur[j - 1] + 1 < v)
                    v = cur[j - 1] + 1;
                if (d > 1 && j > 1 && wc[d - 1] == qc[j - 2] && wc[d - 2] == qc[j - 1] && rows[d - 2][j - 2] + 1 < v)
                    v = rows[d - 2][j - 2] + 1;
                cur[j] = v;
                if (v < best)
                    best = v;
            }
            if (best > k) {
                /* no word with this prefix comes within K: skip past all of them
                 * (0xFF never occurs in UTF-8, so prefix + 0xFF is above each) */
                char key[D + 1];
                memcpy(key, w, nend[d - 1]);
                key[nend[d - 1]] = (char)0xFF;
                uint32_t next = souk__search_strs_lower(words, key, nend[d - 1] + 1);
                valid = d;
                i = next > i ? next : i + 1;
                pruned = true;
                break;
            }
        }
        if (pruned)
            continue;
        valid = nw;
        if (rows[nw][m] <= k)
            fn(i, rows[nw][m], ctx);
        i++;
    }
}
