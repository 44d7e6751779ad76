/*
 * churn.c — churn-risk scores: the probability that a customer buys nothing
 * in the next `horizon` days, from a logistic regression trained here.
 *
 * A customer at cutoff day C is described by what they did up to C: log(1 +
 * days since the last purchase), log(1 + orders), log(1 + revenue in major
 * units), log(1 + days since the first purchase), log(1 + orders of the
 * last 90 days); their rhythm — log(1 + the mean days between orders),
 * log(1 + recency / (mean gap + 1)) (how overdue they are), whether they
 * bought once only, log(1 + the days between their last two orders); their
 * trend — log(1 + orders of the last 30 days), log(1 + orders of the last
 * 90) − log(1 + orders of the 90 before), the months of the last 360 days
 * with an order (0..12), log(1 + revenue of the last 90 days) — each
 * standardised by the training set's means and deviations.
 * The label at C is 1 when they bought nothing in (C, C + H]. Time split:
 * the model is trained at C = T − 2H (labels from the window before
 * T − H) and its AUC measured at C = T − H (labels up to T) on customers
 * it never saw labelled; the model that scores is then trained at T − H and
 * applied to everyone as of T. Fitting is Newton's method (IRLS) with a
 * small L2 penalty: six unknowns, a few iterations.
 */
#include "analytics/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/banned.h"

#define NF 13         /* features */
#define NP (NF + 1)   /* parameters: the intercept first */
#define L2 1e-3       /* penalty on the coefficients */
#define NEWTON_MAX 25 /* iterations */

static const char *const feature_names[NF] = {"log_recency_days",
                                              "log_orders",
                                              "log_revenue",
                                              "log_tenure_days",
                                              "log_orders_last_90_days",
                                              "log_mean_gap_days",
                                              "log_overdue",
                                              "one_time_buyer",
                                              "log_orders_last_30_days",
                                              "orders_trend",
                                              "active_months_last_year",
                                              "log_last_gap_days",
                                              "log_revenue_last_90_days"};

typedef struct point {
    int32_t customer;
    double x[NF];
    int label;
    double score;
} point;

/* The customers with a purchase up to day C (within the filter) as points
 * into *OUT (N); labels from (C, C + H]. 0, or -1 out of memory. */
static int points_at(const souk_analytics_facts *f, const souk_analytics_snap *s, const souk_analytics_match *m,
                     int32_t c, int32_t h, point **out, size_t *n)
{
    size_t nc = s->customers ? s->customers : 1;
    int32_t *first = malloc(nc * sizeof *first), *last = malloc(nc * sizeof *last), *lastord = NULL;
    int64_t *orders = calloc(nc, sizeof *orders), *recent = calloc(nc, sizeof *recent),
            *money = calloc(nc, sizeof *money), *r30 = calloc(nc, sizeof *r30), *prev = calloc(nc, sizeof *prev);
    uint16_t *months = calloc(nc, sizeof *months);
    int32_t *prevday = calloc(nc, sizeof *prevday);
    int64_t *money90 = calloc(nc, sizeof *money90);
    uint8_t *after = calloc(nc, 1);
    lastord = malloc(nc * sizeof *lastord);
    *out = NULL;
    *n = 0;
    int rc = -1;
    if (!first || !last || !orders || !recent || !money || !after || !lastord || !r30 || !prev || !months || !prevday ||
        !money90)
        goto done;
    for (size_t i = 0; i < nc; i++) {
        first[i] = INT32_MAX;
        last[i] = INT32_MIN;
        lastord[i] = -1;
    }
    for (size_t i = 0; i < s->lines; i++) {
        const souk_analytics_line_chunk *ch = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t k = ch->customer[r], d = ch->day[r];
        if (k < 0 || !souk__analytics_line_ok(ch, r, m))
            continue;
        if (d > c) {
            if (d <= c + h)
                after[k] = 1;
            continue;
        }
        int32_t before = last[k]; /* the latest purchase day before this line */
        if (d < first[k])
            first[k] = d;
        if (d > last[k])
            last[k] = d;
        money[k] += ch->amount[r];
        if (d > c - 90)
            money90[k] += ch->amount[r];
        if (lastord[k] != ch->order[r]) {
            if (orders[k]) /* orders come in time order: the one before ended on BEFORE */
                prevday[k] = before;
            lastord[k] = ch->order[r];
            orders[k]++;
            if (d > c - 90)
                recent[k]++;
            else if (d > c - 180)
                prev[k]++;
            if (d > c - 30)
                r30[k]++;
            if (d > c - 360)
                months[k] |= (uint16_t)(1u << ((c - d) / 30));
        }
    }
    size_t cnt = 0;
    for (size_t k = 0; k < s->customers; k++)
        cnt += orders[k] > 0;
    point *p = malloc((cnt ? cnt : 1) * sizeof *p);
    if (!p)
        goto done;
    for (size_t k = 0; k < s->customers; k++) {
        if (!orders[k])
            continue;
        point *q = &p[(*n)++];
        q->customer = (int32_t)k;
        q->x[0] = log1p((double)(c - last[k]));
        q->x[1] = log1p((double)orders[k]);
        q->x[2] = log1p((double)(money[k] > 0 ? money[k] : 0) / 100.0);
        q->x[3] = log1p((double)(c - first[k]));
        q->x[4] = log1p((double)recent[k]);
        double gap = orders[k] > 1 ? (double)(last[k] - first[k]) / (double)(orders[k] - 1) : 0;
        q->x[5] = log1p(gap);
        q->x[6] = orders[k] > 1 ? log1p((double)(c - last[k]) / (gap + 1)) : 0;
        q->x[7] = orders[k] == 1;
        q->x[8] = log1p((double)r30[k]);
        q->x[9] = log1p((double)recent[k]) - log1p((double)prev[k]);
        q->x[10] = (double)__builtin_popcount(months[k]);
        q->x[11] = orders[k] > 1 ? log1p((double)(last[k] - prevday[k])) : 0;
        q->x[12] = log1p((double)(money90[k] > 0 ? money90[k] : 0) / 100.0);
        q->label = !after[k];
        q->score = 0;
    }
    *out = p;
    rc = 0;
done:
    free(first);
    free(last);
    free(lastord);
    free(orders);
    free(recent);
    free(money);
    free(r30);
    free(prev);
    free(months);
    free(prevday);
    free(money90);
    free(after);
    return rc;
}

typedef struct model {
    double mean[NF], sd[NF], w[NP];
} model;

static double predict(const model *md, const double *x)
{
    double z = md->w[0];
    for (int j = 0; j < NF; j++)
        z += md->w[1 + j] * (md->sd[j] > 1e-12 ? (x[j] - md->mean[j]) / md->sd[j] : 0);
    return 1.0 / (1.0 + exp(-z));
}

/* Solves A (NP x NP, destroyed) x = B in place by Gaussian elimination with
 * partial pivoting. 0, or -1 when singular. */
static int solve(double a[NP][NP], double *b)
{
    for (int col = 0; col < NP; col++) {
        int piv = col;
        for (int r = col + 1; r < NP; r++)
            if (fabs(a[r][col]) > fabs(a[piv][col]))
                piv = r;
        if (fabs(a[piv][col]) < 1e-12)
            return -1;
        for (int k = 0; k < NP; k++) {
            double t = a[col][k];
            a[col][k] = a[piv][k];
            a[piv][k] = t;
        }
        double t = b[col];
        b[col] = b[piv];
        b[piv] = t;
        for (int r = col + 1; r < NP; r++) {
            double fct = a[r][col] / a[col][col];
            for (int k = col; k < NP; k++)
                a[r][k] -= fct * a[col][k];
            b[r] -= fct * b[col];
        }
    }
    for (int r = NP - 1; r >= 0; r--) {
        for (int k = r + 1; k < NP; k++)
            b[r] -= a[r][k] * b[k];
        b[r] /= a[r][r];
    }
    return 0;
}

/* Fits MD on P (N) by Newton's method. */
static void fit(model *md, const point *p, size_t n)
{
    memset(md, 0, sizeof *md);
    for (int j = 0; j < NF; j++) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++)
            mean += p[i].x[j];
        mean = n ? mean / (double)n : 0;
        for (size_t i = 0; i < n; i++)
            var += (p[i].x[j] - mean) * (p[i].x[j] - mean);
        md->mean[j] = mean;
        md->sd[j] = n ? sqrt(var / (double)n) : 0;
    }
    for (int it = 0; it < NEWTON_MAX; it++) {
        double h[NP][NP] = {{0}}, g[NP] = {0};
        for (size_t i = 0; i < n; i++) {
            double z[NP] = {1};
            for (int j = 0; j < NF; j++)
                z[1 + j] = md->sd[j] > 1e-12 ? (p[i].x[j] - md->mean[j]) / md->sd[j] : 0;
            double pr = predict(md, p[i].x), wgt = pr * (1 - pr);
            for (int a = 0; a < NP; a++) {
                g[a] += (pr - p[i].label) * z[a];
                for (int b = 0; b < NP; b++)
                    h[a][b] += wgt * z[a] * z[b];
            }
        }
        for (int a = 1; a < NP; a++) {
            g[a] += L2 * (double)n * md->w[a];
            h[a][a] += L2 * (double)n;
        }
        h[0][0] += 1e-9;
        if (solve(h, g) < 0)
            break;
        double step = 0;
        for (int a = 0; a < NP; a++) {
            md->w[a] -= g[a];
            step += fabs(g[a]);
        }
        if (step < 1e-8)
            break;
    }
}

static int cmp_score(const void *a, const void *b)
{
    double x = ((const point *)a)->score, y = ((const point *)b)->score;
    return x < y ? -1 : x > y;
}

/* The area under the ROC curve of P's scores for its labels (ties count a
 * half), or -1 when one class is empty. Sorts P. */
static double auc(point *p, size_t n)
{
    qsort(p, n, sizeof *p, cmp_score);
    double pos = 0, ranks = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j].score == p[i].score)
            j++;
        double avg = ((double)i + (double)j + 1) / 2.0; /* ranks i+1..j */
        for (size_t k = i; k < j; k++)
            if (p[k].label) {
                pos++;
                ranks += avg;
            }
        i = j;
    }
    double neg = (double)n - pos;
    if (pos == 0 || neg == 0)
        return -1;
    return (ranks - pos * (pos + 1) / 2) / (pos * neg);
}

static int cmp_desc(const void *a, const void *b)
{
    const point *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->customer < y->customer ? -1 : x->customer > y->customer;
}

json_t *souk_analytics_churn(const souk_analytics_facts *f, const souk_analytics_query *q)
{
    souk_analytics_snap s;
    souk__analytics_snap(f, &s);
    souk_analytics_match m;
    souk__analytics_match(f, &s, q, &m);
    int32_t t = q->to, h = q->horizon > 0 ? q->horizon : 90;
    point *train = NULL, *test = NULL, *now = NULL;
    size_t ntrain = 0, ntest = 0, nnow = 0;
    json_t *out = NULL;
    if (points_at(f, &s, &m, t - 2 * h, h, &train, &ntrain) < 0 || points_at(f, &s, &m, t - h, h, &test, &ntest) < 0 ||
        points_at(f, &s, &m, t, h, &now, &nnow) < 0)
        goto done;
    model md, final;
    fit(&md, train, ntrain);
    for (size_t i = 0; i < ntest; i++)
        test[i].score = predict(&md, test[i].x);
    size_t churned = 0;
    for (size_t i = 0; i < ntest; i++)
        churned += (size_t)test[i].label;
    double a = ntrain && ntest ? auc(test, ntest) : -1;
    fit(&final, test, ntest); /* the latest labelled window scores today's customers */
    for (size_t i = 0; i < nnow; i++)
        now[i].score = predict(&final, now[i].x);
    qsort(now, nnow, sizeof *now, cmp_desc);
    out = souk__analytics_head(f, q, &m);
    char cut[11], cut2[11];
    json_object_set_new(out, "horizon_days", json_integer(h));
    json_object_set_new(out, "train_cutoff", json_string(souk_analytics_format_day(t - 2 * h, cut)));
    json_object_set_new(out, "test_cutoff", json_string(souk_analytics_format_day(t - h, cut2)));
    json_object_set_new(out, "train_customers", json_integer((json_int_t)ntrain));
    json_object_set_new(out, "test_customers", json_integer((json_int_t)ntest));
    json_object_set_new(out, "test_churn_rate", souk__analytics_ratio((double)churned, (double)ntest));
    json_object_set_new(out, "auc", a >= 0 ? json_real(round(a * 10000) / 10000) : json_null());
    json_t *coef = json_object();
    json_object_set_new(coef, "intercept", json_real(final.w[0]));
    for (int j = 0; j < NF; j++)
        json_object_set_new(coef, feature_names[j], json_real(final.w[1 + j]));
    json_object_set_new(out, "coefficients", coef);
    json_object_set_new(out, "customers", json_integer((json_int_t)nnow));
    json_t *rows = json_array();
    for (size_t i = (size_t)q->offset; i < nnow && i < (size_t)q->offset + (size_t)q->limit; i++) {
        char id[SOUK_ID_TEXT_MAX];
        json_array_append_new(
            rows, json_pack("{s:s,s:o,s:i,s:i}", "customer",
                            souk_id_format("usr", souk_analytics_dict_id(&f->customers, now[i].customer), id),
                            "churn_probability", json_real(round(now[i].score * 10000) / 10000), "recency_days",
                            (int)lround(expm1(now[i].x[0])), "frequency", (int)lround(expm1(now[i].x[1]))));
    }
    json_object_set_new(out, "rows", rows);
done:
    free(train);
    free(test);
    free(now);
    return out;
}
