/*
 * synonyms.c — the synonym table: rules parsed into (from, to) term pairs,
 * sorted by from, so that a look-up is one binary search.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/query.h"
#include "core/grow.h"
#include "core/banned.h"

#define RULES_MAX 10000
#define ENTRIES_MAX 64

typedef struct {
    const char *from, *to;
} pair;

struct souk_search_synonyms {
    pair *pairs;
    size_t n, cap;
    char *blob; /* the terms */
    size_t blob_len, blob_cap;
};

void souk_search_synonyms_free(souk_search_synonyms *s)
{
    if (!s)
        return;
    free(s->pairs);
    free(s->blob);
    free(s);
}

static int by_pair(const void *x, const void *y)
{
    const pair *a = x, *b = y;
    int c = strcmp(a->from, b->from);
    return c ? c : strcmp(a->to, b->to);
}

/* Analyses one entry to its single term, stored at offset *OFF of the blob. */
static int entry_term(souk_search_synonyms *s, souk_search_text *t, const char *e, size_t len, size_t *off)
{
    long n = souk_search_text_analyse(t, e, len, 0, 0);
    if (n < 0)
        return -2;
    const souk_search_token *tok = NULL;
    for (long i = 0; i < n; i++) {
        if (!(t->toks[i].flags & SOUK_SEARCH_TOKF_QUERY))
            continue;
        if (tok && t->toks[i].chunk != tok->chunk)
            return -1; /* several words */
        if (!tok)
            tok = &t->toks[i];
    }
    if (!tok)
        return -1;
    if (s->blob_len + tok->len + 1 > s->blob_cap) {
        size_t cap = s->blob_cap ? s->blob_cap * 2 : 4096;
        char *b = realloc(s->blob, cap);
        if (!b)
            return -2;
        s->blob = b;
        s->blob_cap = cap;
    }
    *off = s->blob_len;
    memcpy(s->blob + s->blob_len, tok->text, tok->len + 1u);
    s->blob_len += tok->len + 1u;
    return 0;
}

static int add_pair(souk_search_synonyms *s, size_t from, size_t to)
{
    if (from == to)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        pair *p = realloc(s->pairs, cap * sizeof *p);
        if (!p)
            return -2;
        s->pairs = p;
        s->cap = cap;
    }
    /* offsets now, pointers once the blob stops moving */
    s->pairs[s->n++] = (pair){(const char *)(uintptr_t)from, (const char *)(uintptr_t)to};
    return 0;
}

/* Parses one rule (LEN bytes at LINE). */
static int parse_rule(souk_search_synonyms *s, souk_search_text *t, const char *line, size_t len, char *err,
                      size_t errlen, size_t lineno)
{
    const char *arrow = NULL;
    for (size_t i = 0; i + 1 < len; i++)
        if (line[i] == '=' && line[i + 1] == '>') {
            arrow = line + i;
            break;
        }
    size_t left[ENTRIES_MAX], right[ENTRIES_MAX], nl = 0, nr = 0;
    const char *p = line, *end = line + len;
    bool rhs = false;
    while (p <= end) {
        const char *q = p;
        while (q < end && *q != ',' && q != arrow)
            q++;
        const char *a = p, *b = q;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        if (a == b) {
            snprintf(err, errlen, "line %zu: an empty entry", lineno);
            return -1;
        }
        if ((rhs ? nr : nl) == ENTRIES_MAX) {
            snprintf(err, errlen, "line %zu: more than %d entries", lineno, ENTRIES_MAX);
            return -1;
        }
        size_t off;
        int rc = entry_term(s, t, a, (size_t)(b - a), &off);
        if (rc == -1) {
            snprintf(err, errlen, "line %zu: '%.*s' is not one word", lineno, (int)(b - a), a);
            return -1;
        }
        if (rc < 0)
            return rc;
        if (rhs)
            right[nr++] = off;
        else
            left[nl++] = off;
        if (q == arrow) {
            rhs = true;
            p = q + 2;
            continue;
        }
        p = q + 1;
    }
    if (arrow) {
        for (size_t i = 0; i < nl; i++)
            for (size_t j = 0; j < nr; j++)
                if (add_pair(s, left[i], right[j]) < 0)
                    return -2;
    } else {
        for (size_t i = 0; i < nl; i++)
            for (size_t j = 0; j < nl; j++)
                if (i != j && add_pair(s, left[i], left[j]) < 0)
                    return -2;
    }
    return 0;
}

int souk_search_synonyms_parse(souk_search_synonyms **out, const char *text, size_t len, souk_search_text *t, char *err,
                               size_t errlen)
{
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    souk_search_synonyms *s = calloc(1, sizeof *s);
    if (!s)
        return -2;
    size_t lineno = 0, rules = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        lineno++;
        const char *line = text + i;
        size_t l = j - i;
        size_t k = 0;
        while (k < l && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
            k++;
        if (k < l && line[k] != '#') {
            if (++rules > RULES_MAX) {
                snprintf(err, errlen, "line %zu: more than %d rules", lineno, RULES_MAX);
                souk_search_synonyms_free(s);
                return -1;
            }
            int rc = parse_rule(s, t, line + k, l - k, err, errlen, lineno);
            if (rc < 0) {
                souk_search_synonyms_free(s);
                return rc;
            }
        }
        i = j + 1;
    }
    for (size_t i = 0; i < s->n; i++) {
        s->pairs[i].from = s->blob + (uintptr_t)s->pairs[i].from;
        s->pairs[i].to = s->blob + (uintptr_t)s->pairs[i].to;
    }
    souk_sort(s->pairs, s->n, sizeof *s->pairs, by_pair);
    /* drop repeated pairs and pairs of one term with itself */
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->pairs[i].from, s->pairs[i].to) == 0)
            continue;
        if (w && by_pair(&s->pairs[w - 1], &s->pairs[i]) == 0)
            continue;
        s->pairs[w++] = s->pairs[i];
    }
    s->n = w;
    *out = s;
    return 0;
}

size_t souk_search_synonyms_lookup(const souk_search_synonyms *s, const char *term, const char **out, size_t max)
{
    if (!s)
        return 0;
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(s->pairs[mid].from, term) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    for (size_t i = lo; i < s->n && n < max && strcmp(s->pairs[i].from, term) == 0; i++)
        out[n++] = s->pairs[i].to;
    return n;
}
