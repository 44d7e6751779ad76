/*
 * wire.h — checks on a request as it came over the wire, for what h2o 2.2
 * leaves unchecked, or normalizes away before a handler sees the request.
 *
 * Framing (RFC 9112 §6.3, §3.2). h2o reads the body by the first of several
 * Content-Length fields, lets Transfer-Encoding win over Content-Length
 * silently, and supplies a Host when an HTTP/1.1 request has none; and it
 * leaves Host, Content-Length and Transfer-Encoding out of the header list
 * handlers get. So souk_wire_check_head reads the request head itself, as
 * received (the middleware finds it at the start of the connection's input
 * buffer, where h2o keeps it until the response is done).
 *
 * The path. h2o's path_normalized decodes every escape, %2F included, and
 * resolves "." and ".." segments, so "/api/v1/admin%2fusers" or
 * "/api/v1/x/../admin/users" would reach a route their literal path does not
 * name. souk_wire_decode_path decodes the raw path strictly instead.
 *
 * Both work on bytes and know nothing of h2o (tests/unit/test_wire.c).
 */
#ifndef SOUK_WIRE_H
#define SOUK_WIRE_H

#include <stddef.h>

#include "core/arena.h"

typedef enum souk_wire_verdict {
    SOUK_WIRE_OK = 0,
    SOUK_WIRE_UNSEEN,            /* the bytes are not that request's head: no verdict */
    SOUK_WIRE_LENGTHS,           /* more than one Content-Length field line (equal or not) */
    SOUK_WIRE_LENGTH_AND_CODING, /* Content-Length together with Transfer-Encoding */
    SOUK_WIRE_CODINGS,           /* more than one Transfer-Encoding field line */
    SOUK_WIRE_CODING_IN_1_0,     /* Transfer-Encoding in an HTTP/1.0 request */
    SOUK_WIRE_FOLDED,            /* an obsolete line folding (a line starting with a space or tab) */
    SOUK_WIRE_NO_HOST,           /* an HTTP/1.1 request without Host */
    SOUK_WIRE_HOSTS,             /* more than one Host field line */
    SOUK_WIRE_BAD_HOST,          /* a Host value that is no host[:port] */
} souk_wire_verdict;

/* Checks the framing fields of the HTTP/1.x request head at the start of
 * BUF (LEN bytes, more may follow the head): one optional empty line, the
 * request line, which must be METHOD (MLEN bytes) and TARGET (TLEN bytes)
 * as h2o parsed them, the field lines, and the empty line that ends the
 * head. MINOR is the 1 of HTTP/1.1. Returns SOUK_WIRE_OK, SOUK_WIRE_UNSEEN
 * when BUF does not hold that head (nothing can be said), or the first
 * problem found, framing problems (which must close the connection) before
 * Host problems. Reads at most 64 KiB of BUF. */
souk_wire_verdict souk_wire_check_head(const char *buf, size_t len, const char *method, size_t mlen, const char *target,
                                       size_t tlen, int minor);

/* True when a request with verdict V must not be followed by another on the
 * same connection: its framing is in doubt, so the bytes after it are too. */
int souk_wire_must_close(souk_wire_verdict v);

/* The sentence an error body gives for V (static; "" for OK and UNSEEN). */
const char *souk_wire_message(souk_wire_verdict v);

/* Decodes the path of a request target, RAW (LEN bytes, the target up to its
 * '?'), percent-escapes included, into a NUL-terminated copy in A (*OUT).
 * Returns 0; -1 when the path names nothing that may be routed, with a
 * sentence in *WHY (static): it does not start with '/', has a malformed
 * escape, an encoded slash (%2F) or NUL (%00), or a dot segment ("." or
 * "..", literal or encoded); -2 when the arena is exhausted (*WHY NULL).
 * Other bytes and escapes decode as h2o decodes them. */
int souk_wire_decode_path(const char *raw, size_t len, souk_arena *a, char **out, const char **why);

#endif
