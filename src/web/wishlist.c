/*
 * wishlist.c — the storefront's wishlist: the "Add to wishlist" form of the
 * product page, the list page (a guest's or the customer's), the public
 * read-only page of a shared list and the unsubscribe page of the alerts.
 *
 * It calls src/wishlist's functions directly (wishlist.h): the list is a
 * storefront feature first and has no handler logic worth sharing. A guest's
 * list is found by the souk_wishlist cookie (HttpOnly, Path=/, 30 days, made
 * on the first add); at sign-in account.c merges it into the customer's and
 * deletes the cookie. Forms are CSRF-checked like every other; the pages
 * hold forms (the visitor's token), so they are never cached.
 */
#include "web/internal.h"

#include <string.h>

#include "core/id.h"
#include "wishlist/wishlist.h"
#include "core/banned.h"

#define GUEST_MAX_AGE (30L * 24 * 3600)

/* Whose list this browser shows: 0 with *OWNER set (a signed-in customer, or
 * a guest with or without a cookie: guest_token NULL), or -1 after answering
 * a 303 to renew an expired session (REFRESH cookie present) back to NEXT. */
static int owner_of(souk_req *req, souk_res *res, souk_wishlist_owner *owner, const char *next)
{
    memset(owner, 0, sizeof *owner);
    souk_principal who;
    if (souk__web_user(req, &who) == 0) {
        owner->user_id = who.user_id;
        return 0;
    }
    if (souk__web_cookie_token(req, SOUK__WEB_REFRESH_COOKIE, 128))
        return souk__web_require_user(req, res, &who, next);
    owner->guest_token = souk__web_cookie(req, SOUK__WEB_GUEST_WISHLIST_COOKIE);
    return 0;
}

static const char *notice_of(const char *m)
{
    static const struct {
        const char *code, *text;
    } notes[] = {
        {"added", "Added to your wishlist."},
        {"there", "It is on your wishlist already."},
        {"removed", "Removed from your wishlist."},
        {"shared", "Your share link is ready: anyone with it can see this list, nothing else."},
        {"unshared", "The share link no longer works."},
        {"alerts-on", "You will get e-mails when items come back or get cheaper."},
        {"alerts-off", "You will get no more wishlist e-mails."},
    };
    for (size_t i = 0; m && i < sizeof notes / sizeof notes[0]; i++)
        if (strcmp(m, notes[i].code) == 0)
            return notes[i].text;
    return NULL;
}

/* The items of LIST (souk_wishlist_json's "items") as a list; with CSRF, each has a remove form. */
static void items_html(souk_buf *b, const json_t *items, const char *csrf)
{
    if (!json_array_size(items)) {
        SOUK_HTML_LIT(b, "<p id=\"wishlist-empty\">Nothing here yet. Find something you like and choose "
                         "\xe2\x80\x9c"
                         "Add to wishlist\xe2\x80\x9d on its page.</p>\n");
        return;
    }
    SOUK_HTML_LIT(b, "<ul class=\"wishlist\" id=\"wishlist-items\">\n");
    size_t i;
    const json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *vt = json_string_value(json_object_get(it, "variant_title"));
        SOUK_HTML_LIT(b, "<li class=\"wishlist-item\"><a href=\"/p/");
        souk_html_query_value(b, json_string_value(json_object_get(it, "slug")));
        SOUK_HTML_LIT(b, "\">");
        souk_html_text(b, json_string_value(json_object_get(it, "title")));
        SOUK_HTML_LIT(b, "</a>");
        if (vt && vt[0]) {
            SOUK_HTML_LIT(b, " <span class=\"muted\">(");
            souk_html_text(b, vt);
            SOUK_HTML_LIT(b, ")</span>");
        }
        const json_t *price = json_object_get(it, "price");
        if (json_is_object(price)) {
            SOUK_HTML_LIT(b, " — <span class=\"price\">");
            souk__web_price(b, price);
            SOUK_HTML_LIT(b, "</span>");
        }
        if (!json_is_true(json_object_get(it, "active")))
            SOUK_HTML_LIT(b, " <span class=\"stock-out\">No longer sold</span>");
        else if (json_is_true(json_object_get(it, "available")))
            SOUK_HTML_LIT(b, " <span class=\"stock-in\">In stock</span>");
        else
            SOUK_HTML_LIT(b, " <span class=\"stock-out\">Sold out</span>");
        if (csrf) {
            SOUK_HTML_LIT(b, "\n<form method=\"post\" action=\"/account/wishlist/remove\" class=\"inline\">");
            souk__web_csrf_field(b, csrf);
            SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"item\" value=\"");
            souk_html_text(b, json_string_value(json_object_get(it, "id")));
            SOUK_HTML_LIT(b, "\"><button type=\"submit\" class=\"secondary\" aria-label=\"Remove ");
            souk_html_text(b, json_string_value(json_object_get(it, "title")));
            SOUK_HTML_LIT(b, " from your wishlist\">Remove</button></form>");
        }
        SOUK_HTML_LIT(b, "</li>\n");
    }
    SOUK_HTML_LIT(b, "</ul>\n");
}

static int list_page(souk_req *req, souk_res *res, const souk_wishlist_owner *owner, const char *notice, int status)
{
    json_t *list = NULL;
    if (souk_wishlist_json(req->store, owner, req->config->currency, &list) != SOUK_OK)
        return souk__web_error(req, res, 503, "Your wishlist could not be shown", "Please try again in a moment.");
    res->cache_control = "no-store";
    res->status = status;
    souk_buf_reset(&res->body);
    const char *csrf = souk__web_csrf_token(req, res);
    souk__web_page p = {.req = req, .res = res, .title = "Your wishlist", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>Your wishlist</h1>\n");
    souk__web_notice(b, notice, false);
    items_html(b, json_object_get(list, "items"), csrf);
    if (!owner->user_id) {
        SOUK_HTML_LIT(b, "<p>This list is kept in this browser for 30 days. "
                         "<a href=\"/account/signin?next=%2Faccount%2Fwishlist\">Sign in</a> or "
                         "<a href=\"/account/signup\">create an account</a> to keep it, share it and hear when an "
                         "item is back in stock or cheaper.</p>\n");
    } else {
        const char *share = json_string_value(json_object_get(list, "share_token"));
        SOUK_HTML_LIT(b, "<section aria-labelledby=\"share-h\"><h2 id=\"share-h\">Share your wishlist</h2>\n");
        if (share) {
            const char *url = souk_arena_printf(req->arena, "%s/wishlist/shared/%s", souk__web_origin(req), share);
            SOUK_HTML_LIT(b, "<p>Anyone with this link can see the list (products and prices only): "
                             "<a id=\"share-link\" href=\"/wishlist/shared/");
            souk_html_query_value(b, share);
            SOUK_HTML_LIT(b, "\">");
            souk_html_text(b, url);
            SOUK_HTML_LIT(b, "</a></p>\n");
        } else {
            SOUK_HTML_LIT(b, "<p>Not shared. A link lets others see the products on it, nothing about you.</p>\n");
        }
        SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/account/wishlist/share\" class=\"inline\">");
        souk__web_csrf_field(b, csrf);
        if (share)
            SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"action\" value=\"revoke\">"
                             "<button type=\"submit\" class=\"secondary\">Stop sharing</button>");
        else
            SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"action\" value=\"create\">"
                             "<button type=\"submit\">Make a share link</button>");
        SOUK_HTML_LIT(b, "</form>\n</section>\n"
                         "<section aria-labelledby=\"alerts-h\"><h2 id=\"alerts-h\">E-mail alerts</h2>\n");
        bool on = json_is_true(json_object_get(list, "alerts"));
        if (on)
            SOUK_HTML_LIT(b, "<p id=\"alerts-state\">On: at most one e-mail a week per item, when it is back in stock "
                             "or its price drops. They are e-mail offers, so they need your consent to e-mail offers "
                             "(<a href=\"/account/privacy\">Privacy</a>).</p>\n");
        else
            SOUK_HTML_LIT(b, "<p id=\"alerts-state\">Off: you get no wishlist e-mails.</p>\n");
        SOUK_HTML_LIT(b, "<form method=\"post\" action=\"/account/wishlist/alerts\" class=\"inline\">");
        souk__web_csrf_field(b, csrf);
        if (on)
            SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"enabled\" value=\"0\">"
                             "<button type=\"submit\" class=\"secondary\">Turn alerts off</button>");
        else
            SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"enabled\" value=\"1\">"
                             "<button type=\"submit\">Turn alerts on</button>");
        SOUK_HTML_LIT(b, "</form>\n</section>\n<p><a href=\"/account\">Back to your account</a></p>\n");
    }
    json_decref(list);
    return souk__web_end(&p);
}

int souk_web_wishlist(souk_req *req, souk_res *res)
{
    souk_wishlist_owner owner;
    if (owner_of(req, res, &owner, "/account/wishlist"))
        return 0;
    return list_page(req, res, &owner, notice_of(souk_query_get(&req->query, "m")), 200);
}

/* Reads an id with PREFIX from form field NAME (empty or absent: 0). 0, or -1 when malformed. */
static int form_id(const souk_web_form *f, const char *name, const char *prefix, int64_t *id)
{
    const char *v = souk_web_form_get(f, name);
    *id = 0;
    if (!v || !v[0])
        return 0;
    return souk_id_parse(prefix, v, strlen(v), id) == 0 ? 0 : -1;
}

int souk_web_wishlist_add(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    int64_t product = 0, variant = 0;
    if (form_id(&f, "product", "prod", &product) || form_id(&f, "variant", "var", &variant) || (!product && !variant))
        return souk__web_error(req, res, 400, "Nothing to add", "Choose a product to add to your wishlist.");
    souk_wishlist_owner owner;
    if (owner_of(req, res, &owner, "/account/wishlist"))
        return 0;
    char fresh[SOUK_WISHLIST_TOKEN_MAX];
    int64_t item = 0;
    bool created = false;
    const char *why = NULL;
    souk_err e = SOUK_E_NOT_FOUND;
    if (owner.user_id || owner.guest_token) {
        e = souk_wishlist_add_tx(req->store, &owner, product, variant, req->config->currency, &item, &created, &why);
        if (!owner.user_id && e == SOUK_E_NOT_FOUND && why && strcmp(why, "No such wishlist.") == 0)
            owner.guest_token = NULL; /* the cookie's list is gone (purged): a new one */
    }
    if (!owner.user_id && !owner.guest_token) {
        e = souk_wishlist_guest_create_tx(req->store, fresh);
        if (!e) {
            owner.guest_token = fresh;
            souk__web_set_cookie(req, res, SOUK__WEB_GUEST_WISHLIST_COOKIE, fresh, "/", GUEST_MAX_AGE);
            e = souk_wishlist_add_tx(req->store, &owner, product, variant, req->config->currency, &item, &created,
                                     &why);
        }
    }
    if (e == SOUK_E_NOT_FOUND)
        return souk__web_error(req, res, 404, "Not added", why ? why : "This product is not for sale.");
    if (e == SOUK_E_CONFLICT)
        return list_page(req, res, &owner, why, 409);
    if (e)
        return souk__web_error(req, res, 503, "Not added", "Please try again in a moment.");
    if (!owner.user_id) /* a guest list lives 30 days after its last change: so does its cookie */
        souk__web_set_cookie(req, res, SOUK__WEB_GUEST_WISHLIST_COOKIE, owner.guest_token, "/", GUEST_MAX_AGE);
    char iid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "wishlist_item",
                   souk_arena_strdup(req->arena, souk_id_format(SOUK_PREFIX_WISHLIST_ITEM, item, iid)));
    return souk__web_redirect(res, created ? "/account/wishlist?m=added" : "/account/wishlist?m=there");
}

int souk_web_wishlist_remove(souk_req *req, souk_res *res)
{
    souk_web_form f;
    if (souk__web_form(req, res, &f))
        return 0;
    int64_t item = 0;
    if (form_id(&f, "item", SOUK_PREFIX_WISHLIST_ITEM, &item) || !item)
        return souk__web_error(req, res, 400, "Nothing to remove", "Choose an item of your wishlist.");
    souk_wishlist_owner owner;
    if (owner_of(req, res, &owner, "/account/wishlist"))
        return 0;
    souk_err e = souk_wishlist_remove_tx(req->store, &owner, item);
    if (e == SOUK_E_NOT_FOUND)
        return souk__web_error(req, res, 404, "No such item", "This item is not on your wishlist.");
    if (e)
        return souk__web_error(req, res, 503, "Not removed", "Please try again in a moment.");
    if (!owner.user_id && owner.guest_token)
        souk__web_set_cookie(req, res, SOUK__WEB_GUEST_WISHLIST_COOKIE, owner.guest_token, "/", GUEST_MAX_AGE);
    souk_res_audit(res, "wishlist_item", souk_web_form_get(&f, "item"));
    return souk__web_redirect(res, "/account/wishlist?m=removed");
}

/* The signed-in customer for a form that needs one: 0, or -1 after answering. */
static int customer_form(souk_req *req, souk_res *res, souk_web_form *f, souk_principal *who)
{
    if (souk__web_form(req, res, f))
        return -1;
    if (souk__web_user(req, who) < 0) {
        souk__web_error(req, res, 401, "Please sign in", "Sign in again, then try once more.");
        return -1;
    }
    return 0;
}

int souk_web_wishlist_share(souk_req *req, souk_res *res)
{
    souk_web_form f;
    souk_principal who;
    if (customer_form(req, res, &f, &who))
        return 0;
    const char *action = souk_web_form_get(&f, "action");
    bool create = action && strcmp(action, "create") == 0;
    if (!create && !(action && strcmp(action, "revoke") == 0))
        return souk__web_error(req, res, 400, "Unknown action", "Make a share link or stop sharing.");
    char token[SOUK_WISHLIST_TOKEN_MAX];
    souk_err e = create ? souk_wishlist_share_tx(req->store, who.user_id, token)
                        : souk_wishlist_unshare_tx(req->store, who.user_id);
    if (e)
        return souk__web_error(req, res, 503, "Not changed", "Please try again in a moment.");
    char uid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "wishlist", souk_arena_strdup(req->arena, souk_id_format("usr", who.user_id, uid)));
    return souk__web_redirect(res, create ? "/account/wishlist?m=shared" : "/account/wishlist?m=unshared");
}

int souk_web_wishlist_alerts(souk_req *req, souk_res *res)
{
    souk_web_form f;
    souk_principal who;
    if (customer_form(req, res, &f, &who))
        return 0;
    const char *v = souk_web_form_get(&f, "enabled");
    if (!v || (strcmp(v, "0") != 0 && strcmp(v, "1") != 0))
        return souk__web_error(req, res, 400, "Unknown choice", "Turn the alerts on or off.");
    bool on = v[0] == '1';
    if (souk_wishlist_alerts_set_tx(req->store, who.user_id, on))
        return souk__web_error(req, res, 503, "Not changed", "Please try again in a moment.");
    char uid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "wishlist", souk_arena_strdup(req->arena, souk_id_format("usr", who.user_id, uid)));
    return souk__web_redirect(res, on ? "/account/wishlist?m=alerts-on" : "/account/wishlist?m=alerts-off");
}

int souk_web_wishlist_shared(souk_req *req, souk_res *res)
{
    json_t *list = NULL;
    souk_err e =
        souk_wishlist_shared_json(req->store, req->nparams ? req->params[0] : NULL, req->config->currency, &list);
    if (e == SOUK_E_NOT_FOUND)
        return souk__web_error(req, res, 404, "No such wishlist",
                               "This link does not lead to a wishlist: it may have been stopped by its owner.");
    if (e)
        return souk__web_error(req, res, 503, "This wishlist could not be shown", "Please try again in a moment.");
    res->cache_control = "no-store";
    souk__web_page p = {.req = req, .res = res, .title = "A shared wishlist", .noindex = true};
    souk__web_begin(&p);
    souk_buf *b = p.b;
    SOUK_HTML_LIT(b, "<h1>A shared wishlist</h1>\n<p class=\"muted\">Someone shared these products with you.</p>\n");
    items_html(b, json_object_get(list, "items"), NULL);
    json_decref(list);
    return souk__web_end(&p);
}

static const souk__web_unsub unsub = {
    .title = "Wishlist e-mails",
    .question = "Stop the e-mails about items on your wishlist coming back in stock or getting cheaper? Nothing "
                "else changes.",
    .action = "/wishlist/unsubscribe",
    .done = "You are unsubscribed: you will get no more wishlist e-mails.",
    .audit_type = "wishlist",
    .token_min = 4,
    .token_max = SOUK_WISHLIST_UNSUB_MAX - 1,
    .unsubscribe_tx = souk_wishlist_unsubscribe_tx,
};

int souk_web_wishlist_unsubscribe(souk_req *req, souk_res *res)
{
    return souk__web_unsub_page(req, res, &unsub);
}

int souk_web_wishlist_unsubscribe_submit(souk_req *req, souk_res *res)
{
    return souk__web_unsub_submit(req, res, &unsub);
}
