/*
 * api.c — HTTP handlers of the inventory. Each decodes its input with the
 * inventory's JSON spec, calls the domain, and renders the result; the route
 * table (src/app/routes.c) binds them to paths and the "inventory:write"
 * permission. The HTTP layer audits every write; handlers name the object.
 */
#include "inventory/api.h"

#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/query_spec.h"
#include "inventory/inventory.h"
#include "core/banned.h"

static int fail(souk_res *res, souk_err e)
{
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No such object.");
    return souk_res_error(res, e, NULL);
}

/* "usr_…" / "key_…" of the caller, for the adjustment history. */
static const char *actor(souk_req *req)
{
    char buf[SOUK_ID_TEXT_MAX];
    const souk_principal *p = &req->principal;
    if (p->kind == SOUK_ACTOR_USER && p->user_id)
        return souk_arena_strdup(req->arena, souk_id_format("usr", p->user_id, buf));
    if (p->kind == SOUK_ACTOR_API_KEY && p->key_id)
        return souk_arena_strdup(req->arena, souk_id_format("key", p->key_id, buf));
    return "anonymous";
}

static const char *id_text(souk_req *req, const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    return souk_arena_strdup(req->arena, souk_id_format(prefix, id, buf));
}

/* ---- warehouses ---- */

static int send_warehouse(souk_req *req, souk_res *res, int64_t id, int status)
{
    json_t *w;
    souk_err e = souk_inventory_warehouse_get(req->store, id, &w);
    if (e)
        return fail(res, e);
    const char *idtext = id_text(req, SOUK_PREFIX_WAREHOUSE, id);
    souk_res_audit(res, "warehouse", idtext);
    if (status == 201)
        res->location = souk_arena_printf(req->arena, "/api/v1/warehouses/%s", idtext);
    return souk_res_json(res, status, w);
}

int souk_inventory_api_warehouse_create(souk_req *req, souk_res *res)
{
    souk_warehouse_in in;
    if (souk_req_decode(req, res, &souk_inventory_warehouse_create_spec, &in))
        return res->err;
    int64_t id;
    souk_err e = souk_inventory_warehouse_create(req->store, &in, req->arena, &res->problems, &id);
    return e ? fail(res, e) : send_warehouse(req, res, id, 201);
}

int souk_inventory_api_warehouses(souk_req *req, souk_res *res)
{
    json_t *out;
    souk_err e = souk_inventory_warehouses(req->store, &out);
    return e ? fail(res, e) : souk_res_json(res, 200, out);
}

int souk_inventory_api_warehouse_update(souk_req *req, souk_res *res)
{
    int64_t id;
    souk_warehouse_in in;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_WAREHOUSE, &id) ||
        souk_req_decode(req, res, &souk_inventory_warehouse_update_spec, &in))
        return res->err;
    souk_err e = souk_inventory_warehouse_update(req->store, id, &in, req->arena, &res->problems);
    return e ? fail(res, e) : send_warehouse(req, res, id, 200);
}

/* ---- stock ---- */

static int send_stock(souk_req *req, souk_res *res, int64_t variant, int status)
{
    json_t *s;
    souk_err e = souk_inventory_stock_json(req->store, variant, &s);
    return e ? fail(res, e) : souk_res_json(res, status, s);
}

int souk_inventory_api_stock_get(souk_req *req, souk_res *res)
{
    int64_t variant;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_VARIANT, &variant))
        return res->err;
    return send_stock(req, res, variant, 200);
}

/* A NOT_FOUND from the domain names the missing object in its problems; the
 * response is a plain 404. */
static int fail_write(souk_res *res, souk_err e)
{
    if (e == SOUK_E_NOT_FOUND)
        souk_problems_init(&res->problems);
    return fail(res, e);
}

int souk_inventory_api_stock_put(souk_req *req, souk_res *res)
{
    int64_t variant, warehouse;
    souk_stock_set_in in;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_VARIANT, &variant) ||
        souk_req_path_id(req, res, 1, SOUK_PREFIX_WAREHOUSE, &warehouse) ||
        souk_req_decode(req, res, &souk_inventory_stock_set_spec, &in))
        return res->err;
    int64_t threshold =
        souk_json_present(&souk_inventory_stock_set_spec, &in, SOUK_SF_THRESHOLD) ? in.low_stock_threshold : -1;
    souk_err e = souk_inventory_stock_set(req->store, variant, warehouse, in.on_hand, threshold, in.reason, actor(req),
                                          req->arena, &res->problems);
    if (e)
        return fail_write(res, e);
    souk_res_audit(res, "variant_stock", id_text(req, SOUK_PREFIX_VARIANT, variant));
    return send_stock(req, res, variant, 200);
}

int souk_inventory_api_adjustment_create(souk_req *req, souk_res *res)
{
    int64_t variant, warehouse, id = 0;
    souk_stock_adjust_in in;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_VARIANT, &variant) ||
        souk_req_path_id(req, res, 1, SOUK_PREFIX_WAREHOUSE, &warehouse) ||
        souk_req_decode(req, res, &souk_inventory_stock_adjust_spec, &in))
        return res->err;
    souk_err e = souk_inventory_stock_adjust(req->store, variant, warehouse, in.delta, in.reason, actor(req),
                                             req->arena, &res->problems, &id);
    if (e)
        return fail_write(res, e);
    json_t *adj;
    if ((e = souk_inventory_adjustment_json(req->store, id, &adj)))
        return fail(res, e);
    souk_stock_level lv;
    if ((e = souk_inventory_level(req->store, variant, warehouse, &lv))) {
        json_decref(adj);
        return fail(res, e);
    }
    json_object_set_new(adj, "stock",
                        json_pack("{s:I,s:I,s:I,s:I}", "on_hand", (json_int_t)lv.on_hand, "reserved",
                                  (json_int_t)lv.reserved, "available", (json_int_t)lv.available, "low_stock_threshold",
                                  (json_int_t)lv.low_stock_threshold));
    const char *idtext = id_text(req, SOUK_PREFIX_ADJUSTMENT, id);
    souk_res_audit(res, "stock_adjustment", idtext);
    res->location =
        souk_arena_printf(req->arena, "/api/v1/variants/%s/stock/%s/adjustments", req->params[0], req->params[1]);
    return souk_res_json(res, 201, adj);
}

/* the history's query parameters */
typedef struct history_in {
    int64_t limit, before;
    uint64_t present;
} history_in;

/* "cursor": the "adj_…" id the page starts after */
static const char *parse_cursor(const char *v, size_t len, void *dst, souk_arena *a)
{
    (void)a;
    int64_t *before = dst;
    return souk_id_parse(SOUK_PREFIX_ADJUSTMENT, v, len, before) < 0 || *before <= 0 ? "is not a valid cursor" : NULL;
}

static const souk_query_field history_fields[] = {
    SOUK_QUERY_F_INT("limit", history_in, limit, 1, SOUK_INVENTORY_HISTORY_MAX),
    SOUK_QUERY_F_CUSTOM("cursor", history_in, before, parse_cursor),
};
static const souk_query_spec history_spec = SOUK_QUERY_SPEC(history_in, history_fields);

int souk_inventory_api_adjustments(souk_req *req, souk_res *res)
{
    int64_t variant, warehouse;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_VARIANT, &variant) ||
        souk_req_path_id(req, res, 1, SOUK_PREFIX_WAREHOUSE, &warehouse))
        return res->err;
    history_in in = {.limit = 50, .before = 0};
    if (souk_query_decode(&history_spec, &req->query, &in, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    json_t *out;
    souk_err e = souk_inventory_adjustments_json(req->store, variant, warehouse, (int)in.limit, in.before, &out);
    return e ? fail(res, e) : souk_res_json(res, 200, out);
}
