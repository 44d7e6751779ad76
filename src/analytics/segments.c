/*
 * segments.c — k-means customer segments on RFM and category mix.
 *
 * Every customer who bought in the range becomes a point: log(1 + recency
 * days), log(1 + orders), log(1 + revenue in major units), and the share of
 * their revenue in each of the slice's SEG_CATEGORIES biggest categories;
 * each feature is standardised (z-score) so that none dominates by its unit.
 * k is chosen by the mean silhouette on a sample (k-means on up to
 * SEG_SAMPLE points for each k of 2..SEG_K_MAX, silhouettes on up to
 * SEG_SIL points), unless the caller fixes it; the chosen k is then fitted
 * on every point, starting from the sample's centroids. Initialisation is
 * k-means++ with a fixed seed and the best of SEG_RESTARTS runs is kept, so
 * the same facts give the same segments.
 */
#include "analytics/internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/banned.h"

#define SEG_CATEGORIES 5
#define SEG_DIM (3 + SEG_CATEGORIES)
#define SEG_K_MAX 8
#define SEG_SAMPLE 2000
#define SEG_SIL 600
#define SEG_RESTARTS 2
#define SEG_ITERATIONS 50

typedef struct cust {
    int32_t index, last;
    int64_t orders, revenue, last_order;
    int64_t cat[SEG_CATEGORIES];
} cust;

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double dist2(const double *a, const double *b)
{
    double d = 0;
    for (int j = 0; j < SEG_DIM; j++)
        d += (a[j] - b[j]) * (a[j] - b[j]);
    return d;
}

/* Lloyd's k-means of X (N points) into K clusters from the centroids in C
 * (updated); LABEL gets each point's cluster. Returns the inertia. */
static double lloyd(const double *x, size_t n, int k, double *c, int *label)
{
    double inertia = 0;
    size_t count[SOUK_ANALYTICS_SEG_K_LIMIT];
    for (int it = 0; it < SEG_ITERATIONS; it++) {
        bool moved = false;
        inertia = 0;
        for (size_t i = 0; i < n; i++) {
            int best = 0;
            double bd = DBL_MAX;
            for (int j = 0; j < k; j++) {
                double d = dist2(x + i * SEG_DIM, c + j * SEG_DIM);
                if (d < bd) {
                    bd = d;
                    best = j;
                }
            }
            if (label[i] != best) {
                label[i] = best;
                moved = true;
            }
            inertia += bd;
        }
        if (!moved && it)
            break;
        memset(count, 0, sizeof count);
        double sum[SOUK_ANALYTICS_SEG_K_LIMIT * SEG_DIM] = {0};
        for (size_t i = 0; i < n; i++) {
            count[label[i]]++;
            for (int d = 0; d < SEG_DIM; d++)
                sum[label[i] * SEG_DIM + d] += x[i * SEG_DIM + d];
        }
        for (int j = 0; j < k; j++)
            if (count[j]) /* an empty cluster keeps its centroid */
                for (int d = 0; d < SEG_DIM; d++)
                    c[j * SEG_DIM + d] = sum[j * SEG_DIM + d] / (double)count[j];
    }
    return inertia;
}

/* k-means++ seeds of X (N points, D2 scratch of N) into C. */
static void seed(const double *x, size_t n, int k, double *c, double *d2, uint64_t *rng)
{
    size_t first = next_rand(rng) % n;
    memcpy(c, x + first * SEG_DIM, SEG_DIM * sizeof *c);
    for (size_t i = 0; i < n; i++)
        d2[i] = dist2(x + i * SEG_DIM, c);
    for (int j = 1; j < k; j++) {
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += d2[i];
        double r = (double)(next_rand(rng) >> 11) / 9007199254740992.0 * total;
        size_t pick = n - 1;
        for (size_t i = 0; i < n; i++) {
            r -= d2[i];
            if (r <= 0) {
                pick = i;
                break;
            }
        }
        memcpy(c + j * SEG_DIM, x + pick * SEG_DIM, SEG_DIM * sizeof *c);
        for (size_t i = 0; i < n; i++) {
            double d = dist2(x + i * SEG_DIM, c + j * SEG_DIM);
            if (d < d2[i])
                d2[i] = d;
        }
    }
}

/* The best of SEG_RESTARTS k-means runs on X (N points): centroids into C. */
static void kmeans(const double *x, size_t n, int k, double *c, int *label, double *d2)
{
    uint64_t rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)k;
    double best = DBL_MAX, trial[SOUK_ANALYTICS_SEG_K_LIMIT * SEG_DIM];
    for (int r = 0; r < SEG_RESTARTS; r++) {
        seed(x, n, k, trial, d2, &rng);
        for (size_t i = 0; i < n; i++)
            label[i] = -1;
        double in = lloyd(x, n, k, trial, label);
        if (in < best) {
            best = in;
            memcpy(c, trial, (size_t)k * SEG_DIM * sizeof *c);
        }
    }
    for (size_t i = 0; i < n; i++)
        label[i] = -1;
    lloyd(x, n, k, c, label);
}

/* The mean silhouette of the first M points of X labelled LABEL (K clusters). */
static double silhouette(const double *x, size_t m, const int *label, int k)
{
    double total = 0;
    for (size_t i = 0; i < m; i++) {
        double sum[SOUK_ANALYTICS_SEG_K_LIMIT] = {0};
        size_t cnt[SOUK_ANALYTICS_SEG_K_LIMIT] = {0};
        for (size_t j = 0; j < m; j++) {
            if (j == i)
                continue;
            sum[label[j]] += sqrt(dist2(x + i * SEG_DIM, x + j * SEG_DIM));
            cnt[label[j]]++;
        }
        if (!cnt[label[i]]) /* alone in its cluster: 0 */
            continue;
        double a = sum[label[i]] / (double)cnt[label[i]], b = DBL_MAX;
        for (int c = 0; c < k; c++)
            if (c != label[i] && cnt[c] && sum[c] / (double)cnt[c] < b)
                b = sum[c] / (double)cnt[c];
        if (b == DBL_MAX)
            continue;
        double mx = a > b ? a : b;
        total += mx > 0 ? (b - a) / mx : 0;
    }
    return m ? total / (double)m : 0;
}

static int cmp_rev(const void *a, const void *b)
{
    const int64_t *x = a, *y = b; /* {revenue, index} pairs, biggest first */
    return x[0] > y[0] ? -1 : x[0] < y[0] ? 1 : (x[1] > y[1]) - (x[1] < y[1]);
}

/* The customers of the range and slice into ALL (indexed by customer),
 * with their revenue in the slice's top categories (TOP, NTOP). */
static void gather(const souk_analytics_facts *f, const souk_analytics_snap *s, const souk_analytics_query *q,
                   const souk_analytics_match *m, souk__analytics_amounts *am, cust *all, int64_t (*catrev)[2],
                   int32_t *top, int *ntop)
{
    size_t ncat = s->categories;
    int64_t amount;
    for (size_t i = 0; i < s->lines; i++) {
        const souk_analytics_line_chunk *c = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        if (c->customer[r] >= 0 && c->category[r] >= 0 && c->day[r] >= q->from && c->day[r] <= q->to &&
            souk__analytics_amounts_line(am, c, r, m, &amount))
            catrev[c->category[r]][0] += amount;
    }
    for (size_t c = 0; c < ncat; c++)
        catrev[c][1] = (int64_t)c;
    qsort(catrev, ncat, sizeof *catrev, cmp_rev);
    int32_t slot_of[SEG_CATEGORIES];
    *ntop = 0;
    for (size_t c = 0; c < ncat && *ntop < SEG_CATEGORIES && catrev[c][0] > 0; c++)
        slot_of[(*ntop)++] = (int32_t)catrev[c][1];
    for (int j = 0; j < *ntop; j++)
        top[j] = slot_of[j];
    for (size_t i = 0; i < s->lines; i++) {
        const souk_analytics_line_chunk *c = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t k = c->customer[r];
        if (k < 0 || c->day[r] < q->from || c->day[r] > q->to || !souk__analytics_amounts_line(am, c, r, m, &amount))
            continue;
        cust *u = &all[k];
        if (!u->orders || c->day[r] > u->last)
            u->last = c->day[r];
        if (!u->orders || u->last_order != c->order[r]) {
            u->last_order = c->order[r];
            u->orders++;
        }
        u->revenue += amount;
        for (int j = 0; j < *ntop; j++)
            if (c->category[r] == top[j])
                u->cat[j] += amount;
    }
}

json_t *souk_analytics_segments(const souk_analytics_facts *f, const souk_analytics_query *q)
{
    souk_analytics_snap s;
    souk__analytics_snap(f, &s);
    souk_analytics_match m;
    souk__analytics_match(f, &s, q, &m);
    size_t nc = s.customers ? s.customers : 1, ncat = s.categories ? s.categories : 1;
    cust *all = calloc(nc, sizeof *all);
    int64_t(*catrev)[2] = calloc(ncat, sizeof *catrev);
    double *x = NULL, *d2 = NULL;
    int *label = NULL, *slabel = NULL;
    json_t *out = NULL;
    souk__analytics_amounts am; /* per currency, or every order converted (convert=1) */
    if (souk__analytics_amounts_init(&am, f, s.ncurrencies, q) < 0 || !all || !catrev)
        goto done;
    int32_t top[SEG_CATEGORIES];
    int ntop;
    gather(f, &s, q, &m, &am, all, catrev, top, &ntop);
    size_t n = 0;
    for (size_t c = 0; c < s.customers; c++)
        if (all[c].orders) {
            all[n] = all[c];
            all[n++].index = (int32_t)c;
        }
    x = calloc((n ? n : 1) * SEG_DIM, sizeof *x);
    d2 = malloc((n ? n : 1) * sizeof *d2);
    label = malloc((n ? n : 1) * sizeof *label);
    slabel = malloc((n ? n : 1) * sizeof *slabel);
    if (!x || !d2 || !label || !slabel)
        goto done;
    /* features, standardised */
    for (size_t i = 0; i < n; i++) {
        double *p = x + i * SEG_DIM;
        p[0] = log1p((double)(q->to - all[i].last));
        p[1] = log1p((double)all[i].orders);
        p[2] = log1p((double)(all[i].revenue > 0 ? all[i].revenue : 0) / 100.0);
        for (int j = 0; j < ntop; j++)
            p[3 + j] = all[i].revenue > 0 ? (double)all[i].cat[j] / (double)all[i].revenue : 0;
    }
    for (int d = 0; d < SEG_DIM; d++) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++)
            mean += x[i * SEG_DIM + d];
        mean = n ? mean / (double)n : 0;
        for (size_t i = 0; i < n; i++)
            var += (x[i * SEG_DIM + d] - mean) * (x[i * SEG_DIM + d] - mean);
        double sd = n ? sqrt(var / (double)n) : 0;
        for (size_t i = 0; i < n; i++)
            x[i * SEG_DIM + d] = sd > 1e-12 ? (x[i * SEG_DIM + d] - mean) / sd : 0;
    }
    /* the sample: every step-th point, the silhouette's points first */
    size_t ns = n < SEG_SAMPLE ? n : SEG_SAMPLE, step = ns ? n / ns : 1;
    double *sx = malloc((ns ? ns : 1) * SEG_DIM * sizeof *sx);
    if (!sx)
        goto done;
    for (size_t i = 0; i < ns; i++)
        memcpy(sx + i * SEG_DIM, x + i * step * SEG_DIM, SEG_DIM * sizeof *sx);
    size_t nsil = ns < SEG_SIL ? ns : SEG_SIL;
    json_t *sil = json_array();
    double c[SOUK_ANALYTICS_SEG_K_LIMIT * SEG_DIM], bestc[SOUK_ANALYTICS_SEG_K_LIMIT * SEG_DIM];
    int kmin = q->k ? q->k : 2, kmax = q->k ? q->k : SEG_K_MAX, k = 0;
    double best = -2;
    for (int kk = kmin; kk <= kmax && (size_t)kk < ns; kk++) {
        kmeans(sx, ns, kk, c, slabel, d2);
        double v = silhouette(sx, nsil, slabel, kk);
        json_array_append_new(sil, json_pack("{s:i,s:o}", "k", kk, "silhouette", souk__analytics_ratio(v, 1)));
        if (v > best + 1e-12) {
            best = v;
            k = kk;
            memcpy(bestc, c, (size_t)kk * SEG_DIM * sizeof *c);
        }
    }
    free(sx);
    int64_t size[SOUK_ANALYTICS_SEG_K_LIMIT] = {0}, rev[SOUK_ANALYTICS_SEG_K_LIMIT] = {0},
            ord[SOUK_ANALYTICS_SEG_K_LIMIT] = {0}, rec[SOUK_ANALYTICS_SEG_K_LIMIT] = {0},
            cat[SOUK_ANALYTICS_SEG_K_LIMIT][SEG_CATEGORIES] = {{0}};
    if (k) {
        for (size_t i = 0; i < n; i++)
            label[i] = -1;
        lloyd(x, n, k, bestc, label);
        for (size_t i = 0; i < n; i++) {
            int l = label[i];
            size[l]++;
            rev[l] += all[i].revenue;
            ord[l] += all[i].orders;
            rec[l] += q->to - all[i].last;
            for (int j = 0; j < ntop; j++)
                cat[l][j] += all[i].cat[j];
        }
    }
    out = souk__analytics_head(f, q, &m);
    if (out)
        souk__analytics_amounts_head(&am, f, &s, q->from, q->to, out);
    json_object_set_new(out, "customers", json_integer((json_int_t)n));
    json_object_set_new(out, "k", k ? json_integer(k) : json_null());
    json_object_set_new(out, "silhouette", k ? souk__analytics_ratio(best, 1) : json_null());
    json_object_set_new(out, "silhouettes", sil);
    json_t *clusters = json_array(), *rows = json_array();
    for (int l = 0; l < k; l++) {
        json_t *mix = json_array();
        for (int j = 0; j < ntop; j++) {
            char id[SOUK_ID_TEXT_MAX];
            json_array_append_new(mix,
                                  json_pack("{s:s,s:o}", "category",
                                            souk_id_format("cat", souk_analytics_dict_id(&f->categories, top[j]), id),
                                            "share", souk__analytics_ratio((double)cat[l][j], (double)rev[l])));
        }
        json_array_append_new(
            clusters, json_pack("{s:i,s:I,s:o,s:o,s:o,s:o,s:I,s:o}", "cluster", l + 1, "customers", (json_int_t)size[l],
                                "share", souk__analytics_ratio((double)size[l], (double)n), "mean_recency_days",
                                size[l] ? json_real(round((double)rec[l] / (double)size[l] * 10) / 10) : json_null(),
                                "mean_frequency",
                                size[l] ? json_real(round((double)ord[l] / (double)size[l] * 100) / 100) : json_null(),
                                "mean_monetary", size[l] ? json_integer((json_int_t)(rev[l] / size[l])) : json_null(),
                                "revenue", (json_int_t)rev[l], "category_mix", mix));
    }
    json_object_set_new(out, "clusters", clusters);
    for (size_t i = (size_t)q->offset; k && i < n && i < (size_t)q->offset + (size_t)q->limit; i++) {
        char id[SOUK_ID_TEXT_MAX];
        json_array_append_new(
            rows, json_pack("{s:s,s:i,s:i,s:I,s:I}", "customer",
                            souk_id_format("usr", souk_analytics_dict_id(&f->customers, all[i].index), id), "cluster",
                            label[i] + 1, "recency_days", (int)(q->to - all[i].last), "frequency",
                            (json_int_t)all[i].orders, "monetary", (json_int_t)all[i].revenue));
    }
    json_object_set_new(out, "rows", rows);
done:
    souk__analytics_amounts_release(&am);
    free(all);
    free(catrev);
    free(x);
    free(d2);
    free(label);
    free(slabel);
    return out;
}
