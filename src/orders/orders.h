/*
 * orders.h — checkout, orders and their life cycle, marketplace sub-orders,
 * refunds, returns, payment webhooks and order e-mails.
 * Design: docs/internals/orders.md; user guide: docs/orders.md.
 * Tables: migrations 0007, 0060 (payment review, refunds to another intent)
 * and 0112 (fraud-risk score, fingerprints, review hold).
 *
 * The HTTP handlers are in api.h. This header is what other parts of the
 * program use: the start-up configuration and the background jobs.
 *
 * Files: config.c (configuration), checkout.c + checkout_claim.c +
 * checkout_in.c + place.c (POST /checkout), lifecycle.c (state changes),
 * refund.c (money back), read.c (an order as JSON), import.c (orders of the
 * past, for importers), emails.c (order
 * e-mails), jobs.c (the job kinds), erase.c (GDPR erasure), api_read.c,
 * api_act.c, api_money.c (the other handlers), payment_webhook.c,
 * payment_check.c (a payment pays only for the order's total),
 * fraud_check.c (the fraud-risk score and review hold; api_review.c decides
 * it), renew.c (subscriptions' renewals and their saved payment methods). Other
 * contexts' data comes through their headers: the cart (cart/cart.h, its
 * coupons included), the catalog's vendor terms (catalog.h), the inventory,
 * the account's e-mail (identity.h) and age (the orders_account_ages view),
 * and event redaction (events.h).
 */
#ifndef SOUK_ORDERS_H
#define SOUK_ORDERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "payments/payments.h"
#include "store/store.h"

#define SOUK_PREFIX_ORDER "ord"
#define SOUK_PREFIX_SUB_ORDER "subo"
#define SOUK_PREFIX_REFUND "rfd"
#define SOUK_PREFIX_RETURN "ret"

#define SOUK_ORDERS_IDEMPOTENCY_TTL_US (INT64_C(24) * 3600 * 1000000) /* keys are kept this long */
#define SOUK_ORDERS_LEASE_US                                                                                           \
    (INT64_C(60) * 1000000) /* a checkout in progress holds its key this long (> 2 gateway calls of at most 25 s) */
#define SOUK_ORDERS_WAIT_US (INT64_C(10) * 1000000)    /* a duplicate waits this long for the first's answer */
#define SOUK_ORDERS_KEY_MAX 100                        /* Idempotency-Key: 1..100 of [A-Za-z0-9_.:-] */
#define SOUK_ORDERS_TOTAL_MAX INT64_C(400000000000000) /* the largest total a cart has (cart.h's cap) */
#define SOUK_ORDERS_EMAIL_BATCH_US INT64_C(1000000)    /* order e-mails are written to the outbox each second */
#define SOUK_ORDERS_EMAIL_BATCH_MAX 1000               /* at most this many per job run */

/* Sets the payment gateway (copied) and the checkout reservation lifetime
 * (TTL_US <= 0: the inventory default of 15 minutes). Call once at start-up,
 * before any handler or job runs. */
void souk_orders_configure(const souk_payment_gateway *g, int64_t reservation_ttl_us);

/* The configured gateway (the built-in "test" gateway until souk_orders_configure). */
const souk_payment_gateway *souk_orders_gateway(void);

/* Registers the job kinds of this module with the queue: order.emails
 * (the due order e-mails into the mail outbox, in batches; also every
 * minute as a safety net), orders.refund (gateway refunds, retried),
 * orders.maintenance (every minute: abandoned payments, old idempotency
 * keys). Call from souk_background_register. */
void souk_orders_register_jobs(void);

/* ---- the fraud-risk hold (fraud_check.c; docs/fraud.md) ---- */

#define SOUK_ORDERS_FRAUD_OFF 101 /* a threshold no score reaches: nothing is held */

/* Sets the score (1..100; SOUK_ORDERS_FRAUD_OFF: never) from which a new
 * order is held for review instead of being fulfilled (default
 * SOUK_FRAUD_THRESHOLD_DEFAULT, 50). Values outside are clamped. Any thread. */
void souk_orders_set_fraud_threshold(int threshold);

/* The threshold in force. */
int souk_orders_fraud_threshold(void);

/* ---- historical orders (import.c), for importers ---- */

typedef struct souk_order_import_line {
    int64_t product_id, variant_id;
    const char *sku, *title; /* as the line shows them */
    int64_t quantity;        /* > 0 */
    int64_t unit_amount;     /* ≥ 0, minor units */
} souk_order_import_line;

typedef struct souk_order_import {
    const char *external_ref; /* unique: "online-retail:536365" */
    int64_t user_id;          /* the customer's account (0 = a guest) */
    const char *email;        /* required */
    const char *currency;     /* ISO 4217 */
    const char *country;      /* of the shipping address, as the source names it */
    int64_t placed_at;        /* µs: placed, paid and delivered then */
    const souk_order_import_line *lines;
    size_t nlines; /* 1..SOUK_ORDERS_IMPORT_LINES_MAX */
} souk_order_import;

#define SOUK_ORDERS_IMPORT_LINES_MAX 1000

/* Inside the caller's write transaction: records O as a delivered, paid
 * order of the past (one sub-order of the shop's own goods, every line
 * fulfilled, no tax or shipping, its history, and an order.paid event so
 * the behaviour events record its purchases), unless an order with its
 * external_ref exists: then nothing changes and *CREATED is false. *ID gets
 * the order's id. No stock moves and no e-mail is sent. SOUK_OK,
 * SOUK_E_VALIDATION (a bad field: no lines, a quantity ≤ 0, a total past
 * SOUK_ORDERS_TOTAL_MAX), or the mapped database failure. */
souk_err souk_orders_import_tx(souk_store *db, const souk_order_import *o, int64_t *id, bool *created);

/* The newest MAX (≤ 1000) orders of account USER, as GET /api/v1/orders/{id}
 * shows them (the GDPR export). NULL on database errors. */
json_t *souk_orders_of_user_json(souk_store *db, int64_t user, int max);

/* Inside the erasure's write transaction (DELETE /api/v1/users/me): the
 * account's orders stay for the books without e-mail, shipping address,
 * the fraud score's card and address fingerprints and billing country,
 * return reasons and the notes the customer wrote (in the history, and in
 * the order.cancelled events through souk_event_redact_tx), and their
 * stored checkout answers are deleted. Returns 0 or a negative
 * souk_db_status. */
int souk_orders_erase_tx(souk_store *db, int64_t user);

/* ---- subscriptions' renewals (renew.c; docs/internals/subscriptions.md) ---- */

/* A paid order a subscription may start from. */
typedef struct souk_orders_subscribable {
    int64_t user_id, variant_id;
    int64_t quantity; /* of the variant in the order */
    int64_t paid_at;  /* µs */
    int64_t cart_id;  /* the cart it was checked out from (it may have expired since) */
    char gateway[16]; /* of the saved method; "" when none was saved */
    char token[256];  /* the saved method (order_saved_methods); "" when none */
    char currency[4], email[256], shipping_method[64];
    const char *address_json; /* the shipping address, serialized (arena) */
} souk_orders_subscribable;

/* Order ORDER as a subscription of USER to VARIANT would start from it, into
 * OUT (texts in A). VARIANT 0: any order of USER's (a payment method to take
 * from it; OUT->quantity is then 0). SOUK_OK; NOT_FOUND when it is not USER's or holds no
 * VARIANT; INVALID_STATE when it is not paid (or was cancelled or refunded);
 * or the database error. OUT->token is "" when its checkout saved no method:
 * the caller refuses that. */
souk_err souk_orders_subscribable_read(souk_store *db, int64_t order, int64_t user, int64_t variant,
                                       souk_orders_subscribable *out, souk_arena *a);

/* A renewal to place: cart CART_ID (made for it, priced now) for USER_ID. */
typedef struct souk_orders_renewal {
    int64_t cart_id, user_id;
    int64_t discount_bp; /* the subscription discount off the goods, after promotions, before tax (0: none) */
    const char *email, *address_json, *actor;
} souk_orders_renewal;

/* Inside the caller's write transaction: places IN as checkout places an
 * order (place.c: lines at current prices, stock reserved, promotions
 * claimed, fraud scored; channel "subscription"), in pending_payment, into
 * *ORDER_ID. The errors of checkout's placement: VALIDATION (problems in
 * PR), OUT_OF_STOCK, NOT_FOUND (no cart), or the database error; the caller
 * rolls back. */
souk_err souk_orders_place_renewal_tx(souk_store *db, const souk_orders_renewal *in, int64_t *order_id, souk_arena *a,
                                      souk_problems *pr);

/* What a renewal's charge came to. */
typedef enum souk_orders_charge_status {
    SOUK_ORDERS_CHARGE_PAID,     /* the order is paid (now, or before) */
    SOUK_ORDERS_CHARGE_DECLINED, /* declined or failed: the order is cancelled, its stock released */
    SOUK_ORDERS_CHARGE_GONE,     /* cancelled for another reason (abandoned, by an admin) */
    SOUK_ORDERS_CHARGE_WAIT,     /* still pending (the provider is processing it: its webhook decides) */
} souk_orders_charge_status;

typedef struct souk_orders_charge {
    souk_orders_charge_status status;
    char decline_code[64];
} souk_orders_charge;

/* Outside any transaction: pays pending order ID with the saved method
 * TOKEN, the customer not present — the intent created unless it has one
 * (idempotency key "ord_…-create"), confirmed off-session ("ord_…-renew"),
 * the outcome applied as checkout applies it (ACTOR in the history). An
 * order no longer pending is only reported: so a call made again after a
 * crash charges nothing twice. Returns 0 with OUT, or -1 with ERR when the
 * gateway could not be reached or the outcome not written: call again. */
int souk_orders_charge_saved(souk_store *db, int64_t id, const char *token, const char *actor, souk_orders_charge *out,
                             char *err, size_t errlen);

/* Inside the caller's write transaction: cancels renewal order ID while it
 * waits for payment (stock released), NOTE in its history. SOUK_OK also when
 * it is no longer pending (nothing changes), or the database error. */
souk_err souk_orders_cancel_renewal_tx(souk_store *db, int64_t id, const char *note, const char *actor);

/* ---- the parts the jobs run, also used by the unit tests ---- */

/* Cancels up to MAX orders still waiting for payment whose due time passed
 * before NOW_US (reservation released, coupon use given back), each in its
 * own transaction. Returns how many, or a negative souk_db_status. */
int souk_orders_abandon_due(souk_store *db, int64_t now_us, int max);

/* Writes up to MAX due order e-mails (order_notifications without sent_at,
 * oldest first) into the mail outbox and marks them sent, inside the
 * caller's write transaction. Returns how many, or a negative
 * souk_db_status. */
int souk_orders_send_emails_tx(souk_store *db, int max);

/* Deletes idempotency keys created before NOW_US - 24 h (at most MAX).
 * Returns how many, or a negative souk_db_status. */
int souk_orders_forget_keys(souk_store *db, int64_t now_us, int max);

#endif
