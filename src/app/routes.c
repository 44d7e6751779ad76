/* routes.c — the route table and the platform handlers (health, metrics,
 * OpenAPI). Keep it in step with src/app/openapi.json: a unit test checks
 * that every route here is documented there and the other way round. */
#include "app/routes.h"
#include "app/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cart/api.h"
#include "catalog/api.h"
#include "identity/api.h"
#include "inventory/api.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "orders/api.h"
#include "core/embed.h"
#include "core/metrics.h"
#include "core/banned.h"

#define PUBLIC SOUK_PERM_PUBLIC
#define AUTHENTICATED "authenticated"
#define SESSION "session" /* an access token: the account owner, never an API key */
#define CATALOG_WRITE "catalog:write"
#define CATALOG_WRITE_OWN "catalog:write:own"
#define PRICING "pricing:manage"
#define INVENTORY "inventory:write"
#define JOBS "jobs:manage"
#define ORDERS_MANAGE "orders:manage"
#define ORDERS_FULFIL "orders:fulfil:own"
#define LIST_CACHE "public, max-age=300"
#define DETAIL_CACHE "public, max-age=900"

static int healthz(souk_req *req, souk_res *res)
{
    (void)req;
    return souk_res_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

static int readyz(souk_req *req, souk_res *res)
{
    bool db_ok = souk_store_ping(req->store) == 0;
    return souk_res_json(res, db_ok ? 200 : 503,
                         json_pack("{s:s,s:{s:s}}", "status", db_ok ? "ready" : "unavailable", "checks", "database",
                                   db_ok ? "ok" : "error"));
}

static int metrics(souk_req *req, souk_res *res)
{
    (void)req;
    souk_metrics_render(&res->body);
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    res->cache_control = "no-store";
    return 0;
}

static int openapi(souk_req *req, souk_res *res)
{
    (void)req;
    const souk_embedded_file *f = souk_embed_find(souk_assets, souk_assets_count, "openapi.json");
    if (!f)
        return souk_res_error(res, SOUK_E_NOT_FOUND, NULL);
    souk_buf_add(&res->body, f->data, f->len);
    res->cache_control = "public, max-age=300";
    return 0;
}

/* method, pattern, permission, handler, Cache-Control, cacheable, blocking, rate class */
#define R(m, p, perm, h) {m, p, perm, h, NULL, false, false, SOUK_RATE_DEFAULT, 0}
#define READ(p, h, cc) {SOUK_GET, p, PUBLIC, h, cc, true, false, SOUK_RATE_DEFAULT, 0}
#define BLOCKING(m, p, perm, h) {m, p, perm, h, NULL, false, true, SOUK_RATE_DEFAULT, 0}
#define AUTH(m, p, perm, h, blocking) {m, p, perm, h, NULL, false, blocking, SOUK_RATE_AUTH, 0}

souk_route souk_routes[] = {
    {SOUK_GET, "/healthz", PUBLIC, healthz, NULL, false, false, SOUK_RATE_NONE, 0},
    {SOUK_GET, "/readyz", PUBLIC, readyz, NULL, false, false, SOUK_RATE_NONE, 0},
    {SOUK_GET, "/metrics", PUBLIC, metrics, NULL, false, false, SOUK_RATE_NONE, 0},
    {SOUK_GET, "/api/v1/openapi.json", PUBLIC, openapi, "public, max-age=300", false, false, SOUK_RATE_NONE, 0},
    {SOUK_GET, "/.well-known/jwks.json", PUBLIC, souk_identity_api_jwks, NULL, false, false, SOUK_RATE_NONE, 0},

    /* catalog */
    READ("/api/v1/products", souk_catalog_api_list, LIST_CACHE),
    R(SOUK_POST, "/api/v1/products", CATALOG_WRITE_OWN, souk_catalog_api_create),
    READ("/api/v1/products/{id}", souk_catalog_api_get, DETAIL_CACHE),
    R(SOUK_PATCH, "/api/v1/products/{id}", CATALOG_WRITE_OWN, souk_catalog_api_update),
    R(SOUK_DELETE, "/api/v1/products/{id}", CATALOG_WRITE_OWN, souk_catalog_api_archive),
    R(SOUK_POST, "/api/v1/products/{id}/variants", CATALOG_WRITE_OWN, souk_catalog_api_variant_create),
    R(SOUK_PATCH, "/api/v1/variants/{id}", CATALOG_WRITE_OWN, souk_catalog_api_variant_update),
    R(SOUK_DELETE, "/api/v1/variants/{id}", CATALOG_WRITE_OWN, souk_catalog_api_variant_archive),
    R(SOUK_PUT, "/api/v1/variants/{id}/prices/{currency}", CATALOG_WRITE_OWN, souk_catalog_api_price_put),
    R(SOUK_DELETE, "/api/v1/variants/{id}/prices/{currency}", CATALOG_WRITE_OWN, souk_catalog_api_price_delete),
    READ("/api/v1/categories", souk_catalog_api_categories, LIST_CACHE),
    R(SOUK_POST, "/api/v1/categories", CATALOG_WRITE, souk_catalog_api_category_create),
    R(SOUK_PATCH, "/api/v1/categories/{id}", CATALOG_WRITE, souk_catalog_api_category_update),
    R(SOUK_DELETE, "/api/v1/categories/{id}", CATALOG_WRITE, souk_catalog_api_category_delete),
    READ("/api/v1/brands", souk_catalog_api_brands, LIST_CACHE),
    R(SOUK_POST, "/api/v1/brands", CATALOG_WRITE, souk_catalog_api_brand_create),
    R(SOUK_PATCH, "/api/v1/brands/{id}", CATALOG_WRITE, souk_catalog_api_brand_update),
    READ("/api/v1/vendors", souk_catalog_api_vendors, LIST_CACHE),
    R(SOUK_POST, "/api/v1/vendors", CATALOG_WRITE, souk_catalog_api_vendor_create),
    R(SOUK_PATCH, "/api/v1/vendors/{id}", CATALOG_WRITE, souk_catalog_api_vendor_update),

    /* accounts and sessions */
    AUTH(SOUK_POST, "/api/v1/auth/register", PUBLIC, souk_identity_api_register, true),
    AUTH(SOUK_POST, "/api/v1/auth/login", PUBLIC, souk_identity_api_login, true),
    AUTH(SOUK_POST, "/api/v1/auth/refresh", PUBLIC, souk_identity_api_refresh, false),
    R(SOUK_POST, "/api/v1/auth/logout", SESSION, souk_identity_api_logout),
    AUTH(SOUK_POST, "/api/v1/auth/password-reset", PUBLIC, souk_identity_api_reset_request, false),
    AUTH(SOUK_POST, "/api/v1/auth/password-reset/confirm", PUBLIC, souk_identity_api_reset_confirm, true),
    R(SOUK_GET, "/api/v1/users/me", AUTHENTICATED, souk_identity_api_me),
    R(SOUK_PATCH, "/api/v1/users/me", SESSION, souk_identity_api_me_update),
    {SOUK_DELETE, "/api/v1/users/me", SESSION, souk_identity_api_erase, NULL, false, true, SOUK_RATE_AUTH, 0},
    {SOUK_POST, "/api/v1/users/me/password", SESSION, souk_identity_api_password, NULL, false, true,
     SOUK_RATE_AUTH, 0},
    R(SOUK_GET, "/api/v1/users/me/sessions", SESSION, souk_identity_api_sessions),
    R(SOUK_DELETE, "/api/v1/users/me/sessions/{id}", SESSION, souk_identity_api_session_revoke),
    R(SOUK_POST, "/api/v1/users/me/2fa/totp", SESSION, souk_identity_api_totp_enrol),
    R(SOUK_POST, "/api/v1/users/me/2fa/totp/confirm", SESSION, souk_identity_api_totp_confirm),
    {SOUK_DELETE, "/api/v1/users/me/2fa/totp", SESSION, souk_identity_api_totp_disable, NULL, false, true,
     SOUK_RATE_AUTH, 0},
    R(SOUK_GET, "/api/v1/users/me/consents", AUTHENTICATED, souk_identity_api_consents),
    R(SOUK_POST, "/api/v1/users/me/consents", SESSION, souk_identity_api_consent_record),
    R(SOUK_GET, "/api/v1/users/me/export", SESSION, souk_identity_api_export),
    R(SOUK_POST, "/api/v1/api-keys", SESSION, souk_identity_api_keys_create),
    R(SOUK_GET, "/api/v1/api-keys", SESSION, souk_identity_api_keys_list),
    R(SOUK_DELETE, "/api/v1/api-keys/{id}", SESSION, souk_identity_api_keys_revoke),

    /* carts (guests: X-Cart-Token; customers: their access token) */
    R(SOUK_POST, "/api/v1/carts", PUBLIC, souk_cart_api_create),
    R(SOUK_GET, "/api/v1/carts/current", PUBLIC, souk_cart_api_get),
    R(SOUK_PATCH, "/api/v1/carts/current", PUBLIC, souk_cart_api_update),
    R(SOUK_POST, "/api/v1/carts/current/lines", PUBLIC, souk_cart_api_line_add),
    R(SOUK_PATCH, "/api/v1/carts/current/lines/{variant_id}", PUBLIC, souk_cart_api_line_set),
    R(SOUK_DELETE, "/api/v1/carts/current/lines/{variant_id}", PUBLIC, souk_cart_api_line_remove),
    R(SOUK_PUT, "/api/v1/carts/current/coupon", PUBLIC, souk_cart_api_coupon_set),
    R(SOUK_DELETE, "/api/v1/carts/current/coupon", PUBLIC, souk_cart_api_coupon_remove),
    R(SOUK_POST, "/api/v1/carts/merge", SESSION, souk_cart_api_merge),
    READ("/api/v1/shipping-methods", souk_pricing_api_shipping_public, LIST_CACHE),

    /* checkout and orders (the gateway may be called: blocking) */
    BLOCKING(SOUK_POST, "/api/v1/checkout", PUBLIC, souk_orders_api_checkout),
    R(SOUK_GET, "/api/v1/orders", AUTHENTICATED, souk_orders_api_list),
    R(SOUK_GET, "/api/v1/orders/{id}", PUBLIC, souk_orders_api_get),
    BLOCKING(SOUK_POST, "/api/v1/orders/{id}/cancel", AUTHENTICATED, souk_orders_api_cancel),
    R(SOUK_POST, "/api/v1/orders/{id}/fulfil", ORDERS_FULFIL, souk_orders_api_fulfil),
    R(SOUK_POST, "/api/v1/orders/{id}/ship", ORDERS_FULFIL, souk_orders_api_ship),
    R(SOUK_POST, "/api/v1/orders/{id}/deliver", ORDERS_FULFIL, souk_orders_api_deliver),
    BLOCKING(SOUK_POST, "/api/v1/orders/{id}/refunds", ORDERS_MANAGE, souk_orders_api_refund),
    R(SOUK_POST, "/api/v1/orders/{id}/returns", AUTHENTICATED, souk_orders_api_return_request),
    R(SOUK_POST, "/api/v1/orders/{id}/returns/{return_id}/approve", ORDERS_MANAGE, souk_orders_api_return_approve),
    BLOCKING(SOUK_POST, "/api/v1/orders/{id}/returns/{return_id}/receive", ORDERS_MANAGE,
             souk_orders_api_return_receive),
    BLOCKING(SOUK_POST, "/api/v1/payments/webhook", PUBLIC, souk_orders_api_webhook),

    /* inventory */
    R(SOUK_POST, "/api/v1/warehouses", INVENTORY, souk_inventory_api_warehouse_create),
    R(SOUK_GET, "/api/v1/warehouses", INVENTORY, souk_inventory_api_warehouses),
    R(SOUK_PATCH, "/api/v1/warehouses/{id}", INVENTORY, souk_inventory_api_warehouse_update),
    R(SOUK_GET, "/api/v1/variants/{id}/stock", INVENTORY, souk_inventory_api_stock_get),
    R(SOUK_PUT, "/api/v1/variants/{id}/stock/{warehouse_id}", INVENTORY, souk_inventory_api_stock_put),
    R(SOUK_POST, "/api/v1/variants/{id}/stock/{warehouse_id}/adjustments", INVENTORY,
      souk_inventory_api_adjustment_create),
    R(SOUK_GET, "/api/v1/variants/{id}/stock/{warehouse_id}/adjustments", INVENTORY, souk_inventory_api_adjustments),

    /* administration */
    R(SOUK_GET, "/api/v1/admin/jobs", JOBS, souk_jobs_api_list),
    R(SOUK_POST, "/api/v1/admin/jobs/{id}/retry", JOBS, souk_jobs_api_retry),
    R(SOUK_GET, "/api/v1/admin/tax-rates", PRICING, souk_pricing_api_tax_list),
    R(SOUK_PUT, "/api/v1/admin/tax-rates/{region}", PRICING, souk_pricing_api_tax_put),
    R(SOUK_DELETE, "/api/v1/admin/tax-rates/{region}", PRICING, souk_pricing_api_tax_delete),
    R(SOUK_GET, "/api/v1/admin/shipping-methods", PRICING, souk_pricing_api_shipping_list),
    R(SOUK_POST, "/api/v1/admin/shipping-methods", PRICING, souk_pricing_api_shipping_create),
    R(SOUK_PATCH, "/api/v1/admin/shipping-methods/{id}", PRICING, souk_pricing_api_shipping_update),
    R(SOUK_GET, "/api/v1/admin/coupons", PRICING, souk_pricing_api_coupon_list),
    R(SOUK_POST, "/api/v1/admin/coupons", PRICING, souk_pricing_api_coupon_create),
    R(SOUK_PATCH, "/api/v1/admin/coupons/{id}", PRICING, souk_pricing_api_coupon_update),
    R(SOUK_GET, "/api/v1/admin/users", "users:manage", souk_identity_api_admin_users),
    R(SOUK_PATCH, "/api/v1/admin/users/{id}", "users:manage", souk_identity_api_admin_user_update),
    R(SOUK_GET, "/api/v1/admin/audit", "audit:read", souk_audit_api_list),
    R(SOUK_GET, "/api/v1/admin/mail", "mail:read", souk_mail_api_list),
};
const size_t souk_routes_count = sizeof souk_routes / sizeof souk_routes[0];

/* `souk routes [--json]` */
int souk_cmd_routes(int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    if (argc > 2 || (argc == 2 && !json)) {
        fprintf(stderr, "usage: souk routes [--json]\n");
        return 2;
    }
    static const char *const rates[] = {"default", "auth", "none"};
    json_t *arr = json_array();
    for (size_t i = 0; i < souk_routes_count; i++) {
        const souk_route *r = &souk_routes[i];
        if (json)
            json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:b}", "method", souk_method_name(r->method), "path",
                                                 r->pattern, "permission", r->permission, "rate", rates[r->rate],
                                                 "blocking", r->blocking));
        else
            printf("%-7s %-48s %-26s %s%s\n", souk_method_name(r->method), r->pattern, r->permission, rates[r->rate],
                   r->blocking ? " blocking" : "");
    }
    if (json) {
        char *s = json_dumps(arr, JSON_INDENT(2));
        if (s)
            puts(s);
        free(s);
    }
    json_decref(arr);
    return 0;
}
