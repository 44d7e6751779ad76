/*
 * api.h — HTTP handlers of search (bound in src/app/routes.c; parameters,
 * limits and answers in docs/search.md and the OpenAPI document). Both are
 * public GET routes that read the served index (service.h) and the catalog
 * (to render what they found): 503 with Retry-After until the first
 * segment is built, 503 without it when search is turned off.
 */
#ifndef SOUK_SEARCH_API_H
#define SOUK_SEARCH_API_H

#include "http/http.h"

/* Limits of the two routes beside the engine's (query.h: at most
 * SOUK_SEARCH_LIMIT_MAX hits a page, offset + limit at most
 * SOUK_SEARCH_WINDOW_MAX). */
#define SOUK_SEARCH_API_LIMIT_DEFAULT 20        /* hits per page when no limit is given */
#define SOUK_SEARCH_API_SUGGEST_MAX 10          /* suggestions per answer */
#define SOUK_SEARCH_API_SUGGEST_Q_MAX 200       /* bytes of what was typed */
#define SOUK_SEARCH_API_FACETS_TEXT_MAX 1000    /* bytes of the facets parameter */
#define SOUK_SEARCH_API_ATTR_FACETS_MAX 6       /* attribute dimensions facets=attr.* adds */
#define SOUK_SEARCH_API_DYM_BELOW 3             /* "did you mean" when a search finds fewer products */
#define SOUK_SEARCH_API_CLICK_QUERY_MAX 1000    /* characters of a clicked query (normalised to 200 bytes) */
#define SOUK_SEARCH_API_REPORT_LIMIT_DEFAULT 20 /* queries per list of the analytics report */
#define SOUK_SEARCH_API_REPORT_LIMIT_MAX 1000
#define SOUK_SEARCH_API_REPORT_DAYS_DEFAULT 30 /* days of the report when no from is given */
#define SOUK_SEARCH_API_CSV_ROWS_MAX 100000    /* (day, query) rows of the CSV report */

/* GET /api/v1/search: q (required; words, "phrases", -exclusions), the
 * product list's filters (category with its subtree, brand, vendor,
 * price_min/price_max in the store currency, in_stock=true, attr.NAME),
 * sort, facets, facet_limit, highlight (default true), limit and offset.
 * 200 {data:[product summary + score + highlight:{title, snippet}], total,
 * fell_back, terms, terms_matched, did_you_mean: {q, total} or null,
 * facets:{dim:[{value,count}]}}; highlights are HTML-escaped with <mark>
 * (highlight.h); did_you_mean is offered on a first page that found fewer
 * than SOUK_SEARCH_API_DYM_BELOW products or fell back, when the corrected
 * query (query.h, souk_search_correct) finds more. 400/422 for bad input. */
int souk_search_api_search(souk_req *req, souk_res *res);

/* GET /api/v1/search/suggest: q (required, 1..200 bytes, the last word a
 * prefix), limit 1..10 (default 5). 200 {data:[product summary + score],
 * suggestions:[{type, text, …}]}: data holds the best products whose
 * titles hold every word typed, ranked by title alone; suggestions lists,
 * typed, popular queries ("query", searches), categories and brands whose
 * names hold words starting with every word typed ("category" / "brand",
 * id, products), then those products ("product", id) — see
 * api_internal.h for the limits. */
int souk_search_api_suggest(souk_req *req, souk_res *res);

/* POST /api/v1/search/clicks (public, rate-limited): {query (1..1000
 * characters, as searched), product_id (prod_…), position (1..1000, 1 = the
 * first hit)} → 202 {recorded: bool} (false: the query folds to nothing, or
 * too many distinct queries this second); counted through
 * souk_search_analytics_click (analytics.h). 400 malformed JSON, 422 a bad
 * field. */
int souk_search_api_click(souk_req *req, souk_res *res);

/* GET /api/v1/admin/search/analytics (analytics:read): from, to (UTC days
 * YYYY-MM-DD, inclusive; default the 30 days up to today), limit (queries
 * per list, 1..1000, default 20), format (json | csv). JSON: {from, to,
 * days:[{day, queries, searches, zero_results, clicks, ctr,
 * mean_click_position, mean_results}], totals:{days, …the same sums},
 * top_queries:[{query, …}], zero_result_queries:[{query, …}]}; ratios
 * are null when their divisor is 0. CSV: one row per day and query (at
 * most SOUK_SEARCH_API_CSV_ROWS_MAX), header first. 422 on bad input. */
int souk_search_api_analytics(souk_req *req, souk_res *res);

/* GET /api/v1/admin/search/synonyms (catalog:write): 200 {rules:[string]}
 * as stored ([] when none were set). */
int souk_search_api_synonyms_get(souk_req *req, souk_res *res);

/* PUT /api/v1/admin/search/synonyms (catalog:write): {rules:[string]}
 * (0..10000 rules, each one line of 1..1000 characters, parsed as the
 * served index parses them: "a, b, c" or "a => b, c", each entry one
 * word). Replaces the stored rules, audited; 200 {rules} now in force,
 * applied to searches by the next rebuild (within about a second). 422
 * names the bad rule (rules[i]). */
int souk_search_api_synonyms_put(souk_req *req, souk_res *res);

/* GET /api/v1/admin/search/settings (catalog:write): 200 {weights:{…}},
 * every ranking weight in force (settings.h names them). */
int souk_search_api_settings_get(souk_req *req, souk_res *res);

/* PUT /api/v1/admin/search/settings (catalog:write): {weights:{…}}; the
 * weights given replace the stored ones, those left out take their
 * defaults; each within its range (settings.h), else 422 naming it
 * (weights.k1, weights.field.title). Audited; 200 {weights} now in force,
 * applied by the next rebuild (within about a second). */
int souk_search_api_settings_put(souk_req *req, souk_res *res);

#endif
