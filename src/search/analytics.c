/*
 * analytics.c — the in-memory aggregate of searches and clicks and its
 * flusher thread (see analytics.h and docs/internals/search.md,
 * "Analytics").
 *
 * Two fixed tables of (day, query) → counters, open addressing with linear
 * probing (TABLE_SLOTS, twice the key cap, so a probe stays short): the
 * live one takes records under a mutex; a flush swaps it with the empty
 * spare under the same mutex, writes the spare without holding the lock,
 * and empties it (only the slots it used). A failed write adds the spare's
 * counts back into the live table, so nothing is lost unless the live table
 * fills up meanwhile (then counted as dropped).
 */
#include "search/analytics.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "search/service.h"
#include "core/banned.h"

#define TABLE_SLOTS 8192 /* a power of two, ≥ 2 × SOUK_SEARCH_ANALYTICS_KEYS_MAX */
#define US_PER_DAY INT64_C(86400000000)

typedef struct entry {
    int64_t searches, results, zero, clicks, position_sum;
    int32_t day; /* days since the epoch */
    uint16_t qlen;
    bool used;
    char q[SOUK_SEARCH_ANALYTICS_QUERY_MAX + 1];
} entry;

typedef struct table {
    entry *slots;    /* TABLE_SLOTS, allocated on first use */
    uint16_t *order; /* the used slots, in the order they were taken */
    size_t n;        /* used slots */
} table;

static struct {
    pthread_mutex_t mu;       /* the live table and the metric handles */
    pthread_mutex_t flush_mu; /* one flush at a time */
    table tabs[2];
    int live; /* index of the live table */
    bool metrics_ready;
    int m_flushes, m_failures, m_dropped;
    bool started;
    atomic_bool stop;
    pthread_t thread;
    pthread_cond_t wake;
    char dsn[1024];
} an = {.mu = PTHREAD_MUTEX_INITIALIZER, .flush_mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* Registers the metrics once (under an.mu). */
static void metrics_init(void)
{
    if (an.metrics_ready)
        return;
    an.m_flushes = souk_metrics_series("souk_search_analytics_flushes_total", "", SOUK_METRIC_COUNTER,
                                       "search analytics flushes written to the database");
    an.m_failures = souk_metrics_series("souk_search_analytics_flush_failures_total", "", SOUK_METRIC_COUNTER,
                                        "search analytics flushes that failed (counts kept for the next)");
    an.m_dropped = souk_metrics_series("souk_search_analytics_dropped_total", "", SOUK_METRIC_COUNTER,
                                       "searches and clicks not recorded: too many distinct queries in one second");
    an.metrics_ready = true;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

long souk_search_analytics_normalise(souk_search_text *t, const char *q, size_t len, char *out)
{
    const char *f;
    long flen = souk_search_text_fold(t, q, len, &f);
    if (flen < 0)
        return -1;
    size_t n = 0;
    bool space = false;
    for (long i = 0; i < flen; i++) {
        unsigned char c = (unsigned char)f[i];
        if (is_space(c)) {
            space = n > 0;
            continue;
        }
        if (n + (space ? 2 : 1) > SOUK_SEARCH_ANALYTICS_QUERY_MAX) {
            if ((c & 0xC0) == 0x80) { /* the cut splits a character: drop its first bytes */
                while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
                    n--;
                if (n > 0 && ((unsigned char)out[n - 1] & 0x80))
                    n--;
            }
            break;
        }
        if (space)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)c;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    return (long)n;
}

char *souk_search_analytics_day(int64_t us, char *day)
{
    int64_t d = us >= 0 ? us / US_PER_DAY : -((-us + US_PER_DAY - 1) / US_PER_DAY);
    time_t secs = (time_t)(d * 86400);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(day, SOUK_SEARCH_ANALYTICS_DAY_LEN, "%Y-%m-%d", &tm);
    return day;
}

/* The slot of (DAY, Q) in TAB, taken when free and the cap allows; NULL when
 * the table is full. Under an.mu (or on a table no other thread sees). */
static entry *slot_of(table *tab, int32_t day, const char *q, size_t qlen)
{
    if (!tab->slots) {
        tab->slots = calloc(TABLE_SLOTS, sizeof *tab->slots);
        tab->order = malloc(sizeof *tab->order * SOUK_SEARCH_ANALYTICS_KEYS_MAX);
        if (!tab->slots || !tab->order) {
            free(tab->slots);
            free(tab->order);
            tab->slots = NULL;
            tab->order = NULL;
            return NULL;
        }
    }
    uint64_t h = souk_hash64(q, qlen) ^ ((uint64_t)(uint32_t)day * UINT64_C(0x9E3779B97F4A7C15));
    for (size_t i = (size_t)h & (TABLE_SLOTS - 1);; i = (i + 1) & (TABLE_SLOTS - 1)) {
        entry *e = &tab->slots[i];
        if (!e->used) {
            if (tab->n >= SOUK_SEARCH_ANALYTICS_KEYS_MAX)
                return NULL;
            e->used = true;
            e->day = day;
            e->qlen = (uint16_t)qlen;
            memcpy(e->q, q, qlen);
            e->q[qlen] = '\0';
            tab->order[tab->n++] = (uint16_t)i;
            return e;
        }
        if (e->day == day && e->qlen == qlen && memcmp(e->q, q, qlen) == 0)
            return e;
    }
}

/* Adds the counters of SRC to (DAY, Q) of the live table. 0, or 1 when it was full. Under an.mu. */
static int add_live(int32_t day, const char *q, size_t qlen, const entry *src)
{
    entry *e = slot_of(&an.tabs[an.live], day, q, qlen);
    if (!e) {
        metrics_init();
        souk_metrics_series_add(an.m_dropped, 1);
        return 1;
    }
    e->searches += src->searches;
    e->results += src->results;
    e->zero += src->zero;
    e->clicks += src->clicks;
    e->position_sum += src->position_sum;
    return 0;
}

int souk_search_analytics_record_at(int kind, const char *q, size_t len, uint64_t total, int position, int64_t at_us)
{
    if (kind == 1 && (position < 1 || position > SOUK_SEARCH_ANALYTICS_POSITION_MAX))
        return -2;
    char norm[SOUK_SEARCH_ANALYTICS_QUERY_MAX + 1];
    souk_search_text *t = souk_search_service_text(NULL);
    if (!t)
        return -1;
    long n = souk_search_analytics_normalise(t, q ? q : "", q ? len : 0, norm);
    souk_search_service_text_put(t);
    if (n < 0)
        return -1;
    if (n == 0)
        return 1;
    entry add = {0};
    if (kind == 0) {
        add.searches = 1;
        add.results = total > INT64_MAX ? INT64_MAX : (int64_t)total;
        add.zero = total == 0;
    } else {
        add.clicks = 1;
        add.position_sum = position;
    }
    int64_t d = at_us >= 0 ? at_us / US_PER_DAY : -((-at_us + US_PER_DAY - 1) / US_PER_DAY);
    pthread_mutex_lock(&an.mu);
    int r = add_live((int32_t)d, norm, (size_t)n, &add);
    pthread_mutex_unlock(&an.mu);
    return r;
}

int souk_search_analytics_search(const char *q, size_t len, uint64_t total)
{
    return souk_search_analytics_record_at(0, q, len, total, 0, souk_time_now_us());
}

int souk_search_analytics_click(const char *q, size_t len, int64_t product_id, int position)
{
    if (product_id <= 0)
        return -2;
    return souk_search_analytics_record_at(1, q, len, 0, position, souk_time_now_us());
}

static int write_rows(souk_store *db, void *ctx)
{
    const table *tab = ctx;
    for (size_t i = 0; i < tab->n; i++) {
        const entry *e = &tab->slots[tab->order[i]];
        char day[SOUK_SEARCH_ANALYTICS_DAY_LEN];
        souk_search_analytics_day((int64_t)e->day * US_PER_DAY, day);
        int r = souk_store_exec(
            db,
            "INSERT INTO search_query_stats (day, query, searches, results_sum, zero_results, clicks, "
            "click_position_sum) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (day, query) DO UPDATE SET "
            "searches = search_query_stats.searches + excluded.searches, "
            "results_sum = search_query_stats.results_sum + excluded.results_sum, "
            "zero_results = search_query_stats.zero_results + excluded.zero_results, "
            "clicks = search_query_stats.clicks + excluded.clicks, "
            "click_position_sum = search_query_stats.click_position_sum + excluded.click_position_sum",
            SOUK_ARGS(SOUK_TEXT(day), SOUK_TEXTN(e->q, e->qlen), SOUK_I64(e->searches), SOUK_I64(e->results),
                      SOUK_I64(e->zero), SOUK_I64(e->clicks), SOUK_I64(e->position_sum)));
        if (r < 0)
            return r;
    }
    return 0;
}

/* Empties TAB (only the slots it used). */
static void clear(table *tab)
{
    for (size_t i = 0; i < tab->n; i++)
        tab->slots[tab->order[i]] = (entry){0};
    tab->n = 0;
}

int souk_search_analytics_flush(souk_store *db)
{
    pthread_mutex_lock(&an.flush_mu);
    pthread_mutex_lock(&an.mu);
    metrics_init();
    table *out = &an.tabs[an.live];
    an.live ^= 1;
    pthread_mutex_unlock(&an.mu);
    int rows = (int)out->n, rc = rows;
    if (rows > 0) {
        int r = souk_store_tx(db, write_rows, out);
        souk_store_idle(db);
        if (r < 0) {
            souk_metrics_series_add(an.m_failures, 1);
            souk_log_error("search analytics: flush of %d rows failed: %s", rows, souk_store_errmsg(db));
            pthread_mutex_lock(&an.mu);
            for (size_t i = 0; i < out->n; i++) {
                const entry *e = &out->slots[out->order[i]];
                add_live(e->day, e->q, e->qlen, e);
            }
            pthread_mutex_unlock(&an.mu);
            rc = -1;
        } else
            souk_metrics_series_add(an.m_flushes, 1);
        clear(out);
    }
    pthread_mutex_unlock(&an.flush_mu);
    return rc;
}

static void *flusher(void *arg)
{
    (void)arg;
    souk_store *db = NULL;
    char err[512];
    bool last = false;
    while (!last) {
        pthread_mutex_lock(&an.mu);
        if (!atomic_load(&an.stop)) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += SOUK_SEARCH_ANALYTICS_FLUSH_MS / 1000;
            until.tv_nsec += (long)(SOUK_SEARCH_ANALYTICS_FLUSH_MS % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&an.wake, &an.mu, &until);
        }
        last = atomic_load(&an.stop);
        pthread_mutex_unlock(&an.mu);
        if (!db && souk_store_open(&db, an.dsn, err, sizeof err) < 0) {
            db = NULL;
            souk_log_error("search analytics: cannot open the database: %s", err);
            continue;
        }
        if (souk_search_analytics_flush(db) < 0) {
            souk_store_close(db); /* start afresh: the connection may be what failed */
            db = NULL;
        }
    }
    souk_store_close(db);
    return NULL;
}

int souk_search_analytics_start(const char *dsn)
{
    if (an.started)
        return 0;
    size_t n = strlen(dsn);
    if (n >= sizeof an.dsn) {
        souk_log_error("search analytics: the database name is too long");
        return -1;
    }
    memcpy(an.dsn, dsn, n + 1);
    pthread_mutex_lock(&an.mu);
    metrics_init();
    pthread_mutex_unlock(&an.mu);
    atomic_store(&an.stop, false);
    if (pthread_create(&an.thread, NULL, flusher, NULL) != 0) {
        souk_log_error("search analytics: cannot start the flusher thread");
        return -1;
    }
    an.started = true;
    return 0;
}

void souk_search_analytics_stop(void)
{
    if (!an.started)
        return;
    pthread_mutex_lock(&an.mu);
    atomic_store(&an.stop, true);
    pthread_cond_signal(&an.wake);
    pthread_mutex_unlock(&an.mu);
    pthread_join(an.thread, NULL);
    an.started = false;
}
