/*
 * Unit tests for src/orders/ below the HTTP layer, with real parts: a
 * migrated temporary database, products and prices through the catalog,
 * stock through the inventory, carts through src/cart. Covers placing an
 * order (price snapshot, per-vendor sub-orders and commissions, the
 * reservation, all-or-nothing failures), paying it (also after its
 * reservation lapsed), cancelling it before and after payment, refunds,
 * the derived fulfilment states, the maintenance job's parts and
 * souk_inventory_restock_tx.
 */
#include "catalog_fixture.h"

#include "cart/cart.h"
#include "core/time.h"
#include "inventory/inventory.h"
#include "orders/internal.h"
#include "orders/place.h"

/* ---- helpers: database ----------------------------------------------------- */

/* The integer in the first column of the first row of SQL with ARGS. */
static int64_t qi(souk_store *db, const char *sql, const souk_param *args)
{
    int64_t v = 0;
    int r = souk_store_one(db, sql, args, SOUK_COLS(SOUK_COL_I64(&v)));
    if (r != SOUK_DB_ROW)
        fail_msg("no row (%d) for: %s", r, sql);
    return v;
}

/* The same without parameters, with $1 = A, with $1 = A and $2 = B, with $1 the text S. */
static int64_t q0(souk_store *db, const char *sql)
{
    return qi(db, sql, NULL);
}

static int64_t q1(souk_store *db, const char *sql, int64_t a)
{
    return qi(db, sql, SOUK_ARGS(SOUK_I64(a)));
}

static int64_t q2(souk_store *db, const char *sql, int64_t a, int64_t b)
{
    return qi(db, sql, SOUK_ARGS(SOUK_I64(a), SOUK_I64(b)));
}

static int64_t qs(souk_store *db, const char *sql, const char *s)
{
    return qi(db, sql, SOUK_ARGS(SOUK_TEXT(s)));
}

/* The text in the first column of SQL ($1 = A), copied into the arena ("" for NULL). */
static const char *qt(fixture *f, const char *sql, int64_t a)
{
    char *s = NULL;
    int r = souk_store_one(f->db, sql, SOUK_ARGS(SOUK_I64(a)), SOUK_COLS(SOUK_COL_ARENA(&s, &f->a)));
    if (r != SOUK_DB_ROW)
        fail_msg("no row (%d) for: %s", r, sql);
    return s;
}

static void exec(souk_store *db, const char *sql, const souk_param *args)
{
    assert_true(souk_store_exec(db, sql, args) >= 0);
}

static void exec2(souk_store *db, const char *sql, int64_t a, int64_t b)
{
    exec(db, sql, SOUK_ARGS(SOUK_I64(a), SOUK_I64(b)));
}

static const char *order_state(fixture *f, int64_t order)
{
    return qt(f, "SELECT state FROM orders WHERE id = $1", order);
}

static const char *payment_status(fixture *f, int64_t order)
{
    return qt(f, "SELECT payment_status FROM orders WHERE id = $1", order);
}

static const char *ref(int64_t order)
{
    static char buf[4][SOUK_ID_TEXT_MAX];
    static int next;
    char *b = buf[next++ % 4];
    return souk__order_ref(order, b);
}

/* Events of TYPE about ORDER. */
static int64_t events_of(fixture *f, const char *type, int64_t order)
{
    return qi(f->db, "SELECT count(*) FROM events WHERE type = $1 AND aggregate_id = $2",
              SOUK_ARGS(SOUK_TEXT(type), SOUK_TEXT(ref(order))));
}

/* The integer FIELD of the payload of the one event of TYPE about ORDER
 * (decoded here: the SQL stays the same on every database). */
static int64_t event_field(fixture *f, const char *type, int64_t order, const char *field)
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
static int64_t refund_jobs(fixture *f, int64_t rid, const char *state)
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

static int send_fn(souk_store *db, void *arg)
{
    send_ctx *c = arg;
    c->sent = souk_orders_send_emails_tx(db, c->max);
    return c->sent < 0 ? c->sent : 0;
}

/* Runs one order.emails batch of at most MAX; returns how many it wrote. */
static int run_tx_count(fixture *f, int max)
{
    send_ctx c = {max, -1};
    assert_int_equal(souk_store_tx(f->db, send_fn, &c), 0);
    return c.sent;
}

/* E-mails of KIND asked for ORDER (order_notifications rows, each with a
 * queued order.emails job to write it). */
static int64_t email_jobs(fixture *f, int64_t order, const char *kind)
{
    return qi(f->db, "SELECT count(*) FROM order_notifications WHERE order_id = $1 AND kind = $2 "
                     "AND sent_at IS NULL AND EXISTS (SELECT 1 FROM jobs WHERE kind = 'order.emails' "
                     "AND state = 'queued' AND run_at >= created_at)",
              SOUK_ARGS(SOUK_I64(order), SOUK_TEXT(kind)));
}

/* ---- helpers: catalog, stock, carts ------------------------------------------ */

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

/* A vendor whose commission is BP basis points. */
static int64_t vendor(fixture *f, const char *name, int64_t bp)
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
static int64_t variant(fixture *f, const char *sku, int64_t amount, int64_t vend, int64_t *product)
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

static int64_t available(fixture *f, int64_t var)
{
    int64_t n = -1;
    assert_int_equal(souk_inventory_available(f->db, var, &n), SOUK_OK);
    assert_int_equal(n, q1(f->db, "SELECT coalesce(sum(on_hand - reserved), 0) FROM stock_levels "
                                  "WHERE variant_id = $1", var));
    return n;
}

/* A guest cart in USD. */
static int64_t cart(fixture *f)
{
    char token[64];
    int64_t id = 0;
    assert_int_equal(souk_cart_create(f->db, 0, "USD", token, &id), SOUK_OK);
    return id;
}

static void add_line(fixture *f, int64_t c, int64_t var, int64_t qty)
{
    json_t *out = NULL;
    souk_problems_init(&f->pr);
    souk_err e = souk_cart_put_line(f->db, c, var, qty, false, &f->a, &f->pr, &out);
    if (e)
        fail_msg("cart line: %s", souk_err_code(e));
    json_decref(out);
}

/* A coupon taking BP basis points, usable LIMIT times (direct insert). */
static int64_t coupon(fixture *f, const char *code, int64_t bp, int64_t limit)
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

static souk_err place_body(souk_store *db, void *arg)
{
    place_call *c = arg;
    return souk__order_place_tx(db, &c->in, &c->order, c->a, c->pr);
}

/* Places cart C as a guest; *ORDER (optional) gets the order. */
static souk_err place(fixture *f, int64_t c, int64_t *order)
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

static int64_t place_ok(fixture *f, int64_t c)
{
    int64_t order = 0;
    souk_err e = place(f, c, &order);
    if (e)
        fail_msg("place: %s", souk_err_code(e));
    assert_true(order > 0);
    return order;
}

/* The start most tests share: a warehouse, a variant in stock there and
 * a cart with one line of it, placed. */
typedef struct one_line {
    int64_t wh, variant, cart, order;
} one_line;

/* Places QTY of a new variant SKU priced AMOUNT USD, ON_HAND of which are
 * in a new warehouse. */
static one_line place_one(fixture *f, const char *sku, int64_t amount, int64_t on_hand, int64_t qty)
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

static souk_err op_body(souk_store *db, void *arg)
{
    op *x = arg;
    souk__order o;
    souk_err e;
    x->refund_id = 0;
    switch (x->kind) {
    case OP_PAY:
        return souk__order_pay_tx(db, x->order, "guest");
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
        return souk__order_payment_succeeded_tx(db, x->order, "webhook", &x->refund_id);
    case OP_DERIVE:
        return souk__order_derive_tx(db, x->order, "usr_vendor");
    case OP_RESTOCK:
        return souk_inventory_restock_tx(db, x->reservation, x->variant, x->amount, "returned", "usr_admin");
    }
    return SOUK_E_INTERNAL;
}

static souk_err run_op(fixture *f, op *x)
{
    return souk_store_run(f->db, op_body, x, NULL);
}

static souk_err pay(fixture *f, int64_t order)
{
    op x = {.kind = OP_PAY, .order = order};
    return run_op(f, &x);
}

static souk_err derive(fixture *f, int64_t order)
{
    op x = {.kind = OP_DERIVE, .order = order};
    return run_op(f, &x);
}

static souk_err refund(fixture *f, int64_t order, int64_t amount, int64_t *refund_id)
{
    op x = {.kind = OP_REFUND, .order = order, .amount = amount};
    souk_err e = run_op(f, &x);
    if (refund_id)
        *refund_id = x.refund_id;
    return e;
}

static int64_t reservation_of(fixture *f, int64_t order)
{
    return q1(f->db, "SELECT reservation_id FROM orders WHERE id = $1", order);
}

/* ORDER is cancelled with its TOTAL refunded in full: one pending refund
 * RID, every sub-order cancelled, the events said once, and the
 * orders.refund job that retries the gateway queued. */
static void expect_cancelled_and_refunded(fixture *f, int64_t order, int64_t total, int64_t rid)
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

static const char *reservation_state(fixture *f, int64_t res)
{
    static char state[16];
    assert_int_equal(souk_inventory_reservation_state(f->db, res, state, sizeof state, NULL), SOUK_OK);
    return state;
}

/* ---- placing an order ------------------------------------------------------- */

static void test_place(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main");
    int64_t va = vendor(f, "Acme", 1250), vb = vendor(f, "Bolt", 5);
    int64_t pa, pb, ps;
    int64_t a = variant(f, "PLACE-A", 1999, va, &pa); /* 12.5 %: 3998 → 499.75 → 500 */
    int64_t b = variant(f, "PLACE-B", 1000, vb, &pb); /* 0.05 %: 1000 → 0.5 → 1 (half up) */
    int64_t s = variant(f, "PLACE-S", 250, 0, &ps);   /* the shop's own: no commission */
    set_stock(f, a, wh, 10);
    set_stock(f, b, wh, 4);
    set_stock(f, s, wh, 7);
    int64_t c = cart(f);
    add_line(f, c, a, 2);
    add_line(f, c, b, 1);
    add_line(f, c, s, 2);

    int64_t order = place_ok(f, c);
    assert_string_equal(order_state(f, order), "pending_payment");
    assert_string_equal(payment_status(f, order), "pending");
    assert_int_equal(q1(f->db, "SELECT subtotal FROM orders WHERE id = $1", order), 3998 + 1000 + 500);
    assert_int_equal(q1(f->db, "SELECT total FROM orders WHERE id = $1", order), 5498);
    assert_int_equal(q1(f->db, "SELECT discount + shipping + tax + refunded FROM orders WHERE id = $1", order), 0);
    assert_string_equal(qt(f, "SELECT currency FROM orders WHERE id = $1", order), "USD");
    assert_string_equal(qt(f, "SELECT email FROM orders WHERE id = $1", order), "shopper@example.com");
    assert_string_equal(qt(f, "SELECT gateway FROM orders WHERE id = $1", order), "test");
    assert_int_equal(q1(f->db, "SELECT cart_id FROM orders WHERE id = $1", order), c);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM orders WHERE id = $1 AND user_id IS NULL", order), 1);
    /* a guest order: the hash of the derived order token is stored */
    char token[SOUK__ORDER_TOKEN_LEN], hex[65];
    souk__order_token(guest_key, order, token);
    souk__order_token_hash(token, hex);
    assert_string_equal(qt(f, "SELECT guest_token_hash FROM orders WHERE id = $1", order), hex);

    /* the lines: a price snapshot, in cart order */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM order_lines WHERE order_id = $1", order), 3);
    assert_int_equal(q2(f->db, "SELECT variant_id FROM order_lines WHERE order_id = $1 AND line_no = $2", order, 1), a);
    assert_int_equal(q2(f->db, "SELECT variant_id FROM order_lines WHERE order_id = $1 AND line_no = $2", order, 3), s);
    assert_int_equal(q2(f->db, "SELECT quantity * 10000 + unit_amount FROM order_lines WHERE order_id = $1 "
                               "AND line_no = $2", order, 1), 2 * 10000 + 1999);
    assert_int_equal(q2(f->db, "SELECT line_total FROM order_lines WHERE order_id = $1 AND line_no = $2", order, 1),
                     3998);
    assert_int_equal(q2(f->db, "SELECT product_id FROM order_lines WHERE order_id = $1 AND line_no = $2", order, 2),
                     pb);
    assert_int_equal(q2(f->db, "SELECT vendor_id FROM order_lines WHERE order_id = $1 AND line_no = $2", order, 2), vb);
    assert_int_equal(q2(f->db, "SELECT count(*) FROM order_lines WHERE order_id = $1 AND line_no = $2 "
                               "AND vendor_id IS NULL", order, 3), 1);
    assert_string_equal(qt(f, "SELECT sku || '/' || product_title FROM order_lines WHERE order_id = $1 AND line_no = 1",
                           order), "PLACE-A/PLACE-A");
    assert_int_equal(q1(f->db, "SELECT sum(fulfilled + returned) FROM order_lines WHERE order_id = $1", order), 0);
    /* a later price change does not touch the order */
    assert_int_equal(souk_catalog_price_set(f->db, a, "USD", 2500), SOUK_OK);
    assert_int_equal(q2(f->db, "SELECT unit_amount FROM order_lines WHERE order_id = $1 AND line_no = $2", order, 1),
                     1999);

    /* one sub-order per vendor, commission rounded half up */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1", order), 3);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1 AND state = 'pending_payment'",
                        order), 3);
    assert_int_equal(q2(f->db, "SELECT subtotal FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, va),
                     3998);
    assert_int_equal(q2(f->db, "SELECT commission_bp FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order,
                        va), 1250);
    assert_int_equal(q2(f->db, "SELECT commission FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, va),
                     500);
    assert_int_equal(q2(f->db, "SELECT subtotal FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, vb),
                     1000);
    assert_int_equal(q2(f->db, "SELECT commission FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, vb),
                     1);
    assert_int_equal(q1(f->db, "SELECT subtotal * 100 + commission_bp * 10 + commission FROM sub_orders "
                               "WHERE order_id = $1 AND vendor_id IS NULL", order), 500 * 100);
    /* each line belongs to its vendor's sub-order */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM order_lines l JOIN sub_orders s ON s.id = l.sub_order_id "
                               "WHERE l.order_id = $1 AND s.order_id = l.order_id "
                               "AND s.vendor_id IS NOT DISTINCT FROM l.vendor_id",
                        order), 3);

    /* the reservation holds the stock: available drops, on_hand stays */
    int64_t res = reservation_of(f, order);
    assert_true(res > 0);
    assert_string_equal(reservation_state(f, res), "active");
    assert_string_equal(qt(f, "SELECT reference FROM reservations WHERE id = $1", res), ref(order));
    souk_stock_level lv = level(f, a, wh);
    assert_int_equal(lv.on_hand, 10);
    assert_int_equal(lv.reserved, 2);
    assert_int_equal(lv.available, 8);
    assert_int_equal(available(f, a), 8);
    assert_int_equal(level(f, b, wh).reserved, 1);
    assert_int_equal(level(f, s, wh).reserved, 2);
    assert_int_equal(level(f, s, wh).on_hand, 7);
    /* payment is due when the reservation expires (default 15 minutes) */
    int64_t due = q1(f->db, "SELECT payment_due_at FROM orders WHERE id = $1", order);
    assert_int_equal(due, q1(f->db, "SELECT expires_at FROM reservations WHERE id = $1", res));
    int64_t now = souk_time_now_us();
    assert_true(due > now + SOUK_INVENTORY_TTL_DEFAULT_US - 60000000 && due <= now + SOUK_INVENTORY_TTL_DEFAULT_US);
    /* first history row; nothing paid, nothing announced yet */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM order_history WHERE order_id = $1", order), 1);
    assert_string_equal(qt(f, "SELECT coalesce(from_state, 'null') || '>' || to_state || ':' || actor "
                              "FROM order_history WHERE order_id = $1", order), "null>pending_payment:guest");
    assert_int_equal(events_of(f, "order.placed", order), 0);
    /* the cart is kept until payment */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM cart_lines WHERE cart_id = $1", c), 3);
}

static void test_place_empty_cart(void **state)
{
    fixture *f = *state;
    int64_t c = cart(f);
    int64_t order = -1;
    assert_int_equal(place(f, c, &order), SOUK_E_VALIDATION);
    assert_int_equal(f->pr.count, 1);
    expect_field(&f->pr, "cart");
    assert_int_equal(order, 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM orders"), 0);
    /* no cart at all */
    assert_int_equal(place(f, c + 12345, &order), SOUK_E_NOT_FOUND);
}

static void test_place_out_of_stock(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main");
    int64_t a = variant(f, "OOS-A", 500, 0, NULL), b = variant(f, "OOS-B", 700, 0, NULL);
    set_stock(f, a, wh, 2);
    set_stock(f, b, wh, 9);
    int64_t c = cart(f);
    add_line(f, c, a, 3); /* only 2 */
    add_line(f, c, b, 1);
    int64_t k = coupon(f, "TENOFF", 1000, 5);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_cart_coupon(f->db, c, "TENOFF", &f->a, &f->pr), SOUK_OK);

    int64_t order = -1;
    assert_int_equal(place(f, c, &order), SOUK_E_OUT_OF_STOCK);
    assert_int_equal(f->pr.count, 1);
    expect_field(&f->pr, "lines[0]");
    assert_string_equal(f->pr.items[0].message, "only 2 available, 3 requested");
    /* nothing reserved, nothing written */
    assert_int_equal(level(f, a, wh).reserved, 0);
    assert_int_equal(level(f, b, wh).reserved, 0);
    assert_int_equal(available(f, b), 9);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM orders"), 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM sub_orders"), 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM order_lines"), 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM order_history"), 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM reservations"), 0);
    assert_int_equal(q1(f->db, "SELECT used_count FROM coupons WHERE id = $1", k), 0);

    /* with the cart fixed it goes through, with the coupon's use counted */
    json_t *out = NULL;
    souk_problems_init(&f->pr);
    assert_int_equal(souk_cart_put_line(f->db, c, a, 2, true, &f->a, &f->pr, &out), SOUK_OK);
    json_decref(out);
    order = place_ok(f, c);
    assert_int_equal(q1(f->db, "SELECT discount FROM orders WHERE id = $1", order), 170); /* 10 % of 1700 */
    assert_int_equal(q1(f->db, "SELECT total FROM orders WHERE id = $1", order), 1530);
    assert_int_equal(q1(f->db, "SELECT coupon_id FROM orders WHERE id = $1", order), k);
    assert_string_equal(qt(f, "SELECT coupon_code FROM orders WHERE id = $1", order), "TENOFF");
    assert_int_equal(q1(f->db, "SELECT used_count FROM coupons WHERE id = $1", k), 1);
    assert_int_equal(level(f, a, wh).available, 0);
}

static void test_place_unbuyable_line(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main");
    int64_t a = variant(f, "UNB-A", 500, 0, NULL), b = variant(f, "UNB-B", 700, 0, NULL);
    set_stock(f, a, wh, 5);
    set_stock(f, b, wh, 5);
    int64_t c = cart(f);
    add_line(f, c, a, 1);
    add_line(f, c, b, 1);
    assert_int_equal(souk_catalog_price_set(f->db, b, "USD", -1), SOUK_OK); /* no price any more */
    assert_int_equal(place(f, c, NULL), SOUK_E_VALIDATION);
    assert_int_equal(f->pr.count, 1);
    expect_field(&f->pr, "lines[1]");
    assert_int_equal(level(f, a, wh).reserved, 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM orders"), 0);
}

/* ---- paying ----------------------------------------------------------------- */

static void test_pay(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main");
    int64_t va = vendor(f, "Acme", 1000);
    int64_t a = variant(f, "PAY-A", 1200, va, NULL), s = variant(f, "PAY-S", 300, 0, NULL);
    set_stock(f, a, wh, 10);
    set_stock(f, s, wh, 5);
    int64_t c = cart(f);
    add_line(f, c, a, 3);
    add_line(f, c, s, 1);
    int64_t order = place_ok(f, c);
    int64_t res = reservation_of(f, order);

    assert_int_equal(pay(f, order), SOUK_OK);
    souk_stock_level lv = level(f, a, wh);
    assert_int_equal(lv.on_hand, 7);
    assert_int_equal(lv.reserved, 0);
    assert_int_equal(lv.available, 7);
    lv = level(f, s, wh);
    assert_int_equal(lv.on_hand, 4);
    assert_int_equal(lv.reserved, 0);
    assert_string_equal(reservation_state(f, res), "consumed");
    assert_int_equal(reservation_of(f, order), res);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM stock_adjustments WHERE reason = 'sold' AND reservation_id = $1",
                        res), 2);
    /* the cart is emptied (the cart itself stays) */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM cart_lines WHERE cart_id = $1", c), 0);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM carts WHERE id = $1", c), 1);
    /* the order and its sub-orders are paid */
    assert_string_equal(order_state(f, order), "paid");
    assert_string_equal(payment_status(f, order), "succeeded");
    assert_string_equal(qt(f, "SELECT intent_status FROM orders WHERE id = $1", order), "succeeded");
    assert_int_equal(q1(f->db, "SELECT count(*) FROM orders WHERE id = $1 AND paid_at IS NOT NULL "
                               "AND paid_at >= created_at", order), 1);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1", order), 2);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1 AND state = 'paid'", order), 2);
    /* history, events, the confirmation e-mail */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM order_history WHERE order_id = $1", order), 2);
    assert_string_equal(qt(f, "SELECT from_state || '>' || to_state FROM order_history WHERE order_id = $1 "
                              "ORDER BY id DESC LIMIT 1", order), "pending_payment>paid");
    assert_int_equal(events_of(f, "order.placed", order), 1);
    assert_int_equal(events_of(f, "order.paid", order), 1);
    assert_int_equal(event_field(f, "order.placed", order, "total"), 3900);
    assert_int_equal(email_jobs(f, order, "confirmation"), 1);
    /* the batch writes it into the mail outbox once */
    assert_int_equal(run_tx_count(f, 1000), 1);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM mail_outbox WHERE subject LIKE '%confirmed'"), 1);
    assert_int_equal(run_tx_count(f, 1000), 0);

    /* paying twice: CONFLICT, nothing changes */
    assert_int_equal(pay(f, order), SOUK_E_CONFLICT);
    assert_int_equal(level(f, a, wh).on_hand, 7);
    assert_int_equal(events_of(f, "order.paid", order), 1);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM order_history WHERE order_id = $1", order), 2);
    /* the gateway saying so again (webhook after confirm) is fine and refunds nothing */
    op x = {.kind = OP_SUCCEEDED, .order = order};
    assert_int_equal(run_op(f, &x), SOUK_OK);
    assert_int_equal(x.refund_id, 0);
    assert_string_equal(order_state(f, order), "paid");
    assert_int_equal(q1(f->db, "SELECT count(*) FROM refunds WHERE order_id = $1", order), 0);
    /* an unknown order */
    assert_int_equal(pay(f, order + 1), SOUK_E_NOT_FOUND);
}

static void test_pay_after_lapse_resells(void **state)
{
    fixture *f = *state;
    one_line p = place_one(f, "LAPSE-A", 800, 5, 3);
    int64_t wh = p.wh, a = p.variant, order = p.order;
    int64_t res = reservation_of(f, order);
    assert_int_equal(level(f, a, wh).reserved, 3);

    /* the reservation lapses and the expiry job releases it */
    int64_t later = souk_time_now_us() + SOUK_INVENTORY_TTL_DEFAULT_US + 1000000;
    assert_int_equal(souk_inventory_expire_due(f->db, later, 100), 1);
    assert_string_equal(reservation_state(f, res), "expired");
    assert_int_equal(level(f, a, wh).reserved, 0);
    assert_string_equal(order_state(f, order), "pending_payment");

    /* the payment arrives: the stock is still there, so it is sold afresh */
    assert_int_equal(pay(f, order), SOUK_OK);
    assert_string_equal(order_state(f, order), "paid");
    souk_stock_level lv = level(f, a, wh);
    assert_int_equal(lv.on_hand, 2);
    assert_int_equal(lv.reserved, 0);
    int64_t res2 = reservation_of(f, order);
    assert_true(res2 != res);
    assert_string_equal(reservation_state(f, res2), "consumed");
    assert_string_equal(reservation_state(f, res), "expired");
    assert_int_equal(q1(f->db, "SELECT -sum(delta) FROM stock_adjustments WHERE reason = 'sold' "
                               "AND reservation_id = $1", res2), 3);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM stock_adjustments WHERE reservation_id = $1", res), 0);
    assert_int_equal(events_of(f, "order.paid", order), 1);

    /* cancelled after all: the stock goes back through the new reservation */
    op x = {.kind = OP_CANCEL_PAID, .order = order};
    assert_int_equal(run_op(f, &x), SOUK_OK);
    assert_int_equal(level(f, a, wh).on_hand, 5);
    assert_int_equal(q1(f->db, "SELECT delta FROM stock_adjustments WHERE reason = 'order cancelled' "
                               "AND reservation_id = $1", res2), 3);
}

static void test_pay_after_lapse_sold_out(void **state)
{
    fixture *f = *state;
    one_line p = place_one(f, "GONE-A", 800, 3, 3);
    int64_t wh = p.wh, a = p.variant, first = p.order;
    int64_t total = q1(f->db, "SELECT total FROM orders WHERE id = $1", first);
    assert_int_equal(total, 2400);
    int64_t later = souk_time_now_us() + SOUK_INVENTORY_TTL_DEFAULT_US + 1000000;
    assert_int_equal(souk_inventory_expire_due(f->db, later, 100), 1);

    /* meanwhile someone else buys 2 of the 3 */
    int64_t c2 = cart(f);
    add_line(f, c2, a, 2);
    int64_t second = place_ok(f, c2);
    assert_int_equal(pay(f, second), SOUK_OK);
    assert_int_equal(level(f, a, wh).on_hand, 1);

    /* the first order's payment: its stock is gone */
    assert_int_equal(pay(f, first), SOUK_E_OUT_OF_STOCK);
    assert_string_equal(order_state(f, first), "pending_payment");
    assert_string_equal(payment_status(f, first), "pending");
    souk_stock_level lv = level(f, a, wh);
    assert_int_equal(lv.on_hand, 1);
    assert_int_equal(lv.reserved, 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM reservations WHERE state = 'active'"), 0);
    assert_int_equal(events_of(f, "order.paid", first), 0);

    /* as the webhook handles it: cancel, and give the money back in full */
    op x = {.kind = OP_SUCCEEDED, .order = first};
    assert_int_equal(run_op(f, &x), SOUK_OK);
    expect_cancelled_and_refunded(f, first, total, x.refund_id);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1 AND state = 'cancelled'", first),
                     1);
    assert_string_equal(qt(f, "SELECT from_state || '>' || to_state || ':' || note FROM order_history "
                              "WHERE order_id = $1 AND to_state = 'cancelled'", first),
                        "pending_payment>cancelled:paid after its stock was sold");
    /* stock untouched by all this */
    assert_int_equal(level(f, a, wh).on_hand, 1);
    /* said again: nothing more is refunded */
    assert_int_equal(run_op(f, &x), SOUK_OK);
    assert_int_equal(x.refund_id, 0);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM refunds WHERE order_id = $1", first), 1);
}

static void test_payment_for_abandoned_order(void **state)
{
    fixture *f = *state;
    one_line p = place_one(f, "ABAN-A", 450, 4, 2);
    int64_t wh = p.wh, a = p.variant, order = p.order;
    op cancel = {.kind = OP_CANCEL_PENDING, .order = order};
    assert_int_equal(run_op(f, &cancel), SOUK_OK);
    /* the money arrives anyway: refunded in full, the order stays cancelled */
    op x = {.kind = OP_SUCCEEDED, .order = order};
    assert_int_equal(run_op(f, &x), SOUK_OK);
    assert_true(x.refund_id > 0);
    assert_string_equal(order_state(f, order), "cancelled");
    assert_string_equal(payment_status(f, order), "refunded");
    assert_int_equal(q1(f->db, "SELECT amount FROM refunds WHERE id = $1", x.refund_id), 900);
    assert_int_equal(level(f, a, wh).on_hand, 4);
    assert_int_equal(level(f, a, wh).reserved, 0);
}

/* ---- cancelling ------------------------------------------------------------- */

static void test_cancel_pending(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main");
    int64_t a = variant(f, "CXP-A", 1000, 0, NULL);
    set_stock(f, a, wh, 6);
    int64_t k = coupon(f, "ONCE", 2000, 1);
    int64_t c = cart(f);
    add_line(f, c, a, 2);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_cart_coupon(f->db, c, "once", &f->a, &f->pr), SOUK_OK);
    int64_t order = place_ok(f, c);
    assert_int_equal(q1(f->db, "SELECT total FROM orders WHERE id = $1", order), 1600);
    assert_int_equal(q1(f->db, "SELECT coupon_id FROM orders WHERE id = $1", order), k);
    assert_int_equal(q1(f->db, "SELECT used_count FROM coupons WHERE id = $1", k), 1);
    assert_int_equal(level(f, a, wh).reserved, 2);
    int64_t res = reservation_of(f, order);

    op x = {.kind = OP_CANCEL_PENDING, .order = order, .status = "declined", .decline = "card_declined"};
    assert_int_equal(run_op(f, &x), SOUK_OK);
    assert_string_equal(order_state(f, order), "cancelled");
    assert_string_equal(payment_status(f, order), "declined");
    assert_string_equal(qt(f, "SELECT decline_code FROM orders WHERE id = $1", order), "card_declined");
    /* stock released, coupon use given back, the cart kept */
    souk_stock_level lv = level(f, a, wh);
    assert_int_equal(lv.on_hand, 6);
    assert_int_equal(lv.reserved, 0);
    assert_string_equal(reservation_state(f, res), "released");
    assert_int_equal(q1(f->db, "SELECT used_count FROM coupons WHERE id = $1", k), 0);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM cart_lines WHERE cart_id = $1", c), 1);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1 AND state = 'cancelled'", order),
                     1);
    assert_string_equal(qt(f, "SELECT from_state || '>' || to_state || ':' || actor FROM order_history "
                              "WHERE order_id = $1 ORDER BY id DESC LIMIT 1", order),
                        "pending_payment>cancelled:system");
    assert_int_equal(events_of(f, "order.cancelled", order), 1);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM refunds WHERE order_id = $1", order), 0);

    /* not pending any more: CONFLICT, the coupon is not given back twice */
    assert_int_equal(run_op(f, &x), SOUK_E_CONFLICT);
    assert_int_equal(q1(f->db, "SELECT used_count FROM coupons WHERE id = $1", k), 0);
    assert_int_equal(pay(f, order), SOUK_E_CONFLICT);
    assert_int_equal(level(f, a, wh).on_hand, 6);

    /* the coupon (limit 1) is usable again */
    int64_t again = place_ok(f, c);
    assert_int_equal(q1(f->db, "SELECT coupon_id FROM orders WHERE id = $1", again), k);
    assert_int_equal(q1(f->db, "SELECT used_count FROM coupons WHERE id = $1", k), 1);
}

static void test_cancel_paid(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main");
    int64_t a = variant(f, "CXD-A", 700, 0, NULL), b = variant(f, "CXD-B", 150, 0, NULL);
    set_stock(f, a, wh, 10);
    set_stock(f, b, wh, 3);
    int64_t k = coupon(f, "SOME", 1000, 10);
    int64_t c = cart(f);
    add_line(f, c, a, 3);
    add_line(f, c, b, 2);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_cart_coupon(f->db, c, "SOME", &f->a, &f->pr), SOUK_OK);
    int64_t order = place_ok(f, c);
    int64_t total = q1(f->db, "SELECT total FROM orders WHERE id = $1", order);
    assert_int_equal(total, 2160); /* 2400 − 10 % */
    int64_t res = reservation_of(f, order);
    assert_int_equal(pay(f, order), SOUK_OK);
    assert_int_equal(level(f, a, wh).on_hand, 7);
    assert_int_equal(level(f, b, wh).on_hand, 1);
    assert_int_equal(q1(f->db, "SELECT used_count FROM coupons WHERE id = $1", k), 1);
    exec(f->db, "UPDATE orders SET intent_id = $2 WHERE id = $1",
         SOUK_ARGS(SOUK_I64(order), SOUK_TEXT("pi_test_cxd1")));

    op x = {.kind = OP_CANCEL_PAID, .order = order};
    assert_int_equal(run_op(f, &x), SOUK_OK);
    assert_true(x.refund_id > 0);
    /* the stock is back on hand, nothing reserved */
    souk_stock_level lv = level(f, a, wh);
    assert_int_equal(lv.on_hand, 10);
    assert_int_equal(lv.reserved, 0);
    assert_int_equal(available(f, a), 10);
    assert_int_equal(level(f, b, wh).on_hand, 3);
    assert_int_equal(q2(f->db, "SELECT delta FROM stock_adjustments WHERE reservation_id = $1 AND variant_id = $2 "
                               "AND reason = 'order cancelled'", res, a), 3);
    assert_string_equal(qt(f, "SELECT actor FROM stock_adjustments WHERE reason = 'order cancelled' "
                              "AND variant_id = $1", b), "usr_test");
    /* cancelled, the total refunded, the coupon use given back */
    expect_cancelled_and_refunded(f, order, total, x.refund_id);
    assert_int_equal(q1(f->db, "SELECT used_count FROM coupons WHERE id = $1", k), 0);
    assert_string_equal(qt(f, "SELECT from_state || '>' || to_state || ':' || note FROM order_history "
                              "WHERE order_id = $1 ORDER BY id DESC LIMIT 1", order),
                        "paid>cancelled:changed my mind");
    assert_int_equal(q1(f->db, "SELECT count(*) FROM order_history WHERE order_id = $1", order), 3);
    assert_int_equal(email_jobs(f, order, "cancelled"), 1);
    char rref[SOUK_ID_TEXT_MAX], kind[SOUK_ID_TEXT_MAX + 16];
    souk_id_format(SOUK_PREFIX_REFUND, x.refund_id, rref);
    snprintf(kind, sizeof kind, "refunded:%s", rref);
    assert_int_equal(email_jobs(f, order, kind), 1);

    /* sent to the test gateway after the commit */
    char err[256] = "";
    assert_int_equal(souk__refund_execute(f->db, x.refund_id, err, sizeof err), 0);
    assert_string_equal(qt(f, "SELECT state FROM refunds WHERE id = $1", x.refund_id), "succeeded");
    const char *gid = qt(f, "SELECT gateway_refund_id FROM refunds WHERE id = $1", x.refund_id);
    assert_int_equal(strncmp(gid, "re_test_", 8), 0);
    assert_int_equal(strlen(gid), 8 + 16);
    /* again: nothing to do, the same gateway id */
    assert_int_equal(souk__refund_execute(f->db, x.refund_id, err, sizeof err), 0);
    assert_string_equal(qt(f, "SELECT gateway_refund_id FROM refunds WHERE id = $1", x.refund_id), gid);
    assert_int_equal(souk__refund_execute(f->db, x.refund_id + 1, err, sizeof err), -1);

    /* not paid any more: INVALID_STATE, nothing restocked twice */
    assert_int_equal(run_op(f, &x), SOUK_E_INVALID_STATE);
    assert_int_equal(level(f, a, wh).on_hand, 10);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM refunds WHERE order_id = $1", order), 1);
}

static void test_refund_gateway_failure(void **state)
{
    fixture *f = *state;
    int64_t order = place_one(f, "RGF-A", 100, 1, 1).order;
    assert_int_equal(pay(f, order), SOUK_OK);
    /* an intent the test gateway does not know: the refund stays pending */
    exec(f->db, "UPDATE orders SET intent_id = $2 WHERE id = $1", SOUK_ARGS(SOUK_I64(order), SOUK_TEXT("pi_other_7")));
    int64_t rid = 0;
    assert_int_equal(refund(f, order, 100, &rid), SOUK_OK);
    char err[256] = "";
    assert_int_equal(souk__refund_execute(f->db, rid, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    assert_string_equal(qt(f, "SELECT state FROM refunds WHERE id = $1", rid), "pending");
    /* paid through another provider than the one configured: never sent to the wrong one */
    exec(f->db, "UPDATE orders SET gateway = 'stripe', intent_id = $2 WHERE id = $1",
         SOUK_ARGS(SOUK_I64(order), SOUK_TEXT("pi_test_7")));
    err[0] = '\0';
    assert_int_equal(souk__refund_execute(f->db, rid, err, sizeof err), -1);
    assert_non_null(strstr(err, "paid through the stripe gateway"));
    assert_string_equal(qt(f, "SELECT state FROM refunds WHERE id = $1", rid), "pending");
}

/* ---- refunds ---------------------------------------------------------------- */

static void test_refunds(void **state)
{
    fixture *f = *state;
    one_line p = place_one(f, "RF-A", 1250, 5, 2);
    int64_t wh = p.wh, a = p.variant, order = p.order;
    assert_int_equal(pay(f, order), SOUK_OK);
    assert_int_equal(q1(f->db, "SELECT total FROM orders WHERE id = $1", order), 2500);

    /* more than the total, and nothing */
    int64_t rid = -1;
    assert_int_equal(refund(f, order, 2501, &rid), SOUK_E_VALIDATION);
    assert_int_equal(refund(f, order, 0, &rid), SOUK_E_VALIDATION);
    assert_int_equal(refund(f, order, -5, &rid), SOUK_E_VALIDATION);
    assert_int_equal(q1(f->db, "SELECT refunded FROM orders WHERE id = $1", order), 0);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM refunds WHERE order_id = $1", order), 0);
    assert_string_equal(payment_status(f, order), "succeeded");

    /* a part */
    int64_t r1 = 0;
    assert_int_equal(refund(f, order, 1000, &r1), SOUK_OK);
    assert_true(r1 > 0);
    assert_int_equal(q1(f->db, "SELECT refunded FROM orders WHERE id = $1", order), 1000);
    assert_string_equal(payment_status(f, order), "partially_refunded");
    assert_string_equal(order_state(f, order), "paid");
    assert_int_equal(q1(f->db, "SELECT amount FROM refunds WHERE id = $1", r1), 1000);
    assert_string_equal(qt(f, "SELECT reason || ':' || actor || ':' || state FROM refunds WHERE id = $1", r1),
                        "goodwill:usr_admin:pending");
    assert_int_equal(q1(f->db, "SELECT count(*) FROM order_history WHERE order_id = $1", order), 2);
    assert_int_equal(event_field(f, "order.refunded", order, "amount"), 1000);

    /* beyond what is left (1500) */
    assert_int_equal(refund(f, order, 1501, &rid), SOUK_E_VALIDATION);
    assert_int_equal(q1(f->db, "SELECT refunded FROM orders WHERE id = $1", order), 1000);

    /* the rest: the order is refunded */
    int64_t r2 = 0;
    assert_int_equal(refund(f, order, 1500, &r2), SOUK_OK);
    assert_true(r2 > 0 && r2 != r1);
    assert_int_equal(q1(f->db, "SELECT refunded FROM orders WHERE id = $1", order), 2500);
    assert_string_equal(payment_status(f, order), "refunded");
    assert_string_equal(order_state(f, order), "refunded");
    assert_int_equal(q1(f->db, "SELECT sum(amount) FROM refunds WHERE order_id = $1", order), 2500);
    assert_string_equal(qt(f, "SELECT from_state || '>' || to_state FROM order_history WHERE order_id = $1 "
                              "ORDER BY id DESC LIMIT 1", order), "paid>refunded");
    assert_int_equal(events_of(f, "order.refunded", order), 2);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM jobs WHERE kind = 'orders.refund'"), 2);

    /* nothing is left */
    assert_int_equal(refund(f, order, 1, &rid), SOUK_E_VALIDATION);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM refunds WHERE order_id = $1", order), 2);
    /* and a refunded order cannot be cancelled */
    op x = {.kind = OP_CANCEL_PAID, .order = order};
    assert_int_equal(run_op(f, &x), SOUK_E_INVALID_STATE);
    /* all the money back before anything was fulfilled: the 2 units are back in stock */
    assert_int_equal(level(f, a, wh).on_hand, 5);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1", order), 1);
    assert_string_equal(qt(f, "SELECT state FROM sub_orders WHERE order_id = $1", order), "cancelled");
}

/* ---- derived states --------------------------------------------------------- */

static void test_derive(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main");
    int64_t va = vendor(f, "Acme", 0), vb = vendor(f, "Bolt", 0);
    int64_t a = variant(f, "DRV-A", 100, va, NULL), b = variant(f, "DRV-B", 200, vb, NULL);
    set_stock(f, a, wh, 5);
    set_stock(f, b, wh, 5);
    int64_t c = cart(f);
    add_line(f, c, a, 2);
    add_line(f, c, b, 1);
    int64_t order = place_ok(f, c);
    int64_t sa = q2(f->db, "SELECT id FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, va);
    int64_t sb = q2(f->db, "SELECT id FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, vb);

    /* nothing is derived while payment is pending */
    assert_int_equal(derive(f, order), SOUK_OK);
    assert_string_equal(order_state(f, order), "pending_payment");
    assert_int_equal(pay(f, order), SOUK_OK);
    int64_t hist = q1(f->db, "SELECT count(*) FROM order_history WHERE order_id = $1", order);
    /* unchanged: no history */
    assert_int_equal(derive(f, order), SOUK_OK);
    assert_string_equal(order_state(f, order), "paid");
    assert_int_equal(q1(f->db, "SELECT count(*) FROM order_history WHERE order_id = $1", order), hist);

    /* 1 of line 1's 2 fulfilled */
    exec2(f->db, "UPDATE order_lines SET fulfilled = 1 WHERE order_id = $1 AND line_no = $2", order, 1);
    assert_int_equal(derive(f, order), SOUK_OK);
    assert_string_equal(order_state(f, order), "partially_fulfilled");
    assert_string_equal(qt(f, "SELECT state FROM sub_orders WHERE id = $1", sa), "partially_fulfilled");
    assert_string_equal(qt(f, "SELECT state FROM sub_orders WHERE id = $1", sb), "paid");
    assert_int_equal(events_of(f, "order.partially_fulfilled", order), 1);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM order_history WHERE order_id = $1", order), hist + 2);

    /* vendor A's lines done: still partial (B has nothing fulfilled) */
    exec2(f->db, "UPDATE order_lines SET fulfilled = quantity WHERE order_id = $1 AND vendor_id = $2", order, va);
    assert_int_equal(derive(f, order), SOUK_OK);
    assert_string_equal(order_state(f, order), "partially_fulfilled");
    assert_string_equal(qt(f, "SELECT state FROM sub_orders WHERE id = $1", sa), "fulfilled");
    assert_string_equal(qt(f, "SELECT state FROM sub_orders WHERE id = $1", sb), "paid");

    /* every line */
    exec(f->db, "UPDATE order_lines SET fulfilled = quantity WHERE order_id = $1", SOUK_ARGS(SOUK_I64(order)));
    assert_int_equal(derive(f, order), SOUK_OK);
    assert_string_equal(order_state(f, order), "fulfilled");
    assert_string_equal(qt(f, "SELECT state FROM sub_orders WHERE id = $1", sb), "fulfilled");
    assert_int_equal(events_of(f, "order.fulfilled", order), 1);

    /* one sub-order shipped: the order is not yet */
    exec2(f->db, "UPDATE sub_orders SET state = 'shipped', updated_at = $2 WHERE id = $1", sa, 1);
    assert_int_equal(derive(f, order), SOUK_OK);
    assert_string_equal(order_state(f, order), "fulfilled");
    assert_string_equal(qt(f, "SELECT state FROM sub_orders WHERE id = $1", sa), "shipped");
    assert_int_equal(email_jobs(f, order, "shipped"), 0);

    /* both: shipped, with its e-mail */
    exec2(f->db, "UPDATE sub_orders SET state = 'shipped', updated_at = $2 WHERE id = $1", sb, 1);
    assert_int_equal(derive(f, order), SOUK_OK);
    assert_string_equal(order_state(f, order), "shipped");
    assert_int_equal(events_of(f, "order.shipped", order), 1);
    assert_int_equal(email_jobs(f, order, "shipped"), 1);
    assert_string_equal(qt(f, "SELECT from_state || '>' || to_state || ':' || actor FROM order_history "
                              "WHERE order_id = $1 ORDER BY id DESC LIMIT 1", order),
                        "fulfilled>shipped:usr_vendor");

    /* delivered when both are */
    exec2(f->db, "UPDATE sub_orders SET state = 'delivered', updated_at = $2 WHERE id = $1", sa, 1);
    assert_int_equal(derive(f, order), SOUK_OK);
    assert_string_equal(order_state(f, order), "shipped");
    exec2(f->db, "UPDATE sub_orders SET state = 'delivered', updated_at = $2 WHERE id = $1", sb, 1);
    assert_int_equal(derive(f, order), SOUK_OK);
    assert_string_equal(order_state(f, order), "delivered");
    assert_int_equal(events_of(f, "order.delivered", order), 1);
    assert_int_equal(email_jobs(f, order, "delivered"), 1);
    assert_int_equal(derive(f, order), SOUK_OK);
    assert_int_equal(events_of(f, "order.delivered", order), 1);
}

/* ---- the maintenance job's parts ------------------------------------------ */

static void test_abandon_due(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main");
    int64_t a = variant(f, "ABD-A", 100, 0, NULL);
    set_stock(f, a, wh, 10);
    int64_t c1 = cart(f), c2 = cart(f), c3 = cart(f);
    add_line(f, c1, a, 1);
    add_line(f, c2, a, 2);
    add_line(f, c3, a, 3);
    int64_t due = place_ok(f, c1), waiting = place_ok(f, c2), paid = place_ok(f, c3);
    assert_int_equal(pay(f, paid), SOUK_OK);
    int64_t now = souk_time_now_us();
    /* DUE's payment time has passed; PAID's too, but it is paid */
    exec2(f->db, "UPDATE orders SET payment_due_at = $2 WHERE id = $1", due, now - 1000);
    exec2(f->db, "UPDATE orders SET payment_due_at = $2 WHERE id = $1", paid, now - 1000);
    assert_int_equal(level(f, a, wh).reserved, 3);

    assert_int_equal(souk_orders_abandon_due(f->db, now, 100), 1);
    assert_string_equal(order_state(f, due), "cancelled");
    assert_string_equal(order_state(f, waiting), "pending_payment");
    assert_string_equal(order_state(f, paid), "paid");
    assert_string_equal(reservation_state(f, reservation_of(f, due)), "released");
    souk_stock_level lv = level(f, a, wh);
    assert_int_equal(lv.reserved, 2);
    assert_int_equal(lv.on_hand, 7);
    assert_string_equal(qt(f, "SELECT note || ':' || actor FROM order_history WHERE order_id = $1 "
                              "AND to_state = 'cancelled'", due), "payment not completed in time:system");
    /* nothing more is due now */
    assert_int_equal(souk_orders_abandon_due(f->db, now, 100), 0);
    /* after the reservation's lifetime the other one is due too (its
     * reservation may have been expired first: releasing is a no-op) */
    int64_t later = now + SOUK_INVENTORY_TTL_DEFAULT_US + 1000000;
    assert_int_equal(souk_inventory_expire_due(f->db, later, 100), 1);
    assert_int_equal(souk_orders_abandon_due(f->db, later, 100), 1);
    assert_string_equal(order_state(f, waiting), "cancelled");
    assert_string_equal(order_state(f, paid), "paid");
    assert_int_equal(level(f, a, wh).reserved, 0);
    assert_int_equal(level(f, a, wh).on_hand, 7);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM refunds"), 0);
}

static void insert_key(fixture *f, const char *key, int64_t created_at)
{
    exec(f->db, "INSERT INTO idempotency_keys (scope, key, request_hash, lease_until, created_at) "
                "VALUES ('usr_x', $1, 'h', $2, $2)",
         SOUK_ARGS(SOUK_TEXT(key), SOUK_I64(created_at)));
}

static void test_forget_keys(void **state)
{
    fixture *f = *state;
    int64_t now = souk_time_now_us(), hour = INT64_C(3600) * 1000000;
    insert_key(f, "old-1", now - 25 * hour);
    insert_key(f, "old-2", now - 48 * hour);
    insert_key(f, "old-3", now - 24 * hour - 1);
    insert_key(f, "young-1", now - 23 * hour);
    insert_key(f, "young-2", now - 24 * hour + 1000000);
    insert_key(f, "new", now);
    /* MAX bounds one run */
    assert_int_equal(souk_orders_forget_keys(f->db, now, 2), 2);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM idempotency_keys"), 4);
    assert_int_equal(souk_orders_forget_keys(f->db, now, 100), 1);
    assert_int_equal(souk_orders_forget_keys(f->db, now, 100), 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM idempotency_keys"), 3);
    assert_int_equal(qs(f->db, "SELECT count(*) FROM idempotency_keys WHERE key LIKE $1", "old-%"), 0);
    assert_int_equal(qs(f->db, "SELECT count(*) FROM idempotency_keys WHERE key IN ('young-1', 'young-2', $1)",
                        "new"), 3);
}

/* ---- souk_inventory_restock_tx --------------------------------------------- */

typedef struct reserve_call {
    souk_reservation_line line;
    int64_t id;
    souk_arena *a;
    souk_problems *pr;
} reserve_call;

static souk_err reserve_body(souk_store *db, void *arg)
{
    reserve_call *c = arg;
    return souk_inventory_reserve_tx(db, "restock-test", &c->line, 1, 0, &c->id, c->a, c->pr);
}

static souk_err consume_body(souk_store *db, void *arg)
{
    return souk_inventory_consume_tx(db, *(int64_t *)arg);
}

static void test_restock(void **state)
{
    fixture *f = *state;
    int64_t w1 = warehouse(f, "w1"), w2 = warehouse(f, "w2");
    int64_t a = variant(f, "RST-A", 100, 0, NULL), b = variant(f, "RST-B", 100, 0, NULL);
    assert_true(w1 < w2);
    set_stock(f, a, w1, 1);
    set_stock(f, a, w2, 5); /* the most available: the sale takes from here */
    set_stock(f, b, w1, 2);
    reserve_call rc = {{a, 3}, 0, &f->a, &f->pr};
    souk_problems_init(&f->pr);
    assert_int_equal(souk_store_run(f->db, reserve_body, &rc, &f->pr), SOUK_OK);
    assert_int_equal(level(f, a, w2).reserved, 3);

    /* an active (unconsumed) reservation cannot be restocked */
    op x = {.kind = OP_RESTOCK, .reservation = rc.id, .variant = a, .amount = 1};
    assert_int_equal(run_op(f, &x), SOUK_E_NOT_FOUND);
    assert_int_equal(level(f, a, w2).on_hand, 5);

    assert_int_equal(souk_store_run(f->db, consume_body, &rc.id, NULL), SOUK_OK);
    assert_int_equal(level(f, a, w2).on_hand, 2);
    int64_t before = q1(f->db, "SELECT count(*) FROM stock_adjustments WHERE variant_id = $1", a);

    /* bad quantities, a variant not in the sale, an unknown reservation */
    x.amount = 0;
    assert_int_equal(run_op(f, &x), SOUK_E_VALIDATION);
    x.amount = SOUK_INVENTORY_QTY_MAX + 1;
    assert_int_equal(run_op(f, &x), SOUK_E_VALIDATION);
    x.amount = 1;
    x.variant = b;
    assert_int_equal(run_op(f, &x), SOUK_E_NOT_FOUND);
    x.variant = a;
    x.reservation = rc.id + 1;
    assert_int_equal(run_op(f, &x), SOUK_E_NOT_FOUND);
    x.reservation = rc.id;
    assert_int_equal(q1(f->db, "SELECT count(*) FROM stock_adjustments WHERE variant_id = $1", a), before);

    /* 2 back: into w2, where the sale came from (not w1, the lower id) */
    x.amount = 2;
    assert_int_equal(run_op(f, &x), SOUK_OK);
    souk_stock_level lv = level(f, a, w2);
    assert_int_equal(lv.on_hand, 4);
    assert_int_equal(lv.reserved, 0);
    assert_int_equal(level(f, a, w1).on_hand, 1);
    assert_int_equal(level(f, b, w1).on_hand, 2);
    assert_int_equal(available(f, a), 5);
    /* the history row */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM stock_adjustments WHERE variant_id = $1", a), before + 1);
    int64_t adj = q1(f->db, "SELECT max(id) FROM stock_adjustments WHERE variant_id = $1", a);
    assert_int_equal(q1(f->db, "SELECT delta FROM stock_adjustments WHERE id = $1", adj), 2);
    assert_int_equal(q1(f->db, "SELECT on_hand_after FROM stock_adjustments WHERE id = $1", adj), 4);
    assert_int_equal(q1(f->db, "SELECT warehouse_id FROM stock_adjustments WHERE id = $1", adj), w2);
    assert_int_equal(q1(f->db, "SELECT reservation_id FROM stock_adjustments WHERE id = $1", adj), rc.id);
    assert_string_equal(qt(f, "SELECT reason || ':' || actor FROM stock_adjustments WHERE id = $1", adj),
                        "returned:usr_admin");
    /* the reservation stays consumed */
    assert_string_equal(reservation_state(f, rc.id), "consumed");
}

/* a sale split over two warehouses goes back into the lower warehouse id */
static void test_restock_split(void **state)
{
    fixture *f = *state;
    int64_t w1 = warehouse(f, "w1"), w2 = warehouse(f, "w2");
    int64_t a = variant(f, "RSS-A", 100, 0, NULL);
    set_stock(f, a, w1, 2);
    set_stock(f, a, w2, 3);
    reserve_call rc = {{a, 5}, 0, &f->a, &f->pr};
    souk_problems_init(&f->pr);
    assert_int_equal(souk_store_run(f->db, reserve_body, &rc, &f->pr), SOUK_OK);
    assert_int_equal(souk_store_run(f->db, consume_body, &rc.id, NULL), SOUK_OK);
    assert_int_equal(level(f, a, w1).on_hand + level(f, a, w2).on_hand, 0);
    op x = {.kind = OP_RESTOCK, .reservation = rc.id, .variant = a, .amount = 4};
    assert_int_equal(run_op(f, &x), SOUK_OK);
    assert_int_equal(level(f, a, w1).on_hand, 4);
    assert_int_equal(level(f, a, w2).on_hand, 0);
    assert_int_equal(available(f, a), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_empty_cart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_out_of_stock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_unbuyable_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pay_after_lapse_resells, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pay_after_lapse_sold_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payment_for_abandoned_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_paid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refund_gateway_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refunds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_derive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abandon_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restock_split, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
