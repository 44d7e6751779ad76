/*
 * cmd_eval.c — `souk eval search`: relevance of souk's ranking against
 * graded judgments, side by side with plain BM25 (SQLite FTS5) on the same
 * corpus (and dispatches `souk eval recs` and `souk eval forecast`). Queries run as submitted searches: the last word is not
 * completed as a prefix (that is for search-as-you-type); everything else
 * (stemming, typos, fallback, BM25F weights) is the default.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/cli.h"
#include "app/eval.h"
#include "search/eval.h"
#include "search/query.h"
#include "core/time.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk eval search --corpus FILE --judgments FILE [--k N] [--language L] [--per-query]\n"
    "       souk eval speed --corpus FILE --queries FILE [--k N] [--repeat N] [--language L]\n"
    "       souk eval recs (--interactions FILE | --online-retail FILE | --synthetic N) [...] (see souk eval recs --help)\n"
    "       souk eval forecast --series FILE --horizon H [--period M] (see souk eval forecast --help)\n"
    "       souk eval churn --orders FILE --cutoff DATE [--horizon DAYS] (see souk eval churn --help)\n"
    "       souk eval clv --orders FILE --cutoff DATE (see souk eval clv --help)\n"
    "       souk eval fraud [--orders N] [--seed S] [--threshold T] (see souk eval fraud --help)\n"
    "       souk eval sentiment --file FILE [--half all|first|second] (see souk eval sentiment --help)\n\n"
    "Indexes the corpus (CSV with a header: id,title,description and optional brand,category,\n"
    "attributes), runs every query of the judgments (CSV: query,id,grade; a grade is any\n"
    "non-negative number, 0 = not relevant) and prints nDCG@k, MRR@k and recall@k of souk's\n"
    "ranking and of plain BM25 (SQLite FTS5 bm25(), Porter stemming, any word matching).\n"
    "Both files may be gzip-compressed. Queries without a relevant judgment are left out.\n\n"
    "  --k N          cut-off, 1-100 (default 10)\n"
    "  --language L   stemming language (default english; 'none' for no stemming)\n"
    "  --per-query    also print each query's nDCG@k for both rankings\n\n"
    "speed indexes the corpus in souk and in FTS5 and runs a query log (lines CLASS<TAB>QUERY; a\n"
    "class starting 'prefix' completes the last word, one ending '+facets' also counts brand and\n"
    "category facets) on both, all words required, and prints per class queries per second and\n"
    "p50/p99 per query on one thread (bench/search.sh).\n\n"
    "  --queries FILE the query log\n"
    "  --repeat N     timed runs of each query after a warm-up, 1-1000 (default 5)\n";

typedef struct {
    double ndcg, rr, recall;
    size_t n;
} totals;

static void add(totals *t, const souk_search_eval_q *q)
{
    if (!q->has_relevant)
        return;
    t->ndcg += q->ndcg;
    t->rr += q->rr;
    t->recall += q->recall;
    t->n++;
}

souk_search_segment *souk_eval_index(const souk_eval_set *set, const char *language, double *secs)
{
    souk_search_builder *b;
    if (souk_search_builder_new(&b, language) < 0) {
        fprintf(stderr, "souk: no stemmer for the language '%s'\n", language ? language : "english");
        return NULL;
    }
    double t0 = souk_time_mono_s();
    for (size_t i = 0; i < set->ndocs; i++) {
        const souk_eval_doc *d = &set->docs[i];
        souk_search_doc doc = {.id = (int64_t)i + 1, .price = -1, .rating = -1, .in_stock = true};
        doc.field[SOUK_SEARCH_F_TITLE] = d->col[SOUK_EVAL_TITLE];
        doc.field[SOUK_SEARCH_F_DESCRIPTION] = d->col[SOUK_EVAL_DESCRIPTION];
        doc.field[SOUK_SEARCH_F_BRAND] = d->col[SOUK_EVAL_BRAND];
        doc.field[SOUK_SEARCH_F_CATEGORY] = d->col[SOUK_EVAL_CATEGORY];
        doc.field[SOUK_SEARCH_F_ATTRS] = d->col[SOUK_EVAL_ATTRIBUTES];
        /* brand and category are also facets (souk eval speed counts them) */
        souk_search_facet_value facets[2];
        size_t nf = 0;
        static const struct {
            const char *dim;
            int col;
        } facet_cols[] = {{"brand", SOUK_EVAL_BRAND}, {"category", SOUK_EVAL_CATEGORY}};
        for (size_t f = 0; f < 2; f++) {
            const char *v = d->col[facet_cols[f].col];
            if (v && *v && strlen(v) <= SOUK_SEARCH_FACET_TEXT_MAX) /* a longer one is no facet value */
                facets[nf++] = (souk_search_facet_value){facet_cols[f].dim, v};
        }
        doc.facets = facets;
        doc.nfacets = nf;
        if (souk_search_builder_add(b, &doc) < 0) {
            fprintf(stderr, "souk: cannot index document %s\n", d->id);
            souk_search_builder_free(b);
            return NULL;
        }
    }
    souk_search_segment *seg;
    if (souk_search_builder_finish(b, &seg) < 0) {
        fprintf(stderr, "souk: out of memory building the index\n");
        return NULL;
    }
    *secs = souk_time_mono_s() - t0;
    return seg;
}

static int run(const souk_eval_set *set, const char *language, size_t k, bool per_query)
{
    double secs = 0;
    souk_search_segment *seg = souk_eval_index(set, language, &secs);
    if (!seg)
        return SOUK_EXIT_FAIL;
    double t0 = souk_time_mono_s();
    souk_eval_fts *fts = souk_eval_fts_build(set);
    double fts_secs = souk_time_mono_s() - t0;
    souk_search_text text;
    if (!fts || souk_search_text_init(&text, language) < 0) {
        souk_eval_fts_free(fts);
        souk_search_segment_unref(seg);
        return SOUK_EXIT_FAIL;
    }
    printf("corpus: %zu documents (%zu records skipped); souk indexed them in %.3f s (%.0f docs/s, %u terms, "
           "%.1f MB), FTS5 in %.3f s\n",
           set->ndocs, set->skipped, secs, secs > 0 ? set->ndocs / secs : 0.0, souk_search_segment_terms(seg),
           souk_search_segment_bytes(seg) / 1e6, fts_secs);
    totals ts = {0}, tf = {0};
    size_t fell_back = 0, failed = 0;
    int64_t ranked[SOUK_SEARCH_LIMIT_MAX];
    double souk_time = 0, fts_time = 0;
    for (size_t i = 0; i < set->nqueries; i++) {
        const souk_eval_query *q = &set->queries[i];
        souk_arena a;
        souk_arena_init(&a, 0, 0);
        souk_search_request req = {.q = q->text, .qlen = strlen(q->text), .flags = SOUK_SEARCH_Q_NO_PREFIX, .limit = k};
        souk_search_result r;
        double q0 = souk_time_mono_s();
        souk_search_status st = souk_search_run(seg, &text, &req, &a, &r);
        souk_time += souk_time_mono_s() - q0;
        size_t n = 0;
        if (st != SOUK_SEARCH_OK) {
            fprintf(stderr, "souk: query '%s': %s\n", q->text, souk_search_strerror(st));
            failed++;
        } else {
            for (; n < r.nhits; n++)
                ranked[n] = r.hits[n].id;
            fell_back += r.fell_back;
        }
        souk_search_eval_q ms, mf;
        souk_search_eval_query(ranked, n, q->docs, q->grades, q->n, k, &ms);
        souk_arena_release(&a);
        q0 = souk_time_mono_s();
        long nf = souk_eval_fts_rank(fts, q->text, k, ranked);
        fts_time += souk_time_mono_s() - q0;
        if (nf < 0) {
            fprintf(stderr, "souk: FTS5 query '%s' failed\n", q->text);
            nf = 0;
        }
        souk_search_eval_query(ranked, (size_t)nf, q->docs, q->grades, q->n, k, &mf);
        add(&ts, &ms);
        add(&tf, &mf);
        if (per_query && ms.has_relevant)
            printf("  %-40s souk %.4f  fts5 %.4f\n", q->text, ms.ndcg, mf.ndcg);
    }
    printf("judgments: %zu queries, %zu with a relevant document; %zu judgments (%zu name ids not in the corpus)\n",
           set->nqueries, ts.n, set->njudgments, set->unknown_ids);
    size_t n = ts.n ? ts.n : 1;
    printf("\n%-12s %10s %10s\n", "metric", "souk", "fts5-bm25");
    printf("nDCG@%-7zu %10.4f %10.4f\n", k, ts.ndcg / n, tf.ndcg / n);
    printf("MRR@%-8zu %10.4f %10.4f\n", k, ts.rr / n, tf.rr / n);
    printf("recall@%-5zu %10.4f %10.4f\n", k, ts.recall / n, tf.recall / n);
    printf("\nsouk fell back to fewer words on %zu of %zu queries; %zu refused; mean time per query: souk %.3f ms, "
           "FTS5 %.3f ms\n",
           fell_back, set->nqueries, failed, set->nqueries ? souk_time * 1e3 / set->nqueries : 0.0,
           set->nqueries ? fts_time * 1e3 / set->nqueries : 0.0);
    souk_search_text_release(&text);
    souk_eval_fts_free(fts);
    souk_search_segment_unref(seg);
    return SOUK_EXIT_OK;
}

int souk_cmd_eval(int argc, char **argv)
{
    static const struct option long_opts[] = {{"corpus", required_argument, NULL, 'c'},
                                              {"judgments", required_argument, NULL, 'j'},
                                              {"k", required_argument, NULL, 'k'},
                                              {"language", required_argument, NULL, 'l'},
                                              {"per-query", no_argument, NULL, 'p'},
                                              {"queries", required_argument, NULL, 'q'},
                                              {"repeat", required_argument, NULL, 'r'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    if (argc > 1 && strcmp(argv[1], "recs") == 0)
        return souk_eval_recs(argc - 1, argv + 1); /* its own options (eval_recs.c) */
    if (argc > 1 && strcmp(argv[1], "forecast") == 0)
        return souk_eval_forecast(argc - 1, argv + 1); /* its own options (eval_forecast.c) */
    if (argc > 1 && strcmp(argv[1], "churn") == 0)
        return souk_eval_churn(argc - 1, argv + 1); /* its own options (eval_churn.c) */
    if (argc > 1 && strcmp(argv[1], "clv") == 0)
        return souk_eval_clv(argc - 1, argv + 1); /* its own options (eval_clv.c) */
    if (argc > 1 && strcmp(argv[1], "fraud") == 0)
        return souk_eval_fraud(argc - 1, argv + 1); /* its own options (eval_fraud.c) */
    if (argc > 1 && strcmp(argv[1], "sentiment") == 0)
        return souk_eval_sentiment(argc - 1, argv + 1); /* its own options (eval_sentiment.c) */
    souk_config cfg;
    if (souk_cli_config_getopt(&cfg, false) < 0)
        return SOUK_EXIT_USAGE;
    const char *corpus = NULL, *judgments = NULL, *language = NULL, *queries = NULL;
    long k = 10, repeat = 5;
    bool per_query = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 'c': corpus = optarg; break;
        case 'j': judgments = optarg; break;
        case 'l': language = optarg; break;
        case 'p': per_query = true; break;
        case 'q': queries = optarg; break;
        case 'r': {
            char *end;
            repeat = strtol(optarg, &end, 10);
            if (*end || repeat < 1 || repeat > 1000) {
                fprintf(stderr, "souk: --repeat takes a number from 1 to 1000\n");
                return SOUK_EXIT_USAGE;
            }
            break;
        }
        case 'k': {
            char *end;
            k = strtol(optarg, &end, 10);
            if (*end || k < 1 || k > SOUK_SEARCH_LIMIT_MAX) {
                fprintf(stderr, "souk: --k takes a number from 1 to %d\n", SOUK_SEARCH_LIMIT_MAX);
                return SOUK_EXIT_USAGE;
            }
            break;
        }
        default: fprintf(stderr, "souk: see 'souk eval --help'\n"); return SOUK_EXIT_USAGE;
        }
    }
    bool speed = optind < argc && strcmp(argv[optind], "speed") == 0;
    if (optind >= argc || (!speed && strcmp(argv[optind], "search") != 0) || optind + 1 != argc) {
        fprintf(
            stderr,
            "souk: eval needs the subcommand 'search', 'speed', 'recs', 'forecast', 'churn', 'clv', 'fraud' or 'sentiment'; see 'souk eval --help'\n");
        return SOUK_EXIT_USAGE;
    }
    if (speed) {
        if (!corpus || !queries || judgments) {
            fprintf(stderr, "souk: eval speed needs --corpus and --queries (and no --judgments)\n");
            return SOUK_EXIT_USAGE;
        }
        souk_eval_set set = {0};
        int rc = SOUK_EXIT_FAIL;
        if (souk_eval_load_corpus(&set, corpus) == 0)
            rc = souk_eval_speed(&set, queries, language, (size_t)k, (int)repeat);
        souk_eval_set_release(&set);
        return rc;
    }
    if (!corpus || !judgments) {
        fprintf(stderr, "souk: eval search needs --corpus and --judgments\n");
        return SOUK_EXIT_USAGE;
    }
    souk_eval_set set = {0};
    int rc = SOUK_EXIT_FAIL;
    if (souk_eval_load_corpus(&set, corpus) == 0 && souk_eval_load_judgments(&set, judgments) == 0)
        rc = run(&set, language, (size_t)k, per_query);
    souk_eval_set_release(&set);
    return rc;
}
