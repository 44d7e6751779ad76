/*
 * grow.h — the growable array of plain C: a pointer, a capacity, a count
 * kept by the caller; souk_grow makes room.
 */
#ifndef SOUK_CORE_GROW_H
#define SOUK_CORE_GROW_H

#include <stddef.h>
#include <stdlib.h>

/* Makes the array *PP (a pointer to any element type, NULL at first) hold
 * at least NEED elements of ELEM bytes, doubling its capacity *CAP (0 at
 * first; at least 16) so that appends cost amortised O(1). The contents
 * are kept. 0, or -1 when memory runs out or the size would overflow; the
 * array and *CAP are then unchanged. */
int souk_grow(void *pp, size_t *cap, size_t need, size_t elem);

/* qsort for such arrays: N elements of SIZE bytes at BASE, which may be
 * NULL when N is 0 (qsort itself must not be given NULL, even for none). */
static inline void souk_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

#endif
