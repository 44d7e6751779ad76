/*
 * api.h — HTTP handlers of carts (api.c) and of the pricing configuration
 * (tax rates, shipping methods, coupons: api_admin.c). Bound in
 * src/app/routes.c; contract in docs/cart.md and the OpenAPI document.
 *
 * Every handler is a souk_handler: it fills RES and returns 0, or returns
 * the souk_err it set on RES (souk_res_error / souk_res_invalid).
 */
#ifndef SOUK_CART_API_H
#define SOUK_CART_API_H

#include "http/http.h"

int souk_cart_api_create(souk_req *req, souk_res *res);
int souk_cart_api_get(souk_req *req, souk_res *res);
int souk_cart_api_update(souk_req *req, souk_res *res);
int souk_cart_api_line_add(souk_req *req, souk_res *res);
int souk_cart_api_line_set(souk_req *req, souk_res *res);
int souk_cart_api_line_remove(souk_req *req, souk_res *res);
int souk_cart_api_coupon_set(souk_req *req, souk_res *res);
int souk_cart_api_coupon_remove(souk_req *req, souk_res *res);
int souk_cart_api_merge(souk_req *req, souk_res *res);

/* api_admin.c: tax rates, shipping methods and coupons (admin) */

int souk_cart_api_admin_shipping_public(souk_req *req, souk_res *res);
int souk_cart_api_admin_tax_list(souk_req *req, souk_res *res);
int souk_cart_api_admin_tax_put(souk_req *req, souk_res *res);
int souk_cart_api_admin_tax_delete(souk_req *req, souk_res *res);
int souk_cart_api_admin_shipping_list(souk_req *req, souk_res *res);
int souk_cart_api_admin_shipping_create(souk_req *req, souk_res *res);
int souk_cart_api_admin_shipping_update(souk_req *req, souk_res *res);
int souk_cart_api_admin_coupon_list(souk_req *req, souk_res *res);
int souk_cart_api_admin_coupon_create(souk_req *req, souk_res *res);
int souk_cart_api_admin_coupon_update(souk_req *req, souk_res *res);

/* promo_api.c: promotions and their codes (admin, pricing:manage) */

int souk_cart_api_promo_list(souk_req *req, souk_res *res);
int souk_cart_api_promo_get(souk_req *req, souk_res *res);
int souk_cart_api_promo_create(souk_req *req, souk_res *res);
int souk_cart_api_promo_update(souk_req *req, souk_res *res);
int souk_cart_api_promo_delete(souk_req *req, souk_res *res);
int souk_cart_api_promo_codes(souk_req *req, souk_res *res);
int souk_cart_api_promo_codes_create(souk_req *req, souk_res *res);

#endif
