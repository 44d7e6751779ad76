/*
 * cohorts.c — cohort retention: customers grouped by the month of their
 * first purchase (within the filter, over all history), and for each month
 * since, how many of them bought again and what they spent. One scan finds
 * first purchases; a second marks each customer's active months in a
 * bitset of the range's months and adds the revenue; then the bitsets are
 * counted.
 */
#include "analytics/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define MONTHS_MAX 128 /* months of a range (ten years fit) */

static int month_of(int32_t day)
{
    int y, m, d;
    souk_analytics_civil_from_days(day, &y, &m, &d);
    return y * 12 + m - 1;
}

json_t *souk_analytics_cohorts(const souk_analytics_facts *f, const souk_analytics_query *q)
{
    souk_analytics_snap s;
    souk__analytics_snap(f, &s);
    souk_analytics_match m;
    souk__analytics_match(f, &s, q, &m);
    int m0 = month_of(q->from), m1 = month_of(q->to), nm = m1 - m0 + 1;
    if (nm > MONTHS_MAX)
        nm = MONTHS_MAX;
    size_t nc = s.customers ? s.customers : 1;
    int32_t *first = malloc(nc * sizeof *first);
    uint64_t *active = calloc(nc * 2, sizeof *active);
    int64_t *revenue = calloc((size_t)nm * (size_t)nm, sizeof *revenue);
    int64_t *count = calloc((size_t)nm * (size_t)nm, sizeof *count);
    souk__analytics_amounts am0;
    if (souk__analytics_amounts_init(&am0, f, s.ncurrencies, q) < 0 || !first || !active || !revenue || !count) {
        souk__analytics_amounts_release(&am0);
        free(first);
        free(active);
        free(revenue);
        free(count);
        return NULL;
    }
    for (size_t c = 0; c < nc; c++)
        first[c] = INT32_MAX;
    for (size_t i = 0; i < s.lines; i++) {
        const souk_analytics_line_chunk *c = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t cust = c->customer[r];
        int64_t amount;
        if (cust >= 0 && c->day[r] < first[cust] && souk__analytics_amounts_line(&am0, c, r, &m, &amount))
            first[cust] = c->day[r];
    }
    for (size_t i = 0; i < s.lines; i++) {
        const souk_analytics_line_chunk *c = SOUK_ANALYTICS_LC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t cust = c->customer[r];
        int64_t amount;
        if (cust < 0 || first[cust] == INT32_MAX || c->day[r] > q->to ||
            !souk__analytics_amounts_line(&am0, c, r, &m, &amount))
            continue;
        int cm = month_of(first[cust]) - m0, am = month_of(c->day[r]) - m0;
        if (cm < 0 || cm >= nm || am < cm || am >= nm)
            continue;
        active[(size_t)cust * 2 + (size_t)(am >> 6)] |= 1ULL << (am & 63);
        revenue[cm * nm + (am - cm)] += amount;
    }
    for (size_t cust = 0; cust < s.customers; cust++) {
        if (first[cust] == INT32_MAX)
            continue;
        int cm = month_of(first[cust]) - m0;
        if (cm < 0 || cm >= nm)
            continue;
        for (int am = cm; am < nm; am++)
            if (active[cust * 2 + (size_t)(am >> 6)] >> (am & 63) & 1)
                count[cm * nm + (am - cm)]++;
    }
    json_t *out = souk__analytics_head(f, q, &m), *rows = json_array();
    souk__analytics_amounts_head(&am0, f, &s, INT32_MIN, q->to, out);
    souk__analytics_amounts_release(&am0);
    for (int cm = 0; cm < nm; cm++) {
        int64_t size = count[cm * nm];
        if (!size)
            continue;
        char label[16];
        int mi = m0 + cm;
        snprintf(label, sizeof label, "%04d-%02d", (mi / 12) % 10000, mi % 12 + 1);
        for (int k = 0; cm + k < nm; k++)
            json_array_append_new(rows, json_pack("{s:s,s:i,s:I,s:I,s:o,s:I}", "cohort", label, "months_since", k,
                                                  "cohort_size", (json_int_t)size, "customers",
                                                  (json_int_t)count[cm * nm + k], "retention_rate",
                                                  souk__analytics_ratio((double)count[cm * nm + k], (double)size),
                                                  "revenue", (json_int_t)revenue[cm * nm + k]));
    }
    json_object_set_new(out, "rows", rows);
    free(first);
    free(active);
    free(revenue);
    free(count);
    return out;
}
