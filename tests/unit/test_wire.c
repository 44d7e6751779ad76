/*
 * Unit tests for src/http/wire.c: the framing check of raw HTTP/1.x request
 * heads (RFC 9112 §6.3, §3.2) and the strict path decoder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "http/wire.h"

static souk_arena arena;

static int setup(void **state)
{
    (void)state;
    souk_arena_init(&arena, 4096, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    souk_arena_release(&arena);
    return 0;
}

/* the verdict for HEAD, a request for METHOD TARGET in HTTP/1.MINOR */
static souk_wire_verdict check(const char *head, const char *method, const char *target, int minor)
{
    return souk_wire_check_head(head, strlen(head), method, strlen(method), target, strlen(target), minor);
}

#define GET(head) check(head, "GET", "/x", 1)
#define POST(head) check(head, "POST", "/x", 1)

static void test_ordinary_heads(void **state)
{
    (void)state;
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost: a\r\n\r\n"), SOUK_WIRE_OK);
    assert_int_equal(GET("GET /x HTTP/1.1\nhost: shop.example:8080\n\n"), SOUK_WIRE_OK); /* bare LF, as h2o accepts */
    assert_int_equal(GET("\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n"), SOUK_WIRE_OK);       /* one leading empty line */
    assert_int_equal(POST("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}GET /y HTTP/1.1\r\n"),
                     SOUK_WIRE_OK); /* a body and the next request follow */
    assert_int_equal(POST("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
                     SOUK_WIRE_OK);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"), SOUK_WIRE_OK);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost:\r\n\r\n"), SOUK_WIRE_OK); /* empty: a target without authority */
    assert_int_equal(GET("GET /x HTTP/1.1\r\nX-Content-Length: 1\r\nX-Content-Length: 2\r\nHost: a\r\n\r\n"),
                     SOUK_WIRE_OK);
    assert_int_equal(check("GET /x HTTP/1.0\r\n\r\n", "GET", "/x", 0), SOUK_WIRE_OK); /* HTTP/1.0 needs no Host */
}

static void test_framing_refused(void **state)
{
    (void)state;
    assert_int_equal(POST("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde"),
                     SOUK_WIRE_LENGTHS);
    assert_int_equal(POST("POST /x HTTP/1.1\r\nHost: a\r\ncontent-length: 3\r\nCONTENT-LENGTH: 3\r\n\r\nabc"),
                     SOUK_WIRE_LENGTHS); /* identical duplicates too */
    assert_int_equal(POST("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
                     SOUK_WIRE_LENGTH_AND_CODING);
    assert_int_equal(POST("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: a\r\nContent-Length: 3\r\n\r\n"),
                     SOUK_WIRE_LENGTH_AND_CODING);
    assert_int_equal(POST("POST /x HTTP/1.1\r\nHost: a\r\n"
                          "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
                     SOUK_WIRE_CODINGS);
    assert_int_equal(check("POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "POST", "/x", 0),
                     SOUK_WIRE_CODING_IN_1_0);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"), SOUK_WIRE_FOLDED);
    /* framing problems win over Host problems: they close the connection */
    assert_int_equal(POST("POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"), SOUK_WIRE_LENGTHS);
    for (souk_wire_verdict v = SOUK_WIRE_LENGTHS; v <= SOUK_WIRE_FOLDED; v++) {
        assert_true(souk_wire_must_close(v));
        assert_true(strlen(souk_wire_message(v)) > 10);
    }
}

static void test_host_refused(void **state)
{
    (void)state;
    assert_int_equal(GET("GET /x HTTP/1.1\r\n\r\n"), SOUK_WIRE_NO_HOST);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nX-Host: a\r\n\r\n"), SOUK_WIRE_NO_HOST);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), SOUK_WIRE_HOSTS);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost: a b\r\n\r\n"), SOUK_WIRE_BAD_HOST);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost: a/b\r\n\r\n"), SOUK_WIRE_BAD_HOST);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost: user@a\r\n\r\n"), SOUK_WIRE_BAD_HOST);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost: a:80x\r\n\r\n"), SOUK_WIRE_BAD_HOST);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost: [::1\r\n\r\n"), SOUK_WIRE_BAD_HOST);
    for (souk_wire_verdict v = SOUK_WIRE_NO_HOST; v <= SOUK_WIRE_BAD_HOST; v++) {
        assert_false(souk_wire_must_close(v));
        assert_true(strlen(souk_wire_message(v)) > 10);
    }
    assert_false(souk_wire_must_close(SOUK_WIRE_OK));
    assert_string_equal(souk_wire_message(SOUK_WIRE_OK), "");
}

static void test_unseen(void **state)
{
    (void)state;
    /* not the head h2o parsed: another request line, an unfinished head, nothing */
    assert_int_equal(GET("GET /y HTTP/1.1\r\nHost: a\r\n\r\n"), SOUK_WIRE_UNSEEN);
    assert_int_equal(check("GET /x HTTP/1.1\r\nHost: a\r\n\r\n", "POST", "/x", 1), SOUK_WIRE_UNSEEN);
    assert_int_equal(GET("GET /x HTTP/1.1\r\nHost: a\r\n"), SOUK_WIRE_UNSEEN);
    assert_int_equal(GET("GET /x HTTP/2.0\r\nHost: a\r\n\r\n"), SOUK_WIRE_UNSEEN);
    assert_int_equal(GET("GET /xy HTTP/1.1\r\nHost: a\r\n\r\n"), SOUK_WIRE_UNSEEN);
    assert_int_equal(GET(""), SOUK_WIRE_UNSEEN);
    assert_int_equal(souk_wire_check_head(NULL, 0, "GET", 3, "/x", 2, 1), SOUK_WIRE_UNSEEN);
    /* LEN bounds the scan: the end of the head lies beyond it */
    const char *h = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(souk_wire_check_head(h, strlen(h) - 2, "GET", 3, "/x", 2, 1), SOUK_WIRE_UNSEEN);
}

/* decodes RAW; returns the path, or NULL (then *WHY says why) */
static const char *decode(const char *raw, const char **why)
{
    char *out = (char *)"unset";
    int rc = souk_wire_decode_path(raw, strlen(raw), &arena, &out, why);
    if (rc == 0) {
        assert_null(*why);
        return out;
    }
    assert_int_equal(rc, -1);
    assert_null(out);
    assert_non_null(*why);
    return NULL;
}

static void test_path_decoding(void **state)
{
    (void)state;
    const char *why;
    assert_string_equal(decode("/api/v1/products", &why), "/api/v1/products");
    assert_string_equal(decode("/", &why), "/");
    assert_string_equal(decode("/%41%62c", &why), "/Abc");
    assert_string_equal(decode("/a%20b/caf%C3%A9", &why), "/a b/caf\xc3\xa9");
    assert_string_equal(decode("/a%25%32%46", &why), "/a%2F"); /* %25 is a literal '%': decoded once */
    assert_string_equal(decode("//a//b/", &why), "//a//b/");   /* empty segments are left to the router */
    assert_string_equal(decode("/a/.b/..c/...", &why), "/a/.b/..c/...");
    assert_string_equal(decode("/a+b;c=d", &why), "/a+b;c=d");
}

static void test_path_refused(void **state)
{
    (void)state;
    const char *why;
    static const char *const bad[] = {
        "/api/v1/admin%2fusers",
        "/api/v1/admin%2Fusers",
        "/%2F",
        "/a/b%2f", /* encoded slashes */
        "/api/v1/./products",
        "/api/v1/x/../admin/users",
        "/.",
        "/..",
        "/a/.",
        "/a/..",
        "/a/./",
        "/api/v1/x/%2e%2e/admin/users",
        "/a/%2E",
        "/a/.%2e/b",
        "/a/%2e./b", /* encoded dots */
        "/a%00b",
        "/a%zz",
        "/a%",
        "/a%4",
        "/a%g1", /* NUL and malformed escapes */
        "",
        "*",
        "api/v1/products",
        "http://h/api/v1/products", /* not a path */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (decode(bad[i], &why))
            fail_msg("%s was decoded", bad[i]);
        assert_non_null(strstr(why, "No such resource"));
    }
    assert_non_null(strstr((decode("/a%2fb", &why), why), "%2F"));
    assert_non_null(strstr((decode("/a/%2e%2e", &why), why), "dot segment"));
    /* a literal NUL byte in the raw bytes */
    char *out;
    assert_int_equal(souk_wire_decode_path("/a\0b", 4, &arena, &out, &why), -1);
    /* an exhausted arena is told apart from a refusal */
    souk_arena tiny;
    souk_arena_init(&tiny, 16, 16);
    char long_path[200];
    memset(long_path, 'a', sizeof long_path);
    long_path[0] = '/';
    assert_int_equal(souk_wire_decode_path(long_path, sizeof long_path, &tiny, &out, &why), -2);
    assert_null(why);
    souk_arena_release(&tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_heads), cmocka_unit_test(test_framing_refused),
        cmocka_unit_test(test_host_refused),   cmocka_unit_test(test_unseen),
        cmocka_unit_test(test_path_decoding),  cmocka_unit_test(test_path_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
