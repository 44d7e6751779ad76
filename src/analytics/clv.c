/*
 * clv.c — customer lifetime value from the facts: each customer's
 * transactions (days with a purchase in the slice) summarised at a cutoff,
 * BG/NBD and Gamma-Gamma fitted (clv_model.c) on a strided sample, then
 * every customer's probability of being alive, expected purchases and
 * expected value over the horizon.
 */
#include "analytics/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/banned.h"

#define SAMPLE_MAX 20000 /* customers the models are fitted on */

typedef struct txn {
    int32_t customer, day;
    int64_t amount;
} txn;

static int by_customer_day(const void *a, const void *b)
{
    const txn *x = a, *y = b;
    if (x->customer != y->customer)
        return x->customer < y->customer ? -1 : 1;
    return (x->day > y->day) - (x->day < y->day);
}

int souk_analytics_clv_summary(const souk_analytics_facts *f, const souk_analytics_query *q, int32_t hold_end,
                               souk_analytics_clv_customer **out, size_t *nout)
{
    souk_analytics_snap s;
    souk__analytics_snap(f, &s);
    souk_analytics_match m;
    souk__analytics_match(f, &s, q, &m);
    int32_t cut = q->to, end = hold_end > cut ? hold_end : cut;
    *out = NULL;
    *nout = 0;
    size_t n = 0;
    souk__analytics_amounts am;
    int64_t amount;
    if (souk__analytics_amounts_init(&am, f, s.ncurrencies, q) < 0) {
        souk__analytics_amounts_release(&am);
        return -1;
    }
    for (size_t i = 0; i < s.lines; i++) {
        const souk_analytics_line_chunk *ch = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        n += ch->customer[r] >= 0 && ch->day[r] <= end && souk__analytics_amounts_line(&am, ch, r, &m, &amount);
    }
    txn *t = malloc((n ? n : 1) * sizeof *t);
    if (!t) {
        souk__analytics_amounts_release(&am);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < s.lines && k < n; i++) {
        const souk_analytics_line_chunk *ch = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        if (ch->customer[r] >= 0 && ch->day[r] <= end && souk__analytics_amounts_line(&am, ch, r, &m, &amount))
            t[k++] = (txn){ch->customer[r], ch->day[r], amount};
    }
    souk__analytics_amounts_release(&am);
    qsort(t, k, sizeof *t, by_customer_day);
    size_t cap = 0;
    souk_analytics_clv_customer *c = NULL;
    for (size_t i = 0; i < k;) {
        size_t j = i;
        int32_t who = t[i].customer, first = t[i].day, last = first, days = 0, hdays = 0, prev = INT32_MIN;
        double repeat = 0, hold = 0;
        int64_t dayval = 0;
        for (; j < k && t[j].customer == who; j++) {
            if (t[j].day != prev) { /* a new transaction day */
                if (prev != INT32_MIN && prev <= cut && days > 1)
                    repeat += (double)dayval;
                if (t[j].day <= cut)
                    days++;
                else
                    hdays++;
                prev = t[j].day;
                dayval = 0;
            }
            dayval += t[j].amount;
            if (t[j].day <= cut)
                last = t[j].day;
            else
                hold += (double)t[j].amount;
        }
        if (prev <= cut && days > 1)
            repeat += (double)dayval;
        i = j;
        if (first > cut)
            continue; /* first bought in the holdout: not a customer at the cutoff */
        if (*nout == cap) {
            size_t nc = cap ? 2 * cap : 1024;
            souk_analytics_clv_customer *g = realloc(c, nc * sizeof *g);
            if (!g) {
                free(c);
                free(t);
                return -1;
            }
            c = g;
            cap = nc;
        }
        double x = days - 1;
        c[(*nout)++] = (souk_analytics_clv_customer){
            who, x, (double)(last - first), (double)(cut - first), x > 0 ? repeat / x / 100.0 : 0, hdays, hold};
    }
    free(t);
    *out = c;
    return 0;
}

souk_analytics_clv_customer *souk__analytics_clv_sample(const souk_analytics_clv_customer *c, size_t n, size_t max,
                                                        size_t *ns)
{
    size_t stride = max && n > max ? (n + max - 1) / max : 1;
    souk_analytics_clv_customer *out = malloc((n / stride + 1) * sizeof *out);
    *ns = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += stride)
        out[(*ns)++] = c[i];
    return out;
}

static int by_value(const void *a, const void *b)
{
    const double *x = a, *y = b; /* [value, index] */
    if (x[0] != y[0])
        return x[0] > y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

json_t *souk_analytics_clv(const souk_analytics_facts *f, const souk_analytics_query *q)
{
    souk_analytics_snap s;
    souk__analytics_snap(f, &s);
    souk_analytics_match m;
    souk__analytics_match(f, &s, q, &m);
    int h = q->horizon > 0 ? q->horizon : 365;
    souk_analytics_clv_customer *c = NULL, *sample = NULL;
    size_t n = 0;
    double *order = NULL;
    json_t *out = NULL;
    if (souk_analytics_clv_summary(f, q, q->to, &c, &n) < 0)
        return NULL;
    size_t ns = 0;
    sample = souk__analytics_clv_sample(c, n, SAMPLE_MAX, &ns);
    order = malloc((n ? n : 1) * 2 * sizeof *order);
    if (!sample || !order)
        goto done;
    souk_analytics_bgnbd bg;
    souk_analytics_gg gg;
    bool has_bg = souk_analytics_bgnbd_fit(sample, ns, &bg) == 0, has_gg = souk_analytics_gg_fit(sample, ns, &gg) == 0;
    out = souk__analytics_head(f, q, &m);
    if (!out)
        goto done;
    {
        souk__analytics_amounts hd; /* a converted answer says how many orders had no rate */
        if (souk__analytics_amounts_init(&hd, f, s.ncurrencies, q) == 0)
            souk__analytics_amounts_head(&hd, f, &s, INT32_MIN, q->to, out);
        souk__analytics_amounts_release(&hd);
    }
    json_object_set_new(out, "horizon_days", json_integer(h));
    json_object_set_new(out, "customers", json_integer((json_int_t)n));
    json_object_set_new(out, "fitted_customers", json_integer((json_int_t)ns));
    json_object_set_new(out, "bgnbd",
                        has_bg ? json_pack("{s:f,s:f,s:f,s:f,s:f}", "r", bg.r, "alpha", bg.alpha, "a", bg.a, "b", bg.b,
                                           "loglik", bg.loglik)
                               : json_null());
    json_object_set_new(
        out, "gamma_gamma",
        has_gg ? json_pack("{s:f,s:f,s:f,s:f}", "p", gg.p, "q", gg.q, "gamma", gg.gamma, "loglik", gg.loglik)
               : json_null());
    double *ep = malloc((n ? n : 1) * 3 * sizeof *ep);
    if (!ep) {
        json_decref(out);
        out = NULL;
        goto done;
    }
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        double e = has_bg ? souk_analytics_bgnbd_expected(&bg, c[i].x, c[i].tx, c[i].T, h) : NAN;
        double alive = has_bg ? souk_analytics_bgnbd_alive(&bg, c[i].x, c[i].tx, c[i].T) : NAN;
        double mv = has_gg ? souk_analytics_gg_mean(&gg, c[i].x, c[i].m) * 100.0 : NAN; /* minor units */
        ep[3 * i] = e;
        ep[3 * i + 1] = alive;
        ep[3 * i + 2] = e * mv;
        order[2 * i] = isfinite(e * mv) ? e * mv : -1;
        order[2 * i + 1] = (double)i;
        if (isfinite(e * mv))
            total += e * mv;
    }
    qsort(order, n, 2 * sizeof *order, by_value);
    json_object_set_new(out, "expected_value", json_integer((json_int_t)llround(total)));
    json_t *rows = json_array();
    for (size_t k = 0, shown = 0; k < n; k++) {
        size_t i = (size_t)order[2 * k + 1];
        if (!souk__analytics_row_wanted(f, q, c[i].customer, k, shown))
            continue;
        shown++;
        char id[SOUK_ID_TEXT_MAX];
        double e = ep[3 * i], a = ep[3 * i + 1], v = ep[3 * i + 2];
        json_array_append_new(
            rows, json_pack("{s:s,s:i,s:i,s:i,s:o,s:o,s:o,s:o}", "customer",
                            souk_id_format("usr", souk_analytics_dict_id(&f->customers, c[i].customer), id),
                            "frequency", (int)c[i].x, "recency_days", (int)c[i].tx, "age_days", (int)c[i].T,
                            "mean_value", json_integer((json_int_t)llround(c[i].m * 100)), "p_alive",
                            isfinite(a) ? json_real(round(a * 10000) / 10000) : json_null(), "expected_purchases",
                            isfinite(e) ? json_real(round(e * 10000) / 10000) : json_null(), "expected_value",
                            isfinite(v) ? json_integer((json_int_t)llround(v)) : json_null()));
    }
    json_object_set_new(out, "rows", rows);
    free(ep);
done:
    free(c);
    free(sample);
    free(order);
    return out;
}
