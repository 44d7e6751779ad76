/*
 * list.c — the product list: filters, sorts and keyset pagination, in three
 * steps: build (the SQL and its parameters from the filter), fetch (one page
 * of rows into the arena) and render (JSON text straight into a buffer).
 *
 * The SQL is assembled from the filter (only the clauses in use), so the
 * planner sees plain predicates it can index; the store caches one prepared
 * statement per distinct shape. Parameters: $1 currency, then one per value.
 * Sort keys: newest = id (time-ordered), name = (title, id), price =
 * (lowest price in the currency, id) with products lacking a price last.
 * in_stock reads the inventory's published read model variant_availability
 * (inventory.h), never its stock tables.
 */
#include "catalog/internal.h"

#include <string.h>

#include "core/buf.h"
#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

#define NO_PRICE_HIGH "9223372036854775807"
#define NO_PRICE_LOW "-1"
#define LIST_MAX_ARGS 32 /* $1 currency + category, status, brand, vendor, 2 prices, 2 per attribute, cursor, limit */

/* ---- build --------------------------------------------------------------- */

/* the SQL of one page and its parameters */
typedef struct list_query {
    souk_buf sql;
    souk_param args[LIST_MAX_ARGS + 1];
    int n;
} list_query;

/* Appends the next parameter's "$N" to the SQL and its value to the list. */
static void add_arg(list_query *q, souk_param v)
{
    if (q->n < LIST_MAX_ARGS)
        q->args[q->n] = v;
    q->n++;
    souk_buf_printf(&q->sql, "$%d", q->n);
}

/* Appends SQL (a predicate ending in an operator) and its parameter. */
static void add_clause(list_query *q, const char *sql, souk_param v)
{
    souk_buf_adds(&q->sql, sql);
    add_arg(q, v);
}

/* the sort key: the column the cursor compares and the ORDER BY leads with */
static const char *sort_key(souk_catalog_sort sort)
{
    switch (sort) {
    case SOUK_SORT_PRICE_ASC: return "coalesce(pp.min_amount, " NO_PRICE_HIGH ")";
    case SOUK_SORT_PRICE_DESC: return "coalesce(pp.min_amount, " NO_PRICE_LOW ")";
    case SOUK_SORT_NAME: return "p.title";
    case SOUK_SORT_NEWEST: break;
    }
    return "p.id";
}

/* The taxa of the filter as ids (0 = not filtered). */
typedef struct list_taxa {
    int64_t category, brand, vendor;
} list_taxa;

/* Writes the SQL of the page F asks for, restricted to the taxa T, and its
 * parameters into Q (initialised here; the caller releases Q->sql). The
 * columns: id, slug, title, status, brand, vendor, category, created_at,
 * updated_at, price (NULL when none) and the integer sort key (the id for
 * the name sort, whose key is the title). Returns 0, or -1 when the SQL did
 * not fit. */
static int list_build(const souk_catalog_filter *f, const list_taxa *t, list_query *q)
{
    static const char *const statuses[] = {"draft", "active", "archived"};
    const char *key = sort_key(f->sort);
    souk_buf_init(&q->sql, 8192);
    q->args[0] = SOUK_TEXTN(f->currency, 3);
    q->n = 1;
    if (t->category) {
        add_clause(q, "WITH RECURSIVE sub(id) AS (SELECT id FROM categories WHERE id = ", SOUK_I64(t->category));
        souk_buf_adds(&q->sql, " UNION ALL SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) ");
    }
    souk_buf_printf(&q->sql,
                    "SELECT p.id, p.slug, p.title, p.status, p.brand_id, p.vendor_id, p.category_id, "
                    "p.created_at, p.updated_at, pp.min_amount, %s "
                    "FROM products p LEFT JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = $1 "
                    "WHERE 1 = 1",
                    f->sort == SOUK_SORT_NAME ? "p.id" : key);
    if (f->status != SOUK_STATUS_ANY)
        add_clause(q, " AND p.status = ", SOUK_TEXT(statuses[f->status]));
    if (t->category)
        souk_buf_adds(&q->sql, " AND p.category_id IN (SELECT id FROM sub)");
    if (t->brand)
        add_clause(q, " AND p.brand_id = ", SOUK_I64(t->brand));
    if (t->vendor)
        add_clause(q, " AND p.vendor_id = ", SOUK_I64(t->vendor));
    if (f->has_price_min)
        add_clause(q, " AND pp.min_amount >= ", SOUK_I64(f->price_min));
    if (f->has_price_max)
        add_clause(q, " AND pp.min_amount <= ", SOUK_I64(f->price_max));
    for (size_t i = 0; i < f->nattrs; i++) {
        add_clause(q, " AND EXISTS (SELECT 1 FROM product_attributes pa WHERE pa.product_id = p.id AND pa.name = ",
                   SOUK_TEXT(f->attrs[i].name));
        add_clause(q, " AND pa.value = ", SOUK_TEXT(f->attrs[i].value));
        souk_buf_addc(&q->sql, ')');
    }
    /* in stock = some active variant has available > 0 in the inventory's
     * derived variant_availability (variants_product index, then its
     * primary key); a variant without a row has nothing available */
    if (f->has_in_stock)
        souk_buf_printf(&q->sql,
                        " AND %sEXISTS (SELECT 1 FROM variants v JOIN variant_availability va "
                        "ON va.variant_id = v.id WHERE v.product_id = p.id AND v.status = 'active' "
                        "AND va.available > 0)",
                        f->in_stock ? "" : "NOT ");
    if (f->has_cursor && f->sort == SOUK_SORT_NEWEST) {
        add_clause(q, " AND p.id < ", SOUK_I64(f->cursor_id));
    } else if (f->has_cursor) {
        souk_buf_printf(&q->sql, " AND (%s, p.id) %s (", key, f->sort == SOUK_SORT_PRICE_DESC ? "<" : ">");
        add_arg(q, f->sort == SOUK_SORT_NAME ? SOUK_TEXT(f->cursor_text) : SOUK_I64(f->cursor_key));
        add_clause(q, ", ", SOUK_I64(f->cursor_id));
        souk_buf_addc(&q->sql, ')');
    }
    switch (f->sort) {
    case SOUK_SORT_NEWEST: souk_buf_adds(&q->sql, " ORDER BY p.id DESC"); break;
    case SOUK_SORT_PRICE_DESC: souk_buf_printf(&q->sql, " ORDER BY %s DESC, p.id DESC", key); break;
    default: souk_buf_printf(&q->sql, " ORDER BY %s, p.id", key); break;
    }
    add_clause(q, " LIMIT ", SOUK_I64(f->limit + 1));
    if (q->n > LIST_MAX_ARGS || souk_buf_failed(&q->sql))
        return -1;
    q->args[q->n] = (souk_param){.type = SOUK_TYPE_END};
    return 0;
}

/* ---- fetch --------------------------------------------------------------- */

typedef struct list_row {
    int64_t id, brand, vendor, category, created, updated, price, key;
    bool has_price;
    char *slug, *title, *status; /* in the arena */
} list_row;

/* Runs Q and reads up to LIMIT rows into *ROWS (arena); *N gets how many,
 * *MORE whether another page follows. The statement is finished before the
 * renderer's per-row lookups use the connection. */
static souk_err list_fetch(souk_store *db, const list_query *q, int limit, souk_arena *a, list_row **rows, int *n,
                           bool *more)
{
    souk_stmt *st = souk_store_query(db, q->sql.data, q->args);
    list_row *out = souk_arena_alloc(a, sizeof *out * (size_t)(limit + 1));
    list_row w = {0};
    int count = 0, r = SOUK_DB_DONE;
    bool no_price = false;
    while (out && count <= limit &&
           (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&w.id), SOUK_COL_ARENA(&w.slug, a),
                                             SOUK_COL_ARENA(&w.title, a), SOUK_COL_ARENA(&w.status, a),
                                             SOUK_COL_I64(&w.brand), SOUK_COL_I64(&w.vendor),
                                             SOUK_COL_I64(&w.category), SOUK_COL_I64(&w.created),
                                             SOUK_COL_I64(&w.updated),
                                             SOUK_COL_NULLABLE(SOUK_COL_I64(&w.price), &no_price),
                                             SOUK_COL_I64(&w.key)))) == SOUK_DB_ROW) {
        w.has_price = !no_price;
        out[count++] = w;
    }
    souk_stmt_done(st);
    if (!out || r < 0)
        return out ? souk_store_dberr(r) : SOUK_E_INTERNAL;
    *more = count > limit;
    *n = *more ? limit : count;
    *rows = out;
    return SOUK_OK;
}

/* ---- render -------------------------------------------------------------- */

/* The list is written straight into a buffer (render.c). */

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

/* {"id","slug","name"} of the taxon, or null; -1 when the database failed */
static int put_ref(souk_store *db, souk_buf *b, ref_memo *m, souk_taxon_kind kind, int64_t id, souk_arena *a)
{
    for (int i = 0; id && i < m->n; i++)
        if (m->items[i].kind == kind && m->items[i].id == id) {
            souk_buf_adds(b, m->items[i].json);
            return 0;
        }
    char *slug = NULL, *name = NULL;
    int r = id ? souk_store_one(db, souk__catalog_ref_sql[kind], SOUK_ARGS(SOUK_I64(id)),
                                SOUK_COLS(SOUK_COL_ARENA(&slug, a), SOUK_COL_ARENA(&name, a)))
               : SOUK_DB_DONE;
    if (r != SOUK_DB_ROW) {
        souk_buf_adds(b, "null");
        return r < 0 ? -1 : 0;
    }
    souk_buf one;
    souk_buf_init(&one, 4096);
    souk__catalog_put_ref(&one, kind, id, slug, strlen(slug), name, strlen(name));
    const char *json = souk_buf_failed(&one) ? NULL : souk_arena_strndup(a, one.data, one.len);
    souk_buf_release(&one);
    if (!json)
        return -1;
    if (m->n < 64)
        m->items[m->n++] = (memo_item){kind, id, json};
    souk_buf_adds(b, json);
    return 0;
}

/* the product's first image, or null; -1 when the database failed */
static int put_first_image(souk_store *db, souk_buf *b, int64_t product, souk_arena *a)
{
    int64_t id = 0, width = 0, height = 0, position = 0;
    bool no_width = true, no_height = true;
    char *url = NULL, *alt = NULL;
    int r = souk_store_one(db,
                           "SELECT id, url, alt, width, height, position FROM product_images "
                           "WHERE product_id = $1 ORDER BY position, id LIMIT 1",
                           SOUK_ARGS(SOUK_I64(product)),
                           SOUK_COLS(SOUK_COL_I64(&id), SOUK_COL_ARENA(&url, a), SOUK_COL_ARENA(&alt, a),
                                     SOUK_COL_NULLABLE(SOUK_COL_I64(&width), &no_width),
                                     SOUK_COL_NULLABLE(SOUK_COL_I64(&height), &no_height), SOUK_COL_I64(&position)));
    if (r != SOUK_DB_ROW) {
        souk_buf_adds(b, "null");
        return r < 0 ? -1 : 0;
    }
    souk_buf_adds(b, "{\"id\":");
    souk__catalog_put_id(b, SOUK_PREFIX_IMAGE, id);
    souk_buf_adds(b, ",\"url\":");
    souk__catalog_put_str(b, url);
    souk_buf_adds(b, ",\"alt\":");
    souk__catalog_put_str(b, alt);
    souk_buf_adds(b, ",\"width\":");
    souk__catalog_put_int_or_null(b, width, no_width);
    souk_buf_adds(b, ",\"height\":");
    souk__catalog_put_int_or_null(b, height, no_height);
    souk_buf_printf(b, ",\"position\":%lld}", (long long)position);
    return 0;
}

/* One product summary of the list. */
static int put_row(souk_store *db, souk_buf *out, ref_memo *memo, const list_row *w, const char *currency,
                   souk_arena *a)
{
    souk_buf_adds(out, "{\"id\":");
    souk__catalog_put_id(out, SOUK_PREFIX_PRODUCT, w->id);
    souk_buf_adds(out, ",\"slug\":");
    souk__catalog_put_str(out, w->slug);
    souk_buf_adds(out, ",\"title\":");
    souk__catalog_put_str(out, w->title);
    souk_buf_adds(out, ",\"status\":");
    souk__catalog_put_str(out, w->status);
    souk_buf_adds(out, ",\"brand\":");
    if (put_ref(db, out, memo, SOUK_TAXON_BRAND, w->brand, a) < 0)
        return -1;
    souk_buf_adds(out, ",\"vendor\":");
    if (put_ref(db, out, memo, SOUK_TAXON_VENDOR, w->vendor, a) < 0)
        return -1;
    souk_buf_adds(out, ",\"category\":");
    if (put_ref(db, out, memo, SOUK_TAXON_CATEGORY, w->category, a) < 0)
        return -1;
    if (w->has_price)
        souk_buf_printf(out, ",\"price\":{\"amount\":%lld,\"currency\":\"%s\"}", (long long)w->price, currency);
    else
        souk_buf_adds(out, ",\"price\":null");
    souk_buf_adds(out, ",\"image\":");
    if (put_first_image(db, out, w->id, a) < 0)
        return -1;
    souk_buf_adds(out, ",\"created_at\":");
    souk__catalog_put_time(out, w->created);
    souk_buf_adds(out, ",\"updated_at\":");
    souk__catalog_put_time(out, w->updated);
    souk_buf_addc(out, '}');
    return 0;
}

/* {"data":[summary...],"next_cursor":…} of ROWS[0..N) into OUT; MORE: a
 * next page exists (its cursor points after the last row). */
static souk_err list_render(souk_store *db, const souk_catalog_filter *f, const list_row *rows, int n, bool more,
                            souk_arena *a, souk_buf *out)
{
    ref_memo memo = {.n = 0};
    souk_buf_adds(out, "{\"data\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            souk_buf_addc(out, ',');
        if (put_row(db, out, &memo, &rows[i], f->currency, a) < 0)
            return SOUK_E_INTERNAL;
    }
    souk_buf_adds(out, "],\"next_cursor\":");
    if (more && n > 0) {
        const list_row *last = &rows[n - 1];
        char *c = souk__catalog_cursor(f->sort, last->id, last->key, last->title, a);
        if (!c)
            return SOUK_E_INTERNAL;
        souk__catalog_put_str(out, c);
    } else {
        souk_buf_adds(out, "null");
    }
    souk_buf_addc(out, '}');
    return souk_buf_failed(out) ? SOUK_E_INTERNAL : SOUK_OK;
}

/* ---- the list ------------------------------------------------------------ */

/* Resolves the filter's category/brand/vendor (id or slug) into T; a name
 * that does not resolve is a problem "no such <field>" (VALIDATION). */
static souk_err resolve_taxa(souk_store *db, const souk_catalog_filter *f, list_taxa *t, souk_arena *a,
                             souk_problems *pr)
{
    const struct {
        souk_taxon_kind kind;
        const char *given, *field;
        int64_t *id;
    } taxa[] = {
        {SOUK_TAXON_CATEGORY, f->category, "category", &t->category},
        {SOUK_TAXON_BRAND, f->brand, "brand", &t->brand},
        {SOUK_TAXON_VENDOR, f->vendor, "vendor", &t->vendor},
    };
    *t = (list_taxa){0, 0, 0};
    for (size_t i = 0; i < 3; i++) {
        int r = taxa[i].given ? souk__catalog_resolve(db, taxa[i].kind, taxa[i].given, taxa[i].id) : 1;
        if (r < 0)
            return souk_store_dberr(r);
        if (r == 0)
            souk_problems_add(pr, a, taxa[i].field, "no such %s", taxa[i].field);
    }
    return pr->count ? SOUK_E_VALIDATION : SOUK_OK;
}

souk_err souk_catalog_list_write(souk_store *db, const souk_catalog_filter *f, souk_arena *a, souk_problems *pr,
                                 souk_buf *out)
{
    list_taxa taxa;
    souk_err e = resolve_taxa(db, f, &taxa, a, pr);
    if (e)
        return e;
    list_query q;
    if (list_build(f, &taxa, &q) < 0) {
        souk_buf_release(&q.sql);
        return SOUK_E_INTERNAL;
    }
    list_row *rows = NULL;
    int n = 0;
    bool more = false;
    e = list_fetch(db, &q, f->limit, a, &rows, &n, &more);
    souk_buf_release(&q.sql);
    return e ? e : list_render(db, f, rows, n, more, a, out);
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
