/* api.h — the HTTP handlers of fx (docs/currencies.md). */
#ifndef SOUK_FX_API_H
#define SOUK_FX_API_H

#include "http/http.h"

/* Admin (currencies:manage):
 * GET    /api/v1/admin/currencies/rates[?currency=EUR]  the stored rates of the
 *        store currency, newest effective first (at most SOUK_FX_LIST_MAX), each
 *        with whether it is the one in effect now;
 * PUT    /api/v1/admin/currencies/{currency}/rates {"rate":"0.92","effective_at"?}
 *        sets the rate of one currency from a time on (default now; the same
 *        time again replaces that rate); 200 with it, 422 for a bad rate,
 *        currency or time, or the store currency itself;
 * DELETE /api/v1/admin/currencies/rates/{id}  removes one stored rate (204, 404);
 * GET/PUT /api/v1/admin/currencies/settings {"display_currencies":["EUR",…]}
 *        the currencies shoppers may ask prices to be converted into.
 * Every write is audited and bumps the content version (cached answers that
 * show converted prices go stale). */
int souk_fx_api_rates_list(souk_req *req, souk_res *res);
int souk_fx_api_rate_put(souk_req *req, souk_res *res);
int souk_fx_api_rate_delete(souk_req *req, souk_res *res);
int souk_fx_api_settings_get(souk_req *req, souk_res *res);
int souk_fx_api_settings_put(souk_req *req, souk_res *res);

/* GET /api/v1/currencies (public): the store currency and the enabled display
 * currencies, each with its minor units and the rate in effect now (null when
 * none is yet). */
int souk_fx_api_public(souk_req *req, souk_res *res);

#endif
