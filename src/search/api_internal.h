/*
 * api_internal.h — what the HTTP files of search (api*.c) share. Not for
 * other directories.
 */
#ifndef SOUK_SEARCH_API_INTERNAL_H
#define SOUK_SEARCH_API_INTERNAL_H

#include "http/http.h"
#include "search/index.h"

#define SOUK__SEARCH_SUGGEST_QUERIES 5     /* popular queries per suggestion answer */
#define SOUK__SEARCH_SUGGEST_NAMES 3       /* categories, and brands, per answer */
#define SOUK__SEARCH_SUGGEST_POPULAR_MIN 3 /* searches a query needs to be suggested to others */
#define SOUK__SEARCH_SUGGEST_DAYS 30       /* popular over the last days */

/* Appends ,"suggestions":[{type, text, id?, …}] for what was typed, Q (LEN
 * bytes), to RES's body: popular queries (type "query", with "searches"),
 * categories and brands of SEG (type "category" / "brand", with "id" and
 * "products"), then the products PRODUCT_IDS[0..N) with their titles (type
 * "product", "id"). 0, or the error set on RES. */
int souk__search_api_suggestions(souk_req *req, souk_res *res, const souk_search_segment *seg, const char *q,
                                 size_t len, const int64_t *product_ids, size_t n);

#endif
