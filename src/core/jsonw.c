/*
 * jsonw.c — JSON written straight into a buffer, byte for byte as jansson's
 * json_dumps(…, JSON_COMPACT) would write the same values (see jsonw.h).
 */
#include "core/jsonw.h"

#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

#define INVALID_UTF8 "(invalid UTF-8)"

/* strict UTF-8, as jansson checks it (see internal.h) */
bool souk_jw_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* plain ASCII, eight bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF)
            n = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3, cp = c & 0x07;
        else
            return false;
        if (len - i - 1 < n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            unsigned cc = s[i + k];
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += n + 1;
    }
    return true;
}

/* What the short-text fast path copies as it is, by byte, as a digit:
 * 1 = plain for AS_JANSSON (printable ASCII but the quote and the backslash),
 * 2 = plain for HTML_SAFE too (not '<', '>', '&'); 0 = neither. A table,
 * because this runs for every byte of every string of a page. */
static const char plain_bytes[257] = "0000000000000000000000000000000033033313333333333333333333331313"
                                     "3333333333333333333333333333033333333333333333333333333333333330"
                                     "0000000000000000000000000000000000000000000000000000000000000000"
                                     "0000000000000000000000000000000000000000000000000000000000000000";

static inline bool plain_byte(unsigned char c, unsigned mask)
{
    return ((unsigned)(plain_bytes[c] - '0') & mask) != 0;
}

/* S as jansson writes a string: the quote, the backslash and control bytes
 * escaped (\b \f \n \r \t, else \u00XX in upper-case hex), the rest as is */
static void put_jansson_string(souk_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    souk_buf_addc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        char e[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default: e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15]; n = 6;
        }
        souk_buf_add(b, s + run, i - run);
        souk_buf_add(b, e, n);
        run = i + 1;
    }
    souk_buf_add(b, s + run, len - run);
    souk_buf_addc(b, '"');
}

#define SHORT_TEXT 256

void souk_jw_text(souk_buf *b, const char *s, size_t len, souk_jw_esc esc)
{
    if (!s)
        s = "", len = 0;
    /* the common case, short plain ASCII, in one append */
    if (len <= SHORT_TEXT) {
        char quoted[SHORT_TEXT + 2];
        unsigned mask = esc == SOUK_JW_HTML_SAFE ? 2 : 1;
        size_t i = 0;
        while (i < len && plain_byte((unsigned char)s[i], mask))
            i++;
        if (i == len) {
            quoted[0] = '"';
            memcpy(quoted + 1, s, len);
            quoted[len + 1] = '"';
            souk_buf_add(b, quoted, len + 2);
            return;
        }
    }
    if (!souk_jw_utf8_valid((const unsigned char *)s, len))
        s = INVALID_UTF8, len = sizeof INVALID_UTF8 - 1;
    if (esc == SOUK_JW_HTML_SAFE)
        souk_buf_add_json_string(b, s, len);
    else
        put_jansson_string(b, s, len);
}

void souk_jw_str(souk_buf *b, const char *s, souk_jw_esc esc)
{
    souk_jw_text(b, s, s ? strlen(s) : 0, esc);
}

void souk_jw_int(souk_buf *b, int64_t v)
{
    char digits[24], *end = digits + sizeof digits, *p = end;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    souk_buf_add(b, p, (size_t)(end - p));
}

void souk_jw_int_or_null(souk_buf *b, int64_t v, bool is_null)
{
    if (is_null)
        SOUK_JW_LIT(b, "null");
    else
        souk_jw_int(b, v);
}

void souk_jw_id(souk_buf *b, const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX + 2];
    buf[0] = '"';
    size_t n = strlen(souk_id_format(prefix, id, buf + 1));
    buf[n + 1] = '"';
    souk_buf_add(b, buf, n + 2);
}

void souk_jw_time(souk_buf *b, int64_t us)
{
    char buf[SOUK_RFC3339_LEN + 1];
    buf[0] = '"';
    souk_time_format(us, buf + 1);
    buf[SOUK_RFC3339_LEN] = '"'; /* over the NUL */
    souk_buf_add(b, buf, SOUK_RFC3339_LEN + 1);
}
