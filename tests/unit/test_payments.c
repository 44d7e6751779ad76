/* test_payments.c — the test gateway, webhook signatures, and the
 * Stripe-style adapter against an HTTP stub on loopback (src/payments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "payments/payments.h"

static void test_gateway_cards(void **state)
{
    (void)state;
    souk_payment_gateway g;
    souk_payments_builtin_gateway(&g);
    souk_payment_intent pi, again, res;
    char err[200];
    assert_int_equal(g.create_intent(&g, 1999, "USD", "order-1", "key-1", &pi, err, sizeof err), 0);
    assert_int_equal(pi.status, SOUK_PAY_REQUIRES_CONFIRMATION);
    assert_int_equal(pi.amount, 1999);
    assert_string_equal(pi.currency, "USD");
    /* the same idempotency key names the same intent */
    assert_int_equal(g.create_intent(&g, 1999, "USD", "order-1", "key-1", &again, err, sizeof err), 0);
    assert_string_equal(pi.id, again.id);
    assert_int_equal(g.create_intent(&g, 1999, "USD", "order-1", "key-2", &again, err, sizeof err), 0);
    assert_string_not_equal(pi.id, again.id);
    static const struct {
        const char *card;
        souk_pay_status status;
        const char *code;
    } cases[] = {{"4242424242424242", SOUK_PAY_SUCCEEDED, ""},
                 {"4000000000000002", SOUK_PAY_DECLINED, "card_declined"},
                 {"4000000000009995", SOUK_PAY_DECLINED, "insufficient_funds"},
                 {"4000000000000119", SOUK_PAY_FAILED, "processing_error"},
                 {"1234", SOUK_PAY_DECLINED, "invalid_number"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(g.confirm(&g, pi.id, cases[i].card, NULL, &res, err, sizeof err), 0);
        assert_int_equal(res.status, cases[i].status);
        assert_string_equal(res.decline_code, cases[i].code);
        /* a confirmation reports what the intent is for and what it took, as a provider does */
        assert_int_equal(res.amount, 1999);
        assert_string_equal(res.currency, "USD");
        assert_int_equal(res.amount_received, cases[i].status == SOUK_PAY_SUCCEEDED ? 1999 : 0);
    }
    /* an id that does not carry them reports nothing (a mismatch for whoever checks) */
    assert_int_equal(g.confirm(&g, "pi_test_0123456789abcdef01234567", "4242424242424242", NULL, &res, err, sizeof err),
                     0);
    assert_int_equal(res.amount, -1);
    assert_string_equal(res.currency, "");
    assert_int_equal(g.confirm(&g, "pi_other", "4242424242424242", NULL, &res, err, sizeof err), -1);
    char rid[80];
    assert_int_equal(g.refund(&g, pi.id, 500, "r1", rid, sizeof rid, err, sizeof err), 0);
    assert_true(strncmp(rid, "re_test_", 8) == 0);
    assert_int_equal(g.refund(&g, pi.id, 0, "r2", rid, sizeof rid, err, sizeof err), -1);
}

static void test_signatures(void **state)
{
    (void)state;
    const char *body = "{\"id\":\"evt_1\"}";
    /* printf '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test */
    const char *sig = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925";
    char h[256];
    snprintf(h, sizeof h, "t=1700000000,v1=%s", sig);
    assert_true(souk_payments_verify_signature(h, body, strlen(body), "whsec_test", 1700000000, 300));
    assert_true(souk_payments_verify_signature(h, body, strlen(body), "whsec_test", 1700000299, 300));
    /* stale, future, wrong secret, tampered body, tampered signature, several v1 with one good */
    assert_false(souk_payments_verify_signature(h, body, strlen(body), "whsec_test", 1700000301, 300));
    assert_false(souk_payments_verify_signature(h, body, strlen(body), "whsec_test", 1699999000, 300));
    assert_false(souk_payments_verify_signature(h, body, strlen(body), "whsec_other", 1700000000, 300));
    assert_false(souk_payments_verify_signature(h, "{\"id\":\"evt_2\"}", 14, "whsec_test", 1700000000, 300));
    snprintf(h, sizeof h, "t=1700000000,v1=%.63s0", sig);
    assert_false(souk_payments_verify_signature(h, body, strlen(body), "whsec_test", 1700000000, 300));
    snprintf(h, sizeof h, "t=1700000000,v1=%064d,v1=%s", 0, sig);
    assert_true(souk_payments_verify_signature(h, body, strlen(body), "whsec_test", 1700000000, 300));
    /* malformed headers */
    assert_false(souk_payments_verify_signature("", body, strlen(body), "whsec_test", 1700000000, 300));
    assert_false(souk_payments_verify_signature("v1=abc", body, strlen(body), "whsec_test", 1700000000, 300));
    snprintf(h, sizeof h, "t=17000x0000,v1=%s", sig);
    assert_false(souk_payments_verify_signature(h, body, strlen(body), "whsec_test", 1700000000, 300));
    assert_false(souk_payments_verify_signature(NULL, body, strlen(body), "whsec_test", 1700000000, 300));
}

/* ---- a one-connection-at-a-time HTTP stub ---- */

typedef struct stub {
    int fd, port;
    pthread_t thread;
    char last_request[4096];
    int requests;
} stub;

static const char *answer_for(const char *req)
{
    if (strstr(req, "POST /v1/payment_intents/pi_123/confirm") && strstr(req, "pm_card_visa"))
        return "{\"id\":\"pi_123\",\"object\":\"payment_intent\",\"amount\":1999,\"currency\":\"usd\",\"status\":\"succeeded\"}";
    if (strstr(req, "POST /v1/payment_intents/pi_123/confirm"))
        return "{\"error\":{\"type\":\"card_error\",\"code\":\"card_declined\",\"decline_code\":\"insufficient_funds\","
               "\"payment_intent\":{\"id\":\"pi_123\",\"status\":\"requires_payment_method\",\"amount\":1999,\"currency\":\"usd\"}}}";
    if (strstr(req, "POST /v1/payment_intents "))
        return "{\"id\":\"pi_123\",\"object\":\"payment_intent\",\"amount\":1999,\"currency\":\"usd\","
               "\"status\":\"requires_payment_method\",\"client_secret\":\"pi_123_secret_abc\"}";
    if (strstr(req, "POST /v1/refunds "))
        return "{\"id\":\"re_456\",\"object\":\"refund\",\"amount\":500,\"status\":\"succeeded\"}";
    return NULL;
}

static void *stub_main(void *arg)
{
    stub *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char buf[4096];
        ssize_t n = 0, r;
        while (n < (ssize_t)sizeof buf - 1 && (r = read(c, buf + n, sizeof buf - 1 - (size_t)n)) > 0) {
            n += r;
            buf[n] = '\0';
            char *hdr_end = strstr(buf, "\r\n\r\n");
            if (!hdr_end)
                continue;
            char *cl = strcasestr(buf, "content-length:");
            long len = cl ? strtol(cl + 15, NULL, 10) : 0;
            if (n >= (hdr_end + 4 - buf) + len)
                break;
        }
        buf[n > 0 ? n : 0] = '\0';
        memcpy(s->last_request, buf, sizeof s->last_request);
        s->requests++;
        const char *body = answer_for(buf);
        char resp[2048];
        int status = strstr(buf, "/fail") ? 500 : body ? (strstr(body, "\"error\"") ? 402 : 200) : 404;
        if (!body)
            body = "{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"no such route\"}}";
        int len = snprintf(resp, sizeof resp,
                           "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                           "Connection: close\r\n\r\n%s",
                           status, strlen(body), body);
        if (write(c, resp, (size_t)len) < 0) {
            /* the client went away; the next test will notice */
        }
        close(c);
    }
}

static void stub_start(stub *s)
{
    memset(s, 0, sizeof *s);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 8), 0);
    socklen_t l = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &l);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, stub_main, s);
}

static void stub_stop(stub *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->thread, NULL);
}

static void test_stripe_adapter(void **state)
{
    (void)state;
    stub s;
    stub_start(&s);
    char base[64], err[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", s.port);
    souk_payment_gateway g;
    souk_payments_stripe_gateway(&g, base, "sk_test_123", "whsec_x");
    souk_payment_intent pi;
    assert_int_equal(g.create_intent(&g, 1999, "USD", "ord 1&x", "idem-1", &pi, err, sizeof err), 0);
    assert_string_equal(pi.id, "pi_123");
    assert_string_equal(pi.client_secret, "pi_123_secret_abc");
    assert_string_equal(pi.currency, "USD");
    assert_int_equal(pi.amount, 1999);
    assert_non_null(strstr(s.last_request, "Authorization: Bearer sk_test_123"));
    assert_non_null(strstr(s.last_request, "Idempotency-Key: idem-1"));
    assert_non_null(strstr(s.last_request, "amount=1999&currency=usd&metadata%5Breference%5D=ord%201%26x"));
    assert_int_equal(g.confirm(&g, "pi_123", "pm_card_visa", NULL, &pi, err, sizeof err), 0);
    assert_int_equal(pi.status, SOUK_PAY_SUCCEEDED);
    assert_int_equal(g.confirm(&g, "pi_123", "pm_card_chargeDeclined", NULL, &pi, err, sizeof err), 0);
    assert_int_equal(pi.status, SOUK_PAY_DECLINED);
    assert_string_equal(pi.decline_code, "insufficient_funds");
    char rid[64];
    assert_int_equal(g.refund(&g, "pi_123", 500, "ref-1", rid, sizeof rid, err, sizeof err), 0);
    assert_string_equal(rid, "re_456");
    /* provider errors and unknown routes are failures, not answers */
    souk_payments_stripe_gateway(&g, base, "sk_test_123", NULL);
    snprintf(g.api_base, sizeof g.api_base, "%s/fail", base);
    assert_int_equal(g.create_intent(&g, 1, "USD", "r", NULL, &pi, err, sizeof err), -1);
    assert_non_null(strstr(err, "500"));
    stub_stop(&s);
    /* nobody listening */
    assert_int_equal(g.create_intent(&g, 1, "USD", "r", NULL, &pi, err, sizeof err), -1);
}

static void test_configure(void **state)
{
    (void)state;
    souk_payment_gateway g;
    char err[256];
    unsetenv("SOUK_PAYMENT_GATEWAY");
    assert_int_equal(souk_payments_configure(&g, err, sizeof err), 0);
    assert_string_equal(g.name, "test");
    setenv("SOUK_PAYMENT_GATEWAY", "stripe", 1);
    unsetenv("SOUK_STRIPE_SECRET_KEY");
    assert_int_equal(souk_payments_configure(&g, err, sizeof err), -1);
    setenv("SOUK_STRIPE_SECRET_KEY", "sk_x", 1);
    setenv("SOUK_STRIPE_API_BASE", "http://example.com", 1);
    assert_int_equal(souk_payments_configure(&g, err, sizeof err), -1); /* plain http off loopback */
    setenv("SOUK_STRIPE_API_BASE", "http://127.0.0.1.evil.example", 1);
    assert_int_equal(souk_payments_configure(&g, err, sizeof err), -1); /* only looks like loopback */
    setenv("SOUK_STRIPE_API_BASE", "http://localhostile.example:80", 1);
    assert_int_equal(souk_payments_configure(&g, err, sizeof err), -1);
    setenv("SOUK_STRIPE_API_BASE", "http://localhost/v1", 1);
    unsetenv("SOUK_STRIPE_WEBHOOK_SECRET");
    assert_int_equal(souk_payments_configure(&g, err, sizeof err), -1); /* webhooks are not optional */
    setenv("SOUK_STRIPE_WEBHOOK_SECRET", "whsec_x", 1);
    assert_int_equal(souk_payments_configure(&g, err, sizeof err), 0);
    setenv("SOUK_STRIPE_API_BASE", "http://127.0.0.1:9", 1);
    assert_int_equal(souk_payments_configure(&g, err, sizeof err), 0);
    assert_string_equal(g.name, "stripe");
    setenv("SOUK_PAYMENT_GATEWAY", "paypal", 1);
    assert_int_equal(souk_payments_configure(&g, err, sizeof err), -1);
    unsetenv("SOUK_PAYMENT_GATEWAY");
    unsetenv("SOUK_STRIPE_WEBHOOK_SECRET");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_cards),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_stripe_adapter),
        cmocka_unit_test(test_configure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
