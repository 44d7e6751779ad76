/*
 * catalog_fixture.h — shared by the catalog and inventory unit tests: a
 * migrated database (tests/unit/fixture.h), an arena and a problem list,
 * expect_field(), and a one-variant product maker. Included by one test file
 * each (static functions).
 */
#ifndef SOUK_TEST_CATALOG_FIXTURE_H
#define SOUK_TEST_CATALOG_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

#include "catalog/catalog.h"
#include "core/id.h"

typedef struct fixture {
    souk_test_db t;
    souk_store *db; /* t.db */
    souk_arena a;
    souk_problems pr;
} fixture;

static int setup(void **state)
{
    static fixture f;
    if (souk_test_db_open(&f.t, "catalog") != 0)
        return -1;
    f.db = f.t.db;
    souk_arena_init(&f.a, 16384, 0);
    souk_problems_init(&f.pr);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    souk_test_db_close(&f->t);
    f->db = NULL;
    souk_arena_release(&f->a);
    return 0;
}

static inline void expect_field(const souk_problems *pr, const char *field)
{
    for (size_t i = 0; i < pr->count; i++)
        if (strcmp(pr->items[i].field, field) == 0)
            return;
    for (size_t i = 0; i < pr->count; i++)
        print_message("  problem: %s: %s\n", pr->items[i].field, pr->items[i].message);
    fail_msg("no problem for field \"%s\"", field);
}

/* A product with one variant SKU priced AMOUNT USD (no price when < 0; no
 * variant when SKU is NULL); *ID (optional) gets its id. */
static inline souk_err product(fixture *f, const char *title, const char *slug, int status, int64_t brand,
                               int64_t category, const char *sku, int64_t amount, int64_t *id)
{
    static souk_price_in price;
    static souk_variant_in var;
    price = (souk_price_in){amount, "USD", 0, 0};
    var = (souk_variant_in){.sku = sku, .prices = {&price, amount >= 0 ? 1 : 0}};
    souk_product_in in = {.title = title, .slug = slug, .status = status, .brand_id = brand,
                          .category_id = category, .variants = {&var, sku ? 1 : 0}};
    souk_problems_init(&f->pr);
    int64_t tmp = 0;
    return souk_catalog_product_create(f->db, &in, &f->a, &f->pr, id ? id : &tmp);
}
#endif
