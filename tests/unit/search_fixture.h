/* search_fixture.h — small indexes and query helpers for the search tests. */
#ifndef SOUK_TEST_SEARCH_FIXTURE_H
#define SOUK_TEST_SEARCH_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "search/index.h"
#include "search/query.h"

typedef struct {
    const char *title, *description, *sku, *brand;
    int64_t price;   /* 0 here means none */
    int64_t created;
    double popularity, rating; /* rating 0 here means none */
    bool in_stock;
} fx_doc;

/* A segment of DOCS (ids 1..N in order), each with facet brand=BRAND when set. */
static inline souk_search_segment *fx_build(const fx_doc *docs, size_t n)
{
    souk_search_builder *b;
    assert_int_equal(souk_search_builder_new(&b, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        souk_search_facet_value fv = {"brand", docs[i].brand};
        souk_search_doc d = {.id = (int64_t)i + 1,
                             .price = docs[i].price ? docs[i].price : -1,
                             .created = docs[i].created,
                             .popularity = docs[i].popularity,
                             .rating = docs[i].rating ? docs[i].rating : -1,
                             .in_stock = docs[i].in_stock,
                             .facets = &fv,
                             .nfacets = docs[i].brand ? 1 : 0};
        d.field[SOUK_SEARCH_F_TITLE] = docs[i].title;
        d.field[SOUK_SEARCH_F_DESCRIPTION] = docs[i].description;
        d.field[SOUK_SEARCH_F_SKU] = docs[i].sku;
        assert_int_equal(souk_search_builder_add(b, &d), 0);
    }
    souk_search_segment *s;
    assert_int_equal(souk_search_builder_finish(b, &s), 0);
    return s;
}

/* Runs REQ with query Q; the hit ids as "1 2 3" (static buffer), *R the result. */
static inline const char *fx_ids(const souk_search_segment *s, souk_search_text *t, souk_search_request req,
                                 const char *q, souk_search_result *r, souk_arena *a)
{
    static char buf[1024];
    req.q = q;
    req.qlen = strlen(q);
    if (!req.limit)
        req.limit = 20;
    souk_search_status st = souk_search_run(s, t, &req, a, r);
    if (st != SOUK_SEARCH_OK) {
        snprintf(buf, sizeof buf, "error %d", (int)st);
        return buf;
    }
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->nhits; i++)
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%lld", i ? " " : "", (long long)r->hits[i].id);
    return buf;
}

#endif
