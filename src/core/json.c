/* json.c — see json.h. */
#include "core/json.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/banned.h"

size_t souk_utf8_len(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* Offset of the bracket that opens level SOUK_JSON_MAX_DEPTH + 1, or
 * SIZE_MAX: nesting beyond the limit is refused before jansson recurses. */
static size_t too_deep_at(const char *s, size_t len)
{
    int depth = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > SOUK_JSON_MAX_DEPTH)
                return i;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return SIZE_MAX;
}

/* Offset of the first byte of S that does not belong to a well-formed UTF-8
 * sequence (no overlongs, surrogates or code points past U+10FFFF), or
 * SIZE_MAX when all of S is valid. */
static size_t invalid_utf8_at(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        size_t n = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (n == 0 || i + n > len)
            return i;
        for (size_t k = 1; k < n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) || (c == 0xF0 && s[i + 1] < 0x90) ||
            (c == 0xF4 && s[i + 1] > 0x8F))
            return i;
        i += n;
    }
    return SIZE_MAX;
}

static bool all_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/* Where the data after the first JSON value of BODY starts (jansson's
 * position only says where the offending token ends). */
static size_t trailing_data_at(const char *body, size_t len, size_t fallback)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &je);
    if (!j)
        return fallback;
    json_decref(j);
    size_t i = (size_t)je.position;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
        i++;
    return i < len ? i : fallback;
}

/* Writes into ERR what is wrong with BODY, in our own words: jansson's text
 * names its flags and echoes bits of the input, and neither may reach a
 * client. Offsets count bytes from 0. */
static void describe_error(const char *body, size_t len, const json_error_t *je, char *err, size_t errlen)
{
    size_t pos = je->position > 0 ? (size_t)je->position : 0;
    size_t near = pos > 0 ? pos - 1 : 0; /* jansson counts the bytes it read, the offending one included */
    size_t at;
    switch (json_error_code(je)) {
    case json_error_invalid_utf8:
        at = invalid_utf8_at(body, len);
        snprintf(err, errlen, "invalid UTF-8 at byte %zu", at != SIZE_MAX ? at : pos);
        break;
    case json_error_premature_end_of_input:
        snprintf(err, errlen, "the body ends before the JSON value is complete (at byte %zu)", len);
        break;
    case json_error_end_of_input_expected:
        snprintf(err, errlen, "unexpected data after the JSON value at byte %zu", trailing_data_at(body, len, near));
        break;
    case json_error_null_character:
    case json_error_null_byte_in_key:
        snprintf(err, errlen, "NUL characters (\\u0000) are not allowed, near byte %zu", near);
        break;
    case json_error_duplicate_key: snprintf(err, errlen, "duplicate object key near byte %zu", near); break;
    case json_error_numeric_overflow: snprintf(err, errlen, "number out of range near byte %zu", near); break;
    case json_error_invalid_syntax: snprintf(err, errlen, "unexpected character near byte %zu", near); break;
    default: snprintf(err, errlen, "not valid JSON near byte %zu", near); break;
    }
}

json_t *souk_json_parse_object(const char *body, size_t len, char *err, size_t errlen)
{
    if (all_space(body, len)) {
        snprintf(err, errlen, "the body is empty");
        return NULL;
    }
    const char *nul = memchr(body, '\0', len);
    if (nul) { /* never valid in JSON text, raw: strings must escape it */
        snprintf(err, errlen, "a NUL byte at byte %zu", (size_t)(nul - body));
        return NULL;
    }
    size_t deep = too_deep_at(body, len);
    if (deep != SIZE_MAX) {
        snprintf(err, errlen, "nesting deeper than %d levels at byte %zu", SOUK_JSON_MAX_DEPTH, deep);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!j) {
        describe_error(body, len, &je, err, errlen);
        return NULL;
    }
    if (!json_is_object(j)) {
        snprintf(err, errlen, "the body must be a JSON object, not %s",
                 json_is_array(j)     ? "an array"
                 : json_is_string(j)  ? "a string"
                 : json_is_number(j)  ? "a number"
                 : json_is_boolean(j) ? "a boolean"
                                      : "null");
        json_decref(j);
        return NULL;
    }
    return j;
}

static const char *field_path(souk_arena *a, const char *path, const char *name)
{
    if (!path || !*path)
        return name;
    const char *p = souk_arena_printf(a, "%s.%s", path, name);
    return p ? p : name;
}

static const char *type_name(souk_json_type t)
{
    switch (t) {
    case SOUK_JSON_STRING:
    case SOUK_JSON_ENUM:
    case SOUK_JSON_ID: return "a string";
    case SOUK_JSON_INT: return "an integer";
    case SOUK_JSON_BOOL: return "a boolean";
    case SOUK_JSON_STRMAP: return "an object of strings";
    case SOUK_JSON_ARRAY: return "an array";
    case SOUK_JSON_STRLIST: return "an array of strings";
    }
    return "a value";
}

static int decode_string(const souk_json_field *f, const json_t *v, const char *fp, char *dst, souk_arena *a,
                         souk_problems *pr)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    size_t chars = souk_utf8_len(s, len);
    if ((int64_t)chars < f->min)
        return souk_problems_add(pr, a, fp, f->min == 1 ? "must not be empty" : "must be at least %lld characters",
                                 (long long)f->min);
    if (f->max && (int64_t)chars > f->max)
        return souk_problems_add(pr, a, fp, "must be at most %lld characters", (long long)f->max);
    if (memchr(s, '\0', len))
        return souk_problems_add(pr, a, fp, "must not contain NUL characters");
    if (f->check) {
        const char *why = f->check(s, len);
        if (why)
            return souk_problems_add(pr, a, fp, "%s", why);
    }
    char *copy = souk_arena_strndup(a, s, len);
    if (!copy)
        return souk_problems_add(pr, a, fp, "too large");
    memcpy(dst, &copy, sizeof copy);
    return 0;
}

static int decode_field(const souk_json_field *f, const json_t *v, const char *fp, char *dst, souk_arena *a,
                        souk_problems *pr)
{
    switch (f->type) {
    case SOUK_JSON_STRING:
        if (!json_is_string(v))
            break;
        return decode_string(f, v, fp, dst, a, pr);
    case SOUK_JSON_INT: {
        if (!json_is_integer(v))
            break;
        int64_t n = (int64_t)json_integer_value(v);
        if (n < f->min || n > f->max)
            return souk_problems_add(pr, a, fp, "must be between %lld and %lld", (long long)f->min, (long long)f->max);
        memcpy(dst, &n, sizeof n);
        return 0;
    }
    case SOUK_JSON_BOOL: {
        if (!json_is_boolean(v))
            break;
        bool b = json_is_true(v);
        memcpy(dst, &b, sizeof b);
        return 0;
    }
    case SOUK_JSON_ENUM: {
        if (!json_is_string(v))
            break;
        const char *s = json_string_value(v);
        for (int i = 0; f->enum_values[i]; i++)
            if (strcmp(s, f->enum_values[i]) == 0) {
                memcpy(dst, &i, sizeof i);
                return 0;
            }
        char allowed[256] = "";
        size_t off = 0;
        for (int i = 0; f->enum_values[i] && off < sizeof allowed; i++) {
            int n = snprintf(allowed + off, sizeof allowed - off, "%s%s", i ? ", " : "", f->enum_values[i]);
            if (n < 0)
                break;
            off += (size_t)n;
        }
        return souk_problems_add(pr, a, fp, "must be one of: %s", allowed);
    }
    case SOUK_JSON_ID: {
        if (!json_is_string(v))
            break;
        int64_t id;
        if (souk_id_parse(f->what, json_string_value(v), json_string_length(v), &id) < 0)
            return souk_problems_add(pr, a, fp, "must be a %s id (%s_...)", f->what, f->what);
        memcpy(dst, &id, sizeof id);
        return 0;
    }
    case SOUK_JSON_STRMAP: {
        if (!json_is_object(v))
            break;
        size_t n = json_object_size(v);
        if ((int64_t)n < f->min || (int64_t)n > f->max)
            return souk_problems_add(pr, a, fp, "must have between %lld and %lld entries", (long long)f->min,
                                     (long long)f->max);
        souk_json_strmap m = {souk_arena_alloc(a, (n + 1) * sizeof(char *)),
                              souk_arena_alloc(a, (n + 1) * sizeof(char *)), 0};
        if (!m.keys || !m.values)
            return souk_problems_add(pr, a, fp, "too large");
        const char *key;
        json_t *val;
        int bad = 0;
        json_object_foreach((json_t *)v, key, val)
        {
            const char *kp = field_path(a, fp, key);
            const char *why = f->check ? f->check(key, strlen(key)) : NULL;
            if (why) {
                bad = souk_problems_add(pr, a, kp, "%s", why);
                continue;
            }
            if (!json_is_string(val)) {
                bad = souk_problems_add(pr, a, kp, "must be a string");
                continue;
            }
            size_t vl = json_string_length(val);
            if (f->vmax && (int64_t)souk_utf8_len(json_string_value(val), vl) > f->vmax) {
                bad = souk_problems_add(pr, a, kp, "must be at most %lld characters", (long long)f->vmax);
                continue;
            }
            if (memchr(json_string_value(val), '\0', vl)) {
                bad = souk_problems_add(pr, a, kp, "must not contain NUL characters");
                continue;
            }
            m.keys[m.count] = souk_arena_strdup(a, key);
            m.values[m.count] = souk_arena_strndup(a, json_string_value(val), vl);
            if (!m.keys[m.count] || !m.values[m.count])
                return souk_problems_add(pr, a, fp, "too large");
            m.count++;
        }
        if (bad)
            return -1;
        memcpy(dst, &m, sizeof m);
        return 0;
    }
    case SOUK_JSON_STRLIST: {
        if (!json_is_array(v))
            break;
        size_t n = json_array_size(v);
        if ((int64_t)n < f->min || (int64_t)n > f->max)
            return souk_problems_add(pr, a, fp, "must have between %lld and %lld items", (long long)f->min,
                                     (long long)f->max);
        souk_json_strlist l = {souk_arena_alloc(a, (n + 1) * sizeof(char *)), 0};
        if (!l.items)
            return souk_problems_add(pr, a, fp, "too large");
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *item = json_array_get(v, i);
            const char *ip = souk_arena_printf(a, "%s[%zu]", fp, i);
            if (!json_is_string(item)) {
                bad = souk_problems_add(pr, a, ip ? ip : fp, "must be a string");
                continue;
            }
            const char *str = json_string_value(item);
            size_t len = json_string_length(item);
            const char *why = memchr(str, '\0', len) ? "must not contain NUL characters"
                              : f->vmax && (int64_t)souk_utf8_len(str, len) > f->vmax ? "is too long"
                              : f->check                                              ? f->check(str, len)
                                                                                      : NULL;
            if (why) {
                bad = souk_problems_add(pr, a, ip ? ip : fp, "%s", why);
                continue;
            }
            if (!(l.items[l.count++] = souk_arena_strndup(a, str, len)))
                return souk_problems_add(pr, a, fp, "too large");
        }
        if (bad)
            return -1;
        memcpy(dst, &l, sizeof l);
        return 0;
    }
    case SOUK_JSON_ARRAY: {
        if (!json_is_array(v))
            break;
        size_t n = json_array_size(v);
        if ((int64_t)n < f->min || (int64_t)n > f->max)
            return souk_problems_add(pr, a, fp, "must have between %lld and %lld items", (long long)f->min,
                                     (long long)f->max);
        souk_json_array arr = {souk_arena_calloc(a, n * f->sub->size + 1), n};
        if (!arr.items)
            return souk_problems_add(pr, a, fp, "too large");
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            const char *ep = souk_arena_printf(a, "%s[%zu]", fp, i);
            if (souk_json_decode(f->sub, json_array_get(v, i), (char *)arr.items + i * f->sub->size, ep ? ep : fp, a,
                                 pr) < 0)
                bad = -1;
        }
        if (bad)
            return -1;
        memcpy(dst, &arr, sizeof arr);
        return 0;
    }
    }
    return souk_problems_add(pr, a, fp, "must be %s", type_name(f->type));
}

int souk_json_decode(const souk_json_spec *spec, const json_t *obj, void *out, const char *path, souk_arena *a,
                     souk_problems *pr)
{
    char *base = out;
    memset(out, 0, spec->size);
    if (!json_is_object(obj)) {
        souk_problems_add(pr, a, path && *path ? path : "body", "must be an object");
        return -1;
    }
    uint64_t present = 0, nulls = 0;
    int bad = 0;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        size_t i;
        for (i = 0; i < spec->nfields; i++)
            if (strcmp(spec->fields[i].name, key) == 0)
                break;
        const char *fp = field_path(a, path, key);
        if (i == spec->nfields) {
            bad = souk_problems_add(pr, a, fp, "unknown field");
            continue;
        }
        const souk_json_field *f = &spec->fields[i];
        present |= UINT64_C(1) << i;
        if (json_is_null(val)) {
            if (f->flags & SOUK_JSON_NULLABLE)
                nulls |= UINT64_C(1) << i;
            else
                bad = souk_problems_add(pr, a, fp, "must not be null");
            continue;
        }
        if (decode_field(f, val, fp, base + f->offset, a, pr) < 0)
            bad = -1;
    }
    for (size_t i = 0; i < spec->nfields; i++)
        if ((spec->fields[i].flags & SOUK_JSON_REQUIRED) && !(present & (UINT64_C(1) << i)))
            bad = souk_problems_add(pr, a, field_path(a, path, spec->fields[i].name), "is required");
    memcpy(base + spec->present_offset, &present, sizeof present);
    memcpy(base + spec->null_offset, &nulls, sizeof nulls);
    return bad ? -1 : 0;
}

int souk_json_present(const souk_json_spec *spec, const void *out, size_t i)
{
    uint64_t bits;
    memcpy(&bits, (const char *)out + spec->present_offset, sizeof bits);
    return (bits >> i) & 1;
}

int souk_json_is_null(const souk_json_spec *spec, const void *out, size_t i)
{
    uint64_t bits;
    memcpy(&bits, (const char *)out + spec->null_offset, sizeof bits);
    return (bits >> i) & 1;
}

const char *souk_json_payload_text(const json_t *obj, size_t max, char **text)
{
    *text = NULL;
    if (!json_is_object(obj))
        return "payload is not an object";
    char *t = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!t)
        return "payload does not serialize";
    if (strlen(t) > max) {
        free(t);
        return max == 64 * 1024 ? "payload larger than 64 KiB" : "payload too large";
    }
    *text = t;
    return NULL;
}
