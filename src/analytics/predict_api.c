/*
 * predict_api.c — the stored predictions over HTTP: forecasts, reorder
 * suggestions (computed from the stored stock forecasts with the settings
 * or the query's lead time and service level: arithmetic only) and
 * anomalies. Nothing is fitted here: a missing or stale stored run queues
 * the analytics.predict job and the answer says so.
 */
#include "analytics/api.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analytics/analytics.h"
#include "core/grow.h"
#include "core/id.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "forecast/forecast.h"
#include "jobs/jobs.h"
#include "core/banned.h"

typedef struct params {
    int scope, granularity, format, metric;
    const char *id, *from, *to;
    int64_t horizon, lead_time, review, warehouse, limit, offset;
    double service;
    uint64_t present;
} params;

static const char *const scopes[] = {"store", "vendor", "category", "product", NULL};
static const char *const scope_prefix[] = {"", "vend", "cat", "prod"};
static const char *const grans[] = {"day", "week", NULL};
static const char *const formats[] = {"json", "csv", NULL};
static const char *const metrics[] = {"revenue", "orders", "visitors", NULL};

static const char *parse_service(const char *v, size_t len, void *dst, souk_arena *a)
{
    (void)a;
    char buf[16];
    if (len == 0 || len >= sizeof buf)
        return "must be a number from 0.5 to 0.999";
    memcpy(buf, v, len);
    buf[len] = '\0';
    char *end;
    double x = strtod(buf, &end);
    if (*end || !(x >= 0.5 && x <= 0.999))
        return "must be a number from 0.5 to 0.999";
    *(double *)dst = x;
    return NULL;
}

enum {
    P_SCOPE,
    P_ID,
    P_GRAN,
    P_HORIZON,
    P_FORMAT,
    P_LEAD,
    P_SERVICE,
    P_REVIEW,
    P_WH,
    P_LIMIT,
    P_OFFSET,
    P_FROM,
    P_TO,
    P_METRIC
};
static const souk_query_field fields[] = {
    [P_SCOPE] = SOUK_QUERY_F_ENUM("scope", params, scope, scopes),
    [P_ID] = SOUK_QUERY_F_TEXT("id", params, id, 1, 40),
    [P_GRAN] = SOUK_QUERY_F_ENUM("granularity", params, granularity, grans),
    [P_HORIZON] = SOUK_QUERY_F_INT("horizon", params, horizon, 1, SOUK_ANALYTICS_FC_H_DAY),
    [P_FORMAT] = SOUK_QUERY_F_ENUM("format", params, format, formats),
    [P_LEAD] = SOUK_QUERY_F_INT("lead_time", params, lead_time, 1, 90),
    [P_SERVICE] = SOUK_QUERY_F_CUSTOM("service_level", params, service, parse_service),
    [P_REVIEW] = SOUK_QUERY_F_INT("review", params, review, 0, 30),
    [P_WH] = SOUK_QUERY_F_ID("warehouse", params, warehouse, "wh"),
    [P_LIMIT] = SOUK_QUERY_F_INT("limit", params, limit, 1, 10000),
    [P_OFFSET] = SOUK_QUERY_F_INT("offset", params, offset, 0, 10000000),
    [P_FROM] = SOUK_QUERY_F_CUSTOM("from", params, from, souk__analytics_api_parse_day),
    [P_TO] = SOUK_QUERY_F_CUSTOM("to", params, to, souk__analytics_api_parse_day),
    [P_METRIC] = SOUK_QUERY_F_ENUM("metric", params, metric, metrics),
};
static const souk_query_spec spec = SOUK_QUERY_SPEC(params, fields);

typedef enum { K_FORECASTS, K_REORDER, K_ANOMALIES } kind;
static const uint64_t allowed[] = {
    [K_FORECASTS] = 1u << P_SCOPE | 1u << P_ID | 1u << P_GRAN | 1u << P_HORIZON | 1u << P_FORMAT,
    [K_REORDER] =
        1u << P_LEAD | 1u << P_SERVICE | 1u << P_REVIEW | 1u << P_WH | 1u << P_LIMIT | 1u << P_OFFSET | 1u << P_FORMAT,
    [K_ANOMALIES] = 1u << P_FROM | 1u << P_TO | 1u << P_METRIC | 1u << P_FORMAT,
};

static int bad(souk_res *res)
{
    return souk_res_error(res, SOUK_E_BAD_REQUEST, "Some query parameters are not valid; details name them.");
}

static int decode(souk_req *req, souk_res *res, kind k, params *p)
{
    memset(p, 0, sizeof *p);
    p->limit = 100;
    return souk__analytics_api_decode(req, res, &spec, p, allowed[k]);
}

static bool wants_csv(souk_req *req, const params *p)
{
    return souk__analytics_api_wants_csv(req, p->present & (1u << P_FORMAT), p->format == 1);
}

static int enqueue_tx(souk_store *db, void *arg)
{
    (void)arg;
    int r = souk_analytics_predict_enqueue_tx(db, false);
    return r < 0 ? r : 0;
}

/* The stored run's head into J: when it was computed, its last day, and
 * whether it is stale — a missing or stale run queues the job (nothing
 * stored: computed_at null, no rows until the job has run). *YESTERDAY:
 * the last closed day. Returns 0, or the error answered (503 while the
 * facts are first built). */
static int run_head(souk_req *req, souk_res *res, json_t *j, int32_t *yesterday)
{
    int64_t at = 0;
    int32_t last = 0;
    int st = souk_analytics_predict_state(req->store, &at, &last);
    if (st < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    const souk_analytics_facts *f = souk_analytics_acquire();
    if (!f) {
        res->retry_after = "1";
        return souk_res_error(res, SOUK_E_UNAVAILABLE, "The analytics facts are still being built; try again soon.");
    }
    *yesterday = souk_analytics_tz_day(&f->tz, souk_time_now_us()) - 1;
    bool stale = st == 0 || souk_analytics_tz_day(&f->tz, at) <= *yesterday; /* computed before today */
    json_object_set_new(j, "timezone", json_string(f->tz.name));
    souk_analytics_release(f);
    /* queue the job (deduplicated by its key), at most once a minute from this process: while it
     * runs every request would otherwise write a transaction that changes nothing */
    static _Atomic int64_t queued_at;
    int64_t now = souk_time_mono_us(), was = atomic_load(&queued_at);
    if (stale && now - was > 60 * INT64_C(1000000) && atomic_compare_exchange_strong(&queued_at, &was, now)) {
        if (souk_store_tx(req->store, enqueue_tx, NULL) < 0) {
            atomic_store(&queued_at, 0);
            return souk_res_error(res, SOUK_E_INTERNAL, NULL);
        }
        souk_jobs_kick();
    }
    char ts[40], day[11], cur[8] = "";
    json_object_set_new(j, "computed_at", st ? json_string(souk_time_format(at, ts)) : json_null());
    json_object_set_new(j, "last_day", st ? json_string(souk_analytics_format_day(last, day)) : json_null());
    json_object_set_new(j, "stale", json_boolean(stale));
    if (st)
        souk_store_one(req->store, "SELECT currency FROM analytics_prediction_runs WHERE id = 1", NULL,
                       SOUK_COLS(SOUK_COL_STR(cur)));
    json_object_set_new(j, "currency", cur[0] ? json_string(cur) : json_null());
    return 0;
}

static int send(souk_res *res, json_t *j, bool csv)
{
    res->content_type = csv ? "text/csv; charset=utf-8" : "application/json";
    return souk__analytics_api_body(res, j, csv, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

/* ---- forecasts ---- */

static json_t *dayname(int32_t day)
{
    char b[11];
    return json_string(souk_analytics_format_day(day, b));
}

int souk_analytics_api_forecasts(souk_req *req, souk_res *res)
{
    params p;
    int rc = decode(req, res, K_FORECASTS, &p);
    if (rc)
        return rc;
    int64_t id = 0, vendor = 0;
    if (p.id) {
        if (p.scope == 0) {
            souk_problems_add(&res->problems, req->arena, "id", "is not a parameter of the store's forecast");
            return bad(res);
        }
        if (souk_id_parse(scope_prefix[p.scope], p.id, strlen(p.id), &id) < 0) {
            souk_problems_add(&res->problems, req->arena, "id", "must be a %s_… id", scope_prefix[p.scope]);
            return bad(res);
        }
    }
    int64_t hmax = p.granularity ? SOUK_ANALYTICS_FC_H_WEEK : SOUK_ANALYTICS_FC_H_DAY;
    int64_t h = p.present & (1u << P_HORIZON) ? p.horizon : p.granularity ? 8 : 28;
    if (h > hmax) {
        souk_problems_add(&res->problems, req->arena, "horizon", "must be at most %lld periods for this granularity",
                          (long long)hmax);
        return bad(res);
    }
    int scope = p.scope;
    if (!souk_req_can(req, "analytics:read")) { /* a vendor: their own slice */
        int64_t own = req->principal.vendor_id;
        if (!own)
            return souk_res_error(res, SOUK_E_FORBIDDEN, "Only a vendor's own numbers can be read with this account.");
        if (scope == 2)
            return souk_res_error(res, SOUK_E_FORBIDDEN, "Category forecasts cover every vendor: admins only.");
        if (scope == 1 && id && id != own)
            return souk_res_error(res, SOUK_E_FORBIDDEN, "A vendor can read only their own numbers.");
        if (scope <= 1) {
            scope = 1;
            id = own;
        } else {
            vendor = own;
        }
    }
    json_t *j = json_pack("{s:s,s:I}", "granularity", grans[p.granularity], "horizon", (json_int_t)h);
    if (!j)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    int32_t yesterday;
    rc = run_head(req, res, j, &yesterday);
    if (rc) {
        json_decref(j);
        return rc;
    }
    json_t *series = json_array(), *rows = json_array();
    json_object_set_new(j, "series", series);
    json_object_set_new(j, "rows", rows);
    souk_stmt *st = souk_store_query(
        req->store,
        "SELECT series_id, body FROM analytics_forecasts WHERE granularity = $1 AND "
        "scope = $2 AND ($3 = 0 OR series_id = $3) AND ($4 = 0 OR vendor_id = $4) "
        "ORDER BY series_id",
        SOUK_ARGS(SOUK_TEXT(grans[p.granularity]), SOUK_TEXT(scopes[scope]), SOUK_I64(id), SOUK_I64(vendor)));
    int64_t sid;
    char *body = NULL;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&sid), SOUK_COL_ARENA(&body, req->arena)))) == SOUK_DB_ROW) {
        json_t *b = json_loads(body, 0, NULL);
        if (!b)
            continue;
        char idt[40];
        json_t *sname = scope ? json_string(souk_id_format(scope_prefix[scope], sid, idt)) : json_null();
        int32_t last = (int32_t)json_integer_value(json_object_get(b, "last_period"));
        int32_t first = (int32_t)json_integer_value(json_object_get(b, "first_period"));
        const char *method = json_string_value(json_object_get(b, "method"));
        json_t *cur = json_object_get(b, "currency");
        const char *model = json_string_value(json_object_get(b, "model"));
        json_array_append_new(series,
                              json_pack("{s:s,s:O,s:s,s:O,s:s?,s:s?,s:O,s:O,s:O,s:O,s:o,s:o}", "scope", scopes[scope],
                                        "series", sname, "measure", json_string_value(json_object_get(b, "measure")),
                                        "currency", cur ? cur : json_null(), "method", method, "model", model, "period",
                                        json_object_get(b, "period"), "history", json_object_get(b, "history"), "sigma",
                                        json_object_get(b, "sigma"), "holdout_mase", json_object_get(b, "holdout_mase"),
                                        "first_period", dayname(first), "last_period", dayname(last)));
        json_t *pts = json_object_get(b, "points");
        int step = p.granularity ? 7 : 1;
        for (int64_t i = 0; i < h && i < (int64_t)json_array_size(pts); i++) {
            json_t *pt = json_array_get(pts, (size_t)i);
            json_array_append_new(rows, json_pack("{s:s,s:O,s:o,s:I,s:O,s:O,s:O,s:O,s:O,s:s?,s:s?}", "scope",
                                                  scopes[scope], "series", sname, "period",
                                                  dayname(last + step * (int32_t)(i + 1)), "step", (json_int_t)(i + 1),
                                                  "forecast", json_array_get(pt, 0), "lo80", json_array_get(pt, 1),
                                                  "hi80", json_array_get(pt, 2), "lo95", json_array_get(pt, 3), "hi95",
                                                  json_array_get(pt, 4), "method", method, "model", model));
        }
        json_decref(sname);
        json_decref(b);
    }
    if (r < 0) {
        json_decref(j);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    return send(res, j, wants_csv(req, &p));
}

/* ---- reorder ---- */

typedef struct stock_row {
    json_t *row;
    double cover; /* INFINITY: no demand */
} stock_row;

static int by_cover(const void *a, const void *b)
{
    const stock_row *x = a, *y = b;
    return (x->cover > y->cover) - (x->cover < y->cover);
}

static json_t *real2(double v)
{
    return isfinite(v) ? json_real(round(v * 100) / 100) : json_null();
}

int souk_analytics_api_reorder(souk_req *req, souk_res *res)
{
    params p;
    int rc = decode(req, res, K_REORDER, &p);
    if (rc)
        return rc;
    int lead, review;
    double service;
    if (souk_analytics_reorder_settings(req->store, &lead, &service, &review) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (p.present & (1u << P_LEAD))
        lead = (int)p.lead_time;
    if (p.present & (1u << P_SERVICE))
        service = p.service;
    if (p.present & (1u << P_REVIEW))
        review = (int)p.review;
    if (lead + review > SOUK_ANALYTICS_STOCK_H) {
        souk_problems_add(&res->problems, req->arena, "review", "lead_time + review must be at most 120 days");
        return bad(res);
    }
    int64_t vendor = 0;
    if (!souk_req_can(req, "analytics:read")) {
        vendor = req->principal.vendor_id;
        if (!vendor)
            return souk_res_error(res, SOUK_E_FORBIDDEN, "Only a vendor's own numbers can be read with this account.");
    }
    json_t *j = json_pack("{s:i,s:f,s:i}", "lead_time_days", lead, "service_level", service, "review_days", review);
    if (!j)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    int32_t yesterday;
    rc = run_head(req, res, j, &yesterday);
    if (rc) {
        json_decref(j);
        return rc;
    }
    json_object_del(j, "currency");
    souk_stmt *st = souk_store_query(
        req->store,
        "SELECT l.variant_id, l.warehouse_code, l.on_hand, l.reserved, v.sku, v.product_id, f.body "
        "FROM analytics_stock_levels l LEFT JOIN analytics_variants v ON v.variant_id = l.variant_id "
        "LEFT JOIN analytics_stock_forecasts f ON f.variant_id = l.variant_id AND f.warehouse_id = l.warehouse_id "
        "WHERE ($1 = 0 OR v.vendor_id = $1) AND ($2 = 0 OR l.warehouse_id = $2) ORDER BY l.variant_id, l.warehouse_id",
        SOUK_ARGS(SOUK_I64(vendor), SOUK_I64(p.warehouse)));
    stock_row *all = NULL;
    size_t n = 0, cap = 0;
    int64_t variant, on_hand, reserved, product;
    char wh[64], sku[128];
    char *body;
    int r;
    static const double zeros[SOUK_ANALYTICS_STOCK_H];
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&variant), SOUK_COL_STR(wh), SOUK_COL_I64(&on_hand),
                                             SOUK_COL_I64(&reserved), SOUK_COL_STR(sku), SOUK_COL_I64(&product),
                                             SOUK_COL_ARENA(&body, req->arena)))) == SOUK_DB_ROW) {
        double fc[SOUK_ANALYTICS_STOCK_H], sigma = 0;
        memcpy(fc, zeros, sizeof fc);
        const char *method = NULL;
        json_t *b = body && body[0] ? json_loads(body, 0, NULL) : NULL;
        if (b) {
            json_t *pts = json_object_get(b, "points");
            for (size_t i = 0; i < SOUK_ANALYTICS_STOCK_H && i < json_array_size(pts); i++)
                fc[i] = json_number_value(json_array_get(pts, i));
            sigma = json_number_value(json_object_get(b, "sigma"));
            method = json_string_value(json_object_get(b, "model"));
        }
        double avail = (double)(on_hand - reserved);
        souk_forecast_reorder_in in = {.fc = fc,
                                       .h = SOUK_ANALYTICS_STOCK_H,
                                       .sigma = sigma,
                                       .on_hand = avail,
                                       .on_order = 0,
                                       .lead_time = lead,
                                       .review = review,
                                       .service = service};
        souk_forecast_reorder_out o;
        if (souk_forecast_reorder(&in, &o) < 0)
            memset(&o, 0, sizeof o);
        double cover = souk_forecast_days_of_cover(avail, fc, SOUK_ANALYTICS_STOCK_H);
        char vt[40], pt[40];
        json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:i,s:o,s:o,s:o,s:o,s:o,s:b,s:I,s:s?}", "variant",
                                souk_id_format("var", variant, vt), "sku", sku, "product",
                                souk_id_format("prod", product, pt), "warehouse", wh, "on_hand", (json_int_t)on_hand,
                                "reserved", (json_int_t)reserved, "available", (json_int_t)avail, "on_order", 0,
                                "mean_daily_demand", real2(o.lead_demand / (double)(lead + review)), "days_of_cover",
                                real2(cover), "lead_demand", real2(o.lead_demand), "safety_stock",
                                real2(o.safety_stock), "reorder_point", real2(o.reorder_point), "reorder", o.reorder,
                                "suggested_quantity", (json_int_t)o.quantity, "method", method);
        json_decref(b);
        if (!row || souk_grow(&all, &cap, n + 1, sizeof *all) < 0) {
            json_decref(row);
            souk_stmt_done(st);
            r = SOUK_DB_HARD;
            break;
        }
        all[n++] = (stock_row){row, isfinite(cover) ? cover : INFINITY};
    }
    if (r < 0) {
        for (size_t i = 0; i < n; i++)
            json_decref(all[i].row);
        free(all);
        json_decref(j);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    if (n)
        qsort(all, n, sizeof *all, by_cover);
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        if (i >= (size_t)p.offset && i < (size_t)(p.offset + p.limit))
            json_array_append(rows, all[i].row);
        json_decref(all[i].row);
    }
    free(all);
    json_object_set_new(j, "variants", json_integer((json_int_t)n));
    json_object_set_new(j, "rows", rows);
    return send(res, j, wants_csv(req, &p));
}

/* ---- anomalies ---- */

int souk_analytics_api_anomalies(souk_req *req, souk_res *res)
{
    params p;
    int rc = decode(req, res, K_ANOMALIES, &p);
    if (rc)
        return rc;
    if (!souk_req_can(req, "analytics:read"))
        return souk_res_error(res, SOUK_E_FORBIDDEN,
                              "Anomalies cover the whole store's sales and traffic: admins only.");
    json_t *j = json_object();
    if (!j)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    int32_t yesterday;
    rc = run_head(req, res, j, &yesterday);
    if (rc) {
        json_decref(j);
        return rc;
    }
    int32_t to = 0, from;
    const char *last = json_string_value(json_object_get(j, "last_day"));
    to = yesterday;
    if (p.to || last)
        souk_analytics_parse_day(p.to ? p.to : last, &to);
    from = to - 89;
    if (p.from)
        souk_analytics_parse_day(p.from, &from);
    if (from > to) {
        json_decref(j);
        souk_problems_add(&res->problems, req->arena, "from", "must not be after to");
        return bad(res);
    }
    json_object_set_new(j, "from", dayname(from));
    json_object_set_new(j, "to", dayname(to));
    json_t *rows = json_array();
    json_object_set_new(j, "rows", rows);
    const char *metric = p.present & (1u << P_METRIC) ? metrics[p.metric] : "";
    souk_stmt *st = souk_store_query(req->store,
                                     "SELECT body FROM analytics_anomalies WHERE day >= $1 AND day <= $2 AND "
                                     "($3 = '' OR metric = $3) ORDER BY day, metric",
                                     SOUK_ARGS(SOUK_I64(from), SOUK_I64(to), SOUK_TEXT(metric)));
    char *body;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_ARENA(&body, req->arena)))) == SOUK_DB_ROW) {
        json_t *b = json_loads(body, 0, NULL);
        if (!b)
            continue;
        int32_t d = (int32_t)json_integer_value(json_object_get(b, "day"));
        json_t *row = json_pack("{s:o,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "day", dayname(d), "metric",
                                json_object_get(b, "metric"), "actual", json_object_get(b, "actual"), "expected",
                                json_object_get(b, "expected"), "lower", json_object_get(b, "lower"), "upper",
                                json_object_get(b, "upper"), "residual", json_object_get(b, "residual"), "direction",
                                json_object_get(b, "direction"), "model", json_object_get(b, "model"));
        json_decref(b);
        json_array_append_new(rows, row);
    }
    if (r < 0) {
        json_decref(j);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    return send(res, j, wants_csv(req, &p));
}
