/*
 * amounts.c — how the one-thread reports (cohorts, RFM, segments, churn, lifetime
 * value) read money: per currency, or converted into one currency with the
 * stored rates (fx.c), line by line at the rates of the line's day, so that
 * their figures agree with the converted KPIs to the minor unit.
 */
#include "analytics/internal.h"

#include <string.h>

#include "core/banned.h"

int souk__analytics_amounts_init(souk__analytics_amounts *a, const souk_analytics_facts *f, int ncur,
                                 const souk_analytics_query *q)
{
    memset(a, 0, sizeof *a);
    a->memo.cur = -1;
    if (!q->fx)
        return 0;
    a->converting = true;
    return souk__analytics_conv_init(&a->conv, f, ncur, q->fx, q->currency_code);
}

void souk__analytics_amounts_release(souk__analytics_amounts *a)
{
    if (a->converting)
        souk__analytics_conv_release(&a->conv);
    a->converting = false;
}

bool souk__analytics_amounts_line(souk__analytics_amounts *a, const souk_analytics_line_chunk *c, size_t r,
                                  const souk_analytics_match *m, int64_t *amount)
{
    if (!a->converting) {
        *amount = c->amount[r];
        return souk__analytics_line_ok(c, r, m);
    }
    if ((m->category != -1 && c->category[r] != m->category) || (m->vendor != -1 && c->vendor[r] != m->vendor) ||
        (m->channel != -1 && c->channel[r] != m->channel))
        return false;
    return souk__analytics_conv_amount_memo(&a->conv, &a->memo, c->currency[r], c->day[r], c->amount[r], amount) == 0;
}

bool souk__analytics_amounts_currency(const souk__analytics_amounts *a, int cur, const souk_analytics_match *m)
{
    return a->converting ? souk__analytics_conv_ok(&a->conv, cur) : cur == m->currency;
}

int souk__analytics_amounts_order(souk__analytics_amounts *a, int cur, int32_t day, int64_t amount,
                                  const souk_analytics_match *m, int64_t *out)
{
    if (!a->converting) {
        *out = amount;
        return cur == m->currency ? 0 : -1;
    }
    return souk__analytics_conv_amount_memo(&a->conv, &a->memo, cur, day, amount, out);
}

void souk__analytics_amounts_head(const souk__analytics_amounts *a, const souk_analytics_facts *f,
                                  const souk_analytics_snap *s, int32_t from, int32_t to, json_t *out)
{
    if (!a->converting)
        return;
    int64_t left = 0;
    bool seen[SOUK_ANALYTICS_CURRENCIES_MAX] = {false};
    for (size_t i = 0; i < s->orders; i++) {
        const souk_analytics_order_chunk *c = SOUK_ANALYTICS_OC(f, i);
        size_t r = SOUK_ANALYTICS_ROW_OF(i);
        if (c->day[r] < from || c->day[r] > to || souk__analytics_conv_ok(&a->conv, c->currency[r]))
            continue;
        left++;
        if (c->currency[r] < SOUK_ANALYTICS_CURRENCIES_MAX)
            seen[c->currency[r]] = true;
    }
    json_t *codes = json_array();
    for (int i = 0; i < s->ncurrencies && i < SOUK_ANALYTICS_CURRENCIES_MAX; i++)
        if (seen[i])
            json_array_append_new(codes, json_string(f->currencies[i]));
    json_object_set_new(out, "converted",
                        json_pack("{s:s,s:I,s:o}", "rates", "in effect on each order's day (store time zone)",
                                  "unconverted_orders", (json_int_t)left, "unconverted_currencies", codes));
}
