/*
 * api_analytics.c — HTTP face of search analytics (analytics.h): click
 * reports in, the admin report out (JSON, or CSV with format=csv).
 *
 * The report reads search_query_stats (migration 0091) in the request's
 * read snapshot: per day, the top queries and the queries that found
 * nothing, over an inclusive range of UTC days. What was recorded in the
 * last second may not be flushed yet.
 */
#include "search/api.h"

#include <string.h>

#include "catalog/catalog.h"
#include "core/jsonw.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "search/analytics.h"
#include "core/banned.h"

#define US_PER_DAY INT64_C(86400000000)

/* ---- POST /api/v1/search/clicks ---- */

typedef struct click_in {
    const char *query;
    int64_t product_id, position;
    uint64_t present, nulls;
} click_in;

static const souk_json_field click_fields[] = {
    SOUK_JSON_F_STRING("query", SOUK_JSON_REQUIRED, click_in, query, 1, SOUK_SEARCH_API_CLICK_QUERY_MAX, NULL),
    SOUK_JSON_F_ID("product_id", SOUK_JSON_REQUIRED, click_in, product_id, SOUK_PREFIX_PRODUCT),
    SOUK_JSON_F_INT("position", SOUK_JSON_REQUIRED, click_in, position, 1, SOUK_SEARCH_ANALYTICS_POSITION_MAX),
};
static const souk_json_spec click_spec = SOUK_JSON_SPEC(click_in, click_fields);

int souk_search_api_click(souk_req *req, souk_res *res)
{
    click_in in;
    if (souk_req_decode(req, res, &click_spec, &in))
        return res->err;
    int r = souk_search_analytics_click(in.query, strlen(in.query), in.product_id, (int)in.position);
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_res_audit(res, "search_click", NULL);
    /* 1 (an empty query after folding, or the table full this second) is accepted all the same */
    return souk_res_json(res, 202, json_pack("{s:b}", "recorded", r == 0));
}

/* ---- GET /api/v1/admin/search/analytics ---- */

static const char *const format_names[] = {"json", "csv", NULL};

typedef struct report_in {
    const char *from, *to;
    int64_t limit;
    int format;
    uint64_t present;
} report_in;

/* A UTC day "YYYY-MM-DD" that exists. */
static const char *parse_day(const char *v, size_t len, void *dst, souk_arena *a)
{
    int64_t us;
    char buf[32];
    if (len != 10 || v[4] != '-' || v[7] != '-')
        return "must be a date YYYY-MM-DD";
    memcpy(buf, v, 10);
    memcpy(buf + 10, "T00:00:00Z", 11);
    if (souk_time_parse(buf, 20, &us) < 0)
        return "must be a date YYYY-MM-DD";
    char back[SOUK_SEARCH_ANALYTICS_DAY_LEN];
    if (memcmp(souk_search_analytics_day(us, back), v, 10) != 0) /* 2026-02-30 */
        return "must be a date YYYY-MM-DD";
    *(const char **)dst = souk_arena_strndup(a, v, 10);
    return *(const char **)dst ? NULL : "out of memory";
}

enum { R_FROM, R_TO, R_LIMIT, R_FORMAT };
static const souk_query_field report_fields[] = {
    [R_FROM] = SOUK_QUERY_F_CUSTOM("from", report_in, from, parse_day),
    [R_TO] = SOUK_QUERY_F_CUSTOM("to", report_in, to, parse_day),
    [R_LIMIT] = SOUK_QUERY_F_INT("limit", report_in, limit, 1, SOUK_SEARCH_API_REPORT_LIMIT_MAX),
    [R_FORMAT] = SOUK_QUERY_F_ENUM("format", report_in, format, format_names),
};
static const souk_query_spec report_spec = SOUK_QUERY_SPEC(report_in, report_fields);

/* sums of one group of rows */
typedef struct sums {
    int64_t searches, results, zero, clicks, positions;
} sums;

/* "name":A/B as a number with 4 decimals, or null when B is 0. */
static void put_ratio(souk_buf *out, const char *name, int64_t a, int64_t b)
{
    souk_buf_printf(out, ",\"%s\":", name);
    if (b == 0)
        SOUK_JW_LIT(out, "null");
    else
        souk_buf_printf(out, "%.4f", (double)a / (double)b);
}

/* The counters of S and what they mean, as JSON members (after a first member). */
static void put_sums(souk_buf *out, const sums *s)
{
    souk_buf_printf(out, ",\"searches\":%lld,\"zero_results\":%lld,\"clicks\":%lld", (long long)s->searches,
                    (long long)s->zero, (long long)s->clicks);
    put_ratio(out, "ctr", s->clicks, s->searches);
    put_ratio(out, "mean_click_position", s->positions, s->clicks);
    put_ratio(out, "mean_results", s->results, s->searches);
}

#define SUMS_COLS(s)                                                                                                   \
    SOUK_COL_I64(&(s).searches), SOUK_COL_I64(&(s).results), SOUK_COL_I64(&(s).zero), SOUK_COL_I64(&(s).clicks),       \
        SOUK_COL_I64(&(s).positions)
#define SUMS_SQL                                                                                                       \
    "CAST(SUM(searches) AS BIGINT), CAST(SUM(results_sum) AS BIGINT), CAST(SUM(zero_results) AS BIGINT), "             \
    "CAST(SUM(clicks) AS BIGINT), CAST(SUM(click_position_sum) AS BIGINT)"

/* Rows of a "query" list: {query, sums…}, for SQL selecting query then SUMS_SQL. */
static int put_queries(souk_req *req, souk_store *db, souk_buf *out, const char *sql, const report_in *in)
{
    souk_stmt *st = souk_store_query(db, sql, SOUK_ARGS(SOUK_TEXT(in->from), SOUK_TEXT(in->to), SOUK_I64(in->limit)));
    char *q = NULL;
    sums s;
    int r, n = 0;
    souk_buf_addc(out, '[');
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_ARENA(&q, req->arena), SUMS_COLS(s)))) == SOUK_DB_ROW) {
        if (n++)
            souk_buf_addc(out, ',');
        SOUK_JW_LIT(out, "{\"query\":");
        souk_jw_str(out, q, SOUK_JW_HTML_SAFE);
        put_sums(out, &s);
        souk_buf_addc(out, '}');
    }
    souk_buf_addc(out, ']');
    return r;
}

/* The reports below write RES's body from DB and answer 0, 1 (out of
 * memory) or a negative souk_db_status (the body is then partial). */
static int report_json(souk_req *req, souk_store *db, souk_res *res, const report_in *in)
{
    souk_buf *out = &res->body;
    SOUK_JW_LIT(out, "{\"from\":");
    souk_jw_str(out, in->from, SOUK_JW_HTML_SAFE);
    SOUK_JW_LIT(out, ",\"to\":");
    souk_jw_str(out, in->to, SOUK_JW_HTML_SAFE);
    SOUK_JW_LIT(out, ",\"days\":[");
    souk_stmt *st = souk_store_query(db,
                                     "SELECT day, COUNT(*), " SUMS_SQL " FROM search_query_stats "
                                     "WHERE day >= $1 AND day <= $2 GROUP BY day ORDER BY day",
                                     SOUK_ARGS(SOUK_TEXT(in->from), SOUK_TEXT(in->to)));
    char day[SOUK_SEARCH_ANALYTICS_DAY_LEN];
    int64_t distinct;
    sums s, total = {0};
    int r, n = 0;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_STR(day), SOUK_COL_I64(&distinct), SUMS_COLS(s)))) ==
           SOUK_DB_ROW) {
        if (n++)
            souk_buf_addc(out, ',');
        SOUK_JW_LIT(out, "{\"day\":");
        souk_jw_str(out, day, SOUK_JW_HTML_SAFE);
        souk_buf_printf(out, ",\"queries\":%lld", (long long)distinct);
        put_sums(out, &s);
        souk_buf_addc(out, '}');
        total.searches += s.searches;
        total.results += s.results;
        total.zero += s.zero;
        total.clicks += s.clicks;
        total.positions += s.positions;
    }
    if (r < 0)
        return r;
    SOUK_JW_LIT(out, "],\"totals\":{\"days\":");
    souk_jw_int(out, n);
    put_sums(out, &total);
    SOUK_JW_LIT(out, "},\"top_queries\":");
    r = put_queries(req, db, out,
                    "SELECT query, " SUMS_SQL " FROM search_query_stats WHERE day >= $1 AND day <= $2 "
                    "GROUP BY query ORDER BY SUM(searches) DESC, query LIMIT $3",
                    in);
    if (r >= 0) {
        SOUK_JW_LIT(out, ",\"zero_result_queries\":");
        r = put_queries(req, db, out,
                        "SELECT query, " SUMS_SQL " FROM search_query_stats WHERE day >= $1 AND day <= $2 "
                        "GROUP BY query HAVING SUM(zero_results) > 0 ORDER BY SUM(zero_results) DESC, query LIMIT $3",
                        in);
    }
    if (r < 0)
        return r;
    souk_buf_addc(out, '}');
    return souk_buf_failed(out) ? 1 : 0;
}

/* S as one CSV field: quoted, quotes doubled, and a leading = + - @ tab or
 * CR defused with a ' so a spreadsheet does not read it as a formula. */
static void csv_text(souk_buf *out, const char *s)
{
    souk_buf_addc(out, '"');
    if (strchr("=+-@\t\r", s[0]) && s[0])
        souk_buf_addc(out, '\'');
    for (; *s; s++) {
        if (*s == '"')
            souk_buf_addc(out, '"');
        souk_buf_addc(out, *s);
    }
    souk_buf_addc(out, '"');
}

static void csv_ratio(souk_buf *out, int64_t a, int64_t b)
{
    souk_buf_addc(out, ',');
    if (b)
        souk_buf_printf(out, "%.4f", (double)a / (double)b);
}

static int report_csv(souk_req *req, souk_store *db, souk_res *res, const report_in *in)
{
    souk_buf *out = &res->body;
    souk_buf_adds(out, "day,query,searches,zero_results,clicks,ctr,mean_click_position,mean_results\r\n");
    souk_stmt *st =
        souk_store_query(db,
                         "SELECT day, query, searches, results_sum, zero_results, clicks, "
                         "click_position_sum FROM search_query_stats WHERE day >= $1 AND day <= $2 "
                         "ORDER BY day, searches DESC, query LIMIT $3",
                         SOUK_ARGS(SOUK_TEXT(in->from), SOUK_TEXT(in->to), SOUK_I64(SOUK_SEARCH_API_CSV_ROWS_MAX)));
    char day[SOUK_SEARCH_ANALYTICS_DAY_LEN];
    char *q = NULL;
    sums s;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_STR(day), SOUK_COL_ARENA(&q, req->arena), SUMS_COLS(s)))) ==
           SOUK_DB_ROW) {
        souk_buf_adds(out, day);
        souk_buf_addc(out, ',');
        csv_text(out, q);
        souk_buf_printf(out, ",%lld,%lld,%lld", (long long)s.searches, (long long)s.zero, (long long)s.clicks);
        csv_ratio(out, s.clicks, s.searches);
        csv_ratio(out, s.positions, s.clicks);
        csv_ratio(out, s.results, s.searches);
        souk_buf_adds(out, "\r\n");
    }
    if (r < 0)
        return r;
    if (souk_buf_failed(out))
        return 1;
    res->content_type = "text/csv; charset=utf-8";
    return 0;
}

int souk_search_api_analytics(souk_req *req, souk_res *res)
{
    report_in in = {.limit = SOUK_SEARCH_API_REPORT_LIMIT_DEFAULT};
    if (souk_query_decode(&report_spec, &req->query, &in, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    int64_t now = souk_time_now_us();
    char today[SOUK_SEARCH_ANALYTICS_DAY_LEN], first[SOUK_SEARCH_ANALYTICS_DAY_LEN];
    if (!in.to)
        in.to = souk_arena_strdup(req->arena, souk_search_analytics_day(now, today));
    if (!in.from) {
        int64_t to_us = 0;
        char buf[32];
        memcpy(buf, in.to, 10);
        memcpy(buf + 10, "T00:00:00Z", 11);
        if (souk_time_parse(buf, 20, &to_us) < 0)
            to_us = now;
        in.from = souk_arena_strdup(
            req->arena,
            souk_search_analytics_day(to_us - (SOUK_SEARCH_API_REPORT_DAYS_DEFAULT - 1) * US_PER_DAY, first));
    }
    if (!in.from || !in.to)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (strcmp(in.from, in.to) > 0) {
        souk_problems_add(&res->problems, req->arena, "from", "must not be after to");
        return souk_res_invalid(res);
    }
    /* a pure read of settled counts: the replica serves it when there is one fit to */
    souk_store *db = souk_store_replica_here(req->store, "search_report", false);
    int r = in.format == 1 ? report_csv(req, db, res, &in) : report_json(req, db, res, &in);
    if (r < 0 && db != req->store) { /* the replica went away mid-report: the primary answers */
        souk_store_replica_failed("search_report", souk_store_errmsg(db));
        souk_buf_reset(&res->body); /* nothing was written before the report */
        r = in.format == 1 ? report_csv(req, req->store, res, &in) : report_json(req, req->store, res, &in);
    }
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    if (r > 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    res->status = 200;
    return 0;
}
