/* test_search_property.c — on random catalogs and random requests, the result set, its
 * size, the facet counts and the order of a sorted page equal a brute-force scan; and the
 * current-segment swap under concurrent readers (src/search/exec.c, rank.c, segment.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "search/index.h"
#include "search/query.h"

/* words the English stemmer leaves alone, shorter than 5 (no typos) and no stop words */
static const char *const vocab[] = {"cat", "dog", "red", "sun", "box", "pen", "cup", "map", "owl", "fig"};
#define NV 10
#define NBRANDS 5
#define NCOLORS 4
#define MAXDOCS 300

typedef struct {
    unsigned words;         /* bit i: vocab[i] in the title or description */
    int brand, color, leaf; /* leaf category 0..8: parent leaf / 3 + 9 (9..11), root 12 */
    int64_t price;          /* -1 none */
    double rating;          /* -1 none */
    bool in_stock;
    bool gone; /* archived: in no index but maybe an old base */
} pdoc;

static uint64_t rng;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const char *brand_name(int i)
{
    static const char *const b[] = {"acme", "bolt", "crux", "dove", "echo"};
    return b[i];
}
static const char *color_name(int i)
{
    static const char *const c[] = {"red", "green", "blue", "black"};
    return c[i];
}

/* A segment of the documents d[i] for which TAKE[i] (NULL = all), each with id i + 1. */
static souk_search_segment *build_of(const pdoc *d, size_t n, const bool *take)
{
    souk_search_builder *b;
    assert_int_equal(souk_search_builder_new(&b, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        if (take && !take[i])
            continue;
        char title[128] = "", desc[128] = "", leaf[16], parent[16];
        for (int w = 0; w < NV; w++)
            if (d[i].words & (1u << w)) {
                char *f = rnd(2) ? title : desc;
                snprintf(f + strlen(f), 128 - strlen(f), "%s ", vocab[w]);
            }
        snprintf(leaf, sizeof leaf, "%d", d[i].leaf);
        snprintf(parent, sizeof parent, "%d", d[i].leaf / 3 + 9);
        souk_search_facet_value fv[] = {{"brand", brand_name(d[i].brand)},
                                        {"color", color_name(d[i].color)},
                                        {"category", leaf},
                                        {"category", parent},
                                        {"category", "12"}};
        souk_search_doc doc = {.id = (int64_t)i + 1,
                               .price = d[i].price,
                               .rating = d[i].rating,
                               .in_stock = d[i].in_stock,
                               .created = (int64_t)rnd(1000),
                               .popularity = rnd(50),
                               .facets = fv,
                               .nfacets = 5};
        doc.field[SOUK_SEARCH_F_TITLE] = title;
        doc.field[SOUK_SEARCH_F_DESCRIPTION] = desc;
        assert_int_equal(souk_search_builder_add(b, &doc), 0);
    }
    souk_search_segment *s;
    assert_int_equal(souk_search_builder_finish(b, &s), 0);
    return s;
}

typedef struct {
    unsigned must, mustnot;
    int brands[2], nbrands; /* a brand filter of 0..2 values */
    int cat;                /* -1, or a category id 0..12 */
    bool in_stock;
    bool has_min, has_max;
    int64_t min, max;
    double rating_min;
} preq;

static bool brute_match(const pdoc *d, const preq *q)
{
    if (d->gone)
        return false;
    if ((d->words & q->must) != q->must || (d->words & q->mustnot))
        return false;
    if (q->nbrands) {
        bool any = false;
        for (int i = 0; i < q->nbrands; i++)
            any |= d->brand == q->brands[i];
        if (!any)
            return false;
    }
    if (q->cat >= 0 && !(q->cat == 12 || q->cat == d->leaf || q->cat == d->leaf / 3 + 9))
        return false;
    if (q->in_stock && !d->in_stock)
        return false;
    if (q->has_min && (d->price < 0 || d->price < q->min))
        return false;
    if (q->has_max && (d->price < 0 || d->price > q->max))
        return false;
    if (q->rating_min > 0 && d->rating < q->rating_min)
        return false;
    return true;
}

static void random_doc(pdoc *d)
{
    d->words = rnd(1u << NV);
    d->brand = (int)rnd(NBRANDS);
    d->color = (int)rnd(NCOLORS);
    d->leaf = (int)rnd(9);
    d->price = rnd(5) ? (int64_t)rnd(100) * 10 : -1;
    d->rating = rnd(4) ? rnd(11) / 2.0 : -1;
    d->in_stock = rnd(2);
}

/* The catalog D as one segment built from it (the first of SEGS) and as a
 * composite (the second): a base built from an older catalog, where some
 * documents differed, some were not yet there and some since archived
 * (GONE) were, tombstoned, plus a delta of the changed documents' current
 * form. Every request below must find the same on both. */
static void check_once(souk_search_text *t)
{
    size_t n = 1 + rnd(MAXDOCS);
    pdoc *d = calloc(n, sizeof *d), *old = calloc(n, sizeof *old);
    bool *live = calloc(n, 1), *in_base = calloc(n, 1), *in_delta = calloc(n, 1);
    int64_t *ids = calloc(n, sizeof *ids);
    size_t nids = 0;
    unsigned churn = 1 + rnd(4); /* 1 in CHURN documents changed since the base */
    for (size_t i = 0; i < n; i++) {
        random_doc(&d[i]);
        d[i].gone = rnd(10) == 0;
        live[i] = !d[i].gone;
        bool changed = d[i].gone || rnd(churn) == 0;
        old[i] = d[i];
        if (changed) {
            ids[nids++] = (int64_t)i + 1;
            old[i].gone = false;
            if (rnd(2))
                random_doc(&old[i]); /* changed since */
            else if (rnd(2))
                old[i].in_stock = !old[i].in_stock, old[i].price = rnd(2) ? -1 : 990; /* sold out, repriced */
            in_base[i] = rnd(5) != 0;                                                 /* else: created since the base */
            in_delta[i] = !d[i].gone;
        } else {
            in_base[i] = true;
        }
    }
    souk_search_segment *segs[2];
    segs[0] = build_of(d, n, live);
    souk_search_segment *base = build_of(old, n, in_base), *delta = build_of(d, n, in_delta);
    assert_int_equal(souk_search_segment_compose(base, delta, ids, nids, &segs[1]), 0);
    souk_search_segment_unref(base);
    souk_search_segment_unref(delta);
    size_t nlive = 0;
    for (size_t i = 0; i < n; i++)
        nlive += live[i];
    assert_int_equal(souk_search_segment_docs(segs[1]), nlive);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(souk_search_segment_in_stock(segs[1], (int64_t)i + 1), live[i] ? d[i].in_stock : -1);
    for (int round = 0; round < 50; round++) {
        souk_search_segment *s = segs[round % 2];
        preq q = {.cat = -1};
        char text[128] = "";
        for (int k = (int)rnd(3); k > 0; k--) {
            int w = (int)rnd(NV);
            q.must |= 1u << w;
            snprintf(text + strlen(text), sizeof text - strlen(text), "%s ", vocab[w]);
        }
        if (rnd(4) == 0) {
            int w = (int)rnd(NV);
            q.mustnot |= 1u << w;
            snprintf(text + strlen(text), sizeof text - strlen(text), "-%s ", vocab[w]);
        }
        q.nbrands = (int)rnd(3);
        const char *bv[2];
        for (int i = 0; i < q.nbrands; i++)
            bv[i] = brand_name(q.brands[i] = (int)rnd(NBRANDS));
        char catv[16];
        souk_search_filter f[2];
        size_t nf = 0;
        if (q.nbrands)
            f[nf++] = (souk_search_filter){"brand", bv, (size_t)q.nbrands};
        const char *cv[1] = {catv};
        if (rnd(2)) {
            q.cat = (int)rnd(13);
            snprintf(catv, sizeof catv, "%d", q.cat);
            f[nf++] = (souk_search_filter){"category", cv, 1};
        }
        q.in_stock = rnd(3) == 0;
        q.has_min = rnd(3) == 0, q.min = rnd(100) * 10;
        q.has_max = rnd(3) == 0, q.max = q.min + rnd(100) * 10;
        q.rating_min = rnd(3) == 0 ? rnd(10) / 2.0 : 0;
        static const char *const dims[] = {"brand", "color", "category"};
        souk_search_sort sort = (souk_search_sort)rnd(6);
        souk_search_request req = {.q = text,
                                   .qlen = strlen(text),
                                   .flags = SOUK_SEARCH_Q_NO_PREFIX | SOUK_SEARCH_Q_NO_FALLBACK,
                                   .filters = f,
                                   .nfilters = nf,
                                   .has_price_min = q.has_min,
                                   .price_min = q.min,
                                   .has_price_max = q.has_max,
                                   .price_max = q.max,
                                   .rating_min = q.rating_min,
                                   .in_stock = q.in_stock,
                                   .facets = dims,
                                   .nfacets = 3,
                                   .facet_limit = 100,
                                   .sort = sort,
                                   .limit = 100};
        souk_arena a;
        souk_arena_init(&a, 0, 0);
        souk_search_result r;
        assert_int_equal(souk_search_run(s, t, &req, &a, &r), SOUK_SEARCH_OK);
        /* the brute force */
        uint64_t total = 0, brand_c[NBRANDS] = {0}, color_c[NCOLORS] = {0}, cat_c[13] = {0};
        bool *in = calloc(n, 1);
        for (size_t i = 0; i < n; i++) {
            if (!brute_match(&d[i], &q))
                continue;
            in[i] = true;
            total++;
            brand_c[d[i].brand]++;
            color_c[d[i].color]++;
            cat_c[d[i].leaf]++;
            cat_c[d[i].leaf / 3 + 9]++;
            cat_c[12]++;
        }
        assert_int_equal(r.total, total);
        assert_int_equal(r.nhits, total < 100 ? total : 100);
        for (size_t i = 0; i < r.nhits; i++) {
            assert_true(r.hits[i].id >= 1 && (size_t)r.hits[i].id <= n);
            assert_true(in[r.hits[i].id - 1]);
            for (size_t j = 0; j < i; j++)
                assert_true(r.hits[j].id != r.hits[i].id);
        }
        /* sorted by a column: each hit is in order with the next, ties by id */
        for (size_t i = 0; i + 1 < r.nhits && sort != SOUK_SEARCH_SORT_RELEVANCE; i++) {
            const pdoc *x = &d[r.hits[i].id - 1], *y = &d[r.hits[i + 1].id - 1];
            if (sort == SOUK_SEARCH_SORT_PRICE_ASC || sort == SOUK_SEARCH_SORT_PRICE_DESC) {
                if (x->price < 0)
                    assert_true(y->price < 0);
                else if (y->price >= 0)
                    assert_true(sort == SOUK_SEARCH_SORT_PRICE_ASC ? x->price <= y->price : x->price >= y->price);
            }
            if (sort == SOUK_SEARCH_SORT_RATING)
                assert_true(x->rating >= y->rating);
        }
        for (size_t i = 0; i + 1 < r.nhits && sort == SOUK_SEARCH_SORT_RELEVANCE; i++)
            assert_true(r.hits[i].score >= r.hits[i + 1].score);
        /* facets: every value with a count, counts as scanned */
        for (size_t k = 0; k < 3; k++) {
            const souk_search_facet *fc = &r.facets[k];
            size_t expect_values = 0;
            size_t lim = k == 0 ? NBRANDS : k == 1 ? NCOLORS : 13;
            for (size_t v = 0; v < lim; v++)
                expect_values += (k == 0 ? brand_c[v] : k == 1 ? color_c[v] : cat_c[v]) > 0;
            assert_int_equal(fc->nvalues, expect_values);
            for (size_t v = 0; v < fc->nvalues; v++) {
                uint64_t want = 0;
                for (size_t x = 0; x < lim; x++) {
                    char name[24];
                    snprintf(name, sizeof name, "%zu", x);
                    const char *nm = k == 0 ? brand_name((int)x) : k == 1 ? color_name((int)x) : name;
                    if (strcmp(nm, fc->values[v].value) == 0)
                        want = k == 0 ? brand_c[x] : k == 1 ? color_c[x] : cat_c[x];
                }
                assert_int_equal(fc->values[v].count, want);
                if (v)
                    assert_true(fc->values[v - 1].count >= fc->values[v].count);
            }
        }
        free(in);
        souk_arena_release(&a);
    }
    souk_search_segment_unref(segs[0]);
    souk_search_segment_unref(segs[1]);
    free(d);
    free(old);
    free(live);
    free(in_base);
    free(in_delta);
    free(ids);
}

static void test_random_catalogs_match_brute_force(void **state)
{
    (void)state;
    souk_search_text t;
    assert_int_equal(souk_search_text_init(&t, NULL), 0);
    for (uint64_t seed = 1; seed <= 120; seed++) {
        rng = seed * 0x9E3779B97F4A7C15ull;
        check_once(&t);
    }
    souk_search_text_release(&t);
}

/* ---- the swap: readers acquire and release while a writer publishes ---- */

static souk_search_engine engine;
static atomic_int stop;

static souk_search_segment *segment_of(uint32_t ndocs)
{
    souk_search_builder *b;
    assert_int_equal(souk_search_builder_new(&b, NULL), 0);
    for (uint32_t i = 0; i < ndocs; i++) {
        souk_search_doc d = {.id = i + 1, .price = -1, .rating = -1};
        d.field[SOUK_SEARCH_F_TITLE] = "generation";
        assert_int_equal(souk_search_builder_add(b, &d), 0);
    }
    souk_search_segment *s;
    assert_int_equal(souk_search_builder_finish(b, &s), 0);
    return s;
}

static atomic_int seen_any[3]; /* reader I has acquired a segment */

typedef struct {
    long seen;
    int index;
} reader_arg;

static void *reader(void *arg)
{
    reader_arg *r = arg;
    long *seen = &r->seen;
    while (!atomic_load(&stop)) {
        souk_search_segment *s = souk_search_engine_acquire(&engine);
        if (!s)
            continue;
        /* every published segment has 1..64 documents and one term; a freed one would not */
        uint32_t n = souk_search_segment_docs(s);
        if (n < 1 || n > 64 || souk_search_segment_terms(s) != 1)
            abort();
        (*seen)++;
        atomic_store(&seen_any[r->index], 1);
        souk_search_segment_unref(s);
    }
    return NULL;
}

static void test_swap_under_readers(void **state)
{
    (void)state;
    souk_search_engine_init(&engine);
    assert_null(souk_search_engine_acquire(&engine));
    souk_search_engine_publish(&engine, segment_of(1));
    pthread_t th[3];
    reader_arg args[3] = {{0, 0}, {0, 1}, {0, 2}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, &args[i]), 0);
    /* a reader's segment outlives its replacement */
    souk_search_segment *held = souk_search_engine_acquire(&engine);
    for (uint32_t g = 0; g < 300; g++)
        souk_search_engine_publish(&engine, segment_of(1 + g % 64));
    assert_int_equal(souk_search_segment_docs(held), 1);
    souk_search_segment_unref(held);
    /* on a loaded machine a reader may not have run yet: let each look at least once
     * (bounded: a reader that never gets a segment in 30 s fails the test below) */
    for (int spin = 0;
         spin < 30000 && !(atomic_load(&seen_any[0]) && atomic_load(&seen_any[1]) && atomic_load(&seen_any[2])); spin++)
        usleep(1000);
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_true(args[i].seen > 0);
    }
    souk_search_segment *last = souk_search_engine_acquire(&engine);
    assert_int_equal(souk_search_segment_docs(last), 1 + 299 % 64);
    souk_search_segment_unref(last);
    souk_search_engine_release(&engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_catalogs_match_brute_force),
        cmocka_unit_test(test_swap_under_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
