/*
 * eval.c — offline evaluation on a time split (souk_rec_eval_run): every
 * recommender trained on the past, asked for each user's top k, and
 * scored against what the user took up in the test window.
 *
 * Who and what is evaluated (docs/internals/recommend.md):
 *   - relevant: the distinct (user, item) pairs of the test window whose
 *     item training knows and which the user did not have in training;
 *     recommendations exclude the user's training items (we recommend what
 *     is new to the shopper), so a repeat cannot be a hit and is dropped;
 *   - users unknown in training (cold) are counted and not evaluated: every
 *     recommender would answer them with popularity;
 *   - at most max_users users are evaluated, an even stride through them
 *     (deterministic), so 10⁵-user data sets stay quick.
 * Every list is backfilled with popularity: an item a recommender gives
 * no score (no co-occurrence) ranks by popularity after the scored ones.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recommend/internal.h"
#include "core/time.h"
#include "core/banned.h"

#define MAX_EVAL_USERS 10000
#define COOC_MAX_ROW 500
#define FBT_MAX_BASKET 200

void souk_rec_eval_params_default(souk_rec_eval_params *p)
{
    memset(p, 0, sizeof *p);
    p->k = 10;
    p->test_seconds = 30 * 86400;
    souk_rec_als_params_default(&p->als);
    p->neighbours = 100;
    p->fbt_min_support = 3;
    p->hybrid_als = 0.5;
    p->hybrid_cosine = 0.3;
    p->hybrid_content = 0.2;
}

typedef struct {
    uint32_t u, i;
} pair;

typedef struct {
    int64_t user, item;
} idpair;

static int cmp_idpair(const void *a, const void *b)
{
    const idpair *x = a, *y = b;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

static int cmp_by_user_time(const void *a, const void *b)
{
    const souk_rec_interaction *x = a, *y = b;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return (x->time > y->time) - (x->time < y->time);
}

static int has_item(const souk_rec_data *d, size_t u, uint32_t i)
{
    size_t lo = d->u_ptr[u], hi = d->u_ptr[u + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->u_item[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->u_ptr[u + 1] && d->u_item[lo] == i;
}

/* Min-max normalises S over the items not excluded (EX[i] set) in place. */
static void normalise(double *s, const unsigned char *ex, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (!ex[i]) {
            lo = s[i] < lo ? s[i] : lo;
            hi = s[i] > hi ? s[i] : hi;
        }
    double span = hi - lo;
    for (size_t i = 0; i < n; i++)
        s[i] = span > 0 ? (s[i] - lo) / span : 0;
}

typedef struct {
    souk__rec_top top;
    int64_t *ranked;
    unsigned char *seen; /* items ever recommended, for coverage */
    double p, r, ndcg, map;
} scorer;

/* Ranks the non-excluded items by S + a popularity tie-break and adds the
 * metrics of the top k against REL. */
static void rank_and_score(scorer *sc, const double *s, const unsigned char *ex, const double *pop_tb, size_t n,
                           const int64_t *rel, size_t nrel, size_t k)
{
    sc->top.n = 0;
    for (size_t i = 0; i < n; i++)
        if (!ex[i])
            souk__rec_top_push(&sc->top, s[i] + pop_tb[i], (uint32_t)i);
    size_t m = souk__rec_top_sort(&sc->top);
    for (size_t j = 0; j < m; j++) {
        sc->ranked[j] = sc->top.idx[j];
        sc->seen[sc->top.idx[j]] = 1;
    }
    sc->p += souk_rec_precision_at(sc->ranked, m, rel, nrel, k);
    sc->r += souk_rec_recall_at(sc->ranked, m, rel, nrel, k);
    sc->ndcg += souk_rec_ndcg_at(sc->ranked, m, rel, nrel, k);
    sc->map += souk_rec_ap_at(sc->ranked, m, rel, nrel, k);
}

int souk_rec_eval_run(const souk_rec_interaction *in, size_t n, const souk_rec_eval_params *pin,
                      souk_rec_eval_report *out)
{
    memset(out, 0, sizeof *out);
    souk_rec_eval_params p;
    if (pin)
        p = *pin;
    else
        souk_rec_eval_params_default(&p);
    if (p.k < 1 || p.k > SOUK_REC_K_MAX || p.test_seconds < 1 || p.neighbours < 1 || p.neighbours > 1000 ||
        p.fbt_min_support < 1 || !(p.hybrid_als >= 0) || !(p.hybrid_cosine >= 0) || !(p.hybrid_content >= 0))
        return SOUK_REC_E_INVAL;
    souk_rec_split sp;
    int rc = souk_rec_split_time(in, n, p.test_seconds, &sp);
    if (rc < 0)
        return rc;
    out->cut = sp.cut;
    out->ntrain = sp.ntrain;
    out->ntest = sp.ntest;
    souk_rec_data d = {0};
    souk_rec_model *als = NULL;
    souk_rec_cooc *cooc = NULL;
    souk_rec_fbt *fbt = NULL;
    souk_rec_tfidf *tfidf = NULL;
    souk_rec_basket_item *bi = NULL;
    idpair *tp = NULL;
    pair *rel = NULL;
    double *s[SOUK_REC_EVAL_N + 1] = {0}, *pop_tb = NULL;
    unsigned char *ex = NULL;
    long *doc_of = NULL;
    uint32_t *touched = NULL;
    double *doc_s = NULL;
    int64_t *relv = NULL;
    scorer sc[SOUK_REC_EVAL_N] = {0};
    if (sp.ntrain == 0 || sp.ntest == 0) {
        rc = SOUK_REC_E_INVAL;
        goto done;
    }
    if ((rc = souk_rec_data_build(&d, sp.train, sp.ntrain)) < 0)
        goto done;
    out->train_users = d.nusers;
    out->train_items = d.nitems;
    out->train_nnz = d.nnz;
    rc = SOUK_REC_E_NOMEM;

    /* the held-out pairs */
    tp = malloc(sp.ntest * sizeof *tp);
    rel = malloc(sp.ntest * sizeof *rel);
    if (!tp || !rel)
        goto done;
    for (size_t j = 0; j < sp.ntest; j++)
        tp[j] = (idpair){sp.test[j].user, sp.test[j].item};
    qsort(tp, sp.ntest, sizeof *tp, cmp_idpair);
    size_t nrel = 0;
    for (size_t j = 0; j < sp.ntest; j++) {
        if (j && tp[j].user == tp[j - 1].user && tp[j].item == tp[j - 1].item)
            continue;
        int new_user = j == 0 || tp[j].user != tp[j - 1].user;
        long u = souk_rec_data_user(&d, tp[j].user);
        out->test_users += new_user;
        if (u < 0) {
            out->cold_users += new_user;
            continue;
        }
        long i = souk_rec_data_item(&d, tp[j].item);
        if (i < 0)
            out->unseen_item_pairs++;
        else if (has_item(&d, (size_t)u, (uint32_t)i))
            out->repeat_pairs++;
        else
            rel[nrel++] = (pair){(uint32_t)u, (uint32_t)i};
    }
    /* rel is sorted by user id = by dense user index; users with relevant items */
    size_t nusers_rel = 0;
    for (size_t j = 0; j < nrel; j++)
        nusers_rel += j == 0 || rel[j].u != rel[j - 1].u;
    out->no_new_users = out->test_users - out->cold_users - nusers_rel;
    if (nusers_rel == 0) {
        rc = SOUK_REC_E_INVAL;
        goto done;
    }

    /* train */
    double t0 = souk_time_mono_s();
    if ((rc = souk_rec_als_train(&d, &p.als, &als)) < 0)
        goto done;
    out->row[SOUK_REC_EVAL_ALS].train_s = souk_time_mono_s() - t0;
    out->als_loss = souk_rec_model_loss(als);
    t0 = souk_time_mono_s();
    if ((rc = souk_rec_cooc_build(&d, p.neighbours, COOC_MAX_ROW, &cooc)) < 0)
        goto done;
    out->row[SOUK_REC_EVAL_COSINE].train_s = souk_time_mono_s() - t0;
    t0 = souk_time_mono_s();
    rc = SOUK_REC_E_NOMEM;
    bi = malloc(sp.ntrain * sizeof *bi);
    if (!bi)
        goto done;
    qsort(sp.train, sp.ntrain, sizeof *sp.train, cmp_by_user_time);
    int64_t basket = 0;
    for (size_t j = 0; j < sp.ntrain; j++) {
        if (j && (sp.train[j].user != sp.train[j - 1].user || sp.train[j].time != sp.train[j - 1].time))
            basket++;
        bi[j] = (souk_rec_basket_item){basket, sp.train[j].item};
    }
    if ((rc = souk_rec_fbt_build(bi, sp.ntrain, p.fbt_min_support, 200, FBT_MAX_BASKET, &fbt)) < 0)
        goto done;
    out->row[SOUK_REC_EVAL_FBT].train_s = souk_time_mono_s() - t0;
    t0 = souk_time_mono_s();
    int content = p.docs && p.ndocs && p.hybrid_content > 0;
    if (content && (rc = souk_rec_tfidf_build(p.docs, p.ndocs, &tfidf)) < 0)
        goto done;
    out->row[SOUK_REC_EVAL_HYBRID].train_s =
        out->row[SOUK_REC_EVAL_ALS].train_s + out->row[SOUK_REC_EVAL_COSINE].train_s + (souk_time_mono_s() - t0);

    /* score */
    rc = SOUK_REC_E_NOMEM;
    const size_t ni = d.nitems, k = p.k;
    for (int r = 0; r <= SOUK_REC_EVAL_N; r++)
        if (!(s[r] = calloc(ni, sizeof *s[r])))
            goto done;
    pop_tb = malloc(ni * sizeof *pop_tb);
    ex = calloc(ni, 1);
    relv = malloc(ni * sizeof *relv);
    if (!pop_tb || !ex || !relv)
        goto done;
    for (int r = 0; r < SOUK_REC_EVAL_N; r++) {
        if (souk__rec_top_init(&sc[r].top, k) < 0 || !(sc[r].ranked = malloc(k * sizeof *sc[r].ranked)) ||
            !(sc[r].seen = calloc(ni, 1)))
            goto done;
    }
    /* popularity, scaled into [0, 1e-6]: the baseline's score and everybody's tie-break */
    double maxpop = 1;
    for (size_t i = 0; i < ni; i++)
        maxpop = als->popularity[i] > maxpop ? als->popularity[i] : maxpop;
    for (size_t i = 0; i < ni; i++)
        pop_tb[i] = 1e-6 * als->popularity[i] / maxpop;
    double *zero = s[SOUK_REC_EVAL_POPULAR]; /* all 0: popularity is the tie-break alone */
    if (content) {
        doc_of = malloc(ni * sizeof *doc_of);
        touched = malloc((tfidf->ndocs ? tfidf->ndocs : 1) * sizeof *touched);
        if (!doc_of || !touched)
            goto done;
        for (size_t i = 0; i < ni; i++)
            doc_of[i] = souk__rec_find(tfidf->item_ids, tfidf->ndocs, d.item_ids[i]);
    }
    double *content_s = s[SOUK_REC_EVAL_N];
    if (content && !(doc_s = calloc(tfidf->ndocs ? tfidf->ndocs : 1, sizeof *doc_s)))
        goto done;
    size_t stride = nusers_rel > MAX_EVAL_USERS ? (nusers_rel + MAX_EVAL_USERS - 1) / MAX_EVAL_USERS : 1;
    size_t user_no = 0;
    for (size_t a = 0; a < nrel;) {
        size_t b = a;
        while (b < nrel && rel[b].u == rel[a].u)
            b++;
        size_t u = rel[a].u, nr = b - a;
        int take = user_no++ % stride == 0;
        if (!take) {
            a = b;
            continue;
        }
        for (size_t j = 0; j < nr; j++)
            relv[j] = rel[a + j].i;
        out->eval_users++;
        out->relevant += nr;
        for (size_t e = d.u_ptr[u]; e < d.u_ptr[u + 1]; e++)
            ex[d.u_item[e]] = 1;
        /* ALS */
        souk__rec_model_scores(als, u, s[SOUK_REC_EVAL_ALS]);
        /* item-cosine and FBT: sums over the user's items' neighbours */
        double *sc_cos = s[SOUK_REC_EVAL_COSINE], *sc_fbt = s[SOUK_REC_EVAL_FBT];
        memset(sc_cos, 0, ni * sizeof *sc_cos);
        memset(sc_fbt, 0, ni * sizeof *sc_fbt);
        for (size_t e = d.u_ptr[u]; e < d.u_ptr[u + 1]; e++) {
            uint32_t i = d.u_item[e];
            for (size_t f = cooc->ptr[i]; f < cooc->ptr[i + 1]; f++)
                sc_cos[cooc->nb[f]] += cooc->score[f];
            long fi = souk__rec_find(fbt->item_ids, fbt->nitems, d.item_ids[i]);
            if (fi >= 0)
                for (size_t f = fbt->ptr[fi]; f < fbt->ptr[fi + 1]; f++) {
                    long j = souk_rec_data_item(&d, fbt->item_ids[fbt->nb[f]]);
                    if (j >= 0)
                        sc_fbt[j] += log1p(fbt->lift[f]);
                }
        }
        /* content: Σ of TF-IDF cosines with the user's items */
        if (content) {
            memset(content_s, 0, ni * sizeof *content_s);
            for (size_t e = d.u_ptr[u]; e < d.u_ptr[u + 1]; e++) {
                long q = doc_of[d.u_item[e]];
                if (q < 0)
                    continue;
                size_t nt;
                souk__rec_tfidf_dots(tfidf, (size_t)q, doc_s, touched, &nt);
                (void)nt;
            }
            for (size_t i = 0; i < ni; i++)
                if (doc_of[i] >= 0)
                    content_s[i] = doc_s[doc_of[i]];
            memset(doc_s, 0, tfidf->ndocs * sizeof *doc_s);
        }
        rank_and_score(&sc[SOUK_REC_EVAL_POPULAR], zero, ex, pop_tb, ni, relv, nr, k);
        rank_and_score(&sc[SOUK_REC_EVAL_ALS], s[SOUK_REC_EVAL_ALS], ex, pop_tb, ni, relv, nr, k);
        rank_and_score(&sc[SOUK_REC_EVAL_COSINE], sc_cos, ex, pop_tb, ni, relv, nr, k);
        rank_and_score(&sc[SOUK_REC_EVAL_FBT], sc_fbt, ex, pop_tb, ni, relv, nr, k);
        /* hybrid: the normalised blend (normalising in place: ranks above are done) */
        double *hy = s[SOUK_REC_EVAL_HYBRID];
        normalise(s[SOUK_REC_EVAL_ALS], ex, ni);
        normalise(sc_cos, ex, ni);
        if (content)
            normalise(content_s, ex, ni);
        for (size_t i = 0; i < ni; i++)
            hy[i] = p.hybrid_als * s[SOUK_REC_EVAL_ALS][i] + p.hybrid_cosine * sc_cos[i] +
                    (content ? p.hybrid_content * content_s[i] : 0);
        rank_and_score(&sc[SOUK_REC_EVAL_HYBRID], hy, ex, pop_tb, ni, relv, nr, k);
        for (size_t e = d.u_ptr[u]; e < d.u_ptr[u + 1]; e++)
            ex[d.u_item[e]] = 0;
        a = b;
    }
    for (int r = 0; r < SOUK_REC_EVAL_N; r++) {
        double nu = out->eval_users ? (double)out->eval_users : 1;
        out->row[r].precision = sc[r].p / nu;
        out->row[r].recall = sc[r].r / nu;
        out->row[r].ndcg = sc[r].ndcg / nu;
        out->row[r].map = sc[r].map / nu;
        size_t seen = 0;
        for (size_t i = 0; i < ni; i++)
            seen += sc[r].seen[i];
        out->row[r].coverage = ni ? (double)seen / (double)ni : 0;
    }
    rc = 0;
done:
    free(doc_s);
    for (int r = 0; r < SOUK_REC_EVAL_N; r++) {
        souk__rec_top_release(&sc[r].top);
        free(sc[r].ranked);
        free(sc[r].seen);
    }
    for (int r = 0; r <= SOUK_REC_EVAL_N; r++)
        free(s[r]);
    free(pop_tb);
    free(ex);
    free(relv);
    free(doc_of);
    free(touched);
    free(tp);
    free(rel);
    free(bi);
    souk_rec_tfidf_free(tfidf);
    souk_rec_fbt_free(fbt);
    souk_rec_cooc_free(cooc);
    souk_rec_model_free(als);
    souk_rec_data_release(&d);
    souk_rec_split_release(&sp);
    return rc;
}
