/*
 * search.c — GET /search?q=…: the search service's results as a page, with
 * the category and brand facets as links that narrow the results, a form
 * of filters (price range, in stock, rating, sort), "did you mean" and the
 * matched words marked. It calls the search module's own handler in
 * process (the same parsing, limits, typo tolerance and ranking as GET
 * /api/v1/search) and renders its answer; typos are forgiven by the engine,
 * and a query that matched no product in full says so ("fell back").
 *
 * Every link and the form carry the other filters, so narrowing by one
 * keeps the rest; a changed filter goes back to the first page.
 */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "search/api.h"
#include "core/banned.h"

#define PER_PAGE 20
#define PAGES_MAX 50 /* 50 x 20 = the engine's window of 1000 */

/* What the shopper asked for: the page's query parameters, as sent. */
typedef struct refine {
    const char *q, *category, *brand, *min, *max, *rating, *sort;
    bool in_stock;
    int64_t page;
} refine;

static const char *const sorts[][2] = {{"relevance", "Best match"},          {"price_asc", "Price: low to high"},
                                       {"price_desc", "Price: high to low"}, {"newest", "Newest"},
                                       {"rating", "Customer rating"},        {"popularity", "Most popular"}};

static void param(souk_buf *b, const char *name, const char *value)
{
    if (!value || !value[0])
        return;
    SOUK_HTML_LIT(b, "&amp;");
    souk_buf_adds(b, name);
    souk_buf_addc(b, '=');
    souk_html_query_value(b, value);
}

/* "/search?q=…" with R's filters and, past the first, its page, as an attribute value */
static void href(souk_buf *b, const refine *r)
{
    SOUK_HTML_LIT(b, "/search?q=");
    souk_html_query_value(b, r->q);
    param(b, "category", r->category);
    param(b, "brand", r->brand);
    param(b, "min", r->min);
    param(b, "max", r->max);
    if (r->in_stock)
        SOUK_HTML_LIT(b, "&amp;in_stock=true");
    param(b, "rating", r->rating);
    if (r->sort && strcmp(r->sort, "relevance"))
        param(b, "sort", r->sort);
    if (r->page > 1)
        souk_buf_printf(b, "&amp;page=%lld", (long long)r->page);
}

static void page_link(souk_buf *b, const refine *r, int64_t page, const char *rel, const char *label)
{
    refine to = *r;
    to.page = page;
    SOUK_HTML_LIT(b, "<a href=\"");
    href(b, &to);
    SOUK_HTML_LIT(b, "\" rel=\"");
    souk_html_text(b, rel);
    SOUK_HTML_LIT(b, "\">");
    souk_html_text(b, label);
    SOUK_HTML_LIT(b, "</a>");
}

/* the name of the category ID in the tree ARR, or NULL */
static const char *category_name(const json_t *arr, const char *id, int depth)
{
    size_t i;
    const json_t *c;
    if (depth >= 16)
        return NULL;
    json_array_foreach(arr, i, c)
    {
        const char *cid = json_string_value(json_object_get(c, "id"));
        if (cid && strcmp(cid, id) == 0)
            return json_string_value(json_object_get(c, "name"));
        const char *hit = category_name(json_object_get(c, "children"), id, depth + 1);
        if (hit)
            return hit;
    }
    return NULL;
}

static const char *brand_name(const json_t *brands, const char *id)
{
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(brands, "data"), i, t)
    {
        const char *tid = json_string_value(json_object_get(t, "id"));
        if (tid && strcmp(id, tid) == 0)
            return json_string_value(json_object_get(t, "name"));
    }
    return NULL;
}

/* One facet (DIM: "category" or "brand") of the results: each value with its
 * count, as a link that narrows to it (names from NAMES), the chosen one
 * marked, and a link that widens again. */
static void facet(souk_buf *b, const refine *r, const json_t *facets, const char *dim, const char *heading,
                  const char *all, const json_t *names)
{
    const json_t *values = json_object_get(facets, dim);
    bool category = strcmp(dim, "category") == 0;
    const char *chosen = category ? r->category : r->brand;
    if (!json_array_size(values) || !names)
        return;
    SOUK_HTML_LIT(b, "<nav class=\"facets\" aria-label=\"Filter by ");
    souk_html_text(b, dim);
    SOUK_HTML_LIT(b, "\"><h2>");
    souk_html_text(b, heading);
    SOUK_HTML_LIT(b, "</h2><ul class=\"cats\">\n");
    size_t i;
    const json_t *v;
    json_array_foreach(values, i, v)
    {
        const char *id = json_string_value(json_object_get(v, "value"));
        const char *name = !id        ? NULL
                           : category ? category_name(json_object_get(names, "data"), id, 0)
                                      : brand_name(names, id);
        if (!name)
            continue;
        refine to = *r;
        to.page = 1;
        *(category ? &to.category : &to.brand) = id;
        SOUK_HTML_LIT(b, "<li><a href=\"");
        href(b, &to);
        SOUK_HTML_LIT(b, "\"");
        if (chosen && strcmp(chosen, id) == 0)
            SOUK_HTML_LIT(b, " aria-current=\"true\"");
        SOUK_HTML_LIT(b, ">");
        souk_html_text(b, name);
        SOUK_HTML_LIT(b, " <span class=\"muted\">(");
        souk_html_int(b, json_integer_value(json_object_get(v, "count")));
        SOUK_HTML_LIT(b, ")</span></a></li>\n");
    }
    if (chosen) {
        refine to = *r;
        to.page = 1;
        *(category ? &to.category : &to.brand) = NULL;
        SOUK_HTML_LIT(b, "<li><a href=\"");
        href(b, &to);
        SOUK_HTML_LIT(b, "\">");
        souk_html_text(b, all);
        SOUK_HTML_LIT(b, "</a></li>\n");
    }
    SOUK_HTML_LIT(b, "</ul></nav>\n");
}

static void hidden(souk_buf *b, const char *name, const char *value)
{
    if (!value || !value[0])
        return;
    SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"");
    souk_html_text(b, name);
    SOUK_HTML_LIT(b, "\" value=\"");
    souk_html_text(b, value);
    SOUK_HTML_LIT(b, "\">\n");
}

/* the filter form: the facets chosen kept as hidden fields, the rest as fields */
static void filter_form(souk_buf *b, const refine *r)
{
    SOUK_HTML_LIT(b, "<form class=\"filters\" method=\"get\" action=\"/search\" aria-label=\"Refine the results\">\n");
    hidden(b, "q", r->q);
    hidden(b, "category", r->category);
    hidden(b, "brand", r->brand);
    SOUK_HTML_LIT(b, "<div><label for=\"sort\">Sort by</label><select id=\"sort\" name=\"sort\">");
    for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++) {
        SOUK_HTML_LIT(b, "<option value=\"");
        souk_html_text(b, sorts[i][0]);
        SOUK_HTML_LIT(b, "\"");
        if (strcmp(r->sort ? r->sort : "relevance", sorts[i][0]) == 0)
            SOUK_HTML_LIT(b, " selected");
        SOUK_HTML_LIT(b, ">");
        souk_html_text(b, sorts[i][1]);
        SOUK_HTML_LIT(b, "</option>");
    }
    SOUK_HTML_LIT(b, "</select></div>\n");
    souk__web_amount_input(b, "min", "Min price", r->min);
    souk__web_amount_input(b, "max", "Max price", r->max);
    SOUK_HTML_LIT(b, "<div><label for=\"rating\">Rating</label><select id=\"rating\" name=\"rating\">"
                     "<option value=\"\">Any</option>");
    for (int s = 4; s >= 1; s--) {
        char v[2] = {(char)('0' + s), 0};
        SOUK_HTML_LIT(b, "<option value=\"");
        souk_html_int(b, s);
        SOUK_HTML_LIT(b, "\"");
        if (r->rating && strcmp(r->rating, v) == 0)
            SOUK_HTML_LIT(b, " selected");
        SOUK_HTML_LIT(b, ">");
        souk_html_int(b, s);
        souk_buf_adds(b, s == 1 ? " star and up" : " stars and up");
        SOUK_HTML_LIT(b, "</option>");
    }
    SOUK_HTML_LIT(b, "</select></div>\n<div class=\"check\"><input type=\"checkbox\" id=\"in_stock\" name=\"in_stock\" "
                     "value=\"true\"");
    if (r->in_stock)
        SOUK_HTML_LIT(b, " checked");
    SOUK_HTML_LIT(b, "><label for=\"in_stock\">In stock only</label></div>\n"
                     "<div><button type=\"submit\">Apply</button></div>\n</form>\n");
}

/* Reads the page's parameters into R. NULL, or the problem to answer 400 with. */
static const char *read_refine(souk_req *req, refine *r)
{
    static const char *const known[] = {"q", "page", "category", "brand", "min", "max", "in_stock", "rating", "sort"};
    *r = (refine){.page = 1};
    for (size_t i = 0; i < req->query.count; i++) {
        const char *k = req->query.items[i].key;
        bool ok = false;
        for (size_t j = 0; j < sizeof known / sizeof known[0]; j++)
            ok |= strcmp(k, known[j]) == 0;
        if (!ok)
            return "This page takes q, category, brand, min, max, in_stock, rating, sort and page.";
        for (size_t j = 0; j < i; j++)
            if (strcmp(k, req->query.items[j].key) == 0)
                return "Each filter may be given once.";
    }
    const souk_query *q = &req->query;
    r->q = souk_query_get(q, "q");
    const char *page = souk_query_get(q, "page"), *stock = souk_query_get(q, "in_stock");
    if (page && souk_query_int(page, 1, PAGES_MAX, &r->page) < 0)
        return "Pages of results go from 1 to 50.";
    if (r->q && strlen(r->q) > 200)
        return "Search with at most 200 characters.";
    int64_t id;
    if ((r->brand = souk_query_get(q, "brand")) && !r->brand[0])
        r->brand = NULL;
    if (r->brand && souk_id_parse(SOUK_PREFIX_BRAND, r->brand, strlen(r->brand), &id) < 0)
        return "Choose a brand from the list beside the results.";
    if ((r->category = souk_query_get(q, "category")) && !r->category[0])
        r->category = NULL;
    if (r->category && souk_id_parse(SOUK_PREFIX_CATEGORY, r->category, strlen(r->category), &id) < 0)
        return "Choose a category from the list beside the results.";
    r->min = souk_query_get(q, "min");
    r->max = souk_query_get(q, "max");
    if (souk__web_amount_param(req, r->min) == -2 || souk__web_amount_param(req, r->max) == -2)
        return "Prices are amounts such as 12 or 12.50.";
    if (stock && stock[0] && strcmp(stock, "true"))
        return "In stock only is true or left out.";
    r->in_stock = stock && stock[0];
    int64_t stars;
    if ((r->rating = souk_query_get(q, "rating")) && !r->rating[0])
        r->rating = NULL;
    if (r->rating && souk_query_int(r->rating, 1, 4, &stars) < 0)
        return "Choose a rating from the list.";
    if ((r->sort = souk_query_get(q, "sort")) && !r->sort[0])
        r->sort = NULL;
    bool sort_ok = !r->sort;
    for (size_t i = 0; r->sort && i < sizeof sorts / sizeof sorts[0]; i++)
        sort_ok |= strcmp(r->sort, sorts[i][0]) == 0;
    return sort_ok ? NULL : "Choose a sort from the list.";
}

/* the search API's query string for R */
static void api_query(souk_req *req, souk_buf *raw, const refine *r)
{
    SOUK_HTML_LIT(raw, "q=");
    souk_html_query_value(raw, r->q);
    souk_buf_printf(raw, "&facets=category,brand&limit=%d&offset=%lld", PER_PAGE,
                    (long long)((r->page - 1) * PER_PAGE));
    const char *ids[][2] = {
        {"category", r->category}, {"brand", r->brand}, {"rating_min", r->rating}, {"sort", r->sort}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i][1]) {
            souk_buf_printf(raw, "&%s=", ids[i][0]);
            souk_html_query_value(raw, ids[i][1]);
        }
    int64_t min = souk__web_amount_param(req, r->min), max = souk__web_amount_param(req, r->max);
    if (min >= 0)
        souk_buf_printf(raw, "&price_min=%lld", (long long)min);
    if (max >= 0)
        souk_buf_printf(raw, "&price_max=%lld", (long long)max);
    if (r->in_stock)
        souk_buf_adds(raw, "&in_stock=true");
}

/* "Did you mean …?" with the corrected query and the other filters, when the engine has one */
static void did_you_mean(souk_buf *b, const refine *r, const json_t *dym)
{
    const char *q = json_string_value(json_object_get(dym, "q"));
    if (!q || !q[0])
        return;
    refine to = *r;
    to.q = q;
    to.page = 1;
    SOUK_HTML_LIT(b, "<p class=\"did-you-mean\">Did you mean <a href=\"");
    href(b, &to);
    SOUK_HTML_LIT(b, "\">");
    souk_html_text(b, q);
    SOUK_HTML_LIT(b, "</a>? <span class=\"muted\">(");
    json_int_t n = json_integer_value(json_object_get(dym, "total"));
    souk_html_int(b, (int64_t)n);
    souk_buf_adds(b, n == 1 ? " product)</span></p>\n" : " products)</span></p>\n");
}

int souk_web_search(souk_req *req, souk_res *res)
{
    refine r;
    const char *bad = read_refine(req, &r);
    if (bad)
        return souk__web_error(req, res, 400, "Those filters could not be read", bad);
    souk__web_page p = {.req = req, .res = res, .title = "Search", .query = r.q, .noindex = true};
    if (!r.q || !r.q[0]) {
        souk__web_begin(&p);
        SOUK_HTML_LIT(p.b, "<h1>Search</h1>\n<p>Type what you are looking for in the search box above.</p>\n");
        return souk__web_end(&p);
    }
    souk_buf raw;
    souk_buf_init(&raw, 4096);
    api_query(req, &raw, &r);
    souk_req sub = souk__web_subrequest(req, NULL, 0, NULL, raw.data);
    souk_buf_release(&raw);
    souk_res sres = {.status = 200};
    souk_buf_init(&sres.body, 8u << 20);
    int rc = souk_search_api_search(&sub, &sres);
    json_t *j = rc ? NULL : souk__web_answer(&sres);
    souk_err e = sres.err;
    bool warming = sres.retry_after != NULL; /* 503 with Retry-After: the first index is being built */
    const char *why = sres.problems.count ? sres.problems.items[0].message : NULL;
    why = why ? souk_arena_strdup(req->arena, why) : NULL;
    souk_buf_release(&sres.body);
    json_decref(sres.json);
    if (!j) {
        if (e == SOUK_E_UNAVAILABLE && warming)
            return souk__web_error(req, res, 503, "Search is getting ready",
                                   "The search index is still being built. Try again in a few seconds.");
        if (e == SOUK_E_UNAVAILABLE)
            return souk__web_error(req, res, 503, "Search is not available",
                                   "This shop has search turned off. Browse the categories instead.");
        return souk__web_error(req, res, e == SOUK_E_VALIDATION ? 422 : 400, "That search could not be run",
                               why ? why : "Try other words.");
    }
    json_t *cats = NULL, *brands = NULL;
    if (souk_catalog_categories(req->store, &cats) != SOUK_OK)
        cats = NULL; /* the facet is left out */
    if (souk_catalog_taxons(req->store, SOUK_TAXON_BRAND, &brands) != SOUK_OK)
        brands = NULL;
    p.title = souk_arena_printf(req->arena, "Search: %s", r.q);
    souk__web_begin(&p);
    souk_buf *b = p.b;
    int64_t total = json_integer_value(json_object_get(j, "total"));
    SOUK_HTML_LIT(b, "<h1>Results for “");
    souk_html_text(b, r.q);
    SOUK_HTML_LIT(b, "”</h1>\n<p role=\"status\">");
    souk_html_int(b, total);
    if (total == 1)
        SOUK_HTML_LIT(b, " product found.");
    else
        SOUK_HTML_LIT(b, " products found.");
    if (json_is_true(json_object_get(j, "fell_back"))) {
        SOUK_HTML_LIT(b, " No product matched every word; these match ");
        souk_html_int(b, json_integer_value(json_object_get(j, "terms_matched")));
        SOUK_HTML_LIT(b, " of ");
        souk_html_int(b, json_integer_value(json_object_get(j, "terms")));
        SOUK_HTML_LIT(b, ".");
    }
    SOUK_HTML_LIT(b, "</p>\n");
    did_you_mean(b, &r, json_object_get(j, "did_you_mean"));
    SOUK_HTML_LIT(b, "<div class=\"results\">\n<aside class=\"refine\">\n");
    facet(b, &r, json_object_get(j, "facets"), "category", "Category", "All categories", cats);
    facet(b, &r, json_object_get(j, "facets"), "brand", "Brand", "All brands", brands);
    filter_form(b, &r);
    SOUK_HTML_LIT(b, "</aside>\n<div>\n");
    const json_t *data = json_object_get(j, "data");
    if (json_array_size(data)) {
        /* the query and the page's first position, for the script's search_click events */
        SOUK_HTML_LIT(b, "<ul class=\"grid\" data-query=\"");
        souk_html_text(b, r.q);
        SOUK_HTML_LIT(b, "\" data-offset=\"");
        souk_html_int(b, (r.page - 1) * PER_PAGE);
        SOUK_HTML_LIT(b, "\">\n");
        size_t i;
        const json_t *s;
        json_array_foreach(data, i, s) souk__web_card_marked(b, s);
        SOUK_HTML_LIT(b, "</ul>\n");
    } else {
        SOUK_HTML_LIT(b, "<p>Nothing found. Check the spelling, try fewer words or fewer filters.</p>\n");
    }
    SOUK_HTML_LIT(b, "<nav class=\"pager\" aria-label=\"Pages\">");
    if (r.page > 1)
        page_link(b, &r, r.page - 1, "prev", "Previous page");
    if (r.page < PAGES_MAX && r.page * PER_PAGE < total)
        page_link(b, &r, r.page + 1, "next", "Next page");
    SOUK_HTML_LIT(b, "</nav>\n</div>\n</div>\n");
    json_decref(j);
    json_decref(cats);
    json_decref(brands);
    return souk__web_end(&p);
}
