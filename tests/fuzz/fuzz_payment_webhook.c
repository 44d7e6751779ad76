/*
 * libFuzzer driver for the payment webhook's two parsers of outside input:
 * the Stripe-Signature header (souk_payments_verify_signature,
 * src/payments/stripe.c) and the event body (souk__payment_event_read,
 * src/orders/payment_webhook.c).
 *
 * The input is "<header>\n<body>" (no newline: all header, empty body).
 *
 * 1. The header as it came, over the body, with a fixed secret and clock:
 *    accepted only when it is at most 2048 bytes and holds, as a whole
 *    comma-separated item, "v1=" and the right lower-case hex HMAC; and then
 *    refused with another secret and with a clock far away.
 * 2. A header made right for the body ("t=<t>,v1=<hex>", t within the
 *    tolerance, taken from the input) is accepted, also with a second,
 *    wrong v1= before it and an unknown item after it; with one hex digit
 *    changed, a t one second past the tolerance (signed for that t) or an
 *    empty secret it is refused.
 * 3. The body as the handler parses it (souk_json_parse_object): an event
 *    read succeeds exactly when the oracle here says it should (string id
 *    and type, every field within its bound); a success points at the
 *    object's own strings and integers (-1 for what is absent or not an
 *    integer) and reads the same after a dump and a re-parse; a refusal
 *    leaves every pointer NULL.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "orders/internal.h"
#include "payments/payments.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

#define SECRET "whsec_fuzz_0123456789"
#define NOW 1700000000LL
#define TOL 300

static void hmac_hex(const char *secret, long long t, const char *body, size_t len, char hex[65])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[32];
    int tl = snprintf(ts, sizeof ts, "%lld.", t);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (size_t)tl);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, 65, mac, sizeof mac);
}

/* whether HEADER holds "v1=<64 hex>" as a whole item for SOME t it names */
static bool holds_item(const char *header, const char *item, size_t n)
{
    for (const char *p = header; (p = strstr(p, item)) != NULL; p++)
        if ((p == header || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

static void check_given_header(const char *header, const char *body, size_t blen)
{
    if (!souk_payments_verify_signature(header, body, blen, SECRET, NOW, TOL))
        return;
    CHECK(strlen(header) <= 2048);
    /* the t it was accepted for is one in the tolerance: some v1 matches one of those */
    bool found = false;
    for (const char *p = header; *p && !found; p++) {
        if ((p == header || p[-1] == ',') && p[0] == 't' && p[1] == '=') {
            long long t = strtoll(p + 2, NULL, 10);
            if (t >= NOW - TOL && t <= NOW + TOL) {
                char item[3 + 65] = "v1=";
                hmac_hex(SECRET, t, body, blen, item + 3);
                found = holds_item(header, item, 67);
            }
        }
    }
    CHECK(found);
    CHECK(!souk_payments_verify_signature(header, body, blen, SECRET "x", NOW, TOL));
    CHECK(!souk_payments_verify_signature(header, body, blen, SECRET, NOW + 100000, TOL));
}

static void check_made_header(const uint8_t *data, size_t size, const char *body, size_t blen)
{
    long long t = NOW - TOL + (size ? (long long)(data[0] | (size > 1 ? data[1] << 8 : 0)) % (2 * TOL + 1) : 0);
    char hex[65], h[256];
    hmac_hex(SECRET, t, body, blen, hex);
    snprintf(h, sizeof h, "t=%lld,v1=%s", t, hex);
    CHECK(souk_payments_verify_signature(h, body, blen, SECRET, NOW, TOL));
    CHECK(!souk_payments_verify_signature(h, body, blen, "", NOW, TOL));
    snprintf(h, sizeof h, "t=%lld,v1=%064d,v1=%s,v0=whatever", t, 0, hex);
    CHECK(souk_payments_verify_signature(h, body, blen, SECRET, NOW, TOL));
    /* one digit changed */
    size_t at = size > 2 ? data[2] % 64 : 0;
    char bad[65];
    memcpy(bad, hex, sizeof bad);
    bad[at] = bad[at] == '0' ? '1' : '0';
    snprintf(h, sizeof h, "t=%lld,v1=%s", t, bad);
    CHECK(!souk_payments_verify_signature(h, body, blen, SECRET, NOW, TOL));
    /* stale, though rightly signed for its t */
    long long old = NOW - TOL - 1;
    hmac_hex(SECRET, old, body, blen, hex);
    snprintf(h, sizeof h, "t=%lld,v1=%s", old, hex);
    CHECK(!souk_payments_verify_signature(h, body, blen, SECRET, NOW, TOL));
}

static const char *str_at(const json_t *j, const char *a, const char *b, const char *c)
{
    const json_t *v = json_object_get(j, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    return json_string_value(v);
}

static int64_t int_at(const json_t *j, const char *name)
{
    const json_t *v = json_object_get(json_object_get(json_object_get(j, "data"), "object"), name);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static bool fits(const char *s, size_t max)
{
    return !s || strlen(s) <= max;
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_body(const char *body, size_t blen)
{
    char err[200];
    json_t *j = souk_json_parse_object(body, blen, err, sizeof err);
    if (!j) {
        CHECK(err[0]);
        return;
    }
    souk__payment_event ev;
    memset(&ev, 0x5a, sizeof ev);
    int r = souk__payment_event_read(j, "req_fuzz", &ev);
    const char *id = str_at(j, "id", NULL, NULL), *type = str_at(j, "type", NULL, NULL);
    const char *intent = str_at(j, "data", "object", "id");
    const char *decline = json_string_value(json_object_get(
        json_object_get(json_object_get(json_object_get(j, "data"), "object"), "last_payment_error"), "decline_code"));
    const char *ref = json_string_value(json_object_get(
        json_object_get(json_object_get(json_object_get(j, "data"), "object"), "metadata"), "reference"));
    const char *cur = str_at(j, "data", "object", "currency");
    bool want = id && type && fits(id, 200) && fits(type, 100) && fits(intent, 79) && fits(decline, 60) &&
                fits(ref, 40) && fits(cur, 16);
    CHECK(r == (want ? 0 : -1));
    if (r < 0) {
        CHECK(!ev.event_id && !ev.type && !ev.intent && !ev.decline && !ev.reference && !ev.report.intent &&
              !ev.report.currency);
        json_decref(j);
        return;
    }
    CHECK(ev.event_id == id && ev.type == type && ev.intent == intent && ev.report.intent == intent);
    CHECK(ev.decline == decline && ev.reference == ref && ev.report.currency == cur);
    CHECK(ev.report.amount == int_at(j, "amount") && ev.report.received == int_at(j, "amount_received"));
    CHECK(strcmp(ev.report.source, "webhook") == 0 && strcmp(ev.report.request_id, "req_fuzz") == 0);
    /* the same event after a dump and a parse */
    char *text = json_dumps(j, JSON_COMPACT);
    CHECK(text != NULL);
    json_t *k = souk_json_parse_object(text, strlen(text), err, sizeof err);
    CHECK(k != NULL);
    souk__payment_event ev2;
    CHECK(souk__payment_event_read(k, NULL, &ev2) == 0);
    CHECK(same(ev.event_id, ev2.event_id) && same(ev.type, ev2.type) && same(ev.intent, ev2.intent) &&
          same(ev.decline, ev2.decline) && same(ev.reference, ev2.reference) &&
          same(ev.report.currency, ev2.report.currency));
    CHECK(ev.report.amount == ev2.report.amount && ev.report.received == ev2.report.received);
    json_decref(k);
    free(text);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t hlen = nl ? (size_t)(nl - data) : size;
    char *header = malloc(hlen + 1);
    CHECK(header != NULL);
    memcpy(header, data, hlen);
    header[hlen] = '\0'; /* a NUL inside ends the header early, as a C string does */
    const char *body = nl ? (const char *)nl + 1 : "";
    size_t blen = nl ? size - hlen - 1 : 0;
    check_given_header(header, body, blen);
    check_made_header(data, size, body, blen);
    check_body(body, blen);
    free(header);
    return 0;
}
