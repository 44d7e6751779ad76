/*
 * tfidf.c — content similarity over the caller's item texts.
 *
 * Tokeniser (deliberately simple, language-agnostic, no stemming): bytes
 * A–Z are lowercased; a token is a maximal run of ASCII letters, digits and
 * bytes ≥ 0x80 (so UTF-8 words stay whole); tokens of 1 byte or longer than
 * TOKEN_MAX are dropped. Each field is read up to FIELD_MAX bytes. The
 * title's tokens count TITLE_WEIGHT times, the other fields' once.
 *
 * Weights: w(t, d) = tf(t, d)·idf(t), tf the weighted count, idf(t) =
 * ln((1 + N)/(1 + df(t))) + 1 (smoothed, so a term in every document still
 * counts a little); each document vector is L2-normalised, so the cosine is
 * a dot product. Similar items: accumulate the dot over the postings of the
 * query item's terms (O(Σ postings of its terms)).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/internal.h"
#include "core/banned.h"

#define TOKEN_MAX 64
#define FIELD_MAX 65536
#define TITLE_WEIGHT 2.0

/* ---- the term dictionary: open addressing over token strings ---- */

typedef struct {
    char *pool;
    size_t pool_len, pool_cap;
    size_t *off;    /* term → offset in pool */
    uint8_t *len;   /* term → length */
    size_t n, cap;  /* terms */
    uint32_t *slot; /* hash slots: term + 1, 0 = empty */
    size_t nslots;
} dict;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static int dict_grow_slots(dict *d)
{
    size_t ns = d->nslots ? d->nslots * 2 : 1024;
    uint32_t *slot = calloc(ns, sizeof *slot);
    if (!slot)
        return -1;
    for (size_t t = 0; t < d->n; t++) {
        size_t h = hash_bytes(d->pool + d->off[t], d->len[t]) & (ns - 1);
        while (slot[h])
            h = (h + 1) & (ns - 1);
        slot[h] = (uint32_t)t + 1;
    }
    free(d->slot);
    d->slot = slot;
    d->nslots = ns;
    return 0;
}

/* The term id of the N bytes at S, added when new; -1 when memory runs out. */
static long dict_id(dict *d, const char *s, size_t n)
{
    if ((d->n + 1) * 2 > d->nslots && dict_grow_slots(d) < 0)
        return -1;
    size_t h = hash_bytes(s, n) & (d->nslots - 1);
    while (d->slot[h]) {
        size_t t = d->slot[h] - 1;
        if (d->len[t] == n && memcmp(d->pool + d->off[t], s, n) == 0)
            return (long)t;
        h = (h + 1) & (d->nslots - 1);
    }
    if (d->n >= UINT32_MAX - 1)
        return -1;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        size_t *off = realloc(d->off, cap * sizeof *off);
        if (!off)
            return -1;
        d->off = off;
        uint8_t *len = realloc(d->len, cap * sizeof *len);
        if (!len)
            return -1;
        d->len = len;
        d->cap = cap;
    }
    if (d->pool_len + n > d->pool_cap) {
        size_t cap = d->pool_cap ? d->pool_cap * 2 : 65536;
        while (cap < d->pool_len + n)
            cap *= 2;
        char *pool = realloc(d->pool, cap);
        if (!pool)
            return -1;
        d->pool = pool;
        d->pool_cap = cap;
    }
    memcpy(d->pool + d->pool_len, s, n);
    d->off[d->n] = d->pool_len;
    d->len[d->n] = (uint8_t)n;
    d->pool_len += n;
    d->slot[h] = (uint32_t)d->n + 1;
    return (long)d->n++;
}

static void dict_release(dict *d)
{
    free(d->pool);
    free(d->off);
    free(d->len);
    free(d->slot);
}

/* ---- tokenising into (term, weight) pairs of one document ---- */

typedef struct {
    uint32_t term;
    double w;
} tw;

typedef struct {
    tw *v;
    size_t n, cap;
} tw_list;

static int is_tok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static int add_field(dict *d, tw_list *l, const char *s, double weight)
{
    if (!s)
        return 0;
    size_t len = strnlen(s, FIELD_MAX);
    char tok[TOKEN_MAX];
    size_t i = 0;
    while (i < len) {
        while (i < len && !is_tok((unsigned char)s[i]))
            i++;
        size_t start = i;
        while (i < len && is_tok((unsigned char)s[i]))
            i++;
        size_t n = i - start;
        if (n < 2 || n > TOKEN_MAX)
            continue;
        for (size_t j = 0; j < n; j++) {
            unsigned char c = (unsigned char)s[start + j];
            tok[j] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        long t = dict_id(d, tok, n);
        if (t < 0)
            return -1;
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 64;
            tw *v = realloc(l->v, cap * sizeof *v);
            if (!v)
                return -1;
            l->v = v;
            l->cap = cap;
        }
        l->v[l->n++] = (tw){(uint32_t)t, weight};
    }
    return 0;
}

static int cmp_tw(const void *a, const void *b)
{
    uint32_t x = ((const tw *)a)->term, y = ((const tw *)b)->term;
    return (x > y) - (x < y);
}

typedef struct {
    int64_t item;
    size_t pos;
} order;

static int cmp_order(const void *a, const void *b)
{
    const order *x = a, *y = b;
    if (x->item != y->item)
        return x->item < y->item ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

void souk_rec_tfidf_free(souk_rec_tfidf *t)
{
    if (!t)
        return;
    free(t->item_ids);
    free(t->d_ptr);
    free(t->d_term);
    free(t->d_w);
    free(t->t_ptr);
    free(t->t_doc);
    free(t->t_w);
    free(t);
}

int souk_rec_tfidf_build(const souk_rec_doc *docs, size_t n, souk_rec_tfidf **out)
{
    *out = NULL;
    if (n && !docs)
        return SOUK_REC_E_INVAL;
    if (n > SOUK_REC_ROWS_MAX)
        return SOUK_REC_E_LIMIT;
    int rc = SOUK_REC_E_NOMEM;
    struct souk_rec_tfidf *t = calloc(1, sizeof *t);
    order *ord = malloc((n ? n : 1) * sizeof *ord);
    dict d = {0};
    tw_list l = {0};
    tw *all = NULL;
    size_t nall = 0, cap_all = 0, *df = NULL;
    if (!t || !ord)
        goto done;
    for (size_t i = 0; i < n; i++)
        ord[i] = (order){docs[i].item, i};
    if (n > 1)
        qsort(ord, n, sizeof *ord, cmp_order);
    size_t nd = 0;
    for (size_t i = 0; i < n; i++)
        if (!nd || ord[nd - 1].item != ord[i].item)
            ord[nd++] = ord[i];
    t->ndocs = nd;
    t->item_ids = malloc((nd ? nd : 1) * sizeof *t->item_ids);
    t->d_ptr = calloc(nd + 1, sizeof *t->d_ptr);
    if (!t->item_ids || !t->d_ptr)
        goto done;
    /* documents → sorted, merged (term, tf) lists, concatenated in ALL */
    for (size_t i = 0; i < nd; i++) {
        const souk_rec_doc *doc = &docs[ord[i].pos];
        t->item_ids[i] = doc->item;
        l.n = 0;
        if (add_field(&d, &l, doc->title, TITLE_WEIGHT) < 0 || add_field(&d, &l, doc->description, 1) < 0 ||
            add_field(&d, &l, doc->attributes, 1) < 0 || add_field(&d, &l, doc->category, 1) < 0)
            goto done;
        if (l.n > 1)
            qsort(l.v, l.n, sizeof *l.v, cmp_tw);
        size_t m = 0;
        for (size_t j = 0; j < l.n; j++) {
            if (m && l.v[m - 1].term == l.v[j].term)
                l.v[m - 1].w += l.v[j].w;
            else
                l.v[m++] = l.v[j];
        }
        if (nall + m > cap_all) {
            size_t cap = cap_all ? cap_all * 2 : 4096;
            while (cap < nall + m)
                cap *= 2;
            tw *v = realloc(all, cap * sizeof *v);
            if (!v)
                goto done;
            all = v;
            cap_all = cap;
        }
        memcpy(all + nall, l.v, m * sizeof *l.v);
        nall += m;
        t->d_ptr[i + 1] = nall;
    }
    t->nterms = d.n;
    df = calloc(d.n ? d.n : 1, sizeof *df);
    t->d_term = malloc((nall ? nall : 1) * sizeof *t->d_term);
    t->d_w = malloc((nall ? nall : 1) * sizeof *t->d_w);
    t->t_ptr = calloc(d.n + 1, sizeof *t->t_ptr);
    t->t_doc = malloc((nall ? nall : 1) * sizeof *t->t_doc);
    t->t_w = malloc((nall ? nall : 1) * sizeof *t->t_w);
    if (!df || !t->d_term || !t->d_w || !t->t_ptr || !t->t_doc || !t->t_w)
        goto done;
    for (size_t e = 0; e < nall; e++)
        df[all[e].term]++;
    for (size_t i = 0; i < nd; i++) {
        double norm = 0;
        for (size_t e = t->d_ptr[i]; e < t->d_ptr[i + 1]; e++) {
            double w = all[e].w * (log((1.0 + (double)nd) / (1.0 + (double)df[all[e].term])) + 1.0);
            t->d_term[e] = all[e].term;
            t->d_w[e] = w;
            norm += w * w;
        }
        norm = sqrt(norm);
        for (size_t e = t->d_ptr[i]; e < t->d_ptr[i + 1]; e++)
            t->d_w[e] = norm > 0 ? t->d_w[e] / norm : 0;
    }
    for (size_t j = 0; j < d.n; j++)
        t->t_ptr[j + 1] = t->t_ptr[j] + df[j];
    memset(df, 0, d.n * sizeof *df); /* now: fill counts */
    for (size_t i = 0; i < nd; i++)
        for (size_t e = t->d_ptr[i]; e < t->d_ptr[i + 1]; e++) {
            uint32_t term = t->d_term[e];
            size_t at = t->t_ptr[term] + df[term]++;
            t->t_doc[at] = (uint32_t)i;
            t->t_w[at] = t->d_w[e];
        }
    rc = 0;
done:
    free(ord);
    free(l.v);
    free(all);
    free(df);
    dict_release(&d);
    if (rc < 0) {
        souk_rec_tfidf_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void souk__rec_tfidf_dots(const struct souk_rec_tfidf *t, size_t q, double *score, uint32_t *touched, size_t *nt)
{
    size_t n = 0;
    for (size_t e = t->d_ptr[q]; e < t->d_ptr[q + 1]; e++) {
        uint32_t term = t->d_term[e];
        double wq = t->d_w[e];
        for (size_t f = t->t_ptr[term]; f < t->t_ptr[term + 1]; f++) {
            uint32_t doc = t->t_doc[f];
            if (score[doc] == 0)
                touched[n++] = doc;
            score[doc] += wq * t->t_w[f];
        }
    }
    *nt = n;
}

long souk_rec_tfidf_similar(const souk_rec_tfidf *t, int64_t item, souk_rec_keep_fn keep, void *keep_ctx, size_t k,
                            souk_rec_scored *out)
{
    if (!t || k < 1 || k > SOUK_REC_K_MAX || !out)
        return SOUK_REC_E_INVAL;
    long q = souk__rec_find(t->item_ids, t->ndocs, item);
    if (q < 0)
        return 0;
    double *score = calloc(t->ndocs, sizeof *score);
    uint32_t *touched = malloc(t->ndocs * sizeof *touched);
    souk__rec_top top = {0};
    if (!score || !touched || souk__rec_top_init(&top, k) < 0) {
        free(score);
        free(touched);
        return SOUK_REC_E_NOMEM;
    }
    size_t nt;
    souk__rec_tfidf_dots(t, (size_t)q, score, touched, &nt);
    for (size_t j = 0; j < nt; j++) {
        uint32_t doc = touched[j];
        if ((long)doc == q || score[doc] <= 0 || (keep && !keep(keep_ctx, t->item_ids[doc])))
            continue;
        souk__rec_top_push(&top, score[doc], doc);
    }
    size_t n = souk__rec_top_sort(&top);
    for (size_t j = 0; j < n; j++)
        out[j] = (souk_rec_scored){t->item_ids[top.idx[j]], top.score[j]};
    souk__rec_top_release(&top);
    free(score);
    free(touched);
    return (long)n;
}

double souk_rec_tfidf_cosine(const souk_rec_tfidf *t, int64_t a, int64_t b)
{
    long i = souk__rec_find(t->item_ids, t->ndocs, a), j = souk__rec_find(t->item_ids, t->ndocs, b);
    if (i < 0 || j < 0)
        return 0;
    double s = 0;
    size_t e = t->d_ptr[i], f = t->d_ptr[j];
    while (e < t->d_ptr[i + 1] && f < t->d_ptr[j + 1]) {
        if (t->d_term[e] == t->d_term[f])
            s += t->d_w[e++] * t->d_w[f++];
        else if (t->d_term[e] < t->d_term[f])
            e++;
        else
            f++;
    }
    return s;
}
