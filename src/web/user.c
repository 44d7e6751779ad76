/*
 * user.c — the signed-in customer of a browser, and calling other modules'
 * handlers as them.
 *
 * Sessions (docs/internals/web.md): sign-in leaves identity's two tokens in
 * HttpOnly cookies — the access token (a 15-minute JWT) in souk_session,
 * Path=/, and the refresh token in souk_refresh, Path=/account/, so it only
 * travels to the account pages that renew or end the session. Every page
 * that needs the customer has identity verify the access token
 * (souk_identity_authenticate: signature, expiry, revoked session, disabled
 * account) — the storefront keeps no session state of its own. When it has
 * expired, the page sends the browser to /account/renew, a form (POST, with
 * its CSRF token) that trades the refresh token for new ones: a GET never
 * writes, so no prefetch or link can rotate a session.
 */
#include "web/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity.h"
#include "core/banned.h"

#define ACCESS_MAX 2048

int souk__web_user(souk_req *req, souk_principal *who)
{
    return souk__web_principal_of(req, souk__web_cookie_token(req, SOUK__WEB_SESSION_COOKIE, ACCESS_MAX), who);
}

int souk__web_principal_of(souk_req *req, const char *t, souk_principal *who)
{
    memset(who, 0, sizeof *who);
    if (!t || strlen(t) > ACCESS_MAX)
        return -1;
    souk_req probe = *req;
    memset(&probe.principal, 0, sizeof probe.principal);
    const char *authz = souk_arena_printf(req->arena, "Bearer %s", t);
    if (!authz || souk_identity_authenticate(&probe, authz, strlen(authz)) < 0 ||
        probe.principal.kind != SOUK_ACTOR_USER || !probe.principal.session_id)
        return -1;
    *who = probe.principal;
    return 0;
}

const char *souk__web_next(const char *next)
{
    if (!next || next[0] != '/' || next[1] == '/' || strlen(next) > 200)
        return "/account";
    for (const char *p = next; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("/_.?=&%#-", c)))
            return "/account";
    }
    return next;
}

int souk__web_require_user(souk_req *req, souk_res *res, souk_principal *who, const char *next)
{
    if (souk__web_user(req, who) == 0)
        return 0;
    souk_buf q;
    souk_buf_init(&q, 1024);
    souk_html_query_value(&q, souk__web_next(next));
    const char *enc = souk_arena_strdup(req->arena, q.data && !souk_buf_failed(&q) ? q.data : "%2Faccount");
    souk_buf_release(&q);
    bool renew = souk__web_cookie_token(req, SOUK__WEB_REFRESH_COOKIE, 128) != NULL;
    souk__web_redirect(res, souk_arena_printf(req->arena, "/account/%s?next=%s", renew ? "renew" : "signin", enc));
    return -1;
}

void souk__web_session_set(souk_req *req, souk_res *res, const json_t *tokens)
{
    const char *access = json_string_value(json_object_get(tokens, "access_token"));
    const char *refresh = json_string_value(json_object_get(tokens, "refresh_token"));
    json_int_t ttl = json_integer_value(json_object_get(tokens, "expires_in"));
    json_int_t rttl = json_integer_value(json_object_get(tokens, "refresh_expires_in"));
    if (access)
        souk__web_set_cookie(req, res, SOUK__WEB_SESSION_COOKIE, access, "/", ttl > 0 ? (long)ttl : 900);
    if (refresh)
        souk__web_set_cookie(req, res, SOUK__WEB_REFRESH_COOKIE, refresh, "/account/",
                             rttl > 0 ? (long)rttl : 7L * 24 * 3600);
}

void souk__web_session_clear(souk_req *req, souk_res *res)
{
    souk__web_set_cookie(req, res, SOUK__WEB_SESSION_COOKIE, "", "/", 0);
    souk__web_set_cookie(req, res, SOUK__WEB_REFRESH_COOKIE, "", "/account/", 0);
}

void souk__web_call_run(souk_req *req, souk_res *res, souk_handler handler, const souk_principal *who, json_t *body,
                        const souk_header *hdrs, size_t n, const char *param, const char *query, souk__web_call *c)
{
    memset(c, 0, sizeof *c);
    c->res.status = 200;
    souk_buf_init(&c->res.body, 8u << 20);
    souk_problems_init(&c->res.problems);
    char *text = NULL;
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (!text) {
            c->err = SOUK_E_INTERNAL;
            c->status = 500;
            return;
        }
    }
    souk_header *h = souk_arena_alloc(req->arena, (n + 2) * sizeof *h);
    const char *btext = text ? souk_arena_strdup(req->arena, text) : NULL;
    free(text);
    if (!h || (body && !btext)) {
        c->err = SOUK_E_INTERNAL;
        c->status = 500;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        h[k++] = hdrs[i];
    if (btext)
        h[k++] = (souk_header){"content-type", "application/json"};
    const char *ua = souk_req_header(req, "user-agent");
    if (ua)
        h[k++] = (souk_header){"user-agent", ua};
    souk_req sub = souk__web_subrequest(req, h, k, btext, query);
    if (who)
        sub.principal = *who;
    if (param) {
        sub.params[0] = param;
        sub.nparams = 1;
    } else {
        sub.nparams = 0;
    }
    int rc = handler(&sub, &c->res);
    if (rc && !c->res.err)
        souk_res_error(&c->res, SOUK_E_INTERNAL, NULL);
    c->err = c->res.err;
    c->status = c->err ? souk_err_status(c->err) : c->res.status;
    if (!c->err)
        c->answer = souk__web_answer(&c->res);
    if (res && !res->audit_object_type && c->res.audit_object_type)
        souk_res_audit(res, c->res.audit_object_type, c->res.audit_object_id);
    if (res && !res->audit_subject_user)
        res->audit_subject_user = c->res.audit_subject_user;
}

void souk__web_call_done(souk__web_call *c)
{
    json_decref(c->answer);
    json_decref(c->res.json);
    souk_buf_release(&c->res.body);
    c->answer = NULL;
    c->res.json = NULL;
}

const char *souk__web_call_problem(souk_req *req, const souk__web_call *c, const char *fallback)
{
    if (!c->res.problems.count)
        return c->res.err_message ? c->res.err_message : fallback;
    const souk_problem *p = &c->res.problems.items[0];
    return souk_arena_printf(req->arena, "%s %s.", p->field, p->message);
}

void souk__web_notice(souk_buf *b, const char *text, bool bad)
{
    if (bad)
        SOUK_HTML_LIT(b, "<div role=\"alert\">");
    else
        SOUK_HTML_LIT(b, "<div role=\"status\">");
    if (text) {
        if (bad)
            SOUK_HTML_LIT(b, "<p class=\"notice bad\">");
        else
            SOUK_HTML_LIT(b, "<p class=\"notice\">");
        souk_html_text(b, text);
        SOUK_HTML_LIT(b, "</p>");
    }
    SOUK_HTML_LIT(b, "</div>\n");
}

void souk__web_field(souk_buf *b, const souk__web_input *in)
{
    SOUK_HTML_LIT(b, "<div class=\"field\"><label for=\"f-");
    souk_html_text(b, in->name);
    SOUK_HTML_LIT(b, "\">");
    souk_html_text(b, in->label);
    SOUK_HTML_LIT(b, "</label>");
    if (in->error) {
        SOUK_HTML_LIT(b, "<span class=\"error\" id=\"e-");
        souk_html_text(b, in->name);
        SOUK_HTML_LIT(b, "\">");
        souk_html_text(b, in->error);
        SOUK_HTML_LIT(b, "</span>");
    }
    SOUK_HTML_LIT(b, "<input id=\"f-");
    souk_html_text(b, in->name);
    SOUK_HTML_LIT(b, "\" name=\"");
    souk_html_text(b, in->name);
    SOUK_HTML_LIT(b, "\" type=\"");
    souk_html_text(b, in->type ? in->type : "text");
    SOUK_HTML_LIT(b, "\"");
    if (in->autocomplete) {
        SOUK_HTML_LIT(b, " autocomplete=\"");
        souk_html_text(b, in->autocomplete);
        SOUK_HTML_LIT(b, "\"");
    }
    if (in->max) {
        SOUK_HTML_LIT(b, " maxlength=\"");
        souk_html_int(b, in->max);
        SOUK_HTML_LIT(b, "\"");
    }
    if (in->required)
        SOUK_HTML_LIT(b, " required");
    if (in->error) {
        SOUK_HTML_LIT(b, " aria-invalid=\"true\" aria-describedby=\"e-");
        souk_html_text(b, in->name);
        SOUK_HTML_LIT(b, "\"");
    } else if (in->help) {
        SOUK_HTML_LIT(b, " aria-describedby=\"h-");
        souk_html_text(b, in->name);
        SOUK_HTML_LIT(b, "\"");
    }
    SOUK_HTML_LIT(b, " value=\"");
    souk_html_text(b, in->value);
    SOUK_HTML_LIT(b, "\">");
    if (in->help) {
        SOUK_HTML_LIT(b, "<span class=\"muted\" id=\"h-");
        souk_html_text(b, in->name);
        SOUK_HTML_LIT(b, "\">");
        souk_html_text(b, in->help);
        SOUK_HTML_LIT(b, "</span>");
    }
    SOUK_HTML_LIT(b, "</div>\n");
}
