/*
 * api.h — HTTP handlers of the inventory (bound in src/app/routes.c).
 * Contract of each: docs/api-shapes.md ("Inventory"). Every route needs the
 * permission "inventory:write" (reads of stock levels included).
 *
 *   POST  /api/v1/warehouses                                          warehouse_create
 *   GET   /api/v1/warehouses                                          warehouses
 *   PATCH /api/v1/warehouses/{id}                                     warehouse_update
 *   GET   /api/v1/variants/{id}/stock                                 stock_get
 *   PUT   /api/v1/variants/{id}/stock/{warehouse_id}                  stock_put
 *   POST  /api/v1/variants/{id}/stock/{warehouse_id}/adjustments      adjustment_create
 *   GET   /api/v1/variants/{id}/stock/{warehouse_id}/adjustments      adjustments
 */
#ifndef SOUK_INVENTORY_API_H
#define SOUK_INVENTORY_API_H

#include "http/http.h"

int souk_inventory_api_warehouse_create(souk_req *req, souk_res *res);
int souk_inventory_api_warehouses(souk_req *req, souk_res *res);
int souk_inventory_api_warehouse_update(souk_req *req, souk_res *res);
int souk_inventory_api_stock_get(souk_req *req, souk_res *res);
int souk_inventory_api_stock_put(souk_req *req, souk_res *res);
int souk_inventory_api_adjustment_create(souk_req *req, souk_res *res);
int souk_inventory_api_adjustments(souk_req *req, souk_res *res);

#endif
