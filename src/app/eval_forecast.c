/*
 * eval_forecast.c — `souk eval forecast`: forecast accuracy of every method
 * of src/forecast and of the automatic choice on a holdout (the last H
 * points of each series), against the seasonal naive method, with the
 * fitting time per series (bench/forecast.sh).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/eval.h"
#include "core/time.h"
#include "forecast/forecast.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk eval forecast --series FILE --horizon H [--period M] [--per-series]\n\n"
    "Reads series from a CSV with a header naming series_id,date,value (one row per series and\n"
    "period, any order; may be gzip-compressed), holds out the last H points of every series,\n"
    "fits each method on the points before them, forecasts H periods and prints sMAPE (percent)\n"
    "and MASE per method: seasonal naive, ETS chosen by AICc, Croston, SBA, and the automatic\n"
    "choice (which picks among them by its own holdout inside the training part), each relative\n"
    "to seasonal naive, with the fitting time per series.\n\n"
    "  --series FILE   the series CSV\n"
    "  --horizon H     points held out and forecast, 1-366\n"
    "  --period M      seasonal period, 1-52 (default 1: none; 7 for daily data with a weekly pattern)\n"
    "  --per-series    also print each series' choice and errors\n";

enum { AUTO = SOUK_FORECAST_METHODS, NCOLS };

typedef struct {
    double smape, mase, secs;
    size_t n_mase, fallback;
} acc;

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int souk_eval_forecast(int argc, char **argv)
{
    static const struct option opts[] = {
        {"series", required_argument, NULL, 's'}, {"horizon", required_argument, NULL, 'H'},
        {"period", required_argument, NULL, 'm'}, {"per-series", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *path = NULL;
    long h = 0, m = 1;
    bool per_series = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 's': path = optarg; break;
        case 'p': per_series = true; break;
        case 'H':
            if (parse_long(optarg, 1, SOUK_FORECAST_H_MAX, &h) < 0) {
                fprintf(stderr, "souk: --horizon takes a whole number from 1 to %d\n", SOUK_FORECAST_H_MAX);
                return SOUK_EXIT_USAGE;
            }
            break;
        case 'm':
            if (parse_long(optarg, 1, SOUK_FORECAST_M_MAX, &m) < 0) {
                fprintf(stderr, "souk: --period takes a whole number from 1 to %d\n", SOUK_FORECAST_M_MAX);
                return SOUK_EXIT_USAGE;
            }
            break;
        default: fprintf(stderr, "souk: see 'souk eval forecast --help'\n"); return SOUK_EXIT_USAGE;
        }
    }
    if (!path || !h || optind != argc) {
        fprintf(stderr, "souk: eval forecast needs --series FILE and --horizon H; see 'souk eval forecast --help'\n");
        return SOUK_EXIT_USAGE;
    }
    souk_forecast_series_set set;
    char err[256];
    if (souk_forecast_csv_read_file(path, &set, err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s: %s\n", path, err);
        return SOUK_EXIT_FAIL;
    }
    size_t need = (size_t)h + (m > 1 ? 2 * (size_t)m : 8), skipped = 0, evaluated = 0;
    acc a[NCOLS] = {0};
    size_t chosen[SOUK_FORECAST_METHODS] = {0}, ets_classes[2][3][3] = {{{0}}};
    double fit_max = 0;
    static double fc[NCOLS][SOUK_FORECAST_H_MAX];
    souk_forecast_model model;
    if (per_series)
        printf("%-24s %6s %-8s %-14s %10s %10s %10s\n", "series", "n", "auto", "ets_class", "sMAPE_auto", "sMAPE_snv",
               "fit_ms");
    for (size_t i = 0; i < set.nseries; i++) {
        const souk_forecast_series *s = &set.series[i];
        if (s->n < need) {
            skipped++;
            continue;
        }
        size_t ntrain = s->n - (size_t)h;
        const double *y = s->y, *actual = s->y + ntrain;
        double smape[NCOLS], mase[NCOLS], secs[NCOLS];
        bool ok[NCOLS];
        char cls_name[16] = "-";
        for (int k = 0; k < NCOLS; k++) {
            double t0 = souk_time_mono_s();
            int rc = k == AUTO ? souk_forecast_auto(y, ntrain, (int)m, (size_t)h, &model, NULL)
                               : souk_forecast_fit((souk_forecast_method)k, y, ntrain, (int)m, &model);
            if (rc == 0)
                rc = souk_forecast_predict(&model, (size_t)h, fc[k], NULL, NULL, NULL, NULL);
            secs[k] = souk_time_mono_s() - t0;
            ok[k] = rc == 0;
            if (k == SOUK_FORECAST_SNAIVE && !ok[k]) {
                fprintf(stderr, "souk: series '%s': seasonal naive failed\n", s->id);
                souk_forecast_series_set_release(&set);
                return SOUK_EXIT_FAIL;
            }
            if (!ok[k]) /* a method that cannot fit this series stands in with seasonal naive */
                memcpy(fc[k], fc[SOUK_FORECAST_SNAIVE], sizeof fc[k]);
            if (k == SOUK_FORECAST_ETS && ok[k]) {
                ets_classes[model.ets.cls.error][model.ets.cls.trend][model.ets.cls.season]++;
                souk_forecast_ets_name(model.ets.cls, cls_name);
            }
            if (k == AUTO && ok[k])
                chosen[model.method]++;
            smape[k] = souk_forecast_smape(actual, fc[k], (size_t)h);
            mase[k] = souk_forecast_mase(actual, fc[k], (size_t)h, y, ntrain, (int)m);
            a[k].smape += smape[k];
            if (!isnan(mase[k])) {
                a[k].mase += mase[k];
                a[k].n_mase++;
            }
            a[k].secs += secs[k];
            a[k].fallback += !ok[k];
        }
        fit_max = fmax(fit_max, secs[AUTO]);
        evaluated++;
        if (per_series)
            printf("%-24s %6zu %-8s %-14s %10.3f %10.3f %10.3f\n", s->id, s->n,
                   ok[AUTO] ? souk_forecast_method_name(model.method) : "-", cls_name, smape[AUTO],
                   smape[SOUK_FORECAST_SNAIVE], secs[AUTO] * 1e3);
    }
    printf("series: %zu evaluated, %zu skipped (fewer than %zu points); horizon %ld, period %ld; %zu rows\n", evaluated,
           skipped, need, h, m, set.nrows);
    if (!evaluated) {
        fprintf(stderr, "souk: no series long enough to evaluate\n");
        souk_forecast_series_set_release(&set);
        return SOUK_EXIT_FAIL;
    }
    double n = (double)evaluated;
    acc *b = &a[SOUK_FORECAST_SNAIVE];
    double b_smape = b->smape / n, b_mase = b->n_mase ? b->mase / (double)b->n_mase : NAN;
    printf("\n%-8s %9s %9s %13s %12s %14s %9s\n", "method", "sMAPE", "MASE", "sMAPE/snaive", "MASE/snaive",
           "fit_ms/series", "fallback");
    for (int k = 0; k < NCOLS; k++) {
        double sm = a[k].smape / n, ma = a[k].n_mase ? a[k].mase / (double)a[k].n_mase : NAN;
        printf("%-8s %9.3f %9.4f %13.4f %12.4f %14.3f %9zu\n",
               k == AUTO ? "auto" : souk_forecast_method_name((souk_forecast_method)k), sm, ma,
               b_smape > 0 ? sm / b_smape : NAN, b_mase > 0 ? ma / b_mase : NAN, a[k].secs * 1e3 / n, a[k].fallback);
    }
    printf("\nauto chose:");
    for (int k = 0; k < SOUK_FORECAST_METHODS; k++)
        printf(" %s %zu", souk_forecast_method_name((souk_forecast_method)k), chosen[k]);
    printf("\nETS classes by AICc:");
    for (int e = 0; e < 2; e++)
        for (int t = 0; t < 3; t++)
            for (int s = 0; s < 3; s++)
                if (ets_classes[e][t][s]) {
                    char name[16];
                    souk_forecast_ets_class cls = {(souk_forecast_err)e, (souk_forecast_trend)t,
                                                   (souk_forecast_season)s};
                    printf(" %s %zu", souk_forecast_ets_name(cls, name), ets_classes[e][t][s]);
                }
    printf("\nfitting time per series (auto, all candidates and the refit): mean %.3f ms, max %.3f ms\n",
           a[AUTO].secs * 1e3 / n, fit_max * 1e3);
    souk_forecast_series_set_release(&set);
    return SOUK_EXIT_OK;
}
