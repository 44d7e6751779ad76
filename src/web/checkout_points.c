/*
 * checkout_points.c — loyalty points on the checkout page (internal.h
 * souk__web_points): what a signed-in customer has and what this cart
 * takes (loyalty.h souk_loyalty_max_points: the available balance less
 * what has expired, at most the settings' share of the goods), and the
 * page priced with the points chosen, exactly as the quote and the
 * checkout price them (souk_loyalty_quote, then souk_cart_json_redeem).
 * The choice is a GET form (?points=N), so it works without script; the
 * shown total, and so the expected_total the checkout checks, include it.
 */
#include "web/internal.h"

#include "cart/cart.h"
#include "loyalty/loyalty.h"
#include "core/banned.h"

const char *souk__web_points_sentence(souk_req *req, const char *problem)
{
    char *s = souk_arena_printf(req->arena, "%s.", problem && problem[0] ? problem : "these points cannot be used");
    if (s && s[0] >= 'a' && s[0] <= 'z')
        s[0] = (char)(s[0] - 'a' + 'A');
    return s ? s : "These points cannot be used.";
}

static int64_t amount_of(const json_t *money)
{
    return json_integer_value(json_object_get(money, "amount"));
}

json_t *souk__web_points_price(souk_req *req, souk__web_points *offer, int64_t id, json_t *cart)
{
    const json_t *t = json_object_get(cart, "totals");
    const char *currency = json_string_value(json_object_get(cart, "currency"));
    int64_t goods = amount_of(json_object_get(t, "subtotal")) - amount_of(json_object_get(t, "discount"));
    souk_loyalty_balance bal;
    if (!currency || souk_loyalty_max_points(req->store, offer->user, currency, goods, &offer->max) != SOUK_OK ||
        souk_loyalty_balance_read(req->store, offer->user, &bal) != SOUK_OK)
        return cart; /* no offer: the page works without points */
    offer->available = bal.available;
    offer->currency = souk_arena_strdup(req->arena, currency);
    if (offer->asked <= 0 || offer->max <= 0)
        return cart;
    souk_problems pr;
    souk_problems_init(&pr);
    int64_t amount = 0;
    souk_err e = souk_loyalty_quote(req->store, offer->user, currency, goods, offer->asked, &amount, req->arena, &pr);
    json_t *priced = NULL;
    if (!e)
        e = souk_cart_json_redeem(req->store, id, offer->user, NULL, amount, &priced);
    if (e) {
        offer->error = pr.count ? souk__web_points_sentence(req, pr.items[0].message)
                                : "The points could not be priced now; try again.";
        return cart;
    }
    json_decref(cart);
    offer->used = offer->asked;
    offer->amount = amount;
    return priced;
}

void souk__web_points_form(souk_buf *b, const souk__web_points *offer, const char *address)
{
    if (offer->max <= 0 && !offer->error)
        return;
    SOUK_HTML_LIT(b, "<section aria-labelledby=\"points-h\"><h2 id=\"points-h\">Loyalty points</h2>\n<p>You have ");
    souk_html_int(b, offer->available);
    if (offer->available == 1)
        SOUK_HTML_LIT(b, " point");
    else
        SOUK_HTML_LIT(b, " points");
    if (offer->max > 0) {
        SOUK_HTML_LIT(b, "; up to ");
        souk_html_int(b, offer->max);
        SOUK_HTML_LIT(b, " can pay for this order.");
    } else {
        SOUK_HTML_LIT(b, "; none can pay for this order.");
    }
    if (offer->used > 0) {
        SOUK_HTML_LIT(b, " Using ");
        souk_html_int(b, offer->used);
        SOUK_HTML_LIT(b, ", worth ");
        souk_html_money(b, offer->amount, offer->currency);
        SOUK_HTML_LIT(b, " (in the discount above).");
    }
    SOUK_HTML_LIT(b, "</p>\n");
    if (offer->max > 0) {
        SOUK_HTML_LIT(b, "<form method=\"get\" action=\"/checkout\">\n");
        if (address) {
            SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"address\" value=\"");
            souk_html_text(b, address);
            SOUK_HTML_LIT(b, "\">\n");
        }
        SOUK_HTML_LIT(b, "<div class=\"field\"><label for=\"f-points\">Points to use</label>");
        if (offer->error) {
            SOUK_HTML_LIT(b, "<span class=\"error\" id=\"e-points\">");
            souk_html_text(b, offer->error);
            SOUK_HTML_LIT(b, "</span>");
        }
        SOUK_HTML_LIT(b,
                      "<input id=\"f-points\" name=\"points\" type=\"number\" inputmode=\"numeric\" min=\"0\" max=\"");
        souk_html_int(b, offer->max);
        SOUK_HTML_LIT(b, "\" value=\"");
        souk_html_int(b, offer->used);
        SOUK_HTML_LIT(b, "\"");
        if (offer->error)
            SOUK_HTML_LIT(b, " aria-invalid=\"true\" aria-describedby=\"e-points\"");
        SOUK_HTML_LIT(b, "></div>\n<button type=\"submit\" class=\"secondary\">Use these points</button>\n</form>\n");
    } else if (offer->error) {
        SOUK_HTML_LIT(b, "<p class=\"error\">");
        souk_html_text(b, offer->error);
        SOUK_HTML_LIT(b, "</p>\n");
    }
    SOUK_HTML_LIT(b, "</section>\n");
}
