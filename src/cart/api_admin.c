/*
 * pricing.c — the store's pricing configuration, managed by admins
 * (permission pricing:manage): tax rates per region, shipping methods and
 * coupons. Carts read them at every change (cart.c).
 */
#include "cart/api.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/json.h"
#include "core/money.h"
#include "core/time.h"
#include "core/banned.h"

typedef struct pricing_in {
    const char *name, *code, *currency, *kind, *starts_at, *expires_at;
    int64_t rate_bp, amount, free_above, value, min_subtotal, usage_limit;
    bool prices_include_tax, active;
    uint64_t present, nulls;
} pricing_in;

static const char *currency_check(const char *s, size_t len)
{
    return len == 3 && souk_currency_valid(s) ? NULL : "must be an ISO 4217 currency code such as USD";
}

static const char *code_check(const char *s, size_t len)
{
    if (len < 2 || len > 32)
        return "must be 2-32 characters";
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return "use only letters, digits, '-' and '_'";
    return NULL;
}

static const char *time_check(const char *s, size_t len)
{
    int64_t t;
    return souk_time_parse(s, len, &t) == 0 ? NULL : "must be an RFC 3339 time";
}

static const char *kind_check(const char *s, size_t len)
{
    (void)len;
    return strcmp(s, "percent") == 0 || strcmp(s, "fixed") == 0 ? NULL : "must be percent or fixed";
}

#define F(name, type, flags, field, min, max, check) \
    {name, type, flags, offsetof(pricing_in, field), min, max, 0, NULL, check, NULL, NULL}
#define SPEC(fields) {fields, sizeof fields / sizeof fields[0], sizeof(pricing_in), offsetof(pricing_in, present), \
                      offsetof(pricing_in, nulls)}
#define MONEY_MAX INT64_C(1000000000000)

static const souk_json_field tax_fields[] = {
    F("name", SOUK_JSON_STRING, 0, name, 0, 100, NULL),
    F("rate_bp", SOUK_JSON_INT, SOUK_JSON_REQUIRED, rate_bp, 0, 10000, NULL),
    F("prices_include_tax", SOUK_JSON_BOOL, 0, prices_include_tax, 0, 0, NULL),
};
enum { SH_CODE, SH_NAME, SH_CURRENCY, SH_AMOUNT, SH_FREE_ABOVE, SH_ACTIVE };
#define SHIPPING_FIELDS(req)                                                        \
    F("code", SOUK_JSON_STRING, req, code, 2, 32, code_check),                      \
    F("name", SOUK_JSON_STRING, req, name, 1, 100, NULL),                           \
    F("currency", SOUK_JSON_STRING, req, currency, 3, 3, currency_check),           \
    F("amount", SOUK_JSON_INT, req, amount, 0, MONEY_MAX, NULL),                    \
    F("free_above", SOUK_JSON_INT, SOUK_JSON_NULLABLE, free_above, 0, MONEY_MAX, NULL), \
    F("active", SOUK_JSON_BOOL, 0, active, 0, 0, NULL)
static const souk_json_field shipping_create_fields[] = {SHIPPING_FIELDS(SOUK_JSON_REQUIRED)};
static const souk_json_field shipping_update_fields[] = {SHIPPING_FIELDS(0)};
enum { CP_CODE, CP_KIND, CP_VALUE, CP_CURRENCY, CP_MIN, CP_STARTS, CP_EXPIRES, CP_LIMIT, CP_ACTIVE };
static const souk_json_field coupon_create_fields[] = {
    F("code", SOUK_JSON_STRING, SOUK_JSON_REQUIRED, code, 2, 32, code_check),
    F("kind", SOUK_JSON_STRING, SOUK_JSON_REQUIRED, kind, 1, 16, kind_check),
    F("value", SOUK_JSON_INT, SOUK_JSON_REQUIRED, value, 1, MONEY_MAX, NULL),
    F("currency", SOUK_JSON_STRING, 0, currency, 3, 3, currency_check),
    F("min_subtotal", SOUK_JSON_INT, 0, min_subtotal, 0, MONEY_MAX, NULL),
    F("starts_at", SOUK_JSON_STRING, SOUK_JSON_NULLABLE, starts_at, 1, 40, time_check),
    F("expires_at", SOUK_JSON_STRING, SOUK_JSON_NULLABLE, expires_at, 1, 40, time_check),
    F("usage_limit", SOUK_JSON_INT, SOUK_JSON_NULLABLE, usage_limit, 1, INT64_C(1000000000), NULL),
    F("active", SOUK_JSON_BOOL, 0, active, 0, 0, NULL),
};
static const souk_json_field coupon_update_fields[] = {
    F("expires_at", SOUK_JSON_STRING, SOUK_JSON_NULLABLE, expires_at, 1, 40, time_check),
    F("usage_limit", SOUK_JSON_INT, SOUK_JSON_NULLABLE, usage_limit, 1, INT64_C(1000000000), NULL),
    F("active", SOUK_JSON_BOOL, 0, active, 0, 0, NULL),
};
static const souk_json_spec tax_spec = SPEC(tax_fields), shipping_create_spec = SPEC(shipping_create_fields),
                            shipping_update_spec = SPEC(shipping_update_fields),
                            coupon_create_spec = SPEC(coupon_create_fields),
                            coupon_update_spec = SPEC(coupon_update_fields);

static json_t *time_or_null(souk_stmt *st, int col)
{
    char buf[SOUK_RFC3339_LEN];
    return souk_stmt_is_null(st, col) ? json_null() : json_string(souk_time_format(souk_stmt_i64(st, col), buf));
}

static json_t *int_or_null(souk_stmt *st, int col)
{
    return souk_stmt_is_null(st, col) ? json_null() : json_integer(souk_stmt_i64(st, col));
}

/* ---- tax rates ---- */

static const char *region_param(souk_req *req, souk_res *res)
{
    const char *r = req->params[0];
    size_t n = strlen(r);
    bool ok = n >= 2 && n <= 6 && isupper((unsigned char)r[0]) && isupper((unsigned char)r[1]) && (n == 2 || r[2] == '-');
    for (size_t i = 3; ok && i < n; i++)
        ok = isupper((unsigned char)r[i]) || isdigit((unsigned char)r[i]);
    if (!ok) {
        souk_problems_add(&res->problems, req->arena, "region", "must be a country code such as GB or US-CA");
        souk_res_invalid(res);
        return NULL;
    }
    return r;
}

int souk_pricing_api_tax_list(souk_req *req, souk_res *res)
{
    souk_stmt *st = souk_store_stmt(req->store, "SELECT region, name, rate_bp, prices_include_tax, updated_at FROM tax_rates "
                                                "ORDER BY region");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    json_t *arr = json_array();
    char t[SOUK_RFC3339_LEN];
    while (souk_stmt_step(st) == SOUK_DB_ROW)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:b,s:s}", "region", souk_stmt_text(st, 0, NULL), "name",
                                             souk_stmt_text(st, 1, NULL), "rate_bp", (json_int_t)souk_stmt_i64(st, 2),
                                             "prices_include_tax", souk_stmt_i64(st, 3) != 0, "updated_at",
                                             souk_time_format(souk_stmt_i64(st, 4), t)));
    return souk_res_json(res, 200, json_pack("{s:o}", "data", arr));
}

int souk_pricing_api_tax_put(souk_req *req, souk_res *res)
{
    pricing_in in;
    const char *region = region_param(req, res);
    if (!region || souk_req_decode(req, res, &tax_spec, &in))
        return res->err;
    souk_stmt *st = souk_store_stmt(req->store, "INSERT INTO tax_rates (region, name, rate_bp, prices_include_tax, updated_at) "
                                                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (region) DO UPDATE SET "
                                                "name = excluded.name, rate_bp = excluded.rate_bp, "
                                                "prices_include_tax = excluded.prices_include_tax, updated_at = excluded.updated_at");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_text(st, 1, region, SIZE_MAX);
    souk_stmt_bind_text(st, 2, in.name ? in.name : "", SIZE_MAX);
    souk_stmt_bind_i64(st, 3, in.rate_bp);
    souk_stmt_bind_i64(st, 4, in.prices_include_tax);
    souk_stmt_bind_i64(st, 5, souk_time_now_us());
    if (souk_stmt_exec(st) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_res_audit(res, "tax_rate", region);
    return souk_pricing_api_tax_list(req, res);
}

int souk_pricing_api_tax_delete(souk_req *req, souk_res *res)
{
    const char *region = region_param(req, res);
    if (!region)
        return res->err;
    souk_stmt *st = souk_store_stmt(req->store, "DELETE FROM tax_rates WHERE region = $1");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_text(st, 1, region, SIZE_MAX);
    if (souk_stmt_exec(st) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (souk_store_changes(req->store) == 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No tax rate for that region.");
    res->status = 204;
    return 0;
}

/* ---- shipping methods ---- */

static json_t *shipping_rows(souk_store *db, bool only_active, int64_t only_id)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT id, code, name, currency, amount, free_above, active, created_at, updated_at "
                                        "FROM shipping_methods WHERE ($1 = 0 OR active = 1) AND ($2 = 0 OR id = $2) "
                                        "ORDER BY amount, code");
    if (!st)
        return NULL;
    souk_stmt_bind_i64(st, 1, only_active);
    souk_stmt_bind_i64(st, 2, only_id);
    json_t *arr = json_array();
    char id[SOUK_ID_TEXT_MAX], c[SOUK_RFC3339_LEN], u[SOUK_RFC3339_LEN];
    while (souk_stmt_step(st) == SOUK_DB_ROW) {
        const char *cur = souk_stmt_text(st, 3, NULL);
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:{s:I,s:s},s:o,s:b,s:s,s:s}", "id", souk_id_format("ship", souk_stmt_i64(st, 0), id),
                           "code", souk_stmt_text(st, 1, NULL), "name", souk_stmt_text(st, 2, NULL), "price", "amount",
                           (json_int_t)souk_stmt_i64(st, 4), "currency", cur, "free_above",
                           souk_stmt_is_null(st, 5) ? json_null()
                                                    : json_pack("{s:I,s:s}", "amount", (json_int_t)souk_stmt_i64(st, 5),
                                                                "currency", cur),
                           "active", souk_stmt_i64(st, 6) != 0, "created_at", souk_time_format(souk_stmt_i64(st, 7), c),
                           "updated_at", souk_time_format(souk_stmt_i64(st, 8), u)));
    }
    return arr;
}

static int send_rows(souk_res *res, json_t *arr, int status, bool single)
{
    if (!arr)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (!single)
        return souk_res_json(res, status, json_pack("{s:o}", "data", arr));
    if (json_array_size(arr) != 1) {
        json_decref(arr);
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such object.");
    }
    json_t *one = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    return souk_res_json(res, status, one);
}

int souk_pricing_api_shipping_public(souk_req *req, souk_res *res)
{
    return send_rows(res, shipping_rows(req->store, true, 0), 200, false);
}

int souk_pricing_api_shipping_list(souk_req *req, souk_res *res)
{
    return send_rows(res, shipping_rows(req->store, false, 0), 200, false);
}

static int code_taken(souk_req *req, souk_res *res, const char *sql, const char *code, int64_t except)
{
    souk_stmt *st = souk_store_stmt(req->store, sql);
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_text(st, 1, code, SIZE_MAX);
    souk_stmt_bind_i64(st, 2, except);
    int r = souk_stmt_step(st);
    if (r == SOUK_DB_ROW) {
        souk_stmt_done(st);
        souk_problems_add(&res->problems, req->arena, "code", "is already used");
        return souk_res_error(res, SOUK_E_CONFLICT, NULL);
    }
    return r < 0 ? souk_res_error(res, SOUK_E_INTERNAL, NULL) : 0;
}

int souk_pricing_api_shipping_create(souk_req *req, souk_res *res)
{
    pricing_in in;
    if (souk_req_decode(req, res, &shipping_create_spec, &in) ||
        code_taken(req, res, "SELECT 1 FROM shipping_methods WHERE code = $1 AND id <> $2", in.code, 0))
        return res->err;
    int64_t id = souk_id_next(), now = souk_time_now_us();
    souk_stmt *st = souk_store_stmt(req->store, "INSERT INTO shipping_methods (id, code, name, currency, amount, free_above, "
                                                "active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_text(st, 2, in.code, SIZE_MAX);
    souk_stmt_bind_text(st, 3, in.name, SIZE_MAX);
    souk_stmt_bind_text(st, 4, in.currency, 3);
    souk_stmt_bind_i64(st, 5, in.amount);
    if (souk_json_present(&shipping_create_spec, &in, SH_FREE_ABOVE) && !souk_json_is_null(&shipping_create_spec, &in, SH_FREE_ABOVE))
        souk_stmt_bind_i64(st, 6, in.free_above);
    else
        souk_stmt_bind_null(st, 6);
    souk_stmt_bind_i64(st, 7, souk_json_present(&shipping_create_spec, &in, SH_ACTIVE) ? in.active : 1);
    souk_stmt_bind_i64(st, 8, now);
    if (souk_stmt_exec(st) < 0 || souk_store_touch(req->store, SOUK_CONTENT) < 0) /* the public list is cached */
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    char buf[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "shipping_method", souk_arena_strdup(req->arena, souk_id_format("ship", id, buf)));
    return send_rows(res, shipping_rows(req->store, false, id), 201, true);
}

int souk_pricing_api_shipping_update(souk_req *req, souk_res *res)
{
    int64_t id;
    pricing_in in;
    const souk_json_spec *spec = &shipping_update_spec;
    if (souk_id_parse("ship", req->params[0], strlen(req->params[0]), &id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such shipping method.");
    if (souk_req_decode(req, res, spec, &in) ||
        (in.code && code_taken(req, res, "SELECT 1 FROM shipping_methods WHERE code = $1 AND id <> $2", in.code, id)))
        return res->err;
    souk_stmt *st = souk_store_stmt(
        req->store, "UPDATE shipping_methods SET code = coalesce($2, code), name = coalesce($3, name), "
                    "currency = coalesce($4, currency), amount = CASE WHEN $5 THEN $6 ELSE amount END, "
                    "free_above = CASE WHEN $7 THEN $8 ELSE free_above END, active = CASE WHEN $9 THEN $10 ELSE active END, "
                    "updated_at = $11 WHERE id = $1");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_i64(st, 1, id);
    if (in.code) souk_stmt_bind_text(st, 2, in.code, SIZE_MAX); else souk_stmt_bind_null(st, 2);
    if (in.name) souk_stmt_bind_text(st, 3, in.name, SIZE_MAX); else souk_stmt_bind_null(st, 3);
    if (in.currency) souk_stmt_bind_text(st, 4, in.currency, 3); else souk_stmt_bind_null(st, 4);
    souk_stmt_bind_i64(st, 5, souk_json_present(spec, &in, SH_AMOUNT));
    souk_stmt_bind_i64(st, 6, in.amount);
    bool set_free = souk_json_present(spec, &in, SH_FREE_ABOVE);
    souk_stmt_bind_i64(st, 7, set_free);
    if (set_free && !souk_json_is_null(spec, &in, SH_FREE_ABOVE))
        souk_stmt_bind_i64(st, 8, in.free_above);
    else
        souk_stmt_bind_null(st, 8);
    souk_stmt_bind_i64(st, 9, souk_json_present(spec, &in, SH_ACTIVE));
    souk_stmt_bind_i64(st, 10, in.active);
    souk_stmt_bind_i64(st, 11, souk_time_now_us());
    if (souk_stmt_exec(st) < 0 || souk_store_touch(req->store, SOUK_CONTENT) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_res_audit(res, "shipping_method", req->params[0]);
    return send_rows(res, shipping_rows(req->store, false, id), 200, true);
}

/* ---- coupons ---- */

static json_t *coupon_rows(souk_store *db, int64_t only_id)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT id, code, kind, value, currency, min_subtotal, starts_at, expires_at, "
                                        "usage_limit, used_count, active, created_at, updated_at FROM coupons "
                                        "WHERE $1 = 0 OR id = $1 ORDER BY code");
    if (!st)
        return NULL;
    souk_stmt_bind_i64(st, 1, only_id);
    json_t *arr = json_array();
    char id[SOUK_ID_TEXT_MAX], c[SOUK_RFC3339_LEN], u[SOUK_RFC3339_LEN];
    while (souk_stmt_step(st) == SOUK_DB_ROW)
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:I,s:o,s:I,s:o,s:o,s:o,s:I,s:b,s:s,s:s}", "id",
                           souk_id_format("cpn", souk_stmt_i64(st, 0), id), "code", souk_stmt_text(st, 1, NULL), "kind",
                           souk_stmt_text(st, 2, NULL), "value", (json_int_t)souk_stmt_i64(st, 3), "currency",
                           souk_stmt_is_null(st, 4) ? json_null() : json_string(souk_stmt_text(st, 4, NULL)),
                           "min_subtotal", (json_int_t)souk_stmt_i64(st, 5), "starts_at", time_or_null(st, 6),
                           "expires_at", time_or_null(st, 7), "usage_limit", int_or_null(st, 8), "used_count",
                           (json_int_t)souk_stmt_i64(st, 9), "active", souk_stmt_i64(st, 10) != 0, "created_at",
                           souk_time_format(souk_stmt_i64(st, 11), c), "updated_at", souk_time_format(souk_stmt_i64(st, 12), u)));
    return arr;
}

int souk_pricing_api_coupon_list(souk_req *req, souk_res *res)
{
    return send_rows(res, coupon_rows(req->store, 0), 200, false);
}

static int64_t when(const char *text)
{
    int64_t t = 0;
    souk_time_parse(text, strlen(text), &t);
    return t;
}

int souk_pricing_api_coupon_create(souk_req *req, souk_res *res)
{
    pricing_in in;
    const souk_json_spec *spec = &coupon_create_spec;
    if (souk_req_decode(req, res, spec, &in))
        return res->err;
    char code[40];
    snprintf(code, sizeof code, "%s", in.code);
    for (char *p = code; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    bool fixed = strcmp(in.kind, "fixed") == 0;
    if (fixed && !in.currency)
        souk_problems_add(&res->problems, req->arena, "currency", "fixed coupons need a currency");
    if (!fixed && in.currency)
        souk_problems_add(&res->problems, req->arena, "currency", "percent coupons have no currency");
    if (!fixed && in.value > 10000)
        souk_problems_add(&res->problems, req->arena, "value", "percent coupons take 1-10000 basis points");
    if (in.starts_at && in.expires_at && when(in.starts_at) >= when(in.expires_at))
        souk_problems_add(&res->problems, req->arena, "expires_at", "must be after starts_at");
    if (res->problems.count)
        return souk_res_invalid(res);
    if (code_taken(req, res, "SELECT 1 FROM coupons WHERE code = $1 AND id <> $2", code, 0))
        return res->err;
    int64_t id = souk_id_next(), now = souk_time_now_us();
    souk_stmt *st = souk_store_stmt(req->store, "INSERT INTO coupons (id, code, kind, value, currency, min_subtotal, "
                                                "starts_at, expires_at, usage_limit, active, created_at, updated_at) "
                                                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_text(st, 2, code, SIZE_MAX);
    souk_stmt_bind_text(st, 3, in.kind, SIZE_MAX);
    souk_stmt_bind_i64(st, 4, in.value);
    if (in.currency) souk_stmt_bind_text(st, 5, in.currency, 3); else souk_stmt_bind_null(st, 5);
    souk_stmt_bind_i64(st, 6, in.min_subtotal);
    if (in.starts_at) souk_stmt_bind_i64(st, 7, when(in.starts_at)); else souk_stmt_bind_null(st, 7);
    if (in.expires_at) souk_stmt_bind_i64(st, 8, when(in.expires_at)); else souk_stmt_bind_null(st, 8);
    if (souk_json_present(spec, &in, CP_LIMIT) && !souk_json_is_null(spec, &in, CP_LIMIT))
        souk_stmt_bind_i64(st, 9, in.usage_limit);
    else
        souk_stmt_bind_null(st, 9);
    souk_stmt_bind_i64(st, 10, souk_json_present(spec, &in, CP_ACTIVE) ? in.active : 1);
    souk_stmt_bind_i64(st, 11, now);
    if (souk_stmt_exec(st) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    char buf[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "coupon", souk_arena_strdup(req->arena, souk_id_format("cpn", id, buf)));
    return send_rows(res, coupon_rows(req->store, id), 201, true);
}

int souk_pricing_api_coupon_update(souk_req *req, souk_res *res)
{
    int64_t id;
    pricing_in in;
    const souk_json_spec *spec = &coupon_update_spec;
    if (souk_id_parse("cpn", req->params[0], strlen(req->params[0]), &id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such coupon.");
    if (souk_req_decode(req, res, spec, &in))
        return res->err;
    souk_stmt *st = souk_store_stmt(req->store, "UPDATE coupons SET expires_at = CASE WHEN $2 THEN $3 ELSE expires_at END, "
                                                "usage_limit = CASE WHEN $4 THEN $5 ELSE usage_limit END, "
                                                "active = CASE WHEN $6 THEN $7 ELSE active END, updated_at = $8 WHERE id = $1");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_i64(st, 1, id);
    bool set_exp = souk_json_present(spec, &in, 0), set_limit = souk_json_present(spec, &in, 1);
    souk_stmt_bind_i64(st, 2, set_exp);
    if (set_exp && in.expires_at) souk_stmt_bind_i64(st, 3, when(in.expires_at)); else souk_stmt_bind_null(st, 3);
    souk_stmt_bind_i64(st, 4, set_limit);
    if (set_limit && !souk_json_is_null(spec, &in, 1)) souk_stmt_bind_i64(st, 5, in.usage_limit); else souk_stmt_bind_null(st, 5);
    souk_stmt_bind_i64(st, 6, souk_json_present(spec, &in, 2));
    souk_stmt_bind_i64(st, 7, in.active);
    souk_stmt_bind_i64(st, 8, souk_time_now_us());
    if (souk_stmt_exec(st) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_res_audit(res, "coupon", req->params[0]);
    return send_rows(res, coupon_rows(req->store, id), 200, true);
}
