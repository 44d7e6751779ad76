/*
 * unsubscribe.c — the one-button page behind an e-mail's unsubscribe link
 * (internal.h souk__web_unsub), shared by the wishlist alerts and the
 * campaign mails: GET shows one button (a GET never writes, and mail
 * scanners follow links), whose POST (CSRF-checked like every form) records
 * the opt-out through the owning module. The signed token is the
 * authority: no sign-in is needed. Never cached (it holds a form).
 */
#include "web/internal.h"

#include <string.h>

#include "core/id.h"
#include "core/banned.h"

static int page(souk_req *req, souk_res *res, const souk__web_unsub *u, const char *token, const char *notice,
                bool done, int status)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = u->title, .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>");
    souk_html_text(b, u->title);
    SOUK_HTML_LIT(b, "</h1>\n");
    souk__web_notice(b, notice, status >= 400);
    if (!done && status < 400) {
        SOUK_HTML_LIT(b, "<p>");
        souk_html_text(b, u->question);
        SOUK_HTML_LIT(b, "</p>\n<form method=\"post\" action=\"");
        souk_html_text(b, u->action);
        SOUK_HTML_LIT(b, "\">");
        souk__web_csrf_field(b, csrf);
        SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"t\" value=\"");
        souk_html_text(b, token);
        SOUK_HTML_LIT(b, "\"><button type=\"submit\">Unsubscribe</button></form>\n");
    }
    return souk__web_end(&p);
}

/* A token fit to carry through the form (the check of its signature is the POST's). */
static bool token_shape_ok(const souk__web_unsub *u, const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n < u->token_min || n > u->token_max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') ||
              t[i] == '-' || t[i] == '_' || t[i] == '.'))
            return false;
    return true;
}

int souk__web_unsub_page(souk_req *req, souk_res *res, const souk__web_unsub *u)
{
    const char *t = souk_query_get(&req->query, "t");
    if (!token_shape_ok(u, t))
        return page(req, res, u, "", "This unsubscribe link is not valid.", false, 404);
    return page(req, res, u, t, NULL, false, 200);
}

int souk__web_unsub_submit(souk_req *req, souk_res *res, const souk__web_unsub *u)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    const char *t = souk_web_form_get(&f, "t");
    int64_t user = 0;
    souk_err e = token_shape_ok(u, t) ? u->unsubscribe_tx(req->store, t, &user) : SOUK_E_NOT_FOUND;
    if (e == SOUK_E_NOT_FOUND)
        return page(req, res, u, "", "This unsubscribe link is not valid.", false, 404);
    if (e)
        return souk__web_error(req, res, 503, "Not changed", "Please try again in a moment.");
    char uid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, u->audit_type, souk_arena_strdup(req->arena, souk_id_format("usr", user, uid)));
    res->audit_subject_user = user;
    return page(req, res, u, t, u->done, true, 200);
}
