/*
 * list.c — the product list: filters, sorts and keyset pagination.
 *
 * The SQL is assembled from the filter (only the clauses in use), so the
 * planner sees plain predicates it can index; the store caches one prepared
 * statement per distinct shape. Parameters: $1 currency, then one per value.
 * Sort keys: newest = id (time-ordered), name = (title, id), price =
 * (lowest price in the currency, id) with products lacking a price last.
 */
#include "catalog/internal.h"

#include <string.h>

#include "core/buf.h"
#include "core/id.h"
#include "core/banned.h"

json_t *souk__catalog_first_image(souk_store *db, int64_t product);

#define NO_PRICE_HIGH "9223372036854775807"
#define NO_PRICE_LOW "-1"

typedef struct binder {
    int kind[32]; /* 0 = int, 1 = text */
    int64_t ints[32];
    const char *texts[32];
    int n;
} binder;

static int bind_int(binder *b, souk_buf *sql, int64_t v)
{
    b->kind[b->n] = 0;
    b->ints[b->n] = v;
    b->n++;
    souk_buf_printf(sql, "$%d", b->n + 1);
    return 0;
}

static int bind_text(binder *b, souk_buf *sql, const char *v)
{
    b->kind[b->n] = 1;
    b->texts[b->n] = v;
    b->n++;
    souk_buf_printf(sql, "$%d", b->n + 1);
    return 0;
}

static int resolve(souk_store *db, souk_taxon_kind kind, const char *given, const char *field, int64_t *id,
                   souk_arena *a, souk_problems *pr)
{
    int r = souk__catalog_resolve(db, kind, given, id);
    if (r < 0)
        return r;
    if (r == 0)
        souk_problems_add(pr, a, field, "no such %s", field);
    return r;
}

souk_err souk_catalog_list(souk_store *db, const souk_catalog_filter *f, souk_arena *a, souk_problems *pr,
                           json_t **out)
{
    int64_t category = 0, brand = 0, vendor = 0;
    int r;
    if (f->category && (r = resolve(db, SOUK_TAXON_CATEGORY, f->category, "category", &category, a, pr)) < 0)
        return SOUK_E_INTERNAL;
    if (f->brand && (r = resolve(db, SOUK_TAXON_BRAND, f->brand, "brand", &brand, a, pr)) < 0)
        return SOUK_E_INTERNAL;
    if (f->vendor && (r = resolve(db, SOUK_TAXON_VENDOR, f->vendor, "vendor", &vendor, a, pr)) < 0)
        return SOUK_E_INTERNAL;
    if (pr->count)
        return SOUK_E_VALIDATION;

    const char *key_expr = "p.id";
    switch (f->sort) {
    case SOUK_SORT_PRICE_ASC: key_expr = "coalesce(pp.min_amount, " NO_PRICE_HIGH ")"; break;
    case SOUK_SORT_PRICE_DESC: key_expr = "coalesce(pp.min_amount, " NO_PRICE_LOW ")"; break;
    case SOUK_SORT_NAME: key_expr = "p.title"; break;
    case SOUK_SORT_NEWEST: break;
    }

    souk_buf sql;
    souk_buf_init(&sql, 8192);
    binder b = {.n = 0};
    if (category)
        souk_buf_adds(&sql, "WITH RECURSIVE sub(id) AS (SELECT id FROM categories WHERE id = $2 UNION ALL "
                            "SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) ");
    if (category) { /* $2 is the category; keep the binder in step */
        b.kind[0] = 0;
        b.ints[0] = category;
        b.n = 1;
    }
    souk_buf_printf(&sql, "SELECT p.id, p.slug, p.title, p.status, p.brand_id, p.vendor_id, p.category_id, "
                          "p.created_at, p.updated_at, pp.min_amount, %s "
                          "FROM products p LEFT JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = $1 "
                          "WHERE 1 = 1",
                    key_expr);
    if (f->status != SOUK_STATUS_ANY) {
        static const char *names[] = {"draft", "active", "archived"};
        souk_buf_adds(&sql, " AND p.status = ");
        bind_text(&b, &sql, names[f->status]);
    }
    if (category)
        souk_buf_adds(&sql, " AND p.category_id IN (SELECT id FROM sub)");
    if (brand) {
        souk_buf_adds(&sql, " AND p.brand_id = ");
        bind_int(&b, &sql, brand);
    }
    if (vendor) {
        souk_buf_adds(&sql, " AND p.vendor_id = ");
        bind_int(&b, &sql, vendor);
    }
    if (f->has_price_min) {
        souk_buf_adds(&sql, " AND pp.min_amount >= ");
        bind_int(&b, &sql, f->price_min);
    }
    if (f->has_price_max) {
        souk_buf_adds(&sql, " AND pp.min_amount <= ");
        bind_int(&b, &sql, f->price_max);
    }
    for (size_t i = 0; i < f->nattrs; i++) {
        souk_buf_adds(&sql, " AND EXISTS (SELECT 1 FROM product_attributes pa WHERE pa.product_id = p.id AND pa.name = ");
        bind_text(&b, &sql, f->attrs[i].name);
        souk_buf_adds(&sql, " AND pa.value = ");
        bind_text(&b, &sql, f->attrs[i].value);
        souk_buf_addc(&sql, ')');
    }
    if (f->has_cursor) {
        if (f->sort == SOUK_SORT_NEWEST) {
            souk_buf_adds(&sql, " AND p.id < ");
            bind_int(&b, &sql, f->cursor_id);
        } else {
            const char *cmp = f->sort == SOUK_SORT_PRICE_DESC ? "<" : ">";
            souk_buf_printf(&sql, " AND (%s, p.id) %s (", key_expr, cmp);
            if (f->sort == SOUK_SORT_NAME)
                bind_text(&b, &sql, f->cursor_text);
            else
                bind_int(&b, &sql, f->cursor_key);
            souk_buf_adds(&sql, ", ");
            bind_int(&b, &sql, f->cursor_id);
            souk_buf_addc(&sql, ')');
        }
    }
    switch (f->sort) {
    case SOUK_SORT_NEWEST: souk_buf_adds(&sql, " ORDER BY p.id DESC"); break;
    case SOUK_SORT_PRICE_DESC: souk_buf_printf(&sql, " ORDER BY %s DESC, p.id DESC", key_expr); break;
    default: souk_buf_printf(&sql, " ORDER BY %s, p.id", key_expr); break;
    }
    souk_buf_adds(&sql, " LIMIT ");
    bind_int(&b, &sql, f->limit + 1);

    souk_stmt *st = souk_buf_failed(&sql) ? NULL : souk_store_stmt(db, sql.data);
    souk_buf_release(&sql);
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_text(st, 1, f->currency, 3);
    for (int i = 0; i < b.n; i++) {
        if (b.kind[i])
            souk_stmt_bind_text(st, i + 2, b.texts[i], SIZE_MAX);
        else
            souk_stmt_bind_i64(st, i + 2, b.ints[i]);
    }

    /* rows first (the statement must be finished before the per-row lookups
     * reuse the connection's other statements) */
    typedef struct row {
        int64_t id, brand, vendor, category, created, updated, price, key;
        bool has_price;
        json_t *strings; /* [slug, title, status, key_text] */
    } row;
    row *rows = souk_arena_alloc(a, sizeof(row) * (size_t)(f->limit + 1));
    if (!rows)
        return SOUK_E_INTERNAL;
    int n = 0;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW && n <= f->limit) {
        row *w = &rows[n++];
        w->id = souk_stmt_i64(st, 0);
        w->brand = souk_stmt_i64(st, 4);
        w->vendor = souk_stmt_i64(st, 5);
        w->category = souk_stmt_i64(st, 6);
        w->created = souk_stmt_i64(st, 7);
        w->updated = souk_stmt_i64(st, 8);
        w->has_price = !souk_stmt_is_null(st, 9);
        w->price = souk_stmt_i64(st, 9);
        w->key = souk_stmt_i64(st, 10);
        w->strings = json_pack("[s,s,s]", souk_stmt_text(st, 1, NULL), souk_stmt_text(st, 2, NULL),
                               souk_stmt_text(st, 3, NULL));
    }
    souk_stmt_done(st);
    if (r < 0 && r != SOUK_DB_ROW) {
        for (int i = 0; i < n; i++)
            json_decref(rows[i].strings);
        return SOUK_E_INTERNAL;
    }
    bool more = n > f->limit;
    if (more)
        n = f->limit;

    json_t *data = json_array();
    for (int i = 0; i < n; i++) {
        row *w = &rows[i];
        json_t *item = json_pack(
            "{s:o,s:O,s:O,s:O,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", souk__catalog_id(SOUK_PREFIX_PRODUCT, w->id), "slug",
            json_array_get(w->strings, 0), "title", json_array_get(w->strings, 1), "status",
            json_array_get(w->strings, 2), "brand", souk__catalog_ref(db, SOUK_TAXON_BRAND, w->brand), "vendor",
            souk__catalog_ref(db, SOUK_TAXON_VENDOR, w->vendor), "category",
            souk__catalog_ref(db, SOUK_TAXON_CATEGORY, w->category), "price",
            w->has_price ? json_pack("{s:I,s:s}", "amount", (json_int_t)w->price, "currency", f->currency)
                         : json_null(),
            "image", souk__catalog_first_image(db, w->id), "created_at", souk__catalog_time(w->created), "updated_at",
            souk__catalog_time(w->updated));
        json_array_append_new(data, item);
    }
    json_t *next = json_null();
    if (more && n > 0) {
        row *last = &rows[n - 1];
        char *c = souk__catalog_cursor(f->sort, last->id, last->key, json_string_value(json_array_get(last->strings, 1)),
                                       a);
        if (c) {
            json_decref(next);
            next = json_string(c);
        }
    }
    for (int i = 0; i < (more ? n + 1 : n); i++)
        json_decref(rows[i].strings);
    *out = json_pack("{s:o,s:o}", "data", data, "next_cursor", next);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}
