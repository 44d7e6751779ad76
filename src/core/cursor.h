/*
 * cursor.h — the opaque page cursor of keyset-paginated admin lists (audit
 * log, jobs, mail outbox): base64url (no padding) of "<tag>|<key>", where
 * TAG names the list and its version ("a1", "j1", "m1") so a cursor from one
 * list is refused by another, and KEY is the positive int64 the next page
 * starts after. Decoding is bounded and strict: a tampered cursor is an
 * error for the caller to answer with 422, never a query.
 */
#ifndef SOUK_CORE_CURSOR_H
#define SOUK_CORE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#define SOUK_CURSOR_TEXT_MAX 64 /* longest cursor text, with its NUL */

/* Writes the cursor for TAG (≤ 8 characters) and KEY into OUT
 * (SOUK_CURSOR_TEXT_MAX bytes); returns OUT. */
char *souk_cursor_encode(const char *tag, int64_t key, char out[SOUK_CURSOR_TEXT_MAX]);

/* Reads TEXT (LEN bytes) as a cursor of TAG into *KEY (≥ 1). 0, or -1 when
 * it is empty, too long, not base64url, of another tag or not a key. */
int souk_cursor_decode(const char *tag, const char *text, size_t len, int64_t *key);

#endif
