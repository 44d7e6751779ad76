/* api.h — the HTTP handlers of wishlists (docs/wishlist.md). Prices are in
 * the shop's currency (SOUK_CURRENCY). */
#ifndef SOUK_WISHLIST_API_H
#define SOUK_WISHLIST_API_H

#include "http/http.h"

/* GET /api/v1/users/me/wishlist: the caller's list (souk_wishlist_json's
 * shape). 403 for a credential without an account (an ownerless key). */
int souk_wishlist_api_get(souk_req *req, souk_res *res);

/* POST /api/v1/users/me/wishlist/items {product_id?, variant_id?} (at least
 * one): 201 with the list when added, 200 when it was there already; 404 no
 * such active product or variant; 409 list full; 422 bad body. */
int souk_wishlist_api_add(souk_req *req, souk_res *res);

/* DELETE /api/v1/users/me/wishlist/items/{id}: 204; 404 not on the caller's list. */
int souk_wishlist_api_remove(souk_req *req, souk_res *res);

/* POST /api/v1/users/me/wishlist/share: 201 {share_token, url} (a new token;
 * the old link stops working). DELETE: 204, the link stops working. */
int souk_wishlist_api_share(souk_req *req, souk_res *res);
int souk_wishlist_api_unshare(souk_req *req, souk_res *res);

/* PUT /api/v1/users/me/wishlist/alerts {enabled}: 200 {alerts}. */
int souk_wishlist_api_alerts(souk_req *req, souk_res *res);

/* GET /api/v1/wishlists/shared/{token} (public): {items, count}, read-only,
 * nothing about the owner; 404 for a revoked or unknown token. */
int souk_wishlist_api_shared(souk_req *req, souk_res *res);

/* POST /api/v1/wishlists/unsubscribe {token} (public; the token is the
 * authority): 200 {unsubscribed: true}; 404 for a token that is not ours. */
int souk_wishlist_api_unsubscribe(souk_req *req, souk_res *res);

#endif
