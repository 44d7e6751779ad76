/*
 * html.c — a product's Body (HTML) to the plain text the catalog stores
 * (the storefront and the API show descriptions as text, escaped), and back
 * for the export. Not an HTML parser: a tag is '<' up to the next '>', which
 * is all a description needs; nothing of the markup survives, so nothing
 * the file says can reach a page as markup.
 */
#include "exchange/internal.h"

#include <string.h>

#include "core/banned.h"

typedef struct text_out {
    souk_buf *b;
    bool space;   /* white space seen since the last character of the line */
    bool newline; /* a line break is due before the next character */
    size_t start; /* where this text starts in B */
} text_out;

static void put_utf8(text_out *o, uint32_t cp)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp < 0x20 && cp != '\t' && cp != '\n') ||
        (cp >= 0x7f && cp < 0xa0))
        cp = cp == '\r' || cp == '\n' || cp == '\t' ? ' ' : 0xFFFD;
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == 0xA0) {
        o->space = true;
        return;
    }
    if (o->b->len > o->start) {
        if (o->newline)
            souk_buf_addc(o->b, '\n');
        else if (o->space)
            souk_buf_addc(o->b, ' ');
    }
    o->space = o->newline = false;
    char u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F)),
        n = 3;
    else
        u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    souk_buf_add(o->b, u, n);
}

/* one UTF-8 character at S (LEN bytes left) into *CP; its length (U+FFFD, 1 for a bad byte) */
static size_t get_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 1) {
        *cp = c;
        return 1;
    }
    if (n == 0 || n > len) {
        *cp = 0xFFFD;
        return 1;
    }
    uint32_t v = c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    *cp = v < least[n] ? 0xFFFD : v;
    return n;
}

/* the tag name at S (after '<' and an optional '/'), lower-cased into NAME (16 bytes) */
static void tag_name(const char *s, size_t len, char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < 15; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            break;
        name[n++] = c;
    }
    name[n] = '\0';
}

static bool is_block(const char *name)
{
    static const char *const blocks[] = {"p",  "div", "br", "li",    "ul",         "ol",  "h1", "h2",      "h3", "h4",
                                         "h5", "h6",  "tr", "table", "blockquote", "pre", "hr", "section", NULL};
    for (size_t i = 0; blocks[i]; i++)
        if (strcmp(name, blocks[i]) == 0)
            return true;
    return false;
}

/* an entity at S ('&' … ';', at most 12 bytes): its code point and length, or 0 */
static size_t entity(const char *s, size_t len, uint32_t *cp)
{
    size_t end = 1;
    while (end < len && end < 12 && s[end] != ';' && s[end] != '&' && s[end] != '<')
        end++;
    if (end >= len || s[end] != ';')
        return 0;
    const char *e = s + 1;
    size_t n = end - 1;
    if (n >= 2 && e[0] == '#') {
        uint32_t v = 0;
        bool hex = e[1] == 'x' || e[1] == 'X';
        size_t i = hex ? 2 : 1;
        if (i >= n)
            return 0;
        for (; i < n; i++) {
            char c = e[i];
            int d = c >= '0' && c <= '9'          ? c - '0'
                    : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                  : -1;
            if (d < 0)
                return 0;
            v = v * (hex ? 16 : 10) + (uint32_t)d;
            if (v > 0x10FFFF)
                v = 0x110000;
        }
        *cp = v;
        return end + 1;
    }
    static const struct {
        const char *name;
        uint32_t cp;
    } named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strlen(named[i].name) == n && memcmp(named[i].name, e, n) == 0) {
            *cp = named[i].cp;
            return end + 1;
        }
    return 0;
}

int souk__xc_html_to_text(const char *html, size_t len, souk_buf *out)
{
    size_t start = out->len;
    text_out o = {out, false, false, start};
    size_t i = 0;
    while (i < len) {
        char c = html[i];
        if (c == '<') {
            const char *close = memchr(html + i, '>', len - i);
            if (!close) { /* no tag after all: the rest is text */
                put_utf8(&o, '<');
                i++;
                continue;
            }
            bool end_tag = i + 1 < len && html[i + 1] == '/';
            char name[16];
            size_t from = i + 1 + (end_tag ? 1 : 0);
            tag_name(html + from, len - from, name);
            i = (size_t)(close - html) + 1;
            if (!end_tag && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0)) {
                /* skip to the matching end tag (or the end) */
                const char *want = name[1] == 'c' ? "</script" : "</style";
                size_t wl = strlen(want);
                while (i < len) {
                    if (html[i] == '<' && len - i >= wl) {
                        char t[16];
                        tag_name(html + i + 2, len - i - 2, t);
                        if (html[i + 1] == '/' && strcmp(t, name) == 0)
                            break;
                    }
                    i++;
                }
                continue;
            }
            if (is_block(name) && out->len > start)
                o.newline = true;
            continue;
        }
        uint32_t cp;
        if (c == '&') {
            size_t n = entity(html + i, len - i, &cp);
            if (n) {
                put_utf8(&o, cp);
                i += n;
                continue;
            }
        }
        if (c == '\n' || c == '\r' || c == '\t') {
            o.space = true;
            i++;
            continue;
        }
        i += get_utf8((const unsigned char *)html + i, len - i, &cp);
        put_utf8(&o, cp);
    }
    return souk_buf_failed(out) ? -1 : 0;
}

int souk__xc_text_to_html(const char *text, souk_buf *out)
{
    const char *s = text;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        souk_buf_adds(out, "<p>");
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            if (c == '&')
                souk_buf_adds(out, "&amp;");
            else if (c == '<')
                souk_buf_adds(out, "&lt;");
            else if (c == '>')
                souk_buf_adds(out, "&gt;");
            else
                souk_buf_addc(out, c);
        }
        souk_buf_adds(out, "</p>");
        s += n;
        if (*s == '\n')
            s++;
    }
    return souk_buf_failed(out) ? -1 : 0;
}
