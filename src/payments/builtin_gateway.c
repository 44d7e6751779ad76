/* builtin_gateway.c — the built-in gateway ("test") (see payments.h). Stateless:
 * an intent is named by its idempotency key (or reference), and its id carries
 * its amount and currency — "pi_test_<24 hex>_<amount>_<currency>" — so that
 * a confirmation can report what it charged; the card decides. */
#include "payments/payments.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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
    snprintf(out->id, sizeof out->id, "pi_test_%s_%lld_%.3s", hex, (long long)amount, currency);
    out->status = SOUK_PAY_REQUIRES_CONFIRMATION;
    out->amount = amount;
    out->amount_received = 0;
    snprintf(out->currency, sizeof out->currency, "%s", currency);
    return 0;
}

/* The amount and currency an intent id of create() carries into OUT;
 * -1 and "" for an id without them. */
static void read_id(const char *id, souk_payment_intent *out)
{
    out->amount = -1;
    out->currency[0] = '\0';
    const char *p = strchr(id + 8, '_'); /* after "pi_test_<hex>" */
    if (!p || !p[1])
        return;
    char *end;
    long long amount = strtoll(p + 1, &end, 10);
    if (end == p + 1 || *end != '_' || strlen(end + 1) != 3 || amount < 0)
        return;
    out->amount = amount;
    snprintf(out->currency, sizeof out->currency, "%s", end + 1);
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
    read_id(intent_id, out);
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
    out->amount_received = out->status == SOUK_PAY_SUCCEEDED ? out->amount : 0;
    return 0;
}

/* The test cards confirm() knows; a saved method names one of them. */
static bool known_card(const char *card)
{
    static const char *const known[] = {"4242424242424242", "4000000000000002", "4000000000009995", "4000000000000119"};
    for (size_t i = 0; card && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(card, known[i]) == 0)
            return true;
    return false;
}

static int save_method(const souk_payment_gateway *g, const char *intent_id, const char *card,
                       const char *idempotency_key, char *token, size_t token_len, char *err, size_t errlen)
{
    (void)g;
    (void)intent_id;
    (void)idempotency_key;
    (void)err;
    (void)errlen;
    snprintf(token, token_len, "tok_test_%s", known_card(card) ? card : "invalid");
    return 0;
}

static int confirm_saved(const souk_payment_gateway *g, const char *intent_id, const char *token,
                         const char *idempotency_key, souk_payment_intent *out, char *err, size_t errlen)
{
    if (!token || strncmp(token, "tok_test_", 9) != 0) {
        snprintf(err, errlen, "not a saved payment method of the test gateway");
        return -1;
    }
    return confirm(g, intent_id, token + 9, idempotency_key, out, err, errlen);
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
    g->save_method = save_method;
    g->confirm_saved = confirm_saved;
}
