/*
 * api.h — HTTP handlers of the identity module (bound in src/app/routes.c).
 * Contracts: the OpenAPI document (src/app/openapi.json) and docs/auth.md.
 */
#ifndef SOUK_IDENTITY_API_H
#define SOUK_IDENTITY_API_H

#include "http/http.h"

/* api_auth.c */
int souk_identity_api_register(souk_req *req, souk_res *res);
int souk_identity_api_login(souk_req *req, souk_res *res);
int souk_identity_api_refresh(souk_req *req, souk_res *res);
int souk_identity_api_logout(souk_req *req, souk_res *res);
int souk_identity_api_reset_request(souk_req *req, souk_res *res);
int souk_identity_api_reset_confirm(souk_req *req, souk_res *res);
int souk_identity_api_jwks(souk_req *req, souk_res *res);

/* api_me.c */
int souk_identity_api_me(souk_req *req, souk_res *res);
int souk_identity_api_me_update(souk_req *req, souk_res *res);
int souk_identity_api_password(souk_req *req, souk_res *res);
int souk_identity_api_sessions(souk_req *req, souk_res *res);
int souk_identity_api_session_revoke(souk_req *req, souk_res *res);
int souk_identity_api_totp_enrol(souk_req *req, souk_res *res);
int souk_identity_api_totp_confirm(souk_req *req, souk_res *res);
int souk_identity_api_totp_disable(souk_req *req, souk_res *res);
int souk_identity_api_consents(souk_req *req, souk_res *res);
int souk_identity_api_consent_record(souk_req *req, souk_res *res);
int souk_identity_api_export(souk_req *req, souk_res *res);
int souk_identity_api_erase(souk_req *req, souk_res *res);

/* api_keys.c */
int souk_identity_api_keys_create(souk_req *req, souk_res *res);
int souk_identity_api_keys_list(souk_req *req, souk_res *res);
int souk_identity_api_keys_revoke(souk_req *req, souk_res *res);

/* api_admin_users.c */
int souk_identity_api_admin_users(souk_req *req, souk_res *res);
int souk_identity_api_admin_user_update(souk_req *req, souk_res *res);

#endif
