/*
 * Unit tests for money going back (src/orders/refund.c, the cancelling half
 * of lifecycle.c) below the HTTP layer, with real parts (see
 * orders_fixture.h): cancelling before and after payment, a payment for a
 * cancelled order, refunds and their gateway calls, and
 * souk_inventory_restock_tx, which puts refunded goods back.
 */
#include "orders_fixture.h"

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

/* ---- payments that do not match their order (payment_check.c) -------------- */

typedef struct reported {
    int64_t order;
    souk__payment_report p;
    int64_t refund_id;
    bool mismatch;
} reported;

static souk_err reported_body(souk_store *db, void *arg)
{
    reported *x = arg;
    souk__order o;
    souk_err e = souk__order_load(db, x->order, &o);
    return e ? e : souk__payment_succeeded_tx(db, &o, &x->p, "gateway", &x->refund_id, &x->mismatch);
}

static reported report(fixture *f, int64_t order, const char *intent, int64_t amount, int64_t received,
                       const char *currency)
{
    reported x = {order, {intent, amount, received, currency, "webhook", "req_test"}, 0, false};
    assert_int_equal(souk_store_run(f->db, reported_body, &x, NULL), SOUK_OK);
    return x;
}

static void test_payment_mismatch(void **state)
{
    fixture *f = *state;
    one_line p = place_one(f, "PMM-A", 1250, 5, 2);
    int64_t order = p.order, wh = p.wh, a = p.variant;
    souk__order o;
    assert_int_equal(souk__order_load(f->db, order, &o), SOUK_OK);
    assert_int_equal(o.total, 2500);

    /* the rule: the amount, what was taken (when said) and the currency are the order's */
    souk__payment_report ok = {"pi_x", 2500, 2500, "usd", "webhook", NULL};
    assert_null(souk__payment_mismatch(&o, &ok, true));
    souk__payment_report unsaid = {"pi_x", 2500, -1, "USD", "webhook", NULL};
    assert_null(souk__payment_mismatch(&o, &unsaid, true));
    souk__payment_report cases[] = {{"pi_x", 2499, 2499, "usd", "webhook", NULL},
                                    {"pi_x", -1, -1, "usd", "webhook", NULL},
                                    {"pi_x", 2500, 10, "usd", "webhook", NULL},
                                    {"pi_x", 2500, 2500, "eur", "webhook", NULL},
                                    {"pi_x", 2500, 2500, NULL, "webhook", NULL}};
    const char *why[] = {"amount_mismatch", "amount_mismatch", "amount_mismatch", "currency_mismatch",
                         "currency_mismatch"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(souk__payment_mismatch(&o, &cases[i], true), why[i]);
    assert_null(souk__payment_mismatch(&o, &cases[2], false)); /* nothing taken yet: what was taken is 0 */

    /* 2400 taken: the order stays unpaid, flagged, audited; the 2400 go back to that intent */
    reported x = report(f, order, "pi_test_wrong", 2400, 2400, "usd");
    assert_true(x.mismatch);
    assert_true(x.refund_id > 0);
    assert_string_equal(order_state(f, order), "pending_payment");
    assert_string_equal(payment_status(f, order), "pending");
    assert_int_equal(level(f, a, wh).reserved, 2);
    assert_string_equal(qt(f,
                           "SELECT review_reason || ' ' || review_source || ' ' || review_intent_id || ' ' || "
                           "review_currency FROM orders WHERE id = $1",
                           order),
                        "amount_mismatch webhook pi_test_wrong USD");
    assert_int_equal(q1(f->db, "SELECT review_amount FROM orders WHERE id = $1", order), 2400);
    assert_int_equal(q1(f->db, "SELECT review_refund_id FROM orders WHERE id = $1", order), x.refund_id);
    assert_int_equal(q1(f->db, "SELECT refunded FROM orders WHERE id = $1", order), 0);
    assert_int_equal(q1(f->db, "SELECT amount FROM refunds WHERE id = $1", x.refund_id), 2400);
    assert_string_equal(
        qt(f, "SELECT intent_id || ' ' || currency || ' ' || state FROM refunds WHERE id = $1", x.refund_id),
        "pi_test_wrong USD pending");
    assert_int_equal(refund_jobs(f, x.refund_id, "queued"), 1);
    assert_int_equal(qs(f->db,
                        "SELECT count(*) FROM audit_log WHERE action = 'order.payment_mismatch' "
                        "AND object_type = 'order' AND object_id = $1 AND actor_type = 'system' "
                        "AND request_id = 'req_test' AND details LIKE '%\"reported_amount\":2400%'",
                        ref(order)),
                     1);
    /* sent to that intent, not to the order's (it has none) */
    char err[256] = "";
    assert_int_equal(souk__refund_execute(f->db, x.refund_id, err, sizeof err), 0);
    assert_string_equal(qt(f, "SELECT state FROM refunds WHERE id = $1", x.refund_id), "succeeded");

    /* the same intent again: flagged and audited again, refunded once */
    reported again = report(f, order, "pi_test_wrong", 2400, 2400, "usd");
    assert_true(again.mismatch);
    assert_int_equal(again.refund_id, 0);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM refunds WHERE order_id = $1", order), 1);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM audit_log WHERE action = 'order.payment_mismatch'"), 2);
    /* nothing said about the amount: flagged, nothing to refund */
    reported unknown = report(f, order, "pi_test_unsaid", -1, -1, "usd");
    assert_true(unknown.mismatch);
    assert_int_equal(unknown.refund_id, 0);
    assert_int_equal(q1(f->db, "SELECT review_amount IS NULL FROM orders WHERE id = $1", order), 1);
    /* another currency */
    reported eur = report(f, order, "pi_test_eur", 2500, 2500, "eur");
    assert_true(eur.mismatch);
    assert_string_equal(qt(f, "SELECT review_reason FROM orders WHERE id = $1", order), "currency_mismatch");
    assert_string_equal(qt(f, "SELECT currency FROM refunds WHERE id = $1", eur.refund_id), "EUR");

    /* the right payment still pays it, whatever came before */
    reported right = report(f, order, "pi_test_right", 2500, 2500, "USD");
    assert_false(right.mismatch);
    assert_string_equal(order_state(f, order), "paid");
    assert_int_equal(level(f, a, wh).on_hand, 3);
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
    assert_string_equal(qt(f,
                           "SELECT from_state || '>' || to_state || ':' || actor FROM order_history "
                           "WHERE order_id = $1 ORDER BY id DESC LIMIT 1",
                           order),
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
    assert_int_equal(q2(f->db,
                        "SELECT delta FROM stock_adjustments WHERE reservation_id = $1 AND variant_id = $2 "
                        "AND reason = 'order cancelled'",
                        res, a),
                     3);
    assert_string_equal(qt(f,
                           "SELECT actor FROM stock_adjustments WHERE reason = 'order cancelled' "
                           "AND variant_id = $1",
                           b),
                        "usr_test");
    /* cancelled, the total refunded, the coupon use given back */
    expect_cancelled_and_refunded(f, order, total, x.refund_id);
    assert_int_equal(q1(f->db, "SELECT used_count FROM coupons WHERE id = $1", k), 0);
    assert_string_equal(qt(f,
                           "SELECT from_state || '>' || to_state || ':' || note FROM order_history "
                           "WHERE order_id = $1 ORDER BY id DESC LIMIT 1",
                           order),
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
    assert_string_equal(qt(f,
                           "SELECT from_state || '>' || to_state FROM order_history WHERE order_id = $1 "
                           "ORDER BY id DESC LIMIT 1",
                           order),
                        "paid>refunded");
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
    return souk_inventory_reserve_tx(db, "restock-test", &c->line, 1, 0, &c->id, NULL, c->a, c->pr);
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
        cmocka_unit_test_setup_teardown(test_payment_for_abandoned_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payment_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_paid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refund_gateway_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refunds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restock_split, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
