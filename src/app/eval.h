/*
 * eval.h — `souk eval search`: the judged corpus in memory, and the FTS5
 * BM25 baseline ranked on the same corpus (files eval_data.c, eval_fts.c,
 * cmd_eval.c); `souk eval recs` (eval_recs.c) and `souk eval forecast`
 * (eval_forecast.c).
 */
#ifndef SOUK_APP_EVAL_H
#define SOUK_APP_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Columns of the corpus, in the order of souk_eval_doc.col. */
enum {
    SOUK_EVAL_TITLE,
    SOUK_EVAL_DESCRIPTION,
    SOUK_EVAL_BRAND,
    SOUK_EVAL_CATEGORY,
    SOUK_EVAL_ATTRIBUTES,
    SOUK_EVAL_NCOLS
};

typedef struct souk_eval_doc {
    char *id;                   /* the corpus's id */
    char *col[SOUK_EVAL_NCOLS]; /* NULL when the column is absent */
} souk_eval_doc;

typedef struct souk_eval_query {
    char *text;
    int64_t *docs; /* judged documents: index + 1 in the corpus; a negative number for an id not in it */
    double *grades;
    size_t n, cap;
} souk_eval_query;

typedef struct souk_eval_set {
    souk_eval_doc *docs; /* sorted by id after loading (document number = index + 1) */
    size_t ndocs, docs_cap;
    size_t skipped;           /* corpus records without an id, repeated, or unreadable */
    souk_eval_query *queries; /* in order of first appearance */
    size_t nqueries, queries_cap;
    size_t njudgments, unknown_ids;
} souk_eval_set;

/* Reads the corpus CSV at PATH (header: id,title,description and optional
 * brand,category,attributes, any order, other columns ignored) into SET.
 * Prints problems on stderr; returns 0 or -1. */
int souk_eval_load_corpus(souk_eval_set *set, const char *path);

/* Reads the judgments CSV at PATH (header: query,id,grade; grade a
 * non-negative number) into SET, whose corpus is loaded. Returns 0 or -1. */
int souk_eval_load_judgments(souk_eval_set *set, const char *path);

/* Frees what SET holds. */
void souk_eval_set_release(souk_eval_set *set);

typedef struct souk_eval_fts souk_eval_fts;

/* Indexes SET's corpus in an in-memory SQLite FTS5 table (unicode61 with
 * diacritics removed and the Porter stemmer, every column weighted 1).
 * Returns the baseline or NULL after printing why. */
souk_eval_fts *souk_eval_fts_build(const souk_eval_set *set);

/* The top K documents (numbers, as in souk_eval_query.docs) for QUERY by
 * FTS5's bm25(), any word matching (OR), into OUT; returns how many, or -1. */
long souk_eval_fts_rank(souk_eval_fts *f, const char *query, size_t k, int64_t *out);

/* The top K documents for QUERY with all its words matching (FTS5's
 * implicit AND), the last word a prefix when PREFIX, by bm25(), into OUT;
 * with FACETS also the ten most frequent brands and categories of the whole
 * result set (counted, not returned: for `souk eval speed`). Returns how many
 * documents, or -1. */
long souk_eval_fts_search(souk_eval_fts *f, const char *query, bool prefix, size_t k, int64_t *out, bool facets);

/* Frees F. NULL is allowed. */
void souk_eval_fts_free(souk_eval_fts *f);

typedef struct souk_search_segment souk_search_segment;

/* souk's index of SET's corpus (document number i + 1 is set->docs[i];
 * brand and category also as facets), analysed for LANGUAGE (NULL =
 * English); *SECS the build time. NULL after printing why. */
souk_search_segment *souk_eval_index(const souk_eval_set *set, const char *language, double *secs);

/* `souk eval speed`: runs the query log at QUERIES (lines "CLASS<TAB>QUERY";
 * a CLASS starting "prefix" completes the last word, one ending "+facets"
 * also counts brand and category facets) against souk's index and FTS5 of
 * SET's corpus, REPEAT times each after a warm-up, and prints per class the
 * queries per second and p50/p99 of both. Returns an exit code. */
int souk_eval_speed(const souk_eval_set *set, const char *queries, const char *language, size_t k, int repeat);

/* `souk eval recs` (eval_recs.c): offline quality of the recommenders on
 * a time split of an interactions CSV, the Online Retail data set or
 * synthetic data, beside popularity; --train-only times ALS alone. ARGV[0]
 * is "recs". Returns an exit code (SOUK_EXIT_*). */
int souk_eval_recs(int argc, char **argv);

/* `souk eval forecast` (eval_forecast.c): sMAPE and MASE of every method of
 * src/forecast and of the automatic choice on the last H points of each
 * series of a series_id,date,value CSV, against seasonal naive, with the
 * fitting time per series. ARGV[0] is "forecast". Returns an exit code. */
int souk_eval_forecast(int argc, char **argv);

/* `souk eval churn` (eval_churn.c): the AUC of the analytics' churn model
 * on a time split of an Online Retail style order file at --cutoff. ARGV[0]
 * is "churn". Returns an exit code. */
int souk_eval_churn(int argc, char **argv);

/* `souk eval clv` (eval_clv.c): BG/NBD and Gamma-Gamma fitted up to
 * --cutoff on an Online Retail style order file, their predictions of each
 * customer's purchases and spend after it against what happened. */
int souk_eval_clv(int argc, char **argv);

/* `souk eval fraud` (eval_fraud.c): precision and recall of the fraud-risk
 * score on the labelled synthetic order stream of src/fraud. */
int souk_eval_fraud(int argc, char **argv);

/* Reads an order file in the Online Retail layout (InvoiceNo, Quantity,
 * InvoiceDate, UnitPrice, CustomerID, and StockCode when present; plain or
 * gzip) into new facts: one GBP order per invoice of a known customer, at
 * its date, a product per stock code, with the import's rules
 * (cancellations, guests and lines with a quantity or price <= 0 left
 * out). *LAST gets the last day, *NORDERS and *NLINES what was kept.
 * Returns the facts (free with souk_eval_retail_free), or NULL after
 * printing why: unreadable, not the layout, no order of a known customer,
 * out of memory. */
typedef struct souk_analytics_facts souk_analytics_facts;
souk_analytics_facts *souk_eval_retail_open(const char *path, int32_t *last, size_t *norders, size_t *nlines);

/* The day of a --cutoff argument ARG (YYYY-MM-DD) into *DAY: 0, or -1
 * after printing the usage error. */
int souk_eval_cutoff(const char *arg, int32_t *day);

/* Frees facts from souk_eval_retail_open; NULL is allowed. */
void souk_eval_retail_free(souk_analytics_facts *f);

/* `souk eval sentiment` (eval_sentiment.c): accuracy, precision/recall per
 * class and the confusion matrix of the review sentiment analyser on a
 * text,label CSV. ARGV[0] is "sentiment". Returns an exit code. */
int souk_eval_sentiment(int argc, char **argv);

#endif
