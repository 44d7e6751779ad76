/*
 * build.c — the segment builder.
 *
 * Each added document is analysed field by field; its (term, field,
 * position) triples are sorted and folded into one entry per term (term
 * frequency per field, positions), appended to one list in document order.
 * Finishing sorts the dictionaries and scatters the entries into postings by
 * term, which keeps every posting list in document order without a sort.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "search/internal.h"
#include "search/text.h"
#include "core/grow.h"
#include "core/banned.h"

#define NF SOUK_SEARCH_NFIELDS

typedef struct {
    uint32_t term, doc, pos_start;
    uint16_t npos;
    uint8_t tf[NF];
} entry;

typedef struct {
    uint32_t term;
    uint32_t fpos; /* field << 24 | position */
} triple;

typedef struct {
    uint32_t off, len, doc;
} sku_item;

struct souk_search_builder {
    souk_search_text text;
    char language[32];
    souk__search_strtab terms, words, facets, dims;
    uint32_t *word_term;
    size_t word_term_cap;
    roaring_bitmap_t **fv_bm;
    size_t fv_cap;
    uint32_t *doc_fv; /* each document's facet value ids (builder ids), from doc_fv_off[doc] */
    size_t ndoc_fv, doc_fv_cap;
    uint32_t *doc_fv_off;
    size_t doc_fv_off_cap;
    entry *ents;
    size_t nents, ents_cap;
    uint32_t *pos;
    size_t npos, pos_cap;
    triple *tri;
    size_t tri_cap;

    uint32_t ndocs;
    size_t docs_cap;
    int64_t *ext_id, *price, *created;
    float *popularity, *rating;
    uint8_t *in_stock;
    uint16_t *flen;
    roaring_bitmap_t *in_stock_bm;

    char *sku_blob;
    size_t sku_blob_len, sku_blob_cap;
    sku_item *skus;
    size_t nskus, skus_cap;
    bool broken;
};

int souk_search_builder_new(souk_search_builder **out, const char *language)
{
    *out = NULL;
    if (language && strlen(language) >= sizeof((souk_search_builder *)0)->language)
        return SOUK_SEARCH_BUILD_INVALID;
    souk_search_builder *b = calloc(1, sizeof *b);
    if (!b)
        return SOUK_SEARCH_BUILD_NOMEM;
    int rc = souk_search_text_init(&b->text, language);
    if (rc < 0) {
        free(b);
        return rc == -1 ? SOUK_SEARCH_BUILD_INVALID : SOUK_SEARCH_BUILD_NOMEM;
    }
    memcpy(b->language, language ? language : "english", strlen(language ? language : "english") + 1);
    b->in_stock_bm = roaring_bitmap_create();
    if (!b->in_stock_bm) {
        souk_search_builder_free(b);
        return SOUK_SEARCH_BUILD_NOMEM;
    }
    *out = b;
    return 0;
}

void souk_search_builder_free(souk_search_builder *b)
{
    if (!b)
        return;
    souk_search_text_release(&b->text);
    for (uint32_t i = 0; i < b->facets.n; i++)
        roaring_bitmap_free(b->fv_bm[i]);
    souk__search_strtab_release(&b->terms);
    souk__search_strtab_release(&b->words);
    souk__search_strtab_release(&b->facets);
    souk__search_strtab_release(&b->dims);
    free(b->word_term);
    free(b->fv_bm);
    free(b->doc_fv);
    free(b->doc_fv_off);
    free(b->ents);
    free(b->pos);
    free(b->tri);
    free(b->ext_id);
    free(b->price);
    free(b->created);
    free(b->popularity);
    free(b->rating);
    free(b->in_stock);
    free(b->flen);
    if (b->in_stock_bm)
        roaring_bitmap_free(b->in_stock_bm);
    free(b->sku_blob);
    free(b->skus);
    free(b);
}

uint32_t souk_search_builder_count(const souk_search_builder *b)
{
    return b->ndocs;
}

static bool dim_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-' || c == ':'))
            return false;
    }
    return true;
}

static int validate(const souk_search_builder *b, const souk_search_doc *d)
{
    if (d->id <= 0 || d->nfacets > SOUK_SEARCH_FACETS_PER_DOC_MAX || (d->nfacets && !d->facets) ||
        (d->nskus && !d->skus))
        return -1;
    if (!isfinite(d->popularity) || d->popularity < 0 || !isfinite(d->rating) || d->rating > 5)
        return -1;
    uint32_t new_dims = 0;
    for (size_t i = 0; i < d->nfacets; i++) {
        const souk_search_facet_value *f = &d->facets[i];
        if (!f->dim || !f->value || !dim_name_ok(f->dim))
            return -1;
        size_t vl = strlen(f->value);
        if (vl == 0 || vl > SOUK_SEARCH_FACET_TEXT_MAX)
            return -1;
        /* a dimension not seen yet counts against the limit */
        bool known = false;
        for (uint32_t k = 0; k < b->dims.n && !known; k++)
            known = strcmp(b->dims.blob + b->dims.off[k], f->dim) == 0;
        if (!known)
            new_dims++;
    }
    return b->dims.n + new_dims > SOUK_SEARCH_DIMS_MAX ? -1 : 0;
}

static int by_triple(const void *x, const void *y)
{
    const triple *a = x, *b = y;
    if (a->term != b->term)
        return a->term < b->term ? -1 : 1;
    return a->fpos < b->fpos ? -1 : a->fpos > b->fpos;
}

/* Reallocates the array *PP to N elements of ELEM bytes; 0, or -1 with *PP
 * as it was (the per-document columns grow together, sharing docs_cap) */
static int regrow(void *pp, size_t n, size_t elem)
{
    void *p;
    memcpy(&p, pp, sizeof p);
    if (n > SIZE_MAX / elem || !(p = realloc(p, n * elem)))
        return -1;
    memcpy(pp, &p, sizeof p);
    return 0;
}

static int add_columns(souk_search_builder *b, const souk_search_doc *d)
{
    if ((size_t)b->ndocs + 1 > b->docs_cap) {
        size_t n = b->docs_cap ? b->docs_cap * 2 : 1024;
        if (regrow(&b->ext_id, n, sizeof *b->ext_id) || regrow(&b->price, n, sizeof *b->price) ||
            regrow(&b->created, n, sizeof *b->created) || regrow(&b->popularity, n, sizeof *b->popularity) ||
            regrow(&b->rating, n, sizeof *b->rating) || regrow(&b->in_stock, n, sizeof *b->in_stock) ||
            regrow(&b->flen, n * NF, sizeof *b->flen))
            return -1; /* the columns grown so far keep their contents; docs_cap stays */
        b->docs_cap = n;
    }
    uint32_t doc = b->ndocs;
    b->ext_id[doc] = d->id;
    b->price[doc] = d->price < 0 ? -1 : d->price;
    b->created[doc] = d->created;
    b->popularity[doc] = (float)d->popularity;
    b->rating[doc] = d->rating < 0 ? -1.0f : (float)d->rating;
    b->in_stock[doc] = d->in_stock;
    if (d->in_stock)
        roaring_bitmap_add(b->in_stock_bm, doc);
    return 0;
}

static int add_facets(souk_search_builder *b, const souk_search_doc *d, uint32_t doc)
{
    if (souk_grow(&b->doc_fv_off, &b->doc_fv_off_cap, (size_t)doc + 2, sizeof *b->doc_fv_off) < 0 ||
        souk_grow(&b->doc_fv, &b->doc_fv_cap, b->ndoc_fv + d->nfacets, sizeof *b->doc_fv) < 0)
        return -1;
    size_t first = b->ndoc_fv;
    b->doc_fv_off[doc] = (uint32_t)first;
    for (size_t i = 0; i < d->nfacets; i++) {
        const souk_search_facet_value *f = &d->facets[i];
        char key[64 + 1 + SOUK_SEARCH_FACET_TEXT_MAX];
        size_t dl = strlen(f->dim), vl = strlen(f->value);
        memcpy(key, f->dim, dl);
        key[dl] = '\x1f'; /* below every character a dimension name may have: sorts by dimension first */
        memcpy(key + dl + 1, f->value, vl);
        if (souk__search_strtab_intern(&b->dims, f->dim, dl, NULL) < 0)
            return -1;
        int added;
        long id = souk__search_strtab_intern(&b->facets, key, dl + 1 + vl, &added);
        if (id < 0)
            return -1;
        if (added) {
            if (souk_grow(&b->fv_bm, &b->fv_cap, (size_t)id + 1, sizeof *b->fv_bm) < 0)
                return -1;
            b->fv_bm[id] = roaring_bitmap_create();
            if (!b->fv_bm[id]) {
                b->facets.n--; /* keep free() from meeting an unset bitmap */
                return -1;
            }
        }
        roaring_bitmap_add(b->fv_bm[id], doc);
        bool seen = false;
        for (size_t k = first; k < b->ndoc_fv && !seen; k++)
            seen = b->doc_fv[k] == (uint32_t)id;
        if (!seen)
            b->doc_fv[b->ndoc_fv++] = (uint32_t)id;
    }
    b->doc_fv_off[doc + 1] = (uint32_t)b->ndoc_fv;
    return 0;
}

static int add_sku(souk_search_builder *b, const char *sku, uint32_t doc)
{
    const char *folded;
    long n = souk_search_text_fold(&b->text, sku, strlen(sku), &folded);
    if (n < 0)
        return -1;
    size_t s = 0, e = (size_t)n;
    while (s < e && folded[s] == ' ')
        s++;
    while (e > s && folded[e - 1] == ' ')
        e--;
    if (e == s || e - s > 255)
        return 0;
    if (souk_grow(&b->sku_blob, &b->sku_blob_cap, b->sku_blob_len + (e - s) + 1, 1) < 0 ||
        souk_grow(&b->skus, &b->skus_cap, b->nskus + 1, sizeof *b->skus) < 0)
        return -1;
    memcpy(b->sku_blob + b->sku_blob_len, folded + s, e - s);
    b->sku_blob[b->sku_blob_len + (e - s)] = '\0';
    b->skus[b->nskus++] = (sku_item){(uint32_t)b->sku_blob_len, (uint32_t)(e - s), doc};
    b->sku_blob_len += e - s + 1;
    return 0;
}

/* Analyses DOC's fields into b->tri; returns the number of triples or -1. */
static long analyse_fields(souk_search_builder *b, const souk_search_doc *d, uint32_t doc)
{
    size_t ntri = 0;
    for (int f = 0; f < NF; f++) {
        b->flen[(size_t)doc * NF + f] = 0;
        if (!d->field[f])
            continue;
        long n = souk_search_text_analyse(&b->text, d->field[f], strlen(d->field[f]), 0, 0);
        if (n < 0)
            return -1;
        if (souk_grow(&b->tri, &b->tri_cap, ntri + (size_t)n, sizeof *b->tri) < 0)
            return -1;
        uint32_t maxpos = 0;
        for (long k = 0; k < n; k++) {
            const souk_search_token *t = &b->text.toks[k];
            long tid = souk__search_strtab_intern(&b->terms, t->text, t->len, NULL);
            int added;
            long wid = tid < 0 ? -1 : souk__search_strtab_intern(&b->words, t->surface, t->surface_len, &added);
            if (wid < 0)
                return -1;
            if (added) {
                if (souk_grow(&b->word_term, &b->word_term_cap, (size_t)wid + 1, sizeof *b->word_term) < 0)
                    return -1;
                b->word_term[wid] = (uint32_t)tid;
            }
            uint32_t p = t->pos > 0xFFFFFF ? 0xFFFFFF : t->pos;
            b->tri[ntri++] = (triple){(uint32_t)tid, (uint32_t)f << 24 | p};
            if (p + 1 > maxpos)
                maxpos = p + 1;
        }
        b->flen[(size_t)doc * NF + f] = maxpos > UINT16_MAX ? UINT16_MAX : (uint16_t)maxpos;
    }
    return (long)ntri;
}

int souk_search_builder_add(souk_search_builder *b, const souk_search_doc *d)
{
    if (b->broken)
        return SOUK_SEARCH_BUILD_NOMEM;
    if (validate(b, d) < 0)
        return SOUK_SEARCH_BUILD_INVALID;
    if (b->ndocs >= SOUK_SEARCH_DOCS_MAX)
        return SOUK_SEARCH_BUILD_FULL;
    uint32_t doc = b->ndocs;
    if (add_columns(b, d) < 0)
        goto nomem;
    long ntri = analyse_fields(b, d, doc);
    if (ntri < 0)
        goto nomem;
    souk_sort(b->tri, (size_t)ntri, sizeof *b->tri, by_triple);
    for (size_t i = 0; i < (size_t)ntri;) {
        size_t j = i;
        if (souk_grow(&b->ents, &b->ents_cap, b->nents + 1, sizeof *b->ents) < 0 ||
            souk_grow(&b->pos, &b->pos_cap, b->npos + (size_t)ntri, sizeof *b->pos) < 0)
            goto nomem;
        entry *e = &b->ents[b->nents++];
        memset(e, 0, sizeof *e);
        e->term = b->tri[i].term;
        e->doc = doc;
        e->pos_start = (uint32_t)b->npos;
        for (; j < (size_t)ntri && b->tri[j].term == e->term; j++) {
            if (j > i && b->tri[j].fpos == b->tri[j - 1].fpos)
                continue; /* one position once */
            uint32_t f = SOUK__SEARCH_POS_FIELD(b->tri[j].fpos);
            if (e->tf[f] < 255)
                e->tf[f]++;
            if (e->npos < UINT16_MAX) {
                b->pos[b->npos++] = b->tri[j].fpos;
                e->npos++;
            }
        }
        i = j;
    }
    if (b->npos > UINT32_MAX - 65536 || b->nents > UINT32_MAX - 1)
        goto nomem;
    if (add_facets(b, d, doc) < 0)
        goto nomem;
    for (size_t i = 0; i < d->nskus; i++)
        if (d->skus[i] && add_sku(b, d->skus[i], doc) < 0)
            goto nomem;
    if (!d->nskus && d->field[SOUK_SEARCH_F_SKU] && add_sku(b, d->field[SOUK_SEARCH_F_SKU], doc) < 0)
        goto nomem;
    b->ndocs++;
    return 0;
nomem:
    b->broken = true;
    return SOUK_SEARCH_BUILD_NOMEM;
}

typedef struct {
    const char *s;
    uint32_t len, doc;
} sku_sort;

static int by_sku(const void *x, const void *y)
{
    const sku_sort *a = x, *b = y;
    int c = souk__search_cmp(a->s, a->len, b->s, b->len);
    return c ? c : (a->doc > b->doc) - (a->doc < b->doc);
}

static int by_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* postings: entries scattered by sorted term */
static int finish_postings(souk_search_builder *b, souk_search_segment *s)
{
    uint32_t nt = b->terms.n;
    uint32_t *rank = malloc(sizeof *rank * (nt ? nt : 1));
    uint32_t *next = NULL;
    uint32_t *slot = NULL;
    int rc = -1;
    if (!rank || souk__search_strtab_sorted(&b->terms, &s->terms, rank) < 0)
        goto out;
    s->npost = (uint32_t)b->nents;
    s->term_post = calloc((size_t)nt + 1, sizeof *s->term_post);
    s->post_doc = malloc(sizeof *s->post_doc * (b->nents ? b->nents : 1));
    s->post_tf = malloc((size_t)NF * (b->nents ? b->nents : 1));
    s->post_pos = malloc(sizeof *s->post_pos * (b->nents + 1));
    s->pos = malloc(sizeof *s->pos * (b->npos ? b->npos : 1));
    next = malloc(sizeof *next * (nt ? nt : 1));
    slot = malloc(sizeof *slot * (b->nents ? b->nents : 1));
    if (!s->term_post || !s->post_doc || !s->post_tf || !s->post_pos || !s->pos || !next || !slot)
        goto out;
    for (size_t i = 0; i < b->nents; i++)
        s->term_post[rank[b->ents[i].term] + 1]++;
    for (uint32_t t = 0; t < nt; t++) {
        s->term_post[t + 1] += s->term_post[t];
        next[t] = s->term_post[t];
    }
    for (size_t i = 0; i < b->nents; i++)
        slot[next[rank[b->ents[i].term]]++] = (uint32_t)i;
    uint32_t at = 0;
    for (uint32_t k = 0; k < s->npost; k++) {
        const entry *e = &b->ents[slot[k]];
        s->post_doc[k] = e->doc;
        memcpy(s->post_tf + (size_t)k * NF, e->tf, NF);
        s->post_pos[k] = at;
        memcpy(s->pos + at, b->pos + e->pos_start, sizeof *s->pos * e->npos);
        at += e->npos;
    }
    s->post_pos[s->npost] = at;
    /* words: each to its term's sorted index */
    uint32_t nw = b->words.n;
    uint32_t *wrank = malloc(sizeof *wrank * (nw ? nw : 1));
    s->word_term = malloc(sizeof *s->word_term * (nw ? nw : 1));
    s->word_chars = malloc(nw ? nw : 1);
    if (!wrank || !s->word_term || !s->word_chars || souk__search_strtab_sorted(&b->words, &s->words, wrank) < 0) {
        free(wrank);
        goto out;
    }
    for (uint32_t w = 0; w < nw; w++) {
        uint32_t r = wrank[w];
        s->word_term[r] = rank[b->word_term[w]];
        size_t c = souk_search_utf8_chars(b->words.blob + b->words.off[w], b->words.lens[w]);
        s->word_chars[r] = c > 255 ? 255 : (uint8_t)c;
    }
    free(wrank);
    rc = 0;
out:
    free(rank);
    free(next);
    free(slot);
    return rc;
}

static int finish_facets(souk_search_builder *b, souk_search_segment *s)
{
    uint32_t nf = b->facets.n, nd = b->dims.n;
    uint32_t *rank = malloc(sizeof *rank * (nf ? nf : 1));
    uint32_t *drank = malloc(sizeof *drank * (nd ? nd : 1));
    souk__search_strs keys = {0};
    int rc = -1;
    if (!rank || !drank || souk__search_strtab_sorted(&b->facets, &keys, rank) < 0 ||
        souk__search_strtab_sorted(&b->dims, &s->dims, drank) < 0)
        goto out;
    s->fv_bm = calloc(nf ? nf : 1, sizeof *s->fv_bm);
    s->dim_first = calloc((size_t)nd + 1, sizeof *s->dim_first);
    s->fv.off = malloc(sizeof *s->fv.off * ((size_t)nf + 1));
    s->fv.blob = malloc(keys.off[nf] ? keys.off[nf] : 1);
    if (!s->fv_bm || !s->dim_first || !s->fv.off || !s->fv.blob)
        goto out;
    for (uint32_t id = 0; id < nf; id++) {
        s->fv_bm[rank[id]] = b->fv_bm[id];
        roaring_bitmap_run_optimize(b->fv_bm[id]);
    }
    b->facets.n = 0; /* the bitmaps belong to the segment now */
    /* the forward lists, in sorted ids, each sorted */
    s->doc_fv_off = malloc(sizeof *s->doc_fv_off * ((size_t)s->ndocs + 1));
    s->doc_fv = malloc(sizeof *s->doc_fv * (b->ndoc_fv ? b->ndoc_fv : 1));
    if (!s->doc_fv_off || !s->doc_fv)
        goto out;
    for (uint32_t doc = 0; doc <= s->ndocs; doc++)
        s->doc_fv_off[doc] = doc < s->ndocs && b->doc_fv_off ? b->doc_fv_off[doc] : (uint32_t)b->ndoc_fv;
    for (size_t k = 0; k < b->ndoc_fv; k++)
        s->doc_fv[k] = rank[b->doc_fv[k]];
    for (uint32_t doc = 0; doc < s->ndocs; doc++)
        souk_sort(s->doc_fv + s->doc_fv_off[doc], s->doc_fv_off[doc + 1] - s->doc_fv_off[doc], sizeof *s->doc_fv,
                  by_u32);
    s->fv.n = nf;
    /* sorted keys are "dim\x1fvalue", grouped by dimension in the dims' order */
    uint32_t at = 0, d = 0;
    for (uint32_t i = 0; i < nf; i++) {
        size_t kl;
        const char *k = souk__search_str(&keys, i, &kl);
        const char *sep = memchr(k, '\x1f', kl);
        size_t dl = (size_t)(sep - k);
        while (d < nd) {
            size_t l;
            const char *dn = souk__search_str(&s->dims, d, &l);
            if (l == dl && memcmp(dn, k, dl) == 0)
                break;
            s->dim_first[++d] = i;
        }
        s->fv.off[i] = at;
        memcpy(s->fv.blob + at, sep + 1, kl - dl - 1);
        at += (uint32_t)(kl - dl - 1);
        s->fv.blob[at++] = '\0';
    }
    while (d < nd)
        s->dim_first[++d] = nf;
    s->fv.off[nf] = at;
    rc = 0;
out:
    souk__search_strs_release(&keys);
    free(rank);
    free(drank);
    return rc;
}

static int finish_skus(souk_search_builder *b, souk_search_segment *s)
{
    sku_sort *order = malloc(sizeof *order * (b->nskus ? b->nskus : 1));
    s->skus.n = (uint32_t)b->nskus;
    s->skus.off = malloc(sizeof *s->skus.off * (b->nskus + 1));
    s->skus.blob = malloc(b->sku_blob_len ? b->sku_blob_len : 1);
    s->sku_doc = malloc(sizeof *s->sku_doc * (b->nskus ? b->nskus : 1));
    if (!order || !s->skus.off || !s->skus.blob || !s->sku_doc) {
        free(order);
        return -1;
    }
    for (size_t i = 0; i < b->nskus; i++)
        order[i] = (sku_sort){b->sku_blob + b->skus[i].off, b->skus[i].len, b->skus[i].doc};
    souk_sort(order, b->nskus, sizeof *order, by_sku);
    uint32_t at = 0;
    for (size_t i = 0; i < b->nskus; i++) {
        s->skus.off[i] = at;
        memcpy(s->skus.blob + at, order[i].s, (size_t)order[i].len + 1);
        at += order[i].len + 1;
        s->sku_doc[i] = order[i].doc;
    }
    s->skus.off[b->nskus] = at;
    free(order);
    return 0;
}

int souk_search_builder_finish(souk_search_builder *b, souk_search_segment **out)
{
    *out = NULL;
    souk_search_segment *s = calloc(1, sizeof *s);
    if (!s || b->broken)
        goto fail;
    atomic_init(&s->refs, 1);
    s->ndocs = b->ndocs;
    memcpy(s->language, b->language, sizeof s->language);
    /* the columns move over as they are */
    s->ext_id = b->ext_id, b->ext_id = NULL;
    s->price = b->price, b->price = NULL;
    s->created = b->created, b->created = NULL;
    s->popularity = b->popularity, b->popularity = NULL;
    s->rating = b->rating, b->rating = NULL;
    s->in_stock = b->in_stock, b->in_stock = NULL;
    s->flen = b->flen, b->flen = NULL;
    s->in_stock_bm = b->in_stock_bm, b->in_stock_bm = NULL;
    roaring_bitmap_run_optimize(s->in_stock_bm);
    s->all = roaring_bitmap_create();
    if (!s->all)
        goto fail;
    if (s->ndocs)
        roaring_bitmap_add_range(s->all, 0, s->ndocs);
    for (int f = 0; f < NF; f++) {
        double sum = 0;
        for (uint32_t d = 0; d < s->ndocs; d++)
            sum += s->flen[(size_t)d * NF + f];
        s->avg_flen[f] = s->ndocs ? sum / s->ndocs : 0;
    }
    for (uint32_t d = 0; d < s->ndocs; d++)
        if (s->popularity[d] > s->max_popularity)
            s->max_popularity = s->popularity[d];
    if (finish_postings(b, s) < 0 || finish_facets(b, s) < 0 || finish_skus(b, s) < 0)
        goto fail;
    s->bytes = sizeof *s + (size_t)s->ndocs * (3 * 8 + 2 * 4 + 1 + NF * 2) + s->terms.off[s->terms.n] +
               (size_t)s->terms.n * 8 + (size_t)s->npost * (4 + NF + 4) + (size_t)s->post_pos[s->npost] * 4 +
               s->words.off[s->words.n] + (size_t)s->words.n * 9 + s->fv.off[s->fv.n] + s->skus.off[s->skus.n] +
               (size_t)s->skus.n * 8 + roaring_bitmap_size_in_bytes(s->in_stock_bm) +
               ((size_t)s->ndocs + 1 + s->doc_fv_off[s->ndocs]) * 4;
    for (uint32_t i = 0; i < s->fv.n; i++)
        s->bytes += roaring_bitmap_size_in_bytes(s->fv_bm[i]) + 8;
    souk_search_builder_free(b);
    *out = s;
    return 0;
fail:
    souk_search_builder_free(b);
    if (s)
        souk__search_segment_free(s);
    return SOUK_SEARCH_BUILD_NOMEM;
}
