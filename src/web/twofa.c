/*
 * twofa.c — two-factor sign-in for the customer: enrolment (identity makes
 * the secret, the page shows it as a QR code of its otpauth:// URI drawn as
 * inline SVG, and as text), confirmation with a first code (identity then
 * answers the ten recovery codes, shown once), and turning it off (password
 * and a code). Identity's handlers do all of it (POST/DELETE
 * /users/me/2fa/totp, …/confirm).
 */
#include "web/internal.h"

#include <string.h>

#include "identity/api.h"
#include "web/qr.h"
#include "core/banned.h"

static int page_of(souk_req *req, souk_res *res, const char *title, int status, souk__web_page *p)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    *p = (souk__web_page){.req = req, .res = res, .title = title, .noindex = true};
    souk__web_begin(p);
    return 0;
}

static void confirm_form(souk_buf *b, const char *csrf, const char *error)
{
    SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/account/2fa/confirm\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    souk__web_field(b, &(souk__web_input){.name = "code",
                                          .label = "The 6-digit code the app shows now",
                                          .autocomplete = "one-time-code",
                                          .max = 8,
                                          .required = true,
                                          .error = error});
    SOUK_HTML_LIT(b, "<button type=\"submit\">Turn on two-factor sign-in</button>\n</form>\n");
}

static int overview(souk_req *req, souk_res *res, const souk_principal *who, const char *notice, bool bad,
                    const char *err_password, int status)
{
    souk__web_call me;
    souk__web_call_run(req, NULL, souk_identity_api_me, who, NULL, NULL, 0, NULL, NULL, &me);
    if (!me.answer) {
        souk__web_call_done(&me);
        return souk__web_error(req, res, 503, "This page could not be shown", "Please try again in a moment.");
    }
    bool on = json_is_true(json_object_get(me.answer, "two_factor_enabled"));
    souk__web_call_done(&me);
    souk__web_page p;
    page_of(req, res, "Two-factor sign-in", status, &p);
    const char *csrf = souk__web_csrf_token(req, res);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Two-factor sign-in</h1>\n");
    souk__web_notice(b, notice, bad);
    if (!on) {
        SOUK_HTML_LIT(b, "<p id=\"twofa-state\">Two-factor sign-in is off. With it on, signing in also asks for a "
                         "code from an authenticator app on your phone.</p>\n"
                         "<form method=\"post\" action=\"/account/2fa/start\">\n");
        souk__web_csrf_field(b, csrf);
        SOUK_HTML_LIT(b, "<button type=\"submit\">Set up two-factor sign-in</button>\n</form>\n");
    } else {
        SOUK_HTML_LIT(b, "<p id=\"twofa-state\">Two-factor sign-in is on.</p>\n<h2>Turn it off</h2>\n"
                         "<form method=\"post\" action=\"/account/2fa/disable\" novalidate>\n");
        souk__web_csrf_field(b, csrf);
        souk__web_field(b, &(souk__web_input){.name = "password",
                                              .label = "Your password",
                                              .type = "password",
                                              .autocomplete = "current-password",
                                              .max = 1024,
                                              .required = true,
                                              .error = err_password});
        souk__web_field(b, &(souk__web_input){.name = "code",
                                              .label = "A current code or a recovery code",
                                              .autocomplete = "one-time-code",
                                              .max = 32,
                                              .required = true});
        SOUK_HTML_LIT(b, "<button type=\"submit\" class=\"secondary\">Turn off</button>\n</form>\n");
    }
    SOUK_HTML_LIT(b, "<p><a href=\"/account\">Back to your account</a></p>\n");
    return souk__web_end(&p);
}

int souk_web_twofa(souk_req *req, souk_res *res)
{
    souk_principal who;
    if (souk__web_require_user(req, res, &who, "/account/2fa"))
        return 0;
    const char *m = souk_query_get(&req->query, "m");
    return overview(req, res, &who, m && strcmp(m, "off") == 0 ? "Two-factor sign-in is off now." : NULL, false, NULL,
                    200);
}

int souk_web_twofa_start(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    souk_principal who;
    if (souk__web_user(req, &who) < 0)
        return souk__web_error(req, res, 401, "Please sign in", "Sign in again, then set up two-factor sign-in.");
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_totp_enrol, &who, NULL, NULL, 0, NULL, NULL, &c);
    const char *secret = json_string_value(json_object_get(c.answer, "secret"));
    const char *uri = json_string_value(json_object_get(c.answer, "otpauth_uri"));
    if (c.err == SOUK_E_CONFLICT || !secret || !uri) {
        souk_err e = c.err;
        souk__web_call_done(&c);
        if (e == SOUK_E_CONFLICT)
            return overview(req, res, &who, "Two-factor sign-in is on already.", true, NULL, 409);
        return souk__web_error(req, res, 503, "Two-factor sign-in could not be set up", "Please try again.");
    }
    souk__web_page p;
    page_of(req, res, "Set up two-factor sign-in", 200, &p);
    const char *csrf = souk__web_csrf_token(req, res);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Set up two-factor sign-in</h1>\n<ol>\n<li>Scan this code with an authenticator app "
                     "(for example FreeOTP, Aegis or Google Authenticator):<br>\n");
    if (souk_web_qr_svg(b, uri, "QR code of your two-factor secret") < 0)
        SOUK_HTML_LIT(b, "(the QR code could not be drawn; type the key below)");
    SOUK_HTML_LIT(b, "</li>\n<li>Or type this key into the app: <code id=\"totp-secret\">");
    for (size_t i = 0; secret[i]; i += 4) {
        if (i)
            SOUK_HTML_LIT(b, " ");
        souk_html_textn(b, secret + i, strnlen(secret + i, 4));
    }
    SOUK_HTML_LIT(b, "</code></li>\n<li>Enter the code the app shows:</li>\n</ol>\n");
    confirm_form(b, csrf, NULL);
    souk__web_call_done(&c);
    return souk__web_end(&p);
}

int souk_web_twofa_confirm(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    souk_principal who;
    if (souk__web_user(req, &who) < 0)
        return souk__web_error(req, res, 401, "Please sign in", "Sign in again, then set up two-factor sign-in.");
    const char *code = souk_web_form_get(&f, "code");
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_totp_confirm, &who,
                       json_pack("{s:s}", "code", code && code[0] ? code : "-"), NULL, 0, NULL, NULL, &c);
    const json_t *codes = json_object_get(c.answer, "recovery_codes");
    souk__web_page p;
    if (c.err == SOUK_E_VALIDATION || (c.err == SOUK_E_CONFLICT && !json_array_size(codes))) {
        bool again = c.err == SOUK_E_VALIDATION;
        souk__web_call_done(&c);
        if (!again)
            return overview(req, res, &who, "Start the set-up first.", true, NULL, 409);
        page_of(req, res, "Set up two-factor sign-in", 422, &p);
        const char *csrf = souk__web_csrf_token(req, res);
        SOUK_HTML_LIT(p.b, "<h1>Set up two-factor sign-in</h1>\n");
        souk__web_notice(p.b, "That code is not the current one. Check the app's clock and try the next code.", true);
        confirm_form(p.b, csrf, "This code was not accepted.");
        SOUK_HTML_LIT(p.b, "<p><a href=\"/account/2fa\">Start again</a></p>\n");
        return souk__web_end(&p);
    }
    if (c.err || !json_array_size(codes)) {
        souk__web_call_done(&c);
        return souk__web_error(req, res, 503, "Two-factor sign-in could not be turned on", "Please try again.");
    }
    page_of(req, res, "Two-factor sign-in is on", 200, &p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Two-factor sign-in is on</h1>\n");
    souk__web_notice(b, "Two-factor sign-in is on. Signing in now asks for a code.", false);
    SOUK_HTML_LIT(b, "<p>Keep these recovery codes somewhere safe. Each signs you in once if you lose your phone. "
                     "They are shown only now.</p>\n<ul class=\"codes\">\n");
    size_t i;
    const json_t *v;
    json_array_foreach(codes, i, v)
    {
        SOUK_HTML_LIT(b, "<li><code>");
        souk_html_text(b, json_string_value(v));
        SOUK_HTML_LIT(b, "</code></li>\n");
    }
    SOUK_HTML_LIT(b, "</ul>\n<p><a href=\"/account\">Back to your account</a></p>\n");
    souk__web_call_done(&c);
    return souk__web_end(&p);
}

int souk_web_twofa_disable(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    souk_principal who;
    if (souk__web_user(req, &who) < 0)
        return souk__web_error(req, res, 401, "Please sign in", "Sign in again, then change two-factor sign-in.");
    const char *password = souk_web_form_get(&f, "password"), *code = souk_web_form_get(&f, "code");
    if (!password || !password[0] || !code || !code[0])
        return overview(req, res, &who, "Enter your password and a code.", true, NULL, 422);
    bool digits = strlen(code) <= 16;
    for (const char *q = code; digits && *q; q++)
        digits = *q >= '0' && *q <= '9';
    json_t *body = json_pack("{s:s,s:s}", "password", password, digits ? "totp_code" : "recovery_code", code);
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_totp_disable, &who, body, NULL, 0, NULL, NULL, &c);
    souk_err e = c.err;
    const char *retry = c.res.retry_after;
    souk__web_call_done(&c);
    if (!e)
        return souk__web_redirect(res, "/account/2fa?m=off");
    if (e == SOUK_E_RATE_LIMITED) {
        res->retry_after = retry;
        return overview(req, res, &who, "Too many attempts. Wait a few minutes, then try again.", true, NULL, 429);
    }
    if (e == SOUK_E_INVALID_CREDENTIALS)
        return overview(req, res, &who, "The password or the code is not right.", true, "This was not accepted.", 401);
    return overview(req, res, &who, "Two-factor sign-in could not be changed. Please try again.", true, NULL,
                    e == SOUK_E_CONFLICT ? 409 : 503);
}
