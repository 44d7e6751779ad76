/*
 * hash.h — a fast 64-bit hash of a byte string, for in-process use only
 * (ETags, the statement cache): not stable across versions, not for
 * security (use libsodium for anything an attacker may aim at).
 */
#ifndef SOUK_CORE_HASH_H
#define SOUK_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The hash of the LEN bytes at P, eight bytes per step (FNV-1a a byte at a
 * time took 20 us for a 15 kB page). Each step is a bijection of the state
 * for a given word, so strings of one length that differ in a single word
 * never share a hash; the length seeds the state. */
uint64_t souk_hash64(const void *p, size_t len);

#endif
