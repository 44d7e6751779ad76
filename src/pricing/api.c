/*
 * api.c — the admin HTTP handlers of dynamic pricing: the suggestions with
 * their reasons, a recompute on demand, the bounds per product, and the
 * decisions (decide.c). Decisions write their own audit entries with the
 * amounts; the server's entry for the request is written as for any write.
 */
#include "pricing/api.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/json.h"
#include "core/money.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "pricing/pricing.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

#define LIST_MAX 500

static const char *const statuses[] = {"pending",     "approved",   "applied", "rejected",
                                       "rolled_back", "superseded", "failed",  NULL};
static const char *const reason_codes[] = {
    "overstock",  "low_stock", "no_demand", "no_forecast",  "demand_rising",    "demand_falling",       "balanced",
    "max_change", "max_price", "min_price", "out_of_stock", "elasticity_prior", "elasticity_estimated", NULL};

typedef struct list_in {
    int status, reason;
    int64_t product, limit;
    const char *currency;
    uint64_t present;
} list_in;

static const souk_query_field list_fields[] = {
    SOUK_QUERY_F_ENUM("status", list_in, status, statuses),
    SOUK_QUERY_F_ENUM("reason", list_in, reason, reason_codes),
    SOUK_QUERY_F_ID("product", list_in, product, SOUK_PREFIX_PRODUCT),
    SOUK_QUERY_F_TEXT("currency", list_in, currency, 3, 3, .message = "must be an ISO 4217 currency code"),
    SOUK_QUERY_F_INT("limit", list_in, limit, 1, LIST_MAX),
};
static const souk_query_spec list_spec = SOUK_QUERY_SPEC(list_in, list_fields);

#define SELECT_SUGG                                                                                                    \
    "SELECT s.id, s.variant_id, s.product_id, s.currency, s.current_amount, s.suggested_amount, s.status, s.reasons, " \
    "s.basis, s.computed_at, s.decided_at, s.apply_at, s.applied_at, s.previous_amount, s.rolled_back_at, s.note, "    \
    "c.sku, c.product_title, c.amount FROM pricing_suggestions s LEFT JOIN pricing_catalog_prices c "                  \
    "ON c.variant_id = s.variant_id AND c.currency = s.currency "

static json_t *parsed(souk_stmt *st, int col)
{
    const char *t = souk_stmt_text(st, col, NULL);
    json_t *j = t ? json_loads(t, 0, NULL) : NULL;
    return j ? j : json_null();
}

static json_t *time_or_null(souk_stmt *st, int col)
{
    return souk_stmt_is_null(st, col) ? json_null() : souk_row_time(st, col);
}

static json_t *sugg_row(souk_stmt *st, void *arg)
{
    (void)arg;
    int64_t cur = souk_stmt_i64(st, 4), sug = souk_stmt_i64(st, 5);
    double pct = cur > 0 ? (double)(sug - cur) * 100.0 / (double)cur : 0;
    return json_pack(
        "{s:o,s:o,s:o,s:o,s:o,s:s?,s:I,s:I,s:f,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
        souk_row_id(st, 0, SOUK_PREFIX_PRICE_SUGGESTION), "variant", souk_row_id(st, 1, SOUK_PREFIX_VARIANT), "product",
        souk_row_id(st, 2, SOUK_PREFIX_PRODUCT), "sku", souk_row_text_or_null(st, 16), "product_title",
        souk_row_text_or_null(st, 17), "currency", souk_stmt_text(st, 3, NULL), "current_amount", (json_int_t)cur,
        "suggested_amount", (json_int_t)sug, "change_pct", (double)(int64_t)(pct * 100 + (pct < 0 ? -0.5 : 0.5)) / 100,
        "price_now", souk_row_int_or_null(st, 18), "status", souk_row_text(st, 6), "reasons", parsed(st, 7), "basis",
        parsed(st, 8), "computed_at", souk_row_time(st, 9), "decided_at", time_or_null(st, 10), "apply_at",
        time_or_null(st, 11), "applied_at", time_or_null(st, 12), "previous_amount", souk_row_int_or_null(st, 13),
        "rolled_back_at", time_or_null(st, 14), "note", souk_row_text_or_null(st, 15));
}

static json_t *one(souk_store *db, int64_t id)
{
    json_t *rows =
        souk_store_rows(souk_store_query(db, SELECT_SUGG "WHERE s.id = $1", SOUK_ARGS(SOUK_I64(id))), sugg_row, NULL);
    json_t *r = json_array_size(rows) == 1 ? json_incref(json_array_get(rows, 0)) : NULL;
    json_decref(rows);
    return r;
}

int souk_pricing_api_list(souk_req *req, souk_res *res)
{
    list_in in = {.limit = 100};
    if (souk_query_decode(&list_spec, &req->query, &in, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    bool has_status = in.present & (1u << 0), has_reason = in.present & (1u << 1);
    char like[64] = "";
    if (has_reason)
        snprintf(like, sizeof like, "%%\"code\":\"%s\"%%", reason_codes[in.reason]);
    json_t *rows = souk_store_rows(
        souk_store_query(req->store,
                         SELECT_SUGG "WHERE (($1 = '' AND s.status <> 'superseded') OR s.status = $1) AND "
                                     "($2 = 0 OR s.product_id = $2) AND ($3 = '' OR s.currency = $3) AND "
                                     "($4 = '' OR s.reasons LIKE $4) ORDER BY s.id DESC LIMIT $5",
                         SOUK_ARGS(SOUK_TEXT(has_status ? statuses[in.status] : ""), SOUK_I64(in.product),
                                   SOUK_TEXT(in.currency ? in.currency : ""), SOUK_TEXT(like), SOUK_I64(in.limit))),
        sugg_row, NULL);
    if (!rows)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    int64_t at = 0, pred = 0, variants = 0, n = 0;
    int r = souk_store_one(
        req->store, "SELECT computed_at, prediction_at, variants, suggestions FROM pricing_runs WHERE id = 1", NULL,
        SOUK_COLS(SOUK_COL_I64(&at), SOUK_COL_I64(&pred), SOUK_COL_I64(&variants), SOUK_COL_I64(&n)));
    if (r < 0) {
        json_decref(rows);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    char t1[40], t2[40];
    json_t *run = r == SOUK_DB_ROW
                      ? json_pack("{s:s,s:o,s:I,s:I}", "computed_at", souk_time_format(at, t1), "predictions_at",
                                  pred ? json_string(souk_time_format(pred, t2)) : json_null(), "variants",
                                  (json_int_t)variants, "suggestions", (json_int_t)n)
                      : json_null();
    return souk_res_json(res, 200, json_pack("{s:o,s:o}", "run", run, "data", rows));
}

int souk_pricing_api_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRICE_SUGGESTION, &id))
        return res->err;
    json_t *j = one(req->store, id);
    if (!j)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such price suggestion.");
    return souk_res_json(res, 200, j);
}

int souk_pricing_api_recompute(souk_req *req, souk_res *res)
{
    souk_pricing_run_stats st;
    if (souk_pricing_recompute(req->store, &st) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_res_audit(res, "price_suggestions", "recompute");
    return souk_res_json(res, 200,
                         json_pack("{s:I,s:I,s:I}", "variants", (json_int_t)st.variants, "suggestions",
                                   (json_int_t)st.suggestions, "kept", (json_int_t)st.kept));
}

/* ---- decisions ---- */

typedef struct decide_in {
    const char *apply_at, *note;
    uint64_t present, nulls;
} decide_in;

static const char *time_check(const char *s, size_t len)
{
    int64_t t;
    return souk_time_parse(s, len, &t) == 0 ? NULL : "must be an RFC 3339 time";
}

static const souk_json_field approve_fields[] = {
    SOUK_JSON_F_STRING("apply_at", 0, decide_in, apply_at, 1, 40, time_check),
    SOUK_JSON_F_STRING("note", 0, decide_in, note, 0, 500, NULL),
};
static const souk_json_field reject_fields[] = {
    SOUK_JSON_F_STRING("note", 0, decide_in, note, 0, 500, NULL),
};
static const souk_json_spec approve_spec = SOUK_JSON_SPEC(decide_in, approve_fields),
                            reject_spec = SOUK_JSON_SPEC(decide_in, reject_fields);

static souk_pricing_actor actor_of(const souk_req *req)
{
    bool key = req->principal.kind == SOUK_ACTOR_API_KEY;
    return (souk_pricing_actor){.type = key ? "api_key" : "user",
                                .id = key ? req->principal.key_id : req->principal.user_id,
                                .user_id = req->principal.user_id,
                                .request_id = req->request_id};
}

static int answer(souk_req *req, souk_res *res, int64_t id, souk_err e, const char *conflict)
{
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No such price suggestion.");
    if (e == SOUK_E_CONFLICT)
        return souk_res_error(res, e, conflict);
    if (e)
        return souk_res_error(res, e, NULL);
    souk_res_audit(res, "price_suggestion", req->params[0]);
    json_t *j = one(req->store, id);
    if (!j)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    return souk_res_json(res, 200, j);
}

int souk_pricing_api_approve(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRICE_SUGGESTION, &id))
        return res->err;
    decide_in in;
    if (souk_req_decode(req, res, &approve_spec, &in))
        return res->err;
    int64_t at = 0, now = souk_time_now_us();
    if (in.apply_at) {
        souk_time_parse(in.apply_at, strlen(in.apply_at), &at);
        if (at < now - INT64_C(60000000)) {
            souk_problems_add(&res->problems, req->arena, "apply_at", "must not be in the past");
            return souk_res_invalid(res);
        }
        if (at > now + INT64_C(366) * 86400 * 1000000) {
            souk_problems_add(&res->problems, req->arena, "apply_at", "must be within a year");
            return souk_res_invalid(res);
        }
    }
    souk_pricing_actor who = actor_of(req);
    souk_err e = souk_pricing_approve(req->store, id, at, in.note, &who);
    return answer(req, res, id, e,
                  "The suggestion is not pending, or the price changed since it was computed: recompute first.");
}

int souk_pricing_api_reject(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRICE_SUGGESTION, &id))
        return res->err;
    decide_in in;
    if (souk_req_decode(req, res, &reject_spec, &in))
        return res->err;
    souk_pricing_actor who = actor_of(req);
    return answer(req, res, id, souk_pricing_reject(req->store, id, in.note, &who),
                  "Only a pending or scheduled suggestion can be rejected.");
}

int souk_pricing_api_rollback(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRICE_SUGGESTION, &id))
        return res->err;
    souk_pricing_actor who = actor_of(req);
    return answer(req, res, id, souk_pricing_rollback(req->store, id, &who),
                  "Only an applied suggestion whose price has not changed since can be rolled back.");
}

/* ---- bounds ---- */

typedef struct bounds_in {
    const char *currency;
    int64_t min_amount, max_amount, max_change_pct;
    bool frozen;
    uint64_t present, nulls;
} bounds_in;

static const char *currency_check(const char *s, size_t len)
{
    return len == 3 && souk_currency_valid(s) ? NULL : "must be an ISO 4217 currency code such as EUR";
}

enum { B_CURRENCY, B_MIN, B_MAX, B_CHANGE, B_FROZEN };
static const souk_json_field bounds_fields[] = {
    [B_CURRENCY] = SOUK_JSON_F_STRING("currency", 0, bounds_in, currency, 3, 3, currency_check),
    [B_MIN] = SOUK_JSON_F_INT("min_amount", 0, bounds_in, min_amount, 0, INT64_C(1000000000000)),
    [B_MAX] = SOUK_JSON_F_INT("max_amount", 0, bounds_in, max_amount, 0, INT64_C(1000000000000)),
    [B_CHANGE] = SOUK_JSON_F_INT("max_change_pct", 0, bounds_in, max_change_pct, 1, 50),
    [B_FROZEN] = SOUK_JSON_F_BOOL("frozen", 0, bounds_in, frozen),
};
static const souk_json_spec bounds_spec = SOUK_JSON_SPEC(bounds_in, bounds_fields);

static json_t *bounds_row(souk_stmt *st, void *arg)
{
    (void)arg;
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:b,s:o}", "product", souk_row_id(st, 0, SOUK_PREFIX_PRODUCT), "currency",
                     souk_row_text_or_null(st, 1), "min_amount", souk_row_int_or_null(st, 2), "max_amount",
                     souk_row_int_or_null(st, 3), "max_change_pct",
                     souk_stmt_is_null(st, 4) ? json_real(SOUK_PRICING_DEFAULT_MAX_CHANGE_BP / 100.0)
                                              : json_real((double)souk_stmt_i64(st, 4) / 100.0),
                     "frozen", souk_stmt_i64(st, 5) != 0, "updated_at", souk_row_time(st, 6));
}

#define BOUNDS_LIST_MAX 10000 /* products with their own bounds in one answer */
#define BOUNDS_LIST_MAX_SQL "10000"

static json_t *bounds_rows(souk_store *db, int64_t product)
{
    return souk_store_rows(souk_store_query(db,
                                            "SELECT product_id, currency, min_amount, max_amount, max_change_bp, "
                                            "frozen, updated_at FROM pricing_bounds WHERE ($1 = 0 OR product_id = $1) "
                                            "ORDER BY product_id LIMIT " BOUNDS_LIST_MAX_SQL " + 1",
                                            SOUK_ARGS(SOUK_I64(product))),
                           bounds_row, NULL);
}

int souk_pricing_api_bounds_list(souk_req *req, souk_res *res)
{
    json_t *rows = bounds_rows(req->store, 0);
    if (!rows)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    bool truncated = json_array_size(rows) > BOUNDS_LIST_MAX; /* one more was read to tell */
    if (truncated)
        json_array_remove(rows, BOUNDS_LIST_MAX);
    return souk_res_json(res, 200,
                         json_pack("{s:{s:f,s:n,s:n},s:o,s:b}", "defaults", "max_change_pct",
                                   SOUK_PRICING_DEFAULT_MAX_CHANGE_BP / 100.0, "min_amount", "max_amount", "data", rows,
                                   "truncated", truncated));
}

int souk_pricing_api_bounds_put(souk_req *req, souk_res *res)
{
    int64_t product;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRODUCT, &product))
        return res->err;
    bounds_in in = {0};
    if (souk_req_decode(req, res, &bounds_spec, &in))
        return res->err;
    bool has_min = (in.present & (1u << B_MIN)) && !(in.nulls & (1u << B_MIN));
    bool has_max = (in.present & (1u << B_MAX)) && !(in.nulls & (1u << B_MAX));
    bool has_cur = in.currency && !(in.nulls & (1u << B_CURRENCY));
    if ((has_min || has_max) && !has_cur)
        souk_problems_add(&res->problems, req->arena, "currency", "is required with min_amount or max_amount");
    if (has_min && has_max && in.min_amount > in.max_amount)
        souk_problems_add(&res->problems, req->arena, "min_amount", "must not be above max_amount");
    if (res->problems.count)
        return souk_res_invalid(res);
    int64_t one_row = 0;
    int r = souk_store_one(req->store, "SELECT variant_id FROM pricing_catalog_prices WHERE product_id = $1 LIMIT 1",
                           SOUK_ARGS(SOUK_I64(product)), SOUK_COLS(SOUK_COL_I64(&one_row)));
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (r != SOUK_DB_ROW)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No active product with a price has this id.");
    bool has_change = (in.present & (1u << B_CHANGE)) && !(in.nulls & (1u << B_CHANGE));
    r = souk_store_exec(
        req->store,
        "INSERT INTO pricing_bounds (product_id, currency, min_amount, max_amount, max_change_bp, frozen, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (product_id) DO UPDATE SET "
        "currency = excluded.currency, min_amount = excluded.min_amount, max_amount = excluded.max_amount, "
        "max_change_bp = excluded.max_change_bp, frozen = excluded.frozen, updated_at = excluded.updated_at",
        SOUK_ARGS(SOUK_I64(product), has_cur ? SOUK_TEXTN(in.currency, 3) : SOUK_NULL,
                  has_min ? SOUK_I64(in.min_amount) : SOUK_NULL, has_max ? SOUK_I64(in.max_amount) : SOUK_NULL,
                  has_change ? SOUK_I64(in.max_change_pct * 100) : SOUK_NULL, SOUK_I64(in.frozen ? 1 : 0),
                  SOUK_I64(souk_time_now_us())));
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    souk_res_audit(res, "pricing_bounds", req->params[0]);
    json_t *rows = bounds_rows(req->store, product);
    json_t *j = json_array_size(rows) == 1 ? json_incref(json_array_get(rows, 0)) : NULL;
    json_decref(rows);
    if (!j)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    return souk_res_json(res, 200, j);
}

int souk_pricing_api_bounds_delete(souk_req *req, souk_res *res)
{
    int64_t product;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRODUCT, &product))
        return res->err;
    int64_t n =
        souk_store_update(req->store, "DELETE FROM pricing_bounds WHERE product_id = $1", SOUK_ARGS(SOUK_I64(product)));
    if (n < 0)
        return souk_res_error(res, souk_store_dberr((int)n), NULL);
    if (n == 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "This product has no bounds.");
    souk_res_audit(res, "pricing_bounds", req->params[0]);
    res->status = 204;
    return 0;
}
