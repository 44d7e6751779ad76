/*
 * service.h — the search index a server serves: built from the database in
 * a background thread at start, rebuilt when the catalog's content or stock
 * version moves, published by the engine's atomic swap (index.h), so that
 * request handlers on the event loops only ever take a reference to an
 * immutable segment and never wait for a build. Also lends those handlers
 * text analysers (text.h; one per thread at a time) and reports the index
 * in /metrics:
 *   souk_search_index_ready              1 once a segment is served
 *   souk_search_index_products           documents of the current segment
 *   souk_search_index_bytes              bytes it holds
 *   souk_search_rebuilds_total           segments built and published
 *   souk_search_build_failures_total     builds that failed (retried)
 *   souk_search_build_seconds            duration of the last build
 *   souk_search_build_seconds_total      sum of all builds
 * One service per process.
 */
#ifndef SOUK_SEARCH_SERVICE_H
#define SOUK_SEARCH_SERVICE_H

#include <stdbool.h>

#include "search/index.h"
#include "search/text.h"

/* The store version `souk reindex` touches: a running server rebuilds at
 * its next poll, as for a catalog change. */
#define SOUK_SEARCH_REINDEX_VERSION "search_reindex"

/* How often the builder thread compares the versions (milliseconds). */
#define SOUK_SEARCH_POLL_MS 100
/* How long the builder thread waits after a failed build before the next poll. */
#define SOUK_SEARCH_RETRY_MS 1000
/* The delta (docs/internals/search.md, "Freshness: the delta"): changes are
 * read back this far before the last look (clock skew and commit lag: a
 * product seen twice is only indexed twice); a merge into a new base starts
 * when the delta holds more than the base's products / FRACTION (at least
 * MIN), or has held any for AGE_S seconds. */
#define SOUK_SEARCH_DELTA_MARGIN_MS 5000
#define SOUK_SEARCH_DELTA_MERGE_FRACTION 100
#define SOUK_SEARCH_DELTA_MERGE_MIN 1000
#define SOUK_SEARCH_DELTA_MERGE_AGE_S 600

typedef struct souk_search_service_opts {
    const char *db_dsn;          /* the database (migrated already); the thread opens its own connection */
    const char *currency;        /* prices are indexed in this currency (the store's) */
    const char *language;        /* analyser language (NULL = English) */
    const char *content_version; /* souk_store_version names whose moves trigger a rebuild */
    const char *stock_version;   /* (either may be NULL) */
    void (*on_publish)(void);    /* called on a builder thread after each segment is published (what search
                                  * answers may have changed), e.g. to drop cached pages drawn from it; or NULL */
} souk_search_service_opts;

/* Starts the builder thread with OPTS (copied): it builds the first segment
 * at once, then every SOUK_SEARCH_POLL_MS reads the two versions, the
 * search settings' (settings.h) and SOUK_SEARCH_REINDEX_VERSION. When the
 * content version moved it reads which products changed since the served
 * base was built (migration 0123's views), when the stock version moved
 * which products' in-stock flag differs from the served one, and publishes
 * the base with those products tombstoned plus a delta segment of their
 * current form. A second thread merges: it builds a full segment, which
 * becomes the new base, when the settings, the reindex version or the
 * taxonomy moved, or the delta grew (SOUK_SEARCH_DELTA_*). A failed build
 * is logged, counted and tried again SOUK_SEARCH_RETRY_MS later.
 * Returns 0, or -1 (logged) when the options are too long, the language
 * is unknown, or the thread cannot start. Not thread-safe; call once before serving. */
int souk_search_service_start(const souk_search_service_opts *opts);

/* Stops the thread (a build in progress finishes first) and drops the
 * served segment, when started; frees the analysers kept for lending
 * (none may be lent out). No handler may use the service afterwards. */
void souk_search_service_stop(void);

/* True between start and stop. */
bool souk_search_service_enabled(void);

/* The currency prices are indexed in ("" when not started). */
const char *souk_search_service_currency(void);

/* The current segment with a reference for the caller (release it with
 * souk_search_segment_unref), or NULL before the first build finished or
 * when the service is not running. Never blocks. */
souk_search_segment *souk_search_service_acquire(void);

/* An analyser for LANGUAGE (a segment's), lent to the calling thread until
 * souk_search_service_text_put: one of a fixed set when one is free and
 * of LANGUAGE, else a new one. NULL when memory runs out. */
souk_search_text *souk_search_service_text(const char *language);

/* Gives back an analyser from souk_search_service_text. NULL is allowed. */
void souk_search_service_text_put(souk_search_text *t);

#endif
