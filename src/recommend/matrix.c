/*
 * matrix.c — interactions → the sparse user×item matrix (souk_rec_data).
 *
 * Ids are sorted and made unique (index = rank), each tuple mapped by
 * binary search, the entries bucketed by user (counting sort), each row
 * sorted by item with repeats summed, and the item-major copy made by a
 * second counting pass (which leaves users ascending within an item).
 * O(n log n) time, about 40 bytes per interaction at the peak.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/internal.h"
#include "core/banned.h"

const char *souk_rec_strerror(int rc)
{
    switch (rc) {
    case 0: return "ok";
    case SOUK_REC_E_NOMEM: return "out of memory";
    case SOUK_REC_E_INVAL: return "invalid argument";
    case SOUK_REC_E_LIMIT: return "over a size limit";
    case SOUK_REC_E_BLOB: return "not a valid model blob";
    case SOUK_REC_E_ABORT: return "stopped";
    default: return "unknown error";
    }
}

long souk__rec_find(const int64_t *ids, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ids[lo] == id ? (long)lo : -1;
}

long souk_rec_data_user(const souk_rec_data *d, int64_t user)
{
    return souk__rec_find(d->user_ids, d->nusers, user);
}

long souk_rec_data_item(const souk_rec_data *d, int64_t item)
{
    return souk__rec_find(d->item_ids, d->nitems, item);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts and dedups the N ids at V in place; returns the count. */
static size_t unique(int64_t *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_i64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || v[m - 1] != v[i])
            v[m++] = v[i];
    return m;
}

typedef struct {
    uint32_t item;
    double val;
} entry;

static int cmp_entry(const void *a, const void *b)
{
    uint32_t x = ((const entry *)a)->item, y = ((const entry *)b)->item;
    return (x > y) - (x < y);
}

void souk_rec_data_release(souk_rec_data *d)
{
    free(d->user_ids);
    free(d->item_ids);
    free(d->u_ptr);
    free(d->u_item);
    free(d->u_val);
    free(d->i_ptr);
    free(d->i_user);
    free(d->i_val);
    memset(d, 0, sizeof *d);
}

int souk_rec_data_build(souk_rec_data *d, const souk_rec_interaction *in, size_t n)
{
    memset(d, 0, sizeof *d);
    if (n > SOUK_REC_INTERACTIONS_MAX)
        return SOUK_REC_E_LIMIT;
    if (n && !in)
        return SOUK_REC_E_INVAL;
    int rc = SOUK_REC_E_NOMEM;
    uint32_t *tu = NULL, *ti = NULL;
    entry *ent = NULL;
    size_t *fill = NULL;
    size_t good = 0;
    d->interactions = n;
    d->user_ids = malloc((n ? n : 1) * sizeof *d->user_ids);
    d->item_ids = malloc((n ? n : 1) * sizeof *d->item_ids);
    if (!d->user_ids || !d->item_ids)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (isfinite(in[i].weight) && in[i].weight > 0) {
            d->user_ids[good] = in[i].user;
            d->item_ids[good++] = in[i].item;
        }
    d->dropped = n - good;
    d->nusers = unique(d->user_ids, good);
    d->nitems = unique(d->item_ids, good);
    rc = SOUK_REC_E_LIMIT;
    if (d->nusers > SOUK_REC_ROWS_MAX || d->nitems > SOUK_REC_ROWS_MAX)
        goto fail;
    rc = SOUK_REC_E_NOMEM;
    tu = malloc((good ? good : 1) * sizeof *tu);
    ti = malloc((good ? good : 1) * sizeof *ti);
    d->u_ptr = calloc(d->nusers + 1, sizeof *d->u_ptr);
    d->i_ptr = calloc(d->nitems + 1, sizeof *d->i_ptr);
    ent = malloc((good ? good : 1) * sizeof *ent);
    if (!tu || !ti || !d->u_ptr || !d->i_ptr || !ent)
        goto fail;
    /* map and count per user */
    size_t g = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(isfinite(in[i].weight) && in[i].weight > 0))
            continue;
        tu[g] = (uint32_t)souk__rec_find(d->user_ids, d->nusers, in[i].user);
        ti[g] = (uint32_t)souk__rec_find(d->item_ids, d->nitems, in[i].item);
        d->u_ptr[tu[g] + 1]++;
        g++;
    }
    for (size_t u = 0; u < d->nusers; u++)
        d->u_ptr[u + 1] += d->u_ptr[u];
    fill = malloc((d->nusers + 1) * sizeof *fill);
    if (!fill)
        goto fail;
    memcpy(fill, d->u_ptr, (d->nusers + 1) * sizeof *fill);
    g = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(isfinite(in[i].weight) && in[i].weight > 0))
            continue;
        ent[fill[tu[g]]++] = (entry){ti[g], in[i].weight};
        g++;
    }
    /* sort each row by item, sum repeats, compact */
    size_t nnz = 0;
    for (size_t u = 0; u < d->nusers; u++) {
        size_t a = d->u_ptr[u], b = d->u_ptr[u + 1];
        if (b - a > 1)
            qsort(ent + a, b - a, sizeof *ent, cmp_entry);
        d->u_ptr[u] = nnz;
        for (size_t j = a; j < b; j++) {
            if (nnz > d->u_ptr[u] && ent[nnz - 1].item == ent[j].item)
                ent[nnz - 1].val += ent[j].val;
            else
                ent[nnz++] = ent[j];
        }
    }
    d->u_ptr[d->nusers] = nnz;
    d->nnz = nnz;
    d->u_item = malloc((nnz ? nnz : 1) * sizeof *d->u_item);
    d->u_val = malloc((nnz ? nnz : 1) * sizeof *d->u_val);
    d->i_user = malloc((nnz ? nnz : 1) * sizeof *d->i_user);
    d->i_val = malloc((nnz ? nnz : 1) * sizeof *d->i_val);
    if (!d->u_item || !d->u_val || !d->i_user || !d->i_val)
        goto fail;
    for (size_t j = 0; j < nnz; j++) {
        d->u_item[j] = ent[j].item;
        d->u_val[j] = ent[j].val;
        d->i_ptr[ent[j].item + 1]++;
    }
    for (size_t i = 0; i < d->nitems; i++)
        d->i_ptr[i + 1] += d->i_ptr[i];
    free(fill);
    fill = malloc((d->nitems + 1) * sizeof *fill);
    if (!fill)
        goto fail;
    memcpy(fill, d->i_ptr, (d->nitems + 1) * sizeof *fill);
    for (size_t u = 0; u < d->nusers; u++)
        for (size_t j = d->u_ptr[u]; j < d->u_ptr[u + 1]; j++) {
            size_t at = fill[d->u_item[j]]++;
            d->i_user[at] = (uint32_t)u;
            d->i_val[at] = d->u_val[j];
        }
    free(fill);
    free(ent);
    free(tu);
    free(ti);
    return 0;
fail:
    free(fill);
    free(ent);
    free(tu);
    free(ti);
    souk_rec_data_release(d);
    return rc;
}
