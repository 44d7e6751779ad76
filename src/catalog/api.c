/*
 * api.c — HTTP handlers of the catalog. Each decodes its input with the
 * catalog's JSON spec, calls the domain, and renders the result; the route
 * table (src/app/routes.c) binds them to paths and permissions.
 */
#include "catalog/api.h"

#include <string.h>

#include "core/id.h"
#include "core/money.h"
#include "catalog/catalog.h"
#include "core/time.h"
#include "core/banned.h"

#define PERM_WRITE "catalog:write" /* every product, the taxonomy */
#define PERM_UNPUBLISHED "catalog:read:unpublished"

static int fail(souk_res *res, souk_err e)
{
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No such object.");
    return souk_res_error(res, e, NULL);
}

/* Vendors (catalog:write:own) act only on their own vendor's products; any
 * other product is answered 404, as if it did not exist. */
static int own_product(souk_req *req, souk_res *res, int64_t product)
{
    if (souk_req_can(req, PERM_WRITE))
        return 0;
    int64_t vendor = 0;
    souk_err e = souk_catalog_product_vendor(req->store, product, &vendor);
    if (e && e != SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, NULL);
    if (e || !req->principal.vendor_id || vendor != req->principal.vendor_id)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such object.");
    return 0;
}

static int own_variant(souk_req *req, souk_res *res, int64_t variant)
{
    if (souk_req_can(req, PERM_WRITE))
        return 0;
    int64_t product = 0;
    souk_err e = souk_catalog_variant_product(req->store, variant, &product);
    if (e)
        return fail(res, e);
    return own_product(req, res, product);
}

/* a vendor may not move a product to another vendor */
static int vendor_field(souk_req *req, souk_res *res, const souk_json_spec *spec, souk_product_in *in, bool create)
{
    if (souk_req_can(req, PERM_WRITE))
        return 0;
    if (!req->principal.vendor_id)
        return souk_res_error(res, SOUK_E_FORBIDDEN, "Your account is not linked to a vendor.");
    if (souk_json_present(spec, in, SOUK_PF_VENDOR) &&
        (souk_json_is_null(spec, in, SOUK_PF_VENDOR) || in->vendor_id != req->principal.vendor_id)) {
        souk_problems_add(&res->problems, req->arena, "vendor_id", "vendors manage only their own vendor's products");
        return souk_res_invalid(res);
    }
    if (create) {
        in->vendor_id = req->principal.vendor_id;
        in->present |= UINT64_C(1) << SOUK_PF_VENDOR;
    }
    return 0;
}

static int send_product(souk_req *req, souk_res *res, int64_t id, int status)
{
    souk_buf_reset(&res->body);
    souk_err e = souk_catalog_product_write_id(req->store, id, true, &res->body);
    if (e)
        return fail(res, e);
    char idbuf[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_PRODUCT, id, idbuf);
    souk_res_audit(res, "product", souk_arena_strdup(req->arena, idbuf));
    if (status == 201)
        res->location = souk_arena_printf(req->arena, "/api/v1/products/%s", idbuf);
    res->status = status;
    return 0;
}

static int send_variant(souk_req *req, souk_res *res, int64_t id, int status)
{
    json_t *v;
    souk_err e = souk_catalog_variant_get(req->store, id, &v);
    return e ? fail(res, e) : souk_res_json(res, status, v);
}

/* The earlier of two "cache until" times (0: none). */
static int64_t earlier(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

/* The display conversion of prices into CUR (fx.h): *FX points at Q when
 * there is one (an enabled display currency with a rate in effect), else
 * NULL; *UNTIL gets the earlier of itself and the next rate change of CUR.
 * 0, or the error answered. */
static int display_fx(souk_req *req, souk_res *res, const char *cur, souk_fx_quote *q, const souk_fx_quote **fx,
                      int64_t *until)
{
    *fx = NULL;
    int r = souk_fx_display_quote(req->store, req->config->currency, cur, souk_time_now_us(), q);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    if (r == 1)
        *fx = q;
    *until = earlier(*until, q->next_change);
    return 0;
}

int souk_catalog_api_list(souk_req *req, souk_res *res)
{
    souk_catalog_filter f;
    if (souk_catalog_filter_parse(&f, &req->query, req->config->currency, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    if (f.status != SOUK_STATUS_ACTIVE && !souk_req_can(req, PERM_UNPUBLISHED))
        return souk_res_error(res, req->principal.authenticated ? SOUK_E_FORBIDDEN : SOUK_E_UNAUTHORIZED,
                              "Listing unpublished products needs the catalog:read:unpublished permission.");
    souk_fx_quote q;
    int64_t fx_until = 0;
    if (display_fx(req, res, f.currency, &q, &f.fx, &fx_until))
        return res->err;
    f.locale = souk_req_translation(req);
    souk_err e = souk_catalog_list_write(req->store, &f, req->arena, &res->problems, &res->body);
    if (e)
        return fail(res, e);
    if (f.has_in_stock) /* whether a product is listed follows its stock */
        res->cache_tags |= SOUK_CACHE_TAG_STOCK;
    /* the rows show flash-sale prices (and maybe converted ones): a cached copy must not outlive a sale's start
     * or end, nor a stored rate taking effect */
    res->cache_until_us = earlier(souk_catalog_flash_next_edge(req->store, souk_time_now_us()), fx_until);
    res->status = 200;
    return 0;
}

int souk_catalog_api_get(souk_req *req, souk_res *res)
{
    bool admin_view = souk_req_can(req, PERM_UNPUBLISHED);
    const char *cur = souk_query_get(&req->query, "currency");
    souk_fx_quote q;
    const souk_fx_quote *fx = NULL;
    int64_t fx_until = 0;
    if (cur) { /* the store currency or an enabled display currency */
        int enabled = souk_catalog_check_currency(cur, strlen(cur)) ? 0 : souk_fx_display_enabled(req->store, cur);
        if (enabled < 0)
            return souk_res_error(res, souk_store_dberr(enabled), NULL);
        if (!enabled && strcmp(cur, req->config->currency) != 0) {
            souk_problems_add(&res->problems, req->arena, "currency",
                              "must be the store currency (%s) or an enabled display currency (GET /api/v1/currencies)",
                              req->config->currency);
            return souk_res_invalid(res);
        }
        if (display_fx(req, res, cur, &q, &fx, &fx_until))
            return res->err;
    }
    souk_err e = souk_catalog_product_write_locale(req->store, req->params[0], admin_view, fx,
                                                   souk_req_translation(req), &res->body, &res->cache_until_us);
    if (e)
        return fail(res, e);
    res->cache_until_us = earlier(res->cache_until_us, fx_until);
    res->live = !admin_view; /* the public view's "available" counts are filled in when sent */
    res->status = 200;
    return 0;
}

int souk_catalog_api_create(souk_req *req, souk_res *res)
{
    souk_product_in in;
    if (souk_req_decode(req, res, &souk_catalog_product_create_spec, &in) ||
        vendor_field(req, res, &souk_catalog_product_create_spec, &in, true))
        return res->err;
    if (!souk_json_present(&souk_catalog_product_create_spec, &in, SOUK_PF_STATUS))
        in.status = SOUK_STATUS_DRAFT;
    int64_t id;
    souk_err e = souk_catalog_product_create(req->store, &in, req->arena, &res->problems, &id);
    return e ? fail(res, e) : send_product(req, res, id, 201);
}

int souk_catalog_api_update(souk_req *req, souk_res *res)
{
    int64_t id;
    souk_product_in in;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRODUCT, &id) || own_product(req, res, id) ||
        souk_req_decode(req, res, &souk_catalog_product_update_spec, &in) ||
        vendor_field(req, res, &souk_catalog_product_update_spec, &in, false))
        return res->err;
    souk_err e = souk_catalog_product_update(req->store, id, &in, req->arena, &res->problems);
    return e ? fail(res, e) : send_product(req, res, id, 200);
}

int souk_catalog_api_archive(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRODUCT, &id) || own_product(req, res, id))
        return res->err;
    souk_err e = souk_catalog_product_archive(req->store, id);
    return e ? fail(res, e) : send_product(req, res, id, 200);
}

int souk_catalog_api_variant_create(souk_req *req, souk_res *res)
{
    int64_t product, id;
    souk_variant_in in;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRODUCT, &product) || own_product(req, res, product) ||
        souk_req_decode(req, res, &souk_catalog_variant_create_spec, &in))
        return res->err;
    souk_err e = souk_catalog_variant_create(req->store, product, &in, req->arena, &res->problems, &id);
    return e ? fail(res, e) : send_variant(req, res, id, 201);
}

int souk_catalog_api_variant_update(souk_req *req, souk_res *res)
{
    int64_t id;
    souk_variant_in in;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_VARIANT, &id) || own_variant(req, res, id) ||
        souk_req_decode(req, res, &souk_catalog_variant_update_spec, &in))
        return res->err;
    souk_err e = souk_catalog_variant_update(req->store, id, &in, req->arena, &res->problems);
    return e ? fail(res, e) : send_variant(req, res, id, 200);
}

int souk_catalog_api_variant_archive(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_VARIANT, &id) || own_variant(req, res, id))
        return res->err;
    souk_variant_in in = {.status = SOUK_VARIANT_ARCHIVED, .present = UINT64_C(1) << SOUK_VF_STATUS};
    souk_err e = souk_catalog_variant_update(req->store, id, &in, req->arena, &res->problems);
    return e ? fail(res, e) : send_variant(req, res, id, 200);
}

static int currency_param(souk_req *req, souk_res *res, const char **cur)
{
    *cur = req->nparams > 1 ? req->params[1] : "";
    if (souk_catalog_check_currency(*cur, strlen(*cur))) {
        souk_problems_add(&res->problems, req->arena, "currency", "must be an ISO 4217 currency code such as USD");
        return souk_res_invalid(res);
    }
    return 0;
}

int souk_catalog_api_price_put(souk_req *req, souk_res *res)
{
    int64_t id;
    const char *cur;
    souk_amount_in in;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_VARIANT, &id) || own_variant(req, res, id) ||
        currency_param(req, res, &cur) || souk_req_decode(req, res, &souk_catalog_amount_spec, &in))
        return res->err;
    souk_err e = souk_catalog_price_set(req->store, id, cur, in.amount);
    return e ? fail(res, e) : send_variant(req, res, id, 200);
}

int souk_catalog_api_price_delete(souk_req *req, souk_res *res)
{
    int64_t id;
    const char *cur;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_VARIANT, &id) || own_variant(req, res, id) ||
        currency_param(req, res, &cur))
        return res->err;
    souk_err e = souk_catalog_price_set(req->store, id, cur, -1);
    return e ? fail(res, e) : send_variant(req, res, id, 200);
}

int souk_catalog_api_categories(souk_req *req, souk_res *res)
{
    json_t *out;
    souk_err e = souk_catalog_categories_locale(req->store, souk_req_translation(req), &out);
    return e ? fail(res, e) : souk_res_json(res, 200, out);
}

static int taxon_list(souk_req *req, souk_res *res, souk_taxon_kind kind)
{
    json_t *out;
    souk_err e = souk_catalog_taxons_locale(req->store, kind, souk_req_translation(req), &out);
    return e ? fail(res, e) : souk_res_json(res, 200, out);
}

int souk_catalog_api_brands(souk_req *req, souk_res *res)
{
    return taxon_list(req, res, SOUK_TAXON_BRAND);
}

int souk_catalog_api_vendors(souk_req *req, souk_res *res)
{
    return taxon_list(req, res, SOUK_TAXON_VENDOR);
}

static int taxon_create(souk_req *req, souk_res *res, souk_taxon_kind kind)
{
    souk_taxon_in in;
    if (souk_req_decode(req, res, souk_catalog_taxon_spec(kind, false), &in))
        return res->err;
    int64_t id;
    souk_err e = souk_catalog_taxon_create(req->store, kind, &in, req->arena, &res->problems, &id);
    if (e)
        return fail(res, e);
    json_t *out;
    if ((e = souk_catalog_taxon_get(req->store, kind, id, &out)))
        return fail(res, e);
    return souk_res_json(res, 201, out);
}

static int taxon_update(souk_req *req, souk_res *res, souk_taxon_kind kind, const char *prefix)
{
    int64_t id;
    souk_taxon_in in;
    if (souk_req_path_id(req, res, 0, prefix, &id) ||
        souk_req_decode(req, res, souk_catalog_taxon_spec(kind, true), &in))
        return res->err;
    souk_err e = souk_catalog_taxon_update(req->store, kind, id, &in, req->arena, &res->problems);
    if (e)
        return fail(res, e);
    json_t *out;
    if ((e = souk_catalog_taxon_get(req->store, kind, id, &out)))
        return fail(res, e);
    return souk_res_json(res, 200, out);
}

int souk_catalog_api_category_create(souk_req *req, souk_res *res)
{
    return taxon_create(req, res, SOUK_TAXON_CATEGORY);
}

int souk_catalog_api_category_update(souk_req *req, souk_res *res)
{
    return taxon_update(req, res, SOUK_TAXON_CATEGORY, SOUK_PREFIX_CATEGORY);
}

int souk_catalog_api_category_delete(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_CATEGORY, &id))
        return res->err;
    souk_err e = souk_catalog_category_delete(req->store, id, req->arena, &res->problems);
    if (e)
        return fail(res, e);
    res->status = 204;
    return 0;
}

int souk_catalog_api_brand_create(souk_req *req, souk_res *res)
{
    return taxon_create(req, res, SOUK_TAXON_BRAND);
}

int souk_catalog_api_brand_update(souk_req *req, souk_res *res)
{
    return taxon_update(req, res, SOUK_TAXON_BRAND, SOUK_PREFIX_BRAND);
}

int souk_catalog_api_vendor_create(souk_req *req, souk_res *res)
{
    return taxon_create(req, res, SOUK_TAXON_VENDOR);
}

int souk_catalog_api_vendor_update(souk_req *req, souk_res *res)
{
    return taxon_update(req, res, SOUK_TAXON_VENDOR, SOUK_PREFIX_VENDOR);
}
