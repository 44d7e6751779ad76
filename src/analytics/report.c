/*
 * report.c — what the reports share: the snapshot of the counts, the
 * parallel scan, the filter, buckets of days, ratios and the CSV form.
 */
#include "analytics/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

void souk__analytics_snap(const souk_analytics_facts *f, souk_analytics_snap *s)
{
    s->version = atomic_load_explicit(&f->version, memory_order_acquire);
    s->events = atomic_load_explicit(&f->events.n, memory_order_acquire);
    s->lines = atomic_load_explicit(&f->lines.n, memory_order_acquire);
    s->refunds = atomic_load_explicit(&f->refunds.n, memory_order_acquire);
    s->orders = atomic_load_explicit(&f->orders.n, memory_order_acquire);
    s->customers = atomic_load_explicit(&f->customers.ids.n, memory_order_acquire);
    s->products = atomic_load_explicit(&f->products.ids.n, memory_order_acquire);
    s->categories = atomic_load_explicit(&f->categories.ids.n, memory_order_acquire);
    s->vendors = atomic_load_explicit(&f->vendors.ids.n, memory_order_acquire);
    s->visitors = atomic_load_explicit(&f->visitors.ids.n, memory_order_acquire);
    s->ncurrencies = atomic_load_explicit(&f->ncurrencies, memory_order_acquire);
}

typedef struct part {
    void (*fn)(void *, int, size_t, size_t);
    void *ctx;
    int t;
    size_t lo, hi;
} part;

static void *run_part(void *arg)
{
    part *p = arg;
    p->fn(p->ctx, p->t, p->lo, p->hi);
    return NULL;
}

void souk__analytics_parallel(size_t n, int threads, void (*fn)(void *ctx, int t, size_t lo, size_t hi), void *ctx)
{
    if (threads < 1)
        threads = 1;
    if (threads > 8)
        threads = 8;
    size_t chunks = (n + SOUK_ANALYTICS_CHUNK - 1) / SOUK_ANALYTICS_CHUNK;
    if (threads == 1 || chunks < 2) {
        fn(ctx, 0, 0, n);
        return;
    }
    if ((size_t)threads > chunks)
        threads = (int)chunks;
    part parts[8];
    pthread_t tid[8];
    bool started[8] = {false};
    size_t per = (chunks + (size_t)threads - 1) / (size_t)threads;
    for (int t = 0; t < threads; t++) {
        size_t lo = (size_t)t * per * SOUK_ANALYTICS_CHUNK, hi = lo + per * SOUK_ANALYTICS_CHUNK;
        parts[t] = (part){fn, ctx, t, lo < n ? lo : n, hi < n ? hi : n};
    }
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, run_part, &parts[t]) == 0;
    run_part(&parts[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            run_part(&parts[t]);
    }
}

void souk__analytics_match(const souk_analytics_facts *f, const souk_analytics_snap *s, const souk_analytics_query *q,
                           souk_analytics_match *m)
{
    m->category = q->category_id ? souk_analytics_dict_scan(&f->categories, q->category_id) : -1;
    if (m->category == -1 && q->category_id)
        m->category = -2;
    m->vendor = q->vendor_id ? souk_analytics_dict_scan(&f->vendors, q->vendor_id) : -1;
    if (m->vendor == -1 && q->vendor_id)
        m->vendor = -2;
    m->channel = q->channel;
    m->currency = q->currency;
    if (m->currency >= 0 || m->currency == -2)
        return;
    int64_t sum[SOUK_ANALYTICS_CURRENCIES_MAX] = {0};
    for (size_t i = 0; i < s->orders; i++) {
        const souk_analytics_order_chunk *c = SOUK_ANALYTICS_OC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        sum[c->currency[r]] += c->amount[r];
    }
    m->currency = 0;
    for (int i = 1; i < s->ncurrencies; i++)
        if (sum[i] > sum[m->currency])
            m->currency = i;
}

int32_t souk__analytics_bucket(int32_t day, int g)
{
    if (g == 1) /* 1970-01-01 was a Thursday: Monday is day 4 of its week */
        return day - (int32_t)(((day + 3) % 7 + 7) % 7);
    if (g == 2) {
        int y, m, d;
        souk_analytics_civil_from_days(day, &y, &m, &d);
        return souk_analytics_days_from_civil(y, m, 1);
    }
    return day;
}

int32_t souk__analytics_bucket_next(int32_t start, int g)
{
    if (g == 1)
        return start + 7;
    if (g == 2) {
        int y, m, d;
        souk_analytics_civil_from_days(start, &y, &m, &d);
        return m == 12 ? souk_analytics_days_from_civil(y + 1, 1, 1) : souk_analytics_days_from_civil(y, m + 1, 1);
    }
    return start + 1;
}

bool souk__analytics_row_wanted(const souk_analytics_facts *f, const souk_analytics_query *q, int32_t index, size_t pos,
                                size_t shown)
{
    if (q->customer_id)
        return shown == 0 && souk_analytics_dict_id(&f->customers, index) == q->customer_id;
    return pos >= (size_t)q->offset && shown < (size_t)q->limit;
}

json_t *souk__analytics_ratio(double a, double b)
{
    if (b == 0)
        return json_null();
    return json_real(round(a / b * 10000.0) / 10000.0);
}

json_t *souk__analytics_head(const souk_analytics_facts *f, const souk_analytics_query *q,
                             const souk_analytics_match *m)
{
    char from[11], to[11];
    int n = atomic_load_explicit(&f->ncurrencies, memory_order_acquire);
    json_t *cur = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(cur, json_string(f->currencies[i]));
    const char *code = m->currency >= 0 && m->currency < n ? f->currencies[m->currency] : q->currency_code;
    return json_pack("{s:s?,s:o,s:s,s:s,s:s}", "currency", code, "currencies", cur, "timezone", f->tz.name, "from",
                     souk_analytics_format_day(q->from, from), "to", souk_analytics_format_day(q->to, to));
}

/* One CSV field: numbers as they are, null empty, text quoted (a leading
 * = + - @ tab or CR defused with a ' so that a spreadsheet does not run it). */
static void csv_field(souk_buf *out, const json_t *v)
{
    if (json_is_integer(v))
        souk_buf_printf(out, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        souk_buf_printf(out, "%.4f", json_real_value(v));
    else if (json_is_true(v) || json_is_false(v))
        souk_buf_adds(out, json_is_true(v) ? "true" : "false");
    else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        souk_buf_addc(out, '"');
        if (s[0] && strchr("=+-@\t\r", s[0]))
            souk_buf_addc(out, '\'');
        for (; *s; s++) {
            if (*s == '"')
                souk_buf_addc(out, '"');
            souk_buf_addc(out, *s);
        }
        souk_buf_addc(out, '"');
    }
}

int souk_analytics_csv(const json_t *report, souk_buf *out)
{
    const json_t *rows = json_object_get(report, "rows");
    const json_t *first = json_array_get(rows, 0);
    if (!first)
        return souk_buf_failed(out) ? -1 : 0;
    const char *key;
    const json_t *v;
    int k = 0;
    json_object_foreach((json_t *)first, key, v)
    {
        souk_buf_adds(out, k++ ? "," : "");
        souk_buf_adds(out, key);
    }
    souk_buf_adds(out, "\r\n");
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row)
    {
        k = 0;
        json_object_foreach((json_t *)first, key, v)
        {
            if (k++)
                souk_buf_addc(out, ',');
            csv_field(out, json_object_get(row, key));
        }
        souk_buf_adds(out, "\r\n");
    }
    return souk_buf_failed(out) ? -1 : 0;
}
