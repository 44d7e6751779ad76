/*
 * popularity.c — the popularity signal of the ranking: per product, the
 * behaviour events of the last SOUK__SEARCH_POPULARITY_DAYS weighted by type
 * (view and search click 1, add to cart 3, purchase 5) and decayed with a
 * half-life of SOUK__SEARCH_POPULARITY_HALF_LIFE_DAYS, summed by the
 * database in one grouped query. The index is rebuilt whenever the catalog
 * or the stock state moves, so the result is kept on the connection (a
 * store memo) and read again only when older than
 * SOUK__SEARCH_POPULARITY_TTL_S: popularity moves slowly, and a scan of a
 * month of events at every rebuild would cost more than the rebuild.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/time.h"
#include "search/internal.h"
#include "core/banned.h"

static const char memo_key[] = "search.popularity";

static void popularity_free(void *p)
{
    souk__search_popularity *x = p;
    if (!x)
        return;
    free(x->ids);
    free(x->scores);
    free(x);
}

static souk__search_popularity *read_popularity(souk_store *db, int64_t now)
{
    souk__search_popularity *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->at_us = now;
    double tau_us = SOUK__SEARCH_POPULARITY_HALF_LIFE_DAYS * 86400.0 * 1e6 / log(2.0);
    /* milli-units: the column API reads integers */
    souk_stmt *st = souk_store_query(
        db,
        "SELECT product_id, CAST(1000 * SUM(CASE type WHEN 20 THEN 5 WHEN 5 THEN 3 ELSE 1 END * "
        "exp(CAST(at - $1 AS DOUBLE PRECISION) / $2)) AS INTEGER) FROM search_product_events WHERE at >= $3 "
        "GROUP BY product_id ORDER BY product_id",
        SOUK_ARGS(SOUK_I64(now), SOUK_I64((int64_t)tau_us),
                  SOUK_I64(now - (int64_t)SOUK__SEARCH_POPULARITY_DAYS * 86400 * 1000000)));
    size_t cap = 0, scap = 0;
    int rc;
    while ((rc = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if ((p->n == cap && souk_grow(&p->ids, &cap, p->n + 1, sizeof *p->ids) < 0) ||
            (p->n == scap && souk_grow(&p->scores, &scap, p->n + 1, sizeof *p->scores) < 0)) {
            souk_stmt_done(st);
            popularity_free(p);
            return NULL;
        }
        int64_t milli = souk_stmt_i64(st, 1);
        p->ids[p->n] = souk_stmt_i64(st, 0);
        p->scores[p->n++] = milli > 0 ? (double)milli / 1000.0 : 0.0;
    }
    if (rc != SOUK_DB_DONE) {
        popularity_free(p);
        return NULL;
    }
    return p;
}

const souk__search_popularity *souk__search_popularity_get(souk_store *db)
{
    int64_t now = souk_time_now_us();
    souk__search_popularity *p = souk_store_memo(db, memo_key);
    if (p && now - p->at_us < (int64_t)SOUK__SEARCH_POPULARITY_TTL_S * 1000000)
        return p;
    souk__search_popularity *fresh = read_popularity(db, now);
    if (!fresh)
        return p; /* keep serving the older numbers (or none) */
    if (souk_store_memo_set(db, memo_key, fresh, popularity_free) < 0) {
        popularity_free(fresh);
        return p;
    }
    return fresh;
}

double souk__search_popularity_of(const souk__search_popularity *p, int64_t id)
{
    if (!p || !p->n)
        return 0;
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->n && p->ids[lo] == id ? p->scores[lo] : 0;
}
