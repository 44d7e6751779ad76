/*
 * cart.c — the cart page and its two forms. A browser's cart is a guest
 * cart (cart/cart.h) whose token is kept in the souk_cart cookie
 * (HttpOnly, SameSite=Lax, 7 days like the cart itself); the forms change
 * it through the cart module's own functions, on the group committer like
 * the JSON API's cart routes, and answer 303 to /cart (post/redirect/get).
 */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "cart/api.h"
#include "cart/cart.h"
#include "core/id.h"
#include "core/query.h"
#include "core/banned.h"

#define CART_MAX_AGE (7L * 24 * 3600)

static const char *notice_text(const char *m)
{
    if (!m)
        return NULL;
    if (strcmp(m, "added") == 0)
        return "Added to your cart.";
    if (strcmp(m, "updated") == 0)
        return "Your cart was updated.";
    if (strcmp(m, "removed") == 0)
        return "The item was removed from your cart.";
    if (strcmp(m, "coupon") == 0)
        return "The coupon was applied.";
    if (strcmp(m, "nocoupon") == 0)
        return "The coupon was removed.";
    if (strcmp(m, "shipping") == 0)
        return "The delivery method was changed.";
    if (strcmp(m, "notmerged") == 0)
        return "You are signed in. Your earlier cart could not be added to your account's cart (it would hold too "
               "many items), so this is your account's cart.";
    return NULL;
}

void souk__web_cart_table(souk_buf *b, const json_t *cart, const char *csrf)
{
    SOUK_HTML_LIT(b,
                  "<div class=\"table-wrap\" role=\"region\" aria-label=\"Items\" tabindex=\"0\">\n<table>\n"
                  "<caption class=\"visually-hidden\">Items</caption>\n"
                  "<thead><tr><th scope=\"col\">Item</th><th scope=\"col\" class=\"num\">Price</th>"
                  "<th scope=\"col\">Quantity</th><th scope=\"col\" class=\"num\">Total</th></tr></thead>\n<tbody>\n");
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(cart, "lines"), i, l)
    {
        const char *vid = json_string_value(json_object_get(l, "variant_id"));
        SOUK_HTML_LIT(b, "<tr><td>");
        souk_html_text(b, json_string_value(json_object_get(l, "product_title")));
        const char *vt = json_string_value(json_object_get(l, "variant_title"));
        if (vt && vt[0]) {
            SOUK_HTML_LIT(b, " <span class=\"muted\">(");
            souk_html_text(b, vt);
            SOUK_HTML_LIT(b, ")</span>");
        }
        const char *problem = json_string_value(json_object_get(l, "problem"));
        if (problem) {
            SOUK_HTML_LIT(b, "<br><span class=\"error\">");
            souk_html_text(b, problem);
            SOUK_HTML_LIT(b, "</span>");
        }
        SOUK_HTML_LIT(b, "</td><td class=\"num\">");
        souk_html_money_json(b, json_object_get(l, "unit_price"));
        SOUK_HTML_LIT(b, "</td><td>");
        if (csrf && vid) {
            SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/cart/update\">");
            souk__web_csrf_field(b, csrf);
            SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"variant\" value=\"");
            souk_html_text(b, vid);
            SOUK_HTML_LIT(b, "\"><label class=\"visually-hidden\" for=\"qty");
            souk_html_int(b, (int64_t)i);
            SOUK_HTML_LIT(b, "\">Quantity of ");
            souk_html_text(b, json_string_value(json_object_get(l, "product_title")));
            SOUK_HTML_LIT(b,
                          "</label><input type=\"number\" min=\"0\" max=\"999\" size=\"4\" name=\"quantity\" id=\"qty");
            souk_html_int(b, (int64_t)i);
            SOUK_HTML_LIT(b, "\" value=\"");
            souk_html_int(b, json_integer_value(json_object_get(l, "quantity")));
            SOUK_HTML_LIT(b, "\"> <button type=\"submit\" class=\"secondary\">Update</button> "
                             "<button type=\"submit\" class=\"secondary\" name=\"remove\" value=\"1\">Remove</button>"
                             "</form>");
        } else {
            souk_html_int(b, json_integer_value(json_object_get(l, "quantity")));
        }
        SOUK_HTML_LIT(b, "</td><td class=\"num\">");
        souk_html_money_json(b, json_object_get(l, "line_total"));
        SOUK_HTML_LIT(b, "</td></tr>\n");
    }
    SOUK_HTML_LIT(b, "</tbody>\n<tfoot>\n");
    static const char *const rows[][2] = {{"subtotal", "Subtotal"},
                                          {"discount", "Discount"},
                                          {"shipping", "Shipping"},
                                          {"tax", "Tax"},
                                          {"total", "Total"}};
    const json_t *t = json_object_get(cart, "totals");
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        SOUK_HTML_LIT(b, "<tr><th scope=\"row\" colspan=\"3\">");
        souk_html_text(b, rows[r][1]);
        SOUK_HTML_LIT(b, "</th><td class=\"num\">");
        souk_html_money_json(b, json_object_get(t, rows[r][0]));
        SOUK_HTML_LIT(b, "</td></tr>\n");
    }
    SOUK_HTML_LIT(b, "</tfoot>\n</table>\n</div>\n");
}

static const char *option_error(const char *e)
{
    if (!e)
        return NULL;
    if (strcmp(e, "coupon") == 0)
        return "That coupon code is not valid for this cart (unknown, expired, used up, or in another currency).";
    if (strcmp(e, "shipping") == 0)
        return "That delivery method is not available.";
    return NULL;
}

/* the coupon form and the delivery choice under the cart's table */
static void cart_options(souk_req *req, souk_buf *b, const json_t *cart, const char *csrf, const char *e)
{
    const char *err = option_error(e);
    const char *coupon = json_string_value(json_object_get(cart, "coupon"));
    SOUK_HTML_LIT(b, "<div class=\"cart-options\">\n<form method=\"post\" action=\"/cart/coupon\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    if (coupon) {
        SOUK_HTML_LIT(b, "<p>Coupon <strong id=\"coupon-code\">");
        souk_html_text(b, coupon);
        SOUK_HTML_LIT(b, "</strong>");
        if (!json_is_true(json_object_get(json_object_get(cart, "totals"), "coupon_applied")))
            SOUK_HTML_LIT(b, " (does not apply to this cart now)");
        SOUK_HTML_LIT(b, " <button type=\"submit\" class=\"secondary\" name=\"remove\" value=\"1\">Remove the "
                         "coupon</button></p>\n");
    } else {
        souk__web_field(b, &(souk__web_input){.name = "code",
                                              .label = "Coupon code",
                                              .autocomplete = "off",
                                              .max = 32,
                                              .error = e && strcmp(e, "coupon") == 0 ? err : NULL});
        SOUK_HTML_LIT(b, "<button type=\"submit\" class=\"secondary\">Apply</button>\n");
    }
    SOUK_HTML_LIT(b, "</form>\n");
    /* the shop's active delivery methods, as the public list gives them (read here: the list's
       handler would render JSON only for this page to parse it again) */
    json_t *methods = souk_cart_shipping_active(req->store);
    const char *chosen = json_string_value(json_object_get(cart, "shipping_method"));
    const char *cur = json_string_value(json_object_get(cart, "currency"));
    if (json_array_size(methods)) {
        SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/cart/shipping\">\n");
        souk__web_csrf_field(b, csrf);
        SOUK_HTML_LIT(b, "<fieldset><legend>Delivery</legend>\n");
        if (e && strcmp(e, "shipping") == 0) {
            SOUK_HTML_LIT(b, "<p class=\"error\">");
            souk_html_text(b, err);
            SOUK_HTML_LIT(b, "</p>\n");
        }
        size_t i;
        const json_t *m;
        json_array_foreach(methods, i, m)
        {
            const char *code = json_string_value(json_object_get(m, "code"));
            const json_t *price = json_object_get(m, "price");
            const char *pc = json_string_value(json_object_get(price, "currency"));
            if (!code || (cur && pc && strcmp(cur, pc) != 0)) /* a method in another currency cannot ship it */
                continue;
            SOUK_HTML_LIT(b, "<div><input type=\"radio\" name=\"method\" id=\"ship-");
            souk_html_int(b, (int64_t)i);
            SOUK_HTML_LIT(b, "\" value=\"");
            souk_html_text(b, code);
            SOUK_HTML_LIT(b, "\"");
            if (chosen && strcmp(chosen, code) == 0)
                SOUK_HTML_LIT(b, " checked");
            SOUK_HTML_LIT(b, "> <label for=\"ship-");
            souk_html_int(b, (int64_t)i);
            SOUK_HTML_LIT(b, "\">");
            souk_html_text(b, json_string_value(json_object_get(m, "name")));
            SOUK_HTML_LIT(b, " — ");
            souk_html_money_json(b, price);
            const json_t *free_above = json_object_get(m, "free_above");
            if (json_is_object(free_above)) {
                SOUK_HTML_LIT(b, ", free from ");
                souk_html_money_json(b, free_above);
            }
            SOUK_HTML_LIT(b, "</label></div>\n");
        }
        SOUK_HTML_LIT(b, "<button type=\"submit\" class=\"secondary\">Update the delivery</button>\n</fieldset>\n"
                         "</form>\n");
    }
    json_decref(methods);
    SOUK_HTML_LIT(b, "</div>\n");
}

int souk_web_cart(souk_req *req, souk_res *res)
{
    res->cache_control = "no-store";
    const char *csrf = souk__web_csrf_token(req, res);
    int64_t id;
    json_t *cart = NULL;
    if (souk__web_cart_id(req, &id) == 0 && souk_cart_json(req->store, id, &cart) != SOUK_OK)
        cart = NULL;
    souk__web_page p = {.req = req,
                        .res = res,
                        .title = "Your cart",
                        .description =
                            "Your cart: change quantities, apply a coupon, choose the delivery and check out.",
                        /* crawlable: a crawler has no cart cookie and sees the empty cart, the same
                           for every one of them (ADR 0009) */
                        .canonical = "/cart"};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Your cart</h1>\n<div role=\"status\" aria-live=\"polite\">");
    const char *notice = notice_text(souk_query_get(&req->query, "m"));
    if (notice) {
        SOUK_HTML_LIT(b, "<p class=\"notice\">");
        souk_html_text(b, notice);
        SOUK_HTML_LIT(b, "</p>");
    }
    SOUK_HTML_LIT(b, "</div>\n");
    if (!cart || !json_array_size(json_object_get(cart, "lines"))) {
        SOUK_HTML_LIT(b, "<p>Your cart is empty. <a href=\"/\">Continue shopping</a></p>\n");
    } else {
        souk__web_cart_table(b, cart, csrf);
        cart_options(req, b, cart, csrf, souk_query_get(&req->query, "e"));
        SOUK_HTML_LIT(b, "<p><a class=\"button\" href=\"/checkout\">Check out</a> "
                         "<a href=\"/\">Continue shopping</a></p>\n");
    }
    json_decref(cart);
    return souk__web_end(&p);
}

/* variant and quantity of a cart form; answers 422 and returns -1 when bad */
static int line_fields(souk_req *req, souk_res *res, const souk_web_form *f, int64_t min_qty, int64_t *variant,
                       int64_t *qty)
{
    const char *v = souk_web_form_get(f, "variant"), *q = souk_web_form_get(f, "quantity");
    if (!v || souk_id_parse("var", v, strlen(v), variant) < 0) {
        souk__web_error(req, res, 422, "Choose an option", "Pick one of the product's options, then add it again.");
        return -1;
    }
    if (!q || souk_query_int(q, min_qty, SOUK_CART_MAX_QUANTITY, qty) < 0) {
        souk__web_error(req, res, 422, "Check the quantity",
                        souk_arena_printf(req->arena, "The quantity must be a whole number from %lld to %d.",
                                          (long long)min_qty, SOUK_CART_MAX_QUANTITY));
        return -1;
    }
    return 0;
}

static int change_failed(souk_req *req, souk_res *res, souk_err e, const souk_problems *pr)
{
    if (e == SOUK_E_VALIDATION)
        return souk__web_error(req, res, 422, "That could not be added",
                               pr->count ? pr->items[pr->count - 1].message : "This item cannot be bought now.");
    if (e == SOUK_E_NOT_FOUND)
        return souk__web_error(req, res, 404, "Not in your cart", "That item is not in your cart any more.");
    return souk__web_error(req, res, 503, "Your cart could not be changed", "Please try again in a moment.");
}

/* Adds (SET: sets) QTY of VARIANT in cart ID as the cart API does, then
 * sends the browser back to the cart at THEN; a refusal is explained. */
static int put_line(souk_req *req, souk_res *res, int64_t id, int64_t variant, int64_t qty, bool set, const char *then)
{
    json_t *j = NULL;
    souk_problems pr;
    souk_problems_init(&pr);
    souk_err e = souk_cart_put_line(req->store, id, variant, qty, set, req->arena, &pr, &j);
    json_decref(j);
    if (e)
        return change_failed(req, res, e, &pr);
    char ref[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "cart", souk_arena_strdup(req->arena, souk_id_format("cart", id, ref)));
    return souk__web_redirect(res, then);
}

int souk_web_cart_add(souk_req *req, souk_res *res)
{
    souk_web_form f;
    int64_t variant, qty, id;
    if (souk__web_form(req, res, &f) || line_fields(req, res, &f, 1, &variant, &qty))
        return 0;
    if (souk__web_cart_id(req, &id) < 0) {
        char token[64] = "";
        souk_principal who;
        bool user = souk__web_user(req, &who) == 0;
        souk_err e = souk_cart_create(req->store, user ? who.user_id : 0, req->config->currency, token, &id, NULL);
        if (e)
            return change_failed(req, res, e, &res->problems);
        if (!user)
            souk__web_set_cookie(req, res, SOUK__WEB_CART_COOKIE, token, "/", CART_MAX_AGE);
    }
    return put_line(req, res, id, variant, qty, false, "/cart?m=added");
}

int souk_web_cart_update(souk_req *req, souk_res *res)
{
    souk_web_form f;
    int64_t variant, qty, id;
    if (souk__web_form(req, res, &f))
        return 0;
    bool remove = souk_web_form_get(&f, "remove") != NULL;
    if (remove) {
        const char *v = souk_web_form_get(&f, "variant");
        if (!v || souk_id_parse("var", v, strlen(v), &variant) < 0)
            return souk__web_error(req, res, 422, "Not in your cart", "That item is not in your cart.");
        qty = 0;
    } else if (line_fields(req, res, &f, 0, &variant, &qty)) {
        return 0;
    }
    if (souk__web_cart_id(req, &id) < 0)
        return souk__web_error(req, res, 404, "Your cart is empty", "Your cart has expired or was never made.");
    return put_line(req, res, id, variant, qty, true, qty ? "/cart?m=updated" : "/cart?m=removed");
}

int souk_web_cart_coupon(souk_req *req, souk_res *res)
{
    souk_web_form f;
    int64_t id;
    if (souk__web_form(req, res, &f))
        return 0;
    if (souk__web_cart_id(req, &id) < 0)
        return souk__web_error(req, res, 404, "Your cart is empty", "Your cart has expired or was never made.");
    bool remove = souk_web_form_get(&f, "remove") != NULL;
    const char *code = souk_web_form_get(&f, "code");
    if (!remove && (!code || !code[0] || strlen(code) > 32))
        return souk__web_redirect(res, "/cart?e=coupon");
    souk_problems pr;
    souk_problems_init(&pr);
    souk_err e = souk_cart_coupon(req->store, id, remove ? NULL : code, req->arena, &pr);
    if (e == SOUK_E_VALIDATION)
        return souk__web_redirect(res, "/cart?e=coupon");
    if (e)
        return change_failed(req, res, e, &pr);
    char ref[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "cart", souk_arena_strdup(req->arena, souk_id_format("cart", id, ref)));
    return souk__web_redirect(res, remove ? "/cart?m=nocoupon" : "/cart?m=coupon");
}

int souk_web_cart_shipping(souk_req *req, souk_res *res)
{
    souk_web_form f;
    int64_t id;
    if (souk__web_form(req, res, &f))
        return 0;
    if (souk__web_cart_id(req, &id) < 0)
        return souk__web_error(req, res, 404, "Your cart is empty", "Your cart has expired or was never made.");
    const char *code = souk_web_form_get(&f, "method");
    if (!code || !code[0] || strlen(code) > 32)
        return souk__web_redirect(res, "/cart?e=shipping");
    souk_problems pr;
    souk_problems_init(&pr);
    souk_err e = souk_cart_update(req->store, id, NULL, NULL, code, req->arena, &pr);
    if (e == SOUK_E_VALIDATION)
        return souk__web_redirect(res, "/cart?e=shipping");
    if (e)
        return change_failed(req, res, e, &pr);
    char ref[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "cart", souk_arena_strdup(req->arena, souk_id_format("cart", id, ref)));
    return souk__web_redirect(res, "/cart?m=shipping");
}
