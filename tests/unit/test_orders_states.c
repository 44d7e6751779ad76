/*
 * Unit tests for the states an order derives from its fulfilment, shipping
 * and delivery (lifecycle.c), and for the maintenance job's parts
 * (jobs.c: abandoned payments, old idempotency keys), with real parts (see
 * orders_fixture.h).
 */
#include "orders_fixture.h"

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
    assert_string_equal(qt(f,
                           "SELECT from_state || '>' || to_state || ':' || actor FROM order_history "
                           "WHERE order_id = $1 ORDER BY id DESC LIMIT 1",
                           order),
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
    assert_string_equal(qt(f,
                           "SELECT note || ':' || actor FROM order_history WHERE order_id = $1 "
                           "AND to_state = 'cancelled'",
                           due),
                        "payment not completed in time:system");
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
    exec(f->db,
         "INSERT INTO idempotency_keys (scope, key, request_hash, lease_until, created_at) "
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
    assert_int_equal(qs(f->db, "SELECT count(*) FROM idempotency_keys WHERE key IN ('young-1', 'young-2', $1)", "new"),
                     3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_derive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abandon_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
