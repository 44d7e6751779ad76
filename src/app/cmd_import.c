/*
 * cmd_import.c — `souk import online-retail`.
 *
 * Two passes over one stream: every row is checked and folded into a table
 * keyed by StockCode (first non-empty Description, UnitPrice of the latest
 * sale with a positive quantity); then each stock code becomes one product
 * (external_ref "online-retail:<code>", SKU from the code, price in GBP),
 * upserted in transactions of 500. Re-running updates changed titles and
 * prices and creates nothing twice. Rows that cannot be used are reported
 * with their line numbers; rows that are valid but carry no product data
 * (cancellations, fees with zero price) are counted, not reported.
 * With --orders the invoices also become customers and orders of the past
 * (import_orders.h), once the products are written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/import_orders.h"
#include "catalog/catalog.h"
#include "core/csv.h"
#include "core/money.h"
#include "core/time.h"
#include "core/banned.h"

#define MAX_CODES 200000

typedef struct item {
    char *code;
    char *title;
    int64_t price;      /* pence; -1 = none seen */
    int64_t price_time; /* InvoiceDate of the sale that set it */
    int64_t product_id; /* once written (0 = not imported) */
    int64_t variant_id; /* looked up when an order needs it */
    char *sku;
} item;

typedef struct importer {
    item *items;
    size_t count, cap;          /* open-addressing table, cap is a power of two */
    FILE *errors;               /* --errors file or NULL */
    souk_import_orders *orders; /* --orders: the invoices, else NULL */
    long reported, error_rows;
    uint64_t rows;
    /* pass 2 */
    item **order;
    size_t from, to;
    long created, updated, failed;
    long b_created, b_updated, b_failed; /* of the batch in flight (a retried batch recounts) */
    souk_arena arena;
} importer;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static item *find_or_add(importer *im, const char *code)
{
    if ((im->count + 1) * 2 > im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 8192;
        item *bigger = calloc(cap, sizeof *bigger);
        if (!bigger)
            return NULL;
        for (size_t i = 0; i < im->cap; i++) {
            if (!im->items[i].code)
                continue;
            size_t j = hash(im->items[i].code) & (cap - 1);
            while (bigger[j].code)
                j = (j + 1) & (cap - 1);
            bigger[j] = im->items[i];
        }
        free(im->items);
        im->items = bigger;
        im->cap = cap;
    }
    size_t j = hash(code) & (im->cap - 1);
    while (im->items[j].code && strcmp(im->items[j].code, code) != 0)
        j = (j + 1) & (im->cap - 1);
    if (!im->items[j].code) {
        if (im->count >= MAX_CODES)
            return NULL;
        im->items[j].code = strdup(code);
        im->items[j].price = -1;
        im->count++;
    }
    return &im->items[j];
}

static void report(importer *im, uint64_t record, uint64_t line, const char *field, const char *msg)
{
    im->reported++;
    if (im->errors)
        fprintf(im->errors, "%llu,%llu,%s,\"%s\"\n", (unsigned long long)record, (unsigned long long)line, field, msg);
    else if (im->reported <= 20)
        fprintf(stderr, "\nrow %llu (line %llu): %s: %s", (unsigned long long)record, (unsigned long long)line, field,
                msg);
}

enum { COL_INVOICE, COL_CODE, COL_DESC, COL_QTY, COL_DATE, COL_PRICE, COL_CUSTOMER, COL_COUNTRY, NCOLS };
static const char *const header[NCOLS] = {"InvoiceNo",   "StockCode", "Description", "Quantity",
                                          "InvoiceDate", "UnitPrice", "CustomerID",  "Country"};

/* trims ASCII spaces in place */
static char *trim(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
    return s;
}

static int read_rows(importer *im, souk_csv *r)
{
    int rc;
    char buf[64];
    while ((rc = souk_csv_next(r)) != SOUK_CSV_END) {
        uint64_t rec = souk_csv_record(r), line = souk_csv_line(r);
        if (rc < 0) {
            report(im, rec, line, "row", souk_csv_error(r));
            im->error_rows++;
            if (!souk_csv_is_recoverable(rc))
                return -1;
            continue;
        }
        if (rec == 1) { /* header */
            for (int i = 0; i < NCOLS; i++)
                if (souk_csv_field_count(r) != NCOLS || strcmp(souk_csv_field(r, (size_t)i, NULL), header[i]) != 0) {
                    fprintf(stderr, "souk: not an Online Retail file: the header must be %s,%s,%s,%s,%s,%s,%s,%s\n",
                            header[0], header[1], header[2], header[3], header[4], header[5], header[6], header[7]);
                    return -1;
                }
            continue;
        }
        im->rows++;
        if (im->rows % 20000 == 0) {
            snprintf(buf, sizeof buf, "%llu rows", (unsigned long long)im->rows);
            souk_cli_progress(stderr, "reading", souk_csv_bytes_read(r), souk_csv_total_bytes(r), buf, 0);
        }
        if (souk_csv_field_count(r) != NCOLS) {
            report(im, rec, line, "row", "expected 8 columns");
            im->error_rows++;
            continue;
        }
        char *code = trim((char *)souk_csv_field(r, COL_CODE, NULL));
        char *desc = trim((char *)souk_csv_field(r, COL_DESC, NULL));
        const char *qty_s = souk_csv_field(r, COL_QTY, NULL), *price_s = souk_csv_field(r, COL_PRICE, NULL);
        const char *date_s = souk_csv_field(r, COL_DATE, NULL);
        int bad = 0;
        if (!*code || strlen(code) > 40) {
            report(im, rec, line, "StockCode", *code ? "longer than 40 characters" : "is empty");
            bad = 1;
        }
        char *end;
        long qty = strtol(qty_s, &end, 10);
        if (!*qty_s || *end) {
            report(im, rec, line, "Quantity", "is not an integer");
            bad = 1;
        }
        int64_t when = 0;
        if (souk_time_parse(date_s, strlen(date_s), &when) < 0) {
            report(im, rec, line, "InvoiceDate", "is not YYYY-MM-DD HH:MM:SS");
            bad = 1;
        }
        souk_money price = {0};
        if (souk_money_parse(&price, price_s, strlen(price_s), "GBP") < 0) {
            report(im, rec, line, "UnitPrice", "is not an amount in GBP with at most 2 decimals");
            bad = 1;
        } else if (price.amount < 0) {
            report(im, rec, line, "UnitPrice", "is negative");
            bad = 1;
        }
        if (bad) {
            im->error_rows++;
            continue;
        }
        item *it = find_or_add(im, code);
        if (!it) {
            fprintf(stderr, "souk: out of memory or more than %d stock codes\n", MAX_CODES);
            return -1;
        }
        if (!it->title && *desc && strlen(desc) <= SOUK_CATALOG_NAME_MAX)
            it->title = strdup(desc);
        const char *invoice = souk_csv_field(r, COL_INVOICE, NULL);
        if (qty > 0 && price.amount > 0 && invoice[0] != 'C' && when >= it->price_time) {
            it->price = price.amount;
            it->price_time = when;
        }
        if (im->orders && souk_import_orders_add(
                              im->orders, invoice, trim((char *)souk_csv_field(r, COL_CUSTOMER, NULL)), when,
                              trim((char *)souk_csv_field(r, COL_COUNTRY, NULL)), it->code, qty, price.amount) < 0) {
            fprintf(stderr, "souk: out of memory collecting the invoices\n");
            return -1;
        }
    }
    return 0;
}

static int by_code(const void *a, const void *b)
{
    return strcmp((*(item *const *)a)->code, (*(item *const *)b)->code);
}

static int upsert_tx(souk_store *db, void *arg)
{
    importer *im = arg;
    souk_arena *a = &im->arena;
    im->b_created = im->b_updated = im->b_failed = 0;
    for (size_t i = im->from; i < im->to; i++) {
        item *it = im->order[i];
        char sku[SOUK_CATALOG_SKU_MAX + 1];
        size_t n = 0;
        for (const char *p = it->code; *p && n < SOUK_CATALOG_SKU_MAX; p++)
            sku[n++] = souk_catalog_check_sku(p, 1) ? '-' : *p;
        sku[n] = '\0';
        souk_price_in price = {it->price, "GBP", 0, 0};
        souk_variant_in v = {.sku = sku, .title = ""};
        if (it->price >= 0)
            v.prices = (souk_json_array){&price, 1};
        souk_product_in p = {.title = it->title, .description = "", .status = SOUK_STATUS_ACTIVE, .variants = {&v, 1}};
        p.external_ref = souk_arena_printf(a, "online-retail:%s", it->code);
        souk_problems pr;
        souk_problems_init(&pr);
        int64_t id;
        bool created, changed;
        souk_err e = souk_catalog_product_upsert_external_tx(db, &p, a, &pr, &id, &created, &changed);
        if (e == SOUK_E_INTERNAL || e == SOUK_E_UNAVAILABLE) { /* the batch rolls back (and retries when transient) */
            souk_arena_reset(a);
            return souk_store_err_status(e);
        }
        if (e) {
            char msg[300];
            snprintf(msg, sizeof msg, "stock code %s not imported: %s %s", it->code,
                     pr.count ? pr.items[0].field : souk_err_code(e), pr.count ? pr.items[0].message : "");
            report(im, 0, 0, "StockCode", msg);
            im->b_failed++;
        } else {
            it->product_id = id;
            if (!it->sku)
                it->sku = strdup(sku);
            if (created)
                im->b_created++;
            else
                im->b_updated += changed;
        }
        souk_arena_reset(a);
    }
    return 0;
}

/* the item of CODE, or NULL (never adds one) */
static item *lookup(importer *im, const char *code)
{
    if (!im->cap)
        return NULL;
    size_t j = hash(code) & (im->cap - 1);
    while (im->items[j].code && strcmp(im->items[j].code, code) != 0)
        j = (j + 1) & (im->cap - 1);
    return im->items[j].code ? &im->items[j] : NULL;
}

typedef struct find_ctx {
    importer *im;
    souk_store *db;
} find_ctx;

/* souk_import_product_fn: what a stock code became (the variant read once) */
static bool find_product(void *arg, const char *code, souk_import_product *out)
{
    find_ctx *c = arg;
    item *it = lookup(c->im, code);
    if (!it || !it->product_id || !it->sku)
        return false;
    if (!it->variant_id && souk_catalog_product_first_variant(c->db, it->product_id, &it->variant_id) != SOUK_OK)
        return false;
    *out = (souk_import_product){it->product_id, it->variant_id, it->sku, it->title};
    return true;
}

int souk_cmd_import(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) { /* the first word that is no option's value names the format */
        if (argv[i][0] == '-') {
            i += strchr(argv[i], '=') == NULL && strcmp(argv[i], "--orders") != 0;
            continue;
        }
        if (strcmp(argv[i], "shopify") == 0)
            return souk_cmd_import_shopify(argc, argv);
        break;
    }
    souk_config cfg;
    if (souk_cli_config(&cfg) < 0)
        return SOUK_EXIT_USAGE;
    static const struct option long_opts[] = {{"db", required_argument, NULL, 'd'},
                                              {"errors", required_argument, NULL, 'e'},
                                              {"orders", no_argument, NULL, 'o'},
                                              {NULL, 0, NULL, 0}};
    const char *errors_path = NULL;
    bool with_orders = false;
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
        if (opt == 'o') {
            with_orders = true;
            continue;
        }
        fprintf(stderr, "souk: bad option; see 'souk import --help'\n");
        return SOUK_EXIT_USAGE;
    }
    if (argc - optind != 2 || strcmp(argv[optind], "online-retail") != 0) {
        fprintf(stderr, "usage: souk import online-retail [--db DSN] [--errors FILE] [--orders] FILE\n");
        return SOUK_EXIT_USAGE;
    }
    const char *path = argv[optind + 1];
    importer im = {0};
    souk_csv *r = NULL;
    if (souk_cli_open_csv(path, errors_path, "record,line,field,message", &r, &im.errors))
        return SOUK_EXIT_FAIL;
    if (with_orders && !(im.orders = souk_import_orders_new())) {
        fprintf(stderr, "souk: out of memory\n");
        souk_csv_free(r);
        if (im.errors)
            fclose(im.errors);
        return SOUK_EXIT_FAIL;
    }
    souk_store *db = NULL;
    int64_t started = souk_time_mono_us();
    int exit_code = SOUK_EXIT_FAIL;
    if (read_rows(&im, r) < 0)
        goto out;
    char tail[96];
    snprintf(tail, sizeof tail, "%llu rows, %zu stock codes", (unsigned long long)im.rows, im.count);
    souk_cli_progress(stderr, "reading", 1, 1, tail, 1);

    if (!(db = souk_cli_open_db(cfg.db_dsn)))
        goto out;
    im.order = malloc((im.count + 1) * sizeof *im.order);
    if (!im.order)
        goto out;
    size_t n = 0;
    long untitled = 0;
    for (size_t i = 0; i < im.cap; i++) {
        if (!im.items[i].code)
            continue;
        if (im.items[i].title)
            im.order[n++] = &im.items[i];
        else {
            untitled++;
            char msg[120];
            snprintf(msg, sizeof msg, "stock code %s has no Description in any row; skipped", im.items[i].code);
            report(&im, 0, 0, "Description", msg);
        }
    }
    qsort(im.order, n, sizeof *im.order, by_code);
    souk_arena_init(&im.arena, 16384, 0);
    for (im.from = 0; im.from < n; im.from = im.to) {
        im.to = im.from + 500 < n ? im.from + 500 : n;
        if (souk_store_tx(db, upsert_tx, &im) < 0) {
            fprintf(stderr, "\nsouk: import failed: %s\n", souk_store_errmsg(db));
            goto out;
        }
        im.created += im.b_created;
        im.updated += im.b_updated;
        im.failed += im.b_failed;
        snprintf(tail, sizeof tail, "%zu/%zu products", im.to, n);
        souk_cli_progress(stderr, "writing", im.to, n, tail, im.to == n);
    }
    printf("imported %s: %llu rows read, %zu stock codes; %ld products created, %ld updated, %ld unchanged; "
           "%ld rows with errors, %ld stock codes skipped (no description), %ld failed; %.2f s\n",
           path, (unsigned long long)im.rows, im.count, im.created, im.updated,
           (long)n - im.created - im.updated - im.failed, im.error_rows, untitled, im.failed,
           (double)(souk_time_mono_us() - started) / 1e6);
    if (!im.errors && im.reported > 20)
        fprintf(stderr, "(%ld problems in all; use --errors FILE for the full list)\n", im.reported);
    if (im.orders) {
        find_ctx fc = {&im, db};
        if (souk_import_orders_write(im.orders, db, find_product, &fc) < 0)
            goto out;
    }
    exit_code = im.failed ? SOUK_EXIT_FAIL : SOUK_EXIT_OK;
out:
    if (im.errors)
        fclose(im.errors);
    souk_csv_free(r);
    souk_store_close(db);
    souk_import_orders_free(im.orders);
    for (size_t i = 0; i < im.cap; i++) {
        free(im.items[i].code);
        free(im.items[i].title);
        free(im.items[i].sku);
    }
    free(im.items);
    free(im.order);
    souk_arena_release(&im.arena);
    return exit_code;
}
