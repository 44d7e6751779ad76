/*
 * eval_fraud.c — `souk eval fraud`: the fraud-risk score (src/fraud)
 * measured on the labelled synthetic order stream: precision and recall
 * at the hold threshold and around it, recall per planted pattern, the
 * false-positive rate among legitimate orders, and how often each reason
 * fires.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/eval.h"
#include "fraud/fraud.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk eval fraud [--orders N] [--seed S] [--fraud-share P] [--threshold T]\n\n"
    "Generates a labelled synthetic order stream (N orders, default 200000, over 60 days; seed S,\n"
    "default 1; a share P of them fraudulent, default 0.02, in four planted patterns: card testing,\n"
    "a stolen card on an existing account, a new account buying big, a reshipping address; with\n"
    "legitimate look-alikes) and scores every order as checkout would (docs/internals/fraud.md).\n"
    "Prints precision and recall of holding the orders scoring T or more (default 50) and of other\n"
    "thresholds, recall per pattern, and how often each reason fires.\n";

static int parse(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int souk_eval_fraud(int argc, char **argv)
{
    static const struct option opts[] = {{"orders", required_argument, NULL, 'n'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"fraud-share", required_argument, NULL, 'p'},
                                         {"threshold", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    double n = 200000, seed = 1, share = 0.02, threshold = SOUK_FRAUD_THRESHOLD_DEFAULT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 'n':
            if (parse(optarg, 100, 10000000, &n) < 0) {
                fprintf(stderr, "souk: --orders takes a number from 100 to 10000000\n");
                return SOUK_EXIT_USAGE;
            }
            break;
        case 's':
            if (parse(optarg, 0, 4e9, &seed) < 0) {
                fprintf(stderr, "souk: --seed takes a whole number\n");
                return SOUK_EXIT_USAGE;
            }
            break;
        case 'p':
            if (parse(optarg, 0.001, 0.5, &share) < 0) {
                fprintf(stderr, "souk: --fraud-share takes a number from 0.001 to 0.5\n");
                return SOUK_EXIT_USAGE;
            }
            break;
        case 't':
            if (parse(optarg, 1, 100, &threshold) < 0) {
                fprintf(stderr, "souk: --threshold takes a score from 1 to 100\n");
                return SOUK_EXIT_USAGE;
            }
            break;
        default: fprintf(stderr, "souk: see 'souk eval fraud --help'\n"); return SOUK_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "souk: unexpected argument '%s'; see 'souk eval fraud --help'\n", argv[optind]);
        return SOUK_EXIT_USAGE;
    }
    souk_fraud_case *cs;
    size_t nn = (size_t)n;
    if (souk_fraud_synthetic((uint64_t)seed, nn, share, &cs) < 0) {
        fprintf(stderr, "souk: out of memory\n");
        return SOUK_EXIT_FAIL;
    }
    int *score = malloc(nn * sizeof *score);
    if (!score) {
        free(cs);
        fprintf(stderr, "souk: out of memory\n");
        return SOUK_EXIT_FAIL;
    }
    static const char *const reason_names[] = {
        "card_velocity", "email_velocity", "address_velocity", "many_emails_one_address", "many_cards",      "declines",
        "new_card",      "amount_unusual", "country_mismatch", "new_account_high_value",  "guest_high_value"};
    enum { NR = sizeof reason_names / sizeof reason_names[0] };
    size_t fired[NR][2] = {{0}}, kinds[SOUK_FRAUD_KINDS] = {0}, caught[SOUK_FRAUD_KINDS] = {0};
    size_t frauds = 0;
    for (size_t i = 0; i < nn; i++) {
        souk_fraud_result r;
        souk_fraud_score(&cs[i].s, &r);
        score[i] = r.score;
        bool bad = cs[i].kind != SOUK_FRAUD_NORMAL;
        frauds += bad;
        kinds[cs[i].kind]++;
        if (r.score >= threshold)
            caught[cs[i].kind]++;
        for (int k = 0; k < r.nreasons; k++)
            for (int j = 0; j < NR; j++)
                if (strcmp(r.reasons[k], reason_names[j]) == 0)
                    fired[j][bad]++;
    }
    printf("synthetic orders: %zu (seed %.0f), %zu fraudulent (%.2f%%)\n", nn, seed, frauds,
           100.0 * (double)frauds / (double)nn);
    printf("%-10s %10s %10s %10s %10s %12s\n", "threshold", "held", "precision", "recall", "F1", "legit_held");
    int marks[] = {20, 30, 40, 50, 60, 70, 80, (int)threshold};
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        if (m == sizeof marks / sizeof marks[0] - 1 && (marks[m] % 10 == 0 && marks[m] >= 20 && marks[m] <= 80))
            break; /* the threshold is in the table already */
        size_t held = 0, tp = 0;
        for (size_t i = 0; i < nn; i++)
            if (score[i] >= marks[m]) {
                held++;
                tp += cs[i].kind != SOUK_FRAUD_NORMAL;
            }
        double p = held ? (double)tp / (double)held : 0, r = frauds ? (double)tp / (double)frauds : 0;
        printf("%-10d %10zu %10.4f %10.4f %10.4f %11.3f%%%s\n", marks[m], held, p, r,
               p + r > 0 ? 2 * p * r / (p + r) : 0, 100.0 * (double)(held - tp) / (double)(nn - frauds),
               marks[m] == (int)threshold ? "   <- the threshold" : "");
    }
    printf("recall per pattern at %.0f:", threshold);
    for (int k = 1; k < SOUK_FRAUD_KINDS; k++)
        printf(" %s %.4f (%zu)", souk_fraud_kind_name((souk_fraud_kind)k),
               kinds[k] ? (double)caught[k] / (double)kinds[k] : 0, kinds[k]);
    printf("\nlegitimate orders held at %.0f: %zu of %zu\n", threshold, caught[0], kinds[0]);
    printf("reasons fired (fraudulent / legitimate orders):");
    for (int j = 0; j < NR; j++)
        printf(" %s %zu/%zu", reason_names[j], fired[j][1], fired[j][0]);
    printf("\n");
    free(score);
    free(cs);
    return SOUK_EXIT_OK;
}
