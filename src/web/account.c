/*
 * account.c — sign up, sign in (with the two-factor step), session renewal,
 * sign out, and the account's overview page.
 *
 * Every step calls identity's own handler in process (register, login,
 * refresh, logout, me): the storefront checks no password and signs no
 * token. Sign-in with two-factor sign-in on takes two forms: the first
 * checks the password (identity answers MFA_REQUIRED), the second asks for
 * the code and carries the first form's e-mail and password sealed
 * (souk__web_seal: encrypted under a key of this process, bound to this
 * browser's CSRF cookie, five minutes), since identity checks both again
 * with the code. At sign-in the guest cart of the souk_cart cookie is
 * merged into the customer's cart (cart.h souk_cart_merge) and the cookie
 * dropped.
 */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "cart/cart.h"
#include "core/id.h"
#include "identity/api.h"
#include "wishlist/wishlist.h"
#include "core/banned.h"

#define MFA_TTL_S 300

static void hidden(souk_buf *b, const char *name, const char *value)
{
    SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"");
    souk_html_text(b, name);
    SOUK_HTML_LIT(b, "\" value=\"");
    souk_html_text(b, value);
    SOUK_HTML_LIT(b, "\">\n");
}

/* ---- sign in ---- */

typedef struct signin_view {
    const char *email, *next, *notice, *pending;
    const char *error_email, *error_password, *error_code;
    bool bad;
} signin_view;

static const char *signin_message(const char *m)
{
    if (!m)
        return NULL;
    if (strcmp(m, "signedout") == 0)
        return "You are signed out.";
    if (strcmp(m, "reset") == 0)
        return "Your password was changed. Sign in with the new one.";
    if (strcmp(m, "expired") == 0)
        return "Your session has ended. Please sign in again.";
    if (strcmp(m, "deleted") == 0)
        return "Your account was deleted.";
    return NULL;
}

static int signin_page(souk_req *req, souk_res *res, const signin_view *v, int status)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {
        .req = req, .res = res, .title = v->pending ? "Two-factor sign-in" : "Sign in", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    if (v->pending) {
        SOUK_HTML_LIT(b, "<h1>Two-factor sign-in</h1>\n");
        souk__web_notice(b, v->notice, v->bad);
        SOUK_HTML_LIT(b, "<p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>\n"
                         "<form method=\"post\" action=\"/account/signin\" novalidate>\n");
        souk__web_csrf_field(b, csrf);
        hidden(b, "pending", v->pending);
        hidden(b, "next", v->next);
        souk__web_field(b, &(souk__web_input){.name = "code",
                                              .label = "Code",
                                              .autocomplete = "one-time-code",
                                              .max = 32,
                                              .required = true,
                                              .error = v->error_code});
        SOUK_HTML_LIT(b, "<button type=\"submit\">Sign in</button>\n</form>\n"
                         "<p><a href=\"/account/signin\">Start again</a></p>\n");
        return souk__web_end(&p);
    }
    SOUK_HTML_LIT(b, "<h1>Sign in</h1>\n");
    souk__web_notice(b, v->notice, v->bad);
    SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/account/signin\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    hidden(b, "next", v->next);
    souk__web_field(b, &(souk__web_input){.name = "email",
                                          .label = "E-mail",
                                          .type = "email",
                                          .autocomplete = "username",
                                          .value = v->email,
                                          .max = 254,
                                          .required = true,
                                          .error = v->error_email});
    souk__web_field(b, &(souk__web_input){.name = "password",
                                          .label = "Password",
                                          .type = "password",
                                          .autocomplete = "current-password",
                                          .max = 1024,
                                          .required = true,
                                          .error = v->error_password});
    SOUK_HTML_LIT(b, "<button type=\"submit\">Sign in</button>\n</form>\n"
                     "<p><a href=\"/account/reset\">Forgot your password?</a></p>\n"
                     "<p>New here? <a href=\"/account/signup\">Create an account</a></p>\n");
    return souk__web_end(&p);
}

int souk_web_signin(souk_req *req, souk_res *res)
{
    souk_principal who;
    if (souk__web_user(req, &who) == 0)
        return souk__web_redirect(res, souk__web_next(souk_query_get(&req->query, "next")));
    signin_view v = {.next = souk__web_next(souk_query_get(&req->query, "next")),
                     .notice = signin_message(souk_query_get(&req->query, "m"))};
    return signin_page(req, res, &v, 200);
}

/* After identity signed the customer in (its token answer TOKENS): the
 * cookies, the guest cart merged, and 303 to NEXT. */
static int signed_in(souk_req *req, souk_res *res, const json_t *tokens, const char *next)
{
    souk__web_session_set(req, res, tokens);
    const char *uid = json_string_value(json_object_get(json_object_get(tokens, "user"), "id"));
    int64_t user = 0, from = 0;
    const char *guest = souk__web_cookie(req, SOUK__WEB_CART_COOKIE);
    const char *then = next;
    if (uid && souk_id_parse("usr", uid, strlen(uid), &user) == 0 && guest &&
        souk_cart_find(req->store, 0, guest, &from) == SOUK_OK) {
        souk_problems pr;
        souk_problems_init(&pr);
        int64_t id = 0;
        json_t *cart = NULL;
        souk_err e = souk_cart_merge(req->store, user, from, req->arena, &pr, &id, &cart);
        json_decref(cart);
        if (e == SOUK_OK)
            souk__web_set_cookie(req, res, SOUK__WEB_CART_COOKIE, "", "/", 0);
        else if (e == SOUK_E_VALIDATION)
            then = "/cart?m=notmerged"; /* the guest cart stays as it was; the page says why */
    } else if (guest) {
        souk__web_set_cookie(req, res, SOUK__WEB_CART_COOKIE, "", "/", 0); /* gone or expired */
    }
    /* the guest wishlist the same way: its items join the customer's list (a failed merge keeps it) */
    const char *wished = souk__web_cookie(req, SOUK__WEB_GUEST_WISHLIST_COOKIE);
    if (user && wished && souk_wishlist_merge_guest(req->store, wished, user, NULL) == SOUK_OK)
        souk__web_set_cookie(req, res, SOUK__WEB_GUEST_WISHLIST_COOKIE, "", "/", 0);
    return souk__web_redirect(res, then);
}

int souk_web_signin_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    signin_view v = {.next = souk__web_next(souk_web_form_get(&f, "next")), .bad = true};
    const char *email = souk_web_form_get(&f, "email"), *password = souk_web_form_get(&f, "password");
    const char *pending = souk_web_form_get(&f, "pending"), *code = souk_web_form_get(&f, "code");
    if (pending) {
        const char *open = souk__web_unseal(req, pending);
        const char *nl = open ? strchr(open, '\n') : NULL;
        if (!nl) {
            v.notice = "The two-factor step took too long. Please sign in again.";
            return signin_page(req, res, &v, 400);
        }
        email = souk_arena_strndup(req->arena, open, (size_t)(nl - open));
        password = nl + 1;
        v.pending = pending;
        if (!code || !code[0] || strlen(code) > 32) {
            v.notice = v.error_code = "Enter the code from your authenticator app.";
            return signin_page(req, res, &v, 422);
        }
    }
    v.email = email;
    if (!email || !email[0] || strlen(email) > 254 || strchr(email, '\n'))
        v.error_email = "Enter your e-mail address.";
    if (!password || !password[0] || strlen(password) > 1024)
        v.error_password = "Enter your password.";
    if (v.error_email || v.error_password) {
        v.notice = "Please fill in the fields marked below.";
        return signin_page(req, res, &v, 422);
    }
    json_t *body = json_pack("{s:s,s:s}", "email", email, "password", password);
    if (body && pending) {
        /* recovery codes look like xxxx-xxxx-xxxx; TOTP codes are digits */
        bool digits = strlen(code) <= 16;
        for (const char *p = code; digits && *p; p++)
            digits = *p >= '0' && *p <= '9';
        json_object_set_new(body, digits ? "totp_code" : "recovery_code", json_string(code));
    }
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_login, NULL, body, NULL, 0, NULL, NULL, &c);
    int rc;
    if (!c.err && c.answer) {
        rc = signed_in(req, res, c.answer, v.next);
    } else if (c.err == SOUK_E_MFA_REQUIRED) {
        const char *text = souk_arena_printf(req->arena, "%s\n%s", email, password);
        v.pending = text ? souk__web_seal(req, text, MFA_TTL_S) : NULL;
        v.bad = false;
        if (!v.pending) {
            v.notice = "That password is too long for this form.";
            rc = signin_page(req, res, &v, 422);
        } else {
            rc = signin_page(req, res, &v, 200);
        }
    } else if (c.err == SOUK_E_INVALID_CREDENTIALS) {
        v.notice = pending ? "That code is not right, or was used already. Try the next one."
                           : "The e-mail address or the password is not right.";
        if (pending)
            v.error_code = "This code was not accepted.";
        rc = signin_page(req, res, &v, 401);
    } else if (c.err == SOUK_E_RATE_LIMITED) {
        res->retry_after = c.res.retry_after;
        v.notice = souk_arena_printf(req->arena,
                                     "Too many attempts. Wait %s seconds, then try again (a recovery code works for "
                                     "a locked two-factor step).",
                                     c.res.retry_after ? c.res.retry_after : "a few");
        rc = signin_page(req, res, &v, 429);
    } else if (c.err == SOUK_E_VALIDATION) {
        v.notice = souk__web_call_problem(req, &c, "Please check the fields.");
        rc = signin_page(req, res, &v, 422);
    } else {
        v.notice = "Signing in failed on our side. Please try again.";
        rc = signin_page(req, res, &v, c.status >= 500 ? c.status : 500);
    }
    souk__web_call_done(&c);
    return rc;
}

/* ---- sign up ---- */

typedef struct signup_view {
    const char *email, *name, *next, *notice;
    const char *error_email, *error_password;
    bool marketing;
} signup_view;

static int signup_page(souk_req *req, souk_res *res, const signup_view *v, int status)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Create an account", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Create an account</h1>\n");
    souk__web_notice(b, v->notice, v->notice != NULL);
    SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/account/signup\" novalidate>\n");
    souk__web_csrf_field(b, csrf);
    hidden(b, "next", v->next);
    souk__web_field(b, &(souk__web_input){.name = "email",
                                          .label = "E-mail",
                                          .type = "email",
                                          .autocomplete = "email",
                                          .value = v->email,
                                          .max = 254,
                                          .required = true,
                                          .error = v->error_email});
    souk__web_field(
        b, &(souk__web_input){
               .name = "name", .label = "Your name (optional)", .autocomplete = "name", .value = v->name, .max = 200});
    souk__web_field(b, &(souk__web_input){.name = "password",
                                          .label = "Password",
                                          .type = "password",
                                          .autocomplete = "new-password",
                                          .max = 1024,
                                          .required = true,
                                          .help = "At least 10 characters, not your e-mail address.",
                                          .error = v->error_password});
    SOUK_HTML_LIT(b, "<div class=\"field\"><label><input type=\"checkbox\" name=\"marketing\" value=\"1\"");
    if (v->marketing)
        SOUK_HTML_LIT(b, " checked");
    SOUK_HTML_LIT(b, "> Send me offers by e-mail (you can change this later)</label></div>\n"
                     "<button type=\"submit\">Create account</button>\n</form>\n"
                     "<p>Have an account? <a href=\"/account/signin\">Sign in</a></p>\n");
    return souk__web_end(&p);
}

int souk_web_signup(souk_req *req, souk_res *res)
{
    signup_view v = {.next = souk__web_next(souk_query_get(&req->query, "next"))};
    return signup_page(req, res, &v, 200);
}

int souk_web_signup_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    signup_view v = {.email = souk_web_form_get(&f, "email"),
                     .name = souk_web_form_get(&f, "name"),
                     .next = souk__web_next(souk_web_form_get(&f, "next")),
                     .marketing = souk_web_form_get(&f, "marketing") != NULL};
    const char *password = souk_web_form_get(&f, "password");
    if (!v.email || !v.email[0])
        v.error_email = "Enter your e-mail address.";
    if (!password || !password[0])
        v.error_password = "Choose a password.";
    if (v.error_email || v.error_password) {
        v.notice = "Please fill in the fields marked below.";
        return signup_page(req, res, &v, 422);
    }
    json_t *body = json_pack("{s:s,s:s,s:b}", "email", v.email, "password", password, "marketing_opt_in", v.marketing);
    if (body && v.name && v.name[0])
        json_object_set_new(body, "name", json_string(v.name));
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_register, NULL, body, NULL, 0, NULL, NULL, &c);
    int rc;
    if (!c.err && c.answer) {
        rc = signed_in(req, res, c.answer, v.next);
    } else if (c.err == SOUK_E_CONFLICT) {
        v.error_email = "This address has an account already: sign in, or reset its password.";
        v.notice = "Please correct the fields marked below.";
        rc = signup_page(req, res, &v, 409);
    } else if (c.err == SOUK_E_VALIDATION) {
        for (size_t i = 0; i < c.res.problems.count; i++) {
            const souk_problem *pr = &c.res.problems.items[i];
            const char *text = souk_arena_printf(req->arena, "This %s.", pr->message);
            if (strcmp(pr->field, "password") == 0)
                v.error_password = text;
            else if (strcmp(pr->field, "email") == 0)
                v.error_email = text;
            else
                v.notice = souk_arena_printf(req->arena, "%s %s.", pr->field, pr->message);
        }
        if (!v.notice)
            v.notice = "Please correct the fields marked below.";
        rc = signup_page(req, res, &v, 422);
    } else if (c.err == SOUK_E_RATE_LIMITED) {
        res->retry_after = c.res.retry_after;
        v.notice = "Too many attempts from here. Wait a minute, then try again.";
        rc = signup_page(req, res, &v, 429);
    } else {
        v.notice = "The account could not be made on our side. Please try again.";
        rc = signup_page(req, res, &v, c.status >= 500 ? c.status : 500);
    }
    souk__web_call_done(&c);
    return rc;
}

/* ---- renewal and sign out ---- */

int souk_web_renew(souk_req *req, souk_res *res)
{
    res->cache_control = "no-store";
    const char *next = souk__web_next(souk_query_get(&req->query, "next"));
    if (!souk__web_cookie_token(req, SOUK__WEB_REFRESH_COOKIE, 128))
        return souk__web_redirect(res, "/account/signin?m=expired");
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Stay signed in", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Stay signed in</h1>\n<p>You have been away for a while. Continue to renew your "
                     "session.</p>\n<form method=\"post\" action=\"/account/renew\" data-autosubmit>\n");
    souk__web_csrf_field(b, csrf);
    hidden(b, "next", next);
    SOUK_HTML_LIT(b, "<button type=\"submit\">Continue</button>\n</form>\n");
    return souk__web_end(&p);
}

int souk_web_renew_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    const char *next = souk__web_next(souk_web_form_get(&f, "next"));
    const char *refresh = souk__web_cookie_token(req, SOUK__WEB_REFRESH_COOKIE, 128);
    if (!refresh) {
        souk__web_session_clear(req, res);
        return souk__web_redirect(res, "/account/signin?m=expired");
    }
    souk__web_call c;
    souk__web_call_run(req, res, souk_identity_api_refresh, NULL, json_pack("{s:s}", "refresh_token", refresh), NULL, 0,
                       NULL, NULL, &c);
    int rc;
    if (!c.err && c.answer) {
        souk__web_session_set(req, res, c.answer);
        rc = souk__web_redirect(res, next);
    } else if (c.err == SOUK_E_UNAUTHORIZED) {
        souk__web_session_clear(req, res);
        rc = souk__web_redirect(res, "/account/signin?m=expired");
    } else {
        rc = souk__web_error(req, res, c.status >= 500 ? c.status : 503, "Your session could not be renewed",
                             "Please try again in a moment.");
    }
    souk__web_call_done(&c);
    return rc;
}

int souk_web_signout(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    souk_principal who;
    if (souk__web_user(req, &who) == 0) {
        souk__web_call c;
        souk__web_call_run(req, res, souk_identity_api_logout, &who, NULL, NULL, 0, NULL, NULL, &c);
        souk__web_call_done(&c);
    } else if (souk__web_cookie_token(req, SOUK__WEB_REFRESH_COOKIE, 128)) {
        /* an expired access token: the refresh token still opens the session, to end it */
        souk__web_call c;
        souk__web_call_run(
            req, res, souk_identity_api_refresh, NULL,
            json_pack("{s:s}", "refresh_token", souk__web_cookie_token(req, SOUK__WEB_REFRESH_COOKIE, 128)), NULL, 0,
            NULL, NULL, &c);
        const char *access = json_string_value(json_object_get(c.answer, "access_token"));
        souk_principal p2;
        if (souk__web_principal_of(req, access, &p2) == 0) {
            souk__web_call d;
            souk__web_call_run(req, res, souk_identity_api_logout, &p2, NULL, NULL, 0, NULL, NULL, &d);
            souk__web_call_done(&d);
        }
        souk__web_call_done(&c);
    }
    souk__web_session_clear(req, res);
    return souk__web_redirect(res, "/account/signin?m=signedout");
}

/* ---- the overview ---- */

int souk_web_account(souk_req *req, souk_res *res)
{
    res->cache_control = "no-store";
    souk_principal who;
    if (souk__web_require_user(req, res, &who, "/account"))
        return 0;
    souk__web_call c;
    souk__web_call_run(req, NULL, souk_identity_api_me, &who, NULL, NULL, 0, NULL, NULL, &c);
    if (c.err || !c.answer) {
        souk__web_call_done(&c);
        return souk__web_error(req, res, 503, "Your account could not be shown", "Please try again in a moment.");
    }
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Your account", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    const char *name = json_string_value(json_object_get(c.answer, "name"));
    SOUK_HTML_LIT(b, "<h1>Your account</h1>\n<p>Signed in as <strong id=\"account-email\">");
    souk_html_text(b, json_string_value(json_object_get(c.answer, "email")));
    SOUK_HTML_LIT(b, "</strong>");
    if (name && name[0]) {
        SOUK_HTML_LIT(b, " (");
        souk_html_text(b, name);
        SOUK_HTML_LIT(b, ")");
    }
    SOUK_HTML_LIT(b, ".</p>\n<ul class=\"links\">\n<li><a href=\"/account/orders\">Your orders and returns</a></li>\n"
                     "<li><a href=\"/account/wishlist\">Your wishlist</a></li>\n"
                     "<li><a href=\"/account/profile\">Profile</a></li>\n"
                     "<li><a href=\"/account/addresses\">Addresses</a></li>\n"
                     "<li><a href=\"/account/2fa\">Two-factor sign-in</a> (");
    if (json_is_true(json_object_get(c.answer, "two_factor_enabled")))
        SOUK_HTML_LIT(b, "on");
    else
        SOUK_HTML_LIT(b, "off");
    SOUK_HTML_LIT(b, ")</li>\n<li><a href=\"/account/privacy\">Privacy: consents, your data, delete the "
                     "account</a></li>\n</ul>\n");
    souk__web_loyalty_section(req, b, &who);
    SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/account/signout\">\n");
    souk__web_csrf_field(b, csrf);
    SOUK_HTML_LIT(b, "<button type=\"submit\" class=\"secondary\">Sign out</button>\n</form>\n");
    souk__web_call_done(&c);
    return souk__web_end(&p);
}
