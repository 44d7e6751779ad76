/*
 * promo_tree.c — the category tree as the promotions snapshot needs it (see
 * internal.h): a category set stands for its categories' whole subtrees, so
 * the snapshot resolves each such set once, when it is built, into the
 * sorted list of every category in them. Pricing then asks, per line, one
 * binary search of that list. The tree is read once per snapshot (the
 * catalog's published view catalog_promo_categories) and indexed by parent,
 * so resolving costs O(subtree · log n), not a scan of the tree per level.
 */
#include "cart/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

typedef struct edge {
    int64_t parent, id;
} edge;

struct souk__promo_tree {
    int64_t *ids;    /* every category, ascending */
    edge *by_parent; /* the same, ordered by (parent, id) */
    int n;
};

static int cmp_edge(const void *a, const void *b)
{
    const edge *x = a, *y = b;
    if (x->parent != y->parent)
        return x->parent < y->parent ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

void souk__promo_tree_free(souk__promo_tree *t)
{
    if (t) {
        free(t->ids);
        free(t->by_parent);
        free(t);
    }
}

souk_err souk__promo_tree_load(souk_store *db, souk__promo_tree **out)
{
    *out = NULL;
    souk__promo_tree *t = calloc(1, sizeof *t);
    if (!t)
        return SOUK_E_INTERNAL;
    int cap = 0, r;
    int64_t id, parent;
    souk_stmt *st =
        souk_store_query(db, "SELECT id, coalesce(parent_id, 0) FROM catalog_promo_categories ORDER BY id", NULL);
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id), SOUK_COL_I64(&parent)))) == SOUK_DB_ROW) {
        if (t->n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *ids = realloc(t->ids, (size_t)cap * sizeof *ids);
            if (ids)
                t->ids = ids;
            edge *e = realloc(t->by_parent, (size_t)cap * sizeof *e);
            if (e)
                t->by_parent = e;
            if (!ids || !e) {
                souk_stmt_done(st);
                souk__promo_tree_free(t);
                return SOUK_E_INTERNAL;
            }
        }
        t->ids[t->n] = id;
        t->by_parent[t->n++] = (edge){parent, id};
    }
    if (r < 0) {
        souk__promo_tree_free(t);
        return souk_store_dberr(r);
    }
    if (t->n)
        qsort(t->by_parent, (size_t)t->n, sizeof *t->by_parent, cmp_edge);
    *out = t;
    return SOUK_OK;
}

/* The first edge whose parent is PARENT (or T->n). */
static int first_child(const souk__promo_tree *t, int64_t parent)
{
    int lo = 0, hi = t->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (t->by_parent[mid].parent < parent)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int souk__promo_tree_resolve(const souk__promo_tree *t, souk_promo_set *s)
{
    s->sub = NULL;
    s->nsub = 0;
    if (s->kind != SOUK_PROMO_SET_CATEGORIES || s->n == 0)
        return 0;
    /* breadth first from the set's categories; every category of the tree
     * is queued at most once (SEEN, by its index in T->ids), so even a tree
     * with a cycle (the catalog refuses them) ends */
    int n = t ? t->n : 0, cap = s->n + n, len = 0;
    int64_t *q = malloc((size_t)cap * sizeof *q);
    unsigned char *seen = calloc((size_t)(n ? n : 1), 1);
    if (!q || !seen) {
        free(q);
        free(seen);
        return -1;
    }
    for (int i = 0; i < s->n; i++) {
        const int64_t *at = n ? bsearch(&s->ids[i], t->ids, (size_t)n, sizeof *t->ids, cmp_i64) : NULL;
        if (at && seen[at - t->ids])
            continue;
        if (at)
            seen[at - t->ids] = 1;
        q[len++] = s->ids[i]; /* a category no longer in the tree still stands for itself */
    }
    for (int head = 0; t && head < len; head++)
        for (int j = first_child(t, q[head]); j < n && t->by_parent[j].parent == q[head]; j++) {
            const int64_t *at = bsearch(&t->by_parent[j].id, t->ids, (size_t)n, sizeof *t->ids, cmp_i64);
            if (!at || seen[at - t->ids])
                continue;
            seen[at - t->ids] = 1;
            q[len++] = t->by_parent[j].id;
        }
    free(seen);
    qsort(q, (size_t)len, sizeof *q, cmp_i64);
    int k = 0; /* the set's own ids may repeat (not in the tree, named twice) */
    for (int i = 0; i < len; i++)
        if (k == 0 || q[k - 1] != q[i])
            q[k++] = q[i];
    s->sub = q;
    s->nsub = k;
    return 0;
}
