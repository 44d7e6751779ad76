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

/* POST /p/{slug}/review (form: csrf, rating, title, body): a signed-in
 * customer's review of the product through the reviews API; sends others to
 * sign in first. Answers a page saying it was received (201), or why not
 * (403 not a buyer, 409 twice, 422 a bad field, with the form again). */
int souk_web_review_post(souk_req *req, souk_res *res);
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
/* ---- accounts (account.c, reset.c, account_orders.c, privacy.c, twofa.c) ---- */
/* GET /account — the signed-in customer's overview (else 303 to sign in). */
int souk_web_account(souk_req *req, souk_res *res);
/* GET /account/signin?next= and POST (email, password; then code with the sealed first step). */
int souk_web_signin(souk_req *req, souk_res *res);
int souk_web_signin_submit(souk_req *req, souk_res *res);
/* GET /account/signup and POST (email, name, password, marketing). */
int souk_web_signup(souk_req *req, souk_res *res);
int souk_web_signup_submit(souk_req *req, souk_res *res);
/* GET /account/renew?next= (a form) and POST: new tokens for the refresh cookie. */
int souk_web_renew(souk_req *req, souk_res *res);
int souk_web_renew_submit(souk_req *req, souk_res *res);
/* POST /account/signout — ends the session, deletes the cookies. */
int souk_web_signout(souk_req *req, souk_res *res);
/* GET/POST /account/reset (an address) and /account/reset/confirm (code, new password). */
int souk_web_reset(souk_req *req, souk_res *res);
int souk_web_reset_submit(souk_req *req, souk_res *res);
int souk_web_reset_confirm(souk_req *req, souk_res *res);
int souk_web_reset_confirm_submit(souk_req *req, souk_res *res);

/* GET /account/orders, GET /account/orders/{id}, POST /account/orders/{id}/return (v_i, q_i, reason). */
int souk_web_orders(souk_req *req, souk_res *res);
int souk_web_account_order(souk_req *req, souk_res *res);
int souk_web_account_return(souk_req *req, souk_res *res);
/* GET /track and POST (order, token): a guest's order by its number and tracking code. */
int souk_web_track(souk_req *req, souk_res *res);
int souk_web_track_submit(souk_req *req, souk_res *res);
/* GET/POST /account/profile (name, phone). */
int souk_web_profile(souk_req *req, souk_res *res);
int souk_web_profile_submit(souk_req *req, souk_res *res);
/* The address book (addresses.c): GET/POST /account/addresses (list; add: label, name, line1,
 * line2, city, postal_code, region, country, default_shipping), GET/POST /account/addresses/{id}
 * (edit), POST /account/addresses/{id}/delete and /default. */
int souk_web_addresses(souk_req *req, souk_res *res);
int souk_web_address_add(souk_req *req, souk_res *res);
int souk_web_address_edit(souk_req *req, souk_res *res);
int souk_web_address_save(souk_req *req, souk_res *res);
int souk_web_address_delete(souk_req *req, souk_res *res);
int souk_web_address_default(souk_req *req, souk_res *res);
/* GET /account/privacy; POST /account/consents (marketing); GET /account/export.json;
 * POST /account/delete (password, code, confirm). */
int souk_web_privacy(souk_req *req, souk_res *res);
int souk_web_consents_submit(souk_req *req, souk_res *res);
int souk_web_export(souk_req *req, souk_res *res);
int souk_web_delete_submit(souk_req *req, souk_res *res);
/* GET /account/2fa; POST /account/2fa/start (the QR code), /confirm (code), /disable (password, code). */
int souk_web_twofa(souk_req *req, souk_res *res);
int souk_web_twofa_start(souk_req *req, souk_res *res);
int souk_web_twofa_confirm(souk_req *req, souk_res *res);
int souk_web_twofa_disable(souk_req *req, souk_res *res);

/* Wishlists (wishlist.c): POST /account/wishlist/add {product, variant?} adds to the
 * customer's list, or to the guest list of the souk_wishlist cookie (made on
 * the first add); GET /account/wishlist shows the list (a guest's, or the
 * customer's with share, alerts and remove forms); POST /account/wishlist/
 * remove|share|alerts change it; GET /wishlist/shared/{token} is the public,
 * read-only view of a shared list; GET /wishlist/unsubscribe?t=… shows the
 * one-button form of an alert's unsubscribe link and POST carries it out. */
int souk_web_wishlist_add(souk_req *req, souk_res *res);
int souk_web_wishlist(souk_req *req, souk_res *res);
int souk_web_wishlist_remove(souk_req *req, souk_res *res);
int souk_web_wishlist_share(souk_req *req, souk_res *res);
int souk_web_wishlist_alerts(souk_req *req, souk_res *res);
int souk_web_wishlist_shared(souk_req *req, souk_res *res);
int souk_web_wishlist_unsubscribe(souk_req *req, souk_res *res);
int souk_web_wishlist_unsubscribe_submit(souk_req *req, souk_res *res);

/* The unsubscribe link of campaign mail (campaigns.c): GET /campaigns/unsubscribe?t=…
 * shows one button; its POST records the opt-out (every later campaign mail
 * stops); 404 page for a token that is not ours. */
int souk_web_campaigns_unsubscribe(souk_req *req, souk_res *res);
int souk_web_campaigns_unsubscribe_submit(souk_req *req, souk_res *res);
/* POST /cart/coupon (code, or remove=1) and /cart/shipping (method). */
int souk_web_cart_coupon(souk_req *req, souk_res *res);
int souk_web_cart_shipping(souk_req *req, souk_res *res);

/* GET /admin — the admin dashboard's shell page (web/admin draws it) for
 * staff who may read every order; others: sign in first, or 403. */
int souk_web_admin(souk_req *req, souk_res *res);
/* GET /vendor — the same dashboard for a vendor's account. */
int souk_web_vendor(souk_req *req, souk_res *res);
/* For the HTTP layer (souk_server_opts.session_credential): "Bearer <the
 * souk_session cookie's access token>" (arena) for a request to /api/ that
 * carries X-CSRF-Token matching this browser's CSRF cookie, else NULL. */
const char *souk_web_api_credential(souk_req *req);

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
