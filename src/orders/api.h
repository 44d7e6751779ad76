/*
 * api.h — the HTTP handlers of checkout and orders. Shapes, permissions and
 * errors: docs/orders.md and the OpenAPI document. Checkout, cancellation,
 * refunds, returns received and webhooks may call the payment gateway, so
 * their routes run on the blocking pool.
 *
 * Every handler is a souk_handler: it fills RES and returns 0, or returns
 * the souk_err it set on RES. Files: checkout.c, api_read.c (list, get),
 * api_act.c (cancel, fulfil, ship, deliver), api_money.c (refunds,
 * returns), payment_webhook.c, api_review.c (fraud holds).
 */
#ifndef SOUK_ORDERS_API_H
#define SOUK_ORDERS_API_H

#include "http/http.h"
#include "orders/orders.h"

int souk_orders_api_checkout(souk_req *req, souk_res *res);
/* The same checkout, for the storefront's own pages (src/web calls it in
 * process): its orders are recorded as placed on channel "storefront"
 * rather than "api" (the analytics channel filter). */
int souk_orders_api_checkout_storefront(souk_req *req, souk_res *res);
int souk_orders_api_list(souk_req *req, souk_res *res);
int souk_orders_api_get(souk_req *req, souk_res *res);
int souk_orders_api_cancel(souk_req *req, souk_res *res);
int souk_orders_api_fulfil(souk_req *req, souk_res *res);
int souk_orders_api_ship(souk_req *req, souk_res *res);
int souk_orders_api_deliver(souk_req *req, souk_res *res);
int souk_orders_api_refund(souk_req *req, souk_res *res);
int souk_orders_api_return_request(souk_req *req, souk_res *res);
int souk_orders_api_return_approve(souk_req *req, souk_res *res);
int souk_orders_api_return_receive(souk_req *req, souk_res *res);
int souk_orders_api_webhook(souk_req *req, souk_res *res);

/* POST /api/v1/orders/{id}/review {decision: "release" | "cancel", reason?}
 * (api_review.c; permission orders:review): the admin's decision on an
 * order held for fraud review. release lets it be fulfilled; cancel
 * cancels it as POST /cancel does a paid order (stock back, the total
 * refunded). Audited. 409 INVALID_STATE when it is not held (or no longer
 * paid). */
int souk_orders_api_review(souk_req *req, souk_res *res);

#endif
