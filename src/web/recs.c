/*
 * recs.c — recommended products on the storefront's pages: the section the
 * product page (similar, bought together) and the home page (trending) show,
 * from the lists served in memory (recommend/service.h). "For you" is
 * per shopper, so the home page — one cached answer for everyone — leaves an
 * empty section that site.js fills from GET /api/v1/recommendations/for-you.
 */
#include "web/internal.h"

#include "catalog/catalog.h"
#include "recommend/service.h"
#include "core/banned.h"

void souk__web_rec_section(souk_req *req, souk_buf *b, const char *id, const char *title, const char *list,
                           const struct souk_rec_answer *a)
{
    if (!a->count)
        return;
    int64_t ids[SOUK_REC_LIMIT_MAX];
    for (size_t i = 0; i < a->count; i++)
        ids[i] = a->items[i].item;
    souk_buf json;
    souk_buf_init(&json, 1 << 20);
    json_t *cards = NULL;
    if (souk_catalog_summaries_write(req->store, ids, a->count, NULL, req->config->currency, req->arena, &json, NULL) ==
            SOUK_OK &&
        !souk_buf_failed(&json))
        cards = json_loadb(json.data, json.len, 0, NULL);
    souk_buf_release(&json);
    if (json_array_size(cards)) {
        SOUK_HTML_LIT(b, "<section class=\"recs\" aria-labelledby=\"");
        souk_html_text(b, id);
        SOUK_HTML_LIT(b, "\" data-list=\"");
        souk_html_text(b, list);
        SOUK_HTML_LIT(b, "\"");
        if (a->model_version) {
            SOUK_HTML_LIT(b, " data-model=\"");
            souk_html_int(b, a->model_version);
            SOUK_HTML_LIT(b, "\"");
        }
        SOUK_HTML_LIT(b, "><h2 id=\"");
        souk_html_text(b, id);
        SOUK_HTML_LIT(b, "\">");
        souk_html_text(b, title);
        SOUK_HTML_LIT(b, "</h2>\n<ul class=\"grid\">\n");
        size_t i;
        const json_t *c;
        json_array_foreach(cards, i, c) souk__web_card(b, c);
        SOUK_HTML_LIT(b, "</ul>\n</section>\n");
    }
    json_decref(cards);
}
