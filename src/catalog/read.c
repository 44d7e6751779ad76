/*
 * read.c — product and variant reads in the API's JSON shape: product
 * detail (refs, attributes, images, variants with prices and availability),
 * one variant, and the small id lookups other contexts use. The list lives in
 * list.c, categories/brands/vendors in taxon_read.c.
 */
#include "catalog/internal.h"

#include <string.h>

#include "core/id.h"
#include "core/live.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

static json_t *options_json(const char *text)
{
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    return o;
}

#define VARIANT_COLS                                                                                   \
    "SELECT v.id, v.sku, v.title, v.options, v.status, v.position, v.created_at, v.updated_at, "      \
    "coalesce(va.available, 0) FROM variants v LEFT JOIN variant_availability va ON va.variant_id = v.id "

/* one row of VARIANT_COLS ("prices" filled in later); in the public view
 * "available" is a live value (core/live.h, kind 'a'), filled in when the
 * answer is sent, so that a sale leaves the cached detail alone */
static json_t *variant_row(souk_stmt *st, bool admin_view)
{
    const char *status = souk_stmt_text(st, 4, NULL);
    json_t *available = admin_view ? json_integer(souk_stmt_i64(st, 8)) : souk_live_marker('a', souk_stmt_i64(st, 0));
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:s,s:I,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_VARIANT),
                     "sku", souk_row_text(st, 1), "title", souk_row_text(st, 2), "options",
                     options_json(souk_stmt_text(st, 3, NULL)), "prices", json_array(), "status",
                     status && strcmp(status, "archived") == 0 ? "archived" : "active", "position",
                     (json_int_t)souk_stmt_i64(st, 5), "available", available, "created_at",
                     souk_row_time(st, 6), "updated_at", souk_row_time(st, 7));
}

/* Variants of PRODUCT with their prices and "available": the total over all
 * warehouses from the inventory's published read model variant_availability
 * (inventory.h) at the time of the read — a snapshot, not a promise (only a
 * reservation holds stock). */
static json_t *variants_json(souk_store *db, int64_t product, bool admin_view)
{
    json_t *arr = json_array();
    souk_stmt *st =
        souk_store_query(db,
                         admin_view ? VARIANT_COLS "WHERE v.product_id = $1 ORDER BY v.position, v.id"
                                    : VARIANT_COLS "WHERE v.product_id = $1 AND v.status = 'active' "
                                                   "ORDER BY v.position, v.id",
                         SOUK_ARGS(SOUK_I64(product)));
    while (souk_stmt_step(st) == SOUK_DB_ROW)
        json_array_append_new(arr, variant_row(st, admin_view));
    /* prices of all variants in one query, attached by variant id */
    st = souk_store_query(db,
                          "SELECT vp.variant_id, vp.currency, vp.amount FROM variant_prices vp "
                          "JOIN variants v ON v.id = vp.variant_id WHERE v.product_id = $1 "
                          "ORDER BY vp.variant_id, vp.currency",
                          SOUK_ARGS(SOUK_I64(product)));
    char idbuf[SOUK_ID_TEXT_MAX];
    while (souk_stmt_step(st) == SOUK_DB_ROW) {
        souk_id_format(SOUK_PREFIX_VARIANT, souk_stmt_i64(st, 0), idbuf);
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) {
            if (strcmp(json_string_value(json_object_get(v, "id")), idbuf) == 0) {
                json_array_append_new(json_object_get(v, "prices"),
                                      json_pack("{s:I,s:o}", "amount", (json_int_t)souk_stmt_i64(st, 2), "currency",
                                                souk_row_text(st, 1)));
                break;
            }
        }
    }
    return arr;
}

static json_t *images_json(souk_store *db, int64_t product, int limit)
{
    json_t *arr = json_array();
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, url, alt, width, height, position FROM product_images "
                                     "WHERE product_id = $1 ORDER BY position, id LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(product), SOUK_I64(limit)));
    while (souk_stmt_step(st) == SOUK_DB_ROW)
        json_array_append_new(arr, json_pack("{s:o,s:o,s:o,s:o,s:o,s:I}", "id", souk_row_id(st, 0, SOUK_PREFIX_IMAGE),
                                             "url", souk_row_text(st, 1), "alt", souk_row_text(st, 2), "width",
                                             souk_row_int_or_null(st, 3), "height", souk_row_int_or_null(st, 4),
                                             "position", (json_int_t)souk_stmt_i64(st, 5)));
    return arr;
}

static json_t *attributes_json(souk_store *db, int64_t product)
{
    json_t *attrs = json_object();
    souk_stmt *st = souk_store_query(db, "SELECT name, value FROM product_attributes WHERE product_id = $1 "
                                         "ORDER BY name",
                                     SOUK_ARGS(SOUK_I64(product)));
    while (souk_stmt_step(st) == SOUK_DB_ROW)
        json_object_set_new(attrs, souk_stmt_text(st, 0, NULL), souk_row_text(st, 1));
    return attrs;
}

#define PRODUCT_COLS "id, slug, title, description, status, brand_id, vendor_id, category_id, created_at, updated_at"

/* The product in the first row of ST (a PRODUCT_COLS query), with what
 * hangs off it. NOT_FOUND when there is no row or the product is hidden. */
static souk_err product_json(souk_store *db, souk_stmt *st, bool admin_view, json_t **out)
{
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
    const char *status = souk_stmt_text(st, 4, NULL);
    if (!admin_view && strcmp(status, "active") != 0) {
        souk_stmt_done(st);
        return SOUK_E_NOT_FOUND;
    }
    int64_t id = souk_stmt_i64(st, 0), brand = souk_stmt_i64(st, 5), vendor = souk_stmt_i64(st, 6),
            category = souk_stmt_i64(st, 7);
    json_t *p = json_pack("{s:o,s:o,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_PRODUCT), "slug",
                          souk_row_text(st, 1), "title", souk_row_text(st, 2), "description", souk_row_text(st, 3),
                          "status", souk_row_text(st, 4));
    json_t *created = souk_row_time(st, 8), *updated = souk_row_time(st, 9);
    souk_stmt_done(st);
    if (!p) {
        json_decref(created);
        json_decref(updated);
        return SOUK_E_INTERNAL;
    }
    json_object_set_new(p, "brand", souk__catalog_ref(db, SOUK_TAXON_BRAND, brand));
    json_object_set_new(p, "vendor", souk__catalog_ref(db, SOUK_TAXON_VENDOR, vendor));
    json_object_set_new(p, "category", souk__catalog_ref(db, SOUK_TAXON_CATEGORY, category));
    json_object_set_new(p, "attributes", attributes_json(db, id));
    json_object_set_new(p, "images", images_json(db, id, SOUK_CATALOG_IMAGES_MAX));
    json_object_set_new(p, "variants", variants_json(db, id, admin_view));
    json_object_set_new(p, "created_at", created);
    json_object_set_new(p, "updated_at", updated);
    *out = p;
    return SOUK_OK;
}

souk_err souk_catalog_product_get_id(souk_store *db, int64_t id, bool admin_view, json_t **out)
{
    return product_json(db, souk_store_query(db, "SELECT " PRODUCT_COLS " FROM products WHERE id = $1",
                                             SOUK_ARGS(SOUK_I64(id))),
                        admin_view, out);
}

souk_err souk_catalog_product_get(souk_store *db, const char *id_or_slug, bool admin_view, json_t **out)
{
    int64_t id;
    if (souk_id_parse(SOUK_PREFIX_PRODUCT, id_or_slug, strlen(id_or_slug), &id) == 0)
        return souk_catalog_product_get_id(db, id, admin_view, out);
    if (souk_catalog_check_slug(id_or_slug, strlen(id_or_slug)))
        return SOUK_E_NOT_FOUND;
    return product_json(db, souk_store_query(db, "SELECT " PRODUCT_COLS " FROM products WHERE slug = $1",
                                             SOUK_ARGS(SOUK_TEXT(id_or_slug))),
                        admin_view, out);
}

/* column 0 of SQL ($1 = ID) into *OUT: SOUK_OK, NOT_FOUND, or a database error */
static souk_err one_id(souk_store *db, const char *sql, int64_t id, int64_t *out)
{
    int r = souk_store_one(db, sql, SOUK_ARGS(SOUK_I64(id)), SOUK_COLS(SOUK_COL_I64(out)));
    return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
}

souk_err souk_catalog_product_vendor(souk_store *db, int64_t id, int64_t *vendor)
{
    return one_id(db, "SELECT coalesce(vendor_id, 0) FROM products WHERE id = $1", id, vendor);
}

souk_err souk_catalog_variant_product(souk_store *db, int64_t id, int64_t *product)
{
    return one_id(db, "SELECT product_id FROM variants WHERE id = $1", id, product);
}

souk_err souk_catalog_active_variants(souk_store *db, int64_t after, int64_t *ids, int max, int *count)
{
    int n = souk_store_ids(souk_store_query(db,
                                            "SELECT id FROM variants WHERE status = 'active' AND id > $1 "
                                            "ORDER BY id LIMIT $2",
                                            SOUK_ARGS(SOUK_I64(after), SOUK_I64(max))),
                           ids, max);
    *count = n < 0 ? 0 : n;
    return souk_store_dberr(n);
}

souk_err souk_catalog_variant_get(souk_store *db, int64_t id, json_t **out)
{
    int64_t product;
    souk_err e = souk_catalog_variant_product(db, id, &product);
    if (e)
        return e;
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
