/*
 * names.c — category and brand names for suggestions (see names.h).
 *
 * While loading, names go into a growing array, kept unique by (kind, id)
 * with an open-addressing set (the loader meets a brand once per product).
 * Attached to a segment they are counted by its facet bitmaps and the
 * ones of no product dropped; a suggestion is a scan of the folded names
 * (catalogs have a few thousand categories and brands, not millions).
 */
#include "search/names.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/internal.h"
#include "core/banned.h"

typedef struct name {
    int64_t id;
    uint64_t products;
    char *name, *folded;
    uint8_t kind;
} name;

struct souk_search_names {
    name *v;
    size_t n, cap;
    uint64_t *set;  /* (id << 1 | kind) + 1, 0 = empty */
    size_t set_cap; /* a power of two */
};

souk_search_names *souk_search_names_new(void)
{
    return calloc(1, sizeof(souk_search_names));
}

void souk_search_names_free(souk_search_names *ns)
{
    if (!ns)
        return;
    for (size_t i = 0; i < ns->n; i++) {
        free(ns->v[i].name);
        free(ns->v[i].folded);
    }
    free(ns->v);
    free(ns->set);
    free(ns);
}

static uint64_t key_of(souk_search_name_kind kind, int64_t id)
{
    return (((uint64_t)id << 1) | (uint64_t)kind) + 1;
}

static size_t slot(const uint64_t *set, size_t cap, uint64_t key)
{
    size_t i = (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & (cap - 1);
    while (set[i] && set[i] != key)
        i = (i + 1) & (cap - 1);
    return i;
}

/* Makes room for one more key in NS's set. 0 or -1. */
static int set_grow(souk_search_names *ns)
{
    if ((ns->n + 1) * 2 <= ns->set_cap)
        return 0;
    size_t cap = ns->set_cap ? ns->set_cap * 2 : 256;
    uint64_t *set = calloc(cap, sizeof *set);
    if (!set)
        return -1;
    for (size_t i = 0; i < ns->set_cap; i++)
        if (ns->set[i])
            set[slot(set, cap, ns->set[i])] = ns->set[i];
    free(ns->set);
    ns->set = set;
    ns->set_cap = cap;
    return 0;
}

int souk_search_names_add(souk_search_names *ns, souk_search_text *t, souk_search_name_kind kind, int64_t id,
                          const char *text, size_t len)
{
    if (!text || len == 0 || ns->n >= SOUK_SEARCH_NAMES_MAX)
        return 1;
    if (set_grow(ns) < 0)
        return -1;
    uint64_t key = key_of(kind, id);
    size_t at = slot(ns->set, ns->set_cap, key);
    if (ns->set[at])
        return 1;
    if (len > SOUK_SEARCH_NAME_BYTES_MAX) {
        len = SOUK_SEARCH_NAME_BYTES_MAX;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    const char *f;
    long flen = souk_search_text_fold(t, text, len, &f);
    if (flen < 0)
        return -1;
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 64;
        name *v = realloc(ns->v, cap * sizeof *v);
        if (!v)
            return -1;
        ns->v = v;
        ns->cap = cap;
    }
    name *nm = &ns->v[ns->n];
    nm->name = malloc(len + 1);
    nm->folded = malloc((size_t)flen + 1);
    if (!nm->name || !nm->folded) {
        free(nm->name);
        free(nm->folded);
        return -1;
    }
    memcpy(nm->name, text, len);
    nm->name[len] = '\0';
    memcpy(nm->folded, f, (size_t)flen + 1);
    nm->id = id;
    nm->kind = (uint8_t)kind;
    nm->products = 0;
    ns->set[at] = key;
    ns->n++;
    return 0;
}

/* Documents of SEG holding facet value VALUE of dimension DIM. */
static uint64_t facet_count(const souk_search_segment *s, const char *dim, const char *value)
{
    long d = souk__search_strs_find(&s->dims, dim, strlen(dim));
    if (d < 0)
        return 0;
    souk__search_strs view = {s->dim_first[d + 1] - s->dim_first[d], s->fv.blob, s->fv.off + s->dim_first[d]};
    long k = souk__search_strs_find(&view, value, strlen(value));
    return k < 0 ? 0 : roaring_bitmap_get_cardinality(s->fv_bm[s->dim_first[d] + (uint32_t)k]);
}

int souk_search_segment_set_names(souk_search_segment *seg, souk_search_names *ns)
{
    if (seg->borrowed) { /* a composite has its base's names */
        souk_search_names_free(ns);
        return 0;
    }
    souk_search_names_free(seg->names);
    seg->names = NULL;
    if (!ns)
        return 0;
    size_t keep = 0;
    for (size_t i = 0; i < ns->n; i++) {
        name *nm = &ns->v[i];
        char value[24];
        snprintf(value, sizeof value, "%lld", (long long)nm->id);
        nm->products = facet_count(seg, nm->kind == SOUK_SEARCH_NAME_BRAND ? "brand" : "category", value);
        if (nm->products == 0) {
            free(nm->name);
            free(nm->folded);
            continue;
        }
        ns->v[keep++] = *nm;
    }
    ns->n = keep;
    free(ns->set); /* not needed once loaded */
    ns->set = NULL;
    ns->set_cap = 0;
    seg->names = ns;
    return 0;
}

static bool word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* True when the word W (WLEN bytes) starts some word of the folded name F. */
static bool starts_a_word(const char *f, const char *w, size_t wlen)
{
    for (const char *p = f; *p;) {
        while (*p && !word_byte((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (strncmp(p, w, wlen) == 0)
            return true;
        while (*p && word_byte((unsigned char)*p))
            p++;
    }
    return false;
}

/* A before B in suggestions: more products, then by name. */
static bool before(const name *a, const name *b)
{
    return a->products != b->products ? a->products > b->products : strcmp(a->name, b->name) < 0;
}

long souk_search_names_suggest(const souk_search_segment *seg, souk_search_text *t, souk_search_name_kind kind,
                               const char *q, size_t len, souk_search_name_hit *out, size_t max)
{
    const souk_search_names *ns = seg->names;
    const char *f;
    long flen = souk_search_text_fold(t, q, len, &f);
    if (flen < 0)
        return -1;
    /* the typed words: [start, end) pairs into the folded text */
    size_t ws[SOUK_SEARCH_QUERY_TERMS_MAX], we[SOUK_SEARCH_QUERY_TERMS_MAX], nw = 0;
    for (size_t i = 0; i < (size_t)flen && nw < SOUK_SEARCH_QUERY_TERMS_MAX;) {
        while (i < (size_t)flen && !word_byte((unsigned char)f[i]))
            i++;
        if (i == (size_t)flen)
            break;
        ws[nw] = i;
        while (i < (size_t)flen && word_byte((unsigned char)f[i]))
            i++;
        we[nw++] = i;
    }
    if (!ns || nw == 0 || max == 0)
        return 0;
    const name *top[SOUK_SEARCH_QUERY_TERMS_MAX];
    size_t ntop = 0;
    if (max > SOUK_SEARCH_QUERY_TERMS_MAX)
        max = SOUK_SEARCH_QUERY_TERMS_MAX;
    for (size_t i = 0; i < ns->n; i++) {
        const name *nm = &ns->v[i];
        if (nm->kind != kind)
            continue;
        bool all = true;
        for (size_t w = 0; w < nw && all; w++)
            all = starts_a_word(nm->folded, f + ws[w], we[w] - ws[w]);
        if (!all || (ntop == max && !before(nm, top[ntop - 1])))
            continue;
        size_t at = ntop < max ? ntop++ : max - 1;
        while (at > 0 && before(nm, top[at - 1])) {
            top[at] = top[at - 1];
            at--;
        }
        top[at] = nm;
    }
    for (size_t i = 0; i < ntop; i++)
        out[i] =
            (souk_search_name_hit){(souk_search_name_kind)top[i]->kind, top[i]->id, top[i]->name, top[i]->products};
    return (long)ntop;
}
