/*
 * eval.c — labelled review sets from CSV (text,label), for `souk eval
 * sentiment` and the accuracy test (tests/unit/test_reviews_sentiment.c).
 */
#include "reviews/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/banned.h"

void souk_reviews_labelled_release(souk_reviews_labelled *out)
{
    for (size_t i = 0; out->texts && i < out->n; i++)
        free(out->texts[i]);
    free(out->texts);
    free(out->lens);
    free(out->labels);
    memset(out, 0, sizeof *out);
}

static int grow(souk_reviews_labelled *o, size_t *cap)
{
    if (o->n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 256;
    char **t = realloc(o->texts, nc * sizeof *t);
    if (!t)
        return -1;
    o->texts = t;
    size_t *l = realloc(o->lens, nc * sizeof *l);
    if (!l)
        return -1;
    o->lens = l;
    int *b = realloc(o->labels, nc * sizeof *b);
    if (!b)
        return -1;
    o->labels = b;
    *cap = nc;
    return 0;
}

int souk_reviews_labelled_load(const char *path, souk_reviews_labelled *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    souk_csv *r;
    int rc = souk_csv_open_file(&r, path, NULL);
    if (rc != SOUK_CSV_OK) {
        snprintf(err, errlen, "cannot read %s: %s", path, souk_csv_strerror(rc));
        return -1;
    }
    long text_col = -1, label_col = -1;
    size_t cap = 0;
    bool header = true;
    int result = 0;
    while ((rc = souk_csv_next(r)) != SOUK_CSV_END) {
        if (rc != SOUK_CSV_RECORD) {
            snprintf(err, errlen, "%s line %llu: %s", path, (unsigned long long)souk_csv_line(r), souk_csv_error(r));
            result = -1;
            break;
        }
        size_t nf = souk_csv_field_count(r);
        if (header) {
            for (size_t i = 0; i < nf; i++) {
                const char *f = souk_csv_field(r, i, NULL);
                if (strcmp(f, "text") == 0)
                    text_col = (long)i;
                else if (strcmp(f, "label") == 0)
                    label_col = (long)i;
            }
            if (text_col < 0 || label_col < 0) {
                snprintf(err, errlen, "%s: the header must name the columns text and label", path);
                result = -1;
                break;
            }
            header = false;
            continue;
        }
        if ((size_t)text_col >= nf || (size_t)label_col >= nf) {
            snprintf(err, errlen, "%s line %llu: too few fields", path, (unsigned long long)souk_csv_line(r));
            result = -1;
            break;
        }
        size_t tl, ll;
        const char *text = souk_csv_field(r, (size_t)text_col, &tl), *label = souk_csv_field(r, (size_t)label_col, &ll);
        int lab = souk_reviews_label_parse(label, ll);
        if (lab < 0) {
            snprintf(err, errlen, "%s line %llu: the label must be positive, neutral or negative", path,
                     (unsigned long long)souk_csv_line(r));
            result = -1;
            break;
        }
        if (out->n >= SOUK_REVIEWS_LABELLED_MAX || grow(out, &cap) < 0 || !(out->texts[out->n] = malloc(tl + 1))) {
            snprintf(err, errlen, "%s: too many rows or out of memory", path);
            result = -1;
            break;
        }
        memcpy(out->texts[out->n], text, tl);
        out->texts[out->n][tl] = '\0';
        out->lens[out->n] = tl;
        out->labels[out->n++] = lab;
    }
    if (result == 0 && header) {
        snprintf(err, errlen, "%s: empty file", path);
        result = -1;
    }
    souk_csv_free(r);
    if (result < 0)
        souk_reviews_labelled_release(out);
    return result;
}
