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
} souk__web_page;

/* Starts the page: doctype, <html lang>, head (title, meta, canonical,
 * OpenGraph, stylesheet, script), header with skip link, search box and
 * cart link, then <main id="main">. Sets the content type. */
void souk__web_begin(souk__web_page *p);

/* Ends <main>, writes the footer and closes the document. Returns 0, or
 * SOUK_E_INTERNAL (set on RES) when the page overflowed its buffer. */
int souk__web_end(souk__web_page *p);

/* Answers STATUS with a small HTML page saying TITLE and MESSAGE (text),
 * never cached. Returns 0 (the answer is the page). */
int souk__web_error(souk_req *req, souk_res *res, int status, const char *title, const char *message);

/* Answers 303 See Other to LOCATION (a site path). Returns 0. */
int souk__web_redirect(souk_res *res, const char *location);

/* The site's origin for absolute URLs (SOUK_PUBLIC_URL, else the listen address). */
const char *souk__web_origin(souk_req *req);

/* One product summary (the list's shape) as a grid card. */
void souk__web_card(souk_buf *b, const json_t *summary);

/* The value of cookie NAME (arena copy), or NULL. Only values of 1..128
 * bytes of [A-Za-z0-9_-] are returned: ours never hold anything else. */
const char *souk__web_cookie(souk_req *req, const char *name);

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

/* Parses a handler's JSON answer in RES (its body or its json). NULL when
 * there is none. Caller decrefs. */
json_t *souk__web_answer(souk_res *res);

#endif
