/*
 * settings.c — search settings in the database: the weights codec (one
 * table of names, places and ranges), reading and writing the rows, and
 * loading what the served index applies (see settings.h).
 */
#include "search/settings.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/banned.h"

static const char *const field_names[SOUK_SEARCH_NFIELDS] = {
    [SOUK_SEARCH_F_SKU] = "sku",
    [SOUK_SEARCH_F_TITLE] = "title",
    [SOUK_SEARCH_F_BRAND] = "brand",
    [SOUK_SEARCH_F_CATEGORY] = "category",
    [SOUK_SEARCH_F_ATTRS] = "attributes",
    [SOUK_SEARCH_F_VENDOR] = "vendor",
    [SOUK_SEARCH_F_DESCRIPTION] = "description",
};

static const struct scalar {
    const char *name;
    size_t off;
    double lo, hi;
} scalars[] = {
    {"k1", offsetof(souk_search_weights, k1), 0.01, 10},
    {"popularity", offsetof(souk_search_weights, popularity), 0, 10},
    {"in_stock", offsetof(souk_search_weights, in_stock), 0, 10},
    {"prefix", offsetof(souk_search_weights, prefix), 0, 1},
    {"typo1", offsetof(souk_search_weights, typo1), 0, 1},
    {"typo2", offsetof(souk_search_weights, typo2), 0, 1},
    {"synonym", offsetof(souk_search_weights, synonym), 0, 1},
    {"concat", offsetof(souk_search_weights, concat), 0, 1},
    {"sku_exact", offsetof(souk_search_weights, sku_exact), 0, 1e9},
};
#define NSCALARS (sizeof scalars / sizeof scalars[0])

/* Reads number V of PATH.NAME into *OUT when in LO..HI; else a problem. */
static int number(const json_t *v, const char *path, const char *name, double lo, double hi, double *out, souk_arena *a,
                  souk_problems *pr)
{
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(d) || d < lo || d > hi) {
        if (pr)
            souk_problems_add(pr, a, souk_arena_printf(a, "%s.%s", path, name), "must be a number from %g to %g", lo,
                              hi);
        return -1;
    }
    *out = d;
    return 0;
}

/* The per-field object V (field or b) into ARR; problems under PATH.KEY.NAME. */
static int per_field(const json_t *v, const char *path, const char *key, double hi, double *arr, souk_arena *a,
                     souk_problems *pr)
{
    char *sub = souk_arena_printf(a, "%s.%s", path, key);
    if (!json_is_object(v) || !sub) {
        if (pr)
            souk_problems_add(pr, a, sub ? sub : key, "must be an object of field names");
        return -1;
    }
    int bad = 0;
    const char *name;
    json_t *x;
    json_object_foreach((json_t *)v, name, x)
    {
        int f = 0;
        while (f < SOUK_SEARCH_NFIELDS && strcmp(field_names[f], name) != 0)
            f++;
        if (f == SOUK_SEARCH_NFIELDS) {
            if (pr)
                souk_problems_add(pr, a, souk_arena_printf(a, "%s.%s", sub, name),
                                  "unknown field (sku, title, brand, category, attributes, vendor, description)");
            bad = -1;
        } else if (number(x, sub, name, 0, hi, &arr[f], a, pr) < 0)
            bad = -1;
    }
    return bad;
}

int souk_search_weights_decode(const json_t *obj, const char *path, souk_search_weights *w, souk_arena *a,
                               souk_problems *pr)
{
    *w = souk_search_weights_default;
    if (!json_is_object(obj)) {
        if (pr)
            souk_problems_add(pr, a, path, "must be an object");
        return -1;
    }
    int bad = 0;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)obj, name, v)
    {
        if (strcmp(name, "field") == 0) {
            bad |= per_field(v, path, name, 100, w->field, a, pr);
            continue;
        }
        if (strcmp(name, "b") == 0) {
            bad |= per_field(v, path, name, 1, w->b, a, pr);
            continue;
        }
        size_t i = 0;
        while (i < NSCALARS && strcmp(scalars[i].name, name) != 0)
            i++;
        if (i == NSCALARS) {
            if (pr)
                souk_problems_add(pr, a, souk_arena_printf(a, "%s.%s", path, name), "unknown weight");
            bad = -1;
        } else if (number(v, path, name, scalars[i].lo, scalars[i].hi, (double *)((char *)w + scalars[i].off), a, pr) <
                   0)
            bad = -1;
    }
    return bad ? -1 : 0;
}

json_t *souk_search_weights_encode(const souk_search_weights *w)
{
    json_t *o = json_object(), *fo = json_object(), *bo = json_object();
    if (!o || !fo || !bo) {
        json_decref(o);
        json_decref(fo);
        json_decref(bo);
        return NULL;
    }
    for (int f = 0; f < SOUK_SEARCH_NFIELDS; f++) {
        json_object_set_new(fo, field_names[f], json_real(w->field[f]));
        json_object_set_new(bo, field_names[f], json_real(w->b[f]));
    }
    json_object_set_new(o, "field", fo);
    json_object_set_new(o, "b", bo);
    for (size_t i = 0; i < NSCALARS; i++)
        json_object_set_new(o, scalars[i].name, json_real(*(const double *)((const char *)w + scalars[i].off)));
    return o;
}

int souk_search_settings_get(souk_store *db, const char *name, json_t **out)
{
    *out = NULL;
    char *text = NULL;
    int r = souk_store_one(db, "SELECT value FROM search_settings WHERE name = $1", SOUK_ARGS(SOUK_TEXT(name)),
                           SOUK_COLS(SOUK_COL_DUP(&text)));
    if (r != SOUK_DB_ROW)
        return r;
    *out = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    free(text);
    return *out ? SOUK_DB_ROW : SOUK_DB_HARD;
}

int souk_search_settings_put(souk_store *db, const char *name, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return SOUK_DB_HARD;
    int r = souk_store_exec(db,
                            "INSERT INTO search_settings (name, value, updated_at) VALUES ($1, $2, $3) "
                            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                            SOUK_ARGS(SOUK_TEXT(name), SOUK_TEXT(text), SOUK_I64(souk_time_now_us())));
    free(text);
    if (r < 0)
        return r;
    return souk_store_touch(db, SOUK_SEARCH_SETTINGS_VERSION);
}

char *souk_search_settings_rules_text(const json_t *rules, size_t *len)
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(rules, i, v)
    {
        if (!json_is_string(v))
            return NULL;
        n += json_string_length(v) + 1;
    }
    char *s = malloc(n + 1), *p = s;
    if (!s)
        return NULL;
    json_array_foreach(rules, i, v)
    {
        memcpy(p, json_string_value(v), json_string_length(v));
        p += json_string_length(v);
        *p++ = '\n';
    }
    *p = '\0';
    *len = n;
    return s;
}

int souk_search_settings_load(souk_store *db, souk_search_text *t, souk_search_weights *w, bool *has_weights,
                              souk_search_synonyms **synonyms, char *err, size_t errlen)
{
    *synonyms = NULL;
    *has_weights = false;
    *w = souk_search_weights_default;
    json_t *wj = NULL, *sj = NULL;
    int r = souk_search_settings_get(db, "weights", &wj);
    if (r >= 0)
        r = souk_search_settings_get(db, "synonyms", &sj);
    if (r < 0) {
        json_decref(wj);
        snprintf(err, errlen, "cannot read the search settings: %s", souk_store_errmsg(db));
        return -1;
    }
    int rc = 0;
    if (wj) {
        souk_arena a;
        souk_arena_init(&a, 4096, 1u << 20);
        if (souk_search_weights_decode(wj, "weights", w, &a, NULL) < 0) {
            snprintf(err, errlen, "the stored search weights are not valid");
            rc = -1;
        }
        *has_weights = rc == 0;
        souk_arena_release(&a);
    }
    if (rc == 0 && sj && json_array_size(sj) > 0) {
        size_t len;
        char *text = souk_search_settings_rules_text(sj, &len);
        if (!text) {
            snprintf(err, errlen, "the stored synonyms are not a list of rules");
            rc = -1;
        } else {
            char why[256];
            int pr = souk_search_synonyms_parse(synonyms, text, len, t, why, sizeof why);
            if (pr < 0) {
                snprintf(err, errlen, "the stored synonyms do not parse: %s", pr == -1 ? why : "out of memory");
                *synonyms = NULL;
                rc = -1;
            }
            free(text);
        }
    }
    json_decref(wj);
    json_decref(sj);
    if (rc < 0) {
        *w = souk_search_weights_default;
        *has_weights = false;
    }
    return rc;
}
