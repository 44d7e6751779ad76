/*
 * churn.c — churn-risk scores: the probability that a customer buys nothing
 * in the next `horizon` days, from gradient-boosted trees (gbdt.c) or a
 * logistic regression (logit.c), whichever did better on validation.
 *
 * A customer at cutoff day C is described by what they did up to C: log(1 +
 * days since the last purchase), log(1 + orders), log(1 + revenue in major
 * units), log(1 + days since the first purchase), log(1 + orders of the
 * last 90 days); their rhythm — log(1 + the mean days between orders),
 * log(1 + recency / (mean gap + 1)) (how overdue they are), whether they
 * bought once only, log(1 + the days between their last two orders); their
 * trend — log(1 + orders of the last 30 days), log(1 + orders of the last
 * 90) − log(1 + orders of the 90 before), the months of the last 360 days
 * with an order (0..12), log(1 + revenue of the last 90 days); their
 * baskets — log(1 + units per order), log(1 + value per order), log(lines
 * per order); orders weighted by exp(−age / 30) and exp(−age / 120); and
 * two return rates from days up to C only (return_rates): of their
 * products' buyers and of themselves; and log(1 + the days with a purchase
 * BG/NBD expects of them in (C, C + H]), the lifetime-value model
 * (clv_model.c) fitted at C on the customers known by then.
 * The label at C is 1 when they bought nothing in (C, C + H]. Time split,
 * T the query's `to`: validation fits at T − 3H and judges at T − 2H
 * (labels up to T − H), which picks the trees' settings and the model;
 * the test fits at T − 2H and measures the AUC at T − H (labels up to T);
 * the chosen model is then retrained at T − H and scores everyone as of T.
 * The third candidate is the two models' probabilities averaged, the
 * trees' share (1/4, 1/2 or 3/4) chosen on the validation window too.
 */
#include "analytics/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/banned.h"

#define NF 23 /* features */

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
                                              "log_revenue_last_90_days",
                                              "log_units_per_order",
                                              "log_order_value",
                                              "log_lines_per_order",
                                              "orders_decayed_30_days",
                                              "orders_decayed_120_days",
                                              "products_return_rate",
                                              "own_return_rate",
                                              "log_distinct_products",
                                              "refund_share",
                                              "bgnbd_log_expected_purchases"};

typedef struct point {
    int32_t customer;
    double x[NF];
    int label;
    double score;
} point;

typedef struct cust_day {
    int32_t customer, day;
} cust_day;

static int cmp_cust_day(const void *a, const void *b)
{
    const cust_day *x = a, *y = b;
    if (x->customer != y->customer)
        return x->customer < y->customer ? -1 : 1;
    return x->day < y->day ? -1 : x->day > y->day;
}

/* Whether customer K (whose order days are DAYS[lo, hi), sorted) ordered in (D, D + H]. */
static bool returned(const cust_day *days, size_t lo, size_t end, int32_t d, int32_t h)
{
    size_t hi = end;
    while (lo < hi) { /* the first day after D */
        size_t mid = lo + (hi - lo) / 2;
        if (days[mid].day <= d)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < end && days[lo].day <= d + h;
}

#define RATE_PRIOR_PRODUCT 20.0 /* pseudo-purchases of the overall rate behind each product's */
#define RATE_PRIOR_OWN 2.0      /* and behind each customer's own */

/* What the history up to day C says about coming back within H days, for
 * each customer: PRODUCT[k] the mean, over K's lines, of the share of that
 * product's purchases (on days up to C − H, so that the H days after are
 * seen) after which the buyer ordered again within H days; OWN[k] the
 * share of K's own such orders followed by another within H. Both are
 * shrunk towards the overall share; DAYS[k] K's distinct days with an order
 * (whatever the order of the lines). Only days up to C are read: no label
 * of the window after C leaks in. 0, or -1 out of memory. */
static int return_rates(const souk_analytics_facts *f, const souk_analytics_snap *s, const souk_analytics_match *m,
                        souk__analytics_amounts *am, int32_t c, int32_t h, double *product, double *own, int64_t *ndays)
{
    size_t nc = s->customers ? s->customers : 1, np = s->products ? s->products : 1, nd = 0, cap = 1024;
    cust_day *days = malloc(cap * sizeof *days);
    size_t *start = calloc(nc + 1, sizeof *start);
    double *pn = calloc(np, sizeof *pn), *pr = calloc(np, sizeof *pr), *on = calloc(nc, sizeof *on),
           *orr = calloc(nc, sizeof *orr), *lines = calloc(nc, sizeof *lines);
    int rc = -1;
    int64_t amount;
    if (!days || !start || !pn || !pr || !on || !orr || !lines)
        goto done;
    int32_t lastorder = -1;
    for (size_t i = 0; i < s->lines; i++) { /* an order's lines are contiguous: one day per order */
        const souk_analytics_line_chunk *ch = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t k = ch->customer[r], d = ch->day[r];
        if (k < 0 || d > c || !souk__analytics_amounts_line(am, ch, r, m, &amount) || ch->order[r] == lastorder)
            continue;
        lastorder = ch->order[r];
        if (nd == cap) {
            cust_day *nn = realloc(days, cap * 2 * sizeof *nn);
            if (!nn)
                goto done;
            days = nn;
            cap *= 2;
        }
        days[nd++] = (cust_day){k, d};
    }
    qsort(days, nd, sizeof *days, cmp_cust_day);
    memset(ndays, 0, nc * sizeof *ndays);
    for (size_t i = 0; i < nd; i++) {
        start[days[i].customer + 1]++;
        ndays[days[i].customer] += i == 0 || days[i].customer != days[i - 1].customer || days[i].day != days[i - 1].day;
    }
    for (size_t k = 0; k < nc; k++)
        start[k + 1] += start[k];
    double all = 0, back = 0;
    for (size_t i = 0; i < nd; i++) /* the customers' own orders */
        if (days[i].day <= c - h) {
            int32_t k = days[i].customer;
            bool b = returned(days, start[k], start[k + 1], days[i].day, h);
            on[k]++;
            orr[k] += b;
            all++;
            back += b;
        }
    double overall = all ? back / all : 0.5;
    for (size_t i = 0; i < s->lines; i++) { /* the products' buyers */
        const souk_analytics_line_chunk *ch = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t k = ch->customer[r], d = ch->day[r], p = ch->product[r];
        if (k < 0 || p < 0 || d > c - h || !souk__analytics_amounts_line(am, ch, r, m, &amount))
            continue;
        pn[p]++;
        pr[p] += returned(days, start[k], start[k + 1], d, h);
    }
    for (size_t k = 0; k < nc; k++) {
        product[k] = 0;
        own[k] = (orr[k] + RATE_PRIOR_OWN * overall) / (on[k] + RATE_PRIOR_OWN);
    }
    for (size_t i = 0; i < s->lines; i++) {
        const souk_analytics_line_chunk *ch = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t k = ch->customer[r], d = ch->day[r], p = ch->product[r];
        if (k < 0 || d > c || !souk__analytics_amounts_line(am, ch, r, m, &amount))
            continue;
        double n0 = p >= 0 ? pn[p] : 0, r0 = p >= 0 ? pr[p] : 0;
        product[k] += (r0 + RATE_PRIOR_PRODUCT * overall) / (n0 + RATE_PRIOR_PRODUCT);
        lines[k]++;
    }
    for (size_t k = 0; k < nc; k++)
        product[k] = lines[k] ? product[k] / lines[k] : overall;
    rc = 0;
done:
    free(days);
    free(start);
    free(pn);
    free(pr);
    free(on);
    free(orr);
    free(lines);
    return rc;
}

/* Per customer, up to day C: DISTINCT[k] the distinct products of K's lines,
 * REFUNDED[k] the refunds (of K's orders, gone through by C) in minor units.
 * 0, or -1 out of memory. */
static int breadth(const souk_analytics_facts *f, const souk_analytics_snap *s, const souk_analytics_match *m,
                   souk__analytics_amounts *am, int32_t c, int64_t *distinct, int64_t *refunded)
{
    size_t nc = s->customers ? s->customers : 1, n = 0, cap = 1024;
    cust_day *cp = malloc(cap * sizeof *cp);
    int64_t amount;
    if (!cp)
        return -1;
    memset(distinct, 0, nc * sizeof *distinct);
    memset(refunded, 0, nc * sizeof *refunded);
    for (size_t i = 0; i < s->lines; i++) {
        const souk_analytics_line_chunk *ch = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t k = ch->customer[r];
        if (k < 0 || ch->day[r] > c || !souk__analytics_amounts_line(am, ch, r, m, &amount))
            continue;
        if (n == cap) {
            cust_day *nn = realloc(cp, cap * 2 * sizeof *nn);
            if (!nn) {
                free(cp);
                return -1;
            }
            cp = nn;
            cap *= 2;
        }
        cp[n++] = (cust_day){k, ch->product[r]}; /* the product in the day's place */
    }
    qsort(cp, n, sizeof *cp, cmp_cust_day);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || cp[i].customer != cp[i - 1].customer || cp[i].day != cp[i - 1].day)
            distinct[cp[i].customer]++;
    free(cp);
    for (size_t i = 0; i < s->refunds; i++) {
        const souk_analytics_refund_chunk *rc = SOUK_ANALYTICS_RC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t o = rc->order[r];
        if (rc->day[r] > c || o < 0 || (size_t)o >= s->orders)
            continue;
        const souk_analytics_order_chunk *oc = SOUK_ANALYTICS_OC(f, (size_t)o);
        size_t orow = SOUK_ANALYTICS_ROW_OF((size_t)o);
        int32_t k = oc->customer[orow];
        int64_t back;
        if (k < 0 || (size_t)k >= nc || oc->day[orow] > c ||
            souk__analytics_amounts_order(am, oc->currency[orow], oc->day[orow], rc->amount[r], m, &back) < 0)
            continue;
        refunded[k] += back; /* at the rates of its order's day, as the KPIs convert refunds */
    }
    return 0;
}

#define BGNBD_FIT_MAX 2000 /* customers BG/NBD is fitted on, per cutoff: four parameters */

/* What BG/NBD (clv_model.c) expects of each customer K with a purchase by
 * day C — FIRST[k] and LAST[k] their first and last purchase days, DAYS[k]
 * their days with a purchase, all up to C: the model fitted at C on (an
 * evenly strided sample of) those customers alone, so that no day after C
 * is read, and EXPECT[k] their expected days with a purchase in (C, C + H].
 * 0 for everyone when it cannot be fitted (a constant, which neither model
 * can use). 0, or -1 out of memory. */
static int expected_purchases(const int32_t *first, const int32_t *last, const int64_t *days, size_t nc, int32_t c,
                              int32_t h, double *expect)
{
    souk_analytics_clv_customer *cc = malloc((nc ? nc : 1) * sizeof *cc), *sample = NULL;
    size_t n = 0, ns = 0;
    if (!cc)
        return -1;
    for (size_t k = 0; k < nc; k++) {
        expect[k] = 0;
        if (days[k] > 0)
            cc[n++] = (souk_analytics_clv_customer){.customer = (int32_t)k,
                                                    .x = (double)(days[k] - 1),
                                                    .tx = (double)(last[k] - first[k]),
                                                    .T = (double)(c - first[k])};
    }
    sample = souk__analytics_clv_sample(cc, n, BGNBD_FIT_MAX, &ns);
    if (!sample) {
        free(cc);
        return -1;
    }
    souk_analytics_bgnbd bg;
    if (souk_analytics_bgnbd_fit(sample, ns, &bg) == 0)
        for (size_t i = 0; i < n; i++) {
            double e = souk_analytics_bgnbd_expected(&bg, cc[i].x, cc[i].tx, cc[i].T, h);
            expect[cc[i].customer] = isfinite(e) && e > 0 ? e : 0;
        }
    free(sample);
    free(cc);
    return 0;
}

/* The customers with a purchase up to day C (within the filter) as points
 * into *OUT (N); labels from (C, C + H]. 0, or -1 out of memory. */
static int points_at(const souk_analytics_facts *f, const souk_analytics_snap *s, const souk_analytics_match *m,
                     souk__analytics_amounts *am, int32_t c, int32_t h, point **out, size_t *n)
{
    size_t nc = s->customers ? s->customers : 1;
    int32_t *first = malloc(nc * sizeof *first), *last = malloc(nc * sizeof *last), *lastord = NULL;
    int64_t *orders = calloc(nc, sizeof *orders), *recent = calloc(nc, sizeof *recent),
            *money = calloc(nc, sizeof *money), *r30 = calloc(nc, sizeof *r30), *prev = calloc(nc, sizeof *prev);
    uint16_t *months = calloc(nc, sizeof *months);
    int32_t *prevday = calloc(nc, sizeof *prevday);
    int64_t *money90 = calloc(nc, sizeof *money90), *units = calloc(nc, sizeof *units),
            *nlines = calloc(nc, sizeof *nlines);
    double *decay30 = calloc(nc, sizeof *decay30), *decay120 = calloc(nc, sizeof *decay120);
    double *prate = malloc(nc * sizeof *prate), *orate = malloc(nc * sizeof *orate);
    uint8_t *after = calloc(nc, 1);
    int64_t *distinct = malloc(nc * sizeof *distinct), *refunded = malloc(nc * sizeof *refunded);
    int64_t *ndays = malloc(nc * sizeof *ndays);
    double *expect = malloc(nc * sizeof *expect);
    lastord = malloc(nc * sizeof *lastord);
    *out = NULL;
    *n = 0;
    int rc = -1;
    int64_t amount;
    if (!first || !last || !orders || !recent || !money || !after || !lastord || !r30 || !prev || !months || !prevday ||
        !money90 || !units || !nlines || !decay30 || !decay120 || !prate || !orate || !distinct || !refunded ||
        !ndays || !expect || breadth(f, s, m, am, c, distinct, refunded) < 0 ||
        return_rates(f, s, m, am, c, h, prate, orate, ndays) < 0)
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
        if (k < 0 || !souk__analytics_amounts_line(am, ch, r, m, &amount))
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
        money[k] += amount;
        units[k] += ch->quantity[r];
        nlines[k]++;
        if (d > c - 90)
            money90[k] += amount;
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
            decay30[k] += exp(-(double)(c - d) / 30.0);
            decay120[k] += exp(-(double)(c - d) / 120.0);
            if (d > c - 360)
                months[k] |= (uint16_t)(1u << ((c - d) / 30));
        }
    }
    if (expected_purchases(first, last, ndays, s->customers, c, h, expect) < 0)
        goto done;
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
        q->x[13] = log1p((double)units[k] / (double)orders[k]);
        q->x[14] = log1p((double)(money[k] > 0 ? money[k] : 0) / 100.0 / (double)orders[k]);
        q->x[15] = log((double)nlines[k] / (double)orders[k]);
        q->x[16] = decay30[k];
        q->x[17] = decay120[k];
        q->x[18] = prate[k];
        q->x[19] = orate[k];
        q->x[20] = log1p((double)distinct[k]);
        q->x[21] = money[k] > 0 ? fmin(1.0, (double)refunded[k] / (double)money[k]) : 0;
        q->x[22] = log1p(expect[k]);
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
    free(units);
    free(nlines);
    free(decay30);
    free(decay120);
    free(prate);
    free(orate);
    free(after);
    free(distinct);
    free(refunded);
    free(ndays);
    free(expect);
    return rc;
}

/* The features of P (N) as a row-major matrix into *X and the labels into
 * *Y (both malloc'd). 0, or -1 out of memory. */
static int matrix(const point *p, size_t n, double **x, uint8_t **y)
{
    *x = malloc((n ? n : 1) * NF * sizeof **x);
    *y = malloc(n ? n : 1);
    if (!*x || !*y) {
        free(*x);
        free(*y);
        *x = NULL;
        *y = NULL;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(*x + i * NF, p[i].x, sizeof p[i].x);
        (*y)[i] = (uint8_t)p[i].label;
    }
    return 0;
}

/* A labelled set: points and their matrix. */
typedef struct set {
    point *p;
    size_t n;
    double *x;
    uint8_t *y;
} set;

static int set_at(const souk_analytics_facts *f, const souk_analytics_snap *s, const souk_analytics_match *m,
                  souk__analytics_amounts *am, int32_t c, int32_t h, set *out)
{
    memset(out, 0, sizeof *out);
    if (points_at(f, s, m, am, c, h, &out->p, &out->n) < 0)
        return -1;
    return matrix(out->p, out->n, &out->x, &out->y);
}

/* At most MAX rows of SRC, evenly strided (all of them when it has no more),
 * into DST: its own copies of the matrix and labels, no points. 0, or -1
 * out of memory. */
static int set_sample(const set *src, size_t max, set *dst)
{
    memset(dst, 0, sizeof *dst);
    size_t n = src->n < max ? src->n : max;
    dst->x = malloc((n ? n : 1) * NF * sizeof *dst->x);
    dst->y = malloc(n ? n : 1);
    if (!dst->x || !dst->y)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t r = (size_t)((double)i * (double)src->n / (double)n);
        memcpy(dst->x + i * NF, src->x + r * NF, NF * sizeof *dst->x);
        dst->y[i] = src->y[r];
    }
    dst->n = n;
    return 0;
}

static void set_release(set *st)
{
    free(st->p);
    free(st->x);
    free(st->y);
}

/* The probabilities on TEST of the logistic regression fitted on TRAIN into
 * SC (TEST->n), with the penalty L2. 0, or -1 when TRAIN is empty. */
static int logit_scores(const set *train, const set *test, double l2, double *sc)
{
    souk__analytics_logit md;
    if (!train->n || souk__analytics_logit_fit_l2(&md, train->x, train->y, train->n, NF, l2) < 0)
        return -1;
    for (size_t i = 0; i < test->n; i++)
        sc[i] = souk__analytics_logit_predict(&md, test->x + i * NF);
    return 0;
}

/* The regression's penalties the validation chooses from (per row, on the
 * squared weights of standardised features): from almost none to strong
 * enough to pull twenty correlated weights well towards 0 (on Online Retail
 * the choice sat at 1, the old grid's edge, at two of four cutoffs: so up
 * to 10). */
static const double grid_l2[] = {1e-3, 1e-2, 1e-1, 1.0, 3.0, 10.0};

/* The penalty of grid_l2 whose fit on TRAIN ranks VALID best (the first,
 * i.e. the weakest, of equal ones); its scores on VALID into SC and its
 * AUC into *BEST (-1 when VALID cannot judge: the weakest). */
static double logit_tune(const set *train, const set *valid, double *sc, double *best)
{
    double chosen = grid_l2[0];
    *best = -1;
    for (size_t k = 0; k < sizeof grid_l2 / sizeof grid_l2[0]; k++) {
        if (logit_scores(train, valid, grid_l2[k], sc) < 0)
            break;
        double a = souk__analytics_auc(sc, valid->y, valid->n);
        if (a > *best + 1e-9) {
            *best = a;
            chosen = grid_l2[k];
        }
    }
    if (logit_scores(train, valid, chosen, sc) < 0)
        *best = -1;
    return chosen;
}

/* The grid the trees' settings are chosen from on the validation window:
 * each depth and leaf size boosted up to TREES_MAX rounds, the AUC read
 * every TREES_STEP rounds. */
static const int grid_depth[] = {2, 3, 4};
static const int grid_leaf[] = {10, 30, 100};
#define TREES_MAX 200
#define TREES_STEP 10
#define SHRINKAGE 0.1
#define GBDT_L2 1.0
#define GBDT_BINS 64
#define TUNE_ROWS_MAX 8000 /* customers the tuning's trees are fitted on */
#define FIT_ROWS_MAX 30000 /* and the test's and the served model's */

static souk__analytics_gbdt_params gbdt_default(void)
{
    return (souk__analytics_gbdt_params){
        .trees = 100, .depth = 3, .min_leaf = 30, .shrinkage = SHRINKAGE, .l2 = GBDT_L2, .bins = GBDT_BINS};
}

/* Fits the trees on TRAIN with P and writes each round count's AUC on TEST
 * (every TREES_STEP rounds, into AUCS[P->trees / TREES_STEP]); returns the
 * AUC of all P->trees rounds (-1 one class empty, -2 out of memory). */
static double gbdt_auc(const set *train, const set *test, const souk__analytics_gbdt_params *p, double *aucs)
{
    souk__analytics_gbdt md;
    if (souk__analytics_gbdt_fit(&md, p, train->x, train->y, train->n, NF) < 0)
        return -2;
    double *margin = malloc((test->n ? test->n : 1) * sizeof *margin);
    double a = -2;
    if (!margin)
        goto done;
    for (size_t i = 0; i < test->n; i++)
        margin[i] = md.base;
    a = -1;
    for (int t = 0; t < md.ntrees; t++) {
        for (size_t i = 0; i < test->n; i++)
            margin[i] += souk__analytics_gbdt_tree(&md, t, test->x + i * NF);
        if ((t + 1) % TREES_STEP == 0 || t + 1 == md.ntrees) {
            a = train->n ? souk__analytics_auc(margin, test->y, test->n) : -1;
            if (aucs && (t + 1) % TREES_STEP == 0)
                aucs[(t + 1) / TREES_STEP - 1] = a;
        }
    }
    if (md.ntrees == 0)
        a = -1;
done:
    free(margin);
    souk__analytics_gbdt_release(&md);
    return a;
}

/* The probabilities on TEST of the trees fitted on TRAIN with P into SC
 * (TEST->n). 0, or -1 (no rows, or out of memory). */
static int gbdt_scores(const set *train, const set *test, const souk__analytics_gbdt_params *p, double *sc)
{
    souk__analytics_gbdt md;
    if (!train->n || souk__analytics_gbdt_fit(&md, p, train->x, train->y, train->n, NF) < 0)
        return -1;
    for (size_t i = 0; i < test->n; i++)
        sc[i] = souk__analytics_gbdt_predict(&md, test->x + i * NF, -1);
    souk__analytics_gbdt_release(&md);
    return 0;
}

/* The trees' shares in the average the validation chooses from, the even
 * one first (it wins ties): the regression and the trees rarely validate
 * alike, and the weaker one should weigh less. 0 and 1 are left out: they
 * are the two models themselves, candidates of their own. */
static const double grid_blend[] = {0.5, 0.25, 0.75};

/* The average of the probabilities A (the regression's) and B (the trees'),
 * B weighted W, of N rows into MEAN. */
static void blend(const double *a, const double *b, size_t n, double w, double *mean)
{
    for (size_t i = 0; i < n; i++)
        mean[i] = (1 - w) * a[i] + w * b[i];
}

/* The AUCs on SET's labels of the scores A, B and their average with B
 * weighted W (written into MEAN): AUC[0..3) (-1 when a class is empty or a
 * score is missing). */
static void three_aucs(const set *st, const double *a, const double *b, double w, double *mean, double auc[3])
{
    blend(a, b, st->n, w, mean);
    auc[0] = souk__analytics_auc(a, st->y, st->n);
    auc[1] = souk__analytics_auc(b, st->y, st->n);
    auc[2] = souk__analytics_auc(mean, st->y, st->n);
}

/* The share of grid_blend whose average of A and B (N rows of SET) ranks
 * SET best (the first of equal ones); MEAN is scratch. */
static double blend_tune(const set *st, const double *a, const double *b, double *mean)
{
    double chosen = grid_blend[0], best = -1;
    for (size_t k = 0; k < sizeof grid_blend / sizeof grid_blend[0]; k++) {
        blend(a, b, st->n, grid_blend[k], mean);
        double auc = souk__analytics_auc(mean, st->y, st->n);
        if (auc > best + 1e-9) {
            best = auc;
            chosen = grid_blend[k];
        }
    }
    return chosen;
}

/* Chooses the trees' settings by their AUC on VALID when fitted on TRAIN
 * (the first best wins: fewer rounds, shallower trees, bigger leaves
 * first); *BEST gets that AUC (-1 when VALID cannot judge: the defaults;
 * -2 out of memory). */
static souk__analytics_gbdt_params gbdt_tune(const set *train, const set *valid, double *best)
{
    souk__analytics_gbdt_params chosen = gbdt_default();
    *best = -1;
    double aucs[TREES_MAX / TREES_STEP];
    for (size_t d = 0; d < sizeof grid_depth / sizeof grid_depth[0]; d++)
        for (size_t l = sizeof grid_leaf / sizeof grid_leaf[0]; l-- > 0;) {
            souk__analytics_gbdt_params p = gbdt_default();
            p.trees = TREES_MAX;
            p.depth = grid_depth[d];
            p.min_leaf = grid_leaf[l];
            for (int k = 0; k < TREES_MAX / TREES_STEP; k++)
                aucs[k] = -1;
            double r = gbdt_auc(train, valid, &p, aucs);
            if (r < -1) { /* out of memory */
                *best = -2;
                return chosen;
            }
            if (r < 0)
                continue;
            for (int k = 0; k < TREES_MAX / TREES_STEP; k++)
                if (aucs[k] > *best + 1e-9) {
                    *best = aucs[k];
                    chosen = p;
                    chosen.trees = (k + 1) * TREES_STEP;
                }
        }
    return chosen;
}

/* The models, in the order a validation tie prefers them. */
static const char *const model_names[3] = {"logistic_regression", "gradient_boosted_trees", "average"};

static int cmp_desc(const void *a, const void *b)
{
    const point *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->customer < y->customer ? -1 : x->customer > y->customer;
}

static json_t *auc_json(double a)
{
    return a >= 0 ? json_real(round(a * 10000) / 10000) : json_null();
}

json_t *souk_analytics_churn(const souk_analytics_facts *f, const souk_analytics_query *q)
{
    souk_analytics_snap s;
    souk__analytics_snap(f, &s);
    souk_analytics_match m;
    souk__analytics_match(f, &s, q, &m);
    int32_t t = q->to, h = q->horizon > 0 ? q->horizon : 90;
    /* fit at T − 3H, validate at T − 2H (labels up to T − H: the tuning never sees the test
     * window); train at T − 2H, test at T − H; the served model trained at T − H scores T */
    set fit3 = {0}, train = {0}, test = {0}, now = {0};
    json_t *out = NULL;
    souk__analytics_gbdt served_trees = {0};
    double *sc = NULL;
    /* the trees are fitted on strided samples (the tuning's nine on fewer rows) so that a big
     * store's report stays within seconds; the regression and every AUC use all the customers */
    set tune = {0}, train_s = {0}, test_s = {0};
    souk__analytics_amounts am; /* per currency, or every order converted (convert=1) */
    if (souk__analytics_amounts_init(&am, f, s.ncurrencies, q) < 0 || set_at(f, &s, &m, &am, t - 3 * h, h, &fit3) < 0 ||
        set_at(f, &s, &m, &am, t - 2 * h, h, &train) < 0 || set_at(f, &s, &m, &am, t - h, h, &test) < 0 ||
        set_at(f, &s, &m, &am, t, h, &now) < 0 || set_sample(&fit3, TUNE_ROWS_MAX, &tune) < 0 ||
        set_sample(&train, FIT_ROWS_MAX, &train_s) < 0 || set_sample(&test, FIT_ROWS_MAX, &test_s) < 0)
        goto done;
    double val_gbdt_tune;
    souk__analytics_gbdt_params gp = gbdt_tune(&tune, &train, &val_gbdt_tune);
    if (val_gbdt_tune < -1)
        goto done;
    /* validation and test scores of each model and of their mean: AUC[window][model] */
    size_t nmax = train.n > test.n ? train.n : test.n;
    sc = malloc(6 * (nmax ? nmax : 1) * sizeof *sc);
    if (!sc)
        goto done;
    double *vl = sc, *vg = vl + nmax, *vm = vg + nmax, *tl = vm + nmax, *tg = tl + nmax, *tm = tg + nmax;
    double val[3] = {-1, -1, -1}, tst[3] = {-1, -1, -1};
    double val_logit, l2 = logit_tune(&fit3, &train, vl, &val_logit), wt = grid_blend[0];
    if (val_logit >= 0 && gbdt_scores(&tune, &train, &gp, vg) == 0) {
        wt = blend_tune(&train, vl, vg, vm); /* the trees' share in the average, on validation too */
        three_aucs(&train, vl, vg, wt, vm, val);
    }
    if (logit_scores(&train, &test, l2, tl) == 0 && gbdt_scores(&train_s, &test, &gp, tg) == 0)
        three_aucs(&test, tl, tg, wt, tm, tst);
    /* the best on validation serves; a tie goes to the simpler (regression, trees, their mean) */
    int chosen = 0;
    for (int k = 1; k < 3; k++)
        if (val[k] > val[chosen] + 1e-9)
            chosen = k;
    size_t churned = 0;
    for (size_t i = 0; i < test.n; i++)
        churned += test.y[i];
    souk__analytics_logit final; /* the latest labelled window scores today's customers */
    souk__analytics_logit_fit_l2(&final, test.x, test.y, test.n, NF, l2);
    if (chosen > 0 && souk__analytics_gbdt_fit(&served_trees, &gp, test_s.x, test_s.y, test_s.n, NF) < 0)
        goto done;
    for (size_t i = 0; i < now.n; i++) {
        double pl = souk__analytics_logit_predict(&final, now.x + i * NF);
        double pg = chosen > 0 ? souk__analytics_gbdt_predict(&served_trees, now.x + i * NF, -1) : pl;
        now.p[i].score = chosen == 0 ? pl : chosen == 1 ? pg : (1 - wt) * pl + wt * pg;
    }
    qsort(now.p, now.n, sizeof *now.p, cmp_desc);
    out = souk__analytics_head(f, q, &m);
    char cut[11], cut2[11], cut3[11];
    souk__analytics_amounts_head(&am, f, &s, INT32_MIN, t, out);
    json_object_set_new(out, "horizon_days", json_integer(h));
    json_object_set_new(out, "model", json_string(model_names[chosen]));
    json_object_set_new(out, "validation_cutoff", json_string(souk_analytics_format_day(t - 3 * h, cut3)));
    json_object_set_new(out, "train_cutoff", json_string(souk_analytics_format_day(t - 2 * h, cut)));
    json_object_set_new(out, "test_cutoff", json_string(souk_analytics_format_day(t - h, cut2)));
    json_object_set_new(out, "train_customers", json_integer((json_int_t)train.n));
    json_object_set_new(out, "test_customers", json_integer((json_int_t)test.n));
    json_object_set_new(out, "test_churn_rate", souk__analytics_ratio((double)churned, (double)test.n));
    json_object_set_new(out, "auc", auc_json(tst[chosen]));
    json_object_set_new(out, "models",
                        json_pack("{s:{s:o,s:o,s:f},s:{s:o,s:o,s:i,s:i,s:i,s:f,s:i},s:{s:o,s:o,s:f}}", model_names[0],
                                  "validation_auc", auc_json(val[0]), "test_auc", auc_json(tst[0]), "l2", l2,
                                  model_names[1], "validation_auc", auc_json(val[1]), "test_auc", auc_json(tst[1]),
                                  "trees", gp.trees, "depth", gp.depth, "min_leaf", gp.min_leaf, "shrinkage",
                                  gp.shrinkage, "bins", gp.bins, model_names[2], "validation_auc", auc_json(val[2]),
                                  "test_auc", auc_json(tst[2]), "trees_weight", wt));
    json_t *coef = json_object();
    json_object_set_new(coef, "intercept", json_real(final.w[0]));
    for (int j = 0; j < NF; j++)
        json_object_set_new(coef, feature_names[j], json_real(final.w[1 + j]));
    json_object_set_new(out, "coefficients", coef);
    json_object_set_new(out, "customers", json_integer((json_int_t)now.n));
    json_t *rows = json_array();
    for (size_t i = 0, shown = 0; i < now.n; i++) {
        if (!souk__analytics_row_wanted(f, q, now.p[i].customer, i, shown))
            continue;
        shown++;
        char id[SOUK_ID_TEXT_MAX];
        json_array_append_new(
            rows, json_pack("{s:s,s:o,s:i,s:i}", "customer",
                            souk_id_format("usr", souk_analytics_dict_id(&f->customers, now.p[i].customer), id),
                            "churn_probability", json_real(round(now.p[i].score * 10000) / 10000), "recency_days",
                            (int)lround(expm1(now.p[i].x[0])), "frequency", (int)lround(expm1(now.p[i].x[1]))));
    }
    json_object_set_new(out, "rows", rows);
done:
    souk__analytics_amounts_release(&am);
    free(sc);
    souk__analytics_gbdt_release(&served_trees);
    set_release(&tune);
    set_release(&train_s);
    set_release(&test_s);
    set_release(&fit3);
    set_release(&train);
    set_release(&test);
    set_release(&now);
    return out;
}
