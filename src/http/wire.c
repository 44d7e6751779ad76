/* wire.c — see wire.h. */
#include "http/wire.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/query.h"
#include "core/banned.h"

#define HEAD_SCAN_MAX (64u * 1024) /* h2o refuses heads over 8 KiB; this only bounds the scan */

/* One line of BUF from *POS (without its CRLF or LF); false at the end of
 * BUF without a line ending. */
static bool next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *llen)
{
    const char *start = buf + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    if (!nl)
        return false;
    size_t n = (size_t)(nl - start);
    *pos += n + 1;
    if (n && start[n - 1] == '\r')
        n--;
    *line = start;
    *llen = n;
    return true;
}

static bool field_is(const char *line, size_t llen, const char *name)
{
    size_t n = strlen(name);
    return llen > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* The value of field LINE after its ':' (OWS trimmed). */
static void field_value(const char *line, size_t llen, const char **v, size_t *vlen)
{
    const char *p = memchr(line, ':', llen) + 1, *e = line + llen;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *v = p;
    *vlen = (size_t)(e - p);
}

/* host[:port] per RFC 3986: reg-name or IPv4 characters, or an IP literal in
 * brackets; a port of digits. Empty is valid (a target without authority). */
static bool valid_host(const char *v, size_t n)
{
    size_t i = 0;
    if (n && v[0] == '[') {
        const char *close = memchr(v, ']', n);
        if (!close)
            return false;
        for (const char *p = v + 1; p < close; p++)
            if (souk_query_hex_digit(*p) < 0 && *p != ':' && *p != '.' && *p != 'v' && *p != 'V')
                return false;
        i = (size_t)(close - v) + 1;
    } else {
        for (; i < n && v[i] != ':'; i++) {
            unsigned char c = (unsigned char)v[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("-._~!$&'()*+,;=%", c)) ||
                c == '\0')
                return false;
        }
    }
    if (i == n)
        return true;
    if (v[i] != ':')
        return false;
    for (i++; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

/* Checks that LINE is "METHOD SP TARGET SP HTTP/1.x" for the given parts. */
static bool request_line_is(const char *line, size_t llen, const char *method, size_t mlen, const char *target,
                            size_t tlen)
{
    size_t i = 0;
    if (llen < mlen + tlen + 10 || memcmp(line, method, mlen) != 0)
        return false;
    i = mlen;
    if (line[i] != ' ')
        return false;
    while (i < llen && line[i] == ' ')
        i++;
    if (llen - i < tlen || memcmp(line + i, target, tlen) != 0)
        return false;
    i += tlen;
    if (i >= llen || line[i] != ' ')
        return false;
    while (i < llen && line[i] == ' ')
        i++;
    return llen - i == 8 && memcmp(line + i, "HTTP/1.", 7) == 0;
}

souk_wire_verdict souk_wire_check_head(const char *buf, size_t len, const char *method, size_t mlen, const char *target,
                                       size_t tlen, int minor)
{
    if (!buf || !method || !target)
        return SOUK_WIRE_UNSEEN;
    if (len > HEAD_SCAN_MAX)
        len = HEAD_SCAN_MAX;
    size_t pos = 0;
    const char *line;
    size_t llen;
    if (!next_line(buf, len, &pos, &line, &llen))
        return SOUK_WIRE_UNSEEN;
    if (llen == 0 && !next_line(buf, len, &pos, &line, &llen)) /* one empty line may precede it */
        return SOUK_WIRE_UNSEEN;
    if (!request_line_is(line, llen, method, mlen, target, tlen))
        return SOUK_WIRE_UNSEEN;
    int lengths = 0, codings = 0, hosts = 0;
    bool folded = false, bad_host = false;
    for (;;) {
        if (!next_line(buf, len, &pos, &line, &llen))
            return SOUK_WIRE_UNSEEN; /* no end of the head: not what h2o parsed */
        if (llen == 0)
            break;
        if (line[0] == ' ' || line[0] == '\t') {
            folded = true;
        } else if (field_is(line, llen, "content-length")) {
            lengths++;
        } else if (field_is(line, llen, "transfer-encoding")) {
            codings++;
        } else if (field_is(line, llen, "host")) {
            const char *v;
            size_t vlen;
            field_value(line, llen, &v, &vlen);
            hosts++;
            bad_host = bad_host || !valid_host(v, vlen);
        }
    }
    if (lengths > 1)
        return SOUK_WIRE_LENGTHS;
    if (lengths && codings)
        return SOUK_WIRE_LENGTH_AND_CODING;
    if (codings > 1)
        return SOUK_WIRE_CODINGS;
    if (codings && minor == 0)
        return SOUK_WIRE_CODING_IN_1_0;
    if (folded)
        return SOUK_WIRE_FOLDED;
    if (hosts == 0 && minor >= 1)
        return SOUK_WIRE_NO_HOST;
    if (hosts > 1)
        return SOUK_WIRE_HOSTS;
    if (bad_host)
        return SOUK_WIRE_BAD_HOST;
    return SOUK_WIRE_OK;
}

int souk_wire_must_close(souk_wire_verdict v)
{
    return v == SOUK_WIRE_LENGTHS || v == SOUK_WIRE_LENGTH_AND_CODING || v == SOUK_WIRE_CODINGS ||
           v == SOUK_WIRE_CODING_IN_1_0 || v == SOUK_WIRE_FOLDED;
}

const char *souk_wire_message(souk_wire_verdict v)
{
    switch (v) {
    case SOUK_WIRE_OK:
    case SOUK_WIRE_UNSEEN: return "";
    case SOUK_WIRE_LENGTHS: return "The request has more than one Content-Length header.";
    case SOUK_WIRE_LENGTH_AND_CODING: return "The request has both Content-Length and Transfer-Encoding.";
    case SOUK_WIRE_CODINGS: return "The request has more than one Transfer-Encoding header.";
    case SOUK_WIRE_CODING_IN_1_0: return "An HTTP/1.0 request cannot use Transfer-Encoding.";
    case SOUK_WIRE_FOLDED: return "The request folds a header over several lines.";
    case SOUK_WIRE_NO_HOST: return "An HTTP/1.1 request needs a Host header.";
    case SOUK_WIRE_HOSTS: return "The request has more than one Host header.";
    case SOUK_WIRE_BAD_HOST: return "The Host header is not a host name with an optional port.";
    }
    return "";
}

static bool is_dot_segment(const char *s, size_t n)
{
    return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

int souk_wire_decode_path(const char *raw, size_t len, souk_arena *a, char **out, const char **why)
{
    *out = NULL;
    *why = NULL;
    if (!raw || len == 0 || raw[0] != '/') {
        *why = "No such resource: the request target must be a path starting with '/'.";
        return -1;
    }
    char *dst = souk_arena_alloc(a, len + 1);
    if (!dst)
        return -2;
    size_t n = 0, segment = 1;
    dst[n++] = '/';
    for (size_t i = 1; i <= len; i++) {
        if (i == len || raw[i] == '/') { /* a segment ends: dst[segment, n) */
            if (is_dot_segment(dst + segment, n - segment)) {
                *why = "No such resource: the path has a dot segment (\".\" or \"..\").";
                return -1;
            }
            if (i < len) {
                dst[n++] = '/';
                segment = n;
            }
            continue;
        }
        char c = raw[i];
        if (c == '%') {
            int hi = i + 2 < len ? souk_query_hex_digit(raw[i + 1]) : -1,
                lo = hi >= 0 ? souk_query_hex_digit(raw[i + 2]) : -1;
            if (lo < 0) {
                *why = "No such resource: the path has a malformed percent-escape.";
                return -1;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
            if (c == '/') {
                *why = "No such resource: the path has an encoded slash (%2F), which separates nothing.";
                return -1;
            }
        }
        if (c == '\0') {
            *why = "No such resource: the path has a NUL byte (%00).";
            return -1;
        }
        dst[n++] = c;
    }
    dst[n] = '\0';
    *out = dst;
    return 0;
}
