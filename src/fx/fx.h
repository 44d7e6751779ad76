/*
 * fx.h — stored exchange rates and the display currencies (issue 15,
 * "Currencies"; docs/currencies.md, docs/internals/fx.md).
 *
 * The fx context owns fx_rates and fx_display_currencies. A rate is "1 unit
 * of the store currency (the base) buys RATE units of CURRENCY" from its
 * effective time on, as an exact decimal (core/money.h souk_rate). Other
 * contexts convert through these functions and never name the tables: the
 * catalog and search for display ("?currency=JPY": prices without an
 * explicit price in JPY shown converted, marked as such), analytics for
 * converted reports (every order at the rate of its day). Carts and orders
 * never convert: they are priced from explicit price lists only.
 *
 * Return convention: int — 0 / 1 as documented, or a negative
 * souk_db_status from the store (souk_store_dberr maps it).
 */
#ifndef SOUK_FX_H
#define SOUK_FX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/money.h"
#include "store/store.h"

#define SOUK_PREFIX_FX_RATE "fxr"
#define SOUK_FX_DISPLAY_MAX 32     /* enabled display currencies */
#define SOUK_FX_LIST_MAX 500       /* rates in one list answer */
#define SOUK_FX_HISTORY_MAX 100000 /* rates a converted report reads, at most */

/* The rate a display conversion from FROM (the base) into TO uses. */
typedef struct souk_fx_quote {
    char from[4], to[4];
    souk_rate rate; /* units of TO per unit of FROM */
    int64_t rate_id, effective_at;
    int64_t next_change; /* µs when the next rate of TO takes effect; 0: none stored */
} souk_fx_quote;

/* The rate to show prices of BASE in TO at time NOW (µs): 1 with *OUT when
 * TO is an enabled display currency other than BASE with a rate in effect
 * at NOW; 0 when nothing is to be converted (TO is BASE, not enabled, or has
 * no rate in effect yet — OUT->next_change still says when one starts); or
 * a negative souk_db_status. */
int souk_fx_display_quote(souk_store *db, const char *base, const char *to, int64_t now, souk_fx_quote *out);

/* 1 when CODE is an enabled display currency, 0 when not, or a negative souk_db_status. */
int souk_fx_display_enabled(souk_store *db, const char *code);

/* AMOUNT minor units of Q->from in Q->to's minor units (souk_money_convert:
 * half to even). 0 and *OUT, or -1 (out of bounds). */
int souk_fx_quote_apply(const souk_fx_quote *q, int64_t amount, int64_t *out);

/* Appends the JSON member that marks a converted price,
 * ,"converted":{"from":{"amount":FROM_AMOUNT,"currency":Q->from},"rate":"0.92","rate_id":"fxr_…","effective_at":"…"}
 * to B. */
void souk_fx_put_converted(souk_buf *b, const souk_fx_quote *q, int64_t from_amount);

/* ---- rate history (converted reports) ---- */
typedef struct souk_fx_point {
    char currency[4];
    int64_t effective_at;
    souk_rate rate;
} souk_fx_point;

typedef struct souk_fx_history {
    char base[4];
    souk_fx_point *p; /* sorted by currency, then effective_at */
    size_t n;
    uint64_t fingerprint; /* changes whenever any stored rate of BASE does (cache keys) */
} souk_fx_history;

/* Loads every stored rate of BASE (at most SOUK_FX_HISTORY_MAX) into *H
 * (malloc'd; souk_fx_history_release frees it). 0, or a negative
 * souk_db_status (SOUK_DB_HARD when memory ran out). */
int souk_fx_history_load(souk_store *db, const char *base, souk_fx_history *h);

void souk_fx_history_release(souk_fx_history *h);

/* The points of CUR in H: *FIRST and *COUNT (0 when CUR has none). */
void souk_fx_history_range(const souk_fx_history *h, const char *cur, size_t *first, size_t *count);

#endif
