/*
 * souk core: streaming, bounded RFC 4180 CSV reader (see csv.h for the API).
 *
 * Design note
 * -----------
 * Input.  A reader pulls bytes through a window [cur, end).  For memory input
 * the window is the caller's buffer itself (no copy, no refill).  For files
 * the window is a fixed 64 KiB buffer refilled with gzread(); zlib reads gzip
 * and plain files alike, so compression is transparent.
 *
 * Parsing.  souk_csv_next() parses exactly one record with a small state
 * machine (field start / unquoted / quoted).  Runs of ordinary bytes are
 * found with a 256-entry class table and copied with one memcpy, so the hot
 * path is a tight scan rather than a per-byte switch.  Decoded fields are
 * stored back to back, each NUL-terminated, in one record buffer; an offset
 * array (one extra slot as sentinel) gives each field's start and length.
 *
 * Bounds.  Every raw input byte of a record is counted against
 * max_record_len, every decoded byte of a field against max_field_len, and
 * the field count against max_fields, *before* anything is stored.  Decoded
 * bytes never outnumber raw bytes, so the record buffer never needs more than
 * max_record_len + max_fields (NULs) + 1 bytes and the offset array never more
 * than max_fields + 1 slots.  Both start small and grow by doubling up to
 * those caps.
 *
 * Errors.  A per-record error switches the parser to "skip" mode: it keeps
 * running the same state machine (so a quoted line break does not end the
 * record early) but stores nothing, checks no limits and reads stray quotes
 * literally, until the record's end; only then is the first error returned.
 * The reader is therefore positioned on the next record, and the error is
 * recoverable.  I/O and allocation failures are fatal and sticky.
 *
 * Lines.  LF, CRLF and lone CR each count as one line break.  A CR sets
 * prev_cr so that an LF right after it (possibly in the next refill, or on
 * the next call) is not counted twice.
 */
#include "core/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IOBUF_SIZE ((size_t)64 * 1024)
#define GZ_INTERNAL_BUF (128u * 1024u)
#define INIT_BUF_CAP ((size_t)4096)
#define INIT_OFFS_CAP ((size_t)16)

/* Byte classes for the scanner. */
enum { C_PLAIN = 0, C_COMMA, C_QUOTE, C_CR, C_LF };

static const unsigned char byte_class[256] = {
    [','] = C_COMMA,
    ['"'] = C_QUOTE,
    ['\r'] = C_CR,
    ['\n'] = C_LF,
};

struct souk_csv {
    /* input window */
    const unsigned char *cur;
    const unsigned char *end;
    const unsigned char *mem_base; /* memory input: start of caller buffer */
    gzFile gz;                     /* file input, else NULL */
    unsigned char *iobuf;          /* file input: refill buffer */
    int src_eof;
    int bom_checked;
    uint64_t total_bytes;

    /* limits */
    size_t max_field;
    size_t max_fields;
    size_t max_record;
    unsigned flags;

    /* current record */
    char *buf; /* decoded fields, each NUL-terminated */
    size_t buf_len;
    size_t buf_cap;
    size_t buf_max;
    size_t *offs; /* offs[i] = start of field i; offs[nfields] sentinel */
    size_t offs_cap;
    size_t nfields; /* fields completed in the current record */
    size_t raw_len; /* raw bytes of the current record */

    /* position */
    uint64_t line;     /* line of the next unread byte, 1-based */
    uint64_t rec_line; /* line where the current record starts */
    uint64_t recno;
    int prev_cr;

    /* errors */
    int skip;  /* pending recoverable error code, or 0 */
    int fatal; /* sticky fatal error code, or 0 */
    char err[160];
};

/* ---- errors ---------------------------------------------------------- */

static void set_msg(souk_csv *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_msg(souk_csv *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
}

/* Records the first recoverable error of the current record and enters skip
 * mode.  Later errors in the same record are ignored. */
static void rec_error(souk_csv *r, int code, const char *what)
{
    if (r->skip)
        return;
    r->skip = code;
    set_msg(r, "field %zu (line %llu): %s", r->nfields + 1, (unsigned long long)r->line, what);
}

static int fatal_error(souk_csv *r, int code, const char *what)
{
    r->fatal = code;
    r->skip = 0;
    r->nfields = 0;
    set_msg(r, "%s", what);
    return code;
}

/* ---- input ------------------------------------------------------------ */

/* Makes at least one byte available in [cur, end).
 * Returns 1 if so, 0 at end of input, or a fatal error code. */
static int src_fill(souk_csv *r)
{
    if (r->cur < r->end)
        return 1;
    if (r->gz == NULL || r->src_eof)
        return 0;
    int n = gzread(r->gz, r->iobuf, (unsigned)IOBUF_SIZE);
    if (n > 0) {
        /* Deliver what was decoded; a pending error (e.g. a truncated gzip
         * stream) shows up on the next refill, which then returns 0. */
        r->cur = r->iobuf;
        r->end = r->iobuf + n;
        return 1;
    }
    int errnum = Z_OK;
    const char *zmsg = gzerror(r->gz, &errnum);
    if (n < 0 || errnum != Z_OK) {
        char what[128];
        if (errnum == Z_ERRNO)
            snprintf(what, sizeof what, "read error: %s", strerror(errno));
        else
            snprintf(what, sizeof what, "read error: %s", zmsg ? zmsg : "unknown zlib error");
        r->src_eof = 1;
        return fatal_error(r, SOUK_CSV_E_IO, what);
    }
    r->src_eof = 1;
    return 0;
}

/* ---- record storage ----------------------------------------------------- */

static int ensure_buf(souk_csv *r, size_t extra)
{
    size_t need = r->buf_len + extra;
    if (need <= r->buf_cap)
        return 0;
    if (need > r->buf_max) /* cannot happen: limits are checked first */
        return fatal_error(r, SOUK_CSV_E_NOMEM, "internal: record bound");
    size_t cap = r->buf_cap;
    while (cap < need)
        cap = cap > r->buf_max / 2 ? r->buf_max : cap * 2;
    char *nb = realloc(r->buf, cap);
    if (nb == NULL)
        return fatal_error(r, SOUK_CSV_E_NOMEM, "out of memory");
    r->buf = nb;
    r->buf_cap = cap;
    return 0;
}

/* Opens field number r->nfields (checks max_fields, reserves its offset and
 * the sentinel slot). */
static int begin_field(souk_csv *r)
{
    if (r->skip)
        return 0;
    if (r->nfields >= r->max_fields) {
        char what[80];
        snprintf(what, sizeof what, "more than %zu fields", r->max_fields);
        rec_error(r, SOUK_CSV_E_TOO_MANY_FIELDS, what);
        return 0;
    }
    if (r->nfields + 2 > r->offs_cap) {
        size_t cap = r->offs_cap * 2;
        if (cap > r->max_fields + 1)
            cap = r->max_fields + 1;
        size_t *no = realloc(r->offs, cap * sizeof *no);
        if (no == NULL)
            return fatal_error(r, SOUK_CSV_E_NOMEM, "out of memory");
        r->offs = no;
        r->offs_cap = cap;
    }
    r->offs[r->nfields] = r->buf_len;
    return 0;
}

/* Counts N raw input bytes against max_record_len. */
static void count_raw(souk_csv *r, size_t n)
{
    r->raw_len += n;
    if (!r->skip && r->raw_len > r->max_record) {
        char what[80];
        snprintf(what, sizeof what, "record longer than %zu bytes", r->max_record);
        rec_error(r, SOUK_CSV_E_RECORD_TOO_LONG, what);
    }
}

/* Appends N decoded bytes to the current field after checking limits.
 * RAW is the number of input bytes they came from. */
static int emit(souk_csv *r, const void *p, size_t n, size_t raw)
{
    if (!r->skip && r->buf_len - r->offs[r->nfields] + n > r->max_field) {
        char what[80];
        snprintf(what, sizeof what, "longer than %zu bytes", r->max_field);
        rec_error(r, SOUK_CSV_E_FIELD_TOO_LONG, what);
    }
    count_raw(r, raw);
    if (r->skip)
        return 0;
    int rc = ensure_buf(r, n + 1); /* + NUL of this field */
    if (rc)
        return rc;
    memcpy(r->buf + r->buf_len, p, n);
    r->buf_len += n;
    return 0;
}

/* Strict UTF-8 check (RFC 3629: no overlongs, no surrogates, <= U+10FFFF);
 * NUL is rejected too because fields are handed out as C strings. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return 0; /* NUL, continuation byte, C0/C1, F5..FF */
        }
        if (n - i <= k)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        i += k + 1;
    }
    return 1;
}

static int end_field(souk_csv *r)
{
    if (r->skip)
        return 0;
    size_t start = r->offs[r->nfields];
    if (!(r->flags & SOUK_CSV_ALLOW_INVALID_UTF8) &&
        !utf8_valid((const unsigned char *)r->buf + start, r->buf_len - start)) {
        rec_error(r, SOUK_CSV_E_UTF8, "invalid UTF-8 or NUL byte");
        return 0;
    }
    int rc = ensure_buf(r, 1);
    if (rc)
        return rc;
    r->buf[r->buf_len++] = '\0';
    r->nfields++;
    return 0;
}

static int end_record(souk_csv *r)
{
    if (r->skip) {
        int code = r->skip;
        r->skip = 0;
        r->nfields = 0;
        return code;
    }
    r->offs[r->nfields] = r->buf_len; /* sentinel: slot reserved */
    return SOUK_CSV_RECORD;
}

static void newline(souk_csv *r, unsigned char c)
{
    if (c == '\r') {
        r->line++;
        r->prev_cr = 1;
    } else {
        if (!r->prev_cr)
            r->line++;
        r->prev_cr = 0;
    }
}

/* ---- parser ------------------------------------------------------------- */

static int parse_record(souk_csv *r)
{
    int rc;

    r->nfields = 0;
    r->buf_len = 0;
    r->raw_len = 0;
    r->skip = 0;
    r->err[0] = '\0';

    if (!r->bom_checked) {
        r->bom_checked = 1;
        rc = src_fill(r);
        if (rc < 0)
            return rc;
        /* The first refill holds >= 3 bytes unless the input is shorter. */
        if (r->end - r->cur >= 3 && memcmp(r->cur, "\xEF\xBB\xBF", 3) == 0)
            r->cur += 3;
    }

    /* Skip blank lines (and the LF of a CRLF that ended the last record). */
    for (;;) {
        rc = src_fill(r);
        if (rc <= 0)
            return rc; /* end of input or fatal */
        unsigned char c = *r->cur;
        if (c != '\r' && c != '\n')
            break;
        r->cur++;
        newline(r, c);
    }

    r->recno++;
    r->rec_line = r->line;

next_field:
    if ((rc = begin_field(r)) != 0)
        return rc;
    rc = src_fill(r);
    if (rc < 0)
        return rc;
    if (rc > 0 && *r->cur == '"') {
        r->cur++;
        r->prev_cr = 0;
        count_raw(r, 1);
        goto quoted;
    }

unquoted:
    for (;;) {
        rc = src_fill(r);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            if ((rc = end_field(r)) != 0)
                return rc;
            return end_record(r);
        }
        const unsigned char *p = r->cur;
        const unsigned char *e = r->end;
        while (p < e && byte_class[*p] == C_PLAIN)
            p++;
        size_t n = (size_t)(p - r->cur);
        if (n) {
            if ((rc = emit(r, r->cur, n, n)) != 0)
                return rc;
            r->cur = p;
            r->prev_cr = 0;
            continue;
        }
        unsigned char c = *p;
        r->cur = p + 1;
        switch (byte_class[c]) {
        case C_COMMA:
            r->prev_cr = 0;
            count_raw(r, 1);
            if ((rc = end_field(r)) != 0)
                return rc;
            goto next_field;
        case C_CR:
        case C_LF:
            newline(r, c);
            if ((rc = end_field(r)) != 0)
                return rc;
            return end_record(r);
        default: /* C_QUOTE inside an unquoted field */
            r->prev_cr = 0;
            if (!(r->flags & SOUK_CSV_LAX_QUOTES))
                rec_error(r, SOUK_CSV_E_QUOTE, "'\"' inside an unquoted field");
            if ((rc = emit(r, "\"", 1, 1)) != 0)
                return rc;
            break;
        }
    }

quoted:
    for (;;) {
        rc = src_fill(r);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            rec_error(r, SOUK_CSV_E_UNTERMINATED, "quoted field not closed at end of input");
            return end_record(r);
        }
        const unsigned char *p = r->cur;
        const unsigned char *e = r->end;
        while (p < e && byte_class[*p] <= C_COMMA)
            p++;
        size_t n = (size_t)(p - r->cur);
        if (n) {
            if ((rc = emit(r, r->cur, n, n)) != 0)
                return rc;
            r->cur = p;
            r->prev_cr = 0;
            continue;
        }
        unsigned char c = *p;
        r->cur = p + 1;
        if (c != '"') { /* CR or LF: data, but also a physical line break */
            if ((rc = emit(r, &c, 1, 1)) != 0)
                return rc;
            newline(r, c);
            continue;
        }
        r->prev_cr = 0;
        rc = src_fill(r);
        if (rc < 0)
            return rc;
        if (rc > 0 && *r->cur == '"') { /* "" -> " */
            r->cur++;
            if ((rc = emit(r, "\"", 1, 2)) != 0)
                return rc;
            continue;
        }
        count_raw(r, 1); /* the closing quote */
        if (rc > 0) {
            unsigned char k = byte_class[*r->cur];
            if (k != C_COMMA && k != C_CR && k != C_LF && !(r->flags & SOUK_CSV_LAX_QUOTES))
                rec_error(r, SOUK_CSV_E_QUOTE, "unexpected character after closing '\"'");
        }
        /* Terminators are handled there; in lax mode (or while skipping)
         * any trailing text continues the field unquoted. */
        goto unquoted;
    }
}

/* ---- public API --------------------------------------------------------- */

static int init_limits(souk_csv *r, const souk_csv_limits *lim)
{
    souk_csv_limits l = {0};
    if (lim)
        l = *lim;
    r->max_field = l.max_field_len ? l.max_field_len : SOUK_CSV_DEFAULT_MAX_FIELD_LEN;
    r->max_fields = l.max_fields ? l.max_fields : SOUK_CSV_DEFAULT_MAX_FIELDS;
    r->max_record = l.max_record_len ? l.max_record_len : SOUK_CSV_DEFAULT_MAX_RECORD_LEN;
    r->flags = l.flags;
    /* Keep every size computation far from overflow. */
    const size_t big = SIZE_MAX / 4;
    if (r->max_fields > big / sizeof(size_t) || r->max_record > big || r->max_field > big)
        return SOUK_CSV_E_INVAL;
    r->buf_max = r->max_record + r->max_fields + 1;
    return 0;
}

static int alloc_reader(souk_csv **out, const souk_csv_limits *lim)
{
    souk_csv *r = calloc(1, sizeof *r);
    if (r == NULL)
        return SOUK_CSV_E_NOMEM;
    int rc = init_limits(r, lim);
    if (rc) {
        free(r);
        return rc;
    }
    r->offs_cap = INIT_OFFS_CAP < r->max_fields + 1 ? INIT_OFFS_CAP : r->max_fields + 1;
    if (r->offs_cap < 2)
        r->offs_cap = 2;
    r->buf_cap = INIT_BUF_CAP < r->buf_max ? INIT_BUF_CAP : r->buf_max;
    r->offs = malloc(r->offs_cap * sizeof *r->offs);
    r->buf = malloc(r->buf_cap);
    if (r->offs == NULL || r->buf == NULL) {
        free(r->offs);
        free(r->buf);
        free(r);
        return SOUK_CSV_E_NOMEM;
    }
    r->line = 1;
    *out = r;
    return 0;
}

/* See csv.h. */
int souk_csv_open_mem(souk_csv **out, const void *data, size_t len, const souk_csv_limits *lim)
{
    if (out == NULL)
        return SOUK_CSV_E_INVAL;
    *out = NULL;
    if (data == NULL && len != 0)
        return SOUK_CSV_E_INVAL;
    souk_csv *r;
    int rc = alloc_reader(&r, lim);
    if (rc)
        return rc;
    static const unsigned char empty[1] = {0};
    r->mem_base = data ? (const unsigned char *)data : empty;
    r->cur = r->mem_base;
    r->end = r->mem_base + len;
    r->total_bytes = len;
    *out = r;
    return SOUK_CSV_OK;
}

/* See csv.h. */
int souk_csv_open_file(souk_csv **out, const char *path, const souk_csv_limits *lim)
{
    if (out == NULL)
        return SOUK_CSV_E_INVAL;
    *out = NULL;
    if (path == NULL)
        return SOUK_CSV_E_INVAL;
    souk_csv *r;
    int rc = alloc_reader(&r, lim);
    if (rc)
        return rc;
    r->iobuf = malloc(IOBUF_SIZE);
    if (r->iobuf == NULL) {
        souk_csv_free(r);
        return SOUK_CSV_E_NOMEM;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        souk_csv_free(r);
        errno = e;
        return SOUK_CSV_E_IO;
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            souk_csv_free(r);
            errno = EISDIR;
            return SOUK_CSV_E_INVAL;
        }
        if (S_ISREG(st.st_mode) && st.st_size > 0)
            r->total_bytes = (uint64_t)st.st_size;
    }
    r->gz = gzdopen(fd, "rb");
    if (r->gz == NULL) {
        int e = errno;
        close(fd);
        souk_csv_free(r);
        errno = e ? e : ENOMEM;
        return SOUK_CSV_E_NOMEM;
    }
    gzbuffer(r->gz, GZ_INTERNAL_BUF);
    r->cur = r->end = r->iobuf;
    *out = r;
    return SOUK_CSV_OK;
}

/* See csv.h. */
int souk_csv_next(souk_csv *r)
{
    if (r == NULL)
        return SOUK_CSV_E_INVAL;
    if (r->fatal)
        return r->fatal;
    return parse_record(r);
}

/* See csv.h. */
int souk_csv_is_recoverable(int rc)
{
    return rc <= SOUK_CSV_E_FIELD_TOO_LONG && rc >= SOUK_CSV_E_UTF8;
}

/* See csv.h. */
size_t souk_csv_field_count(const souk_csv *r)
{
    return r ? r->nfields : 0;
}

/* See csv.h. */
const char *souk_csv_field(const souk_csv *r, size_t i, size_t *len)
{
    if (r == NULL || i >= r->nfields) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = r->offs[i + 1] - r->offs[i] - 1;
    return r->buf + r->offs[i];
}

/* See csv.h. */
uint64_t souk_csv_line(const souk_csv *r)
{
    return r ? r->rec_line : 0;
}

/* See csv.h. */
uint64_t souk_csv_record(const souk_csv *r)
{
    return r ? r->recno : 0;
}

/* See csv.h. */
uint64_t souk_csv_bytes_read(const souk_csv *r)
{
    if (r == NULL)
        return 0;
    if (r->gz == NULL)
        return (uint64_t)(r->cur - r->mem_base);
    z_off_t off = gzoffset(r->gz);
    return off > 0 ? (uint64_t)off : 0;
}

/* See csv.h. */
uint64_t souk_csv_total_bytes(const souk_csv *r)
{
    return r ? r->total_bytes : 0;
}

/* See csv.h. */
const char *souk_csv_error(const souk_csv *r)
{
    return r ? r->err : "";
}

/* See csv.h. */
const char *souk_csv_strerror(int rc)
{
    switch (rc) {
    case SOUK_CSV_OK: return "ok / end of input";
    case SOUK_CSV_RECORD: return "record available";
    case SOUK_CSV_E_FIELD_TOO_LONG: return "field too long";
    case SOUK_CSV_E_TOO_MANY_FIELDS: return "too many fields";
    case SOUK_CSV_E_RECORD_TOO_LONG: return "record too long";
    case SOUK_CSV_E_QUOTE: return "misplaced quote";
    case SOUK_CSV_E_UNTERMINATED: return "unterminated quoted field";
    case SOUK_CSV_E_UTF8: return "invalid UTF-8";
    case SOUK_CSV_E_IO: return "I/O error";
    case SOUK_CSV_E_NOMEM: return "out of memory";
    case SOUK_CSV_E_INVAL: return "invalid argument";
    default: return "unknown error";
    }
}

/* See csv.h. */
void souk_csv_free(souk_csv *r)
{
    if (r == NULL)
        return;
    if (r->gz)
        gzclose(r->gz);
    free(r->iobuf);
    free(r->buf);
    free(r->offs);
    free(r);
}
