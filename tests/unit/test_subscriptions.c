/* test_subscriptions.c — the parts of src/subscriptions without I/O: the schedule arithmetic
 * (calendar months clamped to the month's end, leap years, year ends), the request bodies'
 * decoders and their refusals, the settings written back as they were read; and the test
 * gateway's saved methods (src/payments/builtin_gateway.c), which decide the renewals' outcome. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "payments/payments.h"
#include "subscriptions/internal.h"

/* µs of YYYY-MM-DD HH:MM:SS UTC */
static int64_t at(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (int64_t)timegm(&tm) * 1000000;
}

static void test_add(void **state)
{
    (void)state;
    int64_t t = at(2026, 1, 31, 10, 30, 0) + 123;
    assert_int_equal(souk__subs_add(t, "day", 3), at(2026, 2, 3, 10, 30, 0) + 123);
    assert_int_equal(souk__subs_add(t, "week", 2), at(2026, 2, 14, 10, 30, 0) + 123);
    assert_int_equal(souk__subs_add(t, "month", 1), at(2026, 2, 28, 10, 30, 0) + 123);                /* clamped */
    assert_int_equal(souk__subs_add(at(2028, 1, 31, 0, 0, 0), "month", 1), at(2028, 2, 29, 0, 0, 0)); /* leap */
    assert_int_equal(souk__subs_add(at(2100, 1, 31, 0, 0, 0), "month", 1), at(2100, 2, 28, 0, 0, 0)); /* not leap */
    assert_int_equal(souk__subs_add(at(2000, 1, 31, 0, 0, 0), "month", 1), at(2000, 2, 29, 0, 0, 0)); /* leap */
    assert_int_equal(souk__subs_add(at(2026, 11, 15, 8, 0, 0), "month", 3), at(2027, 2, 15, 8, 0, 0));
    assert_int_equal(souk__subs_add(at(2026, 3, 31, 0, 0, 0), "month", 25), at(2028, 4, 30, 0, 0, 0));
    assert_int_equal(souk__subs_add(at(2026, 5, 1, 0, 0, 0), "month", 12), at(2027, 5, 1, 0, 0, 0));
}

static json_t *parse(const char *text)
{
    char err[128];
    json_t *j = souk_json_parse_object(text, strlen(text), err, sizeof err);
    assert_non_null(j);
    return j;
}

/* Decodes TEXT with the body kind WHICH: the return, and the first problem's field in FIELD. */
static int decode(int which, const char *text, void *out, char *field, size_t len)
{
    souk_arena a;
    souk_arena_init(&a, 0, 1 << 20);
    souk_problems pr;
    souk_problems_init(&pr);
    json_t *j = parse(text);
    int rc = which == 0   ? souk__subs_decode_create(j, out, &a, &pr)
             : which == 1 ? souk__subs_decode_update(j, out, &a, &pr)
             : which == 2 ? souk__subs_decode_action(j, out, &a, &pr)
                          : souk__subs_decode_settings(j, out, &a, &pr);
    json_decref(j);
    field[0] = '\0';
    if (pr.count)
        snprintf(field, len, "%s", pr.items[0].field ? pr.items[0].field : "");
    assert_true(rc == 0 ? pr.count == 0 : pr.count > 0);
    souk_arena_release(&a);
    return rc;
}

static void test_bodies(void **state)
{
    (void)state;
    char f[64];
    souk__subs_create_in c;
    assert_int_equal(decode(0,
                            "{\"order_id\":\"ord_0000000000001\",\"variant_id\":\"var_0000000000001\","
                            "\"interval\":\"month\"}",
                            &c, f, sizeof f),
                     0);
    assert_int_equal(c.interval, 2);
    assert_int_equal(c.interval_count, 1);
    assert_int_equal(c.quantity, 0);
    assert_int_equal(decode(0,
                            "{\"order_id\":\"ord_0000000000001\",\"variant_id\":\"var_0000000000001\","
                            "\"interval\":\"fortnight\"}",
                            &c, f, sizeof f),
                     -1);
    assert_string_equal(f, "interval");
    assert_int_equal(decode(0,
                            "{\"order_id\":\"ord_0000000000001\",\"variant_id\":\"var_0000000000001\","
                            "\"interval\":\"day\",\"interval_count\":366}",
                            &c, f, sizeof f),
                     -1);
    assert_string_equal(f, "interval_count");
    assert_int_equal(decode(0,
                            "{\"order_id\":\"prod_0000000000001\",\"variant_id\":\"var_0000000000001\","
                            "\"interval\":\"day\"}",
                            &c, f, sizeof f),
                     -1);
    assert_string_equal(f, "order_id");
    souk__subs_update_in u;
    assert_int_equal(decode(1, "{\"quantity\":7}", &u, f, sizeof f), 0);
    assert_int_equal(u.interval, -1);
    assert_int_equal(u.quantity, 7);
    assert_int_equal(decode(1, "{}", &u, f, sizeof f), -1);
    assert_int_equal(decode(1, "{\"quantity\":0}", &u, f, sizeof f), -1);
    assert_string_equal(f, "quantity");
    int action = -1;
    assert_int_equal(decode(2, "{\"action\":\"resume\"}", &action, f, sizeof f), 0);
    assert_int_equal(action, SOUK__SUBS_RESUME);
    assert_int_equal(decode(2, "{\"action\":\"resume\",\"now\":true}", &action, f, sizeof f), -1);
}

static void test_settings(void **state)
{
    (void)state;
    char f[64];
    souk__subs_settings s, again;
    assert_int_equal(decode(3, "{\"discount_bp\":1500,\"retry_hours\":[1,24,720]}", &s, f, sizeof f), 0);
    assert_int_equal(s.discount_bp, 1500);
    assert_int_equal(s.nretry, 3);
    assert_int_equal(s.retry_hours[2], 720);
    json_t *j = souk__subs_settings_json(&s);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"discount_bp\":1500,\"retry_hours\":[1,24,720]}");
    assert_int_equal(decode(3, text, &again, f, sizeof f), 0);
    assert_memory_equal(&s, &again, sizeof s);
    free(text);
    json_decref(j);
    assert_int_equal(decode(3, "{\"discount_bp\":0,\"retry_hours\":[]}", &s, f, sizeof f), 0);
    assert_int_equal(s.nretry, 0);
    assert_int_equal(decode(3, "{\"discount_bp\":0,\"retry_hours\":[1,1,1,1,1,1]}", &s, f, sizeof f), -1);
    assert_string_equal(f, "retry_hours");
    assert_int_equal(decode(3, "{\"discount_bp\":0,\"retry_hours\":[721]}", &s, f, sizeof f), -1);
    assert_int_equal(decode(3, "{\"discount_bp\":9001,\"retry_hours\":[1]}", &s, f, sizeof f), -1);
    assert_string_equal(f, "discount_bp");
    assert_true(souk__subs_retry_parse("[24,72,168]", &s));
    assert_int_equal(s.nretry, 3);
    assert_false(souk__subs_retry_parse("[0]", &s));
    assert_false(souk__subs_retry_parse("nonsense", &s));
}

static void test_saved_card(void **state)
{
    (void)state;
    souk_payment_gateway g;
    souk_payments_builtin_gateway(&g);
    char token[128], err[128];
    assert_int_equal(g.save_method(&g, "pi_test_x", "4000000000000002", "k", token, sizeof token, err, sizeof err), 0);
    assert_string_equal(token, "tok_test_4000000000000002");
    assert_int_equal(g.save_method(&g, "pi_test_x", "5555555555554444", "k", token, sizeof token, err, sizeof err), 0);
    assert_string_equal(token, "tok_test_invalid"); /* no other number is kept */
    souk_payment_intent pi, out;
    assert_int_equal(g.create_intent(&g, 1234, "USD", "ord_x", "ord_x-create", &pi, err, sizeof err), 0);
    assert_int_equal(g.confirm_saved(&g, pi.id, "tok_test_4242424242424242", "ord_x-renew", &out, err, sizeof err), 0);
    assert_int_equal(out.status, SOUK_PAY_SUCCEEDED);
    assert_int_equal(out.amount_received, 1234);
    assert_int_equal(g.confirm_saved(&g, pi.id, "tok_test_4000000000000002", "ord_x-renew", &out, err, sizeof err), 0);
    assert_int_equal(out.status, SOUK_PAY_DECLINED);
    assert_string_equal(out.decline_code, "card_declined");
    assert_int_equal(g.confirm_saved(&g, pi.id, "tok_test_invalid", "ord_x-renew", &out, err, sizeof err), 0);
    assert_int_equal(out.status, SOUK_PAY_DECLINED);
    assert_int_equal(g.confirm_saved(&g, pi.id, "4242424242424242", "ord_x-renew", &out, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_saved_card),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
