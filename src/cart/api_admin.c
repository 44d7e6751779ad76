/*
 * api_admin.c — the store's pricing configuration, managed by admins
 * (permission pricing:manage): tax rates per region, shipping methods and
 * coupons; and the public list of active shipping methods. Carts read them
 * at every change (render.c).
 */
#include "cart/api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cart/cart.h"
#include "cart/internal.h"
#include "catalog/catalog.h"
#include "core/id.h"
#include "core/json.h"
#include "core/money.h"
#include "core/time.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

typedef struct pricing_in {
    const char *name, *code, *currency, *kind, *starts_at, *expires_at;
    int64_t rate_bp, amount, free_above, value, min_subtotal, usage_limit;
    bool prices_include_tax, active;
    uint64_t present, nulls;
} pricing_in;

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

#define USES_MAX INT64_C(1000000000)

static const souk_json_field tax_fields[] = {
    SOUK_JSON_F_STRING("name", 0, pricing_in, name, 0, 100, NULL),
    SOUK_JSON_F_INT("rate_bp", SOUK_JSON_REQUIRED, pricing_in, rate_bp, 0, 10000),
    SOUK_JSON_F_BOOL("prices_include_tax", 0, pricing_in, prices_include_tax),
};
enum { SH_CODE, SH_NAME, SH_CURRENCY, SH_AMOUNT, SH_FREE_ABOVE, SH_ACTIVE };
/* the fields of a shipping method, all required on create (REQ) */
#define SHIPPING_FIELDS(req)                                                                                           \
    SOUK_JSON_F_STRING("code", req, pricing_in, code, 2, 32, code_check),                                              \
        SOUK_JSON_F_STRING("name", req, pricing_in, name, 1, 100, NULL),                                               \
        SOUK_JSON_F_STRING("currency", req, pricing_in, currency, 3, 3, souk__cart_check_currency),                    \
        SOUK_JSON_F_INT("amount", req, pricing_in, amount, 0, SOUK_MONEY_MAX),                                         \
        SOUK_JSON_F_INT("free_above", SOUK_JSON_NULLABLE, pricing_in, free_above, 0, SOUK_MONEY_MAX),                  \
        SOUK_JSON_F_BOOL("active", 0, pricing_in, active)
static const souk_json_field shipping_create_fields[] = {SHIPPING_FIELDS(SOUK_JSON_REQUIRED)};
static const souk_json_field shipping_update_fields[] = {SHIPPING_FIELDS(0)};
enum { CP_CODE, CP_KIND, CP_VALUE, CP_CURRENCY, CP_MIN, CP_STARTS, CP_EXPIRES, CP_LIMIT, CP_ACTIVE };
static const souk_json_field coupon_create_fields[] = {
    SOUK_JSON_F_STRING("code", SOUK_JSON_REQUIRED, pricing_in, code, 2, 32, code_check),
    SOUK_JSON_F_STRING("kind", SOUK_JSON_REQUIRED, pricing_in, kind, 1, 16, kind_check),
    SOUK_JSON_F_INT("value", SOUK_JSON_REQUIRED, pricing_in, value, 1, SOUK_MONEY_MAX),
    SOUK_JSON_F_STRING("currency", 0, pricing_in, currency, 3, 3, souk__cart_check_currency),
    SOUK_JSON_F_INT("min_subtotal", 0, pricing_in, min_subtotal, 0, SOUK_MONEY_MAX),
    SOUK_JSON_F_STRING("starts_at", SOUK_JSON_NULLABLE, pricing_in, starts_at, 1, 40, time_check),
    SOUK_JSON_F_STRING("expires_at", SOUK_JSON_NULLABLE, pricing_in, expires_at, 1, 40, time_check),
    SOUK_JSON_F_INT("usage_limit", SOUK_JSON_NULLABLE, pricing_in, usage_limit, 1, USES_MAX),
    SOUK_JSON_F_BOOL("active", 0, pricing_in, active),
};
enum { CU_EXPIRES, CU_LIMIT, CU_ACTIVE };
static const souk_json_field coupon_update_fields[] = {
    SOUK_JSON_F_STRING("expires_at", SOUK_JSON_NULLABLE, pricing_in, expires_at, 1, 40, time_check),
    SOUK_JSON_F_INT("usage_limit", SOUK_JSON_NULLABLE, pricing_in, usage_limit, 1, USES_MAX),
    SOUK_JSON_F_BOOL("active", 0, pricing_in, active),
};
static const souk_json_spec tax_spec = SOUK_JSON_SPEC(pricing_in, tax_fields),
                            shipping_create_spec = SOUK_JSON_SPEC(pricing_in, shipping_create_fields),
                            shipping_update_spec = SOUK_JSON_SPEC(pricing_in, shipping_update_fields),
                            coupon_create_spec = SOUK_JSON_SPEC(pricing_in, coupon_create_fields),
                            coupon_update_spec = SOUK_JSON_SPEC(pricing_in, coupon_update_fields);

/* Field I of SPEC as decoded into IN: given, and not null. */
static bool given(const souk_json_spec *spec, const pricing_in *in, size_t i)
{
    return souk_json_present(spec, in, i) && !souk_json_is_null(spec, in, i);
}

/* ---- answers ---- */

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

/* Answers STATUS with object ID as ROWS renders it, after a write of R (a
 * souk_db_status) that changed it; the audit names it KIND NAME. */
static int answer_written(souk_req *req, souk_res *res, int r, const char *kind, const char *name, int64_t id,
                          json_t *(*rows)(souk_store *db, int64_t id), int status)
{
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    souk_res_audit(res, kind, name);
    return send_rows(res, rows(req->store, id), status, true);
}

/* "PREFIX_…" of a new object ID, for the audit (arena). */
static const char *new_name(souk_req *req, const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    return souk_arena_strdup(req->arena, souk_id_format(prefix, id, buf));
}

/* The object named by path parameter 0 (PREFIX) into *ID and the body
 * decoded by SPEC into IN; 0, or the error set on RES (MISSING: the 404's message). */
static int update_request(souk_req *req, souk_res *res, const char *prefix, const char *missing,
                          const souk_json_spec *spec, pricing_in *in, int64_t *id)
{
    if (souk_id_parse(prefix, req->params[0], strlen(req->params[0]), id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, missing);
    return souk_req_decode(req, res, spec, in);
}

/* A 409 set on RES when SQL ($1 the code, $2 the object to leave out) finds a row. */
static int code_taken(souk_req *req, souk_res *res, const char *sql, const char *code, int64_t except)
{
    int r = souk_store_one(req->store, sql, SOUK_ARGS(SOUK_TEXT(code), SOUK_I64(except)), NULL);
    if (r == SOUK_DB_ROW) {
        souk_problems_add(&res->problems, req->arena, "code", "is already used");
        return souk_res_error(res, SOUK_E_CONFLICT, NULL);
    }
    return r < 0 ? souk_res_error(res, souk_store_dberr(r), NULL) : 0;
}

/* ---- tax rates ---- */

static const char *region_param(souk_req *req, souk_res *res)
{
    const char *r = req->params[0];
    size_t n = strlen(r);
    bool ok =
        n >= 2 && n <= 6 && isupper((unsigned char)r[0]) && isupper((unsigned char)r[1]) && (n == 2 || r[2] == '-');
    for (size_t i = 3; ok && i < n; i++)
        ok = isupper((unsigned char)r[i]) || isdigit((unsigned char)r[i]);
    if (!ok) {
        souk_problems_add(&res->problems, req->arena, "region", "must be a country code such as GB or US-CA");
        souk_res_invalid(res);
        return NULL;
    }
    return r;
}

static json_t *tax_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    return json_pack("{s:o,s:o,s:I,s:b,s:o}", "region", souk_row_text(st, 0), "name", souk_row_text(st, 1), "rate_bp",
                     (json_int_t)souk_stmt_i64(st, 2), "prices_include_tax", souk_stmt_i64(st, 3) != 0, "updated_at",
                     souk_row_time(st, 4));
}

int souk_cart_api_admin_tax_list(souk_req *req, souk_res *res)
{
    souk_stmt *st = souk_store_query(req->store,
                                     "SELECT region, name, rate_bp, prices_include_tax, updated_at "
                                     "FROM tax_rates ORDER BY region",
                                     NULL);
    return send_rows(res, souk_store_rows(st, tax_row, NULL), 200, false);
}

int souk_cart_api_admin_tax_put(souk_req *req, souk_res *res)
{
    pricing_in in;
    const char *region = region_param(req, res);
    if (!region || souk_req_decode(req, res, &tax_spec, &in))
        return res->err;
    int r = souk_store_exec(req->store,
                            "INSERT INTO tax_rates (region, name, rate_bp, prices_include_tax, updated_at) "
                            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (region) DO UPDATE SET "
                            "name = excluded.name, rate_bp = excluded.rate_bp, "
                            "prices_include_tax = excluded.prices_include_tax, updated_at = excluded.updated_at",
                            SOUK_ARGS(SOUK_TEXT(region), SOUK_TEXT(in.name ? in.name : ""), SOUK_I64(in.rate_bp),
                                      SOUK_I64(in.prices_include_tax ? 1 : 0), SOUK_I64(souk_time_now_us())));
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    souk_res_audit(res, "tax_rate", region);
    return souk_cart_api_admin_tax_list(req, res);
}

int souk_cart_api_admin_tax_delete(souk_req *req, souk_res *res)
{
    const char *region = region_param(req, res);
    if (!region)
        return res->err;
    int64_t n = souk_store_update(req->store, "DELETE FROM tax_rates WHERE region = $1", SOUK_ARGS(SOUK_TEXT(region)));
    if (n < 0)
        return souk_res_error(res, souk_store_dberr((int)n), NULL);
    if (n == 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No tax rate for that region.");
    res->status = 204;
    return 0;
}

/* ---- shipping methods ---- */

static json_t *shipping_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    const char *cur = souk_stmt_text(st, 3, NULL);
    return json_pack("{s:o,s:o,s:o,s:{s:I,s:s},s:o,s:b,s:o,s:o}", "id", souk_row_id(st, 0, "ship"), "code",
                     souk_row_text(st, 1), "name", souk_row_text(st, 2), "price", "amount",
                     (json_int_t)souk_stmt_i64(st, 4), "currency", cur ? cur : "", "free_above",
                     souk_stmt_is_null(st, 5) ? json_null()
                                              : json_pack("{s:I,s:s}", "amount", (json_int_t)souk_stmt_i64(st, 5),
                                                          "currency", cur ? cur : ""),
                     "active", souk_stmt_i64(st, 6) != 0, "created_at", souk_row_time(st, 7), "updated_at",
                     souk_row_time(st, 8));
}

/* Shipping methods (ONLY_ACTIVE: the active ones; ONLY_ID ≠ 0: that one),
 * named in LOCALE where translated (i18n.h; NULL: the default locale). */
static json_t *shipping_rows_in(souk_store *db, bool only_active, int64_t only_id, const char *locale)
{
    if (locale)
        return souk_store_rows(
            souk_store_query(db,
                             "SELECT s.id, s.code, COALESCE(t.value, s.name), s.currency, s.amount, s.free_above, "
                             "s.active, s.created_at, s.updated_at FROM shipping_methods s LEFT JOIN i18n_translations "
                             "t ON t.kind = 'shipping_method' AND t.object_id = s.id AND t.locale = $3 AND "
                             "t.field = 'name' WHERE (NOT $1 OR s.active = 1) AND ($2 = 0 OR s.id = $2) "
                             "ORDER BY s.amount, s.code",
                             SOUK_ARGS(SOUK_BOOL(only_active), SOUK_I64(only_id), SOUK_TEXT(locale))),
            shipping_row, NULL);
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, code, name, currency, amount, free_above, active, created_at, "
                                     "updated_at FROM shipping_methods WHERE (NOT $1 OR active = 1) "
                                     "AND ($2 = 0 OR id = $2) ORDER BY amount, code",
                                     SOUK_ARGS(SOUK_BOOL(only_active), SOUK_I64(only_id)));
    return souk_store_rows(st, shipping_row, NULL);
}

static json_t *shipping_rows(souk_store *db, bool only_active, int64_t only_id)
{
    return shipping_rows_in(db, only_active, only_id, NULL);
}

static json_t *shipping_one(souk_store *db, int64_t id)
{
    return shipping_rows(db, false, id);
}

/* the active methods a connection read last, and the content version they were read at */
typedef struct shipping_memo {
    int64_t version;
    json_t *methods;
} shipping_memo;

static const char shipping_memo_key = 0;

static void shipping_memo_free(void *p)
{
    shipping_memo *m = p;
    json_decref(m->methods);
    free(m);
}

json_t *souk_cart_shipping_active(souk_store *db)
{
    /* every shipping method write touches the content version: read at the same snapshot, an
       equal version means the same list (a storefront cart page asks for it on every view) */
    int64_t version = souk_store_version(db, SOUK_CONTENT);
    shipping_memo *m = version < 0 ? NULL : souk_store_memo(db, &shipping_memo_key);
    if (m && m->version == version)
        return json_incref(m->methods);
    json_t *methods = shipping_rows(db, true, 0);
    if (!methods || version < 0)
        return methods;
    if (m) {
        json_decref(m->methods);
        *m = (shipping_memo){version, json_incref(methods)};
    } else if ((m = malloc(sizeof *m))) {
        *m = (shipping_memo){version, json_incref(methods)};
        if (souk_store_memo_set(db, &shipping_memo_key, m, shipping_memo_free) < 0)
            shipping_memo_free(m);
    }
    return methods;
}

int souk_cart_api_admin_shipping_public(souk_req *req, souk_res *res)
{
    return send_rows(res, shipping_rows_in(req->store, true, 0, souk_req_translation(req)), 200, false);
}

int souk_cart_api_admin_shipping_list(souk_req *req, souk_res *res)
{
    return send_rows(res, shipping_rows(req->store, false, 0), 200, false);
}

#define SHIPPING_CODE_TAKEN "SELECT 1 FROM shipping_methods WHERE code = $1 AND id <> $2"

int souk_cart_api_admin_shipping_create(souk_req *req, souk_res *res)
{
    pricing_in in;
    const souk_json_spec *spec = &shipping_create_spec;
    if (souk_req_decode(req, res, spec, &in) || code_taken(req, res, SHIPPING_CODE_TAKEN, in.code, 0))
        return res->err;
    int64_t id = souk_id_next(), now = souk_time_now_us();
    int r = souk_store_exec(
        req->store,
        "INSERT INTO shipping_methods (id, code, name, currency, amount, free_above, "
        "active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(in.code), SOUK_TEXT(in.name), SOUK_TEXT(in.currency), SOUK_I64(in.amount),
                  given(spec, &in, SH_FREE_ABOVE) ? SOUK_I64(in.free_above) : SOUK_NULL,
                  SOUK_I64(!souk_json_present(spec, &in, SH_ACTIVE) || in.active ? 1 : 0), SOUK_I64(now)));
    if (r >= 0)
        r = souk_store_touch(req->store, SOUK_CONTENT); /* the public list is cached */
    return answer_written(req, res, r, "shipping_method", new_name(req, "ship", id), id, shipping_one, 201);
}

int souk_cart_api_admin_shipping_update(souk_req *req, souk_res *res)
{
    int64_t id;
    pricing_in in;
    const souk_json_spec *spec = &shipping_update_spec;
    if (update_request(req, res, "ship", "No such shipping method.", spec, &in, &id) ||
        (in.code && code_taken(req, res, SHIPPING_CODE_TAKEN, in.code, id)))
        return res->err;
    int r = souk_store_exec(
        req->store,
        "UPDATE shipping_methods SET code = coalesce($2, code), name = coalesce($3, name), "
        "currency = coalesce($4, currency), amount = CASE WHEN $5 THEN $6 ELSE amount END, "
        "free_above = CASE WHEN $7 THEN $8 ELSE free_above END, active = CASE WHEN $9 THEN $10 ELSE active END, "
        "updated_at = $11 WHERE id = $1",
        SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(in.code), SOUK_TEXT(in.name), SOUK_TEXT(in.currency),
                  SOUK_BOOL(souk_json_present(spec, &in, SH_AMOUNT)), SOUK_I64(in.amount),
                  SOUK_BOOL(souk_json_present(spec, &in, SH_FREE_ABOVE)),
                  given(spec, &in, SH_FREE_ABOVE) ? SOUK_I64(in.free_above) : SOUK_NULL,
                  SOUK_BOOL(souk_json_present(spec, &in, SH_ACTIVE)), SOUK_I64(in.active ? 1 : 0),
                  SOUK_I64(souk_time_now_us())));
    if (r >= 0)
        r = souk_store_touch(req->store, SOUK_CONTENT);
    return answer_written(req, res, r, "shipping_method", req->params[0], id, shipping_one, 200);
}

/* ---- coupons ---- */

static json_t *coupon_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    return json_pack("{s:o,s:o,s:o,s:I,s:o,s:I,s:o,s:o,s:o,s:I,s:b,s:o,s:o}", "id", souk_row_id(st, 0, "cpn"), "code",
                     souk_row_text(st, 1), "kind", souk_row_text(st, 2), "value", (json_int_t)souk_stmt_i64(st, 3),
                     "currency", souk_row_text_or_null(st, 4), "min_subtotal", (json_int_t)souk_stmt_i64(st, 5),
                     "starts_at", souk_row_time(st, 6), "expires_at", souk_row_time(st, 7), "usage_limit",
                     souk_row_int_or_null(st, 8), "used_count", (json_int_t)souk_stmt_i64(st, 9), "active",
                     souk_stmt_i64(st, 10) != 0, "created_at", souk_row_time(st, 11), "updated_at",
                     souk_row_time(st, 12));
}

/* Coupons (ONLY_ID ≠ 0: that one), by code. */
static json_t *coupon_rows(souk_store *db, int64_t only_id)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, code, kind, value, currency, min_subtotal, starts_at, expires_at, "
                                     "usage_limit, used_count, active, created_at, updated_at FROM coupons "
                                     "WHERE $1 = 0 OR id = $1 ORDER BY code",
                                     SOUK_ARGS(SOUK_I64(only_id)));
    return souk_store_rows(st, coupon_row, NULL);
}

int souk_cart_api_admin_coupon_list(souk_req *req, souk_res *res)
{
    return send_rows(res, coupon_rows(req->store, 0), 200, false);
}

static int64_t when(const char *text)
{
    int64_t t = 0;
    souk_time_parse(text, strlen(text), &t);
    return t;
}

static souk_param time_or_null(const char *text)
{
    return text ? SOUK_I64(when(text)) : SOUK_NULL;
}

int souk_cart_api_admin_coupon_create(souk_req *req, souk_res *res)
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
    int r = souk_store_exec(
        req->store,
        "INSERT INTO coupons (id, code, kind, value, currency, min_subtotal, "
        "starts_at, expires_at, usage_limit, active, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(code), SOUK_TEXT(in.kind), SOUK_I64(in.value), SOUK_TEXT(in.currency),
                  SOUK_I64(in.min_subtotal), time_or_null(in.starts_at), time_or_null(in.expires_at),
                  given(spec, &in, CP_LIMIT) ? SOUK_I64(in.usage_limit) : SOUK_NULL,
                  SOUK_I64(!souk_json_present(spec, &in, CP_ACTIVE) || in.active ? 1 : 0), SOUK_I64(now)));
    return answer_written(req, res, r, "coupon", new_name(req, "cpn", id), id, coupon_rows, 201);
}

int souk_cart_api_admin_coupon_update(souk_req *req, souk_res *res)
{
    int64_t id;
    pricing_in in;
    const souk_json_spec *spec = &coupon_update_spec;
    if (update_request(req, res, "cpn", "No such coupon.", spec, &in, &id))
        return res->err;
    bool set_exp = souk_json_present(spec, &in, CU_EXPIRES);
    int r = souk_store_exec(req->store,
                            "UPDATE coupons SET expires_at = CASE WHEN $2 THEN $3 ELSE expires_at END, "
                            "usage_limit = CASE WHEN $4 THEN $5 ELSE usage_limit END, "
                            "active = CASE WHEN $6 THEN $7 ELSE active END, updated_at = $8 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(id), SOUK_BOOL(set_exp), time_or_null(set_exp ? in.expires_at : NULL),
                                      SOUK_BOOL(souk_json_present(spec, &in, CU_LIMIT)),
                                      given(spec, &in, CU_LIMIT) ? SOUK_I64(in.usage_limit) : SOUK_NULL,
                                      SOUK_BOOL(souk_json_present(spec, &in, CU_ACTIVE)), SOUK_I64(in.active ? 1 : 0),
                                      SOUK_I64(souk_time_now_us())));
    return answer_written(req, res, r, "coupon", req->params[0], id, coupon_rows, 200);
}
