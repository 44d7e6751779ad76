/*
 * reviews.c — the product page's reviews (the approved ones, most helpful
 * first, with the product's average) and the form that writes one
 * (POST /p/{slug}/review, handled by the reviews context's API handler in
 * process: only a signed-in customer with a delivered order of the product
 * may review it, once).
 *
 * The section is part of the cached product page, so it holds nothing
 * personal: the form is there for everyone and the answer to a post says
 * who may review. A moderator's decision changes the catalog's content
 * version (ratings show in lists), which drops the cached page.
 */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "reviews/api.h"
#include "reviews/reviews.h"
#include "core/banned.h"

#define SHOWN 5       /* reviews on the product page */
#define TITLE_MAX 150 /* as the API's bounds (docs/reviews.md) */
#define BODY_MAX 5000

/* "1 December 2026" for an RFC 3339 time TEXT ("2026-12-01T…"); TEXT itself when it is not one. */
static const char *date_words(souk_req *req, const char *text)
{
    static const char *const months[] = {"January", "February", "March",     "April",   "May",      "June",
                                         "July",    "August",   "September", "October", "November", "December"};
    int y, m, d;
    if (!text || sscanf(text, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return text ? text : "";
    return souk_arena_printf(req->arena, "%d %s %d", d, months[m - 1], y);
}

static void one_review(souk_req *req, souk_buf *b, const json_t *r)
{
    json_int_t stars = json_integer_value(json_object_get(r, "rating"));
    const char *title = json_string_value(json_object_get(r, "title"));
    const char *body = json_string_value(json_object_get(r, "body"));
    json_int_t helpful = json_integer_value(json_object_get(r, "helpful"));
    SOUK_HTML_LIT(b, "<li class=\"review\"><p class=\"rating\"><span class=\"stars\" aria-hidden=\"true\">");
    for (json_int_t i = 0; i < 5; i++)
        souk_buf_adds(b, i < stars ? "\u2605" : "\u2606");
    SOUK_HTML_LIT(b, "</span> <span class=\"visually-hidden\">");
    souk_html_int(b, (int64_t)stars);
    SOUK_HTML_LIT(b, " out of 5 stars</span></p>");
    if (title) { /* NULL once its author's data was erased */
        SOUK_HTML_LIT(b, "<h3>");
        souk_html_text(b, title);
        SOUK_HTML_LIT(b, "</h3>");
    }
    if (body) {
        SOUK_HTML_LIT(b, "<p class=\"review-body\">");
        souk_html_text(b, body);
        SOUK_HTML_LIT(b, "</p>");
    }
    SOUK_HTML_LIT(b, "<p class=\"muted\">Verified purchase · ");
    souk_html_text(b, date_words(req, json_string_value(json_object_get(r, "created_at"))));
    if (helpful > 0) {
        SOUK_HTML_LIT(b, " · ");
        souk_html_int(b, (int64_t)helpful);
        souk_buf_adds(b, helpful == 1 ? " person found this helpful" : " people found this helpful");
    }
    SOUK_HTML_LIT(b, "</p></li>\n");
}

/* The review form, with VALUES (rating, title, body: NULL = empty) and
 * ERROR shown; CSRF is the token, or the page's slot. */
static void review_form(souk_buf *b, const char *slug, const char *csrf, const char *rating, const char *title,
                        const char *body, const char *error)
{
    SOUK_HTML_LIT(b, "<form class=\"review-form\" method=\"post\" action=\"/p/");
    souk_html_query_value(b, slug);
    SOUK_HTML_LIT(b, "/review\">\n<h3 id=\"write-h\">Write a review</h3>\n<p class=\"muted\">Customers who received "
                     "this product may review it once. Reviews appear after moderation.</p>\n");
    souk__web_notice(b, error, true);
    SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    if (csrf)
        souk_html_text(b, csrf);
    else
        SOUK_HTML_LIT(b, SOUK__WEB_SLOT_CSRF);
    SOUK_HTML_LIT(b, "\">\n<fieldset class=\"stars-pick\"><legend>Your rating</legend>\n");
    for (int i = 5; i >= 1; i--) {
        char v[2] = {(char)('0' + i), 0};
        SOUK_HTML_LIT(b, "<div><input type=\"radio\" name=\"rating\" required id=\"rate");
        souk_html_int(b, i);
        SOUK_HTML_LIT(b, "\" value=\"");
        souk_html_int(b, i);
        SOUK_HTML_LIT(b, "\"");
        if (rating && strcmp(rating, v) == 0)
            SOUK_HTML_LIT(b, " checked");
        SOUK_HTML_LIT(b, "> <label for=\"rate");
        souk_html_int(b, i);
        SOUK_HTML_LIT(b, "\">");
        souk_html_int(b, i);
        souk_buf_adds(b, i == 1 ? " star" : " stars");
        SOUK_HTML_LIT(b, "</label></div>\n");
    }
    SOUK_HTML_LIT(b, "</fieldset>\n");
    souk__web_field(
        b, &(souk__web_input){
               .name = "title", .label = "Title", .type = "text", .value = title, .max = TITLE_MAX, .required = true});
    SOUK_HTML_LIT(b, "<div class=\"field\"><label for=\"review-body\">Your review</label>"
                     "<textarea id=\"review-body\" name=\"body\" rows=\"5\" required maxlength=\"5000\">");
    if (body)
        souk_html_text(b, body);
    SOUK_HTML_LIT(b, "</textarea></div>\n<button type=\"submit\">Send the review</button>\n</form>\n");
}

void souk__web_reviews_section(souk_req *req, souk_buf *b, const json_t *prod, const char *slug)
{
    const char *pid = json_string_value(json_object_get(prod, "id"));
    int64_t id;
    json_t *page = NULL;
    if (!pid || souk_id_parse(SOUK_PREFIX_PRODUCT, pid, strlen(pid), &id) < 0 ||
        souk_reviews_product_json(req->store, id, SOUK_REVIEWS_SORT_HELPFUL, SHOWN, 0, &page) != SOUK_OK)
        page = NULL; /* the page still shows the product */
    SOUK_HTML_LIT(b, "<section class=\"reviews\" aria-labelledby=\"reviews-h\">\n<h2 id=\"reviews-h\">Reviews</h2>\n");
    souk__web_stars(b, json_object_get(prod, "rating"), true);
    const json_t *data = json_object_get(page, "data");
    if (json_array_size(data)) {
        SOUK_HTML_LIT(b, "<ul class=\"review-list\">\n");
        size_t i;
        const json_t *r;
        json_array_foreach(data, i, r) one_review(req, b, r);
        SOUK_HTML_LIT(b, "</ul>\n");
        json_int_t total = json_integer_value(json_object_get(page, "total"));
        if (total > SHOWN) {
            SOUK_HTML_LIT(b, "<p class=\"muted\">The ");
            souk_html_int(b, SHOWN);
            SOUK_HTML_LIT(b, " most helpful of ");
            souk_html_int(b, (int64_t)total);
            SOUK_HTML_LIT(b, " reviews.</p>\n");
        }
    }
    review_form(b, slug, NULL, NULL, NULL, NULL, NULL);
    SOUK_HTML_LIT(b, "</section>\n");
    json_decref(page);
}

/* The answer page to a review post: a notice, the form again when ERROR (with what was sent), a way back. */
static int answer(souk_req *req, souk_res *res, int status, const char *slug, const char *product_title,
                  const char *heading, const char *message, const souk_web_form *f, bool again)
{
    souk__web_page p;
    souk__web_plain_begin(&p, req, res, status, heading);
    souk__web_notice(p.b, message, status >= 400);
    if (again && f)
        review_form(p.b, slug, souk__web_csrf_token(req, res), souk_web_form_get(f, "rating"),
                    souk_web_form_get(f, "title"), souk_web_form_get(f, "body"), NULL);
    SOUK_HTML_LIT(p.b, "<p><a href=\"/p/");
    souk_html_query_value(p.b, slug);
    SOUK_HTML_LIT(p.b, "\">Back to ");
    souk_html_text(p.b, product_title ? product_title : "the product");
    SOUK_HTML_LIT(p.b, "</a></p>\n");
    return souk__web_end(&p);
}

int souk_web_review_post(souk_req *req, souk_res *res)
{
    const char *slug = req->nparams ? req->params[0] : "";
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    json_t *prod = NULL;
    if (strlen(slug) > 100 || souk_catalog_check_slug(slug, strlen(slug)) ||
        souk_catalog_product_get(req->store, slug, false, &prod) != SOUK_OK)
        return souk__web_error(req, res, 404, "No such product", "This product does not exist or is not for sale.");
    const char *pid = souk_arena_strdup(req->arena, json_string_value(json_object_get(prod, "id")));
    const char *ptitle = souk_arena_strdup(req->arena, json_string_value(json_object_get(prod, "title")));
    json_decref(prod);
    souk_principal who;
    if (souk__web_require_user(req, res, &who, souk_arena_printf(req->arena, "/p/%s#write-h", slug)) < 0)
        return 0; /* to the sign-in page, and back */
    const char *rating = souk_web_form_get(&f, "rating"), *title = souk_web_form_get(&f, "title"),
               *text = souk_web_form_get(&f, "body");
    int64_t stars;
    if (!rating || souk_query_int(rating, 1, 5, &stars) < 0)
        return answer(req, res, 422, slug, ptitle, "Check your review", "Choose a rating from 1 to 5 stars.", &f, true);
    if (!title || !title[0] || !text || !text[0])
        return answer(req, res, 422, slug, ptitle, "Check your review", "Give your review a title and a text.", &f,
                      true);
    json_t *body = json_pack("{s:I,s:s,s:s}", "rating", (json_int_t)stars, "title", title, "body", text);
    if (!body) /* not UTF-8 */
        return answer(req, res, 422, slug, ptitle, "Check your review", "The review holds characters we cannot read.",
                      &f, true);
    souk__web_call c;
    souk__web_call_run(req, res, souk_reviews_api_create, &who, body, NULL, 0, pid, NULL, &c);
    int rc;
    if (!c.err)
        rc = answer(req, res, 201, slug, ptitle, "Thank you for your review",
                    "Your review was received. It appears on the product page once a moderator has read it.", NULL,
                    false);
    else if (c.err == SOUK_E_FORBIDDEN)
        rc = answer(req, res, 403, slug, ptitle, "You cannot review this product yet",
                    "Only a customer who received this product in a delivered order may review it.", NULL, false);
    else if (c.err == SOUK_E_CONFLICT)
        rc = answer(req, res, 409, slug, ptitle, "You have reviewed this product already",
                    "Each customer may review a product once.", NULL, false);
    else if (c.err == SOUK_E_VALIDATION)
        rc = answer(req, res, 422, slug, ptitle, "Check your review",
                    souk__web_call_problem(req, &c, "Please check the fields."), &f, true);
    else if (c.err == SOUK_E_UNAUTHORIZED)
        rc = souk__web_redirect(res, "/account/signin");
    else
        rc = answer(req, res, 503, slug, ptitle, "Your review could not be sent", "Please try again in a moment.", NULL,
                    false);
    souk__web_call_done(&c);
    return rc;
}
