/*
 * eval_clv.c — `souk eval clv --orders FILE --cutoff DATE`: customer
 * lifetime value measured on a time holdout. BG/NBD and Gamma-Gamma are
 * fitted on the customers' history up to CUTOFF (the same code as GET
 * /api/v1/admin/analytics/clv, on every customer), then each customer's
 * expected purchases (days with a purchase) and spend in the days from
 * CUTOFF to the file's end are compared with what they did: totals, mean
 * absolute error per customer, and the same errors of a naive forecast
 * (each customer's past daily rate of transactions and spend carried on).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/analytics.h"
#include "app/cli.h"
#include "app/eval.h"
#include "core/time.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk eval clv --orders FILE --cutoff YYYY-MM-DD\n\n"
    "Fits the lifetime-value models of the analytics (BG/NBD for purchases, Gamma-Gamma for their\n"
    "value; docs/analytics.md) on FILE's history up to CUTOFF, an order file in the Online Retail\n"
    "layout (as souk eval churn reads), and compares each customer's predicted purchases (days with a\n"
    "purchase) and spend from CUTOFF to the file's last day with what happened: the totals, their\n"
    "relative error, the mean absolute error per customer, and the same for a naive forecast that\n"
    "carries each customer's past daily rate on.\n";

int souk_eval_clv(int argc, char **argv)
{
    static const struct option opts[] = {{"orders", required_argument, NULL, 'o'},
                                         {"cutoff", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int32_t cutoff = 0;
    bool has_cutoff = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 'o': path = optarg; break;
        case 'c':
            if (souk_eval_cutoff(optarg, &cutoff) < 0)
                return SOUK_EXIT_USAGE;
            has_cutoff = true;
            break;
        default: fprintf(stderr, "souk: see 'souk eval clv --help'\n"); return SOUK_EXIT_USAGE;
        }
    }
    if (!path || !has_cutoff || optind != argc) {
        fprintf(stderr, "souk: eval clv needs --orders FILE and --cutoff DATE; see 'souk eval clv --help'\n");
        return SOUK_EXIT_USAGE;
    }
    int32_t last;
    size_t norders, nlines;
    int rc = SOUK_EXIT_FAIL;
    souk_analytics_clv_customer *cs = NULL;
    size_t n = 0;
    char a[11], b[11];
    souk_analytics_facts *f = souk_eval_retail_open(path, &last, &norders, &nlines);
    if (!f)
        return SOUK_EXIT_FAIL;
    if (cutoff >= last) {
        fprintf(stderr, "souk: the cutoff must be before the file's last day (%s)\n",
                souk_analytics_format_day(last, a));
        rc = SOUK_EXIT_USAGE;
        goto out;
    }
    double t0 = souk_time_mono_s();
    souk_analytics_query q = {.to = cutoff, .currency = -1, .channel = -1};
    if (souk_analytics_clv_summary(f, &q, last, &cs, &n) < 0 || !n) {
        fprintf(stderr, "souk: no customer bought before the cutoff (or out of memory)\n");
        goto out;
    }
    souk_analytics_bgnbd bg;
    souk_analytics_gg gg;
    if (souk_analytics_bgnbd_fit(cs, n, &bg) < 0 || souk_analytics_gg_fit(cs, n, &gg) < 0) {
        fprintf(stderr, "souk: the models could not be fitted\n");
        goto out;
    }
    double fit_s = souk_time_mono_s() - t0, days = last - cutoff;
    double px = 0, ax = 0, pv = 0, av = 0, mae_x = 0, mae_v = 0, nx = 0, nv = 0, nmae_x = 0, nmae_v = 0;
    for (size_t i = 0; i < n; i++) {
        const souk_analytics_clv_customer *k = &cs[i];
        double e = souk_analytics_bgnbd_expected(&bg, k->x, k->tx, k->T, days);
        double v = e * souk_analytics_gg_mean(&gg, k->x, k->m) * 100.0;
        double rate = (k->x + 1) / (k->T + 1), spend = 0;
        /* the naive forecast: the customer's transactions per day so far, times their mean transaction */
        spend = rate * days * (k->x > 0 ? k->m * 100.0 : 0);
        px += e;
        ax += k->hold_x;
        pv += v;
        av += k->hold_value;
        mae_x += fabs(e - k->hold_x);
        mae_v += fabs(v - k->hold_value);
        nx += rate * days;
        nv += spend;
        nmae_x += fabs(rate * days - k->hold_x);
        nmae_v += fabs(spend - k->hold_value);
    }
    double dn = (double)n;
    printf("orders: %zu (%zu lines) up to %s; calibration up to %s, holdout %.0f days: %zu customers\n", norders,
           nlines, souk_analytics_format_day(last, a), souk_analytics_format_day(cutoff, b), days, n);
    printf("BG/NBD r %.4f alpha %.4f a %.4f b %.4f (log-likelihood %.1f, %d evaluations); Gamma-Gamma p %.4f q %.4f "
           "gamma %.4f (%d evaluations); fitted in %.2f s\n",
           bg.r, bg.alpha, bg.a, bg.b, bg.loglik, bg.evals, gg.p, gg.q, gg.gamma, gg.evals, fit_s);
    printf("%-22s %14s %14s %10s %14s\n", "holdout", "predicted", "actual", "error", "MAE/customer");
    printf("%-22s %14.1f %14.1f %+9.1f%% %14.3f\n", "purchases (BG/NBD)", px, ax, 100 * (px - ax) / ax, mae_x / dn);
    printf("%-22s %14.1f %14.1f %+9.1f%% %14.3f\n", "purchases (naive)", nx, ax, 100 * (nx - ax) / ax, nmae_x / dn);
    printf("%-22s %14.0f %14.0f %+9.1f%% %14.0f\n", "spend (BG/NBD+GG)", pv / 100, av / 100, 100 * (pv - av) / av,
           mae_v / dn / 100);
    printf("%-22s %14.0f %14.0f %+9.1f%% %14.0f\n", "spend (naive)", nv / 100, av / 100, 100 * (nv - av) / av,
           nmae_v / dn / 100);
    rc = SOUK_EXIT_OK;
out:
    free(cs);
    souk_eval_retail_free(f);
    return rc;
}
