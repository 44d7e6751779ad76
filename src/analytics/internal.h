/*
 * internal.h — what the files of src/analytics share and nothing else
 * includes: the reader's snapshot of the row counts, column access, the
 * parallel scan, and the JSON helpers of the reports.
 */
#ifndef SOUK_ANALYTICS_INTERNAL_H
#define SOUK_ANALYTICS_INTERNAL_H

#include "analytics/analytics.h"

/* The row counts a report reads up to, taken once in the order facts.c
 * publishes them backwards (lines and refunds, then orders, then the
 * dictionaries), so that every index met is below its count. */
typedef struct souk_analytics_snap {
    size_t lines, refunds, events, orders;
    size_t customers, products, categories, vendors, visitors;
    int ncurrencies;
    uint64_t version;
} souk_analytics_snap;

void souk__analytics_snap(const souk_analytics_facts *f, souk_analytics_snap *s);

/* Moves the version after a batch of events (facts.c). */
void souk__analytics_events_published(souk_analytics_facts *f);

#define SOUK_ANALYTICS_LC(f, i) ((const souk_analytics_line_chunk *)SOUK_ANALYTICS_CHUNK_OF(&(f)->lines, i))
#define SOUK_ANALYTICS_OC(f, i) ((const souk_analytics_order_chunk *)SOUK_ANALYTICS_CHUNK_OF(&(f)->orders, i))
#define SOUK_ANALYTICS_RC(f, i) ((const souk_analytics_refund_chunk *)SOUK_ANALYTICS_CHUNK_OF(&(f)->refunds, i))
#define SOUK_ANALYTICS_EC(f, i) ((const souk_analytics_event_chunk *)SOUK_ANALYTICS_CHUNK_OF(&(f)->events, i))

/* Runs FN(CTX, T, LO, HI) on THREADS threads (1..8) over rows [0, N) cut
 * into chunk-aligned parts, T the part's number; FN must only write to its
 * own part of CTX. Falls back to one call when N is small or a thread
 * cannot start. */
void souk__analytics_parallel(size_t n, int threads, void (*fn)(void *ctx, int t, size_t lo, size_t hi), void *ctx);

/* The filter of a query resolved to dense indexes (-1 = any; -2 = an id
 * the facts do not know: nothing matches). */
typedef struct souk_analytics_match {
    int32_t category, vendor;
    int channel, currency;
} souk_analytics_match;

/* Resolves Q's filters against F (the currency: Q's, else the one with the
 * most revenue, else 0). */
void souk__analytics_match(const souk_analytics_facts *f, const souk_analytics_snap *s, const souk_analytics_query *q,
                           souk_analytics_match *m);

/* Whether line R of chunk C passes M (currency included). */
static inline bool souk__analytics_line_ok(const souk_analytics_line_chunk *c, size_t r, const souk_analytics_match *m)
{
    return c->currency[r] == m->currency && (m->category == -1 || c->category[r] == m->category) &&
           (m->vendor == -1 || c->vendor[r] == m->vendor) && (m->channel == -1 || c->channel[r] == m->channel);
}

/* ---- converted reports (fx.c) ----
 * Every order's amounts in one target currency: for each currency of the
 * facts, its stored rates against the store currency by the local day each
 * took effect; an amount of day D is converted at the last rate that took
 * effect on or before D (before a currency's first rate: that first rate),
 * into the target at the target's rate of the same day, rounded once, half
 * to even (core/money.h). A currency with no stored rate (neither the store
 * currency nor the target) cannot be converted: its orders are left out and
 * counted. */
typedef struct souk__analytics_conv_cur {
    int exp;         /* minor digits */
    bool identity;   /* the store currency: rate 1 */
    size_t first, n; /* its points in the history */
} souk__analytics_conv_cur;

typedef struct souk__analytics_conv {
    const souk_fx_history *h;
    int32_t *day; /* local day each point of H took effect */
    int target;   /* index of the target among the facts' currencies; -1: none of them */
    souk__analytics_conv_cur cur[SOUK_ANALYTICS_CURRENCIES_MAX], to;
    int ncur;
} souk__analytics_conv;

/* Sets C up for converting the NCUR currencies of F into TARGET with H.
 * 0, or -1 (memory, or TARGET not a known currency). */
int souk__analytics_conv_init(souk__analytics_conv *c, const souk_analytics_facts *f, int ncur,
                              const souk_fx_history *h, const char *target);
void souk__analytics_conv_release(souk__analytics_conv *c);

/* Whether amounts of currency index CUR can be converted. */
bool souk__analytics_conv_ok(const souk__analytics_conv *c, int cur);

/* AMOUNT of currency CUR on local day DAY in the target currency into *OUT.
 * 0, or -1 (not convertible, or out of bounds). */
int souk__analytics_conv_amount(const souk__analytics_conv *c, int cur, int32_t day, int64_t amount, int64_t *out);

/* The same with a scan's memo of the last (currency, day) it converted: its
 * rates reduced to one fraction num/den, applied in 64 bits when the product
 * fits (the lines of an order come together, so most lines hit it), else
 * exactly as souk__analytics_conv_amount. Each thread keeps its own memo,
 * set up with cur = -1. The results are the same to the minor unit. */
typedef struct souk__analytics_conv_memo {
    int cur;
    int32_t day;
    bool ok, fast;
    int64_t num, den;
    const souk_rate *from, *to;
} souk__analytics_conv_memo;
int souk__analytics_conv_amount_memo(const souk__analytics_conv *c, souk__analytics_conv_memo *m, int cur, int32_t day,
                                     int64_t amount, int64_t *out);

/* How a one-thread report reads the amounts of its lines (amounts.c): per
 * currency (the match's currency only, as stored) or, when the query has
 * stored rates (q->fx, convert=1), every convertible currency's lines,
 * each converted into the query's currency at the rates of its day, as the
 * KPIs do. */
typedef struct souk__analytics_amounts {
    bool converting;
    souk__analytics_conv conv;
    souk__analytics_conv_memo memo;
} souk__analytics_amounts;

/* Sets A up for Q over the NCUR currencies of F. 0, or -1 (memory, or a
 * target currency that is not a known code); release A either way. */
int souk__analytics_amounts_init(souk__analytics_amounts *a, const souk_analytics_facts *f, int ncur,
                                 const souk_analytics_query *q);
void souk__analytics_amounts_release(souk__analytics_amounts *a);

/* Whether line R of chunk C is in the report — M's filters, and its currency
 * M's or (converting) any that converts — and then its amount in the
 * report's currency into *AMOUNT. */
bool souk__analytics_amounts_line(souk__analytics_amounts *a, const souk_analytics_line_chunk *c, size_t r,
                                  const souk_analytics_match *m, int64_t *amount);

/* Whether an order of currency CUR counts in the report (see _line). */
bool souk__analytics_amounts_currency(const souk__analytics_amounts *a, int cur, const souk_analytics_match *m);

/* AMOUNT of an order of currency CUR on DAY in the report's currency into
 * *OUT (a refund: at its order's day). 0, or -1 when it does not count. */
int souk__analytics_amounts_order(souk__analytics_amounts *a, int cur, int32_t day, int64_t amount,
                                  const souk_analytics_match *m, int64_t *out);

/* When converting, sets OUT's "converted" member as the KPIs do: how, and
 * the orders of days [FROM, TO] left out for want of a rate, with their
 * currencies. Nothing otherwise. */
void souk__analytics_amounts_head(const souk__analytics_amounts *a, const souk_analytics_facts *f,
                                  const souk_analytics_snap *s, int32_t from, int32_t to, json_t *out);

/* The bucket start of DAY for granularity G (0 day, 1 ISO week, 2 month),
 * and the first day of the next bucket. */
int32_t souk__analytics_bucket(int32_t day, int g);
int32_t souk__analytics_bucket_next(int32_t start, int g);

/* Whether row POS (0-based, in the report's order) of customer INDEX goes
 * into the rows of Q's answer, SHOWN rows being in already: Q's customer
 * only when it names one, else the page of offset and limit. */
bool souk__analytics_row_wanted(const souk_analytics_facts *f, const souk_analytics_query *q, int32_t index, size_t pos,
                                size_t shown);

/* A ratio A/B rounded to 4 decimals as JSON, or null when B is 0. */
json_t *souk__analytics_ratio(double a, double b);

/* The common head of every report: {"currency", "timezone", "from", "to", …}. */
json_t *souk__analytics_head(const souk_analytics_facts *f, const souk_analytics_query *q,
                             const souk_analytics_match *m);

/* ---- stored predictions (predict*.c) ---- */

/* Fits Y[0..N) (oldest first) by the automatic choice of src/forecast with
 * period M (dropped when N < 2M + 2), chosen on a holdout of HCHOOSE, and
 * returns {"method","model","period","history","sigma","holdout",
 * "holdout_mase","points"}: HMAX forecasts, each [mean, lo80, hi80, lo95,
 * hi95] when INTERVALS, else the mean alone. Falls back to seasonal naive
 * when the choice cannot fit. NULL when memory runs out or N is 0. */
json_t *souk__analytics_fit_series(const double *y, size_t n, int m, size_t hchoose, size_t hmax, bool intervals);

/* The stock forecasts per variant and warehouse (predict_stock.c): reads
 * the units sold up to day END from analytics_stock_sales, fits each pair's
 * daily series and writes analytics_stock_forecasts (in DB's open write
 * transaction: bodies are computed before, into *BODIES). */
typedef struct souk__analytics_stock_fit {
    int64_t variant, warehouse;
    char *body;
} souk__analytics_stock_fit;
int souk__analytics_stock_fits(souk_store *db, const souk_analytics_tz *tz, int32_t end,
                               souk__analytics_stock_fit **out, size_t *n);

/* The anomalies of daily revenue (currency CUR), orders and visitors up to
 * day END (predict_anomaly.c): one JSON body per day outside the 95%
 * one-step interval, into *OUT (*N of them). 0, or -1 (memory). */
typedef struct souk__analytics_anomaly {
    const char *metric;
    int32_t day;
    char *body;
} souk__analytics_anomaly;
int souk__analytics_anomalies(const souk_analytics_facts *f, const souk_analytics_snap *s, int cur, int32_t end,
                              souk__analytics_anomaly **out, size_t *n);

/* Every stride-th customer of C[0..N), the stride the least that leaves at
 * most MAX of them (all when MAX is 0), into a malloc'd array of *NS — what
 * BG/NBD and Gamma-Gamma are fitted on (clv.c). NULL out of memory. */
souk_analytics_clv_customer *souk__analytics_clv_sample(const souk_analytics_clv_customer *c, size_t n, size_t max,
                                                        size_t *ns);

/* ---- the churn models (logit.c, gbdt.c) ---- */

#define SOUK_ANALYTICS_LOGIT_FEATURES_MAX 24

/* A logistic regression on standardised features: w[0] the intercept,
 * w[1 + j] feature j's weight per standard deviation. */
typedef struct souk__analytics_logit {
    int nf;
    double mean[SOUK_ANALYTICS_LOGIT_FEATURES_MAX], sd[SOUK_ANALYTICS_LOGIT_FEATURES_MAX];
    double w[SOUK_ANALYTICS_LOGIT_FEATURES_MAX + 1];
} souk__analytics_logit;

/* Fits MD to the rows X (N × NF, row-major) and labels Y (0/1) by Newton's
 * method with a small L2 penalty. 0, or -1 when NF is out of 1..24. */
int souk__analytics_logit_fit(souk__analytics_logit *md, const double *x, const uint8_t *y, size_t n, int nf);

/* The same with the penalty L2 (≥ 0) per row on the squared standardised
 * weights: the loss is the mean log-loss + L2/2 · Σ w². */
int souk__analytics_logit_fit_l2(souk__analytics_logit *md, const double *x, const uint8_t *y, size_t n, int nf,
                                 double l2);

/* MD's probability of label 1 for the row X (NF values). */
double souk__analytics_logit_predict(const souk__analytics_logit *md, const double *x);

/* The area under the ROC curve of SCORE for LABEL (N of each; ties count a
 * half): -1 when one class is empty, -2 out of memory. */
double souk__analytics_auc(const double *score, const uint8_t *label, size_t n);

#define SOUK_ANALYTICS_GBDT_FEATURES_MAX 64
#define SOUK_ANALYTICS_GBDT_BINS_MAX 256

/* Gradient-boosted trees' settings: rounds, the depth limit (1..12), the
 * fewest training rows in a leaf, the shrinkage (learning rate, (0, 1]),
 * the L2 penalty λ on leaf values, and the histogram bins per feature
 * (2..256). */
typedef struct souk__analytics_gbdt_params {
    int trees, depth, min_leaf;
    double shrinkage, l2;
    int bins;
} souk__analytics_gbdt_params;

/* A node: an inner node sends a row left when x[feature] <= threshold; a
 * leaf (feature -1) adds value to the margin (log-odds). */
typedef struct souk__analytics_gbdt_node {
    int32_t feature, left, right;
    double threshold, value;
} souk__analytics_gbdt_node;

/* A fitted model: the base margin and NTREES trees whose roots index NODES. */
typedef struct souk__analytics_gbdt {
    int nf, ntrees;
    double base;
    souk__analytics_gbdt_node *nodes;
    size_t nnodes, cap;
    int32_t *roots;
} souk__analytics_gbdt;

/* Fits M (caller-owned, overwritten) to the rows X (N × NF, row-major) and
 * labels Y (0/1) with P by log-loss boosting (gbdt.c). Deterministic: the
 * same input gives the same trees. 0, or -1 for bad settings or out of
 * memory (M then holds nothing). Release M with _release. */
int souk__analytics_gbdt_fit(souk__analytics_gbdt *m, const souk__analytics_gbdt_params *p, const double *x,
                             const uint8_t *y, size_t n, int nf);

/* Tree T's (0 ≤ T < ntrees) contribution to the margin of row X. */
double souk__analytics_gbdt_tree(const souk__analytics_gbdt *m, int t, const double *x);

/* M's probability of label 1 for row X from its first TREES trees (all
 * when TREES is negative or more than it has). */
double souk__analytics_gbdt_predict(const souk__analytics_gbdt *m, const double *x, int trees);

/* Frees what M holds; M may be released twice. */
void souk__analytics_gbdt_release(souk__analytics_gbdt *m);

#endif
