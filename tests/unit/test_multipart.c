/*
 * Unit tests for src/core/multipart.c (bounded multipart/form-data parser,
 * RFC 7578 on RFC 2046's body syntax).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/multipart.h"

static souk_arena arena;

static int setup(void **state)
{
    (void)state;
    souk_arena_init(&arena, 0, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    souk_arena_release(&arena);
    return 0;
}

static int parse(const char *body, size_t len, const souk_multipart_limits *lim, souk_multipart *m, const char **why)
{
    *why = NULL;
    return souk_multipart_parse(m, "XyZ", (const unsigned char *)body, len, lim, &arena, why);
}

#define PARSE(lit, lim, m, why) parse(lit, sizeof lit - 1, lim, m, why)

static void assert_part(const souk_multipart_part *p, const char *name, const char *filename, const char *type,
                        const char *data, size_t len)
{
    assert_non_null(p);
    assert_string_equal(p->name, name);
    if (filename)
        assert_string_equal(p->filename, filename);
    else
        assert_null(p->filename);
    if (type)
        assert_string_equal(p->content_type, type);
    else
        assert_null(p->content_type);
    assert_int_equal(p->len, len);
    assert_memory_equal(p->data, data, len);
}

/* ---- the boundary from Content-Type ---- */

static void test_boundary(void **state)
{
    (void)state;
    char b[SOUK_MULTIPART_BOUNDARY_MAX + 1];
    const char *why = NULL;
    assert_int_equal(souk_multipart_boundary("multipart/form-data; boundary=abc123", b, &why), 1);
    assert_string_equal(b, "abc123");
    assert_int_equal(souk_multipart_boundary("Multipart/Form-Data;charset=utf-8;BOUNDARY=\"a b:c\"", b, &why), 1);
    assert_string_equal(b, "a b:c");
    assert_int_equal(
        souk_multipart_boundary("  multipart/form-data ; boundary = ----WebKitFormBoundary7MA4YWxk", b, &why), 1);
    assert_string_equal(b, "----WebKitFormBoundary7MA4YWxk");
    /* not multipart/form-data at all: 0, why untouched */
    why = NULL;
    assert_int_equal(souk_multipart_boundary(NULL, b, &why), 0);
    assert_int_equal(souk_multipart_boundary("image/png", b, &why), 0);
    assert_int_equal(souk_multipart_boundary("multipart/mixed; boundary=x", b, &why), 0);
    assert_int_equal(souk_multipart_boundary("multipart/form-dataX; boundary=x", b, &why), 0);
    assert_null(why);
    /* multipart/form-data with a bad or missing boundary */
    const char *bad[] = {
        "multipart/form-data",
        "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"ends with space \"",
        "multipart/form-data; boundary=\"unterminated",
        "multipart/form-data; boundary=a; boundary=b",
        "multipart/form-data; boundary=\"has*star\"",
        "multipart/form-data; boundary=a junk",
        "multipart/form-data; =x",
        "multipart/form-data; boundary=01234567890123456789012345678901234567890123456789012345678901234567890",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (souk_multipart_boundary(bad[i], b, &why) != SOUK_MULTIPART_E_MALFORMED)
            fail_msg("accepted: %s", bad[i]);
        assert_non_null(why);
    }
    /* 70 characters is the most */
    char ct[128], want[71];
    memset(want, 'q', 70);
    want[70] = '\0';
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", want);
    assert_int_equal(souk_multipart_boundary(ct, b, &why), 1);
    assert_string_equal(b, want);
}

/* ---- bodies ---- */

static void test_two_parts(void **state)
{
    (void)state;
    souk_multipart m;
    const char *why;
    assert_int_equal(PARSE("--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"alt\"\r\n"
                           "\r\n"
                           "A red chair\r\n"
                           "--XyZ\r\n"
                           "content-disposition: FORM-DATA; name=file; filename=\"c\\\"hair.png\"\r\n"
                           "Content-Type: image/png\r\n"
                           "X-Other: ignored\r\n"
                           "\r\n"
                           "\x89PNG\r\n\r\n\0bytes\r\n"
                           "--XyZ--\r\n",
                           NULL, &m, &why),
                     SOUK_MULTIPART_OK);
    assert_int_equal(m.count, 2);
    assert_part(&m.parts[0], "alt", NULL, NULL, "A red chair", 11);
    assert_part(&m.parts[1], "file", "c\"hair.png", "image/png", "\x89PNG\r\n\r\n\0bytes", 14);
    assert_ptr_equal(souk_multipart_get(&m, "alt"), &m.parts[0]);
    assert_null(souk_multipart_get(&m, "nope"));
}

static void test_data_is_exact(void **state)
{
    (void)state;
    souk_multipart m;
    const char *why;
    /* binary data with CR, LF, NUL and dashes, but no delimiter */
    static const char body[] = "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
                               "Content-Type: application/octet-stream\r\n"
                               "\r\n"
                               "\r\n-\r\n--\r\n--Xy\0\xff\r\n"
                               "\r\n--XyZ--";
    assert_int_equal(parse(body, sizeof body - 1, NULL, &m, &why), SOUK_MULTIPART_OK);
    assert_int_equal(m.count, 1);
    assert_part(&m.parts[0], "file", "a.bin", "application/octet-stream", "\r\n-\r\n--\r\n--Xy\0\xff\r\n", 17);
    /* an empty part */
    assert_int_equal(PARSE("--XyZ\r\nContent-Disposition: form-data; name=e\r\n\r\n\r\n--XyZ--", NULL, &m, &why),
                     SOUK_MULTIPART_OK);
    assert_part(&m.parts[0], "e", NULL, NULL, "", 0);
}

static void test_preamble_padding_epilogue(void **state)
{
    (void)state;
    souk_multipart m;
    const char *why;
    assert_int_equal(PARSE("This is the preamble.\r\n--XyZ \t\r\n"
                           "Content-Disposition: form-data; name=a\r\n\r\n1\r\n"
                           "--XyZ\t\r\n"
                           "Content-Disposition: form-data; name=b\r\n\r\n22\r\n"
                           "--XyZ--\r\nThe epilogue, --XyZ\r\n ignored.",
                           NULL, &m, &why),
                     SOUK_MULTIPART_OK);
    assert_int_equal(m.count, 2);
    assert_part(&m.parts[0], "a", NULL, NULL, "1", 1);
    assert_part(&m.parts[1], "b", NULL, NULL, "22", 2);
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *what, *body;
    } cases[] = {
        {"no delimiter", "just text"},
        {"another boundary", "--Other\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--Other--"},
        {"no close delimiter", "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx"},
        {"close delimiter only", "--XyZ--"},
        {"the boundary inside the data (RFC 2046 forbids it)",
         "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ-more\r\n--XyZ--"},
        {"junk after the boundary", "--XyZjunk\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ--"},
        {"no headers", "--XyZ\r\n\r\nx\r\n--XyZ--"},
        {"no Content-Disposition", "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--"},
        {"no blank line", "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"},
        {"bare LF", "--XyZ\r\nContent-Disposition: form-data; name=a\n\r\n\r\nx\r\n--XyZ--"},
        {"folded header", "--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nx\r\n--XyZ--"},
        {"attachment", "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--XyZ--"},
        {"form-dataX", "--XyZ\r\nContent-Disposition: form-datax; name=a\r\n\r\nx\r\n--XyZ--"},
        {"no name", "--XyZ\r\nContent-Disposition: form-data; filename=a\r\n\r\nx\r\n--XyZ--"},
        {"empty name", "--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--XyZ--"},
        {"name twice", "--XyZ\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nx\r\n--XyZ--"},
        {"unterminated quote", "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--XyZ--"},
        {"control in a name", "--XyZ\r\nContent-Disposition: form-data; name=\"a\x01\"\r\n\r\nx\r\n--XyZ--"},
        {"invalid UTF-8 name", "--XyZ\r\nContent-Disposition: form-data; name=\"\xc3\x28\"\r\n\r\nx\r\n--XyZ--"},
        {"two dispositions",
         "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\nx\r\n--XyZ--"},
        {"two types", "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Type: a/b\r\nContent-Type: "
                      "c/d\r\n\r\nx\r\n--XyZ--"},
        {"base64", "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: "
                   "base64\r\n\r\neA==\r\n--XyZ--"},
        {"header without colon", "--XyZ\r\nContent-Disposition: form-data; name=a\r\nJunk\r\n\r\nx\r\n--XyZ--"},
        {"same name twice", "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ\r\n"
                            "Content-Disposition: form-data; name=a\r\n\r\ny\r\n--XyZ--"},
        {"trailing junk in disposition", "--XyZ\r\nContent-Disposition: form-data; name=a b\r\n\r\nx\r\n--XyZ--"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        souk_multipart m = {(souk_multipart_part *)1, 99};
        const char *why = NULL;
        int rc = parse(cases[i].body, strlen(cases[i].body), NULL, &m, &why);
        if (rc != SOUK_MULTIPART_E_MALFORMED)
            fail_msg("%s: %d", cases[i].what, rc);
        assert_non_null(why);
        assert_int_equal(m.count, 0);
        assert_null(m.parts);
    }
    /* 7bit, 8bit and binary are accepted */
    souk_multipart m;
    const char *why;
    assert_int_equal(PARSE("--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: "
                           "BINARY\r\n\r\nx\r\n--XyZ--",
                           NULL, &m, &why),
                     SOUK_MULTIPART_OK);
}

static void test_limits(void **state)
{
    (void)state;
    souk_multipart m;
    const char *why;
    static const char three[] = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
                                "--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n"
                                "--XyZ\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n--XyZ--";
    souk_multipart_limits two = {.max_parts = 2};
    assert_int_equal(parse(three, sizeof three - 1, &two, &m, &why), SOUK_MULTIPART_E_TOO_LARGE);
    assert_non_null(why);
    souk_multipart_limits exact = {.max_parts = 3};
    assert_int_equal(parse(three, sizeof three - 1, &exact, &m, &why), SOUK_MULTIPART_OK);
    assert_int_equal(m.count, 3);
    /* the total */
    souk_multipart_limits small = {.max_total = sizeof three - 2};
    assert_int_equal(parse(three, sizeof three - 1, &small, &m, &why), SOUK_MULTIPART_E_TOO_LARGE);
    small.max_total = sizeof three - 1;
    assert_int_equal(parse(three, sizeof three - 1, &small, &m, &why), SOUK_MULTIPART_OK);
    /* one part's header block: "Content-Disposition: form-data; name=a\r\n" is 40 bytes */
    static const char one[] = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZ--";
    souk_multipart_limits h = {.max_header = 39};
    assert_int_equal(parse(one, sizeof one - 1, &h, &m, &why), SOUK_MULTIPART_E_TOO_LARGE);
    h.max_header = 40;
    assert_int_equal(parse(one, sizeof one - 1, &h, &m, &why), SOUK_MULTIPART_OK);
    /* a long header block with no end in sight is too large, not read to the end */
    size_t n = 100000;
    char *big = malloc(n);
    assert_non_null(big);
    memcpy(big, "--XyZ\r\nX-Pad: ", 14);
    memset(big + 14, 'p', n - 14);
    assert_int_equal(parse(big, n, NULL, &m, &why), SOUK_MULTIPART_E_TOO_LARGE);
    free(big);
    /* a bad boundary argument */
    assert_int_equal(souk_multipart_parse(&m, "", (const unsigned char *)one, sizeof one - 1, NULL, &arena, &why),
                     SOUK_MULTIPART_E_MALFORMED);
}

/* A body as a browser writes it, built here part by part, parses back to the same parts. */
static void test_round_trip(void **state)
{
    (void)state;
    char body[4096];
    unsigned char data[3][300];
    size_t n = 0;
    for (int p = 0; p < 3; p++) {
        for (int i = 0; i < 300; i++)
            data[p][i] = (unsigned char)((i * 7 + p * 13) & 0xff);
        n += (size_t)snprintf(body + n, sizeof body - n,
                              "--XyZ\r\nContent-Disposition: form-data; name=\"f%d\"; filename=\"f%d.bin\"\r\n"
                              "Content-Type: application/octet-stream\r\n\r\n",
                              p, p);
        memcpy(body + n, data[p], 300);
        n += 300;
        memcpy(body + n, "\r\n", 2);
        n += 2;
    }
    memcpy(body + n, "--XyZ--\r\n", 9);
    n += 9;
    souk_multipart m;
    const char *why;
    assert_int_equal(parse(body, n, NULL, &m, &why), SOUK_MULTIPART_OK);
    assert_int_equal(m.count, 3);
    for (int p = 0; p < 3; p++) {
        char name[16], file[24];
        snprintf(name, sizeof name, "f%d", p);
        snprintf(file, sizeof file, "f%d.bin", p);
        assert_part(souk_multipart_get(&m, name), name, file, "application/octet-stream", (const char *)data[p], 300);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preamble_padding_epilogue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
