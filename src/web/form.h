/*
 * form.h — application/x-www-form-urlencoded bodies of the storefront's
 * forms (HTML forms POST them). Bounded and strict: a body of at most
 * SOUK_WEB_FORM_MAX_LEN bytes, at most SOUK_WEB_FORM_MAX_FIELDS fields,
 * keys of 1..SOUK_WEB_FORM_KEY_MAX bytes of [a-z0-9_], values of at most
 * SOUK_WEB_FORM_VALUE_MAX bytes after decoding that are valid UTF-8 without
 * NUL or other C0 controls but tab, LF and CR; '+' decodes to a space and
 * %XX to its byte. Anything else is refused as a whole (the caller answers
 * 400): a form the storefront rendered never needs more.
 */
#ifndef SOUK_WEB_FORM_H
#define SOUK_WEB_FORM_H

#include <stddef.h>

#include "core/arena.h"

#define SOUK_WEB_FORM_MAX_LEN 16384
#define SOUK_WEB_FORM_MAX_FIELDS 32
#define SOUK_WEB_FORM_KEY_MAX 32
#define SOUK_WEB_FORM_VALUE_MAX 2048

typedef struct souk_web_field {
    const char *key;   /* NUL-terminated, arena-owned */
    const char *value; /* decoded, NUL-terminated, arena-owned */
    size_t value_len;
} souk_web_field;

typedef struct souk_web_form {
    souk_web_field items[SOUK_WEB_FORM_MAX_FIELDS];
    size_t count;
} souk_web_form;

/* Parses BODY (LEN bytes, may hold NULs) into F; decoded strings live in A.
 * Empty pairs ("a=1&&b=2") are skipped; a pair without '=' has value "".
 * Returns 0, or -1 with a static reason in *ERR (F is then empty). */
int souk_web_form_parse(souk_web_form *f, const char *body, size_t len, souk_arena *a, const char **err);

/* The value of the first field KEY, or NULL. */
const char *souk_web_form_get(const souk_web_form *f, const char *key);

/* True when KEY occurs more than once (callers refuse repeated fields they
 * expect once). */
int souk_web_form_repeated(const souk_web_form *f, const char *key);

#endif
