/*
 * analytics.h — the analytics read model and its reports (issue 13, first
 * slice): columnar in-memory fact tables of orders, order lines, refunds and
 * behaviour events, and the reports over them (KPIs with a comparison to
 * the previous period, time series, the conversion funnel, cohort
 * retention, RFM segments).
 *
 * Facts (facts.c) are plain integer columns in chunks of SOUK_ANALYTICS_CHUNK rows:
 * days are local day numbers in the store's time zone (days since
 * 1970-01-01 there), customers, products, categories, vendors and visitors
 * are dense 32-bit indexes into dictionaries, money is minor units with a
 * currency index. Tables only grow: one writer at a time appends rows
 * (serialised by the facts' writer mutex), then publishes the new row count
 * with a release store; readers take the counts once (acquire) and read
 * every row below them without a lock, so a report never waits for a
 * writer and a writer never waits for a report.
 *
 * They are filled only from the views the owning contexts publish
 * (migration 0096: analytics_orders, analytics_order_lines,
 * analytics_refunds, analytics_products, analytics_events), at start and by
 * `souk analytics rebuild`, then kept current from the outbox (order.paid,
 * order.refunded) and by polling the events view. Design:
 * docs/internals/analytics.md; the reports: docs/analytics.md.
 */
#ifndef SOUK_ANALYTICS_H
#define SOUK_ANALYTICS_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "fx/fx.h"
#include "store/store.h"

#define SOUK_ANALYTICS_CHUNK_BITS 16
#define SOUK_ANALYTICS_CHUNK (1 << SOUK_ANALYTICS_CHUNK_BITS) /* rows of one chunk */
#define SOUK_ANALYTICS_CHUNKS_MAX 16384                       /* chunks of one table: ~1 G rows */
#define SOUK_ANALYTICS_CURRENCIES_MAX 64                      /* distinct currency codes */
#define SOUK_ANALYTICS_RANGE_DAYS_MAX 3660                    /* longest report range: ten years */
#define SOUK_ANALYTICS_STEPS_MAX 8                            /* steps of a funnel */
#define SOUK_ANALYTICS_SESSION_GAP_S 1800                     /* a visitor's session ends after 30 min without events */
#define SOUK_ANALYTICS_RFM_LIMIT_MAX 10000                    /* customers in one RFM answer */
#define SOUK_ANALYTICS_TZ_NAME_MAX 64
#define SOUK_ANALYTICS_SEG_K_LIMIT 10 /* clusters a segments request may ask for */

/* ---- time zone (tz.c) ---- */

/* A time zone: UTC, a fixed offset ("+05:30"), or an IANA zone read from
 * the system's TZif files (/usr/share/zoneinfo). */
typedef struct souk_analytics_tz {
    char name[SOUK_ANALYTICS_TZ_NAME_MAX];
    int32_t fixed;   /* offset in seconds when ntrans == 0 */
    size_t ntrans;   /* transitions, ascending */
    int64_t *at;     /* transition times, Unix seconds */
    int32_t *offset; /* the UTC offset from at[i] on */
    int32_t before;  /* the offset before the first transition */
} souk_analytics_tz;

/* Loads zone NAME ("UTC", "+02:00", "-0530", "Europe/Paris") into TZ.
 * Returns 0, or -1 when the name is invalid or unknown (TZ is then UTC).
 * Release with souk_analytics_tz_release. */
int souk_analytics_tz_load(souk_analytics_tz *tz, const char *name);

void souk_analytics_tz_release(souk_analytics_tz *tz);

/* The local day number (days since 1970-01-01 in TZ) of US µs since the epoch. */
int32_t souk_analytics_tz_day(const souk_analytics_tz *tz, int64_t us);

/* Day number of civil date Y-M-D (proleptic Gregorian), and back. */
int32_t souk_analytics_days_from_civil(int y, int m, int d);
void souk_analytics_civil_from_days(int32_t z, int *y, int *m, int *d);

/* Parses "YYYY-MM-DD" (exactly 10 bytes of S, NUL-terminated) into a day
 * number. 0, or -1 when it is not a valid date. */
int souk_analytics_parse_day(const char *s, int32_t *day);

/* Writes day DAY as "YYYY-MM-DD" into BUF (11 bytes). Returns BUF. */
char *souk_analytics_format_day(int32_t day, char *buf);

/* ---- facts (facts.c) ---- */

/* The stored codes of behaviour event types the reports read (behaviour.h). */
enum {
    SOUK_ANALYTICS_EV_PAGE_VIEW = 1,
    SOUK_ANALYTICS_EV_PRODUCT_VIEW = 2,
    SOUK_ANALYTICS_EV_SEARCH = 3,
    SOUK_ANALYTICS_EV_ADD_TO_CART = 5,
    SOUK_ANALYTICS_EV_CHECKOUT_STARTED = 7,
    SOUK_ANALYTICS_EV_PURCHASE = 20,
};

/* Channels an order came through (what orders record: an imported order
 * carries its external reference; every other one was placed through the
 * API, which the storefront calls too). */
enum {
    SOUK_ANALYTICS_CHANNEL_API = 0,        /* placed by a client of the JSON API */
    SOUK_ANALYTICS_CHANNEL_IMPORT = 1,     /* imported from another system */
    SOUK_ANALYTICS_CHANNEL_STOREFRONT = 2, /* placed on souk's own storefront pages */
    SOUK_ANALYTICS_CHANNELS = 3
};

typedef struct souk_analytics_line_chunk {
    int32_t order[SOUK_ANALYTICS_CHUNK]; /* row of the order in the orders table */
    int32_t day[SOUK_ANALYTICS_CHUNK];
    int32_t customer[SOUK_ANALYTICS_CHUNK]; /* -1: a guest */
    int32_t product[SOUK_ANALYTICS_CHUNK];
    int32_t category[SOUK_ANALYTICS_CHUNK]; /* -1: none */
    int32_t vendor[SOUK_ANALYTICS_CHUNK];   /* -1: the shop's own goods */
    int32_t quantity[SOUK_ANALYTICS_CHUNK];
    int64_t amount[SOUK_ANALYTICS_CHUNK]; /* the line total, minor units */
    uint8_t currency[SOUK_ANALYTICS_CHUNK];
    uint8_t channel[SOUK_ANALYTICS_CHUNK];
    _Atomic int32_t min_day, max_day; /* zone map: days of the rows written */
} souk_analytics_line_chunk;

typedef struct souk_analytics_order_chunk {
    int32_t day[SOUK_ANALYTICS_CHUNK];
    int32_t customer[SOUK_ANALYTICS_CHUNK];
    int64_t amount[SOUK_ANALYTICS_CHUNK]; /* sum of its line totals */
    uint8_t currency[SOUK_ANALYTICS_CHUNK];
    uint8_t channel[SOUK_ANALYTICS_CHUNK];
} souk_analytics_order_chunk;

typedef struct souk_analytics_refund_chunk {
    int32_t order[SOUK_ANALYTICS_CHUNK];
    int32_t day[SOUK_ANALYTICS_CHUNK];
    int64_t amount[SOUK_ANALYTICS_CHUNK];
} souk_analytics_refund_chunk;

typedef struct souk_analytics_event_chunk {
    int32_t day[SOUK_ANALYTICS_CHUNK];
    uint32_t sec[SOUK_ANALYTICS_CHUNK]; /* Unix seconds */
    int32_t visitor[SOUK_ANALYTICS_CHUNK];
    uint8_t type[SOUK_ANALYTICS_CHUNK];
} souk_analytics_event_chunk;

/* An append-only table of chunks: rows below n (acquire) are complete. */
typedef struct souk_analytics_table {
    void *chunks[SOUK_ANALYTICS_CHUNKS_MAX];
    _Atomic size_t n;
    size_t chunk_bytes;
} souk_analytics_table;

/* A dictionary: 64-bit ids to dense indexes. The map is the writer's; the
 * reverse (index → id) is append-only like a table, readable by anyone. */
typedef struct souk_analytics_dict {
    int64_t *keys;
    int32_t *vals;
    size_t cap, used;
    souk_analytics_table ids; /* chunks of SOUK_ANALYTICS_CHUNK int64 */
} souk_analytics_dict;

/* A set of 64-bit ids (the writer's: orders and refunds already in). */
typedef struct souk_analytics_set {
    int64_t *keys;
    size_t cap, used;
} souk_analytics_set;

typedef struct souk_analytics_facts {
    pthread_mutex_t write_mu; /* one writer at a time */
    souk_analytics_tz tz;
    souk_analytics_table orders, lines, refunds, events;
    souk_analytics_dict customers, products, categories, vendors, visitors;
    souk_analytics_set order_ids, refund_ids;
    souk_analytics_dict order_rows; /* order id → its row */
    char currencies[SOUK_ANALYTICS_CURRENCIES_MAX][4];
    _Atomic int ncurrencies;
    _Atomic uint64_t version; /* bumped by every append: a cached report of an older version is stale */
    int64_t last_event_id;    /* the writer's: events polled up to here */
} souk_analytics_facts;

/* Sets up empty facts whose days are in zone TZ_NAME (NULL = UTC). 0, or -1
 * when memory runs out or the zone is unknown. */
int souk_analytics_facts_init(souk_analytics_facts *f, const char *tz_name);

/* Frees everything F holds (no reader may be left). */
void souk_analytics_facts_release(souk_analytics_facts *f);

/* Bytes held by F's tables and dictionaries. */
size_t souk_analytics_facts_bytes(const souk_analytics_facts *f);

/* Bytes of the order side alone (orders, lines, refunds and their
 * dictionaries and id sets): what grows with the order lines. */
size_t souk_analytics_facts_order_bytes(const souk_analytics_facts *f);

/* One line of an order to add. */
typedef struct souk_analytics_line_in {
    int64_t product_id, category_id, vendor_id; /* 0 = none */
    int64_t quantity, amount;
} souk_analytics_line_in;

/* One paid order to add: its id, customer (0 = guest), payment time (µs),
 * currency code, channel and lines. */
typedef struct souk_analytics_order_in {
    int64_t order_id, user_id, paid_at;
    const char *currency;
    int channel;
    const souk_analytics_line_in *lines;
    size_t nlines;
} souk_analytics_order_in;

/* Appends order O and its lines; call with write_mu held. Returns 1 added,
 * 0 already there (by order id), -1 out of memory or the tables are full. */
int souk_analytics_add_order(souk_analytics_facts *f, const souk_analytics_order_in *o);

/* Appends a succeeded refund of AMOUNT (minor units, the order's currency)
 * at AT (µs) of order ORDER_ID; write_mu held. 1 added, 0 already there
 * (by REFUND_ID) or the order is not in the facts, -1 out of memory. */
int souk_analytics_add_refund(souk_analytics_facts *f, int64_t refund_id, int64_t order_id, int64_t at, int64_t amount);

/* Appends a behaviour event of TYPE by VISITOR_KEY (the account id, or
 * minus the anonymous visitor's id) at AT (µs); write_mu held. 1 added, 0
 * ignored (a type the reports do not read), -1 out of memory. */
int souk_analytics_add_event(souk_analytics_facts *f, int64_t visitor_key, int type, int64_t at);

/* The index of currency CODE, or -1 when no fact has it. Any thread. */
int souk_analytics_currency_find(const souk_analytics_facts *f, const char *code);

/* The id behind index I of dictionary D (any thread, I < its count). */
int64_t souk_analytics_dict_id(const souk_analytics_dict *d, int32_t i);

/* The index of ID in D by a scan of the published ids (any thread; for
 * the few categories and vendors of a filter). -1 when absent. */
int32_t souk_analytics_dict_scan(const souk_analytics_dict *d, int64_t id);

/* Row I of table T as a pointer to its chunk and the offset in it. */
#define SOUK_ANALYTICS_CHUNK_OF(t, i) ((t)->chunks[(size_t)(i) >> SOUK_ANALYTICS_CHUNK_BITS])
#define SOUK_ANALYTICS_ROW_OF(i) ((size_t)(i) & (SOUK_ANALYTICS_CHUNK - 1))

/* ---- loading from the published views (load.c) ---- */

/* Called while a build reads: PHASE ("orders", "lines", …), rows so far. */
typedef void (*souk_analytics_progress)(void *ctx, const char *phase, uint64_t done, uint64_t total);

/* Reads every paid order, line, refund and event from the views into F
 * (empty, or partly filled: what is there already is skipped). PROGRESS may
 * be NULL. 0, or a negative souk_db_status / -1 out of memory. */
int souk_analytics_load(souk_store *db, souk_analytics_facts *f, souk_analytics_progress progress, void *ctx);

/* souk_analytics_load from a database BEHIND_MS behind the primary (a read
 * replica): the events of the last BEHIND_MS + 2 s are left for the next
 * souk_analytics_load_events (on the primary), so none is skipped. */
int souk_analytics_load_behind(souk_store *db, souk_analytics_facts *f, int64_t behind_ms,
                               souk_analytics_progress progress, void *ctx);

/* Adds, from DB, the orders paid, created or refunded since SINCE_US (µs) —
 * what a build read from a replica may have missed; those F holds already
 * are skipped. Returns how many orders were looked at, or a negative
 * souk_db_status. */
int souk_analytics_load_since(souk_store *db, souk_analytics_facts *f, int64_t since_us);

/* souk_analytics_load for a build that may read a replica (SOUK_DB_REPLICA,
 * store.h): from the caller's replica connection *REPLICA (kept for its next
 * build) when souk_store_replica_pick chooses it for PURPOSE, then the
 * orders of the last minute plus its lag again from DB (the primary);
 * from DB otherwise, and on from DB when the replica fails part-way
 * (counted). *FROM_REPLICA tells which. 0, or a negative souk_db_status /
 * -1 out of memory. */
int souk_analytics_load_replica(souk_store *db, souk_store **replica, const char *purpose, souk_analytics_facts *f,
                                souk_analytics_progress progress, void *ctx, bool *from_replica);

/* Adds order ORDER_ID (when paid; with its lines and refunds) from the views;
 * takes write_mu. 0, or a negative souk_db_status. */
int souk_analytics_load_order(souk_store *db, souk_analytics_facts *f, int64_t order_id);

/* Adds the events stored since the last call (up to two seconds ago: an
 * event id is given before its batch commits); takes write_mu. Returns the
 * number added, or a negative souk_db_status. */
int souk_analytics_load_events(souk_store *db, souk_analytics_facts *f);

/* The store's time zone setting (analytics_settings "timezone"), into BUF
 * (SOUK_ANALYTICS_TZ_NAME_MAX); "UTC" when none is set. 0, or a negative status. */
int souk_analytics_setting_timezone(souk_store *db, char *buf);

/* Stores the time zone setting NAME (validated by souk_analytics_tz_load) in its
 * own transaction. 0, -1 an unknown zone, or a negative souk_db_status. */
int souk_analytics_set_timezone(souk_store *db, const char *name);

/* ---- reports (kpis.c, funnel.c, cohorts.c, rfm.c) ---- */

/* What a report reads: a range of local days, the filters, the slice. */
typedef struct souk_analytics_query {
    int32_t from, to;          /* inclusive local days */
    int granularity;           /* 0 day, 1 week (ISO, Monday), 2 month */
    int currency;              /* index; -1 = the currency with the most revenue, -2 = one no fact has */
    const char *currency_code; /* with -2: the code asked for */
    int64_t category_id;       /* 0 = any */
    int64_t vendor_id;         /* 0 = any; a vendor's own slice */
    int channel;               /* -1 = any, else SOUK_ANALYTICS_CHANNEL_* */
    bool per_session;          /* funnel: per session instead of per visitor */
    int steps[SOUK_ANALYTICS_STEPS_MAX], nsteps;
    int32_t limit, offset; /* rfm and segments rows */
    int64_t customer_id;   /* rfm, churn, clv: only this customer's row (limit and offset unused); 0 = every row */
    int horizon;           /* churn: days without a purchase that make a churner (0 = 90) */
    int k;                 /* segments: clusters (2..SOUK_ANALYTICS_SEG_K_LIMIT); 0 = chosen by silhouette */
    int threads;           /* scan threads (1..8; 0 = 2) */
    /* every report but the funnel: with FX (the stored rates of the store currency,
     * fx.h), every order's amounts converted into CURRENCY_CODE at the rate in
     * effect on the order's day instead of that currency's orders only
     * (docs/currencies.md); NULL: per currency */
    const souk_fx_history *fx;
} souk_analytics_query;

/* The stored code of event type NAME (LEN bytes: "product_view" …), or -1. */
int souk_analytics_event_type(const char *name, size_t len);

/* The name of event type CODE, or NULL. */
const char *souk_analytics_event_name(int code);

/* The RFM segment of scores R and F (1..5): "champions" …; NULL outside. */
const char *souk_analytics_rfm_segment(int r, int f);

/* Each report returns a new JSON object {…, "rows": [flat objects]} (the
 * CSV form is rows, souk_analytics_csv), or NULL when memory runs out. Money is in
 * minor units of the "currency" the answer names; ratios are numbers in
 * 0..1 rounded to 4 decimals, null when their divisor is 0. F is read
 * without a lock (any thread). Definitions: docs/analytics.md. */
json_t *souk_analytics_kpis(const souk_analytics_facts *f, const souk_analytics_query *q);
json_t *souk_analytics_timeseries(const souk_analytics_facts *f, const souk_analytics_query *q);
json_t *souk_analytics_funnel(const souk_analytics_facts *f, const souk_analytics_query *q);
json_t *souk_analytics_cohorts(const souk_analytics_facts *f, const souk_analytics_query *q);
json_t *souk_analytics_rfm(const souk_analytics_facts *f, const souk_analytics_query *q);
/* One customer's RFM scores, as the report's rows show them. */
typedef struct souk_analytics_rfm_row {
    int64_t customer_id;
    int recency_days;
    int64_t frequency, monetary;
    int r, f, m;
    const char *segment; /* souk_analytics_rfm_segment(r, f) */
} souk_analytics_rfm_row;
typedef void (*souk_analytics_rfm_fn)(void *ctx, const souk_analytics_rfm_row *row);
/* The RFM report's rows without their JSON: FN(CTX, row) for every customer
 * of Q's range and slice, best scores first (Q's limit, offset and
 * customer_id are not read). For callers that read every customer (campaign
 * audiences). 0, or -1 when memory ran out (FN not called). */
int souk_analytics_rfm_each(const souk_analytics_facts *f, const souk_analytics_query *q, souk_analytics_rfm_fn fn,
                            void *ctx);
/* k-means segments on RFM and category mix (segments.c): k chosen by the
 * mean silhouette of k = 2..8 unless Q->k fixes it; rows are customers. */
json_t *souk_analytics_segments(const souk_analytics_facts *f, const souk_analytics_query *q);
/* Churn-risk scores (churn.c): gradient-boosted trees and a logistic
 * regression on what each customer did up to a cutoff, validated (fitted
 * at to − 3·horizon, judged at to − 2·horizon: the trees' settings and the
 * model are chosen there), tested (fitted at to − 2·horizon, AUC at
 * to − horizon), then the chosen one retrained at to − horizon and applied
 * as of to; rows are customers, the likeliest to churn first. NULL when
 * memory runs out. */
json_t *souk_analytics_churn(const souk_analytics_facts *f, const souk_analytics_query *q);
/* Customer lifetime value (clv.c): BG/NBD and Gamma-Gamma fitted on the
 * customers as of Q->to (a strided sample of at most 20,000), then each
 * customer's probability of being alive, expected purchases and value over
 * Q->horizon days (0 = 365); rows are customers, the most valuable first. */
json_t *souk_analytics_clv(const souk_analytics_facts *f, const souk_analytics_query *q);

/* Writes REPORT's rows as CSV (header from the first row's keys, CRLF) to
 * OUT. 0, or -1 when OUT failed. */
int souk_analytics_csv(const json_t *report, souk_buf *out);

/* ---- the service (service.c) ---- */

/* Subscribes the read model of this process to the outbox (order.paid,
 * order.refunded) under "analytics@HOST:PORT". Call before the dispatcher
 * starts (souk_background_start). */
void souk_analytics_register(int port);

/* Starts the background thread that builds the facts from DB_DSN and then
 * keeps them current (events polled every second; the time zone setting
 * followed). Returns 0, or -1 when the database cannot be opened. */
int souk_analytics_start(const char *db_dsn);

/* Stops the thread and frees the facts. No-op when not started. */
void souk_analytics_stop(void);

/* The facts being served, held for the caller until souk_analytics_release
 * (a rebuild swaps in new facts and frees the old ones when no one holds
 * them); NULL while the first build runs or when not started. */
const souk_analytics_facts *souk_analytics_acquire(void);

void souk_analytics_release(const souk_analytics_facts *f);

/* Asks every running server to rebuild its facts (within a second): the
 * marker "rebuild" in analytics_settings. 0, or a negative souk_db_status. */
int souk_analytics_request_rebuild(souk_store *db);

/* Whether the facts are built, their rows and bytes (for /metrics and the
 * CLI): fills the gauges souk_analytics_*. */
void souk_analytics_metrics(const souk_analytics_facts *f, double build_ms);

/* A cached report body of KEY at the facts' current version into OUT
 * (true), or false. */
bool souk_analytics_cache_get(const char *key, uint64_t version, souk_buf *out);

/* Keeps BODY (LEN bytes) under KEY for facts version VERSION. */
void souk_analytics_cache_put(const char *key, uint64_t version, const char *body, size_t len);

/* ---- customer lifetime value: BG/NBD and Gamma-Gamma (clv_model.c, clv.c) ---- */

/* One customer as the models see them at a cutoff: transactions are days
 * with a purchase. X repeat transactions (days after the first), TX the
 * day of the last one and T the cutoff, both in days since the first; M the
 * mean value of the repeat transactions (major units; 0 when X is 0). With
 * a holdout: its transactions (days) and revenue (minor units). */
typedef struct souk_analytics_clv_customer {
    int32_t customer; /* dense index */
    double x, tx, T, m;
    double hold_x, hold_value;
} souk_analytics_clv_customer;

/* BG/NBD (Fader, Hardie and Lee 2005): purchases Poisson(lambda) while
 * alive, lambda ~ Gamma(r, alpha) (alpha in days); after each purchase
 * the customer drops out with probability p ~ Beta(a, b). */
typedef struct souk_analytics_bgnbd {
    double r, alpha, a, b;
    double loglik; /* at the estimate, summed over the customers fitted */
    int evals;
} souk_analytics_bgnbd;

/* Gamma-Gamma (Fader, Hardie and Lee 2005; Fader and Hardie 2013): a
 * transaction's value ~ Gamma(p, nu), nu ~ Gamma(q, gamma) per customer. */
typedef struct souk_analytics_gg {
    double p, q, gamma;
    double loglik;
    int evals;
} souk_analytics_gg;

/* Fits BG/NBD to C[0..N) by maximum likelihood: Nelder–Mead
 * (souk_forecast_minimize) over the logarithms of r, alpha, a, b, started
 * at r = 1, alpha = the mean age T / (mean x + 1), a = b = 1, restarted from
 * its result until it stops improving (at most 4 runs). 0, or -1 when N is 0
 * or no finite likelihood was found. */
int souk_analytics_bgnbd_fit(const souk_analytics_clv_customer *c, size_t n, souk_analytics_bgnbd *out);

/* The log-likelihood of one customer (X, TX, T) under M. */
double souk_analytics_bgnbd_ll(const souk_analytics_bgnbd *m, double x, double tx, double T);

/* Expected transactions in the next DAYS after T of a customer (X, TX, T),
 * and the probability they are still alive at T. */
double souk_analytics_bgnbd_expected(const souk_analytics_bgnbd *m, double x, double tx, double T, double days);
double souk_analytics_bgnbd_alive(const souk_analytics_bgnbd *m, double x, double tx, double T);

/* Fits Gamma-Gamma to the customers of C[0..N) with X >= 1 and M > 0 (as
 * BG/NBD, over log p, q, gamma). 0, or -1 when there are none. */
int souk_analytics_gg_fit(const souk_analytics_clv_customer *c, size_t n, souk_analytics_gg *out);

/* The expected value of a future transaction of a customer with X repeat
 * transactions of mean M (the population mean when X is 0). NAN when q <= 1. */
double souk_analytics_gg_mean(const souk_analytics_gg *g, double x, double m);

/* The customers of Q's slice who bought up to Q->to, summarised at Q->to
 * into *OUT (*N; malloc'd), with the holdout (Q->to, HOLD_END] when
 * HOLD_END > Q->to. Money in Q's currency (the main one by default). 0, or
 * -1 out of memory. */
int souk_analytics_clv_summary(const souk_analytics_facts *f, const souk_analytics_query *q, int32_t hold_end,
                               souk_analytics_clv_customer **out, size_t *n);

/* ---- stored predictions: forecasts, stock forecasts, anomalies (predict*.c) ---- */

#define SOUK_ANALYTICS_FC_H_DAY 90      /* days forecast (daily series) */
#define SOUK_ANALYTICS_FC_H_WEEK 26     /* weeks forecast (weekly series) */
#define SOUK_ANALYTICS_FC_PRODUCTS 100  /* products fitted: the most units sold in the history */
#define SOUK_ANALYTICS_FC_CATEGORIES 50 /* categories fitted: the most revenue */
#define SOUK_ANALYTICS_FC_VENDORS 100   /* vendors fitted: the most revenue */
#define SOUK_ANALYTICS_STOCK_H 120      /* days of a variant's stock forecast (lead time + review) */
#define SOUK_ANALYTICS_STOCK_DAYS 365   /* days of stock history fitted */
#define SOUK_ANALYTICS_STOCK_AUTO 500   /* variant × warehouse series given the automatic choice (the rest: SBA) */
#define SOUK_ANALYTICS_ANOMALY_DAYS 365 /* days judged for anomalies */
#define SOUK_ANALYTICS_PREDICT_JOB "analytics.predict"

/* What one computation did. */
typedef struct souk_analytics_predict_stats {
    int series;       /* sales series stored (one per granularity) */
    int stock_series; /* variant × warehouse forecasts stored */
    int anomalies;    /* anomalous days stored */
    int32_t last_day; /* the last day of history (yesterday in the store's zone) */
    char currency[4]; /* the currency of the revenue series */
    double ms;
} souk_analytics_predict_stats;

/* Fits every stored prediction from facts F up to yesterday (the store's
 * time zone) — the store's, the top vendors', categories' and products'
 * sales daily and weekly, each variant's demand per warehouse (from
 * analytics_stock_sales), the anomalies of daily revenue, orders and
 * visitors — and replaces the stored ones in one transaction of DB, with
 * the run's record. Minutes of CPU on a big store: a job's or the CLI's
 * work. PROGRESS may be NULL. 0, or a negative souk_db_status / -1 memory. */
int souk_analytics_predict_run(souk_store *db, const souk_analytics_facts *f, souk_analytics_progress progress,
                               void *ctx, souk_analytics_predict_stats *out);

/* Registers the analytics.predict job (hourly; it recomputes only when a
 * day has closed since the stored run, unless its payload has "force").
 * Call with the other job kinds, before the workers start. */
void souk_analytics_register_jobs(void);

/* Enqueues analytics.predict (deduplicated while one is queued or
 * running) in DB's open write transaction. 0, 1 (already queued) or a
 * negative souk_db_status. */
int souk_analytics_predict_enqueue_tx(souk_store *db, bool force);

/* The stored run: when it was computed (µs) and up to which day; 1 when
 * there is one, 0 none, or a negative souk_db_status. */
int souk_analytics_predict_state(souk_store *db, int64_t *computed_at, int32_t *last_day);

/* The reorder settings (analytics_settings "reorder.lead_time_days",
 * "reorder.service_level", "reorder.review_days"; defaults 7, 0.95, 0).
 * 0, or a negative status. */
int souk_analytics_reorder_settings(souk_store *db, int *lead_time, double *service, int *review);

/* Stores the reorder settings (lead time 1..90 days, service 0.5..0.999,
 * review 0..30 days) in their own transaction. 0, -1 out of range, or a
 * negative status. */
int souk_analytics_set_reorder_settings(souk_store *db, int lead_time, double service, int review);

/* ---- a variant's outlook for dynamic pricing (predict_outlook.c) ---- */

#define SOUK_ANALYTICS_OUTLOOK_DAYS 28 /* days over which the mean forecast demand is taken */

/* One variant's stock and its stored demand forecast, summed over its
 * warehouses: what the reorder report shows, for another reader. */
typedef struct souk_analytics_outlook {
    int64_t variant_id;
    int64_t available;    /* on hand − reserved, every warehouse */
    double daily_demand;  /* mean forecast units a day over the next SOUK_ANALYTICS_OUTLOOK_DAYS */
    double days_of_cover; /* how long AVAILABLE lasts against the forecast; INFINITY with no demand */
    bool forecast;        /* a stored forecast exists for at least one of its warehouses */
    char model[16];       /* the model of its largest warehouse's forecast ("" without one) */
} souk_analytics_outlook;

/* Calls FN(CTX, O) for every variant with a stock level (in variant id
 * order), from the stored stock forecasts of the last prediction run
 * (souk_analytics_predict_run) and the stock levels now. A non-zero FN
 * return stops the walk and is returned. 0, a negative souk_db_status, or
 * FN's value. Reads only: any connection. */
int souk_analytics_outlooks(souk_store *db, int (*fn)(void *ctx, const souk_analytics_outlook *o), void *ctx);

#endif
