/*
 * rng.h — a small deterministic generator (splitmix64) for made-up data:
 * the demo store, its history, test fixtures. The same seed gives the same
 * sequence on every machine. Not for anything secret (libsodium is).
 */
#ifndef SOUK_CORE_RNG_H
#define SOUK_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct souk_rng {
    uint64_t s; /* the seed, then the state */
} souk_rng;

/* The next 64 random bits. */
uint64_t souk_rng_next(souk_rng *r);

/* A number in [0, N) (N > 0): the next value modulo N. */
size_t souk_rng_below(souk_rng *r, size_t n);

/* A number in [0, 1), 53 bits. */
double souk_rng_unit(souk_rng *r);

#endif
