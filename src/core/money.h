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

#endif
