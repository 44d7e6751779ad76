/*
 * demo_history.h — `souk demo --history DAYS`: months of made-up sales for
 * the demo store, so that its dashboards, reports and forecasts have
 * something to show on the first run. The orders go through the same
 * importer as Online Retail's (import_orders.h): customer accounts
 * demo-<n>@customers.example without a password, orders delivered and paid
 * at their dates, external reference "demo:<invoice>", and reviews of part
 * of what they received (demo_reviews.c).
 */
#ifndef SOUK_APP_DEMO_HISTORY_H
#define SOUK_APP_DEMO_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* A product the demo made that may be sold: its id, its first variant's
 * USD price and SKU, its title (SKU and title owned by the caller). */
typedef struct souk_demo_item {
    int64_t product_id, variant_id; /* variant_id 0 until looked up */
    int64_t price;
    char *sku, *title;
    char code[24]; /* the importer's stock code: the item's index */
} souk_demo_item;

#define SOUK_DEMO_HISTORY_MAX_DAYS 730

/* Writes DAYS (1..SOUK_DEMO_HISTORY_MAX_DAYS) days of orders ending
 * yesterday, over ITEMS (N > 0): a few a day growing through the period,
 * more at weekends, popular products selling more, a third of the orders
 * from customers who come back. The same SEED gives the same history
 * (apart from ids and the dates, which follow today). 0, or -1 (printed). */
int souk_demo_history(souk_store *db, souk_demo_item *items, size_t n, int days, uint64_t seed);

/* A product a customer account received in the demo's history. */
typedef struct souk_demo_purchase {
    int64_t user_id, product_id;
} souk_demo_purchase;

/* Writes reviews of about a fifth of the purchases P[0..N) (the same SEED, the
 * same reviews), mostly four and five stars, approved; a customer reviews a
 * product once. 0, or -1 (printed). Called by souk_demo_history. */
int souk_demo_reviews(souk_store *db, const souk_demo_purchase *p, size_t n, uint64_t seed);

#endif
