/*
 * service.h — recommendations as the platform runs them: training runs
 * recorded as model versions (the registry), activation and rollback, A/B
 * tests between two versions, and the in-memory read model the serving
 * routes answer from. The algorithms are recommend.h's; this part reads the
 * database (the views behaviour and the catalog publish, migration 0093)
 * and keeps what serving needs in memory.
 *
 * Training (train.c): interactions of the data window are read from
 * recommend_interactions with a weight per event type (product_view,
 * search_click, rec_click 1; add_to_cart 3; purchase 5), the offline
 * metrics are measured on a time split (every recommender beside the
 * popularity baseline), then ALS is trained on the whole window and stored
 * as a new version. It runs as the job "recommend.train" (nightly, and on
 * demand through the admin API) or `souk train`; never on an HTTP thread.
 *
 * Serving (serve.c): one background thread per process loads the active
 * version (and the A/B test's second one), builds the content similarity
 * (TF-IDF over titles, descriptions, brands and categories), frequently
 * bought together (from purchases) and trending (time-decayed), and the
 * item table the business rules read (active, in stock, brand, category, vendor);
 * it publishes them as one immutable snapshot by an atomic swap, so
 * handlers never wait for a build. It rebuilds when the active version,
 * the catalog or the stock state moves (polled every second; another node's
 * activation is seen too), and refreshes trending and bought-together every
 * SOUK_REC_REFRESH_S; a catalog that keeps changing rebuilds the heavy part at
 * most once per SOUK_REC_CONTENT_GAP_FACTOR times its last cost. In /metrics: souk_rec_ready, souk_rec_model_version,
 * souk_rec_items, souk_rec_model_loads_total, souk_rec_snapshots_total,
 * souk_rec_build_seconds. Design: docs/internals/recommend.md.
 */
#ifndef SOUK_RECOMMEND_SERVICE_H
#define SOUK_RECOMMEND_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "recommend/recommend.h"
#include "store/store.h"

#define SOUK_REC_WINDOW_DAYS 365       /* default data window of a training run */
#define SOUK_REC_TEST_DAYS 14          /* default test window of its offline metrics */
#define SOUK_REC_REFRESH_S 300         /* trending and bought-together are rebuilt this often */
#define SOUK_REC_CONTENT_GAP_FACTOR 10 /* catalog changes rebuild the heavy layer at most once per 10× its cost */
#define SOUK_REC_LIMIT_MAX 50          /* items in one answer */
#define SOUK_REC_PER_BRAND 3           /* diversity: at most this many items of one brand per answer */
#define SOUK_REC_DEFAULT_ALPHA 2.0     /* training: confidence 1 + alpha·log(1 + r) ... */
#define SOUK_REC_DEFAULT_LAMBDA 10.0   /* ... and this regularisation, unless the request says otherwise */

/* ---- training and the registry (train.c, registry.c) ---- */

/* The weight of a behaviour event type (behaviour.h) as an interaction, for
 * training and trending: product_view, search_click, rec_click 1;
 * add_to_cart 3; purchase 5; every other type 0 (not an interaction). */
double souk_rec_event_weight(int type);

typedef struct souk_rec_train_opts {
    unsigned factors, iterations;  /* 0 = the defaults of recommend.h (64, 15) */
    double alpha, lambda;          /* 0 = the defaults */
    int window_days;               /* 1..36500; 0 = SOUK_REC_WINDOW_DAYS */
    int test_days;                 /* 1..365; 0 = SOUK_REC_TEST_DAYS */
    unsigned threads;              /* 0 = the online CPUs */
    bool activate;                 /* activate the new version when it is ready (always when none is active) */
    const char *actor;             /* who asked ("job", "cli", "user:usr_…"); NULL = "system" */
    souk_rec_progress_fn progress; /* per ALS iteration of the final training; NULL for none */
    void *progress_ctx;
} souk_rec_train_opts;

/* Validates the "params" object of a training request (factors 1..512,
 * iterations 1..100, alpha ≥ 0, lambda > 0, window_days, test_days,
 * activate) into O (zeroed first). PARAMS may be NULL (all defaults).
 * Returns NULL, or a message naming the bad field (static text). */
const char *souk_rec_train_opts_from_json(const json_t *params, souk_rec_train_opts *o);

/* Runs one training on DB (outside any transaction): records a version
 * "training", reads the window, measures, trains, stores the model and its
 * figures ("ready"; "failed" with the reason when it could not). *VERSION
 * gets the new version (0 when none could be recorded). Returns 0, or -1
 * with a message in ERR (the version, when recorded, is "failed"). */
int souk_rec_train_run(souk_store *db, const souk_rec_train_opts *o, int64_t *version, char *err, size_t errlen);

/* Registers the job kind "recommend.train" (payload: the params object)
 * and its nightly schedule (03:30). Call from souk_background_register. */
void souk_rec_register_jobs(void);

/* Queues a training job with PARAMS (validated first; NULL = defaults) in
 * the caller's write transaction. SOUK_OK, SOUK_E_VALIDATION with the
 * problem in PR (field "params.…"), or the mapped database failure. */
souk_err souk_rec_train_enqueue_tx(souk_store *db, const json_t *params, souk_arena *a, souk_problems *pr);

/* The versions, newest first, as {data: [...]} without metrics detail and
 * never the blob; NULL on a database error. */
json_t *souk_rec_models_json(souk_store *db, size_t limit);

/* One version with its parameters and offline metrics; SOUK_E_NOT_FOUND. */
souk_err souk_rec_model_json(souk_store *db, int64_t version, json_t **out);

/* Makes VERSION (ready) the active one, in the caller's write transaction.
 * SOUK_OK, SOUK_E_NOT_FOUND, SOUK_E_INVALID_STATE (not ready). */
souk_err souk_rec_activate_tx(souk_store *db, int64_t version, const char *actor, const char *note);

/* Activates the version that was active before the current one.
 * *VERSION gets it. SOUK_OK, SOUK_E_INVALID_STATE (nothing to roll back to). */
souk_err souk_rec_rollback_tx(souk_store *db, const char *actor, int64_t *version);

/* The active version, 0 when none; a negative souk_db_status on error. */
int64_t souk_rec_active_version(souk_store *db);

/* ---- A/B tests (registry.c) ---- */

/* Starts a test (one runs at a time): PERCENT_B (1..99) of shoppers get
 * VERSION_B, the others VERSION_A; both must be ready. *ID gets its id.
 * SOUK_OK, SOUK_E_NOT_FOUND, SOUK_E_INVALID_STATE (a model not ready),
 * SOUK_E_CONFLICT (a test runs already). */
souk_err souk_rec_ab_start_tx(souk_store *db, const char *name, int64_t version_a, int64_t version_b, int percent_b,
                              int64_t *id);

/* Stops test ID. SOUK_OK, SOUK_E_NOT_FOUND, SOUK_E_INVALID_STATE (stopped). */
souk_err souk_rec_ab_stop_tx(souk_store *db, int64_t id);

/* Test ID with its results per version since it started: impressions,
 * clicks, CTR, add-to-carts and purchases attributed to the version (by
 * model_version on rec events; a purchase counts when the visitor or user
 * clicked a recommendation of that version before it within the test), and
 * a two-proportion z-test of the CTRs with its two-sided p-value. */
souk_err souk_rec_ab_json(souk_store *db, int64_t id, json_t **out);

/* All tests, newest first, as {data: [...]} (without results). */
json_t *souk_rec_ab_list_json(souk_store *db);

/* The version SUBJECT (a user id or anonymous id text) is served under the
 * running test described by the current snapshot: VERSION_A or VERSION_B by
 * a stable hash of SUBJECT (the same shopper always gets the same one). */
int64_t souk_rec_ab_pick(const char *subject, int64_t version_a, int64_t version_b, int percent_b);

/* ---- serving (serve.c) ---- */

/* Starts the snapshot builder thread on DB_DSN (its own connection, reads
 * only). CONTENT_VERSION / STOCK_VERSION name the store versions whose
 * moves rebuild (NULL = none). Returns 0 or -1 (logged). Once per process. */
int souk_rec_service_start(const char *db_dsn, const char *content_version, const char *stock_version);

/* Registers FN (NULL = none) to be called on the builder thread right
 * after each snapshot is published — when what the lists answer may have
 * changed — so that answers cached elsewhere (the response cache) go.
 * Call before souk_rec_service_start. */
void souk_rec_service_on_publish(void (*fn)(void));

/* Stops the thread and drops the snapshot. No-op when not started. */
void souk_rec_service_stop(void);

/* True once a snapshot is served. */
bool souk_rec_service_ready(void);

/* What a list was made by, for the answer ("als", "hybrid", "content",
 * "bought_together", "trending", "popular_in_category"). */
typedef struct souk_rec_answer {
    souk_rec_scored items[SOUK_REC_LIMIT_MAX];
    size_t count;
    int64_t model_version; /* 0 when no model took part */
    const char *strategy;
} souk_rec_answer;

/* The request of a list. */
typedef struct souk_rec_ask {
    int64_t user;           /* the signed-in account, 0 = anonymous */
    int64_t visitor;        /* the visitor of the anonymous id, 0 = none */
    const char *subject;    /* the id the A/B split hashes ("usr_…" or the anonymous id); NULL = no split */
    int64_t category;       /* only this category and its subtree; 0 = any */
    int64_t vendor;         /* only this vendor's products (a marketplace's vendor page); 0 = any */
    const int64_t *exclude; /* products not to show (bought recently, in the cart) */
    size_t nexclude;
    size_t limit; /* 1..SOUK_REC_LIMIT_MAX */
} souk_rec_ask;

/* "For you": ALS for a shopper the model knows, else trending (per category
 * when one is asked). Only active, in-stock products, at most
 * SOUK_REC_PER_BRAND per brand. SOUK_OK, SOUK_E_UNAVAILABLE (no snapshot
 * yet). Never touches the database. */
souk_err souk_rec_for_you(const souk_rec_ask *q, souk_rec_answer *out);

/* Similar to PRODUCT: the hybrid of ALS and content similarity (content
 * alone for products without history). SOUK_E_NOT_FOUND when PRODUCT is
 * not an active product. */
souk_err souk_rec_similar(int64_t product, const souk_rec_ask *q, souk_rec_answer *out);

/* Frequently bought together with PRODUCT (lift, minimum support 2). */
souk_err souk_rec_bought_together(int64_t product, const souk_rec_ask *q, souk_rec_answer *out);

/* Trending: time-decayed popularity (half-life 7 days) over the events,
 * per category when one is asked. */
souk_err souk_rec_trending(const souk_rec_ask *q, souk_rec_answer *out);

#endif
