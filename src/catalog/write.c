/*
 * write.c — product, variant and price writes.
 *
 * Each public function runs one transaction (souk_store_tx) around a *_tx
 * body. Validation that needs the database (references exist, slug and SKU
 * unique) happens inside the write lock, so the answer cannot go stale before
 * the insert; UNIQUE constraints remain as the backstop and map to CONFLICT.
 * After any change to variants or prices, product_prices is recomputed for
 * the product in the same transaction.
 */
#include "catalog/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

static int exists(souk_store *db, const char *sql, int64_t id)
{
    return souk__catalog_row_exists(db, sql, NULL, id);
}

/* 1 when SQL ($1 text, $2 id to exclude) finds a row */
static int text_taken(souk_store *db, const char *sql, const char *text, int64_t except)
{
    return souk__catalog_row_exists(db, sql, text, except);
}

#define SLUG_TAKEN_SQL "SELECT 1 FROM products WHERE slug = $1 AND id <> $2"
#define SKU_TAKEN_SQL "SELECT 1 FROM variants WHERE sku = $1 AND id <> $2"

int souk__catalog_derive_slug(souk_store *db, const char *sql, const char *base, char *out, size_t outlen)
{
    char stem[SOUK_CATALOG_SLUG_MAX + 1];
    size_t n = souk_catalog_slugify(base, stem);
    if (n == 0) {
        memcpy(stem, "item", 5);
        n = 4;
    }
    if (n > SOUK_CATALOG_SLUG_MAX - 12)
        stem[n = SOUK_CATALOG_SLUG_MAX - 12] = '\0';
    while (n && stem[n - 1] == '-')
        stem[--n] = '\0';
    for (int i = 1; i < 10000; i++) {
        if (i == 1)
            snprintf(out, outlen, "%s", stem);
        else if (i < 100)
            snprintf(out, outlen, "%s-%d", stem, i);
        else
            snprintf(out, outlen, "%s-%lld", stem, (long long)(souk_id_next() & 0xffffff));
        int r = text_taken(db, sql, out, 0);
        if (r < 0)
            return r;
        if (r == 0)
            return 0;
    }
    return SOUK_DB_HARD;
}

static int64_t now_us(void)
{
    return souk_time_now_us();
}

/* Recomputes the lowest active-variant price per currency of PRODUCT. */
static int refresh_prices(souk_store *db, int64_t product)
{
    souk_stmt *st = souk_store_stmt(db, "DELETE FROM product_prices WHERE product_id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, product);
    int r = souk_stmt_exec(st);
    if (r < 0)
        return r;
    st = souk_store_stmt(db, "INSERT INTO product_prices (product_id, currency, min_amount) "
                             "SELECT v.product_id, vp.currency, min(vp.amount) FROM variants v "
                             "JOIN variant_prices vp ON vp.variant_id = v.id "
                             "WHERE v.product_id = $1 AND v.status = 'active' GROUP BY v.product_id, vp.currency");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, product);
    return souk_stmt_exec(st);
}

static int touch_product(souk_store *db, int64_t product)
{
    souk_stmt *st = souk_store_stmt(db, "UPDATE products SET updated_at = max($2, updated_at + 1) WHERE id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, product);
    souk_stmt_bind_i64(st, 2, now_us());
    return souk_stmt_exec(st);
}

/* Checks that the referenced brand/vendor/category exist (422 otherwise). */
static int check_refs(souk_store *db, const souk_json_spec *spec, const souk_product_in *in, souk_arena *a,
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
        if (spec && (!souk_json_present(spec, in, (size_t)refs[i].field) || souk_json_is_null(spec, in, (size_t)refs[i].field)))
            continue;
        int64_t id;
        memcpy(&id, (const char *)in + refs[i].offset, sizeof id);
        if (!id)
            continue;
        int r = exists(db, refs[i].sql, id);
        if (r < 0)
            return r;
        if (r == 0)
            souk_problems_add(pr, a, refs[i].name, "does not exist");
    }
    return 0;
}

static int insert_attributes(souk_store *db, int64_t product, const souk_json_strmap *m)
{
    souk_stmt *st = souk_store_stmt(db, "DELETE FROM product_attributes WHERE product_id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, product);
    int r = souk_stmt_exec(st);
    for (size_t i = 0; r >= 0 && i < m->count; i++) {
        st = souk_store_stmt(db, "INSERT INTO product_attributes (product_id, name, value) VALUES ($1, $2, $3)");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, product);
        souk_stmt_bind_text(st, 2, m->keys[i], SIZE_MAX);
        souk_stmt_bind_text(st, 3, m->values[i], SIZE_MAX);
        r = souk_stmt_exec(st);
    }
    return r;
}

static int insert_images(souk_store *db, int64_t product, const souk_json_array *imgs)
{
    souk_stmt *st = souk_store_stmt(db, "DELETE FROM product_images WHERE product_id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, product);
    int r = souk_stmt_exec(st);
    for (size_t i = 0; r >= 0 && i < imgs->count; i++) {
        const souk_image_in *img = (const souk_image_in *)imgs->items + i;
        st = souk_store_stmt(db, "INSERT INTO product_images (id, product_id, url, alt, width, height, position) "
                                 "VALUES ($1, $2, $3, $4, $5, $6, $7)");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, souk_id_next());
        souk_stmt_bind_i64(st, 2, product);
        souk_stmt_bind_text(st, 3, img->url, SIZE_MAX);
        souk_stmt_bind_text(st, 4, img->alt ? img->alt : "", SIZE_MAX);
        if (img->width)
            souk_stmt_bind_i64(st, 5, img->width);
        else
            souk_stmt_bind_null(st, 5);
        if (img->height)
            souk_stmt_bind_i64(st, 6, img->height);
        else
            souk_stmt_bind_null(st, 6);
        souk_stmt_bind_i64(st, 7, (int64_t)i);
        r = souk_stmt_exec(st);
    }
    return r;
}

static char *options_text(const souk_json_strmap *m)
{
    json_t *o = json_object();
    for (size_t i = 0; i < m->count; i++)
        json_object_set_new(o, m->keys[i], json_string(m->values[i]));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static int replace_prices(souk_store *db, int64_t variant, const souk_json_array *prices)
{
    souk_stmt *st = souk_store_stmt(db, "DELETE FROM variant_prices WHERE variant_id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, variant);
    int r = souk_stmt_exec(st);
    for (size_t i = 0; r >= 0 && i < prices->count; i++) {
        const souk_price_in *p = (const souk_price_in *)prices->items + i;
        st = souk_store_stmt(db, "INSERT INTO variant_prices (variant_id, currency, amount) VALUES ($1, $2, $3)");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, variant);
        souk_stmt_bind_text(st, 2, p->currency, 3);
        souk_stmt_bind_i64(st, 3, p->amount);
        r = souk_stmt_exec(st);
    }
    return r;
}

/* duplicate currencies inside one variant's price list → 422 */
static void check_price_list(const souk_json_array *prices, const char *path, souk_arena *a, souk_problems *pr)
{
    for (size_t i = 0; i < prices->count; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(((const souk_price_in *)prices->items)[i].currency,
                       ((const souk_price_in *)prices->items)[j].currency) == 0) {
                char *f = souk_arena_printf(a, "%sprices[%zu].currency", path, i);
                souk_problems_add(pr, a, f ? f : "prices", "appears twice");
            }
}

static int insert_variant(souk_store *db, int64_t product, const souk_variant_in *v, int64_t position, int64_t *id)
{
    char *opts = options_text(&v->options);
    if (!opts)
        return SOUK_DB_HARD;
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO variants (id, product_id, sku, title, options, status, position, "
                                        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)");
    if (!st) {
        free(opts);
        return SOUK_DB_HARD;
    }
    *id = souk_id_next();
    souk_stmt_bind_i64(st, 1, *id);
    souk_stmt_bind_i64(st, 2, product);
    souk_stmt_bind_text(st, 3, v->sku, SIZE_MAX);
    souk_stmt_bind_text(st, 4, v->title ? v->title : "", SIZE_MAX);
    souk_stmt_bind_text(st, 5, opts, SIZE_MAX);
    souk_stmt_bind_text(st, 6, v->status == SOUK_VARIANT_ARCHIVED ? "archived" : "active", SIZE_MAX);
    souk_stmt_bind_i64(st, 7, position);
    souk_stmt_bind_i64(st, 8, now_us());
    free(opts);
    int r = souk_stmt_exec(st);
    return r < 0 ? r : replace_prices(db, *id, &v->prices);
}

/* result of a transaction body: a domain error beats a db status */
typedef struct tx_result {
    souk_err err;
} tx_result;

#define TX_ABORT (-100)
#define FAIL_DB(r) return (r) == SOUK_DB_CONSTRAINT ? (ctx->res.err = SOUK_E_CONFLICT, TX_ABORT) : (r)
#define CHECK(call)          \
    do {                     \
        int r_ = (call);     \
        if (r_ < 0)          \
            FAIL_DB(r_);     \
    } while (0)

static const char *const status_names[] = {"draft", "active", "archived"};

/* ---- create ---- */

typedef struct create_ctx {
    const souk_product_in *in;
    souk_arena *a;
    souk_problems *pr;
    int64_t id;
    tx_result res;
} create_ctx;

static int create_body(souk_store *db, create_ctx *ctx)
{
    const souk_product_in *in = ctx->in;
    souk_arena *a = ctx->a;
    souk_problems *pr = ctx->pr;
    CHECK(check_refs(db, NULL, in, a, pr));
    for (size_t i = 0; i < in->variants.count; i++)
        check_price_list(&((const souk_variant_in *)in->variants.items)[i].prices,
                         souk_arena_printf(a, "variants[%zu].", i), a, pr);
    if (pr->count) {
        ctx->res.err = SOUK_E_VALIDATION;
        return TX_ABORT;
    }
    char slug[SOUK_CATALOG_SLUG_MAX + 16];
    if (in->slug) {
        int r = text_taken(db, SLUG_TAKEN_SQL, in->slug, 0);
        CHECK(r);
        if (r) {
            souk_problems_add(pr, a, "slug", "is already used by another product");
            ctx->res.err = SOUK_E_CONFLICT;
        }
        snprintf(slug, sizeof slug, "%s", in->slug);
    } else {
        CHECK(souk__catalog_derive_slug(db, SLUG_TAKEN_SQL, in->title, slug, sizeof slug));
    }
    for (size_t i = 0; i < in->variants.count; i++) {
        const char *sku = ((const souk_variant_in *)in->variants.items)[i].sku;
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(sku, ((const souk_variant_in *)in->variants.items)[j].sku) == 0;
        int r = dup ? 1 : text_taken(db, SKU_TAKEN_SQL, sku, 0);
        CHECK(r);
        if (r) {
            souk_problems_add(pr, a, souk_arena_printf(a, "variants[%zu].sku", i), "is already used");
            ctx->res.err = SOUK_E_CONFLICT;
        }
    }
    if (ctx->res.err)
        return TX_ABORT;

    int64_t id = souk_id_next(), now = now_us();
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO products (id, slug, title, description, status, brand_id, "
                                        "vendor_id, category_id, external_ref, created_at, updated_at) "
                                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_text(st, 2, slug, SIZE_MAX);
    souk_stmt_bind_text(st, 3, in->title, SIZE_MAX);
    souk_stmt_bind_text(st, 4, in->description ? in->description : "", SIZE_MAX);
    souk_stmt_bind_text(st, 5, status_names[in->status], SIZE_MAX);
    if (in->brand_id) souk_stmt_bind_i64(st, 6, in->brand_id); else souk_stmt_bind_null(st, 6);
    if (in->vendor_id) souk_stmt_bind_i64(st, 7, in->vendor_id); else souk_stmt_bind_null(st, 7);
    if (in->category_id) souk_stmt_bind_i64(st, 8, in->category_id); else souk_stmt_bind_null(st, 8);
    if (in->external_ref) souk_stmt_bind_text(st, 9, in->external_ref, SIZE_MAX); else souk_stmt_bind_null(st, 9);
    souk_stmt_bind_i64(st, 10, now);
    CHECK(souk_stmt_exec(st));
    CHECK(insert_attributes(db, id, &in->attributes));
    CHECK(insert_images(db, id, &in->images));
    for (size_t i = 0; i < in->variants.count; i++) {
        const souk_variant_in *v = (const souk_variant_in *)in->variants.items + i;
        int64_t vid;
        CHECK(insert_variant(db, id, v, v->position ? v->position : (int64_t)i, &vid));
    }
    CHECK(refresh_prices(db, id));
    CHECK(souk_store_touch(db, SOUK_CONTENT));
    ctx->id = id;
    return 0;
}

static int create_tx(souk_store *db, void *arg)
{
    return create_body(db, arg);
}

/* Runs BODY in a transaction and turns its outcome into a souk_err. */
static souk_err run(souk_store *db, int (*body)(souk_store *, void *), void *ctx, tx_result *res)
{
    int r = souk_store_tx(db, body, ctx);
    if (res->err)
        return res->err;
    if (r == SOUK_DB_CONSTRAINT)
        return SOUK_E_CONFLICT;
    return r < 0 ? SOUK_E_INTERNAL : SOUK_OK;
}

souk_err souk_catalog_product_create(souk_store *db, const souk_product_in *in, souk_arena *a, souk_problems *pr,
                                     int64_t *id)
{
    create_ctx ctx = {in, a, pr, 0, {SOUK_OK}};
    souk_err e = run(db, create_tx, &ctx, &ctx.res);
    if (!e)
        *id = ctx.id;
    return e;
}

souk_err souk_catalog_product_create_tx(souk_store *db, const souk_product_in *in, souk_arena *a,
                                        souk_problems *pr, int64_t *id)
{
    create_ctx ctx = {in, a, pr, 0, {SOUK_OK}};
    int r = create_body(db, &ctx);
    if (ctx.res.err)
        return ctx.res.err;
    if (r < 0)
        return r == SOUK_DB_CONSTRAINT ? SOUK_E_CONFLICT : SOUK_E_INTERNAL;
    *id = ctx.id;
    return SOUK_OK;
}

souk_err souk_catalog_product_upsert_external_tx(souk_store *db, const souk_product_in *in, souk_arena *a,
                                                 souk_problems *pr, int64_t *id, bool *created, bool *changed_out)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT id FROM products WHERE external_ref = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_text(st, 1, in->external_ref, SIZE_MAX);
    int r = souk_stmt_step(st);
    if (r < 0)
        return SOUK_E_INTERNAL;
    if (r == SOUK_DB_DONE) {
        *created = true;
        if (changed_out)
            *changed_out = true;
        return souk_catalog_product_create_tx(db, in, a, pr, id);
    }
    *id = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    *created = false;
    bool changed = false;
    st = souk_store_stmt(db, "UPDATE products SET title = $2, description = $3, updated_at = max($4, updated_at + 1) "
                             "WHERE id = $1 AND (title <> $2 OR description <> $3)");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, *id);
    souk_stmt_bind_text(st, 2, in->title, SIZE_MAX);
    souk_stmt_bind_text(st, 3, in->description ? in->description : "", SIZE_MAX);
    souk_stmt_bind_i64(st, 4, now_us());
    if (souk_stmt_exec(st) < 0)
        return SOUK_E_INTERNAL;
    changed = souk_store_changes(db) > 0;
    if (in->variants.count == 1) {
        const souk_variant_in *v = in->variants.items;
        for (size_t i = 0; i < v->prices.count; i++) {
            const souk_price_in *p = (const souk_price_in *)v->prices.items + i;
            st = souk_store_stmt(db, "INSERT INTO variant_prices (variant_id, currency, amount) "
                                     "SELECT id, $2, $3 FROM variants WHERE sku = $1 AND product_id = $4 "
                                     "ON CONFLICT (variant_id, currency) DO UPDATE SET amount = excluded.amount "
                                     "WHERE variant_prices.amount <> excluded.amount");
            if (!st)
                return SOUK_E_INTERNAL;
            souk_stmt_bind_text(st, 1, v->sku, SIZE_MAX);
            souk_stmt_bind_text(st, 2, p->currency, 3);
            souk_stmt_bind_i64(st, 3, p->amount);
            souk_stmt_bind_i64(st, 4, *id);
            if (souk_stmt_exec(st) < 0)
                return SOUK_E_INTERNAL;
            if (souk_store_changes(db) > 0) {
                changed = true;
                if (refresh_prices(db, *id) < 0 || touch_product(db, *id) < 0)
                    return SOUK_E_INTERNAL;
            }
        }
    }
    if (changed && souk_store_touch(db, SOUK_CONTENT) < 0)
        return SOUK_E_INTERNAL;
    if (changed_out)
        *changed_out = changed;
    return SOUK_OK;
}

/* ---- update ---- */

typedef struct update_ctx {
    int64_t id;
    const souk_product_in *in;
    const souk_variant_in *vin;
    souk_arena *a;
    souk_problems *pr;
    tx_result res;
} update_ctx;

static int update_tx(souk_store *db, void *arg)
{
    update_ctx *ctx = arg;
    const souk_json_spec *spec = &souk_catalog_product_update_spec;
    const souk_product_in *in = ctx->in;
    int r = exists(db, "SELECT 1 FROM products WHERE id = $1", ctx->id);
    CHECK(r);
    if (!r) {
        ctx->res.err = SOUK_E_NOT_FOUND;
        return TX_ABORT;
    }
    CHECK(check_refs(db, spec, in, ctx->a, ctx->pr));
    if (ctx->pr->count) {
        ctx->res.err = SOUK_E_VALIDATION;
        return TX_ABORT;
    }
    if (souk_json_present(spec, in, SOUK_PF_SLUG)) {
        r = text_taken(db, SLUG_TAKEN_SQL, in->slug, ctx->id);
        CHECK(r);
        if (r) {
            souk_problems_add(ctx->pr, ctx->a, "slug", "is already used by another product");
            ctx->res.err = SOUK_E_CONFLICT;
            return TX_ABORT;
        }
    }
    /* one UPDATE; each column keeps its value unless its flag parameter is 1 */
    souk_stmt *st = souk_store_stmt(
        db, "UPDATE products SET "
            "title = CASE WHEN $2 THEN $3 ELSE title END, slug = CASE WHEN $4 THEN $5 ELSE slug END, "
            "description = CASE WHEN $6 THEN $7 ELSE description END, status = CASE WHEN $8 THEN $9 ELSE status END, "
            "brand_id = CASE WHEN $10 THEN $11 ELSE brand_id END, vendor_id = CASE WHEN $12 THEN $13 ELSE vendor_id END, "
            "category_id = CASE WHEN $14 THEN $15 ELSE category_id END, updated_at = max($16, updated_at + 1) "
            "WHERE id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, ctx->id);
    const char *texts[4] = {in->title, in->slug, in->description, status_names[in->status]};
    int tf[4] = {SOUK_PF_TITLE, SOUK_PF_SLUG, SOUK_PF_DESCRIPTION, SOUK_PF_STATUS};
    for (int i = 0; i < 4; i++) {
        bool set = souk_json_present(spec, in, (size_t)tf[i]);
        souk_stmt_bind_i64(st, 2 + 2 * i, set);
        souk_stmt_bind_text(st, 3 + 2 * i, set && texts[i] ? texts[i] : "", SIZE_MAX);
    }
    int64_t ids[3] = {in->brand_id, in->vendor_id, in->category_id};
    int idf[3] = {SOUK_PF_BRAND, SOUK_PF_VENDOR, SOUK_PF_CATEGORY};
    for (int i = 0; i < 3; i++) {
        bool set = souk_json_present(spec, in, (size_t)idf[i]);
        souk_stmt_bind_i64(st, 10 + 2 * i, set);
        if (set && !souk_json_is_null(spec, in, (size_t)idf[i]))
            souk_stmt_bind_i64(st, 11 + 2 * i, ids[i]);
        else
            souk_stmt_bind_null(st, 11 + 2 * i);
    }
    souk_stmt_bind_i64(st, 16, now_us());
    CHECK(souk_stmt_exec(st));
    if (souk_json_present(spec, in, SOUK_PF_ATTRIBUTES))
        CHECK(insert_attributes(db, ctx->id, &in->attributes));
    if (souk_json_present(spec, in, SOUK_PF_IMAGES))
        CHECK(insert_images(db, ctx->id, &in->images));
    CHECK(souk_store_touch(db, SOUK_CONTENT));
    return 0;
}

souk_err souk_catalog_product_update(souk_store *db, int64_t id, const souk_product_in *in, souk_arena *a,
                                     souk_problems *pr)
{
    update_ctx ctx = {id, in, NULL, a, pr, {SOUK_OK}};
    return run(db, update_tx, &ctx, &ctx.res);
}

souk_err souk_catalog_product_archive(souk_store *db, int64_t id)
{
    souk_stmt *st = souk_store_stmt(db, "UPDATE products SET status = 'archived', "
                                        "updated_at = max($2, updated_at + 1) WHERE id = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_i64(st, 2, now_us());
    if (souk_stmt_exec(st) < 0)
        return SOUK_E_INTERNAL;
    if (souk_store_changes(db) == 0)
        return SOUK_E_NOT_FOUND;
    return souk_store_touch(db, SOUK_CONTENT) < 0 ? SOUK_E_INTERNAL : SOUK_OK;
}

/* ---- variants ---- */

static int variant_create_tx(souk_store *db, void *arg)
{
    update_ctx *ctx = arg; /* id = product; result id written back into ctx->id */
    const souk_variant_in *v = ctx->vin;
    int r = exists(db, "SELECT 1 FROM products WHERE id = $1", ctx->id);
    CHECK(r);
    if (!r) {
        ctx->res.err = SOUK_E_NOT_FOUND;
        return TX_ABORT;
    }
    check_price_list(&v->prices, "", ctx->a, ctx->pr);
    if (ctx->pr->count) {
        ctx->res.err = SOUK_E_VALIDATION;
        return TX_ABORT;
    }
    r = text_taken(db, SKU_TAKEN_SQL, v->sku, 0);
    CHECK(r);
    if (r) {
        souk_problems_add(ctx->pr, ctx->a, "sku", "is already used");
        ctx->res.err = SOUK_E_CONFLICT;
        return TX_ABORT;
    }
    int64_t position = v->position;
    if (!souk_json_present(&souk_catalog_variant_create_spec, v, SOUK_VF_POSITION)) {
        souk_stmt *st = souk_store_stmt(db, "SELECT coalesce(max(position) + 1, 0) FROM variants WHERE product_id = $1");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, ctx->id);
        if (souk_stmt_step(st) == SOUK_DB_ROW)
            position = souk_stmt_i64(st, 0);
        souk_stmt_done(st);
    }
    int64_t vid;
    CHECK(insert_variant(db, ctx->id, v, position, &vid));
    CHECK(refresh_prices(db, ctx->id));
    CHECK(touch_product(db, ctx->id));
    CHECK(souk_store_touch(db, SOUK_CONTENT));
    ctx->id = vid;
    return 0;
}

souk_err souk_catalog_variant_create(souk_store *db, int64_t product_id, const souk_variant_in *in, souk_arena *a,
                                     souk_problems *pr, int64_t *id)
{
    update_ctx ctx = {product_id, NULL, in, a, pr, {SOUK_OK}};
    souk_err e = run(db, variant_create_tx, &ctx, &ctx.res);
    if (!e)
        *id = ctx.id;
    return e;
}

static int64_t variant_product(souk_store *db, int64_t variant)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT product_id FROM variants WHERE id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, variant);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r;
    int64_t p = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    return p;
}

static int variant_update_tx(souk_store *db, void *arg)
{
    update_ctx *ctx = arg;
    const souk_json_spec *spec = &souk_catalog_variant_update_spec;
    const souk_variant_in *v = ctx->vin;
    int64_t product = variant_product(db, ctx->id);
    CHECK((int)(product < 0 ? product : 0));
    if (product == 0) {
        ctx->res.err = SOUK_E_NOT_FOUND;
        return TX_ABORT;
    }
    if (souk_json_present(spec, v, SOUK_VF_SKU)) {
        int r = text_taken(db, SKU_TAKEN_SQL, v->sku, ctx->id);
        CHECK(r);
        if (r) {
            souk_problems_add(ctx->pr, ctx->a, "sku", "is already used");
            ctx->res.err = SOUK_E_CONFLICT;
            return TX_ABORT;
        }
    }
    char *opts = souk_json_present(spec, v, SOUK_VF_OPTIONS) ? options_text(&v->options) : NULL;
    souk_stmt *st = souk_store_stmt(
        db, "UPDATE variants SET sku = CASE WHEN $2 THEN $3 ELSE sku END, title = CASE WHEN $4 THEN $5 ELSE title END, "
            "options = CASE WHEN $6 THEN $7 ELSE options END, position = CASE WHEN $8 THEN $9 ELSE position END, "
            "status = CASE WHEN $10 THEN $11 ELSE status END, updated_at = max($12, updated_at + 1) WHERE id = $1");
    if (!st) {
        free(opts);
        return SOUK_DB_HARD;
    }
    souk_stmt_bind_i64(st, 1, ctx->id);
    souk_stmt_bind_i64(st, 2, souk_json_present(spec, v, SOUK_VF_SKU));
    souk_stmt_bind_text(st, 3, v->sku ? v->sku : "", SIZE_MAX);
    souk_stmt_bind_i64(st, 4, souk_json_present(spec, v, SOUK_VF_TITLE));
    souk_stmt_bind_text(st, 5, v->title ? v->title : "", SIZE_MAX);
    souk_stmt_bind_i64(st, 6, opts != NULL);
    souk_stmt_bind_text(st, 7, opts ? opts : "{}", SIZE_MAX);
    souk_stmt_bind_i64(st, 8, souk_json_present(spec, v, SOUK_VF_POSITION));
    souk_stmt_bind_i64(st, 9, v->position);
    souk_stmt_bind_i64(st, 10, souk_json_present(spec, v, SOUK_VF_STATUS));
    souk_stmt_bind_text(st, 11, v->status == SOUK_VARIANT_ARCHIVED ? "archived" : "active", SIZE_MAX);
    souk_stmt_bind_i64(st, 12, now_us());
    free(opts);
    CHECK(souk_stmt_exec(st));
    CHECK(refresh_prices(db, product));
    CHECK(touch_product(db, product));
    CHECK(souk_store_touch(db, SOUK_CONTENT));
    return 0;
}

souk_err souk_catalog_variant_update(souk_store *db, int64_t id, const souk_variant_in *in, souk_arena *a,
                                     souk_problems *pr)
{
    update_ctx ctx = {id, NULL, in, a, pr, {SOUK_OK}};
    return run(db, variant_update_tx, &ctx, &ctx.res);
}

typedef struct price_ctx {
    int64_t variant, amount;
    const char *currency;
    tx_result res;
} price_ctx;

static int price_tx(souk_store *db, void *arg)
{
    price_ctx *ctx = arg;
    int64_t product = variant_product(db, ctx->variant);
    CHECK((int)(product < 0 ? product : 0));
    if (product == 0) {
        ctx->res.err = SOUK_E_NOT_FOUND;
        return TX_ABORT;
    }
    souk_stmt *st = ctx->amount >= 0
                        ? souk_store_stmt(db, "INSERT INTO variant_prices (variant_id, currency, amount) VALUES ($1, $2, $3) "
                                              "ON CONFLICT (variant_id, currency) DO UPDATE SET amount = excluded.amount")
                        : souk_store_stmt(db, "DELETE FROM variant_prices WHERE variant_id = $1 AND currency = $2");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, ctx->variant);
    souk_stmt_bind_text(st, 2, ctx->currency, 3);
    if (ctx->amount >= 0)
        souk_stmt_bind_i64(st, 3, ctx->amount);
    CHECK(souk_stmt_exec(st));
    if (ctx->amount < 0 && souk_store_changes(db) == 0) {
        ctx->res.err = SOUK_E_NOT_FOUND; /* no price in that currency */
        return TX_ABORT;
    }
    st = souk_store_stmt(db, "UPDATE variants SET updated_at = max($2, updated_at + 1) WHERE id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, ctx->variant);
    souk_stmt_bind_i64(st, 2, now_us());
    CHECK(souk_stmt_exec(st));
    CHECK(refresh_prices(db, product));
    CHECK(touch_product(db, product));
    CHECK(souk_store_touch(db, SOUK_CONTENT));
    return 0;
}

souk_err souk_catalog_price_set(souk_store *db, int64_t variant_id, const char *currency, int64_t amount)
{
    price_ctx ctx = {variant_id, amount, currency, {SOUK_OK}};
    return run(db, price_tx, &ctx, &ctx.res);
}
