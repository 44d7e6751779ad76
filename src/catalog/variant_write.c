/*
 * variant_write.c — variants: inserted with a new product or on their own
 * (POST /products/{id}/variants), and updated or archived. A SKU is unique
 * across the catalog; a new variant without a position goes last.
 */
#include "catalog/internal.h"

#include <stdlib.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

#define SKU_TAKEN_SQL "SELECT 1 FROM variants WHERE sku = $1 AND id <> $2"

static const char *status_name(int status)
{
    return status == SOUK_VARIANT_ARCHIVED ? "archived" : "active";
}

char *souk__catalog_options_text(const souk_json_strmap *m)
{
    json_t *o = json_object();
    for (size_t i = 0; i < m->count; i++)
        json_object_set_new(o, m->keys[i], json_string(m->values[i]));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

int souk__catalog_insert_variant(souk_store *db, int64_t product, const souk_variant_in *v, int64_t position,
                                 int64_t *id)
{
    char *opts = souk__catalog_options_text(&v->options);
    if (!opts)
        return SOUK_DB_HARD;
    *id = souk_id_next();
    int r =
        souk_store_exec(db,
                        "INSERT INTO variants (id, product_id, sku, title, options, status, position, "
                        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                        SOUK_ARGS(SOUK_I64(*id), SOUK_I64(product), SOUK_TEXT(v->sku),
                                  SOUK_TEXT(v->title ? v->title : ""), SOUK_TEXT(opts),
                                  SOUK_TEXT(status_name(v->status)), SOUK_I64(position), SOUK_I64(souk_time_now_us())));
    free(opts);
    return r < 0 ? r : souk__catalog_replace_prices(db, *id, &v->prices);
}

/* SKU must be free (CONFLICT on field "sku" otherwise) */
static souk_err check_sku(souk_store *db, const char *sku, int64_t except, souk_arena *a, souk_problems *pr)
{
    int r = souk__catalog_taken(db, SKU_TAKEN_SQL, sku, except);
    if (r < 0)
        return souk_store_dberr(r);
    if (r) {
        souk_problems_add(pr, a, "sku", "is already used");
        return SOUK_E_CONFLICT;
    }
    return SOUK_OK;
}

/* the bookkeeping after a change of PRODUCT's variants */
static souk_err variants_changed(souk_store *db, int64_t product)
{
    int r = souk__catalog_refresh_prices(db, product);
    if (r >= 0)
        r = souk__catalog_touch_product(db, product);
    if (r >= 0)
        r = souk_store_touch(db, SOUK_CONTENT);
    return souk_store_dberr(r);
}

typedef struct variant_ctx {
    int64_t id; /* the product (create) or the variant (update) */
    const souk_variant_in *in;
    souk_arena *a;
    souk_problems *pr;
    int64_t created; /* out: the new variant */
} variant_ctx;

static souk_err create_body(souk_store *db, void *arg)
{
    variant_ctx *c = arg;
    const souk_variant_in *v = c->in;
    int r = souk__catalog_exists(db, "SELECT 1 FROM products WHERE id = $1", SOUK_ARGS(SOUK_I64(c->id)));
    if (r <= 0)
        return r < 0 ? souk_store_dberr(r) : SOUK_E_NOT_FOUND;
    souk__catalog_check_price_list(&v->prices, "", c->a, c->pr);
    if (c->pr->count)
        return SOUK_E_VALIDATION;
    souk_err e = check_sku(db, v->sku, 0, c->a, c->pr);
    if (e)
        return e;
    int64_t position = v->position;
    if (!souk_json_present(&souk_catalog_variant_create_spec, v, SOUK_VF_POSITION) &&
        (r = souk_store_one(db, "SELECT coalesce(max(position) + 1, 0) FROM variants WHERE product_id = $1",
                            SOUK_ARGS(SOUK_I64(c->id)), SOUK_COLS(SOUK_COL_I64(&position)))) < 0)
        return souk_store_dberr(r);
    if ((r = souk__catalog_insert_variant(db, c->id, v, position, &c->created)) < 0)
        return souk_store_dberr(r);
    return variants_changed(db, c->id);
}

souk_err souk_catalog_variant_create(souk_store *db, int64_t product_id, const souk_variant_in *in, souk_arena *a,
                                     souk_problems *pr, int64_t *id)
{
    variant_ctx c = {product_id, in, a, pr, 0};
    souk_err e = souk_store_run(db, create_body, &c, pr);
    if (!e)
        *id = c.created;
    return e;
}

static souk_err update_body(souk_store *db, void *arg)
{
    variant_ctx *c = arg;
    const souk_json_spec *spec = &souk_catalog_variant_update_spec;
    const souk_variant_in *v = c->in;
    int64_t product;
    souk_err e = souk_catalog_variant_product(db, c->id, &product);
    if (e || (souk_json_present(spec, v, SOUK_VF_SKU) && (e = check_sku(db, v->sku, c->id, c->a, c->pr))))
        return e;
    char *opts = NULL;
    if (souk_json_present(spec, v, SOUK_VF_OPTIONS) && !(opts = souk__catalog_options_text(&v->options)))
        return SOUK_E_INTERNAL;
    /* one UPDATE; each column keeps its value unless its flag is true */
    int r = souk_store_exec(
        db,
        "UPDATE variants SET sku = CASE WHEN $2 THEN $3 ELSE sku END, title = CASE WHEN $4 THEN $5 ELSE title END, "
        "options = CASE WHEN $6 THEN $7 ELSE options END, position = CASE WHEN $8 THEN $9 ELSE position END, "
        "status = CASE WHEN $10 THEN $11 ELSE status END, updated_at = " SOUK__CATALOG_BUMP("$12") " WHERE id = $1",
        SOUK_ARGS(SOUK_I64(c->id), SOUK_BOOL(souk_json_present(spec, v, SOUK_VF_SKU)), SOUK_TEXT(v->sku ? v->sku : ""),
                  SOUK_BOOL(souk_json_present(spec, v, SOUK_VF_TITLE)), SOUK_TEXT(v->title ? v->title : ""),
                  SOUK_BOOL(opts != NULL), SOUK_TEXT(opts ? opts : "{}"),
                  SOUK_BOOL(souk_json_present(spec, v, SOUK_VF_POSITION)), SOUK_I64(v->position),
                  SOUK_BOOL(souk_json_present(spec, v, SOUK_VF_STATUS)), SOUK_TEXT(status_name(v->status)),
                  SOUK_I64(souk_time_now_us())));
    free(opts);
    return r < 0 ? souk_store_dberr(r) : variants_changed(db, product);
}

souk_err souk_catalog_variant_update(souk_store *db, int64_t id, const souk_variant_in *in, souk_arena *a,
                                     souk_problems *pr)
{
    variant_ctx c = {id, in, a, pr, 0};
    return souk_store_run(db, update_body, &c, pr);
}
