/* page.c — the page layout every storefront page shares, error pages,
 * redirects, the product card, prices with their flash-sale price and
 * star ratings. */
#include "web/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/money.h"
#include "i18n/i18n.h"
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
    const char *shown = souk_req_translation(p->req); /* the page's locale when not the default */
    if (p->canonical && souk_html_url_ok(p->canonical) && p->hreflang) {
        souk_i18n_locales l;
        if (souk_i18n_locales_read(p->req->store, &l) == SOUK_OK && l.n > 1)
            for (size_t i = 0; i <= l.n; i++) { /* each locale's version, then x-default: the default's */
                const char *tag = i < l.n ? l.tags[i] : "x-default";
                const char *href = i == 0 || i == l.n
                                       ? souk_arena_printf(p->req->arena, "%s%s", origin, p->canonical)
                                       : souk_arena_printf(p->req->arena, "%s%s?locale=%s", origin, p->canonical, tag);
                SOUK_HTML_LIT(b, "<link rel=\"alternate\" hreflang=\"");
                souk_html_text(b, tag);
                SOUK_HTML_LIT(b, "\" href=\"");
                souk_html_url(b, href, "/");
                SOUK_HTML_LIT(b, "\">\n");
            }
    }
    if (p->canonical && souk_html_url_ok(p->canonical)) {
        const char *url = p->hreflang && shown
                              ? souk_arena_printf(p->req->arena, "%s%s?locale=%s", origin, p->canonical, shown)
                              : souk_arena_printf(p->req->arena, "%s%s", origin, p->canonical);
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

void souk__web_plain_begin(souk__web_page *p, souk_req *req, souk_res *res, int status, const char *title)
{
    souk_buf_reset(&res->body);
    res->status = status;
    res->cache_control = "no-store";
    *p = (souk__web_page){.req = req, .res = res, .title = title, .noindex = true};
    souk__web_begin(p);
    SOUK_HTML_LIT(p->b, "<h1>");
    souk_html_text(p->b, title);
    SOUK_HTML_LIT(p->b, "</h1>\n");
}

int souk__web_error(souk_req *req, souk_res *res, int status, const char *title, const char *message)
{
    souk__web_page p;
    souk__web_plain_begin(&p, req, res, status, title);
    SOUK_HTML_LIT(p.b, "<p>");
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

/* Whether S is HTML whose only markup is <mark> and </mark> (the search
 * engine's highlight: escaped text with the matched words marked). */
static bool only_marks(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '>')
            return false; /* outside a <mark> or </mark>, skipped whole below */
        if (*p != '<')
            continue;
        if (strncmp(p, "<mark>", 6) == 0)
            p += 5;
        else if (strncmp(p, "</mark>", 7) == 0)
            p += 6;
        else
            return false;
    }
    return true;
}

static void card(souk_buf *b, const json_t *s, bool marked)
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
    const json_t *hl = marked ? json_object_get(s, "highlight") : NULL;
    const char *htitle = json_string_value(json_object_get(hl, "title"));
    const char *snippet = json_string_value(json_object_get(hl, "snippet"));
    if (htitle && only_marks(htitle))
        souk_buf_adds(b, htitle); /* escaped by the engine, checked above */
    else
        souk_html_text(b, title);
    SOUK_HTML_LIT(b, "</a></h3>");
    if (snippet && snippet[0] && only_marks(snippet)) {
        SOUK_HTML_LIT(b, "<p class=\"snippet muted\">");
        souk_buf_adds(b, snippet);
        SOUK_HTML_LIT(b, "</p>");
    }
    const json_t *price = json_object_get(s, "price");
    if (json_is_object(price)) {
        SOUK_HTML_LIT(b, "<p class=\"price\">");
        souk__web_price(b, price);
        SOUK_HTML_LIT(b, "</p>");
    }
    souk__web_stars(b, json_object_get(s, "rating"), false);
    SOUK_HTML_LIT(b, "</li>\n");
}

void souk__web_card(souk_buf *b, const json_t *s)
{
    card(b, s, false);
}

void souk__web_card_marked(souk_buf *b, const json_t *hit)
{
    card(b, hit, true);
}

int64_t souk__web_amount_param(souk_req *req, const char *v)
{
    if (!v || !v[0])
        return -1;
    souk_money m;
    if (souk_money_parse(&m, v, strlen(v), req->config->currency) < 0 || m.amount < 0)
        return -2;
    return m.amount;
}

void souk__web_amount_input(souk_buf *b, const char *name, const char *label, const char *value)
{
    SOUK_HTML_LIT(b, "<div><label for=\"");
    souk_html_text(b, name);
    SOUK_HTML_LIT(b, "\">");
    souk_html_text(b, label);
    SOUK_HTML_LIT(b, "</label><input type=\"text\" inputmode=\"decimal\" size=\"8\" maxlength=\"16\" id=\"");
    souk_html_text(b, name);
    SOUK_HTML_LIT(b, "\" name=\"");
    souk_html_text(b, name);
    SOUK_HTML_LIT(b, "\" value=\"");
    souk_html_text(b, value);
    SOUK_HTML_LIT(b, "\"></div>\n");
}

const json_t *souk__web_sale_money(const json_t *m, json_t **tmp)
{
    const json_t *sale = json_object_get(m, "sale");
    *tmp = NULL;
    if (!json_is_object(sale) || !json_is_integer(json_object_get(sale, "amount")))
        return NULL;
    *tmp =
        json_pack("{s:O,s:O}", "amount", json_object_get(sale, "amount"), "currency", json_object_get(m, "currency"));
    return *tmp;
}

void souk__web_price(souk_buf *b, const json_t *m)
{
    json_t *tmp;
    const json_t *now = souk__web_sale_money(m, &tmp);
    if (!now) {
        souk_html_money_json(b, m);
        return;
    }
    SOUK_HTML_LIT(b, "<span class=\"sale\"><span class=\"visually-hidden\">Sale price </span>");
    souk_html_money_json(b, now);
    SOUK_HTML_LIT(b, "</span> <del><span class=\"visually-hidden\">was </span>");
    souk_html_money_json(b, m);
    SOUK_HTML_LIT(b, "</del>");
    json_decref(tmp);
}

void souk__web_stars(souk_buf *b, const json_t *rating, bool always)
{
    const json_t *avg = json_object_get(rating, "average");
    json_int_t count = json_integer_value(json_object_get(rating, "count"));
    if (!json_is_number(avg) || count <= 0) {
        if (always)
            SOUK_HTML_LIT(b, "<p class=\"rating muted\">No reviews yet.</p>");
        return;
    }
    double a = json_number_value(avg);
    int full = (int)lround(a < 0 ? 0 : a > 5 ? 5 : a);
    char text[16];
    snprintf(text, sizeof text, "%.1f", a);
    SOUK_HTML_LIT(b, "<p class=\"rating\"><span class=\"stars\" aria-hidden=\"true\">");
    for (int i = 0; i < 5; i++)
        souk_buf_adds(b, i < full ? "\u2605" : "\u2606");
    SOUK_HTML_LIT(b, "</span> <span class=\"visually-hidden\">Rated </span>");
    souk_html_text(b, text);
    SOUK_HTML_LIT(b, "<span class=\"visually-hidden\"> out of 5</span> (");
    souk_html_int(b, (int64_t)count);
    souk_buf_adds(b, count == 1 ? " review)</p>" : " reviews)</p>");
}
