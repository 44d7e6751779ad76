/*
 * api_suggest.c — the typed suggestions of GET /api/v1/search/suggest
 * (api_internal.h): what others searched for, category and brand names,
 * and the product titles the engine found, in that order.
 *
 * Popular queries come from the analytics table (a read in the request's
 * snapshot; what the last second recorded is not there yet) and must have
 * been searched SOUK__SEARCH_SUGGEST_POPULAR_MIN times, and found
 * something, in the last SOUK__SEARCH_SUGGEST_DAYS days: one shopper's
 * query is never shown to another. Names come from the segment (names.h).
 */
#include "search/api_internal.h"

#include <string.h>

#include "catalog/catalog.h"
#include "core/jsonw.h"
#include "core/time.h"
#include "search/analytics.h"
#include "search/names.h"
#include "search/service.h"
#include "core/banned.h"

#define US_PER_DAY INT64_C(86400000000)

/* {"type":TYPE,"text":TEXT  (the caller closes the object) */
static void open_item(souk_buf *out, bool *first, const char *type, const char *text)
{
    if (!*first)
        souk_buf_addc(out, ',');
    *first = false;
    SOUK_JW_LIT(out, "{\"type\":");
    souk_jw_str(out, type, SOUK_JW_HTML_SAFE);
    SOUK_JW_LIT(out, ",\"text\":");
    souk_jw_str(out, text, SOUK_JW_HTML_SAFE);
}

static int put_queries(souk_req *req, souk_search_text *t, const char *q, size_t len, souk_buf *out, bool *first)
{
    char norm[SOUK_SEARCH_ANALYTICS_QUERY_MAX + 1], since[SOUK_SEARCH_ANALYTICS_DAY_LEN];
    long n = souk_search_analytics_normalise(t, q, len, norm);
    if (n <= 0)
        return (int)n;
    souk_search_analytics_day(souk_time_now_us() - (SOUK__SEARCH_SUGGEST_DAYS - 1) * US_PER_DAY, since);
    const char *found[SOUK__SEARCH_SUGGEST_QUERIES];
    int64_t counts[SOUK__SEARCH_SUGGEST_QUERIES];
    long k = souk_search_analytics_popular(req->store, norm, (size_t)n, since, SOUK__SEARCH_SUGGEST_POPULAR_MIN,
                                           req->arena, found, counts, SOUK__SEARCH_SUGGEST_QUERIES);
    for (long i = 0; i < k; i++) {
        open_item(out, first, "query", found[i]);
        SOUK_JW_LIT(out, ",\"searches\":");
        souk_jw_int(out, counts[i]);
        souk_buf_addc(out, '}');
    }
    return k < 0 ? -1 : 0;
}

static int put_names(const souk_search_segment *seg, souk_search_text *t, souk_search_name_kind kind, const char *q,
                     size_t len, souk_buf *out, bool *first)
{
    souk_search_name_hit hits[SOUK__SEARCH_SUGGEST_NAMES];
    long n = souk_search_names_suggest(seg, t, kind, q, len, hits, SOUK__SEARCH_SUGGEST_NAMES);
    for (long i = 0; i < n; i++) {
        bool brand = kind == SOUK_SEARCH_NAME_BRAND;
        open_item(out, first, brand ? "brand" : "category", hits[i].name);
        SOUK_JW_LIT(out, ",\"id\":");
        souk_jw_id(out, brand ? SOUK_PREFIX_BRAND : SOUK_PREFIX_CATEGORY, hits[i].id);
        SOUK_JW_LIT(out, ",\"products\":");
        souk_jw_int(out, (int64_t)hits[i].products);
        souk_buf_addc(out, '}');
    }
    return n < 0 ? -1 : 0;
}

static int put_products(souk_req *req, const int64_t *ids, size_t n, souk_buf *out, bool *first)
{
    for (size_t i = 0; i < n; i++) {
        souk_stmt *st = souk_store_query(req->store, "SELECT title FROM search_products WHERE product_id = $1",
                                         SOUK_ARGS(SOUK_I64(ids[i])));
        int r = souk_stmt_step(st);
        if (r == SOUK_DB_ROW) {
            open_item(out, first, "product", souk_stmt_text(st, 0, NULL) ? souk_stmt_text(st, 0, NULL) : "");
            SOUK_JW_LIT(out, ",\"id\":");
            souk_jw_id(out, SOUK_PREFIX_PRODUCT, ids[i]);
            souk_buf_addc(out, '}');
        }
        souk_stmt_done(st);
        if (r < 0)
            return -1;
    }
    return 0;
}

int souk__search_api_suggestions(souk_req *req, souk_res *res, const souk_search_segment *seg, const char *q,
                                 size_t len, const int64_t *product_ids, size_t n)
{
    souk_search_text *t = souk_search_service_text(souk_search_segment_language(seg));
    if (!t)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_buf *out = &res->body;
    bool first = true;
    SOUK_JW_LIT(out, ",\"suggestions\":[");
    int rc = put_queries(req, t, q, len, out, &first);
    if (!rc)
        rc = put_names(seg, t, SOUK_SEARCH_NAME_CATEGORY, q, len, out, &first);
    if (!rc)
        rc = put_names(seg, t, SOUK_SEARCH_NAME_BRAND, q, len, out, &first);
    souk_search_service_text_put(t);
    if (!rc)
        rc = put_products(req, product_ids, n, out, &first);
    souk_buf_addc(out, ']');
    return rc < 0 ? souk_res_error(res, SOUK_E_INTERNAL, NULL) : 0;
}
