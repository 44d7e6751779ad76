/*
 * cmd_analytics.c — `souk analytics rebuild` (build the facts from the
 * database with a progress bar, print what they hold and how long it took,
 * and ask running servers to rebuild theirs) and `souk analytics timezone
 * [ZONE]` (show or set the store's time zone of the reports).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/analytics.h"
#include "app/cli.h"
#include "core/time.h"
#include "store/store.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk analytics rebuild [--db DSN] [--no-signal] [--no-predictions]\n"
    "       souk analytics timezone [--db DSN] [ZONE]\n"
    "       souk analytics reorder [--db DSN] [--lead-time DAYS] [--service-level P] [--review DAYS]\n\n"
    "rebuild: builds the analytics facts (orders, order lines, refunds, behaviour events) from the\n"
    "database as a server does at start, with a progress bar, prints their rows, memory and build\n"
    "time, then (unless --no-predictions) fits and stores the forecasts, stock forecasts and\n"
    "anomalies the forecasts, reorder and anomalies reports serve, and (unless --no-signal) makes\n"
    "running servers rebuild their facts within a second.\n"
    "timezone: prints the store's time zone for the reports' day boundaries, or sets it to ZONE\n"
    "(UTC, a fixed offset such as +02:00, or an IANA name such as Europe/Paris); running servers\n"
    "rebuild in that zone within a second.\n"
    "reorder: prints the reorder settings (lead time 1-90 days, default 7; cycle service level\n"
    "0.5-0.999, default 0.95; review period 0-30 days, default 0), or sets those given.\n"
    "See docs/analytics.md.\n";

static void progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
    (void)ctx;
    char tail[64];
    snprintf(tail, sizeof tail, "%s %llu", phase, (unsigned long long)done);
    souk_cli_progress(stderr, "analytics", done, total, tail, 0);
}

static void predict_progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
    (void)ctx;
    souk_cli_progress(stderr, "predictions", done, total, phase, 0);
}

static int rebuild(souk_store *db, bool signal, bool predict)
{
    char tz[SOUK_ANALYTICS_TZ_NAME_MAX];
    if (souk_analytics_setting_timezone(db, tz) < 0) {
        fprintf(stderr, "souk: cannot read the analytics settings: %s\n", souk_store_errmsg(db));
        return SOUK_EXIT_FAIL;
    }
    souk_analytics_facts *f = malloc(sizeof *f);
    if (!f || souk_analytics_facts_init(f, tz) < 0) {
        fprintf(stderr, "souk: unknown time zone '%s' (or out of memory)\n", tz);
        free(f);
        return SOUK_EXIT_FAIL;
    }
    double t0 = souk_time_mono_s();
    souk_store *replica = NULL; /* SOUK_DB_REPLICA: the facts are read there when it is fit to */
    bool from_replica = false;
    int r = souk_analytics_load_replica(db, &replica, "analytics_rebuild", f, progress, NULL, &from_replica);
    souk_store_close(replica);
    double ms = (souk_time_mono_s() - t0) * 1000.0;
    souk_cli_progress(stderr, "analytics", 1, 1, "done", 1);
    if (from_replica)
        fprintf(stderr, "analytics: read from the replica\n");
    if (r < 0) {
        fprintf(stderr, "souk: cannot read the facts: %s\n", souk_store_errmsg(db));
        souk_analytics_facts_release(f);
        free(f);
        return SOUK_EXIT_FAIL;
    }
    size_t lines = atomic_load(&f->lines.n), bytes = souk_analytics_facts_bytes(f);
    printf("analytics facts built in %.0f ms (time zone %s): %zu orders, %zu order lines, %zu refunds, %zu events\n",
           ms, f->tz.name, atomic_load(&f->orders.n), lines, atomic_load(&f->refunds.n), atomic_load(&f->events.n));
    printf("memory: %.1f MiB", (double)bytes / 1048576.0);
    if (lines)
        printf("; the order side %.1f MiB per million order lines",
               (double)souk_analytics_facts_order_bytes(f) / 1048576.0 * 1e6 / (double)lines);
    printf("\n");
    if (predict) {
        souk_analytics_predict_stats st;
        r = souk_analytics_predict_run(db, f, predict_progress, NULL, &st);
        souk_cli_progress(stderr, "predictions", 1, 1, "done", 1);
        if (r < 0) {
            fprintf(stderr, "souk: cannot compute the predictions: %s\n", souk_store_errmsg(db));
            souk_analytics_facts_release(f);
            free(f);
            return SOUK_EXIT_FAIL;
        }
        char day[11];
        printf("predictions up to %s in %.0f ms: %d sales series (daily and weekly, revenue in %s), %d stock "
               "series, %d anomalous days\n",
               souk_analytics_format_day(st.last_day, day), st.ms, st.series, st.currency[0] ? st.currency : "-",
               st.stock_series, st.anomalies);
    }
    souk_analytics_facts_release(f);
    free(f);
    if (signal && souk_analytics_request_rebuild(db) < 0) {
        fprintf(stderr, "souk: cannot signal running servers: %s\n", souk_store_errmsg(db));
        return SOUK_EXIT_FAIL;
    }
    return SOUK_EXIT_OK;
}

/* `souk analytics reorder`: shows the settings, or sets those given (the others kept). */
static int reorder(souk_store *db, const char *lead, const char *service, const char *review)
{
    int l, rv;
    double sl;
    if (souk_analytics_reorder_settings(db, &l, &sl, &rv) < 0) {
        fprintf(stderr, "souk: cannot read the analytics settings: %s\n", souk_store_errmsg(db));
        return SOUK_EXIT_FAIL;
    }
    if (lead || service || review) {
        char *end = NULL;
        if (lead)
            l = (int)strtol(lead, &end, 10);
        if (lead && (*end || l < 1 || l > 90)) {
            fprintf(stderr, "souk: --lead-time must be a whole number of days from 1 to 90\n");
            return SOUK_EXIT_USAGE;
        }
        if (service)
            sl = strtod(service, &end);
        if (service && (*end || !(sl >= 0.5 && sl <= 0.999))) {
            fprintf(stderr, "souk: --service-level must be a number from 0.5 to 0.999\n");
            return SOUK_EXIT_USAGE;
        }
        if (review)
            rv = (int)strtol(review, &end, 10);
        if (review && (*end || rv < 0 || rv > 30)) {
            fprintf(stderr, "souk: --review must be a whole number of days from 0 to 30\n");
            return SOUK_EXIT_USAGE;
        }
        if (souk_analytics_set_reorder_settings(db, l, sl, rv) < 0) {
            fprintf(stderr, "souk: cannot store the reorder settings: %s\n", souk_store_errmsg(db));
            return SOUK_EXIT_FAIL;
        }
    }
    printf("reorder settings: lead time %d days, service level %.4g, review period %d days\n", l, sl, rv);
    return SOUK_EXIT_OK;
}

int souk_cmd_analytics(int argc, char **argv)
{
    static const struct option long_opts[] = {{"db", required_argument, NULL, 'd'},
                                              {"no-signal", no_argument, NULL, 'n'},
                                              {"no-predictions", no_argument, NULL, 'P'},
                                              {"lead-time", required_argument, NULL, 'l'},
                                              {"service-level", required_argument, NULL, 's'},
                                              {"review", required_argument, NULL, 'r'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    souk_config cfg;
    if (souk_cli_config_getopt(&cfg, false) < 0)
        return SOUK_EXIT_USAGE;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? SOUK_EXIT_USAGE : SOUK_EXIT_OK;
    }
    const char *sub = argv[1];
    bool is_rebuild = strcmp(sub, "rebuild") == 0, is_tz = strcmp(sub, "timezone") == 0,
         is_reorder = strcmp(sub, "reorder") == 0;
    if (!is_rebuild && !is_tz && !is_reorder) {
        fprintf(stderr, "souk: unknown analytics command '%s'\n%s", sub, usage);
        return SOUK_EXIT_USAGE;
    }
    bool signal = true, predict = true;
    const char *lead = NULL, *service = NULL, *review = NULL;
    int c, at = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", long_opts, &at)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 'd':
            if (souk_cli_set_db(&cfg, optarg) < 0)
                return SOUK_EXIT_USAGE;
            break;
        case 'n': signal = false; break;
        case 'P': predict = false; break;
        case 'l': lead = optarg; break;
        case 's': service = optarg; break;
        case 'r': review = optarg; break;
        default: fputs(usage, stderr); return SOUK_EXIT_USAGE;
        }
    }
    if (optind < argc - (is_tz ? 1 : 0)) {
        fprintf(stderr, "souk: unexpected argument '%s'\n%s", argv[optind], usage);
        return SOUK_EXIT_USAGE;
    }
    char err[512];
    if (is_rebuild &&
        souk_store_replica_configure(cfg.db_dsn, cfg.db_replica, cfg.db_replica_max_lag_ms, err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return SOUK_EXIT_USAGE;
    }
    souk_store *db = souk_cli_open_existing_db(cfg.db_dsn);
    if (!db)
        return SOUK_EXIT_FAIL;
    int rc;
    if (is_rebuild) {
        rc = rebuild(db, signal, predict);
    } else if (is_reorder) {
        rc = reorder(db, lead, service, review);
    } else if (optind < argc) {
        int r = souk_analytics_set_timezone(db, argv[optind]);
        if (r == -1)
            fprintf(stderr, "souk: unknown time zone '%s' (UTC, +HH:MM, or a name under /usr/share/zoneinfo)\n",
                    argv[optind]);
        else if (r < 0)
            fprintf(stderr, "souk: cannot store the time zone: %s\n", souk_store_errmsg(db));
        else
            printf("analytics time zone: %s\n", argv[optind]);
        rc = r == -1 ? SOUK_EXIT_USAGE : r < 0 ? SOUK_EXIT_FAIL : SOUK_EXIT_OK;
    } else {
        char tz[SOUK_ANALYTICS_TZ_NAME_MAX];
        rc = souk_analytics_setting_timezone(db, tz) < 0 ? SOUK_EXIT_FAIL : SOUK_EXIT_OK;
        if (rc == SOUK_EXIT_OK)
            printf("analytics time zone: %s\n", tz);
    }
    souk_store_close(db);
    return rc;
}
