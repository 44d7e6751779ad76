/*
 * api.h — the HTTP handlers of campaigns (docs/campaigns.md). Admin routes
 * take campaigns:manage; the unsubscribe is public (the signed token is the
 * authority). Writes run in the request's write transaction and are audited
 * by the server (object campaign_audience or campaign).
 */
#ifndef SOUK_CAMPAIGNS_API_H
#define SOUK_CAMPAIGNS_API_H

#include "http/http.h"

/* GET /api/v1/admin/campaign-audiences: {data: [Audience]}, oldest first. */
int souk_campaigns_api_audience_list(souk_req *req, souk_res *res);

/* POST /api/v1/admin/campaign-audiences {name, kind, definition}: 201 with
 * the audience (its members are computed by the refresh job, queued now);
 * 422 for a bad definition, 409 when the shop has 100 audiences. */
int souk_campaigns_api_audience_create(souk_req *req, souk_res *res);

/* GET /api/v1/admin/campaign-audiences/{id}: the audience; 404. */
int souk_campaigns_api_audience_get(souk_req *req, souk_res *res);

/* POST /api/v1/admin/campaign-audiences/{id}/refresh: 202 {queued: true}; 404. */
int souk_campaigns_api_audience_refresh(souk_req *req, souk_res *res);

/* GET /api/v1/admin/campaigns: {data: [Campaign]}, newest first. */
int souk_campaigns_api_list(souk_req *req, souk_res *res);

/* POST /api/v1/admin/campaigns {name, template, audience_id, promotion_id?,
 * code?, subject?, intro?, attribution_days?}: 201 with the campaign (a
 * draft); 404 for an unknown audience, promotion or code of it; 422. */
int souk_campaigns_api_create(souk_req *req, souk_res *res);

/* GET /api/v1/admin/campaigns/{id}: the campaign with its results; 404. */
int souk_campaigns_api_get(souk_req *req, souk_res *res);

/* POST /api/v1/admin/campaigns/{id}/send: 202 with the campaign (status
 * sending; the send job is queued); 409 when it is not a draft or its
 * audience was never computed; 404. */
int souk_campaigns_api_send(souk_req *req, souk_res *res);

/* POST /api/v1/campaigns/unsubscribe {token}: 200 {unsubscribed: true}; 404
 * for a token that is not ours. */
int souk_campaigns_api_unsubscribe(souk_req *req, souk_res *res);

#endif
