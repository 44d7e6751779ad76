/*
 * format.c — a message of the outbox as RFC 5322 text for the relay.
 *
 * CRLF line endings everywhere; the body is sent 8bit unless a line exceeds
 * the 998-octet limit of RFC 5322, then quoted-printable; a subject or
 * display name with non-ASCII characters becomes RFC 2047 encoded-words.
 * Lines starting with '.' are dot-stuffed by libcurl itself.
 */
#include "mail/internal.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/id.h"
#include "core/banned.h"

#define LINE_MAX_OCTETS 998 /* RFC 5322 2.1.1 */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void add_base64(souk_buf *out, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        souk_buf_addc(out, b64[v >> 18 & 63]);
        souk_buf_addc(out, b64[v >> 12 & 63]);
        souk_buf_addc(out, i + 1 < n ? b64[v >> 6 & 63] : '=');
        souk_buf_addc(out, i + 2 < n ? b64[v & 63] : '=');
    }
}

/* True when S can go into a header as is: printable ASCII (and TAB), and no
 * "=?" that a reader could take for the start of an encoded-word. */
static int header_plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7F || (c == '=' && i + 1 < n && s[i + 1] == '?'))
            return 0;
    }
    return 1;
}

/* Appends S as header text: plain when possible, else RFC 2047 B encoded-words of at most
 * 45 octets each (60 base64 characters + 12 = 72 ≤ 75), split on UTF-8 boundaries and
 * folded onto continuation lines. */
static void add_header_text(souk_buf *out, const char *s, size_t n)
{
    if (header_plain(s, n)) {
        souk_buf_add(out, s, n);
        return;
    }
    size_t i = 0;
    while (i < n) {
        size_t end = i + 45 < n ? i + 45 : n;
        while (end < n && end > i && ((unsigned char)s[end] & 0xC0) == 0x80)
            end--; /* do not split a character */
        if (end == i)
            end = i + 1;
        if (i)
            souk_buf_adds(out, "\r\n ");
        souk_buf_adds(out, "=?UTF-8?B?");
        add_base64(out, (const unsigned char *)s + i, end - i);
        souk_buf_adds(out, "?=");
        i = end;
    }
}

/* "Thu, 15 Jan 2026 10:30:00 +0000" — by hand, so no locale can change the names. */
static void add_date(souk_buf *out, int64_t us)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        souk_buf_adds(out, "Thu, 01 Jan 1970 00:00:00 +0000");
        return;
    }
    souk_buf_printf(out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
                    months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Length of the line break at S[I] (CRLF, CR or LF), 0 when none. */
static size_t eol_at(const char *s, size_t n, size_t i)
{
    if (s[i] == '\r')
        return i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
    return s[i] == '\n' ? 1 : 0;
}

static size_t longest_line(const char *s, size_t n)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < n;) {
        size_t e = eol_at(s, n, i);
        if (e) {
            cur = 0;
            i += e;
        } else {
            if (++cur > best)
                best = cur;
            i++;
        }
    }
    return best;
}

/* The body as 8bit with CRLF line endings, ending with CRLF. */
static void add_body_8bit(souk_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t e = eol_at(s, n, i), j = i;
        if (e) {
            souk_buf_adds(out, "\r\n");
            i += e;
            continue;
        }
        while (j < n && s[j] != '\r' && s[j] != '\n')
            j++;
        souk_buf_add(out, s + i, j - i);
        i = j;
    }
    if (n && s[n - 1] != '\n' && s[n - 1] != '\r')
        souk_buf_adds(out, "\r\n");
}

/* The body as quoted-printable (RFC 2045 6.7): lines of at most 76 characters with soft
 * breaks, '=' and non-ASCII as =XX, whitespace before a line break encoded. */
static void add_body_qp(souk_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (size_t i = 0; i < n;) {
        size_t e = eol_at(s, n, i);
        if (e) {
            souk_buf_adds(out, "\r\n");
            col = 0;
            i += e;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        bool line_end = i + 1 == n || eol_at(s, n, i + 1);
        char tok[3];
        size_t tl;
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end)) {
            tok[0] = (char)c, tl = 1;
        } else {
            tok[0] = '=', tok[1] = hex[c >> 4], tok[2] = hex[c & 15], tl = 3;
        }
        if (col + tl > 75) {
            souk_buf_adds(out, "=\r\n");
            col = 0;
        }
        souk_buf_add(out, tok, tl);
        col += tl;
        i++;
    }
    if (n && s[n - 1] != '\n' && s[n - 1] != '\r')
        souk_buf_adds(out, "\r\n");
}

int souk__mail_format(souk_buf *out, const souk__mail_row *row, const char *from, int64_t now_us)
{
    const char *addr, *name;
    size_t alen, nlen;
    if (souk__mail_parse_from(from, &addr, &alen, &name, &nlen) < 0)
        return -1;
    const char *at = memchr(addr, '@', alen);
    char idbuf[SOUK_ID_TEXT_MAX];
    size_t blen = strlen(row->body);
    bool qp = longest_line(row->body, blen) > LINE_MAX_OCTETS;

    souk_buf_reset(out);
    souk_buf_adds(out, "Date: ");
    add_date(out, now_us);
    souk_buf_adds(out, "\r\nFrom: ");
    if (nlen) {
        add_header_text(out, name, nlen);
        souk_buf_adds(out, " ");
    }
    souk_buf_addc(out, '<');
    souk_buf_add(out, addr, alen);
    souk_buf_printf(out, ">\r\nTo: <%s>\r\nSubject: ", row->to);
    add_header_text(out, row->subject, strlen(row->subject));
    souk_buf_printf(out, "\r\nMessage-ID: <%s@", souk_id_format(SOUK_PREFIX_MAIL, row->id, idbuf));
    souk_buf_add(out, at + 1, alen - (size_t)(at + 1 - addr));
    souk_buf_adds(out, ">\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n");
    souk_buf_adds(out, qp ? "Content-Transfer-Encoding: quoted-printable\r\n" : "Content-Transfer-Encoding: 8bit\r\n");
    souk_buf_adds(out, "Auto-Submitted: auto-generated\r\n\r\n");
    if (qp)
        add_body_qp(out, row->body, blen);
    else
        add_body_8bit(out, row->body, blen);
    return souk_buf_failed(out) ? -1 : 0;
}
