/* api.h — the HTTP handlers of languages (docs/languages.md): the store's
 * locales, and translations of catalog objects for admins. */
#ifndef SOUK_I18N_API_H
#define SOUK_I18N_API_H

#include "http/http.h"

/* GET /api/v1/locales (public) and GET /api/v1/admin/locales:
 * 200 {locales, default}. */
int souk_i18n_api_locales_get(souk_req *req, souk_res *res);

/* PUT /api/v1/admin/locales {locales:[tag,...]}: 200 {locales, default};
 * 422 a bad or repeated tag, none or more than 16. Audited. */
int souk_i18n_api_locales_put(souk_req *req, souk_res *res);

/* GET /api/v1/admin/translations/{kind}/{id} (kind: products, categories,
 * brands): 200 {kind, id, default, translations:{locale:{fields}}};
 * 404 no such kind or object. */
int souk_i18n_api_get(souk_req *req, souk_res *res);

/* PUT /api/v1/admin/translations/{kind}/{id}/{locale} {fields}: sets the
 * given fields (null removes one), keeps the others; 200 with the object's
 * translations. 422 bad body, or a locale that is not an enabled
 * non-default one; 404 no such object. Audited. */
int souk_i18n_api_put(souk_req *req, souk_res *res);

/* DELETE /api/v1/admin/translations/{kind}/{id}/{locale}: 204, every field
 * of the object falls back to the default locale's; 404 no such object. */
int souk_i18n_api_delete(souk_req *req, souk_res *res);

#endif
