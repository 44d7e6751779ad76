/*
 * Unit tests for src/core/jsonw.c: every piece written straight into a
 * buffer must be byte for byte what jansson's json_dumps(JSON_COMPACT)
 * writes for the same value (the answers that use it are compared with
 * answers rendered through jansson elsewhere), strings that are not strict
 * UTF-8 become "(invalid UTF-8)", and the HTML-safe escaping is
 * souk_buf_add_json_string's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/jsonw.h"
#include "core/time.h"

/* what jansson writes for the string S (LEN bytes), or its fallback */
static char *jansson_string(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    if (!j)
        j = json_string("(invalid UTF-8)");
    char *out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    return out;
}

static void expect_text_as_jansson(const char *s, size_t len)
{
    souk_buf b;
    souk_buf_init(&b, 1 << 20);
    souk_jw_text(&b, s, len, SOUK_JW_AS_JANSSON);
    souk_buf_addc(&b, '\0');
    char *want = jansson_string(s, len);
    assert_non_null(want);
    assert_false(souk_buf_failed(&b));
    assert_string_equal(b.data, want);
    free(want);
    souk_buf_release(&b);
}

static void strings_match_jansson(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "",
        "plain",
        "quote \" and backslash \\",
        "tab\tnew\nline\rfeed\fback\b",
        "\x01\x1f\x7f",
        "slash / stays",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "<b>&amp;</b>",
        "\xe6\x97\xa5\xe6\x9c\xac",
        "\xc3\x28",         /* invalid: a continuation byte missing */
        "\xed\xa0\x80",     /* a surrogate */
        "\xc0\xaf",         /* overlong */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_text_as_jansson(cases[i], strlen(cases[i]));
    /* an embedded NUL byte is a character like any other */
    expect_text_as_jansson("a\0b", 3);
    /* past the short-text fast path (256 bytes), plain and escaped */
    char long_text[1000];
    memset(long_text, 'x', sizeof long_text);
    expect_text_as_jansson(long_text, sizeof long_text);
    long_text[700] = '"';
    long_text[701] = '\n';
    expect_text_as_jansson(long_text, sizeof long_text);
    memcpy(long_text + 500, "\xc3\xa9", 2);
    expect_text_as_jansson(long_text, sizeof long_text);
    long_text[900] = (char)0xff;
    expect_text_as_jansson(long_text, sizeof long_text);
}

static void html_safe_is_buf_escaping(void **state)
{
    (void)state;
    static const char *const cases[] = {"plain", "<script>&</script>", "quote \" \\ \n", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        souk_buf a, b;
        souk_buf_init(&a, 4096);
        souk_buf_init(&b, 4096);
        souk_jw_text(&a, cases[i], strlen(cases[i]), SOUK_JW_HTML_SAFE);
        souk_buf_add_json_string(&b, cases[i], strlen(cases[i]));
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        souk_buf_release(&a);
        souk_buf_release(&b);
    }
    souk_buf a;
    souk_buf_init(&a, 4096);
    souk_jw_text(&a, "\xc3\x28", 2, SOUK_JW_HTML_SAFE);
    souk_buf_addc(&a, '\0');
    assert_string_equal(a.data, "\"(invalid UTF-8)\"");
    souk_buf_release(&a);
}

static void numbers_ids_times(void **state)
{
    (void)state;
    static const int64_t nums[] = {0, 1, -1, 42, -9000, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        souk_buf b;
        souk_buf_init(&b, 64);
        souk_jw_int(&b, nums[i]);
        souk_buf_addc(&b, '\0');
        json_t *j = json_integer((json_int_t)nums[i]);
        char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        assert_string_equal(b.data, want);
        free(want);
        json_decref(j);
        souk_buf_release(&b);
    }
    souk_buf b;
    souk_buf_init(&b, 256);
    souk_jw_int_or_null(&b, 7, true);
    souk_buf_addc(&b, ',');
    souk_jw_int_or_null(&b, 7, false);
    souk_buf_addc(&b, ',');
    souk_jw_id(&b, "prod", 228894639107078150);
    souk_buf_addc(&b, ',');
    souk_jw_time(&b, INT64_C(1768473000123456));
    souk_buf_addc(&b, ',');
    souk_jw_str(&b, NULL, SOUK_JW_AS_JANSSON);
    souk_buf_addc(&b, '\0');
    char id[SOUK_ID_TEXT_MAX], at[SOUK_RFC3339_LEN], want[256];
    snprintf(want, sizeof want, "null,7,\"%s\",\"%s\",\"\"", souk_id_format("prod", 228894639107078150, id),
             souk_time_format(INT64_C(1768473000123456), at));
    assert_string_equal(b.data, want);
    souk_buf_release(&b);
}

static void a_full_buffer_is_marked(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 8);
    souk_jw_str(&b, "longer than eight bytes", SOUK_JW_AS_JANSSON);
    assert_true(souk_buf_failed(&b));
    souk_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strings_match_jansson),
        cmocka_unit_test(html_safe_is_buf_escaping),
        cmocka_unit_test(numbers_ids_times),
        cmocka_unit_test(a_full_buffer_is_marked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
