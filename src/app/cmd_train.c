/*
 * cmd_train.c — `souk train`: one recommendation training run on the
 * database, as the nightly job does it, with a progress bar per ALS
 * iteration; prints the new version and its offline metrics beside the
 * popularity baseline.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "recommend/service.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk train [--db DSN] [--factors N] [--iterations N] [--window-days N] [--test-days N]\n"
    "                  [--activate]\n\n"
    "Trains a recommendation model on the behaviour events and purchases of the last --window-days\n"
    "(365), measures it on the last --test-days (14) against the popularity baseline, and stores it\n"
    "as a new model version. The first model is activated; later ones only with --activate (or from\n"
    "the admin API). See docs/recommendations.md.\n";

static int progress(void *ctx, unsigned iteration, unsigned total, double loss)
{
    (void)ctx;
    char tail[64];
    snprintf(tail, sizeof tail, "loss %.4g", loss);
    souk_cli_progress(stderr, "training", iteration, total, tail, iteration == total);
    return 0;
}

static bool number(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static void print_metrics(souk_store *db, int64_t version)
{
    json_t *j;
    if (souk_rec_model_json(db, version, &j) != SOUK_OK)
        return;
    if (strcmp(json_string_value(json_object_get(j, "status")) ?: "", "ready") != 0) {
        printf("version %lld recorded as %s\n", (long long)version,
               json_string_value(json_object_get(j, "status")) ?: "?");
        json_decref(j);
        return;
    }
    json_t *m = json_object_get(j, "metrics");
    printf("version %lld: %lld interactions, %lld users, %lld items, %lld ms\n", (long long)version,
           (long long)json_integer_value(json_object_get(j, "interactions")),
           (long long)json_integer_value(json_object_get(j, "users")),
           (long long)json_integer_value(json_object_get(j, "items")),
           (long long)json_integer_value(json_object_get(j, "duration_ms")));
    json_t *rows = json_object_get(m, "recommenders");
    if (!rows) {
        printf("no offline metrics: %s\n", json_string_value(json_object_get(m, "note")) ?: "no data");
        json_decref(j);
        return;
    }
    printf("offline metrics @%lld on %lld evaluated users (split at %s):\n",
           (long long)json_integer_value(json_object_get(m, "k")),
           (long long)json_integer_value(json_object_get(m, "evaluated_users")),
           json_string_value(json_object_get(m, "split_at")) ?: "?");
    printf("  %-16s %9s %9s %9s %9s %9s\n", "recommender", "precision", "recall", "ndcg", "map", "coverage");
    const char *name;
    json_t *row;
    json_object_foreach(rows, name, row)
    {
        printf("  %-16s %9.4f %9.4f %9.4f %9.4f %9.4f\n", name, json_real_value(json_object_get(row, "precision")),
               json_real_value(json_object_get(row, "recall")), json_real_value(json_object_get(row, "ndcg")),
               json_real_value(json_object_get(row, "map")), json_real_value(json_object_get(row, "coverage")));
    }
    json_decref(j);
}

int souk_cmd_train(int argc, char **argv)
{
    static const struct option long_opts[] = {{"db", required_argument, NULL, 'd'},
                                              {"factors", required_argument, NULL, 'f'},
                                              {"iterations", required_argument, NULL, 'i'},
                                              {"window-days", required_argument, NULL, 'w'},
                                              {"test-days", required_argument, NULL, 't'},
                                              {"activate", no_argument, NULL, 'a'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    souk_config cfg;
    if (souk_cli_config_getopt(&cfg, false) < 0)
        return SOUK_EXIT_USAGE;
    souk_rec_train_opts o = {.actor = "cli", .progress = progress};
    int c, at = 0;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", long_opts, &at)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 'd':
            if (souk_cli_set_db(&cfg, optarg) < 0)
                return SOUK_EXIT_USAGE;
            break;
        case 'f':
            if (!number(optarg, 1, SOUK_REC_FACTORS_MAX, &v))
                goto bad;
            o.factors = (unsigned)v;
            break;
        case 'i':
            if (!number(optarg, 1, 100, &v))
                goto bad;
            o.iterations = (unsigned)v;
            break;
        case 'w':
            if (!number(optarg, 1, 36500, &v))
                goto bad;
            o.window_days = (int)v;
            break;
        case 't':
            if (!number(optarg, 1, 365, &v))
                goto bad;
            o.test_days = (int)v;
            break;
        case 'a': o.activate = true; break;
        default: fputs(usage, stderr); return SOUK_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "souk: unexpected argument '%s'\n%s", argv[optind], usage);
        return SOUK_EXIT_USAGE;
    }
    souk_store *db = souk_cli_open_existing_db(cfg.db_dsn); /* says why not */
    if (!db)
        return SOUK_EXIT_FAIL;
    char err[512];
    int64_t version;
    int rc = souk_rec_train_run(db, &o, &version, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "souk: %s\n", err);
    if (version)
        print_metrics(db, version);
    int64_t active = souk_rec_active_version(db);
    if (rc == 0)
        printf("active version: %lld\n", (long long)active);
    souk_store_close(db);
    return rc == 0 ? SOUK_EXIT_OK : SOUK_EXIT_FAIL;
bad:
    fprintf(stderr, "souk: --%s: '%s' is not a number in range\n%s", long_opts[at].name, optarg, usage);
    return SOUK_EXIT_USAGE;
}
