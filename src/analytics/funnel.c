/*
 * funnel.c — the conversion funnel: how many visitors (or sessions) did the
 * steps in order within the range. A visitor's events are put together
 * (counted into visitors, then each visitor's few sorted by time); walking
 * them, step k counts when its event comes after step k-1 was reached.
 * Per session, a gap of SOUK_ANALYTICS_SESSION_GAP_S between two of a visitor's
 * events (of any type) starts a new session and the walk over.
 */
#include "analytics/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

static const struct {
    const char *name;
    int code;
} types[] = {
    {"page_view", 1},        {"product_view", 2},     {"search", 3},         {"search_click", 4}, {"add_to_cart", 5},
    {"remove_from_cart", 6}, {"checkout_started", 7}, {"rec_impression", 8}, {"rec_click", 9},    {"purchase", 20},
};

int souk_analytics_event_type(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i].name) == len && memcmp(types[i].name, name, len) == 0)
            return types[i].code;
    return -1;
}

const char *souk_analytics_event_name(int code)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].code == code)
            return types[i].name;
    return NULL;
}

/* Sorts V (N) ascending by insertion: a visitor's events arrive nearly in
 * time order (the table is in the order they were stored), so this is
 * about one pass, where qsort would pay its full price 200,000 times. */
static void sort_nearly_sorted(uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Counts, for the time-sorted events EV (N) of one visitor (sec << 8 |
 * step, step 0xff for an event of no step), into ENTERED. */
static void walk(const uint64_t *ev, size_t n, int nsteps, bool per_session, int64_t *entered)
{
    int reached = 0;
    uint32_t last = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t sec = (uint32_t)(ev[i] >> 8);
        int step = (int)(ev[i] & 0xff);
        if (per_session && i && sec - last > SOUK_ANALYTICS_SESSION_GAP_S) {
            for (int k = 0; k < reached; k++)
                entered[k]++;
            reached = 0;
        }
        last = sec;
        if (step == reached && reached < nsteps)
            reached++;
    }
    for (int k = 0; k < reached; k++)
        entered[k]++;
}

json_t *souk_analytics_funnel(const souk_analytics_facts *f, const souk_analytics_query *q)
{
    souk_analytics_snap s;
    souk__analytics_snap(f, &s);
    souk_analytics_match m;
    souk_analytics_query q2 = *q;
    q2.currency = 0;
    souk__analytics_match(f, &s, &q2, &m);
    int8_t step_of[256];
    memset(step_of, -1, sizeof step_of);
    for (int k = 0; k < q->nsteps; k++)
        step_of[q->steps[k] & 0xff] = (int8_t)k;
    size_t nv = s.visitors ? s.visitors : 1;
    size_t *start = calloc(nv + 1, sizeof *start);
    uint64_t *ev = NULL;
    int64_t entered[SOUK_ANALYTICS_STEPS_MAX] = {0};
    if (!start)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < s.events; i++) {
        const souk_analytics_event_chunk *c = SOUK_ANALYTICS_EC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        if (c->day[r] >= q->from && c->day[r] <= q->to && (q->per_session || step_of[c->type[r]] >= 0)) {
            start[c->visitor[r] + 1]++;
            n++;
        }
    }
    for (size_t v = 0; v < nv; v++)
        start[v + 1] += start[v];
    ev = malloc((n ? n : 1) * sizeof *ev);
    size_t *fill = malloc(nv * sizeof *fill);
    if (!ev || !fill) {
        free(start);
        free(ev);
        free(fill);
        return NULL;
    }
    memcpy(fill, start, nv * sizeof *fill);
    for (size_t i = 0; i < s.events; i++) {
        const souk_analytics_event_chunk *c = SOUK_ANALYTICS_EC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int k = step_of[c->type[r]];
        if (c->day[r] >= q->from && c->day[r] <= q->to && (q->per_session || k >= 0))
            ev[fill[c->visitor[r]]++] = (uint64_t)c->sec[r] << 8 | (uint8_t)(k >= 0 ? k : 0xff);
    }
    for (size_t v = 0; v < s.visitors; v++) {
        size_t a = start[v], b = start[v + 1];
        if (b - a > 1)
            sort_nearly_sorted(ev + a, b - a);
        if (b > a)
            walk(ev + a, b - a, q->nsteps, q->per_session, entered);
    }
    free(start);
    free(ev);
    free(fill);
    json_t *out = souk__analytics_head(f, q, &m), *rows = json_array();
    json_object_set_new(out, "currency", json_null());
    json_object_set_new(out, "per", json_string(q->per_session ? "session" : "visitor"));
    for (int k = 0; k < q->nsteps; k++) {
        int64_t prev = k ? entered[k - 1] : entered[0];
        json_array_append_new(
            rows, json_pack("{s:i,s:s,s:I,s:o,s:o,s:I,s:o}", "step", k + 1, "event",
                            souk_analytics_event_name(q->steps[k]), "count", (json_int_t)entered[k],
                            "conversion_from_start", souk__analytics_ratio((double)entered[k], (double)entered[0]),
                            "conversion_from_previous", souk__analytics_ratio((double)entered[k], (double)prev),
                            "drop_off", (json_int_t)(prev - entered[k]), "drop_off_rate",
                            souk__analytics_ratio((double)(prev - entered[k]), (double)prev)));
    }
    json_object_set_new(out, "rows", rows);
    return out;
}
