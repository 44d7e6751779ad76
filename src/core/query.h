/*
 * query.h — application/x-www-form-urlencoded query-string parsing.
 * Bounded: at most SOUK_QUERY_MAX_PARAMS pairs and SOUK_QUERY_MAX_LEN bytes.
 */
#ifndef SOUK_QUERY_H
#define SOUK_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

#define SOUK_QUERY_MAX_PARAMS 32
#define SOUK_QUERY_MAX_LEN 4096

typedef struct souk_query_param {
    const char *key;   /* decoded, NUL-terminated, arena-owned */
    const char *value; /* decoded; "" when the pair had no '=' */
    size_t value_len;
} souk_query_param;

typedef struct souk_query {
    souk_query_param items[SOUK_QUERY_MAX_PARAMS];
    size_t count;
} souk_query;

/* Parses RAW (LEN bytes, without the leading '?') into Q, decoding %XX and
 * '+'. Returns 0, or -1 with a reason in ERR when the string is too long,
 * has too many pairs, bad percent escapes, or decodes to NUL bytes / invalid
 * UTF-8. Empty pairs ("a=1&&b=2") are skipped. */
int souk_query_parse(souk_query *q, const char *raw, size_t len, souk_arena *a, const char **err);

/* Parses S as a decimal integer (optional leading '-', no spaces, at most 19
 * digits) within MIN..MAX into *OUT. 0, or -1 when S is anything else. */
int souk_query_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* The value of hexadecimal digit C (0-15), or -1 when C is not one. */
int souk_query_hex_digit(char c);

/* First value of KEY, or NULL. */
const char *souk_query_get(const souk_query *q, const char *key);

#endif
