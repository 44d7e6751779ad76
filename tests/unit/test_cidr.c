/*
 * Unit tests for src/core/cidr.c: network lists (SOUK_TRUSTED_PROXIES) and
 * the client address behind trusted proxies from X-Forwarded-For.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"

static souk_cidr_list list(const char *text)
{
    souk_cidr_list l;
    char err[160] = "";
    if (souk_cidr_parse_list(text, &l, err, sizeof err) != 0)
        fail_msg("'%s' refused: %s", text, err);
    return l;
}

static void test_parse(void **state)
{
    (void)state;
    souk_cidr_list l = list(" 10.0.0.0/8, 127.0.0.1 ::1/128,fd00::/8 ");
    assert_int_equal(l.n, 4);
    assert_int_equal(l.nets[0].family, 4);
    assert_int_equal(l.nets[0].bits, 8);
    assert_int_equal(l.nets[1].bits, 32);
    assert_int_equal(l.nets[2].family, 6);
    assert_int_equal(l.nets[3].bits, 8);
    assert_int_equal(list("").n, 0);
    assert_int_equal(list("0.0.0.0/0").n, 1);
    const char *bad[] = {"10.0.0.0/33", "10.0.0.1/8", "10.0.0.0/", "10.0.0.0/-1",   "10.0.0.0/8x",
                         "banana",      "1.2.3.4.5",  "::1/129",   "10.0.0.0/0008", "999.1.1.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        souk_cidr_list l2;
        char err[160] = "";
        assert_int_equal(souk_cidr_parse_list(bad[i], &l2, err, sizeof err), -1);
        assert_true(err[0] != '\0');
    }
    /* bounded */
    char many[2048] = "";
    for (int i = 0; i <= SOUK_CIDR_MAX; i++) {
        char one[24];
        snprintf(one, sizeof one, "10.0.%d.0/24,", i);
        strcat(many, one);
    }
    souk_cidr_list l3;
    char err[160];
    assert_int_equal(souk_cidr_parse_list(many, &l3, err, sizeof err), -1);
}

static void test_contains(void **state)
{
    (void)state;
    souk_cidr_list l = list("10.0.0.0/8,192.168.1.128/25,::1,2001:db8::/32");
    assert_true(souk_cidr_contains(&l, "10.255.0.1"));
    assert_false(souk_cidr_contains(&l, "11.0.0.1"));
    assert_true(souk_cidr_contains(&l, "192.168.1.200"));
    assert_false(souk_cidr_contains(&l, "192.168.1.127"));
    assert_true(souk_cidr_contains(&l, "::1"));
    assert_true(souk_cidr_contains(&l, "::ffff:10.1.2.3")); /* IPv4-mapped */
    assert_true(souk_cidr_contains(&l, "2001:db8:1::5"));
    assert_false(souk_cidr_contains(&l, "2001:db9::5"));
    assert_false(souk_cidr_contains(&l, "not an address"));
    assert_false(souk_cidr_contains(&l, ""));
    assert_false(souk_cidr_contains(&l, NULL));
}

static const char *client(const souk_cidr_list *l, const char *peer, const char *xff)
{
    static char out[SOUK_CIDR_TEXT_MAX];
    return souk_cidr_client(l, peer, xff, out, sizeof out);
}

static void test_client(void **state)
{
    (void)state;
    souk_cidr_list l = list("127.0.0.1,10.0.0.0/8");
    souk_cidr_list none = list("");
    /* an untrusted peer: its header is ignored */
    assert_string_equal(client(&l, "203.0.113.9", "1.2.3.4"), "203.0.113.9");
    assert_string_equal(client(&none, "127.0.0.1", "1.2.3.4"), "127.0.0.1");
    /* a trusted peer: the right-most untrusted address */
    assert_string_equal(client(&l, "127.0.0.1", "198.51.100.7"), "198.51.100.7");
    assert_string_equal(client(&l, "127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.1.1"), "198.51.100.7");
    assert_string_equal(client(&l, "127.0.0.1", " 198.51.100.7 ,10.1.1.1 "), "198.51.100.7");
    /* the spoofed left part never wins */
    assert_string_equal(client(&l, "127.0.0.1", "127.0.0.1, 198.51.100.7"), "198.51.100.7");
    /* all trusted: the left-most */
    assert_string_equal(client(&l, "127.0.0.1", "10.0.0.2, 10.0.0.3"), "10.0.0.2");
    /* no header, empty or garbage: the peer, or the last good hop */
    assert_string_equal(client(&l, "127.0.0.1", NULL), "127.0.0.1");
    assert_string_equal(client(&l, "127.0.0.1", ""), "127.0.0.1");
    assert_string_equal(client(&l, "127.0.0.1", "garbage"), "127.0.0.1");
    assert_string_equal(client(&l, "127.0.0.1", "6.6.6.6, garbage, 10.0.0.9"), "10.0.0.9");
    assert_string_equal(client(&l, "127.0.0.1", "1.1.1.1,,"), "127.0.0.1");
    /* canonical form */
    assert_string_equal(client(&l, "127.0.0.1", "2001:DB8:0:0::1"), "2001:db8::1");
    assert_string_equal(client(&l, "127.0.0.1", "::ffff:198.51.100.7"), "198.51.100.7");
}

static void test_client_bounded(void **state)
{
    (void)state;
    souk_cidr_list l = list("10.0.0.0/8");
    /* more trusted hops than looked at: the walk stops at the bound, on a trusted hop */
    char xff[1024] = "1.2.3.4";
    for (int i = 0; i < SOUK_CIDR_HOPS_MAX + 4; i++)
        strcat(xff, ", 10.0.0.1");
    assert_string_equal(client(&l, "10.0.0.5", xff), "10.0.0.1");
    /* a huge header: only its right-most part is read, the cut entry is not taken */
    size_t big = SOUK_CIDR_XFF_MAX * 4;
    char *h = malloc(big + 32);
    memset(h, '9', big);
    strcpy(h + big, ", 198.51.100.7");
    assert_string_equal(client(&l, "10.0.0.5", h), "198.51.100.7");
    memset(h, '1', big);
    strcpy(h + big - 3, "1.1");
    assert_string_equal(client(&l, "10.0.0.5", h), "10.0.0.5");
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_client),
        cmocka_unit_test(test_client_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
