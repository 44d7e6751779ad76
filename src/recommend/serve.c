/*
 * serve.c — the read model recommendations are served from, and the four
 * lists. A builder thread makes immutable snapshots; handlers take a
 * reference under a mutex held for a pointer copy, and never wait for a
 * build. A snapshot has two layers: the heavy one (models, content
 * similarity, bought-together, trending scores), rebuilt when the active
 * version, the A/B test or the catalog moves and every SOUK_REC_REFRESH_S;
 * and the item table (active products, in stock, brand, category) the
 * business rules read, rebuilt also when the stock state moves, sharing the
 * heavy layer of the snapshot before it.
 */
#include "recommend/service.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "behaviour/behaviour.h"
#include "core/grow.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/time.h"
#include "recommend/internal.h"
#include "core/banned.h"

#define POLL_MS 1000
#define TREND_DAYS 30
#define TREND_HALF_LIFE_S (7.0 * 86400)
#define FBT_DAYS 365
#define CANDIDATES(limit) ((limit)*4 > SOUK_REC_K_MAX ? SOUK_REC_K_MAX : (limit)*4)

typedef struct heavy {
    atomic_int refs;
    int64_t version_a, version_b; /* b: the A/B test's second version, 0 = none */
    int percent_b;
    souk_rec_model *model_a, *model_b;
    souk_rec_tfidf *tfidf;
    souk_rec_fbt *fbt;
    int64_t *trend_ids; /* ascending, with their scores */
    double *trend_scores;
    size_t ntrend;
    /* similar items, computed once per product and model (A, B) while this layer is served:
     * open addressing by product id, a power of two ≥ 2 × products; filled under cache_mu */
    pthread_mutex_t cache_mu;
    struct similar_list **cache[2];
    size_t ncache;
} heavy;

/* The raw neighbours of one product (no request's rules applied), best first. */
typedef struct similar_list {
    int64_t product;
    long n;
    souk_rec_scored items[];
} similar_list;

#define SIMILAR_CACHED 100 /* neighbours kept per product: the rules then pick from these */

typedef struct item_info {
    int64_t id, brand, category, vendor;
    bool in_stock;
    double trend;
} item_info;

typedef struct snapshot {
    atomic_int refs;
    heavy *h;
    item_info *items; /* ascending id */
    size_t nitems;
    uint32_t *slots; /* open addressing over the ids: index + 1, 0 = empty; a power of two ≥ 2·nitems */
    size_t nslots;
    uint32_t *by_trend; /* item indices, most trending first */
    int64_t *cat_ids, *cat_parents;
    size_t ncats;
} snapshot;

static struct {
    pthread_mutex_t mu;
    snapshot *current;
    pthread_t thread;
    atomic_bool stop, running;
    char dsn[1024], content[64], stock[64];
    int m_ready, m_version, m_items, m_heavy, m_light, m_ms; /* /metrics series */
    void (*on_publish)(void);
} svc = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void heavy_unref(heavy *h)
{
    if (!h || atomic_fetch_sub(&h->refs, 1) != 1)
        return;
    souk_rec_model_free(h->model_a);
    souk_rec_model_free(h->model_b);
    souk_rec_tfidf_free(h->tfidf);
    souk_rec_fbt_free(h->fbt);
    for (int m = 0; m < 2; m++) {
        for (size_t i = 0; m < 2 && h->cache[m] && i < h->ncache; i++)
            free(h->cache[m][i]);
        free(h->cache[m]);
    }
    pthread_mutex_destroy(&h->cache_mu);
    free(h->trend_ids);
    free(h->trend_scores);
    free(h);
}

static void snapshot_unref(snapshot *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    heavy_unref(s->h);
    free(s->items);
    free(s->slots);
    free(s->by_trend);
    free(s->cat_ids);
    free(s->cat_parents);
    free(s);
}

static snapshot *acquire(void)
{
    pthread_mutex_lock(&svc.mu);
    snapshot *s = svc.current;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&svc.mu);
    return s;
}

static void publish(snapshot *s)
{
    pthread_mutex_lock(&svc.mu);
    snapshot *old = svc.current;
    svc.current = s;
    pthread_mutex_unlock(&svc.mu);
    snapshot_unref(old);
}

bool souk_rec_service_ready(void)
{
    pthread_mutex_lock(&svc.mu);
    bool ready = svc.current != NULL;
    pthread_mutex_unlock(&svc.mu);
    return ready;
}

/* ---- building ---- */

static souk_rec_model *load_model(souk_store *db, int64_t version)
{
    if (!version)
        return NULL;
    souk_stmt *st = souk_store_query(db, "SELECT model FROM rec_models WHERE version = $1 AND status = 'ready'",
                                     SOUK_ARGS(SOUK_I64(version)));
    souk_rec_model *m = NULL;
    if (souk_stmt_step(st) == SOUK_DB_ROW) {
        size_t len;
        const void *blob = souk_stmt_blob(st, 0, &len);
        int rc = blob ? souk_rec_model_load(blob, len, &m) : SOUK_REC_E_BLOB;
        if (rc < 0)
            souk_log_error("recommend: model version %lld cannot be loaded: %s", (long long)version,
                           souk_rec_strerror(rc));
    }
    souk_stmt_done(st);
    return m;
}

static char *dup_text(souk_stmt *st, int col)
{
    size_t len;
    const char *s = souk_stmt_text(st, col, &len);
    if (!s)
        return NULL;
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static souk_rec_tfidf *build_tfidf(souk_store *db, size_t *count)
{
    souk_rec_doc *docs = NULL;
    size_t n = 0, cap = 0;
    souk_stmt *st =
        souk_store_query(db, "SELECT product_id, title, description, brand, category FROM recommend_products", NULL);
    int rc;
    while ((rc = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if (n == cap && souk_grow(&docs, &cap, n + 1, sizeof *docs) < 0)
            break;
        docs[n++] = (souk_rec_doc){.item = souk_stmt_i64(st, 0),
                                   .title = dup_text(st, 1),
                                   .description = dup_text(st, 2),
                                   .attributes = dup_text(st, 3),
                                   .category = dup_text(st, 4)};
    }
    souk_stmt_done(st);
    souk_rec_tfidf *t = NULL;
    if (n && souk_rec_tfidf_build(docs, n, &t) < 0)
        t = NULL;
    *count = n;
    for (size_t i = 0; i < n; i++) {
        free((char *)docs[i].title);
        free((char *)docs[i].description);
        free((char *)docs[i].attributes);
        free((char *)docs[i].category);
    }
    free(docs);
    return t;
}

static souk_rec_fbt *build_fbt(souk_store *db, int64_t now)
{
    souk_rec_basket_item *pairs = NULL;
    size_t n = 0, cap = 0;
    souk_stmt *st = souk_store_query(
        db,
        "SELECT order_id, product_id FROM recommend_interactions "
        "WHERE type = $1 AND order_id IS NOT NULL AND at >= $2",
        SOUK_ARGS(SOUK_I64(SOUK_BEHAVIOUR_PURCHASE), SOUK_I64(now - (int64_t)FBT_DAYS * 86400 * 1000000)));
    while (souk_stmt_step(st) == SOUK_DB_ROW) {
        if (n == cap && souk_grow(&pairs, &cap, n + 1, sizeof *pairs) < 0)
            break;
        pairs[n++] = (souk_rec_basket_item){.basket = souk_stmt_i64(st, 0), .item = souk_stmt_i64(st, 1)};
    }
    souk_stmt_done(st);
    souk_rec_fbt *f = NULL;
    if (n && souk_rec_fbt_build(pairs, n, 2, 50, 50, &f) < 0)
        f = NULL;
    free(pairs);
    return f;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* "CASE type WHEN 2 THEN 1 … ELSE 0 END": souk_rec_event_weight as SQL, so
 * the database sums the weights and training and trending share one table
 * of them. Static text, made once (behaviour's codes are below 32). */
static char weight_sql[512];

static void make_weight_case(void)
{
    size_t n = (size_t)snprintf(weight_sql, sizeof weight_sql, "CASE type");
    for (int type = 1; type < 32 && n < sizeof weight_sql; type++) {
        double w = souk_rec_event_weight(type);
        if (w > 0)
            n += (size_t)snprintf(weight_sql + n, sizeof weight_sql - n, " WHEN %d THEN %g", type, w);
    }
    if (n < sizeof weight_sql)
        snprintf(weight_sql + n, sizeof weight_sql - n, " ELSE 0 END");
}

static const char *weight_case(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_weight_case);
    return weight_sql;
}

/* Trending scores: Σ weight · 2^(−age / half-life) per product over the last
 * TREND_DAYS, summed by one grouped query (ascending ids; milli-units, as
 * the column API reads integers). */
static void build_trend(souk_store *db, int64_t now, heavy *h)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT product_id, CAST(1000 * SUM(%s * exp(CAST(at - $1 AS DOUBLE PRECISION) / $2)) AS INTEGER) "
             "FROM recommend_interactions WHERE at >= $3 GROUP BY product_id ORDER BY product_id",
             weight_case());
    double tau_us = TREND_HALF_LIFE_S * 1e6 / log(2.0);
    souk_stmt *st = souk_store_query(
        db, sql,
        SOUK_ARGS(SOUK_I64(now), SOUK_I64((int64_t)tau_us), SOUK_I64(now - (int64_t)TREND_DAYS * 86400 * 1000000)));
    size_t icap = 0, scap = 0;
    while (souk_stmt_step(st) == SOUK_DB_ROW) {
        int64_t milli = souk_stmt_i64(st, 1);
        if (milli <= 0)
            continue;
        if ((h->ntrend == icap && souk_grow(&h->trend_ids, &icap, h->ntrend + 1, sizeof *h->trend_ids) < 0) ||
            (h->ntrend == scap && souk_grow(&h->trend_scores, &scap, h->ntrend + 1, sizeof *h->trend_scores) < 0))
            break;
        h->trend_ids[h->ntrend] = souk_stmt_i64(st, 0);
        h->trend_scores[h->ntrend++] = (double)milli / 1000.0;
    }
    souk_stmt_done(st);
}

typedef struct versions {
    int64_t active, ab_a, ab_b;
    int ab_percent;
} versions;

static int read_versions(souk_store *db, versions *v)
{
    memset(v, 0, sizeof *v);
    int64_t active = souk_rec_active_version(db);
    if (active < 0)
        return -1;
    v->active = active;
    int64_t pct = 0;
    int rc = souk_store_one(db, "SELECT version_a, version_b, percent_b FROM rec_ab_tests WHERE status = 'running'",
                            NULL, SOUK_COLS(SOUK_COL_I64(&v->ab_a), SOUK_COL_I64(&v->ab_b), SOUK_COL_I64(&pct)));
    v->ab_percent = (int)pct;
    return rc < 0 ? -1 : 0;
}

static heavy *build_heavy(souk_store *db, const versions *v)
{
    heavy *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    atomic_init(&h->refs, 1);
    int64_t now = souk_time_now_us();
    if (v->ab_a) { /* a running test serves its two versions */
        h->version_a = v->ab_a;
        h->version_b = v->ab_b;
        h->percent_b = v->ab_percent;
    } else
        h->version_a = v->active;
    h->model_a = load_model(db, h->version_a);
    h->model_b = load_model(db, h->version_b);
    if (!h->model_a)
        h->version_a = 0;
    if (!h->model_b)
        h->version_b = 0;
    size_t products = 0;
    h->tfidf = build_tfidf(db, &products);
    pthread_mutex_init(&h->cache_mu, NULL);
    h->ncache = 16;
    while (h->ncache < 2 * products)
        h->ncache *= 2;
    h->cache[0] = calloc(h->ncache, sizeof *h->cache[0]);
    h->cache[1] = calloc(h->ncache, sizeof *h->cache[1]);
    if (!h->cache[0] || !h->cache[1]) { /* without a cache every similar list is computed */
        free(h->cache[0]);
        free(h->cache[1]);
        h->cache[0] = h->cache[1] = NULL;
    }
    h->fbt = build_fbt(db, now);
    build_trend(db, now, h);
    return h;
}

static int by_trend_desc(const void *a, const void *b, void *ctx)
{
    const item_info *items = ctx;
    const item_info *x = &items[*(const uint32_t *)a], *y = &items[*(const uint32_t *)b];
    if (x->trend != y->trend)
        return x->trend > y->trend ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static size_t slot_of(int64_t id, size_t nslots)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 32) & (nslots - 1);
}

static snapshot *build_light(souk_store *db, heavy *h)
{
    snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    s->h = h;
    atomic_fetch_add(&h->refs, 1);
    size_t cap = 0, ccap = 0;
    souk_stmt *st =
        souk_store_query(db,
                         "SELECT product_id, brand_id, category_id, in_stock, vendor_id FROM recommend_products "
                         "ORDER BY product_id",
                         NULL);
    int rc;
    while ((rc = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if (s->nitems == cap && souk_grow(&s->items, &cap, s->nitems + 1, sizeof *s->items) < 0)
            break;
        item_info *it = &s->items[s->nitems++];
        *it = (item_info){.id = souk_stmt_i64(st, 0),
                          .brand = souk_stmt_i64(st, 1),
                          .category = souk_stmt_i64(st, 2),
                          .in_stock = souk_stmt_i64(st, 3) != 0,
                          .vendor = souk_stmt_i64(st, 4)};
        long t = souk__rec_find(h->trend_ids, h->ntrend, it->id);
        it->trend = t >= 0 ? h->trend_scores[t] : 0;
    }
    souk_stmt_done(st);
    if (rc != SOUK_DB_DONE) {
        snapshot_unref(s);
        return NULL;
    }
    st = souk_store_query(db, "SELECT id, parent_id FROM recommend_categories ORDER BY id", NULL);
    size_t pcap = 0;
    while (souk_stmt_step(st) == SOUK_DB_ROW) {
        if (s->ncats == ccap && souk_grow(&s->cat_ids, &ccap, s->ncats + 1, sizeof *s->cat_ids) < 0)
            break;
        if (s->ncats == pcap && souk_grow(&s->cat_parents, &pcap, s->ncats + 1, sizeof *s->cat_parents) < 0)
            break;
        s->cat_ids[s->ncats] = souk_stmt_i64(st, 0);
        s->cat_parents[s->ncats++] = souk_stmt_i64(st, 1);
    }
    souk_stmt_done(st);
    s->nslots = 16;
    while (s->nslots < 2 * s->nitems)
        s->nslots *= 2;
    s->slots = calloc(s->nslots, sizeof *s->slots);
    s->by_trend = malloc((s->nitems ? s->nitems : 1) * sizeof *s->by_trend);
    if (!s->by_trend || !s->slots) {
        snapshot_unref(s);
        return NULL;
    }
    for (size_t i = 0; i < s->nitems; i++) {
        s->by_trend[i] = (uint32_t)i;
        size_t j = slot_of(s->items[i].id, s->nslots);
        while (s->slots[j])
            j = (j + 1) & (s->nslots - 1);
        s->slots[j] = (uint32_t)i + 1;
    }
    if (s->nitems)
        qsort_r(s->by_trend, s->nitems, sizeof *s->by_trend, by_trend_desc, s->items);
    return s;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *builder(void *arg)
{
    (void)arg;
    souk_thread_background("souk-recs"); /* snapshot rebuilds yield to serving */
    souk_store *db = NULL;
    heavy *h = NULL, *published_h = NULL;
    versions built = {.active = -1};
    int64_t content = -2, stock = -2, heavy_at = 0;
    int64_t heavy_content = -2, heavy_us = 0; /* the content version the heavy layer was built at, and its cost */
    char err[256];
    while (!atomic_load(&svc.stop)) {
        if (!db && souk_store_open(&db, svc.dsn, err, sizeof err) < 0) {
            souk_log_error("recommend: cannot open the database: %s", err);
            db = NULL;
            sleep_ms(POLL_MS);
            continue;
        }
        versions v;
        int64_t c = *svc.content ? souk_store_version(db, svc.content) : 0;
        int64_t s = *svc.stock ? souk_store_version(db, svc.stock) : 0;
        int64_t now = souk_time_mono_us();
        if (read_versions(db, &v) == 0) {
            bool models_moved = memcmp(&v, &built, sizeof v) != 0;
            bool refresh = now - heavy_at > (int64_t)SOUK_REC_REFRESH_S * 1000000;
            /* a catalog that keeps changing rebuilds the heavy layer at most once per
             * SOUK_REC_CONTENT_GAP_FACTOR times its last cost (the light layer follows
             * every change): content similarity is then that late, and the rebuilds take
             * at most about a tenth of a core (docs/internals/recommend.md, "Snapshots") */
            bool content_due = c != heavy_content && now - heavy_at >= (int64_t)SOUK_REC_CONTENT_GAP_FACTOR * heavy_us;
            if (!h || models_moved || content_due || refresh) {
                heavy *nh = build_heavy(db, &v);
                if (nh) {
                    heavy_unref(h);
                    h = nh;
                    built = v;
                    heavy_at = now;
                    heavy_content = c;
                    heavy_us = souk_time_mono_us() - now;
                    souk_metrics_series_add(svc.m_heavy, 1);
                    souk_metrics_series_set(svc.m_version, h->version_a);
                    souk_metrics_series_set(svc.m_ms, (souk_time_mono_us() - now) / 1000);
                }
            }
            if (h && (c != content || s != stock || h != published_h)) {
                snapshot *ns = build_light(db, h);
                if (ns) {
                    souk_metrics_series_set(svc.m_items, (int64_t)ns->nitems);
                    souk_metrics_series_add(svc.m_light, 1);
                    souk_metrics_series_set(svc.m_ready, 1);
                    publish(ns);
                    if (svc.on_publish) /* after the swap: an answer begun before it is not kept */
                        svc.on_publish();
                    published_h = h;
                    content = c;
                    stock = s;
                }
            }
        }
        souk_store_idle(db);
        for (int i = 0; i < POLL_MS / 50 && !atomic_load(&svc.stop); i++)
            sleep_ms(50);
    }
    heavy_unref(h);
    souk_store_close(db);
    return NULL;
}

int souk_rec_service_start(const char *db_dsn, const char *content_version, const char *stock_version)
{
    if (atomic_load(&svc.running) || strlen(db_dsn) >= sizeof svc.dsn ||
        (content_version && strlen(content_version) >= sizeof svc.content) ||
        (stock_version && strlen(stock_version) >= sizeof svc.stock)) {
        souk_log_error("recommend: the service cannot start (already running, or a name too long)");
        return -1;
    }
    snprintf(svc.dsn, sizeof svc.dsn, "%s", db_dsn);
    snprintf(svc.content, sizeof svc.content, "%s", content_version ? content_version : "");
    snprintf(svc.stock, sizeof svc.stock, "%s", stock_version ? stock_version : "");
    atomic_store(&svc.stop, false);
    svc.m_ready = souk_metrics_series("souk_rec_ready", "", SOUK_METRIC_GAUGE, "1 once recommendations are served");
    svc.m_version = souk_metrics_series("souk_rec_model_version", "", SOUK_METRIC_GAUGE,
                                        "the model version served (version A during an A/B test; 0 = none)");
    svc.m_items = souk_metrics_series("souk_rec_items", "", SOUK_METRIC_GAUGE,
                                      "active products the business rules know in the served snapshot");
    svc.m_heavy = souk_metrics_series("souk_rec_model_loads_total", "", SOUK_METRIC_COUNTER,
                                      "snapshots built with models, content similarity, bought-together and trending");
    svc.m_light = souk_metrics_series("souk_rec_snapshots_total", "", SOUK_METRIC_COUNTER,
                                      "snapshots published (also when only stock or the catalog moved)");
    svc.m_ms = souk_metrics_series("souk_rec_build_seconds", "", SOUK_METRIC_GAUGE,
                                   "duration of the last model load and rebuild");
    if (pthread_create(&svc.thread, NULL, builder, NULL) != 0) {
        souk_log_error("recommend: cannot start the builder thread");
        return -1;
    }
    atomic_store(&svc.running, true);
    return 0;
}

void souk_rec_service_on_publish(void (*fn)(void))
{
    svc.on_publish = fn;
}

void souk_rec_service_stop(void)
{
    if (!atomic_load(&svc.running))
        return;
    atomic_store(&svc.stop, true);
    pthread_join(svc.thread, NULL);
    atomic_store(&svc.running, false);
    publish(NULL);
}

/* ---- the lists ---- */

/* The item of ID, or NULL: the engine asks keep() for every candidate it
 * scores (all products sharing a word, for content similarity), so this is
 * a hash probe, not a binary search (which was 46% of a similar request). */
static const item_info *item_of(const snapshot *s, int64_t id)
{
    for (size_t j = slot_of(id, s->nslots);; j = (j + 1) & (s->nslots - 1)) {
        uint32_t v = s->slots[j];
        if (!v)
            return NULL;
        if (s->items[v - 1].id == id)
            return &s->items[v - 1];
    }
}

typedef struct rules {
    const snapshot *s;
    const souk_rec_ask *q;
    int64_t source;    /* the product a list is about: never in it */
    int64_t cats[256]; /* the category filter's subtree, ascending */
    size_t ncats;
    bool any_category;
} rules;

/* The category of Q and its subtree into R (at most 256 categories). */
static void rules_init(rules *r, const snapshot *s, const souk_rec_ask *q, int64_t source)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->q = q;
    r->source = source;
    r->any_category = q->category == 0;
    if (r->any_category)
        return;
    r->cats[r->ncats++] = q->category;
    for (size_t at = 0; at < r->ncats; at++) /* breadth first over the children */
        for (size_t i = 0; i < s->ncats && r->ncats < 256; i++)
            if (s->cat_parents[i] == r->cats[at])
                r->cats[r->ncats++] = s->cat_ids[i];
    souk_sort(r->cats, r->ncats, sizeof r->cats[0], cmp_i64);
}

static bool keep(void *ctx, int64_t item)
{
    const rules *r = ctx;
    if (item == r->source)
        return false;
    const item_info *it = item_of(r->s, item);
    if (!it || !it->in_stock)
        return false;
    for (size_t i = 0; i < r->q->nexclude; i++)
        if (r->q->exclude[i] == item)
            return false;
    if (!r->any_category && !bsearch(&it->category, r->cats, r->ncats, sizeof r->cats[0], cmp_i64))
        return false;
    if (r->q->vendor && it->vendor != r->q->vendor)
        return false;
    return true;
}

/* Copies the kept candidates IN[0..N) into OUT, at most SOUK_REC_PER_BRAND per brand. */
static void diversify(const rules *r, const souk_rec_scored *in, long n, souk_rec_answer *out)
{
    out->count = 0;
    for (long i = 0; i < n && out->count < r->q->limit; i++) {
        if (!keep((void *)r, in[i].item))
            continue;
        const item_info *it = item_of(r->s, in[i].item);
        if (it->brand) {
            size_t same = 0;
            for (size_t j = 0; j < out->count; j++) {
                const item_info *o = item_of(r->s, out->items[j].item);
                if (o && o->brand == it->brand)
                    same++;
            }
            if (same >= SOUK_REC_PER_BRAND)
                continue;
        }
        out->items[out->count++] = in[i];
    }
}

static void trending_into(const rules *r, souk_rec_answer *out)
{
    souk_rec_scored cand[SOUK_REC_K_MAX];
    long n = 0;
    size_t want = CANDIDATES(r->q->limit);
    for (size_t i = 0; i < r->s->nitems && (size_t)n < want; i++) {
        const item_info *it = &r->s->items[r->s->by_trend[i]];
        if (keep((void *)r, it->id))
            cand[n++] = (souk_rec_scored){it->id, it->trend};
    }
    diversify(r, cand, n, out);
    out->model_version = 0;
    out->strategy = r->q->category ? "popular_in_category" : "trending";
}

/* The model (and its version) that serves Q's shopper. */
static const souk_rec_model *model_for(const heavy *h, const souk_rec_ask *q, int64_t *version)
{
    *version = h->version_a;
    if (h->version_b && q->subject &&
        souk_rec_ab_pick(q->subject, h->version_a, h->version_b, h->percent_b) == h->version_b) {
        *version = h->version_b;
        return h->model_b;
    }
    return h->model_a;
}

/* Starts a list: OUT emptied, Q checked, a snapshot referenced into *S and
 * the rules of Q about SOURCE (0 = none; else it must be an active product)
 * into R. On an error nothing is held. */
static souk_err begin(const souk_rec_ask *q, int64_t source, souk_rec_answer *out, snapshot **s, rules *r)
{
    memset(out, 0, sizeof *out);
    if (q->limit < 1 || q->limit > SOUK_REC_LIMIT_MAX)
        return SOUK_E_VALIDATION;
    if (!(*s = acquire()))
        return SOUK_E_UNAVAILABLE;
    if (source && !item_of(*s, source)) {
        snapshot_unref(*s);
        return SOUK_E_NOT_FOUND;
    }
    rules_init(r, *s, q, source);
    return SOUK_OK;
}

souk_err souk_rec_trending(const souk_rec_ask *q, souk_rec_answer *out)
{
    snapshot *s;
    rules r;
    souk_err e = begin(q, 0, out, &s, &r);
    if (e)
        return e;
    trending_into(&r, out);
    snapshot_unref(s);
    return SOUK_OK;
}

souk_err souk_rec_for_you(const souk_rec_ask *q, souk_rec_answer *out)
{
    snapshot *s;
    rules r;
    souk_err e = begin(q, 0, out, &s, &r);
    if (e)
        return e;
    int64_t version;
    const souk_rec_model *m = model_for(s->h, q, &version);
    int64_t key = q->user ? q->user : q->visitor ? -q->visitor : 0;
    if (m && key && souk__rec_find(m->user_ids, m->nusers, key) >= 0) {
        souk_rec_scored cand[SOUK_REC_K_MAX];
        long n = souk_rec_model_recommend(m, key, q->exclude, q->nexclude, keep, &r, CANDIDATES(q->limit), cand);
        if (n > 0) {
            diversify(&r, cand, n, out);
            out->model_version = version;
            out->strategy = "als";
        }
    }
    if (!out->count)
        trending_into(&r, out);
    snapshot_unref(s);
    return SOUK_OK;
}

/* The cached neighbours of PRODUCT under model slot M (0 = A, 1 = B), computed
 * and kept on first use (NULL when memory runs out: the caller computes). */
static const similar_list *similar_cached(heavy *h, int slot, const souk_rec_model *m, int64_t product)
{
    if (!h->cache[slot])
        return NULL;
    size_t mask = h->ncache - 1, j = slot_of(product, h->ncache);
    pthread_mutex_lock(&h->cache_mu);
    while (h->cache[slot][j] && h->cache[slot][j]->product != product)
        j = (j + 1) & mask;
    similar_list *l = h->cache[slot][j];
    pthread_mutex_unlock(&h->cache_mu);
    if (l)
        return l;
    /* computed outside the lock (two threads may both compute one; the first kept wins) */
    similar_list *fresh = malloc(sizeof *fresh + SIMILAR_CACHED * sizeof fresh->items[0]);
    if (!fresh)
        return NULL;
    fresh->product = product;
    fresh->n = souk_rec_hybrid_similar(m, h->tfidf, 0.5, product, NULL, NULL, SIMILAR_CACHED, fresh->items);
    if (fresh->n < 0)
        fresh->n = 0;
    pthread_mutex_lock(&h->cache_mu);
    j = slot_of(product, h->ncache);
    size_t probes = 0;
    while (h->cache[slot][j] && h->cache[slot][j]->product != product && probes++ < h->ncache)
        j = (j + 1) & mask;
    if (!h->cache[slot][j] && probes < h->ncache / 2) { /* kept below half full */
        h->cache[slot][j] = fresh;
        l = fresh;
    } else if (h->cache[slot][j]) {
        l = h->cache[slot][j]; /* another thread was first */
        free(fresh);
    } else {
        l = NULL;
        free(fresh);
    }
    pthread_mutex_unlock(&h->cache_mu);
    return l;
}

souk_err souk_rec_similar(int64_t product, const souk_rec_ask *q, souk_rec_answer *out)
{
    snapshot *s;
    rules r;
    souk_err e = begin(q, product, out, &s, &r);
    if (e)
        return e;
    int64_t version;
    const souk_rec_model *m = model_for(s->h, q, &version);
    bool known = m && souk__rec_find(m->item_ids, m->nitems, product) >= 0;
    int slot = m && m == s->h->model_b ? 1 : 0;
    const similar_list *l = similar_cached(s->h, slot, known ? m : NULL, product);
    if (l)
        diversify(&r, l->items, l->n, out);
    if (!l || (out->count < q->limit && l->n == SIMILAR_CACHED)) {
        /* the rules left too few of the cached ones (a narrow category or vendor): ask with them */
        souk_rec_scored cand[SOUK_REC_K_MAX];
        long n =
            souk_rec_hybrid_similar(known ? m : NULL, s->h->tfidf, 0.5, product, keep, &r, CANDIDATES(q->limit), cand);
        out->count = 0;
        if (n > 0)
            diversify(&r, cand, n, out);
    }
    out->model_version = known ? version : 0;
    out->strategy = known ? "hybrid" : "content";
    snapshot_unref(s);
    return SOUK_OK;
}

souk_err souk_rec_bought_together(int64_t product, const souk_rec_ask *q, souk_rec_answer *out)
{
    snapshot *s;
    rules r;
    souk_err e = begin(q, product, out, &s, &r);
    if (e)
        return e;
    souk_rec_scored cand[SOUK_REC_K_MAX];
    long n = s->h->fbt ? souk_rec_fbt_for(s->h->fbt, product, CANDIDATES(q->limit), cand, NULL) : 0;
    if (n > 0)
        diversify(&r, cand, n, out);
    out->strategy = "bought_together";
    snapshot_unref(s);
    return SOUK_OK;
}
