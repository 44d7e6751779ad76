/*
 * campaigns.c — the storefront page of a campaign mail's unsubscribe link:
 * GET /campaigns/unsubscribe?t=… shows one button (a GET never writes, and
 * mail scanners follow links), whose POST (CSRF-checked like every form)
 * records the opt-out through src/campaigns. The signed token is the
 * authority: no sign-in is needed. Never cached (it holds a form).
 */
#include "web/internal.h"

#include <string.h>

#include "campaigns/campaigns.h"
#include "core/id.h"
#include "core/banned.h"

static int page(souk_req *req, souk_res *res, const char *token, const char *notice, bool done, int status)
{
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Offers by e-mail", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Offers by e-mail</h1>\n");
    souk__web_notice(b, notice, status >= 400);
    if (!done && status < 400) {
        SOUK_HTML_LIT(b, "<p>Stop our campaign e-mails (offers for returning and best customers)? E-mails about "
                         "your orders and your account still come.</p>\n"
                         "<form method=\"post\" action=\"/campaigns/unsubscribe\">");
        souk__web_csrf_field(b, csrf);
        SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"t\" value=\"");
        souk_html_text(b, token);
        SOUK_HTML_LIT(b, "\"><button type=\"submit\">Unsubscribe</button></form>\n");
    }
    return souk__web_end(&p);
}

/* A token fit to carry through the form (the check of its signature is the POST's). */
static bool token_shape_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n < 6 || n >= SOUK_CAMPAIGNS_UNSUB_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') ||
              t[i] == '-' || t[i] == '_' || t[i] == '.'))
            return false;
    return true;
}

int souk_web_campaigns_unsubscribe(souk_req *req, souk_res *res)
{
    const char *t = souk_query_get(&req->query, "t");
    if (!token_shape_ok(t))
        return page(req, res, "", "This unsubscribe link is not valid.", false, 404);
    return page(req, res, t, NULL, false, 200);
}

int souk_web_campaigns_unsubscribe_submit(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    const char *t = souk_web_form_get(&f, "t");
    int64_t user = 0;
    souk_err e = token_shape_ok(t) ? souk_campaigns_unsubscribe_tx(req->store, t, &user) : SOUK_E_NOT_FOUND;
    if (e == SOUK_E_NOT_FOUND)
        return page(req, res, "", "This unsubscribe link is not valid.", false, 404);
    if (e)
        return souk__web_error(req, res, 503, "Not changed", "Please try again in a moment.");
    char uid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "campaign_optout", souk_arena_strdup(req->arena, souk_id_format("usr", user, uid)));
    res->audit_subject_user = user;
    return page(req, res, t, "You are unsubscribed: you will get no more campaign e-mails.", true, 200);
}
