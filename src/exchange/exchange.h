/*
 * exchange.h — data in and out: Shopify's product CSV imported into the
 * catalog (and stock into the inventory), the catalog exported in the same
 * format, orders exported as CSV, and the admin API's import jobs.
 * Design: docs/internals/exchange.md; user guide: docs/import-export.md.
 *
 * The exchange owns one table (import_runs, migration 0116: an import sent
 * through the API, its progress and its error report). It writes the
 * catalog and the inventory only through their public functions
 * (souk_catalog_product_sync_external_tx, souk_inventory_stock_set_tx, the
 * taxon writes) and reads orders only through the view orders_export_lines
 * that the orders context publishes to it.
 */
#ifndef SOUK_EXCHANGE_H
#define SOUK_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/csv.h"
#include "store/store.h"

/* Largest CSV body POST /api/v1/admin/imports takes (also bounded by the
 * server's SOUK_MAX_BODY), and how many problems an import run keeps. */
#define SOUK_EXCHANGE_BODY_MAX ((size_t)64 * 1024 * 1024)
#define SOUK_EXCHANGE_PROBLEMS_MAX 1000

/* One problem of an import: the physical LINE of the row (0 = the file as a
 * whole), its Handle ("" when unknown), the column and a message. */
typedef void (*souk_exchange_report_fn)(void *ctx, uint64_t line, const char *handle, const char *field,
                                        const char *message);

/* What an import did so far. rows: data rows read (the header excluded);
 * error_rows: rows refused (each reported); products: products in the file;
 * created/updated/unchanged: what their writes did; failed: products the
 * catalog refused (reported at their first line). */
typedef struct souk_exchange_stats {
    uint64_t rows, error_rows, products, created, updated, unchanged, failed, variants;
} souk_exchange_stats;

/* Called after each committed batch and at the end (FINAL): S so far, and
 * BYTES of TOTAL (0 = unknown) of the input read. Returns true to go on;
 * false stops the import there (what was committed stays, the import
 * fails with "stopped by its caller"). */
typedef bool (*souk_exchange_progress_fn)(void *ctx, const souk_exchange_stats *s, uint64_t bytes, uint64_t total,
                                          bool final);

typedef struct souk_exchange_import_opts {
    const char *currency; /* of Variant Price: the shop's currency */
    souk_exchange_report_fn report;
    void *report_ctx;
    souk_exchange_progress_fn progress; /* optional */
    void *progress_ctx;
    size_t batch; /* products per transaction; 0 = 500 (memory: about 10 KiB per product) */
} souk_exchange_import_opts;

/* Imports the Shopify product CSV that R reads (it must be at its start):
 * rows grouped by Handle into products (external_ref "shopify:<handle>"),
 * written with souk_catalog_product_sync_external_tx in transactions of
 * O->batch products, Vendor and Type created as brand and category when
 * missing, Variant Inventory Qty set as on-hand stock in warehouse "main"
 * (created when there is none) — so a second run of the same file writes
 * nothing. A bad row is reported and skipped (a product whose first row is
 * bad is skipped with its rows); the rest goes on. Returns 0 (S filled),
 * or -1 with ERR for a file that cannot be imported at all (no Handle or
 * Title column, unreadable input) or a database failure (batches before it
 * stay committed). */
int souk_exchange_shopify_import(souk_store *db, souk_csv *r, const souk_exchange_import_opts *o,
                                 souk_exchange_stats *s, char *err, size_t errlen);

/* Receives LEN bytes of output; 0, or -1 to stop (a full disk, a closed peer). */
typedef int (*souk_exchange_write_fn)(void *ctx, const char *data, size_t len);

/* Writes every product of the catalog, of any status, as Shopify product CSV
 * (the columns in docs/import-export.md; prices in CURRENCY, stock of
 * warehouse "main") to W; what souk_exchange_shopify_import reads back to
 * the same catalog without a change. *PRODUCTS (optional) gets how many.
 * 0, or -1 with ERR. */
int souk_exchange_shopify_export(souk_store *db, const char *currency, souk_exchange_write_fn w, void *ctx,
                                 uint64_t *products, char *err, size_t errlen);

/* Writes every order line as CSV (one row per line; columns in
 * docs/import-export.md), oldest order first, to W. *ROWS (optional) gets
 * how many lines. 0, or -1 with ERR. */
int souk_exchange_orders_export(souk_store *db, souk_exchange_write_fn w, void *ctx, uint64_t *rows, char *err,
                                size_t errlen);

/* Registers the job kind that runs API imports ("exchange.import"). Once,
 * before the workers start. */
void souk_exchange_register_jobs(void);

/* Appends S (LEN bytes) to B as one CSV field: quoted when it holds a
 * comma, quote, CR or LF (or starts or ends with a space), "" doubling a
 * quote. -1 when B is full. */
int souk_exchange_csv_field(souk_buf *b, const char *s, size_t len);

#endif
