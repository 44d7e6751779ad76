/*
 * taxonomy.c — category, brand and vendor writes. Categories form a tree:
 * a new parent must exist and must not be the category or one of its
 * descendants (checked by walking up from the new parent, inside the write
 * transaction). Vendors also carry a commission in basis points.
 */
#include "catalog/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

#define TX_ABORT (-100)

typedef struct taxon_ctx {
    souk_taxon_kind kind;
    int64_t id;
    const souk_taxon_in *in;
    souk_arena *a;
    souk_problems *pr;
    souk_err err;
} taxon_ctx;

static const char *const insert_sql[] = {
    ("INSERT INTO categories (id, parent_id, slug, name, position, created_at, updated_at) "
     "VALUES ($1, $2, $3, $4, $5, $6, $6)"),
    "INSERT INTO brands (id, slug, name, created_at, updated_at) VALUES ($1, $3, $4, $6, $6)",
    ("INSERT INTO vendors (id, slug, name, commission_bp, created_at, updated_at) "
     "VALUES ($1, $3, $4, $5, $6, $6)"),
};
static const char *const slug_taken_sql[] = {
    "SELECT 1 FROM categories WHERE slug = $1 AND id <> $2",
    "SELECT 1 FROM brands WHERE slug = $1 AND id <> $2",
    "SELECT 1 FROM vendors WHERE slug = $1 AND id <> $2",
};
static const char *const exists_sql[] = {
    "SELECT 1 FROM categories WHERE id = $1",
    "SELECT 1 FROM brands WHERE id = $1",
    "SELECT 1 FROM vendors WHERE id = $1",
};

static int one_row(souk_store *db, const char *sql, int64_t id, const char *text)
{
    return souk__catalog_row_exists(db, sql, text, id);
}

/* 1 when making NEW_PARENT the parent of ID would close a cycle */
static int makes_cycle(souk_store *db, int64_t id, int64_t new_parent)
{
    int64_t cur = new_parent;
    for (int depth = 0; cur && depth < 1000; depth++) {
        if (cur == id)
            return 1;
        souk_stmt *st = souk_store_stmt(db, "SELECT coalesce(parent_id, 0) FROM categories WHERE id = $1");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 1, cur);
        int r = souk_stmt_step(st);
        if (r < 0)
            return r;
        if (r == SOUK_DB_DONE)
            return 0;
        cur = souk_stmt_i64(st, 0);
        souk_stmt_done(st);
    }
    return cur ? 1 : 0;
}

/* slug: explicit (must be free) or derived from the name (made unique) */
static int pick_slug(souk_store *db, taxon_ctx *c, char *out, size_t outlen)
{
    if (c->in->slug) {
        int r = one_row(db, slug_taken_sql[c->kind], c->id, c->in->slug);
        if (r < 0)
            return r;
        if (r) {
            souk_problems_add(c->pr, c->a, "slug", "is already used");
            c->err = SOUK_E_CONFLICT;
            return TX_ABORT;
        }
        snprintf(out, outlen, "%s", c->in->slug);
        return 0;
    }
    return souk__catalog_derive_slug(db, slug_taken_sql[c->kind], c->in->name, out, outlen);
}

static int check_parent(souk_store *db, taxon_ctx *c)
{
    if (c->kind != SOUK_TAXON_CATEGORY || !c->in->parent_id)
        return 0;
    int r = one_row(db, exists_sql[0], c->in->parent_id, NULL);
    if (r < 0)
        return r;
    if (r == 0) {
        souk_problems_add(c->pr, c->a, "parent_id", "does not exist");
    } else if (c->id) {
        r = makes_cycle(db, c->id, c->in->parent_id);
        if (r < 0)
            return r;
        if (r)
            souk_problems_add(c->pr, c->a, "parent_id", "would make the category its own ancestor");
    }
    if (c->pr->count) {
        c->err = SOUK_E_VALIDATION;
        return TX_ABORT;
    }
    return 0;
}

/* insert_sql's kind-specific $2 (parent) and $5 (position / commission) */
static void bind_create_extras(souk_stmt *st, const taxon_ctx *c)
{
    if (c->kind == SOUK_TAXON_CATEGORY) {
        if (c->in->parent_id)
            souk_stmt_bind_i64(st, 2, c->in->parent_id);
        else
            souk_stmt_bind_null(st, 2);
        souk_stmt_bind_i64(st, 5, c->in->position);
    } else if (c->kind == SOUK_TAXON_VENDOR) {
        souk_stmt_bind_i64(st, 5, c->in->commission_bp);
    }
}

/* a vendor's commission when GIVEN (the specs check it too; this guards other
 * callers); other kinds have none */
static int check_commission(taxon_ctx *c, bool given)
{
    if (c->kind != SOUK_TAXON_VENDOR || !given ||
        (c->in->commission_bp >= 0 && c->in->commission_bp <= SOUK_CATALOG_COMMISSION_MAX))
        return 0;
    souk_problems_add(c->pr, c->a, "commission_bp", "must be between 0 and 10000");
    c->err = SOUK_E_VALIDATION;
    return TX_ABORT;
}

static int create_tx(souk_store *db, void *arg)
{
    taxon_ctx *c = arg;
    int r = check_commission(c, true);
    if (r < 0 || (r = check_parent(db, c)) < 0)
        return r;
    char slug[SOUK_CATALOG_SLUG_MAX + 16];
    if ((r = pick_slug(db, c, slug, sizeof slug)) < 0)
        return r;
    souk_stmt *st = souk_store_stmt(db, insert_sql[c->kind]);
    if (!st)
        return SOUK_DB_HARD;
    c->id = souk_id_next();
    souk_stmt_bind_i64(st, 1, c->id);
    bind_create_extras(st, c);
    souk_stmt_bind_text(st, 3, slug, SIZE_MAX);
    souk_stmt_bind_text(st, 4, c->in->name, SIZE_MAX);
    souk_stmt_bind_i64(st, 6, souk_time_now_us());
    int r_ = souk_stmt_exec(st);
    return r_ < 0 ? r_ : souk_store_touch(db, SOUK_CONTENT);
}

static souk_err finish(int r, taxon_ctx *c)
{
    if (c->err)
        return c->err;
    if (r == SOUK_DB_CONSTRAINT)
        return SOUK_E_CONFLICT;
    return r < 0 ? SOUK_E_INTERNAL : SOUK_OK;
}

souk_err souk_catalog_taxon_create(souk_store *db, souk_taxon_kind kind, const souk_taxon_in *in, souk_arena *a,
                                   souk_problems *pr, int64_t *id)
{
    taxon_ctx c = {kind, 0, in, a, pr, SOUK_OK};
    souk_err e = finish(souk_store_tx(db, create_tx, &c), &c);
    if (!e)
        *id = c.id;
    return e;
}

static const char *const update_sql[] = {
    ("UPDATE categories SET name = CASE WHEN $2 THEN $3 ELSE name END, slug = CASE WHEN $4 THEN $5 ELSE slug END, "
     "parent_id = CASE WHEN $6 THEN $7 ELSE parent_id END, position = CASE WHEN $8 THEN $9 ELSE position END, "
     "updated_at = max($10, updated_at + 1) WHERE id = $1"),
    ("UPDATE brands SET name = CASE WHEN $2 THEN $3 ELSE name END, slug = CASE WHEN $4 THEN $5 ELSE slug END, "
     "updated_at = max($10, updated_at + 1) WHERE id = $1"),
    ("UPDATE vendors SET name = CASE WHEN $2 THEN $3 ELSE name END, slug = CASE WHEN $4 THEN $5 ELSE slug END, "
     "commission_bp = CASE WHEN $6 THEN $7 ELSE commission_bp END, "
     "updated_at = max($10, updated_at + 1) WHERE id = $1"),
};

/* update_sql's kind-specific $6..$9: a category's parent and position, a
 * vendor's commission */
static void bind_update_extras(souk_stmt *st, const taxon_ctx *c, const souk_json_spec *spec, bool set_parent)
{
    if (c->kind == SOUK_TAXON_CATEGORY) {
        souk_stmt_bind_i64(st, 6, set_parent);
        if (set_parent && c->in->parent_id && !souk_json_is_null(spec, c->in, SOUK_TF_PARENT))
            souk_stmt_bind_i64(st, 7, c->in->parent_id);
        else
            souk_stmt_bind_null(st, 7);
        souk_stmt_bind_i64(st, 8, souk_json_present(spec, c->in, SOUK_TF_POSITION));
        souk_stmt_bind_i64(st, 9, c->in->position);
    } else if (c->kind == SOUK_TAXON_VENDOR) {
        souk_stmt_bind_i64(st, 6, souk_json_present(spec, c->in, SOUK_TF_COMMISSION));
        souk_stmt_bind_i64(st, 7, c->in->commission_bp);
    }
}

static int update_tx(souk_store *db, void *arg)
{
    taxon_ctx *c = arg;
    const souk_json_spec *spec = souk_catalog_taxon_spec(c->kind, true);
    int r = one_row(db, exists_sql[c->kind], c->id, NULL);
    if (r <= 0) {
        if (r == 0)
            c->err = SOUK_E_NOT_FOUND;
        return r < 0 ? r : TX_ABORT;
    }
    if ((r = check_commission(c, souk_json_present(spec, c->in, SOUK_TF_COMMISSION))) < 0)
        return r;
    bool set_parent = c->kind == SOUK_TAXON_CATEGORY && souk_json_present(spec, c->in, SOUK_TF_PARENT);
    if (set_parent && (r = check_parent(db, c)) < 0)
        return r;
    bool set_slug = souk_json_present(spec, c->in, SOUK_TF_SLUG);
    char slug[SOUK_CATALOG_SLUG_MAX + 16] = "";
    if (set_slug && (r = pick_slug(db, c, slug, sizeof slug)) < 0)
        return r;
    souk_stmt *st = souk_store_stmt(db, update_sql[c->kind]);
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, c->id);
    souk_stmt_bind_i64(st, 2, souk_json_present(spec, c->in, SOUK_TF_NAME));
    souk_stmt_bind_text(st, 3, c->in->name ? c->in->name : "", SIZE_MAX);
    souk_stmt_bind_i64(st, 4, set_slug);
    souk_stmt_bind_text(st, 5, slug, SIZE_MAX);
    bind_update_extras(st, c, spec, set_parent);
    souk_stmt_bind_i64(st, 10, souk_time_now_us());
    int r_ = souk_stmt_exec(st);
    return r_ < 0 ? r_ : souk_store_touch(db, SOUK_CONTENT);
}

souk_err souk_catalog_taxon_update(souk_store *db, souk_taxon_kind kind, int64_t id, const souk_taxon_in *in,
                                   souk_arena *a, souk_problems *pr)
{
    taxon_ctx c = {kind, id, in, a, pr, SOUK_OK};
    return finish(souk_store_tx(db, update_tx, &c), &c);
}

static int delete_tx(souk_store *db, void *arg)
{
    taxon_ctx *c = arg;
    int r = one_row(db, exists_sql[0], c->id, NULL);
    if (r <= 0) {
        if (r == 0)
            c->err = SOUK_E_NOT_FOUND;
        return r < 0 ? r : TX_ABORT;
    }
    r = one_row(db, "SELECT 1 FROM categories WHERE parent_id = $1", c->id, NULL);
    if (r < 0)
        return r;
    if (r)
        souk_problems_add(c->pr, c->a, "children", "the category has sub-categories; move or delete them first");
    r = one_row(db, "SELECT 1 FROM products WHERE category_id = $1", c->id, NULL);
    if (r < 0)
        return r;
    if (r)
        souk_problems_add(c->pr, c->a, "products", "products (of any status) are in this category; move them first");
    if (c->pr->count) {
        c->err = SOUK_E_CONFLICT;
        return TX_ABORT;
    }
    souk_stmt *st = souk_store_stmt(db, "DELETE FROM categories WHERE id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, c->id);
    int r_ = souk_stmt_exec(st);
    return r_ < 0 ? r_ : souk_store_touch(db, SOUK_CONTENT);
}

souk_err souk_catalog_category_delete(souk_store *db, int64_t id, souk_arena *a, souk_problems *pr)
{
    taxon_ctx c = {SOUK_TAXON_CATEGORY, id, NULL, a, pr, SOUK_OK};
    return finish(souk_store_tx(db, delete_tx, &c), &c);
}
