/* internal.h — what the files of src/web share; not for other modules. */
#ifndef SOUK_WEB_INTERNAL_H
#define SOUK_WEB_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "http/http.h"
#include "web/form.h"
#include "web/html.h"
#include "web/web.h"

#define SOUK__WEB_HTML "text/html; charset=utf-8"
#define SOUK__WEB_PAGE_CACHE "public, max-age=60" /* catalog pages in browsers; the server cache follows content */
#define SOUK__WEB_CART_COOKIE "souk_cart"
#define SOUK__WEB_CSRF_COOKIE "souk_csrf"
#define SOUK__WEB_ORDER_COOKIE "souk_order"
#define SOUK__WEB_GUEST_WISHLIST_COOKIE "souk_wishlist" /* a guest's wishlist token, Path=/, 30 days */
#define SOUK__WEB_SESSION_COOKIE "souk_session"         /* the access token (a JWT), Path=/, 15 minutes */
#define SOUK__WEB_REFRESH_COOKIE "souk_refresh"         /* the refresh token, Path=/account/, 7 days */

/* A page being written into res->body. */
typedef struct souk__web_page {
    souk_req *req;
    souk_res *res;
    souk_buf *b;
    const char *title;       /* <title> and og:title (text) */
    const char *description; /* meta description and og:description, or NULL */
    const char *canonical;   /* path of the canonical URL ("/p/slug"), or NULL: not indexed */
    const char *og_type;     /* "website" unless set */
    const char *og_image;    /* absolute or site path, or NULL */
    const char *query;       /* the search box's value, or NULL */
    bool noindex;            /* <meta name="robots" content="noindex"> */
    bool hreflang;           /* with CANONICAL: <link rel="alternate" hreflang> to CANONICAL?locale=<tag> for every
                              * store locale (docs/languages.md) and x-default to CANONICAL; the canonical URL is
                              * then CANONICAL?locale=<tag> when the request's locale is not the default */
    bool session_slot;       /* SOUK__WEB_SLOT_SESSION in the head: the product page puts a signed-in
                              * customer's <meta name="souk-csrf"> there, with which site.js sends its
                              * behaviour events as the customer (the anonymous id is linked to the account) */
} souk__web_page;

/* Places in a page cached for everyone where each visitor's own text goes
 * (web/product.c). Escaped text can never hold "<", so no content can fake one. */
#define SOUK__WEB_SLOT_CSRF "<!--souk:csrf-->"       /* the form's CSRF token */
#define SOUK__WEB_SLOT_SESSION "<!--souk:session-->" /* the session meta, or nothing */

/* Starts the page: doctype, <html lang>, head (title, meta, canonical,
 * OpenGraph, stylesheet, script), header with skip link, search box and
 * cart link, then <main id="main">. Sets the content type. */
void souk__web_begin(souk__web_page *p);

/* Ends <main>, writes the footer and closes the document. Returns 0, or
 * SOUK_E_INTERNAL (set on RES) when the page overflowed its buffer. */
int souk__web_end(souk__web_page *p);

/* Starts P as a page answering STATUS (no-store, noindex; RES's body emptied
 * first) whose heading is TITLE; the caller adds the rest and ends it. */
void souk__web_plain_begin(souk__web_page *p, souk_req *req, souk_res *res, int status, const char *title);

/* Answers STATUS with a small HTML page saying TITLE and MESSAGE (text),
 * never cached. Returns 0 (the answer is the page). */
int souk__web_error(souk_req *req, souk_res *res, int status, const char *title, const char *message);

/* Answers 303 See Other to LOCATION (a site path). Returns 0. */
int souk__web_redirect(souk_res *res, const char *location);

/* The site's origin for absolute URLs (SOUK_PUBLIC_URL, else the listen address). */
const char *souk__web_origin(souk_req *req);

/* A section of recommended products (a list of recommend/service.h) with
 * heading TITLE (element id ID), when A has any: cards as the grids show
 * them, with the LIST name and model version for the script's click events. */
struct souk_rec_answer;
void souk__web_rec_section(souk_req *req, souk_buf *b, const char *id, const char *title, const char *list,
                           const struct souk_rec_answer *a);

/* One product summary (the list's shape) as a grid card. */
void souk__web_card(souk_buf *b, const json_t *summary);

/* A search hit (the search API's shape) as a grid card: as souk__web_card,
 * with the matched words of its title marked and its description snippet,
 * taken from the hit's highlight (engine-escaped HTML, used only when its
 * only markup is <mark>). */
void souk__web_card_marked(souk_buf *b, const json_t *hit);

/* A form's amount V ("12" or "12.50", in the store currency) in minor
 * units; -1 when empty or NULL, -2 when it is not an amount. */
int64_t souk__web_amount_param(souk_req *req, const char *v);

/* A labelled text field NAME for an amount (decimal keyboard), showing VALUE. */
void souk__web_amount_input(souk_buf *b, const char *name, const char *label, const char *value);

/* A Money object M ({amount, currency}) as text; while a flash sale runs
 * (M has "sale": {amount}) the sale price, then the regular one struck
 * through (<del>), each named for screen readers. */
void souk__web_price(souk_buf *b, const json_t *m);

/* The sale price of Money M as a new Money object kept in *TMP (release it
 * with json_decref), or NULL (*TMP NULL) when no sale runs. */
const json_t *souk__web_sale_money(const json_t *m, json_t **tmp);

/* The product page's reviews section for PROD (the catalog's detail JSON)
 * at /p/SLUG: its rating, the most helpful approved reviews and the review
 * form (its CSRF field is the page's slot). Nothing personal: the page is
 * cached for everyone. */
void souk__web_reviews_section(souk_req *req, souk_buf *b, const json_t *prod, const char *slug);

/* A rating {average, count} as five stars (hidden from screen readers) with
 * the average and the number of reviews in words; nothing when there are no
 * reviews, unless ALWAYS ("No reviews yet."). */
void souk__web_stars(souk_buf *b, const json_t *rating, bool always);

/* The product page's image gallery of PROD (the catalog's product JSON):
 * the first image in a <picture> with its srcset (WebP first), thumbnails of
 * the others; nothing without images. ALT falls back to TITLE (gallery.c). */
void souk__web_gallery(souk_buf *b, const json_t *prod, const char *title);

/* A card's first image (SUMMARY's "image"), lazy, 160/480 px wide; nothing without one. */
void souk__web_card_image(souk_buf *b, const json_t *summary, const char *title);

/* The value of cookie NAME (arena copy), or NULL. Only values of 1..128
 * bytes of [A-Za-z0-9_-] are returned: ours never hold anything else. */
const char *souk__web_cookie(souk_req *req, const char *name);

/* The same for a credential cookie: values of 1..MAX bytes of
 * [A-Za-z0-9_.-] (a JWT has dots). */
const char *souk__web_cookie_token(souk_req *req, const char *name, size_t max);

/* Adds a Set-Cookie for NAME=VALUE (HttpOnly; SameSite=Lax; Path=PATH;
 * Max-Age=MAX_AGE; Secure when the request came over TLS, as a trusted
 * proxy says). MAX_AGE 0 deletes the cookie. */
void souk__web_set_cookie(souk_req *req, souk_res *res, const char *name, const char *value, const char *path,
                          long max_age);

/* The CSRF token to put in the visitor's forms (hidden field "csrf"); sets
 * the souk_csrf cookie first when the visitor has none. Arena string. */
const char *souk__web_csrf_token(souk_req *req, souk_res *res);

/* Parses the POST body as a form into F and checks its "csrf" field against
 * the cookie. Returns 0, or answers (400 bad form, 403 bad token) and
 * returns -1. */
int souk__web_form(souk_req *req, souk_res *res, souk_web_form *f);

/* True when the request carries X-CSRF-Token equal to the token of its
 * souk_csrf cookie (what souk__web_csrf_token gave a page of ours). */
bool souk__web_csrf_header_ok(souk_req *req);

/* Writes the hidden csrf field. */
void souk__web_csrf_field(souk_buf *b, const char *token);

/* "/assets/site.<hash>.css" for embedded asset NAME ("site.css"). */
const char *souk__web_asset_path(const char *name);

/* The visitor's guest cart (cookie) into *ID: 0 when found, else -1. */
int souk__web_cart_id(souk_req *req, int64_t *id);

/* The lines and totals of a cart or order (their JSON shares the shape) as
 * a table; with CSRF, each line has the quantity and remove forms. */
void souk__web_cart_table(souk_buf *b, const json_t *cart, const char *csrf);

/* A request like REQ for calling another module's handler in process: the
 * same arena, store and exchange, an anonymous principal (the storefront
 * shops as a guest), HEADERS (N) instead of the browser's, BODY as the
 * body, QUERY as the raw query string. */
souk_req souk__web_subrequest(souk_req *req, const souk_header *headers, size_t n, const char *body, const char *query);

/* ---- the signed-in customer (user.c; docs/internals/web.md "Sessions") ---- */

/* The customer signed in by the souk_session cookie into *WHO: 0 when its
 * access token is valid (an account's session, not an API key), else -1
 * (*WHO zeroed). Verified by identity (souk_identity_authenticate). */
int souk__web_user(souk_req *req, souk_principal *who);

/* The same for access token T (NULL: -1). */
int souk__web_principal_of(souk_req *req, const char *t, souk_principal *who);

/* For pages that need a signed-in customer: 0 with *WHO set, or answers
 * 303 (to /account/renew when the refresh cookie is there, else to
 * /account/signin) with NEXT (a site path) to come back to, and returns -1. */
int souk__web_require_user(souk_req *req, souk_res *res, souk_principal *who, const char *next);

/* Sets the session cookies from a token answer of identity (access_token,
 * refresh_token). */
void souk__web_session_set(souk_req *req, souk_res *res, const json_t *tokens);

/* Deletes the session cookies. */
void souk__web_session_clear(souk_req *req, souk_res *res);

/* NEXT when it is a path on this site a sign-in may send the browser back
 * to ("/…", not "//", at most 200 bytes of [A-Za-z0-9/_.?=&%-]), else
 * "/account". */
const char *souk__web_next(const char *next);

/* One in-process call of another module's handler and what it answered. */
typedef struct souk__web_call {
    souk_res res;   /* the handler's answer (problems, status, err) */
    json_t *answer; /* its JSON body, or NULL */
    souk_err err;   /* res.err */
    int status;     /* res.status, or err's status */
} souk__web_call;

/* Calls HANDLER as WHO (NULL: a guest) with BODY (a JSON object, consumed;
 * NULL: none) and the headers HDRS (N; content-type and user-agent are
 * added), path parameter PARAM (NULL: none) and QUERY (raw, or NULL). The
 * handler's audit object and subject are copied to RES when it has none.
 * Release C with souk__web_call_done. */
void souk__web_call_run(souk_req *req, souk_res *res, souk_handler handler, const souk_principal *who, json_t *body,
                        const souk_header *hdrs, size_t n, const char *param, const char *query, souk__web_call *c);
void souk__web_call_done(souk__web_call *c);

/* Appends to B the loyalty points of the signed-in customer WHO (balances
 * and the ten latest ledger entries; account_loyalty.c); nothing when they
 * cannot be read. */
void souk__web_loyalty_section(souk_req *req, souk_buf *b, const souk_principal *who);

/* The first problem's message of C ("field message"), or FALLBACK. */
const char *souk__web_call_problem(souk_req *req, const souk__web_call *c, const char *fallback);

/* Seals TEXT for a hidden form field: XChaCha20-Poly1305 under a key of
 * this process, bound to this browser's CSRF cookie, valid TTL_S seconds.
 * Arena string (base64url), or NULL. */
const char *souk__web_seal(souk_req *req, const char *text, int ttl_s);

/* Opens what souk__web_seal made in this browser within its time: the
 * text (arena), or NULL. */
const char *souk__web_unseal(souk_req *req, const char *sealed);

/* A <p class="notice"> (BAD: "notice bad") with TEXT inside a live region
 * (role="alert" when BAD, else role="status"); nothing inside for NULL. */
void souk__web_notice(souk_buf *b, const char *text, bool bad);

/* One labelled form field: <div class="field"><label>…<input>…</div>,
 * with ERROR shown beside it (aria-invalid, aria-describedby). */
typedef struct souk__web_input {
    const char *name, *label, *type, *autocomplete;
    const char *value; /* NULL: empty */
    const char *error; /* NULL: none */
    const char *help;  /* a hint under the field, or NULL */
    int max;           /* maxlength, 0 = none */
    bool required;
} souk__web_input;
void souk__web_field(souk_buf *b, const souk__web_input *in);

/* ---- product listings with facets and filters (refine.c): the search page and category pages ---- */

/* A listing's filters as the shopper gave them. SEARCH and PATH are the
 * page's: the search page (PATH "/search", q, ?category=) or a category page
 * (PATH "/c/<slug>" — a slug is URL-safe —, no q, its sub-categories as the
 * category facet). The strings are the query's own (arena). */
#define SOUK__WEB_REFINE_ATTRS_MAX 8 /* attribute filters a page takes (the search API's bound) */
typedef struct souk__web_refine_attr {
    const char *key; /* "attr.NAME" (NAME: a-z, 0-9, '_') */
    const char *value;
} souk__web_refine_attr;

typedef struct souk__web_refine {
    bool search;
    const char *path;
    const char *q, *category, *brand, *vendor, *min, *max, *rating, *sort;
    souk__web_refine_attr attrs[SOUK__WEB_REFINE_ATTRS_MAX]; /* in the query's order */
    size_t nattrs;
    bool in_stock;
    int64_t page;
} souk__web_refine;

/* Why souk__web_refine_run had no answer. */
typedef struct souk__web_refine_fail {
    souk_err err;
    bool warming;        /* the first index is being built (503 with Retry-After) */
    const char *problem; /* the first problem's message, or NULL */
} souk__web_refine_fail;

/* Reads the page's query into R (R->search and R->path set by the caller):
 * NULL, or the problem to answer 400 with (an unknown, repeated or bad
 * parameter). */
const char *souk__web_refine_read(souk_req *req, souk__web_refine *r);

/* Whether R has any filter, a sort or a page past the first (such views are not indexed). */
bool souk__web_refine_filtered(const souk__web_refine *r);

/* R's page as an attribute value: its path and its filters. */
void souk__web_refine_href(souk_buf *b, const souk__web_refine *r);

/* The search engine's answer (GET /api/v1/search's JSON, with the category
 * and brand facets, 20 a page) for R narrowed to CATEGORY (id or slug; NULL:
 * R's own), or NULL with *WHY set. Caller decrefs. */
json_t *souk__web_refine_run(souk_req *req, const souk__web_refine *r, const char *category,
                             souk__web_refine_fail *why);

/* The facets of ANSWER and the filter form, as <aside class="refine">:
 * category names from CATEGORIES (search: the tree {"data": [...]}; a category
 * page: its own "children" array), brand and vendor names from BRANDS and
 * VENDORS (the taxon lists), then the attributes the engine found worth a
 * facet (their values are their names); a facet without names is left out,
 * and so is the vendor facet of a shop with one vendor. */
void souk__web_refine_aside(souk_buf *b, const souk__web_refine *r, const json_t *answer, const json_t *categories,
                            const json_t *brands, const json_t *vendors);

/* "Previous page" / "Next page" links for TOTAL results (at most 50 pages). */
void souk__web_refine_pager(souk_buf *b, const souk__web_refine *r, int64_t total);

/* The position of R's page's first result. */
int64_t souk__web_refine_offset(const souk__web_refine *r);

/* addresses.c: for checkout, a GET form to /checkout choosing one of the
 * customer's SAVED addresses (the address API's data array) by ?address=,
 * CHOSEN (an id, or NULL) selected; nothing with fewer than two. */
void souk__web_saved_address_picker(souk_buf *b, const json_t *saved, const char *chosen);

/* unsubscribe.c: the one-button page of an e-mail's unsubscribe link, for the module whose mail
 * it is. TOKEN_MIN..TOKEN_MAX bytes of [A-Za-z0-9._-] make a token worth carrying; its signature is
 * UNSUBSCRIBE_TX's to check (NOT_FOUND: not ours; *USER the account it names). */
typedef struct souk__web_unsub {
    const char *title;      /* the page's title and heading */
    const char *question;   /* what the button does, in a sentence */
    const char *action;     /* the POST target, the page's own path */
    const char *done;       /* the notice once unsubscribed */
    const char *audit_type; /* the audit entry's object type */
    size_t token_min, token_max;
    souk_err (*unsubscribe_tx)(souk_store *db, const char *token, int64_t *user);
} souk__web_unsub;

/* GET: the page with its one button for ?t= (404 for a token of the wrong shape). */
int souk__web_unsub_page(souk_req *req, souk_res *res, const souk__web_unsub *u);

/* POST (a form: CSRF-checked): the opt-out, audited with the account as subject; the page says so. */
int souk__web_unsub_submit(souk_req *req, souk_res *res, const souk__web_unsub *u);

/* checkout_points.c: a signed-in customer's loyalty points on the checkout page. */
typedef struct souk__web_points {
    int64_t user;           /* the customer (0: a guest, no points) */
    int64_t asked;          /* the points chosen (?points= or the form's loyalty_points; 0: none) */
    const char *error;      /* why the points were refused (shown by the field), or NULL */
    int64_t available, max; /* the balance; the most this cart takes (0: no offer) */
    int64_t used, amount;   /* the points the page is priced with (0: none), and their worth */
    const char *currency;   /* of AMOUNT */
} souk__web_points;

/* CART (the JSON of cart ID; its reference is taken) priced with P's points
 * for P's customer when they can be spent on it, else CART itself; fills P's
 * offer, and P->error when the points were refused. Caller decrefs the result. */
json_t *souk__web_points_price(souk_req *req, souk__web_points *p, int64_t id, json_t *cart);

/* A loyalty problem's message ("only 3 points are available") as a sentence for the page. */
const char *souk__web_points_sentence(souk_req *req, const char *problem);

/* P's section of the checkout page: the balance, what this cart takes, the
 * points used and their worth, and a GET form to /checkout choosing them
 * (ADDRESS, the chosen saved address's id or NULL, kept). Nothing when the
 * customer has no points this cart could take and no refusal to show. */
void souk__web_points_form(souk_buf *b, const souk__web_points *p, const char *address);

/* Parses a handler's JSON answer in RES (its body or its json). NULL when
 * there is none. Caller decrefs. */
json_t *souk__web_answer(souk_res *res);

#endif
