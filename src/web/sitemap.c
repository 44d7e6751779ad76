/*
 * sitemap.c — /sitemap.xml (an index), /sitemap-categories.xml and
 * /sitemap-products.xml?cursor=… (pages of SITEMAP_PAGE product URLs,
 * each page's cursor from the catalog's own list). The index walks the
 * product list once to name every page, a cheap id-ordered scan; all three
 * are cacheable and move with the catalog.
 */
#include "web/internal.h"

#include <string.h>

#include "catalog/catalog.h"
#include "core/banned.h"

#define SITEMAP_PAGE 100 /* products per sitemap page: the list's largest page */
#define SITEMAP_PAGES_MAX 500

#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define NS "http://www.sitemaps.org/schemas/sitemap/0.9"

static json_t *products_page(souk_req *req, const char *cursor)
{
    souk_buf raw;
    souk_buf_init(&raw, 2048);
    souk_buf_printf(&raw, "limit=%d", SITEMAP_PAGE);
    if (cursor) {
        SOUK_HTML_LIT(&raw, "&cursor=");
        souk_html_query_value(&raw, cursor);
    }
    souk_query q;
    const char *err = NULL;
    souk_catalog_filter f;
    souk_problems pr;
    souk_problems_init(&pr);
    json_t *out = NULL;
    if (!souk_buf_failed(&raw) && souk_query_parse(&q, raw.data, raw.len, req->arena, &err) == 0 &&
        souk_catalog_filter_parse(&f, &q, req->config->currency, req->arena, &pr) == 0 &&
        souk_catalog_list(req->store, &f, req->arena, &pr, &out) != SOUK_OK)
        out = NULL;
    souk_buf_release(&raw);
    return out;
}

static void loc(souk_buf *b, const char *origin, const char *path, const char *slug)
{
    SOUK_HTML_LIT(b, "<url><loc>");
    souk_html_text(b, origin);
    souk_html_text(b, path);
    souk_html_query_value(b, slug);
    SOUK_HTML_LIT(b, "</loc></url>\n");
}

int souk_web_sitemap(souk_req *req, souk_res *res)
{
    const char *origin = souk__web_origin(req);
    souk_buf *b = &res->body;
    res->content_type = "application/xml; charset=utf-8";
    SOUK_HTML_LIT(b, XML_HEAD "<sitemapindex xmlns=\"" NS "\">\n<sitemap><loc>");
    souk_html_text(b, origin);
    SOUK_HTML_LIT(b, "/sitemap-categories.xml</loc></sitemap>\n");
    const char *cursor = NULL;
    for (int n = 0; n < SITEMAP_PAGES_MAX; n++) {
        json_t *page = products_page(req, cursor);
        if (!page)
            return souk_res_error(res, SOUK_E_UNAVAILABLE, NULL);
        bool any = json_array_size(json_object_get(page, "data")) > 0;
        if (any || n == 0) {
            SOUK_HTML_LIT(b, "<sitemap><loc>");
            souk_html_text(b, origin);
            SOUK_HTML_LIT(b, "/sitemap-products.xml");
            if (cursor) {
                SOUK_HTML_LIT(b, "?cursor=");
                souk_html_query_value(b, cursor);
            }
            SOUK_HTML_LIT(b, "</loc></sitemap>\n");
        }
        const char *next = json_string_value(json_object_get(page, "next_cursor"));
        cursor = next ? souk_arena_strdup(req->arena, next) : NULL;
        json_decref(page);
        if (!cursor)
            break;
    }
    SOUK_HTML_LIT(b, "</sitemapindex>\n");
    return 0;
}

static void categories(souk_buf *b, const char *origin, const json_t *arr, int depth)
{
    size_t i;
    const json_t *c;
    if (depth > 16)
        return;
    json_array_foreach(arr, i, c)
    {
        const char *slug = json_string_value(json_object_get(c, "slug"));
        if (slug)
            loc(b, origin, "/c/", slug);
        categories(b, origin, json_object_get(c, "children"), depth + 1);
    }
}

int souk_web_sitemap_categories(souk_req *req, souk_res *res)
{
    json_t *cats = NULL;
    if (souk_catalog_categories(req->store, &cats) != SOUK_OK)
        return souk_res_error(res, SOUK_E_UNAVAILABLE, NULL);
    const char *origin = souk__web_origin(req);
    souk_buf *b = &res->body;
    res->content_type = "application/xml; charset=utf-8";
    SOUK_HTML_LIT(b, XML_HEAD "<urlset xmlns=\"" NS "\">\n<url><loc>");
    souk_html_text(b, origin);
    SOUK_HTML_LIT(b, "/</loc></url>\n");
    categories(b, origin, json_object_get(cats, "data"), 0);
    SOUK_HTML_LIT(b, "</urlset>\n");
    json_decref(cats);
    return 0;
}

int souk_web_sitemap_products(souk_req *req, souk_res *res)
{
    const char *cursor = souk_query_get(&req->query, "cursor");
    if (req->query.count > (cursor ? 1u : 0u) || (cursor && strlen(cursor) > 512))
        return souk_res_error(res, SOUK_E_NOT_FOUND, "This sitemap page takes only a cursor from /sitemap.xml.");
    json_t *page = products_page(req, cursor);
    if (!page)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such sitemap page.");
    const char *origin = souk__web_origin(req);
    souk_buf *b = &res->body;
    res->content_type = "application/xml; charset=utf-8";
    SOUK_HTML_LIT(b, XML_HEAD "<urlset xmlns=\"" NS "\">\n");
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(page, "data"), i, s)
    {
        const char *slug = json_string_value(json_object_get(s, "slug"));
        if (slug)
            loc(b, origin, "/p/", slug);
    }
    SOUK_HTML_LIT(b, "</urlset>\n");
    json_decref(page);
    return 0;
}
