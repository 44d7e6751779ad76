/*
 * sync.c — the bulk importers' "make the stored product look like this"
 * (souk_catalog_product_sync_external_tx) and the exporters' page of
 * product ids with their external references.
 *
 * A sync compares before it writes: the product row with one conditional
 * UPDATE, attributes and images as lists (replaced only when they differ),
 * each variant by SKU (inserted, updated where a column differs, or — when
 * the input no longer lists it — archived), each price by an upsert that
 * skips an equal amount. A second run of the same input therefore writes
 * nothing and reports *CHANGED false; prices in currencies the input does not
 * name are left alone (price lists set elsewhere survive a re-import).
 */
#include "catalog/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

#define SKU_OWNER_SQL "SELECT id, product_id FROM variants WHERE sku = $1"

static const char *const status_names[] = {"draft", "active", "archived"};

/* 1 when the stored attributes of PRODUCT are exactly M, 0 when not, or a
 * negative souk_db_status. */
static int same_attributes(souk_store *db, int64_t product, const souk_json_strmap *m)
{
    souk_stmt *st = souk_store_query(db, "SELECT name, value FROM product_attributes WHERE product_id = $1",
                                     SOUK_ARGS(SOUK_I64(product)));
    size_t n = 0;
    int r, same = 1;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        n++;
        const char *name = souk_stmt_text(st, 0, NULL), *value = souk_stmt_text(st, 1, NULL);
        bool found = false;
        for (size_t i = 0; i < m->count && !found; i++)
            found = strcmp(m->keys[i], name ? name : "") == 0 && strcmp(m->values[i], value ? value : "") == 0;
        same &= found;
    }
    souk_stmt_done(st);
    return r < 0 ? r : same && n == m->count;
}

/* 1 when the stored images of PRODUCT are IMGS in order (url and alt), 0
 * when not, or a negative souk_db_status. */
static int same_images(souk_store *db, int64_t product, const souk_json_array *imgs)
{
    const souk_image_in *img = imgs->items;
    souk_stmt *st =
        souk_store_query(db, "SELECT url, alt FROM product_images WHERE product_id = $1 ORDER BY position, id",
                         SOUK_ARGS(SOUK_I64(product)));
    size_t n = 0;
    int r, same = 1;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        const char *url = souk_stmt_text(st, 0, NULL), *alt = souk_stmt_text(st, 1, NULL);
        if (n >= imgs->count || strcmp(img[n].url, url ? url : "") != 0 ||
            strcmp(img[n].alt ? img[n].alt : "", alt ? alt : "") != 0)
            same = 0;
        n++;
    }
    souk_stmt_done(st);
    return r < 0 ? r : same && n == imgs->count;
}

/* The stored product's id for IN: by external_ref, else (IN->slug set) the
 * product of that slug without one, which is adopted. 1 found, 0 not, or a
 * negative souk_db_status. */
static int find_product(souk_store *db, const souk_product_in *in, int64_t *id)
{
    int r = souk_store_one(db, "SELECT id FROM products WHERE external_ref = $1",
                           SOUK_ARGS(SOUK_TEXT(in->external_ref)), SOUK_COLS(SOUK_COL_I64(id)));
    if (r != SOUK_DB_DONE || !in->slug)
        return r < 0 ? r : 1;
    r = souk_store_one(db, "SELECT id FROM products WHERE slug = $1 AND external_ref IS NULL",
                       SOUK_ARGS(SOUK_TEXT(in->slug)), SOUK_COLS(SOUK_COL_I64(id)));
    if (r != SOUK_DB_ROW)
        return r < 0 ? r : 0;
    r = souk_store_exec(db, "UPDATE products SET external_ref = $2 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(*id), SOUK_TEXT(in->external_ref)));
    return r < 0 ? r : 1;
}

/* Every SKU of IN is free or already PRODUCT's, and appears once (CONFLICT
 * on "variants[i].sku" otherwise); the stored variant ids go to VIDS (0 = new). */
static souk_err check_skus(souk_store *db, int64_t product, const souk_product_in *in, int64_t *vids, souk_arena *a,
                           souk_problems *pr)
{
    const souk_variant_in *v = in->variants.items;
    souk_err e = SOUK_OK;
    for (size_t i = 0; i < in->variants.count; i++) {
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(v[i].sku, v[j].sku) == 0;
        int64_t vid = 0, owner = 0;
        int r = dup ? SOUK_DB_DONE
                    : souk_store_one(db, SKU_OWNER_SQL, SOUK_ARGS(SOUK_TEXT(v[i].sku)),
                                     SOUK_COLS(SOUK_COL_I64(&vid), SOUK_COL_I64(&owner)));
        if (r < 0)
            return souk_store_dberr(r);
        if (dup || (r == SOUK_DB_ROW && owner != product)) {
            souk_problems_add(pr, a, souk_arena_printf(a, "variants[%zu].sku", i),
                              dup ? "appears twice" : "is already used by another product");
            e = SOUK_E_CONFLICT;
        }
        vids[i] = r == SOUK_DB_ROW ? vid : 0;
    }
    return e;
}

/* Variant I of IN onto the stored VID (0: inserted; *VID gets its id). */
static int sync_variant(souk_store *db, int64_t product, const souk_variant_in *v, int64_t position, int64_t *vid,
                        bool *changed)
{
    if (!*vid) {
        *changed = true;
        return souk__catalog_insert_variant(db, product, v, position, vid);
    }
    char *opts = souk__catalog_options_text(&v->options);
    if (!opts)
        return SOUK_DB_HARD;
    int64_t n = souk_store_update(
        db,
        "UPDATE variants SET title = $2, options = $3, position = $4, status = 'active', updated_at = " SOUK__CATALOG_BUMP(
            "$5") " WHERE id = $1 AND (title <> $2 OR options <> $3 OR position <> $4 OR status <> 'active')",
        SOUK_ARGS(SOUK_I64(*vid), SOUK_TEXT(v->title ? v->title : ""), SOUK_TEXT(opts), SOUK_I64(position),
                  SOUK_I64(souk_time_now_us())));
    free(opts);
    if (n < 0)
        return (int)n;
    *changed |= n > 0;
    const souk_price_in *p = v->prices.items;
    for (size_t i = 0; i < v->prices.count; i++) {
        n = souk_store_update(db,
                              "INSERT INTO variant_prices (variant_id, currency, amount) VALUES ($1, $2, $3) "
                              "ON CONFLICT (variant_id, currency) DO UPDATE SET amount = excluded.amount "
                              "WHERE variant_prices.amount <> excluded.amount",
                              SOUK_ARGS(SOUK_I64(*vid), SOUK_TEXTN(p[i].currency, 3), SOUK_I64(p[i].amount)));
        if (n < 0)
            return (int)n;
        /* a stored option's price moved: told like any price write (wishlist price-drop alerts) */
        int er = n > 0 ? souk__catalog_emit_price(db, *vid, product, p[i].currency, p[i].amount) : 0;
        if (er < 0)
            return er;
        *changed |= n > 0;
    }
    return SOUK_DB_DONE;
}

/* Archives the active variants of PRODUCT that are not among VIDS[0..N). */
static int archive_others(souk_store *db, int64_t product, const int64_t *vids, size_t n, bool *changed)
{
    souk_stmt *st = souk_store_query(db, "SELECT id FROM variants WHERE product_id = $1 AND status = 'active'",
                                     SOUK_ARGS(SOUK_I64(product)));
    int64_t gone[SOUK_CATALOG_VARIANTS_MAX];
    size_t ngone = 0;
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        int64_t id = souk_stmt_i64(st, 0);
        bool keep = false;
        for (size_t i = 0; i < n && !keep; i++)
            keep = vids[i] == id;
        if (!keep && ngone < SOUK_CATALOG_VARIANTS_MAX)
            gone[ngone++] = id;
    }
    souk_stmt_done(st);
    for (size_t i = 0; r >= 0 && i < ngone; i++) {
        *changed = true;
        r = souk_store_exec(
            db, "UPDATE variants SET status = 'archived', updated_at = " SOUK__CATALOG_BUMP("$2") " WHERE id = $1",
            SOUK_ARGS(SOUK_I64(gone[i]), SOUK_I64(souk_time_now_us())));
    }
    return r;
}

/* The product row, attributes and images of IN onto product ID. */
static int sync_product_row(souk_store *db, int64_t id, const souk_product_in *in, bool *changed)
{
    int64_t n = souk_store_update(
        db,
        "UPDATE products SET title = $2, description = $3, status = $4, brand_id = $6, category_id = $8, "
        "updated_at = " SOUK__CATALOG_BUMP("$9") " WHERE id = $1 AND (title <> $2 OR description <> $3 OR status <> $4 "
                                                 "OR coalesce(brand_id, 0) <> $5 OR coalesce(category_id, 0) <> $7)",
        SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(in->title), SOUK_TEXT(in->description ? in->description : ""),
                  SOUK_TEXT(status_names[in->status]), SOUK_I64(in->brand_id), SOUK_REF(in->brand_id),
                  SOUK_I64(in->category_id), SOUK_REF(in->category_id), SOUK_I64(souk_time_now_us())));
    if (n < 0)
        return (int)n;
    int r = SOUK_DB_DONE;
    if (n > 0) {
        *changed = true;
        r = souk__catalog_follow_product(db, id);
    }
    if (r >= 0 && (r = same_attributes(db, id, &in->attributes)) == 0) {
        *changed = true;
        r = souk__catalog_replace_attributes(db, id, &in->attributes);
    }
    if (r >= 0 && (r = same_images(db, id, &in->images)) == 0) {
        *changed = true;
        r = souk__catalog_replace_images(db, id, &in->images);
    }
    return r;
}

souk_err souk_catalog_product_sync_external_tx(souk_store *db, const souk_product_in *in, souk_arena *a,
                                               souk_problems *pr, int64_t *id, bool *created, bool *changed,
                                               int64_t *variant_ids)
{
    int64_t local[SOUK_CATALOG_VARIANTS_MAX];
    int64_t *vids = variant_ids ? variant_ids : local;
    const souk_variant_in *v = in->variants.items;
    if (in->variants.count > SOUK_CATALOG_VARIANTS_MAX) {
        souk_problems_add(pr, a, "variants", "at most %d variants", SOUK_CATALOG_VARIANTS_MAX);
        return SOUK_E_VALIDATION;
    }
    int r = find_product(db, in, id);
    if (r < 0)
        return souk_store_dberr(r);
    *created = r == 0;
    *changed = false;
    if (r == 0) {
        souk_product_in fresh = *in; /* a slug taken by another product: derive one from the title */
        if (in->slug &&
            (r = souk__catalog_taken(db, "SELECT 1 FROM products WHERE slug = $1 AND id <> $2", in->slug, 0)) != 0) {
            if (r < 0)
                return souk_store_dberr(r);
            fresh.slug = NULL;
        }
        souk_err e = souk_catalog_product_create_tx(db, &fresh, a, pr, id);
        if (e)
            return e;
        *changed = true;
        for (size_t i = 0; i < in->variants.count; i++) {
            r = souk_store_one(db, "SELECT id FROM variants WHERE sku = $1", SOUK_ARGS(SOUK_TEXT(v[i].sku)),
                               SOUK_COLS(SOUK_COL_I64(&vids[i])));
            if (r < 0)
                return souk_store_dberr(r);
        }
        return SOUK_OK;
    }
    for (size_t i = 0; i < in->variants.count; i++)
        souk__catalog_check_price_list(&v[i].prices, souk_arena_printf(a, "variants[%zu].", i), a, pr);
    if (pr->count)
        return SOUK_E_VALIDATION;
    souk_err e = check_skus(db, *id, in, vids, a, pr);
    if (e)
        return e;
    bool variants_changed = false, row_changed = false;
    r = sync_product_row(db, *id, in, &row_changed);
    for (size_t i = 0; r >= 0 && i < in->variants.count; i++)
        r = sync_variant(db, *id, &v[i], v[i].position ? v[i].position : (int64_t)i, &vids[i], &variants_changed);
    if (r >= 0)
        r = archive_others(db, *id, vids, in->variants.count, &variants_changed);
    if (r >= 0 && variants_changed)
        r = souk__catalog_refresh_prices(db, *id);
    if (r >= 0 && variants_changed && !row_changed)
        r = souk__catalog_touch_product(db, *id);
    *changed = variants_changed || row_changed;
    if (r >= 0 && *changed)
        r = souk_store_touch(db, SOUK_CONTENT);
    return souk_store_dberr(r);
}

souk_err souk_catalog_products_page(souk_store *db, int64_t after, souk_catalog_product_ref *rows, int max, int *count)
{
    *count = 0;
    souk_stmt *st = souk_store_query(db, "SELECT id, external_ref FROM products WHERE id > $1 ORDER BY id LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(after), SOUK_I64(max)));
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW && *count < max) {
        souk_catalog_product_ref *row = &rows[(*count)++];
        row->id = souk_stmt_i64(st, 0);
        size_t len = 0;
        const char *ref = souk_stmt_text(st, 1, &len);
        row->external_ref[0] = '\0';
        if (ref && len < sizeof row->external_ref) {
            memcpy(row->external_ref, ref, len);
            row->external_ref[len] = '\0';
        }
    }
    souk_stmt_done(st);
    return souk_store_dberr(r);
}
