/* api.h — the HTTP handlers of subscriptions (docs/subscriptions.md); wired in src/app/routes.c. */
#ifndef SOUK_SUBSCRIPTIONS_API_H
#define SOUK_SUBSCRIPTIONS_API_H

#include "http/http.h"

/* GET /api/v1/users/me/subscriptions (an access token): the caller's
 * subscriptions, newest first (at most 100). */
int souk_subs_api_me_list(souk_req *req, souk_res *res);

/* POST /api/v1/users/me/subscriptions {order_id, variant_id, interval,
 * interval_count, quantity?}: a subscription started by a paid order of the
 * caller's whose checkout saved its payment method. 201; 404 for an order
 * that is not theirs or holds no such variant; 409 when the order is not
 * paid, saved no payment method, or already started this subscription;
 * 422 for bad fields. */
int souk_subs_api_me_create(souk_req *req, souk_res *res);

/* GET /api/v1/users/me/subscriptions/{id}: one of the caller's, with its
 * renewals; 404 for anyone else's. */
int souk_subs_api_me_get(souk_req *req, souk_res *res);

/* PATCH /api/v1/users/me/subscriptions/{id} {interval?, interval_count?,
 * quantity?}: 200; 409 when cancelled. */
int souk_subs_api_me_update(souk_req *req, souk_res *res);

/* POST /api/v1/users/me/subscriptions/{id}/actions {action: skip | pause |
 * resume | cancel}: 200 with the subscription; 409 INVALID_STATE when the
 * action does not apply to its state. */
int souk_subs_api_me_action(souk_req *req, souk_res *res);

/* GET /api/v1/admin/subscriptions?state=&user=&limit= (subscriptions:manage). */
int souk_subs_api_admin_list(souk_req *req, souk_res *res);

/* GET /api/v1/admin/subscriptions/{id} (subscriptions:manage). */
int souk_subs_api_admin_get(souk_req *req, souk_res *res);

/* PATCH /api/v1/admin/subscriptions/{id} (subscriptions:manage): as the
 * customer's; audited. */
int souk_subs_api_admin_update(souk_req *req, souk_res *res);

/* POST /api/v1/admin/subscriptions/{id}/actions (subscriptions:manage): as
 * the customer's; audited. */
int souk_subs_api_admin_action(souk_req *req, souk_res *res);

/* GET /api/v1/admin/subscription-settings (subscriptions:manage). */
int souk_subs_api_settings_get(souk_req *req, souk_res *res);

/* PUT /api/v1/admin/subscription-settings {discount_bp, retry_hours}
 * (subscriptions:manage): replaces them; audited. */
int souk_subs_api_settings_put(souk_req *req, souk_res *res);

#endif
