/*
 * dims.c — which attribute dimensions are worth a facet (index.h
 * souk_search_attr_dims), for `facets=attr.*`: a storefront cannot know
 * beforehand which attributes its catalog has.
 *
 * A dimension "attr.NAME" is a candidate when its values are shared: on
 * average at least two documents per value (a per-product value such as a
 * model number narrows to one product and is no filter). Candidates are
 * ranked by the documents that have a value, summed over a composite's
 * parts without the base's tombstones (a product changed since the base is
 * in both parts, and would count twice), ties by name; the distinct values
 * are merged across the parts, a base value only while a live document has it. Both parts' dimension lists are small
 * (SOUK_SEARCH_DIMS_MAX), so plain loops do.
 */
#include "search/internal.h"

#include <string.h>

#include "core/banned.h"

typedef struct dim_docs {
    const char *name;
    size_t len;
    long at[2];    /* the dimension's index in each part, -1: absent */
    uint64_t docs; /* live documents with a value */
} dim_docs;

/* The documents of S with facet value V that are not in TOMB (NULL: none). */
static uint64_t live_docs(const souk_search_segment *s, uint32_t v, const roaring_bitmap_t *tomb)
{
    return tomb ? roaring_bitmap_andnot_cardinality(s->fv_bm[v], tomb) : roaring_bitmap_get_cardinality(s->fv_bm[v]);
}

/* Adds part P's (S's, TOMB its tombstones) attribute dimensions into D (N of them so far, room for
 * SOUK_SEARCH_DIMS_MAX * 2). */
static size_t gather(const souk_search_segment *s, size_t p, const roaring_bitmap_t *tomb, dim_docs *d, size_t n)
{
    for (uint32_t i = 0; i < s->dims.n; i++) {
        size_t len;
        const char *name = souk__search_str(&s->dims, i, &len);
        if (len <= 5 || memcmp(name, "attr.", 5) != 0)
            continue;
        size_t j = 0;
        while (j < n && souk__search_cmp(d[j].name, d[j].len, name, len) != 0)
            j++;
        if (j == n)
            d[n++] = (dim_docs){name, len, {-1, -1}, 0};
        d[j].at[p] = i;
        for (uint32_t v = s->dim_first[i]; v < s->dim_first[i + 1]; v++)
            d[j].docs += live_docs(s, v, tomb);
    }
    return n;
}

/* The distinct values of D over the parts (a base value only while a document outside TOMB has it):
 * a merge of their sorted value lists. */
static uint64_t distinct_values(const dim_docs *d, const souk_search_segment *const *parts, size_t nparts,
                                const roaring_bitmap_t *tomb)
{
    uint32_t i[2] = {0, 0}, end[2] = {0, 0};
    for (size_t p = 0; p < nparts; p++)
        if (d->at[p] >= 0) {
            i[p] = parts[p]->dim_first[d->at[p]];
            end[p] = parts[p]->dim_first[d->at[p] + 1];
        }
    uint64_t n = 0;
    while (i[0] < end[0] || i[1] < end[1]) {
        if (i[0] < end[0] && tomb && live_docs(parts[0], i[0], tomb) == 0) {
            i[0]++; /* only tombstoned documents have it */
            continue;
        }
        n++;
        if (i[0] == end[0] || i[1] == end[1]) {
            i[i[0] == end[0] ? 1 : 0]++;
            continue;
        }
        size_t la, lb;
        const char *a = souk__search_str(&parts[0]->fv, i[0], &la), *b = souk__search_str(&parts[1]->fv, i[1], &lb);
        int c = souk__search_cmp(a, la, b, lb);
        i[0] += c <= 0;
        i[1] += c >= 0;
    }
    return n;
}

size_t souk_search_attr_dims(const souk_search_segment *seg, const char **out, size_t max)
{
    const souk_search_segment *parts[2];
    const roaring_bitmap_t *tomb;
    size_t nparts = souk__search_parts(seg, parts, &tomb);
    dim_docs d[SOUK_SEARCH_DIMS_MAX * 2];
    size_t n = 0;
    for (size_t p = 0; p < nparts; p++)
        n = gather(parts[p], p, p == 0 ? tomb : NULL, d, n);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i].docs >= 2 * distinct_values(&d[i], parts, nparts, tomb))
            d[kept++] = d[i];
    /* insertion sort: most documents first, then by name */
    for (size_t i = 1; i < kept; i++) {
        dim_docs x = d[i];
        size_t j = i;
        while (j > 0 &&
               (d[j - 1].docs < x.docs ||
                (d[j - 1].docs == x.docs && souk__search_cmp(d[j - 1].name, d[j - 1].len, x.name, x.len) > 0))) {
            d[j] = d[j - 1];
            j--;
        }
        d[j] = x;
    }
    size_t m = kept < max ? kept : max;
    for (size_t i = 0; i < m; i++)
        out[i] = d[i].name;
    return m;
}
