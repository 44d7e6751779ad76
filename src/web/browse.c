/*
 * browse.c — the home page and category pages. The home page is the
 * catalog's own list (souk_catalog_list, the same filter parser as GET
 * /api/v1/products) and category tree; a category page is the search
 * index browsed without words (refine.c, as the search page: facets,
 * filters, sorts, pages), with the catalog's list as its fallback while
 * there is no index. Both are cacheable: they show nothing of the visitor;
 * a category page goes with each new segment of the index (it is drawn from
 * it) as well as with the catalog.
 */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/time.h"
#include "recommend/service.h"
#include "core/banned.h"

#define PAGE_SIZE "24"

/* the category with SLUG in the tree ARR, with its ancestors in PATH */
static const json_t *find_category(const json_t *arr, const char *slug, const json_t **path, int depth, int *n)
{
    size_t i;
    const json_t *c;
    if (depth >= 16)
        return NULL;
    json_array_foreach(arr, i, c)
    {
        path[depth] = c;
        const char *s = json_string_value(json_object_get(c, "slug"));
        if (s && strcmp(s, slug) == 0) {
            *n = depth + 1;
            return c;
        }
        const json_t *hit = find_category(json_object_get(c, "children"), slug, path, depth + 1, n);
        if (hit)
            return hit;
    }
    return NULL;
}

static void category_links(souk_buf *b, const json_t *arr)
{
    size_t i;
    const json_t *c;
    SOUK_HTML_LIT(b, "<ul class=\"cats\">\n");
    json_array_foreach(arr, i, c)
    {
        const char *slug = json_string_value(json_object_get(c, "slug"));
        if (!slug)
            continue;
        SOUK_HTML_LIT(b, "<li><a href=\"/c/");
        souk_html_query_value(b, slug);
        SOUK_HTML_LIT(b, "\">");
        souk_html_text(b, json_string_value(json_object_get(c, "name")));
        SOUK_HTML_LIT(b, " <span class=\"muted\">(");
        souk_html_int(b, json_integer_value(json_object_get(c, "product_count")));
        SOUK_HTML_LIT(b, ")</span></a></li>\n");
    }
    SOUK_HTML_LIT(b, "</ul>\n");
}

static void product_grid(souk_buf *b, const json_t *data)
{
    size_t i;
    const json_t *s;
    if (!json_array_size(data)) {
        SOUK_HTML_LIT(b, "<p>No products here yet.</p>\n");
        return;
    }
    SOUK_HTML_LIT(b, "<ul class=\"grid\">\n");
    json_array_foreach(data, i, s) souk__web_card(b, s);
    SOUK_HTML_LIT(b, "</ul>\n");
}

/* a page of products for the raw query RAW, or NULL with the problems in PR */
static json_t *list(souk_req *req, const char *raw, souk_problems *pr)
{
    souk_query q;
    const char *err = NULL;
    if (souk_query_parse(&q, raw, strlen(raw), req->arena, &err) < 0)
        return NULL;
    souk_catalog_filter f;
    if (souk_catalog_filter_parse(&f, &q, req->config->currency, req->arena, pr) < 0)
        return NULL;
    json_t *out = NULL;
    if (souk_catalog_list(req->store, &f, req->arena, pr, &out) != SOUK_OK)
        return NULL;
    return out;
}

/* When a flash sale starts or ends next (0: none to come): a cached page
 * showing sale prices must not outlive it. */
static int64_t flash_edge(souk_req *req)
{
    return souk_catalog_flash_next_edge(req->store, souk_time_now_us());
}

int souk_web_home(souk_req *req, souk_res *res)
{
    json_t *cats = NULL, *page;
    souk_problems pr;
    souk_problems_init(&pr);
    if (souk_catalog_categories(req->store, &cats) != SOUK_OK || !(page = list(req, "sort=newest&limit=12", &pr))) {
        json_decref(cats);
        return souk__web_error(req, res, 503, "The shop is not available", "Please try again in a moment.");
    }
    souk__web_page p = {.req = req,
                        .res = res,
                        .title = "Shop",
                        .description = "Browse the catalog, search, and buy without an account.",
                        .canonical = "/"};
    souk__web_begin(&p);
    SOUK_HTML_LIT(p.b, "<h1>Welcome to souk</h1>\n<section aria-labelledby=\"cats-h\">"
                       "<h2 id=\"cats-h\">Categories</h2>\n");
    category_links(p.b, json_object_get(cats, "data"));
    SOUK_HTML_LIT(p.b, "</section>\n");
    /* what sells and is looked at now (the answer follows the recommendation snapshots: tagged) */
    souk_rec_ask q = {.limit = 8};
    souk_rec_answer a;
    if (souk_rec_trending(&q, &a) == SOUK_OK)
        souk__web_rec_section(req, p.b, "trending-h", "Trending now", "trending", &a);
    res->cache_tags |= SOUK_CACHE_TAG_RECS;
    res->cache_until_us = flash_edge(req); /* the cards show flash-sale prices */
    /* filled by site.js for this browser's shopper; stays hidden without script or without a list */
    SOUK_HTML_LIT(p.b, "<section class=\"recs\" id=\"for-you\" data-list=\"for-you\" aria-labelledby=\"for-you-h\" "
                       "hidden><h2 id=\"for-you-h\">Picked for you</h2>\n<ul class=\"grid\"></ul>\n</section>\n"
                       "<section aria-labelledby=\"new-h\"><h2 id=\"new-h\">New in</h2>\n");
    product_grid(p.b, json_object_get(page, "data"));
    SOUK_HTML_LIT(p.b, "</section>\n");
    json_decref(cats);
    json_decref(page);
    return souk__web_end(&p);
}

/* /c/SLUG without the search index (turned off, or its first build still running): the
 * catalog's own list, the first page, with the filters the catalog knows (price, brand, in
 * stock, sort by date or price); REFINE's others wait for the index. */
static json_t *catalog_page(souk_req *req, const souk__web_refine *r, const char *slug, souk_problems *pr)
{
    souk_buf q;
    souk_buf_init(&q, 4096);
    const char *sort = r->sort && strncmp(r->sort, "price_", 6) == 0 ? r->sort : "newest";
    souk_buf_printf(&q, "limit=" PAGE_SIZE "&category=%s&sort=%s", slug, sort);
    int64_t pmin = souk__web_amount_param(req, r->min), pmax = souk__web_amount_param(req, r->max);
    if (pmin >= 0)
        souk_buf_printf(&q, "&price_min=%lld", (long long)pmin);
    if (pmax >= 0)
        souk_buf_printf(&q, "&price_max=%lld", (long long)pmax);
    if (r->brand)
        souk_buf_printf(&q, "&brand=%s", r->brand);
    if (r->in_stock)
        souk_buf_adds(&q, "&in_stock=true");
    json_t *page = souk_buf_failed(&q) ? NULL : list(req, q.data, pr);
    souk_buf_release(&q);
    return page;
}

static void crumbs(souk_buf *b, const json_t *const *path, int depth)
{
    SOUK_HTML_LIT(b, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><ol><li><a href=\"/\">Home</a></li>");
    for (int i = 0; i < depth; i++) {
        SOUK_HTML_LIT(b, "<li>");
        if (i + 1 < depth) {
            SOUK_HTML_LIT(b, "<a href=\"/c/");
            souk_html_query_value(b, json_string_value(json_object_get(path[i], "slug")));
            SOUK_HTML_LIT(b, "\">");
        } else {
            SOUK_HTML_LIT(b, "<span aria-current=\"page\">");
        }
        souk_html_text(b, json_string_value(json_object_get(path[i], "name")));
        if (i + 1 < depth)
            SOUK_HTML_LIT(b, "</a></li>");
        else
            SOUK_HTML_LIT(b, "</span></li>");
    }
    SOUK_HTML_LIT(b, "</ol></nav>\n");
}

int souk_web_category(souk_req *req, souk_res *res)
{
    const char *slug = req->params[0];
    if (strlen(slug) > 100 || souk_catalog_check_slug(slug, strlen(slug)))
        return souk__web_error(req, res, 404, "No such category", "This category does not exist.");
    souk__web_refine r = {.search = false, .path = souk_arena_printf(req->arena, "/c/%s", slug)};
    const char *bad = r.path ? souk__web_refine_read(req, &r) : "Out of memory.";
    if (bad)
        return souk__web_error(req, res, 400, "Those filters could not be read", bad);
    json_t *cats = NULL, *brands = NULL, *vendors = NULL;
    if (souk_catalog_categories(req->store, &cats) != SOUK_OK)
        return souk__web_error(req, res, 503, "The shop is not available", "Please try again in a moment.");
    const json_t *path[16];
    int depth = 0;
    const json_t *cat = find_category(json_object_get(cats, "data"), slug, path, 0, &depth);
    if (!cat) {
        json_decref(cats);
        return souk__web_error(req, res, 404, "No such category", "This category does not exist.");
    }
    /* the products, the facets and the total from the search index (browsing: no words) */
    souk__web_refine_fail why;
    json_t *hits = souk__web_refine_run(req, &r, json_string_value(json_object_get(cat, "id")), &why), *page = NULL;
    souk_problems pr;
    souk_problems_init(&pr);
    if (!hits && why.err == SOUK_E_UNAVAILABLE)
        page = catalog_page(req, &r, slug, &pr);
    if (!hits && !page) {
        json_decref(cats);
        return souk__web_error(req, res, 400, "Those filters could not be read",
                               why.problem ? why.problem
                               : pr.count  ? pr.items[0].message
                                           : "Check the prices and the sort.");
    }
    if (hits && souk_catalog_taxons(req->store, SOUK_TAXON_BRAND, &brands) != SOUK_OK)
        brands = NULL; /* the brand facet is left out */
    if (hits && souk_catalog_taxons(req->store, SOUK_TAXON_VENDOR, &vendors) != SOUK_OK)
        vendors = NULL;                       /* the vendor facet is left out */
    res->cache_until_us = flash_edge(req);    /* the cards show flash-sale prices */
    res->cache_tags |= SOUK_CACHE_TAG_SEARCH; /* drawn from the index, or waiting for it */
    const char *name = json_string_value(json_object_get(cat, "name"));
    souk__web_page p = {.req = req,
                        .res = res,
                        .title = name,
                        .description = souk_arena_printf(req->arena, "%s at souk", name ? name : ""),
                        .canonical = souk_arena_printf(req->arena, "/c/%s", slug),
                        .noindex = souk__web_refine_filtered(&r)};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    crumbs(b, path, depth);
    SOUK_HTML_LIT(b, "<h1>");
    souk_html_text(b, name);
    SOUK_HTML_LIT(b, "</h1>\n");
    if (!hits) {
        if (json_array_size(json_object_get(cat, "children")))
            category_links(b, json_object_get(cat, "children"));
        SOUK_HTML_LIT(b, "<p class=\"notice\">The newest products first; the other filters and pages are back in "
                         "a moment.</p>\n");
        product_grid(b, json_object_get(page, "data"));
    } else {
        int64_t total = json_integer_value(json_object_get(hits, "total"));
        SOUK_HTML_LIT(b, "<p role=\"status\">");
        souk_html_int(b, total);
        if (total == 1)
            SOUK_HTML_LIT(b, " product.");
        else
            SOUK_HTML_LIT(b, " products.");
        SOUK_HTML_LIT(b, "</p>\n<div class=\"results\">\n");
        souk__web_refine_aside(b, &r, hits, json_object_get(cat, "children"), brands, vendors);
        SOUK_HTML_LIT(b, "<div>\n");
        const json_t *data = json_object_get(hits, "data");
        if (json_array_size(data)) {
            SOUK_HTML_LIT(b, "<ul class=\"grid\">\n");
            size_t i;
            const json_t *s;
            json_array_foreach(data, i, s) souk__web_card(b, s);
            SOUK_HTML_LIT(b, "</ul>\n");
        } else if (souk__web_refine_filtered(&r)) {
            SOUK_HTML_LIT(b, "<p>No product here matches these filters.</p>\n");
        } else {
            SOUK_HTML_LIT(b, "<p>No products here yet.</p>\n");
        }
        souk__web_refine_pager(b, &r, total);
        SOUK_HTML_LIT(b, "</div>\n</div>\n");
    }
    json_decref(cats);
    json_decref(brands);
    json_decref(vendors);
    json_decref(hits);
    json_decref(page);
    return souk__web_end(&p);
}
