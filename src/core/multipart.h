/*
 * souk core: a bounded multipart/form-data parser (RFC 7578, on the body
 * syntax of RFC 2046 §5.1.1), for uploads sent as HTML forms and FormData.
 *
 * The whole body is in memory (the HTTP layer has bounded it); parsing does
 * not copy the parts' content: each part's data points into the body. The
 * names, file names and content types are copied, NUL-terminated, into the
 * caller's arena. Every count and length is bounded by souk_multipart_limits.
 *
 *     char boundary[SOUK_MULTIPART_BOUNDARY_MAX + 1];
 *     const char *why;
 *     if (souk_multipart_boundary(content_type, boundary, &why) == 1 &&
 *         souk_multipart_parse(&m, boundary, body, len, NULL, arena, &why) == SOUK_MULTIPART_OK)
 *         file = souk_multipart_get(&m, "file");
 *
 * What is accepted:
 *   - a preamble before the first delimiter and an epilogue after the close
 *     delimiter (both ignored); transport padding (spaces, tabs) after a
 *     boundary; lines end in CRLF (a bare LF in the headers is refused);
 *   - part headers "Name: value", names case-insensitive; no folded lines;
 *   - Content-Disposition: form-data with a name parameter (required,
 *     non-empty) and an optional filename, each a token or a quoted string
 *     (backslash escapes a character; RFC 7578 §4.2 percent-encoding is kept
 *     as it is); other parameters ignored, a repeated one refused;
 *   - Content-Type per part (kept as given, at most 127 bytes);
 *   - Content-Transfer-Encoding only 7bit, 8bit or binary (RFC 7578 §4.7);
 *   - names and file names valid UTF-8 without control characters.
 * Refused as MALFORMED: no delimiter, a missing close delimiter, a part
 * without headers or without Content-Disposition, two parts of one name.
 */
#ifndef SOUK_CORE_MULTIPART_H
#define SOUK_CORE_MULTIPART_H

#include <stddef.h>

#include "core/arena.h"

#define SOUK_MULTIPART_BOUNDARY_MAX 70 /* RFC 2046: 1 to 70 characters */
#define SOUK_MULTIPART_NAME_MAX 200    /* a part's name or file name, bytes */
#define SOUK_MULTIPART_TYPE_MAX 127    /* a part's Content-Type, bytes */

enum souk_multipart_status {
    SOUK_MULTIPART_OK = 0,
    SOUK_MULTIPART_E_MALFORMED = -1, /* not a multipart/form-data body (400) */
    SOUK_MULTIPART_E_TOO_LARGE = -2, /* a limit passed (413) */
    SOUK_MULTIPART_E_MEMORY = -3,    /* the arena is full */
};

/* Limits; a zero member takes the default. */
typedef struct souk_multipart_limits {
    size_t max_parts;  /* parts (default 8) */
    size_t max_header; /* bytes of one part's header block (default 2048) */
    size_t max_total;  /* bytes of the whole body (default 16 MiB) */
} souk_multipart_limits;

typedef struct souk_multipart_part {
    const char *name;         /* never NULL, never empty */
    const char *filename;     /* NULL when the part has none (a text field) */
    const char *content_type; /* NULL when the part has none (text/plain, RFC 7578 §4.4) */
    const unsigned char *data;
    size_t len;
} souk_multipart_part;

typedef struct souk_multipart {
    souk_multipart_part *parts; /* in the arena, in body order */
    size_t count;
} souk_multipart;

/* The boundary of CONTENT_TYPE (a Content-Type header value, or NULL) into
 * OUT: 1 when it is multipart/form-data with a valid boundary parameter
 * (RFC 2046 characters, 1–70, token or quoted); 0 when it is not
 * multipart/form-data at all (*WHY untouched); SOUK_MULTIPART_E_MALFORMED
 * when it is, with a missing or invalid boundary (*WHY says which). */
int souk_multipart_boundary(const char *content_type, char out[SOUK_MULTIPART_BOUNDARY_MAX + 1], const char **why);

/* Parses BODY (LEN bytes) with BOUNDARY under LIMITS (NULL: the defaults)
 * into *OUT, copies in A. SOUK_MULTIPART_OK, or a negative status with a
 * static message in *WHY (then OUT->count is 0). */
int souk_multipart_parse(souk_multipart *out, const char *boundary, const unsigned char *body, size_t len,
                         const souk_multipart_limits *limits, souk_arena *a, const char **why);

/* The part named NAME in M, or NULL. */
const souk_multipart_part *souk_multipart_get(const souk_multipart *m, const char *name);

#endif
