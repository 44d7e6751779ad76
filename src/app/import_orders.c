/*
 * import_orders.c — see import_orders.h. Rows are kept compactly (the
 * invoice and customer as integers, the code and country as pointers), then
 * sorted by invoice: each run of one invoice is one order.
 */
#include "app/import_orders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "core/grow.h"
#include "identity/identity.h"
#include "orders/orders.h"
#include "core/banned.h"

#define COUNTRIES_MAX 256
#define BATCH 250

typedef struct row {
    int64_t invoice, customer, when, price;
    const char *code;
    long qty;
    uint32_t seq; /* the row's place in the file: lines keep their order */
    uint16_t country;
} row;

typedef struct cust {
    int64_t number, user;
} cust;

struct souk_import_orders {
    row *rows;
    size_t nrows, cap;
    char *countries[COUNTRIES_MAX];
    size_t ncountries;
    long cancelled, guests, nonpositive;
    cust *customers;
    size_t ncustomers;
    const char *source, *currency;
};

souk_import_orders *souk_import_orders_new_for(const char *source, const char *currency)
{
    souk_import_orders *o = calloc(1, sizeof(souk_import_orders));
    if (o) {
        o->source = source;
        o->currency = currency;
    }
    return o;
}

souk_import_orders *souk_import_orders_new(void)
{
    return souk_import_orders_new_for("online-retail", "GBP");
}

void souk_import_orders_free(souk_import_orders *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->ncountries; i++)
        free(o->countries[i]);
    free(o->rows);
    free(o->customers);
    free(o);
}

/* "17850.0" → 17850; -1 when it is not a whole number */
static int64_t number_of(const char *s)
{
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end || d < 1 || d > 1e15 || d != (double)(int64_t)d)
        return -1;
    return (int64_t)d;
}

int souk_import_orders_add(souk_import_orders *o, const char *invoice, const char *customer, int64_t when,
                           const char *country, const char *code, long qty, int64_t price)
{
    if (invoice[0] == 'C') {
        o->cancelled++;
        return 0;
    }
    int64_t number = *customer ? number_of(customer) : -1, inv = number_of(invoice);
    if (number < 0 || inv < 0) {
        o->guests++;
        return 0;
    }
    if (qty <= 0 || price <= 0) {
        o->nonpositive++;
        return 0;
    }
    size_t c = 0;
    while (c < o->ncountries && strcmp(o->countries[c], country) != 0)
        c++;
    if (c == o->ncountries) {
        if (c == COUNTRIES_MAX || !(o->countries[c] = strdup(country)))
            return -1;
        o->ncountries++;
    }
    if (o->nrows == o->cap && souk_grow(&o->rows, &o->cap, o->nrows + 1, sizeof *o->rows) < 0)
        return -1;
    o->rows[o->nrows] = (row){.invoice = inv,
                              .customer = number,
                              .when = when,
                              .price = price,
                              .code = code,
                              .qty = qty,
                              .seq = (uint32_t)o->nrows,
                              .country = (uint16_t)c};
    o->nrows++;
    return 0;
}

static int by_invoice(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->invoice != y->invoice)
        return x->invoice < y->invoice ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int by_number(const void *a, const void *b)
{
    int64_t x = ((const cust *)a)->number, y = ((const cust *)b)->number;
    return x < y ? -1 : x > y;
}

static const cust *customer_of(const souk_import_orders *o, int64_t number)
{
    cust key = {.number = number};
    return bsearch(&key, o->customers, o->ncustomers, sizeof key, by_number);
}

typedef struct writer {
    souk_import_orders *o;
    souk_import_product_fn find;
    void *ctx;
    size_t from, to;                 /* customers, or rows */
    long made, kept, lines, unknown; /* of the batch in flight */
} writer;

static int customers_tx(souk_store *db, void *arg)
{
    writer *w = arg;
    w->made = w->kept = 0;
    for (size_t i = w->from; i < w->to; i++) {
        char email[96];
        snprintf(email, sizeof email, "%s-%lld@customers.example", w->o->source, (long long)w->o->customers[i].number);
        bool created;
        souk_err e = souk_identity_customer_import_tx(db, email, &w->o->customers[i].user, &created);
        if (e)
            return souk_store_err_status(e);
        created ? w->made++ : w->kept++;
    }
    return 0;
}

/* The orders of the invoices starting in rows [from, to) (whole invoices). */
static int orders_tx(souk_store *db, void *arg)
{
    writer *w = arg;
    souk_import_orders *o = w->o;
    w->made = w->kept = w->lines = w->unknown = 0;
    souk_order_import_line *lines = malloc(SOUK_ORDERS_IMPORT_LINES_MAX * sizeof *lines);
    if (!lines)
        return SOUK_DB_HARD;
    int rc = 0;
    for (size_t i = w->from; i < w->to && rc == 0;) {
        size_t j = i, n = 0;
        while (j < w->to && o->rows[j].invoice == o->rows[i].invoice) {
            souk_import_product p;
            if (n < SOUK_ORDERS_IMPORT_LINES_MAX && w->find(w->ctx, o->rows[j].code, &p))
                lines[n++] = (souk_order_import_line){.product_id = p.product_id,
                                                      .variant_id = p.variant_id,
                                                      .sku = p.sku,
                                                      .title = p.title,
                                                      .quantity = o->rows[j].qty,
                                                      .unit_amount = o->rows[j].price};
            else
                w->unknown++;
            j++;
        }
        const row *first = &o->rows[i];
        const cust *c = customer_of(o, first->customer);
        i = j;
        if (!n || !c)
            continue;
        char ref[48], email[96];
        snprintf(ref, sizeof ref, "%s:%lld", o->source, (long long)first->invoice);
        snprintf(email, sizeof email, "%s-%lld@customers.example", o->source, (long long)first->customer);
        souk_order_import oi = {.external_ref = ref,
                                .user_id = c->user,
                                .email = email,
                                .currency = o->currency,
                                .country = o->countries[first->country],
                                .placed_at = first->when,
                                .lines = lines,
                                .nlines = n};
        int64_t id;
        bool created;
        souk_err e = souk_orders_import_tx(db, &oi, &id, &created);
        if (e == SOUK_E_VALIDATION) { /* a total past the cap: skipped, not fatal */
            w->unknown += (long)n;
            continue;
        }
        if (e)
            rc = souk_store_err_status(e);
        else if (created) {
            w->made++;
            w->lines += (long)n;
        } else
            w->kept++;
    }
    free(lines);
    return rc;
}

static int write_customers(souk_import_orders *o, souk_store *db, long *made)
{
    /* the distinct customers, ascending */
    o->customers = malloc((o->nrows ? o->nrows : 1) * sizeof *o->customers);
    if (!o->customers)
        return -1;
    for (size_t i = 0; i < o->nrows; i++)
        o->customers[i] = (cust){.number = o->rows[i].customer};
    souk_sort(o->customers, o->nrows, sizeof *o->customers, by_number);
    size_t n = 0;
    for (size_t i = 0; i < o->nrows; i++)
        if (!n || o->customers[n - 1].number != o->customers[i].number)
            o->customers[n++] = o->customers[i];
    o->ncustomers = n;
    writer w = {.o = o};
    char tail[64];
    *made = 0;
    for (w.from = 0; w.from < n; w.from = w.to) {
        w.to = w.from + BATCH < n ? w.from + BATCH : n;
        if (souk_store_tx(db, customers_tx, &w) < 0) {
            fprintf(stderr, "\nsouk: importing customers failed: %s\n", souk_store_errmsg(db));
            return -1;
        }
        *made += w.made;
        snprintf(tail, sizeof tail, "%zu/%zu customers", w.to, n);
        souk_cli_progress(stderr, "customers", w.to, n, tail, w.to == n);
    }
    return 0;
}

int souk_import_orders_write(souk_import_orders *o, souk_store *db, souk_import_product_fn find, void *ctx)
{
    souk_sort(o->rows, o->nrows, sizeof *o->rows, by_invoice);
    long customers_made;
    if (write_customers(o, db, &customers_made) < 0)
        return -1;
    writer w = {.o = o, .find = find, .ctx = ctx};
    long made = 0, kept = 0, lines = 0, unknown = 0, invoices = 0;
    char tail[64];
    for (w.from = 0; w.from < o->nrows; w.from = w.to) {
        /* BATCH invoices, whole */
        size_t to = w.from, count = 0;
        while (to < o->nrows && count < BATCH) {
            size_t j = to;
            while (j < o->nrows && o->rows[j].invoice == o->rows[to].invoice)
                j++;
            to = j;
            count++;
        }
        w.to = to;
        if (souk_store_tx(db, orders_tx, &w) < 0) {
            fprintf(stderr, "\nsouk: importing orders failed: %s\n", souk_store_errmsg(db));
            return -1;
        }
        made += w.made;
        kept += w.kept;
        lines += w.lines;
        unknown += w.unknown;
        invoices += (long)count;
        snprintf(tail, sizeof tail, "%ld invoices", invoices);
        souk_cli_progress(stderr, "orders", w.to, o->nrows, tail, w.to == o->nrows);
    }
    printf("orders: %zu customers (%ld new), %ld orders created with %ld lines, %ld there already; "
           "rows left out: %ld of cancellations, %ld of guests, %ld with a quantity or price <= 0, "
           "%ld of products not imported\n",
           o->ncustomers, customers_made, made, lines, kept, o->cancelled, o->guests, o->nonpositive, unknown);
    return 0;
}

int64_t souk_import_orders_user(const souk_import_orders *o, int64_t number)
{
    const cust *c = o->customers ? customer_of(o, number) : NULL;
    return c ? c->user : 0;
}
