/*
 * privacy.c — the customer's profile, marketing consent, the download of
 * their data (GDPR export) and the deletion of the account, each through
 * identity's handler (PATCH /users/me, /users/me/consents, GET
 * /users/me/export, DELETE /users/me) as the signed-in customer.
 *
 * The export is the API's JSON document, served at /account/export.json
 * with Cache-Control no-store; the link carries the download attribute, so
 * browsers save it as a file (no Content-Disposition is needed). Deletion
 * asks for the password (and the two-factor code when it is on) and a
 * ticked confirmation; identity then erases the account and ends every
 * session, and the page drops the cookies.
 */
#include "web/internal.h"

#include <stdlib.h>
#include <string.h>

#include "identity/api.h"
#include "core/banned.h"

/* ---- profile ---- */

static int profile_page(souk_req *req, souk_res *res, const souk_principal *who, const char *notice, bool bad,
                        int status)
{
    souk__web_call c;
    souk__web_call_run(req, NULL, souk_identity_api_me, who, NULL, NULL, 0, NULL, NULL, &c);
    if (!c.answer) {
        souk__web_call_done(&c);
        return souk__web_error(req, res, 503, "Your profile could not be shown", "Please try again in a moment.");
    }
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Your profile", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Your profile</h1>\n");
    souk__web_notice(b, notice, bad);
    SOUK_HTML_LIT(b, "<p>E-mail: <strong>");
    souk_html_text(b, json_string_value(json_object_get(c.answer, "email")));
    SOUK_HTML_LIT(b, "</strong></p>\n<form method=\"post\" action=\"/account/profile\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    souk__web_field(b, &(souk__web_input){.name = "name",
                                          .label = "Name",
                                          .autocomplete = "name",
                                          .value = json_string_value(json_object_get(c.answer, "name")),
                                          .max = 200});
    souk__web_field(b, &(souk__web_input){.name = "phone",
                                          .label = "Phone (optional)",
                                          .type = "tel",
                                          .autocomplete = "tel",
                                          .value = json_string_value(json_object_get(c.answer, "phone")),
                                          .max = 40});
    SOUK_HTML_LIT(b, "<button type=\"submit\">Save</button>\n</form>\n"
                     "<p><a href=\"/account\">Back to your account</a></p>\n");
    souk__web_call_done(&c);
    return souk__web_end(&p);
}

int souk_web_profile(souk_req *req, souk_res *res)
{
    souk_principal who;
    if (souk__web_require_user(req, res, &who, "/account/profile"))
        return 0;
    const char *m = souk_query_get(&req->query, "m");
    return profile_page(req, res, &who, m && strcmp(m, "saved") == 0 ? "Your profile was saved." : NULL, false, 200);
}

int souk_web_profile_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    souk_principal who;
    if (souk__web_user(req, &who) < 0)
        return souk__web_error(req, res, 401, "Please sign in", "Sign in again, then save your profile.");
    const char *name = souk_web_form_get(&f, "name"), *phone = souk_web_form_get(&f, "phone");
    json_t *body = json_object();
    if (name)
        json_object_set_new(body, "name", json_string(name));
    if (phone)
        json_object_set_new(body, "phone", json_string(phone));
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_me_update, &who, body, NULL, 0, NULL, NULL, &c);
    int rc;
    if (!c.err)
        rc = souk__web_redirect(res, "/account/profile?m=saved");
    else if (c.err == SOUK_E_VALIDATION)
        rc = profile_page(req, res, &who, souk__web_call_problem(req, &c, "Please check the fields."), true, 422);
    else
        rc = souk__web_error(req, res, 503, "Your profile could not be saved", "Please try again in a moment.");
    souk__web_call_done(&c);
    return rc;
}

/* ---- privacy: consents, export, deletion ---- */

static int privacy_page(souk_req *req, souk_res *res, const souk_principal *who, const char *notice, bool bad,
                        const char *err_password, const char *err_confirm, int status)
{
    souk__web_call me, cons;
    souk__web_call_run(req, NULL, souk_identity_api_me, who, NULL, NULL, 0, NULL, NULL, &me);
    souk__web_call_run(req, NULL, souk_identity_api_consents, who, NULL, NULL, 0, NULL, NULL, &cons);
    if (!me.answer || !cons.answer) {
        souk__web_call_done(&me);
        souk__web_call_done(&cons);
        return souk__web_error(req, res, 503, "This page could not be shown", "Please try again in a moment.");
    }
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Privacy and your data", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Privacy and your data</h1>\n");
    souk__web_notice(b, notice, bad);
    bool marketing = json_is_true(json_object_get(json_object_get(cons.answer, "current"), "marketing"));
    SOUK_HTML_LIT(b, "<h2>E-mail offers</h2>\n<p id=\"consent-state\">You ");
    if (marketing)
        SOUK_HTML_LIT(b, "receive");
    else
        SOUK_HTML_LIT(b, "do not receive");
    SOUK_HTML_LIT(b, " offers by e-mail.</p>\n<form method=\"post\" action=\"/account/consents\">\n");
    souk__web_csrf_field(b, csrf);
    SOUK_HTML_LIT(b, "<div class=\"field\"><label><input type=\"checkbox\" name=\"marketing\" value=\"1\"");
    if (marketing)
        SOUK_HTML_LIT(b, " checked");
    SOUK_HTML_LIT(b, "> Send me offers by e-mail</label></div>\n"
                     "<button type=\"submit\">Save my choice</button>\n</form>\n"
                     "<h2>Your data</h2>\n<p>Download everything this shop keeps about you — profile, consents, "
                     "sessions, orders and the account's history — as one JSON file.</p>\n"
                     "<p><a class=\"button\" href=\"/account/export.json\" download=\"souk-my-data.json\">"
                     "Download my data</a></p>\n"
                     "<h2>Delete the account</h2>\n<p>This erases your name, e-mail address, phone and password and "
                     "signs you out everywhere. Orders stay for the shop's accounts, without your details. It cannot "
                     "be undone.</p>\n<form method=\"post\" action=\"/account/delete\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    souk__web_field(b, &(souk__web_input){.name = "password",
                                          .label = "Your password",
                                          .type = "password",
                                          .autocomplete = "current-password",
                                          .max = 1024,
                                          .required = true,
                                          .error = err_password});
    if (json_is_true(json_object_get(me.answer, "two_factor_enabled")))
        souk__web_field(b, &(souk__web_input){.name = "code",
                                              .label = "Two-factor code or a recovery code",
                                              .autocomplete = "one-time-code",
                                              .max = 32,
                                              .required = true});
    SOUK_HTML_LIT(b, "<div class=\"field\">");
    if (err_confirm) {
        SOUK_HTML_LIT(b, "<span class=\"error\" id=\"e-confirm\">");
        souk_html_text(b, err_confirm);
        SOUK_HTML_LIT(b, "</span>");
    }
    SOUK_HTML_LIT(b, "<label><input type=\"checkbox\" name=\"confirm\" value=\"1\"");
    if (err_confirm)
        SOUK_HTML_LIT(b, " aria-invalid=\"true\" aria-describedby=\"e-confirm\"");
    SOUK_HTML_LIT(b, "> I want my account deleted, for good</label></div>\n"
                     "<button type=\"submit\" class=\"danger\">Delete my account</button>\n</form>\n"
                     "<p><a href=\"/account\">Back to your account</a></p>\n");
    souk__web_call_done(&me);
    souk__web_call_done(&cons);
    return souk__web_end(&p);
}

int souk_web_privacy(souk_req *req, souk_res *res)
{
    souk_principal who;
    if (souk__web_require_user(req, res, &who, "/account/privacy"))
        return 0;
    const char *m = souk_query_get(&req->query, "m");
    return privacy_page(req, res, &who, m && strcmp(m, "saved") == 0 ? "Your choice was saved." : NULL, false, NULL,
                        NULL, 200);
}

int souk_web_consents_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    souk_principal who;
    if (souk__web_user(req, &who) < 0)
        return souk__web_error(req, res, 401, "Please sign in", "Sign in again, then save your choice.");
    bool granted = souk_web_form_get(&f, "marketing") != NULL;
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_consent_record, &who,
                       json_pack("{s:s,s:b}", "kind", "marketing", "granted", granted), NULL, 0, NULL, NULL, &c);
    souk_err e = c.err;
    souk__web_call_done(&c);
    if (e)
        return souk__web_error(req, res, 503, "Your choice could not be saved", "Please try again in a moment.");
    return souk__web_redirect(res, "/account/privacy?m=saved");
}

int souk_web_export(souk_req *req, souk_res *res)
{
    res->cache_control = "no-store";
    souk_principal who;
    if (souk__web_require_user(req, res, &who, "/account/privacy"))
        return 0;
    souk__web_call c;
    souk__web_call_run(req, NULL, souk_identity_api_export, &who, NULL, NULL, 0, NULL, NULL, &c);
    if (c.err || !c.res.body.len) {
        souk__web_call_done(&c);
        return souk__web_error(req, res, 503, "Your data could not be gathered", "Please try again in a moment.");
    }
    souk_buf_reset(&res->body);
    if (c.res.json) {
        char *text = json_dumps(c.res.json, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (text)
            souk_buf_adds(&res->body, text);
        free(text);
    } else {
        souk_buf_add(&res->body, c.res.body.data, c.res.body.len);
    }
    souk__web_call_done(&c);
    res->content_type = "application/json";
    return souk_buf_failed(&res->body) ? souk_res_error(res, SOUK_E_INTERNAL, "export too large") : 0;
}

int souk_web_delete_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    souk_principal who;
    if (souk__web_user(req, &who) < 0)
        return souk__web_error(req, res, 401, "Please sign in", "Sign in again, then delete the account.");
    const char *password = souk_web_form_get(&f, "password"), *code = souk_web_form_get(&f, "code");
    bool confirmed = souk_web_form_get(&f, "confirm") != NULL;
    if (!password || !password[0] || !confirmed)
        return privacy_page(req, res, &who, "Please fill in the fields marked below.", true,
                            password && password[0] ? NULL : "Enter your password.",
                            confirmed ? NULL : "Tick this to confirm.", 422);
    json_t *body = json_pack("{s:s}", "password", password);
    if (body && code && code[0]) {
        bool digits = strlen(code) <= 16;
        for (const char *p = code; digits && *p; p++)
            digits = *p >= '0' && *p <= '9';
        json_object_set_new(body, digits ? "totp_code" : "recovery_code", json_string(code));
    }
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_erase, &who, body, NULL, 0, NULL, NULL, &c);
    int rc;
    if (!c.err) {
        souk__web_session_clear(req, res);
        souk__web_set_cookie(req, res, SOUK__WEB_ORDER_COOKIE, "", "/order/", 0);
        rc = souk__web_redirect(res, "/account/signin?m=deleted");
    } else if (c.err == SOUK_E_INVALID_CREDENTIALS || c.err == SOUK_E_MFA_REQUIRED) {
        rc = privacy_page(req, res, &who, "The password or the code is not right. Nothing was deleted.", true,
                          "This was not accepted.", NULL, 401);
    } else if (c.err == SOUK_E_RATE_LIMITED) {
        res->retry_after = c.res.retry_after;
        rc = privacy_page(req, res, &who, "Too many attempts. Wait a few minutes, then try again.", true, NULL, NULL,
                          429);
    } else {
        rc = souk__web_error(req, res, 503, "The account could not be deleted", "Nothing was deleted. Try again.");
    }
    souk__web_call_done(&c);
    return rc;
}
