/*
 * grow.c — souk_grow (see grow.h).
 */
#include "core/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

int souk_grow(void *pp, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -1;
        n *= 2;
    }
    if (elem && n > SIZE_MAX / elem)
        return -1;
    void *p;
    memcpy(&p, pp, sizeof p);
    void *q = realloc(p, n * elem);
    if (!q)
        return -1;
    memcpy(pp, &q, sizeof q);
    *cap = n;
    return 0;
}
