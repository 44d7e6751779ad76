/*
 * money.h — amounts as integer minor units plus an ISO 4217 currency code.
 * Never floating point. Parsing and formatting are exact.
 */
#ifndef SOUK_MONEY_H
#define SOUK_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest amount souk accepts in minor units (10^12, e.g. ten billion dollars). */
#define SOUK_MONEY_MAX INT64_C(1000000000000)

typedef struct souk_money {
    int64_t amount;   /* minor units (cents, pence, yen...) */
    char currency[4]; /* upper-case ISO 4217 code, NUL-terminated */
} souk_money;

/* Number of minor-unit digits of CODE (2 for USD, 0 for JPY, 3 for KWD), or
 * -1 when CODE is not a known ISO 4217 currency. */
int souk_currency_exponent(const char *code);

/* True when CODE is a known ISO 4217 currency (exactly three upper-case letters). */
bool souk_currency_valid(const char *code);

/* Parses a decimal string such as "12.5", "-0.99" or "3" in CURRENCY into minor
 * units. Rejects more fraction digits than the currency has (unless they are
 * zeros), signs other than a leading '-', exponents, and values beyond
 * SOUK_MONEY_MAX. 0 on success, -1 on bad input. */
int souk_money_parse(souk_money *out, const char *text, size_t len, const char *currency);

/* Writes AMOUNT as a decimal string ("12.50") into BUF of SIZE bytes.
 * Returns the length written, or -1 when BUF is too small or currency unknown. */
int souk_money_format(const souk_money *m, char *buf, size_t size);

/* ---- exchange rates (display conversion, converted reports) ----
 *
 * A rate is an exact decimal UNITS / 10^SCALE, never a float: how many units
 * of a currency one unit of the shop's base currency buys ("1 USD = 0.92
 * EUR" is {92, 2} for EUR). Bounds: at most SOUK_RATE_DIGITS_MAX significant
 * digits and SOUK_RATE_SCALE_MAX fraction digits, greater than 0, below
 * 10^SOUK_RATE_DIGITS_MAX; within them a conversion of any amount up to
 * SOUK_MONEY_MAX cannot overflow its 128-bit intermediate. */
#define SOUK_RATE_DIGITS_MAX 10
#define SOUK_RATE_SCALE_MAX 12
#define SOUK_RATE_TEXT_MAX 32 /* the longest text souk_rate_format writes, with its NUL */

typedef struct souk_rate {
    int64_t units; /* > 0 */
    int scale;     /* 0..SOUK_RATE_SCALE_MAX */
} souk_rate;

/* The identity rate (the base currency against itself). */
#define SOUK_RATE_ONE ((souk_rate){1, 0})

/* Parses a plain positive decimal ("0.92", "151.5", "3") of LEN bytes into
 * *OUT: digits with at most one '.', no sign, exponent or spaces, at most
 * SOUK_RATE_SCALE_MAX fraction digits and SOUK_RATE_DIGITS_MAX significant
 * digits (leading and trailing zeros do not count; trailing zeros are
 * dropped), not zero. 0 on success, -1 otherwise (*OUT untouched). */
int souk_rate_parse(souk_rate *out, const char *text, size_t len);

/* Writes R as its shortest decimal text ("0.92", "150") into BUF of SIZE
 * bytes (SOUK_RATE_TEXT_MAX is always enough). The length, or -1. */
int souk_rate_format(const souk_rate *r, char *buf, size_t size);

/* Rounds NUM / DEN to the nearest integer, a tie to the even one (banker's
 * rounding), for DEN > 0 and NUM of either sign (symmetric about zero). The
 * one rounding rule of every conversion. */
__extension__ typedef __int128 souk_wide;
souk_wide souk_money_div_half_even(souk_wide num, souk_wide den);

/* Converts AMOUNT minor units of a currency with EXP_FROM minor digits into
 * the minor units of one with EXP_TO (souk_currency_exponent), through the
 * base currency: FROM_RATE and TO_RATE are each currency's rate against the
 * base (SOUK_RATE_ONE for the base itself). Rounded once, half to even, to
 * the target's minor unit. 0 and *OUT, or -1 when a rate is out of its
 * bounds, an exponent is not 0..4, |AMOUNT| exceeds SOUK_MONEY_MAX or the
 * result would. */
int souk_money_convert_exp(int64_t amount, int exp_from, int exp_to, const souk_rate *from_rate,
                           const souk_rate *to_rate, int64_t *out);

/* The same by currency code: -1 also when a code is unknown. */
int souk_money_convert(int64_t amount, const char *from, const char *to, const souk_rate *from_rate,
                       const souk_rate *to_rate, int64_t *out);

#endif
