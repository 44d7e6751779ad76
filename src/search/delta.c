/*
 * delta.c — composite segments: a base segment, the tombstones of its
 * documents replaced or removed since it was built, and a small delta
 * segment holding the current form of those documents. A query runs on
 * both parts (exec.c) as on one segment; the composite is published like
 * any segment, so readers swap to it atomically (docs/internals/search.md,
 * "Freshness: the delta").
 */
#include <stdlib.h>
#include <string.h>

#include "search/internal.h"
#include "core/grow.h"
#include "core/banned.h"

static int by_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

int souk_search_segment_compose(souk_search_segment *base, souk_search_segment *delta, const int64_t *ids, size_t nids,
                                souk_search_segment **out)
{
    *out = NULL;
    if (base->part[0] || (delta && delta->part[0]) || (delta && strcmp(base->language, delta->language) != 0))
        return SOUK_SEARCH_BUILD_INVALID;
    souk_search_segment *c = calloc(1, sizeof *c);
    int64_t *sorted = malloc(sizeof *sorted * (nids ? nids : 1));
    roaring_bitmap_t *tomb = roaring_bitmap_create();
    if (!c || !sorted || !tomb) {
        free(c);
        free(sorted);
        if (tomb)
            roaring_bitmap_free(tomb);
        return SOUK_SEARCH_BUILD_NOMEM;
    }
    if (nids)
        memcpy(sorted, ids, sizeof *sorted * nids);
    souk_sort(sorted, nids, sizeof *sorted, by_i64);
    /* one pass over the base, each id looked up among the changed ones */
    for (uint32_t d = 0; nids && d < base->ndocs; d++)
        if (bsearch(&base->ext_id[d], sorted, nids, sizeof *sorted, by_i64))
            roaring_bitmap_add(tomb, d);
    free(sorted);
    roaring_bitmap_run_optimize(tomb);
    atomic_init(&c->refs, 1);
    memcpy(c->language, base->language, sizeof c->language);
    uint64_t dead = roaring_bitmap_get_cardinality(tomb);
    c->ndocs = (uint32_t)(base->ndocs - dead) + (delta ? delta->ndocs : 0);
    c->part[0] = souk_search_segment_ref(base);
    c->part[1] = delta ? souk_search_segment_ref(delta) : NULL;
    c->tomb = tomb;
    /* the settings and names are the base's: a settings change rebuilds the base */
    c->borrowed = true;
    c->synonyms = base->synonyms;
    c->weights = base->weights;
    c->has_weights = base->has_weights;
    c->names = base->names;
    c->bytes = sizeof *c + base->bytes + (delta ? delta->bytes : 0) + roaring_bitmap_size_in_bytes(tomb);
    if (!delta) { /* an empty delta keeps every query's code path the same: two parts */
        souk_search_builder *b;
        int rc = souk_search_builder_new(&b, base->language);
        if (rc == 0)
            rc = souk_search_builder_finish(b, &c->part[1]);
        if (rc != 0) {
            souk__search_segment_free(c);
            return SOUK_SEARCH_BUILD_NOMEM;
        }
    }
    *out = c;
    return 0;
}

souk_search_segment *souk_search_segment_base(souk_search_segment *seg)
{
    return seg->part[0] ? seg->part[0] : seg;
}

uint32_t souk_search_segment_delta_docs(const souk_search_segment *seg)
{
    return seg->part[1] ? seg->part[1]->ndocs : 0;
}

uint32_t souk_search_segment_tombstones(const souk_search_segment *seg)
{
    return seg->tomb ? (uint32_t)roaring_bitmap_get_cardinality(seg->tomb) : 0;
}

int souk_search_segment_in_stock(const souk_search_segment *seg, int64_t id)
{
    const souk_search_segment *parts[2];
    const roaring_bitmap_t *tomb;
    size_t n = souk__search_parts(seg, parts, &tomb);
    for (size_t p = n; p-- > 0;) { /* the delta first: it holds the newer form */
        const souk_search_segment *s = parts[p];
        /* load.c adds products in ascending id order: bisect */
        uint32_t lo = 0, hi = s->ndocs;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (s->ext_id[mid] < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < s->ndocs && s->ext_id[lo] == id) {
            if (p == 0 && tomb && roaring_bitmap_contains(tomb, lo))
                return -1;
            return s->in_stock[lo] != 0;
        }
    }
    return -1;
}
