/*
 * orders_fixture.h — what the orders unit tests share (test_orders.c,
 * test_orders_money.c, test_orders_states.c): queries on the test database,
 * goods in stock and carts made through the catalog, inventory and cart,
 * and the orders module's transactions run as a caller would. Header-only
 * (static inline), after catalog_fixture.h's database fixture.
 */
#ifndef SOUK_TEST_ORDERS_FIXTURE_H
#define SOUK_TEST_ORDERS_FIXTURE_H

#include "catalog_fixture.h"

#include "cart/cart.h"
#include "core/time.h"
#include "inventory/inventory.h"
#include "orders/internal.h"
#include "orders/place.h"

/* ---- helpers: database ----------------------------------------------------- */

/* The integer in the first column of the first row of SQL with ARGS. */
static inline int64_t qi(souk_store *db, const char *sql, const souk_param *args)
{
    int64_t v = 0;
    int r = souk_store_one(db, sql, args, SOUK_COLS(SOUK_COL_I64(&v)));
    if (r != SOUK_DB_ROW)
        fail_msg("no row (%d) for: %s", r, sql);
    return v;
}

/* The same without parameters, with $1 = A, with $1 = A and $2 = B, with $1 the text S. */
static inline int64_t q0(souk_store *db, const char *sql)
{
    return qi(db, sql, NULL);
}

static inline int64_t q1(souk_store *db, const char *sql, int64_t a)
{
    return qi(db, sql, SOUK_ARGS(SOUK_I64(a)));
}

static inline int64_t q2(souk_store *db, const char *sql, int64_t a, int64_t b)
{
    return qi(db, sql, SOUK_ARGS(SOUK_I64(a), SOUK_I64(b)));
}

static inline int64_t qs(souk_store *db, const char *sql, const char *s)
{
    return qi(db, sql, SOUK_ARGS(SOUK_TEXT(s)));
}

/* The text in the first column of SQL ($1 = A), copied into the arena ("" for NULL). */
static inline const char *qt(fixture *f, const char *sql, int64_t a)
{
    char *s = NULL;
    int r = souk_store_one(f->db, sql, SOUK_ARGS(SOUK_I64(a)), SOUK_COLS(SOUK_COL_ARENA(&s, &f->a)));
    if (r != SOUK_DB_ROW)
        fail_msg("no row (%d) for: %s", r, sql);
    return s;
}

static inline void exec(souk_store *db, const char *sql, const souk_param *args)
{
    assert_true(souk_store_exec(db, sql, args) >= 0);
}

static inline void exec2(souk_store *db, const char *sql, int64_t a, int64_t b)
{
    exec(db, sql, SOUK_ARGS(SOUK_I64(a), SOUK_I64(b)));
}

static inline const char *order_state(fixture *f, int64_t order)
{
    return qt(f, "SELECT state FROM orders WHERE id = $1", order);
}

static inline const char *payment_status(fixture *f, int64_t order)
{
    return qt(f, "SELECT payment_status FROM orders WHERE id = $1", order);
}

static inline const char *ref(int64_t order)
{
    static char buf[4][SOUK_ID_TEXT_MAX];
    static int next;
    char *b = buf[next++ % 4];
    return souk__order_ref(order, b);
}

/* Events of TYPE about ORDER. */
static inline int64_t events_of(fixture *f, const char *type, int64_t order)
{
    return qi(f->db, "SELECT count(*) FROM events WHERE type = $1 AND aggregate_id = $2",
              SOUK_ARGS(SOUK_TEXT(type), SOUK_TEXT(ref(order))));
}

/* The integer FIELD of the payload of the one event of TYPE about ORDER
 * (decoded here: the SQL stays the same on every database). */
static inline int64_t event_field(fixture *f, const char *type, int64_t order, const char *field)
{
    char *text = NULL;
    int r = souk_store_one(f->db, "SELECT payload FROM events WHERE type = $1 AND aggregate_id = $2",
                           SOUK_ARGS(SOUK_TEXT(type), SOUK_TEXT(ref(order))), SOUK_COLS(SOUK_COL_ARENA(&text, &f->a)));
    assert_int_equal(r, SOUK_DB_ROW);
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    int64_t v = json_integer_value(json_object_get(j, field));
    json_decref(j);
    return v;
}

/* orders.refund jobs (in STATE, NULL = any) whose payload names refund RID. */
static inline int64_t refund_jobs(fixture *f, int64_t rid, const char *state)
{
    char rref[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_REFUND, rid, rref);
    souk_stmt *st = souk_store_query(f->db, "SELECT payload FROM jobs WHERE kind = 'orders.refund' "
                                            "AND ($1 IS NULL OR state = $1)", SOUK_ARGS(SOUK_TEXT(state)));
    int64_t n = 0;
    char *text = NULL;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_ARENA(&text, &f->a)))) == SOUK_DB_ROW) {
        json_t *j = json_loads(text, 0, NULL);
        const char *named = json_string_value(json_object_get(j, "refund_id"));
        n += named && strcmp(named, rref) == 0;
        json_decref(j);
    }
    assert_int_equal(r, SOUK_DB_DONE);
    return n;
}

typedef struct send_ctx {
    int max, sent;
} send_ctx;

static inline int send_fn(souk_store *db, void *arg)
{
    send_ctx *c = arg;
    c->sent = souk_orders_send_emails_tx(db, c->max);
    return c->sent < 0 ? c->sent : 0;
}

/* Runs one order.emails batch of at most MAX; returns how many it wrote. */
static inline int run_tx_count(fixture *f, int max)
{
    send_ctx c = {max, -1};
    assert_int_equal(souk_store_tx(f->db, send_fn, &c), 0);
    return c.sent;
}

/* E-mails of KIND asked for ORDER (order_notifications rows, each with a
 * queued order.emails job to write it). */
static inline int64_t email_jobs(fixture *f, int64_t order, const char *kind)
{
    return qi(f->db, "SELECT count(*) FROM order_notifications WHERE order_id = $1 AND kind = $2 "
                     "AND sent_at IS NULL AND EXISTS (SELECT 1 FROM jobs WHERE kind = 'order.emails' "
                     "AND state = 'queued' AND run_at >= created_at)",
              SOUK_ARGS(SOUK_I64(order), SOUK_TEXT(kind)));
}

/* ---- helpers: catalog, stock, carts ------------------------------------------ */

static inline int64_t warehouse(fixture *f, const char *code)
{
    souk_warehouse_in in = {.code = code, .name = code};
    int64_t id = 0;
    souk_problems_init(&f->pr);
    souk_err e = souk_inventory_warehouse_create(f->db, &in, &f->a, &f->pr, &id);
    if (e)
        fail_msg("warehouse %s: %s", code, souk_err_code(e));
    return id;
}

/* A vendor whose commission is BP basis points. */
static inline int64_t vendor(fixture *f, const char *name, int64_t bp)
{
    souk_taxon_in in = {.name = name, .commission_bp = bp};
    int64_t id = 0;
    souk_problems_init(&f->pr);
    souk_err e = souk_catalog_taxon_create(f->db, SOUK_TAXON_VENDOR, &in, &f->a, &f->pr, &id);
    if (e)
        fail_msg("vendor %s: %s", name, souk_err_code(e));
    return id;
}

/* An active product of VENDOR (0 = the shop's own) with one variant SKU
 * priced AMOUNT USD; returns the variant id (*PRODUCT the product). */
static inline int64_t variant(fixture *f, const char *sku, int64_t amount, int64_t vend, int64_t *product)
{
    souk_price_in price = {amount, "USD", 0, 0};
    souk_variant_in var = {.sku = sku, .prices = {&price, 1}};
    souk_product_in in = {.title = sku, .status = SOUK_STATUS_ACTIVE, .vendor_id = vend, .variants = {&var, 1}};
    int64_t pid = 0;
    souk_problems_init(&f->pr);
    souk_err e = souk_catalog_product_create(f->db, &in, &f->a, &f->pr, &pid);
    if (e)
        fail_msg("product %s: %s", sku, souk_err_code(e));
    int64_t id = q1(f->db, "SELECT id FROM variants WHERE product_id = $1", pid);
    if (product)
        *product = pid;
    return id;
}

static inline void set_stock(fixture *f, int64_t var, int64_t wh, int64_t on_hand)
{
    souk_problems_init(&f->pr);
    souk_err e = souk_inventory_stock_set(f->db, var, wh, on_hand, -1, "count", "system", &f->a, &f->pr);
    if (e)
        fail_msg("set stock: %s", souk_err_code(e));
}

static inline souk_stock_level level(fixture *f, int64_t var, int64_t wh)
{
    souk_stock_level lv = {0};
    assert_int_equal(souk_inventory_level(f->db, var, wh, &lv), SOUK_OK);
    assert_true(lv.reserved >= 0 && lv.reserved <= lv.on_hand);
    return lv;
}

static inline int64_t available(fixture *f, int64_t var)
{
    int64_t n = -1;
    assert_int_equal(souk_inventory_available(f->db, var, &n), SOUK_OK);
    assert_int_equal(n, q1(f->db, "SELECT coalesce(sum(on_hand - reserved), 0) FROM stock_levels "
                                  "WHERE variant_id = $1", var));
    return n;
}

/* A guest cart in USD. */
static inline int64_t cart(fixture *f)
{
    char token[64];
    int64_t id = 0;
    assert_int_equal(souk_cart_create(f->db, 0, "USD", token, &id, NULL), SOUK_OK);
    return id;
}

static inline void add_line(fixture *f, int64_t c, int64_t var, int64_t qty)
{
    json_t *out = NULL;
    souk_problems_init(&f->pr);
    souk_err e = souk_cart_put_line(f->db, c, var, qty, false, &f->a, &f->pr, &out);
    if (e)
        fail_msg("cart line: %s", souk_err_code(e));
    json_decref(out);
}

/* A coupon taking BP basis points, usable LIMIT times (direct insert). */
static inline int64_t coupon(fixture *f, const char *code, int64_t bp, int64_t limit)
{
    int64_t id = souk_id_next();
    exec(f->db, "INSERT INTO coupons (id, code, kind, value, usage_limit, used_count, active, created_at, updated_at) "
                "VALUES ($1, $2, 'percent', $3, $4, 0, 1, $5, $5)",
         SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(code), SOUK_I64(bp), SOUK_I64(limit), SOUK_I64(souk_time_now_us())));
    return id;
}

/* ---- helpers: the orders module in transactions ------------------------------ */

static const unsigned char guest_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

typedef struct place_call {
    souk__place_in in;
    int64_t order;
    souk_arena *a;
    souk_problems *pr;
} place_call;

static inline souk_err place_body(souk_store *db, void *arg)
{
    place_call *c = arg;
    return souk__order_place_tx(db, &c->in, &c->order, NULL, c->a, c->pr);
}

/* Places cart C as a guest; *ORDER (optional) gets the order. */
static inline souk_err place(fixture *f, int64_t c, int64_t *order)
{
    place_call pc = {{c, 0, guest_key, "shopper@example.com", "{\"city\":\"Leeds\",\"country\":\"GB\"}", "test",
                      "guest"},
                     0, &f->a, &f->pr};
    souk_problems_init(&f->pr);
    souk_err e = souk_store_run(f->db, place_body, &pc, &f->pr);
    if (order)
        *order = e ? 0 : pc.order;
    return e;
}

static inline int64_t place_ok(fixture *f, int64_t c)
{
    int64_t order = 0;
    souk_err e = place(f, c, &order);
    if (e)
        fail_msg("place: %s", souk_err_code(e));
    assert_true(order > 0);
    return order;
}

/* Placing cart C fails with WANT and one problem, for FIELD; no order. */
static inline void expect_refused(fixture *f, int64_t c, souk_err want, const char *field)
{
    int64_t order = -1;
    assert_int_equal(place(f, c, &order), want);
    assert_int_equal(order, 0);
    assert_int_equal(f->pr.count, 1);
    expect_field(&f->pr, field);
}

/* The start most tests share: a warehouse, a variant in stock there and
 * a cart with one line of it, placed. */
typedef struct one_line {
    int64_t wh, variant, cart, order;
} one_line;

/* Places QTY of a new variant SKU priced AMOUNT USD, ON_HAND of which are
 * in a new warehouse. */
static inline one_line place_one(fixture *f, const char *sku, int64_t amount, int64_t on_hand, int64_t qty)
{
    one_line o = {.wh = warehouse(f, "main")};
    o.variant = variant(f, sku, amount, 0, NULL);
    set_stock(f, o.variant, o.wh, on_hand);
    o.cart = cart(f);
    add_line(f, o.cart, o.variant, qty);
    o.order = place_ok(f, o.cart);
    return o;
}

enum op_kind { OP_PAY, OP_CANCEL_PENDING, OP_CANCEL_PAID, OP_REFUND, OP_SUCCEEDED, OP_DERIVE, OP_RESTOCK };

typedef struct op {
    enum op_kind kind;
    int64_t order;
    int64_t amount;               /* OP_REFUND; OP_RESTOCK: quantity */
    const char *status, *decline; /* OP_CANCEL_PENDING */
    int64_t reservation, variant; /* OP_RESTOCK */
    int64_t refund_id;            /* out */
} op;

static inline souk_err op_body(souk_store *db, void *arg)
{
    op *x = arg;
    souk__order o;
    souk_err e;
    x->refund_id = 0;
    switch (x->kind) {
    case OP_PAY:
        if ((e = souk__order_load(db, x->order, &o)))
            return e;
        return souk__order_pay_tx(db, &o, "guest");
    case OP_CANCEL_PENDING:
        return souk__order_cancel_pending_tx(db, x->order, x->status, x->decline, "declined at the gateway", "system");
    case OP_CANCEL_PAID:
        if ((e = souk__order_load(db, x->order, &o)))
            return e;
        return souk__order_cancel_paid_tx(db, &o, "changed my mind", "usr_test", &x->refund_id);
    case OP_REFUND:
        if ((e = souk__order_load(db, x->order, &o)))
            return e;
        return souk__refund_begin_tx(db, &o, x->amount, "goodwill", 0, "usr_admin", &x->refund_id);
    case OP_SUCCEEDED:
        if ((e = souk__order_load(db, x->order, &o)))
            return e;
        return souk__order_payment_succeeded_tx(db, &o, "webhook", &x->refund_id);
    case OP_DERIVE:
        return souk__order_derive_tx(db, x->order, "usr_vendor");
    case OP_RESTOCK:
        return souk_inventory_restock_tx(db, x->reservation, x->variant, x->amount, "returned", "usr_admin");
    }
    return SOUK_E_INTERNAL;
}

static inline souk_err run_op(fixture *f, op *x)
{
    return souk_store_run(f->db, op_body, x, NULL);
}

static inline souk_err pay(fixture *f, int64_t order)
{
    op x = {.kind = OP_PAY, .order = order};
    return run_op(f, &x);
}

static inline souk_err derive(fixture *f, int64_t order)
{
    op x = {.kind = OP_DERIVE, .order = order};
    return run_op(f, &x);
}

static inline souk_err refund(fixture *f, int64_t order, int64_t amount, int64_t *refund_id)
{
    op x = {.kind = OP_REFUND, .order = order, .amount = amount};
    souk_err e = run_op(f, &x);
    if (refund_id)
        *refund_id = x.refund_id;
    return e;
}

static inline int64_t reservation_of(fixture *f, int64_t order)
{
    return q1(f->db, "SELECT reservation_id FROM orders WHERE id = $1", order);
}

/* ORDER is cancelled with its TOTAL refunded in full: one pending refund
 * RID, every sub-order cancelled, the events said once, and the
 * orders.refund job that retries the gateway queued. */
static inline void expect_cancelled_and_refunded(fixture *f, int64_t order, int64_t total, int64_t rid)
{
    assert_true(rid > 0);
    assert_string_equal(order_state(f, order), "cancelled");
    assert_string_equal(payment_status(f, order), "refunded");
    assert_int_equal(q1(f->db, "SELECT refunded FROM orders WHERE id = $1", order), total);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1 AND state <> 'cancelled'", order),
                     0);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM refunds WHERE order_id = $1", order), 1);
    assert_int_equal(q1(f->db, "SELECT order_id FROM refunds WHERE id = $1", rid), order);
    assert_int_equal(q1(f->db, "SELECT amount FROM refunds WHERE id = $1", rid), total);
    assert_string_equal(qt(f, "SELECT state FROM refunds WHERE id = $1", rid), "pending");
    assert_int_equal(events_of(f, "order.cancelled", order), 1);
    assert_int_equal(events_of(f, "order.refunded", order), 1);
    assert_int_equal(refund_jobs(f, rid, "queued"), 1);
}

static inline const char *reservation_state(fixture *f, int64_t res)
{
    static char state[16];
    assert_int_equal(souk_inventory_reservation_state(f->db, res, state, sizeof state, NULL), SOUK_OK);
    return state;
}

#endif
