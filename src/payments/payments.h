/*
 * payments.h — the payment-gateway port and its two adapters.
 *
 * A gateway creates a payment intent for an amount, confirms it with a
 * payment method, and refunds. Adapters:
 * - "test": built in (builtin_gateway.c), no network. Its intent ids carry
 *   their amount and currency ("pi_test_<hash>_<amount>_<currency>"), so that
 *   a confirmation reports what it charged as a real provider's does (always
 *   the amount asked). Card numbers decide the outcome:
 *     4242424242424242  succeeds
 *     4000000000000002  declined (card_declined)
 *     4000000000009995  declined (insufficient_funds)
 *     4000000000000119  fails (processing_error)
 *   any other number is declined (invalid_number).
 *   A saved method (save_method) is "tok_test_<card>": the card decides
 *   again when it is confirmed off-session (confirm_saved).
 * - "stripe" (stripe.c): a Stripe-style HTTP API over HTTPS with libcurl
 *   (PaymentIntents create/confirm, refunds), authenticated with a secret key,
 *   idempotency keys forwarded; webhooks verified with
 *   souk_payments_verify_signature. Its calls go through the circuit breaker
 *   "payments" (core/breaker.h): a network failure, a 5xx or a 429 counts
 *   as a failure; while the breaker is open a call fails at once with
 *   "circuit open" (-1, as for an unreachable provider) and nothing is sent.
 * Gateways are plain values: no global state, safe from any thread. The
 * choice between them (souk_payments_configure) is payments.c.
 */
#ifndef SOUK_PAYMENTS_H
#define SOUK_PAYMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/breaker.h"

typedef enum souk_pay_status {
    SOUK_PAY_REQUIRES_CONFIRMATION, /* created, waiting for a payment method */
    SOUK_PAY_PROCESSING,            /* the provider will tell us (webhook) */
    SOUK_PAY_SUCCEEDED,
    SOUK_PAY_DECLINED, /* the customer's bank said no: a final answer */
    SOUK_PAY_FAILED,   /* an error on the way: may be retried */
} souk_pay_status;

typedef struct souk_payment_intent {
    char id[80];
    char client_secret[160]; /* what a browser needs to confirm (Stripe.js); "" for the test gateway */
    souk_pay_status status;
    char decline_code[64];
    int64_t amount;          /* what the intent is for, minor units; -1 when the provider did not say */
    int64_t amount_received; /* what it took (Stripe's amount_received; 0 until it succeeds); -1 when not said */
    char currency[4];        /* upper case as the provider said it; "" when it did not */
} souk_payment_intent;

typedef struct souk_payment_gateway souk_payment_gateway;

struct souk_payment_gateway {
    const char *name; /* "test" or "stripe" */
    bool in_process;  /* no I/O: may be called inside a database transaction */
    /* Each returns 0 with OUT filled, or -1 with a message in ERR (network or
     * protocol failure; nothing is known to have happened — retry with the
     * same idempotency key). IDEMPOTENCY_KEY may be NULL. OUT reports the
     * intent's amount, amount_received and currency as the provider states
     * them (never copied from the request): callers compare them with what
     * they asked for before they take a payment as theirs. */
    int (*create_intent)(const souk_payment_gateway *g, int64_t amount, const char *currency, const char *reference,
                         const char *idempotency_key, souk_payment_intent *out, char *err, size_t errlen);
    int (*confirm)(const souk_payment_gateway *g, const char *intent_id, const char *payment_method,
                   const char *idempotency_key, souk_payment_intent *out, char *err, size_t errlen);
    int (*refund)(const souk_payment_gateway *g, const char *intent_id, int64_t amount, const char *idempotency_key,
                  char *refund_id, size_t refund_id_len, char *err, size_t errlen);
    /* Saving a payment method for charges without the customer present
     * (subscriptions' renewals). Called before INTENT_ID is confirmed with
     * PAYMENT_METHOD: makes the method reusable and sets the intent up for
     * it; TOKEN (TOKEN_LEN bytes) gets the reusable reference to pass to
     * confirm_saved later. Test gateway: "tok_test_<card>" for its known
     * test cards, "tok_test_invalid" for any other number (no card number of
     * a real card is ever kept). Stripe-style: a Customer created with the
     * method attached (POST /v1/customers), the intent given that customer
     * and setup_future_usage=off_session; TOKEN "cus_…|pm_…". Returns 0, or
     * -1 with ERR (as the other calls). */
    int (*save_method)(const souk_payment_gateway *g, const char *intent_id, const char *payment_method,
                       const char *idempotency_key, char *token, size_t token_len, char *err, size_t errlen);
    /* Confirms INTENT_ID with the saved TOKEN, the customer not present
     * (Stripe's off_session=true: a card that needs the customer's action is
     * declined with authentication_required). OUT and the return as confirm. */
    int (*confirm_saved)(const souk_payment_gateway *g, const char *intent_id, const char *token,
                         const char *idempotency_key, souk_payment_intent *out, char *err, size_t errlen);
    /* adapter settings */
    char api_base[256];       /* stripe: e.g. https://api.stripe.com */
    char secret_key[256];     /* stripe: sk_… */
    char webhook_secret[256]; /* stripe: whsec_… */
    souk_breaker *breaker;    /* stripe: the process's "payments" breaker; NULL for the test gateway */
};

/* Sets up G from the environment: SOUK_PAYMENT_GATEWAY = test (default) |
 * stripe; for stripe SOUK_STRIPE_SECRET_KEY (required), SOUK_STRIPE_API_BASE
 * (default https://api.stripe.com), SOUK_STRIPE_WEBHOOK_SECRET (required). Returns 0, or
 * -1 with a message in ERR. */
int souk_payments_configure(souk_payment_gateway *g, char *err, size_t errlen);

/* Fills G with the built-in gateway, named "test" (no I/O: in_process). */
void souk_payments_builtin_gateway(souk_payment_gateway *g);

/* Fills G with the Stripe-style adapter for API_BASE and SECRET_KEY. */
void souk_payments_stripe_gateway(souk_payment_gateway *g, const char *api_base, const char *secret_key,
                                  const char *webhook_secret);

/* Verifies a Stripe-style webhook signature header
 * ("t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">[,v1=…]") over BODY
 * with SECRET, accepting timestamps within TOLERANCE_S of NOW_S. Constant-time
 * comparison. Returns true only for a valid, fresh signature. */
bool souk_payments_verify_signature(const char *header, const char *body, size_t body_len, const char *secret,
                                    int64_t now_s, int tolerance_s);

/* True when G's circuit breaker would refuse a call now (the provider
 * failed repeatedly and the cool-down has not passed), with the seconds to
 * wait in RETRY_AFTER_S. Takes no half-open probe. Always false for a
 * gateway without a breaker. */
bool souk_payments_refusing(const souk_payment_gateway *g, int *retry_after_s);

/* "succeeded", "declined", … */
const char *souk_pay_status_name(souk_pay_status s);

#endif
