/*
 * kpis.c — the KPIs of a range beside the previous period, and the time
 * series by day, week or month. Both run one engine over buckets of days
 * (the KPIs have two: the range and the period before it):
 *
 *  1. the order lines, in parallel (chunk-aligned parts): per bucket the
 *     revenue and units of the lines that pass the filter, per order
 *     whether any line passed and the sum of those that did (to share its
 *     refunds), per customer the first day of a passing line (all history:
 *     new or returning);
 *  2. the orders of the snapshot: per bucket the orders, guest orders and
 *     distinct customers (orders counted into buckets first, then each
 *     bucket's customers stamped with it, so each counts once);
 *  3. the refunds: per bucket by the refund's own day, the share of the
 *     slice in its order;
 *  4. the events (store-wide traffic, left out when a category or vendor
 *     filter applies): counted into days, then each day's and bucket's
 *     visitors stamped — DAU, visitors, buyers, carts left.
 */
#include "analytics/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

typedef struct bucket {
    int32_t start, end; /* days [start, end] */
    int64_t gross, refunds, units, orders, guest_orders, customers, new_customers;
    int64_t visitors, buyers, carts, carts_left, active_days_sum;
} bucket;

typedef struct engine {
    const souk_analytics_facts *f;
    const souk_analytics_query *q;
    souk_analytics_snap s;
    souk_analytics_match m;
    int32_t lo, hi;      /* days covered */
    int32_t *day_bucket; /* hi - lo + 1: bucket of each day, -1 none */
    bucket *b;
    int nb;
    int threads;
    /* per thread (line scan) */
    int64_t *t_gross[8], *t_units[8];
    int32_t *t_first[8];
    /* shared */
    _Atomic uint8_t *order_hit;
    _Atomic int64_t *order_slice;
    bool traffic;
    int64_t wau, mau; /* distinct visitors of the 7 and 30 days to the end of the range */
    bool converting;  /* q->fx: every currency's orders, converted */
    souk__analytics_conv conv;
} engine;

static int bucket_of(const engine *e, int32_t day)
{
    return day < e->lo || day > e->hi ? -1 : e->day_bucket[day - e->lo];
}

static void scan_lines(void *ctx, int t, size_t lo, size_t hi)
{
    engine *e = ctx;
    int64_t *gross = e->t_gross[t], *units = e->t_units[t];
    int32_t *first = e->t_first[t];
    const souk_analytics_match *m = &e->m;
    for (size_t i = lo; i < hi;) {
        const souk_analytics_line_chunk *c = SOUK_ANALYTICS_LC(e->f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i), end = i - r + SOUK_ANALYTICS_CHUNK;
        if (end > hi)
            end = hi;
        for (; i < end; i++, r++) {
            if (!souk__analytics_line_ok(c, r, m))
                continue;
            int32_t cust = c->customer[r], day = c->day[r];
            if (cust >= 0 && day < first[cust])
                first[cust] = day;
            int32_t o = c->order[r];
            atomic_store_explicit(&e->order_hit[o], 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&e->order_slice[o], c->amount[r], memory_order_relaxed);
            int b = bucket_of(e, day);
            if (b >= 0) {
                gross[b] += c->amount[r];
                units[b] += c->quantity[r];
            }
        }
    }
}

/* scan_lines for a converted report: every currency that can be converted
 * passes, each line's amount converted at its day's rates. */
static void scan_lines_conv(void *ctx, int t, size_t lo, size_t hi)
{
    engine *e = ctx;
    int64_t *gross = e->t_gross[t], *units = e->t_units[t];
    int32_t *first = e->t_first[t];
    const souk_analytics_match *m = &e->m;
    souk__analytics_conv_memo memo = {.cur = -1};
    for (size_t i = lo; i < hi;) {
        const souk_analytics_line_chunk *c = SOUK_ANALYTICS_LC(e->f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i), end = i - r + SOUK_ANALYTICS_CHUNK;
        if (end > hi)
            end = hi;
        for (; i < end; i++, r++) {
            if ((m->category != -1 && c->category[r] != m->category) ||
                (m->vendor != -1 && c->vendor[r] != m->vendor) || (m->channel != -1 && c->channel[r] != m->channel))
                continue;
            int32_t cust = c->customer[r], day = c->day[r];
            int64_t amount;
            if (souk__analytics_conv_amount_memo(&e->conv, &memo, c->currency[r], day, c->amount[r], &amount) < 0)
                continue; /* no stored rate: left out, counted in the head */
            if (cust >= 0 && day < first[cust])
                first[cust] = day;
            int32_t o = c->order[r];
            atomic_store_explicit(&e->order_hit[o], 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&e->order_slice[o], amount, memory_order_relaxed);
            int b = bucket_of(e, day);
            if (b >= 0) {
                gross[b] += amount;
                units[b] += c->quantity[r];
            }
        }
    }
}

static int scan_orders(engine *e, int32_t *first)
{
    size_t n = e->s.orders;
    int32_t *count = calloc((size_t)e->nb + 1, sizeof *count);
    int32_t *by_bucket = malloc((n ? n : 1) * sizeof *by_bucket);
    int32_t *stamp = malloc((e->s.customers ? e->s.customers : 1) * sizeof *stamp);
    if (!count || !by_bucket || !stamp) {
        free(count);
        free(by_bucket);
        free(stamp);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!atomic_load_explicit(&e->order_hit[i], memory_order_relaxed))
            continue;
        int b = bucket_of(e, SOUK_ANALYTICS_OC(e->f, i)->day[SOUK_ANALYTICS_ROW_OF(i)]);
        if (b >= 0)
            count[b + 1]++;
    }
    for (int b = 0; b < e->nb; b++)
        count[b + 1] += count[b];
    for (size_t i = 0; i < n; i++) {
        if (!atomic_load_explicit(&e->order_hit[i], memory_order_relaxed))
            continue;
        int b = bucket_of(e, SOUK_ANALYTICS_OC(e->f, i)->day[SOUK_ANALYTICS_ROW_OF(i)]);
        if (b >= 0)
            by_bucket[count[b]++] = (int32_t)i;
    }
    for (size_t c = 0; c < e->s.customers; c++)
        stamp[c] = -1;
    size_t k = 0;
    for (int b = 0; b < e->nb; b++) { /* count[b] is now the end of bucket b */
        for (; k < (size_t)count[b]; k++) {
            int32_t o = by_bucket[k];
            int32_t cust = SOUK_ANALYTICS_OC(e->f, o)->customer[SOUK_ANALYTICS_ROW_OF(o)];
            e->b[b].orders++;
            if (cust < 0) {
                e->b[b].guest_orders++;
            } else if (stamp[cust] != b) {
                stamp[cust] = b;
                e->b[b].customers++;
            }
        }
    }
    for (size_t c = 0; c < e->s.customers; c++) {
        int b = first[c] == INT32_MAX ? -1 : bucket_of(e, first[c]);
        if (b >= 0)
            e->b[b].new_customers++;
    }
    free(count);
    free(by_bucket);
    free(stamp);
    return 0;
}

static void scan_refunds(engine *e)
{
    for (size_t i = 0; i < e->s.refunds; i++) {
        const souk_analytics_refund_chunk *c = SOUK_ANALYTICS_RC(e->f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int b = bucket_of(e, c->day[r]);
        int32_t o = c->order[r];
        if (b < 0 || !atomic_load_explicit(&e->order_hit[o], memory_order_relaxed))
            continue;
        const souk_analytics_order_chunk *oc = SOUK_ANALYTICS_OC(e->f, o);
        size_t orow = SOUK_ANALYTICS_ROW_OF(o);
        int64_t total = oc->amount[orow], amount = c->amount[r];
        /* converted: the refund and its order's total at the rates of the order's day, as its lines were */
        if (e->converting &&
            (souk__analytics_conv_amount(&e->conv, oc->currency[orow], oc->day[orow], total, &total) < 0 ||
             souk__analytics_conv_amount(&e->conv, oc->currency[orow], oc->day[orow], amount, &amount) < 0))
            continue;
        int64_t slice = atomic_load_explicit(&e->order_slice[o], memory_order_relaxed);
        e->b[b].refunds +=
            total > 0 && slice != total ? (int64_t)((double)amount * (double)slice / (double)total + 0.5) : amount;
    }
}

/* Visitors stamped once per bucket and per day; their flags per bucket. */
static int scan_events(engine *e, int32_t wau_from, int32_t mau_from, bool wau_on)
{
    size_t ndays = (size_t)(e->hi - e->lo + 1), nv = e->s.visitors;
    size_t *count = calloc(ndays + 1, sizeof *count);
    int32_t *bstamp = malloc((nv ? nv : 1) * sizeof *bstamp), *dstamp = malloc((nv ? nv : 1) * sizeof *dstamp);
    int32_t *wstamp = malloc((nv ? nv : 1) * sizeof *wstamp);
    uint8_t *flags = calloc(nv ? nv : 1, 1);
    int32_t *touched = malloc((nv ? nv : 1) * sizeof *touched);
    size_t n = 0;
    if (!count || !bstamp || !dstamp || !wstamp || !flags || !touched)
        goto fail;
    for (size_t i = 0; i < e->s.events; i++) {
        int32_t d = SOUK_ANALYTICS_EC(e->f, i)->day[SOUK_ANALYTICS_ROW_OF(i)];
        if (d >= e->lo && d <= e->hi) {
            count[d - e->lo + 1]++;
            n++;
        }
    }
    for (size_t d = 0; d < ndays; d++)
        count[d + 1] += count[d];
    uint64_t *by_day = malloc((n ? n : 1) * sizeof *by_day); /* visitor << 8 | type */
    if (!by_day)
        goto fail;
    for (size_t i = 0; i < e->s.events; i++) {
        const souk_analytics_event_chunk *c = SOUK_ANALYTICS_EC(e->f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        int32_t d = c->day[r];
        if (d >= e->lo && d <= e->hi)
            by_day[count[d - e->lo]++] = (uint64_t)c->visitor[r] << 8 | c->type[r];
    }
    for (size_t v = 0; v < nv; v++)
        bstamp[v] = dstamp[v] = wstamp[v] = -1;
    size_t k = 0, ntouched = 0;
    int cur = -1;
    for (size_t d = 0; d < ndays; d++) {
        int b = e->day_bucket[d];
        int32_t day = e->lo + (int32_t)d;
        if (b != cur) { /* the previous bucket is complete */
            if (cur >= 0)
                for (size_t t = 0; t < ntouched; t++)
                    e->b[cur].carts_left += (flags[touched[t]] & 3) == 1;
            cur = b;
            ntouched = 0;
        }
        for (; k < count[d]; k++) {
            int32_t v = (int32_t)(by_day[k] >> 8);
            int type = (int)(by_day[k] & 0xff);
            if (wau_on && day >= mau_from && wstamp[v] != 1) {
                if (wstamp[v] == -1) {
                    e->mau++;
                    wstamp[v] = 0;
                }
                if (day >= wau_from) {
                    e->wau++;
                    wstamp[v] = 1;
                }
            }
            if (b < 0)
                continue;
            bucket *bk = &e->b[b];
            if (bstamp[v] != b) {
                bstamp[v] = b;
                flags[v] = 0;
                touched[ntouched++] = v;
                bk->visitors++;
            }
            if (dstamp[v] != day) {
                dstamp[v] = day;
                bk->active_days_sum++;
            }
            if (type == SOUK_ANALYTICS_EV_ADD_TO_CART && !(flags[v] & 1)) {
                flags[v] |= 1;
                bk->carts++;
            }
            if (type == SOUK_ANALYTICS_EV_PURCHASE && !(flags[v] & 2)) {
                flags[v] |= 2;
                bk->buyers++;
            }
        }
    }
    if (cur >= 0)
        for (size_t t = 0; t < ntouched; t++)
            e->b[cur].carts_left += (flags[touched[t]] & 3) == 1;
    free(by_day);
    free(count);
    free(bstamp);
    free(dstamp);
    free(wstamp);
    free(flags);
    free(touched);
    return 0;
fail:
    free(count);
    free(bstamp);
    free(dstamp);
    free(wstamp);
    free(flags);
    free(touched);
    return -1;
}

static void engine_release(engine *e)
{
    for (int t = 0; t < 8; t++) {
        free(e->t_gross[t]);
        free(e->t_units[t]);
        free(e->t_first[t]);
    }
    free(e->day_bucket);
    if (e->converting)
        souk__analytics_conv_release(&e->conv);
    free((void *)e->order_hit);
    free((void *)e->order_slice);
}

/* Runs the engine over buckets B (NB, each a day range, ascending and
 * disjoint, inside [LO, HI]); with WAU, the distinct visitors of the 7 and
 * 30 days up to HI too. 0, or -1 out of memory. */
static int engine_run(engine *e, const souk_analytics_facts *f, const souk_analytics_query *q, bucket *b, int nb,
                      int32_t lo, int32_t hi, bool wau)
{
    memset(e, 0, sizeof *e);
    e->f = f;
    e->q = q;
    e->b = b;
    e->nb = nb;
    e->lo = lo;
    e->hi = hi;
    souk__analytics_snap(f, &e->s);
    souk__analytics_match(f, &e->s, q, &e->m);
    e->traffic = q->category_id == 0 && q->vendor_id == 0;
    if (q->fx) {
        if (souk__analytics_conv_init(&e->conv, f, e->s.ncurrencies, q->fx, q->currency_code) < 0) {
            souk__analytics_conv_release(&e->conv);
            return -1;
        }
        e->converting = true;
    }
    e->threads = q->threads > 0 ? q->threads : 2;
    if (e->threads > 8)
        e->threads = 8;
    size_t ndays = (size_t)(hi - lo + 1), nc = e->s.customers ? e->s.customers : 1;
    e->day_bucket = malloc(ndays * sizeof *e->day_bucket);
    e->order_hit = calloc(e->s.orders ? e->s.orders : 1, sizeof *e->order_hit);
    e->order_slice = calloc(e->s.orders ? e->s.orders : 1, sizeof *e->order_slice);
    if (!e->day_bucket || !e->order_hit || !e->order_slice)
        return -1;
    for (size_t d = 0; d < ndays; d++)
        e->day_bucket[d] = -1;
    for (int i = 0; i < nb; i++)
        for (int32_t d = b[i].start; d <= b[i].end; d++)
            e->day_bucket[d - lo] = i;
    for (int t = 0; t < e->threads; t++) {
        e->t_gross[t] = calloc((size_t)nb, sizeof(int64_t));
        e->t_units[t] = calloc((size_t)nb, sizeof(int64_t));
        e->t_first[t] = malloc(nc * sizeof(int32_t));
        if (!e->t_gross[t] || !e->t_units[t] || !e->t_first[t])
            return -1;
        for (size_t c = 0; c < nc; c++)
            e->t_first[t][c] = INT32_MAX;
    }
    souk__analytics_parallel(e->s.lines, e->threads, e->converting ? scan_lines_conv : scan_lines, e);
    for (int t = 1; t < e->threads; t++) {
        for (int i = 0; i < nb; i++) {
            e->t_gross[0][i] += e->t_gross[t][i];
            e->t_units[0][i] += e->t_units[t][i];
        }
        for (size_t c = 0; c < e->s.customers; c++)
            if (e->t_first[t][c] < e->t_first[0][c])
                e->t_first[0][c] = e->t_first[t][c];
    }
    for (int i = 0; i < nb; i++) {
        b[i].gross = e->t_gross[0][i];
        b[i].units = e->t_units[0][i];
    }
    if (scan_orders(e, e->t_first[0]) < 0)
        return -1;
    scan_refunds(e);
    if (e->traffic) {
        if (scan_events(e, hi - 6, hi - 29, wau) < 0)
            return -1;
    }
    return 0;
}

/* The head's "converted" member of a converted report: how, and the orders
 * of [FROM, TO] left out for want of a rate, with their currencies. */
static void put_converted(const engine *e, json_t *out, int32_t from, int32_t to)
{
    if (!e->converting)
        return;
    int64_t left = 0;
    bool seen[SOUK_ANALYTICS_CURRENCIES_MAX] = {false};
    for (size_t i = 0; i < e->s.orders; i++) {
        const souk_analytics_order_chunk *c = SOUK_ANALYTICS_OC(e->f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        if (c->day[r] < from || c->day[r] > to || souk__analytics_conv_ok(&e->conv, c->currency[r]))
            continue;
        left++;
        seen[c->currency[r]] = true;
    }
    json_t *codes = json_array();
    for (int i = 0; i < e->s.ncurrencies && i < SOUK_ANALYTICS_CURRENCIES_MAX; i++)
        if (seen[i])
            json_array_append_new(codes, json_string(e->f->currencies[i]));
    json_object_set_new(out, "converted",
                        json_pack("{s:s,s:I,s:o}", "rates", "in effect on each order's day (store time zone)",
                                  "unconverted_orders", (json_int_t)left, "unconverted_currencies", codes));
}

static json_t *metrics_json(const engine *e, const bucket *b)
{
    int64_t net = b->gross - b->refunds, days = b->end - b->start + 1;
    json_t *j =
        json_pack("{s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I}", "gross_revenue", (json_int_t)b->gross, "refunds",
                  (json_int_t)b->refunds, "net_revenue", (json_int_t)net, "orders", (json_int_t)b->orders, "aov",
                  b->orders ? json_integer((json_int_t)((b->gross + b->orders / 2) / b->orders)) : json_null(), "units",
                  (json_int_t)b->units, "customers", (json_int_t)b->customers, "new_customers",
                  (json_int_t)b->new_customers, "returning_customers", (json_int_t)(b->customers - b->new_customers),
                  "guest_orders", (json_int_t)b->guest_orders);
    if (!j)
        return NULL;
    if (e->traffic) {
        json_object_set_new(j, "visitors", json_integer(b->visitors));
        json_object_set_new(j, "conversion_rate", souk__analytics_ratio((double)b->buyers, (double)b->visitors));
        json_object_set_new(j, "cart_abandonment_rate", souk__analytics_ratio((double)b->carts_left, (double)b->carts));
        json_object_set_new(j, "dau", souk__analytics_ratio((double)b->active_days_sum, (double)days));
    } else {
        json_object_set_new(j, "visitors", json_null());
        json_object_set_new(j, "conversion_rate", json_null());
        json_object_set_new(j, "cart_abandonment_rate", json_null());
        json_object_set_new(j, "dau", json_null());
    }
    return j;
}

/* The change of CUR against PREV: a ratio (cur - prev) / prev, null when
 * either is null or prev is 0. */
static json_t *change(const json_t *cur, const json_t *prev)
{
    if (!json_is_number(cur) || !json_is_number(prev))
        return json_null();
    double c = json_number_value(cur), p = json_number_value(prev);
    return souk__analytics_ratio(c - p, p);
}

json_t *souk_analytics_kpis(const souk_analytics_facts *f, const souk_analytics_query *q)
{
    int32_t len = q->to - q->from + 1;
    bucket b[2] = {{.start = q->from, .end = q->to}, {.start = q->from - len, .end = q->from - 1}};
    engine e;
    int32_t lo = q->from - len < q->to - 29 ? q->from - len : q->to - 29;
    if (engine_run(&e, f, q, b, 2, lo, q->to, true) < 0) {
        engine_release(&e);
        return NULL;
    }
    json_t *cur = metrics_json(&e, &b[0]), *prev = metrics_json(&e, &b[1]);
    if (e.traffic) {
        json_object_set_new(cur, "wau", json_integer(e.wau));
        json_object_set_new(cur, "mau", json_integer(e.mau));
    } else {
        json_object_set_new(cur, "wau", json_null());
        json_object_set_new(cur, "mau", json_null());
    }
    char pf[11], pt[11];
    json_t *out = souk__analytics_head(f, q, &e.m), *rows = json_array();
    put_converted(&e, out, b[1].start, q->to);
    json_object_set_new(out, "previous_from", json_string(souk_analytics_format_day(b[1].start, pf)));
    json_object_set_new(out, "previous_to", json_string(souk_analytics_format_day(b[1].end, pt)));
    const char *key;
    json_t *v;
    json_object_foreach(cur, key, v)
    {
        json_t *p = json_object_get(prev, key);
        json_array_append_new(rows, json_pack("{s:s,s:O,s:O,s:o}", "metric", key, "current", v, "previous",
                                              p ? p : json_null(), "change", change(v, p)));
    }
    json_object_set_new(out, "current", cur);
    json_object_set_new(out, "previous", prev);
    json_object_set_new(out, "rows", rows);
    engine_release(&e);
    return out;
}

json_t *souk_analytics_timeseries(const souk_analytics_facts *f, const souk_analytics_query *q)
{
    int nb = 0;
    for (int32_t d = souk__analytics_bucket(q->from, q->granularity); d <= q->to;
         d = souk__analytics_bucket_next(d, q->granularity))
        nb++;
    bucket *b = calloc((size_t)nb, sizeof *b);
    if (!b)
        return NULL;
    int i = 0;
    for (int32_t d = souk__analytics_bucket(q->from, q->granularity); d <= q->to;
         d = souk__analytics_bucket_next(d, q->granularity), i++) {
        int32_t next = souk__analytics_bucket_next(d, q->granularity);
        b[i].start = d < q->from ? q->from : d; /* the first and last buckets are cut to the range */
        b[i].end = next - 1 > q->to ? q->to : next - 1;
    }
    engine e;
    if (engine_run(&e, f, q, b, nb, q->from, q->to, false) < 0) {
        engine_release(&e);
        free(b);
        return NULL;
    }
    static const char *const g[] = {"day", "week", "month"};
    json_t *out = souk__analytics_head(f, q, &e.m), *rows = json_array();
    put_converted(&e, out, q->from, q->to);
    json_object_set_new(out, "granularity", json_string(g[q->granularity]));
    for (i = 0; i < nb; i++) {
        char day[11];
        json_t *row = json_pack("{s:s}", "period", souk_analytics_format_day(b[i].start, day));
        json_t *m = metrics_json(&e, &b[i]);
        json_object_update(row, m);
        json_decref(m);
        json_array_append_new(rows, row);
    }
    json_object_set_new(out, "rows", rows);
    engine_release(&e);
    free(b);
    return out;
}
