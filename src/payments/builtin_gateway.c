/* builtin_gateway.c — the built-in gateway ("test") (see payments.h). Stateless:
 * intents are named by their reference and amount; the card decides. */
#include "payments/payments.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

static int create(const souk_payment_gateway *g, int64_t amount, const char *currency, const char *reference,
                  const char *idempotency_key, souk_payment_intent *out, char *err, size_t errlen)
{
    (void)g;
    (void)err;
    (void)errlen;
    memset(out, 0, sizeof *out);
    /* the same idempotency key (or reference) always names the same intent */
    unsigned char h[12];
    const char *seed = idempotency_key ? idempotency_key : reference;
    crypto_generichash(h, sizeof h, (const unsigned char *)seed, strlen(seed), NULL, 0);
    char hex[25];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out->id, sizeof out->id, "pi_test_%s", hex);
    out->status = SOUK_PAY_REQUIRES_CONFIRMATION;
    out->amount = amount;
    snprintf(out->currency, sizeof out->currency, "%s", currency);
    return 0;
}

static int confirm(const souk_payment_gateway *g, const char *intent_id, const char *card, const char *idempotency_key,
                   souk_payment_intent *out, char *err, size_t errlen)
{
    (void)g;
    (void)idempotency_key;
    if (!intent_id || strncmp(intent_id, "pi_test_", 8) != 0) {
        snprintf(err, errlen, "unknown payment intent");
        return -1;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", intent_id);
    static const struct {
        const char *card;
        souk_pay_status status;
        const char *code;
    } cards[] = {
        {"4242424242424242", SOUK_PAY_SUCCEEDED, ""},
        {"4000000000000002", SOUK_PAY_DECLINED, "card_declined"},
        {"4000000000009995", SOUK_PAY_DECLINED, "insufficient_funds"},
        {"4000000000000119", SOUK_PAY_FAILED, "processing_error"},
    };
    out->status = SOUK_PAY_DECLINED;
    snprintf(out->decline_code, sizeof out->decline_code, "invalid_number");
    for (size_t i = 0; card && i < sizeof cards / sizeof cards[0]; i++)
        if (strcmp(card, cards[i].card) == 0) {
            out->status = cards[i].status;
            snprintf(out->decline_code, sizeof out->decline_code, "%s", cards[i].code);
        }
    return 0;
}

static int refund(const souk_payment_gateway *g, const char *intent_id, int64_t amount, const char *idempotency_key,
                  char *refund_id, size_t refund_id_len, char *err, size_t errlen)
{
    (void)g;
    if (!intent_id || strncmp(intent_id, "pi_test_", 8) != 0 || amount <= 0) {
        snprintf(err, errlen, amount <= 0 ? "refund amount must be positive" : "unknown payment intent");
        return -1;
    }
    unsigned char h[8];
    const char *seed = idempotency_key ? idempotency_key : intent_id;
    crypto_generichash(h, sizeof h, (const unsigned char *)seed, strlen(seed), NULL, 0);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(refund_id, refund_id_len, "re_test_%s", hex);
    return 0;
}

void souk_payments_builtin_gateway(souk_payment_gateway *g)
{
    memset(g, 0, sizeof *g);
    g->name = "test";
    g->in_process = true;
    g->create_intent = create;
    g->confirm = confirm;
    g->refund = refund;
}
