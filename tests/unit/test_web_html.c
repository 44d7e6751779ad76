/*
 * src/web/html.c and src/web/form.c: the escaping writer and the form-body
 * parser of the storefront.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "web/form.h"
#include "web/html.h"

static const char *text(souk_buf *b)
{
    return b->data ? b->data : "";
}

static void test_text_escapes_markup_and_quotes(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 4096);
    souk_html_text(&b, "<script>alert('x')</script> \"a\" & b");
    assert_string_equal(text(&b), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;a&quot; &amp; b");
    souk_buf_reset(&b);
    souk_html_text(&b, "caf\xc3\xa9 \xff\xfe ok\x01\r\n"); /* bad UTF-8 -> U+FFFD, controls dropped */
    assert_string_equal(text(&b), "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd ok \n");
    souk_buf_reset(&b);
    souk_html_text(&b, NULL);
    assert_int_equal(b.len, 0);
    souk_buf_release(&b);
}

static void test_url_rules(void **state)
{
    (void)state;
    assert_true(souk_html_url_ok("/p/lamp"));
    assert_true(souk_html_url_ok("https://cdn.example.com/a.jpg"));
    assert_false(souk_html_url_ok("//evil.example.com/"));
    assert_false(souk_html_url_ok("javascript:alert(1)"));
    assert_false(souk_html_url_ok("JAVASCRIPT:alert(1)"));
    assert_false(souk_html_url_ok("data:text/html,x"));
    assert_false(souk_html_url_ok("/a\"onmouseover=x"));
    assert_false(souk_html_url_ok("/a b"));
    assert_false(souk_html_url_ok("/\\evil"));
    assert_false(souk_html_url_ok("https://"));
    assert_false(souk_html_url_ok(""));
    souk_buf b;
    souk_buf_init(&b, 256);
    souk_html_url(&b, "javascript:alert(1)", "#");
    assert_string_equal(text(&b), "#");
    souk_buf_reset(&b);
    souk_html_query_value(&b, "a b&c=d/é");
    assert_string_equal(text(&b), "a+b%26c%3Dd%2F%C3%A9");
    souk_buf_release(&b);
}

static void test_json_cannot_close_the_script(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 4096);
    json_t *j = json_pack("{s:s}", "name", "</script><script>alert(1)</script>&");
    assert_int_equal(souk_html_json(&b, j), 0);
    assert_null(strstr(text(&b), "</"));
    assert_null(strchr(text(&b), '<'));
    assert_null(strchr(text(&b), '&'));
    json_t *back = json_loads(text(&b), 0, NULL);
    assert_non_null(back);
    assert_string_equal(json_string_value(json_object_get(back, "name")), "</script><script>alert(1)</script>&");
    json_decref(back);
    json_decref(j);
    souk_buf_release(&b);
}

static void test_money(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 256);
    souk_html_money(&b, 1250, "USD");
    assert_string_equal(text(&b), "USD 12.50");
    souk_buf_reset(&b);
    souk_html_money(&b, 500, "JPY");
    assert_string_equal(text(&b), "JPY 500");
    souk_buf_release(&b);
}

static int parse(const char *body, souk_web_form *f, souk_arena *a, const char **err)
{
    return souk_web_form_parse(f, body, strlen(body), a, err);
}

static void test_form_parses_and_decodes(void **state)
{
    (void)state;
    souk_arena a;
    souk_arena_init(&a, 0, 1 << 20);
    souk_web_form f;
    const char *err = NULL;
    assert_int_equal(parse("email=ann%40example.com&name=Ann+Smith&&flag&empty=", &f, &a, &err), 0);
    assert_int_equal(f.count, 4);
    assert_string_equal(souk_web_form_get(&f, "email"), "ann@example.com");
    assert_string_equal(souk_web_form_get(&f, "name"), "Ann Smith");
    assert_string_equal(souk_web_form_get(&f, "flag"), "");
    assert_string_equal(souk_web_form_get(&f, "empty"), "");
    assert_null(souk_web_form_get(&f, "missing"));
    assert_int_equal(parse("a=1&a=2", &f, &a, &err), 0);
    assert_true(souk_web_form_repeated(&f, "a"));
    assert_int_equal(parse("", &f, &a, &err), 0);
    assert_int_equal(f.count, 0);
    souk_arena_release(&a);
}

static void test_form_refuses_what_no_page_sends(void **state)
{
    (void)state;
    souk_arena a;
    souk_arena_init(&a, 0, 1 << 20);
    souk_web_form f;
    const char *err;
    static const char *const bad[] = {
        "a=%zz", "a=%4",     "a=%",         "A=1",   "a-b=1", "=1",
        "a=%00", "a=%C0%AF", "a=%ED%A0%80", "a=%01", "a=%7F", "abcdefghijklmnopqrstuvwxyz0123456=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = NULL;
        if (parse(bad[i], &f, &a, &err) != -1)
            fail_msg("accepted %s", bad[i]);
        assert_non_null(err);
        assert_int_equal(f.count, 0);
    }
    char big[SOUK_WEB_FORM_MAX_LEN + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(parse(big, &f, &a, &err), -1);
    char many[SOUK_WEB_FORM_MAX_FIELDS * 4 + 8] = "";
    for (int i = 0; i <= SOUK_WEB_FORM_MAX_FIELDS; i++)
        strcat(many, "a=1&");
    assert_int_equal(parse(many, &f, &a, &err), -1);
    char longval[SOUK_WEB_FORM_VALUE_MAX + 8] = "a=";
    memset(longval + 2, 'x', SOUK_WEB_FORM_VALUE_MAX + 1);
    longval[SOUK_WEB_FORM_VALUE_MAX + 3] = '\0';
    assert_int_equal(parse(longval, &f, &a, &err), -1);
    assert_int_equal(parse("a=%09%0A%0D", &f, &a, &err), 0); /* tab, LF, CR are text */
    souk_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_escapes_markup_and_quotes), cmocka_unit_test(test_url_rules),
        cmocka_unit_test(test_json_cannot_close_the_script),   cmocka_unit_test(test_money),
        cmocka_unit_test(test_form_parses_and_decodes),        cmocka_unit_test(test_form_refuses_what_no_page_sends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
