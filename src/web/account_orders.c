/*
 * account_orders.c — a customer's orders (history, one order, a return
 * request) and tracking a guest's order by its number and tracking code.
 *
 * Every read and the return go through the orders module's handlers as the
 * signed-in customer (GET /api/v1/orders, GET /api/v1/orders/{id}, POST
 * /api/v1/orders/{id}/returns), so the pages show exactly what the API
 * would show them and nothing of another account (404). Tracking: the
 * guest types the order number and the tracking code (the order token the
 * confirmation page shows); the page checks them through GET
 * /api/v1/orders/{id} with X-Order-Token, then keeps the token in the
 * souk_order cookie and sends the browser to the confirmation page — the
 * token never goes into a URL.
 */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "orders/api.h"
#include "core/banned.h"

#define LIST_LIMIT "limit=50"
#define RETURN_LINES_MAX 20

static void date_of(souk_buf *b, const json_t *at)
{
    const char *s = json_string_value(at);
    if (s && strlen(s) >= 10)
        souk_html_textn(b, s, 10);
}

int souk_web_orders(souk_req *req, souk_res *res)
{
    res->cache_control = "no-store";
    souk_principal who;
    if (souk__web_require_user(req, res, &who, "/account/orders"))
        return 0;
    souk__web_call c;
    souk__web_call_run(req, NULL, souk_orders_api_list, &who, NULL, NULL, 0, NULL, LIST_LIMIT, &c);
    if (c.err || !c.answer) {
        souk__web_call_done(&c);
        return souk__web_error(req, res, 503, "Your orders could not be shown", "Please try again in a moment.");
    }
    souk__web_page p = {.req = req, .res = res, .title = "Your orders", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Your orders</h1>\n");
    const json_t *data = json_object_get(c.answer, "data");
    if (!json_array_size(data)) {
        SOUK_HTML_LIT(b, "<p>You have no orders yet. <a href=\"/\">Start shopping</a></p>\n");
    } else {
        SOUK_HTML_LIT(b, "<div class=\"table-wrap\" role=\"region\" aria-label=\"Orders\" tabindex=\"0\">\n<table>\n"
                         "<caption class=\"visually-hidden\">Your orders, newest first</caption>\n"
                         "<thead><tr><th scope=\"col\">Order</th><th scope=\"col\">Date</th>"
                         "<th scope=\"col\">Status</th><th scope=\"col\" class=\"num\">Total</th></tr></thead>\n"
                         "<tbody>\n");
        size_t i;
        const json_t *o;
        json_array_foreach(data, i, o)
        {
            const char *id = json_string_value(json_object_get(o, "id"));
            if (!id)
                continue;
            SOUK_HTML_LIT(b, "<tr><td><a href=\"/account/orders/");
            souk_html_query_value(b, id);
            SOUK_HTML_LIT(b, "\">");
            souk_html_text(b, id);
            SOUK_HTML_LIT(b, "</a></td><td>");
            date_of(b, json_object_get(o, "created_at"));
            SOUK_HTML_LIT(b, "</td><td>");
            souk_html_text(b, json_string_value(json_object_get(o, "state")));
            SOUK_HTML_LIT(b, "</td><td class=\"num\">");
            souk_html_money_json(b, json_object_get(json_object_get(o, "totals"), "total"));
            SOUK_HTML_LIT(b, "</td></tr>\n");
        }
        SOUK_HTML_LIT(b, "</tbody>\n</table>\n</div>\n");
    }
    SOUK_HTML_LIT(b, "<p><a href=\"/account\">Back to your account</a></p>\n");
    souk__web_call_done(&c);
    return souk__web_end(&p);
}

static const char *order_message(const char *m)
{
    if (m && strcmp(m, "return") == 0)
        return "Your return request was sent. We will e-mail you when it is approved.";
    if (m && strcmp(m, "placed") == 0)
        return "Thank you for your order. Your payment was received and your order is confirmed.";
    return NULL;
}

/* the return form: each delivered line with some left to return */
static void return_form(souk_buf *b, const json_t *o, const char *csrf)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    size_t i;
    const json_t *l;
    int shown = 0;
    json_array_foreach(json_object_get(o, "lines"), i, l)
    {
        json_int_t left = json_integer_value(json_object_get(l, "fulfilled_quantity")) -
                          json_integer_value(json_object_get(l, "returned_quantity"));
        const char *vid = json_string_value(json_object_get(l, "variant_id"));
        if (left <= 0 || !vid || i >= RETURN_LINES_MAX)
            continue;
        if (!shown++) {
            SOUK_HTML_LIT(b, "<h2>Return items</h2>\n<form method=\"post\" action=\"/account/orders/");
            souk_html_query_value(b, id);
            SOUK_HTML_LIT(b, "/return\">\n");
            souk__web_csrf_field(b, csrf);
        }
        SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"v_");
        souk_html_int(b, (int64_t)i);
        SOUK_HTML_LIT(b, "\" value=\"");
        souk_html_text(b, vid);
        SOUK_HTML_LIT(b, "\">\n<div class=\"field\"><label for=\"f-q_");
        souk_html_int(b, (int64_t)i);
        SOUK_HTML_LIT(b, "\">How many of ");
        souk_html_text(b, json_string_value(json_object_get(l, "product_title")));
        SOUK_HTML_LIT(b, " to return (up to ");
        souk_html_int(b, left);
        SOUK_HTML_LIT(b, ")</label><input type=\"number\" id=\"f-q_");
        souk_html_int(b, (int64_t)i);
        SOUK_HTML_LIT(b, "\" name=\"q_");
        souk_html_int(b, (int64_t)i);
        SOUK_HTML_LIT(b, "\" min=\"0\" max=\"");
        souk_html_int(b, left);
        SOUK_HTML_LIT(b, "\" value=\"0\"></div>\n");
    }
    if (shown)
        SOUK_HTML_LIT(b, "<div class=\"field\"><label for=\"f-reason\">Why are you returning them? (optional)</label>"
                         "<input id=\"f-reason\" name=\"reason\" type=\"text\" maxlength=\"200\" value=\"\"></div>\n"
                         "<button type=\"submit\">Request a return</button>\n</form>\n");
}

static void returns_list(souk_buf *b, const json_t *o)
{
    const json_t *rs = json_object_get(o, "returns");
    if (!json_array_size(rs))
        return;
    SOUK_HTML_LIT(b, "<h2>Returns</h2>\n<ul class=\"returns\">\n");
    size_t i;
    const json_t *r;
    json_array_foreach(rs, i, r)
    {
        SOUK_HTML_LIT(b, "<li>");
        souk_html_text(b, json_string_value(json_object_get(r, "id")));
        SOUK_HTML_LIT(b, ": ");
        souk_html_text(b, json_string_value(json_object_get(r, "state")));
        SOUK_HTML_LIT(b, ", asked on ");
        date_of(b, json_object_get(r, "created_at"));
        const char *reason = json_string_value(json_object_get(r, "reason"));
        if (reason && reason[0]) {
            SOUK_HTML_LIT(b, " (");
            souk_html_text(b, reason);
            SOUK_HTML_LIT(b, ")");
        }
        SOUK_HTML_LIT(b, "</li>\n");
    }
    SOUK_HTML_LIT(b, "</ul>\n");
}

static void address_block(souk_buf *b, const json_t *a)
{
    static const char *const keys[] = {"name", "line1", "line2", "city", "postal_code", "region", "country"};
    SOUK_HTML_LIT(b, "<h2>Delivery address</h2>\n<address>");
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *v = json_string_value(json_object_get(a, keys[k]));
        if (v && v[0]) {
            souk_html_text(b, v);
            SOUK_HTML_LIT(b, "<br>");
        }
    }
    SOUK_HTML_LIT(b, "</address>\n");
}

/* the order page for the answer O (an order the customer may see) */
static int order_page(souk_req *req, souk_res *res, const json_t *o, const char *notice, bool bad, int status)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    const char *id = json_string_value(json_object_get(o, "id"));
    souk__web_page p = {.req = req, .res = res, .title = "Your order", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Order <span id=\"order-id\">");
    souk_html_text(b, id);
    SOUK_HTML_LIT(b, "</span></h1>\n");
    souk__web_notice(b, notice, bad);
    SOUK_HTML_LIT(b, "<p>Placed on ");
    date_of(b, json_object_get(o, "created_at"));
    SOUK_HTML_LIT(b, "<br>Status: <strong id=\"order-state\">");
    souk_html_text(b, json_string_value(json_object_get(o, "state")));
    SOUK_HTML_LIT(b, "</strong></p>\n");
    souk__web_cart_table(b, o, NULL);
    address_block(b, json_object_get(o, "shipping_address"));
    returns_list(b, o);
    const char *state = json_string_value(json_object_get(o, "state"));
    if (state && strcmp(state, "delivered") == 0)
        return_form(b, o, csrf);
    else
        SOUK_HTML_LIT(b, "<p class=\"muted\">Items can be returned once the order is delivered.</p>\n");
    SOUK_HTML_LIT(b, "<p><a href=\"/account/orders\">All your orders</a></p>\n");
    return souk__web_end(&p);
}

/* the order of path parameter 0, as WHO sees it, into C (C->answer NULL: none) */
static void load(souk_req *req, const souk_principal *who, souk__web_call *c)
{
    const char *id = req->nparams ? req->params[0] : NULL;
    int64_t n;
    if (!id || souk_id_parse("ord", id, strlen(id), &n) < 0) {
        memset(c, 0, sizeof *c);
        c->err = SOUK_E_NOT_FOUND;
        return;
    }
    souk__web_call_run(req, NULL, souk_orders_api_get, who, NULL, NULL, 0, id, NULL, c);
}

int souk_web_account_order(souk_req *req, souk_res *res)
{
    res->cache_control = "no-store";
    souk_principal who;
    const char *here = req->nparams ? souk_arena_printf(req->arena, "/account/orders/%s", req->params[0]) : NULL;
    if (souk__web_require_user(req, res, &who, here))
        return 0;
    souk__web_call c;
    load(req, &who, &c);
    int rc = c.answer ? order_page(req, res, c.answer, order_message(souk_query_get(&req->query, "m")), false, 200)
                      : souk__web_error(req, res, 404, "No such order", "This order is not one of yours.");
    souk__web_call_done(&c);
    return rc;
}

int souk_web_account_return(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    souk_principal who;
    if (souk__web_user(req, &who) < 0)
        return souk__web_error(req, res, 401, "Please sign in", "Sign in again, then request the return.");
    json_t *lines = json_array();
    for (int i = 0; i < RETURN_LINES_MAX; i++) {
        char vk[16], qk[16];
        snprintf(vk, sizeof vk, "v_%d", i);
        snprintf(qk, sizeof qk, "q_%d", i);
        const char *v = souk_web_form_get(&f, vk), *q = souk_web_form_get(&f, qk);
        int64_t qty;
        if (!v || !q || !q[0])
            continue;
        if (souk_query_int(q, 0, 999, &qty) < 0) {
            json_decref(lines);
            return souk__web_error(req, res, 422, "Check the quantities",
                                   "Each quantity must be a whole number from 0 to what was delivered.");
        }
        if (qty > 0)
            json_array_append_new(lines, json_pack("{s:s,s:I}", "variant_id", v, "quantity", (json_int_t)qty));
    }
    if (!json_array_size(lines)) {
        json_decref(lines);
        return souk__web_error(req, res, 422, "Nothing to return", "Choose how many of an item to return.");
    }
    json_t *body = json_pack("{s:o}", "lines", lines);
    const char *reason = souk_web_form_get(&f, "reason");
    if (body && reason && reason[0])
        json_object_set_new(body, "reason", json_string(reason));
    const char *id = req->nparams ? req->params[0] : "";
    souk__web_call c;
    souk__web_call_run(req, res, souk_orders_api_return_request, &who, body, NULL, 0, id, NULL, &c);
    int rc;
    if (!c.err)
        rc = souk__web_redirect(res, souk_arena_printf(req->arena, "/account/orders/%s?m=return", id));
    else if (c.err == SOUK_E_NOT_FOUND)
        rc = souk__web_error(req, res, 404, "No such order", "This order is not one of yours.");
    else if (c.err == SOUK_E_VALIDATION)
        rc = souk__web_error(req, res, 422, "That return could not be asked for",
                             souk__web_call_problem(req, &c, "Check the quantities."));
    else if (c.err == SOUK_E_INVALID_STATE)
        rc = souk__web_error(req, res, 409, "That order cannot be returned now",
                             "Items can be returned once the order is delivered.");
    else
        rc = souk__web_error(req, res, 503, "The return could not be asked for", "Please try again in a moment.");
    souk__web_call_done(&c);
    return rc;
}

/* ---- tracking a guest's order ---- */

static int track_page(souk_req *req, souk_res *res, const char *notice, const char *order, int status)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Track an order", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Track an order</h1>\n");
    souk__web_notice(b, notice, notice != NULL);
    SOUK_HTML_LIT(b, "<p>Bought as a guest? Enter the order number and the tracking code from your confirmation. "
                     "With an account, <a href=\"/account/orders\">your orders</a> are listed for you.</p>\n"
                     "<form method=\"post\" action=\"/track\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    souk__web_field(b, &(souk__web_input){.name = "order",
                                          .label = "Order number",
                                          .value = order,
                                          .max = 40,
                                          .required = true,
                                          .help = "It starts with ord_."});
    souk__web_field(b, &(souk__web_input){.name = "token",
                                          .label = "Tracking code",
                                          .autocomplete = "off",
                                          .max = 80,
                                          .required = true,
                                          .help = "It starts with ot_."});
    SOUK_HTML_LIT(b, "<button type=\"submit\">Show the order</button>\n</form>\n");
    return souk__web_end(&p);
}

int souk_web_track(souk_req *req, souk_res *res)
{
    return track_page(req, res, NULL, NULL, 200);
}

int souk_web_track_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    const char *order = souk_web_form_get(&f, "order"), *token = souk_web_form_get(&f, "token");
    int64_t n;
    bool token_ok = token && strlen(token) > 3 && strlen(token) <= 80 && strncmp(token, "ot_", 3) == 0;
    for (const char *p = token; token_ok && *p; p++)
        token_ok =
            (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
    const char *nomatch = "No order matches that number and tracking code. Check both and try again.";
    if (!order || souk_id_parse("ord", order, strlen(order), &n) < 0 || !token_ok)
        return track_page(req, res, nomatch, order, 404);
    souk_header h[1] = {{"x-order-token", token}};
    souk__web_call c;
    souk__web_call_run(req, NULL, souk_orders_api_get, NULL, NULL, h, 1, order, NULL, &c);
    bool found = c.answer != NULL;
    souk__web_call_done(&c);
    if (!found)
        return track_page(req, res, nomatch, order, 404);
    souk__web_set_cookie(req, res, SOUK__WEB_ORDER_COOKIE, token, "/order/", 24L * 3600);
    return souk__web_redirect(res, souk_arena_printf(req->arena, "/order/%s", order));
}
