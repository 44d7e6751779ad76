/* api.h — the HTTP handlers of recommendations (docs/recommendations.md). */
#ifndef SOUK_RECOMMEND_API_H
#define SOUK_RECOMMEND_API_H

#include "http/http.h"

/* GET /api/v1/recommendations/for-you: ALS for the shopper (the access
 * token's account, else ?anonymous_id=), without what they bought in the
 * last 90 days or have in the cart; trending for a shopper the model does
 * not know. ?limit=1..50 (10), ?category= (id or slug: its subtree),
 * ?currency=. 503 with Retry-After until the first snapshot is built. */
int souk_rec_api_for_you(souk_req *req, souk_res *res);

/* GET /api/v1/recommendations/trending: time-decayed popularity. */
int souk_rec_api_trending(souk_req *req, souk_res *res);

/* GET /api/v1/products/{id}/similar: ALS + content similarity. 404 when
 * the product is not active. */
int souk_rec_api_similar(souk_req *req, souk_res *res);

/* GET /api/v1/products/{id}/bought-together: co-purchase lift. */
int souk_rec_api_bought_together(souk_req *req, souk_res *res);

/* Admin (recommendations:manage): the model registry and A/B tests. */
int souk_rec_api_models(souk_req *req, souk_res *res);   /* GET    /admin/recommendations/models */
int souk_rec_api_train(souk_req *req, souk_res *res);    /* POST   /admin/recommendations/models */
int souk_rec_api_model(souk_req *req, souk_res *res);    /* GET    …/models/{version} */
int souk_rec_api_activate(souk_req *req, souk_res *res); /* POST   …/models/{version}/activate */
int souk_rec_api_rollback(souk_req *req, souk_res *res); /* POST   /admin/recommendations/rollback */
int souk_rec_api_ab_list(souk_req *req, souk_res *res);  /* GET    /admin/recommendations/ab-tests */
int souk_rec_api_ab_start(souk_req *req, souk_res *res); /* POST   /admin/recommendations/ab-tests */
int souk_rec_api_ab_get(souk_req *req, souk_res *res);   /* GET    …/ab-tests/{id} */
int souk_rec_api_ab_stop(souk_req *req, souk_res *res);  /* POST   …/ab-tests/{id}/stop */

#endif
