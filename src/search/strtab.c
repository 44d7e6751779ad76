/*
 * strtab.c — string interning for the index builder (an open-addressing
 * hash table over one growing blob) and the sorted string lists of a
 * finished segment.
 */
#include <stdlib.h>
#include <string.h>

#include "search/internal.h"
#include "core/grow.h"
#include "core/banned.h"

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

/* a slot keeps the hash's high half beside the id: most probes that miss
 * are told apart without touching the string */
static int rehash(souk__search_strtab *t, uint32_t nslots)
{
    uint64_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -1;
    for (uint32_t k = 0; k < t->nslots; k++) {
        if (!t->slots[k])
            continue;
        uint32_t id = (uint32_t)t->slots[k] - 1;
        uint32_t i = (uint32_t)hash(t->blob + t->off[id], t->lens[id]) & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = t->slots[k];
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

long souk__search_strtab_intern(souk__search_strtab *t, const char *s, size_t len, int *added)
{
    if (added)
        *added = 0;
    if (len > UINT16_MAX)
        return -1;
    if (t->nslots == 0 && rehash(t, 1024) < 0)
        return -1;
    uint64_t h = hash(s, len);
    uint32_t i = (uint32_t)h & (t->nslots - 1);
    uint64_t tag = h & 0xFFFFFFFF00000000ull;
    while (t->slots[i]) {
        if ((t->slots[i] & 0xFFFFFFFF00000000ull) == tag) {
            uint32_t id = (uint32_t)t->slots[i] - 1;
            if (t->lens[id] == len && memcmp(t->blob + t->off[id], s, len) == 0)
                return id;
        }
        i = (i + 1) & (t->nslots - 1);
    }
    if (t->n == UINT32_MAX - 1)
        return -1;
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 1024;
        uint32_t *off = realloc(t->off, sizeof *off * cap);
        if (!off)
            return -1;
        t->off = off;
        uint16_t *lens = realloc(t->lens, sizeof *lens * cap);
        if (!lens)
            return -1;
        t->lens = lens;
        t->cap = cap;
    }
    if (t->blob_len + len + 1 > t->blob_cap) {
        size_t cap = t->blob_cap ? t->blob_cap * 2 : 65536;
        while (cap < t->blob_len + len + 1)
            cap *= 2;
        char *blob = realloc(t->blob, cap);
        if (!blob)
            return -1;
        t->blob = blob;
        t->blob_cap = cap;
    }
    memcpy(t->blob + t->blob_len, s, len);
    t->blob[t->blob_len + len] = '\0';
    uint32_t id = t->n++;
    t->off[id] = (uint32_t)t->blob_len;
    t->lens[id] = (uint16_t)len;
    t->blob_len += len + 1;
    t->slots[i] = tag | (id + 1);
    if (added)
        *added = 1;
    if ((uint64_t)t->n * 10 > (uint64_t)t->nslots * 7 && rehash(t, t->nslots * 2) < 0)
        return -1;
    return id;
}

void souk__search_strtab_release(souk__search_strtab *t)
{
    free(t->blob);
    free(t->off);
    free(t->lens);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

int souk__search_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

typedef struct {
    const char *s;
    uint32_t len, id;
} sort_item;

static int by_string(const void *x, const void *y)
{
    const sort_item *a = x, *b = y;
    return souk__search_cmp(a->s, a->len, b->s, b->len);
}

int souk__search_strtab_sorted(const souk__search_strtab *t, souk__search_strs *out, uint32_t *rank)
{
    memset(out, 0, sizeof *out);
    sort_item *order = malloc(sizeof *order * (t->n ? t->n : 1));
    out->off = malloc(sizeof *out->off * ((size_t)t->n + 1));
    out->blob = malloc(t->blob_len ? t->blob_len : 1);
    if (!order || !out->off || !out->blob) {
        free(order);
        souk__search_strs_release(out);
        return -1;
    }
    for (uint32_t i = 0; i < t->n; i++)
        order[i] = (sort_item){t->blob + t->off[i], t->lens[i], i};
    souk_sort(order, t->n, sizeof *order, by_string);
    size_t at = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t id = order[i].id;
        rank[id] = i;
        out->off[i] = (uint32_t)at;
        memcpy(out->blob + at, order[i].s, (size_t)order[i].len + 1);
        at += (size_t)order[i].len + 1;
    }
    out->off[t->n] = (uint32_t)at;
    out->n = t->n;
    free(order);
    return 0;
}

void souk__search_strs_release(souk__search_strs *s)
{
    free(s->blob);
    free(s->off);
    memset(s, 0, sizeof *s);
}

uint32_t souk__search_strs_lower(const souk__search_strs *s, const char *key, size_t len)
{
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        size_t ml;
        const char *m = souk__search_str(s, mid, &ml);
        if (souk__search_cmp(m, ml, key, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long souk__search_strs_find(const souk__search_strs *s, const char *key, size_t len)
{
    uint32_t i = souk__search_strs_lower(s, key, len);
    if (i == s->n)
        return -1;
    size_t ml;
    const char *m = souk__search_str(s, i, &ml);
    return souk__search_cmp(m, ml, key, len) == 0 ? (long)i : -1;
}
