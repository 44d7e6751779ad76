/*
 * read.c — catalog reads: product detail, variants, categories tree, brands
 * and vendors, in the API's JSON shape. The list lives in list.c.
 */
#include "catalog/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

json_t *souk__catalog_id(const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    return json_string(souk_id_format(prefix, id, buf));
}

json_t *souk__catalog_time(int64_t us)
{
    char buf[SOUK_RFC3339_LEN];
    return json_string(souk_time_format(us, buf));
}

const char *souk__catalog_taxon_table(souk_taxon_kind kind)
{
    return kind == SOUK_TAXON_CATEGORY ? "categories" : kind == SOUK_TAXON_BRAND ? "brands" : "vendors";
}

const char *souk__catalog_taxon_prefix(souk_taxon_kind kind)
{
    return kind == SOUK_TAXON_CATEGORY ? SOUK_PREFIX_CATEGORY
           : kind == SOUK_TAXON_BRAND  ? SOUK_PREFIX_BRAND
                                       : SOUK_PREFIX_VENDOR;
}

const char *const souk__catalog_ref_sql[3] = {
    "SELECT slug, name FROM categories WHERE id = $1",
    "SELECT slug, name FROM brands WHERE id = $1",
    "SELECT slug, name FROM vendors WHERE id = $1",
};

int souk__catalog_row_exists(souk_store *db, const char *sql, const char *text, int64_t id)
{
    souk_stmt *st = souk_store_stmt(db, sql);
    if (!st)
        return SOUK_DB_HARD;
    if (text) {
        souk_stmt_bind_text(st, 1, text, SIZE_MAX);
        souk_stmt_bind_i64(st, 2, id);
    } else {
        souk_stmt_bind_i64(st, 1, id);
    }
    int r = souk_stmt_step(st);
    if (r == SOUK_DB_ROW) {
        souk_stmt_done(st);
        return 1;
    }
    return r;
}

json_t *souk__catalog_ref(souk_store *db, souk_taxon_kind kind, int64_t id)
{
    if (!id)
        return json_null();
    souk_stmt *st = souk_store_stmt(db, souk__catalog_ref_sql[kind]);
    if (!st)
        return json_null();
    souk_stmt_bind_i64(st, 1, id);
    if (souk_stmt_step(st) != SOUK_DB_ROW)
        return json_null();
    json_t *r = json_pack("{s:o,s:s,s:s}", "id", souk__catalog_id(souk__catalog_taxon_prefix(kind), id), "slug",
                          souk_stmt_text(st, 0, NULL), "name", souk_stmt_text(st, 1, NULL));
    souk_stmt_done(st);
    return r ? r : json_null();
}

int souk__catalog_resolve(souk_store *db, souk_taxon_kind kind, const char *id_or_slug, int64_t *id)
{
    static const char *by_id[] = {"SELECT id FROM categories WHERE id = $1", "SELECT id FROM brands WHERE id = $1",
                                  "SELECT id FROM vendors WHERE id = $1"};
    static const char *by_slug[] = {"SELECT id FROM categories WHERE slug = $1",
                                    "SELECT id FROM brands WHERE slug = $1",
                                    "SELECT id FROM vendors WHERE slug = $1"};
    int64_t parsed;
    souk_stmt *st;
    if (souk_id_parse(souk__catalog_taxon_prefix(kind), id_or_slug, strlen(id_or_slug), &parsed) == 0) {
        st = souk_store_stmt(db, by_id[kind]);
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, parsed);
    } else {
        st = souk_store_stmt(db, by_slug[kind]);
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_text(st, 1, id_or_slug, SIZE_MAX);
    }
    int r = souk_stmt_step(st);
    if (r == SOUK_DB_ROW) {
        *id = souk_stmt_i64(st, 0);
        souk_stmt_done(st);
        return 1;
    }
    return r;
}

static json_t *options_json(const char *text)
{
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    return o;
}

static const char *const variant_status_names[] = {"active", "archived"};

/* Variants of PRODUCT with their prices and "available": the total over all
 * warehouses from the inventory's variant_availability at the time of the
 * read — a snapshot, not a promise (only a reservation holds stock). */
static json_t *variants_json(souk_store *db, int64_t product, bool admin_view)
{
    json_t *arr = json_array();
    souk_stmt *st = souk_store_stmt(
        db, admin_view ? "SELECT v.id, v.sku, v.title, v.options, v.status, v.position, v.created_at, v.updated_at, "
                         "coalesce(va.available, 0) FROM variants v "
                         "LEFT JOIN variant_availability va ON va.variant_id = v.id "
                         "WHERE v.product_id = $1 ORDER BY v.position, v.id"
                       : "SELECT v.id, v.sku, v.title, v.options, v.status, v.position, v.created_at, v.updated_at, "
                         "coalesce(va.available, 0) FROM variants v "
                         "LEFT JOIN variant_availability va ON va.variant_id = v.id "
                         "WHERE v.product_id = $1 AND v.status = 'active' ORDER BY v.position, v.id");
    if (!st)
        return arr;
    souk_stmt_bind_i64(st, 1, product);
    while (souk_stmt_step(st) == SOUK_DB_ROW) {
        const char *status = souk_stmt_text(st, 4, NULL);
        json_array_append_new(
            arr, json_pack("{s:o,s:s,s:s,s:o,s:o,s:s,s:I,s:I,s:o,s:o}", "id",
                           souk__catalog_id(SOUK_PREFIX_VARIANT, souk_stmt_i64(st, 0)), "sku",
                           souk_stmt_text(st, 1, NULL), "title", souk_stmt_text(st, 2, NULL), "options",
                           options_json(souk_stmt_text(st, 3, NULL)), "prices", json_array(), "status",
                           status && strcmp(status, "archived") == 0 ? variant_status_names[1] : variant_status_names[0],
                           "position", (json_int_t)souk_stmt_i64(st, 5), "available",
                           (json_int_t)souk_stmt_i64(st, 8), "created_at",
                           souk__catalog_time(souk_stmt_i64(st, 6)), "updated_at",
                           souk__catalog_time(souk_stmt_i64(st, 7))));
    }
    /* prices of all variants in one query, attached by variant id */
    st = souk_store_stmt(db, "SELECT vp.variant_id, vp.currency, vp.amount FROM variant_prices vp "
                             "JOIN variants v ON v.id = vp.variant_id WHERE v.product_id = $1 "
                             "ORDER BY vp.variant_id, vp.currency");
    if (!st)
        return arr;
    souk_stmt_bind_i64(st, 1, product);
    char idbuf[SOUK_ID_TEXT_MAX];
    while (souk_stmt_step(st) == SOUK_DB_ROW) {
        souk_id_format(SOUK_PREFIX_VARIANT, souk_stmt_i64(st, 0), idbuf);
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) {
            if (strcmp(json_string_value(json_object_get(v, "id")), idbuf) == 0) {
                json_array_append_new(json_object_get(v, "prices"),
                                      json_pack("{s:I,s:s}", "amount", (json_int_t)souk_stmt_i64(st, 2), "currency",
                                                souk_stmt_text(st, 1, NULL)));
                break;
            }
        }
    }
    return arr;
}

static json_t *images_json(souk_store *db, int64_t product, int limit)
{
    json_t *arr = json_array();
    souk_stmt *st = souk_store_stmt(db, "SELECT id, url, alt, width, height, position FROM product_images "
                                        "WHERE product_id = $1 ORDER BY position, id LIMIT $2");
    if (!st)
        return arr;
    souk_stmt_bind_i64(st, 1, product);
    souk_stmt_bind_i64(st, 2, limit);
    while (souk_stmt_step(st) == SOUK_DB_ROW) {
        json_array_append_new(
            arr, json_pack("{s:o,s:s,s:s,s:o,s:o,s:I}", "id", souk__catalog_id(SOUK_PREFIX_IMAGE, souk_stmt_i64(st, 0)),
                           "url", souk_stmt_text(st, 1, NULL), "alt", souk_stmt_text(st, 2, NULL), "width",
                           souk_stmt_is_null(st, 3) ? json_null() : json_integer(souk_stmt_i64(st, 3)), "height",
                           souk_stmt_is_null(st, 4) ? json_null() : json_integer(souk_stmt_i64(st, 4)), "position",
                           (json_int_t)souk_stmt_i64(st, 5)));
    }
    return arr;
}

#define PRODUCT_COLS "id, slug, title, description, status, brand_id, vendor_id, category_id, created_at, updated_at"

static souk_err product_json(souk_store *db, souk_stmt *st, bool admin_view, json_t **out)
{
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : SOUK_E_INTERNAL;
    const char *status = souk_stmt_text(st, 4, NULL);
    if (!admin_view && strcmp(status, "active") != 0) {
        souk_stmt_done(st);
        return SOUK_E_NOT_FOUND;
    }
    int64_t id = souk_stmt_i64(st, 0), brand = souk_stmt_i64(st, 5), vendor = souk_stmt_i64(st, 6),
            category = souk_stmt_i64(st, 7), created = souk_stmt_i64(st, 8), updated = souk_stmt_i64(st, 9);
    json_t *p = json_pack("{s:o,s:s,s:s,s:s,s:s}", "id", souk__catalog_id(SOUK_PREFIX_PRODUCT, id), "slug",
                          souk_stmt_text(st, 1, NULL), "title", souk_stmt_text(st, 2, NULL), "description",
                          souk_stmt_text(st, 3, NULL), "status", status);
    souk_stmt_done(st);
    if (!p)
        return SOUK_E_INTERNAL;
    json_object_set_new(p, "brand", souk__catalog_ref(db, SOUK_TAXON_BRAND, brand));
    json_object_set_new(p, "vendor", souk__catalog_ref(db, SOUK_TAXON_VENDOR, vendor));
    json_object_set_new(p, "category", souk__catalog_ref(db, SOUK_TAXON_CATEGORY, category));
    json_t *attrs = json_object();
    souk_stmt *as = souk_store_stmt(db, "SELECT name, value FROM product_attributes WHERE product_id = $1 "
                                        "ORDER BY name");
    if (as) {
        souk_stmt_bind_i64(as, 1, id);
        while (souk_stmt_step(as) == SOUK_DB_ROW)
            json_object_set_new(attrs, souk_stmt_text(as, 0, NULL), json_string(souk_stmt_text(as, 1, NULL)));
    }
    json_object_set_new(p, "attributes", attrs);
    json_object_set_new(p, "images", images_json(db, id, SOUK_CATALOG_IMAGES_MAX));
    json_object_set_new(p, "variants", variants_json(db, id, admin_view));
    json_object_set_new(p, "created_at", souk__catalog_time(created));
    json_object_set_new(p, "updated_at", souk__catalog_time(updated));
    *out = p;
    return SOUK_OK;
}

souk_err souk_catalog_product_get_id(souk_store *db, int64_t id, bool admin_view, json_t **out)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT " PRODUCT_COLS " FROM products WHERE id = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, id);
    return product_json(db, st, admin_view, out);
}

souk_err souk_catalog_product_get(souk_store *db, const char *id_or_slug, bool admin_view, json_t **out)
{
    int64_t id;
    if (souk_id_parse(SOUK_PREFIX_PRODUCT, id_or_slug, strlen(id_or_slug), &id) == 0)
        return souk_catalog_product_get_id(db, id, admin_view, out);
    if (souk_catalog_check_slug(id_or_slug, strlen(id_or_slug)))
        return SOUK_E_NOT_FOUND;
    souk_stmt *st = souk_store_stmt(db, "SELECT " PRODUCT_COLS " FROM products WHERE slug = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_text(st, 1, id_or_slug, SIZE_MAX);
    return product_json(db, st, admin_view, out);
}

static souk_err one_id(souk_store *db, const char *sql, int64_t id, int64_t *out)
{
    souk_stmt *st = souk_store_stmt(db, sql);
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, id);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : SOUK_E_INTERNAL;
    *out = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    return SOUK_OK;
}

souk_err souk_catalog_product_vendor(souk_store *db, int64_t id, int64_t *vendor)
{
    return one_id(db, "SELECT coalesce(vendor_id, 0) FROM products WHERE id = $1", id, vendor);
}

souk_err souk_catalog_variant_product(souk_store *db, int64_t id, int64_t *product)
{
    return one_id(db, "SELECT product_id FROM variants WHERE id = $1", id, product);
}

souk_err souk_catalog_variant_get(souk_store *db, int64_t id, json_t **out)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT product_id FROM variants WHERE id = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, id);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : SOUK_E_INTERNAL;
    int64_t product = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    json_t *all = variants_json(db, product, true);
    char idbuf[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_VARIANT, id, idbuf);
    size_t i;
    json_t *v;
    json_array_foreach(all, i, v) {
        if (strcmp(json_string_value(json_object_get(v, "id")), idbuf) == 0) {
            *out = json_incref(v);
            json_decref(all);
            return SOUK_OK;
        }
    }
    json_decref(all);
    return SOUK_E_NOT_FOUND;
}

/* ---- categories ---- */

typedef struct cat_node {
    int64_t id, parent, count, position, created, updated;
    const char *slug, *name;
    json_t *json;
} cat_node;

static int64_t subtree_count(cat_node *nodes, size_t n, size_t i, int depth)
{
    if (depth > 64)
        return 0;
    int64_t total = nodes[i].count;
    for (size_t j = 0; j < n; j++)
        if (nodes[j].parent == nodes[i].id)
            total += subtree_count(nodes, n, j, depth + 1);
    return total;
}

static json_t *category_json(const cat_node *c, int64_t count)
{
    return json_pack("{s:o,s:s,s:s,s:o,s:I,s:I,s:[]}", "id", souk__catalog_id(SOUK_PREFIX_CATEGORY, c->id), "slug",
                     c->slug, "name", c->name, "parent_id",
                     c->parent ? souk__catalog_id(SOUK_PREFIX_CATEGORY, c->parent) : json_null(), "position",
                     (json_int_t)c->position, "product_count", (json_int_t)count, "children");
}

souk_err souk_catalog_categories(souk_store *db, json_t **out)
{
    souk_stmt *st = souk_store_stmt(
        db, "SELECT c.id, coalesce(c.parent_id, 0), c.slug, c.name, c.position, "
            "(SELECT count(*) FROM products p WHERE p.category_id = c.id AND p.status = 'active') "
            "FROM categories c ORDER BY c.position, c.name, c.id");
    if (!st)
        return SOUK_E_INTERNAL;
    size_t n = 0, cap = 64;
    cat_node *nodes = malloc(cap * sizeof *nodes);
    json_t *strings = json_array(); /* keeps slug/name copies alive */
    int r;
    while (nodes && (r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if (n == cap) {
            cat_node *bigger = realloc(nodes, (cap *= 2) * sizeof *nodes);
            if (!bigger)
                break;
            nodes = bigger;
        }
        json_t *slug = json_string(souk_stmt_text(st, 2, NULL)), *name = json_string(souk_stmt_text(st, 3, NULL));
        json_array_append_new(strings, slug);
        json_array_append_new(strings, name);
        nodes[n] = (cat_node){souk_stmt_i64(st, 0), souk_stmt_i64(st, 1), souk_stmt_i64(st, 5),
                              souk_stmt_i64(st, 4), 0, 0, json_string_value(slug), json_string_value(name), NULL};
        n++;
    }
    souk_stmt_done(st);
    if (!nodes) {
        json_decref(strings);
        return SOUK_E_INTERNAL;
    }
    for (size_t i = 0; i < n; i++)
        nodes[i].json = category_json(&nodes[i], subtree_count(nodes, n, i, 0));
    json_t *roots = json_array();
    for (size_t i = 0; i < n; i++) {
        size_t p;
        for (p = 0; p < n; p++)
            if (nodes[p].id == nodes[i].parent)
                break;
        if (p < n)
            json_array_append(json_object_get(nodes[p].json, "children"), nodes[i].json);
        else
            json_array_append(roots, nodes[i].json);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(nodes[i].json);
    free(nodes);
    json_decref(strings);
    *out = json_pack("{s:o}", "data", roots);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

souk_err souk_catalog_category_get(souk_store *db, int64_t id, json_t **out)
{
    json_t *all;
    souk_err e = souk_catalog_categories(db, &all);
    if (e)
        return e;
    char idbuf[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_CATEGORY, id, idbuf);
    /* depth-first search of the tree */
    json_t *stack[512];
    size_t sp = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(all, "data"), i, c) if (sp < 512) stack[sp++] = c;
    while (sp) {
        json_t *node = stack[--sp];
        if (strcmp(json_string_value(json_object_get(node, "id")), idbuf) == 0) {
            *out = json_deep_copy(node);
            json_array_clear(json_object_get(*out, "children"));
            json_decref(all);
            return SOUK_OK;
        }
        json_array_foreach(json_object_get(node, "children"), i, c) if (sp < 512) stack[sp++] = c;
    }
    json_decref(all);
    return SOUK_E_NOT_FOUND;
}

/* ---- brands and vendors ---- */

static const char *taxon_list_sql[] = {
    NULL,
    ("SELECT b.id, b.slug, b.name, b.created_at, b.updated_at, (SELECT count(*) FROM products p "
     "WHERE p.brand_id = b.id AND p.status = 'active') FROM brands b WHERE $1 = 0 OR b.id = $1 ORDER BY b.name, b.id"),
    ("SELECT v.id, v.slug, v.name, v.created_at, v.updated_at, (SELECT count(*) FROM products p "
     "WHERE p.vendor_id = v.id AND p.status = 'active'), v.commission_bp FROM vendors v "
     "WHERE $1 = 0 OR v.id = $1 ORDER BY v.name, v.id"),
};

/* one row of taxon_list_sql; vendors add column 6, "commission_bp" */
static json_t *taxon_row(souk_stmt *st, souk_taxon_kind kind)
{
    json_t *o = json_pack("{s:o,s:s,s:s,s:I,s:o,s:o}", "id",
                          souk__catalog_id(souk__catalog_taxon_prefix(kind), souk_stmt_i64(st, 0)), "slug",
                          souk_stmt_text(st, 1, NULL), "name", souk_stmt_text(st, 2, NULL), "product_count",
                          (json_int_t)souk_stmt_i64(st, 5), "created_at", souk__catalog_time(souk_stmt_i64(st, 3)),
                          "updated_at", souk__catalog_time(souk_stmt_i64(st, 4)));
    if (o && kind == SOUK_TAXON_VENDOR)
        json_object_set_new(o, "commission_bp", json_integer((json_int_t)souk_stmt_i64(st, 6)));
    return o;
}

static json_t *taxon_rows(souk_store *db, souk_taxon_kind kind, int64_t only)
{
    souk_stmt *st = souk_store_stmt(db, taxon_list_sql[kind]);
    if (!st)
        return NULL;
    souk_stmt_bind_i64(st, 1, only);
    json_t *arr = json_array();
    while (souk_stmt_step(st) == SOUK_DB_ROW)
        json_array_append_new(arr, taxon_row(st, kind));
    return arr;
}

souk_err souk_catalog_taxons(souk_store *db, souk_taxon_kind kind, json_t **out)
{
    json_t *arr = taxon_rows(db, kind, 0);
    if (!arr)
        return SOUK_E_INTERNAL;
    *out = json_pack("{s:o}", "data", arr);
    return SOUK_OK;
}

souk_err souk_catalog_taxon_get(souk_store *db, souk_taxon_kind kind, int64_t id, json_t **out)
{
    if (kind == SOUK_TAXON_CATEGORY)
        return souk_catalog_category_get(db, id, out);
    json_t *arr = taxon_rows(db, kind, id);
    if (!arr)
        return SOUK_E_INTERNAL;
    if (json_array_size(arr) != 1) {
        json_decref(arr);
        return SOUK_E_NOT_FOUND;
    }
    *out = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    return SOUK_OK;
}
