/*
 * cache.c — the per-connection cache of prepared statements (store.h).
 *
 * Design: an open-addressing hash table of statements keyed by their SQL
 * text (a word-at-a-time hash + comparison), so handlers write SQL inline
 * — including SQL assembled from a filter — and still prepare each distinct
 * text once per connection. At half the slots it evicts one: the least recently handed out
 * that is not in the middle of its rows, with backward-shift deletion so
 * linear probing stays correct. An evicted statement is only retired, and
 * freed at the next souk_store_idle(): a caller holding it, or iterating
 * another statement's rows, never sees freed memory. The cache is the
 * port's; adapters only prepare, reset and finalize.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/adapter.h"
#include "store/cache.h"
#include "core/banned.h"

#define CACHE_MASK (SOUK_STORE_CACHE_SLOTS - 1)

/* Notes that S was handed out: souk_store_idle looks only at those. */
static void hand_out(souk_store *db, souk_stmt *s)
{
    s->used = ++db->tick;
    if (!s->handed) {
        s->handed = true;
        s->next_handed = db->handed;
        db->handed = s;
    }
}

/* Forgets S in the recent-pointer table (it is evicted or freed). */
static void forget_recent(souk_store *db, const souk_stmt *s)
{
    for (size_t i = 0; i < sizeof db->recent / sizeof db->recent[0]; i++)
        if (db->recent[i].st == s)
            db->recent[i].st = NULL, db->recent[i].sql = NULL;
}

static void stmt_free(souk_stmt *s)
{
    char *sql = s->sql;
    s->db->ops->finalize(s);
    free(sql);
}

static void free_retired(souk_store *db)
{
    while (db->retired) {
        souk_stmt *s = db->retired;
        db->retired = s->next_retired;
        stmt_free(s);
    }
}

/* Removes the statement in slot V, keeping every probe chain unbroken
 * (backward-shift deletion), and retires it. */
static void cache_remove(souk_store *db, size_t v)
{
    souk_stmt *gone = db->slots[v];
    db->slots[v] = NULL;
    db->count--;
    for (size_t j = (v + 1) & CACHE_MASK; db->slots[j]; j = (j + 1) & CACHE_MASK) {
        size_t home = db->slots[j]->hash & CACHE_MASK;
        bool stays = v <= j ? (v < home && home <= j) : (v < home || home <= j);
        if (stays)
            continue;
        db->slots[v] = db->slots[j];
        db->slots[j] = NULL;
        v = j;
    }
    forget_recent(db, gone);
    gone->next_retired = db->retired;
    db->retired = gone;
}

/* Makes room by retiring the least recently used statement that is not in
 * the middle of its rows. */
static void cache_evict(souk_store *db)
{
    size_t victim = SOUK_STORE_CACHE_SLOTS;
    for (size_t k = 0; k < SOUK_STORE_CACHE_SLOTS; k++) {
        souk_stmt *s = db->slots[k];
        if (s && !db->ops->busy(s) && (victim == SOUK_STORE_CACHE_SLOTS || s->used < db->slots[victim]->used))
            victim = k;
    }
    if (victim < SOUK_STORE_CACHE_SLOTS)
        cache_remove(db, victim);
}

souk_stmt *souk__store_cached(souk_store *db, const char *sql)
{
    /* most SQL is a string literal: the same pointer with the same text
     * again, found without hashing the text (a buffer reused for other
     * text fails the comparison and takes the hashed path) */
    size_t r = ((uintptr_t)sql >> 4) & (sizeof db->recent / sizeof db->recent[0] - 1);
    souk_stmt *s = db->recent[r].sql == sql ? db->recent[r].st : NULL;
    if (s && strcmp(s->sql, sql) == 0) {
        db->ops->reset(s);
        hand_out(db, s);
        return s;
    }
    uint64_t h = souk_hash64(sql, strlen(sql)); /* a byte-at-a-time hash showed in profiles */
    for (size_t i = h & CACHE_MASK; db->slots[i]; i = (i + 1) & CACHE_MASK) {
        s = db->slots[i];
        if (s->hash == h && strcmp(s->sql, sql) == 0) {
            db->ops->reset(s);
            hand_out(db, s);
            db->recent[r].sql = sql;
            db->recent[r].st = s;
            return s;
        }
    }
    if (db->count >= SOUK_STORE_CACHE_SLOTS / 2)
        cache_evict(db);
    if (db->count >= SOUK_STORE_CACHE_SLOTS - 1) { /* every statement is mid-rows: a runaway caller */
        souk__store_set_err(db, "more than %d statements open at once", SOUK_STORE_CACHE_SLOTS - 1);
        souk__store_hard(db, sql);
        return NULL;
    }
    char *copy = strdup(sql);
    s = copy ? db->ops->prepare(db, sql) : NULL;
    if (!s) {
        if (!copy)
            souk__store_set_err(db, "out of memory");
        free(copy);
        souk__store_hard(db, sql);
        return NULL;
    }
    s->db = db;
    s->sql = copy;
    s->hash = h;
    size_t i = h & CACHE_MASK;
    while (db->slots[i])
        i = (i + 1) & CACHE_MASK;
    hand_out(db, s);
    db->slots[i] = s;
    db->count++;
    db->recent[r].sql = sql;
    db->recent[r].st = s;
    return s;
}

void souk__store_cache_idle(souk_store *db)
{
    /* only statements handed out since the last time can be mid-rows */
    for (souk_stmt *s = db->handed, *next; s; s = next) {
        next = s->next_handed;
        s->handed = false;
        s->next_handed = NULL;
        if (db->ops->busy(s))
            db->ops->reset(s);
    }
    db->handed = NULL;
    free_retired(db); /* no caller holds a statement between requests */
}

void souk__store_cache_release(souk_store *db)
{
    db->handed = NULL;
    memset(db->recent, 0, sizeof db->recent);
    free_retired(db);
    for (size_t i = 0; i < SOUK_STORE_CACHE_SLOTS; i++)
        if (db->slots[i]) {
            stmt_free(db->slots[i]);
            db->slots[i] = NULL;
        }
    db->count = 0;
}
