/* query_spec.c — declarative query-parameter decoding (see query_spec.h). */
#include "core/query_spec.h"

#include <stdio.h>
#include <string.h>

#include "core/cursor.h"
#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

static const souk_query_field *find(const souk_query_spec *spec, const char *name, size_t *index)
{
    for (size_t i = 0; i < spec->nfields; i++)
        if (strcmp(spec->fields[i].name, name) == 0) {
            *index = i;
            return &spec->fields[i];
        }
    return NULL;
}

/* "must be one of a, b, c" for VALUES */
static const char *one_of(const char *const *values, souk_arena *a)
{
    char buf[512];
    size_t n = (size_t)snprintf(buf, sizeof buf, "must be one of ");
    for (int i = 0; values[i] && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? ", " : "", values[i]);
    return souk_arena_strdup(a, buf);
}

/* Stores V into DST per F; NULL when accepted, else the problem. */
static const char *decode_one(const souk_query_field *f, const char *v, size_t vl, void *dst, souk_arena *a)
{
    int64_t n;
    switch (f->type) {
    case SOUK_QUERY_INT:
        if (souk_query_int(v, f->min, f->max, &n) < 0)
            return f->message ? f->message
                              : souk_arena_printf(a, "must be an integer from %lld to %lld", (long long)f->min,
                                                  (long long)f->max);
        *(int64_t *)dst = n;
        return NULL;
    case SOUK_QUERY_ENUM:
        for (int i = 0; f->values[i]; i++)
            if (strcmp(f->values[i], v) == 0) {
                *(int *)dst = i;
                return NULL;
            }
        return f->message ? f->message : one_of(f->values, a);
    case SOUK_QUERY_TEXT:
        if ((int64_t)vl < f->min || (int64_t)vl > f->max || memchr(v, '\0', vl))
            return f->message
                       ? f->message
                       : souk_arena_printf(a, "must be %lld to %lld bytes", (long long)f->min, (long long)f->max);
        *(const char **)dst = v;
        return NULL;
    case SOUK_QUERY_ID:
        if (souk_id_parse(f->what, v, vl, &n) < 0)
            return f->message ? f->message : souk_arena_printf(a, "must be an id (%s_…)", f->what);
        *(int64_t *)dst = n;
        return NULL;
    case SOUK_QUERY_TIME:
        if (souk_time_parse(v, vl, &n) < 0)
            return f->message ? f->message : "must be an RFC 3339 date-time such as 2026-01-15T10:30:00Z";
        *(int64_t *)dst = n;
        return NULL;
    case SOUK_QUERY_CURSOR:
        if (souk_cursor_decode(f->what, v, vl, &n) < 0)
            return f->message ? f->message : "is not a valid cursor";
        *(int64_t *)dst = n;
        return NULL;
    case SOUK_QUERY_CUSTOM: {
        const char *why = f->parse(v, vl, dst, a);
        return why && f->message ? f->message : why;
    }
    }
    return "cannot be read";
}

int souk_query_decode(const souk_query_spec *spec, const souk_query *q, void *out, souk_arena *a, souk_problems *pr)
{
    int bad = 0;
    uint64_t *present = (uint64_t *)((char *)out + spec->present_offset);
    for (size_t i = 0; i < q->count; i++) {
        const char *k = q->items[i].key;
        size_t index;
        const souk_query_field *f = find(spec, k, &index);
        if (!f) {
            bad = souk_problems_add(pr, a, k, "unknown parameter");
            continue;
        }
        if (*present & (UINT64_C(1) << index)) {
            bad = souk_problems_add(pr, a, k, "must not be repeated");
            continue;
        }
        *present |= UINT64_C(1) << index;
        const char *why = decode_one(f, q->items[i].value, q->items[i].value_len, (char *)out + f->offset, a);
        if (why)
            bad = souk_problems_add(pr, a, k, "%s", why);
    }
    return bad ? -1 : 0;
}

bool souk_query_present(const souk_query_spec *spec, const void *out, size_t i)
{
    return i < spec->nfields && (*(const uint64_t *)((const char *)out + spec->present_offset) & (UINT64_C(1) << i));
}
