/*
 * eval_data.c — reading the corpus and the judgments of `souk eval search`.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/eval.h"
#include "core/csv.h"
#include "core/grow.h"
#include "core/banned.h"

static const char *const col_names[SOUK_EVAL_NCOLS] = {"title", "description", "brand", "category", "attributes"};

/* Column index of NAME in the header of R, or -1. */
static long column(const souk_csv *r, const char *name)
{
    for (size_t i = 0; i < souk_csv_field_count(r); i++)
        if (strcasecmp(souk_csv_field(r, i, NULL), name) == 0)
            return (long)i;
    return -1;
}

static int open_with_header(souk_csv **r, const char *path, const char *what)
{
    int rc = souk_csv_open_file(r, path, NULL);
    if (rc != SOUK_CSV_OK) {
        fprintf(stderr, "souk: cannot read the %s %s: %s\n", what, path, souk_csv_strerror(rc));
        return -1;
    }
    rc = souk_csv_next(*r);
    if (rc != SOUK_CSV_RECORD) {
        fprintf(stderr, "souk: the %s %s has no header row%s%s\n", what, path, rc < 0 ? ": " : "",
                rc < 0 ? souk_csv_error(*r) : "");
        souk_csv_free(*r);
        return -1;
    }
    return 0;
}

typedef struct {
    souk_eval_doc d;
    size_t line;
} loaded;

static int by_id_then_line(const void *x, const void *y)
{
    const loaded *a = x, *b = y;
    int c = strcmp(a->d.id, b->d.id);
    return c ? c : (a->line > b->line) - (a->line < b->line);
}

static void doc_free(souk_eval_doc *d)
{
    free(d->id);
    for (int c = 0; c < SOUK_EVAL_NCOLS; c++)
        free(d->col[c]);
}

int souk_eval_load_corpus(souk_eval_set *set, const char *path)
{
    souk_csv *r;
    if (open_with_header(&r, path, "corpus") < 0)
        return -1;
    long idc = column(r, "id"), cols[SOUK_EVAL_NCOLS];
    for (int c = 0; c < SOUK_EVAL_NCOLS; c++)
        cols[c] = column(r, col_names[c]);
    if (idc < 0 || cols[SOUK_EVAL_TITLE] < 0 || cols[SOUK_EVAL_DESCRIPTION] < 0) {
        fprintf(stderr, "souk: the corpus %s needs the columns id, title and description\n", path);
        souk_csv_free(r);
        return -1;
    }
    loaded *all = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = souk_csv_next(r)) != SOUK_CSV_END) {
        if (rc < 0) {
            fprintf(stderr, "souk: corpus line %llu: %s\n", (unsigned long long)souk_csv_line(r), souk_csv_error(r));
            if (!souk_csv_is_recoverable(rc))
                goto fail;
            set->skipped++;
            continue;
        }
        const char *id = souk_csv_field(r, (size_t)idc, NULL);
        if (!id || !*id) {
            set->skipped++;
            continue;
        }
        if (souk_grow(&all, &cap, n + 1, sizeof *all) < 0)
            goto nomem;
        loaded *l = &all[n];
        memset(l, 0, sizeof *l);
        l->line = (size_t)souk_csv_line(r);
        l->d.id = strdup(id);
        bool ok = l->d.id != NULL;
        for (int c = 0; c < SOUK_EVAL_NCOLS && ok; c++) {
            const char *v = cols[c] >= 0 ? souk_csv_field(r, (size_t)cols[c], NULL) : NULL;
            if (v && !(l->d.col[c] = strdup(v)))
                ok = false;
        }
        n++;
        if (!ok)
            goto nomem;
    }
    souk_csv_free(r);
    souk_sort(all, n, sizeof *all, by_id_then_line);
    set->docs = malloc(sizeof *set->docs * (n ? n : 1));
    if (!set->docs) {
        r = NULL;
        goto nomem;
    }
    for (size_t i = 0; i < n; i++) {
        if (set->ndocs && strcmp(set->docs[set->ndocs - 1].id, all[i].d.id) == 0) {
            doc_free(&all[i].d); /* a repeated id: the first record wins */
            set->skipped++;
            continue;
        }
        set->docs[set->ndocs++] = all[i].d;
    }
    free(all);
    return 0;
nomem:
    fprintf(stderr, "souk: out of memory reading the corpus\n");
fail:
    for (size_t i = 0; i < n; i++)
        doc_free(&all[i].d);
    free(all);
    souk_csv_free(r);
    return -1;
}

/* the document number (index + 1) of ID, or 0 */
static int64_t doc_number(const souk_eval_set *set, const char *id)
{
    size_t lo = 0, hi = set->ndocs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(set->docs[mid].id, id);
        if (c == 0)
            return (int64_t)mid + 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static souk_eval_query *query_for(souk_eval_set *set, const char *text)
{
    /* judgments come grouped by query in practice: look at the last one first */
    for (size_t i = set->nqueries; i-- > 0;)
        if (strcmp(set->queries[i].text, text) == 0)
            return &set->queries[i];
    if (souk_grow(&set->queries, &set->queries_cap, set->nqueries + 1, sizeof *set->queries) < 0)
        return NULL;
    souk_eval_query *q = &set->queries[set->nqueries];
    memset(q, 0, sizeof *q);
    if (!(q->text = strdup(text)))
        return NULL;
    set->nqueries++;
    return q;
}

int souk_eval_load_judgments(souk_eval_set *set, const char *path)
{
    souk_csv *r;
    if (open_with_header(&r, path, "judgments") < 0)
        return -1;
    long qc = column(r, "query"), idc = column(r, "id"), gc = column(r, "grade");
    if (qc < 0 || idc < 0 || gc < 0) {
        fprintf(stderr, "souk: the judgments %s need the columns query, id and grade\n", path);
        souk_csv_free(r);
        return -1;
    }
    int rc;
    while ((rc = souk_csv_next(r)) != SOUK_CSV_END) {
        if (rc < 0) {
            fprintf(stderr, "souk: judgments line %llu: %s\n", (unsigned long long)souk_csv_line(r), souk_csv_error(r));
            if (!souk_csv_is_recoverable(rc))
                goto fail;
            continue;
        }
        const char *text = souk_csv_field(r, (size_t)qc, NULL), *id = souk_csv_field(r, (size_t)idc, NULL),
                   *gs = souk_csv_field(r, (size_t)gc, NULL);
        char *end;
        double g = gs ? strtod(gs, &end) : -1;
        if (!text || !id || !gs || !*gs || *end || !isfinite(g) || g < 0 || g > 30) {
            fprintf(stderr, "souk: judgments line %llu: needs a query, an id and a grade from 0 to 30\n",
                    (unsigned long long)souk_csv_line(r));
            continue;
        }
        souk_eval_query *q = query_for(set, text);
        if (!q || souk_grow(&q->docs, &q->cap, q->n + 1, sizeof *q->docs) < 0)
            goto nomem;
        double *gr = realloc(q->grades, sizeof *gr * q->cap);
        if (!gr)
            goto nomem;
        q->grades = gr;
        int64_t d = doc_number(set, id);
        set->unknown_ids += d == 0;
        /* an id missing from the corpus still counts as relevant, with a number no ranking returns */
        q->docs[q->n] = d ? d : -(int64_t)(set->njudgments + 1);
        q->grades[q->n++] = g;
        set->njudgments++;
    }
    souk_csv_free(r);
    return 0;
nomem:
    fprintf(stderr, "souk: out of memory reading the judgments\n");
fail:
    souk_csv_free(r);
    return -1;
}

void souk_eval_set_release(souk_eval_set *set)
{
    for (size_t i = 0; i < set->ndocs; i++)
        doc_free(&set->docs[i]);
    free(set->docs);
    for (size_t i = 0; i < set->nqueries; i++) {
        free(set->queries[i].text);
        free(set->queries[i].docs);
        free(set->queries[i].grades);
    }
    free(set->queries);
    memset(set, 0, sizeof *set);
}
