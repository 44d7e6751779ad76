/*
 * blob.c — the model as bytes (souk_rec_model_save / _load), for the model
 * registry. Layout, all little-endian, doubles as IEEE 754 binary64:
 *
 *   offset  size            field
 *   0       8               magic "SOUKREC\0"
 *   8       4               format version (1)
 *   12      4               k, the factors
 *   16      8               nusers
 *   24      8               nitems
 *   32      8               alpha
 *   40      8               lambda
 *   48      8               final training loss
 *   56      4               iterations
 *   60      4               flags (bit 0: log-scaled confidence)
 *   64      8·nusers        user ids, strictly ascending (int64)
 *   …       8·nitems        item ids, strictly ascending
 *   …       4·nitems        popularity (users per item, uint32)
 *   …       8·nusers·k      user factors, row-major
 *   …       8·nitems·k      item factors
 *   len−8   8               FNV-1a 64 of every byte before it
 *
 * The loader trusts nothing: the length must be exactly what the header's
 * sizes say (computed without overflow), the checksum must match, the ids
 * ascend, every number be finite (factors within ±1e150). A new layout gets a new version number;
 * a loader refuses versions it does not know.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/internal.h"
#include "core/banned.h"

#define MAGIC "SOUKREC"
#define VERSION 1
#define HEADER 64

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_f64(unsigned char *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    put_u64(p, v);
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static double get_f64(const unsigned char *p)
{
    uint64_t v = get_u64(p);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* The blob size for the sizes given, or 0 when it would overflow. */
static size_t blob_size(uint64_t nusers, uint64_t nitems, uint64_t k)
{
    if (nusers > SOUK_REC_ROWS_MAX || nitems > SOUK_REC_ROWS_MAX || k > SOUK_REC_FACTORS_MAX)
        return 0;
    /* bounded by the limits: 5·10⁷ · 512 · 8 · 2 < 2⁵⁹, no overflow in 64 bits */
    uint64_t n = HEADER + 8 * nusers + 8 * nitems + 4 * nitems + 8 * nusers * k + 8 * nitems * k + 8;
    return n > SIZE_MAX ? 0 : (size_t)n;
}

int souk_rec_model_save(const souk_rec_model *m, unsigned char **blob, size_t *len)
{
    *blob = NULL;
    *len = 0;
    size_t n = blob_size(m->nusers, m->nitems, m->k);
    if (n == 0)
        return SOUK_REC_E_LIMIT;
    unsigned char *b = malloc(n), *p = b;
    if (!b)
        return SOUK_REC_E_NOMEM;
    memcpy(p, MAGIC, 8); /* with its NUL */
    put_u32(p + 8, VERSION);
    put_u32(p + 12, m->k);
    put_u64(p + 16, m->nusers);
    put_u64(p + 24, m->nitems);
    put_f64(p + 32, m->alpha);
    put_f64(p + 40, m->lambda);
    put_f64(p + 48, m->loss);
    put_u32(p + 56, m->iterations);
    put_u32(p + 60, m->log_scale ? 1 : 0);
    p += HEADER;
    for (size_t i = 0; i < m->nusers; i++, p += 8)
        put_u64(p, (uint64_t)m->user_ids[i]);
    for (size_t i = 0; i < m->nitems; i++, p += 8)
        put_u64(p, (uint64_t)m->item_ids[i]);
    for (size_t i = 0; i < m->nitems; i++, p += 4)
        put_u32(p, m->popularity[i]);
    for (size_t i = 0; i < m->nusers * m->k; i++, p += 8)
        put_f64(p, m->x[i]);
    for (size_t i = 0; i < m->nitems * m->k; i++, p += 8)
        put_f64(p, m->y[i]);
    put_u64(p, fnv1a(b, n - 8));
    *blob = b;
    *len = n;
    return 0;
}

static int ids_ok(const unsigned char *p, size_t n, int64_t *out)
{
    for (size_t i = 0; i < n; i++, p += 8) {
        out[i] = (int64_t)get_u64(p);
        if (i > 0 && out[i] <= out[i - 1])
            return 0;
    }
    return 1;
}

static int floats_ok(const unsigned char *p, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++, p += 8) {
        out[i] = get_f64(p);
        if (!(fabs(out[i]) <= 1e150)) /* finite, and squares that stay finite */
            return 0;
    }
    return 1;
}

int souk_rec_model_load(const unsigned char *blob, size_t len, souk_rec_model **out)
{
    *out = NULL;
    if (!blob || len < HEADER + 8 || memcmp(blob, MAGIC, 8) != 0 || get_u32(blob + 8) != VERSION)
        return SOUK_REC_E_BLOB;
    uint32_t k = get_u32(blob + 12), iterations = get_u32(blob + 56), flags = get_u32(blob + 60);
    uint64_t nusers = get_u64(blob + 16), nitems = get_u64(blob + 24);
    double alpha = get_f64(blob + 32), lambda = get_f64(blob + 40), loss = get_f64(blob + 48);
    if (k < 1 || k > SOUK_REC_FACTORS_MAX || iterations > SOUK_REC_ITERATIONS_MAX || flags > 1 || !isfinite(alpha) ||
        !isfinite(lambda) || !isfinite(loss))
        return SOUK_REC_E_BLOB;
    size_t n = blob_size(nusers, nitems, k);
    if (n == 0 || n != len || fnv1a(blob, len - 8) != get_u64(blob + len - 8))
        return SOUK_REC_E_BLOB;
    struct souk_rec_model *m = malloc(sizeof *m);
    if (!m)
        return SOUK_REC_E_NOMEM;
    int rc = souk__rec_model_alloc(m, (size_t)nusers, (size_t)nitems, k);
    if (rc < 0) {
        souk_rec_model_free(m);
        return rc;
    }
    m->alpha = alpha;
    m->lambda = lambda;
    m->loss = loss;
    m->iterations = iterations;
    m->log_scale = flags & 1;
    const unsigned char *p = blob + HEADER;
    rc = SOUK_REC_E_BLOB;
    if (!ids_ok(p, m->nusers, m->user_ids))
        goto fail;
    p += 8 * m->nusers;
    if (!ids_ok(p, m->nitems, m->item_ids))
        goto fail;
    p += 8 * m->nitems;
    for (size_t i = 0; i < m->nitems; i++, p += 4)
        m->popularity[i] = get_u32(p);
    if (!floats_ok(p, m->nusers * k, m->x))
        goto fail;
    p += 8 * m->nusers * k;
    if (!floats_ok(p, m->nitems * k, m->y))
        goto fail;
    if ((rc = souk__rec_model_finish(m)) < 0)
        goto fail;
    *out = m;
    return 0;
fail:
    souk_rec_model_free(m);
    return rc;
}
