/*
 * json.h — declarative decoding and validation of JSON request bodies.
 *
 * A handler describes the object it accepts as a table of souk_json_field
 * (name, type, bounds, where to store it) and calls souk_json_decode once.
 * Unknown fields, wrong types, out-of-range values and strings that fail
 * their check are all reported as field-level problems (422 details); the
 * output struct is only meaningful when decoding returns 0. Decoded strings
 * are copied into the request arena, so the json_t may be freed afterwards.
 *
 * Presence: bit i of the uint64_t at spec->present_offset is set when field
 * i appeared in the input; bit i of spec->null_offset when it was null (only
 * allowed with SOUK_JSON_NULLABLE). PATCH handlers use these.
 */
#ifndef SOUK_JSON_H
#define SOUK_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

#define SOUK_JSON_MAX_DEPTH 32

typedef enum souk_json_type {
    SOUK_JSON_STRING,  /* const char * (NUL-terminated, arena copy); min/max = length in characters */
    SOUK_JSON_INT,     /* int64_t; min/max = value range */
    SOUK_JSON_BOOL,    /* bool */
    SOUK_JSON_ENUM,    /* int: index into enum_values */
    SOUK_JSON_ID,      /* int64_t from a typed id string; `what` is the prefix ("brand") */
    SOUK_JSON_STRMAP,  /* souk_json_strmap; min/max = entry count, vmax = value length, check = key check */
    SOUK_JSON_ARRAY,   /* souk_json_array of objects per `sub`; min/max = element count */
    SOUK_JSON_STRLIST, /* souk_json_strlist; min/max = item count, vmax = item length, check = item check */
} souk_json_type;

enum { SOUK_JSON_REQUIRED = 1, SOUK_JSON_NULLABLE = 2 };

/* Extra string check: returns NULL when S is acceptable, else a message. */
typedef const char *(*souk_json_check)(const char *s, size_t len);

struct souk_json_spec;

typedef struct souk_json_field {
    const char *name;
    souk_json_type type;
    unsigned flags;
    size_t offset; /* of the destination in the output struct */
    int64_t min, max;
    int64_t vmax;                     /* STRMAP value length */
    const char *what;                 /* ID prefix */
    souk_json_check check;            /* STRING value / STRMAP key check */
    const char *const *enum_values;   /* ENUM: NULL-terminated */
    const struct souk_json_spec *sub; /* ARRAY element spec */
} souk_json_field;

typedef struct souk_json_spec {
    const souk_json_field *fields;
    size_t nfields;        /* at most 64 */
    size_t size;           /* sizeof the output struct (array elements) */
    size_t present_offset; /* uint64_t bitmask of fields present */
    size_t null_offset;    /* uint64_t bitmask of fields given as null */
} souk_json_spec;

/* Field builders (designated, so a builder names only what its type uses);
 * T is the output struct type, which holds `uint64_t present, nulls`. */
#define SOUK_JSON_F_STRING(nm, fl, T, member, lo, hi, chk)                                                             \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_JSON_STRING, .flags = (fl), .offset = offsetof(T, member), .min = (lo),             \
        .max = (hi), .check = (chk)                                                                                    \
    }
#define SOUK_JSON_F_INT(nm, fl, T, member, lo, hi)                                                                     \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_JSON_INT, .flags = (fl), .offset = offsetof(T, member), .min = (lo), .max = (hi)    \
    }
#define SOUK_JSON_F_BOOL(nm, fl, T, member)                                                                            \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_JSON_BOOL, .flags = (fl), .offset = offsetof(T, member)                             \
    }
#define SOUK_JSON_F_ENUM(nm, fl, T, member, vals)                                                                      \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_JSON_ENUM, .flags = (fl), .offset = offsetof(T, member), .enum_values = (vals)      \
    }
#define SOUK_JSON_F_ID(nm, fl, T, member, prefix)                                                                      \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_JSON_ID, .flags = (fl), .offset = offsetof(T, member), .what = (prefix)             \
    }
#define SOUK_JSON_F_STRMAP(nm, fl, T, member, lo, hi, vhi, keychk)                                                     \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_JSON_STRMAP, .flags = (fl), .offset = offsetof(T, member), .min = (lo),             \
        .max = (hi), .vmax = (vhi), .check = (keychk)                                                                  \
    }
#define SOUK_JSON_F_STRLIST(nm, fl, T, member, lo, hi, vhi, itemchk)                                                   \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_JSON_STRLIST, .flags = (fl), .offset = offsetof(T, member), .min = (lo),            \
        .max = (hi), .vmax = (vhi), .check = (itemchk)                                                                 \
    }
#define SOUK_JSON_F_ARRAY(nm, fl, T, member, lo, hi, subspec)                                                          \
    {                                                                                                                  \
        .name = (nm), .type = SOUK_JSON_ARRAY, .flags = (fl), .offset = offsetof(T, member), .min = (lo), .max = (hi), \
        .sub = (subspec)                                                                                               \
    }
/* the spec of T from an array of fields */
#define SOUK_JSON_SPEC(T, flds)                                                                                        \
    {                                                                                                                  \
        (flds), sizeof(flds) / sizeof((flds)[0]), sizeof(T), offsetof(T, present), offsetof(T, nulls)                  \
    }

typedef struct souk_json_strmap {
    const char **keys;
    const char **values;
    size_t count;
} souk_json_strmap;

typedef struct souk_json_strlist {
    const char **items;
    size_t count;
} souk_json_strlist;

typedef struct souk_json_array {
    void *items; /* count elements of spec->size bytes */
    size_t count;
} souk_json_array;

/* Parses BODY (LEN bytes) as one JSON object. Nesting deeper than
 * SOUK_JSON_MAX_DEPTH, invalid UTF-8, NUL bytes and \u0000, duplicate keys,
 * trailing garbage and other top-level types are rejected. Returns the
 * object (caller decrefs) or NULL with a message in ERR that may be shown to
 * a client: our own words and a byte offset (from 0) where one is known,
 * e.g. "unexpected character near byte 17" — never jansson's text, never
 * bytes of BODY. */
json_t *souk_json_parse_object(const char *body, size_t len, char *err, size_t errlen);

/* Decodes OBJ per SPEC into OUT (zeroed first). PATH prefixes field names in
 * problems ("" at the top, "variants[2]" inside arrays). Returns 0 when valid,
 * -1 when problems were recorded in PR (or the arena ran out). */
int souk_json_decode(const souk_json_spec *spec, const json_t *obj, void *out, const char *path, souk_arena *a,
                     souk_problems *pr);

/* True when field I of SPEC was present / null in the decoded struct. */
int souk_json_present(const souk_json_spec *spec, const void *out, size_t i);
int souk_json_is_null(const souk_json_spec *spec, const void *out, size_t i);

/* Serializes the payload object OBJ compactly (ASCII only) into *TEXT
 * (malloc'd, caller frees) when it fits in MAX bytes. Returns NULL when it
 * did, else why not ("payload is not an object", "payload does not
 * serialize", "payload larger than N KiB"; *TEXT is then NULL). */
const char *souk_json_payload_text(const json_t *obj, size_t max, char **text);

/* Number of UTF-8 code points in S (LEN bytes, assumed valid UTF-8). */
size_t souk_utf8_len(const char *s, size_t len);

#endif
