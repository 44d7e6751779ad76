/*
 * Unit tests for src/core/buf.c (bounded growable buffer, JSON string
 * escaping) and src/core/arena.c (per-request bump allocator).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"

/* ---- souk_buf ----------------------------------------------------------- */

static void test_buf_basic(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 1024);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_false(souk_buf_failed(&b));
    assert_int_equal(souk_buf_adds(&b, "hello"), 0);
    assert_int_equal(souk_buf_addc(&b, ' '), 0);
    assert_int_equal(souk_buf_add(&b, "worldXXX", 5), 0);
    assert_int_equal(souk_buf_add(&b, NULL, 0), 0);
    assert_int_equal(b.len, 11);
    assert_string_equal(b.data, "hello world");
    /* binary data with NULs is kept, still terminated */
    assert_int_equal(souk_buf_add(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 14);
    assert_memory_equal(b.data + 11, "a\0b", 3);
    assert_int_equal(b.data[14], '\0');
    souk_buf_release(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 1024);
}

static void test_buf_max_enforced_and_sticky(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 10);
    assert_int_equal(souk_buf_adds(&b, "0123456789"), 0); /* exactly max */
    assert_int_equal(b.len, 10);
    assert_false(souk_buf_failed(&b));
    assert_int_equal(souk_buf_addc(&b, 'x'), -1);
    assert_true(souk_buf_failed(&b));
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    /* sticky: even an empty append fails now, and so does printf */
    assert_int_equal(souk_buf_add(&b, "", 0), -1);
    assert_int_equal(souk_buf_printf(&b, "%d", 1), -1);
    assert_true(souk_buf_failed(&b));
    /* reset clears the flag and the contents but keeps the memory */
    char *mem = b.data;
    souk_buf_reset(&b);
    assert_false(souk_buf_failed(&b));
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, mem);
    assert_string_equal(b.data, "");
    assert_int_equal(souk_buf_adds(&b, "abc"), 0);
    assert_string_equal(b.data, "abc");
    /* one big append over max fails without writing anything */
    assert_int_equal(souk_buf_adds(&b, "defghijklmnop"), -1);
    assert_string_equal(b.data, "abc");
    assert_true(b.cap <= b.max + 1);
    souk_buf_release(&b);

    /* huge lengths do not wrap around the limit check */
    souk_buf_init(&b, 100);
    assert_int_equal(souk_buf_adds(&b, "x"), 0);
    assert_int_equal(souk_buf_add(&b, "y", SIZE_MAX), -1);
    assert_int_equal(souk_buf_add(&b, "y", SIZE_MAX - 1), -1);
    assert_true(souk_buf_failed(&b));
    souk_buf_release(&b);

    /* max 0 accepts nothing but the empty string */
    souk_buf_init(&b, 0);
    assert_int_equal(souk_buf_addc(&b, 'a'), -1);
    souk_buf_release(&b);
}

static void test_buf_growth(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(souk_buf_printf(&b, "%04d,", i % 10000), 0);
    assert_int_equal(b.len, 50000);
    assert_memory_equal(b.data, "0000,0001,", 10);
    assert_memory_equal(b.data + 49995, "9999,", 5);
    assert_int_equal(b.data[b.len], '\0');
    souk_buf_release(&b);
}

static void test_buf_printf(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 32);
    assert_int_equal(souk_buf_printf(&b, "%s=%d", "n", 42), 0);
    assert_int_equal(souk_buf_printf(&b, "%s", ""), 0);
    assert_int_equal(souk_buf_printf(&b, ";%05.1f", 3.14159), 0);
    assert_string_equal(b.data, "n=42;003.1");
    assert_int_equal(b.len, strlen("n=42;003.1"));
    /* a printf that would exceed max fails and leaves the contents */
    assert_int_equal(souk_buf_printf(&b, "%040d", 7), -1);
    assert_true(souk_buf_failed(&b));
    assert_string_equal(b.data, "n=42;003.1");
    souk_buf_release(&b);
}

static void expect_json(const char *in, size_t len, const char *want)
{
    souk_buf b;
    souk_buf_init(&b, 4096);
    assert_int_equal(souk_buf_add_json_string(&b, in, len), 0);
    assert_string_equal(b.data, want);
    assert_int_equal(b.len, strlen(want));
    souk_buf_release(&b);
}

static void test_buf_json_string(void **state)
{
    (void)state;
    expect_json("", 0, "\"\"");
    expect_json("plain", 5, "\"plain\"");
    expect_json("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
    expect_json("a\\b", 3, "\"a\\\\b\"");
    expect_json("l1\nl2\r\tx", 8, "\"l1\\nl2\\r\\tx\"");
    expect_json("\x01\x1f\b\f", 4, "\"\\u0001\\u001f\\u0008\\u000c\"");
    expect_json("a\0b", 3, "\"a\\u0000b\"");
    expect_json("</script>&", 10, "\"\\u003c/script\\u003e\\u0026\"");
    /* UTF-8 and DEL pass through untouched */
    expect_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    expect_json("\x7f", 1, "\"\x7f\"");
    /* only LEN bytes are read */
    expect_json("abcdef", 3, "\"abc\"");
}

static void test_buf_json_string_over_max(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 8);
    /* "\"<<\"" escapes to 14 bytes: over the maximum */
    assert_int_equal(souk_buf_add_json_string(&b, "<<", 2), -1);
    assert_true(souk_buf_failed(&b));
    souk_buf_reset(&b);
    assert_int_equal(souk_buf_add_json_string(&b, "ok", 2), 0);
    assert_string_equal(b.data, "\"ok\"");
    souk_buf_release(&b);
}

/* ---- souk_arena --------------------------------------------------------- */

static void test_arena_alignment(void **state)
{
    (void)state;
    souk_arena a;
    souk_arena_init(&a, 256, 0);
    for (size_t n = 0; n < 300; n++) {
        void *p = souk_arena_alloc(&a, n % 37 + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, n % 37 + 1);
    }
    /* oversized allocations too */
    void *big = souk_arena_alloc(&a, 5000);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % 16, 0);
    memset(big, 1, 5000);
    void *after = souk_arena_alloc(&a, 3);
    assert_non_null(after);
    assert_int_equal((uintptr_t)after % 16, 0);
    souk_arena_release(&a);
}

static void test_arena_distinct_blocks(void **state)
{
    (void)state;
    souk_arena a;
    souk_arena_init(&a, 128, 0);
    enum { N = 100 };
    unsigned char *ptrs[N];
    for (int i = 0; i < N; i++) {
        ptrs[i] = souk_arena_alloc(&a, 24);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], i, 24);
    }
    /* no allocation overwrote another */
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 24; k++)
            assert_int_equal(ptrs[i][k], i);
    souk_arena_release(&a);
}

static void test_arena_limit(void **state)
{
    (void)state;
    souk_arena a;
    souk_arena_init(&a, 1024, 100);
    assert_non_null(souk_arena_alloc(&a, 40)); /* 48 */
    assert_non_null(souk_arena_alloc(&a, 48)); /* 96 */
    assert_int_equal(a.used_total, 96);
    assert_null(souk_arena_alloc(&a, 5)); /* 112 > 100 */
    assert_null(souk_arena_alloc(&a, 1000));
    assert_null(souk_arena_alloc(&a, SIZE_MAX));
    assert_null(souk_arena_alloc(&a, SIZE_MAX - 8));
    assert_null(souk_arena_strdup(&a, "too much"));
    assert_null(souk_arena_printf(&a, "%d", 1));
    assert_int_equal(a.used_total, 96);
    /* reset gives the budget back */
    souk_arena_reset(&a);
    assert_int_equal(a.used_total, 0);
    assert_non_null(souk_arena_alloc(&a, 100 - 4)); /* rounds to 96 */
    assert_null(souk_arena_alloc(&a, 8));
    souk_arena_release(&a);

    /* no limit: SIZE_MAX still fails cleanly instead of wrapping */
    souk_arena_init(&a, 0, 0);
    assert_int_equal(a.chunk_size, 16384);
    assert_null(souk_arena_alloc(&a, SIZE_MAX));
    souk_arena_release(&a);
}

static void test_arena_reset_keeps_working(void **state)
{
    (void)state;
    souk_arena a;
    souk_arena_init(&a, 512, 0);
    for (int round = 0; round < 50; round++) {
        char *s = NULL;
        for (int i = 0; i < 40; i++) {
            s = souk_arena_printf(&a, "round %d item %d", round, i);
            assert_non_null(s);
        }
        char want[64];
        snprintf(want, sizeof want, "round %d item 39", round);
        assert_string_equal(s, want);
        void *big = souk_arena_alloc(&a, 4096); /* oversized one-off chunk */
        assert_non_null(big);
        memset(big, 0x5a, 4096);
        unsigned char *z = souk_arena_calloc(&a, 300);
        assert_non_null(z);
        for (int k = 0; k < 300; k++)
            assert_int_equal(z[k], 0);
        memset(z, 0xff, 300);
        souk_arena_reset(&a);
        assert_int_equal(a.used_total, 0);
    }
    /* after a reset the memory is handed out again and calloc re-zeroes */
    unsigned char *z = souk_arena_calloc(&a, 64);
    for (int k = 0; k < 64; k++)
        assert_int_equal(z[k], 0);
    souk_arena_release(&a);
    assert_null(a.head);
    /* a released arena can be used again after init */
    souk_arena_init(&a, 64, 0);
    assert_non_null(souk_arena_strdup(&a, "again"));
    souk_arena_release(&a);
}

static void test_arena_strings(void **state)
{
    (void)state;
    souk_arena a;
    souk_arena_init(&a, 64, 0);
    char *s = souk_arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    s = souk_arena_strndup(&a, "x", 0);
    assert_non_null(s);
    assert_string_equal(s, "");
    s = souk_arena_strndup(&a, "a\0b", 3);
    assert_memory_equal(s, "a\0b", 4);
    s = souk_arena_strdup(&a, "dup");
    assert_string_equal(s, "dup");
    s = souk_arena_printf(&a, "%s-%03d-%c", "id", 7, 'z');
    assert_string_equal(s, "id-007-z");
    s = souk_arena_printf(&a, "%s", "");
    assert_string_equal(s, "");
    /* strings longer than a chunk */
    char longs[1000];
    memset(longs, 'q', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    s = souk_arena_strdup(&a, longs);
    assert_string_equal(s, longs);
    s = souk_arena_printf(&a, "%s!", longs);
    assert_int_equal(strlen(s), 1000);
    assert_int_equal(s[999], '!');
    souk_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_basic),       cmocka_unit_test(test_buf_max_enforced_and_sticky),
        cmocka_unit_test(test_buf_growth),      cmocka_unit_test(test_buf_printf),
        cmocka_unit_test(test_buf_json_string), cmocka_unit_test(test_buf_json_string_over_max),
        cmocka_unit_test(test_arena_alignment), cmocka_unit_test(test_arena_distinct_blocks),
        cmocka_unit_test(test_arena_limit),     cmocka_unit_test(test_arena_reset_keeps_working),
        cmocka_unit_test(test_arena_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
