/*
 * cache.h — the port's per-connection statement cache (cache.c). Internal
 * to src/store.
 */
#ifndef SOUK_STORE_CACHE_H
#define SOUK_STORE_CACHE_H

#include "store/adapter.h"

/* The cached statement for SQL, reset with bindings cleared, preparing it
 * on first use. NULL when it does not prepare (logged, counted). */
souk_stmt *souk__store_cached(souk_store *db, const char *sql);

/* Frees evicted statements and resets those left mid-rows. */
void souk__store_cache_idle(souk_store *db);

/* Finalizes every statement (before the connection closes). */
void souk__store_cache_release(souk_store *db);

#endif
