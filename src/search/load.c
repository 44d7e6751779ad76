/*
 * load.c — building a segment from the database: the catalog's search_*
 * views (migration 0080) read in one snapshot, each ordered by product and
 * merged here, so that every product costs no query of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/index.h"
#include "search/internal.h"
#include "search/names.h"
#include "core/grow.h"
#include "core/banned.h"

#define CATEGORY_DEPTH_MAX 16 /* a deeper (or cyclic) tree is cut here */
#define PATH_MAX_BYTES 1024
#define ATTRS_MAX 48  /* facet values a product has besides category, brand, vendor */
#define TEXT_MAX 8192 /* bytes of a product's joined attribute values or SKUs */

typedef struct {
    int64_t id, parent;
    char *name;
} category;

typedef struct {
    category *c;
    size_t n;
} tree;

static int by_id(const void *x, const void *y)
{
    const category *a = x, *b = y;
    return (a->id > b->id) - (a->id < b->id);
}

static const category *find(const tree *t, int64_t id)
{
    category key = {id, 0, NULL};
    return bsearch(&key, t->c, t->n, sizeof *t->c, by_id);
}

static void tree_release(tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->c[i].name);
    free(t->c);
}

static int load_tree(souk_store *db, tree *t)
{
    size_t cap = 0;
    souk_stmt *st = souk_store_query(db, "SELECT id, parent_id, name FROM search_categories", NULL);
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if (t->n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            category *c = realloc(t->c, nc * sizeof *c);
            if (!c) {
                souk_stmt_done(st);
                return -1;
            }
            t->c = c;
            cap = nc;
        }
        category *c = &t->c[t->n];
        c->id = souk_stmt_i64(st, 0);
        c->parent = souk_stmt_is_null(st, 1) ? 0 : souk_stmt_i64(st, 1);
        if (!(c->name = souk_stmt_strdup(st, 2))) {
            souk_stmt_done(st);
            return -1;
        }
        t->n++;
    }
    if (r != SOUK_DB_DONE)
        return -1;
    souk_sort(t->c, t->n, sizeof *t->c, by_id);
    return 0;
}

/* Appends S to BUF (LEN used of CAP) after SEP when BUF is not empty; text that does not fit is left out. */
static void append(char *buf, size_t *len, size_t cap, const char *sep, const char *s, size_t sl)
{
    size_t need = (*len ? strlen(sep) : 0) + sl;
    if (*len + need + 1 > cap)
        return;
    if (*len) {
        memcpy(buf + *len, sep, strlen(sep));
        *len += strlen(sep);
    }
    memcpy(buf + *len, s, sl);
    *len += sl;
    buf[*len] = '\0';
}

/* One product's rows from the streams that have several per product. */
typedef struct {
    char attrs[TEXT_MAX], skus_text[TEXT_MAX];
    size_t attrs_len, skus_len;
    char pool[TEXT_MAX * 2]; /* facet names and values, SKUs */
    size_t pool_len;
    souk_search_facet_value fv[3 + CATEGORY_DEPTH_MAX + ATTRS_MAX];
    size_t nfv;
    const char *skus[64];
    size_t nskus;
    bool in_stock;
    char ids[3 + CATEGORY_DEPTH_MAX][24];
} product;

static const char *pool_add(product *p, const char *a, size_t al, const char *b, size_t bl)
{
    if (p->pool_len + al + bl + 1 > sizeof p->pool)
        return NULL;
    char *s = p->pool + p->pool_len;
    memcpy(s, a, al);
    memcpy(s + al, b, bl);
    s[al + bl] = '\0';
    p->pool_len += al + bl + 1;
    return s;
}

/* a stream: a statement and whether its current row is waiting to be used */
typedef struct {
    souk_stmt *st;
    int status; /* of the last step */
} stream;

static void advance(stream *s)
{
    s->status = souk_stmt_step(s->st);
}

/* Skips rows of products before ID; true when the current row is ID's. */
static bool at(stream *s, int64_t id)
{
    while (s->status == SOUK_DB_ROW && souk_stmt_i64(s->st, 0) < id)
        advance(s);
    return s->status == SOUK_DB_ROW && souk_stmt_i64(s->st, 0) == id;
}

/* ID's average rating from the ratings stream, or -1 when it has none */
static double rating_of(stream *s, int64_t id)
{
    if (!at(s, id))
        return -1;
    int64_t count = souk_stmt_i64(s->st, 1), sum = souk_stmt_i64(s->st, 2);
    if (count <= 0)
        return -1;
    double avg = (double)sum / (double)count;
    return avg < 0 ? 0 : avg > 5 ? 5 : avg;
}

static void add_attrs(stream *s, int64_t id, product *p)
{
    for (; at(s, id); advance(s)) {
        size_t nl, vl;
        const char *name = souk_stmt_text(s->st, 1, &nl), *value = souk_stmt_text(s->st, 2, &vl);
        if (!name || !value)
            continue;
        append(p->attrs, &p->attrs_len, sizeof p->attrs, " ", value, vl);
        if (p->nfv >= SOUK_SEARCH_FACETS_PER_DOC_MAX || nl > 59 || vl == 0 || vl > SOUK_SEARCH_FACET_TEXT_MAX)
            continue;
        const char *dim = pool_add(p, "attr.", 5, name, nl), *val = pool_add(p, value, vl, "", 0);
        if (dim && val)
            p->fv[p->nfv++] = (souk_search_facet_value){dim, val};
    }
}

static void add_skus(stream *s, int64_t id, product *p)
{
    for (; at(s, id); advance(s)) {
        size_t l;
        const char *sku = souk_stmt_text(s->st, 1, &l);
        p->in_stock |= souk_stmt_i64(s->st, 2) != 0;
        if (!sku || !l)
            continue;
        append(p->skus_text, &p->skus_len, sizeof p->skus_text, " ", sku, l);
        const char *copy = pool_add(p, sku, l, "", 0);
        if (copy && p->nskus < sizeof p->skus / sizeof p->skus[0])
            p->skus[p->nskus++] = copy;
    }
}

/* The category path of ID ("Home > Kitchen") into PATH, and its ids (the
 * category and its ancestors) as facet values of P. */
static void add_category(const tree *t, int64_t id, product *p, char *path)
{
    const category *chain[CATEGORY_DEPTH_MAX];
    size_t n = 0;
    for (const category *c = id ? find(t, id) : NULL; c && n < CATEGORY_DEPTH_MAX;
         c = c->parent ? find(t, c->parent) : NULL)
        chain[n++] = c;
    size_t len = 0;
    path[0] = '\0';
    for (size_t i = n; i-- > 0;) {
        append(path, &len, PATH_MAX_BYTES, " > ", chain[i]->name, strlen(chain[i]->name));
        snprintf(p->ids[3 + i], sizeof p->ids[0], "%lld", (long long)chain[i]->id);
        p->fv[p->nfv++] = (souk_search_facet_value){"category", p->ids[3 + i]};
    }
}

/* Adds NAME (a column of ST, or none when NULL) of KIND and ID to NAMES;
 * -1 when memory runs out. */
static int add_name(souk_search_names *names, souk_search_text *t, souk_search_name_kind kind, int64_t id,
                    const char *name)
{
    return name && souk_search_names_add(names, t, kind, id, name, strlen(name)) < 0 ? -1 : 0;
}

typedef struct progress {
    souk_search_progress_fn fn;
    void *ctx;
    uint64_t done, total;
} progress;

/* SQL SELECT … FROM VIEW [WHERE/AND product_id IN (IDS)] ORDER BY …: HEAD
 * ends before the ORDER BY, ORDER is the rest; IN is the list or NULL (all). */
static char *with_ids(const char *head, bool has_where, const char *in, const char *order)
{
    size_t n = strlen(head) + (in ? strlen(in) + 32 : 0) + strlen(order) + 2;
    char *q = malloc(n);
    if (q)
        snprintf(q, n, "%s%s%s %s", head, in ? (has_where ? " AND product_id IN " : " WHERE product_id IN ") : "",
                 in ? in : "", order);
    return q;
}

/* "(1,2,3)" of IDS (NIDS > 0), or NULL when memory runs out. */
static char *id_list(const int64_t *ids, size_t nids)
{
    size_t cap = nids * 21 + 3, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[len++] = '(';
    for (size_t i = 0; i < nids; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
    s[len++] = ')';
    s[len] = '\0';
    return s;
}

static int run(souk_store *db, const char *currency, const char *in, souk_search_builder *b, souk_search_names *names,
               souk_search_text *nt, progress *pg, char *err, size_t errlen)
{
    if (pg->fn && souk_store_one(db, "SELECT COUNT(*) FROM search_products", NULL,
                                 SOUK_COLS(SOUK_COL_I64((int64_t *)&pg->total))) < 0) {
        snprintf(err, errlen, "cannot count the products: %s", souk_store_errmsg(db));
        return -1;
    }
    tree t = {0};
    if (load_tree(db, &t) < 0) {
        snprintf(err, errlen, "cannot read the categories: %s", souk_store_errmsg(db));
        tree_release(&t);
        return -1;
    }
    for (size_t i = 0; i < t.n; i++)
        if (add_name(names, nt, SOUK_SEARCH_NAME_CATEGORY, t.c[i].id, t.c[i].name) < 0) {
            snprintf(err, errlen, "out of memory");
            tree_release(&t);
            return -1;
        }
    char *qs[5] = {
        with_ids("SELECT product_id, title, description, brand_id, brand, vendor_id, vendor, category_id, created_at "
                 "FROM search_products",
                 false, in, "ORDER BY product_id"),
        with_ids("SELECT product_id, name, value FROM search_product_attributes", false, in,
                 "ORDER BY product_id, name"),
        with_ids("SELECT product_id, sku, in_stock FROM search_product_skus", false, in, "ORDER BY product_id, sku"),
        with_ids("SELECT product_id, min_amount FROM search_product_prices WHERE currency = $1", true, in,
                 "ORDER BY product_id"),
        /* the approved reviews' count and rating sum, as reviews publish them (migration 0100) */
        with_ids("SELECT product_id, rating_count, rating_sum FROM search_product_ratings", false, in,
                 "ORDER BY product_id"),
    };
    if (!qs[0] || !qs[1] || !qs[2] || !qs[3] || !qs[4]) {
        for (int i = 0; i < 5; i++)
            free(qs[i]);
        tree_release(&t);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    stream prods = {souk_store_query(db, qs[0], NULL), 0};
    stream attrs = {souk_store_query(db, qs[1], NULL), 0};
    stream skus = {souk_store_query(db, qs[2], NULL), 0};
    stream prices = {souk_store_query(db, qs[3], SOUK_ARGS(SOUK_TEXT(currency))), 0};
    stream ratings = {souk_store_query(db, qs[4], NULL), 0};
    advance(&attrs);
    advance(&skus);
    advance(&prices);
    advance(&ratings);
    const souk__search_popularity *pop = souk__search_popularity_get(db);
    product *p = malloc(sizeof *p);
    char *path = malloc(PATH_MAX_BYTES);
    int rc = p && path ? 0 : -1;
    if (rc < 0)
        snprintf(err, errlen, "out of memory");
    while (rc == 0 && (advance(&prods), prods.status == SOUK_DB_ROW)) {
        souk_stmt *st = prods.st;
        int64_t id = souk_stmt_i64(st, 0);
        p->attrs_len = p->skus_len = p->pool_len = p->nfv = p->nskus = 0;
        p->attrs[0] = p->skus_text[0] = '\0';
        p->in_stock = false;
        if (!souk_stmt_is_null(st, 3)) {
            snprintf(p->ids[0], sizeof p->ids[0], "%lld", (long long)souk_stmt_i64(st, 3));
            p->fv[p->nfv++] = (souk_search_facet_value){"brand", p->ids[0]};
            if (add_name(names, nt, SOUK_SEARCH_NAME_BRAND, souk_stmt_i64(st, 3), souk_stmt_text(st, 4, NULL)) < 0) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
        }
        if (!souk_stmt_is_null(st, 5)) {
            snprintf(p->ids[1], sizeof p->ids[0], "%lld", (long long)souk_stmt_i64(st, 5));
            p->fv[p->nfv++] = (souk_search_facet_value){"vendor", p->ids[1]};
        }
        add_category(&t, souk_stmt_i64(st, 7), p, path);
        add_attrs(&attrs, id, p);
        add_skus(&skus, id, p);
        souk_search_doc d = {.id = id,
                             .price = at(&prices, id) ? souk_stmt_i64(prices.st, 1) : -1,
                             .created = souk_stmt_i64(st, 8),
                             .popularity = souk__search_popularity_of(pop, id),
                             .rating = rating_of(&ratings, id),
                             .in_stock = p->in_stock,
                             .facets = p->fv,
                             .nfacets = p->nfv,
                             .skus = p->skus,
                             .nskus = p->nskus};
        d.field[SOUK_SEARCH_F_TITLE] = souk_stmt_text(st, 1, NULL);
        d.field[SOUK_SEARCH_F_DESCRIPTION] = souk_stmt_text(st, 2, NULL);
        d.field[SOUK_SEARCH_F_BRAND] = souk_stmt_text(st, 4, NULL);
        d.field[SOUK_SEARCH_F_VENDOR] = souk_stmt_text(st, 6, NULL);
        d.field[SOUK_SEARCH_F_CATEGORY] = path;
        d.field[SOUK_SEARCH_F_ATTRS] = p->attrs;
        d.field[SOUK_SEARCH_F_SKU] = p->skus_text;
        int r = souk_search_builder_add(b, &d);
        if (r == SOUK_SEARCH_BUILD_INVALID) {
            /* too many attribute dimensions in the catalog: index it without them */
            size_t keep = 0;
            for (size_t i = 0; i < p->nfv; i++)
                if (strncmp(p->fv[i].dim, "attr.", 5) != 0)
                    p->fv[keep++] = p->fv[i];
            d.nfacets = keep;
            r = souk_search_builder_add(b, &d);
        }
        if (r < 0) {
            snprintf(err, errlen, "cannot index product %lld (%d)", (long long)id, r);
            rc = -1;
        }
        if (pg->fn && ++pg->done % SOUK_SEARCH_PROGRESS_EVERY == 0)
            pg->fn(pg->done, pg->total, pg->ctx);
    }
    if (rc == 0 && prods.status != SOUK_DB_DONE) {
        snprintf(err, errlen, "cannot read the products: %s", souk_store_errmsg(db));
        rc = -1;
    }
    souk_stmt_done(prods.st);
    souk_stmt_done(attrs.st);
    souk_stmt_done(skus.st);
    souk_stmt_done(prices.st);
    souk_stmt_done(ratings.st);
    for (int i = 0; i < 5; i++)
        free(qs[i]);
    free(p);
    free(path);
    tree_release(&t);
    return rc;
}

int souk_search_build(souk_store *db, const char *currency, const char *language, souk_search_segment **out, char *err,
                      size_t errlen)
{
    return souk_search_build_progress(db, currency, language, NULL, NULL, out, err, errlen);
}

static int build(souk_store *db, const char *currency, const char *language, const int64_t *ids, size_t nids,
                 souk_search_progress_fn fn, void *ctx, souk_search_segment **out, char *err, size_t errlen)
{
    progress pg = {fn, ctx, 0, 0};
    *out = NULL;
    souk_search_builder *b;
    if (souk_search_builder_new(&b, language) < 0) {
        snprintf(err, errlen, "no stemmer for the language '%s'", language ? language : "english");
        return -1;
    }
    if (ids && nids == 0) /* nothing to read: an empty segment */
        return souk_search_builder_finish(b, out) < 0 ? (snprintf(err, errlen, "out of memory"), -1) : 0;
    char *in = ids ? id_list(ids, nids) : NULL;
    if (ids && !in) {
        souk_search_builder_free(b);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (souk_store_read_begin(db) < 0) {
        snprintf(err, errlen, "cannot start a read: %s", souk_store_errmsg(db));
        souk_search_builder_free(b);
        free(in);
        return -1;
    }
    souk_search_names *names = souk_search_names_new();
    souk_search_text nt;
    bool nt_ok = souk_search_text_init(&nt, language) == 0;
    int rc = names && nt_ok ? run(db, currency, in, b, names, &nt, &pg, err, errlen) : -1;
    if (!names || !nt_ok)
        snprintf(err, errlen, "out of memory");
    if (nt_ok)
        souk_search_text_release(&nt);
    souk_store_read_end(db);
    free(in);
    if (rc < 0) {
        souk_search_names_free(names);
        souk_search_builder_free(b);
        return -1;
    }
    if (souk_search_builder_finish(b, out) < 0) {
        souk_search_names_free(names);
        snprintf(err, errlen, "out of memory building the index");
        return -1;
    }
    if (ids) /* a delta: suggestions keep the base's names */
        souk_search_names_free(names);
    else
        souk_search_segment_set_names(*out, names);
    if (fn)
        fn(pg.done, pg.total, ctx);
    return 0;
}

int souk_search_build_progress(souk_store *db, const char *currency, const char *language, souk_search_progress_fn fn,
                               void *ctx, souk_search_segment **out, char *err, size_t errlen)
{
    return build(db, currency, language, NULL, 0, fn, ctx, out, err, errlen);
}

int souk_search_build_ids(souk_store *db, const char *currency, const char *language, const int64_t *ids, size_t nids,
                          souk_search_segment **out, char *err, size_t errlen)
{
    static const int64_t none = 0;
    return build(db, currency, language, ids ? ids : &none, ids ? nids : 0, NULL, NULL, out, err, errlen);
}
