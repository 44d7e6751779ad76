/*
 * Unit tests for src/core/csv.c (streaming, bounded CSV reader).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/csv.h"

#define RETAIL_PATH "/work/shared/data/online-retail/online_retail.csv.gz"

/* ---- helpers ------------------------------------------------------------ */

static souk_csv *open_str(const char *s, const souk_csv_limits *lim)
{
    souk_csv *r = NULL;
    assert_int_equal(souk_csv_open_mem(&r, s, strlen(s), lim), SOUK_CSV_OK);
    assert_non_null(r);
    return r;
}

/* Asserts that the next record is exactly the NF given fields. */
static void expect_rec(souk_csv *r, size_t nf, ...)
{
    int rc = souk_csv_next(r);
    if (rc != SOUK_CSV_RECORD)
        fail_msg("expected record, got %d (%s)", rc, souk_csv_error(r));
    assert_int_equal(souk_csv_field_count(r), nf);
    va_list ap;
    va_start(ap, nf);
    for (size_t i = 0; i < nf; i++) {
        const char *want = va_arg(ap, const char *);
        size_t len = 99;
        const char *got = souk_csv_field(r, i, &len);
        assert_non_null(got);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(got, want, len);
        assert_int_equal(got[len], '\0');
    }
    va_end(ap);
    size_t len = 7;
    assert_null(souk_csv_field(r, nf, &len));
    assert_int_equal(len, 0);
}

static void expect_end(souk_csv *r)
{
    assert_int_equal(souk_csv_next(r), SOUK_CSV_END);
    assert_int_equal(souk_csv_field_count(r), 0);
    assert_int_equal(souk_csv_next(r), SOUK_CSV_END); /* sticky */
}

static void expect_err(souk_csv *r, int code, uint64_t recno, uint64_t line)
{
    int rc = souk_csv_next(r);
    assert_int_equal(rc, code);
    assert_true(souk_csv_is_recoverable(rc));
    assert_int_equal(souk_csv_field_count(r), 0);
    assert_null(souk_csv_field(r, 0, NULL));
    assert_int_equal(souk_csv_record(r), recno);
    assert_int_equal(souk_csv_line(r), line);
    assert_true(strlen(souk_csv_error(r)) > 0);
}

static char *tmp_path(const char *tag)
{
    static char paths[8][64];
    static int n;
    char *p = paths[n++ % 8];
    snprintf(p, sizeof paths[0], "/tmp/souk_test_csv_%s_%ld", tag, (long)getpid());
    return p;
}

static void write_gz(const char *path, const void *data, size_t len)
{
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    size_t off = 0;
    while (off < len) {
        unsigned chunk = len - off > 1u << 20 ? 1u << 20 : (unsigned)(len - off);
        assert_int_equal(gzwrite(gz, (const char *)data + off, chunk), (int)chunk);
        off += chunk;
    }
    assert_int_equal(gzclose(gz), Z_OK);
}

static void write_plain(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* ---- syntax ------------------------------------------------------------- */

static void test_plain_rows(void **state)
{
    (void)state;
    souk_csv *r = open_str("a,b,c\n1,22,333\n", NULL);
    assert_int_equal(souk_csv_record(r), 0);
    assert_int_equal(souk_csv_line(r), 0);
    assert_int_equal(souk_csv_field_count(r), 0);
    expect_rec(r, 3, "a", "b", "c");
    assert_int_equal(souk_csv_record(r), 1);
    assert_int_equal(souk_csv_line(r), 1);
    expect_rec(r, 3, "1", "22", "333");
    assert_int_equal(souk_csv_record(r), 2);
    assert_int_equal(souk_csv_line(r), 2);
    expect_end(r);
    assert_int_equal(souk_csv_bytes_read(r), 15);
    assert_int_equal(souk_csv_total_bytes(r), 15);
    assert_string_equal(souk_csv_error(r), "");
    souk_csv_free(r);
}

static void test_quoted_fields(void **state)
{
    (void)state;
    souk_csv *r = open_str("\"a,b\",\"say \"\"hi\"\"\",\"\"\"\"\n"
                           "\"multi\nline\r\nfield\",x\n"
                           "\"\",\",\"\n"
                           "after,end",
                           NULL);
    expect_rec(r, 3, "a,b", "say \"hi\"", "\"");
    assert_int_equal(souk_csv_line(r), 1);
    expect_rec(r, 2, "multi\nline\r\nfield", "x");
    assert_int_equal(souk_csv_line(r), 2);
    expect_rec(r, 2, "", ",");
    assert_int_equal(souk_csv_line(r), 5);
    expect_rec(r, 2, "after", "end"); /* final record without newline */
    assert_int_equal(souk_csv_line(r), 6);
    assert_int_equal(souk_csv_record(r), 4);
    expect_end(r);
    souk_csv_free(r);
}

static void test_line_endings(void **state)
{
    (void)state;
    /* CRLF, lone CR, LF, and a CRLF at the very end. */
    souk_csv *r = open_str("a,b\r\nc,d\re,f\ng,h\r\n", NULL);
    expect_rec(r, 2, "a", "b");
    assert_int_equal(souk_csv_line(r), 1);
    expect_rec(r, 2, "c", "d");
    assert_int_equal(souk_csv_line(r), 2);
    expect_rec(r, 2, "e", "f");
    assert_int_equal(souk_csv_line(r), 3);
    expect_rec(r, 2, "g", "h");
    assert_int_equal(souk_csv_line(r), 4);
    expect_end(r);
    souk_csv_free(r);

    /* Quoted field followed directly by CRLF and by end of input. */
    r = open_str("\"q\"\r\n\"z\"", NULL);
    expect_rec(r, 1, "q");
    expect_rec(r, 1, "z");
    assert_int_equal(souk_csv_line(r), 2);
    expect_end(r);
    souk_csv_free(r);
}

static void test_empty_fields_and_blank_lines(void **state)
{
    (void)state;
    souk_csv *r = open_str(",,\n\n\r\n\"\"\na,\n,b\n\n", NULL);
    expect_rec(r, 3, "", "", "");
    assert_int_equal(souk_csv_line(r), 1);
    expect_rec(r, 1, ""); /* "" is a record; the two blank lines are not */
    assert_int_equal(souk_csv_line(r), 4);
    assert_int_equal(souk_csv_record(r), 2);
    expect_rec(r, 2, "a", "");
    assert_int_equal(souk_csv_line(r), 5);
    expect_rec(r, 2, "", "b");
    assert_int_equal(souk_csv_line(r), 6);
    assert_int_equal(souk_csv_record(r), 4);
    expect_end(r);
    souk_csv_free(r);

    /* Entirely empty / blank input. */
    r = open_str("", NULL);
    expect_end(r);
    souk_csv_free(r);
    r = open_str("\n\r\n\n", NULL);
    expect_end(r);
    assert_int_equal(souk_csv_record(r), 0);
    souk_csv_free(r);
    assert_int_equal(souk_csv_open_mem(&r, NULL, 0, NULL), SOUK_CSV_OK);
    expect_end(r);
    souk_csv_free(r);
}

static void test_bom(void **state)
{
    (void)state;
    souk_csv *r = open_str("\xEF\xBB\xBFid,name\n1,x\n", NULL);
    expect_rec(r, 2, "id", "name");
    expect_rec(r, 2, "1", "x");
    expect_end(r);
    souk_csv_free(r);

    /* Only at the start: a BOM later on is data (valid UTF-8 U+FEFF). */
    r = open_str("a\n\xEF\xBB\xBF"
                 "b\n",
                 NULL);
    expect_rec(r, 1, "a");
    expect_rec(r, 1,
               "\xEF\xBB\xBF"
               "b");
    expect_end(r);
    souk_csv_free(r);

    /* BOM alone, and BOM before a quoted field. */
    r = open_str("\xEF\xBB\xBF", NULL);
    expect_end(r);
    souk_csv_free(r);
    r = open_str("\xEF\xBB\xBF\"q,1\"", NULL);
    expect_rec(r, 1, "q,1");
    expect_end(r);
    souk_csv_free(r);
}

static void test_utf8(void **state)
{
    (void)state;
    souk_csv *r = open_str("caf\xC3\xA9,\xE2\x82\xAC,\xF0\x9F\x98\x80\n"
                           "bad\xC3,ok\n"       /* truncated sequence */
                           "\xC0\xAF\n"         /* overlong '/' */
                           "\xED\xA0\x80\n"     /* surrogate */
                           "\xF4\x90\x80\x80\n" /* > U+10FFFF */
                           "\"x\xFFy\"\n"
                           "last\n",
                           NULL);
    expect_rec(r, 3, "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80");
    expect_err(r, SOUK_CSV_E_UTF8, 2, 2);
    expect_err(r, SOUK_CSV_E_UTF8, 3, 3);
    expect_err(r, SOUK_CSV_E_UTF8, 4, 4);
    expect_err(r, SOUK_CSV_E_UTF8, 5, 5);
    expect_err(r, SOUK_CSV_E_UTF8, 6, 6);
    expect_rec(r, 1, "last");
    assert_int_equal(souk_csv_record(r), 7);
    expect_end(r);
    souk_csv_free(r);

    /* Embedded NUL: rejected by default, delivered with the opt-out flag. */
    static const char nul[] = "a\0b,c\n";
    assert_int_equal(souk_csv_open_mem(&r, nul, sizeof nul - 1, NULL), 0);
    expect_err(r, SOUK_CSV_E_UTF8, 1, 1);
    expect_end(r);
    souk_csv_free(r);

    souk_csv_limits lim = {.flags = SOUK_CSV_ALLOW_INVALID_UTF8};
    assert_int_equal(souk_csv_open_mem(&r, nul, sizeof nul - 1, &lim), 0);
    assert_int_equal(souk_csv_next(r), SOUK_CSV_RECORD);
    size_t len;
    const char *f = souk_csv_field(r, 0, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(f, "a\0b", 4);
    souk_csv_free(r);

    r = open_str("\xC0\xAF,\xFF\n", &lim);
    expect_rec(r, 2, "\xC0\xAF", "\xFF");
    souk_csv_free(r);
}

/* ---- errors and recovery ------------------------------------------------ */

static void test_limit_field_len(void **state)
{
    (void)state;
    souk_csv_limits lim = {.max_field_len = 5};
    souk_csv *r = open_str("12345,ab\n"
                           "123456,ab\n"
                           "\"12\"\"45\"\n"     /* 5 decoded bytes: ok */
                           "\"1\n3456\",more\n" /* quoted newline, too long */
                           "ok,1\n",
                           &lim);
    expect_rec(r, 2, "12345", "ab");
    expect_err(r, SOUK_CSV_E_FIELD_TOO_LONG, 2, 2);
    assert_non_null(strstr(souk_csv_error(r), "field 1"));
    expect_rec(r, 1, "12\"45");
    assert_int_equal(souk_csv_line(r), 3);
    expect_err(r, SOUK_CSV_E_FIELD_TOO_LONG, 4, 4);
    /* The skip honoured the quoted line break: "more" was not a record. */
    expect_rec(r, 2, "ok", "1");
    assert_int_equal(souk_csv_line(r), 6);
    assert_int_equal(souk_csv_record(r), 5);
    expect_end(r);
    souk_csv_free(r);
}

static void test_limit_fields(void **state)
{
    (void)state;
    souk_csv_limits lim = {.max_fields = 3};
    souk_csv *r = open_str("a,b,c\na,b,c,d\n,,\n,,,\n\"x\",y,z\n", &lim);
    expect_rec(r, 3, "a", "b", "c");
    expect_err(r, SOUK_CSV_E_TOO_MANY_FIELDS, 2, 2);
    assert_non_null(strstr(souk_csv_error(r), "more than 3 fields"));
    expect_rec(r, 3, "", "", "");
    expect_err(r, SOUK_CSV_E_TOO_MANY_FIELDS, 4, 4);
    expect_rec(r, 3, "x", "y", "z");
    expect_end(r);
    souk_csv_free(r);

    /* max_fields = 1 */
    souk_csv_limits one = {.max_fields = 1};
    r = open_str("a\nb,c\nd", &one);
    expect_rec(r, 1, "a");
    expect_err(r, SOUK_CSV_E_TOO_MANY_FIELDS, 2, 2);
    expect_rec(r, 1, "d");
    expect_end(r);
    souk_csv_free(r);
}

static void test_limit_record_len(void **state)
{
    (void)state;
    /* Raw bytes, quotes and commas included, line break excluded. */
    souk_csv_limits lim = {.max_record_len = 8};
    souk_csv *r = open_str("1234,678\r\n"    /* 8 raw bytes: ok */
                           "1234,6789\n"     /* 9 */
                           "\"a\"\"b\",1\n"  /* 8 raw: ok */
                           "\"a\"\"b\",12\n" /* 9 */
                           "x\n",
                           &lim);
    expect_rec(r, 2, "1234", "678");
    expect_err(r, SOUK_CSV_E_RECORD_TOO_LONG, 2, 2);
    assert_non_null(strstr(souk_csv_error(r), "record longer than 8"));
    expect_rec(r, 2, "a\"b", "1");
    expect_err(r, SOUK_CSV_E_RECORD_TOO_LONG, 4, 4);
    expect_rec(r, 1, "x");
    expect_end(r);
    souk_csv_free(r);
}

static void test_huge_input_bounded(void **state)
{
    (void)state;
    /* A 3 MiB single field with default limits: rejected, then recovery. */
    size_t n = 3u << 20;
    char *big = malloc(n + 16);
    assert_non_null(big);
    memset(big, 'x', n);
    memcpy(big + n, "\nnext,1\n", 8);
    souk_csv *r = NULL;
    assert_int_equal(souk_csv_open_mem(&r, big, n + 8, NULL), 0);
    expect_err(r, SOUK_CSV_E_FIELD_TOO_LONG, 1, 1);
    expect_rec(r, 2, "next", "1");
    expect_end(r);
    souk_csv_free(r);

    /* Many short fields: record limit (1 MiB) trips before field limits. */
    for (size_t i = 0; i < n; i += 2) {
        big[i] = 'y';
        big[i + 1] = ',';
    }
    souk_csv_limits lim = {.max_fields = SIZE_MAX / 1024};
    assert_int_equal(souk_csv_open_mem(&r, big, n + 8, &lim), 0);
    expect_err(r, SOUK_CSV_E_RECORD_TOO_LONG, 1, 1);
    expect_rec(r, 2, "next", "1");
    souk_csv_free(r);

    /* Exactly at the default field limit is fine. */
    memset(big, 'z', SOUK_CSV_DEFAULT_MAX_FIELD_LEN);
    big[SOUK_CSV_DEFAULT_MAX_FIELD_LEN] = '\n';
    assert_int_equal(souk_csv_open_mem(&r, big, SOUK_CSV_DEFAULT_MAX_FIELD_LEN + 1, NULL), 0);
    assert_int_equal(souk_csv_next(r), SOUK_CSV_RECORD);
    size_t len;
    assert_non_null(souk_csv_field(r, 0, &len));
    assert_int_equal(len, SOUK_CSV_DEFAULT_MAX_FIELD_LEN);
    expect_end(r);
    souk_csv_free(r);
    free(big);
}

static void test_quote_errors(void **state)
{
    (void)state;
    const char *in = "ab\"c,d\n"    /* quote in unquoted field */
                     "\"ab\"cd,e\n" /* text after closing quote */
                     "\"ab\" ,e\n"  /* even a space */
                     "ok,\"fine\"\n";
    souk_csv *r = open_str(in, NULL);
    expect_err(r, SOUK_CSV_E_QUOTE, 1, 1);
    expect_err(r, SOUK_CSV_E_QUOTE, 2, 2);
    expect_err(r, SOUK_CSV_E_QUOTE, 3, 3);
    expect_rec(r, 2, "ok", "fine");
    expect_end(r);
    souk_csv_free(r);

    souk_csv_limits lax = {.flags = SOUK_CSV_LAX_QUOTES};
    r = open_str(in, &lax);
    expect_rec(r, 2, "ab\"c", "d");
    expect_rec(r, 2, "abcd", "e");
    expect_rec(r, 2, "ab ", "e");
    expect_rec(r, 2, "ok", "fine");
    expect_end(r);
    souk_csv_free(r);
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    souk_csv *r = open_str("a,b\nc,\"open\nstill open,\n", NULL);
    expect_rec(r, 2, "a", "b");
    expect_err(r, SOUK_CSV_E_UNTERMINATED, 2, 2);
    assert_non_null(strstr(souk_csv_error(r), "field 2"));
    expect_end(r);
    souk_csv_free(r);

    r = open_str("\"", NULL);
    expect_err(r, SOUK_CSV_E_UNTERMINATED, 1, 1);
    expect_end(r);
    souk_csv_free(r);
}

static void test_status_helpers(void **state)
{
    (void)state;
    assert_false(souk_csv_is_recoverable(SOUK_CSV_RECORD));
    assert_false(souk_csv_is_recoverable(SOUK_CSV_END));
    assert_true(souk_csv_is_recoverable(SOUK_CSV_E_FIELD_TOO_LONG));
    assert_true(souk_csv_is_recoverable(SOUK_CSV_E_UTF8));
    assert_false(souk_csv_is_recoverable(SOUK_CSV_E_IO));
    assert_false(souk_csv_is_recoverable(SOUK_CSV_E_NOMEM));
    assert_false(souk_csv_is_recoverable(SOUK_CSV_E_INVAL));
    assert_string_equal(souk_csv_strerror(SOUK_CSV_E_QUOTE), "misplaced quote");
    assert_string_equal(souk_csv_strerror(-1000), "unknown error");

    souk_csv *r = (souk_csv *)1;
    assert_int_equal(souk_csv_open_mem(NULL, "", 0, NULL), SOUK_CSV_E_INVAL);
    assert_int_equal(souk_csv_open_mem(&r, NULL, 3, NULL), SOUK_CSV_E_INVAL);
    assert_null(r);
    souk_csv_limits absurd = {.max_record_len = SIZE_MAX};
    assert_int_equal(souk_csv_open_mem(&r, "a", 1, &absurd), SOUK_CSV_E_INVAL);
    assert_int_equal(souk_csv_open_file(&r, NULL, NULL), SOUK_CSV_E_INVAL);
    assert_int_equal(souk_csv_next(NULL), SOUK_CSV_E_INVAL);
    assert_int_equal(souk_csv_field_count(NULL), 0);
    souk_csv_free(NULL);
}

static void test_bytes_read_progress(void **state)
{
    (void)state;
    const char *s = "a,b\nc,d\n";
    souk_csv *r = open_str(s, NULL);
    assert_int_equal(souk_csv_bytes_read(r), 0);
    expect_rec(r, 2, "a", "b");
    assert_int_equal(souk_csv_bytes_read(r), 4);
    expect_rec(r, 2, "c", "d");
    assert_int_equal(souk_csv_bytes_read(r), 8);
    assert_int_equal(souk_csv_total_bytes(r), 8);
    souk_csv_free(r);
}

/* ---- files -------------------------------------------------------------- */

static void test_gzip_file(void **state)
{
    (void)state;
    const char *csv = "\xEF\xBB\xBFsku,title,price\r\n"
                      "A-1,\"Mug, large\",12.50\r\n"
                      "B-2,\"7\"\" record\",3\r\n"
                      "C-3,\"two\nlines\",\r\n";
    const char *path = tmp_path("gz");
    write_gz(path, csv, strlen(csv));

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    souk_csv *r = NULL;
    assert_int_equal(souk_csv_open_file(&r, path, NULL), SOUK_CSV_OK);
    assert_int_equal(souk_csv_total_bytes(r), (uint64_t)st.st_size);
    expect_rec(r, 3, "sku", "title", "price");
    expect_rec(r, 3, "A-1", "Mug, large", "12.50");
    expect_rec(r, 3, "B-2", "7\" record", "3");
    expect_rec(r, 3, "C-3", "two\nlines", "");
    assert_int_equal(souk_csv_line(r), 4);
    assert_int_equal(souk_csv_record(r), 4);
    expect_end(r);
    assert_int_equal(souk_csv_bytes_read(r), (uint64_t)st.st_size);
    souk_csv_free(r);

    /* The same content uncompressed goes through the same call. */
    const char *ppath = tmp_path("plain");
    write_plain(ppath, csv, strlen(csv));
    assert_int_equal(souk_csv_open_file(&r, ppath, NULL), SOUK_CSV_OK);
    assert_int_equal(souk_csv_total_bytes(r), strlen(csv));
    expect_rec(r, 3, "sku", "title", "price");
    expect_rec(r, 3, "A-1", "Mug, large", "12.50");
    expect_rec(r, 3, "B-2", "7\" record", "3");
    expect_rec(r, 3, "C-3", "two\nlines", "");
    expect_end(r);
    assert_int_equal(souk_csv_bytes_read(r), strlen(csv));
    souk_csv_free(r);
    unlink(path);
    unlink(ppath);
}

/* Builds records whose quotes, CRLFs and "" pairs straddle the 64 KiB
 * refill boundaries, then checks every field after a gzip round trip. */
static void test_gzip_large_across_buffers(void **state)
{
    (void)state;
    enum { NREC = 30000 };
    size_t cap = (size_t)NREC * 64;
    char *csv = malloc(cap);
    assert_non_null(csv);
    size_t n = 0;
    for (int i = 0; i < NREC; i++) {
        /* Varying widths shift the boundary through every byte class. */
        int pad = i % 7;
        n += (size_t)snprintf(csv + n, cap - n, "%d,\"q\"\"%.*s\",\"l1\r\nl2\",%s\r\n", i, pad, "zzzzzzz",
                              (i % 3) ? "" : "e");
    }
    const char *path = tmp_path("big");
    write_gz(path, csv, n);
    souk_csv *r = NULL;
    assert_int_equal(souk_csv_open_file(&r, path, NULL), SOUK_CSV_OK);
    uint64_t last_progress = 0;
    for (int i = 0; i < NREC; i++) {
        assert_int_equal(souk_csv_next(r), SOUK_CSV_RECORD);
        assert_int_equal(souk_csv_field_count(r), 4);
        char want[32];
        snprintf(want, sizeof want, "%d", i);
        assert_string_equal(souk_csv_field(r, 0, NULL), want);
        snprintf(want, sizeof want, "q\"%.*s", i % 7, "zzzzzzz");
        assert_string_equal(souk_csv_field(r, 1, NULL), want);
        assert_string_equal(souk_csv_field(r, 2, NULL), "l1\r\nl2");
        assert_string_equal(souk_csv_field(r, 3, NULL), (i % 3) ? "" : "e");
        assert_int_equal(souk_csv_line(r), (uint64_t)i * 2 + 1);
        assert_int_equal(souk_csv_record(r), (uint64_t)i + 1);
        uint64_t p = souk_csv_bytes_read(r);
        assert_true(p >= last_progress);
        assert_true(p <= souk_csv_total_bytes(r));
        last_progress = p;
    }
    expect_end(r);
    souk_csv_free(r);

    /* Same bytes, plain file: the byte positions relative to the 64 KiB
     * boundaries are now exactly those of the raw text. */
    write_plain(path, csv, n);
    assert_int_equal(souk_csv_open_file(&r, path, NULL), SOUK_CSV_OK);
    int count = 0, rc;
    while ((rc = souk_csv_next(r)) == SOUK_CSV_RECORD) {
        assert_int_equal(souk_csv_field_count(r), 4);
        assert_string_equal(souk_csv_field(r, 2, NULL), "l1\r\nl2");
        assert_int_equal(souk_csv_line(r), (uint64_t)count * 2 + 1);
        count++;
    }
    assert_int_equal(rc, SOUK_CSV_END);
    assert_int_equal(count, NREC);
    souk_csv_free(r);
    unlink(path);
    free(csv);
}

/* A CR exactly at the end of the first 64 KiB refill and its LF at the start
 * of the next must count as one line break; likewise a "" split in two. */
static void test_boundary_crlf_and_doubled_quote(void **state)
{
    (void)state;
    const size_t B = 64 * 1024;
    char *buf = malloc(2 * B + 16);
    assert_non_null(buf);
    /* Record 1: unquoted field filling up to B-1, CR at B-1, LF at B. */
    memset(buf, 'a', B - 1);
    buf[B - 1] = '\r';
    buf[B] = '\n';
    size_t n = B + 1;
    /* Record 2 starts on line 2. */
    memcpy(buf + n, "x\n", 2);
    n += 2;
    /* Record 3: quoted field whose "" pair straddles offset 2B. */
    size_t q0 = n;
    buf[n++] = '"';
    while (n < 2 * B)
        buf[n++] = 'b';
    buf[n - 1] = '"';
    buf[n++] = '"'; /* offsets 2B-1 and 2B form the pair */
    const char tail[] = "c\"\ny\n";
    char *big = malloc(n + sizeof tail);
    assert_non_null(big);
    memcpy(big, buf, n);
    memcpy(big + n, tail, sizeof tail - 1);
    n += sizeof tail - 1;

    const char *path = tmp_path("edge");
    write_plain(path, big, n);
    souk_csv_limits lim = {.max_field_len = 2 * B};
    souk_csv *r = NULL;
    assert_int_equal(souk_csv_open_file(&r, path, &lim), SOUK_CSV_OK);
    assert_int_equal(souk_csv_next(r), SOUK_CSV_RECORD);
    size_t len;
    souk_csv_field(r, 0, &len);
    assert_int_equal(len, B - 1);
    assert_int_equal(souk_csv_line(r), 1);
    expect_rec(r, 1, "x");
    assert_int_equal(souk_csv_line(r), 2);
    assert_int_equal(souk_csv_next(r), SOUK_CSV_RECORD);
    assert_int_equal(souk_csv_line(r), 3);
    const char *f = souk_csv_field(r, 0, &len);
    size_t nb = (2 * B - 1) - (q0 + 1); /* b's before the pair */
    assert_int_equal(len, nb + 2);
    assert_int_equal(f[nb], '"');
    assert_int_equal(f[nb + 1], 'c');
    expect_rec(r, 1, "y");
    assert_int_equal(souk_csv_line(r), 4);
    expect_end(r);
    souk_csv_free(r);
    unlink(path);
    free(buf);
    free(big);
}

static void test_file_errors(void **state)
{
    (void)state;
    souk_csv *r = (souk_csv *)1;
    errno = 0;
    assert_int_equal(souk_csv_open_file(&r, "/nonexistent/souk.csv", NULL), SOUK_CSV_E_IO);
    assert_int_equal(errno, ENOENT);
    assert_null(r);
    assert_int_equal(souk_csv_open_file(&r, "/tmp", NULL), SOUK_CSV_E_INVAL);
    assert_null(r);

    /* Truncated gzip: the decoded prefix is delivered, then a fatal,
     * sticky I/O error. */
    size_t n = 200000, m = 0;
    char *csv = malloc(n + 32);
    assert_non_null(csv);
    while (m < n)
        m += (size_t)snprintf(csv + m, n + 32 - m, "%zu,abc\n", m);
    const char *path = tmp_path("trunc");
    write_gz(path, csv, m);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size / 2), 0);
    assert_int_equal(souk_csv_open_file(&r, path, NULL), SOUK_CSV_OK);
    int rc, good = 0;
    while ((rc = souk_csv_next(r)) == SOUK_CSV_RECORD)
        good++;
    assert_int_equal(rc, SOUK_CSV_E_IO);
    assert_false(souk_csv_is_recoverable(rc));
    assert_true(good > 0);
    assert_non_null(strstr(souk_csv_error(r), "read error"));
    assert_int_equal(souk_csv_next(r), SOUK_CSV_E_IO);
    souk_csv_free(r);
    unlink(path);
    free(csv);
}

/* ---- real data set ------------------------------------------------------ */

static void test_online_retail(void **state)
{
    (void)state;
    if (access(RETAIL_PATH, R_OK) != 0) {
        print_message("SKIP: data set %s not present\n", RETAIL_PATH);
        skip();
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    souk_csv *r = NULL;
    assert_int_equal(souk_csv_open_file(&r, RETAIL_PATH, NULL), SOUK_CSV_OK);
    assert_int_equal(souk_csv_next(r), SOUK_CSV_RECORD);
    static const char *hdr[] = {"InvoiceNo",   "StockCode", "Description", "Quantity",
                                "InvoiceDate", "UnitPrice", "CustomerID",  "Country"};
    assert_int_equal(souk_csv_field_count(r), 8);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(souk_csv_field(r, i, NULL), hdr[i]);
    uint64_t rows = 0, bad = 0, bytes = 0;
    int rc;
    while ((rc = souk_csv_next(r)) != SOUK_CSV_END) {
        if (rc != SOUK_CSV_RECORD)
            fail_msg("record %llu line %llu: %s", (unsigned long long)souk_csv_record(r),
                     (unsigned long long)souk_csv_line(r), souk_csv_error(r));
        rows++;
        if (souk_csv_field_count(r) != 8)
            bad++;
        for (size_t i = 0; i < souk_csv_field_count(r); i++) {
            size_t len;
            souk_csv_field(r, i, &len);
            bytes += len;
        }
    }
    assert_int_equal(rows, 541909);
    assert_int_equal(bad, 0);
    assert_int_equal(souk_csv_record(r), 541910);
    assert_int_equal(souk_csv_bytes_read(r), souk_csv_total_bytes(r));
    souk_csv_free(r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("online_retail: %llu data rows, %llu field bytes, %.3f s\n", (unsigned long long)rows,
                  (unsigned long long)bytes, secs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_rows),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_empty_fields_and_blank_lines),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_limit_field_len),
        cmocka_unit_test(test_limit_fields),
        cmocka_unit_test(test_limit_record_len),
        cmocka_unit_test(test_huge_input_bounded),
        cmocka_unit_test(test_quote_errors),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_status_helpers),
        cmocka_unit_test(test_bytes_read_progress),
        cmocka_unit_test(test_gzip_file),
        cmocka_unit_test(test_gzip_large_across_buffers),
        cmocka_unit_test(test_boundary_crlf_and_doubled_quote),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_online_retail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
