/*
 * loyalty.h — loyalty points (docs/loyalty.md; design in
 * docs/internals/loyalty.md). Owner of the loyalty_* tables (migration
 * 0150).
 *
 * Every change of a customer's points is one append-only ledger entry; the
 * customer's balances (available, pending, debt) are the sums of the
 * ledger's columns, kept beside it in loyalty_accounts by the same
 * transaction under conditional updates, so that no balance goes below
 * zero and the same points cannot be spent twice.
 *
 * The orders context calls the *_tx functions inside its own write
 * transactions: redemption at checkout (the checkout's claim transaction,
 * so an Idempotency-Key replay never spends again), earning when an order
 * is paid, giving redeemed points back when an order is cancelled, and
 * clawing earned points back when money is refunded. All take NOW (µs) so
 * the rules can be tested at any time.
 */
#ifndef SOUK_LOYALTY_H
#define SOUK_LOYALTY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

#define SOUK_LOYALTY_POINTS_MAX INT64_C(1000000000) /* the most points one entry or request moves */
#define SOUK_LOYALTY_LINES_MAX 100

/* The programme's settings (loyalty_settings + loyalty_currencies +
 * loyalty_category_rates). */
typedef struct souk_loyalty_currency {
    char currency[4];
    int64_t earn_per_unit; /* points per major unit paid */
    int64_t point_value;   /* minor units one point is worth when redeemed */
} souk_loyalty_currency;

typedef struct souk_loyalty_category_rate {
    int64_t category_id;
    int64_t rate_bp; /* 10000 = the currency's rate */
} souk_loyalty_category_rate;

#define SOUK_LOYALTY_CURRENCIES_MAX 32
#define SOUK_LOYALTY_CATEGORIES_MAX 200

typedef struct souk_loyalty_settings {
    int64_t max_redeem_bp;      /* share of an order's goods that points may pay */
    int64_t return_window_days; /* earned points are pending this long after payment */
    int64_t expiry_days;        /* available points expire this long after they became available; 0 = never */
    souk_loyalty_currency currencies[SOUK_LOYALTY_CURRENCIES_MAX];
    size_t ncurrencies;
    souk_loyalty_category_rate categories[SOUK_LOYALTY_CATEGORIES_MAX];
    size_t ncategories;
} souk_loyalty_settings;

/* Reads the settings into S. SOUK_OK or the database error. */
souk_err souk_loyalty_settings_read(souk_store *db, souk_loyalty_settings *s);

/* Decodes the settings body BODY (docs/loyalty.md) into S: every value in
 * its range, currencies ISO 4217 codes and categories category ids, each
 * listed once, no unknown member. 0, or -1 with the problems in PR (texts
 * in A; the field names currencies[i], categories[i], …). No I/O. */
int souk_loyalty_settings_decode(const json_t *body, souk_loyalty_settings *s, souk_arena *a, souk_problems *pr);

/* Replaces the settings with S inside the caller's write transaction.
 * SOUK_OK or the database error (S is assumed validated: see api.c). */
souk_err souk_loyalty_settings_write_tx(souk_store *db, const souk_loyalty_settings *s, int64_t now);

/* The settings as JSON (docs/loyalty.md); caller decrefs. NULL on out of memory. */
json_t *souk_loyalty_settings_json(const souk_loyalty_settings *s);

/* A customer's balances. */
typedef struct souk_loyalty_balance {
    int64_t available, pending, debt;
} souk_loyalty_balance;

/* USER's balances into B (zeros for a customer without entries). */
souk_err souk_loyalty_balance_read(souk_store *db, int64_t user, souk_loyalty_balance *b);

/* ---- redemption at checkout ---- */

/* What POINTS are worth on an order in CURRENCY whose goods (subtotal less
 * promotions and coupon) are GOODS, for USER now: *AMOUNT the discount in
 * minor units. Points that have expired count as gone even before the
 * hourly job takes them. VALIDATION with a "loyalty_points" problem in PR
 * (texts in A) when the currency has no programme, USER has fewer available
 * points,
 * or the discount would pass the settings' share of GOODS (the message
 * names the most points allowed). SOUK_OK or the database error. */
souk_err souk_loyalty_quote(souk_store *db, int64_t user, const char *currency, int64_t goods, int64_t points,
                            int64_t *amount, souk_arena *a, souk_problems *pr);

/* The most points USER may spend now on goods GOODS in CURRENCY: the
 * available balance less what has expired, at most the settings' share of
 * GOODS; 0 without a
 * programme in CURRENCY. */
souk_err souk_loyalty_max_points(souk_store *db, int64_t user, const char *currency, int64_t goods, int64_t *max);

/* Inside the checkout's transaction: spends POINTS of USER on ORDER (worth
 * AMOUNT of CURRENCY) — a conditional debit of the available balance, so
 * that two checkouts cannot spend the same points. VALIDATION (problem
 * "loyalty_points") when the points are no longer there; CONFLICT when the
 * order spent points already; SOUK_OK or the database error. */
souk_err souk_loyalty_redeem_tx(souk_store *db, int64_t user, int64_t order, int64_t points, int64_t amount,
                                const char *currency, int64_t now, souk_arena *a, souk_problems *pr);

/* Gives back what ORDER redeemed (its payment failed, it was cancelled, or
 * its goods were all refunded): once; nothing when it redeemed nothing. The
 * points given back pay a debt first, like any points that become
 * available. SOUK_OK or the database error. */
souk_err souk_loyalty_unredeem_tx(souk_store *db, int64_t order, const char *reason, const char *actor, int64_t now);

/* ---- earning ---- */

/* One paid line: what it cost after its share of every discount. */
typedef struct souk_loyalty_line {
    int64_t product_id;
    int64_t paid; /* minor units */
} souk_loyalty_line;

/* The points N lines of CURRENCY earn under S (per-category rates through
 * CATEGORY_OF[i], the category of line i, 0 = none): floor(Σ paid ×
 * rate_bp / 10000 × earn_per_unit / 10^exponent). 0 without a programme for
 * the currency. Pure. */
int64_t souk_loyalty_points_for(const souk_loyalty_settings *s, const char *currency, const souk_loyalty_line *lines,
                                const int64_t *category_of, size_t n);

/* *RUNS: whether orders in CURRENCY earn points (one indexed read: the
 * orders context asks before gathering an order's lines). */
souk_err souk_loyalty_runs_in(souk_store *db, const char *currency, bool *runs);

/* Inside the transaction that marks ORDER of USER paid: records its points
 * as pending until the return window ends, and enqueues the loyalty.release
 * job for that time. Once per order; nothing for guests (USER 0), a
 * currency without a programme or no points. SOUK_OK or the database error. */
souk_err souk_loyalty_earn_tx(souk_store *db, int64_t user, int64_t order, const char *currency,
                              const souk_loyalty_line *lines, size_t n, int64_t now);

/* Inside the transaction that refunds money of ORDER (of TOTAL): RETURNED is
 * what has been refunded in all for returned lines, OTHER what has been
 * refunded in all otherwise. Points were earned on the goods G (the earn
 * entry's amount), so the goods refunded are RETURNED plus what OTHER
 * passes the order's shipping and tax (TOTAL − G), at most G, and the order
 * keeps floor(earned × (G − goods refunded) / G) of what it earned; the
 * rest not taken back yet is taken — from its pending points first, then
 * the available balance, and what the balance does not hold is recorded as
 * debt (never below zero). DEDUPE names the refund (once per refund).
 * SOUK_OK or the database error. */
souk_err souk_loyalty_clawback_tx(souk_store *db, int64_t order, int64_t returned, int64_t other, int64_t total,
                                  const char *dedupe, const char *actor, int64_t now);

/* ---- the jobs ---- */

/* Moves ORDER's pending points to the available balance (what clawbacks
 * left of them), paying a debt first; once per order. SOUK_OK or the
 * database error. */
souk_err souk_loyalty_release_tx(souk_store *db, int64_t order, int64_t now);

/* The most a batch of the functions below handles. */
#define SOUK_LOYALTY_BATCH_MAX 500

/* Releases orders whose return window ended in (SINCE, NOW] and that have
 * no release yet, oldest first, at most MAX (≤ SOUK_LOYALTY_BATCH_MAX); *N
 * how many. Each batch reads only that window (an index on the earn rows'
 * available_at): the per-order loyalty.release job is the primary path, this
 * is the safety net for a lost one, and tests pass SINCE 0. Released orders
 * drop out, so calling it again until *N < MAX releases the whole window. */
souk_err souk_loyalty_release_due_tx(souk_store *db, int64_t since, int64_t now, int max, int *n);

/* Expires what is left of USER's credits whose expiry is ≤ NOW, oldest
 * spent first: the entry takes available − (credits not expired yet), when
 * that is positive. *EXPIRED the points taken. SOUK_OK or the database error. */
souk_err souk_loyalty_expire_user_tx(souk_store *db, int64_t user, int64_t now, int64_t *expired);

/* Where a batched expiry run stands: zero it to start; DONE once a batch
 * found fewer candidates than it could take. */
typedef struct souk_loyalty_cursor {
    int64_t key, user; /* the last candidate visited: its lot's expiry, its customer */
    bool done;
} souk_loyalty_cursor;

/* One batch of expiry: visits up to MAX (≤ SOUK_LOYALTY_BATCH_MAX)
 * customers with a credit that expired in (SINCE, NOW], after *AT in
 * (expiry, customer) order (the lots index), and expires each one's due
 * points (souk_loyalty_expire_user_tx). *N the customers visited — whether
 * or not anything expired, so that the work of a batch is bounded —
 * and *AT moves on. Call it again, each in its own transaction, until
 * AT->done. Credits that expired before SINCE are not visited again
 * (points given back into them later expire when they are next priced:
 * checkout and the quote expire first). SOUK_OK or the database error. */
souk_err souk_loyalty_expire_due_tx(souk_store *db, int64_t since, int64_t now, int max, souk_loyalty_cursor *at,
                                    int *n);

/* Registers the job kinds loyalty.release (per order, in the claim's
 * transaction) and loyalty.maintenance (hourly: releases missed and expiry
 * of what fell due in the last three days, in batches that commit one by
 * one). */
void souk_loyalty_register_jobs(void);

/* ---- administration ---- */

/* An adjustment of USER's available points by POINTS (≠ 0) for REASON by
 * ACTOR: a credit (expiring like a release; it pays a debt first) or a
 * debit. VALIDATION (problem "points") when a debit is more than the
 * available balance. *ENTRY gets the entry's id. */
souk_err souk_loyalty_adjust_tx(souk_store *db, int64_t user, int64_t points, const char *reason, const char *actor,
                                int64_t now, int64_t *entry, souk_arena *a, souk_problems *pr);

/* {available, pending, debt, entries: [entry…], next_before} of USER, newest
 * entries first, at most LIMIT older than id BEFORE (0 = the newest).
 * Caller decrefs; NULL with *E set on failure. */
json_t *souk_loyalty_account_json(souk_store *db, int64_t user, int limit, int64_t before, souk_err *e);

/* The GDPR export of USER's points: souk_loyalty_account_json with every
 * entry (at most SOUK_LOYALTY_EXPORT_MAX). NULL on a database error. The
 * ledger needs no erasure step: it holds the account id and amounts, and
 * stays for the books like the orders it refers to. */
#define SOUK_LOYALTY_EXPORT_MAX 100000
json_t *souk_loyalty_export_json(souk_store *db, int64_t user);

#endif
