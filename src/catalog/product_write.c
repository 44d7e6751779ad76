/*
 * product_write.c — products: create (with images, attributes and variants),
 * the importers' create-or-update by external reference, update, archive.
 * Slugs must be free (a missing one is derived from the title), SKUs too,
 * and referenced brand/vendor/category must exist — all checked inside the
 * write transaction (see write.c).
 */
#include "catalog/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

#define SLUG_TAKEN_SQL "SELECT 1 FROM products WHERE slug = $1 AND id <> $2"
#define SKU_TAKEN_SQL "SELECT 1 FROM variants WHERE sku = $1 AND id <> $2"

static const char *const status_names[] = {"draft", "active", "archived"};

/* Adds "does not exist" for each referenced brand/vendor/category that does
 * not; with SPEC (an update) only for the references present and not null.
 * SOUK_OK (problems may have been added) or a database error. */
static souk_err check_refs(souk_store *db, const souk_json_spec *spec, const souk_product_in *in, souk_arena *a,
                           souk_problems *pr)
{
    static const struct {
        int field;
        const char *name, *sql;
        size_t offset;
    } refs[] = {
        {SOUK_PF_BRAND, "brand_id", "SELECT 1 FROM brands WHERE id = $1", offsetof(souk_product_in, brand_id)},
        {SOUK_PF_VENDOR, "vendor_id", "SELECT 1 FROM vendors WHERE id = $1", offsetof(souk_product_in, vendor_id)},
        {SOUK_PF_CATEGORY, "category_id", "SELECT 1 FROM categories WHERE id = $1",
         offsetof(souk_product_in, category_id)},
    };
    for (size_t i = 0; i < 3; i++) {
        size_t field = (size_t)refs[i].field;
        if (spec && (!souk_json_present(spec, in, field) || souk_json_is_null(spec, in, field)))
            continue;
        int64_t id;
        memcpy(&id, (const char *)in + refs[i].offset, sizeof id);
        if (!id)
            continue;
        int r = souk__catalog_exists(db, refs[i].sql, SOUK_ARGS(SOUK_I64(id)));
        if (r < 0)
            return souk_store_dberr(r);
        if (r == 0)
            souk_problems_add(pr, a, refs[i].name, "does not exist");
    }
    return SOUK_OK;
}

static void attribute_args(souk_param *args, int64_t product, const void *items, size_t i)
{
    const souk_json_strmap *m = items;
    args[0] = SOUK_I64(product);
    args[1] = SOUK_TEXT(m->keys[i]);
    args[2] = SOUK_TEXT(m->values[i]);
}

int souk__catalog_replace_attributes(souk_store *db, int64_t product, const souk_json_strmap *m)
{
    return souk__catalog_replace_rows(db, "DELETE FROM product_attributes WHERE product_id = $1",
                                      "INSERT INTO product_attributes (product_id, name, value) VALUES ($1, $2, $3)",
                                      product, m, m->count, attribute_args);
}

static void image_args(souk_param *args, int64_t product, const void *items, size_t i)
{
    const souk_image_in *img = (const souk_image_in *)items + i;
    args[0] = SOUK_I64(souk_id_next());
    args[1] = SOUK_I64(product);
    args[2] = SOUK_TEXT(img->url);
    args[3] = SOUK_TEXT(img->alt ? img->alt : "");
    args[4] = SOUK_REF(img->width); /* 0: not given */
    args[5] = SOUK_REF(img->height);
    args[6] = SOUK_I64((int64_t)i);
}

int souk__catalog_replace_images(souk_store *db, int64_t product, const souk_json_array *imgs)
{
    return souk__catalog_replace_rows(db, "DELETE FROM product_images WHERE product_id = $1",
                                      "INSERT INTO product_images (id, product_id, url, alt, width, height, position) "
                                      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                      product, imgs->items, imgs->count, image_args);
}

/* An explicit SLUG must be free (CONFLICT on "slug", the problem added);
 * without one it is derived from TITLE. The slug goes into OUT. */
static souk_err pick_slug(souk_store *db, const char *slug, const char *title, int64_t except, char *out, size_t outlen,
                          souk_arena *a, souk_problems *pr)
{
    int r;
    if (!slug)
        return souk_store_dberr(souk__catalog_derive_slug(db, SLUG_TAKEN_SQL, title, out, outlen));
    snprintf(out, outlen, "%s", slug);
    if ((r = souk__catalog_taken(db, SLUG_TAKEN_SQL, slug, except)) <= 0)
        return souk_store_dberr(r);
    souk_problems_add(pr, a, "slug", "is already used by another product");
    return SOUK_E_CONFLICT;
}

/* Every SKU of IN must be free and appear once (CONFLICT on
 * "variants[i].sku" for each that is not). */
static souk_err check_skus(souk_store *db, const souk_product_in *in, souk_arena *a, souk_problems *pr)
{
    const souk_variant_in *v = in->variants.items;
    souk_err e = SOUK_OK;
    for (size_t i = 0; i < in->variants.count; i++) {
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(v[i].sku, v[j].sku) == 0;
        int r = dup ? 1 : souk__catalog_taken(db, SKU_TAKEN_SQL, v[i].sku, 0);
        if (r < 0)
            return souk_store_dberr(r);
        if (r) {
            souk_problems_add(pr, a, souk_arena_printf(a, "variants[%zu].sku", i), "is already used");
            e = SOUK_E_CONFLICT;
        }
    }
    return e;
}

typedef struct product_ctx {
    int64_t id; /* update: the product */
    const souk_product_in *in;
    souk_arena *a;
    souk_problems *pr;
    int64_t created; /* create: out, the new product */
} product_ctx;

static int insert_product(souk_store *db, const souk_product_in *in, int64_t id, const char *slug)
{
    const souk_variant_in *v = in->variants.items;
    int r = souk_store_exec(db,
                            "INSERT INTO products (id, slug, title, description, status, brand_id, vendor_id, "
                            "category_id, external_ref, created_at, updated_at) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                            SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(slug), SOUK_TEXT(in->title),
                                      SOUK_TEXT(in->description ? in->description : ""),
                                      SOUK_TEXT(status_names[in->status]), SOUK_REF(in->brand_id),
                                      SOUK_REF(in->vendor_id), SOUK_REF(in->category_id), SOUK_TEXT(in->external_ref),
                                      SOUK_I64(souk_time_now_us())));
    if (r >= 0)
        r = souk__catalog_replace_attributes(db, id, &in->attributes);
    if (r >= 0)
        r = souk__catalog_replace_images(db, id, &in->images);
    for (size_t i = 0; r >= 0 && i < in->variants.count; i++) {
        int64_t vid;
        r = souk__catalog_insert_variant(db, id, &v[i], v[i].position ? v[i].position : (int64_t)i, &vid);
    }
    if (r >= 0)
        r = souk__catalog_refresh_prices(db, id);
    if (r >= 0)
        r = souk_store_touch(db, SOUK_CONTENT);
    return r;
}

static souk_err create_body(souk_store *db, void *arg)
{
    product_ctx *c = arg;
    const souk_product_in *in = c->in;
    souk_err e = check_refs(db, NULL, in, c->a, c->pr);
    if (e)
        return e;
    for (size_t i = 0; i < in->variants.count; i++)
        souk__catalog_check_price_list(&((const souk_variant_in *)in->variants.items)[i].prices,
                                       souk_arena_printf(c->a, "variants[%zu].", i), c->a, c->pr);
    if (c->pr->count)
        return SOUK_E_VALIDATION;
    /* a taken slug and taken SKUs are all reported at once */
    char slug[SOUK_CATALOG_SLUG_MAX + 16];
    souk_err slug_e = pick_slug(db, in->slug, in->title, 0, slug, sizeof slug, c->a, c->pr);
    if (slug_e && slug_e != SOUK_E_CONFLICT)
        return slug_e;
    if ((e = check_skus(db, in, c->a, c->pr)) || (e = slug_e))
        return e;
    int64_t id = souk_id_next();
    int r = insert_product(db, in, id, slug);
    if (r < 0)
        return souk_store_dberr(r);
    c->created = id;
    return SOUK_OK;
}

souk_err souk_catalog_product_create(souk_store *db, const souk_product_in *in, souk_arena *a, souk_problems *pr,
                                     int64_t *id)
{
    product_ctx c = {0, in, a, pr, 0};
    souk_err e = souk_store_run(db, create_body, &c, pr);
    if (!e)
        *id = c.created;
    return e;
}

souk_err souk_catalog_product_create_tx(souk_store *db, const souk_product_in *in, souk_arena *a, souk_problems *pr,
                                        int64_t *id)
{
    product_ctx c = {0, in, a, pr, 0};
    souk_err e = create_body(db, &c);
    if (!e)
        *id = c.created;
    return e;
}

/* The prices of IN's single variant onto the stored one (same SKU); *CHANGED
 * is set when a price changed. */
static int upsert_prices(souk_store *db, int64_t product, const souk_variant_in *v, bool *changed)
{
    const souk_price_in *p = v->prices.items;
    for (size_t i = 0; i < v->prices.count; i++) {
        int64_t n = souk_store_update(
            db,
            "INSERT INTO variant_prices (variant_id, currency, amount) "
            "SELECT id, $2, $3 FROM variants WHERE sku = $1 AND product_id = $4 "
            "ON CONFLICT (variant_id, currency) DO UPDATE SET amount = excluded.amount "
            "WHERE variant_prices.amount <> excluded.amount",
            SOUK_ARGS(SOUK_TEXT(v->sku), SOUK_TEXTN(p[i].currency, 3), SOUK_I64(p[i].amount), SOUK_I64(product)));
        int r = n < 0 ? (int)n : SOUK_DB_DONE;
        if (n > 0) {
            *changed = true;
            r = souk__catalog_refresh_prices(db, product);
            if (r >= 0)
                r = souk__catalog_touch_product(db, product);
            int64_t variant = 0;
            if (r >= 0 && (r = souk_store_one(db, "SELECT id FROM variants WHERE sku = $1 AND product_id = $2",
                                              SOUK_ARGS(SOUK_TEXT(v->sku), SOUK_I64(product)),
                                              SOUK_COLS(SOUK_COL_I64(&variant)))) == SOUK_DB_ROW)
                r = souk__catalog_emit_price(db, variant, product, p[i].currency, p[i].amount);
        }
        if (r < 0)
            return r;
    }
    return SOUK_DB_DONE;
}

souk_err souk_catalog_product_upsert_external_tx(souk_store *db, const souk_product_in *in, souk_arena *a,
                                                 souk_problems *pr, int64_t *id, bool *created, bool *changed_out)
{
    int r = souk_store_one(db, "SELECT id FROM products WHERE external_ref = $1",
                           SOUK_ARGS(SOUK_TEXT(in->external_ref)), SOUK_COLS(SOUK_COL_I64(id)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE) {
        *created = true;
        if (changed_out)
            *changed_out = true;
        return souk_catalog_product_create_tx(db, in, a, pr, id);
    }
    *created = false;
    int64_t n =
        souk_store_update(db,
                          "UPDATE products SET title = $2, description = $3, updated_at = " SOUK__CATALOG_BUMP(
                              "$4") " WHERE id = $1 AND (title <> $2 OR description <> $3)",
                          SOUK_ARGS(SOUK_I64(*id), SOUK_TEXT(in->title),
                                    SOUK_TEXT(in->description ? in->description : ""), SOUK_I64(souk_time_now_us())));
    if (n < 0)
        return souk_store_dberr((int)n);
    bool changed = n > 0;
    if (in->variants.count == 1 && (r = upsert_prices(db, *id, in->variants.items, &changed)) < 0)
        return souk_store_dberr(r);
    if (changed && (r = souk_store_touch(db, SOUK_CONTENT)) < 0)
        return souk_store_dberr(r);
    if (changed_out)
        *changed_out = changed;
    return SOUK_OK;
}

/* The product update: one UPDATE in which each column keeps its value unless
 * its flag parameter is true. */
static int update_row(souk_store *db, int64_t id, const souk_product_in *in)
{
    const souk_json_spec *spec = &souk_catalog_product_update_spec;
    souk_param args[17];
    args[0] = SOUK_I64(id);
    const char *texts[4] = {in->title, in->slug, in->description, status_names[in->status]};
    const int text_fields[4] = {SOUK_PF_TITLE, SOUK_PF_SLUG, SOUK_PF_DESCRIPTION, SOUK_PF_STATUS};
    for (size_t i = 0; i < 4; i++) {
        bool set = souk_json_present(spec, in, (size_t)text_fields[i]);
        args[1 + 2 * i] = SOUK_BOOL(set);
        args[2 + 2 * i] = SOUK_TEXT(set && texts[i] ? texts[i] : "");
    }
    const int64_t ids[3] = {in->brand_id, in->vendor_id, in->category_id};
    const int id_fields[3] = {SOUK_PF_BRAND, SOUK_PF_VENDOR, SOUK_PF_CATEGORY};
    for (size_t i = 0; i < 3; i++) {
        bool set = souk_json_present(spec, in, (size_t)id_fields[i]);
        args[9 + 2 * i] = SOUK_BOOL(set);
        args[10 + 2 * i] = set && !souk_json_is_null(spec, in, (size_t)id_fields[i]) ? SOUK_I64(ids[i]) : SOUK_NULL;
    }
    args[15] = SOUK_I64(souk_time_now_us());
    args[16] = (souk_param){.type = SOUK_TYPE_END};
    return souk_store_exec(
        db,
        "UPDATE products SET "
        "title = CASE WHEN $2 THEN $3 ELSE title END, slug = CASE WHEN $4 THEN $5 ELSE slug END, "
        "description = CASE WHEN $6 THEN $7 ELSE description END, status = CASE WHEN $8 THEN $9 ELSE status END, "
        "brand_id = CASE WHEN $10 THEN $11 ELSE brand_id END, vendor_id = CASE WHEN $12 THEN $13 ELSE vendor_id END, "
        "category_id = CASE WHEN $14 THEN $15 ELSE category_id END, updated_at = " SOUK__CATALOG_BUMP(
            "$16") " WHERE id = $1",
        args);
}

static souk_err update_body(souk_store *db, void *arg)
{
    product_ctx *c = arg;
    const souk_json_spec *spec = &souk_catalog_product_update_spec;
    const souk_product_in *in = c->in;
    int r = souk__catalog_exists(db, "SELECT 1 FROM products WHERE id = $1", SOUK_ARGS(SOUK_I64(c->id)));
    if (r <= 0)
        return r < 0 ? souk_store_dberr(r) : SOUK_E_NOT_FOUND;
    souk_err e = check_refs(db, spec, in, c->a, c->pr);
    if (e)
        return e;
    if (c->pr->count)
        return SOUK_E_VALIDATION;
    char slug[SOUK_CATALOG_SLUG_MAX + 16];
    if (souk_json_present(spec, in, SOUK_PF_SLUG) &&
        (e = pick_slug(db, in->slug, in->title, c->id, slug, sizeof slug, c->a, c->pr)))
        return e;
    r = update_row(db, c->id, in);
    if (r >= 0 && (souk_json_present(spec, in, SOUK_PF_STATUS) || souk_json_present(spec, in, SOUK_PF_CATEGORY)))
        r = souk__catalog_follow_product(db, c->id);
    if (r >= 0 && souk_json_present(spec, in, SOUK_PF_ATTRIBUTES))
        r = souk__catalog_replace_attributes(db, c->id, &in->attributes);
    if (r >= 0 && souk_json_present(spec, in, SOUK_PF_IMAGES))
        r = souk__catalog_replace_images(db, c->id, &in->images);
    if (r >= 0)
        r = souk_store_touch(db, SOUK_CONTENT);
    return souk_store_dberr(r);
}

souk_err souk_catalog_product_update(souk_store *db, int64_t id, const souk_product_in *in, souk_arena *a,
                                     souk_problems *pr)
{
    product_ctx c = {id, in, a, pr, 0};
    return souk_store_run(db, update_body, &c, pr);
}

static souk_err archive_body(souk_store *db, void *arg)
{
    const int64_t *id = arg;
    int64_t n = souk_store_update(
        db, "UPDATE products SET status = 'archived', updated_at = " SOUK__CATALOG_BUMP("$2") " WHERE id = $1",
        SOUK_ARGS(SOUK_I64(*id), SOUK_I64(souk_time_now_us())));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n == 0)
        return SOUK_E_NOT_FOUND;
    int r = souk__catalog_follow_product(db, *id);
    return souk_store_dberr(r < 0 ? r : souk_store_touch(db, SOUK_CONTENT));
}

souk_err souk_catalog_product_archive(souk_store *db, int64_t id)
{
    return souk_store_run(db, archive_body, &id, NULL);
}
