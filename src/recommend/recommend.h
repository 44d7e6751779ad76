/*
 * recommend.h — souk's recommender engine: a library the training job and
 * the serving routes call. Nothing here touches the database or HTTP.
 *
 *   interactions (user, item, time, weight)        the caller's weights per event type
 *     └─ souk_rec_data_build: dense indices, CSR user→items and item→users
 *          ├─ souk_rec_als_train → souk_rec_model (implicit ALS, Hu/Koren/Volinsky 2008)
 *          │     ├─ souk_rec_model_recommend  "for you": dot products, top k, exclusions
 *          │     ├─ souk_rec_model_similar    cosine over item factors
 *          │     └─ souk_rec_model_save/load  a versioned byte blob (docs/internals/recommend.md)
 *          └─ souk_rec_cooc_build → item-item cosine neighbours over the interactions
 *   baskets (basket, item)  → souk_rec_fbt_build: frequently bought together (lift, minimum support)
 *   item texts              → souk_rec_tfidf_build: content similarity for items without history
 *   interactions + now      → souk_rec_popular: trending (half-life) / popular, filtered (per category)
 *
 * Conventions: functions return 0 or a negative SOUK_REC_E_* code; objects
 * are made by *_build / *_load into a caller's pointer and freed by *_free
 * (NULL allowed). Built objects are read-only and may be shared by any
 * number of threads. Every input is bounded (SOUK_REC_*_MAX).
 */
#ifndef SOUK_RECOMMEND_H
#define SOUK_RECOMMEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    SOUK_REC_E_NOMEM = -1, /* out of memory */
    SOUK_REC_E_INVAL = -2, /* an argument out of its documented range */
    SOUK_REC_E_LIMIT = -3, /* more users, items or interactions than SOUK_REC_*_MAX */
    SOUK_REC_E_BLOB = -4,  /* a model blob that is truncated, corrupted or of another version */
    SOUK_REC_E_ABORT = -5, /* the progress callback asked to stop */
};

#define SOUK_REC_INTERACTIONS_MAX ((size_t)200000000) /* per build */
#define SOUK_REC_ROWS_MAX ((size_t)50000000)          /* distinct users, and distinct items */
#define SOUK_REC_FACTORS_MAX 512
#define SOUK_REC_ITERATIONS_MAX 1000
#define SOUK_REC_THREADS_MAX 64

/* Static text for a SOUK_REC_E_* code (never NULL). */
const char *souk_rec_strerror(int rc);

/* ---- scored results -------------------------------------------------------- */

typedef struct souk_rec_scored {
    int64_t item; /* external item id */
    double score; /* higher is better; the scale depends on the recommender */
} souk_rec_scored;

/* ---- interactions → matrix --------------------------------------------------- */

typedef struct souk_rec_interaction {
    int64_t user, item; /* external ids (any int64) */
    int64_t time;       /* Unix seconds */
    double weight;      /* > 0; the caller's weight for the event type (view 1, cart 3, purchase 5, …) */
} souk_rec_interaction;

/* The user×item matrix: entry r_ui = the sum of the weights of (u, i);
 * rows and columns are dense indices 0..n-1 of the ids sorted ascending.
 * Both orientations are stored (CSR by user, CSR by item, the latter
 * being the CSC of the former); column indices within a row ascend. */
typedef struct souk_rec_data {
    size_t nusers, nitems, nnz;
    int64_t *user_ids, *item_ids; /* ascending; index → external id */
    size_t *u_ptr;                /* nusers + 1 */
    uint32_t *u_item;             /* nnz: item index of each entry of user row u */
    double *u_val;                /* nnz: r_ui */
    size_t *i_ptr;                /* nitems + 1 */
    uint32_t *i_user;             /* nnz */
    double *i_val;                /* nnz */
    size_t interactions, dropped; /* tuples read; tuples refused (weight not > 0 or not finite) */
} souk_rec_data;

/* Builds D (caller-owned, contents replaced) from the N tuples at IN
 * (any order; repeated (user, item) pairs add up). Tuples whose weight is
 * not finite and > 0 are skipped and counted in D->dropped. 0, or
 * SOUK_REC_E_NOMEM / SOUK_REC_E_LIMIT (D then holds nothing). Release with
 * souk_rec_data_release. */
int souk_rec_data_build(souk_rec_data *d, const souk_rec_interaction *in, size_t n);

/* Frees what D holds; a zeroed D is allowed. */
void souk_rec_data_release(souk_rec_data *d);

/* Dense index of USER / ITEM in D (binary search), or -1 when absent. */
long souk_rec_data_user(const souk_rec_data *d, int64_t user);
long souk_rec_data_item(const souk_rec_data *d, int64_t item);

/* ---- implicit ALS --------------------------------------------------------------- */

/* Called after each iteration (1..total) with the training loss
 * Σ_ui c_ui (p_ui − x_uᵀy_i)² + λ(Σ|x_u|² + Σ|y_i|²). Return nonzero to stop
 * (training then fails with SOUK_REC_E_ABORT). Runs on the calling thread. */
typedef int (*souk_rec_progress_fn)(void *ctx, unsigned iteration, unsigned total, double loss);

typedef struct souk_rec_als_params {
    unsigned factors;    /* k, 1..SOUK_REC_FACTORS_MAX (default 64) */
    unsigned iterations; /* 1..SOUK_REC_ITERATIONS_MAX (default 15) */
    double alpha;        /* confidence c = 1 + alpha·s(r), >= 0 (default 40) */
    double lambda;       /* L2 regularisation, > 0 (default 0.1) */
    bool log_scale;      /* s(r) = log(1 + r) instead of r (default false) */
    unsigned
        cg_steps; /* conjugate-gradient steps per row and half-iteration, 1..SOUK_REC_FACTORS_MAX (default 3; beyond k they add nothing) */
    unsigned threads;              /* worker threads, 1..SOUK_REC_THREADS_MAX; 0 = the online CPUs (default 0) */
    uint64_t seed;                 /* for the initial factors (default 42): same data + seed = same model */
    souk_rec_progress_fn progress; /* NULL for none */
    void *progress_ctx;
} souk_rec_als_params;

/* Fills P with the defaults above. */
void souk_rec_als_params_default(souk_rec_als_params *p);

/* ---- the model ---------------------------------------------------------------------- */

typedef struct souk_rec_model souk_rec_model;

/* Trains implicit ALS on D with P (NULL for the defaults) and stores a new
 * model in *OUT: user and item factors, the ids, each item's number of users
 * (for popularity fallback), the parameters and the final loss. Uses
 * P->threads threads and sets OpenBLAS to one thread meanwhile (the setting
 * is process-wide in OpenBLAS; restored afterwards), so do not train two
 * models at once in one process. 0 or SOUK_REC_E_*; *OUT is NULL on failure.
 * Free with souk_rec_model_free. */
int souk_rec_als_train(const souk_rec_data *d, const souk_rec_als_params *p, souk_rec_model **out);

/* Frees M; NULL is allowed. */
void souk_rec_model_free(souk_rec_model *m);

/* Sizes and training figures of M. */
size_t souk_rec_model_users(const souk_rec_model *m);
size_t souk_rec_model_items(const souk_rec_model *m);
unsigned souk_rec_model_factors(const souk_rec_model *m);
double souk_rec_model_loss(const souk_rec_model *m);

/* "For you": the top K (1..SOUK_REC_K_MAX) items for USER by x_uᵀy_i, best
 * first, leaving out the NEXCLUDE item ids at EXCLUDE (any order, unknown
 * ids ignored: what the shopper bought or has in the cart) and items KEEP
 * refuses (NULL keeps all; the business rules of the caller). A user the
 * model does not know gets the most popular items instead (score = number
 * of users). Writes up to K results to OUT and returns how many, or
 * SOUK_REC_E_INVAL / SOUK_REC_E_NOMEM. Thread-safe. */
#define SOUK_REC_K_MAX 1000
typedef bool (*souk_rec_keep_fn)(void *ctx, int64_t item);
long souk_rec_model_recommend(const souk_rec_model *m, int64_t user, const int64_t *exclude, size_t nexclude,
                              souk_rec_keep_fn keep, void *keep_ctx, size_t k, souk_rec_scored *out);

/* Similar items: the top K items by cosine between item factors (ITEM
 * itself left out; items KEEP refuses left out). Returns how many were
 * written to OUT (0 when ITEM is unknown or has a zero factor vector), or
 * SOUK_REC_E_INVAL / SOUK_REC_E_NOMEM. Thread-safe. */
long souk_rec_model_similar(const souk_rec_model *m, int64_t item, souk_rec_keep_fn keep, void *keep_ctx, size_t k,
                            souk_rec_scored *out);

/* The model as a byte blob (format in docs/internals/recommend.md: magic,
 * version, sizes, parameters, ids, factors, popularity, a checksum),
 * little-endian. *BLOB is malloc'd (free() it), *LEN its size. 0 or
 * SOUK_REC_E_NOMEM. */
int souk_rec_model_save(const souk_rec_model *m, unsigned char **blob, size_t *len);

/* Loads a blob made by souk_rec_model_save into a new model *OUT. The blob
 * is untrusted: every size is checked against LEN and the limits, ids must
 * ascend, numbers be finite and the checksum match; anything else is
 * SOUK_REC_E_BLOB (or SOUK_REC_E_NOMEM) and *OUT is NULL. */
int souk_rec_model_load(const unsigned char *blob, size_t len, souk_rec_model **out);

/* ---- item-item co-occurrence (cosine over the interactions) -------------------- */

typedef struct souk_rec_cooc souk_rec_cooc;

/* For every item of D its NEIGHBOURS (1..1000) most similar items by the
 * cosine of binary interaction columns, |U_i ∩ U_j| / sqrt(|U_i|·|U_j|),
 * counting only users with at most MAX_ROW items (0 = no limit: a user with
 * n items costs n² work). 0 or SOUK_REC_E_*. */
int souk_rec_cooc_build(const souk_rec_data *d, unsigned neighbours, size_t max_row, souk_rec_cooc **out);

/* Frees C; NULL is allowed. */
void souk_rec_cooc_free(souk_rec_cooc *c);

/* The neighbours of ITEM (external id), best first: up to K written to
 * OUT; returns how many (0 for an unknown item). */
long souk_rec_cooc_similar(const souk_rec_cooc *c, int64_t item, size_t k, souk_rec_scored *out);

/* ---- frequently bought together ------------------------------------------------------ */

typedef struct souk_rec_basket_item {
    int64_t basket; /* an order id */
    int64_t item;
} souk_rec_basket_item;

typedef struct souk_rec_fbt souk_rec_fbt;

/* Co-purchase over N (basket, item) pairs (any order; an item repeated in a
 * basket counts once). For items i ≠ j with n_ij baskets holding both,
 * n_i / n_j baskets holding each and B baskets: lift(i, j) = n_ij·B /
 * (n_i·n_j); a pair is kept only when n_ij >= MIN_SUPPORT (>= 1), and each
 * item keeps its best MAX_PER_ITEM (1..1000) partners by lift (ties: higher
 * n_ij, then lower id). Baskets of more than MAX_BASKET items (0 = no limit)
 * are skipped (bulk orders say little about what goes together). 0 or SOUK_REC_E_*. */
int souk_rec_fbt_build(const souk_rec_basket_item *pairs, size_t n, unsigned min_support, unsigned max_per_item,
                       size_t max_basket, souk_rec_fbt **out);

/* Frees F; NULL is allowed. */
void souk_rec_fbt_free(souk_rec_fbt *f);

/* Items bought together with ITEM, by lift, best first: up to K to OUT
 * (score = lift; *SUPPORT, when not NULL, gets n_ij of each). Returns how
 * many (0 for an unknown item). */
long souk_rec_fbt_for(const souk_rec_fbt *f, int64_t item, size_t k, souk_rec_scored *out, uint32_t *support);

/* Number of baskets counted by F. */
size_t souk_rec_fbt_baskets(const souk_rec_fbt *f);

/* ---- content similarity (TF-IDF) --------------------------------------------------------- */

typedef struct souk_rec_doc {
    int64_t item;
    const char *title, *description, *attributes, *category; /* NUL-terminated UTF-8; NULL = absent */
} souk_rec_doc;

typedef struct souk_rec_tfidf souk_rec_tfidf;

/* Indexes N items' texts (see tfidf.c for the tokeniser: ASCII letters are
 * lowercased, a token is a run of letters, digits and non-ASCII bytes, 2..64
 * bytes; the title counts twice, each field is read up to 64 KiB). Term
 * weight tf·idf with tf the (field-weighted) count and idf = ln((1 + N) /
 * (1 + df)) + 1; vectors L2-normalised. Items repeated: the first wins.
 * 0 or SOUK_REC_E_*. */
int souk_rec_tfidf_build(const souk_rec_doc *docs, size_t n, souk_rec_tfidf **out);

/* Frees T; NULL is allowed. */
void souk_rec_tfidf_free(souk_rec_tfidf *t);

/* The top K items by cosine of TF-IDF vectors with ITEM (itself and items
 * KEEP refuses left out; only items sharing a term score). Returns how many
 * were written, 0 for an unknown item, or SOUK_REC_E_NOMEM. Thread-safe. */
long souk_rec_tfidf_similar(const souk_rec_tfidf *t, int64_t item, souk_rec_keep_fn keep, void *keep_ctx, size_t k,
                            souk_rec_scored *out);

/* The cosine of two items' TF-IDF vectors (0 when either is unknown). */
double souk_rec_tfidf_cosine(const souk_rec_tfidf *t, int64_t a, int64_t b);

/* ---- hybrid similar items ------------------------------------------------------------------- */

/* Similar items blending collaborative and content similarity:
 * score = W·cos_ALS + (1 − W)·cos_TFIDF over the union of both top lists
 * (each asked for 4·K candidates). An item without factors (no history) gets
 * content similarity alone, so new products still have neighbours. M or T
 * may be NULL (that side contributes 0). W in [0, 1]. Returns how many, or
 * SOUK_REC_E_*. */
long souk_rec_hybrid_similar(const souk_rec_model *m, const souk_rec_tfidf *t, double w, int64_t item,
                             souk_rec_keep_fn keep, void *keep_ctx, size_t k, souk_rec_scored *out);

/* ---- trending and popular ------------------------------------------------------------------ */

/* Popularity over N interactions: score_i = Σ weight·2^(−(NOW − time) /
 * HALF_LIFE_S) over i's interactions at or before NOW (HALF_LIFE_S = 0: no
 * decay, plain sums of weights). KEEP filters (per category for cold
 * start: keep returns true for the category's items). Top K to OUT, best
 * first (ties: lower id); returns how many or SOUK_REC_E_*. */
long souk_rec_popular(const souk_rec_interaction *in, size_t n, int64_t now, double half_life_s, souk_rec_keep_fn keep,
                      void *keep_ctx, size_t k, souk_rec_scored *out);

/* ---- offline evaluation ----------------------------------------------------------------------- */

/* Ranking metrics of one list: RANKED holds N recommended ids best first
 * (only the first K count; K >= 1), RELEVANT the NREL held-out ids, sorted
 * ascending without repeats. A hit at rank r (1-based) is a ranked id in
 * RELEVANT. With h hits in the first K:
 *   precision@K = h / K
 *   recall@K    = h / NREL
 *   NDCG@K      = Σ_hits 1/log2(r + 1)  /  Σ_{r=1..min(K, NREL)} 1/log2(r + 1)
 *   AP@K        = Σ_hits precision@r  /  min(K, NREL)      (MAP@K is its mean over users)
 * Each is 0 when NREL is 0. */
double souk_rec_precision_at(const int64_t *ranked, size_t n, const int64_t *relevant, size_t nrel, size_t k);
double souk_rec_recall_at(const int64_t *ranked, size_t n, const int64_t *relevant, size_t nrel, size_t k);
double souk_rec_ndcg_at(const int64_t *ranked, size_t n, const int64_t *relevant, size_t nrel, size_t k);
double souk_rec_ap_at(const int64_t *ranked, size_t n, const int64_t *relevant, size_t nrel, size_t k);

/* Catalog coverage: distinct ids among the N ids at RECOMMENDED (any order,
 * repeats allowed) over CATALOG (0 when CATALOG is 0). -1.0 when memory runs out. */
double souk_rec_coverage(const int64_t *recommended, size_t n, size_t catalog);

/* A time-based split: TEST holds the interactions later than CUT = (latest
 * time) − TEST_SECONDS, TRAIN the others; both keep the input order.
 * malloc'd; release with souk_rec_split_release. 0, SOUK_REC_E_INVAL
 * (TEST_SECONDS < 1) or SOUK_REC_E_NOMEM. */
typedef struct souk_rec_split {
    souk_rec_interaction *train, *test;
    size_t ntrain, ntest;
    int64_t cut;
} souk_rec_split;
int souk_rec_split_time(const souk_rec_interaction *in, size_t n, int64_t test_seconds, souk_rec_split *out);
void souk_rec_split_release(souk_rec_split *s);

/* The recommenders souk_rec_eval_run compares, in the order of its rows. */
enum {
    SOUK_REC_EVAL_POPULAR, /* most users in training, the baseline */
    SOUK_REC_EVAL_ALS,     /* implicit ALS, x_uᵀy_i */
    SOUK_REC_EVAL_COSINE,  /* item-item cosine: Σ over the user's items of their neighbours' similarity */
    SOUK_REC_EVAL_FBT,     /* co-purchase lift from the user's baskets (a basket: one user, one timestamp) */
    SOUK_REC_EVAL_HYBRID,  /* blend of ALS, item-cosine and (with texts) TF-IDF, each min-max normalised per user */
    SOUK_REC_EVAL_N
};

typedef struct souk_rec_eval_params {
    size_t k;                 /* cut-off, 1..SOUK_REC_K_MAX (default 10) */
    int64_t test_seconds;     /* the test window (default 30 days) */
    souk_rec_als_params als;  /* for ALS and the hybrid */
    unsigned neighbours;      /* item-cosine neighbours per item (default 100) */
    unsigned fbt_min_support; /* default 3 */
    double hybrid_als;        /* hybrid weights (default 0.5 ALS, 0.3 item-cosine, 0.2 content) */
    double hybrid_cosine, hybrid_content;
    const souk_rec_doc *docs; /* item texts for the hybrid's content part; NULL for none */
    size_t ndocs;
} souk_rec_eval_params;

/* Fills P with the defaults above. */
void souk_rec_eval_params_default(souk_rec_eval_params *p);

typedef struct souk_rec_metrics {
    double precision, recall, ndcg, map,
        coverage;   /* means over the evaluated users; coverage of the training catalog */
    double train_s; /* wall time to train (0 for popularity) */
} souk_rec_metrics;

typedef struct souk_rec_eval_report {
    souk_rec_metrics row[SOUK_REC_EVAL_N];
    int64_t cut;          /* the split time */
    size_t ntrain, ntest; /* interactions on each side */
    size_t train_users, train_items, train_nnz;
    size_t test_users;        /* users with a test interaction */
    size_t cold_users;        /* … of whom unknown in training: not evaluated (they get popularity in production) */
    size_t no_new_users;      /* … known, but with nothing new that training knows: not evaluated */
    size_t eval_users;        /* evaluated */
    size_t relevant;          /* held-out (user, item) pairs evaluated */
    size_t unseen_item_pairs; /* held-out pairs whose item training never saw: dropped */
    size_t repeat_pairs;      /* held-out pairs the user had in training: dropped (known items are excluded) */
    double als_loss;          /* final training loss */
} souk_rec_eval_report;

/* Splits the N interactions at IN by time (P->test_seconds), trains every
 * recommender on the training side and ranks, for every evaluated user, the
 * top P->k items among those the user did not have in training. The
 * relevant items of a user are those of the test window that training
 * knows and the user did not have in training. Fills *OUT. 0 or
 * SOUK_REC_E_* (SOUK_REC_E_INVAL also for an empty side of the split). */
int souk_rec_eval_run(const souk_rec_interaction *in, size_t n, const souk_rec_eval_params *p,
                      souk_rec_eval_report *out);

/* ---- interactions CSV ----------------------------------------------------------------------------- */

#define SOUK_REC_CSV_LINE_MAX 4096 /* bytes of one record */

/* Reads a CSV with the header user,item,timestamp[,weight] (any column
 * order, other columns ignored): user and item int64, timestamp Unix
 * seconds (digits) or ISO-8601 ("2011-12-09T12:50:00Z", "2011-12-09
 * 12:50:00" as UTC, or a bare date "2011-12-09"), weight a finite number
 * > 0 (default 1). The file may be gzip-compressed. Any bad record stops
 * the read with a message naming its line in ERR ("line 7: timestamp
 * 'yesterday' is neither Unix seconds nor ISO-8601"). At most MAX records
 * (0 = SOUK_REC_INTERACTIONS_MAX). *OUT is malloc'd (free() it), *N its count.
 * 0, SOUK_REC_E_INVAL (bad input, see ERR), SOUK_REC_E_LIMIT or SOUK_REC_E_NOMEM. */
int souk_rec_read_csv_file(const char *path, size_t max, souk_rec_interaction **out, size_t *n, char *err,
                           size_t errlen);

/* The same over LEN bytes at DATA (not compressed). */
int souk_rec_read_csv_mem(const char *data, size_t len, size_t max, souk_rec_interaction **out, size_t *n, char *err,
                          size_t errlen);

/* ---- synthetic data ------------------------------------------------------------------------------- */

/* N deterministic synthetic interactions for benchmarks: NUSERS users and
 * NITEMS items drawn from Zipf-like power laws (exponent ~1), items grouped
 * into latent clusters that users prefer, times spread over 365 days before
 * 2026-01-01, weight 1. malloc'd into *OUT (free() it). 0 or SOUK_REC_E_*. */
int souk_rec_synthetic(size_t n, size_t nusers, size_t nitems, uint64_t seed, souk_rec_interaction **out);

#endif
