/* api.h — the admin routes of outgoing webhooks (permission webhooks:manage;
 * docs/webhooks.md, the OpenAPI document has every shape). */
#ifndef SOUK_WEBHOOKS_API_H
#define SOUK_WEBHOOKS_API_H

#include "http/http.h"

/* GET /api/v1/admin/webhooks: {data: [subscription]} oldest first. */
int souk_webhooks_api_list(souk_req *req, souk_res *res);

/* POST /api/v1/admin/webhooks {url, event_types, description?, enabled?}:
 * 201 with the subscription and its "secret" (shown only here). The URL is
 * checked (and its host resolved: a blocking route) — 422 with the reason
 * for a refused target; 409 past 100 subscriptions. Audited. */
int souk_webhooks_api_create(souk_req *req, souk_res *res);

/* GET /api/v1/admin/webhooks/{id}: the subscription, 404 when unknown. */
int souk_webhooks_api_get(souk_req *req, souk_res *res);

/* PATCH /api/v1/admin/webhooks/{id} {url?, event_types?, description?,
 * enabled?}: 200 with the subscription. Enabling clears the failure record.
 * A new URL is checked as on create. Audited. */
int souk_webhooks_api_update(souk_req *req, souk_res *res);

/* DELETE /api/v1/admin/webhooks/{id}: 204; its deliveries and their log go
 * with it. Audited. */
int souk_webhooks_api_delete(souk_req *req, souk_res *res);

/* POST /api/v1/admin/webhooks/{id}/rotate-secret {grace_seconds?}: a new
 * secret signs from now on; the old one signs too (both signatures are sent)
 * for grace_seconds (0..604800, default 86400). 200 {id, secret,
 * previous_secret_expires_at}. Audited. */
int souk_webhooks_api_rotate(souk_req *req, souk_res *res);

/* GET /api/v1/admin/webhooks/{id}/deliveries?status=&limit=&cursor=: the
 * delivery log newest first, {data: [delivery], next_cursor}. */
int souk_webhooks_api_deliveries(souk_req *req, souk_res *res);

/* GET /api/v1/admin/webhook-deliveries/{id}: one delivery with its body and
 * every attempt (status code, duration, error, start of the answer). */
int souk_webhooks_api_delivery(souk_req *req, souk_res *res);

/* POST /api/v1/admin/webhook-deliveries/{id}/replay: sends a finished
 * delivery again (same webhook-id and body, a fresh timestamp and
 * signature) as its next attempt: 202 with the delivery; 409 while it is
 * still pending or when its subscription is disabled. Audited. */
int souk_webhooks_api_replay(souk_req *req, souk_res *res);

#endif
