/*
 * exec.c — running a query on a segment.
 *
 *   1. Each clause becomes a group: for every word, its alternatives (the
 *      term, a code's joined form, synonyms, typo neighbours, completions
 *      of the last word), each with a weight; the group's documents are
 *      the union of the alternatives' postings (an intersection verified by
 *      positions, for phrases).
 *   2. The result set: the intersection of the positive groups and of the
 *      filters, minus the exclusions, within the price and rating ranges.
 *      Empty, with two or more positive groups: the documents matching the
 *      most groups instead (the fallback).
 *   3. Facets: the cardinality of the result set AND each value's bitmap.
 *   4. The page: the best offset + limit documents by the sort, kept in a
 *      bounded heap; BM25F scores (rank.c) for relevance.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/internal.h"
#include "search/query.h"
#include "search/rank.h"
#include "core/grow.h"
#include "core/banned.h"

#define SYN_MAX 8

const char *souk_search_strerror(souk_search_status st)
{
    switch (st) {
    case SOUK_SEARCH_OK: return "ok";
    case SOUK_SEARCH_E_TOO_LONG: return "query longer than 10240 bytes";
    case SOUK_SEARCH_E_TOO_MANY_TERMS: return "query has more than 32 words";
    case SOUK_SEARCH_E_UTF8: return "query is not valid UTF-8";
    case SOUK_SEARCH_E_PAGE: return "page out of range (limit 1..100, offset + limit at most 1000)";
    case SOUK_SEARCH_E_INVALID: return "filters, facets or ranges out of range";
    case SOUK_SEARCH_E_LANGUAGE: return "query language differs from the index's";
    case SOUK_SEARCH_E_NOMEM: return "out of memory";
    }
    return "unknown status";
}

static void add_alt(souk__search_word *w, uint32_t term, double weight)
{
    for (size_t i = 0; i < w->nalts; i++)
        if (w->alts[i].term == term) {
            if (weight > w->alts[i].weight)
                w->alts[i].weight = weight;
            return;
        }
    if (w->nalts < SOUK__SEARCH_ALTS_MAX)
        w->alts[w->nalts++] = (souk__search_alt){term, weight, 0};
}

static uint32_t df(const souk_search_segment *s, uint32_t term)
{
    return s->term_post[term + 1] - s->term_post[term];
}

static bool has_digit(const char *w, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (w[i] >= '0' && w[i] <= '9')
            return true;
    return false;
}

typedef struct {
    uint32_t term;
    int dist;
    uint32_t df;
} expansion;

/* keeps the best SOUK_SEARCH_EXPANSIONS_MAX candidates: nearer, then more documents */
static void keep(expansion *c, size_t *n, expansion x)
{
    for (size_t i = 0; i < *n; i++)
        if (c[i].term == x.term) {
            if (x.dist < c[i].dist)
                c[i].dist = x.dist;
            return;
        }
    if (*n < SOUK_SEARCH_EXPANSIONS_MAX) {
        c[(*n)++] = x;
        return;
    }
    size_t worst = 0;
    for (size_t i = 1; i < *n; i++)
        if (c[i].dist > c[worst].dist || (c[i].dist == c[worst].dist && c[i].df < c[worst].df))
            worst = i;
    if (x.dist < c[worst].dist || (x.dist == c[worst].dist && x.df > c[worst].df))
        c[worst] = x;
}

typedef struct {
    const souk_search_segment *s;
    expansion *c;
    size_t n;
} typo_ctx;

static void on_typo(uint32_t i, int d, void *arg)
{
    typo_ctx *x = arg;
    size_t l;
    const char *wd = souk__search_str(&x->s->words, i, &l);
    if (d == 0 || has_digit(wd, l))
        return; /* the word itself; numbers and codes never match by typo */
    uint32_t t = x->s->word_term[i];
    keep(x->c, &x->n, (expansion){t, d, df(x->s, t)});
}

static void expand_typos(const souk_search_segment *s, const souk_search_qword *qw, souk__search_word *w,
                         const souk_search_weights *wt)
{
    size_t slen = strlen(qw->surface);
    int k = souk_search_typo_budget(souk_search_utf8_chars(qw->surface, slen));
    if (k == 0)
        return;
    expansion c[SOUK_SEARCH_EXPANSIONS_MAX];
    typo_ctx x = {s, c, 0};
    souk__search_typo_walk(&s->words, qw->surface, slen, k, on_typo, &x);
    for (size_t i = 0; i < x.n; i++)
        add_alt(w, c[i].term, c[i].dist == 1 ? wt->typo1 : wt->typo2);
}

static void expand_prefix(const souk_search_segment *s, const souk_search_qword *qw, souk__search_word *w,
                          const souk_search_weights *wt)
{
    size_t plen = strlen(qw->surface);
    expansion c[SOUK_SEARCH_EXPANSIONS_MAX];
    size_t n = 0, scanned = 0;
    for (uint32_t i = souk__search_strs_lower(&s->words, qw->surface, plen); i < s->words.n && scanned < 200000;
         i++, scanned++) {
        size_t l;
        const char *wd = souk__search_str(&s->words, i, &l);
        if (l < plen || memcmp(wd, qw->surface, plen) != 0)
            break;
        if (l == plen)
            continue; /* the word itself: matched exactly already */
        keep(c, &n, (expansion){s->word_term[i], 1, df(s, s->word_term[i])});
    }
    for (size_t i = 0; i < n; i++)
        add_alt(w, c[i].term, wt->prefix);
}

/* The alternatives of query word QW (in clause C) into W. */
static void resolve_word(const souk_search_segment *s, const souk_search_request *req, const souk_search_clause *c,
                         const souk_search_qword *qw, souk__search_word *w, const souk_search_weights *wt)
{
    memset(w, 0, sizeof *w);
    w->qpos = qw->qpos;
    long t = souk__search_strs_find(&s->terms, qw->text, strlen(qw->text));
    if (t >= 0)
        add_alt(w, (uint32_t)t, 1.0);
    if (qw->alt && (t = souk__search_strs_find(&s->terms, qw->alt, strlen(qw->alt))) >= 0)
        add_alt(w, (uint32_t)t, 1.0);
    if (c->type != SOUK_SEARCH_CLAUSE_WORD || c->negated)
        return;
    if (req->synonyms && !(req->flags & SOUK_SEARCH_Q_NO_SYNONYMS)) {
        const char *syn[SYN_MAX];
        size_t n = souk_search_synonyms_lookup(req->synonyms, qw->text, syn, SYN_MAX);
        for (size_t i = 0; i < n; i++)
            if ((t = souk__search_strs_find(&s->terms, syn[i], strlen(syn[i]))) >= 0)
                add_alt(w, (uint32_t)t, wt->synonym);
    }
    if (!qw->notypo && !(req->flags & SOUK_SEARCH_Q_NO_TYPO))
        expand_typos(s, qw, w, wt);
    if (c->prefix)
        expand_prefix(s, qw, w, wt);
}

/* Index of DOC in TERM's postings, searching from *CUR on (ascending use), or -1. */
long souk__search_posting(const souk_search_segment *s, uint32_t term, uint32_t doc, uint32_t *cur)
{
    uint32_t lo = s->term_post[term] > *cur ? s->term_post[term] : *cur, hi = s->term_post[term + 1];
    /* gallop, then bisect */
    uint32_t step = 1, b = lo;
    while (b < hi && s->post_doc[b] < doc) {
        lo = b + 1;
        b += step;
        step *= 2;
    }
    if (b < hi)
        hi = b + 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->post_doc[mid] < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    *cur = lo;
    return lo < s->term_post[term + 1] && s->post_doc[lo] == doc ? (long)lo : -1;
}

/* Whether DOC has the words of phrase group G at their query distances. */
static bool phrase_at(const souk_search_segment *s, souk__search_group *g, uint32_t doc)
{
    enum { CAP = 256 };
    uint32_t first[CAP];
    size_t nfirst = 0;
    const souk__search_word *w0 = &g->w[0];
    for (size_t a = 0; a < w0->nalts; a++) {
        uint32_t cur = 0;
        long p = souk__search_posting(s, w0->alts[a].term, doc, &cur);
        if (p < 0)
            continue;
        for (uint32_t k = s->post_pos[p]; k < s->post_pos[p + 1] && nfirst < CAP; k++)
            first[nfirst++] = s->pos[k];
    }
    for (size_t i = 0; i < nfirst; i++) {
        bool all = true;
        for (size_t j = 1; j < g->nw && all; j++) {
            const souk__search_word *w = &g->w[j];
            uint32_t want = first[i] + (w->qpos - w0->qpos);
            bool found = false;
            for (size_t a = 0; a < w->nalts && !found; a++) {
                uint32_t cur = 0;
                long p = souk__search_posting(s, w->alts[a].term, doc, &cur);
                if (p < 0)
                    continue;
                for (uint32_t k = s->post_pos[p]; k < s->post_pos[p + 1] && !found; k++)
                    found = s->pos[k] == want;
            }
            all = found;
        }
        if (all)
            return true;
    }
    return false;
}

static roaring_bitmap_t *word_docs(const souk_search_segment *s, const roaring_bitmap_t *tomb, souk__search_word *w)
{
    roaring_bitmap_t *bm = roaring_bitmap_create();
    if (!bm)
        return NULL;
    for (size_t a = 0; a < w->nalts; a++) {
        uint32_t t = w->alts[a].term;
        roaring_bitmap_add_many(bm, df(s, t), s->post_doc + s->term_post[t]);
    }
    if (tomb)
        roaring_bitmap_andnot_inplace(bm, tomb);
    w->df = (uint32_t)roaring_bitmap_get_cardinality(bm);
    return bm;
}

static roaring_bitmap_t *group_docs(const souk_search_segment *s, const roaring_bitmap_t *tomb, souk__search_group *g)
{
    roaring_bitmap_t *bm = word_docs(s, tomb, &g->w[0]);
    for (size_t j = 1; bm && j < g->nw; j++) {
        roaring_bitmap_t *o = word_docs(s, tomb, &g->w[j]);
        if (!o) {
            roaring_bitmap_free(bm);
            return NULL;
        }
        roaring_bitmap_and_inplace(bm, o);
        roaring_bitmap_free(o);
    }
    if (!bm || g->nw < 2)
        return bm;
    uint64_t n = roaring_bitmap_get_cardinality(bm);
    uint32_t *docs = malloc(sizeof *docs * (n ? n : 1));
    roaring_bitmap_t *out = roaring_bitmap_create();
    if (!docs || !out) {
        free(docs);
        roaring_bitmap_free(bm);
        if (out)
            roaring_bitmap_free(out);
        return NULL;
    }
    roaring_bitmap_to_uint32_array(bm, docs);
    for (uint64_t i = 0; i < n; i++)
        if (phrase_at(s, g, docs[i]))
            roaring_bitmap_add(out, docs[i]);
    free(docs);
    roaring_bitmap_free(bm);
    return out;
}

/* The facet filters' documents, or NULL for all; *FAIL on memory. */
static roaring_bitmap_t *filter_docs(const souk_search_segment *s, const souk_search_request *req, bool *fail)
{
    roaring_bitmap_t *f = NULL;
    for (size_t i = 0; i < req->nfilters; i++) {
        const souk_search_filter *fl = &req->filters[i];
        roaring_bitmap_t *u = roaring_bitmap_create();
        if (!u) {
            *fail = true;
            break;
        }
        long d = souk__search_strs_find(&s->dims, fl->dim, strlen(fl->dim));
        if (d >= 0) {
            souk__search_strs view = {s->dim_first[d + 1] - s->dim_first[d], s->fv.blob, s->fv.off + s->dim_first[d]};
            for (size_t v = 0; v < fl->nvalues; v++) {
                long k = souk__search_strs_find(&view, fl->values[v], strlen(fl->values[v]));
                if (k >= 0)
                    roaring_bitmap_or_inplace(u, s->fv_bm[s->dim_first[d] + (uint32_t)k]);
            }
        }
        if (f) {
            roaring_bitmap_and_inplace(f, u);
            roaring_bitmap_free(u);
        } else {
            f = u;
        }
    }
    if (!*fail && req->in_stock) {
        if (f)
            roaring_bitmap_and_inplace(f, s->in_stock_bm);
        else if (!(f = roaring_bitmap_copy(s->in_stock_bm)))
            *fail = true;
    }
    return f;
}

static bool in_ranges(const souk_search_segment *s, const souk_search_request *req, uint32_t d)
{
    if (req->has_price_min && (s->price[d] < 0 || s->price[d] < req->price_min))
        return false;
    if (req->has_price_max && (s->price[d] < 0 || s->price[d] > req->price_max))
        return false;
    if (req->rating_min > 0 && s->rating[d] < req->rating_min)
        return false;
    return true;
}

/* Keeps only the documents of BM within the ranges. */
static int apply_ranges(const souk_search_segment *s, const souk_search_request *req, roaring_bitmap_t *bm)
{
    if (!req->has_price_min && !req->has_price_max && !(req->rating_min > 0))
        return 0;
    uint64_t n = roaring_bitmap_get_cardinality(bm);
    uint32_t *docs = malloc(sizeof *docs * (n ? n : 1));
    if (!docs)
        return -1;
    roaring_bitmap_to_uint32_array(bm, docs);
    for (uint64_t i = 0; i < n; i++)
        if (!in_ranges(s, req, docs[i]))
            roaring_bitmap_remove(bm, docs[i]);
    free(docs);
    return 0;
}

static souk_search_status validate(const souk_search_request *r)
{
    if (r->limit == 0 || r->limit > SOUK_SEARCH_LIMIT_MAX || r->offset > SOUK_SEARCH_WINDOW_MAX ||
        r->offset + r->limit > SOUK_SEARCH_WINDOW_MAX)
        return SOUK_SEARCH_E_PAGE;
    if (r->nfilters > SOUK_SEARCH_FILTERS_MAX || (r->nfilters && !r->filters) ||
        r->nfacets > SOUK_SEARCH_FACET_DIMS_MAX || (r->nfacets && !r->facets) ||
        r->facet_limit > SOUK_SEARCH_FACET_LIMIT_MAX || (unsigned)r->sort > SOUK_SEARCH_SORT_RATING ||
        !isfinite(r->rating_min) || r->rating_min > 5)
        return SOUK_SEARCH_E_INVALID;
    if (r->has_price_min && r->has_price_max && r->price_min > r->price_max)
        return SOUK_SEARCH_E_INVALID;
    for (size_t i = 0; i < r->nfilters; i++) {
        const souk_search_filter *f = &r->filters[i];
        if (!f->dim || !f->values || f->nvalues == 0 || f->nvalues > SOUK_SEARCH_FILTER_VALUES_MAX)
            return SOUK_SEARCH_E_INVALID;
        for (size_t v = 0; v < f->nvalues; v++)
            if (!f->values[v])
                return SOUK_SEARCH_E_INVALID;
    }
    for (size_t i = 0; i < r->nfacets; i++)
        if (!r->facets[i])
            return SOUK_SEARCH_E_INVALID;
    return SOUK_SEARCH_OK;
}

/* COUNTS[d] (caller's, ndocs, zeroed) = positive groups document d of BASE
 * matches; returns the highest count, or -1 when memory runs out. */
static int count_matches(souk__search_group *g, size_t ng, const roaring_bitmap_t *base, uint8_t *count)
{
    uint32_t *docs = NULL;
    int best = 0;
    for (size_t i = 0; i < ng; i++) {
        if (g[i].negated)
            continue;
        roaring_bitmap_t *x = roaring_bitmap_and(g[i].docs, base);
        if (!x)
            goto fail;
        uint64_t n = roaring_bitmap_get_cardinality(x);
        uint32_t *d = realloc(docs, sizeof *d * (n ? n : 1));
        if (!d) {
            roaring_bitmap_free(x);
            goto fail;
        }
        docs = d;
        roaring_bitmap_to_uint32_array(x, docs);
        roaring_bitmap_free(x);
        for (uint64_t k = 0; k < n; k++)
            if (++count[docs[k]] > best)
                best = count[docs[k]];
    }
    free(docs);
    return best;
fail:
    free(docs);
    return -1;
}

/* The documents whose count is at least MIN (> 0). */
static roaring_bitmap_t *with_count(const souk_search_segment *s, const uint8_t *count, int min)
{
    roaring_bitmap_t *out = roaring_bitmap_create();
    if (!out)
        return NULL;
    for (uint32_t d = 0; min > 0 && d < s->ndocs; d++)
        if (count[d] >= min)
            roaring_bitmap_add(out, d);
    return out;
}

/* Two adjacent positive words also match their concatenation when the
 * index has it ("door mat" finds "doormat"): the term, analysed as a query
 * word, joins both words' alternatives at half the concat weight each. */
static void add_concatenations(const souk_search_segment *s, souk_search_text *t, const souk_search_query *q,
                               souk__search_word *words, const souk_search_weights *wt)
{
    for (size_t i = 0; i + 1 < q->nclauses; i++) {
        const souk_search_clause *a = &q->clauses[i], *b = &q->clauses[i + 1];
        if (a->type != SOUK_SEARCH_CLAUSE_WORD || b->type != SOUK_SEARCH_CLAUSE_WORD || a->negated || b->negated)
            continue;
        const souk_search_qword *x = &q->words[a->first], *y = &q->words[b->first];
        if (x->kind == SOUK_SEARCH_TOK_CJK || y->kind == SOUK_SEARCH_TOK_CJK)
            continue;
        char both[2 * SOUK_SEARCH_TOKEN_MAX + 1];
        size_t xl = strlen(x->surface), yl = strlen(y->surface);
        if (xl + yl > SOUK_SEARCH_TOKEN_MAX)
            continue;
        memcpy(both, x->surface, xl);
        memcpy(both + xl, y->surface, yl);
        long n = souk_search_text_analyse(t, both, xl + yl, 0, 0);
        if (n < 1 || !(t->toks[0].flags & SOUK_SEARCH_TOKF_QUERY))
            continue;
        long term = souk__search_strs_find(&s->terms, t->toks[0].text, t->toks[0].len);
        if (term < 0)
            continue;
        /* half on each word: together they score the one term once */
        add_alt(&words[a->first], (uint32_t)term, wt->concat / 2);
        add_alt(&words[b->first], (uint32_t)term, wt->concat / 2);
    }
}

static int by_facet(const void *x, const void *y)
{
    const souk_search_facet_count *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->value, b->value);
}

/* Counts per facet value of the requested dimensions into COUNTS (fv.n):
 * one AND per value, or, when the result set is small next to the values,
 * one pass over its documents' value lists. */
static int count_facets(const souk_search_segment *s, const souk_search_request *req, const roaring_bitmap_t *r,
                        const long *dims, uint64_t *counts)
{
    uint64_t card = roaring_bitmap_get_cardinality(r), nvals = 0;
    for (size_t i = 0; i < req->nfacets; i++)
        if (dims[i] >= 0)
            nvals += s->dim_first[dims[i] + 1] - s->dim_first[dims[i]];
    double per_doc = s->ndocs ? (double)s->doc_fv_off[s->ndocs] / s->ndocs : 0;
    /* a pass touches about per_doc + 1 words a document; an AND costs some
     * tens of them for small bitmaps: 8 is a deliberately low estimate */
    if ((double)card * (per_doc + 1) < (double)nvals * 8) {
        uint32_t *docs = malloc(sizeof *docs * (card ? card : 1));
        if (!docs)
            return -1;
        roaring_bitmap_to_uint32_array(r, docs);
        for (uint64_t i = 0; i < card; i++)
            for (uint32_t k = s->doc_fv_off[docs[i]]; k < s->doc_fv_off[docs[i] + 1]; k++)
                counts[s->doc_fv[k]]++;
        free(docs);
        return 0;
    }
    for (size_t i = 0; i < req->nfacets; i++) {
        if (dims[i] < 0)
            continue;
        bool again = false; /* a dimension asked for twice is counted once */
        for (size_t j = 0; j < i && !again; j++)
            again = dims[j] == dims[i];
        for (uint32_t v = s->dim_first[dims[i]]; !again && v < s->dim_first[dims[i] + 1]; v++)
            counts[v] = roaring_bitmap_and_cardinality(r, s->fv_bm[v]);
    }
    return 0;
}

static int by_value(const void *x, const void *y)
{
    const souk_search_facet_count *a = x, *b = y;
    return strcmp(a->value, b->value);
}

/* The facet counts of REQ over the result sets of every part (NPARTS):
 * each part counts its own values, and the counts of one value string are
 * added across parts. */
static souk_search_status facets(const souk__search_part *parts, size_t nparts, const souk_search_request *req,
                                 souk_arena *a, souk_search_result *out)
{
    size_t limit = req->facet_limit ? req->facet_limit : 10;
    out->facets = souk_arena_calloc(a, sizeof *out->facets * (req->nfacets ? req->nfacets : 1));
    if (!out->facets)
        return SOUK_SEARCH_E_NOMEM;
    out->nfacets = req->nfacets;
    if (req->nfacets == 0)
        return SOUK_SEARCH_OK;
    long dims[2][SOUK_SEARCH_FACET_DIMS_MAX];
    uint64_t *counts[2] = {NULL, NULL};
    souk_search_status st = SOUK_SEARCH_OK;
    for (size_t p = 0; p < nparts; p++) {
        const souk_search_segment *s = parts[p].s;
        for (size_t i = 0; i < req->nfacets; i++)
            dims[p][i] = souk__search_strs_find(&s->dims, req->facets[i], strlen(req->facets[i]));
        counts[p] = calloc(s->fv.n ? s->fv.n : 1, sizeof *counts[p]);
        if (!counts[p] || count_facets(s, req, parts[p].r, dims[p], counts[p]) < 0) {
            st = SOUK_SEARCH_E_NOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < req->nfacets && st == SOUK_SEARCH_OK; i++) {
        souk_search_facet *f = &out->facets[i];
        f->dim = req->facets[i];
        size_t cap = 0;
        for (size_t p = 0; p < nparts; p++)
            if (dims[p][i] >= 0)
                cap += parts[p].s->dim_first[dims[p][i] + 1] - parts[p].s->dim_first[dims[p][i]];
        souk_search_facet_count *all = malloc(sizeof *all * (cap ? cap : 1));
        if (!all) {
            st = SOUK_SEARCH_E_NOMEM;
            break;
        }
        size_t n = 0;
        for (size_t p = 0; p < nparts; p++) {
            if (dims[p][i] < 0)
                continue;
            const souk_search_segment *s = parts[p].s;
            for (uint32_t v = s->dim_first[dims[p][i]]; v < s->dim_first[dims[p][i] + 1]; v++)
                if (counts[p][v])
                    all[n++] = (souk_search_facet_count){souk__search_str(&s->fv, v, NULL), counts[p][v]};
        }
        if (nparts > 1) { /* one entry per value: sum the parts' counts */
            souk_sort(all, n, sizeof *all, by_value);
            size_t m = 0;
            for (size_t k = 0; k < n; k++) {
                if (m && strcmp(all[m - 1].value, all[k].value) == 0)
                    all[m - 1].count += all[k].count;
                else
                    all[m++] = all[k];
            }
            n = m;
        }
        souk_sort(all, n, sizeof *all, by_facet);
        if (n > limit)
            n = limit;
        f->values = souk_arena_alloc(a, sizeof *f->values * (n ? n : 1));
        if (f->values) {
            memcpy(f->values, all, sizeof *all * n);
            f->nvalues = n;
        } else {
            st = SOUK_SEARCH_E_NOMEM;
        }
        free(all);
    }
out:
    free(counts[0]);
    free(counts[1]);
    return st;
}

/* One part's state while a query runs on it. */
typedef struct {
    const souk_search_segment *s;
    const roaring_bitmap_t *tomb;
    souk__search_group g[SOUK_SEARCH_QUERY_TERMS_MAX];
    souk__search_word words[SOUK_SEARCH_QUERY_TERMS_MAX];
    size_t ng;
    roaring_bitmap_t *fl, *base, *r, *cand;
    uint8_t *counts;
} run_part;

static void part_release(run_part *p)
{
    for (size_t i = 0; i < p->ng; i++)
        if (p->g[i].docs)
            roaring_bitmap_free(p->g[i].docs);
    if (p->fl)
        roaring_bitmap_free(p->fl);
    if (p->base)
        roaring_bitmap_free(p->base);
    if (p->r)
        roaring_bitmap_free(p->r);
    if (p->cand)
        roaring_bitmap_free(p->cand);
    free(p->counts);
}

/* Resolves Q on part P and makes its groups, its base (filters minus
 * exclusions, within the ranges, without tombstones) and its result set
 * (the base AND every positive group). */
static souk_search_status part_prepare(run_part *p, souk_search_text *t, const souk_search_query *q,
                                       const souk_search_request *req, const souk_search_weights *wt)
{
    const souk_search_segment *s = p->s;
    for (size_t i = 0; i < q->nclauses; i++) {
        const souk_search_clause *c = &q->clauses[i];
        for (size_t j = 0; j < c->n; j++)
            resolve_word(s, req, c, &q->words[c->first + j], &p->words[c->first + j], wt);
    }
    add_concatenations(s, t, q, p->words, wt);
    for (size_t i = 0; i < q->nclauses; i++) {
        const souk_search_clause *c = &q->clauses[i];
        p->g[p->ng].w = p->words + c->first;
        p->g[p->ng].nw = c->n;
        p->g[p->ng].negated = c->negated;
        if (!(p->g[p->ng].docs = group_docs(s, p->tomb, &p->g[p->ng])))
            return SOUK_SEARCH_E_NOMEM;
        p->ng++;
    }
    bool fail = false;
    p->fl = filter_docs(s, req, &fail);
    if (fail)
        return SOUK_SEARCH_E_NOMEM;
    p->base = p->fl ? roaring_bitmap_copy(p->fl) : roaring_bitmap_copy(s->all);
    if (!p->base)
        return SOUK_SEARCH_E_NOMEM;
    if (p->tomb)
        roaring_bitmap_andnot_inplace(p->base, p->tomb);
    for (size_t i = 0; i < p->ng; i++)
        if (p->g[i].negated)
            roaring_bitmap_andnot_inplace(p->base, p->g[i].docs);
    if (apply_ranges(s, req, p->base) < 0 || !(p->r = roaring_bitmap_copy(p->base)))
        return SOUK_SEARCH_E_NOMEM;
    for (size_t i = 0; i < p->ng; i++)
        if (!p->g[i].negated)
            roaring_bitmap_and_inplace(p->r, p->g[i].docs);
    return SOUK_SEARCH_OK;
}

/* The statistics every part's scores share: live documents, average field
 * lengths weighted by the parts' documents, the highest popularity; and
 * each word's idf from its documents in every part. */
static void share_stats(run_part *parts, size_t nparts, const souk_search_query *q, souk__search_stats *st)
{
    memset(st, 0, sizeof *st);
    double docs[2];
    for (size_t p = 0; p < nparts; p++) {
        const souk_search_segment *s = parts[p].s;
        docs[p] = (double)s->ndocs - (parts[p].tomb ? (double)roaring_bitmap_get_cardinality(parts[p].tomb) : 0);
        st->ndocs += docs[p];
        if (s->max_popularity > st->max_popularity)
            st->max_popularity = s->max_popularity;
    }
    for (int f = 0; f < SOUK_SEARCH_NFIELDS; f++) {
        double sum = 0, n = 0;
        for (size_t p = 0; p < nparts; p++)
            if (parts[p].s->ndocs) {
                sum += parts[p].s->avg_flen[f] * docs[p];
                n += docs[p];
            }
        st->avg_flen[f] = n > 0 ? sum / n : (nparts ? parts[0].s->avg_flen[f] : 0);
    }
    for (size_t j = 0; j < q->nwords; j++) {
        double df = 0;
        for (size_t p = 0; p < nparts; p++)
            df += parts[p].words[j].df;
        double idf = log(1 + (st->ndocs - df + 0.5) / (df + 0.5));
        for (size_t p = 0; p < nparts; p++)
            for (size_t k = 0; k < parts[p].words[j].nalts; k++)
                parts[p].words[j].alts[k].idf = idf;
    }
}

size_t souk__search_parts(const souk_search_segment *seg, const souk_search_segment **parts,
                          const roaring_bitmap_t **tomb)
{
    if (!seg->part[0]) {
        parts[0] = seg;
        *tomb = NULL;
        return 1;
    }
    parts[0] = seg->part[0];
    parts[1] = seg->part[1];
    *tomb = seg->tomb;
    return 2;
}

souk_search_status souk_search_run(const souk_search_segment *seg, souk_search_text *t, const souk_search_request *req,
                                   souk_arena *a, souk_search_result *out)
{
    memset(out, 0, sizeof *out);
    souk_search_status st = validate(req);
    if (st != SOUK_SEARCH_OK)
        return st;
    if (strcmp(t->language, seg->language) != 0)
        return SOUK_SEARCH_E_LANGUAGE;
    const souk_search_weights *wt = req->weights ? req->weights : &souk_search_weights_default;
    souk_search_query *q = malloc(sizeof *q);
    run_part *parts = calloc(2, sizeof *parts);
    const souk_search_segment *segs[2];
    const roaring_bitmap_t *tomb;
    size_t nparts = souk__search_parts(seg, segs, &tomb);
    if (!q || !parts) {
        st = SOUK_SEARCH_E_NOMEM;
        goto done;
    }
    st = souk_search_query_parse(q, req->q, req->q ? req->qlen : 0, t, req->flags, a);
    if (st != SOUK_SEARCH_OK)
        goto done;
    size_t npos = 0;
    for (size_t i = 0; i < q->nclauses; i++)
        npos += !q->clauses[i].negated;
    uint64_t card = 0;
    for (size_t p = 0; p < nparts && st == SOUK_SEARCH_OK; p++) {
        parts[p].s = segs[p];
        parts[p].tomb = p == 0 ? tomb : NULL;
        st = part_prepare(&parts[p], t, q, req, wt);
        if (st == SOUK_SEARCH_OK)
            card += roaring_bitmap_get_cardinality(parts[p].r);
    }
    if (st != SOUK_SEARCH_OK)
        goto done;
    out->terms = npos;
    out->terms_matched = npos;
    bool relaxable = npos > 1 && !(req->flags & SOUK_SEARCH_Q_NO_FALLBACK);
    bool empty = card == 0;
    bool top_up = relaxable && req->sort == SOUK_SEARCH_SORT_RELEVANCE && card < req->offset + req->limit;
    if (relaxable && (empty || top_up)) {
        int best = 0;
        for (size_t p = 0; p < nparts; p++) {
            run_part *pt = &parts[p];
            if (!(pt->counts = calloc(pt->s->ndocs ? pt->s->ndocs : 1, 1))) {
                st = SOUK_SEARCH_E_NOMEM;
                goto done;
            }
            int b = count_matches(pt->g, pt->ng, pt->base, pt->counts);
            if (b < 0) {
                st = SOUK_SEARCH_E_NOMEM;
                goto done;
            }
            if (b > best)
                best = b;
        }
        for (size_t p = 0; p < nparts; p++) {
            run_part *pt = &parts[p];
            if (empty) {
                /* nothing has every word: the result set is what has the most (over every part) */
                roaring_bitmap_free(pt->r);
                pt->r = with_count(pt->s, pt->counts, best);
            }
            if (pt->r && top_up)
                pt->cand = with_count(pt->s, pt->counts, 1);
            if (!pt->r || (top_up && !pt->cand)) {
                st = SOUK_SEARCH_E_NOMEM;
                goto done;
            }
        }
        if (empty) {
            out->terms_matched = (size_t)best;
            out->fell_back = true;
        }
    }
    souk__search_part pages[2];
    for (size_t p = 0; p < nparts; p++) {
        out->total += roaring_bitmap_get_cardinality(parts[p].r);
        pages[p] = (souk__search_part){parts[p].s, parts[p].g, parts[p].ng, parts[p].cand ? parts[p].cand : parts[p].r,
                                       parts[p].cand ? parts[p].counts : NULL};
    }
    souk__search_stats stats;
    share_stats(parts, nparts, q, &stats);
    {
        /* facets count the result sets, not the top-up candidates */
        souk__search_part fparts[2];
        for (size_t p = 0; p < nparts; p++)
            fparts[p] = (souk__search_part){parts[p].s, NULL, 0, parts[p].r, NULL};
        st = facets(fparts, nparts, req, a, out);
    }
    if (st == SOUK_SEARCH_OK)
        st = souk__search_page(pages, nparts, q, req, wt, &stats, npos, a, out);
done:
    if (parts)
        for (size_t p = 0; p < nparts; p++)
            part_release(&parts[p]);
    free(parts);
    free(q);
    if (st != SOUK_SEARCH_OK)
        memset(out, 0, sizeof *out);
    return st;
}
