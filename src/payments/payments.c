/*
 * payments.c — the parts of the payment port that are no adapter's: the
 * gateway chosen from the environment at start-up, and status names.
 */
#include "payments/payments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/banned.h"

int souk_payments_configure(souk_payment_gateway *g, char *err, size_t errlen)
{
    const char *kind = getenv("SOUK_PAYMENT_GATEWAY");
    if (!kind || !*kind || strcmp(kind, "test") == 0) {
        souk_payments_builtin_gateway(g);
        return 0;
    }
    if (strcmp(kind, "stripe") != 0) {
        snprintf(err, errlen, "SOUK_PAYMENT_GATEWAY must be test or stripe, got '%s'", kind);
        return -1;
    }
    const char *key = getenv("SOUK_STRIPE_SECRET_KEY"), *base = getenv("SOUK_STRIPE_API_BASE");
    if (!key || !*key || strlen(key) > 200) {
        snprintf(err, errlen, "SOUK_STRIPE_SECRET_KEY is required for the stripe gateway");
        return -1;
    }
    base = base && *base ? base : "https://api.stripe.com";
    /* the host must end after the loopback name: http://127.0.0.1.example.com is not loopback */
    bool loopback = (strncmp(base, "http://127.0.0.1", 16) == 0 || strncmp(base, "http://localhost", 16) == 0) &&
                    (base[16] == '\0' || base[16] == ':' || base[16] == '/');
    if (strlen(base) > 200 || (strncmp(base, "https://", 8) != 0 && !loopback)) {
        snprintf(err, errlen, "SOUK_STRIPE_API_BASE must be an https:// URL (plain http only on loopback)");
        return -1;
    }
    /* without webhooks a payment the client confirms, or one that succeeds after
     * a lost answer, would never reach its order */
    const char *whsec = getenv("SOUK_STRIPE_WEBHOOK_SECRET");
    if (!whsec || !*whsec || strlen(whsec) > 200) {
        snprintf(err, errlen, "SOUK_STRIPE_WEBHOOK_SECRET is required for the stripe gateway");
        return -1;
    }
    souk_payments_stripe_gateway(g, base, key, whsec);
    return 0;
}

const char *souk_pay_status_name(souk_pay_status s)
{
    switch (s) {
    case SOUK_PAY_REQUIRES_CONFIRMATION: return "requires_confirmation";
    case SOUK_PAY_PROCESSING: return "processing";
    case SOUK_PAY_SUCCEEDED: return "succeeded";
    case SOUK_PAY_DECLINED: return "declined";
    case SOUK_PAY_FAILED: return "failed";
    }
    return "failed";
}

bool souk_payments_refusing(const souk_payment_gateway *g, int *retry_after_s)
{
    int64_t wait_us = 0;
    if (!g->breaker || !souk_breaker_refusing(g->breaker, souk_time_mono_us(), &wait_us))
        return false;
    if (retry_after_s)
        *retry_after_s = (int)(wait_us / 1000000);
    return true;
}
