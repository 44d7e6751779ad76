/* html.c — the escaping writer (html.h). */
#include "web/html.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/banned.h"

/* length of the valid UTF-8 sequence at S (N bytes left), or 0 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t k;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf)
        k = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        k = 2, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 3, cp = c & 0x07;
    else
        return 0;
    if (k >= n)
        return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((s[j] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[j] & 0x3f);
    }
    if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k + 1;
}

void souk_html_textn(souk_buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* bytes of P[i - run, i) to copy as they are */
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        const char *rep = NULL;
        size_t adv = 1;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if (c >= 0x80) {
                adv = utf8_seq(p + i, len - i);
                if (!adv) {
                    rep = "\xef\xbf\xbd";
                    adv = 1;
                }
            } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
                rep = c == '\r' ? "" : " ";
            }
        }
        if (rep) {
            souk_buf_add(b, p + i - run, run);
            souk_buf_adds(b, rep);
            run = 0;
        } else {
            run += adv;
        }
        i += adv;
    }
    souk_buf_add(b, p + len - run, run);
}

void souk_html_text(souk_buf *b, const char *s)
{
    if (s)
        souk_html_textn(b, s, strlen(s));
}

void souk_html_int(souk_buf *b, int64_t v)
{
    souk_buf_printf(b, "%lld", (long long)v);
}

int souk_html_url_ok(const char *url)
{
    if (!url || !url[0])
        return 0;
    const char *rest;
    if (url[0] == '/')
        rest = url[1] == '/' ? NULL : url;
    else if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        rest = url + 7;
    else
        rest = NULL;
    if (!rest || (rest != url && (rest[0] == '/' || !rest[0])))
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '\\' || *p == '"' || *p == '\'' || *p == '<' || *p == '>' || *p == '`')
            return 0;
    return strlen(url) <= 2048;
}

void souk_html_url(souk_buf *b, const char *url, const char *fallback)
{
    souk_html_text(b, souk_html_url_ok(url) ? url : fallback);
}

void souk_html_query_value(souk_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~')
            souk_buf_addc(b, (char)c);
        else if (c == ' ')
            souk_buf_addc(b, '+');
        else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            souk_buf_add(b, e, 3);
        }
    }
}

int souk_html_json(souk_buf *b, const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!s)
        return -1;
    size_t run = 0, i = 0;
    for (; s[i]; i++) {
        const char *rep = s[i] == '<' ? "\\u003c" : s[i] == '>' ? "\\u003e" : s[i] == '&' ? "\\u0026" : NULL;
        if (rep) {
            souk_buf_add(b, s + i - run, run);
            souk_buf_adds(b, rep);
            run = 0;
        } else {
            run++;
        }
    }
    souk_buf_add(b, s + i - run, run);
    free(s);
    return 0;
}

void souk_html_money(souk_buf *b, int64_t amount, const char *currency)
{
    char text[64];
    souk_money m = {.amount = amount};
    size_t cl = currency ? strnlen(currency, sizeof m.currency - 1) : 0;
    memcpy(m.currency, currency ? currency : "", cl);
    m.currency[cl] = '\0';
    if (souk_money_format(&m, text, sizeof text) < 0)
        snprintf(text, sizeof text, "%lld", (long long)amount);
    souk_html_text(b, m.currency);
    souk_buf_addc(b, ' ');
    souk_html_text(b, text);
}

void souk_html_money_json(souk_buf *b, const json_t *money)
{
    if (!json_is_object(money))
        return;
    souk_html_money(b, json_integer_value(json_object_get(money, "amount")),
                    json_string_value(json_object_get(money, "currency")));
}
