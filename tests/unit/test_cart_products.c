/*
 * souk_cart_product_ids (src/cart/cart.c): the products of a cart's lines,
 * without pricing or rendering it (what recommendations leave out), with
 * real parts (orders_fixture.h).
 */
#include "orders_fixture.h"

#include <stdlib.h>

static int cmp_int64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

static void test_products_of_the_lines(void **state)
{
    fixture *f = *state;
    int64_t wh = warehouse(f, "main");
    int64_t pa, pb, pc;
    int64_t a = variant(f, "CP-A", 1000, 0, &pa), b = variant(f, "CP-B", 1200, 0, &pb);
    int64_t c = variant(f, "CP-C", 1400, 0, &pc);
    set_stock(f, a, wh, 5);
    set_stock(f, b, wh, 5);
    set_stock(f, c, wh, 5);
    int64_t cart_id = cart(f), ids[8];
    size_t n = 99;
    assert_int_equal(souk_cart_product_ids(f->db, cart_id, ids, 8, &n), SOUK_OK);
    assert_int_equal(n, 0); /* an empty cart */

    add_line(f, cart_id, c, 1);
    add_line(f, cart_id, a, 3);
    add_line(f, cart_id, b, 1);
    assert_int_equal(souk_cart_product_ids(f->db, cart_id, ids, 8, &n), SOUK_OK);
    assert_int_equal(n, 3);
    int64_t want[3] = {pa, pb, pc};
    qsort(want, 3, sizeof want[0], cmp_int64);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(ids[i], want[i]);

    /* bounded by MAX; another cart's lines are not its own */
    assert_int_equal(souk_cart_product_ids(f->db, cart_id, ids, 2, &n), SOUK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(souk_cart_product_ids(f->db, cart_id, ids, 0, &n), SOUK_OK);
    assert_int_equal(n, 0);
    int64_t other = cart(f);
    add_line(f, other, b, 1);
    assert_int_equal(souk_cart_product_ids(f->db, other, ids, 8, &n), SOUK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], pb);
    assert_int_equal(souk_cart_product_ids(f->db, 987654321, ids, 8, &n), SOUK_OK);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_products_of_the_lines, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
