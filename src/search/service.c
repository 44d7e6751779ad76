/*
 * service.c — the served search index: one builder thread with its own
 * database connection, polling the store versions and publishing fresh
 * segments through the engine's swap (see service.h and
 * docs/internals/search.md, "Serving").
 *
 * Freshness: the versions are read before a build starts, and the build
 * reads its own snapshot afterwards, so a segment holds at least what the
 * versions it is recorded under describe; a change racing with the build
 * moves a version again and is picked up at the next poll. A change is
 * served at most one poll plus one build after its commit.
 */
#include "search/service.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/time.h"
#include "search/settings.h"
#include "core/grow.h"
#include "core/banned.h"

#define TEXTS 16 /* analysers kept for handlers */

typedef struct lent_text {
    souk_search_text text;
    atomic_flag busy;
    bool ready; /* initialised (for the language in text.language) */
} lent_text;

static struct {
    bool started;
    atomic_bool stop;
    pthread_t thread;
    souk_search_engine engine;
    char dsn[1024], currency[4], language[32], content[64], stock[64];
    void (*on_publish)(void);
    int m_ready, m_products, m_bytes, m_rebuilds, m_failures, m_ms, m_ms_total, m_delta, m_tombs, m_merges, m_delta_ms,
        m_delta_builds;
    pthread_mutex_t texts_mu; /* initialising a lent analyser */
    lent_text texts[TEXTS];
} svc = {.texts_mu = PTHREAD_MUTEX_INITIALIZER};

static int copy_opt(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        return -1;
    memcpy(dst, src ? src : "", n + 1);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* The version NAME of DB (0 for no name), or -1 on a database error. */
static int64_t version_of(souk_store *db, const char *name)
{
    return *name ? souk_store_version(db, name) : 0;
}

/* Gives SEG the admin's settings stored in DB (settings.h); when they
 * cannot be read or no longer parse, logs why and keeps the defaults, so
 * search goes on. */
static void attach_settings(souk_store *db, souk_search_segment *seg)
{
    souk_search_text t;
    if (souk_search_text_init(&t, souk_search_segment_language(seg)) < 0) {
        souk_log_error("search index: no analyser for the settings; searching without them");
        return;
    }
    char err[512];
    souk_search_weights w;
    bool has_w;
    souk_search_synonyms *syn;
    if (souk_search_settings_load(db, &t, &w, &has_w, &syn, err, sizeof err) < 0)
        souk_log_error("search index: %s; searching with the defaults", err);
    else
        souk_search_segment_set_settings(seg, syn, has_w ? &w : NULL);
    souk_search_text_release(&t);
}

/* ---- the delta ---- */

/* A sorted set of product ids: those changed since the base was built. */
typedef struct idset {
    int64_t *v;
    size_t n, cap;
} idset;

static int by_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static int idset_push(idset *s, int64_t id)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        int64_t *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = id;
    return 0;
}

/* Sorts S and drops repeats; returns how many ids are new since the last call (FROM were there). */
static size_t idset_settle(idset *s, size_t from)
{
    size_t before = from;
    souk_sort(s->v, s->n, sizeof *s->v, by_i64);
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        if (m == 0 || s->v[m - 1] != s->v[i])
            s->v[m++] = s->v[i];
    s->n = m;
    return m > before ? m - before : 0;
}

/* Adds to S the products changed at or after SINCE_US (catalog and rating
 * changes, published in migration 0123); *FOUND counts the rows. 0 or -1. */
static int changes_since(souk_store *db, int64_t since_us, idset *s, size_t *found)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT product_id FROM search_product_changes WHERE changed_at >= $1 "
                                     "UNION SELECT product_id FROM search_rating_changes WHERE changed_at >= $1",
                                     SOUK_ARGS(SOUK_I64(since_us)));
    int r;
    *found = 0;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if (idset_push(s, souk_stmt_i64(st, 0)) < 0) {
            souk_stmt_done(st);
            return -1;
        }
        (*found)++;
    }
    return r == SOUK_DB_DONE ? 0 : -1;
}

/* Adds to S the products whose in-stock flag in the database differs from
 * SERVED's (a variant sold out or back: stock changes move no catalog
 * timestamp); *FOUND counts them. 0 or -1. */
static int stock_moves(souk_store *db, souk_search_segment *served, idset *s, size_t *found)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT product_id, MAX(in_stock) FROM search_product_skus "
                                     "GROUP BY product_id",
                                     NULL);
    int r;
    *found = 0;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        int64_t id = souk_stmt_i64(st, 0);
        int was = souk_search_segment_in_stock(served, id);
        if (was >= 0 && was != (souk_stmt_i64(st, 1) != 0)) {
            if (idset_push(s, id) < 0) {
                souk_stmt_done(st);
                return -1;
            }
            (*found)++;
        }
    }
    return r == SOUK_DB_DONE ? 0 : -1;
}

/* The background merge: a full build on its own thread and connection,
 * handed to the builder thread, which adopts it as the new base. */
static struct {
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool want, busy;
    souk_search_segment *done; /* a finished base, not yet adopted */
    int64_t done_since_us;     /* it holds every change committed before this (wall clock) */
} mg = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Asks for a merge unless one is asked for or running. */
static void merge_request(void)
{
    pthread_mutex_lock(&mg.mu);
    if (!mg.want && !mg.busy && !mg.done) {
        mg.want = true;
        pthread_cond_signal(&mg.cv);
    }
    pthread_mutex_unlock(&mg.mu);
}

static bool merge_pending(void)
{
    pthread_mutex_lock(&mg.mu);
    bool p = mg.want || mg.busy || mg.done;
    pthread_mutex_unlock(&mg.mu);
    return p;
}

/* A finished merge (the caller's reference) and its SINCE, or NULL. */
static souk_search_segment *merge_take(int64_t *since_us)
{
    pthread_mutex_lock(&mg.mu);
    souk_search_segment *s = mg.done;
    mg.done = NULL;
    *since_us = mg.done_since_us;
    pthread_mutex_unlock(&mg.mu);
    return s;
}

/* A full build into *OUT with the settings attached; SINCE_US the wall
 * clock before its snapshot, less the margin. 0 or -1 (logged, counted). */
static int full_build(souk_store *db, souk_search_segment **out, int64_t *since_us)
{
    char err[512];
    *since_us = souk_time_now_us() - SOUK_SEARCH_DELTA_MARGIN_MS * 1000;
    int64_t t0 = souk_time_mono_us();
    if (souk_search_build(db, svc.currency, *svc.language ? svc.language : NULL, out, err, sizeof err) < 0) {
        souk_metrics_series_add(svc.m_failures, 1);
        souk_log_error("search index: build failed: %s", err);
        return -1;
    }
    attach_settings(db, *out);
    int64_t ms = (souk_time_mono_us() - t0) / 1000;
    souk_metrics_series_set(svc.m_ms, ms);
    souk_metrics_series_add(svc.m_ms_total, ms);
    return 0;
}

static void *merger(void *arg)
{
    (void)arg;
    souk_thread_background("souk-merge"); /* a merge may wait; queries and the delta may not */
    souk_store *db = NULL;
    char err[512];
    for (;;) {
        pthread_mutex_lock(&mg.mu);
        while (!mg.want && !atomic_load(&svc.stop))
            pthread_cond_wait(&mg.cv, &mg.mu);
        bool go = mg.want && !atomic_load(&svc.stop);
        mg.want = false;
        mg.busy = go;
        pthread_mutex_unlock(&mg.mu);
        if (!go)
            break;
        souk_search_segment *seg = NULL;
        int64_t since = 0;
        if (!db && souk_store_open(&db, svc.dsn, err, sizeof err) < 0) {
            db = NULL;
            souk_log_error("search index: merge cannot open the database: %s", err);
        } else if (full_build(db, &seg, &since) < 0) {
            souk_store_close(db); /* start afresh next time */
            db = NULL;
        } else {
            souk_store_idle(db);
        }
        pthread_mutex_lock(&mg.mu);
        mg.busy = false;
        if (seg) {
            mg.done = seg;
            mg.done_since_us = since;
            souk_metrics_series_add(svc.m_merges, 1);
        }
        pthread_mutex_unlock(&mg.mu);
        if (!seg)
            sleep_ms(SOUK_SEARCH_RETRY_MS);
    }
    souk_store_close(db);
    return NULL;
}

/* Publishes SEG (taking over the caller's reference) and keeps one in *SERVED. */
static void publish(souk_search_segment **served, souk_search_segment *seg)
{
    souk_search_segment_unref(*served);
    *served = souk_search_segment_ref(seg);
    souk_metrics_series_set(svc.m_products, souk_search_segment_docs(seg));
    souk_metrics_series_set(svc.m_bytes, (int64_t)souk_search_segment_bytes(seg));
    souk_metrics_series_set(svc.m_delta, souk_search_segment_delta_docs(seg));
    souk_metrics_series_set(svc.m_tombs, souk_search_segment_tombstones(seg));
    souk_search_engine_publish(&svc.engine, seg);
    if (svc.on_publish)
        svc.on_publish();
    souk_metrics_series_add(svc.m_rebuilds, 1);
    souk_metrics_series_set(svc.m_ready, 1);
}

/* Builds the delta of IDS over BASE and publishes the composite. 0 or -1. */
static int publish_delta(souk_store *db, souk_search_segment *base, const idset *ids, souk_search_segment **served)
{
    char err[512];
    int64_t t0 = souk_time_mono_us();
    souk_search_segment *delta = NULL, *comp = NULL;
    if (souk_search_build_ids(db, svc.currency, *svc.language ? svc.language : NULL, ids->v, ids->n, &delta, err,
                              sizeof err) < 0) {
        souk_metrics_series_add(svc.m_failures, 1);
        souk_log_error("search index: delta build failed: %s", err);
        return -1;
    }
    int rc = souk_search_segment_compose(base, delta, ids->v, ids->n, &comp);
    souk_search_segment_unref(delta);
    if (rc != 0) {
        souk_log_error("search index: out of memory composing the delta");
        return -1;
    }
    publish(served, comp);
    souk_metrics_series_set(svc.m_delta_ms, (souk_time_mono_us() - t0) / 1000);
    souk_metrics_series_add(svc.m_delta_builds, 1);
    return 0;
}

/* The builder thread: a full build first, then at every poll the products
 * changed since the base into a delta over it (see docs/internals/search.md,
 * "Freshness: the delta"), and a background merge into a new base when the
 * delta grows, grows old, or the settings or the taxonomy changed. */
static void *builder(void *arg)
{
    (void)arg;
    souk_thread_name("souk-index");
    souk_store *db = NULL;
    char err[512];
    souk_search_segment *base = NULL, *served = NULL;
    idset ids = {0};
    int64_t since = 0, last_check = 0, base_at = 0, tax_asked = -1;
    int64_t built_content = -1, built_stock = -1, built_settings = -1, built_reindex = -1;
    while (!atomic_load(&svc.stop)) {
        if (!db && souk_store_open(&db, svc.dsn, err, sizeof err) < 0) {
            db = NULL;
            souk_metrics_series_add(svc.m_failures, 1);
            souk_log_error("search index: cannot open the database: %s", err);
            sleep_ms(1000);
            continue;
        }
        int64_t content = version_of(db, svc.content), stock = version_of(db, svc.stock);
        int64_t settings = version_of(db, SOUK_SEARCH_SETTINGS_VERSION);
        int64_t reindex = version_of(db, SOUK_SEARCH_REINDEX_VERSION);
        bool failed = content < 0 || stock < 0 || settings < 0 || reindex < 0;
        if (!failed && !base) { /* the first build, on this thread: nothing is served before it */
            int64_t t0 = souk_time_mono_us();
            if (full_build(db, &base, &since) == 0) {
                souk_log_info("search index: %u products, %zu bytes, built in %lld ms", souk_search_segment_docs(base),
                              souk_search_segment_bytes(base), (long long)((souk_time_mono_us() - t0) / 1000));
                publish(&served, souk_search_segment_ref(base));
                last_check = since;
                base_at = souk_time_mono_us();
                built_content = content, built_stock = stock, built_settings = settings, built_reindex = reindex;
            } else {
                failed = true;
            }
        } else if (!failed) {
            int64_t msince;
            souk_search_segment *merged = merge_take(&msince);
            bool dirty = false, check_stock = stock != built_stock;
            if (merged) { /* the new base: the delta starts again from its snapshot */
                souk_search_segment_unref(base);
                base = merged;
                since = last_check = msince;
                base_at = souk_time_mono_us();
                ids.n = 0;
                dirty = check_stock = true;
            }
            if (settings != built_settings || reindex != built_reindex) {
                merge_request(); /* its snapshot is later than these versions */
                built_settings = settings, built_reindex = reindex;
            }
            if (content != built_content || merged) {
                int64_t now = souk_time_now_us(), tax = 0;
                size_t before = ids.n, found = 0;
                failed = souk_store_one(db, "SELECT COALESCE(MAX(changed_at), 0) FROM search_taxonomy_changes", NULL,
                                        SOUK_COLS(SOUK_COL_I64(&tax))) < 0 ||
                         changes_since(db, merged ? since : last_check - SOUK_SEARCH_DELTA_MARGIN_MS * 1000, &ids,
                                       &found) < 0;
                if (!failed) {
                    idset_settle(&ids, before);
                    dirty |= found > 0;
                    last_check = now;
                    built_content = content;
                    if (tax >= since && tax != tax_asked) { /* a renamed category, brand or vendor */
                        merge_request();
                        tax_asked = tax;
                    }
                }
            }
            if (!failed && check_stock) {
                size_t before = ids.n, found = 0;
                failed = stock_moves(db, served, &ids, &found) < 0;
                if (!failed) {
                    idset_settle(&ids, before);
                    dirty |= found > 0;
                    built_stock = stock;
                }
            }
            if (!failed && dirty)
                failed = publish_delta(db, base, &ids, &served) < 0;
            size_t limit = souk_search_segment_docs(base) / SOUK_SEARCH_DELTA_MERGE_FRACTION;
            if (limit < SOUK_SEARCH_DELTA_MERGE_MIN)
                limit = SOUK_SEARCH_DELTA_MERGE_MIN;
            if (ids.n > limit || (ids.n && souk_time_mono_us() - base_at > SOUK_SEARCH_DELTA_MERGE_AGE_S * 1000000LL))
                if (!merge_pending())
                    merge_request();
        }
        if (failed) {
            if (!base)
                souk_metrics_series_add(svc.m_failures, 1);
            souk_store_close(db); /* start afresh: the connection may be what failed */
            db = NULL;
            sleep_ms(SOUK_SEARCH_RETRY_MS); /* and do not fill the log */
            continue;
        }
        souk_store_idle(db);
        sleep_ms(SOUK_SEARCH_POLL_MS);
    }
    souk_search_segment_unref(base);
    souk_search_segment_unref(served);
    free(ids.v);
    souk_store_close(db);
    return NULL;
}

/* Stops the merge thread (a merge in progress finishes) and drops an unadopted base. */
static void stop_merger(void)
{
    if (!mg.started)
        return;
    atomic_store(&svc.stop, true);
    pthread_mutex_lock(&mg.mu);
    pthread_cond_broadcast(&mg.cv);
    pthread_mutex_unlock(&mg.mu);
    pthread_join(mg.thread, NULL);
    mg.started = false;
    mg.want = mg.busy = false;
    souk_search_segment_unref(mg.done);
    mg.done = NULL;
}

int souk_search_service_start(const souk_search_service_opts *opts)
{
    if (svc.started)
        return 0;
    if (copy_opt(svc.dsn, sizeof svc.dsn, opts->db_dsn) < 0 ||
        copy_opt(svc.currency, sizeof svc.currency, opts->currency) < 0 ||
        copy_opt(svc.language, sizeof svc.language, opts->language) < 0 ||
        copy_opt(svc.content, sizeof svc.content, opts->content_version) < 0 ||
        copy_opt(svc.stock, sizeof svc.stock, opts->stock_version) < 0) {
        souk_log_error("search index: a setting is too long");
        return -1;
    }
    svc.on_publish = opts->on_publish;
    souk_search_text probe; /* an unknown language would fail every build: refuse it now */
    int tr = souk_search_text_init(&probe, *svc.language ? svc.language : NULL);
    if (tr < 0) {
        souk_log_error(tr == -1 ? "search index: unknown language '%s' (a Snowball name or ISO code, or none)"
                                : "search index: out of memory (language '%s')",
                       svc.language);
        return -1;
    }
    souk_search_text_release(&probe);
    svc.m_ready = souk_metrics_series("souk_search_index_ready", "", SOUK_METRIC_GAUGE,
                                      "1 once the search index serves a segment");
    svc.m_products =
        souk_metrics_series("souk_search_index_products", "", SOUK_METRIC_GAUGE, "products in the served search index");
    svc.m_bytes =
        souk_metrics_series("souk_search_index_bytes", "", SOUK_METRIC_GAUGE, "bytes held by the served search index");
    svc.m_rebuilds = souk_metrics_series("souk_search_rebuilds_total", "", SOUK_METRIC_COUNTER,
                                         "search index segments published (a full build or a delta over the base)");
    svc.m_failures = souk_metrics_series("souk_search_build_failures_total", "", SOUK_METRIC_COUNTER,
                                         "search index builds (full, merge or delta) that failed");
    svc.m_ms = souk_metrics_series("souk_search_build_seconds", "", SOUK_METRIC_GAUGE,
                                   "duration of the last full search index build (the first, or a merge)");
    svc.m_ms_total = souk_metrics_series("souk_search_build_seconds_total", "", SOUK_METRIC_COUNTER,
                                         "time spent building search index segments");
    svc.m_delta = souk_metrics_series("souk_search_delta_products", "", SOUK_METRIC_GAUGE,
                                      "products in the served search index's delta segment");
    svc.m_tombs = souk_metrics_series("souk_search_delta_tombstones", "", SOUK_METRIC_GAUGE,
                                      "base documents the served search index's delta replaces or removes");
    svc.m_merges = souk_metrics_series("souk_search_merges_total", "", SOUK_METRIC_COUNTER,
                                       "background full builds that became the search index's base");
    svc.m_delta_builds = souk_metrics_series("souk_search_delta_builds_total", "", SOUK_METRIC_COUNTER,
                                             "search index delta segments built and published");
    svc.m_delta_ms = souk_metrics_series("souk_search_delta_seconds", "", SOUK_METRIC_GAUGE,
                                         "duration of the last delta build and publish");
    souk_search_engine_init(&svc.engine);
    atomic_store(&svc.stop, false);
    for (size_t i = 0; i < TEXTS; i++)
        atomic_flag_clear(&svc.texts[i].busy);
    if (pthread_create(&mg.thread, NULL, merger, NULL) != 0) {
        souk_log_error("search index: cannot start the merge thread");
        return -1;
    }
    mg.started = true;
    if (pthread_create(&svc.thread, NULL, builder, NULL) != 0) {
        souk_log_error("search index: cannot start the builder thread");
        stop_merger();
        return -1;
    }
    svc.started = true;
    return 0;
}

void souk_search_service_stop(void)
{
    if (svc.started) {
        atomic_store(&svc.stop, true);
        pthread_join(svc.thread, NULL);
        stop_merger();
        souk_search_engine_release(&svc.engine);
        souk_metrics_series_set(svc.m_ready, 0);
        svc.started = false;
    }
    for (size_t i = 0; i < TEXTS; i++)
        if (svc.texts[i].ready) {
            souk_search_text_release(&svc.texts[i].text);
            svc.texts[i].ready = false;
        }
}

bool souk_search_service_enabled(void)
{
    return svc.started;
}

const char *souk_search_service_currency(void)
{
    return svc.started ? svc.currency : "";
}

souk_search_segment *souk_search_service_acquire(void)
{
    return svc.started ? souk_search_engine_acquire(&svc.engine) : NULL;
}

souk_search_text *souk_search_service_text(const char *language)
{
    const char *lang = language ? language : "english";
    for (size_t i = 0; i < TEXTS; i++) {
        lent_text *l = &svc.texts[i];
        if (atomic_flag_test_and_set(&l->busy))
            continue;
        pthread_mutex_lock(&svc.texts_mu); /* orders the initialisation with later borrowers */
        bool ok = l->ready && strcmp(l->text.language, lang) == 0;
        if (!ok && !l->ready)
            ok = l->ready = souk_search_text_init(&l->text, lang) == 0;
        pthread_mutex_unlock(&svc.texts_mu);
        if (ok)
            return &l->text;
        atomic_flag_clear(&l->busy);
    }
    souk_search_text *t = malloc(sizeof *t);
    if (t && souk_search_text_init(t, lang) < 0) {
        free(t);
        t = NULL;
    }
    return t;
}

void souk_search_service_text_put(souk_search_text *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < TEXTS; i++)
        if (t == &svc.texts[i].text) {
            atomic_flag_clear(&svc.texts[i].busy);
            return;
        }
    souk_search_text_release(t);
    free(t);
}
