/* The business rules of served recommendations, as a property over random
 * catalogs: whatever the events and the model say, no list ever holds a
 * product that is archived or a draft, out of stock, excluded (bought lately,
 * in the cart), the product the list is about, outside the category or the
 * vendor asked for, or a fourth product of one brand. Each round builds a random catalog
 * in a fresh database, random behaviour (views, carts, purchases in
 * baskets), trains a model, starts the serving snapshot on that database and
 * asks every list for every shopper. */
#include "catalog_fixture.h"

#include <stdio.h>
#include <time.h>

#include "behaviour/behaviour.h"
#include "core/time.h"
#include "inventory/inventory.h"
#include "recommend/service.h"

#define ROUNDS 3
#define PRODUCTS 48
#define USERS 40

typedef struct truth {
    int64_t id, brand, category, vendor;
    bool active, in_stock;
} truth;

static uint64_t rng;
static unsigned rnd(unsigned n)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rng >> 33) % n);
}

static const truth *find(const truth *t, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].id == id)
            return &t[i];
    return NULL;
}

static void check_list(const souk_rec_answer *a, const truth *t, size_t n, const souk_rec_ask *q, int64_t source,
                       int64_t child_category)
{
    assert_true(a->count <= q->limit);
    for (size_t i = 0; i < a->count; i++) {
        const truth *p = find(t, n, a->items[i].item);
        assert_non_null(p);
        assert_true(p->active);
        assert_true(p->in_stock);
        assert_true(p->id != source);
        for (size_t j = 0; j < q->nexclude; j++)
            assert_true(p->id != q->exclude[j]);
        if (q->vendor)
            assert_true(p->vendor == q->vendor);
        if (q->category) /* the parent category asked: its child counts */
            assert_true(p->category == q->category || p->category == child_category);
        size_t same = 0;
        for (size_t j = 0; j < a->count; j++) {
            const truth *o = find(t, n, a->items[j].item);
            if (o->brand && o->brand == p->brand)
                same++;
        }
        assert_true(same <= SOUK_REC_PER_BRAND);
    }
}

static void one_round(void)
{
    fixture f;
    assert_int_equal(souk_test_db_open(&f.t, "recrules"), 0);
    f.db = f.t.db;
    souk_arena_init(&f.a, 16384, 0);
    int64_t brands[3], cats[3], vendors[2], wh;
    souk_problems pr;
    souk_problems_init(&pr);
    char name[64];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "brand-%d", i);
        souk_taxon_in b = {.name = name, .slug = name};
        assert_int_equal(souk_catalog_taxon_create(f.db, SOUK_TAXON_BRAND, &b, &f.a, &pr, &brands[i]), SOUK_OK);
    }
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "vendor-%d", i);
        souk_taxon_in v = {.name = name, .slug = name};
        assert_int_equal(souk_catalog_taxon_create(f.db, SOUK_TAXON_VENDOR, &v, &f.a, &pr, &vendors[i]), SOUK_OK);
    }
    souk_taxon_in parent = {.name = "Garden", .slug = "garden"};
    assert_int_equal(souk_catalog_taxon_create(f.db, SOUK_TAXON_CATEGORY, &parent, &f.a, &pr, &cats[0]), SOUK_OK);
    souk_taxon_in child = {.name = "Hoses", .slug = "hoses", .parent_id = cats[0]};
    child.present = ~0ULL;
    assert_int_equal(souk_catalog_taxon_create(f.db, SOUK_TAXON_CATEGORY, &child, &f.a, &pr, &cats[1]), SOUK_OK);
    souk_taxon_in other = {.name = "Kitchen", .slug = "kitchen"};
    assert_int_equal(souk_catalog_taxon_create(f.db, SOUK_TAXON_CATEGORY, &other, &f.a, &pr, &cats[2]), SOUK_OK);
    souk_warehouse_in w = {.code = "main", .name = "Main"};
    assert_int_equal(souk_inventory_warehouse_create(f.db, &w, &f.a, &pr, &wh), SOUK_OK);

    truth t[PRODUCTS];
    for (int i = 0; i < PRODUCTS; i++) {
        int status = rnd(6) == 0 ? SOUK_STATUS_ARCHIVED : rnd(8) == 0 ? SOUK_STATUS_DRAFT : SOUK_STATUS_ACTIVE;
        char title[64], slug[64], sku[32];
        snprintf(title, sizeof title, "Product %d %s", i, rnd(2) ? "garden hose" : "kitchen knife");
        snprintf(slug, sizeof slug, "p-%d", i);
        snprintf(sku, sizeof sku, "SKU-%d", i);
        t[i] = (truth){.brand = rnd(4) ? brands[rnd(3)] : 0, .category = cats[rnd(3)], .active = status == 1};
        t[i].active = status == SOUK_STATUS_ACTIVE;
        assert_int_equal(product(&f, title, slug, status, t[i].brand, t[i].category, sku, 1000, &t[i].id), SOUK_OK);
        t[i].vendor = rnd(3) ? vendors[rnd(2)] : 0;
        assert_int_equal(souk_store_exec(f.db, "UPDATE products SET vendor_id = $2 WHERE id = $1",
                                         SOUK_ARGS(SOUK_I64(t[i].id), SOUK_REF(t[i].vendor))),
                         SOUK_DB_DONE);
        int64_t variant = 0;
        assert_int_equal(souk_store_one(f.db, "SELECT id FROM variants WHERE product_id = $1",
                                        SOUK_ARGS(SOUK_I64(t[i].id)), SOUK_COLS(SOUK_COL_I64(&variant))),
                         SOUK_DB_ROW);
        t[i].in_stock = rnd(4) != 0;
        souk_problems_init(&pr);
        assert_int_equal(
            souk_inventory_stock_set(f.db, variant, wh, t[i].in_stock ? 5 : 0, 0, "count", "system", &f.a, &pr),
            SOUK_OK);
    }
    /* behaviour: each user looks at one side of the catalog, buys baskets of two */
    int64_t now = souk_time_now_us();
    for (int u = 1; u <= USERS; u++)
        for (int e = 0; e < 14; e++) {
            int i = (int)rnd(PRODUCTS / 2) * 2 + (u % 2);
            int type = e % 7 == 6   ? SOUK_BEHAVIOUR_PURCHASE
                       : e % 5 == 4 ? SOUK_BEHAVIOUR_ADD_TO_CART
                                    : SOUK_BEHAVIOUR_PRODUCT_VIEW;
            char cid[48];
            snprintf(cid, sizeof cid, "u%d-e%d", u, e);
            souk_behaviour_event ev = {.type = type,
                                       .at = now - (int64_t)rnd(20) * 86400 * 1000000,
                                       .client_id = cid,
                                       .user_id = u,
                                       .product_id = t[i].id,
                                       .order_id = type == SOUK_BEHAVIOUR_PURCHASE ? 1000 + u * 10 + e / 7 : 0};
            assert_true(souk_behaviour_record_tx(f.db, &ev) >= 0);
            if (type == SOUK_BEHAVIOUR_PURCHASE) { /* its basket partner */
                ev.product_id = t[(i + 2) % PRODUCTS].id;
                snprintf(cid, sizeof cid, "u%d-e%d-b", u, e);
                assert_true(souk_behaviour_record_tx(f.db, &ev) >= 0);
            }
        }
    souk_rec_train_opts o = {.factors = 4, .iterations = 4, .test_days = 5, .threads = 1, .activate = true};
    int64_t version;
    char err[256];
    assert_int_equal(souk_rec_train_run(f.db, &o, &version, err, sizeof err), 0);

    assert_int_equal(souk_rec_service_start(f.t.dsn, "content", "stock_state"), 0);
    for (int i = 0; i < 200 && !souk_rec_service_ready(); i++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(souk_rec_service_ready());
    souk_rec_answer a;
    size_t served = 0;
    for (int u = 1; u <= USERS; u++) {
        int64_t ex[3] = {t[rnd(PRODUCTS)].id, t[rnd(PRODUCTS)].id, t[rnd(PRODUCTS)].id};
        souk_rec_ask q = {.user = u, .exclude = ex, .nexclude = 3, .limit = 1 + rnd(12)};
        if (rnd(3) == 0)
            q.category = cats[0];
        if (rnd(4) == 0)
            q.vendor = vendors[rnd(2)];
        assert_int_equal(souk_rec_for_you(&q, &a), SOUK_OK);
        check_list(&a, t, PRODUCTS, &q, 0, cats[1]);
        served += a.count;
        assert_int_equal(souk_rec_trending(&q, &a), SOUK_OK);
        check_list(&a, t, PRODUCTS, &q, 0, cats[1]);
        const truth *src = &t[rnd(PRODUCTS)];
        souk_err e = souk_rec_similar(src->id, &q, &a);
        assert_int_equal(e, src->active ? SOUK_OK : SOUK_E_NOT_FOUND);
        if (!e)
            check_list(&a, t, PRODUCTS, &q, src->id, cats[1]);
        e = souk_rec_bought_together(src->id, &q, &a);
        assert_int_equal(e, src->active ? SOUK_OK : SOUK_E_NOT_FOUND);
        if (!e)
            check_list(&a, t, PRODUCTS, &q, src->id, cats[1]);
    }
    assert_true(served > 0); /* the property is not vacuous */
    souk_rec_service_stop();
    souk_arena_release(&f.a);
    souk_test_db_close(&f.t);
}

static void served_lists_keep_the_business_rules(void **state)
{
    (void)state;
    for (int r = 0; r < ROUNDS; r++) {
        rng = 0x5eed0000ULL + (uint64_t)r;
        one_round();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(served_lists_keep_the_business_rules)};
    return cmocka_run_group_tests(tests, setup,
                                  teardown); /* the fixture's database is unused: each round makes its own */
}
