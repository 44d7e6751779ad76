/*
 * eval_sentiment.c — `souk eval sentiment --file F.csv`: the accuracy of
 * the review sentiment analyser (src/reviews/sentiment.c) on a labelled set
 * (CSV with the columns text,label), with precision, recall and F1 per
 * class and the confusion matrix. --half first|second scores one half of
 * the rows (the development and the held-out half, docs/internals/reviews.md).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "app/eval.h"
#include "reviews/reviews.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk eval sentiment --file FILE [--half all|first|second] [--errors]\n\n"
    "Scores every review of FILE (CSV with a header naming the columns text and label; labels\n"
    "positive, neutral, negative) with the review sentiment analyser and prints the accuracy,\n"
    "precision, recall and F1 per class and the confusion matrix (rows: true label, columns:\n"
    "predicted). --half first / second scores only the first / second half of the rows (the\n"
    "development and held-out halves of tests/data/reviews_sentiment.csv). --errors also lists\n"
    "the misclassified rows with their score.\n";

int souk_eval_sentiment(int argc, char **argv)
{
    static const struct option long_opts[] = {{"file", required_argument, NULL, 'f'},
                                              {"half", required_argument, NULL, 'H'},
                                              {"errors", no_argument, NULL, 'e'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    const char *file = NULL, *half = "all";
    bool errors = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 'f': file = optarg; break;
        case 'H': half = optarg; break;
        case 'e': errors = true; break;
        default: fprintf(stderr, "souk: see 'souk eval sentiment --help'\n"); return SOUK_EXIT_USAGE;
        }
    }
    if (!file || optind != argc ||
        (strcmp(half, "all") != 0 && strcmp(half, "first") != 0 && strcmp(half, "second") != 0)) {
        fputs(usage, stderr);
        return SOUK_EXIT_USAGE;
    }
    souk_reviews_labelled set;
    char err[512];
    if (souk_reviews_labelled_load(file, &set, err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return SOUK_EXIT_FAIL;
    }
    size_t from = 0, to = set.n;
    if (strcmp(half, "first") == 0)
        to = set.n / 2;
    else if (strcmp(half, "second") == 0)
        from = set.n / 2;
    souk_reviews_analyser *an = souk_reviews_analyser_new();
    souk_reviews_eval ev;
    if (!an || souk_reviews_evaluate(an, (const char *const *)set.texts, set.lens, set.labels, from, to, &ev) < 0) {
        fprintf(stderr, "souk: out of memory\n");
        souk_reviews_analyser_free(an);
        souk_reviews_labelled_release(&set);
        return SOUK_EXIT_FAIL;
    }
    printf("reviews: %zu (rows %zu-%zu of %s, half: %s)\n", ev.n, from + 1, to, file, half);
    printf("accuracy: %.3f\n\n", ev.accuracy);
    printf("%-10s %9s %9s %9s %8s\n", "class", "precision", "recall", "f1", "support");
    for (int k = 0; k < 3; k++) {
        size_t support = ev.confusion[k][0] + ev.confusion[k][1] + ev.confusion[k][2];
        printf("%-10s %9.3f %9.3f %9.3f %8zu\n", souk_reviews_label_name(k), ev.precision[k], ev.recall[k], ev.f1[k],
               support);
    }
    printf("\nconfusion (rows: true, columns: predicted)\n%-10s %9s %9s %9s\n", "", "negative", "neutral", "positive");
    for (int k = 0; k < 3; k++)
        printf("%-10s %9zu %9zu %9zu\n", souk_reviews_label_name(k), ev.confusion[k][0], ev.confusion[k][1],
               ev.confusion[k][2]);
    if (errors) {
        printf("\nmisclassified (row, true, predicted, score, text)\n");
        for (size_t i = from; i < to; i++) {
            souk_reviews_sentiment r;
            if (souk_reviews_sentiment_score(an, set.texts[i], set.lens[i], &r) == 0 && r.label != set.labels[i])
                printf("%zu\t%s\t%s\t%+.3f\t%s\n", i + 1, souk_reviews_label_name(set.labels[i]),
                       souk_reviews_label_name(r.label), r.score, set.texts[i]);
        }
    }
    souk_reviews_analyser_free(an);
    souk_reviews_labelled_release(&set);
    return SOUK_EXIT_OK;
}
