/*
 * order.c — GET /order/{id}: the order confirmation. A guest's order opens
 * with its order token, which the checkout left in the souk_order cookie
 * (HttpOnly, Path=/order/, a day); the page reads the order through the
 * orders module's own handler (GET /api/v1/orders/{id} with X-Order-Token),
 * so it shows exactly what the API would, and nothing without the token.
 */
#include "web/internal.h"

#include <string.h>

#include "orders/api.h"
#include "core/banned.h"

int souk_web_order(souk_req *req, souk_res *res)
{
    res->cache_control = "no-store";
    const char *token = souk__web_cookie(req, SOUK__WEB_ORDER_COOKIE);
    if (!token)
        return souk__web_error(req, res, 404, "No such order",
                               "This order cannot be shown in this browser. The confirmation e-mail has its details.");
    souk_header h[1] = {{"x-order-token", token}};
    souk_req sub = souk__web_subrequest(req, h, 1, NULL, NULL);
    souk_res sres = {.status = 200};
    souk_buf_init(&sres.body, 4u << 20);
    souk_orders_api_get(&sub, &sres);
    json_t *o = sres.err ? NULL : souk__web_answer(&sres);
    souk_buf_release(&sres.body);
    json_decref(sres.json);
    if (!o)
        return souk__web_error(req, res, 404, "No such order",
                               "This order cannot be shown in this browser. The confirmation e-mail has its details.");
    const char *state = json_string_value(json_object_get(o, "state"));
    bool paid = state && strcmp(state, "pending_payment") != 0 && strcmp(state, "cancelled") != 0;
    souk__web_page p = {.req = req, .res = res, .title = "Order confirmation", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    if (paid)
        SOUK_HTML_LIT(b, "<h1>Thank you for your order</h1>\n<p role=\"status\">Your payment was received and your "
                         "order is confirmed.</p>\n");
    else
        SOUK_HTML_LIT(b, "<h1>Your order</h1>\n");
    SOUK_HTML_LIT(b, "<p>Order number: <strong id=\"order-id\">");
    souk_html_text(b, json_string_value(json_object_get(o, "id")));
    SOUK_HTML_LIT(b, "</strong><br>Status: ");
    souk_html_text(b, state);
    SOUK_HTML_LIT(b, "<br>Confirmation sent to: ");
    souk_html_text(b, json_string_value(json_object_get(o, "email")));
    SOUK_HTML_LIT(b, "</p>\n");
    if (json_is_null(json_object_get(o, "customer_id"))) {
        SOUK_HTML_LIT(b, "<p>To follow this order later, keep its number and this tracking code and enter them on "
                         "<a href=\"/track\">Track an order</a>: <code id=\"tracking-code\">");
        souk_html_text(b, token);
        SOUK_HTML_LIT(b, "</code></p>\n");
    }
    souk__web_cart_table(b, o, NULL);
    SOUK_HTML_LIT(b, "<p><a href=\"/\">Continue shopping</a></p>\n");
    json_decref(o);
    return souk__web_end(&p);
}
