/* money.c — see money.h. The currency table is ISO 4217 (active codes). */
#include "core/money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

/* code + exponent, sorted by code for bsearch */
static const struct currency {
    char code[4];
    int exponent;
} currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2}, {"AWG", 2},
    {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
    {"BOB", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2},
    {"CHF", 2}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
    {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2},
    {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2},
    {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0},
    {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0},
    {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3},
    {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
    {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2},
    {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2},
    {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2},
    {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2},
    {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2},
    {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"UYU", 2}, {"UZS", 2}, {"VES", 2},
    {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2},
    {"ZMW", 2}, {"ZWL", 2},
};

static int cmp_currency(const void *key, const void *elem)
{
    return strcmp(key, ((const struct currency *)elem)->code);
}

int souk_currency_exponent(const char *code)
{
    if (!code || strlen(code) != 3)
        return -1;
    const struct currency *c =
        bsearch(code, currencies, sizeof currencies / sizeof currencies[0], sizeof currencies[0], cmp_currency);
    return c ? c->exponent : -1;
}

bool souk_currency_valid(const char *code)
{
    return souk_currency_exponent(code) >= 0;
}

int souk_money_parse(souk_money *out, const char *text, size_t len, const char *currency)
{
    int exp = souk_currency_exponent(currency);
    if (exp < 0 || len == 0 || len > 40)
        return -1;
    size_t i = 0;
    bool neg = false;
    if (text[0] == '-') {
        neg = true;
        i++;
    }
    int64_t units = 0;
    int int_digits = 0, frac_digits = 0;
    bool in_frac = false;
    for (; i < len; i++) {
        char c = text[i];
        if (c == '.' && !in_frac) {
            in_frac = true;
            continue;
        }
        if (c < '0' || c > '9')
            return -1;
        if (in_frac) {
            if (frac_digits >= exp) {
                if (c != '0')
                    return -1; /* more precision than the currency has */
                continue;
            }
            frac_digits++;
        } else {
            int_digits++;
        }
        if (units > SOUK_MONEY_MAX / 10)
            return -1;
        units = units * 10 + (c - '0');
    }
    if (int_digits == 0 && frac_digits == 0)
        return -1;
    for (; frac_digits < exp; frac_digits++) {
        if (units > SOUK_MONEY_MAX / 10)
            return -1;
        units *= 10;
    }
    if (units > SOUK_MONEY_MAX)
        return -1;
    out->amount = neg ? -units : units;
    memcpy(out->currency, currency, 4);
    return 0;
}

int souk_money_format(const souk_money *m, char *buf, size_t size)
{
    int exp = souk_currency_exponent(m->currency);
    if (exp < 0)
        return -1;
    int64_t a = m->amount;
    uint64_t u = a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a;
    /* digits from the right (no printf: pages format many amounts), then reversed into BUF */
    char rev[48];
    size_t n = 0;
    for (int i = 0; i < exp; i++, u /= 10)
        rev[n++] = (char)('0' + u % 10);
    if (exp)
        rev[n++] = '.';
    do {
        rev[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (a < 0)
        rev[n++] = '-';
    if (n >= size)
        return -1;
    for (size_t i = 0; i < n; i++)
        buf[i] = rev[n - 1 - i];
    buf[n] = '\0';
    return (int)n;
}

/* ---- exchange rates ---- */

static bool rate_ok(const souk_rate *r)
{
    if (!r || r->units <= 0 || r->scale < 0 || r->scale > SOUK_RATE_SCALE_MAX)
        return false;
    int64_t limit = 1;
    for (int i = 0; i < SOUK_RATE_DIGITS_MAX; i++)
        limit *= 10;
    return r->units < limit;
}

int souk_rate_parse(souk_rate *out, const char *text, size_t len)
{
    if (!text || len == 0 || len > 40)
        return -1;
    int64_t units = 0;
    int scale = 0, digits = 0, seen = 0;
    bool frac = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '.' && !frac) {
            frac = true;
            continue;
        }
        if (c < '0' || c > '9')
            return -1;
        seen++;
        if (frac && ++scale > SOUK_RATE_SCALE_MAX + 8)
            return -1; /* far too many fraction digits, even if zeros */
        if (units == 0 && c == '0')
            continue; /* a leading zero: not significant */
        if (++digits > SOUK_RATE_DIGITS_MAX + 8)
            return -1;
        if (units > INT64_MAX / 10)
            return -1;
        units = units * 10 + (c - '0');
    }
    if (!seen || text[len - 1] == '.' || text[0] == '.')
        return -1;
    while (scale > 0 && units % 10 == 0 && units > 0) { /* trailing zeros of the fraction */
        units /= 10;
        scale--;
    }
    souk_rate r = {units, scale};
    if (!rate_ok(&r))
        return -1;
    *out = r;
    return 0;
}

int souk_rate_format(const souk_rate *r, char *buf, size_t size)
{
    if (!rate_ok(r))
        return -1;
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)r->units);
    if (n < 0 || (size_t)n >= sizeof digits)
        return -1;
    char tmp[SOUK_RATE_TEXT_MAX];
    size_t k = 0;
    if (r->scale == 0) {
        memcpy(tmp, digits, (size_t)n + 1);
        k = (size_t)n;
    } else if (n > r->scale) {
        memcpy(tmp, digits, (size_t)(n - r->scale));
        k = (size_t)(n - r->scale);
        tmp[k++] = '.';
        memcpy(tmp + k, digits + n - r->scale, (size_t)r->scale);
        k += (size_t)r->scale;
    } else {
        tmp[k++] = '0';
        tmp[k++] = '.';
        for (int i = n; i < r->scale; i++)
            tmp[k++] = '0';
        memcpy(tmp + k, digits, (size_t)n);
        k += (size_t)n;
    }
    tmp[k] = '\0';
    if (k >= size)
        return -1;
    memcpy(buf, tmp, k + 1);
    return (int)k;
}

souk_wide souk_money_div_half_even(souk_wide num, souk_wide den)
{
    bool neg = num < 0;
    souk_wide n = neg ? -num : num;
    souk_wide q = n / den, rem = n % den;
    souk_wide twice = rem * 2;
    if (twice > den || (twice == den && (q & 1)))
        q++;
    return neg ? -q : q;
}

static souk_wide pow10w(int e)
{
    souk_wide p = 1;
    while (e-- > 0)
        p *= 10;
    return p;
}

int souk_money_convert_exp(int64_t amount, int exp_from, int exp_to, const souk_rate *from_rate,
                           const souk_rate *to_rate, int64_t *out)
{
    if (!rate_ok(from_rate) || !rate_ok(to_rate) || exp_from < 0 || exp_from > 4 || exp_to < 0 || exp_to > 4 ||
        amount > SOUK_MONEY_MAX || amount < -SOUK_MONEY_MAX)
        return -1;
    /* amount_to = amount * 10^exp_to / 10^exp_from * (to / 10^s_to) / (from / 10^s_from) */
    int up = from_rate->scale + exp_to, down = to_rate->scale + exp_from;
    int common = up < down ? up : down;
    up -= common;
    down -= common; /* at most 16 either way: ≤ 10^12 · 10^10 · 10^16 < 2^127 */
    souk_wide num = (souk_wide)amount * to_rate->units * pow10w(up);
    souk_wide den = (souk_wide)from_rate->units * pow10w(down);
    souk_wide q = souk_money_div_half_even(num, den);
    if (q > SOUK_MONEY_MAX || q < -SOUK_MONEY_MAX)
        return -1;
    *out = (int64_t)q;
    return 0;
}

int souk_money_convert(int64_t amount, const char *from, const char *to, const souk_rate *from_rate,
                       const souk_rate *to_rate, int64_t *out)
{
    int ef = souk_currency_exponent(from), et = souk_currency_exponent(to);
    if (ef < 0 || et < 0)
        return -1;
    return souk_money_convert_exp(amount, ef, et, from_rate, to_rate, out);
}
