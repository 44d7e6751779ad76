/*
 * analytics.h — search analytics: what shoppers searched, how many results
 * they got, and what they clicked, per UTC day and normalised query.
 *
 * Recording never touches the database: searches and clicks are added to
 * an in-memory table (a mutex held for a hash-table update), bounded to
 * SOUK_SEARCH_ANALYTICS_KEYS_MAX distinct (day, query) pairs between two
 * flushes (past that, new pairs are dropped and counted; known pairs still
 * count). A flusher thread with its own connection writes the table about
 * once a second (SOUK_SEARCH_ANALYTICS_FLUSH_MS) into search_query_stats
 * (migration 0091) in one transaction, adding to the day's rows with
 * INSERT … ON CONFLICT … DO UPDATE; under `souk serve` that transaction is
 * group-committed like every other write. So the HTTP loops never write,
 * and a busy search route costs one row per query a second, not one per
 * search. A failed flush puts its counts back for the next one.
 *
 * Normalised query: folded as the search folds text (case, accents,
 * compatibility forms; text.h), runs of white space made one space,
 * trimmed, cut to at most SOUK_SEARCH_ANALYTICS_QUERY_MAX bytes at a
 * character boundary. An empty result is not recorded.
 *
 * Metrics: souk_search_analytics_flushes_total,
 * souk_search_analytics_flush_failures_total,
 * souk_search_analytics_dropped_total (records not kept: the table was
 * full).
 */
#ifndef SOUK_SEARCH_ANALYTICS_H
#define SOUK_SEARCH_ANALYTICS_H

#include <stddef.h>
#include <stdint.h>

#include "search/text.h"
#include "store/store.h"

#define SOUK_SEARCH_ANALYTICS_QUERY_MAX 200     /* bytes of a normalised query */
#define SOUK_SEARCH_ANALYTICS_KEYS_MAX 4096     /* distinct (day, query) pairs between two flushes */
#define SOUK_SEARCH_ANALYTICS_FLUSH_MS 1000     /* how often the flusher writes */
#define SOUK_SEARCH_ANALYTICS_POSITION_MAX 1000 /* a clicked position is 1..this (search's deepest hit) */
#define SOUK_SEARCH_ANALYTICS_DAY_LEN 11        /* "YYYY-MM-DD" + NUL */

/* Normalises LEN bytes of the query Q with analyser T (any language:
 * folding does not depend on it) into OUT, which holds at least
 * SOUK_SEARCH_ANALYTICS_QUERY_MAX + 1 bytes, NUL-terminated. Returns the
 * length (0: nothing but white space), or -1 when memory runs out. */
long souk_search_analytics_normalise(souk_search_text *t, const char *q, size_t len, char *out);

/* Writes the UTC day of US (microseconds since the epoch) as "YYYY-MM-DD"
 * into DAY (SOUK_SEARCH_ANALYTICS_DAY_LEN bytes); returns DAY. */
char *souk_search_analytics_day(int64_t us, char *day);

/* Records one search for the query Q (LEN bytes, as typed) that found
 * TOTAL results, now. Call it once per search a shopper made (the first
 * page), from any thread; it never blocks on the database. Returns 0 (kept),
 * 1 (not kept: an empty query, or the table is full), or -1 (memory). */
int souk_search_analytics_search(const char *q, size_t len, uint64_t total);

/* Records a click on the result at POSITION (1 = the first hit,
 * 1..SOUK_SEARCH_ANALYTICS_POSITION_MAX) of the query Q (LEN bytes, as
 * typed; normalised here), now. PRODUCT_ID is the product clicked (> 0);
 * the aggregates do not keep it today. This is the one way to count a
 * click: POST /api/v1/search/clicks calls it, and so may other modules
 * (the events API's search_click events), from any thread; it never
 * blocks on the database. Returns 0 (kept), 1 (not kept: an empty query or
 * the table is full), -1 (memory) or -2 (POSITION or PRODUCT_ID out of
 * range: the caller validates first). */
int souk_search_analytics_click(const char *q, size_t len, int64_t product_id, int position);

/* What the two functions above do, at the time AT_US (tests). KIND 0 is a
 * search with TOTAL results, 1 a click at POSITION. Same returns. */
int souk_search_analytics_record_at(int kind, const char *q, size_t len, uint64_t total, int position, int64_t at_us);

/* Writes everything recorded so far into search_query_stats on DB, in one
 * write transaction, and empties the in-memory table. The flusher thread
 * calls it; tests and one-shot commands may too (one caller at a time).
 * Returns the number of (day, query) rows written (≥ 0), or -1 (the
 * database failed: the counts are kept for the next flush). */
int souk_search_analytics_flush(souk_store *db);

/* Popular queries for suggestions: the normalised queries of DB starting
 * with PREFIX (normalised already, LEN bytes), searched at least MIN_SEARCHES
 * times since the UTC day SINCE ("YYYY-MM-DD") and not always in vain (some
 * search found a product), most searched first: at most MAX into OUT
 * (strings in arena A) with their search counts in COUNTS. Prefixes
 * compare bytewise (PostgreSQL: the column needs the C collation). Returns
 * how many, or a negative souk_db_status. */
long souk_search_analytics_popular(souk_store *db, const char *prefix, size_t len, const char *since,
                                   int64_t min_searches, souk_arena *a, const char **out, int64_t *counts, size_t max);

/* Starts the flusher thread, which opens its own connection to DSN (the
 * database must be migrated) and flushes every SOUK_SEARCH_ANALYTICS_FLUSH_MS.
 * Returns 0, or -1 (logged) when DSN is too long or the thread cannot
 * start. Call once, before serving; recording works without it (the
 * counts then wait in memory, bounded). */
int souk_search_analytics_start(const char *dsn);

/* Stops the flusher thread after a last flush, when it was started. */
void souk_search_analytics_stop(void);

#endif
