/* test_cursor.c — the opaque keyset cursor (src/core/cursor.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/cursor.h"

static void test_round_trip(void **state)
{
    (void)state;
    char c[SOUK_CURSOR_TEXT_MAX];
    int64_t key = 0;
    for (int64_t k = 1; k > 0 && k <= INT64_MAX / 7; k *= 7) {
        souk_cursor_encode("a1", k, c);
        assert_int_equal(souk_cursor_decode("a1", c, strlen(c), &key), 0);
        assert_true(key == k);
    }
    souk_cursor_encode("j1", INT64_MAX, c);
    assert_int_equal(souk_cursor_decode("j1", c, strlen(c), &key), 0);
    assert_true(key == INT64_MAX);
    /* opaque: no '=' padding, nothing that needs escaping in a URL */
    assert_null(strpbrk(c, "=+/"));
}

static void raw_cursor(const char *raw, char out[SOUK_CURSOR_TEXT_MAX])
{
    sodium_bin2base64(out, SOUK_CURSOR_TEXT_MAX, (const unsigned char *)raw, strlen(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_refusals(void **state)
{
    (void)state;
    char c[SOUK_CURSOR_TEXT_MAX];
    int64_t key;
    souk_cursor_encode("a1", 42, c);
    assert_int_equal(souk_cursor_decode("j1", c, strlen(c), &key), -1); /* another list's cursor */
    assert_int_equal(souk_cursor_decode("a1", "", 0, &key), -1);
    assert_int_equal(souk_cursor_decode("a1", "not base64!", 11, &key), -1);
    char longer[200];
    memset(longer, 'A', sizeof longer);
    assert_int_equal(souk_cursor_decode("a1", longer, sizeof longer, &key), -1);
    const char *bad[] = {"a1|", "a1|0", "a1|-5", "a1|12x", "a1", "a12|5", "a1|99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        raw_cursor(bad[i], c);
        assert_int_equal(souk_cursor_decode("a1", c, strlen(c), &key), -1);
    }
    const char nul[] = {'a', '1', '|', '4', '\0', '2'};
    sodium_bin2base64(c, sizeof c, (const unsigned char *)nul, sizeof nul, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(souk_cursor_decode("a1", c, strlen(c), &key), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
