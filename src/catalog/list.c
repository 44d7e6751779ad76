/*
 * list.c — the product list: filters, sorts and keyset pagination.
 *
 * The SQL is assembled from the filter (only the clauses in use), so the
 * planner sees plain predicates it can index; the store caches one prepared
 * statement per distinct shape. Parameters: $1 currency, then one per value.
 * Sort keys: newest = id (time-ordered), name = (title, id), price =
 * (lowest price in the currency, id) with products lacking a price last.
 * in_stock reads the inventory's published read model variant_availability
 * (migration 0004), never its stock tables.
 */
#include "catalog/internal.h"

#include <string.h>

#include "core/buf.h"
#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

/* The list is written straight into a buffer (no jansson tree): on an
 * uncached request building and freeing the tree was most of the cost. */

static void put_str(souk_buf *b, const char *s)
{
    souk_buf_add_json_string(b, s, strlen(s));
}

static void put_id(souk_buf *b, const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    souk_buf_addc(b, '"');
    souk_buf_adds(b, souk_id_format(prefix, id, buf));
    souk_buf_addc(b, '"');
}

static void put_time(souk_buf *b, int64_t us)
{
    char buf[SOUK_RFC3339_LEN];
    souk_buf_addc(b, '"');
    souk_buf_adds(b, souk_time_format(us, buf));
    souk_buf_addc(b, '"');
}

/* brand/vendor/category refs rendered once per request */
typedef struct memo_item {
    souk_taxon_kind kind;
    int64_t id;
    const char *json;
} memo_item;

typedef struct ref_memo {
    memo_item items[64];
    int n;
} ref_memo;

static int put_ref(souk_store *db, souk_buf *b, ref_memo *m, souk_taxon_kind kind, int64_t id, souk_arena *a)
{
    if (!id) {
        souk_buf_adds(b, "null");
        return 0;
    }
    for (int i = 0; i < m->n; i++)
        if (m->items[i].kind == kind && m->items[i].id == id) {
            souk_buf_adds(b, m->items[i].json);
            return 0;
        }
    souk_stmt *st = souk_store_stmt(db, souk__catalog_ref_sql[kind]);
    if (!st)
        return -1;
    souk_stmt_bind_i64(st, 1, id);
    int r = souk_stmt_step(st);
    if (r < 0)
        return -1;
    if (r == SOUK_DB_DONE) {
        souk_buf_adds(b, "null");
        return 0;
    }
    souk_buf one;
    souk_buf_init(&one, 4096);
    souk_buf_adds(&one, "{\"id\":");
    put_id(&one, souk__catalog_taxon_prefix(kind), id);
    souk_buf_adds(&one, ",\"slug\":");
    put_str(&one, souk_stmt_text(st, 0, NULL));
    souk_buf_adds(&one, ",\"name\":");
    put_str(&one, souk_stmt_text(st, 1, NULL));
    souk_buf_addc(&one, '}');
    souk_stmt_done(st);
    const char *json = souk_buf_failed(&one) ? NULL : souk_arena_strndup(a, one.data, one.len);
    souk_buf_release(&one);
    if (!json)
        return -1;
    if (m->n < 64)
        m->items[m->n++] = (memo_item){kind, id, json};
    souk_buf_adds(b, json);
    return 0;
}

static int put_first_image(souk_store *db, souk_buf *b, int64_t product)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT id, url, alt, width, height, position FROM product_images "
                                        "WHERE product_id = $1 ORDER BY position, id LIMIT 1");
    if (!st)
        return -1;
    souk_stmt_bind_i64(st, 1, product);
    int r = souk_stmt_step(st);
    if (r < 0)
        return -1;
    if (r == SOUK_DB_DONE) {
        souk_buf_adds(b, "null");
        return 0;
    }
    souk_buf_adds(b, "{\"id\":");
    put_id(b, SOUK_PREFIX_IMAGE, souk_stmt_i64(st, 0));
    souk_buf_adds(b, ",\"url\":");
    put_str(b, souk_stmt_text(st, 1, NULL));
    souk_buf_adds(b, ",\"alt\":");
    put_str(b, souk_stmt_text(st, 2, NULL));
    for (int c = 3; c <= 4; c++) {
        souk_buf_adds(b, c == 3 ? ",\"width\":" : ",\"height\":");
        if (souk_stmt_is_null(st, c))
            souk_buf_adds(b, "null");
        else
            souk_buf_printf(b, "%lld", (long long)souk_stmt_i64(st, c));
    }
    souk_buf_printf(b, ",\"position\":%lld}", (long long)souk_stmt_i64(st, 5));
    souk_stmt_done(st);
    return 0;
}

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

souk_err souk_catalog_list_write(souk_store *db, const souk_catalog_filter *f, souk_arena *a, souk_problems *pr,
                                 souk_buf *out)
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
    /* in stock = some active variant has available > 0 in the inventory's
     * derived variant_availability (variants_product index, then its
     * primary key); a variant without a row has nothing available */
    if (f->has_in_stock)
        souk_buf_printf(&sql, " AND %sEXISTS (SELECT 1 FROM variants v JOIN variant_availability va "
                              "ON va.variant_id = v.id WHERE v.product_id = p.id AND v.status = 'active' "
                              "AND va.available > 0)",
                        f->in_stock ? "" : "NOT ");
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
        const char *slug, *title, *status;
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
        w->slug = souk_arena_strdup(a, souk_stmt_text(st, 1, NULL));
        w->title = souk_arena_strdup(a, souk_stmt_text(st, 2, NULL));
        w->status = souk_arena_strdup(a, souk_stmt_text(st, 3, NULL));
        if (!w->slug || !w->title || !w->status) {
            souk_stmt_done(st);
            return SOUK_E_INTERNAL;
        }
    }
    souk_stmt_done(st);
    if (r < 0)
        return SOUK_E_INTERNAL;
    bool more = n > f->limit;
    if (more)
        n = f->limit;

    ref_memo memo = {.n = 0};
    souk_buf_adds(out, "{\"data\":[");
    for (int i = 0; i < n; i++) {
        row *w = &rows[i];
        souk_buf_adds(out, i ? ",{\"id\":" : "{\"id\":");
        put_id(out, SOUK_PREFIX_PRODUCT, w->id);
        souk_buf_adds(out, ",\"slug\":");
        put_str(out, w->slug);
        souk_buf_adds(out, ",\"title\":");
        put_str(out, w->title);
        souk_buf_adds(out, ",\"status\":");
        put_str(out, w->status);
        souk_buf_adds(out, ",\"brand\":");
        if (put_ref(db, out, &memo, SOUK_TAXON_BRAND, w->brand, a) < 0)
            return SOUK_E_INTERNAL;
        souk_buf_adds(out, ",\"vendor\":");
        if (put_ref(db, out, &memo, SOUK_TAXON_VENDOR, w->vendor, a) < 0)
            return SOUK_E_INTERNAL;
        souk_buf_adds(out, ",\"category\":");
        if (put_ref(db, out, &memo, SOUK_TAXON_CATEGORY, w->category, a) < 0)
            return SOUK_E_INTERNAL;
        if (w->has_price)
            souk_buf_printf(out, ",\"price\":{\"amount\":%lld,\"currency\":\"%s\"}", (long long)w->price,
                            f->currency);
        else
            souk_buf_adds(out, ",\"price\":null");
        souk_buf_adds(out, ",\"image\":");
        if (put_first_image(db, out, w->id) < 0)
            return SOUK_E_INTERNAL;
        souk_buf_adds(out, ",\"created_at\":");
        put_time(out, w->created);
        souk_buf_adds(out, ",\"updated_at\":");
        put_time(out, w->updated);
        souk_buf_addc(out, '}');
    }
    souk_buf_adds(out, "],\"next_cursor\":");
    if (more && n > 0) {
        row *last = &rows[n - 1];
        char *c = souk__catalog_cursor(f->sort, last->id, last->key, last->title, a);
        if (!c)
            return SOUK_E_INTERNAL;
        put_str(out, c);
    } else {
        souk_buf_adds(out, "null");
    }
    souk_buf_addc(out, '}');
    return souk_buf_failed(out) ? SOUK_E_INTERNAL : SOUK_OK;
}

souk_err souk_catalog_list(souk_store *db, const souk_catalog_filter *f, souk_arena *a, souk_problems *pr,
                           json_t **out)
{
    souk_buf b;
    souk_buf_init(&b, 16u << 20);
    souk_err e = souk_catalog_list_write(db, f, a, pr, &b);
    if (!e) {
        *out = json_loadb(b.data, b.len, 0, NULL);
        if (!*out)
            e = SOUK_E_INTERNAL;
    }
    souk_buf_release(&b);
    return e;
}
