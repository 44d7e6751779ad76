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
#define SOUK_SEARCH_API_LIMIT_DEFAULT 20     /* hits per page when no limit is given */
#define SOUK_SEARCH_API_SUGGEST_MAX 10       /* suggestions per answer */
#define SOUK_SEARCH_API_SUGGEST_Q_MAX 200    /* bytes of what was typed */
#define SOUK_SEARCH_API_FACETS_TEXT_MAX 1000 /* bytes of the facets parameter */

/* GET /api/v1/search: q (required; words, "phrases", -exclusions), the
 * product list's filters (category with its subtree, brand, vendor,
 * price_min/price_max in the store currency, in_stock=true, attr.NAME),
 * sort, facets, limit and offset. 200 {data:[product summary + score],
 * total, fell_back, terms, terms_matched, facets:{dim:[{value,count}]}};
 * 400/422 for bad input. */
int souk_search_api_search(souk_req *req, souk_res *res);

/* GET /api/v1/search/suggest: q (required, 1..200 bytes, the last word a
 * prefix), limit 1..10 (default 5). 200 {data:[product summary + score]}:
 * the best products whose titles hold every word typed, ranked by title
 * alone. */
int souk_search_api_suggest(souk_req *req, souk_res *res);

#endif
