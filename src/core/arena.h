/*
 * arena.h — per-request bump allocator.
 *
 * Memory is handed out from chunks and released all at once by
 * souk_arena_reset() or souk_arena_release(). Every request gets one; the
 * HTTP adapter resets it when the response has been handed to the server.
 * Nothing allocated here may outlive the arena.
 */
#ifndef SOUK_ARENA_H
#define SOUK_ARENA_H

#include <stddef.h>

typedef struct souk_arena_chunk souk_arena_chunk;

typedef struct souk_arena {
    souk_arena_chunk *head; /* current chunk (newest first) */
    size_t chunk_size;      /* default size of a new chunk */
    size_t used_total;      /* bytes handed out since the last reset */
    size_t limit;           /* maximum bytes handed out; 0 = unlimited */
} souk_arena;

/* Sets up caller-owned A; LIMIT caps the total (0 = none). Allocates nothing yet. */
void souk_arena_init(souk_arena *a, size_t chunk_size, size_t limit);

/* Frees every chunk; A may be reused after souk_arena_init. */
void souk_arena_release(souk_arena *a);

/* Forgets all allocations but keeps the first chunk for reuse. */
void souk_arena_reset(souk_arena *a);

/* Returns N bytes aligned to 16, or NULL when the limit is reached or malloc fails. */
void *souk_arena_alloc(souk_arena *a, size_t n);

/* Like souk_arena_alloc but zero-filled. */
void *souk_arena_calloc(souk_arena *a, size_t n);

/* Copies LEN bytes of S and a NUL terminator; NULL on exhaustion. */
char *souk_arena_strndup(souk_arena *a, const char *s, size_t len);

/* Copies the NUL-terminated S; NULL on exhaustion. */
char *souk_arena_strdup(souk_arena *a, const char *s);

/* printf into the arena; NULL on exhaustion or format error. */
char *souk_arena_printf(souk_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
