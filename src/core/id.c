/* id.c — see id.h. */
#include "core/id.h"

#include <stdatomic.h>
#include <string.h>

#include <sodium.h>

#include "core/time.h"
#include "core/banned.h"

#define EPOCH_MS INT64_C(1577836800000) /* 2020-01-01T00:00:00Z */
#define SEQ_BITS 20

static _Atomic int64_t last_id;
static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int64_t souk_id_next(void)
{
    int64_t ms = souk_time_now_us() / 1000 - EPOCH_MS;
    /* random start in the lower half of the sequence space leaves room to count up */
    int64_t candidate = (ms << SEQ_BITS) | (int64_t)(randombytes_uniform(1u << (SEQ_BITS - 1)));
    int64_t prev = atomic_load_explicit(&last_id, memory_order_relaxed);
    for (;;) {
        int64_t next = candidate > prev ? candidate : prev + 1;
        if (atomic_compare_exchange_weak_explicit(&last_id, &prev, next, memory_order_relaxed, memory_order_relaxed))
            return next;
    }
}

char *souk_id_format(const char *prefix, int64_t id, char *buf)
{
    size_t plen = strlen(prefix);
    if (plen > 16)
        plen = 16;
    memcpy(buf, prefix, plen);
    buf[plen] = '_';
    uint64_t v = (uint64_t)id;
    for (int i = 12; i >= 0; i--) {
        buf[plen + 1 + (size_t)i] = alphabet[v & 31];
        v >>= 5;
    }
    buf[plen + 14] = '\0';
    return buf;
}

/* 1 + the value of each Crockford base32 digit (either case); 0 = not one */
static const unsigned char digit_plus1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,  ['8'] = 9,
    ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['G'] = 17, ['H'] = 18,
    ['J'] = 19, ['K'] = 20, ['M'] = 21, ['N'] = 22, ['P'] = 23, ['Q'] = 24, ['R'] = 25, ['S'] = 26, ['T'] = 27,
    ['V'] = 28, ['W'] = 29, ['X'] = 30, ['Y'] = 31, ['Z'] = 32, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
    ['e'] = 15, ['f'] = 16, ['g'] = 17, ['h'] = 18, ['j'] = 19, ['k'] = 20, ['m'] = 21, ['n'] = 22, ['p'] = 23,
    ['q'] = 24, ['r'] = 25, ['s'] = 26, ['t'] = 27, ['v'] = 28, ['w'] = 29, ['x'] = 30, ['y'] = 31, ['z'] = 32,
};

static int decode_char(char c)
{
    return (int)digit_plus1[(unsigned char)c] - 1;
}

int souk_id_parse(const char *prefix, const char *text, size_t len, int64_t *id)
{
    size_t plen = strlen(prefix);
    if (len != plen + 14 || memcmp(text, prefix, plen) != 0 || text[plen] != '_')
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < 13; i++) {
        int d = decode_char(text[plen + 1 + i]);
        if (d < 0)
            return -1;
        if (i == 0 && d > 15)
            return -1; /* 13 chars carry 65 bits; the top one must be zero */
        v = (v << 5) | (uint64_t)d;
    }
    if (v == 0 || v > INT64_MAX)
        return -1;
    *id = (int64_t)v;
    return 0;
}

int64_t souk_id_time_ms(int64_t id)
{
    return (id >> SEQ_BITS) + EPOCH_MS;
}
