/*
 * reset.c — forgotten passwords: the request form (an e-mail address) and
 * the reset form (the code from the e-mail and a new password), both
 * through identity's handlers. The code is typed or pasted into the form,
 * never put in a link: a URL ends up in histories, logs and Referer
 * headers. The request page says the same whether or not the address has
 * an account, as identity's answer does.
 */
#include "web/internal.h"

#include <string.h>

#include "identity/api.h"
#include "core/banned.h"

static int request_page(souk_req *req, souk_res *res, const char *notice, bool bad, const char *email, int status)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Reset your password", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Reset your password</h1>\n");
    souk__web_notice(b, notice, bad);
    SOUK_HTML_LIT(b, "<p>We will e-mail a reset code to the address of your account.</p>\n"
                     "<form method=\"post\" action=\"/account/reset\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    souk__web_field(b, &(souk__web_input){.name = "email",
                                          .label = "E-mail",
                                          .type = "email",
                                          .autocomplete = "email",
                                          .value = email,
                                          .max = 254,
                                          .required = true});
    SOUK_HTML_LIT(b, "<button type=\"submit\">Send the code</button>\n</form>\n"
                     "<p>Have a code already? <a href=\"/account/reset/confirm\">Enter it</a></p>\n");
    return souk__web_end(&p);
}

int souk_web_reset(souk_req *req, souk_res *res)
{
    return request_page(req, res, NULL, false, NULL, 200);
}

int souk_web_reset_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    const char *email = souk_web_form_get(&f, "email");
    if (!email || !email[0] || strlen(email) > 254)
        return request_page(req, res, "Enter the e-mail address of your account.", true, email, 422);
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_reset_request, NULL, json_pack("{s:s}", "email", email), NULL, 0,
                       NULL, NULL, &c);
    souk_err e = c.err;
    const char *retry = c.res.retry_after;
    souk__web_call_done(&c);
    if (e == SOUK_E_RATE_LIMITED) {
        res->retry_after = retry;
        return request_page(req, res, "Too many requests from here. Wait a minute, then try again.", true, email, 429);
    }
    if (e)
        return request_page(req, res, "The request could not be taken on our side. Please try again.", true, email,
                            e == SOUK_E_VALIDATION ? 422 : 503);
    return souk__web_redirect(res, "/account/reset/confirm?m=sent");
}

static int confirm_page(souk_req *req, souk_res *res, const char *notice, bool bad, const char *err_token,
                        const char *err_password, int status)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Choose a new password", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Choose a new password</h1>\n");
    souk__web_notice(b, notice, bad);
    SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/account/reset/confirm\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    souk__web_field(b, &(souk__web_input){.name = "token",
                                          .label = "Reset code from the e-mail",
                                          .autocomplete = "one-time-code",
                                          .max = 128,
                                          .required = true,
                                          .help = "It starts with pr_ and is valid for one hour.",
                                          .error = err_token});
    souk__web_field(b, &(souk__web_input){.name = "password",
                                          .label = "New password",
                                          .type = "password",
                                          .autocomplete = "new-password",
                                          .max = 1024,
                                          .required = true,
                                          .error = err_password});
    SOUK_HTML_LIT(b, "<button type=\"submit\">Change the password</button>\n</form>\n");
    return souk__web_end(&p);
}

int souk_web_reset_confirm(souk_req *req, souk_res *res)
{
    const char *m = souk_query_get(&req->query, "m");
    bool sent = m && strcmp(m, "sent") == 0;
    return confirm_page(req, res,
                        sent ? "If the address has an account, a reset code is on its way. Enter it below." : NULL,
                        false, NULL, NULL, 200);
}

int souk_web_reset_confirm_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    const char *token = souk_web_form_get(&f, "token"), *password = souk_web_form_get(&f, "password");
    if (!token || !token[0] || !password || !password[0])
        return confirm_page(req, res, "Please fill in the fields marked below.", true,
                            token && token[0] ? NULL : "Enter the code from the e-mail.",
                            password && password[0] ? NULL : "Choose a new password.", 422);
    while (*token == ' ')
        token++;
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_reset_confirm, NULL,
                       json_pack("{s:s,s:s}", "token", token, "new_password", password), NULL, 0, NULL, NULL, &c);
    int rc;
    if (!c.err) {
        souk__web_session_clear(req, res); /* identity ended every session of the account */
        rc = souk__web_redirect(res, "/account/signin?m=reset");
    } else if (c.err == SOUK_E_VALIDATION) {
        const char *et = NULL, *ep = NULL;
        for (size_t i = 0; i < c.res.problems.count; i++) {
            const souk_problem *pr = &c.res.problems.items[i];
            const char *text = souk_arena_printf(req->arena, "This %s.", pr->message);
            if (strcmp(pr->field, "token") == 0)
                et = "This code is unknown, used already or expired. Ask for a new one.";
            else if (strcmp(pr->field, "new_password") == 0)
                ep = text;
        }
        rc = confirm_page(req, res, "Please correct the fields marked below.", true, et, ep, 422);
    } else if (c.err == SOUK_E_RATE_LIMITED) {
        res->retry_after = c.res.retry_after;
        rc = confirm_page(req, res, "Too many attempts from here. Wait a minute, then try again.", true, NULL, NULL,
                          429);
    } else {
        rc = confirm_page(req, res, "The password could not be changed on our side. Please try again.", true, NULL,
                          NULL, 503);
    }
    souk__web_call_done(&c);
    return rc;
}
