/*
 * eval_speed.c — `souk eval speed`: how fast souk's engine answers a query
 * log, in process, beside SQLite FTS5 on the same corpus (bench/search.sh
 * drives it; Xapian is measured there by its own bindings).
 *
 * Both engines answer the same question: the documents with all the words
 * (FTS5's implicit AND; souk with typo tolerance and, only when nothing has
 * all the words, its fallback), the best K by their ranking, and for
 * "+facets" classes the ten most frequent brands and categories over the
 * whole result set (souk's facet bitmaps; FTS5 two GROUP BY queries). A
 * "prefix" class completes the last word in both. Each query runs once to
 * warm up, then REPEAT times; a class's queries per second is its
 * executions over their summed time on one thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/cli.h"
#include "app/eval.h"
#include "core/grow.h"
#include "search/query.h"
#include "core/time.h"
#include "core/banned.h"

#define CLASSES_MAX 32
#define QUERY_MAX 1024 /* bytes of one query line */

typedef struct {
    char name[48];
    double *souk, *fts; /* seconds per execution */
    size_t n, cap_s, cap_f, queries;
    uint64_t souk_hits, fts_hits; /* results (totals), to show both did work */
} klass;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the Q-quantile of the N sorted values V, in milliseconds */
static double quantile_ms(const double *v, size_t n, double q)
{
    if (!n)
        return NAN;
    size_t i = (size_t)ceil(q * (double)n);
    return v[i ? i - 1 : 0] * 1e3;
}

static double sum(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static klass *class_of(klass *cls, size_t *ncls, const char *name)
{
    for (size_t i = 0; i < *ncls; i++)
        if (strcmp(cls[i].name, name) == 0)
            return &cls[i];
    if (*ncls == CLASSES_MAX)
        return NULL;
    klass *c = &cls[(*ncls)++];
    memset(c, 0, sizeof *c);
    size_t n = strnlen(name, sizeof c->name - 1);
    memcpy(c->name, name, n);
    c->name[n] = '\0';
    return c;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Runs one query of class C REPEAT + 1 times on each engine. 0, or -1 after printing why. */
static int run_query(klass *c, const char *q, souk_search_segment *seg, souk_search_text *text, souk_eval_fts *fts,
                     size_t k, int repeat)
{
    bool prefix = strncmp(c->name, "prefix", 6) == 0, facets = ends_with(c->name, "+facets");
    static const char *const dims[] = {"brand", "category"};
    int64_t ids[SOUK_SEARCH_LIMIT_MAX];
    c->queries++;
    for (int i = 0; i <= repeat; i++) {
        souk_arena a;
        souk_arena_init(&a, 0, 0);
        souk_search_request req = {.q = q,
                                   .qlen = strlen(q),
                                   .flags = prefix ? 0 : SOUK_SEARCH_Q_NO_PREFIX,
                                   .facets = facets ? dims : NULL,
                                   .nfacets = facets ? 2 : 0,
                                   .limit = k};
        souk_search_result r;
        double t0 = souk_time_mono_s();
        souk_search_status st = souk_search_run(seg, text, &req, &a, &r);
        double t1 = souk_time_mono_s();
        souk_arena_release(&a);
        if (st != SOUK_SEARCH_OK) {
            fprintf(stderr, "souk: query '%s': %s\n", q, souk_search_strerror(st));
            return -1;
        }
        t0 = t1 - t0;
        double f0 = souk_time_mono_s();
        long nf = souk_eval_fts_search(fts, q, prefix, k, ids, facets);
        double f1 = souk_time_mono_s() - f0;
        if (nf < 0) {
            fprintf(stderr, "souk: FTS5 query '%s' failed\n", q);
            return -1;
        }
        if (i == 0) { /* the warm-up */
            c->souk_hits += r.total;
            c->fts_hits += (uint64_t)nf;
            continue;
        }
        if (souk_grow(&c->souk, &c->cap_s, c->n + 1, sizeof *c->souk) < 0 ||
            souk_grow(&c->fts, &c->cap_f, c->n + 1, sizeof *c->fts) < 0) {
            fprintf(stderr, "souk: out of memory\n");
            return -1;
        }
        c->souk[c->n] = t0;
        c->fts[c->n] = f1;
        c->n++;
    }
    return 0;
}

static void print_classes(klass *cls, size_t ncls)
{
    printf("\n%-16s %7s | %10s %8s %8s %10s | %10s %8s %8s %10s | %9s\n", "class", "queries", "souk q/s", "p50 ms",
           "p99 ms", "results", "fts5 q/s", "p50 ms", "p99 ms", "top-k", "souk/fts5");
    for (size_t i = 0; i < ncls; i++) {
        klass *c = &cls[i];
        souk_sort(c->souk, c->n, sizeof *c->souk, cmp_double);
        souk_sort(c->fts, c->n, sizeof *c->fts, cmp_double);
        double qs = c->n ? (double)c->n / sum(c->souk, c->n) : 0, qf = c->n ? (double)c->n / sum(c->fts, c->n) : 0;
        printf("%-16s %7zu | %10.0f %8.3f %8.3f %10llu | %10.0f %8.3f %8.3f %10llu | %9.2f\n", c->name, c->queries, qs,
               quantile_ms(c->souk, c->n, 0.5), quantile_ms(c->souk, c->n, 0.99), (unsigned long long)c->souk_hits, qf,
               quantile_ms(c->fts, c->n, 0.5), quantile_ms(c->fts, c->n, 0.99), (unsigned long long)c->fts_hits,
               qf > 0 ? qs / qf : 0.0);
        printf("SPEED class=%s souk_qps=%.0f souk_p50_ms=%.3f souk_p99_ms=%.3f fts5_qps=%.0f fts5_p50_ms=%.3f "
               "fts5_p99_ms=%.3f\n",
               c->name, qs, quantile_ms(c->souk, c->n, 0.5), quantile_ms(c->souk, c->n, 0.99), qf,
               quantile_ms(c->fts, c->n, 0.5), quantile_ms(c->fts, c->n, 0.99));
    }
}

int souk_eval_speed(const souk_eval_set *set, const char *queries, const char *language, size_t k, int repeat)
{
    FILE *in = fopen(queries, "r");
    if (!in) {
        fprintf(stderr, "souk: cannot open %s\n", queries);
        return SOUK_EXIT_FAIL;
    }
    long rss0 = rss_kib();
    double secs = 0;
    souk_search_segment *seg = souk_eval_index(set, language, &secs);
    long rss1 = rss_kib();
    double t0 = souk_time_mono_s();
    souk_eval_fts *fts = seg ? souk_eval_fts_build(set) : NULL;
    double fts_secs = souk_time_mono_s() - t0;
    long rss2 = rss_kib();
    souk_search_text text;
    bool text_ok = fts && souk_search_text_init(&text, language) == 0;
    if (!text_ok) {
        fclose(in);
        souk_eval_fts_free(fts);
        if (seg)
            souk_search_segment_unref(seg);
        return SOUK_EXIT_FAIL;
    }
    printf("corpus: %zu documents\n", set->ndocs);
    printf("souk index: %.3f s (%.0f docs/s), %.1f MB by its own count, RSS +%.1f MB\n", secs,
           secs > 0 ? (double)set->ndocs / secs : 0.0, souk_search_segment_bytes(seg) / 1e6, (rss1 - rss0) / 1024.0);
    printf("FTS5 index: %.3f s (%.0f docs/s), RSS +%.1f MB (in-memory database)\n", fts_secs,
           fts_secs > 0 ? (double)set->ndocs / fts_secs : 0.0, (rss2 - rss1) / 1024.0);
    printf("BUILD souk_s=%.3f souk_mb=%.1f fts5_s=%.3f fts5_rss_mb=%.1f docs=%zu\n", secs,
           souk_search_segment_bytes(seg) / 1e6, fts_secs, (rss2 - rss1) / 1024.0, set->ndocs);
    klass cls[CLASSES_MAX];
    size_t ncls = 0, lineno = 0;
    char line[QUERY_MAX + 64];
    int rc = SOUK_EXIT_OK;
    while (rc == SOUK_EXIT_OK && fgets(line, sizeof line, in)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(in)) { /* longer than the buffer: refused, not split */
            fprintf(stderr, "souk: %s:%zu: a line longer than %d bytes\n", queries, lineno, QUERY_MAX + 62);
            rc = SOUK_EXIT_FAIL;
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (!tab || tab == line || strlen(tab + 1) > QUERY_MAX) {
            fprintf(stderr, "souk: %s:%zu: expected CLASS<TAB>QUERY\n", queries, lineno);
            rc = SOUK_EXIT_FAIL;
            break;
        }
        *tab = '\0';
        klass *c = class_of(cls, &ncls, line);
        if (!c) {
            fprintf(stderr, "souk: %s:%zu: more than %d classes\n", queries, lineno, CLASSES_MAX);
            rc = SOUK_EXIT_FAIL;
        } else if (run_query(c, tab + 1, seg, &text, fts, k, repeat) < 0) {
            rc = SOUK_EXIT_FAIL;
        }
    }
    fclose(in);
    if (rc == SOUK_EXIT_OK)
        print_classes(cls, ncls);
    for (size_t i = 0; i < ncls; i++) {
        free(cls[i].souk);
        free(cls[i].fts);
    }
    souk_search_text_release(&text);
    souk_eval_fts_free(fts);
    souk_search_segment_unref(seg);
    return rc;
}
