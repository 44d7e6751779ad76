/* Lifetime value (src/analytics/clv_model.c, clv.c): BG/NBD and Gamma-Gamma
 * recover parameters planted in simulated customers (the fitted likelihood
 * is at least the planted one's, and the population means are close), the
 * expectations behave (a customer long silent is less likely alive and
 * expected to buy less), and the summary of the facts counts transactions
 * as days with a purchase, with the holdout apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "analytics/analytics.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double unif(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
    return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

/* Gamma(k, 1) by Marsaglia and Tsang (k < 1 boosted by U^(1/k)). */
static double gamma1(double k)
{
    if (k < 1)
        return gamma1(k + 1) * pow(unif(), 1 / k);
    double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = normal(), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = unif();
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}

static double total_ll(const souk_analytics_bgnbd *m, const souk_analytics_clv_customer *c, size_t n)
{
    double ll = 0;
    for (size_t i = 0; i < n; i++)
        ll += souk_analytics_bgnbd_ll(m, c[i].x, c[i].tx, c[i].T);
    return ll;
}

static void bgnbd_recovers_planted_parameters(void **state)
{
    (void)state;
    const souk_analytics_bgnbd planted = {.r = 0.5, .alpha = 20, .a = 0.8, .b = 4};
    enum { N = 6000 };
    souk_analytics_clv_customer *c = calloc(N, sizeof *c);
    assert_non_null(c);
    double dropped = 0;
    for (int i = 0; i < N; i++) {
        double lambda = gamma1(planted.r) / planted.alpha;
        double g1 = gamma1(planted.a), p = g1 / (g1 + gamma1(planted.b));
        double T = 200 + 200 * unif(), t = 0, x = 0, tx = 0;
        for (;;) {
            t += -log(unif()) / lambda;
            if (t > T)
                break;
            x++;
            tx = t;
            if (unif() < p) {
                dropped++;
                break;
            }
        }
        c[i] = (souk_analytics_clv_customer){.customer = i, .x = x, .tx = tx, .T = T};
    }
    souk_analytics_bgnbd fit;
    assert_int_equal(souk_analytics_bgnbd_fit(c, N, &fit), 0);
    /* maximum likelihood: no worse than the truth */
    assert_true(fit.loglik >= total_ll(&planted, c, N) - 1e-6);
    assert_true(fabs(fit.loglik - total_ll(&fit, c, N)) < 1e-6 * fabs(fit.loglik));
    /* the population's mean purchase rate r / alpha and mean dropout a / (a + b) */
    assert_true(fabs(fit.r / fit.alpha - 0.025) < 0.1 * 0.025);
    assert_true(fabs(fit.a / (fit.a + fit.b) - 0.8 / 4.8) < 0.3 * 0.8 / 4.8);
    assert_true(fabs(fit.r - 0.5) < 0.15);
    /* expectations: silence lowers the chance of being alive and the purchases expected */
    double recent = souk_analytics_bgnbd_alive(&fit, 5, 290, 300),
           silent = souk_analytics_bgnbd_alive(&fit, 5, 50, 300);
    assert_true(recent > silent);
    assert_true(souk_analytics_bgnbd_alive(&fit, 0, 0, 300) == 1);
    double e1 = souk_analytics_bgnbd_expected(&fit, 5, 290, 300, 100);
    double e2 = souk_analytics_bgnbd_expected(&fit, 5, 50, 300, 100);
    assert_true(e1 > e2 && e2 > 0);
    assert_true(souk_analytics_bgnbd_expected(&fit, 5, 290, 300, 200) > e1);
    assert_true(fabs(souk_analytics_bgnbd_expected(&fit, 5, 290, 300, 0)) < 1e-9);
    free(c);
}

static void gamma_gamma_recovers_planted_parameters(void **state)
{
    (void)state;
    const double p = 6, q = 4, g = 15;
    enum { N = 4000 };
    souk_analytics_clv_customer *c = calloc(N, sizeof *c);
    assert_non_null(c);
    for (int i = 0; i < N; i++) {
        double nu = gamma1(q) / g, sum = 0;
        int x = 1 + (int)(unif() * 8);
        for (int k = 0; k < x; k++)
            sum += gamma1(p) / nu;
        c[i] = (souk_analytics_clv_customer){.customer = i, .x = x, .m = sum / x};
    }
    c[0].x = 0; /* ignored: no repeat transaction */
    souk_analytics_gg fit;
    assert_int_equal(souk_analytics_gg_fit(c, N, &fit), 0);
    double mean = p * g / (q - 1), got = fit.p * fit.gamma / (fit.q - 1);
    assert_true(fabs(got - mean) < 0.1 * mean);
    assert_true(fabs(fit.p - p) < 0.25 * p);
    /* shrinkage: a customer's expected value lies between their mean and the population's */
    double e = souk_analytics_gg_mean(&fit, 2, 100);
    assert_true(e > got && e < 100);
    assert_true(fabs(souk_analytics_gg_mean(&fit, 0, 0) - got) < 1e-9);
    free(c);
}

static void add(souk_analytics_facts *f, int64_t id, int64_t user, int32_t day, int64_t amount)
{
    souk_analytics_line_in l = {1, 0, 0, 1, amount};
    souk_analytics_order_in o = {.order_id = id,
                                 .user_id = user,
                                 .paid_at = ((int64_t)day * 86400 + 43200) * 1000000,
                                 .currency = "EUR",
                                 .lines = &l,
                                 .nlines = 1};
    pthread_mutex_lock(&f->write_mu);
    assert_int_equal(souk_analytics_add_order(f, &o), 1);
    pthread_mutex_unlock(&f->write_mu);
}

static void summary_counts_days_and_the_holdout(void **state)
{
    (void)state;
    souk_analytics_facts *f = malloc(sizeof *f);
    assert_int_equal(souk_analytics_facts_init(f, NULL), 0);
    /* customer 7: days 100, 100 (a second order the same day), 110, 130; then 150 in the holdout */
    add(f, 1, 7, 100, 1000);
    add(f, 2, 7, 100, 500);
    add(f, 3, 7, 110, 2000);
    add(f, 4, 7, 130, 4000);
    add(f, 5, 7, 150, 700);
    add(f, 6, 8, 120, 300);  /* customer 8: once */
    add(f, 7, 9, 145, 900);  /* customer 9: first in the holdout, not a customer at the cutoff */
    add(f, 8, 0, 101, 5000); /* a guest */
    souk_analytics_query q = {.to = 140, .currency = -1, .channel = -1};
    souk_analytics_clv_customer *c;
    size_t n;
    assert_int_equal(souk_analytics_clv_summary(f, &q, 160, &c, &n), 0);
    assert_int_equal(n, 2);
    const souk_analytics_clv_customer *a = c[0].x > 0 ? &c[0] : &c[1], *b = c[0].x > 0 ? &c[1] : &c[0];
    assert_true(a->x == 2 && a->tx == 30 && a->T == 40);
    assert_true(fabs(a->m - 30.0) < 1e-9); /* (20.00 + 40.00) / 2 in major units: the first day is not a repeat */
    assert_true(a->hold_x == 1 && a->hold_value == 700);
    assert_true(b->x == 0 && b->tx == 0 && b->T == 20 && b->m == 0 && b->hold_x == 0);
    free(c);
    json_t *r = souk_analytics_clv(f, &(souk_analytics_query){.to = 140, .currency = -1, .channel = -1, .limit = 10});
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "customers")), 2);
    assert_int_equal(json_array_size(json_object_get(r, "rows")), 2);
    json_decref(r);
    souk_analytics_facts_release(f);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bgnbd_recovers_planted_parameters),
        cmocka_unit_test(gamma_gamma_recovers_planted_parameters),
        cmocka_unit_test(summary_counts_days_and_the_holdout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
