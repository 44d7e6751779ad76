/*
 * live.h — values that change faster than the documents that show them.
 *
 * A product's detail shows how many of each variant can be bought, which
 * changes with every sale, while the rest of the document changes only
 * when the catalog does. So that a sale does not evict the cached detail, a
 * renderer writes a marker where such a value goes (souk_live_marker: a
 * JSON string that no client can forge, since it carries a random secret of
 * this process), the response cache keeps the document with its markers,
 * and each time the document is sent souk_live_fill replaces every marker
 * with the value as it is now, from the resolver registered for its kind
 * (an in-memory read model). A document with markers says so
 * (souk_res.live), so the others are never scanned.
 */
#ifndef SOUK_LIVE_H
#define SOUK_LIVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Writes the current value for KEY as JSON text into OUT (CAP bytes) and
 * returns its length, or -1 when it cannot (the marker becomes null). CTX
 * is what souk_live_fill was given (e.g. the caller's store connection). */
typedef int (*souk_live_resolver)(void *ctx, int64_t key, char *out, size_t cap);

/* Registers RESOLVER for KIND (a lower-case letter). Call at start, before
 * requests are served. 0, or -1 when KIND is not a letter. */
int souk_live_register(char kind, souk_live_resolver resolver);

/* A marker for the value of KEY of KIND, as a JSON string (caller owns it;
 * NULL when memory ran out). */
json_t *souk_live_marker(char kind, int64_t key);

/* Appends the same marker to OUT as JSON text, exactly as jansson writes
 * the string souk_live_marker returns (quotes included), for renderers that
 * write JSON straight into a buffer. 0, or -1 when OUT ran out of room. */
int souk_live_marker_write(souk_buf *out, char kind, int64_t key);

/* Copies BODY (LEN bytes) into OUT with every marker replaced by its
 * current value (null for an unknown kind or a failed resolver). Returns
 * the number of markers replaced, or -1 when OUT ran out of room. */
int souk_live_fill(const char *body, size_t len, souk_buf *out, void *ctx);

#endif
