/* page.c — the page layout every storefront page shares, error pages,
 * redirects and the product card. */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/banned.h"

const char *souk__web_origin(souk_req *req)
{
    const souk_config *c = req->config;
    if (c->public_url[0])
        return c->public_url;
    if (c->listen_port == 0)
        return "http://localhost";
    return souk_arena_printf(req->arena, "http://%s:%d", c->listen_host, c->listen_port);
}

static void meta(souk_buf *b, const char *attr, const char *name, const char *content)
{
    SOUK_HTML_LIT(b, "<meta ");
    souk_html_text(b, attr);
    SOUK_HTML_LIT(b, "=\"");
    souk_html_text(b, name);
    SOUK_HTML_LIT(b, "\" content=\"");
    souk_html_text(b, content);
    SOUK_HTML_LIT(b, "\">\n");
}

void souk__web_begin(souk__web_page *p)
{
    souk_buf *b = p->b = &p->res->body;
    p->res->content_type = SOUK__WEB_HTML;
    const char *origin = souk__web_origin(p->req);
    SOUK_HTML_LIT(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    souk_html_text(b, p->title);
    SOUK_HTML_LIT(b, " — souk</title>\n");
    if (p->description)
        meta(b, "name", "description", p->description);
    if (p->noindex || !p->canonical)
        meta(b, "name", "robots", "noindex");
    if (p->canonical && souk_html_url_ok(p->canonical)) {
        const char *url = souk_arena_printf(p->req->arena, "%s%s", origin, p->canonical);
        SOUK_HTML_LIT(b, "<link rel=\"canonical\" href=\"");
        souk_html_url(b, url, "/");
        SOUK_HTML_LIT(b, "\">\n");
        meta(b, "property", "og:url", url);
    }
    meta(b, "property", "og:site_name", "souk");
    meta(b, "property", "og:type", p->og_type ? p->og_type : "website");
    meta(b, "property", "og:title", p->title);
    if (p->description)
        meta(b, "property", "og:description", p->description);
    if (p->og_image && souk_html_url_ok(p->og_image))
        meta(b, "property", "og:image",
             p->og_image[0] == '/' ? souk_arena_printf(p->req->arena, "%s%s", origin, p->og_image) : p->og_image);
    if (p->session_slot)
        SOUK_HTML_LIT(b, SOUK__WEB_SLOT_SESSION "\n");
    SOUK_HTML_LIT(b, "<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"");
    souk_html_text(b, souk__web_asset_path("site.css"));
    SOUK_HTML_LIT(b, "\">\n<script src=\"");
    souk_html_text(b, souk__web_asset_path("site.js"));
    SOUK_HTML_LIT(b, "\" defer></script>\n</head>\n<body>\n"
                     "<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
                     "<header class=\"site\"><div class=\"wrap\">\n"
                     "<a class=\"brand\" href=\"/\">souk</a>\n"
                     "<form class=\"search\" role=\"search\" action=\"/search\" method=\"get\">\n"
                     "<label class=\"visually-hidden\" for=\"q\">Search products</label>\n"
                     "<input type=\"search\" id=\"q\" name=\"q\" maxlength=\"200\" autocomplete=\"off\" "
                     "aria-autocomplete=\"list\" aria-controls=\"suggest\" placeholder=\"Search products\" value=\"");
    souk_html_text(b, p->query);
    SOUK_HTML_LIT(b, "\">\n<button type=\"submit\">Search</button>\n"
                     "<ul id=\"suggest\" aria-label=\"Suggestions\"></ul>\n</form>\n"
                     "<nav aria-label=\"Account and cart\"><a href=\"/account\">Account</a> "
                     "<a href=\"/cart\">Cart</a></nav>\n"
                     "</div></header>\n<main id=\"main\" class=\"wrap\" tabindex=\"-1\">\n");
}

int souk__web_end(souk__web_page *p)
{
    SOUK_HTML_LIT(p->b, "</main>\n<footer class=\"site\"><div class=\"wrap\">"
                        "souk — served by one binary. <a href=\"/sitemap.xml\">Sitemap</a></div></footer>\n"
                        "</body>\n</html>\n");
    if (souk_buf_failed(p->b))
        return souk_res_error(p->res, SOUK_E_INTERNAL, "page too large");
    return 0;
}

int souk__web_error(souk_req *req, souk_res *res, int status, const char *title, const char *message)
{
    souk_buf_reset(&res->body);
    res->status = status;
    res->cache_control = "no-store";
    souk__web_page p = {.req = req, .res = res, .title = title, .noindex = true};
    souk__web_begin(&p);
    SOUK_HTML_LIT(p.b, "<h1>");
    souk_html_text(p.b, title);
    SOUK_HTML_LIT(p.b, "</h1>\n<p>");
    souk_html_text(p.b, message);
    SOUK_HTML_LIT(p.b, "</p>\n<p><a href=\"/\">Back to the shop</a></p>\n");
    return souk__web_end(&p);
}

int souk__web_redirect(souk_res *res, const char *location)
{
    res->status = 303;
    res->location = location;
    res->cache_control = "no-store";
    res->content_type = "text/plain; charset=utf-8";
    souk_buf_reset(&res->body);
    souk_buf_adds(&res->body, "See Other\n");
    return 0;
}

void souk__web_card(souk_buf *b, const json_t *s)
{
    const char *slug = json_string_value(json_object_get(s, "slug"));
    const char *title = json_string_value(json_object_get(s, "title"));
    if (!slug || !title)
        return;
    const char *id = json_string_value(json_object_get(s, "id"));
    SOUK_HTML_LIT(b, "<li class=\"card\"");
    if (id) {
        SOUK_HTML_LIT(b, " data-product=\"");
        souk_html_text(b, id);
        SOUK_HTML_LIT(b, "\"");
    }
    SOUK_HTML_LIT(b, ">");
    souk__web_card_image(b, s, title);
    SOUK_HTML_LIT(b, "<h3><a href=\"/p/");
    souk_html_query_value(b, slug);
    SOUK_HTML_LIT(b, "\">");
    souk_html_text(b, title);
    SOUK_HTML_LIT(b, "</a></h3>");
    const json_t *price = json_object_get(s, "price");
    if (json_is_object(price)) {
        SOUK_HTML_LIT(b, "<p class=\"price\">");
        souk_html_money_json(b, price);
        SOUK_HTML_LIT(b, "</p>");
    }
    SOUK_HTML_LIT(b, "</li>\n");
}
