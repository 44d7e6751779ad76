/*
 * id.h — 64-bit, time-ordered identifiers and their typed opaque text form.
 *
 * Layout: 44 bits of milliseconds since 2020-01-01T00:00:00Z, then 20 bits of
 * sequence. Within one process ids are strictly increasing (an atomic
 * compare-and-swap keeps them so across threads); the sequence starts at a
 * random value each millisecond so two processes rarely collide, and the
 * database's primary key catches the rest.
 *
 * Text form: a type prefix, '_', and 13 Crockford base32 characters of the
 * 64-bit value, e.g. "prod_01HZX3K4QW8RT". Text order equals numeric order.
 */
#ifndef SOUK_ID_H
#define SOUK_ID_H

#include <stddef.h>
#include <stdint.h>

#define SOUK_ID_TEXT_MAX 32 /* prefix (≤16) + '_' + 13 + NUL, rounded up */

/* A new id, strictly greater than every id this process returned before. */
int64_t souk_id_next(void);

/* Writes PREFIX_base32(ID) into BUF (SOUK_ID_TEXT_MAX bytes). Returns BUF. */
char *souk_id_format(const char *prefix, int64_t id, char *buf);

/* Parses TEXT (LEN bytes) expecting PREFIX. Returns 0 and sets *ID, or -1
 * when the prefix differs or the body is not 13 valid base32 characters. */
int souk_id_parse(const char *prefix, const char *text, size_t len, int64_t *id);

/* Milliseconds since the Unix epoch encoded in ID. */
int64_t souk_id_time_ms(int64_t id);

#endif
