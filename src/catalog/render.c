/*
 * render.c — the pieces of the catalog's JSON that the product list and the
 * product detail write straight into a buffer (no jansson tree: on an
 * uncached read, building, dumping and freeing the tree was the largest cost
 * after SQLite). Every piece appends to a souk_buf; a failed append marks the
 * buffer, so a renderer checks souk_buf_failed once at the end.
 *
 * Strings are written as store/row.h reads them into jansson: text that is
 * not valid UTF-8 (a row written by another tool) becomes "(invalid UTF-8)",
 * so a response is always valid JSON. Two escapings, each as its document
 * always had it: the detail as jansson wrote it (AS_JANSSON), the list as
 * souk_buf_add_json_string writes it, '<', '>' and '&' escaped too
 * (HTML_SAFE).
 */
#include "catalog/internal.h"

#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

#define INVALID_UTF8 "(invalid UTF-8)"

/* strict UTF-8, as jansson checks it (see internal.h) */
bool souk__catalog_utf8_valid(const unsigned char *s, size_t len)
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
static const char plain_bytes[257] =
    "0000000000000000000000000000000033033313333333333333333333331313"
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
        default:
            e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
            n = 6;
        }
        souk_buf_add(b, s + run, i - run);
        souk_buf_add(b, e, n);
        run = i + 1;
    }
    souk_buf_add(b, s + run, len - run);
    souk_buf_addc(b, '"');
}

#define SHORT_TEXT 256

void souk__catalog_put_text(souk_buf *b, const char *s, size_t len, souk__catalog_esc esc)
{
    if (!s)
        s = "", len = 0;
    /* the common case, short plain ASCII, in one append */
    if (len <= SHORT_TEXT) {
        char quoted[SHORT_TEXT + 2];
        unsigned mask = esc == SOUK__CATALOG_HTML_SAFE ? 2 : 1;
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
    if (!souk__catalog_utf8_valid((const unsigned char *)s, len))
        s = INVALID_UTF8, len = sizeof INVALID_UTF8 - 1;
    if (esc == SOUK__CATALOG_HTML_SAFE)
        souk_buf_add_json_string(b, s, len);
    else
        put_jansson_string(b, s, len);
}

void souk__catalog_put_str(souk_buf *b, const char *s, souk__catalog_esc esc)
{
    souk__catalog_put_text(b, s, s ? strlen(s) : 0, esc);
}

void souk__catalog_put_int(souk_buf *b, int64_t v)
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

void souk__catalog_put_int_or_null(souk_buf *b, int64_t v, bool is_null)
{
    if (is_null)
        SOUK__CATALOG_LIT(b, "null");
    else
        souk__catalog_put_int(b, v);
}

void souk__catalog_put_id(souk_buf *b, const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX + 2];
    buf[0] = '"';
    size_t n = strlen(souk_id_format(prefix, id, buf + 1));
    buf[n + 1] = '"';
    souk_buf_add(b, buf, n + 2);
}

void souk__catalog_put_time(souk_buf *b, int64_t us)
{
    char buf[SOUK_RFC3339_LEN + 1];
    buf[0] = '"';
    souk_time_format(us, buf + 1);
    buf[SOUK_RFC3339_LEN] = '"'; /* over the NUL */
    souk_buf_add(b, buf, SOUK_RFC3339_LEN + 1);
}

void souk__catalog_put_ref(souk_buf *b, souk_taxon_kind kind, int64_t id, const char *slug, size_t slug_len,
                           const char *name, size_t name_len, souk__catalog_esc esc)
{
    if (!id || !slug) {
        SOUK__CATALOG_LIT(b, "null");
        return;
    }
    SOUK__CATALOG_LIT(b, "{\"id\":");
    souk__catalog_put_id(b, souk__catalog_taxon_prefix(kind), id);
    SOUK__CATALOG_LIT(b, ",\"slug\":");
    souk__catalog_put_text(b, slug, slug_len, esc);
    SOUK__CATALOG_LIT(b, ",\"name\":");
    souk__catalog_put_text(b, name, name_len, esc);
    souk_buf_addc(b, '}');
}

void souk__catalog_put_image(souk_buf *b, souk_stmt *st, int col, souk__catalog_esc esc)
{
    size_t url_len = 0, alt_len = 0;
    const char *url = souk_stmt_text(st, col + 1, &url_len), *alt = souk_stmt_text(st, col + 2, &alt_len);
    SOUK__CATALOG_LIT(b, "{\"id\":");
    souk__catalog_put_id(b, SOUK_PREFIX_IMAGE, souk_stmt_i64(st, col));
    SOUK__CATALOG_LIT(b, ",\"url\":");
    souk__catalog_put_text(b, url, url_len, esc);
    SOUK__CATALOG_LIT(b, ",\"alt\":");
    souk__catalog_put_text(b, alt, alt_len, esc);
    SOUK__CATALOG_LIT(b, ",\"width\":");
    souk__catalog_put_int_or_null(b, souk_stmt_i64(st, col + 3), souk_stmt_is_null(st, col + 3));
    SOUK__CATALOG_LIT(b, ",\"height\":");
    souk__catalog_put_int_or_null(b, souk_stmt_i64(st, col + 4), souk_stmt_is_null(st, col + 4));
    SOUK__CATALOG_LIT(b, ",\"position\":");
    souk__catalog_put_int(b, souk_stmt_i64(st, col + 5));
    souk_buf_addc(b, '}');
}
