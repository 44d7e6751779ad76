/*
 * taxonomy.c — category, brand and vendor writes. Categories form a tree:
 * a new parent must exist and must not be the category or one of its
 * descendants (checked by walking up from the new parent, inside the write
 * transaction). Vendors also carry a commission in basis points.
 *
 * Parameters: every kind's INSERT takes $1 id, $2 slug, $3 name, $4 now, and
 * its UPDATE $1 id, $2/$3 name (flag, value), $4/$5 slug, $6 now; the kind's
 * own columns follow (extras()).
 */
#include "catalog/internal.h"

#include <stdio.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

typedef struct taxon_ctx {
    souk_taxon_kind kind;
    int64_t id; /* the taxon updated or deleted; 0 on create */
    const souk_taxon_in *in;
    souk_arena *a;
    souk_problems *pr;
    int64_t created; /* create: out, the new id */
} taxon_ctx;

static const char *const insert_sql[] = {
    ("INSERT INTO categories (id, slug, name, created_at, updated_at, parent_id, position) "
     "VALUES ($1, $2, $3, $4, $4, $5, $6)"),
    "INSERT INTO brands (id, slug, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    ("INSERT INTO vendors (id, slug, name, created_at, updated_at, commission_bp) VALUES ($1, $2, $3, $4, $4, $5)"),
};
#define UPDATE_COMMON                                                                                                         \
    "name = CASE WHEN $2 THEN $3 ELSE name END, slug = CASE WHEN $4 THEN $5 ELSE slug END, updated_at = " SOUK__CATALOG_BUMP( \
        "$6")
static const char *const update_sql[] = {
    ("UPDATE categories SET " UPDATE_COMMON ", parent_id = CASE WHEN $7 THEN $8 ELSE parent_id END, "
     "position = CASE WHEN $9 THEN $10 ELSE position END WHERE id = $1"),
    ("UPDATE brands SET " UPDATE_COMMON " WHERE id = $1"),
    ("UPDATE vendors SET " UPDATE_COMMON ", commission_bp = CASE WHEN $7 THEN $8 ELSE commission_bp END WHERE id = $1"),
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

/* NOT_FOUND unless the taxon of KIND with ID exists */
static souk_err must_exist(souk_store *db, souk_taxon_kind kind, int64_t id)
{
    int r = souk__catalog_exists(db, exists_sql[kind], SOUK_ARGS(SOUK_I64(id)));
    return r < 0 ? souk_store_dberr(r) : r ? SOUK_OK : SOUK_E_NOT_FOUND;
}

/* 1 when making NEW_PARENT the parent of ID would close a cycle, 0 when
 * not, or a negative souk_db_status */
static int makes_cycle(souk_store *db, int64_t id, int64_t new_parent)
{
    int64_t cur = new_parent;
    for (int depth = 0; cur && depth < 1000; depth++) {
        if (cur == id)
            return 1;
        int r = souk_store_one(db, "SELECT coalesce(parent_id, 0) FROM categories WHERE id = $1",
                               SOUK_ARGS(SOUK_I64(cur)), SOUK_COLS(SOUK_COL_I64(&cur)));
        if (r <= 0)
            return r;
    }
    return cur ? 1 : 0;
}

/* slug: explicit (must be free) or derived from the name (made unique) */
static souk_err pick_slug(souk_store *db, taxon_ctx *c, char *out, size_t outlen)
{
    if (!c->in->slug)
        return souk_store_dberr(souk__catalog_derive_slug(db, slug_taken_sql[c->kind], c->in->name, out, outlen));
    int r = souk__catalog_taken(db, slug_taken_sql[c->kind], c->in->slug, c->id);
    if (r < 0)
        return souk_store_dberr(r);
    if (r) {
        souk_problems_add(c->pr, c->a, "slug", "is already used");
        return SOUK_E_CONFLICT;
    }
    snprintf(out, outlen, "%s", c->in->slug);
    return SOUK_OK;
}

static souk_err check_parent(souk_store *db, taxon_ctx *c)
{
    if (c->kind != SOUK_TAXON_CATEGORY || !c->in->parent_id)
        return SOUK_OK;
    souk_err e = must_exist(db, SOUK_TAXON_CATEGORY, c->in->parent_id);
    if (e == SOUK_E_NOT_FOUND) {
        souk_problems_add(c->pr, c->a, "parent_id", "does not exist");
    } else if (e) {
        return e;
    } else if (c->id) {
        int r = makes_cycle(db, c->id, c->in->parent_id);
        if (r < 0)
            return souk_store_dberr(r);
        if (r)
            souk_problems_add(c->pr, c->a, "parent_id", "would make the category its own ancestor");
    }
    return c->pr->count ? SOUK_E_VALIDATION : SOUK_OK;
}

/* a vendor's commission when GIVEN (the specs check it too; this guards other
 * callers); other kinds have none */
static souk_err check_commission(taxon_ctx *c, bool given)
{
    if (c->kind != SOUK_TAXON_VENDOR || !given ||
        (c->in->commission_bp >= 0 && c->in->commission_bp <= SOUK_CATALOG_COMMISSION_MAX))
        return SOUK_OK;
    souk_problems_add(c->pr, c->a, "commission_bp", "must be between 0 and 10000");
    return SOUK_E_VALIDATION;
}

/* Appends the kind's own parameters to ARGS[N..] and ends the list: on
 * create a category's parent and position or a vendor's commission; on
 * update each with its "set" flag first. */
static void extras(const taxon_ctx *c, bool update, souk_param *args, size_t n)
{
    const souk_json_spec *spec = souk_catalog_taxon_spec(c->kind, true);
    if (c->kind == SOUK_TAXON_CATEGORY) {
        bool set_parent = !update || souk_json_present(spec, c->in, SOUK_TF_PARENT);
        if (update)
            args[n++] = SOUK_BOOL(set_parent);
        args[n++] = set_parent && !(update && souk_json_is_null(spec, c->in, SOUK_TF_PARENT))
                        ? SOUK_REF(c->in->parent_id)
                        : SOUK_NULL;
        if (update)
            args[n++] = SOUK_BOOL(souk_json_present(spec, c->in, SOUK_TF_POSITION));
        args[n++] = SOUK_I64(c->in->position);
    } else if (c->kind == SOUK_TAXON_VENDOR) {
        if (update)
            args[n++] = SOUK_BOOL(souk_json_present(spec, c->in, SOUK_TF_COMMISSION));
        args[n++] = SOUK_I64(c->in->commission_bp);
    }
    args[n] = (souk_param){.type = SOUK_TYPE_END};
}

static souk_err create_body(souk_store *db, void *arg)
{
    taxon_ctx *c = arg;
    char slug[SOUK_CATALOG_SLUG_MAX + 16];
    souk_err e = check_commission(c, true);
    if (e || (e = check_parent(db, c)) || (e = pick_slug(db, c, slug, sizeof slug)))
        return e;
    int64_t id = souk_id_next();
    souk_param args[10] = {SOUK_I64(id), SOUK_TEXT(slug), SOUK_TEXT(c->in->name), SOUK_I64(souk_time_now_us())};
    extras(c, false, args, 4);
    int r = souk_store_exec(db, insert_sql[c->kind], args);
    if (r >= 0)
        r = souk_store_touch(db, SOUK_CONTENT);
    if (r >= 0 && c->kind == SOUK_TAXON_CATEGORY)
        r = souk_store_touch(db, SOUK_CATALOG_TREE);
    if (r < 0)
        return souk_store_dberr(r);
    c->created = id;
    return SOUK_OK;
}

souk_err souk_catalog_taxon_create(souk_store *db, souk_taxon_kind kind, const souk_taxon_in *in, souk_arena *a,
                                   souk_problems *pr, int64_t *id)
{
    taxon_ctx c = {kind, 0, in, a, pr, 0};
    souk_err e = souk_store_run(db, create_body, &c, pr);
    if (!e)
        *id = c.created;
    return e;
}

static souk_err update_body(souk_store *db, void *arg)
{
    taxon_ctx *c = arg;
    const souk_json_spec *spec = souk_catalog_taxon_spec(c->kind, true);
    souk_err e = must_exist(db, c->kind, c->id);
    if (e || (e = check_commission(c, souk_json_present(spec, c->in, SOUK_TF_COMMISSION))))
        return e;
    if (c->kind == SOUK_TAXON_CATEGORY && souk_json_present(spec, c->in, SOUK_TF_PARENT) && (e = check_parent(db, c)))
        return e;
    bool set_slug = souk_json_present(spec, c->in, SOUK_TF_SLUG);
    char slug[SOUK_CATALOG_SLUG_MAX + 16] = "";
    if (set_slug && (e = pick_slug(db, c, slug, sizeof slug)))
        return e;
    souk_param args[12] = {SOUK_I64(c->id),
                           SOUK_BOOL(souk_json_present(spec, c->in, SOUK_TF_NAME)),
                           SOUK_TEXT(c->in->name ? c->in->name : ""),
                           SOUK_BOOL(set_slug),
                           SOUK_TEXT(slug),
                           SOUK_I64(souk_time_now_us())};
    extras(c, true, args, 6);
    int r = souk_store_exec(db, update_sql[c->kind], args);
    if (r >= 0)
        r = souk_store_touch(db, SOUK_CONTENT);
    if (r >= 0 && c->kind == SOUK_TAXON_CATEGORY)
        r = souk_store_touch(db, SOUK_CATALOG_TREE);
    return souk_store_dberr(r);
}

souk_err souk_catalog_taxon_update(souk_store *db, souk_taxon_kind kind, int64_t id, const souk_taxon_in *in,
                                   souk_arena *a, souk_problems *pr)
{
    taxon_ctx c = {kind, id, in, a, pr, 0};
    return souk_store_run(db, update_body, &c, pr);
}

static souk_err delete_body(souk_store *db, void *arg)
{
    taxon_ctx *c = arg;
    souk_err e = must_exist(db, SOUK_TAXON_CATEGORY, c->id);
    if (e)
        return e;
    int r = souk__catalog_exists(db, "SELECT 1 FROM categories WHERE parent_id = $1", SOUK_ARGS(SOUK_I64(c->id)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r)
        souk_problems_add(c->pr, c->a, "children", "the category has sub-categories; move or delete them first");
    r = souk__catalog_exists(db, "SELECT 1 FROM products WHERE category_id = $1", SOUK_ARGS(SOUK_I64(c->id)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r)
        souk_problems_add(c->pr, c->a, "products", "products (of any status) are in this category; move them first");
    if (c->pr->count)
        return SOUK_E_CONFLICT;
    r = souk_store_exec(db, "DELETE FROM categories WHERE id = $1", SOUK_ARGS(SOUK_I64(c->id)));
    if (r >= 0)
        r = souk_store_touch(db, SOUK_CONTENT);
    if (r >= 0)
        r = souk_store_touch(db, SOUK_CATALOG_TREE);
    return souk_store_dberr(r);
}

souk_err souk_catalog_category_delete(souk_store *db, int64_t id, souk_arena *a, souk_problems *pr)
{
    taxon_ctx c = {SOUK_TAXON_CATEGORY, id, NULL, a, pr, 0};
    return souk_store_run(db, delete_body, &c, pr);
}
