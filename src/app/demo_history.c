/*
 * demo_history.c — see demo_history.h. A deterministic generator (core/rng.h,
 * from the seed) feeding the order importer row by row.
 */
#include "app/demo_history.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/import_orders.h"
#include "behaviour/behaviour.h"
#include "app/cli.h"
#include "catalog/catalog.h"
#include "core/grow.h"
#include "core/rng.h"
#include "core/time.h"
#include "core/banned.h"

#define DAY_US (86400LL * 1000000LL)

/* One order made up, for the browsing that led to it. */
typedef struct sale {
    long who, invoice;
    int64_t when;
    size_t items[3];
    int nlines;
} sale;

typedef struct traffic {
    souk_import_orders *o;
    souk_demo_item *items;
    size_t n;
    const sale *sales;
    size_t nsales, from, to; /* this transaction's sales */
    uint64_t seed;
    long events;
} traffic;

/* Records one event (client id made from TAG, A, B, C) of TYPE. 0 or a negative souk_db_status. */
static int event(souk_store *db, traffic *t, int type, int64_t at, int64_t user, const char *anon, size_t item,
                 const char *tag, long a, long b, int c)
{
    char id[64];
    snprintf(id, sizeof id, "demo:%s:%ld:%ld:%d", tag, a, b, c);
    souk_behaviour_event ev = {.type = type,
                               .at = at,
                               .client_id = id,
                               .anonymous_id = anon,
                               .user_id = user,
                               .product_id = t->items[item].product_id,
                               .quantity = type == SOUK_BEHAVIOUR_ADD_TO_CART ? 1 : 0};
    int r = souk_behaviour_record_tx(db, &ev);
    if (r > 0)
        t->events++;
    return r < 0 ? r : 0;
}

/* The buyers' browsing of sales [from, to): each viewed, added and checked out what they bought in
 * the half hour before (server-side events of their accounts). */
static int buyers_tx(souk_store *db, void *arg)
{
    traffic *t = arg;
    t->events = 0;
    int r = 0;
    for (size_t s = t->from; s < t->to && r == 0; s++) {
        const sale *x = &t->sales[s];
        int64_t user = souk_import_orders_user(t->o, x->who);
        if (!user)
            continue;
        for (int l = 0; l < x->nlines && r == 0; l++) {
            int64_t at = x->when - (int64_t)(30 - 5 * l) * 60000000LL;
            r = event(db, t, SOUK_BEHAVIOUR_PRODUCT_VIEW, at, user, NULL, x->items[l], "b", x->invoice, l, 1);
            if (r == 0)
                r = event(db, t, SOUK_BEHAVIOUR_ADD_TO_CART, at + 60000000LL, user, NULL, x->items[l], "b", x->invoice,
                          l, 2);
        }
        if (r == 0)
            r = event(db, t, SOUK_BEHAVIOUR_CHECKOUT_STARTED, x->when - 120000000LL, user, NULL, x->items[0], "b",
                      x->invoice, 0, 3);
    }
    return r;
}

#define VISITORS_PER_SALE 8
#define BATCH_EVENTS 480 /* under SOUK_BEHAVIOUR_BATCH_MAX, with room for one visitor's events */

/* Adds one anonymous visitor's events to B (texts in A): 1–4 product views, a quarter of them an
 * add to cart, a third of those a checkout started — the visitors who looked and left. */
static void visitor_events(traffic *t, souk_rng *g, const sale *x, int v, souk_arena *a, souk_behaviour_batch *b)
{
    const char *anon = souk_arena_printf(a, "demo-visitor-%ld-%d", x->invoice, v);
    int64_t at = x->when - (int64_t)(souk_rng_unit(g) * 6 * 3600e6);
    size_t item = (size_t)(pow(souk_rng_unit(g), 1.6) * (double)t->n);
    int views = 1 + (int)souk_rng_below(g, 4), k = 0;
    for (; k < views; k++)
        b->events[b->count++] = (souk_behaviour_event){.type = SOUK_BEHAVIOUR_PRODUCT_VIEW,
                                                       .at = at + k * 90000000LL,
                                                       .client_id = souk_arena_printf(a, "%d", k),
                                                       .anonymous_id = anon,
                                                       .product_id = t->items[(item + (size_t)k) % t->n].product_id};
    if (souk_rng_unit(g) < 0.25) {
        b->events[b->count++] = (souk_behaviour_event){.type = SOUK_BEHAVIOUR_ADD_TO_CART,
                                                       .at = at + k * 90000000LL,
                                                       .client_id = "cart",
                                                       .anonymous_id = anon,
                                                       .product_id = t->items[item].product_id,
                                                       .quantity = 1};
        if (souk_rng_unit(g) < 0.33)
            b->events[b->count++] = (souk_behaviour_event){.type = SOUK_BEHAVIOUR_CHECKOUT_STARTED,
                                                           .at = at + k * 90000000LL + 60000000LL,
                                                           .client_id = "checkout",
                                                           .anonymous_id = anon,
                                                           .product_id = t->items[item].product_id};
    }
}

/* Stores batch B through the behaviour context's own ingestion (visitors made for the anonymous ids). */
static int ingest(souk_store *db, traffic *t, souk_behaviour_batch *b, souk_arena *a)
{
    if (!b->count)
        return 0;
    for (size_t i = 0; i < b->count; i++)
        b->index[i] = i;
    b->total = b->count;
    b->nrejects = b->rejected = 0;
    souk_behaviour_result res;
    if (souk_behaviour_ingest(db, b, a, &res) != SOUK_OK) {
        fprintf(stderr, "\nsouk: recording the demo's visitors failed: %s\n", souk_store_errmsg(db));
        return -1;
    }
    t->events += (long)res.accepted;
    b->count = 0;
    souk_arena_reset(a);
    return 0;
}

/* The browsing behind the sales: the buyers' own, and about VISITORS_PER_SALE visitors a sale who
 * did not buy. 0, or -1 (printed). */
static int write_traffic(souk_store *db, traffic *t)
{
    long events = 0;
    char tail[64];
    for (t->from = 0; t->from < t->nsales; t->from = t->to) {
        t->to = t->from + 200 < t->nsales ? t->from + 200 : t->nsales;
        if (souk_store_tx(db, buyers_tx, t) < 0) {
            fprintf(stderr, "\nsouk: recording the demo's browsing failed: %s\n", souk_store_errmsg(db));
            return -1;
        }
        events += t->events;
    }
    souk_behaviour_batch b = {.events = malloc(BATCH_EVENTS * sizeof *b.events),
                              .index = malloc(BATCH_EVENTS * sizeof *b.index),
                              .rejects = malloc(BATCH_EVENTS * SOUK_BEHAVIOUR_PROBLEMS_MAX * sizeof *b.rejects)};
    souk_arena a;
    souk_arena_init(&a, 64 * 1024, 0);
    souk_rng g = {t->seed ^ 0xB40E5E5ULL};
    int rc = b.events && b.index && b.rejects ? 0 : -1;
    t->events = 0;
    for (size_t s = 0; s < t->nsales && rc == 0; s++) {
        for (int v = 0; v < VISITORS_PER_SALE && rc == 0; v++) {
            if (b.count + 6 > BATCH_EVENTS)
                rc = ingest(db, t, &b, &a);
            if (rc == 0)
                visitor_events(t, &g, &t->sales[s], v, &a, &b);
        }
        if (rc == 0 && (s % 100 == 99 || s + 1 == t->nsales)) {
            snprintf(tail, sizeof tail, "%zu/%zu sales", s + 1, t->nsales);
            souk_cli_progress(stderr, "browsing", s + 1, t->nsales, tail, s + 1 == t->nsales);
        }
    }
    if (rc == 0)
        rc = ingest(db, t, &b, &a);
    events += t->events;
    free(b.events);
    free(b.index);
    free(b.rejects);
    souk_arena_release(&a);
    if (rc == 0)
        printf("browsing: %ld behaviour events of the buyers and of visitors who did not buy\n", events);
    return rc;
}

typedef struct find_ctx {
    souk_store *db;
    souk_demo_item *items;
    size_t n;
} find_ctx;

/* souk_import_product_fn: the code is the item's index */
static bool find(void *arg, const char *code, souk_import_product *out)
{
    find_ctx *c = arg;
    char *end;
    unsigned long i = strtoul(code, &end, 10);
    if (*end || i >= c->n)
        return false;
    souk_demo_item *it = &c->items[i];
    if (!it->variant_id && souk_catalog_product_first_variant(c->db, it->product_id, &it->variant_id) != SOUK_OK)
        return false;
    *out = (souk_import_product){it->product_id, it->variant_id, it->sku, it->title};
    return true;
}

int souk_demo_history(souk_store *db, souk_demo_item *items, size_t n, int days, uint64_t seed)
{
    if (!n || days < 1 || days > SOUK_DEMO_HISTORY_MAX_DAYS)
        return -1;
    souk_import_orders *o = souk_import_orders_new_for("demo", "USD");
    if (!o) {
        fprintf(stderr, "souk: out of memory for the demo history\n");
        return -1;
    }
    static const char *const countries[] = {"US", "US", "US", "US", "GB", "CA", "DE", "FR"};
    souk_rng g = {seed ^ 0x5EED0F0D15C0ULL};
    for (size_t i = 0; i < n; i++)
        snprintf(items[i].code, sizeof items[i].code, "%zu", i);
    int64_t first_day = (souk_time_now_us() / DAY_US - days) * DAY_US;
    long customers = 0, invoice = 100000;
    int rc = 0;
    sale *sales = NULL;
    size_t nsales = 0, capsales = 0;
    for (int d = 0; d < days && rc == 0; d++) {
        int64_t day = first_day + d * DAY_US;
        int weekday = (int)((day / DAY_US + 4) % 7); /* 1970-01-01 was a Thursday: 0 = Sunday */
        double rate = 6.0 * (1.0 + 0.8 * d / days) * (weekday == 0 || weekday == 6 ? 1.4 : 1.0);
        int orders = (int)floor(rate * (0.7 + 0.6 * souk_rng_unit(&g)) + 0.5);
        for (int k = 0; k < orders && rc == 0; k++) {
            /* a new customer, or (a third of the time, once there are some) one who comes back —
             * the earliest ones most often, as loyal customers do */
            long who = customers > 0 && souk_rng_unit(&g) < 0.35
                           ? 1 + (long)(pow(souk_rng_unit(&g), 1.5) * (double)customers)
                           : ++customers;
            char inv[24], cust[24];
            snprintf(inv, sizeof inv, "%ld", ++invoice);
            snprintf(cust, sizeof cust, "%ld", who);
            int64_t when = day + (int64_t)((8.0 + 14.0 * souk_rng_unit(&g)) * 3600e6);
            const char *country = countries[souk_rng_below(&g, sizeof countries / sizeof countries[0])];
            int lines = 1 + (int)souk_rng_below(&g, 3);
            if ((size_t)lines > n)
                lines = (int)n;
            if (nsales == capsales && souk_grow(&sales, &capsales, nsales + 1, sizeof *sales) < 0) {
                rc = -1;
                break;
            }
            sale *x = &sales[nsales++];
            *x = (sale){.who = who, .invoice = invoice, .when = when, .nlines = lines};
            size_t *chosen = x->items;
            for (int l = 0; l < lines && rc == 0; l++) {
                size_t i = (size_t)(pow(souk_rng_unit(&g), 2.2) * (double)n); /* a few products sell most */
                for (int m = 0; m < l; m++)
                    if (chosen[m] == i) /* one line per product: the next one instead */
                        i = (i + 1) % n, m = -1;
                chosen[l] = i;
                long qty = souk_rng_unit(&g) < 0.2 ? 2 : 1;
                rc = souk_import_orders_add(o, inv, cust, when, country, items[i].code, qty, items[i].price);
            }
        }
    }
    if (rc < 0)
        fprintf(stderr, "souk: out of memory for the demo history\n");
    find_ctx fc = {db, items, n};
    if (rc == 0)
        rc = souk_import_orders_write(o, db, find, &fc);
    traffic t = {.o = o, .items = items, .n = n, .sales = sales, .nsales = nsales, .seed = seed};
    if (rc == 0)
        rc = write_traffic(db, &t);
    souk_demo_purchase *bought = NULL;
    size_t nbought = 0, capbought = 0;
    for (size_t s = 0; s < nsales && rc == 0; s++) {
        int64_t user = souk_import_orders_user(o, sales[s].who);
        for (int l = 0; l < sales[s].nlines && user && rc == 0; l++) {
            if (nbought == capbought && souk_grow(&bought, &capbought, nbought + 1, sizeof *bought) < 0)
                rc = -1;
            else
                bought[nbought++] = (souk_demo_purchase){user, items[sales[s].items[l]].product_id};
        }
    }
    if (rc == 0 && nbought)
        rc = souk_demo_reviews(db, bought, nbought, seed);
    free(bought);
    souk_import_orders_free(o);
    free(sales);
    return rc;
}
