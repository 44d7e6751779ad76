/*
 * fx.c — converted reports: amounts of every currency the facts hold in one
 * target currency, with the stored rates (fx.h) in effect on each amount's
 * local day (see internal.h for the rule).
 */
#include "analytics/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/banned.h"

static void cur_init(souk__analytics_conv_cur *cc, const souk_fx_history *h, const char *code)
{
    memset(cc, 0, sizeof *cc);
    cc->exp = souk_currency_exponent(code);
    cc->identity = strncmp(code, h->base, 3) == 0;
    if (!cc->identity)
        souk_fx_history_range(h, code, &cc->first, &cc->n);
}

int souk__analytics_conv_init(souk__analytics_conv *c, const souk_analytics_facts *f, int ncur,
                              const souk_fx_history *h, const char *target)
{
    memset(c, 0, sizeof *c);
    c->h = h;
    c->target = -1;
    if (!target || souk_currency_exponent(target) < 0)
        return -1;
    c->day = malloc((h->n ? h->n : 1) * sizeof *c->day);
    if (!c->day)
        return -1;
    for (size_t i = 0; i < h->n; i++)
        c->day[i] = souk_analytics_tz_day(&f->tz, h->p[i].effective_at);
    c->ncur = ncur > SOUK_ANALYTICS_CURRENCIES_MAX ? SOUK_ANALYTICS_CURRENCIES_MAX : ncur;
    for (int i = 0; i < c->ncur; i++) {
        cur_init(&c->cur[i], h, f->currencies[i]);
        if (strncmp(f->currencies[i], target, 3) == 0)
            c->target = i;
    }
    cur_init(&c->to, h, target);
    return 0;
}

void souk__analytics_conv_release(souk__analytics_conv *c)
{
    free(c->day);
    c->day = NULL;
}

static bool has_rate(const souk__analytics_conv_cur *cc)
{
    return cc->exp >= 0 && (cc->identity || cc->n > 0);
}

bool souk__analytics_conv_ok(const souk__analytics_conv *c, int cur)
{
    if (cur < 0 || cur >= c->ncur)
        return false;
    return cur == c->target || (has_rate(&c->cur[cur]) && has_rate(&c->to));
}

/* The rate of CC on DAY: the last point that took effect on or before it, else its first. */
static const souk_rate *rate_on(const souk__analytics_conv *c, const souk__analytics_conv_cur *cc, int32_t day)
{
    static const souk_rate one = {1, 0};
    if (cc->identity)
        return &one;
    size_t lo = 0, hi = cc->n; /* the first point of a later day */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->day[cc->first + mid] <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return &c->h->p[cc->first + (lo ? lo - 1 : 0)].rate;
}

int souk__analytics_conv_amount(const souk__analytics_conv *c, int cur, int32_t day, int64_t amount, int64_t *out)
{
    if (cur == c->target) {
        *out = amount;
        return 0;
    }
    if (!souk__analytics_conv_ok(c, cur))
        return -1;
    const souk__analytics_conv_cur *from = &c->cur[cur];
    return souk_money_convert_exp(amount, from->exp, c->to.exp, rate_on(c, from, day), rate_on(c, &c->to, day), out);
}

/* 10^E into *OUT unless it overflows */
static bool pow10_fits(int e, int64_t *out)
{
    int64_t p = 1;
    while (e-- > 0)
        if (__builtin_mul_overflow(p, 10, &p))
            return false;
    *out = p;
    return true;
}

int souk__analytics_conv_amount_memo(const souk__analytics_conv *c, souk__analytics_conv_memo *m, int cur, int32_t day,
                                     int64_t amount, int64_t *out)
{
    if (cur == c->target) {
        *out = amount;
        return 0;
    }
    if (m->cur != cur || m->day != day) {
        m->cur = cur;
        m->day = day;
        m->fast = false;
        m->ok = souk__analytics_conv_ok(c, cur);
        if (!m->ok)
            return -1;
        const souk__analytics_conv_cur *from = &c->cur[cur];
        m->from = rate_on(c, from, day);
        m->to = rate_on(c, &c->to, day);
        /* as souk_money_convert_exp: amount × to × 10^(s_from + e_to) / (from × 10^(s_to + e_from)) */
        int up = m->from->scale + c->to.exp, down = m->to->scale + from->exp;
        int common = up < down ? up : down;
        int64_t pu, pd;
        m->fast = m->from->units > 0 && pow10_fits(up - common, &pu) && pow10_fits(down - common, &pd) &&
                  !__builtin_mul_overflow(m->to->units, pu, &m->num) &&
                  !__builtin_mul_overflow(m->from->units, pd, &m->den);
    }
    if (!m->ok)
        return -1;
    int64_t p;
    if (m->fast && amount <= SOUK_MONEY_MAX && amount >= -SOUK_MONEY_MAX &&
        !__builtin_mul_overflow(amount, m->num, &p)) {
        bool neg = p < 0;
        uint64_t n = neg ? (uint64_t)0 - (uint64_t)p : (uint64_t)p, d = (uint64_t)m->den;
        uint64_t q = n / d, rem = n % d;
        if (rem > d - rem || (rem == d - rem && (q & 1)))
            q++; /* half to even, as souk_money_div_half_even */
        if (q > (uint64_t)SOUK_MONEY_MAX)
            return -1;
        *out = neg ? -(int64_t)q : (int64_t)q;
        return 0;
    }
    return souk_money_convert_exp(amount, c->cur[cur].exp, c->to.exp, m->from, m->to, out);
}
