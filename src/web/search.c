/*
 * search.c — GET /search?q=…&brand=…&page=N: the search service's results
 * as a page, with the brand facet as links that narrow the results. It calls the search module's own handler in process (the same
 * parsing, limits, typo tolerance and ranking as GET /api/v1/search) and
 * renders its answer; typos are forgiven by the engine, and a query that
 * matched no product in full says so ("fell back").
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

/* "/search?q=…[&brand=…]" as an attribute value */
static void search_href(souk_buf *b, const char *q, const char *brand)
{
    SOUK_HTML_LIT(b, "/search?q=");
    souk_html_query_value(b, q);
    if (brand) {
        SOUK_HTML_LIT(b, "&amp;brand=");
        souk_html_query_value(b, brand);
    }
}

static void page_link(souk_buf *b, const char *q, const char *brand, int page, const char *rel, const char *label)
{
    SOUK_HTML_LIT(b, "<a href=\"");
    search_href(b, q, brand);
    souk_buf_printf(b, "&amp;page=%d\"", page);
    if (rel) {
        SOUK_HTML_LIT(b, " rel=\"");
        souk_html_text(b, rel);
        SOUK_HTML_LIT(b, "\"");
    }
    SOUK_HTML_LIT(b, ">");
    souk_html_text(b, label);
    SOUK_HTML_LIT(b, "</a>");
}

/* the brand facet: each brand of the results with its count, as a link
 * that narrows to it (names from the catalog), or a link that widens again */
static void brand_facet(souk_req *req, souk_buf *b, const json_t *facets, const char *q, const char *brand)
{
    const json_t *values = json_object_get(facets, "brand");
    json_t *brands = NULL;
    if (!json_array_size(values) || souk_catalog_taxons(req->store, SOUK_TAXON_BRAND, &brands) != SOUK_OK)
        return;
    SOUK_HTML_LIT(b, "<nav class=\"facets\" aria-label=\"Filter by brand\"><h2>Brand</h2><ul class=\"cats\">\n");
    size_t i;
    const json_t *v;
    json_array_foreach(values, i, v)
    {
        const char *id = json_string_value(json_object_get(v, "value"));
        const char *name = NULL;
        size_t k;
        const json_t *t;
        json_array_foreach(json_object_get(brands, "data"), k, t)
        {
            const char *tid = json_string_value(json_object_get(t, "id"));
            if (id && tid && strcmp(id, tid) == 0)
                name = json_string_value(json_object_get(t, "name"));
        }
        if (!id || !name)
            continue;
        SOUK_HTML_LIT(b, "<li><a href=\"");
        search_href(b, q, id);
        SOUK_HTML_LIT(b, "\"");
        if (brand && strcmp(brand, id) == 0)
            SOUK_HTML_LIT(b, " aria-current=\"true\"");
        SOUK_HTML_LIT(b, ">");
        souk_html_text(b, name);
        SOUK_HTML_LIT(b, " <span class=\"muted\">(");
        souk_html_int(b, json_integer_value(json_object_get(v, "count")));
        SOUK_HTML_LIT(b, ")</span></a></li>\n");
    }
    if (brand) {
        SOUK_HTML_LIT(b, "<li><a href=\"");
        search_href(b, q, NULL);
        SOUK_HTML_LIT(b, "\">All brands</a></li>\n");
    }
    SOUK_HTML_LIT(b, "</ul></nav>\n");
    json_decref(brands);
}

int souk_web_search(souk_req *req, souk_res *res)
{
    const char *q = souk_query_get(&req->query, "q");
    const char *ptext = souk_query_get(&req->query, "page");
    int64_t page = 1;
    if (ptext && souk_query_int(ptext, 1, PAGES_MAX, &page) < 0)
        return souk__web_error(req, res, 400, "No such page", "Pages of results go from 1 to 50.");
    if (q && strlen(q) > 200)
        return souk__web_error(req, res, 400, "That search is too long", "Search with at most 200 characters.");
    const char *brand = souk_query_get(&req->query, "brand");
    int64_t brand_id;
    if (brand && souk_id_parse(SOUK_PREFIX_BRAND, brand, strlen(brand), &brand_id) < 0)
        return souk__web_error(req, res, 400, "No such brand", "Choose a brand from the list beside the results.");
    for (size_t i = 0; i < req->query.count; i++) {
        const char *k = req->query.items[i].key;
        if (strcmp(k, "q") && strcmp(k, "page") && strcmp(k, "brand"))
            return souk__web_error(req, res, 400, "Unknown filter", "This page takes q, brand and page.");
    }
    souk__web_page p = {.req = req, .res = res, .title = "Search", .query = q, .noindex = true};
    if (!q || !q[0]) {
        souk__web_begin(&p);
        SOUK_HTML_LIT(p.b, "<h1>Search</h1>\n<p>Type what you are looking for in the search box above.</p>\n");
        return souk__web_end(&p);
    }
    souk_buf raw;
    souk_buf_init(&raw, 2048);
    SOUK_HTML_LIT(&raw, "q=");
    souk_html_query_value(&raw, q);
    souk_buf_printf(&raw, "&facets=brand&limit=%d&offset=%lld", PER_PAGE, (long long)((page - 1) * PER_PAGE));
    if (brand) {
        SOUK_HTML_LIT(&raw, "&brand=");
        souk_html_query_value(&raw, brand);
    }
    souk_req sub = souk__web_subrequest(req, NULL, 0, NULL, raw.data);
    souk_buf_release(&raw);
    souk_res sres = {.status = 200};
    souk_buf_init(&sres.body, 8u << 20);
    int rc = souk_search_api_search(&sub, &sres);
    json_t *j = rc ? NULL : souk__web_answer(&sres);
    souk_err e = sres.err;
    bool warming = sres.retry_after != NULL; /* 503 with Retry-After: the first index is being built */
    const char *why = sres.problems.count ? sres.problems.items[0].message : NULL;
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
    p.title = souk_arena_printf(req->arena, "Search: %s", q);
    souk__web_begin(&p);
    souk_buf *b = p.b;
    int64_t total = json_integer_value(json_object_get(j, "total"));
    SOUK_HTML_LIT(b, "<h1>Results for “");
    souk_html_text(b, q);
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
    brand_facet(req, b, json_object_get(j, "facets"), q, brand);
    const json_t *data = json_object_get(j, "data");
    if (json_array_size(data)) {
        /* the query and the page's first position, for the script's search_click events */
        SOUK_HTML_LIT(b, "<ul class=\"grid\" data-query=\"");
        souk_html_text(b, q);
        SOUK_HTML_LIT(b, "\" data-offset=\"");
        souk_html_int(b, (page - 1) * PER_PAGE);
        SOUK_HTML_LIT(b, "\">\n");
        size_t i;
        const json_t *s;
        json_array_foreach(data, i, s) souk__web_card(b, s);
        SOUK_HTML_LIT(b, "</ul>\n");
    } else {
        SOUK_HTML_LIT(b, "<p>Nothing found. Check the spelling or try fewer words.</p>\n");
    }
    SOUK_HTML_LIT(b, "<nav class=\"pager\" aria-label=\"Pages\">");
    if (page > 1)
        page_link(b, q, brand, (int)page - 1, "prev", "Previous page");
    if (page < PAGES_MAX && page * PER_PAGE < total)
        page_link(b, q, brand, (int)page + 1, "next", "Next page");
    SOUK_HTML_LIT(b, "</nav>\n");
    json_decref(j);
    return souk__web_end(&p);
}
