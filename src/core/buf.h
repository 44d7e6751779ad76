/*
 * buf.h — growable byte buffer with a hard maximum (after curl's dynbuf).
 *
 * Every append either fits under `max` or fails with -1 and leaves the
 * buffer marked as overflowed (`souk_buf_failed`), so a chain of appends can
 * be checked once at the end. The contents are always NUL-terminated.
 */
#ifndef SOUK_BUF_H
#define SOUK_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct souk_buf {
    char *data;  /* NUL-terminated contents, NULL until the first append */
    size_t len;  /* bytes used, excluding the terminator */
    size_t cap;  /* bytes allocated */
    size_t max;  /* largest allowed len */
    bool failed; /* an append hit max or malloc failed */
} souk_buf;

/* Sets up caller-owned B that may grow to MAX bytes. Allocates nothing. */
void souk_buf_init(souk_buf *b, size_t max);

/* Frees the contents; B may be reused after souk_buf_init. */
void souk_buf_release(souk_buf *b);

/* Empties B but keeps its memory. Clears the failed flag. */
void souk_buf_reset(souk_buf *b);

/* Appends LEN bytes. 0 on success, -1 (and failed set) when over max. */
int souk_buf_add(souk_buf *b, const void *data, size_t len);

/* Appends a NUL-terminated string. */
int souk_buf_adds(souk_buf *b, const char *s);

/* Appends one byte. */
int souk_buf_addc(souk_buf *b, char c);

/* Appends formatted text. */
int souk_buf_printf(souk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends S (LEN bytes) as a JSON string literal, quotes included. Control
 * characters, quote, backslash, '<', '>' and '&' are escaped so the result is
 * safe to embed in HTML too. */
int souk_buf_add_json_string(souk_buf *b, const char *s, size_t len);

/* True when any append since the last reset failed. */
static inline bool souk_buf_failed(const souk_buf *b)
{
    return b->failed;
}

#endif
