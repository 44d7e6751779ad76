/*
 * hash.c — souk_hash64: multiply-xorshift over 64-bit words, with a final
 * mix so that every input bit reaches every output bit.
 */
#include "core/hash.h"

#include <string.h>

#include "core/banned.h"

uint64_t souk_hash64(const void *p, size_t len)
{
    const unsigned char *s = p;
    const uint64_t k = 0x9E3779B97F4A7C15ULL;
    uint64_t h = 1469598103934665603ULL ^ len, w;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ w) * k;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s + i, len - i);
    h = (h ^ w) * k;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 32);
}
