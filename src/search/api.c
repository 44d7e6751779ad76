/*
 * api.c — HTTP handlers of search: decode the query parameters (the product
 * list's names and meanings where the engine has them), resolve taxa through
 * the catalog, run the request on the served segment, and render the hits
 * as the product list renders its rows (souk_catalog_summaries_write).
 *
 * Nothing here waits for the index: a handler takes a reference to the
 * current segment (service.h) and drops it before returning.
 */
#include "search/api.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/jsonw.h"
#include "core/money.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "fx/fx.h"
#include "search/analytics.h"
#include "search/api_internal.h"
#include "search/highlight.h"
#include "search/query.h"
#include "search/service.h"
#include "core/banned.h"

static const char *const sort_names[] = {"relevance",  "price_asc", "price_desc", "newest",
                                         "popularity", "rating",    NULL};
static const char *const in_stock_names[] = {"false", "true", NULL};

/* the parameters with fixed names; attr.NAME is read by hand */
typedef struct search_in {
    const char *q, *category, *brand, *vendor, *facets;
    int64_t limit, offset, price_min, price_max, facet_limit, rating_min;
    int sort, in_stock, highlight;
    char currency[4];
    uint64_t present;
} search_in;

enum {
    Q_Q,
    Q_LIMIT,
    Q_OFFSET,
    Q_SORT,
    Q_CATEGORY,
    Q_BRAND,
    Q_VENDOR,
    Q_PMIN,
    Q_PMAX,
    Q_CUR,
    Q_STOCK,
    Q_FACETS,
    Q_FLIM,
    Q_HIGHLIGHT,
    Q_RATING_MIN
};

#define TAXON_MESSAGE "must be an id or a slug"
#define PRICE_MESSAGE "must be a non-negative integer amount in minor units"
static const souk_query_field search_fields[] = {
    [Q_Q] = SOUK_QUERY_F_TEXT("q", search_in, q, 0, SOUK_SEARCH_QUERY_BYTES_MAX),
    [Q_LIMIT] = SOUK_QUERY_F_INT("limit", search_in, limit, 1, SOUK_SEARCH_LIMIT_MAX),
    [Q_OFFSET] = SOUK_QUERY_F_INT("offset", search_in, offset, 0, SOUK_SEARCH_WINDOW_MAX - 1),
    [Q_SORT] = SOUK_QUERY_F_ENUM("sort", search_in, sort, sort_names),
    [Q_CATEGORY] = SOUK_QUERY_F_TEXT("category", search_in, category, 1, 100, .message = TAXON_MESSAGE),
    [Q_BRAND] = SOUK_QUERY_F_TEXT("brand", search_in, brand, 1, 100, .message = TAXON_MESSAGE),
    [Q_VENDOR] = SOUK_QUERY_F_TEXT("vendor", search_in, vendor, 1, 100, .message = TAXON_MESSAGE),
    [Q_PMIN] = SOUK_QUERY_F_INT("price_min", search_in, price_min, 0, SOUK_MONEY_MAX, .message = PRICE_MESSAGE),
    [Q_PMAX] = SOUK_QUERY_F_INT("price_max", search_in, price_max, 0, SOUK_MONEY_MAX, .message = PRICE_MESSAGE),
    [Q_CUR] = SOUK_QUERY_F_CUSTOM("currency", search_in, currency, souk_catalog_query_currency),
    [Q_STOCK] = SOUK_QUERY_F_ENUM("in_stock", search_in, in_stock, in_stock_names, .message = "must be true or false"),
    [Q_FACETS] = SOUK_QUERY_F_TEXT("facets", search_in, facets, 1, SOUK_SEARCH_API_FACETS_TEXT_MAX),
    [Q_FLIM] = SOUK_QUERY_F_INT("facet_limit", search_in, facet_limit, 1, SOUK_SEARCH_FACET_LIMIT_MAX),
    [Q_HIGHLIGHT] =
        SOUK_QUERY_F_ENUM("highlight", search_in, highlight, in_stock_names, .message = "must be true or false"),
    [Q_RATING_MIN] = SOUK_QUERY_F_INT("rating_min", search_in, rating_min, 1, 5,
                                      .message = "must be an integer from 1 to 5 (stars)"),
};
static const souk_query_spec search_spec = SOUK_QUERY_SPEC(search_in, search_fields);

typedef struct suggest_in {
    const char *q;
    int64_t limit;
    uint64_t present;
} suggest_in;

static const souk_query_field suggest_fields[] = {
    SOUK_QUERY_F_TEXT("q", suggest_in, q, 1, SOUK_SEARCH_API_SUGGEST_Q_MAX),
    SOUK_QUERY_F_INT("limit", suggest_in, limit, 1, SOUK_SEARCH_API_SUGGEST_MAX),
};
static const souk_query_spec suggest_spec = SOUK_QUERY_SPEC(suggest_in, suggest_fields);

/* everything one search request needs besides the segment */
typedef struct search_plan {
    souk_search_request req;
    souk_search_filter filters[3 + SOUK_CATALOG_FILTER_ATTRS_MAX];
    const char *facets[SOUK_SEARCH_FACET_DIMS_MAX];
    bool attr_facets; /* facets=attr.*: the index's attribute dimensions join FACETS (attr_facets()) */
    const char *values[3 + SOUK_CATALOG_FILTER_ATTRS_MAX]; /* one value per filter */
    const char *currency;
    bool highlight; /* each hit gets its "highlight" */
    souk_fx_quote quote;
    const souk_fx_quote *fx; /* ?currency= an enabled display currency: hits without a price in it converted */
    int64_t fx_until;        /* when the next rate of that currency takes effect (0: none) */
} search_plan;

/* Adds the facet filter DIM = VALUE to P. */
static void add_filter(search_plan *p, const char *dim, const char *value)
{
    size_t i = p->req.nfilters++;
    p->values[i] = value;
    p->filters[i] = (souk_search_filter){.dim = dim, .values = &p->values[i], .nvalues = 1};
}

/* attr.NAME=VALUE of Q as filters "attr.NAME" of P; one problem per bad one. */
static int parse_attrs(search_plan *p, const souk_query *q, souk_arena *a, souk_problems *pr)
{
    int bad = 0;
    size_t n = 0;
    for (size_t i = 0; i < q->count; i++) {
        const char *k = q->items[i].key, *v = q->items[i].value, *why;
        if (!souk_catalog_is_attr_param(k))
            continue;
        if ((why = souk_catalog_attr_param_problem(q, i, false)))
            bad = souk_problems_add(pr, a, k, "%s", why);
        else if (n >= SOUK_CATALOG_FILTER_ATTRS_MAX)
            bad = souk_problems_add(pr, a, k, "at most %d attribute filters", SOUK_CATALOG_FILTER_ATTRS_MAX);
        else {
            add_filter(p, k, v); /* the dimension is "attr.NAME", as the index names it */
            n++;
        }
    }
    return bad;
}

/* facets=brand,category,attr.color into P (attr.*: every attribute worth a
 * facet, added once the segment is known); a problem when a name is not a
 * dimension search counts, is repeated, or there are too many. */
static int parse_facets(search_plan *p, const char *text, souk_arena *a, souk_problems *pr)
{
    char *s = souk_arena_strdup(a, text);
    if (!s)
        return -1;
    for (char *tok = s; tok;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        if (strcmp(tok, "attr.*") == 0) {
            if (p->attr_facets)
                return souk_problems_add(pr, a, "facets", "'attr.*' is listed twice");
            p->attr_facets = true;
            tok = comma ? comma + 1 : NULL;
            continue;
        }
        bool known = strcmp(tok, "category") == 0 || strcmp(tok, "brand") == 0 || strcmp(tok, "vendor") == 0 ||
                     (souk_catalog_is_attr_param(tok) && !souk_catalog_check_attr_name(tok + 5, strlen(tok + 5)));
        if (!known)
            return souk_problems_add(pr, a, "facets", "each facet is category, brand, vendor, attr.NAME or attr.*");
        for (size_t i = 0; i < p->req.nfacets; i++)
            if (strcmp(p->facets[i], tok) == 0)
                return souk_problems_add(pr, a, "facets", "'%s' is listed twice", tok);
        if (p->req.nfacets == SOUK_SEARCH_FACET_DIMS_MAX)
            return souk_problems_add(pr, a, "facets", "at most %d facets", SOUK_SEARCH_FACET_DIMS_MAX);
        p->facets[p->req.nfacets++] = tok;
        tok = comma ? comma + 1 : NULL;
    }
    p->req.facets = p->facets;
    return 0;
}

/* Resolves taxon GIVEN of KIND into a filter on DIM (its decimal id: the
 * index lists a product's category and every ancestor, so a category
 * filter takes its subtree). */
static souk_err taxon_filter(souk_req *req, souk_res *res, search_plan *p, souk_taxon_kind kind, const char *given,
                             const char *field)
{
    if (!given)
        return SOUK_OK;
    int64_t id;
    souk_err e = souk_catalog_taxon_resolve(req->store, kind, given, &id);
    if (e == SOUK_E_NOT_FOUND) {
        souk_problems_add(&res->problems, req->arena, field, "no such %s", field);
        return SOUK_OK;
    }
    if (e)
        return e;
    add_filter(p, field, souk_arena_printf(req->arena, "%lld", (long long)id));
    return p->values[p->req.nfilters - 1] ? SOUK_OK : SOUK_E_INTERNAL;
}

/* Decodes the parameters of GET /api/v1/search into P. 0, or the error set on RES. */
static int search_parse(souk_req *req, souk_res *res, search_plan *p)
{
    memset(p, 0, sizeof *p);
    const char *store_currency = souk_search_service_currency();
    if (!*store_currency)
        store_currency = req->config->currency;
    search_in in = {
        .limit = SOUK_SEARCH_API_LIMIT_DEFAULT, .price_min = -1, .price_max = -1, .in_stock = -1, .highlight = 1};
    memcpy(in.currency, store_currency, 4);
    souk_query fixed = {.count = 0};
    for (size_t i = 0; i < req->query.count; i++)
        if (!souk_catalog_is_attr_param(req->query.items[i].key))
            fixed.items[fixed.count++] = req->query.items[i];
    souk_problems *pr = &res->problems;
    souk_arena *a = req->arena;
    int bad = souk_query_decode(&search_spec, &fixed, &in, a, pr);
    bad |= parse_attrs(p, &req->query, a, pr);
    if (!in.q && !souk_query_present(&search_spec, &in, Q_Q))
        bad = souk_problems_add(pr, a, "q", "is required (an empty q lists every product the filters keep)");
    if (in.offset + in.limit > SOUK_SEARCH_WINDOW_MAX)
        bad = souk_problems_add(pr, a, "offset", "offset + limit must be at most %d", SOUK_SEARCH_WINDOW_MAX);
    bool other_currency = memcmp(in.currency, store_currency, 3) != 0;
    if (other_currency) { /* shown converted (fx.h); the index filters and sorts in the store currency only */
        int enabled = souk_fx_display_enabled(req->store, in.currency);
        if (enabled < 0)
            return souk_res_error(res, souk_store_dberr(enabled), NULL);
        if (!enabled)
            bad = souk_problems_add(
                pr, a, "currency", "search shows prices in the store currency (%s) or an enabled display currency only",
                store_currency);
        else if (in.price_min >= 0 || in.price_max >= 0)
            bad = souk_problems_add(pr, a, "currency",
                                    "price_min and price_max are in the store currency (%s): leave currency out",
                                    store_currency);
    }
    if (in.in_stock == 0)
        bad = souk_problems_add(pr, a, "in_stock", "search filters on in_stock=true only");
    if (in.price_min >= 0 && in.price_max >= 0 && in.price_min > in.price_max)
        bad = souk_problems_add(pr, a, "price_min", "must not exceed price_max");
    if (in.facets)
        bad |= parse_facets(p, in.facets, a, pr);
    if (bad)
        return souk_res_invalid(res);
    souk_err e = taxon_filter(req, res, p, SOUK_TAXON_CATEGORY, in.category, "category");
    if (!e)
        e = taxon_filter(req, res, p, SOUK_TAXON_BRAND, in.brand, "brand");
    if (!e)
        e = taxon_filter(req, res, p, SOUK_TAXON_VENDOR, in.vendor, "vendor");
    if (e)
        return souk_res_error(res, e, NULL);
    if (res->problems.count)
        return souk_res_invalid(res);
    p->currency = souk_arena_strdup(a, other_currency ? in.currency : store_currency);
    if (!p->currency)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (other_currency) {
        int r = souk_fx_display_quote(req->store, store_currency, in.currency, souk_time_now_us(), &p->quote);
        if (r < 0)
            return souk_res_error(res, souk_store_dberr(r), NULL);
        p->fx = r == 1 ? &p->quote : NULL;
        p->fx_until = p->quote.next_change;
    }
    souk_search_request *r = &p->req;
    r->q = in.q ? in.q : "";
    r->qlen = strlen(r->q);
    r->filters = p->filters;
    r->has_price_min = in.price_min >= 0;
    r->price_min = in.price_min;
    r->has_price_max = in.price_max >= 0;
    r->price_max = in.price_max;
    r->in_stock = in.in_stock == 1;
    r->rating_min = in.rating_min > 0 ? (double)in.rating_min : 0;
    r->facet_limit = in.facet_limit > 0 ? (size_t)in.facet_limit : 0;
    r->sort = (souk_search_sort)in.sort;
    r->offset = (size_t)in.offset;
    r->limit = (size_t)in.limit;
    p->highlight = in.highlight == 1;
    return 0;
}

/* facets=attr.*: SEG's attribute dimensions worth a facet (souk_search_attr_dims), those P
 * does not list already, up to SOUK_SEARCH_API_ATTR_FACETS_MAX of them and the request's bound. */
static void attr_facets(search_plan *p, const souk_search_segment *seg)
{
    const char *dims[SOUK_SEARCH_API_ATTR_FACETS_MAX];
    size_t n = souk_search_attr_dims(seg, dims, SOUK_SEARCH_API_ATTR_FACETS_MAX);
    for (size_t i = 0; i < n && p->req.nfacets < SOUK_SEARCH_FACET_DIMS_MAX; i++) {
        bool listed = false;
        for (size_t j = 0; j < p->req.nfacets; j++)
            listed |= strcmp(p->facets[j], dims[i]) == 0;
        if (!listed)
            p->facets[p->req.nfacets++] = dims[i];
    }
    p->req.facets = p->facets;
}

/* The served segment into *SEG, or a 503 set on RES. */
static int segment(souk_res *res, souk_search_segment **seg)
{
    *seg = souk_search_service_acquire();
    if (*seg)
        return 0;
    if (!souk_search_service_enabled())
        return souk_res_error(res, SOUK_E_UNAVAILABLE, "Search is turned off on this server (SOUK_SEARCH=off).");
    res->retry_after = "1";
    return souk_res_error(res, SOUK_E_UNAVAILABLE, "The search index is being built; retry in a moment.");
}

/* Runs P on SEG into OUT (in the request's arena). 0, or the error set on RES. */
static int run(souk_req *req, souk_res *res, const souk_search_segment *seg, const search_plan *p,
               souk_search_result *out)
{
    souk_search_text *t = souk_search_service_text(souk_search_segment_language(seg));
    if (!t)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_search_status st = souk_search_run(seg, t, &p->req, req->arena, out);
    souk_search_service_text_put(t);
    switch (st) {
    case SOUK_SEARCH_OK: return 0;
    case SOUK_SEARCH_E_TOO_LONG:
    case SOUK_SEARCH_E_TOO_MANY_TERMS:
    case SOUK_SEARCH_E_UTF8:
        souk_problems_add(&res->problems, req->arena, "q", "%s", souk_search_strerror(st));
        return souk_res_invalid(res);
    case SOUK_SEARCH_E_PAGE:
    case SOUK_SEARCH_E_INVALID:
        souk_problems_add(&res->problems, req->arena, "query", "%s", souk_search_strerror(st));
        return souk_res_invalid(res);
    default: return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
}

/* The hits of R as product summaries with their scores, appended to RES's
 * body as an array; with SKIP_LOW only hits of a positive score that match
 * every word (suggest: a title match). 0, or the error set on RES. */
static int put_hits(souk_req *req, souk_res *res, const souk_search_result *r, const char *currency, bool skip_low,
                    const char *const *extras, const search_plan *p)
{
    int64_t *ids = souk_arena_alloc(req->arena, sizeof *ids * (r->nhits ? r->nhits : 1));
    double *scores = souk_arena_alloc(req->arena, sizeof *scores * (r->nhits ? r->nhits : 1));
    if (!ids || !scores)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    size_t n = 0;
    for (size_t i = 0; i < r->nhits; i++) {
        if (skip_low && (r->hits[i].score <= 0 || r->hits[i].words < r->terms_matched))
            continue;
        ids[n] = r->hits[i].id;
        scores[n++] = r->hits[i].score;
    }
    souk_err e = souk_catalog_summaries_write_fx(req->store, ids, n, scores, skip_low ? NULL : extras, currency,
                                                 p ? p->fx : NULL, req->arena, &res->body, NULL);
    if (!e) { /* the hits show flash-sale prices: a cached copy must not outlive a sale's start or end */
        res->cache_until_us = souk_catalog_flash_next_edge(req->store, souk_time_now_us());
        int64_t fx = p ? p->fx_until : 0; /* nor a stored rate taking effect */
        if (fx && (!res->cache_until_us || fx < res->cache_until_us))
            res->cache_until_us = fx;
    }
    return e ? souk_res_error(res, e, NULL) : 0;
}

#define HL_BATCH 32 /* hits whose texts one statement reads */

/* Reads the title and description of the hits HITS[0..M) (M ≤ HL_BATCH)
 * in one statement (the ids as a VALUES list padded to a multiple of 8, so
 * few statement texts are cached) and sets OUT[i] to hit i's highlight
 * member. 0, or -1. */
static int highlight_batch(souk_req *req, souk_search_highlighter *h, souk_search_text *t, const souk_search_hit *hits,
                           size_t m, souk_buf *scratch, souk_buf *frag, const char **out)
{
    size_t k = (m + 7) / 8 * 8;
    char sql[1024]; /* the head, 32 rows of at most 22 bytes and the tail */
    size_t len = (size_t)snprintf(sql, sizeof sql, "WITH page(id) AS (VALUES ");
    souk_param args[HL_BATCH + 1];
    for (size_t i = 0; i < k; i++) {
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s(CAST($%zu AS BIGINT))", i ? "," : "", i + 1);
        args[i] = SOUK_I64(i < m ? hits[i].id : 0);
    }
    args[k] = (souk_param){.type = SOUK_TYPE_END};
    snprintf(sql + len, sizeof sql - len,
             ") SELECT sp.product_id, sp.title, coalesce(sp.description, '') FROM page "
             "JOIN search_products sp ON sp.product_id = page.id");
    souk_stmt *st = souk_store_query(req->store, sql, args);
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        int64_t id = souk_stmt_i64(st, 0);
        size_t tlen = 0, dlen = 0;
        const char *title = souk_stmt_text(st, 1, &tlen), *desc = souk_stmt_text(st, 2, &dlen);
        souk_buf_reset(frag);
        SOUK_JW_LIT(frag, "\"highlight\":");
        if (souk_search_highlight_json(h, t, title ? title : "", tlen, desc ? desc : "", dlen, scratch, frag) < 0) {
            souk_stmt_done(st);
            return -1;
        }
        for (size_t i = 0; i < m; i++)
            if (hits[i].id == id && !out[i] && !(out[i] = souk_arena_strndup(req->arena, frag->data, frag->len))) {
                souk_stmt_done(st);
                return -1;
            }
    }
    return r < 0 ? -1 : 0;
}

/* The "highlight" member of every hit of R (hits[i] → [i]; NULL entries
 * for products gone since the build), in the request's arena; NULL when
 * they cannot be made (the hits are then shown without). Reads the hits'
 * titles and descriptions from the catalog's search_products view. */
static const char **highlights(souk_req *req, const souk_search_segment *seg, const search_plan *p,
                               const souk_search_result *r)
{
    const char **out = souk_arena_calloc(req->arena, sizeof *out * (r->nhits ? r->nhits : 1));
    souk_search_text *t = souk_search_service_text(souk_search_segment_language(seg));
    souk_search_highlighter h;
    if (!out || !t ||
        souk_search_highlight_init(&h, t, p->req.q, p->req.qlen, p->req.flags, p->req.synonyms, req->arena) !=
            SOUK_SEARCH_OK) {
        souk_search_service_text_put(t);
        return NULL;
    }
    souk_buf scratch, frag;
    souk_buf_init(&scratch, 1u << 20);
    souk_buf_init(&frag, 1u << 20);
    for (size_t at = 0; at < r->nhits && out; at += HL_BATCH)
        if (highlight_batch(req, &h, t, r->hits + at, r->nhits - at < HL_BATCH ? r->nhits - at : HL_BATCH, &scratch,
                            &frag, out + at) < 0)
            out = NULL;
    souk_buf_release(&scratch);
    souk_buf_release(&frag);
    souk_search_service_text_put(t);
    return out;
}

/* "Did you mean" for a first page that found fewer than
 * SOUK_SEARCH_API_DYM_BELOW products, or fell back to fewer words: the
 * corrected query (souk_search_correct) when it finds more with the same
 * filters (counted by running it), with that count in *TOTAL; else NULL. */
static const char *did_you_mean(souk_req *req, const souk_search_segment *seg, const search_plan *p,
                                const souk_search_result *r, uint64_t *total)
{
    if (p->req.offset || !p->req.qlen || (r->total >= SOUK_SEARCH_API_DYM_BELOW && !r->fell_back))
        return NULL;
    souk_search_text *t = souk_search_service_text(souk_search_segment_language(seg));
    if (!t)
        return NULL;
    const char *fixed = souk_search_correct(seg, t, p->req.q, p->req.qlen, req->arena);
    souk_search_result alt;
    souk_search_request q = p->req;
    q.q = fixed;
    q.qlen = fixed ? strlen(fixed) : 0;
    q.offset = 0;
    q.limit = 1;
    q.nfacets = 0;
    bool better = fixed && souk_search_run(seg, t, &q, req->arena, &alt) == SOUK_SEARCH_OK &&
                  (alt.total > r->total || (r->fell_back && !alt.fell_back && alt.total > 0));
    souk_search_service_text_put(t);
    if (!better)
        return NULL;
    *total = alt.total;
    return fixed;
}

/* A facet value as the API names it: brands, vendors and categories by
 * their typed ids, attribute values as they are. BUF: SOUK_ID_TEXT_MAX bytes. */
static const char *facet_value(const char *dim, const char *value, char *buf)
{
    const char *prefix = strcmp(dim, "brand") == 0      ? SOUK_PREFIX_BRAND
                         : strcmp(dim, "vendor") == 0   ? SOUK_PREFIX_VENDOR
                         : strcmp(dim, "category") == 0 ? SOUK_PREFIX_CATEGORY
                                                        : NULL;
    int64_t id;
    if (!prefix || souk_query_int(value, 1, INT64_MAX, &id) < 0)
        return value;
    return souk_id_format(prefix, id, buf);
}

static void put_facets(souk_buf *out, const souk_search_result *r)
{
    SOUK_JW_LIT(out, "{");
    for (size_t f = 0; f < r->nfacets; f++) {
        if (f)
            souk_buf_addc(out, ',');
        souk_jw_str(out, r->facets[f].dim, SOUK_JW_HTML_SAFE);
        SOUK_JW_LIT(out, ":[");
        for (size_t v = 0; v < r->facets[f].nvalues; v++) {
            char buf[SOUK_ID_TEXT_MAX];
            if (v)
                souk_buf_addc(out, ',');
            SOUK_JW_LIT(out, "{\"value\":");
            souk_jw_str(out, facet_value(r->facets[f].dim, r->facets[f].values[v].value, buf), SOUK_JW_HTML_SAFE);
            SOUK_JW_LIT(out, ",\"count\":");
            souk_jw_int(out, (int64_t)r->facets[f].values[v].count);
            souk_buf_addc(out, '}');
        }
        souk_buf_addc(out, ']');
    }
    souk_buf_addc(out, '}');
}

int souk_search_api_search(souk_req *req, souk_res *res)
{
    search_plan p;
    souk_search_segment *seg;
    if (search_parse(req, res, &p) || segment(res, &seg))
        return res->err;
    p.req.synonyms = souk_search_segment_synonyms(seg); /* the admin's settings, as the segment was built with */
    p.req.weights = souk_search_segment_weights(seg);
    if (p.attr_facets)
        attr_facets(&p, seg);
    souk_search_result r;
    int rc = run(req, res, seg, &p, &r);
    if (!rc && p.req.offset == 0) /* a shopper's search: its first page (an empty q, browsing, folds to nothing) */
        souk_search_analytics_search(p.req.q, p.req.qlen, r.total);
    uint64_t dym_total = 0;
    const char *dym = rc ? NULL : did_you_mean(req, seg, &p, &r, &dym_total);
    if (!rc) {
        souk_buf *out = &res->body;
        SOUK_JW_LIT(out, "{\"data\":");
        rc = put_hits(req, res, &r, p.currency, false, p.highlight ? highlights(req, seg, &p, &r) : NULL, &p);
        if (!rc) {
            SOUK_JW_LIT(out, ",\"total\":");
            souk_jw_int(out, (int64_t)r.total);
            SOUK_JW_LIT(out, ",\"fell_back\":");
            if (r.fell_back)
                SOUK_JW_LIT(out, "true");
            else
                SOUK_JW_LIT(out, "false");
            SOUK_JW_LIT(out, ",\"terms\":");
            souk_jw_int(out, (int64_t)r.terms);
            SOUK_JW_LIT(out, ",\"terms_matched\":");
            souk_jw_int(out, (int64_t)r.terms_matched);
            SOUK_JW_LIT(out, ",\"did_you_mean\":");
            if (dym) {
                SOUK_JW_LIT(out, "{\"q\":");
                souk_jw_str(out, dym, SOUK_JW_HTML_SAFE);
                SOUK_JW_LIT(out, ",\"total\":");
                souk_jw_int(out, (int64_t)dym_total);
                souk_buf_addc(out, '}');
            } else
                SOUK_JW_LIT(out, "null");
            SOUK_JW_LIT(out, ",\"facets\":");
            put_facets(out, &r);
            souk_buf_addc(out, '}');
            if (souk_buf_failed(out))
                rc = souk_res_error(res, SOUK_E_INTERNAL, NULL);
        }
    }
    souk_search_segment_unref(seg);
    if (!rc)
        res->status = 200;
    return rc;
}

int souk_search_api_suggest(souk_req *req, souk_res *res)
{
    suggest_in in = {.limit = 5};
    if (souk_query_decode(&suggest_spec, &req->query, &in, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    if (!in.q)
        souk_problems_add(&res->problems, req->arena, "q", "is required");
    if (res->problems.count)
        return souk_res_invalid(res);
    souk_search_segment *seg;
    if (segment(res, &seg))
        return res->err;
    /* ranked by the title alone; hits that match elsewhere only score 0 and are left out */
    souk_search_weights w = *souk_search_segment_weights(seg);
    if (w.field[SOUK_SEARCH_F_TITLE] <= 0) /* suggestions rank by the title: never by nothing */
        w.field[SOUK_SEARCH_F_TITLE] = souk_search_weights_default.field[SOUK_SEARCH_F_TITLE];
    for (int f = 0; f < SOUK_SEARCH_NFIELDS; f++)
        if (f != SOUK_SEARCH_F_TITLE)
            w.field[f] = 0;
    w.sku_exact = 0;
    search_plan p = {.req = {.q = in.q,
                             .qlen = strlen(in.q),
                             .flags = SOUK_SEARCH_Q_NO_FALLBACK,
                             .limit = (size_t)in.limit,
                             .synonyms = souk_search_segment_synonyms(seg),
                             .weights = &w}};
    const char *currency = souk_search_service_currency();
    souk_search_result r;
    int rc = run(req, res, seg, &p, &r);
    if (!rc && r.terms == 0) /* nothing but white space or stop words typed: nothing to complete */
        r.nhits = 0;
    if (!rc) {
        SOUK_JW_LIT(&res->body, "{\"data\":");
        rc = put_hits(req, res, &r, *currency ? currency : req->config->currency, true, NULL, NULL);
        int64_t ids[SOUK_SEARCH_API_SUGGEST_MAX];
        size_t n = 0;
        for (size_t i = 0; i < r.nhits && n < SOUK_SEARCH_API_SUGGEST_MAX; i++)
            if (r.hits[i].score > 0 && r.hits[i].words >= r.terms_matched) /* as put_hits keeps them */
                ids[n++] = r.hits[i].id;
        if (!rc)
            rc = souk__search_api_suggestions(req, res, seg, in.q, strlen(in.q), ids, n);
        souk_buf_addc(&res->body, '}');
        if (!rc && souk_buf_failed(&res->body))
            rc = souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    souk_search_segment_unref(seg);
    if (!rc)
        res->status = 200;
    return rc;
}
