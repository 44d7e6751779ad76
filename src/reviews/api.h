/* api.h — the HTTP handlers of reviews (docs/reviews.md). */
#ifndef SOUK_REVIEWS_API_H
#define SOUK_REVIEWS_API_H

#include "http/http.h"

/* GET /api/v1/products/{id}/reviews: the approved reviews of an active
 * product, a page (limit, offset) in sort order newest / helpful / rating
 * / rating_asc, with the product's average and count. 404 for no such
 * active product. */
int souk_reviews_api_list(souk_req *req, souk_res *res);

/* POST /api/v1/products/{id}/reviews {rating, title, body}: a signed-in
 * customer's review, pending moderation. 201 with it; 403 when the caller
 * has no delivered order with the product (or is not a signed-in account);
 * 409 for a second review; 422 for a bad field. */
int souk_reviews_api_create(souk_req *req, souk_res *res);

/* POST /api/v1/reviews/{id}/helpful: one helpful vote of the signed-in
 * account. 200 {id, helpful}; 404 when the review is not approved; 403 for
 * one's own review; 409 for a second vote. */
int souk_reviews_api_vote(souk_req *req, souk_res *res);

/* Admin (reviews:moderate): the moderation queue, a decision, the
 * sentiment report per product, the erasure setting. */
int souk_reviews_api_admin_list(souk_req *req, souk_res *res);
int souk_reviews_api_moderate(souk_req *req, souk_res *res);
int souk_reviews_api_sentiment(souk_req *req, souk_res *res);
int souk_reviews_api_settings_get(souk_req *req, souk_res *res);
int souk_reviews_api_settings_put(souk_req *req, souk_res *res);

#endif
