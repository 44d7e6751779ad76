/*
 * cmd_exchange.c — `souk import shopify FILE` and `souk export products|orders`
 * (src/exchange does the work; this file is the command line around it:
 * options, the progress bar with rows/s, the error report).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "exchange/exchange.h"
#include "core/time.h"
#include "core/banned.h"

typedef struct cli_report {
    FILE *errors; /* --errors file, or NULL: the first 20 on stderr */
    long count;
    int64_t started;
} cli_report;

/* one CSV cell of the --errors file */
static void put_cell(FILE *f, const char *s)
{
    souk_buf b;
    souk_buf_init(&b, 4096);
    souk_exchange_csv_field(&b, s, strlen(s));
    fputs(b.data ? b.data : "", f);
    souk_buf_release(&b);
}

static void cli_problem(void *ctx, uint64_t line, const char *handle, const char *field, const char *message)
{
    cli_report *c = ctx;
    c->count++;
    if (c->errors) {
        fprintf(c->errors, "%llu,", (unsigned long long)line);
        put_cell(c->errors, handle);
        fputc(',', c->errors);
        put_cell(c->errors, field);
        fputc(',', c->errors);
        put_cell(c->errors, message);
        fputc('\n', c->errors);
    } else if (c->count <= 20)
        fprintf(stderr, "%sline %llu (%s): %s: %s\n", isatty(fileno(stderr)) ? "\r\033[K" : "",
                (unsigned long long)line, handle, field, message);
}

static bool cli_progress(void *ctx, const souk_exchange_stats *s, uint64_t bytes, uint64_t total, bool final)
{
    cli_report *c = ctx;
    double secs = (double)(souk_time_mono_us() - c->started) / 1e6;
    char tail[160];
    snprintf(tail, sizeof tail, "%llu rows, %llu products, %.0f rows/s", (unsigned long long)s->rows,
             (unsigned long long)(s->created + s->updated + s->unchanged + s->failed),
             secs > 0 ? (double)s->rows / secs : 0.0);
    souk_cli_progress(stderr, "importing", bytes, total, tail, final);
    return true;
}

static int import_shopify(souk_config *cfg, const char *path, const char *errors_path, size_t batch)
{
    cli_report rep = {0};
    souk_csv *r = NULL;
    if (souk_cli_open_csv(path, errors_path, "line,handle,field,message", &r, &rep.errors))
        return SOUK_EXIT_FAIL;
    int exit_code = SOUK_EXIT_FAIL;
    souk_store *db = souk_cli_open_db(cfg->db_dsn);
    if (db) {
        souk_exchange_import_opts o = {.currency = cfg->currency,
                                       .report = cli_problem,
                                       .report_ctx = &rep,
                                       .progress = cli_progress,
                                       .progress_ctx = &rep,
                                       .batch = batch};
        souk_exchange_stats s;
        char err[300];
        rep.started = souk_time_mono_us();
        if (souk_exchange_shopify_import(db, r, &o, &s, err, sizeof err) < 0)
            fprintf(stderr, "\nsouk: %s: %s\n", path, err);
        else {
            double secs = (double)(souk_time_mono_us() - rep.started) / 1e6;
            printf("imported %s: %llu rows, %llu products; %llu created, %llu updated, %llu unchanged, %llu failed; "
                   "%llu rows with errors; %.2f s, %.0f rows/s\n",
                   path, (unsigned long long)s.rows, (unsigned long long)s.products, (unsigned long long)s.created,
                   (unsigned long long)s.updated, (unsigned long long)s.unchanged, (unsigned long long)s.failed,
                   (unsigned long long)s.error_rows, secs, secs > 0 ? (double)s.rows / secs : 0.0);
            if (!rep.errors && rep.count > 20)
                fprintf(stderr, "(%ld problems in all; use --errors FILE for the full list)\n", rep.count);
            exit_code = s.error_rows || s.failed ? SOUK_EXIT_FAIL : SOUK_EXIT_OK;
        }
    }
    if (rep.errors)
        fclose(rep.errors);
    souk_csv_free(r);
    souk_store_close(db);
    return exit_code;
}

int souk_cmd_import_shopify(int argc, char **argv)
{
    souk_config cfg;
    if (souk_cli_config(&cfg) < 0)
        return SOUK_EXIT_USAGE;
    static const struct option long_opts[] = {{"db", required_argument, NULL, 'd'},
                                              {"errors", required_argument, NULL, 'e'},
                                              {"batch", required_argument, NULL, 'b'},
                                              {NULL, 0, NULL, 0}};
    const char *errors_path = NULL;
    long batch = 0;
    char err[512];
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (opt == 'd' && souk_config_set_db(&cfg, optarg, err, sizeof err) == 0)
            continue;
        if (opt == 'e') {
            errors_path = optarg;
            continue;
        }
        char *end;
        if (opt == 'b' && (batch = strtol(optarg, &end, 10)) >= 1 && batch <= 2000 && !*end)
            continue;
        fprintf(stderr, "souk: bad option; see 'souk import --help'\n");
        return SOUK_EXIT_USAGE;
    }
    if (argc - optind != 2 || strcmp(argv[optind], "shopify") != 0) {
        fprintf(stderr, "usage: souk import shopify [--db DSN] [--errors FILE] [--batch N] FILE\n");
        return SOUK_EXIT_USAGE;
    }
    return import_shopify(&cfg, argv[optind + 1], errors_path, (size_t)batch);
}

static int write_file(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)ctx) == len ? 0 : -1;
}

int souk_cmd_export(int argc, char **argv)
{
    souk_config cfg;
    if (souk_cli_config(&cfg) < 0)
        return SOUK_EXIT_USAGE;
    static const struct option long_opts[] = {
        {"db", required_argument, NULL, 'd'}, {"out", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0}};
    const char *out_path = NULL;
    char err[512];
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (opt == 'd' && souk_config_set_db(&cfg, optarg, err, sizeof err) == 0)
            continue;
        if (opt == 'o') {
            out_path = optarg;
            continue;
        }
        fprintf(stderr, "souk: bad option; see 'souk export --help'\n");
        return SOUK_EXIT_USAGE;
    }
    bool products = argc - optind == 1 && strcmp(argv[optind], "products") == 0;
    bool orders = argc - optind == 1 && strcmp(argv[optind], "orders") == 0;
    if (!products && !orders) {
        fprintf(stderr, "usage: souk export products|orders [--db DSN] [--out FILE]\n");
        return SOUK_EXIT_USAGE;
    }
    souk_store *db = souk_cli_open_db(cfg.db_dsn);
    if (!db)
        return SOUK_EXIT_FAIL;
    FILE *out = out_path ? fopen(out_path, "wb") : stdout;
    if (!out) {
        fprintf(stderr, "souk: cannot write %s\n", out_path);
        souk_store_close(db);
        return SOUK_EXIT_FAIL;
    }
    uint64_t n = 0;
    int64_t started = souk_time_mono_us();
    int rc = products ? souk_exchange_shopify_export(db, cfg.currency, write_file, out, &n, err, sizeof err)
                      : souk_exchange_orders_export(db, write_file, out, &n, err, sizeof err);
    if (out_path && fclose(out) != 0 && rc == 0) {
        snprintf(err, sizeof err, "cannot write %s", out_path);
        rc = -1;
    } else if (!out_path && fflush(stdout) != 0 && rc == 0) {
        snprintf(err, sizeof err, "cannot write the output");
        rc = -1;
    }
    souk_store_close(db);
    if (rc < 0) {
        fprintf(stderr, "souk: export failed: %s\n", err);
        return SOUK_EXIT_FAIL;
    }
    fprintf(stderr, "exported %llu %s%s%s in %.2f s\n", (unsigned long long)n, products ? "products" : "order lines",
            out_path ? " to " : "", out_path ? out_path : "", (double)(souk_time_mono_us() - started) / 1e6);
    return SOUK_EXIT_OK;
}
