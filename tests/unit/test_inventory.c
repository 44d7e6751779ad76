/*
 * Unit tests for src/inventory/ on a fresh temporary database: stock set and
 * adjust (never below reserved or zero), reservations (all or nothing,
 * allocation across warehouses, release / consume arithmetic, expiry), the
 * catalog's in_stock filter, and two races with one
 * connection per thread on the same file:
 *   1. 200 clients reserve 1 of a variant with 50 on hand → exactly 50 win;
 *   2. reservations taken, consumed, released and expired concurrently →
 *      reserved always equals what the active reservations hold.
 */
#include "catalog_fixture.h"

#include <pthread.h>

#include "core/query.h"
#include "core/time.h"
#include "inventory/inventory.h"

/* ---- helpers ---------------------------------------------------------------- */

static int64_t warehouse(fixture *f, const char *code)
{
    souk_warehouse_in in = {.code = code, .name = code};
    int64_t id = 0;
    souk_problems_init(&f->pr);
    souk_err e = souk_inventory_warehouse_create(f->db, &in, &f->a, &f->pr, &id);
    if (e)
        fail_msg("warehouse %s: %s", code, souk_err_code(e));
    return id;
}

/* an active product with one variant SKU; returns the variant id (*PRODUCT the product) */
static int64_t variant(fixture *f, const char *sku, int64_t *product)
{
    souk_variant_in var = {.sku = sku};
    souk_product_in in = {.title = sku, .status = SOUK_STATUS_ACTIVE, .variants = {&var, 1}};
    int64_t pid = 0;
    souk_problems_init(&f->pr);
    souk_err e = souk_catalog_product_create(f->db, &in, &f->a, &f->pr, &pid);
    if (e)
        fail_msg("product %s: %s", sku, souk_err_code(e));
    json_t *j = NULL;
    assert_int_equal(souk_catalog_product_get_id(f->db, pid, true, &j), SOUK_OK);
    const char *vid = json_string_value(json_object_get(json_array_get(json_object_get(j, "variants"), 0), "id"));
    int64_t id = 0;
    assert_int_equal(souk_id_parse(SOUK_PREFIX_VARIANT, vid, strlen(vid), &id), 0);
    json_decref(j);
    if (product)
        *product = pid;
    return id;
}

static void set_stock(fixture *f, int64_t var, int64_t wh, int64_t on_hand)
{
    souk_problems_init(&f->pr);
    souk_err e = souk_inventory_stock_set(f->db, var, wh, on_hand, -1, "count", "system", &f->a, &f->pr);
    if (e)
        fail_msg("set stock: %s", souk_err_code(e));
}

static souk_stock_level level(fixture *f, int64_t var, int64_t wh)
{
    souk_stock_level lv = {0};
    assert_int_equal(souk_inventory_level(f->db, var, wh, &lv), SOUK_OK);
    assert_true(lv.reserved >= 0 && lv.reserved <= lv.on_hand);
    return lv;
}

/* the integer SQL with ARGS (NULL = none) returns */
static int64_t scalar(souk_store *db, const char *sql, const souk_param *args)
{
    int64_t v = 0;
    assert_int_equal(souk_store_one(db, sql, args, SOUK_COLS(SOUK_COL_I64(&v))), SOUK_DB_ROW);
    return v;
}

static int64_t total_available(fixture *f, int64_t var)
{
    int64_t n = -1;
    assert_int_equal(souk_inventory_available(f->db, var, &n), SOUK_OK);
    /* the derived total agrees with the levels */
    assert_int_equal(n, scalar(f->db,
                               "SELECT coalesce(sum(on_hand - reserved), 0) FROM stock_levels "
                               "WHERE variant_id = $1",
                               SOUK_ARGS(SOUK_I64(var))));
    return n;
}

typedef struct reserve_call {
    const char *reference;
    const souk_reservation_line *lines;
    size_t n;
    int64_t ttl_us;
    int64_t id;
    souk_arena *a;
    souk_problems *pr;
    souk_err err;
} reserve_call;

static int reserve_body(souk_store *db, void *arg)
{
    reserve_call *c = arg;
    souk_problems_init(c->pr);
    c->err = souk_inventory_reserve_tx(db, c->reference, c->lines, c->n, c->ttl_us, &c->id, NULL, c->a, c->pr);
    return souk_inventory_tx_status(c->err);
}

/* a careless caller: commits whatever reserve_tx said */
static int reserve_body_commit_anyway(souk_store *db, void *arg)
{
    reserve_body(db, arg);
    return 0;
}

/* reserves in a transaction of its own; *ID (optional) gets the reservation */
static souk_err reserve(souk_store *db, const souk_reservation_line *lines, size_t n, int64_t ttl_us, int64_t *id,
                        souk_arena *a, souk_problems *pr)
{
    reserve_call c = {"checkout-1", lines, n, ttl_us, 0, a, pr, SOUK_OK};
    int r = souk_store_tx(db, reserve_body, &c);
    if (!c.err && r < 0)
        c.err = SOUK_E_INTERNAL;
    if (id)
        *id = c.id;
    return c.err;
}

typedef struct id_call {
    int64_t id;
    bool consume;
    souk_err err;
} id_call;

static int finish_body(souk_store *db, void *arg)
{
    id_call *c = arg;
    c->err = c->consume ? souk_inventory_consume_tx(db, c->id) : souk_inventory_release_tx(db, c->id);
    return souk_inventory_tx_status(c->err);
}

static souk_err finish(souk_store *db, int64_t id, bool consume)
{
    id_call c = {id, consume, SOUK_OK};
    int r = souk_store_tx(db, finish_body, &c);
    return c.err ? c.err : r < 0 ? SOUK_E_INTERNAL : SOUK_OK;
}

static const char *state_of(fixture *f, int64_t res)
{
    static char state[16];
    assert_int_equal(souk_inventory_reservation_state(f->db, res, state, sizeof state, NULL), SOUK_OK);
    return state;
}

/* ---- stock levels ---------------------------------------------------------- */

static void test_set_and_adjust(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main"), var = variant(f, "SET-1", NULL);

    set_stock(f, var, wh, 10);
    assert_int_equal(level(f, var, wh).on_hand, 10);
    assert_int_equal(total_available(f, var), 10);

    int64_t adj = 0;
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_stock_adjust(f->db, var, wh, -3, "damaged", "usr_x", &f->a, &f->pr, &adj), SOUK_OK);
    assert_true(adj > 0);
    assert_int_equal(level(f, var, wh).on_hand, 7);

    /* never below zero */
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_stock_adjust(f->db, var, wh, -8, "lost", "usr_x", &f->a, &f->pr, NULL),
                     SOUK_E_CONFLICT);
    expect_field(&f->pr, "delta");
    assert_int_equal(level(f, var, wh).on_hand, 7);

    /* never below reserved: 5 reserved of 7 */
    souk_reservation_line line = {var, 5};
    int64_t res = 0;
    souk_problems_init(&f->pr);
    assert_int_equal(reserve(f->db, &line, 1, 0, &res, &f->a, &f->pr), SOUK_OK);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_stock_set(f->db, var, wh, 4, -1, "recount", "usr_x", &f->a, &f->pr),
                     SOUK_E_CONFLICT);
    expect_field(&f->pr, "on_hand");
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_stock_adjust(f->db, var, wh, -3, "lost", "usr_x", &f->a, &f->pr, NULL),
                     SOUK_E_CONFLICT);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_stock_adjust(f->db, var, wh, -2, "lost", "usr_x", &f->a, &f->pr, NULL), SOUK_OK);
    souk_stock_level lv = level(f, var, wh);
    assert_int_equal(lv.on_hand, 5);
    assert_int_equal(lv.reserved, 5);
    assert_int_equal(lv.available, 0);
    assert_int_equal(total_available(f, var), 0);

    /* threshold, and the history: set +10, -3, -2 (failed attempts leave nothing) */
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_stock_set(f->db, var, wh, 5, 3, "threshold only", "usr_x", &f->a, &f->pr), SOUK_OK);
    assert_int_equal(level(f, var, wh).low_stock_threshold, 3);
    json_t *h = NULL;
    assert_int_equal(souk_inventory_adjustments_json(f->db, var, wh, 2, 0, &h), SOUK_OK);
    json_t *data = json_object_get(h, "data");
    assert_int_equal(json_array_size(data), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(data, 0), "delta")), -2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(data, 0), "reason")), "lost");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(data, 0), "on_hand_after")), 5);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(data, 1), "delta")), -3);
    const char *cursor = json_string_value(json_object_get(h, "next_cursor"));
    assert_non_null(cursor);
    int64_t before = 0;
    assert_int_equal(souk_id_parse(SOUK_PREFIX_ADJUSTMENT, cursor, strlen(cursor), &before), 0);
    json_decref(h);
    assert_int_equal(souk_inventory_adjustments_json(f->db, var, wh, 2, before, &h), SOUK_OK);
    data = json_object_get(h, "data");
    assert_int_equal(json_array_size(data), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(data, 0), "delta")), 10);
    assert_true(json_is_null(json_object_get(h, "next_cursor")));
    json_decref(h);

    /* bad input and unknown objects */
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_stock_adjust(f->db, var, wh, 0, "x", "usr_x", &f->a, &f->pr, NULL),
                     SOUK_E_VALIDATION);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_stock_adjust(f->db, var, wh, 1, "", "usr_x", &f->a, &f->pr, NULL),
                     SOUK_E_VALIDATION);
    expect_field(&f->pr, "reason");
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_stock_set(f->db, var, wh + 1, 1, -1, "x", "usr_x", &f->a, &f->pr),
                     SOUK_E_NOT_FOUND);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_stock_set(f->db, var + 1, wh, 1, -1, "x", "usr_x", &f->a, &f->pr),
                     SOUK_E_NOT_FOUND);

    /* the API shape */
    json_t *s = NULL;
    assert_int_equal(souk_inventory_stock_json(f->db, var, &s), SOUK_OK);
    assert_int_equal(json_integer_value(json_object_get(s, "on_hand")), 5);
    assert_int_equal(json_integer_value(json_object_get(s, "reserved")), 5);
    assert_int_equal(json_integer_value(json_object_get(s, "available")), 0);
    json_t *w0 = json_array_get(json_object_get(s, "warehouses"), 0);
    assert_true(json_is_true(json_object_get(w0, "low_stock")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(w0, "warehouse"), "code")), "main");
    json_decref(s);
}

static void test_warehouses(void **state)
{
    fixture *f = *state;
    int64_t a = warehouse(f, "ams-1");
    warehouse(f, "ber-1");
    souk_warehouse_in dup = {.code = "ams-1", .name = "again"};
    int64_t id;
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_warehouse_create(f->db, &dup, &f->a, &f->pr, &id), SOUK_E_CONFLICT);
    expect_field(&f->pr, "code");
    souk_warehouse_in upd = {.name = "Amsterdam", .present = UINT64_C(1) << SOUK_WF_NAME};
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_warehouse_update(f->db, a, &upd, &f->a, &f->pr), SOUK_OK);
    upd = (souk_warehouse_in){.code = "ber-1", .present = UINT64_C(1) << SOUK_WF_CODE};
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_warehouse_update(f->db, a, &upd, &f->a, &f->pr), SOUK_E_CONFLICT);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_inventory_warehouse_update(f->db, a + 12345, &upd, &f->a, &f->pr), SOUK_E_NOT_FOUND);
    json_t *list = NULL;
    assert_int_equal(souk_inventory_warehouses(f->db, &list), SOUK_OK);
    json_t *data = json_object_get(list, "data");
    assert_int_equal(json_array_size(data), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(data, 0), "name")), "Amsterdam");
    json_decref(list);
}

/* ---- reservations ---------------------------------------------------------- */

static void test_reserve_all_or_nothing(void **state)
{
    fixture *f = *state;
    int64_t w1 = warehouse(f, "w1"), w2 = warehouse(f, "w2");
    int64_t a = variant(f, "RES-A", NULL), b = variant(f, "RES-B", NULL);
    set_stock(f, a, w1, 6);
    set_stock(f, a, w2, 4);
    set_stock(f, b, w1, 2);

    /* second line short: nothing reserved, one problem naming lines[1] */
    souk_reservation_line lines[] = {{a, 3}, {b, 5}};
    int64_t res = 0;
    assert_int_equal(reserve(f->db, lines, 2, 0, &res, &f->a, &f->pr), SOUK_E_CONFLICT);
    assert_int_equal(f->pr.count, 1);
    expect_field(&f->pr, "lines[1]");
    assert_non_null(strstr(f->pr.items[0].message, "only 2 available"));
    assert_int_equal(level(f, a, w1).reserved, 0);
    assert_int_equal(level(f, a, w2).reserved, 0);
    assert_int_equal(level(f, b, w1).reserved, 0);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM reservations", NULL), 0);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM reservation_lines", NULL), 0);
    assert_int_equal(total_available(f, a), 10);

    /* the same call, committed by a caller that ignores the error: the
     * savepoint still leaves nothing behind */
    souk_problems_init(&f->pr);
    reserve_call c = {"checkout-2", lines, 2, 0, 0, &f->a, &f->pr, SOUK_OK};
    assert_int_equal(souk_store_tx(f->db, reserve_body_commit_anyway, &c), 0);
    assert_int_equal(c.err, SOUK_E_CONFLICT);
    assert_int_equal(level(f, a, w1).reserved + level(f, b, w1).reserved, 0);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM reservations", NULL), 0);

    /* allocation: 8 of A = 6 from w1 (most available) + 2 from w2 */
    souk_reservation_line eight = {a, 8};
    souk_problems_init(&f->pr);
    assert_int_equal(reserve(f->db, &eight, 1, 0, &res, &f->a, &f->pr), SOUK_OK);
    assert_int_equal(level(f, a, w1).reserved, 6);
    assert_int_equal(level(f, a, w2).reserved, 2);
    assert_int_equal(total_available(f, a), 2);
    assert_string_equal(state_of(f, res), "active");

    /* two lines of one variant in one call draw on the same stock */
    souk_reservation_line twice[] = {{a, 1}, {a, 2}};
    souk_problems_init(&f->pr);
    assert_int_equal(reserve(f->db, twice, 2, 0, NULL, &f->a, &f->pr), SOUK_E_CONFLICT);
    expect_field(&f->pr, "lines[1]");
    assert_int_equal(total_available(f, a), 2);

    /* validation */
    souk_reservation_line bad[] = {{a, 0}};
    souk_problems_init(&f->pr);
    assert_int_equal(reserve(f->db, bad, 1, 0, NULL, &f->a, &f->pr), SOUK_E_VALIDATION);
    expect_field(&f->pr, "lines[0].quantity");
    souk_problems_init(&f->pr);
    assert_int_equal(reserve(f->db, bad, 0, 0, NULL, &f->a, &f->pr), SOUK_E_VALIDATION);
    expect_field(&f->pr, "lines");
}

static void test_release_consume(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main"), var = variant(f, "RC-1", NULL);
    set_stock(f, var, wh, 10);
    souk_reservation_line three = {var, 3};
    int64_t r1 = 0, r2 = 0;
    assert_int_equal(reserve(f->db, &three, 1, 0, &r1, &f->a, &f->pr), SOUK_OK);
    souk_stock_level lv = level(f, var, wh);
    assert_int_equal(lv.on_hand, 10);
    assert_int_equal(lv.reserved, 3);
    assert_int_equal(lv.available, 7);

    /* consume: on_hand and reserved both drop, available unchanged */
    assert_int_equal(finish(f->db, r1, true), SOUK_OK);
    lv = level(f, var, wh);
    assert_int_equal(lv.on_hand, 7);
    assert_int_equal(lv.reserved, 0);
    assert_int_equal(lv.available, 7);
    assert_string_equal(state_of(f, r1), "consumed");
    json_t *h = NULL;
    assert_int_equal(souk_inventory_adjustments_json(f->db, var, wh, 10, 0, &h), SOUK_OK);
    json_t *sold = json_array_get(json_object_get(h, "data"), 0);
    assert_string_equal(json_string_value(json_object_get(sold, "reason")), "sold");
    assert_int_equal(json_integer_value(json_object_get(sold, "delta")), -3);
    assert_int_equal(json_integer_value(json_object_get(sold, "on_hand_after")), 7);
    assert_true(json_is_string(json_object_get(sold, "reservation_id")));
    json_decref(h);
    /* a consumed reservation can be neither consumed nor released again */
    assert_int_equal(finish(f->db, r1, true), SOUK_E_CONFLICT);
    assert_int_equal(finish(f->db, r1, false), SOUK_E_CONFLICT);
    assert_int_equal(level(f, var, wh).on_hand, 7);

    /* release: reserved back to 0, on_hand untouched; releasing twice is a no-op */
    souk_reservation_line two = {var, 2};
    assert_int_equal(reserve(f->db, &two, 1, 0, &r2, &f->a, &f->pr), SOUK_OK);
    assert_int_equal(level(f, var, wh).available, 5);
    assert_int_equal(finish(f->db, r2, false), SOUK_OK);
    lv = level(f, var, wh);
    assert_int_equal(lv.on_hand, 7);
    assert_int_equal(lv.reserved, 0);
    assert_string_equal(state_of(f, r2), "released");
    assert_int_equal(finish(f->db, r2, false), SOUK_OK);
    assert_int_equal(level(f, var, wh).reserved, 0);
    assert_int_equal(finish(f->db, r2, true), SOUK_E_CONFLICT);
    assert_int_equal(finish(f->db, r2 + 1, false), SOUK_E_NOT_FOUND);
    assert_int_equal(total_available(f, var), 7);
}

static void test_expiry(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main"), var = variant(f, "EXP-1", NULL);
    set_stock(f, var, wh, 10);
    souk_reservation_line one = {var, 1}, two = {var, 2};
    int64_t soon = 0, later = 0, dflt = 0;
    int64_t now = souk_time_now_us();
    assert_int_equal(reserve(f->db, &one, 1, 1000000, &soon, &f->a, &f->pr), SOUK_OK);     /* 1 s */
    assert_int_equal(reserve(f->db, &two, 1, 3600000000, &later, &f->a, &f->pr), SOUK_OK); /* 1 h */
    assert_int_equal(reserve(f->db, &one, 1, 0, &dflt, &f->a, &f->pr), SOUK_OK);           /* default 15 min */
    int64_t exp = 0;
    char st[16];
    assert_int_equal(souk_inventory_reservation_state(f->db, dflt, st, sizeof st, &exp), SOUK_OK);
    assert_true(exp >= now + SOUK_INVENTORY_TTL_DEFAULT_US && exp < now + SOUK_INVENTORY_TTL_DEFAULT_US + 60000000);
    assert_int_equal(level(f, var, wh).reserved, 4);

    assert_int_equal(souk_inventory_expire_due(f->db, now, 100), 0); /* nothing due yet */
    assert_int_equal(souk_inventory_expire_due(f->db, now + 2000000, 100), 1);
    assert_string_equal(state_of(f, soon), "expired");
    assert_string_equal(state_of(f, later), "active");
    assert_string_equal(state_of(f, dflt), "active");
    assert_int_equal(level(f, var, wh).reserved, 3);
    /* an expired reservation cannot be consumed; releasing it is a no-op */
    assert_int_equal(finish(f->db, soon, true), SOUK_E_CONFLICT);
    assert_int_equal(finish(f->db, soon, false), SOUK_OK);
    assert_int_equal(level(f, var, wh).reserved, 3);
    /* MAX bounds one run */
    assert_int_equal(souk_inventory_expire_due(f->db, now + 7200000000, 1), 1);
    assert_int_equal(souk_inventory_expire_due(f->db, now + 7200000000, 10), 1);
    assert_int_equal(level(f, var, wh).reserved, 0);
    assert_int_equal(level(f, var, wh).on_hand, 10);
}

/* ---- catalog: in_stock and available --------------------------------------- */

static int list_count(fixture *f, const char *qs, int64_t must_hold)
{
    souk_query q;
    const char *err = NULL;
    assert_int_equal(souk_query_parse(&q, qs, strlen(qs), &f->a, &err), 0);
    souk_catalog_filter flt;
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_filter_parse(&flt, &q, "USD", &f->a, &f->pr), 0);
    json_t *out = NULL;
    assert_int_equal(souk_catalog_list(f->db, &flt, &f->a, &f->pr, &out), SOUK_OK);
    json_t *data = json_object_get(out, "data");
    char want[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_PRODUCT, must_hold, want);
    bool found = false;
    size_t i;
    json_t *p;
    json_array_foreach(data, i, p) found |= strcmp(json_string_value(json_object_get(p, "id")), want) == 0;
    assert_true(found);
    int n = (int)json_array_size(data);
    json_decref(out);
    return n;
}

static void test_catalog_in_stock(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main"), p1, p2;
    int64_t v1 = variant(f, "CAT-1", &p1);
    variant(f, "CAT-2", &p2);
    set_stock(f, v1, wh, 4);
    assert_int_equal(list_count(f, "in_stock=true", p1), 1);
    assert_int_equal(list_count(f, "in_stock=false", p2), 1);
    assert_int_equal(list_count(f, "", p1), 2);

    assert_int_equal(total_available(f, v1), 4);

    /* all of it reserved: out of stock */
    souk_reservation_line all = {v1, 4};
    assert_int_equal(reserve(f->db, &all, 1, 0, NULL, &f->a, &f->pr), SOUK_OK);
    assert_int_equal(list_count(f, "in_stock=false", p1), 2);
    assert_int_equal(total_available(f, v1), 0);

    /* bad value */
    souk_query q;
    const char *err = NULL;
    assert_int_equal(souk_query_parse(&q, "in_stock=yes", 12, &f->a, &err), 0);
    souk_catalog_filter flt;
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_filter_parse(&flt, &q, "USD", &f->a, &f->pr), -1);
    expect_field(&f->pr, "in_stock");
}

/* ---- races ----------------------------------------------------------------- */

#define RACE_CLIENTS 200

typedef struct race {
    const souk_test_db *t;
    int64_t variant;
    pthread_barrier_t start;
    pthread_mutex_t mu;
    int ok, conflict, other;
    int64_t ids[RACE_CLIENTS];
} race;

static void *buyer(void *arg)
{
    race *r = arg;
    souk_store *db = souk_test_db_connect(r->t);
    souk_arena a;
    souk_arena_init(&a, 4096, 0);
    souk_problems pr;
    souk_problems_init(&pr);
    pthread_barrier_wait(&r->start);
    souk_reservation_line line = {r->variant, 1};
    int64_t id = 0;
    souk_err e = db ? reserve(db, &line, 1, 0, &id, &a, &pr) : SOUK_E_INTERNAL;
    pthread_mutex_lock(&r->mu);
    if (e == SOUK_OK)
        r->ids[r->ok++] = id;
    else if (e == SOUK_E_CONFLICT)
        r->conflict++;
    else
        r->other++;
    pthread_mutex_unlock(&r->mu);
    souk_arena_release(&a);
    souk_store_close(db);
    return NULL;
}

static void test_race_last_units(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main"), var = variant(f, "RACE-1", NULL);
    set_stock(f, var, wh, 50);

    static race r;
    memset(&r, 0, sizeof r);
    r.t = &f->t;
    r.variant = var;
    pthread_barrier_init(&r.start, NULL, RACE_CLIENTS);
    pthread_mutex_init(&r.mu, NULL);
    pthread_t t[RACE_CLIENTS];
    for (int i = 0; i < RACE_CLIENTS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, buyer, &r), 0);
    for (int i = 0; i < RACE_CLIENTS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&r.start);
    pthread_mutex_destroy(&r.mu);

    assert_int_equal(r.other, 0);
    assert_int_equal(r.ok, 50);
    assert_int_equal(r.conflict, 150);
    souk_stock_level lv = level(f, var, wh);
    assert_int_equal(lv.on_hand, 50);
    assert_int_equal(lv.reserved, 50);
    assert_int_equal(lv.available, 0);
    assert_int_equal(total_available(f, var), 0);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM reservations WHERE state = 'active'", NULL), 50);

    /* the 50 orders are placed */
    for (int i = 0; i < r.ok; i++)
        assert_int_equal(finish(f->db, r.ids[i], true), SOUK_OK);
    lv = level(f, var, wh);
    assert_int_equal(lv.on_hand, 0);
    assert_int_equal(lv.reserved, 0);
    /* the expiry job finds nothing left over */
    assert_int_equal(souk_inventory_expire_due(f->db, souk_time_now_us() + 7200000000, 1000), 0);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM reservations WHERE state = 'active'", NULL), 0);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM stock_adjustments WHERE reason = 'sold' AND variant_id = $1",
                            SOUK_ARGS(SOUK_I64(var))),
                     50);
}

/* race 2: reservers (which consume, release, or abandon what they get) run
 * against two expiry workers; a checker asserts in read snapshots that
 * reserved always equals what the active reservations hold */
#define CHURN_CLIENTS 40
#define CHURN_ROUNDS 15
#define CHURN_STOCK 50

typedef struct churn {
    const souk_test_db *t;
    int64_t variant, warehouse;
    pthread_barrier_t start;
    pthread_mutex_t mu;
    int running; /* reservers still at work */
    int consumed, reserved_ok, conflicts, errors, expired, violations, checks;
} churn;

static void *churn_reserver(void *arg)
{
    churn *c = arg;
    souk_store *db = souk_test_db_connect(c->t);
    souk_arena a;
    souk_arena_init(&a, 4096, 0);
    souk_problems pr;
    unsigned seed = (unsigned)(uintptr_t)&a;
    pthread_barrier_wait(&c->start);
    for (int i = 0; db && i < CHURN_ROUNDS; i++) {
        souk_reservation_line line = {c->variant, 1 + (int64_t)(rand_r(&seed) % 2)};
        int64_t id = 0;
        souk_err e = reserve(db, &line, 1, 500 + rand_r(&seed) % 3000, &id, &a, &pr); /* 0.5-3.5 ms */
        int consumed = 0, err = 0;
        if (e == SOUK_OK) {
            int what = rand_r(&seed) % 6; /* 0 consume, 1-2 release, 3-5 abandon to the expiry job */
            if (what < 3) {
                /* may lose against an expiry worker: then CONFLICT / no-op */
                souk_err f = finish(db, id, what == 0);
                if (what == 0 && f == SOUK_OK)
                    consumed = (int)line.quantity;
                else if (f != SOUK_OK && f != SOUK_E_CONFLICT)
                    err = 1;
            }
        } else if (e != SOUK_E_CONFLICT) {
            err = 1;
        }
        souk_arena_reset(&a);
        pthread_mutex_lock(&c->mu);
        c->consumed += consumed;
        c->reserved_ok += e == SOUK_OK;
        c->conflicts += e == SOUK_E_CONFLICT;
        c->errors += err;
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_lock(&c->mu);
    c->running--;
    if (!db)
        c->errors++;
    pthread_mutex_unlock(&c->mu);
    souk_arena_release(&a);
    souk_store_close(db);
    return NULL;
}

static bool still_running(churn *c)
{
    pthread_mutex_lock(&c->mu);
    bool r = c->running > 0;
    pthread_mutex_unlock(&c->mu);
    return r;
}

static void *churn_expirer(void *arg)
{
    churn *c = arg;
    souk_store *db = souk_test_db_connect(c->t);
    pthread_barrier_wait(&c->start);
    while (db && still_running(c)) {
        int n = souk_inventory_expire_due(db, souk_time_now_us(), 50);
        pthread_mutex_lock(&c->mu);
        if (n < 0)
            c->errors++;
        else
            c->expired += n;
        pthread_mutex_unlock(&c->mu);
        usleep(500);
    }
    souk_store_close(db);
    return NULL;
}

/* the integer SQL with ARGS returns, or -1 */
static int64_t read_one(souk_store *db, const char *sql, const souk_param *args)
{
    int64_t v = -1;
    return souk_store_one(db, sql, args, SOUK_COLS(SOUK_COL_I64(&v))) == SOUK_DB_ROW ? v : -1;
}

static void *churn_checker(void *arg)
{
    churn *c = arg;
    souk_store *db = souk_test_db_connect(c->t);
    pthread_barrier_wait(&c->start);
    while (db && still_running(c)) {
        if (souk_store_read_begin(db) != 0)
            continue;
        const souk_param *level = SOUK_ARGS(SOUK_I64(c->variant), SOUK_I64(c->warehouse));
        int64_t reserved = read_one(db,
                                    "SELECT reserved FROM stock_levels WHERE variant_id = $1 AND "
                                    "warehouse_id = $2",
                                    level);
        int64_t on_hand = read_one(db,
                                   "SELECT on_hand FROM stock_levels WHERE variant_id = $1 AND "
                                   "warehouse_id = $2",
                                   level);
        int64_t held = read_one(db,
                                "SELECT coalesce(sum(l.quantity), 0) FROM reservation_lines l "
                                "JOIN reservations r ON r.id = l.reservation_id "
                                "WHERE r.state = 'active' AND l.variant_id = $1 AND l.warehouse_id = $2",
                                level);
        int64_t avail = read_one(db, "SELECT available FROM variant_availability WHERE variant_id = $1",
                                 SOUK_ARGS(SOUK_I64(c->variant)));
        souk_store_read_end(db);
        pthread_mutex_lock(&c->mu);
        c->checks++;
        if (reserved < 0 || on_hand < reserved || held != reserved || avail != on_hand - reserved)
            c->violations++;
        pthread_mutex_unlock(&c->mu);
        usleep(200);
    }
    souk_store_close(db);
    return NULL;
}

static void test_race_expiry_churn(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main"), var = variant(f, "CHURN-1", NULL);
    set_stock(f, var, wh, CHURN_STOCK);

    static churn c;
    memset(&c, 0, sizeof c);
    c.t = &f->t;
    c.variant = var;
    c.warehouse = wh;
    c.running = CHURN_CLIENTS;
    enum { EXPIRERS = 2, CHECKERS = 1, N = CHURN_CLIENTS + EXPIRERS + CHECKERS };
    pthread_barrier_init(&c.start, NULL, N);
    pthread_mutex_init(&c.mu, NULL);
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL,
                                        i < CHURN_CLIENTS              ? churn_reserver
                                        : i < CHURN_CLIENTS + EXPIRERS ? churn_expirer
                                                                       : churn_checker,
                                        &c),
                         0);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&c.start);
    pthread_mutex_destroy(&c.mu);

    print_message("  churn: %d reserved, %d conflicts, %d units consumed, %d expired by workers, %d checks\n",
                  c.reserved_ok, c.conflicts, c.consumed, c.expired, c.checks);
    assert_int_equal(c.errors, 0);
    assert_int_equal(c.violations, 0);
    assert_true(c.reserved_ok > 0);
    assert_true(c.checks > 0);

    /* after a final run of the job nothing is held and every unit is accounted for */
    int left = souk_inventory_expire_due(f->db, souk_time_now_us() + 7200000000, 100000);
    assert_true(left >= 0);
    souk_stock_level lv = level(f, var, wh);
    assert_int_equal(lv.reserved, 0);
    assert_int_equal(lv.on_hand, CHURN_STOCK - c.consumed);
    assert_int_equal(total_available(f, var), CHURN_STOCK - c.consumed);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM reservations WHERE state = 'active'", NULL), 0);
    assert_int_equal(scalar(f->db,
                            "SELECT -coalesce(sum(delta), 0) FROM stock_adjustments "
                            "WHERE reason = 'sold' AND variant_id = $1",
                            SOUK_ARGS(SOUK_I64(var))),
                     c.consumed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_warehouses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_and_adjust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_consume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog_in_stock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_race_last_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_race_expiry_churn, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
