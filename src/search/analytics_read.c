/*
 * analytics_read.c — what other features read back from the search
 * analytics tables: popular queries for suggestions (analytics.h).
 */
#include <string.h>

#include "search/analytics.h"
#include "core/banned.h"

/* The least string above every string that starts with a prefix: the
 * prefix, then the highest code point (U+10FFFF), bytewise. */
#define ABOVE "\xf4\x8f\xbf\xbf"

long souk_search_analytics_popular(souk_store *db, const char *prefix, size_t len, const char *since,
                                   int64_t min_searches, souk_arena *a, const char **out, int64_t *counts, size_t max)
{
    char *hi = souk_arena_alloc(a, len + sizeof ABOVE);
    if (!hi)
        return SOUK_DB_HARD;
    memcpy(hi, prefix, len);
    memcpy(hi + len, ABOVE, sizeof ABOVE);
    souk_stmt *st = souk_store_query(db,
                                     "SELECT query, CAST(SUM(searches) AS BIGINT) FROM search_query_stats "
                                     "WHERE query >= $1 AND query < $2 AND day >= $3 GROUP BY query "
                                     "HAVING SUM(searches) >= $4 AND SUM(zero_results) < SUM(searches) "
                                     "ORDER BY SUM(searches) DESC, query LIMIT $5",
                                     SOUK_ARGS(SOUK_TEXTN(prefix, len), SOUK_TEXT(hi), SOUK_TEXT(since),
                                               SOUK_I64(min_searches), SOUK_I64((int64_t)max)));
    long n = 0;
    int r;
    char *q;
    int64_t c;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_ARENA(&q, a), SOUK_COL_I64(&c)))) == SOUK_DB_ROW &&
           (size_t)n < max) {
        out[n] = q;
        counts[n++] = c;
    }
    souk_stmt_done(st);
    return r < 0 ? r : n;
}
