/* arena.c — see arena.h. Chunks are a singly linked list, newest first. */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

struct souk_arena_chunk {
    souk_arena_chunk *next;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void souk_arena_init(souk_arena *a, size_t chunk_size, size_t limit)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 16384;
    a->used_total = 0;
    a->limit = limit;
}

void souk_arena_release(souk_arena *a)
{
    souk_arena_chunk *c = a->head;
    while (c) {
        souk_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

void souk_arena_reset(souk_arena *a)
{
    souk_arena_chunk *c = a->head, *keep = NULL;
    while (c) {
        souk_arena_chunk *next = c->next;
        if (!next && c->size == a->chunk_size)
            keep = c; /* the oldest, default-sized chunk survives */
        else
            free(c);
        c = next;
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
    a->used_total = 0;
}

void *souk_arena_alloc(souk_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n)
        return NULL;
    if (a->limit && (need > a->limit || a->used_total > a->limit - need))
        return NULL;
    souk_arena_chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        size_t size = need > a->chunk_size ? need : a->chunk_size;
        c = malloc(sizeof(*c) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        if (a->head && size != a->chunk_size) {
            /* an oversized one-off chunk goes behind the current one */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used_total += need;
    return p;
}

void *souk_arena_calloc(souk_arena *a, size_t n)
{
    void *p = souk_arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *souk_arena_strndup(souk_arena *a, const char *s, size_t len)
{
    char *p = souk_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *souk_arena_strdup(souk_arena *a, const char *s)
{
    return souk_arena_strndup(a, s, strlen(s));
}

char *souk_arena_printf(souk_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = souk_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
