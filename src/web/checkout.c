/*
 * checkout.c — the guest checkout form and its submission.
 *
 * A signed-in customer (the souk_session cookie) checks out their own
 * cart as themselves, the form filled in from the account and their
 * default saved address (else their last order's), with their other saved
 * addresses offered by a small GET form (?address=adr_…, no script needed),
 * and lands on the order's page in their account.
 *
 * GET /checkout renders the cart, the address form and the test gateway's
 * card field, with a hidden Idempotency-Key made for this rendering and
 * the total shown (expected_total). POST /checkout validates the fields
 * (errors inline, 422) and then calls the orders module's checkout handler
 * in process, as POST /api/v1/checkout with that key and the cart cookie's
 * token: a double-click sends the same key and the same body, so the
 * second submit gets the first one's stored answer (no second order, no
 * second charge). A paid order answers 303 to its confirmation page and
 * leaves its order token in an HttpOnly cookie (never in the URL); 402 and
 * 409 come back as the form with the reason in words.
 *
 * Loyalty points (checkout_points.c): the page priced with the points a
 * signed-in customer chose (?points=N), and the form carries
 * loyalty_points=N to the checkout, which spends them in its transaction
 * (race-safe and idempotent with the form's key, as the API).
 */
#include "web/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cart/cart.h"
#include "core/money.h"
#include "identity/api.h"
#include "loyalty/loyalty.h" /* SOUK_LOYALTY_POINTS_MAX */
#include "orders/api.h"
#include "core/banned.h"

enum { F_EMAIL, F_NAME, F_LINE1, F_LINE2, F_CITY, F_POSTAL, F_REGION, F_COUNTRY, F_CARD, F_COUNT };

static const struct {
    const char *name, *label, *type, *autocomplete;
    int max;
    bool optional;
} fields[F_COUNT] = {
    [F_EMAIL] = {"email", "E-mail", "email", "email", 254, false},
    [F_NAME] = {"name", "Full name", "text", "name", 200, false},
    [F_LINE1] = {"line1", "Address", "text", "address-line1", 200, false},
    [F_LINE2] = {"line2", "Address line 2 (optional)", "text", "address-line2", 200, true},
    [F_CITY] = {"city", "City", "text", "address-level2", 200, false},
    [F_POSTAL] = {"postal_code", "Postal code", "text", "postal-code", 200, false},
    [F_REGION] = {"region", "Region or state (optional)", "text", "address-level1", 200, true},
    [F_COUNTRY] = {"country", "Country code (two letters, e.g. GB)", "text", "country", 2, false},
    [F_CARD] = {"card", "Card number", "text", "cc-number", 19, false},
};

typedef struct checkout_form {
    const char *values[F_COUNT];
    const char *errors[F_COUNT];
    const char *notice; /* a message above the form */
    bool notice_bad;
    const char *key;         /* the Idempotency-Key to carry */
    const json_t *saved;     /* a signed-in customer's saved addresses (the API's data array), or NULL */
    const char *chosen;      /* the id of the saved address the form was filled from, or NULL */
    souk__web_points points; /* a signed-in customer's loyalty points (checkout_points.c) */
} checkout_form;

static const char *new_key(souk_req *req)
{
    unsigned char raw[16];
    char hex[33];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    return souk_arena_printf(req->arena, "web-%s", hex);
}

static void field(souk_buf *b, const checkout_form *cf, int i)
{
    SOUK_HTML_LIT(b, "<div class=\"field\"><label for=\"f-");
    souk_html_text(b, fields[i].name);
    SOUK_HTML_LIT(b, "\">");
    souk_html_text(b, fields[i].label);
    SOUK_HTML_LIT(b, "</label>");
    if (cf->errors[i]) {
        SOUK_HTML_LIT(b, "<span class=\"error\" id=\"e-");
        souk_html_text(b, fields[i].name);
        SOUK_HTML_LIT(b, "\">");
        souk_html_text(b, cf->errors[i]);
        SOUK_HTML_LIT(b, "</span>");
    }
    SOUK_HTML_LIT(b, "<input id=\"f-");
    souk_html_text(b, fields[i].name);
    SOUK_HTML_LIT(b, "\" name=\"");
    souk_html_text(b, fields[i].name);
    SOUK_HTML_LIT(b, "\" type=\"");
    souk_html_text(b, fields[i].type);
    SOUK_HTML_LIT(b, "\" autocomplete=\"");
    souk_html_text(b, fields[i].autocomplete);
    SOUK_HTML_LIT(b, "\" maxlength=\"");
    souk_html_int(b, fields[i].max);
    SOUK_HTML_LIT(b, "\"");
    if (i == F_CARD)
        SOUK_HTML_LIT(b, " inputmode=\"numeric\" aria-describedby=\"card-help\"");
    if (!fields[i].optional)
        SOUK_HTML_LIT(b, " required");
    if (cf->errors[i]) {
        SOUK_HTML_LIT(b, " aria-invalid=\"true\" aria-describedby=\"e-");
        souk_html_text(b, fields[i].name);
        SOUK_HTML_LIT(b, "\"");
    }
    SOUK_HTML_LIT(b, " value=\"");
    if (i != F_CARD)
        souk_html_text(b, cf->values[i]);
    SOUK_HTML_LIT(b, "\">");
    if (i == F_CARD)
        SOUK_HTML_LIT(b, "<span class=\"muted\" id=\"card-help\">Test gateway: 4242424242424242 pays, "
                         "4000000000000002 is declined.</span>");
    SOUK_HTML_LIT(b, "</div>\n");
}

/* the checkout page for the cart COOKIE names, with CF's values and errors */
static int render(souk_req *req, souk_res *res, checkout_form *cf, int status)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    int64_t id;
    json_t *cart = NULL;
    if (souk__web_cart_id(req, &id) == 0 && souk_cart_json(req->store, id, &cart) != SOUK_OK)
        cart = NULL;
    if (cart && cf->points.user)
        cart = souk__web_points_price(req, &cf->points, id, cart);
    if (!cart || !json_array_size(json_object_get(cart, "lines"))) {
        json_decref(cart);
        if (cf->notice) /* e.g. a stock failure that emptied nothing, yet the cart is gone */
            return souk__web_error(req, res, status == 200 ? 409 : status, "Checkout", cf->notice);
        return souk__web_error(req, res, 404, "Your cart is empty", "Add something to your cart before checking out.");
    }
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Checkout", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Checkout</h1>\n<div role=\"alert\">");
    if (cf->notice) {
        if (cf->notice_bad)
            SOUK_HTML_LIT(b, "<p class=\"notice bad\">");
        else
            SOUK_HTML_LIT(b, "<p class=\"notice\">");
        souk_html_text(b, cf->notice);
        SOUK_HTML_LIT(b, "</p>");
    }
    SOUK_HTML_LIT(b, "</div>\n<h2>Your order</h2>\n");
    souk__web_cart_table(b, cart, NULL);
    SOUK_HTML_LIT(b, "<p><a href=\"/cart\">Change the cart</a></p>\n");
    souk__web_saved_address_picker(b, cf->saved, cf->chosen);
    souk__web_points_form(b, &cf->points, cf->chosen);
    SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/checkout\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"idem\" value=\"");
    souk_html_text(b, cf->key);
    const json_t *total = json_object_get(json_object_get(cart, "totals"), "total");
    SOUK_HTML_LIT(b, "\">\n<input type=\"hidden\" name=\"expected_amount\" value=\"");
    souk_html_int(b, json_integer_value(json_object_get(total, "amount")));
    SOUK_HTML_LIT(b, "\">\n<input type=\"hidden\" name=\"expected_currency\" value=\"");
    souk_html_text(b, json_string_value(json_object_get(total, "currency")));
    if (cf->points.used > 0) {
        SOUK_HTML_LIT(b, "\">\n<input type=\"hidden\" name=\"loyalty_points\" value=\"");
        souk_html_int(b, cf->points.used);
    }
    SOUK_HTML_LIT(b, "\">\n<fieldset><legend>Contact</legend>\n");
    field(b, cf, F_EMAIL);
    SOUK_HTML_LIT(b, "</fieldset>\n<fieldset><legend>Shipping address</legend>\n");
    for (int i = F_NAME; i <= F_COUNTRY; i++)
        field(b, cf, i);
    SOUK_HTML_LIT(b, "</fieldset>\n<fieldset><legend>Payment</legend>\n");
    field(b, cf, F_CARD);
    SOUK_HTML_LIT(b, "</fieldset>\n<p>Total to pay: <strong>");
    souk_html_money_json(b, total);
    SOUK_HTML_LIT(b, "</strong></p>\n<button type=\"submit\">Place order and pay</button>\n</form>\n");
    json_decref(cart);
    return souk__web_end(&p);
}

/* The signed-in customer's saved addresses into CF->saved (kept in *KEEP: decref it), or none. */
static void saved_addresses(souk_req *req, const souk_principal *who, checkout_form *cf, json_t **keep)
{
    souk__web_call c;
    souk__web_call_run(req, NULL, souk_identity_api_addresses, who, NULL, NULL, 0, NULL, NULL, &c);
    *keep = c.err ? NULL : json_incref(c.answer);
    cf->saved = json_object_get(*keep, "data");
    souk__web_call_done(&c);
}

/* A signed-in customer's form starts filled in: the e-mail and name of the
 * account, and the saved address WANT names (?address=), else the default
 * one, else the address of their latest order, when there is one. */
static void prefill(souk_req *req, const souk_principal *who, checkout_form *cf, const char *want)
{
    souk__web_call me, last = {0};
    souk__web_call_run(req, NULL, souk_identity_api_me, who, NULL, NULL, 0, NULL, NULL, &me);
    const char *email = json_string_value(json_object_get(me.answer, "email"));
    const char *name = json_string_value(json_object_get(me.answer, "name"));
    cf->values[F_EMAIL] = email ? souk_arena_strdup(req->arena, email) : NULL;
    cf->values[F_NAME] = name && name[0] ? souk_arena_strdup(req->arena, name) : NULL;
    const json_t *addr = NULL, *a;
    size_t i;
    json_array_foreach(cf->saved, i, a)
    {
        const char *id = json_string_value(json_object_get(a, "id"));
        if (want ? id && strcmp(id, want) == 0 : json_is_true(json_object_get(a, "default_shipping"))) {
            addr = a;
            cf->chosen = id;
        }
    }
    if (!addr) {
        souk__web_call_run(req, NULL, souk_orders_api_list, who, NULL, NULL, 0, NULL, "limit=1", &last);
        addr = json_object_get(json_array_get(json_object_get(last.answer, "data"), 0), "shipping_address");
    }
    for (int k = F_NAME; k <= F_COUNTRY; k++) {
        const char *v = json_string_value(json_object_get(addr, fields[k].name));
        if (v && v[0])
            cf->values[k] = souk_arena_strdup(req->arena, v);
    }
    souk__web_call_done(&me);
    souk__web_call_done(&last);
}

int souk_web_checkout(souk_req *req, souk_res *res)
{
    checkout_form cf = {.key = new_key(req)};
    souk_principal who;
    json_t *saved = NULL;
    if (souk__web_user(req, &who) == 0) {
        saved_addresses(req, &who, &cf, &saved);
        prefill(req, &who, &cf, souk_query_get(&req->query, "address"));
        cf.points.user = who.user_id;
        const char *pts = souk_query_get(&req->query, "points");
        if (pts && pts[0] && souk_query_int(pts, 0, SOUK_LOYALTY_POINTS_MAX, &cf.points.asked) < 0) {
            cf.points.asked = 0;
            cf.points.error = "Enter the points as a whole number.";
        }
    }
    int rc = render(req, res, &cf, 200);
    json_decref(saved);
    return rc;
}

/* checks the fields; returns how many are wrong */
static int validate(checkout_form *cf)
{
    int bad = 0;
    for (int i = 0; i < F_COUNT; i++) {
        const char *v = cf->values[i];
        size_t n = v ? strlen(v) : 0;
        if (!n && !fields[i].optional)
            cf->errors[i] = "Please fill this in.";
        else if (n > (size_t)fields[i].max)
            cf->errors[i] = "This is too long.";
        bad += cf->errors[i] != NULL;
    }
    const char *e = cf->values[F_EMAIL];
    if (!cf->errors[F_EMAIL]) {
        const char *at = strchr(e, '@');
        if (!at || at == e || !strchr(at, '.') || strchr(at + 1, '@') || strchr(e, ' ') || at[1] == '.')
            cf->errors[F_EMAIL] = "Enter an e-mail address such as ann@example.com.", bad++;
    }
    const char *c = cf->values[F_COUNTRY];
    if (!cf->errors[F_COUNTRY] && !(strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'))
        cf->errors[F_COUNTRY] = "Use the two capital letters of the country, such as GB or US.", bad++;
    const char *card = cf->values[F_CARD];
    if (!cf->errors[F_CARD]) {
        size_t n = strlen(card);
        bool digits = n >= 12 && n <= 19;
        for (size_t i = 0; digits && i < n; i++)
            digits = card[i] >= '0' && card[i] <= '9';
        if (!digits)
            cf->errors[F_CARD] = "Enter the card number as 12 to 19 digits, without spaces.", bad++;
    }
    return bad;
}

/* puts the checkout's problems on the form's fields; the rest into NOTICE */
static void place_problems(checkout_form *cf, const souk_problems *pr, souk_req *req)
{
    for (size_t i = 0; i < pr->count; i++) {
        const char *f = pr->items[i].field;
        if (strncmp(f, "shipping_address.", 17) == 0)
            f += 17;
        if (strcmp(f, "loyalty_points") == 0) {
            cf->points.error = souk__web_points_sentence(req, pr->items[i].message);
            cf->points.asked = 0; /* the page again without them: the customer chooses anew */
            continue;
        }
        bool placed = false;
        for (int k = 0; k < F_COUNT && !placed; k++)
            if (strcmp(f, fields[k].name) == 0 || (k == F_CARD && strcmp(f, "payment_method") == 0)) {
                cf->errors[k] = souk_arena_printf(req->arena, "This %s.", pr->items[i].message);
                placed = true;
            }
        if (!placed)
            cf->notice = souk_arena_printf(req->arena, "%s%s%s: %s.", cf->notice ? cf->notice : "",
                                           cf->notice ? " " : "", f, pr->items[i].message);
    }
}

static const char *decline_words(const char *code)
{
    if (code && strcmp(code, "insufficient_funds") == 0)
        return "Your card was declined: it has insufficient funds. Nothing was charged; try another card.";
    if (code && strcmp(code, "processing_error") == 0)
        return "The payment could not be processed. Nothing was charged; try again or use another card.";
    if (code && strcmp(code, "invalid_number") == 0)
        return "The card number was not accepted. Nothing was charged; check the number.";
    return "Your card was declined. Nothing was charged; check the number or use another card.";
}

int souk_web_checkout_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    checkout_form cf = {0};
    for (int i = 0; i < F_COUNT; i++) {
        cf.values[i] = souk_web_form_get(&f, fields[i].name);
        if (cf.values[i] && i != F_CARD) /* trimmed of spaces around */
            while (*cf.values[i] == ' ')
                cf.values[i]++;
    }
    const char *key = souk_web_form_get(&f, "idem"), *amount = souk_web_form_get(&f, "expected_amount"),
               *currency = souk_web_form_get(&f, "expected_currency");
    int64_t expected;
    if (!key || strlen(key) < 8 || strlen(key) > 64 || !amount ||
        souk_query_int(amount, 0, SOUK_ORDERS_TOTAL_MAX, &expected) < 0 || !currency || !souk_currency_valid(currency))
        return souk__web_error(req, res, 400, "This form is incomplete", "Reload the checkout page and try again.");
    cf.key = key;
    const char *pts = souk_web_form_get(&f, "loyalty_points");
    if (pts && pts[0] && souk_query_int(pts, 1, SOUK_LOYALTY_POINTS_MAX, &cf.points.asked) < 0)
        return souk__web_error(req, res, 400, "This form is incomplete", "Reload the checkout page and try again.");
    souk_principal who;
    bool user = souk__web_user(req, &who) == 0;
    cf.points.user = user ? who.user_id : 0;
    if (!user)
        cf.points.asked = 0; /* a guest has none */
    if (validate(&cf)) {
        cf.notice = "Please correct the fields marked below.";
        cf.notice_bad = true;
        return render(req, res, &cf, 422);
    }
    const char *token = user ? NULL : souk__web_cookie(req, SOUK__WEB_CART_COOKIE);
    if (!user && !token)
        return souk__web_error(req, res, 404, "Your cart is empty", "Your cart has expired or was never made.");
    json_t *addr = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", cf.values[F_NAME], "line1", cf.values[F_LINE1], "city",
                             cf.values[F_CITY], "postal_code", cf.values[F_POSTAL], "country", cf.values[F_COUNTRY]);
    if (addr && cf.values[F_LINE2] && cf.values[F_LINE2][0])
        json_object_set_new(addr, "line2", json_string(cf.values[F_LINE2]));
    if (addr && cf.values[F_REGION] && cf.values[F_REGION][0])
        json_object_set_new(addr, "region", json_string(cf.values[F_REGION]));
    json_t *body =
        json_pack("{s:s,s:o,s:s,s:{s:I,s:s}}", "email", cf.values[F_EMAIL], "shipping_address", addr, "payment_method",
                  cf.values[F_CARD], "expected_total", "amount", (json_int_t)expected, "currency", currency);
    if (body && cf.points.asked > 0)
        json_object_set_new(body, "loyalty_points", json_integer((json_int_t)cf.points.asked));
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(body);
    if (!text)
        return souk__web_error(req, res, 500, "Something went wrong", "Please try again.");
    const char *btext = souk_arena_strdup(req->arena, text);
    free(text);
    souk_header *h = souk_arena_alloc(req->arena, 3 * sizeof *h);
    if (!h || !btext)
        return souk__web_error(req, res, 500, "Something went wrong", "Please try again.");
    size_t nh = 0;
    h[nh++] = (souk_header){"idempotency-key", key};
    h[nh++] = (souk_header){"content-type", "application/json"};
    if (token)
        h[nh++] = (souk_header){"x-cart-token", token};
    souk_req sub = souk__web_subrequest(req, h, nh, btext, NULL);
    if (user) /* the customer's own cart and order (the cookie's session, checked by identity) */
        sub.principal = who;
    souk_res sres = {.status = 200};
    souk_buf_init(&sres.body, 4u << 20);
    souk_orders_api_checkout_storefront(&sub, &sres);
    json_t *answer = sres.err ? NULL : souk__web_answer(&sres);
    souk_err e = sres.err;
    int status = sres.status;
    const char *oid = json_string_value(json_object_get(answer, "id"));
    const char *otoken = json_string_value(json_object_get(answer, "order_token"));
    int rc;
    if (!e && oid && (status == 201 || status == 200)) {
        if (res->audit_object_type == NULL)
            souk_res_audit(res, "order", souk_arena_strdup(req->arena, oid));
        if (user) {
            rc = souk__web_redirect(res, souk_arena_printf(req->arena, "/account/orders/%s?m=placed", oid));
        } else {
            if (otoken)
                souk__web_set_cookie(req, res, SOUK__WEB_ORDER_COOKIE, otoken, "/order/", 24L * 3600);
            rc = souk__web_redirect(res, souk_arena_printf(req->arena, "/order/%s", oid));
        }
    } else {
        cf.notice_bad = true;
        cf.key = new_key(req); /* a final answer keeps its key: the next attempt needs another */
        switch (e) {
        case SOUK_E_PAYMENT_DECLINED:
            cf.notice = decline_words(sres.problems.count ? sres.problems.items[0].message : NULL);
            cf.errors[F_CARD] = "This card was not accepted.";
            status = 402;
            break;
        case SOUK_E_OUT_OF_STOCK: {
            souk_buf m;
            souk_buf_init(&m, 2048);
            souk_buf_adds(&m, "Some items are no longer available in the quantity you asked for (");
            for (size_t i = 0; i < sres.problems.count; i++)
                souk_buf_printf(&m, "%s%s", i ? "; " : "", sres.problems.items[i].message);
            souk_buf_adds(&m, "). Nothing was charged; change the quantities in your cart and try again.");
            cf.notice = souk_arena_strdup(req->arena, m.data && !souk_buf_failed(&m) ? m.data : "Out of stock.");
            souk_buf_release(&m);
            status = 409;
            break;
        }
        case SOUK_E_PRICE_CHANGED:
            cf.notice = "The total changed since the page was shown (a price or a discount changed). Nothing was "
                        "charged; check the new total below and place the order again.";
            status = 409;
            break;
        case SOUK_E_CONFLICT:
            cf.key = key;
            cf.notice = "Your order is still being processed. Wait a moment, then submit again: you will not be "
                        "charged twice.";
            status = 409;
            break;
        case SOUK_E_UNAVAILABLE:
            cf.key = key; /* the same key resumes the same order */
            cf.notice = "The payment service could not be reached. Submit again in a moment: you will not be "
                        "charged twice.";
            status = 503;
            break;
        case SOUK_E_VALIDATION:
        case SOUK_E_IDEMPOTENCY_MISMATCH:
            place_problems(&cf, &sres.problems, req);
            if (!cf.notice)
                cf.notice = "Please correct the fields marked below.";
            status = 422;
            break;
        case SOUK_E_NOT_FOUND:
            rc = souk__web_error(req, res, 404, "Your cart is empty", "Your cart has expired or was never made.");
            goto done;
        default: cf.notice = "Something went wrong and nothing was charged. Please try again."; status = 500;
        }
        rc = render(req, res, &cf, status);
    }
done:
    json_decref(answer);
    json_decref(sres.json);
    souk_buf_release(&sres.body);
    return rc;
}
