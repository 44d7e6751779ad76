/*
 * libFuzzer driver for search queries: souk_search_query_parse and
 * souk_search_run (src/search/parse.c, exec.c, rank.c) over a small fixed
 * index.
 *
 * Byte 0 chooses flags (prefix, typos, fallback, stop words), the sort and
 * whether a brand filter and facets apply; the rest is the query text.
 *   - parse: a status of the documented set; on success at most 32 words
 *     and clauses, every word's strings non-NULL valid UTF-8 of 1..64 bytes,
 *     clauses within the words, only the last positive word a prefix; on
 *     UTF-8 input over 10240 bytes always E_TOO_LONG; on valid UTF-8
 *     within the limit never E_UTF8.
 *   - run: OK exactly when parse is OK; then at most `limit` hits, ids of
 *     indexed documents, no repeats, total >= the hits that match the
 *     result set's words, relevance scores descending, facet counts
 *     1..total in descending order, terms_matched <= terms.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "search/index.h"
#include "search/query.h"
#include "utf8_oracle.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static const char *const titles[] = {
    "Red cotton T-Shirt",  "Blue running shoes", "WX-200 water pump",  "Crème brûlée torch", "東京タワー model",
    "3/4in brass fitting", "Glass of red wine",  "Doormat union jack", "Hoodie, grey",       "Men's leather wallet",
};
#define NDOCS (sizeof titles / sizeof titles[0])

static souk_search_segment *seg;
static souk_search_text text;
static souk_search_synonyms *syn;

static void init(void)
{
    souk_search_builder *b;
    CHECK(souk_search_builder_new(&b, NULL) == 0);
    for (size_t i = 0; i < NDOCS; i++) {
        souk_search_facet_value fv = {"brand", i % 2 ? "acme" : "zen"};
        souk_search_doc d = {.id = (int64_t)i + 1,
                             .price = (int64_t)i * 100 - 100,
                             .rating = (double)(i % 6) - 1,
                             .in_stock = i % 3 != 0,
                             .popularity = (double)i,
                             .facets = &fv,
                             .nfacets = 1};
        d.field[SOUK_SEARCH_F_TITLE] = titles[i];
        d.field[SOUK_SEARCH_F_SKU] = i == 2 ? "WX-200" : NULL;
        CHECK(souk_search_builder_add(b, &d) == 0);
    }
    CHECK(souk_search_builder_finish(b, &seg) == 0);
    CHECK(souk_search_text_init(&text, NULL) == 0);
    char err[128];
    const char table[] = "tv, television\nhoodie => sweatshirt\n";
    CHECK(souk_search_synonyms_parse(&syn, table, sizeof table - 1, &text, err, sizeof err) == 0);
}

static void check_parse(const souk_search_query *q)
{
    CHECK(q->nwords <= SOUK_SEARCH_QUERY_TERMS_MAX && q->nclauses <= SOUK_SEARCH_QUERY_TERMS_MAX);
    for (size_t i = 0; i < q->nwords; i++) {
        const souk_search_qword *w = &q->words[i];
        CHECK(w->text && w->surface);
        size_t tl = strlen(w->text), sl = strlen(w->surface);
        CHECK(tl >= 1 && tl <= SOUK_SEARCH_TOKEN_MAX && sl >= 1 && sl <= SOUK_SEARCH_TOKEN_MAX);
        CHECK(utf8_chars(w->text, tl) > 0 && utf8_chars(w->surface, sl) > 0);
        if (w->alt)
            CHECK(strlen(w->alt) >= 1 && strlen(w->alt) <= SOUK_SEARCH_TOKEN_MAX);
    }
    size_t prefixes = 0;
    for (size_t i = 0; i < q->nclauses; i++) {
        const souk_search_clause *c = &q->clauses[i];
        CHECK(c->n >= 1 && (size_t)c->first + c->n <= q->nwords);
        if (c->prefix) {
            CHECK(!c->negated && c->type == SOUK_SEARCH_CLAUSE_WORD && i + 1 == q->nclauses);
            prefixes++;
        }
    }
    CHECK(prefixes <= 1);
    CHECK(q->sku != NULL);
}

static bool known(souk_search_status st)
{
    return st == SOUK_SEARCH_OK || st == SOUK_SEARCH_E_TOO_LONG || st == SOUK_SEARCH_E_TOO_MANY_TERMS ||
           st == SOUK_SEARCH_E_UTF8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!seg)
        init();
    if (size == 0)
        return 0;
    uint8_t ctl = data[0];
    const char *q = (const char *)data + 1;
    size_t qlen = size - 1;
    unsigned flags = ctl & 0x0F;
    souk_arena a;
    souk_arena_init(&a, 0, 16u << 20);
    souk_search_query pq;
    souk_search_status pst = souk_search_query_parse(&pq, q, qlen, &text, flags, &a);
    CHECK(known(pst));
    long chars = utf8_chars(q, qlen);
    if (chars >= 0 && qlen > SOUK_SEARCH_QUERY_BYTES_MAX)
        CHECK(pst == SOUK_SEARCH_E_TOO_LONG);
    if (chars >= 0 && qlen <= SOUK_SEARCH_QUERY_BYTES_MAX)
        CHECK(pst != SOUK_SEARCH_E_UTF8);
    if (pst == SOUK_SEARCH_OK)
        check_parse(&pq);

    static const char *const zen[] = {"zen"}, *const dims[] = {"brand", "none"};
    souk_search_filter f = {"brand", zen, 1};
    souk_search_request req = {.q = q,
                               .qlen = qlen,
                               .flags = flags,
                               .sort = (souk_search_sort)((ctl >> 4) % 6),
                               .limit = 5,
                               .offset = (ctl & 0x40) ? 2 : 0,
                               .synonyms = (ctl & 0x80) ? syn : NULL,
                               .facets = dims,
                               .nfacets = 2};
    if (ctl & 0x20)
        req.filters = &f, req.nfilters = 1;
    souk_search_result r;
    souk_search_status st = souk_search_run(seg, &text, &req, &a, &r);
    CHECK(st == pst);
    if (st == SOUK_SEARCH_OK) {
        CHECK(r.nhits <= req.limit);
        CHECK(r.terms_matched <= r.terms && r.terms <= SOUK_SEARCH_QUERY_TERMS_MAX);
        size_t full = 0;
        for (size_t i = 0; i < r.nhits; i++) {
            CHECK(r.hits[i].id >= 1 && (size_t)r.hits[i].id <= NDOCS);
            for (size_t j = 0; j < i; j++)
                CHECK(r.hits[i].id != r.hits[j].id);
            full += r.hits[i].words >= r.terms_matched;
            if (i && req.sort == SOUK_SEARCH_SORT_RELEVANCE && r.hits[i].words == r.hits[i - 1].words)
                CHECK(r.hits[i].score <= r.hits[i - 1].score);
        }
        CHECK(r.total >= full || req.offset > 0);
        CHECK(r.nfacets == 2);
        for (size_t k = 0; k < r.nfacets; k++)
            for (size_t v = 0; v < r.facets[k].nvalues; v++) {
                CHECK(r.facets[k].values[v].count >= 1 && r.facets[k].values[v].count <= r.total);
                if (v)
                    CHECK(r.facets[k].values[v].count <= r.facets[k].values[v - 1].count);
            }
    }
    souk_arena_release(&a);
    return 0;
}
