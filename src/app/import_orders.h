/*
 * import_orders.h — the `--orders` part of `souk import online-retail`:
 * the data set's invoices become customer accounts and delivered orders at
 * their own dates, so recommendations and analytics have real history. The
 * demo store's made-up history (`souk demo --history DAYS`) goes the same way.
 * Rows are collected while the file is read (souk_import_orders_add), then
 * written once the products exist (souk_import_orders_write).
 */
#ifndef SOUK_APP_IMPORT_ORDERS_H
#define SOUK_APP_IMPORT_ORDERS_H

#include <stdint.h>

#include "store/store.h"

typedef struct souk_import_orders souk_import_orders;

/* A new, empty collector for Online Retail (accounts
 * online-retail-<id>@customers.example, references "online-retail:<invoice>",
 * prices in GBP); NULL when memory runs out. */
souk_import_orders *souk_import_orders_new(void);

/* The same for another SOURCE (a short [a-z-] name, static: accounts
 * <source>-<id>@customers.example, references "<source>:<invoice>") whose
 * prices are in CURRENCY (static ISO 4217 code). */
souk_import_orders *souk_import_orders_new_for(const char *source, const char *currency);

/* Frees O; NULL is allowed. */
void souk_import_orders_free(souk_import_orders *o);

/* One valid row of the file: INVOICE ("536365", "C536379" for a
 * cancellation), CUSTOMER ("17850.0", "" for a guest), WHEN (µs), COUNTRY,
 * stock CODE (a string that lives as long as O: the importer's own copy),
 * QTY and PRICE (pence). Rows that make no order line (cancellations,
 * guests, quantities or prices ≤ 0) are counted and dropped. 0, or -1 when
 * memory runs out. */
int souk_import_orders_add(souk_import_orders *o, const char *invoice, const char *customer, int64_t when,
                           const char *country, const char *code, long qty, int64_t price);

/* What a stock code became in the catalog. */
typedef struct souk_import_product {
    int64_t product_id, variant_id;
    const char *sku, *title;
} souk_import_product;

/* Finds the product of stock CODE; false when it was not imported. */
typedef bool (*souk_import_product_fn)(void *ctx, const char *code, souk_import_product *out);

/* Writes the customers (an account per CustomerID, without a password:
 * online-retail-<id>@customers.example) and the orders (one per invoice, in
 * date order, delivered and paid at the invoice date, external reference
 * "online-retail:<invoice>") in transactions of a few hundred, with a
 * progress bar; an order or account that exists already is left as it is,
 * so running the import again adds nothing. Prints what it did. 0, or -1
 * (printed) when the database fails. */
int souk_import_orders_write(souk_import_orders *o, souk_store *db, souk_import_product_fn find, void *ctx);

/* After souk_import_orders_write: the account id of customer NUMBER (as
 * given to souk_import_orders_add), or 0 when there is none. */
int64_t souk_import_orders_user(const souk_import_orders *o, int64_t number);

#endif
