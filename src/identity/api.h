/*
 * api.h — HTTP handlers of the identity module (bound in src/app/routes.c).
 * Contracts: the OpenAPI document (src/app/openapi.json) and docs/auth.md.
 * Every handler is a souk_handler: it fills RES and returns 0, or the
 * souk_err it set on RES (the standard error body).
 */
#ifndef SOUK_IDENTITY_API_H
#define SOUK_IDENTITY_API_H

#include "http/http.h"

/* api_auth.c — sign-up, sign-in, refresh, sign-out, password reset, JWKS
 * (/api/v1/auth/…, /.well-known/jwks.json). Failed password or code checks
 * are throttled per account and per address (429 RATE_LIMITED). */
int souk_identity_api_register(souk_req *req, souk_res *res);
int souk_identity_api_login(souk_req *req, souk_res *res);
int souk_identity_api_refresh(souk_req *req, souk_res *res);
int souk_identity_api_logout(souk_req *req, souk_res *res);
int souk_identity_api_reset_request(souk_req *req, souk_res *res);
int souk_identity_api_reset_confirm(souk_req *req, souk_res *res);
int souk_identity_api_jwks(souk_req *req, souk_res *res);

/* api_me.c — the caller's own account (/api/v1/users/me…): profile,
 * password, sessions, two-factor sign-in, consents, GDPR export and erasure.
 * Other users' objects are unreachable (404). */
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

/* api_keys.c — the caller's API keys (/api/v1/api-keys…): create (shown
 * once, never more than the owner may do), list, revoke. */
int souk_identity_api_keys_create(souk_req *req, souk_res *res);
int souk_identity_api_keys_list(souk_req *req, souk_res *res);
int souk_identity_api_keys_revoke(souk_req *req, souk_res *res);

/* api_admin_users.c — every account (users:manage): GET /api/v1/admin/users
 * (newest first; role, status, email, limit 1-200, cursor; unknown, repeated
 * or bad parameters → 422) and PATCH /api/v1/admin/users/{id} (role,
 * vendor_id, status; an admin cannot drop their own admin role). */
int souk_identity_api_admin_users(souk_req *req, souk_res *res);
int souk_identity_api_admin_user_update(souk_req *req, souk_res *res);

/* addresses.c — the signed-in account's address book (docs/auth.md
 * "Addresses"): GET /api/v1/users/me/addresses ({data}, the default first,
 * then newest first), POST (201; label, name, line1, line2, city,
 * postal_code, region, country, default_shipping; 409 past 20 addresses),
 * GET, PATCH (the fields given) and DELETE (204) /api/v1/users/me/addresses/{id}
 * (404 for an unknown id or another account's address). */
int souk_identity_api_addresses(souk_req *req, souk_res *res);
int souk_identity_api_address(souk_req *req, souk_res *res);
int souk_identity_api_address_create(souk_req *req, souk_res *res);
int souk_identity_api_address_update(souk_req *req, souk_res *res);
int souk_identity_api_address_delete(souk_req *req, souk_res *res);

/* api_admin_privacy.c — GET /api/v1/admin/users/{id} (users:manage): one
 * account, erased ones too (404 when there is none); and for staff acting on
 * a customer's request (customers:privacy, both audited):
 * POST /api/v1/admin/customers/{id}/export answers the account's GDPR export
 * (the shape of GET /users/me/export); POST /api/v1/admin/customers/{id}/erase
 * with {"email": the account's address} erases it as DELETE /users/me does
 * (204; 404 no such or already erased account; 409 not a customer account;
 * 422 the address does not match). */
int souk_identity_api_admin_user_get(souk_req *req, souk_res *res);
int souk_identity_api_admin_customer_export(souk_req *req, souk_res *res);
int souk_identity_api_admin_customer_erase(souk_req *req, souk_res *res);

#endif
