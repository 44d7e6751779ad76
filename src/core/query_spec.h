/*
 * query_spec.h — declarative decoding of query-string parameters, the way
 * core/json.h decodes bodies: a list handler describes the parameters it
 * accepts as a table of souk_query_field (name, type, bounds, where to
 * store it) and calls souk_query_decode once. Unknown and repeated
 * parameters, and values outside their type or bounds, are reported as
 * field problems (422 details) under the parameter's name.
 *
 * Presence: bit i of the uint64_t at spec->present_offset is set when field
 * i appeared. Absent parameters leave the output untouched, so callers set
 * their defaults before decoding.
 */
#ifndef SOUK_QUERY_SPEC_H
#define SOUK_QUERY_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/query.h"

typedef enum souk_query_type {
    SOUK_QUERY_INT,    /* int64_t in min..max (decimal, no sign unless min < 0) */
    SOUK_QUERY_ENUM,   /* int: the index of the value in `values` */
    SOUK_QUERY_TEXT,   /* const char *: min..max bytes (the decoded value, arena-owned) */
    SOUK_QUERY_ID,     /* int64_t from a typed id whose prefix is `what` ("usr") */
    SOUK_QUERY_TIME,   /* int64_t epoch µs from an RFC 3339 date-time */
    SOUK_QUERY_CURSOR, /* int64_t key of a core/cursor.h cursor whose tag is `what` */
    SOUK_QUERY_CUSTOM, /* `parse` stores the value; it returns NULL or the problem */
} souk_query_type;

/* Stores VALUE (LEN bytes) into DST; NULL when accepted, else the message. */
typedef const char *(*souk_query_parser)(const char *value, size_t len, void *dst, souk_arena *a);

typedef struct souk_query_field {
    const char *name;
    souk_query_type type;
    size_t offset;             /* of the destination in the output struct */
    int64_t min, max;          /* INT: value range; TEXT: length in bytes */
    const char *what;          /* ID prefix, CURSOR tag */
    const char *const *values; /* ENUM: NULL-terminated */
    const char *message;       /* the problem when the value is refused; NULL = the type's own */
    souk_query_parser parse;   /* CUSTOM */
} souk_query_field;

typedef struct souk_query_spec {
    const souk_query_field *fields;
    size_t nfields;        /* at most 64 */
    size_t present_offset; /* uint64_t bitmask of fields present */
} souk_query_spec;

/* Field builders; T is the output struct type. Trailing designators set
 * further members, e.g. SOUK_QUERY_F_TEXT("kind", in, kind, 1, 64,
 * .message = "must be a job kind"). */
#define SOUK_QUERY_F_INT(nm, T, member, lo, hi, ...)                                                                   \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_QUERY_INT, .offset = offsetof(T, member), .min = (lo), .max = (hi), __VA_ARGS__     \
    }
#define SOUK_QUERY_F_ENUM(nm, T, member, vals, ...)                                                                    \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_QUERY_ENUM, .offset = offsetof(T, member), .values = (vals), __VA_ARGS__            \
    }
#define SOUK_QUERY_F_TEXT(nm, T, member, lo, hi, ...)                                                                  \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_QUERY_TEXT, .offset = offsetof(T, member), .min = (lo), .max = (hi), __VA_ARGS__    \
    }
#define SOUK_QUERY_F_ID(nm, T, member, prefix, ...)                                                                    \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_QUERY_ID, .offset = offsetof(T, member), .what = (prefix), __VA_ARGS__              \
    }
#define SOUK_QUERY_F_TIME(nm, T, member, ...)                                                                          \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_QUERY_TIME, .offset = offsetof(T, member), __VA_ARGS__                              \
    }
#define SOUK_QUERY_F_CURSOR(nm, T, member, tag, ...)                                                                   \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_QUERY_CURSOR, .offset = offsetof(T, member), .what = (tag), __VA_ARGS__             \
    }
#define SOUK_QUERY_F_CUSTOM(nm, T, member, fn, ...)                                                                    \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_QUERY_CUSTOM, .offset = offsetof(T, member), .parse = (fn), __VA_ARGS__             \
    }
#define SOUK_QUERY_SPEC(T, fields)                                                                                     \
    {                                                                                                                  \
        fields, sizeof fields / sizeof fields[0], offsetof(T, present)                                                 \
    }

/* Decodes Q per SPEC into OUT. Returns 0 when every parameter is known,
 * given once and valid; -1 when problems were recorded in PR (or memory ran
 * out). Default messages: "must be an integer from MIN to MAX", "must be
 * one of a, b, c", "must be MIN to MAX bytes", "must be an id (prefix_…)",
 * "must be an RFC 3339 date-time such as 2026-01-15T10:30:00Z", "is not a
 * valid cursor", "unknown parameter", "must not be repeated". */
int souk_query_decode(const souk_query_spec *spec, const souk_query *q, void *out, souk_arena *a, souk_problems *pr);

/* True when field I of SPEC was present in the decoded struct OUT. */
bool souk_query_present(const souk_query_spec *spec, const void *out, size_t i);

#endif
