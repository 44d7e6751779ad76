/*
 * list.c — the product list: filters, sorts and keyset pagination, in three
 * steps: build (the SQL and its parameters from the filter), fetch (one page
 * of rows into the arena) and render (JSON text straight into a buffer).
 *
 * The SQL is assembled from the filter (only the clauses in use), so the
 * planner sees plain predicates it can index; the store caches one prepared
 * statement per distinct shape. Parameters: $1 currency, then one per value.
 * Sort keys: newest = id (time-ordered), name = (title, id), price =
 * (lowest price in the currency, id) with products lacking a price last,
 * read in two parts that follow indexes instead of sorting (list_part).
 * in_stock reads the inventory's published read model variant_availability
 * (inventory.h), never its stock tables.
 */
#include "catalog/internal.h"

#include <math.h>
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

/* The taxa of the filter as ids (0 = not filtered). */
typedef struct list_taxa {
    int64_t category, brand, vendor;
} list_taxa;

/* What one statement of a page reads. The price sorts run in two parts so
 * that neither sorts: the priced products straight off the index
 * product_prices_sort (currency, min_amount, product_id), then — only when
 * the page is not full yet — the unpriced ones, which sort last both ways
 * (their key is NO_PRICE_HIGH ascending, NO_PRICE_LOW descending), in id
 * order. Together they are exactly the order coalesce(min_amount, key), id
 * would give, and the cursor keeps that meaning. */
typedef enum list_part {
    LIST_PLAIN,    /* newest, name: one statement */
    LIST_PRICED,   /* price sorts, products with a price in the currency */
    LIST_UNPRICED, /* price sorts, products without one */
} list_part;

/* Whether the unpriced part can have rows after F's cursor: an unpriced
 * row's key (MAX ascending, -1 descending) must come after the cursor's.
 * Price filters leave unpriced products out. */
static bool unpriced_wanted(const souk_catalog_filter *f)
{
    if (f->has_price_min || f->has_price_max)
        return false;
    if (!f->has_cursor)
        return true;
    return f->sort == SOUK_SORT_PRICE_ASC || f->cursor_key >= -1; /* no key is above MAX */
}

/* Writes the SQL of PART of the page F asks for, restricted to the taxa T,
 * at most LIMIT rows, and its parameters into Q (initialised here; the
 * caller releases Q->sql). The columns: id, slug, title, status, brand,
 * vendor, category, created_at, updated_at, price (NULL when none) and the integer sort key (the id for
 * the name sort, whose key is the title). Returns 0, or -1 when the SQL did
 * not fit. */
static int list_build(const souk_catalog_filter *f, const list_taxa *t, list_part part, int limit, list_query *q)
{
    static const char *const statuses[] = {"draft", "active", "archived"};
    bool desc = f->sort == SOUK_SORT_PRICE_DESC;
    souk_buf_init(&q->sql, 8192);
    q->args[0] = SOUK_TEXTN(f->currency, 3);
    q->n = 1;
    if (t->category) {
        add_clause(q, "WITH RECURSIVE sub(id) AS (SELECT id FROM categories WHERE id = ", SOUK_I64(t->category));
        souk_buf_adds(&q->sql, " UNION ALL SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) ");
    }
    souk_buf_adds(&q->sql, "SELECT p.id, p.slug, p.title, p.status, p.brand_id, p.vendor_id, p.category_id, "
                           "p.created_at, p.updated_at, ");
    switch (part) {
    case LIST_PLAIN:
        souk_buf_adds(&q->sql, "pp.min_amount, p.id FROM products p LEFT JOIN product_prices pp "
                               "ON pp.product_id = p.id AND pp.currency = $1 WHERE 1 = 1");
        break;
    case LIST_PRICED:
        /* the index walk leads (CROSS JOIN: SQLite keeps the order given) */
        souk_buf_adds(&q->sql, "pp.min_amount, pp.min_amount FROM product_prices pp CROSS JOIN products p "
                               "WHERE pp.currency = $1 AND p.id = pp.product_id");
        break;
    case LIST_UNPRICED:
        souk_buf_adds(&q->sql, desc ? "NULL, " NO_PRICE_LOW : "NULL, " NO_PRICE_HIGH);
        souk_buf_adds(&q->sql, " FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_prices pp "
                               "WHERE pp.product_id = p.id AND pp.currency = $1)");
        break;
    }
    if (f->status != SOUK_STATUS_ANY)
        add_clause(q, " AND p.status = ", SOUK_TEXT(statuses[f->status]));
    if (t->category)
        souk_buf_adds(&q->sql, " AND p.category_id IN (SELECT id FROM sub)");
    /* the priced part also tests product_prices' copies of the two, on the
     * index entry, so that products is read only for rows shown (0071) */
    if (part == LIST_PRICED && f->status != SOUK_STATUS_ANY)
        add_clause(q, " AND pp.status = ", SOUK_TEXT(statuses[f->status]));
    if (part == LIST_PRICED && t->category)
        souk_buf_adds(&q->sql, " AND pp.category_id IN (SELECT id FROM sub)");
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
    if (f->has_in_stock) {
        souk_buf_adds(&q->sql, f->in_stock ? " AND EXISTS" : " AND NOT EXISTS");
        souk_buf_adds(&q->sql, " (SELECT 1 FROM variants v JOIN variant_availability va "
                               "ON va.variant_id = v.id WHERE v.product_id = p.id AND v.status = 'active' "
                               "AND va.available > 0)");
    }
    if (f->has_cursor) {
        switch (f->sort) {
        case SOUK_SORT_NEWEST: add_clause(q, " AND p.id < ", SOUK_I64(f->cursor_id)); break;
        case SOUK_SORT_NAME:
            add_clause(q, " AND (p.title, p.id) > (", SOUK_TEXT(f->cursor_text));
            add_clause(q, ", ", SOUK_I64(f->cursor_id));
            souk_buf_addc(&q->sql, ')');
            break;
        case SOUK_SORT_PRICE_ASC:
        case SOUK_SORT_PRICE_DESC:
            if (part == LIST_PRICED) {
                add_clause(q,
                           desc ? " AND (pp.min_amount, pp.product_id) < (" : " AND (pp.min_amount, pp.product_id) > (",
                           SOUK_I64(f->cursor_key));
                add_clause(q, ", ", SOUK_I64(f->cursor_id));
                souk_buf_addc(&q->sql, ')');
            } else if (f->cursor_key == (desc ? -1 : INT64_MAX)) { /* the cursor is in the unpriced part */
                add_clause(q, desc ? " AND p.id < " : " AND p.id > ", SOUK_I64(f->cursor_id));
            }
            break;
        }
    }
    switch (f->sort) {
    case SOUK_SORT_NEWEST: souk_buf_adds(&q->sql, " ORDER BY p.id DESC"); break;
    case SOUK_SORT_NAME: souk_buf_adds(&q->sql, " ORDER BY p.title, p.id"); break;
    case SOUK_SORT_PRICE_ASC:
    case SOUK_SORT_PRICE_DESC:
        if (part == LIST_PRICED)
            souk_buf_adds(&q->sql, desc ? " ORDER BY pp.min_amount DESC, pp.product_id DESC"
                                        : " ORDER BY pp.min_amount, pp.product_id");
        else
            souk_buf_adds(&q->sql, desc ? " ORDER BY p.id DESC" : " ORDER BY p.id");
        break;
    }
    add_clause(q, " LIMIT ", SOUK_I64(limit));
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

/* Runs Q and appends its rows to ROWS (room for MAX) from *COUNT on,
 * moving *COUNT. The statement is finished before the renderer's page query
 * uses the connection. SOUK_OK or the database's error. */
static souk_err list_run(souk_store *db, const char *sql, const souk_param *args, list_row *rows, int max, int *count,
                         souk_arena *a)
{
    souk_stmt *st = souk_store_query(db, sql, args);
    list_row w = {0};
    int r = SOUK_DB_DONE;
    bool no_price = false;
    while (
        *count < max &&
        (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&w.id), SOUK_COL_ARENA(&w.slug, a), SOUK_COL_ARENA(&w.title, a),
                                          SOUK_COL_ARENA(&w.status, a), SOUK_COL_I64(&w.brand), SOUK_COL_I64(&w.vendor),
                                          SOUK_COL_I64(&w.category), SOUK_COL_I64(&w.created), SOUK_COL_I64(&w.updated),
                                          SOUK_COL_NULLABLE(SOUK_COL_I64(&w.price), &no_price),
                                          SOUK_COL_I64(&w.key)))) == SOUK_DB_ROW) {
        w.has_price = !no_price;
        rows[(*count)++] = w;
    }
    souk_stmt_done(st);
    return r < 0 ? souk_store_dberr(r) : SOUK_OK;
}

/* Builds and runs PART of F's page for up to MAX - *COUNT more rows. */
static souk_err list_part_fetch(souk_store *db, const souk_catalog_filter *f, const list_taxa *t, list_part part,
                                list_row *rows, int max, int *count, souk_arena *a)
{
    list_query q;
    souk_err e = list_build(f, t, part, max - *count, &q) < 0 ? SOUK_E_INTERNAL
                                                              : list_run(db, q.sql.data, q.args, rows, max, count, a);
    souk_buf_release(&q.sql);
    return e;
}

/* Reads F's page into *ROWS (arena): *N rows, *MORE when another page
 * follows (one row more than the limit was found). */
static souk_err list_fetch(souk_store *db, const souk_catalog_filter *f, const list_taxa *t, souk_arena *a,
                           list_row **rows, int *n, bool *more)
{
    int max = f->limit + 1, count = 0;
    list_row *out = souk_arena_alloc(a, sizeof *out * (size_t)max);
    if (!out)
        return SOUK_E_INTERNAL;
    souk_err e;
    if (f->sort == SOUK_SORT_PRICE_ASC || f->sort == SOUK_SORT_PRICE_DESC) {
        e = list_part_fetch(db, f, t, LIST_PRICED, out, max, &count, a);
        if (!e && count < max && unpriced_wanted(f))
            e = list_part_fetch(db, f, t, LIST_UNPRICED, out, max, &count, a);
    } else {
        e = list_part_fetch(db, f, t, LIST_PLAIN, out, max, &count, a);
    }
    if (e)
        return e;
    *more = count > f->limit;
    *n = *more ? f->limit : count;
    *rows = out;
    return SOUK_OK;
}

/* ---- render -------------------------------------------------------------- */

/* The list is written straight into a buffer (render.c). What a summary
 * shows besides its own row: its brand, vendor and category come from the
 * connection's memo of rendered refs (refs.c), its first image from one more
 * query for the whole page, so that the lookup runs for the rows shown only,
 * whatever plan the page query took. The images are rendered into a side
 * buffer that the rows copy from. */

#define BATCH_MAX 32 /* products in one image query (a statement takes at most 64 parameters) */

/* the first image of each product of the page: the ids as a VALUES list,
 * each joined to its first image by product_images_product. LEFT JOIN keeps
 * the VALUES a co-routine (an inner join lets SQLite materialize them, and an
 * IN list builds a temporary index); rows without an image read NULL. */
#define IMAGES_HEAD "WITH page(id) AS (VALUES "
#define IMAGES_ROW_START "(CAST($"
#define IMAGES_ROW_END " AS BIGINT))"
#define IMAGES_ROW ",(CAST($NN AS BIGINT))" /* the longest row, for sizing */
#define IMAGES_TAIL                                                                                                    \
    ") SELECT page.id, i.id, i.url, i.alt, i.width, i.height, i.position, "                                            \
    "COALESCE(rt.rating_count, 0), COALESCE(rt.rating_sum, 0), m.hash, m.format, m.derived_at FROM page "              \
    "LEFT JOIN product_images i ON i.id = (SELECT i2.id FROM product_images i2 WHERE i2.product_id = page.id "         \
    "ORDER BY i2.position, i2.id LIMIT 1) LEFT JOIN catalog_product_ratings rt ON rt.product_id = page.id "            \
    "LEFT JOIN product_media m ON m.hash = i.media_hash"
/* in another locale than the default: the title's translation too (column
 * 12; i18n.h), the locale bound after the ids */
#define IMAGES_TAIL_L1                                                                                                 \
    ") SELECT page.id, i.id, i.url, i.alt, i.width, i.height, i.position, "                                            \
    "COALESCE(rt.rating_count, 0), COALESCE(rt.rating_sum, 0), m.hash, m.format, m.derived_at, tt.value FROM page "    \
    "LEFT JOIN product_images i ON i.id = (SELECT i2.id FROM product_images i2 WHERE i2.product_id = page.id "         \
    "ORDER BY i2.position, i2.id LIMIT 1) LEFT JOIN catalog_product_ratings rt ON rt.product_id = page.id "            \
    "LEFT JOIN product_media m ON m.hash = i.media_hash LEFT JOIN i18n_translations tt ON tt.kind = 'product' "        \
    "AND tt.object_id = page.id AND tt.field = 'title' AND tt.locale = $"
#define IMAGES_TAIL_L2 "NN"

/* a piece of JSON in the page's side buffer; len 0 = null */
typedef struct span {
    size_t off, len;
} span;

typedef struct page_extras {
    souk_buf side;                  /* the rendered images */
    span *image;                    /* per page row */
    int64_t (*rating)[2];           /* per page row: approved reviews' count and rating sum */
    souk__catalog_refs *refs;       /* the connection's refs */
    souk__catalog_flash_set *sales; /* the flash sales running or to come */
    const souk_fx_quote *fx;        /* display conversion of rows without a price (NULL: none) */
    const char *locale;             /* the locale shown (NULL: the default, no translations) */
    char **title;                   /* per page row with LOCALE: its translated title (arena), or NULL */
    souk_arena *arena;
} page_extras;

/* Runs the image query for ROWS[AT..AT+M) (M ≤ BATCH_MAX) and renders what
 * it finds into X. SOUK_DB_DONE or a negative souk_db_status. */
static int images_batch(souk_store *db, const list_row *rows, int at, int m, page_extras *x)
{
    int k = (m + 7) / 8 * 8; /* 8, 16, 24 or 32 rows: few statement texts */
    char sql[sizeof IMAGES_HEAD + BATCH_MAX * sizeof IMAGES_ROW + sizeof IMAGES_TAIL_L1 + sizeof IMAGES_TAIL_L2];
    size_t len = sizeof IMAGES_HEAD - 1;
    memcpy(sql, IMAGES_HEAD, len);
    souk_param args[BATCH_MAX + 2];
    for (int i = 0; i < k; i++) { /* ",(CAST($n AS BIGINT))", padded with 0, which is no product */
        if (i)
            sql[len++] = ',';
        memcpy(sql + len, IMAGES_ROW_START, sizeof IMAGES_ROW_START - 1);
        len += sizeof IMAGES_ROW_START - 1;
        if (i + 1 >= 10)
            sql[len++] = (char)('0' + (i + 1) / 10);
        sql[len++] = (char)('0' + (i + 1) % 10);
        memcpy(sql + len, IMAGES_ROW_END, sizeof IMAGES_ROW_END - 1);
        len += sizeof IMAGES_ROW_END - 1;
        args[i] = SOUK_I64(i < m ? rows[at + i].id : 0);
    }
    if (x->locale) { /* ... tt.locale = $k+1 */
        memcpy(sql + len, IMAGES_TAIL_L1, sizeof IMAGES_TAIL_L1 - 1);
        len += sizeof IMAGES_TAIL_L1 - 1;
        if (k + 1 >= 10)
            sql[len++] = (char)('0' + (k + 1) / 10);
        sql[len++] = (char)('0' + (k + 1) % 10);
        sql[len] = '\0';
        args[k++] = SOUK_TEXT(x->locale);
    } else {
        memcpy(sql + len, IMAGES_TAIL, sizeof IMAGES_TAIL);
    }
    args[k] = (souk_param){.type = SOUK_TYPE_END};
    souk_stmt *st = souk_store_query(db, sql, args);
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        int64_t id = souk_stmt_i64(st, 0);
        for (int i = at; i < at + m; i++) {
            if (rows[i].id != id)
                continue;
            x->rating[i][0] = souk_stmt_i64(st, 7);
            x->rating[i][1] = souk_stmt_i64(st, 8);
            if (x->locale && !souk_stmt_is_null(st, 12))
                x->title[i] = souk_arena_strdup(x->arena, souk_stmt_text(st, 12, NULL));
            if (souk_stmt_is_null(st, 1))
                break; /* no image */
            size_t off = x->side.len;
            souk__catalog_put_image(&x->side, st, 1, 9, SOUK_JW_HTML_SAFE);
            x->image[i] = (span){off, x->side.len - off};
            break;
        }
    }
    return r;
}

/* Fetches and renders the first images of ROWS[0..N) into X and opens the
 * connection's refs (X initialised here; the caller releases X->side).
 * SOUK_DB_DONE or a negative souk_db_status (SOUK_DB_HARD when memory ran
 * out). */
static int page_fetch(souk_store *db, const list_row *rows, int n, const char *locale, souk_arena *a, page_extras *x)
{
    souk_buf_init(&x->side, 16u << 20);
    x->fx = NULL;
    x->locale = locale;
    x->arena = a;
    x->title = locale ? souk_arena_alloc(a, sizeof *x->title * (size_t)(n > 0 ? n : 1)) : NULL;
    if (locale && !x->title)
        return SOUK_DB_HARD;
    if (locale)
        memset(x->title, 0, sizeof *x->title * (size_t)n);
    x->image = souk_arena_alloc(a, sizeof *x->image * (size_t)(n > 0 ? n : 1));
    x->rating = souk_arena_alloc(a, sizeof *x->rating * (size_t)(n > 0 ? n : 1));
    x->refs = souk__catalog_refs_open(db, a);
    if (!x->image || !x->rating || !x->refs || souk__catalog_flash_load(db, souk_time_now_us(), a, &x->sales))
        return SOUK_DB_HARD;
    memset(x->image, 0, sizeof *x->image * (size_t)n);
    memset(x->rating, 0, sizeof *x->rating * (size_t)n);
    for (int at = 0; at < n; at += BATCH_MAX) {
        int r = images_batch(db, rows, at, n - at < BATCH_MAX ? n - at : BATCH_MAX, x);
        if (r < 0)
            return r;
    }
    return souk_buf_failed(&x->side) ? SOUK_DB_HARD : SOUK_DB_DONE;
}

/* the piece SP of X (null when empty) */
static void put_span(souk_buf *out, const page_extras *x, const span *sp)
{
    if (sp->len)
        souk_buf_add(out, x->side.data + sp->off, sp->len);
    else
        SOUK_JW_LIT(out, "null");
}

/* The ",\"price\":…" of row W, which has no price in the answer's currency:
 * with a display conversion, its lowest price in the store currency
 * converted (and marked so), else null. 0, or a negative souk_db_status. */
static int put_converted_price(souk_store *db, souk_buf *out, const page_extras *x, const list_row *w)
{
    int64_t base = 0, amount = 0;
    int r = x->fx
                ? souk_store_one(db, "SELECT min_amount FROM product_prices WHERE product_id = $1 AND currency = $2",
                                 SOUK_ARGS(SOUK_I64(w->id), SOUK_TEXTN(x->fx->from, 3)), SOUK_COLS(SOUK_COL_I64(&base)))
                : SOUK_DB_DONE;
    if (r < 0)
        return r;
    if (r != SOUK_DB_ROW || souk_fx_quote_apply(x->fx, base, &amount) < 0) {
        SOUK_JW_LIT(out, ",\"price\":null");
        return 0;
    }
    SOUK_JW_LIT(out, ",\"price\":{\"amount\":");
    souk_jw_int(out, amount);
    SOUK_JW_LIT(out, ",\"currency\":");
    souk_jw_text(out, x->fx->to, 3, SOUK_JW_HTML_SAFE);
    souk__catalog_flash_sale sale;
    souk__catalog_flash_match(x->sales, w->id, w->brand, w->vendor, w->category, &sale);
    souk__catalog_put_sale_fx(out, &sale, base, x->fx);
    souk_fx_put_converted(out, x->fx, base);
    souk_buf_addc(out, '}');
    return 0;
}

/* Summary I of the page, with "score": *SCORE when SCORE is not NULL and the
 * JSON members EXTRA after it when EXTRA is not NULL. 0, or a negative
 * souk_db_status (a ref lookup). */
static int put_row(souk_store *db, souk_buf *out, const page_extras *x, const list_row *w, int i, const char *currency,
                   const double *score, const char *extra)
{
    SOUK_JW_LIT(out, "{\"id\":");
    souk_jw_id(out, SOUK_PREFIX_PRODUCT, w->id);
    SOUK_JW_LIT(out, ",\"slug\":");
    souk_jw_str(out, w->slug, SOUK_JW_HTML_SAFE);
    SOUK_JW_LIT(out, ",\"title\":");
    souk_jw_str(out, x->title && x->title[i] ? x->title[i] : w->title, SOUK_JW_HTML_SAFE);
    SOUK_JW_LIT(out, ",\"status\":");
    souk_jw_str(out, w->status, SOUK_JW_HTML_SAFE);
    int r;
    SOUK_JW_LIT(out, ",\"brand\":");
    if ((r = souk__catalog_refs_put(x->refs, db, out, SOUK_TAXON_BRAND, w->brand, x->locale)) < 0)
        return r;
    SOUK_JW_LIT(out, ",\"vendor\":");
    if ((r = souk__catalog_refs_put(x->refs, db, out, SOUK_TAXON_VENDOR, w->vendor, x->locale)) < 0)
        return r;
    SOUK_JW_LIT(out, ",\"category\":");
    if ((r = souk__catalog_refs_put(x->refs, db, out, SOUK_TAXON_CATEGORY, w->category, x->locale)) < 0)
        return r;
    if (w->has_price) {
        SOUK_JW_LIT(out, ",\"price\":{\"amount\":");
        souk_jw_int(out, w->price);
        SOUK_JW_LIT(out, ",\"currency\":");
        souk_jw_str(out, currency, SOUK_JW_HTML_SAFE);
        souk__catalog_flash_sale sale;
        souk__catalog_flash_match(x->sales, w->id, w->brand, w->vendor, w->category, &sale);
        souk__catalog_put_sale(out, &sale, w->price); /* the lowest price, while a flash sale runs */
        souk_buf_addc(out, '}');
    } else if ((r = put_converted_price(db, out, x, w)) < 0) {
        return r;
    }
    SOUK_JW_LIT(out, ",\"image\":");
    put_span(out, x, &x->image[i]);
    SOUK_JW_LIT(out, ",\"rating\":");
    souk__catalog_put_rating(out, x->rating[i][0], x->rating[i][1]);
    SOUK_JW_LIT(out, ",\"created_at\":");
    souk_jw_time(out, w->created);
    SOUK_JW_LIT(out, ",\"updated_at\":");
    souk_jw_time(out, w->updated);
    if (score)
        souk_buf_printf(out, ",\"score\":%.6g", isfinite(*score) ? *score : 0.0);
    if (extra && *extra) {
        souk_buf_addc(out, ',');
        souk_buf_adds(out, extra);
    }
    souk_buf_addc(out, '}');
    return 0;
}

/* {"data":[summary...],"next_cursor":…} of ROWS[0..N) into OUT; MORE: a
 * next page exists (its cursor points after the last row). */
static souk_err list_render(souk_store *db, const souk_catalog_filter *f, const list_row *rows, int n, bool more,
                            souk_arena *a, souk_buf *out)
{
    page_extras x;
    int r = page_fetch(db, rows, n, f->locale, a, &x);
    if (r < 0) {
        souk_buf_release(&x.side);
        return r == SOUK_DB_HARD ? SOUK_E_INTERNAL : souk_store_dberr(r);
    }
    x.fx = f->fx;
    SOUK_JW_LIT(out, "{\"data\":[");
    for (int i = 0; i < n && r >= 0; i++) {
        if (i)
            souk_buf_addc(out, ',');
        r = put_row(db, out, &x, &rows[i], i, f->currency, NULL, NULL);
    }
    souk_buf_release(&x.side);
    if (r < 0)
        return souk_store_dberr(r);
    SOUK_JW_LIT(out, "],\"next_cursor\":");
    if (more && n > 0) {
        const list_row *last = &rows[n - 1];
        char *c = souk__catalog_cursor(f->sort, last->id, last->key, last->title, a);
        if (!c)
            return SOUK_E_INTERNAL;
        souk_jw_str(out, c, SOUK_JW_HTML_SAFE);
    } else {
        SOUK_JW_LIT(out, "null");
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
    list_row *rows = NULL;
    int n = 0;
    bool more = false;
    e = list_fetch(db, f, &taxa, a, &rows, &n, &more);
    return e ? e : list_render(db, f, rows, n, more, a, out);
}

souk_err souk_catalog_list(souk_store *db, const souk_catalog_filter *f, souk_arena *a, souk_problems *pr, json_t **out)
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

/* ---- summaries by id (search) -------------------------------------------- */

/* The summaries of up to BATCH_MAX products in one statement: the ids as a
 * VALUES list (as the image query does), joined to their products and
 * prices; $1 is the currency, $2… the ids, padded with 0 (no product) to 8,
 * 16, 24 or 32 so that few statement texts are cached. Rows come in any
 * order; the caller puts them back in the order of the ids. */
#define SUMMARY_HEAD "WITH page(id) AS (VALUES "
#define SUMMARY_TAIL                                                                                                   \
    ") SELECT p.id, p.slug, p.title, p.status, p.brand_id, p.vendor_id, p.category_id, p.created_at, p.updated_at, "   \
    "pp.min_amount, p.id FROM page JOIN products p ON p.id = page.id "                                                 \
    "LEFT JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = $1 WHERE p.status = 'active'"

/* Reads the active products among IDS[0..M) (M ≤ BATCH_MAX) into GOT (*NGOT rows, any order). */
static souk_err summaries_batch(souk_store *db, const int64_t *ids, int m, const char *currency, list_row *got,
                                int *ngot, souk_arena *a)
{
    int k = (m + 7) / 8 * 8;
    char sql[sizeof SUMMARY_HEAD + BATCH_MAX * sizeof IMAGES_ROW + sizeof SUMMARY_TAIL];
    size_t len = sizeof SUMMARY_HEAD - 1;
    memcpy(sql, SUMMARY_HEAD, len);
    souk_param args[BATCH_MAX + 2];
    args[0] = SOUK_TEXTN(currency, 3);
    for (int i = 0; i < k; i++) { /* ",(CAST($n AS BIGINT))", n from 2 */
        if (i)
            sql[len++] = ',';
        memcpy(sql + len, IMAGES_ROW_START, sizeof IMAGES_ROW_START - 1);
        len += sizeof IMAGES_ROW_START - 1;
        if (i + 2 >= 10)
            sql[len++] = (char)('0' + (i + 2) / 10);
        sql[len++] = (char)('0' + (i + 2) % 10);
        memcpy(sql + len, IMAGES_ROW_END, sizeof IMAGES_ROW_END - 1);
        len += sizeof IMAGES_ROW_END - 1;
        args[i + 1] = SOUK_I64(i < m ? ids[i] : 0);
    }
    memcpy(sql + len, SUMMARY_TAIL, sizeof SUMMARY_TAIL);
    args[k + 1] = (souk_param){.type = SOUK_TYPE_END};
    *ngot = 0;
    return list_run(db, sql, args, got, m, ngot, a);
}

souk_err souk_catalog_summaries_write(souk_store *db, const int64_t *ids, size_t n, const double *scores,
                                      const char *currency, souk_arena *a, souk_buf *out, size_t *written)
{
    return souk_catalog_summaries_write_extra(db, ids, n, scores, NULL, currency, a, out, written);
}

souk_err souk_catalog_summaries_write_extra(souk_store *db, const int64_t *ids, size_t n, const double *scores,
                                            const char *const *extras, const char *currency, souk_arena *a,
                                            souk_buf *out, size_t *written)
{
    return souk_catalog_summaries_write_fx(db, ids, n, scores, extras, currency, NULL, a, out, written);
}

souk_err souk_catalog_summaries_write_fx(souk_store *db, const int64_t *ids, size_t n, const double *scores,
                                         const char *const *extras, const char *currency, const souk_fx_quote *fx,
                                         souk_arena *a, souk_buf *out, size_t *written)
{
    if (written)
        *written = 0;
    if (n > SOUK_CATALOG_LIST_MAX)
        return SOUK_E_INTERNAL;
    list_row *rows = souk_arena_alloc(a, sizeof *rows * (n ? n : 1));
    double *found_scores = souk_arena_alloc(a, sizeof *found_scores * (n ? n : 1));
    const char **found_extras = souk_arena_alloc(a, sizeof *found_extras * (n ? n : 1));
    if (!rows || !found_scores || !found_extras)
        return SOUK_E_INTERNAL;
    int count = 0;
    list_row got[BATCH_MAX];
    for (size_t at = 0; at < n; at += BATCH_MAX) {
        int m = n - at < BATCH_MAX ? (int)(n - at) : BATCH_MAX, ngot;
        souk_err e = summaries_batch(db, ids + at, m, currency, got, &ngot, a);
        if (e)
            return e;
        for (int i = 0; i < m; i++) /* back in the order given; a product gone is left out */
            for (int g = 0; g < ngot; g++)
                if (got[g].id == ids[at + (size_t)i]) {
                    rows[count] = got[g];
                    found_scores[count] = scores ? scores[at + (size_t)i] : 0;
                    found_extras[count++] = extras ? extras[at + (size_t)i] : NULL;
                    got[g].id = 0; /* taken: a repeated id is shown once per row found */
                    break;
                }
    }
    page_extras x;
    int r = page_fetch(db, rows, count, NULL, a, &x);
    if (r < 0) {
        souk_buf_release(&x.side);
        return r == SOUK_DB_HARD ? SOUK_E_INTERNAL : souk_store_dberr(r);
    }
    x.fx = fx;
    souk_buf_addc(out, '[');
    for (int i = 0; i < count && r >= 0; i++) {
        if (i)
            souk_buf_addc(out, ',');
        r = put_row(db, out, &x, &rows[i], i, currency, scores ? &found_scores[i] : NULL, found_extras[i]);
    }
    souk_buf_release(&x.side);
    if (r < 0)
        return souk_store_dberr(r);
    souk_buf_addc(out, ']');
    if (written)
        *written = (size_t)count;
    return souk_buf_failed(out) ? SOUK_E_INTERNAL : SOUK_OK;
}
