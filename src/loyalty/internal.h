/* internal.h — shared by the loyalty module's .c files only (souk__loyalty_ prefix). */
#ifndef SOUK_LOYALTY_INTERNAL_H
#define SOUK_LOYALTY_INTERNAL_H

#include "loyalty/loyalty.h"

#define SOUK__LOYALTY_DAY_US INT64_C(86400000000)
#define SOUK_PREFIX_LOYALTY_ENTRY "lpe"

/* One ledger entry to append. Zero members are SQL NULL where the column
 * allows it (order, amount, available_at, expires_at; NULL texts too). */
typedef struct souk__loyalty_entry {
    int64_t user;
    const char *kind;
    int64_t points, pending, debt; /* the changes of the three balances */
    int64_t order, amount;
    const char *currency, *reason, *actor, *dedupe;
    int64_t available_at, expires_at, now;
} souk__loyalty_entry;

/* Appends E and moves the customer's balances by its changes, in the
 * caller's transaction. CONFLICT when an entry with E->dedupe exists
 * (nothing written); INVALID_STATE when a balance would go below zero
 * (the caller rolls back: the entry is written already); *ID (optional)
 * the new entry's id. SOUK_OK or the database error. */
souk_err souk__loyalty_post(souk_store *db, const souk__loyalty_entry *e, int64_t *id);

/* Pays USER's debt from the available balance as far as it goes (a
 * debt_payment entry about ORDER, 0 = none); nothing without a debt. Every
 * entry that adds to available calls it, so that debt exists only while
 * available is 0. Errors as souk__loyalty_post. */
souk_err souk__loyalty_pay_debt(souk_store *db, int64_t user, int64_t order, int64_t now);

/* Credits POINTS (≥ 0) as a lot of E's kind expiring at E->expires_at, then
 * pays the customer's debt from it as far as it goes
 * (souk__loyalty_pay_debt). E->points is taken from POINTS; *ID (optional) the credit's id.
 * Errors as souk__loyalty_post. */
souk_err souk__loyalty_credit(souk_store *db, souk__loyalty_entry *e, int64_t points, int64_t *id);

/* USER's balances into B and into *DUE what of B->available has expired by
 * NOW and not been taken yet (souk_loyalty_expire_user_tx's rule). Reads only. */
souk_err souk__loyalty_balance_due(souk_store *db, int64_t user, int64_t now, souk_loyalty_balance *b, int64_t *due);

/* The settings' lot expiry for a credit available from AT: AT + expiry, or 0 (never). */
int64_t souk__loyalty_expiry(const souk_loyalty_settings *s, int64_t at);

/* The currency row of S for CODE, or NULL. */
const souk_loyalty_currency *souk__loyalty_currency(const souk_loyalty_settings *s, const char *code);

#endif
