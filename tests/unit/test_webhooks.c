/*
 * Unit tests for src/webhooks: signatures against the Standard Webhooks
 * specification's published example, secrets, the address classifier (every
 * range, its edges, IPv4-mapped / NAT64 / 6to4 IPv6), the allow-list, the
 * URL parser, the retry schedule, and the fan-out's one delivery per event
 * and subscription.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <sodium.h>
#include <string.h>

#include "fixture.h"
#include "webhooks/internal.h"
#include "webhooks/webhooks.h"

static void spec_example_vector(void **state)
{
    (void)state;
    /* the example of the Standard Webhooks specification and its reference libraries */
    const char *body = "{\"test\": 2432232314}";
    char sig[SOUK_WEBHOOKS_SIGNATURE_MAX];
    assert_int_equal(souk_webhooks_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                        1614265330, body, strlen(body), sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* the prefix is optional, as in the reference implementation */
    assert_int_equal(souk_webhooks_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                        body, strlen(body), sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* any change of id, timestamp or body changes it */
    assert_int_equal(souk_webhooks_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                        1614265331, body, strlen(body), sig),
                     0);
    assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assert_int_equal(souk_webhooks_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                        1614265330, body, strlen(body) - 1, sig),
                     0);
    assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void rotation_header_and_bad_secrets(void **state)
{
    (void)state;
    const char *a = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", *b = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw=";
    char one[SOUK_WEBHOOKS_SIGNATURE_MAX], two[SOUK_WEBHOOKS_SIGNATURE_MAX], both[2 * SOUK_WEBHOOKS_SIGNATURE_MAX];
    assert_int_equal(souk_webhooks_sign(a, "whd_1", 1700000000, "{}", 2, one), 0);
    assert_int_equal(souk_webhooks_sign(b, "whd_1", 1700000000, "{}", 2, two), 0);
    assert_int_equal(souk_webhooks_signature_header(a, b, "whd_1", 1700000000, "{}", 2, both), 0);
    char expect[2 * SOUK_WEBHOOKS_SIGNATURE_MAX];
    snprintf(expect, sizeof expect, "%s %s", one, two);
    assert_string_equal(both, expect);
    assert_int_equal(souk_webhooks_signature_header(a, NULL, "whd_1", 1700000000, "{}", 2, both), 0);
    assert_string_equal(both, one);
    assert_int_equal(souk_webhooks_sign("whsec_not base64!", "x", 1, "{}", 2, one), -1);
    assert_int_equal(souk_webhooks_sign("whsec_", "x", 1, "{}", 2, one), -1);
    assert_int_equal(souk_webhooks_sign(NULL, "x", 1, "{}", 2, one), -1);
}

static void secrets_are_random_and_usable(void **state)
{
    (void)state;
    char s1[SOUK_WEBHOOKS_SECRET_MAX], s2[SOUK_WEBHOOKS_SECRET_MAX];
    souk_webhooks_secret_new(s1);
    souk_webhooks_secret_new(s2);
    assert_int_equal(strncmp(s1, "whsec_", 6), 0);
    assert_int_equal(strlen(s1), 6 + 44);
    assert_string_not_equal(s1, s2);
    unsigned char key[64];
    size_t n = 0;
    assert_int_equal(
        sodium_base642bin(key, sizeof key, s1 + 6, strlen(s1 + 6), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal(n, SOUK_WEBHOOKS_SECRET_BYTES);
    char sig[SOUK_WEBHOOKS_SIGNATURE_MAX];
    assert_int_equal(souk_webhooks_sign(s1, "id", 1, "x", 1, sig), 0);
}

static souk_webhooks_addr_class class_of(const char *text)
{
    unsigned char a[16] = {0};
    if (inet_pton(AF_INET, text, a) == 1)
        return souk_webhooks_classify(a, 4);
    if (inet_pton(AF_INET6, text, a) == 1)
        return souk_webhooks_classify(a, 6);
    fail_msg("bad address in the test: %s", text);
    return SOUK_WEBHOOKS_ADDR_PUBLIC;
}

static void classifier_every_range(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        souk_webhooks_addr_class c;
    } cases[] = {
        /* IPv4, each range with its first and last address and the neighbours outside */
        {"0.0.0.0", SOUK_WEBHOOKS_ADDR_UNSPECIFIED},
        {"0.255.255.255", SOUK_WEBHOOKS_ADDR_UNSPECIFIED},
        {"1.0.0.0", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"9.255.255.255", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"10.0.0.0", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"10.255.255.255", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"11.0.0.0", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"100.63.255.255", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"100.64.0.0", SOUK_WEBHOOKS_ADDR_CGNAT},
        {"100.127.255.255", SOUK_WEBHOOKS_ADDR_CGNAT},
        {"100.128.0.0", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"126.255.255.255", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"127.0.0.0", SOUK_WEBHOOKS_ADDR_LOOPBACK},
        {"127.0.0.1", SOUK_WEBHOOKS_ADDR_LOOPBACK},
        {"127.255.255.255", SOUK_WEBHOOKS_ADDR_LOOPBACK},
        {"128.0.0.0", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"169.253.255.255", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"169.254.0.0", SOUK_WEBHOOKS_ADDR_LINK_LOCAL},
        {"169.254.169.254", SOUK_WEBHOOKS_ADDR_LINK_LOCAL},
        {"169.254.255.255", SOUK_WEBHOOKS_ADDR_LINK_LOCAL},
        {"169.255.0.0", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"172.15.255.255", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"172.16.0.0", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"172.31.255.255", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"172.32.0.0", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"192.0.0.1", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"192.0.1.0", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"192.0.2.1", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"192.167.255.255", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"192.168.0.0", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"192.168.255.255", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"192.169.0.0", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"198.17.255.255", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"198.18.0.0", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"198.19.255.255", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"198.20.0.0", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"198.51.100.7", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"203.0.113.9", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"8.8.8.8", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"223.255.255.255", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"224.0.0.0", SOUK_WEBHOOKS_ADDR_MULTICAST},
        {"239.255.255.255", SOUK_WEBHOOKS_ADDR_MULTICAST},
        {"240.0.0.0", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"255.255.255.255", SOUK_WEBHOOKS_ADDR_RESERVED},
        /* IPv6 */
        {"::", SOUK_WEBHOOKS_ADDR_UNSPECIFIED},
        {"::1", SOUK_WEBHOOKS_ADDR_LOOPBACK},
        {"::2", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"::1.2.3.4", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"fbff:ffff::1", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"fc00::", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"fd12:3456::1", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"fe00::1", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"fe80::", SOUK_WEBHOOKS_ADDR_LINK_LOCAL},
        {"fe80::1", SOUK_WEBHOOKS_ADDR_LINK_LOCAL},
        {"febf:ffff::1", SOUK_WEBHOOKS_ADDR_LINK_LOCAL},
        {"fec0::1", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"feff::1", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"ff00::", SOUK_WEBHOOKS_ADDR_MULTICAST},
        {"ff02::1", SOUK_WEBHOOKS_ADDR_MULTICAST},
        {"2001:db8::1", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"2001::1", SOUK_WEBHOOKS_ADDR_RESERVED},
        {"2001:4860:4860::8888", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"2606:4700::1111", SOUK_WEBHOOKS_ADDR_PUBLIC},
        /* IPv4 inside IPv6: classified by the IPv4 address */
        {"::ffff:127.0.0.1", SOUK_WEBHOOKS_ADDR_LOOPBACK},
        {"::ffff:10.1.2.3", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"::ffff:169.254.169.254", SOUK_WEBHOOKS_ADDR_LINK_LOCAL},
        {"::ffff:100.64.0.1", SOUK_WEBHOOKS_ADDR_CGNAT},
        {"::ffff:0.0.0.0", SOUK_WEBHOOKS_ADDR_UNSPECIFIED},
        {"::ffff:224.0.0.1", SOUK_WEBHOOKS_ADDR_MULTICAST},
        {"::ffff:8.8.8.8", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"64:ff9b::7f00:1", SOUK_WEBHOOKS_ADDR_LOOPBACK},
        {"64:ff9b::808:808", SOUK_WEBHOOKS_ADDR_PUBLIC},
        {"2002:c0a8:101::1", SOUK_WEBHOOKS_ADDR_PRIVATE},
        {"2002:7f00:1::", SOUK_WEBHOOKS_ADDR_LOOPBACK},
        {"2002:808:808::1", SOUK_WEBHOOKS_ADDR_PUBLIC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        souk_webhooks_addr_class c = class_of(cases[i].addr);
        if (c != cases[i].c)
            fail_msg("%s: %s, expected %s", cases[i].addr, souk_webhooks_addr_class_name(c),
                     souk_webhooks_addr_class_name(cases[i].c));
    }
}

static bool allowed(const souk_webhooks_allow *allow, const char *text)
{
    unsigned char a[16] = {0};
    if (inet_pton(AF_INET, text, a) == 1)
        return souk_webhooks_addr_allowed(allow, a, 4);
    assert_int_equal(inet_pton(AF_INET6, text, a), 1);
    return souk_webhooks_addr_allowed(allow, a, 6);
}

static void allow_list(void **state)
{
    (void)state;
    souk_webhooks_allow allow;
    const char *why;
    assert_int_equal(souk_webhooks_allow_parse(NULL, &allow, &why), 0);
    assert_false(allowed(&allow, "127.0.0.1"));
    assert_true(allowed(&allow, "8.8.8.8"));
    assert_true(allowed(NULL, "2606:4700::1111"));
    assert_int_equal(souk_webhooks_allow_parse(" 127.0.0.1/32, 10.0.0.0/8 ,fd00::/8,::1", &allow, &why), 0);
    assert_int_equal(allow.count, 4);
    assert_true(allowed(&allow, "127.0.0.1"));
    assert_false(allowed(&allow, "127.0.0.2"));
    assert_true(allowed(&allow, "10.200.1.1"));
    assert_false(allowed(&allow, "192.168.1.1"));
    assert_true(allowed(&allow, "::ffff:127.0.0.1")); /* mapped: matches the IPv4 entry */
    assert_false(allowed(&allow, "::ffff:127.0.0.2"));
    assert_true(allowed(&allow, "::1"));
    assert_true(allowed(&allow, "fd12::1"));
    assert_false(allowed(&allow, "fc00::1"));
    assert_false(allowed(&allow, "169.254.169.254"));
    assert_int_equal(souk_webhooks_allow_parse("0.0.0.0/0", &allow, &why), 0); /* an operator may allow all IPv4 */
    assert_true(allowed(&allow, "169.254.169.254"));
    assert_false(allowed(&allow, "::1"));
    const char *bad[] = {"localhost", "127.0.0.1/33", "::1/129", "10.0.0.0/", "10.0.0.0/x", "1.2.3", "10.0.0.0/8/9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (souk_webhooks_allow_parse(bad[i], &allow, &why) != -1 || !why)
            fail_msg("allow-list %s accepted", bad[i]);
}

static void url_parser(void **state)
{
    (void)state;
    souk_webhooks_url u;
    const char *why;
    assert_int_equal(souk_webhooks_url_parse("https://Hooks.Example.com/a/b?x=1", 33, &u, &why), 0);
    assert_true(u.https);
    assert_string_equal(u.host, "hooks.example.com");
    assert_int_equal(u.port, 443);
    assert_int_equal(u.literal, 0);
    const char *s = "HTTP://127.0.0.1:8080";
    assert_int_equal(souk_webhooks_url_parse(s, strlen(s), &u, &why), 0);
    assert_false(u.https);
    assert_int_equal(u.port, 8080);
    assert_int_equal(u.literal, 4);
    s = "http://[::ffff:127.0.0.1]:99/x";
    assert_int_equal(souk_webhooks_url_parse(s, strlen(s), &u, &why), 0);
    assert_int_equal(u.literal, 6);
    assert_string_equal(u.host, "::ffff:127.0.0.1");
    const char *ok[] = {"http://a", "http://a.b-c_d.example.", "https://x.io:65535/", "http://1.2.3.4/?q"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (souk_webhooks_url_parse(ok[i], strlen(ok[i]), &u, &why) != 0)
            fail_msg("%s refused: %s", ok[i], why);
    const char *bad[] = {"",
                         "ftp://example.com/",
                         "file:///etc/passwd",
                         "gopher://x/",
                         "http:/example.com",
                         "http://",
                         "http://:80/",
                         "http://user@example.com/",
                         "http://user:pw@example.com/",
                         "http://example.com@evil.com/",
                         "http://example.com/#x",
                         "http://exa mple.com/",
                         "http://example.com:0/",
                         "http://example.com:65536/",
                         "http://example.com:8x/",
                         "http://example.com:/",
                         "http://[::1/",
                         "http://[::1]x/",
                         "http://[nope]/",
                         "http://127.1/",
                         "http://2130706433/",
                         "http://0x7f000001/",
                         "http://0x7f.0.0.1/",
                         "http://1.2.3.4.5/",
                         "http://a..b/",
                         "http://ex\\ample.com/",
                         "http://exämple.com/",
                         "http://-\x01/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (souk_webhooks_url_parse(bad[i], strlen(bad[i]), &u, &why) != -1 || !why)
            fail_msg("%s accepted", bad[i]);
    char big[SOUK_WEBHOOKS_URL_MAX + 20];
    memset(big, 'a', sizeof big);
    memcpy(big, "http://x/", 9);
    assert_int_equal(souk_webhooks_url_parse(big, sizeof big, &u, &why), -1);
}

static void target_check_literals(void **state)
{
    (void)state;
    souk_webhooks_allow allow;
    const char *why;
    assert_int_equal(souk_webhooks_allow_parse("127.0.0.1", &allow, &why), 0);
    souk_webhooks_target t;
    char reason[300];
    assert_int_equal(souk_webhooks_target_check("http://127.0.0.1:9/x", &allow, true, &t, reason, sizeof reason), 0);
    assert_string_equal(t.addr_text, "127.0.0.1");
    assert_int_equal(souk_webhooks_target_check("http://127.0.0.1:9/x", NULL, true, &t, reason, sizeof reason), -1);
    assert_non_null(strstr(reason, "loopback"));
    assert_int_equal(souk_webhooks_target_check("http://[::ffff:7f00:1]/", &allow, false, &t, reason, sizeof reason),
                     0); /* the mapped form of an allowed IPv4 address */
    assert_int_equal(souk_webhooks_target_check("http://[fe80::1]/", &allow, false, &t, reason, sizeof reason), -1);
    assert_non_null(strstr(reason, "link-local"));
    /* a name without resolving passes (subscription-time checks resolve; the fuzz driver does not) */
    assert_int_equal(souk_webhooks_target_check("https://hooks.example.com/", NULL, false, &t, reason, sizeof reason),
                     0);
    assert_int_equal(t.family, 0);
    /* localhost resolves to loopback addresses only */
    assert_int_equal(souk_webhooks_target_check("http://localhost/", NULL, true, &t, reason, sizeof reason), -1);
    assert_non_null(strstr(reason, "loopback"));
}

static void backoff_schedule(void **state)
{
    (void)state;
    const double *s = souk_webhooks_default_schedule_s;
    size_t n = souk_webhooks_default_schedule_len;
    const int64_t expect_s[] = {5, 300, 1800, 7200, 18000, 36000, 36000};
    assert_int_equal(n, sizeof expect_s / sizeof expect_s[0]);
    int64_t total = 0;
    for (int failed = 1; failed <= (int)n; failed++) {
        int64_t mid = souk_webhooks_retry_delay_us(s, n, failed, 0.5);
        assert_int_equal(mid, expect_s[failed - 1] * 1000000);
        int64_t lo = souk_webhooks_retry_delay_us(s, n, failed, 0.0);
        int64_t hi = souk_webhooks_retry_delay_us(s, n, failed, 0.999999);
        assert_int_equal(lo, expect_s[failed - 1] * 900000); /* -10 % */
        assert_true(hi > mid && hi <= expect_s[failed - 1] * 1100000);
        total += mid;
    }
    assert_int_equal(total, INT64_C(99305) * 1000000); /* 8 attempts within about 27.6 h */
    assert_int_equal(souk_webhooks_retry_delay_us(s, n, (int)n + 1, 0.5), -1);
    assert_int_equal(souk_webhooks_retry_delay_us(s, n, 0, 0.5), -1);
    assert_int_equal(souk_webhooks_retry_delay_us(s, n, 1, 7.0), 5000000); /* a bad jitter is none */
    const double zero[] = {0};
    assert_int_equal(souk_webhooks_retry_delay_us(zero, 1, 1, 0.3), 0);
}

static void event_types(void **state)
{
    (void)state;
    assert_true(souk_webhooks_event_type_known("order.paid"));
    assert_true(souk_webhooks_event_type_known("stock.changed"));
    assert_false(souk_webhooks_event_type_known("cart.updated"));
    assert_false(souk_webhooks_event_type_known("order."));
    assert_false(souk_webhooks_event_type_known(NULL));
}

static int64_t count(souk_store *db, const char *sql)
{
    int64_t n = -1;
    assert_int_equal(souk_store_one(db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&n))), SOUK_DB_ROW);
    return n;
}

static void add_sub(souk_store *db, int64_t id, int enabled, const char *type)
{
    assert_int_equal(souk_store_exec(db,
                                     "INSERT INTO webhooks_subscriptions (id, url, event_types, enabled, secret, "
                                     "created_at, updated_at) VALUES ($1, 'http://x/', $3, $2, 'whsec_AA==', 1, 1)",
                                     SOUK_ARGS(SOUK_I64(id), SOUK_I64(enabled), SOUK_TEXT(type))),
                     0);
    assert_int_equal(souk_store_exec(db,
                                     "INSERT INTO webhooks_subscription_types (event_type, subscription_id) "
                                     "VALUES ($1, $2)",
                                     SOUK_ARGS(SOUK_TEXT(type), SOUK_I64(id))),
                     0);
}

typedef struct fan {
    const char *type;
    int64_t event;
    int result;
} fan;

static int fan_tx(souk_store *db, void *arg)
{
    fan *f = arg;
    f->result = souk__webhooks_fanout_tx(db, f->type, "{\"order_id\":\"ord_1\"}", f->event, 1000000);
    return f->result < 0 ? f->result : 0;
}

static void fanout_once_per_event_and_subscription(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "webhooks"), 0);
    add_sub(t.db, 1, 1, "order.paid");
    add_sub(t.db, 2, 1, "order.paid");
    add_sub(t.db, 3, 0, "order.paid"); /* disabled */
    add_sub(t.db, 4, 1, "order.refunded");
    fan f = {"order.paid", 77, 0};
    assert_int_equal(souk_store_tx(t.db, fan_tx, &f), 0);
    assert_int_equal(f.result, 2);
    assert_int_equal(souk_store_tx(t.db, fan_tx, &f), 0); /* the outbox delivered it again */
    assert_int_equal(f.result, 0);
    assert_int_equal(count(t.db, "SELECT count(*) FROM webhooks_deliveries"), 2);
    assert_int_equal(count(t.db, "SELECT count(*) FROM webhooks_deliveries WHERE subscription_id IN (1, 2) AND "
                                 "event_id = 77 AND status = 'pending' AND attempts = 0"),
                     2);
    assert_int_equal(count(t.db, "SELECT count(*) FROM jobs WHERE kind = 'webhooks.deliver'"), 2);
    char *body = NULL;
    souk_stmt *st = souk_store_query(t.db, "SELECT body FROM webhooks_deliveries LIMIT 1", NULL);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    body = souk_stmt_strdup(st, 0);
    souk_stmt_done(st);
    assert_string_equal(body, "{\"type\":\"order.paid\",\"timestamp\":\"1970-01-01T00:00:01.000000Z\","
                              "\"data\":{\"order_id\":\"ord_1\"}}");
    free(body);
    fan g = {"order.cancelled", 78, 0};
    assert_int_equal(souk_store_tx(t.db, fan_tx, &g), 0);
    assert_int_equal(g.result, 0);
    souk_test_db_close(&t);
}

static void purge_keeps_pending_and_recent(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "webhooks-purge"), 0);
    add_sub(t.db, 1, 1, "order.paid");
    static const struct {
        int64_t id;
        const char *status;
        int64_t updated;
    } rows[] = {{10, "succeeded", 100}, {11, "failed", 100}, {12, "pending", 100}, {13, "succeeded", 5000}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(
            souk_store_exec(t.db,
                            "INSERT INTO webhooks_deliveries (id, subscription_id, event_id, event_type, "
                            "body, status, created_at, updated_at) VALUES ($1, 1, $1, 'order.paid', "
                            "'{}', $2, 1, $3)",
                            SOUK_ARGS(SOUK_I64(rows[i].id), SOUK_TEXT(rows[i].status), SOUK_I64(rows[i].updated))),
            0);
        assert_int_equal(souk_store_exec(t.db,
                                         "INSERT INTO webhooks_attempts (delivery_id, attempt, at, duration_ms) "
                                         "VALUES ($1, 1, 1, 3)",
                                         SOUK_ARGS(SOUK_I64(rows[i].id))),
                         0);
    }
    assert_int_equal(souk__webhooks_purge(t.db, 1000), 2);
    assert_int_equal(count(t.db, "SELECT count(*) FROM webhooks_deliveries WHERE id IN (12, 13)"), 2);
    assert_int_equal(count(t.db, "SELECT count(*) FROM webhooks_deliveries"), 2);
    assert_int_equal(count(t.db, "SELECT count(*) FROM webhooks_attempts"), 2);
    assert_int_equal(souk__webhooks_purge(t.db, 1000), 0);
    souk_test_db_close(&t);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_example_vector),
        cmocka_unit_test(rotation_header_and_bad_secrets),
        cmocka_unit_test(secrets_are_random_and_usable),
        cmocka_unit_test(classifier_every_range),
        cmocka_unit_test(allow_list),
        cmocka_unit_test(url_parser),
        cmocka_unit_test(target_check_literals),
        cmocka_unit_test(backoff_schedule),
        cmocka_unit_test(event_types),
        cmocka_unit_test(fanout_once_per_event_and_subscription),
        cmocka_unit_test(purge_keeps_pending_and_recent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
