/*
 * rfm.c — RFM scores: for every customer who bought in the range, recency
 * (days from their last purchase to the end of the range), frequency
 * (orders) and monetary value (revenue), each scored 1..5 by quintile of
 * rank (ties share the lower rank's score; recent, frequent and high
 * spending score 5), and a named segment from the R and F scores
 * (docs/analytics.md has the grid).
 */
#include "analytics/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/id.h"
#include "core/banned.h"

typedef struct cust {
    int32_t index, last, r, f, m;
    int64_t orders, revenue, last_order;
} cust;

/* SEGMENT[r-1][f-1] */
static const char *const segment_grid[5][5] = {
    {"lost", "lost", "hibernating", "at_risk", "cant_lose_them"},
    {"hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"},
    {"promising", "need_attention", "need_attention", "loyal", "loyal"},
    {"promising", "potential_loyalists", "potential_loyalists", "champions", "champions"},
    {"new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"},
};
static const char *const segment_names[] = {
    "champions",      "loyal",   "potential_loyalists", "new_customers", "promising",
    "need_attention", "at_risk", "cant_lose_them",      "hibernating",   "lost"};

const char *souk_analytics_rfm_segment(int r, int f)
{
    return r >= 1 && r <= 5 && f >= 1 && f <= 5 ? segment_grid[r - 1][f - 1] : NULL;
}

static int64_t key_of(const cust *c, int which)
{
    return which == 0 ? c->last : which == 1 ? c->orders : c->revenue;
}

static _Thread_local int tls_which; /* the field cmp_key compares */
static int cmp_key(const void *a, const void *b)
{
    int64_t x = key_of(a, tls_which), y = key_of(b, tls_which);
    return x < y ? -1 : x > y;
}

/* Scores field WHICH of C (N) 1..5 by quintile of rank into OUT (by the
 * position in C's original order, kept in .index order by the caller). */
static void score(cust *c, size_t n, int which)
{
    tls_which = which;
    souk_sort(c, n, sizeof *c, cmp_key);
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && key_of(&c[i], which) != key_of(&c[i - 1], which))
            first = i;
        int s = 1 + (int)(5 * first / n);
        if (which == 0)
            c[i].r = s;
        else if (which == 1)
            c[i].f = s;
        else
            c[i].m = s;
    }
}

static int cmp_out(const void *a, const void *b)
{
    const cust *x = a, *y = b;
    int sx = x->r * 100 + x->f * 10 + x->m, sy = y->r * 100 + y->f * 10 + y->m;
    if (sx != sy)
        return sx > sy ? -1 : 1;
    if (x->revenue != y->revenue)
        return x->revenue > y->revenue ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Every customer who bought in Q's range and slice, scored, into *ALL (*N
 * of them; malloc'd, the caller frees), best scores first; the amounts
 * state into AM and the match into M (the caller releases AM). 0, or -1
 * when memory ran out. */
static int scored(const souk_analytics_facts *f, const souk_analytics_query *q, souk_analytics_snap *s,
                  souk_analytics_match *m, souk__analytics_amounts *am, cust **all_out, size_t *n_out)
{
    souk__analytics_snap(f, s);
    souk__analytics_match(f, s, q, m);
    size_t nc = s->customers ? s->customers : 1;
    cust *all = calloc(nc, sizeof *all);
    if (souk__analytics_amounts_init(am, f, s->ncurrencies, q) < 0 || !all) {
        free(all);
        return -1;
    }
    for (size_t c = 0; c < nc; c++) {
        all[c].index = (int32_t)c;
        all[c].last = INT32_MIN;
        all[c].last_order = -1;
    }
    for (size_t i = 0; i < s->lines; i++) {
        const souk_analytics_line_chunk *c = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t k = c->customer[r];
        int64_t amount;
        if (k < 0 || c->day[r] < q->from || c->day[r] > q->to || !souk__analytics_amounts_line(am, c, r, m, &amount))
            continue;
        cust *u = &all[k];
        if (c->day[r] > u->last)
            u->last = c->day[r];
        if (u->last_order != c->order[r]) {
            u->last_order = c->order[r];
            u->orders++;
        }
        u->revenue += amount;
    }
    size_t n = 0;
    for (size_t c = 0; c < s->customers; c++)
        if (all[c].orders)
            all[n++] = all[c];
    score(all, n, 0);
    score(all, n, 1);
    score(all, n, 2);
    souk_sort(all, n, sizeof *all, cmp_out);
    *all_out = all;
    *n_out = n;
    return 0;
}

int souk_analytics_rfm_each(const souk_analytics_facts *f, const souk_analytics_query *q, souk_analytics_rfm_fn fn,
                            void *ctx)
{
    souk_analytics_snap s;
    souk_analytics_match m;
    souk__analytics_amounts am;
    cust *all = NULL;
    size_t n = 0;
    int rc = scored(f, q, &s, &m, &am, &all, &n);
    souk__analytics_amounts_release(&am);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const souk_analytics_rfm_row row = {.customer_id = souk_analytics_dict_id(&f->customers, all[i].index),
                                            .recency_days = (int)(q->to - all[i].last),
                                            .frequency = all[i].orders,
                                            .monetary = all[i].revenue,
                                            .r = all[i].r,
                                            .f = all[i].f,
                                            .m = all[i].m,
                                            .segment = souk_analytics_rfm_segment(all[i].r, all[i].f)};
        fn(ctx, &row);
    }
    free(all);
    return 0;
}

json_t *souk_analytics_rfm(const souk_analytics_facts *f, const souk_analytics_query *q)
{
    souk_analytics_snap s;
    souk_analytics_match m;
    souk__analytics_amounts am;
    cust *all = NULL;
    size_t n = 0;
    if (scored(f, q, &s, &m, &am, &all, &n) < 0) {
        souk__analytics_amounts_release(&am);
        return NULL;
    }
    int64_t seg_count[10] = {0}, seg_revenue[10] = {0};
    for (size_t i = 0; i < n; i++) {
        const char *sg = souk_analytics_rfm_segment(all[i].r, all[i].f);
        for (int k = 0; k < 10; k++)
            if (strcmp(segment_names[k], sg) == 0) {
                seg_count[k]++;
                seg_revenue[k] += all[i].revenue;
            }
    }
    json_t *out = souk__analytics_head(f, q, &m), *rows = json_array(), *segs = json_array();
    souk__analytics_amounts_head(&am, f, &s, q->from, q->to, out);
    souk__analytics_amounts_release(&am);
    json_object_set_new(out, "customers", json_integer((json_int_t)n));
    for (int k = 0; k < 10; k++)
        json_array_append_new(segs, json_pack("{s:s,s:I,s:o,s:I}", "segment", segment_names[k], "customers",
                                              (json_int_t)seg_count[k], "share",
                                              souk__analytics_ratio((double)seg_count[k], (double)n), "revenue",
                                              (json_int_t)seg_revenue[k]));
    json_object_set_new(out, "segments", segs);
    for (size_t i = 0, shown = 0; i < n; i++) {
        if (!souk__analytics_row_wanted(f, q, all[i].index, i, shown))
            continue;
        shown++;
        char id[SOUK_ID_TEXT_MAX], code[4];
        snprintf(code, sizeof code, "%d%d%d", all[i].r, all[i].f, all[i].m);
        json_array_append_new(
            rows, json_pack("{s:s,s:i,s:I,s:I,s:i,s:i,s:i,s:s,s:s}", "customer",
                            souk_id_format("usr", souk_analytics_dict_id(&f->customers, all[i].index), id),
                            "recency_days", (int)(q->to - all[i].last), "frequency", (json_int_t)all[i].orders,
                            "monetary", (json_int_t)all[i].revenue, "r", all[i].r, "f", all[i].f, "m", all[i].m, "rfm",
                            code, "segment", souk_analytics_rfm_segment(all[i].r, all[i].f)));
    }
    json_object_set_new(out, "rows", rows);
    free(all);
    return out;
}
