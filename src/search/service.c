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
#include "core/time.h"
#include "search/settings.h"
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
    int m_ready, m_products, m_bytes, m_rebuilds, m_failures, m_ms, m_ms_total;
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

/* Builds and publishes one segment (logging its size when ANNOUNCE). 0, or
 * -1 (logged, counted). */
static int rebuild(souk_store *db, bool announce)
{
    char err[512];
    souk_search_segment *seg = NULL;
    int64_t t0 = souk_time_mono_us();
    if (souk_search_build(db, svc.currency, *svc.language ? svc.language : NULL, &seg, err, sizeof err) < 0) {
        souk_metrics_series_add(svc.m_failures, 1);
        souk_log_error("search index: build failed: %s", err);
        return -1;
    }
    attach_settings(db, seg);
    int64_t ms = (souk_time_mono_us() - t0) / 1000;
    uint32_t docs = souk_search_segment_docs(seg);
    size_t bytes = souk_search_segment_bytes(seg);
    souk_search_engine_publish(&svc.engine, seg);
    if (announce)
        souk_log_info("search index: %u products, %zu bytes, built in %lld ms", docs, bytes, (long long)ms);
    souk_metrics_series_set(svc.m_products, docs);
    souk_metrics_series_set(svc.m_bytes, (int64_t)bytes);
    souk_metrics_series_set(svc.m_ms, ms);
    souk_metrics_series_add(svc.m_ms_total, ms);
    souk_metrics_series_add(svc.m_rebuilds, 1);
    souk_metrics_series_set(svc.m_ready, 1);
    return 0;
}

static void *builder(void *arg)
{
    (void)arg;
    souk_store *db = NULL;
    char err[512];
    bool first = true;
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
        bool moved = content < 0 || stock < 0 || settings < 0 || reindex < 0 || content != built_content ||
                     stock != built_stock || settings != built_settings || reindex != built_reindex;
        if (moved) {
            if (rebuild(db, first) == 0) {
                built_content = content; /* a failed read (-1) never equals a version: the next poll rebuilds */
                built_stock = stock;
                built_settings = settings;
                built_reindex = reindex;
                first = false;
            } else {
                souk_store_close(db); /* start afresh: the connection may be what failed */
                db = NULL;
                sleep_ms(SOUK_SEARCH_RETRY_MS); /* and do not fill the log */
            }
        }
        sleep_ms(SOUK_SEARCH_POLL_MS);
    }
    souk_store_close(db);
    return NULL;
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
                                         "search index segments built and published");
    svc.m_failures = souk_metrics_series("souk_search_build_failures_total", "", SOUK_METRIC_COUNTER,
                                         "search index builds that failed");
    svc.m_ms = souk_metrics_series("souk_search_build_milliseconds", "", SOUK_METRIC_GAUGE,
                                   "duration of the last search index build");
    svc.m_ms_total = souk_metrics_series("souk_search_build_milliseconds_total", "", SOUK_METRIC_COUNTER,
                                         "time spent building search index segments");
    souk_search_engine_init(&svc.engine);
    atomic_store(&svc.stop, false);
    for (size_t i = 0; i < TEXTS; i++)
        atomic_flag_clear(&svc.texts[i].busy);
    if (pthread_create(&svc.thread, NULL, builder, NULL) != 0) {
        souk_log_error("search index: cannot start the builder thread");
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
