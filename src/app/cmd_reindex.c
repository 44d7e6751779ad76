/*
 * cmd_reindex.c — `souk reindex`: builds the search index from the
 * database as `souk serve` does, with a progress bar on a terminal (a line
 * every 10 % otherwise), prints how fast it went, and tells running
 * servers to rebuild theirs (the store version SOUK_SEARCH_REINDEX_VERSION,
 * which their builder threads poll). The index built here is checked and
 * thrown away: the served one lives in each server's memory.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/cli.h"
#include "search/index.h"
#include "search/service.h"
#include "core/time.h"
#include "core/banned.h"

static const char usage[] = "usage: souk reindex [--db DSN] [--language L] [--no-signal]\n\n"
                            "Builds the search index from the database's active products, showing its progress, and\n"
                            "prints products/s at the end. Then running servers (souk serve on the same database)\n"
                            "rebuild theirs within about a second, as after a catalog change.\n\n"
                            "  --language L   stemming language (default: SOUK_SEARCH_LANGUAGE, else english)\n"
                            "  --no-signal    only build and measure; leave running servers alone\n";

static void on_progress(uint64_t done, uint64_t total, void *ctx)
{
    (void)ctx;
    if (done == total) /* the last line is the caller's, with the time */
        return;
    char tail[64];
    snprintf(tail, sizeof tail, "%llu/%llu products", (unsigned long long)done, (unsigned long long)total);
    souk_cli_progress(stdout, "reindex", done, total, tail, 0);
}

static int touch(souk_store *db, void *ctx)
{
    (void)ctx;
    return souk_store_touch(db, SOUK_SEARCH_REINDEX_VERSION);
}

int souk_cmd_reindex(int argc, char **argv)
{
    static const struct option long_opts[] = {{"db", required_argument, NULL, 'd'},
                                              {"language", required_argument, NULL, 'l'},
                                              {"no-signal", no_argument, NULL, 'n'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    souk_config cfg;
    if (souk_cli_config_getopt(&cfg, false) < 0)
        return SOUK_EXIT_USAGE;
    const char *language = getenv("SOUK_SEARCH_LANGUAGE");
    bool signal = true;
    int c;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 'd':
            if (souk_cli_set_db(&cfg, optarg) < 0)
                return SOUK_EXIT_USAGE;
            break;
        case 'l': language = optarg; break;
        case 'n': signal = false; break;
        default: fprintf(stderr, "souk: see 'souk reindex --help'\n"); return SOUK_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "souk: reindex takes no arguments; see 'souk reindex --help'\n");
        return SOUK_EXIT_USAGE;
    }
    souk_store *db = souk_cli_open_existing_db(cfg.db_dsn);
    if (!db)
        return SOUK_EXIT_FAIL;
    char err[1200];
    double t0 = souk_time_mono_s();
    souk_search_segment *seg;
    if (souk_search_build_progress(db, cfg.currency, language && *language ? language : NULL, on_progress, NULL, &seg,
                                   err, sizeof err) < 0) {
        fprintf(stdout, "\n");
        fprintf(stderr, "souk: %s\n", err);
        souk_store_close(db);
        return SOUK_EXIT_FAIL;
    }
    double secs = souk_time_mono_s() - t0;
    uint32_t n = souk_search_segment_docs(seg);
    char tail[64];
    snprintf(tail, sizeof tail, "%u/%u products", n, n);
    souk_cli_progress(stdout, "reindex", n, n, tail, 1);
    printf("indexed %u products in %.3f s: %.0f docs/s (%u terms, %.1f MB)\n", n, secs, secs > 0 ? n / secs : 0.0,
           souk_search_segment_terms(seg), souk_search_segment_bytes(seg) / 1e6);
    souk_search_segment_unref(seg);
    int rc = SOUK_EXIT_OK;
    if (signal) {
        if (souk_store_tx(db, touch, NULL) < 0) {
            fprintf(stderr, "souk: cannot tell running servers: %s\n", souk_store_errmsg(db));
            rc = SOUK_EXIT_FAIL;
        } else
            printf("running servers rebuild their index within a second\n");
    }
    souk_store_close(db);
    return rc;
}
