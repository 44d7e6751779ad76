/*
 * Unit tests for src/core/grow.c: room is made as asked and the contents
 * kept, capacities double, and sizes that would overflow fail cleanly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "core/grow.h"

static void grows_and_keeps(void **state)
{
    (void)state;
    int *a = NULL;
    size_t cap = 0;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(souk_grow(&a, &cap, (size_t)i + 1, sizeof *a), 0);
        assert_true(cap >= (size_t)i + 1);
        a[i] = i * 3;
    }
    for (int i = 0; i < 1000; i++)
        assert_int_equal(a[i], i * 3);
    assert_int_equal(cap, 1024);
    size_t before = cap;
    assert_int_equal(souk_grow(&a, &cap, 10, sizeof *a), 0); /* already room: nothing changes */
    assert_int_equal(cap, before);
    free(a);
}

static void overflow_fails_and_changes_nothing(void **state)
{
    (void)state;
    char *p = NULL;
    size_t cap = 0;
    assert_int_equal(souk_grow(&p, &cap, 10, 1), 0);
    char *was = p;
    assert_int_equal(souk_grow(&p, &cap, SIZE_MAX / 2 + 2, 1), -1);
    assert_int_equal(souk_grow(&p, &cap, SIZE_MAX / 8, 64), -1);
    assert_ptr_equal(p, was);
    assert_int_equal(cap, 16);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_and_keeps),
        cmocka_unit_test(overflow_fails_and_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
