/*
 * search.c — GET /search?q=…: the search service's results as a page, with
 * the category and brand facets as links that narrow the results, a form
 * of filters (price range, in stock, rating, sort), "did you mean" and the
 * matched words marked. It calls the search module's own handler in
 * process (the same parsing, limits, typo tolerance and ranking as GET
 * /api/v1/search) and renders its answer; typos are forgiven by the engine,
 * and a query that matched no product in full says so ("fell back"). The
 * facets, the filters and the pager are refine.c's, which the category
 * pages share.
 */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/banned.h"

/* "Did you mean …?" with the corrected query and the other filters, when the engine has one */
static void did_you_mean(souk_buf *b, const souk__web_refine *r, const json_t *dym)
{
    const char *q = json_string_value(json_object_get(dym, "q"));
    if (!q || !q[0])
        return;
    souk__web_refine to = *r;
    to.q = q;
    to.page = 1;
    SOUK_HTML_LIT(b, "<p class=\"did-you-mean\">Did you mean <a href=\"");
    souk__web_refine_href(b, &to);
    SOUK_HTML_LIT(b, "\">");
    souk_html_text(b, q);
    SOUK_HTML_LIT(b, "</a>? <span class=\"muted\">(");
    json_int_t n = json_integer_value(json_object_get(dym, "total"));
    souk_html_int(b, (int64_t)n);
    souk_buf_adds(b, n == 1 ? " product)</span></p>\n" : " products)</span></p>\n");
}

int souk_web_search(souk_req *req, souk_res *res)
{
    souk__web_refine r = {.search = true, .path = "/search"};
    const char *bad = souk__web_refine_read(req, &r);
    if (bad)
        return souk__web_error(req, res, 400, "Those filters could not be read", bad);
    souk__web_page p = {.req = req, .res = res, .title = "Search", .query = r.q, .noindex = true};
    if (!r.q || !r.q[0]) {
        souk__web_begin(&p);
        SOUK_HTML_LIT(p.b, "<h1>Search</h1>\n<p>Type what you are looking for in the search box above.</p>\n");
        return souk__web_end(&p);
    }
    souk__web_refine_fail why;
    json_t *j = souk__web_refine_run(req, &r, NULL, &why);
    if (!j) {
        if (why.err == SOUK_E_UNAVAILABLE && why.warming)
            return souk__web_error(req, res, 503, "Search is getting ready",
                                   "The search index is still being built. Try again in a few seconds.");
        if (why.err == SOUK_E_UNAVAILABLE)
            return souk__web_error(req, res, 503, "Search is not available",
                                   "This shop has search turned off. Browse the categories instead.");
        return souk__web_error(req, res, why.err == SOUK_E_VALIDATION ? 422 : 400, "That search could not be run",
                               why.problem ? why.problem : "Try other words.");
    }
    json_t *cats = NULL, *brands = NULL, *vendors = NULL;
    if (souk_catalog_categories(req->store, &cats) != SOUK_OK)
        cats = NULL; /* the facet is left out */
    if (souk_catalog_taxons(req->store, SOUK_TAXON_BRAND, &brands) != SOUK_OK)
        brands = NULL;
    if (souk_catalog_taxons(req->store, SOUK_TAXON_VENDOR, &vendors) != SOUK_OK)
        vendors = NULL;
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
    SOUK_HTML_LIT(b, "<div class=\"results\">\n");
    souk__web_refine_aside(b, &r, j, cats, brands, vendors);
    SOUK_HTML_LIT(b, "<div>\n");
    const json_t *data = json_object_get(j, "data");
    if (json_array_size(data)) {
        /* the query and the page's first position, for the script's search_click events */
        SOUK_HTML_LIT(b, "<ul class=\"grid\" data-query=\"");
        souk_html_text(b, r.q);
        SOUK_HTML_LIT(b, "\" data-offset=\"");
        souk_html_int(b, souk__web_refine_offset(&r));
        SOUK_HTML_LIT(b, "\">\n");
        size_t i;
        const json_t *s;
        json_array_foreach(data, i, s) souk__web_card_marked(b, s);
        SOUK_HTML_LIT(b, "</ul>\n");
    } else {
        SOUK_HTML_LIT(b, "<p>Nothing found. Check the spelling, try fewer words or fewer filters.</p>\n");
    }
    souk__web_refine_pager(b, &r, total);
    SOUK_HTML_LIT(b, "</div>\n</div>\n");
    json_decref(j);
    json_decref(cats);
    json_decref(brands);
    json_decref(vendors);
    return souk__web_end(&p);
}
