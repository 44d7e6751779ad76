/* rng.c — see rng.h. splitmix64 (Steele, Lea, Flood 2014). */
#include "core/rng.h"

#include "core/banned.h"

uint64_t souk_rng_next(souk_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

size_t souk_rng_below(souk_rng *r, size_t n)
{
    return (size_t)(souk_rng_next(r) % n);
}

double souk_rng_unit(souk_rng *r)
{
    return (double)(souk_rng_next(r) >> 11) / 9007199254740992.0;
}
