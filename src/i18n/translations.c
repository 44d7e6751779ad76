/*
 * translations.c — translated fields of catalog objects: decoded, stored,
 * removed, read back. One row per (kind, object, field, locale) in
 * i18n_translations; the catalog joins the rows into its reads, so the
 * fallback (no row: the object's own field) costs no code here.
 */
#include "i18n/i18n.h"

#include <stdio.h>
#include <string.h>

#include "cart/cart.h"
#include "catalog/catalog.h"
#include "core/banned.h"

#define CONTENT_VERSION SOUK_CONTENT
#define ATTR "attr:"

static const char *const kind_names[SOUK_I18N_KIND_COUNT] = {"product", "category", "brand", "shipping_method"};
static const char *const kind_routes[SOUK_I18N_KIND_COUNT] = {"products", "categories", "brands", "shipping-methods"};

const char *souk_i18n_kind_name(souk_i18n_kind kind)
{
    return kind >= 0 && kind < SOUK_I18N_KIND_COUNT ? kind_names[kind] : "";
}

int souk_i18n_kind_parse(const char *name)
{
    for (int i = 0; name && i < SOUK_I18N_KIND_COUNT; i++)
        if (strcmp(kind_routes[i], name) == 0)
            return i;
    return -1;
}

const char *souk_i18n_kind_prefix(souk_i18n_kind kind)
{
    static const char *const prefixes[SOUK_I18N_KIND_COUNT] = {SOUK_PREFIX_PRODUCT, SOUK_PREFIX_CATEGORY,
                                                               SOUK_PREFIX_BRAND, "ship"};
    return kind >= 0 && kind < SOUK_I18N_KIND_COUNT ? prefixes[kind] : SOUK_PREFIX_PRODUCT;
}

souk_err souk_i18n_object_exists(souk_store *db, souk_i18n_kind kind, int64_t id)
{
    if (kind == SOUK_I18N_PRODUCT) {
        int64_t vendor;
        return souk_catalog_product_vendor(db, id, &vendor);
    }
    if (kind == SOUK_I18N_SHIPPING_METHOD)
        return souk_cart_shipping_method_exists(db, id);
    json_t *o = NULL;
    souk_err e = kind == SOUK_I18N_CATEGORY ? souk_catalog_category_get(db, id, &o)
                                            : souk_catalog_taxon_get(db, SOUK_TAXON_BRAND, id, &o);
    json_decref(o);
    return e;
}

/* A text member NAME of BODY (MIN..MAX bytes, or null) appended to OUT. */
static int text_member(const json_t *body, const char *name, const char *field, size_t min, size_t max,
                       souk_i18n_field *out, size_t *n, souk_arena *a, souk_problems *pr)
{
    const json_t *v = json_object_get(body, name);
    if (!v)
        return 0;
    if (json_is_null(v)) {
        out[(*n)++] = (souk_i18n_field){field, NULL};
        return 0;
    }
    size_t len = json_string_length(v);
    if (!json_is_string(v) || len < min || len > max || memchr(json_string_value(v), 0, len))
        return souk_problems_add(pr, a, name, "must be a string of %zu to %zu bytes, or null to remove it", min, max);
    out[(*n)++] = (souk_i18n_field){field, souk_arena_strdup(a, json_string_value(v))};
    return 0;
}

int souk_i18n_fields_decode(souk_i18n_kind kind, const json_t *body, souk_i18n_field *out, size_t *n, souk_arena *a,
                            souk_problems *pr)
{
    *n = 0;
    if (!json_is_object(body))
        return souk_problems_add(pr, a, "", "must be an object");
    static const char *const product_keys[] = {"title", "description", "attributes", NULL};
    static const char *const taxon_keys[] = {"name", NULL};
    const char *const *keys = kind == SOUK_I18N_PRODUCT ? product_keys : taxon_keys;
    const char *k;
    json_t *v;
    int bad = 0;
    json_object_foreach((json_t *)body, k, v)
    {
        bool known = false;
        for (size_t i = 0; keys[i] && !known; i++)
            known = strcmp(keys[i], k) == 0;
        if (!known)
            bad = souk_problems_add(pr, a, k, "unknown member");
    }
    if (bad)
        return -1;
    if (kind != SOUK_I18N_PRODUCT)
        return text_member(body, "name", "name", 1, SOUK_CATALOG_NAME_MAX, out, n, a, pr);
    if (text_member(body, "title", "title", 1, SOUK_CATALOG_NAME_MAX, out, n, a, pr) < 0 ||
        text_member(body, "description", "description", 0, SOUK_CATALOG_DESC_MAX, out, n, a, pr) < 0)
        return -1;
    const json_t *attrs = json_object_get(body, "attributes");
    if (!attrs)
        return 0;
    if (!json_is_object(attrs) || json_object_size(attrs) > SOUK_CATALOG_ATTRS_MAX)
        return souk_problems_add(pr, a, "attributes", "must be an object of at most %d attribute values",
                                 SOUK_CATALOG_ATTRS_MAX);
    json_object_foreach((json_t *)attrs, k, v)
    {
        const char *why = souk_catalog_check_attr_name(k, strlen(k));
        const char *field = souk_arena_printf(a, "attributes.%s", k);
        if (why)
            return souk_problems_add(pr, a, field, "%s", why);
        size_t len = json_string_length(v);
        if (!json_is_null(v) && (!json_is_string(v) || len > 200 || memchr(json_string_value(v), 0, len)))
            return souk_problems_add(pr, a, field, "must be a string of at most 200 bytes, or null to remove it");
        out[(*n)++] = (souk_i18n_field){souk_arena_printf(a, ATTR "%s", k),
                                        json_is_null(v) ? NULL : souk_arena_strdup(a, json_string_value(v))};
    }
    return 0;
}

souk_err souk_i18n_set_tx(souk_store *db, souk_i18n_kind kind, int64_t id, const char *locale,
                          const souk_i18n_field *fields, size_t n, int64_t now)
{
    const char *kn = souk_i18n_kind_name(kind);
    int r = 0;
    for (size_t i = 0; r >= 0 && i < n; i++) {
        if (!fields[i].value)
            r = souk_store_exec(db,
                                "DELETE FROM i18n_translations WHERE kind = $1 AND object_id = $2 AND field = $3 "
                                "AND locale = $4",
                                SOUK_ARGS(SOUK_TEXT(kn), SOUK_I64(id), SOUK_TEXT(fields[i].field), SOUK_TEXT(locale)));
        else
            r = souk_store_exec(db,
                                "INSERT INTO i18n_translations (kind, object_id, field, locale, value, updated_at) "
                                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, object_id, locale, field) "
                                "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                                SOUK_ARGS(SOUK_TEXT(kn), SOUK_I64(id), SOUK_TEXT(fields[i].field), SOUK_TEXT(locale),
                                          SOUK_TEXT(fields[i].value), SOUK_I64(now)));
    }
    if (r >= 0)
        r = souk_store_touch(db, CONTENT_VERSION);
    return souk_store_dberr(r);
}

souk_err souk_i18n_delete_tx(souk_store *db, souk_i18n_kind kind, int64_t id, const char *locale, int64_t *n)
{
    const char *kn = souk_i18n_kind_name(kind);
    int64_t r = locale ? souk_store_update(db,
                                           "DELETE FROM i18n_translations WHERE kind = $1 AND object_id = $2 "
                                           "AND locale = $3",
                                           SOUK_ARGS(SOUK_TEXT(kn), SOUK_I64(id), SOUK_TEXT(locale)))
                       : souk_store_update(db, "DELETE FROM i18n_translations WHERE kind = $1 AND object_id = $2",
                                           SOUK_ARGS(SOUK_TEXT(kn), SOUK_I64(id)));
    if (n)
        *n = r < 0 ? 0 : r;
    if (r > 0)
        r = souk_store_touch(db, CONTENT_VERSION);
    return souk_store_dberr((int)(r < 0 ? r : 0));
}

souk_err souk_i18n_translations_json(souk_store *db, souk_i18n_kind kind, int64_t id, json_t **out)
{
    *out = NULL;
    json_t *all = json_object();
    souk_stmt *st = souk_store_query(db,
                                     "SELECT locale, field, value FROM i18n_translations WHERE kind = $1 AND "
                                     "object_id = $2 ORDER BY locale, field",
                                     SOUK_ARGS(SOUK_TEXT(souk_i18n_kind_name(kind)), SOUK_I64(id)));
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        const char *locale = souk_stmt_text(st, 0, NULL), *field = souk_stmt_text(st, 1, NULL);
        const char *value = souk_stmt_text(st, 2, NULL);
        if (!locale || !field || !value)
            continue;
        json_t *one = json_object_get(all, locale);
        if (!one) {
            one = json_object();
            json_object_set_new(all, locale, one);
        }
        if (strncmp(field, ATTR, strlen(ATTR)) == 0) {
            json_t *attrs = json_object_get(one, "attributes");
            if (!attrs) {
                attrs = json_object();
                json_object_set_new(one, "attributes", attrs);
            }
            json_object_set_new(attrs, field + strlen(ATTR), json_string(value));
        } else {
            json_object_set_new(one, field, json_string(value));
        }
    }
    if (r != SOUK_DB_DONE) {
        json_decref(all);
        return souk_store_dberr(r);
    }
    *out = all;
    return SOUK_OK;
}

const char *souk_i18n_text(souk_store *db, souk_i18n_kind kind, int64_t id, const char *field, const char *locale,
                           const char *fallback, souk_arena *a)
{
    if (!locale)
        return fallback;
    char value[4096] = "";
    int r = souk_store_one(
        db,
        "SELECT value FROM i18n_translations WHERE kind = $1 AND object_id = $2 AND field = $3 "
        "AND locale = $4",
        SOUK_ARGS(SOUK_TEXT(souk_i18n_kind_name(kind)), SOUK_I64(id), SOUK_TEXT(field), SOUK_TEXT(locale)),
        SOUK_COLS(SOUK_COL_STR(value)));
    return r == SOUK_DB_ROW ? souk_arena_strdup(a, value) : fallback;
}
