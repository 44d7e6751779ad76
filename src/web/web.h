/*
 * web.h — the storefront: HTML pages served by the binary (routes in
 * src/app/routes.c, the block marked "storefront"; user guide docs/web.md,
 * design docs/internals/web.md).
 *
 * Every handler is a souk_handler. Pages render by calling the domain
 * modules in process (catalog, cart, search, orders) and answer HTML
 * themselves, errors included (an HTML page with the status), so a shopper
 * never sees a JSON error body from a page route. GET pages change nothing;
 * the form POSTs check the CSRF token first (403) and answer 303 to the
 * page that shows the result, or the form again with its errors (422).
 */
#ifndef SOUK_WEB_H
#define SOUK_WEB_H

#include "http/http.h"

/* GET / — categories and the newest products (cacheable). */
int souk_web_home(souk_req *req, souk_res *res);
/* GET /c/{slug} — a category's products (subtree), sort, price filter, pages (cacheable). */
int souk_web_category(souk_req *req, souk_res *res);
/* GET /search — results for q, with pages (not cached: the index moves on its own). */
int souk_web_search(souk_req *req, souk_res *res);
/* GET /p/{slug} — a product with its variant choice and the add-to-cart form. */
int souk_web_product(souk_req *req, souk_res *res);
/* GET /cart — the visitor's cart (cookie), quantities and totals. */
int souk_web_cart(souk_req *req, souk_res *res);
/* POST /cart/add — variant, quantity: adds a line (a guest cart is made first). */
int souk_web_cart_add(souk_req *req, souk_res *res);
/* POST /cart/update — variant, quantity (0 or remove=1 removes the line). */
int souk_web_cart_update(souk_req *req, souk_res *res);
/* GET /checkout — the guest checkout form, with a fresh Idempotency-Key. */
int souk_web_checkout(souk_req *req, souk_res *res);
/* POST /checkout — places and pays the order through the orders module. */
int souk_web_checkout_submit(souk_req *req, souk_res *res);
/* GET /order/{id} — the confirmation, for the browser holding the order cookie. */
int souk_web_order(souk_req *req, souk_res *res);
/* GET /assets/{name} — the embedded CSS and JS, by content-hashed name. */
int souk_web_asset(souk_req *req, souk_res *res);
/* GET /robots.txt */
int souk_web_robots(souk_req *req, souk_res *res);
/* GET /sitemap.xml — a sitemap index: categories, then products in pages. */
int souk_web_sitemap(souk_req *req, souk_res *res);
/* GET /sitemap-categories.xml */
int souk_web_sitemap_categories(souk_req *req, souk_res *res);
/* GET /sitemap-products.xml?cursor= — one page of product URLs. */
int souk_web_sitemap_products(souk_req *req, souk_res *res);

#endif
