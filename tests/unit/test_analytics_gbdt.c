/* The churn models' pieces (src/analytics/gbdt.c, logit.c): boosted trees
 * fit a planted XOR of two features that the logistic regression cannot
 * (held-out AUC far above chance for the trees, near chance for the
 * regression), the same data gives the same trees, the depth limit and the
 * leaf size hold, a single threshold is found where it was planted, bad
 * settings are refused, and the AUC counts ranks and ties as it says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/internal.h"

#define NF 5 /* two that matter, three of noise */

static uint64_t rng;

static double unif(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

/* N rows of NF uniform features in [-1, 1]; the label is (x0 > 0) XOR
 * (x1 > 0), flipped for a tenth of the rows. */
static void xor_data(size_t n, double *x, uint8_t *y)
{
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < NF; j++)
            x[i * NF + j] = 2 * unif() - 1;
        int lab = (x[i * NF] > 0) != (x[i * NF + 1] > 0);
        if (unif() < 0.1)
            lab = !lab;
        y[i] = (uint8_t)lab;
    }
}

/* N rows of xor_data (seeded by SEED) into new arrays *X and *Y. */
static void xor_new(uint64_t seed, size_t n, double **x, uint8_t **y)
{
    rng = seed;
    *x = malloc(n * NF * sizeof **x);
    *y = malloc(n);
    assert_non_null(*x);
    assert_non_null(*y);
    xor_data(n, *x, *y);
}

static souk__analytics_gbdt_params params(int trees, int depth, int min_leaf)
{
    return (souk__analytics_gbdt_params){
        .trees = trees, .depth = depth, .min_leaf = min_leaf, .shrinkage = 0.1, .l2 = 1.0, .bins = 64};
}

static void trees_fit_the_xor_the_regression_cannot(void **state)
{
    (void)state;
    size_t n = 2000;
    double *x, *hx, *sc = malloc(n * sizeof *sc);
    uint8_t *y, *hy;
    assert_non_null(sc);
    xor_new(7, n, &x, &y);
    xor_new(8, n, &hx, &hy); /* held out */
    /* the regression: a plane cannot split an XOR */
    souk__analytics_logit lm;
    assert_int_equal(souk__analytics_logit_fit(&lm, x, y, n, NF), 0);
    for (size_t i = 0; i < n; i++)
        sc[i] = souk__analytics_logit_predict(&lm, hx + i * NF);
    double lauc = souk__analytics_auc(sc, hy, n);
    if (!(lauc > 0.4 && lauc < 0.6))
        fail_msg("logistic regression AUC %.4f on the held-out XOR", lauc);
    /* the trees: depth 2 is the interaction; the best possible AUC with a tenth flipped is 0.90 */
    souk__analytics_gbdt_params p = params(100, 2, 20);
    souk__analytics_gbdt m;
    assert_int_equal(souk__analytics_gbdt_fit(&m, &p, x, y, n, NF), 0);
    assert_int_equal(m.ntrees, 100);
    for (size_t i = 0; i < n; i++)
        sc[i] = souk__analytics_gbdt_predict(&m, hx + i * NF, -1);
    double tauc = souk__analytics_auc(sc, hy, n);
    if (tauc < 0.85)
        fail_msg("boosted trees AUC %.4f on the held-out XOR", tauc);
    /* the splits are on the two features that matter */
    int useful = 0, inner = 0;
    for (size_t k = 0; k < m.nnodes; k++)
        if (m.nodes[k].feature >= 0) {
            inner++;
            useful += m.nodes[k].feature < 2;
        }
    if (useful * 2 < inner)
        fail_msg("%d of %d splits on the two features that matter", useful, inner);
    print_message("XOR held out: logistic regression AUC %.4f, trees %.4f (%d of %d splits on x0, x1)\n", lauc, tauc,
                  useful, inner);
    /* stumps (depth 1) see one feature at a time: no better than the regression */
    souk__analytics_gbdt stumps;
    p = params(100, 1, 20);
    assert_int_equal(souk__analytics_gbdt_fit(&stumps, &p, x, y, n, NF), 0);
    for (size_t i = 0; i < n; i++)
        sc[i] = souk__analytics_gbdt_predict(&stumps, hx + i * NF, -1);
    double sauc = souk__analytics_auc(sc, hy, n);
    if (sauc > 0.6)
        fail_msg("stumps AUC %.4f on the held-out XOR", sauc);
    souk__analytics_gbdt_release(&stumps);
    souk__analytics_gbdt_release(&m);
    souk__analytics_gbdt_release(&m); /* twice is allowed */
    free(x);
    free(hx);
    free(sc);
    free(y);
    free(hy);
}

static void the_same_data_gives_the_same_trees(void **state)
{
    (void)state;
    size_t n = 1500;
    double *x;
    uint8_t *y;
    xor_new(11, n, &x, &y);
    souk__analytics_gbdt_params p = params(60, 3, 10);
    souk__analytics_gbdt a, b;
    assert_int_equal(souk__analytics_gbdt_fit(&a, &p, x, y, n, NF), 0);
    assert_int_equal(souk__analytics_gbdt_fit(&b, &p, x, y, n, NF), 0);
    assert_int_equal(a.nnodes, b.nnodes);
    assert_int_equal(a.ntrees, b.ntrees);
    assert_memory_equal(a.roots, b.roots, (size_t)a.ntrees * sizeof *a.roots);
    for (size_t k = 0; k < a.nnodes; k++) {
        assert_int_equal(a.nodes[k].feature, b.nodes[k].feature);
        assert_int_equal(a.nodes[k].left, b.nodes[k].left);
        assert_int_equal(a.nodes[k].right, b.nodes[k].right);
        assert_true(a.nodes[k].threshold == b.nodes[k].threshold);
        assert_true(a.nodes[k].value == b.nodes[k].value);
    }
    for (size_t i = 0; i < n; i += 37)
        assert_true(souk__analytics_gbdt_predict(&a, x + i * NF, -1) ==
                    souk__analytics_gbdt_predict(&b, x + i * NF, -1));
    /* fewer trees: the prefix of the same model */
    double z = a.base;
    for (int t = 0; t < 10; t++)
        z += souk__analytics_gbdt_tree(&a, t, x);
    assert_true(fabs(souk__analytics_gbdt_predict(&a, x, 10) - 1 / (1 + exp(-z))) < 1e-15);
    souk__analytics_gbdt_release(&a);
    souk__analytics_gbdt_release(&b);
    free(x);
    free(y);
}

/* The depth of node K of M (1 for a leaf). */
static int depth_of(const souk__analytics_gbdt *m, int32_t k)
{
    const souk__analytics_gbdt_node *d = &m->nodes[k];
    if (d->feature < 0)
        return 1;
    int l = depth_of(m, d->left), r = depth_of(m, d->right);
    return 1 + (l > r ? l : r);
}

/* The leaf row X reaches in tree T. */
static int32_t leaf_of(const souk__analytics_gbdt *m, int t, const double *x)
{
    int32_t k = m->roots[t];
    while (m->nodes[k].feature >= 0)
        k = x[m->nodes[k].feature] <= m->nodes[k].threshold ? m->nodes[k].left : m->nodes[k].right;
    return k;
}

static void depth_and_leaf_size_hold(void **state)
{
    (void)state;
    size_t n = 1000;
    double *x;
    uint8_t *y;
    xor_new(13, n, &x, &y);
    souk__analytics_gbdt_params p = params(20, 3, 60);
    souk__analytics_gbdt m;
    assert_int_equal(souk__analytics_gbdt_fit(&m, &p, x, y, n, NF), 0);
    size_t *count = calloc(m.nnodes, sizeof *count);
    assert_non_null(count);
    bool split = false;
    for (int t = 0; t < m.ntrees; t++) {
        assert_true(depth_of(&m, m.roots[t]) <= 3 + 1); /* three levels of splits, then leaves */
        split |= m.nodes[m.roots[t]].feature >= 0;
        for (size_t i = 0; i < n; i++)
            count[leaf_of(&m, t, x + i * NF)]++;
    }
    assert_true(split);
    for (size_t k = 0; k < m.nnodes; k++)
        if (m.nodes[k].feature < 0)
            assert_true(count[k] >= 60);
    free(count);
    souk__analytics_gbdt_release(&m);
    free(x);
    free(y);
}

static void one_threshold_is_found_where_planted(void **state)
{
    (void)state;
    size_t n = 1000;
    double *x = malloc(n * sizeof *x);
    uint8_t *y = malloc(n);
    assert_non_null(x);
    assert_non_null(y);
    for (size_t i = 0; i < n; i++) {
        x[i] = (double)i / (double)n; /* 0 .. 0.999 */
        y[i] = x[i] > 0.3;
    }
    souk__analytics_gbdt_params p = params(1, 1, 1);
    p.bins = 256;
    p.shrinkage = 1; /* one full Newton step */
    p.l2 = 0;
    souk__analytics_gbdt m;
    assert_int_equal(souk__analytics_gbdt_fit(&m, &p, x, y, n, 1), 0);
    const souk__analytics_gbdt_node *root = &m.nodes[m.roots[0]];
    assert_int_equal(root->feature, 0);
    assert_true(fabs(root->threshold - 0.3) < 0.005);
    assert_true(souk__analytics_gbdt_predict(&m, (double[]){0.1}, -1) < 0.5);
    assert_true(souk__analytics_gbdt_predict(&m, (double[]){0.9}, -1) > 0.5);
    souk__analytics_gbdt_release(&m);
    /* bad settings are refused and leave nothing to free */
    souk__analytics_gbdt_params bad[] = {params(10, 0, 1), params(10, 13, 1), params(10, 2, 0), params(-1, 2, 1)};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(souk__analytics_gbdt_fit(&m, &bad[i], x, y, n, 1), -1);
    p.shrinkage = 0;
    assert_int_equal(souk__analytics_gbdt_fit(&m, &p, x, y, n, 1), -1);
    p.shrinkage = 0.1;
    p.bins = 1;
    assert_int_equal(souk__analytics_gbdt_fit(&m, &p, x, y, n, 1), -1);
    assert_null(m.nodes);
    /* no rows: the base margin alone */
    p.bins = 64;
    assert_int_equal(souk__analytics_gbdt_fit(&m, &p, x, y, 0, 1), 0);
    assert_int_equal(m.ntrees, 0);
    assert_true(fabs(souk__analytics_gbdt_predict(&m, x, -1) - 0.5) < 1e-12);
    souk__analytics_gbdt_release(&m);
    free(x);
    free(y);
}

static void auc_counts_ranks_and_ties(void **state)
{
    (void)state;
    const uint8_t lab[] = {0, 0, 1, 1};
    assert_true(fabs(souk__analytics_auc((double[]){1, 2, 3, 4}, lab, 4) - 1) < 1e-12);
    assert_true(fabs(souk__analytics_auc((double[]){4, 3, 2, 1}, lab, 4)) < 1e-12);
    assert_true(fabs(souk__analytics_auc((double[]){1, 1, 1, 1}, lab, 4) - 0.5) < 1e-12);
    assert_true(fabs(souk__analytics_auc((double[]){1, 3, 2, 4}, lab, 4) - 0.75) < 1e-12);
    assert_true(fabs(souk__analytics_auc((double[]){1, 2, 2, 4}, lab, 4) - 0.875) < 1e-12);
    assert_true(souk__analytics_auc((double[]){1, 2}, (const uint8_t[]){1, 1}, 2) == -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trees_fit_the_xor_the_regression_cannot),
        cmocka_unit_test(the_same_data_gives_the_same_trees),
        cmocka_unit_test(depth_and_leaf_size_hold),
        cmocka_unit_test(one_threshold_is_found_where_planted),
        cmocka_unit_test(auc_counts_ranks_and_ties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
