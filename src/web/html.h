/*
 * html.h — writing HTML into a bounded buffer, escaping by default.
 *
 * Every function that inserts text escapes it for where it goes: element
 * text and quoted attribute values alike get & < > " ' as character
 * references, so a hostile product title renders as text wherever it is
 * put. Markup itself goes in only through SOUK_HTML_LIT, which accepts a
 * string literal and nothing else (a variable does not compile), so no
 * outside string can reach the page unescaped. URLs are checked before
 * they go into href/src (souk_html_url). JSON for <script
 * type="application/ld+json"> escapes < > & as \u003c… so it cannot close
 * the script element (souk_html_json).
 */
#ifndef SOUK_WEB_HTML_H
#define SOUK_WEB_HTML_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Appends the markup literal S (a string literal only: "" S "" fails to
 * compile for anything else). */
#define SOUK_HTML_LIT(b, s) souk_buf_add((b), "" s "", sizeof(s) - 1)

/* Appends S (NUL-terminated; NULL appends nothing) escaped for element
 * text or a quoted attribute value. Invalid UTF-8 bytes become U+FFFD. */
void souk_html_text(souk_buf *b, const char *s);

/* The same for LEN bytes of S. */
void souk_html_textn(souk_buf *b, const char *s, size_t len);

/* Appends the decimal V. */
void souk_html_int(souk_buf *b, int64_t v);

/* True when URL may go into href/src: a path on this site ("/…", not "//…",
 * no backslash, no control or space characters) or an absolute http(s) URL
 * with the same restrictions. */
int souk_html_url_ok(const char *url);

/* Appends URL escaped as an attribute value when souk_html_url_ok, else
 * FALLBACK (a literal such as "/" or "#"). */
void souk_html_url(souk_buf *b, const char *url, const char *fallback);

/* Appends the query-string encoding of S (unreserved bytes as they are,
 * space as '+', every other byte as %XX) — for building links; the result
 * is then safe in an attribute too. */
void souk_html_query_value(souk_buf *b, const char *s);

/* Appends J serialized compactly, with every '<', '>' and '&' written as a
 * \u escape (they only occur inside JSON strings), safe inside a
 * <script type="application/ld+json"> element. 0, or -1 when J cannot be
 * serialized. */
int souk_html_json(souk_buf *b, const json_t *j);

/* Appends AMOUNT minor units of CURRENCY as shoppers read it ("USD 12.50"). */
void souk_html_money(souk_buf *b, int64_t amount, const char *currency);

/* The same, from a Money object {"amount","currency"} (nothing for null). */
void souk_html_money_json(souk_buf *b, const json_t *money);

#endif
