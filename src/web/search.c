/*
 * search.c — GET /search?q=…&page=N: the search service's results as a
 * page. It calls the search module's own handler in process (the same
 * parsing, limits, typo tolerance and ranking as GET /api/v1/search) and
 * renders its answer; typos are forgiven by the engine, and a query that
 * matched no product in full says so ("fell back").
 */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "search/api.h"
#include "core/banned.h"

#define PER_PAGE 20
#define PAGES_MAX 50 /* 50 x 20 = the engine's window of 1000 */

static void page_link(souk_buf *b, const char *q, int page, const char *rel, const char *label)
{
    SOUK_HTML_LIT(b, "<a href=\"/search?q=");
    souk_html_query_value(b, q);
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

int souk_web_search(souk_req *req, souk_res *res)
{
    const char *q = souk_query_get(&req->query, "q");
    const char *ptext = souk_query_get(&req->query, "page");
    int64_t page = 1;
    if (ptext && souk_query_int(ptext, 1, PAGES_MAX, &page) < 0)
        return souk__web_error(req, res, 400, "No such page", "Pages of results go from 1 to 50.");
    if (q && strlen(q) > 200)
        return souk__web_error(req, res, 400, "That search is too long", "Search with at most 200 characters.");
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
    souk_buf_printf(&raw, "&limit=%d&offset=%lld", PER_PAGE, (long long)((page - 1) * PER_PAGE));
    souk_req sub = souk__web_subrequest(req, NULL, 0, NULL, raw.data);
    souk_buf_release(&raw);
    souk_res sres = {.status = 200};
    souk_buf_init(&sres.body, 8u << 20);
    int rc = souk_search_api_search(&sub, &sres);
    json_t *j = rc ? NULL : souk__web_answer(&sres);
    souk_err e = sres.err;
    const char *why = sres.problems.count ? sres.problems.items[0].message : NULL;
    souk_buf_release(&sres.body);
    json_decref(sres.json);
    if (!j) {
        if (e == SOUK_E_UNAVAILABLE)
            return souk__web_error(req, res, 503, "Search is getting ready",
                                   "The search index is still being built. Try again in a few seconds.");
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
    const json_t *data = json_object_get(j, "data");
    if (json_array_size(data)) {
        SOUK_HTML_LIT(b, "<ul class=\"grid\">\n");
        size_t i;
        const json_t *s;
        json_array_foreach(data, i, s) souk__web_card(b, s);
        SOUK_HTML_LIT(b, "</ul>\n");
    } else {
        SOUK_HTML_LIT(b, "<p>Nothing found. Check the spelling or try fewer words.</p>\n");
    }
    SOUK_HTML_LIT(b, "<nav class=\"pager\" aria-label=\"Pages\">");
    if (page > 1)
        page_link(b, q, (int)page - 1, "prev", "Previous page");
    if (page < PAGES_MAX && page * PER_PAGE < total)
        page_link(b, q, (int)page + 1, "next", "Next page");
    SOUK_HTML_LIT(b, "</nav>\n");
    json_decref(j);
    return souk__web_end(&p);
}
