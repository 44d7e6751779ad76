/* form.c — the storefront's form-body parser (form.h states the rules). */
#include "web/form.h"

#include <stdbool.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/banned.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes S[0..LEN) into OUT (at least LEN + 1 bytes); *N gets the length.
 * -1 on a malformed escape. */
static int decode(const char *s, size_t len, char *out, size_t *n)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            out[o++] = ' ';
        } else if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    *n = o;
    return 0;
}

/* Valid UTF-8 (no overlongs, surrogates or values past U+10FFFF) without
 * NUL and C0 controls other than tab, LF and CR, nor DEL. */
static bool text_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7f)
            return false;
    return souk_jw_utf8_valid(s, n); /* the one strict UTF-8 check (core/jsonw.h) */
}

static bool key_ok(const char *s, size_t n)
{
    if (n == 0 || n > SOUK_WEB_FORM_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static int fail(souk_web_form *f, const char **err, const char *why)
{
    f->count = 0;
    *err = why;
    return -1;
}

int souk_web_form_parse(souk_web_form *f, const char *body, size_t len, souk_arena *a, const char **err)
{
    f->count = 0;
    if (len > SOUK_WEB_FORM_MAX_LEN)
        return fail(f, err, "the form is too large");
    if (len && !body)
        return fail(f, err, "the form is missing");
    size_t i = 0;
    while (i < len) {
        const char *pair = body + i;
        const char *amp = memchr(pair, '&', len - i);
        size_t plen = amp ? (size_t)(amp - pair) : len - i;
        i += plen + 1;
        if (plen == 0)
            continue;
        if (f->count == SOUK_WEB_FORM_MAX_FIELDS)
            return fail(f, err, "the form has too many fields");
        const char *eq = memchr(pair, '=', plen);
        size_t klen = eq ? (size_t)(eq - pair) : plen;
        size_t vlen = eq ? plen - klen - 1 : 0;
        char *key = souk_arena_alloc(a, klen + 1), *val = souk_arena_alloc(a, vlen + 1);
        if (!key || !val)
            return fail(f, err, "the form is too large");
        size_t kn, vn;
        if (decode(pair, klen, key, &kn) < 0 || (eq && decode(eq + 1, vlen, val, &vn) < 0))
            return fail(f, err, "the form has a malformed %-escape");
        if (!eq) {
            val[0] = '\0';
            vn = 0;
        }
        if (!key_ok(key, kn))
            return fail(f, err, "the form has a field name that is not [a-z0-9_]{1,32}");
        if (vn > SOUK_WEB_FORM_VALUE_MAX)
            return fail(f, err, "a form field is too long");
        if (!text_ok((const unsigned char *)val, vn))
            return fail(f, err, "a form field is not valid text");
        f->items[f->count++] = (souk_web_field){key, val, vn};
    }
    return 0;
}

const char *souk_web_form_get(const souk_web_form *f, const char *key)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->items[i].key, key) == 0)
            return f->items[i].value;
    return NULL;
}

int souk_web_form_repeated(const souk_web_form *f, const char *key)
{
    int n = 0;
    for (size_t i = 0; i < f->count; i++)
        n += strcmp(f->items[i].key, key) == 0;
    return n > 1;
}
