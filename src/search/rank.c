/*
 * rank.c — BM25F scores, the blend with popularity and stock, and the
 * page: the best offset + limit documents of a result set in a bounded
 * heap, for every sort.
 *
 * BM25F ("simple BM25F", Robertson & Zaragoza, The Probabilistic Relevance
 * Framework, 2009): for a term t and a document d,
 *
 *     tf~(t,d) = Σ_f W_f · tf(t,f,d) / ((1 − b_f) + b_f · len(f,d) / avglen(f))
 *     s(t,d)   = idf(t) · tf~ / (k1 + tf~),  idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))
 *
 * A query word scores the best of its alternatives, each s(t,d) times its
 * weight (1 exact, less for completions, typos and synonyms); every
 * alternative takes the word's idf, from the documents any of them match,
 * so that a rare typo neighbour or completion does not outscore the common
 * word it stands for. The text score is the sum over the positive words
 * (phrase words included). The
 * final score is
 *
 *     text · (1 + w_pop · ln(1 + pop) / ln(1 + max pop)) · (in stock ? 1 + w_stock : 1)
 *          + (the whole query is the document's SKU ? w_sku : 0)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/rank.h"
#include "core/banned.h"

#define NF SOUK_SEARCH_NFIELDS
#define SKU_DOCS_MAX 64

const souk_search_weights souk_search_weights_default = {
    /*            sku  title brand category attrs vendor description */
    .field = {4.0, 3.0, 2.0, 1.5, 1.0, 0.5, 1.0},
    .b = {0.0, 0.75, 0.5, 0.5, 0.5, 0.5, 0.75},
    .k1 = 1.2,
    .popularity = 0.2,
    .in_stock = 0.1,
    .prefix = 0.7,
    .typo1 = 0.6,
    .typo2 = 0.4,
    .synonym = 0.8,
    .concat = 0.9,
    .sku_exact = 1e6,
};

double souk__search_bm25f(const souk_search_segment *s, const souk__search_stats *st, const souk__search_group *g,
                          size_t ng, const souk_search_weights *w, uint32_t doc, uint32_t *curs)
{
    double text = 0;
    size_t ci = 0, positive = 0;
    const uint16_t *len = s->flen + (size_t)doc * NF;
    for (size_t i = 0; i < ng; i++) {
        if (g[i].negated)
            continue;
        positive++;
        for (size_t j = 0; j < g[i].nw; j++) {
            const souk__search_word *wd = &g[i].w[j];
            double best = 0;
            for (size_t k = 0; k < wd->nalts; k++) {
                const souk__search_alt *alt = &wd->alts[k];
                long p = souk__search_posting(s, alt->term, doc, &curs[ci++]);
                if (p < 0)
                    continue;
                double tfw = 0;
                const uint8_t *tf = s->post_tf + (size_t)p * NF;
                for (int f = 0; f < NF; f++) {
                    if (!tf[f] || st->avg_flen[f] <= 0)
                        continue;
                    double norm = (1 - w->b[f]) + w->b[f] * len[f] / st->avg_flen[f];
                    tfw += w->field[f] * tf[f] / norm;
                }
                double sc = alt->weight * alt->idf * tfw / (w->k1 + tfw);
                if (sc > best)
                    best = sc;
            }
            text += best;
        }
    }
    return positive ? text : 1.0;
}

typedef struct {
    uint32_t doc;
    uint16_t words; /* groups matched: more first, under every sort */
    uint16_t part;  /* of the parts paged */
    double score;
} item;

typedef struct {
    const souk__search_part *parts;
    souk_search_sort sort;
} ctx;

/* The order of A (document X of SA) and B (document Y of SB) under the
 * sort's columns: > 0 when A goes first, < 0 when B does, 0 for a tie.
 * Products without a price go last both ways; unrated ones (-1) last. */
static inline int by_sort(const ctx *c, item a, const souk_search_segment *sa, item b, const souk_search_segment *sb)
{
    uint32_t x = a.doc, y = b.doc;
    switch (c->sort) {
    case SOUK_SEARCH_SORT_RELEVANCE:
        if (a.score != b.score)
            return a.score > b.score ? 1 : -1;
        break;
    case SOUK_SEARCH_SORT_PRICE_ASC:
    case SOUK_SEARCH_SORT_PRICE_DESC:
        if ((sa->price[x] < 0) != (sb->price[y] < 0))
            return sa->price[x] >= 0 ? 1 : -1;
        if (sa->price[x] != sb->price[y])
            return (c->sort == SOUK_SEARCH_SORT_PRICE_ASC) == (sa->price[x] < sb->price[y]) ? 1 : -1;
        break;
    case SOUK_SEARCH_SORT_NEWEST:
        if (sa->created[x] != sb->created[y])
            return sa->created[x] > sb->created[y] ? 1 : -1;
        break;
    case SOUK_SEARCH_SORT_POPULARITY:
        if (sa->popularity[x] != sb->popularity[y])
            return sa->popularity[x] > sb->popularity[y] ? 1 : -1;
        break;
    case SOUK_SEARCH_SORT_RATING:
        if (sa->rating[x] != sb->rating[y])
            return sa->rating[x] > sb->rating[y] ? 1 : -1;
        break;
    }
    return 0;
}

/* Whether A ranks before B. Ties go to the lower document number within a
 * part, to the lower id across parts. */
static bool better(const ctx *c, item a, item b)
{
    if (a.words != b.words)
        return a.words > b.words;
    const souk_search_segment *sa = c->parts[a.part].s, *sb = c->parts[b.part].s;
    int r = by_sort(c, a, sa, b, sb);
    if (r)
        return r > 0;
    return a.part == b.part ? a.doc < b.doc : sa->ext_id[a.doc] < sb->ext_id[b.doc];
}

/* the heap keeps its worst item at the root */
static void sift_down(const ctx *c, item *h, size_t m, size_t i)
{
    for (;;) {
        size_t worst = i, l = 2 * i + 1, r = l + 1;
        if (l < m && better(c, h[worst], h[l]))
            worst = l;
        if (r < m && better(c, h[worst], h[r]))
            worst = r;
        if (worst == i)
            return;
        item t = h[i];
        h[i] = h[worst];
        h[worst] = t;
        i = worst;
    }
}

static void push(const ctx *c, item *h, size_t *m, size_t k, item x)
{
    if (*m < k) {
        size_t i = (*m)++;
        h[i] = x;
        while (i > 0 && better(c, h[(i - 1) / 2], h[i])) {
            item t = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (better(c, x, h[0])) {
        h[0] = x;
        sift_down(c, h, *m, 0);
    }
}

static double blend(const souk_search_segment *s, const souk__search_stats *st, const souk_search_weights *w,
                    uint32_t doc, double text, const uint32_t *sku, size_t nsku)
{
    double pn = st->max_popularity > 0 ? log1p(s->popularity[doc]) / log1p(st->max_popularity) : 0;
    double score = text * (1 + w->popularity * pn) * (s->in_stock[doc] ? 1 + w->in_stock : 1);
    for (size_t i = 0; i < nsku; i++)
        if (sku[i] == doc)
            return score + w->sku_exact;
    return score;
}

/* The documents of S whose SKU is the whole query Q, into SKU (at most SKU_DOCS_MAX). */
static size_t sku_docs(const souk_search_segment *s, const souk_search_query *q, uint32_t *sku)
{
    size_t nsku = 0;
    if (q->sku && q->sku[0]) {
        size_t l = strlen(q->sku);
        for (uint32_t i = souk__search_strs_lower(&s->skus, q->sku, l); i < s->skus.n && nsku < SKU_DOCS_MAX; i++) {
            size_t sl;
            const char *x = souk__search_str(&s->skus, i, &sl);
            if (sl != l || memcmp(x, q->sku, l) != 0)
                break;
            sku[nsku++] = s->sku_doc[i];
        }
    }
    return nsku;
}

static size_t count_alts(const souk__search_part *p)
{
    size_t nalts = 0;
    for (size_t i = 0; i < p->ng; i++)
        for (size_t j = 0; !p->g[i].negated && j < p->g[i].nw; j++)
            nalts += p->g[i].w[j].nalts;
    return nalts;
}

souk_search_status souk__search_page(const souk__search_part *parts, size_t nparts, const souk_search_query *q,
                                     const souk_search_request *req, const souk_search_weights *w,
                                     const souk__search_stats *st, size_t npos, souk_arena *a, souk_search_result *out)
{
    size_t k = req->offset + req->limit, nalts = 0;
    for (size_t p = 0; p < nparts; p++) {
        size_t n = count_alts(&parts[p]);
        if (n > nalts)
            nalts = n;
    }
    uint32_t *curs = calloc(nalts ? nalts : 1, sizeof *curs);
    item *h = malloc(sizeof *h * k);
    uint32_t *docs = NULL;
    if (!curs || !h)
        goto nomem;
    ctx c = {parts, req->sort};
    size_t m = 0;
    bool relevance = req->sort == SOUK_SEARCH_SORT_RELEVANCE;
    for (size_t p = 0; p < nparts; p++) {
        const souk__search_part *pt = &parts[p];
        const souk_search_segment *s = pt->s;
        uint32_t sku[SKU_DOCS_MAX];
        size_t nsku = sku_docs(s, q, sku);
        uint64_t n = roaring_bitmap_get_cardinality(pt->r);
        uint32_t *d = realloc(docs, sizeof *docs * (n ? n : 1));
        if (!d)
            goto nomem;
        docs = d;
        roaring_bitmap_to_uint32_array(pt->r, docs);
        memset(curs, 0, sizeof *curs * (nalts ? nalts : 1));
        for (uint64_t i = 0; i < n; i++) {
            double sc = relevance ? blend(s, st, w, docs[i], souk__search_bm25f(s, st, pt->g, pt->ng, w, docs[i], curs),
                                          sku, nsku)
                                  : 0;
            push(&c, h, &m, k, (item){docs[i], (uint16_t)(pt->counts ? pt->counts[docs[i]] : npos), (uint16_t)p, sc});
        }
    }
    /* heap sort: the worst goes to the end */
    for (size_t e = m; e > 1; e--) {
        item t = h[0];
        h[0] = h[e - 1];
        h[e - 1] = t;
        sift_down(&c, h, e - 1, 0);
    }
    size_t from = req->offset < m ? req->offset : m;
    out->nhits = m - from;
    out->hits = souk_arena_alloc(a, sizeof *out->hits * (out->nhits ? out->nhits : 1));
    if (!out->hits)
        goto nomem;
    for (size_t i = 0; i < out->nhits; i++) {
        item it = h[from + i];
        const souk__search_part *pt = &parts[it.part];
        if (!relevance) {
            uint32_t sku[SKU_DOCS_MAX];
            size_t nsku = sku_docs(pt->s, q, sku);
            memset(curs, 0, sizeof *curs * (nalts ? nalts : 1));
            it.score =
                blend(pt->s, st, w, it.doc, souk__search_bm25f(pt->s, st, pt->g, pt->ng, w, it.doc, curs), sku, nsku);
        }
        out->hits[i] = (souk_search_hit){pt->s->ext_id[it.doc], it.score, it.words};
    }
    free(docs);
    free(curs);
    free(h);
    return SOUK_SEARCH_OK;
nomem:
    free(docs);
    free(curs);
    free(h);
    return SOUK_SEARCH_E_NOMEM;
}
