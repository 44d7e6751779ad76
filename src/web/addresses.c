/*
 * addresses.c — the customer's address book in the account: the saved
 * addresses with edit, delete and "make default", and a form to add one;
 * each through identity's handlers (/users/me/addresses…) as the signed-in
 * customer, so the API's validation and bounds are the page's. Plain forms
 * with the CSRF field: it all works without JavaScript. Checkout starts
 * from the default address and offers the others (checkout.c).
 */
#include "web/internal.h"

#include <ctype.h>
#include <string.h>

#include "identity/api.h"
#include "core/banned.h"

enum { A_LABEL, A_NAME, A_LINE1, A_LINE2, A_CITY, A_POSTAL, A_REGION, A_COUNTRY, A_COUNT };

static const struct {
    const char *name, *label, *autocomplete;
    int max;
    bool required;
} fields[A_COUNT] = {
    [A_LABEL] = {"label", "Label (optional, e.g. Home)", "off", 50, false},
    [A_NAME] = {"name", "Full name", "name", 200, true},
    [A_LINE1] = {"line1", "Address", "address-line1", 200, true},
    [A_LINE2] = {"line2", "Address line 2 (optional)", "address-line2", 200, false},
    [A_CITY] = {"city", "City", "address-level2", 200, true},
    [A_POSTAL] = {"postal_code", "Postal code", "postal-code", 200, true},
    [A_REGION] = {"region", "Region or state (optional)", "address-level1", 200, false},
    [A_COUNTRY] = {"country", "Country code (two letters, e.g. GB)", "country", 2, true},
};

typedef struct address_form {
    const char *values[A_COUNT];
    const char *errors[A_COUNT];
    bool is_default;
} address_form;

static void form_fields(souk_buf *b, const address_form *af)
{
    for (int i = 0; i < A_COUNT; i++)
        souk__web_field(b, &(souk__web_input){.name = fields[i].name,
                                              .label = fields[i].label,
                                              .autocomplete = fields[i].autocomplete,
                                              .value = af->values[i],
                                              .error = af->errors[i],
                                              .max = fields[i].max,
                                              .required = fields[i].required});
    SOUK_HTML_LIT(b, "<div class=\"field\"><label><input type=\"checkbox\" name=\"default_shipping\" value=\"1\"");
    if (af->is_default)
        SOUK_HTML_LIT(b, " checked");
    SOUK_HTML_LIT(b, "> Use as my default shipping address</label></div>\n");
}

/* The form's values into AF and the JSON body for identity (NULL when out of memory). */
static json_t *form_body(souk_req *req, const souk_web_form *f, address_form *af, bool create)
{
    json_t *body = json_object();
    for (int i = 0; i < A_COUNT; i++) {
        const char *v = souk_web_form_get(f, fields[i].name);
        if (i == A_COUNTRY && v) { /* "gb " is meant as GB */
            char *u = souk_arena_strdup(req->arena, v), *w = u;
            for (const char *r = v; u && *r; r++)
                if (!isspace((unsigned char)*r))
                    *w++ = (char)toupper((unsigned char)*r);
            if (u)
                *w = '\0';
            v = u;
        }
        af->values[i] = v;
        if (!v || (!v[0] && !fields[i].required && create))
            continue;
        json_object_set_new(body, fields[i].name, !v[0] && !fields[i].required ? json_null() : json_string(v));
    }
    af->is_default = souk_web_form_get(f, "default_shipping") != NULL;
    if (create ? af->is_default : true)
        json_object_set_new(body, "default_shipping", json_boolean(af->is_default));
    return body;
}

/* Identity's problems beside their fields; the first one's text, or NULL when none named a field. */
static const char *field_errors(souk_req *req, const souk__web_call *c, address_form *af)
{
    const char *first = NULL;
    for (size_t k = 0; k < c->res.problems.count; k++)
        for (int i = 0; i < A_COUNT; i++)
            if (strcmp(c->res.problems.items[k].field, fields[i].name) == 0 && !af->errors[i]) {
                const char *m = c->res.problems.items[k].message;
                af->errors[i] = souk_arena_printf(req->arena, "%c%s.", toupper((unsigned char)m[0]), m + 1);
                if (!first)
                    first = souk_arena_printf(req->arena, "%s: %s", fields[i].label, af->errors[i]);
            }
    return first;
}

static void address_text(souk_buf *b, const json_t *a)
{
    static const char *const keys[] = {"name", "line1", "line2", "city", "postal_code", "region", "country"};
    bool first = true;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = json_string_value(json_object_get(a, keys[i]));
        if (!v || !v[0])
            continue;
        if (!first)
            SOUK_HTML_LIT(b, "<br>");
        souk_html_text(b, v);
        first = false;
    }
}

static void small_form(souk_buf *b, const char *csrf, const char *id, const char *action, const char *label,
                       const char *what, bool secondary)
{
    SOUK_HTML_LIT(b, "<form method=\"post\" class=\"inline\" action=\"/account/addresses/");
    souk_html_text(b, id);
    SOUK_HTML_LIT(b, "/");
    souk_html_text(b, action);
    SOUK_HTML_LIT(b, "\">");
    souk__web_csrf_field(b, csrf);
    if (secondary)
        SOUK_HTML_LIT(b, "<button type=\"submit\" class=\"secondary\" aria-label=\"");
    else
        SOUK_HTML_LIT(b, "<button type=\"submit\" aria-label=\"");
    souk_html_text(b, label);
    SOUK_HTML_LIT(b, " ");
    souk_html_text(b, what);
    SOUK_HTML_LIT(b, "\">");
    souk_html_text(b, label);
    SOUK_HTML_LIT(b, "</button></form>");
}

static int list_page(souk_req *req, souk_res *res, const souk_principal *who, const address_form *af,
                     const char *notice, bool bad, int status)
{
    souk__web_call c;
    souk__web_call_run(req, NULL, souk_identity_api_addresses, who, NULL, NULL, 0, NULL, NULL, &c);
    if (!c.answer) {
        souk__web_call_done(&c);
        return souk__web_error(req, res, 503, "Your addresses could not be shown", "Please try again in a moment.");
    }
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Your addresses", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Your addresses</h1>\n");
    souk__web_notice(b, notice, bad);
    const json_t *data = json_object_get(c.answer, "data");
    if (!json_array_size(data))
        SOUK_HTML_LIT(b, "<p>No saved address yet. Checkout fills in the one you save here.</p>\n");
    else
        SOUK_HTML_LIT(b, "<ul class=\"addresses\">\n");
    size_t i;
    const json_t *a;
    json_array_foreach(data, i, a)
    {
        const char *id = json_string_value(json_object_get(a, "id"));
        const char *label = json_string_value(json_object_get(a, "label"));
        const char *what = label && label[0] ? label : json_string_value(json_object_get(a, "line1"));
        SOUK_HTML_LIT(b, "<li class=\"address\" id=\"");
        souk_html_text(b, id);
        SOUK_HTML_LIT(b, "\"><h2>");
        souk_html_text(b, what);
        if (json_is_true(json_object_get(a, "default_shipping")))
            SOUK_HTML_LIT(b, " <span class=\"badge\">Default shipping address</span>");
        SOUK_HTML_LIT(b, "</h2><p>");
        address_text(b, a);
        SOUK_HTML_LIT(b, "</p><p class=\"actions\"><a href=\"/account/addresses/");
        souk_html_text(b, id);
        SOUK_HTML_LIT(b, "\" aria-label=\"Edit ");
        souk_html_text(b, what);
        SOUK_HTML_LIT(b, "\">Edit</a> ");
        if (!json_is_true(json_object_get(a, "default_shipping")))
            small_form(b, csrf, id, "default", "Make default", what, false);
        small_form(b, csrf, id, "delete", "Delete", what, true);
        SOUK_HTML_LIT(b, "</p></li>\n");
    }
    if (json_array_size(data))
        SOUK_HTML_LIT(b, "</ul>\n");
    SOUK_HTML_LIT(b, "<h2 id=\"add-title\">Add an address</h2>\n"
                     "<form method=\"post\" action=\"/account/addresses\" novalidate aria-labelledby=\"add-title\">\n");
    souk__web_csrf_field(b, csrf);
    form_fields(b, af);
    SOUK_HTML_LIT(b, "<button type=\"submit\">Save the address</button>\n</form>\n"
                     "<p><a href=\"/account\">Back to your account</a></p>\n");
    souk__web_call_done(&c);
    return souk__web_end(&p);
}

static const char *notice_of(souk_req *req)
{
    const char *m = souk_query_get(&req->query, "m");
    if (!m)
        return NULL;
    return strcmp(m, "saved") == 0     ? "The address was saved."
           : strcmp(m, "deleted") == 0 ? "The address was deleted."
           : strcmp(m, "default") == 0 ? "Your default shipping address was changed."
                                       : NULL;
}

void souk__web_saved_address_picker(souk_buf *b, const json_t *saved, const char *chosen)
{
    if (json_array_size(saved) < 2)
        return;
    SOUK_HTML_LIT(b, "<form method=\"get\" action=\"/checkout\" class=\"saved-address\">\n"
                     "<div class=\"field\"><label for=\"f-address\">Ship to a saved address</label>"
                     "<select id=\"f-address\" name=\"address\">");
    size_t i;
    const json_t *a;
    json_array_foreach(saved, i, a)
    {
        const char *id = json_string_value(json_object_get(a, "id"));
        const char *label = json_string_value(json_object_get(a, "label"));
        SOUK_HTML_LIT(b, "<option value=\"");
        souk_html_text(b, id);
        SOUK_HTML_LIT(b, "\"");
        if (chosen && id && strcmp(chosen, id) == 0)
            SOUK_HTML_LIT(b, " selected");
        SOUK_HTML_LIT(b, ">");
        if (label && label[0]) {
            souk_html_text(b, label);
            SOUK_HTML_LIT(b, ": ");
        }
        souk_html_text(b, json_string_value(json_object_get(a, "line1")));
        SOUK_HTML_LIT(b, ", ");
        souk_html_text(b, json_string_value(json_object_get(a, "city")));
        SOUK_HTML_LIT(b, "</option>");
    }
    SOUK_HTML_LIT(b, "</select></div>\n<button type=\"submit\" class=\"secondary\">Use this address</button>\n"
                     "</form>\n");
}

int souk_web_addresses(souk_req *req, souk_res *res)
{
    souk_principal who;
    if (souk__web_require_user(req, res, &who, "/account/addresses"))
        return 0;
    address_form af = {0};
    return list_page(req, res, &who, &af, notice_of(req), false, 200);
}

/* The signed-in customer of a form POST into WHO and the parsed form into F; 0, or answered. */
static int post_user(souk_req *req, souk_res *res, souk_web_form *f, souk_principal *who)
{
    if (souk__web_form(req, res, f))
        return -1;
    if (souk__web_user(req, who) < 0) {
        souk__web_error(req, res, 401, "Please sign in", "Sign in again, then change your addresses.");
        return -1;
    }
    return 0;
}

int souk_web_address_add(souk_req *req, souk_res *res)
{
    souk_web_form f;
    souk_principal who;
    if (post_user(req, res, &f, &who))
        return 0;
    address_form af = {0};
    json_t *body = form_body(req, &f, &af, true);
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_address_create, &who, body, NULL, 0, NULL, NULL, &c);
    int rc;
    if (!c.err)
        rc = souk__web_redirect(res, "/account/addresses?m=saved");
    else if (c.err == SOUK_E_VALIDATION) {
        const char *first = field_errors(req, &c, &af);
        rc = list_page(req, res, &who, &af, first ? first : souk__web_call_problem(req, &c, "Please check the fields."),
                       true, 422);
    } else if (c.err == SOUK_E_CONFLICT)
        rc = list_page(req, res, &who, &af, souk__web_call_problem(req, &c, "Too many addresses."), true, 409);
    else
        rc = souk__web_error(req, res, 503, "The address could not be saved", "Please try again in a moment.");
    souk__web_call_done(&c);
    return rc;
}

static int edit_page(souk_req *req, souk_res *res, const char *id, const address_form *af, const char *notice,
                     int status)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Edit an address", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Edit an address</h1>\n");
    souk__web_notice(b, notice, true);
    SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/account/addresses/");
    souk_html_text(b, id);
    SOUK_HTML_LIT(b, "\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    form_fields(b, af);
    SOUK_HTML_LIT(b, "<button type=\"submit\">Save the address</button>\n</form>\n"
                     "<p><a href=\"/account/addresses\">Back to your addresses</a></p>\n");
    return souk__web_end(&p);
}

int souk_web_address_edit(souk_req *req, souk_res *res)
{
    souk_principal who;
    const char *id = req->params[0];
    if (souk__web_require_user(req, res, &who, "/account/addresses"))
        return 0;
    souk__web_call c;
    souk__web_call_run(req, NULL, souk_identity_api_address, &who, NULL, NULL, 0, id, NULL, &c);
    int rc;
    if (c.answer && !c.err) {
        address_form af = {.is_default = json_is_true(json_object_get(c.answer, "default_shipping"))};
        for (int i = 0; i < A_COUNT; i++) {
            const char *v = json_string_value(json_object_get(c.answer, fields[i].name));
            af.values[i] = v ? souk_arena_strdup(req->arena, v) : NULL;
        }
        rc = edit_page(req, res, id, &af, NULL, 200);
    } else if (c.err == SOUK_E_NOT_FOUND)
        rc = souk__web_error(req, res, 404, "No such address", "It may have been deleted.");
    else
        rc = souk__web_error(req, res, 503, "The address could not be shown", "Please try again in a moment.");
    souk__web_call_done(&c);
    return rc;
}

int souk_web_address_save(souk_req *req, souk_res *res)
{
    souk_web_form f;
    souk_principal who;
    if (post_user(req, res, &f, &who))
        return 0;
    const char *id = req->params[0];
    address_form af = {0};
    json_t *body = form_body(req, &f, &af, false);
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_address_update, &who, body, NULL, 0, id, NULL, &c);
    int rc;
    if (!c.err)
        rc = souk__web_redirect(res, "/account/addresses?m=saved");
    else if (c.err == SOUK_E_VALIDATION) {
        const char *first = field_errors(req, &c, &af);
        rc = edit_page(req, res, id, &af, first ? first : souk__web_call_problem(req, &c, "Please check the fields."),
                       422);
    } else if (c.err == SOUK_E_NOT_FOUND)
        rc = souk__web_error(req, res, 404, "No such address", "It may have been deleted.");
    else
        rc = souk__web_error(req, res, 503, "The address could not be saved", "Please try again in a moment.");
    souk__web_call_done(&c);
    return rc;
}

/* A one-button action on address {id}: HANDLER with BODY, then back to the list with notice M. */
static int action(souk_req *req, souk_res *res, souk_handler handler, json_t *body, const char *m)
{
    souk_web_form f;
    souk_principal who;
    if (post_user(req, res, &f, &who)) {
        json_decref(body);
        return 0;
    }
    souk__web_call c;
    souk__web_call_run(req, res, handler, &who, body, NULL, 0, req->params[0], NULL, &c);
    int rc = !c.err ? souk__web_redirect(res, m)
             : c.err == SOUK_E_NOT_FOUND
                 ? souk__web_error(req, res, 404, "No such address", "It may have been deleted.")
                 : souk__web_error(req, res, 503, "The address could not be changed", "Please try again in a moment.");
    souk__web_call_done(&c);
    return rc;
}

int souk_web_address_delete(souk_req *req, souk_res *res)
{
    return action(req, res, souk_identity_api_address_delete, NULL, "/account/addresses?m=deleted");
}

int souk_web_address_default(souk_req *req, souk_res *res)
{
    return action(req, res, souk_identity_api_address_update, json_pack("{s:b}", "default_shipping", 1),
                  "/account/addresses?m=default");
}
