/*
 * fraud_api.c — GET /api/v1/admin/analytics/fraud: the orders checkout
 * scored for fraud risk (what orders publish as analytics_fraud_orders),
 * newest first, with their score, reasons and review hold; filtered by hold
 * status and a least score. Admins only (analytics:read): the list names
 * customers across every vendor. JSON or CSV like the other reports.
 */
#include "analytics/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analytics/analytics.h"
#include "core/id.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "core/banned.h"

typedef struct params {
    int status, format;
    int64_t min_score, limit, offset;
    uint64_t present;
} params;

static const char *const statuses[] = {"all", "held", "released", "cancelled", "unheld", NULL};
static const char *const formats[] = {"json", "csv", NULL};

enum { P_STATUS, P_MIN, P_LIMIT, P_OFFSET, P_FORMAT };
static const souk_query_field fields[] = {
    [P_STATUS] = SOUK_QUERY_F_ENUM("status", params, status, statuses),
    [P_MIN] = SOUK_QUERY_F_INT("min_score", params, min_score, 0, 100),
    [P_LIMIT] = SOUK_QUERY_F_INT("limit", params, limit, 1, 1000),
    [P_OFFSET] = SOUK_QUERY_F_INT("offset", params, offset, 0, 10000000),
    [P_FORMAT] = SOUK_QUERY_F_ENUM("format", params, format, formats),
};
static const souk_query_spec spec = SOUK_QUERY_SPEC(params, fields);

/* The hold column's value each status asks for ("" = no hold; NULL = any). */
static const char *const holds[] = {NULL, "held", "released", "cancelled", ""};

static bool wants_csv(souk_req *req, const params *p)
{
    if (p->present & (1u << P_FORMAT))
        return p->format == 1;
    const char *accept = souk_req_header(req, "accept");
    return accept && strncasecmp(accept, "text/csv", 8) == 0;
}

/* "declines:35 country_mismatch:20" from the stored [{reason, points}]. */
static json_t *reasons_text(const char *stored)
{
    json_t *a = json_loads(stored ? stored : "[]", 0, NULL), *r;
    char buf[512];
    size_t n = 0, i;
    buf[0] = '\0';
    json_array_foreach(a, i, r)
    {
        int w = snprintf(
            buf + n, sizeof buf - n, "%s%s:%lld", n ? " " : "",
            json_string_value(json_object_get(r, "reason")) ? json_string_value(json_object_get(r, "reason")) : "",
            (long long)json_integer_value(json_object_get(r, "points")));
        if (w < 0 || (size_t)w >= sizeof buf - n)
            break;
        n += (size_t)w;
    }
    json_decref(a);
    return json_string(buf);
}

static int send(souk_res *res, json_t *j, bool csv)
{
    res->content_type = csv ? "text/csv; charset=utf-8" : "application/json";
    return souk__analytics_api_body(res, j, csv, JSON_COMPACT);
}

int souk_analytics_api_fraud(souk_req *req, souk_res *res)
{
    params p;
    memset(&p, 0, sizeof p);
    p.limit = 100;
    if (souk_query_decode(&spec, &req->query, &p, req->arena, &res->problems) < 0)
        return souk_res_error(res, SOUK_E_BAD_REQUEST, "Some query parameters are not valid; details name them.");
    const char *hold = holds[p.status];
    /* held: still paid and waiting for a decision (a held order the customer cancelled is no longer) */
    const char *where = "($1 = '*' OR coalesce(hold, '') = $1) AND ($1 <> 'held' OR state = 'paid') AND score >= $2";
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT order_id, coalesce(user_id, 0), email, state, total, currency, created_at, score, reasons, "
             "coalesce(hold, '') FROM analytics_fraud_orders WHERE %s ORDER BY created_at DESC, order_id DESC "
             "LIMIT $3 OFFSET $4",
             where);
    souk_stmt *st = souk_store_query(
        req->store, sql,
        SOUK_ARGS(SOUK_TEXT(hold ? hold : "*"), SOUK_I64(p.min_score), SOUK_I64(p.limit), SOUK_I64(p.offset)));
    json_t *rows = json_array();
    int64_t order, user, total, created, score;
    char email[256], state[24], currency[4], hv[16];
    char *reasons = NULL;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&order), SOUK_COL_I64(&user), SOUK_COL_STR(email),
                                             SOUK_COL_STR(state), SOUK_COL_I64(&total), SOUK_COL_STR(currency),
                                             SOUK_COL_I64(&created), SOUK_COL_I64(&score),
                                             SOUK_COL_ARENA(&reasons, req->arena), SOUK_COL_STR(hv)))) == SOUK_DB_ROW) {
        char oid[SOUK_ID_TEXT_MAX], uid[SOUK_ID_TEXT_MAX], at[40];
        json_array_append_new(
            rows, json_pack("{s:s,s:s,s:o,s:o,s:s,s:s,s:I,s:I,s:s,s:o}", "order_id", souk_id_format("ord", order, oid),
                            "placed_at", souk_time_format(created, at), "customer_id",
                            user ? json_string(souk_id_format("usr", user, uid)) : json_string(""), "email",
                            json_string(email), "state", state, "hold", hv, "score", (json_int_t)score, "total",
                            (json_int_t)total, "currency", currency, "reasons", reasons_text(reasons)));
    }
    int64_t count = 0;
    if (r >= 0) {
        char csql[256];
        snprintf(csql, sizeof csql, "SELECT count(*) FROM analytics_fraud_orders WHERE %s", where);
        r = souk_store_one(req->store, csql, SOUK_ARGS(SOUK_TEXT(hold ? hold : "*"), SOUK_I64(p.min_score)),
                           SOUK_COLS(SOUK_COL_I64(&count)));
    }
    if (r < 0) {
        json_decref(rows);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:o}", "status", statuses[p.status], "min_score",
                          (json_int_t)p.min_score, "count", (json_int_t)count, "limit", (json_int_t)p.limit, "offset",
                          (json_int_t)p.offset, "rows", rows);
    return j ? send(res, j, wants_csv(req, &p)) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}
