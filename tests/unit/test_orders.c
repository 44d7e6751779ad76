/*
 * Unit tests for placing and paying orders (src/orders/place.c and the
 * payment half of lifecycle.c) below the HTTP layer, with real parts (see
 * orders_fixture.h): the price snapshot, per-vendor sub-orders and
 * commissions, the reservation, all-or-nothing failures; paying, also after
 * the reservation lapsed. Cancelling and refunds: test_orders_money.c;
 * derived states and the maintenance jobs: test_orders_states.c.
 */
#include "orders_fixture.h"

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
    assert_int_equal(q2(f->db,
                        "SELECT quantity * 10000 + unit_amount FROM order_lines WHERE order_id = $1 "
                        "AND line_no = $2",
                        order, 1),
                     2 * 10000 + 1999);
    assert_int_equal(q2(f->db, "SELECT line_total FROM order_lines WHERE order_id = $1 AND line_no = $2", order, 1),
                     3998);
    assert_int_equal(q2(f->db, "SELECT product_id FROM order_lines WHERE order_id = $1 AND line_no = $2", order, 2),
                     pb);
    assert_int_equal(q2(f->db, "SELECT vendor_id FROM order_lines WHERE order_id = $1 AND line_no = $2", order, 2), vb);
    assert_int_equal(q2(f->db,
                        "SELECT count(*) FROM order_lines WHERE order_id = $1 AND line_no = $2 "
                        "AND vendor_id IS NULL",
                        order, 3),
                     1);
    assert_string_equal(
        qt(f, "SELECT sku || '/' || product_title FROM order_lines WHERE order_id = $1 AND line_no = 1", order),
        "PLACE-A/PLACE-A");
    assert_int_equal(q1(f->db, "SELECT sum(fulfilled + returned) FROM order_lines WHERE order_id = $1", order), 0);
    /* a later price change does not touch the order */
    assert_int_equal(souk_catalog_price_set(f->db, a, "USD", 2500), SOUK_OK);
    assert_int_equal(q2(f->db, "SELECT unit_amount FROM order_lines WHERE order_id = $1 AND line_no = $2", order, 1),
                     1999);

    /* one sub-order per vendor, commission rounded half up */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1", order), 3);
    assert_int_equal(
        q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1 AND state = 'pending_payment'", order), 3);
    assert_int_equal(q2(f->db, "SELECT subtotal FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, va),
                     3998);
    assert_int_equal(
        q2(f->db, "SELECT commission_bp FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, va), 1250);
    assert_int_equal(q2(f->db, "SELECT commission FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, va),
                     500);
    assert_int_equal(q2(f->db, "SELECT subtotal FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, vb),
                     1000);
    assert_int_equal(q2(f->db, "SELECT commission FROM sub_orders WHERE order_id = $1 AND vendor_id = $2", order, vb),
                     1);
    assert_int_equal(q1(f->db,
                        "SELECT subtotal * 100 + commission_bp * 10 + commission FROM sub_orders "
                        "WHERE order_id = $1 AND vendor_id IS NULL",
                        order),
                     500 * 100);
    /* each line belongs to its vendor's sub-order */
    assert_int_equal(q1(f->db,
                        "SELECT count(*) FROM order_lines l JOIN sub_orders s ON s.id = l.sub_order_id "
                        "WHERE l.order_id = $1 AND s.order_id = l.order_id "
                        "AND s.vendor_id IS NOT DISTINCT FROM l.vendor_id",
                        order),
                     3);

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
    assert_string_equal(qt(f,
                           "SELECT coalesce(from_state, 'null') || '>' || to_state || ':' || actor "
                           "FROM order_history WHERE order_id = $1",
                           order),
                        "null>pending_payment:guest");
    assert_int_equal(events_of(f, "order.placed", order), 0);
    /* the cart is kept until payment */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM cart_lines WHERE cart_id = $1", c), 3);
}

static void test_place_empty_cart(void **state)
{
    fixture *f = *state;
    int64_t c = cart(f);
    expect_refused(f, c, SOUK_E_VALIDATION, "cart");
    assert_int_equal(q0(f->db, "SELECT count(*) FROM orders"), 0);
    /* no cart at all */
    int64_t order = -1;
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

    expect_refused(f, c, SOUK_E_OUT_OF_STOCK, "lines[0]");
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
    int64_t order = place_ok(f, c);
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
    expect_refused(f, c, SOUK_E_VALIDATION, "lines[1]");
    assert_int_equal(level(f, a, wh).reserved, 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM orders"), 0);
}

/* Places cart C as a guest expecting the total AMOUNT of CURRENCY; *ORDER (optional) gets the order. */
static souk_err place_expecting(fixture *f, int64_t c, int64_t amount, const char *currency, int64_t *order)
{
    place_call pc = {{c, 0, guest_key, "shopper@example.com", "{\"city\":\"Leeds\",\"country\":\"GB\"}", "test",
                      "guest", true, amount, currency},
                     0,
                     &f->a,
                     &f->pr};
    souk_problems_init(&f->pr);
    souk_err e = souk_store_run(f->db, place_body, &pc, &f->pr);
    if (order)
        *order = e ? 0 : pc.order;
    return e;
}

/* The message of the problem for FIELD ("" when there is none). */
static const char *problem(const fixture *f, const char *field)
{
    for (size_t i = 0; i < f->pr.count; i++)
        if (strcmp(f->pr.items[i].field, field) == 0)
            return f->pr.items[i].message;
    return "";
}

static void test_place_expected_total(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main");
    int64_t a = variant(f, "EXP-A", 1000, 0, NULL), b = variant(f, "EXP-B", 400, 0, NULL);
    set_stock(f, a, wh, 5);
    set_stock(f, b, wh, 5);
    int64_t k = coupon(f, "HALF", 5000, 1);
    int64_t c = cart(f);
    add_line(f, c, a, 1);
    add_line(f, c, b, 2);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_cart_coupon(f->db, c, "HALF", &f->a, &f->pr), SOUK_OK); /* shown: 1800 − 50 % = 900 */

    /* a price rose and the coupon went meanwhile: refused, nothing reserved, counted or written */
    assert_int_equal(souk_catalog_price_set(f->db, b, "USD", 500), SOUK_OK);
    exec(f->db, "UPDATE coupons SET used_count = 1 WHERE id = $1", SOUK_ARGS(SOUK_I64(k)));
    int64_t order = -1;
    assert_int_equal(place_expecting(f, c, 900, "USD", &order), SOUK_E_PRICE_CHANGED);
    assert_int_equal(order, 0);
    assert_string_equal(f->pr.items[0].field, "expected_total");
    assert_string_equal(problem(f, "expected_total"),
                        "the cart now totals 2000 USD, not 900 USD: read it again and confirm");
    char want[128], var[SOUK_ID_TEXT_MAX];
    snprintf(want, sizeof want, "%s costs 500 USD now, 400 USD when the cart last changed",
             souk_id_format("var", b, var));
    assert_string_equal(problem(f, "lines[1].unit_price"), want);
    assert_string_equal(problem(f, "lines[0].unit_price"), "");
    assert_string_equal(problem(f, "coupon"), "HALF no longer applies: this coupon has been used up");
    assert_string_equal(problem(f, "totals.discount"), "0 USD");
    assert_string_equal(problem(f, "totals.total"), "2000 USD");
    assert_int_equal(level(f, a, wh).reserved, 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM orders"), 0);
    assert_int_equal(q0(f->db, "SELECT count(*) FROM reservations"), 0);
    /* another currency is another price */
    assert_int_equal(place_expecting(f, c, 2000, "EUR", &order), SOUK_E_PRICE_CHANGED);
    /* the total it costs now: placed at it */
    assert_int_equal(place_expecting(f, c, 2000, "USD", &order), SOUK_OK);
    assert_int_equal(q1(f->db, "SELECT total FROM orders WHERE id = $1", order), 2000);
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
    assert_int_equal(
        q1(f->db, "SELECT count(*) FROM stock_adjustments WHERE reason = 'sold' AND reservation_id = $1", res), 2);
    /* the cart is emptied (the cart itself stays) */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM cart_lines WHERE cart_id = $1", c), 0);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM carts WHERE id = $1", c), 1);
    /* the order and its sub-orders are paid */
    assert_string_equal(order_state(f, order), "paid");
    assert_string_equal(payment_status(f, order), "succeeded");
    assert_string_equal(qt(f, "SELECT intent_status FROM orders WHERE id = $1", order), "succeeded");
    assert_int_equal(q1(f->db,
                        "SELECT count(*) FROM orders WHERE id = $1 AND paid_at IS NOT NULL "
                        "AND paid_at >= created_at",
                        order),
                     1);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1", order), 2);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM sub_orders WHERE order_id = $1 AND state = 'paid'", order), 2);
    /* history, events, the confirmation e-mail */
    assert_int_equal(q1(f->db, "SELECT count(*) FROM order_history WHERE order_id = $1", order), 2);
    assert_string_equal(qt(f,
                           "SELECT from_state || '>' || to_state FROM order_history WHERE order_id = $1 "
                           "ORDER BY id DESC LIMIT 1",
                           order),
                        "pending_payment>paid");
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
    assert_int_equal(q1(f->db,
                        "SELECT -sum(delta) FROM stock_adjustments WHERE reason = 'sold' "
                        "AND reservation_id = $1",
                        res2),
                     3);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM stock_adjustments WHERE reservation_id = $1", res), 0);
    assert_int_equal(events_of(f, "order.paid", order), 1);

    /* cancelled after all: the stock goes back through the new reservation */
    op x = {.kind = OP_CANCEL_PAID, .order = order};
    assert_int_equal(run_op(f, &x), SOUK_OK);
    assert_int_equal(level(f, a, wh).on_hand, 5);
    assert_int_equal(q1(f->db,
                        "SELECT delta FROM stock_adjustments WHERE reason = 'order cancelled' "
                        "AND reservation_id = $1",
                        res2),
                     3);
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
    assert_string_equal(qt(f,
                           "SELECT from_state || '>' || to_state || ':' || note FROM order_history "
                           "WHERE order_id = $1 AND to_state = 'cancelled'",
                           first),
                        "pending_payment>cancelled:paid after its stock was sold");
    /* stock untouched by all this */
    assert_int_equal(level(f, a, wh).on_hand, 1);
    /* said again: nothing more is refunded */
    assert_int_equal(run_op(f, &x), SOUK_OK);
    assert_int_equal(x.refund_id, 0);
    assert_int_equal(q1(f->db, "SELECT count(*) FROM refunds WHERE order_id = $1", first), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_empty_cart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_out_of_stock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_unbuyable_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_expected_total, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pay_after_lapse_resells, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pay_after_lapse_sold_out, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
