/* internal.h — shared by the orders module's .c files only (souk__order_ prefix). */
#ifndef SOUK_ORDERS_INTERNAL_H
#define SOUK_ORDERS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "inventory/inventory.h"
#include "orders/orders.h"
#include "store/store.h"

/* The columns of an order that decisions need. */
typedef struct souk__order {
    int64_t id, user_id, total, refunded, reservation_id, cart_id, coupon_id;
    int64_t paid_at; /* µs; 0: not paid */
    char state[24], payment_status[24], currency[4], intent_id[80], email[256];
} souk__order;

/* What checkout wrote of an order it placed (souk__order_place_tx), kept
 * so that the answer of a checkout that placed and paid it in one
 * transaction needs no read back (souk__order_paid_write). Texts live in
 * the arena place was given; NULL texts are SQL NULL. */
typedef struct souk__placed_line {
    int64_t variant, product, vendor, quantity, unit_amount, line_total; /* vendor 0: the shop's own */
    const char *sku, *product_title, *variant_title;
    int64_t discount; /* the line's share of the order's discount */
} souk__placed_line;

typedef struct souk__placed_sub {
    int64_t id, vendor, subtotal, commission_bp, commission;
} souk__placed_sub;

typedef struct souk__placed {
    souk__order o; /* as souk__order_load would read it */
    int64_t subtotal, discount, shipping, tax, created_at;
    bool prices_include_tax;
    const char *shipping_method, *coupon, *address_json, *gateway, *actor;
    const souk__placed_line *lines; /* in line order */
    size_t nlines;
    const souk__placed_sub *subs; /* in id order */
    size_t nsubs;
} souk__placed;

/* A souk_store_one / souk_stmt_next result as a souk_err: a row is SOUK_OK,
 * no row NOT_FOUND, else the database error. */
static inline souk_err souk__order_found(int r)
{
    return r == SOUK_DB_ROW ? SOUK_OK : r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
}

/* Reads order ID into O. SOUK_OK, NOT_FOUND, or INTERNAL/UNAVAILABLE. */
souk_err souk__order_load(souk_store *db, int64_t id, souk__order *o);

/* The order as clients see it (docs/orders.md). VENDOR ≠ 0: only that
 * vendor's lines and sub-order. Caller decrefs *OUT. */
souk_err souk__order_json(souk_store *db, int64_t id, int64_t vendor, json_t **out);

/* Appends to B order P->o as souk__order_json + json_dumps(JSON_COMPACT)
 * would write it once O — the same order as this transaction leaves it —
 * was paid by souk__order_pay_tx in the transaction that placed it: nothing
 * else has touched it (no refund, no return, two history rows); with
 * ORDER_TOKEN (a guest's) an "order_token" member last (paid_write.c).
 * SOUK_OK; INTERNAL when B is full or (our bug) O is not paid or not P's
 * order — the caller then reads it instead. */
souk_err souk__order_paid_write(const souk__placed *p, const souk__order *o, const char *order_token, souk_buf *b);

/* The review of order ID (docs/orders.md "Payments that do not match") into
 * *OUT — {reason, source, intent_id, reported_amount, reported_currency,
 * refund_id, at}, caller decrefs — or NULL when nothing is to be reviewed.
 * For staff only. SOUK_OK or the database error. */
souk_err souk__order_review_json(souk_store *db, int64_t id, json_t **out);

/* ---- the fraud-risk score (fraud_check.c; docs/internals/fraud.md) ---- */

/* What checkout knows of an order it is placing. */
typedef struct souk__fraud_in {
    int64_t order, user;                         /* user 0: a guest */
    const char *email, *address_json, *currency; /* the shipping address serialized */
    const char *payment_method;                  /* NULL: none sent (no card signals) */
    const char *bill_country;                    /* ISO alpha-2, or NULL */
    int64_t amount, now;                         /* the total; the order's created_at */
} souk__fraud_in;

/* Inside the claim transaction, after the order row IN->order is written:
 * gathers the signals of src/fraud (the other orders of the last 24 hours
 * with its card, e-mail and address; the customer's paid history; the
 * account's age from orders_account_ages; the store's high value), scores
 * them and stores the fingerprints, the score, the reasons and — at or above
 * the threshold — fraud_hold 'held' on the order (*HELD true). SOUK_OK or
 * the database error. */
souk_err souk__order_fraud_tx(souk_store *db, const souk__fraud_in *in, bool *held);

/* INVALID_STATE with a "fraud_hold" problem in PR (texts in A) when ORDER
 * is held for fraud review; SOUK_OK when it is not; or the database error. */
souk_err souk__order_hold_check_tx(souk_store *db, int64_t order, souk_problems *pr, souk_arena *a);

/* ORDER's score for staff into *OUT — {score, reasons: [{reason, points}],
 * hold: "held" | "released" | "cancelled" | null, threshold}, caller
 * decrefs — or NULL when it was never scored (placed before scoring, or
 * imported). SOUK_OK or the database error. */
souk_err souk__order_fraud_json(souk_store *db, int64_t id, json_t **out);

/* ---- inside a write transaction (souk_store_run bodies) ---- */

/* Which quantity of each order line: all of it, what was not returned, or
 * what was not fulfilled. */
typedef enum { SOUK__LINES_ALL = 0, SOUK__LINES_UNRETURNED = 1, SOUK__LINES_UNFULFILLED = 2 } souk__stock_part;

/* The variants and quantities (PART) of ORDER's lines into OUT (room for
 * SOUK_INVENTORY_LINES_MAX), *N how many; lines with none left out. */
souk_err souk__order_stock_lines(souk_store *db, int64_t order, souk__stock_part part, souk_reservation_line *out,
                                 size_t *n);

/* Appends a history row (SUB = 0 for the order itself; FROM may be NULL). */
souk_err souk__order_history_tx(souk_store *db, int64_t order, int64_t sub, const char *from, const char *to,
                                const char *note, const char *actor);

/* The same, dated AT (µs): the time of the change it records, as written
 * in the order's own row. */
souk_err souk__order_history_at_tx(souk_store *db, int64_t order, int64_t sub, const char *from, const char *to,
                                   const char *note, const char *actor, int64_t at);

/* Emits "order.<WHAT>" about ORDER with payload {order_id, state, ...EXTRA}
 * (EXTRA stolen, may be NULL). */
souk_err souk__order_event_tx(souk_store *db, const char *what, int64_t order, const char *state, json_t *extra);

/* Asks for the e-mail KIND ("confirmation", "shipped", "delivered",
 * "cancelled", "refunded:<refund id>") of ORDER: an order_notifications row
 * (once per order and kind) and the order.emails job of the next second
 * (emails.c). SOUK_OK or the database error. */
souk_err souk__order_email_tx(souk_store *db, int64_t order, const char *kind);

/* pending_payment → paid for order *O — its columns as they are in this
 * transaction (read in it, or written by it: what they say decides what is
 * done) —: consumes the reservation (or, when it lapsed already, reserves
 * and consumes afresh), empties the cart, marks sub-orders paid, history,
 * order.placed + order.paid, confirmation e-mail; *O then says so (state
 * paid, payment succeeded, paid_at, the time of the history row too).
 * CONFLICT when the order is not pending (nothing changed); OUT_OF_STOCK
 * when the reservation lapsed and the stock is gone (the caller cancels and
 * refunds). */
souk_err souk__order_pay_tx(souk_store *db, souk__order *o, const char *actor);

/* The gateway says ORDER's payment is being processed (bank payments take
 * days): a pending order waits for its webhook instead of being abandoned
 * at its due time. Nothing changes for an order that is not pending. */
souk_err souk__order_processing_tx(souk_store *db, int64_t order);

/* pending_payment → cancelled: reservation released, coupon use given back.
 * PAYMENT_STATUS ("declined", "failed", or NULL = unchanged) and DECLINE
 * (may be NULL) are recorded. CONFLICT when the order is not pending. */
souk_err souk__order_cancel_pending_tx(souk_store *db, int64_t order, const char *payment_status, const char *decline,
                                       const char *note, const char *actor);

/* Recomputes the state of ORDER's sub-orders and of the order from its
 * lines (paid / partially_fulfilled / fulfilled; shipped and delivered come
 * from the sub-orders), writing history, events and e-mails for changes. */
souk_err souk__order_derive_tx(souk_store *db, int64_t order, const char *actor);

/* Takes AMOUNT off what is left to refund (refunded + AMOUNT <= total, a
 * conditional update) and records a pending refund (*REFUND_ID), with a
 * fallback orders.refund job that retries the gateway call. Sets the
 * payment status, and the state "refunded" when the total is reached
 * (unless STATE_AFTER names another, e.g. "cancelled"). VALIDATION when
 * AMOUNT is more than is left. */
souk_err souk__refund_begin_tx(souk_store *db, const souk__order *o, int64_t amount, const char *reason,
                               int64_t return_id, const char *actor, int64_t *refund_id);

/* paid → cancelled: stock put back, coupon use given back, the rest of the
 * total refunded (*REFUND_ID, to be sent with souk__refund_execute after
 * the commit). INVALID_STATE when the order is not paid. */
souk_err souk__order_cancel_paid_tx(souk_store *db, const souk__order *o, const char *reason, const char *actor,
                                    int64_t *refund_id);

/* The gateway says the payment of order *O (as it is in this transaction,
 * see souk__order_pay_tx) succeeded: pay it (souk__order_pay_tx); when it
 * can no longer be paid (cancelled meanwhile, or its stock gone) the money
 * is refunded in full (*REFUND_ID ≠ 0: send it after the commit). SOUK_OK
 * also when it was paid already. On SOUK_OK *O is the order as this
 * transaction leaves it. */
souk_err souk__order_payment_succeeded_tx(souk_store *db, souk__order *o, const char *actor, int64_t *refund_id);

/* Records a pending refund of AMOUNT (minor units of CURRENCY; NULL: the
 * order's) of a payment through INTENT that ORDER O did not take as its own
 * (a payment that did not match its total): the order's refunded total and
 * state are left alone, the orders.refund job sends it, the customer is
 * told. Once per intent: *REFUND_ID is 0 when a refund to INTENT exists
 * already, else the refund to send with souk__refund_execute after the
 * commit. SOUK_OK or the database error. */
souk_err souk__refund_stray_tx(souk_store *db, const souk__order *o, const char *intent, int64_t amount,
                               const char *currency, const char *reason, const char *actor, int64_t *refund_id);

/* ---- payments reported by the gateway (payment_check.c) ---- */

/* What the gateway says about a payment: the synchronous confirmation at
 * checkout, or a webhook. */
typedef struct souk__payment_report {
    const char *intent;     /* the provider's intent id */
    int64_t amount;         /* what the intent is for, minor units; -1: not said */
    int64_t received;       /* what it took (amount_received); -1: not said */
    const char *currency;   /* as reported, any case; NULL: not said */
    const char *source;     /* "webhook" or "checkout" */
    const char *request_id; /* for the audit entry; may be NULL */
} souk__payment_report;

/* A Stripe-style payment event as the webhook reads it: pointers into the
 * parsed body (valid while it lives). */
typedef struct souk__payment_event {
    const char *event_id, *type; /* required */
    const char *intent;          /* data.object.id; NULL: none */
    const char *decline;         /* data.object.last_payment_error.decline_code */
    const char *reference;       /* data.object.metadata.reference ("ord_…") */
    souk__payment_report report; /* intent, amount, amount_received, currency; source "webhook" */
} souk__payment_event;

/* Reads the event BODY (a JSON object, already signature-checked) into *EV
 * (request_id REQUEST_ID, may be NULL). Returns 0, or -1 when it has no
 * string id or type, or a field is longer than souk stores (id 200, type
 * 100, intent 79, decline code 60, reference 40, currency 16 bytes); *EV
 * is then all NULL / -1. Pure: the webhook handler's parser, fuzzed by
 * tests/fuzz/fuzz_payment_webhook.c. */
int souk__payment_event_read(const json_t *body, const char *request_id, souk__payment_event *ev);

/* NULL when P is for exactly O's total in O's currency (and, when TAKEN —
 * P says the money was taken — what it took, if it says, is the total too);
 * else why not: "currency_mismatch" or "amount_mismatch". */
const char *souk__payment_mismatch(const souk__order *o, const souk__payment_report *p, bool taken);

/* The gateway says the payment P into order *O (as it is in this
 * transaction, see souk__order_pay_tx; on SOUK_OK as it leaves it)
 * succeeded. For the order's total: souk__order_payment_succeeded_tx
 * (*REFUND_ID as there). Otherwise
 * the order is left as it is (unpaid), flagged for review, the mismatch
 * audited, and what P took refunded to P's intent (*REFUND_ID, to send after
 * the commit; 0 when it was refunded before or paid the order); *MISMATCH is
 * then true: count it with souk__payment_mismatch_count once committed. */
souk_err souk__payment_succeeded_tx(souk_store *db, souk__order *o, const souk__payment_report *p, const char *actor,
                                    int64_t *refund_id, bool *mismatch);

/* Counts one committed mismatch of SOURCE ("webhook" / "checkout") in
 * souk_payment_mismatches_total. */
void souk__payment_mismatch_count(const char *source);

/* Registers souk_payment_mismatches_total, so /metrics shows it from the
 * start (souk_orders_configure calls it). */
void souk__payment_metrics_init(void);

/* ---- outside transactions ---- */

/* Asks the gateway for refund REFUND_ID (idempotency key "rfd_…") unless it
 * succeeded already, then records the outcome. 0, or -1 with ERR. */
int souk__refund_execute(souk_store *db, int64_t refund_id, char *err, size_t errlen);

/* ---- HTTP helpers (api_read.c) ---- */
#include "http/http.h"

/* What the caller wants to do with an order. */
enum { SOUK__SEE, SOUK__OWNER_OR_MANAGER, SOUK__OWNER, SOUK__FULFIL };

/* Loads order ID into O and checks the caller may act on it as HOW says
 * (see api_read.c); *VENDOR_VIEW gets the vendor whose part alone the caller
 * reaches (0 = all of it). Returns 0, or the error set on RES (404 for
 * orders the caller may not reach). */
int souk__order_access(souk_req *req, souk_res *res, int64_t id, int how, souk__order *o, int64_t *vendor_view);

/* Answers STATUS with order ID as VENDOR_VIEW sees it, naming it for the audit. */
int souk__order_answer(souk_req *req, souk_res *res, int64_t id, int64_t vendor_view, int status);

/* "ord_…" of ID into BUF (SOUK_ID_TEXT_MAX bytes); returns BUF. */
const char *souk__order_ref(int64_t id, char *buf);

#endif
