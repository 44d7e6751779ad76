/*
 * locale.c — language tags, Accept-Language and the choice of a locale.
 *
 * Design note: the store's locales are a short list (at most 16) and a
 * request's header a short list of ranges (at most 32 looked at), so the
 * lookup is a plain double loop over fixed arrays: no allocation, no
 * recursion, bounded work for any header (the parser only looks at the first
 * SOUK_I18N_HEADER_MAX bytes). Matching is RFC 4647 "lookup" (§3.4), the
 * scheme meant for picking one language for a document: the range as sent,
 * then with its last subtag removed, and so on; the wildcard and no match give
 * the default. A malformed element is skipped rather than refused — browsers
 * send odd headers and a shop must still answer.
 */
#include "i18n/i18n.h"

#include <ctype.h>
#include <string.h>

#include "core/banned.h"

static bool all(const char *s, size_t n, int (*pred)(int))
{
    for (size_t i = 0; i < n; i++)
        if (!pred((unsigned char)s[i]))
            return false;
    return true;
}

int souk_i18n_tag_canon(const char *s, size_t len, char out[SOUK_I18N_TAG_MAX])
{
    if (!s || len == 0 || len >= SOUK_I18N_TAG_MAX)
        return -1;
    size_t at = 0, part = 0, k = 0;
    bool had_script = false, had_region = false;
    while (at <= len) {
        size_t end = at;
        while (end < len && s[end] != '-')
            end++;
        size_t n = end - at;
        const char *p = s + at;
        if (part == 0) {
            if (n < 2 || n > 3 || !all(p, n, isalpha))
                return -1;
            for (size_t i = 0; i < n; i++)
                out[k++] = (char)tolower((unsigned char)p[i]);
        } else if (n == 4 && !had_script && !had_region && all(p, n, isalpha)) {
            had_script = true;
            out[k++] = '-';
            out[k++] = (char)toupper((unsigned char)p[0]);
            for (size_t i = 1; i < n; i++)
                out[k++] = (char)tolower((unsigned char)p[i]);
        } else if (!had_region && ((n == 2 && all(p, n, isalpha)) || (n == 3 && all(p, n, isdigit)))) {
            had_region = true;
            out[k++] = '-';
            for (size_t i = 0; i < n; i++)
                out[k++] = (char)toupper((unsigned char)p[i]);
        } else {
            return -1;
        }
        part++;
        at = end + 1;
    }
    out[k] = '\0';
    return 0;
}

/* A language range (RFC 4647 §2.1): "*" or 1*8ALPHA *("-" 1*8alphanum). */
static bool range_ok(const char *s, size_t n)
{
    if (n == 1 && s[0] == '*')
        return true;
    size_t run = 0, part = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '-') {
            if (run == 0 || run > 8)
                return false;
            run = 0;
            part++;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        if (!(isalpha(c) || (part > 0 && isdigit(c))))
            return false;
        run++;
    }
    return true;
}

/* A qvalue (RFC 9110 §12.4.2): "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")], in
 * thousandths into *Q. */
static bool qvalue(const char *s, size_t n, int *q)
{
    if (n == 0 || n > 5 || (s[0] != '0' && s[0] != '1') || (n > 1 && s[1] != '.'))
        return false;
    int v = (s[0] - '0') * 1000, scale = 100;
    for (size_t i = 2; i < n; i++) {
        if (!isdigit((unsigned char)s[i]) || (s[0] == '1' && s[i] != '0'))
            return false;
        v += (s[i] - '0') * scale;
        scale /= 10;
    }
    *q = v;
    return true;
}

static bool ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims optional white space around S[*AT..*END). */
static void trim(const char *s, size_t *at, size_t *end)
{
    while (*at < *end && ows(s[*at]))
        (*at)++;
    while (*end > *at && ows(s[*end - 1]))
        (*end)--;
}

/* One element "range *( OWS ; OWS q=qvalue )" of S[at..end) into *R. */
static bool element(const char *s, size_t at, size_t end, souk_i18n_range *r)
{
    size_t semi = at;
    while (semi < end && s[semi] != ';')
        semi++;
    size_t ra = at, re = semi;
    trim(s, &ra, &re);
    if (re - ra > SOUK_I18N_RANGE_MAX || !range_ok(s + ra, re - ra))
        return false;
    int q = 1000;
    bool had_q = false;
    while (semi < end) { /* parameters: only q is defined; anything else makes the element invalid */
        size_t pa = semi + 1, pe = pa;
        while (pe < end && s[pe] != ';')
            pe++;
        size_t a = pa, e = pe;
        trim(s, &a, &e);
        if (had_q || e - a < 2 || (s[a] != 'q' && s[a] != 'Q') || s[a + 1] != '=' || !qvalue(s + a + 2, e - a - 2, &q))
            return false;
        had_q = true;
        semi = pe;
    }
    for (size_t i = 0; i < re - ra; i++)
        r->tag[i] = (char)tolower((unsigned char)s[ra + i]);
    r->tag[re - ra] = '\0';
    r->q = q;
    return true;
}

size_t souk_i18n_accept_parse(const char *value, size_t len, souk_i18n_range *out, size_t max)
{
    if (!value || !out)
        return 0;
    if (len > SOUK_I18N_HEADER_MAX)
        len = SOUK_I18N_HEADER_MAX;
    if (max > SOUK_I18N_RANGES_MAX)
        max = SOUK_I18N_RANGES_MAX;
    size_t n = 0, at = 0;
    while (at < len && n < max) {
        size_t end = at;
        while (end < len && value[end] != ',')
            end++;
        souk_i18n_range r;
        if (element(value, at, end, &r) && r.q > 0) {
            /* insertion by quality, stable: after every range of an equal or higher one */
            size_t i = n;
            while (i > 0 && out[i - 1].q < r.q) {
                out[i] = out[i - 1];
                i--;
            }
            out[i] = r;
            n++;
        }
        at = end + 1;
    }
    return n;
}

int souk_i18n_lookup_range(const souk_i18n_locales *L, const char *range, size_t len)
{
    if (!L || !range || (len == 1 && range[0] == '*'))
        return -1;
    while (len > 0) {
        for (size_t i = 0; i < L->n; i++)
            if (strlen(L->tags[i]) == len && strncasecmp(L->tags[i], range, len) == 0)
                return (int)i;
        size_t cut = len;
        while (cut > 0 && range[cut - 1] != '-')
            cut--;
        if (cut == 0)
            break;
        len = cut - 1; /* drop the last subtag and its '-' */
        if (len >= 2 && range[len - 2] == '-')
            len -= 2; /* a single-character subtag (an extension's singleton) goes with it */
    }
    return -1;
}

int souk_i18n_negotiate(const souk_i18n_locales *L, const char *accept, size_t len)
{
    souk_i18n_range r[SOUK_I18N_RANGES_MAX];
    size_t n = accept ? souk_i18n_accept_parse(accept, len, r, SOUK_I18N_RANGES_MAX) : 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].tag, "*") == 0)
            return 0;
        int k = souk_i18n_lookup_range(L, r[i].tag, strlen(r[i].tag));
        if (k >= 0)
            return k;
    }
    return 0;
}
