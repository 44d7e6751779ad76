/*
 * Unit tests for src/core/hash.c: the same bytes hash alike, and strings
 * that differ in one byte anywhere (within a word, in the tail, or only in
 * length) do not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/hash.h"

static void same_bytes_same_hash(void **state)
{
    (void)state;
    char a[100], b[100];
    memset(a, 'q', sizeof a);
    memset(b, 'q', sizeof b);
    assert_true(souk_hash64(a, sizeof a) == souk_hash64(b, sizeof b));
    assert_true(souk_hash64("", 0) == souk_hash64(b, 0));
}

static void one_byte_changes_it(void **state)
{
    (void)state;
    char base[67];
    for (size_t i = 0; i < sizeof base; i++)
        base[i] = (char)('a' + i % 26);
    uint64_t h = souk_hash64(base, sizeof base);
    for (size_t i = 0; i < sizeof base; i++) {
        for (int bit = 0; bit < 8; bit++) {
            char c[sizeof base];
            memcpy(c, base, sizeof c);
            c[i] ^= (char)(1 << bit);
            if (souk_hash64(c, sizeof c) == h)
                fail_msg("flipping bit %d of byte %zu kept the hash", bit, i);
        }
    }
}

static void length_matters(void **state)
{
    (void)state;
    static const char zeros[16] = {0};
    for (size_t n = 0; n < sizeof zeros; n++)
        assert_true(souk_hash64(zeros, n) != souk_hash64(zeros, n + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_bytes_same_hash),
        cmocka_unit_test(one_byte_changes_it),
        cmocka_unit_test(length_matters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
