/*
 * jsonw.h — JSON written straight into a souk_buf, for the hot answers where
 * building a jansson tree, dumping and freeing it costs more than the query
 * (the catalog's list and detail, the answer of a paid checkout). Each piece
 * appends to the buffer; a failed append marks it (souk_buf_failed), so a
 * writer checks once at the end. Numbers, ids and times are written as
 * jansson writes them; strings in one of two escapings (souk_jw_esc). Text
 * that is not strict UTF-8 (a row another tool wrote) becomes
 * "(invalid UTF-8)", as store/row.h reads it into jansson, so the output is
 * always valid JSON.
 */
#ifndef SOUK_CORE_JSONW_H
#define SOUK_CORE_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Appends the string literal LIT (no strlen at run time). */
#define SOUK_JW_LIT(b, lit) souk_buf_add((b), "" lit, sizeof(lit) - 1)

/* True when S (LEN bytes) is strict UTF-8, as jansson checks it: no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
bool souk_jw_utf8_valid(const unsigned char *s, size_t len);

/* How strings are escaped: as jansson writes them (the quote, the backslash
 * and control bytes; the product detail) or, as souk_buf_add_json_string
 * does, also '<', '>' and '&' (the list). Each document keeps the escaping
 * it always had. */
typedef enum souk_jw_esc { SOUK_JW_AS_JANSSON, SOUK_JW_HTML_SAFE } souk_jw_esc;

/* S (LEN bytes; NULL = "") as a JSON string. */
void souk_jw_text(souk_buf *b, const char *s, size_t len, souk_jw_esc esc);

/* NUL-terminated S (NULL = "") as a JSON string. */
void souk_jw_str(souk_buf *b, const char *s, souk_jw_esc esc);

/* V as a JSON number. */
void souk_jw_int(souk_buf *b, int64_t v);

/* V as a JSON number, or null when IS_NULL. */
void souk_jw_int_or_null(souk_buf *b, int64_t v, bool is_null);

/* The typed id "PREFIX_…" of ID as a JSON string. */
void souk_jw_id(souk_buf *b, const char *prefix, int64_t id);

/* US (epoch µs) as an RFC 3339 JSON string. */
void souk_jw_time(souk_buf *b, int64_t us);

#endif
