/*
 * multipart.c — see multipart.h. One pass over the body: find each
 * delimiter (CRLF "--" boundary) with memmem, read the part's header block
 * up to its blank line (bounded), and take the bytes up to the next
 * delimiter as the part's content, without copying them.
 */
#include "core/multipart.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/jsonw.h"
#include "core/banned.h"

#define DEFAULT_PARTS 8
#define DEFAULT_HEADER 2048
#define DEFAULT_TOTAL (16u << 20)

/* RFC 2046 bchars: DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?" / " " */
static bool bchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("'()+_,-./:=? ", c) != NULL);
}

/* RFC 2045 token characters. */
static bool tchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

/* One parameter value at *P (before END): a token or a quoted string, into
 * OUT (CAP bytes with the NUL). The length, or -1 when malformed or too long. */
static int param_value(const char **p, const char *end, char *out, size_t cap)
{
    const char *s = *p;
    size_t n = 0;
    if (s < end && *s == '"') {
        for (s++;; s++) {
            if (s >= end)
                return -1; /* unterminated */
            if (*s == '"')
                break;
            if (*s == '\\' && ++s >= end)
                return -1;
            if ((unsigned char)*s < 0x20 && *s != '\t')
                return -1;
            if (n + 1 >= cap)
                return -1;
            out[n++] = *s;
        }
        s++;
    } else {
        while (s < end && tchar((unsigned char)*s)) {
            if (n + 1 >= cap)
                return -1;
            out[n++] = *s++;
        }
        if (n == 0)
            return -1;
    }
    out[n] = '\0';
    *p = s;
    return (int)n;
}

int souk_multipart_boundary(const char *ct, char out[SOUK_MULTIPART_BOUNDARY_MAX + 1], const char **why)
{
    static const char type[] = "multipart/form-data";
    out[0] = '\0';
    if (!ct)
        return 0;
    const char *end = ct + strlen(ct), *s = skip_ws(ct, end);
    if ((size_t)(end - s) < sizeof type - 1 || strncasecmp(s, type, sizeof type - 1) != 0)
        return 0;
    s = skip_ws(s + sizeof type - 1, end);
    if (s < end && *s != ';')
        return 0; /* multipart/form-datax */
    bool found = false;
    while (s < end && *s == ';') {
        s = skip_ws(s + 1, end);
        const char *name = s;
        while (s < end && tchar((unsigned char)*s))
            s++;
        size_t nl = (size_t)(s - name);
        s = skip_ws(s, end);
        if (nl == 0 || s >= end || *s != '=')
            goto bad;
        s = skip_ws(s + 1, end);
        char value[SOUK_MULTIPART_BOUNDARY_MAX + 2];
        int vl = param_value(&s, end, value, sizeof value);
        bool is_boundary = nl == 8 && strncasecmp(name, "boundary", 8) == 0;
        if (is_boundary) {
            if (found) {
                *why = "The Content-Type gives the boundary twice.";
                return SOUK_MULTIPART_E_MALFORMED;
            }
            if (vl < 1 || vl > SOUK_MULTIPART_BOUNDARY_MAX || value[vl - 1] == ' ') {
                *why = "The multipart boundary must be 1 to 70 characters (RFC 2046).";
                return SOUK_MULTIPART_E_MALFORMED;
            }
            for (int i = 0; i < vl; i++)
                if (!bchar((unsigned char)value[i])) {
                    *why = "The multipart boundary has a character RFC 2046 does not allow.";
                    return SOUK_MULTIPART_E_MALFORMED;
                }
            memcpy(out, value, (size_t)vl + 1);
            found = true;
        } else if (vl < 0) {
            /* another parameter's value: only its syntax matters, any length */
            char skip[1024];
            if (param_value(&s, end, skip, sizeof skip) < 0)
                goto bad;
        }
        s = skip_ws(s, end);
    }
    if (s != end)
        goto bad;
    if (!found) {
        *why = "A multipart/form-data Content-Type needs a boundary parameter.";
        return SOUK_MULTIPART_E_MALFORMED;
    }
    return 1;
bad:
    *why = "The Content-Type's parameters are malformed.";
    out[0] = '\0';
    return SOUK_MULTIPART_E_MALFORMED;
}

/* Text of at most SOUK_MULTIPART_NAME_MAX bytes, valid UTF-8 without
 * control characters. */
static bool clean_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return souk_jw_utf8_valid((const unsigned char *)s, n);
}

typedef struct headers {
    bool disposition, type;
    char name[SOUK_MULTIPART_NAME_MAX + 1], filename[SOUK_MULTIPART_NAME_MAX + 1];
    bool has_name, has_filename;
    char content_type[SOUK_MULTIPART_TYPE_MAX + 1];
} headers;

/* Content-Disposition's value [S, END) into H. NULL or the message. */
static const char *disposition(const char *s, const char *end, headers *h)
{
    static const char fd[] = "form-data";
    s = skip_ws(s, end);
    if ((size_t)(end - s) < sizeof fd - 1 || strncasecmp(s, fd, sizeof fd - 1) != 0 ||
        (s + sizeof fd - 1 < end && s[sizeof fd - 1] != ';' && s[sizeof fd - 1] != ' ' && s[sizeof fd - 1] != '\t'))
        return "A part's Content-Disposition must be form-data.";
    s = skip_ws(s + sizeof fd - 1, end);
    while (s < end && *s == ';') {
        s = skip_ws(s + 1, end);
        const char *pn = s;
        while (s < end && tchar((unsigned char)*s))
            s++;
        size_t nl = (size_t)(s - pn);
        s = skip_ws(s, end);
        if (nl == 0 || s >= end || *s != '=')
            return "A part's Content-Disposition parameters are malformed.";
        s = skip_ws(s + 1, end);
        bool is_name = nl == 4 && strncasecmp(pn, "name", 4) == 0;
        bool is_file = nl == 8 && strncasecmp(pn, "filename", 8) == 0;
        char other[SOUK_MULTIPART_NAME_MAX + 1];
        char *into = is_name ? h->name : is_file ? h->filename : other;
        if ((is_name && h->has_name) || (is_file && h->has_filename))
            return "A part's Content-Disposition repeats a parameter.";
        int vl = param_value(&s, end, into, SOUK_MULTIPART_NAME_MAX + 1);
        if (vl < 0)
            return "A part's name or filename is malformed or longer than 200 bytes.";
        if ((is_name || is_file) && !clean_text(into, (size_t)vl))
            return "A part's name or filename is not valid UTF-8 text.";
        if (is_name && vl == 0)
            return "A part's name is empty.";
        h->has_name = h->has_name || is_name;
        h->has_filename = h->has_filename || is_file;
        s = skip_ws(s, end);
    }
    if (s != end)
        return "A part's Content-Disposition parameters are malformed.";
    if (!h->has_name)
        return "A part's Content-Disposition has no name.";
    return NULL;
}

/* One header line [S, END) (no CRLF) into H. NULL or the message. */
static const char *header_line(const char *s, const char *end, headers *h)
{
    const char *colon = memchr(s, ':', (size_t)(end - s));
    if (!colon || colon == s)
        return "A part's header line is malformed.";
    for (const char *c = s; c < colon; c++)
        if (!tchar((unsigned char)*c))
            return "A part's header name is malformed.";
    for (const char *c = colon + 1; c < end; c++)
        if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
            return "A part's header holds a control character.";
    size_t nl = (size_t)(colon - s);
    const char *v = skip_ws(colon + 1, end), *ve = end;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    if (nl == 19 && strncasecmp(s, "Content-Disposition", 19) == 0) {
        if (h->disposition)
            return "A part has two Content-Disposition headers.";
        h->disposition = true;
        return disposition(v, ve, h);
    }
    if (nl == 12 && strncasecmp(s, "Content-Type", 12) == 0) {
        if (h->type)
            return "A part has two Content-Type headers.";
        if (ve == v || (size_t)(ve - v) > SOUK_MULTIPART_TYPE_MAX)
            return "A part's Content-Type is empty or longer than 127 bytes.";
        h->type = true;
        memcpy(h->content_type, v, (size_t)(ve - v));
        h->content_type[ve - v] = '\0';
        return NULL;
    }
    if (nl == 25 && strncasecmp(s, "Content-Transfer-Encoding", 25) == 0) {
        size_t n = (size_t)(ve - v);
        if (!((n == 4 && strncasecmp(v, "7bit", 4) == 0) || (n == 4 && strncasecmp(v, "8bit", 4) == 0) ||
              (n == 6 && strncasecmp(v, "binary", 6) == 0)))
            return "A part's Content-Transfer-Encoding is not supported (send the bytes as they are).";
        return NULL;
    }
    return NULL; /* any other header: ignored (RFC 7578 §4.8) */
}

/* The header block [S, END) (lines ending in CRLF, the blank line not
 * included) into H. NULL or the message. */
static const char *header_block(const char *s, const char *end, headers *h)
{
    while (s < end) {
        const char *lf = memchr(s, '\n', (size_t)(end - s));
        if (!lf || lf == s || lf[-1] != '\r')
            return "A part's header lines must end in CRLF.";
        if (*s == ' ' || *s == '\t')
            return "A part's header is folded over lines.";
        const char *why = header_line(s, lf - 1, h);
        if (why)
            return why;
        s = lf + 1;
    }
    if (!h->disposition)
        return "A part has no Content-Disposition header.";
    return NULL;
}

static int fail(souk_multipart *out, const char **why, int status, const char *msg)
{
    out->count = 0;
    out->parts = NULL;
    *why = msg;
    return status;
}

/* After a boundary at P (before END): padding, then CRLF (1: a part
 * follows, *P past it) or "--" (0: the close delimiter); -1 otherwise. */
static int after_boundary(const char **p, const char *end)
{
    const char *s = *p;
    if (end - s >= 2 && s[0] == '-' && s[1] == '-') {
        *p = s + 2;
        return 0;
    }
    s = skip_ws(s, end);
    if (end - s >= 2 && s[0] == '\r' && s[1] == '\n') {
        *p = s + 2;
        return 1;
    }
    return -1;
}

int souk_multipart_parse(souk_multipart *out, const char *boundary, const unsigned char *body, size_t len,
                         const souk_multipart_limits *limits, souk_arena *a, const char **why)
{
    souk_multipart_limits lim = limits ? *limits : (souk_multipart_limits){0};
    if (!lim.max_parts)
        lim.max_parts = DEFAULT_PARTS;
    if (!lim.max_header)
        lim.max_header = DEFAULT_HEADER;
    if (!lim.max_total)
        lim.max_total = DEFAULT_TOTAL;
    out->parts = NULL;
    out->count = 0;
    size_t bl = boundary ? strlen(boundary) : 0;
    if (bl < 1 || bl > SOUK_MULTIPART_BOUNDARY_MAX)
        return fail(out, why, SOUK_MULTIPART_E_MALFORMED, "The multipart boundary must be 1 to 70 characters.");
    if (len > lim.max_total)
        return fail(out, why, SOUK_MULTIPART_E_TOO_LARGE, "The multipart body is larger than allowed.");
    char delim[SOUK_MULTIPART_BOUNDARY_MAX + 5]; /* CRLF -- boundary */
    delim[0] = '\r', delim[1] = '\n', delim[2] = '-', delim[3] = '-';
    memcpy(delim + 4, boundary, bl);
    size_t dl = bl + 4;
    const char *s = (const char *)body, *end = s + len;
    /* the first delimiter: at the very start (without its CRLF) or after a preamble */
    const char *at;
    if (len >= dl - 2 && memcmp(s, delim + 2, dl - 2) == 0)
        at = s + dl - 2;
    else if ((at = memmem(s, len, delim, dl)) != NULL)
        at += dl;
    else
        return fail(out, why, SOUK_MULTIPART_E_MALFORMED, "The body has no multipart delimiter of the boundary.");
    souk_multipart_part *parts = souk_arena_calloc(a, lim.max_parts * sizeof *parts);
    if (!parts)
        return fail(out, why, SOUK_MULTIPART_E_MEMORY, "Out of memory.");
    size_t n = 0;
    for (;;) {
        int more = after_boundary(&at, end);
        if (more < 0)
            return fail(out, why, SOUK_MULTIPART_E_MALFORMED, "A multipart boundary is followed by something else.");
        if (more == 0)
            break; /* the close delimiter; the epilogue is ignored */
        if (n == lim.max_parts)
            return fail(out, why, SOUK_MULTIPART_E_TOO_LARGE, "The body has more parts than allowed.");
        /* the header block, up to the blank line (bounded) */
        size_t room = (size_t)(end - at);
        const char *hend;
        if (room >= 2 && at[0] == '\r' && at[1] == '\n')
            return fail(out, why, SOUK_MULTIPART_E_MALFORMED, "A part has no Content-Disposition header.");
        size_t scan = room < lim.max_header + 4 ? room : lim.max_header + 4;
        hend = memmem(at, scan, "\r\n\r\n", 4);
        if (!hend)
            return fail(out, why, scan < room ? SOUK_MULTIPART_E_TOO_LARGE : SOUK_MULTIPART_E_MALFORMED,
                        scan < room ? "A part's headers are longer than allowed."
                                    : "A part's headers do not end in a blank line.");
        if ((size_t)(hend - at) + 2 > lim.max_header)
            return fail(out, why, SOUK_MULTIPART_E_TOO_LARGE, "A part's headers are longer than allowed.");
        headers h;
        memset(&h, 0, sizeof h);
        const char *bad = header_block(at, hend + 2, &h);
        if (bad)
            return fail(out, why, SOUK_MULTIPART_E_MALFORMED, bad);
        for (size_t i = 0; i < n; i++)
            if (strcmp(parts[i].name, h.name) == 0)
                return fail(out, why, SOUK_MULTIPART_E_MALFORMED, "Two parts have the same name.");
        const char *data = hend + 4;
        const char *next = memmem(data, (size_t)(end - data), delim, dl);
        if (!next)
            return fail(out, why, SOUK_MULTIPART_E_MALFORMED, "The body ends before the close delimiter.");
        souk_multipart_part *p = &parts[n];
        p->name = souk_arena_strdup(a, h.name);
        p->filename = h.has_filename ? souk_arena_strdup(a, h.filename) : NULL;
        p->content_type = h.type ? souk_arena_strdup(a, h.content_type) : NULL;
        if (!p->name || (h.has_filename && !p->filename) || (h.type && !p->content_type))
            return fail(out, why, SOUK_MULTIPART_E_MEMORY, "Out of memory.");
        p->data = (const unsigned char *)data;
        p->len = (size_t)(next - data);
        n++;
        at = next + dl;
    }
    if (n == 0)
        return fail(out, why, SOUK_MULTIPART_E_MALFORMED, "The multipart body has no part.");
    out->parts = parts;
    out->count = n;
    return SOUK_MULTIPART_OK;
}

const souk_multipart_part *souk_multipart_get(const souk_multipart *m, const char *name)
{
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->parts[i].name, name) == 0)
            return &m->parts[i];
    return NULL;
}
