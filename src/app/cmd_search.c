/*
 * cmd_search.c — `souk search "QUERY"`: builds the search index from the
 * database (souk_search_build) and runs one query, for operators checking
 * what shoppers will find (with the synonyms and weights an admin stored,
 * settings.h). Read-only; the index lives for this run only.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/cli.h"
#include "catalog/catalog.h"
#include "core/id.h"
#include "search/query.h"
#include "search/settings.h"
#include "core/time.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk search [--db DSN] [--limit N] [--sort S] [--facet DIM]... [--in-stock] [--language L] QUERY\n\n"
    "Builds the search index from the database's active products and prints the best matches\n"
    "for QUERY (the syntax shoppers use: words, \"phrases\", -exclusions; a last word not followed\n"
    "by a space is completed as a prefix), with the time the index and the query took. The\n"
    "synonyms and ranking weights admins stored apply, as on the server.\n\n"
    "  --limit N      results to show, 1-100 (default 10)\n"
    "  --sort S       relevance (default), price_asc, price_desc, newest, popularity, rating\n"
    "  --facet DIM    also count a facet: category, brand, vendor or attr.NAME (repeatable, 16 at most)\n"
    "  --in-stock     only products that can be sold\n"
    "  --language L   stemming language (default english)\n"
    "Prices are in SOUK_CURRENCY (default USD).\n";

static int parse_sort(const char *s, souk_search_sort *out)
{
    static const char *const names[] = {"relevance", "price_asc", "price_desc", "newest", "popularity", "rating"};
    for (int i = 0; i < 6; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (souk_search_sort)i;
            return 0;
        }
    return -1;
}

/* the product's title, from the catalog, into OUT */
/* A facet value as an operator reads it: brands, vendors and categories by
 * their typed ids ("brand_…"), attribute values as they are. BUF holds
 * SOUK_ID_TEXT_MAX bytes. */
static const char *facet_value(const char *dim, const char *value, char *buf)
{
    const char *prefix = strcmp(dim, "brand") == 0      ? SOUK_PREFIX_BRAND
                         : strcmp(dim, "vendor") == 0   ? SOUK_PREFIX_VENDOR
                         : strcmp(dim, "category") == 0 ? SOUK_PREFIX_CATEGORY
                                                        : NULL;
    char *end;
    long long id = prefix ? strtoll(value, &end, 10) : 0;
    if (!prefix || end == value || *end || id <= 0)
        return value;
    return souk_id_format(prefix, (int64_t)id, buf);
}

static void title_of(souk_store *db, int64_t id, char *out, size_t len)
{
    json_t *doc = NULL;
    snprintf(out, len, "?");
    if (souk_catalog_product_get_id(db, id, true, &doc) == SOUK_OK && doc) {
        const char *t = json_string_value(json_object_get(doc, "title"));
        if (t)
            snprintf(out, len, "%s", t);
    }
    json_decref(doc);
}

static int show(souk_store *db, const souk_search_segment *seg, const char *language, const souk_search_request *req)
{
    souk_search_text text;
    if (souk_search_text_init(&text, language) < 0)
        return SOUK_EXIT_FAIL;
    souk_arena a;
    souk_arena_init(&a, 0, 0);
    souk_search_result r;
    souk_search_request q = *req; /* with the admin's settings, as `souk serve` searches */
    souk_search_weights w;
    bool has_w;
    souk_search_synonyms *syn = NULL;
    char err[512];
    if (souk_search_settings_load(db, &text, &w, &has_w, &syn, err, sizeof err) < 0)
        fprintf(stderr, "souk: %s; searching with the defaults\n", err);
    q.synonyms = syn;
    q.weights = has_w ? &w : NULL;
    double t0 = souk_time_mono_s();
    souk_search_status st = souk_search_run(seg, &text, &q, &a, &r);
    double ms = (souk_time_mono_s() - t0) * 1e3;
    int rc = SOUK_EXIT_OK;
    if (st != SOUK_SEARCH_OK) {
        fprintf(stderr, "souk: %s\n", souk_search_strerror(st));
        rc = st == SOUK_SEARCH_E_NOMEM ? SOUK_EXIT_FAIL : SOUK_EXIT_USAGE;
    } else {
        printf("%llu results", (unsigned long long)r.total);
        if (r.fell_back)
            printf(" matching %zu of %zu words (none has them all)", r.terms_matched, r.terms);
        printf(" in %.2f ms\n", ms);
        for (size_t i = 0; i < r.nhits; i++) {
            char idtext[SOUK_ID_TEXT_MAX], title[256];
            title_of(db, r.hits[i].id, title, sizeof title);
            printf("%3zu  %s  %10.4f  %s%s\n", i + 1, souk_id_format("prod", r.hits[i].id, idtext), r.hits[i].score,
                   title, r.hits[i].words < r.terms_matched ? "  (fewer words)" : "");
        }
        for (size_t f = 0; f < r.nfacets; f++) {
            printf("facet %s:", r.facets[f].dim);
            for (size_t v = 0; v < r.facets[f].nvalues; v++) {
                char shown[SOUK_ID_TEXT_MAX];
                printf(" %s (%llu)", facet_value(r.facets[f].dim, r.facets[f].values[v].value, shown),
                       (unsigned long long)r.facets[f].values[v].count);
            }
            printf("\n");
        }
    }
    souk_search_synonyms_free(syn);
    souk_arena_release(&a);
    souk_search_text_release(&text);
    return rc;
}

int souk_cmd_search(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"db", required_argument, NULL, 'd'},   {"limit", required_argument, NULL, 'n'},
        {"sort", required_argument, NULL, 's'}, {"facet", required_argument, NULL, 'f'},
        {"in-stock", no_argument, NULL, 'i'},   {"language", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    souk_config cfg;
    if (souk_cli_config_getopt(&cfg, false) < 0)
        return SOUK_EXIT_USAGE;
    souk_search_request req = {.limit = 10};
    const char *facets[SOUK_SEARCH_FACET_DIMS_MAX], *language = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        char *end;
        long n;
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 'd':
            if (souk_cli_set_db(&cfg, optarg) < 0)
                return SOUK_EXIT_USAGE;
            break;
        case 'n':
            n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > SOUK_SEARCH_LIMIT_MAX) {
                fprintf(stderr, "souk: --limit takes a number from 1 to %d\n", SOUK_SEARCH_LIMIT_MAX);
                return SOUK_EXIT_USAGE;
            }
            req.limit = (size_t)n;
            break;
        case 's':
            if (parse_sort(optarg, &req.sort) < 0) {
                fprintf(stderr, "souk: unknown --sort '%s'; see 'souk search --help'\n", optarg);
                return SOUK_EXIT_USAGE;
            }
            break;
        case 'f':
            if (req.nfacets == SOUK_SEARCH_FACET_DIMS_MAX) {
                fprintf(stderr, "souk: at most %d --facet\n", SOUK_SEARCH_FACET_DIMS_MAX);
                return SOUK_EXIT_USAGE;
            }
            facets[req.nfacets++] = optarg;
            break;
        case 'i': req.in_stock = true; break;
        case 'l': language = optarg; break;
        default: fprintf(stderr, "souk: see 'souk search --help'\n"); return SOUK_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "souk: search takes one QUERY (quote it); see 'souk search --help'\n");
        return SOUK_EXIT_USAGE;
    }
    req.q = argv[optind];
    req.qlen = strlen(req.q);
    req.facets = facets;
    souk_store *db = souk_cli_open_existing_db(cfg.db_dsn);
    if (!db)
        return SOUK_EXIT_FAIL;
    char err[1200];
    double t0 = souk_time_mono_s();
    souk_search_segment *seg;
    if (souk_search_build(db, cfg.currency, language, &seg, err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        souk_store_close(db);
        return SOUK_EXIT_FAIL;
    }
    double secs = souk_time_mono_s() - t0;
    uint32_t n = souk_search_segment_docs(seg);
    printf("index: %u products in %.3f s (%.0f products/s), %u terms, %.1f MB\n", n, secs, secs > 0 ? n / secs : 0.0,
           souk_search_segment_terms(seg), souk_search_segment_bytes(seg) / 1e6);
    int rc = show(db, seg, language, &req);
    souk_search_segment_unref(seg);
    souk_store_close(db);
    return rc;
}
