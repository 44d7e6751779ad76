/*
 * api.h — the exchange's admin routes (permission catalog:write; the app
 * wires them in src/app/routes.c, documented in src/app/openapi.json):
 *   POST /api/v1/admin/imports            a Shopify product CSV (text/csv) → 202, a job runs it
 *   GET  /api/v1/admin/imports/{id}       its state, progress and error report
 *   GET  /api/v1/admin/exports/products   the catalog as Shopify product CSV
 */
#ifndef SOUK_EXCHANGE_API_H
#define SOUK_EXCHANGE_API_H

#include "http/http.h"

#define SOUK_PREFIX_IMPORT "imp"

/* POST /api/v1/admin/imports: 415 unless Content-Type is text/csv, 422 for
 * an empty body, NUL bytes or a header without Handle and Title; else the
 * run is stored with its job queued → 202 ImportRun (+ Location). */
int souk_exchange_api_import(souk_req *req, souk_res *res);

/* GET /api/v1/admin/imports/{id} → 200 ImportRun, 404. */
int souk_exchange_api_import_get(souk_req *req, souk_res *res);

/* GET /api/v1/admin/exports/products → 200 text/csv (a blocking route:
 * it reads the whole catalog); 500 when it exceeds the response limit. */
int souk_exchange_api_export_products(souk_req *req, souk_res *res);

#endif
