/*
 * api.c — the analytics routes: the query decoded and bounded, the caller's
 * slice applied (a vendor sees only their own), the report answered from
 * the cache when the facts have not moved since, else computed on this
 * (CPU pool) thread and kept.
 */
#include "analytics/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analytics/analytics.h"
#include "core/id.h"
#include "core/money.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "core/banned.h"

#define DAYS_DEFAULT 30

typedef enum { R_KPIS, R_TIMESERIES, R_FUNNEL, R_COHORTS, R_RFM, R_SEGMENTS, R_CHURN, R_CLV } report_kind;

typedef struct params {
    const char *from, *to, *currency, *steps;
    int granularity, channel, per, format, convert;
    int64_t category, vendor, customer, limit, offset, k, horizon;
    uint64_t present;
} params;

static const char *const granularities[] = {"day", "week", "month", NULL};
static const char *const channels[] = {"api", "import", "storefront", NULL}; /* SOUK_ANALYTICS_CHANNEL_* */
static const char *const pers[] = {"visitor", "session", NULL};
static const char *const formats[] = {"json", "csv", NULL};
static const char *const converts[] = {"0", "1", NULL};

const char *souk__analytics_api_parse_day(const char *v, size_t len, void *dst, souk_arena *a)
{
    char buf[11];
    int32_t day;
    if (len != 10)
        return "must be a date YYYY-MM-DD";
    memcpy(buf, v, 10);
    buf[10] = '\0';
    if (souk_analytics_parse_day(buf, &day) < 0)
        return "must be a date YYYY-MM-DD between 1970 and 2200";
    *(const char **)dst = souk_arena_strndup(a, v, 10);
    return *(const char **)dst ? NULL : "out of memory";
}

static const char *parse_currency(const char *v, size_t len, void *dst, souk_arena *a)
{
    if (len != 3)
        return "must be an ISO 4217 code such as EUR";
    for (size_t i = 0; i < 3; i++)
        if (v[i] < 'A' || v[i] > 'Z')
            return "must be an ISO 4217 code such as EUR";
    *(const char **)dst = souk_arena_strndup(a, v, 3);
    return *(const char **)dst ? NULL : "out of memory";
}

static const char *parse_steps(const char *v, size_t len, void *dst, souk_arena *a)
{
    if (len > 256)
        return "must be at most 256 characters";
    int n = 0, seen[SOUK_ANALYTICS_STEPS_MAX];
    for (size_t i = 0; i <= len;) {
        size_t j = i;
        while (j < len && v[j] != ',')
            j++;
        int t = souk_analytics_event_type(v + i, j - i);
        if (t < 0)
            return "must be event types separated by commas (product_view, add_to_cart, checkout_started, "
                   "purchase, page_view, search, search_click, remove_from_cart, rec_impression, rec_click)";
        for (int k = 0; k < n; k++)
            if (seen[k] == t)
                return "must not name an event type twice";
        if (n == SOUK_ANALYTICS_STEPS_MAX)
            return "must have at most 8 steps";
        seen[n++] = t;
        i = j + 1;
    }
    if (n < 2)
        return "must have at least 2 steps";
    *(const char **)dst = souk_arena_strndup(a, v, len);
    return *(const char **)dst ? NULL : "out of memory";
}

enum {
    P_FROM,
    P_TO,
    P_GRAN,
    P_CUR,
    P_CAT,
    P_VENDOR,
    P_CHANNEL,
    P_STEPS,
    P_PER,
    P_LIMIT,
    P_OFFSET,
    P_FORMAT,
    P_K,
    P_HORIZON,
    P_CONVERT,
    P_CUSTOMER
};
static const souk_query_field fields[] = {
    [P_FROM] = SOUK_QUERY_F_CUSTOM("from", params, from, souk__analytics_api_parse_day),
    [P_TO] = SOUK_QUERY_F_CUSTOM("to", params, to, souk__analytics_api_parse_day),
    [P_GRAN] = SOUK_QUERY_F_ENUM("granularity", params, granularity, granularities),
    [P_CUR] = SOUK_QUERY_F_CUSTOM("currency", params, currency, parse_currency),
    [P_CAT] = SOUK_QUERY_F_ID("category", params, category, "cat"),
    [P_VENDOR] = SOUK_QUERY_F_ID("vendor", params, vendor, "vend"),
    [P_CHANNEL] = SOUK_QUERY_F_ENUM("channel", params, channel, channels),
    [P_STEPS] = SOUK_QUERY_F_CUSTOM("steps", params, steps, parse_steps),
    [P_PER] = SOUK_QUERY_F_ENUM("per", params, per, pers),
    [P_LIMIT] = SOUK_QUERY_F_INT("limit", params, limit, 1, SOUK_ANALYTICS_RFM_LIMIT_MAX),
    [P_OFFSET] = SOUK_QUERY_F_INT("offset", params, offset, 0, 10000000),
    [P_FORMAT] = SOUK_QUERY_F_ENUM("format", params, format, formats),
    [P_K] = SOUK_QUERY_F_INT("k", params, k, 2, SOUK_ANALYTICS_SEG_K_LIMIT),
    [P_HORIZON] = SOUK_QUERY_F_INT("horizon", params, horizon, 7, 365),
    [P_CONVERT] = SOUK_QUERY_F_ENUM("convert", params, convert, converts),
    [P_CUSTOMER] = SOUK_QUERY_F_ID("customer", params, customer, "usr"),
};
static const souk_query_spec spec = SOUK_QUERY_SPEC(params, fields);

/* Parameters a report does not read are refused, so a typo is not silently ignored. */
static const uint64_t allowed[] = {
    [R_KPIS] = 1u << P_FROM | 1u << P_TO | 1u << P_CUR | 1u << P_CAT | 1u << P_VENDOR | 1u << P_CHANNEL |
               1u << P_FORMAT | 1u << P_CONVERT,
    [R_TIMESERIES] = 1u << P_FROM | 1u << P_TO | 1u << P_GRAN | 1u << P_CUR | 1u << P_CAT | 1u << P_VENDOR |
                     1u << P_CHANNEL | 1u << P_FORMAT | 1u << P_CONVERT,
    [R_FUNNEL] = 1u << P_FROM | 1u << P_TO | 1u << P_STEPS | 1u << P_PER | 1u << P_FORMAT,
    [R_COHORTS] = 1u << P_FROM | 1u << P_TO | 1u << P_CUR | 1u << P_CAT | 1u << P_VENDOR | 1u << P_CHANNEL |
                  1u << P_FORMAT | 1u << P_CONVERT,
    [R_RFM] = 1u << P_FROM | 1u << P_TO | 1u << P_CUR | 1u << P_CAT | 1u << P_VENDOR | 1u << P_CHANNEL | 1u << P_LIMIT |
              1u << P_OFFSET | 1u << P_FORMAT | 1u << P_CONVERT | 1u << P_CUSTOMER,
    [R_SEGMENTS] = 1u << P_FROM | 1u << P_TO | 1u << P_CUR | 1u << P_CAT | 1u << P_VENDOR | 1u << P_CHANNEL |
                   1u << P_LIMIT | 1u << P_OFFSET | 1u << P_FORMAT | 1u << P_K | 1u << P_CONVERT,
    [R_CHURN] = 1u << P_TO | 1u << P_CUR | 1u << P_CAT | 1u << P_VENDOR | 1u << P_CHANNEL | 1u << P_LIMIT |
                1u << P_OFFSET | 1u << P_FORMAT | 1u << P_HORIZON | 1u << P_CONVERT | 1u << P_CUSTOMER,
    [R_CLV] = 1u << P_TO | 1u << P_CUR | 1u << P_CAT | 1u << P_VENDOR | 1u << P_CHANNEL | 1u << P_LIMIT |
              1u << P_OFFSET | 1u << P_FORMAT | 1u << P_HORIZON | 1u << P_CONVERT | 1u << P_CUSTOMER,
};
_Static_assert(sizeof allowed / sizeof allowed[0] == R_CLV + 1, "a parameter list per report");

static int bad(souk_res *res)
{
    return souk_res_error(res, SOUK_E_BAD_REQUEST, "Some query parameters are not valid; details name them.");
}

int souk__analytics_api_decode(souk_req *req, souk_res *res, const souk_query_spec *sp, void *out, uint64_t permitted)
{
    if (souk_query_decode(sp, &req->query, out, req->arena, &res->problems) < 0)
        return bad(res);
    uint64_t present;
    memcpy(&present, (const char *)out + sp->present_offset, sizeof present);
    for (size_t i = 0; i < sp->nfields; i++)
        if ((present >> i & 1) && !(permitted >> i & 1))
            souk_problems_add(&res->problems, req->arena, sp->fields[i].name, "is not a parameter of this report");
    return res->problems.count ? bad(res) : 0;
}

int souk__analytics_api_body(souk_res *res, json_t *j, bool csv, size_t json_flags)
{
    int r = 0;
    if (csv) {
        r = souk_analytics_csv(j, &res->body);
    } else {
        char *text = json_dumps(j, json_flags);
        if (text)
            souk_buf_adds(&res->body, text);
        else
            r = -1;
        free(text);
    }
    json_decref(j);
    return r < 0 || souk_buf_failed(&res->body) ? souk_res_error(res, SOUK_E_INTERNAL, NULL) : 0;
}

bool souk__analytics_api_wants_csv(souk_req *req, bool format_given, bool format_csv)
{
    if (format_given)
        return format_csv;
    const char *accept = souk_req_header(req, "accept");
    return accept && strncasecmp(accept, "text/csv", 8) == 0;
}

/* Decodes the query into Q for report KIND; 0, or the error answered. */
static int decode(souk_req *req, souk_res *res, const souk_analytics_facts *f, report_kind kind,
                  souk_analytics_query *q, bool *csv, bool *convert)
{
    params p = {.limit = 100};
    int rc = souk__analytics_api_decode(req, res, &spec, &p, allowed[kind]);
    if (rc)
        return rc;
    memset(q, 0, sizeof *q);
    int32_t today = souk_analytics_tz_day(&f->tz, souk_time_now_us());
    q->to = today;
    if (p.to)
        souk_analytics_parse_day(p.to, &q->to);
    int32_t span = kind == R_COHORTS || kind == R_RFM || kind == R_SEGMENTS ? 365 : DAYS_DEFAULT;
    q->from = q->to - span + 1;
    if (p.from)
        souk_analytics_parse_day(p.from, &q->from);
    *convert = p.convert == 1;
    if (*convert && !p.currency)
        souk_problems_add(&res->problems, req->arena, "currency",
                          "is required with convert=1: the currency to convert into");
    else if (*convert && souk_currency_exponent(p.currency) < 0)
        souk_problems_add(&res->problems, req->arena, "currency", "must be a known ISO 4217 currency to convert into");
    if (q->from > q->to)
        souk_problems_add(&res->problems, req->arena, "from", "must not be after to");
    else if (q->to - q->from + 1 > SOUK_ANALYTICS_RANGE_DAYS_MAX)
        souk_problems_add(&res->problems, req->arena, "to", "the range must be at most 3660 days");
    if (res->problems.count)
        return bad(res);
    q->granularity = p.granularity;
    q->currency = -1;
    if (p.currency) {
        q->currency = souk_analytics_currency_find(f, p.currency);
        q->currency_code = p.currency;
        if (q->currency < 0)
            q->currency = -2;
    }
    q->category_id = p.category;
    q->vendor_id = p.vendor;
    q->customer_id = p.customer;
    q->channel = (p.present & (1u << P_CHANNEL)) ? p.channel : -1;
    q->per_session = p.per == 1;
    q->limit = (int32_t)p.limit;
    q->offset = (int32_t)p.offset;
    q->k = (int)p.k;
    q->horizon = (int)p.horizon;
    q->threads = 2;
    static const int default_steps[] = {SOUK_ANALYTICS_EV_PRODUCT_VIEW, SOUK_ANALYTICS_EV_ADD_TO_CART,
                                        SOUK_ANALYTICS_EV_CHECKOUT_STARTED, SOUK_ANALYTICS_EV_PURCHASE};
    if (p.steps) {
        for (size_t i = 0, len = strlen(p.steps); i <= len && q->nsteps < SOUK_ANALYTICS_STEPS_MAX;) {
            size_t j = i;
            while (j < len && p.steps[j] != ',')
                j++;
            q->steps[q->nsteps++] = souk_analytics_event_type(p.steps + i, j - i);
            i = j + 1;
        }
    } else {
        memcpy(q->steps, default_steps, sizeof default_steps);
        q->nsteps = 4;
    }
    /* the caller's slice */
    if (!souk_req_can(req, "analytics:read")) {
        int64_t own = req->principal.vendor_id;
        if (!own)
            return souk_res_error(res, SOUK_E_FORBIDDEN, "Only a vendor's own numbers can be read with this account.");
        if (q->vendor_id && q->vendor_id != own)
            return souk_res_error(res, SOUK_E_FORBIDDEN, "A vendor can read only their own numbers.");
        if (kind == R_FUNNEL)
            return souk_res_error(res, SOUK_E_FORBIDDEN, "The funnel covers the whole store's traffic: admins only.");
        if (q->customer_id)
            return souk_res_error(res, SOUK_E_FORBIDDEN, "One customer's scores are for staff with analytics:read.");
        q->vendor_id = own;
    }
    *csv = souk__analytics_api_wants_csv(req, p.present & (1u << P_FORMAT), p.format == 1);
    return 0;
}

/* The cache key: the report and every input that shapes its answer. */
static const char *cache_key(souk_req *req, report_kind kind, const souk_analytics_query *q, bool csv)
{
    /* a converted report also depends on the stored rates: their fingerprint */
    unsigned long long rates = q->fx ? (unsigned long long)q->fx->fingerprint : 0;
    char steps[64] = "";
    size_t n = 0;
    for (int i = 0; i < q->nsteps && n + 4 < sizeof steps; i++)
        n += (size_t)snprintf(steps + n, sizeof steps - n, "%d.", q->steps[i]);
    return souk_arena_printf(req->arena, "%d|%d|%d|%d|%d|%s|%lld|%lld|%lld|%d|%d|%s|%d|%d|%d|%d|%d|%llx", (int)kind,
                             q->from, q->to, q->granularity, q->currency, q->currency_code ? q->currency_code : "",
                             (long long)q->category_id, (long long)q->vendor_id, (long long)q->customer_id, q->channel,
                             q->per_session, steps, q->limit, q->offset, q->k * 1000 + q->horizon, csv, q->fx != NULL,
                             rates);
}

static int answer(souk_req *req, souk_res *res, report_kind kind)
{
    const souk_analytics_facts *f = souk_analytics_acquire();
    if (!f) {
        res->retry_after = "1";
        return souk_res_error(res, SOUK_E_UNAVAILABLE, "The analytics facts are still being built; try again soon.");
    }
    souk_analytics_query q;
    bool csv = false, convert = false;
    int rc = decode(req, res, f, kind, &q, &csv, &convert);
    if (rc) {
        souk_analytics_release(f);
        return rc;
    }
    souk_fx_history rates = {0};
    if (convert) { /* the stored rates of the store currency (fx.h): a small table, read on this pool thread */
        int r = souk_fx_history_load(req->store, req->config->currency, &rates);
        if (r < 0) {
            souk_analytics_release(f);
            return souk_res_error(res, souk_store_dberr(r), NULL);
        }
        q.fx = &rates;
    }
    res->content_type = csv ? "text/csv; charset=utf-8" : "application/json";
    uint64_t version = atomic_load_explicit(&f->version, memory_order_acquire);
    const char *key = cache_key(req, kind, &q, csv);
    if (key && souk_analytics_cache_get(key, version, &res->body)) {
        souk_analytics_release(f);
        souk_fx_history_release(&rates);
        return souk_buf_failed(&res->body) ? souk_res_error(res, SOUK_E_INTERNAL, NULL) : 0;
    }
    json_t *j = kind == R_KPIS         ? souk_analytics_kpis(f, &q)
                : kind == R_TIMESERIES ? souk_analytics_timeseries(f, &q)
                : kind == R_FUNNEL     ? souk_analytics_funnel(f, &q)
                : kind == R_COHORTS    ? souk_analytics_cohorts(f, &q)
                : kind == R_RFM        ? souk_analytics_rfm(f, &q)
                : kind == R_SEGMENTS   ? souk_analytics_segments(f, &q)
                : kind == R_CHURN      ? souk_analytics_churn(f, &q)
                                       : souk_analytics_clv(f, &q);
    souk_analytics_release(f);
    souk_fx_history_release(&rates);
    if (!j)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    rc = souk__analytics_api_body(res, j, csv, JSON_COMPACT);
    if (rc)
        return rc;
    if (key)
        souk_analytics_cache_put(key, version, res->body.data, res->body.len);
    return 0;
}

int souk_analytics_api_kpis(souk_req *req, souk_res *res)
{
    return answer(req, res, R_KPIS);
}

int souk_analytics_api_timeseries(souk_req *req, souk_res *res)
{
    return answer(req, res, R_TIMESERIES);
}

int souk_analytics_api_funnel(souk_req *req, souk_res *res)
{
    return answer(req, res, R_FUNNEL);
}

int souk_analytics_api_cohorts(souk_req *req, souk_res *res)
{
    return answer(req, res, R_COHORTS);
}

int souk_analytics_api_rfm(souk_req *req, souk_res *res)
{
    return answer(req, res, R_RFM);
}

int souk_analytics_api_segments(souk_req *req, souk_res *res)
{
    return answer(req, res, R_SEGMENTS);
}

int souk_analytics_api_churn(souk_req *req, souk_res *res)
{
    return answer(req, res, R_CHURN);
}

int souk_analytics_api_clv(souk_req *req, souk_res *res)
{
    return answer(req, res, R_CLV);
}
