/*
 * product.c — GET /p/{slug}: a product page. The product comes from the
 * catalog (public view), each variant's stock from inventory's in-memory
 * availability; the variant choice is a group of radio buttons inside the
 * add-to-cart form (POST /cart/add), so it works without JavaScript. The
 * page carries schema.org Product/Offer and BreadcrumbList JSON-LD and
 * OpenGraph tags. While a flash sale runs, prices show the sale price
 * beside the regular one struck through. The approved reviews follow
 * (reviews.c).
 *
 * The page is the same for every visitor but for the form's CSRF token and,
 * for a signed-in customer, a <meta> with it: it is rendered once with slots
 * (SOUK__WEB_SLOT_*) in their place and kept in the response cache under
 * "web:/p/<slug>" (never a path, so never sent as it is), tagged with what
 * it shows that moves on its own — stock (in stock / sold out) and the
 * recommendation snapshot (similar, bought together) — and dropped with any
 * catalog change like every cached answer. Each request fills the slots.
 */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "http/cache.h"
#include "core/id.h"
#include "core/money.h"
#include "core/time.h"
#include "inventory/inventory.h"
#include "recommend/service.h"
#include "i18n/i18n.h"
#include "core/banned.h"

/* the variant's price in CURRENCY, or NULL */
static const json_t *price_in(const json_t *variant, const char *currency)
{
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(variant, "prices"), i, m)
    {
        const char *c = json_string_value(json_object_get(m, "currency"));
        if (c && strcmp(c, currency) == 0)
            return m;
    }
    return NULL;
}

static int64_t available(souk_req *req, const json_t *variant)
{
    const char *id = json_string_value(json_object_get(variant, "id"));
    int64_t vid;
    if (!id || souk_id_parse(SOUK_PREFIX_VARIANT, id, strlen(id), &vid) < 0)
        return 0;
    int64_t n = souk_inventory_available_now(req->store, vid);
    return n < 0 ? 0 : n;
}

/* "12.50" for a Money object */
static const char *decimal(souk_req *req, const json_t *m)
{
    souk_money money = {.amount = json_integer_value(json_object_get(m, "amount"))};
    snprintf(money.currency, sizeof money.currency, "%s", json_string_value(json_object_get(m, "currency")));
    char text[64];
    if (souk_money_format(&money, text, sizeof text) < 0)
        return "0";
    return souk_arena_strdup(req->arena, text);
}

static const char *variant_label(souk_req *req, const json_t *v)
{
    const char *t = json_string_value(json_object_get(v, "title"));
    if (t && t[0])
        return t;
    souk_buf b;
    souk_buf_init(&b, 1024);
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)json_object_get(v, "options"), k, val)
    {
        if (b.len)
            souk_buf_adds(&b, ", ");
        souk_buf_printf(&b, "%s: %s", k, json_string_value(val) ? json_string_value(val) : "");
    }
    const char *out = b.len && !souk_buf_failed(&b) ? souk_arena_strdup(req->arena, b.data) : NULL;
    souk_buf_release(&b);
    return out ? out : json_string_value(json_object_get(v, "sku"));
}

/* the first 160 bytes of DESC or less, cut at a character boundary, for the meta description */
static const char *summary(souk_req *req, const char *desc)
{
    size_t n = strnlen(desc, 161);
    if (n > 160) {
        n = 160;
        while (n && ((unsigned char)desc[n] & 0xc0) == 0x80) /* not inside a UTF-8 sequence */
            n--;
    }
    return souk_arena_strndup(req->arena, desc, n);
}

static void json_ld(souk_req *req, souk_buf *b, const json_t *prod, const char *url)
{
    const char *origin = souk__web_origin(req);
    json_t *offers = json_array();
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(prod, "variants"), i, v)
    {
        const json_t *m = price_in(v, req->config->currency), *regular = m;
        if (!m)
            continue;
        json_t *tmp;
        const json_t *sale = souk__web_sale_money(regular, &tmp);
        if (sale)
            m = sale; /* what the shopper pays now */
        json_array_append_new(
            offers, json_pack("{s:s,s:s?,s:s,s:s,s:s,s:s}", "@type", "Offer", "sku",
                              json_string_value(json_object_get(v, "sku")), "price", decimal(req, m), "priceCurrency",
                              req->config->currency, "availability",
                              available(req, v) > 0 ? "https://schema.org/InStock" : "https://schema.org/OutOfStock",
                              "url", url));
        json_decref(tmp);
    }
    const char *desc = json_string_value(json_object_get(prod, "description"));
    json_t *ld = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:o}", "@context", "https://schema.org", "@type", "Product", "name",
                           json_string_value(json_object_get(prod, "title")), "description",
                           desc && desc[0] ? desc : NULL, "url", url, "offers", offers);
    const char *brand = json_string_value(json_object_get(json_object_get(prod, "brand"), "name"));
    if (ld && brand)
        json_object_set_new(ld, "brand", json_pack("{s:s,s:s}", "@type", "Brand", "name", brand));
    const json_t *rating = json_object_get(prod, "rating");
    json_int_t reviews = json_integer_value(json_object_get(rating, "count"));
    if (ld && reviews > 0 && json_is_number(json_object_get(rating, "average")))
        json_object_set_new(ld, "aggregateRating",
                            json_pack("{s:s,s:f,s:I,s:i,s:i}", "@type", "AggregateRating", "ratingValue",
                                      json_number_value(json_object_get(rating, "average")), "reviewCount", reviews,
                                      "bestRating", 5, "worstRating", 1));
    json_t *items = json_array();
    json_array_append_new(items, json_pack("{s:s,s:i,s:s,s:s}", "@type", "ListItem", "position", 1, "name", "Home",
                                           "item", souk_arena_printf(req->arena, "%s/", origin)));
    const json_t *cat = json_object_get(prod, "category");
    int pos = 2;
    if (json_is_object(cat) && json_string_value(json_object_get(cat, "slug")))
        json_array_append_new(items, json_pack("{s:s,s:i,s:s?,s:s}", "@type", "ListItem", "position", pos++, "name",
                                               json_string_value(json_object_get(cat, "name")), "item",
                                               souk_arena_printf(req->arena, "%s/c/%s", origin,
                                                                 json_string_value(json_object_get(cat, "slug")))));
    json_array_append_new(items, json_pack("{s:s,s:i,s:s,s:s}", "@type", "ListItem", "position", pos, "name",
                                           json_string_value(json_object_get(prod, "title")), "item", url));
    json_t *crumbs = json_pack("{s:s,s:s,s:o}", "@context", "https://schema.org", "@type", "BreadcrumbList",
                               "itemListElement", items);
    if (ld) {
        SOUK_HTML_LIT(b, "<script type=\"application/ld+json\">");
        souk_html_json(b, ld);
        SOUK_HTML_LIT(b, "</script>\n");
    }
    if (crumbs) {
        SOUK_HTML_LIT(b, "<script type=\"application/ld+json\">");
        souk_html_json(b, crumbs);
        SOUK_HTML_LIT(b, "</script>\n");
    }
    json_decref(ld);
    json_decref(crumbs);
}

/* Similar products and what is bought with this one, from memory; nothing
 * when recommendations are not ready yet. */
static void recommendations(souk_req *req, souk_buf *b, const json_t *prod)
{
    const char *pid = json_string_value(json_object_get(prod, "id"));
    int64_t id;
    if (!pid || souk_id_parse(SOUK_PREFIX_PRODUCT, pid, strlen(pid), &id) < 0)
        return;
    souk_rec_ask q = {.limit = 4};
    souk_rec_answer a;
    if (souk_rec_similar(id, &q, &a) == SOUK_OK)
        souk__web_rec_section(req, b, "similar-h", "Similar products", "similar", &a);
    if (souk_rec_bought_together(id, &q, &a) == SOUK_OK)
        souk__web_rec_section(req, b, "together-h", "Frequently bought together", "bought-together", &a);
}

/* The page of SLUG with its slots into RES (or the 404 page). Returns as souk__web_end. */
/* "Add to wishlist": the product as a whole or one option (sold-out ones too:
 * that is what back-in-stock alerts are for). Its CSRF field is the page's slot. */
static void wishlist_form(souk_buf *b, const json_t *prod, souk_arena *a)
{
    SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/account/wishlist/add\" class=\"wishlist-add\">\n"
                     "<input type=\"hidden\" name=\"csrf\" value=\"" SOUK__WEB_SLOT_CSRF "\">\n"
                     "<input type=\"hidden\" name=\"product\" value=\"");
    souk_html_text(b, json_string_value(json_object_get(prod, "id")));
    SOUK_HTML_LIT(b, "\">\n");
    const json_t *variants = json_object_get(prod, "variants");
    if (json_array_size(variants) > 1) {
        SOUK_HTML_LIT(b, "<div class=\"field\"><label for=\"wish-variant\">Option to wish for</label>"
                         "<select id=\"wish-variant\" name=\"variant\"><option value=\"\">Any option</option>");
        size_t i;
        const json_t *v;
        json_array_foreach(variants, i, v)
        {
            SOUK_HTML_LIT(b, "<option value=\"");
            souk_html_text(b, json_string_value(json_object_get(v, "id")));
            SOUK_HTML_LIT(b, "\">");
            const char *t = json_string_value(json_object_get(v, "title"));
            souk_html_text(b, t && t[0] ? t : json_string_value(json_object_get(v, "sku")));
            SOUK_HTML_LIT(b, "</option>");
        }
        SOUK_HTML_LIT(b, "</select></div>\n");
    }
    (void)a;
    SOUK_HTML_LIT(b, "<button type=\"submit\" class=\"secondary\">Add to wishlist</button>\n</form>\n");
}

static int render(souk_req *req, souk_res *res, const char *slug)
{
    json_t *prod = NULL;
    if (strlen(slug) > 100 || souk_catalog_check_slug(slug, strlen(slug)) ||
        souk_catalog_product_get_locale(req->store, slug, false, souk_req_translation(req), &prod) != SOUK_OK)
        return souk__web_error(req, res, 404, "No such product", "This product does not exist or is not for sale.");
    const char *title = json_string_value(json_object_get(prod, "title"));
    const char *desc = json_string_value(json_object_get(prod, "description"));
    const char *canon = souk_arena_printf(req->arena, "/p/%s", slug);
    const char *url = souk_arena_printf(req->arena, "%s%s", souk__web_origin(req), canon);
    souk__web_page p = {.req = req,
                        .res = res,
                        .title = title,
                        .description = desc && desc[0] ? summary(req, desc) : title,
                        .canonical = canon,
                        .hreflang = true,
                        .og_type = "product",
                        .session_slot = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    json_ld(req, b, prod, url);
    const json_t *cat = json_object_get(prod, "category");
    SOUK_HTML_LIT(b, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><ol><li><a href=\"/\">Home</a></li>");
    if (json_is_object(cat) && json_string_value(json_object_get(cat, "slug"))) {
        SOUK_HTML_LIT(b, "<li><a href=\"/c/");
        souk_html_query_value(b, json_string_value(json_object_get(cat, "slug")));
        SOUK_HTML_LIT(b, "\">");
        souk_html_text(b, json_string_value(json_object_get(cat, "name")));
        SOUK_HTML_LIT(b, "</a></li>");
    }
    SOUK_HTML_LIT(b, "<li><span aria-current=\"page\">");
    souk_html_text(b, title);
    SOUK_HTML_LIT(b, "</span></li></ol></nav>\n<article class=\"product\" data-product=\"");
    souk_html_text(b, json_string_value(json_object_get(prod, "id")));
    SOUK_HTML_LIT(b, "\">\n");
    souk__web_gallery(b, prod, title);
    /* in another locale than the default, the title and description are each its translation or, where
     * there is none, the default locale's text (the page's own texts are English): marked so, field by field */
    const char *title_lang = NULL, *desc_lang = NULL, *shown = souk_req_translation(req);
    int64_t pid = 0;
    const char *pref = json_string_value(json_object_get(prod, "id"));
    souk_i18n_locales l;
    if (shown && pref && souk_id_parse(SOUK_PREFIX_PRODUCT, pref, strlen(pref), &pid) == 0 &&
        souk_i18n_locales_read(req->store, &l) == SOUK_OK) {
        title_lang =
            souk_i18n_text(req->store, SOUK_I18N_PRODUCT, pid, "title", shown, NULL, req->arena) ? shown : l.tags[0];
        desc_lang = souk_i18n_text(req->store, SOUK_I18N_PRODUCT, pid, "description", shown, NULL, req->arena)
                        ? shown
                        : l.tags[0];
    }
    SOUK_HTML_LIT(b, "<div>\n<h1");
    if (title_lang) {
        SOUK_HTML_LIT(b, " lang=\"");
        souk_html_text(b, title_lang);
        SOUK_HTML_LIT(b, "\"");
    }
    SOUK_HTML_LIT(b, ">");
    souk_html_text(b, title);
    SOUK_HTML_LIT(b, "</h1>\n");
    const char *brand = json_string_value(json_object_get(json_object_get(prod, "brand"), "name"));
    if (brand) {
        SOUK_HTML_LIT(b, "<p class=\"muted\">by ");
        souk_html_text(b, brand);
        SOUK_HTML_LIT(b, "</p>\n");
    }
    if (json_integer_value(json_object_get(json_object_get(prod, "rating"), "count")) > 0) {
        SOUK_HTML_LIT(b, "<a class=\"to-reviews\" href=\"#reviews-h\">");
        souk__web_stars(b, json_object_get(prod, "rating"), false);
        SOUK_HTML_LIT(b, "</a>\n");
    }
    if (desc && desc[0]) {
        SOUK_HTML_LIT(b, "<div class=\"description\"");
        if (desc_lang) {
            SOUK_HTML_LIT(b, " lang=\"");
            souk_html_text(b, desc_lang);
            SOUK_HTML_LIT(b, "\"");
        }
        SOUK_HTML_LIT(b, "><p>");
        souk_html_text(b, desc);
        SOUK_HTML_LIT(b, "</p></div>\n");
    }
    SOUK_HTML_LIT(b, "</div>\n<div>\n<form method=\"post\" action=\"/cart/add\">\n"
                     "<input type=\"hidden\" name=\"csrf\" value=\"" SOUK__WEB_SLOT_CSRF "\">\n");
    const json_t *variants = json_object_get(prod, "variants");
    size_t i;
    const json_t *v;
    bool any = false, checked = false;
    const char *first_price = NULL;
    SOUK_HTML_LIT(b, "<fieldset><legend>Choose an option</legend>\n");
    json_array_foreach(variants, i, v)
    {
        const json_t *m = price_in(v, req->config->currency);
        const char *id = json_string_value(json_object_get(v, "id"));
        if (!m || !id)
            continue;
        int64_t n = available(req, v);
        souk_buf price;
        souk_buf_init(&price, 512);
        souk__web_price(&price, m);
        const char *ptext = souk_arena_strdup(req->arena, price.data ? price.data : "");
        souk_buf_release(&price);
        SOUK_HTML_LIT(b, "<div><input type=\"radio\" name=\"variant\" id=\"v");
        souk_html_int(b, (int64_t)i);
        SOUK_HTML_LIT(b, "\" value=\"");
        souk_html_text(b, id);
        SOUK_HTML_LIT(b, "\"");
        if (n > 0 && !checked) {
            SOUK_HTML_LIT(b, " checked");
            checked = true;
            first_price = ptext;
        }
        if (n <= 0)
            SOUK_HTML_LIT(b, " disabled");
        SOUK_HTML_LIT(b, "> <label for=\"v");
        souk_html_int(b, (int64_t)i);
        SOUK_HTML_LIT(b, "\">");
        souk_html_text(b, variant_label(req, v));
        SOUK_HTML_LIT(b, " — <span class=\"vprice\">");
        souk_buf_adds(b, ptext); /* escaped already */
        SOUK_HTML_LIT(b, "</span>");
        if (n > 0)
            SOUK_HTML_LIT(b, " <span class=\"stock-in\">In stock</span>");
        else
            SOUK_HTML_LIT(b, " <span class=\"stock-out\">Sold out</span>");
        SOUK_HTML_LIT(b, "</label></div>\n");
        any = true;
    }
    SOUK_HTML_LIT(b, "</fieldset>\n");
    if (first_price) {
        SOUK_HTML_LIT(b, "<p>Price: <span class=\"price\" id=\"variant-price\">");
        souk_buf_adds(b, first_price);
        SOUK_HTML_LIT(b, "</span></p>\n<div class=\"field\"><label for=\"quantity\">Quantity</label>"
                         "<input type=\"number\" id=\"quantity\" name=\"quantity\" value=\"1\" min=\"1\" max=\"999\" "
                         "required></div>\n<button type=\"submit\">Add to cart</button>\n");
    } else {
        SOUK_HTML_LIT(b, "<p class=\"stock-out\">");
        if (any)
            SOUK_HTML_LIT(b, "Sold out.");
        else
            SOUK_HTML_LIT(b, "Not available in this shop's currency.");
        SOUK_HTML_LIT(b, "</p>\n");
    }
    SOUK_HTML_LIT(b, "</form>\n");
    wishlist_form(b, prod, req->arena);
    SOUK_HTML_LIT(b, "</div>\n</article>\n");
    souk__web_reviews_section(req, b, prod, slug);
    recommendations(req, b, prod);
    json_decref(prod);
    return souk__web_end(&p);
}

/* RES's body: the page PAGE (LEN bytes) with its slots filled for this visitor (CSRF token CSRF;
 * the session meta when SIGNED_IN). 0, or SOUK_E_INTERNAL when the page overflows. */
static int fill(souk_res *res, const char *page, size_t len, const char *csrf, bool signed_in)
{
    static const char slot[] = "<!--souk:";
    souk_buf *b = &res->body;
    souk_buf_reset(b);
    const char *p = page, *end = page + len;
    while (p < end) {
        const char *s = memmem(p, (size_t)(end - p), slot, sizeof slot - 1);
        if (!s) {
            souk_buf_add(b, p, (size_t)(end - p));
            break;
        }
        souk_buf_add(b, p, (size_t)(s - p));
        size_t left = (size_t)(end - s);
        if (left >= strlen(SOUK__WEB_SLOT_CSRF) && memcmp(s, SOUK__WEB_SLOT_CSRF, strlen(SOUK__WEB_SLOT_CSRF)) == 0) {
            souk_html_text(b, csrf);
            p = s + strlen(SOUK__WEB_SLOT_CSRF);
        } else if (left >= strlen(SOUK__WEB_SLOT_SESSION) &&
                   memcmp(s, SOUK__WEB_SLOT_SESSION, strlen(SOUK__WEB_SLOT_SESSION)) == 0) {
            if (signed_in) {
                SOUK_HTML_LIT(b, "<meta name=\"souk-csrf\" content=\"");
                souk_html_text(b, csrf);
                SOUK_HTML_LIT(b, "\">");
            }
            p = s + strlen(SOUK__WEB_SLOT_SESSION);
        } else { /* not a slot of ours */
            souk_buf_add(b, s, sizeof slot - 1);
            p = s + sizeof slot - 1;
        }
    }
    if (souk_buf_failed(b))
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    return 0;
}

int souk_web_product(souk_req *req, souk_res *res)
{
    const char *slug = req->params[0];
    const char *csrf = souk__web_csrf_token(req, res);
    souk_principal who;
    bool signed_in = souk__web_user(req, &who) == 0;
    const char *key = req->locale ? souk_arena_printf(req->arena, "web:/p/%s\n%s", slug, req->locale) /* per locale */
                                  : souk_arena_printf(req->arena, "web:/p/%s", slug);
    if (!key || strlen(slug) > 100)
        return render(req, res, slug); /* the 404 page */
    size_t klen = strlen(key);
    souk_cached c;
    if (souk_cache_get(key, klen, &c, req->arena)) {
        res->content_type = SOUK__WEB_HTML;
        res->cache_control = "no-store";
        return fill(res, c.body, c.body_len, csrf, signed_in);
    }
    souk_cache_stamp stamp = souk_cache_stamp_now(); /* before reading what the page shows */
    int64_t now = souk_time_now_us(), edge = souk_catalog_flash_next_edge(req->store, now);
    int rc = render(req, res, slug);
    if (rc != 0 || (res->status != 0 && res->status != 200))
        return rc;
    char *page = souk_arena_alloc(req->arena, res->body.len ? res->body.len : 1);
    if (!page)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    size_t len = res->body.len;
    memcpy(page, res->body.data, len);
    souk_cached in = {.status = 200,
                      .tags = SOUK_CACHE_TAG_STOCK | SOUK_CACHE_TAG_RECS,
                      .body = page,
                      .body_len = len,
                      .etag = "\"\"", /* never sent: the page goes out filled, no-store */
                      .content_type = SOUK__WEB_HTML,
                      .cache_control = "no-store",
                      /* prices move at a flash sale's edge: the page is not kept past it */
                      .ttl_s = edge ? (int)((edge - now) / 1000000 < 86400 ? (edge - now) / 1000000 : 86400) : 0};
    if (!edge || in.ttl_s > 0)
        souk_cache_put(key, klen, stamp, &in);
    res->cache_control = "no-store";
    return fill(res, page, len, csrf, signed_in);
}
