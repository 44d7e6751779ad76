/*
 * Unit tests for src/core/live.c: a marker written into a buffer is the
 * same JSON text as jansson's dump of souk_live_marker, and souk_live_fill
 * replaces markers of either origin with the resolver's value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/live.h"

static int resolve_twice(void *ctx, int64_t key, char *out, size_t cap)
{
    (void)ctx;
    return snprintf(out, cap, "%lld", (long long)key * 2);
}

static void marker_write_matches_jansson(void **state)
{
    (void)state;
    const int64_t keys[] = {0, 7, 123456789012345678, -42, INT64_MAX};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *m = souk_live_marker('a', keys[i]);
        assert_non_null(m);
        char *dumped = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(m);
        souk_buf b;
        souk_buf_init(&b, 1024);
        assert_int_equal(souk_live_marker_write(&b, 'a', keys[i]), 0);
        assert_string_equal(b.data, dumped);
        free(dumped);
        souk_buf_release(&b);
    }
}

static void marker_write_is_filled(void **state)
{
    (void)state;
    assert_int_equal(souk_live_register('z', resolve_twice), 0);
    souk_buf doc, out;
    souk_buf_init(&doc, 1024);
    souk_buf_init(&out, 1024);
    souk_buf_adds(&doc, "{\"a\":");
    souk_live_marker_write(&doc, 'z', 21);
    souk_buf_adds(&doc, ",\"b\":[");
    souk_live_marker_write(&doc, 'z', 1000);
    souk_buf_adds(&doc, "]}");
    assert_int_equal(souk_live_fill(doc.data, doc.len, &out, NULL), 2);
    assert_string_equal(out.data, "{\"a\":42,\"b\":[2000]}");
    souk_buf_release(&doc);
    souk_buf_release(&out);
}

static void marker_write_fails_when_full(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 8);
    assert_int_equal(souk_live_marker_write(&b, 'a', 1), -1);
    assert_true(souk_buf_failed(&b));
    souk_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(marker_write_matches_jansson),
        cmocka_unit_test(marker_write_is_filled),
        cmocka_unit_test(marker_write_fails_when_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
