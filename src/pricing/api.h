/*
 * api.h — the admin HTTP handlers of dynamic pricing (docs/pricing.md):
 * permission dynamic_pricing:read for the GETs, dynamic_pricing:approve for
 * the rest. Routes: src/app/routes.c.
 */
#ifndef SOUK_PRICING_API_H
#define SOUK_PRICING_API_H

#include "http/http.h"

/* GET /api/v1/admin/pricing/suggestions?status=&product=&currency=&reason=&limit= */
int souk_pricing_api_list(souk_req *req, souk_res *res);
/* GET /api/v1/admin/pricing/suggestions/{id} */
int souk_pricing_api_get(souk_req *req, souk_res *res);
/* POST /api/v1/admin/pricing/recompute: recomputes now (CPU pool), answers the run's counts. */
int souk_pricing_api_recompute(souk_req *req, souk_res *res);
/* POST /api/v1/admin/pricing/suggestions/{id}/approve {apply_at?, note?} */
int souk_pricing_api_approve(souk_req *req, souk_res *res);
/* POST /api/v1/admin/pricing/suggestions/{id}/reject {note?} */
int souk_pricing_api_reject(souk_req *req, souk_res *res);
/* POST /api/v1/admin/pricing/suggestions/{id}/rollback */
int souk_pricing_api_rollback(souk_req *req, souk_res *res);
/* GET /api/v1/admin/pricing/bounds; PUT and DELETE /api/v1/admin/pricing/bounds/{product} */
int souk_pricing_api_bounds_list(souk_req *req, souk_res *res);
int souk_pricing_api_bounds_put(souk_req *req, souk_res *res);
int souk_pricing_api_bounds_delete(souk_req *req, souk_res *res);

#endif
