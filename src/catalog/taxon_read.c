/*
 * taxon_read.c — category, brand and vendor reads in the API's JSON shape:
 * the category tree with active-product counts per subtree, one category,
 * and the brand and vendor lists (vendors with their commission).
 */
#include "catalog/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

/* ---- categories ---- */

typedef struct cat_node {
    int64_t id, parent, position, count;
    char *slug, *name; /* malloc'd */
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

static void free_nodes(cat_node *nodes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(nodes[i].slug);
        free(nodes[i].name);
        json_decref(nodes[i].json);
    }
    free(nodes);
}

/* Every category into *NODES (malloc'd, *N of them), in display order. */
static souk_err load_categories(souk_store *db, const char *locale, cat_node **nodes, size_t *n)
{
    souk_stmt *st =
        locale ? souk_store_query(db,
                                  "SELECT c.id, coalesce(c.parent_id, 0), c.slug, COALESCE(t.value, c.name), "
                                  "c.position, (SELECT count(*) FROM products p WHERE p.category_id = c.id AND "
                                  "p.status = 'active') FROM categories c LEFT JOIN i18n_translations t ON "
                                  "t.kind = 'category' AND t.object_id = c.id AND t.field = 'name' AND t.locale = $1 "
                                  "ORDER BY c.position, c.name, c.id",
                                  SOUK_ARGS(SOUK_TEXT(locale)))
               : souk_store_query(db,
                                  "SELECT c.id, coalesce(c.parent_id, 0), c.slug, c.name, c.position, "
                                  "(SELECT count(*) FROM products p WHERE p.category_id = c.id AND "
                                  "p.status = 'active') FROM categories c ORDER BY c.position, c.name, c.id",
                                  NULL);
    size_t cap = 0;
    cat_node c = {0};
    int r;
    *nodes = NULL;
    *n = 0;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&c.id), SOUK_COL_I64(&c.parent), SOUK_COL_DUP(&c.slug),
                                             SOUK_COL_DUP(&c.name), SOUK_COL_I64(&c.position),
                                             SOUK_COL_I64(&c.count)))) == SOUK_DB_ROW) {
        if (*n == cap) {
            cat_node *bigger = realloc(*nodes, (cap = cap ? 2 * cap : 64) * sizeof *bigger);
            if (!bigger) {
                free(c.slug);
                free(c.name);
                souk_stmt_done(st);
                r = SOUK_DB_HARD;
                break;
            }
            *nodes = bigger;
        }
        (*nodes)[(*n)++] = c;
    }
    if (r < 0) {
        free_nodes(*nodes, *n);
        *nodes = NULL;
        *n = 0;
        return souk_store_dberr(r);
    }
    return SOUK_OK;
}

souk_err souk_catalog_categories(souk_store *db, json_t **out)
{
    return souk_catalog_categories_locale(db, NULL, out);
}

souk_err souk_catalog_categories_locale(souk_store *db, const char *locale, json_t **out)
{
    cat_node *nodes;
    size_t n;
    souk_err e = load_categories(db, locale, &nodes, &n);
    if (e)
        return e;
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
    free_nodes(nodes, n);
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

static const char *const taxon_list_sql[] = {
    NULL,
    ("SELECT b.id, b.slug, b.name, b.created_at, b.updated_at, (SELECT count(*) FROM products p "
     "WHERE p.brand_id = b.id AND p.status = 'active') FROM brands b WHERE $1 = 0 OR b.id = $1 ORDER BY b.name, b.id"),
    ("SELECT v.id, v.slug, v.name, v.created_at, v.updated_at, (SELECT count(*) FROM products p "
     "WHERE p.vendor_id = v.id AND p.status = 'active'), v.commission_bp FROM vendors v "
     "WHERE $1 = 0 OR v.id = $1 ORDER BY v.name, v.id"),
};

/* brands in another locale ($2): the name's translation where there is one */
static const char brand_list_sql_l[] =
    "SELECT b.id, b.slug, COALESCE(t.value, b.name), b.created_at, b.updated_at, (SELECT count(*) FROM products p "
    "WHERE p.brand_id = b.id AND p.status = 'active') FROM brands b LEFT JOIN i18n_translations t ON "
    "t.kind = 'brand' AND t.object_id = b.id AND t.field = 'name' AND t.locale = $2 WHERE $1 = 0 OR b.id = $1 "
    "ORDER BY b.name, b.id";

/* one row of taxon_list_sql (CTX: the souk_taxon_kind); vendors add column
 * 6, "commission_bp" */
static json_t *taxon_row(souk_stmt *st, void *ctx)
{
    souk_taxon_kind kind = *(const souk_taxon_kind *)ctx;
    json_t *o =
        json_pack("{s:o,s:o,s:o,s:I,s:o,s:o}", "id", souk_row_id(st, 0, souk__catalog_taxon_prefix(kind)), "slug",
                  souk_row_text(st, 1), "name", souk_row_text(st, 2), "product_count", (json_int_t)souk_stmt_i64(st, 5),
                  "created_at", souk_row_time(st, 3), "updated_at", souk_row_time(st, 4));
    if (o && kind == SOUK_TAXON_VENDOR)
        json_object_set_new(o, "commission_bp", json_integer((json_int_t)souk_stmt_i64(st, 6)));
    return o;
}

/* brands or vendors (KIND), all of them or (ONLY ≠ 0) the one with that id;
 * NULL when the database failed */
static json_t *taxon_rows(souk_store *db, souk_taxon_kind kind, int64_t only, const char *locale)
{
    if (locale && kind == SOUK_TAXON_BRAND)
        return souk_store_rows(souk_store_query(db, brand_list_sql_l, SOUK_ARGS(SOUK_I64(only), SOUK_TEXT(locale))),
                               taxon_row, &kind);
    return souk_store_rows(souk_store_query(db, taxon_list_sql[kind], SOUK_ARGS(SOUK_I64(only))), taxon_row, &kind);
}

souk_err souk_catalog_taxons(souk_store *db, souk_taxon_kind kind, json_t **out)
{
    return souk_catalog_taxons_locale(db, kind, NULL, out);
}

souk_err souk_catalog_taxons_locale(souk_store *db, souk_taxon_kind kind, const char *locale, json_t **out)
{
    json_t *arr = taxon_rows(db, kind, 0, locale);
    if (!arr)
        return SOUK_E_INTERNAL;
    *out = json_pack("{s:o}", "data", arr);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

souk_err souk_catalog_taxon_get(souk_store *db, souk_taxon_kind kind, int64_t id, json_t **out)
{
    if (kind == SOUK_TAXON_CATEGORY)
        return souk_catalog_category_get(db, id, out);
    json_t *arr = taxon_rows(db, kind, id, NULL);
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
