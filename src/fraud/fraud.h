/*
 * fraud.h — souk's order fraud-risk score: a pure function from the signals
 * one checkout can gather with indexed lookups (velocity of its card, e-mail
 * and address over the last day, recent declines, the customer's history,
 * the account's age, the countries) to a score 0–100 with its reasons; and a
 * seeded generator of a labelled synthetic order stream with planted fraud
 * patterns, on which `souk eval fraud` measures precision and recall.
 * Nothing here touches the database, HTTP or the clock. Design:
 * docs/internals/fraud.md.
 *
 * Checkout uses it: the orders context gathers the signals when an order is
 * placed, stores the score and reasons on it and holds it for review at the
 * threshold (src/orders/fraud_check.c; docs/fraud.md).
 */
#ifndef SOUK_FRAUD_H
#define SOUK_FRAUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SOUK_FRAUD_REASONS_MAX 8
#define SOUK_FRAUD_THRESHOLD_DEFAULT 50 /* score from which an order is held for review */

/* What one order's checkout knows. Counts are of the other orders (and
 * declined payment attempts) of the last 24 hours before this one. */
typedef struct souk_fraud_signals {
    int card_orders_24h;                   /* orders paid or tried with the same card fingerprint */
    int email_orders_24h;                  /* orders with the same e-mail address */
    int address_orders_24h;                /* orders to the same shipping address */
    int cards_per_email_24h;               /* distinct card fingerprints the e-mail used, this one included */
    int emails_per_address_24h;            /* distinct e-mails shipping to the address, this one included */
    int declines_24h;                      /* declined attempts with this card or e-mail */
    bool card_new_to_account;              /* an account paying with a card it never used before (false for guests) */
    int64_t amount;                        /* this order's total, minor units */
    int customer_orders;                   /* the customer's earlier paid orders (0: none, or a guest) */
    int64_t customer_mean;                 /* their mean total, minor units (customer_orders > 0) */
    double account_age_days;               /* < 0: a guest */
    int64_t high_value;                    /* the store's "high value": e.g. its 95th percentile order total */
    char ship_country[3], bill_country[3]; /* ISO 3166 alpha-2; "" unknown */
} souk_fraud_signals;

typedef struct souk_fraud_result {
    int score; /* 0..100 */
    int nreasons;
    const char *reasons[SOUK_FRAUD_REASONS_MAX]; /* static names: "card_velocity", … (docs/internals/fraud.md) */
    int points[SOUK_FRAUD_REASONS_MAX];          /* what each added */
} souk_fraud_result;

/* Scores S into OUT: each rule that fires adds its points (the first
 * matching level of it), the sum capped at 100; the reasons are the rules
 * that fired, in the order of the table in the design note. */
void souk_fraud_score(const souk_fraud_signals *s, souk_fraud_result *out);

/* ---- the labelled synthetic set (synthetic.c) ---- */

typedef enum {
    SOUK_FRAUD_NORMAL = 0,
    SOUK_FRAUD_CARD_TESTING, /* a stolen card tried after declines, several small orders fast */
    SOUK_FRAUD_STOLEN_CARD,  /* an existing account's card: an amount far above their history, another country */
    SOUK_FRAUD_NEW_ACCOUNT,  /* a fresh account placing a high-value order */
    SOUK_FRAUD_RESHIPPER,    /* many e-mails and cards shipping to one drop address */
    SOUK_FRAUD_KINDS
} souk_fraud_kind;

/* "normal", "card_testing", "stolen_card", "new_account", "reshipper". */
const char *souk_fraud_kind_name(souk_fraud_kind k);

/* One generated order with what its checkout would know and its label. */
typedef struct souk_fraud_case {
    souk_fraud_signals s;
    souk_fraud_kind kind; /* NORMAL: legitimate */
} souk_fraud_case;

/* Generates N orders (at most 10,000,000) into OUT (malloc'd; free it) from
 * SEED: a store's stream of customers' orders over 60 days with FRAUD_SHARE
 * (0..0.5) of them fraudulent, the patterns above planted, and legitimate
 * look-alikes planted too (big spenders, travellers shipping abroad, new
 * customers with a large first order, households sharing an address), so
 * that the rules are not right by construction. The signals are computed
 * by replaying the stream with 24-hour windows, as checkout would. 0, or -1
 * out of memory / bad arguments. */
int souk_fraud_synthetic(uint64_t seed, size_t n, double fraud_share, souk_fraud_case **out);

#endif
