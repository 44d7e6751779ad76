/*
 * api.h — HTTP handlers of the catalog (bound in src/app/routes.c).
 * Contract of each: see docs/api-shapes.md and the OpenAPI document.
 * Writes need permission "catalog:write".
 */
#ifndef SOUK_CATALOG_API_H
#define SOUK_CATALOG_API_H

#include "http/http.h"

int souk_catalog_api_list(souk_req *req, souk_res *res);
int souk_catalog_api_get(souk_req *req, souk_res *res);
int souk_catalog_api_create(souk_req *req, souk_res *res);
int souk_catalog_api_update(souk_req *req, souk_res *res);
int souk_catalog_api_archive(souk_req *req, souk_res *res);
int souk_catalog_api_variant_create(souk_req *req, souk_res *res);
int souk_catalog_api_variant_update(souk_req *req, souk_res *res);
int souk_catalog_api_variant_archive(souk_req *req, souk_res *res);
int souk_catalog_api_price_put(souk_req *req, souk_res *res);
int souk_catalog_api_price_delete(souk_req *req, souk_res *res);
int souk_catalog_api_categories(souk_req *req, souk_res *res);
int souk_catalog_api_category_create(souk_req *req, souk_res *res);
int souk_catalog_api_category_update(souk_req *req, souk_res *res);
int souk_catalog_api_category_delete(souk_req *req, souk_res *res);
int souk_catalog_api_brands(souk_req *req, souk_res *res);
int souk_catalog_api_brand_create(souk_req *req, souk_res *res);
int souk_catalog_api_brand_update(souk_req *req, souk_res *res);
int souk_catalog_api_vendors(souk_req *req, souk_res *res);
int souk_catalog_api_vendor_create(souk_req *req, souk_res *res);
int souk_catalog_api_vendor_update(souk_req *req, souk_res *res);

#endif
