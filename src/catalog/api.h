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

/* POST /api/v1/products/{id}/images (catalog:write; blocking route): the raw
 * body is an image with Content-Type image/jpeg|png|webp|gif, or a
 * multipart/form-data body whose "file" part is one (an optional "alt" text
 * field, nothing else); optional query alt (≤ 500 bytes; not with the
 * field). 201 with the product (200 when the product shows these bytes
 * already); 400 for a malformed form, 415 for another or a mismatching
 * type, 413 for too many bytes, pixels, parts or header bytes, 422 for a
 * file that is not a whole image of its type or a bad field. */
int souk_catalog_api_image_upload(souk_req *req, souk_res *res);
/* DELETE /api/v1/products/{id}/images/{image_id} (catalog:write): 200 with the product, 404. */
int souk_catalog_api_image_delete(souk_req *req, souk_res *res);
/* GET /media/{file}: a stored image ("<hash>.<ext>", "<hash>-<width>.<ext>")
 * with its Content-Type and immutable caching; 404 for any other name. */
int souk_catalog_media_get(souk_req *req, souk_res *res);
/* The upload route's body limit (SOUK_IMAGE_MAX_BYTES and 64 KiB for a
 * form's own bytes), for the route table. */
size_t souk_catalog_image_upload_max(const char *db_dsn);

#endif
