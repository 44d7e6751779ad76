/* routes.c — the route table and the platform handlers (health, metrics,
 * OpenAPI). Keep it in step with src/app/openapi.json: a unit test checks
 * that every route here is documented there and the other way round. */
#include "app/routes.h"

#include <string.h>

#include "catalog/api.h"
#include "core/embed.h"
#include "core/metrics.h"
#include "core/banned.h"

#define PUBLIC SOUK_PERM_PUBLIC
#define CATALOG_WRITE "catalog:write"
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

souk_route souk_routes[] = {
    {SOUK_GET, "/healthz", PUBLIC, healthz, NULL, false, 0},
    {SOUK_GET, "/readyz", PUBLIC, readyz, NULL, false, 0},
    {SOUK_GET, "/metrics", PUBLIC, metrics, NULL, false, 0},
    {SOUK_GET, "/api/v1/openapi.json", PUBLIC, openapi, "public, max-age=300", false, 0},

    {SOUK_GET, "/api/v1/products", PUBLIC, souk_catalog_api_list, LIST_CACHE, true, 0},
    {SOUK_POST, "/api/v1/products", CATALOG_WRITE, souk_catalog_api_create, NULL, false, 0},
    {SOUK_GET, "/api/v1/products/{id}", PUBLIC, souk_catalog_api_get, DETAIL_CACHE, true, 0},
    {SOUK_PATCH, "/api/v1/products/{id}", CATALOG_WRITE, souk_catalog_api_update, NULL, false, 0},
    {SOUK_DELETE, "/api/v1/products/{id}", CATALOG_WRITE, souk_catalog_api_archive, NULL, false, 0},
    {SOUK_POST, "/api/v1/products/{id}/variants", CATALOG_WRITE, souk_catalog_api_variant_create, NULL, false, 0},
    {SOUK_PATCH, "/api/v1/variants/{id}", CATALOG_WRITE, souk_catalog_api_variant_update, NULL, false, 0},
    {SOUK_DELETE, "/api/v1/variants/{id}", CATALOG_WRITE, souk_catalog_api_variant_archive, NULL, false, 0},
    {SOUK_PUT, "/api/v1/variants/{id}/prices/{currency}", CATALOG_WRITE, souk_catalog_api_price_put, NULL, false, 0},
    {SOUK_DELETE, "/api/v1/variants/{id}/prices/{currency}", CATALOG_WRITE, souk_catalog_api_price_delete, NULL,
     false, 0},

    {SOUK_GET, "/api/v1/categories", PUBLIC, souk_catalog_api_categories, LIST_CACHE, true, 0},
    {SOUK_POST, "/api/v1/categories", CATALOG_WRITE, souk_catalog_api_category_create, NULL, false, 0},
    {SOUK_PATCH, "/api/v1/categories/{id}", CATALOG_WRITE, souk_catalog_api_category_update, NULL, false, 0},
    {SOUK_DELETE, "/api/v1/categories/{id}", CATALOG_WRITE, souk_catalog_api_category_delete, NULL, false, 0},
    {SOUK_GET, "/api/v1/brands", PUBLIC, souk_catalog_api_brands, LIST_CACHE, true, 0},
    {SOUK_POST, "/api/v1/brands", CATALOG_WRITE, souk_catalog_api_brand_create, NULL, false, 0},
    {SOUK_PATCH, "/api/v1/brands/{id}", CATALOG_WRITE, souk_catalog_api_brand_update, NULL, false, 0},
    {SOUK_GET, "/api/v1/vendors", PUBLIC, souk_catalog_api_vendors, LIST_CACHE, true, 0},
    {SOUK_POST, "/api/v1/vendors", CATALOG_WRITE, souk_catalog_api_vendor_create, NULL, false, 0},
    {SOUK_PATCH, "/api/v1/vendors/{id}", CATALOG_WRITE, souk_catalog_api_vendor_update, NULL, false, 0},
};
const size_t souk_routes_count = sizeof souk_routes / sizeof souk_routes[0];
