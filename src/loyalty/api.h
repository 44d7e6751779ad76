/* api.h — the HTTP handlers of loyalty points (docs/loyalty.md); wired in src/app/routes.c. */
#ifndef SOUK_LOYALTY_API_H
#define SOUK_LOYALTY_API_H

#include "http/http.h"

/* GET /api/v1/users/me/loyalty?limit=&before= (an access token): the
 * caller's balances and ledger entries, newest first. */
int souk_loyalty_api_me(souk_req *req, souk_res *res);

/* GET /api/v1/users/me/loyalty/quote?points=N (an access token): what
 * spending N points on the caller's cart now would do — {points, amount,
 * max_points, totals} with the cart's totals priced with them, so that a
 * storefront can show the total and send it as the checkout's
 * expected_total. 404 without a cart; 422 (points) as the checkout would
 * refuse them. */
int souk_loyalty_api_quote(souk_req *req, souk_res *res);

/* GET /api/v1/admin/loyalty/settings (loyalty:manage): the settings. */
int souk_loyalty_api_settings_get(souk_req *req, souk_res *res);

/* PUT /api/v1/admin/loyalty/settings (loyalty:manage): replaces them;
 * 422 naming the field for anything out of range. Audited. */
int souk_loyalty_api_settings_put(souk_req *req, souk_res *res);

/* GET /api/v1/admin/users/{id}/loyalty (loyalty:manage): a customer's
 * balances and entries; 404 for an unknown account. */
int souk_loyalty_api_admin_get(souk_req *req, souk_res *res);

/* POST /api/v1/admin/users/{id}/loyalty/adjustments {points, reason}
 * (loyalty:manage): 201 with the account; 422 for a debit past the
 * available balance. Audited. */
int souk_loyalty_api_admin_adjust(souk_req *req, souk_res *res);

#endif
