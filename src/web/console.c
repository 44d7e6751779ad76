/*
 * console.c — the admin (/admin) and vendor (/vendor) dashboards' shell
 * pages, and the one way a dashboard's script calls the JSON API.
 *
 * The dashboards are a script (web/admin, bundled by esbuild and embedded)
 * that draws every screen from the API. It holds no token: the browser's
 * souk_session cookie (HttpOnly, the storefront's sign-in) is the session.
 * A cookie alone must never authorize an API call — another site can make
 * the browser send it — so souk_web_api_credential lets the cookie stand
 * for an Authorization header only when the call also carries X-CSRF-Token
 * with this browser's CSRF token, which only a page of ours can read (it is
 * in the shell's <meta>; a cross-site request cannot set a custom header
 * without a CORS preflight souk never grants for it). docs/internals/web.md.
 */
#include "web/internal.h"

#include <string.h>

#include "core/banned.h"

#define ACCESS_MAX 2048

const char *souk_web_api_credential(souk_req *req)
{
    if (strncmp(req->path, "/api/", 5) != 0 || !souk__web_csrf_header_ok(req))
        return NULL;
    const char *t = souk__web_cookie_token(req, SOUK__WEB_SESSION_COOKIE, ACCESS_MAX);
    return t ? souk_arena_printf(req->arena, "Bearer %s", t) : NULL;
}

/* the vendor face is for vendors' own accounts; the admin face for staff who may read every order */
static bool may(const souk_principal *who, bool vendor)
{
    if (vendor)
        return who->vendor_id != 0 && souk_permissions_contain(who->permissions, "orders:fulfil:own");
    return souk_permissions_contain(who->permissions, "orders:read:any");
}

/* the shell page of FACE ("admin", "vendor") for WHO */
static int shell(souk_req *req, souk_res *res, const char *face, const souk_principal *who)
{
    const char *csrf = souk__web_csrf_token(req, res);
    souk_buf *b = &res->body;
    SOUK_HTML_LIT(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<meta name=\"robots\" content=\"noindex\">\n<title>souk ");
    souk_html_text(b, face);
    SOUK_HTML_LIT(b, "</title>\n<meta name=\"souk-face\" content=\"");
    souk_html_text(b, face);
    SOUK_HTML_LIT(b, "\">\n<meta name=\"souk-csrf\" content=\"");
    souk_html_text(b, csrf);
    SOUK_HTML_LIT(b, "\">\n<meta name=\"souk-permissions\" content=\"");
    souk_html_text(b, who->permissions ? who->permissions : "");
    SOUK_HTML_LIT(b, "\">\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"");
    souk_html_text(b, souk__web_asset_path("admin.css"));
    SOUK_HTML_LIT(b, "\">\n<script src=\"");
    souk_html_text(b, souk__web_asset_path("admin.js"));
    SOUK_HTML_LIT(b, "\" defer></script>\n</head>\n<body>\n<div id=\"app\"><main id=\"main\"><h1>souk ");
    souk_html_text(b, face);
    SOUK_HTML_LIT(b, "</h1><p>Loading the dashboard… It needs JavaScript; the shop itself works without it.</p>"
                     "</main></div>\n</body>\n</html>\n");
    if (souk_buf_failed(b))
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    res->content_type = SOUK__WEB_HTML;
    res->cache_control = "no-store";
    return 0;
}

/* the face's page for a signed-in customer it is for (else 403) */
static int console(souk_req *req, souk_res *res, const char *face, const char *next)
{
    souk_principal who;
    if (souk__web_require_user(req, res, &who, next) < 0)
        return 0;
    bool vendor = strcmp(face, "vendor") == 0;
    if (!may(&who, vendor))
        return souk__web_error(req, res, 403, "Not for this account",
                               vendor ? "The vendor dashboard is for accounts with the vendor role."
                                      : "The admin dashboard is for staff accounts (admins and inventory managers). "
                                        "Sign in with such an account.");
    return shell(req, res, face, &who);
}

int souk_web_admin(souk_req *req, souk_res *res)
{
    return console(req, res, "admin", "/admin");
}

int souk_web_vendor(souk_req *req, souk_res *res)
{
    return console(req, res, "vendor", "/vendor");
}
